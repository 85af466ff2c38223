"""device= on the degradation fits: the torch (CUDA) GD loop equals the NumPy CPU loop; CUDA runs where present."""

import numpy as np
import pytest
import torch

from binn_graph.datasets import data_path
from binn_graph.degradation import fit, fit_cohort, read_peptidome, simulate
from binn_graph.degradation.flow import _batch, _gd_numpy, _gd_torch, _observed
from binn_graph.errors import ParameterError

DATA = data_path("peptidomics")


@pytest.fixture(scope="module")
def digest():
    rng = np.random.default_rng(3)
    sequences = ["".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), 120)) for _ in range(2)]
    sims = [simulate(s, "trypsin", n_events=150, seed=i, protein_id=f"P{i}") for i, s in enumerate(sequences)]
    return [g for _, g in sims], [a for a, _ in sims]


def test_torch_loop_equals_numpy_loop(digest):
    graphs, abundances = digest
    batch, y = _batch(graphs), _observed(graphs, abundances)
    options = dict(epochs=150, lr=0.05, loss="mse", l1=0.0, l2=0.01)
    ref, ref_history = _gd_numpy(batch, y, **options)
    got, history = _gd_torch(batch, y, device=torch.device("cpu"), **options)
    assert len(history) == len(ref_history) == 150
    np.testing.assert_allclose(history, ref_history, rtol=1e-4)
    np.testing.assert_allclose(got, ref, atol=2e-4)  # float32 parameters, float64 inside both


def test_device_is_validated_and_cpu_is_unchanged(digest):
    graphs, abundances = digest
    with pytest.raises(ParameterError, match="device"):
        fit(graphs, abundances, device="tpu")
    default = fit(graphs, abundances, epochs=50, feasible_range=False)
    auto = fit(graphs, abundances, epochs=50, feasible_range=False, device="cpu")
    assert auto.hidden_activity == default.hidden_activity
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="no CUDA device"):
            fit_cohort(read_peptidome([DATA / "wf_WF1_hb.csv"]), 20, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fits_match_cpu(digest):
    graphs, abundances = digest
    cpu = fit(graphs, abundances, epochs=300, feasible_range=False)
    gpu = fit(graphs, abundances, epochs=300, feasible_range=False, device="cuda")
    assert gpu.hidden_activity == pytest.approx(cpu.hidden_activity, rel=1e-4)
    np.testing.assert_allclose(gpu.edge_probabilities["probability"], cpu.edge_probabilities["probability"],
                               atol=1e-4)
    peptidome = read_peptidome([DATA / "wf_WF1_hb.csv", DATA / "wf_sample34_hb.csv"])
    a = fit_cohort(peptidome, 20, epochs=200)
    b = fit_cohort(peptidome, 20, epochs=200, device="cuda")
    np.testing.assert_allclose(b.proteins["hidden_activity"], a.proteins["hidden_activity"], rtol=1e-4)
