"""Issue 14, degradation graphs: the intact protein as the root, the missing-value policies (exact β-actin ranges),
the unique minimum-norm LP point estimate, and the single-thread GD loop."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.optimize import linprog

from binn_graph.cli import main
from binn_graph.datasets import data_path
from binn_graph.degradation import (
    build_graph,
    fit,
    forward,
    from_log2,
    graph_from_edges,
    inflow_range,
    observed_peptides,
    read_fasta,
    simulate,
)
from binn_graph.degradation import flow as flow_module
from binn_graph.errors import DataValidationError

FASTA = data_path("peptidome/ACTB_P60709.fasta")
PEPTIDES = data_path("peptidome/actb_trp.csv")


@pytest.fixture(scope="module")
def actin():
    sequence = read_fasta(FASTA)["P60709"]
    table = pd.read_csv(PEPTIDES)
    closure = build_graph(sequence, table["Peptide"], protein_id="P60709")
    hasse = build_graph(sequence, table["Peptide"], protein_id="P60709", edges="hasse")
    linear = from_log2(table.drop_duplicates("Peptide").set_index("Peptide").filter(like="Area"))
    return sequence, closure, hasse, linear.loc[linear.index.isin(closure.peptides)]


def _report(graph):
    return {e.what: e.count for e in graph.report.entries}


# --- the intact protein is the root -------------------------------------------------------------------------------

def test_full_length_peptide_is_the_root_and_keys_by_id_or_sequence(actin):
    sequence, closure, _, linear = actin
    peptides = list(closure.peptides) + [sequence, sequence.lower()]  # a table listing the intact protein (twice)
    g = build_graph(sequence, peptides, protein_id="P60709")
    report = _report(g)
    assert report["full-length peptides (the intact protein: the root P60709)"] == 1
    assert report["peptides that are not substrings of P60709"] == 0  # was 1: the intact protein was dropped
    assert report["duplicate peptide rows"] == 1
    assert g.nodes["id"].tolist() == closure.nodes["id"].tolist()  # no second node for Ω
    pd.testing.assert_frame_equal(g.edges, closure.edges)
    mean = linear.fillna(0.0).mean(axis=1)
    intact = 0.25 * mean.sum()
    by_sequence = fit(g, pd.concat([mean, pd.Series({sequence: intact})]), "lp")
    by_id = fit(g, pd.concat([mean, pd.Series({"P60709": intact})]), "lp")
    pd.testing.assert_series_equal(by_sequence.inflow, by_id.inflow)
    assert by_sequence.observed["P60709"] == pytest.approx(0.2)  # 0.25 / 1.25 of the total
    assert by_sequence.predicted["P60709"] == pytest.approx(0.2, abs=1e-12)  # exact mass conservation at the root
    assert by_sequence.inflow["P60709"] == 1.0
    gd = fit(g, pd.concat([mean, pd.Series({sequence: intact})]), "gd", epochs=300, feasible_range=False)
    assert gd.predicted["P60709"] == pytest.approx(0.2, abs=0.02)  # the root keeps a fifth as intact protein
    with pytest.raises(DataValidationError, match="intact protein has two abundance rows"):
        fit(g, pd.concat([mean, pd.Series({sequence: 1.0, "P60709": 1.0})]), "lp")
    with pytest.raises(DataValidationError, match="more than one abundance row.*PEEHPVLLTEAPLNPK"):
        fit(g, pd.concat([mean, mean[["PEEHPVLLTEAPLNPK"]]]), "lp")
    with pytest.raises(DataValidationError, match="only the intact protein was observed"):
        build_graph(sequence, [sequence], protein_id="P60709")


def test_simulated_digest_that_keeps_intact_protein():
    sequence = "MKWVTFISLLLLFSSAYSRGVFRRDTHKSEIAHRFKDLGEEHFKGLVLIAFSQYLQQCPFDEHVK"  # 65 aa
    counts, truth = simulate(sequence, "trypsin", n_events=40, n_copies=100, seed=0, protein_id="ALB",
                             max_length=None)
    assert counts["ALB"] == 63  # 37 of the 100 copies were cut (three events cut already-cut pieces)
    observed = observed_peptides(counts, "ALB", sequence=sequence)
    assert observed[sequence] == 63 and observed.sum() == 100
    assert sequence not in observed_peptides(counts, "ALB")  # without the sequence: what a peptidome sees
    g = build_graph(sequence, observed.index, protein_id="ALB")
    assert _report(g)["peptides that are not substrings of ALB"] == 0
    assert len(g.nodes) == len(observed)  # the intact row is the root, every other row a peptide
    result = fit(g, observed, "lp")
    assert result.observed["ALB"] == pytest.approx(0.63)
    lo, hi = result.hidden_activity_range
    assert lo - 1e-9 <= result.hidden_activity <= hi + 1e-9
    # on the true topology the true flow is feasible, so the true hidden activity lies in the range
    true = forward(truth, dict(zip(zip(truth.edges["source"], truth.edges["target"]), truth.edges["probability"])))
    peptides = true.index != "ALB"
    true_hidden = true["inflow"][peptides].sum() / true["predicted"][peptides].sum()
    lo_t, hi_t = inflow_range(truth, counts)
    assert lo_t - 1e-9 <= true_hidden <= hi_t + 1e-9


def test_cli_fits_a_table_that_lists_a_full_length_small_protein(tmp_path):
    small = "GSHMKTAYIAKQRQISFVKSHFSRQ"
    actb = read_fasta(FASTA)["P60709"]
    (tmp_path / "two.fasta").write_text(f">sp|P60709|ACTB_HUMAN\n{actb}\n>sp|X1|SMALL\n{small}\n")
    rows = [("X1", small, 2.0, 4.0), ("X1", "TAYIAKQR", 1.0, None), ("X1", "QISFVKSHFSRQ", 1.0, 1.0),
            ("X1", "ISFVK", None, 3.0), ("P60709", "PEEHPVLLTEAPLNPK", 5.0, 5.0), ("P60709", "AVFPSIVGRPR", 1.0, 2.0)]
    pd.DataFrame(rows, columns=["Protein", "Peptide", "r1", "r2"]).to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "fit"
    assert main(["degradation", "fit", "--fasta", str(tmp_path / "two.fasta"), "--peptides", str(tmp_path / "t.csv"),
                 "--missing", "detected", "--method", "lp", "-o", str(out)]) == 0
    nodes = pd.read_csv(out / "nodes.tsv", sep="\t").set_index(["protein", "node"])
    # X1 under "detected": intact 3, TAYIAKQR 1, QISFVKSHFSRQ 1, ISFVK 3 → shares of 8
    assert nodes.loc[("X1", "X1"), "observed"] == pytest.approx(3 / 8)
    assert nodes.loc[("X1", "ISFVK"), "observed"] == pytest.approx(3 / 8)
    assert json.loads((out / "summary.json").read_text())["missing"] == "detected"
    zero = tmp_path / "zero"
    assert main(["degradation", "fit", "--fasta", str(tmp_path / "two.fasta"), "--peptides", str(tmp_path / "t.csv"),
                 "--missing", "zero", "--method", "lp", "-o", str(zero)]) == 0
    nodes = pd.read_csv(zero / "nodes.tsv", sep="\t").set_index(["protein", "node"])
    assert nodes.loc[("X1", "ISFVK"), "observed"] == pytest.approx(1.5 / 6)  # intact 3, 0.5, 1, 1.5


# --- missing-value policies ----------------------------------------------------------------------------------------

# Hidden activity on the bundled β-actin digest (10 replicates, 290 missing areas): (min, max) over the feasible set
# and the minimum-norm point estimate. "detected" is the degradation-graphs reference's convention, under which it
# reproduces the paper's 1.42 (closure) and 2.00 (Hasse); treating missing as 0 moves the Hasse range to 1.94–1.98.
ACTIN = {("closure", "zero"): (1.0, 1.9799729, 1.2071104), ("closure", "detected"): (1.0, 2.0356245, 1.1948592),
         ("hasse", "zero"): (1.9418164, 1.9799729, 1.9635936), ("hasse", "detected"): (1.9988875, 2.0356245, 2.0173465)}


@pytest.mark.parametrize("edges,missing", sorted(ACTIN))
def test_actin_hidden_activity_under_both_missing_policies(actin, edges, missing):
    _, closure, hasse, linear = actin
    graph = closure if edges == "closure" else hasse
    result = fit(graph, linear, "lp", missing=missing)
    lo, hi, point = ACTIN[(edges, missing)]
    assert result.hidden_activity_range == pytest.approx((lo, hi), abs=1e-6)
    assert result.hidden_activity == pytest.approx(point, abs=1e-6)
    # the policy is a replicate mean: "zero" over all 10 replicates, "detected" over the non-missing ones
    expected = linear.fillna(0.0).mean(axis=1) if missing == "zero" else linear.mean(axis=1)
    np.testing.assert_allclose(result.observed.drop("P60709").to_numpy(),
                               (expected / expected.sum()).reindex(graph.peptides).to_numpy(), rtol=1e-12)
    assert inflow_range(graph, linear, missing=missing) == pytest.approx(result.hidden_activity_range, abs=1e-12)


def test_paper_values_lie_in_the_detected_ranges_only_for_hasse():
    assert ACTIN[("hasse", "detected")][0] <= 2.00 <= ACTIN[("hasse", "detected")][1]
    assert not ACTIN[("hasse", "zero")][0] <= 2.00 <= ACTIN[("hasse", "zero")][1]
    assert all(lo <= 1.42 <= hi for (edges, _), (lo, hi, _) in ACTIN.items() if edges == "closure")


def test_missing_policy_is_required_and_checked(actin):
    _, closure, _, linear = actin
    with pytest.raises(DataValidationError, match=r"P60709: 219 missing \(NaN\) abundances in 39 row\(s\)"):
        fit(closure, linear, "lp")
    with pytest.raises(DataValidationError, match="missing must be one of"):
        fit(closure, linear, "lp", missing="mean")
    with pytest.raises(DataValidationError, match=r"replicate\(s\) \['empty'\] are all zero or missing"):
        fit(closure, linear.assign(empty=np.nan), "lp", missing="detected")
    never = linear.copy()
    never.loc["PEEHPVLLTEAPLNPK"] = np.nan  # listed but detected in no replicate: 0 under either policy
    result = fit(closure, never, "lp", missing="detected")
    assert result.observed["PEEHPVLLTEAPLNPK"] == 0.0


def test_per_replicate_fits_read_missing_as_zero_and_range_follows_the_policy(actin):
    _, closure, _, linear = actin
    zero = fit(closure, linear, "lp", replicates="each", missing="zero")
    detected = fit(closure, linear, "lp", replicates="each", missing="detected")
    pd.testing.assert_frame_equal(zero.replicates, detected.replicates)  # a missing value is 0 in its replicate
    assert zero.hidden_activity_range == pytest.approx(ACTIN[("closure", "zero")][:2], abs=1e-6)
    assert detected.hidden_activity_range == pytest.approx(ACTIN[("closure", "detected")][:2], abs=1e-6)


# --- the LP point estimate: the unique minimum-norm flow -----------------------------------------------------------

def test_minimum_norm_flow_on_a_diamond_by_hand():
    # Ω→A = .2 + x, A→B = x, Ω→B = .8 − x, x ∈ [0, .8]; ½Σ F² is least at x = (.8 − .2)/3 = .2
    g = graph_from_edges([("Ω", "A"), ("Ω", "B"), ("A", "B")], root="Ω")
    result = fit(g, pd.Series({"A": .2, "B": .8}), "lp")
    got = dict(zip(zip(result.edge_probabilities["source"], result.edge_probabilities["target"]), result.flow))
    assert got == pytest.approx({("Ω", "A"): .4, ("A", "B"): .2, ("Ω", "B"): .6}, abs=1e-12)
    assert result.hidden_activity_range == pytest.approx((1.0, 1.8))
    assert result.hidden_activity == pytest.approx(1.2, abs=1e-12)


def _flows(result):
    e = result.edge_probabilities
    return pd.Series(result.flow.to_numpy(), index=pd.MultiIndex.from_arrays([e["source"], e["target"]])).sort_index()


@pytest.mark.parametrize("edges", ["closure", "hasse"])
def test_lp_point_is_unique_optimal_and_inside_the_range(actin, edges):
    _, closure, hasse, linear = actin
    graph = closure if edges == "closure" else hasse
    result = fit(graph, linear, "lp", missing="detected")
    lo, hi = result.hidden_activity_range
    margin = 0.1 * (hi - lo)  # well inside: not a vertex such as the 1.00 (closure) HiGHS returns
    assert lo + margin < result.hidden_activity < hi - margin
    # independent of the order of edges and nodes
    shuffled = type(graph)(graph.protein_id, graph.sequence, graph.nodes.sample(frac=1, random_state=1),
                           graph.edges.sample(frac=1, random_state=2), graph.mode, graph.report)
    other = fit(shuffled, linear.sample(frac=1, random_state=3), "lp", missing="detected")
    pd.testing.assert_series_equal(_flows(result), _flows(other), atol=1e-10, rtol=0)
    # an optimality certificate found by another solver (a HiGHS LP over node potentials φ): the flow conserves
    # mass, and F(v,u) = φ(u) − φ(v) where F > 0 while φ(u) − φ(v) ≤ 0 elsewhere (the KKT conditions of ½‖F‖²)
    nodes = graph.nodes["id"].tolist()
    index = {n: i for i, n in enumerate(nodes)}
    flow = _flows(result)
    src = np.array([index[s] for s, _ in flow.index])
    dst = np.array([index[t] for _, t in flow.index])
    f = flow.to_numpy()
    assert f.min() >= 0
    balance = np.bincount(dst, f, minlength=len(nodes)) - np.bincount(src, f, minlength=len(nodes))
    y = result.observed.reindex(nodes).to_numpy()
    expected = y.copy()
    expected[index["P60709"]] -= 1.0
    np.testing.assert_allclose(balance, expected, atol=1e-11)
    diff = np.zeros((len(f), len(nodes)))
    diff[np.arange(len(f)), dst], diff[np.arange(len(f)), src] = 1.0, -1.0
    active = f > 1e-9
    certificate = linprog(np.zeros(len(nodes)), A_eq=diff[active], b_eq=f[active], A_ub=diff[~active],
                          b_ub=np.full((~active).sum(), 1e-9), bounds=(None, None), method="highs")
    assert certificate.status == 0
    # and a feasible flow that is not the optimum has no such certificate
    vertex = linprog(np.ones(len(f)), A_eq=diff.T, b_eq=expected, bounds=(0, None), method="highs").x
    on = vertex > 1e-9
    assert linprog(np.zeros(len(nodes)), A_eq=diff[on], b_eq=vertex[on], A_ub=diff[~on],
                   b_ub=np.full((~on).sum(), 1e-9), bounds=(None, None), method="highs").status == 2


def test_batched_lp_equals_one_protein_at_a_time(actin):
    _, closure, hasse, linear = actin
    toy = graph_from_edges([("Ω", "A"), ("Ω", "B"), ("A", "B")], root="Ω")
    alone = [fit(closure, linear, "lp", missing="zero"), fit(toy, pd.Series({"A": .2, "B": .8}), "lp")]
    together = fit([closure, toy], [linear, pd.Series({"A": .2, "B": .8})], "lp", missing="zero")
    np.testing.assert_allclose(together.flow.to_numpy(), np.concatenate([r.flow.to_numpy() for r in alone]),
                               atol=1e-10)


# --- the GD loop runs on one torch thread ---------------------------------------------------------------------------

def _threads_seen(monkeypatch):
    seen = []
    forward_pass = flow_module._FlowPass.forward

    def spy(ctx, logits, batch):
        seen.append(torch.get_num_threads())
        return forward_pass(ctx, logits, batch)

    monkeypatch.setattr(flow_module._FlowPass, "forward", staticmethod(spy))
    return seen


def test_small_gd_fit_runs_on_one_thread_restores_the_setting_and_equals_a_one_thread_run(actin, monkeypatch):
    _, closure, _, linear = actin
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        seen = _threads_seen(monkeypatch)
        limited = fit(closure, linear, "gd", epochs=40, missing="zero", feasible_range=False)
        assert set(seen) == {1} and torch.get_num_threads() == 2
        torch.set_num_threads(1)
        plain = fit(closure, linear, "gd", epochs=40, missing="zero", feasible_range=False)
        assert limited.history == plain.history
        torch.set_num_threads(2)
        seen.clear()
        monkeypatch.setattr(flow_module, "GD_THREADING_ELEMENTS", 10)  # a "large" fit keeps the user's threads
        fit(closure, linear, "gd", epochs=3, missing="zero", feasible_range=False)
        assert set(seen) == {2}
        with pytest.raises(RuntimeError):
            with flow_module._intra_op_threads(1):
                assert torch.get_num_threads() == 1
                raise RuntimeError
        assert torch.get_num_threads() == 2  # restored after an exception too
    finally:
        torch.set_num_threads(before)
