"""The build's work folder: content-keyed files and append-only record logs.

Every cached result is stored under a key, the fingerprint of its inputs (`_plan.fingerprint`):
a file ``<kind>/<key>.<ext>`` (task images, PTM weights) or a line of ``records/<kind>.jsonl``
(a fine-tuning run, a task's estimator scores). A stage asks for what it needs and computes
only the keys it does not find, so an interrupted build resumes where it stopped and a
changed plan recomputes only what its change reaches. Files are written atomically (a
temporary then a rename); a record log tolerates a torn last line (a build killed while
writing it), which it drops.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ._plan import _json_default

__all__ = ["RecordLog", "WorkDir", "atomic_write", "sha256_file"]


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write(path: Path, write) -> None:
    """``write(tmp_path)``, then rename the temporary over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_json(obj: Any, path: Path) -> None:
    def dump(p):
        with open(p, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=1, default=_json_default)

    atomic_write(path, dump)


def save_npz(arrays: Mapping[str, np.ndarray], path: Path) -> None:
    def dump(p):
        with open(p, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    atomic_write(path, dump)


def load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


class RecordLog:
    """An append-only JSON-lines log of records, each with a ``key``; later lines win."""

    def __init__(self, path: Path):
        self.path = path
        self._records: dict[str, dict] = {}
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            for i, line in enumerate(lines):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    if i == len(lines) - 1:  # torn by an interrupted write: dropped
                        continue
                    raise ValueError(
                        f"{path}: line {i + 1} is not JSON; the log is damaged."
                    ) from None
                self._records[record["key"]] = record
            # Rewrite without a torn tail, so that appends start on a fresh line.
            with open(path, "w", encoding="utf-8") as fh:
                for record in self._records.values():
                    fh.write(json.dumps(record, default=_json_default) + "\n")

    def __contains__(self, key: str) -> bool:
        return key in self._records

    def __getitem__(self, key: str) -> dict:
        return self._records[key]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[dict]:
        return iter(self._records.values())

    def add(self, key: str, record: dict) -> dict:
        record = {"key": key, **record}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=_json_default) + "\n")
            fh.flush()
        self._records[key] = record
        return record


class WorkDir:
    """The build's cache folder."""

    def __init__(self, path: str | os.PathLike):
        self.root = Path(path)
        self.root.mkdir(parents=True, exist_ok=True)
        self._logs: dict[str, RecordLog] = {}

    def file(self, kind: str, key: str, ext: str) -> Path:
        return self.root / kind / f"{key}.{ext}"

    def log(self, kind: str) -> RecordLog:
        if kind not in self._logs:
            self._logs[kind] = RecordLog(self.root / "records" / f"{kind}.jsonl")
        return self._logs[kind]
