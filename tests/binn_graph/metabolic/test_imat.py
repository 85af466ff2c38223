"""iMAT on cobra's textbook: low expression switches a reaction off, high expression switches one on, the MILP's
agreement count is exact, infeasible samples are reported one by one, and bad thresholds are project errors."""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

cobra = pytest.importorskip("cobra")
pytest.importorskip("highspy")

from cobra.io import load_model  # noqa: E402

from binn_graph.errors import ParameterError  # noqa: E402
from binn_graph.metabolic import MetabolicWarning, condition_fluxes, evaluate_gpr  # noqa: E402
from binn_graph.metabolic.imat import imat_sets  # noqa: E402

logging.getLogger("cobra").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def textbook():
    return load_model("textbook")


@pytest.fixture(scope="module")
def toy(textbook):
    """Every gene at 1 (between the thresholds 0.5 and 2): only the changed genes are high or low."""
    e = pd.DataFrame(1.0, index=["pfk_off", "ppck_on", "starved"], columns=[g.id for g in textbook.genes])
    e.loc["pfk_off", ["b3916", "b1723"]] = 0.0  # PFK = b3916 or b1723, both silent
    e.loc["ppck_on", "b3403"] = 5.0  # PPCK = b3403: unused by pFBA on glucose
    medium = pd.DataFrame({"EX_glc__D_e": [10.0, 10.0, 0.0]}, index=e.index)
    return e, medium


def test_imat_switches_reactions_by_expression(textbook, toy):
    e, medium = toy
    with pytest.warns(MetabolicWarning, match="starved"):
        fluxes = condition_fluxes(textbook, e, method="imat", thresholds=(0.5, 2.0), medium=medium)
    pfba = condition_fluxes(textbook, method="fba", medium=medium.iloc[:1])
    assert abs(pfba.iloc[0]["PFK"]) > 1.0 and abs(pfba.iloc[0]["PPCK"]) < 1e-9  # the parsimonious route
    assert abs(fluxes.loc["pfk_off", "PFK"]) < 1e-9  # forced off by low expression
    assert fluxes.loc["ppck_on", "PPCK"] >= 1.0 - 1e-7  # forced on (ε = 1) by high expression
    table = fluxes.attrs["imat"]
    assert table.loc["pfk_off", ["high", "low", "agreement"]].tolist() == [0, 1, 1]
    assert table.loc["ppck_on", ["high", "low", "agreement"]].tolist() == [1, 0, 1]
    S = cobra.util.create_stoichiometric_matrix(textbook)
    solved = fluxes.loc[["pfk_off", "ppck_on"]].to_numpy()
    assert np.abs(S @ solved.T).max() < 1e-6
    lb = np.array([r.lower_bound for r in textbook.reactions])
    ub = np.array([r.upper_bound for r in textbook.reactions])
    lb[textbook.reactions.index("EX_glc__D_e")] = -10.0
    assert (solved >= lb - 1e-7).all() and (solved <= ub + 1e-7).all()
    # infeasible samples are reported individually, with NaN fluxes
    assert fluxes.attrs["status"].to_dict() == {"pfk_off": "optimal", "ppck_on": "optimal", "starved": "infeasible"}
    assert fluxes.loc["starved"].isna().all()
    assert fluxes.attrs["report"]["not_optimal"] == {"starved": "infeasible"}


def test_imat_agreement_is_the_count_of_agreeing_reactions(textbook):
    rng = np.random.default_rng(0)
    e = pd.DataFrame(rng.lognormal(size=(2, len(textbook.genes))), columns=[g.id for g in textbook.genes],
                     index=["a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetabolicWarning)
        milp = condition_fluxes(textbook, e, method="imat", pfba=False)
        fixed = condition_fluxes(textbook, e, method="imat")
    act, _ = evaluate_gpr(pd.Series({r.id: r.gene_reaction_rule for r in textbook.reactions}), e)
    for sample in e.index:
        a = act.loc[sample].to_numpy()
        high, low, lo, hi = imat_sets(a)
        finite = a[np.isfinite(a)]
        assert (lo, hi) == (np.quantile(finite, 0.25), np.quantile(finite, 0.75))  # per-sample default quartiles
        for v in (milp.loc[sample].to_numpy(), fixed.loc[sample].to_numpy()):
            agree = int((np.abs(v[high]) >= 1.0 - 1e-6).sum() + (np.abs(v[low]) <= 1e-6).sum())
            assert agree == milp.attrs["imat"].loc[sample, "agreement"]  # the parsimonious pass keeps every state
        assert milp.attrs["imat"].loc[sample, "gap"] <= 1e-4
        assert fixed.attrs["imat"].loc[sample, "parsimonious"] and not milp.attrs["imat"].loc[sample, "parsimonious"]
        # parsimony: the fixed-state pFBA flux is no larger in Σ|v| than the MILP's own solution
        assert np.abs(fixed.loc[sample]).sum() <= np.abs(milp.loc[sample]).sum() + 1e-6


def test_imat_bad_parameters(textbook, toy):
    e, _ = toy
    with pytest.raises(ParameterError, match="low < high"):
        condition_fluxes(textbook, e, method="imat", thresholds=(2.0, 0.5))
    with pytest.raises(ParameterError, match="quantiles"):
        condition_fluxes(textbook, e, method="imat", quantiles=(0.5, 1.5))
    with pytest.raises(ParameterError, match="epsilon"):
        condition_fluxes(textbook, e, method="imat", epsilon=0.0)
    with pytest.raises(ParameterError, match="time_limit"):
        condition_fluxes(textbook, e, method="imat", time_limit=-1)


def test_imat_optimum_equals_cornetos_imat(textbook):
    """CORNETO's MultiSampleIMAT (a maintained implementation, through CVXPY) reaches the same number of agreeing
    reactions on the same high/low sets and ε."""
    pytest.importorskip("corneto")
    from corneto.io._metabolism import cobra_model_to_graph
    from corneto.methods.imat import MultiSampleIMAT

    rng = np.random.default_rng(0)
    e = pd.DataFrame(rng.lognormal(size=(2, len(textbook.genes))), columns=[g.id for g in textbook.genes],
                     index=["a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetabolicWarning)
        ours = condition_fluxes(textbook, e, method="imat", pfba=False)
    act, _ = evaluate_gpr(pd.Series({r.id: r.gene_reaction_rule for r in textbook.reactions}), e)
    graph = cobra_model_to_graph(textbook)
    for sample in e.index:
        high, low, _, _ = imat_sets(act.loc[sample].to_numpy())
        scores = {r: 1.0 for r in act.columns[high]} | {r: -1.0 for r in act.columns[low]}
        problem = MultiSampleIMAT(eps=1.0, lambda_reg=0.0).build(graph, reaction_scores=scores)
        problem.solve(solver="HIGHS")
        mismatches = sum(float(o.value) for o in problem.objectives)  # CORNETO minimises disagreements
        assert len(scores) - mismatches == pytest.approx(ours.attrs["imat"].loc[sample, "agreement"], abs=1e-6)
