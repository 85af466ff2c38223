"""The model reruns itself from changed states: the sparse fast path equals plain recomputation for every option."""

import numpy as np
import pandas as pd
import pytest
import torch

from binn_graph import BINN, Architecture, BINNClassifier, BINNRegressor
from binn_graph.attribution._context import make_context
from binn_graph.attribution.clamp import clamp_scores
from binn_graph.perturbation import Perturbation
from kg import KnowledgeGraph

from .conftest import synthetic_graph

MEMBER = ("protein", "member_of", "pathway")


def _graph(extra_inputs: int = 0) -> KnowledgeGraph:
    g = synthetic_graph()
    g.add_edges(MEMBER, ["x3", "x7"], ["P0", "R"])  # level-skipping edges
    if extra_inputs:  # graph proteins outside every pathway: the residual branch reads them
        g.add_nodes("protein", [f"free{i}" for i in range(extra_inputs)])
    return g


def _snp_graph() -> KnowledgeGraph:
    """SNPs → genes (two per gene, one shared) → pathways → root, as genomic BINNs compile."""
    g = KnowledgeGraph()
    snps, genes = [f"s{i}" for i in range(12)], [f"g{i}" for i in range(5)]
    g.add_nodes("snp", snps)
    g.add_nodes("gene", genes)
    g.add_nodes("pathway", ["A", "B", "top"])
    g.add_edges(("snp", "affects", "gene"), snps + ["s0"], [genes[i % 5] for i in range(12)] + ["g3"])
    g.add_edges(("gene", "member_of", "pathway"), genes, ["A", "A", "B", "B", "B"])
    g.add_edges(("pathway", "part_of", "pathway"), ["A", "B"], ["top", "top"])
    return g


CASES = {
    "plain": ({}, {}),
    "heads_and_width": ({}, {"heads": "all_levels", "node_width": 2}),
    "integrator": ({}, {"integrator": [8, 4]}),
    "node_hidden": ({}, {"node_hidden": {"pathway": [4, 3]}}),
    "elu_no_norm": ({}, {"norm": None, "activation": "elu"}),
    "residual_integrator": ({"residual": True}, {"integrator": [6]}),
    "layered_copies": ({"mode": "layered", "n_levels": 3}, {"heads": "all_levels"}),
    "mask_inputs": ({}, {"input_width": 2}),
}


def _model(case: str, n_outputs: int) -> tuple[BINN, int]:
    compile_kw, model_kw = CASES[case]
    g = _graph(extra_inputs=4 if compile_kw.get("residual") else 0)
    arch = Architecture.from_graph(g, "protein", **compile_kw)
    torch.manual_seed(0)
    model = BINN(arch, n_outputs=n_outputs, **model_kw)
    for module in model.modules():  # batch norm with non-trivial running statistics
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.3, 0.3)
    return model.eval(), model.input_columns


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("case", sorted(CASES))
def test_fast_path_equals_recomputation_at_every_level(case, n_outputs):
    model, d = _model(case, n_outputs)
    pert = Perturbation(model, torch.randn(25, d))
    bounds = model.architecture.level_bounds
    gen = torch.Generator().manual_seed(1)
    for level in range(len(bounds) - 1):
        n = bounds[level][1] - bounds[level][0]
        nodes = torch.cat([torch.arange(n), torch.randint(0, n, (5,), generator=gen)])  # repeats too
        k = pert.widths[level]
        for values in (torch.randn(len(nodes), k, 1, generator=gen), torch.randn(len(nodes), k, 25, generator=gen)):
            fast = pert.outputs(level, nodes, values)
            slow = pert.outputs_reference(level, nodes, values)
            assert fast.shape == (len(nodes), 25, n_outputs)
            torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-5)


def test_unchanged_values_give_the_unperturbed_output():
    model, d = _model("integrator", 2)
    x = torch.randn(10, d)
    pert = Perturbation(model, x)
    states = pert.states[1]
    nodes = torch.arange(states.shape[0])
    out = pert.outputs(1, nodes, states.unsqueeze(1))  # every node set to its own value
    torch.testing.assert_close(out, model(x).unsqueeze(0).expand_as(out), rtol=1e-5, atol=1e-6)


def test_snp_gene_pathway_with_subnetworks_and_integrator():
    arch = Architecture.from_graph(_snp_graph(), "snp", target_type="pathway")
    torch.manual_seed(0)
    model = BINN(arch, node_hidden={"gene": [8]}, integrator=[16], norm=None).eval()
    pert = Perturbation(model, torch.randn(20, 12))
    for level in range(len(arch.level_bounds) - 1):
        n = arch.level_bounds[level][1] - arch.level_bounds[level][0]
        values = torch.randn(n, pert.widths[level], 1)
        torch.testing.assert_close(pert.outputs(level, torch.arange(n), values),
                                   pert.outputs_reference(level, torch.arange(n), values), rtol=1e-5, atol=1e-5)


def test_perturbation_refuses_training_mode():
    model, d = _model("plain", 1)
    with pytest.raises(RuntimeError, match="evaluation mode"):
        Perturbation(model.train(), torch.randn(4, d))


@pytest.mark.parametrize("estimator", ["regressor_integrator", "multiclass_heads", "binary_mask"])
@pytest.mark.parametrize("mode", ["clamp", "ablation"])
def test_clamp_scores_equal_recomputation_on_fitted_estimators(estimator, mode):
    """Clamp and ablation through the estimators' own output mapping (probabilities, target units)."""
    g = _graph()
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 100)), columns=[f"x{i}" for i in range(100)])
    if estimator == "regressor_integrator":
        est = BINNRegressor(g, integrator=[8], max_epochs=3, random_state=0).fit(X, 3 * X["x3"] + 10)
    elif estimator == "multiclass_heads":
        y = np.digitize(X["x3"], [-0.5, 0.5])
        est = BINNClassifier(g, heads="all_levels", node_width=2, max_epochs=3, random_state=0).fit(X, y)
    else:
        X = X.mask(rng.random(X.shape) < 0.2)
        est = BINNClassifier(g, impute="mask", max_epochs=3, random_state=0).fit(X, X["x3"].fillna(0) > 0)
    ctx = make_context(est, X.iloc[:30])
    fast = clamp_scores(ctx, mode=mode)
    slow = clamp_scores(ctx, mode=mode, reference=True)
    assert np.isfinite(fast[:-1]).all()
    np.testing.assert_allclose(fast, slow, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("case", ["plain", "layered_copies", "residual_integrator", "node_hidden"])
def test_edge_layers_and_operators_describe_the_architecture(case):
    """Every architecture edge is one entry of one layer at the right positions, and the unit operators
    reproduce every level's edge sum."""
    from binn_graph.attribution.gradients import _edge_tables

    model, d = _model(case, 2)
    arch = model.architecture
    pairs = sorted((int(s), int(t)) for _, src, dst in _edge_tables(model) for s, t in zip(src, dst))
    assert pairs == sorted(zip(arch.edges["source"].tolist(), arch.edges["target"].tolist()))
    pert = Perturbation(model, torch.randn(7, d))
    ops = model.unit_operators()
    for m in range(1, len(arch.level_bounds)):
        total = sum(torch.from_numpy(op.toarray()).float() @ pert.states[s] for (t, s), op in ops.items() if t == m)
        torch.testing.assert_close(total, pert.edge_sums[m], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_variation_shares_add_up_and_name_the_dominant_child(case):
    """Covariance shares of every node's edge sum add up to 1 (widths, subnetworks, fused inputs, residual, copies)."""
    from binn_graph.attribution.specificity import variation_shares

    model, d = _model(case, 2)
    ctx = make_context(model, torch.randn(40, d).numpy())
    shares = variation_shares(ctx)
    level = model.architecture.nodes["level"].to_numpy()
    latent = level > 0
    np.testing.assert_allclose((shares["own_share"] + shares["latent_share"])[latent], 1.0, atol=1e-4)
    has_child = shares["inherited_from"].to_numpy() >= 0
    assert (shares["inherited_share"] >= 0).all()  # covariance shares may be negative; the largest is reported
    assert (level[shares["inherited_from"][has_child]] > 0).all() and not has_child[~latent].any()
