"""`skspider benchmark`: listing, finding, and running benchmarks/ scripts by name."""

import json
import sys
from pathlib import Path

import pytest

from skspider.cli import main

from .conftest import run_json

REPO_BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

# Records its arguments and exits with the code given as its first one.
SCRIPT = '''"""Echo the arguments.

More text."""
import json, sys
from pathlib import Path
Path("args.json").write_text(json.dumps(sys.argv[1:]))
print("hello from the script")
sys.exit(int(sys.argv[1]))
'''
# The same, declaring a quick mode (detected by the option's name in the source).
QUICK = SCRIPT.replace("Echo the arguments.", "Has a quick mode.") + '# "--quick"\n'


@pytest.fixture
def bench_dir(tmp_path):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    (folder / "echo.py").write_text(SCRIPT)
    (folder / "fast.py").write_text(QUICK)
    (folder / "_helper.py").write_text("")
    return folder


def test_list_the_repository_benchmarks(capsys):
    code, payload, _ = run_json(main, ["benchmark", "--list"], capsys)
    assert code == 0
    assert Path(payload["benchmarks_dir"]) == REPO_BENCHMARKS
    found = payload["benchmarks"]
    assert {p.stem for p in REPO_BENCHMARKS.glob("*.py")} == set(found)
    assert found["paper_table"]["description"].startswith("Recompute the Model Spider paper")
    assert found["bench_spider"]["quick"] and not found["paper_table"]["quick"]


def test_list_as_a_table(bench_dir, capsys):
    assert main(["benchmark", "--benchmarks-dir", str(bench_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [["echo", "no"], ["fast", "yes"]]
    assert lines[1].endswith("Echo the arguments.")


def test_run_passes_arguments_and_exit_code(bench_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [
        "benchmark",
        "--benchmarks-dir",
        str(bench_dir),
        "--json",
        "echo.py",
        "3",
        "--check",
        "--quick",
        "--json",
        "x.json",
    ]
    assert main(argv) == 3
    # --quick is dropped for a script without a quick mode; the rest goes through.
    assert json.loads((tmp_path / "args.json").read_text()) == ["3", "--check", "--json", "x.json"]
    out = capsys.readouterr()
    summary = json.loads(out.out)
    assert summary["benchmark"] == "echo" and summary["exit_code"] == 3
    assert summary["command"][0] == sys.executable
    assert "has no --quick mode" in out.err and "hello from the script" in out.err
    # Without --json the script's output goes to stdout.
    assert main(["benchmark", "--benchmarks-dir", str(bench_dir), "echo", "0"]) == 0
    assert capsys.readouterr().out == "hello from the script\n"


def test_quick_before_the_name_reaches_scripts_with_a_quick_mode(bench_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["benchmark", "--benchmarks-dir", str(bench_dir), "--quick", "fast", "0"]) == 0
    assert json.loads((tmp_path / "args.json").read_text()) == ["0", "--quick"]
    assert main(["benchmark", "--benchmarks-dir", str(bench_dir), "--quick", "echo", "0"]) == 0
    assert json.loads((tmp_path / "args.json").read_text()) == ["0"]


def test_unknown_benchmark(bench_dir, capsys):
    code, _, err = run_json(main, ["benchmark", "--benchmarks-dir", str(bench_dir), "nope"], capsys)
    assert code == 2 and "unknown benchmark 'nope'" in err and "['echo', 'fast']" in err


def test_benchmarks_dir_not_found(tmp_path, capsys):
    code, _, err = run_json(
        main, ["benchmark", "--benchmarks-dir", str(tmp_path / "absent"), "--list"], capsys
    )
    assert code == 2 and "benchmarks/ not found" in err and "clone of the repository" in err


def test_environment_variable_and_search_order(bench_dir, monkeypatch, capsys):
    monkeypatch.setenv("SKSPIDER_BENCHMARKS", str(bench_dir))
    _, payload, _ = run_json(main, ["benchmark", "--list"], capsys)
    assert Path(payload["benchmarks_dir"]) == bench_dir
    monkeypatch.delenv("SKSPIDER_BENCHMARKS")
    _, payload, _ = run_json(main, ["benchmark", "--list"], capsys)
    assert Path(payload["benchmarks_dir"]) == REPO_BENCHMARKS


@pytest.mark.slow
def test_paper_table_check_through_the_cli(capsys):
    assert main(["benchmark", "paper_table", "--check"]) == 0
