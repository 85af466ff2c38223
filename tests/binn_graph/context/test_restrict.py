"""binn_graph.context.shortest_path_nodes: the nodes on shortest input → measurement paths, by hand on a small
cyclic graph and against networkx's shortest-path lengths on random graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from binn_graph.context import shortest_path_nodes
from binn_graph.errors import ParameterError
from kg import KnowledgeGraph

REG = ("protein", "regulates", "protein")


def _graph(edges) -> KnowledgeGraph:
    nodes = sorted({n for e in edges for n in e[:2]})
    return (KnowledgeGraph().add_nodes("protein", nodes)
            .add_edges(REG, [e[0] for e in edges], [e[1] for e in edges], sign=[float(e[2]) for e in edges]))


# L -> A -> T (length 2); L -> B -> C -> T (3); L -> D -> T with an unsigned first edge; T -> L closes a cycle
EDGES = [("L", "A", 1), ("A", "T", 1), ("L", "B", 1), ("B", "C", -1), ("C", "T", 1), ("L", "D", 0), ("D", "T", 1),
         ("T", "L", -1), ("X", "T", 1)]


def test_shortest_paths_by_hand():
    g = _graph(EDGES)
    assert sorted(shortest_path_nodes(g, ["L"], ["T"])) == ["A", "L", "T"]
    assert sorted(shortest_path_nodes(g, ["L"], ["T"], slack=1)) == ["A", "B", "C", "L", "T"]
    assert sorted(shortest_path_nodes(g, ["L"], ["T"], signed_only=False)) == ["A", "D", "L", "T"]
    # every source keeps its own shortest paths, even where another source is closer to the target
    assert sorted(shortest_path_nodes(g, ["L", "X"], ["T"])) == ["A", "L", "T", "X"]
    assert shortest_path_nodes(g, ["L"], ["X", "nope"]) == []  # X is not reachable, "nope" is not a node
    assert shortest_path_nodes(g, ["nope"], ["T"]) == []
    with pytest.raises(ParameterError, match="slack"):
        shortest_path_nodes(g, ["L"], ["T"], slack=-1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_networkx_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    n = 25
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, n, (60, 2)) if a != b}
    edges = [(f"n{a}", f"n{b}", 1) for a, b in sorted(pairs)]
    g = _graph(edges)
    dg = nx.DiGraph([(a, b) for a, b, _ in edges])
    sources, targets = ["n0", "n1"], ["n5", "n9", "n13"]
    for slack in (0, 1):
        want = set()
        for s in sources:
            for t in targets:
                if s not in dg or t not in dg or not nx.has_path(dg, s, t):
                    continue
                from_s = nx.single_source_shortest_path_length(dg, s)
                to_t = nx.single_source_shortest_path_length(dg.reverse(), t)
                best = from_s[t]
                want |= {v for v in dg if v in from_s and v in to_t and from_s[v] + to_t[v] <= best + slack}
        assert set(shortest_path_nodes(g, sources, targets, slack=slack)) == want
