"""ITS size and coverage on real police series and on simulated series with known truth (issue 10).

Two parts, both written to ``benchmarks/results/its_placebo.md``:

1. **Real series, no intervention.** The police counts of the 37 wijken of 's-Gravenhage (12 crime types
   and their total, 2011-01 to 2017-11), placebo starts 2013-07, 2014-01, 2014-07, 2015-01 and 2015-07.
   Every wijk x type series is fitted with :func:`wijklib.its.fit_many` in these set-ups:

   - ``alleen``: the series alone (quasi-Poisson, 2 Fourier pairs, slope change, small-sample HAC;
     ``control=None``), and the same with 4 harmonic pairs;
   - ``gekalibreerd``: ``calibrate=True``, the placebo-in-time calibration on the series' own months
     before the start (fake starts every 6 months, at least 12 months before each; standard errors
     scaled by ``sqrt((sum t_j^2 + 2) / (J + 2))``, t(J + 2) reference);
   - ``met vergelijking``: ``control="others"``, every wijk against the pooled other 36 wijken of the same
     type (the default ``control="auto"`` does this whenever comparison series exist), also as the
     monitor's step model (no slope change, ``wijklib.monitor.design.its_fit``).

   With no intervention the truth is "no change", so the rejection rate of a 5% test is the size and
   1 - rejection the coverage of the 95% interval.

2. **Simulation with known truth.** One treated series and 20 comparison series of monthly counts:
   a city-wide log-trend (linear, or bending: a quadratic term), shared seasonality and a shared AR(1)
   city shock, plus every series' own AR(1) overdispersed noise; true level change 0.85 (and 1.0 for the
   size). Coverage of the 95% interval and rejection of "no change" for the series alone and for the
   default with the comparison series (``start`` NaT for the comparison series: ``control="auto"``),
   each without and with ``calibrate=True``, and the monitor's step model (controlled, calibrated).

Usage::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_its_placebo            # ~15 min
    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_its_placebo --reps 200 --tag quick
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import git_commit, wilson_pct
from wijklib import its
from wijklib.monitor import placebo as pl

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
STARTS = ("2013-07-01", "2014-01-01", "2014-07-01", "2015-01-01", "2015-07-01")


# --------------------------------------------------------------------------------------------
# real series
# --------------------------------------------------------------------------------------------
def _long(panel: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in panel.columns if c.startswith("n_")]
    long = panel.melt(id_vars=["unit", "period"], value_vars=cols, var_name="type", value_name="y")
    long["serie"] = long["unit"] + "|" + long["type"]
    return long


def _level(out: pd.DataFrame, by: str) -> pd.DataFrame:
    lc = out.loc[(out["term"] == "level_change") & out["converged"]].copy()
    lc["z"] = np.log(lc["estimate"]) / lc["std_error"]
    return lc


def real_series(panel: pd.DataFrame) -> pd.DataFrame:
    long = _long(panel)
    alone = {
        "alleen": dict(control=None),
        "alleen, 4 Fourier-paren": dict(control=None, seasonality=4),
        "alleen, gekalibreerd": dict(control=None, calibrate=True),
    }
    compared = {
        "met vergelijking": dict(control="others"),
        "met vergelijking, gekalibreerd": dict(control="others", calibrate=True),
        "met vergelijking, stapmodel": dict(control="others", slope_change=False),
        "met vergelijking, stapmodel, gekalibreerd": dict(control="others", slope_change=False, calibrate=True),
    }
    rows = []
    for start in STARTS:
        st = pd.Timestamp(start)
        for name, kw in alone.items():
            lc = _level(its.fit_many(long, by="serie", yname="y", tname="period", start=st, **kw), "serie")
            rows.append(pd.DataFrame({"opzet": name, "start": start, "serie": lc["serie"].to_numpy(),
                                      "reject": (lc["p_value"] < 0.05).to_numpy()}))
        for name, kw in compared.items():
            for typ in sorted(long["type"].unique()):  # the comparison pool holds the same crime type
                sub = long.loc[long["type"] == typ]
                lc = _level(its.fit_many(sub, by="serie", yname="y", tname="period", start=st, **kw), "serie")
                rows.append(pd.DataFrame({"opzet": name, "start": start, "serie": lc["serie"].to_numpy(),
                                          "reject": (lc["p_value"] < 0.05).to_numpy()}))
        print(f"  start {start} done", file=sys.stderr, flush=True)
    out = pd.concat(rows, ignore_index=True)
    out["totaal"] = out["serie"].str.endswith("|n_totaal")
    return out


# --------------------------------------------------------------------------------------------
# simulation with known truth
# --------------------------------------------------------------------------------------------
def simulate(reps: int, n: int, *, rr: float, bend: float, rho: float = 0.5, sd: float = 0.08,
             n_controls: int = 20, seed: int = 0) -> tuple[pd.DataFrame, pd.Timestamp]:
    """``reps`` cities of 1 treated + ``n_controls`` comparison series (long frame: rep, unit, period, y, start)."""
    rng = np.random.default_rng(seed)
    per = pd.date_range("2016-01-01", periods=n, freq="MS")
    start = per[n // 2]
    t = np.arange(n) / 12.0
    season = 0.2 * np.sin(2 * np.pi * per.month.to_numpy() / 12) + 0.1 * np.cos(2 * np.pi * per.month.to_numpy() / 12)
    frames = []
    m = n_controls + 1
    for r in range(reps):
        city = np.zeros(n)
        city[0] = rng.normal(0, 0.05)
        for k in range(1, n):
            city[k] = 0.6 * city[k - 1] + rng.normal(0, 0.05)
        trend = -0.06 * t + bend * (t - t.mean()) ** 2
        lvl = np.exp(rng.uniform(np.log(20), np.log(300), m))
        e = np.zeros((m, n))
        e[:, 0] = rng.normal(0, sd / np.sqrt(1 - rho**2), m)
        for k in range(1, n):
            e[:, k] = rho * e[:, k - 1] + rng.normal(0, sd, m)
        eff = np.where(per >= start, np.log(rr), 0.0)
        eta = np.log(lvl)[:, None] + (trend + season + city)[None, :] + e
        eta[0] += eff
        y = rng.poisson(np.exp(eta))
        frames.append(pd.DataFrame({
            "rep": r, "unit": np.repeat([f"r{r}w{i:02d}" for i in range(m)], n), "period": np.tile(per, m),
            "y": y.ravel().astype(float), "start": np.repeat([start] + [pd.NaT] * n_controls, n),
        }))
    return pd.concat(frames, ignore_index=True), start


def simulation(reps: int) -> pd.DataFrame:
    rows = []
    for n in (60, 84):
        for bend, bend_name in ((0.0, "rechte trend"), (0.012, "buigende trend")):
            for rr in (1.0, 0.85):
                df, start = simulate(reps, n, rr=rr, bend=bend, seed=int(1000 * n + 100 * bend * 1000 + 10 * rr))
                df["start"] = pd.to_datetime(df["start"])
                treated = df.loc[df["start"].notna()]
                sets = {}
                for cal in (False, True):
                    tag = ", gekalibreerd" if cal else ""
                    sets["alleen" + tag] = its.fit_many(treated, by="unit", yname="y", tname="period", start=start,
                                                        control=None, calibrate=cal)
                    sets["met vergelijking (standaard)" + tag] = pd.concat(
                        [its.fit_many(g, by="unit", yname="y", tname="period", start="start", calibrate=cal)
                         for _, g in df.groupby("rep", sort=False)], ignore_index=True)
                # the monitor's single-ward ITS (design.its_fit): step model, comparison series, calibrated
                sets["met vergelijking, stapmodel, gekalibreerd (monitor)"] = pd.concat(
                    [its.fit_many(g, by="unit", yname="y", tname="period", start="start", slope_change=False,
                                  calibrate=True) for _, g in df.groupby("rep", sort=False)], ignore_index=True)
                for name, out in sets.items():
                    lc = out.loc[(out["term"] == "level_change") & out["converged"]]
                    cover = (lc["conf_low"] <= rr) & (rr <= lc["conf_high"])
                    rows.append({"maanden": n, "trend": bend_name, "waarheid": rr, "opzet": name, "n": len(lc),
                                 "dekking": float(cover.mean()), "verwerpt geen effect": float((lc["p_value"] < 0.05).mean()),
                                 "gem. log-verhouding - waar": float(np.mean(np.log(lc["estimate"])) - np.log(rr))})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------

def render(real: pd.DataFrame, sim: pd.DataFrame, args: argparse.Namespace, seconds: float) -> str:
    out = [f"<!-- bench_its_placebo --reps {args.reps}; commit {git_commit()}; {platform.python_version()}; "
           f"{seconds:.0f} s -->", "", "# ITS size and coverage: real police series and simulation with known truth", "",
           f"Command: `PYTHONPATH=. .venv/bin/python -m benchmarks.bench_its_placebo --reps {args.reps}`", "",
           "## 1. Real series without an intervention ('s-Gravenhage, 37 wijken, 2011-01 to 2017-11)", "",
           "Share of series whose 95% interval excludes 'no change' (= 1 - coverage), per placebo start; "
           "total crime and the 12 single crime types separately; last column pooled over the five starts "
           "with a 95% Wilson interval.", ""]
    heads = [s[:7] for s in STARTS]
    out += ["| opzet | reeks | " + " | ".join(heads) + " | alle starts |", "|---|---|" + "---:|" * (len(heads) + 1)]
    for opzet, g in real.groupby("opzet", sort=False):
        for tot, name in ((True, "totaal"), (False, "soorten")):
            h = g.loc[g["totaal"] == tot]
            cells = []
            for s in STARTS:
                hs = h.loc[h["start"] == s]
                cells.append(f"{100 * hs['reject'].mean():.1f}% (n={len(hs)})")
            out.append(f"| {opzet} | {name} | " + " | ".join(cells) + f" | {wilson_pct(h['reject'].sum(), len(h))} |")
    out += ["", "## 2. Simulation with known truth (1 treated + 20 comparison series per city)", "",
            "| maanden | trend | waarheid | opzet | n | dekking 95%-interval | verwerpt 'geen verandering' | "
            "gem. log-verhouding − waar |", "|---:|---|---:|---|---:|---:|---:|---:|"]
    for r in sim.itertuples(index=False):
        out.append(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]} | {r[4]} | {r[5]:.3f} | {r[6]:.3f} | {r[7]:+.3f} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=500, help="simulated cities per cell")
    ap.add_argument("--tag", default="final", help="'final' writes its_placebo.md, else its_placebo_<tag>.md")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    real = real_series(pl.hague_panel())
    print(f"real series: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    sim = simulation(args.reps)
    md = render(real, sim, args, time.perf_counter() - t0)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / ("its_placebo.md" if args.tag == "final" else f"its_placebo_{args.tag}.md")).write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
