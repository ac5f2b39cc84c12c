import numpy as np
import pytest

from skspider.base import Task


def test_lazy_loaders_run_on_access_and_are_not_kept():
    calls = []

    def load():
        calls.append(1)
        return np.ones((4, 2))

    task = Task(y=np.arange(4) % 2, model_features={"a": load}, model_probas={"b": np.eye(4)})
    assert task.models == ["a", "b"]
    assert task.get_model_features("a").shape == (4, 2)
    task.get_model_features("a")
    assert len(calls) == 2
    assert task.get_model_probas("b").shape == (4, 4)
    assert task.n_samples == 4
    assert "n_samples=4" in repr(task)


def test_missing_model_is_a_clear_key_error():
    task = Task(y=[0, 1], model_features={"a": np.ones((2, 2))}, name="cifar")
    with pytest.raises(KeyError, match="no model_features for model 'vit'"):
        task.get_model_features("vit")
    with pytest.raises(KeyError, match="model_probas"):
        task.get_model_probas("a")
    with pytest.raises(KeyError, match="model_tokens"):
        task.get_model_tokens("a")


def test_memmap_like_values_are_not_called():
    arr = np.arange(6.0).reshape(3, 2)
    task = Task(y=[0, 1, 0], model_features={"a": arr})
    assert task.get_model_features("a") is not None
    np.testing.assert_array_equal(task.get_model_features("a"), arr)
