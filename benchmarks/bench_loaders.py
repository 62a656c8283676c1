"""Time and peak memory of loading a large meldingen export (1,000,000 rows by default).

The export is built once in ``benchmarks/_work/`` from the demo city's meldingen rows (ids made
unique, ~100 MB of CSV ``;`` Windows-1252 with decimal commas, the layout of the municipal export),
then ``wijklib.load.meldingen`` reads it in a fresh process under ``/usr/bin/time -v`` (wall clock,
max RSS). Writes ``benchmarks/results/loaders.md``.

Run: ``PYTHONPATH=$PWD .venv/bin/python -m benchmarks.bench_loaders [--rows 1000000] [--repeat 2]
[--compare OTHER_CHECKOUT]`` (needs the demo data: ``python -m wijklib.demo --out data/raw/demo``).
``--compare`` also times another checkout of wijklib (e.g. the code before the budget) on the same file.
The script exits non-zero when a run of this checkout exceeds the budget below.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import platform
import sys
from pathlib import Path

from benchmarks._common import RESULTS, ROOT, WORK, time_process

#: The budget for 1,000,000 meldingen rows (137 MiB of CSV): peak memory and CPU of one load.
BUDGET_RSS_MIB = 900
BUDGET_CPU_S = 15

RUNNER = """
import sys, time
t0 = time.perf_counter()
from wijklib import load
t1 = time.perf_counter()
df = load.meldingen(sys.argv[1], validate_units={validate})
t2 = time.perf_counter()
print(len(df), round(t1 - t0, 2), round(t2 - t1, 2), round(df.memory_usage(deep=True).sum() / 2**20))
"""


def build_export(rows: int) -> Path:
    """``rows`` meldingen from the demo files, repeated with new ids, as one cp1252 CSV (cached)."""
    out = WORK / f"meldingen_{rows}.csv"
    if out.exists():
        return out
    WORK.mkdir(parents=True, exist_ok=True)
    files = sorted(glob.glob(str(ROOT / "data" / "raw" / "demo" / "meldingen_*.csv")))
    if not files:
        sys.exit("no demo meldingen: run python -m wijklib.demo --out data/raw/demo first")
    header, body = None, []
    for f in files:
        lines = Path(f).read_bytes().decode("cp1252").splitlines()
        header = lines[0]
        body += lines[1:]
    with open(out, "w", encoding="cp1252", newline="") as fh:
        fh.write(header + "\r\n")
        for i in range(rows):
            rest = body[i % len(body)].split(";", 1)[1]
            fh.write(f"M{i + 1:08d};{rest}\r\n")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-write", action="store_true", help="print only, do not write results/loaders.md")
    ap.add_argument("--compare", type=Path, default=None, help="another wijklib checkout to time on the same file")
    args = ap.parse_args()
    csv = build_export(args.rows)
    py = os.environ.get("BENCH_PYTHON", sys.executable)
    results = []
    roots = [("this checkout", ROOT)] + ([("compared: " + str(args.compare), args.compare)] if args.compare else [])
    for label, root in roots:
        env = dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        for validate in (True, False):
            script = WORK / f"run_loader_{validate}.py"
            script.write_text(RUNNER.format(validate=validate))
            for _ in range(args.repeat if root == ROOT else 1):
                wall, rss, cpu = time_process([py, str(script), str(csv)], env=env)
                results.append({"code": label, "validate_units": validate, "wall_s": wall, "cpu_s": cpu,
                                "max_rss_mib": rss})
                print(results[-1], flush=True)
    size_mb = csv.stat().st_size / 2**20
    lines = [
        "# Loader memory and time budget (large meldingen export)",
        "",
        f"Measured {dt.date.today():%Y-%m-%d} on {platform.machine()} ({os.cpu_count()} shared cores), "
        f"Python {platform.python_version()}, with",
        "",
        "```bash",
        f"PYTHONPATH=$PWD .venv/bin/python -m benchmarks.bench_loaders --rows {args.rows} --repeat {args.repeat}"
        + (f" --compare {args.compare}" if args.compare else ""),
        "```",
        "",
        f"Input: `{csv.name}`, {args.rows:,} rows, {size_mb:.0f} MiB (CSV `;`, Windows-1252, decimal commas).",
        "Each run is a fresh process (`/usr/bin/time -v`): import + `wijklib.load.meldingen(path)`.",
        "",
        f"Budget (this checkout): max RSS <= {BUDGET_RSS_MIB} MiB and CPU <= {BUDGET_CPU_S} s per load. Wall clock",
        "depends on the other jobs on the shared machine; CPU time and RSS do not.",
        "",
        "| code | validate_units | wall s | CPU s | max RSS MiB |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['code']} | {r['validate_units']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
                     f"{r['max_rss_mib']:.0f} |")
    over = [r for r in results if r["code"] == "this checkout"
            and (r["max_rss_mib"] > BUDGET_RSS_MIB or r["cpu_s"] > BUDGET_CPU_S)]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "loaders.md").write_text(text + NOTES)
    if over:
        sys.exit(f"over budget: {over}")


NOTES = """
## Where the memory goes and what bounds it

* The raw file is streamed to pandas' C parser (before: the whole file was decoded into one string and
  copied into a `StringIO`, ~4 bytes a character); encoding and field counts are decided in 16 MB chunks.
* Columns that repeat few values (channel, category, subcategory, buurt, status) are parsed straight into
  categories (`read_table(compact=True)`); only the columns a loader knows are read (`columns=`).
* Rows are tagged with file and row number in place (no copy of the table), the raw strings are freed
  before validation, timestamps are parsed in blocks and plain numeric columns without a Python string
  per value.
* What remains is one Python string per distinct-ish cell (ids, timestamps, coordinates, free text):
  ~500 MiB for the raw table of this file, plus the typed table during parsing.
"""


if __name__ == "__main__":
    main()
