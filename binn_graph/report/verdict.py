"""The report's verdict: did the biology beat the rewired graph? Said plainly, from plain data.

Two tests can answer it. **Prediction**: the BINN on the biological graph against the same BINN on a
degree-preserving rewired graph, on held-out data (a metrics row of kind ``"rewired"``). **Importance**: the node
null of :func:`~binn_graph.attribution.explain` with ``null="rewire"`` (``attrs["null"]``). Each part answers
``"yes"``, ``"no"``, ``"inconclusive"`` (a null whose refits could not reach the q-level) or is absent; with neither
the verdict is ``"not tested"``.
"""

from __future__ import annotations

import math

__all__ = ["verdict", "TOLERANCE", "CEILING"]

#: Held-out differences smaller than this (in the primary metric) count as "as well".
TOLERANCE = 0.01
#: Scores at or above this (ROC-AUC, accuracy, R²) are at the ceiling: the task is too easy to tell graphs apart.
CEILING = 0.99


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _prediction(metrics: dict | None, tolerance: float) -> dict | None:
    if not metrics:
        return None
    primary = metrics.get("primary")
    rows = metrics.get("rows", [])
    binn = next((r.get(primary) for r in rows if r.get("kind") == "binn"), None)
    rewired = [r.get(primary) for r in rows if r.get("kind") == "rewired"]
    rewired = [v for v in rewired if _finite(v)]
    if not _finite(binn) or not rewired:
        return None
    control = sum(rewired) / len(rewired)
    higher = metrics.get("higher_is_better", True)
    gain = (binn - control) if higher else (control - binn)
    name = metrics.get("primary_label", primary)
    where = metrics.get("evaluation", "held-out data")
    graphs = "the rewired graph" if len(rewired) == 1 else f"{len(rewired)} rewired graphs (mean)"
    numbers = f"{name} {binn:.3f} vs {control:.3f}"
    if gain > tolerance:
        text = (f"Yes: the biological graph beat {graphs} on {where}: {numbers}. One comparison of point "
                "estimates, not a significance test.")
        answer = "yes"
    elif gain < -tolerance:
        text = f"No: {graphs} did better than the biological graph on {where}: {numbers}."
        answer = "no"
    else:
        text = (f"No: {graphs} did as well as the biological graph on {where}: {numbers}, within {tolerance:g}. "
                "The prediction does not show that the biology matters.")
        answer = "no"
        if higher and binn >= CEILING and control >= CEILING:
            text += " Both are at the ceiling: this data set is too easy to tell the graphs apart."
    baselines = [(r["model"], r.get(primary)) for r in rows if r.get("kind") == "baseline" and _finite(r.get(primary))]
    for model, value in baselines:
        if (value >= binn - tolerance) if higher else (value <= binn + tolerance):
            text += f" The baseline {model} does as well or better ({name} {value:.3f})."
    return {"test": "prediction", "answer": answer, "text": text}


def _importance(null: dict | None) -> dict | None:
    if not null:
        return None
    alpha, n_null, k = null["alpha"], null["n_null"], null.get("n_significant", 0)
    tested = null.get("n_tested")
    if null["null"] != "rewire":
        return {"test": "importance", "answer": None,
                "text": f"Against permuted labels ({n_null} refits), {k} of {tested} tested nodes have q ≤ {alpha:g}; "
                        "that tests the labels, not the graph."}
    if k > 0:
        return {"test": "importance", "answer": "yes",
                "text": f"Yes: {k} of {tested} tested nodes beat the rewired graph at q ≤ {alpha:g} "
                        f"({n_null} rewired refits, Benjamini–Hochberg)."}
    if not null.get("reachable", True):
        return {"test": "importance", "answer": "inconclusive",
                "text": f"Inconclusive: no node reached q ≤ {alpha:g} against the rewired graph, but with {n_null} "
                        f"refits none could (the smallest possible q of a single node is "
                        f"{null['min_q_single']:.2g}; one discovery needs n_null ≥ {null['needed_n_null']}, or test "
                        "fewer nodes)."}
    best = null.get("min_q")
    return {"test": "importance", "answer": "no",
            "text": f"No: no node beat the rewired graph at q ≤ {alpha:g} ({n_null} rewired refits"
                    + (f"; smallest q {best:.2g})." if _finite(best) else ").")}


def verdict(metrics: dict | None = None, null: dict | None = None, *, tolerance: float = TOLERANCE) -> dict:
    """Whether the biology beat the rewired graph, from the report's ``metrics`` and ``null`` data.

    ``metrics``: ``{"primary": "roc_auc", "higher_is_better": True, "evaluation": "...", "rows": [{"model": ...,
    "kind": "binn" | "baseline" | "rewired", "roc_auc": ...}, ...]}``; ``null``: ``explain(...).attrs["null"]``.
    Returns ``{"answer": "yes" | "no" | "inconclusive" | "not tested", "parts": [{"test", "answer", "text"}],
    "headline": str}``; the prediction test decides the answer when present, else the importance null.
    """
    parts = [p for p in (_prediction(metrics, tolerance), _importance(null)) if p is not None]
    decided = [p for p in parts if p["answer"] is not None]
    if not decided:
        parts.append({"test": None, "answer": "not tested",
                      "text": "Not tested: no rewired-graph control was run. `binn-graph train --cv K "
                              "--rewired-control` compares held-out predictions with a rewired graph; `binn-graph "
                              "explain RUN --null rewire` tests node importances against it."})
        answer = "not tested"
    else:
        answer = decided[0]["answer"]
    labels = {"yes": "Yes", "no": "No", "inconclusive": "Inconclusive", "not tested": "Not tested"}
    detail = "; ".join(f"{p['test']}: {labels[p['answer']].lower()}" for p in decided)
    headline = f"Did the biology beat the rewired graph? {labels[answer]}" + (f" ({detail})" if len(decided) > 1
                                                                             else "")
    return {"answer": answer, "parts": parts, "headline": headline}
