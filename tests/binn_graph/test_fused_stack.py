"""The fused level stack computes exactly what the level-by-level modules compute: outputs, gradients of every
parameter and input, batch-norm running statistics; the batch-major input layer equals the plain one."""

import copy

import numpy as np
import pytest
import torch

from binn_graph import BINN, Architecture
from binn_graph.engine.batch_major import forward_batch_major
from binn_graph.nn import EdgeLinear
from kg import KnowledgeGraph

PART_OF = ("pathway", "part_of", "pathway")
MEMBER = ("protein", "member_of", "pathway")


def random_hierarchy(seed: int = 0, n_proteins: int = 500, sizes=(300, 40, 6)) -> KnowledgeGraph:
    """Proteins → leaf pathways → … → top pathways, plus edges that skip a level and proteins annotated to
    internal pathways; the leaf level (~290 of 300 pathways keep a protein) is large enough for the row-sum
    batch-norm kernel at batch 256."""
    rng = np.random.default_rng(seed)
    names = [[f"P{depth}_{i}" for i in range(n)] for depth, n in enumerate(sizes)]
    g = KnowledgeGraph().add_nodes("pathway", [p for level in names for p in level])
    proteins = [f"x{i}" for i in range(n_proteins)]
    g.add_nodes("protein", proteins)
    sources, targets = [], []
    for depth in range(len(sizes) - 1):
        for child in names[depth]:
            for parent in rng.choice(names[depth + 1], size=rng.integers(1, 3), replace=False):
                sources.append(child), targets.append(parent)
        if depth + 2 < len(sizes):  # a few edges skipping one level
            for child in rng.choice(names[depth], size=5, replace=False):
                sources.append(child), targets.append(str(rng.choice(names[depth + 2])))
    g.add_edges(PART_OF, sources, targets)
    members, pathways = [], []
    for protein in proteins:
        level = 0 if rng.random() < 0.9 else int(rng.integers(1, len(sizes)))
        for pathway in rng.choice(names[level], size=rng.integers(1, 4), replace=False):
            members.append(protein), pathways.append(str(pathway))
    g.add_edges(MEMBER, members, pathways)
    return g


def _pair(graph, n_outputs=3, **kwargs):
    arch = Architecture.from_graph(graph, "protein", sorted(graph.node_ids("protein")))
    torch.manual_seed(0)
    fused = BINN(arch, n_outputs=n_outputs, **kwargs).double()
    reference = copy.deepcopy(fused)
    reference.use_stack = False
    assert fused.stack is not None
    return arch, fused, reference


def _step(model, x, y):
    model.zero_grad()
    out = model(x)
    torch.nn.functional.cross_entropy(out, y).backward()
    return out.detach()


@pytest.mark.parametrize("kwargs", [
    {},
    {"activation": "relu", "norm": None},
    {"activation": "sigmoid", "node_width": 2, "heads": "all_levels"},
    {"activation": "elu", "integrator": [8]},
    {"activation": "leaky_relu"},
])
def test_fused_stack_equals_level_by_level(kwargs):
    arch, fused, reference = _pair(random_hierarchy(), **kwargs)
    assert len(arch.layer_sizes) >= 4 and arch.layer_sizes[1] * 256 >= 1 << 16  # row-sum batch-norm kernel
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(256, len(arch.input_ids), dtype=torch.double, generator=gen, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    y = torch.randint(0, 3, (256,), generator=gen)
    for _ in range(2):  # two steps: running statistics accumulate
        torch.testing.assert_close(_step(fused, x, y), _step(reference, x_ref, y))
        for (name, p), q in zip(fused.named_parameters(), reference.parameters()):
            torch.testing.assert_close(p.grad, q.grad, msg=name)
        torch.testing.assert_close(x.grad, x_ref.grad)
        x.grad = x_ref.grad = None
    for (name, a), b in zip(fused.state_dict().items(), reference.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)  # running mean/var and num_batches_tracked included
    fused.eval(), reference.eval()
    torch.testing.assert_close(fused(x), reference(x))


@pytest.mark.parametrize("kwargs", [{}, {"activation": "relu", "norm": None}])
def test_fused_engine_equals_reference_in_float32(kwargs):
    """The default dtype: the batch-major input layer (SIMD transpose where available), the row-sum batch norm and
    the sigmoid form of tanh, in training and evaluation, against the reference executor within float32 rounding."""
    arch = Architecture.from_graph(random_hierarchy(seed=3), "protein", sorted(random_hierarchy(seed=3)
                                                                              .node_ids("protein")))
    torch.manual_seed(0)
    fused = BINN(arch, n_outputs=2, **kwargs)
    reference = copy.deepcopy(fused)
    reference.use_engine = False
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(256, len(arch.input_ids), generator=gen)
    y = torch.randint(0, 2, (256,), generator=gen)
    for _ in range(2):
        torch.testing.assert_close(_step(fused, x, y), _step(reference, x, y), rtol=1e-4, atol=1e-5)
        for (name, p), q in zip(fused.named_parameters(), reference.parameters()):
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-3, atol=1e-5, msg=name)
    for (name, a), b in zip(fused.state_dict().items(), reference.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)
    fused.eval(), reference.eval()
    with torch.no_grad():
        torch.testing.assert_close(fused(x), reference(x), rtol=1e-4, atol=1e-5)


def test_bias_before_batch_norm_is_a_zero_buffer():
    """Batch norm subtracts each unit's mean over the batch, so a bias before it has an identically zero gradient:
    the levels keep it as a zero buffer (same state-dict keys), and trainable only without batch norm."""
    arch, fused, _ = _pair(random_hierarchy(seed=5))
    names = {name for name, _ in fused.named_parameters()}
    assert not any(name.endswith(".bias") and name.startswith("levels.") and "norm" not in name
                   for name in names if not name.startswith(f"levels.{len(fused.levels) - 1}."))
    assert all(f"levels.{i}.bias" in fused.state_dict() for i in range(len(fused.levels)))
    _, plain, _ = _pair(random_hierarchy(seed=5), norm=None)
    assert all(isinstance(block.bias, torch.nn.Parameter) for block in plain.levels)


def test_fused_states_carry_latent_losses():
    """A loss on latent states (the soft constraint) backpropagates through the fused stack as through the levels."""
    arch, fused, reference = _pair(random_hierarchy(seed=1))
    x = torch.randn(64, len(arch.input_ids), dtype=torch.double)
    for model, fused_states in ((fused, True), (reference, False)):
        model.zero_grad()
        states = model.level_states(x, fused=fused_states)
        (states[2].pow(2).mean() + model.readout(states).sum()).backward()
    for p, q in zip(fused.parameters(), reference.parameters()):
        torch.testing.assert_close(p.grad, q.grad)


def test_level_states_default_is_differentiable_per_level():
    arch, fused, _ = _pair(random_hierarchy(seed=2))
    x = torch.randn(16, len(arch.input_ids), dtype=torch.double)
    states = fused.level_states(x)
    grad = torch.autograd.grad(fused.readout(states).sum(), states[1])[0]
    assert grad.abs().sum() > 0  # later levels are functions of this state


def test_stack_steps_aside_for_dropout_and_batch_of_one():
    arch, fused, _ = _pair(random_hierarchy(), dropout=0.5)
    assert not fused.stack.applies(32, training=True)
    assert fused.stack.applies(32, training=False)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        fused(torch.randn(1, len(arch.input_ids), dtype=torch.double))


def test_batch_major_input_layer_equals_plain():
    torch.manual_seed(0)
    edges = torch.stack([torch.randint(0, 1000, (4000,)), torch.randint(0, 300, (4000,))])
    edges = torch.unique(edges, dim=1)
    layer = EdgeLinear(1000, 300, edges, src_width=2, dst_width=1).double()
    x = torch.randn(50, 2000, dtype=torch.double, requires_grad=True)
    out = forward_batch_major(layer, x)
    ref_x = x.detach().clone().requires_grad_(True)
    ref = layer(ref_x.t().contiguous())
    torch.testing.assert_close(out, ref)
    g = torch.randn_like(out)
    grad_w, grad_x = torch.autograd.grad(out, (layer.weight, x), g)
    ref_w, ref_gx = torch.autograd.grad(ref, (layer.weight, ref_x), g)
    torch.testing.assert_close(grad_w, ref_w)
    torch.testing.assert_close(grad_x, ref_gx)
    with pytest.raises(ValueError, match=r"\[batch, 2000\]"):
        forward_batch_major(layer, torch.randn(3, 1999, dtype=torch.double))


def test_single_chunk_float32_input_layer_equals_plain():
    """The default float32 path (transposed by FBGEMM where available) against the node-major layer."""
    torch.manual_seed(1)
    edges = torch.unique(torch.stack([torch.randint(0, 3000, (9000,)), torch.randint(0, 400, (9000,))]), dim=1)
    layer = EdgeLinear(3000, 400, edges)
    x = torch.randn(64, 3000)
    out = forward_batch_major(layer, x)
    ref = layer(x.t().contiguous())
    torch.testing.assert_close(out, ref)
    g = torch.randn_like(out)
    torch.testing.assert_close(torch.autograd.grad(out, layer.weight, g)[0], torch.autograd.grad(ref, layer.weight, g)[0])
