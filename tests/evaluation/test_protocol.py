"""The evaluation protocol: forward passes counted by the loader that runs them, seconds
charged per ranker, scores against the truth."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import make_pipeline
from torch import nn

from skspider.base import Task
from skspider.dummy import PriorRanker
from skspider.evaluation import evaluate_rankers, make_rankers, summarize_evaluation
from skspider.metrics import weighted_tau
from skspider.spider import RerankTransformer, SpiderRanker
from skspider.tasks import TaskTokenizer
from skspider.transferability import LogME, TransferabilityRanker
from skspider.zoo import FeatureLoader, ModelZoo, make_task

N_IN = 6


def _net(width, seed, head=True):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(N_IN, width), nn.ReLU(), nn.Linear(width, 3) if head else nn.Identity()
    )


@pytest.fixture(scope="module")
def world():
    """A zoo of 5 small networks, an encoder, a Spider trained with PTM-specific tokens on
    12 tasks, and 3 evaluation tasks with a truth."""
    from skspider.zoo import ZooEntry

    zoo = ModelZoo(
        [ZooEntry(f"m{i}", _net(4 + 2 * i, seed=i)) for i in range(4)]
        + [ZooEntry("headless", _net(5, seed=9, head=False), layer="2", source_head=False)]
    )
    encoder = _net(8, seed=20)
    rng = np.random.default_rng(0)

    def encode(x):
        from skspider.zoo import extract_features

        return extract_features(encoder, x, device="cpu").features

    train = []
    for t in range(12):
        x = rng.normal(size=(30, N_IN)).astype(np.float32)
        y = np.repeat(np.arange(3), 10)
        train.append(make_task(zoo, x, y, X=encode(x), name=f"train{t}", device="cpu"))
    labels = pd.DataFrame(rng.normal(size=(12, 5)), columns=zoo.names)
    tokens = TaskTokenizer(model_tokens=True).fit(train).transform(train)
    spider = SpiderRanker(d_model=8, max_iter=20, lr=1e-2, device="cpu", random_state=0)
    spider.fit(tokens, labels)
    tasks = [
        Task(
            y=np.repeat(np.arange(3), 8),
            name=f"t{i}",
            metadata={"inputs": rng.normal(size=(24, N_IN)).astype(np.float32)},
        )
        for i in range(3)
    ]
    truth = pd.DataFrame(rng.uniform(size=(3, 5)), index=["t0", "t1", "t2"], columns=zoo.names)
    plain = TaskTokenizer().fit(train).transform(train)
    return {"zoo": zoo, "encoder": encoder, "spider": spider, "tasks": tasks,
            "truth": truth, "labels": labels, "tokens": plain}  # fmt: skip


def _rankers(world, k=2):
    spider = world["spider"]
    width = [Task(y=[0, 1], X=np.zeros((2, spider.n_features_in_)))]
    tok = TaskTokenizer().fit(width)
    rerank = RerankTransformer(FrozenEstimator(spider), k=k).fit(
        world["tokens"][:2], world["labels"][:2]
    )
    return {
        "prior": PriorRanker().fit(world["tokens"], world["labels"]),
        "spider": make_pipeline(tok, FrozenEstimator(spider)),
        "rerank": make_pipeline(TaskTokenizer(model_tokens=True).fit(width), rerank),
        "LogME": TransferabilityRanker(LogME()).fit([Task(y=[0, 1])], world["truth"].iloc[:1]),
    }


def _spy(world):
    """Count every forward call of every network (the encoder too), by network."""
    calls = {}

    def hook(name):
        def count(module, args):
            calls[name] = calls.get(name, 0) + 1

        return count

    handles = [
        world["zoo"][m].module.register_forward_pre_hook(hook(m)) for m in world["zoo"].names
    ]
    handles.append(world["encoder"].register_forward_pre_hook(hook("<encoder>")))
    return calls, handles


def test_counted_passes_are_the_passes_that_ran(world):
    """Each ranker alone, with a fresh loader: the networks that really ran (a spy on their
    forward calls) are exactly the passes the protocol reports, task by task."""
    for name, ranker in _rankers(world).items():
        calls, handles = _spy(world)
        try:
            loader = FeatureLoader(world["zoo"], world["encoder"], device="cpu")
            table = evaluate_rankers({name: ranker}, world["tasks"], world["truth"],
                                     loader=loader, warm_up=False)  # fmt: skip
        finally:
            for h in handles:
                h.remove()
        ran_ptms = sum(v for k, v in calls.items() if k != "<encoder>")
        assert table["forward_passes"].sum() == ran_ptms, name
        assert table["encoder_passes"].sum() == calls.get("<encoder>", 0), name
    expected = {"prior": (0, 0), "spider": (0, 1), "rerank": (2, 1), "LogME": (5, 0)}
    loader = FeatureLoader(world["zoo"], world["encoder"], device="cpu")
    table = evaluate_rankers(_rankers(world), world["tasks"], world["truth"], loader=loader)
    for name, (ptms, enc) in expected.items():
        rows = table[table["ranker"] == name]
        assert (rows["forward_passes"] == ptms).all() and (rows["encoder_passes"] == enc).all()
    # Shared passes ran once per (task, network), whoever read them first (the untimed
    # warm-up reads the first task's passes, which the timed run then reuses).
    assert all(n == len(world["tasks"]) for n in loader.n_runs_.values())


def test_rerank_loads_only_its_top_k(world):
    for k in (0, 1, 3):
        calls, handles = _spy(world)
        try:
            loader = FeatureLoader(world["zoo"], world["encoder"], device="cpu")
            ranker = _rankers(world, k=k)["rerank"]
            table = evaluate_rankers({"r": ranker}, world["tasks"][:1], world["truth"],
                                     loader=loader, warm_up=False)  # fmt: skip
        finally:
            for h in handles:
                h.remove()
        # The PTMs the re-ranker says get a pass (its public decision) are those that ran.
        tokens = TaskTokenizer(model_tokens=True).fit_transform([loader.task(world["tasks"][0])])
        selected = ranker[-1].select(tokens)[0]
        assert table["forward_passes"].iloc[0] == k == len(selected)
        assert sum(v for m, v in calls.items() if m != "<encoder>") == k
        assert {m for m in calls if m != "<encoder>"} == set(map(str, selected))


def test_seconds_charge_each_ranker_its_passes(world):
    loader = FeatureLoader(world["zoo"], world["encoder"], device="cpu")
    table = evaluate_rankers(_rankers(world), world["tasks"], world["truth"], loader=loader)
    by = table.groupby("ranker")["seconds"].mean()
    # LogME reads every PTM's pass (run before by nobody, or by the re-ranker): charged for
    # all of them, so it costs more than the prior, which reads none.
    assert by["LogME"] > by["prior"]
    assert (table["seconds"] > 0).all() and (table["cpu_seconds"] >= 0).all()


def test_a_pass_run_by_one_ranker_is_charged_to_the_next_that_reads_it(world):
    import time as _time

    # Every PTM pass takes at least 50 ms (a hook that waits): LogME, reading all 5 PTMs,
    # must be charged at least 5 x 50 ms on every task, though the re-ranker (k=2), run
    # before it, already ran 2 of those passes; the re-ranker is charged its own 2.
    delay = 0.05
    handles = [
        world["zoo"][m].module.register_forward_pre_hook(lambda *_: _time.sleep(delay))
        for m in world["zoo"].names
    ]
    try:
        rankers = _rankers(world)
        loader = FeatureLoader(world["zoo"], world["encoder"], device="cpu")
        table = evaluate_rankers(
            {"rerank": rankers["rerank"], "LogME": rankers["LogME"]}, world["tasks"],
            world["truth"], loader=loader, warm_up=False,
        )  # fmt: skip
    finally:
        for h in handles:
            h.remove()
    logme = table[table["ranker"] == "LogME"]
    rerank = table[table["ranker"] == "rerank"]
    assert (logme["forward_passes"] == 5).all() and (rerank["forward_passes"] == 2).all()
    assert (logme["seconds"] >= 5 * delay).all()
    assert (rerank["seconds"] >= 2 * delay).all() and (rerank["seconds"] < 5 * delay).all()


def test_scores_and_metrics_match_the_truth(world):
    loader = FeatureLoader(world["zoo"], world["encoder"], device="cpu")
    rankers = _rankers(world)
    table, scores = evaluate_rankers(rankers, world["tasks"], world["truth"], loader=loader,
                                     return_scores=True)  # fmt: skip
    truth = world["truth"]
    for name in rankers:
        S = scores[name]
        assert list(S.columns) == list(truth.columns) and list(S.index) == ["t0", "t1", "t2"]
        rows = table[table["ranker"] == name].set_index("task")
        for t in S.index:
            s = S.loc[t].to_numpy()
            if not np.isnan(s).any():
                assert rows.loc[t, "tau_w"] == pytest.approx(weighted_tau(truth.loc[t], s))
            pick = np.nanargmax(s)
            assert rows.loc[t, "top1_regret"] == pytest.approx(
                truth.loc[t].max() - truth.loc[t].iloc[pick]
            )
    prior = scores["prior"].to_numpy()
    assert np.allclose(prior, prior[0])  # the same ranking for every task
    summary = summarize_evaluation(table)
    assert set(summary.index) == set(rankers) and (summary["n_tasks"] == 3).all()


def test_bad_inputs_are_named(world):
    loader = FeatureLoader(world["zoo"], world["encoder"], device="cpu")
    rankers = {"prior": _rankers(world)["prior"]}
    with pytest.raises(ValueError, match="rankers is empty"):
        evaluate_rankers({}, world["tasks"], world["truth"], loader=loader)
    with pytest.raises(ValueError, match="truth has no row"):
        evaluate_rankers(rankers, world["tasks"], world["truth"].iloc[:1], loader=loader)
    with pytest.raises(ValueError, match="not the PTMs of the loader's zoo"):
        evaluate_rankers(rankers, world["tasks"], world["truth"].iloc[:, :2], loader=loader)
    other = PriorRanker().fit([[0.0]], pd.DataFrame([[1, 2]], columns=["x", "y"]))
    with pytest.raises(ValueError, match="fitted on another zoo"):
        evaluate_rankers({"other": other}, world["tasks"], world["truth"], loader=loader)
    bare = [Task(y=[0, 1], name="t0")]
    with pytest.raises(ValueError, match="holds no inputs"):
        evaluate_rankers(rankers, bare, world["truth"], loader=loader)


def test_make_rankers_gives_what_the_protocol_takes(world):
    rankers, skipped = make_rankers(
        world["spider"], train_tokens=world["tokens"], train_labels=world["labels"],
        proxy_labels=world["labels"], metadata=world["zoo"].metadata(), rerank_k=2,
        estimators=("LogME", "OTCE"),
    )  # fmt: skip
    assert {"spider", "spider+rerank", "prior", "proxy prior", "metadata", "ridge", "nearest",
            "LogME"} == set(rankers)  # fmt: skip
    assert "OTCE" in skipped and "source" in skipped["OTCE"]
    loader = FeatureLoader(world["zoo"], world["encoder"], device="cpu")
    table = evaluate_rankers(rankers, world["tasks"], world["truth"], loader=loader)
    assert table["tau_w"].between(-1, 1).all()
    passes = table.groupby("ranker")["forward_passes"].mean()
    assert passes["spider+rerank"] == 2 and passes["LogME"] == 5 and passes["ridge"] == 0


def test_rankers_running_workers_and_unknown_truth_are_refused(world):
    loader = FeatureLoader(world["zoo"], world["encoder"], device="cpu")
    rankers = _rankers(world)
    rankers["LogME"].set_params(n_jobs=2)
    with pytest.raises(ValueError, match=r"n_jobs=2.*can neither count"):
        evaluate_rankers({"LogME": rankers["LogME"]}, world["tasks"], world["truth"], loader=loader)
    truth = world["truth"].copy()
    truth.iloc[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"unknown \(NaN\) accuracies for tasks \['"):
        evaluate_rankers({"prior": rankers["prior"]}, world["tasks"], truth, loader=loader)
