"""Every subcommand on a table of bad inputs: the project's own one-line error naming the file, column or option —
never a traceback. Also: run directories used from another working directory, CV folds with a sparsely measured
feature, log2 detection in ``degradation fit``, and --verbose/--quiet.

Everything runs on tiny files written here (a toy graph, 40 samples), so the whole table takes seconds.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from binn_graph.cli import build_parser, main
from binn_graph.datasets import data_path
from kg import KnowledgeGraph

FASTA = str(data_path("peptidome/ACTB_P60709.fasta"))
PEPTIDES = str(data_path("peptidome/actb_trp.csv"))  # log2 areas with NaN and six -inf cells
DATA = Path(__file__).parent / "data"


def _toy_graph() -> KnowledgeGraph:
    g = KnowledgeGraph()
    g.add_nodes("pathway", ["R", "P1", "P2", "C1", "C2"], name=["root", "p1", "p2", "c1", "c2"], database="toy")
    g.add_edges(("pathway", "part_of", "pathway"), ["P1", "P2", "C1", "C2"], ["R", "R", "P1", "P1"], database="toy")
    proteins = [f"Q{i}" for i in range(8)]
    g.add_nodes("protein", proteins, database="toy")
    g.add_edges(("protein", "member_of", "pathway"), proteins, ["C1", "C2", "P2", "C1", "C2", "P2", "C1", "C2"],
                database="toy")
    return g


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """Good and bad inputs, plus a trained run on the toy graph."""
    d = tmp_path_factory.mktemp("bad_input")
    rng = np.random.default_rng(0)
    _toy_graph().save(d / "graph")
    X = pd.DataFrame(rng.normal(size=(40, 8)), columns=[f"Q{i}" for i in range(8)],
                     index=pd.Index([f"s{i}" for i in range(40)], name="sample"))
    X.to_csv(d / "x.csv")
    X.T.rename_axis("protein").to_csv(d / "x_t.csv")  # features × samples
    y = pd.Series(np.where(X["Q0"] + X["Q3"] > 0, "case", "control"), index=X.index, name="group")
    y.to_frame().to_csv(d / "y.tsv", sep="\t")
    y.to_frame().assign(other=1).to_csv(d / "y2.tsv", sep="\t")
    y.to_frame().set_axis([f"t{i}" for i in range(40)]).rename_axis("sample").to_csv(d / "y_other_ids.tsv", sep="\t")
    y.to_frame().assign(group="case").to_csv(d / "y_one_class.tsv", sep="\t")
    X.set_axis([f"A{i}" for i in range(8)], axis=1).to_csv(d / "nomatch.csv")
    X.assign(Q1="high").to_csv(d / "text.csv")
    (d / "empty.csv").write_text("")
    (d / "blank.csv").write_text("\n\n")
    (d / "header_only.csv").write_text("sample,Q0,Q1\n")
    (d / "semi.csv").write_text("sample;Q0;Q1\ns1;1;2\n")
    (d / "empty.gmt").write_text("")
    (d / "tiny.gmt").write_text("SET1\tdesc\tQ0\tQ1\tQ2\nSET2\tdesc\tQ3\tQ4\n")
    (d / "empty.fasta").write_text("")
    (d / "binary.fasta").write_bytes(b"\xff\xfe\x00\x01garbage")
    (d / "two.fasta").write_text(">sp|A1|ONE\nMKTAYIAKQR\n>sp|A2|TWO\nMGSHMKTAYIAK\n")
    (d / "nopep.csv").write_text("Sequence,r1\nAVFPSIVGRPR,1.5\n")
    (d / "pep_header.csv").write_text("Peptide,r1,r2\n")
    (d / "pep_multi.csv").write_text("Peptide,r1\nTAYIAK,1.5\n")
    linear = pd.read_csv(PEPTIDES)
    values = linear.drop(columns="Peptide")
    linear[values.columns] = np.power(2.0, values).fillna(0.0)
    linear.to_csv(d / "linear.csv", index=False)
    (d / "a_file").write_text("not a directory")
    (d / "not_a_run").mkdir()
    (d / "no_model").mkdir()
    (d / "no_model" / "config.json").write_text("{}")
    paths = {p.name: str(p) for p in d.iterdir()}
    paths["dir"] = str(d)
    paths["missing"] = str(d / "missing.csv")
    run = d / "run"
    assert main(["train", "--graph", paths["graph"], "--data", paths["x.csv"], "--target", paths["y.tsv"],
                 "--max-epochs", "2", "-o", str(run)]) == 0
    paths["run"] = str(run)
    return paths


# (id, argv with {placeholders} for files, substrings the error must contain)
CASES = [
    # kg build: sources
    ("kg-source-no-keys", "kg build --source reactome -o {dir}/g", ["reactome", "relations="]),
    ("kg-source-unknown-key", "kg build --source sbml file=x.xml -o {dir}/g", ["file=", "path="]),
    ("kg-source-missing-key", "kg build --source gmt -o {dir}/g", ["needs path=", "gmt accepts"]),
    ("kg-source-not-key-value", "kg build --source gmt path={tiny.gmt} entity_type -o {dir}/g", ["key=value"]),
    ("kg-source-unknown", "kg build --source nope -o {dir}/g", ["'nope'", "available"]),
    ("kg-source-missing-file", "kg build --source sbml path={missing} -o {dir}/g", ["missing.csv"]),
    ("kg-gmt-missing", "kg build --gmt {missing} -o {dir}/g", ["missing.csv"]),
    ("kg-gmt-empty", "kg build --gmt {empty.gmt} -o {dir}/g", ["empty.gmt"]),
    ("kg-no-sources", "kg build -o {dir}/g", ["no sources"]),
    ("kg-no-output", "kg build --gmt {tiny.gmt}", ["-o/--output"]),
    ("kg-min-size-not-int", "kg build --gmt {tiny.gmt} --min-size abc -o {dir}/g", ["--min-size", "'abc'"]),
    # kg build: the feature matrix
    ("kg-features-missing", "kg build --gmt {tiny.gmt} --features {missing} -o {dir}/g",
     ["missing.csv", "does not exist"]),
    ("kg-features-empty", "kg build --gmt {tiny.gmt} --features {empty.csv} -o {dir}/g", ["empty.csv", "empty"]),
    ("kg-features-blank", "kg build --gmt {tiny.gmt} --features {blank.csv} -o {dir}/g", ["blank.csv"]),
    ("kg-features-header-only", "kg build --gmt {tiny.gmt} --features {header_only.csv} -o {dir}/g",
     ["header_only.csv", "no sample rows"]),
    ("kg-features-delimiter", "kg build --gmt {tiny.gmt} --features {semi.csv} -o {dir}/g",
     ["semi.csv", "semicolon"]),
    ("kg-features-transposed", "kg build --source gmt path={tiny.gmt} entity_type=protein --features {x_t.csv} "
     "-o {dir}/g", ["x_t.csv", "transposed", "--features-in-rows"]),
    ("kg-features-no-match", "kg build --source gmt path={tiny.gmt} entity_type=protein --features {nomatch.csv} "
     "-o {dir}/g", ["nomatch.csv", "none of its 8 feature columns", "--allow-unmatched"]),
    ("kg-feature-type-absent", "kg build --gmt {tiny.gmt} --features {x.csv} -o {dir}/g",
     ["--feature-type protein", "gene"]),
    # kg info / export
    ("kg-info-missing", "kg info {dir}/nothing", ["nothing", "not a saved knowledge graph"]),
    ("kg-info-file", "kg info {a_file}", ["a_file"]),
    ("kg-export-missing", "kg export {dir}/nothing -o {dir}/x.ttl", ["nothing"]),
    ("kg-export-format", "kg export {graph} --format ttl|nt -o {dir}/x.ttl", ["--format", "invalid choice"]),
    ("kg-no-subcommand", "kg", ["required"]),
    ("kg-sources-argument", "kg sources reactome", ["unrecognized arguments: reactome"]),
    # train
    ("train-graph-missing", "train --graph {dir}/nothing --data {x.csv} --target {y.tsv} -o {dir}/r",
     ["nothing", "not a saved knowledge graph"]),
    ("train-data-missing", "train --graph {graph} --data {missing} --target {y.tsv} -o {dir}/r", ["missing.csv"]),
    ("train-data-empty", "train --graph {graph} --data {empty.csv} --target {y.tsv} -o {dir}/r", ["empty.csv"]),
    ("train-data-delimiter", "train --graph {graph} --data {semi.csv} --target {y.tsv} -o {dir}/r",
     ["semi.csv", "semicolon"]),
    ("train-data-transposed", "train --graph {graph} --data {x_t.csv} --target {y.tsv} -o {dir}/r",
     ["x_t.csv", "transposed", "--features-in-rows"]),
    ("train-data-not-transposed", "train --graph {graph} --data {x.csv} --features-in-rows --target {y.tsv} "
     "-o {dir}/r", ["x.csv", "transposed", "drop that flag"]),
    ("train-data-no-match", "train --graph {graph} --data {nomatch.csv} --target {y.tsv} -o {dir}/r",
     ["nomatch.csv", "none of its"]),
    ("train-data-text", "train --graph {graph} --data {text.csv} --target {y.tsv} -o {dir}/r",
     ["text.csv, line 2", "'high'", "'Q1'"]),
    ("train-target-missing", "train --graph {graph} --data {x.csv} --target {missing} -o {dir}/r", ["missing.csv"]),
    ("train-target-two-columns", "train --graph {graph} --data {x.csv} --target {y2.tsv} -o {dir}/r",
     ["y2.tsv", "--target-column"]),
    ("train-target-column-absent", "train --graph {graph} --data {x.csv} --target {y.tsv} --target-column nope "
     "-o {dir}/r", ["y.tsv", "nope"]),
    ("train-target-other-ids", "train --graph {graph} --data {x.csv} --target {y_other_ids.tsv} -o {dir}/r",
     ["no sample id is shared", "y_other_ids.tsv"]),
    ("train-target-one-class", "train --graph {graph} --data {x.csv} --target {y_one_class.tsv} -o {dir}/r",
     ["y_one_class.tsv", "column 'group'", "one class"]),
    ("train-cv-not-int", "train --graph {graph} --data {x.csv} --target {y.tsv} --cv abc -o {dir}/r",
     ["--cv", "'abc'"]),
    ("train-cv-one", "train --graph {graph} --data {x.csv} --target {y.tsv} --cv 1 -o {dir}/r", ["--cv 1", "2 folds"]),
    ("train-mode", "train --graph {graph} --data {x.csv} --target {y.tsv} --mode deep -o {dir}/r",
     ["--mode", "invalid choice"]),
    ("train-lr-negative", "train --graph {graph} --data {x.csv} --target {y.tsv} --lr -1 -o {dir}/r", ["--lr"]),
    ("train-epochs-zero", "train --graph {graph} --data {x.csv} --target {y.tsv} --max-epochs 0 -o {dir}/r",
     ["--max-epochs", "positive"]),
    ("train-input-type-absent", "train --graph {graph} --data {x.csv} --target {y.tsv} --input-type gene "
     "-o {dir}/r", ["--input-type gene", "protein"]),
    ("train-output-is-file", "train --graph {graph} --data {x.csv} --target {y.tsv} -o {a_file}",
     ["a_file", "not a directory"]),
    # predict
    ("predict-run-missing", "predict {dir}/nothing --data {x.csv} -o {dir}/p.tsv", ["nothing", "run directory"]),
    ("predict-no-model", "predict {no_model} --data {x.csv} -o {dir}/p.tsv", ["no_model", "model.pt"]),
    ("predict-data-missing", "predict {run} --data {missing} -o {dir}/p.tsv", ["missing.csv"]),
    ("predict-data-transposed", "predict {run} --data {x_t.csv} -o {dir}/p.tsv", ["x_t.csv", "transposed"]),
    ("predict-data-no-match", "predict {run} --data {nomatch.csv} -o {dir}/p.tsv", ["nomatch.csv", "none of its"]),
    # explain
    ("explain-run-missing", "explain {dir}/nothing", ["nothing", "run directory"]),
    ("explain-not-a-run", "explain {not_a_run}", ["not_a_run", "no config.json"]),
    ("explain-data-empty", "explain {run} --data {empty.csv}", ["empty.csv"]),
    ("explain-data-no-match", "explain {run} --data {nomatch.csv}", ["nomatch.csv", "none of its"]),
    ("explain-n-null-zero", "explain {run} --null rewire --n-null 0", ["--n-null", "positive"]),
    ("explain-normalize-empty", ["explain", "{run}", "--normalize", ""], ["--normalize", "invalid choice"]),
    ("explain-method", "explain {run} --method shap", ["--method", "invalid choice"]),
    # degradation
    ("deg-fit-fasta-missing", f"degradation fit --fasta {{missing}} --peptides {PEPTIDES} -o {{dir}}/d",
     ["missing.csv", "FASTA"]),
    ("deg-fit-fasta-empty", f"degradation fit --fasta {{empty.fasta}} --peptides {PEPTIDES} -o {{dir}}/d",
     ["empty.fasta"]),
    ("deg-fit-fasta-binary", f"degradation fit --fasta {{binary.fasta}} --peptides {PEPTIDES} -o {{dir}}/d",
     ["binary.fasta"]),
    ("deg-fit-peptides-missing", f"degradation fit --fasta {FASTA} --peptides {{missing}} -o {{dir}}/d",
     ["missing.csv"]),
    ("deg-fit-peptides-empty", f"degradation fit --fasta {FASTA} --peptides {{empty.csv}} -o {{dir}}/d",
     ["empty.csv", "empty"]),
    ("deg-fit-peptides-header-only", f"degradation fit --fasta {FASTA} --peptides {{pep_header.csv}} -o {{dir}}/d",
     ["pep_header.csv", "no rows"]),
    ("deg-fit-peptides-delimiter", f"degradation fit --fasta {FASTA} --peptides {{semi.csv}} -o {{dir}}/d",
     ["semi.csv", "semicolon"]),
    ("deg-fit-no-peptide-column", f"degradation fit --fasta {FASTA} --peptides {{nopep.csv}} -o {{dir}}/d",
     ["nopep.csv", "'Peptide'", "--peptide-column"]),
    ("deg-fit-no-protein-column", "degradation fit --fasta {two.fasta} --peptides {pep_multi.csv} -o {dir}/d",
     ["pep_multi.csv", "2 proteins", "--protein-column"]),
    ("deg-fit-minus-inf", f"degradation fit --fasta {FASTA} --peptides {PEPTIDES} --missing zero -o {{dir}}/d",
     ["actb_trp.csv", "-inf", "QEYDESGPSIVH", "Area trp3", "--log2"]),
    ("deg-fit-log2-on-linear", "degradation fit --fasta " + FASTA + " --peptides {linear.csv} --log2 -o {dir}/d",
     ["linear.csv", "leave out --log2"]),
    ("deg-fit-missing-values", f"degradation fit --fasta {FASTA} --peptides {PEPTIDES} --log2 -o {{dir}}/d",
     ["290 missing intensities", "Area trp", "--missing zero"]),
    ("deg-fit-columns-regex", f"degradation fit --fasta {FASTA} --peptides {PEPTIDES} --columns [ -o {{dir}}/d",
     ["--columns", "regular expression"]),
    ("deg-fit-columns-none", f"degradation fit --fasta {FASTA} --peptides {PEPTIDES} --columns ^Intensity "
     "-o {dir}/d", ["actb_trp.csv", "no intensity columns match"]),
    ("deg-fit-epochs-zero", f"degradation fit --fasta {FASTA} --peptides {PEPTIDES} --epochs 0 -o {{dir}}/d",
     ["--epochs", "positive"]),
    ("deg-fit-missing-choice", f"degradation fit --fasta {FASTA} --peptides {PEPTIDES} --missing none -o {{dir}}/d",
     ["--missing", "invalid choice"]),
    ("deg-build-fasta-missing", f"degradation build --fasta {{missing}} --peptides {PEPTIDES} -o {{dir}}/d",
     ["missing.csv"]),
    ("deg-build-peptides-empty", f"degradation build --fasta {FASTA} --peptides {{empty.csv}} -o {{dir}}/d",
     ["empty.csv"]),
    ("deg-specificity-peptides-missing", f"degradation specificity --fasta {FASTA} --peptides {{missing}} "
     "-o {dir}/d", ["missing.csv"]),
    ("deg-simulate-no-input", "degradation simulate -o {dir}/d", ["--fasta", "--sequence"]),
    ("deg-simulate-fasta-missing", "degradation simulate --fasta {missing} -o {dir}/d", ["missing.csv"]),
    ("deg-simulate-enzyme", "degradation simulate --sequence MKTAYIAKQR --enzyme papain -o {dir}/d",
     ["--enzyme", "invalid choice"]),
    ("deg-simulate-events-zero", "degradation simulate --sequence MKTAYIAKQR --n-events 0 -o {dir}/d",
     ["--n-events", "positive"]),
    # benchmark, demo, the top level
    ("benchmark-no-out", "benchmark genomic --quick", ["--out"]),
    ("benchmark-n-test-not-int", "benchmark genomic --n-test many --out {dir}/b", ["--n-test", "'many'"]),
    ("benchmark-sizes-not-int", "benchmark genomic --sizes abc --out {dir}/b", ["--sizes", "'abc'"]),
    ("benchmark-coverages-not-number", "benchmark genomic --coverages x --out {dir}/b", ["--coverages", "'x'"]),
    ("demo-output-is-file", "demo --no-rdf --no-train -o {a_file}", ["a_file"]),
    ("demo-unknown-option", "demo --fast", ["unrecognized arguments: --fast"]),
    ("no-command", "", ["required"]),
    ("unknown-command", "fit", ["invalid choice: 'fit'"]),
]


def _argv(spec, files) -> list[str]:
    tokens = spec.split() if isinstance(spec, str) else spec
    return [re.sub(r"\{([^{}]+)\}", lambda m: files[m.group(1)], t) for t in tokens]


@pytest.mark.parametrize("argv, expected", [pytest.param(a, e, id=i) for i, a, e in CASES])
def test_bad_input_gives_one_error_line(argv, expected, files, capsys):
    rc = main(_argv(argv, files))
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert err.startswith("binn-graph: error:") or "\nbinn-graph: error:" in err, err
    assert "Traceback" not in err + out
    message = next(line for line in err.splitlines() if line.startswith("binn-graph: error:"))
    for text in expected:
        assert text in message, (text, message)
    assert "np.int64" not in message and "np.float64" not in message


def _commands(parser, prefix=()) -> set[tuple[str, ...]]:
    """Every leaf subcommand of the parser, as a tuple of words."""
    import argparse

    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return {prefix}
    out = set()
    for name, child in subs[0].choices.items():
        out |= _commands(child, prefix + (name,))
    return out


def _covered_commands() -> list[tuple[str, ...]]:
    """Command word sequences with a bad-input case: this file's CASES, and each area file's
    (``tests/test_cli_bad_input_<area>.py``: its ``CASES`` whose argv starts with the command, and its ``COMMANDS``
    where the test prepends the command words itself)."""
    import importlib

    tables = [CASES]
    commands = []
    for path in sorted(Path(__file__).parent.glob("test_cli_bad_input_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        tables.append(getattr(module, "CASES", []))
        commands += [tuple(c) for c in getattr(module, "COMMANDS", [])]
    for table in tables:
        commands += [tuple(case[1].split() if isinstance(case[1], str) else case[1]) for case in table]
    return commands


def test_the_table_covers_every_subcommand():
    covered = _covered_commands()
    for command in _commands(build_parser()):
        assert any(c[: len(command)] == command for c in covered), f"no bad-input case for {' '.join(command)}"


def test_console_script_prints_no_traceback(tmp_path):
    """The installed entry point, in a fresh process: one line, exit status 2."""
    script = Path(sys.executable).with_name("binn-graph")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "binn_graph.cli"]
    done = subprocess.run(command + ["kg", "build", "--source", "sbml", "file=x.xml", "-o", str(tmp_path / "g")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("binn-graph: error: --source sbml: unknown key file=; sbml accepts path=")
    assert "Traceback" not in done.stderr and not (tmp_path / "g").exists()


# ------------------------------------------------------------------------------------------------- run directories
def test_run_directory_works_from_any_directory(files, tmp_path, monkeypatch, capsys):
    """Train with relative paths in one directory; explain and predict by absolute path from another."""
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    for name in ("x.csv", "y.tsv"):
        (work / name).write_bytes(Path(files[name]).read_bytes())
    KnowledgeGraph.load(files["graph"]).save(work / "graph")
    monkeypatch.chdir(work)
    assert main(["train", "--graph", "graph", "--data", "x.csv", "--target", "y.tsv", "--max-epochs", "2",
                 "-o", "run"]) == 0
    config = json.loads((work / "run" / "config.json").read_text())
    for key in ("graph", "data", "target"):
        assert Path(config[key]).is_absolute() and Path(config["inputs"][key]["path"]).is_absolute()
        assert len(config["inputs"][key]["sha256"]) == 64
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    assert main(["explain", str(work / "run"), "--edge-samples", "10", "--steps", "4", "--top-k", "3"]) == 0
    assert (work / "run" / "explain" / "importance.tsv").stat().st_size > 0
    assert main(["predict", str(work / "run"), "--data", str(work / "x.csv"), "-o", "p.tsv"]) == 0
    assert len(pd.read_csv(elsewhere / "p.tsv", sep="\t")) == 40
    # a changed input is noticed; a deleted one is named with what to do
    (work / "x.csv").write_text((work / "x.csv").read_text().replace("s0,", "s0,1", 1))
    capsys.readouterr()
    assert main(["explain", str(work / "run"), "--no-graph", "--edge-samples", "5", "--steps", "2"]) == 0
    assert "changed since the run" in capsys.readouterr().err
    (work / "x.csv").unlink()
    assert main(["explain", str(work / "run"), "--no-graph"]) == 2
    err = capsys.readouterr().err
    assert "does not exist any more" in err and str(work / "x.csv") in err and "--data" in err


# -------------------------------------------------------------------------------------------------------- CV folds
def test_cv_fold_without_a_feature_is_imputed_and_named(files, tmp_path, capsys):
    """A protein measured in one sample: the fold whose training rows lack it warns by name and is reported."""
    X = pd.read_csv(files["x.csv"], index_col=0)
    X.loc[X.index[1:], "Q5"] = np.nan
    X.to_csv(tmp_path / "sparse.csv")
    run = tmp_path / "cv"
    with pytest.warns(UserWarning, match=r"CV fold \d/4: X has 1 input column\(s\) with no value") as caught:
        assert main(["train", "--graph", files["graph"], "--data", str(tmp_path / "sparse.csv"), "--target",
                     files["y.tsv"], "--cv", "4", "--max-epochs", "2", "-o", str(run)]) == 0
    assert any("--empty-columns" in str(w.message) for w in caught)
    cv = json.loads((run / "metrics.json").read_text())["cv"]
    assert cv["folds"] == 4 and list(cv["empty_columns"].values()) == [["Q5"]]
    assert main(["train", "--graph", files["graph"], "--data", str(tmp_path / "sparse.csv"), "--target",
                 files["y.tsv"], "--cv", "4", "--max-epochs", "2", "--empty-columns", "raise",
                 "-o", str(tmp_path / "refused")]) == 2
    err = capsys.readouterr().err
    assert "CV fold" in err and "Q5" in err and "--empty-columns warn" in err
    assert not (tmp_path / "refused").exists()


# ----------------------------------------------------------------------------------------------- log2 detection
def test_log2_table_without_log2_is_warned_about(tmp_path, capsys):
    table = pd.read_csv(PEPTIDES)
    values = table.drop(columns="Peptide")
    table[values.columns] = values.replace(-np.inf, np.nan)  # log2 areas, no -inf: only the values tell
    table.to_csv(tmp_path / "log2.csv", index=False)
    assert main(["degradation", "fit", "--fasta", FASTA, "--peptides", str(tmp_path / "log2.csv"), "--missing",
                 "zero", "--method", "lp", "-o", str(tmp_path / "fit")]) == 0
    err = capsys.readouterr().err
    assert "binn-graph: warning:" in err and "look log2" in err and "--log2" in err
    assert main(["degradation", "fit", "--fasta", FASTA, "--peptides", str(tmp_path / "log2.csv"), "--missing",
                 "zero", "--method", "lp", "--log2", "-o", str(tmp_path / "fit2")]) == 0
    assert "look log2" not in capsys.readouterr().err


# ------------------------------------------------------------------------------------------- --verbose / --quiet
def test_quiet_and_verbose(files, tmp_path, capsys):
    argv = ["kg", "build", "--source", "gmt", f"path={files['tiny.gmt']}", "entity_type=protein", "--features",
            files["x.csv"]]
    assert main(["--quiet", *argv, "-o", str(tmp_path / "q")]) == 0
    assert capsys.readouterr().err == ""
    assert main([*argv, "-o", str(tmp_path / "n")]) == 0
    assert "loaded gmt" in capsys.readouterr().err
    assert main(["--verbose", *argv, "-o", str(tmp_path / "v")]) == 0
    assert "loaded gmt" in capsys.readouterr().err


def test_progress_lines_reach_a_log_when_not_a_terminal(caplog):
    """The CLI's default: a loop that outlasts the interval logs plain lines (no terminal redraws)."""
    import logging
    import time

    from binn_graph import _progress

    _progress.configure("log", 0.05)
    try:
        with caplog.at_level(logging.INFO, logger="binn_graph.progress"):
            for _ in _progress.progress(range(6), desc="training", unit="epoch"):
                time.sleep(0.03)
    finally:
        _progress.configure()
    lines = [r.getMessage() for r in caplog.records if r.name == "binn_graph.progress"]
    assert lines and all(line.startswith("training: ") and "\r" not in line for line in lines)
    assert lines[-1].startswith("training: 6/6 epoch")
    assert not _progress.enabled() or os.isatty(2)  # the library's default ("auto"): only on a terminal
