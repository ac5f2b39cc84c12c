import numpy as np
import pytest

from skspider.transferability import LFC


def test_bounded_and_perfect_for_one_hot_like_features():
    y = np.repeat([0, 1, 2], 10)
    X = 2.0 * np.eye(3)[y] - 1.0  # Gram = label kernel up to an affine map
    assert LFC().fit(X, y).score_ == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    assert -1 <= LFC().fit(rng.normal(size=(30, 4)), y).score_ <= 1


def test_constant_features_are_rejected():
    with pytest.raises(ValueError, match="Gram matrix"):
        LFC().fit(np.zeros((6, 3)), [0, 1, 0, 1, 0, 1])
