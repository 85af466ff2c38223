"""GO, KEGG and BioPAX adapters on fixtures written from their specifications."""

from kg.datasets import reactome_files
from kg.sources import biopax, go, kegg, reactome

PART_OF = ("pathway", "part_of", "pathway")


def test_go_obo_and_gaf(data_dir):
    g = go.load(obo=data_dir / "go_mini.obo", gaf=data_dir / "goa_mini.gaf")
    assert g.num_nodes("pathway") == 8
    assert g.num_edges(PART_OF) == 6  # is_a and part_of to the same parent collapse
    part = g.edges(PART_OF).set_index(["source", "target"])
    assert part.loc[("GO:0006096", "GO:0006006"), "go_relation"] == "is_a"
    assert g.ancestors("GO:0006096") == {"GO:0006006", "GO:0005975", "GO:0008152", "GO:0008150"}
    members = g.edges(("protein", "member_of", "pathway")).set_index(["source", "target"])
    assert len(members) == 4
    assert members.loc[("P14618", "GO:0006096"), "evidence"] == "IDA|ISS"
    assert ("P04406", "GO:0006094") not in members.index  # NOT annotation
    assert g.num_edges(("gene", "member_of", "pathway")) == 1  # MGI object is a gene
    report = {e.what: e.count for e in g.report.entries}
    assert report["obsolete terms"] == 1
    assert report["other relationship types"] == 1
    assert report["NOT-qualified annotations"] == 1
    assert report["annotations with excluded evidence"] == 1
    assert report["annotations to terms not in the ontology (or filtered)"] == 1


def test_go_namespace_filter(data_dir):
    g = go.load(obo=data_dir / "go_mini.obo", gaf=data_dir / "goa_mini.gaf", namespaces=["biological_process"])
    assert g.num_nodes("pathway") == 6
    assert "GO:0004743" not in set(g.node_ids("pathway"))
    assert g.num_edges(("protein", "member_of", "pathway")) == 3


def test_gaf_alone_creates_terms(data_dir):
    g = go.load(gaf=data_dir / "goa_mini.gaf")
    assert set(g.node_ids("pathway")) == {"GO:0006096", "GO:0004743", "GO:0006094", "GO:0009999"}


def test_kgml(data_dir):
    g = kegg.load_kgml(data_dir / "hsa00010_mini.xml")
    assert list(g.node_ids("pathway")) == ["path:hsa00010"]
    assert g.nodes("pathway").loc[0, "name"] == "Glycolysis / Gluconeogenesis"
    assert sorted(g.node_ids("gene")) == ["hsa:2821", "hsa:3098", "hsa:3099", "hsa:3101"]
    assert sorted(g.node_ids("metabolite")) == ["cpd:C00031", "cpd:C00668", "cpd:C05345"]
    reg = g.edges(("gene", "regulates", "gene"))
    assert len(reg) == 6
    signs = dict(zip(zip(reg["source"], reg["target"]), reg["sign"]))
    assert signs[("hsa:2821", "hsa:3098")] == -1.0 and signs[("hsa:3098", "hsa:2821")] == 1.0
    cat = g.edges(("gene", "catalyzes", "reaction"))
    assert set(zip(cat["source"], cat["target"])) == {("hsa:3098", "rn:R01786"), ("hsa:3099", "rn:R01786"),
                                                      ("hsa:3101", "rn:R01786"), ("hsa:2821", "rn:R02740")}
    part = g.edges(("metabolite", "participates_in", "reaction"))
    assert set(zip(part["source"], part["target"], part["role"])) == {
        ("cpd:C00031", "rn:R01786", "substrate"), ("cpd:C00668", "rn:R01786", "product"),
        ("cpd:C00668", "rn:R02740", "substrate"), ("cpd:C05345", "rn:R02740", "product")}
    rx = g.nodes("reaction").set_index("id")["reversible"]
    assert bool(rx["rn:R02740"]) and not bool(rx["rn:R01786"])
    report = {e.what: e.count for e in g.report.entries}
    assert report["entries of type 'map'"] == 1 and report["entries of type 'ortholog'"] == 1
    assert report["relations not between gene entries (ECrel, groups, maps, compounds)"] == 2


def test_gaf_rows_without_optional_columns_16_17(data_dir):
    """Model-organism GAF 2.x files often stop after column 15 (assigned_by); rows of 15-17 columns are read."""
    ann = go.read_gaf(data_dir / "gaf_15col_mini.gaf")
    assert len(ann) == 5 and list(ann.columns) == go.GAF_COLUMNS
    assert ann["annotation_extension"].tolist() == [""] * 5
    assert ann.attrs["lines"].numbers.tolist() == [3, 4, 5, 6, 7]
    g = go.load(obo=data_dir / "go_mini.obo", gaf=data_dir / "gaf_15col_mini.gaf")
    edges = g.edges(("gene", "member_of", "pathway"))
    assert sorted(zip(edges["source"], edges["target"])) == [
        ("ZDB-GENE-020419-1", "GO:0006006"), ("ZDB-GENE-030131-3219", "GO:0004743"),
        ("ZDB-GENE-030131-3219", "GO:0006096"), ("ZDB-GENE-040426-1185", "GO:0006094")]
    assert g.num_nodes("gene") == 3 and g.nodes("gene").set_index("id").loc["ZDB-GENE-020419-1", "name"] == "gapdh"
    report = {e.what: e.count for e in g.report.entries}
    assert report["annotation rows"] == 5 and report["NOT-qualified annotations"] == 1


def test_kgml_relation_to_undeclared_entry_is_reported(tmp_path):
    """KEGG's ko00051.xml has a relation to an entry id it never declares; it is dropped and counted."""
    doc = ('<?xml version="1.0"?>\n<pathway name="path:ko00051" org="ko" number="00051" title="Fructose">\n'
           '<entry id="3" name="ko:K01809" type="ortholog"/>\n<entry id="4" name="hsa:4351" type="gene"/>\n'
           '<entry id="5" name="hsa:5210" type="gene"/>\n'
           '<relation entry1="4" entry2="5" type="PPrel"><subtype name="activation" value="--&gt;"/></relation>\n'
           '<relation entry1="3" entry2="75" type="ECrel"><subtype name="compound" value="76"/></relation>\n'
           '</pathway>\n')
    path = tmp_path / "ko00051.xml"
    path.write_text(doc)
    g = kegg.load_kgml(path)
    assert g.num_edges(("gene", "regulates", "gene")) == 1
    report = {e.what: e for e in g.report.entries}
    dangling = report["relations naming an entry id that no <entry> declares"]
    assert dangling.count == 1 and dangling.examples == ("3->75",)


def test_kegg_rest_tables(data_dir):
    g = kegg.load_rest(data_dir / "kegg_link_pathway_hsa.tsv", data_dir / "kegg_list_pathway_hsa.tsv")
    assert list(g.node_ids("pathway")) == ["path:hsa00010", "path:hsa00030", "path:hsa00500"]
    assert g.num_edges(("gene", "member_of", "pathway")) == 4
    names = g.nodes("pathway").set_index("id")["name"]
    assert names["path:hsa00500"] == "Starch and sucrose metabolism - Homo sapiens (human)"
    c = kegg.load_rest(data_dir / "kegg_link_pathway_compound.tsv")
    assert c.num_edges(("metabolite", "member_of", "pathway")) == 2
    both = kegg.load(kgml=data_dir / "hsa00010_mini.xml", link=data_dir / "kegg_link_pathway_hsa.tsv")
    assert both.num_edges(("gene", "member_of", "pathway")) == 5  # 4 from KGML + hsa:2821→hsa00030


def test_biopax(data_dir):
    g = biopax.load(data_dir / "biopax_glycolysis_mini.owl")
    names = g.nodes("pathway").set_index("id")["name"]
    assert names.to_dict() == {"R-HSA-70326": "Glucose metabolism", "R-HSA-70171": "Glycolysis"}
    assert set(zip(*[g.edges(PART_OF)[c] for c in ("source", "target")])) == {("R-HSA-70171", "R-HSA-70326")}
    prot = g.edges(("protein", "member_of", "pathway"))
    assert set(zip(prot["source"], prot["target"])) == {
        ("P19367", "R-HSA-70171"), ("P52789", "R-HSA-70171"),  # complex components, via Catalysis in pathwayOrder
        ("P06744", "R-HSA-70171"), ("P11166", "R-HSA-70326")}
    met = g.edges(("metabolite", "member_of", "pathway"))
    assert set(zip(met["source"], met["target"])) == {
        ("CHEBI:4167", "R-HSA-70171"), ("CHEBI:58225", "R-HSA-70171"), ("CHEBI:4167", "R-HSA-70326")}
    dropped = {e.what: e.count for e in g.report.entries if e.action == "dropped"}
    assert dropped == {"interactions in no pathway": 0,
                       "participants without a UniProt or ChEBI cross-reference": 1}


def test_biopax_pathway_commons_ids_with_plus(data_dir):
    """Pathway Commons writes rdf:ID="RelationshipXref_nucleotide+genbank+identifier_..." ('+' is no XML name)."""
    g = biopax.load(data_dir / "biopax_pc_plus_ids_mini.owl")
    assert g.nodes("pathway").set_index("id")["name"].to_dict() == {"R-HSA-70171": "Glycolysis"}
    prot = g.edges(("protein", "member_of", "pathway"))
    assert list(zip(prot["source"], prot["target"])) == [("P06744", "R-HSA-70171")]  # controller of a Catalysis
    met = g.edges(("metabolite", "member_of", "pathway"))
    assert list(zip(met["source"], met["target"])) == [("CHEBI:58225", "R-HSA-70171")]
    report = {e.what: e for e in g.report.entries}
    plus = report['rdf:ID values that are not XML names, read as rdf:about="#value"']
    assert plus.count == 2 and plus.examples == ("RelationshipXref_nucleotide+genbank+identifier_18201904",
                                                 "RelationshipXref_protein+genbank+identifier_17380385")
    assert report["interactions in no pathway"].count == 1
    assert report["interactions in no pathway"].examples == ("MolecularInteraction_0f1e2d",)
    assert report["participants without a UniProt or ChEBI cross-reference"].examples == ("SmallMolecule_f6p",)


def test_biopax_merges_with_reactome_flat_files(data_dir):
    flat = reactome.load(relations=reactome_files()["relations"], mapping=reactome_files()["mapping"])
    merged = flat.merge(biopax.load(data_dir / "biopax_glycolysis_mini.owl"))
    assert merged.num_nodes("pathway") == flat.num_nodes("pathway")  # same stable ids
    node = merged.nodes("pathway").set_index("id").loc["R-HSA-70171"]
    assert node["database"] == "reactome|biopax"
