"""Adapters that load pathway databases into a :class:`~kg.KnowledgeGraph`.

Each adapter is one module with a ``load(...) -> KnowledgeGraph`` function,
listed in :mod:`kg.sources.registry`. Third-party adapters register through the
``binn_graph.kg_sources`` entry-point group.
"""

from .registry import available, get, register

__all__ = ["available", "get", "register"]
