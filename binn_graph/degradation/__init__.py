"""Proteolysis degradation graphs: peptidome → cleavage DAG → flow model → hidden proteolytic activity.

* :func:`build_graph`, :func:`build_graphs` — one protein's (or every protein's) degradation graph (closure or Hasse edges, exo/endo kinds, P1/P1′ residues);
* :func:`fit` — the absorbing-Markov-chain flow model by gradient descent (batched message passing) or LP;
* :func:`inflow_range` — the feasible range of hidden activity (inflow is not identifiable).

Hartman, Malmström & Wallin, "Degradation graphs reveal hidden proteolytic activity in peptidomes",
PLoS Comput Biol 2026.
"""

from .flow import FlowFit, fit, forward, from_log2, graph_from_edges, inflow_range
from .graph import DegradationGraph, build_graph, build_graphs, read_fasta

__all__ = ["DegradationGraph", "build_graph", "build_graphs", "read_fasta", "FlowFit", "fit", "forward", "inflow_range", "from_log2",
           "graph_from_edges"]
