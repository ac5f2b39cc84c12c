"""Small numerical helpers shared by the baseline estimators (private)."""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.decomposition import PCA

# Shared with the other packages; re-exported here for the baselines of this one.
from ..base._numeric import class_means

__all__ = ["class_means", "logdet_spd", "one_hot", "pca_reduce"]


def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """``(n_samples, n_classes)`` float64 indicator matrix of labels ``0 .. n_classes-1``."""
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), y] = 1.0
    return out


def logdet_spd(A: np.ndarray) -> float:
    """log|A| of a symmetric positive-definite matrix, by Cholesky (cheaper than LU)."""
    try:
        L = linalg.cholesky(A, lower=True, check_finite=False)
    except linalg.LinAlgError:
        # Not numerically positive definite (rounding at huge condition numbers): fall back.
        sign, logdet = np.linalg.slogdet(A)
        return logdet if sign > 0 else -np.inf
    return 2.0 * np.log(np.diag(L)).sum()


def pca_reduce(X: np.ndarray, n_components: int | float | None) -> tuple[np.ndarray, PCA | None]:
    """Project ``X`` on its first principal components (``None``: return ``X`` unchanged).

    An integer ``n_components`` larger than ``min(n_samples, n_features)`` is clipped to it,
    as the authors' implementations do, so small tasks are not an error.

    The PCA is exact and deterministic: an eigendecomposition of the covariance when
    ``n_samples >= n_features`` (one pass over ``X``), a full SVD otherwise. scikit-learn's
    "auto" would pick a randomized solver on large inputs, whose result (hence the score)
    changes from call to call unless seeded.
    """
    if n_components is None:
        return X, None
    if not isinstance(n_components, float):
        n_components = min(int(n_components), *X.shape)
    solver = "covariance_eigh" if X.shape[0] >= X.shape[1] else "full"
    pca = PCA(n_components=n_components, svd_solver=solver)
    return pca.fit_transform(X), pca
