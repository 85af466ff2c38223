"""binn-graph degradation cohort: a run on small data (simulated groups, real PEAKS rows) and its bad inputs, each a
single 'binn-graph: error:' line naming the file, sample or group (never a traceback)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from binn_graph.cli import main
from binn_graph.datasets import data_path
from binn_graph.degradation import Enzyme, simulate_cohort

DATA = data_path("peptidomics")
WF = [str(DATA / f) for f in ("wf_WF4_hb.csv", "wf_WF1_hb.csv", "wf_sample34_hb.csv")]


@pytest.fixture(scope="module")
def cohort_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cohort")
    rng = np.random.default_rng(3)
    sequences = {f"P{i}": "".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), 120)) for i in range(2)}
    enzymes = {"control": Enzyme("trypsin-like", p1="KR"),
               "case": Enzyme("mixed", p1={"K": 1, "R": 1, "A": 0.5, "V": 0.5, "I": 0.5})}
    peptidome, groups = simulate_cohort(sequences, enzymes, n_samples=2, n_events=200)
    peptidome.to_csv(d / "long.csv", index=False)
    pd.Series(groups, name="group").rename_axis("sample").to_csv(d / "groups.csv")
    pd.DataFrame({"sample": ["WF1", "WF4", "Sample 34"], "group": ["acute", "acute", "infected"]}) \
        .to_csv(d / "wf_groups.csv", index=False)
    pd.DataFrame({"sample": ["x"], "group": ["a"]}).to_csv(d / "alien_groups.csv", index=False)
    pd.DataFrame({"sample": ["WF1"], "label": ["a"]}).to_csv(d / "bad_groups.csv", index=False)
    pd.DataFrame({"Protein Accession": ["ENSP00000269305"], "Peptide": ["K.PEPTIDE.S"], "Area S1": [1.0],
                  "Start": [5], "End": [11]}).to_csv(d / "ensembl.csv", index=False)
    pd.DataFrame({"Protein Accession": ["sp|P69905|HBA_HUMAN"], "Peptide": ["K.PEPTIDE.S"], "Area S1": [1.0],
                  "Start": [5], "End": [14]}).to_csv(d / "span.csv", index=False)
    pd.DataFrame({"Protein Accession": ["sp|P69905|HBA_HUMAN"] * 2, "Peptide": ["K.TNVK.A", "K.TNAKA.A"],
                  "Area S1": [1.0, 2.0], "Start": [9, 9], "End": [12, 13]}).to_csv(d / "clash.csv", index=False)
    pd.DataFrame(columns=["Protein Accession", "Peptide", "Area S1", "Start", "End"]).to_csv(d / "header.csv",
                                                                                               index=False)
    return d


def test_cohort_command_with_groups(cohort_files, tmp_path, capsys):
    d = cohort_files
    rc = main(["degradation", "cohort", "--peptides", str(d / "long.csv"), "--format", "long", "--any-ids", "--groups",
               str(d / "groups.csv"), "--min-peptides", "5", "--epochs", "100", "-o", str(tmp_path / "out")])
    assert rc in (0, None)
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["groups"] == ["control", "case"] and summary["pairs_fitted"] == 8
    proteins = pd.read_csv(out / "proteins.tsv", sep="\t")
    assert len(proteins) == 8 and (proteins["hidden_activity_min"] <= proteins["hidden_activity"] + 1e-9).all()
    diff = pd.read_csv(out / "differential_sites.tsv", sep="\t")
    assert {"protein", "site", "effect", "p", "q"} <= set(diff.columns)
    for name in ("volcano_proteins.png", "volcano_sites.png", "volcano_specificity.png"):
        assert (out / name).stat().st_size > 1000
    assert len(list(out.glob("peptigram_*.png"))) == 1
    assert "case vs control" in capsys.readouterr().out


def test_cohort_command_on_peaks_exports(tmp_path, capsys):
    rc = main(["degradation", "cohort", "--peptides", *WF, "--epochs", "50", "--no-range", "--n-jobs", "1", "-o",
               str(tmp_path / "o")])
    assert rc in (0, None)
    proteins = pd.read_csv(tmp_path / "o" / "proteins.tsv", sep="\t")
    assert len(proteins) == 8 and proteins["hidden_activity_min"].isna().all()
    assert "rows with area 0" in (tmp_path / "o" / "report.txt").read_text()


#: the command these cases run (the test prepends it; see test_cli_bad_input.py's coverage test)
COMMANDS = [("degradation", "cohort")]
CASES = [
    ("one-sample-group", "--peptides {wf} --groups {d}/wf_groups.csv",
     ["wf_groups.csv", "{'infected': 1}", "fewer than 2 samples"]),
    ("groups-not-in-peptidome", "--peptides {wf} --groups {d}/alien_groups.csv", ["none of its samples"]),
    ("groups-without-group-column", "--peptides {wf} --groups {d}/bad_groups.csv", ["columns 'sample' and 'group'"]),
    ("unknown-accession", "--peptides {d}/ensembl.csv", ["ensembl.csv, line 2", "ENSP00000269305",
                                                          "not a UniProt accession"]),
    ("start-end-length", "--peptides {d}/span.csv", ["span.csv, line 2", "Start/End disagree", "PEPTIDE"]),
    ("overlap-disagrees", "--peptides {d}/clash.csv", ["P69905 has different residues at position 11",
                                                         "V from TNVK", "A from TNAKA"]),
    ("sample-without-peptides", "--peptides {wf0} {d}/header.csv", ["header.csv", "no detected peptide"]),
    ("too-few-peptides", "--peptides {wf0} --min-peptides 10000", ["no protein has ≥ 10000"]),
    ("missing-file", "--peptides {d}/nothing.csv", ["nothing.csv", "no such peptidome file"]),
    ("zero-jobs", "--peptides {wf0} --n-jobs 0", ["--n-jobs", "must be a non-zero integer", "not 0"]),
]


@pytest.mark.parametrize("spec, expected", [pytest.param(s, e, id=i) for i, s, e in CASES])
def test_cohort_bad_input(spec, expected, cohort_files, tmp_path, capsys):
    args = spec.format(d=cohort_files, wf=" ".join(WF), wf0=WF[0]).split()
    args = [a.replace("@@", " ") for a in args]
    rc = main(["degradation", "cohort", *args, "-o", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert "Traceback" not in err + out
    message = next(line for line in err.splitlines() if line.startswith("binn-graph: error:"))
    for text in expected:
        assert text in message, (text, message)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present here")
def test_cohort_cuda_without_a_gpu(tmp_path, capsys):
    rc = main(["degradation", "cohort", "--peptides", WF[0], "--device", "cuda", "-o", str(tmp_path / "o")])
    out, err = capsys.readouterr()
    assert rc == 2 and "Traceback" not in err + out
    assert "device='cuda' but torch sees no CUDA device" in err and "device='auto'" in err
