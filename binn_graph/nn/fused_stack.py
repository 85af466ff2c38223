"""Moved to :mod:`binn_graph.engine.fused_stack` (the performance engine); this import works for one release."""

import warnings

from ..engine.fused_stack import FusedLevelStack

warnings.warn("binn_graph.nn.fused_stack moved to binn_graph.engine.fused_stack", DeprecationWarning, stacklevel=2)

__all__ = ["FusedLevelStack"]
