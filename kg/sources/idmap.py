"""Identifier mapping tables (UniProt ↔ symbol ↔ Ensembl ...), to join sources with different namespaces.

A mapping table is tab-separated with a header (e.g. the UniProt ID-mapping
download ``From<TAB>To``, or BioMart exports). Two uses:

* :func:`load` turns it into edges between two node types, e.g.
  ``(gene, encodes, protein)`` from a symbol → UniProt table, so sources
  that use either namespace connect through the graph;
* :func:`relabel` renames the nodes of one type in a graph into another
  namespace (one-to-many mappings duplicate the node's edges), so that a
  second source merges onto the same ids. Unmapped ids are reported.

The bundled HGNC table (:func:`kg.datasets.hgnc_file`, CC0) maps human genes between five namespaces with no
download: ``uniprot`` (UniProt accessions), ``symbol`` (HGNC symbols), ``ensembl`` (Ensembl gene ids), ``entrez``
(NCBI Gene ids) and ``hgnc`` (HGNC ids). :func:`map_ids` maps a list of ids and says what did not map and what
mapped to several ids (it never picks one); :func:`map_graph` relabels a graph's nodes through it, e.g. the gene
symbols of a GMT file onto the UniProt accessions of a protein BINN; :func:`gene_names` gives symbols and full
names for display. UniProt isoforms (``P04637-2``) map through their base accession and versioned Ensembl ids
(``ENSG00000141510.16``) through the unversioned id.

>>> m = map_ids(["P04637", "P04637-2", "Q13066", "NOT_AN_ID"], "uniprot", "symbol")
>>> m.mapping.set_index("from").loc["P04637-2", "to"]
'TP53'
>>> m.ambiguous["Q13066"]
['GAGE2B', 'GAGE2C']
>>> list(m.unmapped)
['NOT_AN_ID']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from os import PathLike

import pandas as pd

from .._columns import collapse_duplicates, concat_tables
from ..datasets import hgnc_file
from ..errors import SchemaError
from ..graph import KnowledgeGraph
from ..readers import read_table
from ..report import BuildReport

__all__ = ["read_mapping", "load", "relabel", "NAMESPACES", "hgnc_table", "guess_namespace", "strip_isoform",
           "hgnc_mapping", "IdMapping", "map_ids", "map_graph", "gene_names"]


def read_mapping(path: str | PathLike, from_col: str, to_col: str, *, sep: str = "\t") -> pd.DataFrame:
    """Read the two columns as ``from``, ``to`` (blank cells and exact duplicates removed)."""
    frame = read_table(path, header=True, sep=sep, required=[from_col, to_col], what="identifier mapping table")
    out = frame[[from_col, to_col]].rename(columns={from_col: "from", to_col: "to"})
    out = out[(out["from"] != "") & (out["to"] != "")]
    return out.drop_duplicates().reset_index(drop=True)


def load(
    path: str | PathLike,
    from_col: str,
    to_col: str,
    *,
    from_type: str = "gene",
    to_type: str = "protein",
    relation: str = "encodes",
    sep: str = "\t",
    database: str = "idmap",
) -> KnowledgeGraph:
    """Load a mapping table as ``(from_type, relation, to_type)`` edges."""
    mapping = read_mapping(path, from_col, to_col, sep=sep)
    g = KnowledgeGraph()
    g.add_nodes(from_type, pd.unique(mapping["from"]), database=database)
    g.add_nodes(to_type, pd.unique(mapping["to"]), database=database)
    g.add_edges((from_type, relation, to_type), mapping["from"], mapping["to"], database=database)
    g.report.add(database, "read", "mapping pairs", len(mapping), path=path)
    return g


def relabel(
    graph: KnowledgeGraph,
    node_type: str,
    mapping: pd.DataFrame,
    *,
    keep_unmapped: bool = False,
    new_type: str | None = None,
    source: str = "idmap",
) -> KnowledgeGraph:
    """Return a copy of ``graph`` whose ``node_type`` ids are mapped through ``mapping`` (``from``, ``to``).

    The old id is kept in the ``source_id`` attribute (``|``-joined when
    several old ids map to one new id). Unmapped nodes are dropped (or kept
    with ``keep_unmapped=True``), and every drop is counted in the report
    under ``source``. ``new_type`` optionally changes the node type (e.g.
    gene → protein).
    """
    if not {"from", "to"} <= set(mapping.columns):
        raise SchemaError(f"mapping needs columns 'from' and 'to', has {list(mapping.columns)}")
    target_type = new_type or node_type
    report = BuildReport(list(graph.report.entries))
    mapping = mapping[["from", "to"]].astype(str).drop_duplicates()
    nodes = graph.nodes(node_type)
    mapped = nodes.merge(mapping, left_on="id", right_on="from", how="left")
    unmapped = mapped["to"].isna().to_numpy()
    report.add(source, "dropped" if not keep_unmapped else "kept", f"{node_type} ids with no mapping",
               int(unmapped.sum()), examples=mapped["id"][unmapped].head())
    if keep_unmapped:
        mapped.loc[unmapped, "to"] = mapped.loc[unmapped, "id"]
    else:
        mapped = mapped[~unmapped]
    multi = _several(mapped, "id", "to")
    report.add(source, "note", f"{node_type} ids mapped to several ids (edges duplicated)", len(multi),
               examples=[f"{k}→{'/'.join(map(str, v))}" for k, v in multi.head().items()])
    translation = mapped[["id", "to"]]
    new_nodes = mapped.drop(columns=["from"]).assign(source_id=mapped["id"]).drop(columns="id")
    new_nodes = new_nodes.rename(columns={"to": "id"})
    shared = new_nodes["id"].duplicated(keep=False).to_numpy()
    if shared.any():
        joined = (new_nodes.loc[shared].drop_duplicates(["id", "source_id"])
                  .groupby("id", sort=False)["source_id"].agg("|".join))
        new_nodes.loc[shared, "source_id"] = new_nodes.loc[shared, "id"].map(joined).to_numpy()
    node_tables = {t: graph.nodes(t) for t in graph.node_types if t != node_type}
    relabelled = new_nodes[["id"] + [c for c in new_nodes.columns if c != "id"]]
    table = concat_tables([node_tables.get(target_type), relabelled])
    node_tables[target_type], _ = collapse_duplicates(table.reset_index(drop=True), ["id"])
    edge_tables: dict[tuple, pd.DataFrame] = {}
    for et in graph.edge_types:
        edges = graph.edges(et)
        new_et = list(et)
        for col, pos in (("source", 0), ("target", 2)):
            if et[pos] == node_type:
                edges = edges.merge(translation, left_on=col, right_on="id")
                edges = edges.drop(columns=[col, "id"]).rename(columns={"to": col})
                new_et[pos] = target_type
        new_et = tuple(new_et)
        edges = edges[["source", "target"] + [c for c in edges.columns if c not in ("source", "target")]]
        table = concat_tables([edge_tables.get(new_et), edges.reset_index(drop=True)])
        edge_tables[new_et], _ = collapse_duplicates(table, ["source", "target"])
        if node_type in (et[0], et[2]):
            report.add(source, "note", f"{et} edges after relabelling (was {graph.num_edges(et):,})",
                       len(edge_tables[new_et]))
    return KnowledgeGraph.from_tables(node_tables, edge_tables, report=report, validate=False)


# ---------------------------------------------------------------------------------------------------------------------
# Human gene identifiers through the bundled HGNC table

#: Namespace → column of the HGNC table.
NAMESPACES = {"hgnc": "hgnc_id", "symbol": "symbol", "uniprot": "uniprot_ids", "ensembl": "ensembl_gene_id",
              "entrez": "entrez_id"}
_HGNC_COLUMNS = ["hgnc_id", "symbol", "name", "locus_group", "uniprot_ids", "ensembl_gene_id", "entrez_id",
                 "alias_symbol", "prev_symbol"]
_UNIPROT = re.compile(r"^(?:[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2})(?:-\d+)?$")
_PATTERNS = {"uniprot": _UNIPROT, "hgnc": re.compile(r"^HGNC:\d+$"),
             "ensembl": re.compile(r"^ENSG\d{11}(?:\.\d+)?$"), "entrez": re.compile(r"^\d+$")}


@lru_cache(maxsize=4)
def _read_hgnc(path: str) -> pd.DataFrame:
    table = read_table(path, header=True, sep="\t", required=_HGNC_COLUMNS[:2], what="HGNC table")
    for column in _HGNC_COLUMNS:
        if column not in table.columns:
            table[column] = ""
    return table.fillna("")


def hgnc_table(path: str | PathLike | None = None) -> pd.DataFrame:
    """The HGNC table as strings (empty where blank): the bundled one, or HGNC's complete set at ``path``.

    Columns ``hgnc_id, symbol, name, locus_group, uniprot_ids, ensembl_gene_id, entrez_id, alias_symbol,
    prev_symbol`` (others of a complete set are kept); multi-valued cells are ``|``-joined.
    """
    return _read_hgnc(str(hgnc_file() if path is None else path)).copy()


def _table(table: pd.DataFrame | str | PathLike | None) -> pd.DataFrame:
    return table if isinstance(table, pd.DataFrame) else _read_hgnc(str(hgnc_file() if table is None else table))


def _check_namespace(namespace: str) -> str:
    if namespace not in NAMESPACES:
        raise SchemaError(f"unknown identifier namespace {namespace!r}; use one of {', '.join(NAMESPACES)}")
    return namespace


def strip_isoform(ids) -> pd.Series:
    """UniProt accessions without an isoform suffix (``P04637-2`` → ``P04637``) and Ensembl ids without a version
    (``ENSG00000141510.16`` → ``ENSG00000141510``); other ids unchanged."""
    ids = pd.Series(ids, dtype=object).astype(str)
    isoform = ids.str.fullmatch(_UNIPROT.pattern) & ids.str.contains("-", regex=False)
    versioned = ids.str.fullmatch(_PATTERNS["ensembl"].pattern) & ids.str.contains(".", regex=False)
    return ids.mask(isoform | versioned, ids.str.replace(r"[-.]\d+$", "", regex=True))


def _several(pairs: pd.DataFrame, key: str, value: str) -> pd.Series:
    """Keys with several distinct values → the sorted list of values (in order of first appearance of the key)."""
    pairs = pairs[[key, value]].drop_duplicates()
    multi = pairs[pairs[key].duplicated(keep=False)]
    if multi.empty:
        return pd.Series([], dtype=object, name=value, index=pd.Index([], name=key, dtype=object))
    return multi.groupby(key, sort=False)[value].agg(lambda s: sorted(map(str, s)))


def _namespace_of(ids: pd.Series) -> pd.Series:
    """Per id: the namespace it looks like (``symbol`` when no pattern matches)."""
    out = pd.Series("symbol", index=ids.index, dtype=object)
    for ns in ("entrez", "ensembl", "hgnc", "uniprot"):
        out[ids.str.fullmatch(_PATTERNS[ns].pattern).fillna(False).to_numpy()] = ns
    return out


def guess_namespace(ids) -> str:
    """The namespace most of ``ids`` look like: ``uniprot``, ``ensembl``, ``entrez``, ``hgnc``, else ``symbol``."""
    ids = pd.Series(ids, dtype=object).dropna().astype(str)
    if ids.empty:
        return "symbol"
    ids = ids.sample(min(len(ids), 2000), random_state=0)
    shares = {ns: ids.str.fullmatch(p.pattern).mean() for ns, p in _PATTERNS.items()}
    best = max(shares, key=shares.get)
    return best if shares[best] > 0.5 else "symbol"


def _split(owners, cells) -> tuple[list[str], list[str]]:
    """``(owner, value)`` for every ``|``-separated value of every non-empty cell."""
    out_owners, out_values = [], []
    for owner, cell in zip(owners, cells):
        if cell:
            for value in cell.split("|"):
                value = value.strip()
                if value:
                    out_owners.append(owner)
                    out_values.append(value)
    return out_owners, out_values


def _build_keys(table: pd.DataFrame, namespace: str, previous_symbols: bool, aliases: bool) -> pd.DataFrame:
    """Long table ``key, hgnc_id, via`` of one namespace (multi-valued cells split)."""
    owners = table["hgnc_id"].tolist()
    hgnc, keys = _split(owners, table[NAMESPACES[namespace]].tolist())
    via = [namespace] * len(keys)
    if namespace == "symbol":
        taken = set(keys)
        for extra, kind, wanted in (("prev_symbol", "previous symbol", previous_symbols),
                                    ("alias_symbol", "alias symbol", aliases)):
            if not wanted:
                continue
            more_hgnc, more_keys = _split(owners, table[extra].tolist())
            new = [(h, k) for h, k in zip(more_hgnc, more_keys) if k not in taken]
            taken |= {k for _, k in new}
            hgnc += [h for h, _ in new]
            keys += [k for _, k in new]
            via += [kind] * len(new)
    frame = pd.DataFrame({"key": keys, "hgnc_id": hgnc, "via": via}, dtype=object)
    return frame.drop_duplicates(["key", "hgnc_id"]).reset_index(drop=True)


@lru_cache(maxsize=32)
def _cached_keys(path: str, namespace: str, previous_symbols: bool, aliases: bool) -> pd.DataFrame:
    return _build_keys(_read_hgnc(path), namespace, previous_symbols, aliases)


def _keys(table, namespace: str, *, previous_symbols: bool = False, aliases: bool = False) -> pd.DataFrame:
    """:func:`_build_keys` of a table, cached for the bundled table and for paths (do not modify the result)."""
    if isinstance(table, pd.DataFrame):
        return _build_keys(table, namespace, previous_symbols, aliases)
    path = str(hgnc_file() if table is None else table)
    return _cached_keys(path, namespace, previous_symbols, aliases)


def hgnc_mapping(from_ns: str, to_ns: str, *, table=None, previous_symbols: bool = True,
                 aliases: bool = False) -> pd.DataFrame:
    """Every ``from``, ``to`` pair between two namespaces in the HGNC table (with ``via``: how ``from`` matched).

    Symbols match approved symbols first, then (``previous_symbols``) symbols HGNC has since replaced, then
    (``aliases``) alias symbols, each only where no earlier kind has the symbol. ``table``: the bundled table
    (None), a path to another HGNC complete set, or a table from :func:`hgnc_table`.
    """
    left = _keys(table, _check_namespace(from_ns), previous_symbols=previous_symbols, aliases=aliases)
    return _join(left, _keys(table, _check_namespace(to_ns)))


def _join(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """``from, to, via`` pairs of two key tables that share an HGNC id."""
    pairs = left.merge(right[["hgnc_id", "key"]].rename(columns={"key": "to"}), on="hgnc_id")
    pairs = pairs.rename(columns={"key": "from"})[["from", "to", "via"]]
    return pairs.drop_duplicates(["from", "to"]).reset_index(drop=True)


@dataclass
class IdMapping:
    """The result of :func:`map_ids`: the pairs found, and which ids mapped to nothing or to several ids.

    ``mapping`` has columns ``from`` (the given id), ``to`` and ``via`` (``uniprot``, ``symbol``, …, ``isoform``
    when a UniProt isoform matched through its base accession, ``previous symbol``, ``alias symbol``); it is what
    :func:`relabel` takes.
    """

    from_namespace: str
    to_namespace: str
    ids: pd.Index
    mapping: pd.DataFrame

    @property
    def mapped(self) -> pd.Index:
        """The given ids with at least one target, in the given order."""
        return self.ids[self.ids.isin(self.mapping["from"])]

    @property
    def unmapped(self) -> pd.Index:
        """The given ids with no target, in the given order."""
        return self.ids[~self.ids.isin(self.mapping["from"])]

    @property
    def ambiguous(self) -> pd.Series:
        """Ids with several targets → the sorted list of targets (reported, never reduced to one)."""
        return _several(self.mapping, "from", "to")

    @property
    def shared(self) -> pd.Series:
        """Targets that several given ids map to → the sorted list of those ids (their nodes merge)."""
        return _several(self.mapping, "to", "from")

    def add_to_report(self, report: BuildReport, what: str = "ids", source: str = "idmap", *,
                      unmapped: bool = True) -> BuildReport:
        """Append what mapped, how, what did not and what was ambiguous to a :class:`~kg.report.BuildReport`
        (``unmapped=False`` leaves out the last two, which :func:`relabel` reports itself)."""
        route = f"{self.from_namespace} → {self.to_namespace} (HGNC)"
        report.add(source, "note", f"{what} mapped {route}", len(self.mapped))
        via = self.mapping.drop_duplicates("from")["via"].value_counts()
        for kind in ("isoform", "previous symbol", "alias symbol"):
            if via.get(kind, 0):
                examples = self.mapping.loc[self.mapping["via"] == kind, "from"].drop_duplicates().head()
                report.add(source, "note", f"{what} matched through their {kind.replace('isoform', 'base accession')}",
                           int(via[kind]), examples=examples)
        if not unmapped:
            return report
        report.add(source, "dropped", f"{what} with no {self.to_namespace} in HGNC", len(self.unmapped),
                   examples=self.unmapped[:5])
        ambiguous = self.ambiguous
        report.add(source, "note", f"{what} with several {self.to_namespace} ids (all kept)", len(ambiguous),
                   examples=[f"{k}→{'/'.join(v)}" for k, v in ambiguous.head().items()])
        return report

    def __str__(self) -> str:
        text = (f"{len(self.mapped):,} of {len(self.ids):,} ids mapped {self.from_namespace} → {self.to_namespace}; "
                f"{len(self.unmapped):,} unmapped")
        if len(self.unmapped):
            text += f" (e.g. {', '.join(map(str, self.unmapped[:5]))})"
        return text + f"; {len(self.ambiguous):,} to several ids"


def map_ids(ids, from_ns: str | None = None, to_ns: str = "symbol", *, table=None, previous_symbols: bool = True,
            aliases: bool = False) -> IdMapping:
    """Map ``ids`` between namespaces through the HGNC table (``from_ns`` guessed from the ids when None).

    Every distinct id is looked up; UniProt isoforms and versioned Ensembl ids through their base id. The result
    keeps every target of an id (see :attr:`IdMapping.ambiguous`) and lists the ids that found none.
    """
    given = pd.Index(pd.Series(ids, dtype=object).dropna().astype(str).unique())
    from_ns = _check_namespace(from_ns or guess_namespace(given))
    keys = pd.DataFrame({"from": given, "key": strip_isoform(given).to_numpy()})
    left = _keys(table, from_ns, previous_symbols=previous_symbols, aliases=aliases)
    pairs = _join(left[left["key"].isin(keys["key"])], _keys(table, _check_namespace(to_ns)))
    found = keys.merge(pairs.rename(columns={"from": "key"}), on="key")
    found.loc[found["from"] != found["key"], "via"] = "isoform"
    mapping = found[["from", "to", "via"]].reset_index(drop=True)
    return IdMapping(from_ns, to_ns, given, mapping)


def map_graph(graph: KnowledgeGraph, node_type: str, to_ns: str, *, from_ns: str | None = None,
              new_type: str | None = None, keep_unmapped: bool = False, table=None, previous_symbols: bool = True,
              aliases: bool = False, source: str = "idmap") -> KnowledgeGraph:
    """Relabel the ``node_type`` nodes of ``graph`` into namespace ``to_ns`` through the HGNC table.

    E.g. ``map_graph(gmt.load(path), "gene", "uniprot", new_type="protein")`` puts the symbols of a GMT file onto
    the UniProt accessions a protein BINN uses. An id with several targets keeps its edges to all of them; ids that
    map to the same target merge (old ids in ``source_id``). The report says how many mapped, which did not (dropped
    unless ``keep_unmapped``) and which were ambiguous, under ``source``.
    """
    result = map_ids(graph.node_ids(node_type), from_ns, to_ns, table=table, previous_symbols=previous_symbols,
                     aliases=aliases)
    relabelled = relabel(graph, node_type, result.mapping, keep_unmapped=keep_unmapped, new_type=new_type,
                         source=source)
    result.add_to_report(relabelled.report, what=f"{node_type} ids", source=source, unmapped=False)
    return relabelled


def gene_names(ids, namespace: str | None = None, *, table=None) -> pd.DataFrame:
    """Symbol, full name and HGNC id of each id (index: the distinct ids; NaN where HGNC has none).

    ``namespace`` None looks at each id on its own, so UniProt, Ensembl, Entrez, HGNC ids and symbols can be mixed
    (an id that matches no pattern is taken as a symbol). An id on several genes (e.g. a UniProt accession shared
    by paralogues) shows them all: symbols joined by ``/``, names by ``"; "``.

    >>> gene_names(["P04637", "ENSG00000141510", "7157"])["symbol"].tolist()
    ['TP53', 'TP53', 'TP53']
    """
    given = pd.Index(pd.Series(ids, dtype=object).dropna().astype(str).unique())
    info = _table(table).set_index("hgnc_id")[["symbol", "name"]]
    spaces = pd.Series(namespace, index=given) if namespace else _namespace_of(pd.Series(given, index=given))
    parts = []
    for ns, part in spaces.groupby(spaces, sort=False):
        found = map_ids(part.index, ns, "hgnc", table=table)
        parts.append(found.mapping)
        if ns != "symbol" and len(found.unmapped):  # e.g. H2AC11 looks like a UniProt accession
            parts.append(map_ids(found.unmapped, "symbol", "hgnc", table=table).mapping)
    pairs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["from", "to", "via"])
    pairs = pairs.drop_duplicates(["from", "to"]).join(info, on="to").sort_values(["from", "symbol"])
    multi = pairs["from"].duplicated(keep=False).to_numpy()
    names = pairs.loc[~multi].set_index("from")[["symbol", "name", "to"]].rename(columns={"to": "hgnc_id"})
    if multi.any():
        joined = pairs.loc[multi].groupby("from", sort=False).agg(symbol=("symbol", "/".join), name=("name", "; ".join),
                                                                  hgnc_id=("to", "|".join))
        names = pd.concat([names, joined])
    return names.reindex(given).rename_axis("id")
