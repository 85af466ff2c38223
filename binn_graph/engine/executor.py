"""FusedExecutor: computes a BINN's level states with the fused stack, the same function as the model's own path.

The model's reference executor (:meth:`binn_graph.model.BINN.level_states` with ``fused=False``) runs every level
as its own autograd node. This executor runs all latent levels and the output as one autograd node
(:class:`~binn_graph.engine.fused_stack.FusedLevelStack`) and, when nothing else needs the node-major input,
feeds the input layer batch-major input (:func:`~binn_graph.engine.batch_major.forward_batch_major`). It holds
no parameters: they stay in the model's modules.

Shapes: ``x`` ``[batch, n_inputs * k_in]``; the states are node-major ``[n_l * k_l, batch]`` per level, the
inputs first (None when not kept) and the output logits ``[n_out, batch]`` last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import Tensor, nn

from .batch_major import forward_batch_major, transposed_copy
from .fused_stack import FusedLevelStack

if TYPE_CHECKING:  # pragma: no cover
    from ..model import BINN

__all__ = ["FusedExecutor"]


class FusedExecutor(nn.Module):
    """The fused engine of one BINN; build with :meth:`build`, which returns None where it cannot apply."""

    def __init__(self, model: "BINN", stack: FusedLevelStack) -> None:
        super().__init__()
        self._model = [model]  # a plain list: the model owns the executor, not the other way round
        self.stack = stack

    @classmethod
    def build(cls, model: "BINN") -> "FusedExecutor | None":
        """The executor of ``model``, or None where a level is not a plain sparse layer (node subnetworks, the
        gather kernel, an activation without an output-expressible derivative)."""
        stack = FusedLevelStack.build(model.levels)
        return None if stack is None else cls(model, stack)

    def applies(self, batch_size: int, training: bool) -> bool:
        """False where some level would behave differently (active dropout, attribution hooks, a batch of 1)."""
        return self.stack.applies(batch_size, training)

    def states(self, x: Tensor, keep_inputs: bool) -> list:
        """Level states of ``x`` (see the module docstring); ``states[0]`` is the node-major input when
        ``keep_inputs`` (or when a level reads the inputs with its own layer), else None."""
        model = self._model[0]
        own_inputs = model.own_inputs
        if keep_inputs or any(own_inputs) or not model.fused_inputs:
            inputs = transposed_copy(x)
            message = model.input_edges(inputs) if model.fused_inputs else None
        else:  # training and prediction: the input layer reads the batch-major input directly
            inputs = None
            message = forward_batch_major(model.input_edges, x)
        extras = [block.edge_groups[0](inputs) if own else None for block, own in zip(model.levels, own_inputs)]
        # the fused input layer's rows are laid out as the stack's latent buffer: one message for all levels
        latent, logits = self.stack(extras, x.shape[0], x, message)
        offsets = self.stack.offsets
        return [inputs] + [latent[a:b] for a, b in zip(offsets[:-2], offsets[1:-1])] + [logits]
