"""Architecture compilation: exact connectivity on toy graphs, and binn 0.1.1 equivalence on real data."""

import numpy as np
import pandas as pd
import pytest

from binn_graph.architecture import OUTPUT_ID, Architecture
from binn_graph.errors import FeatureMismatchError, GraphStructureError
from kg import KnowledgeGraph
from kg.datasets import reactome_files

PART_OF = ("pathway", "part_of", "pathway")
MEMBER = ("protein", "member_of", "pathway")


def toy_binn_graph() -> KnowledgeGraph:
    """ANCHORS toy: A, B children of path1; C child of path2; a→A, b→B, c→C."""
    g = KnowledgeGraph().add_nodes("pathway", ["path1", "path2", "A", "B", "C"]).add_nodes("protein", ["a", "b", "c"])
    g.add_edges(PART_OF, ["A", "B", "C"], ["path1", "path1", "path2"])
    g.add_edges(MEMBER, ["a", "b", "c"], ["A", "B", "C"])
    return g


def dense_matrix(arch: Architecture, level: int) -> pd.DataFrame:
    """Connectivity into ``level`` as a 0/1 DataFrame (rows = source ids, columns = target ids)."""
    e = arch.named_edges()
    e = e[e["level"] == level]
    targets = arch.level_nodes(level)["node_id"].tolist()
    sources = list(dict.fromkeys(e["source"]))
    m = pd.DataFrame(0, index=sources, columns=targets)
    for s, t in zip(e["source"], e["target"]):
        m.loc[s, t] = 1
    return m


def test_binn_toy_two_levels_exact_matrices():
    arch = Architecture.from_graph(toy_binn_graph(), "protein", ["a", "b", "c"], mode="layered", n_levels=2)
    assert arch.layer_sizes == [3, 3, 2]
    assert arch.connection_counts == [3, 3, 2]
    m1 = dense_matrix(arch, 1)
    assert m1.loc[["a", "b", "c"], ["A", "B", "C"]].to_numpy().tolist() == np.eye(3, dtype=int).tolist()
    m2 = dense_matrix(arch, 2)
    assert m2.loc[["A", "B", "C"], ["path1", "path2"]].to_numpy().tolist() == [[1, 0], [1, 0], [0, 1]]
    m3 = dense_matrix(arch, 3)
    assert m3.loc[["path1", "path2"], [OUTPUT_ID]].to_numpy().tolist() == [[1], [1]]


def test_binn_toy_three_levels_has_copy_nodes():
    """The 3-protein / 2-pathway toy at 3 levels: the leaves A, B, C get one copy each at the deepest level."""
    arch = Architecture.from_graph(toy_binn_graph(), "protein", ["a", "b", "c"], mode="layered", n_levels=3)
    assert arch.layer_sizes == [3, 3, 3, 2]
    level1 = arch.level_nodes(1)
    assert level1["node_id"].tolist() == ["A_copy1", "B_copy1", "C_copy1"]
    assert level1["copy_of"].tolist() == ["A", "B", "C"]
    m1 = dense_matrix(arch, 1)
    assert m1.loc[["a", "b", "c"], ["A_copy1", "B_copy1", "C_copy1"]].to_numpy().tolist() == np.eye(3, dtype=int).tolist()
    m2 = dense_matrix(arch, 2)
    assert m2.loc[["A_copy1", "B_copy1", "C_copy1"], ["A", "B", "C"]].to_numpy().tolist() == np.eye(3, dtype=int).tolist()
    m3 = dense_matrix(arch, 3)
    assert m3.loc[["A", "B", "C"], ["path1", "path2"]].to_numpy().tolist() == [[1, 0], [1, 0], [0, 1]]


def test_copy_nodes_pad_shallow_leaves_and_inputs_on_internal_pathways_drop():
    # depth 1: path1, path2; depth 2: A, B, C; depth 3: D (child of A). B and C are leaves at depth 2.
    g = KnowledgeGraph().add_nodes("pathway", ["path1", "path2", "A", "B", "C", "D"])
    g.add_nodes("protein", ["a", "b", "c", "d"])
    g.add_edges(PART_OF, ["A", "B", "C", "D"], ["path1", "path1", "path2", "A"])
    g.add_edges(MEMBER, ["a", "b", "c", "d"], ["A", "B", "C", "D"])
    arch = Architecture.from_graph(g, "protein", ["a", "b", "c", "d"], mode="layered", n_levels=3)
    level1 = arch.level_nodes(1)
    assert level1["node_id"].tolist() == ["B_copy1", "C_copy1", "D"]
    assert level1.set_index("node_id")["copy_of"].dropna().to_dict() == {"B_copy1": "B", "C_copy1": "C"}
    assert arch.input_ids == ["b", "c", "d"]  # a is annotated to A, which has a deeper child
    e = arch.named_edges()
    assert set(zip(e["source"], e["target"], e["level"])) == {
        ("b", "B_copy1", 1), ("c", "C_copy1", 1), ("d", "D", 1),
        ("B_copy1", "B", 2), ("C_copy1", "C", 2), ("D", "A", 2),
        ("A", "path1", 3), ("B", "path1", 3), ("C", "path2", 3),
        ("path1", OUTPUT_ID, 4), ("path2", OUTPUT_ID, 4)}
    assert arch.layer_sizes == [3, 3, 3, 2]
    dropped = [x for x in arch.report.entries if x.what.startswith("input features not connected")][0]
    assert dropped.examples == ("a",)


def test_layered_drops_inputs_on_internal_pathways_dag_keeps_them():
    g = toy_binn_graph().add_nodes("protein", ["e"]).add_edges(MEMBER, ["e"], ["path1"])
    layered = Architecture.from_graph(g, "protein", ["a", "b", "c", "e"], mode="layered", n_levels=2)
    assert "e" not in layered.input_ids
    drop = [x for x in layered.report.entries if x.what.startswith("input features not connected")][0]
    assert drop.count == 1 and drop.examples == ("e",)
    dag = Architecture.from_graph(g, "protein", ["a", "b", "c", "e"])
    assert dag.input_ids == ["a", "b", "c", "e"]
    e = dag.named_edges()
    assert ("e", "path1") in set(zip(e["source"], e["target"]))
    skip = e[(e["source"] == "e") & (e["target"] == "path1")]
    assert skip["level"].item() == 2  # e (level 0) feeds path1 (level 2) directly: a level-skipping edge


def test_dag_levels_are_longest_paths_and_keep_skipping_edges():
    # R <- P <- Q <- L ; R <- S ; protein x -> L, y -> R (internal), z -> S
    g = KnowledgeGraph().add_nodes("pathway", ["R", "P", "Q", "L", "S"]).add_nodes("protein", ["x", "y", "z"])
    g.add_edges(PART_OF, ["P", "Q", "L", "S"], ["R", "P", "Q", "R"])
    g.add_edges(MEMBER, ["x", "y", "z"], ["L", "R", "S"])
    arch = Architecture.from_graph(g, "protein", ["z", "x", "y"])
    levels = arch.nodes.set_index("node_id")["level"].to_dict()
    assert levels == {"z": 0, "x": 0, "y": 0, "L": 1, "S": 1, "Q": 2, "P": 3, "R": 4, OUTPUT_ID: 5}
    assert arch.input_ids == ["z", "x", "y"]  # feature order kept
    assert arch.layer_sizes == [3, 2, 1, 1, 1]
    assert arch.connection_counts == [2, 1, 1, 3, 1]  # R gets P, S (skip from level 1) and y (skip from 0)
    e = arch.named_edges()
    assert set(zip(e["source"], e["target"], e["level"])) == {
        ("x", "L", 1), ("z", "S", 1), ("L", "Q", 2), ("Q", "P", 3), ("P", "R", 4), ("S", "R", 4), ("y", "R", 4),
        ("R", OUTPUT_ID, 5)}


def test_dag_multiple_input_types_and_intermediate_relations():
    g = KnowledgeGraph().add_nodes("pathway", ["P"]).add_nodes("protein", ["p1"]).add_nodes("metabolite", ["m1"])
    g.add_nodes("snp", ["s1", "s2"]).add_nodes("gene", ["g1", "g2"])
    g.add_edges(MEMBER, ["p1"], ["P"]).add_edges(("metabolite", "member_of", "pathway"), ["m1"], ["P"])
    g.add_edges(("gene", "member_of", "pathway"), ["g1"], ["P"])
    g.add_edges(("snp", "affects", "gene"), ["s1", "s2"], ["g1", "g2"])  # g2 reaches no pathway
    arch = Architecture.from_graph(g, ["protein", "metabolite"], ["m1", "p1"])
    assert arch.input_ids == ["m1", "p1"]
    assert arch.connection_counts == [2, 1]
    snp = Architecture.from_graph(g, "snp", ["s1", "s2"])
    assert snp.input_ids == ["s1"]
    levels = snp.nodes.set_index("node_id")["level"].to_dict()
    assert levels == {"s1": 0, "g1": 1, "P": 2, OUTPUT_ID: 3}
    report = {x.what: x.count for x in snp.report.entries}
    assert report["input features with no path to a pathway"] == 1
    assert report["intermediate nodes with no path to a pathway"] == 1


def test_features_are_matched_by_name_and_reported():
    g = toy_binn_graph()
    arch = Architecture.from_graph(g, "protein", ["c", "zzz", "a"])
    assert arch.input_ids == ["c", "a"]
    missing = arch.report.entries[0]
    assert (missing.what, missing.count, missing.examples) == ("features not in the graph", 1, ("zzz",))
    with pytest.raises(FeatureMismatchError, match="1 feature.*zzz"):
        Architecture.from_graph(g, "protein", ["c", "zzz"], strict=True)
    with pytest.raises(FeatureMismatchError, match="duplicated feature names"):
        Architecture.from_graph(g, "protein", ["a", "a"])


def test_structural_errors():
    g = toy_binn_graph()
    with pytest.raises(GraphStructureError, match="no path"):
        Architecture.from_graph(KnowledgeGraph().add_nodes("protein", ["a"]).add_nodes("pathway", ["P"]), "protein")
    cyclic = toy_binn_graph()
    cyclic.add_edges(PART_OF, ["path1"], ["A"])
    with pytest.raises(GraphStructureError, match="cycle"):
        Architecture.from_graph(cyclic, "protein")
    with pytest.raises(GraphStructureError, match="n_levels"):
        Architecture.from_graph(g, "protein", mode="layered")
    with pytest.raises(GraphStructureError, match="unknown mode"):
        Architecture.from_graph(g, "protein", mode="flat")


def test_round_trip_dict(tmp_path):
    arch = Architecture.from_graph(toy_binn_graph(), "protein", mode="layered", n_levels=2)
    back = Architecture.from_dict(arch.to_dict())
    pd.testing.assert_frame_equal(back.nodes, arch.nodes, check_dtype=False)
    pd.testing.assert_frame_equal(back.edges, arch.edges, check_dtype=False)
    assert back.layer_sizes == arch.layer_sizes


# ------------------------------------------------------------------ real data: AKI features on Reactome 2025
@pytest.fixture(scope="module")
def aki_features():
    from binn_graph.datasets import load_aki

    return load_aki().X.columns.tolist()


@pytest.mark.parametrize("levels,sizes,connections", [
    (3, [457, 303, 125, 28], [2118, 303, 126, 28]),
    (4, [448, 471, 306, 125, 28], [2609, 473, 306, 126, 28]),
    (5, [447, 598, 472, 306, 125, 28], [2817, 600, 474, 306, 126, 28]),
])
def test_layered_reproduces_binn_figures(reactome_graph, aki_features, levels, sizes, connections):
    arch = Architecture.from_graph(reactome_graph, "protein", aki_features, mode="layered", n_levels=levels)
    assert arch.layer_sizes == sizes
    assert arch.connection_counts == connections


def test_dag_keeps_every_mapped_protein(reactome_graph, aki_features):
    arch = Architecture.from_graph(reactome_graph, "protein", aki_features)
    assert arch.layer_sizes[0] == 460  # binn keeps 448 at 4 levels
    assert arch.report.entries[0].count == 554 - 460


def test_layered_edges_equal_binn_package(reactome_graph, aki_features):
    """Same edge sets as binn 0.1.1's connectivity matrices, matrix by matrix (copies compared by base name)."""
    pytest.importorskip("binn", reason="binn is in the [test] extra")
    from binn.model.pathway_network import dataframes_to_pathway_network

    files = reactome_files()
    rel = pd.read_csv(files["relations"], sep="\t", header=None, names=["target", "source"])
    mapping = pd.read_csv(files["mapping"], sep="\t", header=None).iloc[:, :2]
    mapping.columns = ["input", "translation"]
    network = dataframes_to_pathway_network(pd.DataFrame({"Protein": aki_features}), rel, mapping)
    matrices = network.get_connectivity_matrices(4)
    arch = Architecture.from_graph(reactome_graph, "protein", aki_features, mode="layered", n_levels=4)
    base = arch.nodes["copy_of"].fillna(arch.nodes["node_id"]).to_numpy()
    for level, matrix in enumerate(matrices, start=1):
        part = arch.edges[arch.edges["level"] == level]
        ours = set(zip(base[part["source"]], base[part["target"]]))
        rows, cols = np.nonzero(matrix.to_numpy())
        theirs = set(zip(matrix.index[rows], matrix.columns[cols]))
        assert ours == theirs, f"level {level}"
