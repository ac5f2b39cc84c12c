"""Build the glyph zoo: the package's built-in model zoo with fine-tuned ground truth.

Runs `skspider.datasets.build_glyph_zoo`: renders the glyph domains, pre-trains every PTM
and the general encoder, extracts features, samples the training tasks and their proxy
ranks, fine-tunes every PTM on every validation and test task (the ground truth), trains
the ranker, and writes the artifacts with a manifest (checksums, stage timings, report).
Every stage is cached in the work folder: rerun the same command to resume an interrupted
build. See ``docs/glyph_zoo.rst`` for the design, the time plan and the probe figures.

Usage::

    python benchmarks/build_glyph_zoo.py                      # the full zoo, into the package
    python benchmarks/build_glyph_zoo.py --threads 1 --jobs 2   # 2 idle cores (recommended)
    python benchmarks/build_glyph_zoo.py --quick --out /tmp/gz  # the tiny plan (seconds)
"""

from __future__ import annotations

import argparse
import json
import os
import time

from skspider.datasets import build_glyph_zoo


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the tiny plan (for tests)")
    parser.add_argument(
        "--out", default=None, help="artifact folder (default: skspider/datasets/data/glyph_zoo)"
    )
    parser.add_argument("--work", default=None, help="stage cache (default: next to --out)")
    parser.add_argument("--device", default="auto", help="torch device (default: auto)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes for the fine-tuning stage (CPU); 2 on a 2-core machine",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="write the manifest here too")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true", help="also pre-training losses")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    manifest = build_glyph_zoo(
        args.out,
        mode="tiny" if args.quick else "full",
        work_dir=args.work,
        device=args.device,
        n_threads=args.threads,
        n_jobs=args.jobs,
        random_state=args.seed,
        verbose=0 if args.quiet else (2 if args.verbose else 1),
    )
    print(
        f"Glyph zoo ({manifest['mode']}): {len(manifest['plan']['zoo'])} PTMs, "
        f"{manifest['size_bytes'] / 1e6:.1f} MB, load average at start {load}"
    )
    print("\n| stage | minutes |\n| --- | --- |")
    for stage, seconds in manifest["timings_s"].items():
        print(f"| {stage} | {seconds / 60:.2f} |")
    print(f"| this run (wall) | {(time.perf_counter() - start) / 60:.2f} |")
    print("\n| split | ceiling | split-half | prior | fixed (LOO) | proxy | best != prior top |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for split, r in manifest["report"].items():
        loo = "n/a" if r["fixed_loo_tau_w"] is None else f"{r['fixed_loo_tau_w']:.3f}"
        half = "n/a" if r["split_half_tau_w"] is None else f"{r['split_half_tau_w']:.3f}"
        print(
            f"| {split} | {r['ceiling_tau_w']:.3f} | {half} | {r['prior_tau_w']:.3f} | {loo} | "
            f"{r['proxy_tau_w']:.3f} | {r['share_best_not_prior_top']:.2f} |"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1)
    return manifest


if __name__ == "__main__":
    main()
