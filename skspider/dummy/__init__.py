"""Baselines every learned ranker is shown against: rankers that ignore the task (the prior,
a metadata column) and simple learned ones (ridge on the mean token, nearest tasks)."""

from ._metadata import MetadataRanker
from ._neighbors import NearestTasksRanker
from ._prior import PriorRanker
from ._ridge import RidgeRanker

__all__ = ["MetadataRanker", "NearestTasksRanker", "PriorRanker", "RidgeRanker"]
