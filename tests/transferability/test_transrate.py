import numpy as np
import pytest

from skspider.transferability import TransRate


def _direct(X, y, eps):
    # The definition over the D x D matrices, whatever N.
    def rate(Z):
        n, d = Z.shape
        return 0.5 * np.linalg.slogdet(np.eye(d) + Z.T @ Z / (n * eps))[1]

    Z = X - X.mean(axis=0)
    return rate(Z) - np.mean([rate(Z[y == c]) for c in np.unique(y)])


@pytest.mark.parametrize("shape", [(60, 5), (12, 40)])
def test_gram_shortcut_equals_the_definition(shape):
    rng = np.random.default_rng(0)
    X = rng.normal(size=shape)
    y = np.arange(shape[0]) % 3
    est = TransRate(eps=1e-3).fit(X, y)
    assert est.score_ == pytest.approx(_direct(X, y, 1e-3), rel=1e-9)
    assert est.class_rates_.shape == (3,)
    assert est.score_ == pytest.approx(est.rate_ - est.class_rates_.mean())


def test_eps_must_be_positive():
    with pytest.raises(ValueError, match="eps"):
        TransRate(eps=0).fit(np.ones((4, 2)), [0, 1, 0, 1])
