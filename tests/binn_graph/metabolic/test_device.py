"""``device=`` on FluxNetworkRegressor and FluxSurrogate: validated up front, CPU unchanged, CUDA where present."""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

cobra = pytest.importorskip("cobra")
pytest.importorskip("highspy")

from cobra.io import load_model  # noqa: E402

from binn_graph.errors import ParameterError  # noqa: E402
from binn_graph.metabolic import FluxNetworkRegressor, condition_fluxes  # noqa: E402
from binn_graph.metabolic.amortised import FluxSurrogate  # noqa: E402

logging.getLogger("cobra").setLevel(logging.ERROR)
GROWTH = "Biomass_Ecoli_core"


@pytest.fixture(scope="module")
def data():
    model = load_model("textbook")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"EX_glc__D_e": rng.uniform(2, 10, 60), "EX_o2_e": rng.uniform(2, 20, 60)},
                     index=[f"c{i}" for i in range(60)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fluxes = condition_fluxes(model, method="fba", medium=X)
    return model, X, fluxes


def _fit(data, device):
    model, X, fluxes = data
    net = FluxNetworkRegressor(model, inputs=list(X.columns), output=GROWTH, hidden=(16,), max_epochs=60,
                               random_state=0, device=device).fit(X, fluxes[GROWTH])
    sur = FluxSurrogate(model, inputs=list(X.columns), hidden=(16,), max_epochs=20, batch_size=16, random_state=0,
                        device=device).fit(X, fluxes)
    return net, sur


def test_bad_device_is_a_parameter_error(data):
    model, X, fluxes = data
    with pytest.raises(ParameterError, match="device"):
        FluxNetworkRegressor(model, inputs=list(X.columns), output=GROWTH, device="tpu").fit(X, fluxes[GROWTH])
    with pytest.raises(ParameterError, match="device"):
        FluxSurrogate(model, inputs=list(X.columns), device="gpu").fit(X, fluxes)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present here")
def test_cpu_only_machine_auto_is_cpu_and_cuda_is_refused(data):
    model, X, fluxes = data
    cpu, auto = _fit(data, "cpu"), _fit(data, "auto")
    np.testing.assert_array_equal(cpu[0].predict(X), auto[0].predict(X))  # the same fit, bit for bit
    np.testing.assert_array_equal(cpu[1].fluxes(X), auto[1].fluxes(X))
    with pytest.raises(ParameterError, match="no CUDA device"):
        FluxNetworkRegressor(model, inputs=list(X.columns), output=GROWTH, device="cuda").fit(X, fluxes[GROWTH])
    with pytest.raises(ParameterError, match="no CUDA device"):
        FluxSurrogate(model, inputs=list(X.columns), device="cuda").fit(X, fluxes)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_matches_cpu_and_returns_to_cpu(data):
    model, X, fluxes = data
    (net_cpu, sur_cpu), (net_gpu, sur_gpu) = _fit(data, "cpu"), _fit(data, "cuda")
    for fitted in (net_gpu, sur_gpu):
        assert all(p.device.type == "cpu" for p in fitted.model_.parameters())
    S = cobra.util.create_stoichiometric_matrix(model)
    for gpu, cpu in ((net_gpu.fluxes(X), net_cpu.fluxes(X)), (sur_gpu.fluxes(X), sur_cpu.fluxes(X))):
        assert np.abs(S @ gpu.to_numpy().T).max() < 1e-6
        scale = np.abs(cpu.to_numpy()).max()
        assert np.abs(gpu.to_numpy() - cpu.to_numpy()).max() < 1e-3 * scale  # float32 round-off, not another fit
