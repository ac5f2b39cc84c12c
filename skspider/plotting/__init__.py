"""Figures: matplotlib displays of rankings, benchmark results and training curves.

matplotlib is an optional dependency (``pip install "skspider[plotting]"``): it is imported
only when a display draws, so importing this package never needs it. Each display follows
scikit-learn's ``*Display`` classes: build it from data (``from_predictions``,
``from_estimator``, ``from_results``), or construct it and call ``plot(ax=...)``; the drawn
artists and ``ax_``/``figure_`` are kept as attributes for restyling.
"""

from ._benchmark import TauTimeDisplay
from ._curves import TrainingCurveDisplay
from ._ranking import RankingDisplay

__all__ = ["RankingDisplay", "TauTimeDisplay", "TrainingCurveDisplay"]
