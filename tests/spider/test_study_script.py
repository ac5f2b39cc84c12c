"""The study that chose SpiderRanker's defaults runs end to end on tiny sizes (a smoke test:
its figures mean nothing at these sizes; the committed ones are in docs/)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "study_spider_defaults.py"


@pytest.mark.slow
def test_study_spider_defaults_quick(tmp_path):
    out = subprocess.run(
        [
            *(sys.executable, SCRIPT, "--quick", "--json", "s.json", "--markdown", "s.md"),
            *("--stages", "prior", "grid", "sizes", "rerank"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads((tmp_path / "s.json").read_text())
    assert {"prior", "grid", "sizes", "rerank"} <= set(results)
    assert {(r["setting"], r["variant"]) for r in results["prior"]} == {
        (s, v) for s in ("none", "linear strong") for v in ("base", "max_iter=100", "prior=False")
    }
    assert all("train_tau_w" in r for r in results["prior"])
    assert {r["reorder"] for r in results["rerank"]} == {"all", "top_k"}
    markdown = (tmp_path / "s.md").read_text()
    assert "| reorder | k | tau_w |" in markdown
    assert "| variant | none | linear strong | mean | CPU s |" in markdown
