"""Genotypes streamed from disk: a PLINK ``.bed`` read in sample batches, statistics in one pass, bounded memory.

Biobank genotypes (10⁵–10⁶ samples × 10⁶ SNPs) do not fit in memory. :class:`PlinkGenotypes` opens a
``.bed/.bim/.fam`` set through ``bed-reader`` (its slices read only the requested samples' bytes of every SNP) and
yields ``int8`` sample batches (``batch × SNPs``, missing = −127), so memory is one batch whatever the number of
samples. :meth:`PlinkGenotypes.statistics` computes each SNP's called count, mean dosage and standard deviation
in one streaming pass (exact integer sums; SNP block by SNP block, the file read sequentially once), and
:meth:`GenotypeStatistics.standardize` turns a batch into the float32 input of a model (mean-imputed, centred,
scaled) with those training statistics. :class:`StreamedInputs` is the row source from which
:class:`~binn_graph.training.Trainer` reads each mini-batch (``estimator.fit(PlinkGenotypes(...), y)``).

A ``.bed`` whose size disagrees with the sample count of its ``.fam`` and the SNP count of its ``.bim`` is refused
naming the three files (a truncated copy or a mismatched ``.fam`` would otherwise shift every genotype).
:func:`~binn_graph.io.atomic_output` writes an output file completely or not at all, so an interrupted streaming
run leaves no half-written file behind.

Example
-------
>>> with PlinkGenotypes("cohort.bed") as bed:                      # doctest: +SKIP
...     stats = bed.statistics()
...     for ids, batch in bed.batches(1024):
...         x = stats.standardize(batch)                            # float32 [len(ids), n_snps]
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import torch

from ..errors import DataValidationError
from ..io import atomic_output

__all__ = ["PlinkGenotypes", "GenotypeStatistics", "StreamedInputs", "atomic_output", "bed_size", "MISSING"]

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


def _sums(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of an ``int8`` block: called count, dosage sum and sum of squared dosages (exact, int64)."""
    called = block != MISSING
    values = np.where(called, block, 0).astype(np.int8, copy=False)  # 0/1/2: squares fit in int8
    dosage = values.sum(axis=0, dtype=np.int64)
    values *= values
    return called.sum(axis=0, dtype=np.int64), dosage, values.sum(axis=0, dtype=np.int64)


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
        called, dosage, square = _sums(batch)
        self.n_samples += batch.shape[0]
        self.n_called += called
        self.dosage_sum += dosage
        self.dosage_sq_sum += square

    def add_block(self, block: np.ndarray, snps: slice) -> None:
        """Add the SNPs ``snps`` of every sample: an ``int8`` block ``[samples, len(snps)]`` (a SNP-major read,
        :meth:`PlinkGenotypes.snp_blocks`). ``n_samples`` is the caller's to set: each sample is seen once per
        block."""
        called, dosage, square = _sums(block)
        self.n_called[snps] += called
        self.dosage_sum[snps] += dosage
        self.dosage_sq_sum[snps] += square

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

    def select(self, positions: np.ndarray) -> "GenotypeStatistics":
        """The statistics of the SNPs at ``positions`` (e.g. a model's input SNPs), in that order."""
        positions = np.asarray(positions, dtype=np.int64)
        return GenotypeStatistics(self.snps[positions], self.n_samples, self.n_called[positions],
                                  self.dosage_sum[positions], self.dosage_sq_sum[positions])

    def preprocessor(self, impute: str = "mean", scale: bool = True):
        """The :class:`~binn_graph.preprocessing.InputPreprocessor` these statistics define: the one that
        ``InputPreprocessor(impute, scale).fit`` learns from the same samples held in memory (missing calls as
        NaN): centre = mean called dosage, scale = its standard deviation (1 where 0), a SNP without any call
        centred at 0 and listed in ``unobserved_``."""
        from ..preprocessing import IMPUTE_MODES, InputPreprocessor

        if impute not in IMPUTE_MODES:
            raise DataValidationError(f"impute must be one of {IMPUTE_MODES}, not {impute!r}")
        observed = self.n_called > 0
        mean = np.where(observed, np.nan_to_num(self.mean), 0.0)
        std = np.where(observed, np.nan_to_num(self.std), 0.0)
        out = InputPreprocessor(impute, scale)
        out.unobserved_ = self.snps[~observed].tolist()
        out.mean_ = mean if scale else np.zeros_like(mean)
        out.scale_ = np.where(std > 0, std, 1.0) if scale else np.ones_like(std)
        out.fill_ = np.zeros_like(mean) if impute == "zero" else mean
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

    def snp_blocks(self, rows=None, *, max_bytes: int = 1 << 26,
                   part: tuple[int, int] | None = None) -> Iterator[tuple[slice, np.ndarray]]:
        """Yield ``(SNP slice, int8 [len(rows), SNPs in the slice])``: every SNP of the samples at positions ``rows``
        (default all, in file order), read SNP-major, about ``max_bytes`` at a time (at least one SNP).

        A ``.bed`` is stored SNP by SNP, so this reads the file sequentially, once: the fast way to compute
        anything per SNP over many samples. ``part=(k, n)`` yields only blocks ``k, k + n, …`` (one rank's share).
        """
        index = slice(None) if rows is None else np.asarray(rows, dtype=np.int64)
        n_rows = self.n_samples if rows is None else len(index)
        if isinstance(index, np.ndarray) and n_rows and bool((np.diff(index) == 1).all()):
            index = slice(int(index[0]), int(index[-1]) + 1)
        k, (first, step) = max(1, max_bytes // max(n_rows, 1)), (0, 1) if part is None else part
        for block, start in enumerate(range(0, self.n_snps, k)):
            if block % step == first:
                snps = slice(start, min(start + k, self.n_snps))
                yield snps, self.read(index, snps)

    def statistics(self, batch_size: int | None = None, *, rows=None, max_bytes: int = 1 << 26) -> GenotypeStatistics:
        """Per-SNP statistics over the samples at positions ``rows`` (default all: training rows only for a model)
        in one streaming pass: SNP blocks of about ``max_bytes`` (:meth:`snp_blocks`), or, with ``batch_size``,
        sample batches of that many samples (same result; slower on large files: every batch touches every SNP)."""
        stats = GenotypeStatistics.empty(self.snps)
        if batch_size is not None:
            for _, batch in self.batches(batch_size, order=rows):
                stats.update(batch)
            return stats
        for snps, block in self.snp_blocks(rows, max_bytes=max_bytes):
            stats.add_block(block, snps)
        stats.n_samples = self.n_samples if rows is None else len(rows)
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


class StreamedInputs:
    """Rows of a PLINK set as a model's input, read from disk on demand: the row source of
    :class:`~binn_graph.training.Trainer` (its module docstring, "Rows streamed from disk").

    Row ``i`` is the sample at ``.bed`` position ``positions[i]``; its input is the SNPs at ``.bed`` positions
    ``snps`` (None: all, in file order) through ``preprocessor`` (a fitted
    :class:`~binn_graph.preprocessing.InputPreprocessor`, e.g. :meth:`GenotypeStatistics.preprocessor`), exactly as
    ``preprocessor.transform`` turns the same genotypes held in memory (missing = NaN).
    """

    def __init__(self, genotypes: PlinkGenotypes, positions, preprocessor, snps=None) -> None:
        self.genotypes = genotypes
        self.positions = np.asarray(positions, dtype=np.int64)
        self.preprocessor = preprocessor
        self.snps = None if snps is None else np.asarray(snps, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.positions)

    def read(self, rows) -> torch.Tensor:
        """float32 ``[len(rows), n_snps × input_width]``: the rows at positions ``rows``, in that order (bed-reader
        reads any order; adjacent samples in file order as one slice), preprocessed."""
        wanted = self.positions[np.asarray(rows, dtype=np.int64)]
        contiguous = len(wanted) > 0 and bool((np.diff(wanted) == 1).all())
        block = self.genotypes.read(slice(int(wanted[0]), int(wanted[-1]) + 1) if contiguous else wanted, self.snps)
        values = block.astype(np.float32)
        values[block == MISSING] = np.nan
        return torch.from_numpy(self.preprocessor.transform(pd.DataFrame(values, copy=False)))

    def fingerprint(self) -> dict:
        """What identifies these rows across the ranks of a distributed run: the file's size and name, the sample
        and SNP ids read (CRC-32) and the preprocessing."""
        samples = self.genotypes.samples[self.positions]
        snps = self.genotypes.snps if self.snps is None else self.genotypes.snps[self.snps]
        crc = lambda values: zlib.crc32("\n".join(map(str, values)).encode())  # noqa: E731
        pre = self.preprocessor
        return {"bed": self.genotypes.path.name, "bed_bytes": self.genotypes.path.stat().st_size, "rows": len(self),
                "samples_crc": crc(samples), "snps": len(snps), "snps_crc": crc(snps),
                "preprocessing_crc": zlib.crc32(np.concatenate([pre.mean_, pre.scale_, pre.fill_]).tobytes())}

    def __repr__(self) -> str:
        n_snps = self.genotypes.n_snps if self.snps is None else len(self.snps)
        return f"StreamedInputs({self.genotypes.path.name!r}, rows={len(self):,}, snps={n_snps:,})"
