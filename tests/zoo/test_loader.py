"""FeatureLoader: lazy, cached, counted forward passes."""

import numpy as np
import pytest
import torch
from torch import nn

from skspider.base import Task
from skspider.zoo import FeatureLoader, ModelZoo, ZooEntry, extract_features


@pytest.fixture
def zoo():
    torch.manual_seed(0)
    return ModelZoo(
        [
            ZooEntry("a", nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))),
            ZooEntry(
                "b",
                nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Identity()),
                layer="2",
                source_head=False,
            ),
        ]
    )


@pytest.fixture
def inputs():
    return np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)


def test_lazy_until_read_then_cached(zoo, inputs):
    encoder = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    loader = FeatureLoader(zoo, encoder, device="cpu")
    task = loader.task(inputs, np.arange(10) % 2, name="t")
    assert loader.n_runs_ == {}
    assert sorted(task.model_features) == ["a", "b"] and list(task.model_probas) == ["a"]
    np.testing.assert_allclose(
        task.get_model_features("a"), extract_features(zoo["a"], inputs, device="cpu").features
    )
    task.get_model_probas("a")  # the same pass gives the probabilities
    X = task.X()
    assert X.shape == (10, 6) and loader.n_runs_ == {"a": 1, "<encoder>": 1}


def test_ledgers_count_reads_and_charge_the_measured_seconds(zoo, inputs):
    loader = FeatureLoader(zoo, device="cpu")
    task = loader.task(inputs, np.arange(10) % 2, name="t")
    with loader.count() as first:
        task.get_model_features("a")
        task.get_model_features("a")  # read twice, one pass
    with loader.count() as second:
        task.get_model_features("a")  # cached: charged, not run
        task.get_model_features("b")
    assert first.passes == {("t", "a")} and first.n_passes() == 1
    assert second.n_passes() == 2 and second.n_passes(encoder=True) == 0
    assert loader.n_runs_ == {"a": 1, "b": 1}
    # Charged what the pass of "a" measured, whoever ran it.
    assert second.charged_seconds[0] >= first.charged_seconds[0] > 0
    assert second.inside_seconds[0] < second.charged_seconds[0] + 1.0


def test_a_task_with_inputs_in_its_metadata(zoo, inputs):
    loader = FeatureLoader(zoo, device="cpu")
    source = Task(y=np.arange(10) % 2, name="s", metadata={"images": inputs, "domain": "x"})
    task = loader.task(source)
    assert task.name == "s" and task.metadata["domain"] == "x" and task.X is None
    with pytest.raises(ValueError, match="neither 'images' nor 'inputs'"):
        loader.task(Task(y=[0, 1], name="bare"))
    with pytest.raises(ValueError, match="10 samples but y has 3"):
        loader.task(inputs, [0, 1, 0])
    with pytest.raises(TypeError, match="ModelZoo"):
        FeatureLoader({"a": 1})


def test_forget_drops_a_task_and_says_so_when_read(zoo, inputs):
    loader = FeatureLoader(zoo, device="cpu")
    kept = loader.task(inputs, np.arange(10) % 2, name="kept")
    gone = loader.task(inputs, np.arange(10) % 2, name="gone")
    kept.get_model_features("a")
    gone.get_model_features("a")
    loader.forget(gone)
    kept.get_model_features("a")  # still cached: no second pass
    assert loader.n_runs_["a"] == 2
    with pytest.raises(ValueError, match="'gone' was forgotten"):
        gone.get_model_features("b")
    with pytest.raises(ValueError, match="not made by this loader"):
        loader.forget(gone)
