"""LEMBAS signed-network tables: exact counts on the bundled ligand-screen PKN, signs, duplicates, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import InputFormatError, MissingColumnError
from kg.sources import lembas, registry, sif

DATA = Path(__file__).resolve().parents[1] / "data" / "signalling"


@pytest.fixture(scope="module")
def screen():
    return lembas.load(DATA / "ligandScreen-Model.tsv.gz", annotation=DATA / "ligandScreen-Annotation.tsv.gz")


def _signs(graph):
    counts = {}
    for et in graph.edge_types:
        for value, n in graph.edges(et)["sign"].value_counts().items():
            counts[value] = counts.get(value, 0) + int(n)
    return counts


def test_ligand_screen_counts(screen):
    # 6,597 rows, 3 pairs listed twice (once (1,0), once (0,0)) -> 6,594 edges; 1,262 nodes, 6 of them ChEBI
    assert screen.num_nodes() == 1262
    assert screen.num_nodes("metabolite") == 6 and screen.num_nodes("protein") == 1256
    assert screen.num_edges() == 6594
    # +1 x3,931 and 0 x1,178 in the rows; the 3 duplicated pairs keep +1 and lose their 0 rows
    assert _signs(screen) == {1.0: 3931, -1.0: 1488, 0.0: 1175}
    assert set(screen.edge_types) == {("protein", "regulates", "protein"), ("metabolite", "regulates", "protein")}
    conflicts = [e for e in screen.report.entries if e.action == "conflicting sign"]
    assert conflicts[0].count == 3 and all("(sign/0)" in x for x in conflicts[0].examples)
    edges = screen.edges(("protein", "regulates", "protein")).set_index(["source", "target"])
    assert edges.loc[("O00548", "P46531"), "sign"] == 1.0


def test_annotation_and_node_types(screen):
    proteins, metabolites = screen.nodes("protein"), screen.nodes("metabolite")
    assert int(proteins["tf"].sum()) + int(metabolites["tf"].sum()) == 74
    assert int(proteins["ligand"].sum()) + int(metabolites["ligand"].sum()) == 60
    lps = metabolites.set_index("id").loc["CHEBI16412"]
    assert lps["name"] == "LPS" and bool(lps["ligand"])
    assert lembas.node_type_of("P04637") == "protein" and lembas.node_type_of("CHEBI:15551") == "metabolite"
    assert lembas.node_type_of("my_ligand") == "entity"


def test_registry_and_conflicting_signs(tmp_path):
    assert registry.get("lembas") is lembas.load
    path = tmp_path / "net.tsv"
    path.write_text("source\ttarget\tstimulation\tinhibition\n"
                    "A\tB\t1\t0\nA\tB\t0\t1\nB\tC\t1\t1\nC\tA\t0\t0\nX1\tA\t1\t0\n")
    g = lembas.load(path)
    e = g.edges(("entity", "regulates", "entity")).set_index(["source", "target"])["sign"]
    assert e[("A", "B")] == 0.0 and e[("B", "C")] == 0.0 and e[("C", "A")] == 0.0 and e[("X1", "A")] == 1.0
    entry = next(x for x in g.report.entries if x.action == "conflicting sign")
    assert entry.count == 1 and entry.examples == ("A->B (+1/-1)",)
    assert next(x for x in g.report.entries if "both stimulating" in x.what).count == 1


def test_undirected_rows_are_dropped_and_reported(tmp_path):
    path = tmp_path / "net.tsv"
    path.write_text("source\ttarget\tdirection\tstimulation\tinhibition\nA\tB\t1\t1\t0\nB\tC\t0\t1\t0\n")
    g = lembas.load(path)
    assert g.num_edges() == 1
    assert g.report.dropped()[0].count == 1


@pytest.mark.parametrize("text, error, words", [
    ("source\ttarget\tstimulation\nA\tB\t1\n", MissingColumnError, "inhibition"),
    ("source\ttarget\tstimulation\tinhibition\nA\tB\t2\t0\n", InputFormatError, "line 2"),
    ("source\ttarget\tstimulation\tinhibition\nA\t\t1\t0\n", InputFormatError, "target"),
])
def test_bad_tables(tmp_path, text, error, words):
    path = tmp_path / "bad.tsv"
    path.write_text(text)
    with pytest.raises(error, match=words):
        lembas.load(path)


def test_sif_signs_land_on_the_same_attribute(tmp_path):
    path = tmp_path / "net.sif"
    path.write_text("A\t1\tB\nB\t-1\tC\nC\t0\tA\n")
    g = sif.load(path)
    e = g.edges(("protein", "regulates", "protein")).set_index(["source", "target"])["sign"]
    assert e.to_dict() == {("A", "B"): 1.0, ("B", "C"): -1.0, ("C", "A"): 0.0}


def test_sif_conflicting_signs_are_resolved_and_reported(tmp_path):
    path = tmp_path / "net.sif"
    path.write_text("A\t1\tB\nA\t-1\tB\nB\t0\tC\nB\t-1\tC\nC\t1\tA\n")
    g = sif.load(path)
    e = g.edges(("protein", "regulates", "protein")).set_index(["source", "target"])["sign"]
    assert e.to_dict() == {("A", "B"): 0.0, ("B", "C"): -1.0, ("C", "A"): 1.0}
    entry = next(x for x in g.report.entries if x.action == "conflicting sign")
    assert entry.count == 2 and set(entry.examples) == {"A->B", "B->C"}
