"""Task tokens: one class centroid per class of a task."""

from __future__ import annotations

import dataclasses
from numbers import Integral
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import Interval, StrOptions, fit_context
from ..base import Task, check_task_sequence, is_loader, load_array
from ..base._numeric import class_means

__all__ = ["TaskTokenizer"]


def _groups(y: Any, n_bins: int, binning: str, where: str) -> np.ndarray:
    """Group index (0 .. n_groups - 1) of every sample: its class, or its target's bin."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"{where}: y must be 1-D (labels or one regression target), got shape {y.shape}; "
            "bin multi-output targets into one label vector first."
        )
    if y.shape[0] == 0:
        raise ValueError(f"{where} has no samples (an empty class set).")
    kind = type_of_target(y)
    if kind == "continuous":
        values = y.astype(np.float64)
        if not np.isfinite(values).all():
            raise ValueError(f"{where}: y contains NaN or infinity.")
        if binning == "quantile":
            edges = np.quantile(values, np.linspace(0, 1, n_bins + 1))
        else:
            edges = np.linspace(values.min(), values.max(), n_bins + 1)
        bins = np.searchsorted(edges[1:-1], values, side="right")
        # Empty bins (repeated quantiles) give no token: renumber the occupied ones in order.
        return np.unique(bins, return_inverse=True)[1]
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"{where}: y must be class labels or regression targets, got {kind!r}.")
    return np.unique(y, return_inverse=True)[1]


def _centroids(features: Any, groups: np.ndarray, normalize: str, where: str) -> np.ndarray:
    if sp.issparse(features):
        raise TypeError(
            f"{where}: sparse features are not supported; the general encoder's features are "
            "dense (pass features.toarray())."
        )
    F = np.asarray(features)
    if np.iscomplexobj(F):
        raise ValueError(f"{where}: complex features are not supported.")
    try:
        F = F.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where}: features must be numeric; {exc}") from None
    if F.ndim != 2 or F.shape[0] != groups.shape[0]:
        raise ValueError(
            f"{where}: features must be (n_samples, n_features) with one row per label; got "
            f"shape {F.shape} for {groups.shape[0]} labels."
        )
    if not np.isfinite(F).all():
        raise ValueError(f"{where}: features contain NaN or infinity.")
    if normalize == "l2":
        norms = np.linalg.norm(F, axis=1, keepdims=True)
        F = F / np.where(norms > 0, norms, 1.0)
    return class_means(F, groups, int(groups.max()) + 1)[0]


class _ModelTokens:
    """Lazy PTM-specific tokens: centroids of the PTM's own features, computed on access."""

    def __init__(self, source: Any, groups: np.ndarray, normalize: str, where: str):
        self.source, self.groups, self.normalize, self.where = source, groups, normalize, where

    def __call__(self) -> np.ndarray:
        return _centroids(load_array(self.source), self.groups, self.normalize, self.where)


class TaskTokenizer(TransformerMixin, BaseEstimator):
    """Turn tasks into token sets: the centroid of each class in a general feature space.

    Model Spider represents a task by one token per class: the mean of the class's samples
    under a fixed general encoder. This transformer computes them from each task's
    per-sample features ``task.X`` and labels ``task.y``, one row per class in the order of
    the sorted unique labels. Regression targets (float ``y``) are first binned into
    ``n_bins`` pseudo-classes; only occupied bins give tokens.

    It is the first step of ``Pipeline([("tok", TaskTokenizer()), ("rank", SpiderRanker())])``
    whose ``X`` is a sequence of `~skspider.base.Task`. It learns nothing: ``fit`` checks the
    tasks and records the feature width (``n_features_in_``), which ``transform`` enforces;
    ``y`` (in a pipeline, the ranker's performance matrix) is ignored.

    It takes a sequence of tasks only: a bare 2-D array is refused with a `TypeError`, since
    it would be ambiguous (one task, or one sample per task?); wrap one labelled set as
    ``[Task(y=y, X=X)]``.

    Parameters
    ----------
    normalize : {"l2", "none"}, default="l2"
        How each sample's features are normalised before averaging: ``"l2"`` scales every
        sample to unit Euclidean norm, so a token's norm measures how tight its class is (and
        encoders of different scales compare); ``"none"`` averages the raw features. (A string,
        as the ``normalize`` of `proxy_ranks` and `~skspider.dummy.PriorRanker`, which
        normalise score rows instead.)
    n_bins : int, default=10
        Pseudo-classes for regression targets.
    binning : {"quantile", "uniform"}, default="quantile"
        Bin edges: quantiles of the targets (equal counts), or equal widths.
    model_tokens : bool, default=False
        Return tasks instead of arrays: copies of the input tasks (`dataclasses.replace`)
        with ``tokens`` set and ``model_tokens`` holding, for every PTM in
        ``task.model_features``, a lazy loader of the class centroids of that PTM's own
        features (same classes, same order, same normalisation). The loaders compute on
        access and keep nothing, so a large zoo is never tokenised at once. For the
        re-ranking stage.

    Attributes
    ----------
    n_features_in_ : int
        Width of the general features seen in `fit`.

    See Also
    --------
    sample_tasks : Draws the tasks.
    skspider.base.Task : The container transformed.

    Examples
    --------
    >>> import numpy as np
    >>> from skspider.base import Task
    >>> from skspider.tasks import TaskTokenizer
    >>> task = Task(y=np.array(["b", "a", "b", "a"]),
    ...             X=np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0], [0.0, 4.0]]))
    >>> TaskTokenizer().fit_transform([task])[0]  # rows: class "a", then "b"
    array([[0., 1.],
           [1., 0.]])
    >>> TaskTokenizer(normalize="none").fit_transform([task])[0]
    array([[0., 3.],
           [2., 0.]])
    """

    _parameter_constraints: dict = {
        "normalize": [StrOptions({"l2", "none"})],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "binning": [StrOptions({"quantile", "uniform"})],
        "model_tokens": ["boolean"],
    }

    def __init__(
        self,
        *,
        normalize: Literal["l2", "none"] = "l2",
        n_bins: int = 10,
        binning: Literal["quantile", "uniform"] = "quantile",
        model_tokens: bool = False,
    ):
        self.normalize = normalize
        self.n_bins = n_bins
        self.binning = binning
        self.model_tokens = model_tokens

    def _check_tasks(self, X: Any) -> tuple[list[Task], list[np.ndarray], int]:
        if isinstance(X, np.ndarray) or hasattr(X, "iloc") or hasattr(X, "tocsr"):
            raise TypeError(
                f"{type(self).__name__} takes a sequence of skspider.base.Task (each with .X "
                "general-encoder features and .y labels), not a 2-D array: wrap one labelled "
                "set as [Task(y=y, X=X)]."
            )
        tasks = check_task_sequence(X)
        widths, features = set(), []
        for i, task in enumerate(tasks):
            if task.X is None:
                raise ValueError(
                    f"X[{i}] (task {task.name!r}) has no general-encoder features (task.X is "
                    "None); the tokens are their class centroids."
                )
            # X may be a loader (a lazy forward pass of the encoder): read once here.
            F = load_array(task.X) if is_loader(task.X) else task.X
            shape = np.shape(F)
            if len(shape) != 2:
                raise ValueError(f"X[{i}].X must be 2-D (n_samples, n_features), got {shape}.")
            widths.add(shape[1])
            features.append(F)
        if len(widths) > 1:
            raise ValueError(
                f"The tasks' general features have different widths {sorted(widths)}; they must "
                "come from one encoder."
            )
        return tasks, features, widths.pop()

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> TaskTokenizer:
        """Check the tasks and record the feature width.

        Parameters
        ----------
        X : sequence of Task
            Tasks with ``X`` (general features) and ``y`` (labels or regression targets).
        y : None
            Ignored (in a pipeline, the ranker's target).

        Returns
        -------
        self : TaskTokenizer
        """
        _, _, width = self._check_tasks(X)
        self.n_features_in_ = width
        return self

    def transform(self, X: Any) -> list:
        """Token sets of the tasks.

        Parameters
        ----------
        X : sequence of Task
            As in `fit`, with general features of the fitted width.

        Returns
        -------
        tokens : list of ndarray of shape (n_classes_i, n_features), float64
            One token per class, in sorted label order (or bin order); with
            ``model_tokens=True``, a list of `~skspider.base.Task` carrying them instead.
        """
        check_is_fitted(self)
        tasks, features, width = self._check_tasks(X)
        if width != self.n_features_in_:
            raise ValueError(
                f"X has {width} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (the general feature width seen in "
                "fit)."
            )
        out = []
        for i, task in enumerate(tasks):
            where = f"X[{i}] (task {task.name!r})"
            groups = _groups(task.y, self.n_bins, self.binning, where)
            tokens = _centroids(features[i], groups, self.normalize, where)
            if not self.model_tokens:
                out.append(tokens)
                continue
            per_model = {
                m: _ModelTokens(src, groups, self.normalize, f"{where}, model {m!r}")
                for m, src in (task.model_features or {}).items()
            }
            out.append(dataclasses.replace(task, tokens=tokens, model_tokens=per_model or None))
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # X is a sequence of Task objects, never a 2-D array (as for TransferabilityRanker):
        # scikit-learn's array-based common checks cannot apply; their Task-based versions,
        # and the array-free API checks, run in tests/tasks/test_tasks_tokenizer.py.
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        tags.non_deterministic = False
        return tags
