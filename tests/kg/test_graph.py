import numpy as np
import pandas as pd
import pytest

from kg import KnowledgeGraph
from kg.errors import DanglingEdgeError, HierarchyCycleError, SchemaError

PART_OF = ("pathway", "part_of", "pathway")
MEMBER = ("protein", "member_of", "pathway")


def test_counts_and_tables(toy_graph):
    assert toy_graph.node_types == ["pathway", "protein"]
    assert toy_graph.edge_types == [PART_OF, MEMBER]
    assert toy_graph.num_nodes("pathway") == 5
    assert toy_graph.num_nodes() == 8
    assert toy_graph.num_edges(MEMBER) == 3  # x→C1 given twice collapses
    assert toy_graph.num_nodes("snp") == 0
    edges = toy_graph.edges(MEMBER)
    assert list(edges.columns) == ["source", "target", "evidence", "database"]
    assert edges.set_index(["source", "target"]).loc[("x", "C1"), "evidence"] == "TAS|IEA"
    assert list(toy_graph.nodes("pathway")["id"]) == ["R", "P1", "P2", "C1", "C2"]


def test_edge_index_matches_node_order(toy_graph):
    ei = toy_graph.edge_index(PART_OF)
    ids = toy_graph.node_ids("pathway")
    assert [(ids[s], ids[t]) for s, t in ei.T] == [("P1", "R"), ("P2", "R"), ("C1", "P1"), ("C2", "P1")]


def test_same_id_from_two_sources_is_one_node_with_both_provenances():
    a = KnowledgeGraph().add_nodes("gene", ["TP53", "EGFR"], database="reactome", name=["p53", None])
    b = KnowledgeGraph().add_nodes("gene", ["EGFR", "KRAS"], database="msigdb", name=["egfr", "kras"])
    m = a.merge(b)
    nodes = m.nodes("gene").set_index("id")
    assert list(nodes.index) == ["TP53", "EGFR", "KRAS"]
    assert nodes.loc["EGFR", "database"] == "reactome|msigdb"
    assert nodes.loc["EGFR", "name"] == "egfr"  # filled from the second source, first had none
    assert nodes.loc["TP53", "name"] == "p53"
    assert a.num_nodes("gene") == 2  # merge does not mutate


def test_duplicate_edges_collapse_with_evidence_kept():
    g = KnowledgeGraph().add_nodes("protein", ["a"]).add_nodes("pathway", ["P"])
    g.add_edges(MEMBER, ["a", "a", "a"], ["P", "P", "P"], evidence=["TAS", "IEA", "TAS"], weight=[1.0, 2.0, 3.0])
    e = g.edges(MEMBER)
    assert len(e) == 1
    assert e.loc[0, "evidence"] == "TAS|IEA"
    assert e.loc[0, "weight"] == 1.0  # non-set attributes keep the first value


def test_dangling_edges_are_refused_unless_asked():
    g = KnowledgeGraph().add_nodes("pathway", ["P"])
    with pytest.raises(DanglingEdgeError, match="not 'protein' nodes.*ghost"):
        g.add_edges(MEMBER, ["ghost"], ["P"])
    g.add_edges(MEMBER, ["ghost"], ["P"], add_missing_nodes=True)
    assert g.num_nodes("protein") == 1


@pytest.mark.parametrize("bad", ["Protein", "pro tein", "a__b", "", 3])
def test_bad_node_type(bad):
    with pytest.raises(SchemaError):
        KnowledgeGraph().add_nodes(bad, ["x"])


def test_bad_ids_and_attribute_lengths():
    g = KnowledgeGraph()
    with pytest.raises(SchemaError, match="missing id at position 1"):
        g.add_nodes("gene", ["a", None])
    with pytest.raises(SchemaError, match="empty id"):
        g.add_nodes("gene", ["a", ""])
    with pytest.raises(SchemaError, match="2 values for 3 ids"):
        g.add_nodes("gene", ["a", "b", "c"], name=["x", "y"])
    with pytest.raises(SchemaError, match="single string"):
        g.add_nodes("gene", "abc")
    with pytest.raises(SchemaError, match="triple"):
        g.add_edges(("gene", "x"), [], [])


def test_attribute_dtypes_are_normalised():
    g = KnowledgeGraph().add_nodes("gene", ["a", "b"], count=[1, 2], score=[0.5, np.nan], flag=[True, False],
                                    label=["x", None])
    t = g.nodes("gene")
    assert str(t["count"].dtype) == "Int64"
    assert t["score"].dtype == np.float64
    assert str(t["flag"].dtype) == "boolean"
    assert isinstance(t["label"].dtype, pd.StringDtype) and pd.isna(t.loc[1, "label"])


def test_ancestors_descendants_roots(toy_graph):
    assert toy_graph.ancestors("C1") == {"P1", "R"}
    assert toy_graph.descendants("R") == {"P1", "P2", "C1", "C2"}
    assert toy_graph.descendants("C2") == set()
    assert list(toy_graph.roots()) == ["R"]
    with pytest.raises(SchemaError):
        toy_graph.ancestors("nope")


def test_hierarchy_closure_has_shortest_distances(toy_graph):
    c = toy_graph.hierarchy_closure()
    got = {(d, a): k for d, a, k in c.itertuples(index=False)}
    assert got == {("P1", "R"): 1, ("P2", "R"): 1, ("C1", "P1"): 1, ("C2", "P1"): 1, ("C1", "R"): 2, ("C2", "R"): 2}


def test_member_closure_and_sizes(toy_graph):
    pairs = set(toy_graph.member_closure("protein").itertuples(index=False, name=None))
    assert pairs == {("x", "C1"), ("y", "C2"), ("z", "P2"), ("x", "P1"), ("y", "P1"), ("x", "R"), ("y", "R"),
                     ("z", "R")}
    assert toy_graph.pathway_sizes().to_dict() == {"R": 3, "P1": 2, "P2": 1, "C1": 1, "C2": 1}


def test_prune_lifts_members_to_surviving_ancestors(toy_graph):
    pruned = toy_graph.prune_pathways(min_size=2)
    assert list(pruned.node_ids("pathway")) == ["R", "P1"]
    members = set(pruned.edges(MEMBER)[["source", "target"]].itertuples(index=False, name=None))
    assert members == {("x", "P1"), ("y", "P1"), ("z", "R")}
    assert pruned.edges(MEMBER).set_index("source").loc["x", "evidence"] == "TAS|IEA"
    assert set(pruned.edges(PART_OF)[["source", "target"]].itertuples(index=False, name=None)) == {("P1", "R")}
    lifted = [e for e in pruned.report.entries if e.action == "lifted"]
    assert lifted[0].count == 3
    dropped = [e for e in pruned.report.entries if e.action == "dropped" and e.what == "pathway nodes"]
    assert dropped[0].count == 3
    assert toy_graph.num_nodes("pathway") == 5  # original untouched


def test_prune_max_size_removes_top(toy_graph):
    pruned = toy_graph.prune_pathways(max_size=2)
    assert "R" not in set(pruned.node_ids("pathway"))
    assert set(pruned.edges(MEMBER)["target"]) == {"C1", "C2", "P2"}
    assert pruned.num_edges(PART_OF) == 2  # C1→P1, C2→P1 remain; P1→R, P2→R removed


def test_restrict_to_features_reports_both_directions(toy_graph):
    r = toy_graph.restrict_to_features(["x", "q"], node_type="protein")
    assert list(r.node_ids("protein")) == ["x"]
    assert set(r.node_ids("pathway")) == {"R", "P1", "C1"}
    entries = {e.what: e for e in r.report.entries}
    assert entries["features with no protein node in the graph"].count == 1
    assert entries["features with no protein node in the graph"].examples == ("q",)
    assert entries["protein nodes"].count == 2


def test_subgraph(toy_graph):
    s = toy_graph.subgraph({"pathway": ["R", "P1", "C1"]})
    assert s.num_nodes("protein") == 3
    assert s.num_edges(MEMBER) == 1
    assert s.num_edges(PART_OF) == 2
    only = toy_graph.subgraph(node_types=["pathway"])
    assert only.node_types == ["pathway"] and only.edge_types == [PART_OF]
    no_edges = toy_graph.subgraph(edge_types=[PART_OF])
    assert no_edges.edge_types == [PART_OF]


def test_validate_finds_cycles_dangling_and_duplicates(toy_graph):
    assert toy_graph.validate().ok
    cyclic = toy_graph.copy().add_edges(PART_OF, ["R"], ["C1"])
    report = cyclic.validate()
    assert [i.kind for i in report.issues] == ["cycle"]
    assert set(report.issues[0].examples) == {"R", "P1", "C1"}
    with pytest.raises(HierarchyCycleError):
        report.raise_if_invalid()
    broken = toy_graph.copy()
    broken._edges[MEMBER] = pd.concat([broken._edges[MEMBER], broken._edges[MEMBER].iloc[:1]], ignore_index=True)
    broken._nodes["protein"] = broken._nodes["protein"].iloc[1:].reset_index(drop=True)
    kinds = {i.kind for i in broken.validate().issues}
    assert kinds == {"dangling_edge", "duplicate_edge"}


def test_remove_nodes_drops_incident_edges(toy_graph):
    g = toy_graph.copy().remove_nodes("pathway", ["P1"])
    assert g.num_edges(PART_OF) == 1
    assert set(g.edges(MEMBER)["target"]) == {"C1", "C2", "P2"}
    assert g.validate().ok


def test_summary(toy_graph):
    s = toy_graph.summary()
    assert list(s["count"]) == [5, 3, 4, 3]
    assert s.loc[0, "databases"] == "toy (5)"


def test_rewire_preserves_degrees_and_changes_edges(reactome_graph):
    member = ("protein", "member_of", "pathway")
    g = reactome_graph.subgraph({"pathway": list(reactome_graph.descendants("R-HSA-1430728"))})
    r = g.rewire(member, seed=0)
    before, after = g.edges(member), r.edges(member)
    assert before["source"].value_counts().sort_index().equals(after["source"].value_counts().sort_index())
    assert before["target"].value_counts().sort_index().equals(after["target"].value_counts().sort_index())
    assert not after.duplicated(["source", "target"]).any()
    overlap = len(set(zip(before["source"], before["target"])) & set(zip(after["source"], after["target"])))
    assert overlap < 0.2 * len(before)
    assert r.validate().ok
    again = g.rewire(member, seed=0).edges(member)
    assert again.equals(after)  # same seed, same graph
    assert not g.rewire(member, seed=1).edges(member).equals(after)
    swaps = [e.count for e in r.report.entries if e.source == "rewire"]
    assert swaps == [10 * len(before)]


def test_rewire_same_type_avoids_self_loops(toy_graph):
    r = toy_graph.rewire(PART_OF, seed=3, n_swaps=1)
    e = r.edges(PART_OF)
    assert (e["source"] != e["target"]).all()
    assert sorted(e["source"]) == sorted(toy_graph.edges(PART_OF)["source"])


def test_float_attribute_with_pandas_na_is_kept_as_missing():
    """Hypothesis found it: a float attribute holding pd.NA (object dtype) failed on concatenation."""
    import pandas as pd

    g = KnowledgeGraph().add_nodes("gene", ["a", "b", "c"])
    g.add_edges(("gene", "affects", "gene"), ["a"], ["b"], weight=[0.5])
    g.add_edges(("gene", "affects", "gene"), ["b", "c"], ["c", "a"], weight=pd.Series([0.0, pd.NA], dtype=object))
    weights = g.edges(("gene", "affects", "gene"))["weight"]
    assert weights.dtype == "float64" and weights.isna().tolist() == [False, False, True]
