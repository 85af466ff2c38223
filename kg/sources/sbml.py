"""SBML metabolic models (levels 2 and 3; FBC and groups packages).

* species → ``metabolite`` nodes (id = SBML species id, with ``name``,
  ``compartment``, and ``kegg``/``formula`` when the notes give them);
* species with ``boundaryCondition="true"`` carry ``boundary=True`` (else False);
* reactions → ``reaction`` nodes (``name``, ``reversible``, ``gene_rule``) with the
  flux-balance data: ``lower_bound`` and ``upper_bound`` (FBC 2 ``fbc:lowerFluxBound``
  / ``fbc:upperFluxBound`` parameters, else the level 2 kinetic-law parameters
  ``LOWER_BOUND`` / ``UPPER_BOUND``; NaN where the file gives none),
  ``objective_coefficient`` (FBC 2 active objective, else the kinetic-law
  ``OBJECTIVE_COEFFICIENT``; 0 when absent) and ``objective_direction``
  (``"max"`` or ``"min"`` on reactions with a non-zero coefficient);
* reactants, products and modifiers → ``(metabolite, participates_in,
  reaction)`` edges with ``role`` and ``stoichiometry``. A species listed
  several times in one reaction becomes one edge with the net coefficient
  (products minus reactants, as cobrapy does): ``role`` is ``reactant`` when
  the net is negative, ``product`` otherwise, and ``stoichiometry`` is its
  magnitude;
* genes of the gene rule → ``(gene, catalyzes, reaction)`` edges. The rule is
  read, first found wins, from

  - ``fbc:geneProductAssociation`` (level 3 FBC version 2; gene ids are the
    gene products' ``fbc:label``, else their id);
  - ``fbc:listOfGeneAssociations`` in the model's annotation (FBC version 1:
    ``fbc:geneAssociation reaction=...`` holding ``fbc:gene reference=...``
    under ``fbc:and`` / ``fbc:or``);
  - a ``GENE_ASSOCIATION:`` / ``GENE ASSOCIATION:`` (or ``GPR:``) line in the
    reaction's notes (level 2, COBRA convention; keys are matched case- and
    space/underscore-insensitively, as cobrapy does).

  Anything the reader cannot interpret (an unknown element inside an
  association, a reference to an undeclared gene product or reaction, a rule
  with unbalanced parentheses, gene-like notes keys it does not read) is
  counted in the report, so a model never silently loads with 0 genes;
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
_NOTES_KEY_SPACE = re.compile(r"[\s_-]+")
#: Normalised notes keys that hold a gene rule (COBRA Toolbox, cobrapy, RAVEN).
_RULE_KEYS = ("GENE_ASSOCIATION", "GPR", "GENE_REACTION_RULE", "GENE_RULE")
#: Gene-like notes keys known to hold something other than a rule (kept silent in the report).
_OTHER_GENE_KEYS = {"GENE_LIST", "GENES", "GENE_NAME", "GENE_NAMES", "GENE_SYMBOL", "GENE_SYMBOLS"}


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
        if _local(node.tag) == "p":
            text = "".join(node.itertext())
            if ":" in text:
                key, _, value = text.partition(":")
                out[_NOTES_KEY_SPACE.sub("_", key.strip().upper())] = value.strip()
    return out


def gene_rule_genes(rule: str) -> list[str]:
    """Gene ids in a boolean gene rule such as ``"(g1 and g2) or g3"``, in order of appearance."""
    tokens = [t for t in _RULE_TOKEN.findall(rule) if t.lower() not in {"and", "or"}]
    return list(dict.fromkeys(tokens))


def _fbc_rule(element: Element, labels: dict[str, str] | None, problems: dict[str, list[str]], where: str) -> str:
    """Gene rule text of an FBC association tree.

    FBC 2 uses ``geneProductRef geneProduct=`` (resolved through ``labels``),
    FBC 1 ``gene reference=`` (``labels`` is None: the reference is the gene
    id). Unknown elements and undeclared gene products go into ``problems``.
    """
    kind = _local(element.tag)
    if kind in {"geneProductRef", "gene"}:
        ref = _attr(element, "geneProduct" if kind == "geneProductRef" else "reference")
        if not ref:
            problems.setdefault("gene references without a gene id", []).append(where)
            return ""
        if labels is not None and ref not in labels:
            problems.setdefault("references to undeclared gene products (id used as the gene)", []).append(
                f"{where}: {ref}")
            return ref
        return ref if labels is None else labels[ref]
    if kind not in {"and", "or"}:
        problems.setdefault("association elements the reader cannot interpret", []).append(f"{where}: <{kind}>")
        return ""
    parts = [p for p in (_fbc_rule(c, labels, problems, where) for c in element) if p]
    text = f" {kind} ".join(parts)
    return f"({text})" if len(parts) > 1 else text


def _association_root(element: Element, problems: dict[str, list[str]], where: str) -> Element | None:
    """The single rule element of a (geneProduct|gene)Association; None (reported) if there is not exactly one."""
    children = list(element)
    if len(children) == 1:
        return children[0]
    if len(children) > 1:
        problems.setdefault("associations with several top-level elements (expected one)", []).append(where)
    return None


def _balanced(rule: str) -> bool:
    depth = 0
    for ch in rule:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def _float(value, path, record: str) -> float:
    if value is None:
        return 1.0
    try:
        return float(value)
    except ValueError:
        raise InputFormatError(f"stoichiometry {value!r} is not a number; write a plain number (e.g. 1 or 0.5)",
                               path=path, record=record) from None


def load(path: str | PathLike, *, database: str = DATABASE) -> KnowledgeGraph:
    """Load an SBML model (see the module docstring for what becomes what)."""
    root = parse_xml(path, what="SBML")
    if _local(root.tag) != "sbml":
        raise InputFormatError(f"root element is <{_local(root.tag)}>, expected <sbml>; is this an SBML file?",
                               path=path, record=f"<{_local(root.tag)}>")
    model = _child(root, "model")
    if model is None:
        raise InputFormatError("no <model> element; the SBML document holds no model to read", path=path,
                               record="<sbml>")
    level = _attr(root, "level", "?")

    species_ids, species_attrs = [], {"name": [], "compartment": [], "kegg": [], "formula": [], "boundary": []}
    for sp in _children(_child(model, "listOfSpecies"), "species"):
        sid = _attr(sp, "id")
        if not sid:
            raise InputFormatError("species without an id; every SBML species needs id=", path=path,
                                   record=f"species {_attr(sp, 'name')!r}")
        notes = _notes(sp)
        species_ids.append(sid)
        species_attrs["name"].append(_attr(sp, "name"))
        species_attrs["compartment"].append(_attr(sp, "compartment"))
        species_attrs["kegg"].append(notes.get("KEGG_ID") or notes.get("KEGG"))
        species_attrs["formula"].append(notes.get("FORMULA") or _attr(sp, "chemicalFormula"))
        species_attrs["boundary"].append(str(_attr(sp, "boundaryCondition", "false")).lower() == "true")
    _check_unique(species_ids, "species", path)

    labels = {}
    for gp in _children(_child(model, "listOfGeneProducts"), "geneProduct"):
        labels[_attr(gp, "id")] = _attr(gp, "label") or _attr(gp, "id")
    problems: dict[str, list[str]] = {}
    fbc1_rules: dict[str, str] = {}
    for ga in _children(_child(_child(model, "annotation"), "listOfGeneAssociations"), "geneAssociation"):
        target = _attr(ga, "reaction")
        where = f"geneAssociation {_attr(ga, 'id') or '?'} (reaction {target!r})"
        root_rule = _association_root(ga, problems, where)
        if root_rule is not None:
            fbc1_rules[target] = _fbc_rule(root_rule, None, problems, where)

    parameters = {_attr(p, "id"): _attr(p, "value") for p in _children(_child(model, "listOfParameters"), "parameter")}
    objective, direction = _fbc_objective(model)

    subsystem_of: dict[str, list[str]] = {}
    for group in _children(_child(model, "listOfGroups"), "group"):
        name = _attr(group, "name") or _attr(group, "id")
        for member in _children(_child(group, "listOfMembers"), "member"):
            subsystem_of.setdefault(_attr(member, "idRef"), []).append(name)

    reactions, rattrs = [], {"name": [], "reversible": [], "gene_rule": [], "lower_bound": [], "upper_bound": [],
                             "objective_coefficient": [], "objective_direction": []}
    part = {"source": [], "target": [], "role": [], "stoichiometry": []}
    cat = {"source": [], "target": []}
    member = {"source": [], "target": []}
    known_species = set(species_ids)
    rule_origin: dict[str, int] = {}
    for rx in _children(_child(model, "listOfReactions"), "reaction"):
        rid = _attr(rx, "id")
        if not rid:
            raise InputFormatError("reaction without an id; every SBML reaction needs id=", path=path,
                                   record=f"reaction {_attr(rx, 'name')!r}")
        notes = _notes(rx)
        gpa = _child(rx, "geneProductAssociation")
        rule, origin = "", ""
        if gpa is not None and len(gpa):
            root_rule = _association_root(gpa, problems, f"reaction {rid!r}")
            if root_rule is not None:
                rule, origin = _fbc_rule(root_rule, labels, problems, f"reaction {rid!r}"), "fbc:geneProductAssociation"
        if not rule and rid in fbc1_rules:
            rule, origin = fbc1_rules[rid], "fbc:geneAssociation (FBC 1)"
        if not rule:
            key = next((k for k in _RULE_KEYS if notes.get(k)), None)
            if key is not None:
                rule, origin = notes[key], f"notes {key.replace('_', ' ')}"
        for key in notes:
            if ("GENE" in key or "GPR" in key) and key not in _RULE_KEYS and key not in _OTHER_GENE_KEYS:
                problems.setdefault("gene-like notes keys the reader does not read", []).append(f"{rid}: {key}")
        if rule and not _balanced(rule):
            problems.setdefault("gene rules with unbalanced parentheses (genes still read)", []).append(
                f"{rid}: {rule[:60]}")
        if rule:
            rule_origin[origin] = rule_origin.get(origin, 0) + 1
        reactions.append(rid)
        rattrs["name"].append(_attr(rx, "name"))
        rev = _attr(rx, "reversible")
        rattrs["reversible"].append(None if rev is None else rev.lower() == "true")
        rattrs["gene_rule"].append(rule or None)
        lower, upper, coefficient = _reaction_flux_data(rx, parameters, path, rid, problems)
        coefficient = objective.get(rid, coefficient) if objective is not None else coefficient
        rattrs["lower_bound"].append(lower)
        rattrs["upper_bound"].append(upper)
        rattrs["objective_coefficient"].append(coefficient)
        rattrs["objective_direction"].append(direction if coefficient else None)
        net: dict[str, float] = {}
        modifiers: list[str] = []
        for list_name, role in (("listOfReactants", "reactant"), ("listOfProducts", "product"),
                                ("listOfModifiers", "modifier")):
            for ref in _child(rx, list_name) or []:
                sid = _attr(ref, "species")
                if sid not in known_species:
                    raise InputFormatError(f"{role} {sid!r} is not a declared species; declare it in listOfSpecies "
                                           "or fix the reference", path=path,
                                           record=f"reaction {rid!r}")
                if role == "modifier":
                    modifiers.append(sid)
                    continue
                value = _float(_attr(ref, "stoichiometry"), path, f"reaction {rid!r}")
                net[sid] = net.get(sid, 0.0) + (value if role == "product" else -value)
        for sid, value in net.items():
            part["source"].append(sid)
            part["target"].append(rid)
            part["role"].append("reactant" if value < 0 else "product")
            part["stoichiometry"].append(abs(value))
        for sid in dict.fromkeys(modifiers):
            if sid not in net:
                part["source"].append(sid)
                part["target"].append(rid)
                part["role"].append("modifier")
                part["stoichiometry"].append(np.nan)
        for gene in gene_rule_genes(rule):
            cat["source"].append(gene)
            cat["target"].append(rid)
        subsystems = subsystem_of.get(rid) or ([notes["SUBSYSTEM"]] if notes.get("SUBSYSTEM") else [])
        for name in subsystems:
            member["source"].append(rid)
            member["target"].append(f"subsystem:{name.strip()}")
    _check_unique(reactions, "reaction", path)
    unknown_reactions = sorted(set(fbc1_rules) - set(reactions), key=str)
    if unknown_reactions:
        problems["FBC 1 gene associations of undeclared reactions"] = [str(r) for r in unknown_reactions]

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
    for origin, count in rule_origin.items():
        g.report.add(database, "read", f"gene rules from {origin}", count, path=path)
    for what, examples in problems.items():
        unread_keys = what.startswith("gene-like notes keys")
        g.report.add(database, "note" if unread_keys else "dropped", what, len(examples),
                     "a rule may hide there; rename the key to GENE_ASSOCIATION if it holds one" if unread_keys else
                     "not interpreted; check the model with an SBML validator or convert it with cobrapy",
                     path=path, examples=examples)
    used = set(cat["source"])
    unused = [label for label in dict.fromkeys(labels.values()) if label not in used]
    if labels and unused:
        g.report.add(database, "note", "declared gene products used in no gene rule", len(unused), path=path,
                     examples=unused)
    return g


def _fbc_objective(model: Element) -> tuple[dict[str, float] | None, str]:
    """``({reaction id: coefficient}, "max"|"min")`` of the FBC active objective; ``(None, "max")`` if none."""
    objectives = _child(model, "listOfObjectives")
    if objectives is None:
        return None, "max"
    active = _attr(objectives, "activeObjective")
    chosen = [o for o in _children(objectives, "objective") if _attr(o, "id") == active] or \
        _children(objectives, "objective")[:1]
    if not chosen:
        return None, "max"
    direction = "min" if str(_attr(chosen[0], "type", "maximize")).lower().startswith("min") else "max"
    coefficients = {}
    for flux in _children(_child(chosen[0], "listOfFluxObjectives"), "fluxObjective"):
        coefficients[_attr(flux, "reaction")] = float(_attr(flux, "coefficient", 1.0))
    return coefficients, direction


def _reaction_flux_data(rx: Element, parameters: dict, path, rid: str,
                        problems: dict[str, list[str]]) -> tuple[float, float, float]:
    """``(lower bound, upper bound, objective coefficient)`` of a reaction (NaN bounds when none is given).

    A flux bound naming an undeclared parameter is NaN and listed in ``problems``.
    """
    law = {_attr(p, "id"): _attr(p, "value")
           for p in _children(_child(_child(rx, "kineticLaw"), "listOfParameters"), "parameter")}
    law.update({_attr(p, "id"): _attr(p, "value")
                for p in _children(_child(_child(rx, "kineticLaw"), "listOfLocalParameters"), "localParameter")})
    values = []
    for fbc_name, law_name in (("lowerFluxBound", "LOWER_BOUND"), ("upperFluxBound", "UPPER_BOUND")):
        ref = _attr(rx, fbc_name)
        if ref is not None:
            if ref not in parameters:
                problems.setdefault("flux bounds naming an undeclared parameter (bound left unset)", []).append(
                    f"{rid}: {ref}")
            raw = parameters.get(ref)
        else:
            raw = law.get(law_name)
        values.append(np.nan if raw is None else _float(raw, path, f"reaction {rid!r} {fbc_name}"))
    coefficient = law.get("OBJECTIVE_COEFFICIENT")
    values.append(0.0 if coefficient is None else _float(coefficient, path, f"reaction {rid!r} objective"))
    return values[0], values[1], values[2]


def _check_unique(ids: list[str], what: str, path) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise DuplicateIdError(f"{what} id {i!r} occurs more than once; SBML ids must be unique", path=path,
                                   record=f"{what} {i!r}")
        seen.add(i)
