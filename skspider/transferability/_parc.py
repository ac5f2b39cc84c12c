"""PARC: pairwise annotation representation comparison."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from scipy import stats
from sklearn.utils import check_random_state

from .._sklearn_compat import Interval
from ._base import BaseTransferabilityEstimator
from ._linalg import pca_reduce

__all__ = ["PARC"]


def _stratified_subsample(y: np.ndarray, n: int, rng: np.random.RandomState) -> np.ndarray:
    """Sorted indices of about ``n`` samples, each class keeping its share (at least one)."""
    classes, counts = np.unique(y, return_counts=True)
    share = np.maximum(1, np.floor(counts * n / len(y))).astype(int)
    picks = [
        rng.choice(np.flatnonzero(y == c), size=min(k, m), replace=False)
        for c, k, m in zip(classes, share, counts)
    ]
    return np.sort(np.concatenate(picks))


def _dissimilarity(Z: np.ndarray) -> np.ndarray:
    """Upper triangle (k > i) of ``1 - corr(rows of Z)``.

    A row with no variance across its columns has no defined correlation; it is given 0
    (``np.corrcoef`` would put NaN in the whole row and make the score NaN).
    """
    Zc = Z - Z.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(Zc, axis=1, keepdims=True)
    U = Zc / np.where(norm > 0, norm, 1.0)
    return 1.0 - (U @ U.T)[np.triu_indices(len(Z), 1)]


class PARC(BaseTransferabilityEstimator):
    """PARC: do the features and the labels see the same pairs of samples as alike?
    (Bolya et al., 2021).

    The features are projected on their first ``pca_dim`` principal components and
    standardised; the representational dissimilarity of two samples is ``1 - corr`` of their
    feature vectors, and likewise of their one-hot labels. PARC is the Spearman correlation
    between the two dissimilarities over all pairs of samples, in ``[-1, 1]``, higher =
    better (the authors report it times 100).

    It costs O(N^2) memory and O(N^2 log N) time (all pairs are ranked), so a task larger
    than ``max_samples`` is scored on a class-stratified random subsample of that size (the
    authors subsample to 15,000 samples; at 2,000 a score costs about a second).

    Parameters
    ----------
    pca_dim : int or None, default=32
        PCA dimension (clipped to ``min(n_samples, n_features)``), the authors' setting;
        at least 2, since samples are correlated across dimensions. None standardises the
        raw features. The PCA is exact and deterministic (an eigendecomposition of the
        covariance, or a full SVD when ``n_samples < n_features``): on a task of at most
        ``max_samples`` the score is reproducible with nothing to seed; the authors' code
        uses a randomized PCA with a single power iteration, a rough approximation that can
        move the score by several points.
    max_samples : int or None, default=2000
        Largest number of samples scored: a larger task is subsampled to this many, each
        class keeping its share (at least one sample). None scores every sample.
    random_state : int, RandomState instance or None, default=0
        Seeds the subsample (only drawn for a task larger than ``max_samples``). An int (the
        default) draws the same subsample on every call, so every PTM of a task is scored on
        the same samples; None draws a new one each time.

    Attributes
    ----------
    score_ : float
        The PARC correlation in [-1, 1], higher = better.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features.

    See Also
    --------
    LFC : Kernel alignment of features and labels.

    References
    ----------
    .. [1] D. Bolya, R. Mittapalli, J. Hoffman, "Scalable Diverse Model Selection for
       Accessible Transfer Learning", NeurIPS 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import PARC
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 30)
    >>> X = rng.normal(size=(90, 8))
    >>> far = PARC().fit(X + 3.0 * y[:, None], y).score_
    >>> near = PARC().fit(X + 0.1 * y[:, None], y).score_
    >>> bool(far > near)
    True
    """

    input_kind = "features"
    _parameter_constraints: dict = {
        "pca_dim": [Interval(Integral, 2, None, closed="left"), None],
        "max_samples": [Interval(Integral, 2, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        pca_dim: int | None = 32,
        max_samples: int | None = 2000,
        random_state: int | np.random.RandomState | None = 0,
    ):
        self.pca_dim = pca_dim
        self.max_samples = max_samples
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        if self.max_samples is not None and len(y) > self.max_samples:
            keep = _stratified_subsample(y, self.max_samples, check_random_state(self.random_state))
            X, y = X[keep], y[keep]
        if X.shape[1] < 2:
            raise ValueError(
                "PARC correlates samples across their features and needs at least 2 of them; "
                f"got n_features={X.shape[1]}."
            )
        Z, _ = pca_reduce(X, self.pca_dim)
        sd = Z.std(axis=0)
        Z = (Z - Z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        feat = _dissimilarity(Z)
        # 1 - corr of one-hot rows is exactly 0 (same class) or C/(C-1); computed exactly so
        # that equal pairs tie in the ranking (float noise would order them arbitrarily).
        n_classes = len(self.classes_)
        iu = np.triu_indices(len(y), 1)
        labels = np.where(y[iu[0]] == y[iu[1]], 0.0, n_classes / (n_classes - 1))
        return stats.spearmanr(feat, labels)[0]
