"""EdgeLinear: a sparse, edge-weighted linear message-passing layer.

.. math::
    \\mathbf{h}_v = \\sum_{(u, v) \\in \\mathcal{E}} \\mathbf{W}_{uv} \\, \\mathbf{x}_u

with one weight matrix :math:`\\mathbf{W}_{uv} \\in \\mathbb{R}^{k_{out} \\times k_{in}}`
per edge (a scalar when both nodes have width 1). Bias, normalisation,
dropout and activation are applied by the caller (:class:`~binn_graph.nn.LevelBlock`).

Nothing dense of size ``in × out`` is ever built: the layer holds ``E·k_out·k_in``
weights and computes the product with one of two kernels

* ``"csr"``: a CSR sparse × dense matmul (``torch.sparse_csr_tensor``) in a
  custom autograd function; the backward pass uses the transposed CSR for the
  input gradient and a sampled dense-dense matmul (``torch.sparse.sampled_addmm``,
  evaluated on the edges only) for the weight gradient;
* ``"gather"``: gather the source rows, scale by the edge weights and
  ``index_add_`` into the targets (PyG's message/aggregate pattern).

``"auto"`` picks ``"csr"``, the kernel the performance engine (:mod:`binn_graph.engine`) builds on; both
kernels give identical results up to float rounding (tested).

Shapes (node-major, as used inside :class:`~binn_graph.model.BINN`):
    - input ``x``: ``[num_src * k_in, batch]``
    - output: ``[num_dst * k_out, batch]``
"""

from __future__ import annotations

import warnings
from functools import cache

import torch
from torch import Tensor, nn


@cache
def _quiet_csr_beta_warning() -> None:
    """torch warns once per process that sparse CSR is "in beta" (a C++ warn-once): trigger it here, once, with the
    warning caught, instead of installing a global warnings filter."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")
        torch.sparse_csr_tensor(torch.tensor([0, 1]), torch.tensor([0]), torch.ones(1), (1, 1), check_invariants=False)


__all__ = ["EdgeLinear"]


class _CSRMatmul(torch.autograd.Function):
    """``out = W @ x`` for a CSR ``W`` whose values are the (permuted) edge weights."""

    @staticmethod
    def forward(ctx, values: Tensor, x: Tensor, layer: "EdgeLinear") -> Tensor:  # noqa: D401
        w = csr(layer.crow, layer.col, values.index_select(0, layer.perm), layer.shape)
        ctx.save_for_backward(values, x)
        ctx.layer = layer
        return csr_matmul(w, x)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        values, x = ctx.saved_tensors
        layer = ctx.layer
        grad_values = grad_x = None
        if ctx.needs_input_grad[1]:
            grad_x = csr_matmul(layer.transposed_csr(values), grad_out)
        if ctx.needs_input_grad[0]:
            grad_values = edge_gradient(grad_out, x, layer.crow_t, layer.col_t, layer.inverse_t)
        return grad_values, grad_x, None


class EdgeLinear(nn.Module):
    """Sparse linear map along graph edges.

    Parameters
    ----------
    num_src, num_dst:
        Number of source and target nodes.
    edge_index:
        ``LongTensor [2, E]`` of (source, target) node indices; duplicates are not allowed.
    src_width, dst_width:
        Units per source and per target node (``k_in``, ``k_out``).
    kernel:
        ``"auto"``, ``"csr"`` or ``"gather"``.
    """

    def __init__(self, num_src: int, num_dst: int, edge_index: Tensor, src_width: int = 1, dst_width: int = 1,
                 kernel: str = "auto") -> None:
        super().__init__()
        _quiet_csr_beta_warning()
        if kernel not in {"auto", "csr", "gather"}:
            raise ValueError(f"kernel must be 'auto', 'csr' or 'gather', not {kernel!r}")
        edge_index = torch.as_tensor(edge_index, dtype=torch.long)
        if edge_index.dim() != 2 or edge_index.shape[0] != 2:
            raise ValueError(f"edge_index must have shape [2, E], got {tuple(edge_index.shape)}")
        if edge_index.numel() and (edge_index[0].max() >= num_src or edge_index[1].max() >= num_dst
                                   or edge_index.min() < 0):
            raise ValueError("edge_index refers to nodes outside [0, num_src) x [0, num_dst)")
        self.num_src, self.num_dst = int(num_src), int(num_dst)
        self.src_width, self.dst_width = int(src_width), int(dst_width)
        self.kernel = "csr" if kernel == "auto" else kernel
        self.register_buffer("edge_index", edge_index.clone(), persistent=False)
        num_edges = edge_index.shape[1]
        self.weight = nn.Parameter(torch.empty(num_edges, self.dst_width, self.src_width))
        # expanded scalar edges: (e, b, a) -> dst*k_out + b, src*k_in + a, flat weight index e*k_out*k_in + b*k_in + a
        b = torch.arange(self.dst_width).view(1, -1, 1)
        a = torch.arange(self.src_width).view(1, 1, -1)
        src_flat = (edge_index[0].view(-1, 1, 1) * self.src_width + a).expand(-1, self.dst_width, -1).reshape(-1)
        dst_flat = (edge_index[1].view(-1, 1, 1) * self.dst_width + b).expand(-1, -1, self.src_width).reshape(-1)
        self.register_buffer("src_flat", src_flat, persistent=False)
        self.register_buffer("dst_flat", dst_flat, persistent=False)
        self.shape = (self.num_dst * self.dst_width, self.num_src * self.src_width)
        for name, value in csr_layout(dst_flat, src_flat, self.shape).items():
            self.register_buffer(name, value, persistent=False)
        self.reset_parameters()

    @property
    def num_edges(self) -> int:
        """Number of graph edges ``E``."""
        return int(self.weight.shape[0])

    def fan_in(self) -> Tensor:
        """Number of input units feeding each target node, ``[num_dst]``."""
        deg = torch.bincount(self.edge_index[1], minlength=self.num_dst)
        return deg * self.src_width

    def reset_parameters(self) -> None:
        """Glorot-uniform per target node, using its real fan-in (not the dense layer's width)."""
        fan_in = self.fan_in().clamp(min=1).to(torch.float32)
        bound = torch.sqrt(6.0 / (fan_in + self.dst_width))[self.edge_index[1]].view(-1, 1, 1)
        with torch.no_grad():
            self.weight.uniform_(-1.0, 1.0).mul_(bound)

    def forward(self, x: Tensor) -> Tensor:
        """``x``: ``[num_src * k_in, batch]`` -> ``[num_dst * k_out, batch]``."""
        if x.shape[0] != self.shape[1]:
            raise ValueError(f"expected {self.shape[1]} input rows (num_src * src_width), got {x.shape[0]}")
        values = self.weight.reshape(-1)
        if self.kernel == "csr":
            return _CSRMatmul.apply(values, x, self)
        out = x.new_zeros(self.shape[0], x.shape[1])
        return out.index_add_(0, self.dst_flat, x[self.src_flat] * values.unsqueeze(1))

    def transposed_csr(self, values: Tensor) -> Tensor:
        """``W^T`` (``[num_src * k_in, num_dst * k_out]``) as a CSR tensor, from the flat edge ``values``."""
        return csr(self.crow_t, self.col_t, values.index_select(0, self.perm_t), (self.shape[1], self.shape[0]))

    def dense_weight(self) -> Tensor:
        """The equivalent dense ``[num_dst * k_out, num_src * k_in]`` matrix (for tests and small graphs only)."""
        dense = torch.zeros(self.shape, dtype=self.weight.dtype)
        dense.index_put_((self.dst_flat, self.src_flat), self.weight.reshape(-1), accumulate=True)
        return dense

    def extra_repr(self) -> str:
        """Sizes, edges and kernel, for ``print(module)``."""
        return (f"{self.num_src}x{self.src_width} -> {self.num_dst}x{self.dst_width}, edges={self.num_edges}, "
                f"kernel={self.kernel!r}")


def edge_gradient(grad_out: Tensor, x: Tensor, crow_t: Tensor, col_t: Tensor,
                  inverse_t: Tensor | None = None) -> Tensor:
    """Gradient of the edge weights of ``W @ x`` (``x`` node-major ``[num_src, batch]``): ``x @ grad_out^T``
    evaluated on the edges only (``torch.sparse.sampled_addmm``).

    The pattern is the transposed CSR (rows = sources), so the large input ``x`` is read row by row, once, in
    order, while the smaller ``grad_out`` rows are gathered (faster than the target-major order, which gathers
    input rows). The result is in that CSR order, or in the entries' own order when
    ``inverse_t`` (:func:`csr_layout`'s) is given: a gather, faster than scattering with ``perm_t``.
    """
    pattern = csr(crow_t, col_t, x.new_zeros(col_t.shape[0]), (x.shape[0], grad_out.shape[0]))
    sampled = torch.sparse.sampled_addmm(pattern, x.contiguous(), grad_out.contiguous().t(), beta=0.0).values()
    return sampled if inverse_t is None else sampled.index_select(0, inverse_t)


def csr_matmul(w: Tensor, dense: Tensor, out: Tensor | None = None) -> Tensor:
    """``w @ dense`` for a CSR ``w``, written into ``out`` (a new tensor when None).

    torch's ``mm`` with a CSR operand fills a zeroed temporary and copies it into its result; ``addmm`` with
    ``beta=0`` lets MKL write the result directly.
    """
    if out is None:
        out = dense.new_empty(w.shape[0], dense.shape[1])
    return torch.addmm(out, w, dense, beta=0, out=out)


def csr(crow: Tensor, col: Tensor, values: Tensor, shape: tuple[int, int]) -> Tensor:
    """A CSR tensor from index arrays built by :func:`csr_layout` (trusted: invariants are not re-checked)."""
    return torch.sparse_csr_tensor(crow, col, values, shape, check_invariants=False)


def csr_layout(rows: Tensor, cols: Tensor, shape: tuple[int, int]) -> dict[str, Tensor]:
    """Index arrays of the CSR form of a sparse matrix with entries at ``(rows[i], cols[i])`` and of its transpose.

    ``perm`` / ``perm_t`` map CSR order to the entries' given order (so ``values[perm]`` are the CSR values),
    ``inverse_t`` is the inverse of ``perm_t`` (values in the transposed CSR order, ``v``, are ``v[inverse_t]`` in
    the entries' order);
    ``crow``, ``col`` (and ``crow_t``, ``col_t`` for the transpose) are the compressed indices.
    """
    perm = torch.argsort(rows * shape[1] + cols)
    perm_t = torch.argsort(cols * shape[0] + rows)
    inverse_t = torch.empty_like(perm_t)
    inverse_t[perm_t] = torch.arange(perm_t.numel())
    # 32-bit compressed indices where they fit: the MKL sparse kernels take them without a per-call conversion
    index = torch.int32 if max(shape[0], shape[1], rows.numel()) < 2 ** 31 else torch.long
    return {"perm": perm, "perm_t": perm_t, "inverse_t": inverse_t,
            "col": cols[perm].to(index), "col_t": rows[perm_t].to(index),
            "crow": _crow(rows[perm], shape[0]).to(index), "crow_t": _crow(cols[perm_t], shape[1]).to(index)}


def _crow(rows_sorted: Tensor, num_rows: int) -> Tensor:
    counts = torch.bincount(rows_sorted, minlength=num_rows)
    return torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(counts, 0)])


def __getattr__(name: str):
    if name == "transposed_copy":  # moved to the performance engine; the old import works for one release
        warnings.warn("binn_graph.nn.edge_linear.transposed_copy moved to binn_graph.engine.batch_major",
                      DeprecationWarning, stacklevel=2)
        from ..engine.batch_major import transposed_copy

        return transposed_copy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
