"""Trainer: mini-batch training with early stopping, penalties, schedules and safe checkpoints.

Inputs may be stored compactly (e.g. ``int8`` dosages of a million SNPs) and are
converted to float32 one mini-batch at a time.

Determinism: the model is initialised under ``torch.manual_seed(seed)`` by the
caller, and the Trainer shuffles with its own ``torch.Generator`` seeded from
``seed``, so the same seed gives the same weights and predictions.

Distributed data-parallel training (``torch.distributed``)
----------------------------------------------------------
Launched by ``torchrun --nproc_per_node=N`` (or in any initialised process group), :meth:`Trainer.fit` trains
data-parallel with no change to the caller (the estimators and ``binn-graph train`` included):

* every rank draws the same shuffled order; global batch ``b`` (``batch_size`` samples) is split between the ranks,
  rank ``r`` taking its samples ``r, r + N, …`` (the distributed sampler);
* each rank's loss is weighted by its share of the global batch, and the gradients are summed across ranks with one
  ``all_reduce`` per step (gloo on CPU, nccl on GPU), so a step equals the single-process step on the global batch
  up to float rounding (batch normalisation excepted: it normalises each rank's share with that share's
  statistics, as in any data-parallel run);
* the parameters start from rank 0's (broadcast), validation and early stopping run identically on every rank,
  and only rank 0 shows progress, warns and writes checkpoints (:func:`is_main_process`);
* before training, the ranks compare their settings (Trainer parameters, sample counts, parameter shapes and a
  checksum of the data) and stop with :class:`DistributedSettingsError` naming what differs.

Global batches smaller than the number of ranks (a last remainder of one sample with two ranks) are skipped.

Rows streamed from disk
-----------------------
``X`` (and ``X_val``) may also be a *row source* instead of a tensor: any object with ``len(source)`` rows,
``source.read(rows)`` returning the float32 tensor ``[len(rows), n_inputs]`` of the rows at positions ``rows`` (in
that order), and ``source.fingerprint()``, a small dict that identifies the data (compared across ranks instead
of a checksum of the whole data). Each step then reads only its rows (under torchrun only this rank's share of the
global batch), and validation is scored in chunks of ``batch_size`` rows, so neither the inputs nor the training set
has to fit in memory. The batch order, the steps and the all-reduce are those of in-memory training, so a streamed
fit equals the in-memory fit on the same rows. :class:`binn_graph.genomic.StreamedInputs` is the row source of a
PLINK ``.bed``; ``BINNRegressor.fit(PlinkGenotypes(...), y)`` builds one.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from torch import Tensor, nn

from ._progress import progress
from .errors import BINNError, CheckpointError
from .io import atomic_output

__all__ = ["Trainer", "TrainingHistory", "save_checkpoint", "load_checkpoint", "CHECKPOINT_VERSION",
           "DistributedContext", "DistributedSettingsError", "distributed_context", "is_main_process",
           "resolve_device"]

CHECKPOINT_VERSION = 1


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"cpu"``, ``"cuda"`` (or ``"cuda:1"``) or ``"auto"`` (CUDA where available, else the CPU) as a torch device.

    ``"cuda"`` without a CUDA device is a :class:`~binn_graph.errors.ParameterError` saying what to use instead.

    >>> resolve_device("cpu"), resolve_device(None)
    (device(type='cpu'), device(type='cpu'))
    """
    from .errors import ParameterError

    if device is None or device == "cpu":
        return torch.device("cpu")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ParameterError(f"device must be 'cpu', 'cuda' or 'auto', not {device!r} ({exc})") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError(f"device={device!r} but torch sees no CUDA device here; use device='auto' (CUDA where "
                             "available, else the CPU) or device='cpu'")
    return resolved


class DistributedSettingsError(BINNError, RuntimeError):
    """The ranks of a distributed run disagree on their settings or data (the message names each difference)."""


@dataclass(frozen=True)
class DistributedContext:
    """This process's place in a distributed run: ``rank`` of ``world_size`` processes on ``backend``."""

    rank: int
    world_size: int
    backend: str

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that writes checkpoints and metrics."""
        return self.rank == 0


def distributed_context() -> DistributedContext | None:
    """The distributed run this process belongs to, or None for a single process.

    Uses the initialised default process group; otherwise, when torchrun's environment says ``WORLD_SIZE > 1``,
    initialises it (``env://``; ``nccl`` when CUDA is available, else ``gloo``). Inside a task of
    :func:`binn_graph.parallel.run_tasks` (a worker process inherits torchrun's environment) training is local.
    """
    import os

    import torch.distributed as dist

    from .parallel import in_task

    if not dist.is_available() or in_task():  # a refit run by binn_graph.parallel is one whole, local fit
        return None
    if not dist.is_initialized():
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return None
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    if dist.get_world_size() <= 1:
        return None
    return DistributedContext(dist.get_rank(), dist.get_world_size(), str(dist.get_backend()))


def is_main_process() -> bool:
    """True unless this process is a rank other than 0 of an initialised distributed run."""
    import torch.distributed as dist

    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def check_consistent(settings: dict, context: DistributedContext) -> None:
    """Raise :class:`DistributedSettingsError` on every rank when some rank's ``settings`` differ from rank 0's."""
    import torch.distributed as dist

    gathered: list = [None] * context.world_size
    dist.all_gather_object(gathered, settings)
    reference = gathered[0]
    problems = [f"rank {rank}: {key}={value!r} but rank 0 has {reference.get(key)!r}"
                for rank, other in enumerate(gathered[1:], start=1)
                for key, value in other.items() if value != reference.get(key)]
    if problems:
        raise DistributedSettingsError(
            f"the {context.world_size} ranks of this torchrun disagree, so their gradients cannot be averaged: "
            + "; ".join(problems[:8]) + ("; …" if len(problems) > 8 else "")
            + ". Launch every rank with the same command, data and seed")


def _settings(trainer: "Trainer", model: nn.Module, X, y: Tensor, X_val) -> dict:
    """What must agree across ranks: the trainer's parameters, the data's size and checksum (a streamed source's
    fingerprint), the parameter shapes."""
    out = {k: v for k, v in vars(trainer).items() if k != "progress"}
    out["n_samples"], out["n_validation"] = len(X), 0 if X_val is None else len(X_val)
    if _streamed(X):
        out["data"] = X.fingerprint()
        out["validation_data"] = None if X_val is None else X_val.fingerprint()
        out["data_checksum"] = round(float(y.sum(dtype=torch.float64)), 6)
    else:
        out["data_checksum"] = round(float(X.sum(dtype=torch.float64)) + float(y.sum(dtype=torch.float64)), 6)
    out["parameters"] = [(name, tuple(p.shape)) for name, p in model.named_parameters()]
    return out


def _all_reduce_gradients(model: nn.Module, loss_sum: float) -> float:
    """Sum every parameter's gradient over the ranks (one all_reduce of a flat buffer); returns the summed loss."""
    import torch.distributed as dist

    params = [p for p in model.parameters() if p.requires_grad]
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads] + [torch.tensor([loss_sum], dtype=grads[0].dtype)])
    dist.all_reduce(flat)
    offset = 0
    for p, g in zip(params, grads):
        n = g.numel()
        p.grad = flat[offset:offset + n].view_as(g).clone()
        offset += n
    return float(flat[-1])


@dataclass
class TrainingHistory:
    """Per-epoch losses; ``best_epoch`` is the epoch whose weights were kept (0-based)."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False


@dataclass
class Trainer:
    """Train a module on tensors.

    Parameters
    ----------
    max_epochs, batch_size, lr, weight_decay:
        Adam settings (``weight_decay`` is Adam's coupled L2 on every parameter; see :meth:`optimizer`).
    l1, l2:
        Penalties on the sparse edge weights only (``model.edge_weights()``).
    patience:
        Epochs without validation improvement before stopping (needs validation data). A run that reaches
        ``max_epochs`` (> ``patience``) with an improvement in its last ``patience`` epochs warns
        (``sklearn.exceptions.ConvergenceWarning``).
    scheduler:
        ``"plateau"`` (halve the learning rate after ``patience // 2`` flat epochs) or ``None``.
    seed:
        Seed of the batch shuffling.
    progress:
        Show progress (default ``None``: a bar when stderr is a terminal; under the command line, periodic log lines
        otherwise; see :mod:`binn_graph._progress`).
    device:
        Where the steps run (None: where the model is). ``X`` and ``y`` may stay on the CPU (compact dtypes too):
        each mini-batch is moved there on its own. The caller moves the model and a loss module holding tensors.
    """

    max_epochs: int = 200
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    l1: float = 0.0
    l2: float = 0.0
    patience: int = 20
    scheduler: str | None = "plateau"
    seed: int = 0
    progress: bool | None = None
    device: str | None = None

    def fit(self, model: nn.Module, loss_fn: Callable[[Tensor, Tensor], Tensor], X, y: Tensor,
            X_val=None, y_val: Tensor | None = None,
            val_loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None) -> TrainingHistory:
        """Train ``model`` in place; restores the best validation weights when validation data is given.

        ``X`` and ``X_val`` are tensors ``[samples, inputs]`` or row sources streamed from disk (module docstring,
        "Rows streamed from disk"); ``y``/``y_val`` are tensors with one row per sample. ``val_loss_fn`` (default
        ``loss_fn``) scores the validation data for early stopping and the schedule, e.g. the task loss alone when
        ``loss_fn`` adds auxiliary terms; it must be a mean over samples when ``X_val`` is streamed.
        """
        context = distributed_context()
        if context is not None:
            import torch.distributed as dist

            check_consistent(_settings(self, model, X, y, X_val), context)
            with torch.no_grad():
                for p in model.parameters():  # every rank starts from rank 0's weights
                    dist.broadcast(p, src=0)
        optimizer = self.optimizer(model)
        sched = (torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=max(1, self.patience // 2))
                 if self.scheduler == "plateau" and X_val is not None else None)
        generator = torch.Generator().manual_seed(int(self.seed))
        history = TrainingHistory()
        best_state, best_loss, waited = None, float("inf"), 0
        n = len(X)
        batch_size = max(1, min(self.batch_size, n))
        bar = progress(range(self.max_epochs), desc="training", unit="epoch",
                       enabled=self.progress if context is None or context.is_main else False)
        edge_weights = model.edge_weights() if hasattr(model, "edge_weights") else []
        for epoch in bar:
            model.train()
            order = torch.randperm(n, generator=generator)
            total = 0.0
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                if len(idx) < 2 and n >= 2 and _has_batchnorm(model):
                    continue  # batch norm needs two samples; the remainder joins the next epoch's shuffle
                optimizer.zero_grad(set_to_none=True)
                if context is None:
                    loss = loss_fn(model(self._batch(X, idx)), y[idx].to(self.device or y.device))
                    penalty = self._penalty(edge_weights)
                    (loss + penalty).backward()
                    total += float(loss.detach()) * len(idx)
                else:
                    if len(idx) < context.world_size:
                        continue  # a share for every rank
                    share = idx[context.rank::context.world_size]  # the distributed sampler
                    loss = loss_fn(model(self._batch(X, share)), y[share].to(self.device or y.device))
                    # weighted by the share's size, summed over ranks: the mean over the global batch
                    (loss * (len(share) / len(idx)) + self._penalty(edge_weights) / context.world_size).backward()
                    total += _all_reduce_gradients(model, float(loss.detach()) * len(share))
                optimizer.step()
            history.train_loss.append(total / n)
            if X_val is not None:
                val = self._validation_loss(model, val_loss_fn or loss_fn, X_val, y_val)
                history.val_loss.append(val)
                if sched is not None:
                    sched.step(val)
                if val < best_loss - 1e-7:
                    best_loss, waited, history.best_epoch = val, 0, epoch
                    best_state = copy.deepcopy(model.state_dict())
                else:
                    waited += 1
                    if waited >= self.patience:
                        history.stopped_early = True
                        break
                bar.set_postfix(train=f"{history.train_loss[-1]:.4f}", val=f"{val:.4f}")
            else:
                history.best_epoch = epoch
                bar.set_postfix(train=f"{history.train_loss[-1]:.4f}")
        bar.close()
        if (X_val is not None and not history.stopped_early and len(history.val_loss) == self.max_epochs
                and self.patience < self.max_epochs and (context is None or context.is_main)):
            warnings.warn(f"training hit max_epochs={self.max_epochs} while the validation loss was still improving "
                          f"(best epoch {history.best_epoch + 1} of {self.max_epochs}); raise max_epochs or lr",
                          ConvergenceWarning, stacklevel=3)
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()
        return history

    def _batch(self, X, idx: Tensor | None) -> Tensor:
        """Rows ``idx`` of ``X`` (all rows when None; read from a streamed source) as float32 on this trainer's
        device."""
        if _streamed(X):
            rows = X.read(np.arange(len(X)) if idx is None else idx.numpy())
        else:
            rows = X if idx is None else X[idx]
        return _as_float(rows if self.device is None else rows.to(self.device, non_blocking=True))

    def _validation_loss(self, model: nn.Module, loss_fn, X_val, y_val: Tensor) -> float:
        """The validation loss; a streamed ``X_val`` is predicted ``batch_size`` rows at a time (only its outputs
        are held, ``[samples, outputs]``) and scored once on all of them."""
        y_val = y_val.to(self.device or y_val.device)
        if not _streamed(X_val):
            return self.evaluate(model, loss_fn, self._batch(X_val, None), y_val)
        model.eval()
        with torch.no_grad():
            chunks = [model(self._batch(X_val, torch.arange(start, min(start + self.batch_size, len(X_val)))))
                      for start in range(0, len(X_val), max(1, self.batch_size))]
            return float(loss_fn(torch.cat(chunks), y_val))

    def optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        """Adam with this trainer's ``lr`` and ``weight_decay``; the fused kernel (one call for all parameter tensors)
        where this torch build has it.

        ``weight_decay`` is Adam's *coupled* L2 on every parameter, batch-norm scales included. Adam normalises it
        with the gradient, so a node whose loss gradient stays weak has its batch-norm scale driven to ~0: the
        model prunes whole nodes (on a planted full-Reactome study about 70 % of the pathway nodes end constant).
        That pruning is what the defaults benchmark rewards: with AdamW's decoupled decay, or with batch-norm
        parameters left undecayed, the planted-Reactome ROC-AUC falls from 0.79 to 0.51 (benchmarks/RESULTS.md,
        "Defaults"). A pruned node has importance 0 in :func:`binn_graph.explain`.
        """
        try:
            return torch.optim.Adam(model.parameters(), lr=self.lr, weight_decay=self.weight_decay, fused=True)
        except (RuntimeError, TypeError, ValueError):  # pragma: no cover - builds without the fused CPU kernel
            return torch.optim.Adam(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)

    def _penalty(self, weights: list[Tensor]) -> Tensor | float:
        """The l1/l2 penalty on the edge weights (0.0 when neither is set)."""
        if not weights or (self.l1 == 0 and self.l2 == 0):
            return 0.0
        out = 0.0
        for w in weights:
            if self.l1:
                out = out + self.l1 * w.abs().sum()
            if self.l2:
                out = out + self.l2 * (w * w).sum()
        return out

    @staticmethod
    @torch.no_grad()
    def evaluate(model: nn.Module, loss_fn, X: Tensor, y: Tensor) -> float:
        """Mean loss of ``model`` on ``(X, y)`` in evaluation mode, without gradients."""
        model.eval()
        return float(loss_fn(model(_as_float(X)), y))


def _streamed(X) -> bool:
    """A row source read from disk (``read``/``fingerprint``), not an in-memory tensor."""
    return not isinstance(X, Tensor) and hasattr(X, "read") and hasattr(X, "fingerprint")


def _as_float(x: Tensor) -> Tensor:
    """Compact inputs (int8 genotype dosages, float16) are converted batch by batch."""
    return x if x.dtype == torch.float32 else x.to(torch.float32)


def _has_batchnorm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def save_checkpoint(path: str | PathLike, model: nn.Module, spec: dict) -> None:
    """Save weights plus a plain-data spec (architecture, config, preprocessing): no pickled objects.

    In a distributed run only rank 0 writes (:func:`is_main_process`). The file is written completely or not at
    all (:func:`binn_graph.io.atomic_output`): an interrupted save leaves any earlier checkpoint untouched and no
    partial file.
    """
    if not is_main_process():
        return
    payload = {"version": CHECKPOINT_VERSION, "state_dict": model.state_dict(), "spec": spec}
    with atomic_output(Path(path)) as out:
        torch.save(payload, out)


def load_checkpoint(path: str | PathLike) -> dict:
    """Load a checkpoint with ``weights_only=True`` (tensors and plain containers only)."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: checkpoint file does not exist")
    try:
        payload = torch.load(p, weights_only=True, map_location="cpu")
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError...
        raise CheckpointError(f"{p}: not a loadable binn-graph checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(payload, dict) or payload.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{p}: unsupported checkpoint version {payload.get('version') if isinstance(payload, dict) else None!r}")
    return payload


def to_tensor(values: np.ndarray) -> Tensor:
    """``values`` as a contiguous float32 tensor (shares memory where it already is one)."""
    return torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))
