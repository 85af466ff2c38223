"""Genotypes streamed from a PLINK .bed: batches equal the whole matrix, one-pass statistics equal numpy's, a .bed
whose size disagrees with its .fam/.bim is refused naming the files, and an interrupted write leaves nothing."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("bed_reader", reason="bed-reader is not installed (pip install 'binn-graph[genomic]')")
from bed_reader import to_bed  # noqa: E402

from binn_graph.errors import DataValidationError  # noqa: E402
from binn_graph.genomic import GenotypeStatistics, PlinkGenotypes, atomic_output, read_genotypes  # noqa: E402
from binn_graph.genomic.streaming import MISSING, bed_size  # noqa: E402

N, M = 37, 23  # 37 samples: the last byte of every SNP is partly padding


@pytest.fixture
def plink(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.choice([0.0, 1.0, 2.0], size=(N, M), p=[0.5, 0.3, 0.2]).astype(np.float32)
    values[rng.random((N, M)) < 0.05] = np.nan
    values[:, 4] = 1.0  # one monomorphic SNP
    path = tmp_path / "cohort.bed"
    to_bed(path, values, properties={"iid": [f"id{i}" for i in range(N)], "sid": [f"rs{j}" for j in range(M)]})
    return path, values


def test_batches_equal_the_whole_matrix_and_statistics_are_one_pass(plink, tmp_path):
    path, values = plink
    assert path.stat().st_size == bed_size(N, M) == 3 + M * 10
    full = read_genotypes(path)
    np.testing.assert_array_equal(full.to_numpy(), values)
    with PlinkGenotypes(path) as bed:
        assert (bed.n_samples, bed.n_snps) == (N, M) and bed.snps[0] == "rs0"
        parts = list(bed.batches(8))
        assert [len(ids) for ids, _ in parts] == [8, 8, 8, 8, 5]
        ids = np.concatenate([i for i, _ in parts])
        stacked = np.concatenate([b for _, b in parts])
        assert stacked.dtype == np.int8 and list(ids) == list(full.index)
        np.testing.assert_array_equal(np.where(stacked == MISSING, np.nan, stacked), values)
        order = np.random.default_rng(1).permutation(N)
        shuffled = list(bed.batches(10, order=order))
        np.testing.assert_array_equal(np.concatenate([i for i, _ in shuffled]), full.index[order])
        np.testing.assert_array_equal(np.concatenate([b for _, b in shuffled]), stacked[order])
        shards = [list(bed.batches(10, order=order, shard=(r, 2))) for r in range(2)]
        for k, (ids, _) in enumerate(shuffled):  # each rank reads its share of every global batch, nothing else
            assert sorted([*shards[0][k][0], *shards[1][k][0]]) == sorted(ids) and len(shards[1][k][0]) == len(ids) // 2
            np.testing.assert_array_equal(shards[1][k][1], stacked[order[10 * k:10 * k + 10][1::2]])
        with pytest.raises(ValueError, match="shard must be"):
            next(bed.batches(10, shard=(2, 2)))
        stats = bed.statistics(batch_size=6)
        train = np.arange(0, N, 2)
        train_stats = bed.statistics(batch_size=5, rows=train)
    np.testing.assert_array_equal(stats.n_called, (~np.isnan(values)).sum(axis=0))
    v64 = values.astype(np.float64)
    np.testing.assert_allclose(stats.mean, np.nanmean(v64, axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.std, np.nanstd(v64, axis=0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(train_stats.mean, np.nanmean(v64[train], axis=0), rtol=1e-12)
    frame = stats.to_frame()
    assert frame.loc["rs4", "monomorphic"] and frame["monomorphic"].sum() == 1
    x = stats.standardize(stacked)
    expected = np.nan_to_num((values - np.nanmean(values, 0)) / np.where(np.nanstd(values, 0) > 0, np.nanstd(values, 0),
                                                                        np.inf))
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, expected, atol=1e-5)
    stats.save(tmp_path / "stats.npz")
    again = GenotypeStatistics.load(tmp_path / "stats.npz")
    np.testing.assert_array_equal(again.dosage_sq_sum, stats.dosage_sq_sum)
    assert list(again.snps) == list(stats.snps) and again.n_samples == N


def test_bed_size_disagreeing_with_fam_or_bim_names_the_files(plink):
    path, _ = plink
    fam, bim = path.with_suffix(".fam"), path.with_suffix(".bim")
    data = path.read_bytes()
    path.write_bytes(data[:-7])  # truncated copy
    for opener in (PlinkGenotypes, read_genotypes):
        with pytest.raises(DataValidationError, match=r"cohort\.bed has 226 bytes but cohort\.fam lists 37 samples "
                                                      r"and cohort\.bim 23 SNPs, which make 233 bytes"):
            opener(path)
    path.write_bytes(data)
    lines = fam.read_text().splitlines(keepends=True)
    fam.write_text("".join(lines[:-4]))  # a .fam of another cohort: 33 samples → still 9 bytes per SNP, but ...
    bim.write_text("".join(bim.read_text().splitlines(keepends=True)[:-1]))  # ... 22 SNPs
    with pytest.raises(DataValidationError, match=r"cohort\.fam lists 33 samples and cohort\.bim 22 SNPs"):
        PlinkGenotypes(path)
    path.write_bytes(b"\x00\x00\x00" + data[3:])
    with pytest.raises(DataValidationError, match="not a SNP-major PLINK 1 .bed"):
        PlinkGenotypes(path)
    fam.unlink()
    with pytest.raises(DataValidationError, match=r"cohort\.fam: missing"):
        PlinkGenotypes(path)


def test_interrupted_run_leaves_no_half_written_output(plink, tmp_path, monkeypatch):
    path, _ = plink
    out = tmp_path / "stats.npz"
    with PlinkGenotypes(path) as bed:
        stats = bed.statistics()

    def interrupted_savez(handle, **arrays):
        handle.write(b"PK\x03\x04 half of a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted_savez)
    with pytest.raises(KeyboardInterrupt):
        stats.save(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.bed", "cohort.bim", "cohort.fam"]
    assert not out.exists() and not list(tmp_path.glob("*.partial"))
    monkeypatch.undo()
    out.write_bytes(b"previous result")
    with pytest.raises(RuntimeError, match="stopped"):
        with atomic_output(out) as handle:
            handle.write(b"new but incomplete")
            raise RuntimeError("stopped")
    assert out.read_bytes() == b"previous result" and not list(tmp_path.glob("*.partial"))
    stats.save(out)
    assert GenotypeStatistics.load(out).n_samples == N and isinstance(stats.to_frame(), pd.DataFrame)


def test_unreadable_bim_names_the_file(plink):
    path, _ = plink
    bim = path.with_suffix(".bim")
    bim.write_text(bim.read_text().replace("\t", " "))  # PLINK's .bim is tab-separated
    with pytest.raises(DataValidationError, match=r"cohort\.fam / cohort\.bim beside .*unreadable.*tab-separated"):
        PlinkGenotypes(path)
