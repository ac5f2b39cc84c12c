"""The glyph zoo: plan and domain split, build stages and their caches, format, report, load."""

import copy
import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from skspider.base import Task
from skspider.datasets import build_glyph_zoo, load_glyph_zoo
from skspider.datasets.glyph_zoo import (
    DOMAIN_SPLIT,
    FORMAT_VERSION,
    PLANS,
    SCHEMA,
    GlyphZooVersionWarning,
    glyph_zoo_report,
    load_ranker,
    noise_ceiling,
    task_definitions,
    truth_tables,
)
from skspider.zoo import ModelZoo, extract_features


@pytest.fixture
def built(glyph_zoo_tiny):
    """The tiny plan built by the package's builder (tests/conftest.py, once a session)."""
    return glyph_zoo_tiny


# -- the plan ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", sorted(PLANS))
def test_domain_split_is_disjoint_and_never_a_source(mode):
    plan = PLANS[mode]
    splits = {s: set(spec["domains"]) for s, spec in plan["tasks"].items()}
    assert set(splits) == {"train", "validation", "test"}
    assert not splits["train"] & splits["validation"]
    assert not splits["train"] & splits["test"]
    assert not splits["validation"] & splits["test"]
    sources = set(plan["sources"]) | {"union"}
    for domains in splits.values():
        assert not domains & sources
    # Every task of a split is drawn from its split's domains.
    for split, domains in splits.items():
        assert {d["domain"] for d in task_definitions(plan, 0, split)} <= domains


def test_full_plan_has_the_domains_and_tasks_the_rebuild_needs():
    plan = PLANS["full"]
    assert {s: tuple(spec["domains"]) for s, spec in plan["tasks"].items()} == DOMAIN_SPLIT
    assert len(DOMAIN_SPLIT["train"]) >= 8
    assert len(DOMAIN_SPLIT["validation"]) >= 3
    assert len(DOMAIN_SPLIT["test"]) >= 6
    assert plan["tasks"]["train"]["n"] >= 150
    assert min(len(s) for s in plan["finetune"]["seeds"].values()) >= 1
    assert len(plan["finetune"]["seeds"]["validation"]) >= 3
    assert len(plan["finetune"]["seeds"]["test"]) >= 3


def test_task_sizes_vary_within_the_design():
    plan = PLANS["full"]
    defs = task_definitions(plan, 0, "train")
    ways = np.array([d["n_way"] for d in defs])
    shots = np.array([d["n_shot"] for d in defs])
    lo, hi = plan["design"]["n_way"]
    assert ways.min() >= lo and ways.max() <= hi and len(set(ways)) > 10
    lo, hi = plan["design"]["n_shot"]
    assert shots.min() >= lo and shots.max() <= hi and len(set(shots)) > 20
    # Log-uniform: as many tasks below the geometric middle as above it (roughly).
    assert 0.3 < np.mean(shots < np.sqrt(lo * hi)) < 0.7
    # Further tasks of the same design never repeat the plan's own.
    more = task_definitions(plan, 0, "test", n=3, offset=100)
    assert {d["name"] for d in more}.isdisjoint(
        d["name"] for d in task_definitions(plan, 0, "test")
    )


# -- the build and its caches -------------------------------------------------------------------
@pytest.mark.slow
def test_tiny_build_loads_with_everything(built):
    data = load_glyph_zoo(built / "out")
    plan = PLANS["tiny"]
    names = [s["name"] for s in plan["zoo"]]
    assert isinstance(data.zoo, ModelZoo) and data.zoo.names == names
    meta = data.zoo.metadata()
    assert {"family", "source", "n_params", "objective"} <= set(meta.columns)
    assert len(data.validation_tasks) == plan["tasks"]["validation"]["n"]
    assert len(data.test_tasks) == plan["tasks"]["test"]["n"]
    task = data.test_tasks[0]
    assert isinstance(task, Task) and task.X is None
    assert task.metadata["images"].dtype == np.uint8
    assert data.encode(task.metadata["images"]).shape[0] == task.n_samples
    assert list(data.truth.columns) == names
    assert data.truth.notna().all().all()
    assert set(data.truth_seeds) == set(plan["finetune"]["seeds"]["test"])
    assert data.train_truth.shape == (plan["tasks"]["train"]["n"], len(names))
    assert len(data.train_tokens) == plan["tasks"]["train"]["n"]
    assert data.proxy_train.shape == data.train_truth.shape
    assert data.ranker.predict(data.train_tokens[:2]).shape == (2, len(names))
    # Trained with every PTM's own tokens, so that it can re-rank a new task's top k.
    assert set(data.ranker.specific_widths_) == set(names)
    assert set(data.domains) == {"train", "validation", "test"}
    assert {"validation", "test", "train"} <= set(data.report)
    assert "glyph zoo" in data.DESCR
    # The learning rate is chosen on the validation tasks: other splits ran at it only.
    runs = data.runs
    other = runs[runs["split"] != "validation"].groupby("family")["lr"].unique()
    assert all(list(lrs) == [data.best_lr[fam]] for fam, lrs in other.items())
    # An unsupervised PTM has no source head: features but no source probabilities.
    ae = next(n for n in names if n.endswith("-ae"))
    out = extract_features(data.zoo, task.metadata["images"], device="cpu")
    assert out[ae].probas is None and out[names[0]].probas is not None
    # Every artifact of the schema, and nothing else, with its checksum.
    assert sorted(p.name for p in (built / "out").iterdir()) == sorted(SCHEMA)
    assert set(data.manifest["checksums"]) == set(SCHEMA) - {"manifest.json"}
    assert data.manifest["format_version"] == FORMAT_VERSION
    assert {"torch", "numpy", "scikit-learn", "matplotlib", "Pillow"} <= set(
        data.manifest["versions"]
    )


@pytest.mark.slow
def test_the_shipped_k_is_the_best_on_the_validation_tasks(built):
    from sklearn.frozen import FrozenEstimator

    from skspider.spider import RerankTransformer
    from skspider.tasks import TaskTokenizer

    data = load_glyph_zoo(built / "out")
    recorded = {int(k): v for k, v in data.rerank["validation_tau_w_by_k"].items()}
    # The build's rule: the best mean tau_w, the smallest k among ties.
    assert data.rerank["k"] == max(recorded, key=lambda k: (recorded[k], -k))
    # And the scores are those of the validation tasks (not of any other split).
    loader = data.feature_loader()
    valid = TaskTokenizer(model_tokens=True).fit_transform(
        [loader.task(t) for t in data.validation_tasks]
    )
    Y = data.truth.loc[[t.name for t in valid], data.ranker.models_]
    again = RerankTransformer(
        FrozenEstimator(data.ranker), k="auto", k_candidates=sorted(recorded)
    ).fit(valid, Y)
    assert again.k_scores_ == pytest.approx(recorded)


@pytest.mark.slow
def test_held_out_images_are_re_rendered_and_checked(built):
    data = load_glyph_zoo(built / "out")
    task = data.test_tasks[0]
    images, y = data.held_out(task)
    assert images.dtype == np.uint8 and len(images) == len(y)
    assert len(y) == task.metadata["n_way"] * task.metadata["n_test"]
    data.tasks.loc[task.name, "digest"] = "0" * 32
    with pytest.raises(ValueError, match="renders differently"):
        data.held_out(task)


@pytest.mark.slow
def test_shipped_weights_reproduce_a_recorded_run(built):
    from skspider.zoo import finetune_accuracy

    data = load_glyph_zoo(built / "out")
    run = data.runs.query("split == 'test'").iloc[0]
    task = next(t for t in data.test_tasks if t.name == run["task"])
    images, y = data.held_out(task)
    cfg = data.manifest["plan"]["finetune"]
    acc = finetune_accuracy(
        data.zoo[run["model"]], task.metadata["images"], task.y, images, y, lr=run["lr"],
        epochs=cfg["epochs"], max_steps=cfg["max_steps"], batch_size=cfg["batch_size"],
        random_state=int(run["seed"]), device="cpu",
    )  # fmt: skip
    assert acc == pytest.approx(run["accuracy"], abs=1e-6)


_TINY = copy.deepcopy(PLANS["tiny"])


def _tiny_plan(monkeypatch, change):
    plan = copy.deepcopy(_TINY)
    change(plan)
    monkeypatch.setitem(PLANS, "tiny", plan)


def _log_lines(work, kind):
    path = work / "records" / f"{kind}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.slow
def test_a_stage_reruns_only_what_its_inputs_change(built, tmp_path, monkeypatch):
    work = tmp_path / "work"
    shutil.copytree(built / "work", work)
    runs_before = {r["key"] for r in _log_lines(work, "truth")}
    ptms_before = sorted(p.name for p in (work / "ptms").iterdir())
    tasks_before = sorted(p.name for p in (work / "tasks").iterdir())

    # Nothing changed: nothing is recomputed, and the artifacts are the same.
    build_glyph_zoo(tmp_path / "same", mode="tiny", work_dir=work, device="cpu", verbose=0)
    assert {r["key"] for r in _log_lines(work, "truth")} == runs_before
    for name in ("runs.csv", "scores.csv", "tasks.json", "images.npz.xz", "ptms.pt"):
        assert (tmp_path / "same" / name).read_bytes() == (built / "out" / name).read_bytes()

    # One more PTM: only it is pre-trained, and only its runs are added.
    def add_ptm(plan):
        spec = dict(plan["zoo"][1], name="mlp8-math", width=8, init_seed=1010, train_seed=2010)
        plan["zoo"].append(spec)

    _tiny_plan(monkeypatch, add_ptm)
    build_glyph_zoo(tmp_path / "more", mode="tiny", work_dir=work, device="cpu", verbose=0)
    ptms_after = sorted(p.name for p in (work / "ptms").iterdir())
    assert len(ptms_after) == len(ptms_before) + 1 and set(ptms_before) <= set(ptms_after)
    assert sorted(p.name for p in (work / "tasks").iterdir()) == tasks_before
    added = [r for r in _log_lines(work, "truth") if r["key"] not in runs_before]
    assert added and {r["model"] for r in added} == {"mlp8-math"}
    more = load_glyph_zoo(tmp_path / "more")
    assert "mlp8-math" in more.zoo.names and more.truth["mlp8-math"].notna().all()

    # One more training task: it alone is rendered and fine-tuned.
    def add_task(plan):
        add_ptm(plan)
        plan["tasks"]["train"]["n"] += 1

    runs_before = {r["key"] for r in _log_lines(work, "truth")}
    _tiny_plan(monkeypatch, add_task)
    build_glyph_zoo(tmp_path / "task", mode="tiny", work_dir=work, device="cpu", verbose=0)
    added = [r for r in _log_lines(work, "truth") if r["key"] not in runs_before]
    assert {r["task"] for r in added} == {"train006-armenian-sans"}
    assert len(added) == len(_TINY["zoo"]) + 1
    assert len(list((work / "tasks").iterdir())) == len(tasks_before) + 1

    # Another ranker configuration: only the ranker is trained again.
    def new_ranker(plan):
        add_task(plan)
        plan["ranker"]["params"]["max_iter"] = 12

    runs_before = {r["key"] for r in _log_lines(work, "truth")}
    rankers_before = len(list((work / "ranker").iterdir()))
    _tiny_plan(monkeypatch, new_ranker)
    build_glyph_zoo(tmp_path / "ranker", mode="tiny", work_dir=work, device="cpu", verbose=0)
    assert {r["key"] for r in _log_lines(work, "truth")} == runs_before
    assert len(list((work / "ranker").iterdir())) == rankers_before + 1
    assert load_glyph_zoo(tmp_path / "ranker").ranker.max_iter == 12


@pytest.mark.slow
def test_an_interrupted_log_line_is_dropped_and_redone(built, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(built / "work", work)
    path = work / "records" / "truth.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])
    build_glyph_zoo(tmp_path / "out", mode="tiny", work_dir=work, device="cpu", verbose=0)
    after = _log_lines(work, "truth")
    assert len(after) == len(lines) and json.loads(lines[-1])["key"] == after[-1]["key"]


@pytest.mark.slow
def test_progress_goes_to_stderr(built, tmp_path, capsys):
    pytest.importorskip("tqdm")
    work = tmp_path / "work"
    shutil.copytree(built / "work", work)
    (work / "records" / "truth.jsonl").unlink()  # the fine-tuning runs again
    build_glyph_zoo(tmp_path / "out", mode="tiny", work_dir=work, device="cpu", verbose=1)
    out, err = capsys.readouterr()
    assert out == ""
    for what in ("[glyph-zoo", "render: done", "truth: validation (learning-rate grid)",
                 "truth: train", "proxy", "ranker: cached", "artifacts: done"):  # fmt: skip
        assert what in err, what
    # The same runs (their seconds aside): the bars change no result.
    runs = [
        pd.read_csv(d / "runs.csv").drop(columns="seconds")
        for d in (tmp_path / "out", built / "out")
    ]
    pd.testing.assert_frame_equal(*runs)


# -- the format -----------------------------------------------------------------------------------
def _copy_of(built, tmp_path):
    """A copy of the built zoo's artifacts, to tamper with."""
    copy_dir = tmp_path / "copy"
    shutil.copytree(built / "out", copy_dir)
    return copy_dir


@pytest.mark.slow
def test_corrupt_file_is_refused(built, tmp_path):
    copy_dir = _copy_of(built, tmp_path)
    runs = pd.read_csv(copy_dir / "runs.csv")
    runs.loc[0, "accuracy"] = 1.0
    runs.to_csv(copy_dir / "runs.csv", index=False)
    with pytest.raises(ValueError, match="checksum"):
        load_glyph_zoo(copy_dir)


@pytest.mark.slow
def test_another_format_version_is_refused(built, tmp_path):
    copy_dir = _copy_of(built, tmp_path)
    manifest = json.loads((copy_dir / "manifest.json").read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (copy_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(
        ValueError, match=f"format version {FORMAT_VERSION + 1}.*skspider build-zoo"
    ):
        load_glyph_zoo(copy_dir)
    # The first format (no version recorded, a pickled ranker) is refused the same way.
    del manifest["format_version"]
    (copy_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="format version 1"):
        load_glyph_zoo(copy_dir)


@pytest.mark.slow
def test_other_library_versions_are_warned_about(built, tmp_path):
    copy_dir = _copy_of(built, tmp_path)
    manifest = json.loads((copy_dir / "manifest.json").read_text())
    manifest["versions"]["torch"] = "1.0.0"
    (copy_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(GlyphZooVersionWarning, match="torch 1.0.0"):
        load_glyph_zoo(copy_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GlyphZooVersionWarning)
        load_glyph_zoo(built / "out")  # built here: no warning


@pytest.mark.slow
def test_ranker_is_weights_and_parameters_not_a_pickle(built):
    import torch

    state = torch.load(built / "out" / "ranker.pt", weights_only=True)  # no code unpickled
    assert state["class"] == "SpiderRanker" and "module" in state and "params" in state
    ranker = load_ranker(built / "out" / "ranker.pt")
    data = load_glyph_zoo(built / "out")
    np.testing.assert_array_equal(
        ranker.predict(data.train_tokens), data.ranker.predict(data.train_tokens)
    )


def test_missing_zoo_says_how_to_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="skspider build-zoo"):
        load_glyph_zoo(tmp_path)


def test_schema_names_every_artifact():
    assert "manifest.json" in SCHEMA and "ranker.pt" in SCHEMA
    assert all(len(text) > 40 for text in SCHEMA.values())


# -- the report -----------------------------------------------------------------------------------
def _runs(noise, seeds=(0, 1, 2)):
    """Fine-tuning runs of 3 PTMs (2 families) on 2 training, 2 validation and 2 test tasks."""
    rng = np.random.default_rng(0)
    quality = {"a": 0.9, "b": 0.6, "c": 0.3}
    rows = []
    tasks = [("r0", "train"), ("r1", "train"), ("v0", "validation"), ("v1", "validation"),
             ("t0", "test"), ("t1", "test")]  # fmt: skip
    for task, split in tasks:
        for model, fam in [("a", "cnn"), ("b", "cnn"), ("c", "mlp")]:
            # Every rate everywhere: the truth keeps those chosen on the validation tasks.
            for lr in (1e-3, 1e-2):
                # cnn does best at 1e-2 on validation, mlp at 1e-3; on the test tasks the
                # other rate is better, by more (a truth at the test's own best rate shows).
                best_here = (lr == 1e-2) == (fam == "cnn")
                if split == "test":
                    bonus = 0.0 if best_here else 0.2
                else:
                    bonus = 0.05 if best_here else 0.0
                for seed in (0,) if split == "train" else seeds:
                    acc = quality[model] + bonus + noise * rng.normal()
                    rows.append((task, split, model, fam, lr, seed, acc, 0.1))
    cols = ["task", "split", "model", "family", "lr", "seed", "accuracy", "seconds"]
    return pd.DataFrame(rows, columns=cols)


def _scores(order):
    rows = []
    for task, split in [("r0", "train"), ("r1", "train"), ("v0", "validation"),
                        ("v1", "validation"), ("t0", "test"), ("t1", "test")]:  # fmt: skip
        for est in ("E1", "E2"):
            for m, s in zip(["a", "b", "c"], order):
                rows.append((task, split, est, m, float(s)))
    return pd.DataFrame(rows, columns=["task", "split", "estimator", "model", "score"])


def test_truth_tables_use_the_validation_learning_rate():
    runs = _runs(0.0)
    truth, per_seed = truth_tables(runs, "test")
    assert list(truth.index) == ["t0", "t1"] and list(truth.columns) == ["a", "b", "c"]
    # The validation's rates, not the test's (which would give 1.1, 0.8, 0.5).
    np.testing.assert_allclose(truth.loc["t0"], [0.9, 0.6, 0.3])
    assert set(per_seed) == {0, 1, 2}
    train, _ = truth_tables(runs, "train")
    assert list(train.index) == ["r0", "r1"]


def test_noise_ceiling_is_each_seed_against_the_mean_of_the_others():
    from skspider.metrics import mean_weighted_tau

    rng = np.random.default_rng(1)
    tables = {s: pd.DataFrame(rng.normal(size=(4, 5))) for s in range(3)}
    expected = np.mean(
        [
            mean_weighted_tau((tables[(s + 1) % 3] + tables[(s + 2) % 3]) / 2, tables[s])
            for s in range(3)
        ]
    )
    assert noise_ceiling(tables) == pytest.approx(expected)
    same = {s: tables[0] for s in range(3)}
    assert noise_ceiling(same) == pytest.approx(1.0)
    assert np.isnan(noise_ceiling({0: tables[0]}))


def test_report_headroom_and_estimator_agreement():
    clean = glyph_zoo_report(_runs(0.0), _scores([1, 2, 3]), ["E1", "E2"])
    # Noise-free seeds agree: ceiling 1; the leaderboard (a > b > c on the training tasks) is
    # exact here, so there is no headroom; the estimators' order is reversed.
    test = clean["test"]
    assert test["noise_ceiling_tau_w"] == pytest.approx(1.0)
    assert test["leaderboard_prior_tau_w"] == pytest.approx(1.0)
    assert test["headroom_tau_w"] == pytest.approx(0.0)
    assert test["share_best_not_leaderboard_top"] == 0.0
    assert test["proxy_tau_w"] < 0 and test["proxy_prior_tau_w"] < 0
    assert test["estimator_tau_w"]["E1"] < 0
    assert clean["train"]["leaderboard"] == ["a", "b", "c"] and clean["train"]["n_tasks"] == 2
    noisy = glyph_zoo_report(_runs(0.3), _scores([3, 2, 1]), ["E1"])
    assert noisy["validation"]["noise_ceiling_tau_w"] < 1.0
    assert noisy["validation"]["n_seeds"] == 3
