"""GPR evaluation, condition-specific fluxes against cobrapy on textbook, GIMME's switch, and reported failures."""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

cobra = pytest.importorskip("cobra")
pytest.importorskip("highspy")

from cobra.io import load_model  # noqa: E402

from binn_graph.metabolic import (  # noqa: E402
    ExpressionError,
    InfeasibleModelError,
    MediumError,
    MetabolicWarning,
    NoObjectiveError,
    condition_fluxes,
    evaluate_gpr,
)
from kg.datasets import data_path  # noqa: E402
from kg.errors import InputFormatError  # noqa: E402

logging.getLogger("cobra").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def textbook():
    return load_model("textbook")


@pytest.fixture(scope="module")
def expression(textbook):
    rng = np.random.default_rng(0)
    genes = [g.id for g in textbook.genes]
    return pd.DataFrame(rng.lognormal(size=(4, len(genes))), columns=genes, index=[f"s{i}" for i in range(4)])


def test_gpr_and_min_or_max_on_toy_rules():
    e = pd.DataFrame({"g1": [1.0, 5.0], "g2": [2.0, 1.0], "g3": [0.5, 3.0]}, index=["a", "b"])
    act, report = evaluate_gpr({"r1": "(g1 and g2) or g3", "r2": "g1 and gX", "r3": "", "r4": "gY or gZ",
                                "r5": "g1 or (g2 and (g3 or g1))"}, e)
    np.testing.assert_array_equal(act["r1"], [1.0, 3.0])  # max(min(1, 2), 0.5), max(min(5, 1), 3)
    np.testing.assert_array_equal(act["r2"], [1.0, 5.0])  # gX absent: left out of the AND
    assert act["r3"].isna().all() and act["r4"].isna().all()
    np.testing.assert_array_equal(act["r5"], [1.0, 5.0])  # max(1, min(2, max(.5, 1))), max(5, min(1, 5))
    assert report["missing_genes"] == ["gX", "gY", "gZ"] and report["unevaluated_reactions"] == ["r4"]


def test_eflux_pfba_equals_a_cobrapy_loop(textbook, expression):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetabolicWarning)
        fluxes = condition_fluxes(textbook, expression, method="eflux", gamma=1.0)
    assert list(fluxes.columns) == [r.id for r in textbook.reactions]
    act, _ = evaluate_gpr(pd.Series({r.id: r.gene_reaction_rule for r in textbook.reactions}), expression)
    ref = act.max()
    for sample in expression.index:
        with textbook as m:
            for r in m.reactions:
                a = act.loc[sample, r.id]
                if np.isfinite(a):
                    scale = a / ref[r.id]
                    r.bounds = (r.lower_bound * scale, r.upper_bound * scale)
            expected = cobra.flux_analysis.pfba(m)
            growth = m.slim_optimize()
        assert fluxes.attrs["objective"][sample] == pytest.approx(growth, rel=1e-7)
        # pFBA optimum (Σ|v|) and the growth of the pFBA solution agree; fluxes agree where pFBA is unique
        assert fluxes.loc[sample].abs().sum() == pytest.approx(expected.objective_value, rel=1e-6)
        np.testing.assert_allclose(fluxes.loc[sample], expected.fluxes[fluxes.columns], atol=1e-5)
    S = cobra.util.create_stoichiometric_matrix(textbook)
    assert np.abs(S @ fluxes.to_numpy().T).max() < 1e-6


def test_gimme_switches_off_an_unexpressed_reaction(textbook, expression):
    low = pd.DataFrame(1.0, index=["s0", "s1"], columns=expression.columns)
    low.loc["s0", ["b3916", "b1723"]] = 0.0  # both PFK isozymes silent in s0: PFK = b3916 or b1723
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetabolicWarning)
        gimme = condition_fluxes(textbook, low, method="gimme", threshold=0.5, fraction_of_optimum=0.5)
        pfba = condition_fluxes(textbook, method="fba")  # no expression constraint
    assert abs(pfba.loc["medium", "PFK"]) > 1.0  # the parsimonious route uses PFK
    assert gimme.attrs["status"].tolist() == ["optimal", "optimal"]
    assert abs(gimme.loc["s0", "PFK"]) < 1e-7  # GIMME reroutes around the silent reaction
    assert gimme.loc["s0", "Biomass_Ecoli_core"] >= 0.5 * gimme.attrs["objective"]["s0"] - 1e-7


def test_infeasible_samples_are_reported_individually(textbook):
    medium = pd.DataFrame({"EX_glc__D_e": [10.0, 0.0, 5.0]}, index=["fed", "starved", "half"])
    with pytest.warns(MetabolicWarning, match="starved"):
        fluxes = condition_fluxes(textbook, method="fba", medium=medium)
    assert fluxes.attrs["status"].to_dict() == {"fed": "optimal", "starved": "infeasible", "half": "optimal"}
    assert fluxes.loc["starved"].isna().all() and fluxes.loc["fed"].notna().all()
    assert fluxes.attrs["report"]["not_optimal"] == {"starved": "infeasible"}
    assert fluxes.loc["fed", "Biomass_Ecoli_core"] == pytest.approx(0.8739215, abs=1e-6)


def test_bad_inputs_are_project_errors(textbook, expression, tmp_path):
    dup = expression.rename(columns={expression.columns[1]: expression.columns[0]})
    with pytest.raises(ExpressionError, match="duplicated gene"):
        condition_fluxes(textbook, dup)
    with pytest.raises(MediumError, match="EX_nothing"):
        condition_fluxes(textbook, method="fba", medium=pd.DataFrame({"EX_nothing": [1.0]}))
    with pytest.raises(InfeasibleModelError, match="no sample"):
        condition_fluxes(textbook, method="fba", medium=pd.DataFrame({"EX_glc__D_e": [0.0]}))
    with pytest.raises(NoObjectiveError, match="no objective"):
        condition_fluxes(data_path("metabolic/mitocore_v1.01.xml.gz"), method="fba")
    not_sbml = tmp_path / "model.xml"
    not_sbml.write_text("<html><body>not a model</body></html>")
    with pytest.raises(InputFormatError, match="SBML"):
        condition_fluxes(not_sbml, expression)
    with pytest.warns(MetabolicWarning, match="absent from the expression"):
        out = condition_fluxes(textbook, expression.drop(columns=["b3916"]))
    assert "b3916" in out.attrs["report"]["missing_genes"]
