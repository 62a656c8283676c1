"""Tests for wijklib.did.twfe / event_study: exact algebra vs statsmodels, simulations, edge cases."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import statsmodels.formula.api as smf

from wijklib.did import event_study, twfe
from wijklib.did.twfe_es import TypedDesign, fe_wls, fe_wls_typed


def staggered_panel(n_units=60, n_periods=14, seed=0, effects=None, drop_frac=0.0):
    """Cohorts at 5 and 9 plus never treated; effect by (cohort, event time) from ``effects``."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame([(i, t) for i in range(n_units) for t in range(n_periods)], columns=["id", "t"])
    third = n_units // 3
    g = np.where(np.arange(n_units) < third, 5, np.where(np.arange(n_units) < 2 * third, 9, 0))
    df["g"] = g[df["id"]]
    e = np.where(df["g"] > 0, df["t"] - df["g"], -99)
    eff = np.zeros(len(df)) if effects is None else effects(df["g"].to_numpy(), e)
    df["y"] = (rng.normal(size=n_units)[df["id"]] + 0.3 * df["t"] + eff + rng.normal(size=len(df)))
    if drop_frac:
        df = df.sample(frac=1 - drop_frac, random_state=seed).sort_index()
    return df


def test_twfe_matches_statsmodels_dummies_unbalanced_weighted_clustered():
    rng = np.random.default_rng(1)
    df = staggered_panel(n_units=36, drop_frac=0.1, effects=lambda g, e: np.where(e >= 0, 1.5, 0.0))
    df["D"] = ((df["g"] > 0) & (df["t"] >= df["g"])).astype(int)
    df["x"] = rng.normal(size=len(df))
    df["w"] = rng.uniform(0.5, 2, len(df))
    df["cl"] = df["id"] // 3
    r = twfe(df, yname="y", tname="t", idname="id", treat="D", covariates=["x"], weightsname="w", cluster="cl")
    m = smf.wls("y ~ D + x + C(id) + C(t)", df, weights=df["w"]).fit(cov_type="cluster", cov_kwds={"groups": df["cl"]})
    assert r.coefficients["estimate"].to_numpy() == pytest.approx(m.params[["D", "x"]].to_numpy(), abs=1e-9)
    # statsmodels counts every unit dummy in K; fixest's nested rule counts the T period levels only
    n = len(df)
    k_sm, k_ours = m.df_model + 1, 2 + df["t"].nunique()
    fac = np.sqrt((n - k_sm) / (n - k_ours))
    assert r.coefficients["std_error"].to_numpy() == pytest.approx(m.bse[["D", "x"]].to_numpy() * fac, rel=1e-8)
    assert r.method["n_clusters"] == df["cl"].nunique()
    from scipy import stats

    G = df["cl"].nunique()
    assert r.effect.p_value == pytest.approx(2 * stats.t.sf(abs(r.effect.statistic), G - 1))
    half = r.effect.conf_high - r.effect.estimate
    assert half == pytest.approx(stats.t.ppf(0.975, G - 1) * r.effect.std_error)
    assert set(r.tidy().columns) >= {"term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"}
    assert "TWFE" in r.summary(as_string=True)
    ci = r.conf_int()
    assert ci.loc["D", "conf_low"] < r.effect.estimate < ci.loc["D", "conf_high"]


def test_twfe_hc1_and_nonnested_cluster_match_statsmodels():
    df = staggered_panel(n_units=30, effects=lambda g, e: np.where(e >= 0, 1.0, 0.0))
    df["D"] = ((df["g"] > 0) & (df["t"] >= df["g"])).astype(int)
    # clusters by period cut across units (not nested): the demeaning term must be handled
    r = twfe(df, yname="y", tname="t", idname="id", treat="D", cluster="t")
    m = smf.ols("y ~ D + C(id) + C(t)", df).fit(cov_type="cluster", cov_kwds={"groups": df["t"]})
    n = len(df)
    # not nested: unit FE counted in K, like statsmodels
    assert r.effect.std_error == pytest.approx(m.bse["D"], rel=1e-8)
    r2 = twfe(df, yname="y", tname="t", idname="id", treat="D", se_type="hc1")
    m2 = smf.ols("y ~ D + C(id) + C(t)", df).fit(cov_type="HC1")
    assert r2.effect.std_error == pytest.approx(m2.bse["D"], rel=1e-8)
    assert n == r.method["n_obs"]


def test_typed_solver_equals_generic_solver():
    rng = np.random.default_rng(2)
    G, T = 25, 9
    unit = np.repeat(np.arange(G), T)
    t = np.tile(np.arange(T), G)
    block = rng.integers(0, 3, size=G)
    keep = rng.uniform(size=G * T) > 0.15
    unit, t = unit[keep], t[keep]
    p = 8
    F = sp.random(3 * T, p, density=0.3, random_state=3, format="csr")
    F.data[:] = 1.0
    design = TypedDesign(F, block, t, T)
    y = rng.normal(size=len(unit))
    w = rng.uniform(0.5, 2, size=len(unit))
    a = fe_wls_typed(design, y, unit, G, w)
    b = fe_wls(design.matrix(unit), y, unit, G, w)
    ok = np.isfinite(b.theta)
    assert np.array_equal(ok, np.isfinite(a.theta))
    assert a.theta[ok] == pytest.approx(b.theta[ok], abs=1e-9)
    assert a.resid == pytest.approx(b.resid, abs=1e-9)


def test_event_study_twfe_matches_statsmodels_relative_time_dummies():
    df = staggered_panel(n_units=36, drop_frac=0.1, effects=lambda g, e: np.where(e >= 0, 1.0 + 0.2 * e, 0.0))
    es = event_study(df, yname="y", tname="t", idname="id", gname="g", estimator="twfe")
    rel = np.where(df["g"] > 0, df["t"] - df["g"], -1000)
    d2 = df.assign(rel=rel)
    terms = [e for e in sorted(d2["rel"].unique()) if e not in (-1, -1000)]
    for e in terms:
        d2[f"r{e + 100}"] = (d2["rel"] == e).astype(float)
    m = smf.ols("y ~ C(id) + C(t) + " + " + ".join(f"r{e + 100}" for e in terms), d2).fit()
    tab = es.tidy().set_index("event_time")
    for e in terms:
        assert tab.loc[e, "estimate"] == pytest.approx(m.params[f"r{e + 100}"], abs=1e-9)
    assert tab.loc[-1, "estimate"] == 0.0  # reference row


def test_sunab_cells_match_saturated_regression_and_weights():
    df = staggered_panel(n_units=36, drop_frac=0.05, effects=lambda g, e: np.where(e >= 0, np.where(g == 5, 1.0, 3.0), 0.0))
    es = event_study(df, yname="y", tname="t", idname="id", gname="g")
    d2 = df.copy()
    rel = np.where(d2["g"] > 0, d2["t"] - d2["g"], -1000)
    d2["cell"] = np.where((d2["g"] > 0) & (rel != -1), d2["g"].astype(str) + "_" + pd.Series(rel, index=d2.index).astype(str), "ref")
    m = smf.ols("y ~ C(id) + C(t) + C(cell, Treatment('ref'))", d2).fit()
    cells = es.cells
    for r in cells.itertuples():
        assert r.estimate == pytest.approx(m.params[f"C(cell, Treatment('ref'))[T.{r.cohort}_{r.event_time}]"], abs=1e-9)
    # event time 0 = cohort-share weighted average of the two cohorts' cells
    c0 = cells[cells["event_time"] == 0]
    w = c0["n"] / c0["n"].sum()
    tab = es.tidy().set_index("event_time")
    assert tab.loc[0, "estimate"] == pytest.approx(float((w * c0["estimate"]).sum()), abs=1e-12)


def _all_treated_panel(seed, n=90, T=14):
    """Cohorts 4, 8, 12 (nobody never treated); cohort 4's effect grows, cohort 8's is a constant 3."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame([(i, t) for i in range(n) for t in range(T)], columns=["id", "t"])
    df["g"] = np.array([4, 8, 12])[np.arange(n) % 3][df["id"]]
    e = df["t"] - df["g"]
    eff = np.where(e >= 0, np.where(df["g"] == 4, 0.5 * (e + 1), 3.0), 0.0)
    df["y"] = rng.normal(size=n)[df["id"]] + 0.3 * df["t"] + eff + rng.normal(size=len(df))
    return df


@pytest.mark.filterwarnings("ignore:.*not identified")
def test_sunab_recovers_heterogeneous_dynamic_effects_where_twfe_is_biased():
    """Staggered adoption, heterogeneous dynamic effects, no never-treated units.

    Truth at event time e in 0..3 (both cohorts 4 and 8 observed, equal sizes): mean(0.5(e+1), 3).
    Dynamic TWFE uses already-treated units as controls and is biased by more than a unit here.
    """
    sa_bias, tw_bias, sa_pre = [], [], []
    for seed in range(8):
        df = _all_treated_panel(seed)
        sa = event_study(df, yname="y", tname="t", idname="id", gname="g").tidy().set_index("event_time")
        tw = event_study(df, yname="y", tname="t", idname="id", gname="g", estimator="twfe").tidy().set_index("event_time")
        truth = np.array([np.mean([0.5 * (e + 1), 3.0]) for e in range(4)])
        sa_bias.append(sa.loc[[0, 1, 2, 3], "estimate"].to_numpy() - truth)
        tw_bias.append(tw.loc[[0, 1, 2, 3], "estimate"].to_numpy() - truth)
        sa_pre.append(sa.loc[[-4, -3, -2], "estimate"].to_numpy())
    # Monte Carlo SE of a mean over 8 replications is about 0.1 here
    assert np.abs(np.mean(sa_bias, axis=0)).max() < 0.3
    assert np.abs(np.mean(sa_pre, axis=0)).max() < 0.3
    assert np.abs(np.mean(tw_bias, axis=0)).max() > 1.0


def test_all_treated_uses_last_cohort_and_one_ward_cohort():
    df = staggered_panel(n_units=31, effects=lambda g, e: np.where(e >= 0, 2.0, 0.0))
    df.loc[df["g"] == 0, "g"] = 12  # nobody never treated: last cohort (12) is the control
    df.loc[df["id"] == 30, "g"] = 3  # one ward alone in cohort 3
    es = event_study(df, yname="y", tname="t", idname="id", gname="g")
    assert es.method["control_group"] == "lasttreated"
    assert es.method["n_periods"] == 12  # periods from 12 on dropped
    assert 3 in set(es.cells["cohort"])
    tw = event_study(df, yname="y", tname="t", idname="id", gname="g", estimator="twfe")
    assert "notyettreated" in tw.method["control_group"]
    assert np.isfinite(tw.effect.estimate)


def test_datetime_periods_missing_months_and_no_mutation():
    df = staggered_panel(n_units=30, effects=lambda g, e: np.where(e >= 0, 1.0, 0.0), drop_frac=0.1)
    months = pd.date_range("2020-01-01", periods=14, freq="MS")
    df["maand"] = months[df["t"].to_numpy()]
    df["start"] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    m = df["g"] > 0
    df.loc[m, "start"] = months[df.loc[m, "g"].to_numpy()]
    before = df.copy()
    a = event_study(df, yname="y", tname="maand", idname="id", gname="start")
    b = event_study(df, yname="y", tname="t", idname="id", gname="g")
    pd.testing.assert_frame_equal(df, before)
    assert a.tidy()["estimate"].to_numpy() == pytest.approx(b.tidy()["estimate"].to_numpy(), abs=1e-10)


def test_window_binning_pretest_bands_and_plot():
    df = staggered_panel(effects=lambda g, e: np.where(e >= 0, 1.0, 0.0))
    es = event_study(df, yname="y", tname="t", idname="id", gname="g", window=(-3, 3))
    tab = es.tidy()
    assert tab["event_time"].min() == -3 and tab["event_time"].max() == 3
    ok = tab["std_error"] > 0
    assert (tab.loc[ok, "conf_high_simul"] - tab.loc[ok, "conf_low_simul"] > tab.loc[ok, "conf_high"] - tab.loc[ok, "conf_low"]).all()
    pt = es.pretest()
    assert pt.df == 2 and 0 <= pt.p_value <= 1
    assert "p =" in pt.sentence()
    ax = es.plot()
    assert ax.get_xlabel()
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_pretest_detects_pretrend():
    df = staggered_panel(effects=lambda g, e: np.where(e < 0, 0.4 * e, 1.0))
    es = event_study(df, yname="y", tname="t", idname="id", gname="g")
    assert es.pretest().p_value < 0.01


def test_errors_name_column_and_value():
    df = staggered_panel(n_units=9)
    dup = pd.concat([df, df.iloc[[3]]])
    with pytest.raises(ValueError, match="duplicate"):
        event_study(dup, yname="y", tname="t", idname="id", gname="g")
    bad = df.copy()
    bad.loc[bad.index[1], "g"] = 7
    with pytest.raises(ValueError, match="varies within unit"):
        event_study(bad, yname="y", tname="t", idname="id", gname="g")
    with pytest.raises(KeyError, match="yy"):
        twfe(df, yname="yy", tname="t", idname="id", treat="g")
    with pytest.raises(ValueError, match="0/1"):
        twfe(df, yname="y", tname="t", idname="id", treat="g")
    with pytest.raises(ValueError, match="no treated"):
        event_study(df.assign(g=0), yname="y", tname="t", idname="id", gname="g")


def test_2x2_twfe_equals_difference_of_mean_changes():
    df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5], "t": [0, 1] * 5,
                       "g": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0], "y": [1.0, 4, 2, 4, 1, 2, 2, 2, 3, 5]})
    r = twfe(df, yname="y", tname="t", idname="id", treat="g", post="t")
    dt = (4 + 4 - 1 - 2) / 2
    dc = (2 + 2 + 5 - 1 - 2 - 3) / 3
    assert r.effect.estimate == pytest.approx(dt - dc)
    gm = twfe(df, yname="y", tname="t", idname="id", treat="g", post="t", se_type="groupmeans")
    chg_t = np.array([3.0, 2.0])
    chg_c = np.array([1.0, 0.0, 2.0])
    welch = np.sqrt(chg_t.var(ddof=1) / 2 + chg_c.var(ddof=1) / 3)
    assert gm.effect.std_error == pytest.approx(welch)


@pytest.mark.slow
def test_sunab_pointwise_coverage_slow():
    """95% pointwise intervals of the Sun & Abraham event study cover the truth about 95% of the time."""
    hits = []
    for seed in range(200):
        df = _all_treated_panel(1000 + seed, n=60)
        tab = event_study(df, yname="y", tname="t", idname="id", gname="g").tidy().set_index("event_time")
        for e in range(4):
            truth = np.mean([0.5 * (e + 1), 3.0])
            hits.append(tab.loc[e, "conf_low"] <= truth <= tab.loc[e, "conf_high"])
    assert 0.92 <= np.mean(hits) <= 0.98
