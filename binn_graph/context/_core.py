"""Shared machinery of the context methods: parameter checks, sample tables, solving, and mapping results back.

Internal: the public functions live in :mod:`.carnival`, :mod:`.steiner` and :mod:`.dag`.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
import warnings
from typing import Iterable

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

from kg import KnowledgeGraph
from kg.convert.corneto import vertex_keys
from kg.report import BuildReport
from kg.schema import parse_edge_type_key

from ..errors import DataValidationError, FeatureMismatchError, GraphStructureError, ParameterError
from .result import ContextResult

__all__ = ["check_params", "as_samples", "resolve_ids", "solve", "collect", "ContextWarning"]

SOLVERS = ("highs", "scipy")


class ContextWarning(UserWarning):
    """Something was dropped before solving (ids not in the graph, NaN values); the result's report has the list."""


def check_params(constraints: dict, params: dict, caller: str) -> None:
    """scikit-learn's declarative parameter check, raising :class:`~binn_graph.errors.ParameterError`."""
    try:
        validate_parameter_constraints(constraints, params, caller_name=caller)
    except InvalidParameterError as exc:
        raise ParameterError(str(exc)) from None


def as_samples(values, what: str, default_name: str = "sample") -> pd.DataFrame:
    """Samples × node ids as a float DataFrame, from a Series (one sample), a DataFrame or a mapping.

    A Series is one sample named by its ``name`` (``default_name`` when unnamed); a dict of id → value is a
    Series. Column names become strings. Non-numeric values are a :class:`DataValidationError`.
    """
    if isinstance(values, dict):
        values = pd.Series(values, dtype=float)
    if isinstance(values, pd.Series):
        name = default_name if values.name is None else str(values.name)
        frame = values.to_frame().T
        frame.index = [name]
    elif isinstance(values, pd.DataFrame):
        frame = values.copy()
    else:
        raise ParameterError(f"{what} must be a pandas Series (one sample: node id -> value), a DataFrame "
                             f"(samples x node ids) or a dict; got {type(values).__name__}")
    frame.columns = [str(c) for c in frame.columns]
    frame.index = [str(i) for i in frame.index]
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()].unique()
        raise FeatureMismatchError(f"{what} names the node(s) {list(dup[:5])} more than once; give each node once")
    if frame.index.duplicated().any():
        dup = frame.index[frame.index.duplicated()].unique()
        raise DataValidationError(f"{what} has duplicated sample names {list(dup[:5])}; sample names must be unique")
    try:
        frame = frame.apply(pd.to_numeric, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"{what} holds non-numeric values ({exc}); give numbers (NaN for missing)") from None
    if np.isinf(frame.to_numpy()).any():
        raise DataValidationError(f"{what} holds infinite values; give finite numbers (NaN for missing)")
    return frame


def resolve_ids(ids: Iterable[str], keys: pd.Series, scheme: str) -> tuple[dict[str, str], list[str]]:
    """Map user ids to CORNETO vertex keys: ``({user id: vertex key}, [ids not in the graph])``.

    With plain-id keys an id is its key. With typed keys (ids shared between node types) ``"<type>:<id>"`` is
    accepted as is, and a bare id is accepted when only one node type has it.
    """
    valid = set(keys.to_numpy())
    found, missing = {}, []
    by_id: dict[str, list[str]] = {}
    if scheme == "typed":
        for (t, i), k in keys.items():
            by_id.setdefault(i, []).append(k)
    for i in ids:
        if i in valid:
            found[i] = i
        elif scheme == "typed" and len(by_id.get(i, [])) == 1:
            found[i] = by_id[i][0]
        elif scheme == "typed" and len(by_id.get(i, [])) > 1:
            raise FeatureMismatchError(f"node id {i!r} belongs to several node types ({by_id[i]}); name it as "
                                       "'<node_type>:<id>'")
        else:
            missing.append(i)
    return found, missing


def report_missing(missing: list[str], what: str, strict: bool, report: BuildReport) -> None:
    """Record ids that are not graph nodes (raise :class:`FeatureMismatchError` when ``strict``)."""
    report.add("context", "dropped", f"{what} ids not in the graph", len(missing),
               "not a node of the converted edge types", examples=missing)
    if missing and strict:
        raise FeatureMismatchError(f"{len(missing)} {what} id(s) are not nodes of the graph (e.g. "
                                   f"{', '.join(missing[:5])}); fix the ids or pass strict=False to drop them")
    if missing:
        warnings.warn(f"{len(missing)} {what} id(s) are not nodes of the graph and were dropped (e.g. "
                      f"{', '.join(missing[:5])}); see result.report", ContextWarning, stacklevel=4)


@contextlib.contextmanager
def _capture_output():
    """Capture Python and C-level stdout (HiGHS prints its banner from C); yields a list that receives the text."""
    sink: list[str] = []
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        fd = None
    if fd is None:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            yield sink
        sink.append(buffer.getvalue())
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield sink
        finally:
            sys.stdout.flush()
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            sink.append(tmp.read().decode("utf-8", errors="replace"))


def _value(x) -> float:
    v = getattr(x, "value", x)
    return float(np.asarray(v, dtype=float).sum())


def solve(problem, solver: str, time_limit: float | None) -> tuple[str, float, dict[str, float], float, str]:
    """Solve a CORNETO problem: ``(status, objective, objectives by name, seconds, log)``.

    Raises :class:`GraphStructureError` when the problem is infeasible or the solver found no solution.
    """
    start = time.perf_counter()
    with _capture_output() as log:
        backend_problem = problem.solve(solver=solver, max_seconds=time_limit, verbosity=0)
    seconds = time.perf_counter() - start
    text = "".join(log)
    status = str(getattr(backend_problem, "status", "unknown"))
    if "infeasible" in status or "unbounded" in status or problem.objectives[0].value is None:
        raise GraphStructureError(f"the solver found no solution (status {status!r}); the inputs may not reach "
                                  "the measured or terminal nodes, or the time limit is too short")
    objectives = {}
    total = 0.0
    for i, (obj, weight) in enumerate(zip(problem.objectives, problem.weights)):
        name = getattr(obj, "name", None) or f"objective_{i}"
        value = _value(obj)
        objectives[name if name not in objectives else f"{name}_{i}"] = value
        total += _value(weight) * value
    return status, total, objectives, seconds, text


def collect(
    method: str,
    graph: KnowledgeGraph,
    processed,
    edge_matrix: np.ndarray,
    vertex_matrix: np.ndarray | None,
    samples: list[str],
    status: str,
    objective: float,
    objectives: dict[str, float],
    seconds: float,
    report: BuildReport,
    log: str,
    edge_types: list,
) -> ContextResult:
    """Map CORNETO's per-edge (and per-vertex) values on the processed graph back to ``graph``'s edges by the
    ``kg_edge_type``/``kg_edge`` attributes, and build the selected KnowledgeGraph with its provenance."""
    edge_matrix = np.asarray(edge_matrix, dtype=float).reshape(len(processed.E), -1)
    rows = []
    for j, attr in enumerate(processed.get_attr_edges()):
        if "kg_edge_type" in attr:
            rows.append((j, attr["kg_edge_type"], int(attr["kg_edge"])))
    values = {}
    for j, et, pos in rows:  # parallel copies of one edge (both signs of an unsigned edge): keep the non-zero one
        v = np.rint(edge_matrix[j]).astype(int)
        key = (et, pos)
        values[key] = v if key not in values else np.where(v != 0, v, values[key])
    frames = []
    for et in edge_types:
        table = graph.edges(et)
        key = "__".join(et)
        mat = np.zeros((len(table), len(samples)), dtype=int)
        for (k, pos), v in values.items():
            if k == key:
                mat[pos] = v
        frame = pd.DataFrame({"edge_type": key, "source": table["source"].astype(str).to_numpy(),
                              "target": table["target"].astype(str).to_numpy()})
        frames.append(pd.concat([frame, pd.DataFrame(mat, columns=samples)], axis=1))
    edge_values = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["edge_type", "source", "target", *samples])
    types = list(dict.fromkeys(t for et in edge_types for t in (et[0], et[2])))
    keys, _ = vertex_keys(graph, types)
    node_values = pd.DataFrame(0, index=pd.Index(keys.to_numpy(), name="node"), columns=samples, dtype=int)
    if vertex_matrix is not None:
        vm = np.rint(np.asarray(vertex_matrix, dtype=float).reshape(len(processed.V), -1)).astype(int)
        known = [i for i, v in enumerate(processed.V) if v in node_values.index]
        node_values.loc[[processed.V[i] for i in known]] = vm[known]
    else:
        for s_i, sample in enumerate(samples):
            chosen = edge_values[edge_values[sample] != 0]
            for et_key, sub in chosen.groupby("edge_type"):
                et = parse_edge_type_key(et_key)
                for col, t in (("source", et[0]), ("target", et[2])):
                    ks = keys.loc[[(t, i) for i in sub[col]]].to_numpy()
                    node_values.loc[ks, sample] = 1
    selected = _selected_graph(graph, edge_values, samples, edge_types, method, objective, status)
    return ContextResult(method=method, objective=objective, objectives=objectives, graph=selected,
                         node_values=node_values, edge_values=edge_values, samples=samples, status=status,
                         solve_seconds=seconds, report=report, log=log)


def _selected_graph(graph: KnowledgeGraph, edge_values: pd.DataFrame, samples: list[str], edge_types: list,
                    method: str, objective: float, status: str) -> KnowledgeGraph:
    counts = (edge_values[samples] != 0).sum(axis=1).to_numpy()
    keep_nodes: dict[str, set[str]] = {}
    node_tables, edge_tables = {}, {}
    offset = 0
    for et in edge_types:
        table = graph.edges(et)
        n = len(table)
        c = counts[offset:offset + n]
        offset += n
        chosen = table[c > 0].reset_index(drop=True)
        chosen["n_samples"] = pd.array(c[c > 0], dtype="Int64")
        edge_tables[et] = chosen
        keep_nodes.setdefault(et[0], set()).update(chosen["source"].astype(str))
        keep_nodes.setdefault(et[2], set()).update(chosen["target"].astype(str))
    for t, ids in keep_nodes.items():
        nodes = graph.nodes(t)
        node_tables[t] = nodes[nodes["id"].astype(str).isin(ids)].reset_index(drop=True)
    out = KnowledgeGraph.from_tables(node_tables, edge_tables, report=graph.report)
    out.report.add("context", "kept", f"edges selected by {method} (objective {objective:.6g}, status {status})",
                   int((counts > 0).sum()), f"union over {len(samples)} sample(s)")
    for s in samples:
        out.report.add("context", "kept", f"edges selected by {method} in sample {s}",
                       int((edge_values[s] != 0).sum()))
    return out
