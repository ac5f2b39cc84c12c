"""The documented examples run, and give what their text says."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_end_to_end_example(capsys):
    out = _load("end_to_end").main(["--quick"])
    summary, truth, proxy = out["summary"], out["truth"], out["proxy"]
    assert proxy.shape == (12, 5)  # --quick: 12 training tasks, 5 PTMs
    assert list(truth.columns) == list(proxy.columns)
    assert ((truth.to_numpy() > 0) & (truth.to_numpy() <= 1)).all()
    taus = summary["tau_w"].astype(float).to_numpy()
    assert summary.shape[0] == 3 and np.isfinite(taus).all() and (np.abs(taus) <= 1).all()
    assert "SpiderRanker's ranking" in capsys.readouterr().out
