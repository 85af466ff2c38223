"""Make the bundled HGNC subset ``kg/data/reference/hgnc_ids.tsv.gz`` from HGNC's complete set.

HGNC's ``hgnc_complete_set.txt`` (CC0; HUGO Gene Nomenclature Committee, genenames.org) has one row per approved
human gene and 54 columns. The subset keeps every row, in the original order, and nine columns: hgnc_id, symbol,
name, locus_group, uniprot_ids, ensembl_gene_id, entrez_id, alias_symbol, prev_symbol. Values are unchanged
(multi-valued fields stay ``|``-joined; the original's quotes around them are parsing, not content). The output
is gzip with no file name or time stamp in its header, so the same input gives the same bytes.

Usage: python scripts/make_hgnc_subset.py PATH/hgnc_complete_set.txt.gz kg/data/reference/hgnc_ids.tsv.gz
"""

import gzip
import hashlib
import sys

import pandas as pd

COLUMNS = ["hgnc_id", "symbol", "name", "locus_group", "uniprot_ids", "ensembl_gene_id", "entrez_id", "alias_symbol",
           "prev_symbol"]


def main(src: str, dst: str) -> None:
    """Write the subset of ``src`` to ``dst`` and print the md5 of the original and the counts it keeps."""
    raw = open(src, "rb").read()
    text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    table = pd.read_csv(src, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        sys.exit(f"{src}: no column(s) {missing}; is this HGNC's complete set?")
    subset = table[COLUMNS]
    body = subset.to_csv(sep="\t", index=False, lineterminator="\n").encode()
    with open(dst, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
        gz.write(body)
    accessions = subset["uniprot_ids"].str.split("|").explode()
    accessions = accessions[accessions.fillna("") != ""]
    symbols_per_accession = subset.loc[accessions.index, "symbol"].groupby(accessions.to_numpy()).nunique()
    print(f"original: md5 {hashlib.md5(raw).hexdigest()} (as given), {hashlib.md5(text).hexdigest()} (text)",
          file=sys.stderr)
    print(f"{len(subset):,} rows; uniprot_ids on {(subset['uniprot_ids'] != '').sum():,} rows, "
          f"{accessions.nunique():,} distinct accessions, {(symbols_per_accession > 1).sum()} on several symbols; "
          f"wrote {dst}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    main(*sys.argv[1:3])
