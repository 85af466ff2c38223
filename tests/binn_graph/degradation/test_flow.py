"""Degradation graphs and the flow model: toy values from the paper, LP identifiability, and real β-actin."""

import numpy as np
import pandas as pd
import pytest

from binn_graph.datasets import data_path
from binn_graph.degradation import build_graph, fit, forward, from_log2, graph_from_edges, inflow_range
from binn_graph.errors import DataValidationError

TOY_EDGES = {("Ω", "A"): .3, ("Ω", "D"): .2, ("Ω", "E"): .5, ("A", "B"): .4, ("A", "C"): .5, ("E", "F"): .7}
TOY_Y = {"Ω": 0, "A": .03, "D": .2, "E": .15, "B": .12, "C": .15, "F": .35}


def toy():
    return graph_from_edges(list(TOY_EDGES), root="Ω")


def test_toy_forward_pass_exact():
    out = forward(toy(), TOY_EDGES)
    np.testing.assert_allclose(out["predicted"].reindex(list(TOY_Y)).to_numpy(), list(TOY_Y.values()), atol=1e-12)
    assert (out["inflow"] >= out["predicted"] - 1e-12).all()


def test_toy_lp_recovers_tree_weights():
    result = fit(toy(), pd.Series(TOY_Y), method="lp")
    got = {(s, t): p for s, t, p in result.edge_probabilities.itertuples(index=False)}
    for edge, w in TOY_EDGES.items():
        assert got[edge] == pytest.approx(w, abs=1e-9)
    lo, hi = result.hidden_activity_range
    assert lo == pytest.approx(hi) == pytest.approx(result.hidden_activity)  # a tree: inflow is identifiable


def test_toy_gd_reaches_small_error():
    result = fit(toy(), pd.Series(TOY_Y), method="gd", epochs=300, lr=0.1)
    assert result.loss < 1e-4


def test_chain_with_unique_lp_answer():
    g = graph_from_edges([("Ω", "A"), ("Ω", "B"), ("B", "C")], root="Ω")
    result = fit(g, pd.Series({"Ω": .1, "A": .3, "B": .4, "C": .2}), method="lp")
    got = {(s, t): p for s, t, p in result.edge_probabilities.itertuples(index=False)}
    assert got[("Ω", "A")] == pytest.approx(.3)
    assert got[("Ω", "B")] == pytest.approx(.6)
    assert got[("B", "C")] == pytest.approx(1 / 3)


def test_batched_gd_over_several_graphs():
    graphs = [toy(), graph_from_edges([("Ω2", "A"), ("Ω2", "B"), ("B", "C")], root="Ω2")]
    ys = [pd.Series(TOY_Y), pd.Series({"Ω2": .1, "A": .3, "B": .4, "C": .2})]
    result = fit(graphs, ys, method="gd", epochs=400, lr=0.1)
    assert result.loss < 1e-4
    assert set(result.edge_probabilities["protein"]) == {"Ω", "Ω2"}


@pytest.fixture(scope="module")
def actin():
    fasta = data_path("peptidome/ACTB_P60709.fasta").read_text().splitlines()
    sequence = "".join(line for line in fasta if not line.startswith(">"))
    table = pd.read_csv(data_path("peptidome/actb_trp.csv"))
    return sequence, table


def test_actin_graph_reports_duplicates_and_foreign_peptide(actin):
    sequence, table = actin
    assert len(sequence) == 375
    g = build_graph(sequence, table["Peptide"], protein_id="P60709")
    report = {e.what: e for e in g.report.entries}
    assert report["peptide rows"].count == 95
    assert report["duplicate peptide rows"].count == 24
    assert report["peptides that are not substrings of P60709"].count == 1
    assert len(g.peptides) == 70  # 71 distinct, one from another actin
    closure_edges = len(g.edges)
    hasse = build_graph(sequence, table["Peptide"], protein_id="P60709", edges="hasse")
    assert len(hasse.edges) < closure_edges
    row = g.nodes.set_index("id").loc["PEEHPVLLTEAPLNPK"]
    assert sequence[row.start - 1:row.end] == "PEEHPVLLTEAPLNPK"
    kg = g.to_kg()
    assert kg.num_nodes("peptide") == 70


def test_actin_lp_feasible_and_inflow_exceeds_abundance(actin):
    sequence, table = actin
    g = build_graph(sequence, table["Peptide"], protein_id="P60709")
    linear = from_log2(table.drop_duplicates("Peptide").set_index("Peptide").filter(like="Area"))
    linear = linear.loc[linear.index.isin(g.peptides)].fillna(0.0)
    result = fit(g, linear, method="lp")
    peptides = result.inflow.index != "P60709"
    assert (result.inflow[peptides] >= result.observed[peptides] - 1e-9).all()
    lo, hi = result.hidden_activity_range
    assert 1.0 - 1e-9 <= lo <= result.hidden_activity + 1e-9 <= hi + 2e-9
    hasse = build_graph(sequence, table["Peptide"], protein_id="P60709", edges="hasse")
    lo_h, hi_h = inflow_range(hasse, linear)
    assert hi_h <= hi + 1e-9  # fewer edges: a smaller feasible set


def test_bad_input(actin):
    sequence, _ = actin
    with pytest.raises(DataValidationError, match="non-amino-acid letters"):
        build_graph(sequence, ["PEEHP1LL"])
    with pytest.raises(DataValidationError, match="empty peptide list"):
        build_graph(sequence, [])
    g = build_graph(sequence, ["PEEHPVLLTEAPLNPK", "AVFPSIVGRPR"], protein_id="P60709")
    with pytest.raises(DataValidationError, match="≥ 0"):
        fit(g, pd.Series({"PEEHPVLLTEAPLNPK": -1.0}))
    with pytest.raises(DataValidationError, match=r"1 missing \(NaN\) abundances.*missing='zero'.*missing='detected'"):
        fit(g, pd.Series({"PEEHPVLLTEAPLNPK": np.nan}))
    with pytest.raises(DataValidationError, match="infinite"):
        fit(g, pd.Series({"PEEHPVLLTEAPLNPK": np.inf}))
    with pytest.raises(DataValidationError, match="not nodes of the graph"):
        fit(g, pd.Series({"NOTHERE": 1.0}))
    with pytest.raises(DataValidationError, match=r"replicate\(s\) \['r2'\] are all zero"):
        fit(g, pd.DataFrame({"r1": [1.0, 2.0], "r2": [0.0, 0.0]}, index=["PEEHPVLLTEAPLNPK", "AVFPSIVGRPR"]))
    unreachable = graph_from_edges([("Ω", "A")], root="Ω")
    unreachable.nodes.loc[len(unreachable.nodes)] = ["B", np.nan, np.nan, np.nan, False]
    with pytest.raises(DataValidationError, match="no path from their protein.*B"):
        fit(unreachable, pd.Series({"A": .5, "B": .5}), method="lp")


def test_build_graphs_from_fasta(tmp_path, actin):
    from binn_graph.degradation import build_graphs, read_fasta

    sequence, table = actin
    fasta = read_fasta(data_path("peptidome/ACTB_P60709.fasta"))
    assert list(fasta) == ["P60709"] and fasta["P60709"] == sequence
    graphs = build_graphs(data_path("peptidome/ACTB_P60709.fasta"), table)
    assert len(graphs) == 1 and len(graphs[0].peptides) == 70
    two = pd.DataFrame({"Protein": ["P60709", "P60709", "Q0"], "Peptide": ["PEEHPVLLTEAPLNPK", "AVFPSIVGRPR", "AAA"]})
    graphs = build_graphs({"P60709": sequence}, two)
    assert len(graphs) == 1
    assert [e.count for e in graphs[0].report.entries if e.what == "proteins without a sequence"] == [1]
    (tmp_path / "bad.fasta").write_text("ACDE\n")
    with pytest.raises(DataValidationError, match="before the first"):
        read_fasta(tmp_path / "bad.fasta")


def test_hand_written_gradient_matches_autograd_through_pyg_softmax(actin):
    import torch
    from torch_geometric.utils import softmax

    from binn_graph.degradation.flow import _batch, _FlowPass, _observed, _propagate

    sequence, table = actin
    g = build_graph(sequence, table["Peptide"], protein_id="P60709")
    linear = from_log2(table.drop_duplicates("Peptide").set_index("Peptide").filter(like="Area"))
    y = _observed([g, toy()], [linear.loc[linear.index.isin(g.peptides)].fillna(0.0).mean(axis=1), pd.Series(TOY_Y)])
    batch = _batch([g, toy()])
    n, e = len(batch.ids), len(batch.src)
    target = torch.as_tensor(y)
    logits = torch.randn(e + n, dtype=torch.float64, generator=torch.Generator().manual_seed(0), requires_grad=True)
    p, pred = _FlowPass.apply(logits, batch)
    (((pred.double() - target) ** 2).sum() + p[:e].double().sum()).backward()
    ours = logits.grad.clone()
    logits.grad = None
    group = torch.as_tensor(np.concatenate([batch.src, np.arange(n)]))
    q = softmax(logits, group, num_nodes=n)
    reference = _propagate(batch, q[:e]) * q[e:]
    (((reference - target) ** 2).sum() + q[:e].sum()).backward()
    np.testing.assert_allclose(pred.double().detach().numpy(), reference.detach().numpy(), atol=1e-7)
    np.testing.assert_allclose(ours.numpy(), logits.grad.numpy(), atol=1e-6)
