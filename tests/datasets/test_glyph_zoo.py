"""The glyph zoo's builder (tiny plan, end to end through its script) and loader."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from skspider.base import Task
from skspider.datasets import load_glyph_zoo
from skspider.datasets._glyph_zoo import ARTIFACTS, PLANS
from skspider.zoo import ModelZoo

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "build_glyph_zoo.py"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("glyph_zoo")
    args = [
        sys.executable,
        SCRIPT,
        "--quick",
        "--out",
        root / "out",
        "--work",
        root / "work",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--json",
        root / "m.json",
        "-q",
    ]
    out = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "| truth |" in out.stdout and "ceiling" in out.stdout
    return root


@pytest.mark.slow
def test_tiny_build_loads_with_everything(built):
    data = load_glyph_zoo(built / "out")
    plan = PLANS["tiny"]
    names = [s["name"] for s in plan["zoo"]]
    assert isinstance(data.zoo, ModelZoo) and data.zoo.names == names
    meta = data.zoo.metadata()
    assert {"family", "source", "n_params", "objective"} <= set(meta.columns)
    assert (meta["n_params"] > 0).all()
    assert len(data.validation_tasks) == plan["n_validation"]
    assert len(data.test_tasks) == plan["n_test"]
    task = data.test_tasks[0]
    assert isinstance(task, Task) and task.X.shape[0] == task.n_samples
    assert task.metadata["images"].dtype == np.uint8
    assert list(data.truth.columns) == names
    assert data.truth.notna().all().all() and ((data.truth >= 0) & (data.truth <= 1)).all().all()
    assert set(data.truth_seeds) == set(plan["finetune"]["seeds"])
    assert data.proxy_train.shape == (plan["train_tasks"]["n"], len(names))
    assert len(data.train_tokens) == plan["train_tasks"]["n"]
    assert data.ranker.predict(data.train_tokens[:2]).shape == (2, len(names))
    assert set(data.report) == {"validation", "test"}
    # The learning rate is chosen on the validation tasks: the test tasks ran at it only.
    runs = data.truth_runs
    test_lrs = runs[runs["split"] == "test"].groupby("family")["lr"].unique()
    assert all(list(lrs) == [data.best_lr[fam]] for fam, lrs in test_lrs.items())
    # An unsupervised PTM has no source head: features but no source probabilities.
    ae = next(n for n in names if n.endswith("-ae"))
    out = data.zoo.extract(task.metadata["images"], device="cpu")
    assert out[ae].probas is None and out[names[0]].probas is not None
    assert json.loads((built / "m.json").read_text())["checksums"]


@pytest.mark.slow
def test_rebuild_resumes_from_the_cache(built, tmp_path):
    before = json.loads((built / "out" / "manifest.json").read_text())["checksums"]
    from skspider.datasets import build_glyph_zoo

    manifest = build_glyph_zoo(
        built / "out2", mode="tiny", work_dir=built / "work", device="cpu", verbose=0
    )
    assert manifest["checksums"]["truth_runs.csv"] == before["truth_runs.csv"]
    assert manifest["checksums"]["tasks.npz"] == before["tasks.npz"]
    with pytest.raises(ValueError, match="another plan"):
        build_glyph_zoo(
            built / "out3", mode="tiny", work_dir=built / "work", random_state=1, verbose=0
        )


@pytest.mark.slow
def test_corrupt_file_is_refused(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built / "out", copy)
    runs = pd.read_csv(copy / "truth_runs.csv")
    runs.loc[0, "accuracy"] = 1.0
    runs.to_csv(copy / "truth_runs.csv", index=False)
    with pytest.raises(ValueError, match="checksum"):
        load_glyph_zoo(copy)


def test_missing_zoo_says_how_to_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="build_glyph_zoo"):
        load_glyph_zoo(tmp_path)


def test_artifact_list_is_complete():
    assert "manifest.json" in ARTIFACTS and "ranker.joblib" in ARTIFACTS
