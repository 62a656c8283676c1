"""wl.did.dcdh: a toy panel computed by hand, switchers out, bad inputs, simulations with known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import wijklib as wl
from wijklib.did.dcdh import DCDHError


def toy() -> pd.DataFrame:
    # a: on at t=3 (dose 1), off again at t=5; b: never; c: on at t=4 with dose 2
    Y = {"a": [1, 2, 6, 7, 4], "b": [0, 1, 1, 2, 3], "c": [5, 5, 6, 10, 11]}
    D = {"a": [0, 0, 1, 1, 0], "b": [0, 0, 0, 0, 0], "c": [0, 0, 0, 2, 2]}
    return pd.DataFrame([(g, t + 1, D[g][t], Y[g][t]) for g in Y for t in range(5)],
                        columns=["wijk", "maand", "inzet", "y"])


def fit(df, **kw):
    return wl.did.dcdh(df, outcome="y", group="wijk", time="maand", treatment="inzet", **kw)


def test_toy_by_hand():
    t = fit(toy(), effects=2, placebo=1).tidy().set_index("term")
    # Effect_1: a (F=3): (6-2) - mean(b: 1-1, c: 6-5) = 3.5; c (F=4): (10-6) - (b: 2-1) = 3 -> 3.25
    assert t.loc["Effect_1", "estimate"] == pytest.approx(3.25)
    # Effect_2: a: (7-2) - (b: 2-1) = 4 (c has switched at 4); c: (11-6) - (b: 3-1) = 3 -> 3.5
    assert t.loc["Effect_2", "estimate"] == pytest.approx(3.5)
    # Placebo_1: a: (1-2) - mean(b: 0-1, c: 5-5) = -0.5; c: (5-6) - (b: 1-2) = 0... c: Y2-Y3 = -1, b: 0
    assert t.loc["Placebo_1", "estimate"] == pytest.approx((-0.5 + -1.0) / 2)
    # average total effect: (3.25 + 3.5)/2 over the average current dose change (1 and 2 -> 1.5)
    assert t.loc["Av_tot_effect", "estimate"] == pytest.approx(3.375 / 1.5)
    assert t.loc["Effect_1", "switchers"] == 2 and t.loc["Effect_2", "switchers"] == 2
    # normalized: divided by the average cumulated dose: l=1: (1+2)/2; l=2: (2+4)/2
    tn = fit(toy(), effects=2, normalized=True).tidy().set_index("term")
    assert tn.loc["Effect_1", "estimate"] == pytest.approx(3.25 / 1.5)
    assert tn.loc["Effect_2", "estimate"] == pytest.approx(3.5 / 3.0)
    assert tn.loc["Effect_1", "std_error"] == pytest.approx(t.loc["Effect_1", "std_error"] / 1.5)


def test_single_switcher_by_hand():
    # one ward switches on at t=3; two controls; the effect is a plain DiD
    Y = {"s": [1.0, 2.0, 5.0, 6.5], "c1": [0.0, 1.0, 1.5, 2.0], "c2": [3.0, 3.5, 4.5, 5.0]}
    D = {"s": [0, 0, 1, 1], "c1": [0, 0, 0, 0], "c2": [0, 0, 0, 0]}
    df = pd.DataFrame([(g, t + 1, D[g][t], Y[g][t]) for g in Y for t in range(4)],
                      columns=["wijk", "maand", "inzet", "y"])
    t = fit(df, effects=2, placebo=1).tidy().set_index("term")
    assert t.loc["Effect_1", "estimate"] == pytest.approx((5 - 2) - np.mean([0.5, 1.0]))
    assert t.loc["Effect_2", "estimate"] == pytest.approx((6.5 - 2) - np.mean([1.0, 1.5]))
    assert t.loc["Placebo_1", "estimate"] == pytest.approx((1 - 2) - np.mean([-1.0, -0.5]))
    assert t.loc["Effect_1", "n"] == 3 and t.loc["Effect_1", "switchers"] == 1


def test_switchers_out_sign():
    # a ward whose enforcement ENDS: baseline 1, drops to 0 at t=4 and its outcome falls by 2
    rng = np.random.default_rng(0)
    rows = []
    for g in range(6):
        out = g < 3
        for t in range(1, 7):
            d = 1.0 if (not out or t < 4) else 0.0
            rows.append((g, t, d, 0.3 * t + g + 2.0 * d + rng.normal(0, 0.01)))
    df = pd.DataFrame(rows, columns=["wijk", "maand", "inzet", "y"])
    r = fit(df, effects=2, switchers="out")
    # effect of the switch relative to the status quo, signed so that it estimates the effect
    # of the treatment (as the package does for switchers-out): +2
    assert r.tidy()["estimate"].iloc[0] == pytest.approx(2.0, abs=0.05)
    with pytest.raises(DCDHError, match="no switcher of type 'in'"):
        fit(df, effects=2, switchers="in")


@pytest.mark.parametrize("bad, match", [
    (dict(effects=0), "effects must be an integer"),
    (dict(placebo=-1), "placebo must be an integer"),
    (dict(switchers="both"), "switchers must be"),
    (dict(ci_level=0.95 * 0), "ci_level"),
])
def test_bad_options(bad, match):
    with pytest.raises(DCDHError, match=match):
        fit(toy(), **bad)


def test_bad_data():
    df = toy()
    with pytest.raises(DCDHError, match=r"column\(s\) \['nope'\]"):
        wl.did.dcdh(df, outcome="nope", group="wijk", time="maand", treatment="inzet")
    d2 = df.astype({"inzet": object})
    d2.loc[3, "inzet"] = "veel"
    with pytest.raises(DCDHError, match="'inzet' must be numeric; row 3 .* 'veel'"):
        fit(d2)
    with pytest.raises(DCDHError, match="occurs more than once"):
        fit(pd.concat([df, df.iloc[[0]]]))
    # everyone switches at the same date: no not-yet-switched control
    d3 = df.copy()
    d3["inzet"] = (d3["maand"] >= 3).astype(float)
    with pytest.raises(DCDHError, match="no treatment effect can be estimated"):
        fit(d3)
    d4 = df.assign(gebied=np.where(df["maand"] < 3, "x", "y"))
    with pytest.raises(DCDHError, match="nested within the cluster"):
        fit(d4, cluster="gebied")


def test_unbalanced_and_missing_outcomes():
    df = toy()
    r_full = fit(df, effects=2)
    # a never-treated ward missing one month still works (the package's missing-cell rules)
    d2 = pd.concat([df, pd.DataFrame({"wijk": ["e"] * 5, "maand": range(1, 6), "inzet": 0.0,
                                      "y": [1.0, 2.0, np.nan, 3.0, 4.0]})])
    r = fit(d2, effects=2)
    assert np.isfinite(r.tidy()["estimate"]).all()
    assert r.method["n_groups"] == r_full.method["n_groups"] + 1


# ---------------------------------------------------------------------------------------------
# simulations with known truth
# ---------------------------------------------------------------------------------------------


def design(n: int = 120, T: int = 8, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Fixed treatment paths: a quarter never treated; others start at a random month with dose
    1-3, some raise or end it later; a sixth start treated (dose 1) and leave (switchers out)."""
    rng = np.random.default_rng(seed)
    D = np.zeros((n, T))
    for g in range(n):
        if g % 4 == 0:
            continue
        s = int(rng.integers(2, T - 1))
        if g % 6 == 1:
            D[g, :] = 1.0
            D[g, s:] = 0.0
            continue
        D[g, s:] = rng.integers(1, 4)
        if rng.random() < 0.4 and s + 2 < T:
            e = int(rng.integers(s + 2, T))
            D[g, e:] = 0.0 if rng.random() < 0.5 else D[g, s] + 1
    return D, rng.normal(0, 1, n)


def panel(D, alpha, eps, beta=0.5, beta_lag=0.25):
    n, T = D.shape
    lag = np.concatenate([np.zeros((n, 1)), D[:, :-1]], axis=1)
    Y = alpha[:, None] + 0.1 * np.arange(T)[None, :] + beta * D + beta_lag * lag + eps
    g, t = np.meshgrid(np.arange(n), np.arange(1, T + 1), indexing="ij")
    return pd.DataFrame({"wijk": g.ravel(), "maand": t.ravel(), "inzet": D.ravel(), "y": Y.ravel()})


def coverage(reps: int, seed: int = 11):
    D, alpha = design()
    # the truth: the estimator on noise-free outcomes (parallel trends hold exactly there)
    truth = fit(panel(D, alpha, 0.0), effects=3, placebo=2).tidy().set_index("term")["estimate"]
    rng = np.random.default_rng(seed)
    hits, est = [], []
    for _ in range(reps):
        t = fit(panel(D, alpha, rng.normal(0, 1, D.shape)), effects=3, placebo=2).tidy().set_index("term")
        hits.append((t["conf_low"] <= truth) & (truth <= t["conf_high"]))
        est.append(t["estimate"])
    return truth, pd.DataFrame(hits), pd.DataFrame(est)


def test_truth_is_the_dose_weighted_effect():
    D, alpha = design()
    t = fit(panel(D, alpha, 0.0, beta=0.5, beta_lag=0.0), effects=3, normalized=True).tidy()
    # with only a contemporaneous effect and no noise, the normalized Effect_1 is exactly beta
    assert t.set_index("term").loc["Effect_1", "estimate"] == pytest.approx(0.5, abs=1e-10)
    # placebos on noise-free parallel trends are exactly zero
    t = fit(panel(D, alpha, 0.0), effects=3, placebo=2).tidy().set_index("term")
    assert np.allclose(t.loc[["Placebo_1", "Placebo_2"], "estimate"], 0.0, atol=1e-10)


def test_simulation_fast():
    truth, hits, est = coverage(60)
    assert ((est.mean() - truth).abs() < 4 * est.std() / np.sqrt(len(est))).all()
    cov = hits.mean()
    assert (cov > 0.83).all() and (cov <= 1.0).all(), cov.to_dict()


@pytest.mark.slow
def test_simulation_coverage_slow():
    truth, hits, est = coverage(1000)
    cov = hits.mean()
    assert ((est.mean() - truth).abs() < 4 * est.std() / np.sqrt(len(est))).all()
    assert ((cov >= 0.93) & (cov <= 0.97)).all(), cov.to_dict()
