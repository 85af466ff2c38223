"""``binn-graph kg``: build, inspect and export knowledge graphs."""

from __future__ import annotations

import argparse
import inspect
import logging
from pathlib import Path

from kg import KnowledgeGraph
from kg.datasets import REACTOME_VERSION, reactome_files
from kg.errors import BinnGraphError, KGError, UsageError
from kg.sources import available, get

from ..io import ORIENTATION, check_orientation, read_matrix

__all__ = ["add_parser", "build_graph", "parse_source", "source_keys"]

logger = logging.getLogger(__name__)

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


def source_keys(name: str) -> tuple[list[str], list[str]]:
    """The ``key=value`` keys adapter ``name`` accepts, and those it requires."""
    try:
        params = inspect.signature(get(name)).parameters.values()
    except (TypeError, ValueError):  # a callable without a signature: accept anything
        return [], []
    keys = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return [p.name for p in keys], [p.name for p in keys if p.default is p.empty]


def _describe_keys(name: str) -> str:
    accepted, required = source_keys(name)
    text = f"{name} accepts " + " ".join(f"{k}=" for k in accepted)
    return text + (f" ({' '.join(k + '=' for k in required)} required)" if required else "")


def _load(name: str, kwargs: dict) -> KnowledgeGraph:
    loader = get(name)
    try:
        params = inspect.signature(loader).parameters.values()
    except (TypeError, ValueError):
        params = None
    if params is not None and not any(p.kind == p.VAR_KEYWORD for p in params):
        accepted, required = source_keys(name)
        unknown = [k for k in kwargs if k not in accepted]
        if unknown:
            raise UsageError(f"--source {name}: unknown key{'s' if len(unknown) > 1 else ''} "
                             f"{', '.join(k + '=' for k in unknown)}; {_describe_keys(name)}")
        absent = [k for k in required if k not in kwargs]
        if absent:
            raise UsageError(f"--source {name}: needs {' '.join(k + '=FILE' for k in absent)}; "
                             f"{_describe_keys(name)}")
    try:
        return loader(**kwargs)
    except BinnGraphError:
        raise
    except (TypeError, ValueError) as exc:  # a value of the wrong kind reached the adapter
        given = " ".join(f"{k}={v}" for k, v in kwargs.items())
        raise UsageError(f"--source {name} {given}: {exc}; {_describe_keys(name)}") from None


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
    features = read_feature_names(args) if args.features else None  # a bad matrix fails before the slow loads
    graph = None
    for name, kwargs in specs:
        part = _load(name, dict(kwargs))
        logger.info(f"loaded {name}: {part}")
        graph = part if graph is None else graph.merge(part)
    if features is not None:
        check_features(graph, features, args)
        graph = graph.restrict_to_features(list(features.columns), node_type=args.feature_type)
    if args.min_size is not None or args.max_size is not None:
        graph = graph.prune_pathways(args.min_size, args.max_size)
    return graph


def read_feature_names(args: argparse.Namespace):
    """The ``--features`` matrix (samples × features), read as every other command reads it."""
    return read_matrix(args.features, features_in_rows=args.features_in_rows)


def check_features(graph: KnowledgeGraph, frame, args: argparse.Namespace) -> int:
    """How many features of the ``--features`` matrix are nodes of ``graph``; refuse a transposed matrix, and one
    with no feature in the graph unless ``--allow-unmatched``."""
    known = graph.node_ids(args.feature_type)
    if not len(known):
        raise UsageError(f"--feature-type {args.feature_type}: the graph has no {args.feature_type!r} nodes; its node "
                         f"types are {', '.join(graph.node_types)}")
    matched = check_orientation(frame, known, path=args.features, what=f"{args.feature_type} nodes of the graph",
                                features_in_rows=args.features_in_rows, allow_none=args.allow_unmatched,
                                hint="; pass --allow-unmatched to write the graph anyway")
    if not matched:
        logger.warning(f"{args.features}: none of its {frame.shape[1]} features is a {args.feature_type} node of the "
                       "graph; writing it anyway (--allow-unmatched): it has no feature nodes left")
    else:
        logger.info(f"{args.features}: {matched} of its {frame.shape[1]} features are {args.feature_type} nodes "
                    "of the graph")
    return matched


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
    names = available()
    width = max(map(len, names))
    for name in names:
        accepted, required = source_keys(name)
        optional = [f"{k}=" for k in accepted if k not in required]
        keys = " ".join([f"{k}=..." for k in required] + ([f"[{' '.join(optional)}]"] if optional else []))
        print(f"{name:<{width}}  {keys}")
    return 0


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that name the databases a graph is built from (shared by ``kg build`` and ``train``)."""
    parser.add_argument("--bundled-reactome", action="store_true",
                        help="include the bundled human Reactome 2025 files (UniProt mapping)")
    parser.add_argument("--source", nargs="+", action="append", metavar="NAME_OR_KEY=VALUE",
                        help="an adapter and its arguments, e.g. --source reactome relations=R.txt mapping=U.txt "
                             "(binn-graph kg sources lists each adapter's keys); repeatable")
    for name in _SINGLE_PATH:
        parser.add_argument(f"--{name}", action="append", metavar="FILE",
                            help=f"shortcut for --source {name} path=FILE; repeatable")
    parser.add_argument("--features", metavar="MATRIX",
                        help=f"restrict the graph to the features of this CSV/TSV/parquet data matrix, read "
                             f"{ORIENTATION} (the same file as train --data); refused when no feature is a node "
                             "of the graph")
    parser.add_argument("--features-in-rows", action="store_true",
                        help="the --features matrix is features × samples (one row per feature, first column the "
                             "feature ids)")
    parser.add_argument("--allow-unmatched", action="store_true",
                        help="write the graph even when no feature of --features is a node of it")
    parser.add_argument("--feature-type", default="protein", help="node type of those features (default protein)")
    parser.add_argument("--min-size", type=int, help="prune pathways with fewer members (members re-attached upward)")
    parser.add_argument("--max-size", type=int, help="prune pathways with more members")


def add_parser(subparsers) -> None:
    """Register ``binn-graph kg`` and its subcommands."""
    kg_parser = subparsers.add_parser("kg", help="build, inspect and export knowledge graphs")
    sub = kg_parser.add_subparsers(dest="kg_command", required=True, metavar="COMMAND")
    build = sub.add_parser("build", help="build a saved graph from any combination of sources")
    add_source_arguments(build)
    build.add_argument("-o", "--output", required=True, help="output graph directory")
    build.set_defaults(func=_cmd_build)
    info = sub.add_parser("info", help="counts per type, provenance, validation and build report")
    info.add_argument("graph", help="saved graph directory")
    info.set_defaults(func=_cmd_info)
    exp = sub.add_parser("export", help="export a saved graph")
    exp.add_argument("graph", help="saved graph directory")
    exp.add_argument("--format", choices=EXPORT_FORMATS, default="ttl",
                     help="ttl (Turtle written one triple per line, fast; the default), ttl-pretty (Turtle with "
                          "prefixes, grouped by subject; slower), nt (N-Triples), "
                          "rdfxml (RDF/XML), graphml, or dir (the saved-graph directory format)")
    exp.add_argument("-o", "--output", required=True, help="output file (a directory for --format dir)")
    exp.set_defaults(func=_cmd_export)
    src = sub.add_parser("sources", help="list the available source adapters")
    src.set_defaults(func=_cmd_sources)
