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
