"""GraphML export for Cytoscape, Gephi and yEd (via :func:`networkx.write_graphml`).

Node keys are ``"<node_type>:<id>"``; nodes carry ``node_type``, ``id`` and
their attributes, edges carry ``relation`` and their attributes (see
:mod:`kg.convert.networkx`). :func:`read_graphml` reads such a file back.
"""

from __future__ import annotations

from os import PathLike

import networkx as nx

from ..graph import KnowledgeGraph
from .networkx import from_networkx, to_networkx

__all__ = ["write_graphml", "read_graphml"]


def write_graphml(graph: KnowledgeGraph, path: str | PathLike) -> None:
    """Write ``graph`` as GraphML."""
    nx.write_graphml(to_networkx(graph), str(path))


def read_graphml(path: str | PathLike) -> KnowledgeGraph:
    """Read a GraphML file written by :func:`write_graphml`."""
    return from_networkx(nx.read_graphml(str(path), force_multigraph=True))
