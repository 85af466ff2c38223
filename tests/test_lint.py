"""Hygiene that CI enforces through the suite: ruff (pyflakes, import order, docstrings on the public API) and no
timings in docstrings (they go stale; they belong in benchmarks/RESULTS.md)."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [ROOT / "kg", ROOT / "binn_graph"]

# a number followed by a time unit, or "N× faster/slower", inside a docstring
TIMING = re.compile(r"\b\d[\d,.]*\s?(ms|µs|us|ns|s|sec|seconds|minutes|min)\b(?!\w)|\d+(\.\d+)?\s?×\s?(faster|slower)"
                    r"|\b\d+(\.\d+)?\s?%\s(faster|slower)")


def test_ruff_check_passes():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (it is in the test extras: pip install -e '.[test]')")
    result = subprocess.run([ruff, "check", "--no-cache", "--output-format", "concise", "."], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _docstrings(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield getattr(node, "name", path.stem), doc


def test_no_timings_in_docstrings():
    found = []
    for package in PACKAGES:
        for path in sorted(package.rglob("*.py")):
            for name, doc in _docstrings(path):
                for line in doc.splitlines():
                    if TIMING.search(line) and ">>>" not in line:
                        found.append(f"{path.relative_to(ROOT)}:{name}: {line.strip()}")
    assert not found, "timings belong in benchmarks/RESULTS.md:\n" + "\n".join(found)


def test_public_api_docstring_coverage_is_complete():
    """Every public module, class and function of the packages has a docstring (the floor is 100 %)."""
    missing = []
    for package in PACKAGES:
        for path in sorted(package.rglob("*.py")):
            if path.parent.name == "data":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if not ast.get_docstring(tree):
                missing.append(f"{path.relative_to(ROOT)} (module)")
            for node in tree.body:
                if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and not node.name.startswith("_"):
                    if not ast.get_docstring(node):
                        missing.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert not missing, "public API without a docstring:\n" + "\n".join(missing)


def test_library_leaves_matplotlib_global_state_alone():
    """No backend switch, rcParams write, style change or pyplot figure in the packages: figures are explicit
    ``matplotlib.figure.Figure`` objects, so importing or calling the library changes nothing for the caller."""
    pattern = re.compile(r"matplotlib\.use\(|rcParams\[[^]]+\]\s*=|rcParams\.update|plt\.style\.use|"
                         r"import matplotlib\.pyplot|from matplotlib import pyplot")
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for package in PACKAGES for path in sorted(package.rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if pattern.search(line) and not line.lstrip().startswith(("#", ">>>"))]
    assert not found, "\n".join(found)
