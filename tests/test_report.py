"""Run reports: the page from plain data, the verdict, the flow view, the train and explain reports of a toy run, and
the page in a real headless browser (Chromium: no console errors, a screenshot that is not blank)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from binn_graph.cli import main
from binn_graph.report import build_html, verdict
from binn_graph.report.collect import data_summary, metrics_block, top_nodes
from binn_graph.report.runs import cv_metrics_block
from binn_graph.report.sankey import flow_data, sankey_svg
from kg import KnowledgeGraph

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def _rows(html: str, table_class: str) -> list[list[str]]:
    """The body rows of the first ``<table class=...>`` as lists of cell texts."""
    table = re.search(rf'<table class="{table_class}">(.*?)</table>', html, re.S).group(1)
    body = table.split("<tbody>", 1)[1]
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def _header(html: str, table_class: str) -> list[str]:
    table = re.search(rf'<table class="{table_class}">(.*?)</table>', html, re.S).group(1)
    return [unescape(h) for h in re.findall(r"<th>(.*?)</th>", table.split("<tbody>", 1)[0])]


def _payload(html: str) -> dict:
    text = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(text.replace("<\\/", "</"))


# ----------------------------------------------------------------------------------------------------- the verdict
def _metrics(binn: float, rewired: list[float] | None, baseline: float = 0.7) -> dict:
    rows = [{"model": "BINN", "kind": "binn", "roc_auc": binn, "accuracy": 0.8},
            {"model": "logistic regression", "kind": "baseline", "roc_auc": baseline, "accuracy": 0.7}]
    rows += [{"model": f"rewired {i}", "kind": "rewired", "roc_auc": v, "accuracy": 0.6} for i, v in
             enumerate(rewired or [])]
    return metrics_block(rows, task="classification", evaluation="5-fold cross-validation")


def _null(kind: str = "rewire", significant: int = 0, reachable: bool = True) -> dict:
    return {"null": kind, "n_null": 20, "alpha": 0.1, "n_tested": 1548, "min_p": 1 / 21, "min_q_single": 1.0,
            "needed_n_null": 15479, "needed_nodes": 738, "reachable": reachable, "n_significant": significant,
            "min_q": 0.04 if significant else 0.6, "warning": None if reachable else "cannot reach"}


def test_verdict_follows_the_controls():
    assert verdict()["answer"] == "not tested"
    assert "Not tested" in verdict(_metrics(0.9, None))["headline"]  # baselines alone do not test the graph
    assert verdict(None, _null("permute", significant=5))["answer"] == "not tested"
    yes = verdict(_metrics(0.90, [0.80, 0.84]))
    assert yes["answer"] == "yes" and "0.900 vs 0.820" in yes["parts"][0]["text"]
    assert "2 rewired graphs (mean)" in yes["parts"][0]["text"]
    same = verdict(_metrics(1.0, [0.995], baseline=1.0))
    assert same["answer"] == "no" and "did as well" in same["parts"][0]["text"]
    assert "too easy" in same["parts"][0]["text"] and "baseline logistic regression does as well" in \
        same["parts"][0]["text"]
    worse = verdict(_metrics(0.70, [0.75]))
    assert worse["answer"] == "no" and "did better" in worse["parts"][0]["text"]
    # the importance null: discoveries, none, none possible
    assert verdict(None, _null(significant=3))["answer"] == "yes"
    assert verdict(None, _null(significant=0))["answer"] == "no"
    inconclusive = verdict(None, _null(significant=0, reachable=False))
    assert inconclusive["answer"] == "inconclusive" and "n_null ≥ 15479" in inconclusive["parts"][0]["text"]
    both = verdict(_metrics(0.70, [0.75]), _null(significant=3))
    assert both["answer"] == "no" and both["headline"].endswith("(prediction: no; importance: yes)")


# ------------------------------------------------------------------------------------------- the page, the flows
def _explain_like(n_inputs: int = 300, n_pathways: int = 120, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    inputs = [f"P{i:05d}" for i in range(n_inputs)]
    pathways = [f"R-{i}" for i in range(n_pathways)]
    table = pd.DataFrame({"node_type": ["protein"] * n_inputs + ["pathway"] * n_pathways,
                          "node_id": inputs + pathways,
                          "name": [f"GENE{i}" for i in range(n_inputs)] + [f"pathway {i}" for i in range(n_pathways)],
                          "level": [0] * n_inputs + list(rng.integers(1, 6, n_pathways)),
                          "normalized_importance": rng.random(n_inputs + n_pathways)})
    table["rank"] = table["normalized_importance"].rank(ascending=False, method="min").astype("Int64")
    table = table.sort_values("rank", ignore_index=True)
    level = dict(zip(table["node_id"], table["level"]))
    src = rng.choice(table["node_id"], 4000)
    dst = rng.choice(pathways, 4000)
    keep = [level[s] < level[d] for s, d in zip(src, dst)]
    edges = pd.DataFrame({"source": src[keep], "target": dst[keep]})
    edges["level"] = edges["target"].map(level)
    edges = pd.concat([edges, pd.DataFrame({"source": pathways[:10], "target": "output_node", "level": 6})])
    edges["importance"] = rng.random(len(edges))
    return table, edges.drop_duplicates(["source", "target"]).reset_index(drop=True)


def test_flows_are_capped_and_drawn():
    table, edges = _explain_like()
    start = time.perf_counter()
    flows = flow_data(table, edges, max_nodes=50, max_links=120)
    svg = sankey_svg(flows)
    seconds = time.perf_counter() - start
    assert len(flows["nodes"]) <= 50 and len(flows["links"]) <= 120 and flows["total_edges"] == len(edges)
    assert seconds < 10  # binn's Sankey of a full network took half an hour; this one draws a capped selection
    ids = [n["id"] for n in flows["nodes"]]
    assert len(set(ids)) == len(ids)
    strongest = edges.sort_values("importance", ascending=False).iloc[0]
    assert {strongest["source"], strongest["target"]} <= set(ids)  # the strongest flow is always drawn
    chosen = edges.set_index(["source", "target"])["importance"]
    for link in flows["links"]:
        key = (ids[link["source"]], ids[link["target"]])
        assert chosen[key] == pytest.approx(link["value"])
    assert svg.count('class="flow"') == len(flows["links"]) and svg.count('class="node"') == len(flows["nodes"])
    named = {n["label"] for n in flows["nodes"] if n["type"] != "output"}
    assert named and all(label.startswith(("GENE", "pathway")) for label in named)  # names, not ids
    out = [n for n in flows["nodes"] if n["type"] == "output"]
    assert all(n["level"] == 6 for n in out)


def test_deep_flows_keep_readable_labels():
    """Ten levels of Reactome-length names: each label is shown whole (on up to three lines), not cut to 16 characters."""
    names = [f"Signalling by receptor tyrosine kinase family member {k}" for k in range(10)]
    nodes = [{"id": f"P{k}", "label": names[k], "type": "pathway", "level": k, "rank": k + 1, "importance": 1.0}
             for k in range(10)]
    links = [{"source": k, "target": k + 1, "value": 1.0} for k in range(9)]
    svg = sankey_svg({"nodes": nodes, "links": links, "total_edges": 9})
    texts = re.findall(r'<text text-anchor="(?:start|end)" dominant-baseline="middle">(.*?)</text>', svg)
    assert len(texts) == 10
    for name, text in zip(names, texts):
        lines = re.findall(r"<tspan[^>]*>(.*?)</tspan>", text)
        assert 1 <= len(lines) <= 3 and " ".join(lines) == name  # wrapped, never cut
    width = float(re.search(r'<svg[^>]* width="([\d.]+)"', svg).group(1))
    assert width >= 9 * 200  # a deep network widens (and scrolls) rather than shrinking its columns
    assert 'overflow-x:auto' in svg


def test_page_shows_the_numbers_it_was_given():
    table, edges = _explain_like(60, 30)
    metrics = _metrics(0.912, [0.874])
    X = pd.DataFrame(np.ones((5, 3)), columns=list("abc"))
    report = {"title": "toy <report>", "metrics": metrics, "null": _null(significant=2),
              "data": data_summary(X, pd.Series(["a", "b", "a", "a", "b"]), task="classification"),
              "nodes": top_nodes(table.assign(p_value=0.05, q_value=0.2), k=10), "flows": flow_data(table, edges),
              "warnings": ["a <warning>"]}
    html = build_html(report)
    assert "<title>toy &lt;report&gt;</title>" in html and "a &lt;warning&gt;" in html
    assert _rows(html, "metrics") == [["BINN", "BINN", "0.912", "0.800"],  # the verdict's metric first
                                      ["logistic regression", "baseline", "0.700", "0.700"],
                                      ["rewired 0", "rewired graph (control)", "0.874", "0.600"]]
    nodes = _rows(html, "nodes")
    assert len(nodes) == 10 and [r[0] for r in nodes] == [str(r) for r in table["rank"].head(10)]
    assert nodes[0][3] == table["name"].iloc[0] and nodes[0][-2:] == ["0.050", "0.200"]
    judged = verdict(metrics, report["null"])
    assert f"<h2>{judged['headline']}</h2>" in unescape(html) and judged["answer"] == "yes"
    assert 'class="verdict answer-yes"' in html
    data = _payload(html)
    assert data["metrics"]["rows"][0]["roc_auc"] == 0.912 and data["verdict"]["answer"] == "yes"
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html


# ---------------------------------------------------------------------------------------- train and explain runs
def _graph() -> KnowledgeGraph:
    g = KnowledgeGraph()
    g.add_nodes("pathway", ["R", "P0", "P1", "L0", "L1", "L2", "L3"],
                name=["root", "signalling", "metabolism", "leaf zero", "leaf one", "leaf two", "leaf three"])
    g.add_edges(("pathway", "part_of", "pathway"), ["P0", "P1", "L0", "L1", "L2", "L3"],
                ["R", "R", "P0", "P0", "P1", "P1"])
    proteins = [f"x{i}" for i in range(24)]
    g.add_nodes("protein", proteins, name=[f"GENE{i}" for i in range(24)])
    g.add_edges(("protein", "member_of", "pathway"), proteins, [f"L{i % 4}" for i in range(24)])
    return g


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    _graph().save(d / "graph")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(90, 24)), columns=[f"x{i}" for i in range(24)],
                     index=pd.Index([f"s{i}" for i in range(90)], name="sample"))
    X.to_csv(d / "x.csv")
    y = pd.Series(np.where(X[["x1", "x5", "x9"]].sum(axis=1) > 0, "case", "control"), index=X.index, name="group")
    y.to_frame().to_csv(d / "y.tsv", sep="\t")
    run = d / "run"
    assert main(["train", "--graph", str(d / "graph"), "--data", str(d / "x.csv"), "--target", str(d / "y.tsv"),
                 "--max-epochs", "15", "--cv", "3", "--rewired-control", "-o", str(run)]) == 0
    return run


def test_train_report(toy_run):
    metrics = json.loads((toy_run / "metrics.json").read_text())
    assert metrics["cv_baseline"]["model"] == "logistic regression" and metrics["cv_baseline"]["folds"] == 3
    assert metrics["cv_rewired"]["model"].startswith("BINN on a rewired graph")
    html = (toy_run / "report.html").read_text()
    rows = _rows(html, "metrics")
    expected = [(metrics["cv"], "BINN"), (metrics["cv_baseline"], "baseline"),
                (metrics["cv_rewired"], "rewired graph (control)")]
    assert [r[1] for r in rows] == [kind for _, kind in expected]
    for row, (block, _) in zip(rows, expected):
        assert row[2:] == [f"{block['roc_auc']:.3f}", f"{block['accuracy']:.3f}"]
    judged = verdict(cv_metrics_block(metrics, "classification"))
    assert judged["answer"] in ("yes", "no") and f"<h2>{judged['headline']}</h2>" in unescape(html)
    data = _payload(html)
    classes = pd.read_csv(toy_run.parent / "y.tsv", sep="\t")["group"].value_counts().to_dict()
    assert data["data"]["samples"] == 90 and data["data"]["classes"] == classes
    assert data["graph"]["layer_sizes"][0] == 24


def test_explain_report_and_honest_output(toy_run, capsys):
    capsys.readouterr()
    with pytest.warns(UserWarning, match=r"--n-null 2 refits cannot reach q ≤ 0.1") as caught:
        assert main(["explain", str(toy_run), "--null", "rewire", "--n-null", "2", "--stability-seeds", "3",
                     "--edge-samples", "40", "--steps", "8"]) == 0
    assert any("--null-types pathway" in str(w.message) for w in caught)
    out = capsys.readouterr().out
    assert re.search(r"rank stability across 3 runs: Kendall τ mean -?\d\.\d\d\d ", out)
    assert "Did the biology beat the rewired graph?" in out
    folder = toy_run / "explain"
    table = pd.read_csv(folder / "importance.tsv", sep="\t")
    assert table["rank"].is_monotonic_increasing and {"mean_rank", "rank_sd", "p_value", "q_value"} <= set(table)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["null"]["reachable"] is False and "--n-null" in summary["null"]["warning"]
    assert summary["verdict"]["parts"][-1]["answer"] == "inconclusive"  # no node could reach q ≤ 0.1 with 2 refits
    stability = summary["stability"]
    assert stability["n_runs"] == 3 and stability["low"] == (stability["mean_tau"] < 0.5)
    html = (folder / "report.html").read_text()
    nodes = _rows(html, "nodes")
    assert [int(r[0]) for r in nodes] == table["rank"].head(len(nodes)).tolist()
    names = dict(zip(table["node_id"], table["name"]))
    assert all(r[3] == names[r[2]] for r in nodes)  # the graph's names beside the ids
    p_column = [c for c, _ in zip(_header(html, "nodes"), nodes[0])].index("p")
    shown_p = [float(r[p_column]) for r in nodes if r[p_column] != "–"]
    assert shown_p and min(shown_p) >= 0.333  # 2 refits: p is at least 1/3, shown to three decimals
    assert "Inconclusive" in html and 'id="flows"' in html and html.count("data:image/png;base64,") == 2
    if stability["low"]:
        assert 'class="flag"' in html and "LOW" in html


# ------------------------------------------------------------------------------------------ a real browser
def _browser() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def _headless(browser: str, page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--enable-logging=stderr",
               "--v=0", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2400", *extra, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HOME": str(tmp_path)})


def _console_errors(stderr: str) -> list[str]:
    """Console messages of the page: Chromium logs each as a CONSOLE line (console.error, uncaught exceptions and
    also warnings and logs: the report writes none)."""
    return [line for line in stderr.splitlines() if "CONSOLE" in line]


def test_report_in_a_headless_browser(toy_run, tmp_path):
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium or Chrome on PATH (Debian: apt-get install chromium; .ci/run installs it)")
    page = toy_run / "explain" / "report.html"
    if not page.is_file():  # the explain test writes it; run alone, write it here
        assert main(["explain", str(toy_run), "--edge-samples", "20", "--steps", "4"]) == 0
    # the check itself works: a page with a console error and an uncaught exception is caught
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><p>x</p><script>console.error('boom'); undefined_function();</script></body>"
                      "</html>")
    assert len(_console_errors(_headless(browser, broken, tmp_path, "--dump-dom").stderr)) >= 1
    dom = _headless(browser, page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert _console_errors(dom.stderr) == []
    assert 'data-ready="1"' in dom.stdout  # the flow view's script ran to its end
    shot = tmp_path / "report.png"
    result = _headless(browser, page, tmp_path, f"--screenshot={shot}")
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    assert _console_errors(result.stderr) == []
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] >= 2000 and pixels.shape[1] >= 1200
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50  # text, tables, the verdict box and the flows: not a blank page
