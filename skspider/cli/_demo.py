"""`skspider demo`: rank the built-in zoo's PTMs for a held-out task, through the evaluation
protocol, beside LogME, the prior and the truth."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ._common import (
    EXIT_DEPENDENCY,
    EXIT_FAILURE,
    EXIT_OK,
    CLIError,
    check_device,
    check_writable,
    format_table,
    print_json,
    save_figure,
)

# How to make the built-in zoo's files, for the messages below.
BUILD_HINT = "build one with `skspider build-zoo` and pass its folder as --data-dir"

DEFAULT_FIGURE = "skspider-demo.png"

DESCRIPTION = """\
Rank the PTMs of skspider's built-in zoo (the glyph zoo: small torch networks pre-trained on
glyphs of different scripts) for a held-out test task, beside LogME, the leaderboard prior
and the true fine-tuned accuracies, through the package's evaluation protocol (every
forward pass counted and timed).

Spider reads the task through the general encoder only (one forward pass), then predicts.
Spider + re-rank then re-scores its top K PTMs with their own features (K PTM forward
passes; K chosen on the validation tasks unless --k is given). LogME needs every PTM's
forward pass. The prior ranks every task the same way (each PTM's mean accuracy over the
training tasks' fine-tuning records). The truth is each PTM's accuracy after full
fine-tuning on the task, averaged over seeds, on its held-out images. The command also
prints the means over all test tasks (the zoo's benchmark) and writes a figure of the
rankings (skspider-demo.png, when matplotlib is installed)."""

EPILOG = """\
examples:
  skspider demo
  skspider demo --task test003-braille-sans
  skspider demo --k 0        # no re-ranking
  skspider demo --json > demo.json
  skspider demo --data-dir /tmp/gz --figure ranking.png"""

EXPLAIN = (
    "tau_w: weighted Kendall tau between a ranking and the true order (1 = the same order, "
    "0 = unrelated; mistakes among the truly best PTMs cost most). top-1 regret: accuracy "
    "points lost by fine-tuning the ranker's first pick instead of the truly best PTM."
)


def add_parser(subparsers: Any, parents: list) -> None:
    p = subparsers.add_parser(
        "demo",
        parents=parents,
        help="rank the built-in zoo's PTMs for a held-out task",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--task", metavar="NAME", help="the test task (default: the first one)")
    p.add_argument(
        "--k",
        type=int,
        default=None,
        metavar="K",
        help="re-rank Spider's top K PTMs with their own features: K PTM forward passes "
        "(default: the k chosen on the validation tasks; 0: no re-ranking)",
    )
    p.add_argument(
        "--data-dir", metavar="DIR", help="a glyph zoo folder (default: the built-in zoo)"
    )
    figure = p.add_mutually_exclusive_group()
    figure.add_argument(
        "--figure",
        metavar="PATH",
        help=f"write the ranking figure there (default: {DEFAULT_FIGURE} in the current "
        "directory, when matplotlib is installed)",
    )
    figure.add_argument("--no-figure", action="store_true", help="write no figure")
    p.add_argument("--device", default="cpu", help="device of the forward passes (cpu)")
    p.set_defaults(handler=run)


def _zoo_folder(data_dir: str | None) -> Path:
    if data_dir is not None:
        return Path(data_dir)
    from importlib import resources

    return Path(str(resources.files("skspider.datasets").joinpath("data", "glyph_zoo")))


def check_args(args: argparse.Namespace) -> dict:
    """Every argument checked before torch or the zoo loads (the zoo's JSON files only).

    Returns what was read: the number of PTMs, the test tasks, the shipped re-ranking k.
    """
    if args.k is not None and args.k < 0:
        raise CLIError(f"--k must be 0 or more (the number of PTMs to re-rank), got {args.k}.")
    if args.data_dir is not None and not Path(args.data_dir).is_dir():
        raise CLIError(f"--data-dir {args.data_dir!r} is not a folder.")
    if args.device != "cpu":
        check_device(args.device)
    if args.figure is not None:
        check_writable(args.figure, "--figure")
    elif not args.no_figure:
        try:  # the default figure is written only when matplotlib is installed
            plotting = importlib.util.find_spec("matplotlib") is not None
        except ValueError:  # matplotlib blocked (sys.modules entry None)
            plotting = False
        if plotting:
            check_writable(
                DEFAULT_FIGURE, "the figure", " Give --figure PATH elsewhere, or --no-figure."
            )
    folder = _zoo_folder(args.data_dir)
    where = "the built-in zoo's" if args.data_dir is None else f"the zoo in {args.data_dir!r}:"
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        tasks = json.loads((folder / "tasks.json").read_text())["tasks"]
        n_ptms = len(manifest["plan"]["zoo"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CLIError(f"{where} files are missing or unreadable ({exc}); {BUILD_HINT}.") from None
    test = [t["name"] for t in tasks if t.get("split") == "test"]
    if not test:
        raise CLIError(f"{where} zoo has no test tasks.")
    if args.task is not None and args.task not in test:
        hint = (
            f" ({args.task!r} is a validation task: the re-ranking k is chosen on those)"
            if any(t["name"] == args.task and t.get("split") == "validation" for t in tasks)
            else ""
        )
        raise CLIError(f"unknown task {args.task!r}{hint}; the test tasks are: {', '.join(test)}.")
    if args.k is not None and args.k > n_ptms:
        raise CLIError(f"--k must be between 0 and the zoo's {n_ptms} PTMs, got {args.k}.")
    args.zoo_files = {"n_ptms": n_ptms, "test": test}
    return args.zoo_files


def load_builtin_zoo(data_dir: str | None = None) -> Any:
    """The built-in glyph zoo (or the one in ``data_dir``), or a CLIError (exit 2) saying
    that it is missing or damaged and why."""
    from .. import datasets

    loader = getattr(datasets, "load_glyph_zoo", None)
    if loader is None:
        raise CLIError(
            "the built-in zoo is not part of this installation: "
            "skspider.datasets.load_glyph_zoo does not exist in this version of skspider; "
            f"{BUILD_HINT}."
        )
    where = "the built-in zoo's" if data_dir is None else f"the zoo in {data_dir!r}:"
    try:
        return loader(data_dir)
    except (FileNotFoundError, OSError) as exc:
        raise CLIError(f"{where} files are missing or unreadable ({exc}); {BUILD_HINT}.") from None
    except ValueError as exc:  # a checksum or format version that does not match
        raise CLIError(f"{where} files are damaged or of another format ({exc})") from None


def _main_ranker(data: Any, rankers: dict, k: int) -> str:
    """The Spider variant whose ranking the table and figure show: the one with the best
    mean tau_w on the validation tasks at its chosen k (never chosen on test tasks)."""
    validation = {"spider": data.rerank.get("validation_tau_w_by_k", {}).get("0")}
    if "spider+rerank" in rankers:
        validation["spider+rerank"] = data.rerank.get("validation_tau_w_by_k", {}).get(str(k))
    if "spider+LogME" in rankers:
        est = data.rerank_estimator
        validation["spider+LogME"] = est.get("validation_tau_w_by_k", {}).get(str(est.get("k")))
    known = {name: v for name, v in validation.items() if v is not None}
    return max(known, key=known.get) if known else "spider"


def _figure_path(args: argparse.Namespace) -> str | None:
    """Where the figure goes: --figure, else the default when matplotlib is importable."""
    if args.no_figure:
        return None
    from ..plotting._base import import_pyplot

    try:
        import_pyplot("skspider demo --figure")
    except ImportError as exc:
        if args.figure is not None:
            raise CLIError(str(exc), EXIT_DEPENDENCY) from None
        return None
    return args.figure or DEFAULT_FIGURE


_IDLE = {"spider+rerank": "with their own tokens", "spider+LogME": "by LogME"}


def _plot(path: str, models: list, scores: dict, labels: dict, truth: np.ndarray, task: str):
    """One ranking per ranker (Spider's, LogME's), each beside the truth."""
    from ..plotting import RankingDisplay
    from ..plotting._base import import_pyplot

    plt = import_pyplot("skspider demo")
    fig, axes = plt.subplots(
        1, 2 * len(scores), figsize=(6.2 * len(scores), 6.5),
        gridspec_kw={"width_ratios": [3, 2] * len(scores)},
    )  # fmt: skip
    for i, (name, values) in enumerate(scores.items()):
        disp = RankingDisplay(
            values, models=models, truth=truth, score_name=labels[name],
            truth_name="fine-tuned\naccuracy (truth)",
        ).plot(ax=(axes[2 * i], axes[2 * i + 1]))  # fmt: skip
        disp.ax_.set_title(f"{name}: tau_w {disp.tau_w_:.3f}", fontsize=10)
    fig.suptitle(f"skspider demo: {task} (each ranker's order, best at the top)", y=1.0)
    fig.tight_layout()
    save_figure(fig, path)


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    read = getattr(args, "zoo_files", None) or check_args(args)

    def log(msg: str) -> None:
        if args.verbose:
            print(msg, file=sys.stderr, flush=True)

    figure = _figure_path(args)
    data = load_builtin_zoo(args.data_dir)
    from ..evaluation import evaluate_rankers, make_rankers

    task = next(t for t in data.test_tasks if t.name == (args.task or read["test"][0]))
    models = list(data.zoo.names)
    if [str(m) for m in data.ranker.models_] != models:
        raise CLIError(
            f"the zoo's ranker ranks {list(data.ranker.models_)}, but the zoo holds {models}: "
            f"its files come from different builds; {BUILD_HINT}.",
            EXIT_FAILURE,
        )
    shipped_k = int(data.rerank.get("k", 0))
    k = shipped_k if args.k is None else args.k
    if k and not data.ranker.specific_widths_:
        raise CLIError(
            f"--k {k}: the shipped ranker cannot re-rank: it has no PTM-specific projections "
            "(it was trained on general task tokens only); use --k 0."
        )
    estimator_k = data.rerank_estimator.get("k")
    rankers, _ = make_rankers(
        data.ranker, train_tokens=data.train_tokens, train_labels=data.train_truth,
        rerank_k=k or None, estimator_rerank_k=estimator_k or None, estimators=("LogME",),
    )  # fmt: skip
    keep = ["spider", "spider+rerank", "spider+LogME", "LogME", "prior"]
    rankers = {name: rankers[name] for name in keep if name in rankers}
    log(f"ranking {task.name} with {', '.join(rankers)} (forward passes counted) ...")
    truth_row = data.truth.loc[[task.name], models]
    table, scores = evaluate_rankers(
        rankers, [task], truth_row, loader=data.feature_loader(device=args.device),
        return_scores=True,
    )  # fmt: skip
    truth = truth_row.to_numpy(dtype=np.float64)[0]
    main_name = _main_ranker(data, rankers, k)
    spider = scores[main_name].to_numpy()[0]
    logme = scores["LogME"].to_numpy()[0]
    if not (np.isfinite(spider).all() and np.isfinite(logme).all()):
        raise CLIError("a ranker gave a score that is not finite.", EXIT_FAILURE)
    from ..metrics import rank_scores

    spider_rank = rank_scores(spider[None])[0]
    logme_rank = rank_scores(logme[None])[0]
    true_rank = rank_scores(truth[None])[0]
    meta = data.zoo.metadata()
    ranking = [
        {
            "rank": int(spider_rank[i]),
            "ptm": models[i],
            "family/source": f"{meta.loc[models[i], 'family']}/{meta.loc[models[i], 'source']}",
            "spider_score": float(spider[i]),
            "true_accuracy": float(truth[i]),
            "true_rank": int(true_rank[i]),
            "logme_rank": int(logme_rank[i]),
        }
        for i in np.argsort(-spider, kind="stable")
    ]
    on_task = {
        row.ranker: {
            "tau_w": row.tau_w,
            "top1_regret": row.top1_regret,
            "top1": models[
                int(np.argmax(np.nan_to_num(scores[row.ranker].to_numpy()[0], nan=-np.inf)))
            ],
            "seconds": row.seconds,
            "ptm_forward_passes": int(row.forward_passes),
            "encoder_passes": int(row.encoder_passes),
        }
        for row in table.itertuples()
    }
    report = data.report.get("test", {})
    over_all = {
        "n_tasks": report.get("n_tasks"),
        "rankers": data.report.get("test_rankers", {}),
        "noise_ceiling_tau_w": report.get("noise_ceiling_tau_w"),
    }
    seeds = len(data.truth_seeds)
    payload = {
        "task": task.name,
        "domain": task.metadata.get("domain"),
        "n_samples": int(task.n_samples),
        "n_classes": int(np.unique(task.y).shape[0]),
        "n_ptms": len(models),
        "k": k,
        "k_chosen_on": "validation tasks" if args.k is None else "given (--k)",
        "truth": f"mean fine-tuned accuracy over {seeds} seeds on the task's held-out images",
        "true_best": models[int(np.argmax(truth))],
        "main_ranker": main_name,
        "ranking": ranking,
        "on_this_task": on_task,
        "over_all_test_tasks": over_all,
        "explanation": EXPLAIN,
    }
    if figure is not None:
        title = {
            "spider": "Spider",
            "spider+rerank": f"Spider + re-rank (k={k})",
            "spider+LogME": f"Spider + LogME on its top {estimator_k}",
        }[main_name]
        labels = {
            title: "Spider score\n(larger = ranked higher; no unit)",
            "LogME": "LogME: log evidence per sample\n(larger = better)",
        }
        _plot(figure, models, {title: spider, "LogME": logme}, labels, truth, task.name)
    payload["figure"] = figure
    payload["seconds_total"] = time.perf_counter() - start
    if args.json:
        print_json(payload)
        return EXIT_OK
    print(
        f"task {task.name}: {payload['n_classes']} classes, {payload['n_samples']} training "
        f"images; {len(models)} PTMs; truth: {payload['truth']}"
    )
    print(format_table(ranking, list(ranking[0])))
    print(f"\non this task (true best: {payload['true_best']}):")
    names = {"spider": "Spider (k=0)", "spider+rerank": f"Spider + re-rank (k={k})",
             "spider+LogME": f"Spider + LogME on its top {estimator_k}",
             "LogME": "LogME on every PTM", "prior": "prior (leaderboard)"}  # fmt: skip
    rows = [
        {
            "ranker": names[n],
            "tau_w": r["tau_w"],
            "top-1 regret (pts)": 100 * r["top1_regret"],
            "seconds": r["seconds"],
            "PTM passes": r["ptm_forward_passes"],
            "top-1": r["top1"],
        }
        for n, r in on_task.items()
    ]
    print(format_table(rows, list(rows[0])))
    means = over_all["rankers"]
    if means:
        # A re-ranker whose k came out 0 on the validation tasks is Spider itself: say so
        # once instead of repeating its figure.
        chosen_k = {
            "spider+rerank": data.rerank.get("k", 0),
            "spider+LogME": data.rerank_estimator.get("k", 0),
        }
        idle = [n for n in means if chosen_k.get(n) == 0]
        parts = [f"{names.get(n, n)} {m['tau_w']:.3f}" for n, m in means.items() if n not in idle]
        ceiling = over_all["noise_ceiling_tau_w"]
        print(
            f"\nover all {over_all['n_tasks']} test tasks (the zoo's benchmark), mean tau_w: "
            + ", ".join(parts)
            + (f"; noise ceiling {ceiling:.3f}" if ceiling is not None else "")
            + "."
            + (
                f" Re-ranking the top k ({' and '.join(_IDLE[n] for n in idle)}) did not help "
                "on the validation tasks: k=0 was chosen there."
                if idle
                else ""
            )
        )
    print(f"\n{EXPLAIN}")
    if figure is not None:
        print(f"wrote {Path(figure).resolve()}")
    elif not args.no_figure:
        print('no figure: matplotlib is not installed (pip install "skspider[plotting]").')
    return EXIT_OK
