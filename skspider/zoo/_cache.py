"""An on-disk cache of extracted features, safe to interrupt and to resume."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CachedArray", "FeatureCache"]

_KINDS = ("features", "probas")
_TMP_MARK = ".tmp-"
_MANIFEST = "entry.json"
# Temporary files are named <kind>.tmp-<host>-<pid>-<random>.npy, so a later process on the
# same host can tell the orphans of a dead writer from the files of a live one.
_TMP_OWNER = re.compile(r"\.tmp-(?P<host>[A-Za-z0-9_.]+)-(?P<pid>\d+)-")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "_", socket.gethostname()) or "host"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: existence check only (POSIX)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, owned by someone else
        return True
    return True


def _slug(text: str, limit: int = 48) -> str:
    # Readable directory names; the hash suffix, not the slug, makes them unique.
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:limit].strip("._") or "x"


def _digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


class CachedArray:
    """A zero-argument loader of one cached array: the lazy value a `Task` stores.

    Calling it memory-maps the ``.npy`` file read-only, so a task over a large zoo opens a
    PTM's features only when an estimator needs them. Picklable (it holds a path), so tasks
    travel to joblib (loky or threading backend) or Dask workers that see the same file
    system; joblib's ``"multiprocessing"`` backend can hang after torch has started its
    threads (see the documentation's conventions, "Parallelism").

    Parameters
    ----------
    path : str or path-like
        The ``.npy`` file.
    rows : array-like of int, default=None
        When given, only these rows are returned (a sub-task of a cached pool).
    """

    def __init__(self, path: str | os.PathLike, rows: Any = None):
        self.path = os.fspath(path)
        self.rows = None if rows is None else np.asarray(rows, dtype=np.intp)

    def __call__(self) -> np.ndarray:
        arr = np.load(self.path, mmap_mode="r")
        return arr if self.rows is None else np.asarray(arr[self.rows])

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the array returned (read from the file header, no data loaded)."""
        arr = np.load(self.path, mmap_mode="r")
        return arr.shape if self.rows is None else (len(self.rows), *arr.shape[1:])

    def __repr__(self) -> str:
        extra = "" if self.rows is None else f", rows={len(self.rows)}"
        return f"CachedArray({os.path.basename(os.path.dirname(self.path))!r}{extra})"


class FeatureCache:
    """Extracted features and source probabilities on disk, one entry per (PTM, data).

    An entry is keyed by the PTM (its name and a version: a fingerprint of its weights or a
    string the user supplies), the dataset and the transform applied to it. Each array is
    written to a temporary file in the entry's directory, flushed, then renamed into place
    (`os.replace`, atomic on POSIX and Windows), and a small manifest is renamed in last: an
    entry is visible only when complete, so an interrupted run never leaves a corrupt entry,
    and a resumed run recomputes only the entries that are missing. Temporary files left by a
    killed run are invisible to readers, and deleted when a cache is next opened on the same
    machine: each temporary names its writer (host name and process id), and those whose
    writer is no longer running are removed (on POSIX; on Windows, or for a cache shared by
    several machines, the other machines' temporaries stay until `clean` is called).

    Parameters
    ----------
    cache_dir : str or path-like
        Directory of the cache; created if missing. It must be writable: a read-only or
        impossible location raises a `ValueError` here, not at the end of an extraction.

    Attributes
    ----------
    path : pathlib.Path
        The cache directory.

    See Also
    --------
    extract_features : Fills the cache when given ``cache=``.
    make_task : Builds a `~skspider.base.Task` whose features load lazily from it.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from skspider.zoo import FeatureCache
    >>> cache = FeatureCache(tempfile.mkdtemp())
    >>> with cache.writer("net", "v1", "toy", "none", n_samples=4) as w:
    ...     w.write("features", np.ones((4, 3), dtype=np.float32))
    >>> cache.contains("net", "v1", "toy", "none")
    True
    >>> cache.loader("net", "v1", "toy", "none")().shape
    (4, 3)
    """

    def __init__(self, cache_dir: str | os.PathLike):
        if not isinstance(cache_dir, (str, os.PathLike)):
            raise TypeError(
                f"cache_dir must be a path (str or os.PathLike), got {type(cache_dir).__name__}."
            )
        path = Path(cache_dir).expanduser()
        try:
            path.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".write-probe", dir=path)
            os.close(fd)
            os.remove(probe)
        except OSError as exc:
            raise ValueError(
                f"cache_dir {os.fspath(path)!r} is not a writable directory: {exc.strerror or exc}."
            ) from None
        self.path = path
        self._remove_orphans()

    def _remove_orphans(self) -> int:
        """Delete temporaries of writers on this host that are no longer running."""
        if os.name != "posix":  # os.kill(pid, 0) is a kill on Windows
            return 0
        host, removed = _host(), 0
        for tmp in self.path.glob(f"*/*/*{_TMP_MARK}*"):
            owner = _TMP_OWNER.search(tmp.name)
            if owner is None or owner["host"] != host:
                continue
            pid = int(owner["pid"])
            if pid != os.getpid() and not _pid_alive(pid):
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                    removed += 1
        return removed

    def __repr__(self) -> str:
        return f"FeatureCache({os.fspath(self.path)!r})"

    def __reduce__(self):
        return (type(self), (self.path,))

    # -- keys ------------------------------------------------------------------------------
    def entry_dir(self, model: str, version: str, dataset: str, transform: str) -> Path:
        """Directory of the entry for (PTM ``model`` at ``version``, ``dataset``, ``transform``)."""
        for label, value in (
            ("model", model),
            ("version", version),
            ("dataset", dataset),
            ("transform", transform),
        ):
            if not isinstance(value, str):
                raise TypeError(f"The cache key's {label} must be a str, got {value!r}.")
        ptm = f"{_slug(model)}-{_digest(model, version)}"
        data = f"{_slug(dataset)}-{_digest(dataset, transform)}"
        return self.path / ptm / data

    def contains(self, model: str, version: str, dataset: str, transform: str) -> bool:
        """Whether the entry is complete (its manifest was committed)."""
        return (self.entry_dir(model, version, dataset, transform) / _MANIFEST).is_file()

    def info(self, model: str, version: str, dataset: str, transform: str) -> dict:
        """The manifest of a complete entry (keys, shapes, creation time)."""
        manifest = self.entry_dir(model, version, dataset, transform) / _MANIFEST
        if not manifest.is_file():
            raise KeyError(
                f"No complete cache entry for model {model!r} (version {version!r}) on dataset "
                f"{dataset!r} (transform {transform!r}) in {os.fspath(self.path)!r}."
            )
        return json.loads(manifest.read_text())

    def loader(
        self, model: str, version: str, dataset: str, transform: str, kind: str = "features"
    ) -> CachedArray | None:
        """A lazy loader of a complete entry's ``kind`` array, None when it has none.

        Parameters
        ----------
        model, version, dataset, transform : str
            The key.
        kind : {"features", "probas"}, default="features"
            Which array.

        Returns
        -------
        loader : CachedArray or None
            None when the entry holds no such array (a PTM without a source head has no
            probabilities).
        """
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {list(_KINDS)}, got {kind!r}.")
        info = self.info(model, version, dataset, transform)
        if kind not in info["arrays"]:
            return None
        return CachedArray(self.entry_dir(model, version, dataset, transform) / f"{kind}.npy")

    def entries(self) -> list[dict]:
        """Manifests of every complete entry."""
        return [json.loads(p.read_text()) for p in sorted(self.path.glob(f"*/*/{_MANIFEST}"))]

    def clean(self) -> int:
        """Delete every temporary file, of any writer; return how many were removed.

        Opening a cache already deletes the temporaries of dead writers on this machine;
        `clean` is for the rest (other machines sharing the cache, Windows). Do not call it
        while another process writes to the same cache.
        """
        removed = 0
        for tmp in self.path.glob(f"*/*/*{_TMP_MARK}*"):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed += 1
        return removed

    # -- writing ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer(
        self,
        model: str,
        version: str,
        dataset: str,
        transform: str,
        *,
        n_samples: int,
    ) -> Iterator[_EntryWriter]:
        """Context manager writing one entry; it is committed only if the block succeeds.

        Parameters
        ----------
        model, version, dataset, transform : str
            The key.
        n_samples : int
            Rows of every array of the entry.

        Yields
        ------
        writer : object
            With ``allocate(kind, n_features)`` (a float32 memmap to fill in place, so a large
            extraction never needs its output in memory) and ``write(kind, array)``.
        """
        entry = self.entry_dir(model, version, dataset, transform)
        entry.mkdir(parents=True, exist_ok=True)
        w = _EntryWriter(entry, int(n_samples))
        try:
            yield w
            w.commit(
                {
                    "model": model,
                    "version": version,
                    "dataset": dataset,
                    "transform": transform,
                    "n_samples": int(n_samples),
                    "created": time.time(),
                }
            )
        finally:
            w.discard()


class _EntryWriter:
    """Temporary arrays of one entry, renamed into place on commit."""

    def __init__(self, entry: Path, n_samples: int):
        self.entry = entry
        self.n_samples = n_samples
        self._tmp: dict[str, tuple[str, Any]] = {}

    def _tmp_path(self, name: str) -> str:
        prefix = f"{name}{_TMP_MARK}{_host()}-{os.getpid()}-"
        fd, path = tempfile.mkstemp(prefix=prefix, suffix=".npy", dir=self.entry)
        os.close(fd)
        return path

    def allocate(self, kind: str, n_features: int) -> np.memmap:
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {list(_KINDS)}, got {kind!r}.")
        path = self._tmp_path(kind)
        arr = np.lib.format.open_memmap(
            path, mode="w+", dtype=np.float32, shape=(self.n_samples, int(n_features))
        )
        self._tmp[kind] = (path, arr)
        return arr

    def write(self, kind: str, array: Any) -> None:
        array = np.asarray(array, dtype=np.float32)
        if array.ndim != 2 or array.shape[0] != self.n_samples:
            raise ValueError(
                f"A cached {kind} array must have shape ({self.n_samples}, n_features); got "
                f"{array.shape}."
            )
        self.allocate(kind, array.shape[1])[:] = array

    def commit(self, manifest: dict) -> None:
        shapes = {}
        for kind, (path, arr) in self._tmp.items():
            if isinstance(arr, np.memmap):
                arr.flush()
            shapes[kind] = list(arr.shape)
            del arr
            self._tmp[kind] = (path, None)
            os.replace(path, self.entry / f"{kind}.npy")
        self._tmp.clear()
        manifest = {**manifest, "arrays": shapes}
        path = self._tmp_path("entry")
        with open(path, "w") as fh:
            json.dump(manifest, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(path, self.entry / _MANIFEST)

    def discard(self) -> None:
        # After a failure: drop the temporaries (a complete older entry, if any, stays).
        for path, _ in self._tmp.values():
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        self._tmp.clear()
