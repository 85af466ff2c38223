r"""Spectral radius of the network's Jacobian at a steady state, with its gradient in the edge weights.

At a steady state ``x = f(Wx + c)`` the Jacobian of one update is :math:`J = D W` with :math:`D = \mathrm{diag}(f'(z))`.
The forward and adjoint iterations converge when :math:`\rho(J) < 1`; :class:`SpectralRadius` computes
:math:`\rho(J)` (ARPACK, one eigenvalue of largest modulus, warm-started from the last eigenvectors) and its gradient

.. math::
    \frac{\partial \rho}{\partial W_{ts}} = D_t\,\mathrm{Re}\!\left(\frac{\bar\lambda}{|\lambda|}
    \frac{u_t v_s}{u^\top v}\right),

with :math:`v` the right and :math:`u` the left eigenvector of the eigenvalue :math:`\lambda` (``D`` held constant).
:func:`radius_penalty` turns the radius into LEMBAS's exponential penalty.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, eigs
from torch import Tensor

__all__ = ["SpectralRadius", "spectral_radius", "radius_penalty"]


def _jacobian(structure, weight: np.ndarray, d: np.ndarray | None, transpose: bool = False) -> sp.csr_matrix:
    """``D W`` (or its transpose) as scipy CSR on the structure's precomputed index arrays."""
    values = weight if d is None else weight * d[structure.targets.cpu().numpy()]
    if transpose:
        return sp.csr_matrix((values[structure.order_t.cpu().numpy()], structure.col_t.cpu().numpy(),
                              structure.crow_t.cpu().numpy()),
                             shape=(structure.n_nodes,) * 2)
    return sp.csr_matrix((values[structure.order.cpu().numpy()], structure.col.cpu().numpy(),
                          structure.crow.cpu().numpy()),
                         shape=(structure.n_nodes,) * 2)


def _dominant(matrix: sp.csr_matrix, v0: np.ndarray | None, tol: float) -> tuple[complex, np.ndarray]:
    n = matrix.shape[0]
    if n <= 64 or matrix.nnz == 0:  # small: the dense solve is cheap and ARPACK can break down
        values, vectors = np.linalg.eig(matrix.toarray())
        k = int(np.argmax(np.abs(values)))
        return complex(values[k]), vectors[:, k]
    if v0 is None:  # ARPACK's own start is random: a fixed one keeps fits reproducible
        v0 = np.full(n, 1.0 / np.sqrt(n)) + np.linspace(0, 1e-3, n)
    try:
        values, vectors = eigs(matrix, k=1, which="LM", v0=v0, tol=tol, ncv=min(n - 1, 10), maxiter=5000)
        return complex(values[0]), vectors[:, 0]
    except (ArpackNoConvergence, ArpackError):
        values, vectors = np.linalg.eig(matrix.toarray())
        k = int(np.argmax(np.abs(values)))
        return complex(values[k]), vectors[:, k]


class SpectralRadius:
    """Spectral radius of ``D W`` for one edge structure, warm-started between calls.

    ``radius(weight, d)`` returns a differentiable scalar tensor (gradient to ``weight`` only); ``d`` ``[N]`` is the
    activation slope at a steady state (``None``: the radius of ``W`` itself).
    """

    def __init__(self, structure, tol: float = 1e-3) -> None:
        self.structure = structure
        self.tol = tol
        self._v = None
        self._u = None
        self._pair = None  # (v, u) complex eigenvectors of the last full solve
        self._templates = None  # (targets, order, W pattern, order_t, W^T pattern): built once, values refilled

    def _matrices(self, weight: np.ndarray, d: np.ndarray | None) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """``D W`` and its transpose (the same values as :func:`_jacobian`), refilling CSR matrices built once
        instead of constructing and validating two new ones per call."""
        if self._templates is None:
            st = self.structure
            ones = np.ones(len(st.targets), dtype=np.float64)
            self._templates = (st.targets.cpu().numpy(), st.order.cpu().numpy(), _jacobian(st, ones, None),
                               st.order_t.cpu().numpy(), _jacobian(st, ones, None, transpose=True))
        targets, order, J, order_t, JT = self._templates
        values = weight if d is None else weight * d[targets]
        J.data = values[order]
        JT.data = values[order_t]
        return J, JT

    def _track(self, weight: np.ndarray, d: np.ndarray | None):
        """One power step on the last eigenvectors and the two-sided Rayleigh quotient (no ARPACK call); None when
        the tracked pair is no longer an eigenpair (relative residual above 5 %) or is ill-conditioned."""
        v, u = self._pair
        J, JT = self._matrices(weight, d)
        v, u = J @ v, JT @ u
        nv, nu = np.linalg.norm(v), np.linalg.norm(u)
        if not (np.isfinite(nv) and np.isfinite(nu)) or nv == 0 or nu == 0:
            return None
        v, u = v / nv, u / nu
        denom = u @ v
        if abs(denom) < 1e-3:
            return None
        Jv = J @ v
        lam = (u @ Jv) / denom
        if not np.isfinite(lam) or np.linalg.norm(Jv - lam * v) > 0.05 * max(abs(lam), 1e-12):
            return None
        self._pair = (v, u)
        return lam, v, u

    def _solve(self, weight: np.ndarray, d: np.ndarray | None):
        J, JT = self._matrices(weight, d)
        lam, v = _dominant(J, self._v, self.tol)
        mu, u = _dominant(JT, self._u, self.tol)
        if abs(mu - lam) > abs(mu - np.conj(lam)):
            u = np.conj(u)
        # warm starts for the next call (ARPACK takes a real start vector)
        self._v, self._u = np.real(v).copy(), np.real(u).copy()
        if not np.any(self._v):
            self._v = None
        if not np.any(self._u):
            self._u = None
        self._pair = (np.asarray(v, dtype=complex), np.asarray(u, dtype=complex))
        return lam, v, u

    def radius(self, weight: Tensor, d: Tensor | None = None, *, exact: bool = True) -> Tensor:
        """``rho(D W)`` as a 0-d tensor whose gradient flows to ``weight``.

        ``exact=False`` tracks the eigenpair of the previous call by one power step and a Rayleigh quotient instead
        of solving again (for slowly changing matrices, e.g. between training steps); it solves when it cannot.
        """
        w = weight.detach().cpu().numpy().astype(np.float64)
        dn = None if d is None else d.detach().cpu().numpy().astype(np.float64)
        tracked = None if exact or self._pair is None else self._track(w, dn)
        lam, v, u = tracked if tracked is not None else self._solve(w, dn)
        rho = abs(lam)
        src, dst = self.structure.sources.cpu().numpy(), self.structure.targets.cpu().numpy()
        denom = u @ v
        if rho == 0 or abs(denom) == 0:
            grad = np.zeros_like(w)
        else:
            grad = np.real(np.conj(lam) / rho * u[dst] * v[src] / denom)
            if dn is not None:
                grad = grad * dn[dst]
            norm = np.linalg.norm(grad)
            if not np.isfinite(norm):
                grad = np.zeros_like(w)
            elif norm > 10:  # as LEMBAS: an ill-conditioned eigenpair must not throw the weights
                grad = grad / norm
        return _RadiusFunction.apply(weight, torch.as_tensor(rho, dtype=weight.dtype, device=weight.device),
                                     torch.as_tensor(grad, dtype=weight.dtype, device=weight.device))


class _RadiusFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, weight, rho, grad):
        ctx.save_for_backward(grad)
        return rho.clone()

    @staticmethod
    def backward(ctx, grad_output):
        (grad,) = ctx.saved_tensors
        return grad_output * grad, None, None


def spectral_radius(structure, weight: Tensor, d: Tensor | None = None) -> float:
    """``rho(D W)`` as a float (no warm start, no gradient): for reports."""
    return float(SpectralRadius(structure).radius(weight, d))


def radius_penalty(rho: Tensor, target: float = 0.9, steepness: float = 10.0, floor: float = 0.5) -> Tensor:
    r"""LEMBAS's penalty :math:`(e^{k\rho} - 1) / e^{k\,\mathrm{target}}` above ``floor``, 0 below."""
    if float(rho.detach()) <= floor:
        return rho * 0.0
    return (torch.exp(steepness * rho) - 1) / float(np.exp(steepness * target))
