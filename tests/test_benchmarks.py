"""Every benchmark script runs end to end on tiny sizes (its figures are not checked here:
benchmarks are timed by hand, never in the test suite). This catches a script that drifted
from the package it measures."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

# A stand-in with the interface of the authors' LogME.py (``LogME().fit(f, y) -> float``),
# so the comparison harness itself is exercised without shipping their code.
STAND_IN = """
from skspider.transferability import LogME as _Ours

class LogME:
    def fit(self, f, y):
        return _Ours(algorithm="fixed_point", logdet="authors").fit(f, y).score_
"""


def _run(args, tmp_path):
    out = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.mark.slow
def test_bench_logme_reference_harness(tmp_path):
    ref = tmp_path / "LogME.py"
    ref.write_text(STAND_IN)
    args = ["--quick", "--json", "o.json"]
    text = _run([BENCH / "bench_logme_reference.py", "--reference-logme", ref, *args], tmp_path)
    assert "speed-up" in text and (tmp_path / "o.json").exists()


@pytest.mark.slow
def test_bench_estimators_runs_every_discovered_estimator(tmp_path):
    text = _run(
        [BENCH / "bench_estimators.py", "--quick", "--estimators", "LogME", "OTCE",
         "--out", tmp_path],
        tmp_path,
    )  # fmt: skip
    assert "LogME" in text and "OTCE" in text and "skipping" not in text


@pytest.mark.slow
def test_bench_spider_quick(tmp_path):
    text = _run([BENCH / "bench_spider.py", "--quick", "--json", "s.json"], tmp_path)
    assert "fit" in text and "predict" in text


@pytest.mark.slow
def test_bench_zoo_quick(tmp_path):
    text = _run([BENCH / "bench_zoo.py", "--quick"], tmp_path)
    assert "Proxy ranks" in text


@pytest.mark.slow
def test_bench_rankers_quick(tmp_path):
    text = _run([BENCH / "bench_rankers.py", "--quick", "--json", "r.json"], tmp_path)
    assert "| setting | oracle | prior | metadata | ridge | nearest | spider |" in text
    assert (tmp_path / "r.json").exists()


def test_glyph_zoo_probe_quick(tmp_path):
    pytest.importorskip("matplotlib")
    text = _run([BENCH / "glyph_zoo_probe.py", "--quick", "--threads", "1", "--json", "p.json"],
                tmp_path)  # fmt: skip
    assert "ceiling tau_w" in text and (tmp_path / "p.json").exists()
