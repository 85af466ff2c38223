"""``SignalingNetwork``: a scikit-learn regressor over a signed prior-knowledge network (LEMBAS-style).

``X`` is samples × input node ids (ligand or perturbation levels), ``y`` samples × output node ids (e.g. TF
activities); both are matched to the graph's nodes by id, never by position. Training follows LEMBAS (Nilsson et
al. 2022): mean squared error on the observed outputs plus a soft sign constraint, an exponential penalty on the
spectral radius of the Jacobian at a training steady state, small L2 terms, a penalty on the input nodes' biases and
a loss that spreads node states over [0, 1]; Adam with a one-cycle learning rate.
"""

from __future__ import annotations

import math
import time
import warnings
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions

from kg import KnowledgeGraph
from kg.algorithms import reachable
from kg.report import BuildReport

from .._progress import progress
from ..errors import DataValidationError, FeatureMismatchError, GraphStructureError, TargetError
from ..threads import intra_op_threads
from ..training import resolve_device
from ..validation import check_fitted, validate_params
from .model import SignalingModule
from .spectral import radius_penalty
from .steady_state import SteadyStateError, mml_grad, steady_state

__all__ = ["SignalingNetwork", "signed_edges", "one_cycle"]


def signed_edges(graph: KnowledgeGraph, relation: str = "regulates") -> pd.DataFrame:
    """Every ``relation`` edge of ``graph`` (any node types) as ``source, target, sign`` (sign NaN → 0).

    Node ids must be unique across the node types that these edges join.
    """
    parts = []
    for edge_type in graph.edge_types:
        if edge_type[1] != relation:
            continue
        table = graph.edges(edge_type)
        sign = table["sign"] if "sign" in table.columns else pd.Series(0.0, index=table.index)
        parts.append(pd.DataFrame({"source": table["source"].astype(str), "target": table["target"].astype(str),
                                   "sign": pd.to_numeric(sign, errors="coerce").fillna(0.0).to_numpy(float),
                                   "source_type": edge_type[0], "target_type": edge_type[2]}))
    if not parts:
        raise GraphStructureError(f"the graph has no {relation!r} edges; load a signed network (kg.sources.lembas, "
                                  f"kg.sources.sif) or pass relation=...; its edge types are {graph.edge_types}")
    edges = pd.concat(parts, ignore_index=True)
    types = pd.concat([edges[["source", "source_type"]].set_axis(["id", "type"], axis=1),
                       edges[["target", "target_type"]].set_axis(["id", "type"], axis=1)]).drop_duplicates()
    clash = types["id"][types["id"].duplicated()]
    if len(clash):
        raise GraphStructureError(f"node id {clash.iloc[0]!r} is used by two node types of the {relation!r} edges; "
                                  "the signalling model keys nodes by id: rename one of them")
    return edges[["source", "target", "sign"]]


def one_cycle(epoch: int, n_epochs: int, peak: float, start: float, end: float) -> float:
    """LEMBAS's one-cycle learning rate: cosine warm-up from ``start`` to ``peak`` over the first eighth of the
    epochs, cosine decay to ``end`` by 95 % of them, then ``end``."""
    warm = max(1, n_epochs // 8)
    decay_end = max(warm + 1, int(0.95 * n_epochs))
    if epoch <= warm:
        return start + (peak - start) * 0.5 * (1 - math.cos(math.pi * epoch / warm))
    if epoch <= decay_end:
        return end + (peak - end) * 0.5 * (1 + math.cos(math.pi * (epoch - warm) / (decay_end - warm)))
    return end


def _check_levels(X: pd.DataFrame) -> None:
    """Refuse NaN or infinite input levels (``fit`` and prediction alike)."""
    values = X.to_numpy(dtype=float)
    if np.isnan(values).any():
        raise DataValidationError("X has NaN values; input levels must be given for every sample (0 = absent)")
    if np.isinf(values).any():
        raise DataValidationError("X has infinite values; input levels must be finite")


def _spread_loss(states: torch.Tensor, target_max: float) -> torch.Tensor:
    """LEMBAS's uniform-state loss: node states over the samples should look uniform on [0, target_max]."""
    mean = states.mean(0)
    var = ((states - mean) ** 2).mean(0)
    top, bottom = states.max(0).values, states.min(0).values
    loss = ((mean - target_max / 2) ** 2).sum() + ((var - target_max ** 2 / 12) ** 2).sum()
    loss = loss + ((top - target_max) ** 2).sum() + (bottom ** 2).sum()
    return loss - top[top.detach() <= 0].sum()


def _spread_loss_rows(cache: torch.Tensor, idx: torch.Tensor, x: torch.Tensor, target_max: float) -> torch.Tensor:
    """:func:`_spread_loss` of ``cache`` ``[n, N]`` with rows ``idx`` replaced by ``x`` ``[b, N]``, computed from
    per-node sums, squares and extremes of the other rows (no gradient) and of ``x``, so autograd runs over the
    batch's ``b`` rows only, not all ``n``. Equal to the plain loss up to rounding (tested)."""
    n = cache.shape[0]
    with torch.no_grad():
        rest = torch.ones(n, dtype=torch.bool, device=cache.device)
        rest[idx] = False
        others = cache[rest]
        sum_rest, sq_rest = others.sum(0), (others * others).sum(0)
        if len(others):
            top_rest, bottom_rest = others.max(0).values, others.min(0).values
        else:
            top_rest = bottom_rest = None
    mean = (sum_rest + x.sum(0)) / n
    var = (sq_rest + (x * x).sum(0)) / n - mean ** 2
    top, bottom = x.max(0).values, x.min(0).values
    if top_rest is not None:
        top, bottom = torch.maximum(top, top_rest), torch.minimum(bottom, bottom_rest)
    loss = ((mean - target_max / 2) ** 2).sum() + ((var - target_max ** 2 / 12) ** 2).sum()
    loss = loss + ((top - target_max) ** 2).sum() + (bottom ** 2).sum()
    return loss - top[top.detach() <= 0].sum()


class SignalingNetwork(RegressorMixin, BaseEstimator):
    """Recurrent signalling network over a signed PKN, trained to steady states (scikit-learn regressor).

    Parameters
    ----------
    graph:
        A :class:`~kg.KnowledgeGraph` with signed ``relation`` edges (``sign`` +1, -1 or 0 = unknown), e.g. from
        :func:`kg.sources.lembas.load` or :func:`kg.sources.sif.load`. Cycles are allowed.
    inputs, outputs:
        Input and output node ids; ``None``: the columns of ``X`` and ``y``.
    relation:
        The edge relation that wires the network.
    input_gain, projection_gain:
        Fixed gain of the inputs; initial gain of the outputs (LEMBAS: 3 and 1.2).
    leak:
        Slope of the activation below 0.
    max_iter, tol:
        Iteration limit and tolerance (largest state change) of the steady state and of its adjoint in each training
        step. States asked for after training (``predict``, ``steady_states``, interventions, explanations, the
        radius checks of ``spectral_limit``) may take up to ``model_.settle_factor`` (10) × ``max_iter``: a new
        input's state can contract more slowly than the training states that ``spectral_limit`` bounds. In
        ``predict`` and ``steady_states``, samples that still do not settle raise
        :class:`~binn_graph.signalling.SteadyStateError`, which names them.
    max_epochs, batch_size, lr:
        Training epochs, samples per step and the peak learning rate of the one-cycle schedule. The default of 1,000
        epochs is an eighth of LEMBAS's training length; 200 under-fit the ligand screen (benchmarks/RESULTS.md).
    sign_penalty:
        Weight of the soft sign constraint (summed ``|w|`` of edges against their known sign).
    spectral_penalty, spectral_target:
        Weight and target of the exponential penalty on the Jacobian's spectral radius.
    spectral_every:
        Steps between full eigenvalue solves for the penalty; in between, the last eigenpair is tracked by one power
        step and a Rayleigh quotient (1: solve at every step, as LEMBAS does).
    spectral_limit:
        Hard limit on the Jacobian's spectral radius of the fitted model (default 0.95: the forward iteration from 0
        then settles to ``tol`` 1e-6 within the default ``max_iter`` of 300; ``None``: no limit, the penalty alone).
        The penalty sees one sample per step, so over long training the largest radius over the training samples can
        creep towards 1, where the iteration no longer settles within ``max_iter``. After training, while the largest
        radius over the training samples' steady states exceeds the limit, the weights are scaled by
        ``spectral_limit / radius``, and by at least ``spectral_limit`` while some training state does not settle
        (at most 10 rounds; reported in ``report_``). Only the fitted model is scaled:
        scaling during training as well, whenever an epoch's iterations did not settle, held the fit back
        (benchmarks/RESULTS.md).
    prescale:
        Radius of ``W`` the initial weights are scaled to (``None``: no scaling).
    weight_decay:
        L2 on weights and biases.
    state_penalty:
        Weight of the loss that spreads node states over [0, 1 / projection_gain].
    noise:
        Standard deviation of the noise added to the network's drive during training.
    warm_start:
        Start each training step's steady-state iteration from the samples' last steady states (fewer iterations;
        the same fixed point within ``tol``).
    strict:
        Raise :class:`~binn_graph.errors.FeatureMismatchError` for ``X`` / ``y`` columns that are not graph nodes
        instead of dropping and reporting them.
    random_state:
        Seeds the initial weights, the batches and the noise.
    n_threads:
        Torch intra-op threads while fitting and predicting (``None``: torch's setting).
    device:
        Where ``fit`` trains: ``"cpu"``, ``"cuda"`` (an error without a GPU) or ``"auto"`` (CUDA where available,
        else the CPU). The spectral radius is solved on the CPU either way (ARPACK); the fitted ``model_`` comes
        back on the CPU, where prediction, interventions and importance run.
    verbose:
        Show a progress bar over the epochs.

    Attributes
    ----------
    model_:
        The fitted :class:`~binn_graph.signalling.SignalingModule`.
    input_ids_, output_ids_:
        The input and output node ids, in column order.
    report_:
        :class:`kg.report.BuildReport`: dropped columns, masked NaN targets, unreachable outputs.
    spectral_radius_:
        Largest spectral radius of the Jacobian over the training samples' steady states (below 1: converges).
    history_:
        DataFrame with one row per epoch: ``loss`` (mean squared error), ``radius``, ``violations``, ``lr`` and
        ``seconds`` (wall time of the epoch) and ``unconverged`` (iterations of that epoch that stopped at ``max_iter``
        without converging; the spectral penalty pulls the radius back, and ``spectral_limit`` bounds the fitted
        model's).
    """

    _parameter_constraints: dict = {
        "graph": [KnowledgeGraph, None],
        "inputs": [list, tuple, pd.Index, None],
        "outputs": [list, tuple, pd.Index, None],
        "relation": [str],
        "input_gain": [Interval(Real, 0, None, closed="neither")],
        "projection_gain": [Interval(Real, 0, None, closed="neither")],
        "leak": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "sign_penalty": [Interval(Real, 0, None, closed="left")],
        "spectral_penalty": [Interval(Real, 0, None, closed="left")],
        "spectral_target": [Interval(Real, 0, 1, closed="neither")],
        "spectral_every": [Interval(Integral, 1, None, closed="left")],
        "spectral_limit": [Interval(Real, 0, 1, closed="neither"), None],
        "prescale": [Interval(Real, 0, None, closed="neither"), None],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "state_penalty": [Interval(Real, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "strict": ["boolean"],
        "random_state": ["random_state"],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "verbose": ["verbose"],
    }

    def __init__(self, graph: KnowledgeGraph | None = None, inputs: list | None = None, outputs: list | None = None,
                 *, relation: str = "regulates", input_gain: float = 3.0, projection_gain: float = 1.2,
                 leak: float = 0.01, max_iter: int = 300, tol: float = 1e-6, max_epochs: int = 1000,
                 batch_size: int = 5, lr: float = 2e-3, sign_penalty: float = 0.1, spectral_penalty: float = 1e-3,
                 spectral_target: float = 0.9, spectral_every: int = 10, spectral_limit: float | None = 0.95,
                 prescale: float | None = 0.7, weight_decay: float = 1e-6,
                 state_penalty: float = 1e-5, noise: float = 1e-3, warm_start: bool = True, strict: bool = False,
                 random_state: int | None = None, n_threads: int | None = 1, device: str = "cpu",
                 verbose: bool = False) -> None:
        self.graph = graph
        self.inputs = inputs
        self.outputs = outputs
        self.relation = relation
        self.input_gain = input_gain
        self.projection_gain = projection_gain
        self.leak = leak
        self.max_iter = max_iter
        self.tol = tol
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.sign_penalty = sign_penalty
        self.spectral_penalty = spectral_penalty
        self.spectral_target = spectral_target
        self.spectral_every = spectral_every
        self.spectral_limit = spectral_limit
        self.prescale = prescale
        self.weight_decay = weight_decay
        self.state_penalty = state_penalty
        self.noise = noise
        self.warm_start = warm_start
        self.strict = strict
        self.random_state = random_state
        self.n_threads = n_threads
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ data matching
    def _frame(self, data, what: str, ids) -> pd.DataFrame:
        if isinstance(data, pd.Series):
            data = data.to_frame().T if what == "X" and ids is not None else data.to_frame()
        if not isinstance(data, pd.DataFrame):
            array = np.asarray(data, dtype=float)
            if array.ndim != 2 or ids is None or array.shape[1] != len(ids):
                raise FeatureMismatchError(f"{what} must be a DataFrame whose columns are node ids (a plain array "
                                           "is matched to nodes only after fit, in the fitted column order)")
            data = pd.DataFrame(array, columns=list(ids))
        data = data.copy()
        data.columns = data.columns.astype(str)
        dup = data.columns[data.columns.duplicated()]
        if len(dup):
            raise FeatureMismatchError(f"{what} has duplicated columns {list(dup[:5])}; one column per node id")
        try:
            return data.apply(pd.to_numeric, errors="raise").astype(float)
        except (ValueError, TypeError):
            raise DataValidationError(f"{what} holds non-numeric values; node levels must be numbers") from None

    def _match(self, frame: pd.DataFrame, wanted, nodes: set, what: str, report: BuildReport) -> list[str]:
        ids = [str(c) for c in (frame.columns if wanted is None else wanted)]
        if wanted is not None:
            missing = [i for i in ids if i not in frame.columns]
            if missing:
                option = "inputs" if what == "X" else "outputs"
                raise FeatureMismatchError(f"{what} lacks the columns of {len(missing)} requested node(s) "
                                           f"(e.g. {missing[:5]}); add them or change {option}=")
            extra = [c for c in frame.columns if c not in set(ids)]
            report.add("signalling", "dropped", f"{what} columns not among the requested nodes", len(extra),
                       examples=extra)
        absent = [i for i in ids if i not in nodes]
        if absent and self.strict:
            raise FeatureMismatchError(f"{len(absent)} {what} column(s) are not nodes of the network "
                                       f"(e.g. {absent[:5]}); map them to graph ids or pass strict=False to drop them")
        report.add("signalling", "dropped", f"{what} columns that are not network nodes", len(absent),
                   "no node with that id in the graph's signed edges", examples=absent)
        if absent:
            warnings.warn(f"{len(absent)} {what} column(s) are not network nodes and are ignored "
                          f"(e.g. {absent[:5]}); see report_", stacklevel=3)
        kept = [i for i in ids if i in nodes]
        if not kept:
            raise FeatureMismatchError(f"none of the {what} columns is a node of the network (e.g. {ids[:5]}); "
                                       "match the column names to the graph's node ids")
        return kept

    # ------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Match ``X`` and ``y`` to the graph by id, compile the network and train it to the data.

        ``X``: DataFrame samples × input node ids; ``y``: DataFrame samples × output node ids with the same index
        (rows are aligned by index). NaN in ``y`` is left out of the loss and reported.
        """
        validate_params(self)
        device = resolve_device(self.device)
        if self.graph is None:
            raise GraphStructureError("SignalingNetwork needs graph=<KnowledgeGraph with signed edges>")
        report = BuildReport()
        edges = signed_edges(self.graph, self.relation)
        node_ids = list(pd.unique(pd.concat([edges["source"], edges["target"]], ignore_index=True)))
        nodes = set(node_ids)
        X = self._frame(X, "X", None)
        y = self._frame(y, "y", None)
        if not X.index.equals(y.index):
            if set(X.index) != set(y.index) or X.index.has_duplicates:
                raise DataValidationError(f"X and y have different sample ids ({len(X)} and {len(y)} rows; e.g. "
                                          f"{list(X.index.symmetric_difference(y.index)[:5])}); rows are matched "
                                          "by index")
            y = y.loc[X.index]
        if len(X) < 2:
            raise DataValidationError(f"fit needs at least 2 samples; got {len(X)}")
        _check_levels(X)
        inputs = self._match(X, self.inputs, nodes, "X", report)
        outputs = self._match(y, self.outputs, nodes, "y", report)
        position = {n: i for i, n in enumerate(node_ids)}
        src = edges["source"].map(position).to_numpy()
        dst = edges["target"].map(position).to_numpy()
        adj = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(len(node_ids),) * 2)
        reach = reachable(adj, [position[i] for i in inputs])
        unreachable = [o for o in outputs if not reach[position[o]]]
        if len(unreachable) == len(outputs):
            raise GraphStructureError(f"no path from any of the {len(inputs)} input node(s) to any of the "
                                      f"{len(outputs)} output node(s) along {self.relation!r} edges; check the "
                                      "direction of the edges and the input/output ids")
        report.add("signalling", "note", "outputs no input reaches (predicted from their bias only)",
                   len(unreachable), examples=unreachable)
        Y = y[outputs]
        missing = int(Y.isna().to_numpy().sum())
        report.add("signalling", "masked", "NaN target values left out of the loss", missing,
                   examples=[f"{Y.index[r]}/{Y.columns[c]}" for r, c in zip(*np.nonzero(Y.isna().to_numpy()))][:5])
        if missing == Y.size:
            raise TargetError("y has no observed value among the output nodes")
        if missing:
            warnings.warn(f"{missing} NaN value(s) in y are masked out of the loss; see report_", stacklevel=2)
        self.input_ids_, self.output_ids_, self.report_ = inputs, outputs, report
        self.n_features_in_ = len(inputs)
        seed = np.random.SeedSequence(None if self.random_state is None else
                                      int(np.random.RandomState(self.random_state).randint(2 ** 31)))
        torch_seed, numpy_seed = (int(s.generate_state(1)[0]) for s in seed.spawn(2))
        generator = torch.Generator().manual_seed(torch_seed)
        rng = np.random.default_rng(numpy_seed)
        with intra_op_threads(self.n_threads):
            self.model_ = SignalingModule(node_ids, src, dst, edges["sign"].to_numpy(), inputs, outputs,
                                          leak=self.leak, input_gain=self.input_gain,
                                          projection_gain=self.projection_gain, max_iter=self.max_iter, tol=self.tol,
                                          generator=generator)
            if self.prescale is not None:
                self.model_.prescale(self.prescale)
            if device.type != "cpu":
                self.model_.to_device(device)
            try:
                self._train(torch.as_tensor(X[inputs].to_numpy(), dtype=torch.float64, device=device),
                            torch.as_tensor(Y.to_numpy(), dtype=torch.float64, device=device), generator, rng)
            finally:
                if device.type != "cpu":
                    self.model_.to_device(torch.device("cpu"))
            if self.spectral_limit is not None:
                self._limit_radius(X[inputs])
            self.spectral_radius_ = self._radius_over(X[inputs])
        return self

    def _train(self, u: torch.Tensor, target: torch.Tensor, generator, rng) -> None:
        model = self.model_
        observed = ~torch.isnan(target)
        target = torch.nan_to_num(target)
        n = len(u)
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
        cache = torch.zeros((n, model.n_nodes), dtype=torch.float64, device=u.device)
        rows, step = [], 0
        info = model.info
        with info.counting():
            epochs = progress(range(self.max_epochs), desc="signalling", unit="epoch", enabled=self.verbose or None)
            for epoch in epochs:
                lr = one_cycle(epoch, self.max_epochs, self.lr, self.lr / 10, self.lr / 100)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                losses, radii, start = [], [], time.perf_counter()
                failures_before = info.failures
                for batch in np.array_split(rng.permutation(n), max(1, math.ceil(n / self.batch_size))):
                    idx = torch.as_tensor(batch, device=u.device)
                    optimizer.zero_grad()
                    exact = step % self.spectral_every == 0
                    step += 1
                    loss, fit, rho = self._step_loss(u[idx], target[idx], observed[idx], idx, cache, generator, rng,
                                                     exact)
                    loss.backward()
                    if all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None):
                        optimizer.step()  # a step whose state diverged is skipped (counted in ``unconverged``)
                    losses.append(fit)
                    radii.append(rho)
                rows.append({"epoch": epoch, "loss": float(np.mean(losses)), "radius": float(np.mean(radii)),
                             "violations": int(self._violations()), "lr": lr, "seconds": time.perf_counter() - start,
                             "unconverged": info.failures - failures_before})
        self.history_ = pd.DataFrame(rows, columns=["epoch", "loss", "radius", "violations", "lr", "seconds",
                                                    "unconverged"])
        self.n_iter_ = self.max_epochs

    def _step_loss(self, u, target, observed, idx, cache, generator, rng, exact=True):
        model = self.model_
        c = model.drive(u)
        if self.noise:
            c = c + self.noise * torch.randn(c.shape, generator=generator, dtype=c.dtype).to(c.device)
        x = steady_state(model.structure, model.weight, c, leak=model.leak, max_iter=model.max_iter, tol=model.tol,
                         info=model.info, x0=cache[idx].T if self.warm_start else None).T
        pred = model.readout(x)
        fit = ((pred - target) ** 2 * observed).sum() / observed.sum().clamp(min=1)
        loss = fit + self.sign_penalty * model.sign_violation()
        loss = loss + self.weight_decay * ((model.weight ** 2).sum() + (model.bias ** 2).sum())
        loss = loss + 1e-4 * ((model.projection - self.projection_gain) ** 2).sum()
        loss = loss + 1e-4 * (model.bias[model.input_index] ** 2).sum()
        if self.state_penalty:
            loss = loss + self.state_penalty * _spread_loss_rows(cache, idx, x, 1 / self.projection_gain)
        cache[idx] = torch.nan_to_num(x.detach(), nan=0.0, posinf=0.0, neginf=0.0)
        rho = torch.zeros((), dtype=torch.float64)
        if self.spectral_penalty:
            k = int(rng.integers(len(idx)))
            with torch.no_grad():
                z = torch.sparse.mm(model.structure.matrix(model.weight), x[k:k + 1].T) + c[:, k:k + 1]
            rho = model.spectral_radius(mml_grad(z[:, 0], model.leak), exact=exact)
            loss = loss + self.spectral_penalty * radius_penalty(rho, self.spectral_target)
        return loss, float(fit.detach()), float(rho.detach())

    def _violations(self) -> int:
        w, s = self.model_.weight.detach(), self.model_.signs
        return int((((s > 0) & (w < 0)) | ((s < 0) & (w > 0))).sum())

    def _limit_radius(self, X: pd.DataFrame) -> float:
        """Scale the weights down until the largest Jacobian radius over the samples' steady states is at most
        ``spectral_limit``; returns the total factor applied (1: none). While some state does not settle, the radius
        at its last iterate means little, so the weights are scaled by at least ``spectral_limit``."""
        info, total = self.model_.info, 1.0
        for _ in range(10):
            with info.counting():
                rho = self._radius_over(X)
            if rho <= self.spectral_limit and not info.failures:
                break
            factor = self.spectral_limit / max(rho, 1.0 if info.failures else rho)
            with torch.no_grad():
                self.model_.weight.mul_(factor)
            total *= factor
            self.report_.add("signalling", "note", f"weights scaled by {factor:.4f} to bring the spectral "
                             f"radius {rho:.4f}{' (states not settled)' if info.failures else ''} to "
                             "spectral_limit", 1)
        return total

    def _radius_over(self, X: pd.DataFrame) -> float:
        u = torch.as_tensor(X.to_numpy(), dtype=torch.float64)
        with torch.no_grad():
            states = self.model_.states(u)
            slopes = self.model_.jacobian_slopes(u, states)
            return float(max(float(self.model_.spectral_radius(s)) for s in slopes))

    # ------------------------------------------------------------------ prediction
    def _inputs(self, X) -> torch.Tensor:
        check_fitted(self, action="call fit(X, y) before predicting")
        frame = self._frame(X, "X", self.input_ids_)
        missing = [i for i in self.input_ids_ if i not in frame.columns]
        if missing:
            raise FeatureMismatchError(f"X lacks {len(missing)} of the fitted input columns (e.g. {missing[:5]})")
        _check_levels(frame[self.input_ids_])
        return torch.as_tensor(frame[self.input_ids_].to_numpy(), dtype=torch.float64)

    def _check_nodes(self, ids, what: str) -> list[str]:
        ids = [str(i) for i in ids]
        unknown = [i for i in ids if i not in self.model_.position]
        if unknown:
            raise FeatureMismatchError(f"{what} names {len(unknown)} node(s) that are not in the network "
                                       f"(e.g. {unknown[:5]})")
        return ids

    def steady_states(self, X, *, knockout=None, clamp: dict | None = None) -> pd.DataFrame:
        """Steady states of every node (DataFrame samples × node ids) for ``X``, under optional interventions."""
        u = self._inputs(X)
        knockout = self._check_nodes(knockout or [], "knockout")
        clamp = dict(zip(self._check_nodes((clamp or {}).keys(), "clamp"), (clamp or {}).values()))
        index = X.index if isinstance(X, pd.DataFrame) else None
        with intra_op_threads(self.n_threads), torch.no_grad(), self.model_.info.counting() as info:
            states = self.model_.states(u, knockout=knockout, clamp=clamp)
            if info.failures:
                self._unsettled(u, states, index, knockout, clamp)
        return pd.DataFrame(states.numpy(), index=index, columns=self.model_.node_ids)

    def _unsettled(self, u, states, index, knockout, clamp) -> None:
        """Raise :class:`SteadyStateError` naming the samples whose state did not settle, with the Jacobian's
        spectral radius at each (at most 5 named)."""
        model = self.model_
        limit = model.settle_factor * model.max_iter
        change = model.state_change(u, states, knockout=knockout, clamp=clamp)
        bad = torch.nonzero(~(change <= model.tol)).ravel().tolist()  # a NaN change (a diverged state) is bad too
        if not bad:
            raise SteadyStateError(f"the steady-state iteration did not settle within {limit} iterations, though "
                                   "every state is now within tol of its next iterate; raise model_.settle_factor "
                                   "and predict again")
        slopes = model.jacobian_slopes(u[bad[:5]], states[bad[:5]], knockout=knockout, clamp=clamp)
        names = [f"row {i}" if index is None else repr(index[i]) if isinstance(index[i], str) else str(index[i])
                 for i in bad[:5]]
        shown = ", ".join(f"{name} (largest change {float(change[i]):.2g} in one more iteration, Jacobian spectral "
                          f"radius at its last iterate {float(model.spectral_radius(slopes[k])):.3f})"
                          for k, (i, name) in enumerate(zip(bad, names)))
        raise SteadyStateError(
            f"{len(bad)} of {len(change)} samples did not reach a steady state within {limit} iterations: {shown}{', …' if len(bad) > 5 else ''}. Their "
            "predictions would depend on where the iteration stopped. A large change (the iteration oscillates) or a "
            "radius at or above 1 means that this input (or intervention) drives the network where it does not "
            f"contract: refit with a lower spectral_limit or spectral_target. A small change with a radius just "
            f"below 1 settles with more iterations: raise model_.settle_factor (now {model.settle_factor})")

    def predict(self, X, *, knockout=None, clamp: dict | None = None) -> pd.DataFrame | np.ndarray:
        """Outputs at the steady state: a DataFrame samples × output ids when ``X`` is a DataFrame, else an array.

        ``knockout``: node ids held at 0; ``clamp``: ``{node id: value}`` held at that value (every sample).
        """
        states = self.steady_states(X, knockout=knockout, clamp=clamp)
        with torch.no_grad():
            out = self.model_.readout(torch.as_tensor(states.to_numpy())).numpy()
        if isinstance(X, pd.DataFrame):
            return pd.DataFrame(out, index=X.index, columns=self.output_ids_)
        return out

    def score(self, X, y, sample_weight=None) -> float:
        """Pearson r between predicted and observed outputs over all observed (sample, output) pairs."""
        pred = np.asarray(self.predict(X), dtype=float)
        obs = self._frame(y, "y", self.output_ids_)[self.output_ids_].to_numpy()
        keep = ~np.isnan(obs)
        return float(np.corrcoef(pred[keep], obs[keep])[0, 1])

    # ------------------------------------------------------------------ importance
    def explain_nodes(self, X, method: str = "ablation", nodes=None) -> pd.DataFrame:
        """Knockout importance of each node per output (:func:`~binn_graph.signalling.importance.node_importance`);
        ``binn_graph.explain(model, X)`` calls this."""
        from .importance import explain_nodes

        return explain_nodes(self, X, method=method, nodes=nodes)

    def explain_edges(self, X) -> pd.DataFrame:
        """Gradient × weight importance of each edge per output
        (:func:`~binn_graph.signalling.importance.edge_importance`)."""
        from .importance import edge_importance

        return edge_importance(self, X)

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Write the fitted model to directory ``path``: ``graph/`` (the KnowledgeGraph), ``model.pt`` (tensors and
        ids; loads with ``weights_only``), ``history.tsv`` and ``report.tsv``."""
        check_fitted(self, action="call fit(X, y) before saving")
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        self.graph.save(out / "graph")
        params = {k: v for k, v in self.get_params().items() if k != "graph"}
        params = {k: (list(map(str, v)) if isinstance(v, (list, tuple, pd.Index)) else v) for k, v in params.items()}
        torch.save({"format": "binn-graph signalling 1", "state": self.model_.state_dict(),
                    "node_ids": self.model_.node_ids, "input_ids": self.input_ids_, "output_ids": self.output_ids_,
                    "params": params, "spectral_radius": self.spectral_radius_}, out / "model.pt")
        self.history_.to_csv(out / "history.tsv", sep="\t", index=False)
        self.report_.to_frame().to_csv(out / "report.tsv", sep="\t", index=False)

    @classmethod
    def load(cls, path) -> "SignalingNetwork":
        """Read a model written by :meth:`save`."""
        from ..errors import CheckpointError

        folder = Path(path)
        try:
            spec = torch.load(folder / "model.pt", weights_only=True)
            graph = KnowledgeGraph.load(folder / "graph")
        except (OSError, RuntimeError, ValueError) as exc:
            raise CheckpointError(f"{folder}: not a saved signalling model ({exc}); write one with "
                                  "SignalingNetwork.save or binn-graph signalling fit") from None
        if not isinstance(spec, dict) or spec.get("format") != "binn-graph signalling 1":
            raise CheckpointError(f"{folder}/model.pt is not a binn-graph signalling model")
        est = cls(graph, **spec["params"])
        edges = signed_edges(graph, est.relation)
        position = {n: i for i, n in enumerate(spec["node_ids"])}
        est.model_ = SignalingModule(spec["node_ids"], edges["source"].map(position).to_numpy(),
                                     edges["target"].map(position).to_numpy(), edges["sign"].to_numpy(),
                                     spec["input_ids"], spec["output_ids"], leak=est.leak, input_gain=est.input_gain,
                                     projection_gain=est.projection_gain, max_iter=est.max_iter, tol=est.tol)
        est.model_.load_state_dict(spec["state"])
        est.input_ids_, est.output_ids_ = list(spec["input_ids"]), list(spec["output_ids"])
        est.n_features_in_ = len(est.input_ids_)
        est.spectral_radius_ = float(spec["spectral_radius"])
        est.report_ = BuildReport()
        history = folder / "history.tsv"
        est.history_ = pd.read_csv(history, sep="\t") if history.exists() else pd.DataFrame()
        return est

    # ------------------------------------------------------------------ what attribution uses
    def module_input(self, X) -> torch.Tensor:
        """The module's input ``u`` ``[n_samples, n_inputs]`` for ``X`` (columns matched by id)."""
        return self._inputs(X)

    def output_function(self):
        """``(f, names)``: the explained outputs are the module's outputs themselves, one per output node."""
        return (lambda out: out), list(self.output_ids_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags
