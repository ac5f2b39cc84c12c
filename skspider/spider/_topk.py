"""What the re-rankers share: the base ranker, the top-k selection, k's grid and k="auto".

`RerankTransformer` (PTM-specific tokens) and `EstimatorReranker` (a transferability
estimator) both rank the zoo with a base ranker, give the top-k PTMs of each task a forward
pass, and merge the new scores into the base ranking. Everything but the re-scoring and the
merge lives here, once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import fit_context, safe_indexing
from ..base import BaseRanker
from ..metrics import mean_weighted_tau
from ._training import split_tasks

__all__ = ["k_grid", "top_k"]


def k_grid(n_models: int) -> list[int]:
    """0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, ... below ``n_models``, and ``n_models``."""
    grid, decade = {0, n_models}, 1
    while decade <= n_models:
        grid.update(v for v in (decade, 1.5 * decade, 2 * decade, 3 * decade, 5 * decade,
                                7 * decade) if v <= n_models and v == int(v))  # fmt: skip
        decade *= 10
    return sorted(int(v) for v in grid)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """``(n_tasks, min(k, n_models))`` indices of each task's k best models, best first.

    The tie rule of every re-ranker: a stable sort, so equal scores go to the lower model
    index (the earlier column); NaN scores come last.
    """
    return np.argsort(-scores, axis=1, kind="stable")[:, : min(int(k), scores.shape[1])]


def final_ranker(ranker: Any) -> Any:
    """The ranker that names the models: ``ranker`` itself, the estimator inside a
    `~sklearn.frozen.FrozenEstimator`, or the last step of a `~sklearn.pipeline.Pipeline`."""
    while True:
        if isinstance(ranker, FrozenEstimator):
            ranker = ranker.estimator
        elif isinstance(ranker, Pipeline):
            ranker = ranker.steps[-1][1]
        else:
            return ranker


class _TopKReranker(BaseRanker):
    """Base class of the re-rankers (private): fit the base ranker, choose k, select.

    Subclasses set ``ranker``, ``k``, ``k_candidates``, ``validation_fraction`` and
    ``random_state`` in ``__init__`` and implement:

    * ``_default_ranker()``: the base ranker when ``ranker=None``;
    * ``_check_ranker(inner)``: raise `TypeError` for a base ranker they cannot use;
    * ``_check_X(X)``: validate the tasks (returned as they are passed to the base ranker);
    * ``_rescore(ranker, X, general, top)``: the new scores ``(n_tasks, K)`` of the PTMs
      ``top`` (indices, best first) of each task; NaN where a PTM could not be scored;
    * ``_merge(general, top, new)``: the final ``(n_tasks, n_models)`` scores.
    """

    # -- fit --------------------------------------------------------------------------------
    @fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any) -> _TopKReranker:
        """Fit the base ranker (unless frozen) and choose ``k`` (when ``k="auto"``).

        Parameters
        ----------
        X : tasks
            The training tasks, as the base ranker takes them (see the class).
        y : array-like or DataFrame of shape (n_tasks, n_models)
            ``Y``: performances (NaN = missing record) or proxy ranks, larger = better. May
            be None with a frozen base ranker and an integer ``k`` (nothing is learnt).

        Returns
        -------
        self
            The fitted re-ranker.
        """
        X = self._check_X(X)
        candidates = None
        if self.k_candidates is not None:
            candidates = sorted({int(c) for c in np.atleast_1d(self.k_candidates)})
            if self.k == "auto" and (not candidates or min(candidates) < 0):
                raise ValueError(f"k_candidates must be non-negative integers, got {candidates}.")
        ranker = self._default_ranker() if self.ranker is None else self.ranker
        frozen = isinstance(ranker, FrozenEstimator)
        inner = ranker.estimator if frozen else ranker
        self._check_ranker(inner)
        if frozen:
            check_is_fitted(inner)
            self.ranker_ = inner
            if self.k == "auto":
                self._choose_k(inner, X, y, candidates)
        elif self.k == "auto":
            rng = check_random_state(self.random_state)
            train, valid = split_tasks(len(X), self.validation_fraction, rng, what="k='auto'")
            held_out = clone(inner).fit(safe_indexing(X, train), safe_indexing(y, train))
            self._choose_k(held_out, safe_indexing(X, valid), safe_indexing(y, valid), candidates)
            self.ranker_ = clone(inner).fit(X, y)
        else:
            self.ranker_ = clone(inner).fit(X, y)
        if self.k != "auto":
            self.k_ = int(self.k)
        self._copy_fitted(self.ranker_)
        return self

    def _copy_fitted(self, ranker: Any) -> None:
        last = final_ranker(ranker)
        if not hasattr(last, "models_"):
            raise TypeError(
                f"the base ranker {type(last).__name__} has no models_ after fit: give a "
                "skspider ranker (or a Pipeline ending in one)."
            )
        self.models_ = last.models_
        self.n_models_ = len(last.models_)
        if hasattr(ranker, "n_features_in_"):
            self.n_features_in_ = ranker.n_features_in_

    def _choose_k(self, ranker: Any, X: Any, y: Any, candidates: list[int] | None) -> None:
        """``k_`` of the best mean tau_w on the tasks ``X`` (ties: the smallest k)."""
        self._copy_fitted(ranker)  # names of the models, to align y
        if candidates is None:
            candidates = k_grid(self.n_models_)
        self.k_candidates_ = candidates
        Y = self._validate_targets(y, reset=False)
        self._check_n_tasks(list(range(len(X))), Y)
        keep = np.flatnonzero((~np.isnan(Y)).sum(axis=1) >= 2)
        if not keep.size:
            raise ValueError("k='auto' needs validation tasks with at least 2 known models.")
        X, Y = safe_indexing(X, keep), Y[keep]
        general = ranker.predict(X)
        # The top-k of a smaller k are the first columns of a larger one's (one sort): the
        # largest candidate's PTMs are re-scored once, and each k merges its first columns.
        top = top_k(general, max(candidates))
        new = self._rescore(ranker, X, general, top) if top.shape[1] else top.astype(float)
        self.k_scores_ = {}
        for k in candidates:
            kk = min(k, top.shape[1])
            scores = self._merge(general, top[:, :kk], new[:, :kk]) if kk else general
            self.k_scores_[k] = float(mean_weighted_tau(Y, scores, nan_policy="omit"))
        # Best score; the smallest k among ties (fewer PTM forward passes).
        self.k_ = max(candidates, key=lambda k: (self.k_scores_[k], -k))

    # -- prediction -------------------------------------------------------------------------
    def _top(self, general: np.ndarray) -> np.ndarray:
        return top_k(general, self.k_)

    def select(self, X: Any) -> list[np.ndarray]:
        """The PTMs of each task that get a forward pass: the base ranking's top ``k_``.

        Ties in the base ranker's scores go to the earlier model of ``models_`` (a stable
        sort); `predict` re-scores exactly these PTMs, so a caller never needs to recompute
        the top-k.

        Parameters
        ----------
        X : tasks
            As for `predict`.

        Returns
        -------
        models : list of ndarray
            Per task, the names (elements of ``models_``) of its ``min(k_, n_models_)``
            selected PTMs, best first by the base ranker.
        """
        check_is_fitted(self)
        X = self._check_X(X)
        top = self._top(self.ranker_.predict(X))
        return [self.models_[row] for row in top]

    def predict(self, X: Any) -> np.ndarray:
        """Scores of every model: the base ranking with its top ``k_`` re-scored and merged.

        Parameters
        ----------
        X : tasks
            As for ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_tasks, n_models)
            Larger = better.
        """
        check_is_fitted(self)
        X = self._check_X(X)
        general = self.ranker_.predict(X)
        top = self._top(general)
        if top.shape[1] == 0:
            return general
        return self._merge(general, top, self._rescore(self.ranker_, X, general, top))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
