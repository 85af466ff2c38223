"""The most specific driver on full human Reactome: planted pathways at several depths, several seeds.

For each (depth, seed): :func:`binn_graph.simulate.planted_pathway_study` plants one pathway with ``depth``
ancestors; a default ``BINNClassifier`` is fitted on 600 samples and explained on 200 with clamp, ablation and
integrated gradients (default ``normalize="fan"``). Per method the row says how many unrelated pathways (neither the
planted one, nor its ancestors, nor pathways sharing a planted protein) rank above the planted pathway by normalised
importance and by specific importance, whether every ancestor names it as ``driver``, and its specific rank within
its lineage; and the same by ``member_z`` (the gene-set score of the input attributions,
:mod:`binn_graph.attribution.member_sets`): unrelated and non-ancestor pathways at or above the planted one, and
its ``member_rank`` among all pathways; for the non-ancestors at or above it, the Jaccard index of their member
inputs with the planted pathway's. ``tests/binn_graph/test_specific_driver.py`` asserts the same criteria on
four of these cases.

Usage::

    python benchmarks/bench_specific_driver.py [--depths 2,3,5] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from sklearn.metrics import roc_auc_score

from binn_graph import BINNClassifier, explain
from binn_graph.cli.benchmark import markdown_table
from binn_graph.simulate import planted_pathway_study
from kg.datasets import reactome_files
from kg.sources import reactome

METHODS = ("clamp", "ablation", "integrated_gradients")


def _overlap(members: pd.DataFrame, planted: str, others) -> str:
    """Jaccard index of each pathway's member inputs with the planted pathway's (lowest first), e.g. "0.83, 0.91"."""
    sets = members.groupby("pathway")["member"].agg(frozenset)
    mine = sets[planted]
    return ", ".join(f"{v:.2f}" for v in sorted(len(mine & sets[p]) / len(mine | sets[p]) for p in others))


def one_case(graph, seed: int, depth: int) -> list[dict]:
    study = planted_pathway_study(graph, seed, depth)
    X, y = study.X, study.y
    closure = graph.member_closure("protein")
    members = closure[closure["member"].isin(X.columns)]
    train, test = X.index[:600], X.index[600:]
    start = time.perf_counter()
    clf = BINNClassifier(graph, random_state=seed).fit(X.loc[train], y.loc[train])
    fit_s = time.perf_counter() - start
    case = list(clf.classes_).index("case")
    auc = roc_auc_score(y.loc[test] == "case", clf.predict_proba(X.loc[test])[:, case])
    rows = []
    for method in METHODS:
        table = explain(clf, X.loc[test], method=method)
        pathways = table[table["node_type"] == "pathway"].set_index("node_id")
        mine = pathways.loc[study.planted]
        unrelated = pathways.drop(index=[study.planted, *study.ancestors, *study.overlapping], errors="ignore")
        lineage = pathways.loc[[study.planted, *sorted(study.ancestors)]]
        non_ancestors = pathways.drop(index=[study.planted, *study.ancestors])
        non_above = non_ancestors.index[non_ancestors["member_z"] >= mine["member_z"]]
        above = unrelated[unrelated["normalized_importance"] >= mine["normalized_importance"]]
        rows.append({
            "depth": depth, "seed": seed, "planted": f"{study.planted} ({mine['name']})", "ROC-AUC": round(auc, 3),
            "method": method, "unrelated above (normalized)": len(above),
            "first unrelated above": "" if above.empty else above["normalized_importance"].idxmax(),
            "unrelated above (specific)": int((unrelated["specific_importance"] >= mine["specific_importance"]).sum()),
            "ancestors name it driver": f"{int((pathways.loc[sorted(study.ancestors), 'driver'] == study.planted).sum())}"
                                        f"/{len(study.ancestors)}",
            "specific rank in lineage": int(lineage["specific_importance"].rank(ascending=False,
                                                                               method="min")[study.planted]),
            "unrelated above (member_z)": int((unrelated["member_z"] >= mine["member_z"]).sum()),
            "non-ancestors above (member_z)": int((non_ancestors["member_z"] >= mine["member_z"]).sum()),
            "member rank": int(pathways["member_z"].rank(ascending=False, method="min")[study.planted]),
            "overlap of those above": _overlap(members, study.planted, non_above),
            "n unrelated": len(unrelated), "fit s": round(fit_s, 1),
        })
    return rows


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depths", default="2,3,5")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args(argv)
    graph = reactome.load(**reactome_files())
    rows = []
    for depth in [int(d) for d in args.depths.split(",")]:
        for seed in [int(s) for s in args.seeds.split(",")]:
            rows += one_case(graph, seed, depth)
            print(pd.DataFrame(rows[-3:]).to_string(index=False), flush=True)
    frame = pd.DataFrame(rows)
    print(markdown_table(frame))
    return frame


if __name__ == "__main__":
    main()
