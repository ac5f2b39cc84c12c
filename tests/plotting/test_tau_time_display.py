"""TauTimeDisplay: one point per method at (seconds, tau_w) on a log-scale x axis."""

import numpy as np
import pandas as pd
import pytest

from skspider.plotting import TauTimeDisplay

RESULTS = {
    "prior": {"tau_w": 0.40, "seconds": 0.01, "std": 0.1},
    "LogME": {"tau_w": 0.55, "seconds": 4.0, "std": 0.2},
    "Spider": {"tau_w": 0.62, "seconds": 0.3, "std": np.nan},
}


def test_points_are_the_results():
    disp = TauTimeDisplay.from_results(RESULTS, err_col="std", ceiling=0.8)
    expected = [[0.01, 0.40], [4.0, 0.55], [0.3, 0.62]]
    np.testing.assert_allclose(disp.scatter_.get_offsets(), expected)
    assert disp.ax_.get_xscale() == "log"
    assert [a.get_text() for a in disp.annotations_] == ["prior", "LogME", "Spider"]
    assert [a.xy for a in disp.annotations_][1] == (4.0, 0.55)
    np.testing.assert_allclose(disp.ceiling_line_.get_ydata(), [0.8, 0.8])
    # Error bars: one segment per method, NaN drawn as zero height.
    segments = disp.errorbar_.lines[2][0].get_segments()
    np.testing.assert_allclose([s[1, 1] - s[0, 1] for s in segments], [0.2, 0.4, 0.0])


def test_dataframe_and_records_give_the_same_points():
    frame = pd.DataFrame(RESULTS).T
    records = [{"method": k, **v} for k, v in RESULTS.items()]
    a = TauTimeDisplay.from_results(frame)
    b = TauTimeDisplay.from_results(records, method_col="method", annotate=False)
    np.testing.assert_allclose(a.scatter_.get_offsets(), b.scatter_.get_offsets())
    assert b.annotations_ == [] and a.ceiling_line_ is None and a.errorbar_ is None


@pytest.mark.parametrize(
    ("results", "kwargs", "match"),
    [
        ({"a": {"tau_w": 0.5, "seconds": 0.0}}, {}, "positive"),
        ({"a": {"tau_w": 1.5, "seconds": 1.0}}, {}, r"\[-1, 1\]"),
        ({"a": {"tau": 0.5, "seconds": 1.0}}, {}, "no column"),
        ([{"tau_w": 0.5, "seconds": 1.0}], {"method_col": "name"}, "no column 'name'"),
    ],
)
def test_bad_results(results, kwargs, match):
    with pytest.raises(ValueError, match=match):
        TauTimeDisplay.from_results(results, **kwargs)


def test_results_of_wrong_type():
    with pytest.raises(TypeError, match="results must be"):
        TauTimeDisplay.from_results(3.0)
