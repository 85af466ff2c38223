"""Signed prior-knowledge networks in the LEMBAS table format (Nilsson et al., Nat Commun 2022).

The table is tab-separated with a header and at least the columns ``source``, ``target``, ``stimulation`` and
``inhibition`` (LEMBAS's ``*-Model.tsv`` files also hold ``direction``, ``sources`` and ``references``). Each row is
one ``(type, regulates, type)`` edge whose ``sign`` is

* ``+1`` for (stimulation, inhibition) = (1, 0),
* ``-1`` for (0, 1),
* ``0`` (sign unknown) for (0, 0), and for (1, 1), which is reported as contradictory.

A ``(source, target)`` pair listed more than once collapses into one edge: a known sign wins over an unknown one,
and a pair listed both +1 and -1 gets sign 0. Every such pair is written to the build report (``collapsed`` and, for
clashing signs, ``conflicting sign`` entries with examples). Rows with ``direction`` 0 (undirected) are dropped and
reported.

Node types come from the ids: UniProt accessions are ``protein``, ChEBI ids (``CHEBI:15551`` or LEMBAS's
``CHEBI15551``) are ``metabolite``, anything else gets ``other_type``. An optional annotation table (``code name TF
ligand``, LEMBAS's ``*-Annotation.tsv``) adds each node's ``name`` and the boolean attributes ``tf`` and ``ligand``.

>>> from kg.sources import lembas  # doctest: +SKIP
>>> g = lembas.load("ligandScreen-Model.tsv", annotation="ligandScreen-Annotation.tsv")  # doctest: +SKIP
"""

from __future__ import annotations

import re
from os import PathLike

import numpy as np
import pandas as pd

from ..errors import InputFormatError, SchemaError
from ..graph import KnowledgeGraph
from ..readers import line_of, read_table

__all__ = ["load", "node_type_of", "UNIPROT", "CHEBI"]

#: UniProt accession (with an optional isoform suffix), as documented by UniProt.
UNIPROT = re.compile(r"^([OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9]([A-Z][A-Z0-9]{2}[0-9]){1,2})(-\d+)?$")
#: ChEBI id, with or without the colon.
CHEBI = re.compile(r"^CHEBI:?\d+$", re.IGNORECASE)

_REQUIRED = ("source", "target", "stimulation", "inhibition")


def node_type_of(node_id: str, other_type: str = "entity") -> str:
    """The node type of an id: ``protein`` (UniProt), ``metabolite`` (ChEBI) or ``other_type``."""
    if UNIPROT.match(node_id):
        return "protein"
    if CHEBI.match(node_id):
        return "metabolite"
    return other_type


def _flags(frame: pd.DataFrame, column: str, path) -> np.ndarray:
    values = frame[column].str.strip()
    bad = ~values.isin(["0", "1", "0.0", "1.0"])
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputFormatError(f"column {column!r} holds {values.iloc[row]!r}; LEMBAS tables use 0 or 1 there "
                               f"({int(bad.sum())} such row(s))", path=path, line=line_of(frame, row))
    return values.astype(float).astype(int).to_numpy()


def _bool_column(values: pd.Series, column: str, path) -> np.ndarray:
    text = values.str.strip().str.lower()
    bad = ~text.isin(["true", "false", "1", "0"])
    if bad.any():
        raise InputFormatError(f"annotation column {column!r} holds {values[bad].iloc[0]!r}; use True/False",
                               path=path)
    return text.isin(["true", "1"]).to_numpy()


def load(path: str | PathLike, *, annotation: str | PathLike | None = None, other_type: str = "entity",
         database: str = "lembas") -> KnowledgeGraph:
    """Load a LEMBAS signed network table as ``(type, regulates, type)`` edges with a ``sign`` in {+1, -1, 0}.

    Parameters
    ----------
    path:
        The network table (tab-separated, header with ``source target stimulation inhibition``; ``direction``,
        ``sources`` and ``references`` are used when present).
    annotation:
        Optional node table ``code name TF ligand``: names and the ``tf`` / ``ligand`` flags of the nodes. Rows for
        ids that are not in the network are reported and not added.
    other_type:
        Node type of ids that are neither UniProt nor ChEBI.
    database:
        Provenance written on every node and edge.
    """
    frame = read_table(path, header=True, required=_REQUIRED, what="LEMBAS network table")
    for column in ("source", "target"):
        blank = (frame[column].str.strip() == "").to_numpy()
        if blank.any():
            row = int(blank.nonzero()[0][0])
            raise InputFormatError(f"column {column!r} is empty; every edge needs a source and a target",
                                   path=path, line=line_of(frame, row))
    stim = _flags(frame, "stimulation", path)
    inhib = _flags(frame, "inhibition", path)
    graph = KnowledgeGraph()
    report = graph.report
    report.add(database, "read", "network rows", len(frame), path=path)
    keep = np.ones(len(frame), dtype=bool)
    if "direction" in frame.columns:
        direction = _flags(frame, "direction", path)
        keep = direction == 1
        report.add(database, "dropped", "undirected rows (direction 0)", int((~keep).sum()),
                   "the signalling model needs a direction; write the pair twice to keep both", path=path,
                   examples=(frame["source"][~keep] + "-" + frame["target"][~keep]).tolist())
    sign = np.where((stim == 1) & (inhib == 0), 1.0, np.where((stim == 0) & (inhib == 1), -1.0, 0.0))
    both = (stim == 1) & (inhib == 1) & keep
    report.add(database, "note", "rows both stimulating and inhibiting (sign set to 0 = unknown)", int(both.sum()),
               path=path, examples=(frame["source"][both] + "->" + frame["target"][both]).tolist())
    table = pd.DataFrame({"source": frame["source"].str.strip(), "target": frame["target"].str.strip(),
                          "sign": sign})[keep]
    if "sources" in frame.columns:
        table["resources"] = frame["sources"][keep].str.strip().replace("", np.nan)
    self_loops = table["source"] == table["target"]
    report.add(database, "note", "self-loops kept", int(self_loops.sum()), path=path,
               examples=table["source"][self_loops].tolist())
    # collapse repeated pairs: a known sign beats an unknown one; +1 with -1 gives 0
    pair = table["source"] + "\t" + table["target"]
    repeated = pair.duplicated(keep=False)
    if repeated.any():
        groups = table[repeated].groupby(pair[repeated], sort=False)["sign"]
        known = groups.agg(lambda s: sorted(set(s) - {0.0}))
        clash = known[known.map(len) > 1].index
        mixed = groups.agg(lambda s: len(set(s)) > 1)
        merged = known.map(lambda s: s[0] if len(s) == 1 else 0.0)
        table.loc[repeated, "sign"] = pair[repeated].map(merged).to_numpy()
        report.add(database, "collapsed", "(source, target) pairs listed more than once", int(len(known)),
                   "one edge each; a known sign wins over an unknown one", path=path,
                   examples=[p.replace("\t", "->") for p in known.index])
        report.add(database, "conflicting sign", "pairs listed with different signs", int(mixed.sum()),
                   "known sign kept over 0; +1 against -1 set to 0 (unknown)", path=path,
                   examples=[p.replace("\t", "->") + (" (+1/-1)" if p in clash else " (sign/0)")
                             for p in mixed[mixed].index])
    else:
        report.add(database, "conflicting sign", "pairs listed with different signs", 0, path=path)
    table = table[~pair.duplicated()]
    ids = pd.unique(pd.concat([table["source"], table["target"]], ignore_index=True))
    types = pd.Series([node_type_of(i, other_type) for i in ids], index=ids)
    for node_type, members in types.groupby(types, sort=False):
        graph.add_nodes(str(node_type), members.index.tolist(), database=database)
    report.add(database, "read", "nodes", len(ids), path=path)
    for node_type, count in types.value_counts().items():
        report.add(database, "kept", f"{node_type} nodes", int(count), path=path)
    src_t = types.reindex(table["source"]).to_numpy()
    dst_t = types.reindex(table["target"]).to_numpy()
    for (s_t, d_t), idx in table.groupby([src_t, dst_t], sort=False).groups.items():
        part = table.loc[idx]
        attrs = {"sign": part["sign"].to_numpy(float), "database": database}
        if "resources" in part.columns:
            attrs["resources"] = part["resources"].tolist()
        graph.add_edges((s_t, "regulates", d_t), part["source"].tolist(), part["target"].tolist(), **attrs)
    report.add(database, "kept", "signed edges", len(table), path=path,
               examples=[f"+1 x{int((table['sign'] == 1).sum())}", f"-1 x{int((table['sign'] == -1).sum())}",
                         f"0 x{int((table['sign'] == 0).sum())}"])
    if annotation is not None:
        _annotate(graph, types, annotation, database)
    return graph


def _annotate(graph: KnowledgeGraph, types: pd.Series, path, database: str) -> None:
    ann = read_table(path, header=True, required=("code",), what="LEMBAS annotation table")
    ann["code"] = ann["code"].str.strip()
    dup = ann["code"][ann["code"].duplicated()]
    if len(dup):
        raise InputFormatError(f"node {dup.iloc[0]!r} is annotated twice; keep one row per node", path=path)
    known = ann["code"].isin(types.index)
    graph.report.add(database, "dropped", "annotation rows for ids not in the network", int((~known).sum()),
                     path=str(path), examples=ann["code"][~known].tolist())
    ann = ann[known]
    for node_type, part in ann.groupby(types.reindex(ann["code"]).to_numpy(), sort=False):
        attrs = {}
        if "name" in part.columns:
            attrs["name"] = part["name"].str.strip().replace("", np.nan).tolist()
        for column, attr in (("TF", "tf"), ("ligand", "ligand")):
            if column in part.columns:
                attrs[attr] = _bool_column(part[column], column, path)
        try:
            for attr, values in attrs.items():
                graph.set_node_attribute(str(node_type), attr, pd.Series(values, index=part["code"].to_numpy()))
        except SchemaError as exc:  # pragma: no cover - attribute names are fixed above
            raise InputFormatError(str(exc), path=path) from None
    graph.report.add(database, "kept", "annotated nodes", len(ann), path=str(path))
