"""Small image networks for 32x32 glyphs, and their pre-training (supervised, SimCLR, AE).

Every network is a `GlyphNet`: a ``body`` that maps ``(n, 1, 32, 32)`` images (uint8, or
floats in [0, 1]) to ``(n, feature_dim)`` features, then a ``head``: the source classifier
(`torch.nn.Linear`, registered last) or `torch.nn.Identity` for a network pre-trained
without labels. `skspider.zoo` hooks ``head``: its input is the feature, its softmaxed
output (when a Linear) the source-class probabilities.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..._progress import progress_bar

__all__ = ["FAMILIES", "GlyphNet", "build_glyph_model", "pretrain_glyph_model"]


class _ToFloat(nn.Module):
    """uint8 images to floats in [0, 1]; float inputs are taken as already in [0, 1]."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.uint8:
            return x.float() / 255.0
        return x


def _conv_bn(c_in: int, c_out: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(c_in, c_out, 3, stride, 1, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]


class _Block(nn.Module):
    """ResNet basic block (two 3x3 convolutions with BatchNorm, identity or 1x1 shortcut)."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.short = (
            nn.Identity()
            if stride == 1 and c_in == c_out
            else nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
        )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.short(x))


class _ViT(nn.Module):
    """A small vision transformer: 4x4 patches (64 tokens), a class token, pre-LN blocks."""

    def __init__(self, dim: int, depth: int = 3, heads: int = 4, patch: int = 4):
        super().__init__()
        self.embed = nn.Conv2d(1, dim, patch, patch)
        n = (32 // patch) ** 2
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            dim, heads, 2 * dim, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        t = self.embed(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(len(t), -1, -1), t], 1) + self.pos
        return self.norm(self.blocks(t)[:, 0])


def _body(family: str, width: int) -> tuple[nn.Module, int]:
    w = width
    if family == "mlp":
        return nn.Sequential(
            nn.Flatten(), nn.Linear(1024, w), nn.ReLU(), nn.Linear(w, w), nn.ReLU()
        ), w
    if family == "lenet":
        return nn.Sequential(
            nn.Conv2d(1, w, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(w, 2 * w, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(2 * w * 64, 64),
            nn.ReLU(),
        ), 64
    if family == "vgg":
        return nn.Sequential(
            *_conv_bn(1, w),
            nn.MaxPool2d(2),
            *_conv_bn(w, 2 * w),
            *_conv_bn(2 * w, 2 * w),
            nn.MaxPool2d(2),
            *_conv_bn(2 * w, 4 * w),
            *_conv_bn(4 * w, 4 * w),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        ), 4 * w
    if family == "resnet":
        return nn.Sequential(
            *_conv_bn(1, w, stride=2),
            _Block(w, w, 1),
            _Block(w, 2 * w, 2),
            _Block(2 * w, 4 * w, 2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        ), 4 * w
    if family == "mobilenet":

        def sep(c_in, c_out, stride):
            return [
                *_conv_bn(c_in, c_in, stride, groups=c_in),
                nn.Conv2d(c_in, c_out, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
            ]

        return nn.Sequential(
            *_conv_bn(1, w, stride=2),
            *sep(w, 2 * w, 1),
            *sep(2 * w, 2 * w, 1),
            *sep(2 * w, 4 * w, 2),
            *sep(4 * w, 4 * w, 1),
            *sep(4 * w, 8 * w, 2),
            *sep(8 * w, 8 * w, 1),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        ), 8 * w
    if family == "vit":
        return _ViT(w), w
    raise ValueError(f"Unknown family {family!r}; use one of {FAMILIES}.")


#: Architecture families; ``width`` is the hidden width (mlp), the first layer's channels
#: (lenet, vgg, resnet, mobilenet) or the token width (vit). For CPU budgets, only LeNet and
#: VGG convolve at full 32x32 resolution (one layer each before pooling); the ResNet and
#: MobileNet stems have stride 2 (16x16 maps, as the ViT's 4x4 patches give 8x8 tokens).
FAMILIES = ("mlp", "lenet", "vgg", "resnet", "mobilenet", "vit")


class GlyphNet(nn.Module):
    """A glyph network: ``head(body(x))``.

    Parameters
    ----------
    family : str
        One of `FAMILIES`.
    width : int
        Its width (see `FAMILIES`).
    n_classes : int or None
        Classes of the source head; None: no head (`torch.nn.Identity`), for networks
        pre-trained without labels and for general encoders.
    """

    def __init__(self, family: str, width: int, n_classes: int | None):
        super().__init__()
        self.family, self.width = family, width
        self.to_float = _ToFloat()
        self.body, self.feature_dim = _body(family, width)
        self.head = nn.Identity() if n_classes is None else nn.Linear(self.feature_dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self.to_float(x)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.to_float(x))


def build_glyph_model(family: str, width: int, n_classes: int | None, seed: int = 0) -> GlyphNet:
    """A freshly initialised `GlyphNet`, its weights drawn from ``seed`` alone.

    Examples
    --------
    >>> import torch
    >>> from skspider.datasets.glyph_zoo._models import build_glyph_model
    >>> net = build_glyph_model("resnet", 8, 10)
    >>> net(torch.zeros(2, 1, 32, 32, dtype=torch.uint8)).shape
    torch.Size([2, 10])
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return GlyphNet(family, width, n_classes)


def _nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's normalised-temperature cross-entropy over the 2n views of a batch."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / temperature
    n = len(z1)
    sim.fill_diagonal_(-1e9)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(sim, target)


def pretrain_glyph_model(
    model: GlyphNet,
    images: np.ndarray,
    labels: np.ndarray | None,
    *,
    objective: str = "supervised",
    steps: int = 500,
    batch_size: int = 64,
    lr: float = 2e-3,
    augment: float = 0.5,
    seed: int = 0,
    device: Any = "cpu",
    verbose: int = 0,
) -> dict:
    """Pre-train ``model`` in place; returns a log (loss curve, seconds).

    Every step draws ``batch_size`` images (equal-size batches: BatchNorm statistics never
    see a small last batch), augments them on the fly (`augment_images`) and takes one Adam
    step, with a cosine learning-rate schedule over ``steps``: the budget is a number of
    steps, the same for every source whatever its size.

    Objectives: ``"supervised"`` (cross-entropy of the source head on ``labels``),
    ``"simclr"`` (contrastive: two augmentations of each image, NT-Xent at temperature 0.2 on
    a 2-layer projection of the features; the projection is dropped afterwards),
    ``"autoencoder"`` (denoising: a linear decoder reconstructs the clean image from the
    features of an augmented one; the decoder is dropped afterwards).

    ``verbose`` > 0: a progress bar over the steps on ``sys.stderr`` with the loss (the mean
    of the last 20 steps).
    """
    from ._glyphs import augment_images

    dev = torch.device(device)
    rng = np.random.RandomState(seed)
    gen = torch.Generator().manual_seed(seed)
    model.to(dev).train()
    extra: nn.Module | None = None
    if objective == "simclr":
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1)
            d = model.feature_dim
            extra = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, 64))
    elif objective == "autoencoder":
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1)
            extra = nn.Linear(model.feature_dim, 1024)
    elif objective != "supervised":
        raise ValueError(f"Unknown objective {objective!r}.")
    if objective == "supervised" and labels is None:
        raise ValueError("Supervised pre-training needs labels.")
    params = list(model.parameters())
    if extra is not None:
        extra.to(dev).train()
        params += list(extra.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / max(steps, 1)))
    )
    n = len(images)
    y_all = None if labels is None else torch.as_tensor(np.asarray(labels), dtype=torch.long)
    losses, start = [], time.perf_counter()
    order, pos = torch.randperm(n, generator=gen), 0
    # A passing bar over the steps (the glyph-zoo build logs each PTM's final loss).
    bar = progress_bar(steps, desc="pre-training", verbose=verbose, unit="step", leave=False)
    with bar:
        for _ in range(steps):
            if pos + batch_size > n:
                order, pos = torch.randperm(n, generator=gen), 0
            idx = order[pos : pos + batch_size].numpy()
            pos += batch_size
            batch = images[idx]
            if objective == "supervised":
                x = augment_images(batch, rng, strength=augment, device=dev)
                loss = F.cross_entropy(model(x), y_all[idx].to(dev))
            elif objective == "simclr":
                x1 = augment_images(batch, rng, strength=1.5, device=dev)
                x2 = augment_images(batch, rng, strength=1.5, device=dev)
                loss = _nt_xent(extra(model.features(x1)), extra(model.features(x2)), 0.2)
            else:
                x = augment_images(batch, rng, strength=1.0, device=dev)
                clean = torch.as_tensor(batch, device=dev).float().reshape(len(idx), -1) / 255.0
                loss = F.binary_cross_entropy_with_logits(extra(model.features(x)), clean)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            if verbose:
                bar.set_postfix(loss=float(np.mean(losses[-20:])))
                bar.update()
    model.eval().to("cpu")
    return {"loss": losses, "seconds": time.perf_counter() - start}
