"""The degradation CLI end to end, and the protease classifier with binn_graph.explain."""

import json

import numpy as np
import pandas as pd
import pytest

import binn_graph
from binn_graph.cli import main
from binn_graph.datasets import data_path
from binn_graph.degradation import ProteaseClassifier, build_graph, observed_peptides, read_fasta, simulate
from binn_graph.errors import DataValidationError, NotFittedError

FASTA = str(data_path("peptidome/ACTB_P60709.fasta"))
PEPTIDES = str(data_path("peptidome/actb_trp.csv"))


def test_cli_fit_build_specificity_simulate(tmp_path, capsys):
    assert main(["degradation", "fit", "--fasta", FASTA, "--peptides", PEPTIDES, "--log2", "-o",
                 str(tmp_path / "refused")]) == 2
    assert "290 missing intensities" in capsys.readouterr().err
    assert not (tmp_path / "refused").exists()  # nothing half-written
    out = tmp_path / "fit"
    assert main(["degradation", "fit", "--fasta", FASTA, "--peptides", PEPTIDES, "--log2", "--missing", "zero",
                 "--method", "lp", "-o", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    lo, hi = summary["hidden_activity_range"]
    assert 1.0 - 1e-9 <= lo <= summary["hidden_activity"] <= hi + 1e-9
    edges = pd.read_csv(out / "edge_probabilities.tsv", sep="\t")
    assert len(edges) == 229
    assert (out / "graph.png").stat().st_size > 0 and (out / "inflow.png").stat().st_size > 0
    spec = tmp_path / "spec"
    assert main(["degradation", "specificity", "--fasta", FASTA, "--peptides", PEPTIDES, "--log2", "--missing",
                 "zero", "--method", "lp", "-o", str(spec)]) == 0
    table = pd.read_csv(spec / "specificity.tsv", sep="\t")
    top = table[(table["kind"] == "endo") & (table["position"] == "P1")].nlargest(2, "score")
    assert set(top["residue"]) == {"K", "R"}
    assert (spec / "logo_endo.png").exists()
    sim = tmp_path / "sim"
    assert main(["degradation", "simulate", "--fasta", FASTA, "--enzyme", "glu-c", "--n-events", "150",
                 "-o", str(sim)]) == 0
    peptides = pd.read_csv(sim / "peptides.csv")
    assert set(peptides["Protein"]) == {"P60709"} and (peptides["abundance"] > 0).all()
    built = tmp_path / "built"
    assert main(["degradation", "build", "--fasta", FASTA, "--peptides", str(sim / "peptides.csv"), "--edges",
                 "hasse", "-o", str(built)]) == 0
    nodes = pd.read_csv(built / "nodes.tsv", sep="\t")
    assert len(nodes) == len(peptides) + 1  # every simulated peptide is a node, plus the root


@pytest.fixture(scope="module")
def digests():
    sequence = read_fasta(FASTA)["P60709"]
    graphs, abundances, labels = [], [], []
    for enzyme in ("trypsin", "elastase", "chymotrypsin"):
        for seed in range(20):
            counts, true = simulate(sequence, enzyme, n_events=150, seed=seed, protein_id="P60709")
            observed = observed_peptides(counts, "P60709")
            graphs.append(build_graph(sequence, observed.index, protein_id="P60709"))  # what an experiment sees
            abundances.append(observed)
            labels.append(enzyme)
    return graphs, abundances, np.array(labels)


def test_protease_classifier_separates_proteases_and_explains_by_p1(digests):
    graphs, abundances, labels = digests
    order = np.random.default_rng(0).permutation(len(graphs))
    train, test = order[:42], order[42:]
    pick = lambda items, idx: [items[i] for i in idx]  # noqa: E731
    clf = ProteaseClassifier(epochs=40, random_state=0)
    clf.fit(pick(graphs, train), labels[train], pick(abundances, train))
    assert clf.score(pick(graphs, test), labels[test], pick(abundances, test)) >= 0.9
    again = ProteaseClassifier(epochs=40, random_state=0).fit(pick(graphs, train), labels[train],
                                                              pick(abundances, train))
    np.testing.assert_allclose(again.predict_proba(pick(graphs, test), pick(abundances, test)),
                               clf.predict_proba(pick(graphs, test), pick(abundances, test)), atol=1e-6)
    trypsin = [i for i in test if labels[i] == "trypsin"]
    features = binn_graph.explain(clf, pick(graphs, trypsin), method="integrated_gradients", level="feature",
                                  abundances=pick(abundances, trypsin), target="trypsin")
    top = features.groupby("node_id")["importance"].mean().nlargest(4).index
    assert set(top) & {"C_P1=K", "C_P1=R"} and set(top) & {"N_P1=K", "N_P1=R"}
    nodes = binn_graph.explain(clf, pick(graphs, trypsin[:1]), abundances=pick(abundances, trypsin[:1]))
    assert list(nodes["node_id"]) == list(graphs[trypsin[0]].nodes["id"])
    assert nodes["importance"].abs().max() > 0


def test_protease_classifier_bad_input(digests):
    graphs, abundances, labels = digests
    with pytest.raises(NotFittedError):
        ProteaseClassifier().predict(graphs[:1])
    with pytest.raises(DataValidationError, match="at least two proteases"):
        ProteaseClassifier(epochs=1).fit(graphs[:2], ["trypsin", "trypsin"])
    with pytest.raises(DataValidationError, match="not nodes of the graph"):
        ProteaseClassifier(epochs=1).fit(graphs[:2], labels[[0, 30]], [pd.Series({"XYZ": 1.0})] * 2)
