"""`skspider benchmark`: run a script of the repository's benchmarks/ folder by name."""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ._common import EXIT_FAILURE, EXIT_OK, CLIError, format_table, print_json

DESCRIPTION = """\
Run a benchmark of the repository's benchmarks/ folder by name, passing every argument
after the name to the script (see `skspider benchmark NAME --help` for its own options).

benchmarks/ is part of a clone of the repository, not of the installed package: it is
looked for in --benchmarks-dir, then $SKSPIDER_BENCHMARKS, then beside the skspider
package (an editable install or a checkout on PYTHONPATH), then in the current directory.

--quick is passed to the scripts that have a quick mode; a script without one runs in
full (the CLI says so). With --json (before NAME) the CLI prints a JSON summary (the
command, exit code, seconds) on stdout and sends the script's own output to stderr."""

EPILOG = """\
exit code: the script's own (0 success; 1, e.g., a failed paper_table --check).
examples:
  skspider benchmark --list
  skspider benchmark paper_table --check
  skspider benchmark bench_spider --quick --json results.json"""


def add_parser(subparsers: Any, parents: list) -> None:
    p = subparsers.add_parser(
        "benchmark",
        parents=parents,
        help="run a benchmark script of benchmarks/ by name",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.add_argument("--quick", action="store_true", help="run the script's quick mode, if any")
    p.add_argument("--benchmarks-dir", metavar="DIR", help="where benchmarks/ is")
    p.add_argument("name", nargs="?", help="the benchmark (a script name, with or without .py)")
    p.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
    p.set_defaults(handler=run)


def find_benchmarks_dir(explicit: str | None) -> Path:
    """The benchmarks/ folder, or a CLIError saying where it was looked for."""
    if explicit is not None:
        candidates = [Path(explicit)]
    else:
        import skspider

        candidates = [
            Path(skspider.__file__).resolve().parents[1] / "benchmarks",
            Path.cwd() / "benchmarks",
        ]
        if os.environ.get("SKSPIDER_BENCHMARKS"):
            candidates.insert(0, Path(os.environ["SKSPIDER_BENCHMARKS"]))
    for path in candidates:
        if path.is_dir():
            return path
    raise CLIError(
        "benchmarks/ not found (looked in "
        + ", ".join(repr(str(p)) for p in candidates)
        + "); it ships with a clone of the repository, not with the installed package: "
        "run from a clone, or pass --benchmarks-dir."
    )


def list_benchmarks(folder: Path) -> dict[str, dict]:
    """Each script of ``folder``: its path, the first line of its docstring, --quick support."""
    out = {}
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        source = path.read_text(encoding="utf-8")
        try:
            doc = ast.get_docstring(ast.parse(source)) or ""
        except SyntaxError:
            doc = ""
        out[path.stem] = {
            "path": str(path),
            "description": " ".join(doc.split("\n\n")[0].split()),
            "quick": '"--quick"' in source,
        }
    return out


def check_args(args: argparse.Namespace) -> None:
    """Before any script runs: benchmarks/ is found, and NAME is one of its scripts."""
    folder = find_benchmarks_dir(args.benchmarks_dir)
    if args.list or args.name is None:
        return
    found = list_benchmarks(folder)
    if args.name.removesuffix(".py") not in found:
        raise CLIError(f"unknown benchmark {args.name!r}; available: {sorted(found)}.")


def run(args: argparse.Namespace) -> int:
    folder = find_benchmarks_dir(args.benchmarks_dir)
    found = list_benchmarks(folder)
    if args.list or args.name is None:
        if args.json:
            print_json({"benchmarks_dir": str(folder), "benchmarks": found})
        elif not found:
            print(f"no benchmark scripts in {folder}")
        else:
            rows = [
                {"name": n, "quick": "yes" if b["quick"] else "no", "description": b["description"]}
                for n, b in found.items()
            ]
            print(format_table(rows, ["name", "quick", "description"]))
        return EXIT_OK
    name = args.name.removesuffix(".py")  # a script of `found`: check_args made sure
    script_args = list(args.script_args)
    if args.quick and "--quick" not in script_args:
        script_args.append("--quick")
    if "--quick" in script_args and not found[name]["quick"]:
        script_args.remove("--quick")
        print(f"note: {name} has no --quick mode; it runs in full.", file=sys.stderr)
    command = [sys.executable, found[name]["path"], *script_args]
    # The script imports the skspider this CLI runs from, installed or not.
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"  # its lines are forwarded as they come
    start = time.perf_counter()
    # The script's stdout is forwarded line by line to ours (to stderr with --json, which
    # keeps stdout for the summary); its stderr is inherited.
    target = sys.stderr if args.json else sys.stdout
    try:
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as proc:
            for line in proc.stdout:
                target.write(line)
                target.flush()
        code = proc.returncode
    except OSError as exc:
        raise CLIError(f"cannot run {found[name]['path']!r} ({exc}).", EXIT_FAILURE) from None
    if args.json:
        print_json(
            {
                "benchmark": name,
                "command": command,
                "exit_code": code,
                "seconds": time.perf_counter() - start,
            }
        )
    return code
