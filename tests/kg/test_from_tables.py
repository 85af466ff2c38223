"""KnowledgeGraph.from_tables, the public constructor, and no private writes outside kg/graph.py."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kg import KnowledgeGraph
from kg.errors import CycleError, DanglingEdgeError, HierarchyCycleError, SchemaError

PART_OF = ("pathway", "part_of", "pathway")
MEMBER = ("protein", "member_of", "pathway")
ROOT = Path(__file__).resolve().parents[2]


def built():
    return (KnowledgeGraph()
            .add_nodes("pathway", ["R", "P"], name=["root", "child"], database="toy")
            .add_nodes("protein", ["x", "y"], score=[1.5, np.nan])
            .add_edges(PART_OF, ["P"], ["R"])
            .add_edges(MEMBER, ["x", "y"], ["P", "R"], evidence=["TAS", None], weight=[1, 2]))


def test_from_tables_rebuilds_an_equal_graph():
    g = built()
    g.report.add("toy", "read", "rows", 4)
    back = KnowledgeGraph.from_tables({t: g.nodes(t) for t in g.node_types},
                                      {et: g.edges(et) for et in g.edge_types}, report=g.report)
    assert back.equals(g)
    assert back.node_types == g.node_types and back.edge_types == g.edge_types
    assert back.report.to_records() == g.report.to_records()
    assert back.report is not g.report


def test_from_tables_orders_keys_first_coerces_and_copies():
    nodes = pd.DataFrame({"count": [1, 2], "id": ["a", "b"], "label": ["u", None]}, index=[10, 20])
    edges = pd.DataFrame({"sign": [1.0], "target": ["b"], "source": ["a"]})
    g = KnowledgeGraph.from_tables({"gene": nodes}, {("gene", "regulates", "gene"): edges})
    table = g.nodes("gene")
    assert list(table.columns) == ["id", "count", "label"]
    assert list(table.index) == [0, 1]
    assert str(table["count"].dtype) == "Int64" and isinstance(table["label"].dtype, pd.StringDtype)
    assert list(g.edges(("gene", "regulates", "gene")).columns) == ["source", "target", "sign"]
    nodes.loc[10, "id"] = "changed"
    assert list(g.node_ids("gene")) == ["a", "b"]


def test_from_tables_validates_unless_told_not_to():
    nodes = {"pathway": pd.DataFrame({"id": ["A", "B"]})}
    cycle = {PART_OF: pd.DataFrame({"source": ["A", "B"], "target": ["B", "A"]})}
    with pytest.raises(HierarchyCycleError) as info:
        KnowledgeGraph.from_tables(nodes, cycle)
    assert isinstance(info.value, CycleError) and info.value.nodes == ["A", "B"]
    dangling = {PART_OF: pd.DataFrame({"source": ["A"], "target": ["Z"]})}
    with pytest.raises(DanglingEdgeError):
        KnowledgeGraph.from_tables(nodes, dangling)
    g = KnowledgeGraph.from_tables(nodes, dangling, validate=False)
    assert [i.kind for i in g.validate().issues] == ["dangling_edge"]
    with pytest.raises(SchemaError):  # rows are not merged: a repeated id is an error
        KnowledgeGraph.from_tables({"pathway": pd.DataFrame({"id": ["A", "A"]})})


@pytest.mark.parametrize("nodes, edges, match", [
    ({"Pathway": pd.DataFrame({"id": ["A"]})}, {}, "lowercase identifier"),
    ({"pathway": pd.DataFrame({"name": ["A"]})}, {}, "columns including"),
    ({"pathway": pd.DataFrame({"id": ["A", None]})}, {}, "missing id"),
    ({"pathway": pd.DataFrame({"id": ["A", ""]})}, {}, "empty id"),
    ({"pathway": [("A",)]}, {}, "DataFrame"),
    ({"pathway": pd.DataFrame({"id": ["A"], 0: [1]})}, {}, "strings"),
    ({"pathway": pd.DataFrame({"id": ["A"]})}, {("pathway", "part_of"): pd.DataFrame()}, "triple"),
    ({"pathway": pd.DataFrame({"id": ["A"]})},
     {PART_OF: pd.DataFrame({"source": ["A"]})}, "columns including"),
])
def test_from_tables_rejects_bad_tables(nodes, edges, match):
    with pytest.raises(SchemaError, match=match):
        KnowledgeGraph.from_tables(nodes, edges)


def test_from_tables_rejects_an_edge_type_given_twice():
    class Pairs(dict):  # a mapping that lists the same edge type as a tuple and as a list
        def items(self):
            return [(PART_OF, table), (list(PART_OF), table)]

    table = pd.DataFrame({"source": ["A"], "target": ["B"]})
    with pytest.raises(SchemaError, match="twice"):
        KnowledgeGraph.from_tables({"pathway": pd.DataFrame({"id": ["A", "B"]})}, Pairs())


def test_no_module_outside_graph_writes_private_fields():
    pattern = re.compile(r"\._(nodes|edges)\b")
    offenders = []
    for package in ("kg", "binn_graph"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "kg" / "graph.py":
                continue
            offenders += [f"{path.relative_to(ROOT)}:{i}" for i, line in enumerate(path.read_text().splitlines(), 1)
                          if pattern.search(line)]
    assert offenders == []
