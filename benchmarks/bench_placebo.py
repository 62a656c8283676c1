"""Placebo-in-space draws for one treated ward (issue 15): one shared FE projection vs a refit per ward.

``wijklib.did.placebo.placebo_draws`` gives each comparison ward in turn the treated ward's start and
estimates its event study. ``method="refit"`` (the implementation before issue 15, kept as the
reference) fits a full :func:`wijklib.did.event_study` per placebo; ``method="shared"`` (the default)
computes all of them from one two-way fixed-effects projection (Frisch-Waugh-Lovell). Both run here on
the same panels in one process, side by side, and the script checks that they agree to 1e-10.

Panel: N comparison wards + 1 treated, 108 months (the demo city's 2017-2025), the monitor's window
(-12, 12), start at month 72, AR(1) noise; 3% of ward-months missing (unbalanced, as police exports).

Usage::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_placebo                # 40, 320, 640 wards
    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_placebo --sizes 40 --repeats 1 --tag quick
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from wijklib.did import twfe_es
from wijklib.did.placebo import placebo_draws

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PERIODS, START, WINDOW = 108, 72, (-12, 12)


def make_panel(n_wards: int, seed: int = 15, missing: float = 0.03) -> pd.DataFrame:
    """N comparison wards and one treated ward (id 0), monthly, with unit effects, trend and AR(1) noise."""
    rng = np.random.default_rng(seed)
    n = n_wards + 1
    e = np.zeros((n, PERIODS))
    eps = rng.normal(size=(n, PERIODS))
    for t in range(PERIODS):
        e[:, t] = (0.5 * e[:, t - 1] if t else 0) + eps[:, t]
    y = rng.normal(size=(n, 1)) + 0.02 * np.arange(PERIODS)[None, :] + e
    df = pd.DataFrame({"id": np.repeat(np.arange(n), PERIODS), "t": np.tile(np.arange(PERIODS), n),
                       "y": y.ravel()})
    df["g"] = np.where(df["id"] == 0, START, 0)
    drop = rng.random(len(df)) < missing
    return df.loc[~drop].reset_index(drop=True)


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[40, 320, 640], help="comparison wards")
    ap.add_argument("--repeats", type=int, default=3, help="runs per cell (median reported)")
    ap.add_argument("--tag", default="final", help="'final' writes results/placebo.md, else placebo_<tag>.md")
    a = ap.parse_args(argv)
    kw = dict(yname="y", tname="t", idname="id", gname="g", start=START, window=WINDOW)
    rows = []
    with twfe_es._single_blas_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # placebo wards missing their reference month: a coefficient left out
        for n in a.sizes:
            d = make_panel(n)
            t_ref, ref = timed(lambda d=d: placebo_draws(d, **kw, method="refit"), a.repeats)
            t_new, new = timed(lambda d=d: placebo_draws(d, **kw), a.repeats)
            same = new[["placebo", "event_time"]].astype(str).equals(ref[["placebo", "event_time"]].astype(str))
            diff = float(np.nanmax(np.abs(new["estimate"].to_numpy(float) - ref["estimate"].to_numpy(float))))
            nan_same = bool((new["estimate"].isna() == ref["estimate"].isna()).all())
            rows.append(dict(n=n, rows=len(d), refit=t_ref, shared=t_new, speedup=t_ref / t_new,
                             draws=len(new), same_rows=same and nan_same, max_diff=diff))
            print(rows[-1], flush=True)
    cmd = "PYTHONPATH=. .venv/bin/python -m benchmarks.bench_placebo " + " ".join(sys.argv[1:] if argv is None else argv)
    lines = [
        "# Placebo draws: one shared FE projection vs a refit per comparison ward",
        "",
        f"Command: `{cmd.strip()}` ({platform.node()}, {os.cpu_count()} cores shared with other jobs, "
        f"BLAS 1 thread, median of {a.repeats} runs in one process; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).",
        "",
        f"Panel: N comparison wards + 1 treated ward, {PERIODS} months, window {WINDOW}, start month {START}, "
        "3% ward-months missing. `refit` = `placebo_draws(..., method=\"refit\")` (the implementation before "
        "issue 15: one `event_study` per placebo); `shared` = the default (one two-way FE projection, "
        "Frisch-Waugh-Lovell; per placebo a T x p triangular solve).",
        "",
        "| comparison wards | panel rows | refit (s) | shared (s) | speed-up | draws (rows) | same rows and NaNs | max abs difference |",
        "|---:|---:|---:|---:|---:|---:|:---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['n']} | {r['rows']:,} | {r['refit']:.2f} | {r['shared']:.3f} | {r['speedup']:.0f}x | "
                     f"{r['draws']:,} | {'yes' if r['same_rows'] else 'NO'} | {r['max_diff']:.1e} |")
    if len(rows) >= 2:
        r0, r1 = rows[0], rows[-1]
        k = r1["n"] / r0["n"]
        lines += ["", f"Growth from {r0['n']} to {r1['n']} wards ({k:.0f}x): refit {r1['refit'] / r0['refit']:.0f}x, "
                  f"shared {r1['shared'] / r0['shared']:.0f}x."]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / ("placebo.md" if a.tag == "final" else f"placebo_{a.tag}.md")
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")
    return 0 if all(r["same_rows"] and r["max_diff"] <= 1e-10 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
