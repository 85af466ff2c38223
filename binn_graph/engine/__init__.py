"""The optional performance engine: a faster executor of the same BINN function on CPU.

The model (:class:`binn_graph.model.BINN`) is the readable reference: plain autograd over
:class:`~binn_graph.nn.LevelBlock` modules. This package holds everything that is there only for speed, and
uses private or version-sensitive torch ops:

* :mod:`~binn_graph.engine.fused_stack`: all levels as one autograd node with a hand-written backward pass;
* :mod:`~binn_graph.engine.batch_major`: the input layer read from samples-as-rows input, with a SIMD transpose;
* :mod:`~binn_graph.engine.executor`: :class:`FusedExecutor`, which the model calls.

One switch turns it off: ``BINN.use_engine = False`` (per model or on the class). Both paths give the same outputs,
gradients and batch-norm statistics, in float32 and float64, training and evaluation
(``tests/binn_graph/test_fused_stack.py``).
"""

from .executor import FusedExecutor
from .fused_stack import FusedLevelStack

__all__ = ["FusedExecutor", "FusedLevelStack"]
