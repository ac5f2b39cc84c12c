"""The on-disk feature cache: atomic entries, resumption, lazy tasks."""

import os
import pickle

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from skspider.base import Task
from skspider.zoo import CachedArray, FeatureCache, ModelZoo, ZooEntry, extract_features


def make_net(seed, n_classes=4, width=5):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, width), nn.Tanh(), nn.Linear(width, n_classes))


class Loader:
    """Counts loads and forward passes; can be told to fail mid-extraction."""

    def __init__(self, seed, fail_after=None):
        self.seed, self.fail_after = seed, fail_after
        self.loads = 0
        self.batches = 0

    def __call__(self):
        self.loads += 1
        net = make_net(self.seed)
        net.register_forward_pre_hook(self._count)
        return net

    def _count(self, module, args):
        self.batches += 1
        if self.fail_after is not None and self.batches > self.fail_after:
            raise RuntimeError("simulated interruption")


@pytest.fixture
def data():
    return torch.randn(40, 6, generator=torch.Generator().manual_seed(0))


def test_cached_equals_uncached_and_is_read_only(tmp_path, data):
    net = make_net(0)
    plain = extract_features(net, data, device="cpu")
    cached = extract_features(net, data, device="cpu", cache=tmp_path)
    np.testing.assert_array_equal(plain.features, cached.features)
    np.testing.assert_array_equal(plain.probas, cached.probas)
    assert not cached.features.flags.writeable
    again = extract_features(net, data, device="cpu", cache=FeatureCache(tmp_path))
    np.testing.assert_array_equal(again.features, plain.features)
    assert len(FeatureCache(tmp_path).entries()) == 1


def test_interrupted_zoo_resumes_without_recomputing(tmp_path, data):
    first, second = Loader(1), Loader(2, fail_after=2)
    zoo = ModelZoo()
    zoo.add("first", first, version="v1")
    zoo.add("second", second, version="v1")
    with pytest.raises(RuntimeError, match="simulated interruption"):
        zoo.extract(data, batch_size=8, device="cpu", cache=tmp_path, dataset_key="pool")
    cache = FeatureCache(tmp_path)
    assert cache.contains("first", "v1", "pool", "none")
    assert not cache.contains("second", "v1", "pool", "none")
    # The failed entry left nothing behind, not even temporaries.
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and "second" in str(p)]
    assert leftovers == []
    second.fail_after = None
    out = zoo.extract(data, batch_size=8, device="cpu", cache=tmp_path, dataset_key="pool")
    assert first.loads == 1  # finished piece: neither loaded nor recomputed
    assert second.loads == 2
    np.testing.assert_allclose(
        out["second"].features,
        extract_features(make_net(2), data, device="cpu").features,
        rtol=1e-6,
    )


def test_partial_files_are_invisible_and_cleaned(tmp_path):
    cache = FeatureCache(tmp_path)
    with (
        pytest.raises(KeyError, match="No complete cache entry"),
        cache.writer("m", "v", "d", "t", n_samples=3) as w,
    ):
        w.allocate("features", 2)[:] = 1.0
        # A killed process never reaches the commit: simulate it by leaking a temporary.
        leaked = w.entry / "features.tmp-leak.npy"
        leaked.write_bytes(b"\x93NUMPY partial")
        raise KeyError("No complete cache entry (simulated crash)")
    assert not cache.contains("m", "v", "d", "t")
    with pytest.raises(KeyError, match="No complete cache entry"):
        cache.loader("m", "v", "d", "t")
    assert cache.clean() == 1
    assert not leaked.exists()


def test_write_rejects_wrong_shapes(tmp_path):
    cache = FeatureCache(tmp_path)
    with (
        pytest.raises(ValueError, match=r"shape \(3, n_features\)"),
        cache.writer("m", "v", "d", "t", n_samples=3) as w,
    ):
        w.write("features", np.ones((4, 2)))
    with (
        pytest.raises(ValueError, match="kind"),
        cache.writer("m", "v", "d", "t", n_samples=3) as w,
    ):
        w.allocate("logits", 2)
    assert not cache.contains("m", "v", "d", "t")


def test_unwritable_cache_dir(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(ValueError, match="not a writable directory"):
        FeatureCache(blocker / "cache")
    with pytest.raises(ValueError, match="not a writable directory"):
        extract_features(make_net(0), torch.randn(3, 6), cache=blocker)
    with pytest.raises(TypeError, match="cache_dir must be a path"):
        FeatureCache(42)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere"
)
def test_read_only_cache_dir(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="not a writable directory"):
            FeatureCache(ro)
    finally:
        ro.chmod(0o700)


def test_keys_distinguish_weights_data_and_transform(tmp_path, data):
    net = make_net(0)
    extract_features(net, data, device="cpu", cache=tmp_path)
    extract_features(net, data[:20], device="cpu", cache=tmp_path)  # other data: own key
    extract_features(net, data, device="cpu", cache=tmp_path, transform_key="scaled")
    with torch.no_grad():
        net[0].bias += 1  # new weights, new fingerprint
    extract_features(net, data, device="cpu", cache=tmp_path)
    assert len(FeatureCache(tmp_path).entries()) == 4


def test_a_reused_dataset_key_with_other_data_is_an_error(tmp_path, data):
    net = make_net(0)
    extract_features(net, data, device="cpu", cache=tmp_path, dataset_key="pool")
    with pytest.raises(ValueError, match="names other data"):
        extract_features(net, data[:10], device="cpu", cache=tmp_path, dataset_key="pool")


def test_dataset_needs_a_key(tmp_path, data):
    with pytest.raises(ValueError, match="dataset_key is required"):
        extract_features(make_net(0), TensorDataset(data), cache=tmp_path)


def test_lazy_loaders_pickle_and_subset(tmp_path, data):
    out = extract_features(make_net(0), data, device="cpu", cache=tmp_path, lazy=True)
    assert isinstance(out.features, CachedArray) and out.features.shape == (40, 5)
    loader = pickle.loads(pickle.dumps(out.features))
    np.testing.assert_array_equal(loader(), out.features())
    rows = CachedArray(out.features.path, rows=[3, 1])
    np.testing.assert_array_equal(rows(), out.features()[[3, 1]])
    assert rows.shape == (2, 5)
    assert "rows=2" in repr(rows)
    pickle.loads(pickle.dumps(FeatureCache(tmp_path)))


def test_make_task_builds_lazy_pools(tmp_path, data):
    zoo = ModelZoo()
    zoo.add("a", make_net(0), family="mlp")
    zoo.add(ZooEntry("b", make_net(1, width=7), source_head=False))
    y = np.arange(40) % 4
    general = np.random.default_rng(0).normal(size=(40, 3))
    task = zoo.make_task(data, y, X=general, cache=tmp_path, dataset_key="pool", device="cpu")
    assert isinstance(task, Task) and task.name == "pool" and task.models == ["a", "b"]
    assert isinstance(task.model_features["a"], CachedArray)
    assert set(task.model_probas) == {"a"}
    assert task.get_model_features("b").shape == (40, 7)
    np.testing.assert_allclose(
        task.get_model_probas("a"), extract_features(make_net(0), data, device="cpu").probas
    )
    eager = zoo.make_task(data, y, name="eager", device="cpu")
    assert isinstance(eager.model_features["a"], np.ndarray)
    with pytest.raises(ValueError, match="40 samples but y has 39"):
        zoo.make_task(data, y[:39], device="cpu")
    with pytest.raises(ValueError, match="X has 2 rows"):
        zoo.make_task(data, y, X=general[:2], device="cpu")
