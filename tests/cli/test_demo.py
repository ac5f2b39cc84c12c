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
    argv = ["demo", "--data-dir", zoo_dir, "--figure", str(figure), "--k", "0"]
    code, payload, _ = run_json(main, argv, capsys)
    assert code == 0
    data = datasets.load_glyph_zoo(zoo_dir)
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
    on = payload["on_this_task"]
    # The ranking shown is the Spider variant best on the validation tasks.
    assert on[payload["main_ranker"]]["tau_w"] == pytest.approx(expected)
    assert {"spider", "LogME", "prior"} <= set(on) and "spider+rerank" not in on  # --k 0
    assert set(on) <= {"spider", "spider+LogME", "LogME", "prior"}
    # Counted by the loader that ran them: the encoder for Spider, every PTM for LogME.
    assert on["spider"]["ptm_forward_passes"] == 0 and on["spider"]["encoder_passes"] == 1
    assert on["LogME"]["ptm_forward_passes"] == len(names) and on["LogME"]["encoder_passes"] == 0
    assert on["prior"]["ptm_forward_passes"] == 0 and on["prior"]["encoder_passes"] == 0
    assert on["LogME"]["seconds"] > on["prior"]["seconds"]
    over = payload["over_all_test_tasks"]
    assert over["n_tasks"] == len(data.test_tasks) and "spider" in over["rankers"]
    assert "tau_w" in payload["explanation"] and "regret" in payload["explanation"]
    assert payload["figure"] == str(figure) and figure.stat().st_size > 0


@pytest.mark.slow
def test_demo_table_and_default_figure(zoo_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    task = datasets.load_glyph_zoo(zoo_dir).test_tasks[-1].name
    assert main(["demo", "--data-dir", zoo_dir, "--task", task]) == 0
    out = capsys.readouterr().out
    assert f"task {task}" in out
    assert "rank  ptm" in out and "logme_rank" in out
    assert "Spider (k=0)" in out and "LogME" in out and "prior (leaderboard)" in out
    assert "over all 2 test tasks" in out and "noise ceiling" in out
    assert "tau_w: weighted Kendall tau" in out
    assert (tmp_path / "skspider-demo.png").exists() and "wrote" in out


@pytest.mark.slow
def test_demo_no_figure(zoo_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, payload, _ = run_json(main, ["demo", "--data-dir", zoo_dir, "--no-figure"], capsys)
    assert code == 0 and payload["figure"] is None and not list(tmp_path.iterdir())


@pytest.mark.slow
def test_demo_without_matplotlib(zoo_dir, tmp_path, capsys, monkeypatch):
    from skspider import plotting

    def no_pyplot(caller):
        raise ImportError(f"{caller} needs matplotlib")

    monkeypatch.setattr(plotting._base, "import_pyplot", no_pyplot)
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--data-dir", zoo_dir]) == 0  # the default figure is skipped
    assert "no figure: matplotlib is not installed" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())
    assert main(["demo", "--data-dir", zoo_dir, "--figure", "f.png"]) == 3  # asked for
    assert "needs matplotlib" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_unknown_task_lists_the_test_tasks(zoo_dir, capsys):
    data = datasets.load_glyph_zoo(zoo_dir)
    code, payload, err = run_json(main, ["demo", "--data-dir", zoo_dir, "--task", "nope"], capsys)
    assert code == 2 and "unknown task 'nope'" in err
    assert all(t.name in payload["error"] for t in data.test_tasks)
    valid = data.validation_tasks[0].name
    assert main(["demo", "--data-dir", zoo_dir, "--task", valid, "--no-figure"]) == 2
    assert "is a validation task" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_k_out_of_range(zoo_dir, capsys):
    assert main(["demo", "--data-dir", zoo_dir, "--k", "-1", "--no-figure"]) == 2
    assert "--k must be" in capsys.readouterr().err
    assert main(["demo", "--data-dir", zoo_dir, "--k", "4", "--no-figure"]) == 2
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
    assert code == 0 and payload["k"] == 2 and payload["k_chosen_on"] == "given (--k)"
    on = payload["on_this_task"]
    # The two PTMs re-scored are the only PTM passes the re-ranker read.
    assert on["spider+rerank"]["ptm_forward_passes"] == 2
    assert on["spider+rerank"]["seconds"] < on["LogME"]["seconds"]
    code, payload, _ = run_json(main, ["demo", "--data-dir", zoo_dir, "--no-figure"], capsys)
    data = datasets.load_glyph_zoo(zoo_dir)
    assert payload["k"] == data.rerank["k"] and payload["k_chosen_on"] == "validation tasks"


@pytest.mark.slow
def test_demo_damaged_zoo(glyph_zoo_tiny, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(glyph_zoo_tiny / "out", copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["checksums"]["ranker.pt"] = "0" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert main(["demo", "--data-dir", str(copy), "--no-figure"]) == 2
    assert "damaged" in capsys.readouterr().err
