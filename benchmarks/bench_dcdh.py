"""Benchmark: ``wijklib.did.dcdh`` next to the Python port of ``did_multiplegt_dyn`` (py-did-multiplegt-dyn 0.1.9).

For each configuration (the package's published favara_imbs example, variations of it, the
wagepan union panel with a binary treatment that switches on and off, and a simulated ward panel
with enforcement intensity going up and down) both tools estimate effects, placebos and the average
total effect; the table reports the largest absolute difference in estimates and in SEs, and the
run time of each (in-process for wijklib, the peer's fit() time in its own process).

The peer lives in its own virtual environment (never in the project's dependencies)::

    python3 -m venv benchmarks/_work/venv_dcdh
    benchmarks/_work/venv_dcdh/bin/pip install py-did-multiplegt-dyn==0.1.9

Usage::

    .venv/bin/python -m benchmarks.bench_dcdh        # writes benchmarks/results/dcdh.md
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
PEER_PY = WORK / "venv_dcdh" / "bin" / "python"
REF = ROOT / "tests" / "reference" / "data"
OUT = ROOT / "benchmarks" / "results" / "dcdh.md"

FAV = dict(csv=str(REF / "favara_imbs.csv"), outcome="Dl_vloans_b", group="county", time="year",
           treatment="inter_bra")
WAGE = dict(csv=str(REF / "wagepan.csv"), outcome="lwage", group="nr", time="year", treatment="union")


def sim_panel(path: Path, n: int = 300, T: int = 24, seed: int = 7) -> dict:
    """Ward-month panel: intensity 0-3 switched on at a random month, sometimes raised, sometimes ended."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n):
        d = np.zeros(T)
        if g % 4:  # a quarter never treated
            s = rng.integers(3, T - 4)
            lvl = rng.integers(1, 4)
            d[s:] = lvl
            if rng.random() < 0.4:
                e = rng.integers(s + 2, T)
                d[e:] = 0 if rng.random() < 0.5 else lvl + 1
        a = rng.normal(0, 1)
        for t in range(T):
            y = a + 0.05 * t + 0.5 * d[t] + rng.normal(0, 1)
            rows.append((g, t + 1, d[t], y, g // 10))
    pd.DataFrame(rows, columns=["wijk", "maand", "inzet", "y", "gebied"]).to_csv(path, index=False)
    return dict(csv=str(path), outcome="y", group="wijk", time="maand", treatment="inzet")


def configs() -> list[tuple[str, dict]]:
    WORK.mkdir(parents=True, exist_ok=True)
    sim = sim_panel(WORK / "dcdh_sim.csv")
    return [
        ("favara published (normalized, same_switchers, cluster state)",
         {**FAV, "effects": 8, "placebo": 3, "cluster": "state_n", "normalized": True, "same_switchers": True}),
        ("favara non-normalized, group clusters", {**FAV, "effects": 5, "placebo": 3}),
        ("favara switchers in", {**FAV, "effects": 4, "placebo": 2, "switchers": "in"}),
        ("wagepan union (on/off), effects 5 placebo 2", {**WAGE, "effects": 5, "placebo": 2}),
        ("wagepan union, switchers out", {**WAGE, "effects": 3, "placebo": 2, "switchers": "out"}),
        ("wagepan union, normalized", {**WAGE, "effects": 4, "placebo": 1, "normalized": True}),
        ("simulated wards, intensity up/down, cluster gebied",
         {**sim, "effects": 6, "placebo": 3, "cluster": "gebied", "normalized": True}),
    ]


def run_ours(cfg: dict) -> tuple[pd.DataFrame, float]:
    from wijklib.did.dcdh import dcdh

    c = dict(cfg)
    df = pd.read_csv(c.pop("csv"))
    t0 = time.perf_counter()
    r = dcdh(df, **c)
    return r.tidy(), time.perf_counter() - t0


def run_peer(cfg: dict) -> tuple[pd.DataFrame, float]:
    out = subprocess.run([str(PEER_PY), str(ROOT / "benchmarks" / "_dcdh_peer.py"), json.dumps(cfg)],
                         capture_output=True, text=True, check=True, timeout=1800)
    js = json.loads(out.stdout.strip().splitlines()[-1])
    t = pd.DataFrame(js["rows"])
    t["term"] = t["term"].replace({"Average_Total_Effect": "Av_tot_effect"})
    return t, js["seconds"]


def main() -> None:
    lines = ["# dCDH (did_multiplegt_dyn) next to its Python port", "",
             f"Command: `{Path(sys.executable).name} -m benchmarks.bench_dcdh` (peer: py-did-multiplegt-dyn 0.1.9 "
             "in `benchmarks/_work/venv_dcdh`). Max |difference| over all effects, placebos and the average "
             "total effect; N and Switchers compared exactly.", "",
             "| configuration | terms | max abs diff estimate | max abs diff SE | N/Switchers equal | wijklib s | peer s |",
             "|---|---|---|---|---|---|---|"]
    for name, cfg in configs():
        ours, t_ours = run_ours(cfg)
        peer, t_peer = run_peer(cfg)
        m = ours.merge(peer, on="term", how="outer", indicator=True)
        both = m[m["_merge"] == "both"]
        de = float(np.nanmax(np.abs(both["estimate"] - both["Estimate"])))
        ds = float(np.nanmax(np.abs(both["std_error"] - both["SE"])))
        neq = bool((both["n"] == both["N"]).all() and (both["switchers"] == both["Switchers"]).all())
        only = sorted(m.loc[m["_merge"] != "both", "term"])
        terms = f"{len(both)}" + (f" (only one side: {', '.join(only)})" if only else "")
        lines.append(f"| {name} | {terms} | {de:.2e} | {ds:.2e} | {neq} | {t_ours:.2f} | {t_peer:.2f} |")
        print(lines[-1], flush=True)
    OUT.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
