"""Small synthetic tasks for the spider tests."""

import numpy as np
import pandas as pd
import pytest

from skspider.base import Task


def _make_tasks(n_tasks=30, n_models=4, n_features=5, seed=0, dataframe=False):
    """Ragged token sets whose mean decides which model is best."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n_features, n_models))
    sets, rows = [], []
    for _ in range(n_tasks):
        n = int(rng.integers(1, 5))
        centre = rng.normal(size=n_features)
        tokens = centre + 0.1 * rng.normal(size=(n, n_features))
        sets.append(tokens)
        rows.append(centre @ W)
    Y = np.asarray(rows)
    if dataframe:
        Y = pd.DataFrame(Y, columns=[f"ptm{m}" for m in range(n_models)])
    return sets, Y


def _make_specific_tasks(n_tasks=24, n_models=4, seed=0):
    """Tasks whose general tokens say nothing; each PTM's own tokens say how good it is."""
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(n_tasks, n_models))
    tasks = [
        Task(
            y=np.arange(2),
            tokens=rng.normal(size=(2, 3)),
            model_tokens={
                f"ptm{m}": row[m] + 0.05 * rng.normal(size=(2, 2)) for m in range(n_models)
            },
        )
        for row in Y
    ]
    return tasks, pd.DataFrame(Y, columns=[f"ptm{m}" for m in range(n_models)])


@pytest.fixture
def make_tasks():
    return _make_tasks


@pytest.fixture
def make_specific_tasks():
    return _make_specific_tasks


@pytest.fixture(scope="session")
def specific_split():
    """36 tasks of 5 PTMs whose own tokens are informative: 24 to train, 12 to test."""
    tasks, Y = _make_specific_tasks(36, n_models=5)
    return tasks[:24], Y.iloc[:24], tasks[24:], Y.iloc[24:]


@pytest.fixture(scope="session")
def specific_ranker(specific_split):
    from skspider.spider import SpiderRanker

    train, Y, _, _ = specific_split
    params = {"d_model": 16, "max_iter": 60, "lr": 1e-2, "random_state": 0}
    return SpiderRanker(**params, max_specific_tokens=5).fit(train, Y)
