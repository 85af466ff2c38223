"""Metabolism benchmarks: batched condition-specific fluxes vs a cobrapy loop, and EXP110 growth prediction.

    python benchmarks/bench_metabolic.py batch --samples 1000 --naive 100
    python benchmarks/bench_metabolic.py exp110 /work/shared/data/metabolic/amn --repeats 3 --folds 10
    python benchmarks/bench_metabolic.py amortised --train 1000 --test 300 --epochs 80
    python benchmarks/bench_metabolic.py multiview --samples 300
    python benchmarks/bench_metabolic.py subsystems --samples 300 --sigma 1.0 --seeds 0 1 2 3 4
    python benchmarks/bench_metabolic.py imat --time-limit 120
    python benchmarks/bench_metabolic.py cvxpylayers --batch 64 --repeats 3 --models textbook mitocore

``cvxpylayers``: the Euclidean projection onto ``{S v = 0, lb ≤ v ≤ ub}`` as a cvxpylayers layer (its default
diffcp/SCS path; cvxpylayers is a benchmark-only dependency, not one of the package) against
:class:`MassBalance` (``v = u N Nᵀ``: the projection onto ``S v = 0`` only, bounds left to the penalty), on the same
batch of perturbed pFBA fluxes: forward and backward time per batch, max ``|S v|``, max bound excursion, and the
distance to the exact projection (cvxpy + Clarabel at tight tolerance, solved per sample).

``batch``: iJO1366 (shipped with cobrapy), random log-normal expression for every gene, E-Flux bound scaling + pFBA.
binn-graph's :func:`condition_fluxes` solves all ``--samples``; the naive loop (``with model:`` set every scaled
bound, :func:`cobra.flux_analysis.pfba`) runs on the first ``--naive`` samples of the same matrix, in the same
process; the per-sample times are compared and the fluxes of the shared samples checked equal (growth and Σ|v|).

``exp110``: E. coli growth on 110 media (Faure et al. 2023, iML1515; the folder of ../shared/data/metabolic/amn).
Medium column ``EX_<met>_e_i`` → exchange ``EX_<met>_e``; uptake bound 2.5 × level (1e-4 where 0), other uptakes
closed. Rows: the FBA baseline (pFBA through ``condition_fluxes``), :class:`FluxNetworkRegressor`, and a plain MLP
(scikit-learn) on the same folds; Q² = r2_score of the out-of-fold predictions, mean over repeats.

``amortised``: random media on iJO1366 solved by batched pFBA; :class:`FluxSurrogate` trained on the first
``--train``, timed and scored on the rest (per-condition time, growth error, flux error, S·v residual).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from binn_graph.metabolic import MetabolicWarning, condition_fluxes  # noqa: E402
from binn_graph.metabolic.gpr import evaluate_gpr  # noqa: E402

logging.getLogger("cobra").setLevel(logging.ERROR)
BIOMASS = "BIOMASS_Ec_iML1515_core_75p37M"
IJO_BIOMASS = "BIOMASS_Ec_iJO1366_core_53p95M"


def bench_batch(n_samples: int, n_naive: int, seed: int = 0) -> None:
    """Batched vs naive cobrapy loop on iJO1366; prints a markdown table."""
    import cobra
    from cobra.io import load_model

    model = load_model("iJO1366")
    genes = [g.id for g in model.genes]
    rng = np.random.default_rng(seed)
    expression = pd.DataFrame(rng.lognormal(sigma=0.5, size=(n_samples, len(genes))), columns=genes,
                              index=[f"s{i}" for i in range(n_samples)])
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetabolicWarning)
        fluxes = condition_fluxes(model, expression, method="eflux", pfba=True)
    batched = time.perf_counter() - t
    status = fluxes.attrs["status"].value_counts().to_dict()

    activity, _ = evaluate_gpr(pd.Series({r.id: r.gene_reaction_rule for r in model.reactions}), expression)
    reference = activity.max()
    scale = (activity / reference).fillna(1.0)
    t = time.perf_counter()
    naive_growth, naive_l1 = [], []
    for sample in expression.index[:n_naive]:
        with model:
            for r in model.reactions:
                x = scale.at[sample, r.id]
                if x != 1.0:
                    r.bounds = (r.lower_bound * x, r.upper_bound * x)
            solution = cobra.flux_analysis.pfba(model)
            naive_l1.append(solution.objective_value)
            naive_growth.append(solution.fluxes[IJO_BIOMASS])
    naive = time.perf_counter() - t
    shared = expression.index[:n_naive]
    growth_err = np.nanmax(np.abs(fluxes.loc[shared, IJO_BIOMASS].to_numpy() - naive_growth))
    l1_err = np.nanmax(np.abs(fluxes.loc[shared].abs().sum(axis=1).to_numpy() - naive_l1) / np.abs(naive_l1))
    per_b, per_n = batched / n_samples, naive / n_naive
    print(f"| iJO1366 E-Flux + pFBA | binn-graph condition_fluxes, {n_samples} samples | {batched:.1f} s | "
          f"{1e3 * per_b:.1f} ms | statuses {status} |")
    print(f"| | cobrapy loop (with model: bounds; pfba), first {n_naive} samples | {naive:.1f} s | "
          f"{1e3 * per_n:.1f} ms | speed-up {per_n / per_b:.1f}× per sample |")
    print(f"| | agreement on the {n_naive} shared samples | max |Δ growth| {growth_err:.2e} | "
          f"max rel |Δ Σ|v|| {l1_err:.2e} | |")


def bench_exp110(folder: Path, repeats: int, folds: int, epochs: int, first_repeat: int = 0,
                 networks: str = "both") -> None:
    """FBA baseline, FluxNetworkRegressor and a plain MLP on EXP110; prints a markdown table."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.metrics import r2_score
    from sklearn.model_selection import KFold
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from binn_graph.metabolic import FluxNetworkRegressor, amn_uptake, as_cobra_model, load_exp110

    medium, growth = load_exp110(folder)
    y = growth.to_numpy()
    t = time.perf_counter()
    model = as_cobra_model(folder / "iML1515.xml.gz")
    fba = condition_fluxes(model, method="fba", pfba=True, medium=amn_uptake(medium), close_uptakes=True)
    q2_fba = r2_score(y, fba[BIOMASS])
    print(f"| FBA baseline (pFBA, binn-graph condition_fluxes) | {q2_fba:.3f} | "
          f"r {np.corrcoef(y, fba[BIOMASS])[0, 1]:.3f} | {time.perf_counter() - t:.1f} s |")
    if repeats == 0:
        return
    X = amn_uptake(medium) / 2.5  # the levels, with the baseline's floor for absent sources
    names = {"flux": "FluxNetworkRegressor (mass balance)", "mlp": "plain MLP (sklearn, same inputs, y standardised)"}
    rows = {name: [] for key, name in names.items() if networks in (key, "both")}
    t = time.perf_counter()
    for rep in range(first_repeat, first_repeat + repeats):
        preds = {k: np.zeros(len(y)) for k in rows}
        for train, test in KFold(folds, shuffle=True, random_state=rep).split(X):
            if names["flux"] in rows:
                net = FluxNetworkRegressor(model, inputs=list(X.columns), output=BIOMASS, uptake_scale=2.5,
                                           close_uptakes=True, hidden=(128,), weight_decay=1e-4, bound_weight=0.1,
                                           max_epochs=epochs, random_state=rep)
                preds[names["flux"]][test] = net.fit(X.iloc[train], y[train]).predict(X.iloc[test])
            if names["mlp"] in rows:  # y standardised: on raw growth (~0.2 h⁻¹) the loss stalls under sklearn's tol
                mlp = TransformedTargetRegressor(make_pipeline(StandardScaler(), MLPRegressor(
                    hidden_layer_sizes=(64,), max_iter=2000, random_state=rep)), transformer=StandardScaler())
                preds[names["mlp"]][test] = mlp.fit(X.iloc[train], y[train]).predict(X.iloc[test])
        for k in rows:
            rows[k].append(r2_score(y, preds[k]))
    elapsed = time.perf_counter() - t
    for k, q2 in rows.items():
        print(f"| {k} | {np.mean(q2):.3f} | repeats {', '.join(f'{q:.3f}' for q in q2)} | "
              f"{repeats}×{folds}-fold, {elapsed:.0f} s |")
    if names["flux"] in rows:
        residual = net.model_.balance.residual(net.fluxes(X.iloc[test]).to_numpy())
        print(f"| (last fold) max |S v| | {residual:.1e} | mean bound penalty "
              f"{float(net.bound_violation(X.iloc[test]).mean()):.2e} | |")


def bench_amortised(n_train: int, n_test: int, epochs: int, seed: int = 0) -> None:
    """FluxSurrogate on iJO1366 media: per-condition time and error against the batched LP; prints a table."""
    from cobra.io import load_model

    from binn_graph.metabolic.amortised import FluxSurrogate

    model = load_model("iJO1366")
    inputs = ["EX_glc__D_e", "EX_o2_e", "EX_fru_e", "EX_ac_e", "EX_succ_e", "EX_lac__D_e", "EX_glyc_e"]
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    X = pd.DataFrame(rng.uniform(0, 10, (n, len(inputs))) * (rng.random((n, len(inputs))) < 0.4), columns=inputs,
                     index=[f"c{i}" for i in range(n)])
    X["EX_glc__D_e"] = rng.uniform(1, 10, n)
    X["EX_o2_e"] = rng.uniform(0, 20, n)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetabolicWarning)
        fluxes = condition_fluxes(model, method="fba", pfba=True, medium=X)
    lp_time = (time.perf_counter() - t) / n
    ok = (fluxes.attrs["status"] == "optimal").to_numpy()
    X, fluxes = X[ok], fluxes[ok]
    train, test = X.index[:n_train], X.index[n_train:]
    t = time.perf_counter()
    surrogate = FluxSurrogate(model, inputs=inputs, max_epochs=epochs, random_state=seed).fit(X.loc[train],
                                                                                             fluxes.loc[train])
    fit_time = time.perf_counter() - t
    surrogate.fluxes(X.loc[test[:10]])  # warm-up
    t = time.perf_counter()
    predicted = surrogate.fluxes(X.loc[test])
    net_time = (time.perf_counter() - t) / len(test)
    truth = fluxes.loc[test]
    growth = IJO_BIOMASS
    rel = np.linalg.norm(predicted - truth, axis=1) / np.linalg.norm(truth, axis=1)
    mae = np.abs(predicted[growth] - truth[growth]).mean()
    S = surrogate.model_.balance
    print(f"| iJO1366, {len(train)} training / {len(test)} test media ({len(inputs)} uptakes) | LP (batched pFBA) "
          f"{1e3 * lp_time:.2f} ms/condition | network {1e3 * net_time:.3f} ms/condition | "
          f"{lp_time / net_time:.0f}× |")
    print(f"| | growth MAE {mae:.4f} h⁻¹ (truth mean {truth[growth].mean():.3f}), r "
          f"{np.corrcoef(predicted[growth], truth[growth])[0, 1]:.3f} | median relative L2 flux error "
          f"{np.median(rel):.3f} | max abs(S v) {S.residual(predicted.to_numpy()):.1e}; mean bound penalty "
          f"{surrogate.bound_violation(X.loc[test]).mean():.2e}; fit {fit_time:.0f} s |")


def bench_multiview(n_samples: int, seed: int = 0) -> None:
    """Early vs late fusion on MitoCore data with a phenotype planted on one subsystem's fluxes; prints a table."""
    from sklearn.metrics import r2_score

    from binn_graph import BINNRegressor, explain
    from binn_graph.metabolic import as_cobra_model
    from binn_graph.metabolic.multiview import (
        LateFusionRegressor,
        flux_columns,
        metabolic_binn_graph,
        simulate_multiview,
        view_importance,
    )
    from kg.datasets import data_path

    model = as_cobra_model(data_path("metabolic/mitocore_v1.01.xml.gz"), require_objective=False)
    model.objective = "OF_ATP_MitoCore"
    graph = metabolic_binn_graph(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = simulate_multiview(model, n_samples, random_state=seed)
    fluxes = sim["fluxes"].loc[:, sim["fluxes"].std() > 1e-6 * (1 + sim["fluxes"].abs().max())]
    X = pd.concat([sim["expression"], flux_columns(fluxes)], axis=1)
    y = sim["y"]
    n_train = int(0.75 * len(y))
    train, test = X.index[:n_train], X.index[n_train:]
    kw = dict(max_epochs=400, weight_decay=0.0, patience=50, random_state=seed)
    late = LateFusionRegressor(BINNRegressor(graph, input_type="gene", **kw),
                               BINNRegressor(graph, input_type="flux", **kw)).fit(X.loc[train], y[train])
    stacked = LateFusionRegressor(BINNRegressor(graph, input_type="gene", **kw),
                                  BINNRegressor(graph, input_type="flux", **kw), combine="stack").fit(
        X.loc[train], y[train])
    early = BINNRegressor(graph, input_type=["gene", "flux"], **kw).fit(X.loc[train], y[train])
    genes, flux = late.split(X.loc[test])

    def rank(importance):
        pathways = importance[importance["node_type"] == "pathway"].sort_values("importance", ascending=False)
        return f"{list(pathways['node_id']).index(sim['pathway']) + 1} of {len(pathways)}"

    imp_early = explain(early, X.loc[test], method="integrated_gradients")
    imp_flux = explain(late.flux_model_, flux, method="integrated_gradients")
    views = view_importance(imp_early, graph)
    print(f"| planted: {sim['pathway']} ({len(sim['reactions'])} varying reactions), {len(y)} samples, "
          f"{fluxes.shape[1]} varying fluxes, {genes.shape[1]} genes | held-out R² | planted subsystem's rank "
          "(integrated gradients) |")
    print(f"| gene view alone | {r2_score(y[test], late.gene_model_.predict(genes)):.3f} | |")
    print(f"| flux view alone | {r2_score(y[test], late.flux_model_.predict(flux)):.3f} | {rank(imp_flux)} |")
    print(f"| late fusion (mean of the two) | {r2_score(y[test], late.predict(X.loc[test])):.3f} | |")
    w = stacked.weights_
    print(f"| late fusion (stacked: w_gene {w['gene']:.2f}, w_flux {w['flux']:.2f}) | "
          f"{r2_score(y[test], stacked.predict(X.loc[test])):.3f} | |")
    print(f"| early fusion (one BINN, two input types) | {r2_score(y[test], early.predict(X.loc[test])):.3f} | "
          f"{rank(imp_early)}; importance by view: gene {views.get('gene', 0):.2f}, flux {views.get('flux', 0):.2f} |")


def bench_subsystems(n_samples: int, sigma: float, seeds: list[int], epochs: int = 300) -> None:
    """Subsystem-level attribution on the simulated MitoCore study: the planted subsystem's rank per seed and split.

    Per seed: simulate (``sigma``), a seed-dependent 75/25 split, the flux view alone and early fusion (gene + flux)
    at the default weight decay; :func:`subsystem_attribution` of integrated gradients on the held-out rows.
    """
    from sklearn.metrics import r2_score

    from binn_graph import BINNRegressor, explain
    from binn_graph.metabolic import as_cobra_model
    from binn_graph.metabolic.multiview import (
        flux_columns,
        metabolic_binn_graph,
        simulate_multiview,
        subsystem_attribution,
    )
    from kg.datasets import data_path

    model = as_cobra_model(data_path("metabolic/mitocore_v1.01.xml.gz"), require_objective=False)
    model.objective = "OF_ATP_MitoCore"
    graph = metabolic_binn_graph(model)
    print("| seed | planted (varying reactions; equivalent subsystems) | model | held-out R² | rank by share "
          "(flux view) | share (next best) | rank by the node's own importance | gene-view rank |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim = simulate_multiview(model, n_samples, sigma=sigma, random_state=seed)
        fluxes = sim["fluxes"].loc[:, sim["fluxes"].std() > 1e-6 * (1 + sim["fluxes"].abs().max())]
        X = pd.concat([sim["expression"], flux_columns(fluxes)], axis=1)
        y = sim["y"]
        order = np.random.default_rng(seed).permutation(len(y))
        n_train = int(0.75 * len(y))
        train, test = X.index[order[:n_train]], X.index[order[n_train:]]
        flux_cols = [c for c in X.columns if c.startswith("flux:")]
        for name, input_type, cols in (("flux view", "flux", flux_cols), ("early fusion", ["gene", "flux"],
                                                                         list(X.columns))):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = BINNRegressor(graph, input_type=input_type, max_epochs=epochs, patience=50,
                                    random_state=seed).fit(X.loc[train, cols], y[train])
                table = subsystem_attribution(explain(est, X.loc[test, cols], method="integrated_gradients"),
                                              graph, X[flux_cols])
            flux = table[table["view"] == "flux"].set_index("subsystem")
            gene = table[table["view"] == "gene"].set_index("subsystem")
            p = sim["pathway"]
            node_rank = int((flux["node_importance"] > flux.loc[p, "node_importance"]).sum() + 1)
            gene_rank = f"{gene.loc[p, 'rank']} of {len(gene)}" if p in gene.index else ""
            n_tied = int((flux["rank"] == flux.loc[p, "rank"]).sum()) - 1
            tie = f" (tied with {n_tied})" if n_tied else ""
            print(f"| {seed} | {p.removeprefix('subsystem:')} ({len(sim['reactions'])}; {len(sim['equivalent'])}) "
                  f"| {name} | {r2_score(y[test], est.predict(X.loc[test, cols])):.3f} | "
                  f"{flux.loc[p, 'rank']} of {len(flux)}{tie} | {flux.loc[p, 'share']:.2f} "
                  f"({flux['share'].drop(p).max():.2f}) | {node_rank} | {gene_rank} |", flush=True)


def bench_imat(time_limit: float, samples: int = 3) -> None:
    """Seconds per iMAT sample (one MILP each) on textbook and iJO1366, random log-normal expression."""
    from cobra.io import load_model

    from binn_graph.metabolic import condition_fluxes

    for name in ("textbook", "iJO1366"):
        model = load_model(name)
        genes = [g.id for g in model.genes]
        expression = pd.DataFrame(np.random.default_rng(0).lognormal(size=(samples, len(genes))), columns=genes,
                                  index=[f"s{i}" for i in range(samples)])
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fluxes = condition_fluxes(model, expression, method="imat", time_limit=time_limit)
        total = time.perf_counter() - start
        table = fluxes.attrs["imat"]
        print(f"{name}: {len(model.reactions)} reactions, {total:.1f} s for {samples} samples; per sample MILP "
              f"{table['seconds'].round(2).tolist()} s, status {fluxes.attrs['status'].tolist()}, gap "
              f"{table['gap'].round(4).tolist()}, agreement {table['agreement'].tolist()} of high+low "
              f"{(table['high'] + table['low']).tolist()}")


def bench_cvxpylayers(batch: int, repeats: int, models: list[str]) -> None:
    """cvxpylayers projection layer vs MassBalance on textbook / MitoCore; prints one table row per model and layer."""
    import cvxpy as cp
    import scipy.sparse as sp
    import torch
    from cobra.io import load_model
    from cvxpylayers.torch import CvxpyLayer

    from binn_graph.metabolic import StoichiometricModel, as_cobra_model
    from binn_graph.metabolic.layer import MassBalance
    from kg.datasets import data_path

    print("| model (reactions × metabolites) | layer | forward ms/batch | backward ms/batch | max abs(S·v) | "
          "max bound excursion | rel. distance to the exact projection |")
    print("|---|---|---|---|---|---|---|")
    for name in models:
        if name == "mitocore":
            cobra_model = as_cobra_model(data_path("metabolic/mitocore_v1.01.xml.gz"), require_objective=False)
            cobra_model.objective = "OF_ATP_MitoCore"
        else:
            cobra_model = load_model(name)
        sm = StoichiometricModel.from_cobra(cobra_model)
        n_met, n = sm.S.shape
        lb = np.clip(sm.lb, -1000, 1000)
        ub = np.clip(sm.ub, -1000, 1000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v0 = condition_fluxes(cobra_model, method="fba").to_numpy()[0]
        rng = np.random.default_rng(0)
        u = v0[None, :] + rng.normal(scale=1.0 + 0.1 * np.abs(v0), size=(batch, n))  # a network's raw output
        # exact projection per sample (reference)
        x = cp.Variable(n)
        target = cp.Parameter(n)
        S = sp.csr_matrix(sm.S)
        reference_problem = cp.Problem(cp.Minimize(cp.sum_squares(x - target)), [S @ x == 0, x >= lb, x <= ub])
        reference = np.empty_like(u)
        for i in range(batch):
            target.value = u[i]
            reference_problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
            reference[i] = x.value
        # cvxpylayers
        layer = CvxpyLayer(reference_problem, parameters=[target], variables=[x])
        balance = MassBalance(sm.S, lb, ub)

        def run_cvx(t):
            return layer(t)[0]

        def run_balance(t):
            return balance.project(t)

        for label, fn in (("cvxpylayers (diffcp + SCS)", run_cvx), ("MassBalance (null-space projection)",
                                                                    run_balance)):
            fwd, bwd = [], []
            for _ in range(repeats):
                t = torch.tensor(u, dtype=torch.float64, requires_grad=True)
                start = time.perf_counter()
                v = fn(t)
                fwd.append(time.perf_counter() - start)
                start = time.perf_counter()
                (v ** 2).sum().backward()
                bwd.append(time.perf_counter() - start)
            values = v.detach().numpy()
            residual = np.abs(S @ values.T).max()
            excursion = max(float(np.maximum(lb - values, 0).max()), float(np.maximum(values - ub, 0).max()))
            distance = np.median(np.linalg.norm(values - reference, axis=1) / np.linalg.norm(reference, axis=1))
            print(f"| {name} ({n} × {n_met}), batch {batch} | {label} | {1e3 * min(fwd):.3g} | {1e3 * min(bwd):.3g} | "
                  f"{residual:.1e} | {excursion:.2e} | {distance:.2e} |", flush=True)


def main(argv=None) -> None:
    """Command line: ``batch`` or ``exp110``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("batch")
    b.add_argument("--samples", type=int, default=1000)
    b.add_argument("--naive", type=int, default=100)
    e = sub.add_parser("exp110")
    e.add_argument("folder", type=Path)
    e.add_argument("--repeats", type=int, default=3, help="cross-validation repeats (0: the FBA baseline only)")
    e.add_argument("--folds", type=int, default=10)
    e.add_argument("--epochs", type=int, default=500)
    e.add_argument("--first-repeat", type=int, default=0, help="seed of the first repeat (run repeats in parallel)")
    e.add_argument("--networks", choices=("both", "flux", "mlp"), default="both", help="which networks to score")
    a = sub.add_parser("amortised")
    a.add_argument("--train", type=int, default=1000)
    a.add_argument("--test", type=int, default=300)
    a.add_argument("--epochs", type=int, default=80)
    mv = sub.add_parser("multiview")
    mv.add_argument("--samples", type=int, default=300)
    ss = sub.add_parser("subsystems")
    ss.add_argument("--samples", type=int, default=300)
    ss.add_argument("--sigma", type=float, default=1.0)
    ss.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    cv = sub.add_parser("cvxpylayers")
    cv.add_argument("--batch", type=int, default=64)
    cv.add_argument("--repeats", type=int, default=3)
    cv.add_argument("--models", nargs="+", default=["textbook", "mitocore"])
    im = sub.add_parser("imat")
    im.add_argument("--time-limit", type=float, default=120.0)
    im.add_argument("--samples", type=int, default=3)
    args = parser.parse_args(argv)
    if args.what == "multiview":
        bench_multiview(args.samples)
    elif args.what == "subsystems":
        bench_subsystems(args.samples, args.sigma, args.seeds)
    elif args.what == "cvxpylayers":
        bench_cvxpylayers(args.batch, args.repeats, args.models)
    elif args.what == "imat":
        bench_imat(args.time_limit, args.samples)
    elif args.what == "batch":
        bench_batch(args.samples, args.naive)
    elif args.what == "amortised":
        bench_amortised(args.train, args.test, args.epochs)
    else:
        bench_exp110(args.folder, args.repeats, args.folds, args.epochs, args.first_repeat, args.networks)


if __name__ == "__main__":
    main()
