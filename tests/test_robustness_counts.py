"""Numerical robustness of the count estimators on small, sparse panels (separation).

Each test builds a small panel in which some parameter has no finite maximum-likelihood value
(zero counts in the wrong place). Before the fixes these fits "converged" with coefficients of
minus several hundred, a numerically singular Hessian and negative sandwich variances
(``RuntimeWarning: invalid value encountered in sqrt``) or an ``OverflowError``. RuntimeWarnings
are turned into errors here so that a silent regression fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wijklib import its
from wijklib.did import poisson

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def sparse_panel(n_never=8, n_treated=8, n_periods=12, g=6, rate=2.0, seed=3):
    """Balanced unit x period counts; units n_never.. start at period ``g``."""
    rng = np.random.default_rng(seed)
    n = n_never + n_treated
    df = pd.DataFrame([(i, t) for i in range(n) for t in range(1, n_periods + 1)], columns=["id", "t"])
    df["g"] = np.where(df["id"] >= n_never, g, 0)
    lam = rate * np.exp(0.3 * rng.normal(size=n))[df["id"]] * np.where((df["g"] > 0) & (df["t"] >= df["g"]), 0.8, 1)
    df["y"] = rng.poisson(lam).astype(float)
    return df


# ----------------------------------------------------------------------------------------------
# Poisson DiD (wijklib.did.ppml)
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("control_group", ["nevertreated", "notyettreated"])
def test_period_without_control_counts_is_left_out_not_singular(control_group):
    # every untreated ward has zero reports in period 9, the treated wards do not: the period
    # effect goes to -inf and the cells of period 9 to +inf (no counterfactual)
    df = sparse_panel()
    df.loc[(df["g"] == 0) & (df["t"] == 9), "y"] = 0.0
    df.loc[(df["g"] > 0) & (df["t"] == 9), "y"] += 1.0
    before = df.copy()
    res = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group=control_group)
    pd.testing.assert_frame_equal(df, before)
    # before the fix the cell of period 9 was reported: with a finite but arbitrary tau (the period
    # effect dropped as collinear at mu ~ 0) or as tau = 0 with standard error 0 (NaN -> 0)
    assert 9 not in set(res.cells["time"])
    se = res.cells["std_error"].to_numpy()
    assert np.isfinite(se).all() and (se > 0).all()
    assert (np.diag(res.vcov) > 0).all()
    assert res.method["periods_without_control_counts"] == [9]
    assert "1 period(s)" in res.method["not_identified"]
    # leaving the period out is the limit of the maximum-likelihood fit: the other cells agree
    # with a fit on the panel without that period
    ref = poisson(df.loc[df["t"] != 9], yname="y", tname="t", idname="id", gname="g", control_group=control_group)
    # (event_time is not compared: without the period in the data it is counted in observed periods)
    cols = ["group", "time", "tau", "std_error", "ybar", "n_units"]
    pd.testing.assert_frame_equal(res.cells[cols].reset_index(drop=True), ref.cells[cols].reset_index(drop=True),
                                  rtol=1e-7)
    assert res.effect.estimate == pytest.approx(ref.effect.estimate, rel=1e-9)
    assert np.isfinite(res.effect.conf_low) and np.isfinite(res.effect.conf_high)


def test_period_with_only_treated_rows_is_left_out():
    # no untreated ward observed in period 10 at all (missing months): the same non-identification
    df = sparse_panel()
    df = df.loc[~((df["g"] == 0) & (df["t"] == 10))]
    res = poisson(df, yname="y", tname="t", idname="id", gname="g")
    assert 10 not in set(res.cells["time"])
    assert res.method["periods_without_control_counts"] == [10]
    assert np.isfinite(res.cells["std_error"]).all()


def test_cohort_without_pre_period_counts_is_left_out():
    # cohort 5 has no reports before its start: its unit effects go to -inf and its taus to +inf
    df = sparse_panel(n_treated=10)
    df.loc[df["id"] >= 13, "g"] = 5  # units 13..17 form cohort 5, units 8..12 cohort 6
    m5 = df["g"] == 5
    df.loc[m5 & (df["t"] < 5), "y"] = 0.0
    df.loc[m5 & (df["t"] >= 5), "y"] += 1.0
    res = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group="notyettreated")
    assert set(res.cells["group"]) == {6}  # before the fix: finite, arbitrary taus for cohort 5
    assert res.method["cohorts_without_pre_counts"] == [5]
    assert "cohort" in res.method["not_identified"]
    assert np.isfinite(res.cells["std_error"]).all() and (res.cells["std_error"] > 0).all()
    grp = res.aggregate("group").tidy().query("term != 'overall'")  # the headline row first
    assert list(grp["group"]) == [6]


def test_cohort_without_reference_period_count_nevertreated():
    # with never-treated controls a cohort is anchored by its month g-1 only
    df = sparse_panel()
    df.loc[(df["g"] > 0) & (df["t"] == 5), "y"] = 0.0
    with pytest.raises(ValueError, match="no treated cohort x period cells"):
        poisson(df, yname="y", tname="t", idname="id", gname="g", baseline="last")
    df2 = pd.concat([df, sparse_panel(n_never=0, n_treated=6, g=8, seed=4).assign(id=lambda d: d["id"] + 100)])
    res = poisson(df2, yname="y", tname="t", idname="id", gname="g")
    assert set(res.cells["group"]) == {8}
    assert res.method["cohorts_without_pre_counts"] == [6]
    assert np.isfinite(res.cells["std_error"]).all()


def test_no_rows_left_in_near_zero_fitted_means():
    # sparse counts (mean 0.15) with zero-control periods: after the checks no zero row is fitted
    # with an expected count ~0 (which is what made the Hessian singular)
    df = sparse_panel(n_never=4, n_treated=6, n_periods=30, rate=0.15, seed=11)
    res = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group="notyettreated")
    from wijklib.did import ppml

    pr = ppml._prepare(df, "y", "t", "id", "g", None)
    d = ppml._design(pr["y"], pr["t"], pr["g"], pr["u"], pr["off"], "notyettreated")
    fit, _, _ = ppml._fit_cells(d, 1e-10)
    assert fit.mu.min() > 1e-4
    assert np.linalg.cond(fit.bread[np.ix_(fit.keep, fit.keep)]) < 1e6
    assert np.isfinite(res.cells["std_error"]).all()
    assert len(res.method["periods_without_control_counts"]) > 0


# ----------------------------------------------------------------------------------------------
# interrupted time series (wijklib.its)
# ----------------------------------------------------------------------------------------------


def series(n=60, start=31, rate=1.0, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"t": range(1, n + 1), "y": rng.poisson(rate, n).astype(float)}), start


def test_its_zero_after_start_is_a_clear_error():
    df, start = series(rate=0.1, seed=2)
    df.loc[df["t"] >= start, "y"] = 0.0
    df.loc[df["t"] == 3, "y"] = 2.0
    with pytest.raises(ValueError, match="zero in every period from the start on"):
        its.fit(df, yname="y", tname="t", start=start, seasonality=0, slope_change=False)
    out = its.fit_many(df.assign(w="a"), by="w", yname="y", tname="t", start=start, seasonality=0,
                       slope_change=False)
    assert out["estimate"].isna().all() and out["std_error"].isna().all()
    assert out["note"].str.contains("from the start on").all()


def test_its_zero_before_start_and_zero_control():
    df, start = series()
    df.loc[df["t"] < start, "y"] = 0.0
    with pytest.raises(ValueError, match="before the start in the series"):
        its.fit(df, yname="y", tname="t", start=start, seasonality=0)
    df, start = series()
    df["c"] = np.random.default_rng(5).poisson(3.0, len(df)).astype(float)
    df.loc[df["t"] >= start, "c"] = 0.0
    with pytest.raises(ValueError, match="control series"):
        its.fit(df, yname="y", tname="t", start=start, seasonality=0, control="c")


def test_its_counts_only_in_first_post_month_is_separation():
    # with a slope change, counts only in the first post month are fitted exactly by
    # level -> +inf, slope -> -inf: before the fix an OverflowError / negative variance
    df, start = series()
    df.loc[df["t"] >= start, "y"] = 0.0
    df.loc[df["t"] == start, "y"] = 2.0
    with pytest.raises(ValueError, match="separation"):
        its.fit(df, yname="y", tname="t", start=start, seasonality=0)
    out = its.fit_many(df.assign(w="a"), by="w", yname="y", tname="t", start=start, seasonality=0)
    assert out["std_error"].isna().all() and out["note"].str.contains("separation").all()
    with pytest.raises(ValueError, match="separation"):
        its.fit_many(df.assign(w="a"), by="w", yname="y", tname="t", start=start, seasonality=0, errors="raise")
    # without the slope term the same counts identify a level change (no false alarm)
    res = its.fit(df, yname="y", tname="t", start=start, seasonality=0, slope_change=False)
    assert np.isfinite(res.level_change.std_error) and res.level_change.std_error > 0


def test_sparse_but_identified_series_is_not_flagged():
    for seed in range(5):
        df, start = series(n=84, start=45, rate=0.4, seed=seed)
        res = its.fit(df, yname="y", tname="t", start=start, seasonality=1)
        assert np.isfinite(res.level_change.std_error) and res.level_change.std_error > 0
        many = its.fit_many(df.assign(w="a"), by="w", yname="y", tname="t", start=start, seasonality=1)
        row = many.loc[many["term"] == "level_change"].iloc[0]
        assert row["std_error"] == pytest.approx(res.level_change.std_error, rel=1e-6)


def test_separating_direction_certificate():
    t = np.arange(1.0, 11.0)
    X = np.column_stack([np.ones(10), t])
    # counts in the last period only: the trend t - 10 is 0 there and < 0 on every zero period
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 3], float)
    y_ok = np.array([0, 1, 0, 0, 2, 0, 1, 0, 0, 1], float)
    sep = its._separating_direction(X, y)
    assert sep is not None and sep[:9].all() and not sep[9]
    assert its._separating_direction(X, y_ok) is None


# ----------------------------------------------------------------------------------------------
# att_gt randomization inference with covariates
# ----------------------------------------------------------------------------------------------


def test_att_gt_permutations_without_covariate_overlap_are_left_out():
    # 10 units, x = id mod 3: some re-assignments put x = 0 only among the treated and x = 2 only
    # among the controls, the propensity logit separates and those permutations have no estimate;
    # before the fix their all-NaN rows reached the simultaneous band (RuntimeWarning: All-NaN slice)
    from wijklib.did import att_gt

    df = sparse_panel(n_never=4, n_treated=6, n_periods=20, rate=2.0, seed=0)
    df["x"] = (df["id"] % 3).astype(float)
    res = att_gt(df, yname="y", tname="t", idname="id", gname="g", xformla="~x", seed=1, biters=199)
    assert res.inference == "randomization"
    assert "permutations gave no estimate" in res.inference_note
    tab = res.tidy()
    post = tab.loc[tab["post"]]
    assert np.isfinite(post["p_value"]).all()
    assert np.isfinite(post["conf_low_simul"]).all() and np.isfinite(post["conf_high_simul"]).all()


def test_nevertreated_reference_month_without_never_treated_counts():
    # never-treated wards all zero in month 5 = g-1 of cohort 6, whose own counts there are positive:
    # the cohort's reference rows only fix its unit effects, so lambda_5 (and with it every effect
    # of cohort 6, relative to month 5) is not identified; cohort 9 stays estimable
    df = sparse_panel(n_treated=10, n_periods=14)
    df.loc[df["id"] >= 13, "g"] = 9
    df.loc[(df["g"] == 0) & (df["t"] == 5), "y"] = 0.0
    df.loc[(df["g"] == 6) & (df["t"] == 5), "y"] += 1.0
    res = poisson(df, yname="y", tname="t", idname="id", gname="g")
    assert set(res.cells["group"]) == {9}
    se = res.cells["std_error"].to_numpy()
    assert np.isfinite(se).all() and (se > 0).all()
    assert res.method["periods_without_control_counts"] == [5]
    assert res.method["cohorts_without_pre_counts"] == [6]


def test_no_identified_post_cell_gives_nan_not_zero_division():
    # the treated wards have no reports at all after the start: every post cell is left out (its
    # tau is -inf), only the pre-period placebo cells remain; the overall effect is NaN
    df = sparse_panel()
    df.loc[(df["g"] > 0) & (df["t"] >= 6), "y"] = 0.0
    res = poisson(df, yname="y", tname="t", idname="id", gname="g")
    assert (res.cells["event_time"] < 0).all()
    assert np.isnan(res.effect.estimate) and np.isnan(res.effect.conf_low)
    assert res.method["dropped_all_zero_cells"] == 7
    assert np.isnan(res.aggregate("dynamic").overall.estimate)


def test_early_cohort_whose_pre_periods_have_no_other_control_counts():
    # not-yet-treated controls; months 1-3 have counts only in cohort 4 (its only pre-periods): the
    # months' effects and cohort 4's unit effects can drift together to -inf / +inf, so cohort 4 and
    # months 1-3 are not identified (before the fix: finite taus for cohort 4, a column silently
    # dropped as collinear and fitted means of 1e-10)
    df = sparse_panel(n_never=6, n_treated=8, n_periods=12)
    df.loc[(df["id"] >= 6) & (df["id"] < 10), "g"] = 4
    df.loc[df["id"] >= 10, "g"] = 10
    early = df["t"] <= 3
    df.loc[early & (df["g"] != 4), "y"] = 0.0
    df.loc[early & (df["g"] == 4), "y"] += 1.0
    res = poisson(df, yname="y", tname="t", idname="id", gname="g", control_group="notyettreated")
    assert set(res.cells["group"]) == {10}
    assert res.method["periods_without_control_counts"] == [1, 2, 3]
    assert res.method["cohorts_without_pre_counts"] == [4]
    assert np.isfinite(res.cells["std_error"]).all() and (res.cells["std_error"] > 0).all()
    # the same as fitting without cohort 4 and months 1-3
    ref = poisson(df.loc[(df["g"] != 4) & ~early], yname="y", tname="t", idname="id", gname="g",
                  control_group="notyettreated")
    np.testing.assert_allclose(res.cells["tau"], ref.cells["tau"], rtol=1e-7)
    np.testing.assert_allclose(res.cells["std_error"], ref.cells["std_error"], rtol=1e-7)
