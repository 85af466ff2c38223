"""Exception hierarchy of :mod:`kg`.

Every error raised for bad input derives from :class:`KGError`. Errors about a
file carry the ``path`` and, where known, the 1-based ``line`` (or a ``record``
description) so that the message says where the problem is and what was
expected.
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "KGError",
    "SchemaError",
    "InputFormatError",
    "EmptyFileError",
    "EncodingError",
    "CompressionError",
    "MissingColumnError",
    "DelimiterError",
    "DuplicateIdError",
    "DanglingEdgeError",
    "HierarchyCycleError",
    "UnsafeXMLError",
    "RDFParseError",
    "UnknownSourceError",
    "UsageError",
]


class KGError(Exception):
    """Base class of every error raised by :mod:`kg`."""


class SchemaError(KGError, ValueError):
    """A node type, edge type, id or attribute does not fit the graph schema."""


class InputFormatError(KGError, ValueError):
    """A file does not have the expected format.

    Parameters
    ----------
    message:
        What was found and what was expected.
    path:
        The file that was read.
    line:
        1-based line number, if the problem sits on one line.
    record:
        A description of the record (element id, stanza, ...), if not a line.
    """

    def __init__(
        self,
        message: str,
        path: str | PathLike | None = None,
        line: int | None = None,
        record: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.record = record
        self.detail = message
        where = []
        if self.path is not None:
            where.append(self.path)
        if line is not None:
            where.append(f"line {line}")
        if record is not None:
            where.append(record)
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class EmptyFileError(InputFormatError):
    """The file holds no data records."""


class EncodingError(InputFormatError):
    """The file is not valid UTF-8 text."""


class CompressionError(InputFormatError):
    """The file claims a compression (``.gz``) that its bytes do not have."""


class MissingColumnError(InputFormatError):
    """A required column is absent."""


class DelimiterError(InputFormatError):
    """The rows do not split into the expected number of fields."""


class DuplicateIdError(InputFormatError):
    """An id that must be unique occurs more than once."""


class DanglingEdgeError(KGError, ValueError):
    """An edge refers to a node that is not in the graph."""


class HierarchyCycleError(InputFormatError):
    """A hierarchy relation (for example pathway ``part_of`` pathway) has a cycle."""


class UnsafeXMLError(InputFormatError):
    """XML declares entities or external references; these are never resolved."""


class RDFParseError(InputFormatError):
    """The file is not parseable RDF in the declared or guessed syntax."""


class UnknownSourceError(KGError, KeyError):
    """No adapter is registered under the requested name."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class UsageError(KGError, ValueError):
    """The arguments given to an adapter do not fit together (for example no input file at all)."""
