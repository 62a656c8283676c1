"""Benchmark: TWFE event study and Poisson (PPML) DiD, wijklib vs pyfixest 0.60.0.

Four whole-process runs per panel size, each reading the same CSV and timed with ``/usr/bin/time -v``
(wall clock, user+system CPU, max RSS):

- ``wijklib_es``:  ``wijklib.did.event_study(..., estimator="twfe")`` (all relative periods, ref -1,
  CR1 by unit) — the model of pyfixest's ``feols("y ~ i(rel, ref=-1) | id + t")``;
- ``pyfixest_es``: that pyfixest call (never-treated rows get ``rel = -1``, the omitted level);
- ``wijklib_pois``: ``wijklib.did.poisson(..., control_group="notyettreated")`` (Wooldridge ETWFE);
- ``pyfixest_pois``: ``fepois("y ~ i(cell, ref=0) | id + t")`` with one level per treated
  cohort x post period — the same model;
- ``wijklib_pois1`` / ``pyfixest_pois1``: static PPML ``y ~ D | id + t`` with one treatment dummy
  (wijklib's IRLS engine :func:`wijklib.did.ppml.fit_fepois` on a typed design), the model behind the
  "pyfixest Poisson FE takes about 6 s at 14,500 x 120" figure;
- ``wijklib_sunab`` (no peer: pyfixest 0.60 has no Sun & Abraham estimator): the default event study.

The script checks that the estimates and cluster-robust SEs agree. Peers live in their own venv::

    python3 -m venv benchmarks/_work/peers
    benchmarks/_work/peers/bin/pip install pyfixest==0.60.0

Usage::

    .venv/bin/python -m benchmarks.bench_event_study_poisson                   # all sizes and tools
    .venv/bin/python -m benchmarks.bench_event_study_poisson --sizes 40x72 --reuse

Timings are stored in ``benchmarks/_work/esp_timings.json``; ``--reuse`` keeps stored runs and only
runs what is missing, so the slow pyfixest run on 14,500 x 120 is done once on the shared machine.
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
    WORK,
    long_panel,
    panel_csv,
    run_script,
    staggered_cohorts,
)

SIZES = ["40x72", "500x120", "3300x120", "14500x120"]
TOOLS = ["wijklib_es", "pyfixest_es", "wijklib_pois1", "pyfixest_pois1", "wijklib_pois", "pyfixest_pois",
         "wijklib_sunab"]
#: pyfixest builds the cohort x period dummies densely: 72 s and 2 GiB already at 500 x 120 (540
#: columns), so the full ETWFE peer run is limited to the small panels (use --force to override).
PEER_LIMIT = {"pyfixest_pois": {"40x72", "500x120"}}
STORE = WORK / "esp_timings.json"


def make_panel(n_units: int, n_periods: int, seed: int = 20260122) -> pd.DataFrame:
    """Staggered count panel: 40% never treated, cohorts every 12 periods, rate ratio 0.85 -> 0.75."""
    rng = np.random.default_rng(seed)
    g = staggered_cohorts(rng, n_units, n_periods)
    t_idx = np.arange(1, n_periods + 1)
    unit = rng.normal(scale=0.5, size=n_units)
    season = 0.15 * np.sin(2 * np.pi * t_idx / 12)
    treated = (g[:, None] > 0) & (t_idx[None, :] >= g[:, None])
    log_rr = np.where(treated, np.log(0.85) - 0.002 * (t_idx[None, :] - g[:, None]), 0.0)
    lam = np.exp(1.2 + unit[:, None] + season[None, :] + log_rr)
    return long_panel(g, rng.poisson(lam))


RUNNERS = {
    "wijklib_es": r'''
import json, sys
import pandas as pd
from wijklib.did import event_study
df = pd.read_csv(sys.argv[1])
es = event_study(df, yname="y", tname="t", idname="id", gname="g", estimator="twfe")
tab = es.tidy().dropna(subset=["std_error"])
tab = tab[tab["event_time"] != -1]
json.dump({"coef": dict(zip(tab["event_time"].astype(str), tab["estimate"])),
           "se": dict(zip(tab["event_time"].astype(str), tab["std_error"]))}, open(sys.argv[2], "w"))
''',
    "pyfixest_es": r'''
import json, sys
import numpy as np, pandas as pd
import pyfixest as pf
df = pd.read_csv(sys.argv[1])
df["rel"] = np.where(df["g"] > 0, df["t"] - df["g"], -1)
fit = pf.feols("y ~ i(rel, ref=-1) | id + t", data=df, vcov={"CRV1": "id"})
coef, se = fit.coef(), fit.se()
def key(name):
    return name.split("::")[-1].rstrip("]").split(".")[0]
json.dump({"coef": {key(k): float(v) for k, v in coef.items()},
           "se": {key(k): float(v) for k, v in se.items()}}, open(sys.argv[2], "w"))
''',
    "wijklib_pois": r'''
import json, sys
import pandas as pd
from wijklib.did import poisson
df = pd.read_csv(sys.argv[1])
r = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group="notyettreated")
c = r.cells
k = (c["group"] * 1000 + c["time"]).astype(int).astype(str)
json.dump({"coef": dict(zip(k, c["tau"])), "se": dict(zip(k, c["std_error"])),
           "overall_ratio": r.effect.estimate}, open(sys.argv[2], "w"))
''',
    "pyfixest_pois": r'''
import json, sys
import numpy as np, pandas as pd
import pyfixest as pf
df = pd.read_csv(sys.argv[1])
df["cell"] = np.where((df["g"] > 0) & (df["t"] >= df["g"]), df["g"] * 1000 + df["t"], 0)
fit = pf.fepois("y ~ i(cell, ref=0) | id + t", data=df, vcov={"CRV1": "id"})
coef, se = fit.coef(), fit.se()
def key(name):
    return name.split("::")[-1].rstrip("]").split(".")[0]
json.dump({"coef": {key(k): float(v) for k, v in coef.items()},
           "se": {key(k): float(v) for k, v in se.items()}}, open(sys.argv[2], "w"))
''',
    "wijklib_pois1": r'''
import json, sys
import numpy as np, pandas as pd, scipy.sparse as sp
from wijklib.did.ppml import fit_fepois
from wijklib.did.twfe_es import TypedDesign, _single_blas_thread, cr1_vcov, typed_meat
df = pd.read_csv(sys.argv[1])
u, units = pd.factorize(df["id"], sort=True)
t, times = pd.factorize(df["t"], sort=True)
gpos = np.where(df["g"].to_numpy() > 0, np.searchsorted(times, df["g"].to_numpy()), -1)
blocks, brow = np.unique(gpos, return_inverse=True)
unit_block = np.zeros(len(units), dtype=np.int64); unit_block[u] = brow
T, nb = len(times), len(blocks)
bb, tt = np.repeat(np.arange(nb), T), np.tile(np.arange(T), nb)
D = (blocks[bb] >= 0) & (tt >= blocks[bb])
fr = np.concatenate([np.flatnonzero(tt > 0), np.flatnonzero(D)])
fc = np.concatenate([tt[tt > 0] - 1, np.full(D.sum(), T - 1)])
F = sp.csr_matrix((np.ones(len(fr)), (fr, fc)), shape=(nb * T, T))
design = TypedDesign(F, unit_block, t.astype(np.int64), T)
y = df["y"].to_numpy(float)
with _single_blas_thread():
    fit = fit_fepois(design, y, u.astype(np.int64), len(units))
    meat = typed_meat(design, y - fit.mu, u.astype(np.int64), len(units))
    V = cr1_vcov(fit.bread, fit.keep, None, n_obs=len(y), k=len(fit.keep), nested=True, n_units=len(units), meat=meat)
json.dump({"coef": {"D": float(fit.theta[-1])}, "se": {"D": float(np.sqrt(V[-1, -1]))}}, open(sys.argv[2], "w"))
''',
    "pyfixest_pois1": r'''
import json, sys
import numpy as np, pandas as pd
import pyfixest as pf
df = pd.read_csv(sys.argv[1])
df["D"] = ((df["g"] > 0) & (df["t"] >= df["g"])).astype(float)
fit = pf.fepois("y ~ D | id + t", data=df, vcov={"CRV1": "id"})
json.dump({"coef": {"D": float(fit.coef()["D"])}, "se": {"D": float(fit.se()["D"])}}, open(sys.argv[2], "w"))
''',
    "wijklib_sunab": r'''
import json, sys
import pandas as pd
from wijklib.did import event_study
df = pd.read_csv(sys.argv[1])
es = event_study(df, yname="y", tname="t", idname="id", gname="g")
tab = es.tidy().dropna(subset=["std_error"])
json.dump({"coef": dict(zip(tab["event_time"].astype(str), tab["estimate"])),
           "se": dict(zip(tab["event_time"].astype(str), tab["std_error"]))}, open(sys.argv[2], "w"))
''',
}


def run_tool(tool: str, csv: Path) -> dict:
    # pyfixest's numba demeaning keeps its default threads; BLAS is single-threaded (run_script)
    py = OUR_PY if tool.startswith("wijklib") else PEERS_PY
    return run_script(RUNNERS[tool], WORK / f"esp_run_{tool}.py", py, csv,
                      WORK / f"esp_out_{tool}_{csv.stem}.json")


def agreement(ours_path: str, peer_path: str) -> dict:
    ours, peer = json.load(open(ours_path)), json.load(open(peer_path))
    keys = sorted(set(ours["coef"]) & set(peer["coef"]))
    a = np.array([ours["coef"][k] for k in keys])
    b = np.array([peer["coef"][k] for k in keys])
    sa = np.array([ours["se"][k] for k in keys])
    sb = np.array([peer["se"][k] for k in keys])
    return {"n_common": len(keys), "n_ours": len(ours["coef"]), "n_peer": len(peer["coef"]),
            "max_abs_coef_diff": float(np.max(np.abs(a - b))) if keys else None,
            "max_rel_se_diff": float(np.max(np.abs(sa / sb - 1))) if keys else None}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", default=SIZES)
    ap.add_argument("--tools", nargs="+", default=TOOLS, choices=TOOLS)
    ap.add_argument("--reuse", action="store_true", help="keep stored runs; only run missing cells")
    ap.add_argument("--force", action="store_true", help="also run peers beyond PEER_LIMIT")
    args = ap.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    store = json.loads(STORE.read_text()) if STORE.exists() else {}
    command = " ".join([".venv/bin/python -m benchmarks.bench_event_study_poisson",
                        *(sys.argv[1:] if argv is None else argv)]).strip()
    for size in args.sizes:
        csv = panel_csv(size, f"esp_panel_{size}.csv", make_panel)
        for tool in args.tools:
            key = f"{size}/{tool}"
            if args.reuse and key in store:
                continue
            if tool in PEER_LIMIT and size not in PEER_LIMIT[tool] and not args.force:
                print(f"skipping {key} (see PEER_LIMIT)", flush=True)
                continue
            print(f"running {key} ...", flush=True)
            stamp = {"command": command, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
            try:
                store[key] = run_tool(tool, csv) | stamp
                print(f"  {store[key]['wall_s']:.1f} s, {store[key]['max_rss_mib']:.0f} MiB", flush=True)
            except (RuntimeError, TimeoutError) as exc:  # a stopped or failed run is a row, not a crash
                store[key] = {"error": str(exc)[-300:]} | stamp
                print(f"  {store[key]['error']}", flush=True)
            STORE.write_text(json.dumps(store, indent=1))
    write_report(store, command)


def write_report(store: dict, command: str) -> None:
    lines = [
        "# Event study (TWFE) and Poisson DiD: wijklib vs pyfixest 0.60.0",
        "",
        f"Report written by: `{command}`. Each (size, tool) run is stored in "
        "`benchmarks/_work/esp_timings.json` and reused with `--reuse` (the 14,500 x 120 pyfixest run was "
        "done once); the runs in this table came from:",
        "",
        *[f"- `{c}`" for c in sorted({r.get("command", "?") for r in store.values()})],
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores (shared with other jobs: wall times are "
        f"noisy, CPU time less so), Python {platform.python_version()}. Whole processes (start-up, CSV read, "
        "fit, SEs) under `/usr/bin/time -v`; BLAS limited to one thread for every tool.",
        "",
        "Panels: staggered adoption, 40% never treated, cohorts every 12 periods, Poisson counts with a rate "
        "ratio of about 0.85 (see `make_panel`). Models: event study with all relative periods (ref -1) and "
        "unit + period effects; Poisson with unit + period effects and one coefficient per treated cohort x "
        "post period (Wooldridge ETWFE, not-yet-treated controls). SEs clustered by unit (CR1).",
        "",
        "| size (units x periods) | tool | wall s | CPU s | max RSS MiB | coefficients | agreement with pyfixest |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for size in SIZES:
        for tool in TOOLS:
            r = store.get(f"{size}/{tool}")
            if r is None:
                continue
            if "error" in r:
                msg = r["error"].splitlines()[0].replace("|", "/")[:160]
                lines.append(f"| {size} | {tool} | {msg} | | | | |")
                continue
            n = "?"
            try:
                n = str(len(json.load(open(r["out"]))["coef"]))
            except (OSError, ValueError, KeyError):
                pass
            agree = ""
            peer = {"wijklib_es": "pyfixest_es", "wijklib_pois": "pyfixest_pois",
                    "wijklib_pois1": "pyfixest_pois1"}.get(tool)
            if peer and f"{size}/{peer}" in store and "error" not in store[f"{size}/{peer}"]:
                try:
                    a = agreement(r["out"], store[f"{size}/{peer}"]["out"])
                    agree = (f"{a['n_common']}/{a['n_peer']} common; max |coef diff| {a['max_abs_coef_diff']:.1e}; "
                             f"max SE rel. diff {a['max_rel_se_diff']:.1e}")
                except (OSError, ValueError, KeyError):
                    agree = "output missing"
            lines.append(f"| {size} | {tool} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['max_rss_mib']:.0f} | {n} | {agree} |")
    lines += ["", "Ratios (pyfixest / wijklib, same size):", ""]
    for size in SIZES:
        for ours, peer in (("wijklib_es", "pyfixest_es"), ("wijklib_pois1", "pyfixest_pois1"),
                           ("wijklib_pois", "pyfixest_pois")):
            a, b = store.get(f"{size}/{ours}"), store.get(f"{size}/{peer}")
            if a and b and "error" not in a and "error" not in b:
                lines.append(f"- {size} {ours.split('_')[1]}: wall {b['wall_s'] / a['wall_s']:.1f}x, "
                             f"CPU {b['cpu_s'] / a['cpu_s']:.1f}x, memory {b['max_rss_mib'] / a['max_rss_mib']:.1f}x")
    lines += [
        "",
        "Notes:",
        "",
        "- Agreement: coefficients equal to rounding (Poisson up to pyfixest's IRLS tolerance). Cluster SEs of "
        "the event study differ by a relative 2e-4 on 40 x 72, the size of one more parameter in pyfixest's "
        "(N-1)/(N-K) factor (an inference from the numbers, not checked in pyfixest's code); the full Poisson "
        "model's SEs differ by 1.6e-3 there (cause not resolved); all differences shrink below 1e-5 from "
        "500 x 120 on.",
        "- `pyfixest_pois` (full ETWFE, one dummy per cohort x post period) is run only up to 500 x 120: it "
        "builds the dummies densely and already took over a minute and 2 GiB there (see `PEER_LIMIT`).",
        "- Other jobs shared the 2 cores during the runs (wall time well above CPU time, e.g. pyfixest on "
        "14,500 x 120: 219 s wall for 74 s CPU); compare CPU time when wall times look odd.",
        "- `wijklib_sunab` has no peer: pyfixest 0.60 has no Sun & Abraham estimator.",
        "- wijklib absorbs the unit effects exactly and forms the normal equations from per-cohort T x T blocks "
        "(no n x p dummy matrix), which is where the memory difference comes from.",
    ]
    (RESULTS / "event_study_poisson.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
