"""CARNIVAL on a KnowledgeGraph: signed sub-networks that explain measurements from perturbations.

Runs CORNETO's flow-based, multi-sample CARNIVAL (``corneto.methods.CarnivalFlow``; Liu et al., npj Syst Biol
Appl 2019; Rodriguez-Mier et al., Nat Mach Intell 2025) with the HiGHS MILP solver. For each sample it picks signed
edges of the prior-knowledge network and a sign for every node (+1 active, -1 inhibited, 0 no signal) so that
signal flows acyclically from the perturbed inputs and the node signs agree with the measured ones. It minimises

    Σ_samples Σ_measured |m_v| · (1 − sign(m_v) · x_v)  +  lambda_reg · (edges carrying signal in any sample)

Measured nodes that no input reaches in any sample are pruned by CORNETO and do not count (reported).

An edge ``s → t`` with sign +1 passes the sign of ``s`` on to ``t``; sign −1 flips it.

Example
-------
>>> import pandas as pd
>>> from kg import KnowledgeGraph
>>> g = (KnowledgeGraph().add_nodes("protein", ["L", "A", "B", "T"])
...      .add_edges(("protein", "regulates", "protein"), ["L", "L", "A", "B"], ["A", "B", "T", "T"],
...                 sign=[1.0, 1.0, 1.0, -1.0]))
>>> res = carnival(g, pd.Series({"L": 1.0}), pd.Series({"T": -2.0}))  # doctest: +SKIP
>>> res.objective, res.node_values.loc["T", "sample"]  # doctest: +SKIP
(0.0, -1)
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, StrOptions

from kg import KnowledgeGraph, algorithms
from kg.convert.corneto import require_corneto, to_corneto, vertex_keys
from kg.report import BuildReport

from ..errors import DataValidationError, GraphStructureError, ParameterError
from ._core import SOLVERS, _capture_output, as_samples, check_params, collect, report_missing, resolve_ids, solve
from .result import ContextResult

__all__ = ["carnival", "signed_edge_types"]

_CONSTRAINTS = {
    "lambda_reg": [Interval(Real, 0, None, closed="left")],
    "unknown_sign": [StrOptions({"drop", "both"})],
    "max_flow": [Interval(Real, 1, None, closed="left")],
    "exclusive_signal_paths": ["boolean"],
    "indirect_rule_penalty": [Interval(Real, 0, None, closed="left")],
    "strict": ["boolean"],
    "solver": [StrOptions(set(SOLVERS))],
    "time_limit": [Interval(Real, 0, None, closed="neither"), None],
    "max_samples": [Interval(Integral, 1, None, closed="left"), None],
}


def signed_edge_types(graph: KnowledgeGraph) -> list:
    """Edge types whose relation is ``regulates`` (the signed relation of :mod:`kg.schema`)."""
    return [et for et in graph.edge_types if et[1] == "regulates"]


def _align(inputs: pd.DataFrame, measurements: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    if len(inputs) == 1 and len(measurements) > 1:
        inputs = pd.DataFrame(np.repeat(inputs.to_numpy(), len(measurements), axis=0), index=measurements.index,
                              columns=inputs.columns)
    elif len(measurements) == 1 and len(inputs) > 1:
        measurements = pd.DataFrame(np.repeat(measurements.to_numpy(), len(inputs), axis=0), index=inputs.index,
                                    columns=measurements.columns)
    elif len(inputs) == 1 and len(measurements) == 1:
        inputs = inputs.set_axis(measurements.index, axis=0)
    else:
        only_m = measurements.index.difference(inputs.index)
        only_i = inputs.index.difference(measurements.index)
        if len(only_m) or len(only_i):
            raise DataValidationError(
                f"inputs and measurements must name the same samples (matched by name, not position): "
                f"{list(only_m[:5])} only in measurements, {list(only_i[:5])} only in inputs")
        inputs = inputs.loc[measurements.index]
    return inputs, measurements


def _reach_check(cg, samples, per_sample_inputs, per_sample_outputs) -> list:
    """Raise when a sample's inputs reach none of its measured nodes; return the measured nodes no sample's inputs
    reach (CORNETO prunes them, so they are left out of the objective)."""
    index = {v: i for i, v in enumerate(cg.V)}
    src, dst = [], []
    for (s, d), attr in zip(cg.E, cg.get_attr_edges()):
        if len(s) != 1 or len(d) != 1:
            continue
        a, b = index[next(iter(s))], index[next(iter(d))]
        src.append(a)
        dst.append(b)
        if attr.get("__edge_type") == "undirected":
            src.append(b)
            dst.append(a)
    n = len(index)
    adj = sp.csr_matrix((np.ones(len(src), dtype=bool), (src, dst)), shape=(n, n))
    reached = set()
    for s in samples:
        reach = algorithms.reachable(adj, [index[v] for v in per_sample_inputs[s]])
        reached.update(v for v in per_sample_outputs[s] if reach[index[v]])
        if not any(reach[index[v]] for v in per_sample_outputs[s]):
            raise GraphStructureError(
                f"sample {s!r}: no directed path from any input ({', '.join(list(per_sample_inputs[s])[:5])}) to "
                "any measured node; check the ids, the edge directions, or the edge types used")
    return sorted({v for s in samples for v in per_sample_outputs[s]} - reached)


def carnival(
    graph: KnowledgeGraph,
    inputs,
    measurements,
    *,
    edge_types=None,
    lambda_reg: float = 0.0,
    unknown_sign: str = "drop",
    max_flow: float = 1000,
    exclusive_signal_paths: bool = True,
    indirect_rule_penalty: float = 0.0,
    strict: bool = False,
    solver: str = "highs",
    time_limit: float | None = None,
    max_samples: int | None = None,
) -> ContextResult:
    """Infer the signed context network that links ``inputs`` to ``measurements`` (CORNETO ``CarnivalFlow``).

    Parameters
    ----------
    graph:
        Prior-knowledge network with signed edges (``sign`` attribute +1/-1; 0 or missing = unknown).
    inputs:
        Perturbed nodes: a Series (node id → value; one sample), a dict, or a DataFrame (samples × node ids).
        The value's sign is imposed; 0 leaves the sign free; NaN (in a DataFrame) = not an input in that sample.
        A single input sample is used for every measurement sample.
    measurements:
        Measured node values (for example TF activities), same shapes; NaN = not measured in that sample.
        Samples are matched to the inputs by name.
    edge_types:
        Edge types offered to CARNIVAL (default: every ``regulates`` edge type).
    lambda_reg:
        Penalty per edge carrying signal in any sample (sparser networks shared across samples).
    unknown_sign:
        Edges of unknown sign (0 or missing): ``"drop"`` them (reported) or offer ``"both"`` signs.
    max_flow, exclusive_signal_paths, indirect_rule_penalty:
        Passed to ``CarnivalFlow`` (bound on branching, a node cannot be both active and inhibited, penalty on
        signal passed by inhibited activators or activated inhibitors).
    strict:
        Raise :class:`~binn_graph.errors.FeatureMismatchError` for ids that are not graph nodes instead of dropping
        them with a :class:`~binn_graph.context.ContextWarning` (always recorded in ``result.report``).
    solver:
        ``"highs"`` (default) or ``"scipy"`` (HiGHS through SciPy).
    time_limit:
        Seconds before the solver stops with its best solution (``result.status`` says so).
    max_samples:
        Refuse more samples than this (MILP size grows with the number of samples).

    Returns
    -------
    ContextResult
        ``method="carnival"``; node values are the inferred signs, edge values the signal each edge carries.
    """
    check_params(_CONSTRAINTS, dict(lambda_reg=lambda_reg, unknown_sign=unknown_sign, max_flow=max_flow,
                                    exclusive_signal_paths=exclusive_signal_paths,
                                    indirect_rule_penalty=indirect_rule_penalty, strict=strict, solver=solver,
                                    time_limit=time_limit, max_samples=max_samples), "carnival")
    if not isinstance(graph, KnowledgeGraph):
        raise ParameterError(f"graph must be a kg.KnowledgeGraph, got {type(graph).__name__}")
    require_corneto()
    from corneto.graph import EdgeType
    from corneto.methods import CarnivalFlow

    ets = signed_edge_types(graph) if edge_types is None else [tuple(et) for et in edge_types]
    if not ets:
        raise GraphStructureError(f"the graph has no signed edge type (relation 'regulates'); it has "
                                  f"{graph.edge_types}; pass edge_types=[...] or load a signed network (SIF)")
    inputs_f = as_samples(inputs, "inputs")
    meas_f = as_samples(measurements, "measurements")
    inputs_f, meas_f = _align(inputs_f, meas_f)
    if max_samples is not None and len(meas_f) > max_samples:
        raise ParameterError(f"{len(meas_f)} samples exceed max_samples={max_samples}")
    report = BuildReport()
    cg = to_corneto(graph, ets)
    keys, scheme = vertex_keys(graph, list(dict.fromkeys(t for et in ets for t in (et[0], et[2]))))
    # unsigned edges
    signs = np.array([a.get("interaction", 0) for a in cg.get_attr_edges()])
    unsigned = np.flatnonzero(signs == 0)
    if unknown_sign == "drop":
        report.add("context", "dropped", "edges of unknown sign", len(unsigned),
                   "CARNIVAL needs a sign; pass unknown_sign='both' to offer both")
        if len(unsigned):
            kept = cg.edge_subgraph(np.flatnonzero(signs != 0))
            present = set(kept.V)
            for v in cg.V:  # nodes touched only by unsigned edges stay (unreachable, but still measured)
                if v not in present:
                    kept.add_vertex(v, **dict(cg.get_attr_vertex(v)))
            cg = kept
    else:
        report.add("context", "note", "edges of unknown sign offered with both signs", len(unsigned))
        for j in unsigned:
            attr = cg.get_attr_edge(int(j))
            (s,), (d,) = cg.get_edge(int(j))
            extra = {k: v for k, v in attr.items() if not str(k).startswith("__") and k != "interaction"}
            attr["interaction"] = 1
            cg.add_edge(s, d, type=EdgeType(attr.get("__edge_type", "directed")), interaction=-1, **extra)
    in_found, in_missing = resolve_ids(list(inputs_f.columns), keys, scheme)
    m_found, m_missing = resolve_ids(list(meas_f.columns), keys, scheme)
    report_missing(in_missing, "input", strict, report)
    report_missing(m_missing, "measurement", strict, report)
    vertices = set(cg.V)
    per_in, per_out, samples = {}, {}, list(meas_f.index)
    n_nan = 0
    for s in samples:
        ins = {in_found[c]: float(v) for c, v in inputs_f.loc[s].items() if c in in_found and not np.isnan(v)}
        outs = {m_found[c]: float(v) for c, v in meas_f.loc[s].items() if c in m_found and not np.isnan(v)}
        n_nan += int(meas_f.loc[s, list(m_found)].isna().sum())
        ins = {k: v for k, v in ins.items() if k in vertices}
        outs = {k: v for k, v in outs.items() if k in vertices}
        both = sorted(set(ins) & set(outs))
        if both:
            raise DataValidationError(f"sample {s!r}: node(s) {both[:5]} are both an input and a measurement; "
                                      "remove them from one of the two")
        if not ins:
            raise DataValidationError(f"sample {s!r} has no input node left (ids not in the graph, NaN, or only "
                                      "on dropped unsigned edges); give at least one perturbed node")
        if not outs:
            raise DataValidationError(f"sample {s!r} has no measured node left (ids not in the graph or NaN); "
                                      "give at least one measurement")
        per_in[s], per_out[s] = ins, outs
    report.add("context", "dropped", "NaN measurements (not measured in that sample)", n_nan)
    unreachable = _reach_check(cg, samples, per_in, per_out)
    report.add("context", "dropped", "measured nodes that no input reaches", len(unreachable),
               "CORNETO prunes them: they do not count in the objective", examples=unreachable)
    method = CarnivalFlow(lambda_reg=lambda_reg, max_flow=max_flow, exclusive_signal_paths=exclusive_signal_paths,
                          indirect_rule_penalty=indirect_rule_penalty)
    with _capture_output() as build_log:
        problem = method.build_many(cg, perturbations=per_in, transcription_factors=per_out)
    status, objective, objectives, seconds, log = solve(problem, solver, time_limit)
    edge_matrix = problem.expr.edge_value.value
    vertex_matrix = problem.expr.vertex_value.value
    return collect("carnival", graph, method.processed_graph, edge_matrix, vertex_matrix, samples, status,
                   objective, objectives, seconds, report, "".join(build_log) + log, ets)
