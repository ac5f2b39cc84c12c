"""Episodic training tasks drawn from one or several labelled pools."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target

from .._sklearn_compat import Interval, validate_params
from ..base import Task, load_array

__all__ = ["sample_tasks"]


class _Gather:
    """Lazy rows of one or several per-PTM sources, concatenated (picklable).

    Each part is ``(source, rows)``: ``source`` is a zero-argument loader (e.g. a
    `skspider.zoo.CachedArray`), called on access, so a sampled task reads only its rows.
    """

    def __init__(self, parts: list[tuple[Any, np.ndarray]]):
        self.parts = parts

    def __call__(self) -> np.ndarray:
        blocks = [np.asarray(np.asarray(source())[rows]) for source, rows in self.parts]
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)

    def __repr__(self) -> str:
        return f"_Gather({sum(len(r) for _, r in self.parts)} rows)"


def _take(parts: list[tuple[Any, np.ndarray]]) -> Any:
    """Rows of the sources: sliced now for arrays, a lazy loader for loaders."""
    if all(hasattr(src, "__array__") or isinstance(src, np.ndarray) for src, _ in parts):
        blocks = [np.asarray(src)[rows] for src, rows in parts]
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    if len(parts) == 1:
        src, rows = parts[0]
        # A cache loader restricted to rows stays a single memory-mapped read.
        if hasattr(src, "path") and hasattr(src, "rows"):
            base = src.rows
            return type(src)(src.path, rows=rows if base is None else base[rows])
    return _Gather(parts)


def _as_pools(X: Any, y: Any) -> list[tuple[str, Task]]:
    """Normalise the pool argument(s) to named Tasks."""
    if isinstance(X, Task):
        if y is not None:
            raise TypeError("y must be None when X is a Task (its labels are task.y).")
        return [(X.name if X.name is not None else "pool0", X)]
    if isinstance(X, Mapping):
        items = list(X.items())
    elif y is None and isinstance(X, Sequence) and not isinstance(X, str):
        items = [(None, item) for item in X]
    else:
        if y is None:
            raise ValueError(
                "y is required with an array X; pass several pools as a list or dict of "
                "(X, y) pairs or Tasks, with y=None."
            )
        items = [("pool0", (X, y))]
    if y is not None and len(items) != 1:
        raise TypeError("y must be None when several pools are given.")
    if not items:
        raise ValueError("No pools given.")
    pools = []
    for i, (name, item) in enumerate(items):
        if isinstance(item, Task):
            task = item
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            task = Task(y=item[1], X=item[0])
        else:
            raise TypeError(
                f"Pool {i} must be a Task or an (X, y) pair, got {type(item).__name__}."
            )
        if name is None:
            name = task.name if task.name is not None else f"pool{i}"
        pools.append((str(name), task))
    names = [n for n, _ in pools]
    if len(set(names)) != len(names):
        raise ValueError(f"Pool names must be unique, got {names}.")
    return pools


def _check_pool(name: str, task: Task) -> tuple[np.ndarray, np.ndarray | None]:
    y = np.asarray(task.y)
    if y.ndim != 1 or y.shape[0] == 0:
        raise ValueError(f"Pool {name!r}: y must be a non-empty 1-D label array, got {y.shape}.")
    kind = type_of_target(y)
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"Pool {name!r}: tasks are sampled by class, so y must hold class labels; got "
            f"{kind!r} targets (bin regression targets first)."
        )
    X = None
    if task.X is not None:
        X = load_array(task.X)
        if X.ndim != 2 or X.shape[0] != y.shape[0]:
            raise ValueError(
                f"Pool {name!r}: X must be (n_samples, n_features) with one row per label; got "
                f"X of shape {X.shape} for {y.shape[0]} labels."
            )
    return y, X


def _check_range(value: Any, label: str) -> tuple[int, int]:
    if isinstance(value, Integral) and not isinstance(value, bool):
        lo = hi = int(value)
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, Integral) and not isinstance(v, bool) for v in value)
    ):
        lo, hi = int(value[0]), int(value[1])
    else:
        raise TypeError(f"{label} must be an int or a (low, high) pair of ints, got {value!r}.")
    if lo < 1 or hi < lo:
        raise ValueError(f"{label} must be >= 1 (and low <= high), got {value!r}.")
    return lo, hi


_POSITIVE = Interval(Integral, 1, None, closed="left")


@validate_params(
    {
        "X": ["array-like", Task, Mapping, None],
        "y": ["array-like", None],
        "n_tasks": [_POSITIVE],
        "n_way": [_POSITIVE, tuple, list],
        "n_shot": [_POSITIVE],
        "random_state": ["random_state"],
        "n_pools": [_POSITIVE, tuple, list],
        "prefix": [str],
    },
    prefer_skip_nested_validation=True,
)
def sample_tasks(
    X: Any,
    y: Any = None,
    n_tasks: int = 10,
    n_way: int | tuple[int, int] = 5,
    n_shot: int = 10,
    random_state: int | np.random.RandomState | None = None,
    *,
    n_pools: int | tuple[int, int] = (2, 4),
    prefix: str = "task",
) -> list[Task]:
    """Draw episodic classification tasks from labelled pools.

    Each task picks ``n_way`` classes and ``n_shot`` samples of each, without replacement.
    With several pools (source datasets), each task first picks ``n_pools`` of them (2 to 4
    by default, as the tasks Model Spider trains on) and draws its classes from their union,
    at least one class from each picked pool. Classes of different pools are different
    classes, even when their labels coincide.

    A task stores its samples as indices into the pools (``metadata["indices"]``) plus what
    is needed downstream: ``X``, the rows of the pools' general-encoder features (for a
    `TaskTokenizer`), and, for each PTM present in all picked pools, its features and source
    probabilities restricted to those rows: sliced at once when the pool holds arrays, lazy
    loaders when it holds loaders (such as the `skspider.zoo.CachedArray` of a cached
    `~skspider.zoo.make_task` pool), so tasks over a large zoo stay small.

    Parameters
    ----------
    X : array-like, Task, or list or dict of pools
        One pool: an ``(n_samples, n_features)`` array of general-encoder features with
        labels ``y`` (X may be None for indices only), or a `~skspider.base.Task`. Several
        pools: a list of `~skspider.base.Task` or ``(X, y)`` pairs, or a dict from pool name
        to one of them (then ``y=None``).
    y : array-like of shape (n_samples,), default=None
        Class labels of a single array pool.
    n_tasks : int, default=10
        Number of tasks.
    n_way : int or (int, int), default=5
        Classes per task, or an inclusive range drawn per task.
    n_shot : int, default=10
        Samples per class. Every class of every pool must have at least this many.
    random_state : int, RandomState instance or None, default=None
        Seeds a local generator: the same seed gives the same tasks.
    n_pools : int or (int, int), default=(2, 4)
        Pools per task (inclusive range, capped by the number of pools and by the classes
        drawn); ignored with one pool.
    prefix : str, default="task"
        Task names are ``f"{prefix}{i}"``.

    Returns
    -------
    tasks : list of Task
        ``y`` in ``0 .. n_way - 1``: label ``k`` is the class ``metadata["classes"][k]``, a
        ``(pool name, original label)`` pair; samples grouped by class.
        ``metadata["indices"]`` maps each picked pool to the rows drawn from it (in the
        order of the task's samples), ``metadata["pools"]`` lists the picked pools.

    Raises
    ------
    ValueError
        A class with fewer than ``n_shot`` samples, ``n_way`` larger than the classes
        available, non-class labels, pools whose general features differ in width.

    See Also
    --------
    TaskTokenizer : Turns the sampled tasks into token sets.
    proxy_ranks : Their training labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.tasks import sample_tasks
    >>> rng = np.random.default_rng(0)
    >>> pools = {name: (rng.normal(size=(60, 4)), np.arange(60) % 6) for name in "abc"}
    >>> tasks = sample_tasks(pools, n_tasks=3, n_way=4, n_shot=5, random_state=0)
    >>> tasks[0].X.shape, np.bincount(tasks[0].y).tolist()
    ((20, 4), [5, 5, 5, 5])
    >>> len(tasks[0].metadata["classes"]), 2 <= len(tasks[0].metadata["pools"]) <= 3
    (4, True)
    """
    pools = _as_pools(X, y)
    way_lo, way_hi = _check_range(n_way, "n_way")
    pool_lo, pool_hi = _check_range(n_pools, "n_pools")
    rng = check_random_state(random_state)

    labels, feats, by_class = [], [], []
    for name, task in pools:
        y_p, X_p = _check_pool(name, task)
        classes, inverse, counts = np.unique(y_p, return_inverse=True, return_counts=True)
        small = classes[counts < n_shot]
        if small.size:
            raise ValueError(
                f"Pool {name!r}: classes {small[:10].tolist()} have fewer than n_shot={n_shot} "
                f"samples (smallest: {counts.min()}); lower n_shot or drop those classes."
            )
        labels.append(y_p)
        feats.append(X_p)
        by_class.append([(c, np.flatnonzero(inverse == k)) for k, c in enumerate(classes)])
    has_X = [f is not None for f in feats]
    if any(has_X) and not all(has_X):
        missing = [pools[i][0] for i, h in enumerate(has_X) if not h]
        raise ValueError(f"Pools {missing} have no X while others have; give X to all or none.")
    widths = {f.shape[1] for f in feats if f is not None}
    if len(widths) > 1:
        raise ValueError(
            f"The pools' general features have different widths {sorted(widths)}; they must "
            "come from the same encoder."
        )
    total = sum(len(c) for c in by_class)
    if way_hi > total:
        raise ValueError(f"n_way={n_way} exceeds the {total} classes available in the pools.")

    tasks = []
    for t in range(n_tasks):
        way = int(rng.randint(way_lo, way_hi + 1))
        order = rng.permutation(len(pools))
        k = 1 if len(pools) == 1 else int(rng.randint(pool_lo, pool_hi + 1))
        k = max(1, min(k, len(pools), way))
        chosen = list(order[:k])
        # Too few classes in the picked pools: add pools until there are enough.
        extra = iter(order[k:])
        while sum(len(by_class[p]) for p in chosen) < way:
            chosen.append(next(extra))
        candidates = [(p, c) for p in chosen for c in range(len(by_class[p]))]
        first = [(p, int(rng.randint(len(by_class[p])))) for p in chosen[:way]]
        rest = [pc for pc in candidates if pc not in first]
        picks = rng.choice(len(rest), size=way - len(first), replace=False)
        drawn = sorted(first + [rest[i] for i in picks])

        rows: dict[int, list[np.ndarray]] = {}
        y_task, meta_classes = [], []
        for label, (p, c) in enumerate(drawn):
            cls, members = by_class[p][c]
            rows.setdefault(p, []).append(rng.choice(members, size=n_shot, replace=False))
            y_task.append(np.full(n_shot, label))
            meta_classes.append((pools[p][0], cls.item() if hasattr(cls, "item") else cls))
        picked = sorted(rows)
        index = {p: np.concatenate(rows[p]) for p in picked}
        # Samples are ordered pool by pool, class by class: the order of `drawn`.
        X_task = None
        if feats[0] is not None:
            X_task = np.concatenate([feats[p][index[p]] for p in picked])
        common = [
            m
            for m in (pools[picked[0]][1].model_features or {})
            if all(m in (pools[p][1].model_features or {}) for p in picked)
        ]
        common_p = [
            m
            for m in (pools[picked[0]][1].model_probas or {})
            if all(m in (pools[p][1].model_probas or {}) for p in picked)
        ]
        model_features = {
            m: _take([(pools[p][1].model_features[m], index[p]) for p in picked]) for m in common
        }
        model_probas = {
            m: _take([(pools[p][1].model_probas[m], index[p]) for p in picked]) for m in common_p
        }
        tasks.append(
            Task(
                y=np.concatenate(y_task),
                X=X_task,
                model_features=model_features or None,
                model_probas=model_probas or None,
                name=f"{prefix}{t}",
                metadata={
                    "pools": [pools[p][0] for p in picked],
                    "classes": meta_classes,
                    "indices": {pools[p][0]: index[p] for p in picked},
                },
            )
        )
    return tasks
