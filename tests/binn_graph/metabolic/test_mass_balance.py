"""The mass-balance layer (S v = 0, gradients vs finite differences and LP duals) and FluxNetworkRegressor."""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

cobra = pytest.importorskip("cobra")
pytest.importorskip("highspy")

from cobra.io import load_model  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402

from binn_graph.errors import FeatureMismatchError, NotFittedError, ParameterError  # noqa: E402
from binn_graph.metabolic import MediumError, StoichiometricModel, condition_fluxes  # noqa: E402
from binn_graph.metabolic.estimator import FluxNetworkRegressor  # noqa: E402
from binn_graph.metabolic.layer import MassBalance, penalised_lp  # noqa: E402
from binn_graph.metabolic.lp import BatchFBA  # noqa: E402

logging.getLogger("cobra").setLevel(logging.ERROR)
GROWTH = "Biomass_Ecoli_core"


@pytest.fixture(scope="module")
def textbook():
    return load_model("textbook")


@pytest.fixture(scope="module")
def arrays(textbook):
    return StoichiometricModel.from_cobra(textbook)


def test_layer_is_mass_balanced_and_projects(arrays):
    layer = MassBalance(arrays.S, arrays.lb, arrays.ub)
    assert layer.n_free == 28  # 95 reactions - rank 67 of the textbook S
    z = torch.randn(16, layer.n_free, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 100
    v = layer(z)
    assert v.shape == (16, 95)
    assert layer.residual(v) < 1e-9
    u = torch.randn(5, 95, dtype=torch.float64) * 10
    p = layer.project(u)
    assert layer.residual(p) < 1e-9
    torch.testing.assert_close(layer.project(p), p)  # a projection
    assert torch.linalg.norm(u - p) <= torch.linalg.norm(u - v[:5])  # the closest balanced point


def test_layer_gradients_match_finite_differences(arrays):
    layer = MassBalance(arrays.S, arrays.lb, arrays.ub)
    z = torch.randn(3, layer.n_free, dtype=torch.float64, requires_grad=True)
    lb = torch.as_tensor(arrays.lb).clone().requires_grad_(True)
    ub = torch.as_tensor(np.minimum(arrays.ub, 5.0)).clone().requires_grad_(True)

    def f(z, lb, ub):
        v = layer(z * 20)
        return v[:, :10], layer.bound_violation(v, lb, ub)

    assert torch.autograd.gradcheck(f, (z, lb, ub), eps=1e-6, atol=1e-5)


def test_penalised_lp_gradient_is_the_lp_dual(arrays):
    layer = MassBalance(arrays.S, arrays.lb, arrays.ub)
    lb = torch.as_tensor(arrays.lb).clone().requires_grad_(True)
    ub = torch.as_tensor(arrays.ub).clone().requires_grad_(True)
    engine = BatchFBA(arrays)
    z, v_lp, _ = engine.optimum(arrays.lb, arrays.ub)
    value, v = penalised_lp(layer, torch.as_tensor(arrays.c), lb, ub, rho=1e3, start=v_lp)
    value.backward()
    duals = -np.asarray(engine.fba.getSolution().col_dual)  # d(max c·v)/d(bound), HiGHS minimises −c·v
    glc = arrays.reactions.get_loc("EX_glc__D_e")
    assert value.item() == pytest.approx(z, rel=1e-3)
    assert layer.residual(v) < 1e-9
    assert lb.grad[glc].item() == pytest.approx(duals[glc], rel=1e-3)  # the shadow price of glucose uptake
    # and both match a central finite difference of the LP optimum itself
    delta = 1e-3
    lo, hi = arrays.lb.copy(), arrays.lb.copy()
    lo[glc] -= delta
    hi[glc] += delta
    fd = (engine.optimum(hi, arrays.ub)[0] - engine.optimum(lo, arrays.ub)[0]) / (2 * delta)
    assert fd == pytest.approx(duals[glc], rel=1e-6)


@pytest.fixture(scope="module")
def planted(textbook):
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"EX_glc__D_e": rng.uniform(2, 10, 60), "EX_o2_e": rng.uniform(2, 20, 60)},
                     index=[f"m{i}" for i in range(60)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        growth = condition_fluxes(textbook, method="fba", medium=X)[GROWTH].to_numpy()  # LP truth
    return X, growth


def test_regressor_learns_growth_with_balanced_fluxes(textbook, planted):
    X, y = planted
    est = FluxNetworkRegressor(textbook, inputs=["EX_glc__D_e", "EX_o2_e"], output=GROWTH,
                               max_epochs=400, random_state=0)
    est.fit(X.iloc[:45], y[:45])
    assert r2_score(y[45:], est.predict(X.iloc[45:])) > 0.9
    fluxes = est.fluxes(X.iloc[45:])
    S = cobra.util.create_stoichiometric_matrix(textbook)
    assert list(fluxes.columns) == [r.id for r in textbook.reactions]
    assert np.abs(S @ fluxes.to_numpy().T).max() < 1e-6
    np.testing.assert_allclose(fluxes[GROWTH], est.predict(X.iloc[45:]))
    again = FluxNetworkRegressor(textbook, inputs=["EX_glc__D_e", "EX_o2_e"], output=GROWTH,
                                 max_epochs=400, random_state=0).fit(X.iloc[:45], y[:45])
    np.testing.assert_array_equal(again.predict(X.iloc[45:]), est.predict(X.iloc[45:]))
    # columns matched by id, not position
    np.testing.assert_array_equal(est.predict(X.iloc[45:, ::-1]), est.predict(X.iloc[45:]))


def test_regressor_bad_input(textbook, planted):
    X, y = planted
    with pytest.raises(NotFittedError):
        FluxNetworkRegressor(textbook, inputs=["EX_glc__D_e"], output=GROWTH).predict(X)
    with pytest.raises(ParameterError, match="bound_weight"):
        FluxNetworkRegressor(textbook, inputs=["EX_glc__D_e"], output=GROWTH, bound_weight=-1).fit(X, y)
    with pytest.raises(FeatureMismatchError, match="not reactions"):
        FluxNetworkRegressor(textbook, inputs=["EX_glc__D_e"], output="growth").fit(X, y)
    with pytest.raises(FeatureMismatchError, match="lacks input"):
        FluxNetworkRegressor(textbook, inputs=["EX_glc__D_e", "EX_ac_e"], output=GROWTH).fit(X, y)
    with pytest.raises(MediumError, match="PGI"):
        FluxNetworkRegressor(textbook, inputs=["PGI"], output=GROWTH).fit(X.rename(columns={"EX_o2_e": "PGI"}), y)
