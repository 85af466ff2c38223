"""The result of a context-network selection: objective, selected KnowledgeGraph and per-node/per-edge values."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kg import KnowledgeGraph
from kg.report import BuildReport

__all__ = ["ContextResult"]


@dataclass
class ContextResult:
    """What :func:`~binn_graph.context.carnival`, :func:`~binn_graph.context.steiner` and
    :func:`~binn_graph.context.minimal_dag` return.

    Attributes
    ----------
    method:
        ``"carnival"``, ``"steiner"``, ``"pcst"`` (prize-collecting Steiner) or ``"minimal_dag"``.
    objective:
        The optimum of the whole problem: the weighted sum of :attr:`objectives` (CARNIVAL: the sign-mismatch
        error summed over samples plus ``lambda_reg`` × selected edges; Steiner: the cost of the selected edges,
        minus the collected prizes for the prize-collecting variant).
    objectives:
        Each objective term by CORNETO's name (``error_<sample>_<i>``, ``edge_cost``, ``prizes``, ...), unweighted.
    graph:
        The selected sub-network as a KnowledgeGraph: the union over samples of the selected edges and their
        endpoints (node and edge attributes of the input graph kept; edge column ``n_samples`` = in how many
        samples the edge was selected). Its build report records the method, the objective and each sample.
    node_values:
        Nodes × samples (index: node id, or ``"<type>:<id>"`` when ids are shared between node types).
        CARNIVAL: the inferred sign (+1 active, -1 inhibited, 0 no signal); Steiner: 1 when selected.
    edge_values:
        Edges × samples: columns ``edge_type``, ``source``, ``target``, then one column per sample (CARNIVAL: the
        signal carried, +1/-1/0; Steiner: 1 when selected). Every edge offered to the solver has a row.
    samples:
        Sample names in column order.
    status:
        The solver's status (``"optimal"``, ``"optimal_inaccurate"``, ``"user_limit"`` ...).
    solve_seconds:
        Wall time of the solver call.
    report:
        What was dropped before solving (ids not in the graph, NaN measurements, unsigned edges) and why.
    log:
        Solver and CORNETO console output captured during the solve.
    """

    method: str
    objective: float
    objectives: dict[str, float]
    graph: KnowledgeGraph
    node_values: pd.DataFrame
    edge_values: pd.DataFrame
    samples: list[str]
    status: str
    solve_seconds: float
    report: BuildReport = field(default_factory=BuildReport)
    log: str = field(default="", repr=False)

    def selected_edges(self, sample: str | None = None) -> pd.DataFrame:
        """Edges with a non-zero value in ``sample`` (default: in any sample): ``edge_type, source, target``, values."""
        cols = self.samples if sample is None else [sample]
        if sample is not None and sample not in self.samples:
            from ..errors import ParameterError

            raise ParameterError(f"no sample {sample!r} in this result; samples are {self.samples}")
        mask = (self.edge_values[cols] != 0).any(axis=1)
        return self.edge_values[mask].reset_index(drop=True)

    def __repr__(self) -> str:
        return (f"ContextResult(method={self.method!r}, objective={self.objective:.6g}, status={self.status!r}, "
                f"samples={len(self.samples)}, selected={self.graph!r})")
