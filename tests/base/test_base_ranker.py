"""BaseRanker's own contract: ``score`` and ``predict_rank``, on a minimal ranker."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold, cross_val_score
from sklearn.utils.validation import check_is_fitted

from skspider.base import BaseRanker
from skspider.metrics import mean_weighted_tau, rank_scores


class LinearRanker(BaseRanker):
    """Scores = first token feature times a fixed vector learnt as the column means of Y."""

    def fit(self, X, y):
        tasks = self._validate_tasks(X)
        Y = self._validate_targets(y)
        self._check_n_tasks(tasks, Y)
        self.coef_ = np.nanmean(Y, axis=0)
        return self

    def predict(self, X):
        check_is_fitted(self)
        tasks = self._validate_tasks(X, reset=False)
        return np.array([t[0, 0] * self.coef_ for t in tasks])


RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 2))
Y = RNG.normal(size=(8, 4)) + np.arange(4)


def test_score_leaves_out_tasks_with_one_known_model():
    # Regression (issue 9): score raised on a task with one known model, which fit accepts.
    Y_gap = Y.copy()
    Y_gap[2, 1:] = np.nan
    ranker = LinearRanker().fit(X, Y_gap)
    keep = np.arange(8) != 2
    expected = mean_weighted_tau(Y_gap[keep], ranker.predict(X[keep]), nan_policy="omit")
    assert ranker.score(X, Y_gap) == pytest.approx(expected)
    weights = np.arange(1.0, 9.0)
    expected = mean_weighted_tau(
        Y_gap[keep], ranker.predict(X[keep]), nan_policy="omit", sample_weight=weights[keep]
    )
    assert ranker.score(X, Y_gap, sample_weight=weights) == pytest.approx(expected)


def test_score_of_a_one_model_zoo_is_uninformative():
    ranker = LinearRanker().fit(X, Y[:, :1])
    assert ranker.score(X, Y[:, :1]) == 0.0


def test_cross_validation_with_a_fold_of_single_model_tasks():
    Y_gap = Y.copy()
    Y_gap[:2, 1:] = np.nan  # the first fold holds only tasks with one known model
    scores = cross_val_score(LinearRanker(), X, Y_gap, cv=KFold(4), error_score="raise")
    assert np.isfinite(scores).all() and scores[0] == 0.0


def test_score_aligns_dataframe_columns_to_models():
    frame = pd.DataFrame(Y, columns=["a", "b", "c", "d"])
    ranker = LinearRanker().fit(X, frame)
    assert ranker.score(X, frame[["d", "b", "a", "c"]]) == pytest.approx(ranker.score(X, frame))


def test_predict_rank_is_rank_scores_of_predict():
    ranker = LinearRanker().fit(X, Y)
    ranks = ranker.predict_rank(X)
    np.testing.assert_array_equal(ranks, rank_scores(ranker.predict(X)))
    assert ranks.dtype == np.int64 and ranks.min() == 1
