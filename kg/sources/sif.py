"""SIF (Simple Interaction Format) networks, e.g. signed signalling networks.

Each line is ``source<TAB>interaction<TAB>target [target ...]``
(Cytoscape SIF; whitespace-separated when the file has no tab). A line with a
single field declares a node. The interaction decides the edge:

* a number (``1``, ``-1``, ``0``) or a signed word (``activates``,
  ``inhibits``, ``->``, ``-|``...) → ``regulates`` with ``sign`` +1/-1/0;
* ``pp``, ``pd``, ``pr``, ``interacts`` → ``interacts_with`` (unsigned);
* any other word → a relation of that name (lowercased, non-identifier
  characters replaced by ``_``), unsigned.

The original interaction text is kept in the ``interaction`` attribute.

Pathway Commons' extended SIF (SIF-NX, ``.txt``) is recognised by its header
``PARTICIPANT_A<TAB>INTERACTION_TYPE<TAB>PARTICIPANT_B[<TAB>...]``: the
header is skipped, each row gives one edge from its first three columns
(``INTERACTION_DATA_SOURCE`` kept as ``data_source``, other extra columns
counted in the report), and the participant section that follows
(``PARTICIPANT<TAB>PARTICIPANT_TYPE...``) is skipped and counted.
"""

from __future__ import annotations

import re
from os import PathLike

import numpy as np
import pandas as pd

from ..errors import DelimiterError, EmptyFileError, InputFormatError
from ..graph import KnowledgeGraph
from ..readers import iter_lines, read_text

__all__ = ["load"]

_SIGNED = {
    "activates": 1, "activation": 1, "stimulates": 1, "positive": 1, "->": 1, "+": 1, "up": 1,
    "inhibits": -1, "inhibition": -1, "represses": -1, "negative": -1, "-|": -1, "-": -1, "down": -1,
}
_UNSIGNED = {"pp", "pd", "pr", "interacts", "interacts_with", "ppi"}


def _relation(interaction: str, path, number: int) -> tuple[str, float]:
    word = interaction.strip()
    try:
        value = float(word)
    except ValueError:
        value = None
    if value is not None:
        if value not in (-1.0, 0.0, 1.0):
            raise InputFormatError(f"numeric interaction {word!r} is not a sign (-1, 0 or 1); use a sign or a word "
                                   "such as 'activates'",
                                   path=path, line=number)
        return "regulates", value
    lower = word.lower()
    if lower in _SIGNED:
        return "regulates", float(_SIGNED[lower])
    if lower in _UNSIGNED:
        return "interacts_with", np.nan
    relation = re.sub(r"[^a-z0-9]+", "_", lower).strip("_")
    if not relation or not relation[0].isalpha():
        raise InputFormatError(f"interaction {word!r} cannot be turned into a relation name; start it with a "
                               "letter", path=path, line=number)
    return relation, np.nan


def _resolve_signs(sources: list, targets: list, signs: list, graph: KnowledgeGraph, database: str, path) -> list:
    """One sign per (source, target) pair listed more than once: a known sign wins over 0, +1 against -1 gives 0;
    pairs whose listed signs differ are reported (``conflicting sign``), as in :mod:`kg.sources.lembas`."""
    table = pd.DataFrame({"source": sources, "target": targets, "sign": signs})
    key = table["source"] + "->" + table["target"]
    groups = table.groupby(key, sort=False)["sign"]
    distinct = groups.transform(lambda s: len(set(s)))
    known = groups.agg(lambda s: sorted(set(s) - {0.0}))
    resolved = known.map(lambda s: s[0] if len(s) == 1 else 0.0)
    mixed = key[distinct > 1].unique().tolist()
    if mixed:
        graph.report.add(database, "conflicting sign", "pairs listed with different signs", len(mixed),
                         "known sign kept over 0; +1 against -1 set to 0 (unknown)", path=path, examples=mixed)
    return key.map(resolved).where(distinct > 1, table["sign"]).astype(float).tolist()


def load(path: str | PathLike, *, node_type: str = "protein", database: str = "sif") -> KnowledgeGraph:
    """Load a SIF file; all nodes get ``node_type``."""
    text = read_text(path)
    lines = list(iter_lines(text, comment="#"))
    if not lines:
        raise EmptyFileError("empty SIF file", path=path)
    uses_tab = any("\t" in line for _, line in lines)
    nodes: list[str] = []
    edges: dict[str, dict[str, list]] = {}
    extended = lines[0][1].split("\t")[:3] == ["PARTICIPANT_A", "INTERACTION_TYPE", "PARTICIPANT_B"]
    header = lines[0][1].split("\t") if extended else []
    source_col = header.index("INTERACTION_DATA_SOURCE") if "INTERACTION_DATA_SOURCE" in header else None
    participant_rows = 0
    if extended:
        lines = lines[1:]
        section = next((i for i, (_, line) in enumerate(lines) if line.startswith("PARTICIPANT\t")), None)
        if section is not None:
            participant_rows = len(lines) - section - 1
            lines = lines[:section]
    for number, line in lines:
        if extended:
            raw = line.split("\t")
            if len(raw) < 3 or not all(f.strip() for f in raw[:3]):
                raise DelimiterError("an extended-SIF row needs PARTICIPANT_A, INTERACTION_TYPE and PARTICIPANT_B "
                                     "(tab-separated, none empty)", path=path, line=number)
            fields = [f.strip() for f in raw[:3]]
            data_source = raw[source_col].strip() if source_col is not None and source_col < len(raw) else ""
            relation, sign = _relation(fields[1], path, number)
            bucket = edges.setdefault(relation, {"source": [], "target": [], "sign": [], "interaction": [],
                                                 "data_source": []})
            nodes.extend([fields[0], fields[2]])
            for key, value in (("source", fields[0]), ("target", fields[2]), ("sign", sign),
                               ("interaction", fields[1]), ("data_source", data_source or None)):
                bucket[key].append(value)
            continue
        fields = [f.strip() for f in (line.split("\t") if uses_tab else line.split())]
        fields = [f for f in fields if f]
        if len(fields) == 2:
            raise DelimiterError("expected 'source interaction target [targets...]' or a lone node, found 2 fields "
                                 "(a two-column edge list is not SIF: add the interaction column)",
                                 path=path, line=number)
        nodes.append(fields[0])
        if len(fields) == 1:
            continue
        relation, sign = _relation(fields[1], path, number)
        bucket = edges.setdefault(relation, {"source": [], "target": [], "sign": [], "interaction": []})
        for target in fields[2:]:
            nodes.append(target)
            bucket["source"].append(fields[0])
            bucket["target"].append(target)
            bucket["sign"].append(sign)
            bucket["interaction"].append(fields[1])
    g = KnowledgeGraph()
    g.add_nodes(node_type, list(dict.fromkeys(nodes)), database=database)
    n_rows = 0
    for relation, cols in edges.items():
        n_rows += len(cols["source"])
        kwargs = {"interaction": cols["interaction"], "database": database}
        if "data_source" in cols:
            kwargs["data_source"] = cols["data_source"]
        if relation == "regulates":
            cols["sign"] = _resolve_signs(cols["source"], cols["target"], cols["sign"], g, database, path)
            kwargs["sign"] = cols["sign"]
        g.add_edges((node_type, relation, node_type), cols["source"], cols["target"], **kwargs)
    g.report.add(database, "read", "interactions", n_rows, path=path)
    g.report.add(database, "collapsed", "duplicate interactions", n_rows - g.num_edges(), path=path)
    if extended:
        ignored = [c for i, c in enumerate(header[3:], start=3) if i != source_col]
        g.report.add(database, "note", "extended-SIF columns not loaded", len(ignored), path=path, examples=ignored)
        g.report.add(database, "dropped", "extended-SIF participant rows (node annotations)", participant_rows,
                     "node types and cross-references are not loaded; all nodes get the node_type", path=path)
    return g
