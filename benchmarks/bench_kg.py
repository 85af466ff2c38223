"""Knowledge-graph benchmarks on the full bundled human Reactome (issue: kg).

Targets (2 cores): load < 2 s, HeteroData < 0.5 s, save + load < 1 s, Turtle round trip < 30 s.

Usage: python benchmarks/bench_kg.py [--repeats 5] [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from kg import KnowledgeGraph
from kg.convert.rdf import write_turtle
from kg.datasets import reactome_files
from kg.sources import reactome


def timed(func, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", type=Path, help="replace the kg section of this RESULTS.md")
    args = parser.parse_args()
    torch.set_num_threads(2)
    files = reactome_files()
    t_load, g = timed(lambda: reactome.load(**files), args.repeats)
    t_hetero, _ = timed(g.to_heterodata, args.repeats)
    tmp = Path(tempfile.mkdtemp())

    def save_load():
        g.save(tmp / "g")
        return KnowledgeGraph.load(tmp / "g")

    t_store, back = timed(save_load, args.repeats)
    assert back.equals(g)

    def turtle():
        write_turtle(g, tmp / "g.ttl")
        return KnowledgeGraph.from_rdf(tmp / "g.ttl")

    t_ttl, back = timed(turtle, max(1, args.repeats // 5))
    assert back.equals(g)
    rows = [
        ("load full human Reactome (51,056 mapping rows, 2,769 hierarchy rows, names)", t_load, 2.0),
        ("convert to HeteroData", t_hetero, 0.5),
        ("save + load (directory format)", t_store, 1.0),
        ("Turtle round trip (write + parse + rebuild)", t_ttl, 30.0),
    ]
    from _results import markdown_table

    table = markdown_table([(name, f"{t:.3f}", f"< {target:g}", "yes" if t < target else "NO")
                            for name, t, target in rows], ["step", "median time (s)", "target (s)", "met"])
    section = "\n".join([
        "## Knowledge graph (kg)",
        "",
        f"Graph: {g}. Machine: {platform.processor() or platform.machine()}, torch threads 2, "
        f"median of {args.repeats} runs (Turtle: {max(1, args.repeats // 5)}).",
        "",
        "Command: `python benchmarks/bench_kg.py --repeats 5 --write benchmarks/RESULTS.md`",
        "",
        table,
        "",
    ])
    print(section)
    if args.write:
        from _results import write_section

        write_section(args.write, "## Knowledge graph (kg)", section)


if __name__ == "__main__":
    main()
