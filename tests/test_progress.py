"""skspider._progress: the one home of progress bars (tqdm on stderr, plain lines without it)."""

from __future__ import annotations

import pickle
import sys

import numpy as np
import pytest
from joblib import Parallel, delayed

from skspider._progress import progress_bar, track


@pytest.fixture
def no_tqdm(monkeypatch):
    """tqdm not importable (it is an optional dependency)."""
    monkeypatch.setitem(sys.modules, "tqdm", None)


def test_tqdm_bar_goes_to_stderr_only(capsys):
    pytest.importorskip("tqdm")
    with progress_bar(total=4, desc="work", verbose=1, unit="job") as bar:
        for _ in range(4):
            bar.update()
        bar.set_postfix(loss=0.123456)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "work" in captured.err and "4/4" in captured.err and "job" in captured.err


def test_verbose_0_prints_nothing_and_imports_no_tqdm(capsys, monkeypatch):
    # A module that fails on import: verbose=0 must not even try it.
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with progress_bar(total=3, desc="work", verbose=0) as bar:
        bar.update(3)
        bar.set_postfix(loss=1.0)
        bar.write("a message")
    assert list(track(range(3), desc="work", verbose=False)) == [0, 1, 2]
    assert capsys.readouterr() == ("", "")


def test_fallback_prints_a_line_per_tenth_on_stderr(capsys, no_tqdm):
    with progress_bar(total=20, desc="work", verbose=1, unit="PTM") as bar:
        for _ in range(20):
            bar.update()
        bar.set_postfix(loss=0.5)
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 10  # 10%, 20%, ..., 100%
    assert lines[0].startswith("[work] 2/20 PTM (10%)")
    assert lines[-1].startswith("[work] 20/20 PTM (100%)")


def test_fallback_skipped_marks_and_last_state(capsys, no_tqdm):
    with progress_bar(total=10, desc="w", verbose=1) as bar:
        bar.update(7)  # one line for 70% (the marks it jumped over print nothing)
        bar.set_postfix(loss=0.25)
        bar.update(2)  # 90%
        bar.write("note")
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line.split(" (")[0] for line in lines if line.startswith("[w]")] == [
        "[w] 7/10 it",
        "[w] 9/10 it",
    ]
    assert "note" in lines and lines[1].endswith("loss=0.25")
    # Unknown total: the final state is printed when the bar closes.
    with progress_bar(desc="w", verbose=1) as bar:
        bar.update(5)
    assert capsys.readouterr().err.startswith("[w] 5 it, ")


@pytest.mark.parametrize("tqdm_installed", [True, False])
def test_track_counts_joblib_generator_results(capsys, monkeypatch, tqdm_installed):
    if tqdm_installed:
        pytest.importorskip("tqdm")
    else:
        monkeypatch.setitem(sys.modules, "tqdm", None)
    jobs = [delayed(pow)(i, 2) for i in range(10)]
    results = Parallel(n_jobs=2, backend="threading", return_as="generator")(jobs)
    out = list(track(results, total=len(jobs), desc="squares", verbose=1, unit="job"))
    assert out == [i**2 for i in range(10)]
    err = capsys.readouterr().err
    assert "10/10" in err and "squares" in err


def test_track_closes_the_bar_on_break(capsys, no_tqdm):
    for i in track(range(10), desc="w", verbose=1):
        if i == 4:
            break
    # Items 0-4 arrived; the break closes the generator, whose bar prints its last state.
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("[w] 5/10 it (50%)")


def test_track_counts_the_last_item_when_zip_stops_first(capsys, no_tqdm):
    # zip stops on the shorter ``names`` without asking ``track`` for another item.
    names = ["a", "b", "c"]
    results = Parallel(n_jobs=1, return_as="generator")(delayed(str.upper)(n) for n in names)
    pairs = list(zip(names, track(results, total=3, desc="w", verbose=1)))
    assert pairs == [("a", "A"), ("b", "B"), ("c", "C")]
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("[w] 3/3 it (100%)")


def test_a_bar_is_never_pickled():
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(progress_bar(total=1, desc="w", verbose=0))


@pytest.mark.parametrize("verbose", [0, 1])
def test_results_written_through_a_bar_go_to_stdout_even_when_quiet(capsys, verbose):
    with progress_bar(total=2, desc="bench", verbose=verbose) as bar:
        bar.write("row 1", file=sys.stdout)
        bar.update()
        bar.set_postfix(ratio=np.float32(1.23456))
        bar.update()
    out, err = capsys.readouterr()
    assert out == "row 1\n"
    assert ("ratio=1.235" in err) == bool(verbose) and (err == "") == (not verbose)
