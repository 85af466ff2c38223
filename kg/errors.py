"""Exception hierarchy of :mod:`kg`, and the root of the whole project's errors.

Every error the project raises for bad input or misuse derives from
:class:`BinnGraphError`; :mod:`kg` errors derive from :class:`KGError` and
:mod:`binn_graph` errors from :class:`binn_graph.errors.BINNError`, both below
that root. Each error also derives from the builtin that scikit-learn and
callers expect (``ValueError``, ``KeyError``, ...). Errors about a file carry the
``path`` and, where known, the 1-based ``line`` (or a ``record`` description) so
that the message says where the problem is and what was expected.

Every directed cycle in a relation that must be acyclic is a :class:`CycleError`,
whichever module finds it.
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "BinnGraphError",
    "KGError",
    "CycleError",
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


class BinnGraphError(Exception):
    """Root of every error raised by binn-graph (:mod:`kg` and :mod:`binn_graph`) for bad input or misuse."""


class KGError(BinnGraphError):
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


class CycleError(KGError, ValueError):
    """A relation that must be acyclic (a hierarchy, the BINN's layers) has a directed cycle.

    Parameters
    ----------
    message:
        Which relation, and what to do.
    nodes:
        Ids of nodes on the cycle (possibly a sample of them).
    """

    def __init__(self, message: str, nodes: list[str] | tuple[str, ...] = (), **kwargs) -> None:
        self.nodes = list(nodes)
        super().__init__(message, **kwargs)


class HierarchyCycleError(CycleError, InputFormatError):
    """A hierarchy relation (for example pathway ``part_of`` pathway) has a cycle.

    Raised by the adapters with the ``path`` of the file that holds the cycle, and
    by :meth:`kg.KnowledgeGraph.validate` (no path: the graph was built in memory).
    """


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
