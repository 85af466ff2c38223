"""BuildReport: what was read, kept, dropped and why.

Adapters and graph operations append :class:`ReportEntry` records instead of
dropping anything silently. ``binn-graph kg info`` prints the report, and it is
saved with the graph.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable

import pandas as pd

__all__ = ["ReportEntry", "BuildReport"]

_MAX_EXAMPLES = 5


@dataclass(frozen=True)
class ReportEntry:
    """One fact about a build step.

    ``action`` is ``"read"``, ``"kept"``, ``"dropped"``, ``"merged"``,
    ``"collapsed"``, ``"lifted"`` or ``"note"``; ``count`` is how many records
    it concerns; ``examples`` are up to five of them.
    """

    source: str
    action: str
    what: str
    count: int
    reason: str = ""
    path: str = ""
    examples: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"[{self.source}] {self.action} {self.count:,} {self.what}"
        if self.reason:
            text += f": {self.reason}"
        if self.examples:
            text += f" (e.g. {', '.join(self.examples)})"
        return text


@dataclass
class BuildReport:
    """An ordered list of :class:`ReportEntry` records."""

    entries: list[ReportEntry] = field(default_factory=list)

    def add(
        self,
        source: str,
        action: str,
        what: str,
        count: int,
        reason: str = "",
        path: str = "",
        examples: Iterable[object] = (),
    ) -> None:
        """Append an entry; zero-count drops are recorded too, so a reader sees the check ran."""
        ex = tuple(str(e) for e in list(examples)[:_MAX_EXAMPLES])
        self.entries.append(ReportEntry(source, action, what, int(count), reason, str(path), ex))

    def extend(self, other: "BuildReport") -> None:
        """Append every entry of ``other``."""
        self.entries.extend(other.entries)

    def dropped(self) -> list[ReportEntry]:
        """Entries that record dropped records with a non-zero count."""
        return [e for e in self.entries if e.action == "dropped" and e.count > 0]

    def to_frame(self) -> pd.DataFrame:
        """Entries as a DataFrame (examples joined with ``"; "``)."""
        cols = ["source", "action", "what", "count", "reason", "path", "examples"]
        rows = [{**asdict(e), "examples": "; ".join(e.examples)} for e in self.entries]
        return pd.DataFrame(rows, columns=cols)

    def to_records(self) -> list[dict]:
        """Entries as JSON-ready dicts."""
        return [{**asdict(e), "examples": list(e.examples)} for e in self.entries]

    @classmethod
    def from_records(cls, records: Iterable[dict]) -> "BuildReport":
        """Rebuild a report from :meth:`to_records` output."""
        return cls([ReportEntry(**{**r, "examples": tuple(r.get("examples", ()))}) for r in records])

    def __len__(self) -> int:
        return len(self.entries)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.entries) if self.entries else "(empty build report)"
