"""GMT, SIF and SBML adapters on real bundled files and spec fixtures."""

from kg.datasets import data_path
from kg.sources import gmt, sbml, sif

GENE_MEMBER = ("gene", "member_of", "pathway")


def test_msigdb_hallmark():
    g = gmt.load(data_path("genesets/h.all.v2022.1.Hs.symbols.gmt.gz"))
    assert g.num_nodes("pathway") == 50
    assert g.num_edges(GENE_MEMBER) == 7322
    nodes = g.nodes("pathway").set_index("id")
    assert nodes.loc["HALLMARK_HYPOXIA", "description"].endswith("/HALLMARK_HYPOXIA")
    edges = g.edges(GENE_MEMBER)
    assert (edges[(edges["source"] == "PGK1")]["target"] == "HALLMARK_HYPOXIA").any()
    assert g.nodes("gene")["database"].unique().tolist() == ["gmt"]


def test_reactome_gmt_uses_stable_ids():
    g = gmt.load(data_path("reactome/ReactomePathways.gmt.gz"))
    assert g.num_nodes("pathway") == 2484
    nodes = g.nodes("pathway").set_index("id")
    assert nodes.loc["R-HSA-164843", "name"] == "2-LTR circle formation"
    assert nodes.loc["R-HSA-164843", "database"] == "reactome"
    members = set(g.edges(GENE_MEMBER).query("target == 'R-HSA-73843'")["source"])
    assert members == {"PRPS1", "PRPS1L1", "PRPS2"}


def test_wikipathways_gmt(tmp_path):
    p = tmp_path / "wp.gmt"
    p.write_text("Glycolysis and gluconeogenesis%WikiPathways_20240110%WP534%Homo sapiens\t"
                 "https://www.wikipathways.org/instance/WP534\t3098\t2821\t2821\n")
    g = gmt.load(p, entity_type="gene")
    node = g.nodes("pathway").iloc[0]
    assert (node["id"], node["name"], node["species"], node["database"]) == (
        "WP534", "Glycolysis and gluconeogenesis", "Homo sapiens", "wikipathways")
    assert g.num_edges() == 2
    assert [e.count for e in g.report.entries if e.what == "duplicate members within a set"] == [1]


def test_liverdream_sif():
    g = sif.load(data_path("signalling/PKN-LiverDREAM.sif"))
    edges = g.edges(("protein", "regulates", "protein"))
    assert len(edges) == 58
    assert g.num_nodes("protein") == 40
    assert (edges["sign"] == 1).sum() == 56 and (edges["sign"] == -1).sum() == 2
    first = edges.iloc[0]
    assert (first["source"], first["target"], first["sign"]) == ("prak", "hsp27", 1.0)


def test_sif_words_and_multiple_targets(tmp_path):
    p = tmp_path / "n.sif"
    p.write_text("A inhibits B C\nA pp D\nE\nB -> C\n")
    g = sif.load(p)
    reg = g.edges(("protein", "regulates", "protein"))
    assert set(zip(reg["source"], reg["target"], reg["sign"])) == {("A", "B", -1.0), ("A", "C", -1.0),
                                                                  ("B", "C", 1.0)}
    assert g.num_edges(("protein", "interacts_with", "protein")) == 1
    assert "E" in set(g.node_ids("protein"))


def test_mitocore_sbml_level2():
    g = sbml.load(data_path("metabolic/mitocore_v1.01.xml.gz"))
    assert g.num_nodes("metabolite") == 441
    assert g.num_nodes("reaction") == 485
    assert g.num_nodes("pathway") == 96
    assert g.num_edges(("metabolite", "participates_in", "reaction")) == 2100
    assert g.num_edges(("reaction", "member_of", "pathway")) == 485
    assert g.num_nodes("gene") == 391
    assert g.num_edges(("gene", "catalyzes", "reaction")) == 619
    cat = g.edges(("gene", "catalyzes", "reaction"))
    hex1 = set(cat[cat["target"] == "R_HEX1"]["source"])
    assert hex1 == {"ENSG00000156515", "ENSG00000159399", "ENSG00000160883", "ENSG00000106633"}
    met = g.nodes("metabolite").set_index("id")
    assert met.loc["M_10fthf_c", "kegg"] == "C00234"
    assert met.loc["M_10fthf_c", "compartment"] == "Cytosol"
    part = g.edges(("metabolite", "participates_in", "reaction")).set_index(["source", "target"])
    assert part.loc[("M_atp_c", "R_OF_ATP_MitoCore"), "role"] == "reactant"


def test_sbml_level3_fbc_groups(data_dir):
    g = sbml.load(data_dir / "ecoli_core_mini_l3fbc.xml")
    assert g.num_nodes("metabolite") == 5 and g.num_nodes("reaction") == 3
    rx = g.nodes("reaction").set_index("id")
    assert rx.loc["R_GLCpts", "gene_rule"] == "((b2417 and b2415 and b2416) or (b1621 and b2415))"
    assert bool(rx.loc["R_PGI", "reversible"]) and not bool(rx.loc["R_GLCpts", "reversible"])
    cat = g.edges(("gene", "catalyzes", "reaction"))
    assert set(cat[cat["target"] == "R_GLCpts"]["source"]) == {"b2417", "b2415", "b2416", "b1621"}
    assert g.num_nodes("gene") == 5
    members = g.edges(("reaction", "member_of", "pathway"))
    assert set(zip(members["source"], members["target"])) == {
        ("R_PGI", "subsystem:Glycolysis/Gluconeogenesis"), ("R_GLCpts", "subsystem:Transport, Extracellular")}
    assert [e.count for e in g.report.entries if e.what == "reactions without a subsystem"] == [1]
    assert [e.count for e in g.report.entries if e.what == "reactions without a gene rule"] == [1]
    assert g.nodes("metabolite").set_index("id").loc["M_pep_c", "formula"] == "C3H2O6P"
