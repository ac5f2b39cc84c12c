"""`skspider benchmark`: run a benchmark of the package by name."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from ._common import EXIT_OK, CLIError, format_table, print_json

DESCRIPTION = """\
Run one of the package's benchmarks by name, passing every argument after the name to it
(`skspider benchmark NAME --help` lists its own options). `--list` lists them. With --json
(before NAME) the command prints a JSON summary (the benchmark, its exit code, seconds) on
stdout and the benchmark's own output on stderr.

The repository's benchmarks/ folder also holds studies and comparisons with code from
outside the package (the authors' LogME, say): those are scripts, run with python."""

EPILOG = """\
exit code: the benchmark's own (0 success; 1, e.g., a failed paper-table --check).
examples:
  skspider benchmark --list
  skspider benchmark paper-table --check
  skspider benchmark zoo --quick
  skspider benchmark zoo --threads 1 --json zoo.json --figure zoo.png"""


def add_parser(subparsers: Any, parents: list) -> None:
    p = subparsers.add_parser(
        "benchmark",
        parents=parents,
        help="run a benchmark of the package by name",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.add_argument("--quick", action="store_true", help="the benchmark's quick mode, if any")
    p.add_argument("name", nargs="?", help="the benchmark")
    p.add_argument("bench_args", nargs=argparse.REMAINDER, help="arguments for the benchmark")
    p.set_defaults(handler=run)


def check_args(args: argparse.Namespace) -> None:
    """The benchmark's name, before anything heavy loads (its own arguments are checked
    when it runs)."""
    if args.list or args.name is None:
        return
    from ..benchmarks import get_benchmark

    try:
        get_benchmark(args.name)
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    from ..benchmarks import BENCHMARKS, get_benchmark
    from ..benchmarks._registry import parser_for

    if args.list or args.name is None:
        rows = [
            {"name": b.name, "quick": "yes" if b.quick else "no", "description": b.description}
            for b in BENCHMARKS.values()
        ]
        if args.json:
            print_json({"benchmarks": rows})
        else:
            print(format_table(rows, ["name", "quick", "description"]))
        return EXIT_OK
    try:
        bench = get_benchmark(args.name)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    bench_args = list(args.bench_args)
    if args.quick and "--quick" not in bench_args:
        if not bench.quick:
            print(f"note: {bench.name} has no quick mode; it runs in full.", file=sys.stderr)
        else:
            bench_args.append("--quick")
    parser = parser_for(bench.name)
    try:
        parsed = parser.parse_args(bench_args)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    module = bench.load()
    problem = module.check_arguments(parsed)
    if problem:
        raise CLIError(problem)
    start = time.perf_counter()
    if args.json:
        # The benchmark's own output goes to stderr; stdout keeps the summary.
        stdout, sys.stdout = sys.stdout, sys.stderr
        try:
            code = module.main(parsed)
        finally:
            sys.stdout = stdout
        print_json(
            {
                "benchmark": bench.name,
                "arguments": bench_args,
                "exit_code": code,
                "seconds": time.perf_counter() - start,
            }
        )
        return code
    return module.main(parsed)
