"""`TauTimeDisplay`: how well each ranker ranks (tau_w) against what it costs per task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._base import check_names, check_values, import_pyplot

__all__ = ["TauTimeDisplay"]


class TauTimeDisplay:
    """Rankers' mean tau_w against their wall-clock seconds per task, on a log time axis.

    One point per method (labelled with its name), optional vertical error bars (e.g. the
    standard deviation of tau_w over tasks) and an optional horizontal line for the ceiling
    any ranker can reach (e.g. the noise ceiling of the ground truth: each seed's ranking
    against the mean of the others). A ranker is better up and to the left. Use
    `from_results` on a benchmark's table, or construct and call `plot`.

    Parameters
    ----------
    tau_w : array-like of shape (n_methods,)
        Mean weighted tau of each method.
    seconds : array-like of shape (n_methods,)
        Wall-clock seconds each method needs to rank one new task (positive).
    methods : sequence of str, default=None
        Method names; defaults to ``0 .. n_methods - 1``.
    tau_w_err : array-like of shape (n_methods,), default=None
        Error bar half-heights (NaN: none).
    ceiling : float, default=None
        A reference tau_w drawn as a dashed horizontal line.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    scatter_ : matplotlib PathCollection
        The points, in the order of ``methods``.
    errorbar_ : matplotlib ErrorbarContainer or None
    annotations_ : list of matplotlib Annotation
        The method names beside the points (empty with ``annotate=False``).
    ceiling_line_ : matplotlib Line2D or None

    See Also
    --------
    RankingDisplay : One task's ranking beside the truth.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skspider.plotting import TauTimeDisplay
    >>> results = pd.DataFrame({"tau_w": [0.41, 0.55, 0.62], "seconds": [0.02, 3.1, 0.3]},
    ...                        index=["prior", "LogME", "Spider"])
    >>> disp = TauTimeDisplay.from_results(results, ceiling=0.85)
    >>> disp.ax_.get_xscale(), [a.get_text() for a in disp.annotations_]
    ('log', ['prior', 'LogME', 'Spider'])
    """

    def __init__(
        self,
        tau_w: Any,
        seconds: Any,
        *,
        methods: Sequence[str] | None = None,
        tau_w_err: Any = None,
        ceiling: float | None = None,
    ):
        self.tau_w = tau_w
        self.seconds = seconds
        self.methods = methods
        self.tau_w_err = tau_w_err
        self.ceiling = ceiling

    def _checked(self):
        tau = check_values(self.tau_w, "tau_w")
        seconds = check_values(self.seconds, "seconds")
        if seconds.shape != tau.shape:
            raise ValueError(
                f"seconds has {seconds.shape[0]} values but tau_w has {tau.shape[0]}; give one "
                "per method."
            )
        if (seconds <= 0).any():
            raise ValueError(
                f"seconds must be positive for a log-scale axis; got {seconds.min()} for "
                f"method {int(np.argmin(seconds))}."
            )
        if (np.abs(tau) > 1 + 1e-12).any():
            raise ValueError("tau_w must lie in [-1, 1].")
        methods = check_names(self.methods, tau.shape[0], "methods")
        err = None
        if self.tau_w_err is not None:
            err = check_values(self.tau_w_err, "tau_w_err", allow_nan=True)
            if err.shape != tau.shape or (err < 0).any():
                raise ValueError("tau_w_err must hold one non-negative value per method.")
        return tau, seconds, methods, err

    def plot(
        self, ax: Any = None, *, annotate: bool = True, scatter_kw: dict | None = None
    ) -> TauTimeDisplay:
        """Draw the points.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        annotate : bool, default=True
            Write each method's name beside its point.
        scatter_kw : dict, default=None
            Keyword arguments of ``Axes.scatter``.

        Returns
        -------
        self : TauTimeDisplay
        """
        plt = import_pyplot("TauTimeDisplay.plot")
        tau, seconds, methods, err = self._checked()
        if ax is None:
            _, ax = plt.subplots(figsize=(6.0, 4.0))
        self.errorbar_ = None
        if err is not None:
            self.errorbar_ = ax.errorbar(
                seconds, tau, yerr=np.nan_to_num(err), fmt="none", ecolor="C7", capsize=3
            )
        self.scatter_ = ax.scatter(seconds, tau, **{"zorder": 3, **(scatter_kw or {})})
        self.annotations_ = []
        if annotate:
            for name, x, y in zip(methods, seconds, tau):
                self.annotations_.append(
                    ax.annotate(name, (x, y), xytext=(4, 4), textcoords="offset points")
                )
        self.ceiling_line_ = None
        if self.ceiling is not None:
            ceiling = float(self.ceiling)
            self.ceiling_line_ = ax.axhline(
                ceiling, color="C3", linestyle="--", label="ceiling (the truth's own noise)"
            )
            ax.legend(loc="lower right")
        ax.set_xscale("log")
        ax.margins(x=0.15)  # room for the names beside the outermost points
        ax.set_xlabel("seconds per task, log scale (lower is better)")
        ax.set_ylabel("mean tau_w (higher is better)")
        self.ax_, self.figure_ = ax, ax.figure
        if self.annotations_:
            _separate(self.annotations_, ax)
        return self

    @classmethod
    def from_results(
        cls,
        results: Any,
        *,
        tau_col: str = "tau_w",
        time_col: str = "seconds",
        err_col: str | None = None,
        method_col: str | None = None,
        ceiling: float | None = None,
        ax: Any = None,
        annotate: bool = True,
    ) -> TauTimeDisplay:
        """Plot a benchmark's results table.

        Parameters
        ----------
        results : DataFrame, mapping or sequence of mappings
            One row per method: a DataFrame indexed by method; a mapping of method name to
            a mapping of columns (the JSON a benchmark writes); or records, each naming its
            method in ``method_col``.
        tau_col, time_col : str, default="tau_w", "seconds"
            Columns holding the mean tau_w and the seconds per task.
        err_col : str, default=None
            Column of error bar half-heights.
        method_col : str, default=None
            Column naming the methods (default: the index, or the mapping's keys; records
            without it are numbered).
        ceiling, ax, annotate
            As for the constructor and `plot`.

        Returns
        -------
        display : TauTimeDisplay
        """
        import pandas as pd

        if isinstance(results, pd.DataFrame):
            frame = results
        elif isinstance(results, Mapping):
            frame = pd.DataFrame.from_dict(dict(results), orient="index")
        elif isinstance(results, Sequence) and not isinstance(results, str):
            frame = pd.DataFrame.from_records(list(results))
        else:
            raise TypeError(
                "results must be a DataFrame, a mapping of method to columns, or a sequence of "
                f"records; got {type(results).__name__}."
            )
        if method_col is not None:
            if method_col not in frame.columns:
                raise ValueError(f"results has no column {method_col!r} (method names).")
            frame = frame.set_index(method_col)
        missing = [c for c in (tau_col, time_col, err_col) if c and c not in frame.columns]
        if missing:
            raise ValueError(
                f"results has no column(s) {missing}; its columns are {list(frame.columns)}."
            )
        return cls(
            frame[tau_col],
            frame[time_col],
            methods=[str(m) for m in frame.index],
            tau_w_err=None if err_col is None else frame[err_col],
            ceiling=ceiling,
        ).plot(ax=ax, annotate=annotate)


def _separate(annotations: list, ax: Any) -> None:
    """Move labels down, one text height at a time, until none overlaps another (points
    that nearly coincide, such as two task-blind rankers, would print their names on top
    of each other)."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    points_per_pixel = 72.0 / fig.dpi
    placed: list = []
    # Top first, so labels move away from the ones above them.
    for ann in sorted(annotations, key=lambda a: -a.xy[1]):
        for _ in range(len(annotations) + 1):
            box = ann.get_window_extent(renderer)
            clash = [b for b in placed if box.overlaps(b)]
            if not clash:
                break
            dy = (box.y1 - min(b.y0 for b in clash) + 1.0) * points_per_pixel
            x, y = ann.xyann
            ann.xyann = (x, y - dy)
        placed.append(ann.get_window_extent(renderer))
