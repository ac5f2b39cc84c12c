"""Find every public estimator of skspider, for the common tests and the benchmarks."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Literal

from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["all_estimators"]

_TYPE_FILTERS = ("ranker", "transferability", "transformer")


def _is_optional_import_error(exc: ImportError) -> bool:
    # A module that needs an optional extra (timm, transformers, ...) is skipped when that
    # extra is missing; a broken import of skspider itself is a bug and is raised.
    name = getattr(exc, "name", None) or ""
    return not name.startswith("skspider")


def all_estimators(
    type_filter: Literal["ranker", "transferability", "transformer"] | list[str] | None = None,
) -> list[tuple[str, type]]:
    """All public estimator classes of skspider, sorted by name.

    Walks every module of the package (tests excluded), like
    `sklearn.utils.discovery.all_estimators`, so a new estimator is found (by the common
    tests and the benchmarks) the day it lands, with no hand-kept list. (Lookups by name,
    `skspider.transferability.get_estimator`, read that package's ``__all__`` instead: no
    walk, no torch import.) Abstract classes and names starting with ``_`` or ``Base`` are
    left out. Modules needing a missing optional dependency are skipped.

    Parameters
    ----------
    type_filter : {"ranker", "transferability", "transformer"} or list of them, default=None
        Keep only rankers (subclasses of `skspider.base.BaseRanker`), transferability
        estimators (subclasses of `skspider.transferability.BaseTransferabilityEstimator`),
        or transformers. None keeps all.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs.

    Examples
    --------
    >>> from skspider.utils import all_estimators
    >>> names = [name for name, _ in all_estimators(type_filter="ranker")]
    >>> "PriorRanker" in names
    True
    """
    import skspider
    from skspider.base import BaseRanker
    from skspider.transferability import BaseTransferabilityEstimator

    filters = [type_filter] if isinstance(type_filter, str) else list(type_filter or [])
    unknown = sorted(set(filters) - set(_TYPE_FILTERS))
    if unknown:
        raise ValueError(f"Unknown type_filter {unknown}; choose from {list(_TYPE_FILTERS)}.")

    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(skspider.__path__, prefix="skspider."):
        parts = info.name.split(".")
        if "tests" in parts or "_test_common" in parts:
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError as exc:
            if _is_optional_import_error(exc):
                continue
            raise
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                name.startswith(("_", "Base"))
                or not cls.__module__.startswith("skspider.")
                or not issubclass(cls, BaseEstimator)
                or inspect.isabstract(cls)
            ):
                continue
            found[name] = cls

    def keep(cls: type) -> bool:
        if not filters:
            return True
        return any(
            (f == "ranker" and issubclass(cls, BaseRanker))
            or (f == "transformer" and issubclass(cls, TransformerMixin))
            or (f == "transferability" and issubclass(cls, BaseTransferabilityEstimator))
            for f in filters
        )

    return sorted((name, cls) for name, cls in found.items() if keep(cls))
