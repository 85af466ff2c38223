"""Neural-network building blocks: one layer per file."""

from .edge_linear import EdgeLinear
from .fused_stack import FusedLevelStack
from .level_block import ACTIVATIONS, LevelBlock
from .node_mlp import NodeMLP

__all__ = ["EdgeLinear", "FusedLevelStack", "LevelBlock", "NodeMLP", "ACTIVATIONS"]
