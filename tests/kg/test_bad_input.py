"""Every adapter rejects malformed input with a KGError naming the file and line or record."""

import gzip

import pytest

from kg import KnowledgeGraph
from kg.errors import (
    CompressionError,
    DelimiterError,
    DuplicateIdError,
    EmptyFileError,
    EncodingError,
    HierarchyCycleError,
    InputFormatError,
    KGError,
    MissingColumnError,
    RDFParseError,
    UnsafeXMLError,
    UsageError,
)
from kg.sources import biopax, eqtl, gmt, go, idmap, kegg, reactome, sbml, sif

URL = "https://reactome.org/PathwayBrowser/#/"


def write(tmp_path, name, text, mode="w"):
    p = tmp_path / name
    if mode == "wb":
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def test_all_errors_derive_from_kgerror():
    for cls in (CompressionError, DelimiterError, DuplicateIdError, EmptyFileError, EncodingError,
                HierarchyCycleError, MissingColumnError, RDFParseError, UnsafeXMLError, UsageError):
        assert issubclass(cls, KGError)


def test_empty_file(tmp_path):
    p = write(tmp_path, "ReactomePathwaysRelation.txt", "\n\n")
    with pytest.raises(EmptyFileError, match="ReactomePathwaysRelation.txt.*empty"):
        reactome.load(relations=p)
    with pytest.raises(EmptyFileError):
        gmt.load(write(tmp_path, "e.gmt", ""))
    with pytest.raises(EmptyFileError):
        sif.load(write(tmp_path, "e.sif", "# only a comment\n"))
    with pytest.raises(EmptyFileError):
        sbml.load(write(tmp_path, "e.xml", "  "))


def test_wrong_delimiter_names_line_and_guess(tmp_path):
    p = write(tmp_path, "rel.txt", "R-HSA-1,R-HSA-2\nR-HSA-1,R-HSA-3\n")
    with pytest.raises(DelimiterError, match=r"rel.txt, line 1: expected 2 tab-separated .* found 1; the line looks comma-separated"):
        reactome.load(relations=p)


def test_ragged_row_names_its_line(tmp_path):
    rows = f"P1\tR-HSA-1\t{URL}R-HSA-1\tname\tTAS\tHomo sapiens\nP2\tR-HSA-1\tTAS\tHomo sapiens\n"
    with pytest.raises(DelimiterError, match="line 2: expected 6"):
        reactome.load(mapping=write(tmp_path, "UniProt2Reactome.txt", rows))


def test_swapped_columns_are_caught(tmp_path):
    rows = f"R-HSA-1\tP1\t{URL}R-HSA-1\tname\tTAS\tHomo sapiens\n"
    with pytest.raises(InputFormatError, match="line 1.*expected a Reactome stable id"):
        reactome.load(mapping=write(tmp_path, "UniProt2Reactome.txt", rows))


def test_missing_columns(tmp_path):
    p = write(tmp_path, "eqtl.txt", "variant_id\tgene\tpval_nominal\tslope\nrs1\tG\t0.1\t0.2\n")
    with pytest.raises(MissingColumnError, match=r"eqtl.txt, line 1: missing required column\(s\) \['gene_id'\]"):
        eqtl.load(p)
    p = write(tmp_path, "map.tsv", "From,To\nA,B\n")
    with pytest.raises(MissingColumnError, match="looks comma-separated"):
        idmap.read_mapping(p, "From", "To")


def test_non_utf8(tmp_path):
    p = write(tmp_path, "h.gmt", "SET\tdesc\tA\tB\nSET2\tdesc\tCaf\xe9\n".encode("latin-1"), mode="wb")
    with pytest.raises(EncodingError, match=r"h.gmt, line 2: byte 0xe9 .* not valid UTF-8"):
        gmt.load(p)


def test_fake_gzip(tmp_path):
    p = write(tmp_path, "UniProt2Reactome.txt.gz", "P1\tR-HSA-1\n")
    with pytest.raises(CompressionError, match="not gzip-compressed"):
        reactome.load(mapping=p)
    truncated = write(tmp_path, "t.gmt.gz", gzip.compress(b"SET\tdesc\tA\n" * 100)[:40], mode="wb")
    with pytest.raises(CompressionError, match="corrupt or truncated"):
        gmt.load(truncated)


def test_real_gzip_without_gz_name_is_read(tmp_path):
    p = write(tmp_path, "sets.gmt", gzip.compress(b"SET\tdesc\tA\tB\n"), mode="wb")
    assert gmt.load(p).num_edges() == 2


def test_duplicated_ids(tmp_path):
    with pytest.raises(DuplicateIdError, match="line 2: gene set 'S' already defined on line 1"):
        gmt.load(write(tmp_path, "d.gmt", "S\td\tA\nS\td\tB\n"))
    names = "R-HSA-1\tA\tHomo sapiens\nR-HSA-1\tB\tHomo sapiens\n"
    with pytest.raises(DuplicateIdError, match="line 2: pathway id 'R-HSA-1'"):
        reactome.load(names=write(tmp_path, "ReactomePathways.txt", names))
    obo = "[Term]\nid: GO:0000001\nname: a\n\n[Term]\nid: GO:0000001\nname: b\n"
    with pytest.raises(DuplicateIdError, match="line 5: term GO:0000001"):
        go.load(obo=write(tmp_path, "d.obo", obo))
    sb = ('<sbml xmlns="http://www.sbml.org/sbml/level2" level="2"><model><listOfSpecies>'
          '<species id="M_a"/><species id="M_a"/></listOfSpecies></model></sbml>')
    with pytest.raises(DuplicateIdError, match="species id 'M_a'"):
        sbml.load(write(tmp_path, "d.xml", sb))


def test_cycle_in_pathway_hierarchy(tmp_path):
    rel = "R-HSA-1\tR-HSA-2\nR-HSA-2\tR-HSA-3\nR-HSA-3\tR-HSA-1\nR-HSA-1\tR-HSA-4\n"
    with pytest.raises(HierarchyCycleError, match=r"rel.txt, pathway R-HSA-\d: the pathway hierarchy has a cycle through 3 pathway"):
        reactome.load(relations=write(tmp_path, "rel.txt", rel))
    obo = "[Term]\nid: GO:0000001\nis_a: GO:0000002\n\n[Term]\nid: GO:0000002\nis_a: GO:0000001\n"
    with pytest.raises(HierarchyCycleError):
        go.load(obo=write(tmp_path, "c.obo", obo))


def test_rdf_that_is_not_rdf(tmp_path):
    with pytest.raises(RDFParseError, match=r"g.ttl: not valid RDF in turtle syntax"):
        KnowledgeGraph.from_rdf(write(tmp_path, "g.ttl", "this is { not turtle at all ."))
    with pytest.raises(RDFParseError, match="not valid RDF in xml"):
        biopax.load(write(tmp_path, "b.owl", "<html><body>not rdf</body>"))
    with pytest.raises(RDFParseError, match="no binn-graph nodes"):
        KnowledgeGraph.from_rdf(write(tmp_path, "other.ttl", "<http://a> <http://b> <http://c> ."))
    with pytest.raises(InputFormatError, match="no BioPAX level 3 classes"):
        biopax.load(write(tmp_path, "x.owl", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                                            '<rdf:Description rdf:about="http://a"/></rdf:RDF>'))


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<sbml level="2"><model><notes>&lol2;</notes></model></sbml>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE pathway [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<pathway name="path:hsa00010" title="&xxe;"></pathway>"""
EXTERNAL_RDF = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY xxe SYSTEM "http://example.invalid/evil">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="&xxe;"/></rdf:RDF>"""


def test_xml_entities_are_refused(tmp_path):
    with pytest.raises(UnsafeXMLError, match="bomb.xml"):
        sbml.load(write(tmp_path, "bomb.xml", BILLION_LAUGHS))
    with pytest.raises(UnsafeXMLError, match="xxe.xml"):
        kegg.load_kgml(write(tmp_path, "xxe.xml", EXTERNAL))
    with pytest.raises(UnsafeXMLError, match=r"xxe.owl, line 2: the document declares XML entities"):
        biopax.load(write(tmp_path, "xxe.owl", EXTERNAL_RDF))


def test_external_dtd_is_never_fetched(data_dir):
    # the KGML fixture names an https DTD; parsing succeeds with no network access
    g = kegg.load_kgml(data_dir / "hsa00010_mini.xml")
    assert g.num_nodes("gene") == 4


def test_sif_bad_sign_and_short_line(tmp_path):
    with pytest.raises(InputFormatError, match="line 2: numeric interaction '2'"):
        sif.load(write(tmp_path, "s.sif", "a\t1\tb\na\t2\tc\n"))
    with pytest.raises(DelimiterError, match="line 1.*found 2 fields"):
        sif.load(write(tmp_path, "s2.sif", "a\t1\n"))


def test_gaf_header_and_go_ids(tmp_path):
    with pytest.raises(InputFormatError, match="gaf-version"):
        go.load(gaf=write(tmp_path, "a.gaf", "UniProtKB\tP1\n"))
    row = "\t".join(["UniProtKB", "P1", "S", "", "GO-1", "r", "IDA", "", "P", "n", "", "protein", "taxon:9606",
                     "20240101", "UniProt", "", ""])
    with pytest.raises(InputFormatError, match="expected GO:nnnnnnn"):
        go.load(gaf=write(tmp_path, "b.gaf", "!gaf-version: 2.2\n" + row + "\n"))


def test_eqtl_non_numeric_pvalue(tmp_path):
    p = write(tmp_path, "e.txt", "variant_id\tgene_id\tpval_nominal\tslope\nrs1\tG\tabc\t0.1\n")
    with pytest.raises(InputFormatError, match=r"e.txt, line 2: column 'pval_nominal' holds 'abc'"):
        eqtl.load(p)
    p = write(tmp_path, "f.txt", "variant_id\tgene_id\tpval_nominal\tslope\nrs1\tG\t1.5\t0.1\n")
    with pytest.raises(InputFormatError, match="outside"):
        eqtl.load(p)


def test_kegg_link_needs_one_pathway_per_line(tmp_path):
    with pytest.raises(InputFormatError, match="line 2: expected exactly one 'path:'"):
        kegg.load_rest(write(tmp_path, "l.tsv", "hsa:1\tpath:hsa00010\nhsa:1\thsa:2\n"))


def test_sbml_undeclared_species(tmp_path):
    sb = ('<sbml xmlns="http://www.sbml.org/sbml/level2" level="2"><model><listOfSpecies><species id="M_a"/>'
          '</listOfSpecies><listOfReactions><reaction id="R1"><listOfReactants>'
          '<speciesReference species="M_b"/></listOfReactants></reaction></listOfReactions></model></sbml>')
    with pytest.raises(InputFormatError, match="reaction 'R1': reactant 'M_b' is not a declared species"):
        sbml.load(write(tmp_path, "u.xml", sb))


def test_missing_file(tmp_path):
    with pytest.raises(InputFormatError, match="does not exist"):
        gmt.load(tmp_path / "nope.gmt")


def gaf_row(*, object_id="P1", go_id="GO:0006096", n_columns=17):
    fields = ["UniProtKB", object_id, "PKM", "involved_in", go_id, "PMID:1", "IDA", "", "P", "Pyruvate kinase",
              "", "protein", "taxon:9606", "20240101", "UniProt", "", ""]
    return "\t".join(fields[:n_columns])


def test_gaf_empty_object_id_names_file_and_line(tmp_path):
    text = "!gaf-version: 2.2\n!comment\n" + gaf_row() + "\n\n" + gaf_row(object_id="") + "\n"
    with pytest.raises(InputFormatError, match=r"e.gaf, line 5: column 2 \(db_object_id\) is empty"):
        go.load(gaf=write(tmp_path, "e.gaf", text))
    text = "!gaf-version: 2.2\n" + gaf_row() + "\n" + gaf_row(go_id="") + "\n"
    with pytest.raises(InputFormatError, match=r"g.gaf, line 3: column 5 \(go_id\) is empty"):
        go.load(gaf=write(tmp_path, "g.gaf", text))
    text = "!gaf-version: 2.2\n" + gaf_row() + "\n" + gaf_row(go_id="GO-1") + "\n"
    with pytest.raises(InputFormatError, match=r"h.gaf, line 3: column 5 \(GO ID\) holds 'GO-1'"):
        go.load(gaf=write(tmp_path, "h.gaf", text))


def test_gaf_column_count(tmp_path):
    text = "!gaf-version: 2.2\n" + gaf_row(n_columns=15) + "\n" + gaf_row(n_columns=14) + "\n"
    with pytest.raises(DelimiterError, match=r"c.gaf, line 3: expected 15 to 17 tab-separated GAF columns.*found 14"):
        go.load(gaf=write(tmp_path, "c.gaf", text))
    assert len(go.read_gaf(write(tmp_path, "ok.gaf", "!gaf-version: 2.1\n" + gaf_row(n_columns=15) + "\n"))) == 1


def test_obo_is_a_without_target(tmp_path):
    with pytest.raises(InputFormatError, match=r"o.obo, line 3: 'is_a:' without a parent"):
        go.load(obo=write(tmp_path, "o.obo", "[Term]\nid: GO:0000001\nis_a:\n"))


def test_adapters_without_input_raise_usage_error():
    for call in (reactome.load, go.load, kegg.load):
        with pytest.raises(UsageError, match="give"):
            call()


def test_empty_ids_in_tables_name_the_line(tmp_path):
    rows = f"P1\tR-HSA-1\t{URL}R-HSA-1\tname\tTAS\tHomo sapiens\n\tR-HSA-1\t{URL}R-HSA-1\tname\tTAS\tHomo sapiens\n"
    with pytest.raises(InputFormatError, match=r"UniProt2Reactome.txt, line 2: column 1 \(entity\) is empty"):
        reactome.load(mapping=write(tmp_path, "UniProt2Reactome.txt", rows))
    p = write(tmp_path, "e.txt", "variant_id\tgene_id\tpval_nominal\tslope\n\nrs1\tG\t0.1\t0.2\nrs2\t\t0.1\t0.2\n")
    with pytest.raises(InputFormatError, match=r"e.txt, line 4: column 2 \(gene_id\) is empty"):
        eqtl.load(p)
    with pytest.raises(InputFormatError, match=r"l.tsv, line 1: column 1 \(a\) is empty"):
        kegg.load_rest(write(tmp_path, "l.tsv", "\tpath:hsa00010\n"))


def test_table_line_numbers_skip_blank_and_comment_lines(tmp_path):
    p = write(tmp_path, "e.txt", "variant_id\tgene_id\tpval_nominal\tslope\n\nrs1\tG\t0.1\t0.2\n\nrs2\tG\tx\t0.2\n")
    with pytest.raises(InputFormatError, match=r"e.txt, line 5: column 'pval_nominal' holds 'x'"):
        eqtl.load(p)


def test_rdf_xml_errors_name_the_line(tmp_path):
    doc = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
           ' xmlns:bp="http://www.biopax.org/release/biopax-level3.owl#">\n'
           '<bp:Pathway rdf:about="http://a/p1" rdf:resource="http://a/x"><bp:displayName>P</bp:displayName>'
           '</bp:Pathway>\n</rdf:RDF>\n')
    with pytest.raises(RDFParseError, match=r"b.owl, line 3: not valid RDF in xml syntax"):
        biopax.load(write(tmp_path, "b.owl", doc))
    latin = ('<?xml version="1.0" encoding="UTF-8"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
             '\n<rdf:Description rdf:about="http://a"><rdf:value>Andr\xe9</rdf:value></rdf:Description></rdf:RDF>')
    with pytest.raises(EncodingError, match=r"l.owl, line 3: byte 0xe9 .* not valid UTF-8"):
        biopax.load(write(tmp_path, "l.owl", latin.encode("latin-1"), mode="wb"))
