"""TransRate: mutual information between features and labels as a difference of coding rates."""

from __future__ import annotations

from numbers import Real

import numpy as np

from .._sklearn_compat import Interval
from ._base import BaseTransferabilityEstimator
from ._linalg import logdet_spd

__all__ = ["TransRate"]


def _coding_rate(Z: np.ndarray, eps: float) -> float:
    """R(Z, eps) = 1/2 log|I + Z^T Z / (n eps)|, over the smaller of the two Gram matrices
    (|I_d + A^T A| = |I_n + A A^T|), so N < D tasks cost O(N^2 D), not O(D^3)."""
    n, d = Z.shape
    G = Z @ Z.T if n < d else Z.T @ Z
    G /= n * eps
    G.flat[:: G.shape[0] + 1] += 1.0
    return 0.5 * logdet_spd(G)


class TransRate(BaseTransferabilityEstimator):
    """TransRate: how much the features compress once the labels are known (Huang et al., 2022).

    The transferability is the coding-rate estimate of the mutual information between the
    PTM's features ``Z`` and the labels::

        TrR = R(Z, eps) - 1/C * sum_c R(Z_c, eps),   R(Z, eps) = 1/2 log|I + Z^T Z / (n eps)|

    with ``n`` the number of rows of the matrix whose rate is taken. Higher = better (no sign
    change from the paper).

    The variant computed is that of the Transfer-Learning-Library (``tllib``) and of the EMMS
    authors' code, which the reference values of the tests reproduce: features are centred
    by the global mean (not scaled); the class terms are weighted uniformly (``1/C``, not by
    class frequency); ``eps`` enters as ``1/(n eps)``, not the paper's ``d/(n eps^2)``. The
    value grows without bound as ``eps`` shrinks and when ``N <= D``, so only compare PTMs
    scored with the same ``eps`` on the same task.

    It is **not** the pipeline of the TransRate authors' released code
    (github.com/Long-Kai/TransRate), which computes both rates from stored eigenvalues of
    pre-processed (projected) features: the eigenvalues are normalised to sum to 1 over the
    whole task, the class rates are weighted by class frequency ``n_c / n``, and both rates
    are divided by the rank of the features. That pipeline is not offered as an option: its
    feature pre-processing is not part of the released code, so its numbers cannot be
    reproduced from the features alone; scores of the two variants are not comparable.

    Parameters
    ----------
    eps : float, default=1e-4
        Distortion of the coding rate. Larger values damp the contribution of small
        eigenvalues (noise directions).

    Attributes
    ----------
    score_ : float
        The TransRate, higher = better.
    rate_ : float
        The coding rate ``R(Z, eps)`` of all centred features.
    class_rates_ : ndarray of shape (n_classes,)
        The coding rate of each class's (globally centred) features.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features.

    See Also
    --------
    GBC : Class separability by Bhattacharyya coefficients.
    SFDA : Fisher discriminant analysis with confidence mixing.

    References
    ----------
    .. [1] L.-K. Huang, J. Huang, Y. Rong, Q. Yang, Y. Wei, "Frustratingly Easy
       Transferability Estimation", ICML 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import TransRate
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 30)
    >>> X = rng.normal(size=(90, 8))
    >>> X[:, 0] += 4.0 * y  # the first feature separates the classes
    >>> separable = TransRate(eps=1e-2).fit(X, y).score_
    >>> noise = TransRate(eps=1e-2).fit(rng.normal(size=(90, 8)), y).score_
    >>> bool(separable > noise)
    True
    """

    input_kind = "features"
    _parameter_constraints: dict = {"eps": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, *, eps: float = 1e-4):
        self.eps = eps

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        Z = X - X.mean(axis=0)
        n_classes = len(self.classes_)
        self.rate_ = _coding_rate(Z, self.eps)
        self.class_rates_ = np.array([_coding_rate(Z[y == c], self.eps) for c in range(n_classes)])
        return self.rate_ - self.class_rates_.mean()
