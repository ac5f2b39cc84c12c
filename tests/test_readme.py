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


def test_quick_start_commands_match_ci_and_makefile():
    """The quick start's two commands: the first is the demo, the second is exactly what
    .ci/run runs, and both are targets of the Makefile."""
    root = README.parent
    block = re.search(r"^## Quick start.*?^```bash\n(.*?)^```", README.read_text(), re.S | re.M)
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    commands = [c for c in commands if c]
    assert commands[0] == "make demo"
    ci = [
        line.strip()
        for line in (root / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "set ", "cd "))
    ]
    assert ci == [commands[1]]
    makefile = (root / "Makefile").read_text()
    for command in commands:
        target = command.split()[1]
        assert re.search(rf"^{target}:", makefile, re.M), target
