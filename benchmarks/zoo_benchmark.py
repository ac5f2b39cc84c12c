"""The end-to-end benchmark on the glyph zoo: every ranker on its test tasks, tau_w, regret,
seconds and forward passes per task.

A thin caller of the package's benchmark (``skspider benchmark zoo``, code in
``skspider/benchmarks/_zoo.py``, through ``skspider.evaluation.evaluate_rankers``). Usage::

    python benchmarks/zoo_benchmark.py --threads 1 --json zoo.json --figure zoo.png
    python benchmarks/zoo_benchmark.py --new-tasks 12 --seed 1 --jobs 2 --work /tmp/new
    python benchmarks/zoo_benchmark.py --data-dir /tmp/gz --quick   # a built tiny zoo
"""

import sys

from skspider.benchmarks import run_benchmark

if __name__ == "__main__":
    sys.exit(run_benchmark("zoo", sys.argv[1:]))
