"""H-score and the regularised H-score."""

import numpy as np
import pytest

from skspider.transferability import HScore


def _data(n=120, d=6, c=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    return rng.normal(size=(n, d)) + 1.0 * np.eye(c, d)[y], y


def test_by_its_definition():
    X, y = _data()
    means = np.array([X[y == c].mean(axis=0) for c in range(3)])[y]
    expected = np.trace(np.linalg.inv(np.cov(X, rowvar=False)) @ np.cov(means, rowvar=False))
    assert HScore().score(X, y) == pytest.approx(expected, rel=1e-10)


def test_bounds_and_saturation():
    X, y = _data()
    assert 0 < HScore().score(X, y) < 2
    Xw, yw = _data(n=10, d=20)  # N <= D: any labelling is separable
    assert HScore().score(Xw, yw) == pytest.approx(2.0)
    assert HScore(shrinkage="ledoit_wolf").score(Xw, yw) < 2.0


def test_invariant_to_invertible_affine_maps():
    X, y = _data()
    A = np.random.default_rng(5).normal(size=(6, 6))
    ref = HScore().score(X, y)
    assert HScore().score(X @ A + 7.0, y) == pytest.approx(ref, rel=1e-8)
    assert HScore().score(1e-3 * X, y) == pytest.approx(ref, rel=1e-8)


def test_fixed_shrinkage_extremes():
    X, y = _data()
    n = len(y)
    est = HScore(shrinkage=0.0).fit(X, y)
    # No shrinkage: the plain score with the covariance divided by N, not N - 1.
    assert est.score_ == pytest.approx(HScore().score(X, y) * n / (n - 1), rel=1e-10)
    assert HScore(shrinkage=1.0).score(X, y) == pytest.approx(0.0, abs=1e-12)
    X = X @ np.random.default_rng(1).normal(size=(6, 6))  # correlated: LW shrinks < 1
    lw = HScore(shrinkage="ledoit_wolf").fit(X, y)
    assert 0 < lw.shrinkage_ < 1
    assert HScore(shrinkage=lw.shrinkage_).score(X, y) == pytest.approx(lw.score_, rel=1e-12)


def test_bad_shrinkage():
    X, y = _data()
    with pytest.raises(ValueError, match="shrinkage"):
        HScore(shrinkage=1.5).fit(X, y)
