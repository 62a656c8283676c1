"""Unit tests of wijklib.did.att_gt (Callaway & Sant'Anna) and wijklib.inference."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from wijklib import inference as inf
from wijklib.did import ATTgtResult, att_gt
from wijklib.did import _engine as eng
from wijklib.did._sim import staggered_panel
from wijklib.results import TIDY_COLUMNS

matplotlib.use("Agg")

KW = dict(yname="y", tname="month", idname="ward", gname="first_treated")


@pytest.fixture(scope="module")
def panel():
    df, _ = staggered_panel(7, n_units=120, n_periods=10, cohorts=(4, 6, 8), effect=1.0)
    return df


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


def manual_att(df, g, t, base, control="never"):
    """Plain difference in mean changes, computed independently with pandas."""
    wide = df.pivot(index="ward", columns="month", values="y")
    first = df.groupby("ward")["first_treated"].first()
    dy = wide[t] - wide[base]
    treat = first == g
    if control == "never":
        ctrl = first == 0
    else:
        ctrl = (first == 0) | ((first > max(t, base)) & (first != g))
    return dy[treat].mean() - dy[ctrl].mean()


# --- estimates ------------------------------------------------------------------------------------
def test_att_matches_manual_difference_in_means(panel):
    r = att_gt(panel, **KW, inference="analytic")
    t = r.tidy().set_index(["group", "time"])
    for g, tt in [(4, 2), (4, 4), (4, 9), (6, 5), (8, 10)]:
        base = tt - 1 if tt < g else g - 1
        assert t.loc[(g, tt), "estimate"] == pytest.approx(manual_att(panel, g, tt, base), abs=1e-12)
        assert t.loc[(g, tt), "base_period"] == str(base)


def test_notyettreated_matches_manual(panel):
    r = att_gt(panel, **KW, control_group="notyettreated", inference="analytic")
    t = r.tidy().set_index(["group", "time"])
    for g, tt in [(4, 4), (4, 6), (6, 7), (4, 3)]:
        base = tt - 1 if tt < g else g - 1
        assert t.loc[(g, tt), "estimate"] == pytest.approx(manual_att(panel, g, tt, base, "nyt"), abs=1e-12)


def test_universal_base_period(panel):
    r = att_gt(panel, **KW, base_period="universal", inference="analytic")
    t = r.tidy().set_index(["group", "time"])
    ref = t.loc[(6, 5)]
    assert ref["estimate"] == 0 and np.isnan(ref["std_error"])
    assert t.loc[(6, 2), "estimate"] == pytest.approx(manual_att(panel, 6, 2, 5), abs=1e-12)
    d = r.aggregate("dynamic").detail.set_index("event_time")
    assert d.loc[-1, "estimate"] == 0


def test_tidy_contract(panel):
    r = att_gt(panel, **KW, seed=3)
    t = r.tidy()
    assert list(t.columns[:7]) == TIDY_COLUMNS
    assert {"conf_low_simul", "conf_high_simul", "group", "time", "post", "event_time"} <= set(t.columns)
    assert (t["conf_low_simul"] <= t["conf_low"] + 1e-12).all()
    assert isinstance(r, ATTgtResult)
    with pytest.raises(AttributeError):
        r.inference = "x"  # frozen
    agg = r.aggregate("dynamic").tidy()
    assert list(agg.columns[:7]) == TIDY_COLUMNS and agg["term"].iloc[0] == "overall"
    assert list(r.conf_int().columns) == ["conf_low", "conf_high"]
    assert (r.conf_int(simultaneous=True)["conf_low"].to_numpy() == t["conf_low_simul"].to_numpy()).all()
    assert "P-value for pre-test" in r.summary(as_string=True)
    assert r.method["n_units"] == 120 and r.method["seed"] == 3


def test_caller_dataframe_not_mutated(panel):
    df = panel.copy()
    df["first_treated"] = df["first_treated"].astype("int64")
    before = df.copy(deep=True)
    _quiet(att_gt, df, **KW, inference="randomization", biters=20, seed=1)
    _quiet(att_gt, df.iloc[5:], **KW, xformla=None, inference="analytic")
    pd.testing.assert_frame_equal(df, before)
    assert list(df.columns) == list(before.columns)


def test_fast_and_dense_paths_agree(panel):
    """The cohort-Gram representation of the IF equals the explicit IF matrix (and its bootstrap)."""
    r = att_gt(panel, **KW, control_group="notyettreated", inference="analytic")
    st = r._state
    att, psi, _ = eng.dense_att(st.prep, st.spec, "dr")
    np.testing.assert_allclose(att, st.att, atol=1e-12)
    np.testing.assert_allclose(st.ifrep.column(None), psi, atol=1e-9)
    dense = eng.DenseIF(st.prep, st.spec, att, psi)
    rng = np.random.default_rng(0)
    A = rng.normal(size=(st.spec.k, 3))
    C = rng.normal(size=(st.prep.H, 3))
    np.testing.assert_allclose(st.ifrep.sumsq(A, C), dense.sumsq(A, C), rtol=1e-9)
    np.testing.assert_allclose(st.ifrep.gram(A, C), dense.gram(A, C), rtol=1e-9, atol=1e-6)
    d1, s1 = st.ifrep.boot(40, "mammen", 5)
    d2, s2 = dense.boot(40, "mammen", 5)
    np.testing.assert_allclose(d1, d2, rtol=1e-4, atol=1e-3 * np.abs(d2).max())
    np.testing.assert_allclose(s1, s2, rtol=1e-5, atol=1e-6)


def test_aggregate_se_matches_explicit_influence_function(panel):
    """Analytic aggregate SE = sqrt(sum psi_agg^2)/n with psi_agg built by hand as R did's aggte."""
    r = att_gt(panel, **KW, inference="analytic")
    st = r._state
    psi = st.ifrep.column(None)
    n = st.prep.n
    keep = st.spec.post
    first = st.prep.G
    w = np.ones(n)
    pg_units = {g: np.mean(first == g) for g in np.unique(first[np.isfinite(first)])}
    pgk = np.array([pg_units[g] for g in st.spec.g])
    P = pgk[keep].sum()
    weights = pgk[keep] / P
    if1 = np.column_stack([(w * (first == g) - pgk[j]) / P for j, g in zip(np.flatnonzero(keep), st.spec.g[keep], strict=True)])
    if2 = np.outer(if1.sum(axis=1) * P, pgk[keep] / P**2)
    wif = if1 - if2
    psi_agg = psi[:, keep] @ weights + wif @ st.att[keep]
    expected = np.sqrt((psi_agg**2).sum()) / n
    a = r.aggregate("simple")
    assert a.estimate == pytest.approx(st.att[keep] @ weights, abs=1e-12)
    assert a.std_error == pytest.approx(expected, rel=1e-9)


def test_aggregations_and_windows(panel):
    r = att_gt(panel, **KW, seed=2)
    dyn = r.aggregate("dynamic", min_e=-2, max_e=3)
    assert list(dyn.detail["event_time"]) == [-2, -1, 0, 1, 2, 3]
    bal = r.aggregate("dynamic", balance_e=2)
    assert bal.detail["event_time"].max() <= 2
    for typ in ("simple", "dynamic", "group", "calendar"):
        a = r.aggregate(typ)
        assert a.estimate == pytest.approx(1.0, abs=0.35)
        assert a.conf_low < a.estimate < a.conf_high
    with pytest.raises(ValueError, match="expected 'simple'"):
        r.aggregate("weird")


def test_plots_return_axes(panel):
    r = att_gt(panel, **KW, seed=2)
    ax = r.plot()
    assert ax.get_ylabel() == "ATT(g,t)"
    ax2 = r.aggregate("dynamic").plot()
    assert ax.figure is not ax2.figure
    import matplotlib.pyplot as plt

    plt.close("all")


def test_weights_equal_duplicated_units(panel):
    """Integer weights give the same point estimates as duplicating those wards."""
    df = panel.copy()
    wts = (df["ward"] % 3 + 1).astype(float)
    df["w"] = wts
    r_w = att_gt(df, **KW, weightsname="w", inference="analytic")
    dup = df.loc[df.index.repeat(wts.astype(int))].copy()
    dup["ward"] = dup["ward"].astype(str) + "_" + dup.groupby(["ward", "month"]).cumcount().astype(str)
    r_d = att_gt(dup, **KW, inference="analytic")
    np.testing.assert_allclose(r_w.tidy()["estimate"], r_d.tidy()["estimate"], atol=1e-10)
    assert r_w.aggregate("dynamic").estimate == pytest.approx(r_d.aggregate("dynamic").estimate, abs=1e-10)


def test_datetime_periods_match_integer_periods(panel):
    df = panel.copy()
    months = pd.date_range("2020-01-01", periods=10, freq="MS")
    df["month"] = months[df["month"].to_numpy() - 1]
    g = df["first_treated"].to_numpy()
    df["first_treated"] = pd.Series(months[np.maximum(g, 1) - 1], index=df.index).where(g > 0, pd.NaT)
    r_dt = att_gt(df, **KW, inference="analytic")
    r_int = att_gt(panel, **KW, inference="analytic")
    np.testing.assert_allclose(r_dt.tidy()["estimate"], r_int.tidy()["estimate"], atol=1e-12)
    assert r_dt.tidy()["group"].iloc[0] == pd.Timestamp("2020-04-01")
    d_dt = r_dt.aggregate("dynamic").detail
    d_int = r_int.aggregate("dynamic").detail
    assert list(d_dt["event_time"]) == list(d_int["event_time"]) and d_dt["event_time"].min() == -6
    np.testing.assert_allclose(d_dt["estimate"], d_int["estimate"], atol=1e-12)


# --- inference modes ---------------------------------------------------------------------------------
def test_auto_switches_with_few_treated_and_says_so():
    df, _ = staggered_panel(3, n_units=40, n_periods=12, n_treated=3, cohorts=(5, 7, 9), effect=0.0)
    r = _quiet(att_gt, df, **KW, biters=99, seed=1)
    assert r.inference == "randomization"
    assert "only 3 treated units" in r.inference_note
    a = r.aggregate("simple")
    assert 0 < a.p_value <= 1 and a.conf_low < a.estimate < a.conf_high


def test_auto_wild_for_small_cohort(panel):
    df = panel.copy()
    one = df.loc[df["first_treated"] == 0, "ward"].iloc[0]
    df.loc[df["ward"] == one, "first_treated"] = 3  # a cohort with a single ward
    r = _quiet(att_gt, df, **KW, biters=199, seed=1)
    assert r.inference == "wild" and "smallest cohort has 1" in r.inference_note
    assert r.cohorts["3"] == 1
    t = r.tidy()
    assert t["p_value"].between(0, 1).all()
    assert r.aggregate("simple").p_value < 0.01  # true effect 1.0, 120 wards


def test_randomization_detects_large_effect():
    df, _ = staggered_panel(4, n_units=40, n_periods=12, n_treated=6, cohorts=(5, 7), effect=5.0)
    r = _quiet(att_gt, df, **KW, inference="randomization", biters=199, seed=2)
    a = r.aggregate("simple")
    assert a.p_value <= 0.01
    assert a.conf_low < 5.0 < a.conf_high


def test_analytic_warns_with_few_treated():
    df, _ = staggered_panel(3, n_units=30, n_periods=8, n_treated=4, cohorts=(4, 6), effect=0.0)
    r = att_gt(df, **KW, inference="analytic")
    assert "only 4 treated units" in r.inference_note


# --- edge cases ---------------------------------------------------------------------------------------
def test_all_units_eventually_treated(panel):
    df = panel[panel["first_treated"] > 0]
    with pytest.raises(ValueError, match="no never-treated control group"):
        att_gt(df, **KW)
    with pytest.warns(UserWarning, match="last cohort"):
        r = att_gt(df, **KW, control_group="notyettreated", inference="analytic")
    assert r.n_periods == 7  # periods from the last cohort's start (8) on are dropped, as R did
    assert set(r.tidy()["group"]) == {4, 6}


def test_cohort_treated_in_first_period_is_dropped_with_warning(panel):
    df = panel.copy()
    df.loc[df["ward"].isin([0, 1, 2]), "first_treated"] = 1
    with pytest.warns(UserWarning, match=r"Dropped 3 unit\(s\) of cohort\(s\) 1"):
        r = att_gt(df, **KW, inference="analytic")
    assert "1" not in r.cohorts and r.n_units == 117


def test_unbalanced_panel_uses_pairs_and_lists_units(panel):
    df = panel[~((panel["ward"] == 5) & (panel["month"] == 3))]
    with pytest.warns(UserWarning, match=r"1 unit\(s\) miss the outcome.*\(5\)"):
        r = att_gt(df, **KW, inference="analytic")
    assert r.n_units == 120
    t = r.tidy().set_index(["group", "time"])
    g5 = int(panel.loc[panel["ward"] == 5, "first_treated"].iloc[0])
    g = 4 if g5 == 0 else g5
    sub = panel[panel["ward"] != 5]
    # ATT(g,3) needs month 3 (and 2): ward 5 must be left out of that 2x2 only.
    if 3 < g:
        assert t.loc[(g, 3), "estimate"] == pytest.approx(manual_att(sub, g, 3, 2), abs=1e-12)
    # A 2x2 not touching month 3 keeps ward 5.
    assert t.loc[(g, 9), "estimate"] == pytest.approx(manual_att(panel, g, 9, g - 1), abs=1e-12)


def test_zero_outcomes(panel):
    df = panel.assign(y=0.0)
    r = att_gt(df, **KW, inference="multiplier", seed=1)
    t = r.tidy()
    assert (t["estimate"] == 0).all() and t["std_error"].isna().all()
    assert r.aggregate("simple").estimate == 0


def test_one_ward_cohort_estimates(panel):
    df = panel.copy()
    df.loc[df["ward"] == 0, "first_treated"] = 5
    r = _quiet(att_gt, df, **KW, inference="analytic")
    assert r.cohorts["5"] == 1
    t = r.tidy().set_index(["group", "time"])
    assert t.loc[(5, 6), "estimate"] == pytest.approx(manual_att(df, 5, 6, 4), abs=1e-12)


def test_clear_errors(panel):
    with pytest.raises(ValueError, match="not in data"):
        att_gt(panel, yname="nope", tname="month", idname="ward", gname="first_treated")
    dup = pd.concat([panel, panel.iloc[[0]]])
    with pytest.raises(ValueError, match="duplicate"):
        att_gt(dup, **KW)
    bad = panel.copy()
    bad.loc[bad.index[1], "first_treated"] = 99
    with pytest.raises(ValueError, match="constant within each unit"):
        att_gt(bad, **KW)
    bad = panel.copy().astype({"y": object})
    bad.loc[bad.index[4], "y"] = "n/a"
    with pytest.raises(ValueError, match=r"row 4 .*'n/a'"):
        att_gt(bad, **KW)
    with pytest.raises(ValueError, match="control_group"):
        att_gt(panel, **KW, control_group="never")
    with pytest.raises(ValueError, match="xformla term"):
        att_gt(panel, **KW, xformla="~ log(y)")


def test_covariates_run_with_all_methods(panel):
    df = panel.copy()
    rng = np.random.default_rng(0)
    x = pd.Series(rng.normal(size=df["ward"].nunique()))
    df["x"] = x.to_numpy()[df["ward"].to_numpy()]
    ests = {}
    for m in ("reg", "ipw", "dr"):
        r = att_gt(df, **KW, xformla="~ x", est_method=m, inference="analytic")
        ests[m] = r.aggregate("simple").estimate
        assert np.isfinite(r.tidy()["std_error"]).all()
    assert max(ests.values()) - min(ests.values()) < 0.1
    assert abs(ests["dr"] - 1.0) < 0.35


# --- inference helpers -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["mammen", "rademacher", "webb"])
def test_multiplier_weights_moments(kind):
    v = inf.multiplier_weights(kind, (200, 1000), np.random.default_rng(1))
    assert abs(v.mean()) < 0.01 and abs(v.var() - 1) < 0.02
    if kind == "mammen":
        assert abs(((v - v.mean()) ** 3).mean() - 1) < 0.05  # Mammen: third moment 1


def test_multiplier_bootstrap_matches_analytic_se():
    psi = np.random.default_rng(2).normal(size=(500, 3)) * [1, 2, 3]
    res = inf.multiplier_bootstrap(psi, biters=2000, seed=4)
    np.testing.assert_allclose(res.se, np.sqrt((psi**2).sum(0)) / 500, rtol=0.1)
    assert 1.9 < res.crit_val < 2.8


def test_permutation_labels_keep_counts():
    lab = np.array([0] * 7 + [3] * 2 + [5])
    p = inf.permutation_labels(lab, 50, np.random.default_rng(0))
    assert all((np.bincount(row, minlength=6) == np.bincount(lab, minlength=6)).all() for row in p)


def test_randomization_interval_matches_grid_inversion():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=199), rng.uniform(-0.4, 0.5, size=199)
    r = inf.randomization_test(np.array([2.5]), a[:, None], perm_slopes=b[:, None], obs_slope=np.array([1.0]))
    taus = np.linspace(-10, 15, 12501)
    obs = np.abs(2.5 - taus)
    pv = (1 + (np.abs(a[:, None] - b[:, None] * taus) >= obs).sum(0)) / 200
    acc = taus[pv > 0.05]
    assert r.conf_low[0] == pytest.approx(acc.min(), abs=2.5e-3)
    assert r.conf_high[0] == pytest.approx(acc.max(), abs=2.5e-3)


def test_wild_pvalues_symmetric():
    d = np.random.default_rng(0).normal(size=(999, 2))
    p, hw, se = inf.wild_bootstrap_pvalues(np.array([0.0, 4.0]), d)
    assert p[0] == 1.0 and p[1] < 0.01
    assert 1.8 < hw[0] < 2.2 and 0.9 < se[0] < 1.1


def test_docstring_examples_run():
    import doctest

    import wijklib.did.attgt as attgt_mod

    for mod in (attgt_mod, inf):
        failed, _ = doctest.testmod(mod, verbose=False)
        assert failed == 0, mod.__name__


def test_anticipation_shifts_base_period(panel):
    r = att_gt(panel, **KW, anticipation=1, inference="analytic")
    t = r.tidy().set_index(["group", "time"])
    # post periods compare with g - 1 - anticipation; periods before g keep short differences (R did)
    assert t.loc[(6, 7), "estimate"] == pytest.approx(manual_att(panel, 6, 7, 4), abs=1e-12)
    assert t.loc[(6, 5), "estimate"] == pytest.approx(manual_att(panel, 6, 5, 4), abs=1e-12)
    assert r.anticipation == 1


def test_aggregate_vcov(panel):
    r = att_gt(panel, **KW, seed=2)
    a = r.aggregate("dynamic")
    V = a.vcov
    assert list(V.index) == list(a.detail["event_time"])
    # IF-based SEs are close to the bootstrap (IQR) SEs reported in detail
    np.testing.assert_allclose(np.sqrt(np.diag(V)), a.detail["std_error"], rtol=0.2)
    assert np.allclose(V.to_numpy(), V.to_numpy().T)


def test_covariate_estimators_match_direct_formulas(panel):
    """reg = treated mean change minus their predicted change from an OLS fit on controls;
    ipw = Hajek-weighted comparison with logit propensity odds (statsmodels, fitted independently)."""
    import statsmodels.api as sm

    df = panel.copy()
    rng = np.random.default_rng(5)
    x = rng.normal(size=df["ward"].nunique())
    df["x"] = x[df["ward"].to_numpy()]
    g, tt, base = 6, 8, 5
    wide = df.pivot(index="ward", columns="month", values="y")
    first = df.groupby("ward")["first_treated"].first()
    keep = (first == g) | (first == 0)
    dy = (wide[tt] - wide[base])[keep].to_numpy()
    D = (first[keep] == g).to_numpy(float)
    X = sm.add_constant(x[keep.to_numpy()])
    beta = np.linalg.lstsq(X[D == 0], dy[D == 0], rcond=None)[0]
    reg = dy[D == 1].mean() - (X[D == 1] @ beta).mean()
    ps = sm.Logit(D, X).fit(disp=0).predict(X)
    odds = ps / (1 - ps)
    ipw = dy[D == 1].mean() - np.sum(odds[D == 0] * dy[D == 0]) / np.sum(odds[D == 0])
    for method, expected in (("reg", reg), ("ipw", ipw)):
        r = att_gt(df, **KW, xformla="~ x", est_method=method, inference="analytic")
        got = r.tidy().set_index(["group", "time"]).loc[(g, tt), "estimate"]
        assert got == pytest.approx(expected, abs=1e-8), method


def test_no_post_periods_and_unbalanced_covariate_randomization():
    df, _ = staggered_panel(5, n_units=18, n_periods=5, cohorts=(6,), share_never=0.3)
    # with one period of anticipation, cohort 6 stays a cohort but is never observed treated
    r = att_gt(df, **KW, inference="analytic", anticipation=1)
    assert not r.tidy()["post"].any()
    for typ in ("simple", "group", "calendar"):
        with pytest.raises(ValueError, match="no post-treatment"):
            r.aggregate(typ)
    # unbalanced panel + covariates + randomization: the sample of every 2x2 follows the observed data
    df2, _ = staggered_panel(6, n_units=30, n_periods=6, n_treated=6, cohorts=(3, 5), effect=0.0)
    df2["x"] = np.random.default_rng(1).normal(size=30)[df2["ward"].to_numpy()]
    df2 = df2.drop(index=df2.index[::17])
    r2 = _quiet(att_gt, df2, **KW, xformla="~ x", inference="randomization", biters=30, seed=1)
    assert np.isfinite(r2._state.perm_slope).all() and np.isfinite(r2._state.perm_att).all()


@pytest.mark.parametrize("control_group,base_period,weighted", [
    ("nevertreated", "varying", False), ("notyettreated", "universal", True), ("notyettreated", "varying", True)])
def test_permutations_without_covariates_in_one_pass_equal_the_refits(control_group, base_period, weighted):
    """Unbalanced, no covariates: the one-pass permutation ATTs are the 2x2 re-fits' numbers (issue 15)."""
    from wijklib.did._prep import prepare

    df, _ = staggered_panel(7, n_units=45, n_periods=18, n_treated=15, cohorts=(7, 10, 13), effect=0.3, hetero=True)
    rng = np.random.default_rng(7)
    df = df.loc[rng.random(len(df)) > 0.08].copy()
    units = df["ward"].astype("category").cat.codes.to_numpy()
    df["w"] = rng.uniform(0.5, 2.0, units.max() + 1)[units] if weighted else 1.0
    prep = prepare(df, yname="y", tname="month", idname="ward", gname="first_treated", control_group=control_group,
                   anticipation=0, xformla=None, weightsname="w")
    assert not prep.balanced
    spec, _ = eng.build_spec(prep, control_group, base_period, 0)
    perms = inf.permutation_labels(prep.coh, 12, np.random.default_rng(3))
    perms[0] = np.sort(perms[0])  # an extreme assignment: the treated cohorts on the first units
    D = eng.treated_indicator(prep)
    for Y in (None, D):
        fast = eng.permuted_mean_att(prep, spec, perms, Y=Y)
        for est in ("dr", "reg", "ipw"):
            slow = np.stack([eng.dense_att(prep, spec, est, Y=Y, coh=p, want_if=False)[0] for p in perms])
            np.testing.assert_array_equal(np.isnan(fast), np.isnan(slow))
            np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-10, equal_nan=True)
    # a 2x2 whose treated cohort has no unit observed in both periods stays missing, as in dense_att
    obs_one = prep.Y.copy()
    treated_units = np.flatnonzero(prep.coh == spec.hg[~spec.ref][0])
    obs_one[np.ix_(treated_units, [int(spec.ti[~spec.ref][0])])] = np.nan
    import dataclasses

    prep2 = dataclasses.replace(prep, Y=obs_one)
    j = int(np.flatnonzero(~spec.ref)[0])
    assert np.isnan(eng.permuted_mean_att(prep2, spec, prep.coh[None, :])[0, j])
    assert np.isnan(eng.dense_att(prep2, spec, "dr", want_if=False)[0][j])
