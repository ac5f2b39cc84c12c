"""The glyph zoo's ranker on its VALIDATION tasks: SpiderRanker settings and labels against the
simple baselines, to check that the defaults do not overfit the zoo's training records.

Every ranker is fitted on the zoo's training tasks (their tokens, and their fine-tuning
records or their proxy ranks) and scored by the mean tau_w against the validation tasks'
truth. The test tasks are never read. Rows:

* ``default``: `SpiderRanker` at the package's defaults, ``shrinkage="auto"`` holding out whole
  training domains (what the build ships; ``hold out tasks, not domains``: one by one), and one
  change at a time from it: no prior term (``prior=False``), no shrinkage of the learned
  part (``shrinkage=1.0``), the authors' linear read-out, fewer or more steps, another
  width, early stopping;
* ``paper``: `SpiderRanker.paper_params()` (the authors' configuration) with a step budget
  that fits a CPU;
* the same defaults trained on the proxy ranks instead of the records (``labels=proxy``);
* the baselines on the same records: the leaderboard prior, ridge, nearest tasks; and the
  prior of the proxy ranks.

Run (after the zoo is built)::

    python benchmarks/study_zoo_ranker.py --threads 1 --seeds 0 1 --json study.json
    python benchmarks/study_zoo_ranker.py --quick --data-dir /tmp/gz   # a smoke test
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
import torch

from skspider.base import Task
from skspider.datasets import load_glyph_zoo
from skspider.dummy import NearestTasksRanker, PriorRanker, RidgeRanker
from skspider.spider import SpiderRanker
from skspider.tasks import TaskTokenizer

VARIANTS = {
    "default": {},
    "hold out tasks, not domains": {"_by_domain": False},
    "no prior term": {"prior": False},
    "no shrinkage": {"shrinkage": 1.0},
    "shrinkage 0.5": {"shrinkage": 0.5},
    "shrinkage 0.25": {"shrinkage": 0.25},
    "shrinkage 0 (the prior term alone)": {"shrinkage": 0.0},
    "linear head": {"head": "linear"},
    "max_iter 250": {"max_iter": 250},
    "max_iter 3000": {"max_iter": 3000},
    "d_model 16": {"d_model": 16},
    "d_model 128": {"d_model": 128},
    "early stopping": {"early_stopping": True},
}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="a built zoo (default: the shipped one)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="ranker seeds (0)")
    parser.add_argument("--variants", nargs="+", default=None, help="a subset of the variants")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--json", default=None, help="write the results as JSON")
    parser.add_argument("--quick", action="store_true", help="two variants, 30 steps")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_glyph_zoo(args.data_dir)
    X, Y = data.train_tokens, data.train_truth
    # As the build trains the shipped ranker: shrinkage="auto" holds out whole domains.
    domains = data.tasks.loc[Y.index, "domain"].to_numpy()
    tasks = data.validation_tasks
    X_valid = TaskTokenizer().fit_transform(
        [Task(y=t.y, X=data.encode(t.metadata["images"])) for t in tasks]
    )
    Y_valid = data.truth.loc[[t.name for t in tasks], Y.columns]
    variants = dict(VARIANTS)
    if args.variants:
        variants = {name: variants[name] for name in args.variants}
    quick = {"max_iter": 30} if args.quick else {}
    if args.quick:
        variants = dict(list(variants.items())[:2])
    rows = []

    def spider(name, params, labels, label_name):
        params = dict(params)
        groups = domains if params.pop("_by_domain", True) else None
        for seed in args.seeds:
            start = time.process_time()
            ranker = SpiderRanker(**{**params, **quick}, device="cpu", random_state=seed)
            ranker.fit(X, labels, groups=groups)
            rows.append(
                {
                    "ranker": name,
                    "labels": label_name,
                    "seed": seed,
                    "train_tau_w": ranker.score(X, Y),
                    "validation_tau_w": ranker.score(X_valid, Y_valid),
                    "cpu_s": time.process_time() - start,
                    "shrinkage": ranker.shrinkage_,
                }
            )

    for name, params in variants.items():
        spider(name, params, Y, "records")
    paper = {**SpiderRanker.paper_params(), "max_iter": 1000, "d_model": 256}
    if not args.quick:
        spider("paper (d_model 256, 1000 steps)", paper, Y, "records")
        spider("default", {}, data.proxy_train, "proxy ranks")
    for name, ranker, labels, label_name in [
        ("leaderboard prior", PriorRanker(), Y, "records"),
        ("proxy prior", PriorRanker(), data.proxy_train, "proxy ranks"),
        ("ridge", RidgeRanker(), Y, "records"),
        ("nearest tasks", NearestTasksRanker(), Y, "records"),
    ]:
        ranker.fit(X, labels)
        rows.append(
            {
                "ranker": name,
                "labels": label_name,
                "seed": None,
                "train_tau_w": ranker.score(X, Y),
                "validation_tau_w": ranker.score(X_valid, Y_valid),
                "cpu_s": 0.0,
                "shrinkage": np.nan,
            }
        )
    table = pd.DataFrame(rows)
    summary = (
        table.groupby(["ranker", "labels"], sort=False)[
            ["train_tau_w", "validation_tau_w", "cpu_s", "shrinkage"]
        ]
        .mean()
        .reset_index()
    )
    print(
        f"## The zoo's ranker on its {len(tasks)} validation tasks (fitted on "
        f"{len(X)} training tasks; seeds {args.seeds})\n"
    )
    print("| ranker | labels | train tau_w | validation tau_w | CPU s / fit | shrinkage_ |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in summary.itertuples():
        print(
            f"| {r.ranker} | {r.labels} | {r.train_tau_w:.3f} | {r.validation_tau_w:.3f} | "
            f"{r.cpu_s:.1f} | {r.shrinkage:.2f} |"
        )
    out = {"rows": rows, "seeds": args.seeds, "n_validation": len(tasks)}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1, default=lambda o: None if o is np.nan else float(o))
    return out


if __name__ == "__main__":
    main()
