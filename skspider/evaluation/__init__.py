"""The evaluation protocol: rank tasks with each ranker, count the forward passes each one
needs, time it, and score it against the truth. Every caller (the demo, the benchmarks, the
command line, the gallery) goes through `evaluate_rankers`."""

from ._protocol import evaluate_rankers, summarize_evaluation
from ._rankers import make_rankers

__all__ = ["evaluate_rankers", "make_rankers", "summarize_evaluation"]
