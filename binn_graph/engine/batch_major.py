"""The BINN's input layer applied to batch-major input (samples as rows), through one fast transposed copy.

:class:`~binn_graph.nn.EdgeLinear` reads node-major input ``[num_src * k_in, batch]``; a data batch arrives as
``[batch, num_src * k_in]``. :func:`forward_batch_major` computes ``layer(x.t().contiguous())`` with the transpose
once, with the SIMD transpose where it applies; the layer's product keeps that copy for the weight gradient.

:func:`transposed_copy` transposes float32 with FBGEMM's SIMD kernel where torch has it (x86 wheels), through
``torch.channel_shuffle`` on a channels-last view: shuffling ``rows`` groups of ``cols`` channels is by
definition the transpose. Elsewhere it copies in column blocks. Whether the SIMD kernel is usable is checked once,
on first use, on a small example.

Shapes: ``x`` ``[batch, num_src * k_in]`` → ``[num_dst * k_out, batch]``.
"""

from __future__ import annotations

from functools import cache

import torch
from torch import Tensor

from ..nn.edge_linear import EdgeLinear

__all__ = ["forward_batch_major", "transposed_copy", "simd_transpose_available"]


@cache
def simd_transpose_available() -> bool:
    """Whether ``torch.channel_shuffle`` on a channels-last float32 view transposes (torch built with FBGEMM on
    a CPU FBGEMM supports), checked once on a small example."""
    if "fbgemm" not in torch.backends.quantized.supported_engines:
        return False
    x = torch.arange(6, dtype=torch.float32).view(2, 3)
    try:
        shuffled = torch.channel_shuffle(x.as_strided((1, 6, 1, 1), (6, 1, 6, 6)), 2)
    except RuntimeError:
        return False
    return torch.equal(shuffled.reshape(3, 2), x.t())


def transposed_copy(x: Tensor, block: int = 1024, simd: bool | None = None) -> Tensor:
    """``x.t().contiguous()`` for a 2-D ``x`` that needs no gradient (others take the plain path).

    ``simd=None`` uses the SIMD transpose where :func:`simd_transpose_available`; ``False`` forces the column-block
    copy (blocks of ``block`` columns), the path of machines without it.
    """
    if x.dim() != 2 or x.requires_grad:
        return x.t().contiguous()
    rows, cols = x.shape
    if simd is None:
        simd = simd_transpose_available()
    if simd and x.dtype == torch.float32 and x.is_contiguous() and rows > 1 and cols > 1:
        flat = rows * cols
        shuffled = torch.channel_shuffle(x.as_strided((1, flat, 1, 1), (flat, 1, flat, flat)), rows)
        return shuffled.view(-1).view(cols, rows)
    if cols <= block:
        return x.t().contiguous()
    out = x.new_empty(cols, rows)
    for start in range(0, cols, block):
        out[start:start + block].copy_(x[:, start:start + block].t())
    return out


def forward_batch_major(layer: EdgeLinear, x: Tensor) -> Tensor:
    """``layer(x.t().contiguous())`` for ``x`` ``[batch, num_src * k_in]``: ``[num_dst * k_out, batch]``."""
    if x.dim() != 2 or x.shape[1] != layer.shape[1]:
        raise ValueError(f"expected input of shape [batch, {layer.shape[1]}], got {tuple(x.shape)}")
    # the layer's own product saves the transposed copy for the weight gradient; an input that needs a gradient
    # is transposed by autograd (transposed_copy's plain path)
    return layer(transposed_copy(x))
