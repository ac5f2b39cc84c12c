"""scikit-learn's private names: imported in skspider/_sklearn_compat.py only, and still
behaving as the project relies on (on whichever scikit-learn runs the suite: ``make
test-oldest`` runs this file on the oldest supported release)."""

from __future__ import annotations

import ast
import re
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from sklearn.base import BaseEstimator

from skspider import _sklearn_compat
from skspider._sklearn_compat import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
    fit_context,
    safe_indexing,
    validate_params,
)

ROOT = Path(__file__).resolve().parents[1]
COMPAT = ROOT / "skspider" / "_sklearn_compat.py"
SCANNED = ("skspider", "tests", "benchmarks", "examples", "docs")
BUILT = {"_build", "auto_examples", "generated"}  # Sphinx outputs under docs/


def _is_private(dotted: str) -> bool:
    """A dotted name with a component that starts with "_" (dunders such as ``__version__``
    are public)."""
    return any(
        part.startswith("_") and not (part.startswith("__") and part.endswith("__"))
        for part in dotted.split(".")
    )


def _private_imports(source: str, filename: str = "<source>") -> list[str]:
    """``"line: what"`` for every import of a private scikit-learn name in ``source``: its
    ``import`` statements (at any depth, inside functions too), ``importlib.import_module``
    and ``__import__`` calls with a literal name, and the imports of its doctest lines."""
    found = []

    def check(module: str, names: list[str], lineno: int) -> None:
        if module != "sklearn" and not module.startswith("sklearn."):
            return
        bad = [n for n in names if _is_private(n)]
        if _is_private(module) or bad:
            found.append(f"{filename}:{lineno}: {module} {bad or ''}".rstrip())

    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check(alias.name, [], node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            check(node.module, [a.name for a in node.names], node.lineno)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            if name in {"import_module", "__import__"} and literal:
                check(first.value, [], node.lineno)
    # Doctests run as code but are strings to `ast`: parse each prompt line on its own.
    for lineno, line in enumerate(source.splitlines(), 1):
        code = re.sub(r"^\s*(>>>|\.\.\.)\s?", "", line)
        if code != line and re.match(r"(from|import)\s+sklearn\b", code):
            try:
                statement = ast.parse(code.strip()).body[0]
            except SyntaxError:  # the first line of a parenthesised import
                statement = None
            if isinstance(statement, ast.ImportFrom):
                check(statement.module, [a.name for a in statement.names], lineno)
            elif isinstance(statement, ast.Import):
                for alias in statement.names:
                    check(alias.name, [], lineno)
            else:
                check(code.split()[1], [], lineno)
    return found


def _python_files() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if not BUILT.intersection(path.relative_to(ROOT).parts):
                files.append(path)
    return files


def test_scikit_learn_private_names_are_imported_in_the_compat_module_only():
    files = _python_files()
    assert COMPAT in files and len(files) > 100
    bad = []
    for path in files:
        if path != COMPAT:
            bad += _private_imports(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not bad, (
        "import scikit-learn's private names from skspider._sklearn_compat (add them there, "
        "with why and the versions checked):\n" + "\n".join(bad)
    )


@pytest.mark.parametrize(
    "source",
    [
        "from sklearn.utils._param_validation import Interval",
        "from sklearn.base import BaseEstimator, _fit_context",
        "def f():\n    from sklearn.utils import _safe_indexing\n",
        "import sklearn.utils._param_validation as pv",
        "from sklearn import _config",
        "importlib.import_module('sklearn.utils._testing')",
        'def f():\n    """\n    >>> from sklearn.utils._param_validation import (\n    """\n',
        'def f():\n    """\n    >>> from sklearn.base import _fit_context\n    """\n',
    ],
)
def test_the_scan_finds_private_imports(source):
    assert _private_imports(source)


@pytest.mark.parametrize(
    "source",
    [
        "from sklearn.base import BaseEstimator, clone",
        "from sklearn import __version__",
        "import sklearn.utils.validation",
        "from skspider._sklearn_compat import fit_context",
        "from ._private import _helper",
        "x = '>>> from sklearn.base import clone'",
    ],
)
def test_the_scan_passes_public_imports(source):
    assert _private_imports(source) == []


def test_compat_module_imports_no_skspider_package():
    tree = ast.parse(COMPAT.read_text(encoding="utf-8"))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {m for m in imported if m and m.split(".")[0] in {"skspider", ""}}
    assert set(_sklearn_compat.__all__) == {
        "HasMethods",
        "Interval",
        "InvalidParameterError",
        "StrOptions",
        "fit_context",
        "safe_indexing",
        "validate_params",
    }


def test_installed_and_oldest_tested_scikit_learn_are_in_the_supported_range():
    """The private names are checked on the range of pyproject.toml; outside it, check them
    (skspider/_sklearn_compat.py) before moving the bound."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    requirement = re.search(r'^\s*"scikit-learn([^"]*)",$', pyproject, flags=re.M)
    spec = SpecifierSet(requirement.group(1))
    # `make test-oldest` tests a release in the range, of its oldest minor.
    oldest = re.search(r"^SKLEARN_OLDEST := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert spec.contains(oldest.group(1)), (oldest.group(1), str(spec))
    lower = min(Version(s.version) for s in spec if s.operator == ">=")
    assert Version(oldest.group(1)).release[:2] == lower.release[:2], (oldest.group(1), lower)
    assert spec.contains(Version(sklearn.__version__)), (sklearn.__version__, str(spec))


# -- the behaviour the project relies on ------------------------------------------------------


def test_invalid_parameter_error_is_a_value_and_a_type_error():
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)


@validate_params(
    {
        "k": [Interval(Integral, 1, None, closed="left")],
        "policy": [StrOptions({"omit", "raise"})],
        "ranker": [HasMethods(["fit", "predict"]), None],
    },
    prefer_skip_nested_validation=True,
)
def _checked(k, policy="omit", ranker=None):
    return k, policy


def test_validate_params_names_the_argument_and_the_allowed_values():
    assert _checked(3) == (3, "omit")
    with pytest.raises(InvalidParameterError, match=r"'k' parameter .* int in the range"):
        _checked(0)
    with pytest.raises(InvalidParameterError, match=r"'policy' parameter .*'omit'"):
        _checked(2, policy="drop")
    with pytest.raises(InvalidParameterError, match=r"'ranker' parameter .*'predict'"):
        _checked(2, ranker=object())
    _checked(2, ranker=_Estimator())


class _Estimator(BaseEstimator):
    _parameter_constraints = {"alpha": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        # Nested validation is skipped inside a fit_context fit: this invalid call passes.
        self.nested_ = _checked(0)
        return self

    def predict(self, X):
        return X


def test_fit_context_validates_parameters_once_and_skips_nested_validation():
    assert _Estimator().fit().nested_ == (0, "omit")
    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        _Estimator(alpha=-1).fit()
    with sklearn.config_context(skip_parameter_validation=True):
        _Estimator(alpha=-1).fit()
    with pytest.raises(InvalidParameterError, match="'k' parameter"):
        _checked(0)  # outside the fit, validated again


def test_validate_params_method_of_base_estimator():
    # PriorRanker, TransferabilityRanker and NCTI call it directly (see the compat module).
    _Estimator(alpha=0.5)._validate_params()
    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        _Estimator(alpha="big")._validate_params()


def test_safe_indexing_takes_rows_of_lists_arrays_and_frames():
    rows = np.array([2, 0])
    assert safe_indexing(["a", "b", "c"], rows) == ["c", "a"]
    np.testing.assert_array_equal(safe_indexing(np.arange(6).reshape(3, 2), rows), [[4, 5], [0, 1]])
    frame = pd.DataFrame({"m1": [1.0, 2.0, 3.0]}, index=["t1", "t2", "t3"])
    picked = safe_indexing(frame, rows)
    assert isinstance(picked, pd.DataFrame)
    assert list(picked.index) == ["t3", "t1"] and list(picked.columns) == ["m1"]
