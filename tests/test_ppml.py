"""Tests for wijklib.did.poisson (Wooldridge extended TWFE Poisson)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from wijklib.did import poisson


def count_panel(n_units=40, n_periods=8, ratio=0.7, seed=5, cohorts=(4, 6), never_share=0.55):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame([(i, t) for i in range(n_units) for t in range(n_periods)], columns=["id", "t"])
    n_never = int(round(never_share * n_units))
    gu = np.zeros(n_units, dtype=int)
    treated_ids = np.arange(n_never, n_units)
    gu[treated_ids] = np.array(cohorts)[np.arange(len(treated_ids)) % len(cohorts)]
    df["g"] = gu[df["id"]]
    df["lp"] = np.log(rng.uniform(1, 5, n_units))[df["id"]]
    lam = np.exp(0.5 + 0.5 * rng.normal(size=n_units)[df["id"]] + 0.05 * df["t"] + df["lp"])
    lam = lam * np.where((df["g"] > 0) & (df["t"] >= df["g"]), ratio, 1.0)
    df["y"] = rng.poisson(lam)
    return df


@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
def test_matches_statsmodels_glm_with_dummies(control_group):
    df = count_panel().drop(index=[3, 50, 51])  # missing months
    kw = {"baseline": "last"} if control_group == "nevertreated" else {}
    res = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group=control_group, offset="lp", **kw)
    d = df.copy()
    m = (d["g"] > 0) & ((d["t"] != d["g"] - 1) if control_group == "nevertreated" else (d["t"] >= d["g"]))
    d["cell"] = "none"
    d.loc[m, "cell"] = d["g"].astype(str) + "_" + d["t"].astype(str)
    glm = smf.glm("y ~ C(id) + C(t) + C(cell, Treatment('none'))", d, family=sm.families.Poisson(),
                  offset=d["lp"]).fit(tol=1e-13, cov_type="cluster", cov_kwds={"groups": d["id"]})
    cells = res.cells
    names = [f"C(cell, Treatment('none'))[T.{g}_{t}]" for g, t in zip(cells["group"], cells["time"], strict=True)]
    assert cells["tau"].to_numpy() == pytest.approx(glm.params[names].to_numpy(), abs=1e-6)
    # statsmodels counts the unit dummies in K; fixest's nested rule drops them (nested in the unit
    # clusters) and counts all T period levels
    n = len(d)
    k_sm = len(glm.params)
    k_ours = k_sm - (d["id"].nunique() - 1)
    fac = math.sqrt((n - k_sm) / (n - k_ours))
    assert cells["std_error"].to_numpy() == pytest.approx(glm.bse[names].to_numpy() * fac, rel=1e-5)
    assert res.method["converged"]
    # ybar is the observed mean of the cell (PPML score equations make fitted = observed)
    c0 = cells.iloc[0]
    obs = d.loc[(d["g"] == c0["group"]) & (d["t"] == c0["time"]), "y"].mean()
    assert c0["ybar"] == pytest.approx(obs)


def test_against_pyfixest_if_available():
    pf = pytest.importorskip("pyfixest")
    df = count_panel()
    res = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group="notyettreated")
    d = df.copy()
    m = (d["g"] > 0) & (d["t"] >= d["g"])
    d["cell"] = "none"
    d.loc[m, "cell"] = d["g"].astype(str) + "_" + d["t"].astype(str)
    fit = pf.fepois("y ~ i(cell, ref='none') | id + t", data=d, vcov={"CRV1": "id"})
    coef = fit.coef()
    names = [c for c in coef.index if "cell" in c]
    assert sorted(coef[names].to_numpy()) == pytest.approx(sorted(res.cells["tau"].to_numpy()), abs=1e-6)


def test_aggregations_follow_the_documented_formulas():
    df = count_panel(n_units=60, n_periods=10, cohorts=(4, 7))
    res = poisson(df, yname="y", tname="t", idname="id", gname="g")
    c = res.cells
    post = c[c["event_time"] >= 0]
    w = post["n_units"].to_numpy(float)
    y1 = post["ybar"].to_numpy()
    y0 = y1 * np.exp(-post["tau"].to_numpy())
    simple = res.aggregate("simple")
    assert simple.overall.estimate == pytest.approx((w * y1).sum() / (w * y0).sum())
    assert simple.overall.extra["att"] == pytest.approx((w * (y1 - y0)).sum() / w.sum())
    assert res.effect.estimate == pytest.approx(simple.overall.estimate)
    dyn = res.aggregate("dynamic").tidy()
    assert dyn["term"].iloc[0] == "overall"
    dyn = dyn.iloc[1:]
    assert set(dyn["event_time"]) == set(c["event_time"])
    e0 = c[c["event_time"] == 0]
    r0 = (e0["n_units"] * e0["ybar"]).sum() / (e0["n_units"] * e0["ybar"] * np.exp(-e0["tau"])).sum()
    assert dyn.set_index("event_time").loc[0, "estimate"] == pytest.approx(r0)
    grp = res.aggregate("group").tidy().iloc[1:]
    assert list(grp["group"]) == [4, 7]
    cal = res.aggregate("calendar").tidy().iloc[1:]
    assert cal["time"].min() == 4
    for t in (simple, res.aggregate("dynamic"), res.aggregate("group"), res.aggregate("calendar")):
        assert 0 < t.overall.conf_low < t.overall.estimate < t.overall.conf_high
    assert "verhouding" in simple.sentence()
    assert "rate ratio" in res.summary(as_string=True)
    assert res.conf_int().shape == (len(c), 2)
    import matplotlib

    matplotlib.use("Agg")
    ax = res.aggregate("dynamic").plot()
    fig = ax.figure
    assert ax.get_yscale() == "log"
    import matplotlib.pyplot as plt

    plt.close(fig)
    with pytest.raises(ValueError, match="type must be"):
        res.aggregate("weird")


def test_recovers_rate_ratio_and_fast_coverage():
    """Fast variant of the coverage simulation (the slow one checks 0.92-0.98)."""
    hits, est = [], []
    for seed in range(40):
        df = count_panel(n_units=40, n_periods=8, ratio=0.7, seed=100 + seed)
        r = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group="notyettreated")
        est.append(math.log(r.effect.estimate))
        hits.append(r.effect.conf_low <= 0.7 <= r.effect.conf_high)
    assert abs(np.mean(est) - math.log(0.7)) < 0.03
    assert np.mean(hits) >= 0.85


@pytest.mark.slow
@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
def test_coverage_of_rate_ratio_slow(control_group):
    hits, est = [], []
    for seed in range(400):
        df = count_panel(n_units=60, n_periods=8, ratio=0.7, seed=1000 + seed)
        r = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group=control_group)
        est.append(math.log(r.effect.estimate))
        hits.append(r.effect.conf_low <= 0.7 <= r.effect.conf_high)
    assert abs(np.mean(est) - math.log(0.7)) < 0.02
    assert 0.92 <= np.mean(hits) <= 0.98


def test_zero_counts_all_treated_one_ward_cohort_and_no_mutation():
    df = count_panel(n_units=30, never_share=0.0, cohorts=(3, 5, 7))
    df.loc[df["id"] == 0, "y"] = 0  # a ward with zero reports in every month
    df.loc[df["id"] == 29, "g"] = 2  # one ward alone in cohort 2
    before = df.copy()
    with pytest.raises(ValueError, match="notyettreated"):
        poisson(df, yname="y", tname="t", idname="id", gname="g")
    res = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group="notyettreated")
    pd.testing.assert_frame_equal(df, before)
    assert res.method["dropped_all_zero_units"] == 1
    assert res.method["last_cohort_as_control"] == 7
    assert 2 in set(res.cells["group"])
    assert (res.cells["time"] < 7).all()
    assert np.isfinite(res.effect.estimate)


def test_all_zero_cell_is_dropped_not_minus_infinity():
    df = count_panel(n_units=40)
    m = (df["g"] == 4) & (df["t"] == 5)
    df.loc[m, "y"] = 0
    res = poisson(df, yname="y", tname="t", idname="id", gname="g")
    assert res.method["dropped_all_zero_cells"] == 1
    assert not ((res.cells["group"] == 4) & (res.cells["time"] == 5)).any()
    assert np.isfinite(res.cells["tau"]).all()


def test_wild_and_randomization_inference_are_seeded():
    df = count_panel(n_units=24, n_periods=8)
    a = poisson(df, yname="y", tname="t", idname="id", gname="g", inference="wild", biters=199, seed=3)
    b = poisson(df, yname="y", tname="t", idname="id", gname="g", inference="wild", biters=199, seed=3)
    assert a.effect.std_error == b.effect.std_error
    an = poisson(df, yname="y", tname="t", idname="id", gname="g")
    assert a.effect.estimate == pytest.approx(an.effect.estimate)
    assert a.effect.std_error == pytest.approx(an.effect.std_error, rel=0.35)
    # auto follows att_gt's rule: 11 treated in cohorts of 5 and 6 -> analytic; a cohort of 4 -> wild
    auto = poisson(df, yname="y", tname="t", idname="id", gname="g", inference="auto", biters=99, seed=1)
    assert auto.method["inference"] == "analytic"
    df4 = df.copy()
    df4.loc[df4["id"] == df4.loc[df4["g"] == 6, "id"].iloc[0], "g"] = 4
    auto = poisson(df4, yname="y", tname="t", idname="id", gname="g", inference="auto", biters=99, seed=1)
    assert auto.method["inference"] == "wild" and "smallest cohort" in auto.method["inference_note"]
    r = poisson(df, yname="y", tname="t", idname="id", gname="g", inference="randomization", biters=19, seed=2)
    assert 1 / 20 <= r.effect.p_value <= 1
    assert math.isnan(r.effect.conf_low)
    assert r.method["n_permutations_fitted"] >= 15


def test_errors():
    df = count_panel(n_units=10)
    neg = df.copy()
    neg.loc[neg.index[4], "y"] = -1
    with pytest.raises(ValueError, match="non-negative"):
        poisson(neg, yname="y", tname="t", idname="id", gname="g")
    with pytest.raises(ValueError, match="inference"):
        poisson(df, yname="y", tname="t", idname="id", gname="g", inference="magic")
    with pytest.raises(KeyError, match="offset"):
        poisson(df, yname="y", tname="t", idname="id", gname="g", offset="pop")


def test_average_baseline_is_the_documented_linear_map():
    df = count_panel(n_units=40, n_periods=9, cohorts=(4, 6))
    last = poisson(df, yname="y", tname="t", idname="id", gname="g", baseline="last")
    avg = poisson(df, yname="y", tname="t", idname="id", gname="g")
    assert avg.method["baseline"] == "average"
    c = last.cells
    for g in (4, 6):
        m = (c["group"] == g).to_numpy()
        pre = m & (c["time"] < g).to_numpy()
        shift = c.loc[pre, "tau"].sum() / (pre.sum() + 1)
        assert avg.cells.loc[m, "tau"].to_numpy() == pytest.approx(c.loc[m, "tau"].to_numpy() - shift)
        # pre-period effects average to zero once the reference (0) is counted
        assert (avg.cells.loc[pre, "tau"].sum() + (0 - shift)) == pytest.approx(0, abs=1e-10)
    nyt = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group="notyettreated")
    nyt_last = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group="notyettreated", baseline="last")
    assert nyt.method["baseline"] == "all untreated periods"
    assert nyt.cells["tau"].to_numpy() == pytest.approx(nyt_last.cells["tau"].to_numpy())
    with pytest.raises(ValueError, match="baseline must be"):
        poisson(df, yname="y", tname="t", idname="id", gname="g", baseline="first")


def test_average_baseline_is_robust_to_a_bad_month_before_the_start():
    """A transient shock in g-1 (the regression-to-the-mean trap) biases the 'last' baseline most."""
    est_last, est_avg = [], []
    for seed in range(20):
        df = count_panel(n_units=60, n_periods=10, ratio=0.8, seed=300 + seed, cohorts=(6,))
        shock = (df["g"] == 6) & (df["t"] == 5)
        df.loc[shock, "y"] = np.random.default_rng(seed).poisson(1.4 * df.loc[shock, "y"].mean(), shock.sum())
        est_last.append(math.log(poisson(df, yname="y", tname="t", idname="id", gname="g", baseline="last").effect.estimate))
        est_avg.append(math.log(poisson(df, yname="y", tname="t", idname="id", gname="g").effect.estimate))
    truth = math.log(0.8)
    assert abs(np.mean(est_avg) - truth) < abs(np.mean(est_last) - truth)
    assert abs(np.mean(est_avg) - truth) < 0.1
