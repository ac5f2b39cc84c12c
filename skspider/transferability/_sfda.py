"""SFDA: self-challenging Fisher discriminant analysis."""

from __future__ import annotations

import warnings
from numbers import Real
from typing import Literal

import numpy as np
from scipy import linalg
from scipy.special import softmax

from .._sklearn_compat import Interval, StrOptions
from ._base import BaseTransferabilityEstimator
from ._linalg import class_means

__all__ = ["SFDA", "SaturationWarning"]

# A score this close to its maximum of 1 cannot tell PTMs apart.
_SATURATION_ATOL = 1e-6


class SaturationWarning(UserWarning):
    """A transferability score reached its maximum, so it cannot rank PTMs on this task.

    Typical cause: at least as many feature dimensions as samples (N <= D), where linear
    class separation is perfect whatever the PTM. Reduce the dimension (PCA) or add samples.
    """


def _shrunk(S: np.ndarray, shrinkage: float) -> np.ndarray:
    """(1 - s) S + s tr(S)/d I: shrinkage towards a scaled identity."""
    d = S.shape[0]
    out = (1.0 - shrinkage) * S
    out.flat[:: d + 1] += shrinkage * np.trace(S) / d
    return out


def _largest_eigenvalue(A: np.ndarray, n_iter: int = 3) -> float:
    """The authors' estimate of the largest eigenvalue of the symmetric ``A``: ``n_iter``
    double power steps from the row sums. Kept (not an exact eigensolver) because the
    adaptive shrinkage, hence the score, depends on it."""
    x = A.sum(axis=1)
    for _ in range(n_iter):
        t = A @ x
        v = t / np.linalg.norm(t)
        t = A @ v
        x = t / np.linalg.norm(t)
    return float(x @ A @ v)


def _fda_proba(X, y, n_classes, shrinkage):
    """Posterior of the regularised Fisher discriminant, and the shrinkage used.

    The generalized eigenvectors V of (S_b, S_w) satisfy V^T S_w V = I, so the authors'
    ``means V V^T`` is ``means S_w^{-1}``: one linear solve replaces the eigenproblem.
    """
    n, d = X.shape
    mu, counts = class_means(X, y, n_classes)
    priors = counts / n
    Sw = np.zeros((d, d))
    for c in range(n_classes):
        Xc = X[y == c] - mu[c]
        Sw += priors[c] * (Xc.T @ Xc) / len(Xc)
    if shrinkage is None:
        shrinkage = max(np.exp(-5.0 * _largest_eigenvalue(Sw)), 1e-10)
    Sw = _shrunk(Sw, shrinkage)
    try:
        coef = linalg.solve(Sw, mu.T, assume_a="pos", check_finite=False).T
    except linalg.LinAlgError as exc:
        raise ValueError(
            "SFDA: the within-class covariance is singular (e.g. n_samples <= n_features) "
            f"with shrinkage={shrinkage}; use shrinkage='auto' or a positive value."
        ) from exc
    intercept = -0.5 * np.einsum("cd,cd->c", mu, coef) + np.log(priors)
    return softmax(X @ coef.T + intercept, axis=1), shrinkage


class SFDA(BaseTransferabilityEstimator):
    """SFDA: self-challenging Fisher discriminant analysis (Shao et al., 2022).

    A regularised Fisher discriminant (shrinkage ``s`` towards a scaled identity) is fitted
    to the PTM's features; each sample is then pulled towards the mean of the *other*
    classes by its confidence ("ConfMix": ``x' = p x + (1 - p) mu_other``, ``p`` the softened
    posterior of its true class), and a second discriminant with the same ``s`` is fitted on
    the mixed features. The score is the mean posterior of the true class, in ``[0, 1]``;
    higher = better (the paper's sign; the log is left out, as in the paper).

    With ``shrinkage="auto"`` (the default) it is chosen from the data as
    ``max(exp(-5 lambda), 1e-10)``, ``lambda`` the largest eigenvalue of the within-class
    covariance estimated as in the authors' code (three double power steps). This matches
    their reference values to 1e-10.

    The score saturates at 1 when the classes are linearly separable beyond doubt, always the
    case when ``n_samples <= n_features``; a `SaturationWarning` is then emitted since such
    scores cannot rank PTMs.

    Parameters
    ----------
    shrinkage : "auto", float in [0, 1] or None, default="auto"
        Regularisation of the within-class covariance. "auto": adaptive (see above), the
        authors' rule. A float: that fixed shrinkage. None: no shrinkage (as ``0``; the
        within-class covariance must then be invertible). The same convention as
        `HScore` and scikit-learn's ``LinearDiscriminantAnalysis``: None never shrinks.

    Attributes
    ----------
    score_ : float
        The SFDA score in [0, 1], higher = better.
    shrinkage_ : float
        The shrinkage used.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features.

    See Also
    --------
    TransRate, GBC : Other class-separability estimators.

    References
    ----------
    .. [1] W. Shao, X. Zhao, Y. Ge, Z. Zhang, L. Yang, X. Wang, Y. Shan, P. Luo,
       "Not All Models Are Equal: Predicting Model Transferability in a Self-challenging
       Fisher Space", ECCV 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import SFDA
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 30)
    >>> X = rng.normal(size=(90, 8))
    >>> far = SFDA().fit(X + 2.0 * y[:, None], y).score_
    >>> near = SFDA().fit(X + 0.2 * y[:, None], y).score_
    >>> bool(far > near)
    True
    """

    input_kind = "features"
    _min_samples_per_class = 1
    _parameter_constraints: dict = {
        "shrinkage": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="both"), None]
    }

    def __init__(self, *, shrinkage: Literal["auto"] | float | None = "auto"):
        self.shrinkage = shrinkage

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        n = len(y)
        n_classes = len(self.classes_)
        shrinkage = {"auto": None, None: 0.0}.get(self.shrinkage, self.shrinkage)
        proba, self.shrinkage_ = _fda_proba(X, y, n_classes, shrinkage)
        # Soften the posteriors before mixing (as the paper): confident samples move less.
        p = softmax(proba, axis=1)[np.arange(n), y][:, None]
        mu, _ = class_means(X, y, n_classes)
        others = (mu.sum(axis=0) - mu) / (n_classes - 1)
        mixed = p * X + (1.0 - p) * others[y]
        proba, _ = _fda_proba(mixed, y, n_classes, self.shrinkage_)
        score = proba[np.arange(n), y].mean()
        if score >= 1.0 - _SATURATION_ATOL:
            warnings.warn(
                f"SFDA saturated at {score:.10g} (n_samples={n}, n_features={X.shape[1]}): "
                "the classes are perfectly separable in this feature space, so the score "
                "cannot rank PTMs on this task. Reduce the dimension or add samples.",
                SaturationWarning,
                stacklevel=4,  # _fit, fit, its fit_context wrapper, the caller
            )
        return score
