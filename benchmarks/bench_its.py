"""Benchmark: interrupted time series for every ward series at once.

700 ward series x 108 months (quasi-Poisson, population offset, 2 harmonic pairs, level + slope
change, Newey-West). Times, in one process and on the same data:

- ``wijklib.its.fit_many`` (batched IRLS) with the default small-sample HAC, plain Newey-West and
  model-based SEs;
- a Python loop over ``wijklib.its.fit``;
- a loop over statsmodels ``GLM`` (array API, design built once per series) and ``smf.glm``
  (formula API), both with ``cov_type="HAC"``;

and checks that the estimates agree (plain Newey-West vs statsmodels' HAC).

Usage::

    .venv/bin/python -m benchmarks.bench_its                # writes benchmarks/results/its.md
    .venv/bin/python -m benchmarks.bench_its --units 100 --no-write

BLAS is pinned to one thread (the machine is shared; batched numpy is single-threaded anyway).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))

from wijklib import its  # noqa: E402

START = pd.Timestamp("2021-01-01")
LAGS = 4  # default rule for 108 periods


def make_panel(n_units: int, n_months: int = 108, seed: int = 20260122) -> pd.DataFrame:
    """Monthly counts per ward: population offset, trend, seasonality, AR(1) latent noise, a 15% drop."""
    rng = np.random.default_rng(seed)
    maand = pd.date_range("2017-01-01", periods=n_months, freq="MS")
    m = maand.month.to_numpy()
    t = np.arange(n_months)
    pop = rng.uniform(3_000, 40_000, n_units)
    rate = rng.uniform(2, 12, n_units) / 1000
    e = np.zeros((n_units, n_months))
    for i in range(1, n_months):
        e[:, i] = 0.4 * e[:, i - 1] + rng.normal(0, 0.1, n_units)
    eta = (np.log(pop * rate)[:, None] + 0.002 * t + 0.2 * np.sin(2 * np.pi * m / 12)
           + np.log(0.85) * (maand >= START) + e)
    return pd.DataFrame({
        "wijk": np.repeat([f"w{i:03d}" for i in range(n_units)], n_months),
        "maand": np.tile(maand, n_units),
        "meldingen": rng.poisson(np.exp(eta)).ravel(),
        "inwoners": np.repeat(pop, n_months),
    })


def timed(fn, repeat: int = 1):
    best_wall = best_cpu = np.inf
    out = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return out, best_wall, best_cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=700)
    ap.add_argument("--months", type=int, default=108)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    import statsmodels
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    df = make_panel(args.units, args.months)
    kw = dict(by="wijk", yname="meldingen", tname="maand", start=START, exposure="inwoners")
    rows = []

    out_def, w, c = timed(lambda: its.fit_many(df, **kw), repeat=3)
    rows.append(("wijklib `its.fit_many`, default (small-sample HAC)", w, c))
    out_nw, w, c = timed(lambda: its.fit_many(df, **kw, small_sample=False), repeat=3)
    rows.append(("wijklib `its.fit_many`, plain Newey-West", w, c))
    _, w, c = timed(lambda: its.fit_many(df, **kw, cov_type="nonrobust"), repeat=3)
    rows.append(("wijklib `its.fit_many`, model-based SE", w, c))

    groups = [g for _, g in df.groupby("wijk", sort=True)]

    def loop_fit():
        return [its.fit(g, yname="meldingen", tname="maand", start=START, exposure="inwoners",
                        small_sample=False).level_change.estimate for g in groups]

    fit_rr, w, c = timed(loop_fit)
    rows.append(("wijklib loop over `its.fit` (plain Newey-West)", w, c))

    def design(g: pd.DataFrame) -> pd.DataFrame:
        mth = g["maand"].dt.month.to_numpy()
        t = np.arange(1, len(g) + 1)
        post = (g["maand"] >= START).to_numpy().astype(float)
        t0 = int(np.argmax(post)) + 1
        return pd.DataFrame({
            "meldingen": g["meldingen"].to_numpy(), "time": t, "level": post,
            "slope": (t - t0 + 1) * post,
            "sin1": np.sin(2 * np.pi * mth / 12), "cos1": np.cos(2 * np.pi * mth / 12),
            "sin2": np.sin(4 * np.pi * mth / 12), "cos2": np.cos(4 * np.pi * mth / 12),
            "logpop": np.log(g["inwoners"].to_numpy()),
        })

    designs = [design(g) for g in groups]
    hac = {"cov_type": "HAC", "cov_kwds": {"maxlags": LAGS, "use_correction": False}}

    def loop_sm_array():
        res = []
        for d in designs:
            X = sm.add_constant(d[["time", "level", "slope", "sin1", "cos1", "sin2", "cos2"]].to_numpy())
            r = sm.GLM(d["meldingen"].to_numpy(), X, family=sm.families.Poisson(),
                       offset=d["logpop"].to_numpy()).fit(**hac)
            res.append((r.params[2], r.bse[2]))
        return res

    sm_arr, w, c = timed(loop_sm_array)
    rows.append(("statsmodels `GLM` array API, loop, HAC", w, c))

    def loop_sm_formula():
        res = []
        for d in designs:
            r = smf.glm("meldingen ~ time + level + slope + sin1 + cos1 + sin2 + cos2", data=d,
                        family=sm.families.Poisson(), offset=d["logpop"]).fit(**hac)
            res.append((r.params["level"], r.bse["level"]))
        return res

    sm_frm, w, c = timed(loop_sm_formula)
    rows.append(("statsmodels `smf.glm` formula API, loop, HAC", w, c))

    lc_nw = out_nw[out_nw["term"] == "level_change"].set_index("wijk").sort_index()
    ours_b = np.log(lc_nw["estimate"].to_numpy())
    ours_se = lc_nw["std_error"].to_numpy()
    d_arr_b = np.max(np.abs(ours_b - np.array([p for p, _ in sm_arr])))
    d_arr_se = np.max(np.abs(ours_se / np.array([s for _, s in sm_arr]) - 1))
    d_frm_b = np.max(np.abs(ours_b - np.array([p for p, _ in sm_frm])))
    d_fit = np.max(np.abs(lc_nw["estimate"].to_numpy() / np.array(fit_rr) - 1))
    lc_def = out_def[out_def["term"] == "level_change"]
    se_ratio = float(np.median(lc_def["std_error"].to_numpy() / lc_nw.loc[lc_def["wijk"], "std_error"].to_numpy()))

    lines = [
        "# Benchmark: ITS for every ward series (`wijklib.its`)",
        "",
        f"Command: `.venv/bin/python -m benchmarks.bench_its{'' if args.units == 700 else f' --units {args.units}'}`"
        f" (from the repository root). Data: {args.units} synthetic ward series x {args.months} months "
        "(`make_panel` in the script), quasi-Poisson with log-population offset, 2 harmonic pairs, "
        f"level + slope change at {START.date()}, Newey-West with {LAGS} lags.",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared with other jobs), "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"statsmodels {statsmodels.__version__}; BLAS pinned to 1 thread. Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "| what | wall s | CPU s |",
        "|---|---:|---:|",
        *[f"| {name} | {w:.2f} | {c:.2f} |" for name, w, c in rows],
        "",
        "wijklib `fit_many` rows: best of 3 runs; loops: one run. The machine is shared: where wall "
        "time is well above CPU time other jobs were running, and CPU seconds are the fairer comparison.",
        "",
        "Agreement (level change, log scale, plain Newey-West vs statsmodels `cov_type=\"HAC\"`, "
        "`use_correction=False`):",
        "",
        f"- max |coef difference| vs statsmodels array API: {d_arr_b:.2e}; vs formula API: {d_frm_b:.2e}",
        f"- max relative SE difference vs statsmodels array API: {d_arr_se:.2e}",
        f"- max relative RR difference `fit_many` vs loop over `fit`: {d_fit:.2e}",
        f"- median ratio default (small-sample) SE / plain Newey-West SE: {se_ratio:.2f}",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "its.md").write_text(text, encoding="utf-8")
        print(f"written {RESULTS / 'its.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
