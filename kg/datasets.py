"""Paths of the public data bundled with the package (see ``kg/data/README.md`` for sources and licences)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["data_path", "reactome_files", "hgnc_file", "REACTOME_VERSION", "HGNC_VERSION"]

REACTOME_VERSION = "2025-01-14"
#: HGNC complete set as of late October 2024 (latest ``date_modified`` 2024-10-18), the source of ``hgnc_file()``.
HGNC_VERSION = "2024-10-18"


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


def hgnc_file() -> Path:
    """The bundled HGNC table (every approved human gene: symbol, name, UniProt, Ensembl and Entrez ids).

    Nine columns of HGNC's complete set (CC0, genenames.org; see ``kg/data/reference/README.md``), read by
    :func:`kg.sources.idmap.hgnc_table`.
    """
    return data_path("reference/hgnc_ids.tsv.gz")
