"""The package's benchmarks, runnable by name (`run_benchmark`, ``skspider benchmark NAME``):
the glyph zoo benchmark through the evaluation protocol, and the paper's table. The scripts
of the repository's ``benchmarks/`` folder are thin callers of these, or studies that need
code from outside the package."""

from ._paper import check_paper_table, paper_table
from ._registry import BENCHMARKS, Benchmark, get_benchmark, run_benchmark
from ._zoo import zoo_benchmark

__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "check_paper_table",
    "get_benchmark",
    "paper_table",
    "run_benchmark",
    "zoo_benchmark",
]
