"""A mass-balance layer: reaction fluxes that satisfy ``S v = 0`` by construction.

Given the stoichiometric matrix ``S`` (metabolites × reactions, sparse) the
layer holds an orthonormal basis ``N`` (reactions × k) of its null space
(``S N = 0``, ``Nᵀ N = I``), computed once by SVD. Then

.. math::

    v = N z \\qquad\\text{(forward, } z \\in \\mathbb{R}^{B \\times k} \\to v \\in \\mathbb{R}^{B \\times n}\\text{)}

    \\operatorname{project}(u) = u N Nᵀ \\qquad\\text{(the closest flux vector to any } u \\text{ with } S v = 0\\text{)}

so ``S v = 0`` holds to float64 round-off (≈1e-12 × ``|v|``) for any ``z``. The
bounds ``lb ≤ v ≤ ub`` (per sample, shape ``(B, n)``, or shared ``(n,)``) are
kept by a penalty, :meth:`MassBalance.bound_violation`:

.. math::

    P(v) = \\frac{1}{n}\\sum_r \\operatorname{relu}(lb_r - v_r)^2 + \\operatorname{relu}(v_r - ub_r)^2

Shapes: ``z`` (batch, k) → ``v`` (batch, n); ``N`` is dense float64, n × k
(k = n − rank S). ``S`` stays sparse; it is used for the residual check only.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import torch
from torch import nn

__all__ = ["MassBalance", "null_space_basis", "penalised_lp"]


def null_space_basis(S: sp.spmatrix | np.ndarray, rcond: float | None = None) -> np.ndarray:
    """Orthonormal basis of ``{v : S v = 0}`` (reactions × k), from the SVD of ``S`` (scipy ``null_space``)."""
    dense = S.toarray() if sp.issparse(S) else np.asarray(S, dtype=float)
    return scipy.linalg.null_space(dense, rcond=rcond)


class MassBalance(nn.Module):
    """Fluxes ``v = N z`` in the null space of ``S``; see the module docstring for the formulas and shapes.

    Parameters
    ----------
    S:
        Stoichiometric matrix, metabolites × reactions (scipy sparse or dense).
    lb, ub:
        Default flux bounds, shape ``(n,)`` (used by :meth:`bound_violation` when no per-sample bounds are given).
    basis:
        A precomputed null-space basis (reactions × k); computed from ``S`` when None.
    """

    def __init__(self, S, lb: np.ndarray, ub: np.ndarray, basis: np.ndarray | None = None) -> None:
        super().__init__()
        basis = null_space_basis(S) if basis is None else np.asarray(basis, dtype=float)
        self.register_buffer("basis", torch.as_tensor(basis, dtype=torch.float64))
        self.register_buffer("basis32", self.basis.float())
        self.register_buffer("lb", torch.as_tensor(np.asarray(lb, dtype=float)))
        self.register_buffer("ub", torch.as_tensor(np.asarray(ub, dtype=float)))
        self.S = sp.csr_matrix(S)

    @property
    def n_free(self) -> int:
        """k, the null-space dimension (free coordinates per sample)."""
        return int(self.basis.shape[1])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``v = z Nᵀ``: (batch, k) → (batch, n), mass-balanced (float64 ``z``: to ≈1e-12; float32: ≈1e-6 × ``|v|``)."""
        return z @ (self.basis if z.dtype == torch.float64 else self.basis32).T

    def project(self, u: torch.Tensor) -> torch.Tensor:
        """Orthogonal projection of any (batch, n) fluxes onto ``S v = 0``: ``u N Nᵀ``."""
        basis = self.basis if u.dtype == torch.float64 else self.basis32
        return (u @ basis) @ basis.T

    def bound_violation(self, v: torch.Tensor, lb: torch.Tensor | None = None,
                        ub: torch.Tensor | None = None) -> torch.Tensor:
        """Per-sample penalty ``P(v)`` (batch,): mean squared excursion outside ``[lb, ub]``."""
        lb = self.lb if lb is None else lb
        ub = self.ub if ub is None else ub
        return (torch.relu(lb - v) ** 2 + torch.relu(v - ub) ** 2).mean(dim=-1)

    def residual(self, v: torch.Tensor | np.ndarray) -> float:
        """``max |S v|`` over a batch (the mass-balance error), computed with the sparse ``S``."""
        values = v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)
        return float(np.abs(self.S @ values.T).max()) if values.size else 0.0


def penalised_lp(balance: MassBalance, c: torch.Tensor, lb: torch.Tensor, ub: torch.Tensor, rho: float = 1e3,
                 max_iter: int = 2000, tol: float = 1e-12, start: np.ndarray | torch.Tensor | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """The LP ``max c·v, S v = 0, lb ≤ v ≤ ub`` through the layer, as a penalised problem differentiable in the bounds.

    Solves ``max_z  c·Nz − (ρ/2) Σ_r [relu(lb_r − v_r)² + relu(v_r − ub_r)²]`` (``v = N z``, L-BFGS, float64) and
    returns ``(value, v)``: ``value`` is the penalised optimum, recomputed at the optimal ``z`` held fixed, so its
    autograd gradient with respect to ``lb`` / ``ub`` is the envelope-theorem derivative ``ρ · excursion``. For an
    LP whose optimal active set is unique this equals the LP dual of each bound (the shadow price) as soon as the
    penalty identifies the active set; tests compare it with HiGHS's duals (the LP limit) and with finite differences.
    ``start`` (fluxes, shape ``(n,)``, e.g. an LP solution) warm-starts ``z`` at its projection ``Nᵀ start``.
    """
    k = balance.n_free
    z0 = torch.zeros(k, dtype=torch.float64) if start is None else \
        torch.as_tensor(np.asarray(start, dtype=float)) @ balance.basis
    z = z0.clone().requires_grad_(True)
    c, lb_d, ub_d = c.detach(), lb.detach(), ub.detach()
    opt = torch.optim.LBFGS([z], lr=1.0, max_iter=max_iter, tolerance_grad=tol, tolerance_change=tol,
                            history_size=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        v = balance(z[None, :])[0]
        loss = -(c @ v) + 0.5 * rho * (torch.relu(lb_d - v) ** 2 + torch.relu(v - ub_d) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(20):
        before = closure().item()
        opt.step(closure)
        if abs(closure().item() - before) <= tol * max(1.0, abs(before)):
            break
    v = balance(z.detach()[None, :])[0]
    value = c @ v - 0.5 * rho * (torch.relu(lb - v) ** 2 + torch.relu(v - ub) ** 2).sum()
    return value, v
