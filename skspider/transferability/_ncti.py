"""NCTI: distance to neural collapse, a set-level transferability estimator."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.utils._param_validation import Interval

from ._base import BaseTransferabilityEstimator
from ._linalg import pca_reduce

__all__ = ["NCTI"]

# The shrinkage exp(-sum of the top variances) is floored here; at the floor the authors
# switch to the unregularised SVD solver.
_MIN_SHRINKAGE = 1e-10
_N_VARIANCES = 32


def _minmax(v: np.ndarray) -> np.ndarray:
    """(v - min) / (max - min) across PTMs; all equal (0/0, e.g. one PTM) gives 0."""
    span = v.max() - v.min()
    return (v - v.min()) / span if span > 0 else np.zeros_like(v)


class NCTI(BaseTransferabilityEstimator):
    """NCTI: how far the target features are from neural collapse (Wang et al., 2023).

    Three proxies of neural collapse are computed for each PTM, after a PCA to
    ``pca_dim`` dimensions and a shrinkage LDA (shrinkage ``exp(-v)``, ``v`` the sum of
    the 32 largest PCA variances, floored at 1e-10 where the plain LDA is used):

    - ``seli_``, simplex encoded label interpolation: nuclear norm of the centred LDA
      projection (larger = class means closer to a simplex);
    - ``ncc_``, nearest-centre classifier: mean LDA posterior of the true class;
    - ``vc_``, within-class variability: log of the summed nuclear norms of the posteriors
      of each class (larger = less collapse).

    **Set-level**: the terms have different scales, so the score of a PTM normalises each
    term by its min and max over the set of PTMs scored together::

        NCTI = minmax(seli) + minmax(ncc) - minmax(vc)      (higher = better)

    Use `score_models` with every PTM's features of one task (`TransferabilityRanker` does).
    ``fit`` on ONE PTM computes its raw terms (useful for inspection); its ``score_`` is the
    set-of-one value, 0 (every term ties with itself), and a `UserWarning` says so.

    Parameters
    ----------
    pca_dim : int, default=64
        PCA dimension (clipped to ``min(n_samples, n_features)``), the authors' setting.
    random_state : int, RandomState instance or None, default=None
        Seeds the PCA when scikit-learn picks its randomized solver (large inputs).
    n_jobs : int or None, default=None
        PTMs processed in parallel by `score_models` (joblib; None = 1 unless in a
        ``joblib.parallel_config`` context).
    verbose : int, default=0
        joblib progress messages in `score_models`.

    Attributes
    ----------
    score_ : float
        0.0 after ``fit`` on a single PTM (see above).
    seli_ : float
        Nuclear norm of the centred LDA projection.
    ncc_ : float
        Mean LDA posterior of the true class.
    vc_ : float
        Log of the summed per-class nuclear norms of the posteriors.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features.

    See Also
    --------
    SFDA : Fisher-space posterior, the single-PTM relative of ``ncc_``.

    References
    ----------
    .. [1] Z. Wang, Y. Luo, L. Zheng, Z. Huang, M. Baktashmotlagh, "How Far Pre-trained
       Models Are from Neural Collapse on the Target Dataset Informs their
       Transferability", ICCV 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import NCTI
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 30)
    >>> noise = rng.normal(size=(90, 8))
    >>> ptms = [noise + s * y[:, None] for s in (0.1, 1.0, 3.0)]  # increasingly separable
    >>> NCTI().score_models(ptms, y).round(3)
    array([0.   , 0.021, 1.533])
    """

    input_kind = "features"
    set_level = True
    _min_samples_per_class = 2
    _parameter_constraints: dict = {
        "pca_dim": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        pca_dim: int = 64,
        random_state=None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ):
        self.pca_dim = pca_dim
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _terms(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
        Z, pca = pca_reduce(X, self.pca_dim, self.random_state)
        shrinkage = max(np.exp(-pca.explained_variance_[:_N_VARIANCES].sum()), _MIN_SHRINKAGE)
        if shrinkage == _MIN_SHRINKAGE:
            lda = LinearDiscriminantAnalysis(solver="svd")
        else:
            lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage=float(shrinkage))
        proj = lda.fit_transform(Z, y)
        seli = np.linalg.norm(proj - proj.mean(axis=0), ord="nuc")
        proba = lda.predict_proba(Z)
        ncc = proba[np.arange(len(y)), y].mean()
        vc = np.log(
            sum(np.linalg.norm(proba[y == c], ord="nuc") for c in range(len(self.classes_)))
        )
        return float(seli), float(ncc), float(vc)

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        self.seli_, self.ncc_, self.vc_ = self._terms(X, y)
        if not getattr(self, "_in_set", False):
            warnings.warn(
                "NCTI normalises its terms over a set of PTMs; alone, a PTM scores 0. Use "
                "NCTI().score_models(Xs, y) with every PTM's features of the task.",
                UserWarning,
                stacklevel=3,
            )
        return 0.0

    def score_models(self, Xs: Sequence[Any], y: Any) -> np.ndarray:
        """NCTI of each PTM relative to the others, on one task.

        Parameters
        ----------
        Xs : sequence of array-like of shape (n_samples, n_features_i)
            One feature array per PTM (the feature widths may differ).
        y : array-like of shape (n_samples,)
            Class labels of the task.

        Returns
        -------
        scores : ndarray of shape (len(Xs),)
            ``minmax(seli) + minmax(ncc) - minmax(vc)`` over the set, higher = better.
        """
        if len(Xs) == 0:
            raise ValueError("NCTI.score_models needs at least one PTM's features; got none.")

        def terms(X):
            est = clone(self)
            est._in_set = True
            est.fit(X, y)
            return est.seli_, est.ncc_, est.vc_

        rows = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(delayed(terms)(X) for X in Xs)
        seli, ncc, vc = (np.asarray(col, dtype=np.float64) for col in zip(*rows))
        return _minmax(seli) + _minmax(ncc) - _minmax(vc)
