"""`skspider rank`: rank the PTMs of a zoo for one task."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..zoo._scan import TaskContents, scan_task
from ._common import (
    EXIT_DEPENDENCY,
    EXIT_FAILURE,
    EXIT_OK,
    CLIError,
    check_device,
    check_positive,
    check_writable,
    format_table,
    save_figure,
    to_jsonable,
)
from ._resolve import (
    BUILTIN,
    ZOO_HELP,
    builtin_zoo,
    check_spec,
    load_ranker,
    resolve_encoder,
    resolve_method,
    resolve_zoo,
)

DESCRIPTION = """\
Rank the pre-trained models (PTMs) of a zoo for one task, best first.

Scoring: a transferability estimator by name (--method, default LogME; any estimator of
skspider.transferability, e.g. logme, leep, nce, hscore), which needs every PTM's features
(or source probabilities) on the task; or a trained ranker file (--ranker: a SpiderRanker,
RerankTransformer or Pipeline saved with joblib.dump), which reads the task through the
general encoder (tokens, encoder features, or --encoder over the raw inputs) and, for a
RerankTransformer, runs only its top-k PTMs."""

TASK_FORMATS = """\
task formats (skspider.zoo.read_task reads them):
  TASK.npz   arrays saved with numpy.savez, keyed by name:
               y                 (n,)            labels (required)
               X                 (n, ...)        raw inputs passed through every PTM of --zoo
                                                 (e.g. images as (n, C, H, W) floats in
                                                 [0, 1], or uint8)
               features/<model>  (n, d_model)    a PTM's precomputed features (input of its
                                                 classifier); with these no zoo is needed
               probas/<model>    (n, c_model)    a PTM's source-class probabilities
                                                 (for LEEP, NCE, ...; optional)
               encoder           (n, d)          general-encoder features (for --ranker)
               tokens            (k, d)          the task's token set (for --ranker)
             e.g. numpy.savez("task.npz", y=y, **{"features/resnet": F1,
                                                  "features/vit": F2})
  TASK.npy   raw inputs X (n, ...) for --zoo, with --labels LABELS.npy (n,)
  TASK/      an image folder: one sub-folder per class (the folder names, sorted, are the
             classes), only images inside (.png, .jpg, .jpeg, .bmp, .gif, .tif, .tiff,
             .webp, .pgm, .ppm; any other file is an error that names it). Images are read
             with Pillow as (n, C, H, W) floats in [0, 1]. A zoo that declares its input
             shape (ModelZoo(input_shape=...); the built-in zoo: 1x32x32) gets them
             converted to it: color to grayscale (ITU-R 601 luma) or gray to RGB, and
             resized (bilinear); a note on stderr says what was converted. Otherwise
             C = 1 when every image is grayscale, else 3, and the images must share a
             size. --color gray|rgb and --image-size N|HxW force a choice."""

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
        epilog=f"{TASK_FORMATS}\n\n{EXAMPLES}",
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
    p.add_argument(
        "--image-size",
        metavar="N|HxW",
        help="resize an image folder's images (default: to the zoo's input shape, if declared)",
    )
    p.add_argument(
        "--color",
        choices=["auto", "gray", "rgb"],
        default="auto",
        help="an image folder's channels: auto (the zoo's input shape if declared, else 1 if "
        "every image is grayscale, else 3)",
    )
    p.set_defaults(handler=run)


# -- checks: every argument, before torch or the zoo is loaded ------------------------------
def parse_image_size(value: str | None) -> tuple[int, int] | None:
    """``--image-size N`` or ``HxW`` as (height, width)."""
    if value is None:
        return None
    parts = value.lower().split("x")
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        size = ()
    if len(size) not in (1, 2) or min(size) < 1:
        raise CLIError(f"--image-size must be N or HxW (positive), got {value!r}.")
    return (size[0], size[-1])


def _scan(args: argparse.Namespace) -> TaskContents:
    """What the task holds, from names only (no array or image is read)."""
    path = Path(args.task)
    if path.suffix == ".npy" and path.is_file() and args.labels is None:
        raise CLIError(f"{args.task!r} is an .npy array of inputs: give its labels with --labels.")
    try:
        contents = scan_task(path, labels=args.labels)
    except (FileNotFoundError, ValueError) as exc:
        raise CLIError(str(exc)) from None
    if args.labels is not None and contents.kind != "npy":
        raise CLIError(f"--labels is for an .npy task; {args.task!r} holds its labels.")
    if contents.kind != "folder":
        for option, given in (("--image-size", args.image_size), ("--color", args.color)):
            if given not in (None, "auto"):
                raise CLIError(f"{option} is for an image folder; {args.task!r} is not one.")
    else:
        try:
            import PIL  # noqa: F401
        except ImportError:
            raise CLIError(
                "reading an image folder needs Pillow, which matplotlib installs: pip install "
                '"skspider[plotting]" (or pip install pillow).',
                EXIT_DEPENDENCY,
            ) from None
    return contents


def _check_task(contents: TaskContents, args: argparse.Namespace) -> None:
    """The task holds what the scoring asked for needs, given the zoo and encoder options."""
    where = repr(args.task)
    if contents.has_model_arrays and args.zoo is not None:
        raise CLIError(
            f"task {where} holds precomputed per-PTM arrays (features/<model>) and --zoo was "
            "given too: use one."
        )
    if args.zoo is not None and not contents.has_inputs:
        raise CLIError(
            f"--zoo extracts the PTMs' features of the task's raw inputs, and task {where} "
            "holds none (an array X, an .npy or an image folder)."
        )
    if args.ranker is None:
        if contents.has_model_arrays:
            return
        if not contents.has_inputs:
            raise CLIError(
                f"task {where} holds no per-PTM arrays (features/<model>) and no raw inputs "
                "(X) to pass through a zoo."
            )
        if args.zoo is None:
            raise CLIError(
                f"task {where} holds raw inputs, which need a zoo of PTMs to extract "
                "features: give --zoo builtin (the built-in glyph zoo) or --zoo "
                "module:function (a function returning a skspider.zoo.ModelZoo), or give "
                "precomputed per-PTM arrays (features/<model> in the .npz)."
            )
        return
    if not contents.has_general and not (contents.has_inputs and _encoder_spec(args)):
        raise CLIError(
            "a ranker reads the task through the general encoder: give 'tokens' or 'encoder' "
            "arrays in the .npz, or --encoder MODULE:FUNCTION (or builtin) with raw inputs (X, "
            "an .npy or an image folder)."
        )


def check_args(args: argparse.Namespace) -> None:
    """Every check of ``skspider rank``'s arguments that runs before torch or the zoo is
    loaded: numbers, the device's form, output paths, the zoo, encoder and ranker names,
    the task's files (names only), and the option combinations. A method named by --method
    is looked up last (it loads scikit-learn)."""
    check_positive(args.top, "--top")
    check_positive(args.batch_size, "--batch-size")
    check_device(args.device)
    parse_image_size(args.image_size)
    if args.output is not None:
        if Path(args.output).suffix not in (".json", ".csv"):
            raise CLIError(f"--output {args.output!r}: the file must end in .json or .csv.")
        check_writable(args.output, "--output")
    if args.plot is not None:
        check_writable(args.plot, "--plot")
        _check_plotting()
    check_spec(args.zoo, "zoo")
    check_spec(args.encoder, "encoder")
    if args.encoder is not None and args.ranker is None:
        raise CLIError("--encoder is for --ranker (a ranker reads the task through it).")
    if args.ranker not in (None, BUILTIN) and not Path(args.ranker).is_file():
        raise CLIError(f"ranker file {args.ranker!r} not found.")
    _check_task(_scan(args), args)
    if args.method is not None:
        resolve_method(args.method)


# -- the task -------------------------------------------------------------------------------
def _encoder_spec(args: argparse.Namespace) -> str | None:
    """The general encoder of raw inputs: --encoder, else the built-in ranker's own."""
    if args.encoder is None and args.ranker == BUILTIN:
        return BUILTIN
    return args.encoder


def _read_task(args: argparse.Namespace, input_shape: tuple | None = None):
    from ..zoo import read_task

    try:
        task = read_task(
            args.task,
            labels=args.labels,
            color=None if args.color == "auto" else args.color,
            image_size=parse_image_size(args.image_size),
            input_shape=input_shape,
        )
    except ImportError as exc:
        raise CLIError(str(exc), EXIT_DEPENDENCY) from None
    except ValueError as exc:
        # The reader names its keyword arguments; these options set them.
        message = str(exc)
        for keyword, option in (("image_size=", "--image-size N|HxW"), ("color=", "--color")):
            if keyword in message:
                message = f"{message.rstrip('.')} (here: {option})."
        raise CLIError(message) from None
    conversion = task.metadata["conversion"]
    if conversion is not None:
        target = f" to the zoo's input shape {input_shape}" if input_shape else ""
        print(f"note: images converted{target}: {conversion}.", file=sys.stderr)
    return task


def _input_shape(zoo: Any, args: argparse.Namespace, task: Any = None) -> tuple | None:
    """The input shape the raw inputs go to: the zoo's, else that of the built-in encoder
    when it reads them (a ``task`` with general features needs no encoder)."""
    if zoo is not None:
        return zoo.input_shape
    general = task is not None and (task.X is not None or task.tokens is not None)
    if args.ranker is not None and _encoder_spec(args) == BUILTIN and not general:
        return builtin_zoo().zoo.input_shape
    return None


def _load(args: argparse.Namespace) -> tuple[Any, Any, dict]:
    """The task, the zoo (None without --zoo) and the seconds each took. Arrays are read,
    and checked, before the zoo loads torch; an image folder after, to be read in the shape
    the PTMs take."""
    from ..zoo._io import check_input_shape

    seconds = {}

    def zoo_now():
        start = time.perf_counter()
        zoo = resolve_zoo(args.zoo) if args.zoo is not None else None
        seconds["load_zoo"] = time.perf_counter() - start
        return zoo

    if Path(args.task).is_dir():
        zoo = zoo_now()
        start = time.perf_counter()
        task = _read_task(args, _input_shape(zoo, args))
        seconds["load_task"] = time.perf_counter() - start
        return task, zoo, seconds
    start = time.perf_counter()
    task = _read_task(args)
    seconds["load_task"] = time.perf_counter() - start
    zoo = zoo_now()
    try:
        check_input_shape(task.metadata["inputs"], _input_shape(zoo, args, task), args.task)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    return task, zoo, seconds


# -- per-PTM arrays ------------------------------------------------------------------------
def _loader(zoo: Any, args: argparse.Namespace):
    """The counting loader of the evaluation protocol over the zoo: every PTM's pass runs
    when first read, once, and is counted."""
    from ..zoo import FeatureLoader

    return FeatureLoader(zoo, device=args.device, batch_size=args.batch_size)


def _ptm_arrays(task: Any, zoo: Any, args: argparse.Namespace) -> tuple[dict, dict, list, Any]:
    """Features and probabilities of every PTM: the task's own, or lazy passes of the
    zoo's counting loader over its raw inputs (returned too; None without a zoo)."""
    if zoo is None:  # check_args made sure: the task holds per-PTM arrays
        features, probas = task.model_features or {}, task.model_probas or {}
        return features, probas, list(dict.fromkeys([*features, *probas])), None
    loader = _loader(zoo, args)
    lazy = loader.task(task.metadata["inputs"], task.y, name=task.name)
    return dict(lazy.model_features), dict(lazy.model_probas or {}), zoo.names, loader


def _counted(loader: Any, work) -> tuple[Any, int, dict]:
    """``work()``, the number of PTM passes it read from ``loader`` (0 without one), and
    its seconds: the passes apart from the scoring."""
    start = time.perf_counter()
    if loader is None:
        result = work()
        return result, 0, {"ptm_passes": 0.0, "score": time.perf_counter() - start}
    with loader.count() as ledger:
        result = work()
    total, inside = time.perf_counter() - start, float(ledger.inside_seconds[0])
    return result, ledger.n_passes(), {"ptm_passes": inside, "score": total - inside}


# -- the two ways of scoring ----------------------------------------------------------------
def _score_with_method(task: Any, zoo: Any, args: argparse.Namespace) -> dict:
    from ..base import Task
    from ..transferability import TransferabilityRanker

    estimator = resolve_method(args.method or "logme")
    name = type(estimator).__name__
    features, probas, models, loader = _ptm_arrays(task, zoo, args)
    kind = estimator.input_kind
    usable = features if kind == "features" else probas
    if not usable:
        what = "features" if kind == "features" else "source-class probabilities (probas/<model>)"
        raise CLIError(f"{name} needs the PTMs' {what}, and the task gives none for any PTM.")
    t = Task(y=task.y, model_features=features, model_probas=probas, name=task.name)
    ranker = TransferabilityRanker(estimator).fit([t])
    scores, passes, seconds = _counted(loader, lambda: ranker.predict([t])[0])
    return {
        "scorer": name,
        "models": list(ranker.models_),
        "scores": scores,
        "unscored": [m for m in models if m not in usable],
        "ptm_forward_passes": passes,
        "seconds": seconds,
    }


def _general_features(task: Any, args: argparse.Namespace):
    if task.X is not None or task.tokens is not None:
        return task.X
    # check_args made sure: raw inputs, and an encoder to read them.
    from ..zoo import ZooEntry, extract_features

    entry = ZooEntry("encoder", resolve_encoder(_encoder_spec(args)), feature_fn=_flat_output)
    return extract_features(
        entry,
        task.metadata["inputs"],
        batch_size=args.batch_size,
        device=args.device,
        verbose=args.verbose,
    ).features


def _flat_output(module: Any, batch: Any):
    return module(batch).flatten(1)


def _score_with_ranker(task: Any, zoo: Any, args: argparse.Namespace) -> dict:
    from ..base import Task
    from ..tasks import TaskTokenizer

    ranker = load_ranker(args.ranker)
    final = ranker.steps[-1][1] if hasattr(ranker, "steps") else ranker
    start = time.perf_counter()
    encoder = _general_features(task, args)
    encoder_seconds = time.perf_counter() - start
    # PTM features only for re-ranking, through the counting loader: only the PTMs read
    # get a pass.
    loader = None
    model_features = task.model_features
    if zoo is not None:
        loader = _loader(zoo, args)
        model_features = loader.task(task.metadata["inputs"], task.y).model_features
    t = Task(y=task.y, X=encoder, model_features=model_features, name=task.name)
    if not hasattr(ranker, "steps"):
        if encoder is not None:
            t = TaskTokenizer(model_tokens=True).fit_transform([t])[0]
        if task.tokens is not None:
            t = dataclasses.replace(t, tokens=task.tokens)
    scores, passes, seconds = _counted(loader, lambda: np.asarray(ranker.predict([t]))[0])
    models = getattr(final, "models_", None)
    if models is None:
        models = np.arange(scores.shape[0])
    return {
        "scorer": f"{type(final).__name__} ({args.ranker})",
        "models": [m.item() if isinstance(m, np.generic) else m for m in models],
        "scores": scores,
        "unscored": [],
        "ptm_forward_passes": passes,
        "seconds": {"general_features": encoder_seconds, **seconds},
    }


# -- output ---------------------------------------------------------------------------------
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


def _check_plotting() -> None:
    from ..plotting._base import import_pyplot

    try:
        import_pyplot("skspider rank --plot")
    except ImportError as exc:
        raise CLIError(str(exc), EXIT_DEPENDENCY) from None


def _plot(path: str, models: list, scores: np.ndarray, scorer: str) -> None:
    from ..plotting import RankingDisplay

    disp = RankingDisplay(scores, models=[str(m) for m in models], score_name=scorer).plot()
    save_figure(disp.figure_, path)


def run(args: argparse.Namespace) -> int:
    task, zoo, load_seconds = _load(args)
    if args.ranker:
        result = _score_with_ranker(task, zoo, args)
    else:
        result = _score_with_method(task, zoo, args)
    scores = np.asarray(result["scores"], dtype=np.float64)
    if not np.isfinite(scores).all():
        bad = [m for m, s in zip(result["models"], scores) if not np.isfinite(s)]
        raise CLIError(f"{result['scorer']} gave no finite score for {bad}.", EXIT_FAILURE)
    order = np.argsort(-scores, kind="stable")
    ranking = [
        {"rank": r + 1, "model": result["models"][i], "score": float(scores[i])}
        for r, i in enumerate(order)
    ]
    seconds = {**load_seconds, **result["seconds"]}
    seconds["total"] = sum(seconds.values())
    source = task.metadata["source"]
    payload = {
        "task": source,
        "n_samples": task.n_samples,
        "n_classes": int(np.unique(task.y).shape[0]),
        "classes": task.metadata["classes"],
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
        f"task {source}: {task.n_samples} samples, {payload['n_classes']} classes; "
        f"scored by {result['scorer']} in {seconds['total']:.2f} s"
    )
    print(format_table(ranking[: args.top], ["rank", "model", "score"]))
    if result["unscored"]:
        print(f"not scored (no arrays of the kind {result['scorer']} needs): {result['unscored']}")
    for path in (args.output, args.plot):
        if path is not None:
            print(f"wrote {path}")
    return EXIT_OK
