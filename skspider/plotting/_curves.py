"""`TrainingCurveDisplay`: the training loss and validation score of a learned ranker."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import check_values, import_pyplot

__all__ = ["TrainingCurveDisplay"]


def _training_curves(estimator: Any) -> dict:
    """The curves a fitted ranker recorded, in one place so a new attribute set plugs in here.

    Reads the attributes `~skspider.spider.SpiderRanker` sets today: ``loss_curve_`` (mean
    training loss per epoch, over every ``fit`` of a ``warm_start`` run), and from the last
    ``fit`` only ``n_epochs_`` (epochs run; ``n_iter_`` counts optimiser steps),
    ``validation_scores_`` (tau_w of the held-out
    tasks per epoch, with ``early_stopping``) and ``best_epoch_`` (0-based, within that
    ``fit``). A `~skspider.spider.RerankTransformer` or a `~sklearn.pipeline.Pipeline` is
    looked through to the ranker it wraps.

    Returns a dict: ``loss`` and ``x`` (1-based epoch of each loss), ``validation`` and
    ``validation_x`` (or None), ``best`` (the kept epoch, 1-based, or None) and ``unit``.
    """
    from sklearn.utils.validation import check_is_fitted

    inner = estimator
    for _ in range(3):
        if hasattr(inner, "steps"):  # a Pipeline: its final step
            inner = inner.steps[-1][1]
        elif hasattr(inner, "ranker_"):  # a RerankTransformer
            inner = inner.ranker_
    check_is_fitted(inner)
    if not hasattr(inner, "loss_curve_"):
        raise TypeError(
            f"{type(inner).__name__} records no training curve (no loss_curve_ attribute); "
            "a SpiderRanker does."
        )
    loss = np.asarray(inner.loss_curve_, dtype=np.float64)
    x = np.arange(1, loss.shape[0] + 1)
    # validation_scores_ and best_epoch_ cover the last fit: its epochs end the loss curve.
    offset = loss.shape[0] - int(getattr(inner, "n_epochs_", loss.shape[0]))
    validation = np.asarray(getattr(inner, "validation_scores_", None) or [], dtype=np.float64)
    best = getattr(inner, "best_epoch_", None)
    return {
        "loss": loss,
        "x": x,
        "validation": validation if validation.size else None,
        "validation_x": offset + np.arange(1, validation.shape[0] + 1) if validation.size else None,
        "best": None if best is None or not loss.size else offset + int(best) + 1,
        "unit": "epoch",
    }


class TrainingCurveDisplay:
    """Training loss (and validation tau_w) of a learned ranker, per epoch.

    The loss on the left axis; the validation score, when recorded (``early_stopping``), on
    a twin right axis (tau_w and loss do not share a scale); a dotted vertical line at the
    epoch whose weights were kept. Use `from_estimator`, or construct and call `plot`.

    Parameters
    ----------
    loss : array-like of shape (n_epochs,)
        Training loss per epoch.
    validation_scores : array-like of shape (n_validation,), default=None
        Validation score per epoch (NaN: none that epoch).
    validation_x : array-like of shape (n_validation,), default=None
        Epochs of ``validation_scores``; defaults to the last ``n_validation`` epochs.
    best : int, default=None
        The kept epoch (1-based), marked by a vertical line.
    x_label : str, default="epoch"
        Label of the horizontal axis.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The loss's axes.
    validation_ax_ : matplotlib Axes or None
        The twin axes of the validation score.
    figure_ : matplotlib Figure
    loss_line_ : matplotlib Line2D
    validation_line_ : matplotlib Line2D or None
    best_line_ : matplotlib Line2D or None

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skspider.spider import SpiderRanker
    >>> from skspider.plotting import TrainingCurveDisplay
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20, 4))
    >>> Y = np.c_[X[:, 0], -X[:, 0]]
    >>> ranker = SpiderRanker(d_model=8, max_iter=60, early_stopping=True,
    ...                       random_state=0).fit(X, Y)
    >>> disp = TrainingCurveDisplay.from_estimator(ranker)
    >>> disp.loss_line_.get_xdata().tolist()
    [1, 2, 3, 4, 5, 6]
    """

    def __init__(
        self,
        loss: Any,
        *,
        validation_scores: Any = None,
        validation_x: Any = None,
        best: int | None = None,
        x_label: str = "epoch",
    ):
        self.loss = loss
        self.validation_scores = validation_scores
        self.validation_x = validation_x
        self.best = best
        self.x_label = x_label

    def plot(
        self,
        ax: Any = None,
        *,
        loss_kw: dict | None = None,
        validation_kw: dict | None = None,
    ) -> TrainingCurveDisplay:
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw the loss (the validation score goes on ``ax.twinx()``); None makes
            a new figure.
        loss_kw, validation_kw : dict, default=None
            Keyword arguments of ``Axes.plot`` for the two curves.

        Returns
        -------
        self : TrainingCurveDisplay
        """
        plt = import_pyplot("TrainingCurveDisplay.plot")
        loss = check_values(self.loss, "loss")
        x = np.arange(1, loss.shape[0] + 1)
        validation = vx = None
        if self.validation_scores is not None:
            validation = check_values(self.validation_scores, "validation_scores", allow_nan=True)
            n = validation.shape[0]
            vx = (
                x[loss.shape[0] - n :]
                if self.validation_x is None
                else check_values(self.validation_x, "validation_x")
            )
            if vx.shape[0] != n:
                raise ValueError(
                    f"validation_x has {vx.shape[0]} values for {n} validation scores "
                    f"(or there are more validation scores than the {loss.shape[0]} epochs)."
                )
        if ax is None:
            _, ax = plt.subplots(figsize=(6.0, 4.0))
        style = {"color": "C0", "label": "training loss", **(loss_kw or {})}
        self.loss_line_ = ax.plot(x, loss, **style)[0]
        ax.set_xlabel(self.x_label)
        ax.set_ylabel("training loss")
        self.validation_ax_ = self.validation_line_ = None
        if validation is not None:
            vax = ax.twinx()
            style = {"color": "C1", "label": "validation tau_w", **(validation_kw or {})}
            self.validation_line_ = vax.plot(vx, validation, **style)[0]
            vax.set_ylabel("validation tau_w")
            self.validation_ax_ = vax
        self.best_line_ = None
        if self.best is not None:
            self.best_line_ = ax.axvline(
                self.best, color="C7", linestyle=":", label=f"kept ({self.x_label} {self.best})"
            )
        handles = [h for h in (self.loss_line_, self.validation_line_, self.best_line_) if h]
        ax.legend(handles=handles, loc="best")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        *,
        ax: Any = None,
        loss_kw: dict | None = None,
        validation_kw: dict | None = None,
    ) -> TrainingCurveDisplay:
        """Plot the curves a fitted `~skspider.spider.SpiderRanker` recorded.

        Parameters
        ----------
        estimator : SpiderRanker, RerankTransformer or Pipeline ending in one
            A fitted learned ranker.
        ax, loss_kw, validation_kw
            As for `plot`.

        Returns
        -------
        display : TrainingCurveDisplay
        """
        curves = _training_curves(estimator)
        return cls(
            curves["loss"],
            validation_scores=curves["validation"],
            validation_x=curves["validation_x"],
            best=curves["best"],
            x_label=curves["unit"],
        ).plot(ax=ax, loss_kw=loss_kw, validation_kw=validation_kw)
