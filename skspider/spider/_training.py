"""Packing token sets into padded batches, and the training loop of `SpiderRanker`."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..base import load_array
from ._loss import plackett_luce_loss
from ._network import SpecificTokens, SpiderNetwork

__all__ = ["TokenBank", "cosine_schedule", "specific_tokens", "split_tasks", "train_steps"]


def split_tasks(
    n: int,
    fraction: float,
    rng: np.random.Generator | np.random.RandomState,
    *,
    what: str,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, valid)`` of a random hold-out of ``ceil(fraction * n)`` tasks.

    With ``groups`` (one label per task), whole groups are held out instead:
    ``ceil(fraction * n_groups)`` of them, so that the held-out tasks measure what carries
    over to groups never trained on. At least one task (group) on each side; ``what`` names
    the option in the error when that is impossible.
    """
    if groups is None:
        if n < 2:
            raise ValueError(f"{what} needs at least 2 training tasks to hold some out, got {n}.")
        n_valid = min(max(1, math.ceil(fraction * n)), n - 1)
        perm = rng.permutation(n)
        return np.sort(perm[n_valid:]), np.sort(perm[:n_valid])
    labels, codes = np.unique(np.asarray(groups), return_inverse=True)
    if len(labels) < 2:
        raise ValueError(
            f"{what} with groups needs at least 2 groups to hold one out, got {len(labels)}."
        )
    n_valid = min(max(1, math.ceil(fraction * len(labels))), len(labels) - 1)
    held = rng.permutation(len(labels))[:n_valid]
    mask = np.isin(codes, held)
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _diverged(what: str, epoch: int, step: int, lr: float) -> ValueError:
    return ValueError(
        f"training diverged: {what} at step {step + 1} (epoch {epoch + 1}, learning rate "
        f"{lr:.3g}). Lower lr, or bring the tokens to a moderate scale (e.g. standardise "
        "them); the network runs in float32."
    )


class TokenBank:
    """Ragged token sets stored flat on the device, batched with zero padding and a mask.

    Only real tokens are stored; a batch is padded to its own longest set.
    """

    def __init__(self, sets: Sequence[np.ndarray], device: torch.device, dtype=torch.float32):
        lengths = np.array([len(s) for s in sets], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        self.lengths = lengths
        with np.errstate(over="ignore"):
            flat = np.concatenate([np.asarray(s, dtype=np.float32) for s in sets], axis=0)
        if not np.isfinite(flat).all():
            raise ValueError(
                "task tokens overflow float32 (the network's precision): their largest "
                f"magnitude is {max(np.abs(np.asarray(s)).max() for s in sets):.3g}; "
                "standardise them."
            )
        self.flat = torch.from_numpy(flat).to(device=device, dtype=dtype)
        self.device = device

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        if len(index) == 1:  # one task (predict): a view, no padding, no copy
            o, n = int(self.offsets[index[0]]), int(self.lengths[index[0]])
            mask = torch.ones(1, n, dtype=torch.bool, device=self.device)
            return self.flat[o : o + n].unsqueeze(0), mask
        lengths = self.lengths[index]
        C = int(lengths.max())
        rows = np.concatenate([np.arange(o, o + n) for o, n in zip(self.offsets[index], lengths)])
        mask_np = np.arange(C)[None, :] < lengths[:, None]
        mask = torch.from_numpy(mask_np).to(self.device)
        x = self.flat.new_zeros(len(index), C, self.flat.shape[1])
        x[mask] = self.flat[torch.from_numpy(rows).to(self.device)]
        return x, mask


def specific_tokens(
    pairs: Sequence[tuple[int, int, int, np.ndarray]],
    device: torch.device,
    dtype=torch.float32,
) -> SpecificTokens | None:
    """Pack ``(row, slot, model, tokens)`` pairs into a `SpecificTokens` (None if empty)."""
    if not pairs:
        return None
    groups: dict[int, list[int]] = {}
    for i, (_, _, m, _) in enumerate(pairs):
        groups.setdefault(m, []).append(i)
    np_dtype = torch.empty(0, dtype=dtype).numpy().dtype
    packed = {}
    for m in sorted(groups):
        idx = groups[m]
        sets = [np.asarray(pairs[i][3], dtype=np_dtype) for i in idx]
        if len({s.shape[1] for s in sets}) > 1:
            raise ValueError(f"the PTM-specific tokens of model {m} have different widths.")
        S = max(len(s) for s in sets)
        tok = np.zeros((len(sets), S, sets[0].shape[1]), dtype=np_dtype)
        tmask = np.zeros((len(sets), S), dtype=bool)
        for j, s in enumerate(sets):
            tok[j, : len(s)] = s
            tmask[j, : len(s)] = True
        packed[m] = (
            torch.tensor(idx, dtype=torch.long, device=device),
            torch.from_numpy(tok).to(device=device, dtype=dtype),
            torch.from_numpy(tmask).to(device),
        )
    return SpecificTokens(
        task=torch.tensor([p[0] for p in pairs], dtype=torch.long, device=device),
        slot=torch.tensor([p[1] for p in pairs], dtype=torch.long, device=device),
        groups=packed,
    )


def draw_specific(
    index: np.ndarray,
    available: list[dict[int, np.ndarray]],
    k: int,
    rng: np.random.Generator,
) -> list[tuple[int, int, int, np.ndarray]]:
    """The training-time practice: each task of a batch gets the tokens of k random PTMs."""
    pairs = []
    if k == 0 or not available:
        return pairs
    for row, t in enumerate(index):
        models = sorted(available[t])
        if not models:
            continue
        chosen = rng.choice(models, size=min(k, len(models)), replace=False)
        for m in sorted(int(c) for c in chosen):
            pairs.append((row, m, m, available[t][m]))
    return pairs


def _load(value) -> np.ndarray:
    arr = load_array(value).astype(np.float32, copy=False)
    return arr[None, :] if arr.ndim == 1 else arr


def cosine_schedule(lr: float, lr_min: float, n_steps: int) -> Callable[[int], float]:
    """Learning rate of step ``t``: cosine from ``lr`` (t = 0) to ``lr_min`` (t = n_steps)."""
    n = max(n_steps, 1)
    return lambda t: lr_min + (lr - lr_min) * (1.0 + math.cos(math.pi * t / n)) / 2.0


def train_steps(
    module: SpiderNetwork,
    bank: TokenBank,
    labels: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    *,
    n_steps: int,
    batch_size: int,
    optimizer: torch.optim.Optimizer,
    lr_at: Callable[[int], float],
    rng: np.random.Generator,
    generator: torch.Generator,
    available: list[dict[int, np.ndarray]],
    max_specific_tokens: int,
    model_tokens: Callable[[], torch.Tensor] | None = None,
    offset: torch.Tensor | None = None,
    on_epoch_end: Callable[[int, float, float], bool] | None = None,
    on_step: Callable[[float], None] | None = None,
) -> tuple[list[float], int]:
    """Run ``n_steps`` optimiser steps of Plackett-Luce training, epoch after epoch.

    Each epoch is a fresh shuffle of the tasks in batches of ``batch_size``; the last epoch
    stops part-way when the step budget runs out. ``lr_at(step)`` sets the learning rate of
    each step. ``offset`` (shape ``(n_models,)``), when given, is added to the network's
    scores of every task before the loss: the network then learns a residual on top of it.
    ``on_step(loss)`` is called after each step (a progress bar);
    ``on_epoch_end(epoch, loss, seconds)`` may return True to stop early. A non-finite loss,
    or non-finite weights at the end of an epoch, raise a `ValueError` (divergence): a
    diverged network would only give NaN scores.

    Returns the mean loss of each epoch and the number of steps run.
    """
    order, start, n_known = labels
    n = len(bank)
    losses: list[float] = []
    trained = [p for group in optimizer.param_groups for p in group["params"]]
    step, epoch = 0, 0
    while step < n_steps:
        tic = time.perf_counter()
        module.train()
        perm = rng.permutation(n)
        total, weight = 0.0, 0
        for b in range(math.ceil(n / batch_size)):
            if step >= n_steps:
                break
            lr = lr_at(step)
            for group in optimizer.param_groups:
                group["lr"] = lr
            index = perm[b * batch_size : (b + 1) * batch_size]
            x, mask = bank.batch(index)
            k = int(rng.integers(0, max_specific_tokens + 1)) if available else 0
            spec = specific_tokens(draw_specific(index, available, k, rng), bank.device)
            idx = torch.from_numpy(index).to(bank.device)
            scores = module(
                x,
                mask,
                specific=spec,
                generator=generator,
                model_tokens=model_tokens() if model_tokens is not None else None,
            )
            if offset is not None:
                scores = scores + offset
            loss = plackett_luce_loss(scores, order[idx], start[idx], n_known[idx])
            value = float(loss.detach())
            if not math.isfinite(value):
                raise _diverged(f"the loss is {value}", epoch, step, lr)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += value * len(index)
            weight += len(index)
            step += 1
            if on_step is not None:
                on_step(value)
        if not all(bool(torch.isfinite(p).all()) for p in trained):
            raise _diverged("the weights became non-finite", epoch, step - 1, lr)
        losses.append(total / max(weight, 1))
        if on_epoch_end is not None and on_epoch_end(epoch, losses[-1], time.perf_counter() - tic):
            break
        epoch += 1
    return losses, step
