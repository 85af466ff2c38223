"""binn_graph: biologically informed neural networks compiled from a :class:`kg.KnowledgeGraph`.

The BINN engine, attribution, degradation-graph and genomic-prediction models
are built on top of :mod:`kg`; see the README for the roadmap.
"""

from .errors import BINNError

__all__ = ["BINNError"]

__version__ = "0.1.0"
