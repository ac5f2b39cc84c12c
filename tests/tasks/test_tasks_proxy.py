"""proxy_ranks and aggregate_scores, with small real estimators defined for the tests."""

import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from proxy_estimators import FisherRatio, Fragile, NegConditionalEntropy, RelativeSeparation
from scipy.special import softmax
from sklearn.exceptions import FitFailedWarning

from skspider.base import Task
from skspider.tasks import aggregate_scores, proxy_ranks


def make_task(seed, name=None, n_models=4, with_probas=True, n=60, n_classes=3):
    """Models m0..m{k}: larger index = more separable features (a known true order)."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n // n_classes)
    onehot = np.eye(n_classes)[y]
    feats, probas = {}, {}
    for m in range(n_models):
        feats[f"m{m}"] = rng.normal(size=(n, 5)) + (m + 0.5) * 0.8 * np.pad(
            onehot, ((0, 0), (0, 2))
        )
        if with_probas:
            logits = rng.normal(size=(n, 6)) + 1.2 * m * np.pad(onehot, ((0, 0), (0, 3)))
            probas[f"m{m}"] = softmax(logits, axis=1)
    return Task(y=y, name=name, model_features=feats, model_probas=probas or None)


@pytest.fixture
def tasks():
    return [make_task(s, name=f"t{s}") for s in range(4)]


def test_ranks_recover_the_known_order(tasks):
    ranks = proxy_ranks(tasks, [FisherRatio(), NegConditionalEntropy()])
    assert isinstance(ranks, pd.DataFrame)
    assert list(ranks.index) == ["t0", "t1", "t2", "t3"]
    assert list(ranks.columns) == ["m0", "m1", "m2", "m3"]
    assert ranks.dtypes.eq(np.int64).all()
    np.testing.assert_array_equal(ranks.to_numpy(), np.tile(np.arange(4), (4, 1)))


def test_raw_scores_and_aggregation_by_hand(tasks):
    ranks, raw = proxy_ranks(
        tasks,
        {"fisher": FisherRatio(), "nce": NegConditionalEntropy()},
        weights={"fisher": 2.0, "nce": 1.0},
        output="score",
        return_scores=True,
    )
    assert set(raw) == {"fisher", "nce"}
    fisher = FisherRatio().score(tasks[1].get_model_features("m2"), tasks[1].y)
    assert raw["fisher"].loc["t1", "m2"] == pytest.approx(fisher, rel=1e-12)
    S = np.stack([raw["fisher"].to_numpy(), raw["nce"].to_numpy()])
    expected = aggregate_scores(S, weights=[2, 1], output="score")
    np.testing.assert_allclose(ranks.to_numpy(), expected)
    # Borda by hand on task 0: rank-normalise each row, weighted mean.
    r = [(pd.Series(raw[k].loc["t0"]).rank().to_numpy() - 1) / 3 for k in ("fisher", "nce")]
    np.testing.assert_allclose(ranks.loc["t0"].to_numpy(), (2 * r[0] + r[1]) / 3)


def test_missing_probas_use_the_remaining_estimators():
    task = make_task(0, name="t")
    probas = dict(task.model_probas)
    del probas["m3"]
    partial = Task(y=task.y, name="t", model_features=task.model_features, model_probas=probas)
    ranks, raw = proxy_ranks(
        [partial], [FisherRatio(), NegConditionalEntropy()], return_scores=True
    )
    assert np.isnan(raw["NegConditionalEntropy"].loc["t", "m3"])
    assert ranks.loc["t", "m3"] == 3  # scored by FisherRatio alone, still the best


def test_a_model_no_estimator_can_score_is_nan():
    task = make_task(0, name="t", with_probas=False)
    feats = dict(task.model_features)
    del feats["m1"]
    other = make_task(1, name="u")
    t = Task(y=task.y, name="t", model_features=feats)
    ranks = proxy_ranks([t, other], [FisherRatio()])
    assert ranks.dtypes.eq(np.float64).all()
    assert np.isnan(ranks.loc["t", "m1"])
    assert ranks.loc["t"].dropna().tolist() == [0, 1, 2]


def test_models_select_and_order_columns(tasks):
    ranks = proxy_ranks(tasks, [FisherRatio()], models=["m3", "m0"])
    assert list(ranks.columns) == ["m3", "m0"]
    assert (ranks["m3"] == 1).all() and (ranks["m0"] == 0).all()
    with pytest.raises(ValueError, match=r"Unknown model names \['resnet'\]"):
        proxy_ranks(tasks, [FisherRatio()], models=["resnet"])
    with pytest.raises(ValueError, match="duplicates"):
        proxy_ranks(tasks, [FisherRatio()], models=["m1", "m1"])


def test_set_level_estimators_score_the_task_at_once(tasks):
    _, raw = proxy_ranks(tasks, [RelativeSeparation(), FisherRatio()], return_scores=True)
    rel = raw["RelativeSeparation"].to_numpy()
    fisher = raw["FisherRatio"].to_numpy()
    np.testing.assert_allclose(rel, fisher / fisher.mean(axis=1, keepdims=True), rtol=1e-12)


def test_ties_share_the_lowest_rank():
    y = np.repeat([0, 1], 10)
    rng = np.random.default_rng(0)
    same = rng.normal(size=(20, 3)) + 2 * y[:, None]
    task = Task(
        y=y,
        name="t",
        model_features={"a": rng.normal(size=(20, 3)), "b": same, "c": same.copy(), "d": same * 3},
    )
    ranks = proxy_ranks([task], [FisherRatio()])
    # b, c and d are equally separable (a Fisher ratio is scale-free): 0 1 1 1
    assert ranks.loc["t"].tolist() == [0, 1, 1, 1]


def test_lazy_loaders_are_called(tasks):
    calls = []

    def loader(arr):
        def load():
            calls.append(1)
            return arr

        return load

    lazy = [
        Task(y=t.y, name=t.name, model_features={m: loader(a) for m, a in t.model_features.items()})
        for t in tasks
    ]
    eager = proxy_ranks(tasks, [FisherRatio()], output="score")
    got = proxy_ranks(lazy, [FisherRatio()], output="score")
    np.testing.assert_allclose(got.to_numpy(), eager.to_numpy())
    assert len(calls) == 16  # once per (task, PTM)


def test_n_jobs_gives_the_same_result(tasks):
    serial = proxy_ranks(tasks, [FisherRatio(), NegConditionalEntropy()], output="score")
    parallel = proxy_ranks(
        tasks, [FisherRatio(), NegConditionalEntropy()], output="score", n_jobs=2
    )
    pd.testing.assert_frame_equal(serial, parallel)
    # One task: its PTMs are split into several jobs.
    one = proxy_ranks(tasks[:1], [FisherRatio()], output="score", n_jobs=2)
    alone = proxy_ranks(tasks[:1], [FisherRatio()], output="score")
    pd.testing.assert_frame_equal(one, alone)


def test_dask_backend_runs_unchanged(tasks):
    distributed = pytest.importorskip(
        "distributed", reason="dask.distributed cannot import: install skspider[dask]"
    )
    serial = proxy_ranks(tasks, [FisherRatio(), RelativeSeparation()], output="score")
    cluster = distributed.LocalCluster(
        n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None
    )
    try:
        with distributed.Client(cluster), joblib.parallel_config(backend="dask"):
            on_dask = proxy_ranks(tasks, [FisherRatio(), RelativeSeparation()], output="score")
    finally:
        cluster.close()
    pd.testing.assert_frame_equal(serial, on_dask)


def test_error_score(tasks):
    t = tasks[0]
    thin = [Task(y=t.y, name=t.name, model_features={"m": t.get_model_features("m0")[:, :2]})]
    with pytest.raises(ValueError, match="Fragile on task 't0', model 'm': needs at least 3"):
        proxy_ranks(thin, [Fragile()])
    with pytest.warns(FitFailedWarning, match="Fragile on task 't0', model 'm' failed"):
        ranks, raw = proxy_ranks(
            [*thin, tasks[1]], [Fragile(), FisherRatio()], error_score=np.nan, return_scores=True
        )
    assert np.isnan(raw["Fragile"].loc["t0", "m"])
    assert ranks.loc["t0", "m"] == 0 and np.isnan(ranks.loc["t0", "m1"])  # scored by Fisher only
    with pytest.raises(ValueError, match="error_score"):
        proxy_ranks(tasks, [FisherRatio()], error_score="ignore")


def test_bad_estimators_and_weights(tasks):
    with pytest.raises(ValueError, match="Unknown transferability estimator 'NoSuchScore'"):
        proxy_ranks(tasks, ["NoSuchScore"])
    with pytest.raises(TypeError, match="BaseTransferabilityEstimator"):
        proxy_ranks(tasks, [object()])
    with pytest.raises(ValueError, match="appear twice"):
        proxy_ranks(tasks, [FisherRatio(), FisherRatio()])
    with pytest.raises(ValueError, match="empty"):
        proxy_ranks(tasks, [])
    with pytest.raises(ValueError, match="one weight per estimator"):
        proxy_ranks(tasks, [FisherRatio()], weights=[1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        proxy_ranks(tasks, [FisherRatio()], weights=[-1])
    with pytest.raises(ValueError, match="unknown estimators"):
        proxy_ranks(tasks, {"f": FisherRatio()}, weights={"g": 1})
    with pytest.raises(ValueError, match="normalize"):
        proxy_ranks(tasks, [FisherRatio()], normalize="softmax")
    with pytest.raises(TypeError, match=r"tasks\[0\] must be a skspider\.base\.Task"):
        proxy_ranks(np.ones((3, 3)), [FisherRatio()])
    with pytest.raises(ValueError, match="no per-model"):
        proxy_ranks([Task(y=np.arange(4) % 2)], [FisherRatio()])
    with pytest.raises(ValueError, match="no per-model probas"):
        proxy_ranks([make_task(0, with_probas=False)], [NegConditionalEntropy()])
    thin = [Task(y=np.arange(6) % 2, name="t", model_features={"m": np.ones((6, 2))})]
    with (
        pytest.raises(ValueError, match="No estimator could score"),
        pytest.warns(FitFailedWarning),
    ):
        proxy_ranks(thin, [Fragile()], error_score=np.nan)


def test_input_tasks_are_not_modified(tasks):
    before = {m: a.copy() for m, a in tasks[0].model_features.items()}
    proxy_ranks(tasks, [FisherRatio()], normalize="zscore")
    for m, a in tasks[0].model_features.items():
        np.testing.assert_array_equal(a, before[m])


@pytest.mark.parametrize("normalize", ["rank", "zscore", "minmax", "none"])
@pytest.mark.parametrize("aggregate", ["mean", "median"])
def test_aggregate_scores_agree_with_a_single_estimator(normalize, aggregate):
    rng = np.random.default_rng(0)
    S = rng.normal(size=(1, 5, 6))
    expected = (np.argsort(np.argsort(S[0], axis=1), axis=1)).astype(np.int64)
    got = aggregate_scores(S, normalize=normalize, aggregate=aggregate)
    np.testing.assert_array_equal(got, expected)


def test_aggregate_scores_weighted_median_and_nan():
    S = np.array([[[0.0, 1.0, 2.0]], [[2.0, 1.0, 0.0]], [[0.0, 2.0, 1.0]]])
    got = aggregate_scores(S, aggregate="median", weights=[1, 1, 3], output="score")
    np.testing.assert_allclose(got, [[0.0, 1.0, 0.5]])
    S[1, 0, 0] = np.nan
    got = aggregate_scores(S, output="score")
    np.testing.assert_allclose(got[0, 0], 0.0)  # mean over the two estimators that scored it
    with pytest.raises(ValueError, match="3-D"):
        aggregate_scores(np.ones((2, 2)))
    with pytest.raises(ValueError, match="infinity"):
        aggregate_scores(np.full((1, 1, 2), np.inf))


def test_aggregate_scores_is_scale_free_with_ranks():
    rng = np.random.default_rng(1)
    S = rng.normal(size=(2, 3, 5))
    scaled = S * np.array([1000.0, 0.001])[:, None, None]
    np.testing.assert_array_equal(aggregate_scores(S), aggregate_scores(scaled))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aggregate_scores(np.zeros((1, 2, 3)), normalize="zscore")  # constant rows: no warnings


def test_default_estimators_are_the_packages_own(tasks):
    # LogME and PARC (what agreed best with fine-tuning on the first glyph zoo's validation
    # tasks) are resolved by name through discovery.
    ranks, scores = proxy_ranks(tasks, return_scores=True)
    assert set(scores) == {"LogME", "PARC"}
    for frame in scores.values():
        assert frame.shape == (4, 4) and np.isfinite(frame.to_numpy()).all()
    # The models were built with a known order of separability: the extremes must agree.
    assert (ranks["m3"] > ranks["m0"]).all()


def test_side_data_is_routed_from_the_tasks(tasks):
    # OTCE's source set: per-PTM source features and shared source labels on each task.
    from skspider.transferability import OTCE

    rng = np.random.default_rng(7)
    sources = {f"m{i}": rng.normal(size=(30, 5)) for i in range(4)}
    source_y = np.arange(30) % 3
    with_side = [
        Task(
            y=t.y,
            name=t.name,
            model_features=t.model_features,
            side_data={"source_labels": source_y},
            model_side_data={m: {"source_features": lambda s=s: s} for m, s in sources.items()},
        )
        for t in tasks
    ]
    _, raw = proxy_ranks(with_side, {"otce": OTCE()}, return_scores=True)
    t = tasks[0]
    expected = [
        OTCE().score(t.get_model_features(m), t.y, source_features=s, source_labels=source_y)
        for m, s in sources.items()
    ]
    np.testing.assert_allclose(raw["otce"].iloc[0], expected)
    # Without the side data: OTCE's clear error, with the location.
    with pytest.raises(ValueError, match="otce on task 't0', model 'm0': OTCE needs"):
        proxy_ranks(tasks, {"otce": OTCE()})
