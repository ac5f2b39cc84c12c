"""Settings for the whole suite."""

import os
from pathlib import Path

import pytest
import torch

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

# `make test` runs pytest-xdist with one worker per core: a torch thread pool per worker
# oversubscribes the cores, and small ops then wait in OpenMP barriers (about 10x slower).
# One torch thread per worker; a plain `pytest` run keeps torch's default.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def glyph_zoo_tiny(tmp_path_factory):
    """The glyph zoo's tiny plan, built once per session through the build script's main()
    (in process: no second torch import): ``out/`` the artifacts, ``work/`` the stage cache,
    ``m.json`` the manifest. About 20-25 s of CPU: every test using it is marked slow."""
    import contextlib
    import importlib.util
    import io

    pytest.importorskip("matplotlib")  # the glyphs are rendered with matplotlib's fonts
    root = tmp_path_factory.mktemp("glyph_zoo")
    script_path = BENCHMARKS / "build_glyph_zoo.py"
    spec = importlib.util.spec_from_file_location("build_glyph_zoo_script", script_path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    args = ["--quick", "--out", str(root / "out"), "--work", str(root / "work"), "-q"]
    # (--jobs 2 gives the same runs, checked by hand; its worker start-up would triple the
    # time of this fixture.)
    args += ["--device", "cpu", "--threads", "1", "--jobs", "1", "--json", str(root / "m.json")]
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        script.main(args)
    assert "| truth |" in stdout.getvalue() and "ceiling" in stdout.getvalue()
    return root


@pytest.fixture(scope="session")
def glyph_zoo_tiny_general(glyph_zoo_tiny, tmp_path_factory):
    """A copy of the tiny zoo whose shipped ranker has no PTM-specific projections (it cannot
    re-rank; the built zoo's ranker can): a small SpiderRanker fitted on the training tasks'
    general tokens only, the manifest's checksum updated. Only for testing code paths."""
    import hashlib
    import json
    import shutil

    import joblib

    from skspider.datasets import load_glyph_zoo
    from skspider.spider import SpiderRanker

    folder = tmp_path_factory.mktemp("glyph_zoo_general") / "out"
    shutil.copytree(glyph_zoo_tiny / "out", folder)
    data = load_glyph_zoo(folder, with_features=False)
    ranker = SpiderRanker(d_model=8, max_iter=10, lr=1e-2, batch_size=4, random_state=0)
    ranker.fit(data.train_tokens, data.proxy_train)
    assert not ranker.specific_widths_
    joblib.dump(ranker, folder / "ranker.joblib")
    manifest = json.loads((folder / "manifest.json").read_text())
    digest = hashlib.sha256((folder / "ranker.joblib").read_bytes()).hexdigest()
    manifest["checksums"]["ranker.joblib"] = digest
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder
