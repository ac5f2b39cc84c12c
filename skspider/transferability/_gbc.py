"""GBC: Gaussian Bhattacharyya Coefficient between the classes of the target task."""

from __future__ import annotations

from numbers import Integral
from typing import Literal

import numpy as np

from .._sklearn_compat import Interval, StrOptions
from ._base import BaseTransferabilityEstimator
from ._linalg import class_means, pca_reduce

__all__ = ["GBC"]

# Floor on per-dimension class variances: constant features must not give log(0).
_VAR_FLOOR = 1e-4


class GBC(BaseTransferabilityEstimator):
    """Gaussian Bhattacharyya Coefficient: how much the classes overlap (Pándy et al., 2022).

    Each class is modelled by a Gaussian in the PTM's feature space (after an optional PCA);
    the score is minus the sum of the Bhattacharyya coefficients ``exp(-D_B)`` over every
    ordered pair of distinct classes::

        GBC = - sum_{c != c'} exp(-D_B(c, c'))
        D_B = 1/8 sum_j (mu_cj - mu_c'j)^2 / s_j  +  1/2 [sum_j log s_j - 1/2 sum_j log s_cj
              - 1/2 sum_j log s_c'j],    s = (s_c + s_c') / 2

    It is at most 0; closer to 0 = better separated classes = better (the paper's sign).
    Variances are the population variances of each class, floored at 1e-4 per dimension.
    With ``gaussian="spherical"`` each class has one variance, the mean of its per-dimension
    ones, and the log terms are those of that scalar (as in the authors' code, not multiplied
    by the dimension).

    Parameters
    ----------
    pca_dim : int or None, default=64
        Number of principal components the features are projected on first (clipped to
        ``min(n_samples, n_features)``), as in the paper; the PCA is exact and
        deterministic. None uses the raw features.
    gaussian : {"spherical", "diagonal"}, default="spherical"
        Covariance model of each class. The paper found spherical the more robust.

    Attributes
    ----------
    score_ : float
        The GBC, at most 0, higher = better.
    coefficients_ : ndarray of shape (n_classes, n_classes)
        Bhattacharyya coefficient of each pair of classes (0 on the diagonal).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features.

    See Also
    --------
    TransRate : Coding-rate mutual information.
    SFDA : Fisher discriminant analysis with confidence mixing.

    References
    ----------
    .. [1] M. Pándy, A. Agostinelli, J. Uijlings, V. Ferrari, T. Mensink, "Transferability
       Estimation using Bhattacharyya Class Separability", CVPR 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import GBC
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 30)
    >>> X = rng.normal(size=(90, 8))
    >>> far = GBC(pca_dim=None).fit(X + 5.0 * y[:, None], y).score_
    >>> near = GBC(pca_dim=None).fit(X + 0.5 * y[:, None], y).score_
    >>> bool(far > near), far <= 0
    (True, True)
    """

    input_kind = "features"
    _min_samples_per_class = 2
    _parameter_constraints: dict = {
        "pca_dim": [Interval(Integral, 1, None, closed="left"), None],
        "gaussian": [StrOptions({"spherical", "diagonal"})],
    }

    def __init__(
        self,
        *,
        pca_dim: int | None = 64,
        gaussian: Literal["spherical", "diagonal"] = "spherical",
    ):
        self.pca_dim = pca_dim
        self.gaussian = gaussian

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        X, _ = pca_reduce(X, self.pca_dim)
        n_classes = len(self.classes_)
        mu, _ = class_means(X, y, n_classes)
        var = np.empty_like(mu)
        for c in range(n_classes):
            var[c] = ((X[y == c] - mu[c]) ** 2).mean(axis=0)
        var = np.maximum(var, _VAR_FLOOR)
        if self.gaussian == "spherical":
            var = var.mean(axis=1, keepdims=True)
        log_var = np.log(var).sum(axis=1)
        # One class against all others per step: O(C d) memory even without PCA.
        dist = np.empty((n_classes, n_classes))
        for c in range(n_classes):
            avg = 0.5 * (var[c] + var)
            dist[c] = ((mu[c] - mu) ** 2 / avg).sum(axis=1) / 8.0 + 0.5 * (
                np.log(avg).sum(axis=1) - 0.5 * log_var[c] - 0.5 * log_var
            )
        coef = np.exp(-dist)
        np.fill_diagonal(coef, 0.0)
        self.coefficients_ = coef
        return -coef.sum()
