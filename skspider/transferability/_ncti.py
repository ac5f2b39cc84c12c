"""NCTI: distance to neural collapse, a set-level transferability estimator."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn import config_context
from sklearn.base import clone
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from .._progress import track
from .._sklearn_compat import Interval
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

    Use `score_models` with the features of at least two PTMs on one task
    (`TransferabilityRanker` does). A score of ONE PTM does not exist: ``fit(X, y)`` on a
    single feature array raises a `ValueError` (the min-max over a set of one would be a
    constant 0, whatever the PTM), and so does `score_models` with fewer than two PTMs.
    For the same reason NCTI declares, through its tags, that it does not take a 2-D array
    on its own, so scikit-learn's array-based common checks are skipped (instead of passing
    vacuously on constants); tests/transferability/test_ncti.py tests its API.

    Parameters
    ----------
    pca_dim : int, default=64
        PCA dimension (clipped to ``min(n_samples, n_features)``), the authors' setting. The
        PCA is exact and deterministic.
    n_jobs : int or None, default=None
        PTMs processed in parallel by `score_models` (joblib; None = 1 unless in a
        ``joblib.parallel_config`` context).
    verbose : int, default=0
        When > 0, `score_models` shows a progress bar over the PTMs on ``sys.stderr``.

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
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        pca_dim: int = 64,
        n_jobs: int | None = None,
        verbose: int = 0,
    ):
        self.pca_dim = pca_dim
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _terms(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
        Z, pca = pca_reduce(X, self.pca_dim)
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

    def fit(self, X: Any, y: Any) -> NCTI:
        """Not defined for one PTM: raises a `ValueError` (use `score_models`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The features of one PTM.
        y : array-like of shape (n_samples,)
            Class labels.

        Raises
        ------
        ValueError
            Always: NCTI normalises its terms over a set of PTMs.
        """
        raise ValueError(
            "NCTI is set-level: it normalises its terms over the PTMs scored together, so a "
            "single PTM has no score (a set of one would score 0 whatever the PTM). Use "
            "NCTI().score_models([X_ptm1, X_ptm2, ...], y) with the features of at least two "
            "PTMs on the task."
        )

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        self._raw_terms = self._terms(X, y)
        return 0.0

    def _ptm_terms(self, X: Any, y: Any) -> tuple[float, float, float]:
        """Validated terms of one PTM (the base class's fit, with its input checks)."""
        est = clone(self)
        # The parameters were validated once by score_models, not once per PTM.
        with config_context(skip_parameter_validation=True):
            BaseTransferabilityEstimator.fit(est, X, y)
        return est._raw_terms

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Its input is a set of 2-D arrays (one per PTM), never one array alone: the
        # array-based common checks do not apply (tests/transferability/test_ncti.py).
        tags.input_tags.two_d_array = False
        return tags

    def score_models(self, Xs: Sequence[Any], y: Any) -> np.ndarray:
        """NCTI of each PTM relative to the others, on one task.

        Parameters
        ----------
        Xs : sequence of array-like of shape (n_samples, n_features_i)
            One feature array per PTM, at least two (the feature widths may differ).
        y : array-like of shape (n_samples,)
            Class labels of the task.

        Returns
        -------
        scores : ndarray of shape (len(Xs),)
            ``minmax(seli) + minmax(ncc) - minmax(vc)`` over the set, higher = better.
        """
        if len(Xs) < 2:
            raise ValueError(
                "NCTI normalises its terms over a set of PTMs and needs the features of at "
                f"least two PTMs; got {len(Xs)}."
            )
        self._validate_params()
        jobs = Parallel(n_jobs=self.n_jobs, return_as="generator")(
            delayed(self._ptm_terms)(X, y) for X in Xs
        )
        rows = list(track(jobs, total=len(Xs), desc="NCTI", verbose=self.verbose, unit="PTM"))
        seli, ncc, vc = np.asarray(rows, dtype=np.float64).T
        return _minmax(seli) + _minmax(ncc) - _minmax(vc)
