"""A ranker that borrows the rankings of the most similar training tasks."""

from __future__ import annotations

from numbers import Integral
from typing import Any, Literal

import numpy as np
from sklearn.metrics import pairwise_distances
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import Interval, StrOptions, fit_context
from ..base import BaseRanker
from ..base._numeric import normalize_rows
from ._tokens import mean_tokens, token_sets

__all__ = ["NearestTasksRanker"]

# Rows of test tokens per block of the Chamfer distance: bounds the (rows x training tokens)
# distance matrix held at once to about 32 MB.
_BLOCK_ELEMENTS = 4_000_000


def _chamfer(A: list[np.ndarray], B: list[np.ndarray]) -> np.ndarray:
    """``(len(A), len(B))`` symmetric Chamfer distances between token sets.

    ``d(S, T) = (mean_{s in S} min_{t in T} |s - t| + mean_{t in T} min_{s in S} |s - t|) / 2``
    (Euclidean). Computed from one stacked distance matrix per block of ``A``, reduced by
    segment (`numpy.minimum.reduceat`), never one pair at a time.
    """
    b_tokens = np.concatenate(B)
    b_sizes = np.array([len(s) for s in B])
    b_starts = np.r_[0, np.cumsum(b_sizes)[:-1]]
    out = np.empty((len(A), len(B)))
    per_block = max(1, _BLOCK_ELEMENTS // max(1, b_tokens.shape[0]))
    i = 0
    while i < len(A):
        # Whole tasks of A, about per_block tokens in all.
        j, n_rows = i, 0
        while j < len(A) and (j == i or n_rows + len(A[j]) <= per_block):
            n_rows += len(A[j])
            j += 1
        a_tokens = np.concatenate(A[i:j])
        a_sizes = np.array([len(s) for s in A[i:j]])
        a_starts = np.r_[0, np.cumsum(a_sizes)[:-1]]
        D = pairwise_distances(a_tokens, b_tokens)
        # min over each B set, for every token of A: (a_tokens, len(B)); mean per A set.
        a_to_b = np.add.reduceat(np.minimum.reduceat(D, b_starts, axis=1), a_starts, axis=0)
        b_to_a = np.add.reduceat(np.minimum.reduceat(D, a_starts, axis=0), b_starts, axis=1)
        out[i:j] = 0.5 * (a_to_b / a_sizes[:, None] + b_to_a / b_sizes[None, :])
        i = j
    return out


class NearestTasksRanker(BaseRanker):
    """Rank models for a task by the rankings of the most similar training tasks.

    A k-nearest-neighbours baseline over tasks: the score of each model is the mean of its
    normalised performance (by default, its rank scaled to [0, 1]) on the ``n_neighbors``
    training tasks closest to the new task. Tasks are compared by their token sets, so a
    task whose classes resemble those of a training task borrows its ranking, whatever the
    form of the task-model interaction, as long as similar tasks rank alike.

    Parameters
    ----------
    n_neighbors : int, default=10
        Number of training tasks averaged (at most the number of training tasks).
    metric : {"chamfer", "mean"}, default="chamfer"
        Distance between tasks. "chamfer": the symmetric Chamfer distance between token sets,
        the average over the tokens of each set of the Euclidean distance to the nearest
        token of the other (half each way); it compares the classes, not only their centre.
        "mean": the Euclidean distance between mean tokens. For one token per task (2-D
        ``X``) both are the Euclidean distance.
    weights : {"uniform", "distance"}, default="uniform"
        How the neighbours' rows are averaged: equally, or by inverse distance (a neighbour
        at distance 0 then decides alone).
    normalize : {"rank", "none", "zscore", "minmax"}, default="rank"
        Per-task normalisation of ``Y`` before averaging (as in `PriorRanker`): "rank" makes
        every task's row a ranking in [0, 1] whatever its scale or its unknown entries.

    Attributes
    ----------
    train_sets_ : list of ndarray
        The training tasks' token sets.
    train_scores_ : ndarray of shape (n_train_tasks, n_models)
        The normalised training rows (NaN = unknown).
    prior_ : ndarray of shape (n_models,)
        Mean normalised row over all training tasks: the score of a model unknown on every
        neighbour of a task.
    models_ : ndarray of shape (n_models,)
        Model names (columns of a DataFrame ``Y``), else ``0 .. n_models - 1``.
    n_models_ : int
        Number of models.
    n_features_in_ : int
        Token width.

    See Also
    --------
    PriorRanker : All training tasks, equally weighted.
    RidgeRanker : A regression on the mean token.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.dummy import NearestTasksRanker
    >>> tokens = [np.zeros((2, 2)), np.ones((3, 2)), np.full((2, 2), 5.0)]
    >>> Y = np.array([[3.0, 2.0, 1.0], [2.0, 3.0, 1.0], [1.0, 2.0, 3.0]])
    >>> ranker = NearestTasksRanker(n_neighbors=1).fit(tokens, Y)
    >>> ranker.predict_rank([np.full((1, 2), 4.0)])  # nearest to the third task
    array([[3, 2, 1]])
    """

    _parameter_constraints: dict = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions({"chamfer", "mean"})],
        "weights": [StrOptions({"uniform", "distance"})],
        "normalize": [StrOptions({"none", "rank", "zscore", "minmax"})],
    }

    def __init__(
        self,
        *,
        n_neighbors: int = 10,
        metric: Literal["chamfer", "mean"] = "chamfer",
        weights: Literal["uniform", "distance"] = "uniform",
        normalize: Literal["rank", "none", "zscore", "minmax"] = "rank",
    ):
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.weights = weights
        self.normalize = normalize

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> NearestTasksRanker:
        """Store the training tasks' token sets and normalised rows.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            One token per task, one ``(n_tokens_i, n_features)`` set per task (ragged is
            fine), or `~skspider.base.Task` objects with ``tokens`` set.
        y : array-like or DataFrame of shape (n_tasks, n_models)
            ``Y``: performances or proxy ranks, larger = better, NaN = unknown.

        Returns
        -------
        self : NearestTasksRanker
        """
        sets = token_sets(self, X, reset=True)
        Y = self._validate_targets(y, reset=True)
        self._check_n_tasks(sets, Y)
        empty = np.flatnonzero(np.isnan(Y).all(axis=0))
        if empty.size:
            raise ValueError(
                f"models {self.models_[empty][:10].tolist()} have no known performance in Y; "
                f"{type(self).__name__} cannot rank them."
            )
        self.train_sets_ = [s.copy() for s in sets]
        self.train_scores_ = normalize_rows(Y, self.normalize)
        self.prior_ = np.nanmean(self.train_scores_, axis=0)
        return self

    def _distances(self, sets: list[np.ndarray]) -> np.ndarray:
        if self.metric == "mean":
            return pairwise_distances(mean_tokens(sets), mean_tokens(self.train_sets_))
        return _chamfer(sets, self.train_sets_)

    def kneighbors(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """The nearest training tasks of each task, nearest first.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            As in `fit`.

        Returns
        -------
        distances : ndarray of shape (n_tasks, n_neighbors_used)
            Distances to the neighbours (``n_neighbors_used = min(n_neighbors,
            n_train_tasks)``).
        indices : ndarray of shape (n_tasks, n_neighbors_used)
            Their positions among the training tasks.
        """
        check_is_fitted(self)
        D = self._distances(token_sets(self, X, reset=False))
        k = min(self.n_neighbors, D.shape[1])
        # Stable sort: among equally distant tasks, the earlier training task comes first.
        index = np.argsort(D, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(D, index, axis=1), index

    def predict(self, X: Any) -> np.ndarray:
        """Each model's mean normalised score over the task's nearest training tasks.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            As in `fit`, of the fitted token width.

        Returns
        -------
        scores : ndarray of shape (n_tasks, n_models)
            Larger = better. A model unknown on all of a task's neighbours gets ``prior_``.
        """
        distances, index = self.kneighbors(X)
        if self.weights == "uniform":
            w = np.ones_like(distances)
        else:
            with np.errstate(divide="ignore"):
                w = 1.0 / distances
            exact = np.isinf(w)
            w = np.where(exact.any(axis=1, keepdims=True), exact.astype(float), w)
        rows = self.train_scores_[index]  # (n_tasks, k, n_models)
        known = ~np.isnan(rows)
        weight = w[:, :, None] * known
        total = weight.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = (np.where(known, rows, 0.0) * weight).sum(axis=1) / total
        return np.where(total > 0, scores, self.prior_)
