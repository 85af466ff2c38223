"""Directory storage format: fast, lossless, human-inspectable.

Layout (format version 1)::

    graph_dir/
      manifest.json            format version, node and edge types, column dtypes, build report
      nodes/<node_type>.json   {"column": [values...], ...}   (column-wise; null = missing)
      edges/<src>__<relation>__<dst>.json

Columns are stored column-wise as JSON arrays, which the C-accelerated
:mod:`json` decoder reads in milliseconds, with their dtype (``str``,
``float64``, ``Int64``, ``boolean``) recorded in the manifest so the round trip
is exact. Nothing is unpickled on load.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from .._columns import DTYPE_NAMES, dtype_name
from ..errors import InputFormatError
from ..graph import KnowledgeGraph
from ..report import BuildReport
from ..schema import check_node_type, edge_type_key, parse_edge_type_key

__all__ = ["save", "load", "FORMAT_VERSION"]

FORMAT_VERSION = 1


def _column_to_json(series: pd.Series) -> list:
    name = dtype_name(series.dtype)
    if name == "float64":
        return [None if math.isnan(v) else v for v in series.to_numpy(dtype="float64").tolist()]
    values = series.astype(object).where(series.notna(), None).tolist()
    if name == "Int64":
        return [None if v is None else int(v) for v in values]
    if name == "boolean":
        return [None if v is None else bool(v) for v in values]
    return values


def _column_from_json(values: list, name: str) -> pd.Series:
    dtype = DTYPE_NAMES[name]
    if name == "float64":
        return pd.Series(np.array([np.nan if v is None else v for v in values], dtype="float64"))
    return pd.Series(pd.array(values, dtype=dtype))


def _write_table(table: pd.DataFrame, path: Path) -> dict[str, str]:
    payload = {c: _column_to_json(table[c]) for c in table.columns}
    path.write_text(json.dumps(payload, ensure_ascii=False, allow_nan=True), encoding="utf-8")
    return {c: dtype_name(table[c].dtype) for c in table.columns}


def _read_table(path: Path, dtypes: dict[str, str]) -> pd.DataFrame:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFormatError(f"cannot read stored table ({exc})", path=path) from None
    if list(payload) != list(dtypes):
        raise InputFormatError(f"columns {list(payload)} do not match the manifest {list(dtypes)}", path=path)
    return pd.DataFrame({c: _column_from_json(payload[c], dtypes[c]) for c in dtypes})


def save(graph: KnowledgeGraph, path: str | PathLike) -> None:
    """Write ``graph`` to directory ``path`` (replaced atomically if it exists)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".kg-", dir=target.parent))
    try:
        (tmp / "nodes").mkdir()
        (tmp / "edges").mkdir()
        manifest = {"format": "binn-graph-kg", "format_version": FORMAT_VERSION, "nodes": {}, "edges": {}}
        for t in graph.node_types:
            manifest["nodes"][t] = _write_table(graph.nodes(t), tmp / "nodes" / f"{t}.json")
        for et in graph.edge_types:
            key = edge_type_key(et)
            manifest["edges"][key] = _write_table(graph.edges(et), tmp / "edges" / f"{key}.json")
        manifest["report"] = graph.report.to_records()
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load(path: str | PathLike) -> KnowledgeGraph:
    """Read a graph written by :func:`save`."""
    root = Path(path)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise InputFormatError("not a saved knowledge graph (no manifest.json)", path=root)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputFormatError(f"manifest is not valid JSON ({exc})", path=manifest_path) from None
    if manifest.get("format") != "binn-graph-kg" or manifest.get("format_version") != FORMAT_VERSION:
        raise InputFormatError(
            f"unsupported format {manifest.get('format')!r} version {manifest.get('format_version')!r}; "
            f"expected binn-graph-kg version {FORMAT_VERSION}",
            path=manifest_path,
        )
    nodes = {check_node_type(t): _read_table(root / "nodes" / f"{t}.json", dtypes)
             for t, dtypes in manifest["nodes"].items()}
    edges = {parse_edge_type_key(key): _read_table(root / "edges" / f"{key}.json", dtypes)
             for key, dtypes in manifest["edges"].items()}
    return KnowledgeGraph.from_tables(nodes, edges, report=BuildReport.from_records(manifest.get("report", [])))
