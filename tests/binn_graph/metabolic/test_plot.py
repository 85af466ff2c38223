"""Metabolic figures: growth scatter with Q², flux maps per reaction and per subsystem, labelled by name."""

import logging
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("cobra")
pytest.importorskip("highspy")

from cobra.io import load_model  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from binn_graph.attribution.plot import node_label  # noqa: E402
from binn_graph.errors import ParameterError  # noqa: E402
from binn_graph.metabolic import condition_fluxes  # noqa: E402
from binn_graph.metabolic.plot import plot_flux_map, plot_growth, subsystem_fluxes  # noqa: E402

logging.getLogger("cobra").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def textbook():
    return load_model("textbook")


@pytest.fixture(scope="module")
def fluxes(textbook):
    medium = pd.DataFrame({"EX_glc__D_e": [2.0, 5.0, 10.0, 0.0], "EX_o2_e": [20.0, 5.0, 20.0, 20.0]},
                          index=["m0", "m1", "m2", "m3"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return condition_fluxes(textbook, method="fba", medium=medium)  # m3 (no glucose): infeasible, NaN row


def test_growth_panels_report_q2_and_missing(fluxes):
    pyplot = sys.modules.get("matplotlib.pyplot")
    before = pyplot.get_fignums() if pyplot else []
    measured = pd.Series([0.2, 0.4, 0.8, 0.1], index=fluxes.index)
    predicted = fluxes["Biomass_Ecoli_core"]
    fig = plot_growth(measured, {"FBA": predicted, "mean": pd.Series(0.375, index=measured.index[::-1])})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    ok = predicted.notna()
    q2 = 1 - ((measured[ok] - predicted[ok]) ** 2).sum() / ((measured[ok] - measured[ok].mean()) ** 2).sum()
    assert fig.axes[0].get_title() == f"FBA: Q² {q2:.2f} (1 missing)"
    assert fig.axes[1].get_title() == "mean: Q² -0.00"  # the mean of measured predicts Q² 0
    assert fig.axes[0].get_xlabel() == "measured growth (h⁻¹)"
    if pyplot:
        assert pyplot.get_fignums() == before  # nothing registered with pyplot
    with pytest.raises(ParameterError, match="lack 1 sample"):
        plot_growth(measured, {"FBA": predicted.iloc[:3]})


def test_flux_map_by_reaction_and_subsystem_uses_names(fluxes, textbook):
    fig = plot_flux_map({"pFBA": fluxes, "half": fluxes / 2}, textbook, top=5, order=["m2", "m1", "m0", "m3"])
    assert len(fig.axes) == 4  # two panels, two colour bars
    varying = fluxes.loc[["m2", "m1", "m0", "m3"]].var().sort_values(ascending=False).index[:5]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [node_label({"name": textbook.reactions.get_by_id(r).name, "node_id": r}, width=40, lines=1)
                      for r in varying]
    assert "H2O exchange" in labels and "EX_h2o_e" not in labels  # names, not ids
    image = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(image[:, 0], fluxes.loc["m2", varying].to_numpy())  # rows = reactions, cols = order
    assert np.ma.getmaskarray(image)[:, 3].all() or np.isnan(np.asarray(image)[:, 3]).all()  # infeasible: blank

    model = textbook.copy()  # cobra's textbook has no subsystems: give a few reactions one
    groups = {"Glycolysis": ["PGI", "PFK", "FBA", "TPI", "GAPD", "PGK", "PGM", "ENO", "PYK"],
              "Pentose phosphate": ["G6PDH2r", "PGL", "GND", "RPE", "RPI", "TKT1", "TKT2", "TALA"],
              "Oxidative phosphorylation": ["ATPS4r", "CYTBD", "NADH16"]}
    for name, ids in groups.items():
        for r in ids:
            model.reactions.get_by_id(r).subsystem = name
    by_sub = subsystem_fluxes(fluxes, model)
    assert sorted(by_sub.columns) == sorted(groups) and by_sub.attrs["no_subsystem"] == 95 - 20
    for name, ids in groups.items():
        assert by_sub.loc["m2", name] == pytest.approx(fluxes.loc["m2", ids].abs().sum())
    assert by_sub.loc["m3"].isna().all()
    fig = plot_flux_map(fluxes, model, by="subsystem", top=2)
    top2 = by_sub.var().sort_values(ascending=False).index[:2]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(top2)
    with pytest.raises(ParameterError, match="needs model"):
        plot_flux_map(fluxes, by="subsystem")
    with pytest.raises(ParameterError, match="not reactions"):
        subsystem_fluxes(fluxes.rename(columns={"PFK": "NOPE"}), textbook)
