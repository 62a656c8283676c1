"""The report batch on the local process pool next to a Dask LocalCluster, in one run.

Command: ``PYTHONPATH=. .venv/bin/python -m benchmarks.bench_reports_dask [--wards N] [--repeat R]``.
Writes ``benchmarks/results/reports_dask.md``. Every run rebuilds the same N demo wards (``force=True``)
into its own folder after one warm-up run that fills the evaluation cache, so the timings compare the
backends, not the monitor. Wall time is the median of R runs; the per-report overhead of a backend is
(wall - pool wall) / reports.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from wijklib.report import runner

RESULTS = Path(__file__).parent / "results" / "reports_dask.md"


def _wards(n: int) -> list[str]:
    from wijklib.report import evaluations
    from wijklib.report.settings import load_config

    cfg = load_config("config/demo.yaml")
    return [code for code, _ in evaluations.geography_units(cfg)][:n]


def _run(wards: list[str], jobs: int, scheduler: str | None) -> float:
    out = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    t0 = time.perf_counter()
    s = runner.run("config/demo.yaml", 2025, ",".join(wards), jobs=jobs, out=out, progress=False, force=True,
                   formats=["pdf"], scheduler=scheduler)
    wall = time.perf_counter() - t0
    if s.exit_code != 0:
        raise RuntimeError(s.text())
    return wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wards", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    wards = _wards(a.wards)
    _run(wards, 2, None)  # warm-up: evaluation cache and kernel spec
    setups = [("process pool, 2 workers", 2, None), ("Dask LocalCluster, 1 worker", 1, "local"),
              ("Dask LocalCluster, 2 workers", 2, "local")]
    rows = []
    for name, jobs, sched in setups:
        walls = [_run(wards, jobs, sched) for _ in range(a.repeat)]
        rows.append((name, statistics.median(walls), walls))
    pool = rows[0][1]
    lines = [
        "# Report batch: process pool vs Dask LocalCluster",
        "",
        f"Command: `PYTHONPATH=. .venv/bin/python -m benchmarks.bench_reports_dask --wards {a.wards} "
        f"--repeat {a.repeat}` ({platform.node()}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')} UTC). "
        f"{len(wards)} demo ward reports (PDF) per run, evaluation cache warm, median of {a.repeat} runs "
        "in one process; a LocalCluster is started and stopped inside every run (its start-up is included).",
        "",
        "| backend | wall (s, median) | runs (s) | vs pool | overhead per report (s) |",
        "|---|---:|---|---:|---:|",
    ]
    for name, wall, walls in rows:
        lines.append(f"| {name} | {wall:.1f} | {', '.join(f'{w:.1f}' for w in walls)} | {wall / pool:.2f}x | "
                     f"{(wall - pool) / len(wards):+.2f} |")
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
