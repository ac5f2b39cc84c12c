"""Model zoos: pre-trained torch models, their features and source probabilities, cached."""

from ._adapters import huggingface_entry, timm_entry, torchvision_entry
from ._cache import CachedArray, FeatureCache
from ._extract import Extraction, extract_features
from ._zoo import ModelZoo, ZooEntry

__all__ = [
    "CachedArray",
    "Extraction",
    "FeatureCache",
    "ModelZoo",
    "ZooEntry",
    "extract_features",
    "huggingface_entry",
    "timm_entry",
    "torchvision_entry",
]
