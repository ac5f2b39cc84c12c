"""Transferability estimators: one class per method, scoring one PTM on one task."""

from ._base import BaseTransferabilityEstimator
from ._hscore import HScore
from ._leep import LEEP, NLEEP
from ._logme import LogME
from ._nce import NCE
from ._ranker import TransferabilityRanker

__all__ = [
    "LEEP",
    "NCE",
    "NLEEP",
    "BaseTransferabilityEstimator",
    "HScore",
    "LogME",
    "TransferabilityRanker",
]
