"""A stochastic proteolysis simulator whose answer is a degradation graph with known transition probabilities.

Model (one protein; units are molecules):

1. The pool starts with ``n_copies`` intact molecules (default ``n_events``).
2. Each event is exo with probability ``enzyme.exo``, endo otherwise.
3. **Endo**: a molecule ``v`` is drawn with probability ∝ ``count(v) · Σ bond weights inside v`` (a molecule with
   more and better sites is cut more often); a bond is drawn ∝ its weight (:meth:`Enzyme.bond_weights`). With
   probability ``p_double`` a second bond is drawn ∝ ``weight · g(|distance|)`` (``g`` the length density below),
   giving three pieces, otherwise two. One piece is drawn uniformly as the product.
4. **Exo**: a molecule is drawn ∝ its count and loses its N- or C-terminal residue (probability ½ each).
5. **Detection filter**: the product is kept only if ``min_length ≤ length ≤ max_length`` and, with
   ``detection="gamma"``, with probability ``g(length) / max g``, ``g`` the gamma density of observed peptide lengths
   (shape 1.438, loc 6.776, scale 4.564: the in-vitro fit of Hartman et al. 2026). A rejected event changes nothing.
6. A kept event moves one unit ``v → u``: ``count(v) −= 1``, ``count(u) += 1``; the other pieces leave the
   observable pool. This is the flow model's unit conservation, so the empirical chain is exact:
   ``w(v, u) = transitions(v → u) / (count(v) + Σ_u transitions(v → u))`` and the forward pass of these weights
   reproduces the final counts divided by ``n_copies``.

The loop stops after ``n_events`` kept events (or ``50 · n_events`` attempts).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
from scipy.stats import gamma

from kg.report import BuildReport

from ..errors import DataValidationError
from .enzyme import ENZYMES, Enzyme
from .graph import DegradationGraph, _check_sequence, _edge_table

__all__ = ["simulate", "simulate_cohort", "observed_peptides", "LENGTH_DENSITY"]

LENGTH_DENSITY = {"vitro": (1.438, 6.776, 4.564), "vivo": (1.915, 6.463, 4.557)}  # gamma (shape, loc, scale)


def _pick(rng: np.random.Generator, weights: np.ndarray) -> int:
    cum = np.cumsum(weights)
    return int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))


class _Pool:
    """Species (start, end) with counts, as growing arrays; bond-weight prefix sums give each species' site load."""

    def __init__(self, n: int, n_copies: int, bond_cum: np.ndarray):
        self.start, self.end, self.count = [0], [n], [float(n_copies)]  # 0-based half-open
        self.index = {(0, n): 0}
        self.bond_cum = bond_cum
        self.load = [self._load(0, n)]
        self.transitions: dict[tuple[int, int], int] = {}

    def _load(self, s: int, e: int) -> float:
        return float(self.bond_cum[e - 1] - self.bond_cum[s]) if e - s > 1 else 0.0

    def move(self, v: int, s: int, e: int) -> None:
        u = self.index.get((s, e))
        if u is None:
            u = len(self.start)
            self.index[(s, e)] = u
            self.start.append(s)
            self.end.append(e)
            self.count.append(0.0)
            self.load.append(self._load(s, e))
        self.count[v] -= 1
        self.count[u] += 1
        self.transitions[(v, u)] = self.transitions.get((v, u), 0) + 1


def _simulate_one(sequence: str, enzyme: Enzyme, n_events: int, rng: np.random.Generator, *, n_copies: int | None,
                  p_double: float, min_length: int, max_length: int | None, detection: str | None,
                  protein_id: str):
    n = len(sequence)
    bonds = enzyme.bond_weights(sequence)
    bond_cum = np.concatenate([[0.0], np.cumsum(bonds)])  # bond_cum[i] = Σ bonds[:i]
    pool = _Pool(n, n_copies or n_events, bond_cum)
    max_length = max_length or n
    if detection is not None:
        shape, loc, scale = LENGTH_DENSITY[detection]
        density = gamma(a=shape, loc=loc, scale=scale).pdf(np.arange(n + 1))
        accept = density / density.max()
    else:
        accept = np.ones(n + 1)
    accept[:min_length] = 0.0
    accept[max_length + 1:] = 0.0
    shape, loc, scale = LENGTH_DENSITY["vitro"]  # the spacing of a two-cut event follows the peptide lengths
    spacing = gamma(a=shape, loc=loc, scale=scale).pdf(np.arange(n + 1)) + 1e-12
    kept = attempts = 0
    exo_draws = rng.random(50 * n_events)
    while kept < n_events and attempts < 50 * n_events:
        is_exo = exo_draws[attempts] < enzyme.exo
        attempts += 1
        count = np.asarray(pool.count)
        if is_exo:
            weights = count
        else:
            weights = count * np.asarray(pool.load)
        if weights.sum() <= 0:
            continue
        v = _pick(rng, weights)
        s, e = pool.start[v], pool.end[v]
        if is_exo:
            piece = (s + 1, e) if rng.random() < 0.5 else (s, e - 1)
        else:
            local = bonds[s:e - 1]  # bond after residue i, for i in [s, e - 1)
            cut = s + 1 + _pick(rng, local)  # cut position: pieces [s, cut) and [cut, e)
            if rng.random() < p_double:
                second = local * spacing[np.abs(np.arange(s + 1, e) - cut)]
                second[cut - s - 1] = 0.0
                if second.sum() > 0:
                    cut2 = s + 1 + _pick(rng, second)
                    a, b = sorted((cut, cut2))
                    pieces = [(s, a), (a, b), (b, e)]
                else:
                    pieces = [(s, cut), (cut, e)]
            else:
                pieces = [(s, cut), (cut, e)]
            piece = pieces[int(rng.integers(len(pieces)))]
        length = piece[1] - piece[0]
        if length <= 0 or rng.random() >= accept[length]:
            continue
        pool.move(v, *piece)
        kept += 1
    return _as_graph(sequence, pool, protein_id, kept, attempts, n_events)


def _as_graph(sequence: str, pool: _Pool, protein_id: str, kept: int, attempts: int, n_events: int):
    start = np.asarray(pool.start) + 1  # 1-based inclusive
    end = np.asarray(pool.end)
    count = np.asarray(pool.count)
    peptides = [sequence[s - 1:e] for s, e in zip(start, end)]
    ids = [protein_id] + peptides[1:]
    seen: dict[str, int] = {}
    for i, p in enumerate(ids):  # the same sequence at two places: keep them apart
        if p in seen:
            ids[i] = f"{p}@{start[i]}"
        seen[p] = i
    nodes = pd.DataFrame({"id": ids, "start": start, "end": end, "length": end - start + 1,
                          "is_root": [True] + [False] * (len(ids) - 1)})
    pairs = np.array(sorted(pool.transitions), dtype=np.int64).reshape(-1, 2)
    src, dst = pairs[:, 0], pairs[:, 1]
    moved = np.array([pool.transitions[(a, b)] for a, b in pairs.tolist()], dtype=float)
    throughput = count.copy()
    np.add.at(throughput, src, moved)
    table = _edge_table(sequence, start, end, src, dst)
    table.insert(0, "target", np.asarray(ids, dtype=object)[dst])
    table.insert(0, "source", np.asarray(ids, dtype=object)[src])
    table["count"] = moved.astype(np.int64)
    table["probability"] = moved / throughput[src]
    report = BuildReport()
    report.add("simulation", "kept", "events", kept)
    report.add("simulation", "dropped", "events rejected by the length/detection filter", attempts - kept)
    if kept < n_events:
        report.add("simulation", "note", f"stopped after {attempts} attempts with {kept} of {n_events} events", 1)
    graph = DegradationGraph(protein_id, sequence, nodes, table.reset_index(drop=True), "simulated", report)
    abundances = pd.Series(count, index=pd.Index(ids, name="node"), name="count")
    return abundances, graph


def simulate(sequence: str | Mapping[str, str], enzyme: Enzyme | str, n_events: int = 500, *, seed: int = 0,
             n_copies: int | None = None, p_double: float = 0.5, min_length: int = 6, max_length: int | None = 50,
             detection: str | None = "vitro", protein_id: str = "protein"):
    """Simulate a digest; see the module docstring for the model.

    Parameters
    ----------
    sequence:
        One protein sequence, or ``{protein id: sequence}`` for a proteome run.
    enzyme:
        An :class:`Enzyme` or a preset name (``trypsin``, ``chymotrypsin``, ``elastase``, ``pepsin``, ``glu-c``).
    n_events:
        Kept (detected) cleavage events per protein.
    seed:
        Seed of the random generator; a proteome run spawns one independent stream per protein.
    p_double, min_length, max_length, detection:
        Probability of a two-cut (internal) event; length filter (residues); ``"vitro"``, ``"vivo"`` or None.

    Returns
    -------
    ``(abundances, graph)``: final molecule counts (Series by node id, root included; they sum to ``n_copies``) and
    the true :class:`DegradationGraph` whose edges carry ``count`` and the true ``probability``. A proteome run
    returns two dicts keyed by protein id.
    """
    if isinstance(enzyme, str):
        if enzyme.lower() not in ENZYMES:
            raise DataValidationError(f"unknown enzyme {enzyme!r}; presets: {sorted(ENZYMES)}")
        enzyme = ENZYMES[enzyme.lower()]
    if int(n_events) < 1:
        raise DataValidationError(f"n_events must be ≥ 1, not {n_events!r}")
    if not 0.0 <= p_double <= 1.0:
        raise DataValidationError(f"p_double must be in [0, 1], not {p_double!r}")
    if detection not in (None, "vitro", "vivo"):
        raise DataValidationError(f"detection must be 'vitro', 'vivo' or None, not {detection!r}")
    options = dict(n_copies=n_copies, p_double=p_double, min_length=int(min_length), max_length=max_length,
                   detection=detection)
    if isinstance(sequence, Mapping):
        streams = np.random.SeedSequence(seed).spawn(len(sequence))
        abundances, graphs = {}, {}
        for (pid, seq), stream in zip(sequence.items(), streams):
            checked = _check_sequence(seq, f"sequence of {pid}")
            abundances[pid], graphs[pid] = _simulate_one(checked, enzyme, int(n_events), np.random.default_rng(stream),
                                                         protein_id=str(pid), **options)
        return abundances, graphs
    checked = _check_sequence(sequence, f"sequence of {protein_id}")
    return _simulate_one(checked, enzyme, int(n_events), np.random.default_rng(seed), protein_id=protein_id, **options)


def observed_peptides(abundances: pd.Series, protein_id: str, sequence: str | None = None) -> pd.Series:
    """What an experiment sees of a simulated digest: peptides with a count > 0, keyed by sequence.

    A sequence simulated at two places (ids ``SEQ@start``) is summed. The intact protein left over is left out,
    unless its ``sequence`` is given: then it is kept, keyed by that sequence, as a peptide table lists a
    full-length small protein (``build_graph`` makes it the root).
    """
    seen = abundances[(abundances > 0) & (abundances.index != protein_id)]
    seen = seen.groupby(seen.index.str.split("@").str[0]).sum()
    if sequence is None or abundances.get(protein_id, 0) <= 0:
        return seen
    intact = _check_sequence(sequence, f"sequence of {protein_id}")
    return pd.concat([pd.Series({intact: abundances[protein_id]}), seen]).rename(abundances.name)


def simulate_cohort(sequences: Mapping[str, str], enzymes: Mapping[str, Enzyme | str], n_samples: int = 4,
                    n_events: int = 300, *, seed: int = 0, **options) -> tuple[pd.DataFrame, dict[str, str]]:
    """A simulated peptidome cohort: ``n_samples`` digests of every protein per group, each group with its enzyme.

    ``enzymes`` maps a group label to its protease (an :class:`Enzyme`, e.g. a mixture with extra P1 weights, or a
    preset name); every sample draws its own random stream (``seed`` spawns them). ``options`` go to
    :func:`simulate`. Returns ``(peptidome, groups)``: a long table like
    :func:`~binn_graph.degradation.read_peptidome`'s (``sample, protein, peptide, modified, start, end, area,
    n_flank, c_flank, shared``; area = final molecule count, peptides with a count > 0, the intact protein left out)
    and ``{sample: group}``.
    """
    if int(n_samples) < 1:
        raise DataValidationError(f"n_samples must be ≥ 1, not {n_samples!r}")
    streams = iter(np.random.SeedSequence(seed).spawn(len(enzymes) * int(n_samples)))
    frames, groups = [], {}
    for group, enzyme in enzymes.items():
        for i in range(int(n_samples)):
            sample = f"{group}_{i + 1}"
            groups[sample] = str(group)
            counts, graphs = simulate(dict(sequences), enzyme, n_events,
                                      seed=int(next(streams).generate_state(1)[0]), **options)
            for protein, g in graphs.items():
                nodes = g.nodes[~g.nodes["is_root"]].assign(area=counts[protein].reindex(g.nodes["id"]).to_numpy()[
                    ~g.nodes["is_root"].to_numpy()])
                nodes = nodes[nodes["area"] > 0]
                seq = g.sequence
                peptides = [seq[s - 1:e] for s, e in zip(nodes["start"], nodes["end"])]
                frames.append(pd.DataFrame({
                    "sample": sample, "protein": protein, "peptide": peptides, "modified": peptides,
                    "start": nodes["start"].to_numpy(), "end": nodes["end"].to_numpy(),
                    "area": nodes["area"].to_numpy(dtype=float),
                    "n_flank": [seq[s - 2] if s > 1 else "-" for s in nodes["start"]],
                    "c_flank": [seq[e] if e < len(seq) else "-" for e in nodes["end"]], "shared": False}))
    table = pd.concat(frames, ignore_index=True)
    return table.groupby(["sample", "protein", "peptide"], as_index=False, sort=False).agg(
        modified=("modified", "first"), start=("start", "first"), end=("end", "first"), area=("area", "sum"),
        n_flank=("n_flank", "first"), c_flank=("c_flank", "first"), shared=("shared", "first")), groups
