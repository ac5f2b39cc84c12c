"""RidgeRanker, NearestTasksRanker and MetadataRanker."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline

import skspider.dummy._neighbors as neighbors_module
from skspider.base import Task
from skspider.datasets import make_ranking_problem
from skspider.dummy import MetadataRanker, NearestTasksRanker, PriorRanker, RidgeRanker
from skspider.dummy._neighbors import _chamfer
from skspider.tasks import TaskTokenizer


@pytest.fixture(scope="module")
def problems():
    """Linear and set-form problems (strong interaction), split 150 / 50 tasks."""
    kwargs = dict(n_tasks=200, n_models=8, n_features=16, interaction=1.0, random_state=0)
    return {
        form: make_ranking_problem(interaction_form=form, **kwargs)
        for form in ("linear", "set_max")
    }


def _split(data, n_train=150):
    return (data.tasks[:n_train], data.proxy_ranks[:n_train], data.tasks[n_train:],
            data.performance[n_train:])  # fmt: skip


def _metadata_ranker():
    return MetadataRanker(metadata={f"ptm{m}": m for m in range(8)})


ALL = [RidgeRanker, NearestTasksRanker, _metadata_ranker]


# -- shared contract ---------------------------------------------------------------------------
@pytest.mark.parametrize("make", ALL)
def test_pipeline_after_tokenizer_grid_search_clone_pickle(make, problems):
    data = problems["linear"]
    raw = [Task(y=t.y, X=t.X, name=t.name) for t in data.tasks[:40]]  # no tokens yet
    Y = data.proxy_ranks[:40]
    Y_before = Y.copy()
    pipe = make_pipeline(TaskTokenizer(), make())
    pipe.fit(raw[:30], Y[:30])
    ranker = make().fit(data.tasks[:30], Y[:30])  # the generator's tokens are the tokenizer's
    np.testing.assert_allclose(pipe.predict(raw[30:]), ranker.predict(data.tasks[30:40]))
    assert list(pipe[-1].models_) == list(Y.columns)
    param = {
        "RidgeRanker": {"alphas": [0.1, 10.0]},
        "NearestTasksRanker": {"n_neighbors": [1, 5]},
        "MetadataRanker": {"greater_is_better": [True, False]},
    }[type(ranker).__name__]
    search = GridSearchCV(make(), param, cv=KFold(3)).fit(data.tasks[:30], Y[:30])
    assert np.isfinite(search.best_score_)
    scores = cross_validate(make(), data.tasks[:30], Y[:30], cv=KFold(3))["test_score"]
    assert np.isfinite(scores).all()
    assert not hasattr(clone(ranker), "models_")
    restored = pickle.loads(pickle.dumps(ranker))
    np.testing.assert_array_equal(restored.predict(data.tasks[:5]), ranker.predict(data.tasks[:5]))
    pd.testing.assert_frame_equal(Y, Y_before)


@pytest.mark.parametrize("make", [RidgeRanker, NearestTasksRanker])
def test_tasks_without_tokens_are_refused_clearly(make):
    tasks = [Task(y=np.arange(4) % 2, X=np.ones((4, 3))) for _ in range(3)]
    with pytest.raises(ValueError, match="TaskTokenizer"):
        make().fit(tasks, np.ones((3, 2)))


@pytest.mark.parametrize("make", [RidgeRanker, NearestTasksRanker])
def test_model_unknown_everywhere_raises(make):
    Y = np.array([[1.0, np.nan], [2.0, np.nan]])
    with pytest.raises(ValueError, match="no known performance"):
        make().fit(np.ones((2, 3)), Y)


@pytest.mark.parametrize("make", [RidgeRanker, NearestTasksRanker])
def test_token_width_is_checked(make):
    ranker = make().fit([np.ones((2, 3)), np.zeros((3, 3))], np.eye(2))
    with pytest.raises(ValueError, match="3"):
        ranker.predict([np.ones((2, 4))])


# -- RidgeRanker -------------------------------------------------------------------------------
def test_ridge_is_a_ridge_on_the_mean_token():
    rng = np.random.default_rng(0)
    sets = [rng.normal(size=(rng.integers(2, 6), 4)) for _ in range(20)]
    Y = rng.normal(size=(20, 3))
    means = np.array([s.mean(axis=0) for s in sets])
    ours = RidgeRanker(alphas=2.0).fit(sets, Y)
    ref = Ridge(alpha=2.0).fit(means, Y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-10)
    np.testing.assert_allclose(ours.predict(sets), ref.predict(means), atol=1e-10)
    np.testing.assert_array_equal(ours.alpha_, [2.0] * 3)
    # Several alphas: RidgeCV's leave-one-out choice, per model.
    alphas = [0.01, 1.0, 100.0]
    cv = RidgeCV(alphas=alphas, alpha_per_target=True).fit(means, Y)
    ours = RidgeRanker(alphas=alphas).fit(sets, Y)
    np.testing.assert_array_equal(ours.alpha_, cv.alpha_)
    np.testing.assert_allclose(ours.predict(sets), cv.predict(means), atol=1e-10)


def test_ridge_fits_each_model_on_its_known_tasks():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 3))
    Y = rng.normal(size=(12, 3))
    Y[[0, 4, 7], 1] = np.nan
    ours = RidgeRanker(alphas=1.0).fit(X, Y)
    known = ~np.isnan(Y[:, 1])
    ref = Ridge(alpha=1.0).fit(X[known], Y[known, 1])
    np.testing.assert_allclose(ours.coef_[1], ref.coef_, atol=1e-10)
    np.testing.assert_allclose(ours.coef_[[0, 2]], Ridge(alpha=1.0).fit(X, Y[:, [0, 2]]).coef_)
    assert np.isfinite(ours.predict(X)).all()
    # One known task: its value, no slope.
    Y1 = np.array([[1.0, 5.0], [2.0, np.nan], [3.0, np.nan]])
    one = RidgeRanker().fit(X[:3], Y1)
    assert one.intercept_[1] == 5.0 and not one.coef_[1].any()


@pytest.mark.parametrize("alphas", [[], [1.0, -1.0], [[1.0]], [np.nan]])
def test_ridge_bad_alphas(alphas):
    with pytest.raises(ValueError, match="alphas"):
        RidgeRanker(alphas=alphas).fit(np.ones((3, 2)), np.eye(3))


def test_ridge_learns_the_linear_form_and_fails_on_the_set_form(problems):
    gain = {}
    for form, data in problems.items():
        X, Y, X_test, truth = _split(data)
        prior = PriorRanker().fit(X, Y).score(X_test, truth)
        gain[form] = RidgeRanker().fit(X, Y).score(X_test, truth) - prior
    assert gain["linear"] > 0.2
    assert gain["set_max"] < 0.05


# -- NearestTasksRanker ------------------------------------------------------------------------
def _chamfer_brute(S, T):
    D = np.linalg.norm(S[:, None] - T[None], axis=2)
    return 0.5 * (D.min(axis=1).mean() + D.min(axis=0).mean())


def test_chamfer_matches_its_definition(monkeypatch):
    rng = np.random.default_rng(0)
    A = [rng.normal(size=(rng.integers(1, 5), 3)) for _ in range(7)]
    B = [rng.normal(size=(rng.integers(1, 5), 3)) for _ in range(5)]
    expected = np.array([[_chamfer_brute(a, b) for b in B] for a in A])
    np.testing.assert_allclose(_chamfer(A, B), expected, atol=1e-12)
    monkeypatch.setattr(neighbors_module, "_BLOCK_ELEMENTS", 10)  # many blocks
    np.testing.assert_allclose(_chamfer(A, B), expected, atol=1e-12)


def test_neighbours_average_the_normalised_rows():
    rng = np.random.default_rng(0)
    sets = [rng.normal(size=(3, 4)) + 3 * i for i in range(6)]  # far apart, in order
    Y = rng.normal(size=(6, 5))
    ranker = NearestTasksRanker(n_neighbors=2).fit(sets, Y)
    dist, index = ranker.kneighbors([sets[2] + 0.01])
    assert index[0, 0] == 2 and dist[0, 0] < dist[0, 1]
    rows = np.argsort(np.argsort(Y, axis=1), axis=1) / 4.0  # ranks scaled to [0, 1]
    np.testing.assert_allclose(ranker.predict([sets[2] + 0.01])[0], rows[index[0]].mean(axis=0))
    # With distance weights, a set equal to a training one (distance ~0) decides alone.
    exact = NearestTasksRanker(n_neighbors=3, weights="distance").fit(sets, Y)
    np.testing.assert_allclose(exact.predict([sets[4]])[0], rows[4], atol=1e-6)
    # More neighbours than tasks: all of them, i.e. the Borda prior.
    everyone = NearestTasksRanker(n_neighbors=50).fit(sets, Y)
    np.testing.assert_allclose(everyone.predict(sets[:1])[0], rows.mean(axis=0))


def test_neighbours_metrics_agree_on_single_tokens():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(15, 3)), rng.normal(size=(15, 4))
    a = NearestTasksRanker(n_neighbors=3, metric="chamfer").fit(X, Y).kneighbors(X[:4])
    b = NearestTasksRanker(n_neighbors=3, metric="mean").fit(X, Y).kneighbors(X[:4])
    np.testing.assert_allclose(a[0], b[0], atol=1e-12)
    np.testing.assert_array_equal(a[1], b[1])


def test_neighbours_unknown_models():
    X = np.array([[0.0], [1.0], [10.0]])
    Y = np.array([[1.0, np.nan, 0.0], [0.0, np.nan, 1.0], [0.0, 2.0, 1.0]])
    ranker = NearestTasksRanker(n_neighbors=2).fit(X, Y)
    pred = ranker.predict(np.array([[0.2]]))
    # Model 1 is unknown on both neighbours: it gets the prior (its only known row: best).
    assert pred[0, 1] == ranker.prior_[1] == 1.0
    np.testing.assert_allclose(pred[0, [0, 2]], [0.5, 0.5])


def test_neighbours_follow_the_tasks(problems):
    data = problems["linear"]
    X, Y, X_test, truth = _split(data)
    prior = PriorRanker().fit(X, Y).score(X_test, truth)
    assert NearestTasksRanker().fit(X, Y).score(X_test, truth) > prior + 0.05


# -- MetadataRanker ----------------------------------------------------------------------------
def test_metadata_forms_and_order():
    Y = pd.DataFrame([[1.0, 2.0, 3.0]], columns=["b", "c", "a"])
    X = np.ones((1, 2))
    frame = pd.DataFrame({"size": [3.0, 1.0, 2.0], "family": ["x", "y", "z"]},
                         index=["a", "b", "c"])  # fmt: skip
    expected = [1.0, 2.0, 3.0]  # b, c, a
    for kwargs in (
        {"metadata": {"a": 3, "b": 1, "c": 2}},
        {"metadata": frame["size"]},
        {"metadata": frame, "column": "size"},
        {"metadata": frame[["size"]]},
    ):
        ranker = MetadataRanker(**kwargs).fit(X, Y)
        np.testing.assert_array_equal(ranker.scores_, expected)
    low = MetadataRanker(metadata=frame["size"], greater_is_better=False).fit(X, Y)
    np.testing.assert_array_equal(low.predict_rank(np.ones((2, 2))), [[1, 2, 3]] * 2)
    # NumPy Y: models named 0 .. M-1, matched to keys as strings.
    ranker = MetadataRanker(metadata={"0": 5.0, 1: 7.0}).fit(X, np.ones((1, 2)))
    np.testing.assert_array_equal(ranker.scores_, [5.0, 7.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "needs metadata"),
        ({"metadata": {"a": 1.0, "b": 2.0}}, r"no value for models \['c'\]"),
        ({"metadata": {"a": 1.0, "b": np.nan, "c": 1.0}}, "finite"),
        ({"metadata": {"a": 1.0, "b": "big", "c": 1.0}}, "not a number"),
        (
            {"metadata": pd.DataFrame({"s": [1.0] * 3, "t": [2.0] * 3}, index=list("abc"))},
            "column=",
        ),
        (
            {"metadata": pd.DataFrame({"s": [1.0] * 3}, index=list("abc")), "column": "z"},
            "no column 'z'",
        ),
        ({"metadata": {"a": 1.0}, "column": "s"}, "not a DataFrame"),
        ({"metadata": [1.0, 2.0, 3.0]}, "keyed by model name"),
    ],
)
def test_metadata_bad_input(kwargs, match):
    Y = pd.DataFrame([[1.0, 2.0, 3.0]], columns=list("abc"))
    with pytest.raises((ValueError, TypeError), match=match):
        MetadataRanker(**kwargs).fit(np.ones((1, 2)), Y)


def test_metadata_of_the_generator_is_informative():
    data = make_ranking_problem(n_tasks=60, n_models=20, random_state=0)
    ranker = MetadataRanker(metadata=data.model_metadata, column="n_params")
    score = ranker.fit(data.tasks, data.proxy_ranks).score(data.tasks, data.performance)
    assert (
        0.2
        < score
        < PriorRanker().fit(data.tasks, data.proxy_ranks).score(data.tasks, data.performance)
    )
