"""The glyph zoo's networks and their pre-training objectives."""

import numpy as np
import pytest
import torch
from torch import nn

from skspider.datasets.glyph_zoo._models import FAMILIES, build_glyph_model, pretrain_glyph_model
from skspider.zoo import ZooEntry, extract_features

WIDTH = {"mlp": 8, "lenet": 2, "vgg": 2, "resnet": 2, "mobilenet": 2, "vit": 8}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _images(n=16, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 1, 32, 32), dtype=np.uint8)


@pytest.mark.parametrize("family", FAMILIES)
def test_family_shapes_and_head_is_the_last_linear(family):
    net = build_glyph_model(family, WIDTH[family], 7, seed=0)
    x = torch.as_tensor(_images(4))
    assert net(x).shape == (4, 7)
    # uint8 and the same images as floats in [0, 1] give the same output.
    torch.testing.assert_close(net.eval()(x), net(x.float() / 255))
    linears = [n for n, m in net.named_modules() if isinstance(m, nn.Linear)]
    assert linears[-1] == "head"
    out = extract_features(ZooEntry(family, net, layer="head"), _images(5), device="cpu")
    assert out.features.shape == (5, net.feature_dim) and out.probas.shape == (5, 7)


def test_same_seed_same_weights():
    a, b = build_glyph_model("resnet", 2, 3, seed=4), build_glyph_model("resnet", 2, 3, seed=4)
    for (k, v), w in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(v, w, msg=k)


@pytest.mark.parametrize("objective", ["supervised", "simclr", "autoencoder"])
def test_objectives_train_and_leave_no_extra_modules(objective):
    x = _images(24)
    y = np.arange(24) % 3
    supervised = objective == "supervised"
    net = build_glyph_model("lenet", 2, 3 if supervised else None, seed=0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    log = pretrain_glyph_model(net, x, y if supervised else None, objective=objective, steps=3,
                               batch_size=8, seed=0)  # fmt: skip
    assert len(log["loss"]) == 3 and np.isfinite(log["loss"]).all()
    assert set(net.state_dict()) == set(before)  # projection / decoder dropped
    assert any(not torch.equal(v, before[k]) for k, v in net.state_dict().items())
    assert not net.training
    if not supervised:
        assert isinstance(net.head, nn.Identity)


def test_supervised_needs_labels_and_objectives_are_checked():
    net = build_glyph_model("mlp", 8, 3)
    with pytest.raises(ValueError, match="labels"):
        pretrain_glyph_model(net, _images(8), None, steps=1, batch_size=4)
    with pytest.raises(ValueError, match="objective"):
        pretrain_glyph_model(net, _images(8), None, objective="jigsaw", steps=1, batch_size=4)
