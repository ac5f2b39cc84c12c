"""Records as labels: measured performances with NaN where no record exists.

Each baseline must learn from the known records only. Every ``Y`` below is built so that
filling its NaN (with 0, a column mean or the column minimum) would flip the
order the ranker learns: each test fails on a ranker that imputes.
"""

import numpy as np
import pandas as pd
import pytest

from skspider.dummy import MetadataRanker, NearestTasksRanker, PriorRanker, RidgeRanker

NAN = np.nan


def _imputed(Y, how):
    Y = np.array(Y, dtype=float)
    fill = {
        "zero": np.zeros_like(Y),
        "column mean": np.broadcast_to(np.nanmean(Y, axis=0), Y.shape),
        "row mean": np.broadcast_to(np.nanmean(Y, axis=1)[:, None], Y.shape),
        "column min": np.broadcast_to(np.nanmin(Y, axis=0), Y.shape),
    }[how]
    return np.where(np.isnan(Y), fill, Y)


def test_prior_averages_the_known_records_only():
    # "a" has a record on two tasks only, both excellent; "b" everywhere, good.
    Y = pd.DataFrame([[0.9, 0.8], [0.9, 0.8], [NAN, 0.7], [NAN, 0.7]], columns=["a", "b"])
    X = np.ones((4, 1))
    ranker = PriorRanker().fit(X, Y)
    np.testing.assert_allclose(ranker.prior_, [0.9, 0.75])
    assert list(ranker.predict_rank(X[:1])[0]) == [1, 2]
    # Zeros rank "b" first: the test tells them apart from masking. (A column mean leaves
    # the column's mean as it is: for a mean over tasks it is the same as masking.)
    for how in ("zero",):
        filled = PriorRanker().fit(X, _imputed(Y, how))
        assert list(filled.predict_rank(X[:1])[0]) == [2, 1], how


def test_ridge_fits_each_model_on_its_known_tasks_only():
    # One token per task; "a" = 2 x when recorded (a third of the tasks), "b" = x always.
    x = np.linspace(-1, 1, 30)
    a = np.where(np.arange(30) % 3 == 0, 2 * x, NAN)
    Y = np.c_[a, x]
    X = x[:, None]
    ranker = RidgeRanker(alphas=1e-6).fit(X, Y)
    np.testing.assert_allclose(ranker.coef_[:, 0], [2.0, 1.0], atol=1e-4)
    assert list(ranker.predict_rank([[1.0]])[0]) == [1, 2]  # a steeper slope wins at x = 1
    for how in ("zero", "column mean"):
        filled = RidgeRanker(alphas=1e-6).fit(X, _imputed(Y, how))
        assert list(filled.predict_rank([[1.0]])[0]) == [2, 1], how


def test_nearest_tasks_average_known_records_only():
    # Two training tasks near 0, four far away. On the near ones "a" is best where it is
    # recorded; on the far ones it is poor, so a column mean would fill it in as poor.
    X = np.array([[0.0], [0.1], [10.0], [10.1], [10.2], [10.3]])
    Y = np.array(
        [
            [NAN, 0.9, 0.8],
            [0.95, 0.5, 0.4],
            [0.1, 0.5, 0.9],
            [0.1, 0.5, 0.9],
            [0.1, 0.5, 0.9],
            [0.1, 0.5, 0.9],
        ]
    )
    ranker = NearestTasksRanker(n_neighbors=2).fit(X, Y)
    assert list(ranker.predict_rank([[0.05]])[0]) == [1, 2, 3]
    for how in ("zero", "column mean", "column min"):
        filled = NearestTasksRanker(n_neighbors=2).fit(X, _imputed(Y, how))
        assert list(filled.predict_rank([[0.05]])[0]) == [2, 1, 3], how


def test_nearest_tasks_fall_back_to_the_prior_for_a_model_no_neighbour_recorded():
    # Documented, explicit: such a model gets its mean over all training tasks (prior_).
    X = np.array([[0.0], [0.1], [10.0]])
    Y = np.array([[NAN, 0.9, 0.1], [NAN, 0.2, 0.8], [0.9, 0.5, 0.1]])
    ranker = NearestTasksRanker(n_neighbors=2).fit(X, Y)
    scores = ranker.predict([[0.05]])
    assert scores[0, 0] == ranker.prior_[0] == 1.0  # the rank it has on its one record


def test_metadata_ranker_accepts_records_and_ignores_their_values():
    # It ranks by metadata: records only name the models; missing ones change nothing.
    Y = pd.DataFrame([[NAN, 0.5], [0.9, NAN]], columns=["small", "big"])
    ranker = MetadataRanker(metadata={"small": 1.0, "big": 100.0}).fit(np.ones((2, 1)), Y)
    assert list(ranker.predict_rank(np.ones((1, 1)))[0]) == [2, 1]


@pytest.mark.parametrize("make", [PriorRanker, RidgeRanker, NearestTasksRanker])
def test_records_are_never_modified(make):
    Y = pd.DataFrame([[0.9, NAN], [0.5, 0.6], [NAN, 0.7]], columns=["a", "b"])
    before = Y.copy()
    make().fit(np.arange(3.0)[:, None], Y)
    pd.testing.assert_frame_equal(Y, before)  # NaN still NaN: nothing filled in place
