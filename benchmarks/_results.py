"""Writing one section of benchmarks/RESULTS.md, replacing the section of the same heading if present."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_section"]


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
