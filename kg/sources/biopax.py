"""BioPAX level 3 (RDF/XML, as exported by Reactome and WikiPathways), read with rdflib.

* ``rdf:ID`` values that are not XML names (Pathway Commons writes ``+`` in
  them) are read as the equivalent ``rdf:about="#value"`` and counted in the
  report, as other BioPAX readers (paxtools, pybiopax) accept them;
* every ``bp:Pathway`` → a ``pathway`` node. Its id is the ``UnificationXref``
  of database Reactome (``R-HSA-…``) or WikiPathways (``WP…``) when present,
  else the local name of its IRI; ``bp:displayName`` is the name;
* ``bp:pathwayComponent`` (and ``bp:pathwayOrder/bp:stepProcess``) that are
  pathways → ``(pathway, part_of, pathway)`` edges, child → parent;
* participants of the pathway's own interactions (and of the controls, such
  as catalyses, of those interactions) (``left``, ``right``,
  ``participant``, ``controller``, ``product``, ``cofactor``, ``template``;
  complexes and entity sets expanded through ``component`` and
  ``memberPhysicalEntity``) → ``(protein, member_of, pathway)`` via their
  UniProt cross-reference and ``(metabolite, member_of, pathway)`` via ChEBI
  (ids ``CHEBI:<n>``). Entities with neither are counted in the report.

This is the lowest-level view, like Reactome's ``UniProt2Reactome`` file:
an entity is a member of the pathways whose own interactions it takes part in.
Specification: https://www.biopax.org/release/biopax-level3-documentation.pdf
"""

from __future__ import annotations

import re
from collections import defaultdict
from os import PathLike
from urllib.parse import quote

import rdflib
from rdflib import RDF, Namespace

from ..convert.rdf import parse_rdf_file
from ..errors import HierarchyCycleError, InputFormatError
from ..graph import KnowledgeGraph
from ..readers import read_bytes
from ..schema import PART_OF

__all__ = ["load", "BP"]

BP = Namespace("http://www.biopax.org/release/biopax-level3.owl#")
_PARTICIPANT = ("left", "right", "participant", "controller", "product", "cofactor", "template")
_PATHWAY_DBS = ("reactome", "wikipathways")
_INTERACTIONS = {"Interaction", "Conversion", "BiochemicalReaction", "Control", "Catalysis", "Modulation",
                 "TemplateReactionRegulation", "MolecularInteraction", "GeneticInteraction", "TemplateReaction",
                 "ComplexAssembly", "Transport", "TransportWithBiochemicalReaction", "Degradation"}
_UNIPROT = ("uniprot", "uniprot knowledgebase", "uniprotkb", "uniprot isoform", "swiss-prot")


def _local(iri) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


_RDF_ID = re.compile(rb'(\srdf:ID\s*=\s*)(["\'])(.*?)\2', re.DOTALL)
_NCNAME = re.compile(r"^[^\W\d][\w.\-]*$")


def _repair_rdf_ids(data: bytes) -> tuple[bytes, list[str]]:
    """Rewrite ``rdf:ID`` values that are not XML NCNames as the equivalent ``rdf:about="#value"``.

    Pathway Commons writes ids such as ``RelationshipXref_nucleotide+genbank+identifier_899458``;
    RDF/XML requires an NCName there, but ``rdf:ID="x"`` means exactly ``rdf:about="#x"`` (same
    base IRI), and paxtools, pybiopax and Jena accept these files. Returns the bytes and the
    rewritten values.
    """
    fixed: list[str] = []

    def sub(match: re.Match) -> bytes:
        value = match.group(3).decode("utf-8", "replace")
        if _NCNAME.match(value):
            return match.group(0)
        fixed.append(value)
        iri = "#" + quote(value, safe="+-._~!$&'()*,;=:@/%")
        return match.group(1).replace(b"rdf:ID", b"rdf:about") + b'"' + iri.encode() + b'"'

    return _RDF_ID.sub(sub, data), fixed


def load(path: str | PathLike, *, database: str = "biopax", format: str | None = None) -> KnowledgeGraph:
    """Load a BioPAX level 3 file (see the module docstring)."""
    data, repaired = read_bytes(path), []
    if (format or "xml") == "xml" and b"rdf:ID" in data:
        data, repaired = _repair_rdf_ids(data)
    rdf: rdflib.Graph = parse_rdf_file(path, format=format or "xml", data=data)
    types = defaultdict(set)
    for s, o in rdf.subject_objects(RDF.type):
        if str(o).startswith(str(BP)):
            types[s].add(_local(o))
    pathways = [s for s, t in types.items() if "Pathway" in t]
    if not types:
        raise InputFormatError("no BioPAX level 3 classes found (namespace " + str(BP) + "); BioPAX level 2 "
                               "files must be converted to level 3 first (e.g. with paxtools)", path=path)

    def objects(s, name):
        return list(rdf.objects(s, BP[name]))

    def xrefs(s):
        out = []
        for x in objects(s, "xref"):
            if "UnificationXref" not in types.get(x, set()):
                continue
            db, xid = rdf.value(x, BP.db), rdf.value(x, BP.id)
            if db is not None and xid is not None:
                out.append((str(db).strip().lower(), str(xid).strip()))
        return out

    pathway_id = {}
    for p in pathways:
        ids = [xid for db, xid in xrefs(p) if db in _PATHWAY_DBS and xid.startswith(("R-", "WP"))]
        pathway_id[p] = ids[0] if ids else _local(p)

    def entity_ids(entity, seen) -> set[tuple[str, str]]:
        if entity in seen:
            return set()
        seen.add(entity)
        found = set()
        for part in objects(entity, "component") + objects(entity, "memberPhysicalEntity"):
            found |= entity_ids(part, seen)
        for ref in objects(entity, "entityReference"):
            for member in objects(ref, "memberEntityReference"):
                found |= _reference_ids(member)
            found |= _reference_ids(ref)
        return found

    def _reference_ids(ref) -> set[tuple[str, str]]:
        out = set()
        for db, xid in xrefs(ref):
            if db in _UNIPROT:
                out.add(("protein", xid))
            elif db == "chebi":
                out.add(("metabolite", xid if xid.upper().startswith("CHEBI:") else f"CHEBI:{xid}"))
        return out

    g = KnowledgeGraph()
    names = [str(rdf.value(p, BP.displayName) or rdf.value(p, BP.standardName) or "") or None for p in pathways]
    g.add_nodes("pathway", [pathway_id[p] for p in pathways], name=names, database=database)
    children, parents = [], []
    members: dict[str, tuple[list, list]] = {"protein": ([], []), "metabolite": ([], [])}
    unmapped: set = set()
    pathway_set = set(pathways)
    reached: set = set()
    for p in pathways:
        components = objects(p, "pathwayComponent")
        for step in objects(p, "pathwayOrder"):
            components += objects(step, "stepProcess")
        for c in dict.fromkeys(components):
            if c in pathway_set:
                children.append(pathway_id[c])
                parents.append(pathway_id[p])
                continue
            queue, seen_int = [c], set()
            while queue:
                interaction = queue.pop()
                if interaction in seen_int:
                    continue
                seen_int.add(interaction)
                for rel in _PARTICIPANT:
                    for ent in objects(interaction, rel):
                        ids = entity_ids(ent, set())
                        if not ids:
                            unmapped.add(ent)
                        for etype, eid in sorted(ids):
                            members[etype][0].append(eid)
                            members[etype][1].append(pathway_id[p])
                reached.add(interaction)
                queue.extend(x for x in objects(interaction, "controlled") if x not in pathway_set)
                queue.extend(rdf.subjects(BP.controlled, interaction))  # its catalyses and modulations
    if children:
        g.add_edges(PART_OF, children, parents, database=database)
        cyc = g.cycle_nodes(PART_OF)
        if cyc:
            raise HierarchyCycleError(f"pathwayComponent cycle through {', '.join(cyc[:10])}; a pathway cannot "
                                      "contain itself, check those pathways' components", path=path,
                                      record=f"pathway {cyc[0]}", nodes=cyc)
    for etype, (src, dst) in members.items():
        if src:
            g.add_nodes(etype, list(dict.fromkeys(src)), database=database)
            g.add_edges((etype, "member_of", "pathway"), src, dst, database=database)
    g.report.add(database, "read", "BioPAX pathways", len(pathways), path=path)
    g.report.add(database, "note", "rdf:ID values that are not XML names, read as rdf:about=\"#value\"",
                 len(repaired), "as written by Pathway Commons; the same resource IRIs", path=path,
                 examples=repaired)
    orphans = sorted(_local(s) for s, t in types.items() if t & _INTERACTIONS and s not in reached)
    g.report.add(database, "dropped", "interactions in no pathway", len(orphans),
                 "only pathway membership is loaded (a query result or interaction network has no bp:Pathway)",
                 path=path, examples=orphans[:5])
    g.report.add(database, "dropped", "participants without a UniProt or ChEBI cross-reference", len(unmapped),
                 "no identifier to make a protein or metabolite node from", path=path,
                 examples=sorted(_local(u) for u in unmapped)[:5])
    return g
