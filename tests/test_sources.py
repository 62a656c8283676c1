"""wijklib.sources: run configs name files, layouts, column/value maps, delivery periods and gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wijklib import panel, sources

HEADER = "Meldnr;Datum melding;Datum afhandeling;Kanaal;Soort;Subcategorie;Buurtcode;Status\n"
# Buurten of three different wijkraden (Tarwewijk, Stadsdriehoek, Schiemond).
BUURTEN = ["BU05991571", "BU05990110", "BU05990320"]


def _meldingen_csv(path, months, per_month=30, category="Vuil op straat"):
    """A municipal meldingen export with a renamed id header ('Meldnr'), a renamed category header
    ('Soort') and a municipality's own category word; ``months`` are 'YYYY-MM' with reports."""
    lines = [HEADER]
    n = 0
    for m in months:
        for i in range(per_month):
            n += 1
            day = 1 + i % 27
            b = BUURTEN[i % len(BUURTEN)]
            lines.append(f"M{n};{day:02d}-{m[5:]}-{m[:4]} 10:00;;MeldR;{category};x;{b};open\n")
    path.write_text("".join(lines), encoding="utf-8")


def _config(tmp_path, text):
    p = tmp_path / "run.yaml"
    p.write_text(text, encoding="utf-8")
    return p


MAPS = """\
    columns: {melding_id: Meldnr, categorie: Soort}
    values: {categorie: {"Vuil op straat": zwerfvuil}}
"""


def test_column_and_value_map_are_one_line_of_yaml(tmp_path):
    _meldingen_csv(tmp_path / "export_a.csv", ["2021-01", "2021-02"])
    cfg = _config(tmp_path, "sources:\n  meldingen:\n    files: export_*.csv\n" + MAPS
                  + "    period: {start: 2021-01, end: 2021-02}\n")
    t = sources.load(cfg)
    m = t["meldingen"]
    assert len(m) == 60 and set(m["categorie"]) == {"zwerfvuil"} and m["melding_id"].iloc[0] == "M1"
    assert t.coverage["meldingen"]["declared"] is True
    assert t.reports["meldingen"].rows == 60 and t.reports["meldingen"].files[0]["file"] == "export_a.csv"


def test_undelivered_month_is_missing_for_every_ward_and_a_delivered_empty_month_is_zero(tmp_path):
    # Delivered Jan-Jun 2021; March was not delivered (declared gap), May was delivered but empty.
    _meldingen_csv(tmp_path / "m.csv", ["2021-01", "2021-02", "2021-04", "2021-06"])
    cfg = _config(tmp_path, "sources:\n  meldingen:\n    files: m.csv\n" + MAPS
                  + "    period: {start: 2021-01, end: 2021-06}\n    gaps: ['2021-03']\n")
    t = sources.load(cfg)
    p = panel.build(t, level="wijkraad")
    by = p.set_index(["period", "unit"])
    march = by.xs(pd.Timestamp("2021-03-01"), level="period")
    may = by.xs(pd.Timestamp("2021-05-01"), level="period")
    assert len(march) == p["unit"].nunique() > 30
    assert march["n_meldingen"].isna().all() and march["missing_meldingen"].all()
    assert march["rate_zwerfvuil"].isna().all()
    assert (may["n_meldingen"] == 0).all() and not may["missing_meldingen"].any()
    jan = by.xs(pd.Timestamp("2021-01-01"), level="period")
    assert jan["n_meldingen"].sum() == 30
    assert t.reports["meldingen"].empty_months == ["2021-05"]


def test_without_declared_period_an_empty_month_is_inferred_missing_not_zero(tmp_path):
    # Fallback (no period declared): the coverage is inferred from the data, and a month without a
    # single row in a source of ~30 rows a month is not delivered.
    _meldingen_csv(tmp_path / "m.csv", ["2021-01", "2021-02", "2021-04"])
    cfg = _config(tmp_path, "sources:\n  meldingen:\n    files: m.csv\n" + MAPS)
    with pytest.warns(UserWarning, match="declares no period"):
        t = sources.load(cfg)
    p = panel.build(t, level="wijkraad")
    march = p[p["period"] == "2021-03-01"]
    assert march["n_meldingen"].isna().all() and march["missing_meldingen"].all()
    assert p.attrs["coverage"]["meldingen"]["declared"] is False
    assert p.attrs["coverage"]["meldingen"]["inferred_missing"] == ["2021-03"]
    feb = p[p["period"] == "2021-02-01"]
    assert feb["n_meldingen"].sum() == 30


def test_data_outside_the_declared_period_is_reported_and_missing(tmp_path):
    _meldingen_csv(tmp_path / "m.csv", ["2020-12", "2021-01"])
    cfg = _config(tmp_path, "sources:\n  meldingen:\n    files: m.csv\n" + MAPS
                  + "    period: {start: 2021-01, end: 2021-01}\n")
    t = sources.load(cfg)
    assert t.reports["meldingen"].outside_period == 30
    p = panel.build(t, start="2020-12", end="2021-01")
    assert p.loc[p["period"] == "2020-12-01", "n_meldingen"].isna().all()


@pytest.mark.parametrize("text, match", [
    ("sources:\n  meldingen:\n    layout: wijkilb\n    files: m.csv\n",
     r"run.yaml: sources.meldingen.layout = 'wijkilb': unknown layout .*expected one of .*did you mean 'wijklib'"),
    ("sources:\n  meldingen:\n    files: nothere_*.csv\n",
     r"run.yaml: sources.meldingen.files = \['nothere_\*.csv'\]: no files match"),
    ("sources:\n  meldingen:\n    files: m.csv\n    columns: {melding_id: Meldnummer, categorie: Soort}\n",
     r"run.yaml: sources.meldingen.columns.melding_id = 'Meldnummer': no such header"),
    ("sources:\n  meldingen:\n    files: m.csv\n" + MAPS.replace("Soort}", "Soort, omschrijving: Tekstveld}"),
     r"run.yaml: sources.meldingen.columns.omschrijving = 'Tekstveld': file m.csv has no header 'Tekstveld'"),
    ("sources:\n  meldingen:\n    files: m.csv\n    columns: {datum: Soort}\n",
     r"sources.meldingen.columns.datum = 'Soort': 'datum' is not a column of layout 'wijklib'"),
    ("sources:\n  meldingen:\n    files: m.csv\n    values: {categorie: {Vuil: vuilnis}}\n",
     r"sources.meldingen.values.categorie.Vuil = 'vuilnis': expected one of afval"),
    ("sources:\n  meldingenn:\n    files: m.csv\n", r"sources.meldingenn = .*unknown source .*did you mean 'meldingen'"),
    ("sources:\n  meldingen:\n    files: m.csv\n    period: {start: 2021-13, end: 2021-06}\n",
     r"sources.meldingen.period.start = '2021-13': expected a month jjjj-mm"),
    ("sources:\n  meldingen:\n    files: m.csv\n    perod: {start: 2021-01}\n",
     r"sources.meldingen.perod = .*unknown key.*did you mean 'period'"),
    ("sources:\n  meldingen:\n    files: m.csv\n    period: {start: 2021-01, end: 2021-06}\n    gaps: ['2022-03']\n",
     r"sources.meldingen.gaps = '2022-03-01..2022-03-31': the gap lies outside the declared period"),
    ("bronnen: []\n", r"run.yaml: sources = None: missing"),
])
def test_bad_configs_name_file_key_and_value(tmp_path, text, match):
    _meldingen_csv(tmp_path / "m.csv", ["2021-01"])
    cfg = _config(tmp_path, text)
    with pytest.raises(ValueError, match=match):
        sources.load(cfg)


def test_any_subset_of_sources_and_the_demo_is_a_config(tmp_path):
    from wijklib import demo

    demo.generate(tmp_path, seed=5, scale=0.02)
    t = sources.load(tmp_path / "sources.yaml", sources=["politie", "interventie"])
    assert sorted(t) == ["interventie", "politie"]
    p = panel.build(t)
    assert "n_misdrijven" in p and "n_meldingen" not in p
    assert not np.isnan(p["n_misdrijven"]).all()


def test_example_real_config_parses():
    from wijklib.config import CONFIG_DIR

    cfg = sources.parse(CONFIG_DIR / "example-real.yaml")
    assert [p.layout for p in cfg.sources["meldingen"].parts] == ["msb", "mor"]
    assert cfg.sources["meldingen"].declared and cfg.sources["meldingen"].gaps
    assert len(cfg.platforms["meldingen"].switches) == 4
