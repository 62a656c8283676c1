"""Binned event time in ``did.event_study`` against Stevenson & Wolfers (2006), Table 1 column 1.

Published numbers: Stevenson & Wolfers (2006, QJE), female suicide rate, the 11 binned coefficients
x 100 as replicated in R ``bacondecomp`` 0.1.3 tests/testthat/test_bacon_divorce.R
(``lm(suiciderate_elast_jag ~ factor(chyrspos) + factor(st) + factor(year))`` on ``sex == 2``;
``round(coef, 3) * 100``): 1.6, -1.5, -1.5, -3.0, -8.0, -10.0, -11.9, -12.8, -13.3, -16.4, -18.7.
The data's ``chyrspos`` bins event time as {<0}, {0}, {1,2}, {3,4}, ..., {17,18}, {>=19}, and pools the
states that reformed before 1964 (``divyear`` 1950) with the >=19 bin; here the same bins are declared
through ``bins=`` and ``always_treated=20`` from ``divyear`` alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import wijklib as wl

DATA = Path(__file__).parent / "data"
INF = np.inf
SW_BINS = {-1: (-INF, -1), 0: (0, 0)} | {k: (k - 1, k) for k in range(2, 20, 2)} | {20: (19, INF)}
PUBLISHED = [1.6, -1.5, -1.5, -3.0, -8.0, -10.0, -11.9, -12.8, -13.3, -16.4, -18.7]


@pytest.fixture(scope="module")
def divorce() -> pd.DataFrame:
    return pd.read_csv(DATA / "bacondecomp_divorce_women.csv")


def test_stevenson_wolfers_table1(divorce):
    es = wl.did.event_study(divorce, yname="suiciderate_elast_jag", tname="year", idname="st",
                            gname="divyear", estimator="twfe", bins=SW_BINS, always_treated=20)
    t = es.tidy().set_index("event_time")
    est = t.loc[[k for k in SW_BINS if k != -1], "estimate"]
    assert (np.round(est.to_numpy(), 3) * 100).round(1).tolist() == PUBLISHED
    assert t.loc[-1, "estimate"] == 0.0  # reference bin: all leads and the never-reformed states
    assert es.method["always_treated_bin"] == 20 and es.method["dropped_always_treated_rows"] == 0
    # the same regression written with the data's own bin codes (statsmodels OLS) to 1e-10
    import statsmodels.formula.api as smf

    ols = smf.ols("suiciderate_elast_jag ~ C(chyrspos) + C(st) + C(year)", data=divorce).fit()
    assert np.allclose(ols.params.filter(like="chyrspos").to_numpy(), est.to_numpy(), atol=1e-10)


def test_list_bins_are_labelled_by_lower_edge_and_end_points_bin(divorce):
    bins = [(-INF, -1)] + [(k, k + 4) for k in range(0, 20, 5)] + [(20, INF)]
    es = wl.did.event_study(divorce, yname="suiciderate_elast_jag", tname="year", idname="st",
                            gname="divyear", estimator="twfe", bins=bins)
    assert es.tidy()["event_time"].tolist() == [-1, 0, 5, 10, 15, 20]
    assert es.method["dropped_always_treated_rows"] == 9 * 33


def test_own_bin_keeps_always_treated_for_the_period_effects(divorce):
    es = wl.did.event_study(divorce, yname="suiciderate_elast_jag", tname="year", idname="st",
                            gname="divyear", estimator="twfe", bins=SW_BINS, always_treated="own")
    assert es.method["n_units"] == 51
    assert es.tidy()["event_time"].max() == 20  # no coefficient for the (absorbed) own bin


def test_window_and_bins_agree_on_single_event_time_bins():
    rng = np.random.default_rng(4)
    df = pd.DataFrame([(i, t, 5 if i < 10 else (7 if i < 20 else 0)) for i in range(30) for t in range(12)],
                      columns=["id", "t", "g"])
    df["y"] = rng.normal(size=len(df)) + np.where((df.g > 0) & (df.t >= df.g), 1.0, 0.0)
    a = wl.did.event_study(df, yname="y", tname="t", idname="id", gname="g", window=(-3, 3))
    b = wl.did.event_study(df, yname="y", tname="t", idname="id", gname="g",
                           bins=[(-INF, -3), (-2, -2), (-1, -1), (0, 0), (1, 1), (2, 2), (3, INF)])
    pd.testing.assert_series_equal(a.tidy()["estimate"], b.tidy()["estimate"])
    pd.testing.assert_series_equal(a.tidy()["std_error"], b.tidy()["std_error"])


@pytest.mark.parametrize("kw, message", [
    ({"bins": [(-INF, -1), (0, 3)]}, "fall in no bin"),
    ({"bins": [(-INF, -1), (-1, 3), (4, INF)]}, "overlap"),
    ({"bins": [(-INF, -2), (0, INF)]}, "reference event time -1 lies in no bin"),
    ({"bins": [(-INF, -1), (0, INF)], "window": (-2, 2)}, "not both"),
    ({"always_treated": 20}, "needs bins"),
    ({"bins": SW_BINS, "always_treated": 20, "estimator": "sunab"}, "needs estimator='twfe'"),
    ({"bins": SW_BINS, "always_treated": 7, "estimator": "twfe"}, "one of the bin labels"),
    ({"bins": SW_BINS, "always_treated": -1, "estimator": "twfe"}, "reference bin"),
])
def test_bad_bins_are_refused(divorce, kw, message):
    with pytest.raises(ValueError, match=message):
        wl.did.event_study(divorce, yname="suiciderate_elast_jag", tname="year", idname="st",
                           gname="divyear", **kw)
