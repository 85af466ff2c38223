"""Degradation graphs from the peptides alone (no sequence, no positions) equal the sequence's graph among peptides."""

import numpy as np
import pandas as pd
import pytest

from binn_graph.datasets import data_path
from binn_graph.degradation import (
    Enzyme,
    build_graph,
    build_graph_from_peptides,
    differential,
    fit,
    fit_cohort,
    plot_peptigram,
    read_peptidome,
    simulate_cohort,
)
from binn_graph.errors import DataValidationError

DATA = data_path("peptidomics")

SEQUENCE = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQFEVVHSLAKWKRQTLGQHDFSAGEGLYTHMKALRPDEDRL"
COLUMNS = ["source", "target", "kind", "p1_n", "p1p_n", "p1_c", "p1p_c"]


def _peptides(seed: int, n: int = 40) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        a = int(rng.integers(0, len(SEQUENCE) - 6))
        b = int(rng.integers(a + 5, min(len(SEQUENCE), a + 40) + 1))
        pep = SEQUENCE[a:b]
        if pep not in out and SEQUENCE.count(pep) == 1 and len(pep) < len(SEQUENCE):
            out.append(pep)
    return out


def _sorted(table):
    return table[COLUMNS].sort_values(["source", "target"]).reset_index(drop=True)


@pytest.mark.parametrize("edges", ["closure", "hasse"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_edges_among_peptides_equal_the_sequence_graph(edges, seed):
    peptides = _peptides(seed)
    truth = build_graph(SEQUENCE, peptides, "P1", edges=edges)
    free = build_graph_from_peptides(peptides, "P1", edges=edges)
    inner = lambda g: _sorted(g.edges[g.edges["source"] != "P1"])  # noqa: E731
    assert len(inner(truth)) > 10
    pd.testing.assert_frame_equal(inner(free), inner(truth))
    # the precursor's children: every peptide (closure) or the peptides no other contains (hasse), as from the sequence
    children = lambda g: set(g.edges.loc[g.edges["source"] == "P1", "target"])  # noqa: E731
    assert children(free) == children(truth)
    root = free.nodes[free.nodes["is_root"]].iloc[0]
    assert not free.placed and free.sequence == "" and not root["observed"] and np.isnan(root["start"])
    # without flanks nothing shows the residues outside a child of the precursor: unknown, never guessed
    from_root = free.edges[free.edges["source"] == "P1"]
    assert (from_root["kind"] == "unknown").all()
    assert (from_root["p1_n"] == "X").all() and (from_root["p1p_c"] == "X").all()
    assert (from_root["p1p_n"] == from_root["target"].str[0]).all()


def test_flanks_give_the_precursor_cuts():
    peptides = _peptides(3, 25)
    starts = [SEQUENCE.find(p) for p in peptides]
    n_flank = [SEQUENCE[s - 1] if s > 0 else "-" for s in starts]
    c_flank = [SEQUENCE[s + len(p)] if s + len(p) < len(SEQUENCE) else "-" for s, p in zip(starts, peptides)]
    truth = build_graph(SEQUENCE, peptides, "P1")
    free = build_graph_from_peptides(peptides, "P1", n_flank=n_flank, c_flank=c_flank)
    cols = ["target", "p1_n", "p1p_n", "p1_c", "p1p_c"]
    root = lambda g: g.edges[g.edges["source"] == "P1"][cols].sort_values("target").reset_index(drop=True)  # noqa
    pd.testing.assert_frame_equal(root(free), root(truth))
    # contexts are read inside the substrate: P4…P1 then P1′…P4′
    e = free.edges[(free.edges["source"] != "P1") & free.edges["n_context"].notna()].iloc[0]
    k = e["source"].find(e["target"])
    assert e["n_context"][3] == e["source"][k - 1] and e["n_context"][4:] == e["target"][:4].ljust(4, "X")


def test_duplicates_ambiguous_and_repeats_are_reported():
    g = build_graph_from_peptides(["AKAKAK", "AK", "AK", "BXQ", "PEPTIDE"], "P9")
    text = str(g.report)
    assert "duplicate peptide rows" in text and "ambiguous" in text and "more than once in a parent" in text
    assert sorted(g.peptides) == ["AK", "AKAKAK", "PEPTIDE"]
    with pytest.raises(DataValidationError, match="non-amino-acid"):
        build_graph_from_peptides(["PEP1"], "P9")


def test_planted_elastase_found_from_the_peptides_alone():
    """The planted cohort of test_cohort without Start/End, flanks or sequences: peptide-only graphs still show the
    elastase group's P1 shift; site-level tests are left out (no positions) and reported."""
    rng = np.random.default_rng(1)
    sequences = {f"PROT{i}": "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), 150)) for i in range(3)}
    elastase = set("AVSGLI")
    mixed = Enzyme("trypsin+elastase", p1={"K": 1, "R": 1, **{r: 0.5 for r in elastase}})
    peptidome, groups = simulate_cohort(sequences, {"control": Enzyme("trypsin-like", p1="KR"), "case": mixed},
                                        n_samples=3, n_events=300)
    cohort = fit_cohort(peptidome.drop(columns=["start", "end", "n_flank", "c_flank"]), min_peptides=10, epochs=200)
    assert len(cohort.proteins) == 18 and all(not g.placed for g in cohort.graphs.values())
    result = differential(cohort, groups)
    spec = result.specificity.query("kind == 'endo' and position == 'P1' and q < 0.05")
    up, down = set(spec.loc[spec["effect"] > 0, "residue"]), set(spec.loc[spec["effect"] < 0, "residue"])
    assert len(up & elastase) >= 3 and {"K", "R"} <= down
    # the one other residue is PROT0's C-terminal N: without flanks, a peptide that ends the protein cannot be told
    # from one cut there (the positional pseudo-sequence makes the same assumption past the last observed residue)
    assert sequences["PROT0"][-1] == "N" and up - elastase <= {"N"}
    assert "X" not in set(result.specificity["residue"])  # unknown residues are never counted
    assert result.sites.empty and "not tested per site" in str(result.report)


def test_urine_rows_fit_without_positions():
    peptidome = read_peptidome([DATA / "urine_control-pep12.csv", DATA / "urine_type-1-pep4.csv"])
    cohort = fit_cohort(peptidome, 5, epochs=100)
    assert len(cohort.proteins) == 8 and cohort.proteins["length"].isna().all()
    assert "8 proteins without Start/End or a sequence" in str(cohort.report)
    for (sample, protein), graph in cohort.graphs.items():
        rows = peptidome.query("sample == @sample and protein == @protein and area > 0")
        single = fit(graph, rows.groupby("peptide")["area"].sum(), epochs=100)
        row = cohort.proteins.set_index(["sample", "protein"]).loc[(sample, protein)]
        assert row["hidden_activity"] == pytest.approx(single.hidden_activity, rel=1e-5)
        assert row["n_peptides"] == rows["peptide"].nunique()
    with pytest.raises(DataValidationError, match="has no positions"):
        plot_peptigram(cohort, "P02768", {"urine_control-pep12": "control", "urine_type-1-pep4": "T1D"})
