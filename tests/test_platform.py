"""Platform migration as a reporting break: calendar in the config, flag per ward and outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wijklib import check, demo, geo, panel, sources


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_platform")
    city = demo.generate(out, seed=11, scale=0.05)
    return city, panel.load_demo(out), out


def test_demo_migration_is_flagged_per_ward_and_outcome(demo_tables):
    city, tables, _ = demo_tables
    p = panel.build(tables)
    g = p.set_index(["unit", "period"])
    gebied = geo.hierarchy().drop_duplicates("wijkraad_id").set_index("wijkraad_id")["gebied"]
    # Before the first switch nothing moved; after the last city-wide switch every public-space outcome did.
    assert (p.loc[p["period"] < "2023-09-01", [f"platform_{c}" for c in ("grofvuil", "afval", "parkeren")]]
            .fillna(0) == 0).all().all()
    late = p[p["period"] >= "2024-11-01"]
    for c in ("afval", "grofvuil", "zwerfvuil", "parkeren", "fietswrakken", "verwaarlozing"):
        assert np.allclose(late[f"platform_{c}"].dropna(), 1.0)
    assert (p["platform_jeugd"].fillna(0) == 0).all() and (p["platform_overlast"].fillna(0) == 0).all()
    # Staggered: grofvuil moved in Delfshaven in Sept/Oct 2023, in Charlois only in April 2024.
    breaks = pd.DataFrame(p.attrs["breaks"])
    gv = breaks[breaks["outcome"] == "n_grofvuil"].set_index("unit")
    delfs = [u for u in gv.index if gebied[u] == "Delfshaven"]
    charl = [u for u in gv.index if gebied[u] == "Charlois"]
    assert delfs and charl
    assert (gv.loc[delfs, "period"] == pd.Timestamp("2023-09-01")).all()
    assert (gv.loc[charl, "period"] == pd.Timestamp("2024-04-01")).all()
    assert breaks["unit"].nunique() == p["unit"].nunique()  # every ward has at least one break
    # A ward's share in the month of its switch is the share of the month's days after it.
    u = delfs[0]
    assert g.loc[(u, pd.Timestamp("2023-09-01")), "platform_grofvuil"] == pytest.approx(18 / 30)
    assert city.truth["platform_migration"]["rate_ratio"] < 1  # MOR merges duplicates: a reporting break


def test_calendar_by_subject_and_buurt_with_subject_mix(tmp_path):
    # Two afval subjects; only one moves, in one buurt: the ward's afval share is that subject's mix.
    tarwe = "BU05991571"
    rows = []
    for m in pd.date_range("2024-01-01", "2024-04-01", freq="MS"):
        rows += [(m + pd.Timedelta(days=2), "afval", "Afval naast wijkcontainer", tarwe, "MOR")] * 3
        rows += [(m + pd.Timedelta(days=3), "afval", "Wijkcontainer", tarwe, "MOR")]
    ev = pd.DataFrame(rows, columns=["ontvangen", "categorie", "subcategorie", "buurt_code", "systeem"])
    cal = sources.parse_platforms({"meldingen": {"default": "MSB", "switches": [
        {"system": "MOR", "from": "2024-03-01", "subjects": ["afval naast wijkcontainer"],
         "areas": {"buurt": ["Tarwewijk"]}}]}}, "x.yaml", {"meldingen": None})["meldingen"]
    s = panel.platform_share(ev, cal, "wijkraad", units=["tarwewijk", "pernis"])
    t = s[s["unit"] == "tarwewijk"]["platform_afval"].tolist()
    assert t == [0.0, 0.0, 0.75, 0.75]
    assert s[s["unit"] == "pernis"]["platform_afval"].isna().all()  # no afval reports there at all
    with pytest.raises(ValueError, match=r"areas.gebied: 'Charloiss'"):
        bad = sources.parse_platforms({"meldingen": {"switches": [
            {"system": "MOR", "from": "2024-03", "areas": {"gebied": ["Charloiss"]}}]}}, "x.yaml", {"meldingen": None})
        panel.platform_share(ev, bad["meldingen"], "wijkraad")


def test_check_reports_the_breaks(demo_tables):
    _, _, out = demo_tables
    res = check.check(out / "sources.yaml", html=None)
    assert res.ok
    assert res.breaks is not None and res.breaks["unit"].nunique() == 39
    assert "reporting breaks (platform migration):" in res.text()
    assert "MSB" in res.text() or "msb" in res.text()


def test_migration_alone_gives_no_effect_verdict(demo_tables):
    """A priority on a migrated outcome whose months straddle the ward's (relative) switch is
    'onvoldoende gegevens' with the registration break as the reason, never 'op koers'/'ongunstig'."""
    import warnings

    from wijklib import monitor
    from wijklib.monitor.evaluation import platform_break_reason

    _, tables, _ = demo_tables
    p = panel.build(tables)
    wards = sorted(p["unit"].unique())
    akk = pd.DataFrame([{"wijkraad_id": w, "jaar": 2024, "thema": "grofvuil", "indicator": "grofvuil",
                         "bron": "meldingen", "richting": "omlaag"} for w in wards])
    t = dict(tables)
    t["wijkakkoorden"] = akk.astype({c: tables["wijkakkoorden"][c].dtype for c in akk.columns
                                     if c in tables["wijkakkoorden"].columns})
    ctx = monitor.Context(t, p, config="config/monitor.yaml")
    gebied = geo.hierarchy().drop_duplicates("wijkraad_id").set_index("wijkraad_id")["gebied"]
    flagged = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for w in [u for u in wards if gebied[u] == "Delfshaven"]:
            ev = monitor.evaluate_ward(w, 2024, context=ctx)
            v = [x for x in ev.priorities if x.indicator == "grofvuil"][0]
            if "registratiebreuk" in (v.reason or ""):
                flagged += 1
                assert v.verdict == monitor.ONVOLDOENDE
    # The break is real in these wards (the calendar moved grofvuil there at other dates than elsewhere).
    assert flagged >= 1
    assert platform_break_reason(p, wards[0], "jeugd", pd.Timestamp("2023-01-01"), pd.Timestamp("2024-12-01")) is None
