"""Genotypes streamed from disk: a PLINK ``.bed`` read in sample batches, statistics in one pass, bounded memory.

Biobank genotypes (10⁵–10⁶ samples × 10⁶ SNPs) do not fit in memory. :class:`PlinkGenotypes` opens a
``.bed/.bim/.fam`` set through ``bed-reader`` (its slices read only the requested samples' bytes of every SNP) and
yields ``int8`` sample batches (``batch × SNPs``, missing = −127), so memory is one batch whatever the number of
samples. :meth:`PlinkGenotypes.statistics` computes each SNP's called count, mean dosage and standard deviation
in one streaming pass (exact integer sums), and :meth:`GenotypeStatistics.standardize` turns a batch into the
float32 input of a model (mean-imputed, centred, scaled) with those training statistics.

A ``.bed`` whose size disagrees with the sample count of its ``.fam`` and the SNP count of its ``.bim`` is refused
naming the three files (a truncated copy or a mismatched ``.fam`` would otherwise shift every genotype).
:func:`atomic_output` writes an output file completely or not at all, so an interrupted streaming run leaves no
half-written file behind.

Example
-------
>>> with PlinkGenotypes("cohort.bed") as bed:                      # doctest: +SKIP
...     stats = bed.statistics(batch_size=4096)
...     for ids, batch in bed.batches(1024):
...         x = stats.standardize(batch)                            # float32 [len(ids), n_snps]
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ..errors import DataValidationError

__all__ = ["PlinkGenotypes", "GenotypeStatistics", "atomic_output", "bed_size", "MISSING"]

#: bed-reader's code of a missing call in an ``int8`` read.
MISSING = -127

_MAGIC = bytes([0x6C, 0x1B, 0x01])  # PLINK 1 binary, SNP-major


def bed_size(n_samples: int, n_snps: int) -> int:
    """Bytes of a SNP-major PLINK ``.bed``: 3 magic bytes + ``⌈n_samples/4⌉`` bytes per SNP.

    >>> bed_size(5, 10)
    23
    """
    return 3 + n_snps * ((n_samples + 3) // 4)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


@contextmanager
def atomic_output(path: str | PathLike, mode: str = "wb") -> Iterator:
    """Open a temporary file beside ``path`` for writing; on success it replaces ``path`` in one step.

    On any exception (including ``KeyboardInterrupt``) the temporary file is removed and ``path`` is untouched, so
    a reader never sees a half-written output.
    """
    target = Path(path)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(handle, mode) as out:
            yield out
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class GenotypeStatistics:
    """Per-SNP statistics of a genotype matrix, computed in one pass (:meth:`PlinkGenotypes.statistics`).

    ``n_called`` (calls that are not missing), ``dosage_sum`` and ``dosage_sq_sum`` are exact integer sums over the
    samples seen; means and standard deviations (population, ddof 0) derive from them.
    """

    snps: pd.Index
    n_samples: int
    n_called: np.ndarray
    dosage_sum: np.ndarray
    dosage_sq_sum: np.ndarray

    @classmethod
    def empty(cls, snps: pd.Index) -> "GenotypeStatistics":
        """Statistics of no sample yet."""
        zeros = np.zeros(len(snps), dtype=np.int64)
        return cls(pd.Index(snps), 0, zeros.copy(), zeros.copy(), zeros.copy())

    def update(self, batch: np.ndarray) -> None:
        """Add an ``int8`` batch ``[samples, SNPs]`` (missing = :data:`MISSING`)."""
        called = batch != MISSING
        values = np.where(called, batch, 0).astype(np.int8, copy=False)  # 0/1/2: squares fit in int8
        self.n_samples += batch.shape[0]
        self.n_called += called.sum(axis=0, dtype=np.int64)
        self.dosage_sum += values.sum(axis=0, dtype=np.int64)
        values *= values
        self.dosage_sq_sum += values.sum(axis=0, dtype=np.int64)

    @property
    def mean(self) -> np.ndarray:
        """Mean called dosage per SNP (NaN where no call)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.dosage_sum / np.where(self.n_called > 0, self.n_called, np.nan)

    @property
    def std(self) -> np.ndarray:
        """Standard deviation of the called dosages per SNP (ddof 0; NaN where no call)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            second = self.dosage_sq_sum / np.where(self.n_called > 0, self.n_called, np.nan)
        return np.sqrt(np.maximum(second - self.mean ** 2, 0.0))

    @property
    def missing_rate(self) -> np.ndarray:
        """Share of samples without a call, per SNP."""
        return 1.0 - self.n_called / max(self.n_samples, 1)

    def to_frame(self) -> pd.DataFrame:
        """One row per SNP: ``n_called``, ``mean``, ``std``, ``missing_rate``, ``monomorphic`` (std 0)."""
        std = self.std
        return pd.DataFrame({"n_called": self.n_called, "mean": self.mean, "std": std,
                             "missing_rate": self.missing_rate, "monomorphic": std == 0}, index=self.snps)

    def standardize(self, batch: np.ndarray) -> np.ndarray:
        """``float32 [samples, SNPs]``: ``(dosage − mean) / std``, a missing call → 0 (the mean), a monomorphic SNP → 0."""
        mean = np.nan_to_num(self.mean).astype(np.float32)
        std = self.std
        inv = np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 0.0).astype(np.float32)
        out = batch.astype(np.float32)
        out -= mean
        out *= inv
        out[batch == MISSING] = 0.0
        return out

    def save(self, path: str | PathLike) -> None:
        """Write the statistics as a ``.npz`` (atomically: :func:`atomic_output`)."""
        with atomic_output(path) as out:
            np.savez(out, snps=np.asarray(self.snps, dtype=str), n_samples=self.n_samples, n_called=self.n_called,
                     dosage_sum=self.dosage_sum, dosage_sq_sum=self.dosage_sq_sum)

    @classmethod
    def load(cls, path: str | PathLike) -> "GenotypeStatistics":
        """Statistics written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as stored:
            return cls(pd.Index(stored["snps"]), int(stored["n_samples"]), stored["n_called"], stored["dosage_sum"],
                       stored["dosage_sq_sum"])


class PlinkGenotypes:
    """A PLINK 1 ``.bed/.bim/.fam`` set opened for reading in sample batches (SNP-major ``.bed`` only).

    ``samples`` are the ``.fam`` IIDs, ``snps`` the ``.bim`` ids; dosages count the A1 allele (``count_A1``). The
    ``.bed`` size is checked against the two text files before anything is read. ``num_threads`` is bed-reader's
    (default 1: one reading thread beside the model's).
    """

    def __init__(self, path: str | PathLike, *, num_threads: int | None = 1) -> None:
        bed = Path(path)
        if not bed.name.lower().endswith(".bed"):
            bed = bed.with_suffix(".bed")
        self.path = bed
        fam, bim = bed.with_suffix(".fam"), bed.with_suffix(".bim")
        for f in (bed, fam, bim):
            if not f.is_file():
                raise DataValidationError(f"{f}: missing; a PLINK set needs {bed.name}, {fam.name} and {bim.name} "
                                          "side by side")
        try:
            from bed_reader import open_bed
        except ImportError:  # pragma: no cover - bed-reader is a dependency of the genomic extra
            raise DataValidationError("streaming PLINK .bed files needs bed-reader: pip install bed-reader "
                                      "(or pip install 'binn-graph[genomic]')") from None
        n_samples, n_snps = _count_lines(fam), _count_lines(bim)
        size, expected = bed.stat().st_size, bed_size(n_samples, n_snps)
        with open(bed, "rb") as handle:
            magic = handle.read(3)
        if magic != _MAGIC:
            raise DataValidationError(f"{bed}: not a SNP-major PLINK 1 .bed (first bytes {magic.hex()}, expected "
                                      f"{_MAGIC.hex()}); convert it with plink --make-bed")
        if size != expected:
            raise DataValidationError(
                f"{bed} has {size:,} bytes but {fam.name} lists {n_samples:,} samples and {bim.name} {n_snps:,} "
                f"SNPs, which make {expected:,} bytes (3 + {n_snps:,} × ⌈{n_samples:,}/4⌉): the .bed is truncated "
                f"or the .fam/.bim belong to another file set; re-export the three files together")
        self.num_threads = num_threads
        self._reader = open_bed(bed, count_A1=True, num_threads=num_threads, iid_count=n_samples, sid_count=n_snps)
        try:
            self.samples = pd.Index(self._reader.iid).astype(str)
            self.snps = pd.Index(self._reader.sid).astype(str)
        except ValueError as exc:
            raise DataValidationError(f"{fam.name} / {bim.name} beside {bed}: unreadable ({exc}); a .fam has 6 "
                                      "whitespace-separated columns and a .bim 6 tab-separated ones") from None
        for axis, ids in (("sample", self.samples), ("SNP", self.snps)):
            dup = ids[ids.duplicated()]
            if len(dup):
                raise DataValidationError(f"{bed}: duplicated {axis} ids, e.g. {list(dup[:3])}")

    @property
    def n_samples(self) -> int:
        """Number of samples (rows of the ``.fam``)."""
        return len(self.samples)

    @property
    def n_snps(self) -> int:
        """Number of SNPs (rows of the ``.bim``)."""
        return len(self.snps)

    def read(self, rows, snps=None) -> np.ndarray:
        """``int8 [len(rows), SNPs]`` of the samples at positions ``rows`` (a slice or integer array) and the SNPs at
        positions ``snps`` (default all); missing = :data:`MISSING`."""
        index = (rows, slice(None) if snps is None else snps)  # bed-reader: a lone index selects SNPs
        return self._reader.read(index=index, dtype="int8", order="C", num_threads=self.num_threads)

    def batches(self, batch_size: int, *, order=None, snps=None,
                shard: tuple[int, int] | None = None) -> Iterator[tuple[pd.Index, np.ndarray]]:
        """Yield ``(sample ids, int8 [batch, SNPs])`` over every sample, ``batch_size`` at a time.

        ``order`` (sample positions, e.g. a shuffled permutation or a training fold) replaces the file order; only
        one batch is in memory at a time. ``shard=(rank, world_size)`` yields only this rank's share of each global
        batch (its samples ``rank, rank + world_size, …``, the split :class:`~binn_graph.training.Trainer` uses under
        torchrun), so each data-parallel worker reads only its own samples from disk.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        rank, world = (0, 1) if shard is None else (int(shard[0]), int(shard[1]))
        if not 0 <= rank < world:
            raise ValueError(f"shard must be (rank, world_size) with 0 ≤ rank < world_size, not {shard!r}")
        positions = np.arange(self.n_samples) if order is None else np.asarray(order)
        for start in range(0, len(positions), batch_size):
            chunk = positions[start:start + batch_size][rank::world]
            if not len(chunk):
                continue
            contiguous = (order is None and world == 1) or bool((np.diff(chunk) == 1).all())
            rows = slice(int(chunk[0]), int(chunk[-1]) + 1) if contiguous and len(chunk) else chunk
            yield self.samples[chunk], self.read(rows, snps)

    def statistics(self, batch_size: int = 4096, *, rows=None) -> GenotypeStatistics:
        """Per-SNP statistics over the samples at positions ``rows`` (default all: training rows only for a model)
        in one streaming pass."""
        stats = GenotypeStatistics.empty(self.snps)
        for _, batch in self.batches(batch_size, order=rows):
            stats.update(batch)
        return stats

    def close(self) -> None:
        """Release the file handles."""
        self._reader.__exit__(None, None, None)

    def __enter__(self) -> "PlinkGenotypes":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PlinkGenotypes({str(self.path)!r}, samples={self.n_samples:,}, snps={self.n_snps:,})"
