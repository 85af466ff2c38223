"""Proteolysis degradation graphs: peptidome → cleavage DAG → flow model → hidden proteolytic activity.

* :func:`read_peptidome` — PEAKS exports and wide tables as one long table (sample, protein, peptide, …);
* :func:`build_graph`, :func:`build_graphs` — one protein's (or every protein's) degradation graph (closure or Hasse
  edges, exo/endo kinds, P1/P1′ residues); :func:`build_graph_from_positions` without a FASTA (Start/End); :func:`build_graph_from_peptides` from the peptides
  alone (containment; the root an unobserved precursor);
* :func:`fit` — the absorbing-Markov-chain flow model by gradient descent (batched message passing) or by exact
  mass conservation (``lp``: the unique minimum-norm flow), on the replicate mean (``missing="zero"`` or
  ``"detected"``) or per replicate;
* :func:`inflow_range` — the feasible range of hidden activity (inflow is not identifiable);
* :func:`cleavage_specificity`, :func:`plot_specificity` — flow-weighted P4…P4′ preferences and their logo;
* :func:`fit_cohort`, :func:`differential` — per-sample, per-protein fits of a cohort and differential proteolysis
  between two groups (proteins, cut sites, specificity; BH q-values); :func:`plot_volcano`, :func:`plot_peptigram`;
* :func:`peptidome_graph` — the peptidome as a knowledge graph for a peptide BINN (``cleaved_to`` compiled reversed);
* :class:`Enzyme`, :data:`ENZYMES`, :func:`simulate`, :func:`simulate_cohort` — a proteolysis simulator with a known
  true graph, and cohorts of it with a protease per group;
* :class:`ProteaseClassifier` — a GraphSAGE classifier of the protease behind a peptidome graph;
* :func:`plot_graph`, :func:`plot_inflow` — pictures.

Hartman, Malmström & Wallin, "Degradation graphs reveal hidden proteolytic activity in peptidomes",
PLoS Comput Biol 2026.
"""

from .cohort import CohortFit, Differential, benjamini_hochberg, differential, fit_cohort
from .enzyme import ENZYMES, Enzyme
from .flow import FlowFit, fit, forward, from_log2, graph_from_edges, inflow_range
from .graph import (
    DegradationGraph,
    build_graph,
    build_graph_from_peptides,
    build_graph_from_positions,
    build_graphs,
    read_fasta,
)
from .peptide_graph import PEPTIDE_RELATIONS, peptidome_graph
from .peptidome import read_peptidome
from .plot import plot_graph, plot_inflow, plot_peptigram, plot_volcano
from .signatures import ProteaseClassifier, node_features
from .simulate import observed_peptides, simulate, simulate_cohort
from .specificity import cleavage_specificity, plot_specificity

__all__ = ["DegradationGraph", "build_graph", "build_graph_from_positions", "build_graph_from_peptides", "build_graphs", "read_peptidome",
           "read_fasta", "FlowFit", "fit", "forward", "inflow_range", "from_log2", "graph_from_edges", "Enzyme",
           "ENZYMES", "simulate", "simulate_cohort", "observed_peptides", "cleavage_specificity", "plot_specificity",
           "ProteaseClassifier", "node_features", "plot_graph", "plot_inflow", "fit_cohort", "CohortFit",
           "differential", "Differential", "benjamini_hochberg", "plot_volcano", "plot_peptigram", "peptidome_graph", "PEPTIDE_RELATIONS"]
