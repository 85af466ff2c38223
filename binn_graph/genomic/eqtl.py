"""Vectorised eQTL mapping: every SNP against every gene's expression, then top-k or FDR selection per gene.

For each SNP j and gene g the linear model ``expression_g = a + β·dosage_j (+ covariates) + ε`` is tested through
the Pearson correlation of the covariate-residualised vectors (the Matrix eQTL approach, Shabalin 2012):
``t = r·√(df / (1 − r²))`` with ``df = n − 2 − n_covariates``, two-sided ``p`` from Student's t, ``β = r·s_g/s_j``
and Benjamini–Hochberg ``q`` over all tests (from one sort of ``|r|``, which orders the p-values). The correlation
matrix is computed in SNP chunks by one matrix product each (no per-SNP loop).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from kg import KnowledgeGraph

from ..errors import DataValidationError
from .data import align_samples

__all__ = ["map_eqtl", "eqtl_graph"]


def _residualise(values: np.ndarray, covariates: np.ndarray | None) -> np.ndarray:
    values = values - values.mean(axis=0)
    if covariates is None or covariates.shape[1] == 0:
        return values
    c = covariates - covariates.mean(axis=0)
    coef, *_ = np.linalg.lstsq(c, values, rcond=None)
    return values - c @ coef


def _p_from_r(abs_r: np.ndarray, df: int) -> np.ndarray:
    """Two-sided Student-t p-value of a correlation ``|r|`` with ``df`` degrees of freedom."""
    r2 = abs_r.astype(np.float64) ** 2
    t = np.sqrt(df * r2 / np.maximum(1.0 - r2, 1e-300))
    return 2.0 * special.stdtr(df, -t)


def map_eqtl(genotypes: pd.DataFrame, expression: pd.DataFrame, *, top_k: int | None = 20, fdr: float | None = None,
             covariates: pd.DataFrame | None = None, chunk_size: int = 8192) -> pd.DataFrame:
    """Associate every SNP with every gene and keep, per gene, the ``top_k`` strongest (and/or those with q ≤ fdr).

    Parameters
    ----------
    genotypes:
        Samples × SNPs dosages (0/1/2; see :func:`check_genotypes`).
    expression:
        Samples × genes expression (any continuous scale). Samples are joined by id with ``genotypes``.
    top_k, fdr:
        Selection per gene: the ``top_k`` SNPs by ``|r|`` (None = no limit), among those with BH ``q ≤ fdr`` when given.
    covariates:
        Samples × covariates regressed out of both sides.

    Returns
    -------
    DataFrame ``snp``, ``gene``, ``beta`` (expression units per allele), ``r``, ``t``, ``p``, ``q``, ``rank`` (1 =
    strongest for that gene), sorted by gene then rank.
    """
    if top_k is None and fdr is None:
        raise DataValidationError("choose a selection: top_k=, fdr= or both")
    if top_k is not None and top_k < 1:
        raise DataValidationError(f"top_k must be ≥ 1, not {top_k}")
    tables = {"genotypes": genotypes, "expression": expression}
    if covariates is not None:
        tables["covariates"] = covariates
    aligned, report = align_samples(**tables)
    n = len(aligned["genotypes"])
    n_cov = 0 if covariates is None else aligned["covariates"].shape[1]
    df = n - 2 - n_cov
    if df < 1:
        raise DataValidationError(f"{n} shared samples are too few for {n_cov} covariates")
    cov = None if covariates is None else aligned["covariates"].to_numpy(dtype=np.float64)
    E = _residualise(aligned["expression"].to_numpy(dtype=np.float64), cov)
    if np.isnan(E).any():
        raise DataValidationError("expression holds missing values; impute or drop them before eQTL mapping")
    e_sd = np.sqrt((E * E).sum(axis=0))
    flat_genes = aligned["expression"].columns[e_sd == 0]
    if len(flat_genes):
        raise DataValidationError(f"{len(flat_genes)} gene(s) have constant expression, e.g. {list(flat_genes[:3])}")
    En = (E / e_sd).astype(np.float32)
    G_all = aligned["genotypes"]
    if G_all.isna().to_numpy().any():
        raise DataValidationError("genotypes hold missing dosages; run check_genotypes first (it imputes them)")
    n_snps, n_genes = G_all.shape[1], En.shape[1]
    r = np.empty((n_snps, n_genes), dtype=np.float32)
    g_sd = np.empty(n_snps)
    values = G_all.to_numpy()
    for a in range(0, n_snps, chunk_size):
        G = _residualise(values[:, a:a + chunk_size].astype(np.float64), cov)
        sd = np.sqrt((G * G).sum(axis=0))
        g_sd[a:a + chunk_size] = sd
        with np.errstate(divide="ignore", invalid="ignore"):
            r[a:a + chunk_size] = (G / sd).astype(np.float32).T @ En
    mono = g_sd == 0
    if mono.any():
        raise DataValidationError(f"{int(mono.sum())} monomorphic SNP(s), e.g. {list(G_all.columns[mono][:3])}; "
                                  "run check_genotypes first (it drops them)")
    np.clip(r, -1.0, 1.0, out=r)
    abs_r = np.abs(r)
    # BH over all tests without a p-value per test in memory order: p is a decreasing function of |r| (df is fixed),
    # so one float32 sort of |r| gives the p-value order; q at rank k is min_{j ≥ k} p_(j)·m/j.
    m = abs_r.size
    ranked = np.sort(abs_r, axis=None)[::-1]
    p_ranked = _p_from_r(ranked, df)
    q_ranked = np.minimum.accumulate((p_ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    np.minimum(q_ranked, 1.0, out=q_ranked)
    ascending = ranked[::-1]
    score = abs_r
    if fdr is not None:
        passing = np.flatnonzero(q_ranked <= fdr)
        cutoff = ranked[passing[-1]] if len(passing) else np.inf
        score = np.where(abs_r >= cutoff, abs_r, -1.0)
    k = n_snps if top_k is None else min(top_k, n_snps)
    top = np.argpartition(-score, k - 1, axis=0)[:k] if k < n_snps else np.tile(np.arange(n_snps)[:, None],
                                                                                (1, n_genes))
    gene_idx = np.broadcast_to(np.arange(n_genes), top.shape)
    keep = score[top, gene_idx] >= 0
    snp_i, gene_i = top[keep], gene_idx[keep]
    r_sel = r[snp_i, gene_i]
    rank = m - np.searchsorted(ascending, np.abs(r_sel), side="left")  # 1-based rank (ties: the last)
    r2 = r_sel.astype(np.float64) ** 2
    t_sel = np.sqrt(df * r2 / np.maximum(1.0 - r2, 1e-300)) * np.sign(r_sel)
    sd_e = e_sd / np.sqrt(n - 1)
    sd_g = g_sd / np.sqrt(n - 1)
    out = pd.DataFrame({"snp": G_all.columns.to_numpy()[snp_i], "gene": aligned["expression"].columns.to_numpy()[gene_i],
                        "beta": r_sel * sd_e[gene_i] / sd_g[snp_i], "r": r_sel, "t": t_sel,
                        "p": _p_from_r(np.abs(r_sel), df), "q": q_ranked[rank - 1]})
    out["rank"] = out.groupby("gene")["r"].transform(lambda s: s.abs().rank(ascending=False, method="first"))
    out["rank"] = out["rank"].astype(np.int64)
    out = out.sort_values(["gene", "rank"], kind="stable").reset_index(drop=True)
    out.attrs["report"] = report
    return out


def eqtl_graph(table: pd.DataFrame, *, database: str = "eqtl_mapping") -> KnowledgeGraph:
    """``("snp", "affects", "gene")`` edges (with ``beta``, ``p``, ``q``) from :func:`map_eqtl`'s table."""
    missing = {"snp", "gene"} - set(table.columns)
    if missing:
        raise DataValidationError(f"eQTL table lacks column(s) {sorted(missing)}")
    g = KnowledgeGraph()
    g.add_nodes("snp", pd.unique(table["snp"]), database=database)
    g.add_nodes("gene", pd.unique(table["gene"]), database=database)
    attrs = {c: table[c].to_numpy() for c in ("beta", "p", "q") if c in table.columns}
    g.add_edges(("snp", "affects", "gene"), table["snp"], table["gene"], database=database, **attrs)
    return g
