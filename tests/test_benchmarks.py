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


def _script(name):
    """A benchmark script imported in process (no second torch import, unlike _run)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_zoo_benchmark_quick(glyph_zoo_tiny, tmp_path, capsys):
    import json

    bench = _script("zoo_benchmark")
    out = tmp_path / "z.json"
    args = ["--data-dir", str(glyph_zoo_tiny / "out"), "--quick", "--threads", "1", "-q"]
    args += ["--estimators", "LogME", "LEEP", "OTCE", "--json", str(out)]
    bench.main([*args, "--figure", str(tmp_path / "z.png")])
    text = capsys.readouterr().out
    assert "| ranker | mean tau_w |" in text and "seed-to-seed ceiling" in text
    assert (tmp_path / "z.png").stat().st_size > 0
    result = json.loads(out.read_text())
    rankers = result["rankers"]
    expected = {"spider", "spider+rerank", "prior", "metadata", "ridge", "nearest", "LogME", "LEEP"}
    assert expected == set(rankers)
    assert "side data" in result["skipped"]["OTCE"]
    # LEEP cannot score the autoencoder (no source head): no pass for it, ranked last.
    n_ptms, n_tasks = len(result["models"]), len(result["test_tasks"])
    assert rankers["LogME"]["forward_passes"] == n_ptms
    assert rankers["LEEP"]["forward_passes"] == n_ptms - 1
    assert rankers["LEEP"]["unscored"] == n_tasks and rankers["LogME"]["unscored"] == 0
    assert rankers["spider"]["forward_passes"] == 0 and rankers["prior"]["forward_passes"] == 0
    for r in rankers.values():
        assert -1 <= r["tau_w"] <= 1 and r["top1_regret"] >= 0 and r["seconds"] > 0
        assert r["cpu_seconds"] > 0
        assert len(r["per_task_tau_w"]) == n_tasks
    # A ranker needing the encoder pays for it; a fixed ranking does not.
    assert rankers["spider"]["seconds"] > result["forward_passes"]["encoder_s_per_task"]
    assert rankers["prior"]["seconds"] < rankers["spider"]["seconds"]
    assert result["machine"]["torch_threads"] == 1


@pytest.mark.slow
def test_zoo_benchmark_reranks_with_projections(glyph_zoo_tiny, tmp_path, capsys):
    import json

    bench = _script("zoo_benchmark")
    args = ["--data-dir", str(glyph_zoo_tiny / "out"), "--quick", "--estimators", "LogME", "-q"]
    bench.main([*args, "--json", str(tmp_path / "auto.json")])
    auto = json.loads((tmp_path / "auto.json").read_text())
    # k is chosen on the validation tasks, among every candidate.
    assert auto["rerank"]["k_chosen_on"] == "validation tasks"
    assert set(map(int, auto["rerank"]["validation_tau_w_by_k"])) == {0, 1, 2, 3}
    assert auto["rankers"]["spider+rerank"]["forward_passes"] == auto["rerank"]["k"]
    bench.main([*args, "--k", "2", "--json", str(tmp_path / "k2.json")])
    fixed = json.loads((tmp_path / "k2.json").read_text())
    rerank, spider = fixed["rankers"]["spider+rerank"], fixed["rankers"]["spider"]
    assert rerank["forward_passes"] == 2
    # Two PTM passes on top of Spider's own work.
    assert rerank["seconds"] > fixed["forward_passes"]["encoder_s_per_task"]
    assert "k = 2, given (--k)" in capsys.readouterr().out
    assert spider["forward_passes"] == 0


@pytest.mark.slow
def test_zoo_benchmark_skips_rerank_without_projections(glyph_zoo_tiny_general, tmp_path):
    import json

    bench = _script("zoo_benchmark")
    args = ["--data-dir", str(glyph_zoo_tiny_general), "--quick", "--estimators", "LogME", "-q"]
    bench.main([*args, "--json", str(tmp_path / "g.json")])
    result = json.loads((tmp_path / "g.json").read_text())
    # A ranker trained on general tokens only: re-ranking is skipped, and the output says why.
    assert "spider+rerank" not in result["rankers"]
    assert "no PTM-specific projections" in result["skipped"]["spider+rerank"]
