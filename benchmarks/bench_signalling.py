"""Signalling networks on LEMBAS's data: ligand-screen cross-validation (with a rewired-PKN control), one-epoch speed
side by side with LEMBAS's own code, and the synthetic KEGGnet with its ground-truth parameters.

The data folder is ``shared/data/signalling/lembas`` (MIT; see its README)::

    python benchmarks/bench_signalling.py cv --data DIR --folds 0-27 --out cv.tsv     # SignalingNetwork's defaults
    python benchmarks/bench_signalling.py speed --data DIR --lembas /tmp/LEMBAS/Model --epochs 3 --rounds 2
    python benchmarks/bench_signalling.py keggnet --data DIR --ligands 3 --n 800 --epochs 200
    python benchmarks/bench_signalling.py spiked --data DIR --n-spiked 100 --epochs 200
    python benchmarks/bench_signalling.py pool cv_a.predictions.tsv cv_b.predictions.tsv
    python benchmarks/bench_signalling.py lembas-models --data DIR --lembas /tmp/LEMBAS/Model --folds 0-27
    python benchmarks/bench_signalling.py twostage --data DIR --folds 0-27 --cache edges.tsv --out twostage.tsv
    python benchmarks/bench_signalling.py pool-twostage twostage_a.predictions.tsv twostage_b.predictions.tsv

``--lembas`` is a folder holding LEMBAS's ``bionetwork.py`` and ``activationFunctions.py`` (fetch
Lauffenburger-Lab/LEMBAS yourself; it is only imported for the measurement, never copied). LEMBAS's training step is
its ``Model/ligandScreenCrossValidation.py`` loop with the same constants; each side runs in its own process (for its
peak memory), the two alternating round by round so that both see the same machine load. ``lembas-models`` also
needs LEMBAS's ``Model/plotting.py`` and its ``Model/CVligandScreen/MML_model_<k>.pt``: its own trained
cross-validation models, evaluated on their held-out conditions (the anchor, measured here) and, with the same
weights copied by edge id, through ``SignalingNetwork``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from binn_graph.signalling import SignalingNetwork, SteadyStateError  # noqa: E402
from kg.sources import lembas  # noqa: E402


def _parse_folds(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def load_screen(data: Path):
    """The ligand-screen graph, X (conditions × ligands), Y (conditions × TFs) and the CV folds."""
    graph = lembas.load(data / "ligandScreen-Model.tsv", annotation=data / "ligandScreen-Annotation.tsv")
    X = pd.read_csv(data / "ligandScreen-Ligands.tsv", sep="\t", index_col=0)
    Y = pd.read_csv(data / "ligandScreen-TFs.tsv", sep="\t", index_col=0)
    folds = pd.read_csv(data / "ligandScreen-CVconditions.tsv", sep="\t")
    return graph, X, Y, folds


def rewired(graph, seed: int):
    """The graph with its protein→protein signed edges rewired (degrees kept), signs shuffled with them."""
    et = ("protein", "regulates", "protein")
    return graph.rewire(et, seed=seed)


def _estimator(graph, args, seed):
    return SignalingNetwork(graph, max_epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                            max_iter=args.max_iter, spectral_limit=getattr(args, "spectral_limit", None),
                            random_state=seed)


def cmd_cv(args) -> None:
    graph, X, Y, folds = load_screen(Path(args.data))
    graphs = {"pkn": graph}
    if args.rewired:
        graphs["rewired"] = rewired(graph, seed=0)
    rows, preds = [], []
    load = os.getloadavg()[0]
    for fold in _parse_folds(args.folds):
        test = folds.loc[folds["Index"] == fold, "Condition"].tolist()
        train = [c for c in X.index if c not in test]
        for name, g in graphs.items():
            start = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = _estimator(g, args, seed=fold).fit(X.loc[train], Y.loc[train])
                pred = model.predict(X.loc[test])
            except SteadyStateError as exc:  # reported as a result: the fitted model does not reach a steady state
                rows.append({"fold": fold, "graph": name, "held_out": ";".join(test), "r": float("nan"),
                             "error": str(exc)[:120], "seconds": time.perf_counter() - start})
                print(json.dumps(rows[-1]), flush=True)
                continue
            obs = Y.loc[test, pred.columns]
            r = float(np.corrcoef(pred.to_numpy().ravel(), obs.to_numpy().ravel())[0, 1])
            rows.append({"fold": fold, "graph": name, "held_out": ";".join(test), "r": r,
                         "train_loss": float(model.history_["loss"].iloc[-1]),
                         "radius": model.spectral_radius_, "seconds": time.perf_counter() - start})
            print(json.dumps(rows[-1]), flush=True)
            long = pred.stack().rename("predicted").to_frame().join(obs.stack().rename("measured"))
            preds.append(long.assign(fold=fold, graph=name))
    table = pd.DataFrame(rows)
    allp = pd.concat(preds).reset_index(names=["condition", "tf"])
    summary = {}
    for name, part in allp.groupby("graph"):
        per_fold = table.loc[table["graph"] == name, "r"]
        summary[name] = {"pooled_r": float(np.corrcoef(part["predicted"], part["measured"])[0, 1]),
                         "mean_fold_r": float(per_fold.mean()), "failed_fits": int(per_fold.isna().sum()),
                         "conditions": int(part["condition"].nunique()), "folds": int(part["fold"].nunique())}
    print(json.dumps({"summary": summary, "epochs": args.epochs, "lr": args.lr, "load_at_start": load}))
    if args.out:
        table.to_csv(args.out, sep="\t", index=False)
        allp.to_csv(Path(args.out).with_suffix(".predictions.tsv"), sep="\t", index=False)


# ---------------------------------------------------------------------------------------------- speed
def _ours_epochs(data: Path, epochs: int) -> dict:
    graph, X, Y, _ = load_screen(data)
    model = SignalingNetwork(graph, max_epochs=epochs, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, Y)
    return {"side": "binn-graph", "epoch_seconds": model.history_["seconds"].tolist()}


def _lembas_epochs(data: Path, folder: Path, epochs: int) -> dict:
    import torch

    sys.path.insert(0, str(folder))
    import bionetwork  # LEMBAS's module, imported from the folder given on the command line

    torch.set_num_threads(1)
    networkList, nodeNames, modeOfAction = bionetwork.loadNetwork(str(data / "ligandScreen-Model.tsv"))
    params = bionetwork.trainingParameters(iterations=150, clipping=5, leak=0.01, spectralTarget=0.9)
    X = pd.read_csv(data / "ligandScreen-Ligands.tsv", sep="\t", index_col=0)
    Y = pd.read_csv(data / "ligandScreen-TFs.tsv", sep="\t", index_col=0)
    inName = np.intersect1d(nodeNames, X.columns.values)
    outName = np.intersect1d(nodeNames, Y.columns.values)
    model = bionetwork.model(networkList, nodeNames, modeOfAction, 3, 1.2, inName, outName, params, "MML",
                             torch.double)
    model.inputLayer.weights.requires_grad = False
    model.network.preScaleWeights(0.7)
    Xt = torch.tensor(X.loc[:, inName].values.copy(), dtype=torch.double)
    Yt = torch.tensor(Y.loc[:, outName].values.copy(), dtype=torch.double)
    N = Xt.shape[0]
    criterion = torch.nn.MSELoss(reduction="mean")
    optimizer = torch.optim.Adam(model.parameters(), lr=1, weight_decay=0)
    loader = torch.utils.data.DataLoader(range(N), batch_size=5, shuffle=True)
    state = 0.5 * torch.ones((N, model.network.bias.shape[0]), dtype=torch.double)
    times = []
    for e in range(epochs):
        start = time.perf_counter()
        optimizer.param_groups[0]["lr"] = bionetwork.oneCycle(e, 8000, maxHeight=1e-3, startHeight=1e-4,
                                                              endHeight=1e-5, peak=1000)
        for idx in loader:
            optimizer.zero_grad()
            dataIn, dataOut = Xt[idx, :], Yt[idx, :]
            Yin = model.inputLayer(dataIn)
            Yin = Yin + 1e-3 * torch.randn(Yin.shape)
            full = model.network(Yin)
            Yhat = model.projectionLayer(full)
            state[idx, :] = full.detach()
            fit = criterion(Yhat, dataOut)
            sign = 1e-1 * torch.sum(torch.abs(model.network.weights[model.network.getViolations(model.network.weights)]))
            stateLoss = 1e-5 * bionetwork.uniformLoss(state, idx, full, maxConstraintFactor=1, targetMax=1 / 1.2)
            bias = 1e-6 * torch.sum(torch.square(model.network.bias))
            weight = 1e-6 * torch.sum(torch.square(model.network.weights))
            srl, _ = bionetwork.spectralLoss(model.network, full.detach(), model.network.weights, expFactor=10)
            proj = 1e-4 * torch.sum(torch.square(model.projectionLayer.weights - 1.2))
            lig = 1e-4 * torch.sum(torch.square(model.network.bias[model.inputLayer.nodeOrder, :]))
            loss = fit + sign + 1e-3 * srl + proj + weight + lig + stateLoss + bias
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return {"side": "LEMBAS", "epoch_seconds": times}


def cmd_speed_worker(args) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = (_ours_epochs(Path(args.data), args.epochs) if args.side == "ours"
               else _lembas_epochs(Path(args.data), Path(args.lembas), args.epochs))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out))


def cmd_speed(args) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    results = {"binn-graph": [], "LEMBAS": []}
    peaks = {}
    for rnd in range(args.rounds):
        for side in ("ours", "lembas"):
            load = os.getloadavg()[0]
            cmd = [sys.executable, __file__, "_speed_worker", "--side", side, "--data", args.data, "--epochs",
                   str(args.epochs), "--lembas", args.lembas]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                raise SystemExit(f"{side} failed:\n{proc.stdout}\n{proc.stderr}")
            out = json.loads(line[7:])
            results[out["side"]].extend(out["epoch_seconds"])
            peaks[out["side"]] = max(peaks.get(out["side"], 0), out["peak_rss_mb"])
            print(json.dumps({"round": rnd, **out, "load": load}), flush=True)
    med = {k: float(np.median(v)) for k, v in results.items()}
    print(json.dumps({"median_epoch_seconds": med, "speedup": med["LEMBAS"] / med["binn-graph"],
                      "peak_rss_mb": peaks, "epochs_each": {k: len(v) for k, v in results.items()}}))


# ---------------------------------------------------------------------------------------------- KEGGnet
def keggnet_truth(data: Path):
    """The KEGGnet graph and a SignalingModule holding the ground-truth parameters."""
    import torch

    from binn_graph.signalling import SignalingModule, signed_edges

    graph = lembas.load(data / "KEGGnet-Model.tsv", annotation=data / "KEGGnet-Annotation.tsv")
    params = pd.read_csv(data / "KEGGnet-equationParams.txt", sep="\t")
    nodes = graph.nodes("protein")
    ligands = nodes.loc[nodes["ligand"].astype(bool), "id"].tolist()
    tfs = nodes.loc[nodes["tf"].astype(bool), "id"].tolist()
    edges = signed_edges(graph)
    ids = list(pd.unique(pd.concat([edges["source"], edges["target"]], ignore_index=True)))
    pos = {n: i for i, n in enumerate(ids)}
    truth = SignalingModule(ids, edges["source"].map(pos), edges["target"].map(pos), edges["sign"], ligands, tfs,
                            input_gain=3.0, projection_gain=1.2, max_iter=2000)
    w = params[params["Type"] == "Weight"].set_index(["Source", "Target"])["Value"]
    b = params[params["Type"] == "Bias"].set_index("Source")["Value"]
    with torch.no_grad():
        truth.weight.copy_(torch.as_tensor(w.reindex(pd.MultiIndex.from_frame(edges[["source", "target"]])).to_numpy()))
        truth.bias.copy_(torch.as_tensor(b.reindex(ids).to_numpy()))
    return graph, truth, ligands, tfs


def synthetic_inputs(ligands, n: int, k: int, rng, design: str = "distinct") -> pd.DataFrame:
    """Synthetic ligand levels, row 0 all zero (the control).

    ``"distinct"``: every other row U(0, 1) on ``k`` distinct random ligands. ``"lembas"``: LEMBAS's
    ``synthNetDataScreen.py``: row ``i`` stimulates ligand ``(i - 1) mod n_ligands`` (every ligand at least once when
    ``n > n_ligands``) plus ``k - 1`` ligands drawn with replacement. ``"test"``: LEMBAS's test design
    (``synthNetDataScreenResults.py``): ``k`` ligands drawn with replacement in every row, row 0 included.
    """
    X = np.zeros((n, len(ligands)))
    for i in range(0 if design == "test" else 1, n):
        if design == "distinct":
            X[i, rng.choice(len(ligands), size=k, replace=False)] = rng.uniform(size=k)
        elif design == "lembas":
            X[i, (i - 1) % len(ligands)] = rng.uniform()
            X[i, rng.integers(0, len(ligands), k - 1)] = rng.uniform(size=k - 1)
        else:
            X[i, rng.integers(0, len(ligands), k)] = rng.uniform(size=k)
    return pd.DataFrame(X, columns=ligands, index=[f"c{i}" for i in range(n)])


def cmd_keggnet(args) -> None:
    import torch

    graph, truth, ligands, tfs = keggnet_truth(Path(args.data))
    rng = np.random.default_rng(0)
    if args.design == "lembas":  # train as synthNetDataScreen.py, test on 5 random ligands as the paper's figure
        Xtr = synthetic_inputs(ligands, args.n, args.ligands, rng, "lembas")
        Xte = synthetic_inputs(ligands, args.n_test, args.test_ligands, rng, "test")
    else:
        Xtr = synthetic_inputs(ligands, args.n, args.ligands, rng)
        Xte = synthetic_inputs(ligands, 200, args.ligands, rng).iloc[1:]
    Xte.index = [f"t{i}" for i in range(len(Xte))]
    with torch.no_grad():
        Ytr = pd.DataFrame(truth(torch.as_tensor(Xtr.to_numpy())).numpy(), index=Xtr.index, columns=tfs)
        Yte = pd.DataFrame(truth(torch.as_tensor(Xte.to_numpy())).numpy(), index=Xte.index, columns=tfs)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SignalingNetwork(graph, max_epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                                 max_iter=args.max_iter, noise=args.noise, spectral_target=args.spectral_target,
                                 random_state=0).fit(Xtr, Ytr)
    fit_seconds = time.perf_counter() - start
    pred = model.predict(Xte)
    r = float(np.corrcoef(pred.to_numpy().ravel(), Yte.to_numpy().ravel())[0, 1])
    r_train = float(np.corrcoef(model.predict(Xtr).to_numpy().ravel(), Ytr.to_numpy().ravel())[0, 1])
    # knockouts: each of 20 random signalling nodes, on the test inputs, against the ground truth
    inner = [n for n in truth.node_ids if n not in set(ligands) | set(tfs)]
    ko_nodes = list(rng.choice(inner, size=20, replace=False))
    print(json.dumps({"test_r": r, "train_r": r_train, "fit_seconds": fit_seconds}), flush=True)
    ko_r, ko_p, ko_t, no_steady = [], [], [], {"truth": 0, "model": 0}
    for node in ko_nodes:
        try:  # a knockout can leave the ground-truth network (or the model) oscillating: counted, not compared
            with torch.no_grad():
                t = truth(torch.as_tensor(Xte.to_numpy()), knockout=[node]).numpy() - Yte.to_numpy()
        except SteadyStateError:
            no_steady["truth"] += 1
            continue
        try:
            p = model.predict(Xte, knockout=[node]).to_numpy() - pred.to_numpy()
        except SteadyStateError:
            no_steady["model"] += 1
            continue
        ko_p.append(p.ravel())
        ko_t.append(t.ravel())
        ko_r.append(float(np.corrcoef(p.ravel(), t.ravel())[0, 1]))
    pooled_ko = float(np.corrcoef(np.concatenate(ko_p), np.concatenate(ko_t))[0, 1])
    print(json.dumps({"design": args.design, "ligands": args.ligands, "n_train": args.n, "n_test": len(Xte),
                      "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "train_r": r_train,
                      "test_r": r, "knockout_effect_r_median": float(np.nanmedian(ko_r)),
                      "knockout_effect_r_pooled": pooled_ko, "knockouts": len(ko_nodes),
                      "knockouts_without_steady_state": no_steady,
                      "final_train_mse": float(model.history_["loss"].iloc[-1]),
                      "fit_seconds": fit_seconds, "seconds_per_epoch": float(model.history_["seconds"].median()),
                      "load": os.getloadavg()[0]}))


# ---------------------------------------------------------------------------------------------- LEMBAS's own CV models
def cmd_lembas_models(args) -> None:
    """The anchor measured here: LEMBAS's own trained cross-validation models (``Model/CVligandScreen/MML_model_<k>.pt``
    of its repository, 8,000 epochs each) on their held-out conditions, with LEMBAS's forward pass, and the same
    weights copied by (source, target) id into a ``SignalingNetwork`` and run through ours."""
    import torch

    folder = Path(args.lembas)
    sys.path.insert(0, str(folder))  # LEMBAS's bionetwork module, needed to unpickle its models (measurement only)
    graph, X, Y, folds = load_screen(Path(args.data))
    net = pd.read_csv(Path(args.data) / "ligandScreen-Model.tsv", sep="\t")
    names = sorted(set(net["source"]) | set(net["target"]))  # LEMBAS's node order (numpy.unique of the ids)
    rows, preds = [], []
    for fold in _parse_folds(args.folds):
        test = folds.loc[folds["Index"] == fold, "Condition"].tolist()
        train = [c for c in X.index if c not in test]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.load(folder / "CVligandScreen" / f"MML_model_{fold}.pt", weights_only=False)
        in_ids = [names[i] for i in theirs.inputLayer.nodeOrder]
        out_ids = [names[i] for i in theirs.projectionLayer.nodeOrder]
        with torch.no_grad():
            lembas_pred = theirs(torch.as_tensor(X.loc[test, in_ids].to_numpy()))[0].numpy()
        lembas_pred = pd.DataFrame(lembas_pred, index=test, columns=out_ids)
        # the same weights in our model, matched by id (LEMBAS's networkList: row 0 = target, row 1 = source)
        weight = pd.Series(theirs.network.weights.detach().numpy(),
                           index=pd.MultiIndex.from_arrays([[names[i] for i in theirs.network.networkList[1]],
                                                            [names[i] for i in theirs.network.networkList[0]]]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = SignalingNetwork(graph, max_epochs=0, max_iter=args.max_iter).fit(X.loc[train, in_ids],
                                                                                  Y.loc[train, out_ids])
        m = ours.model_
        src = [m.node_ids[i] for i in m.structure.sources.tolist()]
        dst = [m.node_ids[i] for i in m.structure.targets.tolist()]
        bias = pd.Series(theirs.network.bias.detach().numpy()[:, 0], index=names)
        gain = pd.Series(theirs.projectionLayer.weights.detach().numpy(), index=out_ids)
        with torch.no_grad():
            m.weight.copy_(torch.as_tensor(weight.reindex(pd.MultiIndex.from_arrays([src, dst])).to_numpy()))
            m.bias.copy_(torch.as_tensor(bias.reindex(m.node_ids).to_numpy()))
            m.projection.copy_(torch.as_tensor(gain.reindex(m.output_ids).to_numpy()))
        obs = Y.loc[test, out_ids]
        try:
            our_pred = ours.predict(X.loc[test, in_ids])[out_ids]
            diff = float(np.abs(our_pred.to_numpy() - lembas_pred.to_numpy()).max())
            r_ours = float(np.corrcoef(our_pred.to_numpy().ravel(), obs.to_numpy().ravel())[0, 1])
        except SteadyStateError as exc:
            diff, r_ours = float("nan"), float("nan")
            print(json.dumps({"fold": fold, "ours_error": str(exc)[:160]}))
        r = float(np.corrcoef(lembas_pred.to_numpy().ravel(), obs.to_numpy().ravel())[0, 1])
        rows.append({"fold": fold, "held_out": ";".join(test), "r_lembas": r, "r_ours_with_lembas_weights": r_ours,
                     "max_abs_difference": diff})
        print(json.dumps(rows[-1]), flush=True)
        long = lembas_pred.stack().rename("predicted").to_frame().join(obs.stack().rename("measured"))
        preds.append(long.assign(fold=fold, graph="lembas"))
    allp = pd.concat(preds)
    table = pd.DataFrame(rows)
    print(json.dumps({"pooled_r_lembas": float(np.corrcoef(allp["predicted"], allp["measured"])[0, 1]),
                      "mean_fold_r_lembas": float(table["r_lembas"].mean()),
                      "largest_difference_ours_vs_lembas": float(table["max_abs_difference"].max()),
                      "folds": len(table)}))
    if args.out:
        table.to_csv(args.out, sep="\t", index=False)
        allp.reset_index(names=["condition", "tf"]).to_csv(Path(args.out).with_suffix(".predictions.tsv"), sep="\t",
                                                          index=False)


# ---------------------------------------------------------------------------------------------- two stages (6a)
def context_per_condition(graph, X, Y, *, control: str, threshold: float, lambda_reg: float, time_limit: float):
    """CARNIVAL once per condition (not the control) on the shortest-path sub-network from its ligands to its
    measured TFs; measurements = TF activity minus the control's, |m| >= ``threshold``. Returns one row per
    selected edge (``condition, source, target, sign``) and one status row per condition."""
    from binn_graph.context import carnival, shortest_path_nodes

    M = Y - Y.loc[control]
    edges, status = [], []
    for cond in X.index:
        if cond == control:
            continue
        start = time.perf_counter()
        ligands = [c for c in X.columns[X.loc[cond] > 0]]
        m = M.loc[cond]
        m = m[m.abs() >= threshold]
        keep = shortest_path_nodes(graph, ligands, m.index)
        kept = set(keep)
        inputs = X.loc[cond, [c for c in ligands if c in kept]]
        meas = m[[c for c in m.index if c in kept and c not in set(inputs.index)]]
        if inputs.empty or meas.empty:
            status.append({"condition": cond, "status": "skipped: no ligand reaches a measured TF", "objective": np.nan,
                           "nodes": len(keep), "edges": 0, "seconds": time.perf_counter() - start})
            continue
        sub = graph.subgraph({t: keep for t in graph.node_types})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = carnival(sub, inputs, meas, lambda_reg=lambda_reg, time_limit=time_limit)
        chosen = res.selected_edges()
        sign = chosen[res.samples[0]]
        edges.append(pd.DataFrame({"condition": cond, "source": chosen["source"], "target": chosen["target"],
                                   "signal": sign}))
        status.append({"condition": cond, "status": res.status, "objective": res.objective,
                       "error": res.objectives.get(f"error_{res.samples[0]}_0", np.nan),
                       "sum_abs_m": float(meas.abs().sum()), "nodes": len(keep), "edges": len(chosen),
                       "seconds": time.perf_counter() - start})
        print(json.dumps(status[-1]), flush=True)
    return pd.concat(edges, ignore_index=True), pd.DataFrame(status)


def edge_subgraph(graph, pairs: set):
    """The graph restricted to the ``regulates`` edges whose ``(source, target)`` is in ``pairs`` and their ends."""
    from kg import KnowledgeGraph

    edge_tables, keep = {}, {}
    for et in graph.edge_types:
        if et[1] != "regulates":
            continue
        table = graph.edges(et)
        mask = [(s, t) in pairs for s, t in zip(table["source"].astype(str), table["target"].astype(str))]
        edge_tables[et] = table[np.asarray(mask, dtype=bool)].reset_index(drop=True)
        keep.setdefault(et[0], set()).update(edge_tables[et]["source"].astype(str))
        keep.setdefault(et[2], set()).update(edge_tables[et]["target"].astype(str))
    nodes = {t: graph.nodes(t)[graph.nodes(t)["id"].astype(str).isin(ids)].reset_index(drop=True)
             for t, ids in keep.items()}
    return KnowledgeGraph.from_tables(nodes, edge_tables)


def _n_params(model) -> int:
    return int(sum(p.numel() for p in model.model_.parameters()))


def cmd_twostage(args) -> None:
    """Issue 16 item 6(a): PKN → CARNIVAL context network of the training conditions → SignalingNetwork."""
    graph, X, Y, folds = load_screen(Path(args.data))
    cache = Path(args.cache) if args.cache else None
    load = os.getloadavg()[0]
    if cache is not None and cache.exists():
        per_edge = pd.read_csv(cache, sep="\t")
    else:
        start = time.perf_counter()
        per_edge, status = context_per_condition(graph, X, Y, control=args.control, threshold=args.threshold,
                                                 lambda_reg=args.lambda_reg, time_limit=args.time_limit)
        print(json.dumps({"carnival_conditions": len(status), "optimal": int((status["status"] == "optimal").sum()),
                          "carnival_seconds": time.perf_counter() - start,
                          "median_error_fraction": float((status["error"] / status["sum_abs_m"]).median())}))
        if cache is not None:
            per_edge.to_csv(cache, sep="\t", index=False)
            status.to_csv(cache.with_suffix(".status.tsv"), sep="\t", index=False)
    rows, preds = [], []
    for fold in _parse_folds(args.folds):
        test = folds.loc[folds["Index"] == fold, "Condition"].tolist()
        train = [c for c in X.index if c not in test]
        chosen = per_edge[per_edge["condition"].isin(train)]  # the held-out conditions never enter
        context = edge_subgraph(graph, set(zip(chosen["source"].astype(str), chosen["target"].astype(str))))
        for name, g in (("pkn", graph), ("context", context)):
            start = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = _estimator(g, args, seed=fold).fit(X.loc[train], Y.loc[train])
                pred = model.predict(X.loc[test])
            except SteadyStateError as exc:  # reported as a result, as in cmd_cv
                rows.append({"fold": fold, "graph": name, "r_all_tfs": float("nan"), "error": str(exc)[:120],
                             "seconds": time.perf_counter() - start})
                print(json.dumps(rows[-1]), flush=True)
                continue
            # TFs the context network lacks are predicted by their training mean (reported as n_outputs)
            full = pd.DataFrame(np.tile(Y.loc[train].mean().to_numpy(), (len(test), 1)), index=test,
                                columns=Y.columns)
            full[pred.columns] = pred.to_numpy()
            obs = Y.loc[test]
            r = float(np.corrcoef(full.to_numpy().ravel(), obs.to_numpy().ravel())[0, 1])
            rows.append({"fold": fold, "graph": name, "r_all_tfs": r, "edges": int(model.model_.weight.numel()),
                         "nodes": model.model_.n_nodes, "params": _n_params(model), "inputs": len(model.input_ids_),
                         "outputs": len(model.output_ids_), "radius": model.spectral_radius_,
                         "seconds": time.perf_counter() - start})
            preds.append(full.stack().rename("predicted").to_frame().join(obs.stack().rename("measured"))
                         .assign(fold=fold, graph=name, modelled=lambda d: d.index.get_level_values(1).isin(
                             pred.columns)))
            print(json.dumps(rows[-1]), flush=True)
    allp = pd.concat(preds).reset_index(names=["condition", "tf"])
    print(json.dumps({"summary": _twostage_summary(allp), "folds": args.folds, "epochs": args.epochs, "lr": args.lr,
                      "load_at_start": load}))
    if args.out:  # per-fold rows and the long predictions, to pool runs over fold ranges (``pool-twostage``)
        pd.DataFrame(rows).to_csv(args.out, sep="\t", index=False)
        allp.to_csv(Path(args.out).with_suffix(".predictions.tsv"), sep="\t", index=False)


def _twostage_summary(allp: pd.DataFrame) -> dict:
    """Pooled r per graph of long two-stage predictions (``condition, tf, predicted, measured, fold, graph,
    modelled``): over all TFs and over the TFs the context network models."""
    ctx_tfs = set(allp.loc[(allp["graph"] == "context") & allp["modelled"], "tf"])
    summary = {}
    for name, part in allp.groupby("graph"):
        same = part[part["tf"].isin(ctx_tfs)]
        summary[name] = {"pooled_r_all_tfs": float(np.corrcoef(part["predicted"], part["measured"])[0, 1]),
                         "pooled_r_context_tfs": float(np.corrcoef(same["predicted"], same["measured"])[0, 1]),
                         "folds": int(part["fold"].nunique()), "conditions": int(part["condition"].nunique())}
    return summary


def cmd_pool_twostage(args) -> None:
    """Pool ``twostage --out`` predictions of several runs: r over all TFs and over the context network's TFs."""
    print(json.dumps(_twostage_summary(pd.concat([pd.read_csv(p, sep="\t") for p in args.files], ignore_index=True))))


def cmd_spiked(args) -> None:
    from binn_graph.signalling import spiked_edge_test

    graph, X, Y, _ = load_screen(Path(args.data))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = spiked_edge_test(SignalingNetwork(graph, max_epochs=args.epochs, lr=args.lr, random_state=0), X, Y,
                                  n_spiked=args.n_spiked, n_permutations=args.permutations, random_state=0)
    spiked = result.edges[result.edges["spiked"]]["weight"].abs()
    real = result.edges[~result.edges["spiked"]]["weight"].abs()
    print(json.dumps({"n_spiked": result.n_spiked, "n_real": result.n_real, "epochs": args.epochs, "auc": result.auc,
                      "p_value": result.p_value, "median_abs_weight_real": float(real.median()),
                      "median_abs_weight_spiked": float(spiked.median()), "seconds": time.perf_counter() - start,
                      "load": os.getloadavg()[0]}))


def cmd_pool(args) -> None:
    """Pool the held-out predictions of several ``cv --out`` runs (their ``.predictions.tsv``) into one r per graph."""
    allp = pd.concat([pd.read_csv(p, sep="\t") for p in args.predictions], ignore_index=True)
    out = {}
    for name, part in allp.groupby("graph"):
        out[name] = {"pooled_r": float(np.corrcoef(part["predicted"], part["measured"])[0, 1]),
                     "folds": sorted(int(f) for f in part["fold"].unique()),
                     "conditions": int(part["condition"].nunique())}
    both = allp.pivot_table(index=["fold", "condition", "tf"], columns="graph", values="predicted").dropna()
    if {"pkn", "rewired"} <= set(both.columns):
        m = allp[allp["graph"] == "pkn"].set_index(["fold", "condition", "tf"])["measured"].reindex(both.index)
        out["same_folds"] = {g: float(np.corrcoef(both[g], m)[0, 1]) for g in ("pkn", "rewired")}
        out["same_folds"]["folds"] = sorted(int(f) for f in both.index.get_level_values("fold").unique())
    print(json.dumps(out))


def main(argv=None) -> None:
    """Command line of the benchmark (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    cv = sub.add_parser("cv")
    cv.add_argument("--data", required=True)
    cv.add_argument("--folds", default="0-27")
    default = SignalingNetwork().get_params()  # without options, cv scores the call a user makes
    cv.add_argument("--epochs", type=int, default=default["max_epochs"])
    cv.add_argument("--lr", type=float, default=default["lr"])
    cv.add_argument("--batch-size", type=int, default=default["batch_size"])
    cv.add_argument("--max-iter", type=int, default=default["max_iter"])
    cv.add_argument("--rewired", action="store_true")
    cv.add_argument("--spectral-limit", type=float, default=default["spectral_limit"],
                    help="SignalingNetwork(spectral_limit=...) for every graph (PKN and rewired alike)")
    cv.add_argument("--out")
    sp = sub.add_parser("speed")
    sp.add_argument("--data", required=True)
    sp.add_argument("--lembas", required=True)
    sp.add_argument("--epochs", type=int, default=3)
    sp.add_argument("--rounds", type=int, default=2)
    w = sub.add_parser("_speed_worker")
    w.add_argument("--side", choices=["ours", "lembas"])
    w.add_argument("--data")
    w.add_argument("--lembas")
    w.add_argument("--epochs", type=int)
    kg_ = sub.add_parser("keggnet")
    kg_.add_argument("--data", required=True)
    kg_.add_argument("--ligands", type=int, default=3)
    kg_.add_argument("--n", type=int, default=800)
    kg_.add_argument("--epochs", type=int, default=200)
    kg_.add_argument("--lr", type=float, default=5e-3)
    kg_.add_argument("--batch-size", type=int, default=10)
    kg_.add_argument("--max-iter", type=int, default=150)
    kg_.add_argument("--design", choices=["distinct", "lembas"], default="distinct")
    kg_.add_argument("--n-test", type=int, default=1000)
    kg_.add_argument("--test-ligands", type=int, default=5)
    kg_.add_argument("--noise", type=float, default=1e-3)
    kg_.add_argument("--spectral-target", type=float, default=0.9)
    sk = sub.add_parser("spiked")
    sk.add_argument("--data", required=True)
    sk.add_argument("--n-spiked", type=int, default=100)
    sk.add_argument("--epochs", type=int, default=200)
    sk.add_argument("--lr", type=float, default=1e-3)
    sk.add_argument("--permutations", type=int, default=2000)
    ts = sub.add_parser("twostage")
    ts.add_argument("--data", required=True)
    ts.add_argument("--folds", default="0-3")
    ts.add_argument("--epochs", type=int, default=300)
    ts.add_argument("--lr", type=float, default=1e-3)
    ts.add_argument("--batch-size", type=int, default=5)
    ts.add_argument("--max-iter", type=int, default=300)
    ts.add_argument("--control", default="PBS-BSA")
    ts.add_argument("--threshold", type=float, default=0.1)
    ts.add_argument("--lambda-reg", type=float, default=0.01)
    ts.add_argument("--time-limit", type=float, default=60)
    ts.add_argument("--cache", help="TSV of the per-condition CARNIVAL edges: read if present, else written")
    ts.add_argument("--out", help="TSV of the per-fold rows; predictions go beside it (.predictions.tsv)")
    pts = sub.add_parser("pool-twostage")
    pts.add_argument("files", nargs="+")
    lm = sub.add_parser("lembas-models")
    lm.add_argument("--data", required=True)
    lm.add_argument("--lembas", required=True, help="LEMBAS's Model folder, with CVligandScreen/MML_model_<k>.pt")
    lm.add_argument("--folds", default="0-27")
    lm.add_argument("--max-iter", type=int, default=2000)
    lm.add_argument("--out")
    pool = sub.add_parser("pool")
    pool.add_argument("predictions", nargs="+")
    args = parser.parse_args(argv)
    {"pool": cmd_pool, "cv": cmd_cv, "speed": cmd_speed, "_speed_worker": cmd_speed_worker, "keggnet": cmd_keggnet,
     "spiked": cmd_spiked, "twostage": cmd_twostage, "pool-twostage": cmd_pool_twostage,
     "lembas-models": cmd_lembas_models}[args.command](args)


if __name__ == "__main__":
    main()
