"""`RankingDisplay`: the scores a ranker gives the PTMs of one task, with the truth beside."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._matrix import _reorder, align_labels
from ._base import check_names, check_values, import_pyplot

__all__ = ["RankingDisplay"]


class RankingDisplay:
    """The PTMs of one task ordered by a ranker's scores, with their true performance beside.

    Two panels sharing the PTM axis: the scores (best at the top) and, when given, the true
    performance of the same PTMs (e.g. fine-tuned accuracy), the truly best PTM highlighted.
    The title gives the weighted tau (paper convention) between the truth and the scores.
    Scores and truth need not share a scale. Use `from_predictions` or `from_estimator`, or
    construct and call `plot`.

    Parameters
    ----------
    scores : array-like of shape (n_models,)
        One score per PTM, larger = better.
    models : sequence of str, default=None
        PTM names; defaults to ``0 .. n_models - 1``.
    truth : array-like of shape (n_models,), default=None
        True performance of each PTM, larger = better; NaN = unknown (no bar).
    score_name : str, default="score"
        Label of the scores' axis (e.g. ``"LogME"``).
    truth_name : str, default="truth"
        Label of the truth's axis (e.g. ``"fine-tuned accuracy"``).

    Attributes
    ----------
    ax_ : matplotlib Axes
        The scores' axes.
    truth_ax_ : matplotlib Axes or None
        The truth's axes (None without truth).
    figure_ : matplotlib Figure
    bars_ : matplotlib BarContainer
        The score bars, best PTM first.
    truth_bars_ : matplotlib BarContainer or None
    order_ : ndarray of int
        The drawn PTMs' positions in ``models``, top to bottom.
    tau_w_ : float or None
        Weighted tau (paper convention) of the scores against the truth, over every PTM with
        a known truth; None without truth or with fewer than 2 known.

    See Also
    --------
    TauTimeDisplay : Rankers' tau_w against their cost.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skspider.plotting import RankingDisplay
    >>> disp = RankingDisplay.from_predictions(
    ...     [0.2, 0.9, 0.5], [0.61, 0.80, 0.75], models=["lenet", "resnet", "vgg"])
    >>> [t.get_text() for t in disp.ax_.get_yticklabels()]
    ['resnet', 'vgg', 'lenet']
    >>> disp.tau_w_
    1.0
    """

    def __init__(
        self,
        scores: Any,
        *,
        models: Sequence[str] | None = None,
        truth: Any = None,
        score_name: str = "score",
        truth_name: str = "truth",
    ):
        self.scores = scores
        self.models = models
        self.truth = truth
        self.score_name = score_name
        self.truth_name = truth_name

    def _checked(self) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
        scores = check_values(self.scores, "scores")
        models = check_names(self.models, scores.shape[0], "models")
        truth = None
        if self.truth is not None:
            truth = check_values(self.truth, "truth", allow_nan=True)
            if truth.shape != scores.shape:
                raise ValueError(
                    f"truth has {truth.shape[0]} values but scores has {scores.shape[0]}; "
                    "give one per PTM, in the same order."
                )
        return scores, truth, models

    def plot(
        self,
        ax: Any = None,
        *,
        top: int | None = None,
        bar_kw: dict | None = None,
        truth_kw: dict | None = None,
    ) -> RankingDisplay:
        """Draw the ranking.

        Parameters
        ----------
        ax : matplotlib Axes, or pair of Axes, default=None
            Where to draw: one Axes without truth, a pair ``(scores_ax, truth_ax)`` with
            truth. None makes a new figure.
        top : int, default=None
            Draw only the ``top`` best-scored PTMs (tau_w still uses every PTM).
        bar_kw, truth_kw : dict, default=None
            Keyword arguments of ``Axes.barh`` for the score and truth bars.

        Returns
        -------
        self : RankingDisplay
        """
        plt = import_pyplot("RankingDisplay.plot")
        scores, truth, models = self._checked()
        if top is not None and (not isinstance(top, (int, np.integer)) or top < 1):
            raise ValueError(f"top must be a positive integer, got {top!r}.")
        order = np.argsort(-scores, kind="stable")[:top]
        n = order.shape[0]
        if ax is None:
            size = (8.0 if truth is not None else 5.0, max(2.5, 0.3 * n + 1.2))
            if truth is not None:
                fig, (ax, tax) = plt.subplots(1, 2, sharey=True, figsize=size)
            else:
                fig, ax = plt.subplots(figsize=size)
                tax = None
        elif truth is not None:
            if not (isinstance(ax, (Sequence, np.ndarray)) and len(ax) == 2):
                raise ValueError(
                    "With truth, ax must be a pair of Axes (scores_ax, truth_ax); got "
                    f"{type(ax).__name__}."
                )
            ax, tax = ax
            fig = ax.figure
        else:
            if isinstance(ax, (Sequence, np.ndarray)):
                raise ValueError("Without truth, ax must be one Axes, not a sequence.")
            fig, tax = ax.figure, None

        y = np.arange(n)
        labels = [models[i] for i in order]
        self.bars_ = ax.barh(y, scores[order], **{"color": "C0", **(bar_kw or {})})
        ax.set_yticks(y, labels=labels)
        ax.set_ylim(n - 0.5, -0.5)  # best at the top
        ax.set_xlabel(self.score_name)
        ax.set_ylabel("PTM")
        self.truth_bars_, self.tau_w_ = None, None
        if truth is not None:
            known = ~np.isnan(truth)
            best = int(np.nanargmax(truth)) if known.any() else -1
            colors = ["C3" if i == best else "C7" for i in order]
            self.truth_bars_ = tax.barh(y, truth[order], **{"color": colors, **(truth_kw or {})})
            tax.set_xlabel(self.truth_name)
            tax.tick_params(labelleft=False)
            tax.set_ylim(n - 0.5, -0.5)
            if known.sum() >= 2:
                from ..metrics import weighted_tau

                self.tau_w_ = float(weighted_tau(truth[known], scores[known]))
                ax.set_title(f"tau_w = {self.tau_w_:.3f}")
            tax.set_title(f"true best: {models[best]}" if best >= 0 else "")
        self.ax_, self.truth_ax_, self.figure_, self.order_ = ax, tax, fig, order
        return self

    @classmethod
    def from_predictions(
        cls,
        y_score: Any,
        y_true: Any = None,
        *,
        models: Sequence[str] | None = None,
        task: int = 0,
        score_name: str = "score",
        truth_name: str = "truth",
        ax: Any = None,
        top: int | None = None,
    ) -> RankingDisplay:
        """Plot the ranking of one task from scores (and, optionally, the truth).

        Parameters
        ----------
        y_score : array-like of shape (n_models,) or (n_tasks, n_models)
            Scores, larger = better (as a ranker's ``predict``). A pandas Series or DataFrame
            names the PTMs by its index or columns.
        y_true : array-like of the same shape, default=None
            True performances. Pandas labels are matched to the PTMs by name, as in
            `skspider.metrics` (with ``y_score``'s labels, or ``models``); arrays by position.
        models : sequence of str, default=None
            PTM names (overrides the pandas labels).
        task : int, default=0
            Row to draw when the inputs are 2-D.
        score_name, truth_name : str
            Axis labels.
        ax, top
            As for `plot`.

        Returns
        -------
        display : RankingDisplay
        """
        if models is None:
            labels = _model_labels(y_score)
            models = None if labels is None else list(labels)
        y_true = _truth_by_label(y_true, y_score, models)
        return cls(
            _row(y_score, task, "y_score"),
            models=models,
            truth=None if y_true is None else _row(y_true, task, "y_true"),
            score_name=score_name,
            truth_name=truth_name,
        ).plot(ax=ax, top=top)

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: Any,
        y_true: Any = None,
        *,
        task: int = 0,
        score_name: str | None = None,
        truth_name: str = "truth",
        ax: Any = None,
        top: int | None = None,
    ) -> RankingDisplay:
        """Plot a fitted ranker's ranking of one task.

        Parameters
        ----------
        estimator : fitted ranker
            Anything with ``predict(X) -> (n_tasks, n_models)`` and ``models_``.
        X : tasks
            What ``estimator.predict`` takes.
        y_true : array-like of shape (n_models,) or (n_tasks, n_models), default=None
            True performances. Pandas labels are matched to ``models_`` by name; arrays
            by position.
        task : int, default=0
            Which task of ``X`` to draw.
        score_name : str, default=None
            Axis label; defaults to the estimator's class name.
        truth_name, ax, top
            As for `from_predictions`.

        Returns
        -------
        display : RankingDisplay
        """
        scores = np.asarray(estimator.predict(X))
        models = getattr(estimator, "models_", None)
        models = None if models is None else list(models)
        return cls.from_predictions(
            scores,
            _truth_by_label(y_true, None, models),
            models=models,
            task=task,
            score_name=score_name or type(estimator).__name__,
            truth_name=truth_name,
            ax=ax,
            top=top,
        )


def _model_labels(values: Any) -> Any:
    """The PTM labels of a DataFrame (columns) or Series (index), else None."""
    labels = getattr(values, "columns", None)
    if labels is None and getattr(values, "ndim", 0) == 1:
        labels = getattr(values, "index", None)
    return labels


def _truth_by_label(y_true: Any, y_score: Any, models: list | None) -> Any:
    """``y_true`` in the PTM order of the scores, matched by label as the metrics match them.

    Two pandas objects: by their labels (and, for two DataFrames, the task index too). A
    labelled ``y_true`` with scores named by ``models``: by those names. Else by position.
    """
    if y_true is None:
        return None
    if y_score is not None:
        aligned = align_labels(y_score, y_true, names=("y_score", "y_true"))[1]
        if aligned is not y_true:
            return aligned
    labels = _model_labels(y_true)
    if models is None or labels is None:
        return y_true
    order = _reorder(pd.Index(models), labels, "model", ("the models", "y_true"))
    values = y_true.to_numpy()
    return values if order is None else values[..., order]


def _row(values: Any, task: int, name: str) -> np.ndarray:
    arr = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
    if arr.ndim == 2:
        if not -arr.shape[0] <= task < arr.shape[0]:
            raise ValueError(f"task={task} is out of range for {name} with {arr.shape[0]} rows.")
        return arr[task]
    return arr
