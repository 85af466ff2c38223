"""Run reports: one self-contained HTML page per run of ``binn-graph demo``, ``train`` and ``explain``.

* :mod:`.html` — the page from plain data, one function per section (:func:`build_html`, :func:`write_report`);
* :mod:`.collect` — plain data from a run's objects (versions, data, graph and build report, metrics, top nodes,
  figures as base64 PNG);
* :mod:`.verdict` — whether the biology beat the rewired graph, said plainly (:func:`verdict`);
* :mod:`.sankey` — the interactive importance view: the strongest flows as inline SVG;
* :mod:`.runs` — the three commands' reports (:func:`demo_report`, :func:`train_report`, :func:`explain_report`).

The page needs no network: figures are inline PNG, the flow view inline SVG with a small script.
"""

from .html import build_html, write_report
from .runs import demo_report, explain_report, train_report
from .verdict import verdict

__all__ = ["build_html", "write_report", "verdict", "demo_report", "train_report", "explain_report"]
