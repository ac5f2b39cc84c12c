"""The task container shared by every ranker and estimator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Task", "is_loader", "load_array"]

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
    X : array-like of shape (n_samples, n_features), default=None
        Per-sample features from the general encoder (the input of a `TaskTokenizer`).
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
        if self.X is not None:
            parts.append(f"X={tuple(np.shape(self.X))}")
        if self.tokens is not None:
            parts.append(f"tokens={tuple(np.shape(self.tokens))}")
        if self.models:
            parts.append(f"models={len(self.models)}")
        return f"Task({', '.join(parts)})"
