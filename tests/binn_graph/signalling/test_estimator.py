"""SignalingNetwork: planted-parameter recovery on a small cyclic network, id matching and reports, NaN masking,
interventions, reproducibility and the bad inputs of the issue."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from binn_graph.errors import DataValidationError, FeatureMismatchError, GraphStructureError, ParameterError
from binn_graph.signalling import SignalingModule, SignalingNetwork, SteadyStateError
from kg import KnowledgeGraph

# L1, L2 ligands -> receptors R1, R2 -> kinases K1..K3 (K1 <-> K2 feedback loop) -> TFs T1..T3
EDGES = [("L1", "R1", 1), ("L2", "R2", 1), ("R1", "K1", 1), ("R2", "K2", 1), ("K1", "K2", 1), ("K2", "K1", -1),
         ("K1", "T1", 1), ("K2", "T2", 1), ("K2", "K3", -1), ("K3", "T3", 1), ("R1", "K3", 1), ("K3", "T1", -1)]


def _graph(edges=EDGES) -> KnowledgeGraph:
    g = KnowledgeGraph()
    ids = sorted({e[0] for e in edges} | {e[1] for e in edges})
    g.add_nodes("protein", ids)
    g.add_edges(("protein", "regulates", "protein"), [e[0] for e in edges], [e[1] for e in edges],
                sign=[float(e[2]) for e in edges])
    return g


def _planted(n=60, seed=0):
    """Data from a module with planted weights (the truth the estimator should reproduce)."""
    ids = sorted({e[0] for e in EDGES} | {e[1] for e in EDGES})
    pos = {n: i for i, n in enumerate(ids)}
    truth = SignalingModule(ids, [pos[e[0]] for e in EDGES], [pos[e[1]] for e in EDGES], [e[2] for e in EDGES],
                            ["L1", "L2"], ["T1", "T2", "T3"])
    with torch.no_grad():
        truth.weight.copy_(torch.tensor([e[2] for e in EDGES], dtype=torch.float64)
                           * torch.linspace(0.6, 1.2, len(EDGES), dtype=torch.float64))
        truth.bias.fill_(0.05)
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.uniform(0, 1, (n, 2)) * (rng.uniform(size=(n, 2)) < 0.7), columns=["L1", "L2"],
                     index=[f"s{i}" for i in range(n)])
    with torch.no_grad():
        Y = truth(torch.as_tensor(X.to_numpy()))
    return X, pd.DataFrame(Y.numpy(), index=X.index, columns=truth.output_ids)


FAST = dict(max_epochs=40, batch_size=10, lr=0.02, random_state=0)


@pytest.fixture(scope="module")
def fitted():
    X, Y = _planted()
    return SignalingNetwork(_graph(), **FAST).fit(X.iloc[:45], Y.iloc[:45]), X, Y


def test_recovers_planted_responses_on_held_out_samples(fitted):
    model, X, Y = fitted
    pred = model.predict(X.iloc[45:])
    assert list(pred.columns) == ["T1", "T2", "T3"] and pred.index.equals(X.index[45:])
    r = np.corrcoef(pred.to_numpy().ravel(), Y.iloc[45:].to_numpy().ravel())[0, 1]
    assert r > 0.9
    assert model.score(X.iloc[45:], Y.iloc[45:]) == pytest.approx(r)
    assert 0 < model.spectral_radius_ < 1
    assert model.history_["loss"].iloc[-1] < model.history_["loss"].iloc[0] / 3


def test_same_seed_same_model_and_columns_matched_by_name():
    X, Y = _planted(n=20)
    a = SignalingNetwork(_graph(), **{**FAST, "max_epochs": 3}).fit(X, Y)
    b = SignalingNetwork(_graph(), **{**FAST, "max_epochs": 3}).fit(X[["L2", "L1"]], Y[["T3", "T1", "T2"]].iloc[::-1])
    assert torch.allclose(a.model_.weight, b.model_.weight, atol=1e-12)  # summation order differs, nothing else
    assert np.allclose(a.predict(X)[["T1", "T2", "T3"]], b.predict(X[["L2", "L1"]])[["T1", "T2", "T3"]])


def test_interventions(fitted):
    model, X, _ = fitted
    base = model.predict(X.iloc[:5])
    # knocking out both receptors cuts the ligands off: the TFs no longer depend on the input
    ko = model.predict(X.iloc[:5], knockout=["R1", "R2"])
    none = model.predict(pd.DataFrame(0.0, index=X.index[:5], columns=["L1", "L2"]), knockout=["R1", "R2"])
    assert np.allclose(ko, none)
    assert np.allclose(ko, ko.iloc[[0]].to_numpy())
    assert not np.allclose(base, base.iloc[[0]].to_numpy())
    states = model.steady_states(X.iloc[:5], clamp={"K3": 0.0})
    assert np.allclose(states["K3"], 0.0)
    assert np.allclose(model.steady_states(X.iloc[:5], knockout=["K3"]), states)
    with pytest.raises(FeatureMismatchError, match="not in the network"):
        model.predict(X, knockout=["nope"])


def test_columns_not_in_the_pkn_are_reported_or_refused():
    X, Y = _planted(n=20)
    X2 = X.assign(GHOST=1.0)
    with pytest.warns(UserWarning, match="not network nodes"):
        m = SignalingNetwork(_graph(), **{**FAST, "max_epochs": 1}).fit(X2, Y)
    entry = next(e for e in m.report_.entries if e.what == "X columns that are not network nodes")
    assert entry.count == 1 and entry.examples == ("GHOST",)
    assert m.input_ids_ == ["L1", "L2"]
    with pytest.raises(FeatureMismatchError, match="GHOST"):
        SignalingNetwork(_graph(), strict=True, **{**FAST, "max_epochs": 1}).fit(X2, Y)


def test_nan_targets_are_masked_and_reported():
    X, Y = _planted(n=20)
    Y2 = Y.copy()
    Y2.iloc[3, 1] = np.nan
    Y2.iloc[7, 0] = np.nan
    with pytest.warns(UserWarning, match="2 NaN"):
        m = SignalingNetwork(_graph(), **{**FAST, "max_epochs": 2}).fit(X, Y2)
    entry = next(e for e in m.report_.entries if e.action == "masked")
    assert entry.count == 2 and "s3/T2" in entry.examples[0] + entry.examples[1]
    assert np.isfinite(m.history_["loss"]).all()
    # the masked entries do not enter the loss: any value there gives the same model
    Y3 = Y2.fillna(123.0)
    Y3.iloc[3, 1] = np.nan
    Y3.iloc[7, 0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m3 = SignalingNetwork(_graph(), **{**FAST, "max_epochs": 2}).fit(X, Y3)
    assert torch.equal(m.model_.weight, m3.model_.weight)


def test_no_path_from_inputs_to_outputs():
    g = _graph([("L1", "R1", 1), ("T1", "K1", 1)])
    X = pd.DataFrame({"L1": [0.0, 1.0, 0.5]})
    y = pd.DataFrame({"T1": [0.1, 0.2, 0.3]})
    with pytest.raises(GraphStructureError, match="no path"):
        SignalingNetwork(g, max_epochs=1).fit(X, y)


def test_nonconvergence_names_the_radius():
    # L -> A, A -| B, B -| A, B -> T: with strong mutual inhibition the iteration oscillates
    g = _graph([("L", "A", 1), ("A", "B", -1), ("B", "A", -1), ("B", "T", 1)])
    X = pd.DataFrame({"L": [0.0, 0.5, 1.0]})
    y = pd.DataFrame({"T": [0.1, 0.2, 0.3]})
    model = SignalingNetwork(g, max_epochs=1, max_iter=60).fit(X, y)
    with torch.no_grad():
        model.model_.weight.copy_(torch.tensor([1.0, -30.0, -30.0, 1.0], dtype=torch.float64))
        model.model_.bias.fill_(0.4)
    with pytest.raises(SteadyStateError, match=r"3 of 3 samples did not reach a steady state within 600 iterations: "
                                               r"0 \(largest change .* in one more iteration, Jacobian spectral "
                                               r"radius at its last iterate .*\)"):
        model.predict(X)


def test_a_new_input_that_contracts_slowly_settles_in_prediction_and_is_named_when_it_cannot():
    # L -> A, A <-> B (a positive loop of gain 0.99 x 0.99), B -> T; input gain 3, zero biases: in the linear regime
    # A = 3 u / (1 - 0.9801), and each iteration shrinks the error by about 0.99, so L = 0.001 needs ~700 iterations
    g = _graph([("L", "A", 1), ("A", "B", 1), ("B", "A", 1), ("B", "T", 1)])
    X = pd.DataFrame({"L": [0.0, 0.001]}, index=["off", "slow"])
    model = SignalingNetwork(g, max_epochs=1, max_iter=100).fit(X, pd.DataFrame({"T": [0.0, 0.1]}, index=X.index))
    with torch.no_grad():
        model.model_.weight.copy_(torch.tensor([1.0, 0.99, 0.99, 1.0], dtype=torch.float64))
        model.model_.bias.zero_()
    states = model.steady_states(X)  # needs more than max_iter = 100 iterations, fewer than 10 x max_iter
    assert model.model_.info.forward_iterations > 100
    # tol bounds the last change (1e-6), so the error is at most about tol / (1 - 0.99) = 1e-4
    assert states.loc["slow", "A"] == pytest.approx(0.003 / (1 - 0.99 ** 2), abs=1e-4)
    with torch.no_grad():
        plain = model.model_.states(torch.tensor([[0.0], [0.001]], dtype=torch.float64), max_iter=20_000).numpy()
    np.testing.assert_allclose(states.to_numpy(), plain, atol=1e-6)
    model.model_.settle_factor = 1  # within max_iter alone, "slow" does not settle and is named; "off" is not
    with pytest.raises(SteadyStateError, match=r"^1 of 2 samples .* within 100 iterations: 'slow' \(largest change "
                                               r".*, Jacobian spectral radius at its last iterate 0\.990\)"):
        model.predict(X)
    # a second loop A <-> C of gain 2 x 2, knocked out: the radius named is that of the loop left (held nodes cut
    # their loops, as in the adjoint), not 2.2
    g = _graph([("L", "A", 1), ("A", "B", 1), ("B", "A", 1), ("B", "T", 1), ("A", "C", 1), ("C", "A", 1)])
    model = SignalingNetwork(g, max_epochs=1, max_iter=100).fit(X, pd.DataFrame({"T": [0.0, 0.1]}, index=X.index))
    order = model.model_.structure
    ids = np.array(model.model_.node_ids)
    gains = {("L", "A"): 1.0, ("A", "B"): 0.99, ("B", "A"): 0.99, ("B", "T"): 1.0, ("A", "C"): 2.0, ("C", "A"): 2.0}
    with torch.no_grad():
        model.model_.weight.copy_(torch.tensor([gains[(a, b)] for a, b in zip(ids[order.sources], ids[order.targets])],
                                               dtype=torch.float64))
        model.model_.bias.zero_()
    model.model_.settle_factor = 1
    with pytest.raises(SteadyStateError, match=r"'slow' \(.*radius at its last iterate 0\.990\)"):
        model.predict(X, knockout=["C"])


def test_diverging_states_and_infinite_inputs_raise_instead_of_returning_nan():
    # a positive loop of gain 1000 x 1000 on negative states (slope 0.01 below 0): the states run off to -inf
    g = _graph([("L", "A", 1), ("A", "B", 1), ("B", "A", 1), ("B", "T", 1)])
    X = pd.DataFrame({"L": [0.0, 0.5]}, index=["a", "b"])
    y = pd.DataFrame({"T": [0.0, 0.1]}, index=X.index)
    model = SignalingNetwork(g, max_epochs=1, max_iter=50).fit(X, y)
    with torch.no_grad():
        model.model_.weight.copy_(torch.tensor([1.0, 1000.0, 1000.0, 1.0], dtype=torch.float64))
        model.model_.bias.fill_(-1.0)
    with warnings.catch_warnings():  # overflow on the way to -inf
        warnings.simplefilter("ignore")
        with pytest.raises(SteadyStateError, match=r"^2 of 2 samples did not reach a steady state.*'a' \(largest change"):
            model.predict(X)
    for bad in (X.assign(L=[0.0, np.inf]), X.assign(L=[-np.inf, 0.0])):
        with pytest.raises(DataValidationError, match="infinite"):
            model.predict(bad)
        with pytest.raises(DataValidationError, match="infinite"):
            SignalingNetwork(g, max_epochs=1).fit(bad, y)


def test_bad_parameters_and_graphs():
    X, Y = _planted(n=10)
    with pytest.raises(ParameterError, match="spectral_target"):
        SignalingNetwork(_graph(), spectral_target=1.5).fit(X, Y)
    g = KnowledgeGraph()
    g.add_nodes("pathway", ["A", "B"])
    g.add_edges(("pathway", "part_of", "pathway"), ["A"], ["B"])
    with pytest.raises(GraphStructureError, match="no 'regulates' edges"):
        SignalingNetwork(g).fit(X, Y)


def test_device_auto_is_the_cpu_fit_without_a_gpu_and_cuda_is_refused():
    X, Y = _planted(n=20)
    params = {**FAST, "max_epochs": 3}
    cpu = SignalingNetwork(_graph(), **params).fit(X, Y)
    with pytest.raises(ParameterError, match="device"):
        SignalingNetwork(_graph(), **params, device="tpu").fit(X, Y)
    if not torch.cuda.is_available():
        auto = SignalingNetwork(_graph(), **params, device="auto").fit(X, Y)
        assert torch.equal(auto.model_.weight, cpu.model_.weight)
        assert auto.history_["loss"].equals(cpu.history_["loss"])
        with pytest.raises(ParameterError, match="no CUDA device"):
            SignalingNetwork(_graph(), **params, device="cuda").fit(X, Y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_matches_the_cpu_fit():
    X, Y = _planted(n=20)
    params = {**FAST, "max_epochs": 3}
    cpu = SignalingNetwork(_graph(), **params).fit(X, Y)
    gpu = SignalingNetwork(_graph(), **params, device="cuda").fit(X, Y)
    assert gpu.model_.weight.device.type == "cpu"  # the fitted model comes back to the CPU
    assert torch.allclose(gpu.model_.weight, cpu.model_.weight, atol=1e-8)
    assert np.allclose(gpu.predict(X), cpu.predict(X), atol=1e-8)
    assert gpu.predict(X, knockout=["K1"]).shape == (20, 3)


def test_spectral_limit_scales_a_nonconverging_fit_into_a_converging_one():
    X, Y = _planted(n=30)
    params = {**FAST, "spectral_penalty": 0.0, "prescale": 1.0}  # no radius control: the fit ends at radius ≥ 1
    loose = SignalingNetwork(_graph(), **params, spectral_limit=None)
    with pytest.raises(SteadyStateError, match="spectral radius"):
        loose.fit(X, Y)
    limited = SignalingNetwork(_graph(), **params, spectral_limit=0.9).fit(X, Y)
    assert limited.spectral_radius_ <= 0.9 + 1e-9
    assert limited.history_["loss"].equals(loose.history_["loss"])  # training itself is unchanged
    ratio = (limited.model_.weight / loose.model_.weight).detach()
    assert torch.allclose(ratio, ratio[0].expand_as(ratio)) and 0.5 < float(ratio[0]) < 1  # only scaled down
    assert any("spectral_limit" in str(e) for e in limited.report_.entries)
    assert any("(states not settled)" in str(e) for e in limited.report_.entries)  # scaled although rho looked small
    limited.predict(X)  # and the fitted model reaches its steady states
    with pytest.raises(ParameterError, match="spectral_limit"):
        SignalingNetwork(_graph(), spectral_limit=1.2).fit(X, Y)


def test_limit_radius_scales_the_weights_to_the_limit_and_reports_the_factor():
    X, Y = _planted(n=30)
    model = SignalingNetwork(_graph(), **{**FAST, "max_epochs": 2}, spectral_limit=None).fit(X, Y)
    rho = model._radius_over(X[model.input_ids_])
    before = model.model_.weight.detach().clone()
    model.spectral_limit = 0.8 * rho
    factor = model._limit_radius(X[model.input_ids_])
    assert factor < 1
    assert torch.allclose(model.model_.weight.detach(), before * factor)  # one common factor on every weight
    assert model._radius_over(X[model.input_ids_]) <= 0.8 * rho + 1e-9
    assert model._limit_radius(X[model.input_ids_]) == 1.0  # already within the limit: untouched
