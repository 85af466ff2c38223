"""Reactome flat files: pathway hierarchy, entity→pathway mappings and pathway names.

Files (https://reactome.org/download-data, CC BY 4.0):

* ``ReactomePathwaysRelation.txt``: ``parent<TAB>child``, no header. Becomes
  ``("pathway", "part_of", "pathway")`` edges pointing child → parent.
* ``<DB>2Reactome.txt`` (lowest-level) and ``<DB>2Reactome_All_Levels.txt``:
  6 columns ``id, pathway, url, pathway name, evidence, species``. The entity
  type comes from the mapping: UniProt → ``protein``, ChEBI → ``metabolite``
  (ids written ``CHEBI:<n>``, as in BioPAX),
  Ensembl → ``gene`` (``ENSG``) or ``protein`` (``ENSP``), miRBase → ``mirna``.
  All_Levels rows that the hierarchy already implies (a pathway that is an
  ancestor of another pathway of the same entity) are collapsed onto the
  lowest-level pathway, and counted in the report.
* ``ReactomePathways.txt``: ``pathway id, name, species``.

Rows of other species are dropped and counted. Plain or gzipped files.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ..errors import DuplicateIdError, HierarchyCycleError, InputFormatError, UsageError
from ..graph import KnowledgeGraph
from ..readers import check_nonempty, line_of, read_table
from ..schema import PART_OF

__all__ = ["load", "read_relations", "read_mapping", "read_names", "MAPPING_COLUMNS", "SPECIES_CODES"]

MAPPING_COLUMNS = ["entity", "pathway", "url", "pathway_name", "evidence", "species"]
DATABASE = "reactome"
_PATHWAY_ID = re.compile(r"^R-[A-Z]{3,4}-\d+(\.\d+)?$")
_ENTITY_BY_FILE = [
    ("uniprot", "protein"),
    ("chebi", "metabolite"),
    ("ensembl", "gene"),
    ("mirbase", "mirna"),
    ("ncbi", "gene"),
]
_ENSEMBL_KIND = re.compile(r"^ENS[A-Z]*([GTP])\d+")
_PREFIX = r"^(R-[A-Z]+-)"
_MIRBASE = re.compile(r"^MI(MAT)?\d{7}$")  # miRBase precursor (MI…) and mature (MIMAT…) accessions
#: Reactome's species codes (the middle of stable ids, R-<CODE>-n), for hierarchies loaded without names/mapping.
SPECIES_CODES = {
    "Homo sapiens": "HSA", "Mus musculus": "MMU", "Rattus norvegicus": "RNO", "Bos taurus": "BTA",
    "Canis familiaris": "CFA", "Sus scrofa": "SSC", "Gallus gallus": "GGA", "Xenopus tropicalis": "XTR",
    "Danio rerio": "DRE", "Drosophila melanogaster": "DME", "Caenorhabditis elegans": "CEL",
    "Saccharomyces cerevisiae": "SCE", "Schizosaccharomyces pombe": "SPO", "Dictyostelium discoideum": "DDI",
    "Plasmodium falciparum": "PFA", "Mycobacterium tuberculosis": "MTU",
}


def _check_pathway_ids(frame: pd.DataFrame, key: str, path, column: str) -> None:
    ids = frame[key]
    bad = ~ids.str.match(_PATHWAY_ID.pattern).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputFormatError(
            f"column {column!r} holds {ids.iloc[row]!r}, expected a Reactome stable id like R-HSA-109581; "
            "is this the right Reactome file (columns in the documented order)?",
            path=path,
            line=line_of(frame, row),
        )


def read_relations(path: str | PathLike) -> pd.DataFrame:
    """Read ``ReactomePathwaysRelation`` as a DataFrame with columns ``parent``, ``child``."""
    frame = read_table(path, ["parent", "child"], what="ReactomePathwaysRelation file (parent, child)")
    _check_pathway_ids(frame, "parent", path, "parent")
    _check_pathway_ids(frame, "child", path, "child")
    return frame


def read_mapping(path: str | PathLike) -> pd.DataFrame:
    """Read a ``<DB>2Reactome[_All_Levels]`` mapping file (6 columns, no header)."""
    frame = read_table(path, MAPPING_COLUMNS, what="<DB>2Reactome mapping file")
    check_nonempty(frame, ["entity"], path, "<DB>2Reactome mapping file")
    _check_pathway_ids(frame, "pathway", path, "pathway (2nd)")
    return frame


def read_names(path: str | PathLike) -> pd.DataFrame:
    """Read ``ReactomePathways.txt`` (``pathway``, ``name``, ``species``); ids must be unique."""
    frame = read_table(path, ["pathway", "name", "species"], what="ReactomePathways file (id, name, species)")
    _check_pathway_ids(frame, "pathway", path, "pathway id (1st)")
    dup = frame["pathway"].duplicated().to_numpy()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        raise DuplicateIdError(f"pathway id {frame['pathway'].iloc[row]!r} occurs more than once; keep one row "
                               "per pathway", path=path, line=line_of(frame, row))
    return frame


def _entity_type(path: str | PathLike, ids: pd.Series) -> str:
    name = Path(path).name.lower()
    for key, entity_type in _ENTITY_BY_FILE:
        if key in name:
            return entity_type
    first = str(ids.iloc[0]) if len(ids) else ""
    if first.upper().startswith("CHEBI") or first.isdigit():
        return "metabolite"
    if first.startswith("ENS"):
        return "gene"
    if _MIRBASE.match(first) or first.startswith(("hsa-", "mmu-")) or "miR" in first:
        return "mirna"
    return "protein"


def _as_list(paths) -> list:
    if paths is None:
        return []
    if isinstance(paths, (str, PathLike)):
        return [paths]
    return list(paths)


def load(
    relations: str | PathLike | None = None,
    mapping: str | PathLike | Iterable[str | PathLike] | None = None,
    names: str | PathLike | None = None,
    species: str | None = "Homo sapiens",
    *,
    entity_type: str | None = None,
    version: str | None = None,
) -> KnowledgeGraph:
    """Load Reactome flat files into a KnowledgeGraph.

    Parameters
    ----------
    relations:
        ``ReactomePathwaysRelation`` file (parent, child).
    mapping:
        One or more ``<DB>2Reactome`` files, lowest-level or All_Levels.
    names:
        ``ReactomePathways`` file, for pathway names and species.
    species:
        Keep rows of this species (``None`` keeps all). Relations carry no
        species column; they are kept when both pathways use the species'
        stable-id prefix: ``R-<code>-`` from :data:`SPECIES_CODES` (``R-HSA-``
        for Homo sapiens) and any prefix seen for the species in the mapping
        or names. Dropped rows are counted in the report.
    entity_type:
        Override the entity node type inferred from the mapping file name.
    version:
        Reactome release, stored in the ``version`` attribute.

    Returns
    -------
    KnowledgeGraph with ``pathway`` nodes, ``(pathway, part_of, pathway)``
    edges and ``(<entity>, member_of, pathway)`` edges.
    """
    if relations is None and not _as_list(mapping) and names is None:
        raise UsageError("reactome.load: give at least one of relations=, mapping= or names=")
    g = KnowledgeGraph()
    attrs = {"database": DATABASE, **({"version": version} if version else {})}
    pathway_names: dict[str, pd.DataFrame] = {}
    prefixes: set[str] = set()

    names_frame = None
    if names is not None:
        names_frame = read_names(names)
        g.report.add(DATABASE, "read", "pathway name rows", len(names_frame), path=names)
        if species is not None:
            other = names_frame["species"] != species
            g.report.add(DATABASE, "dropped", "pathway name rows of another species", int(other.sum()),
                         f"species is not {species!r}", path=names, examples=names_frame["pathway"][other].head())
            names_frame = names_frame[~other.to_numpy()]
        prefixes |= set(names_frame["pathway"].str.extract(_PREFIX, expand=False).dropna())
        pathway_names["names"] = names_frame[["pathway", "name", "species"]]

    mappings = []
    for path in _as_list(mapping):
        frame = read_mapping(path)
        g.report.add(DATABASE, "read", "mapping rows", len(frame), path=path)
        if species is not None:
            other = (frame["species"] != species).to_numpy()
            g.report.add(DATABASE, "dropped", "mapping rows of another species", int(other.sum()),
                         f"species is not {species!r}", path=path, examples=frame["entity"][other].head())
            frame = frame[~other]
        etype = entity_type or _entity_type(path, frame["entity"])
        frame = frame.assign(entity_type=etype)
        if etype == "gene" and frame["entity"].str.startswith("ENS").any():
            kind = frame["entity"].str.extract(_ENSEMBL_KIND, expand=False)
            frame.loc[(kind == "P").to_numpy(), "entity_type"] = "protein"
            transcript = (kind == "T").to_numpy()
            g.report.add(DATABASE, "dropped", "Ensembl transcript (ENST) mapping rows", int(transcript.sum()),
                         "transcripts are not a node type; map them to genes or proteins first", path=path,
                         examples=frame["entity"][transcript].head())
            frame = frame[~transcript]
        if etype == "metabolite":
            numeric = frame["entity"].str.isdigit()
            frame = frame.assign(entity=frame["entity"].where(~numeric, "CHEBI:" + frame["entity"]))
        frame = frame.assign(all_levels="all_levels" in Path(path).name.lower(), file=str(path))
        prefixes |= set(frame["pathway"].str.extract(_PREFIX, expand=False).dropna())
        pathway_names[str(path)] = frame[["pathway", "pathway_name", "species"]].rename(
            columns={"pathway_name": "name"})
        mappings.append(frame)

    hierarchy = None
    if relations is not None:
        hierarchy = read_relations(relations)
        g.report.add(DATABASE, "read", "hierarchy rows", len(hierarchy), path=relations)
        if species is not None:
            if species in SPECIES_CODES:
                prefixes.add(f"R-{SPECIES_CODES[species]}-")
            elif not prefixes:
                raise UsageError(
                    f"species={species!r} has no known Reactome species code, and no names= or mapping= file "
                    f"tells which stable-id prefix it uses; give names= (ReactomePathways.txt), pass "
                    f"species=None to keep every species, or one of {sorted(SPECIES_CODES)}")
            keep = (hierarchy["parent"].str.extract(_PREFIX, expand=False).isin(prefixes)
                    & hierarchy["child"].str.extract(_PREFIX, expand=False).isin(prefixes)).to_numpy()
            g.report.add(DATABASE, "dropped", "hierarchy rows of another species", int((~keep).sum()),
                         f"species is {species!r}: pathway id prefix not in {sorted(prefixes)}", path=relations,
                         examples=hierarchy["child"][~keep].head())
            hierarchy = hierarchy[keep]
        dup = hierarchy.duplicated().to_numpy()
        g.report.add(DATABASE, "collapsed", "duplicate hierarchy rows", int(dup.sum()), path=relations)

    # pathway nodes: names first (authoritative), then any id seen in the mapping or hierarchy
    table = pd.concat(list(pathway_names.values()), ignore_index=True) if pathway_names else None
    ids = [] if table is None else [table]
    if hierarchy is not None:
        ids.append(pd.DataFrame({"pathway": pd.concat([hierarchy["child"], hierarchy["parent"]])}))
    all_pathways = pd.concat(ids, ignore_index=True).drop_duplicates("pathway")
    g.add_nodes("pathway", all_pathways["pathway"], name=all_pathways.get("name"),
                species=all_pathways.get("species"), **attrs)

    if hierarchy is not None:
        g.add_edges(PART_OF, hierarchy["child"], hierarchy["parent"], **attrs)
        cyc = g.cycle_nodes(PART_OF)
        if cyc:
            raise HierarchyCycleError(
                f"the pathway hierarchy has a cycle through {len(cyc)} pathway(s): {', '.join(cyc[:10])}; "
                "parent/child rows must form a DAG, check the rows of those pathways",
                path=relations, record=f"pathway {cyc[0]}", nodes=cyc,
            )

    for frame in mappings:
        path = frame["file"].iloc[0] if len(frame) else ""
        if len(frame) and frame["all_levels"].iloc[0] and g.has_edge_type(PART_OF):
            frame = _lowest_levels(g, frame, path)
        for etype, part in frame.groupby("entity_type", sort=False):
            g.add_nodes(etype, part["entity"].drop_duplicates(), **attrs)
            n_rows = len(part)
            before = g.num_edges((etype, "member_of", "pathway"))
            g.add_edges((etype, "member_of", "pathway"), part["entity"], part["pathway"],
                        evidence=part["evidence"], **attrs)
            added = g.num_edges((etype, "member_of", "pathway")) - before
            g.report.add(DATABASE, "collapsed", f"duplicate {etype}→pathway rows (evidence united)",
                         n_rows - added, "same pair listed with several evidence codes", path=path)
    return g


def _lowest_levels(g: KnowledgeGraph, frame: pd.DataFrame, path) -> pd.DataFrame:
    """Drop All_Levels rows whose pathway is an ancestor of another pathway of the same entity."""
    closure = g.hierarchy_closure(PART_OF)[["descendant", "ancestor"]]
    pairs = frame[["entity", "pathway"]].drop_duplicates()
    implied = pairs.merge(closure, left_on="pathway", right_on="descendant")[["entity", "ancestor"]]
    implied = implied.drop_duplicates().rename(columns={"ancestor": "pathway"})
    key = pd.MultiIndex.from_frame(frame[["entity", "pathway"]])
    drop = key.isin(pd.MultiIndex.from_frame(implied))
    g.report.add(DATABASE, "collapsed", "All_Levels rows implied by the hierarchy", int(drop.sum()),
                 "kept only each entity's lowest-level pathways; ancestors follow from part_of edges", path=path)
    return frame[~drop]
