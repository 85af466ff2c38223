"""GMT gene-set files (MSigDB, Reactome GMT, WikiPathways GMT).

Each line is ``set name<TAB>description<TAB>member<TAB>member...``
(https://software.broadinstitute.org/cancer/software/gsea/wiki/index.php/Data_formats).
The pathway id is chosen per line:

* Reactome GMT: the description column holds the stable id (``R-HSA-…``) → id,
  and the first column is the name;
* WikiPathways GMT: the name is ``Title%WikiPathways_<date>%WP<n>%<species>``
  → id ``WP<n>``, name ``Title``, species;
* otherwise (MSigDB): the first column is the id and the second the description.

Members become ``(<entity_type>, member_of, pathway)`` edges.
"""

from __future__ import annotations

import re
from os import PathLike

from ..errors import DelimiterError, DuplicateIdError, EmptyFileError
from ..graph import KnowledgeGraph
from ..readers import iter_lines, read_text

__all__ = ["load"]

_REACTOME_ID = re.compile(r"^R-[A-Z]{3,4}-\d+$")


def _parse_name(name: str, description: str) -> tuple[str, dict]:
    if _REACTOME_ID.match(description):
        return description, {"name": name, "database": "reactome"}
    parts = name.split("%")
    if len(parts) == 4 and parts[2].startswith("WP"):
        return parts[2], {"name": parts[0], "species": parts[3], "database": "wikipathways",
                          "version": parts[1].removeprefix("WikiPathways_")}
    return name, {"description": description}


def load(
    path: str | PathLike,
    *,
    entity_type: str = "gene",
    database: str | None = None,
    version: str | None = None,
) -> KnowledgeGraph:
    """Load a GMT file.

    Parameters
    ----------
    path:
        Plain or gzipped GMT file.
    entity_type:
        Node type of the members (default ``gene``, for symbols or Entrez ids).
    database:
        Provenance label; default ``gmt`` (or ``reactome``/``wikipathways``
        when the file's format says so).
    version:
        Release label stored in ``version``.
    """
    text = read_text(path)
    ids, rows, members, targets = [], [], [], []
    line_of: dict[str, int] = {}
    n_duplicate_members = 0
    empty_sets = []
    for number, line in iter_lines(text, comment="#"):
        fields = line.rstrip("\r").split("\t")
        if len(fields) < 2:
            raise DelimiterError(
                "expected tab-separated fields 'name, description, members...', found 1 field; GMT is tab-separated",
                path=path, line=number)
        set_id, attrs = _parse_name(fields[0].strip(), fields[1].strip())
        if not set_id:
            raise DelimiterError("empty gene-set name in the first field; name the set or delete the line", path=path,
                                 line=number)
        if set_id in line_of:
            raise DuplicateIdError(f"gene set {set_id!r} already defined on line {line_of[set_id]}; rename or merge "
                                   "the two sets",
                                   path=path, line=number)
        line_of[set_id] = number
        unique = list(dict.fromkeys(m.strip() for m in fields[2:] if m.strip()))
        n_duplicate_members += len([m for m in fields[2:] if m.strip()]) - len(unique)
        if not unique:
            empty_sets.append(set_id)
        ids.append(set_id)
        rows.append(attrs)
        members.extend(unique)
        targets.extend([set_id] * len(unique))
    if not ids:
        raise EmptyFileError("empty GMT file: no gene sets", path=path)
    g = KnowledgeGraph()
    provenance = database or "gmt"
    keys = list(dict.fromkeys(k for r in rows for k in r))
    columns = {k: [r.get(k) for r in rows] for k in keys}
    if database is not None or "database" not in columns:
        columns["database"] = [provenance] * len(ids)
    else:
        columns["database"] = [d or provenance for d in columns["database"]]
    if version is not None:
        columns["version"] = [version] * len(ids)
    g.add_nodes("pathway", ids, **columns)
    g.add_nodes(entity_type, list(dict.fromkeys(members)), database=provenance)
    g.add_edges((entity_type, "member_of", "pathway"), members, targets, database=provenance)
    g.report.add(provenance, "read", "gene sets", len(ids), path=path)
    g.report.add(provenance, "read", "memberships", len(members), path=path)
    g.report.add(provenance, "collapsed", "duplicate members within a set", n_duplicate_members, path=path)
    g.report.add(provenance, "kept", "gene sets with no members", len(empty_sets), path=path, examples=empty_sets)
    return g
