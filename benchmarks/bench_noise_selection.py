"""Selection on noise: size of the cohort randomisation test, and how often the noise rule fires (issue 10).

:func:`wijklib.monitor.randomization.randomization_did` compares the treated wards' change with every
other set of as many wards. When the treated wards are the noisiest of the city that comparison is not
fair, and a 5% test rejects far more often. :func:`wijklib.monitor.randomization.noise_check` compares
the treated wards' noise before the start with the comparison wards' (two rank tests, Bonferroni); the
monitor turns an effect verdict of a flagged cohort into "onzeker" (``verdict.noise_alpha``, 0.05).
The same check for :func:`wijklib.did.att_gt` with randomization inference (``noise_check_p``, a warning)
is measured in the second table.

Per scenario (no effect anywhere; 30 wards, 24 months before and 12 after the start, see
:func:`wijklib.monitor.placebo.noisy_wards_panel`): the share of replications in which the test rejects
at 5% ("grootte zonder regel"), in which the rule fires ("regel slaat aan"), and in which the test rejects
and the rule does not fire ("grootte na de regel": the false effect verdicts that remain).

Usage::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_noise_selection               # ~10 min
    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_noise_selection --reps 40 --tag quick
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._common import git_commit, wilson_pct
from wijklib.monitor.placebo import noisy_wards_panel
from wijklib.monitor.randomization import noise_check, randomization_did

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
ALPHA_RULE = 0.05


@dataclass(frozen=True)
class Case:
    name: str
    k: int  # treated wards
    n_noisy: int  # noisy wards in the city
    sd_noisy: float
    ar: float
    assign: str  # "noisiest": the noisy wards are the treated ones; "random": k random wards
    n_wards: int = 30
    post_shock: float = 0.0  # sd of a ward-level shift after the start in the treated wards only


CASES = (
    Case("4 van 30 behandeld = de 4 luidruchtigste (sd 0,30, AR 0,6)", 4, 4, 0.30, 0.6, "noisiest"),
    Case("4 van 30 behandeld = de 4 luidruchtigste (sd 0,15, AR 0,6)", 4, 4, 0.15, 0.6, "noisiest"),
    Case("4 van 30 behandeld = de 4 luidruchtigste (sd 0,30, geen AR)", 4, 4, 0.30, 0.0, "noisiest"),
    Case("1 van 30 behandeld = de luidruchtigste (sd 0,30, AR 0,6)", 1, 1, 0.30, 0.6, "noisiest"),
    Case("10 van 37 behandeld = de 10 luidruchtigste (sd 0,30, AR 0,6)", 10, 10, 0.30, 0.6, "noisiest", n_wards=37),
    Case("4 van 30 willekeurig, 8 luidruchtige wijken in de stad", 4, 8, 0.30, 0.6, "random"),
    Case("4 van 30 willekeurig, geen luidruchtige wijken", 4, 0, 0.30, 0.6, "random"),
    Case("1 van 30 willekeurig, 8 luidruchtige wijken in de stad", 1, 8, 0.30, 0.6, "random"),
    Case("4 van 30 behandeld, schok alleen ná de start (sd 0,35)", 4, 0, 0.30, 0.6, "noisiest", post_shock=0.35),
)


def one(case: Case, rep: int) -> dict[str, float]:
    rng = np.random.default_rng(10_000 * rep + case.k)
    pnl = noisy_wards_panel(case.n_wards, noisy=case.n_noisy, sd_noisy=case.sd_noisy, ar=case.ar, months=36,
                            seed=int(rng.integers(2**31)))
    wards = sorted(pnl["unit"].unique())
    if case.assign == "noisiest":
        treated = wards[:case.k]  # the noisy wards are the first ones
    else:
        treated = sorted(rng.choice(wards, size=case.k, replace=False).tolist())
    controls = [w for w in wards if w not in treated]
    per = pd.date_range("2020-01-01", periods=36, freq="MS")
    if case.post_shock > 0:
        shift = dict(zip(treated, np.exp(rng.normal(0, case.post_shock, len(treated))), strict=True))
        hit = pnl["unit"].isin(treated) & (pnl["period"] >= per[24])
        lam = pnl.loc[hit, "n_x"].to_numpy() * pnl.loc[hit, "unit"].map(shift).to_numpy()
        pnl.loc[hit, "n_x"] = rng.poisson(lam).astype(float)
    r = randomization_did(pnl, treated, controls, "x", per[24], per[-1], seed=rep)
    chk = noise_check(pnl, treated, controls, "x", per[24], seed=rep)
    fired = chk is not None and chk.p_value < ALPHA_RULE
    return {"reject": float(r.p_value < 0.05), "fired": float(fired), "after": float(r.p_value < 0.05 and not fired)}


def attgt_rows(reps: int) -> list[str]:
    """att_gt ('auto' = randomization inference with 9 treated of 40) when noisier units are treated more often."""
    from wijklib.did._sim import staggered_panel
    from wijklib.did.attgt import att_gt

    lines = []
    for sel, name in ((0.0, "willekeurig"), (2.0, "kans ~ ruis^2"), (4.0, "kans ~ ruis^4")):
        rows = []
        for r in range(reps):
            df, truth = staggered_panel(1000 + r, n_units=40, n_periods=24, n_treated=9, cohorts=(9, 13, 17),
                                        effect=0.0, hetero=True, select_noise=sel)
            res = att_gt(df, yname="y", tname="month", idname="ward", gname="first_treated", inference="auto",
                         biters=199, seed=r)
            a = res.aggregate("simple")
            warned = res.noise_check_p is not None and res.noise_check_p < 0.05
            rows.append({"reject": a.p_value < 0.05, "cover": a.conf_low <= truth <= a.conf_high, "fired": warned,
                         "after": (a.p_value < 0.05) and not warned})
        d = pd.DataFrame(rows)
        n = len(d)
        lines.append(f"| att_gt, 9 van 40 behandeld, {name} | {n} | {wilson_pct(d['reject'].sum(), n)} | "
                     f"{wilson_pct(d['cover'].sum(), n)} | {wilson_pct(d['fired'].sum(), n)} | {wilson_pct(d['after'].sum(), n)} |")
        print(lines[-1], file=sys.stderr, flush=True)
    return lines



def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--tag", default="final")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    lines = []
    for case in CASES:
        rows = pd.DataFrame([one(case, r) for r in range(args.reps)])
        n = len(rows)
        lines.append(f"| {case.name} | {n} | {wilson_pct(rows['reject'].sum(), n)} | {wilson_pct(rows['fired'].sum(), n)} | "
                     f"{wilson_pct(rows['after'].sum(), n)} |")
        print(lines[-1], file=sys.stderr, flush=True)
    md = [f"<!-- bench_noise_selection --reps {args.reps}; commit {git_commit()}; {platform.python_version()}; "
          f"{time.perf_counter() - t0:.0f} s -->", "",
          "# Selection on noise: the cohort randomisation test and the noise rule", "",
          f"Command: `PYTHONPATH=. .venv/bin/python -m benchmarks.bench_noise_selection --reps {args.reps}`", "",
          "No effect anywhere. 'grootte zonder regel': the 5% randomisation test rejects; 'regel slaat aan': "
          f"`noise_check` p < {ALPHA_RULE} (the verdict becomes 'onzeker'); 'grootte na de regel': rejects "
          "and the rule does not fire (a false effect verdict that remains). 95% Wilson intervals.", "",
          "| scenario | n | grootte zonder regel | regel slaat aan | grootte na de regel |", "|---|---:|---:|---:|---:|",
          *lines, "",
          "## att_gt with randomization inference (`inference='auto'`, fewer than 10 treated units)", "",
          "`wijklib.did._sim.staggered_panel(n_units=40, n_periods=24, n_treated=9, cohorts=(9, 13, 17), "
          "hetero=True, select_noise=...)`: every unit its own noise scale (log-normal), treatment probability "
          "proportional to scale^select_noise. 'waarschuwing' = `result.noise_check_p < 0.05` (att_gt then warns "
          "and says so in `inference_note`).", "",
          "| scenario | n | verwerpt (5%) | dekking 95%-interval | waarschuwing | verwerpt zonder waarschuwing |",
          "|---|---:|---:|---:|---:|---:|", *attgt_rows(args.reps), ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "noise_selection.md" if args.tag == "final" else f"noise_selection_{args.tag}.md"
    (RESULTS / name).write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
