"""LevelBlock: everything that computes one level of a BINN.

.. math::
    \\mathbf{h}^{(l)} = \\sigma\\Big(\\mathrm{Dropout}\\big(\\mathrm{Norm}\\big(
        \\sum_{s < l} \\mathrm{EdgeLinear}_{s \\to l}(\\mathbf{h}^{(s)}) + \\mathbf{b}^{(l)}\\big)\\big)\\Big)

The latent source levels a level reads from are stacked and fed to one
:class:`~binn_graph.nn.EdgeLinear` (inputs get their own, since they need no
gradient), so edges that skip levels need no padding or copy nodes. Shapes are node-major:
``h^(s)`` is ``[n_s * k_s, batch]`` and the output ``[n_l * k_l, batch]``.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .edge_linear import EdgeLinear
from .node_mlp import NodeMLP

__all__ = ["LevelBlock", "ACTIVATIONS", "unit_rows"]


def unit_rows(nodes: Tensor, width: int) -> Tensor:
    """Node-major rows ``[len(nodes) * width]`` of local ``nodes`` whose states have ``width`` units each."""
    return (nodes.view(-1, 1) * width + torch.arange(width)).reshape(-1)


def _identity(x: Tensor) -> Tensor:
    return x


ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": F.relu,
    "sigmoid": torch.sigmoid,
    "elu": F.elu,
    "leaky_relu": F.leaky_relu,
    "identity": _identity,
}


class LevelBlock(nn.Module):
    """Sparse inputs from earlier levels, per-unit bias, optional batch norm, dropout and activation.

    Parameters
    ----------
    num_nodes, width:
        Nodes of this level and units per node.
    sources:
        ``{source_level: (num_src, src_width, edge_index [2, E])}`` with
        ``edge_index`` local to the source level and to this level.
    norm:
        ``"batch"`` (batch normalisation per unit; its shift replaces the bias, which stays a zero buffer) or
        ``None``.
    dropout:
        Dropout probability after normalisation.
    activation:
        A name from :data:`ACTIVATIONS`.
    subnetwork:
        Hidden widths of an MLP inside every node (e.g. ``[128]``): the edges feed
        the first hidden layer, each further layer is a :class:`NodeMLP`, and the
        last maps to ``width``. Empty (default) for a plain sparse layer.
    subnetwork_activation:
        Activation between the subnetwork's layers.
    """

    def __init__(self, num_nodes: int, width: int, sources: Mapping[int, tuple[int, int, Tensor]],
                 norm: str | None = "batch", dropout: float = 0.0, activation: str = "tanh",
                 kernel: str = "auto", subnetwork: tuple[int, ...] | list[int] = (),
                 subnetwork_activation: str = "sigmoid") -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, not {activation!r}")
        if norm not in {"batch", None}:
            raise ValueError(f"norm must be 'batch' or None, not {norm!r}")
        self.num_nodes, self.width = int(num_nodes), int(width)
        self.source_levels = sorted(int(s) for s in sources)
        widths = [int(w) for w in subnetwork] + [self.width]
        # sources are stacked in two groups, each read by one sparse layer: the input level (no gradient needed,
        # and large) and the latent levels (small; stacking them costs little)
        self.groups: list[list[int]] = [g for g in ([s for s in self.source_levels if s == 0],
                                                    [s for s in self.source_levels if s != 0]) if g]
        layers = []
        for group in self.groups:
            total, edge_parts, src_width = 0, [], None
            for s in group:
                n_src, k_src, ei = sources[s]
                if src_width not in (None, k_src):
                    raise ValueError("all latent source levels of a level must share one node width")
                src_width = k_src
                edge_parts.append(torch.stack([torch.as_tensor(ei[0]) + total, torch.as_tensor(ei[1])]))
                total += int(n_src)
            layers.append(EdgeLinear(total, num_nodes, torch.cat(edge_parts, dim=1), src_width=src_width or 1,
                                     dst_width=widths[0], kernel=kernel))
        self.edge_groups = nn.ModuleList(layers)
        if subnetwork_activation not in ACTIVATIONS:
            raise ValueError(f"subnetwork_activation must be one of {sorted(ACTIVATIONS)}")
        self.subnetwork_activation = ACTIVATIONS[subnetwork_activation]
        self.subnetwork = nn.ModuleList(NodeMLP(num_nodes, a, b) for a, b in zip(widths[:-1], widths[1:]))
        bias = torch.zeros(num_nodes * width, 1)
        if norm == "batch":  # batch norm subtracts each unit's batch mean: a bias before it has zero gradient
            self.register_buffer("bias", bias)  # kept (always zero) so that every level has the same pieces
        else:
            self.bias = nn.Parameter(bias)
        self.norm = nn.BatchNorm1d(num_nodes * width) if norm == "batch" else None
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.activation_name = activation
        self.activation = ACTIVATIONS[activation]

    def messages(self, states: list[Tensor], extra: Tensor | None = None) -> Tensor:
        """Edge sum ``Σ_s EdgeLinear_{s→l}(h^(s))`` (plus ``extra``, messages computed elsewhere), before the
        node subnetwork and bias: ``[n_l * k_first, batch]`` (``k_first`` = first subnetwork width, else ``k_l``)."""
        h = extra
        for group, layer in zip(self.groups, self.edge_groups):
            stacked = states[group[0]] if len(group) == 1 else torch.cat([states[s] for s in group], dim=0)
            msg = layer(stacked)
            h = msg if h is None else h + msg
        return h

    def pre_activation(self, edge_sum: Tensor, nodes: Tensor | None = None) -> Tensor:
        """Node subnetwork and bias applied to an edge sum (of the listed ``nodes`` only, when given)."""
        h = edge_sum
        for layer in self.subnetwork:
            h = layer(self.subnetwork_activation(h), nodes)
        return h + (self.bias if nodes is None else self.bias[self.unit_rows(nodes)])

    def finish(self, edge_sum: Tensor, nodes: Tensor | None = None) -> Tensor:
        """The level's activations from its edge sum (:meth:`messages`): subnetwork, bias, norm, dropout and
        activation. With ``nodes`` (``LongTensor [m]``, local node indices; evaluation mode only) ``edge_sum`` holds
        just those nodes' rows, ``[m * k_first, batch]``, and so does the result (``[m * k_l, batch]``)."""
        h = self.pre_activation(edge_sum, nodes)
        if nodes is None:
            if self.keep_pre:
                self.last_pre = h
            if self.norm is not None:
                h = self.norm(h.unsqueeze(0)).squeeze(0)  # [1, units, batch]: statistics over the batch, no transpose
            if self.dropout is not None:
                h = self.dropout(h)
        elif self.training:
            raise RuntimeError("finish(..., nodes=...) computes a subset of nodes and needs evaluation mode")
        elif self.norm is not None:
            rows = self.unit_rows(nodes)
            norm = self.norm
            h = F.batch_norm(h.unsqueeze(0), norm.running_mean[rows], norm.running_var[rows], norm.weight[rows],
                             norm.bias[rows], False, 0.0, norm.eps).squeeze(0)
        return self.activation(h)

    def unit_rows(self, nodes: Tensor) -> Tensor:
        """Rows ``[m * k_l]`` of the listed local ``nodes`` in this level's node-major state."""
        return unit_rows(nodes, self.width)

    @property
    def edge_weights(self) -> list[Tensor]:
        """The weight tensors of the level's sparse layers (for L1/L2 penalties)."""
        return [layer.weight for layer in self.edge_groups]

    keep_pre: bool = False  # attribution sets this to read the pre-activation's gradient
    last_pre: Tensor | None = None

    def forward(self, states: list[Tensor], extra: Tensor | None = None) -> Tensor:
        """The level's state ``[n_l * k_l, batch]`` from earlier ``states`` (and messages ``extra``)."""
        return self.finish(self.messages(states, extra))

    def extra_repr(self) -> str:
        """Nodes, width and source levels, for ``print(module)``."""
        return f"nodes={self.num_nodes}, width={self.width}, from levels {self.source_levels}, " \
               f"activation={self.activation_name!r}"
