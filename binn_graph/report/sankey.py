"""The report's interactive importance view: a Sankey of the strongest flows, drawn as inline SVG.

:func:`flow_data` picks the flows (edge importances of :func:`~binn_graph.attribution.explain_edges`) from the
strongest down while at most ``max_nodes`` nodes and ``max_links`` links are shown, so the drawing stays small and
fast whatever the size of the network. :func:`sankey_svg` lays the nodes out in columns by level (inputs on the
left, the output on the right) and draws each flow as a band whose width is its importance. A small inline script
highlights the flows through a node under the pointer (a click keeps the highlight); every node and band carries a
tooltip. No library and no network access are needed.
"""

from __future__ import annotations

import html

import pandas as pd

from ..attribution.plot import node_label

__all__ = ["flow_data", "sankey_svg", "legend_html", "TYPE_COLOURS"]

#: Fill colour per node type (others are grey).
TYPE_COLOURS = {"protein": "#4e79a7", "gene": "#59a14f", "snp": "#b07aa1", "metabolite": "#edc948",
                "mirna": "#ff9da7", "reaction": "#9c755f", "peptide": "#76b7b2", "pathway": "#f28e2b",
                "output": "#e15759"}
_SCRIPT = """
(function () {
  var svg = document.getElementById("%(id)s");
  if (!svg) { return; }
  var pinned = null;
  function show(index) {
    svg.classList.toggle("focus", index !== null);
    svg.querySelectorAll(".flow").forEach(function (p) {
      var on = index !== null && (p.getAttribute("data-s") === index || p.getAttribute("data-t") === index);
      p.classList.toggle("on", on);
    });
  }
  svg.querySelectorAll(".node").forEach(function (g) {
    var index = g.getAttribute("data-i");
    g.addEventListener("mouseenter", function () { if (pinned === null) { show(index); } });
    g.addEventListener("mouseleave", function () { if (pinned === null) { show(null); } });
    g.addEventListener("click", function () { pinned = pinned === index ? null : index; show(pinned); });
  });
  svg.setAttribute("data-ready", "1");
})();
"""


def _label(name, node_id) -> str:
    return name if isinstance(name, str) and name.strip() else str(node_id)


def flow_data(table: pd.DataFrame, edges: pd.DataFrame, *, max_nodes: int = 50, max_links: int = 120) -> dict:
    """The strongest flows of an explanation, as plain data for :func:`sankey_svg`.

    ``table`` is :func:`~binn_graph.attribution.explain`'s node table and ``edges``
    :func:`~binn_graph.attribution.explain_edges`'s edge table, both for one output. Edges are taken by decreasing
    ``importance``; an edge is skipped when it would bring the node count above ``max_nodes``, and the selection
    stops at ``max_links`` edges. Nodes missing from the table (the output root) take the level of the edges into
    them. Returns ``{"nodes": [...], "links": [...], "total_edges": int}``; a node has ``id``, ``label``, ``type``,
    ``level``, ``importance`` and ``rank``, a link ``source`` and ``target`` (positions in ``nodes``) and
    ``value``.
    """
    info = table.drop_duplicates("node_id").set_index("node_id")
    ordered = edges[edges["importance"] > 0].sort_values("importance", ascending=False, kind="stable")
    chosen: dict[str, int] = {}
    links = []
    for source, target, value, level in zip(ordered["source"], ordered["target"], ordered["importance"],
                                            ordered["level"]):
        new = [n for n in dict.fromkeys((source, target)) if n not in chosen]
        if len(chosen) + len(new) > max_nodes:
            continue
        for n in new:
            chosen[n] = len(chosen)
        links.append({"source": chosen[source], "target": chosen[target], "value": float(value), "level": int(level)})
        if len(links) >= max_links:
            break
    into_level = {}
    for link in links:
        into_level[link["target"]] = max(into_level.get(link["target"], 0), link.pop("level"))
    nodes = []
    for node_id, i in chosen.items():
        if node_id in info.index:
            row = info.loc[node_id]
            rank = row.get("rank")
            nodes.append({"id": str(node_id), "label": _label(row.get("name"), node_id), "type": str(row["node_type"]),
                          "level": int(row["level"]), "importance": float(row["normalized_importance"]),
                          "rank": None if pd.isna(rank) else int(rank)})
        else:
            nodes.append({"id": str(node_id), "label": "output", "type": "output",
                          "level": into_level.get(i, 0), "importance": None, "rank": None})
    return {"nodes": nodes, "links": links, "total_edges": int(len(edges))}


def _short(text: str, width: int) -> str:
    width = max(width, 4)
    return text if len(text) <= width else text[: width - 1] + "…"


#: Narrowest column (pixels): room for about 29 characters of an 11 px label on each of three lines (the 90th
#: percentile of Reactome's pathway names is 63 characters).
MIN_COLUMN_WIDTH = 200


def sankey_svg(flows: dict, *, element_id: str = "flows", width: int = 1120, min_height: int = 420) -> str:
    """Inline SVG (plus its small script) drawing ``flows`` from :func:`flow_data`; an empty string without links.

    The columns share ``width`` pixels, widened so that no column is narrower than :data:`MIN_COLUMN_WIDTH` (a deep
    network scrolls sideways instead of shrinking its text). Labels wrap onto up to three lines in the room between two
    columns; the tooltips give them whole.
    """
    nodes, links = flows["nodes"], flows["links"]
    if not links:
        return ""
    levels = sorted({n["level"] for n in nodes})
    column = {lv: k for k, lv in enumerate(levels)}
    inflow = [0.0] * len(nodes)
    outflow = [0.0] * len(nodes)
    for link in links:
        outflow[link["source"]] += link["value"]
        inflow[link["target"]] += link["value"]
    size = [max(a, b) for a, b in zip(inflow, outflow)]
    members: dict[int, list[int]] = {k: [] for k in range(len(levels))}
    for i, n in enumerate(nodes):
        members[column[n["level"]]].append(i)
    for k in members:  # the most important at the top
        members[k].sort(key=lambda i: (-(nodes[i]["importance"] or 0.0), -size[i]))
    gap, pitch, top = 5.0, 39.0, 30.0  # a node's slot is at least three label lines high
    scale = (min_height - top - 20) / max(max(sum(size[i] for i in m) for m in members.values()), 1e-12)
    y0, h = [0.0] * len(nodes), [0.0] * len(nodes)
    bottom = 0.0
    for m in members.values():
        y = top
        for i in m:
            h[i] = max(size[i] * scale, 2.0)
            y0[i] = y + max(pitch - h[i], 0.0) / 2
            y += max(h[i], pitch) + gap
        bottom = max(bottom, y)
    height = bottom + 15
    node_w, margin = 12.0, 10.0
    width = max(width, 2 * margin + node_w + MIN_COLUMN_WIDTH * max(len(levels) - 1, 1))
    column_width = (width - 2 * margin - node_w) / max(len(levels) - 1, 1)
    room = int((column_width - node_w - 10) / 6.0)  # characters of an 11 px label between two columns
    x = [margin + column[n["level"]] * column_width for n in nodes]
    out_off = [0.0] * len(nodes)
    in_off = [0.0] * len(nodes)
    order = sorted(range(len(links)), key=lambda j: (y0[links[j]["source"]], y0[links[j]["target"]]))
    paths = []
    for j in order:
        link = links[j]
        s, t = link["source"], link["target"]
        w = max(link["value"] * scale, 1.0)
        sy = y0[s] + out_off[s] + w / 2
        ty = y0[t] + in_off[t] + w / 2
        out_off[s] += link["value"] * scale
        in_off[t] += link["value"] * scale
        xs, xt = x[s] + node_w, x[t]
        mid = (xs + xt) / 2
        tip = html.escape(f"{nodes[s]['label']} → {nodes[t]['label']}: importance {link['value']:.3g}")
        paths.append(f'<path class="flow" data-s="{s}" data-t="{t}" d="M{xs:.1f},{sy:.1f} C{mid:.1f},{sy:.1f} '
                     f'{mid:.1f},{ty:.1f} {xt:.1f},{ty:.1f}" stroke="{TYPE_COLOURS.get(nodes[s]["type"], "#999")}" '
                     f'stroke-width="{w:.1f}"><title>{tip}</title></path>')
    boxes = []
    last = len(levels) - 1
    for i, n in enumerate(nodes):
        colour = TYPE_COLOURS.get(n["type"], "#bab0ac")
        facts = [f"{n['label']} ({n['id']})" if n["label"] != n["id"] else n["id"], f"{n['type']}, level {n['level']}"]
        if n["rank"] is not None:
            facts.append(f"rank {n['rank']}, normalised importance {n['importance']:.3g}")
        tip = html.escape(" — ".join(facts))
        right = column[n["level"]] == last and last > 0
        tx = x[i] - 4 if right else x[i] + node_w + 4
        anchor = "end" if right else "start"
        rows = node_label({"name": n["label"], "node_id": n["id"]}, width=max(room, 4), lines=3).split("\n")
        first = y0[i] + h[i] / 2 - 6.5 * (len(rows) - 1)  # the lines centred on the node, 13 px apart
        spans = "".join(f'<tspan x="{tx:.1f}" y="{first + 13 * k:.1f}">{html.escape(row)}</tspan>'
                        for k, row in enumerate(rows))
        boxes.append(f'<g class="node" data-i="{i}"><rect x="{x[i]:.1f}" y="{y0[i]:.1f}" width="{node_w:.0f}" '
                     f'height="{h[i]:.1f}" fill="{colour}"/><text text-anchor="{anchor}" dominant-baseline="middle">'
                     f'{spans}</text><title>{tip}</title></g>')
    heads = "".join(f'<text class="level" x="{margin + column[lv] * column_width + (node_w if k == last else 0):.1f}" '
                    f'y="16" text-anchor="{"end" if k == last and k else "start"}">'
                    f'{"inputs" if lv == 0 else f"level {lv}"}</text>' for k, lv in enumerate(levels))
    style = (f"#{element_id} .flow{{fill:none;stroke-opacity:.35}}#{element_id} .flow:hover{{stroke-opacity:.75}}"
             f"#{element_id}.focus .flow{{stroke-opacity:.06}}#{element_id}.focus .flow.on{{stroke-opacity:.8}}"
             f"#{element_id} .node{{cursor:pointer}}#{element_id} text{{font:11px sans-serif;fill:#222;"
             f"paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-opacity:.8}}"
             f"#{element_id} text.level{{font-weight:bold;fill:#555}}")
    svg = (f'<svg id="{element_id}" class="sankey" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
           f'preserveAspectRatio="xMinYMin meet"><style>{style}</style>{heads}{"".join(paths)}{"".join(boxes)}</svg>')
    return (f'<div class="sankey-scroll" style="overflow-x:auto;max-width:100%">{svg}</div>'
            f"<script>{_SCRIPT % {'id': element_id}}</script>")


def legend_html(flows: dict) -> str:
    """A colour key for the node types present in ``flows``."""
    types = list(dict.fromkeys(n["type"] for n in flows["nodes"]))
    items = "".join(f'<span class="key"><span class="swatch" style="background:{TYPE_COLOURS.get(t, "#bab0ac")}">'
                    f'</span>{html.escape(t)}</span>' for t in types)
    return f'<p class="legend">{items}</p>'

