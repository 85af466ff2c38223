"""FusedLevelStack: all latent levels and the output of a BINN as one autograd node.

Executing a deep hierarchy level by level through autograd costs little arithmetic
but much overhead: in dag mode over Reactome, each of the 12 levels
concatenates every source level (≈2,700 rows × batch), and in the backward pass
writes and accumulates a dense gradient of that size, although the top levels
read only 20–300 source rows. This executor computes the same function as the
:class:`~binn_graph.nn.LevelBlock` modules it is built from (and uses their
parameters), but

* keeps every latent state in one node-major buffer ``H`` (``[Σ n_l·k_l, batch]``), so
  each level multiplies its CSR matrix (columns = rows of ``H``; only rows of earlier
  levels are referenced) by ``H`` itself, with no concatenation or slicing;
* runs the backward pass by hand in reverse level order and *pulls* each level's output
  gradient in one sparse product: the transposed CSR of the level's outgoing edges times the
  (already complete) pre-activation gradients of all later levels. No dense gradient buffer
  is zero-filled or scatter-added into. The activation's derivative is taken from its
  output with ATen's backward ops, and small levels use ATen's batch-norm backward;
* gathers the CSR values of every level from the levels' weights in one index operation,
  computes every edge-weight gradient in one sampled matmul (``torch.sparse.sampled_addmm``,
  via :func:`~binn_graph.nn.edge_linear.edge_gradient`, as the input layer does) and every
  bias gradient in one sum at the end;
* for large training levels (≥ 65,536 values), takes batch-norm statistics from row sums
  (with the matching closed-form backward); ATen's batch norm is slower for this
  node-major layout on CPU;
* computes tanh as ``2·sigmoid(2x) − 1`` from 4,096 values on (for large levels with
  the factor 2 folded into the batch norm's scale and shift): torch's CPU tanh is slower.

Under batch norm a level's bias is a zero buffer (batch norm's shift takes its place), and the stack skips it.

Step times with and without it: ``benchmarks/RESULTS.md`` (``benchmarks/bench_engine.py``).

It applies when every level is a plain sparse layer (no node subnetwork, no
active dropout) whose activation has an output-expressible derivative; otherwise
:class:`~binn_graph.model.BINN` runs its levels one by one. Both give the same
outputs and gradients (tested).

Shapes: ``extras[l]`` is ``[n_l·k_l, batch]`` or None (messages computed outside, e.g. from
the inputs); ``message`` (optional) ``[Σ n_l·k_l, batch]`` holds messages to every latent
level; the result is ``(H, logits)`` with ``logits`` ``[n_out, batch]``.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from ..nn.edge_linear import csr, csr_layout, csr_matmul, edge_gradient
from ..nn.level_block import LevelBlock

__all__ = ["FusedLevelStack"]


# the activations the stack supports, each with ATen's backward op taking the activation's output y (identity
# needs none): (grad, y, out) -> out = grad · activation'(x); the OpOverloads are looked up once
_TANH_BACKWARD = torch.ops.aten.tanh_backward.grad_input
_SIGMOID_BACKWARD = torch.ops.aten.sigmoid_backward.grad_input
_THRESHOLD_BACKWARD = torch.ops.aten.threshold_backward.grad_input
_LEAKY_RELU_BACKWARD = torch.ops.aten.leaky_relu_backward.grad_input
_ELU_BACKWARD = torch.ops.aten.elu_backward.grad_input
_BATCH_NORM_BACKWARD = torch.ops.aten.native_batch_norm_backward.default
_ACTIVATION_BACKWARDS = {
    "tanh": lambda g, y, out: _TANH_BACKWARD(g, y, grad_input=out),
    "sigmoid": lambda g, y, out: _SIGMOID_BACKWARD(g, y, grad_input=out),
    "relu": lambda g, y, out: _THRESHOLD_BACKWARD(g, y, 0, grad_input=out),
    # F.leaky_relu's default slope 0.01 and F.elu's alpha 1, as LevelBlock applies them
    "leaky_relu": lambda g, y, out: _LEAKY_RELU_BACKWARD(g, y, 0.01, True, grad_input=out),
    "elu": lambda g, y, out: _ELU_BACKWARD(g, 1.0, 1.0, 1.0, True, y, grad_input=out),
    "identity": lambda g, y, out: out.copy_(g),
}


class FusedLevelStack(nn.Module):
    """Index plan for running ``blocks`` (latent levels 1..L-1, then the output) as one autograd node.

    Holds no parameters: they stay in ``blocks``. Build it with :meth:`build`, which returns None
    when a block cannot be fused (node subnetworks, an activation without an output-expressible derivative).
    """

    def __init__(self, blocks: Sequence[LevelBlock]) -> None:
        super().__init__()
        self._blocks = list(blocks)  # a plain list: not registered, the parameters belong to the BINN
        # per level, what the executor reads on every call, looked up once (module attribute access is slow; the
        # levels' structure is fixed once built):
        # the batch norm module (or None), the activation's name and function, and where each of the level's four
        # tensors lives, as (the module's parameter or buffer dict, name), so a reassigned tensor is seen. The bias
        # is a zero buffer under batch norm (no gradient), a parameter otherwise
        self.norms = [block.norm for block in self._blocks]
        self.activation_names = [block.activation_name for block in self._blocks]
        self.activations = [block.activation for block in self._blocks]
        self.offsets = [0]
        for block in self._blocks:  # rows of H per latent level; the output's rows follow (gradient buffer only)
            self.offsets.append(self.offsets[-1] + block.num_nodes * block.width)
        self.latent_rows = self.offsets[-2]
        self.level_rows = [b - a for a, b in zip(self.offsets[:-2], self.offsets[1:-1])]  # latent levels
        self.latent_groups: list[int | None] = []
        self._parameter_slots: list[tuple[dict, str] | None] = []  # (dict, name) of the parameters, 4 per level
        self.shapes: list[tuple[int, int]] = []
        all_rows, all_cols, forward_perms = [], [], []
        self.forward_nnz: list[int] = []
        weight_offset = 0
        for i, block in enumerate(self._blocks):
            group = next((g for g, members in enumerate(block.groups) if members != [0]), None)
            self.latent_groups.append(group)
            norm = block.norm
            bias_home = block._parameters if "bias" in block._parameters else block._buffers
            self._parameter_slots.extend([(block.edge_groups[group]._parameters, "weight") if group is not None
                                          else None, (bias_home, "bias"),
                                          (norm._parameters, "weight") if norm is not None else None,
                                          (norm._parameters, "bias") if norm is not None else None])
            self.shapes.append((block.num_nodes * block.width, self.offsets[i]))
            if group is None:
                continue
            layer = block.edge_groups[group]
            # stacked source row (LevelBlock's order: source levels ascending) -> row of H
            to_global = torch.cat([torch.arange(self.offsets[s - 1], self.offsets[s]) for s in block.groups[group]])
            cols = to_global[layer.src_flat]
            forward = csr_layout(layer.dst_flat, cols, self.shapes[i])
            for name in ("col", "crow"):
                self.register_buffer(f"{name}_{i}", forward[name], persistent=False)
            forward_perms.append(forward["perm"] + weight_offset)
            self.forward_nnz.append(int(cols.numel()))
            weight_offset += int(cols.numel())
            all_rows.append(layer.dst_flat + self.offsets[i])
            all_cols.append(cols)
        # CSR values of every level's incoming edges, gathered at once from the levels' weights concatenated
        self.register_buffer("perm_forward", torch.cat(forward_perms) if forward_perms
                             else torch.zeros(0, dtype=torch.long), persistent=False)
        # every latent edge at once (in the order of the levels' weights, concatenated), transposed (rows = sources
        # in H, columns = targets in the gradient buffer), for the weight gradients
        rows = torch.cat(all_rows) if all_rows else torch.zeros(0, dtype=torch.long)
        cols = torch.cat(all_cols) if all_cols else torch.zeros(0, dtype=torch.long)
        pattern = csr_layout(rows, cols, (self.offsets[-1], self.latent_rows))
        for name in ("inverse_t", "col_t", "crow_t"):
            self.register_buffer(f"{name}_all", pattern[name], persistent=False)
        # per latent level, its edges to later levels, transposed (rows = its units, columns = rows of the
        # gradient buffer after it): the backward pass pulls each level's gradient in one product
        pull_perms = []
        self.pull_nnz: list[int] = []
        for i, (a, b) in enumerate(zip(self.offsets[:-2], self.offsets[1:-1])):
            out_edges = torch.nonzero((cols >= a) & (cols < b)).squeeze(1)
            pull = csr_layout(cols[out_edges] - a, rows[out_edges] - b, (b - a, self.offsets[-1] - b))
            self.register_buffer(f"crow_pull_{i}", pull["crow"], persistent=False)
            self.register_buffer(f"col_pull_{i}", pull["col"], persistent=False)
            pull_perms.append(out_edges[pull["perm"]])
            self.pull_nnz.append(int(out_edges.numel()))
        self.register_buffer("perm_pull", torch.cat(pull_perms) if pull_perms else torch.zeros(0, dtype=torch.long),
                             persistent=False)
        self._plans: list | None = None

    @classmethod
    def build(cls, blocks: Sequence[LevelBlock]) -> "FusedLevelStack | None":
        """The stack of ``blocks``, or None where one cannot be fused (node subnetworks, the gather kernel, an
        activation without an output-expressible derivative)."""
        if any(len(b.subnetwork) or b.activation_name not in _ACTIVATION_BACKWARDS for b in blocks):
            return None
        if any(layer.kernel != "csr" for b in blocks for layer in b.edge_groups):
            return None
        return cls(blocks)

    def _apply(self, fn, recurse=True):
        self._plans = None  # index tensors moved: rebuild the cached plans
        return super()._apply(fn, recurse)

    def applies(self, batch_size: int, training: bool) -> bool:
        """False when some block would behave differently here (active dropout, attribution hooks, batch of 1)."""
        for block in self._blocks:
            if block.keep_pre or (training and block.dropout is not None):
                return False
        if training and batch_size < 2 and any(norm is not None for norm in self.norms):
            return False  # let BatchNorm raise its own error
        return True

    def plans(self) -> list:
        """Per level ``(crow, col, slot)`` of its incoming edges (``slot`` indexes the per-level values gathered
        with ``perm_forward``) or None, then the transposed all-edge pattern ``(crow_t, col_t, inverse_t)``, then per
        latent level
        ``(crow, col)`` of its outgoing edges (the backward pull; values gathered with ``perm_pull``)."""
        if self._plans is None:
            slots = iter(range(len(self.forward_nnz)))
            self._plans = [(getattr(self, f"crow_{i}"), getattr(self, f"col_{i}"), next(slots))
                           if group is not None else None for i, group in enumerate(self.latent_groups)]
            self._plans.append((self.crow_t_all, self.col_t_all, self.inverse_t_all))
            self._plans.append([(getattr(self, f"crow_pull_{i}"), getattr(self, f"col_pull_{i}"))
                                for i in range(len(self.level_rows))])
        return self._plans

    def forward(self, extras: Sequence[Tensor | None], batch_size: int, like: Tensor,
                message: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``extras``: per block, messages from outside (or None); ``message``: optional ``[rows of H, batch]``
        messages to every latent level at once, laid out as ``H`` (the BINN's fused input layer). Returns
        ``(H, logits [n_out, batch])``."""
        if message is not None and message.shape[0] != self.latent_rows:
            raise ValueError(f"message must have {self.latent_rows} rows, got {message.shape[0]}")
        tensors: list = [message, *extras]
        tensors += [slot[0][slot[1]] if slot is not None else None for slot in self._parameter_slots]
        return _StackFunction.apply(self, self.training, batch_size, like, *tensors)


def _batch_norm_momentum(norm: nn.BatchNorm1d, training: bool) -> float:
    """The exponential-average factor nn.BatchNorm1d would use for this call (the batch is already counted)."""
    if not training:
        return 0.0
    if norm.momentum is None:  # cumulative moving average
        return 1.0 / float(norm.num_batches_tracked)
    return norm.momentum


_ROW_KERNEL_MIN = 1 << 16  # from this many elements, training batch norm uses the row-sum form below
_SIGMOID_TANH_MIN = 1 << 12  # from this many elements, tanh is computed as 2·sigmoid(2x) − 1


def _batch_norm(pre: Tensor, norm: nn.BatchNorm1d, gamma: Tensor | None, beta: Tensor | None, training: bool,
                out: Tensor, then_tanh: bool = False) -> tuple[Tensor | None, tuple]:
    """Batch norm of node-major ``pre`` ``[units, batch]`` (statistics per row), as ``nn.BatchNorm1d`` computes
    it. Returns the normalised values (written into ``out`` for large training batches, else a new tensor) and
    what :func:`_batch_norm_backward_` needs.

    Large training batches take their statistics from row sums, in place and without temporaries: for this
    layout (``[1, units, batch]``) ATen's kernel is slower on CPU. Small ones use ATen's ``native_batch_norm``.
    With ``then_tanh`` a large batch's result is tanh of the normalised values, computed as
    ``2·sigmoid(2·x̂) − 1`` with the factor 2 folded into the normalisation, and None is returned for it.
    """
    momentum = _batch_norm_momentum(norm, training)
    if not training or pre.numel() < _ROW_KERNEL_MIN:
        pre3 = pre.unsqueeze(0)
        y, mean, invstd = torch.native_batch_norm(pre3, gamma, beta, norm.running_mean, norm.running_var,
                                                  training, momentum, norm.eps)
        return y.squeeze(0), (pre3, mean, invstd)
    batch = pre.shape[1]
    mean = pre.sum(1).div_(batch)
    torch.sub(pre, mean.unsqueeze(1), out=out)
    var = torch.linalg.vecdot(out, out, dim=1).div_(batch)
    invstd = (var + norm.eps).rsqrt_()
    if norm.running_mean is not None:
        with torch.no_grad():
            norm.running_mean.mul_(1.0 - momentum).add_(mean, alpha=momentum)
            norm.running_var.mul_(1.0 - momentum).add_(var, alpha=momentum * batch / (batch - 1))
    scale = invstd if gamma is None else invstd * gamma
    out.mul_((2.0 * scale if then_tanh else scale).unsqueeze(1))
    if beta is not None:
        out.add_((2.0 * beta if then_tanh else beta).unsqueeze(1))
    if then_tanh:
        _tanh_of_half_(out)
        return None, (pre, mean, invstd)
    return out, (pre, mean, invstd)


def _batch_norm_backward_(grad: Tensor, norm: nn.BatchNorm1d, gamma: Tensor | None, saved: tuple,
                          training: bool) -> tuple[Tensor | None, Tensor | None]:
    """Turn ``grad`` (w.r.t. the batch norm's output) into the gradient w.r.t. its input, in place; returns the
    gradients of ``(gamma, beta)``. With ``x̂ = (pre − mean)·invstd`` and ``B`` the batch size,
    ``dpre = γ·invstd·(g − Σg/B − x̂·Σ(g·x̂)/B)``, ``dγ = Σ g·x̂``, ``dβ = Σ g`` (sums over the batch)."""
    pre, mean, invstd = saved
    if pre.dim() == 3:  # ATen's forward (small or eval): ATen's backward
        grad3 = grad.unsqueeze(0)
        g_pre, g_gamma, g_beta = _BATCH_NORM_BACKWARD(grad3, pre, gamma, norm.running_mean, norm.running_var,
                                                      mean, invstd, training, norm.eps,
                                                      [True, gamma is not None, gamma is not None])
        grad3.copy_(g_pre)
        return g_gamma, g_beta
    batch = pre.shape[1]
    sum_g = grad.sum(1)
    sum_g_xhat = (torch.linalg.vecdot(grad, pre, dim=1) - mean * sum_g) * invstd
    scale = invstd if gamma is None else gamma * invstd
    slope = -scale * invstd * sum_g_xhat / batch  # coefficient of pre
    shift = -scale * sum_g / batch - slope * mean
    grad.mul_(scale.unsqueeze(1)).addcmul_(pre, slope.unsqueeze(1)).add_(shift.unsqueeze(1))
    return (sum_g_xhat, sum_g) if gamma is not None else (None, None)


_MINUS_ONE = torch.tensor(-1.0)


def _tanh_of_half_(doubled: Tensor) -> None:
    """``doubled[:] = tanh(doubled / 2)``, as ``2·sigmoid(doubled) − 1``, in place: faster than torch.tanh on
    CPU from a few thousand values (its vectorised tanh is slow)."""
    torch.sigmoid(doubled, out=doubled)
    torch.add(_MINUS_ONE, doubled, alpha=2.0, out=doubled)


def _activate_into(name: str, activation, y: Tensor, out: Tensor) -> None:
    """``out[:] = activation(y)`` (``y`` may be ``out`` itself), without temporaries where torch allows."""
    if name == "tanh" and y.numel() >= _SIGMOID_TANH_MIN:
        _tanh_of_half_(torch.mul(y, 2.0, out=out))
    elif name == "tanh":
        torch.tanh(y, out=out)
    elif name == "sigmoid":
        torch.sigmoid(y, out=out)
    elif name == "relu":
        torch.clamp(y, min=0, out=out)
    else:
        out.copy_(activation(y))


class _StackFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, stack: FusedLevelStack, training: bool, batch_size: int, like: Tensor, *tensors):
        norms, names = stack.norms, stack.activation_names
        n = len(norms)
        message, extras, params = tensors[0], tensors[1:n + 1], tensors[n + 1:]
        plans = stack.plans()
        H = like.new_empty(stack.latent_rows, batch_size)
        states = H.split(stack.level_rows)
        if training:  # count the batch in every batch norm, as nn.BatchNorm1d does (one call for all)
            counters = [norm._buffers["num_batches_tracked"] for norm in norms if norm is not None]
            if counters:
                torch._foreach_add_(counters, 1)
        # every level's base: its bias plus, when given, its messages from the input layer (one addition for all;
        # none where every latent bias is the zero buffer of a batch-normalised level)
        biases = params[1::4]
        if message is not None:
            bias = torch.cat(biases[:-1])
            bases = (message + bias if bias.requires_grad or bool(bias.any()) else message).split(stack.level_rows)
        weights = [params[4 * i].view(-1) for i in range(n) if params[4 * i] is not None]
        edge_weights = torch.cat(weights) if weights else None  # in the order of the all-edge pattern
        values = edge_weights.index_select(0, stack.perm_forward).split(stack.forward_nnz) if weights else ()
        saved = []
        logits = None
        shapes, latent_rows = stack.shapes, stack.latent_rows
        for i, plan in enumerate(plans[:n]):
            base = bases[i] if message is not None and i < n - 1 else biases[i]
            if extras[i] is not None:
                base = base + extras[i]
            if plan is not None:
                crow, col, slot = plan
                # columns span all of H, but only rows of earlier (computed) levels are referenced
                w = csr(crow, col, values[slot], (shapes[i][0], latent_rows))
                pre = torch.addmm(base, w, H)
            elif base is biases[i]:  # no incoming messages: the bias alone (a copy, never the parameter itself)
                pre = base.expand(-1, batch_size).clone()
            else:
                pre = base
            norm, name = norms[i], names[i]
            if i == n - 1:
                if norm is not None or name != "identity":
                    raise RuntimeError("the output level must be linear without normalisation")
                logits = pre
                break
            out = states[i]
            if norm is not None:
                y, stats = _batch_norm(pre, norm, params[4 * i + 2], params[4 * i + 3], training, out,
                                       then_tanh=name == "tanh")
                saved.append(stats)
            else:
                y = pre
                saved.append(None)
            if y is not None:  # else the batch norm applied the activation (tanh) already
                _activate_into(name, stack.activations[i], y, out)
        ctx.stack, ctx.training = stack, training
        ctx.set_materialize_grads(False)  # H is usually not used outside: no zero gradient to fill and copy
        ctx.extras_need = [e is not None and e.requires_grad for e in extras]
        ctx.message_need = message is not None and message.requires_grad
        ctx.norm_saved = saved
        ctx.edge_weights = edge_weights
        ctx.save_for_backward(H, *params)
        return H, logits

    @staticmethod
    def backward(ctx, grad_H: Tensor, grad_logits: Tensor):
        stack = ctx.stack
        norms, names = stack.norms, stack.activation_names
        n = len(norms)
        plans = stack.plans()
        pulls = plans[-1]
        offsets = stack.offsets
        H, *params = ctx.saved_tensors
        GP = H.new_empty(offsets[-1], H.shape[1])  # gradient w.r.t. each level's pre-activation
        rows = stack.level_rows
        gradient_rows = rows + [offsets[-1] - offsets[-2]]  # latent levels, then the output
        states, pre_grads = H.split(rows), GP.split(gradient_rows)
        if grad_logits is None:
            pre_grads[-1].zero_()
        else:
            pre_grads[-1].copy_(grad_logits)
        pull_values = (ctx.edge_weights.index_select(0, stack.perm_pull).split(stack.pull_nnz)
                       if ctx.edge_weights is not None else None)
        grad_params: list = [None] * len(params)
        for i in range(n - 2, -1, -1):
            a, b = offsets[i], offsets[i + 1]
            # gradient w.r.t. this level's output: pulled from every later level's (complete) pre-activation
            # gradient along this level's outgoing edges
            # (written into this level's rows of GP, then turned into the pre-activation gradient in place)
            crow, col = pulls[i]
            g = pre_grads[i]
            if col.numel():
                csr_matmul(csr(crow, col, pull_values[i], (b - a, offsets[-1] - b)), GP[b:], out=g)
                if grad_H is not None:
                    g.add_(grad_H[a:b])
            elif grad_H is not None:
                g.copy_(grad_H[a:b])
            else:
                g.zero_()
            _ACTIVATION_BACKWARDS[names[i]](g, states[i], g)
            if norms[i] is not None:
                grad_params[4 * i + 2], grad_params[4 * i + 3] = _batch_norm_backward_(
                    g, norms[i], params[4 * i + 2], ctx.norm_saved[i], ctx.training)
        bias_grads = GP.sum(1, keepdim=True).split(gradient_rows)
        weight_sizes = []
        for i in range(n):
            grad_params[4 * i + 1] = bias_grads[i]
            weight_sizes.append(params[4 * i].numel() if params[4 * i] is not None else 0)
        crow_t, col_t, inverse_t = plans[-2]
        if col_t.numel():  # every edge-weight gradient in one sampled product, in the concatenated weights' order
            flat = edge_gradient(GP, H, crow_t, col_t, inverse_t)
            for i, part in enumerate(flat.split(weight_sizes)):
                if params[4 * i] is not None:
                    grad_params[4 * i] = part.view_as(params[4 * i])
        grad_extras = [pre_grads[i] if need else None for i, need in enumerate(ctx.extras_need)]
        grad_message = GP[:stack.latent_rows] if ctx.message_need else None
        return (None, None, None, None, grad_message, *grad_extras, *grad_params)
