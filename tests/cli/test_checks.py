"""Every argument is checked before torch or the zoo is loaded: a bad one exits 2 at once.

Each case runs the command in a fresh interpreter (no module of an earlier test loaded) and
reports whether torch was imported by the time the command returned.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

# The command, and whether torch is in sys.modules when it returns (even on an exception).
WRAPPER = """
import sys
from skspider.cli import main
try:
    code = main(sys.argv[1:])
finally:
    print("torch imported:", "torch" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


def _run(argv: list[str], cwd: Path) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
        check=False,
    )
    return out.returncode, out.stderr


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Tasks and paths of every kind, good and bad, under one folder."""
    from PIL import Image

    root = tmp_path_factory.mktemp("checks")
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 5)
    np.savez(root / "features.npz", y=y, **{"features/a": rng.normal(size=(10, 3))})
    np.savez(root / "raw.npz", y=y, X=rng.uniform(size=(10, 1, 4, 4)))
    np.savez(root / "typo.npz", y=y, **{"feature/a": rng.normal(size=(10, 3))})
    np.save(root / "inputs.npy", rng.uniform(size=(10, 1, 4, 4)))
    (root / "empty").mkdir()
    for folder in ("images", "clean"):
        for label in ("cat", "dog"):
            (root / folder / label).mkdir(parents=True)
            for i in range(3):
                Image.new("L", (8, 8), 40 * i).save(root / folder / label / f"{i}.png")
    (root / "images" / "dog" / "notes.txt").write_text("not an image")
    (root / "a_file").write_text("")
    return root


CASES = {
    "demo": [
        (["demo", "--k", "-1"], "--k must be 0 or more"),
        (["demo", "--k", "x"], "invalid int value"),
        (["demo", "--data-dir", "{root}/absent"], "is not a folder"),
        (["demo", "--figure", "{root}/a_file/fig.png"], "is a file, not a folder"),
    ],
    "rank": [
        (["rank", "{root}/empty"], "0 class sub-folder(s)"),
        (["rank", "{root}/missing.npz"], "not found"),
        (
            ["rank", "{root}/images", "--zoo", "builtin"],
            "1 entry that is not an image: 'dog/notes.txt'",
        ),
        (["rank", "{root}/typo.npz"], "unexpected array 'feature/a'"),
        (["rank", "{root}/inputs.npy", "--zoo", "builtin"], "give its labels with --labels"),
        (["rank", "{root}/features.npz", "--top", "0"], "--top must be a positive integer"),
        (["rank", "{root}/features.npz", "--batch-size", "0"], "--batch-size must be"),
        (["rank", "{root}/features.npz", "--device", "gpu 1"], "--device must be a device"),
        (["rank", "{root}/features.npz", "--output", "r.txt"], "must end in .json or .csv"),
        (["rank", "{root}/features.npz", "-o", "{root}/a_file/r.json"], "not a folder"),
        (["rank", "{root}/features.npz", "--zoo", "builtin"], "use one"),
        (["rank", "{root}/features.npz", "--encoder", "builtin"], "--encoder is for --ranker"),
        (["rank", "{root}/features.npz", "--image-size", "32"], "is for an image folder"),
        (["rank", "{root}/features.npz", "--labels", "{root}/inputs.npy"], "is for an .npy"),
        (["rank", "{root}/features.npz", "--ranker", "{root}/r.joblib"], "ranker file"),
        (["rank", "{root}/features.npz", "--ranker", "builtin"], "general encoder"),
        (["rank", "{root}/features.npz", "--method", "nope"], "unknown method 'nope'"),
        (["rank", "{root}/raw.npz"], "give --zoo builtin"),
        (["rank", "{root}/raw.npz", "--zoo", "glyphs"], "unknown zoo 'glyphs'"),
        (["rank", "{root}/raw.npz", "--zoo", "{root}/absent.py:zoo"], "no such file"),
        (["rank", "{root}/images", "--image-size", "0x4"], "--image-size must be N or HxW"),
    ],
    "benchmark": [
        (["benchmark", "nope"], "unknown benchmark 'nope'"),
        (["benchmark", "zoo", "--n-tasks", "0"], "--n-tasks must be at least 1"),
        (["benchmark", "zoo", "--data-dir", "{root}/absent"], "is not a folder"),
    ],
    "build-zoo": [
        (["build-zoo", "--jobs", "0"], "--jobs must be at least 1"),
        (["build-zoo", "--reuse", "{root}/empty"], "is not a built zoo"),
        (["build-zoo", "--out", "{root}/features.npz"], "is not a folder"),
        (["build-zoo", "--mode", "huge"], "invalid choice"),
        (["build-zoo", "--device", "gpu 1"], "--device must be a device"),
    ],
}


@pytest.mark.parametrize(
    ("argv", "message"),
    [case for cases in CASES.values() for case in cases],
    ids=[" ".join(argv) for cases in CASES.values() for argv, _ in cases],
)
def test_bad_arguments_exit_2_before_torch_is_imported(files, argv, message):
    code, err = _run([a.format(root=files) for a in argv], cwd=files)
    assert code == 2, err
    assert message in err
    assert "torch imported: False" in err


def test_good_arguments_pass_the_checks(files):
    # A clean image folder passes: the command goes on to import the zoo's module.
    code, err = _run(["rank", str(files / "clean"), "--zoo", "nozoo:make"], cwd=files)
    assert code == 2 and "cannot import 'nozoo'" in err


def test_build_zoo_knows_the_package_stages_and_plans():
    # The command keeps its own copies (to answer before torch loads): they must not drift.
    from skspider.cli import _build
    from skspider.datasets.glyph_zoo import PLANS, STAGES

    assert _build.STAGES == STAGES and set(_build.MODES) == set(PLANS)
