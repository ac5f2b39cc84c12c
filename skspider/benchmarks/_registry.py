"""The benchmarks of the package, by name: what `skspider benchmark NAME` runs."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BENCHMARKS", "Benchmark", "get_benchmark", "run_benchmark"]


@dataclass(frozen=True)
class Benchmark:
    """A benchmark of the package: a module with ``add_arguments(parser)``,
    ``check_arguments(args)`` (an error message or None, checked before torch loads) and
    ``main(args) -> exit code``."""

    name: str
    module: str
    description: str
    quick: bool

    def load(self):
        return importlib.import_module(self.module, __package__)


#: name -> Benchmark. The modules are imported only when run.
BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark(
            "zoo",
            "._zoo",
            "every ranker on the glyph zoo's test tasks (or new tasks of the test design): "
            "tau_w, top-1 regret, seconds and forward passes per task",
            quick=True,
        ),
        Benchmark(
            "paper-table",
            "._paper",
            "the Model Spider paper's tau_w table recomputed from its published figures, "
            "with the task-blind prior (--check compares every cell)",
            quick=False,
        ),
    )
}


def get_benchmark(name: str) -> Benchmark:
    """The benchmark ``name`` (a `ValueError` listing the others if unknown)."""
    key = name.removesuffix(".py").replace("_", "-")
    if key not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; the benchmarks are {sorted(BENCHMARKS)}.")
    return BENCHMARKS[key]


def parser_for(name: str, prog: str | None = None) -> argparse.ArgumentParser:
    bench = get_benchmark(name)
    parser = argparse.ArgumentParser(prog=prog or f"skspider benchmark {bench.name}",
                                     description=bench.description)  # fmt: skip
    bench.load().add_arguments(parser)
    return parser


def run_benchmark(name: str, argv: Sequence[str] = ()) -> int:
    """Run a benchmark with command-line arguments; its exit code.

    Examples
    --------
    >>> from skspider.benchmarks import run_benchmark
    >>> run_benchmark("paper-table", ["--check"])  # doctest: +ELLIPSIS
    Weighted Kendall tau ...
    check passed: ...
    0
    """
    module = get_benchmark(name).load()
    args = parser_for(name).parse_args(list(argv))
    problem = module.check_arguments(args)
    if problem:
        raise ValueError(problem)
    return module.main(args)
