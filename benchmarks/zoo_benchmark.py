"""The end-to-end benchmark on the glyph zoo: every ranker on its test tasks, tau_w and seconds.

On the zoo's held-out TEST tasks (`skspider.datasets.load_glyph_zoo`), against their
fine-tuned ground truth (``truth``: mean accuracy over the seeds), these rankers:

* ``spider``: the shipped `SpiderRanker` on the task's general tokens (re-ranking k=0);
* ``spider+rerank``: `RerankTransformer` over the same frozen ranker, its top-k PTMs
  re-scored with their own tokens; k chosen with ``k="auto"`` on the VALIDATION tasks and
  their truth (reported), never on the test tasks. A ranker shipped without PTM-specific
  projections (``ranker.specific_widths_`` empty) cannot re-rank: the row is skipped and the
  output says why;
* every transferability estimator of `skspider.transferability` (through
  `TransferabilityRanker`, ``missing="nan"``: PTMs without the estimator's input, e.g. the
  unsupervised PTMs without a source head for LEEP-like methods, rank last, as the engine
  ranks NaN; an estimator failing on a (task, PTM) gives NaN there too, counted in the
  ``unscored`` column). Estimators needing side data the zoo cannot give (OTCE's labelled
  source set) are skipped with the reason printed;
* ``prior`` (`PriorRanker`) and ``metadata`` (`MetadataRanker` on ``n_params``: bigger is
  better), fixed rankings;
* ``ridge`` (`RidgeRanker`) and ``nearest`` (`NearestTasksRanker`), fitted on the training
  tasks' tokens and proxy ranks (``train_tokens``, ``proxy_train``), as the shipped ranker;
* for reference, the seed-to-seed ceiling of the truth (``report["test"]``).

Per ranker: mean and per-task tau_w (paper convention), top-1 regret (accuracy points) and
the wall-clock seconds to rank ONE new task, counting every forward pass it needs. Forward
passes are timed for real on each test task (the encoder once per task, every PTM once
per task, after an untimed warm-up pass of each network; the PTMs are already in memory):

* ``spider``: the general encoder over the task's images + tokenize + predict;
* ``spider+rerank``: that, + re-scoring, + the forward passes of the task's top-k PTMs;
* an estimator: the forward passes of every PTM it scores (the PTMs with its input kind)
  + the estimator over all of them;
* ``prior``, ``metadata``: predict only (no pass: they ignore the task);
* ``ridge``, ``nearest``: the encoder pass + tokenize + predict.

Seconds are wall clock; the process's CPU seconds are reported beside them (steadier on a
shared machine, and with one torch thread the wall time of an idle one). The torch thread
count and the load average (start and end) are recorded. Output: a markdown table,
``--json PATH``, and ``--figure PATH`` (tau_w against wall-clock seconds per task, log
scale, `skspider.plotting.TauTimeDisplay`).

Usage::

    python benchmarks/zoo_benchmark.py --threads 1 --json zoo.json --figure zoo.png
    python benchmarks/zoo_benchmark.py --data-dir /tmp/gz --quick   # a built tiny zoo

``--quick``: the first two test tasks, LogME and LEEP only (a smoke test; its figures mean
nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.exceptions import FitFailedWarning
from sklearn.frozen import FrozenEstimator

from skspider.base import Task
from skspider.datasets import load_glyph_zoo
from skspider.dummy import MetadataRanker, NearestTasksRanker, PriorRanker, RidgeRanker
from skspider.metrics import mean_weighted_tau, rank_scores, top_k_regret
from skspider.spider import RerankTransformer
from skspider.tasks import TaskTokenizer
from skspider.transferability import TransferabilityRanker, get_estimator
from skspider.transferability._lookup import _available
from skspider.zoo import extract_features

QUICK_ESTIMATORS = ("LogME", "LEEP")
PER_TASK_COLUMNS = ("spider", "spider+rerank", "ridge", "nearest", "prior", "metadata", "LogME",
                    "LEEP", "NCE", "HScore")  # fmt: skip


# -- timed forward passes ----------------------------------------------------------------------
def timed(fn, *args, **kwargs):
    """``(fn(*args, **kwargs), seconds)``, seconds an array ``[wall clock, process CPU]``
    (CPU time is steadier than wall time on a shared machine; with one torch thread it is
    the wall time of an idle machine). Arrays, so that a ranker's costs add up."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, np.array([time.perf_counter() - wall, time.process_time() - cpu])


def run_networks(data, task: Task, device: str) -> dict:
    """Every network over the task's training images, each pass timed: the general encoder
    (``X``) and every PTM (features, source probabilities when it has a source head)."""
    images = task.metadata["images"]
    general, enc_s = timed(
        lambda: extract_features(data.encoder, images, layer="head", device=device).features
    )
    features, probas, ptm_s = {}, {}, {}
    for name in data.zoo.names:
        out, ptm_s[name] = timed(extract_features, data.zoo[name], images, device=device)
        features[name] = out.features
        if out.probas is not None:
            probas[name] = out.probas
    full = Task(
        y=task.y,
        X=np.asarray(general),
        model_features=features,
        model_probas=probas,
        name=task.name,
        metadata=task.metadata,
    )
    return {"task": full, "encoder_s": enc_s, "ptm_s": ptm_s}


def warm_up(data, task: Task, device: str) -> None:
    """One untimed pass of each network (first-call allocations are not a task's cost)."""
    images = task.metadata["images"][:8]
    extract_features(data.encoder, images, layer="head", device=device)
    for name in data.zoo.names:
        extract_features(data.zoo[name], images, device=device)


# -- the rankers -------------------------------------------------------------------------------
def estimator_names(requested: list[str] | None) -> list[str]:
    """The transferability estimators to run: ``requested`` or every one of the package."""
    if requested:
        return [type(get_estimator(n)).__name__ for n in requested]
    return sorted(_available())


def fit_rerank(data, valid_tasks: list[Task], k: int | str = "auto") -> RerankTransformer:
    """Re-ranking over the shipped (frozen) ranker; k chosen on the validation tasks' truth."""
    tokens = TaskTokenizer(model_tokens=True).fit_transform(valid_tasks)
    truth = data.truth.loc[[t.name for t in valid_tasks], list(data.ranker.models_)]
    return RerankTransformer(FrozenEstimator(data.ranker), k=k).fit(tokens, truth)


def validation_tasks(data, device: str) -> list[Task]:
    """The validation tasks with every PTM's arrays (not timed: they only choose k)."""
    out = []
    for task in data.validation_tasks:
        out.append(run_networks(data, task, device)["task"])
    return out


def score_estimator(name: str, data, runs: list[dict], log) -> dict | str:
    """Scores and seconds of one estimator on every test task, or the reason it is skipped."""
    est = get_estimator(name)
    kind = est.input_kind
    models = list(data.zoo.names)
    y = pd.DataFrame(np.zeros((1, len(models))), columns=models)
    ranker = TransferabilityRanker(est, missing="nan", random_state=0)
    ranker.fit([runs[0]["task"]], y)
    if est._side_inputs:
        try:  # side data the zoo cannot give shows on the first task (not timed)
            ranker.predict([runs[0]["task"]])
        except ValueError as exc:
            return f"needs side data the zoo cannot give ({str(exc).split('; ')[0]})"
    ranker.set_params(error_score=np.nan)
    scores, seconds, passes, failed = [], [], [], 0
    for run in runs:
        task = run["task"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FitFailedWarning)
            (S,), est_s = timed(ranker.predict, [task])
        failed += sum(issubclass(w.category, FitFailedWarning) for w in caught)
        mapping = task.model_features if kind == "features" else task.model_probas
        scored = [m for m in models if m in mapping]
        scores.append(S)
        passes.append(len(scored))
        seconds.append(est_s + sum(run["ptm_s"][m] for m in scored))
    log(f"  {name}: {np.mean(seconds, axis=0)[0]:.3f} s per task")
    return {
        "scores": np.vstack(scores),
        "seconds": seconds,
        "forward_passes": passes,
        "failed_fits": failed,
    }


def run_benchmark(data, runs: list[dict], args, log) -> tuple[dict, dict, dict]:
    """Scores (task x PTM), seconds and notes of every ranker."""
    models = list(data.zoo.names)
    tasks = [r["task"] for r in runs]
    results, skipped, info = {}, {}, {}
    if list(data.ranker.models_) != models:
        raise ValueError(
            f"the shipped ranker ranks {list(data.ranker.models_)}, the zoo holds {models}."
        )

    # Spider at k=0, and the simple baselines that read the general tokens.
    tokenizer = TaskTokenizer()
    tokenizer.fit_transform(tasks[:1])  # warm-up
    general = [timed(tokenizer.fit_transform, [t]) for t in tasks]
    tokens = [g[0][0] for g in general]
    learned = {
        "spider": data.ranker,
        "ridge": RidgeRanker().fit(data.train_tokens, data.proxy_train),
        "nearest": NearestTasksRanker().fit(data.train_tokens, data.proxy_train),
    }
    for name, ranker in learned.items():
        ranker.predict(tokens[:1])  # warm-up
        out = [timed(ranker.predict, [tok]) for tok in tokens]
        results[name] = {
            "scores": np.vstack([s[0] for s, _ in out]),
            "seconds": [r["encoder_s"] + g[1] + s for r, g, (_, s) in zip(runs, general, out)],
            "forward_passes": [0] * len(runs),
        }

    # Fixed rankings.
    fixed = {
        "prior": PriorRanker().fit(data.train_tokens, data.proxy_train),
        "metadata": MetadataRanker(metadata=data.zoo.metadata(), column="n_params").fit(
            data.train_tokens, data.proxy_train
        ),
    }
    for name, ranker in fixed.items():
        out = [timed(ranker.predict, [tok]) for tok in tokens]
        results[name] = {
            "scores": np.vstack([s[0] for s, _ in out]),
            "seconds": [s for _, s in out],
            "forward_passes": [0] * len(runs),
        }

    # Re-ranking: k on the validation tasks; the task's top-k PTMs' passes are counted.
    widths = getattr(data.ranker, "specific_widths_", {})
    if not widths:
        skipped["spider+rerank"] = (
            "the shipped ranker has no PTM-specific projections (ranker.specific_widths_ is "
            "empty: it was trained on general tokens only), so re-ranking cannot change its "
            "ranking"
        )
    else:
        log("choosing k on the validation tasks ..." if args.k is None else f"k = {args.k}")
        k = "auto" if args.k is None else args.k
        rerank = fit_rerank(data, validation_tasks(data, args.device), k)
        info["rerank"] = {
            "k": int(rerank.k_),
            "k_chosen_on": "validation tasks" if args.k is None else "given (--k)",
            "k_candidates": getattr(rerank, "k_candidates_", None),
            "validation_tau_w_by_k": getattr(rerank, "k_scores_", {}),
            "ptms_with_projections": sorted(widths),
        }
        log(f"  k = {rerank.k_} (validation tau_w by k: {info['rerank']['validation_tau_w_by_k']})")
        specific = TaskTokenizer(model_tokens=True)

        def rescore(task: Task) -> np.ndarray:
            return rerank.predict(specific.fit_transform([task]))

        scores, seconds, passes = [], [], []
        for run in runs:
            (S,), pred_s = timed(rescore, run["task"])
            # The PTMs re-scored (each a forward pass), as the re-ranker selects them.
            (top,) = rerank.select(specific.fit_transform([run["task"]]))
            scores.append(S)
            passes.append(len(top))
            seconds.append(run["encoder_s"] + pred_s + sum(run["ptm_s"][m] for m in top))
        results["spider+rerank"] = {
            "scores": np.vstack(scores),
            "seconds": seconds,
            "forward_passes": passes,
        }

    # Transferability estimators.
    log("transferability estimators ...")
    for name in estimator_names(args.estimators):
        out = score_estimator(name, data, runs, log)
        if isinstance(out, str):
            skipped[name] = out
            log(f"  skipping {name}: {out}")
        else:
            results[name] = out
    return results, skipped, info


# -- summary -------------------------------------------------------------------------------------
def summarise(results: dict, truth: pd.DataFrame) -> dict:
    """Per ranker: tau_w (mean, std, per task), top-1 regret, seconds per task, passes."""
    out = {}
    for name, res in results.items():
        S = np.asarray(res["scores"], dtype=np.float64)
        unscored = int(np.isnan(S).sum())
        # NaN (an unscored PTM) ranks last, as TransferabilityRanker.predict_rank does.
        ranked = pd.DataFrame(
            -rank_scores(S, nan_policy="last"), index=truth.index, columns=truth.columns
        )
        tau = mean_weighted_tau(truth, ranked, return_per_task=True)
        regret = 100 * top_k_regret(truth, ranked, k=1, return_per_task=True)
        out[name] = {
            "tau_w": float(np.nanmean(tau)),
            "tau_w_std": float(np.nanstd(tau)),
            "top1_regret": float(np.mean(regret)),
            "seconds": float(np.mean(res["seconds"], axis=0)[0]),
            "cpu_seconds": float(np.mean(res["seconds"], axis=0)[1]),
            "forward_passes": float(np.mean(res["forward_passes"])),
            "unscored": unscored,
            "failed_fits": res.get("failed_fits", 0),
            "per_task_tau_w": dict(zip(truth.index, map(float, tau))),
            "per_task_top1_regret": dict(zip(truth.index, map(float, regret))),
            "per_task_seconds": dict(zip(truth.index, (float(t[0]) for t in res["seconds"]))),
        }
    return out


def markdown(summary: dict, ceiling: dict, skipped: dict, info: dict) -> str:
    lines = [
        "| ranker | mean tau_w | std | top-1 regret (acc. pts) | seconds / task | "
        "CPU s / task | PTM passes / task | unscored |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, s in sorted(summary.items(), key=lambda kv: -kv[1]["tau_w"]):
        lines.append(
            f"| {name} | {s['tau_w']:.3f} | {s['tau_w_std']:.3f} | {s['top1_regret']:.2f} | "
            f"{s['seconds']:.4f} | {s['cpu_seconds']:.4f} | {s['forward_passes']:.1f} | "
            f"{s['unscored']} |"
        )
    for key in ("ceiling_tau_w", "split_half_tau_w"):
        if ceiling.get(key) is not None:
            label = "seed-to-seed ceiling" if key == "ceiling_tau_w" else "split-half ceiling"
            lines.append(f"| ({label}) | {ceiling[key]:.3f} | | | | | | |")
    lines.append("")
    if "rerank" in info:
        by_k = info["rerank"]["validation_tau_w_by_k"]
        scores = ", ".join(f"{k}: {v:.3f}" for k, v in by_k.items())
        lines.append(
            f"spider+rerank: k = {info['rerank']['k']}, {info['rerank']['k_chosen_on']}"
            + (f" (validation tau_w by k: {scores})" if by_k else "")
        )
    for name, reason in skipped.items():
        lines.append(f"skipped {name}: {reason}")
    # Per task, the main rankers (every ranker's per-task figures are in the JSON).
    main = [n for n in PER_TASK_COLUMNS if n in summary]
    tasks = list(next(iter(summary.values()))["per_task_tau_w"])
    lines += ["", "Per-task tau_w:", "", "| task | " + " | ".join(main) + " |"]
    lines.append("| --- " * (len(main) + 1) + "|")
    for task in tasks:
        cells = " | ".join(f"{summary[n]['per_task_tau_w'][task]:.3f}" for n in main)
        lines.append(f"| {task} | {cells} |")
    return "\n".join(lines)


def plot(summary: dict, ceiling: float | None, path: str, clock: str = "wall") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skspider.plotting import TauTimeDisplay

    column = "seconds" if clock == "wall" else "cpu_seconds"
    frame = pd.DataFrame(summary).T[["tau_w", column, "tau_w_std"]].astype(float)
    n_tasks = len(next(iter(summary.values()))["per_task_tau_w"])
    frame["sem"] = frame["tau_w_std"] / np.sqrt(max(n_tasks - 1, 1))
    _, ax = plt.subplots(figsize=(8.0, 5.5))
    disp = TauTimeDisplay.from_results(
        frame, time_col=column, err_col="sem", ceiling=ceiling, ax=ax
    )
    disp.ax_.set_title(
        f"glyph zoo, {n_tasks} test tasks (bars: standard error over tasks)", fontsize=10
    )
    disp.ax_.set_xlabel(f"{'wall-clock' if clock == 'wall' else 'CPU'} seconds per task (log)")
    disp.figure_.savefig(path, bbox_inches="tight", dpi=120)
    plt.close(disp.figure_)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="a glyph zoo folder (default: the built-in zoo)")  # fmt: skip
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--figure", metavar="PATH", help="write the tau_w-seconds figure")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="the figure's seconds: wall clock or process CPU")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="two test tasks, LogME and LEEP only (a smoke test)")  # fmt: skip
    parser.add_argument("--estimators", nargs="+", default=None, metavar="NAME",
                        help="transferability estimators (default: every one)")  # fmt: skip
    parser.add_argument("--k", type=int, default=None,
                        help="re-rank this many PTMs instead of choosing k on the validation "
                        "tasks (exploration only)")  # fmt: skip
    parser.add_argument("--n-tasks", type=int, default=None, help="the first N test tasks")
    parser.add_argument("--device", default="cpu", help="device of the forward passes (cpu)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        args.estimators = args.estimators or list(QUICK_ESTIMATORS)
        args.n_tasks = args.n_tasks or 2

    def log(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    load_start = os.getloadavg()
    try:
        data = load_glyph_zoo(args.data_dir, with_features=False)
    except FileNotFoundError as exc:
        raise SystemExit(f"zoo_benchmark: {exc}") from None
    test = data.test_tasks[: args.n_tasks] if args.n_tasks else data.test_tasks
    log(f"{len(data.zoo)} PTMs, {len(test)} test tasks; forward passes on {args.device} ...")
    warm_up(data, test[0], args.device)
    runs = []
    for t in test:
        runs.append(run_networks(data, t, args.device))
        log(f"  {t.name}: encoder {runs[-1]['encoder_s'][0]:.3f} s, PTMs "
            f"{sum(runs[-1]['ptm_s'].values())[0]:.3f} s (wall clock)")  # fmt: skip
    results, skipped, info = run_benchmark(data, runs, args, log)
    truth = data.truth.loc[[t.name for t in test], list(data.zoo.names)]
    summary = summarise(results, truth)
    ceiling = data.report.get("test", {})
    machine = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": args.device,
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }
    forward = {
        "encoder_s_per_task": float(np.mean([r["encoder_s"][0] for r in runs])),
        "all_ptms_s_per_task": float(np.mean([sum(r["ptm_s"].values())[0] for r in runs])),
        "encoder_cpu_s_per_task": float(np.mean([r["encoder_s"][1] for r in runs])),
        "all_ptms_cpu_s_per_task": float(np.mean([sum(r["ptm_s"].values())[1] for r in runs])),
    }
    print(
        f"\n## Glyph zoo ({data.manifest.get('mode', '?')} plan): {len(data.zoo)} PTMs, "
        f"{len(test)} test tasks; {machine['torch_threads']} torch thread(s) on "
        f"{args.device}, load average {load_start[0]:.1f} -> {machine['load_average_end'][0]:.1f}"
        f"\n\nForward passes per task: encoder {forward['encoder_s_per_task']:.4f} s (CPU "
        f"{forward['encoder_cpu_s_per_task']:.4f} s), all {len(data.zoo)} PTMs "
        f"{forward['all_ptms_s_per_task']:.4f} s "
        f"(CPU {forward['all_ptms_cpu_s_per_task']:.4f} s).\n"
    )
    print(markdown(summary, ceiling, skipped, info))
    if args.json:
        payload = {
            "data_dir": args.data_dir,
            "mode": data.manifest.get("mode"),
            "models": list(data.zoo.names),
            "test_tasks": list(truth.index),
            "machine": machine,
            "forward_passes": forward,
            "ceiling": ceiling,
            "rankers": summary,
            "skipped": skipped,
            **info,
        }
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2, default=float)
    if args.figure:
        plot(summary, ceiling.get("ceiling_tau_w"), args.figure, args.clock)
        print(f"\nwrote {args.figure}")
    return summary


if __name__ == "__main__":
    main()
