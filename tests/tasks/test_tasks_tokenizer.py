"""TaskTokenizer: class centroids of tasks, and the Task-based versions of sklearn's checks."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import estimator_checks
from sklearn.utils.validation import check_is_fitted

from skspider.base import Task
from skspider.dummy import PriorRanker
from skspider.metrics import rank_scores
from skspider.tasks import TaskTokenizer
from skspider.utils._test_common import ARRAY_FREE_API_CHECKS


def make_tasks(n_tasks=3, width=4, seed=0):
    rng = np.random.default_rng(seed)
    tasks = []
    for t in range(n_tasks):
        n_classes = 2 + t
        y = rng.permutation(np.repeat(np.arange(n_classes) * 3 + 1, 5))
        feats = {"a": rng.normal(size=(len(y), 3)), "b": rng.normal(size=(len(y), 6))}
        tasks.append(
            Task(y=y, X=rng.normal(size=(len(y), width)), name=f"t{t}", model_features=feats)
        )
    return tasks


def centroids(X, y, normalize):
    X = np.asarray(X, dtype=float)
    if normalize == "l2":
        X = X / np.linalg.norm(X, axis=1, keepdims=True)
    return np.array([X[y == c].mean(axis=0) for c in np.unique(y)])


@pytest.mark.parametrize("normalize", ["l2", "none"])
def test_tokens_are_class_centroids_in_sorted_label_order(normalize):
    tasks = make_tasks()
    out = TaskTokenizer(normalize=normalize).fit_transform(tasks)
    assert [o.shape for o in out] == [(2, 4), (3, 4), (4, 4)]
    for o, t in zip(out, tasks):
        assert o.dtype == np.float64
        np.testing.assert_allclose(o, centroids(t.X, t.y, normalize), rtol=1e-12)
    if normalize == "l2":
        assert all((np.linalg.norm(o, axis=1) <= 1 + 1e-12).all() for o in out)


def test_string_labels_and_zero_rows():
    X = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0], [0.0, 2.0]])
    task = Task(y=np.array(["z", "z", "a", "a"]), X=X)
    (tokens,) = TaskTokenizer().fit_transform([task])
    np.testing.assert_allclose(tokens, [[0.5, 0.5], [0.3, 0.4]])  # a zero row stays zero


def test_regression_targets_are_binned():
    rng = np.random.default_rng(0)
    target = rng.uniform(0, 100, size=200)
    X = np.c_[target, rng.normal(size=200)]
    task = Task(y=target, X=X)
    (q,) = TaskTokenizer(normalize="none", n_bins=4).fit_transform([task])
    assert q.shape == (4, 2) and np.all(np.diff(q[:, 0]) > 0)  # bins in target order
    edges = np.quantile(target, [0.25, 0.5, 0.75])
    first = target <= edges[0]
    np.testing.assert_allclose(q[0], X[first].mean(axis=0), rtol=1e-12)
    (u,) = TaskTokenizer(normalize="none", n_bins=5, binning="uniform").fit_transform([task])
    assert u.shape == (5, 2)
    # Heavily repeated targets: empty quantile bins give no token.
    lumpy = Task(y=np.r_[np.zeros(90), np.linspace(1, 2, 10)], X=rng.normal(size=(100, 2)))
    (tokens,) = TaskTokenizer(n_bins=10).fit_transform([lumpy])
    assert 2 <= tokens.shape[0] < 10


def test_model_tokens_are_lazy_centroids_of_each_ptm():
    tasks = make_tasks()
    out = TaskTokenizer(model_tokens=True).fit_transform(tasks)
    for o, t in zip(out, tasks):
        assert isinstance(o, Task) and o is not t and t.tokens is None
        assert o.name == t.name and o.y is t.y
        np.testing.assert_allclose(o.tokens, centroids(t.X, t.y, "l2"))
        assert callable(o.model_tokens["b"])
        np.testing.assert_allclose(
            o.get_model_tokens("b"), centroids(t.model_features["b"], t.y, "l2"), rtol=1e-12
        )
    pickle.loads(pickle.dumps(out[0].model_tokens["a"]))


def test_fit_checks_and_records_width_transform_enforces_it():
    tasks = make_tasks()
    tok = TaskTokenizer()
    assert tok.fit(tasks) is tok and tok.n_features_in_ == 4
    with pytest.raises(ValueError, match="expecting 4 features"):
        tok.transform(make_tasks(width=5))
    with pytest.raises(ValueError, match="different widths"):
        tok.fit([*make_tasks(1), *make_tasks(1, width=5)])


def test_unfitted_and_bad_inputs():
    with pytest.raises(NotFittedError):
        TaskTokenizer().transform(make_tasks())
    tok = TaskTokenizer()
    with pytest.raises(TypeError, match="not a 2-D array"):
        tok.fit(np.ones((4, 3)), np.arange(4))
    with pytest.raises(TypeError, match="wrap a single task"):
        tok.fit(make_tasks()[0])
    with pytest.raises(ValueError, match="contains no tasks"):
        tok.fit([])
    with pytest.raises(ValueError, match="no general-encoder features"):
        tok.fit([Task(y=np.arange(4))])
    rng = np.random.default_rng(0)
    nan = Task(y=np.arange(4) % 2, X=np.r_[rng.normal(size=(3, 2)), [[np.nan, 0.0]]])
    with pytest.raises(ValueError, match="NaN or infinity"):
        tok.fit_transform([nan])
    empty = Task(y=np.array([], dtype=int), X=np.empty((0, 2)))
    with pytest.raises(ValueError, match="no samples"):
        tok.fit_transform([empty])
    multi = Task(y=rng.normal(size=(4, 2)), X=rng.normal(size=(4, 2)))
    with pytest.raises(ValueError, match="multi-output"):
        tok.fit_transform([multi])
    with pytest.raises(ValueError, match="one row per label"):
        tok.fit_transform([Task(y=np.arange(4) % 2, X=rng.normal(size=(5, 2)))])
    with pytest.raises(ValueError, match="n_bins"):
        TaskTokenizer(n_bins=1).fit(make_tasks())


def test_estimator_contract_with_tasks():
    tasks = make_tasks()
    snapshot = [(t.X.copy(), t.y.copy()) for t in tasks]
    tok = TaskTokenizer(normalize="none")
    params = tok.get_params()
    first = tok.fit_transform(tasks)
    assert tok.get_params() == params  # parameters untouched
    again = tok.fit(tasks).transform(tasks)  # idempotent
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    for t, (X, y) in zip(tasks, snapshot):  # inputs untouched
        np.testing.assert_array_equal(t.X, X)
        np.testing.assert_array_equal(t.y, y)
    restored = pickle.loads(pickle.dumps(tok))
    for a, b in zip(restored.transform(tasks), first):
        np.testing.assert_array_equal(a, b)
    assert not hasattr(clone(tok), "n_features_in_")
    # Order invariance: of the tasks, and of the samples within a task.
    reversed_out = tok.transform(tasks[::-1])
    np.testing.assert_array_equal(reversed_out[0], first[-1])
    perm = np.random.default_rng(1).permutation(tasks[0].n_samples)
    shuffled = Task(y=tasks[0].y[perm], X=tasks[0].X[perm])
    np.testing.assert_allclose(tok.transform([shuffled])[0], first[0], rtol=1e-12)
    # Read-only inputs (memory-mapped caches) are fine.
    ro = tasks[0].X.copy()
    ro.setflags(write=False)
    tok.transform([Task(y=tasks[0].y, X=ro)])


def test_pipeline_first_step_ignores_the_ranker_target():
    tasks = make_tasks(4)
    Y = np.array([[0, 1, 2], [0, 2, 1], [1, 2, 0], [0, 1, 2]])
    pipe = Pipeline([("tok", TaskTokenizer()), ("rank", PriorRanker())]).fit(tasks, Y)
    assert pipe.predict(tasks[:2]).shape == (2, 3)
    assert -1 <= pipe.score(tasks, Y) <= 1


def test_pipeline_ranks_with_rank_scores():
    # A Pipeline forwards predict but not predict_rank: rank_scores is the documented way.
    tasks = make_tasks(4)
    Y = np.array([[0, 1, 2], [0, 2, 1], [1, 2, 0], [0, 1, 2]])
    pipe = Pipeline([("tok", TaskTokenizer()), ("rank", PriorRanker())]).fit(tasks, Y)
    assert not hasattr(pipe, "predict_rank")
    ranks = rank_scores(pipe.predict(tasks))
    direct = PriorRanker().fit(TaskTokenizer().fit_transform(tasks), Y)
    np.testing.assert_array_equal(ranks, direct.predict_rank(TaskTokenizer().fit_transform(tasks)))
    np.testing.assert_array_equal(ranks[0], [3, 1, 2])


# -- scikit-learn's contract --------------------------------------------------------------
# TaskTokenizer's tags declare that X is not a 2-D array (two_d_array=False, as
# TransferabilityRanker's), so the common checks of tests/test_common.py skip the
# array-based checks. The array-free API checks run here, and the array-based ones have
# their Task-based versions below (and in test_estimator_contract_with_tasks).
ARRAY_FREE_CHECKS = [
    *ARRAY_FREE_API_CHECKS,
    "check_estimators_unfitted",
    "check_transformers_unfitted",
    "check_transformer_n_iter",
]


@pytest.mark.parametrize("check", ARRAY_FREE_CHECKS)
def test_array_free_sklearn_checks(check):
    getattr(estimator_checks, check)("TaskTokenizer", TaskTokenizer())


def test_tags_say_x_is_not_an_array():
    tags = TaskTokenizer().__sklearn_tags__()
    assert not tags.input_tags.two_d_array and tags.requires_fit


def test_fit_sets_only_trailing_underscore_attributes_and_transform_none():
    tasks = make_tasks()
    tok = TaskTokenizer()
    before = dict(vars(tok))
    with pytest.raises(NotFittedError):
        check_is_fitted(tok)
    tok.fit(tasks, np.ones((3, 2)))  # y (the ranker's target) is accepted and ignored
    check_is_fitted(tok)
    added = set(vars(tok)) - set(before)
    assert added == {"n_features_in_"}
    fitted = dict(vars(tok))
    tok.transform(tasks)
    assert vars(tok) == fitted  # transform changes nothing (check_dict_unchanged)


def test_feature_dtypes_and_layouts():
    task = make_tasks(1)[0]
    expected = TaskTokenizer(normalize="none").fit_transform([task])[0]
    for X in (
        task.X.astype(np.float32),
        np.asfortranarray(task.X),
        task.X.astype(object),
        task.X.tolist(),  # not an array (check_transformer_data_not_an_array)
    ):
        out = TaskTokenizer(normalize="none").fit_transform([Task(y=task.y, X=X)])[0]
        assert out.dtype == np.float64
        np.testing.assert_allclose(out, expected, rtol=1e-6)
    ints = Task(y=task.y, X=np.arange(task.X.size).reshape(task.X.shape))
    assert TaskTokenizer().fit_transform([ints])[0].dtype == np.float64


def test_refused_feature_kinds():
    task = make_tasks(1)[0]
    with pytest.raises(TypeError, match="sparse features are not supported"):
        TaskTokenizer().fit_transform([Task(y=task.y, X=sp.csr_matrix(task.X))])
    with pytest.raises(ValueError, match="complex"):
        TaskTokenizer().fit_transform([Task(y=task.y, X=task.X + 1j)])
    with pytest.raises(TypeError, match="numeric"):
        TaskTokenizer().fit_transform([Task(y=task.y, X=np.full(task.X.shape, "a"))])
    with pytest.raises(ValueError, match="must be 2-D"):
        TaskTokenizer().fit([Task(y=task.y, X=task.X[:, 0])])  # check_fit1d


def test_small_tasks_one_feature_one_sample():
    rng = np.random.default_rng(0)
    one_feature = Task(y=np.arange(6) % 2, X=rng.normal(size=(6, 1)))
    assert TaskTokenizer().fit_transform([one_feature])[0].shape == (2, 1)
    one_sample = Task(y=np.array([3]), X=rng.normal(size=(1, 4)))
    (token,) = TaskTokenizer(normalize="none").fit_transform([one_sample])
    np.testing.assert_array_equal(token, one_sample.X)


def test_subset_invariance_and_fit_transform_equals_fit_then_transform():
    tasks = make_tasks(4)
    tok = TaskTokenizer().fit(tasks)
    whole = tok.transform(tasks)
    for i in range(4):
        np.testing.assert_array_equal(tok.transform(tasks[i : i + 1])[0], whole[i])
    for a, b in zip(TaskTokenizer().fit_transform(tasks), whole):
        np.testing.assert_array_equal(a, b)


def test_parameters_are_keyword_only_and_validated_in_fit():
    with pytest.raises(TypeError):
        TaskTokenizer("none")
    with pytest.raises(ValueError, match="binning"):
        TaskTokenizer(binning="log").fit(make_tasks())
    # normalize is a string option, as everywhere else in the package (not a bool).
    with pytest.raises(ValueError, match="normalize"):
        TaskTokenizer(normalize=True).fit(make_tasks())
