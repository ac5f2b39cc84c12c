"""Zoo entries for torchvision, timm and Hugging Face transformers models, by name.

Each adapter imports its library inside the function (the libraries are optional extras:
``pip install "skspider[torchvision]" "torch==<the installed version>"``, ``[timm]``,
``[huggingface]``; naming the installed torch keeps pip from replacing it) and returns a
`ZooEntry` whose module is a loader: the weights are read (downloaded on first use, by the
library) only when features are extracted, and the entry's ``version`` names them, so cache
hits never load the model.
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from .._sklearn_compat import validate_params
from ._zoo import ZooEntry

__all__ = ["huggingface_entry", "timm_entry", "torchvision_entry"]


def _import(module: str, extra: str):
    try:
        return importlib.import_module(module)
    except Exception as exc:  # an installed but broken library raises more than ImportError
        # Naming the installed torch keeps pip from replacing it with the newest build.
        raise ImportError(
            f"This adapter needs {module!r}, which cannot be imported here ({type(exc).__name__}: "
            f"{exc}). Install it with: pip install 'skspider[{extra}]' "
            f"'torch=={torch.__version__}'."
        ) from exc


def _unknown(kind: str, name: str, known: list[str]) -> ValueError:
    close = difflib.get_close_matches(name, known, n=5)
    hint = f" Did you mean {close}?" if close else ""
    return ValueError(f"Unknown {kind} model name {name!r}.{hint}")


def _family(name: str) -> str:
    match = re.match(r"[A-Za-z]+", name.split("/")[-1])
    return match.group(0).lower() if match else name


# -- torchvision ------------------------------------------------------------------------------
class _TorchvisionLoader:
    def __init__(self, name: str, weights: Any, kwargs: dict):
        self.name, self.weights, self.kwargs = name, weights, kwargs

    def __call__(self) -> nn.Module:
        tv = _import("torchvision.models", "torchvision")
        return tv.get_model(self.name, weights=self.weights, **self.kwargs)


@validate_params(
    {"name": [str], "weights": [str, None], "alias": [str, None], "layer": [str, None]},
    prefer_skip_nested_validation=True,
)
def torchvision_entry(
    name: str,
    *,
    weights: str | None = "DEFAULT",
    alias: str | None = None,
    layer: str | None = None,
    **model_kwargs: Any,
) -> ZooEntry:
    """A `ZooEntry` for a torchvision classification model.

    The features are the input of the model's last `torch.nn.Linear` (``fc`` of
    ResNet/Inception/GoogLeNet/RegNet, the last layer of ``classifier`` of DenseNet,
    MobileNet, MNASNet, EfficientNet, VGG, ConvNeXt, ``heads.head`` of ViT, ``head`` of Swin),
    and the source probabilities the softmax of its ImageNet logits. Preprocess the data with
    ``torchvision.models.get_model_weights(name)[weights].transforms()`` and name that in
    ``transform_key``.

    Parameters
    ----------
    name : str
        A name of ``torchvision.models.list_models()``, e.g. ``"resnet50"``.
    weights : str or None, default="DEFAULT"
        A weights name of that model (``"IMAGENET1K_V2"``, ``"DEFAULT"``); None builds a
        randomly initialised model at once (no loader: its weights stay fixed).
    alias : str, default=None
        The entry's name in the zoo; defaults to ``name``.
    layer : str, default=None
        Override of the hooked layer (e.g. ``"classifier"`` for VGG's pooled features).
    **model_kwargs
        Passed to ``torchvision.models.get_model``.

    Returns
    -------
    entry : ZooEntry

    Raises
    ------
    ImportError
        torchvision is missing or cannot be imported.
    ValueError
        Unknown model or weights name.
    """
    tv = _import("torchvision.models", "torchvision")
    known = list(tv.list_models())
    if name not in known:
        raise _unknown("torchvision", name, known)
    family = _family(name)
    if weights is None:
        module = tv.get_model(name, weights=None, **model_kwargs)
        return ZooEntry(alias or name, module, layer=layer, family=family, source=None, metadata={})
    try:
        resolved = tv.get_model_weights(name)[weights] if weights != "DEFAULT" else None
        if resolved is None:
            resolved = tv.get_model_weights(name).DEFAULT
    except (KeyError, ValueError) as exc:
        available = [w.name for w in tv.get_model_weights(name)]
        raise ValueError(
            f"Unknown weights {weights!r} for torchvision model {name!r}; available: {available}."
        ) from exc
    n_classes = len(resolved.meta.get("categories") or []) or None
    source = "ImageNet-1k" if "IMAGENET1K" in resolved.name else resolved.name
    return ZooEntry(
        alias or name,
        _TorchvisionLoader(name, resolved, model_kwargs),
        layer=layer,
        family=family,
        source=source,
        version=f"torchvision:{name}:{resolved.name}",
        metadata={"n_source_classes": n_classes},
    )


# -- timm --------------------------------------------------------------------------------------
class _TimmLoader:
    def __init__(self, name: str, pretrained: bool, kwargs: dict):
        self.name, self.pretrained, self.kwargs = name, pretrained, kwargs

    def __call__(self) -> nn.Module:
        timm = _import("timm", "timm")
        return timm.create_model(self.name, pretrained=self.pretrained, **self.kwargs)


class _TimmFeatures:
    """timm's own split of a model: pooled pre-logits, then the classifier on them."""

    def __call__(self, module: nn.Module, batch: torch.Tensor):
        pre = module.forward_head(module.forward_features(batch), pre_logits=True)
        head = module.get_classifier()
        if isinstance(head, nn.Identity) or getattr(module, "num_classes", 1) == 0:
            return pre
        return pre, head(pre)


@validate_params(
    {"name": [str], "pretrained": ["boolean"], "alias": [str, None]},
    prefer_skip_nested_validation=True,
)
def timm_entry(
    name: str,
    *,
    pretrained: bool = True,
    alias: str | None = None,
    **model_kwargs: Any,
) -> ZooEntry:
    """A `ZooEntry` for a timm model.

    Features are timm's pre-logits (``forward_head(forward_features(x), pre_logits=True)``:
    the input of ``get_classifier()``); the source probabilities are the softmax of that
    classifier's output (none for a model created with ``num_classes=0``). Preprocess with
    ``timm.data.create_transform(**timm.data.resolve_data_config({}, model=model))``.

    Parameters
    ----------
    name : str
        A timm model name, optionally with a pretrained tag
        (``"vit_base_patch16_224.augreg_in21k"``).
    pretrained : bool, default=True
        Load the pretrained weights (downloaded by timm on first use); False builds a randomly
        initialised model at once.
    alias : str, default=None
        The entry's name in the zoo; defaults to ``name``.
    **model_kwargs
        Passed to ``timm.create_model``.

    Returns
    -------
    entry : ZooEntry

    Raises
    ------
    ImportError
        timm is missing or cannot be imported.
    ValueError
        Unknown model name.
    """
    timm = _import("timm", "timm")
    arch = name.split(".")[0]
    known = list(timm.list_models())
    if arch not in known:
        raise _unknown("timm", arch, known)
    loader = _TimmLoader(name, pretrained, model_kwargs)
    return ZooEntry(
        alias or name,
        loader if pretrained else loader(),
        feature_fn=_TimmFeatures(),
        family=_family(arch),
        source=name.split(".")[1] if "." in name else None,
        version=f"timm:{name}" if pretrained else None,
    )


# -- Hugging Face transformers --------------------------------------------------------------
class _HFLoader:
    def __init__(self, name: str, head: bool, revision: str | None, kwargs: dict):
        self.name, self.head, self.revision, self.kwargs = name, head, revision, kwargs

    def __call__(self) -> nn.Module:
        tf = _import("transformers", "huggingface")
        auto = tf.AutoModelForImageClassification if self.head else tf.AutoModel
        try:
            return auto.from_pretrained(self.name, revision=self.revision, **self.kwargs)
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"Hugging Face model {self.name!r} could not be loaded (unknown name, no "
                f"network, or not an image model): {exc}"
            ) from exc


class _HFForward:
    """Run a transformers vision model on a tensor batch (``pixel_values``) or a dict."""

    def __call__(self, module: nn.Module, batch: Any):
        if isinstance(batch, Mapping):
            return module(**batch)
        return module(pixel_values=batch)


class _HFPooled:
    """Features of a headless transformers backbone: its pooled output, else the mean token."""

    def __call__(self, module: nn.Module, batch: Any):
        out = _HFForward()(module, batch)
        pooled = getattr(out, "pooler_output", None)
        if pooled is None:
            pooled = out.last_hidden_state.mean(dim=1)
        return pooled.reshape(pooled.shape[0], -1)


@validate_params(
    # name_or_config: a str or a transformers config, checked inside (transformers is optional).
    {"name_or_config": "no_validation", "head": ["boolean"], "revision": [str, None],
     "alias": [str, None]},
    prefer_skip_nested_validation=True,
)  # fmt: skip
def huggingface_entry(
    name_or_config: Any,
    *,
    head: bool = True,
    revision: str | None = None,
    alias: str | None = None,
    **model_kwargs: Any,
) -> ZooEntry:
    """A `ZooEntry` for a Hugging Face transformers vision model.

    With ``head=True`` the model is an ``AutoModelForImageClassification``: features are the
    input of its last `torch.nn.Linear` (the ``classifier``: the pooled or [CLS] features),
    source probabilities the softmax of its logits. With ``head=False`` it is an
    ``AutoModel`` backbone whose pooled output (or mean token) is the feature. The batch is
    passed as ``pixel_values`` (or a dict batch as keyword arguments); preprocess with the
    model's ``AutoImageProcessor``.

    Parameters
    ----------
    name_or_config : str or transformers.PretrainedConfig
        A model id on the Hub (loaded, on first use, with ``from_pretrained``), or a config
        (a randomly initialised model is built at once with ``from_config``).
    head : bool, default=True
        Whether to load the classification head.
    revision : str, default=None
        Hub revision (part of the cache version).
    alias : str, default=None
        The entry's name in the zoo; defaults to the model id or the config's model type.
    **model_kwargs
        Passed to ``from_pretrained`` / ``from_config``.

    Returns
    -------
    entry : ZooEntry

    Raises
    ------
    ImportError
        transformers is missing.
    ValueError
        A model id that cannot be loaded (raised at extraction, when the weights are read).

    Examples
    --------
    >>> from transformers import ViTConfig
    >>> from skspider.zoo import huggingface_entry
    >>> cfg = ViTConfig(image_size=16, patch_size=8, hidden_size=8, num_hidden_layers=1,
    ...                 num_attention_heads=2, intermediate_size=16, num_labels=3)
    >>> huggingface_entry(cfg, alias="tiny-vit").family
    'vit'
    """
    tf = _import("transformers", "huggingface")
    forward = _HFForward()
    feature_fn = None if head else _HFPooled()
    if isinstance(name_or_config, str):
        return ZooEntry(
            alias or name_or_config,
            _HFLoader(name_or_config, head, revision, model_kwargs),
            forward=forward,
            feature_fn=feature_fn,
            family=_family(name_or_config),
            source=name_or_config,
            version=f"hf:{name_or_config}@{revision or 'main'}:{'head' if head else 'base'}",
        )
    if not isinstance(name_or_config, tf.PretrainedConfig):
        raise TypeError(
            "name_or_config must be a model id (str) or a transformers.PretrainedConfig, got "
            f"{type(name_or_config).__name__}."
        )
    auto = tf.AutoModelForImageClassification if head else tf.AutoModel
    try:
        module = auto.from_config(name_or_config, **model_kwargs)
    except ValueError as exc:
        raise ValueError(f"Cannot build a model from this config: {exc}") from exc
    model_type = getattr(name_or_config, "model_type", "hf")
    return ZooEntry(
        alias or model_type,
        module,
        forward=forward,
        feature_fn=feature_fn,
        family=_family(model_type),
        source=None,
    )
