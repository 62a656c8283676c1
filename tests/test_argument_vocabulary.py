"""One argument vocabulary (issue 13): the traps that gave silently wrong answers, and the shared names.

- ``offset`` is on the log scale in every estimator, ``exposure`` is logged; a population passed as
  an offset is refused (it used to be logged by its.fit and taken as a log by did.poisson).
- ``event_study_single(...).pretest()`` is the placebo ranking, never the cluster-robust Wald test
  (invalid with one treated ward).
- A fixed default seed: two identical calls give the same p-value.
- ``alpha`` everywhere (``alp`` accepted as R did's alias); synth's estimator choice is ``estimator=``.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from wijklib import its, synth
from wijklib.did import att_gt, event_study, event_study_single, poisson, twfe
from wijklib.did import placebo as placebo_mod
from wijklib.did._sim import staggered_panel
from wijklib.results import DEFAULT_SEED


def _series(seed=2):
    rng = np.random.default_rng(seed)
    months = pd.date_range("2019-01-01", periods=48, freq="MS")
    pop = np.linspace(9_000, 11_000, 48)
    y = rng.poisson(pop / 100 * np.where(months >= "2021-01-01", 0.8, 1.0))
    return pd.DataFrame({"maand": months, "inwoners": pop, "log_inwoners": np.log(pop), "meldingen": y})


def _counts():
    rng = np.random.default_rng(4)
    df = pd.DataFrame([(i, t) for i in range(40) for t in range(10)], columns=["id", "t"])
    df["g"] = np.where(df["id"] < 16, np.where(df["id"] % 2 == 0, 5, 7), 0)
    df["pop"] = (1000 + 37 * df["id"]).astype(float)
    df["lp"] = np.log(df["pop"])
    lam = df["pop"] / 100 * np.exp(0.3 * rng.normal(size=40))[df["id"]] * np.where(
        (df["g"] > 0) & (df["t"] >= df["g"]), 0.8, 1.0)
    df["y"] = rng.poisson(lam)
    return df


# ---------------------------------------------------------------------------------- offset / exposure
def test_its_offset_is_log_scale_like_poisson():
    d = _series()
    by_exposure = its.fit(d, yname="meldingen", tname="maand", start="2021-01-01", exposure="inwoners")
    by_offset = its.fit(d, yname="meldingen", tname="maand", start="2021-01-01", offset="log_inwoners")
    assert by_offset.level_change.estimate == pytest.approx(by_exposure.level_change.estimate, rel=1e-12)
    assert by_offset.level_change.std_error == pytest.approx(by_exposure.level_change.std_error, rel=1e-9)
    assert by_offset.method["offset"] == "log_inwoners" and by_exposure.method["exposure"] == "inwoners"


def test_a_population_passed_as_offset_is_refused_everywhere():
    d = _series()
    with pytest.raises(ValueError, match=r"offset='inwoners'.*not on the log scale.*exposure='inwoners'"):
        its.fit(d, yname="meldingen", tname="maand", start="2021-01-01", offset="inwoners")
    many = d.assign(wijk="a")
    with pytest.raises(ValueError, match="exposure='inwoners'"):
        its.fit_many(many, by="wijk", yname="meldingen", tname="maand", start="2021-01-01", offset="inwoners")
    c = _counts()
    with pytest.raises(ValueError, match=r"offset='pop'.*exposure='pop'"):
        poisson(c, yname="y", tname="t", idname="id", gname="g", offset="pop")


def test_poisson_exposure_equals_its_log_offset():
    c = _counts()
    a = poisson(c, yname="y", tname="t", idname="id", gname="g", offset="lp")
    b = poisson(c, yname="y", tname="t", idname="id", gname="g", exposure="pop")
    assert b.effect.estimate == pytest.approx(a.effect.estimate, rel=1e-12)
    assert b.effect.std_error == pytest.approx(a.effect.std_error, rel=1e-9)
    assert b.method["offset"] == "log(pop)"


def test_exposure_and_offset_errors_name_the_column():
    d = _series()
    with pytest.raises(ValueError, match="not both"):
        its.fit(d, yname="meldingen", tname="maand", start="2021-01-01", offset="log_inwoners", exposure="inwoners")
    bad = d.assign(inwoners=d["inwoners"].where(d.index != 5, 0.0))
    with pytest.raises(ValueError, match=r"exposure='inwoners' holds 0.0 at row 5"):
        its.fit(bad, yname="meldingen", tname="maand", start="2021-01-01", exposure="inwoners")
    with pytest.raises(ValueError, match="log-link"):
        its.fit(d, yname="meldingen", tname="maand", start="2021-01-01", exposure="inwoners", family="gaussian")


# ---------------------------------------------------------------------------------- pretest trap
def _one_treated():
    df, _ = staggered_panel(5, n_units=25, n_periods=12, cohorts=(7,), n_treated=1, effect=0.0, hetero=True)
    return df


def test_event_study_single_pretest_is_the_placebo_ranking():
    df = _one_treated()
    kw = dict(yname="y", tname="month", idname="ward", gname="first_treated", window=(-4, 4))
    r = event_study_single(df, **kw)
    pt = r.pretest()
    assert pt.test.startswith("randomisation")
    assert pt == placebo_mod.pretest(r)
    n_placebos = r.method["n_placebos"]
    # a rank among the placebos: a multiple of 1 / (n + 1)
    assert (pt.p_value * (n_placebos + 1)) == pytest.approx(round(pt.p_value * (n_placebos + 1)))
    wald = event_study(df, **kw).pretest()
    assert wald.test.startswith("Wald") and pt.p_value != wald.p_value


# ---------------------------------------------------------------------------------- seeds
ESTIMATORS_WITH_SEED = [att_gt, poisson, event_study, event_study_single]


@pytest.mark.parametrize("fn", ESTIMATORS_WITH_SEED, ids=lambda f: f.__name__)
def test_seed_default_is_the_documented_fixed_seed(fn):
    p = inspect.signature(fn).parameters["seed"]
    assert p.default == DEFAULT_SEED and isinstance(DEFAULT_SEED, int)
    assert "DEFAULT_SEED" in (fn.__doc__ or "") or fn is event_study_single


def test_two_identical_calls_give_the_same_p_value():
    df, _ = staggered_panel(3, n_units=30, n_periods=8, cohorts=(5,), n_treated=6, effect=0.5)
    kw = dict(yname="y", tname="month", idname="ward", gname="first_treated")
    a = att_gt(df, **kw, inference="randomization", biters=199).aggregate("simple")
    b = att_gt(df, **kw, inference="randomization", biters=199).aggregate("simple")
    assert a.p_value == b.p_value
    assert a.method["seed"] == DEFAULT_SEED
    c = _counts()
    pa = poisson(c, yname="y", tname="t", idname="id", gname="g", inference="wild", biters=199)
    pb = poisson(c, yname="y", tname="t", idname="id", gname="g", inference="wild", biters=199)
    assert pa.effect.p_value == pb.effect.p_value
    # None asks for fresh draws
    fresh = {att_gt(df, **kw, inference="randomization", biters=199, seed=None).aggregate("simple").p_value
             for _ in range(4)}
    assert len(fresh) > 1


def test_bad_seed_is_refused():
    df, _ = staggered_panel(3, n_units=30, n_periods=8, cohorts=(5,), effect=0.5)
    with pytest.raises(ValueError, match="seed=-1"):
        att_gt(df, yname="y", tname="month", idname="ward", gname="first_treated", seed=-1)


# ---------------------------------------------------------------------------------- alpha / estimator
def test_alpha_everywhere_with_alp_as_alias():
    df, _ = staggered_panel(3, n_units=40, n_periods=8, cohorts=(5,), effect=0.5)
    kw = dict(yname="y", tname="month", idname="ward", gname="first_treated")
    a = att_gt(df, **kw, inference="analytic", alpha=0.1)
    b = att_gt(df, **kw, inference="analytic", alp=0.1)
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    assert a.method["alpha"] == 0.1 and a.alp == 0.1
    with pytest.raises(ValueError, match="disagree"):
        att_gt(df, **kw, alpha=0.1, alp=0.2)
    with pytest.raises(ValueError, match="alpha=1.5"):
        att_gt(df, **kw, alpha=1.5)
    for fn in (att_gt, poisson, event_study, event_study_single, twfe, its.fit, its.fit_many, synth.fit):
        assert "alpha" in inspect.signature(fn).parameters, fn.__name__
    es = event_study(df, **kw, alpha=0.1)
    assert es.effect.alpha == 0.1 and es.method["alpha"] == 0.1


def test_synth_estimator_argument_keeps_method_as_alias():
    panel = synth._example_panel()
    kw = dict(yname="y", tname="t", idname="wijk", treated="w0", start=21, placebo=False)
    new = synth.fit(panel, **kw, estimator="sdid")
    with pytest.warns(DeprecationWarning, match="estimator="):
        old = synth.fit(panel, **kw, method="sdid")
    assert new.effect.estimate == old.effect.estimate and new.method["estimator"] == "sdid"
    with pytest.raises(ValueError, match="disagree"):
        synth.fit(panel, **kw, estimator="sdid", method="synth")


def test_covariates_in_one_form():
    df, _ = staggered_panel(3, n_units=60, n_periods=6, cohorts=(4,), effect=0.5)
    df["x"] = np.random.default_rng(1).normal(size=len(df))
    kw = dict(yname="y", tname="month", idname="ward", gname="first_treated", inference="analytic")
    a = att_gt(df, **kw, xformla="~ x")
    b = att_gt(df, **kw, covariates=["x"])
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    with pytest.raises(ValueError, match="not both"):
        att_gt(df, **kw, xformla="~ x", covariates=["x"])
    for fn in (att_gt, event_study, twfe, synth.fit):
        assert "covariates" in inspect.signature(fn).parameters, fn.__name__
