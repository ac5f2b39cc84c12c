"""The one engine that scores a zoo of PTMs on tasks with transferability estimators.

`TransferabilityRanker.predict` and `skspider.tasks.proxy_ranks` both run through
`score_zoo`, so they share one set of rules: which array each estimator gets, which side
data is routed to it, what a missing PTM and a failing estimator do, how work is split over
joblib workers, and how estimators taking a ``random_state`` are seeded.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, Literal

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import check_random_state

from .._progress import progress_bar
from .._sklearn_compat import Interval, StrOptions, validate_params
from ..base import check_task_sequence, load_array, load_value
from ._base import BaseTransferabilityEstimator
from ._lookup import get_estimator

__all__ = ["score_zoo"]


# -- estimators ----------------------------------------------------------------------------------
def resolve_estimators(estimators: Any) -> list[tuple[str, BaseTransferabilityEstimator]]:
    """``[(label, estimator), ...]`` from a name, an instance, a sequence or a dict of them."""
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


def seed_estimators(
    resolved: list[tuple[str, BaseTransferabilityEstimator]], random_state: Any
) -> list[tuple[str, BaseTransferabilityEstimator]]:
    """Clones whose ``random_state`` (when they take one) is set from ``random_state``.

    None leaves every estimator as given. Otherwise ``check_random_state(random_state)``
    draws one integer per estimator, in order, and the i-th estimator that has a
    ``random_state`` parameter gets the i-th integer (overriding its own): an int seed gives
    the same scores on every call, and distinct estimators get distinct streams.
    """
    if random_state is None:
        return resolved
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=len(resolved))
    out = []
    for (label, est), seed in zip(resolved, seeds):
        if "random_state" in est.get_params(deep=False):
            est = clone(est).set_params(random_state=int(seed))
        out.append((label, est))
    return out


def _side_input_names(est) -> tuple[str, ...]:
    # A duck-typed estimator without BaseTransferabilityEstimator.side_inputs takes none.
    names = getattr(est, "side_inputs", None)
    return tuple(names()) if callable(names) else ()


def _whole_task(est) -> bool:
    # A duck-typed estimator (fit and score_models, no BaseTransferabilityEstimator) is
    # handed each task's PTMs at once through its score_models.
    check = getattr(est, "_scores_whole_task", None)
    return True if check is None else bool(check())


# -- the policies --------------------------------------------------------------------------------
def _with_location(exc: Exception, where: str) -> Exception:
    """``exc`` with ``where`` in its message: a new exception of the same type when it can
    be built from one message, else ``exc`` itself with ``where`` as a note."""
    message = f"{where}: {exc}"
    try:
        new = type(exc)(message)
    except Exception:
        new = None
    if new is not None and str(new) == message:
        return new
    exc.add_note(where)
    return exc


def _failed(exc: Exception, where: str, error_score: Any, n: int, notes: list) -> np.ndarray:
    if isinstance(error_score, str):  # "raise"
        located = _with_location(exc, where)
        if located is exc:
            raise exc
        raise located from exc
    # Warned by the caller in the main process: warnings raised in joblib's worker
    # processes would be lost.
    notes.append(
        f"{where} failed ({type(exc).__name__}: {exc}); its score is set to {error_score}."
    )
    return np.full(n, float(error_score))


# -- the jobs (module level: they travel to joblib / Dask workers) -------------------------------
def _score_pairs(y, items, estimators, error_score):
    """Independent estimators on a chunk of one task's PTMs: one PTM loaded at a time, and
    each of its arrays loaded once for all the estimators."""
    out = np.full((len(items), len(estimators)), np.nan)
    notes: list[str] = []
    for row, (where, sources, side) in enumerate(items):
        cache: dict[str, np.ndarray] = {}
        for i, (label, est) in enumerate(estimators):
            source = sources.get(est.input_kind)
            if source is None:
                continue  # missing="nan": e.g. LEEP on a PTM without a source head
            try:  # loading too: a failing loader (a lost cache file) gets its location
                if est.input_kind not in cache:
                    cache[est.input_kind] = load_array(source)
                params = {k: load_value(side[k]) for k in _side_input_names(est) if k in side}
                # A fresh clone: a user's fitted estimator scores only its own fit data.
                fitted = clone(est).fit(cache[est.input_kind], y, **params)
                out[row, i] = float(fitted.score_)
            except Exception as exc:
                out[row, i] = _failed(exc, f"{label} on {where}", error_score, 1, notes)[0]
    return out, notes


def _score_set(y, sources, est, where, error_score):
    """A whole-task estimator (set-level, or with its own ``score_models``) on one task."""
    present = [i for i, s in enumerate(sources) if s is not None]
    out = np.full(len(sources), np.nan)
    notes: list[str] = []
    if present:
        try:
            values = est.score_models([load_array(sources[i]) for i in present], y)
        except Exception as exc:
            values = _failed(exc, where, error_score, len(present), notes)
        out[present] = np.asarray(values, dtype=np.float64)
    return out, notes


def _task_label(task, t: int):
    return task.name if task.name is not None else t


def zoo_models(tasks: Sequence[Any], kinds: Sequence[str]) -> list[str]:
    """Every PTM any task carries an input of ``kinds`` for, in order of appearance."""
    seen: dict[str, None] = {}
    for task in tasks:
        for kind in kinds:
            seen.update(dict.fromkeys(getattr(task, f"model_{kind}") or {}))
    return list(seen)


def _score_zoo(
    tasks: list,
    resolved: list[tuple[str, BaseTransferabilityEstimator]],
    models: list[str],
    *,
    missing: str,
    error_score: Any,
    n_jobs: int | None,
    verbose: int,
    name: str,
) -> np.ndarray:
    """Raw scores ``(n_estimators, n_tasks, n_models)`` of validated inputs (see `score_zoo`)."""
    kinds = {est.input_kind for _, est in resolved}
    if missing == "raise":
        # Checked here, before any work: a name per (task, PTM, input kind) lookup is cheap.
        for t, task in enumerate(tasks):
            for kind in sorted(kinds):
                mapping = getattr(task, f"model_{kind}") or {}
                absent = [m for m in models if m not in mapping]
                if absent:
                    users = [lab for lab, est in resolved if est.input_kind == kind]
                    raise ValueError(
                        f"{name}[{t}] (task {task.name!r}) has no model_{kind} for models "
                        f"{absent[:10]}, which {users} need; give every task those arrays, or "
                        "pass missing='nan' to leave such (task, PTM) pairs unscored (NaN)."
                    )

    whole = [_whole_task(est) for _, est in resolved]
    pair_index = [i for i, w in enumerate(whole) if not w]
    pair_ests = [resolved[i] for i in pair_index]
    pair_kinds = {est.input_kind for _, est in pair_ests}
    side_names = sorted({k for _, est in pair_ests for k in _side_input_names(est)})
    for i, w in enumerate(whole):
        label, est = resolved[i]
        if w and _side_input_names(est):
            raise TypeError(
                f"{label} scores every PTM of a task at once and declares side inputs "
                f"{list(_side_input_names(est))}; the engine routes side data per (task, PTM) only."
            )

    # Jobs: the (task, PTM) pairs of a task in a few chunks (enough chunks for every worker,
    # few enough that scheduling costs stay small next to the estimators' work), plus one
    # job per (task, whole-task estimator).
    per_task = max(1, -(-4 * effective_n_jobs(n_jobs) // max(len(tasks), 1)))
    jobs, slots = [], []
    for t, task in enumerate(tasks):
        y = np.asarray(task.y)
        where_task = f"task {_task_label(task, t)!r}"
        if pair_ests:
            pairs = []
            for m, model in enumerate(models):
                sources = {
                    kind: (getattr(task, f"model_{kind}") or {}).get(model) for kind in pair_kinds
                }
                if any(s is not None for s in sources.values()):
                    side = task._side_entries(model, side_names) if side_names else {}
                    pairs.append((m, (f"{where_task}, model {model!r}", sources, side)))
            for chunk in np.array_split(np.arange(len(pairs)), min(per_task, len(pairs)) or 1):
                if len(chunk):
                    items = [pairs[i][1] for i in chunk]
                    jobs.append(delayed(_score_pairs)(y, items, pair_ests, error_score))
                    slots.append(("pair", t, [pairs[i][0] for i in chunk]))
        for e, w in enumerate(whole):
            if w:
                label, est = resolved[e]
                mapping = getattr(task, f"model_{est.input_kind}") or {}
                sources = [mapping.get(model) for model in models]
                where = f"{label} on {where_task}, models {models[:10]}"
                jobs.append(delayed(_score_set)(y, sources, est, where, error_score))
                slots.append(("set", t, e))

    S = np.full((len(resolved), len(tasks), len(models)), np.nan)
    # The bar counts (task, PTM) pairs (a set-level job: every PTM of its task) as the jobs
    # come back, in order, from a generator: it stays in this process, never in a worker.
    sizes = [len(k) if kind == "pair" else len(models) for kind, _, k in slots]
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs) if jobs else []
    with progress_bar(sum(sizes), desc="score_zoo", verbose=verbose, unit="pair") as bar:
        for (kind, t, k), size, (values, notes) in zip(slots, sizes, results):
            for note in notes:
                warnings.warn(note, FitFailedWarning, stacklevel=3)
            if kind == "pair":
                S[np.ix_(pair_index, [t], k)] = values.T[:, None, :]
            else:
                S[k, t, :] = values
            bar.update(size)
    return S


def check_models(models: Any, known: list[str], *, kinds: Sequence[str]) -> list[str]:
    """The PTM names to score: ``known`` for None, else validated names of ``known``."""
    if models is None:
        if not known:
            raise ValueError(
                f"The tasks carry no per-model {' or '.join(kinds)}: nothing to score."
            )
        return list(known)
    if isinstance(models, str):
        raise TypeError("models must be a sequence of names, not a single str.")
    model_list = [str(m) for m in models]
    if not model_list:
        raise ValueError("models is empty.")
    unknown = [m for m in model_list if m not in known]
    if unknown:
        raise ValueError(
            f"Unknown model names {unknown[:10]}: no task has {' or '.join(kinds)} for them "
            f"(known: {known[:20]})."
        )
    if len(set(model_list)) != len(model_list):
        raise ValueError("models contains duplicates.")
    return model_list


# score_zoo's parameters; proxy_ranks, which passes them on, adds its own to these.
SCORE_ZOO_CONSTRAINTS: dict = {
    "tasks": ["array-like"],
    "estimators": [str, BaseTransferabilityEstimator, Mapping, list, tuple],
    "models": ["array-like", None],
    "missing": [StrOptions({"raise", "nan"})],
    "error_score": [StrOptions({"raise"}), Real],
    "random_state": ["random_state"],
    "n_jobs": [Integral, None],
    "verbose": [Interval(Integral, 0, None, closed="left"), "boolean"],
}


@validate_params(SCORE_ZOO_CONSTRAINTS, prefer_skip_nested_validation=True)
def score_zoo(
    tasks: Sequence[Any],
    estimators: Any,
    *,
    models: Sequence[str] | None = None,
    missing: Literal["raise", "nan"] = "raise",
    error_score: Literal["raise"] | float = "raise",
    random_state: Any = None,
    n_jobs: int | None = None,
    verbose: int = 0,
) -> dict[str, pd.DataFrame]:
    """Scores of every PTM of a zoo on every task, by one or several estimators.

    The engine behind `TransferabilityRanker` and `skspider.tasks.proxy_ranks`. Each
    estimator gets, for each (task, PTM), the array its ``input_kind`` asks for (the task's
    ``model_features`` or ``model_probas`` of that PTM, lazy loaders read inside the
    workers) and the task's labels, plus any side data it declares (e.g. `OTCE`'s source
    set), taken from the task (`skspider.base.Task.get_side_data`) and passed to its `fit`.

    Work runs through joblib: independent estimators in jobs over (task, PTM) pairs (a
    task's PTMs in a few chunks, each PTM's arrays loaded once for all estimators, one PTM at
    a time), estimators whose score of a PTM depends on the others (``set_level``) or that
    define their own ``score_models`` in one job per (task, estimator). The backend is
    yours to choose with `joblib.parallel_config`: "loky" (the default), "threading" or a
    Dask cluster; avoid "multiprocessing" once torch has started threads (it forks them
    into a deadlock).

    Parameters
    ----------
    tasks : sequence of Task
        Tasks with labels ``y`` and per-PTM features and/or probabilities.
    estimators : str, estimator, sequence or dict
        Transferability estimators: class names of `skspider.transferability` (see
        `get_estimator`) or instances (never modified); a dict maps labels to them.
    models : sequence of str, default=None
        PTMs to score, in column order. None: every PTM any task carries an input of a kind
        the estimators consume, in order of appearance.
    missing : {"raise", "nan"}, default="raise"
        A task lacking a PTM's input that an estimator consumes: a `ValueError` naming the
        task, the PTMs and the estimators, before any work ("raise"), or a NaN score for
        that (task, PTM, estimator) ("nan"; whole-task estimators then score the PTMs the
        task has).
    error_score : "raise" or float, default="raise"
        An estimator failing on a (task, PTM) (degenerate features, say): re-raise the
        error with the estimator, task and PTM in its message ("raise"), or issue a
        `sklearn.exceptions.FitFailedWarning` naming them and use this value (``np.nan``:
        not scored).
    random_state : int, RandomState instance or None, default=None
        Seeds the estimators that take a ``random_state``, overriding theirs: one integer
        per estimator, drawn in order from ``check_random_state(random_state)``, so an int
        gives identical scores on every call. None: each estimator keeps its own.
    n_jobs : int, default=None
        Parallel jobs (joblib convention: None is 1 unless in a `joblib.parallel_config`
        context, -1 all cores).
    verbose : int, default=0
        When > 0, a progress bar over the (task, PTM) pairs on ``sys.stderr`` (tqdm's when
        installed, else a line at every 10%), advanced as the joblib jobs finish.

    Returns
    -------
    scores : dict of str to DataFrame of shape (n_tasks, n_models)
        Per estimator label (the class name unless ``estimators`` is a dict), its raw
        scores, higher = better, NaN where not scored. Index: task names (positions for
        unnamed tasks); columns: the models.

    See Also
    --------
    TransferabilityRanker : One estimator as a ranker (fit, predict, score).
    skspider.tasks.proxy_ranks : Several estimators' scores, normalised and aggregated.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.base import Task
    >>> from skspider.transferability import score_zoo
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> task = Task(y=y, name="t0", model_features={
    ...     "good": rng.normal(size=(40, 3)) + 3 * y[:, None],
    ...     "bad": rng.normal(size=(40, 3))})
    >>> scores = score_zoo([task], ["LogME", "HScore"])
    >>> sorted(scores), scores["LogME"].shape
    (['HScore', 'LogME'], (1, 2))
    >>> bool((scores["LogME"]["good"] > scores["LogME"]["bad"]).all())
    True
    """
    task_list = check_task_sequence(tasks, name="tasks")
    resolved = seed_estimators(resolve_estimators(estimators), random_state)
    kinds = sorted({est.input_kind for _, est in resolved})
    model_list = check_models(models, zoo_models(task_list, kinds), kinds=kinds)
    S = _score_zoo(
        task_list,
        resolved,
        model_list,
        missing=missing,
        error_score=error_score,
        n_jobs=n_jobs,
        verbose=verbose,
        name="tasks",
    )
    index = [_task_label(task, t) for t, task in enumerate(task_list)]
    return {
        label: pd.DataFrame(S[e], index=index, columns=model_list)
        for e, (label, _) in enumerate(resolved)
    }
