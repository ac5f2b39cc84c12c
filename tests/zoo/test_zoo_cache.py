"""The on-disk feature cache: atomic entries, resumption, lazy tasks."""

import ast
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from skspider.base import Task
from skspider.zoo import (
    CachedArray,
    FeatureCache,
    ModelZoo,
    ZooEntry,
    _cache,
    _extract,
    extract_features,
    make_task,
)


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
        extract_features(zoo, data, batch_size=8, device="cpu", cache=tmp_path,
                         dataset_key="pool")  # fmt: skip
    cache = FeatureCache(tmp_path)
    assert [(e["model"], e["dataset"].split("@")[0]) for e in cache.entries()] == [
        ("first", "pool")
    ]
    # The failed entry left nothing behind, not even temporaries.
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and "second" in str(p)]
    assert leftovers == []
    second.fail_after = None
    out = extract_features(
        zoo, data, batch_size=8, device="cpu", cache=tmp_path, dataset_key="pool"
    )
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


def test_orphans_of_dead_writers_are_removed_on_open(tmp_path):
    cache = FeatureCache(tmp_path)
    with cache.writer("m", "v", "d", "t", n_samples=3) as w:
        w.allocate("features", 2)
        (tmp,) = [p.name for p in w.entry.iterdir() if ".tmp-" in p.name]
        assert f"-{os.getpid()}-" in tmp  # temporaries name their writer
    entry = w.entry
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)  # fmt: skip
    host = _cache._host()
    names = {
        "dead": f"features.tmp-{host}-{dead}-x1.npy",
        "alive": f"features.tmp-{host}-{os.getppid()}-x2.npy",
        "other_host": f"features.tmp-elsewhere-{dead}-x3.npy",
    }
    for name in names.values():
        (entry / name).write_bytes(b"partial")
    FeatureCache(tmp_path)
    left = {p.name for p in entry.iterdir() if ".tmp-" in p.name}
    assert left == {names["alive"], names["other_host"]}
    assert cache.contains("m", "v", "d", "t")
    assert cache.clean() == 2


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


def test_a_reused_dataset_key_on_other_data_of_the_same_length_recomputes(tmp_path, data):
    # Regression: the key held only the name, so the second call returned the first data's
    # features.
    net = make_net(0)
    extract_features(net, data, device="cpu", cache=tmp_path, dataset_key="pool")
    other = data + 1.0
    out = extract_features(net, other, device="cpu", cache=tmp_path, dataset_key="pool")
    np.testing.assert_allclose(out.features, extract_features(net, other, device="cpu").features)
    datasets = sorted(e["dataset"] for e in FeatureCache(tmp_path).entries())
    assert len(datasets) == 2 and all(d.startswith("pool@") for d in datasets)
    # Same for a Dataset; and the same data hits the cache.
    loader = Loader(0)
    entry = ZooEntry("n", loader, version="v1")
    for values in (data, other, other):
        out = extract_features(
            entry, TensorDataset(values), device="cpu", cache=tmp_path, dataset_key="ds"
        )
        np.testing.assert_allclose(out.features, extract_features(net, values, device="cpu")[0])
    assert loader.loads == 2


def test_large_arrays_are_fingerprinted_by_sampled_rows(tmp_path, data, monkeypatch):
    monkeypatch.setattr(_extract, "_WHOLE_BYTES", 64)
    monkeypatch.setattr(_extract, "_SAMPLE_ROWS", 4)  # rows 0, 13, 26, 39
    net = make_net(0)
    arr = data.numpy()
    extract_features(net, arr, device="cpu", cache=tmp_path)
    extract_features(net, arr.copy(), device="cpu", cache=tmp_path)  # a hit
    assert len(FeatureCache(tmp_path).entries()) == 1
    edited = arr.copy()
    edited[13] += 1
    out = extract_features(net, edited, device="cpu", cache=tmp_path)
    np.testing.assert_allclose(
        out.features[13], extract_features(net, edited[13:14], device="cpu")[0][0]
    )
    assert len(FeatureCache(tmp_path).entries()) == 2


def test_loader_order_and_random_items(tmp_path, data):
    net = make_net(0)
    ds = TensorDataset(data)
    extract_features(net, DataLoader(ds, batch_size=8), device="cpu", cache=tmp_path,
                     dataset_key="ds")  # fmt: skip
    backwards = DataLoader(ds, batch_size=8, sampler=list(range(39, -1, -1)))
    out = extract_features(net, backwards, device="cpu", cache=tmp_path, dataset_key="ds")
    np.testing.assert_allclose(out.features, extract_features(net, data.flip(0)).features)

    class Noisy(Dataset):
        def __len__(self):
            return 40

        def __getitem__(self, i):
            return data[i] + torch.randn(6)

    with pytest.warns(UserWarning, match="random transform"):
        extract_features(net, Noisy(), device="cpu", cache=tmp_path, dataset_key="noisy")


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
    task = make_task(zoo, data, y, X=general, cache=tmp_path, dataset_key="pool", device="cpu")
    assert isinstance(task, Task) and task.name == "pool" and task.models == ["a", "b"]
    assert isinstance(task.model_features["a"], CachedArray)
    assert set(task.model_probas) == {"a"}
    assert task.get_model_features("b").shape == (40, 7)
    np.testing.assert_allclose(
        task.get_model_probas("a"), extract_features(make_net(0), data, device="cpu").probas
    )
    eager = make_task(zoo, data, y, name="eager", device="cpu")
    assert isinstance(eager.model_features["a"], np.ndarray)
    with pytest.raises(ValueError, match="40 samples but y has 39"):
        make_task(zoo, data, y[:39], device="cpu")
    # The mismatch is refused before any PTM runs over the data.
    calls = []
    hook = zoo["a"].module.register_forward_hook(lambda *_: calls.append(1))
    with pytest.raises(ValueError, match="40 samples but y has 39"):
        make_task(zoo, data, y[:39], device="cpu")
    hook.remove()
    assert calls == []
    with pytest.raises(ValueError, match="X has 2 rows"):
        make_task(zoo, data, y, X=general[:2], device="cpu")
    with pytest.raises(ValueError, match="batch_size"):
        make_task(zoo, data, y, batch_size=0)
    with pytest.raises(ValueError, match="zoo"):
        make_task(make_net(0), data, y)


def test_the_zoo_does_not_import_extraction():
    # One direction only: extraction (and make_task) depend on ModelZoo, not the reverse.
    source = (Path(_cache.__file__).parent / "_zoo.py").read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    assert not {m for m in imported if "_extract" in m or "_cache" in m or "base" in m}
    assert not hasattr(ModelZoo, "make_task") and not hasattr(ModelZoo, "extract")
