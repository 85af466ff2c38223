"""The two-view BINN graph of MitoCore, and the simulated expression → fluxes → phenotype data with known truth."""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("cobra")
pytest.importorskip("highspy")

from binn_graph.metabolic import as_cobra_model  # noqa: E402
from binn_graph.metabolic.multiview import flux_columns, metabolic_binn_graph, simulate_multiview  # noqa: E402
from kg.datasets import data_path  # noqa: E402

logging.getLogger("cobra").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def mitocore():
    model = as_cobra_model(data_path("metabolic/mitocore_v1.01.xml.gz"), require_objective=False)
    model.objective = "OF_ATP_MitoCore"
    return model


def test_two_view_graph_of_mitocore(mitocore):
    g = metabolic_binn_graph(mitocore)
    assert g.num_nodes("pathway") == 96 and g.num_nodes("gene") == 391 and g.num_nodes("reaction") == 485
    member = g.edges(("reaction", "member_of", "pathway"))
    # one flux node per reaction with a subsystem, wired to the same subsystems as its reaction
    assert g.num_nodes("flux") == member["source"].nunique()
    flux = g.edges(("flux", "member_of", "pathway"))
    assert sorted(zip(flux["source"].str.removeprefix("flux:"), flux["target"])) == sorted(
        zip(member["source"], member["target"]))
    cat = g.edges(("gene", "catalyzes", "reaction"))
    rules = {r.id: r.gene_reaction_rule for r in mitocore.reactions}
    assert all(gene in rules[rxn] for gene, rxn in zip(cat["source"], cat["target"]))


def test_simulation_plants_an_identifiable_flux_signal(mitocore):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = simulate_multiview(mitocore, 80, random_state=0)
    fluxes, y = sim["fluxes"], sim["y"]
    assert list(fluxes.index) == list(y.index) == list(sim["expression"].index)
    z = (fluxes[sim["reactions"]] - fluxes[sim["reactions"]].mean()) / fluxes[sim["reactions"]].std()
    assert np.corrcoef(z.mean(axis=1), y)[0, 1] > 0.99  # noise sd 0.1 on a unit-variance signal
    assert len(sim["reactions"]) >= 2
    assert list(flux_columns(fluxes.iloc[:, :2]).columns) == [f"flux:{r}" for r in fluxes.columns[:2]]


def test_the_flux_view_carries_the_planted_signal(mitocore):
    from sklearn.metrics import r2_score

    from binn_graph import BINNRegressor
    from binn_graph.metabolic.multiview import LateFusionRegressor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = simulate_multiview(mitocore, 300, random_state=0)
        fluxes = sim["fluxes"]
        fluxes = fluxes.loc[:, fluxes.std() > 1e-6 * (1 + fluxes.abs().max())]  # constant fluxes carry nothing
        X = pd.concat([sim["expression"], flux_columns(fluxes)], axis=1)
        y = sim["y"]
        graph = metabolic_binn_graph(mitocore)
        kw = dict(max_epochs=400, weight_decay=0.0, patience=50, random_state=0)
        late = LateFusionRegressor(BINNRegressor(graph, input_type="gene", **kw),
                                   BINNRegressor(graph, input_type="flux", **kw)).fit(X.iloc[:220], y.iloc[:220])
        stacked = LateFusionRegressor(BINNRegressor(graph, input_type="gene", **kw),
                                      BINNRegressor(graph, input_type="flux", **kw), combine="stack").fit(
            X.iloc[:220], y.iloc[:220])
    genes, flux = late.split(X.iloc[220:])
    assert r2_score(y.iloc[220:], late.flux_model_.predict(flux)) > 0.9  # the planted flux signal is found
    assert r2_score(y.iloc[220:], late.gene_model_.predict(genes)) < 0.3  # expression alone does not carry it
    assert stacked.weights_["flux"] > 0.8 > 0.2 > stacked.weights_["gene"]  # stacking picks the informative view
    assert r2_score(y.iloc[220:], stacked.predict(X.iloc[220:])) > 0.9


def test_coupled_sets_and_subsystem_attribution_on_a_toy():
    from binn_graph.metabolic.multiview import coupled_sets, subsystem_attribution
    from kg.graph import KnowledgeGraph

    g = KnowledgeGraph()
    g.add_nodes("pathway", ["subsystem:A", "subsystem:B"], name=["A", "B"])
    g.add_nodes("reaction", ["r1", "r2", "r3"])
    g.add_nodes("gene", ["g1", "g2"])
    g.add_nodes("flux", ["flux:r1", "flux:r2", "flux:r3"])
    g.add_edges(("reaction", "member_of", "pathway"), ["r1", "r2", "r3"], ["subsystem:A", "subsystem:A", "subsystem:B"])
    g.add_edges(("flux", "member_of", "pathway"), ["flux:r1", "flux:r2", "flux:r3"],
                ["subsystem:A", "subsystem:A", "subsystem:B"])
    g.add_edges(("gene", "catalyzes", "reaction"), ["g1", "g2", "g2"], ["r1", "r2", "r3"])
    rng = np.random.default_rng(0)
    a = rng.standard_normal(20)
    X = pd.DataFrame({"flux:r1": a, "flux:r2": rng.standard_normal(20), "flux:r3": -3 * a + 1})  # r3 ∝ r1
    X["const"] = 1.0
    sets = coupled_sets(X)
    assert sets.to_dict() == {"flux:r1": "flux:r1", "flux:r2": "flux:r2", "flux:r3": "flux:r1", "const": "const"}
    importance = pd.DataFrame({
        "node_type": ["flux", "flux", "flux", "gene", "gene", "pathway", "pathway"],
        "node_id": ["flux:r1", "flux:r2", "flux:r3", "g1", "g2", "subsystem:A", "subsystem:B"],
        "importance": [3.0, 1.0, 1.0, 2.0, 6.0, 0.5, 0.25], "member_z": [np.nan] * 5 + [1.0, -1.0]})
    table = subsystem_attribution(importance, g, X).set_index(["view", "subsystem"])
    # flux: sets {r1, r3} = 4, {r2} = 1 (total 5); A holds both sets, B holds r3's set (coupled to r1)
    assert table.loc[("flux", "subsystem:A"), ["inputs", "coupled_sets", "importance"]].tolist() == [2, 2, 5.0]
    assert table.loc[("flux", "subsystem:B"), ["coupled_sets", "importance", "share"]].tolist() == [1, 4.0, 0.8]
    assert table.loc[("flux", "subsystem:A"), "share"] == 1.0 and table.loc[("flux", "subsystem:A"), "rank"] == 1
    # gene: A is reached by g1 and g2 (8 of 8), B by g2 (6 of 8); no coupling among genes
    assert table.loc[("gene", "subsystem:A"), "share"] == 1.0 and table.loc[("gene", "subsystem:B"), "share"] == 0.75
    assert table.loc[("gene", "subsystem:A"), "node_importance"] == 0.5
    assert table.loc[("flux", "subsystem:B"), "member_z"] == -1.0
    assert table.loc[("flux", "subsystem:A"), "name"] == "A"
    untied = subsystem_attribution(importance, g).set_index(["view", "subsystem"])  # without X: no coupling
    assert untied.loc[("flux", "subsystem:B"), "share"] == pytest.approx(0.2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_subsystem_attribution_ranks_the_planted_subsystem_first(mitocore, seed):
    from binn_graph import BINNRegressor, explain
    from binn_graph.metabolic.multiview import subsystem_attribution

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # sigma 1: enough expression variation that the planted subsystem's fluxes are not all coupled to another's
        sim = simulate_multiview(mitocore, 150, sigma=1.0, random_state=seed)
        assert sim["equivalent"] == []
        fluxes = sim["fluxes"]
        X = flux_columns(fluxes.loc[:, fluxes.std() > 1e-6 * (1 + fluxes.abs().max())])
        y = sim["y"]
        order = np.random.default_rng(seed).permutation(len(y))  # a different split per seed
        train, test = X.index[order[:110]], X.index[order[110:]]
        graph = metabolic_binn_graph(mitocore)
        model = BINNRegressor(graph, input_type="flux", max_epochs=300, patience=50, random_state=seed).fit(
            X.loc[train], y[train])  # the default weight decay (0.1) prunes subsystems the fit does not need
        table = subsystem_attribution(explain(model, X.loc[test], method="integrated_gradients"), graph, X)
    flux = table[table["view"] == "flux"].set_index("subsystem")
    planted = flux.loc[sim["pathway"]]
    assert planted["rank"] == 1
    assert planted["share"] > 1.5 * flux["share"].iloc[1]  # first by a margin, not by a tie
    assert planted["node_importance"] == flux["node_importance"].max()  # the model routes through it too


def test_subsystems_the_data_cannot_order_share_a_rank():
    from binn_graph.metabolic.multiview import subsystem_attribution
    from kg.graph import KnowledgeGraph

    g = KnowledgeGraph()
    g.add_nodes("pathway", ["subsystem:A", "subsystem:B", "subsystem:C"])
    g.add_nodes("flux", ["flux:r1", "flux:r2", "flux:r3"])
    g.add_edges(("flux", "member_of", "pathway"), ["flux:r1", "flux:r2", "flux:r3"],
                ["subsystem:A", "subsystem:B", "subsystem:C"])
    X = pd.DataFrame({"flux:r1": np.arange(10.0), "flux:r2": 2 * np.arange(10.0), "flux:r3": np.sin(np.arange(10))})
    importance = pd.DataFrame({"node_type": ["flux"] * 3, "node_id": ["flux:r1", "flux:r2", "flux:r3"],
                               "importance": [2.0, 1.0, 1.0]})
    table = subsystem_attribution(importance, g, X).set_index("subsystem")
    # r1 and r2 are coupled: A and B both carry that set (share 0.75) and cannot be told apart
    assert table["rank"].to_dict() == {"subsystem:A": 1, "subsystem:B": 1, "subsystem:C": 3}
    assert table.loc["subsystem:A", "share"] == table.loc["subsystem:B", "share"] == 0.75
