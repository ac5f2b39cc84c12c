"""The base class of every ranker: tasks in, one score per model out."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from ..metrics import mean_weighted_tau, rank_scores
from ._task import Task
from ._validation import _is_dataframe, check_performance_matrix, check_token_sets

__all__ = ["BaseRanker"]


class BaseRanker(BaseEstimator):
    """Base class for rankers of pre-trained models.

    A ranker learns from tasks ``X`` and a ``(n_tasks, n_models)`` matrix ``Y`` of
    performances or proxy ranks (larger = better, NaN = unknown) and predicts, for new tasks,
    one score per model (larger = better).

    Subclasses implement ``fit`` (calling `_validate_targets` and, usually, `_validate_tasks`)
    and ``predict``; this class supplies `predict_rank` and `score` (mean weighted tau, paper
    convention), so `~sklearn.model_selection.GridSearchCV` and
    `~sklearn.model_selection.cross_validate` work without a ``scoring`` argument.

    Attributes
    ----------
    models_ : ndarray of shape (n_models,)
        Model names: the columns of a DataFrame ``Y``, else ``0 .. n_models - 1``
        (set by `_validate_targets` in ``fit``).
    n_models_ : int
        Number of models.
    """

    # -- validation helpers for subclasses ---------------------------------------------------
    def _validate_targets(self, Y: Any, *, reset: bool = True) -> np.ndarray:
        """Check ``Y``; on ``reset`` record ``models_``, else align ``Y`` to them."""
        if Y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None: "
                "give the (n_tasks, n_models) performances."
            )
        arr, names = check_performance_matrix(Y, name="Y")
        if reset:
            self.models_ = names if names is not None else np.arange(arr.shape[1])
            self.n_models_ = arr.shape[1]
            return arr
        if arr.shape[1] != self.n_models_:
            raise ValueError(
                f"Y has {arr.shape[1]} model columns, but {type(self).__name__} was fitted "
                f"on {self.n_models_} models."
            )
        if names is not None and self.models_.dtype == object:
            missing = sorted(set(self.models_) - set(names))
            if missing:
                raise ValueError(f"Y lacks columns for fitted models {missing[:10]}.")
            position = {name: i for i, name in enumerate(names)}
            arr = arr[:, [position[m] for m in self.models_]]
        return arr

    def _validate_tasks(self, X: Any, *, reset: bool = True) -> list:
        """Check ``X``: a 2-D array, a sequence of token sets, or a sequence of `Task`.

        Returns a list with one entry per task: a ``(n_tokens, n_features)`` float64 array
        for token inputs, the `Task` itself for task inputs. Token inputs set (on ``reset``)
        or check ``n_features_in_``.
        """
        if (
            isinstance(X, (list, tuple))
            and X
            and all(isinstance(t, Task) and t.tokens is None for t in X)
        ):
            return list(X)
        if (isinstance(X, np.ndarray) and X.dtype != object) or _is_dataframe(X) or sp.issparse(X):
            arr = validate_data(self, X, reset=reset, dtype=np.float64)
            return [arr[i : i + 1] for i in range(arr.shape[0])]
        if not reset:
            check_is_fitted(self)
        sets = check_token_sets(
            X,
            n_features=None if reset else getattr(self, "n_features_in_", None),
            estimator_name=type(self).__name__,
        )
        if reset:
            self.n_features_in_ = sets[0].shape[1]
        return sets

    @staticmethod
    def _check_n_tasks(tasks: list, Y: np.ndarray) -> None:
        if len(tasks) != Y.shape[0]:
            raise ValueError(
                f"X has {len(tasks)} tasks but Y has {Y.shape[0]} rows; they must match."
            )

    # -- the contract -----------------------------------------------------------------------
    def predict(self, X: Any) -> np.ndarray:  # pragma: no cover - abstract
        """Scores of every model on each task, ``(n_tasks, n_models)``, larger = better."""
        raise NotImplementedError

    def predict_rank(self, X: Any) -> np.ndarray:
        """Integer ranks of the models on each task, 1 = best.

        Tied scores share the smallest rank of their group (competition ranking: 1, 2, 2, 4):
        `skspider.metrics.rank_scores` of `predict`. A `~sklearn.pipeline.Pipeline` ending in a
        ranker has no ``predict_rank``; use ``rank_scores(pipe.predict(X))``.

        Parameters
        ----------
        X : tasks
            As for ``predict``.

        Returns
        -------
        ranks : ndarray of shape (n_tasks, n_models), int
        """
        return rank_scores(self.predict(X))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean weighted Kendall tau (paper convention) between ``Y`` and the prediction.

        NaN entries of ``Y`` (unknown performances) are left out task by task, and a task
        with fewer than two known models (nothing to order; ``fit`` accepts it) is left out of
        the mean; if no task has two, the score is 0.0, the value of an uninformative ranking
        (see `skspider.metrics.mean_weighted_tau`). A DataFrame ``Y`` is aligned to
        ``models_`` by column name.

        Parameters
        ----------
        X : tasks
            As for ``predict``.
        y : array-like or DataFrame of shape (n_tasks, n_models)
            ``Y``, the true performances, larger = better. (Named ``y`` as in scikit-learn.)
        sample_weight : array-like of shape (n_tasks,), default=None
            Weights of the tasks in the mean.

        Returns
        -------
        score : float
            Mean tau_w over tasks, in [-1, 1].
        """
        check_is_fitted(self)
        Y = self._validate_targets(y, reset=False)
        return mean_weighted_tau(Y, self.predict(X), nan_policy="omit", sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags
