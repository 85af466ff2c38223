"""``binn-graph demo``: the main job on the bundled data.

Builds the knowledge graph from every bundled database (Reactome 2025 human,
MSigDB Hallmark, MitoCore SBML, the LiverDREAM signalling network), merges it
with provenance, validates it, saves it and exports Turtle and GraphML.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kg.datasets import REACTOME_VERSION, data_path, reactome_files
from kg.sources import gmt, reactome, sbml, sif

from .kg import export, info_text

__all__ = ["add_parser", "run_demo"]


def run_demo(output: str | Path, *, export_rdf: bool = True) -> Path:
    """Run the demo into directory ``output`` and return the saved graph's path."""
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    graph = reactome.load(**reactome_files(), version=REACTOME_VERSION)
    graph = graph.merge(gmt.load(data_path("genesets/h.all.v2022.1.Hs.symbols.gmt.gz"),
                                 database="msigdb_hallmark", version="2022.1"))
    graph = graph.merge(sbml.load(data_path("metabolic/mitocore_v1.01.xml.gz"), database="mitocore"))
    graph = graph.merge(sif.load(data_path("signalling/PKN-LiverDREAM.sif"), database="liverdream"))
    graph.validate().raise_if_invalid()
    graph.save(out / "kg")
    if export_rdf:
        export(graph, "ttl", out / "kg.ttl")
        export(graph, "graphml", out / "kg.graphml")
    print(info_text(graph))
    print(f"\nsaved {out / 'kg'}" + (f", {out / 'kg.ttl'} and {out / 'kg.graphml'}" if export_rdf else "")
          + f" in {time.perf_counter() - start:.1f} s")
    return out / "kg"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="build, validate and export the knowledge graph of the bundled data")
    parser.add_argument("-o", "--output", default="runs/demo", help="output directory (default runs/demo)")
    parser.add_argument("--no-rdf", action="store_true", help="skip the Turtle and GraphML exports")
    parser.set_defaults(func=lambda a: run_demo(a.output, export_rdf=not a.no_rdf) and 0)
