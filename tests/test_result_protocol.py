"""Contract test: every public estimator's result speaks the one result protocol (docs/contracts.md).

Walks every estimator on small panels (in the way CausalPy's tests walk every experiment) and checks
the reading surface: ``.effect``, ``.tidy()`` (columns, the term grammar, ``scale``/``alpha``),
``.conf_int(alpha=None, simultaneous=False)`` by term, ``.summary()`` that prints, ``.plot()`` returning
an Axes, ``.pretest()`` returning the one ``PreTest`` type, the frozen ``method`` record with the same
keys, ``__repr__``/``_repr_html_`` and ``effect_summary()``.
"""

from __future__ import annotations

import dataclasses
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

from wijklib import its, synth
from wijklib.did import att_gt, bacon, dcdh, event_study, event_study_single, poisson, twfe
from wijklib.did._sim import staggered_panel
from wijklib.results import (
    METHOD_KEYS,
    PROTOCOL_COLUMNS,
    TIDY_COLUMNS,
    Effect,
    EffectSummary,
    Method,
    PreTest,
    ResultProtocol,
)

matplotlib.use("Agg")

TERM_KEYS = {"event_time", "group", "time", "cell"}


def _panel():
    df, _ = staggered_panel(11, n_units=40, n_periods=10, cohorts=(5, 7), effect=1.0)
    df["d"] = ((df["first_treated"] > 0) & (df["month"] >= df["first_treated"])).astype(float)
    return df


def _counts():
    rng = np.random.default_rng(4)
    df = pd.DataFrame([(i, t) for i in range(40) for t in range(10)], columns=["id", "t"])
    df["g"] = np.where(df["id"] < 16, np.where(df["id"] % 2 == 0, 5, 7), 0)
    df["pop"] = (1000 + 37 * df["id"]).astype(float)
    lam = df["pop"] / 100 * np.exp(0.3 * rng.normal(size=40))[df["id"]] * np.where(
        (df["g"] > 0) & (df["t"] >= df["g"]), 0.8, 1.0)
    df["y"] = rng.poisson(lam)
    return df


def _series():
    rng = np.random.default_rng(2)
    months = pd.date_range("2019-01-01", periods=48, freq="MS")
    return pd.DataFrame({"maand": months, "inwoners": 10_000.0,
                         "meldingen": rng.poisson(np.where(months >= "2021-01-01", 80, 100))})


def _single():
    df = _panel()
    treated = df.loc[df["first_treated"] > 0, "ward"].unique()
    return df[~df["ward"].isin(treated[1:])]


def _synth_panel():
    return synth._example_panel()


def _dcdh_panel():
    rng = np.random.default_rng(0)
    rows = []
    for g in range(30):
        start = 4 + g % 4 if g < 15 else 99
        for t in range(10):
            d = 1.0 if t >= start else 0.0
            rows.append((g, t, d, 0.5 * d + rng.normal()))
    return pd.DataFrame(rows, columns=["g", "t", "d", "y"])


KW = dict(yname="y", tname="month", idname="ward", gname="first_treated")


def _results():
    df = _panel()
    cnt = _counts()
    gt = att_gt(df, **KW, inference="analytic")
    pois = poisson(cnt, yname="y", tname="t", idname="id", gname="g", exposure="pop")
    out = {
        "its": its.fit(_series(), yname="meldingen", tname="maand", start="2021-01-01", exposure="inwoners"),
        "att_gt": gt,
        "twfe_2x2": twfe(df[df["month"].isin([4, 6])].assign(post=lambda d: (d["month"] == 6).astype(float),
                                                           ever=lambda d: (d["first_treated"] == 5).astype(float))
                         .query("first_treated in (0, 5)"),
                         yname="y", tname="month", idname="ward", treat="ever", post="post"),
        "twfe": twfe(df, yname="y", tname="month", idname="ward", treat="d"),
        "event_study": event_study(df, **KW, window=(-3, 3)),
        "event_study_single": event_study_single(_single(), **KW, window=(-3, 3)),
        "poisson": pois,
        "synth": synth.fit(_synth_panel(), yname="y", tname="t", idname="wijk", treated="w0", start=21),
        "sdid": synth.fit(_synth_panel(), yname="y", tname="t", idname="wijk", treated="w0", start=21,
                          estimator="sdid"),
        "bacon": bacon(df, yname="y", dname="d", idname="ward", tname="month"),
        "dcdh": dcdh(_dcdh_panel(), outcome="y", group="g", time="t", treatment="d", effects=2, placebo=2),
    }
    for kind in ("simple", "dynamic", "group", "calendar"):
        out[f"att_gt.{kind}"] = gt.aggregate(kind)
        out[f"poisson.{kind}"] = pois.aggregate(kind)
    return out


RESULTS = _results()


@pytest.fixture(params=sorted(RESULTS))
def res(request):
    return RESULTS[request.param]


def test_every_result_is_a_frozen_protocol_result(res):
    assert isinstance(res, ResultProtocol)
    assert dataclasses.is_dataclass(res)
    field = dataclasses.fields(res)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(res, field, None)


def test_effect_is_the_headline_row(res):
    e = res.effect
    assert isinstance(e, Effect)
    terms = set(res.tidy()["term"])
    name = type(res).__name__
    if name in ("ATTgtResult", "PoissonDiDResult"):
        # cell-level fits: the headline is their simple aggregation's overall effect
        assert e.term == "overall"
        assert e.estimate == pytest.approx(res.aggregate("simple").effect.estimate)
    elif name == "EventStudyResult":
        # one row per event time; the headline is their observation-weighted post-start average
        assert e.term == "overall" and not any(t == "overall" for t in terms)
    else:
        assert e.term in terms
        row = res.tidy().set_index("term").loc[e.term]
        assert row["estimate"] == pytest.approx(e.estimate, nan_ok=True)


def test_tidy_columns_scale_alpha_and_term_grammar(res):
    t = res.tidy()
    assert list(t.columns[:9]) == TIDY_COLUMNS + PROTOCOL_COLUMNS
    assert t["term"].is_unique
    assert set(t["scale"]) <= {"difference", "ratio"}
    assert np.allclose(t["alpha"].to_numpy(float), res.method["alpha"])
    for term in t["term"]:
        if "::" in term:
            key, _, values = term.partition("::")
            assert key in TERM_KEYS, term
            assert values and "::" not in values, term
            assert len(values.split(":")) == (2 if key == "cell" else 1) or key == "time", term
            assert not re.search(r"\d{2}:\d{2}:\d{2}", term), f"dates in terms are days: {term}"
        else:
            assert term == "overall" or re.fullmatch(r"[A-Za-z][\w :.,()-]*", term), term
    assert res.tidy() is not res.tidy()  # a copy each time


def test_conf_int_by_term_at_any_alpha(res):
    t = res.tidy()
    ci = res.conf_int()
    assert list(ci.columns) == ["conf_low", "conf_high"]
    assert list(ci.index) == list(t["term"])
    np.testing.assert_array_equal(ci["conf_low"].to_numpy(float), t["conf_low"].to_numpy(float))
    try:
        wide = res.conf_int(alpha=0.01)
    except ValueError as err:
        assert "refit" in str(err) or "no sampling" in str(err)
    else:
        narrow_ok = np.isfinite(ci["conf_low"]) & np.isfinite(wide["conf_low"])
        assert (wide.loc[narrow_ok, "conf_low"] <= ci.loc[narrow_ok, "conf_low"] + 1e-12).all()
        assert (wide.loc[narrow_ok, "conf_high"] >= ci.loc[narrow_ok, "conf_high"] - 1e-12).all()
        back = res.conf_int(alpha=res.method["alpha"])
        pd.testing.assert_frame_equal(back, ci)
    if "conf_low_simul" in t.columns:
        band = res.conf_int(simultaneous=True)
        assert list(band.columns) == ["conf_low", "conf_high"]
        np.testing.assert_array_equal(band["conf_low"].to_numpy(float), t["conf_low_simul"].to_numpy(float))
    else:
        with pytest.raises(ValueError, match="simultaneous"):
            res.conf_int(simultaneous=True)


def test_summary_prints_and_returns_only_when_asked(res, capsys):
    assert res.summary() is None
    printed = capsys.readouterr().out
    text = res.summary(as_string=True)
    assert isinstance(text, str) and text.strip()
    assert printed.strip() == text.strip()


def test_plot_returns_axes(res):
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    ax = res.plot()
    assert isinstance(ax, Axes)
    fig, own = plt.subplots()
    assert res.plot(ax=own) is own
    plt.close("all")


def test_pretest_is_one_type(res):
    pt = res.pretest()
    assert type(pt) is PreTest
    assert isinstance(pt.tidy(), pd.DataFrame) and isinstance(pt.sentence(), str)
    assert pt.available or pt.note  # no test: it says why


def test_method_record_has_the_same_keys_and_is_frozen(res):
    m = res.method
    assert isinstance(m, Method)
    assert tuple(m)[: len(METHOD_KEYS)] == METHOD_KEYS
    assert isinstance(m["estimator"], str) and isinstance(m["inference"], str)
    assert isinstance(m["notes"], tuple)
    assert m["alpha"] == pytest.approx(res.effect.alpha) or np.isnan(res.effect.estimate)
    with pytest.raises((TypeError, AttributeError)):
        m["seed"] = 1
    with pytest.raises(AttributeError):
        m.seed = 1


def test_repr_and_html(res):
    r = repr(res)
    assert type(res).__name__ in r and "\n" not in r and len(r) < 400
    assert "DataFrame" not in r and "array(" not in r
    html = res._repr_html_()
    assert "<table" in html and str(res.method["inference"])[:20] in html.replace("&#x27;", "'")


def test_effect_summary_is_a_named_table_and_text(res):
    s = res.effect_summary()
    assert isinstance(s, EffectSummary)
    assert isinstance(s.table, pd.DataFrame) and len(s.table) >= 1
    assert isinstance(s.text, str) and s.text
    table, text = s  # still unpacks
    assert text == s.text


def test_dates_in_repr_and_terms():
    r = RESULTS["its"]
    assert "2021-01-01" in repr(r) and "00:00:00" not in repr(r)
    ax = r.plot()
    import matplotlib.dates as mdates

    assert isinstance(ax.xaxis.get_major_formatter(), mdates.AutoDateFormatter | mdates.ConciseDateFormatter)


def test_every_public_estimator_is_walked():
    import wijklib.did as did

    walked = {type(r).__name__ for r in RESULTS.values()}
    results = {n for n in did.__all__ if n.endswith("Result")} | {"ITSResult", "SynthResult", "EventStudyResult",
                                                                   "TWFEResult", "PoissonDiDResult",
                                                                   "PoissonAggResult"}
    assert results <= walked


def test_results_survive_pickling(res):
    """The report batch sends results to worker processes (process pool, Dask)."""
    import pickle

    back = pickle.loads(pickle.dumps(res))
    assert type(back) is type(res)
    assert back.method == res.method and isinstance(back.method, Method)
    pd.testing.assert_frame_equal(back.tidy(), res.tidy())
