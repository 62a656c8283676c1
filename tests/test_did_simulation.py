"""Simulations with a known truth for wijklib.did.att_gt: bias, CI coverage, size with few treated wards.

Seeds are fixed, so every number here is reproducible; the bounds are what a correct method must meet
(they fail for a biased estimator, a wrong SE or an over-rejecting test). The slow variants use more
replications (run with ``pytest -m slow``); the fast ones keep the default suite quick.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from wijklib.did import att_gt
from wijklib.did._sim import rejection_rates, staggered_panel

KW = dict(yname="y", tname="month", idname="ward", gname="first_treated")


def coverage_study(n_reps: int, seed0: int = 500) -> dict:
    """Bias and coverage with 400 wards. (With 200 wards the influence-function SEs, which have no
    small-sample correction - as in R did - are about 7% too small and coverage of the 'simple'
    aggregate drops to about 0.92; measured while writing this test.)"""
    est, se, cov_simple, cov_gt, cov_simul = [], [], [], [], []
    for r in range(n_reps):
        df, truth = staggered_panel(seed0 + r, n_units=400, n_periods=8, cohorts=(4, 6), effect=1.0)
        res = att_gt(df, **KW, inference="multiplier", biters=199, seed=r)
        a = res.aggregate("simple")
        est.append(a.estimate)
        se.append(a.std_error)
        cov_simple.append(a.conf_low <= truth <= a.conf_high)
        t = res.tidy()
        true_gt = np.where(t["post"], truth, 0.0)
        cov_gt.append(np.mean((t["conf_low"] <= true_gt) & (true_gt <= t["conf_high"])))
        cov_simul.append(bool(np.all((t["conf_low_simul"] <= true_gt) & (true_gt <= t["conf_high_simul"]))))
    est, se = np.array(est), np.array(se)
    return {
        "bias": est.mean() - 1.0, "mc_se_bias": est.std(ddof=1) / np.sqrt(n_reps), "mean_se": se.mean(),
        "sd_est": est.std(ddof=1), "cover_simple": np.mean(cov_simple), "cover_gt": np.mean(cov_gt),
        "cover_simul": np.mean(cov_simul),
    }


def _check_coverage(s: dict, lo: float, hi: float) -> None:
    assert abs(s["bias"]) < 0.2 * s["mean_se"], s  # bias small relative to the SE
    assert abs(s["bias"]) < 4 * s["mc_se_bias"], s
    assert 0.8 < s["mean_se"] / s["sd_est"] < 1.25, s  # SEs match the sampling spread
    assert lo <= s["cover_simple"] <= hi, s
    assert lo <= s["cover_gt"] <= hi, s
    assert s["cover_simul"] >= lo, s  # simultaneous bands cover all cells at least nominally


def test_bias_and_coverage_fast():
    _check_coverage(coverage_study(60), 0.88, 1.0)


@pytest.mark.slow
def test_bias_and_coverage_slow():
    _check_coverage(coverage_study(600, seed0=5000), 0.92, 0.98)


FEW = dict(n_units=40, n_periods=24, n_treated=3, cohorts=(9, 13, 17), effect=0.0, hetero=True)


def test_few_treated_auto_size_fast():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = rejection_rates(40, inference="auto", biters=199, **FEW)
    assert r["inference"] == ["randomization"]
    assert r["reject"] <= 0.10, r


@pytest.mark.slow
def test_few_treated_auto_size_slow_and_clustered_over_rejects():
    """3 treated of 40 wards, heteroskedastic AR(1) noise, no effect: 'auto' holds its 5% size
    (at most 7%), while plain clustered (analytic IF) SEs over-reject."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto = rejection_rates(400, inference="auto", biters=199, **FEW)
        clustered = rejection_rates(400, inference="analytic", **FEW)
    assert auto["reject"] <= 0.07, auto
    assert clustered["reject"] >= 0.10, clustered


def test_true_null_multiplier_size_with_many_treated():
    """With many treated wards the default multiplier bootstrap holds its size (fast check)."""
    r = rejection_rates(60, inference="multiplier", biters=199, n_units=200, n_periods=8, cohorts=(4, 6), effect=0.0)
    assert r["reject"] <= 0.12, r


def _noise_selected(reps: int, select_noise: float, seed0: int) -> dict:
    from wijklib.did._sim import staggered_panel

    rej = warned = after = 0
    for r in range(reps):
        df, _ = staggered_panel(seed0 + r, n_units=40, n_periods=24, n_treated=9, cohorts=(9, 13, 17), effect=0.0,
                                hetero=True, select_noise=select_noise)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = att_gt(df, **KW, inference="auto", biters=199, seed=r)
        p = res.aggregate("simple").p_value
        w = res.noise_check_p is not None and res.noise_check_p < 0.05
        rej, warned, after = rej + (p < 0.05), warned + w, after + (p < 0.05 and not w)
    return {"reject": rej / reps, "warned": warned / reps, "after": after / reps}


def test_noisier_wards_treated_more_often_are_flagged():
    """Selection on noise (treatment probability ~ noise scale^2, 9 treated of 40): randomization inference
    over-rejects (measured 12.5% with 200 replications, benchmarks/results/noise_selection.md); att_gt warns
    in most such panels and the rejections that remain unwarned are few."""
    noisy = _noise_selected(40, 2.0, 7000)
    assert noisy["warned"] >= 0.6 and noisy["after"] <= 0.075, noisy
    df, _ = staggered_panel(7001, n_units=40, n_periods=24, n_treated=9, cohorts=(9, 13, 17), effect=0.0,
                            hetero=True, select_noise=4.0)
    with pytest.warns(RuntimeWarning, match="selection on noise"):
        res = att_gt(df, **KW, inference="randomization", biters=99, seed=1)
    assert res.noise_check_p < 0.05 and "selection on noise" in res.inference_note
    assert att_gt(df, **KW, inference="analytic").noise_check_p is None


@pytest.mark.slow
def test_noise_warning_rate_and_remaining_size():
    """300 panels each: under random assignment the warning fires at about its 5% level; with noisier units
    treated more often at most 5% false rejections remain without a warning."""
    rand = _noise_selected(300, 0.0, 8000)
    assert rand["warned"] <= 0.08 and rand["reject"] <= 0.07, rand
    noisy = _noise_selected(300, 2.0, 9000)
    assert noisy["after"] <= 0.05 and noisy["warned"] >= 0.7, noisy
