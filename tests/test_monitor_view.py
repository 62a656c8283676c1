"""One pipeline for every city: a run with only some sources, the monitor's view of the ward, placebo runs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

from wijklib import monitor
from wijklib.monitor import view
from wijklib.report.settings import ConfigError, load_config

ABSENT = ("wijkprofiel", "signalen", "netwerk_overleggen", "netwerk_samenwerking", "handhaving", "handhaving_uren")


@pytest.fixture(scope="module")
def small_city():
    from wijklib.demo import simulate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate(scale=0.02).tables


def test_priorities_of_sources_not_delivered_get_insufficient_data_with_the_reason(small_city):
    tables = {k: v for k, v in small_city.items() if k not in ABSENT}
    ctx = monitor.Context(tables, outcomes=["afval"])
    akk = tables["wijkakkoorden"]
    ward = akk.loc[(akk["jaar"] == 2025) & (akk["bron"] == "wijkprofiel"), "wijkraad_id"].iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = monitor.evaluate_ward(ward, 2025, context=ctx, previous=False)
    pr = ev.to_frame()
    survey = pr[pr["bron"] == "wijkprofiel"]
    assert len(survey) > 0
    assert (survey["oordeel"] == monitor.ONVOLDOENDE).all()
    assert survey["reden"].str.contains("bron Wijkprofiel (enquête) is niet geleverd", regex=False).all()
    # A priority whose source was delivered is measured as before, never blamed on a missing source.
    delivered = pr[pr["bron"] == "meldingen"]
    assert len(delivered) > 0 and not delivered["reden"].str.contains("niet geleverd").any()
    # Each level states in plain Dutch which of its sources were not delivered.
    stated = view.not_delivered(tables)
    assert stated["level2"] == ("Niet geleverd: Wijkprofiel (enquête) en signalen uit de wijk. "
                                "Dit niveau kan daarom niet worden beschreven.")
    assert "netwerkoverleggen en samenwerking met partners" in stated["level3"]
    assert stated["level1"].startswith("Niet geleverd: handhavingsacties en handhavingsuren.")
    assert "akkoord" not in stated


def test_a_source_in_the_panel_counts_as_delivered():
    pnl = pd.DataFrame(columns=["unit", "period", "n_meldingen"])
    assert view.missing_source_reason("meldingen", view.delivered_sources({}, pnl)) is None
    assert view.missing_source_reason("politie", view.delivered_sources({}, pnl)) is not None


def test_placebo_panel_treats_one_unit_only_and_refuses_a_start_outside_the_panel():
    per = pd.date_range("2015-01-01", periods=4, freq="MS")
    p = pd.DataFrame({"unit": np.repeat(["a", "b", "c"], 4), "period": np.tile(per, 3), "t": np.tile([1, 2, 3, 4], 3)})
    out = view.placebo_panel(p, "b", "2015-03")
    from wijklib.monitor import design

    starts = design.treatment_starts(out)
    assert starts["b"] == pd.Timestamp("2015-03-01") and starts.drop("b").isna().all()
    assert out.loc[out.unit == "b", "treated"].tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError, match="not a period of unit 'a'"):
        view.placebo_panel(p, "a", "2016-01")


def test_significant_share_is_calibrated_on_null_p_values():
    rng = np.random.default_rng(3)
    s = view.significant_share(rng.uniform(size=4000))
    assert abs(s["aandeel"] - 0.05) < 0.012 and s["ci_low"] < 0.05 < s["ci_high"]
    assert view.significant_share([float("nan"), 0.01])["n_tests"] == 1  # NaN p-values are not tests


def _write(tmp_path, **cfg):
    base = {"naam": "Teststad", "demodata": False, "eenheid": "wijk", "notebook": "notebooks/wijkrapport.ipynb",
            "data_dir": str(tmp_path)}
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({**base, **cfg}), encoding="utf-8")
    return tmp_path / "run.yaml"


def test_config_of_sources_errors_name_the_key_and_value(tmp_path):
    with pytest.raises(ConfigError, match="'bron' .*'demo'.* no longer exists"):
        load_config(_write(tmp_path, bron="demo", gegevens={"politie": "x.csv"}))
    with pytest.raises(ConfigError, match="unknown source 'polite'"):
        load_config(_write(tmp_path, gegevens={"polite": "x.csv"}))
    with pytest.raises(ConfigError, match="no sources"):
        load_config(_write(tmp_path))
    cfg = load_config(_write(tmp_path, gegevens={"politie": {"bestanden": "politie_*.csv"}}))
    from wijklib.report import evaluations

    with pytest.raises(ConfigError, match=r"gegevens\.politie\.bestanden = \['politie_\*\.csv'\]: no files match"):
        evaluations.load_tables(cfg)


def test_ward_report_with_only_some_sources_states_what_was_not_delivered(tmp_path, monkeypatch):
    """A run config of a few sources (meldingen, wijkakkoorden, interventie; different folder, no
    Wijkprofiel, police, enforcement or network): the report states each missing level and source, and a
    Wijkprofiel priority is 'onvoldoende gegevens' because its source was not delivered."""
    from wijklib import demo
    from wijklib.report import content

    data = tmp_path / "export"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        demo.generate(data, seed=11, scale=0.02)
    cfg = _write(tmp_path, eenheid="wijkraad", data_dir=str(data), monitor_config="config/monitor.yaml",
                 gegevens={"meldingen": {"bestanden": "meldingen_*.csv", "dekking": {"start": "2017-01", "end": "2025-12"}},
                           "wijkakkoorden": "wijkakkoorden.csv", "interventie": "interventie.csv"})
    monkeypatch.setenv("WIJKLIB_REPORT_CACHE", str(tmp_path / "cache"))
    shown: list[str] = []
    monkeypatch.setattr(content, "_display", lambda obj: shown.append(getattr(obj, "data", str(obj))))
    monkeypatch.setattr(content, "record_headline", lambda values: shown.append(str(values)))
    from wijklib import load

    akk = load.wijkakkoorden(str(data / "wijkakkoorden.csv"))
    ward = akk.loc[(akk["jaar"] == 2025) & (akk["bron"] == "wijkprofiel"), "wijkraad_id"].iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = content.WardReport(ward, 2025, str(cfg))
        r.summary()
        r.level2()
        r.level3()
    text = "\n".join(shown)
    assert "Niet geleverd: Wijkprofiel (enquête) en signalen uit de wijk. Dit niveau kan daarom niet" in text
    assert "Niet geleverd: netwerkoverleggen en samenwerking met partners." in text
    pr = r.priorities()
    survey = pr[pr["bron"] == "wijkprofiel"]
    assert len(survey) and (survey["oordeel"] == monitor.ONVOLDOENDE).all()
    assert "bron Wijkprofiel (enquête) is niet geleverd" in text  # the reason is printed in 'In het kort'
    assert sorted(r.headline()["niet_geleverd"])[:2] == ["focusgebieden", "handhaving"]


def test_placebo_start_must_be_a_month(tmp_path):
    with pytest.raises(ConfigError, match=r"opties\.placebo_start: expected a month 'YYYY-MM'.*'2015-13'"):
        load_config(_write(tmp_path, gegevens={"politie": "x.csv"}, opties={"placebo_start": "2015-13"}))
    assert load_config(_write(tmp_path, gegevens={"politie": "x.csv"},
                              opties={"placebo_start": "2015-01"})).option("placebo_start") == "2015-01"
