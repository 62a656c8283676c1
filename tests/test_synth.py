"""Tests for wijklib.synth: recovery on factor-model data, weights, placebo inference, contract."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from wijklib import synth


def factor_panel(*, n_donors: int = 20, n_periods: int = 40, n_pre: int = 30, effect: float = -5.0,
                 noise: float = 0.5, seed: int = 0, in_hull: bool = True) -> pd.DataFrame:
    """Interactive fixed effects: y_it = 50 + lambda_i' f_t + e_it. The treated ward's loadings are
    a convex combination of three donors' (so a perfect synthetic control exists) unless in_hull=False."""
    rng = np.random.default_rng(seed)
    f = np.column_stack([np.sin(np.arange(n_periods) / 4.0) * 5, np.arange(n_periods) / 5.0,
                         rng.normal(0, 2, n_periods)])
    load = rng.uniform(0.2, 2.0, (n_donors, 3))
    if in_hull:
        mix = np.array([0.5, 0.3, 0.2])
        lt = mix @ load[:3]
    else:
        lt = load.max(axis=0) * 1.5
    loads = np.vstack([lt, load])
    y = 50 + f @ loads.T + rng.normal(0, noise, (n_periods, n_donors + 1))
    y[n_pre:, 0] += effect
    ids = ["treated"] + [f"d{j:02d}" for j in range(n_donors)]
    return pd.DataFrame({"wijk": np.repeat(ids, n_periods), "t": np.tile(np.arange(1, n_periods + 1), n_donors + 1),
                         "y": y.T.ravel()})


def _fit(df, **kw):
    base = dict(yname="y", tname="t", idname="wijk", treated="treated", start=31)
    base.update(kw)
    return synth.fit(df, **base)


@pytest.mark.parametrize("method", ["synth", "sdid"])
def test_recovers_known_effect(method):
    ests = [_fit(factor_panel(seed=s), method=method, placebo=False).effect.estimate for s in range(12)]
    # noise SD 0.5 per period, 10 post-periods: the average effect has SD ~0.2
    assert np.mean(ests) == pytest.approx(-5.0, abs=0.3)
    assert np.all(np.abs(np.array(ests) + 5.0) < 1.0)


def test_weights_on_simplex_and_placebo_interval_covers():
    res = _fit(factor_panel(seed=1))
    w = res.weights
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    assert set(w.index) == {f"d{j:02d}" for j in range(20)}
    # (which donors get the weight is not unique: 3 factors, 20 donors -> many exact combinations)
    assert res.effect.conf_low < -5.0 < res.effect.conf_high
    assert res.effect.p_value == pytest.approx(1 / 21)  # treated ward is the most extreme
    assert res.method["n_placebos"] == 20 and len(res.placebos) == 20
    assert res.rmspe_pre < 1.0


def test_sdid_time_weights_and_additive_model_is_exact():
    """With parallel trends (y = a_i + b_t) synthetic DiD is exact even when the treated ward's
    level lies outside the donors' range, where the classic synthetic control cannot match."""
    rng = np.random.default_rng(4)
    n_units, n_t = 12, 30
    a = rng.normal(0, 5, n_units)
    a[0] = a.max() + 20
    b = np.cumsum(rng.normal(0, 1, n_t))
    y = a[:, None] + b[None, :]
    y[0, 20:] += 3.0
    df = pd.DataFrame({"wijk": np.repeat([f"u{i}" for i in range(n_units)], n_t),
                       "t": np.tile(np.arange(n_t), n_units), "y": y.ravel()})
    sd = synth.fit(df, yname="y", tname="t", idname="wijk", treated="u0", start=20, estimator="sdid")
    assert sd.effect.estimate == pytest.approx(3.0, abs=1e-6)
    assert sd.time_weights is not None and sd.time_weights.sum() == pytest.approx(1.0)
    assert (sd.time_weights >= 0).all() and (sd.weights >= 0).all()
    sc = synth.fit(df, yname="y", tname="t", idname="wijk", treated="u0", start=20, estimator="synth")
    assert abs(sc.effect.estimate - 3.0) > 1.0  # outside the convex hull: synth is biased


def test_simplex_ls_matches_slsqp():
    rng = np.random.default_rng(2)
    A = rng.normal(size=(25, 8))
    b = A @ np.array([0.1, 0.5, 0, 0, 0.4, 0, 0, 0]) + rng.normal(0, 0.3, 25) + 0.5
    w = synth.simplex_ls(A, b)
    obj = lambda x: float(np.sum((A @ x - b) ** 2))  # noqa: E731
    ref = optimize.minimize(obj, np.full(8, 1 / 8), method="SLSQP", bounds=[(0, 1)] * 8,
                            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1}],
                            options={"ftol": 1e-14, "maxiter": 500})
    assert obj(w) <= obj(ref.x) + 1e-8
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-12)


def test_placebo_p_values_roughly_uniform_without_effect():
    """Under no effect the treated ward is exchangeable with the donors, so the rank p-value is
    uniform on {1/20, ..., 1}. 80 panels: mean near 0.5, not too many small p-values."""
    ps = []
    for s in range(80):
        rng = np.random.default_rng(1000 + s)
        n_units, n_t = 20, 30
        f = np.cumsum(rng.normal(0, 1, (n_t, 2)), axis=0)
        load = rng.uniform(0.5, 1.5, (n_units, 2))
        y = 20 + f @ load.T + rng.normal(0, 1, (n_t, n_units))
        df = pd.DataFrame({"wijk": np.repeat(np.arange(n_units), n_t), "t": np.tile(np.arange(n_t), n_units),
                           "y": y.T.ravel()})
        ps.append(synth.fit(df, yname="y", tname="t", idname="wijk", treated=0, start=22).effect.p_value)
    ps = np.array(ps)
    assert 0.38 < ps.mean() < 0.62
    assert np.mean(ps <= 0.1) < 0.22
    assert stats.kstest(ps, "uniform").pvalue > 0.001


def test_does_not_mutate_input_and_is_frozen():
    df = factor_panel(seed=3)
    before = df.copy()
    res = _fit(df, placebo=False)
    pd.testing.assert_frame_equal(df, before)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.rmspe_pre = 0.0  # type: ignore[misc]
    assert np.isnan(res.effect.p_value) and res.method["n_placebos"] == 0


def test_gap_tidy_summary_plot():
    res = _fit(factor_panel(seed=5))
    g = res.gap()
    assert list(g.columns) == ["t", "observed", "synthetic", "gap"]
    np.testing.assert_allclose(g["gap"], g["observed"] - g["synthetic"])
    assert res.effect.estimate == pytest.approx(g.loc[g["t"] >= 31, "gap"].mean())
    tidy = res.tidy(per_period=True)
    assert list(tidy.columns[:7]) == ["term", "estimate", "std_error", "statistic", "p_value",
                                      "conf_low", "conf_high"]
    assert tidy["term"].str.startswith("time::").sum() == 10 and tidy.loc[0, "term"] == "overall"
    table, text = res.effect_summary(ward="Tarwewijk")
    assert "Tarwewijk" in text and "lager" in text and "placebowijken" in text
    assert table.loc[0, "aantal donorwijken"] == 20
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for kind in ["paths", "gap"]:
        ax = res.plot(kind=kind)
        assert ax.get_lines()
        plt.close(ax.figure)


def test_covariates_and_dates():
    df = factor_panel(seed=6)
    df["maand"] = pd.Timestamp("2020-01-01") + pd.to_timedelta((df["t"] - 1) * 31, unit="D")
    df["maand"] = df["maand"].dt.to_period("M").dt.to_timestamp()
    rng = np.random.default_rng(0)
    df["inwoners"] = np.repeat(rng.uniform(5_000, 20_000, 21), 40)
    res = synth.fit(df, yname="y", tname="maand", idname="wijk", treated="treated",
                    start=df.loc[df["t"] == 31, "maand"].iloc[0], covariates=["inwoners"], placebo=False)
    assert res.weights.sum() == pytest.approx(1.0) and res.method["covariates"] == ("inwoners",)
    assert abs(res.effect.estimate + 5) < 2.0


def test_errors_and_incomplete_donors():
    df = factor_panel(seed=7)
    with pytest.raises(ValueError, match="at or before the first period"):
        _fit(df, start=1)
    with pytest.raises(ValueError, match="not found"):
        _fit(df, treated="nowhere")
    with pytest.raises(ValueError, match="estimator='synth' only"):
        _fit(df.assign(x=1.0), estimator="sdid", covariates=["x"])
    holey = df[~((df["wijk"] == "d05") & (df["t"] == 12))]
    res = _fit(holey, placebo=False)
    assert "d05" not in res.weights.index and "left out" in res.method["notes"][0]
    with pytest.raises(ValueError, match="treated ward 'treated' has no 'y'"):
        _fit(df[~((df["wijk"] == "treated") & (df["t"] == 3))])
