"""networkx view of a KnowledgeGraph.

``to_networkx`` returns a :class:`networkx.MultiDiGraph`. Node keys are
``"<node_type>:<id>"`` strings with node attributes ``node_type``, ``id`` and the
node's non-missing attributes. Edges are keyed by relation and carry
``relation`` plus their non-missing attributes. ``graph.graph["kg_dtypes"]``
records column dtypes and ``graph.graph["kg_edge_types"]`` the edge types, so
``from_networkx`` restores the graph exactly, including empty types.
"""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd

from .._columns import DTYPE_NAMES, coerce, collapse_duplicates, dtype_name
from ..errors import SchemaError
from ..graph import KnowledgeGraph
from ..report import BuildReport
from ..schema import check_edge_type, edge_type_key

__all__ = ["to_networkx", "from_networkx", "node_key"]


def node_key(node_type: str, node_id: str) -> str:
    """The networkx node key of a KnowledgeGraph node."""
    return f"{node_type}:{node_id}"


def _records(table: pd.DataFrame, skip: tuple[str, ...]) -> list[dict]:
    cols = [c for c in table.columns if c not in skip]
    data = {c: table[c].astype(object).where(table[c].notna(), None).tolist() for c in cols}
    out = []
    for i in range(len(table)):
        out.append({c: _plain(data[c][i]) for c in cols if data[c][i] is not None})
    return out


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def to_networkx(graph: KnowledgeGraph) -> nx.MultiDiGraph:
    """Return a MultiDiGraph view (see the module docstring for the key scheme)."""
    out = nx.MultiDiGraph()
    dtypes = {"nodes": {}, "edges": {}}
    for t in graph.node_types:
        table = graph.nodes(t)
        dtypes["nodes"][t] = {c: dtype_name(table[c].dtype) for c in table.columns}
        keys = [node_key(t, i) for i in table["id"]]
        attrs = _records(table, ("id",))
        out.add_nodes_from((k, {"node_type": t, "id": i, **a}) for k, i, a in zip(keys, table["id"], attrs))
    for et in graph.edge_types:
        table = graph.edges(et)
        dtypes["edges"][edge_type_key(et)] = {c: dtype_name(table[c].dtype) for c in table.columns}
        attrs = _records(table, ("source", "target"))
        src = [node_key(et[0], s) for s in table["source"]]
        dst = [node_key(et[2], d) for d in table["target"]]
        out.add_edges_from(
            (s, d, et[1], {"relation": et[1], **a}) for s, d, a in zip(src, dst, attrs)
        )
    out.graph["kg_dtypes"] = json.dumps(dtypes)
    out.graph["kg_edge_types"] = json.dumps([list(et) for et in graph.edge_types])
    out.graph["kg_report"] = json.dumps(graph.report.to_records())
    return out


def from_networkx(graph: nx.Graph) -> KnowledgeGraph:
    """Build a KnowledgeGraph from a networkx graph.

    Nodes need a ``node_type`` attribute (an ``id`` attribute is optional; the
    key, minus a ``"<type>:"`` prefix, is used otherwise). Edges need a
    ``relation`` attribute or, in a multigraph, a string key.
    """
    meta = json.loads(graph.graph.get("kg_dtypes", '{"nodes": {}, "edges": {}}'))
    by_type: dict[str, list[dict]] = {}
    key_to_node: dict = {}
    for key, data in graph.nodes(data=True):
        t = data.get("node_type")
        if t is None:
            raise SchemaError(f"networkx node {key!r} has no 'node_type' attribute")
        node_id = data.get("id")
        if node_id is None:
            node_id = str(key).removeprefix(f"{t}:")
        row = {k: v for k, v in data.items() if k not in {"node_type", "id"}}
        row["id"] = str(node_id)
        by_type.setdefault(t, []).append(row)
        key_to_node[key] = (t, str(node_id))
    for t in meta["nodes"]:
        by_type.setdefault(t, [])
    nodes = {t: _frame(rows, ["id"], meta["nodes"].get(t, {})) for t, rows in by_type.items()}
    edges: dict[tuple, list[dict]] = {}
    multi = graph.is_multigraph()
    iterator = graph.edges(keys=True, data=True) if multi else ((u, v, None, d) for u, v, d in graph.edges(data=True))
    for u, v, k, data in iterator:
        rel = data.get("relation", k if isinstance(k, str) else None)
        if rel is None:
            raise SchemaError(f"networkx edge {u!r} -> {v!r} has no 'relation' attribute")
        (st, sid), (dt, did) = key_to_node[u], key_to_node[v]
        et = check_edge_type((st, rel, dt))
        row = {k2: v2 for k2, v2 in data.items() if k2 != "relation"}
        row["source"], row["target"] = sid, did
        edges.setdefault(et, []).append(row)
    for et in json.loads(graph.graph.get("kg_edge_types", "[]")):
        edges.setdefault(tuple(et), [])
    tables = {}
    for et, rows in edges.items():
        table = _frame(rows, ["source", "target"], meta["edges"].get(edge_type_key(et), {}))
        tables[et], _ = collapse_duplicates(table, ["source", "target"])
    report = BuildReport.from_records(json.loads(graph.graph.get("kg_report", "[]")))
    return KnowledgeGraph.from_tables(nodes, tables, report=report)


def _frame(rows: list[dict], keys: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    columns = list(dtypes) or list(keys)
    for row in rows:
        for c in row:
            if c not in columns:
                columns.append(c)
    table = pd.DataFrame({c: [row.get(c) for row in rows] for c in columns}, columns=columns)
    for c in columns:
        if c in dtypes:
            dt = DTYPE_NAMES[dtypes[c]]
            table[c] = pd.Series(pd.array(table[c].astype(object).where(table[c].notna(), None).tolist(),
                                          dtype=dt)) if dtypes[c] != "float64" else table[c].astype("float64")
        else:
            table[c] = coerce(table[c], c)
    return table
