"""The spiked-edge test for BINNs: real edges that carry the label's signal outweigh randomly spiked ones."""

import numpy as np
import pandas as pd
import pytest

from binn_graph import BINNRegressor
from binn_graph.attribution import binn_edge_weights, binn_spiked_edge_test
from binn_graph.errors import ParameterError
from binn_graph.metrics import spiked_auc_test, weight_auc
from kg import KnowledgeGraph


def _study(seed: int = 0, n: int = 400):
    """12 pathways of 6 proteins each; y = Σ_p c_p · tanh(mean of p's members) + noise."""
    rng = np.random.default_rng(seed)
    proteins = [f"P{i}" for i in range(72)]
    pathways = [f"R{j}" for j in range(12)]
    g = KnowledgeGraph()
    g.add_nodes("protein", proteins)
    g.add_nodes("pathway", pathways)
    g.add_edges(("protein", "member_of", "pathway"), proteins, [pathways[i // 6] for i in range(72)])
    X = pd.DataFrame(rng.normal(size=(n, 72)), columns=proteins, index=[f"s{i}" for i in range(n)])
    coef = rng.choice([-1.0, 1.0], 12) * rng.uniform(1.0, 2.0, 12)
    means = np.stack([X[proteins[6 * j:6 * j + 6]].mean(axis=1) for j in range(12)], axis=1)
    y = pd.Series(np.tanh(2 * means) @ coef + 0.1 * rng.normal(size=n), index=X.index)
    return g, X, y


def test_weight_auc_and_permutation_p_by_hand():
    assert weight_auc([0.9, -0.8, 0.1, 0.05], [False, False, True, True]) == 1.0
    assert weight_auc([0.5, 0.5], [False, True]) == 0.5
    auc, p = spiked_auc_test([3.0, 2.0, 1.0, 0.0], [False, False, True, True], n_permutations=999, random_state=0)
    assert auc == 1.0 and p == pytest.approx(1 / 6, abs=0.05)  # 4 of the 24 labellings (1/6) reach AUC 1


def test_real_edges_outweigh_spiked_ones_when_the_data_support_the_graph():
    g, X, y = _study()
    model = BINNRegressor(g, random_state=0)
    result = binn_spiked_edge_test(model, X, y, n_spiked=24, n_permutations=499)
    assert (result.n_real, result.n_spiked) == (72, 24)
    assert set(result.edges.loc[result.edges["spiked"], "target"]) <= {f"R{j}" for j in range(12)}
    assert result.auc > 0.8 and result.p_value < 0.01
    # the table is the fitted model's own edge weights
    weights = binn_edge_weights(result.estimator.model_).set_index(["source", "target"])["weight"]
    row = result.edges.iloc[0]
    assert weights[(row["source"], row["target"])] == pytest.approx(row["weight"])


def test_no_support_without_signal():
    g, X, _ = _study()
    noise = pd.Series(np.random.default_rng(5).normal(size=len(X)), index=X.index)
    result = binn_spiked_edge_test(BINNRegressor(g, random_state=0), X, noise, n_spiked=24, n_permutations=499)
    assert result.p_value > 0.05


def test_bad_requests_are_refused():
    g, X, y = _study()
    with pytest.raises(ParameterError, match="lower n_spiked"):
        binn_spiked_edge_test(BINNRegressor(g), X, y, n_spiked=10_000)
    with pytest.raises(ParameterError, match="pass relation="):
        binn_spiked_edge_test(BINNRegressor(g), X, y, relation="part_of")
    with pytest.raises(ParameterError, match="DataFrame"):
        binn_spiked_edge_test(BINNRegressor(g), X.to_numpy(), y)
