"""Nested CV with fold ensembles, explicit validation rows, the masked soft-constraint loss and the claims check."""

import numpy as np
import pandas as pd
import pytest
import torch

from binn_graph import BINNRegressor
from binn_graph.baselines import linear_model
from binn_graph.cli.benchmark import check_claims, markdown_table, report_markdown, write_report
from binn_graph.errors import DataValidationError
from binn_graph.genomic import GenomicBenchmark, nested_cv, regression_scores
from binn_graph.simulate import PATHWAYS, shoot_branching
from binn_graph.soft_constraint import SoftConstrained


def test_regression_scores_exact():
    s = regression_scores([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 4.0, 3.0])
    assert s["mse"] == pytest.approx(0.5)
    assert s["r2"] == pytest.approx(1 - 0.5 / 1.25)
    assert s["pearson"] == pytest.approx(0.8)
    assert s["spearman"] == pytest.approx(0.8)
    assert np.isnan(regression_scores([1, 2, 3], [2, 2, 2])["pearson"])


@pytest.fixture(scope="module")
def linear_data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(90, 6)), index=[f"s{i}" for i in range(90)], columns=list("abcdef"))
    y = pd.Series(X["a"] * 2 - X["c"] + 0.1 * rng.normal(size=90), index=X.index)
    return X, y


def test_nested_cv_folds_members_and_out_of_fold_predictions(linear_data):
    X, y = linear_data
    shuffled = y.sample(frac=1, random_state=1)  # matched by id, not by position
    result = nested_cv(linear_model("regression"), X, shuffled, outer=3, inner=2, random_state=0)
    assert len(result.scores) == 3 and result.scores["n_test"].sum() == 90
    assert [len(fold) for fold in result.models] == [2, 2, 2]
    assert result.predictions.notna().all() and list(result.predictions.index) == list(X.index)
    assert result.summary()["r2"] > 0.95  # the planted linear signal
    manual = np.mean([m.predict(X) for m in result.members()], axis=0)
    np.testing.assert_allclose(result.predict(X), manual)
    single = nested_cv(linear_model("regression"), X, y, outer=3, inner=1)
    assert [len(fold) for fold in single.models] == [1, 1, 1]
    with pytest.raises(DataValidationError, match="no phenotype"):
        nested_cv(linear_model("regression"), X, y.iloc[:80], outer=3)


def test_binn_validation_data_is_used_for_early_stopping():
    study = shoot_branching(120, seed=3)
    X, y = study.genotypes, study.phenotype
    model = BINNRegressor(study.graph, input_type="snp", norm=None, max_epochs=8, validation_fraction=0.5,
                          random_state=0)
    model.fit(X.iloc[:80], y.iloc[:80], validation_data=(X.iloc[80:], y.iloc[80:]))
    inputs = X.iloc[:80][model.architecture_.input_ids].astype(float)
    np.testing.assert_allclose(model.preprocessor_.mean_, inputs.mean().to_numpy(), rtol=1e-5)  # all 80 rows
    best = model.history_.val_loss[model.history_.best_epoch]
    mse = np.mean((model.predict(X.iloc[80:]) - y.iloc[80:].to_numpy()) ** 2) / model.target_scale_[0] ** 2
    assert best == pytest.approx(mse, rel=1e-4)  # validation loss = MSE on exactly the given rows
    with pytest.raises(DataValidationError, match="lacks 1 column"):
        model.fit(X.iloc[:80], y.iloc[:80], validation_data=(X.iloc[80:, 1:], y.iloc[80:]))


def test_soft_constraint_loss_is_the_masked_mse():
    loss = SoftConstrained.loss(torch.nn.MSELoss(), 1, weight=2.0)
    pred = torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0]])
    target = torch.tensor([[1.0, 0.0, float("nan")], [1.0, float("nan"), float("nan")]])
    # task: ((0-1)² + (1-1)²)/2 = 0.5; constraint: only (1-0)² measured, over B·T = 2·2 entries → 0.25
    assert float(loss(pred, target)) == pytest.approx(0.5 + 2.0 * 0.25)
    task = SoftConstrained.task_part(torch.nn.MSELoss(), 1)
    assert float(task(pred, target)) == pytest.approx(0.5)


def test_constraint_columns_without_measurements_are_dropped_and_reported():
    study = shoot_branching(60, seed=2)
    targets = study.intermediates.copy()
    targets["auxin"] = np.nan
    targets.iloc[0, targets.columns.get_loc("auxin")] = 1.0  # one measured value cannot be standardised
    model = BINNRegressor(study.graph, input_type="snp", norm=None, max_epochs=2, soft_constraint=1.0,
                          validation_fraction=0, random_state=0)
    model.fit(study.genotypes, study.phenotype, latent_targets=targets)
    assert model.latent_nodes_ == [p for p in PATHWAYS if p != "auxin"]
    dropped = {e.what: e.count for e in model.report_.entries if e.action == "dropped"}
    assert dropped["latent targets with fewer than two measured training samples"] == 1
    with pytest.raises(DataValidationError, match="no latent target has two measured"):
        model.fit(study.genotypes, study.phenotype, latent_targets=targets[["auxin"]])


def _known_tables():
    curve = pd.DataFrame([
        {"n": 100, "model": "BINN", "test_mse": 0.3, "test_spearman": 0.6},
        {"n": 100, "model": "dense MLP", "test_mse": 1.2, "test_spearman": 0.1},
        {"n": 100, "model": "GBLUP", "test_mse": 0.8, "test_spearman": 0.4},
        {"n": 1000, "model": "BINN", "test_mse": 0.2, "test_spearman": 0.7},
        {"n": 1000, "model": "dense MLP", "test_mse": 0.21, "test_spearman": 0.69},
        {"n": 1000, "model": "GBLUP", "test_mse": 0.3, "test_spearman": 0.75},
    ])
    coverage = pd.DataFrame({"coverage": [0.0, 1.0, 0.5, 0.1], "mse": [0.5, 0.3, 0.32, 0.49]})
    sensitivity = pd.DataFrame({"pathway": list(PATHWAYS), "truth": [0.4, 0.3, 0.2, 1.0],
                                "BINN clamp": [0.3, 0.1, 0.2, 0.5]})
    sensitivity["truth rank"] = sensitivity["truth"].rank(ascending=False).astype(int)
    sensitivity["BINN rank"] = sensitivity["BINN clamp"].rank(ascending=False).astype(int)
    latent = pd.DataFrame({"pathway": list(PATHWAYS), "BINN, n=100": [0.9, 0.1, 0.1, 0.1],
                           "BINN, n=1000": [0.9, 0.5, 0.35, 0.8]})
    return curve, coverage, sensitivity, latent


def test_claims_check_on_known_tables():
    curve, coverage, sensitivity, latent = _known_tables()
    claims = check_claims(GenomicBenchmark(curve, coverage, sensitivity, latent, pd.DataFrame()))
    assert list(claims["holds"]) == ["yes", "yes", "no", "yes", "yes", "yes", "yes"]
    assert claims["measured"].iloc[0] == "25%"  # 0.3 / 1.2
    assert "higher at 1/2 sizes" in claims["measured"].iloc[2]
    assert claims["measured"].iloc[3] == "sucrose > auxin > strigolactone > cytokinin"


def test_report_written_without_touching_matplotlib_state(tmp_path, monkeypatch):
    import matplotlib

    def refuse(*args, **kwargs):
        raise AssertionError("library code must not switch the matplotlib backend")

    monkeypatch.setattr(matplotlib, "use", refuse)
    rc = dict(matplotlib.rcParams)
    bench = GenomicBenchmark(*_known_tables(), settings={"sizes": [100, 1000]})
    out = write_report(bench, tmp_path / "report")
    assert dict(matplotlib.rcParams) == rc
    for name in ("learning_curve.png", "sensitivity.png", "report.md", "claims.csv", "settings.json"):
        assert (out / name).stat().st_size > 0
    back = GenomicBenchmark.read(out)
    assert list(back.claims["holds"]) == ["yes", "yes", "no", "yes", "yes", "yes", "yes"]
    assert "| claim | paper | measured | holds |" in (out / "report.md").read_text()


def test_library_run_leaves_claims_to_the_study(tmp_path):
    curve, coverage, sensitivity, latent = _known_tables()
    out = GenomicBenchmark(curve, coverage, sensitivity, latent).write(tmp_path)
    assert not (out / "claims.csv").exists() and not (out / "report.md").exists()
    assert GenomicBenchmark.read(out).claims.empty


def test_old_names_warn_and_work():
    import binn_graph.genomic.benchmark as old

    with pytest.warns(DeprecationWarning, match="cli.benchmark"):
        assert old.check_claims is check_claims
    bench = GenomicBenchmark(*_known_tables())
    with pytest.warns(DeprecationWarning, match="report_markdown"):
        assert bench.markdown(level=2) == report_markdown(bench, level=2)


def test_markdown_table():
    frame = pd.DataFrame({"model": ["a|b", "c"], "mse": [0.12345, np.nan], "n": [1, 2]})
    assert markdown_table(frame, digits=2).splitlines() == [
        "| model | mse | n |", "|---|---|---|", "| a\\|b | 0.12 | 1 |", "| c | | 2 |"]
    assert markdown_table([["x", "1 s"]], ["task", "time"], align="lr").splitlines()[1] == "|:---|---:|"
    with pytest.raises(ValueError, match="align"):
        markdown_table([["x"]], ["task"], align="lr")


def test_fold_graph_builder_inside_nested_cv():
    from binn_graph.genomic import FoldGraphBuilder

    study = shoot_branching(120, seed=4)
    seen = []

    class Recording(FoldGraphBuilder):
        def __call__(self, X_train, y_train):
            seen.append(set(X_train.index))
            return super().__call__(X_train, y_train)

    builder = Recording(study.expression, study.graph, top_k=3)
    model = BINNRegressor(input_type="snp", norm=None, max_epochs=2, random_state=0)
    result = nested_cv(model, study.genotypes, study.phenotype, outer=2, inner=1, graph_builder=builder)
    assert len(seen) == 2 and not seen[0] & seen[1]  # each fold's graph comes from its own training rows only
    for fold in result.models:
        graph = fold[0].graph
        assert graph.num_edges(("snp", "affects", "gene")) == 3 * 50  # top 3 SNPs of each of the 50 genes
        assert graph.num_edges(("gene", "member_of", "pathway")) == 40  # memberships kept from the pathway graph
    assert {e.what: e.count for e in builder.reports[0].entries}["SNP → gene edges from eQTL mapping"] == 150
    with pytest.raises(DataValidationError, match="no expression row"):
        FoldGraphBuilder(study.expression.iloc[5:], study.graph)(study.genotypes, study.phenotype)
