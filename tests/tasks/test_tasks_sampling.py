"""sample_tasks: episodic tasks from one or several pools."""

import numpy as np
import pytest

from skspider.base import Task
from skspider.tasks import sample_tasks


def pool(seed, n_classes=6, per_class=12, width=4, offset=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), per_class) + offset
    X = rng.normal(size=(len(y), width)) + 10 * y[:, None]  # rows identify their class
    return X, y


def test_single_pool_shapes_and_labels():
    X, y = pool(0)
    tasks = sample_tasks(X, y, n_tasks=5, n_way=3, n_shot=4, random_state=0)
    assert len(tasks) == 5 and [t.name for t in tasks] == [f"task{i}" for i in range(5)]
    for t in tasks:
        assert t.X.shape == (12, 4)
        assert np.bincount(t.y).tolist() == [4, 4, 4]
        rows = t.metadata["indices"]["pool0"]
        assert len(set(rows.tolist())) == 12  # without replacement
        np.testing.assert_array_equal(t.X, X[rows])
        original = [c for _, c in t.metadata["classes"]]
        assert original == sorted(original)
        np.testing.assert_array_equal(y[rows], np.asarray(original)[t.y])


def test_reproducible_and_input_untouched():
    X, y = pool(0)
    X0, y0 = X.copy(), y.copy()
    a = sample_tasks(X, y, n_tasks=3, n_way=4, n_shot=3, random_state=7)
    b = sample_tasks(X, y, n_tasks=3, n_way=4, n_shot=3, random_state=np.random.RandomState(7))
    c = sample_tasks(X, y, n_tasks=3, n_way=4, n_shot=3, random_state=8)
    for s, t in zip(a, b):
        np.testing.assert_array_equal(s.X, t.X)
    assert any(not np.array_equal(s.X, t.X) for s, t in zip(a, c))
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_several_pools_mix_two_to_four_sources():
    pools = {name: pool(i, n_classes=5) for i, name in enumerate("abcde")}
    tasks = sample_tasks(pools, n_tasks=40, n_way=8, n_shot=2, random_state=0)
    counts = set()
    for t in tasks:
        used = t.metadata["pools"]
        counts.add(len(used))
        assert 2 <= len(used) <= 4
        assert {p for p, _ in t.metadata["classes"]} == set(used)  # each picked pool gives a class
        # Same label value in two pools = two classes.
        assert len(set(t.metadata["classes"])) == 8 and np.bincount(t.y).tolist() == [2] * 8
        start = 0
        for p in used:
            rows = t.metadata["indices"][p]
            np.testing.assert_array_equal(t.X[start : start + len(rows)], pools[p][0][rows])
            start += len(rows)
    assert counts == {2, 3, 4}


def test_pool_count_grows_when_picked_pools_lack_classes():
    pools = [pool(0, n_classes=2), pool(1, n_classes=2), pool(2, n_classes=2)]
    tasks = sample_tasks(pools, n_tasks=5, n_way=5, n_shot=2, n_pools=1, random_state=0)
    assert all(len(t.metadata["pools"]) == 3 for t in tasks)
    assert tasks[0].metadata["pools"][0] == "pool0"


def test_n_way_range():
    X, y = pool(0, n_classes=8)
    tasks = sample_tasks(X, y, n_tasks=30, n_way=(2, 5), n_shot=2, random_state=0)
    assert {len(t.metadata["classes"]) for t in tasks} == {2, 3, 4, 5}


def test_per_model_arrays_follow_the_rows():
    X, y = pool(0)
    feats = np.arange(len(y) * 2, dtype=float).reshape(-1, 2)
    probas = np.full((len(y), 3), 1 / 3)
    lazy_source = {"calls": 0}

    class Loader:
        def __call__(self):
            lazy_source["calls"] += 1
            return feats * 2

    source = Task(
        y=y,
        X=X,
        name="src",
        model_features={"eager": feats, "lazy": Loader()},
        model_probas={"eager": probas},
    )
    (task,) = sample_tasks(source, n_tasks=1, n_way=3, n_shot=2, random_state=0)
    rows = task.metadata["indices"]["src"]
    np.testing.assert_array_equal(task.model_features["eager"], feats[rows])
    assert lazy_source["calls"] == 0  # loaders stay lazy
    np.testing.assert_array_equal(task.get_model_features("lazy"), 2 * feats[rows])
    assert task.get_model_probas("eager").shape == (6, 3)


def test_models_kept_only_when_in_every_picked_pool():
    X1, y1 = pool(0, n_classes=2)
    X2, y2 = pool(1, n_classes=2)
    p1 = Task(y=y1, X=X1, model_features={"a": X1, "b": X1})
    p2 = Task(y=y2, X=X2, model_features={"a": X2})
    (task,) = sample_tasks([p1, p2], n_tasks=1, n_way=4, n_shot=2, random_state=0)
    assert task.models == ["a"]


def test_errors():
    X, y = pool(0, per_class=3)
    with pytest.raises(ValueError, match=r"fewer than n_shot=4 samples"):
        sample_tasks(X, y, n_tasks=1, n_way=2, n_shot=4)
    with pytest.raises(ValueError, match="exceeds the 6 classes"):
        sample_tasks(X, y, n_tasks=1, n_way=7, n_shot=2)
    with pytest.raises(ValueError, match="y is required"):
        sample_tasks(X, n_tasks=1, n_way=2, n_shot=2)
    with pytest.raises(ValueError, match="class labels"):
        sample_tasks(X, y + 0.5, n_tasks=1, n_way=2, n_shot=2)
    with pytest.raises(ValueError, match="different widths"):
        sample_tasks([pool(0), pool(1, width=5)], n_tasks=1, n_way=2, n_shot=2)
    with pytest.raises(ValueError, match="one row per label"):
        sample_tasks(X[:5], y, n_tasks=1, n_way=2, n_shot=2)
    with pytest.raises(ValueError, match="n_shot"):
        sample_tasks(X, y, n_tasks=1, n_way=2, n_shot=0)
    with pytest.raises(TypeError, match="n_way"):
        sample_tasks(X, y, n_tasks=1, n_way=2.5, n_shot=2)
    with pytest.raises(ValueError, match="n_tasks"):
        sample_tasks(X, y, n_tasks=0, n_way=2, n_shot=2)
    with pytest.raises(TypeError, match="Pool 0 must be"):
        sample_tasks([X], n_tasks=1, n_way=2, n_shot=2)
    with pytest.raises(ValueError, match="unique"):
        sample_tasks([Task(y=y, X=X, name="a"), Task(y=y, X=X, name="a")], n_way=2, n_shot=2)
    with pytest.raises(ValueError, match="no X while others have"):
        sample_tasks([(X, y), (None, y)], n_tasks=1, n_way=2, n_shot=2)


def test_pools_without_features_give_index_only_tasks():
    y = np.repeat(np.arange(4), 5)
    (task,) = sample_tasks(None, y, n_tasks=1, n_way=2, n_shot=3, random_state=0)
    assert task.X is None and len(task.metadata["indices"]["pool0"]) == 6
