"""Degradation graphs: a protein and its observed peptides as a DAG of proteolytic events.

Nodes are the intact protein Ω (the root) and each distinct observed peptide, placed on the sequence
(``start``/``end``, 1-based inclusive); an observed peptide equal to the whole sequence is Ω itself. An edge
``v → u`` means ``u`` is a shorter piece of ``v``:

* ``exo``: one terminal residue removed (``u`` shares a terminus with ``v`` and is one residue shorter);
* ``endo``: one cut giving a prefix or suffix of ``v`` (``endo_terminal``), or two cuts giving an internal
  fragment (``endo_internal``).

Each cut records its P1 and P1′ residues: for a prefix ``u = v[:k]`` the cut is after ``u``'s last residue
(``p1_c``, ``p1p_c``); for a suffix the cut is before ``u`` (``p1_n`` = the residue of ``v`` before ``u``,
``p1p_n`` = ``u``'s first residue); an internal fragment has both. ``edges="closure"`` keeps every containment
pair; ``edges="hasse"`` keeps the transitive reduction (networkx).
(Hartman, Malmström & Wallin, PLoS Comput Biol 2026.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from kg import KnowledgeGraph
from kg.report import BuildReport

from ..errors import DataValidationError

__all__ = ["DegradationGraph", "build_graph", "AMINO_ACIDS", "AMBIGUOUS"]

AMINO_ACIDS = frozenset("ACDEFGHIKLMNPQRSTVWY")
AMBIGUOUS = frozenset("BJOUXZ")


@dataclass
class DegradationGraph:
    """Nodes (``id``, ``start``, ``end``, ``length``, ``is_root``) and edges (``source``, ``target``, ``kind``,
    ``p1_n``, ``p1p_n``, ``p1_c``, ``p1p_c``) of one protein's degradation graph."""

    protein_id: str
    sequence: str
    nodes: pd.DataFrame
    edges: pd.DataFrame
    mode: str
    report: BuildReport = field(default_factory=BuildReport)

    @property
    def root(self) -> str:
        """Id of the full-length protein node."""
        return self.protein_id

    @property
    def peptides(self) -> list[str]:
        """Ids of the peptide nodes (every node but the root)."""
        return self.nodes["id"][~self.nodes["is_root"]].tolist()

    def to_networkx(self) -> nx.DiGraph:
        """The graph as a networkx DiGraph (nodes carry ``start`` and ``end``)."""
        g = nx.DiGraph()
        g.add_nodes_from((r.id, {"start": r.start, "end": r.end}) for r in self.nodes.itertuples())
        g.add_edges_from(zip(self.edges["source"], self.edges["target"]))
        return g

    def to_kg(self) -> KnowledgeGraph:
        """Protein (root) and peptide nodes with ``cleaved_to`` edges (``protein→peptide`` and ``peptide→peptide``)."""
        g = KnowledgeGraph()
        pep = self.nodes[~self.nodes["is_root"]]
        g.add_nodes("protein", [self.protein_id], length=[len(self.sequence)], database="degradation_graph")
        g.add_nodes("peptide", pep["id"], start=pep["start"].to_numpy(), end=pep["end"].to_numpy(),
                    protein=self.protein_id, database="degradation_graph")
        from_root = self.edges["source"] == self.protein_id
        for et, part in ((("protein", "cleaved_to", "peptide"), self.edges[from_root]),
                         (("peptide", "cleaved_to", "peptide"), self.edges[~from_root])):
            if len(part):
                g.add_edges(et, part["source"], part["target"], kind=part["kind"], database="degradation_graph")
        return g


def _check_sequence(sequence: str, what: str) -> str:
    seq = "".join(str(sequence).split()).upper()
    bad = sorted(set(seq) - AMINO_ACIDS - AMBIGUOUS)
    if not seq or bad:
        raise DataValidationError(f"{what} holds {'no residues' if not seq else 'non-amino-acid letters ' + str(bad)}")
    return seq


def build_graph(sequence: str, peptides, protein_id: str = "protein", edges: str = "closure") -> DegradationGraph:
    """Build the degradation graph of one protein (see the module docstring).

    A peptide equal to the whole sequence is the intact protein: it becomes the root Ω (id ``protein_id``), not a
    second node, and is noted in ``report``; abundances may then be keyed by the protein id or by the sequence.
    Peptides that are not substrings of ``sequence``, duplicates and peptides with ambiguous residues (B, J, O, U,
    X, Z) are counted in ``report``; a peptide occurring more than once in the sequence is placed at its first
    occurrence and reported.
    """
    if edges not in ("closure", "hasse"):
        raise DataValidationError(f"edges must be 'closure' or 'hasse', not {edges!r}")
    seq = _check_sequence(sequence, f"sequence of {protein_id}")
    raw = pd.Series([str(p).strip().upper() for p in peptides], dtype=object)
    if raw.empty:
        raise DataValidationError(f"empty peptide list for {protein_id}")
    report = BuildReport()
    report.add("degradation", "read", "peptide rows", len(raw))
    for i, pep in raw.items():
        if not pep or set(pep) - AMINO_ACIDS - AMBIGUOUS:
            raise DataValidationError(f"peptide {i} ({pep!r}) holds non-amino-acid letters "
                                      f"{sorted(set(pep) - AMINO_ACIDS - AMBIGUOUS)}")
    dup = raw.duplicated()
    report.add("degradation", "collapsed", "duplicate peptide rows", int(dup.sum()), examples=raw[dup].head())
    unique = raw[~dup].tolist()
    ambiguous = [p for p in unique if set(p) & AMBIGUOUS]
    report.add("degradation", "dropped", "peptides with ambiguous residues", len(ambiguous), examples=ambiguous)
    starts, kept, absent, repeated, intact = [], [], [], [], []
    for p in unique:
        if p in ambiguous:
            continue
        pos = seq.find(p)
        if pos < 0:
            absent.append(p)
            continue
        if seq.find(p, pos + 1) >= 0:
            repeated.append(p)
        if p == seq:
            intact.append(p)  # the intact protein itself: the root Ω
            continue
        kept.append(p)
        starts.append(pos + 1)
    report.add("degradation", "dropped", f"peptides that are not substrings of {protein_id}", len(absent),
               examples=absent)
    report.add("degradation", "note", "peptides occurring more than once (placed at the first occurrence)",
               len(repeated), examples=repeated)
    report.add("degradation", "note", f"full-length peptides (the intact protein: the root {protein_id})",
               len(intact), examples=[f"{p[:10]}… ({len(p)} aa)" for p in intact])
    if not kept:
        raise DataValidationError(f"none of the {len(unique)} distinct peptides is a proper substring of "
                                  f"{protein_id}" + (" (only the intact protein was observed)" if intact else "")
                                  + "; a degradation graph needs at least one peptide")
    start = np.array([1] + starts)
    length = np.array([len(seq)] + [len(p) for p in kept])
    end = start + length - 1
    ids = [protein_id] + kept
    nodes = pd.DataFrame({"id": ids, "start": start, "end": end, "length": length,
                          "is_root": [True] + [False] * len(kept)})
    contains = (start[:, None] <= start[None, :]) & (end[:, None] >= end[None, :])
    np.fill_diagonal(contains, False)
    src, dst = np.nonzero(contains)
    if edges == "hasse":
        dag = nx.DiGraph(list(zip(src.tolist(), dst.tolist())))
        dag.add_nodes_from(range(len(ids)))
        red = nx.transitive_reduction(dag)
        pairs = np.array(sorted(red.edges()), dtype=int).reshape(-1, 2)
        src, dst = pairs[:, 0], pairs[:, 1]
    table = _edge_table(seq, start, end, src, dst)
    table.insert(0, "target", np.asarray(ids, dtype=object)[dst])
    table.insert(0, "source", np.asarray(ids, dtype=object)[src])
    report.add("degradation", "kept", f"edges ({edges})", len(table))
    return DegradationGraph(protein_id, seq, nodes, table.reset_index(drop=True), edges, report)


def _edge_table(seq: str, start, end, src, dst) -> pd.DataFrame:
    vs, ve, us, ue = start[src], end[src], start[dst], end[dst]
    same_start, same_end = us == vs, ue == ve
    terminal = same_start | same_end
    shorter_by_one = (ve - vs) - (ue - us) == 1
    kind = np.where(terminal & shorter_by_one, "exo", np.where(terminal, "endo_terminal", "endo_internal"))
    arr = np.array(list(seq), dtype=object)
    n_cut = ~same_start  # a cut before u
    c_cut = ~same_end  # a cut after u
    p1_n = np.where(n_cut, arr[np.clip(us - 2, 0, len(seq) - 1)], None)
    p1p_n = np.where(n_cut, arr[us - 1], None)
    p1_c = np.where(c_cut, arr[ue - 1], None)
    p1p_c = np.where(c_cut, arr[np.clip(ue, 0, len(seq) - 1)], None)
    return pd.DataFrame({"kind": kind, "p1_n": p1_n, "p1p_n": p1p_n, "p1_c": p1_c, "p1p_c": p1p_c})


def read_fasta(path) -> dict[str, str]:
    """``{accession: sequence}`` from a FASTA file (UniProt headers ``>sp|P60709|ACTB_HUMAN ...`` give P60709)."""
    from pathlib import Path

    records: dict[str, list[str]] = {}
    current = None
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if line.startswith(">"):
            header = line[1:].split()[0] if line[1:].strip() else ""
            parts = header.split("|")
            current = parts[1] if len(parts) >= 3 else header
            if not current:
                raise DataValidationError(f"{path}, line {number}: FASTA header without an identifier")
            if current in records:
                raise DataValidationError(f"{path}, line {number}: duplicated FASTA record {current!r}")
            records[current] = []
        elif line.strip():
            if current is None:
                raise DataValidationError(f"{path}, line {number}: sequence before the first '>' header")
            records[current].append(line.strip())
    if not records:
        raise DataValidationError(f"{path}: no FASTA records")
    return {k: "".join(v) for k, v in records.items()}


def build_graphs(fasta_or_dict, peptide_table: pd.DataFrame, *, protein_column: str = "Protein",
                 peptide_column: str = "Peptide", edges: str = "closure") -> list[DegradationGraph]:
    """One degradation graph per protein of ``peptide_table`` (columns ``Protein``, ``Peptide``).

    Proteins without a sequence are reported in the first graph's report and skipped; a table without a protein
    column is taken to hold the peptides of a single-record FASTA.
    """
    sequences = fasta_or_dict if isinstance(fasta_or_dict, dict) else read_fasta(fasta_or_dict)
    if peptide_column not in peptide_table.columns:
        raise DataValidationError(f"peptide table has no {peptide_column!r} column; found {list(peptide_table.columns)}")
    if protein_column not in peptide_table.columns:
        if len(sequences) != 1:
            raise DataValidationError(f"peptide table has no {protein_column!r} column and the FASTA holds "
                                      f"{len(sequences)} proteins; say which protein each peptide comes from")
        peptide_table = peptide_table.assign(**{protein_column: next(iter(sequences))})
    graphs, missing = [], []
    for protein, part in peptide_table.groupby(protein_column, sort=False):
        if protein not in sequences:
            missing.append(protein)
            continue
        graphs.append(build_graph(sequences[protein], part[peptide_column], protein_id=str(protein), edges=edges))
    if not graphs:
        raise DataValidationError(f"no protein of the peptide table has a sequence (e.g. {missing[:3]})")
    graphs[0].report.add("degradation", "dropped", "proteins without a sequence", len(missing), examples=missing)
    return graphs
