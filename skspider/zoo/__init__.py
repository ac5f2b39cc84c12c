"""Model zoos: pre-trained torch models, their features and source probabilities, cached.

Names are imported on first access, so unpickling a cache loader (`CachedArray`) in a joblib
or Dask worker does not import torch.
"""

import importlib

_HOMES = {
    "CachedArray": "._cache",
    "FeatureCache": "._cache",
    "Extraction": "._extract",
    "extract_features": "._extract",
    "make_task": "._extract",
    "FeatureLoader": "._loader",
    "PassLedger": "._loader",
    "read_task": "._io",
    "finetune_accuracy": "._finetune",
    "ModelZoo": "._zoo",
    "ZooEntry": "._zoo",
    "huggingface_entry": "._adapters",
    "timm_entry": "._adapters",
    "torchvision_entry": "._adapters",
}

__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
