import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from skspider._sklearn_compat import InvalidParameterError
from skspider.base import Task
from skspider.datasets import make_ranking_problem
from skspider.dummy import PriorRanker
from skspider.metrics import mean_weighted_tau
from skspider.tasks import TaskTokenizer


def _mean_tokens(data):
    return np.array([task.tokens.mean(axis=0) for task in data.tasks])


def _held_out_r2(X, target, n_train):
    """R^2 on held-out rows of a ridge regression of each column of ``target`` on ``X``."""
    truth = target[n_train:]
    pred = Ridge(alpha=1.0).fit(X[:n_train], target[:n_train]).predict(X[n_train:])
    pred = pred.reshape(truth.shape)
    return 1.0 - ((truth - pred) ** 2).sum() / ((truth - truth.mean(axis=0)) ** 2).sum()


def test_shapes_names_and_contents():
    data = make_ranking_problem(
        n_tasks=12, n_models=5, n_features=7, n_way=(3, 6), n_shot=4, n_model_features=3,
        random_state=0,
    )  # fmt: skip
    models = [f"ptm{m}" for m in range(5)]
    for frame in (data.performance, data.oracle, data.proxy_ranks, data.interaction):
        assert isinstance(frame, pd.DataFrame) and frame.shape == (12, 5)
        assert list(frame.columns) == models
        assert list(frame.index) == [task.name for task in data.tasks]
    assert list(data.quality.index) == models == list(data.model_metadata.index)
    assert (data.model_metadata["n_params"] > 0).all()
    assert len(data.tasks) == 12
    for task in data.tasks:
        assert isinstance(task, Task)
        n_way = len(np.unique(task.y))
        assert 3 <= n_way <= 6
        np.testing.assert_array_equal(np.bincount(task.y), np.full(n_way, 4))
        assert task.X.shape == (4 * n_way, 7) and task.tokens.shape == (n_way, 7)
        assert sorted(task.model_tokens) == models
        assert task.get_model_tokens("ptm2").shape == (n_way, 3)
    # Proxy ranks: a permutation of 0 .. M-1 per task.
    np.testing.assert_array_equal(np.sort(data.proxy_ranks.to_numpy(), axis=1), [range(5)] * 12)
    assert ((data.performance > 0) & (data.performance < 100)).all().all()
    assert make_ranking_problem(n_tasks=2, n_model_features=0).tasks[0].model_tokens is None
    assert {len(np.unique(t.y)) for t in make_ranking_problem(n_tasks=5, n_way=3).tasks} == {3}


def test_tokens_are_those_of_the_tokenizer():
    data = make_ranking_problem(n_tasks=6, n_models=3, n_features=5, random_state=1)
    plain = [Task(y=task.y, X=task.X) for task in data.tasks]
    for ours, theirs in zip(data.tasks, TaskTokenizer().fit_transform(plain)):
        np.testing.assert_allclose(ours.tokens, theirs, atol=1e-12)


def test_seeded_and_deterministic():
    a = make_ranking_problem(n_tasks=8, n_models=4, model_specific=1.0, random_state=3)
    b = make_ranking_problem(n_tasks=8, n_models=4, model_specific=1.0, random_state=3)
    c = make_ranking_problem(n_tasks=8, n_models=4, model_specific=1.0, random_state=4)
    pd.testing.assert_frame_equal(a.performance, b.performance)
    pd.testing.assert_frame_equal(a.proxy_ranks, b.proxy_ranks)
    for s, t in zip(a.tasks, b.tasks):
        np.testing.assert_array_equal(s.X, t.X)
        np.testing.assert_array_equal(s.get_model_tokens("ptm1"), t.get_model_tokens("ptm1"))
    assert not np.allclose(a.performance, c.performance)


def test_performance_is_the_documented_sum_of_its_parts():
    data = make_ranking_problem(
        n_tasks=30, n_models=6, quality=0.7, interaction=0.4, model_specific=0.3, noise=0.0,
        random_state=0,
    )  # fmt: skip
    # Without noise the performance is the oracle, and its logit is b_t + latent / 2.
    pd.testing.assert_frame_equal(data.performance, data.oracle)
    logit = np.log(data.oracle / (100.0 - data.oracle)).to_numpy()
    latent = (
        0.7 * data.quality.to_numpy() + 0.4 * data.interaction.to_numpy()
        + 0.3 * data.model_specific.to_numpy()
    )  # fmt: skip
    residual = logit - latent / 2.0  # the task's difficulty: one value per row
    np.testing.assert_allclose(residual, residual[:, :1].repeat(6, axis=1), atol=1e-9)
    assert data.interaction.to_numpy().std() == pytest.approx(1.0)


@pytest.mark.parametrize("form", ["linear", "set_max", "set_min"])
def test_interaction_controls_how_much_a_fixed_ranking_fails(form):
    taus = []
    for strength in (0.0, 0.5, 1.5):
        data = make_ranking_problem(
            n_tasks=120, n_models=10, n_features=16, interaction=strength,
            interaction_form=form, random_state=0,
        )  # fmt: skip
        prior = PriorRanker().fit(data.tasks[:80], data.proxy_ranks[:80])
        truth = data.performance[80:]
        taus.append(
            (prior.score(data.tasks[80:], truth), mean_weighted_tau(truth, data.oracle[80:]))
        )
    (p0, o0), (p1, _), (p2, o2) = taus
    assert abs(p0 - o0) < 0.03  # no interaction: the prior is as good as the oracle
    assert p0 > p1 + 0.1 and p1 > p2 + 0.1  # stronger interaction: the prior fails more
    assert o2 > 0.9  # ... while the truth stays predictable from the tasks


def test_set_form_defeats_a_mean_token_model():
    r2 = {}
    for form in ("linear", "set_max", "set_min"):
        data = make_ranking_problem(
            n_tasks=300, n_models=6, n_features=8, interaction=1.0, interaction_form=form,
            n_model_features=0, random_state=0,
        )  # fmt: skip
        r2[form] = _held_out_r2(_mean_tokens(data), data.interaction.to_numpy(), 200)
    assert r2["linear"] > 0.7
    assert abs(r2["set_max"]) < 0.1 and abs(r2["set_min"]) < 0.1


def test_set_form_is_a_function_of_the_token_set():
    # The truth behind set_max: with the PTM's direction known, the max over the centred
    # class tokens predicts it (the tokens are noisy, normalised class centroids).
    data = make_ranking_problem(
        n_tasks=200, n_models=4, n_features=8, n_shot=50, interaction=1.0,
        interaction_form="set_max", n_model_features=0, random_state=0,
    )  # fmt: skip
    # Recover each PTM's direction from the linear form with the same seed: the same draws.
    twin = make_ranking_problem(
        n_tasks=200, n_models=4, n_features=8, n_shot=50, interaction=1.0,
        interaction_form="linear", n_model_features=0, random_state=0,
    )  # fmt: skip
    W = Ridge(alpha=1e-3).fit(_mean_tokens(twin), twin.interaction.to_numpy()).coef_.T
    feature = np.array([((t.tokens - t.tokens.mean(0)) @ W).max(axis=0) for t in data.tasks])
    for m in range(4):
        assert np.corrcoef(feature[:, m], data.interaction.iloc[:, m])[0, 1] > 0.8


def test_model_specific_tokens_carry_signal_the_general_ones_lack():
    data = make_ranking_problem(
        n_tasks=300, n_models=3, n_features=8, model_specific=1.0, random_state=0
    )
    r = data.model_specific.to_numpy()
    general = _held_out_r2(_mean_tokens(data), r, 200)
    for m, name in enumerate(data.quality.index):
        own = np.array([task.get_model_tokens(name).mean(axis=0) for task in data.tasks])
        assert _held_out_r2(own, r[:, m : m + 1], 200) > 0.8
    assert abs(general) < 0.1


def test_metadata_tracks_the_shared_quality():
    data = make_ranking_problem(n_tasks=1, n_models=200, random_state=0)
    log_size = np.log(data.model_metadata["n_params"])
    assert 0.6 < np.corrcoef(log_size, data.quality)[0, 1] < 0.95


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_way": (5, 3)}, "n_way"),
        ({"n_way": (1, 3)}, "n_way"),
        ({"n_way": (2.5, 3)}, "n_way"),
        ({"n_way": (2, 3, 4)}, "n_way"),
    ],
)
def test_bad_n_way(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_ranking_problem(n_tasks=2, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{"interaction_form": "quadratic"}, {"n_models": 1}, {"noise": -1.0}, {"n_way": 1}],
)
def test_invalid_parameters(kwargs):
    with pytest.raises(InvalidParameterError):
        make_ranking_problem(n_tasks=2, **kwargs)
