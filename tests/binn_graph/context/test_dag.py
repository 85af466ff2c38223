"""binn_graph.context.minimal_dag: the fewest edges that keep every input connected to the output, checked against an
exhaustive search on a small hierarchy with shared members and two parents; the pruned graph compiles and trains."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from binn_graph import BINNClassifier
from binn_graph.architecture import Architecture
from binn_graph.errors import GraphStructureError
from kg import KnowledgeGraph

pytest.importorskip("corneto")
from binn_graph.context import ContextWarning, minimal_dag  # noqa: E402

PART_OF = ("pathway", "part_of", "pathway")
MEMBER = ("protein", "member_of", "pathway")
PARTS = [("P1", "R1"), ("P1", "R2"), ("P2", "R2"), ("P3", "P1"), ("P3", "P2")]
MEMBERS = [("a", "P3"), ("a", "P1"), ("b", "P3"), ("c", "P2"), ("c", "R1"), ("d", "P1"), ("e", "R1")]
INPUTS = ["a", "b", "c", "d", "e"]


def _graph() -> KnowledgeGraph:
    g = KnowledgeGraph().add_nodes("pathway", ["R1", "R2", "P1", "P2", "P3"]).add_nodes("protein", [*INPUTS, "g"])
    g.add_edges(PART_OF, [s for s, _ in PARTS], [t for _, t in PARTS])
    return g.add_edges(MEMBER, [s for s, _ in MEMBERS], [t for _, t in MEMBERS])


def _brute_force(output_cost: float) -> float:
    """Fewest graph edges + output_cost × top-level nodes used such that every input reaches the output."""
    items = PARTS + MEMBERS + [("R1", "OUT"), ("R2", "OUT")]
    best = np.inf
    for k in range(len(items) + 1):
        for subset in itertools.combinations(items, k):
            cost = sum(output_cost if t == "OUT" else 1.0 for _, t in subset)
            if cost >= best:
                continue
            h = nx.DiGraph(subset)
            if all(v in h and "OUT" in h and nx.has_path(h, v, "OUT") for v in INPUTS):
                best = cost
    return best


@pytest.mark.parametrize("output_cost", [1.0, 5.0])
def test_minimal_dag_matches_brute_force_and_trains(output_cost):
    g = _graph()
    with pytest.warns(ContextWarning, match="ghost"):
        res = minimal_dag(g, [*INPUTS, "g", "ghost"], output_cost=output_cost)
    assert res.objective == pytest.approx(_brute_force(output_cost))
    entries = {e.what: e.count for e in res.report.entries}
    assert entries["input ids not in the graph"] == 1 and entries["inputs with no path to the output"] == 1
    pruned = res.graph
    h = nx.DiGraph()
    for et in pruned.edge_types:
        table = pruned.edges(et)
        h.add_edges_from(zip(table["source"], table["target"]))
    tops = [v for v in ("R1", "R2") if v in h]
    assert all(any(nx.has_path(h, v, t) for t in tops) for v in INPUTS)
    arch = Architecture.from_graph(pruned, "protein", features=INPUTS)
    full = Architecture.from_graph(g, "protein", features=INPUTS)
    assert arch.input_ids == INPUTS
    assert len(arch.edges) < len(full.edges)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(40, 5)), columns=INPUTS)
    y = np.where(X["a"] + X["c"] > 0, "case", "control")
    clf = BINNClassifier(pruned, max_epochs=3, random_state=0).fit(X, y)
    assert clf.predict_proba(X).shape == (40, 2)


def test_minimal_dag_bad_inputs():
    g = _graph()
    with pytest.raises(GraphStructureError, match="none of the"), pytest.warns(ContextWarning, match="ghost"):
        minimal_dag(g, ["ghost"])
    with pytest.raises(GraphStructureError, match="no edges of the relations"):
        minimal_dag(g, INPUTS, relations=("affects",))
