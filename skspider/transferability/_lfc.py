"""LFC: label-feature correlation."""

from __future__ import annotations

import numpy as np

from ._base import BaseTransferabilityEstimator
from ._linalg import class_means

__all__ = ["LFC"]


class LFC(BaseTransferabilityEstimator):
    """Label-Feature Correlation: alignment of the feature Gram matrix with the labels
    (Deshpande et al., 2021).

    With ``K = X X^T`` the linear kernel of the PTM's features and ``Y_ij = +1`` when samples
    ``i`` and ``j`` share a label, ``-1`` otherwise, both centred by their overall mean
    (a scalar), LFC is their normalised Frobenius inner product::

        LFC = <K - mean(K), Y - mean(Y)>_F / (||K - mean(K)||_F ||Y - mean(Y)||_F)

    in ``[-1, 1]``, higher = better. The features are not centred (the definition of the
    Model Spider authors' code, which produced the paper's table). It is computed exactly
    from class sums and the smaller Gram matrix, in O(N D min(N, D)) time and without the
    N x N matrices (the reference code forms them and subsamples to 45,000 samples).

    Attributes
    ----------
    score_ : float
        The LFC in [-1, 1], higher = better.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features.

    See Also
    --------
    TransRate : Coding-rate mutual information.

    References
    ----------
    .. [1] A. Deshpande, A. Achille, A. Ravichandran, H. Li, L. Zancato, C. Fowlkes,
       R. Bhotika, S. Soatto, P. Perona, "A linearized framework and a new benchmark for
       model selection for fine-tuning", arXiv:2102.00084, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import LFC
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 30)
    >>> X = rng.normal(size=(90, 8))
    >>> X[np.arange(90), y] += 4.0  # one feature per class
    >>> aligned = LFC().fit(X, y).score_
    >>> shuffled = LFC().fit(X, rng.permutation(y)).score_
    >>> bool(aligned > shuffled), -1 <= aligned <= 1
    (True, True)
    """

    input_kind = "features"

    def __init__(self):
        pass

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        n, d = X.shape
        means, counts = class_means(X, y, len(self.classes_))
        class_sums = means * counts[:, None]
        total = X.sum(axis=0)
        # <K, Y> = 2 sum_c ||S_c||^2 - ||S||^2 with S_c the class sums of the features.
        k_total = total @ total  # sum of all entries of K
        k_y = 2.0 * np.einsum("cd,cd->", class_sums, class_sums) - k_total
        k_mean = k_total / n**2
        y_mean = (2.0 * (counts**2).sum() - n**2) / n**2
        G = X.T @ X if d <= n else X @ X.T
        k_sq = np.einsum("ij,ij->", G, G)  # ||K||_F^2
        cross = k_y - n**2 * k_mean * y_mean
        k_norm2 = k_sq - n**2 * k_mean**2
        y_norm2 = n**2 * (1.0 - y_mean**2)
        if k_norm2 <= 1e-12 * max(k_sq, np.finfo(float).tiny):
            raise ValueError(
                "LFC is undefined when every entry of the feature Gram matrix X X^T is the "
                "same (e.g. constant or zero features)."
            )
        return cross / np.sqrt(k_norm2 * y_norm2)
