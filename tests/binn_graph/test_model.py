"""The BINN module equals a hand-written dense reference on a toy DAG with a level-skipping edge."""

import torch

from binn_graph import BINN, Architecture
from kg import KnowledgeGraph

PART_OF = ("pathway", "part_of", "pathway")


def skip_graph():
    # x -> L -> Q -> R ; y -> R (skips two levels); z -> S -> R
    g = KnowledgeGraph().add_nodes("pathway", ["R", "Q", "L", "S"]).add_nodes("protein", ["x", "y", "z"])
    g.add_edges(PART_OF, ["Q", "L", "S"], ["R", "Q", "R"])
    g.add_edges(("protein", "member_of", "pathway"), ["x", "y", "z"], ["L", "R", "S"])
    return g


def edge_weights_by_name(model: BINN, arch: Architecture) -> dict:
    """``{(source id, target id): weight}`` read back from the sparse layers."""
    ids = arch.nodes["node_id"].tolist()
    bounds = arch.level_bounds
    out = {}
    if model.fused_inputs:  # inputs -> every latent level, targets stacked level by level
        latent = [i for lvl in range(1, len(bounds) - 1) for i in range(*bounds[lvl])]
        ei = model.input_edges.edge_index
        for e in range(ei.shape[1]):
            out[(ids[int(ei[0, e])], ids[latent[int(ei[1, e])]])] = model.input_edges.weight[e, 0, 0]
    for level, block in enumerate(model.levels, start=1):
        for group, layer in zip(block.groups, block.edge_groups):
            stacked = [i for s in group for i in range(*bounds[s])]
            ei = layer.edge_index
            for e in range(ei.shape[1]):
                out[(ids[stacked[int(ei[0, e])]], ids[bounds[level][0] + int(ei[1, e])])] = layer.weight[e, 0, 0]
    return out


def test_forward_equals_dense_reference_with_level_skip():
    torch.manual_seed(0)
    arch = Architecture.from_graph(skip_graph(), "protein", ["x", "y", "z"])
    model = BINN(arch, n_outputs=1, norm=None).double()
    weight = edge_weights_by_name(model, arch)
    assert set(weight) == set(zip(arch.named_edges()["source"], arch.named_edges()["target"]))
    x = torch.randn(6, 3, dtype=torch.double)
    value = {"x": x[:, 0], "y": x[:, 1], "z": x[:, 2]}
    named = arch.named_edges()
    bounds = arch.level_bounds
    for level, block in enumerate(model.levels, start=1):
        targets = arch.nodes["node_id"].iloc[bounds[level][0]:bounds[level][1]].tolist()
        for local, target in enumerate(targets):
            pre = block.bias[local, 0].expand(6).clone()
            for src in named[named["target"] == target]["source"]:
                pre = pre + weight[(src, target)] * value[src]
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
    assert not model.fused_inputs  # levels of different first widths keep their own input layers
    assert gene_block.edge_groups[0].weight.shape == (5, 16, 1)  # each SNP edge feeds 16 hidden units of its gene
    assert gene_block.subnetwork[0].weight.shape == (2, 1, 16)  # each gene: 16 -> 1
    assert model(torch.randn(4, 5)).shape == (4, 2)
    assert len(model.extra_heads) == 2
