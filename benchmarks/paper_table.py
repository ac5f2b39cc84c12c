"""Recompute the Model Spider paper's tau_w table from the shipped figures.

A thin caller of the package's benchmark (``skspider benchmark paper-table``, code in
``skspider/benchmarks/_paper.py``). Usage::

    python benchmarks/paper_table.py [--check] [--json out.json]
"""

import sys

from skspider.benchmarks import run_benchmark

if __name__ == "__main__":
    sys.exit(run_benchmark("paper-table", sys.argv[1:]))
