"""EstimatorReranker: a transferability estimator on the base ranker's top-k PTMs only."""

import pickle
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils import estimator_checks as ec

from skspider.base import Task
from skspider.dummy import PriorRanker
from skspider.spider import EstimatorReranker, SpiderRanker
from skspider.tasks import TaskTokenizer
from skspider.transferability import LEEP, HScore, LogME
from skspider.utils._test_common import ARRAY_FREE_API_CHECKS

N_MODELS = 5
NAMES = [f"p{m}" for m in range(N_MODELS)]
SMALL = {"d_model": 8, "max_iter": 20, "lr": 1e-2, "device": "cpu", "random_state": 0}


def _tasks(n_tasks, seed=0, counter=None):
    """Tasks of 2 classes; PTM m separates them by ``signal[t, m]`` in its own features, the
    true performance. Features are loaders that count their calls in ``counter``."""
    rng = np.random.default_rng(seed)
    signal = rng.uniform(0.0, 3.0, size=(n_tasks, N_MODELS))
    signal[:, 0] += 1.0  # p0 is best on average: the prior puts it first
    y = np.repeat([0, 1], 40)
    tasks = []
    for t in range(n_tasks):
        features, probas = {}, {}
        for m, name in enumerate(NAMES):
            array = rng.normal(size=(80, 3)) + signal[t, m] * y[:, None]

            def load(array=array, key=(t, name)):
                if counter is not None:
                    counter[key] += 1
                return array

            features[name] = load
            logits = np.c_[array[:, 0], -array[:, 0]]
            probas[name] = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        tasks.append(
            Task(
                y=y, X=rng.normal(size=(80, 4)), tokens=rng.normal(size=(2, 4)),
                model_features=features, model_probas=probas, name=f"t{t}",
            )
        )  # fmt: skip
    return tasks, pd.DataFrame(signal, columns=NAMES)


@pytest.fixture(scope="module")
def data():
    train, Y = _tasks(30)
    counter = Counter()
    test, Y_test = _tasks(8, seed=1, counter=counter)
    prior = PriorRanker().fit(train, Y)
    spider = SpiderRanker(**SMALL).fit([t.tokens for t in train], Y)
    return {"train": train, "Y": Y, "test": test, "Y_test": Y_test, "counter": counter,
            "prior": prior, "spider": spider}  # fmt: skip


@pytest.mark.parametrize("base", ["prior", "spider"])
def test_only_the_selected_ptms_are_loaded_once(data, base):
    rerank = EstimatorReranker(FrozenEstimator(data[base]), k=2).fit(data["test"][:1], None)
    selected = rerank.select(data["test"])
    data["counter"].clear()
    scores = rerank.predict(data["test"])
    assert scores.shape == (8, N_MODELS)
    for t, names in enumerate(selected):
        assert len(names) == 2
        loaded = {m: c for (task, m), c in data["counter"].items() if task == t}
        assert loaded == dict.fromkeys(names, 1)  # exactly the selected, each once


def test_top_k_keep_their_positions_reordered_by_the_estimator(data):
    test = data["test"]
    base = data["prior"]
    rerank = EstimatorReranker(FrozenEstimator(base), k=3).fit(test[:1], None)
    general = base.predict(test)
    scores = rerank.predict(test)
    top = np.argsort(-general, axis=1, kind="stable")
    for t, task in enumerate(test):
        chosen, rest = top[t, :3], top[t, 3:]
        np.testing.assert_array_equal(scores[t, rest], general[t, rest])  # the rest as is
        assert scores[t, chosen].min() > scores[t, rest].max()  # the top-3 stay on top
        logme = [LogME().fit(task.get_model_features(NAMES[m]), task.y).score_ for m in chosen]
        assert list(chosen[np.argsort(logme)[::-1]]) == list(np.argsort(-scores[t])[:3])
    # Re-ordering by LogME helps here: it reads each PTM's own features of the task.
    assert rerank.score(test, data["Y_test"]) > base.score(test, data["Y_test"])


def test_select_follows_the_tie_rule_of_the_base_scores(data):
    # The prior ties p1..p4 at 0: ties go to the earlier model.
    Y = pd.DataFrame([[1.0, 0.0, 0.0, 0.0, 0.0]], columns=NAMES)
    base = PriorRanker().fit(data["test"][:1], Y)
    rerank = EstimatorReranker(FrozenEstimator(base), k=3).fit(data["test"][:1], None)
    assert [list(m) for m in rerank.select(data["test"][:2])] == [["p0", "p1", "p2"]] * 2


def test_unscored_ptms_go_after_the_scored_ones_with_a_warning(data):
    test = [data["test"][0]]
    task = test[0]
    features = {m: task.model_features[m] for m in NAMES if m != "p0"}  # no features of p0
    lacking = [Task(y=task.y, tokens=task.tokens, model_features=features)]
    base = FrozenEstimator(data["prior"])
    with pytest.raises(ValueError, match=r"no model_features for its top-k PTMs \['p0'\]"):
        EstimatorReranker(base, k=3).fit(test, None).predict(lacking)
    rerank = EstimatorReranker(base, k=3, missing="nan").fit(test, None)
    with pytest.warns(UserWarning, match="could not score 1 .* keep their base order"):
        scores = rerank.predict(lacking)[0]
    general = data["prior"].predict(lacking)[0]
    top = np.argsort(-general, kind="stable")
    assert top[0] == 0  # p0 was first by the prior
    order = np.argsort(-scores, kind="stable")
    assert order[2] == 0 and set(order[:2]) == set(top[1:3])  # after the two scored


def test_k_auto_with_a_frozen_ranker_chooses_on_the_tasks_given(data):
    rerank = EstimatorReranker(FrozenEstimator(data["prior"]), k="auto")
    rerank.fit(data["train"], data["Y"])
    assert rerank.k_candidates_ == [0, 1, 2, 3, 5]
    assert rerank.k_ == max(rerank.k_scores_, key=lambda k: (rerank.k_scores_[k], -k))
    assert rerank.k_scores_[rerank.k_] > rerank.k_scores_[0]
    assert rerank.ranker_ is data["prior"]


def test_k_auto_with_an_unfitted_ranker_holds_tasks_out_and_refits(data):
    base = PriorRanker()
    rerank = EstimatorReranker(base, k="auto", k_candidates=[0, 2], random_state=0)
    rerank.fit(data["train"], data["Y"])
    assert set(rerank.k_scores_) == {0, 2} and rerank.ranker_ is not base
    assert not hasattr(base, "prior_")  # cloned, never fitted
    np.testing.assert_allclose(rerank.ranker_.prior_, data["prior"].prior_)  # all tasks
    assert list(rerank.models_) == NAMES


def test_in_a_pipeline_after_the_tokenizer(data):
    # TaskTokenizer(model_tokens=True) returns the tasks, tokens set and features kept.
    raw = [Task(y=t.y, X=t.X, model_features=t.model_features) for t in data["test"]]
    train = [Task(y=t.y, X=t.X, model_features=t.model_features) for t in data["train"]]
    pipe = Pipeline(
        [("tok", TaskTokenizer(model_tokens=True)),
         ("rerank", EstimatorReranker(SpiderRanker(**SMALL), k=2))]
    )  # fmt: skip
    pipe.fit(train, data["Y"])
    data["counter"].clear()
    assert pipe.predict(raw).shape == (8, N_MODELS)
    assert sum(data["counter"].values()) == 2 * 8  # the top-2 of each task, nothing more


def test_base_ranker_may_be_a_pipeline(data):
    raw = [Task(y=t.y, X=t.X, model_features=t.model_features) for t in data["test"]]
    train = [Task(y=t.y, X=t.X, model_features=t.model_features) for t in data["train"]]
    base = Pipeline([("tok", TaskTokenizer()), ("spider", SpiderRanker(**SMALL))])
    rerank = EstimatorReranker(base, k=2).fit(train, data["Y"])
    assert list(rerank.models_) == NAMES
    data["counter"].clear()
    rerank.predict(raw)
    assert sum(data["counter"].values()) == 2 * 8


@pytest.mark.parametrize("estimator", ["HScore", HScore(), LEEP()])
def test_any_estimator_by_name_or_instance(data, estimator):
    rerank = EstimatorReranker(FrozenEstimator(data["prior"]), estimator=estimator, k=2)
    scores = rerank.fit(data["test"][:1], None).predict(data["test"])
    assert np.isfinite(scores).all()
    if isinstance(estimator, LEEP):  # source probabilities, not features, were read
        data["counter"].clear()
        rerank.predict(data["test"])
        assert not data["counter"]


def test_bad_input(data):
    base = FrozenEstimator(data["prior"])
    with pytest.raises(TypeError, match=r"sequence of skspider\.base\.Task"):
        EstimatorReranker(base).fit(np.ones((3, 4)), None)
    with pytest.raises(ValueError, match="Unknown transferability estimator"):
        EstimatorReranker(base, estimator="nope").fit(data["test"], None)
    with pytest.raises(ValueError, match="estimator"):
        EstimatorReranker(base, estimator=3).fit(data["test"], None)


def test_clone_pickle_and_estimator_untouched(data):
    est = LogME()
    rerank = EstimatorReranker(FrozenEstimator(data["prior"]), estimator=est, k=2)
    rerank.fit(data["test"][:1], None)
    again = pickle.loads(pickle.dumps(rerank))
    # Loaders are closures and do not pickle: compare on plain arrays.
    plain = [
        Task(y=t.y, model_features={m: t.get_model_features(m) for m in NAMES})
        for t in data["test"]
    ]
    np.testing.assert_allclose(again.predict(plain), rerank.predict(plain))
    assert not hasattr(est, "score_") and not hasattr(clone(rerank), "k_")


# scikit-learn's API checks (X is a sequence of Task: the tag two_d_array=False makes
# parametrize_with_checks skip the array-based ones), as for TransferabilityRanker.
@pytest.mark.parametrize("check", ARRAY_FREE_API_CHECKS)
def test_sklearn_api_checks(check):
    getattr(ec, check)("EstimatorReranker", EstimatorReranker(SpiderRanker(**SMALL), k=2))
