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


@pytest.fixture
def one_torch_thread():
    """One torch thread for the test (tiny networks: a thread pool only waits in barriers,
    badly so on a loaded machine); the count is restored after."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def glyph_zoo_tiny(tmp_path_factory):
    """The glyph zoo's tiny plan, built once per session by the package's builder:
    ``out/`` the artifacts, ``work/`` the stage cache. About 10-20 s of CPU: every test
    using it is marked slow."""
    pytest.importorskip("matplotlib")  # the glyphs are rendered with matplotlib's fonts
    from skspider.datasets import build_glyph_zoo

    root = tmp_path_factory.mktemp("glyph_zoo")
    build_glyph_zoo(
        root / "out", mode="tiny", work_dir=root / "work", device="cpu", n_threads=1, verbose=0
    )
    return root


@pytest.fixture(scope="session")
def glyph_zoo_tiny_general(glyph_zoo_tiny, tmp_path_factory):
    """A copy of the tiny zoo whose shipped ranker has no PTM-specific projections (it cannot
    re-rank; the built zoo's ranker can): a small SpiderRanker fitted on the training tasks'
    general tokens only, stored in the zoo's format with the manifest's checksum updated.
    Only for testing code paths."""
    import hashlib
    import json
    import shutil

    from skspider.datasets import load_glyph_zoo
    from skspider.datasets.glyph_zoo import save_ranker
    from skspider.spider import SpiderRanker

    folder = tmp_path_factory.mktemp("glyph_zoo_general") / "out"
    shutil.copytree(glyph_zoo_tiny / "out", folder)
    data = load_glyph_zoo(folder)
    ranker = SpiderRanker(d_model=8, max_iter=10, lr=1e-2, batch_size=4, random_state=0)
    ranker.fit(data.train_tokens, data.train_truth)
    assert not ranker.specific_widths_
    save_ranker(ranker, folder / "ranker.pt")
    manifest = json.loads((folder / "manifest.json").read_text())
    digest = hashlib.sha256((folder / "ranker.pt").read_bytes()).hexdigest()
    manifest["checksums"]["ranker.pt"] = digest
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder
