"""Tests for wijklib.diagnostics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from wijklib import diagnostics as dg
from wijklib.did import event_study, twfe


def panel(n_units=40, n_periods=16, start=10, n_treated=12, effect=0.0, seed=0, pretrend=0.0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame([(i, t) for i in range(n_units) for t in range(n_periods)], columns=["id", "t"])
    df["g"] = np.where(df["id"] < n_treated, start, 0)
    tr = df["g"] > 0
    df["y"] = (rng.normal(size=n_units)[df["id"]] + 0.1 * df["t"] + rng.normal(size=len(df))
               + np.where(tr & (df["t"] >= start), effect, 0.0) + np.where(tr, pretrend * (df["t"] - start), 0.0))
    return df


def test_pretrend_power_single_pre_period_matches_closed_form():
    # one pre coefficient at e=-2 with SE 0.2: power(s) = P(|N(s, 0.04)| > 1.96 * 0.2)
    b = np.array([0.0, 0.0])
    V = np.diag([0.04, 0.04])
    res = dg.pretrend_power((b, V, np.array([-2, 0])), slope=0.3, draws=200000)
    t = res.tidy()
    z = stats.norm.ppf(0.975)
    for _, r in t.iterrows():
        # slope s, trend at e=-2 relative to ref -1 is -s
        exact = stats.norm.sf(z - r["slope"] / 0.2) + stats.norm.cdf(-z - r["slope"] / 0.2)
        assert r["power"] == pytest.approx(exact, abs=0.005)
    p50 = t.loc[t["target_power"] == 0.5, "slope"].iloc[0]
    assert abs(p50) == pytest.approx(z * 0.2, rel=0.02)
    # bias of the average post estimate: slope * (0 - (-1))
    assert t["bias_post"].iloc[0] == pytest.approx(t["slope"].iloc[0])
    assert "trend" in res.sentence()


def test_pretrend_power_from_event_study_and_conditional_bias():
    es = event_study(panel(), yname="y", tname="t", idname="id", gname="g", window=(-5, 3))
    res = dg.pretrend_power(es)
    t = res.tidy().set_index("target_power")
    assert t.loc[0.8, "slope"] > t.loc[0.5, "slope"] > 0
    assert t.loc[0.8, "power"] == pytest.approx(0.8, abs=0.01)
    assert np.isfinite(t.loc[0.8, "bias_post_if_pass"])
    with pytest.raises(ValueError, match="target_power"):
        dg.pretrend_power(es, target_power=(0.01,))


def test_honest_rm_bounds_hand_computed():
    b = np.array([0.1, -0.1, 0.05, 1.0, 2.0])  # e=-4,-3,-2 | 0,1
    V = np.eye(5) * 0.01
    hb = dg.honest_rm_bounds(b, V, 3, Mbar=(1.0,))
    # pre changes: -0.2 (-4 -> -3), 0.15 (-3 -> -2), -0.05 (-2 -> ref 0)
    assert hb.max_pre_diff == pytest.approx(0.2)
    theta = 1.5
    c = 1.5  # mean of (e+1) over e = 0, 1
    row = hb.tidy().iloc[0]
    assert row["id_lower"] == pytest.approx(theta - 0.2 * c)
    assert row["id_upper"] == pytest.approx(theta + 0.2 * c)
    se = math.sqrt(0.01 * 2) / 2
    se_d = math.sqrt(0.02)
    d_ub = max(0.2 + stats.norm.ppf(1 - 0.05 / 12) * se_d, 0.05 + stats.norm.ppf(1 - 0.05 / 12) * 0.1)
    assert hb.max_pre_diff_upper == pytest.approx(d_ub)
    assert row["ci_lower"] == pytest.approx(theta - stats.norm.ppf(1 - 0.05 / 4) * se - d_ub * c)
    # breakdown: the CI touches zero exactly there
    m = hb.breakdown_mbar
    assert theta - stats.norm.ppf(1 - 0.05 / 4) * se - m * d_ub * c == pytest.approx(0, abs=1e-12)
    assert "M =" in hb.sentence()


def test_honest_rm_bounds_from_event_study_covers_truth_under_violation_in_set():
    es = event_study(panel(effect=1.0), yname="y", tname="t", idname="id", gname="g", window=(-4, 3))
    hb = dg.honest_rm_bounds(es)
    t = hb.tidy()
    assert (t["ci_lower"] <= t["id_lower"]).all() and (t["ci_upper"] >= t["id_upper"]).all()
    assert (np.diff(t["ci_upper"] - t["ci_lower"]) > 0).all()  # wider for larger Mbar
    assert hb.method["n_pre"] == 3


def test_placebo_time_no_effect_before_start():
    df = panel(effect=2.0)
    fit = lambda d: event_study(d, yname="y", tname="t", idname="id", gname="g", window=(-3, 2))  # noqa: E731
    res = dg.placebo_time(fit, df, [5, 6, 7], tname="t", gname="g")
    t = res.tidy()
    assert list(t["fake_start"]) == [5, 6, 7]
    assert t["estimate"].abs().max() < 1.0  # the real effect (2.0) does not leak in
    assert 0 <= res.share_significant <= 1
    assert "placebotoetsen" in res.sentence()
    with pytest.raises(ValueError, match="before the earliest real start"):
        dg.placebo_time(fit, df, [12], tname="t", gname="g")
    # monthly dates: the same placebo with datetime periods and NaT for never treated
    months = pd.date_range("2021-01-01", periods=16, freq="MS")
    dd = df.assign(maand=months[df["t"].to_numpy()])
    dd["start"] = pd.Series(pd.NaT, index=dd.index, dtype="datetime64[ns]")
    dd.loc[dd["g"] > 0, "start"] = months[10]
    fit_d = lambda d: event_study(d, yname="y", tname="maand", idname="id", gname="start", window=(-3, 2))  # noqa: E731
    res_d = dg.placebo_time(fit_d, dd, ["2021-06-01"], tname="maand", gname="start")
    assert res_d.tidy()["estimate"].iloc[0] == pytest.approx(t["estimate"].iloc[0])


def test_placebo_space_rank():
    df = panel(effect=3.0, n_treated=6)

    def fit(d):
        d = d.assign(D=((d["g"] > 0) & (d["t"] >= d["g"])).astype(int))
        return twfe(d, yname="y", tname="t", idname="id", treat="D")

    real = fit(df).effect.estimate
    before = df.copy()
    res = dg.placebo_space(fit, df, range(10, 25), idname="id", gname="g", real_estimate=real)
    pd.testing.assert_frame_equal(df, before)
    assert len(res.tidy()) == 15
    assert res.rank_p_value == pytest.approx(1 / 16)
    with pytest.raises(ValueError, match="never-treated"):
        dg.placebo_space(fit, df, [0], idname="id", gname="g")


def test_spillover_design_exclude_and_ring_with_geo_style_adjacency():
    df = panel(n_units=6, n_periods=4, n_treated=1, start=2)
    adj = pd.DataFrame({"unit": [0, 1, 1, 2, 4], "neighbour": [1, 0, 2, 1, 5]})
    ex = dg.spillover_design(df, [0], adj, idname="id")
    assert 1 not in set(ex["id"]) and 0 in set(ex["id"])
    ring = dg.spillover_design(df, [0], adj, idname="id", mode="ring", tname="t", gname="g")
    assert ring.groupby("id")["ring"].first().to_dict() == {0: 0, 1: 1, 2: 0, 3: 0, 4: 0, 5: 0}
    r1 = ring[ring["id"] == 1]
    assert (r1["ring_start"] == 2).all()
    assert r1["ring_exposed"].tolist() == [0, 0, 1, 1]
    assert ring.attrs["spillover"]["n_ring_units"] == 1
    assert "ring" not in df.columns


def test_regression_to_mean_flags_selection_after_bad_spell_only():
    rng = np.random.default_rng(3)
    df = pd.DataFrame([(i, t) for i in range(30) for t in range(24)], columns=["id", "t"])
    df["g"] = np.where(df["id"] < 8, 15, 0)
    base = rng.normal(10, 1, len(df))
    bad = df.assign(y=base + np.where((df["g"] > 0) & df["t"].between(12, 14), 3.0, 0.0))
    calm = df.assign(y=base)
    citywide = df.assign(y=base + np.where(df["t"].between(12, 14), 3.0, 0.0))
    r = dg.regression_to_mean(bad, yname="y", tname="t", idname="id", gname="g")
    assert r.flag and r.mean_z > 2
    assert "terugkeer" in r.sentence()
    assert not dg.regression_to_mean(calm, yname="y", tname="t", idname="id", gname="g").flag
    # a city-wide bad spell hits controls too: not selection
    assert not dg.regression_to_mean(citywide, yname="y", tname="t", idname="id", gname="g").flag
    assert len(r.tidy()) == 8
    months = pd.date_range("2019-01-01", periods=24, freq="MS")
    bad_dt = bad.assign(maand=months[bad["t"].to_numpy()],
                        start=pd.Series(pd.NaT, index=bad.index, dtype="datetime64[ns]"))
    bad_dt.loc[bad_dt["g"] > 0, "start"] = months[15]
    r_dt = dg.regression_to_mean(bad_dt, yname="y", tname="maand", idname="id", gname="start")
    assert r_dt.mean_z == pytest.approx(r.mean_z)


def test_reporting_helpers():
    f = dg.reporting_bias_flags(["n_afval", "rate_grofvuil", "misdrijf_totaal", "naleving"])
    assert f["report_based"].tolist() == [True, True, True, False]
    assert f["reden"].str.len().min() > 10
    assert "aangiftebereidheid" in f.loc[2, "reden"] and "MeldR" in f.loc[0, "reden"]
    df = pd.DataFrame({"maand": pd.date_range("2019-11-01", periods=4, freq="MS"), "share": [0.2, 0.2, 0.5, 0.5]})
    out = dg.reporting_breaks(df, tname="maand", breaks=["2020-01"], by="share")
    assert out["break_2020_01"].tolist() == [0, 0, 1, 1]
    assert out["break_2020_01_x_share"].tolist() == [0, 0, 0.5, 0.5]
    assert "break_2020_01" not in df.columns


@pytest.mark.filterwarnings("ignore:aggregate result has no covariance")
def test_diagnostics_accept_att_gt_dynamic_aggregation():
    from wijklib.did import att_gt

    df = panel(effect=1.0)
    agg = att_gt(df, yname="y", tname="t", idname="id", gname="g", base_period="universal",
                 inference="analytic").aggregate("dynamic")
    pw = dg.pretrend_power(agg)
    assert pw.tidy()["slope"].gt(0).all()
    if getattr(agg, "vcov", None) is not None:
        # same answer as passing the tuple with the (reference-free) covariance by hand
        et = agg.detail.loc[agg.detail["event_time"] != -1, "event_time"].to_numpy()
        b = agg.detail.set_index("event_time").loc[et, "estimate"].to_numpy()
        V = agg.vcov.loc[et, et].to_numpy()
        pw2 = dg.pretrend_power((b, V, et))
        assert pw2.tidy()["slope"].to_numpy() == pytest.approx(pw.tidy()["slope"].to_numpy())
    hb = dg.honest_rm_bounds(agg)
    assert hb.estimate == pytest.approx(agg.detail.loc[agg.detail["event_time"] >= 0, "estimate"].mean())
