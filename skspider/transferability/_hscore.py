"""H-score and its shrinkage-regularised variant."""

from __future__ import annotations

from numbers import Real
from typing import ClassVar, Literal

import numpy as np
from sklearn.covariance import ledoit_wolf_shrinkage

from .._sklearn_compat import Interval, StrOptions
from ..base._numeric import class_means
from ._base import BaseTransferabilityEstimator

__all__ = ["HScore"]


class HScore(BaseTransferabilityEstimator):
    """H-score: how much of the feature covariance the class means explain.

    ``H = tr(cov(f)^+ cov(E[f | y]))``: the between-class covariance of the features
    measured in the metric of their inverse (pseudo-inverse) total covariance. It lies in
    ``[0, C - 1]`` and reaches ``C - 1`` (saturates) whenever ``N <= D``, where the features
    can separate any labelling. Higher = better. Invariant to any invertible linear map of
    the features (so to their scale) when their covariance has full rank.

    With ``shrinkage``, the regularised H-score of Ibrahim et al.: the total covariance is
    replaced by a shrunk estimate ``(1 - a) S + a tr(S) / D I`` and the between-class
    term is scaled by ``(1 - a)``; this keeps the score informative when ``N <= D``.

    Parameters
    ----------
    shrinkage : None, "ledoit_wolf" or float in [0, 1], default=None
        None: the plain H-score (pseudo-inverse of the sample covariance). "ledoit_wolf":
        the regularised H-score with the Ledoit-Wolf shrinkage ``a``. A float: that fixed
        shrinkage ``a``.

    Attributes
    ----------
    score_ : float
        The H-score; higher = better.
    shrinkage_ : float
        The shrinkage ``a`` used (0 for the plain H-score).
    classes_ : ndarray of shape (n_classes,)
        The original class labels (remapped to ``0 .. C-1`` in sorted order).
    n_features_in_ : int
        Number of features.

    See Also
    --------
    LogME : The evidence of a linear model on the same features.

    Notes
    -----
    As in the reference implementations, the shrunk covariance (Ledoit-Wolf's) is the
    maximum-likelihood one (divided by N) while the between-class covariance is divided by
    N - 1. Features are centred (the score is invariant to a shift).

    References
    ----------
    .. [1] Y. Bao, Y. Li, S.-L. Huang, L. Zhang, L. Zheng, A. Zamir, L. Guibas. "An
       Information-Theoretic Approach to Transferability in Task Transfer Learning".
       ICIP 2019.
    .. [2] S. Ibrahim, N. Ponomareva, R. Mazumder. "Newer is not always better: Rethinking
       transferability metrics, their peculiarities, stability and performance".
       ECML PKDD 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import HScore
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> X = rng.normal(size=(100, 3)) + 3.0 * y[:, None]
    >>> 0 < HScore().score(X, y) < 1  # at most C - 1 = 1
    True
    >>> HScore(shrinkage="ledoit_wolf").score(X, y) < HScore().score(X, y)
    True
    """

    input_kind: ClassVar[str] = "features"

    _parameter_constraints: dict = {
        "shrinkage": [None, StrOptions({"ledoit_wolf"}), Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, *, shrinkage: Literal["ledoit_wolf"] | float | None = None):
        self.shrinkage = shrinkage

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        n, d = X.shape
        F = X - X.mean(axis=0)
        # Rows replaced by their class mean: the features' conditional expectation E[f | y].
        means, _ = class_means(F, y, len(self.classes_))
        G = means[y]
        cov_g = (G.T @ G) / (n - 1)
        if self.shrinkage is None:
            self.shrinkage_ = 0.0
            cov_f = (F.T @ F) / (n - 1)
            return float(np.trace(np.linalg.pinv(cov_f, rcond=1e-15, hermitian=True) @ cov_g))
        a = (
            float(ledoit_wolf_shrinkage(F, assume_centered=True))
            if self.shrinkage == "ledoit_wolf"
            else float(self.shrinkage)
        )
        self.shrinkage_ = a
        S = (F.T @ F) / n
        cov_f = (1.0 - a) * S
        cov_f.flat[:: d + 1] += a * np.trace(S) / d
        inv = np.linalg.pinv(cov_f, rcond=1e-15, hermitian=True)
        return float(np.trace(inv @ ((1.0 - a) * cov_g)))
