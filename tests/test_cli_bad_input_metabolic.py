"""binn-graph metabolic fluxes|fit on good and bad inputs: outputs on small data, and one-line errors (no traceback)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("cobra")
pytest.importorskip("highspy")

from binn_graph.cli import main  # noqa: E402
from kg.datasets import data_path  # noqa: E402

MITOCORE = str(data_path("metabolic/mitocore_v1.01.xml.gz"))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    from cobra.io import load_model

    d = tmp_path_factory.mktemp("metabolic_cli")
    model = load_model("textbook")
    genes = [g.id for g in model.genes]
    rng = np.random.default_rng(0)
    expr = pd.DataFrame(rng.lognormal(size=(3, len(genes))), columns=genes,
                        index=pd.Index(["s0", "s1", "s2"], name="sample"))
    expr.to_csv(d / "expr.csv")
    expr.drop(columns=genes[:3]).set_axis(genes[3:4] * 1 + genes[4:], axis=1).to_csv(d / "expr_missing.csv")
    dup = expr.copy()
    dup.columns = [genes[0]] + genes[:-1]
    dup.to_csv(d / "expr_dup.csv")
    medium = pd.DataFrame({"EX_glc__D_e": [10.0, 0.0, 4.0], "EX_o2_e": [20.0, 20.0, 8.0]},
                          index=pd.Index(["s0", "s1", "s2"], name="sample"))
    medium.to_csv(d / "medium.csv")
    medium.assign(EX_unicorn_e=1.0).to_csv(d / "medium_bad.csv")
    data = pd.DataFrame({"EX_glc__D_e": rng.uniform(2, 10, 30), "EX_o2_e": rng.uniform(2, 20, 30)},
                        index=pd.Index([f"m{i}" for i in range(30)], name="sample"))
    data["growth"] = 0.09 * np.minimum(data["EX_glc__D_e"], data["EX_o2_e"] / 2)
    data.to_csv(d / "data.csv")
    (d / "not_sbml.xml").write_text("<html><body>no model here</body></html>")
    return {p.stem: str(p) for p in d.iterdir()} | {"dir": str(d)}


def test_fluxes_writes_fluxes_status_and_report(files, tmp_path):
    out = tmp_path / "fl"
    assert main(["metabolic", "fluxes", "--model", "cobra:textbook", "--expression", files["expr"],
                 "--medium", files["medium"], "-o", str(out)]) == 0
    fluxes = pd.read_csv(out / "fluxes.tsv", sep="\t", index_col=0)
    status = pd.read_csv(out / "status.tsv", sep="\t", index_col=0)
    assert fluxes.shape == (3, 95)
    assert status["status"].to_dict() == {"s0": "optimal", "s1": "infeasible", "s2": "optimal"}  # s1: no glucose
    assert fluxes.loc["s1"].isna().all()
    assert json.loads((out / "report.json").read_text())["not_optimal"] == {"s1": "infeasible"}


def test_imat_writes_its_per_sample_table(files, tmp_path):
    out = tmp_path / "imat"
    assert main(["metabolic", "fluxes", "--model", "cobra:textbook", "--expression", files["expr"],
                 "--medium", files["medium"], "--method", "imat", "--time-limit", "30", "-o", str(out)]) == 0
    table = pd.read_csv(out / "imat.tsv", sep="\t", index_col=0)
    status = pd.read_csv(out / "status.tsv", sep="\t", index_col=0)
    assert status["status"].to_dict() == {"s0": "optimal", "s1": "infeasible", "s2": "optimal"}
    assert table.loc["s0", "agreement"] >= 1 and np.isnan(table.loc["s1", "agreement"])
    assert (table[["high", "low"]] == 18).all().all()  # quartiles of textbook's 69 rule-bearing reactions


def test_fit_writes_predictions_and_balanced_fluxes(files, tmp_path):
    out = tmp_path / "fit"
    assert main(["metabolic", "fit", "--model", "cobra:textbook", "--data", files["data"], "--target", "growth",
                 "--output-flux", "Biomass_Ecoli_core", "--epochs", "150", "--cv", "3", "-o", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inputs"] == ["EX_glc__D_e", "EX_o2_e"] and summary["samples"] == 30
    assert summary["max_mass_balance_residual"] < 1e-6
    assert summary["train_r2"] > 0.8
    assert pd.read_csv(out / "fluxes.tsv", sep="\t", index_col=0).shape == (30, 95)


#: the commands these cases run (the test prepends "metabolic"; see test_cli_bad_input.py's coverage test)
COMMANDS = [("metabolic", "fluxes"), ("metabolic", "fit")]


@pytest.mark.parametrize("args, message", [
    (["fluxes", "--model", "cobra:textbook", "--expression", "{expr_dup}"], "duplicated column id"),
    (["fluxes", "--model", "cobra:textbook", "--medium", "{medium_bad}"], "EX_unicorn_e"),
    (["fluxes", "--model", "{not_sbml}", "--expression", "{expr}"], "SBML"),
    (["fluxes", "--model", MITOCORE, "--medium", "{medium}"], "no objective"),
    (["fluxes", "--model", "cobra:textbook"], "--expression"),
    (["fluxes", "--model", "cobra:textbook", "--expression", "{expr}", "--method", "imat", "--time-limit", "0"],
     "time_limit"),
    (["fluxes", "--model", "cobra:no_such_model", "--medium", "{medium}"], "no shipped model"),
    (["fluxes", "--model", "missing.xml", "--medium", "{medium}"], "no such file"),
    (["fit", "--model", "cobra:textbook", "--data", "{data}", "--target", "yield",
      "--output-flux", "Biomass_Ecoli_core"], "--target 'yield'"),
    (["fit", "--model", "cobra:textbook", "--data", "{data}", "--target", "growth",
      "--output-flux", "BIOMASS"], "not reactions"),
])
def test_bad_input_is_one_line_error(files, tmp_path, capsys, args, message):
    argv = ["metabolic"] + [a.format(**files) for a in args] + ["-o", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.strip().splitlines()[0].startswith("binn-graph: error:")


def test_missing_gpr_genes_are_reported(files, tmp_path, capsys):
    out = tmp_path / "miss"
    assert main(["metabolic", "fluxes", "--model", "cobra:textbook", "--expression", files["expr_missing"],
                 "-o", str(out)]) == 0
    assert "absent from the expression" in capsys.readouterr().err
    assert len(json.loads((out / "report.json").read_text())["missing_genes"]) == 3
