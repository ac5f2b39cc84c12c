"""The package's benchmarks, runnable by name (`run_benchmark`, ``skspider benchmark NAME``):
the glyph zoo benchmark through the evaluation protocol, and the paper's table. The scripts
of the repository's ``benchmarks/`` folder are thin callers of these, or studies that need
code from outside the package."""

from ._registry import BENCHMARKS, Benchmark, get_benchmark, run_benchmark

# The benchmarks themselves load when first used (as the registry loads them when run):
# importing this package to list them must not pull in the datasets and the zoo.
_LAZY = {"check_paper_table": "_paper", "paper_table": "_paper", "zoo_benchmark": "_zoo"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "check_paper_table",
    "get_benchmark",
    "paper_table",
    "run_benchmark",
    "zoo_benchmark",
]
