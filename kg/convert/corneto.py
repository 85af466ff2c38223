"""CORNETO view of a KnowledgeGraph: ``to_corneto`` and ``from_corneto``.

CORNETO (Rodriguez-Mier et al., Nat Mach Intell 2025; ``pip install "binn-graph[corneto]"``) is an optional,
GPL-3.0 dependency: it is imported only inside these functions, and none of its code is copied here.

Mapping
-------
* **Vertices.** One CORNETO vertex per node. Its key is the node id when no id is shared between the node types
  that are converted, otherwise ``"<node_type>:<id>"`` for every node (``vertex_key`` in
  ``graph.get_graph_attributes()["kg_vertex_keys"]`` says which). Vertex attributes: ``node_type``, ``id`` and
  the node's non-missing attributes.
* **Edges.** One directed CORNETO edge per KnowledgeGraph edge, in edge-type order then table order. Edge
  attributes: ``relation``, ``kg_edge_type`` (``"src__relation__dst"``), ``kg_edge`` (the edge's position in its
  edge table), CORNETO's sign ``interaction`` (from the ``sign`` attribute: +1, -1, or 0 when unknown or missing)
  and the edge's other non-missing attributes. A KnowledgeGraph attribute that is itself called ``interaction``
  (the SIF reader keeps the original interaction text there) travels as ``kg_interaction``.
* **Undirected edges.** An edge whose boolean ``directed`` attribute is False, or whose relation is in
  ``undirected_relations`` (default ``interacts_with``), becomes an undirected CORNETO edge;
  :func:`from_corneto` writes ``directed=False`` for undirected edges (not for those of a relation that
  :func:`to_corneto` made undirected by ``undirected_relations``).
* **Round trip.** Column dtypes, edge types and the build report are stored as JSON in the graph attributes, so
  ``from_corneto(to_corneto(g))`` equals ``g`` (tested), with ``directed`` added only where it was given.

``from_corneto`` also reads plain CORNETO graphs (``Graph.from_sif``, a method's selected sub-network): vertices
without ``node_type`` get ``node_type``, edges without ``relation`` get ``relation``, ``interaction`` becomes
``sign``. Edges with no source or no target (the flow boundary edges CORNETO adds) and hyperedges are dropped and
reported; duplicate (source, target) pairs collapse into one edge and are reported, with conflicting signs named.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Iterable

import numpy as np
import pandas as pd

from .._columns import collapse_duplicates, dtype_name
from ..errors import KGError, SchemaError
from ..graph import KnowledgeGraph
from ..report import BuildReport
from ..schema import check_edge_type, check_node_type, edge_type_key, parse_edge_type_key
from .networkx import _frame, _plain

if TYPE_CHECKING:  # pragma: no cover
    import corneto

__all__ = ["to_corneto", "from_corneto", "require_corneto", "CornetoMissingError", "vertex_keys"]

INSTALL_HINT = 'pip install "binn-graph[corneto]"'
_RESERVED_EDGE = ("relation", "kg_edge_type", "kg_edge", "interaction")


class CornetoMissingError(KGError, ImportError):
    """CORNETO (the optional ``corneto`` extra) is not installed; the message says how to install it."""


def require_corneto():
    """Import and return the ``corneto`` module, or raise :class:`CornetoMissingError` with the install command."""
    try:
        import corneto
        from corneto.graph import Graph  # noqa: F401  (the part binn-graph uses)
    except ImportError as exc:  # pragma: no cover - exercised with the import blocked in tests
        raise CornetoMissingError(
            f"CORNETO is not installed (needed for context-specific networks and the corneto conversion); "
            f"install it with: {INSTALL_HINT}  ({exc})") from exc
    return corneto


def vertex_keys(graph: KnowledgeGraph, node_types: Iterable[str] | None = None) -> tuple[pd.Series, str]:
    """CORNETO vertex key of every node, indexed by ``(node_type, id)``, and the scheme (``"id"`` or ``"typed"``).

    Plain ids are used unless an id occurs in more than one of ``node_types`` (default: all).
    """
    types = graph.node_types if node_types is None else [t for t in node_types if t in graph.node_types]
    pairs = [(t, str(i)) for t in types for i in graph.node_ids(t)]
    ids = pd.Series([i for _, i in pairs], dtype=object)
    scheme = "typed" if ids.duplicated().any() else "id"
    keys = [i if scheme == "id" else f"{t}:{i}" for t, i in pairs]
    index = pd.MultiIndex.from_tuples(pairs, names=["node_type", "id"]) if pairs else pd.MultiIndex.from_tuples(
        [], names=["node_type", "id"])
    return pd.Series(keys, index=index, dtype=object), scheme


def _records(table: pd.DataFrame, skip: tuple[str, ...]) -> list[dict]:
    cols = [c for c in table.columns if c not in skip]
    data = {c: table[c].astype(object).where(table[c].notna(), None).tolist() for c in cols}
    return [{c: _plain(data[c][i]) for c in cols if data[c][i] is not None} for i in range(len(table))]


def _sign(value) -> int:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return 0
    return int(np.sign(float(value)))


def to_corneto(
    graph: KnowledgeGraph,
    edge_types: Iterable | None = None,
    *,
    undirected_relations: Iterable[str] = ("interacts_with",),
) -> "corneto.Graph":
    """Return a ``corneto.Graph`` holding ``graph``'s nodes and edges (see the module docstring).

    Parameters
    ----------
    graph:
        The knowledge graph.
    edge_types:
        Edge types to convert (default: all); the node types they touch are converted, with all their nodes.
    undirected_relations:
        Relations whose edges become undirected (as do edges with ``directed=False``).

    Raises
    ------
    CornetoMissingError
        When CORNETO is not installed.
    """
    require_corneto()
    from corneto.graph import EdgeType, Graph

    if edge_types is None:
        ets = graph.edge_types
        types = graph.node_types
    else:
        ets = [check_edge_type(tuple(et)) for et in edge_types]
        missing = [et for et in ets if not graph.has_edge_type(et)]
        if missing:
            raise SchemaError(f"edge type(s) {missing} are not in the graph; it has {graph.edge_types}")
        types = list(dict.fromkeys(t for et in ets for t in (et[0], et[2])))
    keys, scheme = vertex_keys(graph, types)
    undirected = set(undirected_relations)
    out = Graph()
    dtypes = {"nodes": {}, "edges": {}}
    for t in types:
        table = graph.nodes(t)
        dtypes["nodes"][t] = {c: dtype_name(table[c].dtype) for c in table.columns}
        for node_id, attrs in zip(table["id"], _records(table, ("id",))):
            out.add_vertex(keys[(t, str(node_id))], node_type=t, id=str(node_id), **attrs)
    for et in ets:
        table = graph.edges(et)
        dtypes["edges"][edge_type_key(et)] = {c: dtype_name(table[c].dtype) for c in table.columns}
        src = keys.loc[[(et[0], s) for s in table["source"].astype(str)]].to_numpy() if len(table) else []
        dst = keys.loc[[(et[2], d) for d in table["target"].astype(str)]].to_numpy() if len(table) else []
        records = _records(table, ("source", "target"))
        for position, (s, d, attrs) in enumerate(zip(src, dst, records)):
            attrs = {("kg_interaction" if k == "interaction" else k): v for k, v in attrs.items()}
            direct = attrs.get("directed", True) is not False and et[1] not in undirected
            out.add_edge(s, d, type=EdgeType.DIRECTED if direct else EdgeType.UNDIRECTED,
                         relation=et[1], kg_edge_type=edge_type_key(et), kg_edge=position,
                         interaction=_sign(attrs.get("sign")), **attrs)
    meta = out.get_graph_attributes()
    meta["kg_dtypes"] = json.dumps(dtypes)
    meta["kg_edge_types"] = json.dumps([list(et) for et in ets])
    meta["kg_report"] = json.dumps(graph.report.to_records())
    meta["kg_vertex_keys"] = scheme
    meta["kg_undirected_relations"] = json.dumps(sorted(undirected))
    return out


def from_corneto(
    cgraph: "corneto.Graph",
    *,
    node_type: str = "protein",
    relation: str = "regulates",
    report_source: str = "corneto",
) -> KnowledgeGraph:
    """Build a KnowledgeGraph from a ``corneto.Graph`` (see the module docstring for the mapping).

    Parameters
    ----------
    cgraph:
        A CORNETO graph: one made by :func:`to_corneto` (restored exactly) or any other.
    node_type:
        Node type of vertices that carry no ``node_type`` attribute.
    relation:
        Relation of edges that carry no ``relation`` attribute (their sign comes from ``interaction``).
    report_source:
        Name under which dropped and collapsed edges are recorded in the build report.
    """
    require_corneto()
    check_node_type(node_type)
    meta_attrs = cgraph.get_graph_attributes()
    meta = json.loads(meta_attrs.get("kg_dtypes", '{"nodes": {}, "edges": {}}'))
    report = BuildReport.from_records(json.loads(meta_attrs.get("kg_report", "[]")))
    by_type: dict[str, list[dict]] = {}
    key_to_node: dict = {}
    for v in cgraph.V:
        data = dict(cgraph.get_attr_vertex(v) or {})
        t = check_node_type(data.pop("node_type", node_type))
        node_id = str(data.pop("id", v))
        row = {k: v2 for k, v2 in data.items() if not str(k).startswith("__")}
        row["id"] = node_id
        by_type.setdefault(t, []).append(row)
        key_to_node[v] = (t, node_id)
    for t in meta["nodes"]:
        by_type.setdefault(t, [])
    edges: dict[tuple, list[dict]] = {}
    boundary, hyper = 0, 0
    implied = set(json.loads(meta_attrs.get("kg_undirected_relations", "[]")))
    for (s, d), attr in zip(cgraph.E, cgraph.get_attr_edges()):
        if len(s) == 0 or len(d) == 0:
            boundary += 1
            continue
        if len(s) > 1 or len(d) > 1:
            hyper += 1
            continue
        (st, sid), (dt, did) = key_to_node[next(iter(s))], key_to_node[next(iter(d))]
        data = {k: v for k, v in dict(attr).items() if not str(k).startswith("__")}
        if "kg_edge_type" in data:
            et = parse_edge_type_key(data["kg_edge_type"])
        else:
            et = check_edge_type((st, data.get("relation", relation), dt))
        row = {k: v for k, v in data.items() if k not in _RESERVED_EDGE and k != "kg_interaction"}
        if "kg_interaction" in data:
            row["interaction"] = data["kg_interaction"]
        if "sign" not in row and "interaction" in data and "kg_edge_type" not in data:
            row["sign"] = float(_sign(data["interaction"])) if data["interaction"] is not None else np.nan
        if attr.get("__edge_type") == "undirected" and "directed" not in row and et[1] not in implied:
            row["directed"] = False
        row["source"], row["target"] = sid, did
        row["_order"] = data.get("kg_edge", len(edges.get(et, [])))
        edges.setdefault(et, []).append(row)
    for et in json.loads(meta_attrs.get("kg_edge_types", "[]")):
        edges.setdefault(tuple(et), [])
    report.add(report_source, "dropped", "boundary edges (no source or no target)", boundary,
               "CORNETO's flow edges are not graph edges")
    if hyper:
        report.add(report_source, "dropped", "hyperedges", hyper, "a KnowledgeGraph edge has one source and target")
    nodes = {t: _frame(rows, ["id"], meta["nodes"].get(t, {})) for t, rows in by_type.items()}
    tables = {}
    for et, rows in edges.items():
        rows = sorted(rows, key=lambda r: r["_order"])
        for r in rows:
            del r["_order"]
        table = _frame(rows, ["source", "target"], meta["edges"].get(edge_type_key(et), {}))
        if "sign" in table.columns:
            signs = table.groupby(["source", "target"])["sign"].nunique()
            conflict = signs[signs > 1]
            if len(conflict):
                report.add(report_source, "collapsed", f"{et} pairs with conflicting signs", len(conflict),
                           "the first sign is kept", examples=[f"{s}->{d}" for s, d in conflict.index[:5]])
        tables[et], n_dup = collapse_duplicates(table, ["source", "target"])
        if n_dup:
            report.add(report_source, "collapsed", f"{et} duplicate (source, target) edges", n_dup)
    return KnowledgeGraph.from_tables(nodes, tables, report=report)
