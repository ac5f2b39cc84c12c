"""TransferabilityRanker: a transferability estimator applied to every PTM of a zoo."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, Literal

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import HasMethods, Interval, StrOptions
from ..base import BaseRanker, check_performance_matrix, check_task_sequence
from ..metrics import rank_scores
from ._engine import _score_zoo, seed_estimators
from ._logme import LogME
from ._lookup import get_estimator

__all__ = ["TransferabilityRanker"]


def _check_tasks(X: Any) -> list:
    if isinstance(X, np.ndarray) or hasattr(X, "iloc"):
        raise TypeError(
            "TransferabilityRanker takes X as a sequence of skspider.base.Task carrying "
            "per-PTM arrays and labels; a 2-D array has neither, so it cannot be scored."
        )
    return check_task_sequence(X)


class TransferabilityRanker(BaseRanker):
    """Rank the PTMs of a zoo on each task by a transferability estimator.

    A ranker with no learning: on each task, every PTM is scored by ``estimator`` on that
    PTM's own arrays of the task (its features, or its source-class probabilities,
    whichever the estimator's ``input_kind`` asks for) and the task's labels. It follows
    the ranker contract (`predict`, `predict_rank`, `score` = mean weighted tau against
    true performances), so transferability baselines and learned rankers such as
    ``SpiderRanker`` are compared in one loop.

    Parameters
    ----------
    estimator : transferability estimator or str, default=None
        An instance of a `skspider.transferability` estimator (cloned, never modified), or
        its name (see `get_estimator`: every estimator this package exports). None means
        ``LogME()``.
    missing : {"raise", "nan"}, default="raise"
        A task lacking the estimator's input for a PTM of the zoo: a `ValueError` naming
        the task and the PTMs ("raise"), or a NaN score there ("nan").
    error_score : "raise" or float, default="raise"
        The estimator failing on a (task, PTM): re-raise with the task, PTM and estimator
        in the message ("raise"), or warn (`sklearn.exceptions.FitFailedWarning`, naming
        them) and use this value.
    random_state : int, RandomState instance or None, default=None
        Seeds the estimator when it takes a ``random_state`` (e.g. `NLEEP` given by name),
        overriding its own; None keeps the estimator's. See `score_zoo`.
    n_jobs : int, default=None
        Parallel jobs (joblib) over chunks of the (task, PTM) pairs, or over tasks for
        estimators whose score of a PTM depends on the other PTMs (``set_level``) or that
        define their own ``score_models``. None means 1 unless in a
        `joblib.parallel_config` context; -1 uses all processors.
    verbose : int, default=0
        When > 0, `predict` shows a progress bar over the (task, PTM) pairs on
        ``sys.stderr`` (see `score_zoo`).

    Attributes
    ----------
    models_ : ndarray of shape (n_models,), dtype=object
        The PTM names, in the order of the columns of `predict`.
    n_models_ : int
        Number of PTMs.

    See Also
    --------
    skspider.transferability.LogME : The default estimator.
    skspider.dummy.PriorRanker : A ranker ignoring the target task.
    score_zoo : The engine that scores the zoo (several estimators at once).

    Notes
    -----
    ``X`` is a sequence of `skspider.base.Task`; each must carry, for every PTM of the zoo,
    an array of the kind the estimator consumes (``task.model_features`` or
    ``task.model_probas``, possibly lazy loaders, which are called inside the workers), and
    any side data the estimator takes (``task.side_data`` / ``task.model_side_data``, e.g.
    `OTCE`'s source set). A plain 2-D array cannot be scored: it has neither per-PTM arrays
    nor labels. Scoring runs through `score_zoo`, the engine `skspider.tasks.proxy_ranks`
    uses too.

    The zoo is fixed in `fit`: by the columns of a DataFrame ``y`` when given, else by
    the PTMs of the first task that carry the estimator's input kind, in their order. An
    array ``y`` is only checked to have one column per PTM.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.base import Task
    >>> from skspider.transferability import LogME, TransferabilityRanker
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 20)
    >>> signal = np.eye(5)[y]
    >>> task = Task(y=y, model_features={
    ...     "weak": rng.normal(size=(60, 5)) + 0.3 * signal,
    ...     "strong": rng.normal(size=(60, 5)) + 3.0 * signal})
    >>> ranker = TransferabilityRanker(LogME()).fit([task])
    >>> list(ranker.models_)
    ['weak', 'strong']
    >>> ranker.predict_rank([task])
    array([[2, 1]])
    >>> ranker.score([task], np.array([[0.6, 0.9]]))
    1.0
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "score_models"]), str, None],
        "missing": [StrOptions({"raise", "nan"})],
        "error_score": [StrOptions({"raise"}), Real],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": [Interval(Integral, 0, None, closed="left"), "boolean"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        missing: Literal["raise", "nan"] = "raise",
        error_score: Literal["raise"] | float = "raise",
        random_state=None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ):
        self.estimator = estimator
        self.missing = missing
        self.error_score = error_score
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _estimator(self):
        if self.estimator is None:
            return LogME()
        return clone(get_estimator(self.estimator))

    def _input_kind(self) -> str:
        kind = getattr(self._estimator(), "input_kind", None)
        if kind not in ("features", "probas"):
            raise TypeError(
                f"estimator must be a transferability estimator declaring input_kind "
                f"'features' or 'probas'; {type(self.estimator).__name__} declares {kind!r}."
            )
        return kind

    def fit(self, X: Any, y: Any = None) -> TransferabilityRanker:
        """Record the zoo: the PTM names and their order.

        Parameters
        ----------
        X : sequence of Task
            Tasks carrying per-PTM arrays.
        y : array-like or DataFrame of shape (n_tasks, n_models), default=None
            Optional performances. A DataFrame's columns name the zoo; an array must
            have one column per PTM of the first task. Nothing is learnt from the values.

        Returns
        -------
        self : TransferabilityRanker
        """
        self._validate_params()
        tasks = _check_tasks(X)
        kind = self._input_kind()
        mapping = tasks[0].model_features if kind == "features" else tasks[0].model_probas
        first = list(mapping or [])
        if y is None:
            names = None
        else:
            Y, names = check_performance_matrix(y, name="y")
            if len(tasks) != Y.shape[0]:
                raise ValueError(
                    f"X has {len(tasks)} tasks but y has {Y.shape[0]} rows; they must match."
                )
            if names is None and Y.shape[1] != len(first):
                raise ValueError(
                    f"y has {Y.shape[1]} model columns but the first task carries "
                    f"{len(first)} models with model_{kind}; pass y as a DataFrame whose "
                    "columns name the models."
                )
        if names is None:
            if not first:
                raise ValueError(
                    f"X[0] carries no model_{kind}, which {type(self._estimator()).__name__} "
                    "needs; the zoo cannot be read from it."
                )
            names = first
        self.models_ = np.asarray(list(names), dtype=object)
        self.n_models_ = len(self.models_)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Score every PTM of the zoo on each task.

        Parameters
        ----------
        X : sequence of Task
            Tasks carrying, for every PTM in ``models_``, the estimator's input kind.

        Returns
        -------
        scores : ndarray of shape (n_tasks, n_models)
            Transferability scores, higher = better.
        """
        check_is_fitted(self)
        tasks = _check_tasks(X)
        self._input_kind()
        estimator = self._estimator()
        resolved = seed_estimators([(type(estimator).__name__, estimator)], self.random_state)
        S = _score_zoo(
            tasks,
            resolved,
            list(self.models_),
            missing=self.missing,
            error_score=self.error_score,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            name="X",
        )
        return S[0]

    def predict_rank(self, X: Any) -> np.ndarray:
        """Integer ranks of the PTMs on each task, 1 = best.

        Tied scores share the smallest rank of their group (1, 2, 2, 4). PTMs left unscored
        (NaN, with ``missing="nan"`` or ``error_score=np.nan``) share the rank after the
        last scored one on their task, never a meaningless integer.

        Parameters
        ----------
        X : sequence of Task
            As for `predict`.

        Returns
        -------
        ranks : ndarray of shape (n_tasks, n_models), int
        """
        return rank_scores(self.predict(X), nan_policy="last")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # X is a sequence of Task objects, never a 2-D array: scikit-learn's array-based
        # common checks cannot apply (tests/transferability/test_ranker.py runs the API ones).
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags
