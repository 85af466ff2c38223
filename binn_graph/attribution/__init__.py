"""Graph-level attribution: which nodes and pathways drive a prediction, and whether it is the biology.

* :func:`explain` — one table of node importances (clamp, ablation, integrated gradients, layer conductance),
  connectivity-normalised, optionally against a rewired-graph or permuted-label null with p- and q-values;
* :func:`explain_edges` — importance flowing along each edge;
* :func:`stability`, :func:`explain_ensemble` — ranks across seeds or folds, Kendall τ;
* :func:`write_importances` — importances back onto the :class:`~kg.KnowledgeGraph`;
* :func:`binn_spiked_edge_test` — do real edges end with larger weights than randomly spiked ones?
* :mod:`.plot` — layered top-k subgraph and per-level ranking bars.
"""

from .explain import METHODS, explain, explain_edges
from .export import write_importances
from .spiked import BINNSpikedResult, binn_edge_weights, binn_spiked_edge_test
from .stability import explain_ensemble, stability

__all__ = ["explain", "explain_edges", "stability", "explain_ensemble", "write_importances", "METHODS",
           "binn_spiked_edge_test", "binn_edge_weights", "BINNSpikedResult"]
