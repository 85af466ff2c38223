"""BINN: executes an :class:`~binn_graph.architecture.Architecture` level by level.

Level 0 holds the inputs (one unit per feature). Each latent level is a
:class:`~binn_graph.nn.LevelBlock` reading from any earlier level. The last
level is the output root: a sparse readout from the nodes connected to it
(the top-level pathways) into ``n_outputs`` logits. With
``heads="all_levels"`` every latent level also gets a dense linear readout and
the logits are summed (binn's "heads ensemble"; binn sums sigmoids, here logits
are summed so that any loss applies).

The model's own executor (:meth:`BINN.level_states`) is plain autograd, level by level: the reference. Where it
applies, ``forward`` runs the same function with the performance engine (:mod:`binn_graph.engine`), which is
tested equal to it; ``use_engine = False`` turns the engine off.

Shapes: ``forward(x)`` takes ``[batch, n_inputs]`` (columns in
``architecture.input_ids`` order) and returns ``[batch, n_outputs]``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor, nn

from .architecture import Architecture
from .nn import LevelBlock
from .nn.edge_linear import EdgeLinear

try:  # the engine uses private, version-sensitive torch ops; without them the model runs its reference executor
    from .engine import FusedExecutor
except (ImportError, AttributeError, RuntimeError) as _engine_error:  # pragma: no cover - torch versions CI lacks
    import warnings

    warnings.warn(f"binn_graph's performance engine is unavailable with torch {torch.__version__} "
                  f"({_engine_error}); models run the (slower) reference executor", RuntimeWarning, stacklevel=2)
    FusedExecutor = None

__all__ = ["BINN"]


class BINN(nn.Module):
    """A biologically informed neural network compiled from an Architecture.

    Parameters
    ----------
    architecture:
        Compiled graph (see :meth:`Architecture.from_graph`).
    n_outputs:
        Output units: 1 for binary classification or single-target
        regression, C for C classes, T for T regression targets.
    node_width:
        Units per latent node: an int, or ``{node_type: int}`` (default 1).
    activation, norm, dropout:
        Applied in every latent level (see :class:`~binn_graph.nn.LevelBlock`).
    heads:
        ``"root"`` or ``"all_levels"``.
    kernel:
        Sparse kernel of the edge layers (``"auto"``, ``"csr"``, ``"gather"``).
    input_width:
        Units per input node (2 when a missingness indicator accompanies each value).
    node_hidden:
        ``{node_type: [hidden widths]}``: an MLP inside every node of that type, e.g.
        ``{"gene": [128]}`` makes each gene "its SNPs → 128 → 1" (Kontolati et al. 2025).
    subnetwork_activation:
        Activation inside those node MLPs (default sigmoid, as in that paper).
    integrator:
        Hidden widths of a dense network over the latent nodes that feed the output (e.g. ``[128]``: the genes'
        latents → 128 ReLU → outputs, the "integrator" of Kontolati et al. 2025); its output is added to the
        sparse root readout (which then acts as a linear skip, and carries any ``residual`` inputs).
    """

    def __init__(self, architecture: Architecture, n_outputs: int = 1, node_width: int | Mapping[str, int] = 1,
                 activation: str = "tanh", norm: str | None = "batch", dropout: float = 0.0,
                 heads: str = "root", kernel: str = "auto", input_width: int = 1,
                 node_hidden: Mapping[str, Sequence[int]] | None = None,
                 subnetwork_activation: str = "sigmoid", integrator: Sequence[int] | None = None) -> None:
        super().__init__()
        if heads not in {"root", "all_levels"}:
            raise ValueError(f"heads must be 'root' or 'all_levels', not {heads!r}")
        self.architecture = architecture
        self.n_outputs = int(n_outputs)
        self.input_width = int(input_width)
        self.heads_mode = heads
        nodes = architecture.nodes
        widths = torch.ones(len(nodes), dtype=torch.long)
        if isinstance(node_width, Mapping):
            for t, k in node_width.items():
                widths[torch.from_numpy((nodes["node_type"] == t).to_numpy(dtype=bool).copy())] = int(k)
        else:
            widths[:] = int(node_width)
        levels = nodes["level"].to_numpy()
        widths[torch.from_numpy(levels == 0)] = int(input_width)
        bounds = architecture.level_bounds
        self.input_columns = bounds[0][1] * self.input_width  # columns of x: one per input node and unit
        self.level_widths: list[int] = []
        for a, b in bounds:
            w = widths[a:b]
            if len(w) and not bool((w == w[0]).all()):
                raise ValueError("nodes of one level must share a width; give node_width per node type "
                                 "only when each level holds one type")
            self.level_widths.append(int(w[0]) if len(w) else 1)
        self.level_widths[-1] = self.n_outputs
        edges = architecture.edges
        blocks = []
        n_levels = len(bounds)
        first_widths = []
        for level in range(1, n_levels - 1):
            types = set(nodes["node_type"].iloc[bounds[level][0]:bounds[level][1]])
            hidden = [tuple((node_hidden or {}).get(t, ())) for t in types]
            first_widths.append(hidden[0][0] if hidden and hidden[0] else self.level_widths[level])
        # inputs feed many levels in dag mode: when every level's first width agrees, one sparse layer computes the
        # messages from the inputs to all levels at once (the large input matrix is read once per step)
        self.fused_inputs = len(set(first_widths)) == 1
        input_rows, input_parts, self.input_slices = 0, [], []
        for level in range(1, n_levels):
            part = edges[edges["level"] == level]
            start = bounds[level][0]
            src_levels = levels[part["source"].to_numpy()]
            rows = (bounds[level][1] - start)
            if self.fused_inputs and level < n_levels - 1:
                sel = part[src_levels == 0]
                input_parts.append(np.vstack([sel["source"].to_numpy(), sel["target"].to_numpy() - start + input_rows]))
                self.input_slices.append((input_rows * first_widths[0], (input_rows + rows) * first_widths[0]))
                input_rows += rows
                part, src_levels = part[src_levels != 0], src_levels[src_levels != 0]
            sources = {}
            for s in sorted(set(src_levels.tolist())):
                sel = part[src_levels == s]
                ei = torch.from_numpy(np.vstack([sel["source"].to_numpy() - bounds[s][0],
                                                 sel["target"].to_numpy() - start]).astype(np.int64))
                sources[s] = (bounds[s][1] - bounds[s][0], self.level_widths[s], ei)
            n_nodes = bounds[level][1] - bounds[level][0]
            if level < n_levels - 1:
                types = set(nodes["node_type"].iloc[bounds[level][0]:bounds[level][1]])
                hidden = {tuple((node_hidden or {}).get(t, ())) for t in types}
                if len(hidden) > 1:
                    raise ValueError(f"level {level} mixes node types {sorted(types)} with different node_hidden")
                blocks.append(LevelBlock(n_nodes, self.level_widths[level], sources, norm=norm, dropout=dropout,
                                         activation=activation, kernel=kernel, subnetwork=hidden.pop(),
                                         subnetwork_activation=subnetwork_activation))
            else:
                blocks.append(LevelBlock(n_nodes, self.n_outputs, sources, norm=None, dropout=0.0,
                                         activation="identity", kernel=kernel))
        self.levels = nn.ModuleList(blocks)
        # per level, whether it reads the inputs with its own layer (not the fused input layer): then the
        # node-major input matrix is needed
        self.own_inputs = [bool(block.groups) and block.groups[0] == [0] for block in self.levels]
        if self.residual_weight is not None:  # starts at zero: it only learns what the masked network cannot explain
            with torch.no_grad():
                self.residual_weight.zero_()
        if self.fused_inputs:
            self.input_split_sizes = [b - a for a, b in self.input_slices]
            ei = torch.from_numpy(np.concatenate(input_parts, axis=1).astype(np.int64))
            self.input_edges = EdgeLinear(bounds[0][1], input_rows, ei, src_width=self.input_width,
                                          dst_width=first_widths[0], kernel=kernel)
        self.integrator = None
        self.integrator_rows: list[tuple[int, Tensor]] = []
        if integrator:
            feeding = edges[(edges["level"] == n_levels - 1) & (edges["relation"] != "residual")]["source"].to_numpy()
            width_in = 0
            for level in range(1, n_levels - 1):
                a, b = bounds[level]
                local = np.sort(feeding[(feeding >= a) & (feeding < b)]) - a
                if len(local):
                    k = self.level_widths[level]
                    rows = (local[:, None] * k + np.arange(k)[None, :]).ravel()
                    self.integrator_rows.append((level, torch.from_numpy(rows.astype(np.int64))))
                    width_in += len(rows)
            layers: list[nn.Module] = []
            for h in integrator:
                layers += [nn.Linear(width_in, int(h)), nn.ReLU()]
                width_in = int(h)
            self.integrator = nn.Sequential(*layers, nn.Linear(width_in, self.n_outputs))
        # the performance engine, where every level is a plain sparse layer (same function, less overhead)
        self.engine = FusedExecutor.build(self) if FusedExecutor is not None else None
        self.extra_heads = nn.ModuleList(
            [nn.Linear((b - a) * k, self.n_outputs) for (a, b), k in zip(bounds[1:-1], self.level_widths[1:-1])]
        ) if heads == "all_levels" else None

    @property
    def residual_weight(self) -> nn.Parameter | None:
        """Weights of the inputs that feed the output directly (``residual=True`` architectures), else None."""
        output = self.levels[-1]
        return output.edge_groups[0].weight if output.groups and output.groups[0] == [0] else None

    @property
    def input_ids(self) -> list[str]:
        """Input node ids in column order of ``x``."""
        return self.architecture.input_ids

    def _check_input(self, x: Tensor) -> None:
        if x.dim() != 2 or x.shape[1] != self.input_columns:
            raise ValueError(f"expected input of shape [batch, {self.input_columns}], got {tuple(x.shape)}")

    def input_messages(self, inputs: Tensor) -> list[Tensor | None]:
        """Messages from the inputs (node-major ``[n_in * k_in, batch]``) to each level, when fused; else ``None`` each."""
        pieces: list = [None] * len(self.levels)
        if self.fused_inputs:
            # one split (a single backward concatenation) instead of one slice per level
            parts = self.input_edges(inputs).split(self.input_split_sizes)
            pieces[:len(parts)] = parts  # one piece per latent level, in level order
        return pieces

    def run_levels(self, states: list[Tensor], pieces: list[Tensor | None], start: int = 1) -> list[Tensor]:
        """Compute levels ``start..L`` in place of ``states[start:]`` from ``states[:start]`` and input messages."""
        del states[start:]
        for block, piece in zip(self.levels[start - 1:], pieces[start - 1:]):
            states.append(block(states, piece))
        return states

    def edge_sums(self, states: list[Tensor]) -> list[Tensor]:
        """Per level ``1..L``, its edge sum (:meth:`LevelBlock.messages`, before subnetwork and bias) from computed
        ``states`` (:meth:`level_states`)."""
        pieces = self.input_messages(states[0])
        return [block.messages(states, piece) for block, piece in zip(self.levels, pieces)]

    def readout(self, states: list[Tensor]) -> Tensor:
        """Logits ``[batch, n_outputs]`` from computed level states (root plus per-level heads)."""
        out = states[-1].t()
        if self.integrator is not None:
            feed = torch.cat([states[level].index_select(0, rows) for level, rows in self.integrator_rows])
            out = out + self.integrator(feed.t())
        if self.extra_heads is not None:
            for head, h in zip(self.extra_heads, states[1:-1]):
                out = out + head(h.t())
        return out

    use_engine: bool = True  # the one switch of the performance engine; False runs the reference executor

    @property
    def use_stack(self) -> bool:
        """Old name of :attr:`use_engine` (kept for one release)."""
        return self.use_engine

    @use_stack.setter
    def use_stack(self, value: bool) -> None:
        self.use_engine = value

    @property
    def stack(self):
        """The engine's fused level stack, or None where the engine does not apply to this model."""
        return None if self.engine is None else self.engine.stack

    def level_states(self, x: Tensor, fused: bool = False) -> list[Tensor]:
        """Activations of every level, node-major ``[n_l * k_l, batch]`` (first = inputs, last = output logits).

        By default every level is its own autograd node (the reference executor), so gradients can be taken with
        respect to any state (attribution). ``fused=True`` uses the performance engine where it applies: the same
        values, and losses on them backpropagate, but later levels are not autograd functions of earlier states.
        """
        self._check_input(x)
        if fused and self._engine_applies(x):
            return self.engine.states(x, keep_inputs=True)
        inputs = x.t().contiguous()
        return self.run_levels([inputs], self.input_messages(inputs), 1)

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``[batch, n_outputs]`` of ``x`` ``[batch, n_inputs * k]`` (the engine where it applies)."""
        if self._engine_applies(x):
            self._check_input(x)
            return self.readout(self.engine.states(x, keep_inputs=False))
        return self.readout(self.level_states(x))

    def _engine_applies(self, x: Tensor) -> bool:
        return self.use_engine and self.engine is not None and self.engine.applies(x.shape[0], self.training)

    def edge_layers(self) -> list[tuple[EdgeLinear, list[tuple[int, int, int]], list[tuple[int, int, int]]]]:
        """Every sparse layer with where its rows come from and go to: ``(layer, sources, targets)``, each a list of
        ``(level, first node, number of nodes)`` in the order the layer stacks them (node ``i`` of the layer's
        source side is node ``i - first`` of that level; likewise for targets)."""
        bounds = self.architecture.level_bounds
        out = []
        if self.fused_inputs:
            k = self.input_edges.dst_width
            targets = [(level, a // k, (b - a) // k) for level, (a, b) in enumerate(self.input_slices, start=1)]
            out.append((self.input_edges, [(0, 0, bounds[0][1])], targets))
        for level, block in enumerate(self.levels, start=1):
            n = bounds[level][1] - bounds[level][0]
            for group, layer in zip(block.groups, block.edge_groups):
                sources, first = [], 0
                for s in group:
                    sources.append((s, first, bounds[s][1] - bounds[s][0]))
                    first += sources[-1][2]
                out.append((layer, sources, [(level, 0, n)]))
        return out

    def layer_positions(self, parts: list[tuple[int, int, int]]) -> np.ndarray:
        """Global architecture positions of the nodes along one side of a layer (``parts`` from
        :meth:`edge_layers`): entry ``i`` is the node that the layer's ``i``-th source (or target) stands for."""
        bounds = self.architecture.level_bounds
        return np.concatenate([bounds[level][0] + np.arange(n) for level, _, n in parts])

    def unit_operators(self) -> dict[tuple[int, int], sp.csr_matrix]:
        """``{(level m, source level s): W}``, the linear map from level ``s``'s state (``[n_s * k_s]`` units) to
        level ``m``'s edge sum (:meth:`LevelBlock.messages`, ``[n_m * k_first]`` rows), as detached SciPy CSR."""
        ops: dict[tuple[int, int], sp.csr_matrix] = {}
        for layer, sources, targets in self.edge_layers():
            src, dst = layer.src_flat.numpy(), layer.dst_flat.numpy()
            vals = layer.weight.detach().reshape(-1).numpy()
            ki, ko = layer.src_width, layer.dst_width
            for s, s_first, s_n in sources:
                in_s = (src >= s_first * ki) & (src < (s_first + s_n) * ki)
                for m, m_first, m_n in targets:
                    sel = in_s & (dst >= m_first * ko) & (dst < (m_first + m_n) * ko)
                    op = sp.csr_matrix((vals[sel], (dst[sel] - m_first * ko, src[sel] - s_first * ki)),
                                       shape=(m_n * ko, s_n * ki))
                    ops[(m, s)] = ops[(m, s)] + op if (m, s) in ops else op
        return ops

    def readout_perturbed(self, states: list[Tensor], changed: Mapping[int, tuple[Tensor, Tensor, Tensor]],
                          copies: int, base: Tensor | None = None) -> Tensor:
        """Logits ``[copies, batch, n_outputs]`` of perturbed copies of computed ``states`` (:meth:`level_states`).

        ``changed[level] = (rows, copy, values)``: in copy ``copy[p]``, unit ``rows[p]`` of that level's state is
        ``values[p]`` (``[batch]``); everything else keeps ``states``. The output level's entries, where given,
        hold all its units. Equal to :meth:`readout` on each copy's full states (tested): root, per-level heads and
        the integrator all read the changes. ``base`` is ``readout(states)`` where the caller has it already.
        """
        last = len(states) - 1
        batch = states[0].shape[1]
        logits = (self.readout(states) if base is None else base).unsqueeze(0).repeat(copies, 1, 1)  # [q, B, n_out]
        if last in changed:  # the root's own contribution is its state; replace it where it changed
            rows, copy, values = changed[last]
            logits[copy, :, rows] += values - states[last][rows]  # (copy, row) pairs are unique
        if self.integrator is not None and any(level in changed for level, _ in self.integrator_rows):
            feed = torch.cat([states[level].index_select(0, r) for level, r in self.integrator_rows])  # [F, B]
            hit = torch.unique(torch.cat([changed[level][1] for level, _ in self.integrator_rows if level in changed]))
            slot = torch.full((copies,), -1, dtype=torch.long)
            slot[hit] = torch.arange(len(hit))
            feeds = feed.t().unsqueeze(0).repeat(len(hit), 1, 1)  # [copies whose feed changed, B, F]
            offset = 0
            for level, r in self.integrator_rows:
                if level in changed:
                    rows, copy, values = changed[level]
                    position = torch.full((states[level].shape[0],), -1, dtype=torch.long)
                    position[r] = torch.arange(offset, offset + len(r))
                    pos = position[rows]
                    fed = pos >= 0
                    feeds[slot[copy[fed]], :, pos[fed]] = values[fed]
                offset += len(r)
            base = self.integrator(feed.t())  # [B, n_out]
            logits[hit] += self.integrator(feeds.view(-1, feed.shape[0])).view(len(hit), batch, -1) - base
        if self.extra_heads is not None:
            for level, head in enumerate(self.extra_heads, start=1):
                if level in changed:
                    rows, copy, values = changed[level]
                    delta = (values - states[level][rows]).unsqueeze(2) * head.weight.t()[rows].unsqueeze(1)
                    logits.index_add_(0, copy, delta)  # [P, B, n_out] summed into each copy
        return logits

    def edge_weights(self) -> list[Tensor]:
        """Edge weight tensors, one per level (for L1/L2 penalties)."""
        weights = [w for block in self.levels for w in block.edge_weights]
        return weights + ([self.input_edges.weight] if self.fused_inputs else [])
