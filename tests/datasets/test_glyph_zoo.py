"""The glyph zoo's builder (tiny plan, end to end through its script) and loader."""

import json
import shutil

import joblib
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from skspider.base import Task
from skspider.datasets import load_glyph_zoo
from skspider.datasets._glyph_zoo import ARTIFACTS, PLANS
from skspider.zoo import ModelZoo, extract_features


@pytest.fixture
def built(glyph_zoo_tiny):
    """The tiny plan built through the build script (tests/conftest.py, shared per session)."""
    return glyph_zoo_tiny


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
    # Trained with every PTM's own tokens, so that it can re-rank a new task's top k.
    assert set(data.ranker.specific_widths_) == set(names)
    assert set(data.report) == {"validation", "test"}
    # The learning rate is chosen on the validation tasks: the test tasks ran at it only.
    runs = data.truth_runs
    test_lrs = runs[runs["split"] == "test"].groupby("family")["lr"].unique()
    assert all(list(lrs) == [data.best_lr[fam]] for fam, lrs in test_lrs.items())
    # An unsupervised PTM has no source head: features but no source probabilities.
    ae = next(n for n in names if n.endswith("-ae"))
    out = extract_features(data.zoo, task.metadata["images"], device="cpu")
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
def test_progress_goes_to_stderr_and_changes_no_result(built, tmp_path, capsys):
    pytest.importorskip("tqdm")
    from skspider.datasets import build_glyph_zoo

    before = json.loads((built / "out" / "manifest.json").read_text())["checksums"]
    manifest = build_glyph_zoo(
        tmp_path / "out", mode="tiny", work_dir=tmp_path / "work", device="cpu", n_threads=1,
        verbose=2,
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert out == ""
    expected = ["[glyph-zoo", "render: done", "pretrain", "pre-training", "features: pools"]
    expected += ["score_zoo", "truth: validation (learning-rate grid)", "SpiderRanker.fit"]
    for what in expected:
        assert what in err, what
    # Same seeds, same order: the results are those of the quiet build (the files that
    # record run times, ptms.pt, encoder.pt and truth_runs.csv, are compared without them;
    # the ranker's pickle differs in its bytes between any two builds, not in its content).
    after = manifest["checksums"]
    for name in ("tasks.npz", "tokens_train.npz", "proxy_train.csv", "proxy_eval.csv"):
        assert after[name] == before[name], name
    runs = [pd.read_csv(d / "out" / "truth_runs.csv") for d in (built, tmp_path)]
    pd.testing.assert_frame_equal(*(r.drop(columns="seconds") for r in runs))
    quiet, loud = (joblib.load(d / "out" / "ranker.joblib") for d in (built, tmp_path))
    assert loud.get_params() == quiet.get_params() and loud.verbose == 0
    assert loud.loss_curve_ == quiet.loss_curve_
    tokens = load_glyph_zoo(built / "out").train_tokens
    np.testing.assert_array_equal(loud.predict(tokens), quiet.predict(tokens))


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


def _runs(noise):
    """Fine-tuning runs of 3 PTMs (2 families) on 2 validation and 2 test tasks."""
    rng = np.random.default_rng(0)
    quality = {"a": 0.9, "b": 0.6, "c": 0.3}
    rows = []
    for task, split in [("v0", "validation"), ("v1", "validation"), ("t0", "test"),
                        ("t1", "test")]:  # fmt: skip
        for model, fam in [("a", "cnn"), ("b", "cnn"), ("c", "mlp")]:
            lrs = (1e-3, 1e-2) if split == "validation" else ({"cnn": 1e-2, "mlp": 1e-3}[fam],)
            for lr in lrs:
                # cnn does best at 1e-2 on validation, mlp at 1e-3.
                bonus = 0.05 if (lr == 1e-2) == (fam == "cnn") else 0.0
                for seed in (0, 1):
                    acc = quality[model] + bonus + noise * rng.normal()
                    rows.append((task, split, model, fam, lr, seed, acc, 0.1))
    cols = ["task", "split", "model", "family", "lr", "seed", "accuracy", "seconds"]
    return pd.DataFrame(rows, columns=cols)


def test_truth_tables_use_the_validation_learning_rate():
    from skspider.datasets._glyph_zoo import _best_lrs, truth_tables

    runs = _runs(0.0)
    assert _best_lrs(runs) == {"cnn": 1e-2, "mlp": 1e-3}
    truth, per_seed = truth_tables(runs)
    assert list(truth.index) == ["v0", "v1", "t0", "t1"] and list(truth.columns) == ["a", "b", "c"]
    np.testing.assert_allclose(truth.loc["t0"], [0.95, 0.65, 0.35])
    assert set(per_seed) == {0, 1}


def test_report_ceiling_and_fixed_ranking():
    from skspider.datasets._glyph_zoo import glyph_zoo_report

    proxy_train = pd.DataFrame([[2, 1, 0], [2, 1, 0]], columns=["a", "b", "c"])
    proxy_eval = pd.DataFrame([[0, 1, 2]] * 4, index=["v0", "v1", "t0", "t1"],
                              columns=["a", "b", "c"])  # fmt: skip
    clean = glyph_zoo_report(_runs(0.0), proxy_train, proxy_eval)
    # Noise-free seeds agree: ceiling 1; a task-blind ranking is exact here; the proxy
    # ranks are reversed.
    assert clean["validation"]["ceiling_tau_w"] == pytest.approx(1.0)
    assert clean["test"]["prior_tau_w"] == pytest.approx(1.0)
    assert clean["test"]["fixed_loo_tau_w"] == pytest.approx(1.0)
    assert clean["test"]["proxy_tau_w"] < 0
    assert clean["test"]["share_best_not_prior_top"] == 0.0
    noisy = glyph_zoo_report(_runs(0.3), proxy_train, proxy_eval)
    assert noisy["validation"]["ceiling_tau_w"] < 1.0


def test_best_lr_counts_only_the_grid_seeds():
    from skspider.datasets._glyph_zoo import _best_lrs

    rows = [("v0", "validation", "a", "cnn", 1e-3, 0, 0.6, 0.1),
            ("v0", "validation", "a", "cnn", 1e-2, 0, 0.7, 0.1)]  # fmt: skip
    # Later seeds at the chosen rate (worse by chance) must not flip the choice.
    rows += [("v0", "validation", "a", "cnn", 1e-2, s, 0.3, 0.1) for s in (1, 2, 3)]
    cols = ["task", "split", "model", "family", "lr", "seed", "accuracy", "seconds"]
    assert _best_lrs(pd.DataFrame(rows, columns=cols)) == {"cnn": 1e-2}


def test_report_split_half_needs_four_seeds():
    from skspider.datasets._glyph_zoo import glyph_zoo_report

    runs = _runs(0.05)
    more = runs.assign(seed=runs["seed"] + 2, accuracy=runs["accuracy"] + 0.01)
    proxy_train = pd.DataFrame([[2, 1, 0]], columns=["a", "b", "c"])
    proxy_eval = pd.DataFrame([[2, 1, 0]] * 4, index=["v0", "v1", "t0", "t1"],
                              columns=["a", "b", "c"])  # fmt: skip
    assert glyph_zoo_report(runs, proxy_train, proxy_eval)["test"]["split_half_tau_w"] is None
    four = glyph_zoo_report(pd.concat([runs, more]), proxy_train, proxy_eval)
    assert 0.5 < four["test"]["split_half_tau_w"] <= 1.0


@pytest.mark.slow
def test_shipped_weights_reproduce_the_truth(built):
    import torch

    from skspider.zoo import finetune_accuracy

    data = load_glyph_zoo(built / "out", with_features=False)
    plan = PLANS["tiny"]
    name = plan["zoo"][0]["name"]
    work = torch.load(built / "work" / "ptms" / f"{name}.pt", weights_only=True)["state"]
    for key, value in data.zoo[name].module.state_dict().items():
        torch.testing.assert_close(value, work[key].to(value.dtype), rtol=0, atol=0)
    # One recorded fine-tuning run, redone from the loaded (float16-shipped) weights.
    run = data.truth_runs.query("split == 'test' and model == @name").iloc[0]
    task = next(t for t in data.test_tasks if t.name == run["task"])
    m = task.metadata
    acc = finetune_accuracy(data.zoo[name], m["images"], task.y, m["test_images"], m["y_test"],
                            lr=run["lr"], epochs=plan["finetune"]["epochs"],
                            batch_size=plan["finetune"]["batch_size"],
                            random_state=int(run["seed"]), device="cpu")  # fmt: skip
    assert acc == pytest.approx(run["accuracy"], abs=1e-6)
