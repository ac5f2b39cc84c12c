import numpy as np
import pytest

from skspider.base._numeric import class_means, class_sums, normalize_rows


def test_class_sums_are_the_one_hot_projection():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 7)), np.arange(50) % 4
    np.testing.assert_allclose(class_sums(X, y, 4), np.eye(4)[y].T @ X, rtol=1e-13)
    sums32 = class_sums(X.astype(np.float32), y, 4)
    assert sums32.dtype == np.float64
    means, counts = class_means(X, y, 5)  # a class without samples has count 0
    np.testing.assert_array_equal(counts, [13, 13, 12, 12, 0])
    np.testing.assert_allclose(means[1], X[y == 1].mean(axis=0))


def test_normalize_rows():
    Y = np.array([[1.0, 3.0, 2.0], [5.0, 5.0, np.nan]])
    np.testing.assert_allclose(normalize_rows(Y, "rank"), [[0, 1, 0.5], [0.5, 0.5, np.nan]])
    np.testing.assert_allclose(normalize_rows(Y, "minmax"), [[0, 1, 0.5], [0.5, 0.5, np.nan]])
    np.testing.assert_allclose(normalize_rows(Y, "zscore")[1], [0.0, 0.0, np.nan])
    before = Y.copy()
    out = normalize_rows(Y, "none")
    out[0, 0] = 99.0
    np.testing.assert_array_equal(Y, before)
    with pytest.raises(ValueError, match="unknown"):
        normalize_rows(Y, "softmax")
