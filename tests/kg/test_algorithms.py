"""kg.algorithms against networkx on random DAGs and random graphs with cycles."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from kg import KnowledgeGraph
from kg import algorithms as alg
from kg.errors import CycleError, HierarchyCycleError
from kg.sources import go, reactome

SEEDS = range(8)


def random_dag(seed: int, n: int | None = None, p: float | None = None) -> tuple[sp.csr_matrix, nx.DiGraph]:
    """A random DAG with shuffled positions (so position order is not a topological order)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60)) if n is None else n
    p = rng.uniform(0.02, 0.3) if p is None else p
    i, j = np.triu_indices(n, k=1)
    keep = rng.random(len(i)) < p
    perm = rng.permutation(n)
    src, dst = perm[i[keep]], perm[j[keep]]
    return _both(n, src, dst)


def random_digraph(seed: int) -> tuple[sp.csr_matrix, nx.DiGraph]:
    """A random directed graph, cycles and self-loops allowed."""
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(1, 40))
    m = int(rng.integers(0, 2 * n + 1))
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    return _both(n, src, dst)


def _both(n, src, dst):
    adj = sp.csr_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(src.tolist(), dst.tolist()))
    return adj, graph


def _mask(n, nodes) -> list[bool]:
    out = np.zeros(n, dtype=bool)
    out[list(nodes)] = True
    return out.tolist()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("make", [random_dag, random_digraph])
def test_reachable_matches_networkx(make, seed):
    adj, graph = make(seed)
    n = adj.shape[0]
    rng = np.random.default_rng(seed)
    sources = rng.choice(n, size=min(n, 3), replace=False)
    down = set(sources.tolist()).union(*(nx.descendants(graph, s) for s in sources.tolist()))
    up = set(sources.tolist()).union(*(nx.ancestors(graph, s) for s in sources.tolist()))
    assert alg.reachable(adj, sources).tolist() == _mask(n, down)
    assert alg.reachable(adj, sources, reverse=True).tolist() == _mask(n, up)
    as_mask = np.zeros(n, dtype=bool)
    as_mask[sources] = True
    assert alg.reachable(adj, as_mask).tolist() == _mask(n, down)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("make", [random_dag, random_digraph])
def test_transitive_closure_matches_networkx(make, seed):
    adj, graph = make(seed)
    n = adj.shape[0]
    got = alg.transitive_closure(adj)
    assert got.dtype == bool
    assert set(zip(*got.nonzero())) == set(nx.transitive_closure(graph, reflexive=False).edges())
    reflexive = alg.transitive_closure(adj, reflexive=True)
    assert set(zip(*reflexive.nonzero())) == set(nx.transitive_closure(graph, reflexive=True).edges())
    # distances: shortest path length for i != j; for i == j, the shortest cycle through i
    lengths = dict(nx.all_pairs_shortest_path_length(graph))
    want = {(i, j): d for i, row in lengths.items() for j, d in row.items() if i != j}
    for v in range(n):
        back = [lengths[v][u] + 1 for u in graph.predecessors(v) if u in lengths[v]]
        if back:
            want[(v, v)] = min(back)
    dist = alg.transitive_closure(adj, distances=True).tocoo()
    assert dict(zip(zip(dist.row.tolist(), dist.col.tolist()), dist.data.tolist())) == want


@pytest.mark.parametrize("seed", SEEDS)
def test_cycle_nodes_matches_networkx(seed):
    adj, graph = random_digraph(seed)
    n = adj.shape[0]
    by_scc = {v for comp in nx.strongly_connected_components(graph) if len(comp) > 1 for v in comp}
    by_scc |= {v for v, _ in nx.selfloop_edges(graph)}
    by_cycles = {v for cycle in nx.simple_cycles(graph) for v in cycle}
    assert by_scc == by_cycles
    assert alg.cycle_nodes(adj).tolist() == _mask(n, by_scc)
    dag, _ = random_dag(seed)
    assert not alg.cycle_nodes(dag).any()


@pytest.mark.parametrize("seed", SEEDS)
def test_generations_and_levels_match_networkx(seed):
    adj, graph = random_dag(seed)
    got = [g.tolist() for g in alg.topological_generations(adj)]
    assert got == [sorted(g) for g in nx.topological_generations(graph)]
    want = [nx.dag_longest_path_length(graph.subgraph(nx.ancestors(graph, v) | {v})) for v in range(adj.shape[0])]
    assert alg.longest_path_levels(adj).tolist() == want


@pytest.mark.parametrize("seed", [0, 1])
def test_large_dag_matches_networkx(seed):
    adj, graph = random_dag(seed, n=3000, p=4 / 3000)  # about 6,000 edges, dozens of generations
    sources = [0, 17, 2999]
    want = set(sources).union(*(nx.descendants(graph, s) for s in sources))
    assert alg.reachable(adj, sources).tolist() == _mask(3000, want)
    assert [g.tolist() for g in alg.topological_generations(adj)] == \
        [sorted(g) for g in nx.topological_generations(graph)]
    level = np.zeros(3000, dtype=np.int64)
    for v in nx.topological_sort(graph):
        level[v] = max((level[u] + 1 for u in graph.predecessors(v)), default=0)
    assert alg.longest_path_levels(adj).tolist() == level.tolist()


@pytest.mark.parametrize("seed", SEEDS)
def test_levels_raise_cycle_error_with_the_cycle(seed):
    adj, graph = random_digraph(seed)
    if nx.is_directed_acyclic_graph(graph):
        assert alg.longest_path_levels(adj).shape == (adj.shape[0],)
        return
    for func in (alg.longest_path_levels, alg.topological_generations):
        with pytest.raises(CycleError) as info:
            func(adj)
        assert info.value.nodes == np.flatnonzero(alg.cycle_nodes(adj)).tolist()
        assert isinstance(info.value, ValueError)


def test_inputs_values_are_ignored_only_the_pattern_counts():
    dense = np.array([[0, 2, 0], [0, 0, -1], [0, 0, 0]])
    assert alg.longest_path_levels(dense).tolist() == [0, 1, 2]
    explicit_zero = sp.csr_matrix((np.array([1, 0]), np.array([1, 0]), np.array([0, 1, 2, 2])), shape=(3, 3))
    assert explicit_zero.nnz == 2  # (1, 0) is stored but zero: not an edge
    assert alg.reachable(explicit_zero, [1]).tolist() == [False, True, False]
    assert not alg.cycle_nodes(explicit_zero).any()
    duplicated = sp.coo_matrix((np.ones(300, dtype=bool), (np.zeros(300, int), np.zeros(300, int))), shape=(2, 2))
    assert alg.cycle_nodes(duplicated).tolist() == [True, False]


def test_empty_and_bad_inputs():
    empty = sp.csr_matrix((0, 0))
    assert alg.reachable(empty, []).shape == (0,)
    assert alg.topological_generations(empty) == []
    assert alg.longest_path_levels(empty).shape == (0,)
    assert alg.cycle_nodes(empty).shape == (0,)
    assert alg.transitive_closure(empty).shape == (0, 0)
    lone = sp.csr_matrix((3, 3))
    assert alg.reachable(lone, []).tolist() == [False] * 3
    assert [g.tolist() for g in alg.topological_generations(lone)] == [[0, 1, 2]]
    with pytest.raises(ValueError, match="square"):
        alg.reachable(sp.csr_matrix((2, 3)), [0])
    with pytest.raises(ValueError, match="positions"):
        alg.reachable(lone, [3])
    with pytest.raises(ValueError, match="mask"):
        alg.reachable(lone, np.array([True, False]))
    with pytest.raises(ValueError, match="reflexive"):
        alg.transitive_closure(lone, reflexive=True, distances=True)


# ---------------------------------------------------------------------- KnowledgeGraph on kg.algorithms
PART_OF = ("pathway", "part_of", "pathway")


def random_hierarchy(seed: int) -> tuple[KnowledgeGraph, nx.DiGraph]:
    adj, graph = random_dag(seed)
    ids = [f"P{i}" for i in range(adj.shape[0])]
    coo = adj.tocoo()
    g = KnowledgeGraph().add_nodes("pathway", ids)
    g.add_edges(PART_OF, [ids[i] for i in coo.row], [ids[j] for j in coo.col])
    return g, nx.relabel_nodes(graph, dict(enumerate(ids)))


@pytest.mark.parametrize("seed", SEEDS)
def test_knowledge_graph_hierarchy_matches_networkx(seed):
    g, graph = random_hierarchy(seed)
    adj, index = g.adjacency(PART_OF)
    assert adj.dtype == bool and list(index) == list(graph.nodes)
    node = index[seed % len(index)]
    assert g.ancestors(node) == nx.descendants(graph, node)  # child → parent edges: ancestors lie downstream
    assert g.descendants(node) == nx.ancestors(graph, node)
    closure = g.hierarchy_closure(PART_OF)
    lengths = dict(nx.all_pairs_shortest_path_length(graph))
    want = {(a, b): d for a, row in lengths.items() for b, d in row.items() if a != b}
    assert {(a, b): d for a, b, d in closure.itertuples(index=False)} == want
    assert closure["distance"].is_monotonic_increasing
    assert g.cycle_nodes(PART_OF) == []


def test_cycle_nodes_and_validate_report_the_cycle():
    g = KnowledgeGraph().add_nodes("pathway", ["A", "B", "C", "D"])
    g.add_edges(PART_OF, ["A", "B", "C", "D"], ["B", "C", "A", "D"])
    assert g.cycle_nodes(PART_OF) == ["A", "B", "C", "D"]
    with pytest.raises(HierarchyCycleError) as info:
        g.validate().raise_if_invalid()
    assert info.value.nodes == ["A", "B", "C", "D"]


def test_source_cycle_errors_carry_the_cycle_nodes(tmp_path):
    rel = tmp_path / "rel.txt"
    rel.write_text("R-HSA-1\tR-HSA-2\nR-HSA-2\tR-HSA-3\nR-HSA-3\tR-HSA-1\nR-HSA-1\tR-HSA-4\n")
    with pytest.raises(HierarchyCycleError) as info:
        reactome.load(relations=rel)
    assert sorted(info.value.nodes) == ["R-HSA-1", "R-HSA-2", "R-HSA-3"]
    assert isinstance(info.value, CycleError)
    obo = tmp_path / "c.obo"
    obo.write_text("[Term]\nid: GO:0000001\nis_a: GO:0000002\n\n[Term]\nid: GO:0000002\nis_a: GO:0000001\n")
    with pytest.raises(HierarchyCycleError) as info:
        go.load(obo=obo)
    assert sorted(info.value.nodes) == ["GO:0000001", "GO:0000002"]
