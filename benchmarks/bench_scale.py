"""P-NET scale and genome scale benchmarks of the sparse BINN (issue: BINN engine).

P-NET scale: a synthetic graph with P-NET's layer sizes (27,687 → 9,229 → 1,387 → 1,066 → 447 → 147 → 26, about
70 k edges); forward + backward at batch 512 with each kernel, against a dense weight × mask reference of the same
layers. Target ≤ 300 ms.

Genome scale: 1,000,000 SNP inputs (int8 dosages, 1,000 samples) → 20,000 genes (each SNP affects one gene) → the
real Reactome 2025 hierarchy (each gene a member of 1–3 random lowest-level Reactome pathways). One training epoch
(batch 64, Adam) and the peak RSS of the whole process. Targets ≤ 60 s and ≤ 6 GB.

Usage: python benchmarks/bench_scale.py [--part pnet|genome|both] [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

PNET_SIZES = [27687, 9229, 1387, 1066, 447, 147, 26]
PNET_EDGES = [27687, 28000, 7000, 4000, 2000, 600]


def pnet_graph(seed: int = 0):
    """Layered random graph with P-NET's sizes; every node has ≥ 1 child and ≥ 1 parent."""
    from kg import KnowledgeGraph

    rng = np.random.default_rng(seed)
    g = KnowledgeGraph()
    names = [[f"l{level}_{i}" for i in range(n)] for level, n in enumerate(PNET_SIZES)]
    g.add_nodes("protein", names[0])
    g.add_nodes("pathway", [n for level in names[1:] for n in level])
    for level in range(len(PNET_SIZES) - 1):
        n_src, n_dst, n_edges = PNET_SIZES[level], PNET_SIZES[level + 1], PNET_EDGES[level]
        src = np.concatenate([np.arange(n_src), rng.integers(0, n_src, max(0, n_edges - n_src))])
        dst = np.concatenate([rng.permutation(np.resize(np.arange(n_dst), n_src)),
                              rng.integers(0, n_dst, max(0, n_edges - n_src))])
        pairs = np.unique(np.stack([src, dst]), axis=1)
        et = ("protein", "member_of", "pathway") if level == 0 else ("pathway", "part_of", "pathway")
        g.add_edges(et, np.asarray(names[level])[pairs[0]], np.asarray(names[level + 1])[pairs[1]])
    return g, names[0]


def bench_pnet() -> dict:
    import torch

    from binn_graph import BINN, Architecture

    torch.set_num_threads(2)
    graph, inputs = pnet_graph()
    arch = Architecture.from_graph(graph, "protein", inputs)
    x = torch.randn(512, len(arch.input_ids))
    out = {"layer_sizes": arch.layer_sizes, "edges": int(sum(arch.connection_counts))}
    for kernel in ("csr", "gather"):
        model = BINN(arch, n_outputs=1, kernel=kernel)
        for _ in range(2):
            model(x).sum().backward()
        start = time.perf_counter()
        for _ in range(5):
            model.zero_grad()
            model(x).sum().backward()
        out[kernel] = (time.perf_counter() - start) / 5
    # dense weight x mask reference (what P-NET and binn do), same layers, one pass
    layers = []
    bounds = arch.level_bounds
    for level in range(1, len(bounds)):
        n_in, n_out = bounds[level - 1][1] - bounds[level - 1][0], bounds[level][1] - bounds[level][0]
        layers.append((torch.nn.Linear(n_in, n_out), torch.ones(n_out, n_in)))
    h_in = x.clone().requires_grad_(False)
    start = time.perf_counter()
    h = h_in
    for lin, mask in layers:
        h = torch.tanh(torch.nn.functional.linear(h, lin.weight * mask, lin.bias))
    h.sum().backward()
    out["dense_mask"] = time.perf_counter() - start
    return out


def bench_genome(n_snps: int = 1_000_000, n_genes: int = 20_000, n_samples: int = 1000, batch: int = 64) -> dict:
    import pandas as pd
    import torch

    from binn_graph import BINN, Architecture
    from binn_graph.training import Trainer
    from kg.datasets import reactome_files
    from kg.sources import reactome

    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    graph = reactome.load(relations=reactome_files()["relations"])
    pathways = np.asarray(graph.node_ids("pathway"))
    leaves = pathways[~pd.Index(pathways).isin(graph.edges(("pathway", "part_of", "pathway"))["target"])]
    genes = np.array([f"G{i}" for i in range(n_genes)], dtype=object)
    snps = np.array([f"rs{i}" for i in range(n_snps)], dtype=object)
    graph.add_nodes("gene", genes).add_nodes("snp", snps)
    n_member = rng.integers(1, 4, n_genes)
    gene_src = np.repeat(genes, n_member)
    gene_dst = leaves[rng.integers(0, len(leaves), len(gene_src))]
    graph.add_edges(("gene", "member_of", "pathway"), gene_src, gene_dst)
    graph.add_edges(("snp", "affects", "gene"), snps, genes[rng.integers(0, n_genes, n_snps)])
    t_graph = time.perf_counter() - t0
    t0 = time.perf_counter()
    arch = Architecture.from_graph(graph, "snp", snps)
    t_compile = time.perf_counter() - t0
    del graph
    dosages = torch.empty(n_samples, n_snps, dtype=torch.int8)
    for start in range(0, n_samples, 50):  # generate in chunks: an int64 draw of the whole matrix would be 8 GB
        chunk = rng.binomial(2, 0.3, size=(min(50, n_samples - start), n_snps)).astype(np.int8)
        dosages[start:start + len(chunk)] = torch.from_numpy(chunk)
    y = torch.randn(n_samples, 1)
    model = BINN(arch, n_outputs=1)
    trainer = Trainer(max_epochs=1, batch_size=batch, lr=1e-3, scheduler=None, progress=False)
    t0 = time.perf_counter()
    trainer.fit(model, torch.nn.MSELoss(), dosages, y)
    t_epoch = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    return {"graph_s": t_graph, "compile_s": t_compile, "epoch_s": t_epoch, "peak_rss_gb": peak,
            "layer_sizes": arch.layer_sizes, "edges": int(sum(arch.connection_counts)), "batch": batch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=["pnet", "genome", "both"], default="both")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(bench_pnet() if args.one == "pnet" else bench_genome()))
        return
    parts = ["pnet", "genome"] if args.part == "both" else [args.part]
    from _results import markdown_table

    lines = []
    for part in parts:
        res = subprocess.run([sys.executable, __file__, "--one", part], capture_output=True, text=True, check=True)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        print(r, flush=True)
        if part == "pnet":
            lines += ["### P-NET scale", "",
                      f"Layer sizes {' → '.join(f'{s:,}' for s in r['layer_sizes'])} + output, {r['edges']:,} edges, "
                      "batch 512, forward + backward (mean of 5; dense × mask: one pass).", "",
                      markdown_table([["CSR (custom autograd)", f"{r['csr'] * 1000:.0f}", "≤ 300"],
                                      ["gather + index_add", f"{r['gather'] * 1000:.0f}", "≤ 300"],
                                      ["dense weight × mask (P-NET/binn style)", f"{r['dense_mask'] * 1000:.0f}",
                                       "reference"]], ["kernel", "time (ms)", "target"]), ""]
        else:
            lines += ["### Genome scale", "",
                      f"1,000,000 SNPs (int8) → 20,000 genes → Reactome; compiled layer sizes "
                      f"{' → '.join(f'{s:,}' for s in r['layer_sizes'])}, {r['edges']:,} edges; 1,000 samples, "
                      f"batch {r['batch']}.", "",
                      markdown_table([["build the graph (1 M SNP nodes, 1 M edges)", f"{r['graph_s']:.1f} s", ""],
                                      ["compile", f"{r['compile_s']:.1f} s", ""],
                                      ["one training epoch", f"{r['epoch_s']:.1f} s", "≤ 60 s"],
                                      ["peak RSS (whole process)", f"{r['peak_rss_gb']:.2f} GB", "≤ 6 GB"]],
                                     ["step", "value", "target"]), ""]
    section = "\n".join(["## Scale: P-NET-sized and genome-sized BINNs (issue: BINN engine)", "",
                         f"Command: `python benchmarks/bench_scale.py --part {args.part} --write benchmarks/RESULTS.md`",
                         "", *lines])
    print(section)
    if args.write:
        from _results import write_section

        write_section(args.write, "## Scale: P-NET-sized", section)


if __name__ == "__main__":
    main()
