"""finetune_accuracy: the ground-truth protocol."""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from skspider.zoo import ZooEntry, finetune_accuracy

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (X[:, 0] + 0.2 * X[:, 1] > 0).astype(int)
    return X, y


def _net(seed=0, bn=False):
    torch.manual_seed(seed)
    layers = [nn.Linear(4, 8)] + ([nn.BatchNorm1d(8)] if bn else []) + [nn.ReLU(), nn.Linear(8, 5)]
    return nn.Sequential(*layers)


def test_learns_and_leaves_the_model_unchanged():
    X, y = _data(100)
    net = _net()
    before = copy.deepcopy(net.state_dict())
    acc = finetune_accuracy(net, X[:70], y[:70], X[70:], y[70:], lr=3e-2, epochs=10, device="cpu")
    assert acc > 0.85
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, before[k])
    assert net[-1].out_features == 5  # the source head is still there


def test_seeded_runs_repeat_and_seeds_differ():
    X, y = _data(80)
    kw = dict(lr=1e-2, epochs=3, device="cpu")
    a = finetune_accuracy(_net(), X[:50], y[:50], X[50:], y[50:], random_state=1, **kw)
    b = finetune_accuracy(_net(), X[:50], y[:50], X[50:], y[50:], random_state=1, **kw)
    assert a == b
    state = torch.random.get_rng_state()
    finetune_accuracy(_net(), X[:50], y[:50], X[50:], y[50:], random_state=2, **kw)
    assert torch.equal(state, torch.random.get_rng_state())  # the global seed is untouched


def test_equal_batches_never_leave_a_lone_sample_for_batchnorm():
    # 51 samples with batch_size 50: a naive split leaves a batch of one, on which
    # BatchNorm1d raises in training mode; equal splits give 26 + 25.
    X, y = _data(71)
    acc = finetune_accuracy(
        _net(bn=True), X[:51], y[:51], X[51:], y[51:], batch_size=50, epochs=2, device="cpu"
    )
    assert 0.0 <= acc <= 1.0


def test_headless_entry_gets_a_new_head_and_string_labels():
    X, y = _data(90)
    torch.manual_seed(0)
    body = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
    net = nn.Sequential()
    net.add_module("body", body)
    net.add_module("head", nn.Identity())
    entry = ZooEntry("headless", net, layer="head")
    labels = np.where(y == 1, "yes", "no")
    acc = finetune_accuracy(
        entry, X[:60], labels[:60], X[60:], labels[60:], lr=3e-2, epochs=10, device="cpu"
    )
    assert acc > 0.8
    assert isinstance(net.head, nn.Identity)


def test_bad_inputs():
    X, y = _data(40)
    with pytest.raises(ValueError, match="labels"):
        finetune_accuracy(_net(), X[:20], y[:20], X[20:], np.full(20, 7), device="cpu")
    with pytest.raises(ValueError, match="two classes"):
        finetune_accuracy(_net(), X[:20], np.zeros(20), X[20:], np.zeros(20), device="cpu")
    with pytest.raises(ValueError, match="y_train"):
        finetune_accuracy(_net(), X[:20], y[:19], X[20:], y[20:], device="cpu")
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        finetune_accuracy(_net(), bad[:20], y[:20], X[20:], y[20:], device="cpu")


def test_max_steps_caps_the_optimiser_steps():
    X, y = _data(160)
    steps = []

    class Counting(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = _net()

        def forward(self, x):
            if self.training:
                steps.append(len(x))
            return self.net(x)

    kw = dict(lr=1e-2, epochs=5, batch_size=20, device="cpu", random_state=0)
    finetune_accuracy(Counting(), X[:100], y[:100], X[100:], y[100:], **kw)
    assert len(steps) == 5 * 5  # 5 epochs of 5 equal batches
    steps.clear()
    finetune_accuracy(Counting(), X[:100], y[:100], X[100:], y[100:], max_steps=7, **kw)
    assert len(steps) == 7 and sum(steps) == 7 * 20  # stops part-way through the 2nd epoch
    # A budget the epochs never reach changes nothing: the same draws, the same result.
    a = finetune_accuracy(_net(), X[:100], y[:100], X[100:], y[100:], **kw)
    b = finetune_accuracy(_net(), X[:100], y[:100], X[100:], y[100:], max_steps=1000, **kw)
    assert a == b
