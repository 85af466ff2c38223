"""Gene Ontology: the OBO 1.2/1.4 ontology and GAF 2.x annotations.

* OBO ``[Term]`` stanzas → ``pathway`` nodes (id ``GO:…``, ``name``,
  ``namespace``). ``is_a`` and ``relationship: part_of`` become
  ``(pathway, part_of, pathway)`` edges (child → parent) whose ``go_relation``
  attribute says which. Obsolete terms and other relationship types are
  counted in the report and not loaded.
  (https://owlcollab.github.io/oboformat/doc/GO.format.obo-1_4.html)
* GAF 2.2 (17 tab-separated columns, the optional columns 16-17 may be left
  out, ``!`` comment lines, header
  ``!gaf-version: 2.x``) → ``(protein|gene, member_of, pathway)`` edges with the
  evidence code. ``UniProtKB`` objects are ``protein`` nodes, other databases'
  objects ``gene`` nodes. ``NOT`` annotations, annotations to terms missing
  from the loaded ontology, and excluded evidence codes are counted and
  dropped. (https://geneontology.org/docs/go-annotation-file-gaf-format-2.2/)

The hand-written OBO parser is ~40 lines; it avoids an extra dependency
(obonet/pronto) for a line-oriented format.
"""

from __future__ import annotations

import re
from os import PathLike
from typing import Iterable

import pandas as pd

from ..errors import DelimiterError, DuplicateIdError, EmptyFileError, HierarchyCycleError, InputFormatError, UsageError
from ..graph import KnowledgeGraph
from ..readers import check_nonempty, iter_lines, line_of, read_text, set_lines
from ..schema import PART_OF

__all__ = ["load", "read_obo", "read_gaf", "GAF_COLUMNS"]

DATABASE = "go"
GAF_COLUMNS = [
    "db", "db_object_id", "db_object_symbol", "qualifier", "go_id", "db_reference", "evidence_code",
    "with_from", "aspect", "db_object_name", "db_object_synonym", "db_object_type", "taxon", "date",
    "assigned_by", "annotation_extension", "gene_product_form_id",
]
#: Rows may stop after column 15 (assigned_by); columns 16-17 are optional.
GAF_REQUIRED_COLUMNS = 15
_ASPECT = {"P": "biological_process", "F": "molecular_function", "C": "cellular_component"}
_GO_ID = re.compile(r"^GO:\d{7}$")


def read_obo(path: str | PathLike) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Parse an OBO file into (terms, relations, counts of what was skipped)."""
    text = read_text(path)
    terms, relations = [], []
    skipped = {"obsolete terms": 0, "other relationship types": 0, "non-Term stanzas": 0}
    stanza: str | None = None
    current: dict | None = None
    seen: dict[str, int] = {}

    def finish():
        if current is None:
            return
        if "id" not in current:
            raise InputFormatError("[Term] stanza without an 'id:' line; add one or delete the stanza", path=path,
                                   line=current["_line"])
        if current.get("obsolete"):
            skipped["obsolete terms"] += 1
            return
        if current["id"] in seen:
            raise DuplicateIdError(f"term {current['id']} already defined on line {seen[current['id']]}; "
                                   "merge the two stanzas", path=path, line=current["_line"])
        seen[current["id"]] = current["_line"]
        terms.append({"id": current["id"], "name": current.get("name"), "namespace": current.get("namespace")})
        relations.extend((current["id"], parent, kind) for parent, kind in current["parents"])

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("!"):
            continue
        if line.startswith("[") and line.endswith("]"):
            finish()
            stanza = line[1:-1]
            current = {"_line": number, "parents": []} if stanza == "Term" else None
            if stanza != "Term":
                skipped["non-Term stanzas"] += 1
            continue
        tag, sep, value = line.partition(":")
        if not sep:
            raise InputFormatError(f"expected 'tag: value', found {line[:60]!r}; is this an OBO file?", path=path,
                                   line=number)
        value = value.split(" ! ")[0].strip()
        if current is None:
            continue
        tag = tag.strip()
        if tag == "id":
            current["id"] = value
        elif tag in {"name", "namespace"}:
            current[tag] = value
        elif tag == "is_obsolete":
            current["obsolete"] = value.lower() == "true"
        elif tag == "is_a":
            if not value.split():
                raise InputFormatError("'is_a:' without a parent term id; write 'is_a: GO:nnnnnnn'", path=path,
                                       line=number)
            current["parents"].append((value.split()[0], "is_a"))
        elif tag == "relationship":
            kind, _, target = value.partition(" ")
            if kind == "part_of":
                if not target.split():
                    raise InputFormatError("'relationship: part_of' without a target term id; write "
                                           "'relationship: part_of GO:nnnnnnn'", path=path, line=number)
                current["parents"].append((target.split()[0], "part_of"))
            else:
                skipped["other relationship types"] += 1
    finish()
    if not terms:
        raise EmptyFileError("no [Term] stanzas in the OBO file (is it OBO 1.2/1.4? OWL or JSON ontologies are "
                             "not read here)", path=path)
    return (pd.DataFrame(terms, columns=["id", "name", "namespace"]),
            pd.DataFrame(relations, columns=["child", "parent", "go_relation"]), skipped)


def read_gaf(path: str | PathLike) -> pd.DataFrame:
    """Read a GAF 2.x file as strings; checks the version header, the row shape and the required ids.

    GAF 2.x has 17 columns, the last two (annotation extension, gene product
    form id) optional. Model-organism files often leave them out altogether, so
    rows of 15, 16 or 17 tab-separated fields are accepted and the missing
    trailing columns read as empty. Columns 1 (DB), 2 (DB object id) and
    5 (GO id) must be filled in; the frame's ``attrs["lines"]`` holds each
    row's file line.
    """
    text = read_text(path)
    first = next((line for line in text.splitlines() if line.strip()), "")
    version = re.match(r"!\s*gaf-version:\s*(\S+)", first)
    if not version:
        raise InputFormatError("missing '!gaf-version: 2.x' header on the first line; GAF files start with it "
                               "(add the line if the file is GAF 2.x)", path=path, line=1)
    if not version.group(1).startswith("2."):
        raise InputFormatError(f"GAF version {version.group(1)} is not supported; expected 2.x (convert the file "
                               "to GAF 2.2 first)", path=path, line=1)
    rows, numbers = [], []
    n_min, n_max = GAF_REQUIRED_COLUMNS, len(GAF_COLUMNS)
    for number, line in iter_lines(text, comment="!"):
        fields = line.rstrip("\r").split("\t")
        if not n_min <= len(fields) <= n_max:
            raise DelimiterError(
                f"expected {n_min} to {n_max} tab-separated GAF columns (db, db_object_id, ..., assigned_by"
                f"[, annotation_extension, gene_product_form_id]), found {len(fields)}; check that the file is "
                "tab-separated and that no field holds a tab", path=path, line=number)
        rows.append(fields + [""] * (n_max - len(fields)))
        numbers.append(number)
    if not rows:
        raise EmptyFileError("empty GAF 2.x file: no annotation rows", path=path)
    frame = pd.DataFrame(rows, columns=GAF_COLUMNS, dtype=object).astype(str)
    set_lines(frame, numbers)
    check_nonempty(frame, ["db", "db_object_id", "go_id"], path, "GAF 2.x file")
    bad = ~frame["go_id"].str.match(_GO_ID.pattern)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputFormatError(f"column 5 (GO ID) holds {frame['go_id'].iloc[row]!r}, expected GO:nnnnnnn; "
                               "fix or delete the row", path=path, line=line_of(frame, row))
    return frame


def load(
    obo: str | PathLike | None = None,
    gaf: str | PathLike | None = None,
    *,
    namespaces: Iterable[str] | None = None,
    exclude_evidence: Iterable[str] = ("ND",),
    version: str | None = None,
) -> KnowledgeGraph:
    """Load GO terms, their hierarchy and/or annotations.

    Parameters
    ----------
    obo, gaf:
        Ontology and annotation files (either or both).
    namespaces:
        Keep only these GO namespaces (e.g. ``["biological_process"]``).
    exclude_evidence:
        Evidence codes to drop (default ``ND``, "no biological data").
    """
    if obo is None and gaf is None:
        raise UsageError("go.load: give obo= (ontology) and/or gaf= (annotations)")
    g = KnowledgeGraph()
    attrs = {"database": DATABASE, **({"version": version} if version else {})}
    keep_ns = set(namespaces) if namespaces is not None else None
    if obo is not None:
        terms, relations, skipped = read_obo(obo)
        g.report.add(DATABASE, "read", "GO terms", len(terms), path=obo)
        for what, count in skipped.items():
            g.report.add(DATABASE, "dropped", what, count, path=obo)
        if keep_ns is not None:
            out = ~terms["namespace"].isin(keep_ns)
            g.report.add(DATABASE, "dropped", "terms of other namespaces", int(out.sum()), path=obo)
            terms = terms[~out.to_numpy()]
        g.add_nodes("pathway", terms["id"], name=terms["name"], namespace=terms["namespace"], **attrs)
        known = set(terms["id"])
        inside = relations["child"].isin(known) & relations["parent"].isin(known)
        g.report.add(DATABASE, "dropped", "relations to obsolete, missing or filtered terms",
                     int((~inside).sum()), path=obo)
        relations = relations[inside.to_numpy()]
        g.add_edges(PART_OF, relations["child"], relations["parent"], go_relation=relations["go_relation"], **attrs)
        cyc = g.cycle_nodes(PART_OF)
        if cyc:
            raise HierarchyCycleError(f"the GO hierarchy has a cycle through {', '.join(cyc[:10])}; is_a and "
                                      "part_of must form a DAG, check those terms' parents", path=obo,
                                      record=f"term {cyc[0]}", nodes=cyc)
    if gaf is not None:
        ann = read_gaf(gaf)
        g.report.add(DATABASE, "read", "annotation rows", len(ann), path=gaf)
        drops = {
            "NOT-qualified annotations": ann["qualifier"].str.contains("NOT", regex=False),
            "annotations with excluded evidence": ann["evidence_code"].isin(list(exclude_evidence)),
        }
        if keep_ns is not None:
            drops["annotations of other namespaces"] = ~ann["aspect"].map(_ASPECT).isin(keep_ns)
        if obo is not None:
            drops["annotations to terms not in the ontology (or filtered)"] = ~ann["go_id"].isin(g.node_index("pathway"))
        dropped = pd.Series(False, index=ann.index)
        for what, mask in drops.items():
            mask = mask & ~dropped
            g.report.add(DATABASE, "dropped", what, int(mask.sum()), path=gaf,
                         examples=(ann["db_object_id"] + "→" + ann["go_id"])[mask].head())
            dropped |= mask
        ann = ann[~dropped.to_numpy()]
        if obo is None:
            terms = ann["go_id"].drop_duplicates()
            g.add_nodes("pathway", terms, namespace=ann.drop_duplicates("go_id")["aspect"].map(_ASPECT), **attrs)
        ann = ann.assign(entity_type=ann["db"].map(lambda d: "protein" if d == "UniProtKB" else "gene"))
        for etype, part in ann.groupby("entity_type", sort=False):
            objects = part.drop_duplicates("db_object_id")
            g.add_nodes(etype, objects["db_object_id"], name=objects["db_object_symbol"], **attrs)
            before = len(part)
            g.add_edges((etype, "member_of", "pathway"), part["db_object_id"], part["go_id"],
                        evidence=part["evidence_code"], **attrs)
            g.report.add(DATABASE, "collapsed", f"duplicate {etype}→term annotations (evidence united)",
                         before - g.num_edges((etype, "member_of", "pathway")), path=gaf)
    return g
