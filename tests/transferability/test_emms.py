import numpy as np
import pytest

from skspider.transferability import EMMS

rng = np.random.default_rng(0)
Y = np.repeat([0, 1, 2], 20)
X = rng.normal(size=(60, 5)) + 1.5 * np.eye(5)[Y]


def test_default_is_one_hot_embeddings():
    assert EMMS().fit(X, Y).score_ == EMMS().fit(X, Y, label_embeddings=np.eye(3)).score_
    assert EMMS().fit(X, Y).embedding_weights_.tolist() == [1.0]


def test_list_of_embeddings_equals_stacked_array():
    embs = [rng.normal(size=(3, 4)) for _ in range(3)]
    a = EMMS().fit(X, Y, label_embeddings=embs)
    b = EMMS().fit(X, Y, label_embeddings=np.stack(embs, axis=2))
    assert a.score_ == pytest.approx(b.score_, rel=1e-12)
    t = a.embedding_weights_
    assert t.shape == (3,) and np.all(t >= 0) and t.sum() == pytest.approx(1.0)


def test_score_is_minus_the_least_squares_residual():
    Xs = (X - X.mean(0)) / (X.std(0) + 1e-8)
    Z = np.eye(3)[Y]
    Z = (Z - Z.mean(0)) / (Z.std(0) + 1e-8)
    w = np.linalg.lstsq(Xs, Z, rcond=None)[0]
    expected = -((Xs @ w - Z) ** 2).sum() / Z.size
    assert EMMS().fit(X, Y).score_ == pytest.approx(expected, rel=1e-10)


def test_embeddings_need_one_row_per_class():
    with pytest.raises(ValueError, match="one row per class"):
        EMMS().fit(X, Y, label_embeddings=np.ones((4, 2)))
    with pytest.raises(ValueError, match="share one shape"):
        EMMS().fit(X, Y, label_embeddings=[np.ones((3, 2)), np.ones((3, 4))])


def test_regression_targets_are_their_own_embedding():
    targets = X @ rng.normal(size=(5, 2)) + 0.1 * rng.normal(size=(60, 2))
    t0 = targets.copy()
    good = EMMS().fit(X, targets).score_
    bad = EMMS().fit(rng.normal(size=(60, 5)), targets).score_
    assert good > bad
    np.testing.assert_array_equal(targets, t0)  # standardised out of place
