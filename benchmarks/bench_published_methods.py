"""Benchmark: HonestDiD, the Goodman-Bacon decomposition and binned event studies against published output.

The peers are R packages that cannot run here (no R on the machine; HonestDiD's Python ports are
incomplete), so wijklib is compared with the numbers the packages publish, as issue 14 asks. For each
example the table gives the number of published values, the largest absolute difference from them, the
precision they are printed with, and wijklib's run time (in-process, median of ``--repeat`` runs).
The dCDH comparison with its Python port is ``benchmarks/bench_dcdh.py``.

Sources of the published numbers (the same as the reference tests, which assert them):

- HonestDiD, repository asheshrambachan/HonestDiD commit 6813f02, README "Example usage - Medicaid
  expansions", full precision from its knitr cache: chunk 5 (relative magnitudes, C-LF, Mbar 0..2) and
  chunk 6 (smoothness, FLCI, M 0..0.05); ``tests/reference/test_honest.py``.
- bacondecomp 0.1.3, repository evanjflack/bacondecomp commit ec99dd0: the castle-doctrine vignette
  (``bacon_summary``, 5 decimals) and README's math-reform ``head(df_bacon)`` (8 significant digits);
  ``tests/reference/test_bacon.py``.
- Stevenson & Wolfers (2006) Table 1 col. 1 as replicated in bacondecomp's tests/testthat/test_bacon_divorce.R
  (``round(coef, 3) * 100``); ``tests/reference/test_event_study_bins.py``.

Usage::

    .venv/bin/python -m benchmarks.bench_published_methods        # writes benchmarks/results/published_methods.md
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import wijklib as wl
from benchmarks._common import git_commit
from wijklib import honest

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference" / "data"
OUT = ROOT / "benchmarks" / "results" / "published_methods.md"
INF = np.inf

HONEST_RM = {0: (0.028766, 0.064310), 0.5: (0.024002, 0.067242), 1: (0.017040, 0.072006),
             1.5: (0.008245, 0.079701), 2: (-0.000916, 0.088129)}
HONEST_SD = {0: (0.025941, 0.060726), 0.01: (0.013197, 0.078671), 0.02: (0.002857, 0.090716),
             0.03: (-0.007143, 0.100716), 0.04: (-0.017143, 0.110716), 0.05: (-0.027143, 0.120716)}
CASTLE = {"Earlier vs Later Treated": (0.05976, -0.00554), "Later vs Earlier Treated": (0.03190, 0.07032),
          "Treated vs Untreated": (0.90834, 0.08796)}
MATH = {(1987, 1985): (0.04575585, 0.031655309), (1986, 1985): (0.11390411, 0.001978457),
        (1984, 1985): (0.12012908, 0.001978457), (1985, 1987): (0.01021379, 0.039569136),
        (1986, 1987): (-0.09374495, 0.005440756), (1984, 1987): (0.09784857, 0.013354583)}
SW = [1.6, -1.5, -1.5, -3.0, -8.0, -10.0, -11.9, -12.8, -13.3, -16.4, -18.7]
SW_BINS = {-1: (-INF, -1), 0: (0, 0)} | {k: (k - 1, k) for k in range(2, 20, 2)} | {20: (19, INF)}


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, float(np.median(times))


def medicaid_es():
    df = pd.read_csv(REF / "mixtape_ehec_data.csv")
    df = df[(df["year"] < 2016) & (df["yexp2"].isna() | (df["yexp2"] != 2015))].copy()
    df["g"] = np.where(df["yexp2"] == 2014, 2014, 0)
    return wl.did.event_study(df, yname="dins", tname="year", idname="stfips", gname="g", estimator="twfe")


def rows(repeat: int) -> list[tuple]:
    out = []
    es = medicaid_es()
    rm, s = timed(lambda: honest.honest_event_study(es, restriction="RM", grid=list(HONEST_RM)), repeat)
    d = max(abs(r.lb - HONEST_RM[r.Mbar][0]) for r in rm.table.itertuples())
    d = max(d, max(abs(r.ub - HONEST_RM[r.Mbar][1]) for r in rm.table.itertuples()))
    out.append(("HonestDiD Medicaid, relative magnitudes (C-LF), Mbar 0..2", 2 * len(HONEST_RM), d, "1e-6", s,
                f"breakdown {rm.breakdown:g} (published 2)"))
    sd, s = timed(lambda: honest.honest_event_study(es, restriction="SD", grid=list(HONEST_SD)), repeat)
    diffs = [max(abs(r.lb - HONEST_SD[r.M][0]), abs(r.ub - HONEST_SD[r.M][1])) for r in sd.table.itertuples()]
    out.append(("HonestDiD Medicaid, smoothness (FLCI), M 0.01..0.05", 2 * (len(HONEST_SD) - 1), max(diffs[1:]),
                "1e-6", s, f"M = 0: {diffs[0]:.1e} (R's solver stops at the variance bound); breakdown "
                f"{sd.breakdown:g} (published 0.03)"))
    castle = pd.read_csv(REF / "bacondecomp_castle.csv")
    b, s = timed(lambda: wl.did.bacon(castle, yname="l_homicide", dname="post", idname="state", tname="year"),
                 repeat)
    t = b.tidy().set_index("term")
    d = max(max(abs(t.loc[k, "weight"] - w), abs(t.loc[k, "estimate"] - e)) for k, (w, e) in CASTLE.items())
    out.append(("bacondecomp castle doctrine, weights and averages per type", 6, d, "5e-6", s,
                f"weighted sum {b.decomposed:.4f} (published 0.0818)"))
    m = pd.read_csv(REF / "bacondecomp_math_reform.csv")
    b, s = timed(lambda: wl.did.bacon(m, yname="incearn_ln", dname="reform_math", idname="state", tname="class"),
                 repeat)
    tt = b.two_by_twos.set_index(["treated", "untreated"])
    d = max(max(abs(tt.loc[k, "estimate"] - e), abs(tt.loc[k, "weight"] - w)) for k, (e, w) in MATH.items())
    out.append(("bacondecomp math reform, head(df_bacon) estimates and weights", 12, d, "5e-9", s, ""))
    div = pd.read_csv(REF / "bacondecomp_divorce_women.csv")
    es2, s = timed(lambda: wl.did.event_study(div, yname="suiciderate_elast_jag", tname="year", idname="st",
                                              gname="divyear", estimator="twfe", bins=SW_BINS, always_treated=20),
                   repeat)
    est = es2.tidy().set_index("event_time").loc[[k for k in SW_BINS if k != -1], "estimate"].to_numpy()
    d = float(np.max(np.abs(est * 100 - np.array(SW))))
    out.append(("Stevenson & Wolfers Table 1 (binned event study, x 100)", 11, d,
                "printed round(coef, 3) * 100: up to 0.05", s, "equal after the published rounding"
                if (np.round(est, 3) * 100).round(1).tolist() == SW else "DIFFERS after rounding"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = rows(args.repeat)
    lines = ["# HonestDiD, Goodman-Bacon and binned event studies against published output", "",
             f"Command: `python -m benchmarks.bench_published_methods --repeat {args.repeat}` (commit "
             f"{git_commit()}). The R packages cannot run here; the published numbers and their sources are "
             "listed in the script's docstring. Time: wijklib in-process, median of the repeats, wall clock on a "
             "2-core machine shared with other jobs (read it as an order of magnitude).", "",
             "| example | published values | max abs difference | printed precision | wijklib s | note |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {a} | {n} | {d:.2e} | {p} | {s:.3f} | {note} |" for a, n, d, p, s, note in res]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
