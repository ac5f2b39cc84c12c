"""Transferability estimators by name, read from this package's public names (no hand-kept
list, and no package-wide discovery: looking up a numpy estimator imports nothing else)."""

from __future__ import annotations

from functools import lru_cache

from ._base import BaseTransferabilityEstimator

__all__ = ["get_estimator", "list_estimators"]


def _key(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


@lru_cache(maxsize=1)
def _available() -> dict[str, type]:
    # The public estimators of skspider.transferability: its __all__, read at call time (the
    # package is fully imported by then). Whole-package discovery
    # (skspider.utils.all_estimators) would import torch, the zoo and the spider for this.
    from .. import transferability

    found = {}
    for name in transferability.__all__:
        obj = getattr(transferability, name)
        if (
            isinstance(obj, type)
            and issubclass(obj, BaseTransferabilityEstimator)
            and not name.startswith("Base")
        ):
            found[name] = obj
    return found


def list_estimators() -> dict[str, type]:
    """The transferability estimator classes of skspider, by class name.

    Every estimator class `skspider.transferability` exports (its ``__all__``, base classes
    left out), in that order: the names `get_estimator` accepts. Only this package is
    imported: no torch, no zoo. The dictionary is a new one at each call.

    Returns
    -------
    estimators : dict of str to type
        Class name to class, e.g. ``"LogME"`` to `LogME`.

    See Also
    --------
    get_estimator : An estimator by name, with default hyper-parameters.
    skspider.utils.all_estimators : Every estimator of the package (rankers too).

    Examples
    --------
    >>> from skspider.transferability import list_estimators
    >>> estimators = list_estimators()
    >>> estimators["LogME"]
    <class 'skspider.transferability._logme.LogME'>
    >>> {name: cls.input_kind for name, cls in estimators.items()}["LEEP"]
    'probas'
    >>> [name for name, cls in estimators.items() if cls.side_inputs()]
    ['EMMS', 'OTCE']
    """
    return dict(_available())


def get_estimator(name: str | BaseTransferabilityEstimator) -> BaseTransferabilityEstimator:
    """A transferability estimator by class name, with default hyper-parameters.

    Names are matched without regard to case, ``-`` or ``_`` ("LogME", "logme", "H-Score",
    "n_leep"), among the estimator classes `skspider.transferability` exports (its
    ``__all__``), so an estimator added to the package is available by name the day it
    lands. Only this package is imported: no torch, no zoo. An instance is returned as is.

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
