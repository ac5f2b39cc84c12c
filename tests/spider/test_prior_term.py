"""SpiderRanker's task-blind term (prior=True) and the shrinkage of the network's part."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.optimize import minimize
from scipy.special import logsumexp

from skspider.dummy import PriorRanker
from skspider.spider import RerankTransformer, SpiderRanker
from skspider.spider._loss import (
    leaderboard_prior,
    plackett_luce_loss,
    plackett_luce_order,
    plackett_luce_prior,
)

FAST = {"d_model": 16, "max_iter": 60, "lr": 1e-2, "device": "cpu", "random_state": 0}
NAN = np.nan


def _direct_objective(b, Y):
    """Sum over tasks of the Plackett-Luce NLL of ``b`` (ties: first), + ||b||^2 / 2."""
    total = 0.5 * float(b @ b)
    for y in Y:
        known = np.flatnonzero(~np.isnan(y))
        if len(known) < 2:
            continue
        order = sorted(known, key=lambda m: (-y[m], m))
        total += sum(logsumexp(b[order[i:]]) - b[m] for i, m in enumerate(order)) / (len(known) - 1)
    return total


def test_prior_is_the_penalised_plackett_luce_optimum():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(15, 5)) + np.arange(5)
    Y[rng.random(Y.shape) < 0.3] = NAN
    b = plackett_luce_prior(Y)
    reference = minimize(_direct_objective, np.zeros(5), args=(Y,), method="BFGS", tol=1e-10)
    np.testing.assert_allclose(b, reference.x, atol=1e-5)
    assert list(np.argsort(-b)) == [4, 3, 2, 1, 0]


def test_prior_is_finite_when_a_model_wins_every_comparison():
    Y = np.tile([3.0, 2.0, 1.0], (50, 1))
    b = plackett_luce_prior(Y)
    assert np.isfinite(b).all() and b[0] > b[1] > b[2]


def test_fixed_utilities_are_held():
    Y = np.tile([[1.0, 2.0, 3.0], [1.0, 3.0, 2.0]], (10, 1))
    b = plackett_luce_prior(Y, fixed=np.array([0.5, NAN, NAN]))
    assert b[0] == 0.5 and b[1] > 0.5 and b[2] > 0.5


def test_leaderboard_prior_ranks_as_the_mean_label_at_the_likelihood_scale():
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(20, 6)) + np.linspace(0, 2, 6)
    Y[rng.random(Y.shape) < 0.25] = NAN
    b = leaderboard_prior(Y, "breslow")
    mean = np.nanmean(Y, axis=0)
    np.testing.assert_array_equal(np.argsort(-b), np.argsort(-mean))
    z = (mean - mean.mean()) / mean.std()
    c = b[0] / z[0]
    np.testing.assert_allclose(b, c * z)
    order, start, n_known = (torch.from_numpy(a) for a in plackett_luce_order(Y, "breslow"))

    def loss(factor):
        scores = torch.from_numpy(factor * z).unsqueeze(0).expand(len(Y), -1)
        return float(plackett_luce_loss(scores, order, start, n_known))

    # The likelihood's best factor, by a grid: c is its minimiser (to the grid's step).
    grid = np.linspace(0.0, 20.0, 2001)
    best = grid[np.argmin([loss(f) for f in grid])]
    assert c > 0 and c == pytest.approx(best, abs=0.011)


def test_leaderboard_prior_of_equal_means_is_zero():
    assert not leaderboard_prior(np.ones((3, 4))).any()


def test_spider_at_zero_shrinkage_ranks_as_the_prior_ranker(make_tasks):
    X, Y = make_tasks(30)
    Y = Y.copy()
    Y[::4, 1] = NAN
    spider = SpiderRanker(**FAST, shrinkage=0.0).fit(X, Y)
    prior = PriorRanker().fit(X, Y)
    np.testing.assert_array_equal(spider.predict_rank(X), prior.predict_rank(X))


# Tasks whose tokens say nothing (all equal): only the task-blind ranking can be learnt. "a"
# has records on two tasks only, where it beats "b"; filling its missing records with 0 (or
# any value below "c") would rank it last on the others and flip "a" below "b".
RECORDS = pd.DataFrame(
    [[0.9, 0.8, 0.1], [0.9, 0.8, 0.1]] + [[NAN, 0.7, 0.6]] * 4, columns=["a", "b", "c"]
)
TOKENS = np.ones((6, 2))


def test_missing_records_are_masked_in_the_prior():
    ranker = SpiderRanker(**FAST, shrinkage=0.0).fit(TOKENS, RECORDS)
    assert list(ranker.predict_rank(TOKENS[:1])[0]) == [1, 2, 3]
    np.testing.assert_array_equal(ranker.predict(TOKENS), np.tile(ranker.prior_, (6, 1)))
    filled = SpiderRanker(**FAST, shrinkage=0.0).fit(TOKENS, RECORDS.fillna(0.0))
    assert list(filled.predict_rank(TOKENS[:1])[0]) != [1, 2, 3]  # imputing flips it


def test_missing_records_are_masked_in_the_network_loss():
    params = {**FAST, "max_iter": 150, "prior": False}
    ranker = SpiderRanker(**params).fit(TOKENS, RECORDS)
    assert list(ranker.predict_rank(TOKENS[:1])[0]) == [1, 2, 3]
    filled = SpiderRanker(**params).fit(TOKENS, RECORDS.fillna(0.0))
    assert list(filled.predict_rank(TOKENS[:1])[0]) != [1, 2, 3]


def test_training_starts_from_the_prior(make_tasks):
    X, Y = make_tasks(20)
    ranker = SpiderRanker(**{**FAST, "max_iter": 0}, shrinkage=1.0).fit(X, Y)
    # The read-out starts at zero: the network adds exactly nothing before training.
    np.testing.assert_array_equal(ranker.predict(X), np.tile(ranker.prior_, (20, 1)))
    assert ranker.prior_.shape == (4,) and ranker.shrinkage_ == 1.0


def test_auto_shrinkage_keeps_the_prior_when_tasks_say_nothing():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))  # tokens unrelated to the labels
    Y = np.arange(5) + rng.normal(size=(60, 5))  # one shared ranking plus noise
    # 18 held-out tasks (fewer make the choice a coin toss).
    ranker = SpiderRanker(**{**FAST, "max_iter": 200}, validation_fraction=0.3).fit(X, Y)
    assert set(ranker.shrinkage_scores_) == {0.0, 0.25, 0.5, 0.75, 1.0}
    assert ranker.shrinkage_ == 0.0
    assert list(ranker.predict_rank(X[:1])[0]) == [5, 4, 3, 2, 1]


def test_auto_shrinkage_uses_the_network_where_it_helps(make_tasks):
    X, Y = make_tasks(80)
    ranker = SpiderRanker(**{**FAST, "max_iter": 150}).fit(X[:60], Y[:60])
    assert ranker.shrinkage_ > 0.0
    best = max(ranker.shrinkage_scores_.values())
    assert ranker.shrinkage_scores_[ranker.shrinkage_] == best
    assert best > ranker.shrinkage_scores_[0.0]
    prior = SpiderRanker(**FAST, shrinkage=0.0).fit(X[:60], Y[:60])
    assert ranker.score(X[60:], Y[60:]) > prior.score(X[60:], Y[60:]) + 0.2


def test_fixed_shrinkage_holds_out_nothing(make_tasks):
    X, Y = make_tasks(32)
    ranker = SpiderRanker(**{**FAST, "max_iter": 4}, shrinkage=0.5).fit(X, Y)
    assert ranker.shrinkage_ == ranker.specific_shrinkage_ == 0.5
    assert ranker.shrinkage_scores_ == {}
    assert ranker.n_epochs_ == 2  # 32 tasks in batches of 16: every task is trained on


def test_without_prior_the_network_alone(make_tasks):
    X, Y = make_tasks(20)
    ranker = SpiderRanker(**FAST, prior=False).fit(X, Y)
    assert ranker.prior_ is None and ranker.shrinkage_ == 1.0
    assert SpiderRanker.paper_params()["prior"] is False


def test_specific_tokens_get_their_own_shrinkage(specific_split):
    # The general tokens say nothing, the PTMs' own tokens everything: the general scores
    # stay at the prior, the re-scored ones use the network.
    train, Y, test, Y_test = specific_split
    ranker = SpiderRanker(**FAST, max_specific_tokens=5, validation_fraction=0.3).fit(train, Y)
    assert ranker.specific_shrinkage_scores_
    assert ranker.specific_shrinkage_ > ranker.shrinkage_
    general = RerankTransformer(ranker, k=0).fit(train, Y)
    reranked = RerankTransformer(ranker, k=5).fit(train, Y)
    assert reranked.score(test, Y_test) > general.score(test, Y_test) + 0.3


def test_add_models_extends_the_prior(make_tasks):
    X, Y = make_tasks(30)
    ranker = SpiderRanker(**FAST, shrinkage=0.0).fit(X, Y)
    before = ranker.prior_.copy()
    ranker.add_models(X, np.c_[Y, Y[:, 0] + 10.0], max_iter=5)  # a new model, best everywhere
    np.testing.assert_array_equal(ranker.prior_[:4], before)
    assert ranker.prior_[4] > before.max()
    assert (ranker.predict_rank(X)[:, 4] == 1).all()


def test_a_model_without_any_record_is_refused():
    Y = np.array([[1.0, NAN], [2.0, NAN]])
    with pytest.raises(ValueError, match=r"models \[1\] have no known label"):
        SpiderRanker(**FAST).fit(np.ones((2, 2)), Y)


def test_held_out_tasks_without_two_records_warn_and_keep_the_prior(monkeypatch):
    import skspider.spider._ranker as ranker_module

    Y = np.array([[1.0, 2.0, 3.0]] * 9 + [[1.0, NAN, NAN]])
    X = np.arange(10.0)[:, None]
    # Hold out the last task, the one with a single record.
    monkeypatch.setattr(ranker_module, "split_tasks", lambda n, *a, **k: (np.arange(9), [9]))
    with pytest.warns(UserWarning, match="no held-out task has two known labels"):
        ranker = SpiderRanker(**FAST).fit(X, Y)
    assert ranker.shrinkage_ == 0.0


def test_a_pickle_from_before_the_prior_loads_as_the_network_alone(make_tasks):
    X, Y = make_tasks(20)
    ranker = SpiderRanker(**FAST, prior=False).fit(X, Y)
    state = ranker.__getstate__()
    for name in ("prior", "shrinkage", "prior_", "shrinkage_", "shrinkage_scores_",
                 "specific_shrinkage_", "specific_shrinkage_scores_"):  # fmt: skip
        state.pop(name)
    old = SpiderRanker.__new__(SpiderRanker)
    old.__setstate__(pickle.loads(pickle.dumps(state)))
    assert old.get_params()["prior"] is False
    np.testing.assert_array_equal(old.predict(X), ranker.predict(X))


def test_a_single_training_task_keeps_the_prior_with_a_warning():
    with pytest.warns(UserWarning, match=r"one training task, or group, cannot be split"):
        ranker = SpiderRanker(**FAST).fit(np.ones((1, 2)), np.array([[1.0, 2.0, 3.0]]))
    assert ranker.shrinkage_ == 0.0 and list(ranker.predict_rank(np.ones((1, 2)))[0]) == [3, 2, 1]


def test_split_tasks_holds_out_whole_groups():
    from skspider.spider._training import split_tasks

    groups = np.repeat(["a", "b", "c", "d", "e"], 4)
    train, valid = split_tasks(20, 0.3, np.random.default_rng(0), what="x", groups=groups)
    assert len(valid) == 8 and len(train) == 12  # ceil(0.3 * 5) = 2 groups of 4
    assert not set(groups[train]) & set(groups[valid])
    with pytest.raises(ValueError, match="at least 2 groups"):
        split_tasks(4, 0.3, np.random.default_rng(0), what="x", groups=np.zeros(4))


def _domain_problem(n_domains=20, per_domain=8, n_models=5, seed=0):
    # Each domain has its own token and its own ranking of the models, unrelated to the
    # token across domains: memorising a domain helps on its other tasks, never on a new one.
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_domains, 6))
    effects = rng.normal(scale=2.0, size=(n_domains, n_models))
    domain = np.repeat(np.arange(n_domains), per_domain)
    X = centres[domain] + 0.05 * rng.normal(size=(len(domain), 6))
    Y = np.arange(n_models) * 0.3 + effects[domain] + 0.1 * rng.normal(size=(len(domain), n_models))
    return X, Y, domain


def test_groups_make_auto_shrinkage_measure_transfer_to_new_groups():
    X, Y, domain = _domain_problem()
    params = {**FAST, "max_iter": 300, "validation_fraction": 0.25}
    by_task = SpiderRanker(**params).fit(X, Y)
    by_domain = SpiderRanker(**params).fit(X, Y, groups=domain)
    assert by_task.shrinkage_ >= 0.5  # held-out tasks share domains with the training ones
    assert by_domain.shrinkage_ == 0.0  # held-out domains: the network does not carry over
    # New domains: the grouped choice (the prior) beats the one fooled by shared domains.
    X_new, Y_new, _ = _domain_problem(seed=1)
    assert by_domain.score(X_new, Y_new) > by_task.score(X_new, Y_new)


def test_groups_of_the_wrong_shape_are_refused():
    X, Y, domain = _domain_problem(n_domains=3, per_domain=2)
    with pytest.raises(ValueError, match=r"groups must have one label per task"):
        SpiderRanker(**FAST).fit(X, Y, groups=domain[:-1])


def test_a_single_group_keeps_the_prior_with_a_warning():
    X, Y, _ = _domain_problem(n_domains=2, per_domain=3)
    with pytest.warns(UserWarning, match="or group, cannot be split"):
        ranker = SpiderRanker(**FAST).fit(X, Y, groups=np.zeros(6))
    assert ranker.shrinkage_ == 0.0


def test_no_interaction_generator_comes_within_001_of_the_prior():
    # The generator's setting where the task tells nothing about the ranking: the ranker
    # must not fall below the prior it learns from.
    from sklearn.pipeline import make_pipeline

    from skspider.datasets import make_ranking_problem
    from skspider.tasks import TaskTokenizer

    problem = make_ranking_problem(n_tasks=120, n_models=8, n_features=16, random_state=0)
    train, test = slice(0, 90), slice(90, 120)
    scores = {}
    for name, ranker in [
        ("spider", SpiderRanker(**{**FAST, "max_iter": 150})),
        ("prior", PriorRanker()),
    ]:
        pipe = make_pipeline(TaskTokenizer(), ranker)
        pipe.fit(problem.tasks[train], problem.proxy_ranks.iloc[train])
        scores[name] = pipe.score(problem.tasks[test], problem.performance.iloc[test])
    assert abs(scores["spider"] - scores["prior"]) <= 0.01


def test_leaderboard_prior_with_a_model_unknown_in_every_task():
    # Possible in the training part of a hold-out: the other models keep their leaderboard.
    Y = np.array([[3.0, 1.0, NAN], [2.0, 0.0, NAN], [4.0, 2.0, NAN]])
    b = leaderboard_prior(Y)
    assert b[0] > 0 > b[1] and b[2] == 0.0
