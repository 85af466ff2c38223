"""Genotypes, expression and phenotypes keyed by sample and feature ids.

Genotypes are samples × SNPs allele dosages 0/1/2, held as ``int8`` (missing = −1 while reading). Readers:
CSV/TSV/parquet (first column = sample ids), NumPy ``.npy``/``.npz`` (with sample and SNP ids given or stored in
the ``.npz``), and PLINK 1 binary ``.bed/.bim/.fam`` through ``bed-reader`` (``pip install bed-reader``); a
PLINK set too large for memory is streamed in sample batches by :class:`~binn_graph.genomic.streaming.PlinkGenotypes`.

Missing dosages are imputed explicitly by :func:`check_genotypes`: ``impute="mean"`` replaces a missing call by
the SNP's training mean dosage rounded to the nearest integer (so the matrix stays int8 0/1/2), ``"error"``
refuses them. Monomorphic SNPs carry no information and are dropped and reported.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from kg.report import BuildReport

from ..errors import DataValidationError
from ..io import _read_any

__all__ = ["read_genotypes", "check_genotypes", "align_samples"]


def read_genotypes(path: str | PathLike, *, samples=None, snps=None) -> pd.DataFrame:
    """Samples × SNPs dosages (float32, NaN = missing) from CSV/TSV/parquet, ``.npy``/``.npz`` or PLINK ``.bed``.

    ``samples``/``snps`` name the rows/columns of a ``.npy`` matrix (a ``.npz`` may store them as ``samples`` and
    ``snps`` next to ``dosages``). A PLINK path may be given with or without the ``.bed`` suffix; dosages count the
    A1 allele (bed-reader's ``count_A1=True``), sample ids are the ``.fam`` IIDs and SNP ids the ``.bim`` ids.
    """
    p = Path(path)
    name = p.name.lower()
    if name.endswith(".bed") or (not p.exists() and p.with_suffix(".bed").exists()):
        return _read_plink(p if name.endswith(".bed") else p.with_suffix(".bed"))
    if not p.is_file():
        raise DataValidationError(f"{p}: genotype file does not exist")
    if name.endswith((".npy", ".npz")):
        if name.endswith(".npz"):
            stored = np.load(p, allow_pickle=False)
            if "dosages" not in stored:
                raise DataValidationError(f"{p}: a .npz genotype file needs a 'dosages' array; found {list(stored)}")
            values = stored["dosages"]
            samples = samples if samples is not None else (stored["samples"] if "samples" in stored else None)
            snps = snps if snps is not None else (stored["snps"] if "snps" in stored else None)
        else:
            values = np.load(p, allow_pickle=False)
        if values.ndim != 2:
            raise DataValidationError(f"{p}: expected a 2-D samples × SNPs array, got shape {values.shape}")
        if samples is None or snps is None:
            raise DataValidationError(f"{p}: a NumPy genotype matrix needs sample and SNP ids (samples=, snps=); "
                                      "matching by position is refused")
        if len(samples) != values.shape[0] or len(snps) != values.shape[1]:
            raise DataValidationError(f"{p}: {values.shape[0]} × {values.shape[1]} matrix but {len(samples)} sample "
                                      f"and {len(snps)} SNP ids")
        frame = pd.DataFrame(values.astype(np.float32), index=pd.Index(samples, dtype=str).astype(str),
                             columns=pd.Index(snps).astype(str))
    else:
        frame = _read_any(p).astype(np.float32, errors="ignore")
        bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            raise DataValidationError(f"{p}: column(s) {bad[:5]} are not numeric dosages")
        frame = frame.astype(np.float32)
        frame.index = frame.index.astype(str)
        frame.columns = frame.columns.astype(str)
    return _check_ids(frame, str(p))


def _read_plink(bed: Path) -> pd.DataFrame:
    from .streaming import PlinkGenotypes

    with PlinkGenotypes(bed, num_threads=None) as reader:  # checks the .bed size against the .fam and .bim
        try:
            values = reader._reader.read(dtype="float32")
        except (ValueError, OSError, RuntimeError) as exc:
            raise DataValidationError(f"{bed}: not a valid PLINK .bed/.bim/.fam set ({exc})") from None
        frame = pd.DataFrame(values, index=reader.samples, columns=reader.snps)
    return _check_ids(frame, str(bed))


def _check_ids(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    for axis, ids in (("sample", frame.index), ("SNP", frame.columns)):
        dup = ids[ids.duplicated()]
        if len(dup):
            raise DataValidationError(f"{what}: duplicated {axis} ids, e.g. {list(dup[:3])}")
    return frame


def check_genotypes(genotypes: pd.DataFrame, *, impute: str = "mean",
                    report: BuildReport | None = None) -> tuple[pd.DataFrame, BuildReport]:
    """Validate dosages, impute missing calls, drop monomorphic SNPs; returns an int8 frame and the report.

    Raises :class:`DataValidationError` naming the SNP and sample of the first dosage outside 0/1/2.
    """
    if impute not in ("mean", "error"):
        raise DataValidationError(f"impute must be 'mean' or 'error', not {impute!r}")
    report = report if report is not None else BuildReport()
    values = genotypes.to_numpy(dtype=np.float32)
    missing = np.isnan(values)
    bad = ~missing & ~np.isin(values, (0.0, 1.0, 2.0))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataValidationError(f"{int(bad.sum())} dosage(s) are not 0, 1 or 2, e.g. SNP {genotypes.columns[j]!r} "
                                  f"in sample {genotypes.index[i]!r}: {values[i, j]!r}")
    if missing.any():
        if impute == "error":
            j = int(np.argwhere(missing)[0][1])
            raise DataValidationError(f"{int(missing.sum())} missing dosage(s), e.g. SNP {genotypes.columns[j]!r}; "
                                      "impute them (impute='mean') or drop the SNPs")
        means = np.nanmean(np.where(missing, np.nan, values), axis=0)
        if np.isnan(means).any():
            j = int(np.flatnonzero(np.isnan(means))[0])
            raise DataValidationError(f"SNP {genotypes.columns[j]!r} has no called genotype")
        values = np.where(missing, np.rint(means)[None, :], values)
        report.add("genotypes", "note", "missing dosages imputed with the SNP's rounded mean", int(missing.sum()),
                   examples=list(genotypes.columns[missing.any(axis=0)][:5]))
    mono = (values == values[:1]).all(axis=0)
    report.add("genotypes", "dropped", "monomorphic SNPs", int(mono.sum()), examples=list(genotypes.columns[mono][:5]))
    keep = ~mono
    out = pd.DataFrame(values[:, keep].astype(np.int8), index=genotypes.index, columns=genotypes.columns[keep])
    report.add("genotypes", "kept", "SNPs", int(keep.sum()))
    return out, report


def align_samples(report: BuildReport | None = None, **tables) -> tuple[dict, BuildReport]:
    """Inner-join tables (DataFrames or Series indexed by sample id) on their ids, reporting every mismatch.

    ``align_samples(genotypes=G, expression=E, phenotype=y)`` → ``({"genotypes": G', ...}, report)``, each in the
    same sample order (that of the first table).
    """
    report = report if report is not None else BuildReport()
    if not tables:
        raise DataValidationError("align_samples needs at least one table")
    names = list(tables)
    ids = {k: pd.Index(v.index).astype(str) for k, v in tables.items()}
    for k, index in ids.items():
        dup = index[index.duplicated()]
        if len(dup):
            raise DataValidationError(f"{k}: duplicated sample ids, e.g. {list(dup[:3])}")
    common = ids[names[0]]
    for k in names[1:]:
        common = common.intersection(ids[k], sort=False)
    for k in names:
        extra = ids[k].difference(common)
        report.add("samples", "dropped", f"samples only partly present ({k} has them, another table does not)",
                   len(extra), examples=list(extra[:5]))
    if len(common) == 0:
        raise DataValidationError(f"no sample id is shared by {', '.join(names)} "
                                  f"(e.g. {', '.join(f'{k}: {list(ids[k][:2])}' for k in names)})")
    report.add("samples", "kept", "samples present in every table", len(common))
    out = {}
    for k, v in tables.items():
        v = v.copy()
        v.index = ids[k]
        out[k] = v.loc[common]
    return out, report
