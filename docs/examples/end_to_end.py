"""End to end: a zoo of torch models and labelled pools -> a ranking for a new task.

The whole Model Spider pipeline on a CPU in under a minute, with nothing downloaded:

1. Labelled pools: three small image "datasets" (16x16 RGB, different kinds of pattern).
2. A zoo of five PTMs: one small CNN pre-trained on each pool, an MLP pre-trained on all
   three, and a CNN left at its random initialisation.
3. A general encoder (a CNN trained on all pools, standing in for the paper's
   self-supervised Swin-B) gives the per-sample features that become task tokens.
4. Every PTM is run once over every pool (features cached on disk); training tasks are
   sampled from the pools; their proxy ranks come from LogME, LEEP, NCE and H-score.
5. A `SpiderRanker` learns to rank the zoo from the tokens of a task alone.
6. New tasks, from classes no training task saw: the ranker ranks the zoo with one pass of
   the general encoder. The truth is each PTM's linear-probe accuracy on the new task (a
   cheap stand-in for fine-tuning); the ranking is compared with the prior ranker's and
   with LogME's, which needs a forward pass of every PTM.

Run it with ``python docs/examples/end_to_end.py`` (``--quick`` for a smaller run).
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from skspider.dummy import PriorRanker
from skspider.metrics import mean_weighted_tau, top_k_regret
from skspider.spider import SpiderRanker
from skspider.tasks import TaskTokenizer, proxy_ranks, sample_tasks
from skspider.transferability import LogME, TransferabilityRanker
from skspider.zoo import FeatureCache, ModelZoo, extract_features, make_task

POOL_KINDS = ("stripes", "blobs", "checks")


def make_pool(kind: str, n_classes: int, per_class: int, seed: int):
    """Images whose classes are noisy copies of a per-class prototype of the pool's kind."""
    g = torch.Generator().manual_seed(seed)
    grid = torch.linspace(0, 1, 16)
    yy, xx = torch.meshgrid(grid, grid, indexing="ij")
    prototypes = []
    for _ in range(n_classes):
        a, b, c = (torch.rand(3, generator=g) * 6 + 1).tolist()
        if kind == "stripes":
            base = torch.sin(a * 6.28 * xx + b * yy)
        elif kind == "blobs":
            base = torch.exp(-((xx - a / 7) ** 2 + (yy - b / 7) ** 2) * c * 4) * 2 - 0.5
        else:
            base = torch.sign(torch.sin(a * 3.14 * xx) * torch.sin(b * 3.14 * yy))
        colour = torch.rand(3, 1, 1, generator=g) * 2 - 1
        prototypes.append(base[None] * colour)
    y = np.repeat(np.arange(n_classes), per_class)
    x = torch.stack([prototypes[k] for k in y])
    x = x + 0.6 * torch.randn(x.shape, generator=g)
    return x, y


def cnn(n_classes: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, n_classes),
    )  # fmt: skip


def mlp(n_classes: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(768, 16), nn.ReLU(), nn.Linear(16, n_classes))


def pretrain(model: nn.Module, x: torch.Tensor, y: np.ndarray, epochs: int, seed: int):
    """A few epochs of supervised training: the 'pre-training' of a PTM."""
    g = torch.Generator().manual_seed(seed)
    target = torch.as_tensor(y)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(32):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), target[idx]).backward()
            opt.step()
    return model.eval()


def linear_probe_accuracy(features: np.ndarray, y: np.ndarray) -> float:
    """Cross-validated accuracy of a logistic regression on frozen features."""
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return float(cross_val_score(clf, features, y, cv=3).mean())


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    # --quick is the test suite's smoke run (a few CPU seconds): every step of the same
    # pipeline, on smaller pools, with fewer tasks and one epoch of pre-training.
    if args.quick:
        n_classes, per_class, n_new, n_train_tasks, epochs, spider_steps = 8, 12, 4, 12, 1, 12
    else:
        n_classes, per_class, n_new, n_train_tasks, epochs, spider_steps = 12, 25, 6, 64, 8, 480
    threads = torch.get_num_threads()
    torch.set_num_threads(1 if args.quick else min(2, threads))
    try:
        return _run(args, n_classes, per_class, n_new, n_train_tasks, epochs, spider_steps)
    finally:
        torch.set_num_threads(threads)  # main() may run inside another process (the tests)


def _run(args, n_classes, per_class, n_new, n_train_tasks, epochs, spider_steps) -> dict:
    # 1. Labelled pools, and held-out classes of each kind for the new tasks.
    pools = {k: make_pool(k, n_classes, per_class, seed=10 + i) for i, k in enumerate(POOL_KINDS)}
    new = {k: make_pool(k, n_new, per_class, seed=100 + i) for i, k in enumerate(POOL_KINDS)}

    # 2. The zoo: a specialist per pool, a generalist MLP, and an untrained CNN.
    zoo = ModelZoo()
    for i, kind in enumerate(POOL_KINDS):
        x, y = pools[kind]
        model = pretrain(cnn(n_classes, seed=i), x, y, epochs, seed=i)
        zoo.add(f"cnn_{kind}", model, family="cnn", source=kind, version=f"seed{i}")
    x_all = torch.cat([pools[k][0] for k in POOL_KINDS])
    y_all = np.concatenate([pools[k][1] + n_classes * i for i, k in enumerate(POOL_KINDS)])
    n_all = n_classes * len(POOL_KINDS)
    generalist = pretrain(mlp(n_all, seed=7), x_all, y_all, min(epochs, 2), seed=7)
    zoo.add("mlp_all", generalist, family="mlp", source="all", version="seed7")
    zoo.add(
        "cnn_random", cnn(n_classes, seed=8).eval(), family="cnn", source="none", version="seed8"
    )
    print(zoo.metadata().to_string(), "\n")

    # 3. The general encoder.
    encoder = pretrain(cnn(n_all, seed=9), x_all, y_all, epochs, seed=9)

    def general_features(x):
        return extract_features(encoder, x, device="cpu").features

    with tempfile.TemporaryDirectory() as tmp:
        # 4. Every PTM once over every pool, cached; sampled tasks; tokens; proxy ranks.
        cache = FeatureCache(tmp)
        pool_tasks = [
            make_task(
                zoo,
                x,
                y,
                X=general_features(x),
                cache=cache,
                dataset_key=kind,
                name=kind,
                device="cpu",
            )
            for kind, (x, y) in pools.items()
        ]
        train = sample_tasks(
            pool_tasks,
            n_tasks=n_train_tasks,
            n_way=(4, 8),
            n_shot=10,
            n_pools=(1, 2),
            random_state=args.seed,
        )
        Y_proxy = proxy_ranks(train)
        tokenizer = TaskTokenizer()
        tokens = tokenizer.fit_transform(train)

        # 5. The learned ranker.
        spider = SpiderRanker(
            d_model=64, max_iter=spider_steps, batch_size=8, lr=2e-3, random_state=args.seed
        ).fit(tokens, Y_proxy)
        prior = PriorRanker().fit(tokens, Y_proxy)

        # 6. New tasks from unseen classes: the truth is the linear-probe accuracy.
        new_tasks, truth = [], []
        for kind, (x, y) in new.items():
            task = make_task(zoo, x, y, X=general_features(x), name=f"new_{kind}", device="cpu")
            new_tasks.append(task)
            truth.append([linear_probe_accuracy(task.get_model_features(m), y) for m in zoo.names])
        truth = pd.DataFrame(truth, index=[t.name for t in new_tasks], columns=zoo.names)
        new_tokens = tokenizer.transform(new_tasks)
        predictions = {
            "SpiderRanker (tokens only)": spider.predict(new_tokens),
            "PriorRanker (no target data)": prior.predict(new_tokens),
            "LogME (every PTM's features)": TransferabilityRanker(LogME())
            .fit(new_tasks, truth)
            .predict(new_tasks),
        }

    print("Linear-probe accuracy of each PTM on the new tasks (the truth):")
    print(truth.round(3).to_string(), "\n")
    rows = {}
    for name, pred in predictions.items():
        rows[name] = {
            "tau_w": mean_weighted_tau(truth, pred),
            "top-1 regret": top_k_regret(truth, pred, k=1),
            "top-1 pick": ", ".join(np.asarray(zoo.names)[pred.argmax(axis=1)]),
        }
    summary = pd.DataFrame(rows).T
    print(summary.to_string())
    ranking = pd.Series(predictions["SpiderRanker (tokens only)"][0], index=zoo.names)
    print(f"\nSpiderRanker's ranking for {new_tasks[0].name}:")
    print(ranking.sort_values(ascending=False).round(3).to_string())
    return {"summary": summary, "truth": truth, "proxy": Y_proxy}


if __name__ == "__main__":
    main()
