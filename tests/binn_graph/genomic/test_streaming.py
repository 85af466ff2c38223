"""Genotypes streamed from a PLINK .bed: batches equal the whole matrix, one-pass statistics equal numpy's, a .bed
whose size disagrees with its .fam/.bim is refused naming the files, and an interrupted write leaves nothing.

Training streamed from the .bed (``estimator.fit(PlinkGenotypes, y)``) equals the in-memory fit on the same
genotypes and batch order, reading one batch at a time; two gloo ranks streaming their shares equal one process;
ranks streaming different samples stop naming the difference; an interrupted checkpoint write leaves no file."""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

pytest.importorskip("bed_reader", reason="bed-reader is not installed (pip install 'binn-graph[genomic]')")
from bed_reader import to_bed  # noqa: E402

from binn_graph import BINNRegressor  # noqa: E402
from binn_graph.errors import DataValidationError  # noqa: E402
from binn_graph.genomic import GenotypeStatistics, PlinkGenotypes, atomic_output, read_genotypes  # noqa: E402
from binn_graph.genomic.benchmark import genomic_binn  # noqa: E402
from binn_graph.genomic.streaming import MISSING, bed_size  # noqa: E402
from binn_graph.simulate import shoot_branching  # noqa: E402
from binn_graph.training import DistributedSettingsError  # noqa: E402

from ..conftest import leave_rank_process  # noqa: E402

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
        # SNP-major blocks (3 SNPs of 37 samples per read, the last of 2) give the same statistics, also split in parts
        for rows in (None, train, order[:20]):
            by_batch, by_block = bed.statistics(batch_size=8, rows=rows), bed.statistics(rows=rows, max_bytes=3 * N)
            for field in ("n_called", "dosage_sum", "dosage_sq_sum"):
                np.testing.assert_array_equal(getattr(by_block, field), getattr(by_batch, field))
            assert by_block.n_samples == by_batch.n_samples
        blocks = [list(bed.snp_blocks(order[:20], max_bytes=60, part=(k, 2))) for k in range(2)]
        assert [s.start for s, _ in blocks[0]] == list(range(0, M, 6)) and blocks[1][0][0] == slice(3, 6)
        np.testing.assert_array_equal(blocks[1][0][1], stacked[order[:20]][:, 3:6])
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


# ---------------------------------------------------------------- training streamed from the .bed
# 240 of 300 plants have a target (a shuffled subset); 20 % of them validate; batches of 25 leave a last batch of 17
FIT = dict(max_epochs=3, batch_size=25, random_state=0)


def _study(folder: Path):
    """A small shoot-branching study (3 genes a pathway, 5 SNPs a gene, 2 % missing calls) written as a .bed, the
    same genotypes in memory (missing = NaN) and a shuffled target for 240 of the 300 plants."""
    study = shoot_branching(300, seed=0, genes_per_pathway=3, snps_per_gene=5, n_decoy_genes=2, n_unlinked_snps=10)
    genotypes = study.genotypes.astype("float32")
    genotypes = genotypes.mask(np.random.default_rng(0).random(genotypes.shape) < 0.02)
    path = folder / "study.bed"
    to_bed(path, genotypes.to_numpy(), properties={"iid": list(genotypes.index), "sid": list(genotypes.columns)})
    return study.graph, genotypes, study.phenotype.sample(240, random_state=1), path


def test_streamed_fit_equals_in_memory_fit_reading_one_batch_at_a_time(tmp_path, monkeypatch):
    graph, genotypes, y, path = _study(tmp_path)
    memory = genomic_binn(graph, **FIT).fit(genotypes.loc[y.index], y)
    sizes = []
    read = PlinkGenotypes.read
    monkeypatch.setattr(PlinkGenotypes, "read", lambda self, rows, snps=None: sizes.append(
        len(range(300)[rows]) if isinstance(rows, slice) else len(rows)) or read(self, rows, snps))
    with PlinkGenotypes(path) as bed:
        streamed = genomic_binn(graph, **FIT).fit(bed, y)
    np.testing.assert_allclose(streamed.history_.train_loss, memory.history_.train_loss, rtol=1e-6)
    np.testing.assert_allclose(streamed.history_.val_loss, memory.history_.val_loss, rtol=1e-6)
    assert len(memory.history_.val_loss) == 3
    for name, value in memory.model_.state_dict().items():
        torch.testing.assert_close(streamed.model_.state_dict()[name], value, rtol=1e-6, atol=1e-7, msg=name)
    np.testing.assert_allclose(streamed.predict(genotypes), memory.predict(genotypes), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(streamed.preprocessor_.mean_, memory.preprocessor_.mean_)
    np.testing.assert_allclose(streamed.preprocessor_.scale_, memory.preprocessor_.scale_, rtol=1e-12)
    # one statistics pass over the 240 plants, then per epoch 8 training batches (≤ 25 rows) and 2 validation chunks
    assert sizes[0] == 240 and len(sizes) == 1 + 3 * (8 + 2) and max(sizes[1:]) == 25
    report = streamed.report_.to_frame().set_index("what")["count"]
    assert report["samples of study.bed without a target (not used)"] == 60


def test_streamed_fit_with_mask_imputation_and_validation_rows_equals_in_memory(tmp_path):
    graph, genotypes, y, path = _study(tmp_path)
    train, val = y.iloc[:200], y.iloc[200:]
    params = dict(FIT, impute="mask", max_epochs=2)
    memory = genomic_binn(graph, **params).fit(genotypes.loc[train.index], train,
                                               validation_data=(genotypes.loc[val.index], val))
    with PlinkGenotypes(path) as bed:
        streamed = genomic_binn(graph, **params).fit(bed, train, validation_data=(bed, val))
    np.testing.assert_allclose(streamed.history_.val_loss, memory.history_.val_loss, rtol=1e-6)
    np.testing.assert_allclose(streamed.predict(genotypes), memory.predict(genotypes), rtol=1e-6, atol=1e-6)


def test_streamed_fit_refuses_targets_it_cannot_match_by_id(tmp_path):
    graph, _, y, path = _study(tmp_path)
    with PlinkGenotypes(path) as bed:
        with pytest.raises(DataValidationError, match=r"indexed by the sample ids \(IID\) of study\.fam"):
            genomic_binn(graph, **FIT).fit(bed, y.to_numpy())
        with pytest.raises(DataValidationError, match=r"1 sample\(s\) of y are not in study\.fam .*'nobody'"):
            genomic_binn(graph, **FIT).fit(bed, pd.concat([y, pd.Series({"nobody": 0.0})]))
        with pytest.raises(DataValidationError, match="latent_targets"):
            genomic_binn(graph, **FIT).fit(bed, y, latent_targets=pd.DataFrame(index=y.index))


def _streaming_rank(rank: int, world: int, folder: str) -> None:
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world)
    out = Path(folder)
    try:
        graph, _, y, path = _study(out / f"rank{rank}")
        sizes, read = [], PlinkGenotypes.read
        PlinkGenotypes.read = lambda self, rows, snps=None: sizes.append(
            len(range(300)[rows]) if isinstance(rows, slice) else len(rows)) or read(self, rows, snps)
        with PlinkGenotypes(path) as bed:
            est = genomic_binn(graph, **FIT).fit(bed, y)
            (out / f"reads{rank}.json").write_text(json.dumps(sizes))
            est.save(out / f"model_rank{rank}.pt")
            torch.save(est.model_.state_dict(), out / f"state{rank}.pt")
            (out / f"loss{rank}.json").write_text(json.dumps(est.history_.train_loss))
            other = y.drop(y.index[-1]) if rank == 0 else y.drop(y.index[0])  # rank 1 streams other samples
            try:
                genomic_binn(graph, **FIT).fit(bed, other)
            except DistributedSettingsError as exc:
                (out / f"error{rank}.txt").write_text(str(exc))
    finally:
        dist.destroy_process_group()
    leave_rank_process()  # reached only when the work above succeeded


def test_two_gloo_ranks_streaming_their_shares_equal_one_process(tmp_path):
    import torch.multiprocessing as mp

    (tmp_path / "rank0").mkdir()
    (tmp_path / "rank1").mkdir()
    graph, _, y, path = _study(tmp_path)
    with PlinkGenotypes(path) as bed:
        single = genomic_binn(graph, **FIT).fit(bed, y)
    env = {k: os.environ.pop(k) for k in ("WORLD_SIZE", "RANK") if k in os.environ}
    try:
        mp.spawn(_streaming_rank, args=(2, str(tmp_path)), nprocs=2, join=True)
    finally:
        os.environ.update(env)
    states = [torch.load(tmp_path / f"state{r}.pt") for r in range(2)]
    for name, value in single.model_.state_dict().items():
        torch.testing.assert_close(states[0][name], value, rtol=1e-5, atol=1e-6, msg=name)
        assert torch.equal(states[0][name], states[1][name])
    np.testing.assert_allclose(json.loads((tmp_path / "loss0.json").read_text()), single.history_.train_loss,
                               rtol=1e-5)
    assert (tmp_path / "model_rank0.pt").is_file() and not (tmp_path / "model_rank1.pt").exists()
    reads = [json.loads((tmp_path / f"reads{r}.json").read_text()) for r in range(2)]
    # the statistics pass is split by batches of 1,024 (all 240 rows fall to rank 0); each training step reads a
    # share of ≤ 13 of the 25 rows, each validation chunk ≤ 25 rows on both ranks
    assert reads[0][0] == 240 and max(reads[0][1:]) <= 25 and max(reads[1]) <= 25
    shares = [sorted({n for n in reads[r][1:] if n < 23}) for r in range(2)]
    assert shares == [[9, 13], [8, 12]]  # the shares of a batch of 25 (13 + 12) and of the last one of 17 (9 + 8)
    for r in range(2):
        message = (tmp_path / f"error{r}.txt").read_text()
        assert "rank 1: data=" in message and "samples_crc" in message and "same command, data and seed" in message


def test_interrupted_checkpoint_write_leaves_no_half_written_file(tmp_path, monkeypatch):
    graph, _, y, path = _study(tmp_path)
    with PlinkGenotypes(path) as bed:
        est = genomic_binn(graph, **dict(FIT, max_epochs=1)).fit(bed, y)
    target = tmp_path / "model.pt"
    real_save = torch.save

    def interrupted_save(obj, handle, *args, **kwargs):
        handle.write(b"PK\x03\x04 half of a checkpoint")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        est.save(target)
    assert not target.exists() and not list(tmp_path.glob("*.partial"))
    monkeypatch.setattr(torch, "save", real_save)
    est.save(target)
    before = target.read_bytes()
    monkeypatch.setattr(torch, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        est.save(target)  # an interrupted overwrite keeps the previous checkpoint whole
    assert target.read_bytes() == before and not list(tmp_path.glob("*.partial"))
    monkeypatch.undo()
    np.testing.assert_array_equal(BINNRegressor.load(target).predict(read_genotypes(path)),
                                  est.predict(read_genotypes(path)))
