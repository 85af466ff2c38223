"""Distributed data-parallel training: 2 gloo processes give the parameters of 1 process with the same global batch;
only rank 0 writes a checkpoint; ranks launched with different settings stop with an error naming the difference.
The device parameter: "auto" falls back to the CPU, "cuda" without a GPU is refused, a CUDA fit matches the CPU."""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from binn_graph import BINNRegressor
from binn_graph.errors import ParameterError
from binn_graph.training import DistributedSettingsError, distributed_context, is_main_process

from .conftest import leave_rank_process, synthetic_graph

# 128 samples in global batches of 25: shares of 13 and 12, and a last batch of 3 (2 + 1): uneven shares on purpose
PARAMS = dict(norm=None, validation_fraction=0.0, max_epochs=3, batch_size=25, lr=0.01, random_state=0)


def _data():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(128, 30)), columns=[f"x{i}" for i in range(30)],
                     index=[f"s{i}" for i in range(128)])
    y = pd.Series(X[["x3", "x13", "x23"]].sum(axis=1) + 0.1 * rng.normal(size=128), index=X.index)
    return synthetic_graph(30, 3), X, y


def _rank(rank: int, world: int, folder: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=world)
    out = Path(folder)
    try:
        context = distributed_context()
        graph, X, y = _data()
        est = BINNRegressor(graph, **PARAMS).fit(X, y)
        est.save(out / f"model_rank{rank}.pt")
        torch.save({k: v.detach().clone() for k, v in est.model_.state_dict().items()}, out / f"state{rank}.pt")
        (out / f"loss{rank}.json").write_text(json.dumps({"loss": est.history_.train_loss, "main": is_main_process(),
                                                          "context": [context.rank, context.world_size]}))
        try:  # rank 1 launched with another batch size
            BINNRegressor(graph, **{**PARAMS, "batch_size": 25 + rank}).fit(X, y)
        except DistributedSettingsError as exc:
            (out / f"error{rank}.txt").write_text(str(exc))
    finally:
        dist.destroy_process_group()
    leave_rank_process()  # reached only when the work above succeeded


def test_two_gloo_processes_equal_one_process(tmp_path):
    graph, X, y = _data()
    single = BINNRegressor(graph, **PARAMS).fit(X, y)
    assert distributed_context() is None and is_main_process()
    env = {k: os.environ.pop(k) for k in ("WORLD_SIZE", "RANK") if k in os.environ}
    try:
        mp.spawn(_rank, args=(2, str(tmp_path)), nprocs=2, join=True)
    finally:
        os.environ.update(env)
    states = [torch.load(tmp_path / f"state{r}.pt") for r in range(2)]
    for name, value in single.model_.state_dict().items():
        torch.testing.assert_close(states[0][name], value, rtol=1e-5, atol=1e-6, msg=name)
        assert torch.equal(states[0][name], states[1][name])  # the ranks hold identical weights
    runs = [json.loads((tmp_path / f"loss{r}.json").read_text()) for r in range(2)]
    np.testing.assert_allclose(runs[0]["loss"], single.history_.train_loss, rtol=1e-5)
    assert runs[0]["loss"] == runs[1]["loss"]  # the epoch loss is the global one on every rank
    assert [r["main"] for r in runs] == [True, False] and [r["context"] for r in runs] == [[0, 2], [1, 2]]
    assert (tmp_path / "model_rank0.pt").is_file() and not (tmp_path / "model_rank1.pt").exists()
    for r in range(2):
        message = (tmp_path / f"error{r}.txt").read_text()
        assert "rank 1: batch_size=26 but rank 0 has 25" in message and "same command, data and seed" in message


def test_device_auto_falls_back_to_cpu_and_cuda_without_gpu_is_refused():
    graph, X, y = _data()
    cpu = BINNRegressor(graph, **PARAMS).fit(X, y)
    auto = BINNRegressor(graph, **PARAMS, device="auto").fit(X, y)
    if not torch.cuda.is_available():  # "auto" on a machine without CUDA is exactly the CPU fit
        np.testing.assert_array_equal(auto.predict(X), cpu.predict(X))
        with pytest.raises(ParameterError, match="device='cuda' but torch sees no CUDA device here"):
            BINNRegressor(graph, **PARAMS, device="cuda").fit(X, y)
    with pytest.raises(ParameterError, match="device"):
        BINNRegressor(graph, **PARAMS, device="tpu").fit(X, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_matches_cpu_within_float_tolerance():
    graph, X, y = _data()
    for norm in (None, "batch"):
        cpu = BINNRegressor(graph, **{**PARAMS, "norm": norm}).fit(X, y)
        gpu = BINNRegressor(graph, **{**PARAMS, "norm": norm}, device="cuda").fit(X, y)
        assert next(gpu.model_.parameters()).device.type == "cpu" and gpu.model_.use_engine  # back on the CPU
        np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), rtol=1e-3, atol=1e-4)


def _context_in_task(_):
    return distributed_context()


def test_refits_run_by_run_tasks_never_join_a_distributed_run(monkeypatch):
    from binn_graph.parallel import in_task, run_tasks

    monkeypatch.setenv("WORLD_SIZE", "2")  # as a worker launched under torchrun inherits it
    monkeypatch.setenv("RANK", "0")
    assert run_tasks(_context_in_task, [0, 1], n_jobs=1) == [None, None] and not in_task()
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    with pytest.raises(ValueError, match="MASTER_ADDR"):  # outside a task the same environment means torchrun
        distributed_context()
