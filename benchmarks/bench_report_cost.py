"""Benchmark: CPU per ward report by stage, two code trees side by side in one run (issue 15).

Each tree (a checkout of wijklib, e.g. ``main`` extracted with ``git archive`` and this worktree) is
measured in its own process with ``PYTHONPATH`` pointing at it (its kernels inherit it), on the SAME
pinned evaluation cache, so only the rendering code differs. The stages are those of
:func:`benchmarks.bench_reports.stage_profile` (one worker, warm kernel, the first ward only warms up):
the kernel's CPU (notebook code + charts), papermill around it, nbconvert HTML, WeasyPrint PDF. The
trees are measured in alternating rounds (A B A B ...) so that a change of load on the shared machine
hits both; the table gives the median over rounds of each stage's mean over the wards.

It also counts what the ward's maps print: path points in the two map SVGs of the HTML, and the sizes
of the PDF and the HTML.

Usage::

    python -m benchmarks.bench_report_cost --cache data/processed/report_cache/demo_2025_<key> \\
        --tree before=/tmp/base --tree after=. --rounds 2 --wards tarwewijk,bloemhof,carnisse,charlois-zuidrand
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, os, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, os.getcwd())
from benchmarks import bench_reports
wards = sys.argv[1].split(",")
out = sys.argv[2]
prof = bench_reports.stage_profile(wards)
# One more ward rendered to files, to count its map points and measure the outputs.
from wijklib.report import runner, content
from wijklib.report.settings import load_config
cfg = load_config("config/demo.yaml")
s = runner.run("config/demo.yaml", 2025, wards[-1], jobs=1, out=out, progress=False)
prof["outputs"] = [str(p) for p in Path(out).rglob("*") if p.suffix in (".pdf", ".html")]
print("RESULT " + json.dumps(prof))
"""


def _points(svg: str) -> int:
    """Number of coordinate pairs in the path data of an SVG document."""
    n = 0
    for d in re.findall(r'\sd="([^"]*)"', svg):
        n += len(re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", d)) // 2
    return n


def map_points(html: str) -> list[int]:
    """Path points of every embedded SVG chart of a report's HTML (in document order)."""
    import base64
    import urllib.parse

    out = []
    for m in re.finditer(r'src="data:image/svg\+xml(;base64)?,([^"]+)"', html):
        data = m.group(2)
        svg = base64.b64decode(data).decode() if m.group(1) else urllib.parse.unquote(data)
        out.append(_points(svg))
    for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        out.append(_points(svg))
    return out


def measure(tree: Path, wards: str, cache: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "WIJKLIB_REPORT_CACHE_DIR": str(cache)}
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.run([sys.executable, "-c", _CHILD, wards, out], cwd=tree, env=env, capture_output=True,
                           text=True, check=False)
        line = next((ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            raise RuntimeError(f"{tree}: stage profile failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
        r = json.loads(line[7:])
        files = [Path(f) for f in r.pop("outputs")]
        pdf = [f for f in files if f.suffix == ".pdf" and "overzicht" not in f.name]
        html = [f for f in files if f.suffix == ".html" and "overzicht" not in f.name]
        r["pdf_kb"] = pdf[0].stat().st_size / 1024 if pdf else float("nan")
        r["html_kb"] = html[0].stat().st_size / 1024 if html else float("nan")
        r["chart_points"] = map_points(html[0].read_text(encoding="utf-8")) if html else []
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", action="append", required=True, help="name=path of a wijklib checkout")
    ap.add_argument("--cache", required=True, help="a prepared evaluation cache folder (demo_2025_<key>)")
    ap.add_argument("--wards", default="tarwewijk,bloemhof,carnisse,charlois-zuidrand")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    trees = dict(t.split("=", 1) for t in args.tree)
    cache = Path(args.cache).resolve()
    runs: dict[str, list[dict]] = {k: [] for k in trees}
    for i in range(args.rounds):
        for name, path in trees.items():
            r = measure(Path(path).resolve(), args.wards, cache)
            runs[name].append(r)
            print(f"round {i + 1} {name}: " + json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                                                            for k, v in r.items()}), file=sys.stderr, flush=True)
    stages = ["kernel", "papermill", "html", "pdf"]
    lines = [f"Command: `python -m benchmarks.bench_report_cost --cache {args.cache} "
             + " ".join(f"--tree {t}" for t in args.tree) + f" --rounds {args.rounds} --wards {args.wards}`",
             f"(load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}). CPU seconds per ward, "
             f"mean of {', '.join(args.wards.split(',')[1:])} (the first ward warms the kernel up), "
             f"median of {args.rounds} alternating rounds.", "",
             "| stage | " + " | ".join(trees) + " |", "|---|" + "---|" * len(trees)]
    med = {n: {s: statistics.median(r[s] for r in rs) for s in [*stages, "wall", "pdf_kb", "html_kb"]}
           for n, rs in runs.items()}
    label = {"kernel": "kernel: notebook code + charts", "papermill": "papermill around the kernel",
             "html": "nbconvert HTML", "pdf": "WeasyPrint PDF"}
    for s in stages:
        lines.append(f"| {label[s]} | " + " | ".join(f"{med[n][s]:.2f}" for n in trees) + " |")
    lines.append("| **total CPU** | " + " | ".join(f"**{sum(med[n][s] for s in stages):.2f}**" for n in trees) + " |")
    lines.append("| wall per ward (one worker) | " + " | ".join(f"{med[n]['wall']:.2f}" for n in trees) + " |")
    lines.append(f"| PDF size of {args.wards.split(',')[-1]} (kB) | "
                 + " | ".join(f"{med[n]['pdf_kb']:.0f}" for n in trees) + " |")
    lines.append("| HTML size (kB) | " + " | ".join(f"{med[n]['html_kb']:.0f}" for n in trees) + " |")
    lines.append("| path points in the charts (sum; largest two) | " + " | ".join(
        f"{sum(runs[n][0]['chart_points'])}; {', '.join(map(str, sorted(runs[n][0]['chart_points'])[-2:]))}"
        for n in trees) + " |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
