"""SBML metabolic models (levels 2 and 3; FBC and groups packages).

* species → ``metabolite`` nodes (id = SBML species id, with ``name``,
  ``compartment``, and ``kegg``/``formula`` when the notes give them);
* reactions → ``reaction`` nodes (``name``, ``reversible``, ``gene_rule``);
* reactants, products and modifiers → ``(metabolite, participates_in,
  reaction)`` edges with ``role`` and ``stoichiometry``;
* genes of the gene rule → ``(gene, catalyzes, reaction)`` edges. The rule is
  read from ``fbc:geneProductAssociation`` (level 3, gene ids are the gene
  products' ``fbc:label``) or from a ``GENE_ASSOCIATION:`` line in the notes
  (level 2, COBRA convention);
* subsystems → ``pathway`` nodes with ``(reaction, member_of, pathway)`` edges,
  from ``groups:group`` (level 3) or a ``SUBSYSTEM:`` line in the notes.
  Pathway ids are ``subsystem:<name>``.

Parsing uses defusedxml (no entity expansion, nothing fetched).
"""

from __future__ import annotations

import re
from os import PathLike
from xml.etree.ElementTree import Element

import numpy as np

from ..errors import DuplicateIdError, InputFormatError
from ..graph import KnowledgeGraph
from ..readers import parse_xml

__all__ = ["load", "gene_rule_genes"]

DATABASE = "sbml"
_RULE_TOKEN = re.compile(r"[^\s()]+")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(element: Element, name: str, default=None):
    """Attribute by local name, whatever its namespace."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return default


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if _local(c.tag) == name]


def _child(element: Element | None, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _notes(element: Element) -> dict[str, str]:
    """``KEY: value`` pairs from the XHTML notes of an element (last wins)."""
    notes = _child(element, "notes")
    out: dict[str, str] = {}
    if notes is None:
        return out
    for node in notes.iter():
        if _local(node.tag) == "p" and node.text and ":" in node.text:
            key, _, value = node.text.partition(":")
            out[key.strip().upper()] = value.strip()
    return out


def gene_rule_genes(rule: str) -> list[str]:
    """Gene ids in a boolean gene rule such as ``"(g1 and g2) or g3"``, in order of appearance."""
    tokens = [t for t in _RULE_TOKEN.findall(rule) if t.lower() not in {"and", "or"}]
    return list(dict.fromkeys(tokens))


def _fbc_rule(element: Element, labels: dict[str, str]) -> str:
    kind = _local(element.tag)
    if kind == "geneProductRef":
        ref = _attr(element, "geneProduct")
        return labels.get(ref, ref)
    parts = [_fbc_rule(c, labels) for c in element]
    joiner = " and " if kind == "and" else " or "
    text = joiner.join(p for p in parts if p)
    return f"({text})" if len(parts) > 1 and kind in {"and", "or"} else text


def _float(value, path, record: str) -> float:
    if value is None:
        return 1.0
    try:
        return float(value)
    except ValueError:
        raise InputFormatError(f"stoichiometry {value!r} is not a number", path=path, record=record) from None


def load(path: str | PathLike, *, database: str = DATABASE) -> KnowledgeGraph:
    """Load an SBML model (see the module docstring for what becomes what)."""
    root = parse_xml(path, what="SBML")
    if _local(root.tag) != "sbml":
        raise InputFormatError(f"root element is <{_local(root.tag)}>, expected <sbml>", path=path)
    model = _child(root, "model")
    if model is None:
        raise InputFormatError("no <model> element", path=path, record="<sbml>")
    level = _attr(root, "level", "?")

    species_ids, species_attrs = [], {"name": [], "compartment": [], "kegg": [], "formula": []}
    for sp in _children(_child(model, "listOfSpecies"), "species"):
        sid = _attr(sp, "id")
        if not sid:
            raise InputFormatError("species without an id", path=path, record=f"species {_attr(sp, 'name')!r}")
        notes = _notes(sp)
        species_ids.append(sid)
        species_attrs["name"].append(_attr(sp, "name"))
        species_attrs["compartment"].append(_attr(sp, "compartment"))
        species_attrs["kegg"].append(notes.get("KEGG ID") or notes.get("KEGG"))
        species_attrs["formula"].append(notes.get("FORMULA") or _attr(sp, "chemicalFormula"))
    _check_unique(species_ids, "species", path)

    labels = {}
    for gp in _children(_child(model, "listOfGeneProducts"), "geneProduct"):
        labels[_attr(gp, "id")] = _attr(gp, "label") or _attr(gp, "id")

    subsystem_of: dict[str, list[str]] = {}
    for group in _children(_child(model, "listOfGroups"), "group"):
        name = _attr(group, "name") or _attr(group, "id")
        for member in _children(_child(group, "listOfMembers"), "member"):
            subsystem_of.setdefault(_attr(member, "idRef"), []).append(name)

    reactions, rattrs = [], {"name": [], "reversible": [], "gene_rule": []}
    part = {"source": [], "target": [], "role": [], "stoichiometry": []}
    cat = {"source": [], "target": []}
    member = {"source": [], "target": []}
    known_species = set(species_ids)
    for rx in _children(_child(model, "listOfReactions"), "reaction"):
        rid = _attr(rx, "id")
        if not rid:
            raise InputFormatError("reaction without an id", path=path, record=f"reaction {_attr(rx, 'name')!r}")
        notes = _notes(rx)
        gpa = _child(rx, "geneProductAssociation")
        if gpa is not None and len(gpa):
            rule = _fbc_rule(gpa[0], labels)
        else:
            rule = notes.get("GENE_ASSOCIATION") or notes.get("GPR") or ""
        reactions.append(rid)
        rattrs["name"].append(_attr(rx, "name"))
        rev = _attr(rx, "reversible")
        rattrs["reversible"].append(None if rev is None else rev.lower() == "true")
        rattrs["gene_rule"].append(rule or None)
        for list_name, role in (("listOfReactants", "reactant"), ("listOfProducts", "product"),
                                ("listOfModifiers", "modifier")):
            for ref in _child(rx, list_name) or []:
                sid = _attr(ref, "species")
                if sid not in known_species:
                    raise InputFormatError(f"{role} {sid!r} is not a declared species", path=path,
                                           record=f"reaction {rid!r}")
                part["source"].append(sid)
                part["target"].append(rid)
                part["role"].append(role)
                part["stoichiometry"].append(np.nan if role == "modifier" else
                                             _float(_attr(ref, "stoichiometry"), path, f"reaction {rid!r}"))
        for gene in gene_rule_genes(rule):
            cat["source"].append(gene)
            cat["target"].append(rid)
        subsystems = subsystem_of.get(rid) or ([notes["SUBSYSTEM"]] if notes.get("SUBSYSTEM") else [])
        for name in subsystems:
            member["source"].append(rid)
            member["target"].append(f"subsystem:{name.strip()}")
    _check_unique(reactions, "reaction", path)

    g = KnowledgeGraph()
    g.add_nodes("metabolite", species_ids, database=database, **species_attrs)
    g.add_nodes("reaction", reactions, database=database, **rattrs)
    g.add_edges(("metabolite", "participates_in", "reaction"), part["source"], part["target"],
                role=part["role"], stoichiometry=part["stoichiometry"], database=database)
    if cat["source"]:
        g.add_nodes("gene", list(dict.fromkeys(cat["source"])), database=database)
        g.add_edges(("gene", "catalyzes", "reaction"), cat["source"], cat["target"], database=database)
    if member["source"]:
        names = list(dict.fromkeys(member["target"]))
        g.add_nodes("pathway", names, name=[n.removeprefix("subsystem:") for n in names], database=database)
        g.add_edges(("reaction", "member_of", "pathway"), member["source"], member["target"], database=database)
    g.report.add(database, "read", f"species (SBML level {level})", len(species_ids), path=path)
    g.report.add(database, "read", "reactions", len(reactions), path=path)
    g.report.add(database, "kept", "reactions without a gene rule", sum(r is None for r in rattrs["gene_rule"]),
                 path=path)
    g.report.add(database, "kept", "reactions without a subsystem",
                 len(reactions) - len(set(member["source"])), path=path)
    return g


def _check_unique(ids: list[str], what: str, path) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise DuplicateIdError(f"{what} id {i!r} occurs more than once", path=path, record=f"{what} {i!r}")
        seen.add(i)
