"""SNP → gene edges from eQTL association tables or from genomic position windows.

eQTL tables (GTEx ``*.signif_variant_gene_pairs.txt.gz`` / ``egenes`` style):
tab-separated with a header; by default the columns ``variant_id``,
``gene_id``, ``pval_nominal`` and ``slope`` are used (all configurable).
Each kept row becomes ``(snp, affects, gene)`` with ``weight`` = effect
(slope) and ``p_value``. Rows failing the p-value or effect filters, or beyond
``top_k`` per gene, are counted in the report. GTEx gene versions
(``ENSG….5``) are stripped by default so ids match other sources.

Position windows: a SNP affects a gene when it lies within ``window`` bp of the
gene body (``[start − window, end + window]``, 1-based inclusive). SNP
positions come from a PLINK ``.bim`` file or a table with ``snp, chrom, pos``;
genes from a BED file (0-based half-open, converted) or a GTF (``gene``
features, ``gene_id`` attribute). The join is vectorised per chromosome with
:func:`numpy.searchsorted`.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputFormatError
from ..graph import KnowledgeGraph
from ..readers import check_nonempty, line_of, read_table, read_text, set_lines

__all__ = ["load", "load_windows", "read_snp_positions", "read_gene_coordinates"]

_VERSION = re.compile(r"\.\d+$")


def _numeric(frame: pd.DataFrame, column: str, path) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & (frame[column].str.upper() != "NA") & (frame[column] != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFormatError(f"column {column!r} holds {frame[column].iloc[row]!r}, expected a number (or NA); "
                               "check that the column order matches the header", path=path,
                               line=line_of(frame, row))
    return values.to_numpy(dtype="float64")


def load(
    path: str | PathLike,
    *,
    max_pvalue: float = 1.0,
    min_abs_effect: float = 0.0,
    top_k: int | None = None,
    snp_col: str = "variant_id",
    gene_col: str = "gene_id",
    pvalue_col: str = "pval_nominal",
    effect_col: str | None = "slope",
    strip_gene_version: bool = True,
    sep: str = "\t",
    database: str = "eqtl",
) -> KnowledgeGraph:
    """Load an eQTL association table (see the module docstring).

    Parameters
    ----------
    max_pvalue:
        Keep associations with p ≤ this.
    min_abs_effect:
        Keep associations with ``|effect|`` ≥ this (needs ``effect_col``).
    top_k:
        Keep at most this many SNPs per gene, smallest p first (ties by ``|effect|``).
    """
    required = [snp_col, gene_col, pvalue_col] + ([effect_col] if effect_col else [])
    frame = read_table(path, header=True, sep=sep, required=required, what="eQTL association table")
    check_nonempty(frame, [snp_col, gene_col], path, "eQTL association table")
    p = _numeric(frame, pvalue_col, path)
    if ((p < 0) | (p > 1)).any():
        row = int(np.flatnonzero((p < 0) | (p > 1))[0])
        raise InputFormatError(f"p-value {p[row]} is outside [0, 1]; is pvalue_col={pvalue_col!r} the right "
                               "column (not a -log10 p-value)?", path=path, line=line_of(frame, row))
    effect = _numeric(frame, effect_col, path) if effect_col else np.full(len(frame), np.nan)
    genes = frame[gene_col].str.replace(_VERSION, "", regex=True) if strip_gene_version else frame[gene_col]
    table = pd.DataFrame({"snp": frame[snp_col], "gene": genes, "p_value": p, "weight": effect})
    g = KnowledgeGraph()
    g.report.add(database, "read", "association rows", len(table), path=path)
    missing = np.isnan(p)
    g.report.add(database, "dropped", "rows with a missing p-value", int(missing.sum()), path=path)
    keep = ~missing & (p <= max_pvalue)
    g.report.add(database, "dropped", f"rows with p > {max_pvalue}", int((~missing & (p > max_pvalue)).sum()),
                 path=path)
    if min_abs_effect > 0:
        small = keep & ~(np.abs(effect) >= min_abs_effect)
        g.report.add(database, "dropped", f"rows with |effect| < {min_abs_effect}", int(small.sum()), path=path)
        keep &= ~small
    table = table[keep]
    if top_k is not None:
        ranked = table.assign(_abs=-table["weight"].abs()).sort_values(["gene", "p_value", "_abs"], kind="stable")
        within = ranked.groupby("gene", sort=False).cumcount() < top_k
        g.report.add(database, "dropped", f"rows beyond the top {top_k} SNPs per gene", int((~within).sum()),
                     path=path)
        table = ranked[within.to_numpy()].drop(columns="_abs")
    g.add_nodes("snp", pd.unique(table["snp"]), database=database)
    g.add_nodes("gene", pd.unique(table["gene"]), database=database)
    before = len(table)
    g.add_edges(("snp", "affects", "gene"), table["snp"], table["gene"], weight=table["weight"],
                p_value=table["p_value"], database=database)
    g.report.add(database, "collapsed", "duplicate SNP–gene rows (first kept)", before - g.num_edges(), path=path)
    return g


def read_snp_positions(path: str | PathLike) -> pd.DataFrame:
    """SNP positions from a PLINK ``.bim`` (6 columns, no header) or a table with ``snp, chrom, pos``."""
    if Path(path).name.lower().removesuffix(".gz").endswith(".bim"):
        frame = read_table(path, ["chrom", "snp", "cm", "pos", "a1", "a2"], sep="\t", what="PLINK .bim file")
    else:
        frame = read_table(path, header=True, required=["snp", "chrom", "pos"], what="SNP position table")
    check_nonempty(frame, ["snp", "chrom"], path, "SNP position table")
    pos = _numeric(frame, "pos", path)
    return pd.DataFrame({"snp": frame["snp"], "chrom": frame["chrom"].str.removeprefix("chr"), "pos": pos})


def read_gene_coordinates(path: str | PathLike) -> pd.DataFrame:
    """Gene coordinates (1-based inclusive) from BED (≥ 4 columns) or GTF (``gene`` features)."""
    name = Path(path).name.lower().removesuffix(".gz")
    if name.endswith((".gtf", ".gff")):
        cols = ["chrom", "source", "feature", "start", "end", "score", "strand", "frame", "attributes"]
        frame = read_table(path, cols, comment="#", what="GTF file")
        genes_only = (frame["feature"] == "gene").to_numpy()
        numbers = [line_of(frame, int(i)) for i in genes_only.nonzero()[0]]
        frame = frame[genes_only].reset_index(drop=True)
        set_lines(frame, numbers)
        gene_id = frame["attributes"].str.extract(r'gene_id "([^"]+)"', expand=False)
        if gene_id.isna().any():
            raise InputFormatError("a gene feature has no gene_id attribute (expected gene_id \"...\"; in GFF3 "
                                   "convert to GTF first)", path=path,
                                   line=line_of(frame, int(gene_id.isna().to_numpy().argmax())))
        start, end = _numeric(frame, "start", path), _numeric(frame, "end", path)
        genes = gene_id.str.replace(_VERSION, "", regex=True)
    elif name.endswith(".bed"):
        first = next((line for line in read_text(path).splitlines()
                      if line and not line.startswith(("#", "track", "browser"))), "")
        n = first.count("\t") + 1
        if n < 4:
            raise InputFormatError(f"BED needs at least 4 columns (chrom, start, end, name), found {n}; add the "
                                   "gene name column", path=path, line=1)
        cols = ["chrom", "start", "end", "name"] + [f"extra{i}" for i in range(n - 4)]
        frame = read_table(path, cols, comment="#", what="BED file")
        check_nonempty(frame, ["chrom", "name"], path, "BED file")
        start, end = _numeric(frame, "start", path) + 1, _numeric(frame, "end", path)
        genes = frame["name"]
    else:
        raise InputFormatError("gene coordinates must be a .bed or .gtf file (the file name decides); rename "
                               "the file or convert it", path=path)
    return pd.DataFrame({"gene": genes.to_numpy(), "chrom": frame["chrom"].str.removeprefix("chr").to_numpy(),
                         "start": start, "end": end})


def load_windows(
    snps: str | PathLike | pd.DataFrame,
    genes: str | PathLike | pd.DataFrame,
    *,
    window: int = 50_000,
    database: str = "position_window",
) -> KnowledgeGraph:
    """SNP → gene edges by position (see the module docstring); ``weight`` is the distance to the gene body (bp)."""
    snp_pos = snps if isinstance(snps, pd.DataFrame) else read_snp_positions(snps)
    gene_pos = genes if isinstance(genes, pd.DataFrame) else read_gene_coordinates(genes)
    src, dst, dist = [], [], []
    for chrom, gpart in gene_pos.groupby("chrom", sort=False):
        spart = snp_pos[snp_pos["chrom"] == chrom].sort_values("pos", kind="stable")
        if not len(spart):
            continue
        pos = spart["pos"].to_numpy()
        lo = np.searchsorted(pos, gpart["start"].to_numpy() - window, side="left")
        hi = np.searchsorted(pos, gpart["end"].to_numpy() + window, side="right")
        counts = hi - lo
        gene_rep = np.repeat(np.arange(len(gpart)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        snp_idx = np.repeat(lo, counts) + offsets
        p = pos[snp_idx]
        s, e = gpart["start"].to_numpy()[gene_rep], gpart["end"].to_numpy()[gene_rep]
        src.append(spart["snp"].to_numpy()[snp_idx])
        dst.append(gpart["gene"].to_numpy()[gene_rep])
        dist.append(np.where(p < s, s - p, np.where(p > e, p - e, 0)).astype(float))
    src_all = np.concatenate(src) if src else np.array([], dtype=object)
    dst_all = np.concatenate(dst) if dst else np.array([], dtype=object)
    g = KnowledgeGraph()
    g.add_nodes("snp", pd.unique(snp_pos["snp"]), database=database)
    g.add_nodes("gene", pd.unique(gene_pos["gene"]), database=database)
    g.add_edges(("snp", "affects", "gene"), src_all, dst_all,
                weight=np.concatenate(dist) if dist else np.array([]), database=database)
    n_linked = len(pd.unique(src_all))
    g.report.add(database, "kept", f"SNPs within {window:,} bp of a gene", n_linked)
    g.report.add(database, "kept", "SNPs near no gene (nodes without edges)", len(pd.unique(snp_pos["snp"])) - n_linked)
    return g
