"""Identifier mapping tables (UniProt ↔ symbol ↔ Ensembl ...), to join sources with different namespaces.

A mapping table is tab-separated with a header (e.g. the UniProt ID-mapping
download ``From<TAB>To``, or BioMart exports). Two uses:

* :func:`load` turns it into edges between two node types, e.g.
  ``(gene, encodes, protein)`` from a symbol → UniProt table, so sources
  that use either namespace connect through the graph;
* :func:`relabel` renames the nodes of one type in a graph into another
  namespace (one-to-many mappings duplicate the node's edges), so that a
  second source merges onto the same ids. Unmapped ids are reported.
"""

from __future__ import annotations

from os import PathLike

import pandas as pd

from .._columns import collapse_duplicates, concat_tables
from ..errors import SchemaError
from ..graph import KnowledgeGraph
from ..readers import read_table
from ..report import BuildReport

__all__ = ["read_mapping", "load", "relabel"]


def read_mapping(path: str | PathLike, from_col: str, to_col: str, *, sep: str = "\t") -> pd.DataFrame:
    """Read the two columns as ``from``, ``to`` (blank cells and exact duplicates removed)."""
    frame = read_table(path, header=True, sep=sep, required=[from_col, to_col], what="identifier mapping table")
    out = frame[[from_col, to_col]].rename(columns={from_col: "from", to_col: "to"})
    out = out[(out["from"] != "") & (out["to"] != "")]
    return out.drop_duplicates().reset_index(drop=True)


def load(
    path: str | PathLike,
    from_col: str,
    to_col: str,
    *,
    from_type: str = "gene",
    to_type: str = "protein",
    relation: str = "encodes",
    sep: str = "\t",
    database: str = "idmap",
) -> KnowledgeGraph:
    """Load a mapping table as ``(from_type, relation, to_type)`` edges."""
    mapping = read_mapping(path, from_col, to_col, sep=sep)
    g = KnowledgeGraph()
    g.add_nodes(from_type, pd.unique(mapping["from"]), database=database)
    g.add_nodes(to_type, pd.unique(mapping["to"]), database=database)
    g.add_edges((from_type, relation, to_type), mapping["from"], mapping["to"], database=database)
    g.report.add(database, "read", "mapping pairs", len(mapping), path=path)
    return g


def relabel(
    graph: KnowledgeGraph,
    node_type: str,
    mapping: pd.DataFrame,
    *,
    keep_unmapped: bool = False,
    new_type: str | None = None,
) -> KnowledgeGraph:
    """Return a copy of ``graph`` whose ``node_type`` ids are mapped through ``mapping`` (``from``, ``to``).

    The old id is kept in the ``source_id`` attribute (``|``-joined when
    several old ids map to one new id). Unmapped nodes are dropped (or kept
    with ``keep_unmapped=True``), and every drop is counted in the report.
    ``new_type`` optionally changes the node type (e.g. gene → protein).
    """
    if not {"from", "to"} <= set(mapping.columns):
        raise SchemaError(f"mapping needs columns 'from' and 'to', has {list(mapping.columns)}")
    target_type = new_type or node_type
    report = BuildReport(list(graph.report.entries))
    mapping = mapping[["from", "to"]].astype(str).drop_duplicates()
    nodes = graph.nodes(node_type)
    mapped = nodes.merge(mapping, left_on="id", right_on="from", how="left")
    unmapped = mapped["to"].isna().to_numpy()
    report.add("idmap", "dropped" if not keep_unmapped else "kept", f"{node_type} ids with no mapping",
               int(unmapped.sum()), examples=mapped["id"][unmapped].head())
    if keep_unmapped:
        mapped.loc[unmapped, "to"] = mapped.loc[unmapped, "id"]
    else:
        mapped = mapped[~unmapped]
    n_multi = int((mapped.groupby("id")["to"].nunique() > 1).sum())
    report.add("idmap", "note", f"{node_type} ids mapped to several ids (edges duplicated)", n_multi)
    translation = mapped[["id", "to"]]
    new_nodes = mapped.drop(columns=["from"]).assign(source_id=mapped["id"]).drop(columns="id")
    new_nodes = new_nodes.rename(columns={"to": "id"})
    new_nodes["source_id"] = new_nodes.groupby("id")["source_id"].transform(lambda s: "|".join(dict.fromkeys(s)))
    node_tables = {t: graph.nodes(t) for t in graph.node_types if t != node_type}
    relabelled = new_nodes[["id"] + [c for c in new_nodes.columns if c != "id"]]
    table = concat_tables([node_tables.get(target_type), relabelled])
    node_tables[target_type], _ = collapse_duplicates(table.reset_index(drop=True), ["id"])
    edge_tables: dict[tuple, pd.DataFrame] = {}
    for et in graph.edge_types:
        edges = graph.edges(et)
        new_et = list(et)
        for col, pos in (("source", 0), ("target", 2)):
            if et[pos] == node_type:
                edges = edges.merge(translation, left_on=col, right_on="id")
                edges = edges.drop(columns=[col, "id"]).rename(columns={"to": col})
                new_et[pos] = target_type
        new_et = tuple(new_et)
        edges = edges[["source", "target"] + [c for c in edges.columns if c not in ("source", "target")]]
        table = concat_tables([edge_tables.get(new_et), edges.reset_index(drop=True)])
        edge_tables[new_et], _ = collapse_duplicates(table, ["source", "target"])
        if node_type in (et[0], et[2]):
            report.add("idmap", "note", f"{et} edges after relabelling (was {graph.num_edges(et):,})",
                       len(edge_tables[new_et]))
    return KnowledgeGraph.from_tables(node_tables, edge_tables, report=report, validate=False)
