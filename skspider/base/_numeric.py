"""Numerical helpers shared across packages (private): class sums and per-row normalisation."""

from __future__ import annotations

import numpy as np
from scipy import sparse, stats

__all__ = ["class_means", "class_sums", "normalize_rows"]


def class_sums(X: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """``(n_classes, n_features)`` sums of the rows of ``X`` per label ``0 .. n_classes-1``.

    ``Y^T X`` for the one-hot ``Y``, as one sparse product: the one-hot matrix is never
    formed densely, and it is far faster than ``np.add.at`` on wide ``X``. The result is
    float64 (float32 ``X`` is accumulated in float64).
    """
    n = X.shape[0]
    onehot = sparse.csr_array((np.ones(n), (y, np.arange(n))), shape=(n_classes, n))
    return np.asarray(onehot @ X)


def class_means(X: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-class means ``(n_classes, n_features)`` and class counts ``(n_classes,)``."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    return class_sums(X, y, n_classes) / counts[:, None], counts


def normalize_rows(Y: np.ndarray, how: str) -> np.ndarray:
    """Normalise each row of ``Y`` over its known (non-NaN) entries; NaN stays NaN.

    ``"rank"``: ranks scaled to [0, 1] (0 = worst, ties averaged), so a mean over rows is a
    Borda count; ``"zscore"``: standardised (0 for a constant row); ``"minmax"``: mapped to
    [0, 1] (0.5 for a constant row); ``"none"``: unchanged.
    """
    Y = np.asarray(Y, dtype=np.float64)
    if how == "none":
        return Y.copy()
    out = np.full_like(Y, np.nan)
    for i, row in enumerate(np.atleast_2d(Y)):
        known = ~np.isnan(row)
        v = row[known]
        if v.size == 0:
            continue
        if how == "rank":
            out[i, known] = (stats.rankdata(v) - 1.0) / max(v.size - 1, 1)
        elif how == "zscore":
            sd = v.std()
            out[i, known] = (v - v.mean()) / sd if sd > 0 else 0.0
        elif how == "minmax":
            span = np.ptp(v)
            out[i, known] = (v - v.min()) / span if span > 0 else 0.5
        else:
            raise ValueError(f"unknown normalisation {how!r}.")
    return out
