"""Real platform export layouts: Rotterdam MOR (joined DWH tables), legacy MSB, Signalen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wijklib import geo, sources
from wijklib import io as wio
from wijklib.demo._platforms import write_mor


@pytest.fixture(scope="module")
def buurten():
    c = geo.centroids("buurt").merge(geo.hierarchy()[["buurt_code", "buurt"]], on="buurt_code")
    return c.sample(40, random_state=4).reset_index(drop=True)


def _frame(buurten, n=400, seed=1):
    rng = np.random.default_rng(seed)
    b = buurten.iloc[rng.integers(0, len(buurten), n)].reset_index(drop=True)
    f = pd.DataFrame({
        "melding_id": [str(i + 1) for i in range(n)],  # = the DWH id write_mor gives
        "ontvangen": pd.Timestamp("2024-02-01") + pd.to_timedelta(rng.integers(0, 200 * 24, n), unit="h"),
        "status": rng.choice(["afgehandeld", "open", "vervallen"], n),
        "onderwerp": rng.choice(["Grofvuil", "Zwerfafval", "Bomen", "Parkeeroverlast voertuig", "Voertuigwrak"], n),
        "lat": b["lat"], "lon": b["lon"], "buurtnaam": b["buurt"], "wijknaam": "", "omschrijving": "",
        "true_buurt": b["buurt_code"]})
    f["afgehandeld"] = f["ontvangen"] + pd.Timedelta(days=3)
    return f


def _run(tmp_path, body):
    if "period:" not in body:
        body += "    period: {start: 2024-01, end: 2024-12}\n"
    p = tmp_path / "run.yaml"
    p.write_text("sources:\n  meldingen:\n" + body, encoding="utf-8")
    return p


def test_mor_joins_tables_and_assigns_units_by_point_then_name(tmp_path, buurten):
    f = _frame(buurten)
    f.loc[:29, ["lat", "lon"]] = np.nan                     # no point: placed by buurtnaam
    f.loc[30:39, ["lat", "lon"]] = np.nan
    f.loc[30:39, "buurtnaam"] = "Onbekend"                  # neither: not assigned, counted
    f.loc[40:44, ["lat", "lon"]] = [51.93254212, 4.43995901]  # PlanR dummy point: by name
    write_mor(f.drop(columns="true_buurt"), tmp_path / "mor")
    t = sources.load(_run(tmp_path, "    layout: mor\n    files: mor/*.csv\n    period: {start: 2024-02, end: 2024-08}\n"))
    m, rep = t["meldingen"], t.reports["meldingen"]
    assert rep.units == {"by code": 0, "by point": 355, "by name": 35, "not": 10}
    assert len(m) == 390 and rep.excluded["rows without a buurt (no usable point, no known buurt name)"] == 10
    truth = f.set_index("melding_id")["true_buurt"]
    assert (m["buurt_code"].to_numpy() == truth.loc[m["melding_id"]].to_numpy()).mean() > 0.97
    src = f.set_index("melding_id").loc[m["melding_id"]]
    expect_status = src["status"].to_numpy()
    assert (m["status"].to_numpy() == expect_status).all()
    assert set(m.loc[m["status"] == "afgehandeld", "mor_status"]) == {"afgehandeld"}
    assert set(m.loc[m["status"] == "vervallen", "mor_status"]) == {"geannuleerd"}
    assert m.loc[m["status"] == "open", "afgehandeld"].isna().all()
    cats = dict(zip(m["subcategorie"], m["categorie"], strict=False))
    assert cats == {"Grofvuil": "grofvuil", "Zwerfafval": "zwerfvuil", "Bomen": "overig",
                    "Parkeeroverlast voertuig": "parkeren", "Voertuigwrak": "fietswrakken"}
    assert set(m["onderwerp_groep"]) == {"Afval", "Groen", "Voertuigen"}
    assert (m["ontvangen"].to_numpy() == src["ontvangen"].to_numpy()).all()  # local time survives +01/+02
    assert any("PlanR" in n for n in rep.notes) and any("'overig'" in n for n in rep.notes)
    assert {r["file"] for r in rep.files} >= {"production-dwh_meldingen_melding.csv", "production-dwh_status_status.csv"}


def test_mor_value_map_renamed_header_and_bad_rows(tmp_path, buurten):
    f = _frame(buurten, n=60)
    write_mor(f.drop(columns="true_buurt"), tmp_path / "mor", prefix="")
    mel = tmp_path / "mor" / "dwh_meldingen_melding.csv"
    text = mel.read_text().replace("origineel_aangemaakt", "ontvangen_op", 1)
    mel.write_text(text)
    body = ("    layout: mor\n    files: mor/*.csv\n    columns: {melding.origineel_aangemaakt: ontvangen_op}\n"
            "    values: {categorie: {Groen: verwaarlozing}}\n")
    m = sources.load(_run(tmp_path, body))["meldingen"]
    assert set(m.loc[m["subcategorie"] == "Bomen", "categorie"]) == {"verwaarlozing"}
    # A bad timestamp is named by file, row and column.
    lines = text.splitlines()
    cells = lines[3].split(",")
    cells[lines[0].split(",").index("ontvangen_op")] = "gisteren"
    lines[3] = ",".join(cells)
    mel.write_text("\n".join(lines) + "\n")
    with pytest.raises(wio.DataError, match=r"dwh_meldingen_melding.csv row 4, column 'ontvangen_op': found 'gisteren'"):
        sources.load(_run(tmp_path, body))
    (tmp_path / "mor" / "dwh_status_status.csv").unlink()
    with pytest.raises(ValueError, match=r"sources.meldingen \(layout mor\): the MOR export needs the table\(s\) dwh_status_status"):
        sources.load(_run(tmp_path, body))


def test_msb_rd_points_staff_reports_and_buurt_number_map(tmp_path, buurten):
    f = _frame(buurten, n=120)
    x, y = geo.wgs84_to_rd(f["lat"].to_numpy(), f["lon"].to_numpy())
    df = pd.DataFrame({
        "mldId": f["melding_id"], "datumMelding": f["ontvangen"].dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "datumAfhandeling": np.where(f["status"] == "afgehandeld", f["afgehandeld"].dt.strftime("%Y-%m-%dT%H:%M:%S"), ""),
        "status": np.where(f["status"] == "afgehandeld", "Afgehandeld", "Inbehandeling"),
        "meldingType": np.where(f["status"] == "vervallen", "N", "S"),
        "onderwerp.omschrijving": np.where(f.index % 2 == 0, "Grofvuil op straat", "(Brom-)fietswrak"),
        "locatie.buurtNummer": "21", "locatie.x": [f"{v:.2f}".replace(".", ",") for v in x],
        "locatie.y": [f"{v:.2f}".replace(".", ",") for v in y],
        "herkomstCode": np.where(f.index % 10 == 0, "SBM", "BUR"), "omschrijving": ""})
    df.loc[1, ["locatie.x", "locatie.y"]] = "0"   # no point: MSB number 21 via the value map
    df.to_csv(tmp_path / "msb_export.csv", sep=";", index=False)
    body = ("    layout: msb\n    files: msb_export.csv\n    options: {kanaal: MeldR}\n"
            "    values: {buurt: {'21': Bospolder}}\n")
    t = sources.load(_run(tmp_path, body))
    m, rep = t["meldingen"], t.reports["meldingen"]
    assert len(m) == 108 and list(rep.excluded.values()) == [12]
    assert rep.units["by name"] == 1 and rep.units["by point"] == 107
    assert m.loc[m["melding_id"] == "2", "buurt_code"].item() == geo.normalize("Bospolder", level="buurt")
    assert set(m["categorie"]) == {"grofvuil", "fietswrakken"}
    assert set(m["status"]) <= {"afgehandeld", "open", "vervallen"}
    assert (m.loc[m["melding_id"].isin(f.loc[f["status"] == "vervallen", "melding_id"]), "status"] == "vervallen").all()
    with pytest.raises(ValueError, match="no channel column; declare the channel"):
        sources.load(_run(tmp_path, "    layout: msb\n    files: msb_export.csv\n"))


def test_signalen_swapped_lat_lng_and_states(tmp_path, buurten):
    f = _frame(buurten, n=80)
    d = tmp_path / "sig"
    d.mkdir()
    n = len(f)
    pd.DataFrame({"id": range(1, n + 1), "signal_uuid": "", "source": np.where(f.index % 3 == 0, "Interne melding", "online"),
                  "text": "", "created_at": f["ontvangen"].dt.tz_localize("Europe/Amsterdam").dt.strftime("%Y-%m-%d %H:%M:%S%z"),
                  "location_id": range(1, n + 1), "category_assignment_id": range(1, n + 1),
                  "status_id": range(1, n + 1)}).to_csv(d / "signals.csv", index=False)
    # As Signalen writes it: 'lat' holds the longitude, 'lng' the latitude.
    pd.DataFrame({"id": range(1, n + 1), "lat": f["lon"], "lng": f["lat"], "stadsdeel": "", "buurt_code": "",
                  "area_name": ""}).to_csv(d / "locations.csv", index=False)
    pd.DataFrame({"id": range(1, n + 1), "main": "afval", "sub": np.where(f.index % 2 == 0, "grofvuil", "huisafval")}).to_csv(
        d / "categories.csv", index=False)
    pd.DataFrame({"id": range(1, n + 1), "state": np.where(f["status"] == "afgehandeld", "o", "m"),
                  "created_at": (f["afgehandeld"]).dt.strftime("%Y-%m-%d %H:%M:%S")}).to_csv(d / "statuses.csv", index=False)
    body = ("    layout: signalen\n    files: sig/*.csv\n"
            "    values: {kanaal: {Interne melding: '14010'}}\n")
    t = sources.load(_run(tmp_path, body))
    m, rep = t["meldingen"], t.reports["meldingen"]
    assert rep.units["by point"] == n and any("holds the longitude" in x for x in rep.notes)
    assert (m["buurt_code"].to_numpy() == f["true_buurt"].to_numpy()).mean() > 0.97
    assert set(m["categorie"]) == {"grofvuil", "afval"}
    assert m.loc[m["status"] == "afgehandeld", "afgehandeld"].notna().all()
    assert set(m["kanaal"]) == {"14010", "web"}
