"""Turn command-line names into objects: zoos, encoders, rankers, estimators."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from ._common import CLIError

#: The name of skspider's built-in glyph zoo (its PTMs, general encoder and trained ranker).
BUILTIN = "builtin"

ZOO_HELP = (
    "the zoo of PTMs: 'builtin' (skspider's glyph zoo: 32x32 grayscale images), or a Python "
    "'module:function' (or 'path/to/file.py:function') whose function, called without "
    "arguments, returns a skspider.zoo.ModelZoo"
)


@functools.cache
def builtin_zoo() -> Any:
    """The built-in glyph zoo, loaded once per process (exit 2 when it is missing)."""
    from ._demo import load_builtin_zoo

    return load_builtin_zoo()


# What a zoo or encoder function returns, for the messages.
_RETURNS = {"zoo": "a skspider.zoo.ModelZoo", "encoder": "a torch module"}


def check_spec(spec: str | None, what: str) -> None:
    """A CLIError unless ``spec`` is None, ``builtin`` or a ``module:function`` (or
    ``file.py:function`` whose file exists); nothing is imported."""
    if spec is None or spec == BUILTIN:
        return
    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise CLIError(
            f"unknown {what} {spec!r}: give 'builtin' or a Python 'module:function' (or "
            f"'file.py:function') returning {_RETURNS[what]}."
        )
    if module_name.endswith(".py") and not Path(module_name).is_file():
        raise CLIError(f"{what} {spec!r}: no such file {module_name!r}.")


def load_callable(spec: str, what: str) -> Any:
    """The function named by ``'module:function'`` or ``'path/to/file.py:function'``
    (a spec that `check_spec` accepted)."""
    module_name, _, attr = spec.rpartition(":")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            name = f"_skspider_cli_{path.stem}"
            loader_spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(loader_spec)
            loader_spec.loader.exec_module(module)
        else:
            # As `python -m` does: modules of the current directory are importable.
            if os.getcwd() not in sys.path and "" not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CLIError(f"unknown {what} {spec!r}: cannot import {module_name!r} ({exc}).") from exc
    func = getattr(module, attr, None)
    if func is None or not callable(func):
        raise CLIError(f"unknown {what} {spec!r}: {module_name!r} has no function {attr!r}.")
    return func


def resolve_zoo(spec: str):
    """The `~skspider.zoo.ModelZoo` named on the command line.

    The one place zoo names are resolved: a ``module:function`` (or ``file.py:function``)
    returning a `ModelZoo`, or ``builtin``. Every other name is an unknown zoo.
    """
    from ..zoo import ModelZoo

    check_spec(spec, "zoo")
    if spec == BUILTIN:
        return builtin_zoo().zoo
    zoo = load_callable(spec, "zoo")()
    if not isinstance(zoo, ModelZoo):
        raise CLIError(f"zoo {spec!r} returned {type(zoo).__name__}, not a skspider.zoo.ModelZoo.")
    if not len(zoo):
        raise CLIError(f"zoo {spec!r} is empty.")
    return zoo


def resolve_encoder(spec: str):
    """The general encoder: a ``module:function`` returning a `torch.nn.Module`, or
    ``builtin`` (the glyph zoo's encoder, whose output is its feature)."""
    from torch import nn

    check_spec(spec, "encoder")
    if spec == BUILTIN:
        return builtin_zoo().encoder
    encoder = load_callable(spec, "encoder")()
    if not isinstance(encoder, nn.Module):
        raise CLIError(f"encoder {spec!r} returned {type(encoder).__name__}, not a torch module.")
    return encoder


def resolve_method(name: str):
    """A transferability estimator by name (unknown names list the known ones)."""
    from ..transferability import get_estimator

    try:
        return get_estimator(name)
    except ValueError as exc:
        raise CLIError(f"unknown method {name!r}: {exc}") from None


def load_ranker(path: str):
    """A fitted ranker saved with `joblib.dump` (or `pickle`): anything with ``predict``.

    A `~skspider.spider.SpiderRanker`, a `~skspider.spider.RerankTransformer`, or a
    `~sklearn.pipeline.Pipeline` ending in a ranker (which then tokenises the task itself);
    ``builtin``: the glyph zoo's trained ranker.
    """
    import joblib

    if path == BUILTIN:
        return builtin_zoo().ranker
    file = Path(path)
    if not file.is_file():
        raise CLIError(f"ranker file {path!r} not found.")
    try:
        ranker = joblib.load(file)
    except Exception as exc:  # joblib/pickle raise many types on a file that is not a pickle
        raise CLIError(
            f"cannot load the ranker file {path!r} ({type(exc).__name__}: {exc}); save a "
            "fitted ranker with joblib.dump(ranker, path)."
        ) from None
    if not hasattr(ranker, "predict"):
        raise CLIError(f"ranker file {path!r} holds a {type(ranker).__name__}, not a ranker.")
    return ranker
