"""Safe file opening shared by every adapter.

* gzip is recognised by its magic bytes, not by the file name; a ``.gz`` name
  on bytes that are not gzip raises :class:`~kg.errors.CompressionError`.
* Text must be UTF-8 (a BOM is stripped); anything else raises
  :class:`~kg.errors.EncodingError` with the line number.
* Delimited tables are checked for the number of fields per line and for
  required columns, and say which line or column is wrong.
* XML is parsed with :mod:`defusedxml`: entity declarations and external
  references raise :class:`~kg.errors.UnsafeXMLError`, and nothing is fetched.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from os import PathLike
from pathlib import Path
from typing import Sequence
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as safe_et
import numpy as np
import pandas as pd

from .errors import (
    CompressionError,
    DelimiterError,
    EmptyFileError,
    EncodingError,
    InputFormatError,
    MissingColumnError,
    UnsafeXMLError,
    UsageError,
)

__all__ = ["read_bytes", "read_text", "read_table", "iter_lines", "parse_xml", "check_xml_safe", "line_of",
           "set_lines", "check_nonempty"]

PathLikeStr = str | PathLike

_GZIP_MAGIC = b"\x1f\x8b"
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "space"}


def read_bytes(path: PathLikeStr) -> bytes:
    """Read a file, decompressing it when its first bytes are the gzip magic number."""
    p = Path(path)
    if not p.exists():
        raise InputFormatError("file does not exist", path=p)
    if p.is_dir():
        raise InputFormatError("expected a file, found a directory", path=p)
    data = p.read_bytes()
    if data[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise CompressionError(f"corrupt or truncated gzip data ({exc})", path=p) from None
    if p.suffix.lower() in {".gz", ".gzip"}:
        raise CompressionError(
            "the name ends in .gz but the content is not gzip-compressed "
            "(no gzip magic bytes); rename the file or compress it",
            path=p,
        )
    return data


def read_text(path: PathLikeStr) -> str:
    """Read a (possibly gzipped) UTF-8 text file; raise EncodingError naming the line of a bad byte."""
    data = read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise EncodingError(
            f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not valid UTF-8; "
            "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)",
            path=path,
            line=line,
        ) from None
    return text.removeprefix("\ufeff")


def iter_lines(text: str, comment: str | None = None):
    """Yield ``(line_number, line)`` for non-blank lines, skipping comment lines."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if comment is not None and line.startswith(comment):
            continue
        yield number, line


def _guess_delimiter(line: str, expected: str) -> str:
    counts = {d: line.count(d) for d in _DELIMITER_NAMES if d != expected}
    best = max(counts, key=counts.get)
    if counts[best]:
        return f"; the line looks {_DELIMITER_NAMES[best]}-separated"
    return ""


def read_table(
    path: PathLikeStr,
    columns: Sequence[str] | None = None,
    *,
    sep: str = "\t",
    header: bool = False,
    comment: str | None = None,
    required: Sequence[str] = (),
    what: str = "table",
) -> pd.DataFrame:
    """Read a delimited text table as strings, validating its shape.

    Parameters
    ----------
    path:
        Plain or gzipped UTF-8 file.
    columns:
        Without a header: the names of the fields, one per column; every line
        must have exactly this many fields. With a header: ignored.
    sep:
        Field delimiter.
    header:
        Whether the first data line holds column names.
    required:
        With a header: columns that must be present.
    what:
        A human name for the file's format, used in error messages.

    Returns
    -------
    DataFrame of ``str`` values (no type conversion, no NA parsing). Its
    ``attrs["lines"]`` holds the 1-based file line of each row, for error
    messages (see :func:`line_of`).
    """
    text = read_text(path)
    lines = list(iter_lines(text, comment))
    if not lines or (header and len(lines) == 1):
        raise EmptyFileError(f"empty {what}: no data lines", path=path)
    sep_name = _DELIMITER_NAMES.get(sep, repr(sep))
    if header:
        head = lines[0][1].split(sep)
        n_fields = len(head)
        missing = [c for c in required if c not in head]
        if missing:
            hint = _guess_delimiter(lines[0][1], sep) if n_fields == 1 else ""
            raise MissingColumnError(
                f"missing required column(s) {missing} in the {sep_name}-separated header; "
                f"found columns {head[:10]}{hint}",
                path=path,
                line=lines[0][0],
            )
    else:
        if columns is None:
            raise UsageError("read_table: columns is required when header=False")
        n_fields = len(columns)
    for number, line in lines:
        n = line.count(sep) + 1
        if n != n_fields:
            hint = _guess_delimiter(line, sep) if n == 1 else ""
            raise DelimiterError(
                f"expected {n_fields} {sep_name}-separated fields "
                f"({', '.join(columns) if not header and columns else 'as in the header'}), found {n}{hint}",
                path=path,
                line=number,
            )
    body = "\n".join(line for _, line in lines)
    frame = pd.read_csv(
        io.StringIO(body),
        sep=sep,
        header=0 if header else None,
        names=None if header else list(columns),
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        quoting=csv.QUOTE_NONE,
        engine="c",
    )
    if header:
        dup = frame.columns[frame.columns.duplicated()].tolist()
        if dup:
            raise InputFormatError(f"duplicated column names {dup} in the header; rename one of them",
                                   path=path, line=lines[0][0])
    set_lines(frame, [number for number, _ in (lines[1:] if header else lines)])
    return frame


class _Lines:
    """File line numbers of a frame's rows, kept in ``DataFrame.attrs``.

    pandas copies and compares ``attrs`` when it derives frames; this holder is
    immutable (deep copies are itself) and compares by identity, so that costs
    nothing. :func:`line_of` ignores it once the frame's length has changed.
    """

    __slots__ = ("numbers",)

    def __init__(self, numbers) -> None:
        self.numbers = np.asarray(numbers, dtype=np.int64)

    def __deepcopy__(self, memo) -> "_Lines":
        return self

    def __eq__(self, other) -> bool:
        return self is other

    __hash__ = object.__hash__


def set_lines(frame: pd.DataFrame, numbers) -> None:
    """Record the 1-based file line of each row of ``frame`` (used by :func:`line_of`)."""
    frame.attrs["lines"] = _Lines(numbers)


def line_of(frame: pd.DataFrame, row: int) -> int | None:
    """1-based file line of positional ``row`` of a frame returned by :func:`read_table` (None if unknown)."""
    lines = frame.attrs.get("lines")
    if not isinstance(lines, _Lines) or len(lines.numbers) != len(frame) or not 0 <= row < len(frame):
        return None
    return int(lines.numbers[row])


def check_nonempty(frame: pd.DataFrame, columns: Sequence[str], path: PathLikeStr, what: str) -> None:
    """Raise InputFormatError naming the line of the first row whose ``columns`` value is empty or blank.

    ``what`` describes the file (e.g. "GAF 2.x file"); the message names the column.
    """
    for column in columns:
        blank = (frame[column].str.strip() == "").to_numpy()
        if blank.any():
            row = int(blank.nonzero()[0][0])
            position = list(frame.columns).index(column) + 1
            raise InputFormatError(
                f"column {position} ({column}) is empty, but every row of a {what} needs a value there; "
                f"fill it in or delete the row ({int(blank.sum())} such row(s) in the file)",
                path=path,
                line=line_of(frame, row),
            )


_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


def check_xml_safe(data: bytes, path: PathLikeStr) -> None:
    """Raise UnsafeXMLError if the XML prolog declares entities (internal or external).

    A ``<!DOCTYPE ...>`` that only names an external DTD is tolerated (KEGG
    KGML files carry one) because it is never fetched or resolved.
    """
    head_end = data.find(b"<", data.find(b"<!DOCTYPE") + 1) if b"<!DOCTYPE" in data[:65536] else -1
    prolog = data[: max(head_end, 0) + 65536]
    match = _ENTITY_DECL.search(prolog)
    if match:
        line = data.count(b"\n", 0, match.start()) + 1
        raise UnsafeXMLError(
            "the document declares XML entities (<!ENTITY ...>); entity expansion and external "
            "entities are refused and never resolved",
            path=path,
            line=line,
        )


def parse_xml(path: PathLikeStr, what: str = "XML") -> Element:
    """Parse an XML file safely with defusedxml and return its root element."""
    data = read_bytes(path)
    if not data.strip():
        raise EmptyFileError(f"empty {what} file", path=path)
    try:
        return safe_et.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise UnsafeXMLError(
            f"refused unsafe XML construct ({type(exc).__name__}: {exc}); "
            "entities, external references and network access are never resolved",
            path=path,
        ) from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise InputFormatError(f"not well-formed {what}: {exc}", path=path, line=line) from None
