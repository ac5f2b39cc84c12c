"""The import directions of docs/layout.rst, checked statically and at import time.

Static: every ``import`` in every module of skspider (inside functions too) is parsed with
`ast`; a package may import only the packages below it (`ALLOWED`). At import time: each
subpackage is imported alone, with no skspider module loaded before it, and must load
nothing above it (a cycle shows up here as an ImportError: the classic one was
``import skspider.metrics`` failing once base imported metrics at the top).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

import skspider

ROOT = Path(skspider.__file__).parent

# package -> the skspider packages it may import. Private top-level modules (skspider/_x.py)
# are below everything: any package may import them, and they import no package.
_BOTTOM = {"metrics"}
_BASE = _BOTTOM | {"base"}
_MIDDLE = {"transferability", "tasks", "zoo", "spider", "dummy"}
ALLOWED: dict[str, set[str]] = {
    "metrics": set(),
    "base": {"metrics"},
    "transferability": _BASE,
    "tasks": _BASE | {"transferability"},
    "zoo": _BASE,
    "spider": _BASE | {"transferability"},
    "dummy": _BASE,
    "evaluation": _BASE | _MIDDLE,
    "datasets": _BASE | _MIDDLE | {"evaluation"},
    "utils": _BASE | _MIDDLE | {"evaluation", "datasets"},
    "plotting": _BASE | _MIDDLE,
    "benchmarks": _BASE | _MIDDLE | {"evaluation", "datasets", "plotting"},
    "cli": _BASE | _MIDDLE | {"evaluation", "datasets", "plotting", "benchmarks"},
}

# Top-level modules that are entry points, not layers: ``python -m skspider`` runs the CLI.
ENTRY_POINTS: dict[str, set[str]] = {"__main__": {"cli"}}

# Known violations, each being fixed on another branch: (importing module, imported package)
# -> why it is here. Delete an entry when its fix is merged (the test then insists on it).
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _unit(module: str) -> str:
    """The layering unit of a module: its subpackage, or the private top-level module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "skspider"


def _imported(module: str, path: Path) -> set[str]:
    """Absolute names of every skspider module or package that ``module`` imports."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None:  # from . import x, y: each name may be a module
                names.update(f"{target}.{a.name}" for a in node.names)
            else:
                names.add(target)
    return {n for n in names if n == "skspider" or n.startswith("skspider.")}


@cache
def _edges() -> dict[tuple[str, str], str]:
    """(importing module, imported unit) -> imported name, across units only."""
    edges = {}
    for module, path in _modules().items():
        source = _unit(module)
        for name in _imported(module, path):
            target = _unit(name)
            if target != source and target != "skspider":
                edges[(module, target)] = name
    return edges


def _subpackages() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))


def _is_private(unit: str) -> bool:
    return unit.startswith("_")


def test_every_subpackage_has_a_layer():
    assert set(_subpackages()) == set(ALLOWED), (
        "place each subpackage in ALLOWED (and docs/layout.rst)"
    )


def test_imports_point_down_statically():
    bad = []
    for (module, target), name in sorted(_edges().items()):
        source = _unit(module)
        if _is_private(target):
            continue
        # The top-level __init__ and the private bottom modules import no package; the
        # entry point ``python -m skspider`` (``__main__``) sits above everything.
        allowed = ENTRY_POINTS.get(source, ALLOWED.get(source, set()))
        ok = target in allowed
        if not ok and (module, target) not in KNOWN_VIOLATIONS:
            bad.append(
                f"{module} imports {name} ({source} may import {sorted(ALLOWED.get(source, ()))})"
            )
    assert not bad, "imports pointing up or sideways:\n" + "\n".join(bad)


def test_known_violations_still_exist():
    stale = sorted(set(KNOWN_VIOLATIONS) - set(_edges()))
    assert not stale, f"fixed: delete {stale} from KNOWN_VIOLATIONS in tests/test_import_layers.py"


# Third-party modules are imported once in the parent, then each subpackage is imported in
# a forked child that has no skspider module yet: fresh for skspider, and fast.
_SCRIPT = r"""
import importlib, json, multiprocessing as mp, sys
for name in ("numpy", "scipy.stats", "scipy.linalg", "scipy.optimize", "sklearn.base",
             "sklearn.utils.validation", "sklearn.metrics", "sklearn.decomposition", "pandas",
             "joblib", "torch"):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
assert not any(m == "skspider" or m.startswith("skspider.") for m in sys.modules)

def load(package):
    import traceback
    try:
        importlib.import_module("skspider." + package)
    except BaseException:
        return package, {"error": traceback.format_exc()}
    return package, {"loaded": sorted({m.split(".")[1] for m in sys.modules
                                      if m.startswith("skspider.")})}

if __name__ == "__main__":
    packages = sys.argv[1:]
    with mp.get_context("fork").Pool(min(4, len(packages)), maxtasksperchild=1) as pool:
        print(json.dumps(dict(pool.map(load, packages, chunksize=1))))
"""


def _import_each_alone(packages: list[str]) -> dict[str, dict]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT.parent), *sys.path])}
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *packages],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # about 5 s on a quiet 2-core machine: one interpreter, forked children
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the checker forks (POSIX only)")
def test_each_subpackage_imports_alone_and_loads_nothing_above_it():
    results = _import_each_alone(_subpackages())
    failed = {p: r["error"] for p, r in results.items() if "error" in r}
    assert not failed, "\n".join(f"import skspider.{p} alone:\n{e}" for p, e in failed.items())
    known = {(_unit(m), t) for m, t in KNOWN_VIOLATIONS}
    for package, result in results.items():
        above = {
            u
            for u in result["loaded"]
            if u != package and not _is_private(u) and u not in ALLOWED[package]
        }
        above -= {t for s, t in known if s == package}
        assert not above, f"import skspider.{package} loaded {sorted(above)}, above it"
