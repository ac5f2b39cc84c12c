"""Speed of SpiderRanker, and its sanity on the paper's figures.

Three measurements (issue 4):

1. ``fit``: 100 tasks x 42 PTMs, 100 tokens of 3072-d input per task (the worst case of
   "up to 100"), d_model=1024, 30 epochs. Target: under 60 s on a 2-core CPU.
2. ``predict``: one task of 100 tokens over a 1000-PTM zoo. Target: under 50 ms. The first
   call after fitting also computes the PTM-only terms (cached until the weights change);
   it is reported apart from the median and best of the repeats.
3. ``sanity``: a constant token per task on the paper's 13 training tasks, the released
   configuration (d_model=1024, lr 2.5e-4 cosine to 5e-6, 30 epochs, batches of 16, each
   task repeated ``--episodes`` times per epoch as the released script's episodes), mean
   tau_w on the 8 test sets, against the prior ranker and the exact Plackett-Luce optimum.

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

from skspider.datasets import load_model_spider
from skspider.dummy import PriorRanker
from skspider.metrics import mean_weighted_tau
from skspider.spider import SpiderRanker


def bench_fit(n_tasks, n_models, n_tokens, n_features, d_model, epochs, device="cpu", seed=0):
    rng = np.random.default_rng(seed)
    X = [rng.normal(size=(n_tokens, n_features)).astype(np.float32) for _ in range(n_tasks)]
    Y = rng.normal(size=(n_tasks, n_models))
    ranker = SpiderRanker(d_model=d_model, max_epochs=epochs, random_state=0, device=device)
    tic, cpu = time.perf_counter(), time.process_time()
    ranker.fit(X, Y)
    seconds, cpu = time.perf_counter() - tic, time.process_time() - cpu
    return {
        "n_tasks": n_tasks,
        "n_models": n_models,
        "n_tokens": n_tokens,
        "n_features": n_features,
        "d_model": d_model,
        "epochs": epochs,
        "fit_s": seconds,
        # CPU seconds of all threads: on a machine shared with other jobs, cpu_s / threads
        # bounds what the wall time would be without them.
        "cpu_s": cpu,
    }


def bench_predict(n_models, n_tokens, n_features, d_model, repeats, device="cpu", seed=0):
    rng = np.random.default_rng(seed)
    X = [rng.normal(size=(n_tokens, n_features)).astype(np.float32) for _ in range(4)]
    Y = rng.normal(size=(4, n_models))
    ranker = SpiderRanker(d_model=d_model, max_epochs=1, random_state=0, device=device)
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


def bench_sanity(seeds, episodes, d_model, epochs):
    data = load_model_spider()
    Y = data.proxy_ranks_single_source.loc[data.train_tasks]
    truth = data.finetune_single_source.loc[data.test_datasets, data.models]
    X_test = np.ones((8, 1))
    prior = mean_weighted_tau(truth, PriorRanker().fit(np.ones((13, 1)), Y).predict(X_test))
    Y_rep = Y.iloc[np.tile(np.arange(13), episodes)]
    X_rep = np.ones((len(Y_rep), 1))
    taus, seconds = [], []
    for seed in seeds:
        tic = time.perf_counter()
        ranker = SpiderRanker(d_model=d_model, max_epochs=epochs, random_state=seed)
        ranker.fit(X_rep, Y_rep)
        seconds.append(time.perf_counter() - tic)
        taus.append(mean_weighted_tau(truth, ranker.predict(X_test)))
    return {
        "prior_tau_w": prior,
        "episodes": episodes,
        "d_model": d_model,
        "epochs": epochs,
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
    if "fit" not in args.skip:
        # --quick is a smoke test of the script (seconds), not a measurement.
        results["fit"] = bench_fit(
            8 if q else 100, 10 if q else 42, 10 if q else 100, 32 if q else 3072,
            16 if q else 1024, 1 if q else 30, args.device,
        )  # fmt: skip
        r = results["fit"]
        print(f"fit      {r['n_tasks']} tasks x {r['n_models']} PTMs x {r['n_tokens']} tokens "
              f"x {r['n_features']}-d, d={r['d_model']}, {r['epochs']} epochs: "
              f"{r['fit_s']:.1f} s, {r['cpu_s']:.1f} CPU s (target < 60 s)")  # fmt: skip
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
        results["sanity"] = bench_sanity(
            range(1 if q else 5), 1 if q else 64, 16 if q else 1024, 3 if q else 30
        )
        r = results["sanity"]
        print(f"sanity   constant tokens, d={r['d_model']}, {r['epochs']} epochs, "
              f"{r['episodes']} episodes/task: tau_w {r['tau_w_mean']:.4f} +- "
              f"{r['tau_w_std']:.4f} over seeds {r['seeds']} "
              f"({', '.join(f'{t:.4f}' for t in r['tau_w'])}); prior {r['prior_tau_w']:.4f}; "
              f"fit {r['fit_s_mean']:.1f} s")  # fmt: skip
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
