"""`skspider demo`: rank the built-in zoo's PTMs for a held-out task."""

from __future__ import annotations

import argparse
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
    format_table,
    print_json,
    save_figure,
)

# How to make the built-in zoo's files, for the messages below.
BUILD_HINT = (
    "build it from a clone of the repository with the glyph-zoo builder (see the README), "
    "or install a release of skspider that ships it"
)

DEFAULT_FIGURE = "skspider-demo.png"

DESCRIPTION = """\
Rank the PTMs of skspider's built-in zoo (the glyph zoo: small torch networks pre-trained on
glyphs of different scripts) for a held-out test task with the shipped trained ranker, beside
the true fine-tuned accuracies and LogME's ranking, with the seconds each took.

Spider reads the task through the general encoder only (one forward pass), then predicts;
with --k K it re-ranks its top K PTMs with their own features (K PTM forward passes). LogME
needs every PTM's forward pass over the task. The truth is the mean accuracy of each PTM
fully fine-tuned on the task (several seeds), on the task's held-out images. Writes a figure
of the ranking (skspider-demo.png, when matplotlib is installed)."""

EPILOG = """\
examples:
  skspider demo
  skspider demo --task test15-handwritten-real
  skspider demo --k 3        # re-rank the top 3 (a ranker with PTM-specific projections)
  skspider demo --json > demo.json
  skspider demo --data-dir /tmp/gz --figure ranking.png"""


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
        default=0,
        metavar="K",
        help="re-rank Spider's top K PTMs with their own features: K PTM forward passes (0)",
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
    if data_dir is not None and not Path(data_dir).is_dir():
        raise CLIError(f"--data-dir {data_dir!r} is not a folder.")
    try:
        # The tasks' encoder features are not loaded: the demo times that pass itself.
        return loader(data_dir, with_features=False)
    except (FileNotFoundError, OSError) as exc:
        raise CLIError(f"{where} files are missing or unreadable ({exc}); {BUILD_HINT}.") from None
    except ValueError as exc:  # a checksum that does not match the manifest
        raise CLIError(f"{where} files are damaged ({exc})") from None


def _choose_task(data: Any, name: str | None):
    tasks = {t.name: t for t in data.test_tasks}
    if not tasks:
        raise CLIError("the zoo has no test tasks.")
    if name is None:
        return data.test_tasks[0]
    if name not in tasks:
        hint = (
            f" ({name!r} is a validation task: the ranker's k is chosen on those)"
            if any(t.name == name for t in data.validation_tasks)
            else ""
        )
        raise CLIError(f"unknown task {name!r}{hint}; the test tasks are: {', '.join(tasks)}.")
    return tasks[name]


def _check_k(data: Any, k: int) -> None:
    n = len(data.zoo)
    if not 0 <= k <= n:
        raise CLIError(f"--k must be between 0 and the zoo's {n} PTMs, got {k}.")
    if k and not getattr(data.ranker, "specific_widths_", None):
        raise CLIError(
            f"--k {k}: the shipped ranker cannot re-rank: it has no PTM-specific projections "
            "(it was trained on general task tokens only, ranker.specific_widths_ is empty); "
            "use --k 0."
        )


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def rank_task(data: Any, task: Any, k: int, device: str, log) -> dict:
    """Spider (with ``k`` re-ranked PTMs) and LogME on ``task``, every forward pass timed.

    The networks are in memory; each (and the ranker) is warmed up by an untimed pass over
    a few images first, so that first-call allocations are not charged to either ranker.
    """
    from sklearn.frozen import FrozenEstimator

    from ..base import Task
    from ..spider import RerankTransformer
    from ..tasks import TaskTokenizer
    from ..transferability import LogME, TransferabilityRanker
    from ..zoo import extract_features

    images, names = task.metadata["images"], list(data.zoo.names)
    extract_features(data.encoder, images[:4], layer="head", device=device)
    for name in names:
        extract_features(data.zoo[name], images[:4], device=device)
    data.ranker.predict(data.train_tokens[:1])

    log("Spider: the general encoder's pass over the task, then the ranker ...")
    general, encoder_s = _timed(
        lambda: extract_features(data.encoder, images, layer="head", device=device).features
    )
    target = Task(y=task.y, X=np.asarray(general), name=task.name)
    tokens, predict_s = _timed(lambda: TaskTokenizer().fit_transform([target]))
    scores, s = _timed(data.ranker.predict, tokens)
    scores, predict_s = scores[0], predict_s + s

    log(f"LogME: {len(names)} PTM forward passes over the task, then LogME ...")
    features, ptm_s = {}, {}
    for name in names:
        out, ptm_s[name] = _timed(extract_features, data.zoo[name], images, device=device)
        features[name] = out.features
    scored = Task(y=task.y, model_features=features, name=task.name)
    logme = TransferabilityRanker(LogME()).fit([scored])
    logme_scores, logme_s = _timed(logme.predict, [scored])

    top: list[str] = []
    rerank_s = 0.0
    if k:
        rerank = RerankTransformer(FrozenEstimator(data.ranker), k=k)
        rerank.fit(data.train_tokens[:1], data.proxy_train.iloc[:1])  # k given: nothing fitted
        # The PTMs the re-ranker selects need their own pass; their features were just
        # extracted for LogME and timed.
        top = [str(m) for m in rerank.select(tokens)[0]]
        log(f"Spider re-ranking: {len(top)} PTM forward passes ({', '.join(top)}) ...")
        own = Task(
            y=task.y, X=target.X, model_features={m: features[m] for m in top}, name=task.name
        )
        out, rerank_s = _timed(
            lambda: rerank.predict(TaskTokenizer(model_tokens=True).fit_transform([own]))
        )
        scores = out[0]
    return {
        "models": names,
        "spider": scores,
        "logme": logme_scores[0],
        "spider_seconds": {
            "encoder_pass": encoder_s,
            "ptm_passes": float(sum(ptm_s[m] for m in top)),
            "predict": predict_s + rerank_s,
        },
        "logme_seconds": {"ptm_passes": float(sum(ptm_s.values())), "logme": logme_s},
        "reranked": top,
    }


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


def _plot(path: str, result: dict, truth: np.ndarray, task: str, k: int) -> None:
    from ..plotting import RankingDisplay
    from ..plotting._base import import_pyplot

    import_pyplot("skspider demo")  # a clear message when matplotlib is missing
    label = "Spider score" + (f" (re-ranked top {k})" if k else "")
    disp = RankingDisplay(
        result["spider"],
        models=result["models"],
        truth=truth,
        score_name=label,
        truth_name="fine-tuned accuracy",
    ).plot()
    disp.figure_.suptitle(f"skspider demo: {task}", y=1.04)
    save_figure(disp.figure_, path)


def run(args: argparse.Namespace) -> int:
    from ..metrics import rank_scores, top_k_regret, weighted_tau

    start = time.perf_counter()

    def log(msg: str) -> None:
        if args.verbose:
            print(msg, file=sys.stderr, flush=True)

    figure = _figure_path(args)
    data = load_builtin_zoo(args.data_dir)
    task = _choose_task(data, args.task)
    _check_k(data, args.k)
    if list(data.ranker.models_) != list(data.zoo.names):
        raise CLIError(
            f"the zoo's ranker ranks {list(data.ranker.models_)}, but the zoo holds "
            f"{list(data.zoo.names)}: its files come from different builds; {BUILD_HINT}.",
            EXIT_FAILURE,
        )
    result = rank_task(data, task, args.k, args.device, log)
    models = result["models"]
    truth = data.truth.loc[task.name, models].to_numpy(dtype=np.float64)
    spider, logme = result["spider"], result["logme"]
    if not (np.isfinite(spider).all() and np.isfinite(logme).all()):
        raise CLIError("a ranker gave a score that is not finite.", EXIT_FAILURE)
    spider_rank = rank_scores(spider[None])[0]
    logme_rank = rank_scores(logme[None])[0]
    true_rank = rank_scores(truth[None])[0]
    meta = data.zoo.metadata()
    rows = [
        {
            "rank": int(spider_rank[i]),
            "ptm": models[i],
            "family/source": f"{meta.loc[models[i], 'family']}/{meta.loc[models[i], 'source']}",
            "objective": str(meta.loc[models[i], "objective"]),
            "spider_score": float(spider[i]),
            "true_accuracy": float(truth[i]),
            "true_rank": int(true_rank[i]),
            "logme_rank": int(logme_rank[i]),
        }
        for i in np.argsort(-spider, kind="stable")
    ]

    def summary(scores: np.ndarray, seconds: dict, passes: int) -> dict:
        return {
            "tau_w": float(weighted_tau(truth, scores)),
            "top1_regret": float(top_k_regret(truth[None], scores[None], k=1)),
            "top1": models[int(np.argmax(scores))],
            "ptm_forward_passes": passes,
            "seconds": {**seconds, "total": float(sum(seconds.values()))},
        }

    seeds = len(getattr(data, "truth_seeds", {}) or {})
    payload = {
        "task": task.name,
        "domain": task.metadata.get("domain"),
        "style": task.metadata.get("style"),
        "n_samples": int(task.n_samples),
        "n_classes": int(np.unique(task.y).shape[0]),
        "n_ptms": len(models),
        "k": args.k,
        "reranked": result["reranked"],
        "truth": f"mean fine-tuned accuracy over {seeds} seeds on the task's held-out images",
        "true_best": models[int(np.argmax(truth))],
        "ranking": rows,
        "spider": summary(spider, result["spider_seconds"], args.k),
        "logme": summary(logme, result["logme_seconds"], len(models)),
    }
    if figure is not None:
        _plot(figure, result, truth, task.name, args.k)
    payload["figure"] = figure
    payload["seconds_total"] = time.perf_counter() - start
    if args.json:
        print_json(payload)
        return EXIT_OK
    print(
        f"task {task.name} ({payload['domain']}, {payload['style']}): "
        f"{payload['n_classes']} classes, {payload['n_samples']} training images; "
        f"{len(models)} PTMs; truth: {payload['truth']}"
    )
    columns = ["rank", "ptm", "family/source", "spider_score", "true_accuracy", "true_rank",
               "logme_rank"]  # fmt: skip
    print(format_table(rows, columns))
    sp, lm = payload["spider"], payload["logme"]
    how = "general encoder pass + predict" + (
        f" + {args.k} PTM passes ({', '.join(result['reranked'])})" if args.k else ""
    )
    print(
        f"Spider (k={args.k}): tau_w {sp['tau_w']:.3f}, top-1 {sp['top1']} (regret "
        f"{100 * sp['top1_regret']:.1f} accuracy points), {sp['seconds']['total']:.3f} s ({how})"
    )
    print(
        f"LogME:       tau_w {lm['tau_w']:.3f}, top-1 {lm['top1']} (regret "
        f"{100 * lm['top1_regret']:.1f} accuracy points), {lm['seconds']['total']:.3f} s "
        f"({len(models)} PTM passes + LogME)"
    )
    ratio = lm["seconds"]["total"] / max(sp["seconds"]["total"], 1e-9)
    speed = f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower"
    print(f"true best: {payload['true_best']}; Spider was {speed} than LogME.")
    if figure is not None:
        print(f"wrote {Path(figure).resolve()}")
    elif not args.no_figure:
        print('no figure: matplotlib is not installed (pip install "skspider[plotting]").')
    return EXIT_OK
