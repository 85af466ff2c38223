"""Outputs of a BINN after node states are set to chosen values: the model's own executor, rerun from a change.

Setting node ``j`` of level ``l`` to a value changes only what lies above it. With the states ``h`` and edge sums
``z`` of every level computed once on the evaluation samples, copy ``i`` of a perturbation propagates

.. math::
    \\Delta^{(l)} = v_i - h^{(l)}_j, \\qquad
    z'^{(m)}_A = z^{(m)}_A + \\sum_{l \\le s < m} W_{m \\leftarrow s}[A, A_s] \\, \\Delta^{(s)}_{A_s}, \\qquad
    \\Delta^{(m)}_A = \\mathrm{finish}_m(z'^{(m)}_A) - h^{(m)}_A

level by level, where ``A`` (``A_s``) are the nodes of level ``m`` (``s``) that the perturbed nodes reach and
``finish`` is :meth:`~binn_graph.nn.LevelBlock.finish` (node subnetwork, bias, batch norm in evaluation mode,
activation) on those rows only. The edge sums are linear in the source states, so this is exact, not an
approximation; the logits come from :meth:`~binn_graph.model.BINN.readout_perturbed` (root, per-level heads and
the integrator). Work is proportional to the perturbed nodes' ancestors, not to the whole network: clamping all
11,876 inputs of full Reactome touches a few dozen pathways per input.

:meth:`Perturbation.outputs_reference` recomputes every copy from scratch with the model's level-by-level path
(:meth:`~binn_graph.model.BINN.run_levels` and :meth:`~binn_graph.model.BINN.readout`); the fast path is tested
equal to it for every model option.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from .nn.edge_linear import csr, csr_matmul
from .nn.level_block import unit_rows

__all__ = ["Perturbation"]


class Perturbation:
    """Rerun a BINN (evaluation mode) on ``x`` ``[batch, n_inputs * k]`` with node states set to chosen values.

    Example
    -------
    >>> import torch
    >>> from binn_graph import Architecture, BINN
    >>> from kg import KnowledgeGraph
    >>> g = KnowledgeGraph()
    >>> g = g.add_nodes("protein", ["a", "b"]).add_nodes("pathway", ["P"])
    >>> g = g.add_edges(("protein", "member_of", "pathway"), ["a", "b"], ["P", "P"])
    >>> model = BINN(Architecture.from_graph(g, "protein")).eval()
    >>> pert = Perturbation(model, torch.randn(8, 2))
    >>> pert.outputs(0, torch.tensor([1]), torch.zeros(1, 1, 1)).shape   # input "b" set to 0: [copies, batch, out]
    torch.Size([1, 8, 1])
    """

    def __init__(self, model, x: Tensor, *, states: list[Tensor] | None = None,
                 edge_sums: list[Tensor] | None = None) -> None:
        if model.training:
            raise RuntimeError("Perturbation needs the model in evaluation mode (call model.eval())")
        self.model = model
        with torch.no_grad():  # states / edge_sums: the model's own, already computed on x (not recomputed)
            self.states = model.level_states(x) if states is None else states
            self.edge_sums: list[Tensor | None] = [None] + (model.edge_sums(self.states) if edge_sums is None
                                                            else list(edge_sums))
            self.logits = model.readout(self.states)
        self.bounds = model.architecture.level_bounds
        self.widths = model.level_widths
        self.operators = {key: op.tocsc() for key, op in model.unit_operators().items()}
        self.first_widths = [None] + [int(z.shape[0]) // max(1, b - a)
                                      for z, (a, b) in zip(self.edge_sums[1:], self.bounds[1:])]

    @property
    def batch(self) -> int:
        """Number of evaluation samples."""
        return int(self.states[0].shape[1])

    @torch.no_grad()
    def outputs(self, level: int, nodes: Tensor, values: Tensor) -> Tensor:
        """Logits ``[q, batch, n_outputs]``: copy ``i`` sets node ``nodes[i]`` (local index in ``level``) to
        ``values[i]`` (``[q, k, batch]`` or ``[q, k, 1]``, ``k`` = the level's node width); levels above follow."""
        q, batch = len(nodes), self.batch
        k = self.widths[level]
        rows = unit_rows(nodes, k)
        copy = torch.arange(q).repeat_interleave(k)
        new = values.expand(q, k, batch).reshape(q * k, batch)
        changed = {level: (rows, copy, new)}
        deltas = {level: (rows.numpy(), copy.numpy(), new - self.states[level][rows])}
        last = len(self.bounds) - 1
        for m in range(level + 1, last + 1):
            step = self._propagate(m, deltas, q)
            if step is None:
                continue
            node, pair_copy, z = step
            new = self.model.levels[m - 1].finish(z, node)  # [P * k_m, B]
            k_m = self.widths[m]
            rows = unit_rows(node, k_m)
            copy = pair_copy.repeat_interleave(k_m)
            changed[m] = (rows, copy, new)
            if m < last:
                deltas[m] = (rows.numpy(), copy.numpy(), new - self.states[m][rows])
        return self.model.readout_perturbed(self.states, changed, q, base=self.logits)

    def _propagate(self, m: int, deltas: dict, q: int) -> tuple[Tensor, Tensor, Tensor] | None:
        """Edge sums of level ``m`` for every (node, copy) pair a change reaches: ``(node [P], copy [P],
        z [P * k_first, B])``; None when no change reaches level ``m``."""
        kf = self.first_widths[m]
        found = []  # per source level that reaches m: (its deltas, target unit keys, source pair, weight)
        for s, (rows_s, copy_s, delta_s) in deltas.items():
            op = self.operators.get((m, s))
            if op is None:
                continue
            # every stored entry of the columns rows_s: its row (a unit of m's edge sum) and weight
            start, count = op.indptr[rows_s], np.diff(op.indptr)[rows_s]
            if not count.sum():
                continue
            pair = np.repeat(np.arange(len(rows_s)), count)
            entry = np.repeat(start - np.cumsum(count) + count, count) + np.arange(count.sum())
            found.append((delta_s, op.indices[entry].astype(np.int64) * q + copy_s[pair], pair, op.data[entry]))
        if not found:
            return None
        unit_key = np.concatenate([f[1] for f in found])
        node_key, position = np.unique((unit_key // q) // kf * q + unit_key % q, return_inverse=True)
        target_row = position * kf + (unit_key // q) % kf
        node = torch.from_numpy(node_key // q)
        z = self.edge_sums[m][unit_rows(node, kf)]
        offset = 0
        for delta_s, key, pair, weight in found:
            rows = target_row[offset:offset + len(key)]
            offset += len(key)
            matrix = sp.csr_matrix((weight, (rows, pair)), shape=(len(node_key) * kf, delta_s.shape[0]))
            z += _sparse_mm(matrix, delta_s)
        return node, torch.from_numpy(node_key % q), z

    @torch.no_grad()
    def outputs_reference(self, level: int, nodes: Tensor, values: Tensor) -> Tensor:
        """Same as :meth:`outputs`, recomputing every copy's levels above ``level`` from scratch."""
        model, q, batch = self.model, len(nodes), self.batch
        k = self.widths[level]
        tiled = [s.repeat(1, q) for s in self.states[:level + 1]]
        block = tiled[level].view(-1, q, batch)
        rows = unit_rows(nodes, k).view(q, k)
        for i in range(q):
            block[rows[i], i, :] = values[i].expand(k, batch)
        if level == 0:
            pieces = model.input_messages(tiled[0])
        else:
            pieces = [None if (p is None or i < level) else p.repeat(1, q)
                      for i, p in enumerate(model.input_messages(self.states[0]))]
        states = model.run_levels(tiled, pieces, level + 1)
        return model.readout(states).view(q, batch, -1)


def _sparse_mm(matrix: sp.csr_matrix, dense: Tensor) -> Tensor:
    """``matrix @ dense`` for a SciPy CSR ``matrix``, with torch's MKL kernel on 32-bit indices (no conversion)."""
    w = csr(torch.from_numpy(matrix.indptr.astype(np.int32)), torch.from_numpy(matrix.indices.astype(np.int32)),
            torch.from_numpy(matrix.data.astype(np.float32, copy=False)), matrix.shape)
    return csr_matmul(w, dense)
