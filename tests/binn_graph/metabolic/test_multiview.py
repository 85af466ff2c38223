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
