"""The Plackett-Luce loss against a direct, slow computation."""

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

from skspider.spider._loss import plackett_luce_loss, plackett_luce_order


def _direct(scores, Y, ties):
    losses = []
    for s, y in zip(scores, Y):
        known = np.flatnonzero(~np.isnan(y))
        if len(known) < 2:
            continue
        # Best first; among ties the lower model index first.
        order = sorted(known, key=lambda m: (-y[m], m))
        total = 0.0
        for i, m in enumerate(order):
            # breslow: every model not ranked strictly above m
            rest = order[i:] if ties == "first" else [j for j in known if y[j] <= y[m]]
            total += logsumexp(s[rest]) - s[m]
        losses.append(total / (len(known) - 1))
    return np.mean(losses)


def _loss(scores, Y, ties):
    order, start, n_known = (torch.from_numpy(a) for a in plackett_luce_order(Y, ties))
    return plackett_luce_loss(torch.from_numpy(scores), order, start, n_known)


@pytest.mark.parametrize("ties", ["first", "breslow"])
def test_loss_equals_direct_plackett_luce(ties):
    rng = np.random.default_rng(0)
    Y = rng.integers(0, 4, size=(6, 7)).astype(float)  # many ties
    Y[rng.random(Y.shape) < 0.25] = np.nan
    Y[0, 1:] = np.nan  # a task with one known model contributes nothing
    scores = rng.normal(size=Y.shape) * 3
    got = _loss(scores, Y, ties).item()
    assert got == pytest.approx(_direct(scores, Y, ties), rel=1e-12)


def test_without_ties_both_rules_agree():
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(4, 6))
    s = rng.normal(size=Y.shape)
    assert _loss(s, Y, "first").item() == pytest.approx(_loss(s, Y, "breslow").item())


def test_gradient_is_finite_with_nan_labels():
    Y = np.array([[1.0, np.nan, 0.0, np.nan], [np.nan, np.nan, np.nan, 2.0]])
    s = torch.zeros(2, 4, dtype=torch.float64, requires_grad=True)
    order, start, n_known = (torch.from_numpy(a) for a in plackett_luce_order(Y))
    plackett_luce_loss(s, order, start, n_known).backward()
    assert torch.isfinite(s.grad).all()
    assert s.grad[0, 1] == 0 and s.grad[1].abs().sum() == 0  # unknown models get no push


def test_no_usable_task_gives_zero():
    Y = np.array([[1.0, np.nan]])
    s = torch.ones(1, 2, requires_grad=True)
    order, start, n_known = (torch.from_numpy(a) for a in plackett_luce_order(Y))
    loss = plackett_luce_loss(s, order, start, n_known)
    assert loss.item() == 0.0
    loss.backward()


def test_correct_order_has_lower_loss():
    Y = np.array([[3.0, 2.0, 1.0]])
    good = _loss(np.array([[3.0, 2.0, 1.0]]), Y, "first")
    bad = _loss(np.array([[1.0, 2.0, 3.0]]), Y, "first")
    assert good < bad


def test_unknown_ties_rule():
    with pytest.raises(ValueError, match="ties"):
        plackett_luce_order(np.ones((1, 2)), "average")


@pytest.mark.parametrize("ties", ["first", "breslow"])
def test_missing_records_are_masked_not_imputed(ties):
    # A task's loss with missing records is the loss of its known columns alone, and the
    # scores of the missing ones do not enter it (an imputed label would give them a place).
    rng = np.random.default_rng(2)
    Y = rng.normal(size=(5, 6))
    Y[rng.random(Y.shape) < 0.4] = np.nan
    Y[:, 0] = [0.3, np.nan, 1.0, np.nan, 2.0]
    scores = rng.normal(size=Y.shape)
    for t, (y, s) in enumerate(zip(Y, scores)):
        known = ~np.isnan(y)
        if known.sum() < 2:
            continue
        full = _loss(s[None], y[None], ties).item()
        alone = _loss(s[known][None], y[known][None], ties).item()
        assert full == pytest.approx(alone, rel=1e-12), t
        moved = s.copy()
        moved[~known] += 100.0
        assert _loss(moved[None], y[None], ties).item() == pytest.approx(full, rel=1e-12)
