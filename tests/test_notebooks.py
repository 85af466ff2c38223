"""Every notebook runs top to bottom (they use the small bundled data), and is committed without outputs."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "strip outputs before committing"
    os.environ.setdefault("BINN_GRAPH_NOTEBOOK_EPOCHS", "15")  # small settings: the notebooks must not rot, not win
    os.environ.setdefault("BINN_GRAPH_NOTEBOOK_FOLDS", "3")
    os.environ.setdefault("BINN_GRAPH_NOTEBOOK_SEEDS", "2")
    os.environ.setdefault("BINN_GRAPH_NOTEBOOK_NULL", "2")
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()


def test_there_are_notebooks():
    assert NOTEBOOKS
