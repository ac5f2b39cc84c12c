"""LogME: the log marginal evidence of a Bayesian linear model on the PTM's features."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import linalg
from scipy.linalg import blas, lapack
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..base._numeric import class_sums
from ._base import BaseTransferabilityEstimator

__all__ = ["LogME"]

# The constants of the original algorithms (You et al.): starting point alpha = beta = 1, a
# small epsilon in the denominators of the updates, and the relative tolerance on
# t = alpha / beta (1e-3 for the fixed point; 1e-2 for the ICML iteration, strict "<").
_EPS = 1e-5
_DEFAULT_TOL = {"fixed_point": 1e-3, "icml": 1e-2}

# Row (or column) block, in elements, of a float32 input converted to float64 on the fly:
# the Gram matrix is accumulated in float64 without a full float64 copy of the features.
_BLOCK_ELEMENTS = 1 << 23


def _blocks(F: np.ndarray, axis: int):
    """Float64 slices of ``F`` along ``axis`` (views when ``F`` is already float64)."""
    if F.dtype == np.float64:
        yield slice(None), F
        return
    other = F.shape[1 - axis]
    step = max(1, _BLOCK_ELEMENTS // max(other, 1))
    for start in range(0, F.shape[axis], step):
        sl = slice(start, start + step)
        block = F[sl] if axis == 0 else F[:, sl]
        yield sl, block.astype(np.float64)


def _add_gram(G: np.ndarray, A: np.ndarray) -> np.ndarray:
    """``G + A^T A`` on the lower triangle only, in place (one BLAS syrk; G Fortran-ordered).

    The upper triangle is left as it is: the eigen step below only reads the lower one.
    """
    if A.flags.f_contiguous:
        return blas.dsyrk(1.0, A, beta=1.0, c=G, trans=1, lower=1, overwrite_c=1)
    # A^T is Fortran-ordered when A is C-ordered: no copy of the block.
    return blas.dsyrk(1.0, A.T, beta=1.0, c=G, trans=0, lower=1, overwrite_c=1)


class _ImplicitEigh:
    """Eigenvalues of a symmetric matrix, with its eigenvectors kept in factored form.

    ``G = Q T Q^T`` (Householder reduction to a tridiagonal ``T``, LAPACK ``sytrd``) and
    ``T = W diag(sigma) W^T`` (MRRR, ``stemr``), so the eigenvectors are ``V = Q W``.
    LogME needs ``V`` only against a few columns (the targets, and back for the
    coefficients), so ``Q`` is applied to those columns by its reflectors and never formed:
    this skips the ``O(m^3)`` back-transformation of a full ``eigh``, most of its cost.
    Only the lower triangle of ``G`` is read; ``G`` is overwritten.
    """

    def __init__(self, G: np.ndarray):
        m = G.shape[0]
        if m < 3:
            # Fewer than two reflectors: nothing to save.
            self.sigma, self._V = linalg.eigh(G, lower=True, check_finite=False)
            return
        self._V = None
        lwork = int(lapack.dsytrd_lwork(m, lower=1)[0])
        reduced, diag, off, self._tau, info = lapack.dsytrd(G, lower=1, lwork=lwork, overwrite_a=1)
        if info != 0:  # pragma: no cover - LAPACK reports illegal arguments only
            raise linalg.LinAlgError(f"LAPACK dsytrd failed (info={info}).")
        # dsytrd(lower) stores its reflectors below the subdiagonal, in the layout of a QR
        # factorisation of the trailing (m-1) x (m-1) block: ormqr applies them.
        self._reflectors = np.asfortranarray(reduced[1:, :-1])
        try:
            self.sigma, self._W = linalg.eigh_tridiagonal(
                diag, off, lapack_driver="stemr", check_finite=False
            )
        except linalg.LinAlgError:
            # MRRR can, rarely, fail to converge; implicit QL/QR (stev) always does.
            self.sigma, self._W = linalg.eigh_tridiagonal(
                diag, off, lapack_driver="stev", check_finite=False
            )

    def _apply_q(self, M: np.ndarray, trans: str) -> np.ndarray:
        out = np.array(M, dtype=np.float64, order="F")
        if out.shape[1] == 0:
            return out
        args = ("L", trans, self._reflectors, self._tau)
        lwork = int(lapack.dormqr(*args, out[1:], -1)[1][0])
        out[1:], _, info = lapack.dormqr(*args, out[1:], lwork)
        if info != 0:  # pragma: no cover - LAPACK reports illegal arguments only
            raise linalg.LinAlgError(f"LAPACK dormqr failed (info={info}).")
        return out

    def project(self, B: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """``V[:, keep]^T B``."""
        if self._V is not None:
            return self._V[:, keep].T @ B
        return self._W[:, keep].T @ self._apply_q(B, "T")

    def lift(self, H: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """``V[:, keep] H``."""
        if self._V is not None:
            return self._V[:, keep] @ H
        return self._apply_q(self._W[:, keep] @ H, "N")


def _rank_mask(sigma: np.ndarray, n: int, d: int) -> np.ndarray:
    return sigma > sigma[-1] * max(n, d) * np.finfo(np.float64).eps


def _spectrum(F: np.ndarray, Y: np.ndarray | None, labels: np.ndarray | None):
    """Eigen-quantities of the features shared by all target columns.

    The targets are either ``Y`` (n, n_targets), or, for classification, ``labels`` (n,)
    in ``0 .. C-1``, whose one-vs-rest indicator columns are never formed: ``F^T Y`` is
    then the (D, C) matrix of per-class feature sums, one sparse product.

    Returns ``sigma`` (k,), the nonzero eigenvalues of ``F^T F`` (squared singular values
    of ``F``); ``w`` (k, n_targets), the coordinates of ``Y`` on the matching left singular
    vectors (``U^T Y``); and ``coef_map``, a function mapping per-direction weights
    (k, n_targets) to posterior-mean coefficients (n_targets, n_features).

    One symmetric eigendecomposition of the smaller Gram matrix (``F^T F`` when
    N >= D, ``F F^T`` otherwise), in float64, serves every column of ``Y``.
    """
    n, d = F.shape
    if labels is not None:
        n_classes = int(labels.max()) + 1
    if n >= d:
        G = np.zeros((d, d), order="F")
        B = np.zeros((d, n_classes if labels is not None else Y.shape[1]))
        for sl, Fb in _blocks(F, axis=0):
            G = _add_gram(G, Fb)
            if labels is None:
                B += Fb.T @ Y[sl]
            else:
                B += class_sums(Fb, labels[sl], n_classes).T
        eig = _ImplicitEigh(G)
        keep = _rank_mask(eig.sigma, n, d)
        sigma = eig.sigma[keep]
        # U^T Y = S^{-1} V^T F^T Y: no N x k matrix U is ever formed.
        w = eig.project(B, keep) / np.sqrt(sigma)[:, None]

        def coef_map(h):
            return eig.lift(np.sqrt(sigma)[:, None] * h, keep).T

        return sigma, w, coef_map
    K = np.zeros((n, n), order="F")
    for _, Fc in _blocks(F, axis=1):
        K = _add_gram(K, Fc.T)
    eig = _ImplicitEigh(K)
    keep = _rank_mask(eig.sigma, n, d)
    sigma = eig.sigma[keep]
    if labels is not None:
        Y = np.zeros((n, n_classes))
        Y[np.arange(n), labels] = 1.0
    w = eig.project(Y, keep)

    def coef_map(h):
        # V S h = F^T U h: one product with F, block by block.
        M = eig.lift(h, keep)
        out = np.empty((d, h.shape[1]))
        for sl, Fc in _blocks(F, axis=1):
            out[sl] = Fc.T @ M
        return out.T

    return sigma, w, coef_map


def _evidence_iteration(sigma, w, y_sq, n, d, *, tol, max_iter, strict, eps_in_evidence, logdet):
    """MacKay's evidence maximisation, vectorised over the target columns.

    ``sigma`` (k,) eigenvalues; ``w`` (k, C) coordinates of the targets on the left singular
    vectors; ``y_sq`` (C,) squared norms of the targets. Each column runs the authors'
    update from alpha = beta = 1 and stops on its own criterion (a convergence mask), so
    the values equal those of the column-by-column original.
    """
    n_cols = w.shape[1]
    w2 = w**2
    resid_out = y_sq - w2.sum(axis=0)  # the part of y outside the span of the features
    sig = sigma[:, None]
    alpha = np.ones(n_cols)
    beta = np.ones(n_cols)
    t_used = np.ones(n_cols)
    m2 = np.zeros(n_cols)
    res2 = np.zeros(n_cols)
    n_iter = np.zeros(n_cols, dtype=np.intp)
    active = np.arange(n_cols)
    for _ in range(max_iter):
        if active.size == 0:
            break
        t = alpha[active] / beta[active]
        frac = t / (t + sig)  # (k, a): shrinkage of each direction
        gamma = (sig / (t + sig)).sum(axis=0)
        wa = w2[:, active]
        m2_a = (sig * wa / (t + sig) ** 2).sum(axis=0)
        res2_a = (wa * frac**2).sum(axis=0) + resid_out[active]
        alpha_a = gamma / (m2_a + _EPS)
        beta_a = (n - gamma) / (res2_a + _EPS)
        alpha[active], beta[active] = alpha_a, beta_a
        m2[active], res2[active], t_used[active] = m2_a, res2_a, t
        n_iter[active] += 1
        change = np.abs(alpha_a / beta_a - t) / t
        done = change < tol if strict else change <= tol
        active = active[~done]
    log_det = np.log(alpha[None, :] + beta[None, :] * sig).sum(axis=0)
    if logdet == "exact":
        # The D - k zero eigenvalues of F^T F each contribute log(alpha) to log|A|.
        log_det = log_det + (d - sigma.size) * np.log(alpha)
    pad = _EPS if eps_in_evidence else 0.0
    evidence = (
        d / 2.0 * np.log(alpha)
        + n / 2.0 * np.log(beta)
        - 0.5 * log_det
        - beta / 2.0 * (res2 + pad)
        - alpha / 2.0 * (m2 + pad)
        - n / 2.0 * np.log(2 * np.pi)
    ) / n
    return evidence, alpha, beta, t_used, n_iter


class LogME(BaseTransferabilityEstimator):
    """LogME: log of the maximum evidence of a Bayesian linear model on the PTM's features.

    For each target column ``y`` (one-vs-rest indicator of a class, or one regression
    target) LogME models ``y = F w + noise`` with prior ``w ~ N(0, I / alpha)`` and noise
    ``N(0, 1 / beta)``, maximises the marginal likelihood ``p(y | F, alpha, beta)`` over
    ``alpha, beta`` by MacKay's fixed-point iteration, and reports the log evidence per
    sample. The score is the mean over columns: higher = better. It is a log density, so
    values above 1 (or 0) are legal. There is no intercept, and features are never centred.

    The work is one eigendecomposition of the smaller Gram matrix (``F^T F`` when N >= D,
    else ``F F^T``), shared by all columns; the iteration then runs vectorised over all
    columns at once (each stopping on its own criterion), so a 100-class task costs little
    more than a binary one. float32 features are converted to float64 block by block while
    the Gram matrix is accumulated (in float64, one BLAS ``syrk`` per block), without a
    float64 copy of the features. The eigenvectors are kept in factored form (tridiagonal
    reduction, then MRRR) and applied only to the C target columns, and one-vs-rest
    indicator columns are never formed (their products are per-class sums).

    Parameters
    ----------
    algorithm : {"fixed_point", "icml"}, default="fixed_point"
        "fixed_point": the iteration of You et al. (JMLR 2022), the default of the authors'
        code (tolerance 1e-3 on ``alpha / beta``). "icml": the original iteration of the
        ICML 2021 paper (tolerance 1e-2, strict; epsilon kept in the evidence). Both start
        from ``alpha = beta = 1`` and run at most ``max_iter`` updates.
    logdet : {"exact", "authors"}, default="exact"
        How ``log|A|``, ``A = alpha I + beta F^T F`` (D x D), is computed. "exact": the true
        value, where each of the ``D - k`` zero eigenvalues of ``F^T F`` (``k`` = rank of
        ``F``, at most N) contributes ``log(alpha)``. "authors": only the ``k`` nonzero
        terms, as the authors' fixed-point code does; this reproduces its (wrong) numbers
        when N < D (e.g. 2.219 instead of 0.148 on a 40 x 64 problem) and agrees with
        "exact" when the features have full column rank.
    tol : float, default=None
        Relative tolerance on ``alpha / beta`` between two updates. None uses the
        algorithm's published value (1e-3 for "fixed_point", 1e-2 for "icml").
    max_iter : int, default=11
        Maximum number of updates per column (the authors' value).

    Attributes
    ----------
    score_ : float
        Mean over target columns of the log evidence per sample; higher = better.
    evidence_ : ndarray of shape (n_targets,)
        Log evidence per sample of each column (one per class for classification).
    alpha_ : ndarray of shape (n_targets,)
        Precision of the prior on the weights, per column.
    beta_ : ndarray of shape (n_targets,)
        Precision of the noise, per column.
    coef_ : ndarray of shape (n_targets, n_features)
        Posterior mean weights, per column (``predict`` uses them).
    n_iter_ : ndarray of shape (n_targets,)
        Number of updates run per column.
    classes_ : ndarray of shape (n_classes,)
        The original class labels (classification only).
    n_features_in_ : int
        Number of features.

    See Also
    --------
    HScore : A closed-form score on the same features.
    LEEP : A score from the PTM's source-class probabilities.

    Notes
    -----
    Class labels are remapped to ``0 .. C-1`` in sorted order; a classification task with
    C classes has C one-vs-rest columns. For regression pass float targets of shape
    ``(n_samples,)`` or ``(n_samples, n_targets)``.

    Scoring many tasks on the same features at once: pass their indicator or target
    columns together as a 2-D float ``y``; ``evidence_`` holds one value per column.

    References
    ----------
    .. [1] K. You, Y. Liu, J. Wang, M. Long. "LogME: Practical Assessment of Pre-trained
       Models for Transfer Learning". ICML 2021.
    .. [2] K. You, Y. Liu, Z. Zhang, J. Wang, M. I. Jordan, M. Long. "Ranking and Tuning
       Pre-trained Models: A New Paradigm for Exploiting Model Hubs". JMLR 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.transferability import LogME
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 30)
    >>> good = rng.normal(size=(90, 8)) + 2.0 * np.eye(8)[y]
    >>> bad = rng.normal(size=(90, 8))
    >>> LogME().score(good, y) > LogME().score(bad, y)
    True
    >>> est = LogME().fit(good, y)
    >>> est.coef_.shape, est.alpha_.shape
    ((3, 8), (3,))
    """

    input_kind: ClassVar[str] = "features"
    supports_regression: ClassVar[bool] = True
    _keep_float32: ClassVar[bool] = True

    _parameter_constraints: dict = {
        "algorithm": [StrOptions({"fixed_point", "icml"})],
        "logdet": [StrOptions({"exact", "authors"})],
        "tol": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        algorithm: Literal["fixed_point", "icml"] = "fixed_point",
        logdet: Literal["exact", "authors"] = "exact",
        tol: float | None = None,
        max_iter: int = 11,
    ):
        self.algorithm = algorithm
        self.logdet = logdet
        self.tol = tol
        self.max_iter = max_iter

    def _fit(self, X: np.ndarray, y: np.ndarray) -> float:
        n, d = X.shape
        self._regression = y.ndim == 2
        if self._regression:
            sigma, w, coef_map = _spectrum(X, y, None)
            y_sq = (y**2).sum(axis=0)
        else:
            sigma, w, coef_map = _spectrum(X, None, y)
            # The squared norm of a one-vs-rest indicator column is the class count.
            y_sq = np.bincount(y, minlength=len(self.classes_)).astype(np.float64)
        if sigma.size == 0:
            raise ValueError("LogME: the features are all zero; the evidence is undefined.")
        tol = _DEFAULT_TOL[self.algorithm] if self.tol is None else self.tol
        evidence, alpha, beta, t, n_iter = _evidence_iteration(
            sigma,
            w,
            y_sq,
            n,
            d,
            tol=tol,
            max_iter=self.max_iter,
            strict=self.algorithm == "icml",
            eps_in_evidence=self.algorithm == "icml",
            logdet=self.logdet,
        )
        # Posterior mean m = (F^T F + t I)^{-1} F^T y = V diag(s / (s^2 + t)) U^T y.
        self.coef_ = coef_map(w / (sigma[:, None] + t[None, :]))
        self.evidence_, self.alpha_, self.beta_, self.n_iter_ = evidence, alpha, beta, n_iter
        return float(evidence.mean())

    def predict(self, X: Any) -> np.ndarray:
        """Predict with the posterior mean weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features of the same PTM.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            For classification, the class whose one-vs-rest column scores highest; for
            regression, ``X @ coef_.T``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        out = X @ self.coef_.T
        if self._regression:
            return out
        return self.classes_[np.argmax(out, axis=1)]
