"""binn_graph.context.steiner against an exhaustive search over edge subsets (networkx connectivity) on tiny graphs:
undirected and directed Steiner trees, the best root, prize-collecting trees, many samples, and bad inputs."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from binn_graph.errors import DataValidationError, FeatureMismatchError, ParameterError
from kg import KnowledgeGraph

pytest.importorskip("corneto")
from binn_graph.context import ContextWarning, steiner  # noqa: E402

LINK = ("node", "linked_to", "node")


def _random_graph(seed: int, directed: bool, n: int = 7, m: int = 11):
    rng = np.random.default_rng(seed)
    nodes = [f"v{i}" for i in range(n)]
    pairs = [(a, b) for a, b in itertools.permutations(nodes, 2) if directed or a < b]
    edges = [pairs[i] for i in rng.choice(len(pairs), size=m, replace=False)]
    costs = np.round(rng.uniform(1, 10, size=m), 3)
    g = (KnowledgeGraph().add_nodes("node", nodes)
         .add_edges(LINK, [a for a, _ in edges], [b for _, b in edges], cost=costs, directed=directed))
    return g, edges, costs


def _brute(edges, costs, ok) -> float:
    best = np.inf
    for k in range(len(edges) + 1):
        for subset in itertools.combinations(range(len(edges)), k):
            cost = float(sum(costs[i] for i in subset))
            if cost < best and ok([edges[i] for i in subset]):
                best = cost
    return best


def _connects(terminals, directed, root=None):
    def ok(chosen):
        h = nx.DiGraph(chosen) if directed else nx.Graph(chosen)
        h.add_nodes_from(terminals)
        if directed:
            return all(t == root or nx.has_path(h, root, t) for t in terminals)
        return nx.is_connected(h.subgraph(nx.node_connected_component(h, terminals[0]) | set(terminals)))
    return ok


@pytest.mark.parametrize("seed", [0, 1])
def test_undirected_steiner_tree_matches_brute_force(seed):
    g, edges, costs = _random_graph(seed, directed=False)
    nodes = sorted({v for e in edges for v in e})
    terminals = nodes[:1] + nodes[-2:]
    comp = nx.Graph(edges)
    if not all(nx.has_path(comp, terminals[0], t) for t in terminals):
        pytest.skip("random graph not connected on the terminals")
    res = steiner(g, terminals, edge_cost="cost")
    assert res.method == "steiner" and res.status == "optimal"
    assert res.objective == pytest.approx(_brute(edges, costs, _connects(terminals, False)), abs=1e-6)
    chosen = res.selected_edges()
    assert res.graph.edges(LINK)["cost"].sum() == pytest.approx(res.objective)
    assert nx.is_connected(nx.Graph(list(zip(chosen["source"], chosen["target"]))))
    assert set(terminals) <= set(res.node_values.index[res.node_values["sample"] == 1])


def test_directed_steiner_from_a_root_and_from_the_best_root():
    g, edges, costs = _random_graph(3, directed=True, n=6, m=14)
    h = nx.DiGraph(edges)
    roots = [v for v in sorted(h) if len(nx.descendants(h, v)) >= 2]
    root = roots[0]
    terminals = [root] + sorted(nx.descendants(h, root))[:2]
    res = steiner(g, terminals, edge_cost="cost", root=root)
    assert res.objective == pytest.approx(_brute(edges, costs, _connects(terminals, True, root)), abs=1e-6)
    best = steiner(g, terminals, edge_cost="cost", root_selection="best")
    expected = min(_brute(edges, costs, _connects(terminals, True, r)) for r in terminals)
    assert best.objective == pytest.approx(expected, abs=1e-6)
    assert best.objective <= res.objective + 1e-9


def test_prize_collecting_tree_matches_brute_force():
    g, edges, costs = _random_graph(4, directed=False, n=6, m=9)
    nodes = sorted({v for e in edges for v in e})
    root = nodes[0]
    prizes = {v: p for v, p in zip(nodes[1:], [6.0, 2.0, 9.0, 1.5, 4.0])}

    def value(chosen):  # cost minus the prizes of the nodes joined to the root
        h = nx.Graph(chosen)
        h.add_node(root)
        reached = nx.node_connected_component(h, root)
        return sum(costs[edges.index(e)] for e in chosen) - sum(prizes.get(v, 0) for v in reached)

    expected = min(value([edges[i] for i in s]) for k in range(len(edges) + 1)
                   for s in itertools.combinations(range(len(edges)), k))
    res = steiner(g, pd.Series(prizes), edge_cost="cost", root=root)
    assert res.method == "pcst"
    assert res.objective == pytest.approx(expected, abs=1e-6)
    assert res.objectives["edge_cost"] == pytest.approx(res.graph.edges(LINK)["cost"].sum())


def test_many_samples_add_up():
    g, edges, costs = _random_graph(0, directed=False)
    nodes = sorted({v for e in edges for v in e})
    sets = {"a": nodes[:2], "b": nodes[-2:]}
    joint = steiner(g, sets, edge_cost="cost")
    assert joint.samples == ["a", "b"]
    assert joint.objective == pytest.approx(sum(steiner(g, t, edge_cost="cost").objective for t in sets.values()))


def test_bad_inputs_get_project_errors():
    g, edges, _ = _random_graph(0, directed=False)
    nodes = sorted({v for e in edges for v in e})
    with pytest.warns(ContextWarning, match="ghost"):
        res = steiner(g, [*nodes[:2], "ghost"])
    assert {e.what: e.count for e in res.report.entries}["terminal ids not in the graph"] == 1
    with pytest.raises(FeatureMismatchError, match="ghost"):
        steiner(g, [*nodes[:2], "ghost"], strict=True)
    with pytest.raises(DataValidationError, match="at least two"):
        steiner(g, [nodes[0]])
    with pytest.raises(DataValidationError, match="> 0"):
        steiner(g, pd.Series({nodes[0]: 1.0, nodes[1]: -2.0}))
    with pytest.raises(ParameterError, match="not an attribute"):
        steiner(g, nodes[:2], edge_cost="weight")
    with pytest.raises(ParameterError, match="finite cost"):
        steiner(g, nodes[:2], edge_cost=-1.0)
    with pytest.raises(ParameterError, match="single string"):
        steiner(g, "v0")
    with pytest.raises(ParameterError, match="root_selection"):
        steiner(g, nodes[:2], root_selection="random")
