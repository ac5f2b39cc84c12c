"""Metrics comparing predicted rankings of models with the true ones, and their scorers.

The bottom of the package: it imports nothing from skspider but the private
``skspider._matrix`` (``skspider.base`` builds on it).
"""

from ._ranking import (
    mean_ndcg,
    mean_pearson,
    mean_weighted_tau,
    rank_scores,
    top_k_regret,
    weighted_tau,
)
from ._scorer import get_ranking_scorer, get_ranking_scorer_names, make_ranking_scorer

__all__ = [
    "get_ranking_scorer",
    "get_ranking_scorer_names",
    "make_ranking_scorer",
    "mean_ndcg",
    "mean_pearson",
    "mean_weighted_tau",
    "rank_scores",
    "top_k_regret",
    "weighted_tau",
]
