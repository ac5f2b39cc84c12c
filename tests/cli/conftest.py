"""Shared fixtures of the command-line tests: tasks on disk and a tiny zoo module."""

import json

import numpy as np
import pytest

# A zoo module for --zoo path.py:function: two PTMs on 1x4x4 images (16 inputs), one that
# keeps the signal (identity features) and one that nearly erases it; a third without a
# source head (nn.Identity as its last layer), which LEEP cannot score.
ZOO_SOURCE = """
import torch
from torch import nn
from skspider.zoo import ModelZoo, ZooEntry


def _net(scale, head=True, seed=0):
    torch.manual_seed(seed)
    first = nn.Linear(16, 16, bias=False)
    with torch.no_grad():
        first.weight.copy_(scale * torch.eye(16) + 0.01 * torch.randn(16, 16))
    last = nn.Linear(16, 5) if head else nn.Identity()
    return nn.Sequential(nn.Flatten(), first, last)


def make_zoo():
    zoo = ModelZoo()
    zoo.add("keeps", _net(1.0), family="mlp")
    zoo.add("erases", _net(0.001), family="mlp")
    zoo.add(ZooEntry("headless", _net(0.5, head=False), layer="2", source_head=False))
    return zoo


def not_a_zoo():
    return [1, 2, 3]


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        raise RuntimeError("this PTM always fails")


def broken_zoo():
    return ModelZoo({"broken": Broken()})


def encoder():
    torch.manual_seed(1)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 6))
"""


@pytest.fixture
def zoo_file(tmp_path):
    path = tmp_path / "myzoo.py"
    path.write_text(ZOO_SOURCE)
    return path


@pytest.fixture
def raw_task():
    """Images (n, 1, 4, 4) whose pixels carry the class, and their labels."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 10)
    X = rng.uniform(0.0, 0.3, size=(30, 1, 4, 4)).astype(np.float32)
    X[np.arange(30), 0, y, y] += 0.6
    return X, y


@pytest.fixture
def feature_task(tmp_path):
    """An .npz of precomputed features: 'strong' separates the classes, 'weak' hardly."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    signal = np.eye(5)[y]
    arrays = {
        "y": y,
        "features/weak": rng.normal(size=(60, 5)) + 0.2 * signal,
        "features/strong": rng.normal(size=(60, 5)) + 3.0 * signal,
        "probas/strong": rng.dirichlet(np.ones(4), size=60),
    }
    path = tmp_path / "task.npz"
    np.savez(path, **arrays)
    return path, arrays


def run_json(main, argv, capsys):
    """Run the CLI with --json; return (exit code, parsed stdout, stderr)."""
    code = main([*argv, "--json"])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out.strip() else None, out.err
