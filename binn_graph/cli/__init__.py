"""The binn-graph command line: knowledge graphs, BINN training, explanation, degradation graphs and benchmarks.

Data matrices are read samples × features everywhere (one row per sample, the first column holding the sample ids,
one column per feature); pass --features-in-rows for a features × samples file.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import warnings

from kg.errors import BinnGraphError

from .. import _progress
from . import benchmark, context, degradation, demo, explain, kg, metabolic, signalling, train

__all__ = ["main", "build_parser", "clean_message"]

logger = logging.getLogger("binn_graph.cli")

_RST = [(re.compile(r":[a-z]+:`~?([^`]*)`"), r"\1"), (re.compile(r"``([^`]*)``"), r"\1"),
        (re.compile(r"`([^`]*)`"), r"\1")]
_NUMPY_SCALAR = re.compile(r"\bnp\.(?:u?int\d*|float\d*|bool_?|str_|bytes_|complex\d*|datetime64|object_)\((.*?)\)")


def strip_rst(text: str | None) -> str | None:
    """``binn-graph`` and :mod:`x` → binn-graph and x: reStructuredText markup does not belong in ``--help``."""
    if not text:
        return text
    for pattern, repl in _RST:
        text = pattern.sub(repl, text)
    return text


def clean_message(text: str) -> str:
    """An error or warning as the user reads it: plain numbers (``np.int64(1)`` → ``1``), no RST markup."""
    previous = None
    while previous != text:  # nested reprs: np.str_('a') inside a list
        previous, text = text, _NUMPY_SCALAR.sub(r"\1", text)
    return text


class _HelpFormatter(argparse.HelpFormatter):
    """Help text without reStructuredText markup (module docstrings and option helps may use it)."""

    def _format_text(self, text):
        return super()._format_text(strip_rst(text))

    def _expand_help(self, action):
        return strip_rst(super()._expand_help(action))


class _RawHelpFormatter(argparse.RawDescriptionHelpFormatter, _HelpFormatter):
    def _fill_text(self, text, width, indent):
        return super()._fill_text(strip_rst(text), width, indent)


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser whose errors read ``binn-graph: error: ...`` like every other error of the command line."""

    def __init__(self, *args, **kwargs):
        formatter = kwargs.get("formatter_class", argparse.HelpFormatter)
        kwargs["formatter_class"] = _RawHelpFormatter if issubclass(formatter, argparse.RawDescriptionHelpFormatter) \
            else _HelpFormatter
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        command = self.prog.removeprefix("binn-graph").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"binn-graph: error: {where}{message} (see `{self.prog} --help`)\n{self.format_usage()}")


def build_parser() -> argparse.ArgumentParser:
    """The ``binn-graph`` argument parser with every command group."""
    parser = ArgumentParser(prog="binn-graph", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="more detail on standard error: debug messages, and progress lines every 5 s when "
                             "the output is not a terminal (every 30 s by default)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="only warnings and errors on standard error: no progress, no notes")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    kg.add_parser(sub)
    train.add_parser(sub)
    explain.add_parser(sub)
    degradation.add_parser(sub)
    benchmark.add_parser(sub)
    demo.add_parser(sub)
    context.add_parser(sub)
    metabolic.add_parser(sub)
    signalling.add_parser(sub)
    return parser


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (tests swap it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = clean_message(record.getMessage())
        if record.levelno >= logging.ERROR:
            return f"binn-graph: error: {text}"
        if record.levelno >= logging.WARNING:
            return f"binn-graph: warning: {text}"
        return text


_handler = _StderrHandler()
_handler.setFormatter(_Formatter())


def configure_output(verbose: bool = False, quiet: bool = False):
    """Notes, warnings and progress lines of ``binn_graph`` and ``kg`` to standard error, at the level asked.

    Returns a function that restores the loggers' previous settings (``main`` calls it when the command ends, so an
    in-process caller's logging is left as it was).
    """
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    saved = []
    for name in ("binn_graph", "kg"):
        log = logging.getLogger(name)
        saved.append((log, log.level, log.propagate, _handler in log.handlers))
        if _handler not in log.handlers:
            log.addHandler(_handler)
        log.setLevel(level)
        log.propagate = False
    _progress.configure("off" if quiet else "log", 5.0 if verbose else None)

    def restore() -> None:
        for log, old_level, old_propagate, had_handler in saved:
            log.setLevel(old_level)
            log.propagate = old_propagate
            if not had_handler:
                log.removeHandler(_handler)
        _progress.configure()

    return restore


def _show_warning(message, category, filename, lineno, file=None, line=None):
    name = "" if category is UserWarning else f"{category.__name__}: "
    logging.getLogger("binn_graph.cli").warning(f"{name}{message}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``binn-graph`` console script; returns the exit status (2 for an error)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    restore_output = configure_output(args.verbose, args.quiet)
    if argv is None:  # the console script: warnings as one plain line (in-process callers keep their own)
        warnings.showwarning = _show_warning
    try:
        rc = args.func(args)
        return rc if isinstance(rc, int) else 0
    except BinnGraphError as exc:
        print(f"binn-graph: error: {clean_message(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (binn-graph kg info graph/ | head): stop quietly
        if argv is None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:  # a file the user named cannot be read or written (permissions, a directory, disk full)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"binn-graph: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("binn-graph: interrupted", file=sys.stderr)
        return 130
    finally:
        restore_output()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
