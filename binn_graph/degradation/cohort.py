"""Peptidome cohorts: the flow model fitted per sample and protein, and differential proteolysis between groups.

:func:`fit_cohort` builds one degradation graph per (sample, protein) with at least ``min_peptides`` distinct
quantified peptides and fits them all in batched calls of :func:`~binn_graph.degradation.fit` (their disjoint union
is one batch). A protein's graphs are built on one sequence shared by all samples: its FASTA sequence where given,
else the :func:`~binn_graph.degradation.graph.pseudo_sequence` of every sample's placed peptides (so P1/P1′
residues come from the peptides and their flanks, ``X`` where nothing shows them), and where neither exists the graph
comes from the peptides alone (:func:`~binn_graph.degradation.graph.build_graph_from_peptides`: containment, the
root an unobserved precursor). The batches (``batch_size`` graph nodes each) are tasks of
:func:`~binn_graph.parallel.run_tasks` (``n_jobs``; identical results for any ``n_jobs``), and ``device`` says where
the GD epochs run. Per sample × protein it reports:

* ``proteins``: hidden activity (total non-root inflow per unit of non-root abundance) of the fitted flow, with its
  feasible range over every mass-conserving flow (two LPs over the whole batch: the LP separates by graph, so one
  optimal solution is optimal for each graph);
* ``edges``: each edge's transition probability and flow (``inflow(source) · probability``, as a share of the
  protein's material);
* ``sites``: flow through each cut site (1-based position of the P1 residue; the bond is after it) by kind
  (``endo``/``exo``), with the P1 and P1′ residues;
* ``specificity``: flow-weighted residues at P4…P4′ of the cuts (the weights behind
  :func:`~binn_graph.degradation.cleavage_specificity`).

:func:`differential` compares two groups of samples per protein (hidden activity), per cut site (site flow) and per
residue and position (cleavage specificity, each sample's flow-weighted residue frequency over its proteins), with
Welch's t-test and Benjamini–Hochberg q-values; a protein's site p-values are combined by Simes' test (valid under
positive dependence) into ``site_p`` and ``site_q``.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import linprog

from kg.report import BuildReport

from ..errors import DataValidationError
from ..parallel import check_n_jobs, run_tasks
from ..training import resolve_device
from .flow import _batch, _lp_system, _observed, fit
from .graph import (
    DegradationGraph,
    build_graph,
    build_graph_from_peptides,
    build_graph_from_positions,
    pseudo_sequence,
)
from .specificity import POSITIONS

__all__ = ["CohortFit", "fit_cohort", "Differential", "differential", "benjamini_hochberg"]

_KEY = "@"  # graph id in a batch: protein@sample


@dataclass
class CohortFit:
    """Per-sample, per-protein flow fits of a peptidome cohort (see the module docstring for the tables)."""

    proteins: pd.DataFrame
    edges: pd.DataFrame
    sites: pd.DataFrame
    specificity: pd.DataFrame
    graphs: dict[tuple[str, str], DegradationGraph] = field(repr=False)
    observed: pd.DataFrame = field(repr=False)
    report: BuildReport = field(default_factory=BuildReport, repr=False)
    method: str = "gd"
    # seconds per step: build, fit and ranges (summed over batches), fit_and_ranges_wall, tables
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def samples(self) -> list[str]:
        """Samples with at least one fitted protein, in input order."""
        return list(dict.fromkeys(self.proteins["sample"]))


def _validate(peptidome: pd.DataFrame) -> None:
    if not isinstance(peptidome, pd.DataFrame):
        raise DataValidationError(f"peptidome must be a DataFrame (read_peptidome's output), not "
                                  f"{type(peptidome).__name__}")
    need = ["sample", "protein", "peptide", "area"]
    absent = [c for c in need if c not in peptidome.columns]
    if absent:
        raise DataValidationError(f"peptidome has no column(s) {absent}; expected read_peptidome's columns "
                                  f"(found {list(peptidome.columns)})")
    if peptidome.empty:
        raise DataValidationError("the peptidome has no rows")


def _quantified(peptidome: pd.DataFrame, report: BuildReport) -> pd.DataFrame:
    """Rows with an area > 0, forms summed per (sample, protein, peptide); each step reported."""
    table = peptidome.copy()
    for col in ("start", "end"):
        if col not in table.columns:
            table[col] = pd.NA
    area = pd.to_numeric(table["area"], errors="coerce")
    bad = ~np.isfinite(area.to_numpy(dtype=float)) & table["area"].notna().to_numpy()
    if bad.any() or (area < 0).any():
        raise DataValidationError("peptidome areas must be finite numbers ≥ 0 (linear scale)")
    zero = (area.fillna(0) <= 0).to_numpy()
    report.add("cohort", "dropped", "rows with no area or area 0 (identified, not quantified: not fitted)",
               int(zero.sum()))
    table = table[~zero]
    keys = ["sample", "protein", "peptide"]
    agg = table.groupby(keys, sort=False).agg(area=("area", "sum"), start=("start", "first"), end=("end", "first"),
                                              **({"n_flank": ("n_flank", "first"), "c_flank": ("c_flank", "first")}
                                                 if "n_flank" in table.columns else {})).reset_index()
    report.add("cohort", "collapsed", "rows of one peptide in one sample (forms) summed", len(table) - len(agg))
    return agg


def _sequences(table: pd.DataFrame, proteins, sequences: Mapping[str, str] | None) -> dict[str, str | None]:
    """Per protein the sequence the graphs are built on: the given one, else the pseudo-sequence of all samples'
    placed peptides; None where neither exists (some peptide without Start/End and no sequence given)."""
    out: dict[str, str | None] = {}
    placed = table.dropna(subset=["start", "end"])
    by_protein = dict(tuple(placed.groupby("protein", sort=False))) if len(placed) else {}
    n_rows = table.groupby("protein", sort=False).size()
    for protein in proteins:
        if sequences is not None and protein in sequences:
            out[protein] = sequences[protein]
            continue
        rows = by_protein.get(protein)
        if rows is None or len(rows) < n_rows[protein]:
            out[protein] = None
            continue
        rows = rows.drop_duplicates(["peptide", "start"])
        out[protein] = pseudo_sequence(rows["peptide"], rows["start"], rows["end"],
                                       n_flank=rows["n_flank"] if "n_flank" in rows else None,
                                       c_flank=rows["c_flank"] if "c_flank" in rows else None, protein_id=protein)
    return out


def fit_cohort(peptidome: pd.DataFrame, min_peptides: int = 20, *, sequences: Mapping[str, str] | None = None,
               method: str = "gd", edges: str = "closure", epochs: int = 1000, lr: float = 0.05, seed: int = 0,
               feasible_range: bool = True, batch_size: int = 5_000, n_jobs: int | None = None,
               device: str = "cpu") -> CohortFit:
    """Fit the flow model to every protein with ≥ ``min_peptides`` distinct quantified peptides in every sample.

    Parameters
    ----------
    peptidome:
        :func:`~binn_graph.degradation.read_peptidome`'s long table (``sample, protein, peptide, area`` and
        ``start``/``end`` or ``sequences``); rows with area 0 are not fitted, forms are summed (both reported).
    min_peptides:
        Fewest distinct quantified peptides of a protein in a sample for it to be fitted there.
    sequences:
        ``{accession: sequence}`` (e.g. :func:`~binn_graph.degradation.read_fasta`); needed for proteins whose
        peptides have no Start/End.
    method, edges, epochs, lr, seed:
        As :func:`~binn_graph.degradation.fit` and :func:`~binn_graph.degradation.build_graph`.
    feasible_range:
        Also compute each hidden activity's feasible range (two LPs over each batch).
    batch_size:
        Most graph nodes per batched fit (graphs are grouped in input order until the next would exceed it). The
        batches, not ``n_jobs``, fix the results: the same ``batch_size`` gives identical results for any ``n_jobs``.
    n_jobs:
        Batches fitted in parallel through :func:`~binn_graph.parallel.run_tasks` (scikit-learn's convention: None
        runs here unless a ``joblib.parallel_config`` says otherwise, ``k`` workers, ``-1`` every core); each batch
        gets the same ``seed`` as in the sequential run. A failing batch raises
        :class:`~binn_graph.parallel.ParallelTaskError` naming its samples and proteins.
    device:
        Where the GD epochs run (``"cpu"``, ``"cuda"``, ``"auto"``; see :func:`~binn_graph.degradation.fit`).

    Returns
    -------
    :class:`CohortFit`; ``report`` counts every row and (sample, protein) left out.
    """
    _validate(peptidome)
    if int(min_peptides) < 1:
        raise DataValidationError(f"min_peptides must be ≥ 1, not {min_peptides!r}")
    if method not in ("gd", "lp"):
        raise DataValidationError(f"method must be 'gd' or 'lp', not {method!r}")
    n_jobs = check_n_jobs(n_jobs)
    resolve_device(device)  # a bad or absent device is refused before any work
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise DataValidationError(f"batch_size must be a positive number of graph nodes, not {batch_size!r}")
    report = BuildReport()
    if "report" in peptidome.attrs:
        report.extend(peptidome.attrs["report"])
    table = _quantified(peptidome, report)
    counts = table.groupby(["sample", "protein"], sort=False).size()
    chosen = counts[counts >= int(min_peptides)]
    report.add("cohort", "dropped", f"(sample, protein) pairs with fewer than {min_peptides} quantified peptides",
               int((counts < int(min_peptides)).sum()))
    report.add("cohort", "kept", "(sample, protein) pairs fitted", len(chosen),
               reason=f"{chosen.index.get_level_values(0).nunique()} samples, "
                      f"{chosen.index.get_level_values(1).nunique()} proteins")
    all_samples = list(dict.fromkeys(peptidome["sample"]))
    idle = [s for s in all_samples if s not in set(chosen.index.get_level_values(0))]
    report.add("cohort", "note", f"samples with no protein of ≥ {min_peptides} quantified peptides", len(idle),
               examples=idle)
    if chosen.empty:
        raise DataValidationError(f"no protein has ≥ {min_peptides} quantified peptides in any sample (largest: "
                                  f"{int(counts.max()) if len(counts) else 0}); lower min_peptides")
    clock = {"build": -time.perf_counter()}
    table = table.set_index(["sample", "protein"]).loc[chosen.index].reset_index()
    seqs = _sequences(table, list(dict.fromkeys(chosen.index.get_level_values(1))), sequences)
    graphs, abundances, keys = [], [], []
    for (sample, protein), part in table.groupby(["sample", "protein"], sort=False):
        gid = f"{protein}{_KEY}{sample}"
        if seqs[protein] is None:
            g = build_graph_from_peptides(part["peptide"], gid, edges=edges,
                                          n_flank=part["n_flank"] if "n_flank" in part else None,
                                          c_flank=part["c_flank"] if "c_flank" in part else None)
        elif part["start"].notna().all():
            g = build_graph_from_positions(part["peptide"], part["start"], part["end"], gid,
                                           sequence=seqs[protein], edges=edges)
        else:
            g = build_graph(seqs[protein], part["peptide"], gid, edges=edges)
        graphs.append(g)
        abundances.append(part.set_index("peptide")["area"].reindex(g.peptides).dropna())
        keys.append((sample, protein))
        dropped = g.report.dropped()
        if dropped:
            report.add("cohort", "dropped", f"peptides of {protein} in {sample} not placed on its sequence",
                       sum(e.count for e in dropped), examples=[str(e) for e in dropped])
    clock["build"] += time.perf_counter()
    free = [p for p, seq in seqs.items() if seq is None]
    report.add("cohort", "note", "proteins without Start/End or a sequence: graphs from containment among their "
               "peptides (root = the unobserved precursor; cut sites have no position)", len(free), examples=free)
    spans = list(_chunks([len(g.nodes) for g in graphs], batch_size))
    ranged = feasible_range or method == "lp"
    tasks = [(graphs[a:b], abundances[a:b], method, epochs, lr, seed, ranged, device) for a, b in spans]
    names = [_chunk_name(keys[a:b], i, len(spans)) for i, (a, b) in enumerate(spans)]
    wall = time.perf_counter()
    done = run_tasks(_fit_chunk, tasks, n_jobs=n_jobs, star=True, names=names, desc="degradation fits",
                     unit="batch")
    clock["fit"] = sum(d[2] for d in done)  # summed over batches (worker time when n_jobs > 1)
    clock["ranges"] = sum(d[3] for d in done)
    clock["fit_and_ranges_wall"] = time.perf_counter() - wall
    fits = [(graphs[a:b], keys[a:b], d[0], d[1]) for (a, b), d in zip(spans, done)]
    clock["tables"] = -time.perf_counter()
    result = _collect(fits, graphs, keys, report, method)
    clock["tables"] += time.perf_counter()
    result.seconds = clock
    return result


def _chunk_name(keys: list[tuple[str, str]], index: int, total: int) -> str:
    """A batch's name for error messages: its position and its (sample, protein) pairs (the first few)."""
    shown = ", ".join(f"{sample}/{protein}" for sample, protein in keys[:4])
    more = f" and {len(keys) - 4} more" if len(keys) > 4 else ""
    return f"batch {index + 1} of {total} (sample/protein {shown}{more})"


def _fit_chunk(graphs: list[DegradationGraph], abundances: list[pd.Series], method: str, epochs: int, lr: float,
               seed: int, ranged: bool, device: str = "cpu"):
    """One batch of graphs (a task of :func:`~binn_graph.parallel.run_tasks`): the batched fit and, when
    ``ranged``, the feasible ranges; returns ``(fit, ranges, fit seconds, range seconds)``."""
    clock = time.perf_counter()
    f = fit(graphs if len(graphs) > 1 else graphs[0], abundances if len(graphs) > 1 else abundances[0], method,
            epochs=epochs, lr=lr, seed=seed, feasible_range=False, device=device)
    f.graphs = []  # the caller holds them; not sent back from a worker
    fit_s = time.perf_counter() - clock
    clock = time.perf_counter()
    ranges = _ranges(graphs, abundances) if ranged else None
    return f, ranges, fit_s, time.perf_counter() - clock


def _chunks(sizes: list[int], limit: int):
    start, total = 0, 0
    for i, n in enumerate(sizes):
        if total and total + n > limit:
            yield start, i
            start, total = i, 0
        total += n
    yield start, len(sizes)


def _ranges(graphs: list[DegradationGraph], abundances) -> np.ndarray:
    """Per graph (min, max) hidden activity over the mass-conserving flows: two LPs over the whole batch."""
    batch = _batch(graphs)
    y = _observed(graphs, abundances if len(graphs) > 1 else abundances[0])
    A, b = _lp_system(batch, y)
    ones = np.ones(A.shape[1])
    per_graph = []
    for sign in (1.0, -1.0):
        res = linprog(sign * ones, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        if res.status != 0:
            raise DataValidationError(f"the flow LP of a cohort batch failed: {res.message}")
        per_graph.append(np.bincount(batch.graph_of[batch.dst], res.x, minlength=len(graphs)))
    mass = np.bincount(batch.graph_of, y, minlength=len(graphs)) - y[batch.root]
    return np.column_stack(per_graph) / np.maximum(mass, 1e-300)[:, None]


def _collect(fits, graphs, keys, report, method) -> CohortFit:
    protein_frames, edge_frames, site_frames, spec_frames, observed = [], [], [], [], []
    for chunk, chunk_keys, f, ranges in fits:
        batch = _batch(chunk)
        n_graphs = len(chunk)
        sample = np.array([k[0] for k in chunk_keys], dtype=object)
        protein = np.array([k[1] for k in chunk_keys], dtype=object)
        obs, inflow, pred = f.observed.to_numpy(), f.inflow.to_numpy(), f.predicted.to_numpy()
        non_root = np.ones(len(obs), dtype=bool)
        non_root[batch.root] = False
        g_of = batch.graph_of
        per = lambda values: np.bincount(g_of, values, minlength=n_graphs)  # noqa: E731
        frame = pd.DataFrame({"sample": sample, "protein": protein, "n_peptides": per(non_root).astype(int),
                              "n_edges": np.bincount(g_of[batch.src], minlength=n_graphs),
                              "hidden_activity": per(inflow * non_root) / np.maximum(per(obs * non_root), 1e-300),
                              "hidden_activity_min": ranges[:, 0] if ranges is not None else np.nan,
                              "hidden_activity_max": ranges[:, 1] if ranges is not None else np.nan,
                              "loss": per((pred - obs) ** 2) / np.bincount(g_of, minlength=n_graphs),
                              "length": [len(g.sequence) if g.placed else np.nan for g in chunk]})
        protein_frames.append(frame)
        node_id = np.array([n for g in chunk for n in g.nodes["id"]], dtype=object)
        node_id[batch.root] = protein
        flow = f.flow.to_numpy()
        e_graph = g_of[batch.src]
        edge_frames.append(pd.DataFrame({"sample": sample[e_graph], "protein": protein[e_graph],
                                         "source": node_id[batch.src], "target": node_id[batch.dst],
                                         "kind": np.concatenate([g.edges["kind"].to_numpy() for g in chunk]),
                                         "probability": f.edge_probabilities["probability"].to_numpy(),
                                         "flow": flow}))
        placed = np.array([g.placed for g in chunk])
        start = np.concatenate([g.nodes["start"].to_numpy(dtype=float) for g in chunk])
        end = np.concatenate([g.nodes["end"].to_numpy(dtype=float) for g in chunk])
        positions = pd.array(start, dtype="Int64"), pd.array(end, dtype="Int64")  # missing: peptide-only graphs
        observed.append(pd.DataFrame({"sample": sample[g_of], "protein": protein[g_of], "peptide": node_id,
                                      "start": positions[0] if not placed.all() else start.astype(np.int64),
                                      "end": positions[1] if not placed.all() else end.astype(np.int64),
                                      "observed": obs, "inflow": inflow})[non_root])
        on_placed = placed[g_of[batch.src]]
        sites, spec = _site_tables(chunk, batch, np.nan_to_num(start).astype(np.int64),
                                   np.nan_to_num(end).astype(np.int64), np.where(on_placed, flow, 0.0), sample,
                                   protein)
        if not placed.all():
            free_sites, free_spec = _context_tables(chunk, batch, np.where(on_placed, 0.0, flow), sample, protein)
            sites, spec = pd.concat([sites, free_sites], ignore_index=True), pd.concat([spec, free_spec],
                                                                                       ignore_index=True)
        site_frames.append(sites)
        spec_frames.append(spec)
    return CohortFit(pd.concat(protein_frames, ignore_index=True), pd.concat(edge_frames, ignore_index=True),
                     pd.concat(site_frames, ignore_index=True), pd.concat(spec_frames, ignore_index=True),
                     dict(zip(keys, graphs)), pd.concat(observed, ignore_index=True), report, method)


def _site_tables(chunk, batch, start, end, flow, sample, protein):
    """Flow per cut site and kind, and the flow-weighted residues at P4…P4′, of a batch of fitted graphs.

    Same cuts as :func:`~binn_graph.degradation.specificity.cleavage_specificity`: an edge ``v → u`` cuts before
    ``u`` when their starts differ and after ``u`` when their ends differ; P4…P4′ are read inside the substrate ``v``.
    """
    lengths = np.array([len(g.sequence) for g in chunk])
    offset = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    seq = np.array(list("".join(g.sequence for g in chunk)), dtype=object)
    e_graph = batch.graph_of[batch.src]
    vs, ve = start[batch.src] - 1, end[batch.src]  # 0-based half-open substrate
    us, ue = start[batch.dst] - 1, end[batch.dst]
    exo = np.concatenate([g.edges["kind"].to_numpy() == "exo" for g in chunk])
    n_cut, c_cut = us != vs, ue != ve
    pick = lambda a: np.concatenate([a[n_cut], a[c_cut]])  # noqa: E731
    bond, lo, hi = np.concatenate([us[n_cut], ue[c_cut]]), pick(vs), pick(ve)
    graph, f = pick(e_graph), np.nan_to_num(pick(flow))
    kind = np.where(pick(exo), "exo", "endo")
    keep = f > 0
    bond, lo, hi, graph, f, kind = bond[keep], lo[keep], hi[keep], graph[keep], f[keep], kind[keep]
    base = offset[graph]
    sites = pd.DataFrame({"graph": graph, "site": bond, "kind": kind, "flow": f}) \
        .groupby(["graph", "site", "kind"], as_index=False, sort=True)["flow"].sum()
    g, s = sites["graph"].to_numpy(), sites["site"].to_numpy()
    sites.insert(0, "protein", protein[g])
    sites.insert(0, "sample", sample[g])
    sites["p1"] = seq[offset[g] + s - 1]
    sites["p1_prime"] = seq[offset[g] + np.minimum(s, lengths[g] - 1)]
    parts = []
    for p, shift in enumerate(range(-4, 4)):  # P4 … P1 = bond-4 … bond-1; P1′ … P4′ = bond … bond+3
        at = bond + shift
        ok = (at >= lo) & (at < hi)
        residue = seq[base + np.clip(at, 0, lengths[graph] - 1)]
        ok &= residue != "X"
        parts.append(pd.DataFrame({"graph": graph[ok], "kind": kind[ok], "position": POSITIONS[p],
                                   "residue": residue[ok], "weight": f[ok]}))
    return sites.drop(columns="graph"), _residue_weights(parts, sample, protein)


def _context_tables(chunk, batch, flow, sample, protein):
    """Sites and P4…P4′ weights of peptide-only graphs (no positions): each cut from its edge's ``n_context`` /
    ``c_context`` (read inside the substrate, ``X`` where unknown); ``site`` is missing, ``context`` names the cut."""
    e_graph = batch.graph_of[batch.src]
    kinds = np.concatenate([g.edges["kind"].to_numpy() for g in chunk])
    contexts = []
    for side in ("n_context", "c_context"):
        contexts.append(np.concatenate([g.edges[side].to_numpy(dtype=object) if side in g.edges
                                        else np.full(len(g.edges), None, dtype=object) for g in chunk]))
    context = np.concatenate(contexts)
    graph, f = np.concatenate([e_graph, e_graph]), np.nan_to_num(np.concatenate([flow, flow]))
    kind = np.where(np.concatenate([kinds, kinds]) == "exo", "exo", "endo")
    keep = (f > 0) & pd.notna(context)
    graph, f, kind, context = graph[keep], f[keep], kind[keep], context[keep].astype(str)
    sites = pd.DataFrame({"graph": graph, "context": context, "kind": kind, "flow": f}) \
        .groupby(["graph", "context", "kind"], as_index=False, sort=True)["flow"].sum()
    g = sites["graph"].to_numpy()
    sites = pd.DataFrame({"sample": sample[g], "protein": protein[g], "site": np.nan, "kind": sites["kind"],
                          "flow": sites["flow"], "p1": sites["context"].str[3], "p1_prime": sites["context"].str[4],
                          "context": sites["context"]})
    parts = []
    for p in range(len(POSITIONS)):
        residue = np.array([c[p] for c in context], dtype=object)
        ok = residue != "X"
        parts.append(pd.DataFrame({"graph": graph[ok], "kind": kind[ok], "position": POSITIONS[p],
                                   "residue": residue[ok], "weight": f[ok]}))
    return sites, _residue_weights(parts, sample, protein)


def _residue_weights(parts: list[pd.DataFrame], sample: np.ndarray, protein: np.ndarray) -> pd.DataFrame:
    """Flow-weighted residues summed per (graph, kind, position, residue), labelled by sample and protein."""
    spec = pd.concat(parts, ignore_index=True).groupby(["graph", "kind", "position", "residue"], as_index=False,
                                                       sort=False)["weight"].sum()
    gi = spec["graph"].to_numpy()
    spec.insert(0, "protein", protein[gi])
    spec.insert(0, "sample", sample[gi])
    return spec.drop(columns="graph")


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini–Hochberg q-values of p-values (NaN stays NaN and does not count)."""
    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if not len(ok):
        return q
    order = ok[np.argsort(p[ok])]
    m = len(order)
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q


def _welch(a: np.ndarray, b: np.ndarray):
    """Row-wise Welch t-test of ``a`` (n × k₁) against ``b`` (n × k₂), NaN = absent: (effect b − a, p, n_a, n_b)."""
    na, nb = (~np.isnan(a)).sum(1), (~np.isnan(b)).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows (absent in a group): NaN, untested
        ma, mb = np.nanmean(a, 1), np.nanmean(b, 1)
        va, vb = np.nanvar(a, 1, ddof=1), np.nanvar(b, 1, ddof=1)
        se2 = va / na + vb / nb
        t = (mb - ma) / np.sqrt(se2)
        df = se2 ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
        p = 2 * stats.t.sf(np.abs(t), df)
    p = np.where((na >= 2) & (nb >= 2), p, np.nan)
    p = np.where((se2 == 0) & (ma == mb), 1.0, p)  # identical constant groups: no difference
    return mb - ma, p, na, nb


@dataclass
class Differential:
    """Differential proteolysis between two groups: ``proteins``, ``sites`` and ``specificity`` tables with
    ``effect`` (mean of ``groups[1]`` − mean of ``groups[0]``), ``p`` (Welch) and ``q`` (Benjamini–Hochberg)."""

    proteins: pd.DataFrame
    sites: pd.DataFrame
    specificity: pd.DataFrame
    groups: tuple[str, str]
    samples: dict[str, list[str]]
    report: BuildReport = field(default_factory=BuildReport, repr=False)


def _group_of(cohort: CohortFit, groups, compare, min_size: int = 2) -> tuple[dict[str, str], tuple[str, str],
                                                                          BuildReport]:
    report = BuildReport()
    if isinstance(groups, pd.Series):
        groups = groups.to_dict()
    if not isinstance(groups, Mapping):
        raise DataValidationError("groups must map sample → group (a dict or a Series indexed by sample)")
    groups = {str(k): str(v) for k, v in groups.items()}
    samples = cohort.samples
    unlabelled = [s for s in samples if s not in groups]
    report.add("differential", "dropped", "fitted samples without a group label", len(unlabelled),
               examples=unlabelled)
    absent = [s for s in groups if s not in samples]
    report.add("differential", "note", "labelled samples with no fitted protein", len(absent), examples=absent)
    labels = list(dict.fromkeys(groups[s] for s in samples if s in groups))
    if compare is None:
        if len(labels) != 2:
            raise DataValidationError(f"the fitted samples fall in {len(labels)} group(s) {labels}; differential "
                                      "compares two: pass compare=(reference, other)")
        compare = (labels[0], labels[1])
    compare = (str(compare[0]), str(compare[1]))
    for label in compare:
        n = sum(groups.get(s) == label for s in samples)
        if n < min_size:
            raise DataValidationError(f"group {label!r} has {n} fitted sample(s); a test needs at least 2 per group "
                                      f"(groups: {labels})" if min_size >= 2 else
                                      f"group {label!r} has no fitted sample (groups: {labels})")
    return groups, compare, report


def differential(cohort_fit: CohortFit, groups, *, compare: tuple[str, str] | None = None,
                 min_samples: int = 2) -> Differential:
    """Compare two groups of samples per protein, cut site and cleavage-specificity residue (module docstring).

    Parameters
    ----------
    cohort_fit:
        :func:`fit_cohort`'s result.
    groups:
        ``{sample: group}`` (or a Series); samples without a label are left out and reported.
    compare:
        ``(reference, other)`` group labels; needed when there are more than two. Effects are other − reference.
    min_samples:
        Fewest samples per group in which a protein was fitted for it (and its sites) to be tested (≥ 2).

    Returns
    -------
    :class:`Differential`. ``proteins``: one row per protein fitted in both groups (``effect``, ``p``, ``q`` of the
    hidden activity; ``site_p``/``site_q``: Simes' combination of its site p-values; ``n_sites``, ``n_sites_q05``,
    ``top_site``). ``sites``: one row per (protein, site) with the mean flow per group. ``specificity``: one row per
    (kind, position, residue). Untested rows (too few samples) have NaN p and q.
    """
    if not isinstance(cohort_fit, CohortFit):
        raise DataValidationError(f"differential needs a CohortFit (fit_cohort's result), not "
                                  f"{type(cohort_fit).__name__}")
    if int(min_samples) < 2:
        raise DataValidationError(f"min_samples must be ≥ 2 (a variance needs two samples), not {min_samples!r}")
    labels, (ref, other), report = _group_of(cohort_fit, groups, compare)
    members = {g: [s for s in cohort_fit.samples if labels.get(s) == g] for g in (ref, other)}
    sa, sb = members[ref], members[other]
    hidden = cohort_fit.proteins.pivot_table(index="protein", columns="sample", values="hidden_activity")
    fitted = hidden.notna()
    effect, p, na, nb = _welch(hidden.reindex(columns=sa).to_numpy(), hidden.reindex(columns=sb).to_numpy())
    proteins = pd.DataFrame({"protein": hidden.index, f"n_{ref}": na, f"n_{other}": nb,
                             f"mean_{ref}": hidden.reindex(columns=sa).mean(1).to_numpy(),
                             f"mean_{other}": hidden.reindex(columns=sb).mean(1).to_numpy(), "effect": effect, "p": p})
    enough = (na >= min_samples) & (nb >= min_samples)
    proteins.loc[~enough, "p"] = np.nan
    proteins["q"] = benjamini_hochberg(proteins["p"])
    report.add("differential", "note", f"proteins fitted in fewer than {min_samples} samples of a group (untested)",
               int((~enough).sum()))
    unplaced = cohort_fit.sites["site"].isna()
    report.add("differential", "note", "cut sites of proteins without positions (peptide-only graphs): not tested "
               "per site, as nothing places them on the protein to match them across samples; they count in hidden "
               "activity and specificity", int(cohort_fit.sites.loc[unplaced, ["protein", "context"]]
                                               .drop_duplicates().shape[0]) if unplaced.any() else 0)
    site_flow = cohort_fit.sites[~unplaced].groupby(["protein", "site", "sample"])["flow"].sum().unstack("sample")
    site_flow = site_flow.reindex(columns=sa + sb)
    residues = cohort_fit.sites[~unplaced].drop_duplicates(["protein", "site"]).set_index(["protein", "site"])[["p1", "p1_prime"]]
    present = fitted.reindex(index=site_flow.index.get_level_values("protein"), columns=sa + sb,
                             fill_value=False).to_numpy()
    values = np.where(present, site_flow.fillna(0.0).to_numpy(), np.nan)  # fitted but not cut there: 0
    s_effect, s_p, s_na, s_nb = _welch(values[:, :len(sa)], values[:, len(sa):])
    s_ok = (s_na >= min_samples) & (s_nb >= min_samples)
    s_p = np.where(s_ok, s_p, np.nan)
    sites = pd.DataFrame({"protein": site_flow.index.get_level_values("protein"),
                          "site": site_flow.index.get_level_values("site")})
    sites = sites.join(residues, on=["protein", "site"])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sites[f"mean_{ref}"] = np.nanmean(values[:, :len(sa)], 1) if len(values) else []
        sites[f"mean_{other}"] = np.nanmean(values[:, len(sa):], 1) if len(values) else []
    sites["effect"], sites["p"] = s_effect, s_p
    sites["q"] = benjamini_hochberg(s_p)
    proteins = proteins.merge(_simes(sites), on="protein", how="left")
    proteins["site_q"] = benjamini_hochberg(proteins["site_p"])
    spec = _specificity_test(cohort_fit, sa, sb, (ref, other))
    return Differential(proteins.sort_values("p", na_position="last").reset_index(drop=True),
                        sites.sort_values("p", na_position="last").reset_index(drop=True), spec, (ref, other),
                        members, report)


def _simes(sites: pd.DataFrame) -> pd.DataFrame:
    """Per protein: Simes' combined p over its tested sites, the number of sites, of sites with q < 0.05, the top."""
    tested = sites.dropna(subset=["p"]).sort_values(["protein", "p"])
    if tested.empty:
        return pd.DataFrame(columns=["protein", "site_p", "n_sites", "n_sites_q05", "top_site"])
    rank = tested.groupby("protein").cumcount().to_numpy() + 1
    m = tested.groupby("protein")["p"].transform("size").to_numpy()
    tested = tested.assign(simes=tested["p"].to_numpy() * m / rank)
    out = tested.groupby("protein").agg(site_p=("simes", "min"), n_sites=("p", "size"),
                                        n_sites_q05=("q", lambda q: int((q < 0.05).sum())), top_site=("site", "first"))
    return out.reset_index()


def _specificity_test(cohort: CohortFit, sa: list[str], sb: list[str], names: tuple[str, str]) -> pd.DataFrame:
    """Per (kind, position, residue): each sample's flow-weighted residue frequency over its proteins, tested."""
    spec = cohort.specificity.groupby(["kind", "position", "residue", "sample"])["weight"].sum().unstack("sample")
    spec = spec.reindex(columns=sa + sb)
    total = spec.groupby(level=["kind", "position"]).transform("sum")
    freq = (spec / total.where(total > 0)).to_numpy()
    present = (total > 0).to_numpy()
    freq = np.where(present, np.nan_to_num(freq), np.nan)
    effect, p, _, _ = _welch(freq[:, :len(sa)], freq[:, len(sa):])
    out = spec.index.to_frame(index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a kind with no cut in a group: NaN
        out[f"mean_{names[0]}"] = np.nanmean(freq[:, :len(sa)], 1)
        out[f"mean_{names[1]}"] = np.nanmean(freq[:, len(sa):], 1)
    out["effect"], out["p"] = effect, p
    out["q"] = benjamini_hochberg(p)
    return out.sort_values("p", na_position="last").reset_index(drop=True)
