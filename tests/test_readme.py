"""Every Python snippet of README.md runs as written (each in a fresh namespace)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _snippets():
    return re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.S | re.M)


def test_readme_has_python_snippets():
    assert len(_snippets()) >= 2


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(_snippets())))
def test_readme_snippet_runs(index, capsys):
    code = _snippets()[index]
    exec(compile(code, f"README.md snippet {index}", "exec"), {"__name__": "__readme__"})
    printed = capsys.readouterr().out
    if "print(" in code:
        assert printed.strip()
