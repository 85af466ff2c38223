"""Helpers of the benchmark scripts: one section of benchmarks/RESULTS.md, and the project's markdown-table writer.

:func:`markdown_table` is :func:`binn_graph.cli.benchmark.markdown_table` (the genomic report in the package uses
the same one).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_section", "markdown_table"]


def write_section(path: Path, heading: str, section: str) -> None:
    """Replace the section starting with ``heading`` (up to the next ``## ``) by ``section``, or append it."""
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    start = text.find(heading)
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section.rstrip() + "\n" + ("\n" + text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)


def markdown_table(rows, columns=None, *, digits: int = 3, align: str | None = None) -> str:
    """:func:`binn_graph.cli.benchmark.markdown_table`, imported on first use (a script's own timings and memory
    are measured before it builds a table)."""
    from binn_graph.cli.benchmark import markdown_table as table

    return table(rows, columns, digits=digits, align=align)
