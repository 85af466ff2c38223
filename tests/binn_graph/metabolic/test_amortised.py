"""FluxSurrogate: whole flux vectors learned from solved conditions, mass-balanced by construction."""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

cobra = pytest.importorskip("cobra")
pytest.importorskip("highspy")

from cobra.io import load_model  # noqa: E402

from binn_graph.errors import TargetError  # noqa: E402
from binn_graph.metabolic import condition_fluxes  # noqa: E402
from binn_graph.metabolic.amortised import FluxSurrogate  # noqa: E402

logging.getLogger("cobra").setLevel(logging.ERROR)


def test_surrogate_learns_fluxes_and_keeps_mass_balance():
    model = load_model("textbook")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"EX_glc__D_e": rng.uniform(2, 10, 120), "EX_o2_e": rng.uniform(2, 20, 120)},
                     index=[f"c{i}" for i in range(120)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fluxes = condition_fluxes(model, method="fba", medium=X)
    surrogate = FluxSurrogate(model, inputs=list(X.columns), hidden=(64,), max_epochs=150, batch_size=32,
                              random_state=0).fit(X.iloc[:90], fluxes.iloc[:90])
    predicted = surrogate.fluxes(X.iloc[90:])
    truth = fluxes.iloc[90:]
    S = cobra.util.create_stoichiometric_matrix(model)
    assert np.abs(S @ predicted.to_numpy().T).max() < 1e-6
    growth = "Biomass_Ecoli_core"
    assert np.corrcoef(predicted[growth], truth[growth])[0, 1] > 0.9
    rel = np.linalg.norm(predicted - truth, axis=1) / np.linalg.norm(truth, axis=1)
    assert np.median(rel) < 0.25
    with pytest.raises(TargetError, match="one column per model reaction"):
        FluxSurrogate(model, inputs=list(X.columns)).fit(X, fluxes.iloc[:, :10])
