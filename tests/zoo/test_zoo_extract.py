"""extract_features and ModelZoo on small torch models built here (no downloads)."""

import sys

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from skspider.zoo import ModelZoo, ZooEntry, extract_features


def make_cnn(seed=0, n_classes=5, width=6):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, width, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(4 * width, n_classes),
    )


@pytest.fixture
def images():
    return torch.randn(23, 3, 8, 8, generator=torch.Generator().manual_seed(1))


def reference(net, x):
    net = net.eval()
    with torch.no_grad():
        feats = net[:-1](x)
        probas = torch.softmax(net(x), dim=1)
    return feats.numpy(), probas.numpy()


def test_hook_gives_classifier_input_and_source_probas(images):
    net = make_cnn()
    out = extract_features(net, images, batch_size=5, device="cpu")
    feats, probas = reference(make_cnn(), images)
    assert out.features.dtype == np.float32 and out.probas.dtype == np.float32
    assert out.n_samples == 23
    np.testing.assert_allclose(out.features, feats, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.probas, probas, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.probas.sum(axis=1), 1.0, rtol=1e-5)


def test_batch_size_does_not_change_results(images):
    net = make_cnn()
    a = extract_features(net, images, batch_size=1, device="cpu")
    b = extract_features(net, images, batch_size=64, device="cpu")
    np.testing.assert_allclose(a.features, b.features, rtol=1e-5, atol=1e-6)


def test_module_left_as_given_and_input_untouched(images):
    net = make_cnn().train()
    weights = {k: v.clone() for k, v in net.state_dict().items()}
    x = images.numpy().copy()
    out = extract_features(net, x, batch_size=8, device="cpu")
    assert net.training  # mode restored
    assert all(torch.equal(weights[k], v) for k, v in net.state_dict().items())
    np.testing.assert_array_equal(x, images.numpy())
    # Dropout was off during extraction: results are deterministic.
    again = extract_features(net, x, batch_size=8, device="cpu")
    np.testing.assert_array_equal(out.features, again.features)
    assert not net[-1]._forward_hooks  # the hook is removed


def test_float64_array_is_cast_to_the_model_dtype(images):
    out = extract_features(make_cnn(), images.double().numpy(), device="cpu")
    assert out.features.shape == (23, 24)


def test_dataset_and_dataloader_inputs(images):
    labels = torch.arange(23) % 3
    net = make_cnn()
    direct = extract_features(net, images, device="cpu").features
    from_ds = extract_features(net, TensorDataset(images, labels), batch_size=4, device="cpu")
    loader = DataLoader(TensorDataset(images, labels), batch_size=6, shuffle=False)
    from_loader = extract_features(net, loader, device="cpu")
    np.testing.assert_allclose(from_ds.features, direct, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(from_loader.features, direct, rtol=1e-5, atol=1e-6)


def test_shuffling_loader_is_refused(images):
    loader = DataLoader(TensorDataset(images), batch_size=6, shuffle=True)
    with pytest.raises(ValueError, match="shuffling DataLoader"):
        extract_features(make_cnn(), loader, device="cpu")


def test_explicit_layer_and_missing_layer(images):
    net = make_cnn()
    out = extract_features(net, images, layer="4", device="cpu")  # the Dropout's input
    assert out.features.shape == (23, 24)
    with pytest.raises(ValueError, match="no submodule named 'fc'"):
        extract_features(net, images, layer="fc", device="cpu")


def test_model_without_linear_needs_a_layer(images):
    net = nn.Sequential(nn.Conv2d(3, 2, 3), nn.Flatten())
    with pytest.raises(ValueError, match=r"no nn\.Linear"):
        extract_features(net, images, device="cpu")


class Twice(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.body(x)) + self.head(x)


def test_layer_running_twice_is_an_error():
    with pytest.raises(ValueError, match="ran 2 times"):
        extract_features(Twice(), torch.randn(5, 4), device="cpu")


class Unused(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 3)
        self.spare = nn.Linear(3, 2)  # registered last, never called

    def forward(self, x):
        return self.body(x)


def test_layer_never_run_is_an_error():
    with pytest.raises(ValueError, match="ran 0 times"):
        extract_features(Unused(), torch.randn(5, 4), device="cpu")
    out = extract_features(Unused(), torch.randn(5, 4), layer="body", device="cpu")
    assert out.features.shape == (5, 4)


class Images(Dataset):
    """Images whose size varies: a model that flattens them gives varying widths."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return torch.ones(3, 4 + i, 4)


def test_width_changing_between_batches_is_an_error():
    net = nn.Sequential(nn.Flatten(), nn.Identity())
    entry = ZooEntry("flat", net, layer="1")
    with pytest.raises(ValueError, match="width changed"):
        extract_features(entry, Images(), batch_size=1, device="cpu")


def test_source_head_switches():
    net = make_cnn()
    x = torch.randn(4, 3, 8, 8)
    assert extract_features(ZooEntry("a", net, source_head=False), x, device="cpu").probas is None
    headless = make_cnn()
    headless[-1] = nn.Identity()
    out = extract_features(ZooEntry("b", headless, layer="5"), x, device="cpu")
    assert out.probas is None and out.features.shape == (4, 24)


def test_feature_fn_entries():
    net = make_cnn()
    x = torch.randn(4, 3, 8, 8)
    plain = ZooEntry("p", net, feature_fn=lambda m, b: m[:4](b))
    out = extract_features(plain, x, device="cpu")
    assert out.probas is None
    paired = ZooEntry("q", net, feature_fn=lambda m, b: (m[:4](b), m[4:](m[:4](b))))
    out2 = extract_features(paired, x, device="cpu")
    np.testing.assert_allclose(out2.features, out.features)
    np.testing.assert_allclose(out2.probas, reference(net, x)[1], rtol=1e-5, atol=1e-6)


class DictModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, pixel_values, scale):
        return self.fc(pixel_values * scale[:, None])


class DictData(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"pixel_values": torch.full((3,), float(i)), "scale": torch.tensor(2.0)}


def test_dict_batches_are_keyword_arguments():
    out = extract_features(DictModel(), DictData(), batch_size=2, device="cpu")
    np.testing.assert_allclose(out.features[:, 0], 2.0 * np.arange(5))


def test_bad_arguments(images):
    net = make_cnn()
    with pytest.raises(TypeError, match="'model' parameter"):
        extract_features("resnet", images)
    with pytest.raises(TypeError, match="data must be"):
        extract_features(net, "images")
    with pytest.raises(ValueError, match="batch_size"):
        extract_features(net, images, batch_size=0)
    with pytest.raises(ValueError, match="device"):
        extract_features(net, images, device="tpu-ish")
    with pytest.raises(ValueError, match="no samples"):
        extract_features(net, images[:0])
    with pytest.raises(ValueError, match="lazy=True"):
        extract_features(net, images, lazy=True)
    with pytest.raises(TypeError, match="layer= applies"):
        extract_features(ZooEntry("n", net), images, layer="5")
    with pytest.raises(ValueError, match="num_workers"):
        extract_features(net, images, num_workers=-1)
    with pytest.raises(TypeError, match="batch_size"):
        extract_features(net, images, batch_size=True)


def test_uint8_images_are_scaled_to_unit_range(images):
    # Regression: uint8 batches reached the conv layer as bytes and crashed inside torch.
    net = make_cnn()
    raw = (images.abs() * 40).clamp(0, 255).to(torch.uint8)
    expected = extract_features(net, raw.float() / 255, device="cpu").features
    np.testing.assert_allclose(extract_features(net, raw, device="cpu").features, expected,
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(extract_features(net, raw.numpy(), device="cpu").features,
                               expected, rtol=1e-6)  # fmt: skip
    loader = DataLoader(TensorDataset(raw, torch.zeros(len(raw))), batch_size=4)
    np.testing.assert_allclose(extract_features(net, loader, device="cpu").features, expected,
                               rtol=1e-6)  # fmt: skip


def test_channels_last_images_are_a_clear_error(images):
    net = make_cnn()
    with pytest.raises(ValueError, match=r"channels-last.*permute\(0, 3, 1, 2\)"):
        extract_features(net, images.permute(0, 2, 3, 1), device="cpu")
    with pytest.raises(ValueError, match="transpose"):
        extract_features(net, images.permute(0, 2, 3, 1).numpy(), device="cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the message without CUDA")
def test_cuda_requested_without_cuda(images):
    with pytest.raises(ValueError, match="CUDA is not available"):
        extract_features(make_cnn(), images, device="cuda")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu(images):
    net = make_cnn()
    cpu = extract_features(net, images, device="cpu")
    gpu = extract_features(net, images, device="cuda")
    np.testing.assert_allclose(gpu.features, cpu.features, rtol=1e-4, atol=1e-5)
    assert next(net.parameters()).device.type == "cpu"  # moved back


# -- the zoo ------------------------------------------------------------------------------------
class CountingLoader:
    def __init__(self, seed):
        self.seed = seed
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return make_cnn(self.seed, n_classes=3, width=4)


def test_zoo_extracts_every_model_in_order(images):
    loader = CountingLoader(2)
    zoo = ModelZoo()
    zoo.add("cnn", make_cnn(0), family="cnn", source="toy")
    zoo.add("lazy", loader, family="cnn")
    zoo.add(ZooEntry("headless", make_cnn(1), source_head=False))
    assert zoo.names == ["cnn", "lazy", "headless"] and len(zoo) == 3 and "cnn" in zoo
    assert zoo.metadata().loc["lazy", "n_params"] is None or np.isnan(
        zoo.metadata().loc["lazy", "n_params"]
    )
    out = extract_features(zoo, images, device="cpu")
    assert list(out) == zoo.names
    assert out["lazy"].features.shape == (23, 16) and out["lazy"].probas.shape == (23, 3)
    assert out["headless"].probas is None
    assert loader.calls == 1
    assert zoo["lazy"].n_params == sum(p.numel() for p in make_cnn(2, 3, 4).parameters())
    np.testing.assert_allclose(out["cnn"].features, reference(make_cnn(0), images)[0], rtol=1e-5)


def test_zoo_errors():
    zoo = ModelZoo({"a": make_cnn()})
    with pytest.raises(ValueError, match="already has a model named 'a'"):
        zoo.add("a", make_cnn())
    with pytest.raises(KeyError, match="Unknown model 'b'"):
        zoo["b"]
    with pytest.raises(TypeError, match="module"):
        zoo.add("c")
    with pytest.raises(TypeError, match=r"torch\.nn\.Module or a zero-argument callable"):
        ZooEntry("d", 42)
    with pytest.raises(TypeError, match="returned int"):
        ZooEntry("e", lambda: 3).load()
    with pytest.raises(ValueError, match="empty"):
        extract_features(ModelZoo(), torch.randn(2, 3))
    assert ModelZoo().metadata().empty


def test_subset_keeps_the_given_order():
    zoo = ModelZoo({"a": make_cnn(), "b": make_cnn(1), "c": make_cnn(2)})
    assert zoo.subset(["c", "a"]).names == ["c", "a"]


def test_input_shape_is_declared_and_kept():
    import copy
    import pickle

    zoo = ModelZoo({"a": make_cnn(), "b": make_cnn(1)}, input_shape=[3, 8, 8])
    assert zoo.input_shape == (3, 8, 8) and "input_shape=(3, 8, 8)" in repr(zoo)
    zoo.add("c", make_cnn(2))
    for kept in (zoo, zoo.subset(["b"]), copy.copy(zoo), pickle.loads(pickle.dumps(zoo))):
        assert kept.input_shape == (3, 8, 8)
    assert ModelZoo().input_shape is None and repr(ModelZoo()) == "ModelZoo([])"
    with pytest.raises(AttributeError):
        zoo.input_shape = (1, 8, 8)  # read-only
    for bad in [(3, 8), (3, 0, 8), (3.0, 8, 8), "3x8x8", (True, 8, 8)]:
        with pytest.raises(ValueError, match="input_shape must be None or three positive"):
            ModelZoo(input_shape=bad)


def test_fingerprint_follows_the_weights():
    net = make_cnn()
    entry = ZooEntry("n", net)
    first = entry.fingerprint(net)
    assert entry.fingerprint(make_cnn()) == first  # same seed, same weights
    with torch.no_grad():
        net[0].weight[0, 0, 0, 0] += 1
    assert entry.fingerprint(net) != first
    assert ZooEntry("n", net, version="v2").fingerprint(net) == "v2"
    bf16 = make_cnn().to(torch.bfloat16)
    assert entry.fingerprint(bf16) != first


def test_verbose_reports_progress_on_stderr(images, capsys, tmp_path):
    pytest.importorskip("tqdm")
    # One model: a bar over its samples.
    extract_features(make_cnn(), images, batch_size=5, device="cpu", verbose=1)
    out, err = capsys.readouterr()
    assert out == "" and "extract_features model" in err and "23/23" in err
    # A zoo: a bar over its PTMs; verbose=2 adds a bar over each PTM's samples.
    zoo = ModelZoo().add("a", make_cnn(0)).add("b", make_cnn(1))
    extract_features(zoo, images, batch_size=5, device="cpu", verbose=1)
    out, err = capsys.readouterr()
    assert out == "" and "2/2" in err and "23/23" not in err
    extract_features(zoo, images, batch_size=5, device="cpu", verbose=2)
    err = capsys.readouterr().err
    assert "2/2" in err and "extract_features b" in err
    extract_features(make_cnn(), images, device="cpu", cache=tmp_path)
    extract_features(make_cnn(), images, device="cpu", cache=tmp_path, verbose=1)
    assert "model: cached" in capsys.readouterr().err
    extract_features(zoo, images, device="cpu")
    assert capsys.readouterr() == ("", "")


def test_verbose_without_tqdm_prints_plain_lines(images, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    extract_features(make_cnn(), images, batch_size=5, device="cpu", verbose=1)
    out, err = capsys.readouterr()
    assert out == "" and "[extract_features model] 23/23 sample (100%)" in err
    assert err.count("\n") <= 10  # every 10% at most
    zoo = ModelZoo().add("a", make_cnn(0)).add("b", make_cnn(1))
    extract_features(zoo, images, batch_size=5, device="cpu", verbose=1)
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "[extract_features] 1/2 PTM (50%)",
        "[extract_features] 2/2 PTM (100%)",
    ]
