"""Soft constraints: align latent-node activations with measured intermediates (Kontolati et al. 2025).

With measured values ``m_ij`` of latent node j (expression of a gene, level of a metabolite or pathway output),
standardised on the training rows, training minimises

    L = L_task + λ · (1 / (B·T)) · Σ_{(i, j) measured} (s_j · h_ij + c_j − m_ij)²

over a mini-batch of B samples and T constrained nodes, where ``h_ij`` is the node's activation (its first unit)
and ``s_j``, ``c_j`` are a learned scale and shift per constrained node (an activation is only defined up to an
affine map, so the constraint asks for correlation, not for units). Unmeasured entries (NaN) contribute zero but
still count in ``B·T`` (the masked MSE), so every measured value weighs the same whatever the coverage: with 10 %
of the samples measured, a few noisy values cannot dominate the gradient, and the constraint fades to nothing as
coverage goes to zero. Early stopping judges the task loss alone on the validation rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from .errors import DataValidationError

__all__ = ["SoftConstrained", "constraint_targets", "node_rows"]


def node_rows(architecture, nodes, level_widths) -> list[tuple[int, int]]:
    """``(level, row)`` of each node's first unit in :meth:`BINN.level_states` (node-major rows)."""
    table = architecture.nodes
    index = pd.Series(np.arange(len(table)), index=table["node_id"].astype(str))
    index = index[~index.index.duplicated()]
    top = int(table["level"].max())
    bounds = architecture.level_bounds
    rows = []
    for node in nodes:
        if str(node) not in index.index:
            raise DataValidationError(f"latent target {node!r} is not a node of the compiled network")
        i = int(index[str(node)])
        level = int(table["level"].iloc[i])
        if level == 0 or level == top:
            raise DataValidationError(f"latent target {node!r} is {'an input' if level == 0 else 'the output'}, "
                                      "not a latent node")
        rows.append((level, (i - bounds[level][0]) * level_widths[level]))
    return rows


def constraint_targets(latent_targets: pd.DataFrame, sample_ids: pd.Index, architecture, train_idx, report):
    """Standardised ``[n_samples, T]`` targets (NaN = unmeasured) matched to ``sample_ids``; columns checked."""
    if not isinstance(latent_targets, pd.DataFrame):
        raise DataValidationError("latent_targets must be a DataFrame: samples × latent node ids")
    columns = [str(c) for c in latent_targets.columns]
    frame = latent_targets.copy()
    frame.columns = columns
    frame.index = frame.index.astype(str)
    ids = pd.Index(sample_ids).astype(str)
    unknown = frame.index.difference(ids)
    report.add("soft_constraint", "dropped", "latent-target rows whose sample is not in X", len(unknown),
               examples=list(unknown[:5]))
    aligned = frame.reindex(ids).to_numpy(dtype=np.float64)
    train = aligned[train_idx]
    node_rows(architecture, columns, np.ones(len(architecture.level_bounds), dtype=int))  # refuses non-latent columns
    observed = ~np.isnan(train)
    enough = observed.sum(axis=0) >= 2
    if not enough.any():
        raise DataValidationError(f"no latent target has two measured training samples (columns {columns[:5]})")
    if not enough.all():  # e.g. a cross-validation fold at low coverage: constrain the others, say which fell out
        report.add("soft_constraint", "dropped", "latent targets with fewer than two measured training samples",
                   int((~enough).sum()), examples=[c for c, k in zip(columns, enough) if not k][:5])
        columns = [c for c, k in zip(columns, enough) if k]
        aligned, train, observed = aligned[:, enough], train[:, enough], observed[:, enough]
    mean = np.nanmean(train, axis=0)
    sd = np.sqrt(np.nansum((train - mean) ** 2, axis=0) / (observed.sum(axis=0) - 1))
    sd = np.where(sd > 0, sd, 1.0)
    report.add("soft_constraint", "kept", "measured latent-target entries (training rows)", int(observed.sum()))
    z = torch.as_tensor((aligned - mean) / sd, dtype=torch.float32)
    return z, columns, {"mean": np.asarray(mean).tolist(), "sd": sd.tolist()}


class SoftConstrained(nn.Module):
    """Wraps a BINN: ``forward`` returns ``[batch, n_outputs + T]`` (outputs, then affine-mapped latents)."""

    def __init__(self, model, nodes: list[str]):
        super().__init__()
        self.model = model
        self.rows = node_rows(model.architecture, nodes, model.level_widths)
        self.scale = nn.Parameter(torch.ones(len(nodes)))
        self.shift = nn.Parameter(torch.zeros(len(nodes)))

    def forward(self, x: Tensor) -> Tensor:
        """Logits and the constrained latent states, concatenated: ``[batch, n_outputs + n_latent]``."""
        states = self.model.level_states(x, fused=True)
        latent = torch.stack([states[level][row] for level, row in self.rows], dim=1)
        return torch.cat([self.model.readout(states), latent * self.scale + self.shift], dim=1)

    def edge_weights(self):
        """The wrapped model's edge weights (for L1/L2 penalties)."""
        return self.model.edge_weights()

    @staticmethod
    def task_part(task_loss, n_outputs: int):
        """``task_loss`` on the output columns only (validation: early stopping judges the task)."""
        return lambda pred, target: task_loss(pred[:, :n_outputs], target[:, :n_outputs])

    @staticmethod
    def loss(task_loss, n_outputs: int, weight: float):
        """``task_loss(outputs, y) + weight · masked MSE(latents, targets)``."""

        def combined(pred: Tensor, target: Tensor) -> Tensor:
            main = task_loss(pred[:, :n_outputs], target[:, :n_outputs])
            diff = pred[:, n_outputs:] - target[:, n_outputs:]
            measured = ~torch.isnan(diff)
            if not measured.any():
                return main
            return main + weight * (diff[measured] ** 2).sum() / diff.numel()

        return combined
