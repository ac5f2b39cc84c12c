"""`skspider demo`: the built-in zoo missing, and the demo on the tiny glyph zoo (--data-dir).

The tests on a zoo share the session's tiny build (tests/conftest.py), hence slow."""

import json

import numpy as np
import pytest

from skspider import datasets
from skspider.cli import main

from .conftest import run_json


def test_demo_without_builtin_zoo(capsys, monkeypatch):
    monkeypatch.delattr(datasets, "load_glyph_zoo", raising=False)
    code, payload, err = run_json(main, ["demo", "--no-figure"], capsys)
    assert code == 2
    assert "built-in zoo is not part of this installation" in err
    assert payload == {"error": payload["error"], "exit_code": 2}
    assert "load_glyph_zoo" in payload["error"]


def test_demo_with_missing_zoo_files(capsys, monkeypatch):
    def load_glyph_zoo(data_dir=None, **kwargs):
        raise FileNotFoundError("glyph_zoo/weights.npz")

    monkeypatch.setattr(datasets, "load_glyph_zoo", load_glyph_zoo, raising=False)
    assert main(["demo", "--no-figure"]) == 2
    err = capsys.readouterr().err
    assert "files are missing" in err and "weights.npz" in err


def test_demo_data_dir_not_a_folder(tmp_path, capsys):
    assert main(["demo", "--data-dir", str(tmp_path / "nowhere"), "--no-figure"]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_demo_data_dir_without_a_zoo(tmp_path, capsys):
    assert main(["demo", "--data-dir", str(tmp_path), "--no-figure"]) == 2
    assert "files are missing" in capsys.readouterr().err


@pytest.fixture
def zoo_dir(glyph_zoo_tiny):
    return str(glyph_zoo_tiny / "out")


@pytest.mark.slow
def test_demo_ranks_the_first_test_task(zoo_dir, tmp_path, capsys):
    figure = tmp_path / "fig" / "demo.png"
    code, payload, _ = run_json(main, ["demo", "--data-dir", zoo_dir, "--figure", str(figure)],
                                capsys)  # fmt: skip
    assert code == 0
    data = datasets.load_glyph_zoo(zoo_dir, with_features=False)
    assert payload["task"] == data.test_tasks[0].name
    names = list(data.zoo.names)
    rows = payload["ranking"]
    assert sorted(r["ptm"] for r in rows) == sorted(names)
    assert [r["rank"] for r in rows] == list(range(1, len(names) + 1))
    truth = data.truth.loc[payload["task"]]
    for r in rows:
        assert r["true_accuracy"] == pytest.approx(truth[r["ptm"]])
        assert 1 <= r["logme_rank"] <= len(names)
    # tau_w is the paper's, of the printed scores against the truth.
    from skspider.metrics import weighted_tau

    scores = {r["ptm"]: r["spider_score"] for r in rows}
    expected = weighted_tau(truth[names].to_numpy(), np.array([scores[n] for n in names]))
    assert payload["spider"]["tau_w"] == pytest.approx(expected)
    assert payload["spider"]["ptm_forward_passes"] == 0
    assert payload["logme"]["ptm_forward_passes"] == len(names)
    assert payload["spider"]["seconds"]["encoder_pass"] > 0
    assert payload["spider"]["seconds"]["ptm_passes"] == 0
    assert payload["logme"]["seconds"]["ptm_passes"] > 0
    assert payload["figure"] == str(figure) and figure.stat().st_size > 0


@pytest.mark.slow
def test_demo_table_and_default_figure(zoo_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    task = datasets.load_glyph_zoo(zoo_dir, with_features=False).test_tasks[-1].name
    assert main(["demo", "--data-dir", zoo_dir, "--task", task]) == 0
    out = capsys.readouterr().out
    assert f"task {task}" in out
    assert "rank  ptm" in out and "logme_rank" in out
    assert "Spider (k=0): tau_w" in out and "LogME:" in out
    assert (tmp_path / "skspider-demo.png").exists() and "wrote" in out


@pytest.mark.slow
def test_demo_no_figure(zoo_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, payload, _ = run_json(main, ["demo", "--data-dir", zoo_dir, "--no-figure"], capsys)
    assert code == 0 and payload["figure"] is None and not list(tmp_path.iterdir())


@pytest.mark.slow
def test_demo_without_matplotlib(zoo_dir, tmp_path, capsys, monkeypatch):
    from skspider.plotting import _base

    def no_pyplot(caller):
        raise ImportError(f"{caller} needs matplotlib")

    monkeypatch.setattr(_base, "import_pyplot", no_pyplot)
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--data-dir", zoo_dir]) == 0  # the default figure is skipped
    assert "no figure: matplotlib is not installed" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())
    assert main(["demo", "--data-dir", zoo_dir, "--figure", "f.png"]) == 3  # asked for
    assert "needs matplotlib" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_unknown_task_lists_the_test_tasks(zoo_dir, capsys):
    data = datasets.load_glyph_zoo(zoo_dir, with_features=False)
    code, payload, err = run_json(main, ["demo", "--data-dir", zoo_dir, "--task", "nope"], capsys)
    assert code == 2 and "unknown task 'nope'" in err
    assert all(t.name in payload["error"] for t in data.test_tasks)
    valid = data.validation_tasks[0].name
    assert main(["demo", "--data-dir", zoo_dir, "--task", valid, "--no-figure"]) == 2
    assert "is a validation task" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("k", ["-1", "4"])
def test_demo_k_out_of_range(zoo_dir, k, capsys):
    assert main(["demo", "--data-dir", zoo_dir, "--k", k, "--no-figure"]) == 2
    assert "--k must be between 0 and the zoo's 3 PTMs" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_k_without_projections_says_so(glyph_zoo_tiny_general, capsys):
    zoo_dir = str(glyph_zoo_tiny_general)
    assert main(["demo", "--data-dir", zoo_dir, "--k", "1", "--no-figure"]) == 2
    assert "no PTM-specific projections" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_reranks_top_k(zoo_dir, capsys):
    argv = ["demo", "--data-dir", zoo_dir, "--k", "2", "--no-figure"]
    code, payload, _ = run_json(main, argv, capsys)
    assert code == 0 and payload["k"] == 2
    spider = payload["spider"]
    assert spider["ptm_forward_passes"] == 2 and len(payload["reranked"]) == 2
    assert spider["seconds"]["ptm_passes"] > 0
    assert spider["seconds"]["ptm_passes"] < payload["logme"]["seconds"]["ptm_passes"]


@pytest.mark.slow
def test_demo_damaged_zoo(glyph_zoo_tiny, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(glyph_zoo_tiny / "out", copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["checksums"]["ranker.joblib"] = "0" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert main(["demo", "--data-dir", str(copy), "--no-figure"]) == 2
    assert "damaged" in capsys.readouterr().err
