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
        [sys.executable, SCRIPT, "--quick", "--json", "s.json", "--markdown", "s.md"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads((tmp_path / "s.json").read_text())
    assert {"grid", "sizes", "rerank"} <= set(results)
    assert {r["reorder"] for r in results["rerank"]} == {"all", "top_k"}
    assert "| reorder | k | tau_w |" in (tmp_path / "s.md").read_text()
