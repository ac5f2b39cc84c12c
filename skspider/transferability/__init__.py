"""Transferability estimators: one class per method, scoring one PTM on one task."""

from ._base import BaseTransferabilityEstimator
from ._emms import EMMS
from ._gbc import GBC
from ._lfc import LFC
from ._ncti import NCTI
from ._otce import OTCE
from ._pactran import PACTranDirichlet, PACTranGamma, PACTranGaussian
from ._parc import PARC
from ._sfda import SFDA, SaturationWarning
from ._transrate import TransRate

__all__ = [
    "EMMS",
    "GBC",
    "LFC",
    "NCTI",
    "OTCE",
    "PARC",
    "SFDA",
    "BaseTransferabilityEstimator",
    "PACTranDirichlet",
    "PACTranGamma",
    "PACTranGaussian",
    "SaturationWarning",
    "TransRate",
]
