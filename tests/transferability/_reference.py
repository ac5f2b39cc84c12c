"""The deterministic inputs of the reference vectors (no random generator)."""

import numpy as np


def make_cls(N, D, C, K=10):
    """Features X, labels y, source probabilities P of the reference problems."""
    i = np.arange(N)[:, None]
    j = np.arange(D)[None, :]
    k = np.arange(K)[None, :]
    y = np.arange(N) % C
    X = (
        np.sin(0.1 * (i + 1) * (j + 1))
        + 0.5 * np.cos(0.37 * (i + 1) + 0.11 * (j + 1) ** 2)
        + 1.5 * ((j % C) == y[:, None])
    )
    L = 2 * np.cos(0.3 * (i + 1) * (k + 1)) + 1.0 * ((k % C) == y[:, None])
    E = np.exp(L - L.max(axis=1, keepdims=True))
    P = E / E.sum(axis=1, keepdims=True)
    return X, y, P


def make_reg(X):
    """Two regression targets built from X."""
    N, D = X.shape
    Y = np.empty((N, 2))
    Y[:, 0] = X @ np.cos(np.arange(D)) + 0.1 * np.sin(np.arange(N))
    Y[:, 1] = np.sin(0.05 * np.arange(N))
    return Y
