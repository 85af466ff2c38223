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


def _jacobian(structure, weight: np.ndarray, d: np.ndarray | None) -> sp.csr_matrix:
    src, dst = structure.sources.numpy(), structure.targets.numpy()
    values = weight if d is None else weight * d[dst]
    return sp.csr_matrix((values, (dst, src)), shape=(structure.n_nodes,) * 2)


def _dominant(matrix: sp.csr_matrix, v0: np.ndarray | None, tol: float) -> tuple[complex, np.ndarray]:
    n = matrix.shape[0]
    if n <= 3 or matrix.nnz == 0:
        values, vectors = np.linalg.eig(matrix.toarray())
        k = int(np.argmax(np.abs(values)))
        return complex(values[k]), vectors[:, k]
    try:
        values, vectors = eigs(matrix, k=1, which="LM", v0=v0, tol=tol, ncv=min(n, 20), maxiter=5000)
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

    def __init__(self, structure, tol: float = 1e-4) -> None:
        self.structure = structure
        self.tol = tol
        self._v = None
        self._u = None

    def _solve(self, weight: np.ndarray, d: np.ndarray | None):
        J = _jacobian(self.structure, weight, d)
        lam, v = _dominant(J, self._v, self.tol)
        mu, u = _dominant(J.T.tocsr(), self._u, self.tol)
        if abs(mu - lam) > abs(mu - np.conj(lam)):
            u = np.conj(u)
        self._v = np.real(v) if np.isrealobj(v) or np.allclose(v.imag, 0) else None
        self._u = np.real(u) if np.isrealobj(u) or np.allclose(u.imag, 0) else None
        return lam, v, u

    def radius(self, weight: Tensor, d: Tensor | None = None) -> Tensor:
        """``rho(D W)`` as a 0-d tensor whose gradient flows to ``weight``."""
        w = weight.detach().cpu().numpy().astype(np.float64)
        dn = None if d is None else d.detach().cpu().numpy().astype(np.float64)
        lam, v, u = self._solve(w, dn)
        rho = abs(lam)
        src, dst = self.structure.sources.numpy(), self.structure.targets.numpy()
        denom = u @ v
        if rho == 0 or abs(denom) == 0:
            grad = np.zeros_like(w)
        else:
            grad = np.real(np.conj(lam) / rho * u[dst] * v[src] / denom)
            if dn is not None:
                grad = grad * dn[dst]
        return _RadiusFunction.apply(weight, torch.as_tensor(rho, dtype=weight.dtype),
                                     torch.as_tensor(grad, dtype=weight.dtype))


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
    if float(rho) <= floor:
        return rho * 0.0
    return (torch.exp(steepness * rho) - 1) / float(np.exp(steepness * target))
