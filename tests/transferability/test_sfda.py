import warnings

import numpy as np
import pytest

from skspider.transferability import SFDA, SaturationWarning


def _task(n=90, d=8, sep=1.0, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    return rng.normal(size=(n, d)) + sep * y[:, None], y


def test_score_in_unit_interval_and_adaptive_shrinkage_recorded():
    X, y = _task()
    est = SFDA().fit(X, y)
    assert 0 < est.score_ < 1
    assert 1e-10 <= est.shrinkage_ <= 1
    assert est.shrinkage == "auto"  # the hyper-parameter is never overwritten


def test_fixed_shrinkage_is_used():
    X, y = _task()
    a = SFDA(shrinkage=0.5).fit(X, y)
    b = SFDA(shrinkage=0.01).fit(X, y)
    assert a.shrinkage_ == 0.5 and b.shrinkage_ == 0.01
    assert a.score_ != b.score_


def test_no_warning_below_saturation():
    X, y = _task(sep=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SaturationWarning)
        SFDA().fit(X, y)


def test_saturation_warning_when_n_le_d():
    X, y = _task(n=20, d=40)
    with pytest.warns(SaturationWarning, match="n_samples=20, n_features=40"):
        assert SFDA().fit(X, y).score_ == pytest.approx(1.0)
    assert issubclass(SaturationWarning, UserWarning)


def test_shrinkage_none_means_no_shrinkage_as_in_hscore():
    # One meaning of shrinkage=None across estimators: no shrinkage (SFDA's adaptive rule is
    # "auto"); a singular within-class covariance is then a clear error.
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    X = rng.normal(size=(60, 4)) + np.eye(4)[y]
    none = SFDA(shrinkage=None).fit(X, y)
    assert none.shrinkage_ == 0.0
    assert none.score_ == pytest.approx(SFDA(shrinkage=0.0).fit(X, y).score_)
    assert SFDA().fit(X, y).shrinkage_ > 0
    with pytest.raises(ValueError, match="singular"):
        SFDA(shrinkage=None).fit(np.hstack([X, X]), y)
