"""BINN engine at full human Reactome, side by side with binn 0.1.1 in one run (issue: BINN engine).

Every UniProt protein of the Reactome mapping is an input (binn keeps 10,994 at 4 levels). The contenders:

* ``binn``: binn 0.1.1 network build (``BINN(...)``, dense Linear × pruning mask) and one Adam step at batch 256;
* ``layered``: binn-graph compile in layered mode (4 levels, same layers as binn) + one step;
* ``dag``: binn-graph compile over the full hierarchy + one step.

Build time and peak RSS come from one subprocess per contender (so that peak RSS is the whole process's). Step
times come from one further subprocess holding all three models, timed in interleaved rounds, so that every
contender is timed in the same spells of a shared machine (slow spells still slow memory-bound sparse code more than
binn's compute-bound dense step).

Usage: python benchmarks/bench_engine.py [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

CONTENDERS = ("binn", "layered", "dag")
STEP_REPEATS = 10
STEP_ROUNDS = 7


def _build(which: str) -> dict:
    """Build one contender on full Reactome: its model, optimizer, a step function and what the table reports."""
    import pandas as pd
    import torch

    torch.set_num_threads(2)
    from kg.datasets import reactome_files

    files = reactome_files()
    mapping = pd.read_csv(files["mapping"], sep="\t", header=None).iloc[:, :2]
    mapping.columns = ["input", "translation"]
    proteins = sorted(mapping["input"].unique())
    note = "build from DataFrames"
    if which == "binn":
        from binn import BINN

        rel = pd.read_csv(files["relations"], sep="\t", header=None, names=["target", "source"])
        start = time.perf_counter()
        model = BINN(data_matrix=pd.DataFrame({"Protein": proteins}), mapping=mapping, pathways=rel, n_layers=4,
                     n_outputs=2)
        build = time.perf_counter() - start
        n_inputs = len(model.inputs)
        sizes = [m.shape[0] for m in model.connectivity_matrices]
        weights = sum(p.numel() for n, p in model.named_parameters() if "weight" in n)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)  # binn's own (plain) Adam
    else:
        from binn_graph import BINN, Architecture, Trainer
        from kg.sources import reactome

        start = time.perf_counter()
        graph = reactome.load(**files)
        load = time.perf_counter() - start
        start = time.perf_counter()
        arch = Architecture.from_graph(graph, "protein", proteins, mode=which,
                                       n_levels=4 if which == "layered" else None)
        model = BINN(arch, n_outputs=2)
        build = time.perf_counter() - start
        n_inputs = len(arch.input_ids)
        sizes = arch.layer_sizes
        weights = sum(p.numel() for p in model.parameters())
        optimizer = Trainer(lr=1e-3).optimizer(model)  # the optimizer our Trainer uses (fused Adam)
        note = f"+ {load:.2f} s to load the Reactome files"
    x = torch.randn(256, n_inputs)
    target = torch.randint(0, 2, (256,))

    def step() -> None:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), target).backward()
        optimizer.step()

    return {"step": step, "build_s": build, "layer_sizes": sizes, "parameters": int(weights), "note": note}


def run_one(which: str) -> dict:
    """Build time and whole-process peak RSS of one contender (built and stepped 3 times in this process)."""
    built = _build(which)
    step = built.pop("step")
    for _ in range(3):
        step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"which": which, "peak_rss_mb": peak, **built}


def run_steps() -> dict[str, list[float]]:
    """Step times of all contenders in one process, interleaved: each of STEP_ROUNDS rounds times a block of
    STEP_REPEATS steps (after 3 warm-up steps) of every contender in turn, so that all of them are timed in the
    same spells of this shared machine. Returns each contender's mean step time per block (s)."""
    built = {which: _build(which) for which in CONTENDERS}
    blocks: dict[str, list[float]] = {which: [] for which in CONTENDERS}
    for _ in range(STEP_ROUNDS):
        for which in CONTENDERS:
            step = built[which]["step"]
            for _ in range(3):
                step()
            start = time.perf_counter()
            for _ in range(STEP_REPEATS):
                step()
            blocks[which].append((time.perf_counter() - start) / STEP_REPEATS)
    return blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--steps", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    if args.steps:
        print(json.dumps(run_steps()))
        return

    def subprocess_json(*flags: str):
        out = subprocess.run([sys.executable, __file__, *flags], capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    results = {which: subprocess_json("--one", which) for which in CONTENDERS}
    blocks = subprocess_json("--steps")
    for which in CONTENDERS:
        results[which]["step_s"] = statistics.median(blocks[which])
        results[which]["round_ratios"] = [b / c for b, c in zip(blocks["binn"], blocks[which])]
        print(which, results[which], flush=True)
    section = report(results)
    print(section)
    if args.write:
        from _results import write_section

        write_section(args.write, "## Full human Reactome, side by side", section)


def report(results: dict) -> str:
    """The RESULTS.md section from the contenders' results (build, step, memory, layer sizes)."""
    from _results import markdown_table

    b = results["binn"]
    rows = []
    for which in CONTENDERS:
        r = results[which]
        ratios = r["round_ratios"]
        rows.append(["binn 0.1.1" if which == "binn" else f"binn-graph {which}",
                     " → ".join(f"{s:,}" for s in r["layer_sizes"]), f"{r['parameters']:,}", f"{r['build_s']:.2f}",
                     f"{r['step_s']:.4f}", f"{r['peak_rss_mb']:.0f}", f"{b['build_s'] / r['build_s']:.0f}×",
                     f"{b['step_s'] / r['step_s']:.0f}× ({min(ratios):.0f}–{max(ratios):.0f}×)",
                     f"{r['peak_rss_mb'] / b['peak_rss_mb']:.2f}"])
    table = markdown_table(rows, ["contender", "layer sizes", "parameters", "build (s)", "step, batch 256 (s)",
                                  "peak RSS (MB)", "build speed-up", "step speed-up (range over rounds)",
                                  "memory ratio"])
    return "\n".join([
        "## Full human Reactome, side by side with binn 0.1.1 (issue: BINN engine)", "",
        "Inputs: every UniProt accession of the bundled Reactome mapping (11,876; binn keeps those connected at "
        "4 levels). Build = binn's `BINN(...)` constructor vs binn-graph's `Architecture.from_graph` + `BINN(...)` "
        f"(plus {results['layered']['note'].split('+ ')[1]}); build time and peak RSS (whole process) come from "
        "one subprocess per contender. Step = forward + backward + Adam at batch 256 (binn: plain Adam; binn-graph: "
        "the fused Adam its Trainer uses), timed with all three models in one process, interleaved: in each of "
        f"{STEP_ROUNDS} rounds every contender runs 3 warm-up steps and a timed block of {STEP_REPEATS}. The table "
        "gives the median block, the speed-up of the medians and, in brackets, the range of the speed-up within "
        "single rounds. Targets: build ≥ 20×, step ≥ 20× faster, memory ≤ ½.", "",
        "Command: `python benchmarks/bench_engine.py --write benchmarks/RESULTS.md`", "", table, ""])


if __name__ == "__main__":
    main()
