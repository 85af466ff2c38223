"""Steiner trees and prize-collecting Steiner trees on a KnowledgeGraph (CORNETO ``SteinerTreeFlow`` and
``PrizeCollectingSteinerTree``, solved with HiGHS).

* **Steiner tree** (terminals given as a list): the cheapest connected sub-network that contains every terminal,
  minimising Σ cost(e) over the selected edges. Directed edges are used in their direction from a root (the first
  terminal, a given ``root``, or the best one with ``root_selection="best"``); undirected edges (``directed=False``
  or relation ``interacts_with``) either way.
* **Prize-collecting Steiner tree** (prizes given as a Series or DataFrame of positive values): terminals are
  optional; it minimises Σ cost(e) − Σ prize(v) over the selected edges and the nodes they reach.

Several samples (a dict of terminal lists, or a DataFrame of prizes) are solved as one multi-sample problem;
``lambda_reg`` > 0 then rewards reusing the same edges across samples.

Example
-------
>>> from kg import KnowledgeGraph
>>> g = (KnowledgeGraph().add_nodes("protein", list("abcd"))
...      .add_edges(("protein", "interacts_with", "protein"), list("aabc"), list("bcdd"), cost=[1.0, 5.0, 1.0, 1.0]))
>>> steiner(g, ["a", "d"], edge_cost="cost").objective  # doctest: +SKIP
2.0
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, StrOptions

from kg import KnowledgeGraph
from kg.convert.corneto import require_corneto, to_corneto, vertex_keys
from kg.report import BuildReport

from ..errors import DataValidationError, GraphStructureError, ParameterError
from ._core import SOLVERS, _capture_output, as_samples, check_params, collect, report_missing, resolve_ids, solve
from .result import ContextResult

__all__ = ["steiner", "edge_costs"]

_CONSTRAINTS = {
    "root_selection": [StrOptions({"first", "best"})],
    "strict_acyclic": ["boolean"],
    "lambda_reg": [Interval(Real, 0, None, closed="left")],
    "strict": ["boolean"],
    "solver": [StrOptions(set(SOLVERS))],
    "time_limit": [Interval(Real, 0, None, closed="neither"), None],
}


def edge_costs(graph: KnowledgeGraph, edge_types: list, edge_cost) -> np.ndarray:
    """Cost of every edge of ``edge_types`` in conversion order (edge type, then table row).

    ``edge_cost`` is a number (every edge), the name of a numeric edge attribute, or a Series indexed by
    ``(source, target)``. Missing, negative or non-finite costs are a :class:`~binn_graph.errors.ParameterError`.
    """
    parts = []
    for et in edge_types:
        table = graph.edges(et)
        if isinstance(edge_cost, bool):
            raise ParameterError("edge_cost must be a number, an edge attribute name or a Series, not a bool")
        if isinstance(edge_cost, Real):
            values = np.full(len(table), float(edge_cost))
        elif isinstance(edge_cost, str):
            if edge_cost not in table.columns:
                raise ParameterError(f"edge_cost={edge_cost!r} is not an attribute of edge type {et}; its "
                                     f"attributes are {[c for c in table.columns if c not in ('source', 'target')]}")
            values = pd.to_numeric(table[edge_cost], errors="coerce").to_numpy(dtype=float)
        elif isinstance(edge_cost, pd.Series):
            key = pd.MultiIndex.from_arrays([table["source"].astype(str), table["target"].astype(str)])
            values = edge_cost.reindex(key).to_numpy(dtype=float)
        else:
            raise ParameterError(f"edge_cost must be a number, an edge attribute name or a Series indexed by "
                                 f"(source, target); got {type(edge_cost).__name__}")
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ParameterError(f"edge_cost gives {int(bad.sum())} edge(s) of {et} a missing, negative or infinite "
                                 f"cost (e.g. {table['source'].iloc[i]} -> {table['target'].iloc[i]}); every edge "
                                 "needs a finite cost >= 0")
        parts.append(values)
    return np.concatenate(parts) if parts else np.array([])


def _terminal_sets(terminals_or_prizes) -> tuple[str, dict[str, list[str]] | None, pd.DataFrame | None]:
    """``("steiner", {sample: ids}, None)`` or ``("pcst", None, prizes samples × ids)``."""
    tp = terminals_or_prizes
    if isinstance(tp, (pd.Series, pd.DataFrame)) or (
            isinstance(tp, Mapping) and tp and all(isinstance(v, Real) for v in tp.values())):
        return "pcst", None, as_samples(tp, "prizes")
    if isinstance(tp, Mapping):
        if not tp:
            raise DataValidationError("no terminals given; give a list of node ids, or prizes as a Series")
        return "steiner", {str(k): [str(i) for i in _id_list(v)] for k, v in tp.items()}, None
    return "steiner", {"sample": [str(i) for i in _id_list(tp)]}, None


def _id_list(value) -> list:
    if isinstance(value, str):
        raise ParameterError(f"terminals must be a list of node ids, got the single string {value!r}")
    try:
        return list(value)
    except TypeError:
        raise ParameterError(f"terminals must be a list of node ids, a dict of sample -> ids, or prizes as a "
                             f"Series/DataFrame; got {type(value).__name__}") from None


def _roots(root_key, root_selection: str, per_sample: dict):
    """One root per sample: the given one, each sample's own first terminal (or prized node), or None (best)."""
    if root_key is not None:
        return [root_key] * len(per_sample)
    if root_selection == "best":
        return None
    return [next(iter(v)) for v in per_sample.values()]


def steiner(
    graph: KnowledgeGraph,
    terminals_or_prizes,
    *,
    edge_types=None,
    edge_cost=1.0,
    root: str | None = None,
    root_selection: str = "first",
    strict_acyclic: bool = True,
    lambda_reg: float = 0.0,
    strict: bool = False,
    solver: str = "highs",
    time_limit: float | None = None,
) -> ContextResult:
    """Select a (prize-collecting) Steiner tree of ``graph`` (CORNETO; see the module docstring).

    Parameters
    ----------
    graph:
        The network.
    terminals_or_prizes:
        Node ids that must be connected (a list; a dict ``{sample: ids}`` for several samples), or prizes > 0 for
        optional terminals (a Series id → prize, or a DataFrame samples × ids, NaN = no prize).
    edge_types:
        Edge types offered (default: all).
    edge_cost:
        A number for every edge, an edge attribute name, or a Series indexed by ``(source, target)``.
    root:
        Node the tree is grown from, in every sample (default: chosen by ``root_selection``).
    root_selection:
        ``"first"``: each sample's first terminal (or, for prizes, its first prized node in column order), which
        the tree must then contain; ``"best"``: the solver picks the cheapest root among the terminals.
    strict_acyclic:
        Forbid cycles in the selected edges (needed on graphs with cycles; a DAG needs no constraint).
    lambda_reg:
        Multi-sample only: penalty per edge selected in any sample.
    strict:
        Raise for ids that are not graph nodes instead of dropping them (always recorded in ``result.report``).
    solver, time_limit:
        ``"highs"`` or ``"scipy"``; seconds before the solver returns its best solution.

    Returns
    -------
    ContextResult
        ``method="steiner"`` or ``"pcst"``; node and edge values are 1 where selected.
    """
    check_params(_CONSTRAINTS, dict(root_selection=root_selection, strict_acyclic=strict_acyclic,
                                    lambda_reg=lambda_reg, strict=strict, solver=solver, time_limit=time_limit),
                 "steiner")
    if not isinstance(graph, KnowledgeGraph):
        raise ParameterError(f"graph must be a kg.KnowledgeGraph, got {type(graph).__name__}")
    require_corneto()
    from corneto.methods import PrizeCollectingSteinerTree, SteinerTreeFlow

    ets = graph.edge_types if edge_types is None else [tuple(et) for et in edge_types]
    if not ets or not sum(graph.num_edges(et) for et in ets):
        raise DataValidationError("the graph has no edges to select from; pass edge_types naming non-empty types")
    kind, terminal_sets, prizes = _terminal_sets(terminals_or_prizes)
    report = BuildReport()
    cg = to_corneto(graph, ets)
    keys, scheme = vertex_keys(graph, list(dict.fromkeys(t for et in ets for t in (et[0], et[2]))))
    costs = edge_costs(graph, ets, edge_cost)
    cost_map = {j: float(c) for j, c in enumerate(costs)}
    root_key = None
    if root is not None:
        found, missing = resolve_ids([str(root)], keys, scheme)
        if missing:
            raise DataValidationError(f"root {root!r} is not a node of the graph")
        root_key = found[str(root)]
    if kind == "steiner":
        samples = list(terminal_sets)
        per_sample = {}
        for s in samples:
            found, missing = resolve_ids(terminal_sets[s], keys, scheme)
            report_missing(missing, "terminal", strict, report)
            ids = list(dict.fromkeys(found.values()))
            if len(ids) < (1 if root_key else 2):
                raise DataValidationError(f"sample {s!r} has {len(ids)} terminal(s) in the graph; a Steiner tree "
                                          "needs at least two (or one and a root)")
            per_sample[s] = ids
        method = SteinerTreeFlow(root_vertex=_roots(root_key, root_selection, per_sample),
                                 root_selection_strategy=root_selection,
                                 strict_acyclic=strict_acyclic, lambda_reg=lambda_reg)
        with _capture_output() as build_log:
            problem = method.build_many(cg, terminals=per_sample, edge_costs={s: cost_map for s in samples})
    else:
        samples = list(prizes.index)
        found, missing = resolve_ids(list(prizes.columns), keys, scheme)
        report_missing(missing, "prize", strict, report)
        per_sample = {}
        for s in samples:
            row = {found[c]: float(v) for c, v in prizes.loc[s].items() if c in found and not np.isnan(v)}
            bad = [k for k, v in row.items() if v <= 0]
            if bad:
                raise DataValidationError(f"sample {s!r}: prizes must be > 0 (NaN for no prize); {bad[:5]} are not")
            if not row:
                raise DataValidationError(f"sample {s!r} has no prize on a graph node")
            per_sample[s] = row
        method = PrizeCollectingSteinerTree(root_vertex=_roots(root_key, root_selection, per_sample),
                                            root_selection_strategy=root_selection,
                                            strict_acyclic=strict_acyclic, lambda_reg=lambda_reg)
        with _capture_output() as build_log:
            problem = method.build_many(cg, prizes=per_sample, edge_costs={s: cost_map for s in samples})
    try:
        status, objective, objectives, seconds, log = solve(problem, solver, time_limit)
    except GraphStructureError as exc:
        raise GraphStructureError(f"{exc}. Directed edges are followed from the root ({root!r} given; otherwise the "
                                  "first terminal, or the best one with root_selection='best'): it must reach every "
                                  "terminal") from None
    processed = method.processed_graph
    sel = np.asarray(problem.expr.with_flow.value, dtype=float).reshape(-1, len(samples))
    full = np.zeros((len(processed.E), len(samples)))
    full[:len(sel)] = sel > 0.5
    return collect(kind, graph, processed, full, None, samples, status, objective, objectives, seconds, report,
                   "".join(build_log) + log, ets)
