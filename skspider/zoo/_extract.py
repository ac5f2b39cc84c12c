"""Batched feature extraction from torch modules through a forward hook, and the pools
(`~skspider.base.Task`) built from it.

This module depends on `ModelZoo` (`._zoo`), never the other way round.
"""

from __future__ import annotations

import hashlib
import os
import sys
import warnings
from collections.abc import Mapping
from numbers import Integral
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from .._device import resolve_device
from .._progress import progress_bar
from .._sklearn_compat import Interval, validate_params
from ._cache import FeatureCache
from ._zoo import ModelZoo, ZooEntry, _default_forward

__all__ = ["Extraction", "extract_features", "make_task"]

# The data fingerprint in cache keys (see `extract_features`, ``dataset_key``).
_WHOLE_BYTES = 16 * 2**20  # arrays up to 16 MiB are hashed whole,
_SAMPLE_ROWS = 256  # larger ones by this many evenly spaced rows (first and last included);
_SAMPLE_ITEMS = 16  # a map-style Dataset by this many evenly spaced items.


class Extraction(NamedTuple):
    """What `extract_features` returns for one PTM.

    Attributes
    ----------
    features : ndarray of shape (n_samples, n_features) or CachedArray
        float32 features (the input of the final classifier); a lazy loader with ``lazy=True``.
    probas : ndarray of shape (n_samples, n_source_classes), CachedArray or None
        float32 source-class probabilities (softmax of the source head), None without a head.
    n_samples : int
        Number of samples.
    """

    features: Any
    probas: Any
    n_samples: int


# -- data ------------------------------------------------------------------------------------
class _Batches:
    """Uniform view of the inputs: ``len`` (None when unknown) and an iterator of batches."""

    def __init__(self, data: Any, batch_size: int, num_workers: int):
        from torch.utils.data import DataLoader, Dataset, IterableDataset, RandomSampler

        self.array = None
        self.loader = None
        if isinstance(data, (np.ndarray, torch.Tensor)):
            if data.ndim < 2:
                raise ValueError(
                    f"data as an array must have a sample axis and input axes, got shape "
                    f"{tuple(data.shape)}."
                )
            if isinstance(data, np.ndarray) and data.dtype == object:
                raise TypeError("data is an object array; pass a numeric array or a Dataset.")
            self.array = data
            self.n = int(data.shape[0])
            self.batch_size = batch_size
        elif isinstance(data, DataLoader):
            if isinstance(data.sampler, RandomSampler):
                raise ValueError(
                    "data is a shuffling DataLoader: features would not line up with labels. "
                    "Build it with shuffle=False."
                )
            self.loader = data
            self.n = self._len(data.dataset)
        elif isinstance(data, (Dataset, IterableDataset)) or (
            hasattr(data, "__getitem__") and hasattr(data, "__len__") and not isinstance(data, str)
        ):
            self.loader = DataLoader(
                data, batch_size=batch_size, shuffle=False, num_workers=num_workers
            )
            self.n = self._len(data)
        else:
            raise TypeError(
                "data must be a numpy array, a torch.Tensor, a torch Dataset or a DataLoader; "
                f"got {type(data).__name__}."
            )
        if self.n == 0:
            raise ValueError("data has no samples.")

    @staticmethod
    def _len(dataset: Any) -> int | None:
        try:
            return len(dataset)
        except TypeError:
            return None

    def __iter__(self):
        if self.array is not None:
            arr = self.array
            for start in range(0, self.n, self.batch_size):
                chunk = arr[start : start + self.batch_size]
                if isinstance(chunk, np.ndarray):
                    chunk = torch.from_numpy(np.ascontiguousarray(chunk))
                yield chunk
            return
        for batch in self.loader:
            # (inputs, labels, ...) from a labelled Dataset: the inputs come first.
            if isinstance(batch, (tuple, list)):
                batch = batch[0]
            yield batch


def _batch_len(batch: Any) -> int:
    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0])
    if isinstance(batch, Mapping):
        for value in batch.values():
            if isinstance(value, torch.Tensor):
                return int(value.shape[0])
    raise TypeError(
        f"A batch must be a tensor or a dict of tensors, got {type(batch).__name__}; give the "
        "Dataset items as tensors (apply your transform)."
    )


def _to_device(batch: Any, device: torch.device, dtype: torch.dtype | None) -> Any:
    if isinstance(batch, torch.Tensor) and batch.dtype == torch.uint8:
        # uint8 images, as torchvision's ToTensor / ToDtype(scale=True) read them: [0, 1].
        return batch.to(device=device).to(dtype or torch.float32).div_(255)
    return _move(batch, device, dtype)


def _move(batch: Any, device: torch.device, dtype: torch.dtype | None) -> Any:
    if isinstance(batch, torch.Tensor):
        if dtype is not None and batch.is_floating_point() and batch.dtype != dtype:
            return batch.to(device=device, dtype=dtype, non_blocking=True)
        return batch.to(device=device, non_blocking=True)
    if isinstance(batch, Mapping):
        return {k: _move(v, device, dtype) for k, v in batch.items()}
    return batch


def _check_layout(module: nn.Module, batch: Any, model: str) -> None:
    """A clear error for channels-last images given to a channels-first model."""
    if not isinstance(batch, torch.Tensor) or batch.ndim != 4:
        return
    conv = next((m for m in module.modules() if isinstance(m, nn.Conv2d)), None)
    if conv is None:
        return
    c = conv.in_channels
    if batch.shape[1] != c and batch.shape[3] == c:
        raise ValueError(
            f"Model {model!r} takes (batch, {c}, height, width) images, but the data is "
            f"channels-last, (batch, height, width, {c}) = {tuple(batch.shape)}. Move the "
            "channel axis first: array.transpose(0, 3, 1, 2) or tensor.permute(0, 3, 1, 2)."
        )


# -- one model -------------------------------------------------------------------------------
class _Sink:
    """Where batches go: preallocated arrays (or cache memmaps), or chunks when n is unknown."""

    def __init__(self, n: int | None, allocate):
        self.n = n
        self.allocate = allocate
        self.out: np.ndarray | None = None
        self.chunks: list[np.ndarray] = []
        self.width: int | None = None

    def put(self, start: int, block: np.ndarray, what: str, model: str) -> None:
        if self.width is None:
            self.width = block.shape[1]
            if self.n is not None:
                self.out = self.allocate(self.width)
        elif block.shape[1] != self.width:
            raise ValueError(
                f"Model {model!r}: the {what} width changed from {self.width} to "
                f"{block.shape[1]} between batches (inputs of different sizes?); every sample "
                "must give the same width."
            )
        if self.out is not None:
            if start + len(block) > self.n:
                raise ValueError(f"data yielded more than its length ({self.n}) samples.")
            self.out[start : start + len(block)] = block
        else:
            self.chunks.append(block.copy())

    def result(self, done: int) -> np.ndarray:
        if self.out is None:
            return np.concatenate(self.chunks) if self.chunks else np.empty((0, 0), np.float32)
        if done != self.n:
            raise ValueError(f"data has length {self.n} but yielded {done} samples.")
        return self.out


def _run_model(
    entry: ZooEntry,
    module: nn.Module,
    batches: _Batches,
    device: torch.device,
    allocate,
    verbose: int,
    leave: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One pass of ``module`` over the batches; returns float32 features (and probas).

    ``allocate(kind, width)`` gives the output array once the width is known (a cache
    memmap); None allocates in memory. ``verbose``: a bar over the samples (``leave``: kept
    on screen once done).
    """
    if allocate is None:

        def allocate(kind: str, width: int) -> np.ndarray:
            return np.empty((batches.n, width), dtype=np.float32)

    layer = entry.resolve_layer(module)
    with_probas = entry.has_source_head(module)
    forward = entry.forward or _default_forward
    params = [p for p in module.parameters() if p.is_floating_point()]
    in_dtype = params[0].dtype if params else None
    captured: list = []

    def hook(_module, args, output):
        captured.append((args[0] if args else None, output))

    was_training = module.training
    original = params[0].device if params else None
    handle = module.get_submodule(layer).register_forward_hook(hook) if layer is not None else None
    feat_sink = _Sink(batches.n, lambda d: allocate("features", d))
    prob_sink = _Sink(batches.n, lambda d: allocate("probas", d)) if with_probas else None
    progress = progress_bar(
        batches.n,
        desc=f"extract_features {entry.name}",
        verbose=verbose,
        unit="sample",
        leave=leave,
    )
    done = 0
    try:
        module.eval()
        module.to(device)
        with torch.inference_mode():
            for batch in batches:
                size = _batch_len(batch)
                if done == 0:
                    _check_layout(module, batch, entry.name)
                batch = _to_device(batch, device, in_dtype)
                if layer is None:
                    feats, logits = entry.feature_fn(module, batch), None
                    if isinstance(feats, tuple):
                        feats, logits = feats
                    if done == 0 and logits is not None and entry.source_head is not False:
                        prob_sink = _Sink(batches.n, lambda d: allocate("probas", d))
                else:
                    captured.clear()
                    forward(module, batch)
                    if len(captured) != 1:
                        raise ValueError(
                            f"Model {entry.name!r}: layer {layer!r} ran {len(captured)} times in "
                            "one forward pass (expected once); pass the final classifier as "
                            "layer=, or use feature_fn=."
                        )
                    feats, logits = captured[0]
                if not isinstance(feats, torch.Tensor) or feats.ndim < 1 or feats.shape[0] != size:
                    got = tuple(feats.shape) if isinstance(feats, torch.Tensor) else type(feats)
                    raise ValueError(
                        f"Model {entry.name!r}: the features of a batch of {size} samples have "
                        f"shape {got}; the hooked layer must take (batch, ...) inputs."
                    )
                feat_sink.put(
                    done, feats.reshape(size, -1).float().cpu().numpy(), "feature", entry.name
                )
                if prob_sink is not None:
                    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
                        got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else logits
                        raise ValueError(
                            f"Model {entry.name!r}: the source head {layer!r} output {got}, not "
                            "(batch, n_source_classes) logits; pass source_head=False."
                        )
                    probas = torch.softmax(logits.float(), dim=1).cpu().numpy()
                    prob_sink.put(done, probas, "probability", entry.name)
                done += size
                progress.update(size)
    finally:
        progress.close()
        if handle is not None:
            handle.remove()
        # Leave the user's module as it was given: its mode and its device.
        module.train(was_training)
        if original is not None and not entry.is_lazy:
            module.to(original)
        captured.clear()
    features = feat_sink.result(done)
    probas = prob_sink.result(done) if prob_sink is not None else None
    return features, probas


def _update_hash(h: Any, obj: Any) -> None:
    """Feed one Dataset item (tensors, arrays, numbers, strings, nested) to the hash."""
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        # A byte view works for dtypes numpy lacks (bfloat16, ...).
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(obj, np.ndarray) and obj.dtype != object:
        h.update(f"A{obj.dtype.str}{obj.shape}".encode())
        h.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, Mapping):
        h.update(f"M{len(obj)}".encode())
        for key in sorted(obj, key=str):
            h.update(repr(key).encode())
            _update_hash(h, obj[key])
    elif isinstance(obj, (tuple, list)):
        h.update(f"S{len(obj)}".encode())
        for value in obj:
            _update_hash(h, value)
    elif obj is None or isinstance(obj, (str, bytes, int, float, complex, np.generic)):
        h.update(f"V{type(obj).__name__}:{obj!r}".encode())
    else:  # PIL images and other picklable objects
        import joblib

        h.update(joblib.hash(obj).encode())


def _sample(n: int, k: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, k)).round().astype(np.intp))


def _fingerprint(batches: _Batches) -> str:
    """A cheap fingerprint of the data, the part of cache keys ``dataset_key`` cannot fake.

    Arrays and tensors: shape, dtype and the bytes of the whole array up to 16 MiB, else of
    256 evenly spaced rows. A map-style Dataset (or a DataLoader's): its length and 16
    evenly spaced items as the Dataset returns them (after its transform), and a
    DataLoader's sampler order. An IterableDataset is not fingerprinted: only its
    ``dataset_key`` names it.
    """
    from torch.utils.data import IterableDataset

    h = hashlib.blake2b(digest_size=8)
    if batches.array is not None:
        arr = batches.array
        nbytes = arr.nbytes if isinstance(arr, np.ndarray) else arr.numel() * arr.element_size()
        h.update(f"{type(arr).__name__}{tuple(arr.shape)}{arr.dtype}".encode())
        if nbytes > _WHOLE_BYTES:
            idx = _sample(batches.n, _SAMPLE_ROWS)
            arr = arr[torch.from_numpy(idx)] if isinstance(arr, torch.Tensor) else arr[idx]
        _update_hash(h, arr)
        return h.hexdigest()
    dataset = batches.loader.dataset
    if isinstance(dataset, IterableDataset) or batches.n is None:
        return "iterable"
    h.update(f"D{type(dataset).__name__}{batches.n}".encode())
    idx = _sample(batches.n, _SAMPLE_ITEMS)
    first = dataset[int(idx[0])]
    _update_hash(h, first)
    for i in idx[1:]:
        _update_hash(h, dataset[int(i)])
    again = hashlib.blake2b(digest_size=8)
    _update_hash(again, dataset[int(idx[0])])
    once = hashlib.blake2b(digest_size=8)
    _update_hash(once, first)
    if again.digest() != once.digest():
        warnings.warn(
            "The Dataset returned different values for the same index (a random transform?): "
            "its features are not reproducible, and a cache never hits for it. Use a "
            "deterministic transform to extract features.",
            UserWarning,
            stacklevel=3,
        )
    # The order the loader reads the items in (its batch sampler's, when it batches).
    order = batches.loader.batch_sampler or batches.loader.sampler
    h.update(type(order).__name__.encode())
    flat = (int(i) for b in order for i in (b if isinstance(b, (list, tuple)) else [b]))
    h.update(np.fromiter(flat, dtype=np.int64).tobytes())
    return h.hexdigest()


def _extract_one(
    entry: ZooEntry,
    batches: _Batches,
    dev: torch.device,
    cache: FeatureCache | None,
    dataset_key: str | None,
    transform: str,
    lazy: bool,
    inner: int,
    single: bool,
    note,
) -> Extraction:
    """`extract_features` of one entry: from the cache, or a pass written to it (or memory)."""
    if cache is None:
        module = entry.load()
        feats, probas = _run_model(entry, module, batches, dev, None, inner, single)
        del module
        return Extraction(feats, probas, len(feats))
    module = None
    version = entry.version
    if version is None:
        module = entry.load()
        version = entry.fingerprint(module)
    key = (entry.name, version, dataset_key, transform)
    if cache.contains(*key):
        note(f"[extract_features] {entry.name}: cached")
    else:
        if module is None:
            module = entry.load()
        if batches.n is None:
            feats, probas = _run_model(entry, module, batches, dev, None, inner, single)
            with cache.writer(*key, n_samples=len(feats)) as w:
                w.write("features", feats)
                if probas is not None:
                    w.write("probas", probas)
        else:
            with cache.writer(*key, n_samples=batches.n) as w:
                _run_model(entry, module, batches, dev, w.allocate, inner, single)
    del module
    n = cache.info(*key)["n_samples"]
    if batches.n is not None and n != batches.n:
        raise ValueError(
            f"The cache entry of model {entry.name!r} on dataset {dataset_key!r} has {n} "
            f"samples but data has {batches.n}: the dataset_key names other data (an "
            "IterableDataset is known by its dataset_key alone)."
        )
    f_loader = cache.loader(*key, kind="features")
    p_loader = cache.loader(*key, kind="probas")
    if lazy:
        return Extraction(f_loader, p_loader, n)
    return Extraction(f_loader(), None if p_loader is None else p_loader(), n)


@validate_params(
    {
        "model": [nn.Module, ZooEntry, ModelZoo],
        "data": "no_validation",
        "layer": [str, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "num_workers": [Interval(Integral, 0, None, closed="left")],
        "cache": [str, os.PathLike, FeatureCache, None],
        "dataset_key": [str, None],
        "transform_key": [str, None],
        "lazy": ["boolean"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def extract_features(
    model: nn.Module | ZooEntry | ModelZoo,
    data: Any,
    *,
    layer: str | None = None,
    batch_size: int = 128,
    device: str = "auto",
    num_workers: int = 0,
    cache: str | os.PathLike | FeatureCache | None = None,
    dataset_key: str | None = None,
    transform_key: str | None = None,
    lazy: bool = False,
    verbose: int = 0,
) -> Extraction | dict[str, Extraction]:
    """Features of one model, or of every PTM of a zoo, on a dataset.

    One forward pass per model under `torch.inference_mode`: a forward hook on the final
    classifier captures its input (the features, flattened to 2-D) and its output (softmaxed
    into source-class probabilities when the layer is a source head). Memory is bounded: the
    output ``(n_samples, d)`` float32 array is allocated once (a memory-mapped cache file when
    ``cache`` is given) and each batch's activations are copied into it and released; no
    other layer's activations are kept.

    Parameters
    ----------
    model : torch.nn.Module, ZooEntry or ModelZoo
        The model(s). A zoo is processed one PTM at a time.
    data : array-like, torch.Tensor, torch.utils.data.Dataset or DataLoader
        The inputs, in a fixed order. An array or tensor is sliced into batches (floating
        inputs cast to the model's dtype); a Dataset is wrapped in a non-shuffling DataLoader;
        items or batches that are ``(inputs, label, ...)`` tuples contribute their inputs; a
        dict batch is passed as keyword arguments. A ``uint8`` batch (tensor or array, e.g.
        images from ``torchvision.io.read_image``) is scaled to ``[0, 1]`` in the model's
        dtype, as torchvision's ``ToTensor`` and ``ToDtype(torch.float32, scale=True)`` do; no
        normalisation is applied (normalise in your transform if the model expects it). Other
        integer inputs (token ids) are passed unchanged. Images are channels-first,
        ``(n, channels, height, width)``: channels-last images given to a model whose first
        `torch.nn.Conv2d` expects the other layout are a `ValueError` that says how to
        transpose them.
    layer : str, default=None
        For a bare module only: the final classifier's name (see `ZooEntry`); None hooks the
        last `torch.nn.Linear`.
    batch_size : int, default=128
        Samples per forward pass (ignored for a DataLoader).
    device : {"auto", "cpu", "cuda", ...}, default="auto"
        Where the forward passes run; "auto" picks CUDA when available. Each module is moved
        there for the pass and moved back, in its original train/eval mode, afterwards.
    num_workers : int, default=0
        DataLoader workers for a Dataset.
    cache : str, path-like or FeatureCache, default=None
        An on-disk cache: entries already complete are read instead of recomputed (a lazy
        model is then not even loaded when its ``version`` is set), new ones are written
        atomically, so an interrupted run resumes where it stopped (its temporary files are
        deleted when a `FeatureCache` is next opened on this machine).
    dataset_key : str, default=None
        A readable name of the data in cache keys (and the cache's directory names).
        Required with a cache for a Dataset or DataLoader; ``"array"`` for an array or
        tensor. The key also holds a fingerprint of the data, so a name reused on other data
        never returns stale features: for an array or tensor its shape, dtype and bytes (all
        of them up to 16 MiB, else 256 evenly spaced rows); for a map-style Dataset (or a
        DataLoader's) its length, 16 evenly spaced items as it returns them and the order
        the loader reads them in. An edit of unsampled rows of a large array, or any change
        of an IterableDataset (not fingerprinted), needs a new ``dataset_key``. A Dataset
        whose items are random (augmentation) gets a warning: its features cannot be cached.
    transform_key : str, default=None
        Names the preprocessing in cache keys (e.g. ``"resize224-imagenet-norm"``); None is
        recorded as ``"none"``. Change it whenever the transform changes.
    lazy : bool, default=False
        With a cache: return `CachedArray` loaders instead of arrays.
    verbose : int, default=0
        0 silent; 1 a progress bar on ``sys.stderr`` over the PTMs of a zoo (over the samples
        of a single model) and a line per cache hit; 2 also a bar over each PTM's samples.
        The bars are tqdm's when it is installed (the ``progress`` extra), else a line at
        every 10%.

    Returns
    -------
    extraction : Extraction or dict of str to Extraction
        ``(features, probas, n_samples)`` for a module or entry; a dict in zoo order for a
        zoo. Arrays are float32; with a cache they are read-only memory maps of its files.

    Raises
    ------
    ValueError
        A missing hook layer, a layer that does not run exactly once per forward pass, widths
        that change between batches, a shuffling DataLoader, an unwritable cache directory,
        a cache entry whose length does not match the data.

    See Also
    --------
    make_task : Wraps the result of a zoo, with labels, into a `~skspider.base.Task`.
    FeatureCache : The on-disk cache.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skspider.zoo import extract_features
    >>> net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    ...                     nn.Linear(4, 10))
    >>> out = extract_features(net, torch.randn(6, 3, 8, 8), batch_size=4, device="cpu")
    >>> out.features.shape, out.probas.shape, out.features.dtype
    ((6, 4), (6, 10), dtype('float32'))
    """
    if isinstance(batch_size, bool):
        raise TypeError(f"batch_size must be a positive int, got {batch_size!r}.")
    if isinstance(model, ModelZoo):
        entries, single = list(model.values()), False
    elif isinstance(model, ZooEntry):
        entries, single = [model], True
    elif isinstance(model, nn.Module):
        entries, single = [ZooEntry("model", model, layer=layer)], True
    else:
        raise TypeError(
            "model must be a torch.nn.Module, a ZooEntry or a ModelZoo, got "
            f"{type(model).__name__}."
        )
    if layer is not None and not isinstance(model, nn.Module):
        raise TypeError("layer= applies to a bare module; set it on each ZooEntry instead.")
    if not entries:
        raise ValueError("The zoo is empty.")
    dev = resolve_device(device)
    batches = _Batches(data, int(batch_size), num_workers)
    if cache is not None and not isinstance(cache, FeatureCache):
        cache = FeatureCache(cache)
    if lazy and cache is None:
        raise ValueError("lazy=True returns loaders of cache files; give cache= too.")
    if cache is not None:
        if dataset_key is None and batches.array is None:
            raise ValueError(
                "dataset_key is required to cache features of a Dataset or DataLoader "
                "(it names the data in the cache)."
            )
        # The readable name, then the fingerprint: reusing a name on other data never
        # returns the old features.
        dataset_key = f"{'array' if dataset_key is None else dataset_key}@{_fingerprint(batches)}"
    transform = "none" if transform_key is None else str(transform_key)

    results: dict[str, Extraction] = {}
    # A zoo: one bar over its PTMs, and (verbose >= 2) a passing bar over each PTM's samples;
    # one model: the bar over its samples.
    inner = verbose if single else max(0, verbose - 1)
    bar = progress_bar(
        len(entries), desc="extract_features", verbose=0 if single else verbose, unit="PTM"
    )

    def note(message: str) -> None:
        if not verbose:
            return
        if single:
            print(message, file=sys.stderr, flush=True)
        else:
            bar.write(message)

    with bar:
        for entry in entries:
            bar.set_postfix(model=entry.name)
            results[entry.name] = _extract_one(
                entry, batches, dev, cache, dataset_key, transform, lazy, inner, single, note
            )
            bar.update()
    return results[entries[0].name] if single else results


@validate_params(
    {
        "zoo": [ModelZoo],
        "data": "no_validation",
        "y": ["array-like"],
        "X": ["array-like", None],
        "name": [str, None],
        "cache": [str, os.PathLike, FeatureCache, None],
        "dataset_key": [str, None],
        "transform_key": [str, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "num_workers": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def make_task(
    zoo: ModelZoo,
    data: Any,
    y: Any,
    *,
    X: Any = None,
    name: str | None = None,
    cache: str | os.PathLike | FeatureCache | None = None,
    dataset_key: str | None = None,
    transform_key: str | None = None,
    batch_size: int = 128,
    device: str = "auto",
    num_workers: int = 0,
    verbose: int = 0,
):
    """Extract every PTM of a zoo on ``data`` and package the result as a `~skspider.base.Task`.

    With a ``cache``, features are extracted once into it (finished PTMs are skipped on a
    rerun) and the task's ``model_features`` / ``model_probas`` are lazy loaders
    (`CachedArray`) that memory-map the cache files on access; without one they are the
    arrays. Use it on each labelled pool, then draw training tasks from the pools with
    `skspider.tasks.sample_tasks`.

    Parameters
    ----------
    zoo : ModelZoo
        The PTMs.
    data : array-like, torch.Tensor, Dataset or DataLoader
        The pool's inputs, as for `extract_features`.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        The pool's labels (or regression targets), in the order of ``data``.
    X : array-like of shape (n_samples, n_features), default=None
        The pool's general-encoder features (for a `~skspider.tasks.TaskTokenizer`), e.g.
        ``extract_features(encoder, data).features``.
    name : str, default=None
        Name of the task; defaults to ``dataset_key``.
    cache, dataset_key, transform_key, batch_size, device, num_workers, verbose
        As for `extract_features`.

    Returns
    -------
    task : skspider.base.Task
        Per-PTM features for every PTM, probabilities for PTMs with a source head.

    See Also
    --------
    extract_features : The extraction itself.
    skspider.tasks.sample_tasks : Draws training tasks from such pools.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from torch import nn
    >>> from skspider.zoo import ModelZoo, make_task
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> zoo = ModelZoo().add("a", nn.Linear(6, 3)).add("b", nn.Linear(6, 5), source_head=False)
    >>> task = make_task(zoo, torch.randn(8, 6), np.arange(8) % 2, name="pool", device="cpu")
    >>> task.models, task.get_model_features("a").shape, sorted(task.model_probas)
    (['a', 'b'], (8, 6), ['a'])
    """
    from ..base import Task

    y_arr = np.asarray(y)
    if y_arr.ndim not in (1, 2) or y_arr.shape[0] == 0:
        raise ValueError(f"y must be a non-empty 1-D or 2-D array, got shape {y_arr.shape}.")
    if X is not None and np.shape(X)[0] != y_arr.shape[0]:
        raise ValueError(f"X has {np.shape(X)[0]} rows but y has {y_arr.shape[0]} labels.")
    # Refuse a length mismatch before running every PTM over the data (a DataLoader's len()
    # counts batches, and an iterable has none: those are checked after extraction).
    from torch.utils.data import DataLoader

    n_data = None if isinstance(data, DataLoader) else _Batches._len(data)
    if n_data is not None and n_data != y_arr.shape[0]:
        raise ValueError(
            f"data has {n_data} samples but y has {y_arr.shape[0]} labels; they must match."
        )
    out = extract_features(
        zoo,
        data,
        cache=cache,
        dataset_key=dataset_key,
        transform_key=transform_key,
        lazy=cache is not None,
        batch_size=batch_size,
        device=device,
        num_workers=num_workers,
        verbose=verbose,
    )
    features, probas = {}, {}
    for model, result in out.items():
        if result.n_samples != y_arr.shape[0]:
            raise ValueError(
                f"data has {result.n_samples} samples but y has {y_arr.shape[0]} labels; they "
                "must match."
            )
        features[model] = result.features
        if result.probas is not None:
            probas[model] = result.probas
    return Task(
        y=y_arr,
        X=X,
        model_features=features,
        model_probas=probas,
        name=name if name is not None else dataset_key,
        metadata={"dataset_key": dataset_key, "transform_key": transform_key},
    )
