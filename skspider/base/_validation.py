"""Input validation shared by rankers, estimators and metrics.

Every check raises a `ValueError` or `TypeError` that names the offending argument, so a bad
input never turns into a silent NaN or an error deep inside numpy or torch. Checks never
modify what the user passed: arrays are converted (copying when needed), never written to.
`check_performance_matrix` lives in the private bottom module ``skspider._matrix`` (metrics
needs it too, and metrics does not import base); this is its public home.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._matrix import _is_dataframe, check_performance_matrix
from ._task import Task

__all__ = [
    "check_performance_matrix",
    "check_task_sequence",
    "check_token_sets",
]


def _is_task_sequence(X: Any) -> bool:
    """Whether ``X`` is a non-empty list or tuple of `Task` objects (the one definition)."""
    return isinstance(X, (list, tuple)) and len(X) > 0 and all(isinstance(t, Task) for t in X)


def _as_token_set(tokens: Any, index: int, name: str) -> np.ndarray:
    try:
        arr = np.asarray(tokens, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}[{index}] is not a numeric array: {exc}") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(
            f"{name}[{index}] must be a 2-D token set (n_tokens, n_features), got shape "
            f"{arr.shape}."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name}[{index}] is an empty token set of shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}[{index}] contains NaN or infinity.")
    return arr


def check_token_sets(
    X: Any,
    *,
    name: str = "X",
    n_features: int | None = None,
    estimator_name: str | None = None,
) -> list[np.ndarray]:
    """Validate task token sets.

    Parameters
    ----------
    X : array-like of shape (n_tasks, n_features), or sequence of arrays
        Either one token per task (a 2-D array), or one ``(n_tokens_i, n_features)`` array
        per task (ragged ``n_tokens_i`` is fine). `Task` objects contribute their ``tokens``.
    name : str, default="X"
        Name used in error messages.
    n_features : int, default=None
        Expected token width (the one seen in ``fit``); checked when given.
    estimator_name : str, default=None
        Named in the error message of a width mismatch.

    Returns
    -------
    token_sets : list of ndarray of shape (n_tokens_i, n_features), float64
        Views or copies of the input; never the caller's array to write to.

    Examples
    --------
    >>> import numpy as np
    >>> sets = check_token_sets([np.ones((3, 4)), np.zeros((5, 4))])
    >>> [s.shape for s in sets]
    [(3, 4), (5, 4)]
    >>> [s.shape for s in check_token_sets(np.ones((2, 4)))]
    [(1, 4), (1, 4)]
    """
    if isinstance(X, str) or X is None or np.isscalar(X):
        raise TypeError(f"{name} must be a sequence of token sets, got {type(X).__name__}.")
    if _is_dataframe(X):
        X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim != 2:
            raise ValueError(
                f"{name} as an array must be 2-D (n_tasks, n_features), got shape {X.shape}. "
                "Pass a list of (n_tokens, n_features) arrays for token sets."
            )
        arr = _as_token_set(X, 0, name) if X.size else None
        if arr is None:
            raise ValueError(f"{name} is empty (shape {X.shape}).")
        sets = [arr[i : i + 1] for i in range(arr.shape[0])]
    else:
        if not isinstance(X, Sequence) and not hasattr(X, "__len__"):
            raise TypeError(
                f"{name} must be a 2-D array or a sequence of 2-D token sets, "
                f"got {type(X).__name__}."
            )
        items = list(X)
        if not items:
            raise ValueError(f"{name} contains no tasks.")
        sets = []
        for i, item in enumerate(items):
            if isinstance(item, Task):
                if item.tokens is None:
                    raise ValueError(
                        f"{name}[{i}] is a Task without tokens; run a TaskTokenizer first."
                    )
                item = item.tokens
            sets.append(_as_token_set(item, i, name))
    widths = {s.shape[1] for s in sets}
    if len(widths) > 1:
        raise ValueError(f"{name} mixes token widths {sorted(widths)}; all must be equal.")
    width = widths.pop()
    if n_features is not None and width != n_features:
        raise ValueError(
            f"{name} has {width} features, but {estimator_name or 'the estimator'} is "
            f"expecting {n_features} features as input (the token width seen in fit)."
        )
    return sets


def check_task_sequence(X: Any, *, name: str = "X") -> list[Task]:
    """Validate a sequence of `Task` objects.

    Parameters
    ----------
    X : sequence of Task
        The tasks.
    name : str, default="X"
        Name used in error messages.

    Returns
    -------
    tasks : list of Task

    Examples
    --------
    >>> import numpy as np
    >>> len(check_task_sequence([Task(y=np.arange(4) % 2)]))
    1
    """
    if isinstance(X, Task):
        raise TypeError(f"{name} must be a sequence of Task objects; wrap a single task: [task].")
    if isinstance(X, (str, bytes)) or not hasattr(X, "__iter__"):
        raise TypeError(f"{name} must be a sequence of Task objects, got {type(X).__name__}.")
    tasks = list(X)
    if not tasks:
        raise ValueError(f"{name} contains no tasks.")
    for i, task in enumerate(tasks):
        if not isinstance(task, Task):
            raise TypeError(f"{name}[{i}] must be a skspider.base.Task, got {type(task).__name__}.")
    return tasks
