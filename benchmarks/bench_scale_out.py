"""Scale-out benchmarks (issue 19): parallel null refits, DDP step time, a streaming genotype epoch, a projection.

* ``null``: 20 rewired-null refits of a BINNClassifier on AKI (bundled Reactome + AKI cohort), ``n_jobs=1`` against
  ``n_jobs=2``; the p-values must be identical.
* ``ddp``: training step time of 1 process against 2 gloo processes (``torch.multiprocessing`` on this machine) at
  the same global batch, on AKI-sized inputs of the full Reactome graph.
* ``stream``: simulated SNPs written as a PLINK ``.bed`` under ``--dir``, then one pass of statistics and one
  training epoch streamed from disk (int8 sample batches → standardised → SNP → gene sparse layer → phenotype), each
  size in a fresh process so its peak RSS is its own.
* ``stats-one``: the statistics pass SNP block by SNP block on an existing ``.bed`` (``--budget-s`` stops it
  early and projects the full pass from the SNPs done).
* ``fit``: the estimator itself (``genomic_binn``: SNP → gene subnetwork → pathway → phenotype) fitted on a simulated
  ``.bed`` streamed (``fit(PlinkGenotypes, y)``) and in memory (``fit(read_genotypes(bed), y)``), each in a fresh
  process: seconds and peak RSS.

Usage::

    python benchmarks/bench_scale_out.py null [--n-null 20]
    python benchmarks/bench_scale_out.py ddp [--samples 4096 --batch 256 --epochs 3]
    python benchmarks/bench_scale_out.py stream --dir /tmp/bed [--snps 100000 --samples 2000 4000 8000]
    python benchmarks/bench_scale_out.py fit --dir /tmp/bed [--snps 20000 --samples 2000 4000 8000 --epochs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")


# ---------------------------------------------------------------- null refits
def bench_null(n_null: int, jobs: list[int], max_epochs: int) -> dict:
    """Time ``explain(..., null="rewire", n_null=n_null)`` for each ``n_jobs``; p-values compared."""
    from binn_graph import BINNClassifier
    from binn_graph.attribution.explain import explain
    from binn_graph.datasets import load_aki
    from kg.datasets import reactome_files
    from kg.sources import reactome

    aki = load_aki()
    graph = reactome.load(**reactome_files())
    clf = BINNClassifier(graph, max_epochs=max_epochs, random_state=0, empty_columns="report").fit(aki.X, aki.y)
    out, p = {}, {}
    for n_jobs in jobs:
        clf.set_params(n_jobs=n_jobs)
        start = time.perf_counter()
        table = explain(clf, aki.X, null="rewire", n_null=n_null, X_train=aki.X, y_train=aki.y, random_state=0,
                        null_types="pathway")
        out[f"n_jobs={n_jobs} s"] = round(time.perf_counter() - start, 2)
        p[n_jobs] = table.sort_values("node_id")["p_value"].to_numpy()
    out["identical p-values"] = all(np.array_equal(p[jobs[0]], v, equal_nan=True) for v in p.values())
    out["speed-up"] = round(out[f"n_jobs={jobs[0]} s"] / out[f"n_jobs={jobs[-1]} s"], 2)
    return out


# ---------------------------------------------------------------- DDP step time
def _ddp_rank(rank: int, world: int, folder: str, samples: int, batch: int, epochs: int) -> None:
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    if world > 1:
        dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world)
    try:
        from binn_graph import BINN, Architecture
        from binn_graph.datasets import load_aki
        from binn_graph.training import Trainer
        from kg.datasets import reactome_files
        from kg.sources import reactome

        aki = load_aki()
        arch = Architecture.from_graph(reactome.load(**reactome_files()), "protein", list(aki.X.columns))
        torch.manual_seed(0)
        model = BINN(arch, n_outputs=1)
        g = torch.Generator().manual_seed(1)
        X = torch.randn(samples, len(arch.input_ids), generator=g)
        y = (X[:, :10].sum(1, keepdim=True) > 0).float()
        trainer = Trainer(max_epochs=1, batch_size=batch, lr=1e-3, scheduler=None, progress=False)
        trainer.fit(model, torch.nn.BCEWithLogitsLoss(), X, y)  # warm-up epoch
        trainer.max_epochs = epochs
        if world > 1:
            dist.barrier()
        start = time.perf_counter()
        trainer.fit(model, torch.nn.BCEWithLogitsLoss(), X, y)
        seconds = time.perf_counter() - start
        if rank == 0:
            steps = epochs * ((samples + batch - 1) // batch)
            Path(folder, f"world{world}.json").write_text(json.dumps({"seconds": seconds, "steps": steps}))
    finally:
        if world > 1:
            dist.destroy_process_group()


def bench_ddp(samples: int, batch: int, epochs: int) -> dict:
    """Step time of 1 and 2 processes, same global batch."""
    import torch.multiprocessing as mp

    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for world in (1, 2):
            mp.spawn(_ddp_rank, args=(world, folder, samples, batch, epochs), nprocs=world, join=True)
            run = json.loads(Path(folder, f"world{world}.json").read_text())
            out[f"{world} process step ms"] = round(1000 * run["seconds"] / run["steps"], 2)
    out["speed-up"] = round(out["1 process step ms"] / out["2 process step ms"], 2)
    return out


# ---------------------------------------------------------------- streaming epoch
def write_bed(path: Path, n_samples: int, n_snps: int, seed: int = 0, chunk: int = 5_000,
              log_every_s: float = 0.0, pool_mb: int = 0) -> None:
    """A simulated SNP-major PLINK set: genotype codes hom A1 / het / hom A2 with frequencies ¼ ½ ¼, 1 % missing;
    written at most ``chunk`` SNPs (and about 64 MB of draws) at a time, through a uint8 lookup table, so the
    writer's memory stays small at any sample count. ``log_every_s`` > 0 prints progress lines to stderr.

    ``pool_mb`` > 0 draws a pool of that many MB of packed genotype bytes once, and writes each SNP as a random
    window of the pool (for files of many GB, where drawing every genotype costs CPU-hours on a busy machine): the
    same code frequencies per byte, but SNPs are not independent draws. Reading and training costs do not depend
    on the values."""
    rng = np.random.default_rng(seed)
    per_snp = (n_samples + 3) // 4
    chunk = max(1, min(chunk, (1 << 26) // (per_snp * 4)))
    # draws u in [0, 200): < 2 missing (01), < 51 hom A1 (00), < 151 het (10), else hom A2 (11)
    codes = np.select([np.arange(200) < 2, np.arange(200) < 51, np.arange(200) < 151], [0b01, 0b00, 0b10],
                      0b11).astype(np.uint8)

    def packed_codes(m: int, width: int, pad: bool = True) -> np.ndarray:
        c = codes[rng.integers(0, 200, size=(m, width * 4), dtype=np.uint8)]
        if pad:
            c[:, n_samples:] = 0  # the padding of each SNP's last byte
        return c[:, 0::4] | (c[:, 1::4] << 2) | (c[:, 2::4] << 4) | (c[:, 3::4] << 6)

    pool = None
    if pool_mb:
        pool = np.concatenate([packed_codes(1, 1 << 24, pad=False).ravel() for _ in range(max(1, pool_mb // 16))])
        pad_mask = np.uint8((1 << (2 * (n_samples % 4))) - 1) if n_samples % 4 else np.uint8(0xFF)
    started = last = time.perf_counter()
    with open(path.with_suffix(".bed"), "wb") as out:
        out.write(bytes([0x6C, 0x1B, 0x01]))
        for start in range(0, n_snps, chunk):
            m = min(chunk, n_snps - start)
            if pool is None:
                packed = packed_codes(m, per_snp)
            else:
                offsets = rng.integers(0, len(pool) - per_snp, size=m)
                packed = np.empty((m, per_snp), dtype=np.uint8)
                for row, offset in enumerate(offsets):
                    packed[row] = pool[offset:offset + per_snp]
                packed[:, -1] &= pad_mask
            out.write(packed.tobytes())
            if log_every_s and time.perf_counter() - last >= log_every_s:
                last = time.perf_counter()
                _log("write", snps_done=start + m, snps=n_snps, elapsed_s=last - started)
    with open(path.with_suffix(".fam"), "w") as fam:
        fam.writelines(f"f{i}\ts{i}\t0\t0\t0\t-9\n" for i in range(n_samples))
    with open(path.with_suffix(".bim"), "w") as bim:
        bim.writelines(f"1\trs{j}\t0\t{j + 1}\tA\tG\n" for j in range(n_snps))


def _log(phase: str, **fields) -> None:
    """One progress line on stderr: phase, the given fields, this process's current and peak RSS (GB), the load."""
    rss = _memory_gb()
    load = os.getloadavg()[0]
    fields = {k: round(v, 2) if isinstance(v, float) else v for k, v in fields.items()}
    print(json.dumps({"phase": phase, **fields, **rss, "load1": round(load, 2), "utc": time.strftime("%H:%M:%S")}),
          file=sys.stderr, flush=True)


def _memory_gb() -> dict:
    """This process's ``VmRSS`` and ``VmHWM`` in GB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out["rss_gb" if line.startswith("VmRSS") else "peak_rss_gb"] = round(int(line.split()[1]) * 1024 / 1e9, 3)
    return out


def _peak_rss_gb() -> float:
    """This process's peak resident memory (``VmHWM``: unlike ``ru_maxrss`` it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e9
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def stream_epoch(bed: Path, batch: int, snps_per_gene: int, log_every_s: float = 0.0,
                 stats_budget_s: float | None = None) -> dict:
    """One statistics pass and one training epoch streamed from ``bed``; times and this process's peak RSS.

    ``log_every_s`` > 0 prints a progress line (samples done, elapsed, RSS) to stderr that often, so a run stopped
    part-way still gives a measured rate. ``stats_budget_s`` stops the statistics pass after that many seconds (its
    rate is measured on the samples done, ``stats_samples``) and standardises the epoch with those statistics."""
    import torch

    from binn_graph.genomic import GenotypeStatistics, PlinkGenotypes
    from binn_graph.nn import EdgeLinear

    torch.set_num_threads(1)
    out = {}
    with PlinkGenotypes(bed) as geno:
        n, m = geno.n_samples, geno.n_snps
        start = last = time.perf_counter()
        stats = GenotypeStatistics.empty(geno.snps)
        for _, block in geno.batches(batch):
            stats.update(block)
            if stats_budget_s is not None and time.perf_counter() - start >= stats_budget_s:
                break
            if log_every_s and time.perf_counter() - last >= log_every_s:
                last = time.perf_counter()
                _log("statistics", samples_done=stats.n_samples, samples=n, elapsed_s=last - start)
        out["stats_s"] = time.perf_counter() - start
        out["stats_samples"] = stats.n_samples
        _log("statistics done", samples_done=stats.n_samples, samples=n, elapsed_s=out["stats_s"])
        genes = m // snps_per_gene
        edge_index = torch.stack([torch.arange(m), torch.arange(m) // snps_per_gene])
        torch.manual_seed(0)
        layer, head = EdgeLinear(m, genes, edge_index), torch.nn.Linear(genes, 1)
        params = list(layer.parameters()) + list(head.parameters())
        optimizer = torch.optim.Adam(params, lr=1e-3)
        phenotype = torch.randn(n, 1, generator=torch.Generator().manual_seed(0))
        order = np.random.default_rng(0).permutation(n)
        start = last = time.perf_counter()
        steps = 0
        for start_row in range(0, n, batch):
            rows = np.sort(order[start_row:start_row + batch])  # a shuffled batch, read in file order
            x = torch.from_numpy(stats.standardize(geno.read(rows)))
            optimizer.zero_grad(set_to_none=True)
            hidden = torch.tanh(layer(x.T.contiguous()))  # node-major [genes, batch]
            loss = torch.nn.functional.mse_loss(head(hidden.T), phenotype[rows])
            loss.backward()
            optimizer.step()
            steps += 1
            if log_every_s and time.perf_counter() - last >= log_every_s:
                last = time.perf_counter()
                _log("epoch", samples_done=min(start_row + batch, n), samples=n, elapsed_s=last - start)
        out["epoch_s"] = time.perf_counter() - start
    out.update(samples=n, snps=m, steps=steps, bed_gb=bed.stat().st_size / 1e9, peak_rss_gb=_peak_rss_gb())
    return out


def stats_pass(bed: Path, log_every_s: float = 0.0, budget_s: float | None = None,
               max_bytes: int = 1 << 26) -> dict:
    """The statistics pass SNP block by SNP block (``PlinkGenotypes.snp_blocks``: the file read sequentially once,
    as ``PlinkGenotypes.statistics()`` and the streamed fit do); seconds, SNPs done and peak RSS. ``budget_s``
    stops it early (its rate is measured on the SNPs done)."""
    from binn_graph.genomic import GenotypeStatistics, PlinkGenotypes

    with PlinkGenotypes(bed) as geno:
        stats = GenotypeStatistics.empty(geno.snps)
        start = last = time.perf_counter()
        done = 0
        for snps, block in geno.snp_blocks(max_bytes=max_bytes):
            stats.add_block(block, snps)
            done = snps.stop
            now = time.perf_counter()
            if budget_s is not None and now - start >= budget_s:
                break
            if log_every_s and now - last >= log_every_s:
                last = now
                _log("statistics (SNP blocks)", snps_done=done, snps=geno.n_snps, elapsed_s=now - start)
        seconds = time.perf_counter() - start
        n, m = geno.n_samples, geno.n_snps
    return {"samples": n, "snps": m, "snps_done": done, "stats_s": seconds,
            "projected_full_pass_s": seconds * m / max(done, 1), "peak_rss_gb": _peak_rss_gb()}


def bench_stream(folder: Path, snps: int, samples: list[int], batch: int, snps_per_gene: int, keep: bool,
                 log_every_s: float = 0.0, pool_mb: int = 0, stats_budget_s: float | None = None) -> list:
    """Each size: write the .bed (timed), then stream it in a fresh process (its progress lines pass through to
    stderr)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in samples:
        bed = folder / f"sim_{snps}x{n}.bed"
        start = time.perf_counter()
        if not all(bed.with_suffix(x).exists() for x in (".bed", ".bim", ".fam")):  # .fam/.bim come last
            write_bed(bed, n, snps, log_every_s=log_every_s, pool_mb=pool_mb)
            _log("write done", snps=snps, samples=n, elapsed_s=time.perf_counter() - start)
        write_s = time.perf_counter() - start
        result = subprocess.run([sys.executable, __file__, "stream-one", str(bed), "--batch", str(batch),
                                 "--snps-per-gene", str(snps_per_gene), "--log-every", str(log_every_s)]
                                + ([] if stats_budget_s is None else ["--stats-budget-s", str(stats_budget_s)]),
                                stdout=subprocess.PIPE, text=True, check=True)
        row = json.loads(result.stdout.strip().splitlines()[-1])
        row["write_s"] = write_s
        row["epoch_ms_per_sample"] = 1000 * row["epoch_s"] / n
        rows.append({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
        print(json.dumps(rows[-1]), flush=True)
        if not keep:
            for suffix in (".bed", ".bim", ".fam"):
                bed.with_suffix(suffix).unlink()
    return rows


# ---------------------------------------------------------------- the estimator, streamed against in memory
def _snp_graph(snps, snps_per_gene: int, genes_per_pathway: int = 20):
    """SNP → gene → pathway: consecutive blocks of ``snps_per_gene`` SNPs a gene, ``genes_per_pathway`` genes a
    pathway."""
    from kg import KnowledgeGraph

    genes = [f"g{j // snps_per_gene}" for j in range(len(snps))]
    gene_ids = list(dict.fromkeys(genes))
    pathways = [f"p{k // genes_per_pathway}" for k in range(len(gene_ids))]
    graph = KnowledgeGraph()
    graph.add_nodes("snp", list(snps))
    graph.add_nodes("gene", gene_ids)
    graph.add_nodes("pathway", list(dict.fromkeys(pathways)))
    graph.add_edges(("snp", "affects", "gene"), list(snps), genes)
    graph.add_edges(("gene", "member_of", "pathway"), gene_ids, pathways)
    return graph


def fit_one(bed: Path, mode: str, batch: int, epochs: int, snps_per_gene: int) -> dict:
    """One ``genomic_binn`` fit on ``bed``: ``mode="streamed"`` passes the PlinkGenotypes, ``"memory"`` the whole
    genotype DataFrame (read_genotypes); a random phenotype; seconds and this process's peak RSS."""
    import pandas as pd
    import torch

    from binn_graph.genomic import PlinkGenotypes, read_genotypes
    from binn_graph.genomic.benchmark import genomic_binn

    torch.set_num_threads(1)
    with PlinkGenotypes(bed) as geno:
        graph = _snp_graph(geno.snps, snps_per_gene)
        y = pd.Series(np.random.default_rng(0).normal(size=geno.n_samples), index=geno.samples)
        model = genomic_binn(graph, max_epochs=epochs, batch_size=batch, patience=epochs + 1)
        start = time.perf_counter()
        if mode == "streamed":
            model.fit(geno, y)
        else:
            model.fit(read_genotypes(bed), y)
        seconds = time.perf_counter() - start
    return {"mode": mode, "samples": geno.n_samples, "snps": geno.n_snps, "epochs": epochs, "fit_s": seconds,
            "train_loss": model.history_.train_loss[-1], "peak_rss_gb": _peak_rss_gb()}


def bench_fit(folder: Path, snps: int, samples: list[int], batch: int, epochs: int, snps_per_gene: int,
              modes: list[str]) -> list:
    """Each size and mode in a fresh process (its own peak RSS); the .bed files are kept in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in samples:
        bed = folder / f"sim_{snps}x{n}.bed"
        if not all(bed.with_suffix(x).exists() for x in (".bed", ".bim", ".fam")):  # .fam/.bim come last
            write_bed(bed, n, snps)
        for mode in modes:
            result = subprocess.run([sys.executable, __file__, "fit-one", str(bed), mode, "--batch", str(batch),
                                     "--epochs", str(epochs), "--snps-per-gene", str(snps_per_gene)],
                                    stdout=subprocess.PIPE, text=True, check=True)
            row = json.loads(result.stdout.strip().splitlines()[-1])
            rows.append({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv=None) -> None:
    """Command line: one benchmark per sub-command; prints JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="part", required=True)
    null = sub.add_parser("null")
    null.add_argument("--n-null", type=int, default=20)
    null.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    null.add_argument("--max-epochs", type=int, default=200)
    ddp = sub.add_parser("ddp")
    ddp.add_argument("--samples", type=int, default=4096)
    ddp.add_argument("--batch", type=int, default=256)
    ddp.add_argument("--epochs", type=int, default=3)
    stream = sub.add_parser("stream")
    stream.add_argument("--dir", type=Path, required=True, help="folder for the simulated .bed files")
    stream.add_argument("--snps", type=int, default=100_000)
    stream.add_argument("--samples", type=int, nargs="+", default=[2000, 4000, 8000])
    stream.add_argument("--batch", type=int, default=256)
    stream.add_argument("--snps-per-gene", type=int, default=50)
    stream.add_argument("--keep", action="store_true", help="keep the simulated files")
    stream.add_argument("--log-every", type=float, default=0.0,
                        help="seconds between progress lines on stderr (0: none)")
    stream.add_argument("--pool-mb", type=int, default=0,
                        help="write each SNP as a window of a pool of this many MB of simulated bytes (0: draw all)")
    stream.add_argument("--stats-budget-s", type=float, default=None,
                        help="stop the statistics pass after this many seconds (default: the whole pass)")
    fit = sub.add_parser("fit")
    fit.add_argument("--dir", type=Path, required=True, help="folder for the simulated .bed files (kept)")
    fit.add_argument("--snps", type=int, default=20_000)
    fit.add_argument("--samples", type=int, nargs="+", default=[2000, 4000, 8000])
    fit.add_argument("--batch", type=int, default=128)
    fit.add_argument("--epochs", type=int, default=1)
    fit.add_argument("--snps-per-gene", type=int, default=50)
    fit.add_argument("--modes", nargs="+", default=["streamed", "memory"], choices=["streamed", "memory"])
    fit_single = sub.add_parser("fit-one")
    fit_single.add_argument("bed", type=Path)
    fit_single.add_argument("mode", choices=["streamed", "memory"])
    fit_single.add_argument("--batch", type=int, default=128)
    fit_single.add_argument("--epochs", type=int, default=1)
    fit_single.add_argument("--snps-per-gene", type=int, default=50)
    stats = sub.add_parser("stats-one")
    stats.add_argument("bed", type=Path)
    stats.add_argument("--log-every", type=float, default=0.0)
    stats.add_argument("--budget-s", type=float, default=None)
    one = sub.add_parser("stream-one")
    one.add_argument("bed", type=Path)
    one.add_argument("--batch", type=int, default=256)
    one.add_argument("--snps-per-gene", type=int, default=50)
    one.add_argument("--log-every", type=float, default=0.0)
    one.add_argument("--stats-budget-s", type=float, default=None)
    args = parser.parse_args(argv)
    if args.part == "null":
        print(json.dumps(bench_null(args.n_null, args.jobs, args.max_epochs), indent=1))
    elif args.part == "ddp":
        print(json.dumps(bench_ddp(args.samples, args.batch, args.epochs), indent=1))
    elif args.part == "stream":
        bench_stream(args.dir, args.snps, args.samples, args.batch, args.snps_per_gene, args.keep, args.log_every,
                     args.pool_mb, args.stats_budget_s)
    elif args.part == "fit":
        bench_fit(args.dir, args.snps, args.samples, args.batch, args.epochs, args.snps_per_gene, args.modes)
    elif args.part == "stats-one":
        print(json.dumps(stats_pass(args.bed, args.log_every, args.budget_s)))
    elif args.part == "fit-one":
        print(json.dumps(fit_one(args.bed, args.mode, args.batch, args.epochs, args.snps_per_gene)))
    else:
        print(json.dumps(stream_epoch(args.bed, args.batch, args.snps_per_gene, args.log_every, args.stats_budget_s)))


if __name__ == "__main__":
    main()
