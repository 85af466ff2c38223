"""fit_cohort (batched per-sample fits equal single fits) and differential (planted protease difference)."""


import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats

from binn_graph.datasets import data_path
from binn_graph.degradation import (
    Enzyme,
    benjamini_hochberg,
    cleavage_specificity,
    differential,
    fit,
    fit_cohort,
    plot_peptigram,
    plot_volcano,
    read_peptidome,
    simulate_cohort,
)
from binn_graph.degradation.cohort import _welch
from binn_graph.errors import DataValidationError

DATA = data_path("peptidomics")
WF = [DATA / "wf_WF4_hb.csv", DATA / "wf_WF1_hb.csv", DATA / "wf_sample34_hb.csv"]
ELASTASE_P1 = set("AVSGLI")


@pytest.fixture(scope="module")
def wound():
    peptidome = read_peptidome(WF)
    return peptidome, fit_cohort(peptidome, min_peptides=20, epochs=150)


def test_cohort_on_real_rows_equals_single_fits(wound):
    peptidome, cohort = wound
    quantified = peptidome[peptidome["area"] > 0].groupby(["sample", "protein"])["peptide"].nunique()
    expected = quantified[quantified >= 20]
    got = cohort.proteins.set_index(["sample", "protein"])["n_peptides"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)
    assert len(cohort.proteins) == 8  # HBD has < 20 quantified peptides in WF4 (absent)
    for sample, protein in [("WF1", "P69905"), ("Sample 34", "P02042")]:
        graph = cohort.graphs[(sample, protein)]
        rows = peptidome[(peptidome["sample"] == sample) & (peptidome["protein"] == protein) & (peptidome["area"] > 0)]
        single = fit(graph, rows.set_index("peptide")["area"], epochs=150)
        row = cohort.proteins.set_index(["sample", "protein"]).loc[(sample, protein)]
        assert row["hidden_activity"] == pytest.approx(single.hidden_activity, rel=1e-5)
        assert (row["hidden_activity_min"], row["hidden_activity_max"]) == pytest.approx(
            single.hidden_activity_range, rel=1e-6)
        weights = cleavage_specificity(single).query("weight > 0").set_index(["kind", "position", "residue"])["weight"]
        mine = cohort.specificity.query("sample == @sample and protein == @protein") \
            .set_index(["kind", "position", "residue"])["weight"]
        pd.testing.assert_series_equal(mine.sort_index(), weights.sort_index(), check_names=False, rtol=1e-6)
        flows = cohort.edges.query("sample == @sample and protein == @protein")["flow"].to_numpy()
        assert np.allclose(flows, single.flow.to_numpy(), rtol=1e-5, atol=1e-9)
        sites = cohort.sites.query("sample == @sample and protein == @protein")
        assert sites["flow"].sum() == pytest.approx(  # each edge is one cut or two (internal)
            (flows * (1 + (graph.edges["kind"] == "endo_internal").to_numpy())).sum(), rel=1e-6)


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(1)
    sequences = {f"PROT{i}": "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), 150)) for i in range(3)}
    trypsin = Enzyme("trypsin-like", p1="KR")
    mixed = Enzyme("trypsin+elastase", p1={"K": 1, "R": 1, **{r: 0.5 for r in ELASTASE_P1}})
    peptidome, groups = simulate_cohort(sequences, {"control": trypsin, "case": mixed}, n_samples=3, n_events=300)
    cohort = fit_cohort(peptidome, min_peptides=10, epochs=200)
    null_peptidome, null_groups = simulate_cohort(sequences, {"a": trypsin, "b": trypsin}, n_samples=3,
                                                  n_events=300, seed=5)
    return cohort, groups, fit_cohort(null_peptidome, min_peptides=10, epochs=200), null_groups


def test_planted_elastase_activity_is_found(planted):
    cohort, groups, _, _ = planted
    result = differential(cohort, groups)
    assert result.groups == ("control", "case")
    spec = result.specificity.query("kind == 'endo' and position == 'P1' and q < 0.05")
    up, down = set(spec.loc[spec["effect"] > 0, "residue"]), set(spec.loc[spec["effect"] < 0, "residue"])
    assert up <= ELASTASE_P1 and len(up) >= 3
    assert {"K", "R"} <= down
    sites = result.sites.query("q < 0.05")
    gained = sites[sites["effect"] > 0]
    assert len(gained) >= 10 and gained["p1"].isin(ELASTASE_P1).mean() >= 0.9
    assert set(sites.loc[sites["effect"] < 0, "p1"]) <= {"K", "R"} | ELASTASE_P1
    assert (result.proteins["site_q"] < 0.05).all()
    assert len(result.proteins) == 3 and (result.proteins[["n_control", "n_case"]] == 3).all().all()


def test_null_cohort_has_no_discovery(planted):
    _, _, cohort, groups = planted
    result = differential(cohort, groups)
    assert (result.specificity["q"].dropna() >= 0.05).all()
    assert (result.sites["q"].dropna() >= 0.05).all()
    assert (result.proteins["q"].dropna() >= 0.05).all()


def test_statistics_match_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(20, 4)), rng.normal(0.5, 2, size=(20, 3))
    a[0, 1] = np.nan
    effect, p, na, nb = _welch(a, b)
    for i in range(20):
        ref = stats.ttest_ind(b[i], a[i][~np.isnan(a[i])], equal_var=False)
        assert p[i] == pytest.approx(ref.pvalue)
        assert effect[i] == pytest.approx(b[i].mean() - np.nanmean(a[i]))
    assert na[0] == 3 and nb[0] == 3
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.5, np.nan])
    assert np.allclose(q[:4], [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5]) and np.isnan(q[4])


def test_plots(planted):
    cohort, groups, _, _ = planted
    result = differential(cohort, groups)
    for level in ("proteins", "sites", "specificity"):
        ax = plot_volcano(result, level)
        assert isinstance(ax.figure, Figure) and len(ax.collections) == 3
    fig = plot_peptigram(cohort, "PROT0", groups)
    top, bottom = fig.axes
    assert len(top.collections) == 2 and len(bottom.patches) > 10
    heights = np.array([p.get_height() for p in bottom.patches])
    assert (heights > 0).any() and (heights < 0).any()  # control above, case mirrored below


def test_bad_groups_and_inputs(wound):
    peptidome, cohort = wound
    with pytest.raises(DataValidationError, match="group 'infected' has 1 fitted sample"):
        differential(cohort, {"WF1": "acute", "WF4": "acute", "Sample 34": "infected"})
    with pytest.raises(DataValidationError, match="3 group"):
        differential(cohort, {"WF1": "a", "WF4": "b", "Sample 34": "c"})
    with pytest.raises(DataValidationError, match="group 'b' has 1 fitted sample"):  # 'Other' was never fitted
        differential(cohort, {"WF1": "a", "WF4": "a", "Sample 34": "b", "Other": "b"}, compare=("a", "b"))
    with pytest.raises(DataValidationError, match="no protein has ≥ 1000"):
        fit_cohort(peptidome, min_peptides=1000)


def test_sequences_instead_of_positions_give_the_same_fits():
    rng = np.random.default_rng(7)
    sequences = {"P12345": "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), 120))}
    peptidome, _ = simulate_cohort(sequences, {"a": "trypsin"}, n_samples=2, n_events=200)
    placed = fit_cohort(peptidome, min_peptides=5, epochs=50)
    by_sequence = fit_cohort(peptidome.drop(columns=["start", "end"]), min_peptides=5, epochs=50,
                             sequences=sequences)
    assert len(placed.proteins) == 2
    pd.testing.assert_frame_equal(placed.proteins.drop(columns="length"), by_sequence.proteins.drop(columns="length"))
    assert (by_sequence.proteins["length"] == 120).all()  # the true length; the pseudo-sequence stops past the last
    pd.testing.assert_frame_equal(placed.sites.drop(columns=["p1", "p1_prime"]),
                                  by_sequence.sites.drop(columns=["p1", "p1_prime"]))


def test_without_positions_or_sequence_the_peptides_alone_give_the_same_flow(wound):
    """Closure graphs by containment among the peptides have the positional graphs' edges, so the same fit; only
    the cut residues next to the unobserved precursor are unknown and the sites have no position."""
    peptidome, cohort = wound
    free = fit_cohort(peptidome.drop(columns=["start", "end", "n_flank", "c_flank"]), min_peptides=20, epochs=150)
    assert "3 proteins without Start/End or a sequence" in str(free.report)
    assert all(not g.placed for g in free.graphs.values())
    key = ["sample", "protein"]
    mine, theirs = free.proteins.set_index(key).sort_index(), cohort.proteins.set_index(key).sort_index()
    pd.testing.assert_series_equal(mine["n_edges"], theirs["n_edges"])
    for column in ("hidden_activity", "hidden_activity_min", "hidden_activity_max"):
        pd.testing.assert_series_equal(mine[column], theirs[column], rtol=1e-5)
    assert mine["length"].isna().all()
    edge_key = ["sample", "protein", "source", "target"]
    flows = free.edges.set_index(edge_key)["flow"].sort_index()
    pd.testing.assert_series_equal(flows, cohort.edges.set_index(edge_key)["flow"].reindex(flows.index), rtol=1e-4,
                                   atol=1e-8)
    assert free.sites["site"].isna().all() and (free.sites["context"].str.len() == 8).all()
    for (sample, protein), graph in list(free.graphs.items())[:3]:  # each cut of each edge carries its edge's flow
        e = free.edges.query("sample == @sample and protein == @protein")
        cuts = graph.edges["n_context"].notna().to_numpy().astype(int) + graph.edges["c_context"].notna().to_numpy()
        got = free.sites.query("sample == @sample and protein == @protein")["flow"].sum()
        assert got == pytest.approx((e["flow"].to_numpy() * cuts).sum(), rel=1e-9)
