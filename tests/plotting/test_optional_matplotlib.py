"""Without matplotlib the package imports, and drawing says how to install it."""

import sys

import pytest

from skspider.plotting import RankingDisplay, TauTimeDisplay, TrainingCurveDisplay


@pytest.mark.parametrize(
    ("display", "name"),
    [
        (lambda: RankingDisplay([1.0, 2.0]).plot(), "RankingDisplay.plot"),
        (lambda: TauTimeDisplay([0.5], [1.0]).plot(), "TauTimeDisplay.plot"),
        (lambda: TrainingCurveDisplay([1.0]).plot(), "TrainingCurveDisplay.plot"),
    ],
)
def test_missing_matplotlib_names_the_extra(monkeypatch, display, name):
    # None in sys.modules makes `import matplotlib.pyplot` raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "skspider\[plotting\]"') as info:
        display()
    assert name in str(info.value)
