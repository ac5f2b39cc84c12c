"""LEEP and N-LEEP: the log expected empirical prediction of a source model."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import ClassVar, Literal

import numpy as np
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture

from .._sklearn_compat import Interval, StrOptions
from ..base._numeric import class_sums
from ._base import BaseTransferabilityEstimator
from ._sfda import SaturationWarning

__all__ = ["LEEP", "NLEEP"]

# N-LEEP's mixture gets at most one component per this many samples (but at least one per
# class): with about one sample per component the posteriors are one-hot, every component
# is pure, and the score is 0, its maximum, whatever the features.
_SAMPLES_PER_COMPONENT = 5
# A score within this of 0 (N-LEEP's maximum) is saturated.
_SATURATION_ATOL = 1e-6


def _leep(P: np.ndarray, y: np.ndarray, n_classes: int) -> float:
    """LEEP of source probabilities ``P`` (n, Z) for labels ``y`` in ``0 .. n_classes - 1``.

    The empirical joint ``P(y, z) = 1/n sum_{i: y_i = y} P[i, z]``, the conditional
    ``P(y | z) = P(y, z) / P(z)``, and the mean log-likelihood of the "expected empirical
    predictor" ``sum_z P(y_i | z) P[i, z]``.
    """
    joint = class_sums(P, y, n_classes) / P.shape[0]
    marginal = joint.sum(axis=0)
    # A source class no sample puts mass on has P[:, z] = 0 everywhere, so its column of the
    # conditional never contributes: set it to 0 instead of 0 / 0.
    conditional = np.divide(joint, marginal, out=np.zeros_like(joint), where=marginal > 0)
    eep = np.einsum("iz,iz->i", P, conditional[y])
    return float(np.mean(np.log(eep)))


class LEEP(BaseTransferabilityEstimator):
    """LEEP: log expected empirical prediction from the source model's class probabilities.

    The PTM's source head gives each target sample a distribution over source classes
    ``z``. LEEP forms the empirical conditional ``P(y | z)`` of target labels given source
    classes and scores the average log-likelihood of the target labels under the
    classifier ``x -> sum_z P(y | z) P(z | x)``. It is at most 0; higher = better (the
    paper's sign, log kept).

    Parameters
    ----------
    source_output : {"probas", "logits"}, default="probas"
        What ``X`` holds: the source head's probabilities (non-negative rows summing to 1,
        within 1e-3), or its logits, turned into probabilities by a row-wise softmax.

    Attributes
    ----------
    score_ : float
        The LEEP score, in ``(-inf, 0]``; higher = better.
    classes_ : ndarray of shape (n_classes,)
        The original class labels (remapped to ``0 .. C-1`` in sorted order).
    n_features_in_ : int
        Number of source classes (columns of ``X``).

    See Also
    --------
    NCE : The conditional entropy of the labels given hard source predictions.
    NLEEP : LEEP with a Gaussian mixture on the features in place of the source head.

    Notes
    -----
    ``X`` holds probabilities: non-negative rows summing to 1 (within 1e-3); pass
    ``softmax(logits, axis=1)``, not logits.

    References
    ----------
    .. [1] C. V. Nguyen, T. Hassner, M. Seeger, C. Archambeau. "LEEP: A New Measure to
       Evaluate Transferability of Learned Representations". ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import LEEP
    >>> P = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9]])
    >>> y = np.array([0, 0, 1, 1])
    >>> round(LEEP().score(P, y), 4)
    -0.2955
    >>> LEEP().score(P, y) > LEEP().score(P, np.array([0, 1, 0, 1]))
    True
    """

    input_kind: ClassVar[str] = "probas"
    _parameter_constraints: dict = {"source_output": [StrOptions({"probas", "logits"})]}

    def __init__(self, *, source_output: Literal["probas", "logits"] = "probas"):
        self.source_output = source_output

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        return _leep(X, y, len(self.classes_))


class NLEEP(BaseTransferabilityEstimator):
    """N-LEEP: LEEP with a Gaussian mixture on the PTM's features as the source head.

    The features are reduced by PCA to the components explaining ``variance`` of the
    variance, a Gaussian mixture with ``n_components_per_class * C`` components is fitted
    to them (``C`` target classes), and LEEP is computed with the mixture's posterior
    component probabilities in place of source-class probabilities. Higher = better.

    Parameters
    ----------
    n_components_per_class : int, default=5
        Mixture components per target class (the paper's ratio). The total is capped at
        ``max(n_classes, n_samples // 5)``, at least five samples per component on average
        (a mixture with about one sample per component memorises the samples: its
        posteriors are one-hot and N-LEEP is 0, its maximum, whatever the features); a
        `SaturationWarning` says when the cap applies, and when the score still reaches 0.
    variance : float, default=0.8
        Fraction of the variance the PCA keeps, in (0, 1]; 1 keeps every component.
    covariance_type : {"diag", "full", "spherical", "tied"}, default="diag"
        Covariance of the mixture components (see `~sklearn.mixture.GaussianMixture`);
        "diag" keeps the fit affordable for hundreds of components.
    max_iter : int, default=100
        Maximum EM iterations of the mixture.
    reg_covar : float, default=1e-4
        Added to the diagonal of the component covariances, for stability on tight
        clusters.
    random_state : int, RandomState instance or None, default=None
        Seeds the mixture's initialisation (and a randomised PCA solver, if used).

    Attributes
    ----------
    score_ : float
        The N-LEEP score, at most 0; higher = better.
    n_components_ : int
        Number of mixture components used (after the cap, see ``n_components_per_class``).
    n_pca_components_ : int
        Number of PCA components kept.
    classes_ : ndarray of shape (n_classes,)
        The original class labels.
    n_features_in_ : int
        Number of features.

    See Also
    --------
    LEEP : The same score from the source head's probabilities.

    Notes
    -----
    The value depends on the mixture fit (its initialisation and the library versions):
    fix ``random_state`` to reproduce it.

    References
    ----------
    .. [1] Y. Li, X. Jia, R. Sang, Y. Zhu, B. Green, L. Wang, B. Gong. "Ranking Neural
       Checkpoints". CVPR 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import NLEEP
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> separated = rng.normal(size=(100, 4)) + 2.0 * y[:, None]
    >>> mixed = rng.normal(size=(100, 4))
    >>> est = NLEEP(n_components_per_class=2, random_state=0)
    >>> est.score(separated, y) > est.score(mixed, y)
    True
    """

    input_kind: ClassVar[str] = "features"

    _parameter_constraints: dict = {
        "n_components_per_class": [Interval(Integral, 1, None, closed="left")],
        "variance": [Interval(Real, 0, 1, closed="right")],
        "covariance_type": [StrOptions({"diag", "full", "spherical", "tied"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "reg_covar": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_components_per_class: int = 5,
        variance: float = 0.8,
        covariance_type: Literal["diag", "full", "spherical", "tied"] = "diag",
        max_iter: int = 100,
        reg_covar: float = 1e-4,
        random_state=None,
    ):
        self.n_components_per_class = n_components_per_class
        self.variance = variance
        self.covariance_type = covariance_type
        self.max_iter = max_iter
        self.reg_covar = reg_covar
        self.random_state = random_state

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        n_classes = len(self.classes_)
        if self.variance < 1.0:
            pca = PCA(n_components=self.variance, svd_solver="full")
        else:
            pca = PCA(n_components=min(X.shape), svd_solver="full")
        Z = pca.fit_transform(X)
        self.n_pca_components_ = Z.shape[1]
        n = X.shape[0]
        wanted = self.n_components_per_class * n_classes
        self.n_components_ = min(wanted, max(n_classes, n // _SAMPLES_PER_COMPONENT))
        if self.n_components_ < wanted:
            warnings.warn(
                f"NLEEP: {wanted} mixture components ({self.n_components_per_class} per class "
                f"x {n_classes} classes) for {n} samples would memorise the samples (N-LEEP "
                f"saturates at 0); using {self.n_components_} (at most one per "
                f"{_SAMPLES_PER_COMPONENT} samples, at least one per class).",
                SaturationWarning,
                stacklevel=4,  # _fit, fit, its fit_context wrapper, the caller
            )
        gmm = GaussianMixture(
            n_components=self.n_components_,
            covariance_type=self.covariance_type,
            max_iter=self.max_iter,
            reg_covar=self.reg_covar,
            random_state=self.random_state,
        ).fit(Z)
        score = _leep(gmm.predict_proba(Z), y, n_classes)
        if score >= -_SATURATION_ATOL:
            warnings.warn(
                f"NLEEP saturated at {score:.3g} (n_samples={n}, n_components="
                f"{self.n_components_}): every mixture component holds one class, so the "
                "score cannot rank PTMs on this task. Add samples or use fewer components.",
                SaturationWarning,
                stacklevel=4,  # _fit, fit, its fit_context wrapper, the caller
            )
        return score
