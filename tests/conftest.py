"""Shared fixtures. Tests read only files inside the project (tests/data and the bundled kg/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg import KnowledgeGraph
from kg.datasets import reactome_files

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def reactome_graph() -> KnowledgeGraph:
    """The full bundled human Reactome graph (loaded once; tests must copy before mutating)."""
    from kg.sources import reactome

    return reactome.load(**reactome_files())


@pytest.fixture
def toy_graph() -> KnowledgeGraph:
    """R ← P1 ← (C1, C2); R ← P2; proteins x→C1, y→C2, z→P2 (x also → C1 with a second evidence)."""
    g = KnowledgeGraph()
    g.add_nodes("pathway", ["R", "P1", "P2", "C1", "C2"], name=["root", "p1", "p2", "c1", "c2"], database="toy")
    g.add_edges(("pathway", "part_of", "pathway"), ["P1", "P2", "C1", "C2"], ["R", "R", "P1", "P1"], database="toy")
    g.add_nodes("protein", ["x", "y", "z"], database="toy")
    g.add_edges(("protein", "member_of", "pathway"), ["x", "y", "z", "x"], ["C1", "C2", "P2", "C1"],
                evidence=["TAS", "TAS", "IEA", "IEA"], database="toy")
    return g
