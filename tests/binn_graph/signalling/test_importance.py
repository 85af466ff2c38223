"""Node and edge importance of a fitted signalling network, explain() on it, and the spiked-edge test."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import binn_graph
from binn_graph.errors import ParameterError
from binn_graph.signalling import SignalingNetwork, spike_edges, spiked_edge_test, weight_auc

from .test_estimator import FAST, _graph, _planted

# nodes upstream of each TF in the toy network of test_estimator (K1 <-> K2 feed each other)
UPSTREAM_T3 = {"L1", "L2", "R1", "R2", "K1", "K2", "K3"}


@pytest.fixture(scope="module")
def fitted():
    X, Y = _planted()
    return SignalingNetwork(_graph(), **FAST).fit(X, Y), X


def test_node_knockout_importance(fitted):
    model, X = fitted
    table = model.explain_nodes(X.iloc[:10])
    t3 = table[table["output"] == "T3"].set_index("node_id")
    for node in t3.index:
        if node not in UPSTREAM_T3:
            assert t3.loc[node, "importance"] == 0.0, node
    assert (t3.loc[list(UPSTREAM_T3 - {"L1", "L2"}), "importance"] > 0).all()
    # against a plain recomputation
    k3 = np.abs(model.predict(X.iloc[:10])["T3"] - model.predict(X.iloc[:10], knockout=["K3"])["T3"]).mean()
    assert t3.loc["K3", "importance"] == pytest.approx(k3)
    assert t3["rank"].min() == 1 and set(table["output"]) == {"T1", "T2", "T3"}
    # binn_graph.explain dispatches to the model's own node importance
    assert binn_graph.explain(model, X.iloc[:10]).equals(table)
    with pytest.raises(ParameterError, match="knockout"):
        model.explain_nodes(X.iloc[:10], method="integrated_gradients")


def test_edge_importance_is_gradient_times_weight(fitted):
    model, X = fitted
    table = model.explain_edges(X.iloc[:10])
    assert binn_graph.attribution.explain_edges(model, X.iloc[:10]).equals(table)  # the public function asks the model
    t3 = table[table["output"] == "T3"].set_index(["source", "target"])
    assert t3.loc[("K1", "T1"), "importance"] == 0.0 and t3.loc[("K3", "T1"), "importance"] == 0.0
    # finite difference of the mean output in one weight
    edge = ("K2", "K3")
    m = model.model_
    ids = np.array(m.node_ids)
    k = list(zip(ids[m.structure.sources.numpy()], ids[m.structure.targets.numpy()])).index(edge)
    w = m.weight
    eps = 1e-6
    values = []
    for step in (eps, -eps):
        with torch.no_grad():
            w[k] += step
        values.append(model.predict(X.iloc[:10])["T3"].mean())
        with torch.no_grad():
            w[k] -= step
    numeric = (values[0] - values[1]) / (2 * eps) * float(w[k].detach())
    assert t3.loc[edge, "contribution"] == pytest.approx(numeric, rel=1e-4, abs=1e-9)


def test_weight_auc_by_hand():
    assert weight_auc([0.9, -0.8, 0.1, 0.05], [False, False, True, True]) == 1.0
    assert weight_auc([0.1, 0.9, 0.5, 0.5], [False, False, True, True]) == 0.5
    assert weight_auc([0.5, 0.5], [False, True]) == 0.5


def test_spike_edges():
    g = _graph()
    spiked, pairs = spike_edges(g, 5, random_state=1, exclude_targets=["L1", "L2"])
    assert len(pairs) == 5 and spiked.num_edges() == g.num_edges() + 5
    table = spiked.edges(("protein", "regulates", "protein"))
    assert (table[table["database"] == "spiked"]["sign"] == 0).all()
    assert not pairs["target"].isin(["L1", "L2"]).any()
    assert not (pairs["source"] == pairs["target"]).any()
    assert not table.duplicated(["source", "target"]).any()


def test_spiked_edges_end_with_smaller_weights_on_planted_data():
    X, Y = _planted(n=60)
    result = spiked_edge_test(SignalingNetwork(_graph(), **{**FAST, "max_epochs": 60}), X, Y, n_spiked=6,
                              n_permutations=200, random_state=3)
    assert result.n_real == 12 and result.n_spiked == 6
    assert result.auc > 0.8
    assert 0 < result.p_value < 0.05
    assert result.edges["spiked"].sum() == 6
