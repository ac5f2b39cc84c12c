import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from skspider.dummy import PriorRanker
from skspider.metrics import (
    get_ranking_scorer,
    get_ranking_scorer_names,
    make_ranking_scorer,
    mean_weighted_tau,
    top_k_regret,
)


def _data():
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(12, 6)) + np.arange(6)
    return np.ones((12, 1)), Y


def test_scorers_in_model_selection():
    X, Y = _data()
    scoring = {name: get_ranking_scorer(name) for name in get_ranking_scorer_names()}
    result = cross_validate(PriorRanker(), X, Y, cv=KFold(3), scoring=scoring)
    for name in scoring:
        assert np.isfinite(result[f"test_{name}"]).all()
    assert (result["test_neg_top1_regret"] <= 0).all()
    search = GridSearchCV(
        PriorRanker(),
        {"normalize": ["none", "rank"]},
        scoring=get_ranking_scorer("weighted_tau"),
        cv=KFold(3),
    ).fit(X, Y)
    assert search.best_params_["normalize"] in ("none", "rank")


def test_scorer_values_match_metrics():
    X, Y = _data()
    ranker = PriorRanker().fit(X, Y)
    pred = ranker.predict(X)
    tau = get_ranking_scorer("weighted_tau")(ranker, X, Y)
    assert tau == pytest.approx(mean_weighted_tau(Y, pred))
    regret = make_ranking_scorer(top_k_regret, greater_is_better=False, k=2)(ranker, X, Y)
    assert regret == pytest.approx(-top_k_regret(Y, pred, k=2))


def test_unknown_scorer():
    with pytest.raises(ValueError, match="weighted_tau"):
        get_ranking_scorer("accuracy")


def test_scorer_names_are_the_registry():
    from skspider.metrics._scorer import _registry

    assert get_ranking_scorer_names() == sorted(_registry())


def test_weighted_tau_scorer_is_ranker_score_with_single_model_tasks():
    # A fold may hold tasks with one known model: the scorer and ranker.score agree.
    X, Y = _data()
    Y[:3, 1:] = np.nan
    ranker = PriorRanker().fit(X, Y)
    scorer = get_ranking_scorer("weighted_tau")
    assert scorer(ranker, X, Y) == pytest.approx(ranker.score(X, Y))
    assert np.isfinite(cross_validate(PriorRanker(), X, Y, cv=KFold(4))["test_score"]).all()


def test_make_ranking_scorer_validates_its_parameters():
    with pytest.raises(ValueError, match="metric"):
        make_ranking_scorer("weighted_tau")
    with pytest.raises(ValueError, match="greater_is_better"):
        make_ranking_scorer(top_k_regret, greater_is_better="no")
