"""Training tasks: episodic sampling from labelled pools, task tokens and proxy ranks."""

from ._proxy import aggregate_scores, proxy_ranks
from ._sampling import sample_tasks
from ._tokenizer import TaskTokenizer

__all__ = ["TaskTokenizer", "aggregate_scores", "proxy_ranks", "sample_tasks"]
