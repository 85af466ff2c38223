"""FluxNetworkRegressor: a network predicts mass-balanced fluxes from the medium; one flux is the target.

``FluxNetworkRegressor(model, inputs=[exchange ids], output=reaction id)``:
``X`` is samples × the input exchanges' uptake levels (columns matched by id),
``y`` the output flux (e.g. growth). An MLP maps the scaled uptakes to the
null-space coordinates ``z`` of :class:`~binn_graph.metabolic.layer.MassBalance`,
so every predicted flux vector ``v = N z`` satisfies ``S v = 0``. The loss is

.. math::

    \\frac{1}{B}\\sum_s (v_{s,\\text{out}} - y_s)^2 + \\lambda \\frac{1}{B}\\sum_s P(v_s; lb_s, ub_s)

with per-sample bounds from the medium (the input exchanges' uptake is at most
``uptake_scale × x``; with ``close_uptakes`` every other uptake is closed, as in
:func:`~binn_graph.metabolic.fluxes.medium_bounds`), in the spirit of AMN
(Faure et al., Nat Commun 2023): a neural layer whose outputs are fluxes a
mechanistic constraint must accept.
"""

from __future__ import annotations

import hashlib
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import column_or_1d
from torch import nn

from ..errors import FeatureMismatchError, TargetError
from ..training import resolve_device
from ..validation import check_fitted, validate_params
from .fluxes import medium_bounds
from .layer import MassBalance, null_space_basis
from .model import StoichiometricModel, as_cobra_model

__all__ = ["FluxNetworkRegressor"]

_BASIS_CACHE: dict[str, np.ndarray] = {}


def _cached_basis(sm: StoichiometricModel) -> np.ndarray:
    """Null-space basis of ``sm.S``, cached by the matrix's content (an SVD per model, not per fit)."""
    S = sm.S.tocsr()
    key = hashlib.sha1(np.asarray(S.shape).tobytes() + S.indptr.tobytes() + S.indices.tobytes()
                       + S.data.tobytes()).hexdigest()
    if key not in _BASIS_CACHE:
        if len(_BASIS_CACHE) >= 4:
            _BASIS_CACHE.pop(next(iter(_BASIS_CACHE)))
        _BASIS_CACHE[key] = null_space_basis(S)
    return _BASIS_CACHE[key]


class _FluxNet(nn.Module):
    """MLP (inputs → hidden → k) followed by the mass-balance layer: (batch, n_inputs) → (batch, n) fluxes."""

    def __init__(self, n_inputs: int, hidden: tuple[int, ...], activation: str, balance: MassBalance):
        super().__init__()
        layers, width = [], n_inputs
        act = {"relu": nn.ReLU, "tanh": nn.Tanh}[activation]
        for h in hidden:
            layers += [nn.Linear(width, h), act()]
            width = h
        layers.append(nn.Linear(width, balance.n_free))
        self.mlp = nn.Sequential(*layers)
        self.balance = balance

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Fluxes ``v = N · mlp(x)``, shape (batch, n_reactions), float32 (training)."""
        return self.balance(self.mlp(x))

    def fluxes(self, x: torch.Tensor) -> torch.Tensor:
        """The same fluxes with ``z`` cast to float64 before ``N``: ``S v = 0`` to float64 round-off."""
        return self.balance(self.mlp(x).double())


class FluxNetworkRegressor(RegressorMixin, BaseEstimator):
    """Predict a flux (e.g. growth) from exchange uptake levels through mass-balanced fluxes.

    Parameters
    ----------
    model:
        A :class:`cobra.Model`, an SBML path or an SBML-derived KnowledgeGraph.
    inputs:
        Exchange reaction ids; ``X`` columns are matched to them by id.
    output:
        Reaction id whose flux is the target ``y``.
    hidden:
        Hidden-layer widths of the MLP.
    activation:
        ``"relu"`` or ``"tanh"``.
    bound_weight:
        ``λ``, weight of the bound penalty.
    uptake_scale:
        Uptake bound per unit of ``X`` (EXP110: 2.5, the authors' scaling).
    close_uptakes:
        Close every exchange uptake not in ``inputs`` (cobrapy's ``model.medium`` semantics).
    max_epochs, lr, weight_decay:
        Full-batch Adam training (float32; :meth:`fluxes` and :meth:`predict` apply ``N`` in float64).
    random_state:
        Seeds the weight initialisation (same seed, same fit).
    device:
        Where ``fit`` trains: ``"cpu"``, ``"cuda"`` (an error without a GPU) or ``"auto"`` (CUDA where available,
        else the CPU), as for the BINN estimators. The fitted ``model_`` comes back on the CPU, where
        :meth:`predict` and :meth:`fluxes` run.
    verbose:
        Print the loss every 100 epochs.
    """

    _parameter_constraints: dict = {
        "model": "no_validation",
        "inputs": [list, tuple],
        "output": [str],
        "hidden": [tuple, list],
        "activation": [StrOptions({"relu", "tanh"})],
        "bound_weight": [Interval(Real, 0, None, closed="left")],
        "uptake_scale": [Interval(Real, 0, None, closed="neither")],
        "close_uptakes": ["boolean"],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "verbose": ["verbose"],
    }

    def __init__(self, model=None, inputs: list[str] | tuple = (), output: str = "", hidden: tuple = (64,),
                 activation: str = "relu", bound_weight: float = 1.0, uptake_scale: float = 1.0,
                 close_uptakes: bool = False, max_epochs: int = 500, lr: float = 1e-2, weight_decay: float = 0.0,
                 random_state: int | None = None, device: str = "cpu", verbose: bool = False) -> None:
        self.model = model
        self.inputs = inputs
        self.output = output
        self.hidden = hidden
        self.activation = activation
        self.bound_weight = bound_weight
        self.uptake_scale = uptake_scale
        self.close_uptakes = close_uptakes
        self.max_epochs = max_epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    def _frame(self, X) -> pd.DataFrame:
        inputs = list(self.inputs)
        if not isinstance(X, pd.DataFrame):
            X = np.asarray(X, dtype=float)
            if X.ndim != 2 or X.shape[1] != len(inputs):
                raise FeatureMismatchError(f"X has shape {X.shape}; expected (samples, {len(inputs)}) columns "
                                           f"{inputs[:5]}..., or a DataFrame with those column names")
            return pd.DataFrame(X, columns=inputs)
        missing = [c for c in inputs if c not in X.columns]
        if missing:
            raise FeatureMismatchError(f"X lacks input column(s) {missing[:5]}; columns are matched by exchange id")
        return X[inputs].astype(float)

    def _bounds(self, X: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
        lb, ub, _ = medium_bounds(self.stoichiometry_, X * self.uptake_scale, close_uptakes=self.close_uptakes)
        return torch.as_tensor(lb), torch.as_tensor(ub)

    def _scaled(self, X: pd.DataFrame) -> torch.Tensor:
        return torch.as_tensor((X.to_numpy() - self.x_mean_) / self.x_scale_, dtype=torch.float32)

    # ------------------------------------------------------------------ API
    def fit(self, X, y) -> "FluxNetworkRegressor":
        """Fit on ``X`` (samples × input exchange uptake levels) and ``y`` (the output flux)."""
        validate_params(self)
        device = resolve_device(self.device)
        cobra_model = as_cobra_model(self.model, require_objective=False)
        sm = StoichiometricModel.from_cobra(cobra_model)
        unknown = [r for r in list(self.inputs) + [self.output] if r not in sm.reactions]
        if unknown or not self.inputs:
            raise FeatureMismatchError(f"inputs/output {unknown[:5]} are not reactions of the model" if unknown
                                       else "inputs must name at least one exchange reaction")
        X = self._frame(X)
        y = column_or_1d(np.asarray(y, dtype=float))
        if len(y) != len(X) or not np.isfinite(y).all():
            raise TargetError(f"y must hold {len(X)} finite values (one per row of X), got {len(y)}")
        self.stoichiometry_ = sm
        self.reactions_ = sm.reactions
        self.output_index_ = int(sm.reactions.get_loc(self.output))
        lb, ub = self._bounds(X)  # raises MediumError for inputs that are not exchanges
        self.x_mean_ = X.to_numpy().mean(axis=0)
        scale = X.to_numpy().std(axis=0)
        self.x_scale_ = np.where(scale > 0, scale, 1.0)
        seed = np.random.RandomState(self.random_state).randint(2**31 - 1) if not isinstance(
            self.random_state, Integral) else int(self.random_state)
        torch.manual_seed(seed)
        balance = MassBalance(sm.S, sm.lb, sm.ub, basis=_cached_basis(sm))
        net = _FluxNet(len(self.inputs), tuple(self.hidden), self.activation, balance).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        xt, yt = self._scaled(X).to(device), torch.as_tensor(y, dtype=torch.float32, device=device)
        lb, ub = lb.float().to(device), ub.float().to(device)
        self.loss_curve_ = []
        for epoch in range(self.max_epochs):
            opt.zero_grad()
            v = net(xt)
            loss = ((v[:, self.output_index_] - yt) ** 2).mean() + \
                self.bound_weight * balance.bound_violation(v, lb, ub).mean()
            loss.backward()
            opt.step()
            self.loss_curve_.append(loss.item())
            if self.verbose and epoch % 100 == 0:
                print(f"epoch {epoch}: loss {float(loss):.5g}")
        self.model_ = net.cpu()
        self.n_features_in_ = len(self.inputs)
        return self

    def fluxes(self, X) -> pd.DataFrame:
        """Samples × reactions fluxes (``S v = 0`` to float64 round-off)."""
        check_fitted(self)
        X = self._frame(X)
        with torch.no_grad():
            v = self.model_.fluxes(self._scaled(X)).numpy()
        return pd.DataFrame(v, index=X.index, columns=self.reactions_)

    def predict(self, X) -> np.ndarray:
        """The output flux per sample, shape (samples,)."""
        check_fitted(self)
        X = self._frame(X)
        with torch.no_grad():
            return self.model_.fluxes(self._scaled(X))[:, self.output_index_].numpy()

    def bound_violation(self, X) -> pd.Series:
        """Per-sample bound penalty ``P(v)`` of the predicted fluxes under the medium's bounds."""
        check_fitted(self)
        X = self._frame(X)
        lb, ub = self._bounds(X)
        with torch.no_grad():
            return pd.Series(self.model_.balance.bound_violation(self.model_.fluxes(self._scaled(X)), lb, ub).numpy(),
                             index=X.index)

    def module_input(self, X) -> torch.Tensor:
        """The tensor the torch module takes (scaled uptakes), for :func:`binn_graph.explain`."""
        check_fitted(self)
        return self._scaled(self._frame(X))

    def output_function(self):
        """Maps the module's output (fluxes) to the prediction (the output flux)."""
        index = self.output_index_
        return lambda v: v[:, index]
