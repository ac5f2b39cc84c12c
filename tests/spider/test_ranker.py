"""SpiderRanker: fitting, prediction, reproducibility, options and bad input."""

import inspect
import pickle
import re
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from skspider.base import Task
from skspider.spider import SpiderRanker

FAST = {"d_model": 16, "max_iter": 50, "lr": 1e-2, "device": "cpu", "random_state": 0}


def test_learns_task_dependent_ranking(make_tasks):
    X, Y = make_tasks(40)
    ranker = SpiderRanker(**FAST).fit(X[:30], Y[:30])
    assert ranker.predict(X[30:]).shape == (10, 4)
    assert ranker.score(X[30:], Y[30:]) > 0.5
    ranks = ranker.predict_rank(X[30:])
    assert sorted(ranks[0]) == [1, 2, 3, 4]
    assert ranker.n_features_in_ == 5 and ranker.n_models_ == 4
    assert len(ranker.loss_curve_) == 25 and ranker.loss_curve_[-1] < ranker.loss_curve_[0]


def test_same_seed_is_bitwise_reproducible_and_global_rng_untouched(make_tasks):
    X, Y = make_tasks(20)
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()  # noqa: NPY002
    a = SpiderRanker(**FAST).fit(X, Y).predict(X)
    b = SpiderRanker(**FAST).fit(X, Y).predict(X)
    assert np.array_equal(a, b)
    assert torch.equal(torch_state, torch.get_rng_state())
    assert np.array_equal(np_state[1], np.random.get_state()[1])  # noqa: NPY002
    c = SpiderRanker(**{**FAST, "random_state": 1}).fit(X, Y).predict(X)
    assert not np.array_equal(a, c)


def test_dataframe_names_models_and_score_aligns_columns(make_tasks):
    X, Y = make_tasks(20, dataframe=True)
    ranker = SpiderRanker(**FAST).fit(X, Y)
    assert list(ranker.models_) == ["ptm0", "ptm1", "ptm2", "ptm3"]
    shuffled = Y[["ptm2", "ptm0", "ptm3", "ptm1"]]
    assert ranker.score(X, shuffled) == pytest.approx(ranker.score(X, Y))


def test_nan_targets_are_masked(make_tasks):
    X, Y = make_tasks(20)
    Y = Y.copy()
    Y[::2, 0] = np.nan
    ranker = SpiderRanker(**FAST).fit(X, Y)
    assert np.isfinite(ranker.predict(X)).all()
    assert np.isfinite(ranker.loss_curve_).all()


def test_accepts_tasks_and_2d_arrays(make_tasks):
    X, Y = make_tasks(12)
    tasks = [Task(y=np.arange(len(s)), tokens=s) for s in X]
    a = SpiderRanker(**FAST).fit(tasks, Y).predict(tasks)
    b = SpiderRanker(**FAST).fit(X, Y).predict(X)
    np.testing.assert_array_equal(a, b)
    flat = np.stack([s[0] for s in X])
    assert SpiderRanker(**FAST).fit(flat, Y).predict(flat).shape == (12, 4)


def test_trains_specific_projections_from_task_model_tokens(make_specific_tasks):
    tasks, Y = make_specific_tasks()
    ranker = SpiderRanker(**FAST, max_specific_tokens=4).fit(tasks, Y)
    assert ranker.specific_widths_ == {f"ptm{m}": 2 for m in range(4)}
    assert set(ranker.module_.specific_proj) == {"0", "1", "2", "3"}
    # Without model tokens: no projections.
    assert SpiderRanker(**FAST).fit([t.tokens for t in tasks], Y).specific_widths_ == {}


def test_early_stopping_keeps_best_epoch(make_tasks):
    X, Y = make_tasks(30)
    ranker = SpiderRanker(
        **{**FAST, "max_iter": 120}, early_stopping=True, n_iter_no_change=3, tol=0.0
    ).fit(X, Y)
    assert len(ranker.validation_scores_) == ranker.n_epochs_ < 60
    assert ranker.n_iter_ == 2 * ranker.n_epochs_ < 120  # 27 training tasks: 2 steps an epoch
    assert ranker.best_epoch_ == int(np.argmax(ranker.validation_scores_))
    with pytest.raises(ValueError, match="at least 2"):
        SpiderRanker(early_stopping=True).fit(X[:1], Y[:1])


def test_warm_start_continues_training(make_tasks):
    X, Y = make_tasks(20)
    ranker = SpiderRanker(**{**FAST, "max_iter": 10}, warm_start=True).fit(X, Y)
    module = ranker.module_
    ranker.fit(X, Y)
    assert ranker.module_ is module and len(ranker.loss_curve_) == 10
    cold = SpiderRanker(**{**FAST, "max_iter": 10}).fit(X, Y)
    cold_module = cold.module_
    cold.fit(X, Y)
    assert cold.module_ is not cold_module and len(cold.loss_curve_) == 5


def test_verbose_shows_a_bar_over_steps_on_stderr(capsys, make_tasks):
    pytest.importorskip("tqdm")
    X, Y = make_tasks(8)
    ranker = SpiderRanker(**{**FAST, "max_iter": 6}, verbose=1).fit(X, Y)
    out, err = capsys.readouterr()
    assert out == ""  # one stream: progress goes to stderr
    assert "SpiderRanker.fit" in err and "6/6" in err and "loss=" in err
    assert "train loss" not in err  # the epoch table is verbose=2
    # The bar is local to fit: the fitted ranker holds none, pickles and clones.
    assert not any("tqdm" in type(v).__module__ for v in vars(ranker).values())
    assert not any("bar" in k or "progress" in k for k in vars(ranker))
    loaded = pickle.loads(pickle.dumps(ranker))
    np.testing.assert_array_equal(loaded.predict(X), ranker.predict(X))
    assert clone(ranker).get_params()["verbose"] == 1
    ranker.add_models(X, np.column_stack([Y, Y[:, :1]]), max_iter=3)
    assert "SpiderRanker.add_models" in capsys.readouterr().err
    SpiderRanker(**{**FAST, "max_iter": 4}, verbose=1, early_stopping=True).fit(X, Y)
    assert "valid_tau_w=" in capsys.readouterr().err


def test_verbose_2_adds_the_epoch_table(capsys, make_tasks):
    X, Y = make_tasks(8)
    SpiderRanker(**{**FAST, "max_iter": 2}, verbose=2).fit(X, Y)
    err = capsys.readouterr().err
    rows = [
        line for line in err.splitlines() if re.fullmatch(r" +\d+ +\d+\.\d{4} +\d+\.\d\d", line)
    ]
    assert "train loss" in err and len(rows) == 2  # FAST's batches: one step per epoch


def test_verbose_without_tqdm_prints_plain_lines(capsys, monkeypatch, make_tasks):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    X, Y = make_tasks(8)
    quiet = SpiderRanker(**{**FAST, "max_iter": 10}).fit(X, Y)
    assert capsys.readouterr() == ("", "")
    loud = SpiderRanker(**{**FAST, "max_iter": 10}, verbose=1).fit(X, Y)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and len(lines) == 10  # a line at every 10% of the 10 steps
    assert lines[-1].startswith("[SpiderRanker.fit] 10/10 step (100%)") and "loss=" in lines[-1]
    np.testing.assert_array_equal(loud.predict(X), quiet.predict(X))  # the bar changes nothing


def test_clone_carries_no_weights(make_tasks):
    X, Y = make_tasks(8)
    ranker = SpiderRanker(**FAST).fit(X, Y)
    fresh = clone(ranker)
    assert not hasattr(fresh, "module_") and fresh.get_params() == ranker.get_params()


# -- bad input ---------------------------------------------------------------------------------
def test_ragged_token_widths_rejected(make_tasks):
    X, Y = make_tasks(4)
    X[2] = np.ones((3, 6))
    with pytest.raises(ValueError, match="mixes token widths"):
        SpiderRanker(**FAST).fit(X, Y)


def test_predict_with_other_width_rejected(make_tasks):
    X, Y = make_tasks(6)
    ranker = SpiderRanker(**FAST).fit(X, Y)
    with pytest.raises(ValueError, match="expecting 5 features"):
        ranker.predict([np.ones((2, 4))])


def test_y_columns_must_match_the_zoo(make_tasks):
    X, Y = make_tasks(6, dataframe=True)
    ranker = SpiderRanker(**FAST).fit(X, Y)
    with pytest.raises(ValueError, match="lacks columns"):
        ranker.score(X, Y.rename(columns={"ptm1": "other"}))
    with pytest.raises(ValueError, match="model columns"):
        ranker.score(X, Y.iloc[:, :3])
    with pytest.raises(ValueError, match="rows"):
        SpiderRanker(**FAST).fit(X, Y.iloc[:4])


def test_nan_rows_rejected(make_tasks):
    X, Y = make_tasks(6)
    Y[3] = np.nan
    with pytest.raises(ValueError, match="entirely NaN"):
        SpiderRanker(**FAST).fit(X, Y)


def test_bad_device(make_tasks):
    X, Y = make_tasks(4)
    with pytest.raises(ValueError, match="not a valid torch device"):
        SpiderRanker(device="gpu0").fit(X, Y)
    with pytest.raises(TypeError, match="device"):
        SpiderRanker(device=3).fit(X, Y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without CUDA")
def test_cuda_without_cuda_is_a_clear_error(make_tasks):
    X, Y = make_tasks(4)
    with pytest.raises(ValueError, match="CUDA is not available"):
        SpiderRanker(device="cuda").fit(X, Y)


def test_task_without_tokens_rejected(make_tasks):
    _, Y = make_tasks(2)
    with pytest.raises(ValueError, match="without tokens"):
        SpiderRanker(**FAST).fit([Task(y=np.arange(2)), Task(y=np.arange(2))], Y)


def test_specific_tokens_of_wrong_width_rejected(make_specific_tasks):
    tasks, Y = make_specific_tasks(6)
    bad = Task(y=np.arange(2), tokens=np.ones((2, 3)), model_tokens={"ptm0": np.ones((2, 5))})
    Y = pd.concat([Y, Y.iloc[:1]], ignore_index=True)
    with pytest.raises(ValueError, match="width 5"):
        SpiderRanker(**FAST, max_specific_tokens=4).fit([*tasks, bad], Y)


# -- divergence: never NaN scores ----------------------------------------------------------------
def test_diverged_training_is_a_clear_error(make_tasks):
    X, Y = make_tasks(20)
    message = r"diverged: the loss is nan at step \d+ \(epoch \d+, learning rate 9\.\d+e\+09\)"
    with pytest.raises(ValueError, match=message):
        SpiderRanker(**{**FAST, "lr": 1e10, "max_iter": 10}).fit(X, Y)


def test_tokens_beyond_float32_rejected(make_tasks):
    X, Y = make_tasks(6)
    X = [x * 1e39 for x in X]
    with pytest.raises(ValueError, match="overflow float32"):
        SpiderRanker(**FAST, standardize=False).fit(X, Y)
    # Standardised in float64 first, they are fine.
    assert np.isfinite(SpiderRanker(**{**FAST, "max_iter": 2}).fit(X, Y).predict(X)).all()


def test_predict_never_returns_non_finite_scores(make_tasks):
    X, Y = make_tasks(6)
    ranker = SpiderRanker(**{**FAST, "max_iter": 4}).fit(X, Y)
    huge = [np.full((2, 5), 1e38), X[0]]
    with pytest.raises(ValueError, match=r"non-finite scores on tasks \[0\]"):
        ranker.predict(huge)
    with pytest.raises(ValueError, match="non-finite"):
        ranker.predict_rank(huge)


# -- scikit-learn conventions ------------------------------------------------------------------
def test_constructor_is_keyword_only():
    with pytest.raises(TypeError):
        SpiderRanker(16)


def test_default_device_is_the_package_default():
    from skspider.zoo import extract_features

    assert SpiderRanker().device == "auto"
    assert inspect.signature(extract_features).parameters["device"].default == "auto"


def test_add_models_validates_its_parameters(make_tasks):
    from skspider._sklearn_compat import InvalidParameterError

    X, Y = make_tasks(8)
    ranker = SpiderRanker(**{**FAST, "max_iter": 2}).fit(X, Y)
    new = np.c_[Y, Y[:, 0]]
    for bad in ({"max_iter": -3}, {"max_iter": 0}, {"lr": -1.0}, {"init": "zeros"}):
        with pytest.raises(InvalidParameterError):
            ranker.add_models(X, new, **bad)


def test_skip_parameter_validation_is_honoured(make_tasks):
    from sklearn import config_context

    X, Y = make_tasks(8)
    # Invalid, but not checked when the user says so: the fit is routed through _fit_context.
    with config_context(skip_parameter_validation=True):
        SpiderRanker(**{**FAST, "max_iter": 2, "n_iter_no_change": 0}).fit(X, Y)


def test_cached_terms_follow_the_weights(make_tasks):
    X, Y = make_tasks(12)
    # shrinkage=1.0: the network's part counts in full (never shrunk to the prior alone).
    ranker = SpiderRanker(**{**FAST, "max_iter": 4}, warm_start=True, shrinkage=1.0).fit(X, Y)
    ranker.predict(X)  # fills the cache
    ranker.fit(X, Y)  # changes the weights in place (warm start)

    def direct(ranker):
        module = ranker.module_.eval()
        sets = ranker._scale(X)
        with torch.no_grad():
            network = np.concatenate(
                [
                    module(
                        torch.tensor(x[None], dtype=torch.float32),
                        torch.ones(1, len(x), dtype=torch.bool),
                    )
                    .double()
                    .numpy()
                    for x in sets
                ]
            )
        return ranker.prior_ + ranker.shrinkage_ * network

    np.testing.assert_allclose(ranker.predict(X), direct(ranker), rtol=1e-5, atol=1e-6)
    ranker.add_models(X, np.c_[Y, Y[:, 0]], max_iter=4)
    np.testing.assert_allclose(ranker.predict(X), direct(ranker), rtol=1e-5, atol=1e-6)


# -- training measured in steps --------------------------------------------------------------
def test_max_iter_counts_optimiser_steps_whatever_the_number_of_tasks(make_tasks):
    X, Y = make_tasks(40)
    for n_tasks, epochs in ((8, 12), (40, 4)):  # batches of 16: 1 step an epoch, then 3
        ranker = SpiderRanker(**{**FAST, "max_iter": 12}).fit(X[:n_tasks], Y[:n_tasks])
        assert ranker.n_iter_ == 12 and ranker.n_epochs_ == epochs
        assert len(ranker.loss_curve_) == epochs


def test_cosine_schedule_runs_over_steps():
    from skspider.spider._training import cosine_schedule

    lr_at = cosine_schedule(1e-2, 1e-4, 100)
    assert lr_at(0) == pytest.approx(1e-2) and lr_at(100) == pytest.approx(1e-4)
    assert lr_at(50) == pytest.approx((1e-2 + 1e-4) / 2)


def test_paper_params_are_valid_parameters():
    params = SpiderRanker.paper_params()
    ranker = SpiderRanker(**params)
    assert ranker.get_params()["max_iter"] == 1560 and ranker.d_model == 1024
    assert not ranker.standardize and ranker.lr == 2.5e-4
    ranker._validate_params()


def test_standardize_learns_the_token_scale_in_fit(make_tasks):
    X, Y = make_tasks(20)
    scaled = [1e-3 * x + 5.0 for x in X]
    a = SpiderRanker(**FAST).fit(X, Y)
    b = SpiderRanker(**FAST).fit(scaled, Y)
    # The same tokens up to an affine map: the same network input after standardisation.
    np.testing.assert_allclose(b.token_scale_, 1e-3 * a.token_scale_, rtol=1e-8)
    np.testing.assert_allclose(a.predict(X), b.predict(scaled), rtol=1e-3, atol=1e-3)
    raw = SpiderRanker(**FAST, standardize=False).fit(X, Y)
    assert raw.token_mean_ is None and raw.token_scale_ is None


# -- PTM-specific tokens: loaded once, keys checked, verbose ---------------------------------
def test_lazy_specific_tokens_are_loaded_once_per_fit(make_specific_tasks):
    tasks, Y = make_specific_tasks(8)
    calls = []

    def loader(value):
        def load():
            calls.append(1)
            return value

        return load

    lazy = [
        Task(y=t.y, tokens=t.tokens, model_tokens={m: loader(v) for m, v in t.model_tokens.items()})
        for t in tasks
    ]
    ranker = SpiderRanker(**{**FAST, "max_iter": 20}, max_specific_tokens=4).fit(lazy, Y)
    n_tokens = sum(len(t.model_tokens) for t in tasks)
    assert len(calls) == n_tokens  # once each, not at every one of the 20 steps' draws
    eager = SpiderRanker(**{**FAST, "max_iter": 20}, max_specific_tokens=4).fit(tasks, Y)
    np.testing.assert_array_equal(ranker.predict(tasks), eager.predict(tasks))


def test_model_tokens_keys_must_name_models(make_specific_tasks):
    tasks, Y = make_specific_tasks(6)
    # Plain-array Y names its models 0..3: the keys "ptm0".. match nothing.
    with pytest.raises(ValueError, match=r"model_tokens has keys \['ptm0'"):
        SpiderRanker(**FAST).fit(tasks, Y.to_numpy())
    typo = Task(y=np.arange(2), tokens=tasks[0].tokens, model_tokens={"ptm_0": np.ones((2, 2))})
    with pytest.raises(ValueError, match=r"X\[6\]\.model_tokens has keys \['ptm_0'\]"):
        SpiderRanker(**FAST).fit([*tasks, typo], pd.concat([Y, Y.iloc[:1]], ignore_index=True))


def test_verbose_without_early_stopping_has_no_validation_column(capsys, make_tasks):
    X, Y = make_tasks(8)
    SpiderRanker(**{**FAST, "max_iter": 2}, verbose=2).fit(X, Y)
    err = capsys.readouterr().err
    assert "valid" not in err and "nan" not in err.lower()
    SpiderRanker(**{**FAST, "max_iter": 4}, verbose=2, early_stopping=True).fit(X, Y)
    err = capsys.readouterr().err
    assert "valid tau_w" in err and "nan" not in err.lower()


def test_tasks_mixed_with_arrays_do_not_drop_their_model_tokens():
    """A list mixing Tasks that carry PTM-specific tokens with plain token arrays used to
    train without those tokens (specific_widths_ == {}) and say nothing."""
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(4, 3))
    tokens = [rng.normal(size=(3, 2)) for _ in range(4)]
    with_specific = Task(
        y=np.arange(3), tokens=tokens[0], model_tokens={m: rng.normal(size=(3, 2)) for m in "012"}
    )
    mixed = [with_specific, *tokens[1:]]
    with pytest.raises(ValueError, match="mixes Task objects"):
        SpiderRanker(max_iter=2, random_state=0).fit(mixed, Y)
    # All Tasks: the specific tokens are used.
    tasks = [with_specific] + [Task(y=np.arange(3), tokens=t) for t in tokens[1:]]
    assert SpiderRanker(max_iter=2, random_state=0).fit(tasks, Y).specific_widths_
