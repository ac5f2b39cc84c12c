"""TransferabilityRanker: the ranker contract over a zoo of per-PTM arrays."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils import estimator_checks as ec

from skspider.base import Task
from skspider.transferability import LEEP, OTCE, BaseTransferabilityEstimator, HScore, LogME
from skspider.transferability import TransferabilityRanker as Ranker
from skspider.utils._test_common import ARRAY_FREE_API_CHECKS

MODELS = ["weak", "medium", "strong"]


def _task(seed, n=45, c=3, lazy=False, name=None):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    feats, probas = {}, {}
    for strength, model in zip([0.2, 1.0, 3.0], MODELS):
        F = rng.normal(size=(n, 6)) + strength * np.eye(c, 6)[y]
        L = rng.normal(size=(n, 4)) + strength * np.eye(c, 4)[y]
        P = np.exp(L) / np.exp(L).sum(axis=1, keepdims=True)
        feats[model] = (lambda F=F: F) if lazy else F
        probas[model] = P
    return Task(y=y, model_features=feats, model_probas=probas, name=name or f"t{seed}")


TASKS = [_task(s) for s in range(3)]


def test_predict_routes_each_ptm_to_the_estimator():
    for est in (LogME(), LEEP()):
        ranker = Ranker(est).fit(TASKS)
        scores = ranker.predict(TASKS)
        assert scores.shape == (3, 3)
        get = "get_model_features" if est.input_kind == "features" else "get_model_probas"
        expected = [[est.score(getattr(t, get)(m), t.y) for m in MODELS] for t in TASKS]
        np.testing.assert_allclose(scores, expected, rtol=1e-12)
        np.testing.assert_array_equal(ranker.predict_rank(TASKS), [[3, 2, 1]] * 3)


def test_default_estimator_is_logme_and_models_come_from_the_first_task():
    ranker = Ranker().fit(TASKS)
    assert list(ranker.models_) == MODELS and ranker.n_models_ == 3
    np.testing.assert_allclose(ranker.predict(TASKS), Ranker(LogME()).fit(TASKS).predict(TASKS))


def test_dataframe_y_names_and_orders_the_zoo_and_score_aligns():
    Y = pd.DataFrame({"strong": [0.9] * 3, "weak": [0.1] * 3, "medium": [0.5] * 3})
    ranker = Ranker(LogME()).fit(TASKS, Y)
    assert list(ranker.models_) == ["strong", "weak", "medium"]
    assert np.all(ranker.predict(TASKS)[:, 0] > ranker.predict(TASKS)[:, 1])
    assert ranker.score(TASKS, Y) == pytest.approx(1.0)
    assert ranker.score(TASKS, Y[["weak", "medium", "strong"]]) == pytest.approx(1.0)
    assert ranker.score(TASKS, -Y) == pytest.approx(-1.0)


def test_array_y_must_match_the_zoo():
    Ranker().fit(TASKS, np.ones((3, 3)))
    with pytest.raises(ValueError, match="model columns"):
        Ranker().fit(TASKS, np.ones((3, 2)))
    with pytest.raises(ValueError, match="tasks"):
        Ranker().fit(TASKS, np.ones((2, 3)))


def test_lazy_arrays_and_parallel_jobs_agree():
    lazy = [_task(s, lazy=True) for s in range(3)]
    ref = Ranker(LogME()).fit(TASKS).predict(TASKS)
    np.testing.assert_allclose(Ranker(LogME()).fit(lazy).predict(lazy), ref, rtol=1e-12)
    par = Ranker(LogME(), n_jobs=2).fit(lazy).predict(lazy)
    np.testing.assert_allclose(par, ref, rtol=1e-12)


def test_missing_model_is_a_clear_error():
    ranker = Ranker(LogME()).fit(TASKS)
    partial = Task(y=TASKS[0].y, model_features={"weak": TASKS[0].get_model_features("weak")})
    with pytest.raises(ValueError, match=r"X\[1\].*'medium'"):
        ranker.predict([TASKS[0], partial])


class _SetLevel(BaseTransferabilityEstimator):
    """A set-level toy: a PTM's LogME minus the mean over the PTMs scored with it."""

    set_level = True

    def __init__(self):
        pass

    def _fit(self, X, y):  # pragma: no cover - only score_models is used
        raise NotImplementedError

    def score_models(self, Xs, y):
        raw = np.array([LogME().score(X, y) for X in Xs])
        return raw - raw.mean()


def test_set_level_estimators_see_every_ptm_of_a_task():
    scores = Ranker(_SetLevel(), n_jobs=2).fit(TASKS).predict(TASKS)
    np.testing.assert_allclose(scores.sum(axis=1), 0.0, atol=1e-12)
    raw = Ranker(LogME()).fit(TASKS).predict(TASKS)
    np.testing.assert_allclose(scores, raw - raw.mean(axis=1, keepdims=True), rtol=1e-10)


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        (np.ones((3, 4)), TypeError, "sequence of skspider.base.Task"),
        (TASKS[0], TypeError, "wrap a single task"),
        ([], ValueError, "no tasks"),
    ],
)
def test_bad_x(X, error, match):
    with pytest.raises(error, match=match):
        Ranker().fit(X)


def test_not_an_estimator_and_unfitted():
    with pytest.raises(ValueError, match="estimator"):
        Ranker(estimator=3).fit(TASKS)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Ranker().predict(TASKS)


def test_estimator_is_cloned_not_modified_and_pickles():
    est = LogME()
    ranker = Ranker(est).fit(TASKS)
    ranker.predict(TASKS)
    assert not hasattr(est, "score_")
    again = pickle.loads(pickle.dumps(ranker))
    np.testing.assert_allclose(again.predict(TASKS), ranker.predict(TASKS))
    assert not hasattr(clone(ranker), "models_")


# scikit-learn's API checks (the array-based ones cannot apply: X is a sequence of Task, and
# the tag two_d_array=False makes parametrize_with_checks skip the estimator).
@pytest.mark.parametrize("check", ARRAY_FREE_API_CHECKS)
def test_sklearn_api_checks(check):
    getattr(ec, check)("TransferabilityRanker", Ranker())


def test_otce_source_sets_are_routed_from_the_task_in_the_ranker():
    rng = np.random.default_rng(5)
    y = np.repeat([0, 1, 2], 10)
    feats = {m: rng.normal(size=(30, 4)) + (k + 1) * np.eye(3, 4)[y] for k, m in enumerate("ab")}
    source = {m: rng.normal(size=(20, 4)) for m in "ab"}
    source_y = np.repeat([0, 1], 10)
    task = Task(
        y=y,
        model_features=feats,
        side_data={"source_labels": source_y},
        model_side_data={m: {"source_features": s} for m, s in source.items()},
    )
    scores = Ranker(OTCE()).fit([task]).predict([task])
    expected = [
        OTCE().score(feats[m], y, source_features=s, source_labels=source_y)
        for m, s in source.items()
    ]
    np.testing.assert_allclose(scores[0], expected)


def test_estimator_by_name_through_discovery():
    from skspider.transferability import get_estimator
    from skspider.utils import all_estimators

    names = [name for name, _ in all_estimators(type_filter="transferability")]
    assert "TransferabilityRanker" not in names and {"LogME", "NCTI", "OTCE"} <= set(names)
    assert isinstance(get_estimator("h-score"), HScore)
    by_name = Ranker("leep").fit(TASKS).predict(TASKS)
    np.testing.assert_allclose(by_name, Ranker(LEEP()).fit(TASKS).predict(TASKS))
    with pytest.raises(ValueError, match="Unknown transferability estimator 'LogMe2'"):
        Ranker("LogMe2").fit(TASKS)


def test_ncti_scores_each_task_as_a_set_inside_the_ranker():
    from skspider.transferability import NCTI

    est = NCTI(pca_dim=4)
    scores = Ranker(est).fit(TASKS).predict(TASKS)
    for row, task in zip(scores, TASKS, strict=True):
        arrays = [task.get_model_features(m) for m in MODELS]
        np.testing.assert_allclose(row, NCTI(pca_dim=4).score_models(arrays, task.y))
    # The most separable PTM wins on every task.
    assert (scores.argmax(axis=1) == MODELS.index("strong")).all()
