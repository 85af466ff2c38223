"""Node types, relation vocabulary and the RDF namespace of the knowledge graph.

Node types and relations are plain lowercase identifiers. The built-in
vocabulary below is what the adapters and the BINN compiler rely on; other
identifiers are accepted so that third-party adapters can add their own.

Edge types are triples ``(src_type, relation, dst_type)``. Edges point from the
lower to the higher entity: protein ``member_of`` pathway, child pathway
``part_of`` parent pathway, snp ``affects`` gene.
"""

from __future__ import annotations

import re

from .errors import SchemaError

__all__ = [
    "NODE_TYPES",
    "RELATIONS",
    "HIERARCHY_RELATIONS",
    "SET_ATTRIBUTES",
    "PART_OF",
    "KG_NAMESPACE",
    "EdgeType",
    "check_node_type",
    "check_edge_type",
    "edge_type_key",
    "parse_edge_type_key",
]

EdgeType = tuple[str, str, str]

NODE_TYPES: tuple[str, ...] = (
    "snp",
    "gene",
    "protein",
    "metabolite",
    "reaction",
    "pathway",
    "peptide",
    "mirna",
)

RELATIONS: dict[str, str] = {
    "member_of": "entity (protein, gene, metabolite, mirna, reaction) belongs to a pathway",
    "part_of": "child pathway is part of (or is_a) parent pathway",
    "affects": "SNP affects a gene (eQTL or position window)",
    "encodes": "gene encodes protein",
    "participates_in": "metabolite is a reactant or product of a reaction",
    "catalyzes": "gene (product) catalyses a reaction",
    "cleaved_to": "protein or peptide is cleaved to a shorter peptide",
    "regulates": "signed regulation (signalling networks); sign +1 activates, -1 inhibits",
    "maps_to": "identifier of one namespace maps to an identifier of another",
}

#: Relations whose same-type edges must form a DAG (checked by ``validate``).
HIERARCHY_RELATIONS: frozenset[str] = frozenset({"part_of", "cleaved_to"})

#: The canonical pathway hierarchy edge type.
PART_OF: EdgeType = ("pathway", "part_of", "pathway")

#: Attributes holding a set of values joined by ``|`` (provenance). When nodes or
#: edges merge, their sets are united; for every other attribute the first
#: non-missing value wins.
SET_ATTRIBUTES: frozenset[str] = frozenset({"database", "version", "evidence"})

#: Namespace of the RDF view (see :mod:`kg.convert.rdf`).
KG_NAMESPACE = "https://w3id.org/binn-graph/kg#"

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def check_node_type(node_type: object) -> str:
    """Return ``node_type`` if it is a lowercase identifier, else raise SchemaError."""
    if not isinstance(node_type, str) or not _IDENTIFIER.match(node_type):
        raise SchemaError(
            f"node type {node_type!r} is not a lowercase identifier "
            f"(letters, digits, single underscores); built-in types are {', '.join(NODE_TYPES)}"
        )
    return node_type


def check_edge_type(edge_type: object) -> EdgeType:
    """Return ``edge_type`` as a ``(src_type, relation, dst_type)`` tuple or raise SchemaError."""
    if not isinstance(edge_type, (tuple, list)) or len(edge_type) != 3:
        raise SchemaError(
            f"edge type {edge_type!r} must be a triple (src_type, relation, dst_type), "
            "for example ('protein', 'member_of', 'pathway')"
        )
    src, rel, dst = edge_type
    check_node_type(src)
    check_node_type(dst)
    if not isinstance(rel, str) or not _IDENTIFIER.match(rel):
        raise SchemaError(f"relation {rel!r} in edge type {tuple(edge_type)!r} is not a lowercase identifier")
    return (src, rel, dst)


def edge_type_key(edge_type: EdgeType) -> str:
    """``('protein', 'member_of', 'pathway')`` -> ``'protein__member_of__pathway'``."""
    return "__".join(check_edge_type(edge_type))


def parse_edge_type_key(key: str) -> EdgeType:
    """Inverse of :func:`edge_type_key`."""
    parts = key.split("__")
    if len(parts) != 3:
        raise SchemaError(f"{key!r} is not an edge-type key of the form src__relation__dst")
    return check_edge_type(tuple(parts))
