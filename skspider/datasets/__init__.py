"""Datasets: the Model Spider paper's published figures."""

from ._model_spider import load_model_spider

__all__ = ["load_model_spider"]
