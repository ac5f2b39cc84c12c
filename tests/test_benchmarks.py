"""Every benchmark script runs end to end on tiny sizes (its figures are not checked here:
benchmarks are timed by hand, never in the test suite). This catches a script that drifted
from the package it measures."""

import subprocess
import sys
from pathlib import Path

import pytest

from skspider.datasets import load_glyph_zoo

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


@pytest.mark.slow
def test_zoo_benchmark_quick(glyph_zoo_tiny, tmp_path, capsys):
    import json

    from skspider.benchmarks import run_benchmark

    out = tmp_path / "z.json"
    args = ["--data-dir", str(glyph_zoo_tiny / "out"), "--quick", "--threads", "1", "-q"]
    args += ["--estimators", "LogME", "LEEP", "OTCE", "--json", str(out)]
    assert run_benchmark("zoo", [*args, "--figure", str(tmp_path / "z.png")]) == 0
    text = capsys.readouterr().out
    assert "| ranker | mean tau_w |" in text and "noise ceiling, 3 seeds" in text
    assert (tmp_path / "z.png").stat().st_size > 0
    result = json.loads(out.read_text())
    rankers = result["summary"]
    expected = {"spider", "spider+rerank", "spider+LogME", "prior", "proxy prior", "metadata",
                "ridge", "nearest", "LogME", "LEEP"}  # fmt: skip
    assert expected == set(rankers)
    assert "side data" in result["skipped"]["OTCE"]
    # LEEP cannot score the autoencoder (no source head): no pass for it.
    n_ptms = len(load_glyph_zoo(glyph_zoo_tiny / "out").zoo)
    assert rankers["LogME"]["forward_passes"] == n_ptms
    assert rankers["LEEP"]["forward_passes"] == n_ptms - 1
    assert rankers["spider"]["forward_passes"] == 0 and rankers["spider"]["encoder_passes"] == 1
    assert rankers["prior"]["forward_passes"] == 0 and rankers["prior"]["encoder_passes"] == 0
    for r in rankers.values():
        assert -1 <= r["tau_w"] <= 1 and r["top1_regret"] >= 0 and r["seconds"] > 0
        assert r["n_tasks"] == 2
    # The ceiling of the quick run comes from its own two tasks only.
    from skspider.datasets.glyph_zoo import noise_ceiling

    data = load_glyph_zoo(glyph_zoo_tiny / "out")
    names = result["tasks"]
    own = noise_ceiling({s: t.loc[names] for s, t in data.truth_seeds.items()})
    assert result["ceiling"] == pytest.approx(own)
    assert rankers["prior"]["seconds"] < rankers["spider"]["seconds"]
    assert result["machine"]["torch_threads"] == 1


@pytest.mark.slow
def test_zoo_benchmark_reranks_with_the_validation_k(glyph_zoo_tiny, tmp_path, capsys):
    import json

    from skspider.benchmarks import run_benchmark

    args = ["--data-dir", str(glyph_zoo_tiny / "out"), "--quick", "--estimators", "LogME", "-q"]
    run_benchmark("zoo", [*args, "--json", str(tmp_path / "auto.json")])
    auto = json.loads((tmp_path / "auto.json").read_text())
    data = load_glyph_zoo(glyph_zoo_tiny / "out")
    assert auto["notes"]["rerank_k"] == data.rerank["k"]
    assert auto["notes"]["rerank_k_chosen_on"] == "validation tasks (build)"
    assert auto["summary"]["spider+rerank"]["forward_passes"] == data.rerank["k"]
    run_benchmark("zoo", [*args, "--k", "2", "--json", str(tmp_path / "k2.json")])
    fixed = json.loads((tmp_path / "k2.json").read_text())
    assert fixed["summary"]["spider+rerank"]["forward_passes"] == 2
    assert "k = 2, given." in capsys.readouterr().out


@pytest.mark.slow
def test_zoo_benchmark_on_new_tasks(glyph_zoo_tiny, tmp_path):
    from skspider.benchmarks import zoo_benchmark

    data = load_glyph_zoo(glyph_zoo_tiny / "out")
    result = zoo_benchmark(data, new_tasks=2, seed=5, estimators=("LogME",),
                           work_dir=str(tmp_path / "work"))  # fmt: skip
    assert result["which"].startswith("2 new tasks") and len(result["tasks"]) == 2
    assert all(name.startswith("new5-") for name in result["tasks"])
    assert not set(result["tasks"]) & {t.name for t in data.test_tasks}
    # Their truth was fine-tuned here, with the build's seeds, and is cached.
    runs = list((tmp_path / "work" / "records").glob("*.jsonl"))
    n_runs = 2 * len(data.zoo) * len(data.truth_seeds)
    assert len(runs[0].read_text().splitlines()) == n_runs
    assert result["n_seeds"] == len(data.truth_seeds)
    with pytest.raises(ValueError, match="build's own seed"):
        data.new_tasks(1, random_state=0)


@pytest.mark.slow
def test_zoo_benchmark_skips_rerank_without_projections(glyph_zoo_tiny_general, tmp_path):
    import json

    from skspider.benchmarks import run_benchmark

    args = ["--data-dir", str(glyph_zoo_tiny_general), "--quick", "--estimators", "LogME", "-q"]
    run_benchmark("zoo", [*args, "--json", str(tmp_path / "g.json")])
    result = json.loads((tmp_path / "g.json").read_text())
    # A ranker trained on general tokens only: re-ranking is skipped, and the output says why.
    assert "spider+rerank" not in result["summary"]
    assert "no PTM-specific projections" in result["skipped"]["spider+rerank"]


def test_build_script_is_the_command(tmp_path):
    text = _run([BENCH / "build_glyph_zoo.py", "--help"], tmp_path)
    assert "skspider build-zoo" in text or "build-zoo" in text
