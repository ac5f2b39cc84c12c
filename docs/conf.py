"""Sphinx configuration for the skspider documentation (``make docs``, ``make docs-check``)."""

from pathlib import Path

import matplotlib
import torch

import skspider

# The gallery's figures are drawn off-screen, whatever the machine's display.
matplotlib.use("Agg")
# One torch thread for the gallery's small networks: on the 2-core development machine
# under load (load average 5-9), plot_03 took 69 s with torch's default threads and 23 s
# with one, and plot_02 78 s against 3.5 s. (On an idle machine two threads may be a little
# faster for the PTMs' forward passes; not measured.)
torch.set_num_threads(1)

project = "skspider"
author = "The skspider developers"
copyright = "2026, The skspider developers"
release = skspider.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
autodoc_default_options = {
    "members": True,
    # scikit-learn's metadata-routing helpers carry cross-references to its own docs.
    "exclude-members": "get_metadata_routing, set_fit_request, set_score_request, "
    "set_predict_request, set_transform_request",
}
# `name` in the pages and docstrings is a cross-reference (rendered as code), as in
# scikit-learn's docs; without it, it rendered as an italic citation, "~" and all.
default_role = "py:obj"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.examples"]
html_theme = "pydata_sphinx_theme"
html_title = "skspider"
# No network on the build machines: no intersphinx inventories.
nitpicky = False

# The gallery: every ``examples/plot_*.py`` runs in the build (on the built-in zoo only, a
# few seconds each on a CPU) and its matplotlib figures are captured into the page. An
# example that raises fails the build.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    # No cross-reference pages per API object: they add build time and nothing the API
    # reference lacks.
    "backreferences_dir": None,
    "download_all_examples": False,
    "show_memory": False,
    # No docs/sg_execution_times.rst in the source tree (each example's page gives its time).
    "write_computation_times": False,
    "min_reported_time": 1,
    "remove_config_comments": True,
    "matplotlib_animations": False,
}


DOCS = Path(__file__).resolve().parent
ZOO_BENCHMARK_MARKER = ".. zoo-benchmark-results"


def insert_zoo_benchmark(app, docname, source):
    """Put the glyph zoo benchmark's committed results (``docs/zoo_benchmark.md`` and any
    ``docs/zoo_benchmark*.png``) into benchmarks.rst, or say that none are committed yet."""
    if docname != "benchmarks" or ZOO_BENCHMARK_MARKER not in source[0]:
        return
    # Re-read the page when the results appear or change (a missing file counts as changed).
    app.env.note_dependency(str(DOCS / "zoo_benchmark.md"))
    blocks = []
    if (DOCS / "zoo_benchmark.md").exists():
        blocks.append(".. literalinclude:: zoo_benchmark.md\n   :language: markdown\n")
    for figure in sorted(DOCS.glob("zoo_benchmark*.png")):
        blocks.append(f".. image:: {figure.name}\n   :alt: {figure.stem}\n")
    if not blocks:
        blocks.append(
            "*No results committed yet*: the glyph zoo benchmark writes them to "
            "``docs/zoo_benchmark.md``.\n"
        )
    source[0] = source[0].replace(ZOO_BENCHMARK_MARKER, "\n".join(blocks))


def setup(app):
    app.connect("source-read", insert_zoo_benchmark)
