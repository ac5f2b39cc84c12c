"""Time every transferability estimator over a grid of task sizes.

Every estimator found by ``skspider.utils.all_estimators(type_filter="transferability")``
is timed (so baselines added later are picked up with no change here), fed float32
features or source probabilities according to its ``input_kind``. An estimator whose
constructor needs arguments gets them from ``EXTRA_KWARGS`` below, and one whose ``fit``
needs side data (its ``side_inputs()``, e.g. OTCE's source set) from ``FIT_PARAMS`` (add an
entry when you add such an estimator); one that cannot be built or fails on the synthetic
data is skipped with the reason printed and recorded.

Usage::

    python benchmarks/bench_estimators.py                 # quick grid, a few minutes
    python benchmarks/bench_estimators.py --full          # up to N=20000, D=2048, C=100
    python benchmarks/bench_estimators.py --quick         # one tiny cell: a smoke test
    python benchmarks/bench_estimators.py --estimators LogME HScore --repeat 3

Writes ``bench_estimators.json`` and ``bench_estimators.md`` to ``--out`` (default
``benchmarks/results/``) and prints the markdown table. Times are the best of ``--repeat``
runs (``time.perf_counter``), in seconds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from skspider.transferability import BaseTransferabilityEstimator
from skspider.utils import all_estimators, progress_bar


# Constructor arguments (EXTRA_KWARGS) and side data passed to fit (FIT_PARAMS) for
# estimators that need some: name -> kwargs, or a function of the task's (X, y) returning
# kwargs (for arguments that depend on the grid point). Keep entries documented.
def _otce_source(X, y):
    # A source set of the same width and size (OTCE's transport is then an assignment
    # problem; unequal sizes need a linear program, far slower at these N), shifted, with
    # its own labels.
    rng = np.random.default_rng(1)
    rows = rng.permutation(len(X))
    return {"source_features": X[rows] + 0.5, "source_labels": y[rows] % 5}


EXTRA_KWARGS: dict = {
    "NLEEP": {"random_state": 0},
}
FIT_PARAMS: dict = {
    "OTCE": _otce_source,
}

SMOKE = {"N": [200], "D": [32], "C": [5]}  # --quick: a smoke test of the script (seconds)
QUICK = {"N": [1000, 4000], "D": [128, 512], "C": [10, 50]}
FULL = {"N": [1000, 5000, 20000], "D": [512, 2048], "C": [10, 100]}


def make_task(n, d, c, n_source, seed=0):
    """Float32 features and source probabilities whose quality depends on the labels."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % c)
    centres = rng.normal(size=(c, d)).astype(np.float32)
    X = np.maximum(rng.normal(size=(n, d)).astype(np.float32) + 0.5 * centres[y], 0.0)
    logits = rng.normal(size=(n, n_source)) + 2.0 * rng.normal(size=(c, n_source))[y]
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    return X, y, P.astype(np.float32)


def estimators(names=None):
    out = []
    for name, cls in all_estimators(type_filter="transferability"):
        if not issubclass(cls, BaseTransferabilityEstimator):
            continue  # e.g. TransferabilityRanker
        if names and name not in names:
            continue
        out.append((name, cls))
    return out


def time_one(est, X, y, repeat, fit_params=None):
    best, score = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        score = est.score(X, y, **(fit_params or {}))
        best = min(best, time.perf_counter() - t0)
    return best, score


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the full grid")
    parser.add_argument(
        "--quick", action="store_true", help="one tiny cell and 20 source classes (a smoke test)"
    )
    parser.add_argument("--estimators", nargs="*", help="names to time (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell (best kept)")
    parser.add_argument("--source-classes", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--json", type=Path, default=None, help="JSON path (overrides --out)")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar (on stderr by default)"
    )
    args = parser.parse_args(argv)
    grid = FULL if args.full else SMOKE if args.quick else QUICK
    if args.quick:
        args.source_classes = min(args.source_classes, 20)

    rows, skipped = [], {}
    found = estimators(args.estimators)
    cells = list(itertools.product(grid["N"], grid["D"], grid["C"]))
    bar = progress_bar(
        len(cells) * len(found), desc="bench_estimators", verbose=not args.quiet, unit="run"
    )
    for n, d, c in cells:
        X, y, P = make_task(n, d, c, args.source_classes)
        for name, cls in found:
            bar.set_postfix(estimator=name, N=n, D=d, C=c)
            bar.update()
            if name in skipped:
                continue
            try:
                extra = EXTRA_KWARGS.get(name, {})
                est = cls(**(extra(X, y) if callable(extra) else extra))
                data = P if est.input_kind == "probas" else X
                side = FIT_PARAMS.get(name, {})
                side = side(X, y) if callable(side) else side
                seconds, score = time_one(est, data, y, args.repeat, side)
            except Exception as exc:  # report and move on: one estimator must not stop all
                skipped[name] = f"{type(exc).__name__}: {exc}"
                bar.write(f"skipping {name}: {skipped[name]}", file=sys.stdout)
                continue
            rows.append(
                {"estimator": name, "N": n, "D": d, "C": c, "seconds": seconds, "score": score}
            )
            bar.write(
                f"{name:>12} N={n:>6} D={d:>5} C={c:>4}  {seconds:8.3f} s  score={score:.6g}",
                file=sys.stdout,
            )

    bar.close()
    names = sorted({r["estimator"] for r in rows})
    cells = sorted({(r["N"], r["D"], r["C"]) for r in rows})
    lookup = {(r["estimator"], r["N"], r["D"], r["C"]): r["seconds"] for r in rows}
    lines = ["| N | D | C | " + " | ".join(names) + " |", "|---" * (3 + len(names)) + "|"]
    for n, d, c in cells:
        vals = [f"{lookup[(e, n, d, c)]:.3f}" if (e, n, d, c) in lookup else "-" for e in names]
        lines.append(f"| {n} | {d} | {c} | " + " | ".join(vals) + " |")
    table = "\n".join(lines)
    print("\nseconds (best of", args.repeat, "run(s), float32 input)\n")
    print(table)
    for name, why in skipped.items():
        print(f"skipped {name}: {why}")

    json_path = args.json or args.out / "bench_estimators.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "machine": platform.platform(),
        "processor": platform.processor(),
        "repeat": args.repeat,
    }
    json_path.write_text(json.dumps({"meta": meta, "rows": rows, "skipped": skipped}, indent=2))
    if args.json is None:
        (args.out / "bench_estimators.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
