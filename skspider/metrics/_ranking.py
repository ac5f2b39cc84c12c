"""Metrics that compare a predicted ranking of models with the true one, task by task.

Every function takes the truth first. Matrices are ``(n_tasks, n_models)``: one row per task,
larger = better in both arguments (performances or scores; they need not share a scale).

Labels: when both arguments are pandas objects, models (DataFrame columns, or the index of a
Series of per-model values) and tasks (the index of two DataFrames) are matched by label, in
any order; different label sets raise a `ValueError`. When either is a plain array, entries
are matched by position: the array is read in the order of the other's columns.

Tasks with fewer than two models of known performance have no pair to order: the metrics of
order (tau, Pearson, NDCG) leave them out of the mean (NaN with ``return_per_task=True``).
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Literal

import numpy as np
from scipy import stats

from .._matrix import _is_series, align_labels, check_performance_matrix
from .._sklearn_compat import Interval, StrOptions, validate_params

__all__ = [
    "mean_ndcg",
    "mean_pearson",
    "mean_weighted_tau",
    "rank_scores",
    "top_k_regret",
    "weighted_tau",
]

Convention = Literal["paper", "symmetric"]
NanPolicy = Literal["raise", "omit"]

_NAN_POLICY = [StrOptions({"raise", "omit"})]
_ZERO_DIVISION = [Real, StrOptions({"raise"})]


def _check_pair(Y_true, Y_score, *, nan_policy: str) -> tuple[np.ndarray, np.ndarray]:
    Y_true, Y_score = align_labels(Y_true, Y_score, names=("y_true", "y_score"))
    T, _ = check_performance_matrix(Y_true, name="y_true")
    S, _ = check_performance_matrix(Y_score, name="y_score")
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


def _check_one_task(y_true, y_score, *, nan_policy: str) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_score = align_labels(y_true, y_score, names=("y_true", "y_score"))
    rows = []
    for y in (y_true, y_score):
        arr = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
        if arr.ndim != 1:
            raise ValueError(f"expected a 1-D array of per-model values, got shape {arr.shape}.")
        rows.append(arr.reshape(1, -1))
    return _check_pair(*rows, nan_policy=nan_policy)


def _check_k(k) -> None:
    # validate_params lets True through as the integer 1.
    if isinstance(k, bool):
        raise ValueError(f"k must be a positive integer, got {k!r}.")


def _check_sample_weight(sample_weight, n_tasks: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n_tasks,):
        raise ValueError(
            f"sample_weight must have shape ({n_tasks},) (one weight per task), got {w.shape}."
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("sample_weight must be finite and non-negative.")
    return w


def _undefined(zero_division, what: str, row: int) -> float:
    if zero_division == "raise":
        raise ValueError(f"{what} is undefined for task {row}: a constant ranking.")
    return float(zero_division)


def _known(t: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The known models of one task, or None when fewer than two (no pair to order)."""
    keep = ~np.isnan(t)
    if keep.sum() < 2:
        return None
    return t[keep], s[keep]


def _summarise(
    values: list[float | None],
    *,
    return_per_task: bool,
    sample_weight: np.ndarray | None,
    zero_division: float | str | None,
    what: str,
):
    """Per-task values (None = task left out) to the array or the (weighted) mean."""
    kept = np.array([v is not None for v in values])
    arr = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if return_per_task:
        return arr
    if not kept.any():
        message = (
            f"{what} is undefined: no task has two models of known performance to order "
            "(tasks with fewer are left out)."
        )
        if zero_division is None or zero_division == "raise":
            raise ValueError(message)
        return float(zero_division)
    if sample_weight is None:
        return float(arr[kept].mean())
    w = sample_weight[kept]
    if w.sum() == 0:
        raise ValueError(f"sample_weight is zero on every task that {what} can evaluate.")
    return float(np.average(arr[kept], weights=w))


@validate_params(
    {"Y_score": ["array-like"], "nan_policy": [StrOptions({"raise", "last"})]},
    prefer_skip_nested_validation=True,
)
def rank_scores(Y_score, *, nan_policy: str = "raise") -> np.ndarray:
    """Integer ranks of the models from their scores, task by task: 1 = best.

    Tied scores share the smallest rank of their group (competition ranking: 1, 2, 2, 4).
    This is ``predict_rank`` of every ranker; use it on ``predict`` of a
    `~sklearn.pipeline.Pipeline` that ends in a ranker (a pipeline only forwards scikit-learn's
    own methods): ``rank_scores(pipe.predict(X))``.

    Parameters
    ----------
    Y_score : array-like of shape (n_tasks, n_models) or (n_models,)
        Scores, larger = better (the output of a ranker's ``predict``). Never infinite.
    nan_policy : {"raise", "last"}, default="raise"
        What a NaN score (a model left unscored) means: an error, or a rank after every
        scored model of its task (NaN models share that rank).

    Returns
    -------
    ranks : ndarray of int64, of the shape of ``Y_score``
        A plain array even for a DataFrame input; its columns keep the input's order.

    See Also
    --------
    skspider.base.BaseRanker.predict_rank : The same from a fitted ranker.

    Examples
    --------
    >>> from skspider.metrics import rank_scores
    >>> rank_scores([[0.2, 0.9, 0.5], [3.0, 1.0, 3.0]])
    array([[3, 1, 2],
           [1, 3, 1]])
    >>> rank_scores([0.2, 0.9, 0.5])
    array([3, 1, 2])
    >>> rank_scores([0.2, float("nan"), 0.5], nan_policy="last")
    array([2, 3, 1])
    """
    one_d = np.ndim(Y_score) == 1
    if one_d:
        Y_score = np.asarray(Y_score.to_numpy() if _is_series(Y_score) else Y_score)[None, :]
    S, _ = check_performance_matrix(Y_score, name="Y_score", allow_nan=nan_policy == "last")
    if S.shape[1] == 0:
        raise ValueError("Y_score has no models (0 columns).")
    # NaN as -inf ranks after every scored model; ties among them share one rank.
    S = np.where(np.isnan(S), -np.inf, S)
    ranks = stats.rankdata(-S, method="min", axis=1).astype(np.int64)
    return ranks[0] if one_d else ranks


def _weighted_tau_rows(T, S, convention, zero_division) -> list[float | None]:
    rank = None if convention == "paper" else True
    out: list[float | None] = []
    for i in range(T.shape[0]):
        known = _known(T[i], S[i])
        if known is None:
            out.append(None)
            continue
        t, s = known
        if np.ptp(t) == 0 or np.ptp(s) == 0:
            out.append(_undefined(zero_division, "weighted tau", i))
            continue
        out.append(float(stats.weightedtau(t, s, rank=rank).statistic))
    return out


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "convention": [StrOptions({"paper", "symmetric"})],
        "nan_policy": _NAN_POLICY,
        "zero_division": _ZERO_DIVISION,
    },
    prefer_skip_nested_validation=True,
)
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
    y_true : array-like or Series of shape (n_models,)
        True performances (larger = better). Ties are allowed: tied pairs count as neither
        concordant nor discordant, as in scipy. NaN marks an unknown performance.
    y_score : array-like or Series of shape (n_models,)
        Predicted scores (larger = better). Must be finite. Two Series are matched by their
        index (the model names), in any order; otherwise entries match by position.
    convention : {"paper", "symmetric"}, default="paper"
        Which weighting, see above.
    nan_policy : {"raise", "omit"}, default="raise"
        What NaN in ``y_true`` does: raise, or drop those models before comparing.
    zero_division : float or "raise", default=0.0
        The value returned when tau is undefined: ``y_true`` or ``y_score`` is constant, or
        fewer than two models are known (a ranking that says nothing about the order); 0.0
        is the value of an uninformative ranking. ``"raise"`` raises a `ValueError` instead.

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
    >>> import pandas as pd
    >>> from skspider.metrics import weighted_tau
    >>> weighted_tau([3, 2, 1], [3, 2, 1])
    1.0
    >>> round(weighted_tau([1, 2, 3, 4], [1, 2, 4, 3]), 3)
    0.52
    >>> weighted_tau([1, 2, 3], [5, 5, 5])  # a constant prediction
    0.0
    >>> truth = pd.Series({"vit": 3.0, "resnet": 2.0, "mlp": 1.0})
    >>> weighted_tau(truth, pd.Series({"mlp": 1.0, "resnet": 2.0, "vit": 3.0}))  # by name
    1.0
    """
    T, S = _check_one_task(y_true, y_score, nan_policy=nan_policy)
    value = _weighted_tau_rows(T, S, convention, zero_division)[0]
    if value is None:
        if zero_division == "raise":
            raise ValueError(
                "weighted tau is undefined: fewer than 2 models have a known performance."
            )
        return float(zero_division)
    return value


_MEAN_CONSTRAINTS = {
    "Y_true": ["array-like"],
    "Y_score": ["array-like"],
    "nan_policy": _NAN_POLICY,
    "return_per_task": ["boolean"],
    "sample_weight": ["array-like", None],
}


@validate_params(
    {
        **_MEAN_CONSTRAINTS,
        "convention": [StrOptions({"paper", "symmetric"})],
        "zero_division": _ZERO_DIVISION,
    },
    prefer_skip_nested_validation=True,
)
def mean_weighted_tau(
    Y_true,
    Y_score,
    *,
    convention: Convention = "paper",
    nan_policy: NanPolicy = "raise",
    zero_division: float | str = 0.0,
    return_per_task: bool = False,
    sample_weight=None,
):
    """Weighted Kendall tau of each task (row), averaged over tasks.

    A task with fewer than two models of known performance has no pair to order: it is left
    out of the mean (NaN in the per-task values). When no task is left, the result is
    ``zero_division``. So a cross-validation fold that holds such a task scores the others,
    and ``ranker.score`` (which is this metric) is defined whenever ``fit`` accepts ``Y``.

    Parameters
    ----------
    Y_true : array-like or DataFrame of shape (n_tasks, n_models)
        True performances, larger = better; NaN = unknown (see ``nan_policy``).
    Y_score : array-like or DataFrame of shape (n_tasks, n_models)
        Predicted scores, larger = better. Two DataFrames are matched by label: columns are
        models, the index is tasks, in any order (the label sets must agree). With a plain
        array on either side, rows and columns match by position.
    convention : {"paper", "symmetric"}, default="paper"
        See `weighted_tau`.
    nan_policy : {"raise", "omit"}, default="raise"
        See `weighted_tau`.
    zero_division : float or "raise", default=0.0
        The value of a task whose truth or prediction is constant over its known models
        (counted in the mean), and the result when no task has two known models.
        ``"raise"`` raises a `ValueError` instead.
    return_per_task : bool, default=False
        Return the ``(n_tasks,)`` array of per-task values instead of their mean (NaN for a
        task left out).
    sample_weight : array-like of shape (n_tasks,), default=None
        Weights of the tasks in the mean, in the row order of ``Y_true``.

    Returns
    -------
    tau : float or ndarray of shape (n_tasks,)

    See Also
    --------
    weighted_tau : One task.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skspider.metrics import mean_weighted_tau
    >>> Y = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    >>> mean_weighted_tau(Y, Y)
    1.0
    >>> mean_weighted_tau(Y, Y[::-1], return_per_task=True)
    array([-1., -1.])
    >>> truth = pd.DataFrame(Y, columns=["a", "b", "c"])
    >>> mean_weighted_tau(truth, truth[["c", "b", "a"]])  # matched by model name
    1.0
    >>> mean_weighted_tau([[1.0, 2.0, 3.0], [1.0, np.nan, np.nan]], Y, nan_policy="omit",
    ...                   return_per_task=True)  # the second task has one known model
    array([ 1., nan])
    """
    T, S = _check_pair(Y_true, Y_score, nan_policy=nan_policy)
    w = _check_sample_weight(sample_weight, T.shape[0])
    values = _weighted_tau_rows(T, S, convention, zero_division)
    return _summarise(
        values,
        return_per_task=return_per_task,
        sample_weight=w,
        zero_division=zero_division,
        what="weighted tau",
    )


@validate_params(
    {**_MEAN_CONSTRAINTS, "k": [Interval(Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def top_k_regret(
    Y_true,
    Y_score,
    k: int = 1,
    *,
    nan_policy: NanPolicy = "raise",
    return_per_task: bool = False,
    sample_weight=None,
):
    """Performance lost by fine-tuning only the predicted top-k models, averaged over tasks.

    For each task: the best true performance minus the best true performance among the ``k``
    models with the highest predicted scores. 0 means the best model was among them. Ties in
    ``Y_score`` are broken by model order (the first column of ``Y_true`` wins),
    deterministically. A task with one known model has regret 0.

    Parameters
    ----------
    Y_true : array-like or DataFrame of shape (n_tasks, n_models)
        True performances (larger = better), in the units reported (e.g. accuracy in %).
    Y_score : array-like or DataFrame of shape (n_tasks, n_models)
        Predicted scores. Two DataFrames are matched by label (see `mean_weighted_tau`).
    k : int, default=1
        How many of the top-ranked models are fine-tuned; ``1 <= k <= n_models``.
    nan_policy : {"raise", "omit"}, default="raise"
        With "omit", models of unknown performance are left out of both the truth and the
        prediction of that task.
    return_per_task : bool, default=False
        Return the per-task regrets instead of their mean.
    sample_weight : array-like of shape (n_tasks,), default=None
        Weights of the tasks in the mean.

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
    _check_k(k)
    T, S = _check_pair(Y_true, Y_score, nan_policy=nan_policy)
    if k > T.shape[1]:
        raise ValueError(f"k={k} is larger than the number of models ({T.shape[1]}).")
    w = _check_sample_weight(sample_weight, T.shape[0])
    out: list[float | None] = []
    for i in range(T.shape[0]):
        keep = ~np.isnan(T[i])
        t, s = T[i][keep], S[i][keep]
        top = np.argsort(-s, kind="stable")[:k]
        out.append(float(t.max() - t[top].max()))
    return _summarise(
        out, return_per_task=return_per_task, sample_weight=w, zero_division=None, what="regret"
    )


@validate_params(
    {**_MEAN_CONSTRAINTS, "zero_division": _ZERO_DIVISION},
    prefer_skip_nested_validation=True,
)
def mean_pearson(
    Y_true,
    Y_score,
    *,
    nan_policy: NanPolicy = "raise",
    zero_division: float | str = 0.0,
    return_per_task: bool = False,
    sample_weight=None,
):
    """Pearson correlation between true performances and scores, per task, averaged.

    Tasks with fewer than two known models are left out, as in `mean_weighted_tau`.

    Parameters
    ----------
    Y_true, Y_score : array-like or DataFrame of shape (n_tasks, n_models)
        Truth and prediction. Two DataFrames are matched by label (see `mean_weighted_tau`).
    nan_policy : {"raise", "omit"}, default="raise"
        See `weighted_tau`.
    zero_division : float or "raise", default=0.0
        Value for a task whose truth or prediction is constant, and the result when no task
        has two known models.
    return_per_task : bool, default=False
        Return the per-task values instead of their mean (NaN for a task left out).
    sample_weight : array-like of shape (n_tasks,), default=None
        Weights of the tasks in the mean.

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
    w = _check_sample_weight(sample_weight, T.shape[0])
    out: list[float | None] = []
    for i in range(T.shape[0]):
        known = _known(T[i], S[i])
        if known is None:
            out.append(None)
            continue
        t, s = known
        if np.ptp(t) == 0 or np.ptp(s) == 0:
            out.append(_undefined(zero_division, "Pearson correlation", i))
            continue
        out.append(float(np.clip(np.corrcoef(t, s)[0, 1], -1.0, 1.0)))
    return _summarise(
        out,
        return_per_task=return_per_task,
        sample_weight=w,
        zero_division=zero_division,
        what="Pearson correlation",
    )


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


@validate_params(
    {
        **_MEAN_CONSTRAINTS,
        "k": [Interval(Integral, 1, None, closed="left"), None],
        "gains": [StrOptions({"raw", "rank"})],
    },
    prefer_skip_nested_validation=True,
)
def mean_ndcg(
    Y_true,
    Y_score,
    *,
    k: int | None = None,
    gains: Literal["raw", "rank"] = "raw",
    nan_policy: NanPolicy = "raise",
    return_per_task: bool = False,
    sample_weight=None,
):
    """Normalised discounted cumulative gain of the predicted order, per task, averaged.

    Tasks with fewer than two known models are left out, as in `mean_weighted_tau`; when no
    task is left, a `ValueError` says so.

    Parameters
    ----------
    Y_true : array-like or DataFrame of shape (n_tasks, n_models)
        True performances.
    Y_score : array-like or DataFrame of shape (n_tasks, n_models)
        Predicted scores. Two DataFrames are matched by label (see `mean_weighted_tau`).
    k : int, default=None
        Only the top ``k`` positions count (NDCG@k); None means all.
    gains : {"raw", "rank"}, default="raw"
        "raw" uses ``Y_true`` as the gains (they must be non-negative, e.g. accuracies);
        "rank" uses each model's rank within the task (0 = worst, ties averaged), which also
        works for negated errors.
    nan_policy : {"raise", "omit"}, default="raise"
        See `weighted_tau`.
    return_per_task : bool, default=False
        Return the per-task values instead of their mean (NaN for a task left out).
    sample_weight : array-like of shape (n_tasks,), default=None
        Weights of the tasks in the mean.

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
    if k is not None:
        _check_k(k)
    T, S = _check_pair(Y_true, Y_score, nan_policy=nan_policy)
    w = _check_sample_weight(sample_weight, T.shape[0])
    out: list[float | None] = []
    for i in range(T.shape[0]):
        known = _known(T[i], S[i])
        if known is None:
            out.append(None)
            continue
        t, s = known
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
    return _summarise(
        out, return_per_task=return_per_task, sample_weight=w, zero_division=None, what="NDCG"
    )
