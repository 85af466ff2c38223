"""KnowledgeGraph <-> corneto.Graph: exact round trips, signs, undirected edges, plain CORNETO graphs, and the
error when CORNETO is not installed (that one runs without CORNETO)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from kg import KnowledgeGraph
from kg.convert.corneto import INSTALL_HINT, CornetoMissingError, from_corneto, to_corneto
from kg.datasets import data_path
from kg.errors import BinnGraphError
from kg.sources import sif

REG = ("protein", "regulates", "protein")


@pytest.fixture(scope="module")
def keggnet() -> KnowledgeGraph:
    return sif.load(data_path("signalling/KEGGnet-LEMBAS.sif"))


def test_missing_corneto_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "corneto", None)  # import corneto now raises ImportError
    g = KnowledgeGraph().add_nodes("protein", ["A", "B"]).add_edges(REG, ["A"], ["B"], sign=[1.0])
    with pytest.raises(CornetoMissingError, match="binn-graph\\[corneto\\]") as info:
        to_corneto(g)
    assert isinstance(info.value, BinnGraphError) and isinstance(info.value, ImportError)
    assert INSTALL_HINT in str(info.value)


def test_keggnet_round_trip_keeps_signs_and_attributes(keggnet):
    pytest.importorskip("corneto")
    c = to_corneto(keggnet)
    assert (c.num_vertices, c.num_edges) == (409, 832)
    signs = np.array([a["interaction"] for a in c.get_attr_edges()])
    assert (signs == 1).sum() == 702 and (signs == -1).sum() == 130
    first = keggnet.edges(REG).iloc[0]
    attr = c.get_attr_edge(0)
    assert c.get_edge(0) == (frozenset({first["source"]}), frozenset({first["target"]}))
    assert attr["kg_interaction"] == first["interaction"] and attr["database"] == "sif"
    assert attr["relation"] == "regulates" and attr["kg_edge"] == 0
    assert from_corneto(c).equals(keggnet)


def test_shared_ids_get_typed_keys_and_undirected_edges_round_trip():
    pytest.importorskip("corneto")
    g = (KnowledgeGraph()
         .add_nodes("protein", ["A", "B", "C"], name=["a", "b", "c"])
         .add_nodes("ligand", ["A"], score=[2.5])
         .add_edges(("ligand", "regulates", "protein"), ["A"], ["B"], sign=[-1.0])
         .add_edges(("protein", "interacts_with", "protein"), ["A"], ["B"])
         .add_edges(("protein", "binds", "protein"), ["B", "A"], ["C", "C"], directed=[False, True]))
    c = to_corneto(g)
    assert c.get_graph_attributes()["kg_vertex_keys"] == "typed"
    assert set(c.V) == {"protein:A", "protein:B", "protein:C", "ligand:A"}
    kinds = [a["__edge_type"] for a in c.get_attr_edges()]
    assert kinds == ["directed", "undirected", "undirected", "directed"]
    assert [a["interaction"] for a in c.get_attr_edges()] == [-1, 0, 0, 0]
    assert from_corneto(c).equals(g)


def test_plain_corneto_graph_reports_conflicts_duplicates_and_boundary_edges():
    pytest.importorskip("corneto")
    from corneto.graph import Graph

    c = Graph.from_tuples([("a", 1, "b"), ("b", -1, "c"), ("a", -1, "b")])
    c.add_edge((), "a")  # a flow boundary edge: no source
    g = from_corneto(c, node_type="gene")
    edges = g.edges(("gene", "regulates", "gene"))
    assert list(zip(edges["source"], edges["target"], edges["sign"])) == [("a", "b", 1.0), ("b", "c", -1.0)]
    entries = {e.what: e.count for e in g.report.entries}
    assert entries["boundary edges (no source or no target)"] == 1
    assert entries["('gene', 'regulates', 'gene') pairs with conflicting signs"] == 1
    assert entries["('gene', 'regulates', 'gene') duplicate (source, target) edges"] == 1


def test_to_corneto_refuses_an_unknown_edge_type(keggnet):
    pytest.importorskip("corneto")
    with pytest.raises(BinnGraphError, match="not in the graph"):
        to_corneto(keggnet, [("protein", "member_of", "pathway")])
