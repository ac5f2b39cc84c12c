"""Datasets: the Model Spider paper's published figures, synthetic ranking problems, and the
built-in glyph zoo."""

from ._model_spider import load_model_spider
from ._synthetic import make_ranking_problem
from .glyph_zoo import build_glyph_zoo, glyph_classes, load_glyph_zoo, make_glyph_task

__all__ = [
    "build_glyph_zoo",
    "glyph_classes",
    "load_glyph_zoo",
    "load_model_spider",
    "make_glyph_task",
    "make_ranking_problem",
]
