"""The peptidome knowledge graph compiled with cleaved_to reversed: exact layers and edges on a toy."""

import pandas as pd
import pytest

from binn_graph.architecture import Architecture
from binn_graph.degradation.peptide_graph import PEPTIDE_RELATIONS, peptidome_graph
from binn_graph.errors import GraphStructureError

TOY = pd.DataFrame({
    "sample": "s1",
    "protein": ["P"] * 5 + ["Q"] * 2 + ["Q"],
    "peptide": ["ABCDEFGH", "ABCD", "EFGH", "ABC", "BCD", "XYZW", "XYZ", "ABC"],  # ABC is shared by P and Q
    "area": 1.0,
})
PATHWAYS = pd.DataFrame({"protein": ["P", "Q", "Q"], "pathway": ["R1", "R1", "R2"]})


def _edges(arch):
    ids = arch.nodes["node_id"].to_numpy()
    return {(ids[s], ids[t], r) for s, t, r in zip(arch.edges["source"], arch.edges["target"], arch.edges["relation"])}


def test_toy_peptide_binn_compiles_exactly():
    g = peptidome_graph(TOY, PATHWAYS)
    features = ["ABCDEFGH", "ABCD", "EFGH", "ABC", "BCD", "XYZW", "XYZ"]
    arch = Architecture.from_graph(g, "peptide", features, relations=PEPTIDE_RELATIONS, reverse=("cleaved_to",))
    assert list(arch.input_ids) == features
    inv = "cleaved_to^-1"
    expected = {(p, f"P:{p}", "measures") for p in ["ABCDEFGH", "ABCD", "EFGH", "ABC", "BCD"]} | {
        ("ABC", "Q:ABC", "measures"), ("XYZW", "Q:XYZW", "measures"), ("XYZ", "Q:XYZ", "measures"),
        ("P:ABC", "P:ABCD", inv), ("P:BCD", "P:ABCD", inv), ("P:ABCD", "P:ABCDEFGH", inv),
        ("P:EFGH", "P:ABCDEFGH", inv), ("P:ABCDEFGH", "P", inv),  # Hasse: no P:ABC → P:ABCDEFGH shortcut
        ("Q:XYZ", "Q:XYZW", inv), ("Q:XYZW", "Q", inv), ("Q:ABC", "Q", inv),
        ("P", "R1", "member_of"), ("Q", "R1", "member_of"), ("Q", "R2", "member_of"),
        ("R1", "output_node", "output"), ("R2", "output_node", "output")}
    assert _edges(arch) == expected
    level = dict(zip(arch.nodes["node_id"], arch.nodes["level"]))
    assert [level[n] for n in ["ABC", "P:ABC", "P:ABCD", "P:ABCDEFGH", "P", "R1", "output_node"]] == \
        [0, 1, 2, 3, 4, 5, 6]
    assert level["Q"] == 3 and level["Q:XYZW"] == 2


def test_without_pathways_proteins_feed_the_output():
    g = peptidome_graph(TOY)
    arch = Architecture.from_graph(g, "peptide", relations=PEPTIDE_RELATIONS, reverse=("cleaved_to",),
                                   target_type="protein")
    assert {("P", "output_node", "output"), ("Q", "output_node", "output")} <= _edges(arch)


def test_positions_give_the_same_hasse_edges():
    placed = TOY[TOY["protein"] == "P"].assign(start=[1, 1, 5, 1, 2], end=[8, 4, 8, 3, 4])
    by_pos = peptidome_graph(placed).edges(("fragment", "cleaved_to", "fragment"))
    by_seq = peptidome_graph(placed.drop(columns=["start", "end"])).edges(("fragment", "cleaved_to", "fragment"))
    key = ["source", "target"]
    pd.testing.assert_frame_equal(by_pos[key].sort_values(key).reset_index(drop=True),
                                  by_seq[key].sort_values(key).reset_index(drop=True))


def test_reverse_is_refused_when_ambiguous():
    g = peptidome_graph(TOY, PATHWAYS)
    with pytest.raises(GraphStructureError, match="both relations and reverse"):
        Architecture.from_graph(g, "peptide", relations=("measures", "cleaved_to"), reverse=("cleaved_to",))
    with pytest.raises(GraphStructureError, match="needs mode='dag'"):
        Architecture.from_graph(g, "peptide", mode="layered", n_levels=2, reverse=("cleaved_to",))
    # followed in its stored direction, cleaved_to leads away from the proteins: no path to a pathway
    with pytest.raises(GraphStructureError):
        Architecture.from_graph(g, "peptide", relations=("measures", "member_of", "cleaved_to"))


def test_classifier_trains_on_peptides_and_explain_names_the_path():
    """BINNClassifier(relations=..., reverse=["cleaved_to"]) compiles the same toy and learns a planted peptide."""
    import numpy as np

    from binn_graph import BINNClassifier, explain

    g = peptidome_graph(TOY, PATHWAYS)
    features = ["ABCDEFGH", "ABCD", "EFGH", "ABC", "BCD", "XYZW", "XYZ"]
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, len(features))), columns=features, index=[f"s{i}" for i in range(300)])
    y = pd.Series(np.where(X["EFGH"] + 0.3 * rng.normal(size=300) > 0, "case", "control"), index=X.index)
    clf = BINNClassifier(g, input_type="peptide", relations=list(PEPTIDE_RELATIONS), reverse=["cleaved_to"],
                         random_state=0).fit(X.iloc[:200], y.iloc[:200])
    reference = Architecture.from_graph(g, "peptide", features, relations=PEPTIDE_RELATIONS, reverse=("cleaved_to",))
    assert _edges(clf.architecture_) == _edges(reference)
    assert clf.score(X.iloc[200:], y.iloc[200:]) > 0.8
    table = explain(clf, X.iloc[200:])
    inputs = table[table["node_type"] == "peptide"].sort_values("rank")
    assert inputs["node_id"].iloc[0] == "EFGH"  # the planted peptide is the top input
    assert {"peptide", "fragment", "protein", "pathway"} <= set(table["node_type"])


def test_train_command_takes_peptide_inputs(tmp_path):
    """binn-graph train --input-type peptide --reverse cleaved_to: the run compiles the same layers and predicts."""
    import json

    import numpy as np

    from binn_graph.cli import main
    from binn_graph.cli.train import load_run_model

    g = peptidome_graph(TOY, PATHWAYS)
    g.save(tmp_path / "graph")
    features = ["ABCDEFGH", "ABCD", "EFGH", "ABC", "BCD", "XYZW", "XYZ"]
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(120, len(features))), columns=features, index=[f"s{i}" for i in range(120)])
    X.rename_axis("sample").to_csv(tmp_path / "x.csv")
    y = pd.Series(np.where(X["EFGH"] > 0, "case", "control"), index=X.index, name="group")
    y.rename_axis("sample").to_csv(tmp_path / "y.tsv", sep="\t")
    run = tmp_path / "run"
    assert main(["train", "--graph", str(tmp_path / "graph"), "--data", str(tmp_path / "x.csv"), "--target",
                 str(tmp_path / "y.tsv"), "--input-type", "peptide", "--relations", ",".join(PEPTIDE_RELATIONS),
                 "--reverse", "cleaved_to", "--max-epochs", "5", "-o", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert json.dumps(config).count("cleaved_to") >= 1
    model = load_run_model(run)
    reference = Architecture.from_graph(g, "peptide", features, relations=PEPTIDE_RELATIONS, reverse=("cleaved_to",))
    assert _edges(model.architecture_) == _edges(reference)
