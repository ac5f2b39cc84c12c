"""Metrics comparing predicted rankings of models with the true ones, and their scorers."""

from ._ranking import mean_ndcg, mean_pearson, mean_weighted_tau, top_k_regret, weighted_tau
from ._scorer import get_ranking_scorer, get_ranking_scorer_names, make_ranking_scorer

__all__ = [
    "get_ranking_scorer",
    "get_ranking_scorer_names",
    "make_ranking_scorer",
    "mean_ndcg",
    "mean_pearson",
    "mean_weighted_tau",
    "top_k_regret",
    "weighted_tau",
]
