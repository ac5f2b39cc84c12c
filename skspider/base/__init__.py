"""Shared types: the task container, the ranker base class and input validation."""

# Import order matters: _ranker imports the other two.
from ._ranker import BaseRanker
from ._task import Task, is_loader, load_array, load_value
from ._validation import check_performance_matrix, check_task_sequence, check_token_sets

__all__ = [
    "BaseRanker",
    "Task",
    "check_performance_matrix",
    "check_task_sequence",
    "check_token_sets",
    "is_loader",
    "load_array",
    "load_value",
]
