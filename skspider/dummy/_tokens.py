"""Token-set inputs of the learned baselines (private): one home for their validation."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base import BaseRanker, Task


def token_sets(ranker: BaseRanker, X: Any, *, reset: bool) -> list[np.ndarray]:
    """The ``(n_tokens_i, n_features)`` token set of each task of ``X``.

    ``X`` as `BaseRanker._validate_tasks` takes it: a 2-D array (one token per task), a
    sequence of token sets, or of `Task` objects with ``tokens`` set. Tasks without tokens
    are refused with the step that makes them.
    """
    sets = ranker._validate_tasks(X, reset=reset)
    if sets and isinstance(sets[0], Task):
        raise ValueError(
            f"{type(ranker).__name__} learns from task tokens, but the tasks of X have none "
            "(Task.tokens is None): put a skspider.tasks.TaskTokenizer before it."
        )
    return sets


def mean_tokens(sets: list[np.ndarray]) -> np.ndarray:
    """``(n_tasks, n_features)``: the mean token of each task."""
    return np.stack([s.mean(axis=0) for s in sets])
