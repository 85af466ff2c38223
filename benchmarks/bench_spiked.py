"""Does the data support the prior? The spiked-edge test for BINNs on the bundled AKI cohort and Reactome.

``binn_graph.attribution.binn_spiked_edge_test`` adds ``--n-spiked`` random protein → pathway edges (among the
pathways AKI's proteins already feed), fits a default ``BINNClassifier`` on the spiked graph and reports the AUC of
the input-edge weight magnitude, real above spiked, with its permutation p-value, for each seed.

Usage::

    python benchmarks/bench_spiked.py [--n-spiked 100] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import time

from binn_graph import BINNClassifier
from binn_graph.attribution import binn_spiked_edge_test
from binn_graph.cli.benchmark import markdown_table
from binn_graph.datasets import load_aki
from kg.datasets import reactome_files
from kg.sources import reactome


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-spiked", type=int, default=100)
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args(argv)
    aki = load_aki()
    graph = reactome.load(**reactome_files())
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        start = time.perf_counter()
        result = binn_spiked_edge_test(BINNClassifier(graph, random_state=seed, empty_columns="report"), aki.X, aki.y,
                                       n_spiked=args.n_spiked, random_state=seed)
        rows.append([seed, result.n_real, result.n_spiked, round(result.auc, 3), round(result.p_value, 4),
                     round(time.perf_counter() - start, 1)])
        print(rows[-1], flush=True)
    print(markdown_table(rows, ["seed", "real input edges", "spiked", "AUC (real > spiked)", "permutation p",
                                "seconds"]))


if __name__ == "__main__":
    main()
