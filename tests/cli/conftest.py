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


def _glyph_net(scale, seed):
    # 1x32x32 images, pooled to 8x8: a raw torch error on any other shape.
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.AvgPool2d(4), nn.Flatten(), nn.Linear(64, 12), nn.Tanh(), nn.Linear(12, 5)
    )
    with torch.no_grad():
        net[2].weight.mul_(scale)
    return net


def glyph_zoo():
    # Declares the input its PTMs take, as the built-in glyph zoo does.
    zoo = ModelZoo(input_shape=(1, 32, 32))
    zoo.add("sharp", _glyph_net(3.0, 0))
    zoo.add("dull", _glyph_net(0.01, 1))
    return zoo


def four_channel_zoo():
    return ModelZoo({"net": _glyph_net(1.0, 0)}, input_shape=(4, 32, 32))
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
def glyph_folders(tmp_path):
    """The same task twice: 32x32 grayscale PNGs, and 64x64 RGB ones (each pixel a 2x2
    block, gray in every channel); class c is a bright 8x8 square at place c."""
    from PIL import Image

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 8)
    for i, label in enumerate(y):
        pixels = rng.integers(0, 60, size=(32, 32))
        pixels[8 * label : 8 * label + 8, 8:16] += 180
        gray = Image.fromarray(pixels.astype(np.uint8), mode="L")
        rgb = gray.resize((64, 64), Image.Resampling.NEAREST).convert("RGB")
        for name, img in (("gray32", gray), ("rgb64", rgb)):
            folder = tmp_path / name / f"class_{label}"
            folder.mkdir(parents=True, exist_ok=True)
            img.save(folder / f"{i:02d}.png")
    return tmp_path / "gray32", tmp_path / "rgb64"


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
