"""wijklib.panel: grids with explicit zeros, missing flags, hours, follow-up, compliance, treatment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wijklib import demo, geo, panel

TARWE = "BU05991571"  # buurt of wijk and wijkraad Tarwewijk


@pytest.fixture(scope="module")
def city():
    return demo.simulate(seed=3, scale=0.05)


def _meldingen(rows):
    df = pd.DataFrame(rows, columns=["ontvangen", "afgehandeld", "status", "categorie", "buurt_code"])
    df["ontvangen"] = pd.to_datetime(df["ontvangen"])
    df["afgehandeld"] = pd.to_datetime(df["afgehandeld"])
    return df


def _frozen(obj):
    return {k: (v.copy(deep=True), dict(v.attrs)) for k, v in obj.items()}


def test_zero_versus_missing():
    ev = _meldingen([("2021-01-05 10:00", "2021-01-06 10:00", "afgehandeld", "afval", TARWE),
                     ("2021-03-02 09:00", None, "open", "jeugd", TARWE)])
    p = panel.build({"meldingen": ev}, level="buurt", start="2020-12", end="2021-04",
                    coverage={"meldingen": {"start": "2021-01", "end": "2021-03"}})
    row = p[p["unit"] == TARWE].set_index("period")
    assert row["missing_meldingen"].tolist() == [True, False, False, False, True]
    assert row["n_afval"].tolist()[1:4] == [1.0, 0.0, 0.0]
    assert np.isnan(row["n_afval"].iloc[0]) and np.isnan(row["n_afval"].iloc[-1])
    assert row["n_jeugd"].tolist()[1:4] == [0.0, 0.0, 1.0]
    # Every other buurt: zeros inside coverage, NaN outside.
    other = p[p["unit"] != TARWE]
    assert (other.loc[~other["missing_meldingen"], "n_meldingen"] == 0).all()
    assert other.loc[other["missing_meldingen"], "n_meldingen"].isna().all()
    assert set(p["unit"]) == set(geo.hierarchy()["buurt_code"])


def test_listed_missing_period_and_attrs_coverage():
    ev = _meldingen([("2021-01-05 10:00", None, "open", "afval", TARWE)])
    ev.attrs["coverage"] = {"start": "2021-01", "end": "2021-04", "missing_periods": ["2021-02"]}
    p = panel.build({"meldingen": ev}, level="wijkraad")
    t = p[p["unit"] == "tarwewijk"].set_index("period")
    assert list(t.index.strftime("%Y-%m")) == ["2021-01", "2021-02", "2021-03", "2021-04"]
    assert t["missing_meldingen"].tolist() == [False, True, False, False]
    assert t["n_afval"].iloc[0] == 1 and np.isnan(t["n_afval"].iloc[1]) and t["n_afval"].iloc[2] == 0


def test_covered_needs_the_whole_period():
    per = pd.date_range("2021-01-01", "2021-04-01", freq="MS")
    assert panel.covered({"start": "2021-01-15", "end": "2021-04"}, per).tolist() == [False, True, True, True]
    weeks = pd.date_range("2021-02-22", "2021-03-15", freq="W-MON")
    spec = {"start": "2021-01", "end": "2021-12", "missing_weeks": ["2021-03-01"]}
    assert panel.covered(spec, weeks, "W").tolist() == [True, False, True, True]
    months = pd.date_range("2021-02-01", "2021-04-01", freq="MS")
    assert panel.covered(spec, months).tolist() == [True, False, True]


def test_enforcement_hours_absent_week_is_missing():
    weeks = pd.date_range("2024-01-01", "2024-03-25", freq="W-MON")
    h = pd.DataFrame({"wijkraad_id": "tarwewijk", "week": weeks, "uren": 7.0})
    h = h[h["week"] != pd.Timestamp("2024-02-12")]  # one week absent from the register
    m = panel.enforcement_hours(h, "wijkraad", "M", units=["tarwewijk"])
    assert m["period"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03"]
    assert m["missing_handhaving_uren"].tolist() == [False, True, False]
    # 7 h per week spread over 7 days: 1 h per day; January has 31 days in registered weeks.
    assert m["uren"].iloc[0] == pytest.approx(31.0)
    w = panel.enforcement_hours(h, "wijkraad", "W", units=["tarwewijk"])
    assert w.loc[w["period"] == "2024-02-12", "missing_handhaving_uren"].item()
    assert w.loc[w["period"] == "2024-02-19", "uren"].item() == 7.0
    with pytest.raises(ValueError, match="not a Monday"):
        panel.enforcement_hours(h.assign(week=h["week"] + pd.Timedelta(days=1)), "wijkraad", "W")
    with pytest.raises(ValueError, match="per wijkraad"):
        panel.enforcement_hours(h, "buurt", "M")


def test_treatment_columns():
    iv = pd.DataFrame({"wijkraad_id": ["tarwewijk", "pernis", "kralingen"],
                       "start": pd.to_datetime(["2021-02-15", None, "2019-06-01"]),
                       "uren_per_week": [40.0, 0.0, 60.0]})
    per = pd.date_range("2021-01-01", "2021-04-01", freq="MS")
    tr = panel.treatment(iv, ["kralingen", "pernis", "tarwewijk"], per)
    t = tr.set_index(["unit", "period"])
    assert tr["t"].tolist()[:4] == [1, 2, 3, 4]
    assert t.loc["tarwewijk", "treated"].tolist() == [0, 1, 1, 1]
    assert t.loc["tarwewijk", "gname"].unique().tolist() == [2]
    assert t.loc["tarwewijk", "rel_time"].tolist() == [-1, 0, 1, 2]
    assert (t.loc["tarwewijk", "first_treated"] == pd.Timestamp("2021-02-01")).all()
    assert t.loc["pernis", "treated"].tolist() == [0, 0, 0, 0]
    assert t.loc["pernis", "gname"].unique().tolist() == [0]
    assert t.loc["pernis", "first_treated"].isna().all() and t.loc["pernis", "rel_time"].isna().all()
    # Treated before the window: always treated, gname 1.
    assert t.loc["kralingen", "treated"].tolist() == [1, 1, 1, 1]
    assert t.loc["kralingen", "gname"].unique().tolist() == [1]
    # Buurten inherit the start of their wijkraad.
    b = panel.treatment(iv, [TARWE], per, level="buurt")
    assert b["treated"].tolist() == [0, 1, 1, 1]
    with pytest.raises(ValueError, match="more than once"):
        panel.treatment(pd.concat([iv, iv.iloc[[0]]]), ["tarwewijk"], per)
    # Weekly: the start week.
    wk = panel.treatment(iv, ["tarwewijk"], pd.date_range("2021-02-08", periods=3, freq="W-MON"), freq="W")
    assert wk["treated"].tolist() == [0, 1, 1] and wk["gname"].iloc[0] == 2


def test_aggregation_levels_agree(city):
    b = panel.build(city.tables, level="buurt", sources=["meldingen", "handhaving", "politie"])
    w = panel.build(city.tables, level="wijkraad", sources=["meldingen", "handhaving", "politie"])
    hier = geo.hierarchy()
    wr = pd.Series(hier["wijkraad_id"].to_numpy(), index=hier["buurt_code"])
    cols = ["n_meldingen", "n_afval", "n_controles", "n_controles_overtreding", "n_misdrijven"]
    up = b.assign(unit=b["unit"].map(wr)).groupby(["unit", "period"])[cols].sum(min_count=1)
    down = w.set_index(["unit", "period"])[cols]
    pd.testing.assert_frame_equal(up.sort_index(), down.sort_index(), check_names=False)
    pop = w.groupby("period")["population"].sum()
    assert pop.iloc[0] > 500_000


def test_rates_followup_and_compliance_values(city):
    p = panel.build(city.tables, level="wijkraad", sources=["meldingen", "handhaving"])
    ok = p["population"] > 0
    assert np.allclose(p.loc[ok, "rate_afval"], p.loc[ok, "n_afval"] / p.loc[ok, "population"] * 1000)
    m = city.tables["meldingen"]
    hier = geo.hierarchy()
    wr = pd.Series(hier["wijkraad_id"].to_numpy(), index=hier["buurt_code"])
    sel = m[(m["buurt_code"].map(wr) == "tarwewijk") & (m["status"] == "afgehandeld")
            & (m["ontvangen"].dt.year == 2022) & (m["ontvangen"].dt.month == 6)]
    days = (sel["afgehandeld"] - sel["ontvangen"]).dt.total_seconds() / 86400
    row = p[(p["unit"] == "tarwewijk") & (p["period"] == "2022-06-01")].iloc[0]
    assert row["n_afgehandeld"] == len(sel)
    if len(sel):
        assert row["doorlooptijd_mediaan"] == pytest.approx(np.median(days))
        assert row["doorlooptijd_p90"] == pytest.approx(np.quantile(days, 0.9))
    acts = pd.DataFrame({"datum": pd.to_datetime(["2021-01-05"] * 4 + ["2021-02-01"]),
                         "buurt_code": [TARWE] * 5,
                         "actie": ["controle", "controle", "controle", "waarschuwing", "waarschuwing"],
                         "overtreding": [False, False, True, True, True]})
    c = panel.compliance(acts, "buurt", units=[TARWE])
    assert c["n_controles"].tolist() == [3, 0]
    assert c["naleving"].iloc[0] == pytest.approx(2 / 3) and np.isnan(c["naleving"].iloc[1])
    assert c["n_sancties"].tolist() == [1, 1]


def test_weekly_panel_counts(city):
    p = panel.build(city.tables, level="wijkraad", freq="W", sources=["meldingen", "interventie"])
    assert (p["period"].dt.day_of_week == 0).all()
    assert "n_misdrijven" not in p.columns  # police data are monthly
    inside = p[~p["missing_meldingen"]]
    m = city.tables["meldingen"]
    wk = m["ontvangen"].dt.normalize() - pd.to_timedelta(m["ontvangen"].dt.day_of_week, unit="D")
    assert int(inside["n_meldingen"].sum()) == int(wk.isin(inside["period"].unique()).sum())
    # 2017-01-01 is a Sunday: the week of 26 Dec 2016 is only partly covered.
    assert p["period"].min() == pd.Timestamp("2017-01-02")


def test_gebied_level_treated_share(city):
    p = panel.build(city.tables, level="gebied", sources=["meldingen", "interventie"])
    assert "treated_share" in p.columns and "gname" not in p.columns
    assert p["treated_share"].between(0, 1).all()
    assert p.loc[p["period"] == "2017-01-01", "treated_share"].eq(0).all()


def test_inputs_are_never_mutated(city):
    before = _frozen(city.tables)
    panel.build(city.tables, level="wijkraad")
    panel.treatment(city.tables["interventie"], None, pd.date_range("2019-01-01", periods=3, freq="W-MON"),
                    level="buurt", freq="W")
    panel.meldingen_counts(city.tables["meldingen"], "wijk")
    panel.followup_times(city.tables["meldingen"], "wijkraad")
    panel.compliance(city.tables["handhaving"], "wijkraad")
    panel.enforcement_hours(city.tables["handhaving_uren"], "wijkraad")
    panel.politie(city.tables["politie"], "gebied")
    for k, (df, attrs) in before.items():
        pd.testing.assert_frame_equal(city.tables[k], df)
        assert city.tables[k].attrs == attrs


def test_clear_errors(city):
    m = city.tables["meldingen"]
    with pytest.raises(ValueError, match="level must be one of"):
        panel.build(city.tables, level="stadsdeel")
    with pytest.raises(ValueError, match="freq"):
        panel.build(city.tables, freq="Q")
    with pytest.raises(ValueError, match="unknown sources"):
        panel.build(city.tables, sources=["meldingen", "twitter"])
    with pytest.raises(ValueError, match="monthly"):
        panel.build(city.tables, freq="W", sources=["politie"])
    with pytest.raises(ValueError, match="per wijkraad"):
        panel.build(city.tables, level="buurt", sources=["handhaving_uren"])
    bad = m.head(3).assign(buurt_code=["BU05999999", TARWE, TARWE])
    with pytest.raises(ValueError, match="BU05999999"):
        panel.meldingen_counts(bad, "wijkraad")
    with pytest.raises(ValueError, match="lacks columns"):
        panel.meldingen_counts(m.drop(columns="categorie"), "wijkraad")
    with pytest.raises(KeyError, match="no panel column"):
        panel.indicator_column("veiligheidsbeleving subjectief")


def test_wijkakkoord_indicators_map_to_panel_columns(city):
    p = panel.build(city.tables, level="wijkraad")
    ak = city.tables["wijkakkoorden"]
    for ind in ak.loc[ak["bron"].isin(["meldingen", "handhaving", "politie"]), "indicator"].unique():
        assert panel.indicator_column(ind) in p.columns, ind


def test_politie_absent_rows_are_zero_suppressed_values_missing():
    pol = pd.DataFrame({"buurt_code": [TARWE] * 3,
                        "maand": pd.to_datetime(["2021-01-01", "2021-01-01", "2021-02-01"]),
                        "misdrijf_code": ["2.2.1", "1.1.1", "2.2.1"], "misdrijf": ["V", "W", "V"],
                        "aantal": pd.array([3, None, 2], dtype="Int64")})
    got = panel.politie(pol, "buurt", units=[TARWE])
    assert got["n_misdrijf_1_1_1"].isna().tolist() == [True, False]
    assert got["n_misdrijf_1_1_1"].iloc[1] == 0  # absent row = zero
    assert got["missing_politie"].tolist() == [True, False]
    p = panel.build({"politie": pol}, level="buurt", start="2021-01", end="2021-02")
    t = p[p["unit"] == TARWE]
    assert t["missing_politie"].tolist() == [True, False]
    assert np.isnan(t["n_misdrijven"].iloc[0]) and t["n_misdrijven"].iloc[1] == 2
    complete = panel.politie(pol.assign(aantal=[3, 1, 2]), "buurt", units=[TARWE])
    assert complete["n_misdrijven"].dtype == "int64" and "missing_politie" not in complete.columns
