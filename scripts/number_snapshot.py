"""Record every estimator's numbers on fixed inputs, and compare two records (a refactor must not move them).

    python scripts/number_snapshot.py record before.json     # on the old code
    python scripts/number_snapshot.py record after.json      # on the new code
    python scripts/number_snapshot.py compare before.json after.json

The monitor's estimates and verdicts on the simulated city (default rules and the Poisson DiD) are
recorded too. Needs ../shared/reference-data (mpdta, sicily, card_krueger). Also runs on the code before issue 13
(its.fit offset=/exposure= and synth method=/estimator= are chosen from the signature). The rows that
issue 13 added to a tidy() (a poisson aggregate's leading overall row) and the columns added to bacon's
tidy() are aligned before comparing.
"""

from __future__ import annotations

import inspect
import json
import sys
import warnings

import numpy as np
import pandas as pd

from wijklib.config import REFERENCE_DATA_DIR

REF = str(REFERENCE_DATA_DIR)


def nums(df):
    cols = [c for c in ["estimate", "std_error", "p_value", "conf_low", "conf_high", "conf_low_simul",
                        "conf_high_simul", "att", "att_std_error"] if c in df.columns]
    return np.round(df[cols].to_numpy(float), 10).tolist()


def pt(p):
    return [p.statistic, p.df, p.p_value]


def has(f, name):
    return name in inspect.signature(f).parameters


def record(path: str) -> None:
    warnings.simplefilter("ignore")
    from wijklib import its, synth
    from wijklib.did import att_gt, bacon, event_study, event_study_single, poisson, twfe
    from wijklib.did import placebo as _pl
    from wijklib.did._sim import staggered_panel

    out: dict = {}
    mp = pd.read_csv(f"{REF}/mpdta/mpdta.csv")
    for inf_ in ("analytic", "multiplier", "wild", "randomization"):
        r = att_gt(mp, yname="lemp", tname="year", idname="countyreal", gname="first.treat", inference=inf_,
                   seed=1, biters=199)
        out[f"attgt_{inf_}"] = nums(r.tidy())
        out[f"attgt_{inf_}_pretest"] = pt(r.pretest())
        for t in ("simple", "dynamic", "group", "calendar"):
            out[f"attgt_{inf_}_{t}"] = nums(r.aggregate(t).tidy())
    r = att_gt(mp, yname="lemp", tname="year", idname="countyreal", gname="first.treat", xformla="~ lpop",
               inference="analytic", seed=1)
    out["attgt_cov"] = nums(r.tidy())

    si = pd.read_csv(f"{REF}/sicily/sicily.csv")
    pop = {"exposure": "stdpop"} if has(its.fit, "exposure") else {"offset": "stdpop"}
    for fam in ("poisson", "quasipoisson", "negbin"):
        for cov in ("hac", "nonrobust"):
            r = its.fit(si, yname="aces", tname="time", start=37, family=fam, cov_type=cov, **pop)
            out[f"its_{fam}_{cov}"] = nums(r.tidy())
            out[f"its_{fam}_{cov}_cf"] = np.round(r.counterfactual().iloc[:, 1:6].to_numpy(float), 8).tolist()
    r = its.fit(si.assign(rate=si.aces / si.stdpop * 1e5), yname="rate", tname="time", start=37, family="gaussian")
    out["its_gauss"] = nums(r.tidy())

    ck = pd.read_csv(f"{REF}/card_krueger/card-krueger.csv")
    for se in ("cluster","hc1"):
        out[f"ck_{se}"] = nums(twfe(ck, yname="fte", tname="d", idname="id", treat="nj", post="d", se_type=se).tidy())

    df, _ = staggered_panel(3, n_units=60, n_periods=12, cohorts=(5, 8), effect=1.0)
    es = event_study(df, yname="y", tname="month", idname="ward", gname="first_treated", window=(-4, 4))
    out["es"] = nums(es.tidy())
    out["es_eff"] = [es.effect.estimate, es.effect.std_error, es.effect.p_value]
    out["es_pretest"] = pt(es.pretest())
    es2 = event_study(df, yname="y", tname="month", idname="ward", gname="first_treated", estimator="twfe")
    out["es_twfe"] = nums(es2.tidy())
    df1 = df.copy()
    tr = df1.loc[df1.first_treated > 0, "ward"].unique()
    df1 = df1[~df1.ward.isin(tr[1:])]
    ess = event_study_single(df1, yname="y", tname="month", idname="ward", gname="first_treated", window=(-3, 3))
    out["ess"] = nums(ess.tidy())
    out["ess_eff"] = [ess.effect.estimate, ess.effect.std_error, ess.effect.p_value,
                      ess.effect.extra["p_randomization"]]
    out["ess_pretest"] = pt(_pl.pretest(ess))
    df["d"] = ((df.first_treated > 0) & (df.month >= df.first_treated)).astype(float)
    tw = twfe(df, yname="y", tname="month", idname="ward", treat="d")
    out["twfe"] = nums(tw.tidy())
    b = bacon(df, yname="y", dname="d", idname="ward", tname="month")
    out["bacon"] = nums(b.tidy())

    rng = np.random.default_rng(3)
    cp = pd.DataFrame([(i, t, 6 if i < 30 else 0) for i in range(60) for t in range(10)], columns=["id", "t", "g"])
    lam = np.exp(1.5 + 0.3 * rng.normal(size=60))[cp.id] * np.where((cp.g > 0) & (cp.t >= 6), 0.7, 1.0)
    cp["y"] = rng.poisson(lam)
    cp["pop"] = 1000.0 + 10 * cp.id
    cp["lp"] = np.log(cp["pop"])
    for inf_ in ("analytic", "wild", "randomization"):
        r = poisson(cp, yname="y", tname="t", idname="id", gname="g", offset="lp", inference=inf_, seed=1,
                    biters=99)
        out[f"pois_{inf_}"] = nums(r.tidy())
        for t in ("simple", "dynamic", "group", "calendar"):
            out[f"pois_{inf_}_{t}"] = nums(r.aggregate(t).tidy())

    panel = synth._example_panel()
    for m in ("synth", "sdid"):
        kw = {"estimator": m} if has(synth.fit, "estimator") else {"method": m}
        r = synth.fit(panel, yname="y", tname="t", idname="wijk", treated="w0", start=21, **kw)
        out[f"synth_{m}"] = nums(r.tidy(per_period=True))
    out.update(dcdh_numbers())
    out.update(monitor_numbers())
    json.dump(out, open(path, "w"), default=float)
    print(len(out), "entries written to", path)


def dcdh_numbers() -> dict:
    """de Chaisemartin-D'Haultfoeuille on a panel whose treatment switches on, off and by several doses,
    with the options that take other paths through the estimator."""
    from wijklib.did import dcdh

    rng = np.random.default_rng(11)
    rows = []
    for g in range(30):
        on, off, dose = int(rng.integers(3, 9)), int(rng.integers(9, 15)), int(rng.integers(1, 3))
        for t in range(1, 15):
            # 0-19 switch on (dose 1 or 2) and off; 20-22 stay at 1; 23-25 stay at 0; 26-29 switch 1 -> 0
            d = (dose if on <= t < off else 0) if g < 20 else (1 if g <= 22 or (g >= 26 and t < 6) else 0)
            rows.append((g, g % 6, t, d, 0.3 * t + 0.5 * g % 3 + 1.5 * d + rng.normal()))
    df = pd.DataFrame(rows, columns=["g", "cl", "t", "d", "y"])
    out: dict = {}
    for name, kw in [("base", {}), ("norm", {"normalized": True}), ("in", {"switchers": "in"}),
                     ("out", {"switchers": "out"}), ("cluster", {"cluster": "cl"}),
                     ("same", {"same_switchers": True}), ("never", {"only_never_switchers": True})]:
        r = dcdh(df, outcome="y", group="g", time="t", treatment="d", effects=3, placebo=2, **kw)
        out[f"dcdh_{name}"] = nums(r.tidy())
    return out


def monitor_numbers() -> dict:
    """The monitor's estimates and verdicts for every ward of the simulated city, under the default rules
    and with the city-wide Poisson DiD (a refactor of the monitor or its configuration must not move them)."""
    from wijklib.demo import simulate
    from wijklib.monitor.evaluation import Context, evaluate_city
    from wijklib.monitor.verdict import ALL_VERDICTS

    out: dict = {}
    tables = simulate(scale=0.05).tables
    for name, cfg in [("default", None), ("poisson", {"design": {"did_inference": "poisson", "min_treated_did": 2}})]:
        ctx = Context(tables, outcomes=["afval", "overlast"], config=cfg)
        city = evaluate_city(2025, context=ctx)
        for w, ev in sorted(city.wards.items()):
            f = ev.to_frame()
            num = f[["schatting", "conf_low", "conf_high", "rel_verschil", "rel_low", "rel_high"]]
            verdict = f["oordeel"].map(lambda v: ALL_VERDICTS.index(v) if v in ALL_VERDICTS else -1)
            out[f"monitor_{name}_{w}"] = np.round(
                np.column_stack([num.to_numpy(float), verdict.to_numpy(float)]), 10).tolist()
        out[f"monitor_{name}_failures"] = [float(len(city.failures))]
    return out


def compare(path_a: str, path_b: str) -> int:
    a = json.load(open(path_a))
    b = json.load(open(path_b))
    worst = 0.0
    bad = 0
    for k in a:
        x, y = np.array(a[k], float), np.array(b[k], float)
        if (k.startswith("pois_") and k.split("_")[-1] in ("dynamic", "group", "calendar")
                and len(y) == len(x) + 1):
            y = y[1:]
        if k == "bacon":
            y = y[:, : x.shape[1]]
        if x.shape != y.shape:
            print("shape differs", k, x.shape, y.shape)
            bad += 1
            continue
        d = float(np.nanmax(np.abs(x - y))) if x.size else 0.0
        same_nan = np.array_equal(np.isnan(x), np.isnan(y))
        worst = max(worst, d)
        if d > 1e-12 or not same_nan:
            print(k, "max abs diff", d, "" if same_nan else "NaN pattern differs")
            bad += 1
    print(f"{len(a)} entries, max abs diff {worst:g}, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["record"]:
        record(sys.argv[2])
    elif sys.argv[1:2] == ["compare"]:
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
