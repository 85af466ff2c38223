"""A run report as one self-contained HTML page, built from plain data (no network, no template engine).

The report is a dict; every key is optional except ``title``:

* ``run``: ``command``, ``parameters`` (dict), ``versions`` (dict), ``created``, ``output``;
* ``data``: :func:`~binn_graph.report.collect.data_summary`;
* ``graph``: :func:`~binn_graph.report.collect.graph_summary`;
* ``metrics``: :func:`~binn_graph.report.collect.metrics_block` (held-out BINN, baselines, rewired controls);
* ``null``: ``explain(...).attrs["null"]``; ``stability``: :func:`~binn_graph.attribution.rank_stability`;
* ``nodes``: :func:`~binn_graph.report.collect.top_nodes`; ``flows``: :func:`~binn_graph.report.sankey.flow_data`;
* ``figures``: a list of :func:`~binn_graph.report.collect.figure`; ``warnings`` and ``notes``: lists of strings.

The verdict is computed here from ``metrics`` and ``null`` (:func:`~binn_graph.report.verdict.verdict`). Each
section is one function taking the report and returning HTML (empty when it has nothing to show); the data itself is
embedded as JSON (``<script type="application/json" id="report-data">``) for machines.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

from .collect import plain
from .sankey import legend_html, sankey_svg
from .verdict import verdict

__all__ = ["build_html", "write_report", "SECTIONS"]

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;margin:0;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px;background:#fff;min-height:100vh}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:30px 0 10px;border-bottom:1px solid #e3e5e8;
padding-bottom:4px}
.sub{color:#5f6368;margin:0 0 18px}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13.5px}
th,td{border-bottom:1px solid #e7e9ec;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f1f3f5;font-weight:600}
table.nodes td:nth-child(3),table.nodes td:nth-child(8){white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{background:#f1f3f5;padding:1px 4px;border-radius:3px;font-size:13px}
.verdict{border-radius:8px;padding:14px 18px;margin:10px 0 6px;border:1px solid}
.verdict h2{border:0;margin:0 0 6px;padding:0}.verdict p{margin:4px 0}
.answer-yes{background:#e8f5e9;border-color:#81c784}.answer-no{background:#fdecea;border-color:#e57373}
.answer-inconclusive,.answer-not-tested{background:#fff8e1;border-color:#ffca28}
.warn{background:#fff4e5;border:1px solid #ffb74d;border-radius:6px;padding:8px 14px;margin:8px 0}
.warn li{margin:3px 0}.flag{color:#b71c1c;font-weight:600}.ok{color:#1b5e20}
.kind{font-size:12px;color:#5f6368}.tag{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;
background:#eceff1}
.figure img{max-width:100%;border:1px solid #e3e5e8}
.legend .key{margin-right:14px;font-size:13px}.legend .swatch{display:inline-block;width:11px;height:11px;
margin-right:4px;vertical-align:-1px;border-radius:2px}
details{margin:6px 0}summary{cursor:pointer;color:#1a73e8}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:6px 0}
.card{background:#f6f7f9;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:20px}
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _number(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.{digits}g}"
        return f"{value:.{digits}f}" if abs(value) < 10 else f"{value:.{max(digits - 2, 1)}f}"
    return _e(value)


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset(), cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _kv(pairs: dict) -> str:
    return _table(["", ""], [[_e(k), _e(v) if not isinstance(v, (int, float)) else _number(v)]
                             for k, v in pairs.items()])


def section_header(report: dict) -> str:
    """Title, when and where."""
    run = report.get("run", {})
    bits = [f"created {_e(run['created'])}" if run.get("created") else "",
            f"output <code>{_e(run['output'])}</code>" if run.get("output") else ""]
    sub = " · ".join(b for b in bits if b)
    return f"<h1>{_e(report['title'])}</h1>" + (f'<p class="sub">{sub}</p>' if sub else "")


def section_verdict(report: dict) -> str:
    """Did the biology beat the rewired graph: the answer first, then each test's sentence."""
    v = report.get("verdict") or verdict(report.get("metrics"), report.get("null"))
    parts = "".join(f"<p>{'<b>' + _e(p['test'].capitalize()) + ':</b> ' if p.get('test') else ''}{_e(p['text'])}</p>"
                    for p in v["parts"])
    cls = "answer-" + v["answer"].replace(" ", "-")
    return f'<section class="verdict {cls}" id="verdict"><h2>{_e(v["headline"])}</h2>{parts}</section>'


def section_warnings(report: dict) -> str:
    """Everything the reader must know before trusting the numbers."""
    items = list(report.get("warnings") or [])
    stability = report.get("stability")
    if stability and stability.get("low"):
        items.append(stability["message"])
    if not items:
        return ""
    return ('<section class="warn" id="warnings"><b>Warnings</b><ul>' + "".join(f"<li>{_e(w)}</li>" for w in items)
            + "</ul></section>")


def section_run(report: dict) -> str:
    """The command, its parameters and the software versions."""
    run = report.get("run")
    if not run:
        return ""
    out = ['<section id="run"><h2>What was run</h2>']
    if run.get("command"):
        out.append(f"<p><code>{_e(run['command'])}</code></p>")
    if run.get("parameters"):
        out.append(f"<details><summary>Parameters ({len(run['parameters'])})</summary>{_kv(run['parameters'])}"
                   "</details>")
    if run.get("versions"):
        text = ", ".join(f"{_e(k)} {_e(v)}" for k, v in run["versions"].items() if v)
        out.append(f'<p class="kind">Versions: {text}</p>')
    return "".join(out) + "</section>"


def section_data(report: dict) -> str:
    """Samples, features, classes or target range."""
    data = report.get("data")
    if not data:
        return ""
    cards = [("samples", _number(data.get("samples"))), ("features", _number(data.get("features")))]
    if data.get("missing_share") is not None:
        cards.append(("missing values", f"{100 * data['missing_share']:.1f} %"))
    if data.get("classes"):
        cards.extend((f"class {k}", _number(v)) for k, v in data["classes"].items())
    if data.get("target_range"):
        lo, hi = data["target_range"]
        cards.append(("target range", f"{_number(lo)} to {_number(hi)}"))
    body = "".join(f'<div class="card">{_e(label)}<b>{value}</b></div>' for label, value in cards)
    what = ", ".join(x for x in (data.get("task"), f"target {data['target']}" if data.get("target") else None) if x)
    notes = "".join(f"<p>{_e(n)}</p>" for n in data.get("notes") or [])
    return (f'<section id="data"><h2>Data</h2>{f"<p>{_e(what)}</p>" if what else ""}<div class="cards">{body}</div>'
            f"{notes}</section>")


def section_graph(report: dict) -> str:
    """The compiled network per level, and what the build read, kept and dropped."""
    graph = report.get("graph")
    if not graph:
        return ""
    out = ['<section id="graph"><h2>Graph</h2>']
    if graph.get("layer_sizes"):
        sizes, counts = graph["layer_sizes"], graph.get("connection_counts") or []
        rows = [["inputs" if i == 0 else f"level {i}", _number(s), _number(counts[i]) if i < len(counts) else "–"]
                for i, s in enumerate(sizes)]
        out.append(f"<p>{_number(graph.get('n_nodes'))} nodes and {_number(graph.get('n_edges'))} connections in "
                   f"{len(sizes)} levels (connections: the edges into the next levels).</p>")
        out.append(_table(["level", "nodes", "connections out"], rows, numeric={1, 2}))
    rows = graph.get("report") or []
    dropped = [r for r in rows if r.get("action") == "dropped" and (r.get("count") or 0) > 0]
    if dropped:
        out.append("<p><b>Dropped</b> while building and compiling:</p>")
        out.append(_table(["stage", "what", "count", "reason", "examples"],
                          [[_e(r.get("stage")), _e(r.get("what")), _number(r.get("count")), _e(r.get("reason")),
                            _e(r.get("examples"))] for r in dropped], numeric={2}))
    elif rows:
        out.append("<p>Nothing was dropped while building and compiling.</p>")
    if rows:
        cols = ["stage", "source", "action", "what", "count", "reason", "examples"]
        full = _table(cols, [[_number(r.get(c)) if c == "count" else _e(r.get(c)) for c in cols] for r in rows],
                      numeric={4})
        out.append(f"<details><summary>Full build report ({len(rows)} rows)</summary>{full}</details>")
    return "".join(out) + "</section>"


def section_metrics(report: dict) -> str:
    """Held-out metrics of the BINN beside its baselines and the rewired-graph control."""
    metrics = report.get("metrics")
    if not metrics:
        note = report.get("metrics_note") or "No held-out metrics were computed for this run."
        return f'<section id="metrics"><h2>Held-out metrics</h2><p>{_e(note)}</p></section>'
    columns = metrics["columns"]
    kinds = {"binn": "BINN", "baseline": "baseline", "rewired": "rewired graph (control)"}
    rows = [[_e(r["model"]), f'<span class="tag">{_e(kinds.get(r.get("kind"), r.get("kind")))}</span>',
             *[(f"<b>{_number(r.get(c))}</b>" if c == metrics["primary"] else _number(r.get(c))) for c in columns]]
            for r in metrics["rows"]]
    table = _table(["model", "kind", *[metrics["labels"].get(c, c) for c in columns]], rows,
                   numeric=set(range(2, 2 + len(columns))), cls="metrics")
    return (f'<section id="metrics"><h2>Held-out metrics</h2><p>{_e(metrics["evaluation"])}; the verdict reads '
            f'{_e(metrics["primary_label"])}.</p>{table}</section>')


def section_nodes(report: dict) -> str:
    """The top of the ranking, named, with p/q when a null ran and rank stability beside it."""
    nodes = report.get("nodes")
    if not nodes:
        note = report.get("nodes_note")
        return f'<section id="nodes"><h2>Top nodes</h2><p>{_e(note)}</p></section>' if note else ""
    labels = {"rank": "rank", "node_type": "type", "node_id": "id", "name": "name", "level": "level",
              "normalized_importance": "importance (normalised)", "specific_rank": "specific rank",
              "driver": "driver", "member_rank": "member-set rank", "p_value": "p", "q_value": "q", "mean_rank": "mean rank (seeds)",
              "rank_sd": "rank sd (seeds)"}
    numeric = {"rank", "level", "normalized_importance", "specific_rank", "member_rank", "p_value", "q_value",
               "mean_rank", "rank_sd"}
    columns = nodes["columns"]
    one_decimal = {"mean_rank", "rank_sd"}
    rows = [[_e(f"{r[c]:.1f}") if c in one_decimal and r.get(c) is not None else _number(r.get(c)) if c in numeric
             else _e(r.get(c) if c != "name" or r.get(c) else r.get("node_id")) for c in columns]
            for r in nodes["rows"]]
    idx = {i for i, c in enumerate(columns) if c in numeric}
    out = [f'<section id="nodes"><h2>Top {len(rows)} of {_number(nodes["total"])} nodes</h2>']
    by_type = ", ".join(f"{_number(n)} {_e(t)}" for t, n in nodes.get("by_type", {}).items())
    out.append(f"<p>Sorted by rank (1 = most important by the connectivity-normalised importance); {by_type}. "
               "Names are shown where the graph gives one, else the id.</p>")
    null = report.get("null")
    if null:
        kind = "degree-preserving rewired graphs" if null["null"] == "rewire" else "permuted labels"
        out.append(f"<p>p: empirical, from {null['n_null']} refits on {kind} (smallest possible "
                   f"{_number(null['min_p'])}); q: Benjamini–Hochberg over {_number(null['n_tested'])} tested nodes; "
                   f"{_number(null.get('n_significant', 0))} with q ≤ {null['alpha']:g}.</p>")
    else:
        out.append("<p>p and q: not computed (no null was run; <code>binn-graph explain RUN --null rewire</code> "
                   "adds them).</p>")
    out.append(_stability_line(report))
    out.append(_table([labels.get(c, c) for c in columns], rows, numeric=idx, cls="nodes"))
    return "".join(out) + "</section>"


def _stability_line(report: dict) -> str:
    stability = report.get("stability")
    if not stability:
        note = report.get("stability_note") or "Rank stability across seeds: not measured."
        return f"<p>{_e(note)}</p>"
    cls = "flag" if stability.get("low") else "ok"
    return f'<p class="{cls}" id="stability-line">{_e(stability["message"])}</p>'


def section_stability(report: dict) -> str:
    """Kendall τ between the seeds' rankings, pair by pair."""
    stability = report.get("stability")
    if not stability:
        return ""
    taus = ", ".join(_number(t, 2) for t in stability.get("taus", []))
    return (f'<section id="stability"><h2>Stability across seeds</h2>{_stability_line(report)}'
            f"<p>Kendall τ of each pair of the {stability['n_runs']} runs: {taus}. τ = 1: the same order; 0: no "
            f"agreement. Below {stability['threshold']:g} is flagged.</p></section>")


def section_flows(report: dict) -> str:
    """The interactive Sankey of the strongest importance flows."""
    flows = report.get("flows")
    if not flows or not flows.get("links"):
        return ""
    svg = sankey_svg(flows)
    return (f'<section id="flows"><h2>Importance flows</h2><p>The {len(flows["links"])} strongest of '
            f'{_number(flows["total_edges"])} edges (importance = mean |flow| along the edge, integrated gradients), '
            f'{len(flows["nodes"])} nodes; inputs on the left. Point at a node to highlight its flows, click to keep '
            f"the highlight; hover for names and values.</p>{legend_html(flows)}{svg}</section>")


def section_figures(report: dict) -> str:
    """Figures embedded as PNG."""
    figures = report.get("figures") or []
    if not figures:
        return ""
    body = "".join(f'<figure class="figure"><figcaption><b>{_e(f["title"])}</b> {_e(f.get("caption", ""))}'
                   f'</figcaption><img alt="{_e(f["title"])}" src="data:image/png;base64,{f["png"]}"/></figure>'
                   for f in figures)
    return f'<section id="figures"><h2>Figures</h2>{body}</section>'


def section_notes(report: dict) -> str:
    """What to run next."""
    notes = report.get("notes") or []
    if not notes:
        return ""
    return '<section id="notes"><h2>Next</h2><ul>' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul></section>"


#: The page's sections, in order.
SECTIONS = (section_header, section_verdict, section_warnings, section_run, section_data, section_graph,
            section_metrics, section_nodes, section_stability, section_flows, section_figures, section_notes)


def build_html(report: dict) -> str:
    """The report page: every section of :data:`SECTIONS`, the CSS, and the report's data as JSON."""
    report = dict(report)
    report.setdefault("verdict", verdict(report.get("metrics"), report.get("null")))
    body = "".join(section(report) for section in SECTIONS)
    data = {k: v for k, v in report.items() if k != "figures"}
    payload = json.dumps(plain(data), ensure_ascii=False).replace("</", "<\\/")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(report['title'])}</title><style>{_CSS}</style></head><body><main>{body}</main>"
            f'<script type="application/json" id="report-data">{payload}</script></body></html>\n')


def write_report(path: str | Path, report: dict) -> Path:
    """Write :func:`build_html` of ``report`` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build_html(report), encoding="utf-8")
    return path
