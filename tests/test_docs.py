"""The documentation points at what is really there, and says one thing about installing."""

import ast
import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [*sorted((ROOT / "docs").glob("*.rst")), ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))

# The requirement that names the installed torch, so that installing an extra never
# replaces it (README.md, "Installing").
KEEP_TORCH = "\"torch==$(python -c 'import torch; print(torch.__version__)')\""


def _mentioned_paths(doc: Path):
    """Repository paths a document names: in literal text, links and literalinclude."""
    pattern = r"``([^`]+)``|`([^`]+)`|literalinclude::\s*(\S+)|\]\(([^)]+)\)"
    for line in doc.read_text().splitlines():  # literal spans do not cross lines here
        for match in re.finditer(pattern, line):
            included = match.group(3) is not None
            for token in next(g for g in match.groups() if g).split():
                token = token.rstrip(".,;:")
                if not re.fullmatch(r"[A-Za-z0-9_./-]+", token) or token.startswith("docs/_b"):
                    continue  # placeholders (<package>), globs, code, build outputs
                # A bare module name is no path, nor a lone operator (``alpha / beta``).
                if ("/" in token and token.strip("/")) or token.endswith(".md"):
                    yield token, (doc.parent if included else ROOT) / token


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_path_named_in_the_docs_exists(doc):
    missing = [
        token
        for token, path in _mentioned_paths(doc)
        if not path.exists() or not path.resolve().is_relative_to(ROOT)
    ]
    assert not missing, f"{doc.name} names paths that are not in the repository: {missing}"


def test_toctree_entries_exist():
    index = (ROOT / "docs" / "index.rst").read_text()
    entries = re.findall(r"^   (\w+)$", index, flags=re.M)
    assert entries and all((ROOT / "docs" / f"{e}.rst").exists() for e in entries)


def test_every_install_line_keeps_the_installed_torch():
    # Every `pip install` of skspider with extras (README, docs, Makefile) names the
    # installed torch; the Makefile spells the same command for make ($$ and its venv).
    lines = []
    for doc in [*DOCS, ROOT / "Makefile"]:
        lines += [
            (doc.name, line)
            for line in doc.read_text().splitlines()
            # Commands, not prose (which may quote the line that goes wrong).
            if line.lstrip().startswith(("pip install", "$(BIN)/python -m pip install"))
            and '-e ".[' in line
        ]
    assert len(lines) >= 4
    makefile = (ROOT / "Makefile").read_text()
    for name, line in lines:
        if name == "Makefile":  # the Makefile names the installed torch through a variable
            same = re.search(r"^SAME_TORCH = (.*)$", makefile, flags=re.M).group(1)
            line = line.replace("$(SAME_TORCH)", same)
        spelled = line.replace("$$(", "$(").replace("$(BIN)/python -c", "python -c")
        assert KEEP_TORCH in spelled, f"{name}: {line.strip()}"


def test_extras_never_require_torch_itself():
    # torch is installed by the user first; an extra naming torch could force another build.
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for extra, requirements in project["optional-dependencies"].items():
        for req in requirements:
            assert not re.match(r"torch\b(?!vision)", req), (extra, req)
    (torch,) = [r for r in project["dependencies"] if re.match(r"torch\b", r)]
    assert re.fullmatch(r"torch>=[\d.]+", torch), "torch must stay unpinned from above"


def _python_blocks():
    """``.. code-block:: python`` blocks of docs/*.rst: code a reader may paste, so it runs,
    in order, each page's blocks sharing one namespace (as a reader runs a page top to
    bottom). Sketches with names the reader supplies are literal blocks (``::``), plain
    text."""
    pages = []
    for doc in sorted((ROOT / "docs").glob("*.rst")):
        pattern = r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)"
        blocks = [
            textwrap.dedent(m.group(1)) for m in re.finditer(pattern, doc.read_text(), flags=re.M)
        ]
        if blocks:
            pages.append(pytest.param(blocks, id=doc.name))
    return pages


@pytest.mark.parametrize("blocks", _python_blocks())
def test_python_code_blocks_in_the_docs_run(blocks, capsys):
    namespace = {"__name__": "__docs__"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"docs code block {i}", "exec"), namespace)
        if "print(" in code:
            assert capsys.readouterr().out.strip(), f"block {i} printed nothing"


def test_gallery_examples_are_numbered_sections():
    # Each example runs in the docs build (`make docs-check`, part of `make test`), which
    # fails on an example that raises; here, only their shape: a titled docstring, then
    # numbered sections of prose and code, and no number copied from a run.
    assert len(EXAMPLES) >= 6
    for path in EXAMPLES:
        source = path.read_text()
        doc = ast.get_docstring(ast.parse(source))
        assert doc and re.match(r"[^\n]+\n=+\n", doc), f"{path.name}: no titled docstring"
        numbers = [int(n) for n in re.findall(r"^# %%\n# (\d+)\. ", source, flags=re.M)]
        assert numbers == list(range(1, len(numbers) + 1)) and numbers, path.name


def test_api_reference_lists_every_public_name():
    # The API reference (docs/api.rst) is written by hand: a name added to a subpackage's
    # __all__ must get its line there, or the docs would not show it.
    import importlib
    import pkgutil

    import skspider

    api = (ROOT / "docs" / "api.rst").read_text()
    missing = [
        f"{info.name}.{name}"
        for info in pkgutil.iter_modules(skspider.__path__)
        if info.ispkg and not info.name.startswith("_")
        for name in getattr(importlib.import_module(f"skspider.{info.name}"), "__all__", [])
        if not re.search(rf"^   {info.name}\.{name}$", api, flags=re.M)
    ]
    assert not missing, f"docs/api.rst lacks {missing}"
