r"""Steady states of a recurrent signed network and their gradients by implicit differentiation.

The state :math:`x \in \mathbb{R}^{N}` of the ``N`` nodes solves the fixed point

.. math::
    x = f(W x + c), \qquad c = b + u,

where :math:`W` ``[N, N]`` holds one weight per network edge (row = target, column = source), :math:`b` ``[N]`` is
the node bias, :math:`u` the input and :math:`f` a bounded activation (:func:`mml`). Nodes under an intervention are
held at a fixed value instead (knockout: 0; clamp: any value).

The forward pass iterates :math:`x \leftarrow f(Wx + c)` from :math:`x = 0` until the largest change is below ``tol``.
The backward pass does **not** unroll those iterations through autograd: with :math:`D = \mathrm{diag}(f'(z))`
(zero on held nodes) at the fixed point, the adjoint :math:`a = \partial L / \partial z` solves its own fixed point

.. math::
    a = D\,(W^\top a + \bar{x}),

(:math:`\bar{x}` the incoming gradient), iterated the same way; then :math:`\partial L / \partial c = a` and
:math:`\partial L / \partial W_{ts} = \sum_b a_{tb} x_{sb}`. Both iterations converge when the spectral radius of
:math:`D W` is below 1 (see :mod:`binn_graph.signalling.spectral`). A state that does not converge raises
:class:`SteadyStateError`, which names the radius and what to change.

Shapes are node-major, ``[N, B]`` for ``B`` samples, so that the sparse product is one CSR × dense call.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from ..errors import BINNError

__all__ = ["mml", "mml_grad", "EdgeStructure", "SteadyStateError", "steady_state", "iterate_once",
           "ConvergenceInfo"]


with warnings.catch_warnings():  # torch warns once per process that CSR support is beta: not the user's concern
    warnings.simplefilter("ignore", UserWarning)
    torch.sparse_csr_tensor(torch.zeros(2, dtype=torch.int64), torch.zeros(0, dtype=torch.int64), torch.zeros(0),
                            (1, 1))


class SteadyStateError(BINNError, ArithmeticError):
    """The recurrent network did not reach a steady state (or its adjoint did not converge)."""


def mml(z: Tensor, leak: float = 0.01) -> Tensor:
    r"""LEMBAS's Michaelis–Menten-like activation: :math:`\mathrm{leak}\cdot z` for :math:`z < 0`, :math:`z` on
    :math:`[0, 0.5]`, :math:`1 - 0.25/z` above; bounded above by 1, continuous with a continuous slope at 0.5."""
    # leak * min(z, 0) + clip(z, 0, 0.5) + (0.5 - 0.25 / max(z, 0.5)): the three pieces (in place without autograd)
    if z.requires_grad and torch.is_grad_enabled():
        return z.clamp(max=0) * leak + z.clamp(0, 0.5) + (0.5 - 0.25 / z.clamp(min=0.5))
    return (z.clamp(max=0) * leak).add_(z.clamp(0, 0.5)).add_(z.clamp(min=0.5).reciprocal_().mul_(-0.25)).add_(0.5)


def _mml_into(z: Tensor, leak: float, ones: Tensor) -> Tensor:
    """:func:`mml` without autograd in fewer kernels: ``leaky_relu(min(z, 0.5)) + 0.5 - 0.25 / max(z, 0.5)``."""
    return F.leaky_relu(z.clamp(max=0.5), leak).add_(0.5).addcdiv_(ones, z.clamp_(min=0.5), value=-0.25)


def mml_grad(z: Tensor, leak: float = 0.01) -> Tensor:
    """Derivative of :func:`mml` at the pre-activation ``z`` (``leak`` at and below 0)."""
    return torch.where(z <= 0, torch.full_like(z, leak), torch.where(z > 0.5, 0.25 / z.clamp(min=0.5) ** 2,
                                                                     torch.ones_like(z)))


@dataclass
class EdgeStructure:
    """A directed edge list compiled to the CSR index arrays of :math:`W` and :math:`W^\\top`.

    ``sources``/``targets`` are node positions ``[E]``; a weight vector in edge order becomes the CSR values of
    ``W`` through ``order`` and of ``W^T`` through ``order_t``.
    """

    n_nodes: int
    sources: Tensor
    targets: Tensor
    crow: Tensor
    col: Tensor
    order: Tensor
    crow_t: Tensor
    col_t: Tensor
    order_t: Tensor

    @classmethod
    def build(cls, sources, targets, n_nodes: int) -> "EdgeStructure":
        """Compile edge endpoint positions (``[E]`` integer arrays) for ``n_nodes`` nodes."""
        src = torch.as_tensor(sources, dtype=torch.int64)
        dst = torch.as_tensor(targets, dtype=torch.int64)

        def csr(rows: Tensor, cols: Tensor):
            order = torch.argsort(rows * n_nodes + cols, stable=True)
            counts = torch.bincount(rows, minlength=n_nodes)
            crow = torch.zeros(n_nodes + 1, dtype=torch.int64)
            crow[1:] = torch.cumsum(counts, 0)
            return crow, cols[order].contiguous(), order

        crow, col, order = csr(dst, src)
        crow_t, col_t, order_t = csr(src, dst)
        return cls(n_nodes, src, dst, crow, col, order, crow_t, col_t, order_t)

    def to(self, device) -> "EdgeStructure":
        """A copy whose index tensors live on ``device`` (the original is left where it is)."""
        return EdgeStructure(self.n_nodes, *(getattr(self, f).to(device) for f in
                                             ("sources", "targets", "crow", "col", "order", "crow_t", "col_t",
                                              "order_t")))

    def matrix(self, weight: Tensor, transpose: bool = False) -> Tensor:
        """``W`` (or ``W^T``) as a torch CSR tensor with values from ``weight`` ``[E]`` (edge order)."""
        if transpose:
            return torch.sparse_csr_tensor(self.crow_t, self.col_t, weight[self.order_t], (self.n_nodes,) * 2,
                                           check_invariants=False)
        return torch.sparse_csr_tensor(self.crow, self.col, weight[self.order], (self.n_nodes,) * 2,
                                       check_invariants=False)


@dataclass
class ConvergenceInfo:
    """How the last forward and backward iterations ended: iterations used and the last largest change."""

    forward_iterations: int = 0
    forward_change: float = float("nan")
    backward_iterations: int = 0
    backward_change: float = float("nan")
    strict: bool = True  # raise SteadyStateError when an iteration does not converge (else count it)
    failures: int = 0

    @contextmanager
    def counting(self):
        """Within the block, count non-converged iterations in ``failures`` (reset to 0) instead of raising;
        ``strict`` is restored on leaving."""
        strict, self.strict, self.failures = self.strict, False, 0
        try:
            yield self
        finally:
            self.strict = strict


def _hold(x: Tensor, held: Tensor | None, values: Tensor | None) -> Tensor:
    return x if held is None else torch.where(held, values, x)


def _nonconvergence(what: str, iterations: int, change: float, tol: float) -> SteadyStateError:
    return SteadyStateError(
        f"the {what} did not converge in {iterations} iterations (largest change {change:.3g} > tol {tol:g}); the "
        "spectral radius of the network's Jacobian is probably at or above 1: lower spectral_target or raise "
        "spectral_penalty, shrink the weights (weight_decay) or the input gain, or raise max_iter")


def _fixed_point(step, start: Tensor, max_iter: int, tol: float) -> tuple[Tensor, int, float]:
    """Iterate ``x ← step(x)`` from ``start`` until the largest change (checked every 5 iterations and at the last)
    is below ``tol``; returns ``(x, iterations, change)``. Shared by the steady state and its adjoint."""
    x, change = start, float("inf")
    for i in range(1, max_iter + 1):
        new = step(x)
        if i % 5 == 0 or i == max_iter:
            change = float((new - x).abs().max()) if x.numel() else 0.0
        x = new
        if change < tol:
            break
    return x, i, change


def _settle(info: ConvergenceInfo, what: str, iterations: int, change: float, tol: float) -> None:
    """Raise :class:`SteadyStateError` (``info.strict``) or count a failure when an iteration did not converge."""
    if not change < tol:
        if info.strict:
            raise _nonconvergence(what, iterations, change, tol)
        info.failures += 1


def _step(W: Tensor, c: Tensor, x: Tensor, held, values, leak: float, ones: Tensor) -> Tensor:
    """One iteration ``x ← f(Wx + c)``, held nodes kept at their values (``W`` CSR, ``ones`` like ``c``)."""
    return _hold(_mml_into(torch.addmm(c, W, x), leak, ones), held, values)


def iterate_once(structure: EdgeStructure, weight: Tensor, c: Tensor, x: Tensor, *, held: Tensor | None = None,
                 values: Tensor | None = None, leak: float = 0.01) -> Tensor:
    """The next iterate ``f(Wx + c)`` ``[N, B]`` of states ``x`` ``[N, B]`` (no autograd), the step that
    :func:`steady_state` repeats; equal to ``x`` within ``tol`` at a steady state."""
    with torch.no_grad():
        return _step(structure.matrix(weight), c, x, held, values, leak, torch.ones_like(c))


def _iterate_state(structure, weight, c, held, values, leak, max_iter, tol, info, x0=None):
    W = structure.matrix(weight)
    ones = torch.ones_like(c)
    start = _hold(torch.zeros_like(c) if x0 is None else x0.to(c.dtype), held, values)
    x, i, change = _fixed_point(lambda x: _step(W, c, x, held, values, leak, ones), start, max_iter, tol)
    info.forward_iterations, info.forward_change = i, change
    _settle(info, "steady state", i, change, tol)
    return x


class _SteadyState(torch.autograd.Function):
    """Fixed point forward, adjoint fixed point backward (see the module docstring)."""

    @staticmethod
    def forward(ctx, weight, c, structure, held, values, leak, max_iter, tol, info, x0):
        with torch.no_grad():
            x = _iterate_state(structure, weight, c, held, values, leak, max_iter, tol, info, x0)
            z = torch.addmm(c, structure.matrix(weight), x)
        ctx.save_for_backward(weight, x, z)
        ctx.settings = (structure, held, leak, max_iter, tol, info)
        return x

    @staticmethod
    def backward(ctx, grad_x):
        weight, x, z = ctx.saved_tensors
        structure, held, leak, max_iter, tol, info = ctx.settings
        d = mml_grad(z, leak)
        if held is not None:
            d = torch.where(held, torch.zeros_like(d), d)
        WT = structure.matrix(weight.detach(), transpose=True)
        a, i, change = _fixed_point(lambda a: torch.addmm(grad_x, WT, a).mul_(d), d * grad_x, max_iter, tol)
        info.backward_iterations, info.backward_change = i, change
        _settle(info, "adjoint (backward) fixed point", i, change, tol)
        grad_w = (a[structure.targets] * x[structure.sources]).sum(1) if ctx.needs_input_grad[0] else None
        return grad_w, a, None, None, None, None, None, None, None, None


def steady_state(structure: EdgeStructure, weight: Tensor, c: Tensor, *, held: Tensor | None = None,
                 values: Tensor | None = None, leak: float = 0.01, max_iter: int = 150, tol: float = 1e-6,
                 implicit: bool = True, info: ConvergenceInfo | None = None, x0: Tensor | None = None) -> Tensor:
    """The steady state ``x`` ``[N, B]`` of ``x = f(W x + c)``.

    Parameters
    ----------
    structure:
        The compiled edge list (:class:`EdgeStructure`).
    weight:
        ``[E]`` edge weights in edge order.
    c:
        ``[N, B]`` bias plus input of every node and sample.
    held, values:
        Optional boolean mask ``[N, 1]`` or ``[N, B]`` of nodes held at ``values`` (same shape or broadcastable);
        a knockout is a node held at 0.
    implicit:
        True: gradients by the adjoint fixed point (:class:`_SteadyState`). False: the reference, ``max_iter``
        plain iterations recorded by autograd (for tests; memory grows with ``max_iter``).
    info:
        Receives the iteration counts and last changes; with ``info.strict`` False a non-converged iteration is
        counted in ``info.failures`` instead of raising (training steps; the last iterate is used).
    x0:
        Optional start ``[N, B]`` of the forward iteration (default 0), e.g. the samples' last steady states during
        training; the fixed point reached is the same within ``tol`` when the iteration contracts.
    """
    info = ConvergenceInfo() if info is None else info
    if held is not None and values is None:
        values = torch.zeros((), dtype=c.dtype)
    if implicit:
        return _SteadyState.apply(weight, c, structure, held, values, leak, max_iter, tol, info, x0)
    src, dst = structure.sources, structure.targets
    x = _hold(torch.zeros_like(c) if x0 is None else x0.to(c.dtype), held, values)
    for _ in range(max_iter):  # gather-scatter product: autograd records it edge by edge
        z = torch.zeros_like(c).index_add(0, dst, weight[:, None] * x[src]) + c
        x = _hold(mml(z, leak), held, values)
    return x
