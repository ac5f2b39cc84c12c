"""RankingDisplay: the drawn bars are the scores and the truth, in the predicted order."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from skspider.metrics import weighted_tau
from skspider.plotting import RankingDisplay


def _widths(bars):
    return [b.get_width() for b in bars.patches]


def test_bars_follow_scores_with_truth_beside():
    scores = np.array([0.1, 0.7, 0.4, 0.9])
    truth = np.array([0.50, 0.60, 0.70, 0.65])
    disp = RankingDisplay.from_predictions(scores, truth, models=["a", "b", "c", "d"])
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["d", "b", "c", "a"]
    np.testing.assert_allclose(_widths(disp.bars_), [0.9, 0.7, 0.4, 0.1])
    np.testing.assert_allclose(_widths(disp.truth_bars_), [0.65, 0.60, 0.70, 0.50])
    # The truly best PTM ("c", third bar) is highlighted, the others are not.
    colors = [tuple(b.get_facecolor()) for b in disp.truth_bars_.patches]
    assert colors[2] != colors[0] and colors[0] == colors[1] == colors[3]
    assert disp.tau_w_ == pytest.approx(weighted_tau(truth, scores))
    assert disp.ax_.get_title() == f"tau_w = {disp.tau_w_:.3f}"
    assert disp.truth_ax_.get_title() == "true best: c"
    # Best at the top: the first bar is drawn at the top of an inverted axis.
    assert disp.ax_.get_ylim()[0] > disp.ax_.get_ylim()[1]
    assert disp.figure_ is disp.ax_.figure


def test_pandas_labels_name_the_models_and_2d_rows():
    scores = pd.DataFrame([[1.0, 3.0, 2.0], [3.0, 2.0, 1.0]], columns=["x", "y", "z"])
    disp = RankingDisplay.from_predictions(scores, task=1)
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["x", "y", "z"]
    assert disp.truth_ax_ is None and disp.tau_w_ is None
    series = pd.Series([0.2, 0.8], index=["p", "q"])
    disp = RankingDisplay.from_predictions(series)
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["q", "p"]


def test_top_draws_only_the_best_but_tau_uses_all():
    scores, truth = np.arange(6.0), np.array([5.0, 4, 3, 2, 1, 0])
    disp = RankingDisplay.from_predictions(scores, truth, top=2)
    np.testing.assert_allclose(_widths(disp.bars_), [5.0, 4.0])
    assert disp.tau_w_ == pytest.approx(-1.0)


def test_unknown_truth_draws_no_bar_and_is_left_out_of_tau():
    disp = RankingDisplay.from_predictions([3.0, 2.0, 1.0], [np.nan, 0.9, 0.5])
    assert np.isnan(_widths(disp.truth_bars_)[0])
    assert disp.tau_w_ == pytest.approx(1.0)


def test_user_axes_are_used():
    fig, (a, b) = plt.subplots(1, 2)
    disp = RankingDisplay([1.0, 2.0], truth=[0.1, 0.2]).plot(ax=(a, b))
    assert disp.ax_ is a and disp.truth_ax_ is b and disp.figure_ is fig
    with pytest.raises(ValueError, match="pair of Axes"):
        RankingDisplay([1.0, 2.0], truth=[0.1, 0.2]).plot(ax=a)
    with pytest.raises(ValueError, match="one Axes"):
        RankingDisplay([1.0, 2.0]).plot(ax=(a, b))


def test_from_estimator_reads_models_and_predict():
    class Ranker:
        models_ = np.array(["m0", "m1", "m2"], dtype=object)

        def predict(self, X):
            return np.asarray(X, dtype=float)

    disp = RankingDisplay.from_estimator(Ranker(), [[0.0, 2.0, 1.0]], [0.3, 0.9, 0.4])
    assert [t.get_text() for t in disp.ax_.get_yticklabels()] == ["m1", "m2", "m0"]
    assert disp.ax_.get_xlabel() == "Ranker"
    assert disp.tau_w_ == pytest.approx(1.0)


def test_labelled_truth_is_matched_to_the_models_by_name():
    # Before: the truth was read by position, so a truth with its columns in another order
    # drew each PTM's bar beside another PTM's truth and gave tau_w -1 instead of 1.
    scores = pd.DataFrame([[1.0, 2.0, 3.0]], columns=["a", "b", "c"])
    truth = pd.DataFrame([[0.3, 0.2, 0.1]], columns=["c", "b", "a"])
    disp = RankingDisplay.from_predictions(scores, truth)
    assert disp.tau_w_ == pytest.approx(1.0)
    np.testing.assert_allclose(_widths(disp.truth_bars_), [0.3, 0.2, 0.1])  # c, b, a
    series = RankingDisplay.from_predictions(scores.iloc[0], truth.iloc[0])
    assert series.tau_w_ == pytest.approx(1.0)

    class Ranker:
        models_ = np.array(["a", "b", "c"], dtype=object)

        def predict(self, X):
            return np.asarray(X, dtype=float)

    disp = RankingDisplay.from_estimator(Ranker(), [[1.0, 2.0, 3.0]], truth)
    assert disp.tau_w_ == pytest.approx(1.0)
    with pytest.raises(ValueError, match="label different models"):
        RankingDisplay.from_estimator(Ranker(), [[1.0, 2.0, 3.0]], truth.rename(columns=str.upper))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scores": [1.0, np.nan]}, "NaN"),
        ({"scores": [1.0, 2.0], "truth": [1.0]}, "truth has 1 values"),
        ({"scores": [1.0, 2.0], "models": ["a", "a"]}, "duplicates"),
        ({"scores": [1.0, 2.0], "models": ["a"]}, "models has 1 entries"),
        ({"scores": [[1.0, 2.0]]}, "1-D"),
    ],
)
def test_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RankingDisplay(**kwargs).plot()


def test_bad_top():
    with pytest.raises(ValueError, match="top must be"):
        RankingDisplay([1.0, 2.0]).plot(top=0)
