"""Peptidomes as search engines write them: PEAKS exports and wide tables → one long table.

:func:`read_peptidome` returns one row per (sample, protein, peptide form) with the columns

``sample, protein, peptide, modified, start, end, area, n_flank, c_flank, shared``

* ``peptide`` is the plain sequence: flanking residues (``K.PEPTIDE.S``) and modification tags (``M(+15.99)``,
  ``(+42.01)``, ``(sub K)``: anything in brackets) are stripped; ``modified`` keeps the form as written (without the
  flanks). ``forms="sum"`` adds up the areas of the forms of one peptide in one sample (``modified`` then lists them,
  ``;``-joined); ``forms="keep"`` keeps one row per form.
* ``protein`` is a UniProt accession: ``sp|P12345|NAME_HUMAN`` and ``tr|…|…`` give ``P12345``, a bare accession
  (isoform suffix ``-2`` allowed) is kept; anything else is refused, naming the file, line and value. Shared
  peptides (``P1:P2`` or ``P1;P2``) follow ``shared=``: ``"split"`` (one row per protein, each with the whole area,
  as PEAKS protein-peptide exports list them), ``"first"``, ``"drop"`` or ``"group"`` (the protein is the
  ``;``-joined group).
* ``start``/``end`` (1-based, inclusive) come from ``Start``/``End`` columns when present (else missing);
  ``end − start + 1`` must equal the peptide length. ``n_flank``/``c_flank`` are the residues before and after the
  peptide from ``K.PEPTIDE.S`` (``-`` = the protein terminus; missing when the export has no flanks).
* ``area`` is linear. A row without an area (empty cell) or without an accession is dropped; an area of 0 (PEAKS:
  identified, not quantified) is kept and counted.

Every dropped, split, summed or altered row is counted in the :class:`~kg.report.BuildReport` that the returned
DataFrame carries as ``frame.attrs["report"]``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from kg.report import BuildReport

from ..errors import DataValidationError

__all__ = ["read_peptidome", "parse_accession", "parse_peptide", "check_positions", "COLUMNS", "FORMS", "SHARED"]

COLUMNS = ["sample", "protein", "peptide", "modified", "start", "end", "area", "n_flank", "c_flank", "shared"]
FORMS = ("sum", "keep")
SHARED = ("split", "first", "drop", "group")

_UNIPROT = re.compile(r"(?:[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2})(?:-\d+)?")
_N_FLANK = re.compile(r"^([A-Z\-])\.(?=.)")
_C_FLANK = re.compile(r"(?<=.)\.([A-Z\-])$")
_TAG = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_AREA = re.compile(r"^Area(?: (.+))?$")


def parse_accession(text: str) -> str:
    """``sp|P12345|NAME_HUMAN`` / ``tr|…`` / ``P12345`` / ``P12345-2`` → the UniProt accession; else a
    :class:`DataValidationError` naming the value."""
    value = str(text).strip()
    parts = value.split("|")
    if len(parts) == 3 and parts[0] in ("sp", "tr"):
        value = parts[1]
    if not _UNIPROT.fullmatch(value):
        raise DataValidationError(f"{text!r} is not a UniProt accession (expected sp|P12345|NAME_HUMAN, tr|…|… or "
                                  "P12345); map the ids to UniProt accessions first")
    return value


def parse_peptide(text: str) -> tuple[str, str, str | None, str | None]:
    """``K.PEPT(+15.99)IDE.S`` → (``PEPTIDE``, ``PEPT(+15.99)IDE``, ``K``, ``S``).

    Flanks are None when the text has none; where only one side has a flank (``A.SLDKY``, as PEAKS writes a peptide
    at a protein terminus) the other side is ``-`` (the terminus)."""
    value = str(text).strip()
    n_flank = c_flank = None
    n_match, c_match = _N_FLANK.match(value), _C_FLANK.search(value)
    if n_match or c_match:  # PEAKS leaves out the flank at a protein terminus: 'A.SLDKY' ends the protein
        n_flank = n_match.group(1) if n_match else "-"
        c_flank = c_match.group(1) if c_match else "-"
        value = value[2 if n_match else 0:len(value) - (2 if c_match else 0)]
    plain = _TAG.sub("", value).upper()
    if not plain or not plain.isalpha() or not plain.isascii():
        raise DataValidationError(f"peptide {text!r}: {plain!r} is not an amino-acid sequence after stripping flanks "
                                  "and modification tags")
    return plain, value, n_flank, c_flank


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataValidationError(f"{path}: no such peptidome file" + (" (a directory)" if path.is_dir() else ""))
    name = path.name.lower()
    try:
        if name.endswith((".xlsx", ".xls")):
            try:
                return pd.read_excel(path)
            except ImportError as exc:
                raise DataValidationError(f"{path}: reading Excel files needs openpyxl ({exc}); pip install "
                                          "openpyxl, or export the sheet as CSV") from None
        sep = "\t" if name.removesuffix(".gz").endswith((".tsv", ".txt", ".tab")) else ","
        return pd.read_csv(path, sep=sep)
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{path}: the file is empty; expected a header line and rows") from None
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{path}: cannot be read as a table ({exc})") from None


def _column(table: pd.DataFrame, names: Sequence[str], path, what: str, required: bool = True) -> str | None:
    lower = {str(c).lower(): c for c in table.columns}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    if required:
        raise DataValidationError(f"{path}: no {what} column (looked for {list(names)}; found {list(table.columns)})")
    return None


def _peaks_frame(table: pd.DataFrame, path: Path, sample: str | None) -> pd.DataFrame:
    """One PEAKS export → rows (sample, accession text, peptide text, start, end, area, line)."""
    peptide = _column(table, ["Peptide"], path, "Peptide")
    accession = _column(table, ["Protein Accession", "Accession"], path, "accession (Protein Accession/Accession)")
    areas = [c for c in table.columns if _AREA.match(str(c))]
    if not areas:
        raise DataValidationError(f"{path}: no Area column (PEAKS writes 'Area' or 'Area <sample>'; found "
                                  f"{list(table.columns)})")
    start = _column(table, ["Start"], path, "Start", required=False)
    end = _column(table, ["End"], path, "End", required=False)
    if (start is None) != (end is None):
        raise DataValidationError(f"{path}: has {'Start' if start else 'End'} but no {'End' if start else 'Start'} "
                                  "column; positions need both")
    if sample is not None and len(areas) > 1:
        raise DataValidationError(f"{path}: {len(areas)} Area columns ({areas}) but one sample name {sample!r}; "
                                  "leave sample names out to use the column names")
    frames = []
    for col in areas:
        name = sample or _AREA.match(str(col)).group(1) or path.name.split(".")[0]
        frames.append(pd.DataFrame({
            "sample": name, "accession": table[accession].to_numpy(), "text": table[peptide].to_numpy(),
            "start": table[start].to_numpy() if start else np.nan, "end": table[end].to_numpy() if end else np.nan,
            "area": pd.to_numeric(table[col], errors="coerce").to_numpy(), "line": np.arange(2, len(table) + 2),
            "file": str(path)}))
        bad = table[col].notna() & pd.to_numeric(table[col], errors="coerce").isna()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataValidationError(f"{path}, line {i + 2}, column {col!r}: {table[col].iloc[i]!r} is not a number")
    return pd.concat(frames, ignore_index=True)


def _table_frame(table: pd.DataFrame, path: Path, samples: Sequence[str] | None) -> pd.DataFrame:
    """A wide table (protein, peptide, optional start/end, one area column per sample) → rows."""
    peptide = _column(table, ["peptide", "Peptide", "sequence"], path, "peptide")
    accession = _column(table, ["protein", "accession", "accessions", "Protein Accession"], path,
                        "protein (protein/accession/accessions)")
    start = _column(table, ["start"], path, "start", required=False)
    end = _column(table, ["end"], path, "end", required=False)
    if (start is None) != (end is None):
        raise DataValidationError(f"{path}: has a {'start' if start else 'end'} column but no "
                                  f"{'end' if start else 'start'}; positions need both")
    keys = {peptide, accession, start, end} - {None}
    if samples is None:
        samples = [c for c in table.columns if c not in keys and pd.api.types.is_numeric_dtype(table[c])]
    else:
        absent = [s for s in samples if s not in table.columns]
        if absent:
            raise DataValidationError(f"{path}: no sample column(s) {absent} (found {list(table.columns)})")
    if not samples:
        raise DataValidationError(f"{path}: no numeric sample columns besides {sorted(map(str, keys))}")
    frames = []
    for col in samples:
        values = pd.to_numeric(table[col], errors="coerce")
        bad = table[col].notna() & values.isna()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataValidationError(f"{path}, line {i + 2}, column {col!r}: {table[col].iloc[i]!r} is not a number")
        present = values.notna().to_numpy()  # an empty cell: not detected in that sample (not a row of it)
        frames.append(pd.DataFrame({
            "sample": str(col), "accession": table[accession].to_numpy()[present],
            "text": table[peptide].to_numpy()[present],
            "start": table[start].to_numpy()[present] if start else np.nan,
            "end": table[end].to_numpy()[present] if end else np.nan, "area": values.to_numpy()[present],
            "line": np.arange(2, len(table) + 2)[present], "file": str(path)}))
    return pd.concat(frames, ignore_index=True)


def _long_frame(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A long table (sample, protein, peptide, area, optional start/end) → rows."""
    cols = {w: _column(table, names, path, w) for w, names in (
        ("sample", ["sample"]), ("accession", ["protein", "accession", "accessions"]),
        ("text", ["peptide_modified", "modified", "peptide"]), ("area", ["area"]))}
    start = _column(table, ["start"], path, "start", required=False)
    end = _column(table, ["end"], path, "end", required=False)
    return pd.DataFrame({
        "sample": table[cols["sample"]].astype(str).to_numpy(), "accession": table[cols["accession"]].to_numpy(),
        "text": table[cols["text"]].to_numpy(), "start": table[start].to_numpy() if start else np.nan,
        "end": table[end].to_numpy() if end and start else np.nan,
        "area": pd.to_numeric(table[cols["area"]], errors="coerce").to_numpy(),
        "line": np.arange(2, len(table) + 2), "file": str(path)})


def _accessions(raw: pd.Series, rows: pd.DataFrame, ids: str) -> pd.Series:
    """Per row the list of accessions (empty list: none); unknown formats refused with file and line."""
    parse = parse_accession if ids == "uniprot" else str.strip
    cache: dict[str, list[str]] = {}
    out = []
    for value, file, line in zip(raw.to_numpy(), rows["file"].to_numpy(), rows["line"].to_numpy()):
        key = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
        if key.lower() in ("", "nan"):
            out.append([])
            continue
        if key not in cache:
            try:
                cache[key] = list(dict.fromkeys(parse(a) for a in re.split(r"[:;]", key) if a.strip()))
            except DataValidationError as exc:
                raise DataValidationError(f"{file}, line {line}: accession {exc} (or read with ids='any' to keep "
                                          "ids as written)") from None
        out.append(cache[key])
    return pd.Series(out, index=raw.index, dtype=object)


def check_positions(frame: pd.DataFrame, what: str = "peptidome") -> None:
    """Refuse rows whose ``end − start + 1`` differs from the peptide length, and a protein whose peptides (or
    flanks) put different residues at one position; both name the protein, the peptides and the position."""
    placed = frame.dropna(subset=["start", "end"])
    if placed.empty:
        return
    length = placed["peptide"].str.len().to_numpy()
    span = placed["end"].to_numpy(dtype=np.int64) - placed["start"].to_numpy(dtype=np.int64) + 1
    bad = np.flatnonzero(span != length)
    if len(bad):
        r = placed.iloc[bad[0]]
        where = f"{r['file']}, line {r['line']}: " if "file" in placed.columns else ""
        raise DataValidationError(
            f"{where}{what}: {len(bad)} row(s) whose Start/End disagree with the peptide length, e.g. protein "
            f"{r['protein']}, peptide {r['peptide']} ({len(r['peptide'])} aa) at {int(r['start'])}–{int(r['end'])} "
            f"({int(span[bad[0]])} positions); fix the positions or the accession")
    residues = residue_table(placed)
    first = residues.drop_duplicates(["protein", "position", "residue"])
    clash = first[first.duplicated(["protein", "position"], keep=False)]
    if len(clash):
        protein, position = clash.iloc[0][["protein", "position"]]
        seen = clash[(clash["protein"] == protein) & (clash["position"] == position)]
        names = "; ".join(f"{r} from {p}" for r, p in zip(seen["residue"], seen["peptide"]))
        raise DataValidationError(
            f"{what}: protein {protein} has different residues at position {int(position)} ({names}); "
            f"{clash[['protein', 'position']].drop_duplicates().shape[0]} position(s) disagree in all. Peptides "
            "of one accession must agree where they overlap: check the accession (isoforms?) and Start/End")


def residue_table(placed: pd.DataFrame) -> pd.DataFrame:
    """Every observed residue of placed peptides (and their known flanks) as rows (protein, position, residue,
    peptide); positions are 1-based."""
    unique = placed.drop_duplicates(["protein", "peptide", "start"])
    start = unique["start"].to_numpy(dtype=np.int64)
    peptides = unique["peptide"].to_numpy(dtype=object)
    lengths = np.array([len(p) for p in peptides], dtype=np.int64)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    parts = [pd.DataFrame({"protein": np.repeat(unique["protein"].to_numpy(dtype=object), lengths),
                           "position": np.repeat(start, lengths) + offsets,
                           "residue": np.array(list("".join(peptides)), dtype=object),
                           "peptide": np.repeat(peptides, lengths)})]
    for column, shift in (("n_flank", -1), ("c_flank", 0)):
        if column not in unique.columns:
            continue
        flank = unique[column].to_numpy(dtype=object)
        ok = pd.notna(flank) & (flank != "-")
        anchor = start - 1 if shift < 0 else unique["end"].to_numpy(dtype=np.int64) + 1
        parts.append(pd.DataFrame({"protein": unique["protein"].to_numpy(dtype=object)[ok], "position": anchor[ok],
                                   "residue": flank[ok], "peptide": peptides[ok]}))
    return pd.concat(parts, ignore_index=True)


def read_peptidome(path_or_paths: str | Path | Iterable[str | Path], format: str = "peaks", *,
                   samples: str | Sequence[str] | None = None, forms: str = "sum", shared: str = "split",
                   ids: str = "uniprot", check: bool = True) -> pd.DataFrame:
    """Read peptidomes into one long table (see the module docstring for the columns and policies).

    Parameters
    ----------
    path_or_paths:
        One file or several (CSV, TSV, or Excel ``.xlsx`` with openpyxl installed); ``format="peaks"`` reads one
        PEAKS export per sample (each ``Area <name>`` column is a sample; a lone ``Area`` column takes the file
        name without extension as the sample name).
    format:
        ``"peaks"`` (PEAKS peptide or protein-peptide exports), ``"table"`` (a wide table: a protein/accession
        column, a peptide column, optional start/end columns and one area column per sample; an empty cell = not
        detected) or ``"long"`` (columns sample, protein/accession(s), peptide, area, optional start/end).
    samples:
        ``peaks``: one sample name per file (overrides the names from the files); ``table``: the sample columns
        (default every numeric column besides start and end).
    forms:
        ``"sum"`` adds up the areas of a peptide's modified forms in a sample; ``"keep"`` keeps one row per form.
    shared:
        A peptide matched to several proteins: ``"split"`` (a row per protein, each with the whole area),
        ``"first"`` (the first accession only), ``"drop"`` or ``"group"`` (one row, protein = the ``;``-joined
        accessions).
    ids:
        ``"uniprot"`` (default) parses UniProt accessions and refuses anything else; ``"any"`` keeps every
        non-empty id as written (still split at ``:`` and ``;``).
    check:
        Refuse Start/End that disagree with the peptide length, and overlapping peptides of a protein that disagree
        on a residue (:func:`check_positions`).

    Returns
    -------
    DataFrame with :data:`COLUMNS`; ``attrs["report"]`` is the :class:`~kg.report.BuildReport`.
    """
    if format not in ("peaks", "table", "long"):
        raise DataValidationError(f"format must be 'peaks', 'table' or 'long', not {format!r}")
    if forms not in FORMS:
        raise DataValidationError(f"forms must be one of {list(FORMS)}, not {forms!r}")
    if shared not in SHARED:
        raise DataValidationError(f"shared must be one of {list(SHARED)}, not {shared!r}")
    if ids not in ("uniprot", "any"):
        raise DataValidationError(f"ids must be 'uniprot' or 'any', not {ids!r}")
    paths = [Path(path_or_paths)] if isinstance(path_or_paths, (str, Path)) else [Path(p) for p in path_or_paths]
    if not paths:
        raise DataValidationError("no peptidome files given")
    names = [samples] if isinstance(samples, str) else (list(samples) if samples is not None else None)
    if format == "peaks" and names is not None and len(names) != len(paths):
        raise DataValidationError(f"{len(paths)} files but {len(names)} sample names; give one name per file")
    report = BuildReport()
    frames = []
    for i, path in enumerate(paths):
        table = _read(path)
        if table.empty:
            raise DataValidationError(f"{path}: a header but no rows (a sample with no detected peptide)")
        if format == "peaks":
            rows = _peaks_frame(table, path, names[i] if names else None)
        elif format == "table":
            rows = _table_frame(table, path, names)
        else:
            rows = _long_frame(table, path)
        report.add("peptidome", "read", "rows", len(rows), path=str(path))
        frames.append(rows)
    rows = pd.concat(frames, ignore_index=True)
    rows = _parse(rows, report)
    rows = _assign_proteins(rows, shared, report, ids)
    if check:
        check_positions(rows)
    rows = _collapse_forms(rows, forms, report)
    _check_samples(rows, frames, report)
    out = rows[COLUMNS].reset_index(drop=True)
    report.add("peptidome", "kept", "rows", len(out), reason=f"{out['sample'].nunique()} samples, "
               f"{out['protein'].nunique()} proteins, {out['peptide'].nunique()} distinct peptides")
    out.attrs["report"] = report
    return out


def _parse(rows: pd.DataFrame, report: BuildReport) -> pd.DataFrame:
    no_area = rows["area"].isna().to_numpy()
    report.add("peptidome", "dropped", "rows without an area (empty cell)", int(no_area.sum()),
               examples=(rows.loc[no_area, "file"] + ":" + rows.loc[no_area, "line"].astype(str)).head())
    rows = rows[~no_area].reset_index(drop=True)
    if (rows["area"] < 0).any() or np.isinf(rows["area"]).any():
        r = rows[(rows["area"] < 0) | np.isinf(rows["area"])].iloc[0]
        raise DataValidationError(f"{r['file']}, line {r['line']}: area {r['area']} (areas are linear and ≥ 0)")
    report.add("peptidome", "note", "rows with area 0 (identified, not quantified)", int((rows["area"] == 0).sum()))
    cache: dict[str, tuple] = {}
    parsed = []
    for text, file, line in zip(rows["text"].to_numpy(), rows["file"].to_numpy(), rows["line"].to_numpy()):
        key = str(text)
        if key not in cache:
            try:
                cache[key] = parse_peptide(key)
            except DataValidationError as exc:
                raise DataValidationError(f"{file}, line {line}: {exc}") from None
        parsed.append(cache[key])
    plain, modified, n_flank, c_flank = (list(x) for x in zip(*parsed)) if parsed else ([], [], [], [])
    rows = rows.assign(peptide=plain, modified=modified, n_flank=n_flank, c_flank=c_flank)
    flanked = rows["n_flank"].notna() | rows["c_flank"].notna()
    report.add("peptidome", "note", "peptides with flanking residues stripped (K.PEPTIDE.S)", int(flanked.sum()))
    tagged = rows["peptide"] != rows["modified"].str.upper()
    report.add("peptidome", "note", "modified forms (tags stripped; the form is kept in 'modified')",
               int(tagged.sum()), examples=rows.loc[tagged, "modified"].drop_duplicates().head())
    for col in ("start", "end"):
        values = pd.to_numeric(rows[col], errors="coerce")
        bad = rows[col].notna() & values.isna()
        if bad.any():
            r = rows[bad].iloc[0]
            raise DataValidationError(f"{r['file']}, line {r['line']}: {col} {r[col]!r} is not a position")
        rows[col] = values.astype("Int64")
    return rows


def _assign_proteins(rows: pd.DataFrame, shared: str, report: BuildReport, ids: str) -> pd.DataFrame:
    lists = _accessions(rows["accession"], rows, ids)
    n = lists.map(len).to_numpy()
    report.add("peptidome", "dropped", "rows without an accession (cannot be placed on a protein)", int((n == 0).sum()),
               examples=rows.loc[n == 0, "modified"].head())
    rows, lists, n = rows[n > 0].reset_index(drop=True), lists[n > 0].reset_index(drop=True), n[n > 0]
    rows["shared"] = n > 1
    many = int((n > 1).sum())
    if shared == "drop":
        report.add("peptidome", "dropped", "rows of shared peptides (shared='drop')", many)
        rows, lists = rows[n == 1].reset_index(drop=True), lists[n == 1].reset_index(drop=True)
        rows["protein"] = lists.str[0].to_numpy()
    elif shared == "first":
        report.add("peptidome", "altered", "shared peptides assigned to their first accession", many)
        rows["protein"] = lists.str[0].to_numpy()
    elif shared == "group":
        report.add("peptidome", "note", "shared peptides kept under their ';'-joined protein group", many)
        rows["protein"] = lists.map(";".join).to_numpy()
    else:
        report.add("peptidome", "note", "shared peptides split into one row per protein (each with the whole area)",
                   many, reason=f"{int(n[n > 1].sum()) - many} rows added")
        rows = rows.assign(protein=lists.to_numpy()).explode("protein", ignore_index=True)
    if rows["start"].notna().any():  # a position belongs to one protein: a split row keeps it only for that one
        group = rows["shared"] & (shared == "group")
        rows.loc[group, ["start", "end"]] = pd.NA
    return rows


def _collapse_forms(rows: pd.DataFrame, forms: str, report: BuildReport) -> pd.DataFrame:
    keys = ["sample", "protein", "peptide"]
    duplicated = rows.duplicated(keys, keep=False)
    if forms == "keep":
        report.add("peptidome", "note", "rows that are one of several forms of a peptide in a sample (kept apart)",
                   int(duplicated.sum()))
        return rows
    if not duplicated.any():
        report.add("peptidome", "collapsed", "rows of modified forms summed into their peptide", 0)
        return rows
    single, multi = rows[~duplicated], rows[duplicated]
    first = multi.groupby(keys, sort=False).agg(
        modified=("modified", lambda s: ";".join(dict.fromkeys(s))), start=("start", "first"), end=("end", "first"),
        area=("area", "sum"), n_flank=("n_flank", "first"), c_flank=("c_flank", "first"), shared=("shared", "any"),
        file=("file", "first"), line=("line", "first")).reset_index()
    report.add("peptidome", "collapsed", "rows of modified forms summed into their peptide", len(multi) - len(first),
               reason=f"{len(multi)} rows → {len(first)}")
    return pd.concat([single, first], ignore_index=True).sort_values(["file", "line"], kind="stable")


def _check_samples(rows: pd.DataFrame, frames: list[pd.DataFrame], report: BuildReport) -> None:
    read = list(dict.fromkeys(s for f in frames for s in f["sample"].unique()))
    kept = set(rows["sample"].unique())
    empty = [s for s in read if s not in kept]
    if empty:
        raise DataValidationError(f"sample(s) {empty} have no detected peptide with an area and an accession; "
                                  "remove them or check the export (see attrs['report'] of a partial read)")
    counts = rows.groupby("sample", sort=False).size()
    report.add("peptidome", "note", "samples", len(counts),
               examples=[f"{s}: {n} rows" for s, n in counts.items()])
