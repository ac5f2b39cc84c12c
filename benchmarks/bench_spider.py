"""Speed of SpiderRanker, and its sanity on the paper's figures.

Three measurements:

1. ``fit``: 100 tasks x 42 PTMs, 100 tokens of 3072-d input per task (the worst case of
   "up to 100"), at the defaults of `SpiderRanker` (``--paper`` for the authors' preset,
   `SpiderRanker.paper_params`). Target: under 60 s on a 2-core CPU. Also 200 tasks x 20
   PTMs of the synthetic generator (4-16 tokens of 64-d) at the defaults: under 30 s.
2. ``predict``: one task of 100 tokens over a 1000-PTM zoo, d_model=1024. Target: under
   50 ms. The PTM-only terms are computed once at the end of ``fit``.
3. ``sanity``: a constant token per task on the paper's 13 training tasks with the
   authors' preset (`SpiderRanker.paper_params`: d_model=1024, lr 2.5e-4 cosine to 5e-6,
   1560 steps of 16 tasks), mean tau_w on the 8 test sets, against the prior ranker and
   the exact Plackett-Luce optimum (0.7547).

Run ``python benchmarks/bench_spider.py [--json PATH] [--quick]``; timings use
`time.perf_counter` and torch's default number of threads (``--threads`` to change it).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np
import torch

from skspider.datasets import load_model_spider, make_ranking_problem
from skspider.dummy import PriorRanker
from skspider.metrics import mean_weighted_tau
from skspider.spider import SpiderRanker


def bench_fit(n_tasks, n_models, n_tokens, n_features, params, device="cpu", seed=0):
    rng = np.random.default_rng(seed)
    X = [rng.normal(size=(n_tokens, n_features)).astype(np.float32) for _ in range(n_tasks)]
    Y = rng.normal(size=(n_tasks, n_models))
    ranker = SpiderRanker(**params, random_state=0, device=device)
    tic, cpu = time.perf_counter(), time.process_time()
    ranker.fit(X, Y)
    seconds, cpu = time.perf_counter() - tic, time.process_time() - cpu
    return {
        "n_tasks": n_tasks,
        "n_models": n_models,
        "n_tokens": n_tokens,
        "n_features": n_features,
        "d_model": ranker.d_model,
        "max_iter": ranker.max_iter,
        "epochs": ranker.n_epochs_,
        "fit_s": seconds,
        # CPU seconds of all threads: on a machine shared with other jobs, cpu_s / threads
        # bounds what the wall time would be without them.
        "cpu_s": cpu,
    }


def bench_generator_fit(n_tasks, n_models, params, device="cpu", seed=0):
    data = make_ranking_problem(n_tasks=n_tasks, n_models=n_models, interaction=1.0,
                                random_state=seed)  # fmt: skip
    ranker = SpiderRanker(**params, random_state=0, device=device)
    tic, cpu = time.perf_counter(), time.process_time()
    ranker.fit(data.tasks, data.proxy_ranks)
    seconds, cpu = time.perf_counter() - tic, time.process_time() - cpu
    return {"n_tasks": n_tasks, "n_models": n_models, "d_model": ranker.d_model,
            "max_iter": ranker.max_iter, "fit_s": seconds, "cpu_s": cpu}  # fmt: skip


def bench_predict(n_models, n_tokens, n_features, d_model, repeats, device="cpu", seed=0):
    rng = np.random.default_rng(seed)
    X = [rng.normal(size=(n_tokens, n_features)).astype(np.float32) for _ in range(4)]
    Y = rng.normal(size=(4, n_models))
    ranker = SpiderRanker(d_model=d_model, max_iter=1, random_state=0, device=device)
    ranker.fit(X, Y)
    task = [rng.normal(size=(n_tokens, n_features)).astype(np.float32)]
    tic = time.perf_counter()
    ranker.predict(task)
    first = time.perf_counter() - tic
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        scores = ranker.predict(task)
        times.append(time.perf_counter() - tic)
    assert scores.shape == (1, n_models)
    return {
        "n_models": n_models,
        "n_tokens": n_tokens,
        "n_features": n_features,
        "d_model": d_model,
        "first_ms": first * 1e3,
        "median_ms": statistics.median(times) * 1e3,
        "best_ms": min(times) * 1e3,
        "repeats": repeats,
    }


def bench_sanity(seeds, params, device="cpu"):
    data = load_model_spider()
    Y = data.proxy_ranks_single_source.loc[data.train_tasks]
    truth = data.finetune_single_source.loc[data.test_datasets, data.models]
    X_train, X_test = np.ones((13, 1)), np.ones((8, 1))
    prior = mean_weighted_tau(truth, PriorRanker().fit(X_train, Y).predict(X_test))
    taus, seconds = [], []
    for seed in seeds:
        tic = time.perf_counter()
        ranker = SpiderRanker(**params, random_state=seed, device=device)
        ranker.fit(X_train, Y)
        seconds.append(time.perf_counter() - tic)
        taus.append(mean_weighted_tau(truth, ranker.predict(X_test)))
    return {
        "prior_tau_w": prior,
        "d_model": params["d_model"],
        "max_iter": params["max_iter"],
        "seeds": list(seeds),
        "tau_w": taus,
        "tau_w_mean": float(np.mean(taus)),
        "tau_w_std": float(np.std(taus)),
        "fit_s_mean": float(np.mean(seconds)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--device", default="cpu", help="SpiderRanker's device")
    parser.add_argument("--repeats", type=int, default=20, help="predict repeats")
    parser.add_argument("--paper", action="store_true",
                        help="fit with the authors' preset instead of the defaults")  # fmt: skip
    parser.add_argument("--skip", nargs="*", default=[], choices=["fit", "predict", "sanity"])
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    q = args.quick
    results = {
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "device": args.device,
            "processor": platform.processor() or platform.machine(),
        }
    }
    params = SpiderRanker.paper_params() if args.paper else {}
    if q:
        params = {**params, "d_model": 16, "max_iter": 5}
    if "fit" not in args.skip:
        # --quick is a smoke test of the script (seconds), not a measurement.
        results["fit"] = bench_fit(
            8 if q else 100, 10 if q else 42, 10 if q else 100, 32 if q else 3072, params,
            args.device,
        )  # fmt: skip
        r = results["fit"]
        print(f"fit      {r['n_tasks']} tasks x {r['n_models']} PTMs x {r['n_tokens']} tokens "
              f"x {r['n_features']}-d, d={r['d_model']}, {r['max_iter']} steps "
              f"({r['epochs']} epochs): {r['fit_s']:.1f} s, {r['cpu_s']:.1f} CPU s "
              "(target < 60 s)")  # fmt: skip
        results["fit_generator"] = bench_generator_fit(
            20 if q else 200, 5 if q else 20, params, args.device
        )
        r = results["fit_generator"]
        print(f"fit      generator, {r['n_tasks']} tasks x {r['n_models']} PTMs, "
              f"d={r['d_model']}, {r['max_iter']} steps: {r['fit_s']:.1f} s, "
              f"{r['cpu_s']:.1f} CPU s (target < 30 s)")  # fmt: skip
    if "predict" not in args.skip:
        results["predict"] = bench_predict(
            20 if q else 1000, 20 if q else 100, 32 if q else 3072, 16 if q else 1024,
            min(args.repeats, 3) if q else args.repeats, args.device,
        )  # fmt: skip
        r = results["predict"]
        print(f"predict  1 task x {r['n_tokens']} tokens over {r['n_models']} PTMs, "
              f"d={r['d_model']}: median {r['median_ms']:.1f} ms, best {r['best_ms']:.1f} ms, "
              f"first call {r['first_ms']:.1f} ms (target < 50 ms)")  # fmt: skip
    if "sanity" not in args.skip:
        paper = SpiderRanker.paper_params()
        if q:
            paper = {**paper, "d_model": 16, "max_iter": 20}
        results["sanity"] = bench_sanity(range(1 if q else 5), paper, args.device)
        r = results["sanity"]
        print(f"sanity   constant tokens, authors' preset, d={r['d_model']}, "
              f"{r['max_iter']} steps: tau_w {r['tau_w_mean']:.4f} +- "
              f"{r['tau_w_std']:.4f} over seeds {r['seeds']} "
              f"({', '.join(f'{t:.4f}' for t in r['tau_w'])}); prior {r['prior_tau_w']:.4f}; "
              f"fit {r['fit_s_mean']:.1f} s")  # fmt: skip
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
