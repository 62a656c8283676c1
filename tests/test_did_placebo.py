"""Event study of ONE treated ward with placebo-in-space inference (wijklib.did.placebo).

Known truth: simulated panels with unit effects, a common trend and AR(1) noise, one treated ward.
Clustered SEs reject a true null far too often with one treated cluster; placebo inference must hold
its size and cover the true effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wijklib.did import event_study, event_study_single
from wijklib.did.placebo import placebo_draws, pretest, with_placebo_inference


def _panel(rng: np.random.Generator, n: int = 12, periods: int = 24, start: int = 14, effect: float = 0.0,
           rho: float = 0.5) -> pd.DataFrame:
    rows = []
    for i in range(n):
        a, e = rng.normal(), 0.0
        for t in range(periods):
            e = rho * e + rng.normal()
            treated = i == 0 and t >= start
            rows.append((i, t, start if i == 0 else 0, a + 0.05 * t + e + (effect if treated else 0.0)))
    return pd.DataFrame(rows, columns=["id", "t", "g", "y"])


KW = dict(yname="y", tname="t", idname="id", gname="g", window=(-4, 4))


def test_size_holds_where_clustered_ses_fail():
    rng = np.random.default_rng(11)
    reps = 40
    placebo_rej = clustered_rej = 0
    for _ in range(reps):
        d = _panel(rng)
        placebo_rej += event_study_single(d, **KW).effect.p_value < 0.05
        clustered_rej += event_study(d, **KW).effect.p_value < 0.05
    # Measured with 200 panels (test below, slow): placebo 0.04, clustered 0.655.
    assert placebo_rej / reps <= 0.15
    assert clustered_rej / reps >= 0.35


@pytest.mark.slow
def test_size_and_coverage_200_panels():
    rng = np.random.default_rng(5)
    reps, rej, cover = 200, 0, 0
    for _ in range(reps):
        rej += event_study_single(_panel(rng, n=15, periods=36, start=24), **{**KW, "window": (-6, 6)}
                                  ).effect.p_value < 0.05
        e = event_study_single(_panel(rng, n=15, periods=36, start=24, effect=1.0),
                               **{**KW, "window": (-6, 6)}).effect
        cover += e.conf_low <= 1.0 <= e.conf_high
    assert 0.01 <= rej / reps <= 0.09
    assert 0.90 <= cover / reps <= 0.99


def test_strong_effect_found_and_reported_with_its_method():
    d = _panel(np.random.default_rng(3), effect=6.0)
    r = event_study_single(d, **KW)
    assert r.effect.conf_low > 2
    assert r.method["inference"] == "placebo" and r.method["n_placebos"] == 11
    assert r.effect.extra["p_randomization"] == pytest.approx(1 / 12)  # the most extreme of 12 wards
    t = r.tidy()
    ref = t.set_index("event_time").loc[-1]
    assert ref["estimate"] == 0 and ref["std_error"] == 0
    assert (t["conf_high_simul"] - t["conf_low_simul"] >= t["conf_high"] - t["conf_low"] - 1e-12).all()
    # the pre-trend check comes from the placebo ranking, not the clustered Wald test
    assert pretest(r).test.startswith("randomisation")
    assert 0 < pretest(r).p_value <= 1


def test_intervals_equal_t_quantile_times_placebo_sd():
    d = _panel(np.random.default_rng(8))
    es = event_study(d, **KW)
    draws = placebo_draws(d, start=14, **KW)
    r = with_placebo_inference(es, draws)
    from scipy import stats

    avg = draws.loc[draws["event_time"].astype(str) == "average_post", "estimate"].to_numpy(float)
    se = avg.std(ddof=1)
    q = stats.t.ppf(0.975, avg.size - 1)
    assert r.effect.std_error == pytest.approx(se)
    assert r.effect.conf_low == pytest.approx(es.effect.estimate - q * se)
    assert r.effect.estimate == es.effect.estimate  # the point estimate is unchanged
    e2 = draws.loc[draws["event_time"].astype(str) == "2", "estimate"].to_numpy(float)
    row = r.tidy().set_index("event_time").loc[2]
    assert row["std_error"] == pytest.approx(e2.std(ddof=1))
    V = r.vcov.to_numpy(float)
    assert np.all(np.isfinite(V)) and np.all(np.linalg.eigvalsh(V) > 0)


def test_too_few_comparison_wards_is_a_clear_error():
    d = _panel(np.random.default_rng(1), n=4)
    with pytest.raises(ValueError, match="at least 5 comparison wards"):
        event_study_single(d, **KW)


def test_needs_exactly_one_treated_ward():
    d = _panel(np.random.default_rng(1))
    d.loc[d["id"] == 1, "g"] = 14
    with pytest.raises(ValueError, match="exactly one treated ward"):
        event_study_single(d, **KW)


def test_missing_months_and_zero_rows():
    rng = np.random.default_rng(4)
    d = _panel(rng)
    d = d.drop(d.sample(frac=0.08, random_state=1).index)  # missing months, unbalanced
    d.loc[d["id"] == 5, "y"] = 0.0  # a ward with only zeros
    r = event_study_single(d, **KW)
    assert np.isfinite(r.effect.std_error) and r.effect.conf_low < r.effect.conf_high


# ---- one pass (issue 15): the shared FE projection equals the refit per placebo to 1e-10 -------------------


def _same_draws(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert a[["placebo", "event_time"]].astype(str).equals(b[["placebo", "event_time"]].astype(str))
    ea, eb = a["estimate"].to_numpy(float), b["estimate"].to_numpy(float)
    assert np.array_equal(np.isnan(ea), np.isnan(eb))
    np.testing.assert_allclose(ea, eb, rtol=0, atol=1e-10)


def _both(d: pd.DataFrame, **kw):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return placebo_draws(d, **kw), placebo_draws(d, **kw, method="refit")


@pytest.mark.parametrize("window", [(-4, 4), None, (-8, 2), (-1, 6)])
@pytest.mark.parametrize("drop", [0.0, 0.12])
def test_shared_projection_equals_refits(window, drop):
    d = _panel(np.random.default_rng(21), n=14, periods=30, start=18)
    if drop:  # missing months: some placebo wards miss their reference month (a coefficient not identified)
        d = d.drop(d.sample(frac=drop, random_state=3).index)
    kw = {**KW, "window": window}
    a, b = _both(d, start=18, **kw)
    _same_draws(a, b)
    assert a["placebo"].nunique() == 13


def test_shared_projection_equals_refits_on_edge_cases():
    rng = np.random.default_rng(9)
    d = _panel(rng, n=12, periods=24, start=14)
    d.loc[(d["id"] == 3) & (d["t"] == 13), "y"] = np.nan  # ward 3 lacks its reference month: collinear cell
    d.loc[d["id"] == 4, "y"] = np.nan  # a ward without any usable row: no placebo
    d.loc[d["id"] == 5, "y"] = 0.0  # a ward with only zeros
    d = d.loc[~((d["t"] == 2) & (d["id"] != 0))]  # a month present only for the treated ward
    for ref in (-1, -3):
        a, b = _both(d, start=14, **{**KW, "ref": ref})
        _same_draws(a, b)
        assert 4 not in set(a["placebo"]) and 3 in set(a["placebo"])
    # a start between two periods maps to the next period, as in event_study
    _same_draws(*_both(d.assign(t=d["t"] * 2), start=27, **KW))
    # a start before or after the panel: no placebo can be fitted, on both paths
    for s in (-5, 99):
        a, b = _both(d, start=s, **KW)
        assert a.empty and b.empty


def test_shared_projection_with_monthly_dates():
    d = _panel(np.random.default_rng(2), n=10, periods=36, start=24)
    per = pd.date_range("2019-01-01", periods=36, freq="MS")
    d["t"] = per[d["t"].to_numpy()]
    d["g"] = pd.Series(pd.NaT, index=d.index, dtype="datetime64[ns]")
    d.loc[d["id"] == 0, "g"] = per[24]
    d = d.drop(d.sample(frac=0.05, random_state=0).index)
    _same_draws(*_both(d, start=per[24], **{**KW, "window": (-12, 12)}))
    r = event_study_single(d, **{**KW, "window": (-12, 12)})
    assert r.method["n_placebos"] == 9


def test_shared_projection_does_not_refit(monkeypatch):
    """On an ordinary panel every placebo comes from the one projection: no event_study call at all."""
    from wijklib.did import placebo as pl

    def boom(*a, **k):
        raise AssertionError("event_study called")

    d = _panel(np.random.default_rng(6), n=30)
    ref = placebo_draws(d, start=14, **KW, method="refit")
    monkeypatch.setattr(pl, "event_study", boom)
    _same_draws(placebo_draws(d, start=14, **KW), ref)


def test_placebo_draws_method_is_checked():
    d = _panel(np.random.default_rng(1))
    with pytest.raises(ValueError, match="method must be 'shared' or 'refit'"):
        placebo_draws(d, start=14, **KW, method="fast")
