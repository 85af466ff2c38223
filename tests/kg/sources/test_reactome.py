"""Reactome adapter on the real bundled 2025 human files and on mapping-variant fixtures."""

import pytest

from kg.datasets import reactome_files
from kg.errors import UsageError
from kg.sources import reactome

PART_OF = ("pathway", "part_of", "pathway")
MEMBER = ("protein", "member_of", "pathway")


def test_full_human_reactome_counts(reactome_graph):
    g = reactome_graph
    assert g.num_nodes("pathway") == 2751
    assert g.num_edges(PART_OF) == 2769
    assert len(g.roots()) == 29
    assert g.num_nodes("protein") == 11876
    assert g.num_edges(MEMBER) == 46939  # 51,056 rows, duplicates with TAS+IEA collapse
    assert g.edges(MEMBER)["target"].nunique() == 2233
    assert g.validate().ok


def test_known_edges_and_names(reactome_graph):
    g = reactome_graph
    part = g.edges(PART_OF).set_index(["source", "target"])
    assert ("R-HSA-70171", "R-HSA-70326") in part.index  # Glycolysis part_of Glucose metabolism
    assert ("R-HSA-71387", "R-HSA-1430728") in part.index
    member = g.edges(MEMBER).set_index(["source", "target"])
    assert member.loc[("A0A075B6P5", "R-HSA-166663"), "evidence"] == "TAS"
    assert member.loc[("A0A075B6P5", "R-HSA-2029481"), "evidence"] == "IEA|TAS"
    names = g.nodes("pathway").set_index("id")["name"]
    assert names["R-HSA-70171"] == "Glycolysis"
    assert g.ancestors("R-HSA-70171") == {"R-HSA-70326", "R-HSA-71387", "R-HSA-1430728"}


def test_report_counts_collapsed_rows(reactome_graph):
    entries = {(e.action, e.what): e.count for e in reactome_graph.report.entries}
    assert entries[("read", "mapping rows")] == 51056
    assert entries[("collapsed", "duplicate protein→pathway rows (evidence united)")] == 51056 - 46939
    assert entries[("dropped", "mapping rows of another species")] == 0


def test_hierarchy_alone():
    g = reactome.load(relations=reactome_files()["relations"])
    assert g.num_nodes("pathway") == 2751 and g.num_edges(PART_OF) == 2769
    assert g.node_types == ["pathway"]


def test_chebi_mapping_species_filter(data_dir):
    g = reactome.load(mapping=data_dir / "ChEBI2Reactome_mini.txt")
    assert sorted(g.node_ids("metabolite")) == ["CHEBI:15422", "CHEBI:4167"]
    assert g.num_edges(("metabolite", "member_of", "pathway")) == 3
    dropped = [e for e in g.report.entries if e.what == "mapping rows of another species"][0]
    assert dropped.count == 1 and dropped.examples == ("4167",)
    assert "R-MMU-70171" not in set(g.node_ids("pathway"))


def test_ensembl_all_levels_is_reduced_to_lowest_levels(data_dir):
    g = reactome.load(relations=reactome_files()["relations"],
                      mapping=data_dir / "Ensembl2Reactome_All_Levels_mini.txt")
    genes = g.edges(("gene", "member_of", "pathway"))
    assert set(zip(genes["source"], genes["target"])) == {("ENSG00000156515", "R-HSA-70171"),
                                                          ("ENSG00000105220", "R-HSA-70326")}
    proteins = g.edges(MEMBER)
    assert set(zip(proteins["source"], proteins["target"])) == {("ENSP00000384774", "R-HSA-70171")}
    report = {e.what: e for e in g.report.entries}
    assert report["All_Levels rows implied by the hierarchy"].count == 4
    assert report["Ensembl transcript (ENST) mapping rows"].count == 1
    assert report["mapping rows of another species"].count == 1
    # the hierarchy still says HK1 is in Metabolism, through its lowest-level pathway
    closure = g.member_closure("gene")
    assert ("ENSG00000156515", "R-HSA-1430728") in set(zip(closure["member"], closure["pathway"]))


def test_mirbase_mapping_gives_mirna_nodes(data_dir):
    g = reactome.load(mapping=data_dir / "miRBase2Reactome_mini.txt")
    assert g.num_nodes("mirna") == 2
    assert g.num_edges(("mirna", "member_of", "pathway")) == 2


def test_several_mappings_and_entity_override(data_dir):
    g = reactome.load(mapping=[data_dir / "ChEBI2Reactome_mini.txt", data_dir / "miRBase2Reactome_mini.txt"])
    assert g.num_nodes("metabolite") == 2 and g.num_nodes("mirna") == 2
    h = reactome.load(mapping=data_dir / "miRBase2Reactome_mini.txt", entity_type="gene")
    assert h.num_nodes("gene") == 2


def test_requires_some_input():
    with pytest.raises(UsageError, match="give at least one of relations="):
        reactome.load()


MIXED_RELATIONS = ("R-HSA-1430728\tR-HSA-71387\n"  # Metabolism > Metabolism of carbohydrates
                   "R-HSA-71387\tR-HSA-70326\n"  # > Glucose metabolism
                   "R-MMU-1430728\tR-MMU-71387\n"
                   "R-MMU-71387\tR-MMU-70326\n"
                   "R-RNO-71387\tR-RNO-70326\n"
                   "R-HSA-70326\tR-HSA-70171\n")  # > Glycolysis


def test_hierarchy_alone_keeps_only_the_species_prefix(tmp_path):
    """ReactomePathwaysRelation.txt holds every species; without names or mapping the R-<code>- prefix decides."""
    path = tmp_path / "ReactomePathwaysRelation.txt"
    path.write_text(MIXED_RELATIONS)
    g = reactome.load(relations=path)
    assert sorted(g.node_ids("pathway")) == ["R-HSA-1430728", "R-HSA-70171", "R-HSA-70326", "R-HSA-71387"]
    assert g.num_edges(PART_OF) == 3
    dropped = [e for e in g.report.entries if e.what == "hierarchy rows of another species"][0]
    assert dropped.count == 3 and dropped.action == "dropped"
    assert dropped.examples == ("R-MMU-71387", "R-MMU-70326", "R-RNO-70326")
    assert "R-HSA-" in dropped.reason
    mouse = reactome.load(relations=path, species="Mus musculus")
    assert sorted(mouse.node_ids("pathway")) == ["R-MMU-1430728", "R-MMU-70326", "R-MMU-71387"]
    everything = reactome.load(relations=path, species=None)
    assert everything.num_edges(PART_OF) == 6
    assert not [e for e in everything.report.entries if e.what == "hierarchy rows of another species"]
    with pytest.raises(UsageError, match="no known Reactome species code"):
        reactome.load(relations=path, species="Felis catus")


def test_mirbase_accessions_in_a_renamed_file(tmp_path, data_dir):
    """miRBase2Reactome rows use MI… accessions; a copy with another name still gives mirna nodes."""
    path = tmp_path / "downloads_mirbase_2_reactome.txt"
    path.write_text("MI0000060\tR-HSA-70171\thttps://reactome.org/PathwayBrowser/#/R-HSA-70171\tGlycolysis\tTAS\t"
                    "Homo sapiens\n")
    assert reactome.load(mapping=path).num_nodes("mirna") == 1
    renamed = tmp_path / "reactome_export.txt"
    renamed.write_text(path.read_text())
    assert reactome.load(mapping=renamed).node_ids("mirna").tolist() == ["MI0000060"]
