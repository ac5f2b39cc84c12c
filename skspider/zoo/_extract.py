"""Batched feature extraction from torch modules through a forward hook."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from .._device import resolve_device
from ._cache import FeatureCache
from ._zoo import ModelZoo, ZooEntry, _default_forward

__all__ = ["Extraction", "extract_features"]


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
    if isinstance(batch, torch.Tensor):
        if dtype is not None and batch.is_floating_point() and batch.dtype != dtype:
            return batch.to(device=device, dtype=dtype, non_blocking=True)
        return batch.to(device=device, non_blocking=True)
    if isinstance(batch, Mapping):
        return {k: _to_device(v, device, dtype) for k, v in batch.items()}
    return batch


# -- one model -------------------------------------------------------------------------------
class _Progress:
    def __init__(self, verbose: int, label: str, n: int | None):
        self.verbose, self.label, self.n = verbose, label, n
        self.start = time.perf_counter()
        self.next_report = 0.1

    def update(self, done: int) -> None:
        if not self.verbose:
            return
        frac = done / self.n if self.n else None
        if self.verbose >= 2 or (frac is not None and frac >= self.next_report):
            if frac is not None:
                self.next_report = np.floor(frac * 10 + 1) / 10
            pct = f" ({100 * frac:.0f}%)" if frac is not None else ""
            elapsed = time.perf_counter() - self.start
            print(
                f"[extract_features] {self.label}: {done}/{self.n or '?'} samples{pct}, "
                f"{elapsed:.1f} s",
                file=sys.stderr,
                flush=True,
            )


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
) -> tuple[np.ndarray, np.ndarray | None]:
    """One pass of ``module`` over the batches; returns float32 features (and probas).

    ``allocate(kind, width)`` gives the output array once the width is known (a cache
    memmap); None allocates in memory.
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
    handle = module.get_submodule(layer).register_forward_hook(hook) if layer else None
    feat_sink = _Sink(batches.n, lambda d: allocate("features", d))
    prob_sink = _Sink(batches.n, lambda d: allocate("probas", d)) if with_probas else None
    progress = _Progress(verbose, entry.name, batches.n)
    done = 0
    try:
        module.eval()
        module.to(device)
        with torch.inference_mode():
            for batch in batches:
                size = _batch_len(batch)
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
                progress.update(done)
    finally:
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


def _array_key(data: Any) -> str:
    import joblib

    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    return "array-" + joblib.hash(data)


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
        dict batch is passed as keyword arguments.
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
        atomically, so an interrupted run resumes where it stopped.
    dataset_key : str, default=None
        Names the data in cache keys. Required with a cache, except for an array or tensor
        (then a hash of its content).
    transform_key : str, default=None
        Names the preprocessing in cache keys (e.g. ``"resize224-imagenet-norm"``); None is
        recorded as ``"none"``. Change it whenever the transform changes.
    lazy : bool, default=False
        With a cache: return `CachedArray` loaders instead of arrays.
    verbose : int, default=0
        0 silent; 1 reports every 10% of each model and cache hits; 2 reports every batch.

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
    ModelZoo.make_task : Wraps the result, with labels, into a `~skspider.base.Task`.
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
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be a positive int, got {batch_size!r}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size}.")
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
    if cache is not None and dataset_key is None:
        if batches.array is None:
            raise ValueError(
                "dataset_key is required to cache features of a Dataset or DataLoader "
                "(it names the data in the cache)."
            )
        dataset_key = _array_key(batches.array)
    if lazy and cache is None:
        raise ValueError("lazy=True returns loaders of cache files; give cache= too.")
    transform = "none" if transform_key is None else str(transform_key)

    results: dict[str, Extraction] = {}
    for entry in entries:
        if cache is None:
            module = entry.load()
            feats, probas = _run_model(entry, module, batches, dev, None, verbose)
            del module
            results[entry.name] = Extraction(feats, probas, len(feats))
            continue
        module = None
        version = entry.version
        if version is None:
            module = entry.load()
            version = entry.fingerprint(module)
        key = (entry.name, version, dataset_key, transform)
        if cache.contains(*key):
            if verbose:
                print(f"[extract_features] {entry.name}: cached", file=sys.stderr, flush=True)
        else:
            if module is None:
                module = entry.load()
            if batches.n is None:
                feats, probas = _run_model(entry, module, batches, dev, None, verbose)
                with cache.writer(*key, n_samples=len(feats)) as w:
                    w.write("features", feats)
                    if probas is not None:
                        w.write("probas", probas)
            else:
                with cache.writer(*key, n_samples=batches.n) as w:
                    _run_model(entry, module, batches, dev, w.allocate, verbose)
        del module
        n = cache.info(*key)["n_samples"]
        if batches.n is not None and n != batches.n:
            raise ValueError(
                f"The cache entry of model {entry.name!r} on dataset {dataset_key!r} has {n} "
                f"samples but data has {batches.n}: the dataset_key names other data."
            )
        f_loader = cache.loader(*key, kind="features")
        p_loader = cache.loader(*key, kind="probas")
        if lazy:
            results[entry.name] = Extraction(f_loader, p_loader, n)
        else:
            results[entry.name] = Extraction(
                f_loader(), None if p_loader is None else p_loader(), n
            )
    return results[entries[0].name] if single else results
