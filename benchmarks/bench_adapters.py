"""Load real third-party files with each kg adapter and record counts, drops and timings.

The files are not part of the project (fetch them yourself; benchmarks/RESULTS.md says where each came from).
Give files or folders on the command line, or a manifest:

    python benchmarks/bench_adapters.py /tmp/realfiles            # folders named after the adapter
    python benchmarks/bench_adapters.py --manifest files.tsv      # adapter<TAB>path[<TAB>k=v;k=v[<TAB>origin]]
    python benchmarks/bench_adapters.py sbml:/tmp/x.xml go:/tmp/y.gaf

In folder mode a file's adapter is the name of the folder it sits in (``reactome``, ``gmt``, ``biopax``, ``go``,
``kegg``, ``sbml``, ``sif``, ``eqtl``, ``idmap``); within ``go``, ``.obo`` files are ontologies and the rest GAF;
within ``kegg``, ``.xml`` is KGML and the rest REST ``link`` tables; within ``reactome``, a name containing
``Relation`` is a hierarchy, ``2Reactome`` a mapping, anything else a names file. ``idmap`` reads the first two
header columns unless ``from_col``/``to_col`` are given; ``eqtl`` uses GTEx column names unless told otherwise
(``pvalue_col=pval_g;effect_col=b_g``).

A file an adapter refuses is a row too (status ``refused`` and the error's own message): the adapters must refuse
bad input with a message naming the file and line, and that message is part of the result.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.errors import KGError  # noqa: E402
from kg.readers import read_text  # noqa: E402
from kg.sources import biopax, eqtl, gmt, go, idmap, kegg, reactome, sbml, sif  # noqa: E402

ADAPTERS = ("reactome", "gmt", "biopax", "go", "kegg", "sbml", "sif", "eqtl", "idmap")


def _options(text: str) -> dict:
    out = {}
    for part in filter(None, (p.strip() for p in (text or "").split(";"))):
        key, _, value = part.partition("=")
        out[key.strip()] = None if value.strip() == "None" else value.strip()
    return out


def load(adapter: str, path: Path, options: dict):
    """Call the adapter the way a user would for this kind of file."""
    name = path.name.lower()
    if adapter == "reactome":
        kind = "relations" if "relation" in name else "mapping" if "2reactome" in name else "names"
        return reactome.load(**{kind: path}, **options)
    if adapter == "go":
        return go.load(obo=path, **options) if name.endswith(".obo") else go.load(gaf=path, **options)
    if adapter == "kegg":
        return kegg.load_kgml(path, **options) if name.endswith(".xml") else kegg.load_rest(path, **options)
    if adapter == "idmap":
        if "from_col" not in options:
            header = next(line for line in read_text(path).splitlines() if line.strip()).split("\t")
            options = {"from_col": header[0], "to_col": header[1], **options}
        return idmap.load(path, **options)
    if adapter == "eqtl":
        return eqtl.load(path, **options)
    return {"gmt": gmt.load, "biopax": biopax.load, "sbml": sbml.load, "sif": sif.load}[adapter](path, **options)


def run_one(adapter: str, path: Path, options: dict, origin: str = "") -> dict:
    row = {"adapter": adapter, "file": path.name, "origin": origin, "bytes": path.stat().st_size}
    start = time.perf_counter()
    try:
        g = load(adapter, path, options)
    except KGError as exc:
        row.update(status="refused", seconds=round(time.perf_counter() - start, 3),
                   error=f"{type(exc).__name__}: {str(exc).replace(str(path), path.name)}")
        return row
    row["seconds"] = round(time.perf_counter() - start, 3)
    row["status"] = "ok"
    row["nodes"] = {t: g.num_nodes(t) for t in g.node_types}
    row["edges"] = {"{}-{}-{}".format(*et): g.num_edges(et) for et in g.edge_types}
    row["dropped"] = {e.what: e.count for e in g.report.entries if e.action == "dropped" and e.count}
    row["notes"] = {e.what: e.count for e in g.report.entries if e.action == "note" and e.count}
    return row


def collect(args) -> list[tuple[str, Path, dict, str]]:
    jobs = []
    if args.manifest:
        for line in Path(args.manifest).read_text().splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t") + ["", ""]
            jobs.append((fields[0], Path(fields[1]), _options(fields[2]), fields[3]))
    for spec in args.paths:
        adapter, sep, rest = spec.partition(":")
        if sep and adapter in ADAPTERS:
            jobs.append((adapter, Path(rest), {}, ""))
            continue
        p = Path(spec)
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            folder = next((part for part in reversed(f.parent.parts) if part in ADAPTERS), None)
            if folder is not None:
                jobs.append((folder, f, {}, ""))
    return jobs


def _fmt(d: dict) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in d.items()) or "–"


def markdown(rows: list[dict]) -> str:
    from _results import markdown_table

    cells = []
    for r in rows:
        if r["status"] == "ok":
            extra = _fmt(r["dropped"]) + ("; notes: " + _fmt(r["notes"]) if r["notes"] else "")
            cells.append([r["adapter"], f"`{r['file']}`", "ok", f"{r['seconds']:.2f}", _fmt(r["nodes"]),
                          _fmt(r["edges"]), extra])
        else:
            cells.append([r["adapter"], f"`{r['file']}`", "**refused**", f"{r['seconds']:.2f}", "–", "–", r["error"]])
    return markdown_table(cells, ["adapter", "file", "status", "s", "nodes", "edges", "dropped / notes (non-zero)"],
                          align="---r---")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="files, folders, or adapter:path")
    parser.add_argument("--manifest", help="TSV: adapter, path, options (k=v;k=v), origin")
    parser.add_argument("--json", help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    jobs = collect(args)
    if not jobs:
        parser.error("no files: give paths, folders named after an adapter, or --manifest")
    rows = []
    for adapter, path, options, origin in jobs:
        rows.append(run_one(adapter, path, options, origin))
        print(f"{rows[-1]['status']:>7} {rows[-1]['seconds']:7.2f} s  {adapter:8} {path}", file=sys.stderr)
    print(markdown(rows))
    ok = sum(r["status"] == "ok" for r in rows)
    print(f"\n{ok} of {len(rows)} files loaded; {len(rows) - ok} refused with the adapter's own error.")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
