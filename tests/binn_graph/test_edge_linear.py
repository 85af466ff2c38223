"""The sparse layer equals a dense masked reference, in outputs and gradients, for both kernels and any width."""

import pytest
import torch

from binn_graph.nn import EdgeLinear, LevelBlock


def random_edges(n_src, n_dst, n_edges, seed):
    g = torch.Generator().manual_seed(seed)
    pairs = torch.randperm(n_src * n_dst, generator=g)[:n_edges]
    return torch.stack([pairs % n_src, pairs // n_src])


@pytest.mark.parametrize("kernel", ["csr", "gather"])
@pytest.mark.parametrize("k_in,k_out", [(1, 1), (1, 3), (2, 1), (3, 4)])
def test_matches_dense_masked_reference(kernel, k_in, k_out):
    torch.manual_seed(0)
    n_src, n_dst, batch = 13, 7, 5
    ei = random_edges(n_src, n_dst, 30, seed=1)
    layer = EdgeLinear(n_src, n_dst, ei, src_width=k_in, dst_width=k_out, kernel=kernel).double()
    # dense reference: weight [n_dst*k_out, n_src*k_in] masked to the edges' blocks
    mask = torch.zeros(n_dst * k_out, n_src * k_in, dtype=torch.double)
    for s, d in ei.T.tolist():
        mask[d * k_out:(d + 1) * k_out, s * k_in:(s + 1) * k_in] = 1
    dense = torch.zeros_like(mask)
    for e, (s, d) in enumerate(ei.T.tolist()):
        dense[d * k_out:(d + 1) * k_out, s * k_in:(s + 1) * k_in] = layer.weight.detach()[e]
    dense.requires_grad_(True)
    assert torch.equal(layer.dense_weight().double(), dense.detach())
    x = torch.randn(n_src * k_in, batch, dtype=torch.double, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    out = layer(x)
    ref = (dense * mask) @ x_ref
    torch.testing.assert_close(out, ref)
    grad = torch.randn_like(out)
    out.backward(grad)
    ref.backward(grad)
    torch.testing.assert_close(x.grad, x_ref.grad)
    # weight gradient: the dense gradient at each edge's block
    expected = torch.stack([dense.grad[d * k_out:(d + 1) * k_out, s * k_in:(s + 1) * k_in]
                            for s, d in ei.T.tolist()])
    torch.testing.assert_close(layer.weight.grad, expected)


def test_kernels_agree_and_gradcheck():
    ei = random_edges(9, 4, 15, seed=2)
    a = EdgeLinear(9, 4, ei, 2, 2, kernel="csr").double()
    b = EdgeLinear(9, 4, ei, 2, 2, kernel="gather").double()
    b.load_state_dict(a.state_dict())
    x = torch.randn(18, 3, dtype=torch.double, requires_grad=True)
    torch.testing.assert_close(a(x), b(x))
    assert torch.autograd.gradcheck(lambda w, inp: torch.ops.aten.mul(a(inp), 1.0), (a.weight, x))


def test_holds_only_edge_weights_and_glorot_per_node():
    ei = torch.tensor([[0, 1, 2, 3], [0, 0, 0, 1]])
    layer = EdgeLinear(1000, 2, ei)
    assert layer.weight.numel() == 4  # never a dense 1000 x 2
    bound0 = (6 / (3 + 1)) ** 0.5
    assert layer.weight[:3].abs().max() <= bound0 and layer.weight[3].abs().max() <= (6 / 2) ** 0.5
    assert layer.fan_in().tolist() == [3, 1]


def test_bad_edge_index():
    with pytest.raises(ValueError, match="outside"):
        EdgeLinear(2, 2, torch.tensor([[0, 2], [0, 1]]))
    with pytest.raises(ValueError, match="shape"):
        EdgeLinear(2, 2, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="input rows"):
        EdgeLinear(2, 2, torch.tensor([[0], [1]]))(torch.zeros(3, 1))


def test_level_block_sums_sources_and_applies_bias_activation():
    torch.manual_seed(0)
    e0 = torch.tensor([[0, 1], [0, 0]])
    e1 = torch.tensor([[0], [0]])
    block = LevelBlock(1, 1, {0: (2, 1, e0), 1: (1, 1, e1)}, norm=None, activation="tanh")
    with torch.no_grad():
        block.edge_groups[0].weight.copy_(torch.tensor([[[0.5]], [[-1.0]]]))
        block.edge_groups[1].weight.copy_(torch.tensor([[[2.0]]]))
        block.bias.fill_(0.1)
    states = [torch.tensor([[1.0], [2.0]]), torch.tensor([[0.25]])]
    expected = torch.tanh(torch.tensor(0.5 * 1 - 1.0 * 2 + 2.0 * 0.25 + 0.1))
    torch.testing.assert_close(block(states), expected.view(1, 1))


def test_node_mlp_is_block_diagonal():
    from binn_graph.nn import NodeMLP

    torch.manual_seed(0)
    layer = NodeMLP(3, 4, 2).double()
    x = torch.randn(12, 5, dtype=torch.double)
    out = layer(x)
    for v in range(3):
        expected = layer.weight[v] @ x[v * 4:(v + 1) * 4] + layer.bias[v]
        torch.testing.assert_close(out[v * 2:(v + 1) * 2], expected)
    assert layer.weight.numel() == 3 * 2 * 4


def test_subnetwork_per_gene_matches_reference():
    """Each gene: its SNPs -> 3 sigmoid hidden units -> 1 latent, computed independently per gene."""
    torch.manual_seed(1)
    ei = torch.tensor([[0, 1, 2, 3, 4], [0, 0, 1, 1, 1]])  # gene 0: snps 0,1; gene 1: snps 2,3,4
    block = LevelBlock(2, 1, {0: (5, 1, ei)}, norm=None, activation="identity", subnetwork=[3]).double()
    x = torch.randn(5, 4, dtype=torch.double)
    out = block([x])
    w_in = block.edge_groups[0].weight.detach()  # [E, 3, 1]
    mlp = block.subnetwork[0]
    for gene, snp_ids in ((0, [0, 1]), (1, [2, 3, 4])):
        edges = [e for e in range(5) if ei[1, e] == gene]
        hidden = sum(w_in[e, :, 0:1] * x[ei[0, e]] for e in edges)  # [3, batch]
        latent = mlp.weight[gene] @ torch.sigmoid(hidden) + mlp.bias[gene] + block.bias[gene]
        torch.testing.assert_close(out[gene:gene + 1], latent)


@pytest.mark.parametrize("simd", [True, False])
def test_transposed_copy_equals_transpose(simd):
    """Both transpose paths (FBGEMM's through channel_shuffle, blocked copies) give exactly ``x.t().contiguous()``,
    also for slices with a storage offset, non-contiguous views, other dtypes and one-row inputs."""
    from binn_graph.engine.batch_major import simd_transpose_available, transposed_copy

    base = torch.randn(40, 3000)
    cases = [base, base[7:31], base[:, 5:2600], base.double(), (base * 10).to(torch.int8), base[:1], base[:, :1]]
    for x in cases:
        out = transposed_copy(x, simd=simd and simd_transpose_available())
        assert out.is_contiguous() and out.dtype == x.dtype
        assert torch.equal(out, x.t())
        assert out.data_ptr() != x.data_ptr()
