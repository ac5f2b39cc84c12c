import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skspider.base import Task
from skspider.datasets import load_model_spider
from skspider.dummy import PriorRanker
from skspider.metrics import mean_weighted_tau


def test_reproduces_the_prior_of_the_paper_figures():
    data = load_model_spider()
    train = data.proxy_ranks_single_source.loc[data.train_tasks]
    ranker = PriorRanker().fit(np.ones((13, 1)), train)
    truth = data.finetune_single_source.loc[data.test_datasets, ranker.models_]
    X_test = np.ones((8, 1))
    taus = mean_weighted_tau(truth, ranker.predict(X_test), return_per_task=True)
    np.testing.assert_allclose(
        taus, [0.555, 0.711, 0.733, 0.872, 0.887, 0.695, 0.788, 0.973], atol=5e-4
    )
    assert ranker.score(X_test, truth) == pytest.approx(0.777, abs=5e-4)


def test_prediction_is_the_aggregate():
    Y = np.array([[0.0, 2.0, 1.0], [0.0, 1.0, 2.0], [1.0, 2.0, np.nan]])
    X = np.ones((3, 2))
    np.testing.assert_allclose(PriorRanker().fit(X, Y).prior_, [1 / 3, 5 / 3, 1.5])
    np.testing.assert_allclose(PriorRanker(aggregate="median").fit(X, Y).prior_, [0.0, 2.0, 1.5])
    ranks = PriorRanker(normalize="rank").fit(X, Y).prior_
    np.testing.assert_allclose(ranks, [0.0, (1 + 0.5 + 1) / 3, (0.5 + 1) / 2])
    pred = PriorRanker().fit(X, Y).predict(np.zeros((4, 2)))
    assert pred.shape == (4, 3)
    np.testing.assert_array_equal(PriorRanker().fit(X, Y).predict_rank(X[:1]), [[3, 1, 2]])


@pytest.mark.parametrize("normalize", ["zscore", "minmax"])
def test_scale_normalisations_remove_task_scale(normalize):
    base = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]])
    scaled = base * np.array([[1.0], [1000.0]])
    a = PriorRanker(normalize=normalize).fit(np.ones((2, 1)), base).prior_
    b = PriorRanker(normalize=normalize).fit(np.ones((2, 1)), scaled).prior_
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_models_named_by_dataframe_and_score_aligns_columns():
    Y = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0], "c": [2.0, 3.0, 2.5]})
    X = np.ones((3, 1))
    ranker = PriorRanker().fit(X, Y)
    assert list(ranker.models_) == ["a", "b", "c"]
    assert ranker.score(X, Y) == pytest.approx(ranker.score(X, Y[["c", "a", "b"]]))
    with pytest.raises(ValueError, match="lacks columns"):
        ranker.score(X, Y.rename(columns={"a": "z"}))
    with pytest.raises(ValueError, match="3 models"):
        ranker.score(X, Y[["a", "b"]])


def test_accepts_token_sets_and_tasks():
    Y = np.arange(6.0).reshape(2, 3)
    sets = [np.ones((4, 5)), np.zeros((2, 5))]
    assert PriorRanker().fit(sets, Y).n_features_in_ == 5
    tasks = [Task(y=np.arange(4) % 2), Task(y=np.arange(6) % 3)]
    assert PriorRanker().fit(tasks, Y).predict(tasks).shape == (2, 3)


@pytest.mark.parametrize(
    ("X", "Y", "match"),
    [
        (np.ones((3, 1)), np.ones((2, 3)), "3 tasks but Y has 2"),
        (np.ones((2, 1)), np.array([[1.0, np.nan], [2.0, np.nan]]), "no known performance"),
        (np.ones((2, 1)), np.ones(2), "2-D"),
        (np.ones((2, 1)), None, "requires y"),
        (np.array([[np.nan], [1.0]]), np.ones((2, 2)), "NaN"),
        ([np.ones((2, 3)), np.ones((2, 4))], np.ones((2, 2)), "mixes token widths"),
        ("tasks", np.ones((2, 2)), "sequence"),
    ],
)
def test_bad_input(X, Y, match):
    with pytest.raises((ValueError, TypeError), match=match):
        PriorRanker().fit(X, Y)


def test_bad_parameters():
    with pytest.raises(ValueError, match="aggregate"):
        PriorRanker(aggregate="max").fit(np.ones((2, 1)), np.ones((2, 2)))


def test_model_selection_pipeline_clone_and_pickle():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(12, 3)), rng.normal(size=(12, 5)) + np.arange(5)
    Y_before = Y.copy()
    scores = cross_validate(PriorRanker(), X, Y, cv=KFold(4))["test_score"]
    assert scores.shape == (4,) and np.isfinite(scores).all()
    search = GridSearchCV(PriorRanker(), {"aggregate": ["mean", "median"]}, cv=KFold(3))
    assert search.fit(X, Y).best_score_ > 0.5
    pipe = make_pipeline(StandardScaler(), PriorRanker()).fit(X, Y)
    assert pipe.score(X, Y) == pytest.approx(PriorRanker().fit(X, Y).score(X, Y))
    fitted = PriorRanker().fit(X, Y)
    assert not hasattr(clone(fitted), "prior_")
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(Y, Y_before)
