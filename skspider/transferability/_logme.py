"""LogME: the log marginal evidence of a Bayesian linear model on the PTM's features."""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import linalg
from scipy.linalg import blas, lapack
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from .._sklearn_compat import Interval, StrOptions
from ..base._numeric import class_sums
from ._base import BaseTransferabilityEstimator

__all__ = ["LogME"]

# The constants of the original algorithms (You et al.): starting point alpha = beta = 1, a
# small epsilon in the denominators of the updates, and the relative tolerance on
# t = alpha / beta (1e-3 for the fixed point; 1e-2 for the ICML iteration, strict "<"), at
# most 11 updates. The default "converged" algorithm stops when log(alpha / beta) moves by
# less than 1e-10 (Newton steps, safeguarded by bisection, converge in a few steps; 100
# bisections would shrink any bracket below the tolerance).
_EPS = 1e-5
_DEFAULT_TOL = {"converged": 1e-10, "fixed_point": 1e-3, "icml": 1e-2}
_DEFAULT_MAX_ITER = {"converged": 100, "fixed_point": 11, "icml": 11}
# The bracket of log(t / sigma) searched by "converged": beyond it, every direction is
# shrunk entirely (t >> sigma_max) or not at all (t << sigma_min) to float64 precision,
# so the evidence equals its limit there.
_LOG_T_MARGIN = 40.0

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
    too_large = (
        "LogME: the features are too large for their Gram matrix to be formed in float64 "
        "(it overflows); rescale them (LogME's default score does not depend on the scale)."
    )
    if n >= d:
        G = np.zeros((d, d), order="F")
        B = np.zeros((d, n_classes if labels is not None else Y.shape[1]))
        for sl, Fb in _blocks(F, axis=0):
            G = _add_gram(G, Fb)
            if labels is None:
                B += Fb.T @ Y[sl]
            else:
                B += class_sums(Fb, labels[sl], n_classes).T
        # The diagonal holds the largest entries of a Gram matrix: one overflow shows there.
        if not np.isfinite(np.diagonal(G)).all():
            raise ValueError(too_large)
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
    if not np.isfinite(np.diagonal(K)).all():
        raise ValueError(too_large)
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
    converged = np.zeros(n_cols, dtype=bool)
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
        converged[active[done]] = True
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
    return evidence, alpha, beta, t_used, n_iter, converged


def _profile_terms(s, w2, r0, n, u):
    """``g = 2 dL/du`` and ``dg/du`` of the evidence profiled over beta, at ``t = exp(u)``
    (one per column); ``s`` (k,) the eigenvalues, ``w2`` (k, a) and ``r0`` (a,) the squared
    target coordinates inside and outside the span of the features.

    With ``t = alpha / beta`` fixed, the evidence is maximal at ``beta = n / E(t)``,
    ``E(t) = sum_i w2_i t / (t + s_i) + r0`` (the residual plus ``t`` times the squared norm
    of the posterior mean), which leaves ``2 L(t) = -n log E(t) + k log t
    - sum_i log(t + s_i) + const``. Its derivative in ``u = log t`` is
    ``g = n R / E - (n - gamma)``, with ``R`` the squared residual and ``gamma =
    sum_i s_i / (t + s_i)``: zero exactly at the fixed point of MacKay's updates. ``g`` is
    computed in whichever of two equal forms has no cancellation (``n - gamma`` is small
    for small ``t``, ``R / E`` is close to 1 for large ``t``).
    """
    t = np.exp(u)
    den = t + s[:, None]
    a = t / den  # the shrinkage t / (t + s) of each direction
    b = s[:, None] / den  # 1 - a
    E = (w2 * a).sum(axis=0) + r0
    R = (w2 * a * a).sum(axis=0) + r0  # the squared residual
    P = (w2 * a * b).sum(axis=0)  # t E'(t) = E - R
    gamma = b.sum(axis=0)
    g = np.where(
        gamma > 0.5 * s.size,
        n * R / E - (n - s.size) - a.sum(axis=0),
        gamma - n * P / E,
    )
    dR = 2.0 * (w2 * a * a * b).sum(axis=0)  # t R'(t)
    dg = n * (dR / E - R * P / E**2) - (a * b).sum(axis=0)
    return g, dg


def _maximize_evidence(sigma, w, y_sq, n, *, tol, max_iter):
    """The (alpha, beta) of maximum evidence, per target column (see `_profile_terms`).

    The eigenvalues are divided by their mean first: the evidence profile is then the same
    function of ``u = log(alpha / beta)`` whatever the scale of the features (``F -> c F``
    maps the maximiser ``t -> c^2 t`` and leaves the maximum unchanged), so the search, and
    its result, are scale-free. The profile is evaluated on a grid of ``u`` (steps of 1,
    one matrix product for all columns) spanning every regime from ``t << s_min`` to
    ``t >> s_max``; the best grid point brackets the global maximum, which Newton steps on
    ``g = dL/du``, safeguarded by bisection, then refine. A best point at an end of the grid
    means the supremum is a limit (no signal in the column: ``t -> inf``; or a perfect fit:
    ``t -> 0``), which the evidence there equals to float64 precision.

    Returns the evidence per sample, ``t`` (in the units of ``sigma``), ``beta``, the number
    of Newton updates and the convergence mask.
    """
    scale = sigma.mean()
    s = sigma / scale
    k = s.size
    w2 = w**2
    # The part of the targets outside the span of the features; exactly 0 when the features
    # span R^n (rank n, as when n <= d), where a float remainder would add a spurious plateau.
    r0 = np.maximum(y_sq - w2.sum(axis=0), 0.0) if k < n else np.zeros(w.shape[1])

    def profile(u):  # 2 n L(u) up to a constant, (len(u), n_cols)
        t = np.exp(u)[:, None]
        E = (t / (t + s[None, :])) @ w2 + r0
        log_det = np.log(t + s[None, :]).sum(axis=1, keepdims=True) - k * np.log(t)
        return -n * np.log(E) - log_det

    grid = np.arange(np.log(s.min()) - _LOG_T_MARGIN, np.log(s.max()) + _LOG_T_MARGIN + 1.0)
    best = np.argmax(profile(grid), axis=0)
    u = grid[best]
    lo = grid[np.maximum(best - 1, 0)]
    hi = grid[np.minimum(best + 1, grid.size - 1)]
    n_iter = np.zeros(w.shape[1], dtype=np.intp)
    converged = (best == 0) | (best == grid.size - 1)  # the supremum is a limit
    active = np.flatnonzero(~converged)
    for _ in range(max_iter):
        if active.size == 0:
            break
        ua, la, ha = u[active], lo[active], hi[active]
        g, dg = _profile_terms(s, w2[:, active], r0[active], n, ua)
        # A maximum stays inside the bracket: it lies right of a point where L increases.
        la, ha = np.where(g > 0, ua, la), np.where(g > 0, ha, ua)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = -g / dg
        newton = (dg < 0) & (ua + step >= la) & (ua + step <= ha)
        new = np.where(newton, ua + step, 0.5 * (la + ha))
        lo[active], hi[active], u[active] = la, ha, new
        n_iter[active] += 1
        done = (newton & (np.abs(step) <= tol)) | (ha - la <= tol)
        converged[active[done]] = True
        active = active[~done]
    t = np.exp(u)
    E = (w2 * (t / (t + s[:, None]))).sum(axis=0) + r0
    beta = n / E
    # The evidence at the maximum, in the normalised units (no large cancelling logarithms):
    # beta E = n, so the two quadratic terms of the evidence sum to n / 2.
    log_det = np.log(t + s[:, None]).sum(axis=0) - k * np.log(t)
    evidence = 0.5 * (n * np.log(beta) - log_det - n - n * np.log(2 * np.pi)) / n
    return evidence, t * scale, beta, n_iter, converged


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
    algorithm : {"converged", "fixed_point", "icml"}, default="converged"
        How the evidence is maximised over ``alpha, beta``.

        - "converged": to the actual maximum. With ``t = alpha / beta`` fixed, the best
          ``beta`` has a closed form, which leaves a smooth function of ``log t``; its
          global maximum is bracketed on a grid of ``log t`` and its stationary point (the
          fixed point of MacKay's updates) refined by Newton steps safeguarded by bisection,
          until ``alpha / beta`` moves by less than ``tol`` (relative), with no epsilon in
          the updates. The eigenvalues are normalised by
          their mean first, so the score does not depend on the scale of the features
          (multiplying them by ``c`` maps ``alpha -> c^2 alpha`` and leaves the maximum
          evidence unchanged). When the evidence keeps growing towards ``alpha / beta -> 0``
          or ``inf`` (a perfect fit, or no signal in a column), its limit is reported.
        - "fixed_point": the iteration of You et al. (JMLR 2022), the default of the authors'
          code: from ``alpha = beta = 1``, at most 11 updates with ``1e-5`` added to their
          denominators, stopping at a relative change of ``alpha / beta`` below 1e-3. It can
          stop short of the maximum (a `~sklearn.exceptions.ConvergenceWarning` says so), and
          it depends on the scale of the features (on reference problem A of the tests,
          features times 1e3 move its score from -0.049 to -0.203, times 1e30 to -5.2).
          Kept to compare with published numbers.
        - "icml": the original iteration of the ICML 2021 paper (tolerance 1e-2, strict;
          epsilon kept in the evidence), likewise from ``alpha = beta = 1``.
    logdet : {"exact", "authors"}, default="exact"
        How ``log|A|``, ``A = alpha I + beta F^T F`` (D x D), is computed. "exact": the true
        value, where each of the ``D - k`` zero eigenvalues of ``F^T F`` (``k`` = rank of
        ``F``, at most N) contributes ``log(alpha)``. "authors": only the ``k`` nonzero
        terms, as the authors' fixed-point code does; this reproduces its (wrong) numbers
        when N < D (e.g. 2.219 instead of 0.148 on a 40 x 64 problem; that value depends on
        the scale of the features) and agrees with "exact" when the features have full
        column rank.
    tol : float, default=None
        Relative tolerance on ``alpha / beta`` between two updates. None uses the
        algorithm's value: 1e-10 for "converged"; the published 1e-3 for "fixed_point" and
        1e-2 for "icml".
    max_iter : int, default=None
        Maximum number of updates per column. None uses the algorithm's value: 100 for
        "converged" (it typically needs fewer than 10 updates, and about 40 bisections
        at most); the authors' 11 otherwise. A column
        that stops at ``max_iter`` without meeting ``tol`` raises a
        `~sklearn.exceptions.ConvergenceWarning`.

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
        Number of updates run per column (0 for a "converged" column whose maximum is a
        limit, see ``algorithm``).
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
        "algorithm": [StrOptions({"converged", "fixed_point", "icml"})],
        "logdet": [StrOptions({"exact", "authors"})],
        "tol": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        algorithm: Literal["converged", "fixed_point", "icml"] = "converged",
        logdet: Literal["exact", "authors"] = "exact",
        tol: float | None = None,
        max_iter: int | None = None,
    ):
        self.algorithm = algorithm
        self.logdet = logdet
        self.tol = tol
        self.max_iter = max_iter

    def _validate_input(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        # Remember whether regression targets came 1-D, for the shape of `predict`.
        self._y_1d = np.ndim(y) == 1
        return super()._validate_input(X, y)

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
        max_iter = _DEFAULT_MAX_ITER[self.algorithm] if self.max_iter is None else self.max_iter
        if self.algorithm == "converged":
            evidence, t, beta, n_iter, converged = _maximize_evidence(
                sigma, w, y_sq, n, tol=tol, max_iter=max_iter
            )
            alpha = t * beta
            if self.logdet == "authors":
                # The authors' log|A| leaves out log(alpha) for each zero eigenvalue of F^T F.
                evidence = evidence + (d - sigma.size) * np.log(alpha) / (2.0 * n)
        else:
            evidence, alpha, beta, t, n_iter, converged = _evidence_iteration(
                sigma,
                w,
                y_sq,
                n,
                d,
                tol=tol,
                max_iter=max_iter,
                strict=self.algorithm == "icml",
                eps_in_evidence=self.algorithm == "icml",
                logdet=self.logdet,
            )
        if not converged.all():
            bad = np.flatnonzero(~converged)
            warnings.warn(
                f"LogME: {bad.size} of {converged.size} target columns (e.g. {bad[:5].tolist()}) "
                f"did not reach the tolerance {tol:g} on alpha / beta in max_iter={max_iter} "
                f"updates (algorithm={self.algorithm!r}); their evidence is not at its "
                "maximum. Increase max_iter.",
                ConvergenceWarning,
                stacklevel=4,  # _fit, fit, its fit_context wrapper, the caller
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
            # 1-D targets at fit: 1-D predictions.
            return out[:, 0] if self._y_1d else out
        return self.classes_[np.argmax(out, axis=1)]
