"""Transferability estimators: one class per method, scoring one PTM on one task."""

from ._base import BaseTransferabilityEstimator
from ._emms import EMMS
from ._engine import score_zoo
from ._gbc import GBC
from ._hscore import HScore
from ._leep import LEEP, NLEEP
from ._lfc import LFC
from ._logme import LogME
from ._lookup import get_estimator, list_estimators
from ._nce import NCE
from ._ncti import NCTI
from ._otce import OTCE
from ._pactran import PACTranDirichlet, PACTranGamma, PACTranGaussian
from ._parc import PARC
from ._ranker import TransferabilityRanker
from ._sfda import SFDA, SaturationWarning
from ._transrate import TransRate

__all__ = [
    "EMMS",
    "GBC",
    "LEEP",
    "LFC",
    "NCE",
    "NCTI",
    "NLEEP",
    "OTCE",
    "PARC",
    "SFDA",
    "BaseTransferabilityEstimator",
    "HScore",
    "LogME",
    "PACTranDirichlet",
    "PACTranGamma",
    "PACTranGaussian",
    "SaturationWarning",
    "TransRate",
    "TransferabilityRanker",
    "get_estimator",
    "list_estimators",
    "score_zoo",
]
