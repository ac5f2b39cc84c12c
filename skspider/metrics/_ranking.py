"""Metrics that compare a predicted ranking of models with the true one, task by task.

Every function takes the truth first. Matrices are ``(n_tasks, n_models)``: one row per task,
larger = better in both arguments (performances or scores; they need not share a scale).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import stats

from ..base._validation import check_performance_matrix

__all__ = [
    "mean_ndcg",
    "mean_pearson",
    "mean_weighted_tau",
    "top_k_regret",
    "weighted_tau",
]

Convention = Literal["paper", "symmetric"]
NanPolicy = Literal["raise", "omit"]


def _check_pair(
    Y_true, Y_score, *, nan_policy: str, min_models: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    if nan_policy not in ("raise", "omit"):
        raise ValueError(f"nan_policy must be 'raise' or 'omit', got {nan_policy!r}.")
    T, _ = check_performance_matrix(Y_true, name="y_true", min_models=min_models)
    S, _ = check_performance_matrix(Y_score, name="y_score", allow_nan=True, min_models=min_models)
    if T.shape != S.shape:
        raise ValueError(
            f"y_true and y_score must have the same shape, got {T.shape} and {S.shape}."
        )
    bad = np.argwhere(np.isnan(S))
    if bad.size:
        raise ValueError(
            f"y_score contains NaN (first at task {bad[0][0]}, model {bad[0][1]}): a ranker must "
            "score every model."
        )
    if nan_policy == "raise" and np.isnan(T).any():
        raise ValueError(
            "y_true contains NaN (unknown performance); pass nan_policy='omit' to evaluate on "
            "the known models of each task only."
        )
    return T, S


def _as_rows(y):
    arr = np.asarray(y) if not hasattr(y, "to_numpy") else y.to_numpy()
    if arr.ndim == 1:
        return arr.reshape(1, -1)
    raise ValueError(f"expected a 1-D array of per-model values, got shape {arr.shape}.")


def _check_zero_division(zero_division):
    if zero_division == "raise":
        return zero_division
    if isinstance(zero_division, (int, float, np.floating)) and not isinstance(zero_division, bool):
        return float(zero_division)
    raise ValueError(f"zero_division must be a float or 'raise', got {zero_division!r}.")


def _undefined(zero_division, what: str, row: int) -> float:
    if zero_division == "raise":
        raise ValueError(f"{what} is undefined for task {row}: a constant ranking.")
    return zero_division


def _known(t: np.ndarray, s: np.ndarray, row: int) -> tuple[np.ndarray, np.ndarray]:
    keep = ~np.isnan(t)
    if keep.sum() < 2:
        raise ValueError(
            f"task {row} has {int(keep.sum())} model(s) with known performance; at least 2 are "
            "needed to compare rankings."
        )
    return t[keep], s[keep]


def _per_task(values: list[float], return_per_task: bool):
    arr = np.asarray(values, dtype=np.float64)
    return arr if return_per_task else float(arr.mean())


def _weighted_tau_rows(T, S, convention, zero_division) -> list[float]:
    if convention not in ("paper", "symmetric"):
        raise ValueError(f"convention must be 'paper' or 'symmetric', got {convention!r}.")
    rank = None if convention == "paper" else True
    out = []
    for i in range(T.shape[0]):
        t, s = _known(T[i], S[i], i)
        if np.ptp(t) == 0 or np.ptp(s) == 0:
            out.append(_undefined(zero_division, "weighted tau", i))
            continue
        out.append(float(stats.weightedtau(t, s, rank=rank).statistic))
    return out


def weighted_tau(
    y_true,
    y_score,
    *,
    convention: Convention = "paper",
    nan_policy: NanPolicy = "raise",
    zero_division: float | str = 0.0,
) -> float:
    """Weighted Kendall tau between the true and the predicted ranking of models on one task.

    With ``convention="paper"`` this is Model Spider's tau_w:
    ``scipy.stats.weightedtau(y_true, y_score, rank=None)``. The truth comes first and decides
    the weights (hyperbolic, ``1 / (r + 1)`` for the model of true rank ``r``, additive), so
    mistakes among the truly best models weigh most. ``convention="symmetric"`` is scipy's
    default (``rank=True``), which averages the weights of both orders.

    Parameters
    ----------
    y_true : array-like of shape (n_models,)
        True performances (larger = better). Ties are allowed: tied pairs count as neither
        concordant nor discordant, as in scipy. NaN marks an unknown performance.
    y_score : array-like of shape (n_models,)
        Predicted scores (larger = better). Must be finite.
    convention : {"paper", "symmetric"}, default="paper"
        Which weighting, see above.
    nan_policy : {"raise", "omit"}, default="raise"
        What NaN in ``y_true`` does: raise, or drop those models before comparing.
    zero_division : float or "raise", default=0.0
        The value returned when tau is undefined because ``y_true`` or ``y_score`` is constant
        (a ranking that says nothing about the order); 0.0 is the value of an uninformative
        ranking. ``"raise"`` raises a `ValueError` instead.

    Returns
    -------
    tau : float
        In [-1, 1]; 1 means the same order.

    See Also
    --------
    mean_weighted_tau : The same over many tasks.

    References
    ----------
    .. [1] S. Vigna, "A weighted correlation index for rankings with ties", WWW 2015.
    .. [2] Y.-K. Zhang et al., "Model Spider: Learning to Rank Pre-Trained Models
       Efficiently", NeurIPS 2023.

    Examples
    --------
    >>> from skspider.metrics import weighted_tau
    >>> weighted_tau([3, 2, 1], [3, 2, 1])
    1.0
    >>> round(weighted_tau([1, 2, 3, 4], [1, 2, 4, 3]), 3)
    0.52
    >>> weighted_tau([1, 2, 3], [5, 5, 5])  # a constant prediction
    0.0
    """
    T, S = _check_pair(_as_rows(y_true), _as_rows(y_score), nan_policy=nan_policy)
    return _weighted_tau_rows(T, S, convention, _check_zero_division(zero_division))[0]


def mean_weighted_tau(
    Y_true,
    Y_score,
    *,
    convention: Convention = "paper",
    nan_policy: NanPolicy = "raise",
    zero_division: float | str = 0.0,
    return_per_task: bool = False,
):
    """Weighted Kendall tau of each task (row), averaged over tasks.

    Parameters
    ----------
    Y_true : array-like or DataFrame of shape (n_tasks, n_models)
        True performances, larger = better; NaN = unknown (see ``nan_policy``).
    Y_score : array-like of shape (n_tasks, n_models)
        Predicted scores, larger = better.
    convention : {"paper", "symmetric"}, default="paper"
        See `weighted_tau`.
    nan_policy : {"raise", "omit"}, default="raise"
        See `weighted_tau`.
    zero_division : float or "raise", default=0.0
        See `weighted_tau`.
    return_per_task : bool, default=False
        Return the ``(n_tasks,)`` array of per-task values instead of their mean.

    Returns
    -------
    tau : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.metrics import mean_weighted_tau
    >>> Y = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    >>> mean_weighted_tau(Y, Y)
    1.0
    >>> mean_weighted_tau(Y, Y[::-1], return_per_task=True)
    array([-1., -1.])
    """
    T, S = _check_pair(Y_true, Y_score, nan_policy=nan_policy)
    values = _weighted_tau_rows(T, S, convention, _check_zero_division(zero_division))
    return _per_task(values, return_per_task)


def top_k_regret(
    Y_true,
    Y_score,
    k: int = 1,
    *,
    nan_policy: NanPolicy = "raise",
    return_per_task: bool = False,
):
    """Performance lost by fine-tuning only the predicted top-k models, averaged over tasks.

    For each task: the best true performance minus the best true performance among the ``k``
    models with the highest predicted scores. 0 means the best model was among them. Ties in
    ``Y_score`` are broken by model order (the first column wins), deterministically.

    Parameters
    ----------
    Y_true : array-like of shape (n_tasks, n_models)
        True performances (larger = better), in the units reported (e.g. accuracy in %).
    Y_score : array-like of shape (n_tasks, n_models)
        Predicted scores.
    k : int, default=1
        How many of the top-ranked models are fine-tuned; ``1 <= k <= n_models``.
    nan_policy : {"raise", "omit"}, default="raise"
        With "omit", models of unknown performance are left out of both the truth and the
        prediction of that task.
    return_per_task : bool, default=False
        Return the per-task regrets instead of their mean.

    Returns
    -------
    regret : float or ndarray of shape (n_tasks,)
        Non-negative; lower is better.

    Examples
    --------
    >>> from skspider.metrics import top_k_regret
    >>> top_k_regret([[90.0, 80.0, 85.0]], [[0.1, 0.9, 0.5]], k=1)
    10.0
    >>> top_k_regret([[90.0, 80.0, 85.0]], [[0.1, 0.9, 0.5]], k=3)
    0.0
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    T, S = _check_pair(Y_true, Y_score, nan_policy=nan_policy, min_models=1)
    if k > T.shape[1]:
        raise ValueError(f"k={k} is larger than the number of models ({T.shape[1]}).")
    out = []
    for i in range(T.shape[0]):
        keep = ~np.isnan(T[i])
        t, s = T[i][keep], S[i][keep]
        top = np.argsort(-s, kind="stable")[:k]
        out.append(float(t.max() - t[top].max()))
    return _per_task(out, return_per_task)


def mean_pearson(
    Y_true,
    Y_score,
    *,
    nan_policy: NanPolicy = "raise",
    zero_division: float | str = 0.0,
    return_per_task: bool = False,
):
    """Pearson correlation between true performances and scores, per task, averaged.

    Parameters
    ----------
    Y_true, Y_score : array-like of shape (n_tasks, n_models)
        Truth and prediction.
    nan_policy : {"raise", "omit"}, default="raise"
        See `weighted_tau`.
    zero_division : float or "raise", default=0.0
        Value for a task whose truth or prediction is constant.
    return_per_task : bool, default=False
        Return the per-task values instead of their mean.

    Returns
    -------
    r : float or ndarray of shape (n_tasks,)

    Examples
    --------
    >>> from skspider.metrics import mean_pearson
    >>> mean_pearson([[1.0, 2.0, 3.0]], [[10.0, 20.0, 30.0]])
    1.0
    """
    T, S = _check_pair(Y_true, Y_score, nan_policy=nan_policy)
    zero_division = _check_zero_division(zero_division)
    out = []
    for i in range(T.shape[0]):
        t, s = _known(T[i], S[i], i)
        if np.ptp(t) == 0 or np.ptp(s) == 0:
            out.append(_undefined(zero_division, "Pearson correlation", i))
            continue
        out.append(float(np.clip(np.corrcoef(t, s)[0, 1], -1.0, 1.0)))
    return _per_task(out, return_per_task)


def _dcg(gains: np.ndarray, scores: np.ndarray, k: int) -> float:
    # Ties in the prediction share the average gain of their group (as scikit-learn's
    # ndcg_score with ignore_ties=False), so the result does not depend on column order.
    order = np.argsort(-scores, kind="stable")
    s_sorted, g_sorted = scores[order], gains[order]
    discount = 1.0 / np.log2(np.arange(2, len(scores) + 2))
    discount[k:] = 0.0
    _, start, counts = np.unique(-s_sorted, return_index=True, return_counts=True)
    total = 0.0
    for b, c in zip(start, counts, strict=True):
        total += g_sorted[b : b + c].mean() * discount[b : b + c].sum()
    return total


def mean_ndcg(
    Y_true,
    Y_score,
    *,
    k: int | None = None,
    gains: Literal["raw", "rank"] = "raw",
    nan_policy: NanPolicy = "raise",
    return_per_task: bool = False,
):
    """Normalised discounted cumulative gain of the predicted order, per task, averaged.

    Parameters
    ----------
    Y_true : array-like of shape (n_tasks, n_models)
        True performances.
    Y_score : array-like of shape (n_tasks, n_models)
        Predicted scores.
    k : int, default=None
        Only the top ``k`` positions count (NDCG@k); None means all.
    gains : {"raw", "rank"}, default="raw"
        "raw" uses ``Y_true`` as the gains (they must be non-negative, e.g. accuracies);
        "rank" uses each model's rank within the task (0 = worst, ties averaged), which also
        works for negated errors.
    nan_policy : {"raise", "omit"}, default="raise"
        See `weighted_tau`.
    return_per_task : bool, default=False
        Return the per-task values instead of their mean.

    Returns
    -------
    ndcg : float or ndarray of shape (n_tasks,)
        In [0, 1]; 1 for the ideal order. A task whose gains are all 0 scores 0.

    Examples
    --------
    >>> from skspider.metrics import mean_ndcg
    >>> mean_ndcg([[3.0, 2.0, 1.0]], [[3.0, 2.0, 1.0]])
    1.0
    >>> round(mean_ndcg([[3.0, 2.0, 1.0]], [[1.0, 2.0, 3.0]]), 4)
    0.7899
    """
    if gains not in ("raw", "rank"):
        raise ValueError(f"gains must be 'raw' or 'rank', got {gains!r}.")
    T, S = _check_pair(Y_true, Y_score, nan_policy=nan_policy)
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1):
        raise ValueError(f"k must be a positive integer or None, got {k!r}.")
    out = []
    for i in range(T.shape[0]):
        t, s = _known(T[i], S[i], i)
        if gains == "rank":
            g = stats.rankdata(t) - 1.0
        else:
            if (t < 0).any():
                raise ValueError(
                    f"y_true of task {i} has negative values; NDCG with gains='raw' needs "
                    "non-negative gains. Use gains='rank' for negated errors."
                )
            g = t
        kk = len(t) if k is None else min(int(k), len(t))
        ideal = _dcg(g, g, kk)
        out.append(0.0 if ideal == 0 else float(_dcg(g, s, kk) / ideal))
    return _per_task(out, return_per_task)
