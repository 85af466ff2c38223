"""The API reference builds from the docstrings without a warning, and covers every public module."""

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import binn_graph
import kg

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("sphinx", reason="the docs extra (sphinx, myst-parser) is not installed")
pytest.importorskip("myst_parser", reason="the docs extra (sphinx, myst-parser) is not installed")


def _public_modules(package) -> set[str]:
    names = {package.__name__}
    for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.add(info.name)
    return names


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("docs") / "docs"
    shutil.copytree(ROOT / "docs", src, ignore=shutil.ignore_patterns("generated", "_build"))
    out = src.parent / "html"
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(src), str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"sphinx-build failed (warnings are errors):\n{run.stderr[-6000:]}"
    return out


def test_every_public_module_has_a_page(site):
    pages = {p.stem for p in (site / "generated").glob("*.html")}
    missing = (_public_modules(kg) | _public_modules(binn_graph)) - pages
    assert not missing, f"modules without an API page: {sorted(missing)}"


def test_pages_carry_the_docstrings(site):
    estimators = (site / "generated" / "binn_graph.estimators.html").read_text(encoding="utf-8")
    assert "BINNClassifier" in estimators and "predict_proba" in estimators
    assert "set_fit_request" not in estimators  # scikit-learn's routing methods are not ours to document
    explain = (site / "generated" / "binn_graph.attribution.explain.html").read_text(encoding="utf-8")
    assert "full_name" in explain and "normalized_importance" in explain
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "architecture.html" in index  # the guides in docs/*.md are pages of the site
