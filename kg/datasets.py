"""Paths of the public data bundled with the package (see ``kg/data/README.md`` for sources and licences)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["data_path", "reactome_files", "REACTOME_VERSION"]

REACTOME_VERSION = "2025-01-14"


def data_path(relative: str) -> Path:
    """Absolute path of a bundled data file, e.g. ``data_path("genesets/h.all.v2022.1.Hs.symbols.gmt.gz")``."""
    path = Path(str(files("kg").joinpath("data", relative)))
    if not path.exists():
        raise FileNotFoundError(f"no bundled data file {relative!r} (looked in {path.parent})")
    return path


def reactome_files() -> dict[str, Path]:
    """The bundled human Reactome files as keyword arguments of :func:`kg.sources.reactome.load`."""
    return {
        "relations": data_path("reactome/ReactomePathwaysRelation.human.txt.gz"),
        "mapping": data_path("reactome/UniProt2Reactome.human.txt.gz"),
        "names": data_path("reactome/ReactomePathways.human.txt.gz"),
    }
