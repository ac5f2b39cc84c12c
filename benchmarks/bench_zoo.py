"""Throughput of feature extraction, and scaling of proxy ranks with n_jobs.

1. ``extract_features`` (forward hook, float32 copy into a preallocated output) against a
   bare ``model(x)`` loop over the same batches of the same tensor, both under
   ``torch.inference_mode`` on the CPU; the ratio of the best of ``--repeats`` timings is
   reported (target: within 10%), for wall time and for the process's CPU time (steadier on
   a shared machine). Also timed: the same extraction written to an on-disk
   `FeatureCache` (memory-mapped output, atomic commit).
2. ``proxy_ranks`` for ``--tasks`` sampled tasks x ``--models`` PTMs whose features and
   source probabilities are cached on disk (lazy loaders), with ``n_jobs`` = 1 and 2.
   Estimators: LogME, LEEP, NCE and HScore from `skspider.transferability` when they are
   available; otherwise (a branch without them) a feature estimator (H-score) and a
   probability estimator (NCE) defined in this script, as the output says. BLAS is limited
   to one thread per process (threadpoolctl; joblib's workers do the same), so the
   comparison measures joblib's parallelism, not BLAS oversubscription.

Timings on a shared machine are noisy: the load average at start is recorded.

Usage::

    python benchmarks/bench_zoo.py
    python benchmarks/bench_zoo.py --json benchmarks/results/bench_zoo.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from scipy.special import softmax
from torch import nn

from skspider.base import Task
from skspider.tasks import proxy_ranks, sample_tasks
from skspider.zoo import FeatureCache, extract_features


# -- 1. extraction -----------------------------------------------------------------------------
def small_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(64, 128, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(128, 100),
    ).eval()


def bare_loop(model: nn.Module, x: torch.Tensor, batch_size: int) -> None:
    with torch.inference_mode():
        for start in range(0, len(x), batch_size):
            model(x[start : start + batch_size])


def bench_extraction(n: int, batch_size: int, size: int, repeats: int) -> dict:
    model = small_cnn()
    x = torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(0))
    bare_loop(model, x[: 2 * batch_size], batch_size)  # warm-up (allocator, kernels)
    times = {"bare": [], "extract": [], "extract+cache": []}
    cpu = {key: [] for key in times}

    def timed(key, fn):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times[key].append(time.perf_counter() - t0)
        cpu[key].append(time.process_time() - c0)

    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            # Interleaved, so a load spike on a shared machine hits all three alike.
            timed("bare", lambda: bare_loop(model, x, batch_size))
            timed(
                "extract", lambda: extract_features(model, x, batch_size=batch_size, device="cpu")
            )
            # A new dataset key per repeat: every run computes and commits a fresh entry.
            timed(
                "extract+cache",
                lambda r=r: extract_features(
                    model, x, batch_size=batch_size, device="cpu", cache=tmp, dataset_key=f"b{r}"
                ),
            )
    best = {k: min(v) for k, v in times.items()}
    best_cpu = {k: min(v) for k, v in cpu.items()}
    return {
        "best_cpu_s": best_cpu,
        "cpu_ratio_extract_vs_bare": best_cpu["extract"] / best_cpu["bare"],
        "cpu_ratio_cached_vs_bare": best_cpu["extract+cache"] / best_cpu["bare"],
        "n_samples": n,
        "batch_size": batch_size,
        "input": [3, size, size],
        "repeats": repeats,
        "best_s": best,
        "samples_per_s": {k: n / v for k, v in best.items()},
        "ratio_extract_vs_bare": best["extract"] / best["bare"],
        "ratio_cached_vs_bare": best["extract+cache"] / best["bare"],
    }


# -- 2. proxy ranks ----------------------------------------------------------------------------
# The package's default proxy estimators (proxy_ranks resolves them by name).
PROXY_ESTIMATORS = ["LogME", "LEEP", "NCE", "HScore"]


def build_cached_pools(cache: FeatureCache, n_models: int, n_pools: int, rng) -> list[Task]:
    """Pools whose per-PTM features/probas live in the cache (written once, as a zoo would)."""
    pools = []
    for p in range(n_pools):
        n_classes, per_class = 30, 40
        y = np.repeat(np.arange(n_classes), per_class)
        feats, probas = {}, {}
        for m in range(n_models):
            name = f"ptm{m:02d}"
            d = (32, 64, 128, 256)[m % 4]
            centres = rng.normal(size=(n_classes, d)) * (0.2 + 0.05 * m)
            f = (centres[y] + rng.normal(size=(len(y), d))).astype(np.float32)
            logits = rng.normal(size=(len(y), 100))
            logits[np.arange(len(y)), (y * 3 + m) % 100] += 0.1 * m
            with cache.writer(name, "v1", f"pool{p}", "none", n_samples=len(y)) as w:
                w.write("features", f)
                w.write("probas", softmax(logits, axis=1))
            feats[name] = cache.loader(name, "v1", f"pool{p}", "none", "features")
            probas[name] = cache.loader(name, "v1", f"pool{p}", "none", "probas")
        pools.append(Task(y=y, name=f"pool{p}", model_features=feats, model_probas=probas))
    return pools


def bench_proxy(n_tasks: int, n_models: int, repeats: int) -> dict:
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    estimators = PROXY_ESTIMATORS
    out = {"n_tasks": n_tasks, "n_models": n_models, "estimators": estimators, "seconds": {}}
    with tempfile.TemporaryDirectory() as tmp:
        pools = build_cached_pools(FeatureCache(tmp), n_models, 3, rng)
        tasks = sample_tasks(pools, n_tasks=n_tasks, n_way=10, n_shot=20, random_state=0)
        out["samples_per_task"] = tasks[0].n_samples
        reference = None
        for n_jobs in (1, 2):
            best = np.inf
            for _ in range(repeats):
                with threadpool_limits(limits=1, user_api="blas"):
                    t0 = time.perf_counter()
                    ranks = proxy_ranks(tasks, estimators, n_jobs=n_jobs)
                    best = min(best, time.perf_counter() - t0)
            if reference is None:
                reference = ranks
            assert ranks.equals(reference), "n_jobs changed the proxy ranks"
            out["seconds"][str(n_jobs)] = best
    out["speedup_2_vs_1"] = out["seconds"]["1"] / out["seconds"]["2"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-samples", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5, help="extraction repeats (best of)")
    parser.add_argument(
        "--proxy-repeats", type=int, default=2, help="best of; >= 2 excludes worker start-up"
    )
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes, one repeat (a smoke test, seconds)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.batch_size, args.image_size = 64, 32, 16
        args.tasks, args.models, args.repeats, args.proxy_repeats = 2, 2, 1, 1
    if args.threads:
        torch.set_num_threads(args.threads)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    extraction = bench_extraction(args.n_samples, args.batch_size, args.image_size, args.repeats)
    proxy = bench_proxy(args.tasks, args.models, args.proxy_repeats)

    print("\n## Feature extraction (CPU, small CNN)\n")
    print(f"torch threads: {torch.get_num_threads()}\n")
    print("| loop | best wall s | samples/s | wall ratio to bare | best CPU s | CPU ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for key in ("bare", "extract", "extract+cache"):
        s, c = extraction["best_s"][key], extraction["best_cpu_s"][key]
        print(
            f"| {key} | {s:.3f} | {extraction['samples_per_s'][key]:.0f} | "
            f"{s / extraction['best_s']['bare']:.3f} | {c:.3f} | "
            f"{c / extraction['best_cpu_s']['bare']:.3f} |"
        )
    print(f"\n## Proxy ranks: {proxy['n_tasks']} tasks x {proxy['n_models']} PTMs (cached)\n")
    print(f"estimators: {proxy['estimators']}; {proxy['samples_per_task']} samples per task\n")
    print("| n_jobs | best s |")
    print("| --- | --- |")
    for n_jobs, s in proxy["seconds"].items():
        print(f"| {n_jobs} | {s:.2f} |")
    print(f"\nspeedup n_jobs=2 vs 1: {proxy['speedup_2_vs_1']:.2f}x")
    print(f"(load average at start: {load})")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "extraction": extraction,
            "proxy_ranks": proxy,
            "machine": {
                "cpus": os.cpu_count(),
                "torch_threads": torch.get_num_threads(),
                "load_average_at_start": load,
                "python": platform.python_version(),
                "torch": torch.__version__,
            },
        }
        args.json.write_text(json.dumps(payload, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
