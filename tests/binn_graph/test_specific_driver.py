"""The most specific driver: a planted pathway of full human Reactome outranks every pathway that is not its
ancestor and shares none of its proteins (clamp, ablation, integrated gradients, default normalisation); its
ancestors name it as the driver, its specific importance beats those pathways', and among its ancestors at most its
closest relay keeps a higher specific importance (``driver`` is the column that names it unambiguously).

Pathways that share planted proteins (Reactome's pathways overlap: the NOTCH1 cancer-mutant pathways hold members
of paraxial mesoderm formation) legitimately carry part of the signal and are left out of the comparison.

Where the planted pathway's proteins also sit in sibling pathways (ERBB2 ECD mutants at depth 3, long-term
potentiation at depth 5), the model
routes the signal through a sibling and prunes the planted node, so its own importance is ~0 under every method.
The member-set score (``member_z``, the gene-set score of the input attributions) still ranks it above every
pathway that shares none of its proteins, and above every ancestor that holds more members."""

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
        _assert_member_sets_find(pathways, planted, unrelated, method)
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


def _assert_member_sets_find(pathways, planted, unrelated, method):
    """By ``member_z`` the planted pathway beats every pathway sharing none of its proteins."""
    mine = pathways.loc[planted]
    assert (unrelated["member_z"] < mine["member_z"]).all(), method
    assert mine["member_z"] > 10, method  # its members are the important inputs, far from the noise
    assert unrelated["member_z"].max() < 5, method


@pytest.mark.parametrize("seed,depth", [(0, 3), (2, 5)])  # ERBB2 ECD mutants; long-term potentiation
def test_member_sets_find_the_pruned_driver(graph, seed, depth):
    """Members shared with sibling pathways: the model prunes the planted node, member_z still finds it."""
    study = planted_pathway_study(graph, seed, depth)
    X, y, planted = study.X, study.y, study.planted
    clf = BINNClassifier(graph, random_state=seed).fit(X.iloc[:600], y.iloc[:600])
    for method in ("clamp", "ablation", "integrated_gradients"):
        table = explain(clf, X.iloc[600:], method=method)
        pathways = table[table["node_type"] == "pathway"].set_index("node_id")
        unrelated = pathways.drop(index=[planted, *study.ancestors, *study.overlapping], errors="ignore")
        # the model routes the signal elsewhere: the planted node itself is not among the top pathways ...
        assert pathways.loc[planted, "rank"] > 10, method
        # ... but its member set is what the important inputs form
        _assert_member_sets_find(pathways, planted, unrelated, method)
        assert pathways.loc[planted, "member_rank"] == 1, method
