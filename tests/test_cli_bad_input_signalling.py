"""binn-graph signalling fit|predict|knockout on a small signed network: outputs on good input, and one-line errors
(no traceback) on bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from binn_graph.cli import main

# L1, L2 -> R1, R2 -> K1 <-> K2 -> T1, T2 (LEMBAS table format)
NETWORK = """source\ttarget\tstimulation\tinhibition
L1\tR1\t1\t0
L2\tR2\t1\t0
R1\tK1\t1\t0
R2\tK2\t1\t0
K1\tK2\t1\t0
K2\tK1\t0\t1
K1\tT1\t1\t0
K2\tT2\t1\t0
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("signalling_cli")
    (d / "net.tsv").write_text(NETWORK)
    (d / "bad_net.tsv").write_text("source\ttarget\tstimulation\nL1\tR1\t1\n")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(size=(12, 2)), columns=["L1", "L2"],
                     index=pd.Index([f"s{i}" for i in range(12)], name="sample"))
    y = pd.DataFrame({"T1": 0.2 + 0.3 * X["L1"], "T2": 0.3 + 0.2 * X["L2"]})
    X.to_csv(d / "x.tsv", sep="\t")
    y.to_csv(d / "y.tsv", sep="\t")
    y.assign(GHOST=1.0).to_csv(d / "y_ghost.tsv", sep="\t")
    y.rename(columns={"T1": "Z1", "T2": "Z2"}).to_csv(d / "y_none.tsv", sep="\t")
    X.assign(L1="high").to_csv(d / "x_text.tsv", sep="\t")
    run = d / "run"
    assert main(["signalling", "fit", "--network", str(d / "net.tsv"), "--inputs", str(d / "x.tsv"), "--outputs",
                 str(d / "y.tsv"), "--out", str(run), "--epochs", "5", "--lr", "0.02"]) == 0
    return {"dir": str(d), "run": str(run), "net": str(d / "net.tsv"), "x": str(d / "x.tsv"), "y": str(d / "y.tsv"),
            "y_ghost": str(d / "y_ghost.tsv"), "y_none": str(d / "y_none.tsv"), "x_text": str(d / "x_text.tsv"),
            "bad_net": str(d / "bad_net.tsv")}


def test_fit_predict_knockout(files, tmp_path, capsys):
    with open(f"{files['run']}/summary.json") as handle:
        summary = json.load(handle)
    assert summary["nodes"] == 8 and summary["edges"] == 8 and summary["outputs"] == 2
    assert 0 < summary["spectral_radius"] < 1
    out = tmp_path / "pred.tsv"
    assert main(["signalling", "predict", "--run", files["run"], "--inputs", files["x"], "--out", str(out)]) == 0
    pred = pd.read_csv(out, sep="\t", index_col=0)
    assert list(pred.columns) == ["T1", "T2"] and len(pred) == 12
    ko = tmp_path / "ko.tsv"
    assert main(["signalling", "knockout", "--run", files["run"], "--inputs", files["x"], "--node", "R1",
                 "--clamp", "R2=0", "--out", str(ko)]) == 0
    table = pd.read_csv(ko, sep="\t", index_col=0)
    assert np.allclose(table["unperturbed:T1"], pred["T1"])
    # with both receptors off the outputs no longer depend on the ligands
    assert np.allclose(table["perturbed:T1"], table["perturbed:T1"].iloc[0])
    assert np.allclose(table["difference:T2"], table["perturbed:T2"] - table["unperturbed:T2"])


def test_ghost_output_is_reported_and_strict_refuses_it(files, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["signalling", "fit", "--network", files["net"], "--inputs", files["x"], "--outputs",
                 files["y_ghost"], "--out", str(run), "--epochs", "1"]) == 0
    report = pd.read_csv(run / "report.tsv", sep="\t")
    row = report[report["what"] == "y columns that are not network nodes"]
    assert int(row["count"].iloc[0]) == 1 and "GHOST" in row["examples"].iloc[0]
    assert "GHOST" in capsys.readouterr().err


CASES = [
    ("no-network", "signalling fit --inputs {x} --outputs {y} --out {dir}/r1", ["exactly one of --network"]),
    ("bad-network", "signalling fit --network {bad_net} --inputs {x} --outputs {y} --out {dir}/r2",
     ["inhibition"]),
    ("strict-ghost", "signalling fit --network {net} --inputs {x} --outputs {y_ghost} --out {dir}/r3 --strict",
     ["GHOST", "strict"]),
    ("no-output-node", "signalling fit --network {net} --inputs {x} --outputs {y_none} --out {dir}/r4",
     ["none of the y columns"]),
    ("text-input", "signalling fit --network {net} --inputs {x_text} --outputs {y} --out {dir}/r5", ["high"]),
    ("predict-no-run", "signalling predict --run {dir}/nothing --inputs {x}", ["not a saved signalling model"]),
    ("knockout-unknown", "signalling knockout --run {run} --inputs {x} --node NOPE", ["NOPE", "not in the network"]),
    ("knockout-nothing", "signalling knockout --run {run} --inputs {x}", ["--node"]),
    ("clamp-syntax", "signalling knockout --run {run} --inputs {x} --clamp R1", ["ID=VALUE"]),
    ("clamp-value", "signalling knockout --run {run} --inputs {x} --clamp R1=big", ["must be a number"]),
    ("spectral-limit-range", "signalling fit --network {net} --inputs {x} --outputs {y} --out {dir}/r6 "
     "--spectral-limit 1.5", ["spectral_limit"]),
]


@pytest.mark.parametrize("argv, expected", [pytest.param(a, e, id=i) for i, a, e in CASES])
def test_bad_input_gives_one_error_line(argv, expected, files, capsys):
    from tests.test_cli_bad_input import _argv

    rc = main(_argv(argv, files))
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert "Traceback" not in err + out
    message = next(line for line in err.splitlines() if line.startswith("binn-graph: error:"))
    for text in expected:
        assert text in message, (text, message)


def test_fit_with_a_spectral_limit_and_device_auto(files, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["signalling", "fit", "--network", files["net"], "--inputs", files["x"], "--outputs", files["y"],
                 "--out", str(run), "--epochs", "5", "--lr", "0.02", "--spectral-limit", "0.3", "--device",
                 "auto"]) == 0
    with open(run / "summary.json") as handle:
        assert 0 < json.load(handle)["spectral_radius"] <= 0.3 + 1e-9
    with open(f"{files['run']}/summary.json") as handle:  # the same fit without the limit ends above it
        assert json.load(handle)["spectral_radius"] > 0.3
    report = pd.read_csv(run / "report.tsv", sep="\t")
    assert report["what"].str.contains("spectral_limit").any()
