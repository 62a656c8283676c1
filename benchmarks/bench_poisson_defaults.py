"""Which Poisson DiD set-up to use on sparse counts (issue 10): bias, spread and power by measurement.

Simulated staggered panels (24 wards x 36 months: cohorts of 6 starting in months 12, 18 and 24, and 6
never-treated wards; ward levels vary by exp(0.3 N(0,1)); Poisson counts; a true rate ratio of 0.80 from
the start), from very sparse (0.3 per ward-month) to dense (8). Per set-up of :func:`wijklib.did.poisson`:

- the rate ratio of the overall effect: geometric mean over the replications (MC standard error of its log),
- the share of replications whose 95% interval lies wholly below 1 (power at a true 0.80),
- with a true ratio of 1.00: the share whose interval excludes 1 (size).

Usage::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_poisson_defaults            # 400 replications
    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_poisson_defaults --reps 50 --tag quick
"""

from __future__ import annotations

import argparse
import math
import platform
import time
import warnings

import numpy as np
import pandas as pd

from benchmarks._common import RESULTS, git_commit
from wijklib.did import poisson

SETUPS = {
    "nevertreated, baseline average (function default)": {"control_group": "nevertreated", "baseline": "average"},
    "nevertreated, baseline last": {"control_group": "nevertreated", "baseline": "last"},
    "notyettreated, baseline last (monitor default)": {"control_group": "notyettreated", "baseline": "last"},
}


def panel(seed: int, rate: float, effect: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    starts = [12] * 6 + [18] * 6 + [24] * 6 + [0] * 6
    rows = []
    for i, g in enumerate(starts):
        level = rate * np.exp(0.3 * rng.normal())
        for t in range(1, 37):
            rows.append((i, t, g, float(rng.poisson(level * (effect if g > 0 and t >= g else 1.0)))))
    return pd.DataFrame(rows, columns=["id", "t", "g", "y"])


def run(reps: int, rates: list[float]) -> pd.DataFrame:
    out = []
    for rate in rates:
        for effect in (0.8, 1.0):
            logs: dict[str, list[float]] = {k: [] for k in SETUPS}
            hits = dict.fromkeys(SETUPS, 0)
            for s in range(reps):
                df = panel(10_000 + s, rate, effect)
                for name, kw in SETUPS.items():
                    try:
                        e = poisson(df, yname="y", tname="t", idname="id", gname="g", **kw).effect
                    except ValueError:  # no treated cell with counts: nothing to estimate
                        continue
                    if not (np.isfinite(e.estimate) and e.estimate > 0):
                        continue
                    logs[name].append(math.log(e.estimate))
                    hits[name] += (e.conf_high < 1) if effect < 1 else (e.conf_high < 1 or e.conf_low > 1)
            for name, v in logs.items():
                a = np.array(v)
                out.append({"rate": rate, "true_ratio": effect, "setup": name, "n": len(a),
                            "ratio": float(np.exp(a.mean())) if len(a) else math.nan,
                            "mc_se_log": float(a.std(ddof=1) / math.sqrt(len(a))) if len(a) > 1 else math.nan,
                            "reject": hits[name] / max(len(a), 1)})
    return pd.DataFrame(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--rates", default="0.3,0.7,2,8")
    ap.add_argument("--tag", default="final")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    t0 = time.time()
    res = run(args.reps, [float(r) for r in args.rates.split(",")])
    secs = time.time() - t0
    commit = git_commit()
    lines = [f"<!-- bench_poisson_defaults --reps {args.reps} --rates {args.rates}; commit {commit}; "
             f"{platform.python_version()}; {secs:.0f} s -->", "",
             "| counts per ward-month | true ratio | set-up | n | rate ratio (geom. mean) | MC se (log) | "
             "interval excludes 1 |", "|---:|---:|---|---:|---:|---:|---:|"]
    for r in res.itertuples():
        lines.append(f"| {r.rate:g} | {r.true_ratio:.2f} | {r.setup} | {r.n} | {r.ratio:.3f} | {r.mc_se_log:.4f} | "
                     f"{100 * r.reject:.1f}% |")
    name = "poisson_defaults.md" if args.tag == "final" else f"poisson_defaults_{args.tag}.md"
    (RESULTS / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
