"""A city that is not the demo, from files alone: its CBS/PDOK geography, MOR meldingen, StatLine police.

Proefstad (GM9998, test-made): 12 CBS wijken in a 4 x 3 grid of 1 km squares, two buurten each, PDOK
property names, a kwb table with residents. Exports under other names than the demo's, two renamed MOR
headers handled by the config's column map, a start of ward-based enforcement in four wijken. The run
config is the only thing that says what is where: ``wijklib check`` and the batch (PDFs) run on it
without any code change, and the reports are about Proefstad's wijken, not the demo's.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

geopandas = pytest.importorskip("geopandas")
shapely = pytest.importorskip("shapely")

from wijklib import cli  # noqa: E402
from wijklib.demo._platforms import write_mor  # noqa: E402

X0, Y0 = 150_000.0, 450_000.0
GM = "9998"
WIJKEN = {f"WK{GM}{i + 1:02d}": (f"Wijk {chr(65 + i)}", (i % 4) * 1000, (i // 4) * 1000) for i in range(12)}
TREATED = ["WK999801", "WK999806", "WK999807", "WK999812"]


def _buurten():
    rows = []
    for wk, (naam, x, y) in WIJKEN.items():
        for j, (dx, suffix) in enumerate(((0, "west"), (500, "oost"))):
            rows.append({"code": f"BU{wk[2:]}{j + 1:02d}", "naam": f"{naam} {suffix}", "wk": wk,
                         "box": (x + dx, y, x + dx + 500, y + 1000)})
    return rows


def _write_geography(folder: Path) -> None:
    folder.mkdir(parents=True)
    bu = _buurten()
    box = [shapely.box(X0 + b["box"][0], Y0 + b["box"][1], X0 + b["box"][2], Y0 + b["box"][3]) for b in bu]
    geopandas.GeoDataFrame({"statcode": [b["code"] for b in bu], "statnaam": [b["naam"] for b in bu],
                            "jrstatcode": ["2024" + b["code"] for b in bu], "gmCode": "GM" + GM},
                           geometry=box, crs="EPSG:28992").to_crs("EPSG:4326").to_file(
        folder / "cbs_buurten_2024.geojson", driver="GeoJSON")
    wk = [shapely.box(X0 + x, Y0 + y, X0 + x + 1000, Y0 + y + 1000) for _, x, y in WIJKEN.values()]
    geopandas.GeoDataFrame({"wk_code": list(WIJKEN), "wk_naam": [v[0] for v in WIJKEN.values()],
                            "gm_code": "GM" + GM, "jrstatcode": ["2024" + c for c in WIJKEN]},
                           geometry=wk, crs="EPSG:28992").to_crs("EPSG:4326").to_file(
        folder / "cbs_wijken_2024.geojson", driver="GeoJSON")
    rng = np.random.default_rng(5)
    rows = [(b["code"], b["naam"], "Buurt", int(rng.integers(1500, 4000))) for b in bu]
    pd.DataFrame(rows, columns=["gwb_code_10", "regio", "recs", "a_inw"]).assign(gm_naam="Proefstad") \
        .to_csv(folder / "kwb-2024.csv", sep=";", index=False)
    (folder / "geografie.yaml").write_text(
        f"gemeente: GM{GM}\nnaam: Proefstad\nkaarten:\n  - bestand: cbs_buurten_2024.geojson\n"
        "  - bestand: cbs_wijken_2024.geojson\nkerncijfers:\n  - bestand: kwb-2024.csv\n", encoding="utf-8")


def _write_exports(root: Path) -> None:
    from wijklib.geo import rd_to_wgs84

    rng = np.random.default_rng(8)
    bu = _buurten()
    months = pd.date_range("2021-01-01", "2024-12-01", freq="MS")
    recs = []
    for b in bu:
        cx, cy = X0 + (b["box"][0] + b["box"][2]) / 2, Y0 + (b["box"][1] + b["box"][3]) / 2
        for m in months:
            effect = 0.7 if b["wk"] in TREATED and m >= pd.Timestamp("2023-01-01") else 1.0
            for _ in range(rng.poisson(6 * effect)):
                recs.append((m + pd.Timedelta(hours=int(rng.integers(0, 27 * 24))), cx + rng.uniform(-200, 200),
                             cy + rng.uniform(-400, 400), b["naam"]))
    n = len(recs)
    lat, lon = rd_to_wgs84(np.array([r[1] for r in recs]), np.array([r[2] for r in recs]))
    f = pd.DataFrame({"melding_id": [str(i + 1) for i in range(n)], "ontvangen": [r[0] for r in recs],
                      "status": rng.choice(["afgehandeld", "open"], n, p=[0.85, 0.15]),
                      "onderwerp": rng.choice(["Grofvuil", "Zwerfafval", "Afvalbak"], n),
                      "lat": lat, "lon": lon, "buurtnaam": [r[3] for r in recs], "wijknaam": "", "omschrijving": ""})
    f["afgehandeld"] = f["ontvangen"] + pd.Timedelta(days=3)
    mor = root / "exports" / "mor_dwh"
    write_mor(f, mor, prefix="proefstad-")
    for name, old, new in (("proefstad-dwh_meldingen_melding.csv", "origineel_aangemaakt", "ontvangen_op"),
                           ("proefstad-dwh_locatie_locatie.csv", "buurtnaam", "naam_buurt")):
        p = mor / name
        lines = p.read_text(encoding="utf-8").split("\n")
        lines[0] = ",".join(new if c == old else c for c in lines[0].split(","))
        p.write_text("\n".join(lines), encoding="utf-8")
    rows = ["ID;SoortMisdrijf;Omschrijving misdrijf;WijkenEnBuurten;Perioden;GeregistreerdeMisdrijven_1"]
    i = 0
    for b in bu:
        for m in months:
            rows.append(f"{i};2.2.1;Vernieling;{b['code']}  ;{m.year}MM{m.month:02d};{rng.poisson(4)}")
            i += 1
    (root / "exports" / "politie").mkdir(parents=True)
    (root / "exports" / "politie" / "statline_misdrijven.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    starts = "Wijk;Startdatum;Uren per week\n" + "".join(f"{WIJKEN[w][0]};01-01-2023;32,0\n" for w in TREATED)
    (root / "exports" / "beleid").mkdir(parents=True)
    (root / "exports" / "beleid" / "starts.csv").write_text(starts, encoding="utf-8")


def _write_config(root: Path) -> Path:
    cfg = root / "config" / "proefstad.yaml"
    cfg.parent.mkdir()
    cfg.write_text(f"""\
naam: "Proefstad (testgegevens)"
titel: "Wijkrapport wijkgericht handhaven"
demodata: false
eenheid: wijk
notebook: notebooks/wijkrapport.ipynb
overzicht_notebook: notebooks/stadsoverzicht.ipynb
monitor_config: config/monitor.yaml
jaar: 2024
geografie: {root / "geo"}
data_root: ../exports
sources:
  meldingen:
    layout: mor
    files: mor_dwh/proefstad-*.csv
    columns:
      melding.origineel_aangemaakt: ontvangen_op
      locatie.buurtnaam: naam_buurt
    period: {{start: 2021-01, end: 2024-12}}
  politie:
    layout: cbs_statline
    files: politie/statline_*.csv
    period: {{start: 2021-01, end: 2024-12}}
    gaps: ["2024-03"]       # a month the police did not deliver: missing for every wijk, never zero
  interventie:
    files: beleid/starts.csv
    columns: {{wijkraad_id: Wijk}}
""", encoding="utf-8")
    return cfg


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    root = tmp_path_factory.mktemp("proefstad")
    _write_geography(root / "geo")
    _write_exports(root)
    return root, _write_config(root)


def test_check_reads_every_source_of_the_second_city(city, capsys):
    root, cfg = city
    rc = cli.main(["check", "--config", str(cfg), "--html", str(root / "check.html")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "not 0" in out  # every MOR report placed in a Proefstad buurt (by point or by name)
    assert "statline_misdrijven.csv (1152 rows)" in out  # 24 buurten x 48 months


def test_evaluations_are_about_the_second_city(city, monkeypatch, tmp_path):
    from wijklib.report import evaluations
    from wijklib.report.settings import load_config

    monkeypatch.setenv("WIJKLIB_REPORT_CACHE", str(tmp_path / "cache"))
    _, cfg_path = city
    cfg = load_config(cfg_path)
    assert [u for u, _ in evaluations.geography_units(cfg)] == list(WIJKEN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evs, failures = evaluations.load_city(cfg, 2024)
    assert not failures, failures
    assert sorted(evs) == list(WIJKEN)
    pnl = evaluations.load_panel(cfg, 2024)
    assert pnl["unit"].nunique() == 12 and pnl["population"].notna().all()
    march = pnl[pnl["period"] == pd.Timestamp("2024-03-01")]
    assert len(march) == 12 and march["n_misdrijven"].isna().all()  # not delivered: missing, never zero
    assert pnl.loc[pnl["period"] == pd.Timestamp("2024-04-01"), "n_misdrijven"].notna().all()
    # Every report is counted in its own wijk: the panel's total is the export's row count.
    assert pnl["n_meldingen"].sum() == len(pd.read_csv(next((city[0] / "exports" / "mor_dwh").glob("*melding.csv"))))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_batch_writes_pdfs_for_the_second_city(city, monkeypatch, tmp_path):
    from wijklib.report import runner

    monkeypatch.setenv("WIJKLIB_REPORT_CACHE", str(tmp_path / "cache"))
    _, cfg = city
    wards = [TREATED[0], "WK999803"]
    summary = runner.run(cfg, 2024, ",".join(wards), jobs=2, out=tmp_path / "out", progress=False,
                         formats=("pdf",))
    assert summary.exit_code == 0, summary.text()
    for w in wards:
        pdf = tmp_path / "out" / "2024" / f"wijkrapport_2024_{w.lower()}.pdf"
        text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                       check=True).stdout.split())
        assert WIJKEN[w][0] in text
        assert "Proefstad" in text
        assert "Afrikaanderwijk" not in text and "Rotterdam" not in text
        assert "1 maand zonder gegevens van deze bron in 2024" in text  # the undelivered month, in the report


def test_batch_stops_before_any_report_when_the_check_fails(city, monkeypatch, tmp_path):
    from wijklib.report import runner
    from wijklib.report.content import IntakeCheckFailed

    monkeypatch.setenv("WIJKLIB_REPORT_CACHE", str(tmp_path / "cache"))
    root, cfg = city
    bad = cfg.with_name("kapot.yaml")
    bad.write_text(cfg.read_text(encoding="utf-8").replace("locatie.buurtnaam: naam_buurt", "locatie.buurtnaam: buurt"),
                   encoding="utf-8")
    with pytest.raises(IntakeCheckFailed, match=r"(?s)check failed, no report was made.*BLOCKING"):
        runner.run(bad, 2024, "WK999801", jobs=1, out=tmp_path / "out", progress=False, formats=("html",))
    assert not list((tmp_path / "out").rglob("*.html"))
