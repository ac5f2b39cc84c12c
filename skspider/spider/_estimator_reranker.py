"""`EstimatorReranker`: re-rank a ranker's top-k PTMs with a transferability estimator."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, Literal

import numpy as np
from sklearn.base import clone

from .._sklearn_compat import HasMethods, Interval, StrOptions
from ..base import Task, check_task_sequence
from ..transferability import LogME, get_estimator, score_zoo
from ._ranker import SpiderRanker
from ._topk import _TopKReranker

__all__ = ["EstimatorReranker"]


class EstimatorReranker(_TopKReranker):
    """Re-rank the top-k PTMs of any ranker with a transferability estimator.

    Model Spider's two stages with an estimator as the second one: a base ranker (by
    default `SpiderRanker`, which needs no PTM forward pass) ranks the zoo, then only its
    top-``k`` PTMs of each task get a forward pass and are scored by a transferability
    estimator (`~skspider.transferability.LogME` by default) on their own features of the
    task, and re-ordered by it. `select` says which PTMs those are; only their arrays are
    loaded.

    The merge: an estimator's scores are on another scale than the ranker's, so the two
    are never sorted together (the authors' "re-score the top-k, sort everything" needs
    one scale). The top-k keep the top-k positions, re-ordered among themselves by the
    estimator's scores (equal scores keep the base order); the other PTMs keep the base
    ranker's scores and order. A top-k PTM the estimator could not score (NaN: its array
    is missing with ``missing="nan"``, or the estimator failed with a float
    ``error_score``) keeps its base order after the scored ones, with a warning.

    Parameters
    ----------
    ranker : ranker, Pipeline ending in one, or FrozenEstimator of a fitted one, default=None
        The base ranker: any skspider ranker (`SpiderRanker`, `~skspider.dummy.PriorRanker`,
        ...) or a `~sklearn.pipeline.Pipeline` ending in one (e.g. a
        `~skspider.tasks.TaskTokenizer` then a `SpiderRanker`). ``None`` means
        ``SpiderRanker()``. Cloned and fitted in ``fit``; wrap a fitted one in
        `~sklearn.frozen.FrozenEstimator` to use it as it is (``fit`` then only chooses
        ``k``, when ``k="auto"``).
    estimator : transferability estimator or str, default=None
        Scores a PTM from its features (or source-class probabilities, as its
        ``input_kind`` says) and the task's labels: an instance of a
        `skspider.transferability` estimator (cloned for each PTM, never modified), or its
        name (`~skspider.transferability.get_estimator`). None means ``LogME()``.
    k : int or "auto", default=3
        How many of the base ranking's top PTMs get a forward pass and are re-ordered (0:
        the base ranking unchanged).
    k_candidates : sequence of int or None, default=None
        The values tried when ``k="auto"``. None: 0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50,
        70, 100, ... up to the zoo size, which is always tried.
    validation_fraction : float, default=0.2
        Share of the training tasks held out to choose ``k`` when ``k="auto"`` (the base
        ranker is fitted on the rest, k chosen, and the base ranker refitted on all tasks).
        Unused with a frozen base ranker: k is then chosen on all the tasks given to ``fit``.
    missing : {"raise", "nan"}, default="raise"
        A task lacking the array the estimator consumes for one of its top-k PTMs: a
        `ValueError` naming the task and the PTMs, before any work ("raise"), or the PTM is
        left unscored ("nan", see the merge above).
    error_score : "raise" or float, default="raise"
        The estimator failing on a (task, PTM): re-raise with the task, PTM and estimator
        in the message ("raise"), or warn (`sklearn.exceptions.FitFailedWarning`) and use
        this value (``np.nan``: unscored).
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split of ``k="auto"`` and the estimator when it takes a
        ``random_state`` (see `~skspider.transferability.score_zoo`).
    n_jobs : int, default=None
        Parallel jobs (joblib) of the estimator over the (task, PTM) pairs.

    Attributes
    ----------
    ranker_ : ranker or Pipeline
        The fitted base ranker (for a `~sklearn.frozen.FrozenEstimator`, the one it wraps).
    k_ : int
        The ``k`` used by ``predict``.
    k_candidates_ : list of int
        The values tried (``k="auto"`` only).
    k_scores_ : dict of int to float
        Mean tau_w of each candidate on the validation tasks (``k="auto"`` only).
    models_ : ndarray of shape (n_models,)
        Model names, those of the base ranker.
    n_models_ : int
        Number of models.
    n_features_in_ : int
        As the base ranker's, when it has one.

    See Also
    --------
    RerankTransformer : Re-rank the top-k with the PTMs' own tokens in the network instead.
    skspider.transferability.TransferabilityRanker : An estimator on every PTM (no base
        ranker: a forward pass of every PTM).

    Notes
    -----
    ``X`` (in ``fit`` and ``predict``) is a sequence of `~skspider.base.Task`. Each one
    carries its labels ``y``, the per-PTM arrays the estimator consumes
    (``model_features`` or ``model_probas``, keyed by the names of ``models_``, matched as
    strings; values may be zero-argument loaders, and only the top-k's are called), and
    what the base ranker reads: the task is passed to it as it is, so a `SpiderRanker`
    reads ``tokens``, a Pipeline starting with a `~skspider.tasks.TaskTokenizer` reads the
    general features ``X``, `~skspider.dummy.PriorRanker` reads nothing. In a Pipeline,
    put ``TaskTokenizer(model_tokens=True)`` before it: that tokenizer returns copies of
    the tasks with ``tokens`` set and their ``model_features`` kept (with
    ``model_tokens=False`` it returns bare token arrays, which carry neither labels nor
    PTM features).

    With ``k="auto"``, choosing k scores the top PTMs of the validation tasks up to the
    largest candidate (by default the whole zoo: every PTM of those tasks gets a forward
    pass, once). Estimators whose score of a PTM depends on the other PTMs (set-level)
    see the top-k of each task only.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skspider.base import Task
    >>> from skspider.dummy import PriorRanker
    >>> from skspider.spider import EstimatorReranker
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 20)
    >>> def task(good):  # the PTM ``good`` separates the classes, the others do not
    ...     return Task(y=y, model_features={
    ...         m: rng.normal(size=(40, 3)) + 3.0 * (m == good) * y[:, None] for m in "abc"})
    >>> train = [task("a") for _ in range(4)]
    >>> Y = pd.DataFrame([[0.9, 0.6, 0.3]] * 4, columns=["a", "b", "c"])  # records
    >>> rerank = EstimatorReranker(PriorRanker(), k=2).fit(train, Y)
    >>> new = task("b")
    >>> rerank.select([new])  # the prior's top 2: only these get a forward pass
    [array(['a', 'b'], dtype=object)]
    >>> rerank.predict_rank([new])  # LogME puts "b" before "a"; "c" stays third
    array([[2, 1, 3]])
    """

    _parameter_constraints: dict = {
        "ranker": [HasMethods(["fit", "predict"]), None],
        "estimator": [HasMethods(["fit", "score_models"]), str, None],
        "k": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "k_candidates": ["array-like", None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "missing": [StrOptions({"raise", "nan"})],
        "error_score": [StrOptions({"raise"}), Real],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        ranker: Any = None,
        *,
        estimator: Any = None,
        k: int | Literal["auto"] = 3,
        k_candidates: Sequence[int] | None = None,
        validation_fraction: float = 0.2,
        missing: Literal["raise", "nan"] = "raise",
        error_score: Literal["raise"] | float = "raise",
        random_state: int | np.random.RandomState | None = None,
        n_jobs: int | None = None,
    ):
        self.ranker = ranker
        self.estimator = estimator
        self.k = k
        self.k_candidates = k_candidates
        self.validation_fraction = validation_fraction
        self.missing = missing
        self.error_score = error_score
        self.random_state = random_state
        self.n_jobs = n_jobs

    # -- the hooks of _TopKReranker ------------------------------------------------------
    def _default_ranker(self) -> SpiderRanker:
        return SpiderRanker()

    def _check_ranker(self, inner: Any) -> None:
        self._estimator()  # a bad estimator is refused before any fit

    @staticmethod
    def _check_X(X: Any) -> list[Task]:
        if isinstance(X, np.ndarray) or hasattr(X, "iloc") or hasattr(X, "tocsr"):
            raise TypeError(
                "EstimatorReranker takes X as a sequence of skspider.base.Task carrying "
                "labels (y), the PTMs' features (model_features or model_probas) and what "
                "the base ranker reads (e.g. tokens); an array has no labels or PTM features "
                "to score the top-k with."
            )
        return check_task_sequence(X)

    def _estimator(self):
        estimator = LogME() if self.estimator is None else clone(get_estimator(self.estimator))
        if getattr(estimator, "input_kind", None) not in ("features", "probas"):
            raise TypeError(
                "estimator must be a transferability estimator declaring input_kind "
                f"'features' or 'probas'; {type(estimator).__name__} declares "
                f"{getattr(estimator, 'input_kind', None)!r}."
            )
        return estimator

    def _rescore(self, ranker: Any, X: list[Task], general: np.ndarray, top: np.ndarray):
        estimator = self._estimator()
        kind = estimator.input_kind
        names = np.asarray([[str(m) for m in self.models_[row]] for row in top], dtype=object)
        views = []
        for t, task in enumerate(X):
            by_name = {
                str(key): value for key, value in (getattr(task, f"model_{kind}") or {}).items()
            }
            absent = [m for m in names[t] if m not in by_name]
            if absent and self.missing == "raise":
                raise ValueError(
                    f"X[{t}] (task {task.name!r}) has no model_{kind} for its top-k PTMs "
                    f"{absent[:10]}, which {type(estimator).__name__} needs; give them, or pass "
                    "missing='nan' to leave them unscored."
                )
            # A view of the task holding the top-k's arrays only: nothing else is loaded.
            chosen = {m: by_name[m] for m in names[t] if m in by_name}
            arrays = {"model_features": None, "model_probas": None, "model_tokens": None}
            arrays[f"model_{kind}"] = chosen or None
            views.append(dataclasses.replace(task, **arrays))
        new = np.full(top.shape, np.nan)
        if any(getattr(view, f"model_{kind}") for view in views):
            frame = score_zoo(
                views,
                {"estimator": estimator},
                missing="nan",
                error_score=self.error_score,
                random_state=self.random_state,
                n_jobs=self.n_jobs,
            )["estimator"]
            column = {name: j for j, name in enumerate(frame.columns)}
            values = frame.to_numpy()
            for t, row in enumerate(names):
                for j, m in enumerate(row):
                    if m in column:
                        new[t, j] = values[t, column[m]]
        n_unscored = int(np.isnan(new).sum())
        if n_unscored:
            warnings.warn(
                f"{type(estimator).__name__} could not score {n_unscored} (task, PTM) pairs of "
                f"the top-k on {int(np.isnan(new).any(axis=1).sum())} tasks; those PTMs keep "
                "their base order after the scored ones.",
                UserWarning,
                stacklevel=4,
            )
        return new

    @staticmethod
    def _merge(general: np.ndarray, top: np.ndarray, new: np.ndarray) -> np.ndarray:
        k = top.shape[1]
        final = np.array(general, dtype=np.float64, copy=True)
        rest = np.ones(general.shape, dtype=bool)
        np.put_along_axis(rest, top, False, axis=1)
        floor = np.where(rest & ~np.isnan(general), general, -np.inf).max(axis=1)
        floor = np.where(np.isfinite(floor), floor, 0.0)  # every PTM re-scored
        # Best estimator score first; a stable sort keeps the base order among equal
        # scores and among the unscored (NaN), which go last.
        order = np.argsort(np.where(np.isnan(new), np.inf, -new), axis=1, kind="stable")
        # The top-k take the k positions above every other PTM, in the merged order.
        values = floor[:, None] + (k - np.arange(k))[None, :]
        np.put_along_axis(final, np.take_along_axis(top, order, axis=1), values, axis=1)
        return final

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # X is a sequence of Task objects (labels and PTM features), never a 2-D array:
        # scikit-learn's array-based common checks cannot apply; tests/spider runs the API
        # ones on tasks.
        tags.input_tags.two_d_array = False
        return tags
