import os

import numpy as np
import pandas as pd
import pytest

from kg import KnowledgeGraph

PART_OF = ("pathway", "part_of", "pathway")
MEMBER = ("protein", "member_of", "pathway")


def leave_rank_process() -> None:
    """End a spawned gloo rank that finished its work and destroyed its process group, skipping interpreter
    teardown: torch 2.13 with gloo aborts a few percent of such processes there (SIGABRT, "terminate called without
    an active exception", no Python frame left), which ``mp.spawn`` reports as a failed rank. Everything the test
    reads was written to files before this call."""
    os._exit(0)


def synthetic_graph(n_proteins: int = 100, n_leaf: int = 10) -> KnowledgeGraph:
    """Proteins x0..x{n-1} in leaf pathways L0..L{k-1} (round robin), leaves under two parents, parents under R."""
    g = KnowledgeGraph()
    leaves = [f"L{i}" for i in range(n_leaf)]
    g.add_nodes("pathway", ["R", "P0", "P1", *leaves])
    g.add_edges(PART_OF, ["P0", "P1", *leaves], ["R", "R", *[f"P{i % 2}" for i in range(n_leaf)]])
    proteins = [f"x{i}" for i in range(n_proteins)]
    g.add_nodes("protein", proteins)
    g.add_edges(MEMBER, proteins, [leaves[i % n_leaf] for i in range(n_proteins)])
    return g


@pytest.fixture(scope="session")
def synth_graph():
    return synthetic_graph()


@pytest.fixture(scope="session")
def planted():
    """Label driven by the proteins of leaf L3 (x3, x13, ..., x93); 300 samples × 100 proteins."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 100)), columns=[f"x{i}" for i in range(100)],
                     index=[f"s{i}" for i in range(300)])
    signal = X[[f"x{i}" for i in range(3, 100, 10)]].sum(axis=1)
    y = pd.Series(np.where(signal > 0, "case", "control"), index=X.index)
    return X, y
