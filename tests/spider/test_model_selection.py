"""SpiderRanker and RerankTransformer in Pipeline, GridSearchCV and cross_validate."""

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skspider.spider import RerankTransformer, SpiderRanker


def test_pipeline_after_a_2d_step(make_tasks):
    X, Y = make_tasks(30)
    flat = np.stack([s.mean(axis=0) for s in X]) * 10 + 3
    pipe = make_pipeline(
        StandardScaler(),
        SpiderRanker(d_model=16, max_iter=50, lr=1e-2, device="cpu", random_state=0),
    )
    pipe.fit(flat[:20], Y[:20])
    assert pipe.predict(flat[20:]).shape == (10, 4)
    assert pipe.score(flat[20:], Y[20:]) > 0.3


def test_pipeline_with_a_token_set_step(specific_split):
    train, Y, test, _ = specific_split
    # A stand-in for a tokenizer: any step that outputs tasks (here, unchanged Task objects).
    pipe = make_pipeline(
        FunctionTransformer(lambda tasks: tasks),
        RerankTransformer(SpiderRanker(d_model=8, max_iter=4, random_state=0), k=2),
    )
    assert pipe.fit(train, Y).predict(test).shape == (12, 5)


def test_grid_search_over_k_d_lr_epochs(specific_split):
    train, Y, _, _ = specific_split
    search = GridSearchCV(
        RerankTransformer(SpiderRanker(random_state=0, max_specific_tokens=5)),
        {
            "k": [0, 5],
            "ranker__d_model": [8, 16],
            "ranker__lr": [1e-2],
            "ranker__max_iter": [2, 10],
        },
        cv=KFold(2),
    )
    search.fit(train, Y)
    assert len(search.cv_results_["params"]) == 8
    assert search.best_params_["k"] == 5  # the PTM-specific tokens are what is informative
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_cross_validate_spider(make_tasks):
    X, Y = make_tasks(20)
    out = cross_validate(SpiderRanker(d_model=8, max_iter=3, random_state=0), X, Y, cv=3)
    assert out["test_score"].shape == (3,)


def test_cross_validate_rerank_with_a_frozen_fitted_ranker(specific_split, specific_ranker):
    train, Y, test, Y_test = specific_split
    for k in (2, "auto"):
        rerank = RerankTransformer(FrozenEstimator(specific_ranker), k=k)
        out = cross_validate(rerank, test, Y_test, cv=KFold(3), error_score="raise")
        assert out["test_score"].shape == (3,) and np.isfinite(out["test_score"]).all()
    # The frozen ranker is used as it is in every fold: its weights never change.
    before = specific_ranker.predict(test)
    cross_validate(RerankTransformer(FrozenEstimator(specific_ranker), k=2), train, Y, cv=2)
    np.testing.assert_array_equal(specific_ranker.predict(test), before)
