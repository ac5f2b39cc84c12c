"""Plackett-Luce (ListMLE) negative log-likelihood of a ranking, with NaN and ties masked.

The order of each task's labels does not change during training, so it is computed once, in
numpy (`plackett_luce_order`); the loss itself (`plackett_luce_loss`) is a few batched tensor
operations, with no Python loop over tasks.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["leaderboard_prior", "plackett_luce_loss", "plackett_luce_order", "plackett_luce_prior"]

_NEG = -1e30


def plackett_luce_order(Y: np.ndarray, ties: str = "first") -> tuple[np.ndarray, ...]:
    """The label order of each task, for `plackett_luce_loss`.

    Parameters
    ----------
    Y : ndarray of shape (n_tasks, n_models)
        Labels, larger = better; NaN = unknown (left out).
    ties : {"first", "breslow"}, default="first"
        How tied labels are treated. "first": ties are broken by the model index (a stable
        sort: the lower index comes first), as a sort does in the released code. "breslow":
        tied models are exchangeable: each one is drawn from the set of every model not
        ranked above its tie group (Breslow's rule for ties in the Cox partial likelihood,
        which Plackett-Luce is), so no model gains from its position in the zoo.

    Returns
    -------
    order : ndarray of shape (n_tasks, n_models), int64
        Model indices, best first; unknown models last.
    start : ndarray of shape (n_tasks, n_models), int64
        For each position, the first position of the set the model is drawn from.
    n_known : ndarray of shape (n_tasks,), int64
        Number of known labels of each task.
    """
    Y = np.asarray(Y, dtype=np.float64)
    n, M = Y.shape
    known = ~np.isnan(Y)
    key = np.where(known, -Y, np.inf)
    # lexsort sorts by the last key first: by -label, then by model index (stable).
    order = np.stack([np.lexsort((np.arange(M), k)) for k in key]) if n else np.zeros((0, M))
    order = order.astype(np.int64)
    start = np.tile(np.arange(M, dtype=np.int64), (n, 1))
    if ties == "breslow":
        sorted_key = np.take_along_axis(key, order, axis=1)
        new_group = np.ones((n, M), dtype=bool)
        new_group[:, 1:] = sorted_key[:, 1:] != sorted_key[:, :-1]
        start = np.maximum.accumulate(np.where(new_group, start, 0), axis=1)
    elif ties != "first":
        raise ValueError(f"ties must be 'first' or 'breslow', got {ties!r}.")
    return order, start, known.sum(axis=1).astype(np.int64)


def plackett_luce_loss(
    scores: torch.Tensor,
    order: torch.Tensor,
    start: torch.Tensor,
    n_known: torch.Tensor,
) -> torch.Tensor:
    """Mean Plackett-Luce negative log-likelihood of the label orders given the scores.

    For a task with known models sorted best first, ``pi_1 .. pi_n``, the loss is
    ``sum_i [logsumexp(s_{pi_j}, j >= start_i) - s_{pi_i}] / (n - 1)`` (``start_i = i`` without
    ties), then averaged over the tasks with at least two known models.

    Parameters
    ----------
    scores : Tensor of shape (B, M)
    order, start, n_known : LongTensors from `plackett_luce_order`
        Of shapes (B, M), (B, M) and (B,).

    Returns
    -------
    loss : Tensor (scalar)
        0 (with a gradient graph) when no task has two known models.
    """
    M = scores.shape[1]
    known = torch.arange(M, device=scores.device).unsqueeze(0) < n_known.unsqueeze(1)
    s = scores.gather(1, order)
    s = torch.where(known, s, torch.full_like(s, _NEG))
    # logsumexp of every suffix, s[i:] for each i.
    tail = torch.logcumsumexp(s.flip(1), dim=1).flip(1)
    step = torch.where(known, tail.gather(1, start) - s, torch.zeros_like(s))
    valid = n_known >= 2
    per_task = step.sum(1) / (n_known - 1).clamp(min=1).to(scores.dtype)
    if not bool(valid.any()):
        return scores.sum() * 0.0
    return per_task[valid].mean()


def plackett_luce_prior(
    Y: np.ndarray,
    ties: str = "first",
    *,
    fixed: np.ndarray | None = None,
    l2: float = 1.0,
) -> np.ndarray:
    """Task-blind Plackett-Luce utilities: one score per model for every task at once.

    The utilities ``b`` minimise ``sum_t L_t(b) + l2 / 2 * ||b||^2``, where ``L_t`` is task
    ``t``'s term of `plackett_luce_loss` with the same scores ``b`` on every task (NaN labels
    left out, ties as ``ties``): the maximum-likelihood ranking of the models that ignores the
    task, with a standard normal prior on each utility (``l2=1``) so that it stays finite
    when a model wins every comparison it appears in. The problem is strictly convex; it is
    solved by L-BFGS in float64 (a few dozen iterations for tens of models).

    Parameters
    ----------
    Y : ndarray of shape (n_tasks, n_models)
        Labels, larger = better; NaN = unknown.
    ties : {"first", "breslow"}, default="first"
        As in `plackett_luce_order`.
    fixed : ndarray of shape (n_models,), default=None
        Utilities held at the given values (NaN entries are free and penalised); None: all
        free. Used to place new models next to fitted ones.
    l2 : float, default=1.0
        Weight of the penalty on the free utilities.

    Returns
    -------
    b : ndarray of shape (n_models,), float64
        Larger = ranked higher. A free model of no task with two known labels gets 0.
    """
    Y = np.asarray(Y, dtype=np.float64)
    M = Y.shape[1]
    order, start, n_known = (torch.from_numpy(a) for a in plackett_luce_order(Y, ties))
    held = np.zeros(M) if fixed is None else np.where(np.isnan(fixed), 0.0, fixed)
    free = np.ones(M, dtype=bool) if fixed is None else np.isnan(fixed)
    n_valid = int((n_known >= 2).sum())
    b_held = torch.from_numpy(held)
    mask = torch.from_numpy(free)
    b_free = torch.zeros(M, dtype=torch.float64, requires_grad=True)
    if n_valid == 0 or not free.any():
        return held
    optimizer = torch.optim.LBFGS(
        [b_free],
        lr=1.0,
        max_iter=500,
        tolerance_grad=1e-10,
        tolerance_change=1e-14,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def objective() -> torch.Tensor:
        optimizer.zero_grad()
        b = torch.where(mask, b_free, b_held)
        scores = b.unsqueeze(0).expand(Y.shape[0], M)
        # plackett_luce_loss is the mean over usable tasks: times n_valid, the sum.
        loss = n_valid * plackett_luce_loss(scores, order, start, n_known)
        loss = loss + 0.5 * l2 * (b_free[mask] ** 2).sum()
        loss.backward()
        return loss

    optimizer.step(objective)
    with torch.no_grad():
        return torch.where(mask, b_free, b_held).numpy().copy()


def leaderboard_prior(Y: np.ndarray, ties: str = "first") -> np.ndarray:
    """The leaderboard of the labels on the Plackett-Luce scale: ``b = c * z``.

    ``z`` is each model's mean label over the tasks that record it (NaN left out; the
    ranking of `skspider.dummy.PriorRanker`), standardised over the models; ``c >= 0`` is the
    one factor that maximises the Plackett-Luce likelihood of the tasks' rankings (ties as
    ``ties``) for scores ``c * z`` on every task. So ``b`` ranks the models exactly as the
    leaderboard does, on the scale of the network's scores. (The full maximum-likelihood
    utilities, `plackett_luce_prior`, rank them by their order statistics instead: with many
    tied labels, as fine-tuning records have near 100% accuracy, that ranking is further
    from the truth's, and with ties broken by index it favours the first models.)

    Parameters
    ----------
    Y : ndarray of shape (n_tasks, n_models)
        Labels, larger = better; NaN = unknown. A model without any known label gets 0 (the
        middle of the standardised scale).
    ties : {"first", "breslow"}, default="first"
        As in `plackett_luce_order`.

    Returns
    -------
    b : ndarray of shape (n_models,), float64
    """
    from scipy.optimize import minimize_scalar

    from ..base._numeric import normalize_rows

    Y = np.asarray(Y, dtype=np.float64)
    known = ~np.isnan(Y)
    mean = np.full(Y.shape[1], np.nan)
    np.divide(np.nansum(Y, axis=0), known.sum(axis=0), out=mean, where=known.any(axis=0))
    # Standardised over the models with a label; a model without any (possible in the
    # training part of a hold-out) sits at the middle, 0, instead of voiding the term.
    z = np.nan_to_num(normalize_rows(mean[None], "zscore")[0])
    if not z.any():
        return z
    order, start, n_known = (torch.from_numpy(a) for a in plackett_luce_order(Y, ties))
    if int((n_known >= 2).sum()) == 0:
        return z
    scores = torch.from_numpy(z).unsqueeze(0).expand(Y.shape[0], -1)

    def loss(c: float) -> float:
        return float(plackett_luce_loss(c * scores, order, start, n_known))

    # The loss is convex in c (a log-sum-exp of linear functions); a factor of 50 on
    # unit-variance scores already ranks deterministically.
    c = minimize_scalar(loss, bounds=(0.0, 50.0), method="bounded", options={"xatol": 1e-6}).x
    return float(c) * z
