"""LogME: the evidence, the posterior mean, both Gram paths, precision and bad input."""

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from skspider.transferability import LogME, _logme

TIGHT = {"tol": 1e-13, "max_iter": 10_000}


def _data(n, d, c=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    X = rng.normal(size=(n, d)) + 1.5 * np.eye(c, d)[y]
    return X.astype(dtype), y


def _direct_log_evidence(X, t, alpha, beta):
    # log N(t | 0, I / beta + X X^T / alpha): the marginal likelihood written out.
    n = X.shape[0]
    cov = np.eye(n) / beta + X @ X.T / alpha
    return stats.multivariate_normal(mean=np.zeros(n), cov=cov).logpdf(t) / n


@pytest.mark.parametrize(("n", "d"), [(60, 8), (12, 30)], ids=["N>D", "N<D"])
def test_evidence_is_the_gaussian_marginal_likelihood(n, d):
    X, y = _data(n, d)
    est = LogME(**TIGHT).fit(X, y)
    for c in range(3):
        direct = _direct_log_evidence(X, (y == c).astype(float), est.alpha_[c], est.beta_[c])
        assert est.evidence_[c] == pytest.approx(direct, rel=1e-8)
    assert est.score_ == pytest.approx(est.evidence_.mean())


@pytest.mark.parametrize(("n", "d"), [(60, 8), (12, 30)], ids=["N>D", "N<D"])
def test_coef_is_the_posterior_mean(n, d):
    X, y = _data(n, d)
    est = LogME(**TIGHT).fit(X, y)
    for c in range(3):
        t = est.alpha_[c] / est.beta_[c]
        # (X^T X + t I)^{-1} X^T y = X^T (X X^T + t I)^{-1} y: the second form stays well
        # conditioned when N < D and t is tiny (a perfect fit, a supremum at t -> 0).
        m = X.T @ np.linalg.solve(X @ X.T + t * np.eye(n), (y == c).astype(float))
        np.testing.assert_allclose(est.coef_[c], m, rtol=1e-7, atol=1e-10)


def test_evidence_is_at_its_maximum():
    # At the fixed point, the evidence beats nearby (alpha, beta).
    X, y = _data(80, 6)
    est = LogME(**TIGHT).fit(X, y)
    t = (y == 0).astype(float)
    best = _direct_log_evidence(X, t, est.alpha_[0], est.beta_[0])
    for fa, fb in [(1.2, 1), (0.8, 1), (1, 1.2), (1, 0.8)]:
        assert best > _direct_log_evidence(X, t, est.alpha_[0] * fa, est.beta_[0] * fb)


def test_predict_classification_and_regression():
    X, y = _data(90, 6)
    X = X + 2.0 * np.eye(3, 6)[y]  # well separated classes
    labels = np.array(["cat", "dog", "eel"])[y]
    est = LogME().fit(X, labels)
    assert list(est.classes_) == ["cat", "dog", "eel"]
    assert (est.predict(X) == labels).mean() > 0.9
    rng = np.random.default_rng(1)
    w = rng.normal(size=(6, 2))
    Y = X @ w + 0.01 * rng.normal(size=(90, 2))
    reg = LogME().fit(X, Y)
    assert reg.predict(X).shape == (90, 2)
    np.testing.assert_allclose(reg.coef_, w.T, atol=0.05)


def test_float32_input_matches_float64_and_is_not_copied_whole(monkeypatch):
    X, y = _data(300, 40, c=5, dtype=np.float32)
    ref = LogME().fit(X.astype(np.float64), y)
    # Small blocks: the float32 features are converted 64 rows at a time.
    monkeypatch.setattr(_logme, "_BLOCK_ELEMENTS", 64 * 40)
    est = LogME().fit(X, y)
    assert est.score_ == pytest.approx(ref.score_, rel=1e-12)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
    Xw, yw = _data(20, 64, c=2, dtype=np.float32)
    monkeypatch.setattr(_logme, "_BLOCK_ELEMENTS", 20 * 7)
    assert LogME().score(Xw, yw) == pytest.approx(LogME().score(Xw.astype(float), yw), rel=1e-12)


def test_integer_features_and_input_unchanged():
    X, y = _data(50, 5)
    Xi = np.round(X * 10).astype(np.int64)
    before = Xi.copy()
    assert LogME().score(Xi, y) == pytest.approx(LogME().score(Xi.astype(float), y))
    np.testing.assert_array_equal(Xi, before)


def test_one_vs_rest_columns_are_independent():
    # A 3-class score is the mean of the per-class regressions on indicator columns.
    X, y = _data(70, 5)
    est = LogME().fit(X, y)
    onehot = np.eye(3)[y]
    cols = [LogME().fit(X, onehot[:, [c]]).score_ for c in range(3)]
    np.testing.assert_allclose(est.evidence_, cols, rtol=1e-12)
    # Many targets in one call: one evidence per column.
    multi = LogME().fit(X, onehot)
    np.testing.assert_allclose(multi.evidence_, cols, rtol=1e-12)


def test_rank_deficient_features_exact_vs_authors():
    # A duplicated column: rank D - 1 with N > D; "exact" counts the zero eigenvalue.
    X, y = _data(60, 5)
    X = np.hstack([X, X[:, :1]])
    exact, authors = LogME().fit(X, y), LogME(logdet="authors").fit(X, y)
    gap = np.mean(-0.5 * np.log(exact.alpha_) / 60)
    assert exact.score_ - authors.score_ == pytest.approx(gap, rel=1e-6)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (np.array([[1.0, np.nan], [0.0, 1.0], [1.0, 1.0]]), [0, 1, 0], "NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0], [1.0, 1.0]]), [0, 1, 0], "infinity"),
        (np.ones((4, 2)), [1, 1, 1, 1], "at least 2 classes"),
        (np.ones((4, 2)), [0, 1, 0], "inconsistent numbers of samples"),
        (np.zeros((4, 2)), [0, 1, 0, 1], "all zero"),
        (np.ones((1, 2)), [0], "minimum of 2"),
    ],
)
def test_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        LogME().fit(X, y)


def test_bad_hyper_parameters():
    X, y = _data(20, 3)
    with pytest.raises(ValueError, match="algorithm"):
        LogME(algorithm="svd").fit(X, y)
    with pytest.raises(ValueError, match="logdet"):
        LogME(logdet="approx").fit(X, y)


@pytest.mark.parametrize("m", [1, 2, 3, 40])
def test_implicit_eigh_matches_a_full_eigendecomposition(m):
    # V = Q W is never formed; V^T B and V H must still be those of a full eigh.
    rng = np.random.default_rng(m)
    A = rng.normal(size=(m + 5, m))
    G = A.T @ A
    sigma, V = np.linalg.eigh(G)
    eig = _logme._ImplicitEigh(np.tril(G).copy(order="F"))  # only the lower triangle is read
    np.testing.assert_allclose(eig.sigma, sigma, rtol=1e-10, atol=1e-12 * sigma[-1])
    keep = np.ones(m, dtype=bool)
    keep[0] = m == 1
    B = rng.normal(size=(m, 4))
    # Eigenvectors are defined up to sign: compare squares and the projector V V^T.
    np.testing.assert_allclose(eig.project(B, keep) ** 2, (V[:, keep].T @ B) ** 2, rtol=1e-8)
    P = V[:, keep] @ V[:, keep].T
    np.testing.assert_allclose(eig.lift(eig.project(B, keep), keep), P @ B, atol=1e-10)


def test_stemr_failure_falls_back_to_qr(monkeypatch):
    X, y = _data(80, 12, c=4)
    ref = LogME().fit(X, y)
    real = _logme.linalg.eigh_tridiagonal

    def failing_stemr(*args, lapack_driver, **kwargs):
        if lapack_driver == "stemr":
            raise np.linalg.LinAlgError("stemr did not converge")
        return real(*args, lapack_driver=lapack_driver, **kwargs)

    monkeypatch.setattr(_logme.linalg, "eigh_tridiagonal", failing_stemr)
    est = LogME().fit(X, y)
    assert est.score_ == pytest.approx(ref.score_, rel=1e-12)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("n", "d"), [(60, 8), (12, 30)], ids=["N>D", "N<D"])
def test_memory_layout_does_not_change_the_result(n, d):
    # Fortran-ordered features take the other syrk orientation (no copy of the input).
    X, y = _data(n, d)
    ref = LogME().fit(X, y)
    est = LogME().fit(np.asfortranarray(X), y)
    assert est.score_ == pytest.approx(ref.score_, rel=1e-12)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("n", "d"), [(80, 10), (20, 40)], ids=["N>D", "N<D"])
def test_default_score_does_not_depend_on_the_feature_scale(n, d):
    # The maximum evidence is invariant under F -> c F (alpha -> c^2 alpha); the default
    # finds it on normalised eigenvalues, so any power of ten in 1e-6 .. 1e6 gives the same
    # score to 1e-8 (the authors' iteration, from alpha = beta = 1 with an epsilon, does not).
    X, y = _data(n, d, c=4, seed=3)
    ref = LogME().fit(X, y)
    for p in range(-6, 7):
        est = LogME().fit(X * 10.0**p, y)
        assert est.score_ == pytest.approx(ref.score_, rel=1e-8, abs=1e-8)
        np.testing.assert_allclose(est.alpha_ / 10.0 ** (2 * p), ref.alpha_, rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # it also stops short here
        authors = [LogME(algorithm="fixed_point").fit(X * 10.0**p, y).score_ for p in (-3, 0, 3)]
    assert np.ptp(authors) > 1e-3


def test_default_reaches_the_maximum_the_authors_iteration_stops_short_of():
    # On pure noise, the evidence increases towards alpha / beta -> inf (no signal) slowly:
    # 11 fixed-point updates stop short, with a warning; the default reports the supremum.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 40)), np.arange(300) % 5
    with pytest.warns(ConvergenceWarning, match="did not reach the tolerance"):
        authors = LogME(algorithm="fixed_point").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = LogME().fit(X, y)
    assert (est.evidence_ >= authors.evidence_ - 1e-12).all()
    assert est.score_ > authors.score_ + 1e-4


def test_convergence_warning_when_max_iter_is_too_small():
    X, y = _data(60, 8)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        LogME(max_iter=1).fit(X, y)


def test_huge_features_raise_a_clear_error_not_a_lapack_failure():
    X, y = _data(40, 6)
    assert LogME().score(X * 1e30, y) == pytest.approx(LogME().score(X, y), rel=1e-8)
    with pytest.raises(ValueError, match="too large"):
        LogME().fit(X * 1e160, y)
    with pytest.raises(ValueError, match="too large"):
        LogME().fit(X[:5] * 1e160, y[:5])  # the N < D path


def test_predict_shape_follows_y_and_refit_on_targets_drops_classes():
    X, y = _data(50, 4)
    est = LogME().fit(X, y)
    assert hasattr(est, "classes_")
    target = X @ np.arange(1.0, 5.0)
    est.fit(X, target)
    assert est.predict(X).shape == (50,)
    assert not hasattr(est, "classes_")
    assert est.fit(X, target[:, None]).predict(X).shape == (50, 1)
