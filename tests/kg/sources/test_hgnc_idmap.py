"""The bundled HGNC table and the UniProt ↔ symbol ↔ Ensembl ↔ Entrez ↔ HGNC mapping built on it.

Counts are those of HGNC's complete set (late October 2024) that the bundled subset keeps row for row.
"""

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from binn_graph.architecture import Architecture
from binn_graph.datasets import load_aki
from binn_graph.estimators import BINNClassifier
from kg.datasets import data_path, hgnc_file
from kg.errors import SchemaError
from kg.report import BuildReport
from kg.sources import gmt, idmap

ROOT = Path(__file__).resolve().parents[3]
TP53 = {"hgnc": "HGNC:11998", "symbol": "TP53", "uniprot": "P04637", "ensembl": "ENSG00000141510", "entrez": "7157"}


@pytest.fixture(scope="module")
def table():
    return idmap.hgnc_table()


def test_bundled_table_keeps_hgnc_counts(table):
    assert hgnc_file() == data_path("reference/hgnc_ids.tsv.gz")
    assert list(table.columns) == ["hgnc_id", "symbol", "name", "locus_group", "uniprot_ids", "ensembl_gene_id",
                                   "entrez_id", "alias_symbol", "prev_symbol"]
    assert len(table) == 43_882
    assert table["hgnc_id"].is_unique and table["symbol"].is_unique
    assert table["locus_group"].value_counts().to_dict() == {
        "protein-coding gene": 19_290, "pseudogene": 14_471, "non-coding RNA": 9_120, "other": 1_001}
    has_uniprot = table["uniprot_ids"] != ""
    assert has_uniprot.sum() == 20_299
    assert table.loc[has_uniprot, "locus_group"].eq("protein-coding gene").sum() == 19_270
    assert table["uniprot_ids"].str.contains("|", regex=False).sum() == 53
    accessions = table.loc[has_uniprot, ["symbol", "uniprot_ids"]].assign(
        acc=table["uniprot_ids"].str.split("|")).explode("acc")
    assert accessions["acc"].nunique() == 20_250
    assert (accessions.groupby("acc")["symbol"].nunique() > 1).sum() == 74
    assert (table["ensembl_gene_id"] != "").sum() == 41_244
    assert (table["entrez_id"] != "").sum() == 43_813
    tp53 = table.set_index("symbol").loc["TP53"]
    assert (tp53["hgnc_id"], tp53["uniprot_ids"], tp53["ensembl_gene_id"], tp53["entrez_id"]) == (
        "HGNC:11998", "P04637", "ENSG00000141510", "7157")
    assert tp53["alias_symbol"] == "p53|LFS1" and tp53["name"] == "tumor protein p53"


def test_bundled_file_is_small_and_documented():
    path = hgnc_file()
    assert path.stat().st_size < 1_300_000  # about 1.2 MB: nine of HGNC's 54 columns
    assert b'"' not in gzip.decompress(path.read_bytes())  # written without quoting: '|' needs none
    readme = (path.parent / "README.md").read_text()
    for needed in ("CC0", "1508bfe624854daf8d241d88f6ae3b87", "c660d48fe2c2c4af9e7fd9694620c3c4", "genenames.org",
                   "Nucleic Acids Research", "scripts/make_hgnc_subset.py", "43,882", "20,250"):
        assert needed in readme
    assert (ROOT / "scripts" / "make_hgnc_subset.py").exists()


@pytest.mark.parametrize("source", sorted(TP53))
def test_tp53_maps_between_every_namespace(source):
    for target in TP53:
        result = idmap.map_ids([TP53[source]], source, target)
        assert result.mapping["to"].tolist() == [TP53[target]], (source, target)


def test_namespaces_guessed_and_checked():
    assert idmap.guess_namespace(["P04637", "Q9BY43-2", "A0A075B6P5"]) == "uniprot"
    assert idmap.guess_namespace(["ENSG00000141510", "ENSG00000141510.16"]) == "ensembl"
    assert idmap.guess_namespace(["7157", "672"]) == "entrez"
    assert idmap.guess_namespace(["HGNC:11998"]) == "hgnc"
    assert idmap.guess_namespace(["TP53", "BRCA1"]) == "symbol"
    with pytest.raises(SchemaError, match="unknown identifier namespace 'refseq'"):
        idmap.map_ids(["NM_000546"], "refseq", "symbol")


def test_isoforms_and_versions_map_through_their_base_id():
    assert idmap.strip_isoform(["P04637-2", "P04637", "ENSG00000141510.16", "TP53", "HLA-A"]).tolist() == [
        "P04637", "P04637", "ENSG00000141510", "TP53", "HLA-A"]
    result = idmap.map_ids(["P04637-2", "P04637", "ENSG00000141510.16"], None, "symbol")
    assert result.from_namespace == "uniprot"
    assert dict(zip(result.mapping["from"], result.mapping["via"])) == {"P04637-2": "isoform", "P04637": "uniprot"}
    assert list(result.unmapped) == ["ENSG00000141510.16"]  # one namespace per call; gene_names mixes them
    assert idmap.map_ids(["ENSG00000141510.16"], "ensembl", "symbol").mapping["to"].tolist() == ["TP53"]
    assert sorted(result.shared["TP53"]) == ["P04637", "P04637-2"]


def test_one_to_many_reported_never_picked(table):
    accessions = table["uniprot_ids"].str.split("|").explode()
    result = idmap.map_ids(accessions[accessions != ""].unique(), "uniprot", "symbol")
    assert len(result.ids) == 20_250 and len(result.unmapped) == 0
    assert len(result.ambiguous) == 74
    assert result.ambiguous["P69905"] == ["HBA1", "HBA2"]
    hba = result.mapping[result.mapping["from"] == "P69905"]
    assert sorted(hba["to"]) == ["HBA1", "HBA2"]  # both kept
    report = result.add_to_report(BuildReport(), what="accessions")
    several = [e for e in report.entries if "several" in e.what][0]
    assert several.count == 74 and several.examples


def test_previous_and_alias_symbols():
    result = idmap.map_ids(["DDX58", "RIGI", "p53", "NOTAGENE1"], "symbol", "symbol")
    assert dict(zip(result.mapping["from"], result.mapping["to"])) == {"DDX58": "RIGI", "RIGI": "RIGI"}
    assert result.mapping.set_index("from").loc["DDX58", "via"] == "previous symbol"
    assert list(result.unmapped) == ["p53", "NOTAGENE1"]
    with_aliases = idmap.map_ids(["p53"], "symbol", "symbol", aliases=True)
    assert with_aliases.mapping["to"].tolist() == ["TP53"] and with_aliases.mapping["via"].tolist() == ["alias symbol"]
    assert "2 of 4 ids mapped symbol → symbol; 2 unmapped (e.g. p53, NOTAGENE1); 0 to several ids" == str(result)


def test_gene_names_mix_namespaces():
    names = idmap.gene_names(["P04637", "P04637-2", "ENSG00000141510", "7157", "HGNC:11998", "TP53", "P69905",
                              "H2AC11", "x0", "P04637"])
    assert list(names.index) == ["P04637", "P04637-2", "ENSG00000141510", "7157", "HGNC:11998", "TP53", "P69905",
                                 "H2AC11", "x0"]
    assert names["symbol"].iloc[:6].tolist() == ["TP53"] * 6
    assert names.loc["P69905", "symbol"] == "HBA1/HBA2"
    assert names.loc["P69905", "name"] == "hemoglobin subunit alpha 1; hemoglobin subunit alpha 2"
    assert names.loc["H2AC11", "symbol"] == "H2AC11"  # looks like a UniProt accession, is a symbol
    assert names.loc["x0"].isna().all()


def test_reactome_and_aki_coverage(reactome_graph):
    reactome = idmap.map_ids(reactome_graph.node_ids("protein"), "uniprot", "symbol")
    assert len(reactome.ids) == 11_876 and len(reactome.mapped) == 11_500
    assert reactome.mapping.drop_duplicates("from")["via"].value_counts().to_dict() == {"uniprot": 11_200,
                                                                                       "isoform": 300}
    aki = [c for c in load_aki().X.columns if c != "iRT_protein"]
    result = idmap.map_ids(aki, "uniprot", "symbol")
    assert (len(result.ids), len(result.mapped)) == (553, 516)
    assert {"P04745", "A6NL28", "A8MT79", "P01596", "P0CG05"} <= set(result.unmapped)


def test_hallmark_symbols_onto_uniprot():
    hallmark = gmt.load(data_path("genesets/h.all.v2022.1.Hs.symbols.gmt.gz"))
    mapped = idmap.map_graph(hallmark, "gene", "uniprot", new_type="protein")
    report = {e.what: e for e in mapped.report.entries}
    assert report["gene ids mapped symbol → uniprot (HGNC)"].count == 4_380
    assert set(report["gene ids with no mapping"].examples) == {"TARP", "XIST", "PVT1", "HBBP1"}
    assert report["gene ids matched through their previous symbol"].count == 11
    assert report["gene ids mapped to several ids (edges duplicated)"].count == 15
    assert "gene" not in mapped.node_types
    p53 = mapped.edges(("protein", "member_of", "pathway"))
    assert "HALLMARK_P53_PATHWAY" in set(p53.loc[p53["source"] == "P04637", "target"])
    assert mapped.nodes("protein").set_index("id").loc["P04637", "source_id"] == "TP53"
    assert mapped.validate().ok


def test_symbol_gmt_feeds_a_protein_binn(tmp_path):
    """A GMT of symbols (one a previous symbol, one unknown) becomes a BINN over UniProt inputs."""
    path = tmp_path / "sets.gmt"
    path.write_text("APOPTOSIS_LIKE\tdemo\tTP53\tBAX\tCASP3\tNOTAGENE1\n"
                    "INFLAMMATION_LIKE\tdemo\tIL6\tTNF\tDDX58\tCASP3\n")
    graph = idmap.map_graph(gmt.load(path), "gene", "uniprot", new_type="protein")
    proteins = set(graph.node_ids("protein"))
    assert proteins == {"P04637", "Q07812", "P42574", "P05231", "P01375", "O95786"}  # DDX58 = RIGI = O95786
    assert [e.examples for e in graph.report.entries if e.what == "gene ids with no mapping"] == [("NOTAGENE1",)]
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 6)), columns=sorted(proteins))
    y = pd.Series(np.where(X["P04637"] + X["P42574"] > 0, "case", "control"))
    arch = Architecture.from_graph(graph, "protein", list(X.columns))
    assert sorted(arch.input_ids) == sorted(proteins)
    clf = BINNClassifier(graph, max_epochs=3, random_state=0).fit(X, y)
    assert clf.predict_proba(X).shape == (60, 2)


def test_relabel_reports_under_its_source():
    hallmark = gmt.load(data_path("genesets/h.all.v2022.1.Hs.symbols.gmt.gz"))
    mapped = idmap.map_graph(hallmark, "gene", "uniprot", new_type="protein", source="idmap hallmark")
    assert {e.source for e in mapped.report.entries if "gene ids" in e.what} == {"idmap hallmark"}
