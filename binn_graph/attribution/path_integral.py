"""The straight-line path integral behind integrated gradients (Sundararajan et al. 2017), midpoint rule.

With ``x(α) = x' + α (x − x')`` and ``K`` steps at ``α_k = (k − ½)/K``,
``IG_i = (x_i − x'_i) · 1/K Σ_k ∂f/∂x_i(x(α_k))``; completeness: ``Σ_i IG_i ≈ f(x) − f(x')``. The midpoint rule
is exact for a path gradient that is linear in ``α`` and errs by ``O(1/K²)`` otherwise (a left or right Riemann
sum by ``O(1/K)``).

:func:`integrated_gradients` serves any differentiable ``f`` evaluated on all ``K`` path points at once (the protease
classifier batches them as ``K`` disjoint graphs); :mod:`.gradients` builds on :func:`midpoint_alphas`,
:func:`straight_path` and :func:`path_integral` to read a BINN's levels and edges in the same backward pass.
"""

from __future__ import annotations

from typing import Callable

import torch

__all__ = ["midpoint_alphas", "straight_path", "path_integral", "integrated_gradients"]


def midpoint_alphas(steps: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``[steps]`` path positions ``α_k = (k − ½)/K``, ``k = 1 … K``.

    >>> midpoint_alphas(4).tolist()
    [0.125, 0.375, 0.625, 0.875]
    """
    if steps < 1:
        raise ValueError(f"steps must be ≥ 1, got {steps}")
    return (torch.arange(steps, dtype=dtype) + 0.5) / steps


def straight_path(x: torch.Tensor, baseline: torch.Tensor, alphas: torch.Tensor) -> torch.Tensor:
    """``[K, *x.shape]`` points ``x' + α_k (x − x')`` (``baseline`` broadcasts against ``x``)."""
    delta = x - baseline
    return baseline + alphas.view(-1, *([1] * delta.dim())) * delta.unsqueeze(0)


def path_integral(grads: torch.Tensor, x: torch.Tensor, baseline: torch.Tensor) -> torch.Tensor:
    """``[*x.shape]`` integrated gradients ``(x − x') · mean_k grads[k]`` from ``grads [K, *x.shape]`` at the
    midpoints."""
    return grads.mean(0) * (x - baseline)


def integrated_gradients(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                         baseline: torch.Tensor | None = None, steps: int = 50) -> torch.Tensor:
    """``[*x.shape]`` integrated gradients of ``f`` at ``x`` from ``baseline`` (default all zeros).

    ``f`` maps the ``[K, *x.shape]`` path points to outputs whose sum is differentiated (one value per point, e.g.
    ``[K]``); one forward and one backward pass over all points.

    >>> w = torch.tensor([1.0, -2.0, 3.0])
    >>> ig = integrated_gradients(lambda p: (p ** 2 * w).sum(1), torch.ones(3), steps=2)
    >>> ig.tolist(), float(ig.sum())  # f(x) − f(0) = 2, exact for a quadratic f
    ([1.0, -2.0, 3.0], 2.0)
    """
    x = x.detach()
    baseline = torch.zeros_like(x) if baseline is None else baseline.detach()
    path = straight_path(x, baseline, midpoint_alphas(steps, x.dtype)).requires_grad_(True)
    (grads,) = torch.autograd.grad(f(path).sum(), path)
    return path_integral(grads, x, baseline)
