"""NodeMLP: an independent linear map inside every node (a block-diagonal layer).

.. math::
    \\mathbf{h}'_v = \\mathbf{W}_v \\mathbf{h}_v + \\mathbf{b}_v, \\qquad
    \\mathbf{W}_v \\in \\mathbb{R}^{k_{out} \\times k_{in}}

Stacked after an :class:`~binn_graph.nn.EdgeLinear` with ``dst_width = k_in`` it
turns each node into a small MLP of its own inputs, e.g. a gene whose 20 SNPs
feed 128 hidden units and one latent output (Kontolati et al. 2025). Computed
with one batched matmul over nodes: ``n·k_out·k_in`` weights, never a dense
``(n·k_out) × (n·k_in)`` matrix.

Shapes (node-major): input ``[n * k_in, batch]`` → output ``[n * k_out, batch]``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["NodeMLP"]


class NodeMLP(nn.Module):
    """Per-node linear layer ``k_in -> k_out`` for ``num_nodes`` nodes."""

    def __init__(self, num_nodes: int, in_width: int, out_width: int, bias: bool = True) -> None:
        super().__init__()
        self.num_nodes, self.in_width, self.out_width = int(num_nodes), int(in_width), int(out_width)
        self.weight = nn.Parameter(torch.empty(self.num_nodes, self.out_width, self.in_width))
        self.bias = nn.Parameter(torch.zeros(self.num_nodes, self.out_width, 1)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform weights per node, zero biases."""
        bound = math.sqrt(6.0 / (self.in_width + self.out_width))
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.zero_()

    def forward(self, x: Tensor, nodes: Tensor | None = None) -> Tensor:
        """``x``: ``[n * k_in, batch]`` -> ``[n * k_out, batch]``, for all nodes or the listed local ``nodes``
        (``LongTensor [n]``)."""
        weight = self.weight if nodes is None else self.weight[nodes]
        n = weight.shape[0]
        batch = x.shape[1]
        h = torch.bmm(weight, x.reshape(n, self.in_width, batch))
        if self.bias is not None:
            h = h + (self.bias if nodes is None else self.bias[nodes])
        return h.reshape(n * self.out_width, batch)

    def extra_repr(self) -> str:
        """Nodes and widths, for ``print(module)``."""
        return f"nodes={self.num_nodes}, {self.in_width} -> {self.out_width}"
