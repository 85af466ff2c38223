"""Names in explanation tables (HGNC symbols for proteins), readable figures, and the demo's connected graph."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from binn_graph import BINNClassifier, explain
from binn_graph.attribution import explain_edges
from binn_graph.attribution._context import _names_from_graph, gene_names_of, make_context
from binn_graph.attribution.plot import node_label, plot_level_ranking, plot_top_subgraph
from binn_graph.cli.demo import build_demo_graph, connected_components, summary_text
from binn_graph.datasets import data_path, load_aki
from binn_graph.degradation import build_graph, fit, from_log2, plot_graph, plot_inflow
from kg import KnowledgeGraph


@pytest.fixture(scope="module")
def aki_model(reactome_graph):
    aki = load_aki()
    clf = BINNClassifier(reactome_graph, random_state=0, max_epochs=2).fit(aki.X, aki.y)
    return clf, aki.X.iloc[:30]


@pytest.fixture(scope="module")
def aki_table(aki_model):
    clf, X = aki_model
    return explain(clf, X)


@pytest.fixture
def no_global_state():
    """Figures must not touch pyplot's figure registry, the backend or rcParams."""
    before = (plt.get_fignums(), matplotlib.get_backend(), dict(matplotlib.rcParams))
    yield
    assert (plt.get_fignums(), matplotlib.get_backend(), dict(matplotlib.rcParams)) == before


def test_aki_explain_table_names_every_protein(aki_table):
    proteins = aki_table[aki_table["node_type"] == "protein"]
    assert len(proteins) == 460  # the AKI proteins in the Reactome DAG
    assert proteins["name"].notna().all()  # Reactome names no protein: every name here is an HGNC symbol
    assert proteins["node_id"].str.fullmatch(r"[A-Z0-9]{6,10}(-\d+)?").all()  # ids stay UniProt accessions
    names = proteins.set_index("node_id")["name"]
    assert (names["P60709"], names["P02768"], names["P01024"]) == ("ACTB", "ALB", "C3")
    full = proteins.set_index("node_id")["full_name"]
    assert (full["P60709"], full["P02768"]) == ("actin beta", "albumin")  # HGNC names in the table itself
    pathways = aki_table[aki_table["node_type"] == "pathway"]
    assert pathways["name"].notna().all()  # Reactome's own names kept
    assert pathways["full_name"].isna().all()  # pathways have no HGNC name: no made-up column values
    assert aki_table["rank"].is_monotonic_increasing


def test_context_carries_full_gene_names(aki_model):
    clf, X = aki_model
    nodes = make_context(clf, X).nodes.set_index("node_id")
    assert nodes.loc["P60709", "full_name"] == "actin beta"
    assert nodes.loc[nodes["node_type"] == "pathway", "full_name"].isna().all()


def test_names_from_graph_prefers_graph_names_and_maps_any_namespace():
    g = KnowledgeGraph()
    g.add_nodes("protein", ["P04637", "P69905", "Q9XYZ9"], name=["cellular tumor antigen p53", "", None])
    g.add_nodes("gene", ["ENSG00000141510", "7157", "TP53"])
    g.add_nodes("pathway", ["R1"], name=["a pathway"])
    ids = ["P04637", "P69905", "Q9XYZ9", "ENSG00000141510", "7157", "TP53", "R1", "P04637-2", "P04637_copy1"]
    nodes = pd.DataFrame({"node_id": ids, "node_type": ["protein"] * 3 + ["gene"] * 3 + ["pathway"] + ["protein"] * 2,
                          "level": 0, "copy_of": [None] * 8 + ["P04637-2"]})
    names = _names_from_graph(g, nodes)
    assert names.iloc[:2].tolist() == ["cellular tumor antigen p53", "HBA1/HBA2"]  # the graph's name first
    assert pd.isna(names.iloc[2])  # not a human gene: no name, figures show the id
    assert names.iloc[3:].tolist() == ["TP53", "TP53", "TP53", "a pathway", "TP53", "TP53"]
    full = gene_names_of(nodes[nodes["node_type"] != "pathway"])["name"]
    assert full.iloc[0] == "tumor protein p53" and pd.isna(full.iloc[2])


def _levels_table(n_levels=9, per_level=12, q=False):
    rng = np.random.default_rng(0)
    rows = []
    for level in range(n_levels):
        for i in range(per_level):
            rows.append({"node_type": "protein" if level == 0 else "pathway", "node_id": f"N{level}_{i}",
                         "name": (f"Pathway number {i} at level {level} with a rather long descriptive name" if i % 2
                                  else None),
                         "level": level, "normalized_importance": rng.uniform(0.01, 1)})
    table = pd.DataFrame(rows)
    if q:
        table["p_value"] = rng.uniform(0, 0.2, len(table))
        table["q_value"] = np.minimum(table["p_value"] * 3, 1.0)
    return table


def test_level_ranking_is_a_grid_with_labels(no_global_state):
    fig = plot_level_ranking(_levels_table(), top_k=8)
    assert isinstance(fig, Figure)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 9
    width, height = fig.get_size_inches() * 120
    assert width <= 1800 and height <= 1700  # 3 × 3 panels at dpi 120, not 3456 × 480
    columns = {round(ax.get_position().x0, 2) for ax in visible}
    assert len(columns) == 3
    for ax in visible:
        assert ax.get_xlabel() == "importance ÷ connectivity (normalized)"
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert len(labels) == 8 and all(labels)
        assert all(len(line) <= 30 for label in labels for line in label.split("\n"))
        assert all(label.count("\n") <= 1 for label in labels)
        assert ax.get_title().startswith("level ")
    assert "no null model" in fig._suptitle.get_text()
    assert not fig.legends
    first = [t.get_text() for t in visible[0].get_yticklabels()]
    assert any(label.startswith("Pathway number") and "\n" in label for label in first)
    assert any(label.startswith("N0_") for label in first)  # no name: the id


def test_level_ranking_marks_q_values(no_global_state):
    table = _levels_table(q=True)
    fig = plot_level_ranking(table, top_k=5, alpha=0.1)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["q < 0.1", "q ≥ 0.1"]
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert len(texts) == 9 * 5 and all(t.startswith("q=") for t in texts)
    untested = table.assign(q_value=table["q_value"].where(table["level"] != 0))  # e.g. null_types="pathway"
    first = [t.get_text() for t in plot_level_ranking(untested, top_k=5).axes[0].texts]
    assert first == ["q: not tested"] * 5
    top = table[table["level"] == 0].nlargest(1, "normalized_importance")
    bars = fig.axes[0].patches
    expected = "tab:blue" if top["q_value"].iloc[0] < 0.1 else "#b8c7d9"
    assert matplotlib.colors.same_color(bars[-1].get_facecolor(), expected)
    only_p = plot_level_ranking(table.drop(columns="q_value"), top_k=5)
    assert [t.get_text() for t in only_p.legends[0].get_texts()] == ["p < 0.1", "p ≥ 0.1"]


def test_node_label_wraps_and_shortens():
    assert node_label({"name": "short", "node_id": "X"}) == "short"
    assert node_label({"name": np.nan, "node_id": "P04637"}) == "P04637"
    long = node_label({"name": "word " * 30, "node_id": "X"}, width=20, lines=2)
    assert long.count("\n") == 1 and long.endswith("…") and all(len(x) <= 20 for x in long.split("\n"))


def test_top_subgraph_has_legend_colorbar_and_labels(aki_model, aki_table, no_global_state):
    clf, X = aki_model
    edges = explain_edges(clf, X.iloc[:10], steps=4)
    fig = plot_top_subgraph(aki_table, edges, top_k=5)
    assert isinstance(fig, Figure)
    ax, colorbar = fig.axes
    assert ax.get_xlabel() == "level (0 = inputs; higher = broader pathways)"
    assert ax.get_ylabel() == "rank within the level (top 5)"
    assert colorbar.get_ylabel() == "node: importance ÷ connectivity (normalized)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(legend) == 3 and all(t.startswith("edge importance ") for t in legend)
    annotations = {t.get_text() for t in ax.texts}
    top_inputs = aki_table[aki_table["level"] == 0].nlargest(5, "normalized_importance")["name"]
    assert set(top_inputs) <= annotations  # gene symbols, not accessions
    marked = aki_table.assign(q_value=np.where(aki_table["rank"] <= 3, 0.01, 0.5))
    legend = [t.get_text() for t in plot_top_subgraph(marked, edges, top_k=5).axes[0].get_legend().get_texts()]
    assert legend[-1] == "q < 0.1 (null model)"


@pytest.fixture(scope="module")
def actin_fit():
    fasta = data_path("peptidome/ACTB_P60709.fasta").read_text().splitlines()
    sequence = "".join(line for line in fasta if not line.startswith(">"))
    table = pd.read_csv(data_path("peptidome/actb_trp.csv"))
    g = build_graph(sequence, table["Peptide"], protein_id="P60709")
    linear = from_log2(table.drop_duplicates("Peptide").set_index("Peptide").filter(like="Area"))
    linear = linear.loc[linear.index.isin(g.peptides)].fillna(0.0)
    return g, fit(g, linear, method="lp")


def test_degradation_graph_figure(actin_fit, no_global_state):
    g, result = actin_fit
    ax = plot_graph(g, result)
    fig = ax.figure
    assert isinstance(fig, Figure)
    assert ax.get_yscale() == "log"
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "0" not in ticks and ticks[-1] == "375" and "10" in ticks
    assert ax.get_ylim()[0] > 0
    assert ax.get_xlabel() == "residue (position in the protein sequence)"
    assert ax.get_ylabel() == "peptide length (residues, log scale)"
    assert ax.get_title() == "P60709 (ACTB): 70 peptides, 229 closure edges"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[0] == "intact protein (root, 375 residues)" and "width ∝ fitted flow" in legend[2]
    assert fig.axes[1].get_ylabel() == "fitted inflow (share of the total, log scale)"
    bare = plot_graph(g)
    assert len(bare.figure.axes) == 1 and "coloured" not in bare.figure.legends[0].get_texts()[1].get_text()
    inflow = plot_inflow(result)
    assert [t.get_text() for t in inflow.get_legend().get_texts()] == ["fitted inflow", "predicted abundance",
                                                                        "y = x"]
    assert inflow.get_title().startswith("P60709 (ACTB)")


def test_demo_graph_is_one_connected_component(reactome_graph):
    graph = build_demo_graph(reactome_graph)
    components = connected_components(graph)
    assert len(components) == graph.num_nodes() == 16_496
    assert components["component"].nunique() == 1
    assert "gene" not in graph.node_types  # Hallmark symbols and MitoCore Ensembl ids are UniProt proteins now
    assert graph.num_nodes("protein") == 11_876 + 797
    report = {(e.source, e.what): e for e in graph.report.entries}
    hallmark = report[("idmap msigdb_hallmark", "gene ids with no mapping")]
    assert hallmark.count == 4 and set(hallmark.examples) == {"TARP", "XIST", "PVT1", "HBBP1"}
    assert report[("idmap mitocore", "gene ids with no mapping")].count == 6
    assert report[("idmap msigdb_hallmark", "gene ids mapped to several ids (edges duplicated)")].count == 15
    text = summary_text(graph)
    assert "connectivity: 1 connected component(s); the largest holds 16,496 of 16,496 nodes" in text
    entries = text.split("left out):\n")[1].splitlines()
    assert len(entries) == sum(1 for e in graph.report.entries if e.count) and not any(" 0 " in e for e in entries)
    split = KnowledgeGraph().add_nodes("protein", ["a", "b", "c"])
    split.add_edges(("protein", "regulates", "protein"), ["a"], ["b"])
    assert connected_components(split).set_index("id")["component"].to_dict() == {"a": 0, "b": 0, "c": 1}
