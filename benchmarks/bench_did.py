"""Benchmark: Callaway & Sant'Anna ATT(g,t) + 999-draw multiplier bootstrap + four aggregations.

Compares ``wijklib.did.att_gt`` with the Python peers csdid 0.4.3 and differences 0.3.0 (and notes on
pyfixest 0.60.0, which has no Callaway-Sant'Anna estimator) as *whole processes* that read the same
CSV file, timed with ``/usr/bin/time -v`` (wall clock and max RSS), and checks that the estimates agree.

The peers live in their own virtual environment (never in the project's dependencies)::

    python3 -m venv benchmarks/_work/peers
    benchmarks/_work/peers/bin/pip install csdid==0.4.3 differences==0.3.0 pyfixest==0.60.0

Usage::

    .venv/bin/python -m benchmarks.bench_did                 # all sizes, all tools, writes results/did.md
    .venv/bin/python -m benchmarks.bench_did --sizes 40x72 --tools wijklib csdid
    .venv/bin/python -m benchmarks.bench_did --reuse         # reuse stored peer timings (the big runs are slow)

Timings are stored in ``benchmarks/_work/did_timings.json`` so that the slow peer runs on the largest
panel need to be done only once; ``--reuse`` rebuilds the report from stored runs plus new ones.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import (
    OUR_PY,
    PEERS_PY,
    RESULTS,
    ROOT,
    WORK,
    long_panel,
    panel_csv,
    run_script,
    staggered_cohorts,
)

SIZES = ["40x72", "500x120", "3300x120", "14500x120"]
TOOLS = ["wijklib", "csdid", "differences"]
BITERS = 999
SIZE_STUDY = WORK / "did_size_study.json"


def make_panel(n_units: int, n_periods: int, seed: int = 20260122) -> pd.DataFrame:
    """Staggered panel: 40% never treated, the rest in cohorts starting every 12 periods.

    Outcome = unit effect + period effect + AR(1) noise + a treatment effect growing with exposure.
    """
    rng = np.random.default_rng(seed)
    g = staggered_cohorts(rng, n_units, n_periods)
    unit = rng.normal(size=n_units)
    period = np.cumsum(rng.normal(scale=0.1, size=n_periods))
    eps = np.empty((n_units, n_periods))
    eps[:, 0] = rng.normal(size=n_units)
    for t in range(1, n_periods):
        eps[:, t] = 0.5 * eps[:, t - 1] + rng.normal(size=n_units)
    t_idx = np.arange(1, n_periods + 1)
    treated = (g[:, None] > 0) & (t_idx[None, :] >= g[:, None])
    effect = np.where(treated, 0.5 + 0.01 * (t_idx[None, :] - g[:, None]), 0.0)
    y = 10 + unit[:, None] + period[None, :] + eps + effect
    return long_panel(g, np.round(y, 6))


# Each runner: read the CSV, estimate ATT(g,t) (never-treated controls, varying base period, DR =
# difference in means without covariates), 999-draw multiplier bootstrap, the four aggregations, and
# dump the estimates as JSON for the agreement check.
RUNNERS = {
    "wijklib": r'''
import json, sys, warnings
import pandas as pd
from wijklib.did import att_gt
df = pd.read_csv(sys.argv[1])
res = att_gt(df, yname="y", tname="t", idname="id", gname="g", control_group="nevertreated",
             base_period="varying", est_method="dr", inference="multiplier", biters=999, seed=1)
tab = res.tidy()
out = {"att": dict(zip([f"{g},{t}" for g, t in zip(tab.group, tab.time)], tab.estimate.tolist())),
       "se": dict(zip([f"{g},{t}" for g, t in zip(tab.group, tab.time)], tab.std_error.tolist()))}
for typ in ["simple", "dynamic", "group", "calendar"]:
    a = res.aggregate(typ)
    out[typ] = [a.estimate, a.std_error]
json.dump(out, open(sys.argv[2], "w"))
''',
    "csdid": r'''
import json, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
from csdid.att_gt import ATTgt
df = pd.read_csv(sys.argv[1])
m = ATTgt(yname="y", tname="t", idname="id", gname="g", data=df, control_group=["nevertreated"],
          biters=999, cband=True).fit(est_method="dr", base_period="varying", bstrap=True)
r = m.results
out = {"att": {f"{int(g)},{int(t)}": float(a) for g, t, a in zip(r["group"], r["year"], r["att"])},
       "se": {f"{int(g)},{int(t)}": float(s) for g, t, s in zip(r["group"], r["year"], r["se"])}}
for typ in ["simple", "dynamic", "group", "calendar"]:
    m.aggte(typec=typ, bstrap=True, biters=999)
    out[typ] = [float(np.ravel(m.atte["overall_att"])[0]), float(np.ravel(m.atte["overall_se"])[0])]
json.dump(out, open(sys.argv[2], "w"))
''',
    "differences": r'''
import json, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
from differences import ATTgt
df = pd.read_csv(sys.argv[1])
df["g"] = df["g"].where(df["g"] > 0, np.nan)
att = ATTgt(data=df.set_index(["id", "t"]), cohort_column="g", base_period="varying")
res = att.fit(formula="y", est_method="dr", control_group="never_treated", boot_iterations=999,
              random_state=1, progress_bar=False)
tab = res.to_pandas()
out = {"att": {}, "se": {}}
for (g, _base, t), row in tab.iterrows():
    out["att"][f"{int(g)},{int(t)}"] = float(row.iloc[0])
    out["se"][f"{int(g)},{int(t)}"] = float(row.iloc[1])
for typ, name in [("simple", "simple"), ("dynamic", "event"), ("group", "cohort"), ("calendar", "time")]:
    a = att.aggregate(name, overall=True, boot_iterations=999, random_state=1)
    out[typ] = [float(a.iloc[0, 0]), float(a.iloc[0, 1])]
json.dump(out, open(sys.argv[2], "w"))
''',
}


def run_tool(tool: str, csv: Path) -> dict:
    py = OUR_PY if tool == "wijklib" else PEERS_PY
    return run_script(RUNNERS[tool], WORK / f"run_{tool}.py", py, csv, WORK / f"out_{tool}_{csv.stem}.json")


def agreement(ours: dict, peer: dict) -> dict:
    keys = sorted(set(ours["att"]) & set(peer["att"]))
    a = np.array([ours["att"][k] for k in keys])
    b = np.array([peer["att"][k] for k in keys])
    agg = {t: abs(ours[t][0] - peer[t][0]) for t in ("simple", "dynamic", "group", "calendar") if t in peer}
    se_a = np.array([ours["se"][k] for k in keys])
    se_b = np.array([peer["se"][k] for k in keys])
    ok = np.isfinite(se_a) & np.isfinite(se_b) & (se_b > 0)
    return {
        "n_common_gt": len(keys), "n_ours": len(ours["att"]), "n_peer": len(peer["att"]),
        "max_abs_diff_att": float(np.max(np.abs(a - b))) if keys else float("nan"),
        "max_abs_diff_agg": float(max(agg.values())) if agg else float("nan"),
        "median_se_ratio": float(np.median(se_a[ok] / se_b[ok])) if ok.any() else float("nan"),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", default=SIZES)
    ap.add_argument("--tools", nargs="*", default=TOOLS)
    ap.add_argument("--reuse", action="store_true", help="keep stored timings for tool/size pairs not rerun")
    ap.add_argument("--size-study", action="store_true",
                    help="also measure rejection rates with 3 treated of 40 wards (true effect 0)")
    ap.add_argument("--reps", type=int, default=400, help="replications of the size study")
    args = ap.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    store_path = WORK / "did_timings.json"
    store = json.loads(store_path.read_text()) if (args.reuse and store_path.exists()) else {}
    for size in args.sizes:
        csv = panel_csv(size, f"did_{size}.csv", make_panel)
        for tool in args.tools:
            if tool != "wijklib" and not PEERS_PY.exists():
                store[f"{tool}|{size}"] = {"error": "peer environment not installed"}
                continue
            print(f"[bench_did] {tool} on {size} ...", flush=True)
            try:
                store[f"{tool}|{size}"] = run_tool(tool, csv)
            except Exception as exc:  # record the failure in the report instead of stopping
                store[f"{tool}|{size}"] = {"error": str(exc)[-800:]}
            print(f"[bench_did]   {store[f'{tool}|{size}']}", flush=True)
            store_path.write_text(json.dumps(store, indent=1))
    if args.size_study:
        SIZE_STUDY.write_text(json.dumps(size_study(args.reps), indent=1))
    write_report(store)


#: The few-treated design of tests/test_did_simulation.py.
FEW = dict(n_units=40, n_periods=24, n_treated=3, cohorts=(9, 13, 17), effect=0.0, hetero=True)


def size_study(reps: int) -> dict:
    """Rejection rate of the 5% test of the 'simple' ATT under a true null, per inference method."""
    import warnings

    sys.path.insert(0, str(ROOT))
    from wijklib.did._sim import rejection_rates

    out = {"design": FEW, "reps": reps}
    for method in ("auto", "analytic", "multiplier", "wild", "randomization"):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = rejection_rates(reps, inference=method, biters=199, **FEW)
        r["seconds"] = time.perf_counter() - t0
        out[method] = r
        print(f"[bench_did] size study {method}: {r}", flush=True)
    # Same design with 12 treated wards: where the wild bootstrap is meant to be used.
    out["design12"] = {**FEW, "n_treated": 12}
    out["reps12"] = max(reps // 2, 50)
    for method in ("analytic", "multiplier", "wild"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = rejection_rates(out["reps12"], inference=method, biters=199, **out["design12"])
        out[f"{method}_12"] = r
        print(f"[bench_did] size study, 12 treated, {method}: {r}", flush=True)
    return out


def write_report(store: dict) -> None:
    lines = [
        "# Callaway & Sant'Anna benchmark (ATT(g,t) + 999-draw multiplier bootstrap + 4 aggregations)",
        "",
        "Generated by `benchmarks/bench_did.py` (see its docstring for the exact commands). Each tool runs as a",
        "whole process (interpreter start, imports, reading the same CSV, estimation, bootstrap, the four",
        "aggregations `simple`, `dynamic`/`event`, `group`/`cohort`, `calendar`/`time`), timed with",
        "`/usr/bin/time -v`; BLAS limited to one thread. Never-treated controls, varying base period,",
        "no covariates (DR = difference in means).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. The machine was shared with",
        "other jobs during the runs (load average well above the 2 cores), so wall-clock times are inflated for",
        "every tool, but not always equally (rows were run at different moments, see the last column);",
        "CPU time (user + system) is the steadier measure of work done.",
        "",
        "| panel (units x months) | tool | wall (s) | CPU user+sys (s) | max RSS (MiB) | wijklib faster by (wall / CPU) | max abs diff ATT(g,t) vs wijklib | max abs diff overall aggregates | median SE ratio wijklib/peer | finished (UTC) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in SIZES:
        ours = store.get(f"wijklib|{size}")
        our_out = json.loads(Path(ours["out"]).read_text()) if ours and "out" in ours and Path(ours["out"]).exists() else None
        for tool in TOOLS:
            r = store.get(f"{tool}|{size}")
            if r is None:
                continue
            if "error" in r:
                lines.append(f"| {size} | {tool} | failed | | | | {r['error'][:120].replace('|', '/').replace(chr(10), ' ')} | | | |")
                continue
            speed = ""
            agree = ("", "", "")
            if tool != "wijklib" and ours and "wall_s" in ours:
                speed = f"{r['wall_s'] / ours['wall_s']:.1f}x / {r['cpu_s'] / ours['cpu_s']:.1f}x"
                if our_out and Path(r["out"]).exists():
                    ag = agreement(our_out, json.loads(Path(r["out"]).read_text()))
                    agree = (f"{ag['max_abs_diff_att']:.1e} ({ag['n_common_gt']}/{ag['n_ours']} g,t)",
                             f"{ag['max_abs_diff_agg']:.1e}", f"{ag['median_se_ratio']:.3f}")
            out_file = Path(r["out"])
            when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(out_file.stat().st_mtime)) if out_file.exists() else ""
            lines.append(f"| {size} | {tool} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['max_rss_mib']:.0f} | {speed} | {agree[0]} | {agree[1]} | {agree[2]} | {when} |")
    ss = json.loads(SIZE_STUDY.read_text()) if SIZE_STUDY.exists() else None
    if ss:
        lines += [
            "",
            "## Few treated wards: size of the 5% test (true effect 0)",
            "",
            "Design (`wijklib/did/_sim.py`, as in `tests/test_did_simulation.py`): 40 wards, 24 months, 3 treated",
            "(cohorts at months 9, 13, 17), ward effects, a trend, AR(1) noise (rho 0.5) with a ward-specific",
            f"scale (lognormal, sd 0.6), no effect. {ss['reps']} replications, 199 draws/permutations each;",
            "the test is on the `simple` aggregate. A valid 5% test rejects in about 5% of replications",
            f"(Monte-Carlo SE about {100 * (0.05 * 0.95 / ss['reps']) ** 0.5:.1f} points).",
            "",
            "| inference | rejection rate | 95% CI coverage | seconds |",
            "|---|---|---|---|",
        ]
        for method in ("auto", "analytic", "multiplier", "wild", "randomization"):
            r = ss.get(method)
            if r:
                used = "/".join(r["inference"])
                lines.append(f"| {method}{' (-> ' + used + ')' if method == 'auto' else ''} | {r['reject']:.3f} | {r['cover']:.3f} | {r['seconds']:.0f} |")
        if "wild_12" in ss:
            lines += [
                "",
                f"Same design with 12 treated wards ({ss['reps12']} replications): "
                + ", ".join(f"{m} rejects {ss[m + '_12']['reject']:.3f}" for m in ("analytic", "multiplier", "wild")
                            if m + "_12" in ss) + ".",
            ]
        lines += [
            "",
            "The null-imposed wild bootstrap (Webb weights) is valid but has no power with 3 treated wards",
            "(it hardly ever rejects); it is meant for a small cohort among many treated wards.",
            "Plain clustered (analytic influence-function) SEs and the multiplier bootstrap over-reject here:",
            "with 3 treated wards the treated-side variance is estimated from 3 noisy wards. `inference=\"auto\"`",
            "switches to randomization inference (fewer than 10 treated wards) and says so in `inference_note`.",
        ]
    lines += [
        "",
        "pyfixest 0.60.0 was installed in the same peer environment but has no Callaway & Sant'Anna ATT(g,t)",
        "estimator (its DiD tools are TWFE / did2s / local projections / saturated event study), so it has no",
        "row here: its estimates would not be the same estimates.",
        "",
        "Bootstrap SEs differ between tools by Monte-Carlo noise only (different random weights); the",
        "median SE ratio shows that.",
    ]
    (RESULTS / "did.md").write_text("\n".join(lines) + "\n")
    print((RESULTS / "did.md").read_text())


if __name__ == "__main__":
    sys.exit(main())
