"""The task container shared by every ranker and estimator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Task", "is_loader", "load_array", "load_value"]

# A per-PTM array may be stored as is, or lazily: a zero-argument callable that returns it
# (a loader reading a cache file, say). Loaders run on access and their result is not kept,
# so a sequence of tasks over a large zoo never holds every PTM's features at once.
ArrayOrLoader = Any


def is_loader(value: ArrayOrLoader) -> bool:
    """Whether ``value`` is a loader (a zero-argument callable) rather than an array."""
    return callable(value) and not hasattr(value, "__array__")


def load_array(value: ArrayOrLoader) -> np.ndarray:
    """The array itself, or what a loader returns, as an ndarray (no copy of an array).

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.base import load_array
    >>> load_array(lambda: [[1, 2]]).shape
    (1, 2)
    """
    return np.asarray(value() if is_loader(value) else value)


def load_value(value: Any) -> Any:
    """What a loader returns, or ``value`` itself, unconverted (side data may be any object,
    e.g. a list of arrays, that `load_array` would turn into something else)."""
    return value() if is_loader(value) else value


@dataclass(frozen=True, eq=False)
class Task:
    """One target task: its labels and what each model (or the general encoder) sees of it.

    A `Task` is the unit a ranker's ``X`` is a sequence of. It holds only references: arrays
    are not copied, and per-model entries may be loaders (zero-argument callables) that read
    the array on demand, so large zoos stay out of memory until needed.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Class labels, or regression targets.
    X : array-like of shape (n_samples, n_features) or callable, default=None
        Per-sample features from the general encoder (the input of a `TaskTokenizer`), or a
        zero-argument callable returning them (a lazy encoder pass).
    model_features : mapping of str to array-like or callable, default=None
        For each PTM, its per-sample features ``(n_samples, n_features_m)``: the input of its
        final classifier. Values may be zero-argument callables returning the array.
    model_probas : mapping of str to array-like or callable, default=None
        For each PTM with a source classification head, its source-class probabilities
        ``(n_samples, n_source_classes_m)``.
    name : str, default=None
        An identifier (the dataset or sampled-task id).
    tokens : array-like of shape (n_tokens, n_features), default=None
        The task's token set when it is already computed (one centroid per class).
    model_tokens : mapping of str to array-like or callable, default=None
        PTM-specific token sets (one centroid per class in the PTM's own feature space).
    metadata : mapping, default={}
        Free-form information about the task (e.g. how it was sampled).
    side_data : mapping of str to object or callable, default=None
        Side inputs some transferability estimators need besides the PTM's array and the
        labels, by the name of their `fit` parameter, shared by every PTM of the task: e.g.
        ``{"label_embeddings": E}`` for `skspider.transferability.EMMS` (text embeddings of
        this task's classes), or ``{"source_labels": ys}`` for
        `skspider.transferability.OTCE` when every PTM embeds the same source samples.
        Values may be zero-argument callables returning them.
    model_side_data : mapping of str to mapping, default=None
        Per-PTM side inputs: for each PTM name, a mapping as ``side_data`` whose entries
        override the task-wide ones, e.g. ``{"resnet": {"source_features": Fs_resnet}}``
        for `skspider.transferability.OTCE` (the PTM's features of its source samples).
        Zoo-scoring (`skspider.transferability.TransferabilityRanker`,
        `skspider.tasks.proxy_ranks`) passes each estimator the entries it declares.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.base import Task
    >>> rng = np.random.default_rng(0)
    >>> task = Task(y=np.array([0, 1, 0, 1]),
    ...             model_features={"resnet": rng.normal(size=(4, 3)),
    ...                             "vit": lambda: np.ones((4, 5))})
    >>> task.models
    ['resnet', 'vit']
    >>> task.get_model_features("vit").shape
    (4, 5)
    """

    y: Any
    X: Any = None
    model_features: Mapping[str, ArrayOrLoader] | None = None
    model_probas: Mapping[str, ArrayOrLoader] | None = None
    name: str | None = None
    tokens: Any = None
    model_tokens: Mapping[str, ArrayOrLoader] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    side_data: Mapping[str, Any] | None = None
    model_side_data: Mapping[str, Mapping[str, Any]] | None = None

    @property
    def n_samples(self) -> int:
        """Number of samples (length of ``y``)."""
        return int(np.shape(self.y)[0])

    @property
    def models(self) -> list[str]:
        """Names of the PTMs this task carries features, probabilities or tokens for."""
        names: dict[str, None] = {}
        for mapping in (self.model_features, self.model_probas, self.model_tokens):
            if mapping:
                names.update(dict.fromkeys(mapping))
        return list(names)

    def _get(self, kind: str, mapping: Mapping[str, ArrayOrLoader] | None, model: str):
        if not mapping or model not in mapping:
            known = sorted(mapping) if mapping else []
            raise KeyError(
                f"Task {self.name!r} has no {kind} for model {model!r}; it has {kind} for {known}."
            )
        return load_array(mapping[model])

    def get_model_features(self, model: str) -> np.ndarray:
        """Per-sample features of ``model`` on this task (loaded if lazy)."""
        return self._get("model_features", self.model_features, model)

    def get_model_probas(self, model: str) -> np.ndarray:
        """Source-class probabilities of ``model`` on this task (loaded if lazy)."""
        return self._get("model_probas", self.model_probas, model)

    def get_model_tokens(self, model: str) -> np.ndarray:
        """PTM-specific token set of ``model`` on this task (loaded if lazy)."""
        return self._get("model_tokens", self.model_tokens, model)

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}", f"n_samples={self.n_samples}"]
        if self.X is not None and not is_loader(self.X):
            parts.append(f"X={tuple(np.shape(self.X))}")
        if self.tokens is not None:
            parts.append(f"tokens={tuple(np.shape(self.tokens))}")
        if self.models:
            parts.append(f"models={len(self.models)}")
        return f"Task({', '.join(parts)})"

    def _side_entries(self, model: str, names: Any = None) -> dict[str, Any]:
        # Unloaded: the zoo-scoring engine ships loaders to its workers, which call them.
        entries = dict(self.side_data or {})
        entries.update((self.model_side_data or {}).get(model) or {})
        if names is not None:
            entries = {k: v for k, v in entries.items() if k in set(names)}
        return entries

    def get_side_data(self, model: str, names: Any = None) -> dict[str, Any]:
        """Side inputs for ``model`` on this task (loaded if lazy).

        The task-wide ``side_data`` updated with ``model_side_data[model]``; only the
        entries in ``names`` when given. Entries that are absent are left out.

        Examples
        --------
        >>> import numpy as np
        >>> from skspider.base import Task
        >>> task = Task(y=[0, 1], side_data={"source_labels": [0, 1]},
        ...             model_side_data={"vit": {"source_features": lambda: np.eye(2)}})
        >>> sorted(task.get_side_data("vit"))
        ['source_features', 'source_labels']
        >>> task.get_side_data("resnet")
        {'source_labels': [0, 1]}
        """
        return {k: load_value(v) for k, v in self._side_entries(model, names).items()}
