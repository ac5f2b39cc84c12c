"""`skspider build-zoo`: build the glyph zoo (resumable, stage by stage)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from ._common import EXIT_OK, CLIError, check_device, print_json

# Kept here (not imported from the package) so that arguments are checked before torch.
MODES = ("full", "tiny")
STAGES = ("render", "pretrain", "encoder", "features", "truth", "proxy", "ranker", "artifacts")

DESCRIPTION = """\
Build the glyph zoo: render the tasks of its domain split, pre-train the PTMs and the
general encoder, run every network over every task, fine-tune every PTM on every task (the
truth), score the transferability estimators, train the ranker on the training tasks'
records, choose its re-ranking k on the validation tasks, and write the artifacts with
their manifest and report. Every stage is cached in the work folder under a fingerprint of
its inputs: rerun the same command to resume, or after changing the plan to recompute only
what the change reaches. The full plan took about 3 hours on 2 shared CPU cores (--jobs 2)
with --reuse of its pre-trained networks, most of it fine-tuning (pre-training them adds
about 80 CPU minutes); --mode tiny builds a miniature in under a minute."""

EPILOG = """\
examples:
  skspider build-zoo --jobs 2 --threads 1          # into ~/.cache/skspider/glyph_zoo/full/zoo
  skspider build-zoo --mode tiny --out /tmp/gz
  skspider build-zoo --until truth                 # the long stages first
  skspider build-zoo --reuse skspider/datasets/data/glyph_zoo   # keep its pre-trained PTMs
  skspider build-zoo --out skspider/datasets/data/glyph_zoo     # update the shipped copy"""


def add_parser(subparsers: Any, parents: list) -> None:
    p = subparsers.add_parser(
        "build-zoo",
        parents=parents,
        help="build the glyph zoo (resumable)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--mode", choices=MODES, default="full", help="the plan (full)")
    p.add_argument("--out", metavar="DIR", help="artifact folder (default: a user cache folder)")
    p.add_argument("--work", metavar="DIR", help="stage cache (default: a user cache folder)")
    p.add_argument(
        "--reuse",
        metavar="DIR",
        help="a built zoo whose pre-trained PTMs and encoder this plan can take",
    )
    p.add_argument("--until", choices=STAGES, help="stop after this stage")
    p.add_argument("--device", default="auto", help="torch device (auto)")
    p.add_argument("--threads", type=int, help="torch CPU threads of the build")
    p.add_argument("--jobs", type=int, default=1, help="processes for fine-tuning (1)")
    p.add_argument("--seed", type=int, default=0, help="the build's seed (0)")
    p.set_defaults(handler=run)


def check_args(args: argparse.Namespace) -> None:
    """Every argument checked before torch loads."""
    for name in ("threads", "jobs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise CLIError(f"--{name} must be at least 1, got {value}.")
    if args.seed < 0:
        raise CLIError(f"--seed must be >= 0, got {args.seed}.")
    check_device(args.device)
    if args.reuse is not None and not (Path(args.reuse) / "manifest.json").is_file():
        raise CLIError(f"--reuse {args.reuse!r} is not a built zoo (no manifest.json there).")
    for name in ("out", "work"):
        value = getattr(args, name)
        if value is None:
            continue
        path = Path(value)
        if path.exists() and not path.is_dir():
            raise CLIError(f"--{name} {value!r} exists and is not a folder.")
        parent = next((p for p in (path, *path.parents) if p.exists()), None)
        if parent is None or not os.access(parent, os.W_OK):
            raise CLIError(f"--{name} {value!r} cannot be written.")


def run(args: argparse.Namespace) -> int:
    from ..datasets import build_glyph_zoo

    start = time.perf_counter()
    manifest = build_glyph_zoo(
        args.out, mode=args.mode, work_dir=args.work, reuse=args.reuse, until=args.until,
        device=args.device, n_threads=args.threads, n_jobs=args.jobs, random_state=args.seed,
        verbose=max(1, args.verbose) if not args.json else args.verbose,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if manifest is None:
        summary = {"stopped_after": args.until, "seconds": seconds}
    else:
        summary = {
            "out": str(args.out) if args.out else None,
            "mode": manifest["mode"],
            "ptms": len(manifest["plan"]["zoo"]),
            "size_mb": manifest["size_bytes"] / 1e6,
            "stage_minutes": {k: v / 60 for k, v in manifest["timings_s"].items()},
            "seconds": seconds,
            "report": manifest["report"],
        }
    if args.json:
        print_json(summary)
        return EXIT_OK
    if manifest is None:
        print(f"stopped after the {args.until} stage ({seconds / 60:.1f} min)")
        return EXIT_OK
    print(f"glyph zoo ({manifest['mode']}): {summary['ptms']} PTMs, {summary['size_mb']:.1f} MB")
    print("| stage | minutes |\n| --- | --- |")
    for stage, minutes in summary["stage_minutes"].items():
        print(f"| {stage} | {minutes:.2f} |")
    print(f"| this run (wall) | {seconds / 60:.2f} |")
    print("\n| split | noise ceiling | leaderboard prior | headroom | best != top |")
    print("| --- | --- | --- | --- | --- |")
    for split in ("validation", "test"):
        r = manifest["report"].get(split)
        if r:
            print(
                f"| {split} | {r['noise_ceiling_tau_w']:.3f} | "
                f"{r['leaderboard_prior_tau_w']:.3f} | {r['headroom_tau_w']:.3f} | "
                f"{r['share_best_not_leaderboard_top']:.2f} |"
            )
    print(file=sys.stderr)
    return EXIT_OK
