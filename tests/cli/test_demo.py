"""`skspider demo` without the built-in zoo: a clear message and exit code 2."""

from skspider import datasets
from skspider.cli import main

from .conftest import run_json


def test_demo_without_builtin_zoo(capsys, monkeypatch):
    monkeypatch.delattr(datasets, "load_glyph_zoo", raising=False)
    code, payload, err = run_json(main, ["demo"], capsys)
    assert code == 2
    assert "built-in zoo is not part of this installation" in err
    assert payload == {"error": payload["error"], "exit_code": 2}
    assert "load_glyph_zoo" in payload["error"]


def test_demo_with_missing_zoo_files(capsys, monkeypatch):
    def load_glyph_zoo():
        raise FileNotFoundError("glyph_zoo/weights.npz")

    monkeypatch.setattr(datasets, "load_glyph_zoo", load_glyph_zoo, raising=False)
    assert main(["demo"]) == 2
    err = capsys.readouterr().err
    assert "files are missing" in err and "weights.npz" in err
