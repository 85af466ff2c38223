"""Neural-network building blocks: one layer per file."""

from .edge_linear import EdgeLinear
from .level_block import ACTIVATIONS, LevelBlock

__all__ = ["EdgeLinear", "LevelBlock", "ACTIVATIONS"]
