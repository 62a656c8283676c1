"""The monitor on the national demo (issue 15): wall clock and peak memory at a chosen scale.

Writes the national demo (``python -m wijklib.demo --national --scale S``) and runs the monitor on every
gemeente (``python -m wijklib.demo --national-evaluate``), each as a whole process under
``/usr/bin/time -v`` (wall clock, user+system CPU, max RSS), and writes ``results/national.md``.
Goal of issue 15: about 3,300 wijken (scale 1) in at most 10 minutes with at most 4 GB on this machine.

Usage::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_national --scales 0.1 1.0
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from benchmarks._common import time_process

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "_work" / "national"
RESULTS = ROOT / "benchmarks" / "results"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0])
    ap.add_argument("--tag", default="final")
    a = ap.parse_args(argv)
    py = sys.executable
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    rows = []
    for s in a.scales:
        out = WORK / f"scale_{s:g}"
        gen = time_process([py, "-m", "wijklib.demo", "--national", "--scale", str(s), "--out", str(out)], env=env)
        truth = json.loads((out / "truth.json").read_text())
        log = out / "evaluate.log"
        t0 = time.perf_counter()
        ev = time_process([py, "-m", "wijklib.demo", "--national-evaluate", str(out), "--out-json",
                           str(out / "overzichten")], env=env)
        n_json = len(list((out / "overzichten").glob("GM*_*.json")))
        rows.append(dict(scale=s, gemeenten=truth["n_gemeenten"], wijken=truth["n_wijken"],
                         buurten=truth["n_buurten"], treated=len(truth["start_month"]), gen_wall=gen[0],
                         gen_rss=gen[1], wall=ev[0], cpu=ev[2], rss=ev[1], overviews=n_json))
        log.write_text(f"{time.perf_counter() - t0:.1f}\n")
        print(rows[-1], flush=True)
    cmd = "PYTHONPATH=. .venv/bin/python -m benchmarks.bench_national " + " ".join(sys.argv[1:] if argv is None else argv)
    lines = [
        "# The monitor on the national demo",
        "",
        f"Command: `{cmd.strip()}` ({platform.node()}, {os.cpu_count()} cores shared with other jobs, BLAS 1 "
        f"thread; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}). Each step is a whole process under "
        "`/usr/bin/time -v`. The monitor step: `python -m wijklib.demo --national-evaluate <folder> --out-json ...` "
        "(every gemeente its own city: `monitor.evaluate_city(2025)` over its wijken with last year computed, "
        "outcomes overlast, afval, zwerfvuil; one overview JSON per gemeente).",
        "",
        "| scale | gemeenten | wijken | buurten | treated wijken | generate (s) | monitor wall (s) | monitor CPU (s) | "
        "CPU per wijk (s) | peak RSS (MiB) | overviews written |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['scale']:g} | {r['gemeenten']} | {r['wijken']:,} | {r['buurten']:,} | {r['treated']:,} | "
                     f"{r['gen_wall']:.1f} | {r['wall']:.0f} | {r['cpu']:.0f} | {r['cpu'] / r['wijken']:.3f} | "
                     f"{r['rss']:.0f} | {r['overviews']} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / ("national.md" if a.tag == "final" else f"national_{a.tag}.md")
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
