"""eQTL and position-window SNP→gene adapters, identifier mapping, and the adapter registry."""

from importlib.metadata import EntryPoint

import pandas as pd
import pytest

from kg import KnowledgeGraph
from kg.datasets import data_path
from kg.errors import UnknownSourceError
from kg.sources import eqtl, gmt, idmap, registry, sbml

AFFECTS = ("snp", "affects", "gene")


def test_gtex_eqtl_filters(data_dir):
    g = eqtl.load(data_dir / "gtex_eqtl_mini.txt")
    assert g.num_edges(AFFECTS) == 6
    assert set(g.node_ids("gene")) == {"ENSG00000227232", "ENSG00000238009", "ENSG00000225880"}
    e = g.edges(AFFECTS).set_index(["source", "target"])
    assert e.loc[("chr1_108826_G_C_b38", "ENSG00000238009"), "weight"] == -0.29
    assert e.loc[("chr1_108826_G_C_b38", "ENSG00000238009"), "p_value"] == 4.5e-09
    assert [x.count for x in g.report.entries if x.what == "rows with a missing p-value"] == [1]
    strict = eqtl.load(data_dir / "gtex_eqtl_mini.txt", max_pvalue=0.01, min_abs_effect=0.3, top_k=1)
    pairs = set(zip(strict.edges(AFFECTS)["source"], strict.edges(AFFECTS)["target"]))
    assert pairs == {("chr1_64764_C_T_b38", "ENSG00000227232")}
    report = {x.what: x.count for x in strict.report.entries}
    assert report["rows with p > 0.01"] == 2
    assert report["rows with |effect| < 0.3"] == 1  # the -0.29 row
    assert report["rows beyond the top 1 SNPs per gene"] == 2


@pytest.mark.parametrize("genes", ["genes_mini.bed", "genes_mini.gtf"])
def test_position_windows(data_dir, genes):
    g = eqtl.load_windows(data_dir / "snps_mini.bim", data_dir / genes, window=1000)
    e = g.edges(AFFECTS)
    got = {(s, t): w for s, t, w in zip(e["source"], e["target"], e["weight"])}
    # GENEA body 2000-4000: rs100 at 1000 is 1000 bp upstream (inside the window), rs101 at 5000 is 1000 bp after
    # GENEB body 10000-20000: rs102 at 20500 is 500 bp after; rs103 at 90000 is near nothing
    # GENEC on chr2 100000-100500: rs200 at 1500 is far away
    assert got == {("rs100", "GENEA"): 1000.0, ("rs101", "GENEA"): 1000.0, ("rs102", "GENEB"): 500.0}
    assert g.num_nodes("snp") == 5
    assert [x.count for x in g.report.entries if x.what.startswith("SNPs near no gene")] == [2]


def test_window_boundary_is_inclusive(data_dir):
    g = eqtl.load_windows(data_dir / "snps_mini.bim", data_dir / "genes_mini.bed", window=999)
    assert set(g.edges(AFFECTS)["source"]) == {"rs102"}


def test_idmap_edges_and_relabel():
    table = data_path("idmap/mitocore_ensembl_symbol.tsv")
    m = idmap.read_mapping(table, "ensembl_gene_id", "symbol")
    assert len(m) == 343
    assert m.set_index("from").loc["ENSG00000156515", "to"] == "HK1"
    edges = idmap.load(table, "symbol", "ensembl_gene_id", from_type="gene", to_type="gene", relation="maps_to")
    assert edges.num_edges(("gene", "maps_to", "gene")) == 343
    mito = sbml.load(data_path("metabolic/mitocore_v1.01.xml.gz"))
    relabelled = idmap.relabel(mito, "gene", m)
    genes = relabelled.nodes("gene").set_index("id")
    assert genes.loc["HK1", "source_id"] == "ENSG00000156515"
    assert relabelled.num_nodes("gene") == 343
    dropped = [x for x in relabelled.report.entries if x.what == "gene ids with no mapping"][0]
    assert dropped.count == 391 - 343
    cat = relabelled.edges(("gene", "catalyzes", "reaction"))
    assert set(cat[cat["target"] == "R_HEX1"]["source"]) == {"HK1", "HK2", "HK3", "GCK"}
    assert relabelled.validate().ok
    kept = idmap.relabel(mito, "gene", m, keep_unmapped=True)
    assert kept.num_nodes("gene") == 391


def test_relabel_one_to_many_duplicates_edges():
    g = KnowledgeGraph().add_nodes("gene", ["a"]).add_nodes("pathway", ["P"])
    g.add_edges(("gene", "member_of", "pathway"), ["a"], ["P"])
    m = pd.DataFrame({"from": ["a", "a"], "to": ["A1", "A2"]})
    r = idmap.relabel(g, "gene", m, new_type="protein")
    assert sorted(r.edges(("protein", "member_of", "pathway"))["source"]) == ["A1", "A2"]
    assert "gene" not in r.node_types or r.num_nodes("gene") == 0


def test_registry_builtins_and_runtime_registration():
    assert {"reactome", "gmt", "biopax", "go", "kegg_kgml", "sbml", "sif", "eqtl", "idmap"} <= set(
        registry.available())
    assert registry.get("gmt") is gmt.load

    @registry.register("toy_db")
    def load_toy() -> KnowledgeGraph:
        return KnowledgeGraph().add_nodes("pathway", ["T"])

    assert registry.get("toy_db")().num_nodes("pathway") == 1
    with pytest.raises(UnknownSourceError, match="no knowledge-graph source named 'nope'"):
        registry.get("nope")


def test_registry_entry_points(monkeypatch):
    ep = EntryPoint(name="third_party", value="kg.sources.sif:load", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [ep] if group == registry.ENTRY_POINT_GROUP else [])
    assert "third_party" in registry.available()
    from kg.sources import sif

    assert registry.get("third_party") is sif.load
