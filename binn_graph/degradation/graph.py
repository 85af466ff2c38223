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

__all__ = ["DegradationGraph", "build_graph", "build_graph_from_positions", "build_graph_from_peptides",
           "pseudo_sequence", "AMINO_ACIDS", "AMBIGUOUS", "UNKNOWN", "CONTEXT"]

AMINO_ACIDS = frozenset("ACDEFGHIKLMNPQRSTVWY")
AMBIGUOUS = frozenset("BJOUXZ")
UNKNOWN = "X"  # a residue no peptide or flank shows (positions-only graphs): never guessed
CONTEXT = 4  # residues each side of a cut in the P4…P4′ context of peptide-only graphs


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
    placed: bool = True  # False: built from the peptides alone (no positions; the root is an unobserved precursor)

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
    end = start + np.array([len(seq)] + [len(p) for p in kept]) - 1
    return _assemble(protein_id, seq, kept, start, end, edges, report)


def pseudo_sequence(peptides, start, end, *, n_flank=None, c_flank=None, length: int | None = None,
                    protein_id: str = "protein") -> str:
    """The protein sequence as far as placed peptides show it: observed residues at their 1-based positions, flank
    residues beside them, :data:`UNKNOWN` (``X``) everywhere else.

    Its length is ``length`` when given, else the last observed position, plus one unknown residue unless a ``-``
    flank marks the C-terminus there (so a peptide ending at the last observed residue is not taken to end the
    protein). Different residues at one position are refused, naming both peptides.
    """
    peptides = [str(p).upper() for p in peptides]
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    n_flank = [None] * len(peptides) if n_flank is None else list(n_flank)
    c_flank = [None] * len(peptides) if c_flank is None else list(c_flank)
    if (start < 1).any():
        raise DataValidationError(f"{protein_id}: start positions must be ≥ 1 (1-based)")
    lengths = end - start + 1
    bad = np.flatnonzero(lengths != np.array([len(p) for p in peptides]))
    if len(bad):
        i = bad[0]
        raise DataValidationError(f"{protein_id}: peptide {peptides[i]} ({len(peptides[i])} aa) is placed at "
                                  f"{start[i]}–{end[i]} ({lengths[i]} positions); start/end must span the peptide")
    last = int(end.max())
    c_terminal = any(f == "-" and e == last for f, e in zip(c_flank, end))
    size = int(length) if length is not None else last + (0 if c_terminal else 1)
    if size < last:
        raise DataValidationError(f"{protein_id}: length {size} but a peptide ends at {last}")
    seq = np.full(size, UNKNOWN, dtype="<U1")
    source = np.full(size, "", dtype=object)

    def put(position: int, residue: str, peptide: str) -> None:
        if residue is None or residue == "-" or (isinstance(residue, float) and np.isnan(residue)):
            return
        if not 1 <= position <= size:
            return
        here = seq[position - 1]
        if here != UNKNOWN and here != residue:
            raise DataValidationError(f"{protein_id}: position {position} is {here} in {source[position - 1]} but "
                                      f"{residue} in {peptide}; peptides of one protein must agree where they overlap")
        seq[position - 1] = residue
        source[position - 1] = peptide

    for p, s, e, nf, cf in zip(peptides, start, end, n_flank, c_flank):
        for k, residue in enumerate(p):
            put(int(s) + k, residue, p)
        put(int(s) - 1, nf, f"the N-flank of {p}")
        put(int(e) + 1, cf, f"the C-flank of {p}")
    return "".join(seq)


def build_graph_from_positions(peptides, start, end, protein_id: str = "protein", *, n_flank=None, c_flank=None,
                               length: int | None = None, sequence: str | None = None,
                               edges: str = "closure") -> DegradationGraph:
    """A degradation graph from peptides placed by ``start``/``end`` (1-based, inclusive), without a FASTA.

    The sequence is :func:`pseudo_sequence` (observed residues and flanks; ``X`` = unknown, never guessed) unless
    ``sequence`` is given. Every cut's P1 and P1′ then come from the peptides themselves or their flanks: the residue
    before a suffix lies inside its parent, the residue after a prefix is its C-flank; a P1/P1′ that nothing shows
    is ``X``. Nodes, edges and kinds equal those of :func:`build_graph` on the full sequence when the protein
    length is known (``length``); the same peptide at two positions is kept at its first and reported.
    """
    if edges not in ("closure", "hasse"):
        raise DataValidationError(f"edges must be 'closure' or 'hasse', not {edges!r}")
    peptides = [str(p).strip().upper() for p in peptides]
    if not peptides:
        raise DataValidationError(f"empty peptide list for {protein_id}")
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    if sequence is None:
        seq = pseudo_sequence(peptides, start, end, n_flank=n_flank, c_flank=c_flank, length=length,
                              protein_id=protein_id)
    else:
        seq = _check_sequence(sequence, f"sequence of {protein_id}")
        wrong = [p for p, s, e in zip(peptides, start, end) if seq[s - 1:e] != p]
        if wrong:
            raise DataValidationError(f"{protein_id}: {len(wrong)} peptide(s) differ from the sequence at their "
                                      f"start/end (e.g. {wrong[:3]})")
    report = BuildReport()
    report.add("degradation", "read", "peptide rows", len(peptides))
    frame = pd.DataFrame({"peptide": peptides, "start": start, "end": end})
    exact = frame.duplicated()
    report.add("degradation", "collapsed", "duplicate peptide rows", int(exact.sum()),
               examples=frame.loc[exact, "peptide"].head())
    frame = frame[~exact]
    moved = frame.duplicated("peptide")
    report.add("degradation", "note", "peptides placed at more than one position (kept at the first)",
               int(moved.sum()), examples=frame.loc[moved, "peptide"].head())
    frame = frame[~moved]
    intact = (frame["start"] == 1) & (frame["end"] == len(seq))
    report.add("degradation", "note", f"full-length peptides (the intact protein: the root {protein_id})",
               int(intact.sum()))
    frame = frame[~intact]
    if frame.empty:
        raise DataValidationError(f"{protein_id}: no peptide shorter than the protein; a degradation graph needs one")
    kept = frame["peptide"].tolist()
    s_arr = np.concatenate([[1], frame["start"].to_numpy()])
    e_arr = np.concatenate([[len(seq)], frame["end"].to_numpy()])
    return _assemble(protein_id, seq, kept, s_arr, e_arr, edges, report)


def build_graph_from_peptides(peptides, protein_id: str = "protein", *, n_flank=None, c_flank=None,
                              edges: str = "closure") -> DegradationGraph:
    """A degradation graph from the peptides alone: no sequence, no Start/End (e.g. urine peptidomes without a FASTA).

    An edge ``v → u`` joins two observed peptides when ``u`` is a substring of ``v`` (containment among the
    peptides; ``edges="hasse"`` keeps the transitive reduction). The root (id ``protein_id``) stands for the
    **unobserved precursor**: it is not an observed peptide (node column ``observed`` False, ``placed`` False,
    ``sequence`` empty, ``start``/``end``/``length`` unknown), and every peptide is its child (``"hasse"``: the
    peptides no other peptide contains, i.e. the longest of each chain).

    Cut residues come only from what the peptides show. Between two peptides the cut lies inside the parent
    (``u`` at its first occurrence in ``v``; a second occurrence is reported), so ``kind``, P1 and P1′ equal those
    :func:`build_graph` gives from the full sequence. From the precursor, the residue outside ``u`` is its flank
    where given (``-`` = a protein terminus: no cut on that side), else :data:`UNKNOWN` (``X``) and the edge's
    kind is ``"unknown"`` (whether ``u`` is terminal cannot be told). Edges also carry ``n_context``/``c_context``:
    the P4…P4′ residues of the cut before/after ``u`` as read inside the substrate (``X`` beyond it), or None where
    that side is not cut.
    """
    if edges not in ("closure", "hasse"):
        raise DataValidationError(f"edges must be 'closure' or 'hasse', not {edges!r}")
    raw = [str(p).strip().upper() for p in peptides]
    if not raw:
        raise DataValidationError(f"empty peptide list for {protein_id}")
    flanks_n = [None] * len(raw) if n_flank is None else [_flank(f) for f in n_flank]
    flanks_c = [None] * len(raw) if c_flank is None else [_flank(f) for f in c_flank]
    for i, pep in enumerate(raw):
        if not pep or set(pep) - AMINO_ACIDS - AMBIGUOUS:
            raise DataValidationError(f"{protein_id}: peptide {i} ({pep!r}) holds non-amino-acid letters "
                                      f"{sorted(set(pep) - AMINO_ACIDS - AMBIGUOUS)}")
    report = BuildReport()
    report.add("degradation", "read", "peptide rows", len(raw))
    first: dict[str, int] = {}
    for i, pep in enumerate(raw):
        first.setdefault(pep, i)
    report.add("degradation", "collapsed", "duplicate peptide rows", len(raw) - len(first))
    ambiguous = [p for p in first if set(p) & AMBIGUOUS]
    report.add("degradation", "dropped", "peptides with ambiguous residues", len(ambiguous), examples=ambiguous)
    kept = [p for p in first if p not in set(ambiguous)]
    if not kept:
        raise DataValidationError(f"{protein_id}: no peptide without ambiguous residues; a degradation graph needs one")
    nf = [flanks_n[first[p]] for p in kept]
    cf = [flanks_c[first[p]] for p in kept]
    n = len(kept)
    contains = containment(kept)
    src, dst = np.nonzero(contains)
    if edges == "hasse" and len(src):
        pairs = hasse_pairs(contains)
        src, dst = pairs[:, 0], pairs[:, 1]
    tops = np.arange(n) if edges == "closure" else np.flatnonzero(~contains.any(axis=0))
    rows, repeated = [], []
    for u in tops:
        rows.append(_precursor_edge(kept[u], nf[u], cf[u]))
    for v, u in zip(src, dst):
        parent, child = kept[v], kept[u]
        k = parent.find(child)
        if parent.find(child, k + 1) >= 0:
            repeated.append(f"{child} in {parent}")
        rows.append(_inner_edge(parent, child, k))
    report.add("degradation", "note", "peptides occurring more than once in a parent (cut at the first occurrence)",
               len(repeated), examples=repeated)
    table = pd.DataFrame(rows, columns=["kind", "p1_n", "p1p_n", "p1_c", "p1p_c", "n_context", "c_context"])
    ids = np.asarray([protein_id] + kept, dtype=object)
    table.insert(0, "target", np.concatenate([ids[1:][tops], ids[1:][dst]]))
    table.insert(0, "source", np.concatenate([np.full(len(tops), protein_id, dtype=object), ids[1:][src]]))
    lengths = np.array([len(p) for p in kept], dtype=float)
    nodes = pd.DataFrame({"id": ids, "start": np.nan, "end": np.nan, "length": np.concatenate([[np.nan], lengths]),
                          "is_root": [True] + [False] * n, "observed": [False] + [True] * n})
    report.add("degradation", "kept", f"edges ({edges}; root = the unobserved precursor)", len(table))
    return DegradationGraph(protein_id, "", nodes, table, edges, report, placed=False)


def containment(peptides: list[str], start=None, end=None) -> np.ndarray:
    """``[n, n]`` boolean: peptide ``i`` contains peptide ``j`` (``i ≠ j``), by their ``start``/``end`` positions
    where given, else as a substring (distinct peptides of one protein)."""
    n = len(peptides)
    if start is not None:
        s, e = np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64)
        contains = (s[:, None] <= s[None, :]) & (e[:, None] >= e[None, :])
    else:
        contains = np.array([[b in a for b in peptides] for a in peptides], dtype=bool).reshape(n, n)
    np.fill_diagonal(contains, False)
    return contains


def hasse_pairs(contains: np.ndarray) -> np.ndarray:
    """``[m, 2]`` (parent, child) rows of the transitive reduction of a containment matrix (one proteolytic step:
    no other peptide lies between parent and child), sorted."""
    src, dst = np.nonzero(contains)
    dag = nx.DiGraph(list(zip(src.tolist(), dst.tolist())))
    dag.add_nodes_from(range(len(contains)))
    return np.array(sorted(nx.transitive_reduction(dag).edges()), dtype=int).reshape(-1, 2)


def _flank(value):
    """A flank residue, ``-`` (terminus) or None (unknown)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip().upper()
    return text if text == "-" or (len(text) == 1 and text in AMINO_ACIDS) else None


def _context(left: str, right: str) -> str:
    """P4…P4′: up to :data:`CONTEXT` residues before and after a cut, padded with :data:`UNKNOWN`."""
    return left[-CONTEXT:].rjust(CONTEXT, UNKNOWN) + right[:CONTEXT].ljust(CONTEXT, UNKNOWN)


def _inner_edge(parent: str, child: str, k: int) -> tuple:
    """Kind, P1/P1′ and contexts of the cut(s) giving ``child`` at offset ``k`` of ``parent`` (as build_graph)."""
    end = k + len(child)
    n_cut, c_cut = k > 0, end < len(parent)
    terminal = not (n_cut and c_cut)
    kind = "exo" if terminal and len(parent) - len(child) == 1 else "endo_terminal" if terminal else "endo_internal"
    return (kind, parent[k - 1] if n_cut else None, child[0] if n_cut else None,
            child[-1] if c_cut else None, parent[end] if c_cut else None,
            _context(parent[:k], parent[k:]) if n_cut else None,
            _context(parent[:end], parent[end:]) if c_cut else None)


def _precursor_edge(child: str, n_flank, c_flank) -> tuple:
    """Kind, P1/P1′ and contexts of the cut(s) giving ``child`` from the unobserved precursor (flanks or ``X``)."""
    n_cut, c_cut = n_flank != "-", c_flank != "-"
    known = n_flank is not None and c_flank is not None
    kind = ("endo_internal" if n_cut and c_cut else "endo_terminal") if known else "unknown"
    before = n_flank or UNKNOWN
    after = c_flank or UNKNOWN
    return (kind, before if n_cut else None, child[0] if n_cut else None, child[-1] if c_cut else None,
            after if c_cut else None, _context(before, child) if n_cut else None,
            _context(child, after) if c_cut else None)


def _assemble(protein_id, seq, kept, start, end, edges, report) -> DegradationGraph:
    """Nodes (root first) and containment edges (closure or Hasse) of placed peptides."""
    length = end - start + 1
    ids = [protein_id] + list(kept)
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
