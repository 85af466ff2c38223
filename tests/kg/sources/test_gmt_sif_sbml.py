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


def test_bundled_keggnet_sif():
    g = sif.load(data_path("signalling/KEGGnet-LEMBAS.sif"))
    edges = g.edges(("protein", "regulates", "protein"))
    assert len(edges) == 832
    assert g.num_nodes("protein") == 409
    assert (edges["sign"] == 1).sum() == 702 and (edges["sign"] == -1).sum() == 130
    first = edges.iloc[0]
    assert (first["source"], first["target"], first["sign"]) == ("O15111", "P19838", 1.0)  # CHUK -> RELA
    assert g.edge_types == [("protein", "regulates", "protein")]


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


def test_sif_signed_numbers_lone_nodes_and_duplicates(tmp_path):
    p = tmp_path / "signed.sif"
    p.write_text("# comment\nEGFR\t1\tGRB2\nGRB2\t1\tSOS1\tSOS2\nPTEN\t-1\tAKT1\nEGFR\t1\tGRB2\nORPHAN\n")
    g = sif.load(p)
    edges = g.edges(("protein", "regulates", "protein"))
    assert sorted(zip(edges["source"], edges["target"], edges["sign"])) == [
        ("EGFR", "GRB2", 1.0), ("GRB2", "SOS1", 1.0), ("GRB2", "SOS2", 1.0), ("PTEN", "AKT1", -1.0)]
    assert g.num_nodes("protein") == 7
    report = {e.what: e.count for e in g.report.entries}
    assert report == {"interactions": 5, "duplicate interactions": 1}


def test_sbml_level2_notes_gene_association_with_space(data_dir):
    """COBRA notes spell the key 'GENE ASSOCIATION:' (cobrapy reads both) or 'GENE_ASSOCIATION:'."""
    g = sbml.load(data_dir / "cobra_l2_notes_mini.xml")
    rules = g.nodes("reaction").set_index("id")["gene_rule"]
    assert rules["R_HEX1"] == "(HGNC:4922) or (HGNC:4923 and HGNC:4925)"
    assert rules["R_PGI"] == "HGNC:4458"
    assert rules.isna().sum() == 1  # R_ATPM: empty association
    cat = g.edges(("gene", "catalyzes", "reaction"))
    assert sorted(zip(cat["source"], cat["target"])) == [
        ("HGNC:4458", "R_PGI"), ("HGNC:4922", "R_HEX1"), ("HGNC:4923", "R_HEX1"), ("HGNC:4925", "R_HEX1")]
    report = {(e.action, e.what): e.count for e in g.report.entries}
    assert report[("read", "gene rules from notes GENE ASSOCIATION")] == 2
    assert report[("kept", "reactions without a gene rule")] == 1
    assert not g.report.dropped()


def test_sbml_level3_fbc_version1_gene_associations(data_dir):
    g = sbml.load(data_dir / "l3_fbc1_mini.xml")
    rules = g.nodes("reaction").set_index("id")["gene_rule"]
    assert rules["R_GLCpts"] == "((b2417 and b1621 and b2415) or (b2417 and b1101 and b2415))"
    assert rules["R_PFK"] == "(b3916 or b1723)"
    assert rules["R_PGI"] == "b4025"
    assert g.num_nodes("gene") == 7
    assert g.num_edges(("gene", "catalyzes", "reaction")) == 7
    report = {(e.action, e.what): e.count for e in g.report.entries}
    assert report[("read", "gene rules from fbc:geneAssociation (FBC 1)")] == 3
    assert report[("kept", "reactions without a gene rule")] == 1
    assert not g.report.dropped()


def test_sbml_uninterpretable_gene_associations_are_reported(tmp_path):
    fbc2 = "http://www.sbml.org/sbml/level3/version1/fbc/version2"
    doc = f"""<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" xmlns:fbc="{fbc2}" level="3" version="1">
<model id="m"><listOfSpecies><species id="M_a" compartment="c"/></listOfSpecies>
<fbc:listOfGeneProducts><fbc:geneProduct fbc:id="G_b1" fbc:label="b1"/><fbc:geneProduct fbc:id="G_b9" fbc:label="b9"/>
</fbc:listOfGeneProducts>
<listOfReactions>
<reaction id="R_1"><listOfReactants><speciesReference species="M_a"/></listOfReactants>
<fbc:geneProductAssociation><fbc:xor><fbc:geneProductRef fbc:geneProduct="G_b1"/></fbc:xor></fbc:geneProductAssociation>
</reaction>
<reaction id="R_2"><fbc:geneProductAssociation><fbc:or><fbc:geneProductRef fbc:geneProduct="G_b1"/>
<fbc:geneProductRef fbc:geneProduct="G_undeclared"/></fbc:or></fbc:geneProductAssociation></reaction>
<reaction id="R_3"><notes><body xmlns="http://www.w3.org/1999/xhtml"><p>GENE ASSOCIATION: (b1 and b2</p>
<p>GENE_RULES_ALT: b7</p></body></notes></reaction>
</listOfReactions></model></sbml>"""
    path = tmp_path / "odd.xml"
    path.write_text(doc)
    g = sbml.load(path)
    dropped = {e.what: (e.count, e.examples) for e in g.report.dropped()}
    assert dropped == {
        "association elements the reader cannot interpret": (1, ("reaction 'R_1': <xor>",)),
        "references to undeclared gene products (id used as the gene)": (1, ("reaction 'R_2': G_undeclared",)),
        "gene rules with unbalanced parentheses (genes still read)": (1, ("R_3: (b1 and b2",)),
    }
    notes = {e.what: e.count for e in g.report.entries if e.action == "note"}
    assert notes == {"gene-like notes keys the reader does not read": 1,
                     "declared gene products used in no gene rule": 1}
    cat = g.edges(("gene", "catalyzes", "reaction"))
    assert sorted(zip(cat["source"], cat["target"])) == [("G_undeclared", "R_2"), ("b1", "R_2"), ("b1", "R_3"),
                                                         ("b2", "R_3")]


def test_pathway_commons_extended_sif(tmp_path):
    """Pathway Commons' SIF-NX: header row, extra columns, then a participant section (written as PC does)."""
    p = tmp_path / "pc.txt"
    p.write_text(
        "PARTICIPANT_A\tINTERACTION_TYPE\tPARTICIPANT_B\tINTERACTION_DATA_SOURCE\tINTERACTION_PUBMED_ID\tPATHWAY_NAMES\n"
        "AKT1\tcontrols-phosphorylation-of\tIRS1\tPhosphoSite\t17360977;17640984\t\n"
        "AKT1\tneighbor-of\tIRS1\tPhosphoSite\t17360977\t\n"
        "EGFR\tinteracts-with\tGRB2\tReactome;IntAct\t\tSignaling by EGFR\n"
        "\n"
        "PARTICIPANT\tPARTICIPANT_TYPE\tPARTICIPANT_NAME\tUNIFICATION_XREF\tRELATIONSHIP_XREF\n"
        "AKT1\tProteinReference\tAKT1\tuniprot knowledgebase:P31749\t\n"
        "IRS1\tProteinReference\tIRS1\tuniprot knowledgebase:P35568\t\n")
    g = sif.load(p)
    assert sorted(g.node_ids("protein")) == ["AKT1", "EGFR", "GRB2", "IRS1"]
    assert sorted((et[1], g.num_edges(et)) for et in g.edge_types) == [
        ("controls_phosphorylation_of", 1), ("interacts_with", 1), ("neighbor_of", 1)]
    assert g.edges(("protein", "interacts_with", "protein"))["data_source"].tolist() == ["Reactome;IntAct"]
    report = {e.what: e for e in g.report.entries}
    assert report["interactions"].count == 3
    assert report["extended-SIF columns not loaded"].examples == ("INTERACTION_PUBMED_ID", "PATHWAY_NAMES")
    assert report["extended-SIF participant rows (node annotations)"].count == 2
