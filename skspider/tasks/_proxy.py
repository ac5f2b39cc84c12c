"""Proxy ranks: cheap training labels from transferability estimators, aggregated."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any, Literal

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from scipy import stats

from ..base import check_task_sequence, load_array
from ..base._numeric import normalize_rows
from ..transferability import BaseTransferabilityEstimator, get_estimator

__all__ = ["aggregate_scores", "proxy_ranks"]

_NORMALIZE = ("rank", "zscore", "minmax", "none")
_AGGREGATE = ("mean", "median")
_OUTPUT = ("rank", "score")


def _resolve_estimators(estimators: Any) -> list[tuple[str, BaseTransferabilityEstimator]]:
    if isinstance(estimators, (str, BaseTransferabilityEstimator)):
        estimators = [estimators]
    items = (
        list(estimators.items())
        if isinstance(estimators, Mapping)
        else [(None, e) for e in estimators]
    )
    if not items:
        raise ValueError("estimators is empty; give at least one transferability estimator.")
    resolved: list[tuple[str, BaseTransferabilityEstimator]] = []
    for label, est in items:
        if not isinstance(est, (str, BaseTransferabilityEstimator)):
            raise TypeError(
                "estimators must be names or instances of BaseTransferabilityEstimator "
                f"subclasses; got {type(est).__name__}."
            )
        est = get_estimator(est)
        label = label or type(est).__name__
        resolved.append((str(label), est))
    labels = [label for label, _ in resolved]
    dupes = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dupes:
        raise ValueError(
            f"Estimators {dupes} appear twice; give distinct labels with a dict "
            "{label: estimator}."
        )
    return resolved


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
    for label, value, options in (
        ("normalize", normalize, _NORMALIZE),
        ("aggregate", aggregate, _AGGREGATE),
        ("output", output, _OUTPUT),
    ):
        if value not in options:
            raise ValueError(f"{label} must be one of {list(options)}, got {value!r}.")
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


# -- the jobs (module level: they travel to joblib / Dask workers) -------------------------------
def _score(est, X, y, error_score, where):
    try:
        return float(est.score(X, y))
    except Exception as exc:
        if isinstance(error_score, str):
            if isinstance(exc, ValueError):
                raise ValueError(f"{where}: {exc}") from exc
            raise
        warnings.warn(f"{where} failed ({exc}); its score is {error_score}.", stacklevel=2)
        return float(error_score)


def _score_pair(y, feats, probas, estimators, error_score, where):
    """Independent estimators on one (task, PTM): loads each input at most once."""
    out = np.full(len(estimators), np.nan)
    cache = {}
    for i, (label, est) in enumerate(estimators):
        source = feats if est.input_kind == "features" else probas
        if source is None:
            continue  # e.g. LEEP on a PTM without a source head: not scored
        if est.input_kind not in cache:
            cache[est.input_kind] = load_array(source)
        out[i] = _score(est, cache[est.input_kind], y, error_score, f"{label} on {where}")
    return out


def _score_pairs(y, items, estimators, error_score, tname):
    """Independent estimators on a chunk of one task's PTMs, one PTM loaded at a time."""
    out = np.full((len(items), len(estimators)), np.nan)
    for row, (_, model, feats, probas) in enumerate(items):
        where = f"task {tname!r}, model {model!r}"
        out[row] = _score_pair(y, feats, probas, estimators, error_score, where)
    return out


def _score_set(y, sources, est, label, error_score, where):
    """A set-level estimator on one task: all its PTMs at once."""
    present = [i for i, s in enumerate(sources) if s is not None]
    out = np.full(len(sources), np.nan)
    if not present:
        return out
    try:
        values = est.score_models([load_array(sources[i]) for i in present], y)
    except Exception as exc:
        if isinstance(error_score, str):
            raise
        warnings.warn(f"{label} on {where} failed ({exc}); scores are {error_score}.", stacklevel=2)
        values = np.full(len(present), float(error_score))
    out[present] = np.asarray(values, dtype=np.float64)
    return out


def proxy_ranks(
    tasks: Sequence[Any],
    estimators: Any = ("LogME", "LEEP", "NCE", "HScore"),
    *,
    models: Sequence[str] | None = None,
    normalize: Literal["rank", "zscore", "minmax", "none"] = "rank",
    aggregate: Literal["mean", "median"] = "mean",
    weights: Any = None,
    output: Literal["rank", "score"] = "rank",
    error_score: Literal["raise"] | float = "raise",
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

    Work runs through joblib: independent estimators in jobs over (task, PTM) pairs (each
    PTM's arrays loaded once for all of them, one PTM at a time; a task's PTMs are grouped
    into a few jobs so that scheduling costs stay small), set-level ones (``set_level=True``,
    via ``score_models``) in one job per task. Any joblib backend works unchanged, e.g. a
    Dask cluster with ``joblib.parallel_config(backend="dask")``; lazy per-PTM arrays (cache
    loaders) are read by the workers.

    Parameters
    ----------
    tasks : sequence of Task
        Tasks with labels ``y`` and per-PTM features and/or probabilities.
    estimators : sequence or dict, default=("LogME", "LEEP", "NCE", "HScore")
        Transferability estimators: class names of `skspider.transferability` (resolved when
        called, case-insensitively, default parameters) or instances; a dict maps labels to
        them.
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
    error_score : "raise" or float, default="raise"
        When an estimator fails on a (task, PTM) (degenerate features, say): raise, or warn
        and use this value (``np.nan``: treat as not scored).
    return_scores : bool, default=False
        Also return the raw scores, one DataFrame per estimator.
    n_jobs : int, default=None
        Parallel jobs (joblib convention: None is 1 unless in a `joblib.parallel_config`
        context, -1 all cores).
    verbose : int, default=0
        joblib's progress messages.

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
    task_list = check_task_sequence(tasks, name="tasks")
    resolved = _resolve_estimators(estimators)
    labels = [label for label, _ in resolved]
    w = _check_weights(weights, labels)
    if not (error_score == "raise" or isinstance(error_score, Real)):
        raise ValueError(f"error_score must be 'raise' or a number, got {error_score!r}.")

    seen: dict[str, None] = {}
    for task in task_list:
        for mapping in (task.model_features, task.model_probas):
            seen.update(dict.fromkeys(mapping or {}))
    if models is None:
        model_list = list(seen)
        if not model_list:
            raise ValueError("The tasks carry no per-model features or probabilities.")
    else:
        if isinstance(models, str):
            raise TypeError("models must be a sequence of names, not a single str.")
        model_list = [str(m) for m in models]
        if not model_list:
            raise ValueError("models is empty.")
        unknown = [m for m in model_list if m not in seen]
        if unknown:
            raise ValueError(
                f"Unknown model names {unknown[:10]}: no task has features or probabilities "
                f"for them (known: {list(seen)[:20]})."
            )
        if len(set(model_list)) != len(model_list):
            raise ValueError("models contains duplicates.")

    # Set-level estimators, and those with their own score_models (OTCE with per-PTM source
    # sets), see every PTM of a task in one call; the others run per (task, PTM).
    whole = [est._scores_whole_task() for _, est in resolved]
    independent = [(i, lab, est) for i, (lab, est) in enumerate(resolved) if not whole[i]]
    set_level = [(i, lab, est) for i, (lab, est) in enumerate(resolved) if whole[i]]
    pair_ests = [(label, est) for _, label, est in independent]
    wants_probas = any(est.input_kind == "probas" for _, est in resolved)
    wants_feats = any(est.input_kind == "features" for _, est in resolved)

    # Jobs: the (task, PTM) pairs of a task in a few chunks (enough chunks for every worker,
    # few enough that scheduling costs stay small next to the estimators' work), plus one
    # job per (task, set-level estimator).
    per_task = max(1, -(-4 * effective_n_jobs(n_jobs) // len(task_list)))
    jobs, slots = [], []
    for t, task in enumerate(task_list):
        y = np.asarray(task.y)
        feats = task.model_features or {}
        probas = task.model_probas or {}
        tname = task.name if task.name is not None else t
        if pair_ests:
            pairs = []
            for m, model in enumerate(model_list):
                f = feats.get(model) if wants_feats else None
                p = probas.get(model) if wants_probas else None
                if f is not None or p is not None:
                    pairs.append((m, model, f, p))
            n_chunks = min(per_task, len(pairs))
            for chunk in np.array_split(np.arange(len(pairs)), n_chunks) if pairs else []:
                items = [pairs[i] for i in chunk]
                jobs.append(delayed(_score_pairs)(y, items, pair_ests, error_score, tname))
                slots.append(("pair", t, [m for m, _, _, _ in items]))
        for e, label, est in set_level:
            source = feats if est.input_kind == "features" else probas
            sources = [source.get(model) for model in model_list]
            jobs.append(delayed(_score_set)(y, sources, est, label, error_score, f"task {tname!r}"))
            slots.append(("set", t, e))

    S = np.full((len(resolved), len(task_list), len(model_list)), np.nan)
    pair_index = [i for i, _, _ in independent]
    results = Parallel(n_jobs=n_jobs, verbose=verbose)(jobs) if jobs else []
    for (kind, t, k), values in zip(slots, results):
        if kind == "pair":
            S[np.ix_(pair_index, [t], k)] = values.T[:, None, :]
        else:
            S[k, t, :] = values

    index = [task.name if task.name is not None else t for t, task in enumerate(task_list)]
    if np.isnan(S).all(axis=0).all():
        raise ValueError(
            "No estimator could score any (task, PTM): features-estimators need "
            "model_features, probas-estimators need model_probas."
        )
    ranks = aggregate_scores(S, normalize=normalize, aggregate=aggregate, weights=w, output=output)
    frame = pd.DataFrame(ranks, index=index, columns=model_list)
    if not return_scores:
        return frame
    raw = {
        label: pd.DataFrame(S[e], index=index, columns=model_list) for e, label in enumerate(labels)
    }
    return frame, raw
