"""Pickle and joblib round trips; CPU loading; clone."""

import io
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator

from skspider.spider import RerankTransformer, SpiderRanker


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X, Y = [rng.normal(size=(3, 4)) for _ in range(12)], rng.normal(size=(12, 3))
    return X, Y, SpiderRanker(d_model=8, max_iter=3, random_state=0).fit(X, Y)


def test_pickle_round_trip_identical_predictions(fitted):
    X, _, ranker = fitted
    loaded = pickle.loads(pickle.dumps(ranker))
    np.testing.assert_array_equal(loaded.predict(X), ranker.predict(X))
    assert hasattr(ranker, "module_")  # pickling does not strip the original


def test_joblib_round_trip(fitted, tmp_path):
    X, Y, ranker = fitted
    path = tmp_path / "spider.joblib"
    joblib.dump(RerankTransformer(FrozenEstimator(ranker), k=2).fit(X, Y), path)
    np.testing.assert_array_equal(joblib.load(path).predict(X), ranker.predict(X))


def test_pickle_holds_cpu_tensors_only(fitted):
    _, _, ranker = fitted
    state = ranker.__getstate__()
    assert "module_" not in state
    assert all(t.device.type == "cpu" for t in state["_module_state"].values())


def test_saved_on_cuda_loads_on_cpu(fitted, monkeypatch):
    # Simulate a model trained with device="cuda" opened on a machine without CUDA.
    X, _, ranker = fitted
    cuda_ranker = pickle.loads(pickle.dumps(ranker))
    cuda_ranker.device = "cuda"
    blob = pickle.dumps(cuda_ranker)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="loaded on the CPU"):
        loaded = pickle.loads(blob)
    assert next(loaded.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(loaded.predict(X), ranker.predict(X))


def test_torch_save_load_map_location(fitted):
    X, _, ranker = fitted
    buffer = io.BytesIO()
    torch.save(ranker, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, map_location="cpu", weights_only=False)
    np.testing.assert_array_equal(loaded.predict(X), ranker.predict(X))


def test_clone_never_carries_weights(fitted):
    _, _, ranker = fitted
    for est in (ranker, RerankTransformer(FrozenEstimator(ranker))):
        fresh = clone(est)
        assert not any(k.endswith("_") and not k.startswith("__") for k in vars(fresh))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fit_predict_and_cpu_reload(fitted):
    X, Y, _ = fitted
    ranker = SpiderRanker(d_model=8, max_iter=3, random_state=0, device="cuda").fit(X, Y)
    assert next(ranker.module_.parameters()).device.type == "cuda"
    scores = ranker.predict(X)
    state = ranker.__getstate__()
    assert all(t.device.type == "cpu" for t in state["_module_state"].values())
    loaded = pickle.loads(pickle.dumps(ranker))
    np.testing.assert_allclose(loaded.predict(X), scores, rtol=1e-5)
    cpu = pickle.loads(pickle.dumps(ranker.set_params(device="cpu")))
    assert next(cpu.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(cpu.predict(X), scores, rtol=1e-4, atol=1e-5)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_auto_device_and_reproducible(fitted):
    X, Y, _ = fitted
    a = SpiderRanker(d_model=8, max_iter=3, random_state=0, device="auto").fit(X, Y)
    assert a.device_.type == "cuda"
    b = SpiderRanker(d_model=8, max_iter=3, random_state=0, device="auto").fit(X, Y)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-5)
