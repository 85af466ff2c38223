"""Signalling networks: signed, cyclic prior-knowledge graphs run to a steady state (LEMBAS-style recurrent BINNs).

* :class:`SignalingModule`: the ``torch.nn.Module`` (one weight per PKN edge, node bias, MML activation, steady state
  with implicit gradients, knockouts and clamps).
* :class:`SignalingNetwork`: the scikit-learn regressor (inputs and outputs matched to graph nodes by id).
* :func:`node_importance`, :func:`edge_importance`: knockout and gradient × weight importance per output.
* :func:`spiked_edge_test`: does the data support the prior (random spiked edges vs real edges)?
* :func:`steady_state`, :func:`mml`: the fixed point and the activation; :mod:`.spectral`: the spectral radius.
"""

from .estimator import SignalingNetwork, one_cycle, signed_edges
from .importance import edge_importance, node_importance
from .model import SignalingModule
from .spiked import SpikedEdgeResult, spike_edges, spiked_edge_test, weight_auc
from .steady_state import SteadyStateError, mml, steady_state

__all__ = ["SignalingNetwork", "SignalingModule", "signed_edges", "one_cycle", "SteadyStateError", "mml", "steady_state",
           "node_importance", "edge_importance", "spiked_edge_test", "spike_edges", "weight_auc", "SpikedEdgeResult"]
