"""The glyph zoo benchmark: every ranker on the zoo's test tasks (or on new tasks of the test
design), through the one evaluation protocol."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["zoo_benchmark"]

QUICK_ESTIMATORS = ("LogME", "LEEP")
MAIN_RANKERS = ("spider", "spider+rerank", "spider+LogME", "prior", "proxy prior", "LogME", "PARC")


def zoo_benchmark(
    data: Any = None,
    *,
    data_dir: str | None = None,
    n_tasks: int | None = None,
    new_tasks: int = 0,
    seed: int = 1,
    estimators: Sequence[str] | None = None,
    k: int | None = None,
    device: str = "cpu",
    work_dir: str | None = None,
    n_jobs: int = 1,
    verbose: int = 0,
) -> dict:
    """Run the benchmark: every ranker of `make_rankers` on the test tasks.

    Parameters
    ----------
    data : GlyphZoo, default=None
        The loaded zoo (None: ``load_glyph_zoo(data_dir)``).
    data_dir : str, default=None
        A built zoo's folder (None: the shipped zoo).
    n_tasks : int, default=None
        The first ``n_tasks`` test tasks only.
    new_tasks : int, default=0
        Rank ``new_tasks`` NEW tasks of the test design instead (made with
        `make_glyph_task` from seed ``seed``, their truth fine-tuned here with the build's
        protocol and the seeds of its test tasks: minutes per task on a CPU, cached in
        ``work_dir``).
    seed : int, default=1
        The seed of the new tasks (the build's own tasks come from seed 0).
    estimators : sequence of str, default=None
        Transferability estimators (None: every one).
    k : int, default=None
        Re-ranking k (None: the one chosen on the validation tasks by the build).
    device : str, default="cpu"
        Where the forward passes run.
    work_dir : str, default=None
        Cache of the new tasks' fine-tuning runs.
    n_jobs : int, default=1
        Processes for the new tasks' fine-tuning runs.
    verbose : int, default=0
        Progress bars.

    Returns
    -------
    result : dict
        ``table`` (`evaluate_rankers`' tidy table), ``summary`` (per ranker),
        ``ceiling`` (the noise ceiling of the ranked tasks' own truth), ``skipped``,
        ``notes``, ``tasks`` and ``machine``.
    """
    import torch

    from ..datasets import load_glyph_zoo
    from ..datasets.glyph_zoo import noise_ceiling
    from ..evaluation import evaluate_rankers, make_rankers, summarize_evaluation

    if data is None:
        data = load_glyph_zoo(data_dir)
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    if new_tasks:
        tasks = data.new_tasks(new_tasks, random_state=seed)
        runs = data.fine_tune(tasks, work_dir=work_dir, n_jobs=n_jobs, verbose=verbose)
        from ..datasets.glyph_zoo import truth_tables

        truth, per_seed = truth_tables(runs, "test", lrs=data.best_lr)
        which = f"{len(tasks)} new tasks of the test design (seed {seed})"
    else:
        tasks = data.test_tasks[:n_tasks] if n_tasks else data.test_tasks
        names = [t.name for t in tasks]
        truth = data.truth.loc[names]
        per_seed = {s: t.loc[names] for s, t in data.truth_seeds.items()}
        which = f"{len(tasks)} test tasks"
    rerank_k = int(data.rerank.get("k", 0)) if k is None else int(k)
    estimator_k = data.rerank_estimator.get("k")
    rankers, skipped = make_rankers(
        data.ranker, train_tokens=data.train_tokens, train_labels=data.train_truth,
        proxy_labels=data.proxy_train, metadata=data.zoo.metadata(), rerank_k=rerank_k,
        estimator_rerank_k=estimator_k,
        estimator_rerank=data.rerank_estimator.get("estimator", "LogME"),
        estimators=estimators,
    )  # fmt: skip
    notes = {
        "rerank_k": rerank_k,
        "rerank_k_chosen_on": "validation tasks (build)" if k is None else "given",
        "estimator_rerank": data.rerank_estimator,
    }
    loader = data.feature_loader(device=device)
    with warnings.catch_warnings():
        # A failing (task, PTM) fit is scored NaN (ranked last) and counted below.
        warnings.simplefilter("ignore")
        table = evaluate_rankers(rankers, tasks, truth, loader=loader, verbose=verbose)
    summary = summarize_evaluation(table)
    machine = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "load_average_start": load_start,
        "load_average_end": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }
    return {
        "which": which,
        "tasks": [t.name for t in tasks],
        "table": table,
        "summary": summary,
        "ceiling": noise_ceiling(per_seed),
        "n_seeds": len(per_seed),
        "skipped": skipped,
        "notes": notes,
        "machine": machine,
    }


def markdown(result: dict) -> str:
    """The result as markdown: the summary table, the notes, the per-task tau_w of the main
    rankers."""
    s = result["summary"]
    lines = [
        "| ranker | mean tau_w | std | top-1 regret (acc. pts) | seconds / task | "
        "CPU s / task | PTM passes / task |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in s.iterrows():
        lines.append(
            f"| {name} | {r['tau_w']:.3f} | {r['tau_w_std']:.3f} | "
            f"{100 * r['top1_regret']:.2f} | {r['seconds']:.4f} | {r['cpu_seconds']:.4f} | "
            f"{r['forward_passes']:.1f} |"
        )
    lines.append(
        f"| (noise ceiling, {result['n_seeds']} seeds) | {result['ceiling']:.3f} | | | | | |"
    )
    lines.append("")
    if "rerank_k" in result["notes"]:
        lines.append(
            f"spider+rerank: k = {result['notes']['rerank_k']}, "
            f"{result['notes']['rerank_k_chosen_on']}."
        )
    est = result["notes"].get("estimator_rerank") or {}
    if est.get("k") is not None:
        lines.append(
            f"spider+{est['estimator']}: {est['estimator']} on Spider's top k = {est['k']}, "
            "k chosen on the validation tasks (build) among "
            f"{', '.join(est.get('validation_tau_w_by_k', {}))}."
        )
    for name, reason in result["skipped"].items():
        lines.append(f"skipped {name}: {reason}.")
    table = result["table"]
    main = [m for m in MAIN_RANKERS if m in set(table["ranker"])]
    wide = table.pivot(index="task", columns="ranker", values="tau_w").loc[result["tasks"], main]
    lines += ["", "Per-task tau_w:", "", "| task | " + " | ".join(main) + " |"]
    lines.append("| --- " * (len(main) + 1) + "|")
    for task, row in wide.iterrows():
        lines.append(f"| {task} | " + " | ".join(f"{v:.3f}" for v in row) + " |")
    return "\n".join(lines)


def plot(result: dict, path: str, clock: str = "wall") -> None:
    """tau_w against the seconds per task of every ranker (higher and further left is
    better), the noise ceiling of the ranked tasks drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import TauTimeDisplay

    column = "seconds" if clock == "wall" else "cpu_seconds"
    frame = result["summary"][["tau_w", column, "tau_w_std", "n_tasks"]].astype(float).copy()
    frame["sem"] = frame["tau_w_std"] / np.sqrt(np.maximum(frame["n_tasks"] - 1, 1))
    # Rankers that read no pass and compute almost nothing take microseconds: shown at 1e-4 s.
    frame[column] = frame[column].clip(lower=1e-4)
    fig, ax = plt.subplots(figsize=(8.5, 6.0))
    disp = TauTimeDisplay.from_results(
        frame, time_col=column, err_col="sem", ceiling=result["ceiling"], ax=ax
    )
    disp.ax_.set_title(
        f"glyph zoo, {result['which']} (bars: standard error over tasks)", fontsize=10
    )
    kind = "wall-clock" if clock == "wall" else "CPU"
    disp.ax_.set_xlabel(f"{kind} seconds to rank one task, log scale (lower is better)")
    disp.ax_.set_ylabel("mean tau_w against the fine-tuned truth (higher is better)")
    fig.savefig(path, bbox_inches="tight", dpi=120)
    plt.close(fig)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="a built glyph zoo (default: the shipped one)")  # fmt: skip
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--figure", metavar="PATH", help="write the tau_w-seconds figure")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="the figure's seconds: wall clock or process CPU")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="two test tasks, LogME and LEEP only (a smoke test)")  # fmt: skip
    parser.add_argument("--estimators", nargs="+", default=None, metavar="NAME",
                        help="transferability estimators (default: every one)")  # fmt: skip
    parser.add_argument("--k", type=int, default=None,
                        help="re-ranking k (default: chosen on the validation tasks)")  # fmt: skip
    parser.add_argument("--n-tasks", type=int, default=None, help="the first N test tasks")
    parser.add_argument("--new-tasks", type=int, default=0, metavar="N",
                        help="rank N new tasks of the test design, their truth fine-tuned "
                        "here (minutes per task)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1, help="seed of the new tasks (1)")
    parser.add_argument("--work", metavar="DIR", default=None,
                        help="cache of the new tasks' fine-tuning runs")  # fmt: skip
    parser.add_argument("--jobs", type=int, default=1, help="processes for fine-tuning (1)")
    parser.add_argument("--device", default="cpu", help="device of the forward passes (cpu)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def check_arguments(args: argparse.Namespace) -> str | None:
    """An error message for arguments that cannot work (checked before torch loads)."""
    for name in ("n_tasks", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return f"--{name.replace('_', '-')} must be at least 1, got {value}."
    if args.new_tasks < 0 or args.jobs < 1:
        return "--new-tasks must be >= 0 and --jobs >= 1."
    if args.k is not None and args.k < 0:
        return f"--k must be >= 0, got {args.k}."
    if args.data_dir is not None and not os.path.isdir(args.data_dir):
        return f"--data-dir {args.data_dir!r} is not a folder."
    return None


def main(args: argparse.Namespace) -> int:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        args.estimators = args.estimators or list(QUICK_ESTIMATORS)
        args.n_tasks = args.n_tasks or 2
    result = zoo_benchmark(
        data_dir=args.data_dir, n_tasks=args.n_tasks, new_tasks=args.new_tasks,
        seed=args.seed, estimators=args.estimators, k=args.k, device=args.device,
        work_dir=args.work, n_jobs=args.jobs, verbose=0 if args.quiet else 1,
    )  # fmt: skip
    m = result["machine"]
    load = ""
    if m["load_average_start"] is not None:
        load = f", load average {m['load_average_start'][0]:.1f} -> {m['load_average_end'][0]:.1f}"
    print(
        f"## Glyph zoo: {result['which']}; {m['torch_threads']} torch thread(s) on "
        f"{m['device']}{load}\n"
    )
    print(markdown(result))
    if args.json:
        payload = {k: v for k, v in result.items() if k not in ("table", "summary")} | {
            "summary": json.loads(result["summary"].to_json(orient="index")),
            "table": json.loads(result["table"].to_json(orient="records")),
        }
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1, default=float)
    if args.figure:
        plot(result, args.figure, args.clock)
        print(f"\nwrote {args.figure}", file=sys.stderr)
    return 0
