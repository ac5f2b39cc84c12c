"""An ordered, named collection of pre-trained models and how to read their features."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from numbers import Integral
from typing import Any

import torch
from torch import nn

__all__ = ["ModelZoo", "ZooEntry"]


def _resolve_layer(module: nn.Module, layer: str | None, model_name: str) -> str:
    """Name of the final classifier: ``layer`` if given (checked), else the last nn.Linear."""
    names = dict(module.named_modules())
    if layer is not None:
        if layer not in names:
            candidates = [n for n, m in names.items() if isinstance(m, nn.Linear)]
            raise ValueError(
                f"Model {model_name!r} has no submodule named {layer!r}; its nn.Linear "
                f"submodules are {candidates[-5:]} (pass one of them, or any submodule name, "
                "as layer=)."
            )
        return layer
    linear = [n for n, m in names.items() if isinstance(m, nn.Linear)]
    if not linear:
        raise ValueError(
            f"Model {model_name!r} has no nn.Linear submodule, so its final classifier cannot "
            "be found automatically; pass layer='<submodule name>' (its input becomes the "
            "features) or feature_fn=."
        )
    return linear[-1]


def _check_input_shape(value: Any) -> tuple[int, int, int] | None:
    if value is None:
        return None
    shape = tuple(value) if isinstance(value, (tuple, list)) else None
    if shape is None or len(shape) != 3 or not all(_positive_int(s) for s in shape):
        raise ValueError(
            "input_shape must be None or three positive ints (channels, height, width), got "
            f"{value!r}."
        )
    return tuple(int(s) for s in shape)


def _positive_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= 1


def _default_forward(module: nn.Module, batch: Any) -> Any:
    if isinstance(batch, Mapping):
        return module(**batch)
    return module(batch)


class ZooEntry:
    """One pre-trained model of a `ModelZoo`: the module and how to read it.

    By default the features are the input of the model's final classifier, captured by a
    forward hook on that layer during an ordinary forward pass, and, when the layer is the
    model's source classification head, the softmax of its output gives the source-class
    probabilities (for LEEP, NCE, ...) in the same pass.

    Parameters
    ----------
    name : str
        Unique name of the PTM in its zoo (the column name of proxy ranks).
    module : torch.nn.Module or callable
        The model, or a zero-argument callable returning it (a loader: the weights are then
        read only when features are extracted, and released afterwards, so a large zoo is
        never in memory at once).
    layer : str, default=None
        Dotted name of the final classifier submodule (as in ``module.named_modules()``),
        whose input (flattened to 2-D) is the feature. None: the last `torch.nn.Linear` in
        registration order (``fc`` of a ResNet, ``classifier`` of a DenseNet, the last layer
        of a ``Sequential``). Ignored when ``feature_fn`` is given.
    feature_fn : callable, default=None
        ``feature_fn(module, batch)`` computes features directly instead of the hook (e.g. the
        pooled output of a headless backbone): it returns a ``(n, d)`` tensor, or a pair
        ``(features, logits)`` whose softmaxed logits are the source probabilities.
    forward : callable, default=None
        ``forward(module, batch)``: how to run the model on a batch (for the hook). None calls
        ``module(batch)``, or ``module(**batch)`` for a dict batch.
    source_head : bool, default=None
        Whether the hooked layer is a source classification head whose softmaxed output
        gives source-class probabilities. None: True unless the layer is `torch.nn.Identity`
        (a removed head); with ``feature_fn``, True when it returns logits. False never
        computes probabilities.
    family : str, default=None
        Architecture family (metadata), e.g. ``"resnet"``.
    source : str, default=None
        Source (pre-training) data (metadata), e.g. ``"ImageNet-1k"``.
    version : str, default=None
        Identifies the weights in cache keys. None: a fingerprint of the weights, computed
        at extraction (which loads a lazy module); give a string (e.g. the weights' name) to
        let cache hits skip loading.
    metadata : dict, default=None
        Any further metadata.

    Attributes
    ----------
    n_params : int or None
        Number of parameters; None for a lazy module not yet loaded.

    Examples
    --------
    >>> from torch import nn
    >>> from skspider.zoo import ZooEntry
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    >>> entry = ZooEntry("mlp", net, family="mlp")
    >>> entry.resolve_layer(net), entry.n_params
    ('3', 131)
    """

    def __init__(
        self,
        name: str,
        module: nn.Module | Callable[[], nn.Module],
        *,
        layer: str | None = None,
        feature_fn: Callable[[nn.Module, Any], Any] | None = None,
        forward: Callable[[nn.Module, Any], Any] | None = None,
        source_head: bool | None = None,
        family: str | None = None,
        source: str | None = None,
        version: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ):
        if not isinstance(name, str) or not name:
            raise TypeError(f"A zoo entry's name must be a non-empty str, got {name!r}.")
        if not isinstance(module, nn.Module) and not callable(module):
            raise TypeError(
                f"Model {name!r}: module must be a torch.nn.Module or a zero-argument callable "
                f"returning one, got {type(module).__name__}."
            )
        for label, value in (("feature_fn", feature_fn), ("forward", forward)):
            if value is not None and not callable(value):
                raise TypeError(f"Model {name!r}: {label} must be callable, got {value!r}.")
        if layer is not None and not isinstance(layer, str):
            raise TypeError(f"Model {name!r}: layer must be a str, got {layer!r}.")
        if version is not None and not isinstance(version, str):
            raise TypeError(f"Model {name!r}: version must be a str, got {version!r}.")
        self.name = name
        self.module = module
        self.layer = layer
        self.feature_fn = feature_fn
        self.forward = forward
        self.source_head = source_head
        self.family = family
        self.source = source
        self.version = version
        self.metadata = dict(metadata or {})
        self.n_params = self._count(module) if isinstance(module, nn.Module) else None

    @staticmethod
    def _count(module: nn.Module) -> int:
        return int(sum(p.numel() for p in module.parameters()))

    @property
    def is_lazy(self) -> bool:
        """Whether the module is loaded on demand."""
        return not isinstance(self.module, nn.Module)

    def load(self) -> nn.Module:
        """The module (calling the loader of a lazy entry; the result is not kept)."""
        if not self.is_lazy:
            return self.module
        module = self.module()
        if not isinstance(module, nn.Module):
            raise TypeError(
                f"The loader of model {self.name!r} returned {type(module).__name__}, not a "
                "torch.nn.Module."
            )
        self.n_params = self._count(module)
        return module

    def resolve_layer(self, module: nn.Module) -> str | None:
        """The hooked layer's name in ``module`` (None when ``feature_fn`` is used)."""
        if self.feature_fn is not None:
            return None
        return _resolve_layer(module, self.layer, self.name)

    def has_source_head(self, module: nn.Module | None = None) -> bool:
        """Whether the hook gives source probabilities (``feature_fn``: see its result).
        ``module``: the loaded network, loaded here only when the entry does not say."""
        if self.feature_fn is not None:
            return False
        if self.source_head is not None:
            return bool(self.source_head)
        module = self.load() if module is None else module
        layer = module.get_submodule(self.resolve_layer(module))
        return not isinstance(layer, nn.Identity)

    def fingerprint(self, module: nn.Module) -> str:
        """The cache version: ``version`` if given, else a hash of the weights and buffers."""
        if self.version is not None:
            return self.version
        h = hashlib.blake2b(digest_size=12)
        for key, tensor in module.state_dict().items():
            h.update(key.encode())
            t = tensor.detach().cpu().contiguous()
            h.update(str(t.dtype).encode() + str(tuple(t.shape)).encode())
            # A byte view works for dtypes numpy lacks (bfloat16, ...).
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
        h.update(json.dumps([self.layer, self.feature_fn is None]).encode())
        return "w" + h.hexdigest()

    def describe(self) -> dict:
        """Metadata as one row: name, family, source, n_params, version, plus extras."""
        return {
            "name": self.name,
            "family": self.family,
            "source": self.source,
            "n_params": self.n_params,
            "version": self.version,
            **self.metadata,
        }

    def __repr__(self) -> str:
        kind = "lazy" if self.is_lazy else type(self.module).__name__
        return f"ZooEntry({self.name!r}, {kind}, family={self.family!r})"


class ModelZoo(Mapping):
    """An ordered, named collection of pre-trained models (PTMs).

    A read-only mapping from name to `ZooEntry`, in insertion order (the column order of
    everything computed from it), grown with `add`. `extract_features` extracts every PTM's
    features on a dataset, and `make_task` packages them, with labels, as a
    `~skspider.base.Task` whose per-PTM arrays are lazy loaders over an on-disk cache: the
    pools `skspider.tasks.sample_tasks` draws training tasks from. (The zoo is a container
    only: extraction depends on it, never the other way round.)

    Parameters
    ----------
    entries : iterable of ZooEntry, or mapping of str to torch.nn.Module, default=None
        Initial PTMs; a mapping's modules get default options (hook on the last nn.Linear).
    input_shape : (int, int, int), default=None
        The ``(channels, height, width)`` of the images every PTM of the zoo takes, when it
        takes images of one shape: `read_task` (and ``skspider rank``) then convert an image
        folder's images to it (grayscale or RGB, resized). None: not declared. Only
        declared: extraction passes inputs as they are.

    Attributes
    ----------
    input_shape : tuple of int or None
        The declared input shape, kept by `subset`, copies and pickles.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skspider.zoo import ModelZoo
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> zoo = ModelZoo()
    >>> zoo.add("small", nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 10)),
    ...         family="mlp", source="toy-10")
    ModelZoo(['small'])
    >>> zoo.add("wide", nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 10)),
    ...         family="mlp")
    ModelZoo(['small', 'wide'])
    >>> from skspider.zoo import extract_features
    >>> out = extract_features(zoo, torch.randn(5, 6), device="cpu")
    >>> out["wide"].features.shape, out["wide"].probas.shape
    ((5, 16), (5, 10))
    >>> zoo.metadata()[["family", "n_params"]]
          family  n_params
    small    mlp        78
    wide     mlp       282

    A zoo of networks that take 32x32 grayscale images declares it:

    >>> glyphs = ModelZoo(input_shape=(1, 32, 32))
    >>> glyphs.add("mlp", nn.Sequential(nn.Flatten(), nn.Linear(32 * 32, 10)))
    ModelZoo(['mlp'], input_shape=(1, 32, 32))
    >>> glyphs.input_shape
    (1, 32, 32)
    """

    def __init__(
        self,
        entries: Iterable[ZooEntry] | Mapping[str, nn.Module] | None = None,
        *,
        input_shape: tuple[int, int, int] | None = None,
    ):
        self._entries: dict[str, ZooEntry] = {}
        self._input_shape = _check_input_shape(input_shape)
        if entries is None:
            return
        if isinstance(entries, Mapping):
            for name, module in entries.items():
                self.add(name, module)
        else:
            for entry in entries:
                self.add(entry)

    def add(self, entry: ZooEntry | str, module: Any = None, **options: Any) -> ModelZoo:
        """Add a PTM; returns the zoo, so calls chain.

        Parameters
        ----------
        entry : ZooEntry or str
            A ready entry (from an adapter such as `torchvision_entry`), or a name.
        module : torch.nn.Module or callable, default=None
            With a name: the model or its loader.
        **options
            With a name: the other parameters of `ZooEntry`.

        Returns
        -------
        self : ModelZoo
        """
        if isinstance(entry, ZooEntry):
            if module is not None or options:
                raise TypeError("Pass either a ZooEntry, or a name with a module and options.")
        elif isinstance(entry, str):
            if module is None:
                raise TypeError(f"Model {entry!r}: a module (or a loader of one) is required.")
            entry = ZooEntry(entry, module, **options)
        else:
            raise TypeError(f"Expected a ZooEntry or a name, got {type(entry).__name__}.")
        if entry.name in self._entries:
            raise ValueError(f"The zoo already has a model named {entry.name!r}.")
        self._entries[entry.name] = entry
        return self

    @property
    def input_shape(self) -> tuple[int, int, int] | None:
        """The ``(channels, height, width)`` the PTMs take, or None (read-only)."""
        return self._input_shape

    def __getitem__(self, name: str) -> ZooEntry:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"Unknown model {name!r}; the zoo has {list(self._entries)}.") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def names(self) -> list[str]:
        """Model names, in order."""
        return list(self._entries)

    def subset(self, names: Iterable[str]) -> ModelZoo:
        """A zoo of the named models, in the order given (entries are shared)."""
        return ModelZoo([self[n] for n in names], input_shape=self.input_shape)

    def metadata(self):
        """Metadata of every PTM as a DataFrame indexed by name.

        Columns: family, source, n_params (None for a lazy model not yet loaded), version,
        and every key of the entries' ``metadata``.
        """
        import pandas as pd

        rows = [entry.describe() for entry in self._entries.values()]
        frame = pd.DataFrame(rows, columns=None if rows else ["name"])
        return frame.set_index("name").rename_axis(None)

    def __repr__(self) -> str:
        shape = "" if self.input_shape is None else f", input_shape={self.input_shape}"
        return f"ModelZoo({self.names}{shape})"
