"""Datasets: the Model Spider paper's published figures, synthetic ranking problems, and the
built-in glyph zoo."""

from ._glyph_zoo import build_glyph_zoo, load_glyph_zoo
from ._glyphs import glyph_classes, make_glyph_task
from ._model_spider import load_model_spider
from ._synthetic import make_ranking_problem

__all__ = [
    "build_glyph_zoo",
    "glyph_classes",
    "load_glyph_zoo",
    "load_model_spider",
    "make_glyph_task",
    "make_ranking_problem",
]
