import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import ndcg_score

from skspider._sklearn_compat import InvalidParameterError
from skspider.metrics import (
    mean_ndcg,
    mean_pearson,
    mean_weighted_tau,
    rank_scores,
    top_k_regret,
    weighted_tau,
)

RNG = np.random.default_rng(0)
TRUTH = RNG.normal(size=(5, 8))
SCORE = TRUTH + RNG.normal(scale=0.8, size=(5, 8))


def test_weighted_tau_paper_is_scipy_rank_none():
    for t, s in zip(TRUTH, SCORE, strict=True):
        expected = stats.weightedtau(t, s, rank=None).statistic
        assert weighted_tau(t, s) == pytest.approx(expected, rel=1e-12)


def test_weighted_tau_symmetric_is_scipy_default():
    for t, s in zip(TRUTH, SCORE, strict=True):
        expected = stats.weightedtau(t, s).statistic
        assert weighted_tau(t, s, convention="symmetric") == pytest.approx(expected, rel=1e-12)


def test_paper_convention_weights_follow_the_truth():
    # Swapping arguments changes the paper's value: the truth decides the weights.
    t, s = TRUTH[0], SCORE[0]
    assert weighted_tau(t, s) != pytest.approx(weighted_tau(s, t))
    assert weighted_tau(t, s, convention="symmetric") == pytest.approx(
        weighted_tau(s, t, convention="symmetric")
    )


def test_mistakes_at_the_top_cost_more():
    truth = np.arange(6, 0, -1.0)  # model 0 best
    swap_top = np.array([5, 6, 4, 3, 2, 1.0])
    swap_bottom = np.array([6, 5, 4, 3, 1, 2.0])
    assert weighted_tau(truth, swap_top) < weighted_tau(truth, swap_bottom) < 1.0


def test_ties_in_truth_are_handled_like_scipy():
    t = np.array([1.0, 1.0, 2.0, 3.0, 3.0])
    s = np.array([0.1, 0.3, 0.2, 0.5, 0.4])
    assert weighted_tau(t, s) == pytest.approx(stats.weightedtau(t, s, rank=None).statistic)


@pytest.mark.parametrize("constant", ["y_true", "y_score"])
def test_constant_ranking_gives_zero_division_value(constant):
    t, s = np.array([1.0, 2.0, 3.0]), np.array([3.0, 1.0, 2.0])
    if constant == "y_true":
        t = np.ones(3)
    else:
        s = np.ones(3)
    assert weighted_tau(t, s) == 0.0
    assert np.isnan(weighted_tau(t, s, zero_division=np.nan))
    with pytest.raises(ValueError, match="undefined"):
        weighted_tau(t, s, zero_division="raise")
    with pytest.raises(ValueError, match="zero_division"):
        weighted_tau(t, s, zero_division="warn")


def test_nan_policy():
    t = np.array([1.0, np.nan, 3.0, 2.0])
    s = np.array([1.0, 9.0, 3.0, 2.0])
    with pytest.raises(ValueError, match="nan_policy='omit'"):
        weighted_tau(t, s)
    assert weighted_tau(t, s, nan_policy="omit") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="y_score contains NaN"):
        weighted_tau(s, t)
    # one known model: nothing to order, tau is undefined (zero_division)
    assert weighted_tau([1.0, np.nan, np.nan], [1.0, 2.0, 3.0], nan_policy="omit") == 0.0
    with pytest.raises(ValueError, match="fewer than 2"):
        weighted_tau([1.0, np.nan], [1.0, 2.0], nan_policy="omit", zero_division="raise")
    with pytest.raises(ValueError, match="nan_policy"):
        weighted_tau(t, s, nan_policy="ignore")


@pytest.mark.parametrize(
    ("y_true", "y_score", "match"),
    [
        ([1.0, 2.0, 3.0], [1.0, 2.0], "same shape"),
        ([], [], "at least 1"),
        ([1.0, np.inf], [1.0, 2.0], "infinity"),
        ([[1.0, 2.0]], [[1.0, 2.0]], "1-D"),
        (["a", "b"], [1.0, 2.0], "numeric"),
    ],
)
def test_weighted_tau_bad_input(y_true, y_score, match):
    with pytest.raises((ValueError, TypeError), match=match):
        weighted_tau(y_true, y_score)


def test_bad_convention():
    with pytest.raises(ValueError, match="convention"):
        weighted_tau([1, 2], [1, 2], convention="vigna")


def test_mean_weighted_tau_rows_and_dataframes():
    per_task = mean_weighted_tau(TRUTH, SCORE, return_per_task=True)
    assert per_task.shape == (5,)
    expected = [weighted_tau(t, s) for t, s in zip(TRUTH, SCORE, strict=True)]
    np.testing.assert_allclose(per_task, expected)
    assert mean_weighted_tau(TRUTH, SCORE) == pytest.approx(np.mean(expected))
    frame = pd.DataFrame(TRUTH, columns=[f"m{i}" for i in range(8)])
    assert mean_weighted_tau(frame, SCORE) == pytest.approx(np.mean(expected))


@pytest.mark.parametrize(
    ("Y_true", "Y_score", "match"),
    [
        (np.ones((2, 3)), np.ones((3, 3)), "same shape"),
        (np.ones((0, 3)), np.ones((0, 3)), "no tasks"),
        (np.ones((2, 3)), np.ones((2, 3)), "sample_weight"),
        (np.ones(3), np.ones(3), "2-D"),
        (np.full((2, 3), np.nan), np.ones((2, 3)), "entirely NaN"),
    ],
)
def test_mean_weighted_tau_bad_input(Y_true, Y_score, match):
    with pytest.raises(ValueError, match=match):
        mean_weighted_tau(Y_true, Y_score, sample_weight=[1.0, -1.0])


def test_inputs_are_not_modified():
    t, s = TRUTH.copy(), SCORE.copy()
    t[0, 0] = np.nan
    t_before, s_before = t.copy(), s.copy()
    mean_weighted_tau(t, s, nan_policy="omit")
    top_k_regret(t, s, k=2, nan_policy="omit")
    np.testing.assert_array_equal(t, t_before)
    np.testing.assert_array_equal(s, s_before)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-100, 100), min_size=3, max_size=12, unique=True),
    st.randoms(use_true_random=False),
)
def test_weighted_tau_invariant_to_model_order(values, rnd):
    t = np.array(values)
    s = t + np.array([rnd.uniform(-50, 50) for _ in values])
    perm = np.array(rnd.sample(range(len(values)), len(values)))
    assert weighted_tau(t, s) == pytest.approx(weighted_tau(t[perm], s[perm]), abs=1e-12)
    assert weighted_tau(t, t) == pytest.approx(1.0)
    assert -1.0 - 1e-12 <= weighted_tau(t, s) <= 1.0 + 1e-12


def test_top_k_regret():
    Y = np.array([[90.0, 80.0, 85.0], [70.0, 75.0, 60.0]])
    S = np.array([[0.1, 0.9, 0.5], [0.2, 0.9, 0.1]])
    np.testing.assert_allclose(top_k_regret(Y, S, 1, return_per_task=True), [10.0, 0.0])
    np.testing.assert_allclose(top_k_regret(Y, S, 2, return_per_task=True), [5.0, 0.0])
    assert top_k_regret(Y, S, k=3) == 0.0
    # ties in the prediction: the first column wins, deterministically
    assert top_k_regret([[1.0, 2.0]], [[0.5, 0.5]], k=1) == 1.0
    # unknown models are left out with nan_policy="omit"
    assert top_k_regret([[np.nan, 2.0, 1.0]], [[9.0, 0.0, 1.0]], k=1, nan_policy="omit") == 1.0


@pytest.mark.parametrize("k", [0, -1, 1.5, True, 4])
def test_top_k_regret_bad_k(k):
    with pytest.raises(ValueError, match="k"):
        top_k_regret(np.ones((1, 3)), np.ones((1, 3)), k=k)


def test_mean_pearson():
    expected = [np.corrcoef(t, s)[0, 1] for t, s in zip(TRUTH, SCORE, strict=True)]
    assert mean_pearson(TRUTH, SCORE) == pytest.approx(np.mean(expected))
    assert mean_pearson([[1.0, 2.0, 3.0]], [[1.0, 1.0, 1.0]]) == 0.0


def test_mean_ndcg_matches_sklearn():
    Y = np.abs(TRUTH)
    ours = mean_ndcg(Y, SCORE, return_per_task=True)
    np.testing.assert_allclose(ours, [ndcg_score([t], [s]) for t, s in zip(Y, SCORE, strict=True)])
    ours_k = mean_ndcg(Y, SCORE, k=3, return_per_task=True)
    np.testing.assert_allclose(
        ours_k, [ndcg_score([t], [s], k=3) for t, s in zip(Y, SCORE, strict=True)]
    )
    ties = np.array([[0.5, 0.5, 0.1, 0.9]])
    assert mean_ndcg(Y[:1, :4], ties) == pytest.approx(ndcg_score(Y[:1, :4], ties))


def test_mean_ndcg_gains():
    with pytest.raises(ValueError, match="gains='rank'"):
        mean_ndcg(TRUTH, SCORE)
    assert mean_ndcg(TRUTH, TRUTH, gains="rank") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="gains"):
        mean_ndcg(TRUTH, SCORE, gains="exp")


# -- pandas labels ------------------------------------------------------------------------
TRUTH_ABC = pd.DataFrame({"a": [0.9], "b": [0.5], "c": [0.1]})
# The same numbers as the truth, under reversed model names: by name, the order is reversed.
SCORE_CBA = pd.DataFrame([[0.9, 0.5, 0.1]], columns=["c", "b", "a"])


def test_dataframes_are_matched_by_model_name():
    # Regression (issue 9): positions were compared, giving tau 1.0 and regret 0.0.
    assert mean_weighted_tau(TRUTH_ABC, SCORE_CBA) == pytest.approx(-1.0)
    assert top_k_regret(TRUTH_ABC, SCORE_CBA, k=1) == pytest.approx(0.8)
    assert mean_pearson(TRUTH_ABC, SCORE_CBA) == pytest.approx(-1.0)
    assert mean_ndcg(TRUTH_ABC, SCORE_CBA) < 1.0
    # Reordering one side's columns changes nothing.
    for metric in (mean_weighted_tau, top_k_regret, mean_pearson, mean_ndcg):
        shuffled = SCORE[:, [2, 0, 1, 3, 4, 5, 6, 7]]
        names = [f"m{i}" for i in range(8)]
        frame_t = pd.DataFrame(np.abs(TRUTH), columns=names)
        frame_s = pd.DataFrame(shuffled, columns=[names[i] for i in [2, 0, 1, 3, 4, 5, 6, 7]])
        assert metric(frame_t, frame_s) == pytest.approx(metric(np.abs(TRUTH), SCORE))


def test_dataframes_are_matched_by_task_index():
    names = [f"m{i}" for i in range(8)]
    truth = pd.DataFrame(TRUTH, columns=names, index=[f"t{i}" for i in range(5)])
    score = pd.DataFrame(SCORE, columns=names, index=truth.index)
    per_task = mean_weighted_tau(truth, score.iloc[::-1], return_per_task=True)
    np.testing.assert_allclose(per_task, mean_weighted_tau(TRUTH, SCORE, return_per_task=True))
    with pytest.raises(ValueError, match=r"different task \(index\)s.*only in y_score: \['x'\]"):
        mean_weighted_tau(truth, score.rename(index={"t0": "x"}))


def test_series_are_matched_by_model_name():
    truth = pd.Series(TRUTH_ABC.iloc[0])
    score = pd.Series(SCORE_CBA.iloc[0])
    assert weighted_tau(truth, score) == pytest.approx(-1.0)
    assert weighted_tau(truth.to_numpy(), score.to_numpy()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "metric", [mean_weighted_tau, top_k_regret, mean_pearson, mean_ndcg], ids=lambda f: f.__name__
)
def test_different_model_labels_raise(metric):
    with pytest.raises(ValueError, match=r"only in y_true: \['c'\]; only in y_score: \['z'\]"):
        metric(TRUTH_ABC, SCORE_CBA.rename(columns={"c": "z"}))
    with pytest.raises(ValueError, match="different model"):
        metric(TRUTH_ABC, SCORE_CBA[["c", "b"]])
    with pytest.raises(ValueError, match=r"duplicate model \(column\) labels \['a'\]"):
        metric(TRUTH_ABC, pd.DataFrame([[1.0, 2.0, 3.0]], columns=["a", "a", "b"]))


def test_mixed_array_and_dataframe_match_by_position():
    # The documented rule: with a plain array on either side, entries match by position.
    values = SCORE_CBA.to_numpy()
    assert mean_weighted_tau(TRUTH_ABC, values) == pytest.approx(1.0)
    assert mean_weighted_tau(TRUTH_ABC.to_numpy(), SCORE_CBA) == pytest.approx(1.0)
    assert top_k_regret(TRUTH_ABC, values) == 0.0
    # labels are not required to be strings, nor the index to be a RangeIndex
    ints = pd.DataFrame([[1.0, 2.0, 3.0]], columns=[10, 20, 30], index=[7])
    assert mean_weighted_tau(ints, ints[[30, 10, 20]]) == pytest.approx(1.0)


# -- tasks with fewer than two known models -----------------------------------------------
def test_tasks_with_one_known_model_are_left_out():
    Y = np.array([[1.0, 2.0, 3.0], [np.nan, 5.0, np.nan], [3.0, 2.0, 1.0]])
    S = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    per_task = mean_weighted_tau(Y, S, nan_policy="omit", return_per_task=True)
    np.testing.assert_allclose(per_task, [1.0, np.nan, -1.0])
    assert mean_weighted_tau(Y, S, nan_policy="omit") == pytest.approx(0.0)
    assert mean_weighted_tau(Y, S, nan_policy="omit", sample_weight=[3, 100, 1]) == 0.5
    assert mean_pearson(Y, S, nan_policy="omit") == pytest.approx(0.0)
    assert (
        mean_ndcg(Y, S, nan_policy="omit", return_per_task=True)[1]
        != mean_ndcg(Y, S, nan_policy="omit", return_per_task=True)[1]
    )  # NaN
    # regret is defined on one model: 0
    np.testing.assert_allclose(
        top_k_regret(Y, S, nan_policy="omit", return_per_task=True), [0.0, 0.0, 2.0]
    )


def test_no_task_with_two_known_models():
    Y, S = np.ones((3, 1)), np.arange(3.0).reshape(3, 1)  # a one-model zoo
    assert mean_weighted_tau(Y, S) == 0.0
    assert mean_pearson(Y, S, zero_division=-1.0) == -1.0
    with pytest.raises(ValueError, match="no task has two models of known performance"):
        mean_weighted_tau(Y, S, zero_division="raise")
    with pytest.raises(ValueError, match="no task has two models"):
        mean_ndcg(Y, S)
    assert top_k_regret(Y, S) == 0.0


def test_sample_weight():
    w = np.array([1.0, 0.0, 2.0, 0.0, 1.0])
    for metric in (mean_weighted_tau, mean_pearson, mean_ndcg, top_k_regret):
        kwargs = {"gains": "rank"} if metric is mean_ndcg else {}
        per_task = metric(TRUTH, SCORE, return_per_task=True, **kwargs)
        expected = np.average(per_task, weights=w)
        assert metric(TRUTH, SCORE, sample_weight=w, **kwargs) == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"shape \(5,\)"):
        mean_weighted_tau(TRUTH, SCORE, sample_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="zero on every task"):
        mean_weighted_tau(TRUTH, SCORE, sample_weight=np.zeros(5))


# -- parameter validation -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mean_weighted_tau(TRUTH, SCORE, return_per_task="yes"), "return_per_task"),
        (lambda: mean_weighted_tau(TRUTH, SCORE, convention="vigna"), "convention"),
        (lambda: mean_pearson(TRUTH, SCORE, nan_policy="drop"), "nan_policy"),
        (lambda: mean_ndcg(TRUTH, SCORE, k=0), "'k' parameter"),
        (lambda: top_k_regret(TRUTH, SCORE, k=2.0), "'k' parameter"),
        (lambda: weighted_tau(TRUTH[0], SCORE[0], zero_division="warn"), "zero_division"),
        (lambda: mean_weighted_tau(None, SCORE), "'Y_true' parameter"),
        (lambda: rank_scores(3.0), "'Y_score' parameter"),
    ],
)
def test_validate_params(call, match):
    with pytest.raises(InvalidParameterError, match=match):
        call()


# -- ranks from scores --------------------------------------------------------------------
def test_rank_scores():
    S = np.array([[0.2, 0.9, 0.5, 0.9], [1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_array_equal(rank_scores(S), [[4, 1, 3, 1], [4, 3, 2, 1]])
    assert rank_scores(S).dtype == np.int64
    np.testing.assert_array_equal(rank_scores(pd.DataFrame(S)), rank_scores(S))
    np.testing.assert_array_equal(rank_scores(pd.Series(S[1])), [4, 3, 2, 1])
    with pytest.raises(ValueError, match="NaN"):
        rank_scores([[1.0, np.nan]])
    with pytest.raises(ValueError, match="infinity"):
        rank_scores([[1.0, np.inf]])


def test_rank_scores_nan_policy():
    # An unscored model (NaN) is an error by default, and ranks after every scored model
    # with nan_policy="last"; NaN models share that rank.
    with pytest.raises(ValueError, match="NaN"):
        rank_scores([[0.2, np.nan, 0.5]])
    np.testing.assert_array_equal(
        rank_scores([[0.2, np.nan, 0.5, np.nan], [1.0, 2.0, 3.0, 0.0]], nan_policy="last"),
        [[2, 3, 1, 3], [3, 2, 1, 4]],
    )
