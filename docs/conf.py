"""Sphinx configuration of the binn-graph API reference (built from the docstrings; ``tests/test_docs.py`` builds it: ``sphinx-build -W docs <out>``)."""

from importlib.metadata import version as _version

project = "binn-graph"
author = "binn-graph developers"
release = _version("binn-graph")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",  # numpy-style "Parameters / Returns" sections
    "sphinx.ext.viewcode",
    "myst_parser",  # the guides in docs/*.md
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
# optional extras (CORNETO, cobra, ray) are imported lazily by the package; mock them if a module imports at top level
autodoc_mock_imports = []
myst_heading_anchors = 3
templates_path = ["_templates"]
exclude_patterns = ["_build", "api", "README.md"]
html_theme = "alabaster"
html_title = "binn-graph API reference"
# the guides link to repository files (../benchmarks/RESULTS.md, source files) that are not pages of this site
suppress_warnings = ["myst.xref_missing", "myst.header", "ref.python"]
nitpicky = False


def _skip_sklearn_routing(app, what, name, obj, skip, options):
    """scikit-learn's generated ``set_*_request`` methods belong to its own docs, not ours."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    """Register the skip hook."""
    app.connect("autodoc-skip-member", _skip_sklearn_routing)
