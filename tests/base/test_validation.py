import numpy as np
import pandas as pd
import pytest

from skspider.base import Task, check_performance_matrix, check_task_sequence, check_token_sets


def test_check_performance_matrix():
    Y = np.array([[1, 2], [3, 4]])
    arr, names = check_performance_matrix(Y)
    assert arr.dtype == np.float64 and names is None
    arr[0, 0] = 99
    assert Y[0, 0] == 1  # a copy, never the caller's array
    _, names = check_performance_matrix(pd.DataFrame(Y, columns=["x", "y"]))
    assert list(names) == ["x", "y"]


@pytest.mark.parametrize(
    ("Y", "match"),
    [
        (np.ones(3), "1-D"),
        (np.ones((2, 2, 2)), "2-D"),
        (np.ones((0, 2)), "no tasks"),
        (np.array([[1.0, np.inf]]), "infinity"),
        (np.array([[np.nan, np.nan], [1.0, 2.0]]), "entirely NaN"),
        ([["a", "b"]], "numeric"),
    ],
)
def test_check_performance_matrix_errors(Y, match):
    with pytest.raises((ValueError, TypeError), match=match):
        check_performance_matrix(Y)


def test_check_performance_matrix_nan_and_width():
    with pytest.raises(ValueError, match="NaN"):
        check_performance_matrix([[1.0, np.nan]], allow_nan=False)
    with pytest.raises(ValueError, match="at least 3"):
        check_performance_matrix([[1.0, 2.0]], min_models=3)


def test_check_token_sets_forms():
    assert [s.shape for s in check_token_sets(np.ones((3, 2)))] == [(1, 2)] * 3
    ragged = check_token_sets([np.ones((2, 4)), np.ones((5, 4)), np.ones(4)])
    assert [s.shape for s in ragged] == [(2, 4), (5, 4), (1, 4)]
    tasks = [Task(y=[0, 1], tokens=np.ones((2, 3)))]
    assert check_token_sets(tasks)[0].shape == (2, 3)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (None, "sequence"),
        ("abc", "sequence"),
        ([], "no tasks"),
        (np.ones(3), "2-D"),
        ([np.ones((2, 3)), np.ones((2, 4))], "mixes token widths"),
        ([np.ones((2, 3, 1))], "2-D token set"),
        ([np.zeros((0, 3))], "empty"),
        ([np.array([[np.nan, 1.0]])], "NaN"),
        ([Task(y=[0, 1])], "without tokens"),
    ],
)
def test_check_token_sets_errors(X, match):
    with pytest.raises((ValueError, TypeError), match=match):
        check_token_sets(X)


def test_check_token_sets_width_against_fit():
    with pytest.raises(ValueError, match="expecting 5 features"):
        check_token_sets([np.ones((2, 4))], n_features=5, estimator_name="SpiderRanker")


def test_check_task_sequence():
    task = Task(y=[0, 1])
    assert check_task_sequence((task,)) == [task]
    with pytest.raises(TypeError, match="wrap a single task"):
        check_task_sequence(task)
    with pytest.raises(TypeError, match=r"must be a skspider\.base\.Task"):
        check_task_sequence([task, np.ones(3)])
    with pytest.raises(ValueError, match="no tasks"):
        check_task_sequence([])
