"""The recurrent signalling module: fixed point and implicit gradients against unrolled autograd, interventions with
known answers, the spectral radius against numpy, sign constraints and non-convergence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from binn_graph.signalling import SignalingModule, SteadyStateError, mml
from binn_graph.signalling.spectral import radius_penalty

# a small cyclic graph: 0 -> 1 -> 2 -> 0 (negative feedback), 2 -> 3, 3 -> 1 (second cycle), 4 -> 3, 1 -> 5
EDGES = [(0, 1, 1), (1, 2, 1), (2, 0, -1), (2, 3, 1), (3, 1, -1), (4, 3, 1), (1, 5, 1), (5, 5, 0)]


def _module(seed=0, **kw):
    src, dst, sign = zip(*EDGES)
    g = torch.Generator().manual_seed(seed)
    m = SignalingModule([f"n{i}" for i in range(6)], src, dst, sign, ["n0", "n4"], ["n3", "n5"], generator=g,
                        max_iter=400, tol=1e-12, **kw)
    with torch.no_grad():  # large enough weights that the states reach the saturating part of the activation
        m.weight.mul_(torch.linspace(2.0, 4.0, len(EDGES), dtype=torch.float64))
        m.bias.add_(torch.linspace(-0.2, 0.3, 6, dtype=torch.float64))
    return m


def test_mml_pieces():
    z = torch.tensor([-1.0, 0.0, 0.25, 0.5, 1.0, 5.0], dtype=torch.float64)
    assert torch.allclose(mml(z), torch.tensor([-0.01, 0.0, 0.25, 0.5, 0.75, 0.95], dtype=torch.float64))


def test_fixed_point_and_gradients_match_unrolled_autograd():
    u = torch.tensor([[0.2, 0.0], [0.9, 0.5], [0.0, 1.0]], dtype=torch.float64)
    target = torch.tensor([[0.1, 0.3], [0.5, 0.2], [0.7, 0.9]], dtype=torch.float64)
    grads = []
    for implicit in (True, False):
        m = _module()
        x = m.states(u, implicit=implicit)
        loss = ((m.readout(x) - target) ** 2).sum() + (x ** 2).sum()  # a loss on outputs and on hidden states
        loss.backward()
        grads.append((x.detach(), m.weight.grad, m.bias.grad, m.projection.grad))
    states = grads[0][0]
    assert (states > 0.5).any() and (states < 0).any()  # both bends of the activation are exercised
    # it is a fixed point
    m = _module()
    z = torch.sparse.mm(m.structure.matrix(m.weight.detach()), states.T) + m.drive(u).detach()
    assert torch.allclose(mml(z).T, states, atol=1e-12)
    for a, b in zip(grads[0], grads[1]):
        assert torch.allclose(a, b, atol=1e-9, rtol=1e-7)
    assert m.info.forward_iterations < 400


def test_input_gradient_matches_unrolled():
    results = []
    for implicit in (True, False):
        m = _module()
        u = torch.tensor([[0.4, 0.3]], dtype=torch.float64, requires_grad=True)
        m.readout(m.states(u, implicit=implicit)).sum().backward()
        results.append(u.grad)
    assert torch.allclose(results[0], results[1], atol=1e-10)


def _chain(feedback: bool):
    # input A -> B (0.5) -> C (0.4); C -| A (-0.5) when feedback; biases 0, input gain 1; all states stay in [0, 0.5]
    edges = [(0, 1, 1), (1, 2, 1)] + ([(2, 0, -1)] if feedback else [])
    src, dst, sign = zip(*edges)
    m = SignalingModule(["A", "B", "C"], src, dst, sign, ["A"], ["C"], input_gain=1.0, projection_gain=1.0)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([0.5, 0.4, -0.5][:len(edges)], dtype=torch.float64))
        m.bias.zero_()
    return m


def test_knockout_and_clamp_known_answers():
    u = torch.tensor([[0.3]], dtype=torch.float64)
    m = _chain(feedback=False)
    assert torch.allclose(m.states(u), torch.tensor([[0.3, 0.15, 0.06]], dtype=torch.float64))
    assert float(m(u, knockout=["B"]).detach()) == pytest.approx(0.0)
    assert float(m(u, clamp={"B": 0.8}).detach()) == pytest.approx(0.32)
    f = _chain(feedback=True)
    # linear regime: xA = 0.3 - 0.5 * 0.4 * 0.5 * xA  ->  xA = 0.3 / 1.1
    xa = 0.3 / 1.1
    assert torch.allclose(f.states(u), torch.tensor([[xa, 0.5 * xa, 0.2 * xa]], dtype=torch.float64))
    # knocking out C removes the negative feedback: A goes back to its open-loop value
    assert torch.allclose(f.states(u, knockout=["C"]), torch.tensor([[0.3, 0.15, 0.0]], dtype=torch.float64))
    # knocking out the input node silences everything downstream
    assert torch.allclose(f.states(u, knockout=["A"]), torch.zeros(1, 3, dtype=torch.float64))


def test_spectral_radius_and_its_gradient():
    m = _module()
    n = m.n_nodes
    d = torch.linspace(0.3, 1.0, n, dtype=torch.float64)

    def dense(w):
        W = np.zeros((n, n))
        np.add.at(W, (m.structure.targets.numpy(), m.structure.sources.numpy()), w)
        return np.diag(d.numpy()) @ W

    rho = m.spectral_radius(d)
    assert float(rho) == pytest.approx(np.abs(np.linalg.eigvals(dense(m.weight.detach().numpy()))).max(), rel=1e-6)
    rho.backward()
    w0, eps = m.weight.detach().numpy().copy(), 1e-6
    numeric = []
    for k in range(len(w0)):
        up, down = w0.copy(), w0.copy()
        up[k] += eps
        down[k] -= eps
        numeric.append((np.abs(np.linalg.eigvals(dense(up))).max() - np.abs(np.linalg.eigvals(dense(down))).max())
                       / (2 * eps))
    assert np.allclose(m.weight.grad.numpy(), numeric, atol=1e-5)
    assert float(radius_penalty(torch.tensor(0.4))) == 0.0
    assert float(radius_penalty(torch.tensor(0.9))) == pytest.approx(1 - np.exp(-9.0))


def test_prescale_sets_the_radius():
    m = _module()
    m.prescale(0.7)
    assert float(m.spectral_radius()) == pytest.approx(0.7, rel=1e-6)


def test_sign_constraint_counts_only_known_wrong_signs():
    m = _module()
    with torch.no_grad():
        m.weight.copy_(torch.tensor([0.5, -0.2, 0.3, 0.1, -0.4, 0.2, 0.1, -0.7], dtype=torch.float64))
    # wrong: edge 1 (+1 prior, -0.2) and edge 2 (-1 prior, +0.3); edge 7 has an unknown sign
    assert float(m.sign_violation()) == pytest.approx(0.5)


def test_sign_penalty_keeps_the_prior_sign_in_training():
    # the data want B to fall when A rises, but the prior says A activates B
    u = torch.linspace(0, 1, 8, dtype=torch.float64)[:, None]
    y = 0.45 - 0.4 * u
    final = {}
    for factor in (0.0, 1.0):
        m = SignalingModule(["A", "B"], [0], [1], [1], ["A"], ["B"], input_gain=1.0, projection_gain=1.0)
        with torch.no_grad():
            m.bias.fill_(0.3)
        opt = torch.optim.Adam(m.parameters(), lr=0.05)
        for _ in range(200):
            opt.zero_grad()
            loss = ((m(u) - y) ** 2).mean() + factor * m.sign_violation()
            loss.backward()
            opt.step()
        final[factor] = float(m.weight)
    assert final[0.0] < -0.1  # unconstrained: the data flip the sign
    assert final[1.0] > -0.02  # penalised: the weight stays at (or near) the prior's sign


def test_nonconvergence_raises_with_the_radius_hint():
    # 2-cycle with strong negative feedback: the iteration oscillates
    m = SignalingModule(["A", "B"], [0, 1], [1, 0], [-1, -1], ["A"], ["B"], max_iter=50)
    with torch.no_grad():
        m.weight.fill_(-30.0)
        m.bias.fill_(0.4)
    with pytest.raises(SteadyStateError, match="spectral radius"):
        m(torch.tensor([[1.0]], dtype=torch.float64))


def test_refilled_jacobians_equal_freshly_built_ones():
    from binn_graph.signalling.spectral import SpectralRadius, _jacobian

    m = _module()
    radius = SpectralRadius(m.structure)
    rng = np.random.default_rng(0)
    for d in (None, rng.uniform(0.1, 1, m.n_nodes), rng.uniform(0.1, 1, m.n_nodes)):  # refilled between calls
        w = rng.normal(size=len(m.signs))
        J, JT = radius._matrices(w, d)
        assert np.array_equal(J.toarray(), _jacobian(m.structure, w, d).toarray())
        assert np.array_equal(JT.toarray(), _jacobian(m.structure, w, d, transpose=True).toarray())
        assert np.array_equal(JT.toarray(), J.toarray().T)


@pytest.mark.parametrize("n,b", [(103, 5), (20, 3), (7, 7)])
def test_state_spread_loss_on_the_batch_rows_equals_the_plain_loss(n, b):
    """The training step's uniform-state loss runs autograd over the batch only; value and gradient equal the
    loss of the whole state table with the batch's rows replaced."""
    from binn_graph.signalling.estimator import _spread_loss, _spread_loss_rows

    gen = torch.Generator().manual_seed(n)
    cache = torch.rand(n, 40, dtype=torch.float64, generator=gen)
    cache[:, 3] = -0.2  # a node whose largest state is ≤ 0 (the loss's extra term)
    idx = torch.randperm(n, generator=gen)[:b]
    x = torch.rand(b, 40, dtype=torch.float64, generator=gen).requires_grad_(True)
    states = cache.clone()
    states[idx] = x
    plain = _spread_loss(states, 1 / 1.2)
    rows = _spread_loss_rows(cache, idx, x, 1 / 1.2)
    assert rows.item() == pytest.approx(plain.item(), rel=1e-12)
    (g_plain,), (g_rows,) = torch.autograd.grad(plain, x), torch.autograd.grad(rows, x)
    assert torch.allclose(g_rows, g_plain, rtol=1e-10, atol=1e-12)
