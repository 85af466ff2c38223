"""``binn-graph kg``: build, inspect and export knowledge graphs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from kg import KnowledgeGraph
from kg.datasets import REACTOME_VERSION, reactome_files
from kg.errors import KGError
from kg.sources import available, get

__all__ = ["add_parser", "build_graph", "parse_source"]

_SINGLE_PATH = {"gmt": "path", "sbml": "path", "sif": "path", "biopax": "path", "eqtl": "path"}
EXPORT_FORMATS = ("ttl", "ttl-pretty", "nt", "rdfxml", "graphml", "dir")


def parse_source(tokens: list[str]) -> tuple[str, dict]:
    """``["reactome", "relations=a.txt", "mapping=b.txt,c.txt"]`` -> ``("reactome", {...})``.

    Values with commas become lists; ``true``/``false`` and numbers are converted.
    """
    if not tokens:
        raise KGError("--source needs an adapter name, e.g. --source gmt path=sets.gmt")
    name, kwargs = tokens[0], {}
    for token in tokens[1:]:
        key, sep, value = token.partition("=")
        if not sep or not key:
            raise KGError(f"--source {name}: expected key=value, got {token!r}")
        kwargs[key] = _convert(value)
    return name, kwargs


def _convert(value: str):
    if "," in value:
        return [_convert(v) for v in value.split(",") if v]
    if value.lower() in {"true", "false"}:
        return value.lower() == "true"
    if value.lower() == "none":
        return None
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def _load(name: str, kwargs: dict) -> KnowledgeGraph:
    loader = get(name)
    positional = []
    if name in _SINGLE_PATH and _SINGLE_PATH[name] in kwargs:
        positional.append(kwargs.pop(_SINGLE_PATH[name]))
    return loader(*positional, **kwargs)


def build_graph(args: argparse.Namespace) -> KnowledgeGraph:
    """Load and merge every requested source, then restrict and prune as asked."""
    specs: list[tuple[str, dict]] = []
    if args.bundled_reactome:
        specs.append(("reactome", {**{k: str(v) for k, v in reactome_files().items()},
                                   "version": REACTOME_VERSION}))
    for tokens in args.source or []:
        specs.append(parse_source(tokens))
    for name in _SINGLE_PATH:
        for path in getattr(args, name, None) or []:
            specs.append((name, {"path": path}))
    if not specs:
        raise KGError("no sources given; use --bundled-reactome, --source NAME key=value ..., or --gmt/--sbml/...")
    graph = None
    for name, kwargs in specs:
        part = _load(name, dict(kwargs))
        print(f"loaded {name}: {part}", file=sys.stderr)
        graph = part if graph is None else graph.merge(part)
    if args.features:
        features = _read_feature_names(args.features)
        graph = graph.restrict_to_features(features, node_type=args.feature_type)
    if args.min_size is not None or args.max_size is not None:
        graph = graph.prune_pathways(args.min_size, args.max_size)
    return graph


def _read_feature_names(path: str) -> list[str]:
    """Feature ids of a data matrix: its first column's values (e.g. ``Protein``) when it is non-numeric."""
    sep = "\t" if path.endswith((".tsv", ".tsv.gz", ".txt")) else ","
    frame = pd.read_csv(path, sep=sep, nrows=None, usecols=[0], dtype=str)
    return frame.iloc[:, 0].dropna().tolist()


def _cmd_build(args: argparse.Namespace) -> int:
    graph = build_graph(args)
    report = graph.validate()
    graph.save(args.output)
    print(graph)
    print(f"validation: {report}")
    print(f"saved to {args.output}")
    return 0 if report.ok else 1


def info_text(graph: KnowledgeGraph) -> str:
    """The text ``binn-graph kg info`` prints: counts, provenance, validation and build report."""
    lines = [repr(graph), "", graph.summary().to_string(index=False), "", f"validation: {graph.validate()}", "",
             "build report:", str(graph.report)]
    return "\n".join(lines)


def _cmd_info(args: argparse.Namespace) -> int:
    print(info_text(KnowledgeGraph.load(args.graph)))
    return 0


def export(graph: KnowledgeGraph, fmt: str, output: str | Path) -> None:
    """Write ``graph`` to ``output`` in one of :data:`EXPORT_FORMATS`."""
    from kg.convert.rdf import to_rdf, write_turtle

    if fmt in {"ttl", "ttl-pretty"}:
        write_turtle(graph, output, pretty=fmt == "ttl-pretty")
    elif fmt == "nt":
        Path(output).write_text(to_rdf(graph).serialize(format="nt"), encoding="utf-8")
    elif fmt == "rdfxml":
        Path(output).write_text(to_rdf(graph).serialize(format="xml"), encoding="utf-8")
    elif fmt == "graphml":
        graph.to_graphml(output)
    elif fmt == "dir":
        graph.save(output)
    else:
        raise KGError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")


def _cmd_export(args: argparse.Namespace) -> int:
    graph = KnowledgeGraph.load(args.graph)
    export(graph, args.format, args.output)
    print(f"wrote {args.format} to {args.output}")
    return 0


def _cmd_sources(args: argparse.Namespace) -> int:
    print("\n".join(available()))
    return 0


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bundled-reactome", action="store_true",
                        help="include the bundled human Reactome 2025 files (UniProt mapping)")
    parser.add_argument("--source", nargs="+", action="append", metavar="NAME_OR_KEY=VALUE",
                        help="an adapter and its arguments, e.g. --source reactome relations=R.txt mapping=U.txt "
                             "(see `binn-graph kg sources`); repeatable")
    for name in _SINGLE_PATH:
        parser.add_argument(f"--{name}", action="append", metavar="FILE", help=f"shortcut for --source {name} path=FILE")
    parser.add_argument("--features", metavar="MATRIX",
                        help="restrict to the features (first column) of this CSV/TSV data matrix")
    parser.add_argument("--feature-type", default="protein", help="node type of those features (default protein)")
    parser.add_argument("--min-size", type=int, help="prune pathways with fewer members (members re-attached upward)")
    parser.add_argument("--max-size", type=int, help="prune pathways with more members")


def add_parser(subparsers) -> None:
    kg_parser = subparsers.add_parser("kg", help="build, inspect and export knowledge graphs")
    sub = kg_parser.add_subparsers(dest="kg_command", required=True)
    build = sub.add_parser("build", help="build a saved graph from any combination of sources")
    add_source_arguments(build)
    build.add_argument("-o", "--output", required=True, help="output graph directory")
    build.set_defaults(func=_cmd_build)
    info = sub.add_parser("info", help="counts per type, provenance, validation and build report")
    info.add_argument("graph", help="saved graph directory")
    info.set_defaults(func=_cmd_info)
    exp = sub.add_parser("export", help="export a saved graph")
    exp.add_argument("graph", help="saved graph directory")
    exp.add_argument("--format", choices=EXPORT_FORMATS, default="ttl")
    exp.add_argument("-o", "--output", required=True)
    exp.set_defaults(func=_cmd_export)
    src = sub.add_parser("sources", help="list the available source adapters")
    src.set_defaults(func=_cmd_sources)
