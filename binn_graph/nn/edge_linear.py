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

``"auto"`` picks ``"csr"``, measured the faster of the two on every layer shape of
the P-NET-sized benchmark (``benchmarks/bench_layers.py``); both give identical
results up to float rounding.

Shapes (node-major, as used inside :class:`~binn_graph.model.BINN`):
    - input ``x``: ``[num_src * k_in, batch]``
    - output: ``[num_dst * k_out, batch]``
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn

warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


def _simd_transpose_available() -> bool:
    """Whether ATen's channels-last channel shuffle transposes float32 with FBGEMM's SIMD kernel: torch built with
    FBGEMM (the x86 wheels) on a CPU FBGEMM supports, checked on a small example. Elsewhere that kernel is a scalar
    loop (or refuses the CPU), and :func:`transposed_copy` copies in column blocks instead."""
    if "fbgemm" not in torch.backends.quantized.supported_engines:
        return False
    x = torch.arange(6, dtype=torch.float32).view(2, 3)
    try:
        shuffled = torch.channel_shuffle(x.as_strided((1, 6, 1, 1), (6, 1, 6, 6)), 2)
    except RuntimeError:
        return False
    return torch.equal(shuffled.reshape(3, 2), x.t())


_SIMD_TRANSPOSE = _simd_transpose_available()

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


class _ChunkedCSRMatmul(torch.autograd.Function):
    """``out = W @ x.t()`` for a batch-major ``x`` ``[batch, num_src * k_in]``: the input is transposed in column
    chunks (one chunk where the SIMD transpose applies), each multiplied by the matching column block of ``W``."""

    @staticmethod
    def forward(ctx, values: Tensor, x: Tensor, layer: "EdgeLinear", addend: Tensor | None) -> Tensor:  # noqa: D401
        chunks = []
        out = None
        for start, stop, crow, col, perm, *_ in layer.column_chunks():
            xt = transposed_copy(x[:, start:stop])
            w = csr(crow, col, values.index_select(0, perm), (layer.shape[0], stop - start))
            if out is None:
                out = csr_matmul(w, xt) if addend is None else torch.addmm(addend, w, xt)
            else:
                out.addmm_(w, xt)
            chunks.append(xt)
        ctx.save_for_backward(values, x, *chunks)
        ctx.layer = layer
        return out

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        values, x, *chunks = ctx.saved_tensors
        layer = ctx.layer
        grad_values = grad_x = None
        if ctx.needs_input_grad[1]:
            grad_x = csr_matmul(layer.transposed_csr(values), grad_out).t()
        if ctx.needs_input_grad[0] and len(chunks) == 1:  # one chunk: the layer's own transposed pattern
            grad_values = edge_gradient(grad_out, chunks[0], layer.crow_t, layer.col_t, layer.inverse_t)
        elif ctx.needs_input_grad[0]:
            grad_values = torch.empty_like(values)
            for (start, stop, *_, crow_t, col_t, perm_t), xt in zip(layer.column_chunks(), chunks):
                grad_values[perm_t] = edge_gradient(grad_out, xt, crow_t, col_t)
        return grad_values, grad_x, None, None


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

    # input columns per chunk of forward_batch_major (measured on full Reactome): without the SIMD transpose, a
    # chunk is transposed by blocked copies and multiplied while still in cache; with it, one chunk is fastest
    chunk_columns: int = 1 << 30 if _SIMD_TRANSPOSE else 6144

    def column_chunks(self) -> list[tuple[int, int, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]]:
        """``(start, stop, crow, col, perm, crow_t, col_t, perm_t)`` per block of ``chunk_columns`` input columns:
        the CSR of that column block of ``W`` and of its transpose, with ``perm`` / ``perm_t`` indexing the flat
        weights."""
        key = (self.col.device, self.chunk_columns)
        cached = getattr(self, "_column_chunks", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        chunks = []
        src, dst = self.src_flat, self.dst_flat
        for start in range(0, self.shape[1], self.chunk_columns):
            stop = min(start + self.chunk_columns, self.shape[1])
            inside = torch.nonzero((src >= start) & (src < stop)).squeeze(1)
            layout = csr_layout(dst[inside], src[inside] - start, (self.shape[0], stop - start))
            chunks.append((start, stop, layout["crow"], layout["col"], inside[layout["perm"]],
                           layout["crow_t"], layout["col_t"], inside[layout["perm_t"]]))
        self._column_chunks = (key, chunks)
        return chunks

    def forward_batch_major(self, x: Tensor, addend: Tensor | None = None) -> Tensor:
        """``x``: ``[batch, num_src * k_in]`` (samples as rows) -> ``[num_dst * k_out, batch]``.

        Same result as ``forward(x.t().contiguous())`` (CSR kernel; the gather kernel transposes first). Where the
        SIMD transpose applies (float32, torch built with FBGEMM) the input is transposed at once; otherwise the
        transpose and the product go in column chunks, so each transposed chunk is multiplied while still in cache.
        ``addend`` (``[num_dst * k_out, 1]`` or ``[num_dst * k_out, batch]``), when given, is added to the result
        as a constant (no gradient flows to it): the caller's biases, saving a pass over the output.
        """
        if x.dim() != 2 or x.shape[1] != self.shape[1]:
            raise ValueError(f"expected input of shape [batch, {self.shape[1]}], got {tuple(x.shape)}")
        if addend is not None:
            addend = addend.detach()
        if self.kernel != "csr":
            out = self(transposed_copy(x))
            return out if addend is None else out + addend
        return _ChunkedCSRMatmul.apply(self.weight.reshape(-1), x, self, addend)

    def transposed_csr(self, values: Tensor) -> Tensor:
        """``W^T`` (``[num_src * k_in, num_dst * k_out]``) as a CSR tensor, from the flat edge ``values``."""
        return csr(self.crow_t, self.col_t, values.index_select(0, self.perm_t), (self.shape[1], self.shape[0]))

    def dense_weight(self) -> Tensor:
        """The equivalent dense ``[num_dst * k_out, num_src * k_in]`` matrix (for tests and small graphs only)."""
        dense = torch.zeros(self.shape, dtype=self.weight.dtype)
        dense.index_put_((self.dst_flat, self.src_flat), self.weight.reshape(-1), accumulate=True)
        return dense

    def extra_repr(self) -> str:
        return (f"{self.num_src}x{self.src_width} -> {self.num_dst}x{self.dst_width}, edges={self.num_edges}, "
                f"kernel={self.kernel!r}")


def transposed_copy(x: Tensor, block: int = 1024) -> Tensor:
    """``x.t().contiguous()`` for a 2-D ``x``, without autograd.

    Contiguous float32 inputs go through ``torch.channel_shuffle`` on a channels-last ``[1, rows * cols, 1, 1]``
    view: shuffling ``rows`` groups of ``cols`` channels is by definition the transpose, and ATen's channels-last
    kernel does it with FBGEMM's SIMD transpose (256 × 11,876 float32: 0.75 ms warm, 1.2 ms cold, against 1.3 and
    2.1 ms for column blocks and 3.6 for a plain strided copy). Other inputs are copied in column blocks of
    ``block`` (2–3× faster than the plain strided copy for wide inputs); inputs that need a gradient take the plain
    path.
    """
    if x.dim() != 2 or x.requires_grad:
        return x.t().contiguous()
    rows, cols = x.shape
    if _SIMD_TRANSPOSE and x.dtype == torch.float32 and x.is_contiguous() and rows > 1 and cols > 1:
        flat = rows * cols
        shuffled = torch.channel_shuffle(x.as_strided((1, flat, 1, 1), (flat, 1, flat, flat)), rows)
        return shuffled.view(-1).view(cols, rows)
    if cols <= block:
        return x.t().contiguous()
    out = x.new_empty(cols, rows)
    for start in range(0, cols, block):
        out[start:start + block].copy_(x[:, start:start + block].t())
    return out


def edge_gradient(grad_out: Tensor, x: Tensor, crow_t: Tensor, col_t: Tensor,
                  inverse_t: Tensor | None = None) -> Tensor:
    """Gradient of the edge weights of ``W @ x`` (``x`` node-major ``[num_src, batch]``): ``x @ grad_out^T``
    evaluated on the edges only (``torch.sparse.sampled_addmm``).

    The pattern is the transposed CSR (rows = sources), so the large input ``x`` is read row by row, once, in
    order, while the smaller ``grad_out`` rows are gathered: 25–30 % faster at full Reactome than the target-major
    order, which gathers input rows. The result is in that CSR order, or in the entries' own order when
    ``inverse_t`` (:func:`csr_layout`'s) is given: a gather, 4× faster than scattering with ``perm_t``.
    """
    pattern = csr(crow_t, col_t, x.new_zeros(col_t.shape[0]), (x.shape[0], grad_out.shape[0]))
    sampled = torch.sparse.sampled_addmm(pattern, x.contiguous(), grad_out.contiguous().t(), beta=0.0).values()
    return sampled if inverse_t is None else sampled.index_select(0, inverse_t)


def csr_matmul(w: Tensor, dense: Tensor, out: Tensor | None = None) -> Tensor:
    """``w @ dense`` for a CSR ``w``, written into ``out`` (a new tensor when None).

    torch's ``mm`` with a CSR operand fills a zeroed temporary and copies it into its result; ``addmm`` with
    ``beta=0`` zeroes the result and lets MKL write it directly (1,925 × 809 CSR times 809 × 256: 91 → 52 µs).
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
