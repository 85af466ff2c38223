"""A peptidome as a knowledge graph whose degradation graphs a BINN can follow upward (peptide → parent → protein).

:func:`peptidome_graph` turns :func:`~binn_graph.degradation.read_peptidome`'s table into a
:class:`~kg.KnowledgeGraph` with

* ``peptide`` nodes: the observed peptides (plain sequences), the BINN's inputs;
* ``fragment`` nodes ``<protein>:<peptide>``: each peptide as a piece of one protein (a shared peptide has one
  fragment per protein), the hidden units of the first layers;
* ``(peptide, measures, fragment)`` edges;
* ``(protein, cleaved_to, fragment)`` and ``(fragment, cleaved_to, fragment)`` edges: each protein's degradation
  graph, Hasse edges (one proteolytic step: no observed peptide lies between parent and child), stored in the
  direction of proteolysis as :meth:`~binn_graph.degradation.DegradationGraph.to_kg` stores them. Containment comes
  from Start/End where every peptide of the protein has them, else from the sequences (a child is a substring of
  its parent);
* optionally ``(protein, member_of, pathway)`` and ``(pathway, part_of, pathway)`` edges from given tables.

Compile it with ``cleaved_to`` followed against its stored direction::

    Architecture.from_graph(g, "peptide", features, relations=PEPTIDE_RELATIONS, reverse=("cleaved_to",),
                            target_type="pathway")   # or target_type="protein" without pathways

so a peptide feeds its fragment, a fragment its parent fragments, the top fragments their protein, and proteins their
pathways.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kg import KnowledgeGraph

from ..errors import DataValidationError
from .graph import containment, hasse_pairs

__all__ = ["peptidome_graph", "PEPTIDE_RELATIONS", "fragment_id"]

PEPTIDE_RELATIONS = ("measures", "member_of", "part_of")


def fragment_id(protein: str, peptide: str) -> str:
    """Id of a peptide as a piece of one protein: ``<protein>:<peptide>``."""
    return f"{protein}:{peptide}"


def _hasse(peptides: list[str], start=None, end=None) -> list[tuple[int, int]]:
    """Hasse edges (parent index, child index) of containment among distinct peptides of one protein."""
    return [tuple(pair) for pair in hasse_pairs(containment(peptides, start, end)).tolist()]


def peptidome_graph(peptidome: pd.DataFrame, pathways: pd.DataFrame | None = None,
                    hierarchy: pd.DataFrame | None = None) -> KnowledgeGraph:
    """The peptidome's degradation graphs as a knowledge graph (see the module docstring).

    Parameters
    ----------
    peptidome:
        A long table with ``protein`` and ``peptide`` (and ``start``/``end`` where known); samples and areas are not
        used (the graph is the union over samples).
    pathways:
        Optional ``protein, pathway`` table (e.g. UniProt → Reactome); proteins without a pathway stay in the graph.
    hierarchy:
        Optional ``child, parent`` pathway table (``part_of``).
    """
    need = {"protein", "peptide"} - set(peptidome.columns)
    if need:
        raise DataValidationError(f"the peptidome has no column(s) {sorted(need)}")
    if peptidome.empty:
        raise DataValidationError("the peptidome has no rows")
    has_pos = {"start", "end"} <= set(peptidome.columns)
    cols = ["protein", "peptide"] + (["start", "end"] if has_pos else [])
    table = peptidome[cols].drop_duplicates(["protein", "peptide"]).astype({"protein": str, "peptide": str})
    parents, children, roots, tops = [], [], [], []
    for protein, part in table.groupby("protein", sort=False):
        peptides = part["peptide"].tolist()
        placed = has_pos and part["start"].notna().all() and part["end"].notna().all()
        pairs = _hasse(peptides, part["start"] if placed else None, part["end"] if placed else None)
        ids = [fragment_id(protein, p) for p in peptides]
        has_parent = np.zeros(len(peptides), dtype=bool)
        for a, b in pairs:
            parents.append(ids[a])
            children.append(ids[b])
            has_parent[b] = True
        roots += [protein] * int((~has_parent).sum())
        tops += [i for i, h in zip(ids, has_parent) if not h]
    g = KnowledgeGraph()
    g.add_nodes("peptide", pd.unique(table["peptide"]), database="peptidome")
    g.add_nodes("fragment", [fragment_id(a, b) for a, b in zip(table["protein"], table["peptide"])],
                protein=table["protein"].to_numpy(), peptide=table["peptide"].to_numpy(), database="peptidome")
    proteins = pd.unique(table["protein"])
    g.add_nodes("protein", proteins, database="peptidome")
    g.add_edges(("peptide", "measures", "fragment"), table["peptide"],
                [fragment_id(a, b) for a, b in zip(table["protein"], table["peptide"])], database="peptidome")
    g.add_edges(("protein", "cleaved_to", "fragment"), roots, tops, database="degradation_graph")
    if parents:
        g.add_edges(("fragment", "cleaved_to", "fragment"), parents, children, database="degradation_graph")
    if pathways is not None:
        if not {"protein", "pathway"} <= set(pathways.columns):
            raise DataValidationError(f"pathways needs columns protein and pathway (found {list(pathways.columns)})")
        rows = pathways[pathways["protein"].astype(str).isin(set(proteins))].astype(str).drop_duplicates()
        names = pd.unique(pd.concat([rows["pathway"]] + ([hierarchy["child"].astype(str),
                                                          hierarchy["parent"].astype(str)]
                                                         if hierarchy is not None else [])))
        g.add_nodes("pathway", names, database="pathways")
        g.add_edges(("protein", "member_of", "pathway"), rows["protein"], rows["pathway"], database="pathways")
        if hierarchy is not None and len(hierarchy):
            g.add_edges(("pathway", "part_of", "pathway"), hierarchy["child"].astype(str),
                        hierarchy["parent"].astype(str), database="pathways")
    return g
