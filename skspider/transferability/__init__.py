"""Transferability estimators: one class per method, scoring one PTM on one task."""

from ._base import BaseTransferabilityEstimator

__all__ = ["BaseTransferabilityEstimator"]
