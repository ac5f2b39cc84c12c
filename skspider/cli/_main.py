"""The `skspider` command: the parser, dispatch to the subcommands, and exit codes."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from . import _benchmark, _build, _demo, _rank
from ._common import (
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CLIError,
    print_json,
)

_SUBCOMMANDS = {"demo": _demo, "rank": _rank, "benchmark": _benchmark, "build-zoo": _build}

DESCRIPTION = """\
skspider: which pre-trained model should I fine-tune? Rank the PTMs of a model zoo for a
task, run the benchmarks, build the glyph zoo, or see the demo. `skspider COMMAND --help`
for each command."""


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``skspider`` and its subcommands."""
    from .._version import __version__

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print the result as JSON")
    common.add_argument(
        "-v", "--verbose", action="count", default=0, help="report progress (repeat for more)"
    )
    common.add_argument(
        "--traceback", action="store_true", help="on an error, print the full traceback"
    )
    parser = argparse.ArgumentParser(
        prog="skspider",
        description=DESCRIPTION,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"skspider {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _SUBCOMMANDS.values():
        module.add_parser(sub, [common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``skspider`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Exit codes: 0 success; 1 runtime failure; 2 usage or input error (bad arguments, a
    missing file, a bad shape, an unknown method, zoo or benchmark, a missing built-in
    artifact); 3 a missing optional dependency; 130 interrupted. ``skspider benchmark NAME``
    returns the benchmark's own exit code.

    Examples
    --------
    >>> from skspider.cli import main
    >>> main(["rank", "no-such-task.npz"])
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (argparse exits 2)
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        # Every argument is checked before any work, with neither torch nor the zoo loaded.
        _SUBCOMMANDS[args.command].check_args(args)
        return int(args.handler(args))
    except CLIError as exc:
        return _report(args, str(exc), exc.code)
    except KeyboardInterrupt:
        return _report(args, "interrupted", EXIT_INTERRUPTED)
    except (ValueError, TypeError, KeyError) as exc:
        # skspider rejects bad input with these (a shape or width that does not match, ...).
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return _report(args, f"invalid input: {message}", EXIT_USAGE, exc)
    except Exception as exc:
        return _report(args, f"failed: {type(exc).__name__}: {exc}", EXIT_FAILURE, exc)


def _report(args: argparse.Namespace, message: str, code: int, exc=None) -> int:
    if exc is not None and getattr(args, "traceback", False):
        traceback.print_exception(exc)
    print(f"skspider {args.command}: error: {message}", file=sys.stderr)
    if getattr(args, "json", False):
        print_json({"error": message, "exit_code": code})
    return code
