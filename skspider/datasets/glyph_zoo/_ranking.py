"""The build's ranker stage: the shipped `SpiderRanker`, trained on the training tasks'
fine-tuning records, and the re-ranking k chosen on the validation tasks."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from ._plan import fingerprint
from ._report import proxy_table, truth_tables

__all__ = ["load_trained", "train_ranker"]


def _labels(builder, tasks) -> pd.DataFrame:
    """The training labels: the fine-tuning records (``labels="truth"``) or the proxy ranks
    of the plan's estimators (``"proxy"``), tasks x PTMs in plan order."""
    names = [s["name"] for s in builder.plan["zoo"]]
    order = [t.name for t in tasks]
    if builder.plan["ranker"]["labels"] == "truth":
        truth, _ = truth_tables(builder.truth_runs(), "train")
        return truth.reindex(index=order, columns=names)
    scores = builder.proxy_scores()
    return proxy_table(scores, builder.plan["proxy"]["estimators"], order, names)


def _key(builder, labels: pd.DataFrame, tokens: dict) -> str:
    h = fingerprint(
        "ranker",
        builder.plan["ranker"],
        builder.seed,
        labels.round(8).to_numpy().tolist(),
        list(labels.columns),
        sorted(
            (name, hashlib.sha256(np.asarray(t, np.float32).tobytes()).hexdigest())
            for name, t in tokens.items()
        ),
    )
    return h


# The re-rankers' k: chosen on the validation tasks among these (the estimator re-ranker at
# most 5 forward passes: its point is to cost a small fraction of a pass of the zoo).
K_TOKENS = None  # RerankTransformer's default grid, up to the zoo size
K_ESTIMATOR = (0, 1, 2, 3, 4, 5)
RERANK_ESTIMATOR = "LogME"


def train_ranker(builder) -> None:
    """Train the ranker (unless cached), choose its re-rankers' k on the validation tasks,
    and evaluate what ships on the test tasks (each step cached)."""
    ranker, key, info = _fit(builder)
    choices = choose_k(builder, ranker, key)
    evaluate_shipped(builder, ranker, {**info, **choices}, key)


def _fit(builder):
    import torch

    from ...spider import SpiderRanker
    from ...tasks import TaskTokenizer
    from ._format import ranker_from_state, ranker_to_state
    from ._store import atomic_write

    train = builder.tasks(("train",))
    tokens = builder.train_tokens(train)
    labels = _labels(builder, train)
    key = _key(builder, labels, tokens)
    path = builder.work.file("ranker", key, "pt")
    log = builder.work.log("ranker")
    if path.exists() and key in log:
        builder.log("ranker: cached")
        ranker = ranker_from_state(torch.load(path, map_location="cpu", weights_only=True))
        return ranker, key, {k: v for k, v in log[key].items() if k != "key"}
    # Each PTM's own class centroids too: trained with them, the ranker can re-rank a new
    # task's top-k PTMs from their forward passes (RerankTransformer), as the authors' is.
    with_tokens = TaskTokenizer(model_tokens=True).fit(train).transform(train)
    params = dict(builder.plan["ranker"]["params"])
    ranker = SpiderRanker(
        **params, device="cpu", random_state=builder.seed, verbose=min(builder.log.verbose, 1)
    )
    # The shrinkage of the learned part is chosen on held-out training *domains* (the plan's
    # "hold_out"): tasks of one domain resemble each other, so held out one by one they
    # reward a network that memorises the training domains, which no new task shares.
    groups = None
    if builder.plan["ranker"].get("hold_out") == "domain":
        domain = {d["name"]: d["domain"] for d in builder.definitions(("train",))}
        groups = [domain[t.name] for t in train]
    ranker.fit(with_tokens, labels, groups=groups)
    ranker.set_params(verbose=0)  # the artifact is the same whatever the build's verbosity
    state = ranker_to_state(ranker)
    atomic_write(path, lambda p: torch.save(state, p))
    info = {
        "params": {**ranker.get_params(), "random_state": builder.seed},
        "labels": builder.plan["ranker"]["labels"],
        "hold_out": builder.plan["ranker"].get("hold_out", "task"),
        "n_train_tasks": len(train),
        "n_labels": int(labels.notna().to_numpy().sum()),
        "train_tau_w": float(ranker.score(TaskTokenizer().fit_transform(train), labels)),
    }
    log.add(key, info)
    builder.log("ranker: trained")
    return ranker, key, info


def choose_k(builder, ranker, key: str) -> dict:
    """The k of each re-ranker, chosen on the validation tasks' truth: PTM-specific tokens
    (`RerankTransformer`) and LogME on the top k (`EstimatorReranker`)."""
    from sklearn.frozen import FrozenEstimator

    from ...spider import EstimatorReranker, RerankTransformer
    from ...tasks import TaskTokenizer

    log = builder.work.log("rerank")
    ckey = fingerprint("rerank", key, K_TOKENS, K_ESTIMATOR, RERANK_ESTIMATOR)
    if ckey in log:
        return {k: v for k, v in log[ckey].items() if k != "key"}
    valid = builder.tasks(("validation",))
    truth, _ = truth_tables(builder.truth_runs(), "validation")
    Y = truth.loc[[t.name for t in valid], list(ranker.models_)]
    # Tokens, lazy PTM-specific tokens and the PTMs' features (from the build's cache).
    vtok = TaskTokenizer(model_tokens=True).fit(valid).transform(valid)
    tokens = RerankTransformer(FrozenEstimator(ranker), k="auto", k_candidates=K_TOKENS)
    tokens.fit(vtok, Y)
    estimator = EstimatorReranker(
        FrozenEstimator(ranker), estimator=RERANK_ESTIMATOR, k="auto",
        k_candidates=list(K_ESTIMATOR), missing="nan", error_score=np.nan, random_state=0,
    ).fit(vtok, Y)  # fmt: skip
    choices = {
        "rerank_tokens": {
            "k": int(tokens.k_),
            "validation_tau_w_by_k": {str(k): v for k, v in tokens.k_scores_.items()},
        },
        "rerank_estimator": {
            "estimator": RERANK_ESTIMATOR,
            "k": int(estimator.k_),
            "validation_tau_w_by_k": {str(k): v for k, v in estimator.k_scores_.items()},
        },
    }
    log.add(ckey, choices)
    builder.log(
        f"ranker: k chosen on the validation tasks: {tokens.k_} (own tokens), "
        f"{estimator.k_} ({RERANK_ESTIMATOR} on the top k)"
    )
    return choices


# The rankers whose means over the test tasks the report gives (the demo prints them).
REPORTED = ("spider", "spider+rerank", "spider+LogME", "prior", "LogME")


def evaluate_shipped(builder, ranker, info: dict, key: str) -> dict:
    """The shipped ranker (k=0 and re-ranked), the leaderboard prior and LogME on the test
    tasks, through the evaluation protocol: their mean tau_w, top-1 regret and forward
    passes (cached with the ranker's key)."""
    from ...base import Task
    from ...evaluation import evaluate_rankers, make_rankers, summarize_evaluation
    from ...zoo import FeatureLoader

    log = builder.work.log("evaluation")
    ekey = fingerprint(
        "evaluation", key, REPORTED, info["rerank_tokens"]["k"], info["rerank_estimator"]["k"]
    )
    if ekey in log:
        return log[ekey]["test_rankers"]
    train = builder.tasks(("train",))
    tokens = builder.train_tokens(train)
    labels = _labels(builder, train)
    rankers, _ = make_rankers(
        ranker, train_tokens=[tokens[t.name] for t in train], train_labels=labels,
        rerank_k=info["rerank_tokens"]["k"],
        estimator_rerank_k=info["rerank_estimator"]["k"], estimator_rerank=RERANK_ESTIMATOR,
        estimators=("LogME",),
    )  # fmt: skip
    rankers = {name: r for name, r in rankers.items() if name in REPORTED}
    truth, _ = truth_tables(builder.truth_runs(), "test")
    tasks = []
    for d in builder.definitions(("test",)):
        arrays = builder.task_arrays(d)
        tasks.append(
            Task(
                y=arrays["y"].astype(np.int64),
                name=d["name"],
                metadata={"images": arrays["images"]},
            )
        )
    loader = FeatureLoader(
        builder.zoo(), builder.encoder_model(), encoder_layer="head", device=builder.device
    )
    table = evaluate_rankers(
        rankers, tasks, truth.loc[[t.name for t in tasks], list(ranker.models_)], loader=loader,
        verbose=builder.log.verbose,
    )  # fmt: skip
    summary = summarize_evaluation(table)
    out = {
        name: {
            "tau_w": float(row["tau_w"]),
            "tau_w_std": float(row["tau_w_std"]),
            "top1_regret": float(row["top1_regret"]),
            "forward_passes": float(row["forward_passes"]),
            "n_tasks": int(row["n_tasks"]),
        }
        for name, row in summary.iterrows()
    }
    log.add(ekey, {"test_rankers": out})
    return out


def load_trained(builder) -> tuple[Any, dict]:
    """The trained ranker of the current plan and what its steps recorded (training, the
    re-rankers' k, the test evaluation)."""
    ranker, key, info = _fit(builder)
    info = {**info, **choose_k(builder, ranker, key)}
    info["report"] = {"test_rankers": evaluate_shipped(builder, ranker, info, key)}
    return ranker, info
