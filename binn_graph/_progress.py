"""Progress of long loops (training epochs, null refits, nested-CV members), configured once by the command line.

Library code wraps a loop in :func:`progress` instead of calling ``tqdm`` directly::

    from binn_graph._progress import progress

    for epoch in progress(range(max_epochs), desc="training", unit="epoch", enabled=self.progress):
        ...

``enabled=True`` or ``False`` forces the caller's choice; ``None`` (the default) follows the mode:

* ``"auto"`` (the library's default): a tqdm bar when standard error is a terminal, nothing otherwise;
* ``"log"`` (the command line's default): a bar on a terminal; otherwise one plain line every ``interval`` seconds
  through the ``binn_graph.progress`` logger (``training: 40/200 epoch [00:30<01:30, 1.33 epoch/s]``), so that
  output piped to a log file still shows progress;
* ``"off"``: nothing (``binn-graph --quiet``).

The mode is set by :func:`configure` (``binn-graph --verbose`` / ``--quiet``) or, for any process, by the
environment variables ``BINN_GRAPH_PROGRESS`` (``auto``, ``log``, ``off``) and ``BINN_GRAPH_PROGRESS_INTERVAL``
(seconds between log lines, default 30).
"""

from __future__ import annotations

import logging
import os
import sys

from tqdm.auto import tqdm
from tqdm.std import tqdm as _plain_tqdm

__all__ = ["MODES", "configure", "mode", "interval", "enabled", "progress"]

MODES = ("auto", "log", "off")
logger = logging.getLogger("binn_graph.progress")

_settings: dict = {}


def configure(mode: str | None = None, interval: float | None = None) -> None:
    """Set the progress mode (one of :data:`MODES`) and the seconds between log lines; ``None`` resets to the
    environment's (or the default) value."""
    if mode is not None and mode not in MODES:
        raise ValueError(f"progress mode must be one of {', '.join(MODES)}, not {mode!r}")
    if interval is not None and not interval > 0:
        raise ValueError(f"progress interval must be a positive number of seconds, not {interval!r}")
    _settings["mode"] = mode
    _settings["interval"] = interval


def mode() -> str:
    """The current mode: :func:`configure`'s, else ``$BINN_GRAPH_PROGRESS``, else ``"auto"``."""
    value = _settings.get("mode") or os.environ.get("BINN_GRAPH_PROGRESS", "auto").strip().lower()
    return value if value in MODES else "auto"


def interval() -> float:
    """Seconds between two log lines of one loop (``"log"`` mode)."""
    value = _settings.get("interval")
    if value is None:
        try:
            value = float(os.environ.get("BINN_GRAPH_PROGRESS_INTERVAL", "30"))
        except ValueError:
            value = 30.0
    return value if value > 0 else 30.0


def _terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


def enabled(requested: bool | None = None) -> bool:
    """Whether a loop shows progress at all: the caller's ``requested`` choice, else the mode's."""
    if requested is not None:
        return bool(requested)
    current = mode()
    return current == "log" or (current == "auto" and _terminal())


class _Sink:
    """A file that swallows tqdm's own terminal output; the lines go to the logger instead."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class _LogLines(_plain_tqdm):
    """tqdm that logs one plain line every ``mininterval`` seconds (after a first ``delay``) instead of redrawing."""

    def display(self, msg=None, pos=None):  # noqa: D102 - tqdm's hook
        text = self.__str__() if msg is None else msg
        if text.strip():
            logger.info(text.strip())
        return True

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):  # noqa: D102
        # shown with the next periodic line: a refresh here would log a line on every call (every epoch)
        super().set_postfix(ordered_dict, refresh=False, **kwargs)

    def close(self):  # noqa: D102
        shown = not self.disable and hasattr(self, "last_print_t") and self.last_print_t >= self.start_t + self.delay
        if shown and self.n != getattr(self, "last_print_n", None):
            self.display()  # the final count of a loop that printed before
        super().close()


def progress(iterable=None, *, desc: str = "", total: int | None = None, unit: str = "it",
             enabled: bool | None = None, leave: bool = False, **kwargs):
    """A progress wrapper around ``iterable`` (a ``tqdm`` object, usable with ``update`` too); see the module."""
    show = globals()["enabled"](enabled)
    if show and not _terminal():
        every = interval()
        return _LogLines(iterable, desc=desc, total=total, unit=unit, leave=False, file=_Sink(), mininterval=every,
                         delay=every, maxinterval=every, ascii=True, dynamic_ncols=False,
                         bar_format="{desc}: {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}, {rate_fmt}]",
                         **kwargs)
    return tqdm(iterable, desc=desc, total=total, unit=unit, leave=leave, disable=not show, **kwargs)
