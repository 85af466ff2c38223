"""binn-graph signalling fit|predict|knockout: recurrent signalling networks on a signed prior-knowledge network.

fit reads the network (a LEMBAS table with --network, optionally --annotation; a SIF file with --sif; or a saved
graph directory with --graph), the inputs (samples × input node ids, e.g. ligand levels) and the outputs (samples ×
output node ids, e.g. TF activities), trains, and writes a run directory: graph/, model.pt, history.tsv, report.tsv
(columns dropped, NaN targets masked) and summary.json (training error, spectral radius, epochs).
predict writes the outputs for new inputs; knockout writes them with nodes knocked out (--node, repeatable) or held
at a value (--clamp ID=VALUE), beside the unperturbed prediction and the difference.
"""

from __future__ import annotations

import argparse
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from kg import KnowledgeGraph
from kg.errors import UsageError

from ..io import read_matrix
from ..signalling import SignalingNetwork

__all__ = ["add_parser", "load_network"]

logger = logging.getLogger(__name__)


def load_network(args: argparse.Namespace) -> KnowledgeGraph:
    """The network named by exactly one of --network (LEMBAS table), --sif or --graph."""
    given = [name for name in ("network", "sif", "graph") if getattr(args, name)]
    if len(given) != 1:
        raise UsageError("give the network with exactly one of --network FILE (LEMBAS table), --sif FILE or "
                         "--graph DIR (saved graph)")
    if args.graph:
        return KnowledgeGraph.load(args.graph)
    if args.sif:
        from kg.sources import sif

        return sif.load(args.sif)
    from kg.sources import lembas

    return lembas.load(args.network, annotation=args.annotation)


def _fit(args: argparse.Namespace) -> None:
    graph = load_network(args)
    X = read_matrix(args.inputs)
    y = read_matrix(args.outputs)
    model = SignalingNetwork(graph, max_epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                             strict=args.strict, spectral_limit=args.spectral_limit, device=args.device,
                             random_state=args.seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    for w in caught:
        logger.warning(str(w.message))
    out = Path(args.out)
    model.save(out)
    pred = model.predict(X.loc[:, model.input_ids_])
    obs = y.loc[X.index, model.output_ids_].to_numpy(dtype=float)
    keep = ~np.isnan(obs)
    summary = {"inputs": len(model.input_ids_), "outputs": len(model.output_ids_), "samples": len(X),
               "nodes": model.model_.n_nodes, "edges": len(model.model_.weight), "epochs": args.epochs,
               "train_mse": float(np.mean((pred.to_numpy()[keep] - obs[keep]) ** 2)),
               "train_pearson_r": float(np.corrcoef(pred.to_numpy()[keep], obs[keep])[0, 1]),
               "spectral_radius": model.spectral_radius_,
               "sign_violations": int(model.history_["violations"].iloc[-1]) if len(model.history_) else 0}
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(json.dumps(summary))


def _clamps(pairs: list[str] | None) -> dict:
    out = {}
    for pair in pairs or []:
        node, sep, value = pair.partition("=")
        if not sep or not node:
            raise UsageError(f"--clamp {pair!r}: write ID=VALUE, e.g. --clamp P01375=0.8")
        try:
            out[node] = float(value)
        except ValueError:
            raise UsageError(f"--clamp {pair!r}: the value after '=' must be a number") from None
    return out


def _write(frame: pd.DataFrame, path: str | None) -> None:
    if path:
        frame.to_csv(path, sep="\t")
        logger.info("wrote %s", path)
    else:
        print(frame.to_csv(sep="\t"), end="")


def _predict(args: argparse.Namespace) -> None:
    model = SignalingNetwork.load(args.run)
    _write(model.predict(read_matrix(args.inputs)), args.out)


def _knockout(args: argparse.Namespace) -> None:
    if not args.node and not args.clamp:
        raise UsageError("knockout needs at least one --node ID (held at 0) or --clamp ID=VALUE")
    model = SignalingNetwork.load(args.run)
    X = read_matrix(args.inputs)
    base = model.predict(X)
    changed = model.predict(X, knockout=args.node or [], clamp=_clamps(args.clamp))
    table = pd.concat({"perturbed": changed, "unperturbed": base, "difference": changed - base}, axis=1)
    table.columns = [f"{a}:{b}" for a, b in table.columns]
    _write(table, args.out)


def add_parser(sub) -> None:
    """Add ``binn-graph signalling`` and its sub-commands to the sub-parser collection ``sub``."""
    parser = sub.add_parser("signalling", help="recurrent signalling networks on signed PKNs (fit, predict, "
                                              "knockout)", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="signalling_command", required=True)
    fit = commands.add_parser("fit", help="train on inputs and outputs; write a run directory")
    fit.add_argument("--network", help="LEMBAS network table (source target stimulation inhibition ...)")
    fit.add_argument("--annotation", help="LEMBAS annotation table (code name TF ligand), with --network")
    fit.add_argument("--sif", help="signed SIF network")
    fit.add_argument("--graph", help="saved graph directory")
    fit.add_argument("--inputs", required=True, help="samples × input node ids (first column = sample ids)")
    fit.add_argument("--outputs", required=True, help="samples × output node ids (NaN allowed: masked)")
    fit.add_argument("--out", required=True, help="run directory to write")
    defaults = SignalingNetwork().get_params()
    fit.add_argument("--epochs", type=int, default=defaults["max_epochs"],
                     help=f"training epochs (default {defaults['max_epochs']})")
    fit.add_argument("--lr", type=float, default=defaults["lr"],
                     help=f"Adam's learning rate (default {defaults['lr']})")
    fit.add_argument("--batch-size", type=int, default=defaults["batch_size"],
                     help=f"samples (conditions) per optimiser step (default {defaults['batch_size']})")
    fit.add_argument("--seed", type=int, default=0, help="random seed of the weights and batches (default 0)")
    fit.add_argument("--strict", action="store_true", help="refuse input/output ids that are not network nodes")
    fit.add_argument("--spectral-limit", type=float, default=defaults["spectral_limit"],
                     help="after training, scale the weights until the Jacobian's spectral radius over the training "
                          f"samples is at most this (0-1; default {defaults['spectral_limit']})")
    fit.add_argument("--device", choices=["cpu", "cuda", "auto"], default="cpu",
                     help="where to train: cpu (default), cuda, or auto (CUDA where available)")
    fit.set_defaults(func=_fit)
    predict = commands.add_parser("predict", help="outputs of a fitted run for new inputs")
    predict.add_argument("--run", required=True, help="run directory written by signalling fit")
    predict.add_argument("--inputs", required=True,
                         help="samples × input node ids (first column = sample ids), as for fit")
    predict.add_argument("--out", help="TSV to write (default: standard output)")
    predict.set_defaults(func=_predict)
    ko = commands.add_parser("knockout", help="outputs with nodes knocked out or clamped")
    ko.add_argument("--run", required=True, help="run directory written by signalling fit")
    ko.add_argument("--inputs", required=True,
                    help="samples × input node ids (first column = sample ids), as for fit")
    ko.add_argument("--node", action="append", help="node id held at 0 (repeatable)")
    ko.add_argument("--clamp", action="append", help="ID=VALUE: node held at VALUE (repeatable)")
    ko.add_argument("--out", help="TSV to write (default: standard output)")
    ko.set_defaults(func=_knockout)
