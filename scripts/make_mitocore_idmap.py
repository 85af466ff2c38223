"""Derive an Ensembl gene ↔ HGNC symbol table from MitoCore's reaction notes.

MitoCore (Smith et al., BMC Biology 2017, CC BY 4.0) writes every gene rule twice
in a reaction's notes: ``GENE_ASSOCIATION: ENSG… or ENSG…`` and
``GENE_LIST: HK1 or HK2``. Where both rules have the same operator structure,
their genes pair up one to one. A pair is kept only if every reaction agrees
on it (one symbol per Ensembl id and one Ensembl id per symbol).

Usage: python scripts/make_mitocore_idmap.py kg/data/metabolic/mitocore_v1.01.xml.gz kg/data/idmap/mitocore_ensembl_symbol.tsv
"""

import re
import sys
from collections import defaultdict

from kg.readers import parse_xml
from kg.sources.sbml import _child, _children, _notes  # noqa: PLC2701 (same project)

TOKEN = re.compile(r"\(|\)|\band\b|\bor\b|[^\s()]+")


def main(src: str, dst: str) -> None:
    root = parse_xml(src)
    model = _child(root, "model")
    pairs = defaultdict(set)
    skipped = 0
    for rx in _children(_child(model, "listOfReactions"), "reaction"):
        notes = _notes(rx)
        a, b = notes.get("GENE_ASSOCIATION"), notes.get("GENE_LIST")
        if not a or not b:
            continue
        ta, tb = TOKEN.findall(a), TOKEN.findall(b)
        ops = {"(", ")", "and", "or"}
        if len(ta) != len(tb) or any((x in ops) != (y in ops) or (x in ops and x != y) for x, y in zip(ta, tb)):
            skipped += 1
            continue
        for x, y in zip(ta, tb):
            if x not in ops:
                pairs[x].add(y)
    by_symbol = defaultdict(set)
    for ens, syms in pairs.items():
        for s in syms:
            by_symbol[s].add(ens)
    rows = sorted((e, next(iter(s))) for e, s in pairs.items()
                  if len(s) == 1 and len(by_symbol[next(iter(s))]) == 1)
    with open(dst, "w") as fh:
        fh.write("ensembl_gene_id\tsymbol\n")
        fh.writelines(f"{e}\t{s}\n" for e, s in rows)
    print(f"{len(rows)} pairs written; {skipped} reactions with differing rule structure skipped; "
          f"{len(pairs) - len(rows)} ambiguous ids left out", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
