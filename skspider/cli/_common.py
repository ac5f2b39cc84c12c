"""What every subcommand shares: exit codes, the error type, and output helpers."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

# Exit codes, documented in `skspider --help` and docs/cli.rst.
EXIT_OK = 0
EXIT_FAILURE = 1  # a runtime failure: the inputs were accepted but the work failed
EXIT_USAGE = 2  # a usage or input error: bad arguments, a missing file, a bad shape, an
#                 unknown method, zoo or benchmark, a missing built-in artifact
EXIT_DEPENDENCY = 3  # an optional dependency is missing (the message says what to install)
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES_HELP = """\
exit codes:
  0    success
  1    runtime failure (the inputs were accepted but the work failed; a benchmark's
       failed --check); `skspider benchmark NAME` returns the script's own exit code
  2    usage or input error: bad arguments, a missing or unreadable file, a bad shape,
       an unknown method, zoo or benchmark, a missing built-in artifact
  3    a missing optional dependency (the message says what to install)
  130  interrupted"""


class CLIError(Exception):
    """An error the command line reports in one line, exiting with ``code``."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


# -- argument checks: run before any subcommand works, they import neither torch nor the zoo
# (only the standard library and numpy), so that a bad argument is answered at once.
_DEVICE = re.compile(r"auto|[a-z]+(:[0-9]+)?")


def check_positive(value: int | None, option: str) -> None:
    """A CLIError unless ``value`` (when given) is a positive integer."""
    if value is not None and value < 1:
        raise CLIError(f"{option} must be a positive integer, got {value}.")


def check_device(device: str) -> None:
    """A CLIError unless ``device`` reads as a torch device (``cpu``, ``cuda:1``, ``auto``);
    whether that device exists is known only once torch is loaded."""
    if not _DEVICE.fullmatch(device):
        raise CLIError(
            f"--device must be a device such as cpu, cuda, cuda:1, mps or auto, got {device!r}."
        )


def check_writable(path: str, option: str, hint: str = "") -> None:
    """A CLIError unless the file ``path`` can be written: not a folder, and its nearest
    existing folder (the missing ones are created when it is written) is writable."""
    file = Path(path)
    if file.is_dir():
        raise CLIError(f"{option} {path!r} is a folder; give a file path.{hint}")
    folder = file.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CLIError(f"{option} {path!r}: {str(folder)!r} is a file, not a folder.{hint}")
    if file.exists() and not os.access(file, os.W_OK):
        raise CLIError(f"{option} {path!r}: the file cannot be written.{hint}")
    try:  # a real probe: permissions, read-only file systems, special folders
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or exc
        raise CLIError(
            f"{option} {path!r}: cannot write in {str(folder)!r} ({reason}).{hint}"
        ) from None


def to_jsonable(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into plain Python (NaN as None)."""
    if isinstance(value, bytes):  # labels saved as a bytes array
        return value.decode(errors="replace")
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def print_json(payload: Any, stream=None) -> None:
    """One JSON document on stdout (or ``stream``)."""
    json.dump(to_jsonable(payload), stream or sys.stdout, indent=2)
    (stream or sys.stdout).write("\n")


def format_table(rows: list[dict], columns: list[str]) -> str:
    """A plain-text table: right-aligned numbers, left-aligned text."""

    def cell(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            return f"{v:.4g}" if np.isfinite(v) else "-"
        return "-" if v is None else str(v)

    cells = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r.get(c), (int, float, np.number)) for r in rows) for c in columns]

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)]
        return "  ".join(parts).rstrip()

    return "\n".join([line(columns), *(line(r) for r in cells)])


def save_figure(figure: Any, path: str) -> None:
    """Save a matplotlib figure for a subcommand (creating its folder) and close it; a path
    that cannot be written is a `CLIError` (exit 1)."""
    import matplotlib.pyplot as plt

    try:
        file = Path(path)
        file.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(file, bbox_inches="tight")
    except (OSError, ValueError) as exc:
        raise CLIError(f"cannot save the figure to {path!r} ({exc}).", EXIT_FAILURE) from None
    finally:
        plt.close(figure)
