"""att_gt randomisation inference on an unbalanced panel: one pass vs a 2x2 re-fit per permutation (issue 15).

Without covariates every 2x2 of ``att_gt`` is a difference of weighted mean changes, so a permutation only
regroups per-cohort sums (:func:`wijklib.did._engine.permuted_mean_att`). Before, each permutation re-fitted
every 2x2 design twice (outcome and treatment indicator, :func:`~wijklib.did._engine.dense_att` with
``coh=``), as ``att_gt`` still does with covariates. Both kernels run on the same permutations here;
the numbers must be identical.

Usage::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_attgt_ri            # a few minutes
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np

from benchmarks._common import RESULTS, git_commit
from wijklib import inference as inf
from wijklib.did import _engine as eng
from wijklib.did._prep import prepare
from wijklib.did._sim import staggered_panel


def _case(n_units: int, n_perm: int, seed: int = 0) -> dict:
    df, _ = staggered_panel(seed, n_units=n_units, n_periods=36, n_treated=max(3, n_units // 8),
                            cohorts=(12, 18, 24), effect=0.2, hetero=True)
    rng = np.random.default_rng(seed)
    df = df.loc[rng.random(len(df)) > 0.03]  # 3% unit-months missing: the unbalanced (dense) path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prep = prepare(df, yname="y", tname="month", idname="ward", gname="first_treated",
                       control_group="nevertreated", anticipation=0, xformla=None, weightsname=None)
    spec, _ = eng.build_spec(prep, "nevertreated", "varying", 0)
    perms = inf.permutation_labels(prep.coh, n_perm, np.random.default_rng(1))
    D = eng.treated_indicator(prep)
    t0 = time.process_time()
    slow = np.stack([eng.dense_att(prep, spec, "dr", coh=p, want_if=False)[0] for p in perms])
    slow_d = np.stack([eng.dense_att(prep, spec, "dr", Y=D, coh=p, want_if=False)[0] for p in perms])
    t1 = time.process_time()
    fast = eng.permuted_mean_att(prep, spec, perms)
    fast_d = eng.permuted_mean_att(prep, spec, perms, Y=D)
    t2 = time.process_time()
    same_nan = bool(np.array_equal(np.isnan(slow), np.isnan(fast)) and np.array_equal(np.isnan(slow_d), np.isnan(fast_d)))
    diff = float(max(np.nanmax(np.abs(slow - fast)), np.nanmax(np.abs(slow_d - fast_d))))
    return {"units": n_units, "cells": int((~spec.ref).sum()), "perm": n_perm, "refit": t1 - t0,
            "one_pass": t2 - t1, "same_nan": same_nan, "diff": diff}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", default="40,160,640", help="comma-separated panel sizes")
    ap.add_argument("--perm", type=int, default=99, help="permutations per size")
    args = ap.parse_args(argv)
    rows = [_case(int(u), args.perm) for u in args.units.split(",")]
    out = [f"<!-- bench_attgt_ri; commit {git_commit()}; {platform.python_version()} -->", "",
           "# att_gt randomisation inference without covariates: one pass vs a re-fit per permutation", "",
           f"Command: `PYTHONPATH=. .venv/bin/python -m benchmarks.bench_attgt_ri --units {args.units} "
           f"--perm {args.perm}` ({os.cpu_count()} cores, shared; CPU seconds of the permutation kernel, "
           "outcome and treatment-indicator slope, the part of `att_gt(..., inference='randomization')` that "
           "depends on the number of permutations).", "",
           "Panel: `staggered_panel`, 36 months, 3 cohorts, 1/8 of units treated, 3% unit-months missing "
           "(so `att_gt` takes its general 2x2 path), never-treated controls, varying base period.", "",
           "| units | ATT(g,t) cells | permutations | refit (CPU s) | one pass (CPU s) | speed-up | same NaNs | "
           "max abs difference |", "|---:|---:|---:|---:|---:|---:|:---:|---:|"]
    for r in rows:
        out.append(f"| {r['units']} | {r['cells']} | {r['perm']} | {r['refit']:.2f} | {r['one_pass']:.3f} | "
                   f"{r['refit'] / max(r['one_pass'], 1e-9):.0f}x | {'yes' if r['same_nan'] else 'NO'} | "
                   f"{r['diff']:.1e} |")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        out += ["", f"Growth from {a['units']} to {b['units']} units ({b['units'] / a['units']:.0f}x): refit "
                f"{b['refit'] / a['refit']:.0f}x, one pass {b['one_pass'] / max(a['one_pass'], 1e-9):.0f}x."]
    md = "\n".join(out) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "attgt_ri.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
