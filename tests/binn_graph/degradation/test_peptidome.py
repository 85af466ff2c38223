"""read_peptidome on real PEAKS rows (wound fluid, urine) and graphs from Start/End without a FASTA."""


import numpy as np
import pandas as pd
import pytest

from binn_graph.datasets import data_path
from binn_graph.degradation import build_graph, build_graph_from_positions, read_fasta, read_peptidome
from binn_graph.degradation.peptidome import parse_accession, parse_peptide
from binn_graph.errors import DataValidationError

DATA = data_path("peptidomics")
WF = [DATA / "wf_WF4_hb.csv", DATA / "wf_WF1_hb.csv", DATA / "wf_sample34_hb.csv"]
URINE = [DATA / "urine_control-pep12.csv", DATA / "urine_type-1-pep4.csv"]
# UniProt P69905 (HBA_HUMAN), CC BY 4.0
HBA = ("MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKLRVDPVNFKLLSHCLLVTL"
       "AAHLPAEFTPAVHASLDKFLASVSTVLTSKYR")


def test_parsers():
    assert parse_peptide("K.PEPT(+15.99)IDE.S") == ("PEPTIDE", "PEPT(+15.99)IDE", "K", "S")
    assert parse_peptide("A.SLDKYR") == ("SLDKYR", "SLDKYR", "A", "-")  # PEAKS: no flank at the C-terminus
    assert parse_peptide("HVC(+57.02)DAS") == ("HVCDAS", "HVC(+57.02)DAS", None, None)
    assert parse_accession("sp|P69905|HBA_HUMAN") == "P69905"
    assert parse_accession("tr|A0A024R161|A0A024R161_HUMAN") == "A0A024R161"
    assert parse_accession("P04637-2") == "P04637-2"
    with pytest.raises(DataValidationError, match="not a UniProt accession"):
        parse_accession("ENSP00000269305")


def test_protein_peptide_exports_keep_forms():
    frame = read_peptidome(WF, forms="keep")
    assert len(frame) == 93 + 487 + 524  # every row of the three exports
    assert frame["sample"].value_counts().to_dict() == {"Sample 34": 524, "WF1": 487, "WF4": 93}
    assert list(frame.columns[:7]) == ["sample", "protein", "peptide", "modified", "start", "end", "area"]
    assert set(frame["protein"]) == {"P69905", "P68871", "P02042"}
    assert (frame["end"] - frame["start"] + 1 == frame["peptide"].str.len()).all()
    assert int((frame["area"] == 0).sum()) == 2 + 16 + 69
    assert int((frame["peptide"] != frame["modified"]).sum()) == 20 + 84 + 110
    row = frame[(frame["sample"] == "WF1") & (frame["peptide"] == "TYFPHFDLSHGSAQV")].iloc[0]
    assert (row["protein"], row["start"], row["end"], row["n_flank"], row["c_flank"]) == ("P69905", 42, 56, "K", "K")
    assert row["area"] == 225000000.0
    report = frame.attrs["report"].to_frame()
    assert report.loc[report["what"].str.startswith("rows with area 0"), "count"].item() == 87


def test_forms_summed_per_peptide():
    kept = read_peptidome(WF, forms="keep")
    summed = read_peptidome(WF)
    assert len(summed) == 92 + 469 + 479  # distinct (protein, peptide) per sample
    expected = kept.groupby(["sample", "protein", "peptide"])["area"].sum()
    got = summed.set_index(["sample", "protein", "peptide"])["area"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)
    forms = summed.loc[summed["modified"].str.contains(";"), "modified"].iloc[0].split(";")
    assert len(forms) >= 2 and len({parse_peptide(f)[0] for f in forms}) == 1


def test_urine_exports_shared_and_missing_accessions():
    frame = read_peptidome(URINE, forms="keep")
    assert frame["sample"].unique().tolist() == ["urine_control-pep12", "urine_type-1-pep4"]
    # 77 + 203 rows, 6 + 18 without an accession, shared rows split into 13 + 42 extra rows
    assert len(frame) == (77 - 6 + 13) + (203 - 18 + 42)
    assert frame["start"].isna().all()
    report = frame.attrs["report"].to_frame()
    assert report.loc[report["what"].str.startswith("rows without an accession"), "count"].item() == 24
    grouped = read_peptidome(URINE, forms="keep", shared="group")
    assert len(grouped) == 77 - 6 + 203 - 18
    assert grouped["protein"].str.contains(";").sum() == 2 + 8
    assert read_peptidome(URINE, forms="keep", shared="drop")["shared"].sum() == 0


def test_wide_table_round_trip(tmp_path):
    frame = read_peptidome(WF)
    wide = frame.pivot_table(index=["protein", "peptide", "start", "end"], columns="sample", values="area",
                             aggfunc="first").reset_index()
    wide.to_csv(tmp_path / "wide.csv", index=False)
    back = read_peptidome(tmp_path / "wide.csv", format="table")
    cols = ["sample", "protein", "peptide", "start", "end", "area"]
    a = frame[cols].sort_values(cols[:3]).reset_index(drop=True)
    b = back[cols].sort_values(cols[:3]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_pseudo_sequence_agrees_with_uniprot():
    frame = read_peptidome(WF)
    hba = frame[frame["protein"] == "P69905"].drop_duplicates("peptide")
    g = build_graph_from_positions(hba["peptide"], hba["start"], hba["end"], "P69905", n_flank=hba["n_flank"],
                                   c_flank=hba["c_flank"])
    known = [i for i, r in enumerate(g.sequence) if r != "X"]
    assert len(g.sequence) == len(HBA)  # a '-' C-flank marks the C-terminus at 142
    assert len(known) > 100 and all(g.sequence[i] == HBA[i] for i in known)


def test_graph_from_positions_equals_graph_from_sequence():
    sequence = next(iter(read_fasta(data_path("peptidome/ACTB_P60709.fasta")).values()))
    peptides = pd.read_csv(data_path("peptidome/actb_trp.csv"))["Peptide"].drop_duplicates()
    peptides = [p for p in peptides if p in sequence]
    start = np.array([sequence.find(p) + 1 for p in peptides])
    end = start + np.array([len(p) for p in peptides]) - 1
    n_flank = [sequence[s - 2] if s > 1 else "-" for s in start]
    c_flank = [sequence[e] if e < len(sequence) else "-" for e in end]
    for edges in ("closure", "hasse"):
        full = build_graph(sequence, peptides, "P60709", edges=edges)
        placed = build_graph_from_positions(peptides, start, end, "P60709", n_flank=n_flank, c_flank=c_flank,
                                            length=len(sequence), edges=edges)
        pd.testing.assert_frame_equal(full.nodes, placed.nodes)
        # every P1/P1' of every cut is known from the peptides and their flanks: the edge tables are equal
        pd.testing.assert_frame_equal(full.edges, placed.edges)
        assert "X" in placed.sequence  # residues no peptide shows stay unknown
        bare = build_graph_from_positions(peptides, start, end, "P60709", length=len(sequence), edges=edges)
        pd.testing.assert_frame_equal(full.edges[["source", "target", "kind"]], bare.edges[["source", "target", "kind"]])
        p1 = bare.edges[["p1_n", "p1p_n", "p1_c", "p1p_c"]].to_numpy()
        truth = full.edges[["p1_n", "p1p_n", "p1_c", "p1p_c"]].to_numpy()
        known = (p1 != "X") & pd.notna(p1)
        assert (p1[known] == truth[known]).all() and (p1 == "X").any()  # unknown, never guessed


def _write(path, rows, columns):
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


PEAKS = ["Protein Accession", "Peptide", "Area S1", "Start", "End"]


def test_bad_positions_and_overlaps(tmp_path):
    bad = _write(tmp_path / "a.csv", [["sp|P69905|HBA_HUMAN", "K.TNVK.A", 10.0, 9, 13]], PEAKS)
    with pytest.raises(DataValidationError, match=r"a\.csv, line 2.*Start/End disagree.*TNVK"):
        read_peptidome(bad)
    clash = _write(tmp_path / "b.csv", [["sp|P69905|HBA_HUMAN", "K.TNVK.A", 10.0, 9, 12],
                                        ["sp|P69905|HBA_HUMAN", "K.TNAKA.A", 5.0, 9, 13]], PEAKS)
    with pytest.raises(DataValidationError, match="P69905 has different residues at position 11"):
        read_peptidome(clash)
    flank = _write(tmp_path / "c.csv", [["sp|P69905|HBA_HUMAN", "K.TNVK.A", 10.0, 9, 12],
                                        ["sp|P69905|HBA_HUMAN", "K.TNVKW.A", 5.0, 9, 13]], PEAKS)
    with pytest.raises(DataValidationError, match="position 13"):  # the flank A of TNVK against W
        read_peptidome(flank)


def test_bad_accessions_and_empty_samples(tmp_path):
    unknown = _write(tmp_path / "u.csv", [["ENSP00000269305", "K.TNVK.A", 10.0, 9, 12]], PEAKS)
    with pytest.raises(DataValidationError, match=r"u\.csv, line 2: accession 'ENSP00000269305'"):
        read_peptidome(unknown)
    empty = _write(tmp_path / "e.csv", [], PEAKS)
    with pytest.raises(DataValidationError, match="no detected peptide"):
        read_peptidome([WF[0], empty])
    no_area = _write(tmp_path / "n.csv", [["sp|P69905|HBA_HUMAN", "K.TNVK.A", None, 9, 12]], PEAKS)
    with pytest.raises(DataValidationError, match=r"sample\(s\) \['S1'\] have no detected peptide"):
        read_peptidome([WF[0], no_area])
    with pytest.raises(DataValidationError, match="forms must be one of"):
        read_peptidome(WF, forms="mean")
