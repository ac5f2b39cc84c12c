"""The ``(n_tasks, n_models)`` matrices of performances and scores: validation and labels.

A private bottom module: `skspider.metrics` and `skspider.base` both need these checks, and
metrics must not import base (base builds on metrics: ``BaseRanker.score`` is a metric and
``BaseRanker.predict_rank`` is `skspider.metrics.rank_scores`). The public home of
`check_performance_matrix` is `skspider.base`, which re-exports it. This module imports
nothing from skspider.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["align_labels", "check_performance_matrix"]


def _is_dataframe(obj: Any) -> bool:
    return hasattr(obj, "columns") and hasattr(obj, "to_numpy") and hasattr(obj, "iloc")


def _is_series(obj: Any) -> bool:
    return (
        hasattr(obj, "index")
        and hasattr(obj, "to_numpy")
        and hasattr(obj, "loc")
        and not hasattr(obj, "columns")
    )


def check_performance_matrix(
    Y: Any,
    *,
    name: str = "Y",
    allow_nan: bool = True,
    min_models: int = 1,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate a ``(n_tasks, n_models)`` matrix of performances or proxy ranks.

    Parameters
    ----------
    Y : array-like or pandas.DataFrame of shape (n_tasks, n_models)
        Larger is better. NaN marks an unknown entry when ``allow_nan``.
    name : str, default="Y"
        Name used in error messages.
    allow_nan : bool, default=True
        Whether NaN (unknown performance) is accepted. Infinity never is.
    min_models : int, default=1
        Smallest number of columns accepted.

    Returns
    -------
    Y : ndarray of shape (n_tasks, n_models), float64
        A new array (the input is never modified).
    models : ndarray of str or None
        Column names when ``Y`` is a DataFrame, else None.

    Examples
    --------
    >>> import pandas as pd
    >>> from skspider.base import check_performance_matrix
    >>> Y, models = check_performance_matrix(pd.DataFrame({"a": [1, 2], "b": [3, 4]}))
    >>> Y.shape, list(models)
    ((2, 2), ['a', 'b'])
    """
    models = None
    if _is_dataframe(Y):
        models = np.asarray([str(c) for c in Y.columns], dtype=object)
        Y = Y.to_numpy()
    try:
        arr = np.array(Y, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric (n_tasks, n_models) array; {exc}") from None
    if arr.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D (n_tasks, n_models), got a 1-D array of shape {arr.shape}. "
            "Use Y.reshape(1, -1) for a single task."
        )
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_tasks, n_models), got shape {arr.shape}.")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has no tasks (0 rows).")
    if arr.shape[1] < min_models:
        raise ValueError(
            f"{name} has {arr.shape[1]} model column(s); at least {min_models} are needed."
        )
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinity; performances must be finite or NaN.")
    nan = np.isnan(arr)
    if nan.any():
        if not allow_nan:
            raise ValueError(f"{name} contains NaN.")
        empty = np.flatnonzero(nan.all(axis=1))
        if empty.size:
            raise ValueError(
                f"{name} rows {empty[:10].tolist()} are entirely NaN: a task needs at least one "
                "known performance."
            )
    return arr, models


def _reorder(labels_true, labels_score, what: str, names: tuple[str, str]) -> list[int] | None:
    """Positions in ``labels_score`` of each label of ``labels_true`` (None if already equal)."""
    for labels, name in zip((labels_true, labels_score), names, strict=True):
        if not labels.is_unique:
            dup = sorted({str(v) for v in labels[labels.duplicated()]})
            raise ValueError(f"{name} has duplicate {what} labels {dup[:10]}; each must be unique.")
    if labels_true.equals(labels_score):
        return None
    true_set, score_set = set(labels_true), set(labels_score)
    if true_set != score_set:
        only_true = sorted(map(str, true_set - score_set))[:10]
        only_score = sorted(map(str, score_set - true_set))[:10]
        raise ValueError(
            f"{names[0]} and {names[1]} label different {what}s (only in {names[0]}: "
            f"{only_true}; only in {names[1]}: {only_score}). Give both the same {what} labels "
            "(they are matched by label, in any order), or pass arrays (.to_numpy()) to match "
            "them by position."
        )
    position = {label: i for i, label in enumerate(labels_score)}
    return [position[label] for label in labels_true]


def align_labels(
    y_true: Any, y_score: Any, *, names: tuple[str, str] = ("y_true", "y_score")
) -> tuple[Any, Any]:
    """Put ``y_score`` in the label order of ``y_true`` when both carry pandas labels.

    The rule of every metric in `skspider.metrics`: models (DataFrame columns, or the index of
    a Series of per-model values) and tasks (the index of two DataFrames) are matched by
    label when both arguments are labelled; the labels must then be the same sets, in any
    order. When either is a plain array, entries are matched by position (an array is taken
    in the other's order, as numpy would).

    Returns
    -------
    y_true, y_score
        ``y_true`` unchanged; ``y_score`` as an ndarray in ``y_true``'s label order
        when both were labelled, else unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"a": [1.0], "b": [2.0]})
    >>> s = pd.DataFrame({"b": [20.0], "a": [10.0]})
    >>> align_labels(t, s)[1]
    array([[10., 20.]])
    """
    if _is_dataframe(y_true) and _is_dataframe(y_score):
        cols = _reorder(y_true.columns, y_score.columns, "model (column)", names)
        rows = _reorder(y_true.index, y_score.index, "task (index)", names)
        arr = y_score.to_numpy()
        if rows is not None:
            arr = arr[rows]
        if cols is not None:
            arr = arr[:, cols]
        return y_true, arr
    if _is_series(y_true) and _is_series(y_score):
        order = _reorder(y_true.index, y_score.index, "model (index)", names)
        arr = y_score.to_numpy()
        return y_true, arr if order is None else arr[order]
    return y_true, y_score
