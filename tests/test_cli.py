"""The binn-graph command line: kg build / info / export / sources, and the demo."""

import json

import pandas as pd
import pytest

from binn_graph.cli import main
from kg import KnowledgeGraph


def test_kg_build_info_export(tmp_path, data_dir, capsys):
    out = tmp_path / "g"
    rc = main(["kg", "build", "--source", "go", f"obo={data_dir / 'go_mini.obo'}", f"gaf={data_dir / 'goa_mini.gaf'}",
               "--source", "kegg_kgml", f"path={data_dir / 'hsa00010_mini.xml'}",
               "--gmt", str(data_dir.parent.parent / "kg/data/genesets/h.all.v2022.1.Hs.symbols.gmt.gz"),
               "-o", str(out)])
    assert rc == 0
    g = KnowledgeGraph.load(out)
    assert g.num_nodes("pathway") == 8 + 1 + 50
    assert g.num_edges(("protein", "member_of", "pathway")) == 4
    capsys.readouterr()
    assert main(["kg", "info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "validation: valid" in text
    assert "[go] dropped 1 NOT-qualified annotations" in text
    assert "gene member_of pathway" in text
    for fmt, name in [("ttl", "g.ttl"), ("graphml", "g.graphml"), ("nt", "g.nt"), ("rdfxml", "g.rdf")]:
        assert main(["kg", "export", str(out), "--format", fmt, "-o", str(tmp_path / name)]) == 0
    assert KnowledgeGraph.from_rdf(tmp_path / "g.ttl").equals(g)
    assert KnowledgeGraph.from_rdf(tmp_path / "g.rdf").equals(g)


def test_kg_build_restrict_and_prune(tmp_path, capsys):
    matrix = tmp_path / "m.csv"
    matrix.write_text("Protein,s1,s2\nP14618,1,2\nP04406,3,4\nNOTAPROTEIN,5,6\n")
    out = tmp_path / "r"
    assert main(["kg", "build", "--bundled-reactome", "--features", str(matrix), "--features-in-rows",
                 "--min-size", "1", "-o", str(out)]) == 0  # this matrix is features × samples
    g = KnowledgeGraph.load(out)
    assert sorted(g.node_ids("protein")) == ["P04406", "P14618"]
    assert any(e.what == "features with no protein node in the graph" and e.count == 1 for e in g.report.entries)


def test_kg_errors_are_reported_not_raised(tmp_path, capsys):
    bad = tmp_path / "bad.gmt"
    bad.write_text("ONLYONEFIELD\n")
    assert main(["kg", "build", "--gmt", str(bad), "-o", str(tmp_path / "x")]) == 2
    assert "bad.gmt, line 1" in capsys.readouterr().err
    assert main(["kg", "build", "--source", "nope", "-o", str(tmp_path / "x")]) == 2
    assert "no knowledge-graph source named 'nope'" in capsys.readouterr().err


def test_kg_sources_lists_adapters(capsys):
    assert main(["kg", "sources"]) == 0
    assert "reactome" in capsys.readouterr().out.split()


def test_demo_runs_on_bundled_data(tmp_path, capsys):
    assert main(["demo", "-o", str(tmp_path / "demo"), "--no-rdf"]) == 0
    text = capsys.readouterr().out
    assert "validation: valid" in text
    g = KnowledgeGraph.load(tmp_path / "demo" / "kg")
    # Reactome's 11,876 UniProt ids, then those only in: Hallmark (its symbols mapped through the bundled HGNC
    # table), MitoCore (Ensembl gene ids mapped the same way), KEGGnet (409 UniProt ids)
    assert g.num_nodes("protein") == 11876 + 779 + 9 + 9
    assert g.num_nodes("pathway") == 2751 + 50 + 96
    manifest = json.loads((tmp_path / "demo" / "kg" / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    metrics = json.loads((tmp_path / "demo" / "aki" / "metrics.json").read_text())
    assert metrics["held_out_roc_auc"] > 0.9 and metrics["test_samples"] == 40
    assert "BINN on AKI plasma proteomics" in text


def test_train_and_predict_cli(tmp_path, capsys):
    import numpy as np
    import pandas as pd

    from binn_graph.datasets import load_aki

    aki = load_aki()
    graph_dir = tmp_path / "graph"
    assert main(["kg", "build", "--bundled-reactome", "-o", str(graph_dir)]) == 0
    X = aki.X.iloc[:, :200]
    X.to_parquet(tmp_path / "x.parquet")
    X.iloc[:20].to_csv(tmp_path / "new.tsv", sep="\t")
    aki.y.rename("group").to_frame().iloc[::-1].to_csv(tmp_path / "y.tsv", sep="\t")  # order differs: joined by id
    run = tmp_path / "run"
    assert main(["train", "--graph", str(graph_dir), "--data", str(tmp_path / "x.parquet"), "--target",
                 str(tmp_path / "y.tsv"), "--target-column", "group", "--max-epochs", "5", "--empty-columns",
                 "report", "-o", str(run)]) == 0
    assert {p.name for p in run.iterdir()} == {"model.pt", "config.json", "metrics.json", "build_report.tsv",
                                               "report.html"}
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_samples"] == 197 and metrics["layer_sizes"][0] <= 200
    # the README's cross-validation on the bundled cohort with default settings: a protein measured in one sample
    # only is missing from one training fold; it is imputed, reported and warned about, not refused
    aki.X.to_csv(tmp_path / "all.csv")
    with pytest.warns(UserWarning, match="no value in these rows"):
        assert main(["train", "--graph", str(graph_dir), "--data", str(tmp_path / "all.csv"), "--target",
                     str(tmp_path / "y.tsv"), "--target-column", "group", "--max-epochs", "3", "--cv", "5",
                     "-o", str(tmp_path / "cv")]) == 0
    report = pd.read_csv(run / "build_report.tsv", sep="\t")
    assert set(report["stage"]) == {"graph", "model"}
    assert main(["predict", str(run), "--data", str(tmp_path / "new.tsv"), "-o", str(tmp_path / "p.tsv")]) == 0
    pred = pd.read_csv(tmp_path / "p.tsv", sep="\t", index_col=0)
    assert list(pred.index) == list(X.index[:20])
    np.testing.assert_allclose(pred[["p_1", "p_2"]].sum(axis=1), 1.0, rtol=1e-6)
    (tmp_path / "bad.csv").write_text("sample,P1\nA,1\nA,2\n")
    assert main(["predict", str(run), "--data", str(tmp_path / "bad.csv"), "-o", str(tmp_path / "q.tsv")]) == 2
    assert "duplicated sample ids" in capsys.readouterr().err


def test_explain_cli(tmp_path, capsys):
    import pandas as pd

    from binn_graph.datasets import load_aki

    aki = load_aki()
    graph_dir = tmp_path / "graph"
    assert main(["kg", "build", "--bundled-reactome", "-o", str(graph_dir)]) == 0
    aki.X.iloc[:, :150].to_csv(tmp_path / "x.csv")
    aki.y.rename("group").to_frame().to_csv(tmp_path / "y.tsv", sep="\t")
    run = tmp_path / "run"
    assert main(["train", "--graph", str(graph_dir), "--data", str(tmp_path / "x.csv"), "--target",
                 str(tmp_path / "y.tsv"), "--max-epochs", "5", "--empty-columns", "report", "-o", str(run)]) == 0
    assert main(["explain", str(run), "--method", "clamp", "--null", "rewire", "--n-null", "2",
                 "--edge-samples", "30", "--steps", "10"]) == 0
    out = run / "explain"
    assert {"importance.tsv", "edge_importance.tsv", "level_ranking.png", "top_subgraph.png",
            "graph_with_importance.graphml"} <= {p.name for p in out.iterdir()}
    table = pd.read_csv(out / "importance.tsv", sep="\t")
    assert {"node_type", "node_id", "name", "level", "importance", "normalized_importance", "rank", "p_value",
            "q_value"} <= set(table.columns)
    p = table["p_value"].dropna()  # NaN: the node is in no rewired architecture (its members moved elsewhere)
    assert len(p) > len(table) / 2 and (p >= 1 / 3 - 1e-9).all()  # 2 null refits: the smallest p is 1/3
    assert main(["explain", str(tmp_path)]) == 2
    assert "no config.json" in capsys.readouterr().err


def test_benchmark_genomic_quick(tmp_path, capsys):
    out = tmp_path / "genomic"
    assert main(["benchmark", "genomic", "--quick", "--quiet", "--models", "BINN,dense MLP,ridge (rrBLUP),GBLUP",
                 "--out", str(out)]) == 0
    curve = pd.read_csv(out / "learning_curve.csv")
    assert sorted(curve["n"].unique()) == [100, 200]
    assert list(curve["model"].unique()) == ["BINN", "dense MLP", "ridge (rrBLUP)", "GBLUP"]
    assert curve[["test_mse", "test_spearman", "test_pearson", "cv_mse"]].notna().all().all()
    coverage = pd.read_csv(out / "coverage.csv")
    assert list(coverage["coverage"]) == [0.0, 1.0, 0.5, 0.1]
    claims = pd.read_csv(out / "claims.csv")
    assert len(claims) == 8 and set(claims["holds"]) <= {"yes", "no"}
    for name in ("report.md", "learning_curve.png", "sensitivity.png", "settings.json"):
        assert (out / name).stat().st_size > 0
    assert "| claim | paper | measured | holds |" in (out / "report.md").read_text()
    assert main(["benchmark", "genomic", "--sizes", "50", "--coverage-n", "40", "--out", str(tmp_path / "x")]) == 2
    assert "raise coverage_n" in capsys.readouterr().err


def _parsers(parser, prefix=()):
    """(command words, parser) for the top level and every subcommand."""
    import argparse

    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, prefix + (name,))


def _all_parsers():
    from binn_graph.cli import build_parser

    return list(_parsers(build_parser()))


@pytest.mark.parametrize("command, parser", [pytest.param(c, p, id=" ".join(c) or "binn-graph")
                                             for c, p in _all_parsers()])
def test_every_option_has_help_without_markup(command, parser):
    import argparse
    import re

    markup = re.compile(r"``|:(class|func|mod|meth|attr|data):`|`[^`]+`_")
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help and action.help.strip(), f"{' '.join(command)} {name} has no help"
        assert not markup.search(action.help), f"{' '.join(command)} {name}: RST markup in help"
        if action.choices is not None:
            assert all(str(c) for c in action.choices), f"{' '.join(command)} {name} offers an empty choice"
    text = parser.format_help()
    assert not markup.search(text) and ":mod:" not in text, text


def test_matrix_orientation_is_stated_in_every_matrix_option():
    for command, parser in _all_parsers():
        for action in parser._actions:
            if "--data" in action.option_strings or "--features" in action.option_strings:
                assert "samples × " in action.help, (command, action.option_strings)  # rows are samples


def test_error_messages_show_plain_numbers():
    from binn_graph.cli import clean_message

    assert clean_message("y has classes [np.int64(1), np.int64(2)] and np.float64(0.5)") == \
        "y has classes [1, 2] and 0.5"
    assert clean_message("ids [np.str_('P1')]") == "ids ['P1']"
