"""`skspider benchmark`: listing and running the package's benchmarks by name."""

import pytest

from skspider.benchmarks import BENCHMARKS
from skspider.cli import main

from .conftest import run_json


def test_list_the_package_benchmarks(capsys):
    code, payload, _ = run_json(main, ["benchmark", "--list"], capsys)
    assert code == 0
    names = {b["name"] for b in payload["benchmarks"]}
    assert names == set(BENCHMARKS) >= {"zoo", "paper-table"}
    quick = {b["name"]: b["quick"] for b in payload["benchmarks"]}
    assert quick["zoo"] == "yes" and quick["paper-table"] == "no"


def test_list_as_a_table(capsys):
    assert main(["benchmark"]) == 0
    out = capsys.readouterr().out
    assert "name" in out and "paper-table" in out and "zoo" in out


def test_run_by_name_passes_the_arguments_and_its_exit_code(capsys):
    assert main(["benchmark", "paper-table", "--check"]) == 0
    assert "check passed" in capsys.readouterr().out
    assert main(["benchmark", "paper_table.py", "--check"]) == 0  # the script's name works too
    capsys.readouterr()


def test_json_summary_on_stdout_the_output_on_stderr(capsys):
    import json

    # --json of the command comes before the name (after it, it is the benchmark's own).
    code = main(["benchmark", "--json", "paper-table", "--check"])
    out = capsys.readouterr()
    payload, err = json.loads(out.out), out.err
    assert code == 0 and payload["benchmark"] == "paper-table" and payload["exit_code"] == 0
    assert payload["arguments"] == ["--check"] and payload["seconds"] > 0
    assert "check passed" in err


def test_quick_on_a_benchmark_without_it_says_so(capsys):
    assert main(["benchmark", "--quick", "paper-table"]) == 0
    assert "has no quick mode; it runs in full" in capsys.readouterr().err


def test_unknown_benchmark_lists_the_known_ones(capsys):
    code, _, err = run_json(main, ["benchmark", "nope"], capsys)
    assert code == 2 and "unknown benchmark 'nope'" in err and "paper-table" in err


def test_bad_arguments_of_a_benchmark(capsys):
    assert main(["benchmark", "zoo", "--n-tasks", "0"]) == 2
    assert "--n-tasks must be at least 1" in capsys.readouterr().err
    assert main(["benchmark", "zoo", "--no-such-option"]) == 2


@pytest.mark.slow
def test_zoo_quick_on_a_built_zoo(glyph_zoo_tiny, capsys):
    argv = ["benchmark", "--quick", "zoo", "--data-dir", str(glyph_zoo_tiny / "out"), "-q"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "| spider |" in out and "| LogME |" in out and "Per-task tau_w" in out
