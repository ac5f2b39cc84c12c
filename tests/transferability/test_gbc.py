import numpy as np
import pytest

from skspider.transferability import GBC


def test_score_is_minus_the_sum_of_coefficients_and_at_most_zero():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    X = rng.normal(size=(60, 6)) + y[:, None]
    est = GBC(pca_dim=None, gaussian="diagonal").fit(X, y)
    np.testing.assert_allclose(est.coefficients_, est.coefficients_.T)
    assert np.all(np.diag(est.coefficients_) == 0)
    assert est.score_ == pytest.approx(-est.coefficients_.sum())
    assert est.score_ <= 0


def test_pca_dim_is_clipped_and_used():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 10)
    X = rng.normal(size=(20, 100))
    # 64 > min(N, D) = 20: clipped, not an error.
    assert np.isfinite(GBC().fit(X, y).score_)
    assert GBC(pca_dim=3).fit(X, y).score_ != GBC(pca_dim=None).fit(X, y).score_


def test_classes_need_two_samples():
    with pytest.raises(ValueError, match="at least 2 samples per class"):
        GBC(pca_dim=None).fit(np.arange(10.0).reshape(5, 2), [0, 0, 1, 1, 2])


def test_invalid_gaussian():
    with pytest.raises(ValueError, match="gaussian"):
        GBC(gaussian="full").fit(np.ones((4, 2)), [0, 1, 0, 1])
