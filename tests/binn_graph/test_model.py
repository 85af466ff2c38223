"""The BINN module equals a hand-written dense reference on a toy DAG with a level-skipping edge."""

import torch

from binn_graph import Architecture, BINN
from kg import KnowledgeGraph

PART_OF = ("pathway", "part_of", "pathway")


def skip_graph():
    # x -> L -> Q -> R ; y -> R (skips two levels); z -> S -> R
    g = KnowledgeGraph().add_nodes("pathway", ["R", "Q", "L", "S"]).add_nodes("protein", ["x", "y", "z"])
    g.add_edges(PART_OF, ["Q", "L", "S"], ["R", "Q", "R"])
    g.add_edges(("protein", "member_of", "pathway"), ["x", "y", "z"], ["L", "R", "S"])
    return g


def test_forward_equals_dense_reference_with_level_skip():
    torch.manual_seed(0)
    arch = Architecture.from_graph(skip_graph(), "protein", ["x", "y", "z"])
    model = BINN(arch, n_outputs=1, norm=None).double()
    ids = arch.nodes["node_id"].tolist()
    # the dense reference: every node = tanh(sum_w * child + bias), output = linear
    weight = {}
    for block in model.levels:
        ei = block.edges.edge_index
        for e in range(ei.shape[1]):
            weight[(int(ei[0, e]), int(ei[1, e]), id(block))] = block.edges.weight[e, 0, 0]
    named = arch.named_edges()
    x = torch.randn(6, 3, dtype=torch.double)
    value = {"x": x[:, 0], "y": x[:, 1], "z": x[:, 2]}
    bounds = arch.level_bounds
    for level, block in enumerate(model.levels, start=1):
        part = named[named["level"] == level]
        offsets, total = {}, 0
        for s_level in block.source_levels:
            offsets[s_level] = total
            total += bounds[s_level][1] - bounds[s_level][0]
        for t_local, target in enumerate(ids[bounds[level][0]:bounds[level][1]]):
            pre = block.bias[t_local, 0].expand(6).clone()
            for src in part[part["target"] == target]["source"]:
                gpos = ids.index(src)
                s_level = int(arch.nodes["level"].iloc[gpos])
                local = offsets[s_level] + gpos - bounds[s_level][0]
                pre = pre + weight[(local, t_local, id(block))] * value[src]
            value[target] = pre if level == len(model.levels) else torch.tanh(pre)
    torch.testing.assert_close(model(x)[:, 0], value["output_node"])


def test_node_hidden_and_heads():
    g = KnowledgeGraph().add_nodes("pathway", ["P"]).add_nodes("gene", ["g1", "g2"])
    g.add_nodes("snp", [f"s{i}" for i in range(5)])
    g.add_edges(("snp", "affects", "gene"), [f"s{i}" for i in range(5)], ["g1", "g1", "g2", "g2", "g2"])
    g.add_edges(("gene", "member_of", "pathway"), ["g1", "g2"], ["P", "P"])
    arch = Architecture.from_graph(g, "snp")
    model = BINN(arch, n_outputs=2, node_hidden={"gene": [16]}, heads="all_levels")
    gene_block = model.levels[0]
    assert gene_block.edges.weight.shape == (5, 16, 1)  # each SNP edge feeds 16 hidden units of its gene
    assert gene_block.subnetwork[0].weight.shape == (2, 1, 16)  # each gene: 16 -> 1
    assert model(torch.randn(4, 5)).shape == (4, 2)
    assert len(model.extra_heads) == 2
