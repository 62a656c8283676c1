"""A second city's exports, different names and two renamed headers: config only, no code change."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wijklib import cli, geo, panel, sources
from wijklib.demo._platforms import write_mor


def _write_city(root):
    rng = np.random.default_rng(3)
    b = geo.centroids("buurt").merge(geo.hierarchy()[["buurt_code", "buurt"]], on="buurt_code")
    b = b.sample(60, random_state=2).reset_index(drop=True)
    n = 900
    pick = b.iloc[rng.integers(0, len(b), n)].reset_index(drop=True)
    f = pd.DataFrame({
        "melding_id": [str(i + 1) for i in range(n)],
        "ontvangen": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
        "status": rng.choice(["afgehandeld", "open"], n, p=[0.8, 0.2]),
        "onderwerp": rng.choice(["Grofvuil", "Zwerfafval", "Afvalbak", "Gladheid"], n),
        "lat": pick["lat"], "lon": pick["lon"], "buurtnaam": pick["buurt"], "wijknaam": "", "omschrijving": ""})
    f["afgehandeld"] = f["ontvangen"] + pd.Timedelta(days=2)
    f.loc[:99, ["lat", "lon"]] = np.nan
    mor = root / "leveringen" / "mor-2025-01"
    write_mor(f, mor, prefix="acc-")
    # Two renamed headers, as a municipality's own DWH view might have them.
    for name, old, new in (("acc-dwh_meldingen_melding.csv", "origineel_aangemaakt", "ontvangen_op"),
                           ("acc-dwh_locatie_locatie.csv", "buurtnaam", "buurt_naam")):
        p = mor / name
        lines = p.read_text().split("\n")
        lines[0] = ",".join(new if c == old else c for c in lines[0].split(","))
        p.write_text("\n".join(lines))
    pol = root / "leveringen" / "cbs"
    pol.mkdir(parents=True)
    rows = ["ID;SoortMisdrijf;Omschrijving misdrijf;WijkenEnBuurten;Perioden;GeregistreerdeMisdrijven_1"]
    i = 0
    for code in b["buurt_code"][:20]:
        for m in range(1, 13):
            rows.append(f"{i};2.2.1;Vernieling;{code}  ;2024MM{m:02d};{rng.integers(0, 9)}")
            i += 1
    (pol / "47018NED_2024.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cfg = root / "config" / "stad.yaml"
    cfg.parent.mkdir()
    cfg.write_text(
        "naam: Tweede stad\n"
        "data_root: ../leveringen\n"
        "sources:\n"
        "  meldingen:\n"
        "    layout: mor\n"
        "    files: mor-2025-01/acc-*.csv\n"
        "    columns:\n"
        "      melding.origineel_aangemaakt: ontvangen_op\n"
        "      locatie.buurtnaam: buurt_naam\n"
        "    period: {start: 2024-01, end: 2024-12}\n"
        "  politie:\n"
        "    layout: cbs_statline\n"
        "    files: cbs/47018NED_*.csv\n"
        "    period: {start: 2024-01, end: 2024-12}\n", encoding="utf-8")
    return cfg


def test_second_city_checks_and_builds_a_panel(tmp_path, capsys):
    cfg = _write_city(tmp_path)
    rc = cli.main(["check", "--config", str(cfg), "--html", str(tmp_path / "check.html")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "units matched: by code 0, by point 800, by name 100, not 0" in out
    assert "files read: acc-dwh_meldingen_melding.csv (900 rows)" in out
    assert "47018NED_2024.csv (240 rows)" in out
    t = sources.load(cfg)
    assert sorted(t) == ["meldingen", "politie"]
    p = panel.build(t)
    assert p["n_meldingen"].sum() == 900 and p["n_misdrijven"].notna().all()
    assert p["n_grofvuil"].sum() == (t["meldingen"]["subcategorie"] == "Grofvuil").sum()


def test_second_city_without_the_column_map_fails_clearly(tmp_path):
    cfg = _write_city(tmp_path)
    cfg.write_text(cfg.read_text().replace("      locatie.buurtnaam: buurt_naam\n", ""))
    rc = cli.main(["check", "--config", str(cfg), "--html", ""])
    assert rc == 1
    try:
        sources.load(cfg)
    except ValueError as exc:
        assert "acc-dwh_locatie_locatie.csv: required column(s) missing: 'buurtnaam'" in str(exc)
        assert "stad.yaml: sources.meldingen (layout mor)" in str(exc)
    else:
        raise AssertionError("expected an error")
