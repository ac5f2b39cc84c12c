"""A ranker that ignores the task: the aggregate ranking of the training tasks."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import StrOptions
from ..base import BaseRanker
from ..base._numeric import normalize_rows

__all__ = ["PriorRanker"]


class PriorRanker(BaseRanker):
    """Rank models the same way for every task: by their aggregate over the training tasks.

    The baseline every learned ranker must beat. It uses no target data: on the paper's
    figures, the mean proxy rank over the 13 training tasks reaches a mean tau_w of 0.777 on
    the 8 test sets, above every transferability estimator and close to Model Spider's 0.800.

    Parameters
    ----------
    aggregate : {"mean", "median"}, default="mean"
        How the (normalised) training rows are combined, per model, ignoring NaN.
    normalize : {"none", "rank", "zscore", "minmax"}, default="none"
        Per-task normalisation applied before aggregating: "none" keeps ``Y`` as given (right
        for proxy ranks, which already share a scale); "rank" turns each row into ranks scaled
        to [0, 1] (a Borda count with ``aggregate="mean"``); "zscore" and "minmax" rescale
        raw performances of tasks with different ranges.

    Attributes
    ----------
    prior_ : ndarray of shape (n_models,)
        The score predicted for every task.
    models_ : ndarray of shape (n_models,)
        Model names (columns of a DataFrame ``Y``), else ``0 .. n_models - 1``.
    n_models_ : int
        Number of models.
    n_features_in_ : int
        Token width seen in ``fit`` (only when ``X`` holds token arrays).

    See Also
    --------
    skspider.metrics.mean_weighted_tau : The metric of ``score``.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.dummy import PriorRanker
    >>> Y = np.array([[0, 2, 1], [0, 1, 2], [1, 2, 0]])
    >>> X = np.ones((3, 1))  # the prior ignores task features
    >>> ranker = PriorRanker().fit(X, Y)
    >>> ranker.predict(np.ones((1, 1)))
    array([[0.333..., 1.666..., 1. ]])
    >>> ranker.predict_rank(np.ones((1, 1)))
    array([[3, 1, 2]])
    """

    _parameter_constraints: dict = {
        "aggregate": [StrOptions({"mean", "median"})],
        "normalize": [StrOptions({"none", "rank", "zscore", "minmax"})],
    }

    def __init__(
        self,
        aggregate: Literal["mean", "median"] = "mean",
        normalize: Literal["none", "rank", "zscore", "minmax"] = "none",
    ):
        self.aggregate = aggregate
        self.normalize = normalize

    def fit(self, X: Any, y: Any) -> PriorRanker:
        """Compute the prior from the training tasks' performances.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            The training tasks; only their number is used (and their validity checked).
        y : array-like or DataFrame of shape (n_tasks, n_models)
            ``Y``: performances or proxy ranks, larger = better, NaN = unknown.

        Returns
        -------
        self : PriorRanker
        """
        self._validate_params()
        tasks = self._validate_tasks(X, reset=True)
        Y = self._validate_targets(y, reset=True)
        self._check_n_tasks(tasks, Y)
        unknown = np.flatnonzero(np.isnan(Y).all(axis=0))
        if unknown.size:
            raise ValueError(
                f"models {self.models_[unknown][:10].tolist()} have no known performance in Y; "
                "the prior cannot rank them."
            )
        Z = normalize_rows(Y, self.normalize)
        agg = np.nanmean if self.aggregate == "mean" else np.nanmedian
        self.prior_ = agg(Z, axis=0)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The prior, repeated for each task in ``X``.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            The tasks; only their number is used.

        Returns
        -------
        scores : ndarray of shape (n_tasks, n_models)
        """
        check_is_fitted(self)
        tasks = self._validate_tasks(X, reset=False)
        return np.tile(self.prior_, (len(tasks), 1))
