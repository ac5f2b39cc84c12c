"""`skspider demo`: rank the built-in zoo's PTMs for a held-out task."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import CLIError

# How to make the built-in zoo's files, for the messages below.
BUILD_HINT = (
    "build it from a clone of the repository with the glyph-zoo builder (see the README), "
    "or install a release of skspider that ships it"
)

DESCRIPTION = """\
Rank the PTMs of skspider's built-in zoo for a held-out task with the shipped trained
ranker, beside the true fine-tuned accuracies and LogME's ranking."""


def add_parser(subparsers: Any, parents: list) -> None:
    p = subparsers.add_parser(
        "demo",
        parents=parents,
        help="rank the built-in zoo's PTMs for a held-out task",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(handler=run)


def load_builtin_zoo() -> Any:
    """The built-in glyph zoo, or a CLIError (exit 2) saying that it is missing and why."""
    from .. import datasets

    loader = getattr(datasets, "load_glyph_zoo", None)
    if loader is None:
        raise CLIError(
            "the built-in zoo is not part of this installation: "
            "skspider.datasets.load_glyph_zoo does not exist in this version of skspider; "
            f"{BUILD_HINT}."
        )
    try:
        return loader()
    except (FileNotFoundError, OSError) as exc:
        raise CLIError(
            f"the built-in zoo's files are missing or unreadable ({exc}); {BUILD_HINT}."
        ) from None


def run(args: argparse.Namespace) -> int:
    load_builtin_zoo()
    raise CLIError("the demo is not wired to the built-in zoo in this version of skspider.", 1)
