"""The zoo-scoring engine: one set of rules for TransferabilityRanker and proxy_ranks."""

import os
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
from scipy.special import softmax
from sklearn.exceptions import FitFailedWarning

import skspider
from skspider._sklearn_compat import InvalidParameterError
from skspider.base import Task
from skspider.tasks import aggregate_scores, proxy_ranks, sample_tasks
from skspider.transferability import (
    EMMS,
    NCTI,
    BaseTransferabilityEstimator,
    LogME,
    TransferabilityRanker,
    score_zoo,
)

MODELS = ["a", "b", "c"]


def _task(seed, name, models=MODELS, probas=True, n=30):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], n // 3)
    onehot = np.eye(3)[y]
    feats = {
        m: rng.normal(size=(n, 4)) + k * np.pad(onehot, ((0, 0), (0, 1)))
        for k, m in enumerate(models)
    }
    prob = {m: softmax(rng.normal(size=(n, 5)), axis=1) for m in models} if probas else None
    return Task(y=y, name=name, model_features=feats, model_probas=prob)


TASKS = [_task(0, "t0"), _task(1, "t1")]


def _without_b(task):
    def drop(mapping):
        return {m: v for m, v in mapping.items() if m != "b"}

    return Task(
        y=task.y,
        name=task.name,
        model_features=drop(task.model_features),
        model_probas=drop(task.model_probas),
    )


# t1 lacks PTM "b" entirely.
PARTIAL = [TASKS[0], _without_b(TASKS[1])]


class Picky(BaseTransferabilityEstimator):
    """Fails on PTM features whose first column has a negative mean (a known failure)."""

    def _fit(self, X, y):
        if X[:, 0].mean() < 0:
            raise ValueError("first column has a negative mean")
        return float(X[:, 0].mean())


def _failing_cells(tasks):
    return {
        (t.name, m)
        for t in tasks
        for m, X in t.model_features.items()
        if np.asarray(X)[:, 0].mean() < 0
    }


# -- missing= ------------------------------------------------------------------------------------
def test_missing_raise_names_task_models_and_estimator_in_both_entry_points():
    with pytest.raises(ValueError, match=r"tasks\[1\] \(task 't1'\).*\['b'\].*\['LogME'\]"):
        proxy_ranks(PARTIAL, ["LogME"], missing="raise")
    ranker = TransferabilityRanker(LogME()).fit(TASKS)
    with pytest.raises(ValueError, match=r"X\[1\] \(task 't1'\).*\['b'\].*\['LogME'\]"):
        ranker.predict(PARTIAL)
    with pytest.raises(ValueError, match="missing='nan'"):
        score_zoo(PARTIAL, "LogME")


def test_missing_nan_leaves_the_pair_unscored_in_both_entry_points():
    full = TransferabilityRanker(LogME()).fit(TASKS).predict(TASKS)
    scores = TransferabilityRanker(LogME(), missing="nan").fit(TASKS).predict(PARTIAL)
    assert np.isnan(scores[1, 1])
    np.testing.assert_allclose(scores[0], full[0])
    np.testing.assert_allclose(scores[1, [0, 2]], full[1, [0, 2]])
    ranker = TransferabilityRanker(LogME(), missing="nan").fit(TASKS)
    ranks = ranker.predict_rank(PARTIAL)
    assert ranks[1, 1] == 3 and sorted(ranks[1, [0, 2]]) == [1, 2]  # unscored: last, not garbage
    ranks, raw = proxy_ranks(PARTIAL, ["LogME"], return_scores=True)  # "nan" is its default
    assert np.isnan(raw["LogME"].loc["t1", "b"])
    np.testing.assert_allclose(raw["LogME"].to_numpy(), scores)
    assert np.isnan(ranks.loc["t1", "b"]) and ranks.loc["t1", ["a", "c"]].notna().all()


def test_missing_nan_for_set_level_estimators_scores_the_ptms_present():
    est = NCTI(pca_dim=2)
    scores = TransferabilityRanker(est, missing="nan").fit(TASKS).predict(PARTIAL)
    assert np.isnan(scores[1, 1])
    t1 = PARTIAL[1]
    expected = est.score_models([t1.get_model_features(m) for m in ("a", "c")], t1.y)
    np.testing.assert_allclose(scores[1, [0, 2]], expected)


# -- error_score= --------------------------------------------------------------------------------
def test_error_score_raise_has_the_location_in_both_entry_points():
    task, model = sorted(_failing_cells(TASKS))[0]
    pattern = f"Picky on task '{task}', model '{model}': first column has a negative mean"
    with pytest.raises(ValueError, match=pattern):
        TransferabilityRanker(Picky()).fit(TASKS).predict(TASKS)
    with pytest.raises(ValueError, match=pattern):
        proxy_ranks(TASKS, [Picky()])


def test_error_score_numeric_warns_with_the_location_in_both_entry_points():
    failing = _failing_cells(TASKS)
    assert failing and len(failing) < len(TASKS) * len(MODELS)  # the test means something
    ranker = TransferabilityRanker(Picky(), error_score=-1.0).fit(TASKS)
    with pytest.warns(FitFailedWarning) as record:
        scores = ranker.predict(TASKS)
    messages = " ".join(str(w.message) for w in record)
    for task, model in failing:
        assert f"Picky on task '{task}', model '{model}' failed (ValueError: first" in messages
        assert scores[int(task[1]), MODELS.index(model)] == -1.0
    with pytest.warns(FitFailedWarning, match="its score is set to nan") as record:
        _, raw = proxy_ranks(TASKS, [Picky()], error_score=np.nan, return_scores=True)
    assert len(record) == len(failing)
    assert {(t, m) for t in raw["Picky"].index for m in MODELS if np.isnan(raw["Picky"].loc[t, m])}
    assert np.isnan(raw["Picky"].to_numpy()).sum() == len(failing)


def test_error_score_of_a_set_level_estimator_names_task_and_estimator():
    class Broken(NCTI):
        def score_models(self, Xs, y):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match=r"Broken on task 't0', models \['a', 'b', 'c'\]: boom"):
        TransferabilityRanker(Broken()).fit(TASKS).predict(TASKS)
    with pytest.warns(FitFailedWarning, match="Broken on task 't1'"):
        scores = TransferabilityRanker(Broken(), error_score=0.0).fit(TASKS).predict(TASKS)
    assert (scores == 0.0).all()


@pytest.mark.slow
def test_warnings_from_worker_processes_reach_the_caller():
    # joblib's loky workers are other processes: their warnings would be lost.
    with joblib.parallel_config(backend="loky"), pytest.warns(FitFailedWarning, match="Picky"):
        scores = TransferabilityRanker(Picky(), error_score=0.0, n_jobs=2).fit(TASKS).predict(TASKS)
    assert (scores == 0.0).sum() == len(_failing_cells(TASKS))


def test_policies_are_validated():
    with pytest.raises(InvalidParameterError, match="missing"):
        proxy_ranks(TASKS, ["LogME"], missing="skip")
    with pytest.raises(InvalidParameterError, match="error_score"):
        TransferabilityRanker(LogME(), error_score="warn").fit(TASKS)
    with pytest.raises(InvalidParameterError, match="random_state"):
        proxy_ranks(TASKS, ["LogME"], random_state="zero")
    with pytest.raises(InvalidParameterError, match="normalize"):
        aggregate_scores(np.zeros((1, 1, 2)), normalize="softmax")
    with pytest.raises(InvalidParameterError, match="n_tasks"):
        sample_tasks(np.zeros((4, 2)), np.arange(4) % 2, n_tasks=-1)


# -- one engine ----------------------------------------------------------------------------------
def test_both_entry_points_give_the_engine_scores_serial_or_parallel():
    raw = score_zoo(TASKS, ["LogME", "LEEP"])
    ranker = TransferabilityRanker("LogME").fit(TASKS).predict(TASKS)
    np.testing.assert_array_equal(ranker, raw["LogME"].to_numpy())
    _, via_proxy = proxy_ranks(TASKS, ["LogME", "LEEP"], return_scores=True)
    for label in ("LogME", "LEEP"):
        np.testing.assert_array_equal(via_proxy[label].to_numpy(), raw[label].to_numpy())
    with joblib.parallel_config(backend="threading"):
        parallel = score_zoo(TASKS, ["LogME", "LEEP"], n_jobs=3)
    for label in ("LogME", "LEEP"):
        np.testing.assert_array_equal(parallel[label].to_numpy(), raw[label].to_numpy())


@pytest.mark.parametrize("n_jobs", [1, 3])
def test_verbose_counts_every_pair_on_stderr_without_tqdm(capsys, monkeypatch, n_jobs):
    # The plain fallback prints exact counts: the bar must reach every (task, PTM) pair,
    # whatever the chunking of the joblib jobs (6 pairs here, NCTI scoring whole tasks).
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with joblib.parallel_config(backend="threading"):
        quiet = score_zoo(TASKS, ["LogME", "NCTI"], n_jobs=n_jobs)
        assert capsys.readouterr() == ("", "")
        loud = score_zoo(TASKS, ["LogME", "NCTI"], n_jobs=n_jobs, verbose=1)
    out, err = capsys.readouterr()
    assert out == "" and err.strip().splitlines()[-1].startswith("[score_zoo] 12/12 pair (100%)")
    for label in ("LogME", "NCTI"):  # the bar changes no score
        np.testing.assert_array_equal(loud[label].to_numpy(), quiet[label].to_numpy())
    proxy_ranks(TASKS, ["LogME"], verbose=1)
    assert "[score_zoo] 6/6 pair (100%)" in capsys.readouterr().err


def test_verbose_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    TransferabilityRanker("LogME", verbose=1).fit(TASKS).predict(TASKS)
    out, err = capsys.readouterr()
    assert out == "" and "score_zoo" in err and "6/6" in err


def test_side_data_is_routed_to_emms_from_the_task():
    rng = np.random.default_rng(3)
    emb = rng.normal(size=(3, 8))
    with_side = [
        Task(
            y=t.y, name=t.name, model_features=t.model_features, side_data={"label_embeddings": emb}
        )
        for t in TASKS
    ]
    scores = TransferabilityRanker(EMMS()).fit(with_side).predict(with_side)
    t = TASKS[0]
    expected = [EMMS().score(t.get_model_features(m), t.y, label_embeddings=emb) for m in MODELS]
    np.testing.assert_allclose(scores[0], expected)
    assert not np.allclose(expected, [EMMS().score(t.get_model_features(m), t.y) for m in MODELS])


# -- random_state= (#6) --------------------------------------------------------------------------
def test_random_state_seeds_estimators_named_by_string():
    # NLEEP by name has random_state=None: before, two runs of proxy_ranks differed.
    tasks = [_task(0, "t0", n=60)]
    kw = {"output": "score", "normalize": "none"}
    first = proxy_ranks(tasks, ["NLEEP"], random_state=0, **kw)
    again = proxy_ranks(tasks, ["NLEEP"], random_state=0, **kw)
    other = proxy_ranks(tasks, ["NLEEP"], random_state=1, **kw)
    np.testing.assert_array_equal(first.to_numpy(), again.to_numpy())
    assert not np.allclose(first.to_numpy(), other.to_numpy())  # the seed reaches NLEEP
    ranker = TransferabilityRanker("NLEEP", random_state=0).fit(tasks)
    np.testing.assert_array_equal(ranker.predict(tasks), first.to_numpy())


# -- name lookup ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_lookup_by_name_imports_neither_torch_nor_the_spider():
    code = (
        "import sys\n"
        "from skspider.transferability import get_estimator\n"
        "print(repr(get_estimator('logme')))\n"
        "heavy = [m for m in ('torch', 'skspider.spider', 'skspider.zoo', 'skspider.datasets')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
    )
    root = str(Path(skspider.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.split("\n")
    assert out[0] == "LogME()"
    assert out[1] == "[]"


def test_list_estimators_is_what_get_estimator_accepts():
    from skspider.transferability import (
        BaseTransferabilityEstimator,
        get_estimator,
        list_estimators,
    )

    found = list_estimators()
    assert {"LogME", "LEEP", "NCE", "OTCE", "EMMS"} <= set(found)
    assert "TransferabilityRanker" not in found and "BaseTransferabilityEstimator" not in found
    for name, cls in found.items():
        assert issubclass(cls, BaseTransferabilityEstimator)
        assert type(get_estimator(name)) is cls
    found.clear()  # a new dict each call: the lookup is unchanged
    assert "LogME" in list_estimators()


def test_side_inputs_are_public():
    from skspider.transferability import EMMS, OTCE, list_estimators

    assert OTCE.side_inputs() == ("source_features", "source_labels") == OTCE().side_inputs()
    assert EMMS.side_inputs() == ("label_embeddings",)
    assert LogME.side_inputs() == ()
    with_side = {n for n, cls in list_estimators().items() if cls.side_inputs()}
    assert {"OTCE", "EMMS"} <= with_side and "LogME" not in with_side


def test_side_data_only_for_estimators_that_declare_it():
    X, y = TASKS[0].get_model_features("a"), TASKS[0].y
    with pytest.raises(TypeError, match=r"LogME.fit got unexpected keyword arguments \['extra'\]"):
        LogME().fit(X, y, extra=1)


def test_a_failing_loader_is_located_too():
    def lost():
        raise OSError("cache file gone")

    task = Task(y=TASKS[0].y, name="t0", model_features={"a": lost})
    with pytest.raises(OSError, match="LogME on task 't0', model 'a': cache file gone"):
        score_zoo([task], "LogME")
