"""Amortised flux balance: a network trained on many condition-specific solutions predicts new ones in one pass.

:class:`FluxSurrogate` learns ``medium → fluxes`` from solved conditions (e.g.
:func:`~binn_graph.metabolic.condition_fluxes` under many media). An MLP maps
the scaled uptake levels to null-space coordinates and the
:class:`~binn_graph.metabolic.layer.MassBalance` layer returns ``v = N z``, so every
prediction satisfies ``S v = 0`` (feasibility of the mass balance is repaired by
construction; bound excursions are penalised during training and reported by
:meth:`FluxSurrogate.bound_violation`). Loss: mean over samples and reactions of
``((v − v*) / s)²`` with ``s_r = sd_r + 0.1 |mean_r|`` of the training fluxes
(floored at 1 % of its largest value), plus ``λ`` × the bound penalty.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions

from ..errors import FeatureMismatchError, TargetError
from ..training import resolve_device
from ..validation import check_fitted, validate_params
from .estimator import _cached_basis, _FluxNet
from .fluxes import medium_bounds
from .layer import MassBalance
from .model import StoichiometricModel, as_cobra_model

__all__ = ["FluxSurrogate"]


class FluxSurrogate(BaseEstimator):
    """Predict whole flux vectors (mass-balanced) from exchange uptake levels, trained on solved conditions.

    Parameters
    ----------
    model:
        A :class:`cobra.Model`, an SBML path or an SBML-derived KnowledgeGraph.
    inputs:
        Exchange reaction ids (``X`` columns, matched by id).
    hidden:
        Hidden-layer widths.
    bound_weight:
        ``λ`` of the bound penalty.
    close_uptakes:
        Bounds as in :func:`~binn_graph.metabolic.fluxes.medium_bounds` (for the penalty).
    max_epochs, lr, batch_size:
        Adam on mini-batches (float32).
    random_state:
        Seeds initialisation and batch order.
    device:
        Where ``fit`` trains: ``"cpu"``, ``"cuda"`` (an error without a GPU) or ``"auto"`` (CUDA where available,
        else the CPU). Batch order is drawn on the CPU either way; the fitted ``model_`` comes back on the CPU.
    """

    _parameter_constraints: dict = {
        "model": "no_validation",
        "inputs": [list, tuple],
        "hidden": [tuple, list],
        "bound_weight": [Interval(Real, 0, None, closed="left")],
        "close_uptakes": ["boolean"],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
    }

    def __init__(self, model=None, inputs: list[str] | tuple = (), hidden: tuple = (256,), bound_weight: float = 1e-3,
                 close_uptakes: bool = False, max_epochs: int = 200, lr: float = 1e-2, batch_size: int = 64,
                 random_state: int | None = None, device: str = "cpu") -> None:
        self.model = model
        self.inputs = inputs
        self.hidden = hidden
        self.bound_weight = bound_weight
        self.close_uptakes = close_uptakes
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.random_state = random_state
        self.device = device

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise FeatureMismatchError("X must be a DataFrame whose columns are the input exchange ids")
        missing = [c for c in self.inputs if c not in X.columns]
        if missing:
            raise FeatureMismatchError(f"X lacks input column(s) {missing[:5]}; columns are matched by exchange id")
        return X[list(self.inputs)].astype(float)

    def fit(self, X: pd.DataFrame, fluxes: pd.DataFrame) -> "FluxSurrogate":
        """Fit on ``X`` (samples × input uptake levels) and solved ``fluxes`` (samples × reactions, matched by id)."""
        validate_params(self)
        device = resolve_device(self.device)
        sm = StoichiometricModel.from_cobra(as_cobra_model(self.model, require_objective=False))
        X = self._frame(X)
        if not isinstance(fluxes, pd.DataFrame) or set(fluxes.columns) != set(sm.reactions):
            raise TargetError("fluxes must be a DataFrame with one column per model reaction (by id)")
        target = fluxes.loc[X.index, sm.reactions].to_numpy(dtype=float)
        if not np.isfinite(target).all():
            raise TargetError("fluxes hold NaN rows (samples that were not optimal); drop them first")
        self.stoichiometry_, self.reactions_ = sm, sm.reactions
        lb, ub, _ = medium_bounds(sm, X, close_uptakes=self.close_uptakes)
        self.x_mean_, scale = X.to_numpy().mean(0), X.to_numpy().std(0)
        self.x_scale_ = np.where(scale > 0, scale, 1.0)
        spread = target.std(0) + 0.1 * np.abs(target.mean(0))
        self.flux_scale_ = np.maximum(spread, 1e-2 * spread.max())
        seed = int(self.random_state) if isinstance(self.random_state, Integral) else \
            np.random.RandomState(self.random_state).randint(2**31 - 1)
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        balance = MassBalance(sm.S, sm.lb, sm.ub, basis=_cached_basis(sm))
        net = _FluxNet(len(self.inputs), tuple(self.hidden), "relu", balance).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr)
        xt = self._scaled(X).to(device)
        yt = torch.as_tensor(target, dtype=torch.float32, device=device)
        lbt = torch.as_tensor(lb, dtype=torch.float32, device=device)
        ubt = torch.as_tensor(ub, dtype=torch.float32, device=device)
        w = torch.as_tensor(1.0 / self.flux_scale_, dtype=torch.float32, device=device)
        self.loss_curve_ = []
        for _ in range(self.max_epochs):
            order = torch.randperm(len(xt), generator=gen).to(device)
            total = 0.0
            for start in range(0, len(xt), self.batch_size):
                idx = order[start:start + self.batch_size]
                opt.zero_grad()
                v = net(xt[idx])
                loss = (((v - yt[idx]) * w) ** 2).mean() + \
                    self.bound_weight * balance.bound_violation(v, lbt[idx], ubt[idx]).mean()
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            self.loss_curve_.append(total / len(xt))
        self.model_ = net.cpu()
        return self

    def _scaled(self, X: pd.DataFrame) -> torch.Tensor:
        return torch.as_tensor((X.to_numpy() - self.x_mean_) / self.x_scale_, dtype=torch.float32)

    def fluxes(self, X: pd.DataFrame) -> pd.DataFrame:
        """Predicted fluxes, samples × reactions; ``S v = 0`` to float64 round-off."""
        check_fitted(self)
        X = self._frame(X)
        with torch.no_grad():
            v = self.model_.fluxes(self._scaled(X)).numpy()
        return pd.DataFrame(v, index=X.index, columns=self.reactions_)

    def bound_violation(self, X: pd.DataFrame) -> pd.Series:
        """Per-sample bound penalty of the predicted fluxes (mean squared excursion outside the medium's bounds)."""
        check_fitted(self)
        X = self._frame(X)
        lb, ub, _ = medium_bounds(self.stoichiometry_, X, close_uptakes=self.close_uptakes)
        with torch.no_grad():
            v = self.model_.fluxes(self._scaled(X))
            return pd.Series(self.model_.balance.bound_violation(v, torch.as_tensor(lb), torch.as_tensor(ub)).numpy(),
                             index=X.index)
