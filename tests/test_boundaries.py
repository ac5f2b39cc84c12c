"""Tests, benchmarks, examples and docs use skspider's public names, as a user would.

Every ``.py`` file under tests/, benchmarks/, examples/ and docs/ is parsed with `ast`; an
import of a private skspider name fails: ``from skspider.x._y import z``,
``from skspider.x import _z``, ``import skspider.x._y`` (a component starting with ``_``;
dunders such as ``__version__`` are public). Attribute access (``module._name``) is out of
scope: imports only. A test may import its own package's internals where unit-testing them
needs it; each such import is listed in `EXCEPTIONS` with its reason.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("tests", "benchmarks", "examples", "docs")

# (file relative to the repository root, private module it imports from) -> why.
_COMPAT = (
    "uses scikit-learn private names (InvalidParameterError, the validation helpers) through "
    "their one home in the package, skspider._sklearn_compat"
)

EXCEPTIONS: dict[tuple[str, str], str] = {
    ("tests/datasets/test_synthetic.py", "skspider._sklearn_compat"): _COMPAT,
    ("tests/metrics/test_ranking.py", "skspider._sklearn_compat"): _COMPAT,
    ("tests/spider/test_ranker.py", "skspider._sklearn_compat"): _COMPAT,
    ("tests/test_sklearn_compat.py", "skspider._sklearn_compat"): _COMPAT,
    ("tests/transferability/test_engine.py", "skspider._sklearn_compat"): _COMPAT,
    ("tests/base/test_numeric.py", "skspider.base._numeric"): (
        "unit tests of base's numeric helpers (class sums and means, row normalisation), "
        "shared by the estimators, not public"
    ),
    ("tests/dummy/test_baselines.py", "skspider.dummy._neighbors"): (
        "checks the private chamfer distance against its definition, with a small block size "
        "forced so that the blocked path runs"
    ),
    ("tests/metrics/test_scorer.py", "skspider.metrics._scorer"): (
        "checks that the public scorer names are exactly the private registry"
    ),
    ("tests/plotting/test_training_curve_display.py", "skspider.plotting._curves"): (
        "reads the curves the display draws (a private helper) across warm starts"
    ),
    ("tests/spider/test_head.py", "skspider.spider._network"): (
        "unit tests of the torch network, private by design (the ranker is the public face)"
    ),
    ("tests/spider/test_network.py", "skspider.spider._network"): (
        "unit tests of the torch network, private by design (the ranker is the public face)"
    ),
    ("tests/spider/test_network.py", "skspider.spider._training"): (
        "unit tests of the PTM-specific token helper of the private training loop"
    ),
    ("tests/spider/test_loss.py", "skspider.spider._loss"): (
        "unit tests of the Plackett-Luce loss, private by design"
    ),
    ("tests/spider/test_ranker.py", "skspider.spider._training"): (
        "checks the private learning-rate schedule of the training loop"
    ),
    ("tests/spider/test_rerank.py", "skspider.spider._topk"): (
        "checks the private grid of k that the re-rankers search"
    ),
    ("tests/spider/test_prior_term.py", "skspider.spider._loss"): (
        "checks the task-blind terms (the Plackett-Luce utilities, the leaderboard's scale) "
        "against the loss"
    ),
    ("tests/spider/test_prior_term.py", "skspider.spider._training"): (
        "checks the private hold-out of whole groups that shrinkage='auto' uses"
    ),
    ("tests/spider/test_prior_term.py", "skspider.spider._ranker"): (
        "unit tests of the ranker's private prior-term helpers"
    ),
    ("tests/spider/test_estimator_reranker.py", "skspider.utils._test_common"): (
        "the array-free scikit-learn API checks, listed once for every Task-based estimator"
    ),
    ("tests/transferability/test_ranker.py", "skspider.utils._test_common"): (
        "the array-free scikit-learn API checks, listed once for every Task-based estimator"
    ),
    ("tests/tasks/test_tasks_tokenizer.py", "skspider.utils._test_common"): (
        "the array-free scikit-learn API checks, listed once for every Task-based estimator"
    ),
    ("tests/cli/test_checks.py", "skspider.cli._build"): (
        "checks that build-zoo's own copies of the stages and plans (kept to answer before "
        "torch loads) match the package's"
    ),
    ("tests/test_common.py", "skspider.utils._test_common"): (
        "the common tests' instance generator and expected failures are private, as "
        "scikit-learn's sklearn.utils._test_common"
    ),
    ("tests/test_progress.py", "skspider._progress"): (
        "unit tests of the private module of progress bars (track, the plain fallback)"
    ),
    ("tests/transferability/test_leep.py", "skspider.transferability._leep"): (
        "checks NLEEP against the private LEEP formula on the same probabilities"
    ),
    ("tests/transferability/test_logme.py", "skspider.transferability._logme"): (
        "forces LogME's private block size and eigen-solver fallback"
    ),
    ("tests/transferability/test_otce.py", "skspider.transferability._otce"): (
        "checks the private exact optimal transport against its definition"
    ),
    ("tests/zoo/test_zoo_cache.py", "skspider.zoo._cache"): (
        "reads the cache's private host name and the source of the zoo's modules"
    ),
    ("tests/zoo/test_zoo_cache.py", "skspider.zoo._extract"): (
        "forces the private sizes of the inputs' fingerprint"
    ),
    ("benchmarks/bench_logme_reference.py", "skspider.base._numeric"): (
        "times LogME's internal phases (class sums) against the reference implementation"
    ),
    ("benchmarks/bench_logme_reference.py", "skspider.transferability._logme"): (
        "times LogME's internal phases (Gram blocks, the eigen-solver) against the reference "
        "implementation"
    ),
    ("tests/datasets/test_glyph_zoo_glyphs.py", "skspider.datasets.glyph_zoo._glyphs"): (
        "unit tests of the glyph renderer's internals (font charmaps, class merging, the "
        "augmentation) behind make_glyph_task"
    ),
    ("tests/datasets/test_glyph_zoo_models.py", "skspider.datasets.glyph_zoo._models"): (
        "unit tests of the glyph networks and their pre-training, private to the builder"
    ),
}


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _private_module(dotted: str) -> str | None:
    """``dotted`` up to its first private component, or None when it has none."""
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if _private(part):
            return ".".join(parts[: i + 1])
    return None


def private_imports(source: str) -> set[str]:
    """The private skspider modules (or names) that ``source`` imports.

    Examples
    --------
    >>> sorted(private_imports("from skspider.zoo._io import read_task"))
    ['skspider.zoo._io']
    >>> sorted(private_imports("from skspider.zoo import read_task, _cache"))
    ['skspider.zoo._cache']
    >>> sorted(private_imports("from skspider import __version__"))
    []
    """
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in targets:
            if name.split(".")[0] == "skspider":
                module = _private_module(name)
                if module is not None:
                    found.add(module)
    return found


@cache
def _found() -> dict[tuple[str, str], int]:
    """(file, private module) -> how many such imports, over every file of FOLDERS."""
    out: dict[tuple[str, str], int] = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "_build" in path.relative_to(ROOT).parts:  # the docs' generated output
                continue
            rel = path.relative_to(ROOT).as_posix()
            for module in private_imports(path.read_text(encoding="utf-8")):
                out[(rel, module)] = out.get((rel, module), 0) + 1
    return out


def test_the_checker_sees_every_form_of_private_import():
    source = "\n".join(
        [
            "import skspider.base._numeric",
            "import skspider.zoo as zoo",
            "from skspider.transferability._lookup import get_estimator",
            "from skspider.transferability import LogME, _logme",
            "from skspider import __version__",
            "from . import _reference",
            "def f():\n    from skspider._progress import track",
            "import numpy._core",
        ]
    )
    assert private_imports(source) == {
        "skspider.base._numeric",
        "skspider.transferability._lookup",
        "skspider.transferability._logme",
        "skspider._progress",
    }


def test_no_private_imports_outside_the_package():
    bad = sorted(key for key in _found() if key not in EXCEPTIONS)
    assert not bad, (
        "private skspider imports (use the public name, add one where a user would need it, "
        "or list the import in EXCEPTIONS with its reason):\n"
        + "\n".join(f"{file}: {module}" for file, module in bad)
    )


def test_every_exception_is_still_needed():
    stale = sorted(set(EXCEPTIONS) - set(_found()))
    assert not stale, f"no longer imported: delete {stale} from EXCEPTIONS"
