"""Torch intra-op threads on a quiet and on a busy machine: the estimators' n_threads default.

Two workloads, each at 1 and 2 torch threads, first on a quiet machine, then with a second process keeping one
core busy (a NumPy loop, as another user's job would):

* ``aki fit``: ``BINNClassifier(reactome, max_epochs=20, patience=100).fit`` on the bundled AKI cohort;
* ``reactome step``: one Adam step of a full-Reactome dag BINN (11,876 protein inputs) at batch 256.

Usage: python benchmarks/bench_threads.py [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import time
import warnings


def _busy(stop) -> None:
    import numpy as np

    a = np.random.default_rng(0).random((400, 400))
    while not stop.is_set():
        a = (a @ a) / 400.0


def _workloads():
    import torch

    from binn_graph import BINN, Architecture, BINNClassifier
    from binn_graph.datasets import load_aki
    from kg.datasets import reactome_files
    from kg.sources import reactome

    graph = reactome.load(**reactome_files())
    aki = load_aki()

    def aki_fit(threads: int) -> float:
        start = time.perf_counter()
        BINNClassifier(graph, max_epochs=20, patience=100, random_state=0, n_threads=threads).fit(aki.X, aki.y)
        return time.perf_counter() - start

    ids = sorted(graph.node_ids("protein"))
    model = BINN(Architecture.from_graph(graph, "protein", ids), n_outputs=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(256, len(ids)), torch.randint(0, 2, (256, 1)).float()

    def reactome_step(threads: int) -> float:
        torch.set_num_threads(threads)
        start = time.perf_counter()
        for _ in range(5):
            optimizer.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(model(x), y).backward()
            optimizer.step()
        return (time.perf_counter() - start) / 5

    return {"aki fit (20 epochs), s": aki_fit, "reactome dag step (batch 256), ms": reactome_step}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", help="append the table to this RESULTS.md")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import torch

    workloads = _workloads()
    rows = []
    for condition in ("quiet", "busy (one competing process)"):
        stop = mp.Event()
        competitor = mp.Process(target=_busy, args=(stop,)) if condition != "quiet" else None
        if competitor:
            competitor.start()
            time.sleep(1.0)
        try:
            for name, run in workloads.items():
                run(1)  # warm-up
                times = {1: [], 2: []}
                for _ in range(args.rounds):  # interleaved, so both settings see the same spells
                    for threads in (1, 2):
                        times[threads].append(run(threads) * (1e3 if "ms" in name else 1.0))
                one, two = statistics.median(times[1]), statistics.median(times[2])
                rows.append([condition, name, f"{one:.2f}", f"{two:.2f}", f"{two / one:.1f}×"])
                print(rows[-1], flush=True)
        finally:
            if competitor:
                stop.set()
                competitor.join()
    torch.set_num_threads(2)
    from binn_graph.cli.benchmark import markdown_table

    table = markdown_table(rows, ["machine", "workload", "1 thread", "2 threads", "2 threads / 1 thread"])
    print(table)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as out:
            out.write("\n## Threads on a busy machine\n\nCommand: `python benchmarks/bench_threads.py --write "
                      "benchmarks/RESULTS.md` (2 cores; medians of interleaved rounds). The estimators default to "
                      "`n_threads=1` from this table.\n\n" + table + "\n")


if __name__ == "__main__":
    main()
