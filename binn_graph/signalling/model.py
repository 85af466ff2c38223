r"""The recurrent signalling network: one weight per signed PKN edge, a node bias, a steady state, interventions.

.. math::
    x = f(W x + b + g \odot P_{\mathrm{in}} u), \qquad \hat{y} = p \odot x_{\mathrm{out}},

* :math:`u` ``[B, n_inputs]``: input levels (ligands, perturbations), placed on their nodes by :math:`P_{\mathrm{in}}`
  with a fixed gain :math:`g` (``input_gain``);
* :math:`W` ``[N, N]``: sparse, one trainable weight per edge (never dense); :math:`b` ``[N]`` node biases;
* :math:`f`: :func:`~binn_graph.signalling.steady_state.mml`; the state :math:`x` ``[B, N]`` is the steady state
  (:func:`~binn_graph.signalling.steady_state.steady_state`, implicit gradients);
* :math:`\hat{y}` ``[B, n_outputs]``: the output nodes' states times a trainable gain :math:`p` (``projection``).

Knockouts hold a node at 0 and clamps at a given value, in every sample of the call.

Training steps iterate at most ``max_iter`` times. A state asked for afterwards (:meth:`SignalingModule.states`,
``forward``: predictions, interventions, explanations) may take up to ``settle_factor × max_iter`` iterations: a new
input can put the network where it contracts more slowly than at the training states. The iteration stops as soon
as every state has settled, so the larger limit costs nothing where the states settle early.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from .spectral import SpectralRadius
from .steady_state import ConvergenceInfo, EdgeStructure, iterate_once, mml_grad, steady_state

__all__ = ["SignalingModule"]


class SignalingModule(nn.Module):
    """A signed recurrent network run to its steady state (see the module docstring for the formula and shapes).

    Parameters
    ----------
    node_ids:
        The ``N`` node ids, in state order.
    sources, targets:
        ``[E]`` node positions of each edge's source and target.
    signs:
        ``[E]`` prior signs (+1, -1, 0 = unknown); they set the initial weight signs and the soft sign constraint.
    input_ids, output_ids:
        Ids (in ``node_ids``) of the input and output nodes.
    leak:
        Slope of the activation below 0.
    input_gain, projection_gain:
        The fixed input gain and the initial output gain.
    max_iter, tol:
        Iteration limit and tolerance (largest change of a state) of the forward and adjoint fixed points of a
        training step (the estimator calls :func:`steady_state` with them).
    settle_factor:
        :meth:`states` and ``forward`` iterate (forward and adjoint) up to ``settle_factor × max_iter`` times unless
        given ``max_iter``; the unrolled reference (``implicit=False``) keeps ``max_iter``.
    generator:
        Seeds the initial weights.
    dtype:
        Floating type of parameters and states.
    """

    def __init__(self, node_ids, sources, targets, signs, input_ids, output_ids, *, leak: float = 0.01,
                 input_gain: float = 3.0, projection_gain: float = 1.2, max_iter: int = 150, tol: float = 1e-6,
                 settle_factor: int = 10, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        self.node_ids = [str(n) for n in node_ids]
        self.position = {n: i for i, n in enumerate(self.node_ids)}
        n = len(self.node_ids)
        self.structure = EdgeStructure.build(np.asarray(sources), np.asarray(targets), n)
        self.register_buffer("signs", torch.as_tensor(np.asarray(signs, dtype=np.float64), dtype=dtype))
        self.input_ids = [str(i) for i in input_ids]
        self.output_ids = [str(o) for o in output_ids]
        self.register_buffer("input_index", torch.as_tensor([self.position[i] for i in self.input_ids],
                                                            dtype=torch.int64))
        self.register_buffer("output_index", torch.as_tensor([self.position[o] for o in self.output_ids],
                                                             dtype=torch.int64))
        self.leak, self.input_gain, self.max_iter, self.tol = float(leak), float(input_gain), int(max_iter), float(tol)
        self.settle_factor = int(settle_factor)
        # LEMBAS's initialisation: |w| ~ U(0.1, 0.2) with the prior sign; nodes fed only by inhibitions get bias 1
        magnitude = 0.1 + 0.1 * torch.rand(len(self.signs), generator=generator, dtype=dtype)
        weight = torch.where(self.signs < 0, -magnitude, magnitude)
        bias = torch.full((n,), 1e-3, dtype=dtype)
        has_positive = torch.zeros(n, dtype=torch.bool).index_fill_(0, self.structure.targets[weight > 0], True)
        has_input = torch.zeros(n, dtype=torch.bool).index_fill_(0, self.structure.targets, True)
        bias[has_input & ~has_positive] = 1.0
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(bias)
        self.projection = nn.Parameter(torch.full((len(self.output_ids),), float(projection_gain), dtype=dtype))
        self.info = ConvergenceInfo()
        self._radius = SpectralRadius(self.structure)

    @property
    def n_nodes(self) -> int:
        """Number of nodes ``N``."""
        return len(self.node_ids)

    def _interventions(self, knockout, clamp, batch: int):
        if not knockout and not clamp:
            return None, None
        held = torch.zeros((self.n_nodes, 1), dtype=torch.bool)
        values = torch.zeros((self.n_nodes, 1), dtype=self.bias.dtype)
        for node in knockout or ():
            held[self.position[node]] = True
        for node, value in (clamp or {}).items():
            held[self.position[node]] = True
            values[self.position[node]] = float(value)
        return held.to(self.bias.device), values.to(self.bias.device)

    def drive(self, u: Tensor) -> Tensor:
        """``b + g P_in u`` node-major ``[N, B]`` for inputs ``u`` ``[B, n_inputs]``."""
        c = self.bias[:, None].expand(self.n_nodes, u.shape[0]).clone()
        return c.index_add(0, self.input_index, self.input_gain * u.T.to(self.bias.device, self.bias.dtype))

    def states(self, u: Tensor, *, knockout=None, clamp=None, implicit: bool = True,
               max_iter: int | None = None) -> Tensor:
        """Steady states ``[B, N]`` for inputs ``u`` ``[B, n_inputs]``; ``knockout`` (ids held at 0) and ``clamp``
        (``{id: value}``) apply to every sample. ``max_iter`` defaults to ``settle_factor × self.max_iter``
        (``self.max_iter`` for the unrolled reference, ``implicit=False``, whose memory grows with it)."""
        held, values = self._interventions(knockout, clamp, u.shape[0])
        if max_iter is None:
            max_iter = self.settle_factor * self.max_iter if implicit else self.max_iter
        x = steady_state(self.structure, self.weight, self.drive(u), held=held, values=values, leak=self.leak,
                         max_iter=int(max_iter), tol=self.tol, implicit=implicit, info=self.info)
        return x.T

    def state_change(self, u: Tensor, states: Tensor, *, knockout=None, clamp=None) -> Tensor:
        """Largest change ``[B]`` of each sample's state under one more iteration ``x ← f(Wx + b + g P u)``: at most
        ``tol`` where ``states`` ``[B, N]`` is a steady state (held nodes do not change)."""
        held, values = self._interventions(knockout, clamp, u.shape[0])
        x = states.T.to(self.bias.dtype)
        with torch.no_grad():
            new = iterate_once(self.structure, self.weight, self.drive(u), x, held=held, values=values, leak=self.leak)
        return (new - x).abs().amax(0)

    def readout(self, states: Tensor) -> Tensor:
        """Outputs ``[B, n_outputs]`` from states ``[B, N]``."""
        return self.projection * states[:, self.output_index]

    def forward(self, u: Tensor, *, knockout=None, clamp=None, max_iter: int | None = None) -> Tensor:
        """Outputs ``[B, n_outputs]`` at the steady state for inputs ``u`` ``[B, n_inputs]``."""
        return self.readout(self.states(u, knockout=knockout, clamp=clamp, max_iter=max_iter))

    def jacobian_slopes(self, u: Tensor, states: Tensor, *, knockout=None, clamp=None) -> Tensor:
        """``f'(z)`` ``[B, N]`` at steady states ``states`` ``[B, N]`` reached from inputs ``u`` ``[B, n_inputs]``;
        0 on nodes held by ``knockout`` or ``clamp`` (their state does not respond, so they cut the loops through
        them, as in the adjoint)."""
        held, _ = self._interventions(knockout, clamp, u.shape[0])
        with torch.no_grad():
            z = torch.sparse.mm(self.structure.matrix(self.weight), states.T.to(self.bias.dtype)) + self.drive(u)
            d = mml_grad(z, self.leak)
            if held is not None:
                d = torch.where(held.to(d.device), torch.zeros_like(d), d)
            return d.T

    def spectral_radius(self, slopes: Tensor | None = None, exact: bool = True) -> Tensor:
        """Spectral radius of ``D W`` (``slopes`` ``[N]`` = diag ``D``; ``None``: of ``W``), differentiable in the
        weights; ``exact=False`` tracks the previous eigenpair (see :class:`~.spectral.SpectralRadius`)."""
        return self._radius.radius(self.weight, slopes, exact=exact)

    def sign_violation(self) -> Tensor:
        """Soft sign constraint: the summed ``|w|`` of edges whose weight has the opposite sign of a known prior."""
        wrong = ((self.signs > 0) & (self.weight < 0)) | ((self.signs < 0) & (self.weight > 0))
        return (self.weight.abs() * wrong).sum()

    def to_device(self, device: torch.device) -> "SignalingModule":
        """Move parameters, buffers and the edge index arrays to ``device`` (in place; the spectral radius keeps
        working on the CPU copy of the index arrays, as ARPACK runs there)."""
        self.to(device)
        self.structure = self._radius.structure.to(device)
        return self

    @torch.no_grad()
    def prescale(self, target: float = 0.7) -> float:
        """Scale the weights so that the spectral radius of ``W`` is ``target``; returns the radius before."""
        rho = float(self.spectral_radius())
        if rho > 0:
            self.weight.mul_(target / rho)
        return rho
