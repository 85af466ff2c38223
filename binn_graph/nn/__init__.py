"""Neural-network building blocks: one layer per file."""

from .edge_linear import EdgeLinear
from .level_block import ACTIVATIONS, LevelBlock
from .node_mlp import NodeMLP

__all__ = ["EdgeLinear", "LevelBlock", "NodeMLP", "ACTIVATIONS"]


def __getattr__(name: str):
    if name == "FusedLevelStack":  # moved to the performance engine; the old import works for one release
        import warnings

        warnings.warn("binn_graph.nn.FusedLevelStack moved to binn_graph.engine", DeprecationWarning, stacklevel=2)
        from ..engine import FusedLevelStack

        return FusedLevelStack
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
