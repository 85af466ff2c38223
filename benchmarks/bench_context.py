"""Context networks (CORNETO through binn-graph): the CORNETO regression fixtures, and minimal sub-DAG BINNs.

Part 1, ``--data DIR`` (``/work/shared/data/corneto``, GPL-3.0: read from the path given, never copied): the
CARNIVAL test graph (expected objective 32.6251), the undirected Steiner fixture (45.00) and the directed one with
the best root (35.85), each built as a KnowledgeGraph from the TSVs and solved by ``binn_graph.context`` with HiGHS.
``--tgfb`` adds the SIGNOR TGF-β tutorial network (60,034 edges; ``lambda_reg=1``, ``indirect_rule_penalty=10``).

Part 2 (issue 16 item 6b): the minimal sub-DAG that keeps every input connected to the output
(``binn_graph.context.minimal_dag``), against the full graph, with the same BINN settings:
* AKI (bundled), Reactome 2025: stratified 5-fold CV ROC-AUC;
* a planted pathway over the AKI proteins on Reactome (N(0,1) inputs, label = sign of the mean tanh of one planted
  pathway's members + noise; 400 train / 300 test; ROC-AUC);
* the same planted problem with data-weighted edge costs computed on the training rows (a context-aware selection);
* ``binn_graph.simulate.shoot_branching`` (SNP → gene → pathway, 300 train / 500 test, R², the tuned genomic
  settings of bench_defaults.py).
The unweighted sub-DAG is chosen from the input ids alone (no labels), so selecting it once before CV leaks nothing.

Usage: python benchmarks/bench_context.py --data /work/shared/data/corneto [--skip-binn] [--tgfb]
       [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _results import markdown_table, write_section

from binn_graph.context import carnival, minimal_dag, steiner
from kg import KnowledgeGraph

REG = ("protein", "regulates", "protein")
#: benchmarks/bench_defaults.py's tuned settings for the genomic (shoot_branching) problem
GENOMIC = dict(node_hidden={"gene": [16]}, node_width={"gene": 1, "pathway": 4}, norm=None, l2=1e-2, lr=3e-3,
               weight_decay=0.0)
LINK = ("node", "linked_to", "node")


def _signed_graph(edges: pd.DataFrame) -> KnowledgeGraph:
    nodes = sorted(set(edges["source"]) | set(edges["target"]))
    return KnowledgeGraph().add_nodes("protein", nodes).add_edges(REG, edges["source"], edges["target"],
                                                                   sign=edges["interaction"].astype(float))


def fixtures(data: Path, tgfb: bool) -> list[tuple]:
    rows = []
    e = pd.read_csv(data / "large_graph_carnival.edges.tsv", sep="\t")
    d = pd.read_csv(data / "large_graph_carnival_single_input.tsv", sep="\t")
    g = _signed_graph(e)
    sample = d["sample"].iloc[0]
    inputs = d[d["type"] == "input"].set_index("node")["value"].rename(sample)
    outputs = d[d["type"] == "output"].set_index("node")["value"].rename(sample)
    start = time.perf_counter()
    r = carnival(g, inputs, outputs)
    rows.append(("CARNIVAL test graph (287 nodes, 697 edges, 188 outputs)", "32.6251", f"{r.objective:.5f}",
                 abs(r.objective - 32.6251) <= 1e-4, r.status, r.solve_seconds, time.perf_counter() - start,
                 f"{r.graph.num_edges()} edges selected"))
    for name, expected, kw in (("undirected_steiner", 45.00, {}),
                               ("directed_steiner", 35.85, {"root_selection": "best"})):
        e = pd.read_csv(data / f"{name}.edges.tsv", sep="\t", dtype={"source": str, "target": str})
        v = pd.read_csv(data / f"{name}.vertices.tsv", sep="\t", dtype={"vertex": str})
        g = (KnowledgeGraph().add_nodes("node", v["vertex"])
             .add_edges(LINK, e["source"], e["target"], value=e["value"], directed=e["edge_type"] == "directed"))
        start = time.perf_counter()
        r = steiner(g, list(v["vertex"][v["terminal"]]), edge_cost="value", **kw)
        rows.append((f"{name.replace('_', ' ')} ({g.num_nodes()} nodes, {g.num_edges()} edges, "
                     f"{int(v['terminal'].sum())} terminals){', best root' if kw else ''}", f"{expected:.2f}",
                     f"{r.objective:.3f}", abs(r.objective - expected) <= 1e-2, r.status, r.solve_seconds,
                     time.perf_counter() - start, f"tree cost recomputed from the selected edges: "
                     f"{r.graph.edges(LINK)['value'].sum():.3f}"))
    if tgfb:
        e = pd.read_csv(data / "carnival_transcriptomics.edges.tsv", sep="\t")
        e = e.drop_duplicates(["source", "target"])  # one pair has both signs; the first is kept (as kg does)
        d = pd.read_csv(data / "carnival_transcriptomics.data.tsv", sep="\t")
        g = _signed_graph(e)
        inputs = d[d["role"] == "input"].set_index("id")["value"].rename("sample1")
        outputs = d[d["role"] == "output"].set_index("id")["value"].rename("sample1")
        start = time.perf_counter()
        r = carnival(g, inputs, outputs, lambda_reg=1.0, indirect_rule_penalty=10, time_limit=300)
        rows.append(("SIGNOR TGF-β tutorial (5,442 nodes, 60,034 edges; lambda_reg 1, indirect penalty 10)",
                     "none stated", f"{r.objective:.4f}", None, r.status, r.solve_seconds,
                     time.perf_counter() - start, f"{r.graph.num_edges()} edges selected"))
    return rows


def _n_params(model) -> int:
    return int(sum(p.numel() for p in model.model_.parameters()))


def binn_tradeoffs() -> list[tuple]:
    import torch
    from sklearn.metrics import r2_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from binn_graph import BINNClassifier, BINNRegressor
    from binn_graph.datasets import load_aki
    from binn_graph.simulate import shoot_branching
    from kg.datasets import reactome_files
    from kg.sources import reactome

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    graph = reactome.load(**reactome_files())
    aki = load_aki()
    rows = []

    def compare(problem, full_graph, inputs, fit_score, input_type="protein", relations=("member_of", "part_of"),
                note="", edge_cost=1.0):
        start = time.perf_counter()
        sel = minimal_dag(full_graph, inputs, input_type=input_type, relations=relations, edge_cost=edge_cost)
        select_s = time.perf_counter() - start
        out = {}
        for label, g in (("full graph", full_graph), ("minimal sub-DAG", sel.graph)):
            start = time.perf_counter()
            scores, params = fit_score(g)
            out[label] = (np.mean(scores), np.std(scores), params, time.perf_counter() - start)
        (f_m, f_s, f_p, f_t), (p_m, p_s, p_p, p_t) = out["full graph"], out["minimal sub-DAG"]
        rows.append((problem, f"{f_m:.3f} ± {f_s:.3f}", f"{p_m:.3f} ± {p_s:.3f}",
                     f"{100 * (p_m - f_m) / abs(f_m):+.2f} %", f"{f_p:,}", f"{p_p:,}",
                     f"{100 * (1 - p_p / f_p):.1f} %", f"{sel.graph.num_edges():,} of "
                     f"{next(e.count for e in sel.report.entries if e.what.startswith('graph edges offered')):,}",
                     f"{select_s:.0f}", f"{f_t:.0f} / {p_t:.0f}", note))
        print(rows[-1], flush=True)
        return sel

    cv = StratifiedKFold(5, shuffle=True, random_state=0)

    def aki_cv(g):
        scores, params = [], 0
        for tr, te in cv.split(aki.X, aki.y):
            clf = BINNClassifier(g, random_state=0).fit(aki.X.iloc[tr], aki.y.iloc[tr])
            scores.append(roc_auc_score(aki.y.iloc[te], clf.predict_proba(aki.X.iloc[te])[:, 1]))
            params = _n_params(clf)
        return scores, params

    compare("AKI cohort, Reactome (5-fold CV ROC-AUC)", graph, aki.X.columns, aki_cv)

    rng = np.random.default_rng(0)
    proteins = sorted(set(aki.X.columns) & set(graph.node_ids("protein")))
    member = graph.edges(("protein", "member_of", "pathway"))
    member = member[member["source"].isin(set(proteins))]
    counts = member.groupby("target").size()
    candidates = sorted(counts[(counts >= 10) & (counts <= 30)].index)
    planted = candidates[rng.integers(len(candidates))]
    members = sorted(member.loc[member["target"] == planted, "source"])
    n = 700
    X = pd.DataFrame(rng.normal(size=(n, len(proteins))), columns=proteins, index=[f"s{i}" for i in range(n)])
    score = np.tanh(X[members]).mean(axis=1).to_numpy()
    y = pd.Series(np.where(score / score.std() + 0.5 * rng.normal(size=n) > 0, "case", "control"), index=X.index)

    def planted_fit(g):
        scores, params = [], 0
        for seed in range(3):
            clf = BINNClassifier(g, random_state=seed).fit(X.iloc[:400], y.iloc[:400])
            scores.append(roc_auc_score(y.iloc[400:], clf.predict_proba(X.iloc[400:])[:, 1]))
            params = _n_params(clf)
        return scores, params

    def kept_note(sel):
        kept = sel.graph.edges(("protein", "member_of", "pathway"))
        n_kept = int(kept["source"][kept["target"] == planted].isin(members).sum())
        return f"planted pathway kept with {n_kept} of its {len(members)} members wired to it"

    name = f"planted pathway {planted} ({len(members)} members) over the AKI proteins, Reactome (test ROC-AUC, 3 seeds)"
    sel = compare(name, graph, proteins, planted_fit)
    rows[-1] = (*rows[-1][:-1], kept_note(sel))
    # data-weighted costs from the training rows only: an edge into pathway p costs 1 - |r_p|, r_p = Pearson r
    # between the label and the mean of p's direct members
    y01 = (y.iloc[:400] == "case").astype(float).to_numpy()
    train = X.iloc[:400]
    score = {}
    for p, sub in member.groupby("target"):
        mean = train[sorted(set(sub["source"]))].mean(axis=1).to_numpy()
        score[p] = abs(np.corrcoef(mean, y01)[0, 1])
    keys, costs = [], []
    for et in (("protein", "member_of", "pathway"), ("pathway", "part_of", "pathway")):
        table = graph.edges(et)
        keys += list(zip(table["source"].astype(str), table["target"].astype(str)))
        costs += [1.0 - score.get(t, 0.0) for t in table["target"]]
    weighted = pd.Series(costs, index=pd.MultiIndex.from_tuples(keys))
    sel_w = compare(name.replace("(test", "with data-weighted edge costs (training rows) (test"), graph, proteins,
                    planted_fit, edge_cost=weighted)
    rows[-1] = (*rows[-1][:-1], "edge into pathway p costs 1 - |r(label, mean of p's members)| on the 400 training "
                "rows; " + kept_note(sel_w))

    study = shoot_branching(800, seed=0)
    Xs, ys = study.genotypes.astype(float), study.phenotype

    def shoot_fit(g):
        scores, params = [], 0
        for seed in range(3):
            reg = BINNRegressor(g, input_type="snp", random_state=seed, **GENOMIC).fit(Xs.iloc[:300], ys.iloc[:300])
            scores.append(r2_score(ys.iloc[300:], reg.predict(Xs.iloc[300:])))
            params = _n_params(reg)
        return scores, params

    compare("shoot_branching (binn_graph.simulate), 300 train / 500 test (R², 3 seeds)", study.graph,
            Xs.columns, shoot_fit, input_type="snp", relations=("affects", "member_of"),
            note="the simulated graph is already a tree (one gene per SNP, one pathway per gene): nothing to prune "
                 "beyond unlinked SNPs and decoy genes, which the full graph's compiler drops too")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="CORNETO fixtures folder (../shared/data/corneto)")
    parser.add_argument("--tgfb", action="store_true", help="also the SIGNOR TGF-β tutorial network (slow)")
    parser.add_argument("--skip-binn", action="store_true", help="only the CORNETO fixtures")
    parser.add_argument("--write", type=Path, help="write the section into this RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    parts = ["## Context networks: CORNETO fixtures and minimal sub-DAG BINNs (issue 16, items 5 and 6b)", "",
             f"Machine: 2 cores shared, load average {load:.1f} at the start. Solver: HiGHS through cvxpy "
             "(corneto 1.0.0rc8).", ""]
    if args.data:
        rows = fixtures(args.data, args.tgfb)
        parts += ["Command: `python benchmarks/bench_context.py --data /work/shared/data/corneto"
                  f"{' --tgfb' if args.tgfb else ''}{' --skip-binn' if args.skip_binn else ''}`", "",
                  "CORNETO regression fixtures (GPL-3.0 data, read from the path given, not copied) built as "
                  "KnowledgeGraphs and solved by `binn_graph.context`:", "",
                  markdown_table([(n, e, o, {True: "yes", False: "NO", None: "–"}[ok], st, f"{s:.1f}", f"{t:.1f}", note)
                                  for n, e, o, ok, st, s, t, note in rows],
                                 ["fixture", "expected", "binn-graph", "match", "status", "solve s", "total s",
                                  "note"]), ""]
        for r in rows:
            print(r, flush=True)
    if not args.skip_binn:
        rows = binn_tradeoffs()
        parts += ["Minimal sub-DAG (`binn_graph.context.minimal_dag`: every input keeps one path to the output, "
                  "fewest edges; CORNETO `SteinerTreeFlow` from the output root) against the full graph, same "
                  "BINN defaults. KPNN rebuilt this way (anchor): 51.4 % fewer parameters for a 0.44 % drop in "
                  "ROC-AUC.", "",
                  markdown_table(rows, ["problem", "full graph", "minimal sub-DAG", "change", "parameters (full)",
                                        "parameters (sub-DAG)", "fewer parameters", "edges kept", "select s",
                                        "fit s full / sub-DAG", "note"]), ""]
    section = "\n".join(parts)
    print(section)
    if args.write:
        write_section(args.write, "## Context networks", section)


if __name__ == "__main__":
    main()
