"""A ranker by one metadata column of the models (size, published accuracy, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import fit_context
from ..base import BaseRanker
from ..base._validation import _is_dataframe

__all__ = ["MetadataRanker"]


def _as_mapping(metadata: Any, column: Any) -> dict[str, Any]:
    """``{str(model name): value}`` from a mapping, a Series or a DataFrame column."""
    if _is_dataframe(metadata):
        if column is None:
            if metadata.shape[1] != 1:
                raise ValueError(
                    f"metadata is a DataFrame with columns {list(metadata.columns)[:10]}: name "
                    "the one to rank by with column=."
                )
            column = metadata.columns[0]
        if column not in metadata.columns:
            raise ValueError(
                f"metadata has no column {column!r}; its columns are {list(metadata.columns)[:10]}."
            )
        metadata = metadata[column]
    elif column is not None:
        raise ValueError(
            f"column={column!r} is given, but metadata is a {type(metadata).__name__}, not a "
            "DataFrame."
        )
    if hasattr(metadata, "to_dict") and hasattr(metadata, "index"):  # a Series
        metadata = metadata.to_dict()
    if not isinstance(metadata, Mapping):
        raise TypeError(
            "metadata must be a mapping or Series keyed by model name, or a DataFrame with "
            f"column=; got {type(metadata).__name__}."
        )
    return {str(key): value for key, value in metadata.items()}


class MetadataRanker(BaseRanker):
    """Rank models by one of their metadata: the same ranking for every task.

    Ranking a zoo by parameter count or by a published accuracy needs no target data and no
    training tasks, and it is a strong baseline: on the standard benchmark, model size alone
    has been reported to out-rank LogME. ``fit`` only looks up the value of every model of
    ``Y`` (so that ``models_`` and a pipeline's column order are those of ``Y``); ``X`` is
    checked and otherwise ignored.

    Parameters
    ----------
    metadata : mapping, Series or DataFrame, default=None
        The value of every model, keyed by model name: a dict, a `pandas.Series`, or a
        DataFrame (e.g. `~skspider.zoo.ModelZoo.metadata`) with ``column`` naming the one
        to use. Keys are matched to the model names of ``Y`` as strings (for a NumPy ``Y``,
        the names are ``0 .. n_models - 1``). Required: ``None`` raises in ``fit``.
    column : str, default=None
        The column of a DataFrame ``metadata`` (not needed when it has only one).
    greater_is_better : bool, default=True
        Whether a larger value ranks a model higher (parameter count, accuracy); False for
        an error rate, say.

    Attributes
    ----------
    scores_ : ndarray of shape (n_models,)
        The score predicted for every task: the metadata value (negated when
        ``greater_is_better=False``).
    models_ : ndarray of shape (n_models,)
        Model names (columns of a DataFrame ``Y``), else ``0 .. n_models - 1``.
    n_models_ : int
        Number of models.
    n_features_in_ : int
        Token width seen in ``fit`` (only when ``X`` holds token arrays).

    See Also
    --------
    PriorRanker : The ranking learned from the training tasks instead.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skspider.dummy import MetadataRanker
    >>> zoo = pd.DataFrame({"n_params": [25.6, 11.7, 86.6], "family": ["resnet"] * 3},
    ...                    index=["resnet50", "resnet18", "vit_b16"])
    >>> Y = pd.DataFrame([[80.0, 75.0, 85.0]], columns=["resnet18", "resnet50", "vit_b16"])
    >>> ranker = MetadataRanker(metadata=zoo, column="n_params").fit(np.ones((1, 4)), Y)
    >>> ranker.predict_rank(np.ones((2, 4)))
    array([[3, 2, 1],
           [3, 2, 1]])
    """

    _parameter_constraints: dict = {
        "metadata": [Mapping, "array-like", None],
        "column": "no_validation",  # any column label
        "greater_is_better": ["boolean"],
    }

    def __init__(
        self,
        *,
        metadata: Mapping[Any, float] | Any = None,
        column: Any = None,
        greater_is_better: bool = True,
    ):
        self.metadata = metadata
        self.column = column
        self.greater_is_better = greater_is_better

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> MetadataRanker:
        """Look up the metadata value of every model of ``Y``.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            The training tasks; only checked.
        y : array-like or DataFrame of shape (n_tasks, n_models)
            ``Y``; only its model names (columns) are used.

        Returns
        -------
        self : MetadataRanker
        """
        if self.metadata is None:
            raise ValueError(
                "MetadataRanker needs metadata=: the value of every model, keyed by name "
                "(a dict, a Series, or a DataFrame with column=)."
            )
        values = _as_mapping(self.metadata, self.column)
        tasks = self._validate_tasks(X, reset=True)
        Y = self._validate_targets(y, reset=True)
        self._check_n_tasks(tasks, Y)
        missing = [m for m in self.models_ if str(m) not in values]
        if missing:
            raise ValueError(
                f"metadata has no value for models {[str(m) for m in missing][:10]}; it has "
                f"values for {sorted(values)[:10]}."
            )
        scores = []
        for m in self.models_:
            value = values[str(m)]
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"metadata value of model {str(m)!r} is {value!r}, not a number."
                ) from None
            if not np.isfinite(value):
                raise ValueError(
                    f"metadata value of model {str(m)!r} is {value}; every model needs a finite "
                    "value to be ranked."
                )
            scores.append(value)
        self.scores_ = np.asarray(scores) if self.greater_is_better else -np.asarray(scores)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The metadata ranking, repeated for each task in ``X``.

        Parameters
        ----------
        X : array-like of shape (n_tasks, n_features), sequence of token sets or of Task
            The tasks; only their number is used.

        Returns
        -------
        scores : ndarray of shape (n_tasks, n_models)
        """
        check_is_fitted(self)
        tasks = self._validate_tasks(X, reset=False)
        return np.tile(self.scores_, (len(tasks), 1))
