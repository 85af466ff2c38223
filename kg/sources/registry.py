"""Registry of source adapters.

An adapter is any callable ``load(...) -> KnowledgeGraph``. Built-in adapters
are registered here by name; third-party packages add theirs through the
entry-point group ``binn_graph.kg_sources``::

    # pyproject.toml of the third-party package
    [project.entry-points."binn_graph.kg_sources"]
    mydb = "mydb_adapter:load"

See ``docs/write-your-own-adapter.md``.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Callable

from ..errors import UnknownSourceError

__all__ = ["ENTRY_POINT_GROUP", "register", "get", "available"]

ENTRY_POINT_GROUP = "binn_graph.kg_sources"

#: name -> "module:function" for the built-in adapters (imported lazily).
_BUILTIN: dict[str, str] = {
    "reactome": "kg.sources.reactome:load",
    "gmt": "kg.sources.gmt:load",
    "biopax": "kg.sources.biopax:load",
    "go": "kg.sources.go:load",
    "kegg_kgml": "kg.sources.kegg:load_kgml",
    "kegg_rest": "kg.sources.kegg:load_rest",
    "sbml": "kg.sources.sbml:load",
    "sif": "kg.sources.sif:load",
    "lembas": "kg.sources.lembas:load",
    "eqtl": "kg.sources.eqtl:load",
    "snp_windows": "kg.sources.eqtl:load_windows",
    "idmap": "kg.sources.idmap:load",
}

_registered: dict[str, Callable] = {}


def register(name: str, loader: Callable | None = None):
    """Register ``loader`` under ``name``; usable as a decorator (``@register("mydb")``)."""

    def _do(func: Callable) -> Callable:
        _registered[name] = func
        return func

    return _do(loader) if loader is not None else _do


def _entry_points() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available() -> list[str]:
    """Names of every adapter: built-in, registered at run time and installed through entry points."""
    return sorted(set(_BUILTIN) | set(_registered) | set(_entry_points()))


def get(name: str) -> Callable:
    """Return the adapter registered under ``name``."""
    if name in _registered:
        return _registered[name]
    if name in _BUILTIN:
        module, func = _BUILTIN[name].split(":")
        return getattr(import_module(module), func)
    eps = _entry_points()
    if name in eps:
        return eps[name].load()
    raise UnknownSourceError(f"no knowledge-graph source named {name!r}; available: {', '.join(available())}")
