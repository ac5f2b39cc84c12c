"""`skspider rank`: rank the PTMs of a zoo for one task."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
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
    save_figure,
    to_jsonable,
)
from ._resolve import BUILTIN, ZOO_HELP, load_ranker, resolve_encoder, resolve_method, resolve_zoo
from ._task import NPZ_FORMAT, TaskData, load_task

DESCRIPTION = """\
Rank the pre-trained models (PTMs) of a zoo for one task, best first.

Scoring: a transferability estimator by name (--method, default LogME; any estimator of
skspider.transferability, e.g. logme, leep, nce, hscore), which needs every PTM's features
(or source probabilities) on the task; or a trained ranker file (--ranker: a SpiderRanker,
RerankTransformer or Pipeline saved with joblib.dump), which reads the task through the
general encoder (tokens, encoder features, or --encoder over the raw inputs) and, for a
RerankTransformer, runs only its top-k PTMs."""

EXAMPLES = """\
examples:
  skspider rank task.npz                      # precomputed features/<model> arrays, LogME
  skspider rank task.npz --method leep --json
  skspider rank images/ --zoo myzoos:small_zoo --output ranking.csv
  skspider rank task.npz --ranker spider.joblib --zoo myzoos:small_zoo"""


def add_parser(subparsers: Any, parents: list) -> None:
    p = subparsers.add_parser(
        "rank",
        parents=parents,
        help="rank the PTMs of a zoo for a task",
        description=DESCRIPTION,
        epilog=f"{NPZ_FORMAT}\n\n{EXAMPLES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("task", help="the task: TASK.npz, TASK.npy (with --labels) or an image folder")
    p.add_argument("--labels", metavar="PATH", help="labels (.npy) of an .npy task")
    p.add_argument("--zoo", metavar="MODULE:FUNCTION", help=ZOO_HELP)
    how = p.add_mutually_exclusive_group()
    how.add_argument(
        "--method", metavar="NAME", help="a transferability estimator by name (default: logme)"
    )
    how.add_argument(
        "--ranker",
        metavar="PATH",
        help="a trained ranker file (joblib), or 'builtin' (the glyph zoo's ranker, with its "
        "encoder unless --encoder is given)",
    )
    p.add_argument(
        "--encoder",
        metavar="MODULE:FUNCTION",
        help="with --ranker and raw inputs: a function returning the general encoder (a torch "
        "module whose output, flattened, is the per-sample feature), or 'builtin'",
    )
    p.add_argument("--output", "-o", metavar="PATH", help="write the ranking to PATH (.json/.csv)")
    p.add_argument("--plot", metavar="PATH", help="save a figure of the ranking (needs matplotlib)")
    p.add_argument("--top", type=int, metavar="N", help="print only the N best PTMs")
    p.add_argument("--batch-size", type=int, default=128, help="forward-pass batch size (128)")
    p.add_argument("--device", default="auto", help="device of the forward passes (auto)")
    p.add_argument("--image-size", metavar="N|HxW", help="resize an image folder's images")
    p.add_argument(
        "--color",
        choices=["auto", "gray", "rgb"],
        default="auto",
        help="an image folder's channels: auto (1 if every image is grayscale, else 3)",
    )
    p.set_defaults(handler=run)


# -- per-PTM arrays ------------------------------------------------------------------------
class _Extractor:
    """Per-PTM arrays of the task's raw inputs, extracted on first use and counted."""

    def __init__(self, zoo: Any, X: Any, args: argparse.Namespace):
        self.zoo, self.X, self.args = zoo, X, args
        self.done: dict[str, Any] = {}

    def __call__(self, model: str):
        if model not in self.done:
            from ..zoo import extract_features

            self.done[model] = extract_features(
                self.zoo[model],
                self.X,
                batch_size=self.args.batch_size,
                device=self.args.device,
                verbose=self.args.verbose,
            )
        return self.done[model]

    def loader(self, model: str):
        return lambda: self(model).features


def _ptm_arrays(task: TaskData, args: argparse.Namespace) -> tuple[dict, dict, list[str]]:
    """Features and probabilities of every PTM (extracted now when the task has raw inputs)."""
    if task.features or task.probas:
        if args.zoo is not None:
            raise CLIError(
                "the task holds precomputed per-PTM arrays and --zoo was given too: use one."
            )
        models = list(dict.fromkeys([*task.features, *task.probas]))
        return task.features, task.probas, models
    if task.X is None:
        raise CLIError(
            f"task {task.source!r} holds no per-PTM arrays (features/<model>) and no raw "
            "inputs (X) to pass through a zoo."
        )
    zoo = resolve_zoo(args.zoo)
    extract = _Extractor(zoo, task.X, args)
    out = {m: extract(m) for m in zoo.names}
    features = {m: r.features for m, r in out.items()}
    probas = {m: r.probas for m, r in out.items() if r.probas is not None}
    return features, probas, zoo.names


# -- the two ways of scoring ----------------------------------------------------------------
def _score_with_method(task: TaskData, args: argparse.Namespace) -> dict:
    from ..base import Task
    from ..transferability import TransferabilityRanker

    estimator = resolve_method(args.method or "logme")
    name = type(estimator).__name__
    start = time.perf_counter()
    features, probas, models = _ptm_arrays(task, args)
    arrays_seconds = time.perf_counter() - start
    kind = estimator.input_kind
    usable = features if kind == "features" else probas
    if not usable:
        what = "features" if kind == "features" else "source-class probabilities (probas/<model>)"
        raise CLIError(f"{name} needs the PTMs' {what}, and the task gives none for any PTM.")
    start = time.perf_counter()
    t = Task(y=task.y, model_features=features, model_probas=probas, name=task.source)
    ranker = TransferabilityRanker(estimator).fit([t])
    scores = ranker.predict([t])[0]
    return {
        "scorer": name,
        "models": list(ranker.models_),
        "scores": scores,
        "unscored": [m for m in models if m not in usable],
        "ptm_forward_passes": 0 if task.features or task.probas else len(models),
        "seconds": {"ptm_features": arrays_seconds, "score": time.perf_counter() - start},
    }


def _general_features(task: TaskData, args: argparse.Namespace):
    if task.encoder is not None or task.tokens is not None:
        return task.encoder
    # The built-in ranker reads raw inputs through its own encoder unless told otherwise.
    encoder = BUILTIN if args.encoder is None and args.ranker == BUILTIN else args.encoder
    if encoder is None or task.X is None:
        raise CLIError(
            "a ranker reads the task through the general encoder: give 'tokens' or 'encoder' "
            "arrays in the .npz, or --encoder MODULE:FUNCTION (or builtin) with raw inputs (X, "
            "an .npy or an image folder)."
        )
    from ..zoo import ZooEntry, extract_features

    entry = ZooEntry("encoder", resolve_encoder(encoder), feature_fn=_flat_output)
    return extract_features(
        entry, task.X, batch_size=args.batch_size, device=args.device, verbose=args.verbose
    ).features


def _flat_output(module: Any, batch: Any):
    return module(batch).flatten(1)


def _score_with_ranker(task: TaskData, args: argparse.Namespace) -> dict:
    from ..base import Task
    from ..tasks import TaskTokenizer

    ranker = load_ranker(args.ranker)
    final = ranker.steps[-1][1] if hasattr(ranker, "steps") else ranker
    start = time.perf_counter()
    encoder = _general_features(task, args)
    encoder_seconds = time.perf_counter() - start
    # PTM features only for re-ranking, extracted lazily: only the PTMs read get a pass.
    extract = None
    model_features = task.features or None
    if model_features is None and args.zoo is not None and task.X is not None:
        extract = _Extractor(resolve_zoo(args.zoo), task.X, args)
        model_features = {m: extract.loader(m) for m in extract.zoo.names}
    start = time.perf_counter()
    t = Task(y=task.y, X=encoder, model_features=model_features, name=task.source)
    if not hasattr(ranker, "steps"):
        if encoder is not None:
            t = TaskTokenizer(model_tokens=True).fit_transform([t])[0]
        if task.tokens is not None:
            t = dataclasses.replace(t, tokens=task.tokens)
    scores = np.asarray(ranker.predict([t]))[0]
    models = getattr(final, "models_", None)
    if models is None:
        models = np.arange(scores.shape[0])
    passes = 0 if extract is None else len(extract.done)
    return {
        "scorer": f"{type(final).__name__} ({args.ranker})",
        "models": [m.item() if isinstance(m, np.generic) else m for m in models],
        "scores": scores,
        "unscored": [],
        "ptm_forward_passes": passes,
        "seconds": {"general_features": encoder_seconds, "score": time.perf_counter() - start},
    }


# -- output ---------------------------------------------------------------------------------
def _check_output(args: argparse.Namespace) -> None:
    if args.output is not None and Path(args.output).suffix not in (".json", ".csv"):
        raise CLIError(f"--output {args.output!r}: the file must end in .json or .csv.")
    if args.top is not None and args.top < 1:
        raise CLIError(f"--top must be a positive integer, got {args.top}.")
    if args.batch_size < 1:
        raise CLIError(f"--batch-size must be a positive integer, got {args.batch_size}.")


def _write(path: str, payload: dict) -> None:
    try:
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        if file.suffix == ".json":
            file.write_text(json.dumps(to_jsonable(payload), indent=2) + "\n")
            return
        with file.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["rank", "model", "score"])
            writer.writeheader()
            writer.writerows(to_jsonable(payload["ranking"]))
    except OSError as exc:
        raise CLIError(f"cannot write {path!r} ({exc}).", EXIT_FAILURE) from None


def _plot(path: str, models: list, scores: np.ndarray, scorer: str) -> None:
    from ..plotting._base import import_pyplot

    try:
        import_pyplot("skspider rank --plot")
    except ImportError as exc:
        raise CLIError(str(exc), EXIT_DEPENDENCY) from None
    from ..plotting import RankingDisplay

    disp = RankingDisplay(scores, models=[str(m) for m in models], score_name=scorer).plot()
    save_figure(disp.figure_, path)


def run(args: argparse.Namespace) -> int:
    _check_output(args)
    if args.ranker is None:
        resolve_method(args.method or "logme")  # an unknown name fails before any work
    start = time.perf_counter()
    task = load_task(args.task, labels=args.labels, image_size=args.image_size, color=args.color)
    load_seconds = time.perf_counter() - start
    result = _score_with_ranker(task, args) if args.ranker else _score_with_method(task, args)
    scores = np.asarray(result["scores"], dtype=np.float64)
    if not np.isfinite(scores).all():
        bad = [m for m, s in zip(result["models"], scores) if not np.isfinite(s)]
        raise CLIError(f"{result['scorer']} gave no finite score for {bad}.", EXIT_FAILURE)
    order = np.argsort(-scores, kind="stable")
    ranking = [
        {"rank": r + 1, "model": result["models"][i], "score": float(scores[i])}
        for r, i in enumerate(order)
    ]
    seconds = {"load_task": load_seconds, **result["seconds"]}
    seconds["total"] = sum(seconds.values())
    payload = {
        "task": task.source,
        "n_samples": task.n_samples,
        "n_classes": int(np.unique(task.y).shape[0]),
        "classes": task.classes or None,
        "scorer": result["scorer"],
        "ranking": ranking,
        "unscored": result["unscored"],
        "ptm_forward_passes": result["ptm_forward_passes"],
        "seconds": seconds,
    }
    if args.output is not None:
        _write(args.output, payload)
    if args.plot is not None:
        _plot(args.plot, result["models"], scores, result["scorer"])
    if args.json:
        from ._common import print_json

        print_json(payload)
        return EXIT_OK
    print(
        f"task {task.source}: {task.n_samples} samples, {payload['n_classes']} classes; "
        f"scored by {result['scorer']} in {seconds['total']:.2f} s"
    )
    print(format_table(ranking[: args.top], ["rank", "model", "score"]))
    if result["unscored"]:
        print(f"not scored (no arrays of the kind {result['scorer']} needs): {result['unscored']}")
    for path in (args.output, args.plot):
        if path is not None:
            print(f"wrote {path}")
    return EXIT_OK
