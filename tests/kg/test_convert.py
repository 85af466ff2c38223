"""Round trips (directory, networkx, Turtle, GraphML) and the HeteroData view.

Lossless round trips are checked on the real Reactome graph and, property-based, on random graphs (hypothesis).
"""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg import KnowledgeGraph
from kg.convert.graphml import read_graphml, write_graphml
from kg.convert.heterodata import node_index
from kg.convert.rdf import BASE, node_iri, write_turtle

# ---------------------------------------------------------------- random graphs
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\n"), min_size=1, max_size=12)
IDS = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=10)
FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def column(draw, n):
    kind = draw(st.sampled_from(["str", "float64", "Int64", "boolean"]))
    base = {"str": TEXT, "float64": FINITE, "Int64": st.integers(-2**53, 2**53), "boolean": st.booleans()}[kind]
    values = draw(st.lists(st.one_of(st.none(), base), min_size=n, max_size=n))
    if kind == "float64":
        return np.array([np.nan if v is None else v for v in values], dtype="float64")
    return pd.array(values, dtype={"str": pd.StringDtype(na_value=np.nan), "Int64": "Int64",
                                    "boolean": "boolean"}[kind])


@st.composite
def graphs(draw):
    g = KnowledgeGraph()
    types = draw(st.lists(st.sampled_from(["gene", "protein", "pathway", "snp"]), min_size=1, max_size=3,
                          unique=True))
    for t in types:
        ids = draw(st.lists(IDS, min_size=1, max_size=6, unique=True))
        attrs = {name: draw(column(len(ids))) for name in draw(st.lists(
            st.sampled_from(["name", "score", "count", "flag", "database"]), max_size=3, unique=True))}
        g.add_nodes(t, ids, **attrs)
    for _ in range(draw(st.integers(0, 3))):
        src, dst = draw(st.sampled_from(types)), draw(st.sampled_from(types))
        rel = draw(st.sampled_from(["member_of", "affects", "regulates"]))
        n = draw(st.integers(0, 6))
        s = draw(st.lists(st.sampled_from(list(g.node_ids(src))), min_size=n, max_size=n))
        d = draw(st.lists(st.sampled_from(list(g.node_ids(dst))), min_size=n, max_size=n))
        attrs = {name: draw(column(n)) for name in draw(st.lists(
            st.sampled_from(["weight", "evidence", "sign", "database"]), max_size=2, unique=True))}
        g.add_edges((src, rel, dst), s, d, **attrs)
    return g


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(graphs())
def test_directory_round_trip_is_lossless(tmp_path, g):
    g.save(tmp_path / "g")
    assert KnowledgeGraph.load(tmp_path / "g").equals(g)


@PROPERTY
@given(graphs())
def test_networkx_round_trip_is_lossless(g):
    assert KnowledgeGraph.from_networkx(g.to_networkx()).equals(g)


@PROPERTY
@given(graphs())
def test_turtle_round_trip_is_lossless(tmp_path, g):
    write_turtle(g, tmp_path / "g.ttl")
    assert KnowledgeGraph.from_rdf(tmp_path / "g.ttl").equals(g)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs())
def test_pretty_turtle_and_rdflib_graph_round_trip(tmp_path, g):
    write_turtle(g, tmp_path / "p.ttl", pretty=True)
    assert KnowledgeGraph.from_rdf(tmp_path / "p.ttl").equals(g)
    assert KnowledgeGraph.from_rdf(g.to_rdf()).equals(g)


# ---------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def reactome_small(reactome_graph):
    """Metabolism of carbohydrates subtree of the real graph (kept small for the slower views)."""
    keep = reactome_graph.descendants("R-HSA-71387") | {"R-HSA-71387"}
    return reactome_graph.subgraph({"pathway": keep}).restrict_to_features(
        reactome_graph.edges(("protein", "member_of", "pathway")).query("target in @keep")["source"])


def test_directory_round_trip_real(tmp_path, reactome_graph):
    reactome_graph.save(tmp_path / "r")
    back = KnowledgeGraph.load(tmp_path / "r")
    assert back.equals(reactome_graph)
    assert list(back.node_ids("protein")) == list(reactome_graph.node_ids("protein"))  # index order kept
    assert len(back.report) == len(reactome_graph.report)


def test_turtle_round_trip_real(tmp_path, reactome_small):
    write_turtle(reactome_small, tmp_path / "r.ttl")
    assert KnowledgeGraph.from_rdf(tmp_path / "r.ttl").equals(reactome_small)


def test_rdf_namespace_is_queryable(reactome_small):
    rdf = reactome_small.to_rdf()
    q = f"""SELECT ?name WHERE {{ <{node_iri('pathway', 'R-HSA-70171')}> <{BASE}attr/name> ?name }}"""
    assert [str(r[0]) for r in rdf.query(q)] == ["Glycolysis"]
    q = f"""SELECT (COUNT(*) AS ?n) WHERE {{ ?p <{BASE}relation/member_of> ?w }}"""
    assert int(list(rdf.query(q))[0][0]) == reactome_small.num_edges(("protein", "member_of", "pathway"))


def test_graphml_round_trip_real(tmp_path, reactome_small):
    write_graphml(reactome_small, tmp_path / "r.graphml")
    assert read_graphml(tmp_path / "r.graphml").equals(reactome_small)


def test_networkx_view(toy_graph):
    nxg = toy_graph.to_networkx()
    assert nxg.number_of_nodes() == 8 and nxg.number_of_edges() == 7
    assert nxg.nodes["pathway:C1"]["name"] == "c1"
    assert nxg.edges["protein:x", "pathway:C1", "member_of"]["evidence"] == "TAS|IEA"


def test_heterodata_keeps_id_index_mapping(reactome_graph):
    data = reactome_graph.to_heterodata()
    assert data["protein"].num_nodes == 11876
    ei = data["protein", "member_of", "pathway"].edge_index
    assert ei.shape == (2, 46939) and ei.dtype == torch.long
    proteins, pathways = node_index(data, "protein"), node_index(data, "pathway")
    edges = reactome_graph.edges(("protein", "member_of", "pathway"))
    k = 1234
    assert proteins[int(ei[0, k])] == edges["source"].iloc[k]
    assert pathways[int(ei[1, k])] == edges["target"].iloc[k]


def test_heterodata_numeric_edge_attributes():
    g = KnowledgeGraph().add_nodes("protein", ["a", "b"])
    g.add_edges(("protein", "regulates", "protein"), ["a", "b"], ["b", "a"], sign=[1, -1], weight=[0.5, np.nan],
                evidence=["x", "y"])
    d = g.to_heterodata()
    store = d["protein", "regulates", "protein"]
    assert store.sign.tolist() == [1.0, -1.0]
    assert store.weight[0].item() == 0.5 and torch.isnan(store.weight[1])
    assert "evidence" not in store


def test_load_rejects_non_graph_directory(tmp_path):
    from kg.errors import InputFormatError

    with pytest.raises(InputFormatError, match="no manifest.json"):
        KnowledgeGraph.load(tmp_path)


def test_equals_detects_differences(toy_graph):
    other = toy_graph.copy()
    assert other.equals(toy_graph)
    other._nodes["pathway"].loc[0, "name"] = "changed"
    assert not other.equals(toy_graph)
    fewer = toy_graph.copy().remove_nodes("protein", ["z"])
    assert not fewer.equals(toy_graph)
