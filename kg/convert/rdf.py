"""RDF view of a KnowledgeGraph (rdflib), with a lossless Turtle round trip.

Namespace
---------
All IRIs live under ``BASE = https://w3id.org/binn-graph/kg/``:

============================================================  ======================================================
IRI                                                           meaning
============================================================  ======================================================
``BASE node/{type}/{id}``                                     a node (``id`` percent-encoded, ``/`` included)
``BASE type/{type}``                                          the class of nodes of ``type`` (``rdf:type``)
``BASE relation/{relation}``                                  predicate of an edge: ``<src node> relation <dst node>``
``BASE edge/{src_type}/{relation}/{dst_type}/{src}/{dst}``    subject carrying the edge's attributes
``BASE attr/{name}``                                          predicate of a node or edge attribute
``BASE vocab#id``                                             the node id as a plain literal
``BASE vocab#metadata``                                       subject ``BASE graph`` holds JSON literals
                                                              ``vocab#dtypes``, ``vocab#types`` and ``vocab#report``
============================================================  ======================================================

Attribute literals are typed: ``str`` → plain string, ``float64`` →
``xsd:double``, ``Int64`` → ``xsd:integer``, ``boolean`` → ``xsd:boolean``.
Missing values have no triple. An edge with no attributes has only its
``relation`` triple.

Turtle
------
:func:`write_turtle` writes through rdflib's N-Triples serializer by default,
which is valid Turtle (N-Triples is a subset of Turtle) and much faster than
rdflib's pretty Turtle serializer on a full Reactome graph (benchmarks/RESULTS.md);
``pretty=True`` uses the pretty serializer with prefixes.
"""

from __future__ import annotations

import json
import math
import re
from os import PathLike
from pathlib import Path
from urllib.parse import quote, unquote

import numpy as np
import pandas as pd
import rdflib
from rdflib import RDF, XSD, Literal, Namespace, URIRef

from .._columns import DTYPE_NAMES, coerce, collapse_duplicates, dtype_name
from ..errors import EncodingError, RDFParseError, SchemaError
from ..graph import KnowledgeGraph
from ..readers import check_xml_safe, read_bytes
from ..report import BuildReport
from ..schema import KG_NAMESPACE, check_edge_type, check_node_type, edge_type_key

__all__ = ["BASE", "VOCAB", "to_rdf", "from_rdf", "write_turtle", "node_iri"]

BASE = KG_NAMESPACE
VOCAB = Namespace(BASE + "vocab#")
_NODE = BASE + "node/"
_TYPE = BASE + "type/"
_REL = BASE + "relation/"
_EDGE = BASE + "edge/"
_ATTR = BASE + "attr/"
_GRAPH = URIRef(BASE + "graph")
_DATATYPE = {"float64": XSD.double, "Int64": XSD.integer, "boolean": XSD.boolean}


def _q(value: str) -> str:
    return quote(value, safe="")


def node_iri(node_type: str, node_id: str) -> URIRef:
    """IRI of a node."""
    return URIRef(f"{_NODE}{node_type}/{_q(node_id)}")


def _literals(series: pd.Series) -> list:
    name = dtype_name(series.dtype)
    values = series.astype(object).where(series.notna(), None).tolist()
    if name == "str":
        return [None if v is None else Literal(v) for v in values]
    if name == "float64":
        return [None if v is None or (isinstance(v, float) and math.isnan(v)) else
                Literal(repr(float(v)) if math.isfinite(v) else ("INF" if v > 0 else "-INF"),
                        datatype=XSD.double) for v in values]
    if name == "Int64":
        return [None if v is None else Literal(int(v), datatype=XSD.integer) for v in values]
    return [None if v is None else Literal(bool(v), datatype=XSD.boolean) for v in values]


def to_rdf(graph: KnowledgeGraph) -> rdflib.Graph:
    """Return an rdflib Graph using the namespace documented in this module."""
    out = rdflib.Graph()
    out.bind("kgv", VOCAB)
    out.bind("kga", Namespace(_ATTR))
    out.bind("kgr", Namespace(_REL))
    out.bind("kgt", Namespace(_TYPE))
    dtypes: dict[str, dict] = {"nodes": {}, "edges": {}}
    triples: list = []
    for t in graph.node_types:
        table = graph.nodes(t)
        dtypes["nodes"][t] = {c: dtype_name(table[c].dtype) for c in table.columns}
        iris = [node_iri(t, i) for i in table["id"]]
        cls = URIRef(_TYPE + t)
        triples.extend((s, RDF.type, cls) for s in iris)
        triples.extend((s, VOCAB.id, Literal(i)) for s, i in zip(iris, table["id"]))
        for col in table.columns[1:]:
            pred = URIRef(_ATTR + col)
            triples.extend((s, pred, o) for s, o in zip(iris, _literals(table[col])) if o is not None)
    for et in graph.edge_types:
        table = graph.edges(et)
        dtypes["edges"][edge_type_key(et)] = {c: dtype_name(table[c].dtype) for c in table.columns}
        src = [node_iri(et[0], s) for s in table["source"]]
        dst = [node_iri(et[2], d) for d in table["target"]]
        pred = URIRef(_REL + et[1])
        triples.extend((s, pred, d) for s, d in zip(src, dst))
        if len(table.columns) > 2:
            prefix = f"{_EDGE}{et[0]}/{et[1]}/{et[2]}/"
            subjects = [URIRef(f"{prefix}{_q(s)}/{_q(d)}") for s, d in zip(table["source"], table["target"])]
            for col in table.columns[2:]:
                p = URIRef(_ATTR + col)
                triples.extend((s, p, o) for s, o in zip(subjects, _literals(table[col])) if o is not None)
    triples.append((_GRAPH, RDF.type, VOCAB.metadata))
    triples.append((_GRAPH, VOCAB.dtypes, Literal(json.dumps(dtypes))))
    triples.append((_GRAPH, VOCAB.types, Literal(json.dumps(
        {"nodes": graph.node_types, "edges": [list(e) for e in graph.edge_types]}))))
    triples.append((_GRAPH, VOCAB.report, Literal(json.dumps(graph.report.to_records()))))
    out.addN((s, p, o, out) for s, p, o in triples)
    return out


def write_turtle(graph: KnowledgeGraph, path: str | PathLike, *, pretty: bool = False) -> None:
    """Write ``graph`` as Turtle (see the module docstring about ``pretty``)."""
    rdf = to_rdf(graph)
    Path(path).write_text(rdf.serialize(format="turtle" if pretty else "nt"), encoding="utf-8")


_FORMATS = {".ttl": "turtle", ".nt": "nt", ".n3": "n3", ".rdf": "xml", ".owl": "xml", ".xml": "xml",
            ".jsonld": "json-ld", ".trig": "trig", ".nq": "nquads"}


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _check_utf8(data: bytes, path) -> None:
    """XML declared (or defaulting to) UTF-8 must decode as UTF-8; say which line does not."""
    declared = _XML_ENCODING.match(data[:200])
    if declared and declared.group(1).decode().lower().replace("_", "-") not in {"utf-8", "utf8"}:
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EncodingError(
            f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8, although the XML is "
            "declared (or defaults to) UTF-8; convert the file (e.g. iconv -f latin1 -t utf-8) or fix its "
            "encoding declaration", path=path, line=line) from None


def parse_rdf_file(path: str | PathLike, format: str | None = None, *, data: bytes | None = None) -> rdflib.Graph:
    """Parse an RDF file (plain or gzipped) safely; raise RDFParseError if it is not RDF.

    ``data`` replaces the file's (decompressed) bytes when given, for callers
    that repair a known variant first; ``path`` still names the file in errors.
    """
    p = Path(path)
    if data is None:
        data = read_bytes(p)
    suffixes = [s.lower() for s in p.suffixes if s.lower() not in {".gz", ".gzip"}]
    fmt = format or next((_FORMATS[s] for s in reversed(suffixes) if s in _FORMATS), None)
    if fmt is None:
        fmt = "xml" if data.lstrip()[:1] == b"<" else "turtle"
    if fmt == "xml":
        check_xml_safe(data, p)
        _check_utf8(data, p)
    if not data.strip():
        raise RDFParseError(f"empty {fmt} file", path=p)
    out = rdflib.Graph()
    try:
        out.parse(data=data, format=fmt)
    except Exception as exc:  # rdflib raises many unrelated types for syntax errors
        line = getattr(exc, "lines", None) or getattr(exc, "line", None)
        text = str(exc).strip()
        if not isinstance(line, int):  # the XML parser writes "<source>:<line>:<column>: message"
            match = re.match(r"^\S*?:(\d+):\d+:\s*", text)
            line = int(match.group(1)) if match else None
            text = text[match.end():] if match else text
        raise RDFParseError(
            f"not valid RDF in {fmt} syntax ({type(exc).__name__}: {text[:300]}); check the file with an RDF "
            f"validator, or give format= if it is not {fmt}",
            path=p, line=line,
        ) from None
    return out


def from_rdf(graph_or_path: rdflib.Graph | str | PathLike, format: str | None = None) -> KnowledgeGraph:
    """Rebuild a KnowledgeGraph from RDF written by :func:`to_rdf` (a Graph or a file path)."""
    if isinstance(graph_or_path, rdflib.Graph):
        rdf, where = graph_or_path, "<rdflib.Graph>"
    else:
        rdf, where = parse_rdf_file(graph_or_path, format), str(graph_or_path)
    meta_dtypes = rdf.value(_GRAPH, VOCAB.dtypes)
    meta_types = rdf.value(_GRAPH, VOCAB.types)
    meta_report = rdf.value(_GRAPH, VOCAB.report)
    dtypes = json.loads(str(meta_dtypes)) if meta_dtypes is not None else {"nodes": {}, "edges": {}}
    types = json.loads(str(meta_types)) if meta_types is not None else {"nodes": [], "edges": []}

    node_cols: dict[str, dict[str, dict[str, object]]] = {}
    node_seen: dict[str, dict[str, None]] = {}
    edge_pairs: dict[tuple, list[tuple[str, str]]] = {}
    edge_cols: dict[tuple, dict[str, dict[tuple[str, str], object]]] = {}
    n_node, n_edge = len(_NODE), len(_EDGE)
    for s, p, o in rdf:
        s_str, p_str = str(s), str(p)
        if s_str.startswith(_NODE):
            t, _, qid = s_str[n_node:].partition("/")
            node_id = unquote(qid)
            node_seen.setdefault(t, {})[node_id] = None
            if p_str.startswith(_ATTR):
                node_cols.setdefault(t, {}).setdefault(p_str[len(_ATTR):], {})[node_id] = o.toPython()
            elif p_str.startswith(_REL):
                o_str = str(o)
                if not o_str.startswith(_NODE):
                    raise RDFParseError(f"edge object {o_str!r} is not a {_NODE} node IRI", path=where)
                dt, _, qdst = o_str[n_node:].partition("/")
                edge_pairs.setdefault((t, p_str[len(_REL):], dt), []).append((node_id, unquote(qdst)))
        elif s_str.startswith(_EDGE) and p_str.startswith(_ATTR):
            parts = s_str[n_edge:].split("/")
            if len(parts) != 5:
                raise RDFParseError(f"malformed edge IRI {s_str!r}", path=where)
            et = tuple(parts[:3])
            key = (unquote(parts[3]), unquote(parts[4]))
            edge_cols.setdefault(et, {}).setdefault(p_str[len(_ATTR):], {})[key] = o.toPython()
    if not node_seen and meta_dtypes is None:
        raise RDFParseError(f"no binn-graph nodes (IRIs under {_NODE}) found in the RDF", path=where)

    nodes, edges = {}, {}
    for t in list(dict.fromkeys([*types["nodes"], *node_seen])):
        check_node_type(t)
        ids = sorted(node_seen.get(t, {}))
        cols = dtypes["nodes"].get(t) or {"id": "str", **{c: None for c in node_cols.get(t, {})}}
        data = {"id": pd.Series(ids, dtype=DTYPE_NAMES["str"])}
        for c, dt in cols.items():
            if c == "id":
                continue
            values = node_cols.get(t, {}).get(c, {})
            data[c] = _column([values.get(i) for i in ids], dt, c)
        nodes[t] = pd.DataFrame(data)
    for et in list(dict.fromkeys([*(tuple(e) for e in types["edges"]), *edge_pairs, *edge_cols])):
        et = check_edge_type(et)
        pairs = sorted(set(edge_pairs.get(et, [])))
        cols = dtypes["edges"].get(edge_type_key(et)) or {
            "source": "str", "target": "str", **{c: None for c in edge_cols.get(et, {})}}
        data = {"source": pd.Series([a for a, _ in pairs], dtype=DTYPE_NAMES["str"]),
                "target": pd.Series([b for _, b in pairs], dtype=DTYPE_NAMES["str"])}
        for c, dt in cols.items():
            if c in ("source", "target"):
                continue
            values = edge_cols.get(et, {}).get(c, {})
            data[c] = _column([values.get(k) for k in pairs], dt, c)
        edges[et], _ = collapse_duplicates(pd.DataFrame(data), ["source", "target"])
    build = None if meta_report is None else BuildReport.from_records(json.loads(str(meta_report)))
    g = KnowledgeGraph.from_tables(nodes, edges, report=build, validate=False)
    report = g.validate()
    if not report.ok:
        raise RDFParseError(f"the RDF describes an invalid graph: {report}", path=where)
    return g


def _column(values: list, dtype: str | None, name: str) -> pd.Series:
    if dtype is None:
        return coerce(pd.Series(values, dtype=object), name)
    if dtype == "float64":
        return pd.Series(np.array([np.nan if v is None else float(v) for v in values], dtype="float64"))
    if dtype == "str":
        return pd.Series([None if v is None else str(v) for v in values], dtype=DTYPE_NAMES["str"])
    try:
        return pd.Series(pd.array(values, dtype=DTYPE_NAMES[dtype]))
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"RDF attribute {name!r} does not fit dtype {dtype}: {exc}") from None
