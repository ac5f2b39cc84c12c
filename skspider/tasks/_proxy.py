"""Proxy ranks: cheap training labels from transferability estimators, aggregated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._sklearn_compat import StrOptions, validate_params
from ..base._numeric import normalize_rows
from ..transferability import score_zoo
from ..transferability._engine import SCORE_ZOO_CONSTRAINTS, resolve_estimators

__all__ = ["aggregate_scores", "proxy_ranks"]

_NORMALIZE = ("rank", "zscore", "minmax", "none")
_AGGREGATE = ("mean", "median")
_OUTPUT = ("rank", "score")


def _check_weights(weights: Any, labels: list[str]) -> np.ndarray:
    if weights is None:
        return np.ones(len(labels))
    if isinstance(weights, Mapping):
        unknown = sorted(set(weights) - set(labels))
        if unknown:
            raise ValueError(f"weights names unknown estimators {unknown}; estimators: {labels}.")
        weights = [weights.get(label, 0.0) for label in labels]
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"weights must be numbers, got {weights!r}.") from None
    if w.shape != (len(labels),):
        raise ValueError(f"weights has shape {w.shape}; one weight per estimator ({len(labels)}).")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() == 0:
        raise ValueError(f"weights must be finite, non-negative and not all zero, got {w}.")
    return w


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = np.cumsum(w)
    half = cum[-1] / 2.0
    i = int(np.searchsorted(cum, half))
    # An exact half split takes the midpoint, as the unweighted median does.
    if np.isclose(cum[i], half) and i + 1 < len(v):
        return float((v[i] + v[i + 1]) / 2.0)
    return float(v[i])


@validate_params(
    {
        "scores": ["array-like"],
        "normalize": [StrOptions(set(_NORMALIZE))],
        "aggregate": [StrOptions(set(_AGGREGATE))],
        "weights": ["array-like", None],
        "output": [StrOptions(set(_OUTPUT))],
    },
    prefer_skip_nested_validation=True,
)
def aggregate_scores(
    scores: Any,
    *,
    normalize: Literal["rank", "zscore", "minmax", "none"] = "rank",
    aggregate: Literal["mean", "median"] = "mean",
    weights: Any = None,
    output: Literal["rank", "score"] = "rank",
) -> np.ndarray:
    """Combine several estimators' scores of the models into one ranking per task.

    For each task and each estimator, the scores of the models are normalised (so methods
    with different scales, such as LogME and LEEP, count alike), then combined per model
    over the estimators that scored it (NaN = not scored: left out, and the weights of the
    others renormalised). A model no estimator scored on a task stays NaN.

    Parameters
    ----------
    scores : array-like of shape (n_estimators, n_tasks, n_models)
        Raw scores, higher = better, NaN where an estimator did not score a model.
    normalize : {"rank", "zscore", "minmax", "none"}, default="rank"
        Per (estimator, task), across models: "rank" maps scores to their ranks scaled to
        [0, 1] (ties averaged), so ``aggregate="mean"`` is a (weighted) Borda count / mean
        rank; "zscore" standardises; "minmax" maps to [0, 1]; "none" keeps raw scores.
    aggregate : {"mean", "median"}, default="mean"
        Weighted mean, or weighted median, over estimators.
    weights : array-like of shape (n_estimators,), default=None
        Non-negative weights of the estimators; None weighs them equally.
    output : {"rank", "score"}, default="rank"
        "rank": per task, integer ranks ``0 .. n_scored - 1`` with larger = better and ties
        sharing the lowest rank of their group (the convention of the paper's proxy-rank
        files, e.g. 0 1 2 3 3 5); "score": the aggregated values.

    Returns
    -------
    result : ndarray of shape (n_tasks, n_models)
        int64 when every entry is known, else float64 with NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.tasks import aggregate_scores
    >>> scores = np.array([[[0.1, 0.5, 0.3]],      # estimator 1, one task, three models
    ...                    [[-2.0, -1.0, -3.0]]])  # estimator 2: another scale
    >>> aggregate_scores(scores)
    array([[0, 2, 0]])
    >>> aggregate_scores(scores, weights=[1, 3], output="score")
    array([[0.375, 1.   , 0.125]])
    """
    S = np.array(scores, dtype=np.float64, copy=True)
    if S.ndim != 3:
        raise ValueError(f"scores must be 3-D (n_estimators, n_tasks, n_models), got {S.shape}.")
    if np.isinf(S).any():
        raise ValueError("scores contain infinity.")
    w = _check_weights(weights, [str(i) for i in range(S.shape[0])])
    n_est, n_tasks, n_models = S.shape
    Z = np.empty_like(S)
    for e in range(n_est):
        Z[e] = normalize_rows(S[e], normalize)
    known = ~np.isnan(Z) & (w[:, None, None] > 0)
    agg = np.full((n_tasks, n_models), np.nan)
    if aggregate == "mean":
        wk = np.where(known, w[:, None, None], 0.0)
        total = wk.sum(axis=0)
        num = np.where(known, Z, 0.0) * wk
        with np.errstate(invalid="ignore", divide="ignore"):
            agg = np.where(total > 0, num.sum(axis=0) / total, np.nan)
    else:
        for t in range(n_tasks):
            for m in range(n_models):
                k = known[:, t, m]
                if k.any():
                    agg[t, m] = _weighted_median(Z[k, t, m], w[k])
    if output == "score":
        return agg
    ranks = np.full_like(agg, np.nan)
    for t in range(n_tasks):
        k = ~np.isnan(agg[t])
        if k.any():
            ranks[t, k] = stats.rankdata(agg[t, k], method="min") - 1
    return ranks.astype(np.int64) if not np.isnan(ranks).any() else ranks


@validate_params(
    {
        **SCORE_ZOO_CONSTRAINTS,
        "normalize": [StrOptions(set(_NORMALIZE))],
        "aggregate": [StrOptions(set(_AGGREGATE))],
        "weights": ["array-like", Mapping, None],
        "output": [StrOptions(set(_OUTPUT))],
        "return_scores": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def proxy_ranks(
    tasks: Sequence[Any],
    estimators: Any = ("LogME", "PARC"),
    *,
    models: Sequence[str] | None = None,
    normalize: Literal["rank", "zscore", "minmax", "none"] = "rank",
    aggregate: Literal["mean", "median"] = "mean",
    weights: Any = None,
    output: Literal["rank", "score"] = "rank",
    missing: Literal["raise", "nan"] = "nan",
    error_score: Literal["raise"] | float = "raise",
    random_state: Any = None,
    return_scores: bool = False,
    n_jobs: int | None = None,
    verbose: int = 0,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Proxy ranks of the PTMs on each task: Model Spider's training labels.

    Fine-tuning every PTM on every training task is the truth but unaffordable, so Model
    Spider learns from an approximate ranking: several cheap transferability estimators
    score each (task, PTM), their scores are normalised per task and aggregated. Each
    estimator gets the input it declares (``input_kind``): the PTM's features
    (``task.get_model_features``) or its source-class probabilities
    (``task.get_model_probas``); a PTM without probabilities is not scored by the latter,
    and its aggregate uses the other estimators only (see `aggregate_scores`).

    Scoring runs through `skspider.transferability.score_zoo`, the engine of
    `skspider.transferability.TransferabilityRanker` too: joblib jobs over chunks of each
    task's (task, PTM) pairs (each PTM's arrays loaded once for all estimators, one PTM at a
    time; lazy loaders read by the workers), one job per task for set-level estimators, and
    side data (e.g. `OTCE`'s source set) routed from ``Task.side_data`` /
    ``Task.model_side_data``. Pick the joblib backend with `joblib.parallel_config`:
    "loky" (default), "threading" or a Dask cluster (``backend="dask"``); avoid
    "multiprocessing" once torch has started threads (it deadlocks after a fork).

    Parameters
    ----------
    tasks : sequence of Task
        Tasks with labels ``y`` and per-PTM features and/or probabilities.
    estimators : sequence or dict, default=("LogME", "PARC")
        Transferability estimators: class names of `skspider.transferability` (resolved when
        called, case-insensitively, default parameters) or instances; a dict maps labels to
        them. The default is the pair that agreed best with fine-tuning on the first glyph
        zoo's validation tasks (LEEP and NCE cannot score a PTM without a source head, and
        agreed worst); on the rebuilt zoo's validation tasks GBC alone agreed better (its
        report, ``estimator_tau_w``, gives each estimator's agreement). `PARC`
        subsamples tasks larger than its ``max_samples`` (its cost grows with the square of
        the task size).
    models : sequence of str, default=None
        PTMs to rank, in column order. None: every PTM with features or probabilities in
        any task, in order of appearance. A PTM a task lacks is NaN there.
    normalize : {"rank", "zscore", "minmax", "none"}, default="rank"
        Per-task normalisation of each estimator's scores; see `aggregate_scores`.
    aggregate : {"mean", "median"}, default="mean"
        How normalised scores are combined over estimators (weighted).
    weights : array-like or dict, default=None
        Weight per estimator (in ``estimators`` order, or by label); None: equal.
    output : {"rank", "score"}, default="rank"
        Integer ranks 0 .. M-1, larger = better, ties sharing the lowest rank (as in the
        paper's proxy-rank files), or the aggregated scores.
    missing : {"raise", "nan"}, default="nan"
        A task lacking a PTM's input that an estimator consumes (e.g. no source
        probabilities for LEEP): left unscored, NaN, so the aggregate uses the other
        estimators ("nan"), or a `ValueError` naming the task, PTMs and estimators ("raise").
    error_score : "raise" or float, default="raise"
        When an estimator fails on a (task, PTM) (degenerate features, say): re-raise with
        the estimator, task and PTM in the message, or warn
        (`sklearn.exceptions.FitFailedWarning`, naming them) and use this value (``np.nan``:
        treat as not scored).
    random_state : int, RandomState instance or None, default=None
        Seeds every estimator that takes a ``random_state`` (e.g. ``"NLEEP"`` by name),
        overriding its own: the i-th estimator gets the i-th of ``len(estimators)``
        integers drawn from ``check_random_state(random_state)``, so an int gives the same
        ranks on every call. None: estimators keep their own ``random_state``.
    return_scores : bool, default=False
        Also return the raw scores, one DataFrame per estimator.
    n_jobs : int, default=None
        Parallel jobs (joblib convention: None is 1 unless in a `joblib.parallel_config`
        context, -1 all cores).
    verbose : int, default=0
        When > 0, a progress bar over the (task, PTM) pairs on ``sys.stderr`` (tqdm's when
        installed, else a line at every 10%), advanced as the joblib jobs finish.

    Returns
    -------
    ranks : DataFrame of shape (n_tasks, n_models)
        Index: task names (positions for unnamed tasks); columns: models. int64 when all
        entries are known, else float64 with NaN.
    scores : dict of str to DataFrame
        Only with ``return_scores``: raw scores per estimator label.

    See Also
    --------
    aggregate_scores : The normalisation and aggregation, on raw scores.
    skspider.dummy.PriorRanker : The baseline any ranker trained on these labels must beat.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.base import Task
    >>> from skspider.tasks import proxy_ranks
    >>> from skspider.transferability import BaseTransferabilityEstimator
    >>> class Separation(BaseTransferabilityEstimator):  # a toy Fisher ratio
    ...     def _fit(self, X, y):
    ...         means = np.array([X[y == c].mean(0) for c in np.unique(y)])
    ...         within = sum(X[y == c].var(0).sum() for c in np.unique(y))
    ...         return means.var(0).sum() / within
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> task = Task(y=y, name="t0", model_features={
    ...     "good": rng.normal(size=(40, 3)) + 3 * y[:, None],
    ...     "bad": rng.normal(size=(40, 3))})
    >>> proxy_ranks([task], [Separation()])
        good  bad
    t0     1    0
    """
    resolved = resolve_estimators(estimators)
    labels = [label for label, _ in resolved]
    w = _check_weights(weights, labels)
    raw = score_zoo(
        tasks,
        dict(resolved),
        models=models,
        missing=missing,
        error_score=error_score,
        random_state=random_state,
        n_jobs=n_jobs,
        verbose=verbose,
    )
    S = np.stack([raw[label].to_numpy() for label in labels])
    if np.isnan(S).all():
        raise ValueError(
            "No estimator could score any (task, PTM): each failed (see the warnings) or "
            "lacked its input (features-estimators need model_features, probas-estimators "
            "model_probas)."
        )
    ranks = aggregate_scores(S, normalize=normalize, aggregate=aggregate, weights=w, output=output)
    first = raw[labels[0]]
    frame = pd.DataFrame(ranks, index=first.index, columns=first.columns)
    if not return_scores:
        return frame
    return frame, raw
