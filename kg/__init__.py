"""kg: a typed heterogeneous knowledge graph of biological entities.

The graph is loaded from pathway databases through adapters in
:mod:`kg.sources`, merged with provenance, and converted to networkx, PyTorch
Geometric ``HeteroData``, RDF and a fast directory format (:mod:`kg.convert`).
Reachability, closure, cycles and levels on sparse adjacency matrices live in
:mod:`kg.algorithms`. :mod:`kg` knows nothing of neural networks.
"""

from . import algorithms
from .errors import KGError
from .graph import KnowledgeGraph, ValidationReport
from .report import BuildReport
from .schema import KG_NAMESPACE, NODE_TYPES, PART_OF, RELATIONS

__all__ = [
    "algorithms",
    "KnowledgeGraph",
    "ValidationReport",
    "BuildReport",
    "KGError",
    "NODE_TYPES",
    "RELATIONS",
    "PART_OF",
    "KG_NAMESPACE",
]

__version__ = "0.1.0"
