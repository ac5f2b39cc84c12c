"""add_models: new PTMs learned from a few tasks, the rest of the network frozen."""

import copy

import numpy as np
import pandas as pd
import pytest
import torch

from skspider.metrics import mean_weighted_tau
from skspider.spider import SpiderRanker


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(5, 4))
    centres = rng.normal(size=(60, 5))
    X = [c + 0.1 * rng.normal(size=(3, 5)) for c in centres]
    Y = pd.DataFrame(centres @ W, columns=["a", "b", "c", "d"])
    ranker = SpiderRanker(d_model=32, max_iter=180, lr=1e-2, random_state=0)
    ranker.fit(X[:40], Y[:40])
    return X, Y, ranker


def test_new_model_is_ranked_sensibly(setup):
    X, Y, fitted = setup
    ranker = copy.deepcopy(fitted)
    before = ranker.predict(X[40:])
    # The new PTM is model "b" made slightly better: best wherever "b" is best.
    Y_new = Y.assign(new=Y["b"] + 0.05)
    frozen = {k: v.clone() for k, v in ranker.module_.state_dict().items()}
    ranker.add_models(X[40:48], Y_new.iloc[40:48], max_iter=30, lr=1e-2)
    assert list(ranker.models_) == ["a", "b", "c", "d", "new"] and ranker.n_models_ == 5
    after = ranker.predict(X[48:])
    # Old models: untouched network, identical scores (up to float32 rounding, which the
    # bilinear head's matrix products over 4 or 5 PTMs may round differently).
    np.testing.assert_allclose(after[:, :4], before[8:], rtol=1e-6, atol=1e-5)
    for k, v in ranker.module_.state_dict().items():
        if k != "model_tokens":
            assert torch.equal(v, frozen[k]), k
    # The new model ranks next to "b", and the whole ranking is as good as before.
    ranks = ranker.predict_rank(X[48:])
    assert np.mean(np.abs(ranks[:, 4] - ranks[:, 1]) == 1) >= 0.75
    assert mean_weighted_tau(Y_new.iloc[48:], after) > 0.6
    assert ranker.score(X[48:], Y_new.iloc[48:]) == pytest.approx(
        mean_weighted_tau(Y_new.iloc[48:], after)
    )


def test_random_init_also_learns(setup):
    X, Y, fitted = setup
    ranker = copy.deepcopy(fitted)
    Y_new = Y.assign(new=Y["b"] + 0.05)
    ranker.add_models(X[40:48], Y_new.iloc[40:48], max_iter=60, lr=1e-2, init="random")
    assert ranker.score(X[48:], Y_new.iloc[48:]) > 0.5
    with pytest.raises(ValueError, match="init"):
        copy.deepcopy(fitted).add_models(X[:3], Y_new.iloc[:3], init="zeros")


def test_add_models_bad_input(setup):
    X, Y, ranker = setup
    with pytest.raises(ValueError, match="no new model"):
        ranker.add_models(X[:3], Y.iloc[:3])
    with pytest.raises(ValueError, match="DataFrame"):
        ranker.add_models(X[:3], np.ones((3, 5)))
    with pytest.raises(ValueError, match="at least one known"):
        ranker.add_models(X[:3], Y.iloc[:3].assign(new=np.nan))


def test_add_models_with_plain_arrays():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(10, 3)), rng.normal(size=(10, 3))
    ranker = SpiderRanker(d_model=8, max_iter=2, random_state=0).fit(X, Y)
    ranker.add_models(X[:4], np.c_[Y[:4], Y[:4, 0]], max_iter=2)
    assert list(ranker.models_) == [0, 1, 2, 3] and ranker.predict(X).shape == (10, 4)
    with pytest.raises(ValueError, match="followed by at least one new"):
        ranker.add_models(X[:4], Y[:4, :2])
