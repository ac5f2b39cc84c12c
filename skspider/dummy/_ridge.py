"""A per-model ridge regression on the mean task token."""

from __future__ import annotations

from numbers import Real
from typing import Any, Literal

import numpy as np
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import Interval, StrOptions, fit_context
from ..base import BaseRanker
from ..base._numeric import normalize_rows
from ._tokens import mean_tokens, token_sets

__all__ = ["RidgeRanker"]


class RidgeRanker(BaseRanker):
    """Predict each model's score from the task's mean token with a ridge regression.

    A strong, simple learned baseline: for every model of the zoo, one ridge regression of
    its (normalised) performance or proxy rank on the task's mean token, fitted on the
    training tasks where that model's performance is known (NaN entries of ``Y`` are left
    out model by model). It learns any task-model interaction that is linear in the mean
    token; it cannot see how the tokens are spread (which class suits a model best).

    Parameters
    ----------
    alphas : float or array-like of float, default=(1e-3, 1e-2, 1e-1, 1, 10, 100, 1000)
        Regularisation strength. One value: used for every model. Several: each model gets
        the one of smallest efficient leave-one-out error on its training tasks, as
        `~sklearn.linear_model.RidgeCV` chooses it (``alpha_``).
    fit_intercept : bool, default=True
        Fit an intercept per model (without it, the mean token must explain the model's
        average score too).
    normalize : {"none", "rank", "zscore", "minmax"}, default="none"
        Per-task normalisation of ``Y`` before fitting (as in `PriorRanker`): "none" for
        proxy ranks, which already share a scale; "zscore" or "minmax" for raw accuracies
        of tasks with different ranges.

    Attributes
    ----------
    coef_ : ndarray of shape (n_models, n_features)
        Weights of the mean-token features, one row per model.
    intercept_ : ndarray of shape (n_models,)
        Intercepts (0 when ``fit_intercept=False``).
    alpha_ : ndarray of shape (n_models,)
        The regularisation strength used for each model.
    models_ : ndarray of shape (n_models,)
        Model names (columns of a DataFrame ``Y``), else ``0 .. n_models - 1``.
    n_models_ : int
        Number of models.
    n_features_in_ : int
        Token width.

    See Also
    --------
    PriorRanker : The same score for every task.
    NearestTasksRanker : Borrow the rankings of the most similar training tasks.
    sklearn.linear_model.RidgeCV : The regression, with its leave-one-out choice of alpha.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.dummy import RidgeRanker
    >>> rng = np.random.default_rng(0)
    >>> tokens = [rng.normal(size=(4, 3)) for _ in range(30)]  # 4 class tokens per task
    >>> means = np.array([t.mean(axis=0) for t in tokens])
    >>> Y = np.c_[means[:, 0], -means[:, 0], means[:, 1]]  # the best model depends on the task
    >>> ranker = RidgeRanker().fit(tokens[:20], Y[:20])
    >>> ranker.coef_.shape
    (3, 3)
    >>> ranker.score(tokens[20:], Y[20:]) > 0.9
    True
    """

    _parameter_constraints: dict = {
        "alphas": [Interval(Real, 0, None, closed="neither"), "array-like"],
        "fit_intercept": ["boolean"],
        "normalize": [StrOptions({"none", "rank", "zscore", "minmax"})],
    }

    def __init__(
        self,
        *,
        alphas: float | Any = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0),
        fit_intercept: bool = True,
        normalize: Literal["none", "rank", "zscore", "minmax"] = "none",
    ):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.normalize = normalize

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> RidgeRanker:
        """Fit one ridge regression per model on the training tasks' mean tokens.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            One token per task, one ``(n_tokens_i, n_features)`` set per task (ragged is
            fine), or `~skspider.base.Task` objects with ``tokens`` set.
        y : array-like or DataFrame of shape (n_tasks, n_models)
            ``Y``: performances or proxy ranks, larger = better, NaN = unknown.

        Returns
        -------
        self : RidgeRanker
        """
        alphas = np.atleast_1d(np.asarray(self.alphas, dtype=np.float64))
        if alphas.ndim != 1 or alphas.size == 0 or not (np.isfinite(alphas) & (alphas > 0)).all():
            raise ValueError(f"alphas must be positive finite floats, got {self.alphas!r}.")
        sets = token_sets(self, X, reset=True)
        Y = self._validate_targets(y, reset=True)
        self._check_n_tasks(sets, Y)
        known = ~np.isnan(Y)
        empty = np.flatnonzero(~known.any(axis=0))
        if empty.size:
            raise ValueError(
                f"models {self.models_[empty][:10].tolist()} have no known performance in Y; "
                f"{type(self).__name__} cannot rank them."
            )
        Z = normalize_rows(Y, self.normalize)
        F = mean_tokens(sets)
        self.coef_ = np.zeros((Y.shape[1], F.shape[1]))
        self.intercept_ = np.zeros(Y.shape[1])
        self.alpha_ = np.full(Y.shape[1], alphas[0])
        # Models known on the same tasks share one multi-output fit (usually all of them).
        patterns = {}
        for m in range(Y.shape[1]):
            patterns.setdefault(known[:, m].tobytes(), []).append(m)
        for columns in patterns.values():
            rows = known[:, columns[0]]
            self._fit_group(F[rows], Z[np.ix_(rows, columns)], columns, alphas)
        return self

    def _fit_group(self, F: np.ndarray, Z: np.ndarray, columns: list, alphas: np.ndarray):
        if F.shape[0] < 2:
            # One known task: nothing to regress on, predict its value.
            self.intercept_[columns] = Z[0] if self.fit_intercept else 0.0
            return
        if alphas.size == 1:
            model = Ridge(alpha=alphas[0], fit_intercept=self.fit_intercept).fit(F, Z)
        else:
            model = RidgeCV(alphas=alphas, fit_intercept=self.fit_intercept, alpha_per_target=True)
            model.fit(F, Z)
            self.alpha_[columns] = model.alpha_
        self.coef_[columns] = model.coef_
        self.intercept_[columns] = model.intercept_

    def predict(self, X: Any) -> np.ndarray:
        """Each model's predicted score from the task's mean token.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            As in `fit`, of the fitted token width.

        Returns
        -------
        scores : ndarray of shape (n_tasks, n_models)
            Larger = better.
        """
        check_is_fitted(self)
        F = mean_tokens(token_sets(self, X, reset=False))
        return F @ self.coef_.T + self.intercept_
