"""The most specific driver: a planted pathway of full human Reactome outranks every pathway that is not its
ancestor and shares none of its proteins (clamp, ablation, integrated gradients, default normalisation); its
ancestors name it as the driver, its specific importance beats those pathways', and among its ancestors at most its
closest relay keeps a higher specific importance (``driver`` is the column that names it unambiguously).

Pathways that share planted proteins (Reactome's pathways overlap: the NOTCH1 cancer-mutant pathways hold members
of paraxial mesoderm formation) legitimately carry part of the signal and are left out of the comparison."""

import pytest
from sklearn.metrics import roc_auc_score

from binn_graph import BINNClassifier, explain
from binn_graph.simulate import planted_pathway_study
from kg.datasets import reactome_files
from kg.sources import reactome


@pytest.fixture(scope="module")
def graph():
    return reactome.load(**reactome_files())


@pytest.mark.parametrize("seed,depth", [
    (0, 2), (1, 3),
    pytest.param(2, 5, marks=pytest.mark.xfail(reason="known gap (issue: trustworthy defaults): at depth 5, ablation "
                                               "ranks one unrelated pathway (R-HSA-209822) above the planted one")),
])
def test_planted_pathway_is_the_most_specific_driver(graph, seed, depth):
    study = planted_pathway_study(graph, seed, depth)
    X, y, planted, ancestors, overlapping = study.X, study.y, study.planted, study.ancestors, study.overlapping
    train, test = X.index[:600], X.index[600:]
    clf = BINNClassifier(graph, random_state=seed).fit(X.loc[train], y.loc[train])  # default settings
    case = list(clf.classes_).index("case")
    assert roc_auc_score(y.loc[test] == "case", clf.predict_proba(X.loc[test])[:, case]) > 0.85
    for method in ("clamp", "ablation", "integrated_gradients"):
        table = explain(clf, X.loc[test], method=method)
        pathways = table[table["node_type"] == "pathway"].set_index("node_id")
        mine = pathways.loc[planted]
        unrelated = pathways.drop(index=[planted, *ancestors, *overlapping], errors="ignore")
        assert len(unrelated) > 1000
        assert (unrelated["normalized_importance"] < mine["normalized_importance"]).all(), method
        # the ancestors relay the planted pathway's signal: they say so, and rank below it once that is discounted
        assert (pathways.loc[sorted(ancestors), "driver"] == planted).all(), method
        assert mine["driver"] == planted and mine["inherited_share"] < 0.5
        assert (unrelated["specific_importance"] < mine["specific_importance"]).all(), method
        # discounting what is inherited moves the planted pathway up among itself and its ancestors
        lineage = pathways.loc[[planted, *sorted(ancestors)]]
        by_specific = lineage["specific_importance"].rank(ascending=False, method="min")[planted]
        by_normalized = lineage["normalized_importance"].rank(ascending=False, method="min")[planted]
        assert by_specific <= by_normalized and by_specific <= 2, method
