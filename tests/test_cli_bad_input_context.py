"""binn-graph context carnival|steiner: a run on tiny files (objective and output directory checked), and a table of
bad inputs that each give the project's one-line error, never a traceback."""

from __future__ import annotations

import importlib.util
import json

import pandas as pd
import pytest

from binn_graph.cli import main
from tests.test_cli_bad_input import _argv

# a mark, not importorskip: tests/test_cli_bad_input.py imports this module for its CASES even without CORNETO
pytestmark = pytest.mark.skipif(importlib.util.find_spec("corneto") is None, reason="CORNETO is not installed")

SIF = "L\t1\tA\nL\t1\tB\nA\t1\tC\nB\t-1\tC\nC\t1\tD\nD\t-1\tA\nB\t-1\tE\nA\t1\tE\nX\t1\tY\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("context_cli")
    (d / "net.sif").write_text(SIF)
    pd.DataFrame({"C": [-2.0, 1.0], "E": [1.0, -1.0]}, index=pd.Index(["s1", "s2"], name="sample")).to_csv(d / "m.csv")
    pd.DataFrame({"L": [1.0, 1.0]}, index=pd.Index(["s1", "s2"], name="sample")).to_csv(d / "in.csv")
    pd.DataFrame({"C": [1.0], "E": ["high"]}, index=pd.Index(["s1"], name="sample")).to_csv(d / "text.csv")
    pd.DataFrame({"Z": [1.0]}, index=pd.Index(["s1"], name="sample")).to_csv(d / "nomatch.csv")
    pd.DataFrame({"C": [3.0], "E": [-1.0]}, index=pd.Index(["s1"], name="sample")).to_csv(d / "badprize.csv")
    (d / "empty.csv").write_text("")
    return {"dir": str(d), "sif": str(d / "net.sif"), "m.csv": str(d / "m.csv"), "in.csv": str(d / "in.csv"),
            "text.csv": str(d / "text.csv"), "nomatch.csv": str(d / "nomatch.csv"),
            "badprize.csv": str(d / "badprize.csv"), "empty.csv": str(d / "empty.csv"),
            "missing": str(d / "missing.sif")}


def test_carnival_and_steiner_runs_write_their_results(files, capsys):
    assert main(["context", "carnival", "--sif", files["sif"], "--inputs", files["in.csv"], "--measurements",
                 files["m.csv"], "-o", f"{files['dir']}/carn"]) == 0
    summary = json.loads(open(f"{files['dir']}/carn/summary.json").read())
    # s1 (C=-2, E=1): L→B-|C gives C=-1 and L→A→E gives E=+1 (error 0); s2 (C=1, E=-1): L→A→C and L→B-|E (error 0)
    assert summary["method"] == "carnival" and summary["samples"] == ["s1", "s2"]
    assert summary["objective"] == pytest.approx(0.0, abs=1e-6)
    nodes = pd.read_csv(f"{files['dir']}/carn/node_values.tsv", sep="\t", index_col=0)
    assert nodes.loc["C", "s1"] == -1 and nodes.loc["E", "s1"] == 1 and nodes.loc["C", "s2"] == 1
    assert "carnival: objective 0" in capsys.readouterr().out
    assert main(["context", "steiner", "--sif", files["sif"], "--terminal", "L", "D", "-o",
                 f"{files['dir']}/st"]) == 0
    summary = json.loads(open(f"{files['dir']}/st/summary.json").read())
    assert summary["method"] == "steiner" and summary["objective"] == pytest.approx(3.0)  # L→A→C→D
    edges = pd.read_csv(f"{files['dir']}/st/edge_values.tsv", sep="\t")
    assert set(zip(edges["source"][edges["sample"] == 1], edges["target"][edges["sample"] == 1])) == {
        ("L", "A"), ("A", "C"), ("C", "D")}


CASES = [
    ("carnival-no-network", "context carnival --input L --measurements {m.csv} -o {dir}/o", ["--graph", "--sif"]),
    ("carnival-sif-missing", "context carnival --sif {missing} --input L --measurements {m.csv} -o {dir}/o",
     ["missing.sif"]),
    ("carnival-no-inputs", "context carnival --sif {sif} --measurements {m.csv} -o {dir}/o", ["--inputs", "--input"]),
    ("carnival-input-value", "context carnival --sif {sif} --input L=up --measurements {m.csv} -o {dir}/o",
     ["--input", "L=up", "number"]),
    ("carnival-measurements-text", "context carnival --sif {sif} --input L --measurements {text.csv} -o {dir}/o",
     ["text.csv", "'high'", "not a number"]),
    ("carnival-measurements-empty", "context carnival --sif {sif} --input L --measurements {empty.csv} -o {dir}/o",
     ["empty.csv"]),
    ("carnival-no-measured-node", "context carnival --sif {sif} --input L --measurements {nomatch.csv} -o {dir}/o",
     ["no measured node"]),
    ("carnival-strict", "context carnival --sif {sif} --input L --input Q --measurements {m.csv} --strict "
     "-o {dir}/o", ["Q", "strict"]),
    ("carnival-no-path", "context carnival --sif {sif} --input X --measurements {m.csv} -o {dir}/o",
     ["no directed path"]),
    ("carnival-lambda", "context carnival --sif {sif} --input L --measurements {m.csv} --lambda-reg -1 -o {dir}/o",
     ["lambda_reg"]),
    ("carnival-unknown-sign", "context carnival --sif {sif} --input L --measurements {m.csv} --unknown-sign zero "
     "-o {dir}/o", ["--unknown-sign", "invalid choice"]),
    ("steiner-nothing", "context steiner --sif {sif} -o {dir}/o", ["--terminal", "--prizes"]),
    ("steiner-one-terminal", "context steiner --sif {sif} --terminal L -o {dir}/o", ["at least two"]),
    ("steiner-cost-attribute", "context steiner --sif {sif} --terminal L D --edge-cost weight -o {dir}/o",
     ["weight", "not an attribute"]),
    ("steiner-negative-prize", "context steiner --sif {sif} --prizes {badprize.csv} -o {dir}/o", ["> 0"]),
    ("steiner-unreachable", "context steiner --sif {sif} --terminal E L -o {dir}/o", ["no solution", "root"]),
]


@pytest.mark.parametrize("argv, expected", [pytest.param(a, e, id=i) for i, a, e in CASES])
def test_bad_input_gives_one_error_line(argv, expected, files, capsys):
    rc = main(_argv(argv, files))
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert "Traceback" not in err + out
    message = next(line for line in err.splitlines() if line.startswith("binn-graph: error:"))
    for text in expected:
        assert text in message, (text, message)
