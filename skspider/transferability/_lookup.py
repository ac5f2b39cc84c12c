"""Transferability estimators by name, found through discovery (no hand-kept list)."""

from __future__ import annotations

from functools import lru_cache

from ._base import BaseTransferabilityEstimator

__all__ = ["get_estimator"]


def _key(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


@lru_cache(maxsize=1)
def _available() -> dict[str, type]:
    # Discovery walks and imports every subpackage (this one included, hence the import
    # here); once per process is enough, since the set of classes does not change.
    from ..utils import all_estimators

    return dict(all_estimators(type_filter="transferability"))


def get_estimator(name: str | BaseTransferabilityEstimator) -> BaseTransferabilityEstimator:
    """A transferability estimator by class name, with default hyper-parameters.

    Names are matched without regard to case, ``-`` or ``_`` ("LogME", "logme", "H-Score",
    "n_leep"), among every estimator `skspider.utils.all_estimators` finds, so an estimator
    added to the package is available by name the day it lands. An instance is returned as
    is.

    Parameters
    ----------
    name : str or BaseTransferabilityEstimator
        The class name, or an estimator.

    Returns
    -------
    estimator : BaseTransferabilityEstimator

    Examples
    --------
    >>> from skspider.transferability import get_estimator
    >>> get_estimator("logme")
    LogME()
    """
    if isinstance(name, BaseTransferabilityEstimator):
        return name
    if not isinstance(name, str):
        raise TypeError(
            "expected the name of a transferability estimator or an instance of a "
            f"BaseTransferabilityEstimator subclass; got {type(name).__name__}."
        )
    available = _available()
    cls = {_key(n): c for n, c in available.items()}.get(_key(name))
    if cls is None:
        raise ValueError(
            f"Unknown transferability estimator {name!r}; available: {sorted(available)}."
        )
    return cls()
