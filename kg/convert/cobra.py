"""KnowledgeGraph ↔ :class:`cobra.Model` for SBML-derived graphs (cobrapy is the flux-balance engine).

The graph schema is the one :mod:`kg.sources.sbml` writes:

* ``metabolite`` nodes (``name``, ``compartment``, ``formula``, ``boundary``, ...);
* ``reaction`` nodes (``name``, ``gene_rule``, ``lower_bound``, ``upper_bound``,
  ``objective_coefficient``, ``objective_direction``, ``reversible``);
* ``(metabolite, participates_in, reaction)`` edges with ``role`` (reactant,
  product, modifier) and ``stoichiometry`` (magnitude; the sign is the role);
* ``(gene, catalyzes, reaction)`` edges for the genes of each gene rule;
* ``(reaction, member_of, pathway)`` edges for subsystems (``pathway`` ids
  ``subsystem:<name>``).

:func:`to_cobra` builds the model cobrapy itself would read from the same SBML
file: with ``cobra_ids=True`` the ``R_`` / ``M_`` prefixes are clipped by
cobrapy's own id functions, bounds the file leaves unset take cobrapy's
configured defaults (counted in the returned model's ``notes``), and a boundary
species gets the ``EX_<species>`` exchange reaction cobrapy adds. Subsystems
become :class:`cobra.core.Group` objects. Attributes cobrapy has no field for
(modifiers, KEGG ids, ``reversible`` as written) travel in the ``notes`` of the
objects under ``kg:`` keys, so :func:`from_cobra` restores them:
``from_cobra(to_cobra(g, cobra_ids=False))`` equals ``g`` (see the tests); a bound
the file left unset is remembered as unset while it keeps cobrapy's default.

One known difference from cobrapy: for FBC version 1 files cobrapy converts to FBC 2
through libsbml, whose generated gene-product ids spell digits out
(``gp_b__THREE____NINE____ONE____SIX__`` for ``b3916``); the adapter keeps the
genes as the file names them, so the rules agree up to that renaming.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..graph import KnowledgeGraph
from ..sources.sbml import gene_rule_genes

if TYPE_CHECKING:  # pragma: no cover
    import cobra

__all__ = ["to_cobra", "from_cobra", "BOUNDARY_NOTE"]

PARTICIPATES = ("metabolite", "participates_in", "reaction")
CATALYZES = ("gene", "catalyzes", "reaction")
MEMBER_OF = ("reaction", "member_of", "pathway")
#: Note key marking an exchange reaction added for a boundary species.
BOUNDARY_NOTE = "kg:boundary_exchange_of"
_METABOLITE_FIELDS = {"id", "name", "compartment", "formula", "boundary", "database"}
_REACTION_FIELDS = {"id", "name", "gene_rule", "lower_bound", "upper_bound", "objective_coefficient",
                    "objective_direction", "database"}


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _notes(row: pd.Series, fields: set[str]) -> dict[str, str]:
    """Attributes without a cobrapy field, JSON-encoded under ``kg:`` keys (missing values skipped)."""
    out = {}
    for name, value in row.items():
        if name in fields or _missing(value):
            continue
        if isinstance(value, (np.bool_, bool)):
            value = bool(value)
        elif isinstance(value, np.generic):
            value = value.item()
        out[f"kg:{name}"] = json.dumps(value)
    return out


def _clip_functions(cobra_ids: bool):
    from cobra.io.sbml import F_GENE, F_REACTION, F_REPLACE, F_SPECIE

    if not cobra_ids:
        return (lambda x: x), (lambda x: x), (lambda x: x)
    return F_REPLACE[F_SPECIE], F_REPLACE[F_REACTION], F_REPLACE[F_GENE]


def to_cobra(graph: KnowledgeGraph, *, cobra_ids: bool = True, model_id: str = "kg_model") -> "cobra.Model":
    """Build a :class:`cobra.Model` from an SBML-derived graph.

    Parameters
    ----------
    graph:
        A graph with ``metabolite`` and ``reaction`` nodes and
        ``(metabolite, participates_in, reaction)`` edges (as :func:`kg.sources.sbml.load` writes).
    cobra_ids:
        Clip the SBML ``M_`` / ``R_`` prefixes as :func:`cobra.io.read_sbml_model` does (default), so the
        model equals the one cobrapy reads from the same file; ``False`` keeps the graph's ids verbatim.
    model_id:
        Id of the returned model.

    Returns
    -------
    cobra.Model
        ``model.notes["kg:default_bounds"]`` counts the bounds the graph left unset (set to cobrapy's
        configured defaults).

    Raises
    ------
    kg.errors.SchemaError
        If the graph has no reaction nodes or no participation edges, or a stoichiometry is not positive.
    """
    import cobra

    if "reaction" not in graph.node_types or not graph.has_edge_type(PARTICIPATES):
        raise SchemaError("the graph holds no metabolic model: it needs 'reaction' nodes and "
                          f"{PARTICIPATES} edges; load an SBML file with kg.sources.sbml.load")
    f_met, f_rxn, f_gene = _clip_functions(cobra_ids)
    config = cobra.Configuration()
    model = cobra.Model(model_id)
    mets = graph.nodes("metabolite")
    met_objects = {}
    boundary = []
    for row in mets.to_dict("records"):
        m = cobra.Metabolite(f_met(row["id"]), name=None if _missing(row.get("name")) else row["name"],
                             compartment=None if _missing(row.get("compartment")) else row["compartment"],
                             formula=None if _missing(row.get("formula")) else row["formula"])
        m.notes = _notes(pd.Series(row), _METABOLITE_FIELDS)
        met_objects[row["id"]] = m
        if not _missing(row.get("boundary")) and bool(row["boundary"]):
            boundary.append(m)
    model.add_metabolites(list(met_objects.values()))

    edges = graph.edges(PARTICIPATES)
    bad = edges[(edges["role"] != "modifier") & ~(edges["stoichiometry"] > 0)]
    if len(bad):
        raise SchemaError(f"{len(bad)} participation edge(s) have a stoichiometry that is not positive "
                          f"(e.g. {bad['source'].iloc[0]} in {bad['target'].iloc[0]}); the sign is the role")
    sign = np.where(edges["role"] == "reactant", -1.0, 1.0)
    stoich: dict[str, dict] = {}
    modifiers: dict[str, list[str]] = {}
    for src, dst, role, value, s in zip(edges["source"], edges["target"], edges["role"], edges["stoichiometry"],
                                        sign):
        if role == "modifier":
            modifiers.setdefault(dst, []).append(src)
        else:
            stoich.setdefault(dst, {})[met_objects[src]] = s * float(value)

    unset = 0
    reactions = []
    objective = {}
    direction = "max"
    for row in graph.nodes("reaction").to_dict("records"):
        rid = row["id"]
        r = cobra.Reaction(f_rxn(rid), name=None if _missing(row.get("name")) else row["name"])
        lb, ub = row.get("lower_bound"), row.get("upper_bound")
        unset += _missing(lb) + _missing(ub)
        r.bounds = (config.lower_bound if _missing(lb) else float(lb), config.upper_bound if _missing(ub) else float(ub))
        r.add_metabolites(stoich.get(rid, {}))
        r.notes = _notes(pd.Series(row), _REACTION_FIELDS)
        for side, value, default in (("lower", lb, config.lower_bound), ("upper", ub, config.upper_bound)):
            if _missing(value):  # the file set no bound: cobrapy's default, remembered as unset
                r.notes[f"kg:unset_{side}_bound"] = json.dumps(default)
        rule = row.get("gene_rule")
        if not _missing(rule) and rule:
            r.gene_reaction_rule = " ".join(f_gene(t) if t not in ("and", "or") else t
                                            for t in rule.replace("(", " ( ").replace(")", " ) ").split())
            if r.gene_reaction_rule != rule:
                r.notes["kg:gene_rule_text"] = json.dumps(rule)
        if rid in modifiers:
            r.notes["kg:modifiers"] = json.dumps(modifiers[rid])
        coefficient = row.get("objective_coefficient")
        if not _missing(coefficient) and coefficient != 0:
            objective[r] = float(coefficient)
            if not _missing(row.get("objective_direction")):
                direction = row["objective_direction"]
        reactions.append(r)
    for m in boundary:
        ex = cobra.Reaction(f"EX_{m.id}", name=f"EX_{m.id}")
        ex.annotation = {"sbo": "SBO:0000627"}
        ex.bounds = (config.lower_bound, config.upper_bound)
        ex.add_metabolites({m: -1})
        ex.notes = {BOUNDARY_NOTE: json.dumps(m.id)}
        reactions.append(ex)
    model.add_reactions(reactions)
    if "gene" in graph.node_types:  # cobrapy collects genes through sets: fix their order to the graph's
        order = {f_gene(g): i for i, g in enumerate(graph.node_ids("gene"))}
        model.genes.sort(key=lambda gene: (order.get(gene.id, len(order)), gene.id))
    if objective:
        model.objective = {r: c for r, c in objective.items()}
        model.objective_direction = direction
    if graph.has_edge_type(MEMBER_OF):
        names = graph.nodes("pathway").set_index("id")["name"] if "name" in graph.nodes("pathway") else None
        members = graph.edges(MEMBER_OF)
        groups = []
        for pathway, block in members.groupby("target", sort=False):
            name = names[pathway] if names is not None and not _missing(names[pathway]) else pathway
            group = cobra.core.Group(pathway, name=str(name), kind="partonomy")
            group.add_members([model.reactions.get_by_id(f_rxn(x)) for x in block["source"]])
            groups.append(group)
        model.add_groups(groups)
        first = members.drop_duplicates("source").set_index("source")["target"]
        for rid, pathway in first.items():
            model.reactions.get_by_id(f_rxn(rid)).subsystem = str(
                names[pathway] if names is not None else pathway).strip()
    model.notes["kg:default_bounds"] = str(unset)
    model.notes["kg:metabolite_attributes"] = json.dumps([c for c in mets.columns if c not in ("id", "database")])
    model.notes["kg:reaction_attributes"] = json.dumps(
        [c for c in graph.nodes("reaction").columns if c not in ("id", "database")])
    return model


def _decode(notes: dict) -> dict:
    out = {}
    for key, value in (notes or {}).items():
        if key.startswith("kg:") and key not in (BOUNDARY_NOTE, "kg:modifiers", "kg:default_bounds",
                                                           "kg:gene_rule_text", "kg:unset_lower_bound",
                                                           "kg:unset_upper_bound"):
            try:
                out[key[3:]] = json.loads(value)
            except (TypeError, ValueError):
                out[key[3:]] = value
    return out


def from_cobra(model: "cobra.Model", *, database: str = "cobra") -> KnowledgeGraph:
    """Build an SBML-schema graph from a :class:`cobra.Model` (inverse of :func:`to_cobra`).

    Stoichiometry, bounds, objective (coefficients and direction), gene rules,
    subsystems (groups, else ``reaction.subsystem``) and the ``kg:`` notes
    written by :func:`to_cobra` are kept. Exchange reactions that :func:`to_cobra`
    added for boundary species become ``boundary=True`` again. ``database`` is
    the provenance written on every node and edge.
    """
    from cobra.core.gene import GPR

    from_graph = "kg:reaction_attributes" in (model.notes or {})
    met_columns = json.loads(model.notes.get("kg:metabolite_attributes", "[]"))
    rxn_columns = json.loads(model.notes.get("kg:reaction_attributes", "[]"))
    boundary_of = {r.id: json.loads(r.notes[BOUNDARY_NOTE]) for r in model.reactions
                   if BOUNDARY_NOTE in (r.notes or {})}
    boundary_mets = set(boundary_of.values())
    direction = model.objective_direction
    coefficients = {r.id: c for r, c in
                    ((r, r.objective_coefficient) for r in model.reactions) if c != 0}

    met_rows = []
    for m in model.metabolites:
        row = {"id": m.id, "name": m.name or None, "compartment": m.compartment or None,
               "formula": m.formula or None, "boundary": m.id in boundary_mets}
        row.update(_decode(m.notes))
        met_rows.append(row)
    rxn_rows, part, cat, member = [], [], [], []
    group_of: dict[str, list[tuple[str, str]]] = {}
    for group in model.groups:
        for member_obj in group.members:
            group_of.setdefault(member_obj.id, []).append((group.id, group.name or group.id))
    pathways: dict[str, str] = {}
    for r in model.reactions:
        if r.id in boundary_of:
            continue
        rule = r.gene_reaction_rule or None
        if "kg:gene_rule_text" in (r.notes or {}):
            written = json.loads(r.notes["kg:gene_rule_text"])
            if GPR.from_string(written).to_string() == rule:  # the rule as the file wrote it, if unchanged since
                rule = written
        row = {"id": r.id, "name": r.name or None, "gene_rule": rule,
               "lower_bound": float(r.lower_bound), "upper_bound": float(r.upper_bound),
               "objective_coefficient": float(coefficients.get(r.id, 0.0)),
               "objective_direction": direction if r.id in coefficients else None}
        for side in ("lower", "upper"):
            key = f"kg:unset_{side}_bound"
            if key in (r.notes or {}) and row[f"{side}_bound"] == json.loads(r.notes[key]):
                row[f"{side}_bound"] = np.nan  # still the default the file left unset
        extra = _decode(r.notes)
        if not from_graph:
            extra["reversible"] = bool(r.reversibility)
        row.update(extra)
        rxn_rows.append(row)
        for m, value in r.metabolites.items():
            part.append((m.id, r.id, "reactant" if value < 0 else "product", abs(float(value))))
        for m in json.loads(r.notes.get("kg:modifiers", "[]")):
            part.append((m, r.id, "modifier", np.nan))
        for gene in gene_rule_genes(rule or ""):
            cat.append((gene, r.id))
        if r.id in group_of:
            for gid, name in group_of[r.id]:
                member.append((r.id, gid))
                pathways.setdefault(gid, name)
        elif r.subsystem:
            pid = f"subsystem:{r.subsystem.strip()}"
            member.append((r.id, pid))
            pathways.setdefault(pid, r.subsystem.strip())

    g = KnowledgeGraph()
    mets = pd.DataFrame(met_rows)
    for c in met_columns:
        if c not in mets:
            mets[c] = None
    g.add_nodes("metabolite", mets["id"], database=database,
                **{c: mets[c].tolist() for c in mets.columns if c != "id"})
    rxns = pd.DataFrame(rxn_rows)
    for c in rxn_columns:
        if c not in rxns:
            rxns[c] = None
    g.add_nodes("reaction", rxns["id"], database=database,
                **{c: rxns[c].tolist() for c in rxns.columns if c != "id"})
    p = pd.DataFrame(part, columns=["source", "target", "role", "stoichiometry"])
    g.add_edges(PARTICIPATES, p["source"], p["target"], role=p["role"].tolist(),
                stoichiometry=p["stoichiometry"].tolist(), database=database)
    if cat:
        genes = list(dict.fromkeys(x for x, _ in cat))
        g.add_nodes("gene", genes, database=database)
        g.add_edges(CATALYZES, [x for x, _ in cat], [y for _, y in cat], database=database)
    if member:
        g.add_nodes("pathway", list(pathways), name=list(pathways.values()), database=database)
        g.add_edges(MEMBER_OF, [x for x, _ in member], [y for _, y in member], database=database)
    g.report.add(database, "read", "reactions (cobra model)", len(rxn_rows))
    g.report.add(database, "read", "metabolites (cobra model)", len(met_rows))
    return g
