"""Goodman-Bacon decomposition against R ``bacondecomp``'s published outputs.

Sources of the numbers (package bacondecomp 0.1.3, repository evanjflack/bacondecomp, commit ec99dd0):
- castle doctrine, uncontrolled: the package's demo / vignette output of
  ``bacon(l_homicide ~ post, data = castle, id_var = "state", time_var = "year")`` printed by
  ``bacon_summary`` (5 decimals), and "Weighted sum of decomposition = 0.0818";
- math reform: README.md, ``bacon(incearn_ln ~ reform_math, data = math_reform, id_var = "state",
  time_var = "class")``: ``head(df_bacon)`` (estimates and weights, 8 significant digits) and
  ``bacon_summary`` (5 decimals);
- the three-unit weights of Goodman-Bacon's figure 2: tests/testthat/test_bacon_weights.R
  (``c(.365, .222, .278, .135)``);
- the covariate case: tests/testthat/test_controled.R / test_bacon_FE.R check that
  ``Omega * beta_hat_w + (1 - Omega) * sum(weight * estimate)`` equals ``lm(y ~ post + l_pop + l_income +
  factor(state) + factor(year))``'s coefficient (no printed numbers), the same identity is checked here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wijklib.did.bacon import BaconError, bacon

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def castle() -> pd.DataFrame:
    return pd.read_csv(DATA / "bacondecomp_castle.csv")


def _by_type(res) -> dict[str, tuple[float, float]]:
    t = res.tidy().set_index("term")
    return {k: (round(t.loc[k, "weight"], 5), round(t.loc[k, "estimate"], 5)) for k in t.index
            if k not in ("twfe", "within")}


def test_castle_uncontrolled_matches_published(castle):
    res = bacon(castle, yname="l_homicide", dname="post", idname="state", tname="year")
    assert _by_type(res) == {
        "Earlier vs Later Treated": (0.05976, -0.00554),
        "Later vs Earlier Treated": (0.03190, 0.07032),
        "Treated vs Untreated": (0.90834, 0.08796),
    }
    assert round(res.decomposed, 4) == 0.0818
    assert res.decomposed == pytest.approx(res.twfe, abs=1e-12)
    assert res.two_by_twos["weight"].sum() == pytest.approx(1.0)


def test_math_reform_matches_published_readme():
    m = pd.read_csv(DATA / "bacondecomp_math_reform.csv")
    res = bacon(m, yname="incearn_ln", dname="reform_math", idname="state", tname="class")
    assert _by_type(res) == {
        "Earlier vs Later Treated": (0.06353, 0.02868),
        "Later vs Earlier Treated": (0.05265, 0.03375),
        "Treated vs Untreated": (0.88382, -0.00129),
    }
    tt = res.two_by_twos.set_index(["treated", "untreated"])
    published = {  # head(df_bacon) in README.md: treated, untreated, estimate, weight
        (1987, 1985): (0.04575585, 0.031655309), (1986, 1985): (0.11390411, 0.001978457),
        (1984, 1985): (0.12012908, 0.001978457), (1985, 1987): (0.01021379, 0.039569136),
        (1986, 1987): (-0.09374495, 0.005440756), (1984, 1987): (0.09784857, 0.013354583),
    }
    for key, (est, w) in published.items():
        assert tt.loc[key, "estimate"] == pytest.approx(est, abs=5e-9), key
        assert tt.loc[key, "weight"] == pytest.approx(w, abs=5e-10), key


def test_three_unit_weights_of_figure_2():
    rng = np.random.default_rng(7)
    t = np.tile(np.arange(1, 101), 3)
    d = np.r_[np.zeros(100), np.zeros(33), np.ones(67), np.zeros(84), np.ones(16)]
    df = pd.DataFrame({"id": np.repeat([1, 2, 3], 100), "time": t, "treated": d, "y": rng.normal(size=300)})
    res = bacon(df, yname="y", dname="treated", idname="id", tname="time")
    tt = res.two_by_twos.sort_values(["untreated", "treated"], ascending=[False, True])
    assert tt["weight"].round(3).tolist() == [0.365, 0.222, 0.278, 0.135]
    assert res.decomposed == pytest.approx(res.twfe, abs=1e-12)


def test_castle_with_covariates_rebuilds_twfe(castle):
    import statsmodels.formula.api as smf

    res = bacon(castle, yname="l_homicide", dname="post", idname="state", tname="year",
                covariates=["l_pop", "l_income"])
    lm = smf.ols("l_homicide ~ post + l_pop + l_income + C(state) + C(year)", data=castle).fit()
    assert res.twfe == pytest.approx(lm.params["post"], abs=1e-10)
    assert res.decomposed == pytest.approx(lm.params["post"], abs=1e-10)
    assert 0 < res.omega < 1
    assert set(res.two_by_twos["type"]) <= {"Treated vs Untreated", "Both Treated", "Later vs Always Treated"}


def test_homogeneous_constant_effect_every_comparison_recovers_it():
    # known truth: a constant effect with no noise gives the truth in every 2x2, forbidden ones included
    rng = np.random.default_rng(3)
    units, periods = 30, 12
    start = rng.choice([4, 7, 10, np.inf], size=units)
    df = pd.DataFrame({"u": np.repeat(np.arange(units), periods), "t": np.tile(np.arange(periods), units)})
    df["d"] = (df["t"] >= start[df["u"]]).astype(float)
    df["y"] = rng.normal(size=units)[df["u"]] + 0.3 * df["t"] - 0.25 * df["d"]
    res = bacon(df, yname="y", dname="d", idname="u", tname="t")
    assert np.allclose(res.two_by_twos["estimate"], -0.25)
    # dynamic effects make the forbidden comparisons wrong: the TWFE misses the average effect
    df["y2"] = df["y"] + 0.25 * df["d"] - 0.1 * df["d"] * (df["t"] - np.where(np.isinf(start), 0, start)[df["u"]])
    res2 = bacon(df, yname="y2", dname="d", idname="u", tname="t")
    bad = res2.two_by_twos[res2.two_by_twos["type"] == "Later vs Earlier Treated"]
    assert (bad["estimate"] > 0).any()  # growing effects in the control group flip the sign
    assert res2.forbidden_weight > 0


def test_always_treated_group_and_does_not_mutate(castle):
    df = castle.copy()
    first = df["year"].min()
    df.loc[df["state"] == "Alabama", "post"] = 1.0  # treated from the first period
    before = df.copy()
    res = bacon(df, yname="l_homicide", dname="post", idname="state", tname="year")
    pd.testing.assert_frame_equal(df, before)
    assert "Later vs Always Treated" in set(res.two_by_twos["type"])
    assert first not in set(res.two_by_twos["treated"])
    assert res.decomposed == pytest.approx(res.twfe, abs=1e-12)
    assert res.forbidden_weight > 0


@pytest.mark.parametrize("breaker, message", [
    (lambda d: d.drop(index=5), "unbalanced"),
    (lambda d: d.assign(post=d["post"].where(d.index != 7)), "missing or non-numeric"),
    (lambda d: d.assign(post=np.where(d.index == 8, 0.5, d["post"])), "must be 0/1"),
    (lambda d: pd.concat([d, d.iloc[[0]]]), "more than once"),
    (lambda d: d.assign(post=np.where((d["state"] == "Florida") & (d["year"] == 2010), 0.0, d["post"])),
     "switches off"),
    (lambda d: d.rename(columns={"post": "cdl"}), "not in the data"),
])
def test_bad_panels_are_refused(castle, breaker, message):
    with pytest.raises(BaconError, match=message):
        bacon(breaker(castle), yname="l_homicide", dname="post", idname="state", tname="year")


def test_result_surface(castle):
    import matplotlib

    matplotlib.use("Agg")
    res = bacon(castle, yname="l_homicide", dname="post", idname="state", tname="year")
    ax = res.plot()
    assert ax.get_xlabel() == "gewicht"
    assert "Treated vs Untreated" in res.summary(as_string=True)
    assert {"term", "estimate", "weight", "scale"} <= set(res.tidy().columns)
    assert res.method["n_units"] == 50 and res.method["n_periods"] == 11
    assert "BaconResult" in repr(res)


def test_date_periods_give_the_same_decomposition_as_integer_periods(castle):
    """A monthly wijklib panel has dates as periods: the decomposition uses only their order, and the
    timing groups come back as dates (it used to fail casting the dates to float)."""
    by_year = bacon(castle, yname="l_homicide", dname="post", idname="state", tname="year")
    dated = castle.assign(year=pd.to_datetime(castle["year"].astype(str) + "-01-01"))
    by_date = bacon(dated, yname="l_homicide", dname="post", idname="state", tname="year")
    assert by_date.twfe == pytest.approx(by_year.twfe, abs=1e-12)
    a, b = by_year.two_by_twos, by_date.two_by_twos
    assert np.allclose(a["estimate"], b["estimate"]) and np.allclose(a["weight"], b["weight"])
    assert [t.year for t in b["treated"]] == a["treated"].astype(int).tolist()
    assert [u if u == np.inf else u.year for u in b["untreated"]] == a["untreated"].tolist()
