"""Compile a :class:`kg.KnowledgeGraph` into an :class:`Architecture`: levels, node ids and edge indices.

An Architecture is plain data (numpy arrays and DataFrames, no torch module).
Nodes are numbered globally, inputs first, then level by level; the last level
holds the single ``output`` root node. Each edge goes from a node at any lower
level to a node of a given level, so level-skipping edges need nothing special.

Modes
-----
``mode="dag"`` (default)
    True message passing in topological order. Starting from the input
    features, every node reachable upward along the chosen relations
    (``member_of``, ``part_of``, ``affects``, ``encodes`` ...) that leads to a
    pathway is kept. A node's level is the length of the longest path from the
    inputs to it, so it is computed after all its children. Inputs annotated to
    internal pathways are kept, and edges that skip levels are kept.
    ``reverse=`` names relations followed against their stored direction (an edge
    ``u -rel-> v`` is compiled ``v → u``, relation ``"rel^-1"``): e.g. ``cleaved_to``
    (protein → peptide → shorter peptide) compiled from a peptide up to its
    parent and on to its protein.

``mode="layered", n_levels=k``
    Strict layering as in P-NET and binn 0.1.1 (Elmarakeby et al. 2021; Hartman
    et al. 2023), reproducing binn's layer sizes and connection counts exactly:

    1. keep the mapping rows of the inputs, and the hierarchy edges whose child
       is reachable upward from a mapped pathway;
    2. add a root above every pathway without a parent;
    3. a pathway sits at its shortest distance from the root; the graph is cut
       ``k`` hops below the root;
    4. every leaf shallower than ``k`` gets a chain of copy nodes down to level ``k``
       (copies are ordinary trainable nodes, with their own ids ``<id>_copy<j>``);
    5. inputs connect only to the deepest level: to a pathway that is their
       mapped pathway or an ancestor of it. Inputs annotated only to pathways with
       deeper children are dropped, and so are edges between non-adjacent levels
       (both counted in the report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

from kg import KnowledgeGraph, algorithms
from kg.report import BuildReport

from .errors import FeatureMismatchError, GraphCycleError, GraphStructureError

__all__ = ["Architecture", "OUTPUT_ID", "OUTPUT_TYPE"]

OUTPUT_ID = "output_node"
OUTPUT_TYPE = "output"
_DEFAULT_RELATIONS = ("member_of", "part_of", "affects", "encodes", "catalyzes", "participates_in")


@dataclass
class Architecture:
    """Nodes and per-level edges of a BINN.

    Attributes
    ----------
    nodes:
        DataFrame, one row per node in global order: ``node_id``, ``node_type``,
        ``level`` (0 = inputs, last = output root), ``copy_of`` (original id of a
        copy node, else missing).
    edges:
        DataFrame ``source``, ``target`` (global node positions), ``level``
        (the target's level) and ``relation``.
    mode, n_levels:
        How it was compiled.
    report:
        Everything dropped and why.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    mode: str
    n_levels: int | None = None
    report: BuildReport = field(default_factory=BuildReport)

    # ------------------------------------------------------------------ derived views
    @property
    def num_levels(self) -> int:
        """Number of levels including the input level and the output root level."""
        return int(self.nodes["level"].max()) + 1

    @property
    def level_bounds(self) -> list[tuple[int, int]]:
        """``(start, stop)`` global positions of each level's nodes."""
        counts = np.bincount(self.nodes["level"].to_numpy(), minlength=self.num_levels)
        stops = np.cumsum(counts)
        return [(int(a), int(b)) for a, b in zip(stops - counts, stops)]

    @property
    def input_ids(self) -> list[str]:
        """Input feature ids in model column order."""
        return self.nodes["node_id"][self.nodes["level"] == 0].tolist()

    @property
    def layer_sizes(self) -> list[int]:
        """Number of nodes per level, inputs first, without the output root (binn's convention)."""
        return [b - a for a, b in self.level_bounds[:-1]]

    @property
    def connection_counts(self) -> list[int]:
        """Number of edges into each level 1..L, the last being the connections to the output root."""
        counts = np.bincount(self.edges["level"].to_numpy(), minlength=self.num_levels)
        return [int(c) for c in counts[1:]]

    def level_nodes(self, level: int) -> pd.DataFrame:
        """The node table's rows of one level."""
        a, b = self.level_bounds[level]
        return self.nodes.iloc[a:b]

    def edge_index(self, level: int):
        """``LongTensor [2, E]``: row 0 global source positions, row 1 target positions local to ``level``."""
        import torch

        part = self.edges[self.edges["level"] == level]
        start = self.level_bounds[level][0]
        return torch.as_tensor(np.vstack([part["source"].to_numpy(), part["target"].to_numpy() - start]),
                               dtype=torch.long)

    def input_edge_types(self) -> list[tuple[str, str, str]]:
        """The graph's edge types ``(input type, relation, target type)`` that carry the inputs into the network
        (copies count as their original's type; the residual branch, which is not a graph relation, is left out)."""
        nodes, edges = self.nodes, self.edges
        src = edges["source"].to_numpy()
        from_inputs = (nodes["level"].to_numpy()[src] == 0) & (edges["relation"].to_numpy() != "residual")
        part = edges[from_inputs]
        types = nodes["node_type"].to_numpy()
        triples = zip(types[part["source"].to_numpy()], part["relation"].to_numpy(), types[part["target"].to_numpy()])
        return sorted(set(triples))

    def named_edges(self) -> pd.DataFrame:
        """Edges with node ids instead of positions."""
        ids = self.nodes["node_id"].to_numpy()
        return pd.DataFrame({"source": ids[self.edges["source"]], "target": ids[self.edges["target"]],
                             "level": self.edges["level"].to_numpy(), "relation": self.edges["relation"].to_numpy()})

    def __repr__(self) -> str:
        return (f"Architecture(mode={self.mode!r}, layer_sizes={self.layer_sizes}, "
                f"connections={self.connection_counts})")

    # ------------------------------------------------------------------ (de)serialisation, no pickle
    def to_dict(self) -> dict:
        """Plain lists and dicts (JSON-ready, no pickle), for checkpoints; :meth:`from_dict` reverses it."""
        return {
            "mode": self.mode,
            "n_levels": self.n_levels,
            "nodes": {c: self.nodes[c].astype(object).where(self.nodes[c].notna(), None).tolist()
                      for c in self.nodes.columns},
            "edges": {c: self.edges[c].tolist() for c in self.edges.columns},
            "report": self.report.to_records(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Architecture":
        """Rebuild an Architecture from :meth:`to_dict` output."""
        nodes = pd.DataFrame(data["nodes"])
        nodes["level"] = nodes["level"].astype("int64")
        edges = pd.DataFrame(data["edges"])
        for c in ("source", "target", "level"):
            edges[c] = edges[c].astype("int64")
        return cls(nodes, edges, data["mode"], data.get("n_levels"), BuildReport.from_records(data["report"]))

    # ------------------------------------------------------------------ compilation
    @classmethod
    def from_graph(
        cls,
        graph: KnowledgeGraph,
        input_type: str | Sequence[str] = "protein",
        features: Iterable[str] | None = None,
        mode: str = "dag",
        n_levels: int | None = None,
        *,
        relations: Iterable[str] = _DEFAULT_RELATIONS,
        target_type: str = "pathway",
        strict: bool = False,
        residual: bool = False,
        reverse: Iterable[str] = (),
    ) -> "Architecture":
        """Compile ``graph`` for the given inputs.

        Parameters
        ----------
        graph:
            The knowledge graph.
        input_type:
            Node type(s) of the input features, e.g. ``"protein"`` or
            ``["protein", "metabolite"]``.
        features:
            Input feature ids (the data's column names), in column order. With
            several input types, ids must be unique across them. Default: every
            node of the input type(s).
        mode:
            ``"dag"`` or ``"layered"`` (see the module docstring).
        n_levels:
            Depth below the root in layered mode (required there).
        relations:
            Relations followed upward in dag mode.
        target_type:
            Node type whose top-level nodes (no ``part_of`` parent) feed the root.
        strict:
            Raise :class:`~binn_graph.errors.FeatureMismatchError` when a feature
            is not in the graph, instead of reporting it.
        residual:
            dag mode: input features that are nodes of the graph but lie outside
            every mask (no path to a pathway) feed the output directly (relation
            ``"residual"``): a linear branch beside the masked network, instead
            of being dropped.
        reverse:
            dag mode: relations followed against their stored direction (target
            → source), labelled ``"<relation>^-1"`` in ``edges``; a relation may
            not be in both ``relations`` and ``reverse``.
        """
        input_types = [input_type] if isinstance(input_type, str) else list(input_type)
        reverse = set(reverse)
        if reverse & set(relations):
            raise GraphStructureError(f"relation(s) {sorted(reverse & set(relations))} are in both relations and "
                                      "reverse; follow each relation one way")
        if reverse and mode != "dag":
            raise GraphStructureError("reverse= needs mode='dag'")
        report = BuildReport()
        feature_ids = _match_features(graph, input_types, features, strict, report)
        if mode == "dag":
            arch = _compile_dag(graph, input_types, feature_ids, set(relations), target_type, report, residual,
                                reverse)
        elif mode == "layered":
            if residual:
                raise GraphStructureError("residual=True needs mode='dag'")
            if n_levels is None or int(n_levels) < 1:
                raise GraphStructureError("mode='layered' needs n_levels >= 1 (depth below the root)")
            if len(input_types) != 1:
                raise GraphStructureError("mode='layered' (binn/P-NET compatible) takes one input type")
            arch = _compile_layered(graph, input_types[0], feature_ids, int(n_levels), target_type, report)
        else:
            raise GraphStructureError(f"unknown mode {mode!r}; use 'dag' or 'layered'")
        return arch


def _match_features(graph, input_types, features, strict, report) -> pd.DataFrame:
    """Return DataFrame (node_type, node_id) of features present in the graph, in feature order."""
    known = pd.concat([pd.DataFrame({"node_type": t, "node_id": graph.node_ids(t).astype(object)})
                       for t in input_types], ignore_index=True)
    if features is None:
        return known
    feats = pd.Series([str(f) for f in features], dtype=object)
    dup = feats[feats.duplicated()]
    if len(dup):
        raise FeatureMismatchError(f"duplicated feature names: {sorted(set(dup))[:5]}")
    clash = known["node_id"][known["node_id"].duplicated()]
    if len(clash):
        raise FeatureMismatchError(
            f"ids {sorted(set(clash))[:5]} exist in several input types {input_types}; rename them apart")
    index = known.set_index("node_id")["node_type"]
    present = feats.isin(index.index).to_numpy()
    missing = feats[~present]
    if len(missing) and strict:
        raise FeatureMismatchError(f"{len(missing)} feature(s) are not {'/'.join(input_types)} nodes of the graph "
                                   f"(e.g. {', '.join(missing[:5])}); pass strict=False to drop them with a report")
    report.add("compile", "dropped", "features not in the graph", len(missing),
               f"no {'/'.join(input_types)} node with that id", examples=missing[:5])
    kept = feats[present]
    return pd.DataFrame({"node_type": index.loc[kept].to_numpy(), "node_id": kept.to_numpy()})


def _finish(order_keys: pd.DataFrame, levels: np.ndarray, edges: pd.DataFrame, mode, n_levels, report,
            copy_of=None) -> Architecture:
    """Sort nodes by (level, given order), renumber edges, build the Architecture."""
    nodes = order_keys.assign(level=levels, copy_of=copy_of if copy_of is not None else None)
    nodes["_old"] = np.arange(len(nodes))
    nodes = nodes.sort_values(["level", "_order"], kind="stable").reset_index(drop=True)
    new_pos = np.empty(len(nodes), dtype=np.int64)
    new_pos[nodes["_old"].to_numpy()] = np.arange(len(nodes))
    src = new_pos[edges["source"].to_numpy()]
    dst = new_pos[edges["target"].to_numpy()]
    lvl = nodes["level"].to_numpy()[dst]
    edge_table = pd.DataFrame({"source": src, "target": dst, "level": lvl, "relation": edges["relation"].to_numpy()})
    edge_table = edge_table.sort_values(["level", "target", "source"], kind="stable").reset_index(drop=True)
    nodes = nodes[["node_id", "node_type", "level", "copy_of"]]
    nodes["level"] = nodes["level"].astype("int64")
    arch = Architecture(nodes, edge_table, mode, n_levels, report)
    report.add("compile", "kept", "input features", arch.layer_sizes[0])
    report.add("compile", "note", f"layer sizes {arch.layer_sizes}, connections {arch.connection_counts}", 0)
    return arch


def _compile_dag(graph, input_types, feature_ids, relations, target_type, report, residual=False,
                 reverse=frozenset()) -> Architecture:
    # global node table over every type that the allowed relations touch
    edge_types = [et for et in graph.edge_types if et[1] in relations or et[1] in reverse]
    types = list(dict.fromkeys([*input_types, *[t for et in edge_types for t in (et[0], et[2])], target_type]))
    offsets, ids = {}, []
    for t in types:
        offsets[t] = sum(len(x) for x in ids)
        ids.append(graph.node_ids(t))
    n = sum(len(x) for x in ids)
    node_type = np.concatenate([np.full(len(x), t, dtype=object) for t, x in zip(types, ids)]) if n else np.array([])
    node_id = np.concatenate([np.asarray(x, dtype=object) for x in ids]) if n else np.array([])
    is_input = np.zeros(n, dtype=bool)
    inputs = np.empty(len(feature_ids), dtype=np.int64)
    for t in input_types:  # vectorised per input type
        sel = (feature_ids["node_type"] == t).to_numpy()
        inputs[sel] = offsets[t] + graph.node_index(t).get_indexer(feature_ids["node_id"][sel])
    is_input[inputs] = True
    src_list, dst_list, rel_list = [], [], []
    for et in edge_types:
        ei = graph.edge_index(et)
        s, d = ei[0] + offsets[et[0]], ei[1] + offsets[et[2]]
        label = et[1]
        if et[1] in reverse:  # followed against the stored direction
            s, d, label = d, s, f"{et[1]}^-1"
        into_input = is_input[d]
        if into_input.any():
            report.add("compile", "dropped", f"{et} edges pointing into an input node"
                       + (" (reversed)" if et[1] in reverse else ""), int(into_input.sum()), "inputs are level 0")
        src_list.append(s[~into_input])
        dst_list.append(d[~into_input])
        rel_list.append(np.full((~into_input).sum(), label, dtype=object))
    src = np.concatenate(src_list) if src_list else np.array([], dtype=np.int64)
    dst = np.concatenate(dst_list) if dst_list else np.array([], dtype=np.int64)
    rel = np.concatenate(rel_list) if rel_list else np.array([], dtype=object)
    adj = sp.csr_matrix((np.ones(len(src), dtype=bool), (src, dst)), shape=(n, n))
    reachable = algorithms.reachable(adj, inputs)  # upward from the inputs
    _raise_on_cycle(adj, np.flatnonzero(reachable), node_id)
    # sinks: target-type nodes without a part_of parent feed the root
    is_target = node_type == target_type
    has_parent = np.zeros(n, dtype=bool)
    part = (rel == "part_of")
    has_parent[src[part]] = True
    sinks = np.flatnonzero(is_target & ~has_parent & reachable)
    if not len(sinks):
        raise GraphStructureError(
            f"no path from the {len(inputs)} input feature(s) to any {target_type!r} node; "
            f"check input_type={input_types} and that the graph has member_of edges for them")
    reaches_sink = algorithms.reachable(adj, sinks, reverse=True)
    keep = reachable & reaches_sink
    dead_inputs = inputs[~keep[inputs]]
    if residual:
        report.add("compile", "kept", "input features outside every mask, fed straight to the output (residual)",
                   len(dead_inputs), examples=node_id[dead_inputs][:5])
    else:
        report.add("compile", "dropped", "input features with no path to a pathway", len(dead_inputs),
                   "no member_of (or other upward) edge leads to the output", examples=node_id[dead_inputs][:5])
    dead_mid = np.flatnonzero(reachable & ~reaches_sink & ~is_input)
    report.add("compile", "dropped", "intermediate nodes with no path to a pathway", len(dead_mid),
               examples=node_id[dead_mid][:5])
    if not keep[inputs].any():
        raise GraphStructureError("none of the input features has a path to a pathway")
    if residual:
        keep[dead_inputs] = True
    e_keep = keep[src] & keep[dst]
    src, dst, rel = src[e_keep], dst[e_keep], rel[e_keep]
    level = algorithms.longest_path_levels(  # acyclic: checked above
        sp.csr_matrix((np.ones(len(src), dtype=bool), (src, dst)), shape=(n, n)))
    root_level = int(level[sinks].max()) + 1
    order = np.empty(n + 1, dtype=np.int64)
    input_order = np.full(n, -1)
    input_order[inputs] = np.arange(len(inputs))
    keys = pd.DataFrame({"node_id": np.append(node_id, OUTPUT_ID), "node_type": np.append(node_type, OUTPUT_TYPE)})
    lvl = np.append(level, root_level)
    # order: inputs by feature order, other nodes by (type, id)
    rank = pd.Series(keys["node_type"].astype(str) + "\x00" + keys["node_id"].astype(str)).rank(method="first")
    order[:] = rank.to_numpy().astype(np.int64) + len(inputs)
    order[:n][is_input] = input_order[is_input]
    keys["_order"] = order
    extra = dead_inputs if residual else np.array([], dtype=np.int64)
    all_src = np.concatenate([src, sinks, extra])
    all_dst = np.concatenate([dst, np.full(len(sinks) + len(extra), n)])
    all_rel = np.concatenate([rel, np.full(len(sinks), "output", dtype=object),
                              np.full(len(extra), "residual", dtype=object)])
    keep_nodes = np.append(keep, True)
    remap = np.full(n + 1, -1)
    remap[keep_nodes] = np.arange(keep_nodes.sum())
    edges = pd.DataFrame({"source": remap[all_src], "target": remap[all_dst], "relation": all_rel})
    return _finish(keys[keep_nodes].reset_index(drop=True), lvl[keep_nodes], edges, "dag", None, report)


def _raise_on_cycle(adj: sp.csr_matrix, sub: np.ndarray, node_id: np.ndarray) -> None:
    """Raise GraphCycleError if the subgraph induced by ``sub`` has a directed cycle."""
    on_cycle = algorithms.cycle_nodes(adj[sub][:, sub])
    if on_cycle.any():
        nodes = [str(n) for n in node_id[sub[on_cycle]][:10]]
        raise GraphCycleError(f"the graph has a cycle through {nodes} above the inputs; hierarchies must be "
                              "acyclic (see KnowledgeGraph.validate())", nodes=nodes)


def _compile_layered(graph, input_type, feature_ids, n_levels, target_type, report) -> Architecture:
    member_et = (input_type, "member_of", target_type)
    hier_et = (target_type, "part_of", target_type)
    if not graph.has_edge_type(member_et):
        raise GraphStructureError(f"the graph has no {member_et} edges to map inputs to pathways")
    mapping = graph.edges(member_et)[["source", "target"]].astype(object)
    mapping = mapping[mapping["source"].isin(set(feature_ids["node_id"]))]
    hier = (graph.edges(hier_et)[["source", "target"]].astype(object) if graph.has_edge_type(hier_et)
            else pd.DataFrame({"source": [], "target": []}, dtype=object))
    # 1. hierarchy edges whose child is reachable upward from a mapped pathway
    ids = pd.Index(pd.unique(pd.concat([mapping["target"], hier["source"], hier["target"]], ignore_index=True)))
    up = sp.csr_matrix((np.ones(len(hier), dtype=bool), (ids.get_indexer(hier["source"]),
                                                          ids.get_indexer(hier["target"]))), shape=(len(ids), len(ids)))
    reach = ids[algorithms.reachable(up, ids.get_indexer(mapping["target"]))]
    hier = hier[hier["source"].isin(reach)].drop_duplicates()
    in_net = pd.Index(pd.unique(pd.concat([hier["source"], hier["target"]])))
    # pathway index over the network's pathways
    pw = in_net
    n_pw = len(pw)
    cs = pw.get_indexer(hier["source"])
    ps = pw.get_indexer(hier["target"])
    parent_adj = sp.csr_matrix((np.ones(len(cs), dtype=np.int8), (ps, cs)), shape=(n_pw + 1, n_pw + 1))
    # 2. root above pathways without parents
    tops = np.setdiff1d(np.arange(n_pw), cs)
    root = n_pw
    down = parent_adj + sp.csr_matrix((np.ones(len(tops), dtype=np.int8), (np.full(len(tops), root), tops)),
                                      shape=(n_pw + 1, n_pw + 1))
    # 3. shortest distance from the root
    depth = csgraph.shortest_path(down, method="D", directed=True, unweighted=True, indices=root)
    depth = np.where(np.isinf(depth), -1, depth).astype(np.int64)[:n_pw]
    n_children = np.bincount(ps, minlength=n_pw)
    in_range = (depth >= 1) & (depth <= n_levels)
    # 4. members of each level by base name: originals at depth d, plus copies of leaves shallower than d
    leaves = in_range & (n_children == 0) & (depth < n_levels)
    level_members = {d: np.flatnonzero(depth == d) for d in range(1, n_levels + 1)}
    # a pathway at the cut depth is terminal only if none of its children lies within the cut (binn keeps the
    # induced subgraph within n_levels hops; a node with a child at depth <= n_levels is not a leaf there)
    child_depth = depth[cs]
    shallow_child = np.zeros(n_pw, dtype=bool)
    shallow_child[ps[(child_depth >= 1) & (child_depth <= n_levels)]] = True
    cut = level_members[n_levels]
    not_terminal = cut[shallow_child[cut]]
    report.add("compile", "dropped", f"pathways at depth {n_levels} with a child within the cut", len(not_terminal),
               "not terminal in binn's cut graph, so neither inputs nor parents connect to them",
               examples=pw[not_terminal][:5])
    level_members[n_levels] = cut[~shallow_child[cut]]
    copies = {d: np.flatnonzero(leaves & (depth < d)) for d in range(1, n_levels + 1)}
    # 5. inputs connect to deepest-level base names that are their mapped pathway or its ancestors
    closure = _upward_closure(pw, cs, ps, mapping)
    deepest = np.concatenate([level_members[n_levels], copies[n_levels]])
    deepest_ids = pd.Index(pw[deepest])
    conn = closure[closure["pathway"].isin(deepest_ids)].drop_duplicates()
    inputs_kept = sorted(pd.unique(conn["input"]))
    features = feature_ids["node_id"].tolist()
    kept_set = set(inputs_kept)
    dropped = [f for f in features if f not in kept_set]
    report.add("compile", "dropped", f"input features not connected at level {n_levels}", len(dropped),
               "annotated only to pathways that have deeper children, or to no pathway of the hierarchy "
               "(binn/P-NET layering)", examples=dropped[:5])
    # node table: level L (= deepest, adjacent to inputs) is architecture level 1
    rows, edges = [], []

    # architecture level for depth d: n_levels - d + 1; root at n_levels + 1
    order = 0
    pos = {}
    for f in inputs_kept:
        pos[("in", f)] = len(rows)
        rows.append((f, input_type, 0, None, order))
        order += 1
    for d in range(n_levels, 0, -1):
        lvl = n_levels - d + 1
        names = sorted([(pw[i], False) for i in level_members[d]] + [(pw[i], True) for i in copies[d]])
        for name, is_copy in names:
            node_id = f"{name}_copy{d - depth[pw.get_loc(name)]}" if is_copy else name
            pos[(d, name)] = len(rows)
            rows.append((node_id, target_type, lvl, name if is_copy else None, order))
            order += 1
    pos["root"] = len(rows)
    rows.append((OUTPUT_ID, OUTPUT_TYPE, n_levels + 1, None, order))
    # edges inputs -> deepest level
    for f, p in zip(conn["input"], conn["pathway"]):
        edges.append((pos[("in", f)], pos[(n_levels, p)], "member_of"))
    # edges between adjacent levels by base name: parent side d, child side d+1
    skipped = 0
    base_at = {d: set(pw[np.concatenate([level_members[d], copies[d]])]) for d in range(1, n_levels + 1)}
    for d in range(1, n_levels):
        for i in level_members[d]:
            succ = [pw[c] for c in down[i].indices]
            if n_children[i] == 0 and d < n_levels:
                succ.append(pw[i])  # first copy of a leaf carries its own base name
            for s in dict.fromkeys(succ):
                if s in base_at[d + 1]:
                    edges.append((pos[(d + 1, s)], pos[(d, pw[i])], "part_of"))
                else:
                    skipped += 1
        for i in copies[d]:
            edges.append((pos[(d + 1, pw[i])], pos[(d, pw[i])], "copy"))
    report.add("compile", "dropped", "hierarchy edges between non-adjacent levels", skipped,
               "binn/P-NET layering keeps only edges between adjacent levels")
    for i in level_members[1]:
        edges.append((pos[(1, pw[i])], pos["root"], "output"))
    keys = pd.DataFrame(rows, columns=["node_id", "node_type", "level", "copy_of", "_order"])
    edge_frame = pd.DataFrame(edges, columns=["source", "target", "relation"])
    copy_of = keys.pop("copy_of").to_numpy()
    levels = keys.pop("level").to_numpy()
    return _finish(keys, levels, edge_frame, "layered", n_levels, report, copy_of=copy_of)


def _upward_closure(pw: pd.Index, cs: np.ndarray, ps: np.ndarray, mapping: pd.DataFrame) -> pd.DataFrame:
    """``(input, pathway)`` pairs: each input's mapped pathways (present in the network) and all their ancestors."""
    n = len(pw)
    up = sp.csr_matrix((np.ones(len(cs), dtype=bool), (cs, ps)), shape=(n, n))
    closure = algorithms.transitive_closure(up, reflexive=True)  # self included
    m = mapping[mapping["target"].isin(pw)]
    rows = pw.get_indexer(m["target"])
    sel = closure[rows].tocoo()
    return pd.DataFrame({"input": m["source"].to_numpy()[sel.row], "pathway": pw[sel.col]})
