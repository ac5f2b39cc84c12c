"""The `skspider` entry point: help, version, usage errors, and `python -m skspider`."""

import subprocess
import sys

import pytest

from skspider.cli import main


def test_python_m_skspider_help():
    out = subprocess.run(
        [sys.executable, "-m", "skspider", "--help"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    for word in ("demo", "rank", "benchmark", "exit codes"):
        assert word in out.stdout


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("rank", ["features/<model>", "probas/<model>", "--method", "--ranker", "--zoo"]),
        ("benchmark", ["--list", "--quick", "benchmarks/"]),
        ("demo", ["built-in zoo"]),
    ],
)
def test_each_subcommand_has_help(capsys, command, words):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "--json" in text
    for word in words:
        assert word in text


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    assert main(["rank"]) == 2  # missing TASK
    assert main(["nonsense"]) == 2
    assert main(["rank", "t.npz", "--method", "logme", "--ranker", "r.joblib"]) == 2
    assert "not allowed with" in capsys.readouterr().err


def test_version(capsys):
    from skspider import __version__

    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
