"""Rankers that ignore the target task: the baselines a learned ranker must beat."""

from ._prior import PriorRanker

__all__ = ["PriorRanker"]
