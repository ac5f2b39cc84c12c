"""Utilities: estimator discovery, progress bars."""

from .._progress import progress_bar
from ._discovery import all_estimators

__all__ = ["all_estimators", "progress_bar"]
