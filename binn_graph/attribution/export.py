"""Write importances back onto a :class:`~kg.KnowledgeGraph`, so that every kg view (networkx, GraphML for
Cytoscape/Gephi, RDF) carries them."""

from __future__ import annotations

import pandas as pd

from kg import KnowledgeGraph

__all__ = ["write_importances"]


def write_importances(graph: KnowledgeGraph, nodes: pd.DataFrame, edges: pd.DataFrame | None = None, *,
                      prefix: str = "importance", output: str | None = None) -> KnowledgeGraph:
    """Return a copy of ``graph`` with node (and edge) importance attributes.

    Node attributes: ``<prefix>``, ``<prefix>_normalized``, ``<prefix>_rank`` and, when present, ``<prefix>_p`` and
    ``<prefix>_q``. Edge attribute: ``<prefix>``. Copy nodes and the output root are not graph nodes; their count
    is recorded in the report, as are the table's null summary and rank stability (``attrs["null"]``,
    ``attrs["stability"]``) when present. For multi-output tables choose ``output``.
    """
    out = graph.copy()
    if "output" in nodes.columns:
        if output is None:
            raise ValueError(f"the table has several outputs {sorted(nodes['output'].unique())}; choose output=")
        nodes = nodes[nodes["output"] == output]
        if edges is not None and "output" in edges.columns:
            edges = edges[edges["output"] == output]
    columns = {"importance": prefix, "normalized_importance": f"{prefix}_normalized", "rank": f"{prefix}_rank",
               "p_value": f"{prefix}_p", "q_value": f"{prefix}_q"}
    skipped = 0
    for node_type, part in nodes.groupby("node_type", sort=False):
        if node_type not in out.node_types:
            skipped += len(part)
            continue
        known = part["node_id"].isin(out.node_ids(node_type))
        skipped += int((~known).sum())
        part = part[known.to_numpy()].set_index("node_id")
        for col, attr in columns.items():
            if col in part.columns:
                out.set_node_attribute(node_type, attr, part[col].astype("float64"))
    out.report.add("attribution", "note", "explained nodes with no graph node (copies, output root)", skipped)
    null, stability = nodes.attrs.get("null"), nodes.attrs.get("stability")
    if null:
        out.report.add("attribution", "note", f"nodes with q ≤ {null['alpha']:g} against the {null['null']} null "
                       f"({null['n_null']} refits)", null.get("n_significant", 0), reason=null.get("warning") or "")
    if stability:
        out.report.add("attribution", "note", stability["message"], stability["n_runs"])
    if edges is not None:
        series = edges.set_index(["source", "target"])["importance"]
        series = series[~series.index.duplicated()]
        for et in out.edge_types:
            table = out.edges(et)
            key = pd.MultiIndex.from_arrays([table["source"].astype(object), table["target"].astype(object)])
            if key.isin(series.index).any():
                out.set_edge_attribute(et, prefix, series)
    return out
