"""Datasets: the Model Spider paper's published figures, and synthetic ranking problems."""

from ._model_spider import load_model_spider
from ._synthetic import make_ranking_problem

__all__ = ["load_model_spider", "make_ranking_problem"]
