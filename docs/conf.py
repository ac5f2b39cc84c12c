"""Sphinx configuration for the skspider documentation (``make docs``)."""

import skspider

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
]
autosummary_generate = True
autodoc_default_options = {
    "members": True,
    # scikit-learn's metadata-routing helpers carry cross-references to its own docs.
    "exclude-members": "get_metadata_routing, set_fit_request, set_score_request, "
    "set_predict_request, set_transform_request",
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.examples"]
html_theme = "pydata_sphinx_theme"
html_title = "skspider"
# No network on the build machines: no intersphinx inventories.
nitpicky = False
