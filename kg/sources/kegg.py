"""KEGG: KGML pathway files and the REST ``link`` / ``list`` flat tables.

KGML (https://www.kegg.jp/kegg/xml/docs/):

* ``<pathway name="path:hsa00010" title=...>`` → a ``pathway`` node;
* ``<entry type="gene" name="hsa:226 hsa:229">`` → one ``gene`` node per id,
  each ``member_of`` the pathway; ``type="compound"`` → ``metabolite`` nodes;
* ``<relation>`` between gene entries (PPrel, GErel, PCrel of genes) →
  ``(gene, regulates, gene)`` edges, one per pair of ids, with ``sign`` from the
  subtypes (activation/expression +1, inhibition/repression −1, else missing),
  ``kegg_relation`` and ``subtypes``; ECrel and relations touching groups,
  maps or compounds, and relations naming undeclared entries (KEGG's own
  files have some), are counted and not loaded;
* ``<reaction>`` → ``reaction`` nodes ``member_of`` the pathway, substrates and
  products → ``participates_in`` edges, and the gene entries naming the
  reaction → ``catalyzes`` edges.

The DOCTYPE's external DTD is never fetched; entity declarations are refused.

REST tables (https://www.kegg.jp/kegg/rest/keggapi.html): ``link/pathway/<org>``
gives ``<entity><TAB>path:<id>`` pairs (either column order), ``list/pathway/<org>``
gives ``<pathway id><TAB><title>``. ``cpd:`` ids are metabolites, other ids genes.
"""

from __future__ import annotations

from os import PathLike
from xml.etree.ElementTree import Element

import numpy as np
import pandas as pd

from ..errors import InputFormatError, UsageError
from ..graph import KnowledgeGraph
from ..readers import check_nonempty, line_of, parse_xml, read_table

__all__ = ["load_kgml", "load_rest", "load"]

DATABASE = "kegg"
_POSITIVE = {"activation", "expression", "indirect effect"}
_NEGATIVE = {"inhibition", "repression"}


def _entry_ids(entry: Element) -> list[str]:
    return [x for x in (entry.get("name") or "").split() if x]


def load_kgml(path: str | PathLike, *, version: str | None = None) -> KnowledgeGraph:
    """Load one KGML pathway file."""
    root = parse_xml(path, what="KGML")
    if root.tag != "pathway" or not root.get("name"):
        raise InputFormatError(f"root element is <{root.tag}> without a name, expected <pathway name=...>; is "
                               "this a KGML file (KEGG's 'get/<pathway>/kgml')?", path=path, record=f"<{root.tag}>")
    attrs = {"database": DATABASE, **({"version": version} if version else {})}
    pathway = root.get("name")
    g = KnowledgeGraph()
    g.add_nodes("pathway", [pathway], name=[root.get("title")], organism=[root.get("org")], **attrs)
    entries: dict[str, tuple[str, list[str]]] = {}
    skipped_types: dict[str, int] = {}
    genes, compounds, gene_reactions = [], [], []
    for entry in root.iter("entry"):
        eid, etype, ids = entry.get("id"), entry.get("type"), _entry_ids(entry)
        if eid is None or etype is None:
            raise InputFormatError("<entry> without id or type; every KGML entry needs both", path=path,
                                   record=f"entry {eid!r} ({entry.get('name')!r})")
        entries[eid] = (etype, ids)
        if etype == "gene":
            genes.extend(ids)
            for rn in (entry.get("reaction") or "").split():
                gene_reactions.extend((gid, rn) for gid in ids)
        elif etype == "compound":
            compounds.extend(ids)
        else:
            skipped_types[etype] = skipped_types.get(etype, 0) + 1
    genes, compounds = list(dict.fromkeys(genes)), list(dict.fromkeys(compounds))
    if genes:
        g.add_nodes("gene", genes, **attrs)
        g.add_edges(("gene", "member_of", "pathway"), genes, [pathway] * len(genes), **attrs)
    if compounds:
        g.add_nodes("metabolite", compounds, **attrs)
        g.add_edges(("metabolite", "member_of", "pathway"), compounds, [pathway] * len(compounds), **attrs)
    for etype, count in skipped_types.items():
        g.report.add(DATABASE, "dropped", f"entries of type {etype!r}", count,
                     "only gene and compound entries become nodes", path=path)

    rel = {"source": [], "target": [], "sign": [], "kegg_relation": [], "subtypes": []}
    skipped_relations = 0
    dangling: list[str] = []
    for relation in root.iter("relation"):
        e1, e2 = entries.get(relation.get("entry1")), entries.get(relation.get("entry2"))
        if e1 is None or e2 is None:  # KEGG's own ko/map files have these (e.g. ko00051)
            dangling.append(f"{relation.get('entry1')}->{relation.get('entry2')}")
            continue
        kind = relation.get("type", "")
        if kind == "ECrel" or e1[0] != "gene" or e2[0] != "gene":
            skipped_relations += 1
            continue
        subtypes = [s.get("name", "") for s in relation.iter("subtype")]
        sign = np.nan
        if any(s in _POSITIVE for s in subtypes):
            sign = 1.0
        if any(s in _NEGATIVE for s in subtypes):
            sign = -1.0
        for a in e1[1]:
            for b in e2[1]:
                rel["source"].append(a)
                rel["target"].append(b)
                rel["sign"].append(sign)
                rel["kegg_relation"].append(kind)
                rel["subtypes"].append(",".join(subtypes) or None)
    if rel["source"]:
        g.add_edges(("gene", "regulates", "gene"), rel.pop("source"), rel.pop("target"), **rel, **attrs)
    g.report.add(DATABASE, "dropped", "relations not between gene entries (ECrel, groups, maps, compounds)",
                 skipped_relations, path=path)
    g.report.add(DATABASE, "dropped", "relations naming an entry id that no <entry> declares", len(dangling),
                 "the relation cannot be placed", path=path, examples=dangling)

    part = {"source": [], "target": [], "role": []}
    reactions = []
    for reaction in root.iter("reaction"):
        names = (reaction.get("name") or "").split()
        if not names:
            raise InputFormatError("<reaction> without a name (expected name=\"rn:R...\")", path=path,
                                   record=f"reaction id {reaction.get('id')!r}")
        for rn in names:
            reactions.append((rn, reaction.get("type")))
            for child in reaction:
                if child.tag in {"substrate", "product"} and child.get("name"):
                    part["source"].append(child.get("name"))
                    part["target"].append(rn)
                    part["role"].append(child.tag)
    if reactions:
        frame = pd.DataFrame(reactions, columns=["id", "type"]).drop_duplicates("id")
        g.add_nodes("reaction", frame["id"], reversible=(frame["type"] == "reversible").to_numpy(), **attrs)
        g.add_edges(("reaction", "member_of", "pathway"), frame["id"], [pathway] * len(frame), **attrs)
        g.add_edges(("metabolite", "participates_in", "reaction"), part["source"], part["target"],
                    role=part["role"], add_missing_nodes=True, **attrs)
        known = set(frame["id"])
        pairs = [(gid, rn) for gid, rn in gene_reactions if rn in known]
        if pairs:
            g.add_edges(("gene", "catalyzes", "reaction"), [p[0] for p in pairs], [p[1] for p in pairs], **attrs)
    g.report.add(DATABASE, "read", "KGML entries", len(entries), path=path)
    return g


def load_rest(
    link: str | PathLike,
    list: str | PathLike | None = None,  # noqa: A002 - mirrors the KEGG REST operation name
    *,
    version: str | None = None,
) -> KnowledgeGraph:
    """Load a KEGG REST ``link`` table (entity ↔ pathway) and optionally a ``list`` table of titles."""
    attrs = {"database": DATABASE, **({"version": version} if version else {})}
    pairs = read_table(link, ["a", "b"], what="KEGG REST link table (id<TAB>id)")
    check_nonempty(pairs, ["a", "b"], link, "KEGG REST link table")
    a_is_path = pairs["a"].str.startswith("path:")
    b_is_path = pairs["b"].str.startswith("path:")
    if not (a_is_path ^ b_is_path).all():
        row = int(np.flatnonzero(~(a_is_path ^ b_is_path).to_numpy())[0])
        raise InputFormatError("expected exactly one 'path:' id per line (entity<TAB>path:id), as KEGG's "
                               "link/pathway/<org> writes; is this a link table?", path=link, line=line_of(pairs, row))
    entity = pairs["a"].where(~a_is_path, pairs["b"])
    pathway = pairs["b"].where(~a_is_path, pairs["a"])
    g = KnowledgeGraph()
    titles = None
    if list is not None:
        titles = read_table(list, ["id", "title"], what="KEGG REST list table (id<TAB>title)")
        check_nonempty(titles, ["id"], list, "KEGG REST list table")
        titles["id"] = titles["id"].where(titles["id"].str.startswith("path:"), "path:" + titles["id"])
    ids = pd.Index(pd.unique(pathway))
    names = None
    if titles is not None:
        ids = ids.append(pd.Index(titles["id"])).unique()
        names = titles.set_index("id")["title"].reindex(ids).to_numpy()
    g.add_nodes("pathway", ids, name=names, **attrs)
    is_cpd = entity.str.startswith(("cpd:", "gl:", "dr:"))
    for etype, mask in (("metabolite", is_cpd), ("gene", ~is_cpd)):
        mask = mask.to_numpy()
        if mask.any():
            g.add_nodes(etype, pd.unique(entity[mask]), **attrs)
            g.add_edges((etype, "member_of", "pathway"), entity[mask], pathway[mask], **attrs)
    g.report.add(DATABASE, "read", "link rows", len(pairs), path=link)
    g.report.add(DATABASE, "collapsed", "duplicate link rows", len(pairs) - g.num_edges(), path=link)
    return g


def load(kgml: str | PathLike | None = None, link: str | PathLike | None = None,
         list: str | PathLike | None = None, **kwargs) -> KnowledgeGraph:  # noqa: A002
    """Load KGML and/or REST tables and merge them."""
    parts = []
    if kgml is not None:
        parts.append(load_kgml(kgml, **kwargs))
    if link is not None:
        parts.append(load_rest(link, list, **kwargs))
    if not parts:
        raise UsageError("kegg.load: give kgml= and/or link=")
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p)
    return out
