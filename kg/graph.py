"""KnowledgeGraph: a typed heterogeneous property graph stored column-wise.

Nodes of each type live in one DataFrame (column ``id`` plus attributes); the
row position is the node's integer index within its type. Edges of each edge
type ``(src_type, relation, dst_type)`` live in one DataFrame with columns
``source`` and ``target`` (node ids) plus attributes. networkx, PyG
``HeteroData`` and RDF are views computed from these tables.

Example
-------
>>> g = (
...     KnowledgeGraph()
...     .add_nodes("pathway", ["P1", "P2"], name=["Parent", "Child"], database="toy")
...     .add_nodes("protein", ["A"], database="toy")
...     .add_edges(("pathway", "part_of", "pathway"), ["P2"], ["P1"])
...     .add_edges(("protein", "member_of", "pathway"), ["A"], ["P2"], evidence="TAS")
... )
>>> sorted(g.ancestors("P2"))
['P1']
>>> g.num_edges(("protein", "member_of", "pathway"))
1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from typing import TYPE_CHECKING, Iterable, Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import algorithms
from ._columns import STR, coerce, collapse_duplicates, concat_tables, normalize_column
from .errors import DanglingEdgeError, HierarchyCycleError, SchemaError
from .report import BuildReport
from .schema import HIERARCHY_RELATIONS, PART_OF, EdgeType, check_edge_type, check_node_type

if TYPE_CHECKING:  # pragma: no cover
    import networkx
    import rdflib
    from torch_geometric.data import HeteroData

__all__ = ["KnowledgeGraph", "ValidationIssue", "ValidationReport"]

_NODE_KEYS = ["id"]
_EDGE_KEYS = ["source", "target"]


def _as_ids(ids: Iterable, what: str) -> pd.Series:
    if isinstance(ids, str):
        raise SchemaError(f"{what} must be a sequence of ids, got the single string {ids!r}")
    series = pd.Series(list(ids) if not isinstance(ids, (pd.Series, pd.Index, np.ndarray)) else ids)
    series = series.reset_index(drop=True)
    if series.isna().any():
        pos = int(np.flatnonzero(series.isna().to_numpy())[0])
        raise SchemaError(f"{what} contains a missing id at position {pos}")
    series = series.astype(str).astype(STR)
    if (series.str.len() == 0).any():
        pos = int(np.flatnonzero((series.str.len() == 0).to_numpy())[0])
        raise SchemaError(f"{what} contains an empty id at position {pos}")
    return series


@dataclass(frozen=True)
class ValidationIssue:
    """One problem found by :meth:`KnowledgeGraph.validate`."""

    kind: str  # "dangling_edge" | "cycle" | "duplicate_node" | "duplicate_edge" | "self_loop"
    where: str
    count: int
    examples: tuple[str, ...] = ()

    def __str__(self) -> str:
        ex = f" (e.g. {', '.join(self.examples)})" if self.examples else ""
        return f"{self.kind}: {self.count:,} in {self.where}{ex}"


@dataclass
class ValidationReport:
    """Result of :meth:`KnowledgeGraph.validate`; truthy when the graph is valid."""

    issues: list[ValidationIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when validation found no issue."""
        return not self.issues

    def __bool__(self) -> bool:
        return self.ok

    def by_kind(self, kind: str) -> list[ValidationIssue]:
        """The issues of one kind (``"cycle"``, ``"dangling_edge"``, ...)."""
        return [i for i in self.issues if i.kind == kind]

    def raise_if_invalid(self) -> None:
        """Raise the matching KGError for the first issue found."""
        if not self.issues:
            return
        first = self.issues[0]
        cls = HierarchyCycleError if first.kind == "cycle" else (
            DanglingEdgeError if first.kind == "dangling_edge" else SchemaError
        )
        message = "invalid knowledge graph: " + "; ".join(str(i) for i in self.issues)
        if cls is HierarchyCycleError:
            raise cls(message, nodes=first.examples, record=f"edge type {first.where}")
        raise cls(message)

    def __str__(self) -> str:
        return "valid" if self.ok else "\n".join(str(i) for i in self.issues)


class KnowledgeGraph:
    """A typed property graph with one node table per node type and one edge table per edge type.

    See the module docstring for an example. Node ids are strings unique within
    their type. Attributes named in :data:`kg.schema.SET_ATTRIBUTES`
    (``database``, ``version``, ``evidence``) hold ``|``-joined sets and are
    united when the same node or edge is added again; other attributes keep
    their first non-missing value.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, pd.DataFrame] = {}
        self._edges: dict[EdgeType, pd.DataFrame] = {}
        self.report = BuildReport()

    @classmethod
    def from_tables(
        cls,
        nodes: Mapping[str, pd.DataFrame],
        edges: Mapping[EdgeType, pd.DataFrame] | None = None,
        *,
        report: BuildReport | None = None,
        validate: bool = True,
    ) -> "KnowledgeGraph":
        """Build a graph from whole tables: one per node type and one per edge type.

        Tables are copied with key columns first and attributes coerced to the
        attribute dtypes; rows are taken as given, not merged (that is what
        :meth:`add_nodes` and :meth:`add_edges` do). Ids must be non-empty strings.

        Parameters
        ----------
        nodes:
            One table per node type, ``{node_type: DataFrame}``, with column ``id`` (row = the node's
            integer index within its type) and attribute columns.
        edges:
            One table per edge type, ``{(src_type, relation, dst_type): DataFrame}``, with columns
            ``source`` and ``target`` (node ids) and attribute columns.
        report:
            Build report carried over (copied); default empty.
        validate:
            Run :meth:`validate` and raise its first issue (duplicate ids or
            edges, dangling edges, hierarchy cycles) as a :class:`~kg.errors.KGError`.

        Examples
        --------
        >>> import pandas as pd
        >>> g = KnowledgeGraph.from_tables(
        ...     {"pathway": pd.DataFrame({"id": ["P1", "P2"], "name": ["Parent", "Child"]})},
        ...     {("pathway", "part_of", "pathway"): pd.DataFrame({"source": ["P2"], "target": ["P1"]})})
        >>> g
        KnowledgeGraph(nodes: pathway=2; edges: 1 in 1 types)
        """
        graph = cls()
        for node_type, table in nodes.items():
            graph._nodes[check_node_type(node_type)] = _keyed_table(table, _NODE_KEYS, f"node type {node_type!r}")
        for edge_type, table in ({} if edges is None else edges).items():
            edge_type = check_edge_type(edge_type)
            if edge_type in graph._edges:
                raise SchemaError(f"edge type {edge_type} is given twice")
            graph._edges[edge_type] = _keyed_table(table, _EDGE_KEYS, f"edge type {edge_type}")
        if report is not None:
            graph.report = BuildReport(list(report.entries))
        if validate:
            graph.validate().raise_if_invalid()
        return graph

    # ------------------------------------------------------------------ building
    def add_nodes(self, node_type: str, ids: Iterable, **attrs) -> "KnowledgeGraph":
        """Add nodes of ``node_type``; existing ids are merged, not duplicated.

        ``attrs`` are columns: a scalar (broadcast) or a sequence with one value per id.
        Returns ``self`` so calls can be chained.
        """
        check_node_type(node_type)
        id_series = _as_ids(ids, f"ids of node type {node_type!r}")
        new = pd.DataFrame({"id": id_series})
        for name, values in attrs.items():
            if name in _NODE_KEYS:
                raise SchemaError("'id' is reserved; pass ids positionally")
            check_node_type(name)  # attribute names follow the identifier rule too
            new[name] = normalize_column(values, len(new), name)
        table = concat_tables([self._nodes.get(node_type), new])
        self._nodes[node_type], _ = collapse_duplicates(table, _NODE_KEYS)
        return self

    def add_edges(
        self,
        edge_type: EdgeType,
        sources: Iterable,
        targets: Iterable,
        *,
        add_missing_nodes: bool = False,
        **attrs,
    ) -> "KnowledgeGraph":
        """Add edges of ``edge_type``; duplicate ``(source, target)`` pairs collapse into one edge.

        Endpoints must already be nodes unless ``add_missing_nodes=True``, which
        adds them with only an id. Returns ``self``.
        """
        edge_type = check_edge_type(edge_type)
        src = _as_ids(sources, f"sources of {edge_type}")
        dst = _as_ids(targets, f"targets of {edge_type}")
        if len(src) != len(dst):
            raise SchemaError(f"{edge_type}: {len(src)} sources but {len(dst)} targets")
        for node_type, ids in ((edge_type[0], src), (edge_type[2], dst)):
            missing = self._missing_ids(node_type, ids)
            if len(missing):
                if add_missing_nodes:
                    self.add_nodes(node_type, missing)
                else:
                    raise DanglingEdgeError(
                        f"{len(missing):,} endpoint id(s) of {edge_type} are not {node_type!r} nodes "
                        f"(e.g. {', '.join(missing[:5])}); add the nodes first or pass add_missing_nodes=True"
                    )
        new = pd.DataFrame({"source": src, "target": dst})
        for name, values in attrs.items():
            if name in _EDGE_KEYS:
                raise SchemaError(f"{name!r} is reserved for the edge endpoints")
            check_node_type(name)
            new[name] = normalize_column(values, len(new), name)
        table = concat_tables([self._edges.get(edge_type), new])
        self._edges[edge_type], _ = collapse_duplicates(table, _EDGE_KEYS)
        return self

    def _missing_ids(self, node_type: str, ids: pd.Series) -> list[str]:
        known = self.node_index(node_type)
        unique = pd.unique(ids)
        return [str(x) for x in unique[known.get_indexer(unique) < 0]]

    def remove_nodes(self, node_type: str, ids: Iterable, reason: str = "removed") -> "KnowledgeGraph":
        """Remove nodes and every edge touching them; the removal is recorded in :attr:`report`."""
        ids = pd.Index(_as_ids(ids, "ids to remove").unique())
        table = self._nodes.get(node_type)
        if table is None or not len(ids):
            return self
        keep = ~table["id"].isin(ids).to_numpy()
        self.report.add("graph", "dropped", f"{node_type} nodes", int((~keep).sum()), reason,
                        examples=table["id"][~keep].head(5))
        self._nodes[node_type] = table[keep].reset_index(drop=True)
        for et, edges in list(self._edges.items()):
            mask = np.zeros(len(edges), dtype=bool)
            if et[0] == node_type:
                mask |= edges["source"].isin(ids).to_numpy()
            if et[2] == node_type:
                mask |= edges["target"].isin(ids).to_numpy()
            if mask.any():
                self.report.add("graph", "dropped", f"{et} edges", int(mask.sum()),
                                f"endpoint {reason}")
                self._edges[et] = edges[~mask].reset_index(drop=True)
        return self

    def remove_edge_type(self, edge_type: EdgeType) -> "KnowledgeGraph":
        """Drop every edge of ``edge_type`` (nothing happens when there is none); returns self."""
        self._edges.pop(check_edge_type(edge_type), None)
        return self

    # ------------------------------------------------------------------ access
    @property
    def node_types(self) -> list[str]:
        """Node types in insertion order."""
        return list(self._nodes)

    @property
    def edge_types(self) -> list[EdgeType]:
        """Edge types in insertion order."""
        return list(self._edges)

    def num_nodes(self, node_type: str | None = None) -> int:
        """Number of nodes of ``node_type`` (0 if absent), or of all types."""
        if node_type is None:
            return sum(len(t) for t in self._nodes.values())
        table = self._nodes.get(node_type)
        return 0 if table is None else len(table)

    def num_edges(self, edge_type: EdgeType | None = None) -> int:
        """Number of edges of ``edge_type`` (0 if absent), or of all types."""
        if edge_type is None:
            return sum(len(t) for t in self._edges.values())
        table = self._edges.get(tuple(edge_type))
        return 0 if table is None else len(table)

    def nodes(self, node_type: str) -> pd.DataFrame:
        """A copy of the node table: column ``id`` then attributes; row = integer index."""
        if node_type not in self._nodes:
            raise SchemaError(f"no node type {node_type!r}; the graph has {self.node_types}")
        return self._nodes[node_type].copy()

    def edges(self, edge_type: EdgeType) -> pd.DataFrame:
        """A copy of the edge table: columns ``source``, ``target``, then attributes."""
        edge_type = tuple(edge_type)
        if edge_type not in self._edges:
            raise SchemaError(f"no edge type {edge_type!r}; the graph has {self.edge_types}")
        return self._edges[edge_type].copy()

    def has_edge_type(self, edge_type: EdgeType) -> bool:
        """Whether the graph holds an edge table for ``edge_type``."""
        return tuple(edge_type) in self._edges

    def node_ids(self, node_type: str) -> pd.Index:
        """Node ids of ``node_type`` in index order (empty Index if the type is absent)."""
        return self.node_index(node_type)

    def node_index(self, node_type: str) -> pd.Index:
        """``pd.Index`` of ids; ``.get_indexer(ids)`` maps ids to integer indices (-1 if absent)."""
        table = self._nodes.get(node_type)
        return pd.Index([], dtype=STR) if table is None else pd.Index(table["id"])

    def edge_index(self, edge_type: EdgeType) -> np.ndarray:
        """``(2, E)`` int64 array of source and target indices within their node types."""
        edges = self._edges[tuple(edge_type)]
        src = self.node_index(edge_type[0]).get_indexer(edges["source"])
        dst = self.node_index(edge_type[2]).get_indexer(edges["target"])
        if (src < 0).any() or (dst < 0).any():
            raise DanglingEdgeError(f"{tuple(edge_type)} has edges whose endpoints are not nodes; run validate()")
        return np.vstack([src, dst]).astype(np.int64)

    def copy(self) -> "KnowledgeGraph":
        """A deep copy of the tables and the build report."""
        out = KnowledgeGraph()
        out._nodes = {k: v.copy() for k, v in self._nodes.items()}
        out._edges = {k: v.copy() for k, v in self._edges.items()}
        out.report = BuildReport(list(self.report.entries))
        return out

    def __repr__(self) -> str:
        nodes = ", ".join(f"{t}={len(v):,}" for t, v in self._nodes.items())
        return f"KnowledgeGraph(nodes: {nodes or 'none'}; edges: {self.num_edges():,} in {len(self._edges)} types)"

    def summary(self) -> pd.DataFrame:
        """Counts per node type and edge type, with the databases that contributed them."""
        rows = []
        for t, table in self._nodes.items():
            rows.append({"kind": "node", "type": t, "count": len(table), "databases": _databases(table)})
        for et, table in self._edges.items():
            rows.append({"kind": "edge", "type": " ".join(et), "count": len(table), "databases": _databases(table)})
        return pd.DataFrame(rows, columns=["kind", "type", "count", "databases"])

    # ------------------------------------------------------------------ set operations
    def merge(self, other: "KnowledgeGraph") -> "KnowledgeGraph":
        """Return a new graph holding both; equal ids are one node and provenances are united."""
        out = self.copy()
        out.report.extend(other.report)
        before = {t: out.num_nodes(t) for t in other.node_types}
        for t, table in other._nodes.items():
            attrs = {c: table[c] for c in table.columns if c != "id"}
            out.add_nodes(t, table["id"], **attrs)
            shared = before[t] + len(table) - out.num_nodes(t)
            out.report.add("merge", "merged", f"{t} nodes present in both graphs", shared)
        for et, table in other._edges.items():
            n_before = out.num_edges(et)
            attrs = {c: table[c] for c in table.columns if c not in _EDGE_KEYS}
            out.add_edges(et, table["source"], table["target"], **attrs)
            shared = n_before + len(table) - out.num_edges(et)
            out.report.add("merge", "collapsed", f"{et} edges present in both graphs", shared)
        return out

    def subgraph(
        self,
        nodes: Mapping[str, Iterable[str]] | None = None,
        *,
        node_types: Iterable[str] | None = None,
        edge_types: Iterable[EdgeType] | None = None,
    ) -> "KnowledgeGraph":
        """Return the induced subgraph.

        Parameters
        ----------
        nodes:
            ``{node_type: ids}`` to keep; node types not named keep all their nodes.
        node_types:
            Keep only these node types (default: all).
        edge_types:
            Keep only these edge types (default: all whose endpoints survive).
        """
        keep_types = list(self._nodes) if node_types is None else [t for t in node_types if t in self._nodes]
        keep_edges = None if edge_types is None else {tuple(e) for e in edge_types}
        out = KnowledgeGraph()
        out.report = BuildReport(list(self.report.entries))
        for t in keep_types:
            table = self._nodes[t]
            if nodes is not None and t in nodes:
                table = table[table["id"].isin(pd.Index([str(i) for i in nodes[t]]))]
            out._nodes[t] = table.reset_index(drop=True)
        for et, edges in self._edges.items():
            if et[0] not in out._nodes or et[2] not in out._nodes:
                continue
            if keep_edges is not None and et not in keep_edges:
                continue
            mask = edges["source"].isin(out._nodes[et[0]]["id"]) & edges["target"].isin(out._nodes[et[2]]["id"])
            out._edges[et] = edges[mask.to_numpy()].reset_index(drop=True)
        return out

    # ------------------------------------------------------------------ hierarchy
    def adjacency(self, edge_type: EdgeType = PART_OF) -> tuple[sp.csr_matrix, pd.Index]:
        """Boolean CSR ``(n, n)`` of a same-type relation (``[i, j]`` set for the edge ``i → j``) and its node ids.

        ``n`` is the number of nodes of the relation's type; row ``i`` is the node
        ``index[i]``. This is the input of the functions of :mod:`kg.algorithms`.
        """
        edge_type = tuple(edge_type)
        if edge_type[0] != edge_type[2]:
            raise SchemaError(f"{edge_type} is not a hierarchy relation (source and target types differ)")
        index = self.node_index(edge_type[0])
        n = len(index)
        if edge_type not in self._edges:
            return sp.csr_matrix((n, n), dtype=bool), index
        ei = self.edge_index(edge_type)
        adj = sp.csr_matrix((np.ones(ei.shape[1], dtype=bool), (ei[0], ei[1])), shape=(n, n))
        return adj, index

    def _reachable(self, node_id: str, edge_type: EdgeType, upward: bool) -> set[str]:
        adj, index = self.adjacency(edge_type)
        pos = index.get_indexer([str(node_id)])[0]
        if pos < 0:
            raise SchemaError(f"{node_id!r} is not a {edge_type[0]!r} node")
        mask = algorithms.reachable(adj, [pos], reverse=not upward)
        mask[pos] = False
        return set(index[mask])

    def ancestors(self, node_id: str, edge_type: EdgeType = PART_OF) -> set[str]:
        """Ids reachable by following ``edge_type`` edges forward (child → parent)."""
        return self._reachable(node_id, edge_type, upward=True)

    def descendants(self, node_id: str, edge_type: EdgeType = PART_OF) -> set[str]:
        """Ids that reach ``node_id`` along ``edge_type`` edges."""
        return self._reachable(node_id, edge_type, upward=False)

    def roots(self, edge_type: EdgeType = PART_OF) -> pd.Index:
        """Nodes of the hierarchy's type with no outgoing ``edge_type`` edge (no parent)."""
        index = self.node_index(edge_type[0])
        if tuple(edge_type) not in self._edges:
            return index
        has_parent = index.isin(self._edges[tuple(edge_type)]["source"])
        return index[~has_parent]

    def hierarchy_closure(self, edge_type: EdgeType = PART_OF) -> pd.DataFrame:
        """All ``(descendant, ancestor, distance)`` pairs of a hierarchy, distance = shortest hop count.

        One row per pair joined by a path of one or more ``edge_type`` edges
        (child → parent), sorted by distance; :func:`kg.algorithms.transitive_closure`
        with ``distances=True``.
        """
        edges = self._edges.get(tuple(edge_type))
        cols = ["descendant", "ancestor", "distance"]
        if edges is None or not len(edges):
            return pd.DataFrame(columns=cols)
        ids = pd.Index(pd.unique(pd.concat([edges["source"], edges["target"]], ignore_index=True)))
        src, dst = ids.get_indexer(edges["source"]), ids.get_indexer(edges["target"])
        adj = sp.csr_matrix((np.ones(len(src), dtype=bool), (src, dst)), shape=(len(ids), len(ids)))
        dist = algorithms.transitive_closure(adj, distances=True).tocoo()
        order = np.lexsort((dist.col, dist.row, dist.data))
        return pd.DataFrame({"descendant": ids.take(dist.row[order]).to_numpy(),
                             "ancestor": ids.take(dist.col[order]).to_numpy(),
                             "distance": dist.data[order].astype(np.int64)}).astype(
            {"descendant": edges["source"].dtype, "ancestor": edges["target"].dtype})

    def member_closure(
        self, member_type: str, pathway_edge_type: EdgeType = PART_OF, relation: str = "member_of"
    ) -> pd.DataFrame:
        """``(member, pathway)`` pairs with each member propagated to every ancestor of its pathways.

        This is the "All_Levels" view of a lowest-level mapping.
        """
        et = (member_type, relation, pathway_edge_type[2])
        if et not in self._edges:
            return pd.DataFrame(columns=["member", "pathway"])
        direct = self._edges[et][["source", "target"]].rename(columns={"source": "member", "target": "pathway"})
        closure = self.hierarchy_closure(pathway_edge_type)
        lifted = direct.merge(closure, left_on="pathway", right_on="descendant")[["member", "ancestor"]]
        lifted = lifted.rename(columns={"ancestor": "pathway"})
        return pd.concat([direct, lifted], ignore_index=True).drop_duplicates().reset_index(drop=True)

    def pathway_sizes(self, member_types: Iterable[str] | None = None, edge_type: EdgeType = PART_OF) -> pd.Series:
        """Number of distinct members of each pathway, counting members of its descendants."""
        pathway_type = edge_type[2]
        if member_types is None:
            member_types = [et[0] for et in self._edges if et[1] == "member_of" and et[2] == pathway_type]
        counts = pd.Series(0, index=self.node_index(pathway_type), dtype="int64")
        for mt in member_types:
            pairs = self.member_closure(mt, edge_type)
            counts = counts.add(pairs.groupby("pathway").size(), fill_value=0).astype("int64")
        return counts.rename("size")

    # ------------------------------------------------------------------ restriction and pruning
    def restrict_to_features(
        self,
        features: Iterable[str],
        node_type: str = "protein",
        *,
        prune_empty: bool = True,
        edge_type: EdgeType = PART_OF,
    ) -> "KnowledgeGraph":
        """Keep only ``node_type`` nodes that are columns of a data matrix.

        Features absent from the graph and graph nodes absent from the data are
        both counted in :attr:`report`. With ``prune_empty`` (default), pathways
        whose subtree no longer contains any member are removed too.
        """
        features = pd.Index(pd.unique(pd.Series([str(f) for f in features])))
        out = self.copy()
        present = out.node_index(node_type)
        unmapped = features[~features.isin(present)]
        out.report.add("restrict", "dropped", f"features with no {node_type} node in the graph", len(unmapped),
                       "not in the graph", examples=unmapped[:5])
        absent = present[~present.isin(features)]
        out.remove_nodes(node_type, absent, reason="not a feature of the data")
        out.report.add("restrict", "kept", f"{node_type} nodes that are data features", out.num_nodes(node_type))
        if prune_empty:
            out = out.prune_pathways(min_size=1, edge_type=edge_type)
        return out

    def prune_pathways(
        self,
        min_size: int | None = None,
        max_size: int | None = None,
        *,
        member_types: Iterable[str] | None = None,
        edge_type: EdgeType = PART_OF,
    ) -> "KnowledgeGraph":
        """Remove pathways whose size (distinct members in their subtree) is outside ``[min_size, max_size]``.

        Members and child pathways of a removed pathway are re-attached to its
        nearest surviving ancestors, so no member loses its place in the
        hierarchy. Every pruned pathway and lifted edge is counted in the report.
        """
        sizes = self.pathway_sizes(member_types, edge_type)
        bad = np.zeros(len(sizes), dtype=bool)
        if min_size is not None:
            bad |= sizes.to_numpy() < min_size
        if max_size is not None:
            bad |= sizes.to_numpy() > max_size
        drop = sizes.index[bad]
        out = self.copy()
        if not len(drop):
            out.report.add("prune", "dropped", "pathways outside the size range", 0,
                           f"size range [{min_size}, {max_size}]")
            return out
        return out._contract(edge_type[2], drop, edge_type,
                             reason=f"size outside [{min_size}, {max_size}]")

    def _contract(self, pathway_type: str, drop: pd.Index, edge_type: EdgeType, reason: str) -> "KnowledgeGraph":
        """Remove pathways ``drop``, lifting edges that point at them to their parents."""
        hier = self._edges.get(tuple(edge_type))
        parents = pd.DataFrame(columns=["mid", "parent"]) if hier is None else (
            hier[["source", "target"]].rename(columns={"source": "mid", "target": "parent"})
        )
        lifted_total = 0
        for et in [e for e in self._edges if e[2] == pathway_type]:
            edges = self._edges[et]
            hit = edges["target"].isin(drop).to_numpy()
            if not hit.any():
                continue
            kept, moving = edges[~hit], edges[hit]
            resolved = []
            for _ in range(len(self._nodes.get(pathway_type, [])) + 1):
                moved = moving.merge(parents, left_on="target", right_on="mid")
                moved = moved.drop(columns=["target", "mid"]).rename(columns={"parent": "target"})
                moved = moved[list(edges.columns)]
                still = moved["target"].isin(drop).to_numpy()
                resolved.append(moved[~still])
                moving = moved[still]
                if not len(moving):
                    break
            lifted = concat_tables([kept.iloc[:0], *resolved]) if resolved else kept.iloc[:0]
            if et[0] == pathway_type:
                lifted = lifted[~lifted["source"].isin(drop).to_numpy()]
                lifted = lifted[lifted["source"] != lifted["target"]]
            lifted_total += len(lifted)
            table = concat_tables([kept, lifted])
            self._edges[et], _ = collapse_duplicates(table, _EDGE_KEYS)
        self.report.add("prune", "lifted", "edges re-attached to the nearest surviving ancestor", lifted_total, reason)
        self.remove_nodes(pathway_type, drop, reason=reason)
        return self

    # ------------------------------------------------------------------ attributes by id
    def set_node_attribute(
        self, node_type: str, name: str, values: Mapping[str, object] | pd.Series
    ) -> "KnowledgeGraph":
        """Set (or replace) attribute ``name`` of ``node_type`` nodes from values keyed by node id; others get NaN."""
        check_node_type(name)
        if name == "id":
            raise SchemaError("'id' cannot be set as an attribute")
        table = self._nodes.get(node_type)
        if table is None:
            raise SchemaError(f"no node type {node_type!r}; the graph has {self.node_types}")
        series = values if isinstance(values, pd.Series) else pd.Series(dict(values), dtype=object)
        mapped = series.reindex(pd.Index(table["id"].astype(object))).reset_index(drop=True)
        table = table.copy()
        table[name] = coerce(mapped, name)
        self._nodes[node_type] = table
        return self

    def set_edge_attribute(self, edge_type: EdgeType, name: str, values: pd.Series) -> "KnowledgeGraph":
        """Set attribute ``name`` of ``edge_type`` edges from a Series indexed by ``(source, target)``."""
        check_node_type(name)
        if name in _EDGE_KEYS:
            raise SchemaError(f"{name!r} is reserved for the edge endpoints")
        edge_type = tuple(edge_type)
        table = self._edges.get(edge_type)
        if table is None:
            raise SchemaError(f"no edge type {edge_type!r}; the graph has {self.edge_types}")
        key = pd.MultiIndex.from_arrays([table["source"].astype(object), table["target"].astype(object)])
        mapped = values.reindex(key).reset_index(drop=True)
        table = table.copy()
        table[name] = coerce(mapped, name)
        self._edges[edge_type] = table
        return self

    # ------------------------------------------------------------------ randomised controls
    def rewire(self, edge_type: EdgeType, seed: int | None = None, *, n_swaps: int | None = None,
               max_rounds: int = 200) -> "KnowledgeGraph":
        """Return a copy with ``edge_type`` randomly rewired, keeping every node's in- and out-degree.

        Degree-preserving double-edge swaps (Maslov & Sneppen, Science 2002): two
        edges ``a→x`` and ``b→y`` become ``a→y`` and ``b→x`` when neither new edge
        exists and, for same-type relations, no self-loop appears. Swaps are
        proposed in vectorised rounds of disjoint edge pairs until ``n_swaps``
        (default: 10 × the number of edges) were accepted. Edge attributes stay
        with the edge row. For a hierarchy relation the result may contain cycles;
        check ``validate()``.
        """
        edge_type = tuple(edge_type)
        if edge_type not in self._edges:
            raise SchemaError(f"no edge type {edge_type!r} to rewire; the graph has {self.edge_types}")
        out = self.copy()
        table = out._edges[edge_type]
        ei = out.edge_index(edge_type)
        src, dst = ei[0].copy(), ei[1].copy()
        n_edges = len(src)
        n_dst = max(out.num_nodes(edge_type[2]), 1)
        target = 10 * n_edges if n_swaps is None else int(n_swaps)
        rng = np.random.default_rng(seed)
        same_type = edge_type[0] == edge_type[2]
        accepted = 0
        for _ in range(max_rounds):
            if accepted >= target or n_edges < 2:
                break
            perm = rng.permutation(n_edges)
            half = n_edges // 2
            i, j = perm[:half], perm[half:2 * half]
            new_i, new_j = src[i] * n_dst + dst[j], src[j] * n_dst + dst[i]
            keys = src * n_dst + dst
            ok = (dst[i] != dst[j]) & (src[i] != src[j])
            ok &= ~np.isin(new_i, keys) & ~np.isin(new_j, keys)
            if same_type:
                ok &= (src[i] != dst[j]) & (src[j] != dst[i])
            proposed = np.concatenate([new_i[ok], new_j[ok]])
            uniq, counts = np.unique(proposed, return_counts=True)
            clash = np.isin(new_i, uniq[counts > 1]) | np.isin(new_j, uniq[counts > 1])
            ok &= ~clash
            if accepted + ok.sum() > target:  # stop exactly at the requested number of swaps
                ok[np.flatnonzero(ok)[target - accepted:]] = False
            di, dj = dst[i[ok]].copy(), dst[j[ok]].copy()
            dst[i[ok]], dst[j[ok]] = dj, di
            accepted += int(ok.sum())
        ids = out.node_index(edge_type[2])
        rewired = table.copy()
        rewired["target"] = pd.Series(np.asarray(ids)[dst], dtype=table["target"].dtype)
        out._edges[edge_type] = rewired
        out.report.add("rewire", "note", f"{edge_type} double-edge swaps (seed {seed})", accepted,
                       "degree-preserving randomisation")
        return out

    # ------------------------------------------------------------------ validation
    def validate(self) -> ValidationReport:
        """Check for dangling edges, duplicate nodes/edges and cycles in hierarchy relations."""
        issues: list[ValidationIssue] = []
        for t, table in self._nodes.items():
            dup = table["id"][table["id"].duplicated()]
            if len(dup):
                issues.append(ValidationIssue("duplicate_node", t, len(dup), tuple(dup.head(5))))
        for et, edges in self._edges.items():
            for col, nt in (("source", et[0]), ("target", et[2])):
                miss = edges[col][~edges[col].isin(self.node_index(nt))]
                if len(miss):
                    issues.append(ValidationIssue("dangling_edge", f"{et} {col}", len(miss),
                                                  tuple(pd.unique(miss)[:5])))
            dup = edges.duplicated(_EDGE_KEYS)
            if dup.any():
                ex = edges[dup].head(5)
                issues.append(ValidationIssue("duplicate_edge", str(et), int(dup.sum()),
                                              tuple(f"{s}->{d}" for s, d in zip(ex["source"], ex["target"]))))
            if et[0] == et[2] and et[1] in HIERARCHY_RELATIONS and not any(
                i.kind == "dangling_edge" and i.where.startswith(str(et)) for i in issues
            ):
                cyc = self.cycle_nodes(et)
                if len(cyc):
                    issues.append(ValidationIssue("cycle", str(et), len(cyc), tuple(cyc[:5])))
        return ValidationReport(issues)

    def cycle_nodes(self, edge_type: EdgeType = PART_OF) -> list[str]:
        """Ids of nodes lying on a cycle of ``edge_type`` (see :func:`kg.algorithms.cycle_nodes`)."""
        adj, index = self.adjacency(edge_type)
        return [str(x) for x in index[algorithms.cycle_nodes(adj)]]

    # ------------------------------------------------------------------ conversions (thin wrappers)
    def to_networkx(self) -> "networkx.MultiDiGraph":
        """See :func:`kg.convert.networkx.to_networkx`."""
        from .convert.networkx import to_networkx

        return to_networkx(self)

    @classmethod
    def from_networkx(cls, graph: "networkx.Graph") -> "KnowledgeGraph":
        """See :func:`kg.convert.networkx.from_networkx`."""
        from .convert.networkx import from_networkx

        return from_networkx(graph)

    def to_heterodata(self) -> "HeteroData":
        """See :func:`kg.convert.heterodata.to_heterodata`."""
        from .convert.heterodata import to_heterodata

        return to_heterodata(self)

    def to_rdf(self) -> "rdflib.Graph":
        """See :func:`kg.convert.rdf.to_rdf`."""
        from .convert.rdf import to_rdf

        return to_rdf(self)

    @classmethod
    def from_rdf(cls, graph_or_path: "rdflib.Graph | str | PathLike", format: str | None = None) -> "KnowledgeGraph":
        """See :func:`kg.convert.rdf.from_rdf`."""
        from .convert.rdf import from_rdf

        return from_rdf(graph_or_path, format=format)

    def save(self, path: str | PathLike) -> None:
        """See :func:`kg.convert.store.save`."""
        from .convert.store import save

        save(self, path)

    @classmethod
    def load(cls, path: str | PathLike) -> "KnowledgeGraph":
        """See :func:`kg.convert.store.load`."""
        from .convert.store import load

        return load(path)

    def to_graphml(self, path: str | PathLike) -> None:
        """See :func:`kg.convert.graphml.write_graphml`."""
        from .convert.graphml import write_graphml

        write_graphml(self, path)

    # ------------------------------------------------------------------ equality (for tests and round trips)
    def equals(self, other: "KnowledgeGraph") -> bool:
        """True when both graphs have the same types, ids, edges and attribute values (order-insensitive)."""
        if set(self._nodes) != set(other._nodes) or set(self._edges) != set(other._edges):
            return False
        for t in self._nodes:
            if not _same_table(self._nodes[t], other._nodes[t], _NODE_KEYS):
                return False
        for et in self._edges:
            if not _same_table(self._edges[et], other._edges[et], _EDGE_KEYS):
                return False
        return True


def _keyed_table(table: pd.DataFrame, keys: list[str], what: str) -> pd.DataFrame:
    """A copy of ``table`` for :meth:`KnowledgeGraph.from_tables`: key columns first as ids, attributes coerced."""
    if not isinstance(table, pd.DataFrame):
        raise SchemaError(f"the table of {what} must be a pandas DataFrame, got {type(table).__name__}")
    missing = [k for k in keys if k not in table.columns]
    if missing or not table.columns.is_unique:
        raise SchemaError(f"the table of {what} needs unique columns including {keys}; it has {list(table.columns)}")
    columns = {k: _as_ids(table[k], f"{k} column of {what}") for k in keys}
    for name in table.columns:
        if name not in keys:
            if not isinstance(name, str):
                raise SchemaError(f"attribute names must be strings; {what} has column {name!r}")
            columns[name] = coerce(table[name].reset_index(drop=True), name)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(table)))


def _same_table(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> bool:
    if set(a.columns) != set(b.columns) or len(a) != len(b):
        return False
    a = a.sort_values(keys).reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True)[list(a.columns)]
    try:
        pd.testing.assert_frame_equal(a, b, check_dtype=True)
    except AssertionError:
        return False
    return True


def _databases(table: pd.DataFrame) -> str:
    if "database" not in table.columns:
        return ""
    tokens = table["database"].dropna().str.split("|").explode()
    return ", ".join(f"{k} ({v:,})" for k, v in tokens.value_counts().items())
