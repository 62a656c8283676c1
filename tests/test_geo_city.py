"""A second, test-made city in CBS/PDOK conventions (GM9999), loaded through the same API as the demo.

Layout (RD New metres from (100000, 400000); squares, so every expectation can be computed by hand):

    2023 buurten                          2024 buurten (0102 split, 0201 + 0202 merged)
    y 2000 +--------+--------+            +--------+--------+  +--+ BU99990301 "Eiland"
           | 0101   | 0202   |            | 0101   |        |  +--+ (2000-2500, touches 0203
    y 1000 +--------+--------+            +---+----+ 0203   |        only at a corner)
           | 0102   | 0201   |            |0103|0104|        |
    y    0 +--------+--------+            +---+----+--------+
           x 0      1000     2000

CBS wijken: WK999901 = x 0-1000, WK999902 = x 1000-2000, WK999903 = the island.
The city's own level ``stadsdeel``: west = {0101, 0103}, oost = {0104, 0203}, haven = {0301}
(oost crosses the CBS wijk border: a city level need not nest in CBS wijken).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

geopandas = pytest.importorskip("geopandas")
shapely = pytest.importorskip("shapely")

from wijklib import geo  # noqa: E402

X0, Y0 = 100_000.0, 400_000.0


def _box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


BUURTEN_2023 = {  # code: (name, box)
    "BU99990101": ("Noord", (0, 1000, 1000, 2000)),
    "BU99990102": ("Zuid", (0, 0, 1000, 1000)),
    "BU99990201": ("Oost-Zuid", (1000, 0, 2000, 1000)),
    "BU99990202": ("Oost-Noord", (1000, 1000, 2000, 2000)),
    "BU99990301": ("Eiland", (2000, 2000, 2500, 2500)),
}
BUURTEN_2024 = {
    "BU99990101": ("Noord", (0, 1000, 1000, 2000)),
    "BU99990103": ("Zuid-West", (0, 0, 500, 1000)),
    "BU99990104": ("Zuid-Oost", (500, 0, 1000, 1000)),
    "BU99990203": ("Oost", (1000, 0, 2000, 2000)),
    "BU99990301": ("Eiland", (2000, 2000, 2500, 2500)),
}
WIJKEN_2024 = {"WK999901": ("West", (0, 0, 1000, 2000)), "WK999902": ("Oost", (1000, 0, 2000, 2000)),
               "WK999903": ("Eilanden", (2000, 2000, 2500, 2500))}
POP_2023 = {"BU99990101": 1000, "BU99990102": 1200, "BU99990201": 800, "BU99990202": 1200, "BU99990301": 50}
POP_2024 = {"BU99990101": 1000, "BU99990103": 300, "BU99990104": 900, "BU99990203": 2000, "BU99990301": 50}
STADSDEEL = {"BU99990101": ("west", "Stadsdeel West"), "BU99990103": ("west", "Stadsdeel West"),
             "BU99990104": ("oost", "Stadsdeel Oost"), "BU99990203": ("oost", "Stadsdeel Oost"),
             "BU99990301": ("haven", "Havengebied")}

MANIFEST = """\
gemeente: GM9999
naam: Teststad
kaarten:
  - bestand: buurten_2023.gpkg
  - bestand: buurten_2024.geojson
  - bestand: wijken_2024.geojson
kerncijfers:
  - bestand: kwb-2023.csv
  - bestand: kwb-2024.xlsx
indeling:
  bestand: stadsdelen.csv
  niveaus:
    - {niveau: stadsdeel, code: stadsdeel_id, naam: stadsdeel_naam}
"""


def _write_city(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    # 2023: CBS download names, GeoPackage in RD New (the layout of the CBS downloads).
    b23 = geopandas.GeoDataFrame(
        {"BU_CODE": list(BUURTEN_2023), "BU_NAAM": [v[0] for v in BUURTEN_2023.values()],
         "WK_CODE": ["WK" + c[2:8] for c in BUURTEN_2023], "GM_CODE": "GM9999", "GM_NAAM": "Teststad",
         "JRSTATCODE": ["2023" + c for c in BUURTEN_2023]},
        geometry=[_box(*v[1]) for v in BUURTEN_2023.values()], crs="EPSG:28992")
    b23.to_file(folder / "buurten_2023.gpkg", layer="buurten", driver="GPKG")
    # 2024: PDOK names, GeoJSON in WGS84, and one unit of another gemeente (a national file).
    b24 = geopandas.GeoDataFrame(
        {"statcode": [*BUURTEN_2024, "BU03630000"], "statnaam": [*(v[0] for v in BUURTEN_2024.values()), "Elders"],
         "jrstatcode": [*("2024" + c for c in BUURTEN_2024), "2024BU03630000"],
         "gmCode": [*(["GM9999"] * len(BUURTEN_2024)), "GM0363"]},
        geometry=[*(_box(*v[1]) for v in BUURTEN_2024.values()), _box(9000, 9000, 9100, 9100)],
        crs="EPSG:28992").to_crs("EPSG:4326")
    b24.to_file(folder / "buurten_2024.geojson", driver="GeoJSON")
    w24 = geopandas.GeoDataFrame(
        {"wk_code": list(WIJKEN_2024), "wk_naam": [v[0] for v in WIJKEN_2024.values()], "gm_code": "GM9999",
         "jrstatcode": ["2024" + c for c in WIJKEN_2024]},
        geometry=[_box(*v[1]) for v in WIJKEN_2024.values()], crs="EPSG:28992").to_crs("EPSG:4326")
    w24.to_file(folder / "wijken_2024.geojson", driver="GeoJSON")
    # kwb: csv (semicolons, as CBS) for 2023 and xlsx for 2024, with a gemeente and a wijk row.
    rows = [("GM9999", "Teststad", "Gemeente", sum(POP_2023.values()))] + [
        (c, BUURTEN_2023[c][0], "Buurt", p) for c, p in POP_2023.items()]
    pd.DataFrame(rows, columns=["gwb_code_10", "regio", "recs", "a_inw"]).assign(gm_naam="Teststad") \
        .to_csv(folder / "kwb-2023.csv", sep=";", index=False)
    rows = [("WK999901", "West", "Wijk", 2200)] + [(c, BUURTEN_2024[c][0], "Buurt", p) for c, p in POP_2024.items()]
    pd.DataFrame(rows, columns=["gwb_code", "regio", "recs", "a_inw"]).assign(gm_naam="Teststad") \
        .to_excel(folder / "kwb-2024.xlsx", index=False)
    pd.DataFrame([(c, i, n) for c, (i, n) in STADSDEEL.items()],
                 columns=["buurtcode", "stadsdeel_id", "stadsdeel_naam"]).to_csv(folder / "stadsdelen.csv", index=False)
    (folder / "geografie.yaml").write_text(MANIFEST, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def city_dir(tmp_path_factory) -> Path:
    return _write_city(tmp_path_factory.mktemp("teststad"))


@pytest.fixture(scope="module")
def city(city_dir):
    return geo.load(city_dir)


def _copy(city_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "stad"
    shutil.copytree(city_dir, dst)
    return dst


def test_levels_units_and_names(city):
    assert city.gemeente_code == "GM9999" and city.gemeente_naam == "Teststad"
    assert city.levels == ("buurt", "wijk", "stadsdeel", "gemeente")  # 3 units each: declared order
    assert city.current_year == 2024 and city.geography_years == (2023, 2024)
    h = city.hierarchy()
    assert h["buurt_code"].tolist() == sorted(BUURTEN_2024)  # the GM0363 feature of the national file is not ours
    assert h.set_index("buurt_code").loc["BU99990104", ["stadsdeel_id", "wijk_code"]].tolist() == ["oost", "WK999901"]
    assert city.parents("buurt") == ("wijk", "stadsdeel", "gemeente")
    assert city.parents("stadsdeel") == ("gemeente",)  # oost spans two CBS wijken
    u = city.units("stadsdeel")
    assert u.set_index("stadsdeel_id")["stadsdeel"].to_dict() == {
        "haven": "Havengebied", "oost": "Stadsdeel Oost", "west": "Stadsdeel West"}
    assert city.units("wijk").set_index("wijk_code")["wijk"]["WK999902"] == "Oost"
    assert city.normalize("zuid west") == "BU99990103"
    assert city.normalize("0103") == "BU99990103"
    assert city.normalize("Zuid-West", "stadsdeel") == "west"
    assert city.normalize("stadsdeel oost") == "oost"
    with pytest.raises(geo.UnknownUnitError, match="Eiland"):
        city.normalize("Eilnd")
    with pytest.raises(geo.UnknownUnitError, match="not in gemeente GM9999"):
        city.normalize("BU05991571")


def test_population_from_kwb_with_older_year_recoded(city):
    p24 = city.population("buurt", 2024).set_index("buurt_code")["population"].to_dict()
    assert p24 == POP_2024
    # kwb-2023 uses 2023 codes: carried to the 2024 units by the crosswalk (Zuid 1200 -> 300 + 900).
    p23 = city.population("buurt", 2023).set_index("buurt_code")["population"].to_dict()
    assert p23 == {"BU99990101": 1000, "BU99990103": 300, "BU99990104": 900, "BU99990203": 2000, "BU99990301": 50}
    s = city.population("stadsdeel", 2023).set_index("stadsdeel_id")["population"].to_dict()
    assert s == {"haven": 50, "oost": 2900, "west": 1300}
    assert int(city.units("gemeente", 2024)["population"].iloc[0]) == 4250


def test_adjacency_hand_computed(city):
    a = city.adjacency("buurt")
    nb = a.groupby("unit")["neighbour"].apply(sorted).to_dict()
    assert nb == {
        "BU99990101": ["BU99990103", "BU99990104", "BU99990203"],
        "BU99990103": ["BU99990101", "BU99990104"],
        "BU99990104": ["BU99990101", "BU99990103", "BU99990203"],
        "BU99990203": ["BU99990101", "BU99990104"],
    }  # the island touches Oost only at a corner: no border, no neighbour
    assert city.neighbours("Eiland", "buurt") == []
    s = city.adjacency("stadsdeel")
    assert sorted(map(tuple, s.to_numpy())) == [("oost", "west"), ("west", "oost")]
    # A gap wider than the tolerance separates; a narrower one does not.
    assert city.adjacency("buurt", tolerance_m=0.5, min_border_m=600)["unit"].tolist().count("BU99990103") == 1


def test_two_year_crosswalk_split_and_merge(city):
    cw = city.crosswalk(2023)
    assert cw.attrs["method"] == "population"
    got = {(o, n): w for o, n, w in cw.itertuples(index=False)}
    assert got == pytest.approx({
        ("BU99990101", "BU99990101"): 1.0,
        ("BU99990102", "BU99990103"): 0.25,  # split by the 2024 residents: 300 / (300 + 900)
        ("BU99990102", "BU99990104"): 0.75,
        ("BU99990201", "BU99990203"): 1.0,   # merge
        ("BU99990202", "BU99990203"): 1.0,
        ("BU99990301", "BU99990301"): 1.0,
    })
    old = pd.DataFrame({"buurt": ["BU99990102", "BU99990201", "BU99990202", "99990101"], "n": [100.0, 10.0, 20.0, 5.0]})
    rec = city.recode(old, "buurt", 2023, value_cols=["n"])
    assert rec.groupby("buurt")["n"].sum().to_dict() == {"BU99990101": 5.0, "BU99990103": 25.0,
                                                          "BU99990104": 75.0, "BU99990203": 30.0}
    assert old["n"].sum() == rec["n"].sum()
    assert city.detect_year(["BU99990102", "BU99990101"]) == 2023
    assert city.detect_year(["BU99990103"]) == 2024
    assert "BU99990102" in city.codes_in_year(2023) and "BU99990102" not in city.codes_in_year(2024)
    with pytest.raises(geo.UnknownUnitError, match="geography 2023-2023.*recode"):
        city.normalize("BU99990102")


def test_area_crosswalk_without_new_kwb(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    text = (d / "geografie.yaml").read_text().replace("  - bestand: kwb-2024.xlsx\n", "")
    (d / "geografie.yaml").write_text(text)
    cw = geo.load(d).crosswalk(2023)
    assert cw.attrs["method"] == "area"
    w = cw[cw["old_code"] == "BU99990102"].set_index("new_code")["weight"].to_dict()
    assert w == pytest.approx({"BU99990103": 0.5, "BU99990104": 0.5})


def test_locate_and_module_level_api(city):
    x = [X0 + 250, X0 + 750, X0 + 1500, X0 + 5000]
    y = [Y0 + 500, Y0 + 500, Y0 + 1500, Y0 + 5000]
    assert city.locate(x, y).tolist()[:3] == ["BU99990103", "BU99990104", "BU99990203"]
    assert city.locate(x, y).isna().tolist() == [False, False, False, True]
    try:
        geo.use(city)
        assert geo.active() is city
        assert geo.units("stadsdeel")["stadsdeel_id"].tolist() == ["haven", "oost", "west"]
        assert geo.normalize("noord", "stadsdeel") == "west"
        assert geo.normalize_series(pd.Series(["Zuid-Oost", "0101"]), "stadsdeel").tolist() == ["oost", "west"]
        assert geo.aggregate(pd.DataFrame({"buurt_code": ["BU99990101", "BU99990104"], "n": [1, 2]}),
                             "buurt", "stadsdeel", ["n"]).values.tolist() == [["oost", 2], ["west", 1]]
        assert geo.GEMEENTE_CODE == "GM9999"
        assert len(geo.polygons("stadsdeel")) == 3
        fc = geo.to_geojson("stadsdeel")
        json.dumps(fc)
        assert {f["properties"]["stadsdeel_id"] for f in fc["features"]} == {"haven", "oost", "west"}
    finally:
        geo.use(None)
    assert geo.active().gemeente_code != "GM9999"


def test_only_polygons_says_what_is_missing(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    (d / "geografie.yaml").write_text("gemeente: 9999\nkaarten: [wijken_2024.geojson]\n")
    g = geo.load(d)
    assert g.levels == ("wijk", "gemeente") and len(g.units("wijk")) == 3
    assert g.units("wijk")["population"].isna().all()
    assert any("no kwb table delivered" in m for m in g.missing())
    with pytest.raises(geo.MissingGeoDataError, match="no kwb table delivered"):
        g.population("wijk")
    assert g.adjacency("wijk").values.tolist() == [["WK999901", "WK999902"], ["WK999902", "WK999901"]]


# --- bad input: each error names the file, the row/feature, the value and what was expected ------------

def _rewrite_buurten_2024(d: Path, **changes) -> None:
    gdf = geopandas.read_file(d / "buurten_2024.geojson")
    for fn in changes.values():
        gdf = fn(gdf)
    (d / "buurten_2024.geojson").unlink()
    gdf.to_file(d / "buurten_2024.geojson", driver="GeoJSON")


def test_unknown_property_names(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    _rewrite_buurten_2024(d, rename=lambda g: g.rename(columns={"statcode": "id", "statnaam": "label",
                                                                "jrstatcode": "jaar_code", "gmCode": "gemeente"}))
    with pytest.raises(geo.GeoDataError, match=r"buurten_2024\.geojson: unknown property names \['id', 'label'.*"
                                                r"expected statcode.*BU_CODE"):
        geo.load(d)


def test_self_intersecting_polygon(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 500, Y0 + 1000), (X0 + 500, Y0), (X0, Y0 + 1000)])

    def bad(g):
        g = g.to_crs("EPSG:28992")
        g.loc[g["statcode"] == "BU99990103", "geometry"] = bowtie
        return g
    _rewrite_buurten_2024(d, bad=bad)
    with pytest.raises(geo.GeoDataError, match=r"buurten_2024\.geojson, feature 2 \(BU99990103\): invalid polygon: "
                                                r"Self-intersection"):
        geo.load(d)


def test_mapping_row_points_at_a_missing_buurt(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    m = pd.read_csv(d / "stadsdelen.csv", dtype=str)
    m.loc[2, "buurtcode"] = "BU99990105"
    m.to_csv(d / "stadsdelen.csv", index=False)
    with pytest.raises(geo.GeoDataError, match=r"stadsdelen\.csv, row 4: buurt BU99990105 does not exist in the "
                                                r"buurt kaart of 2024"):
        geo.load(d)


def test_two_units_claim_one_buurt(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    m = pd.read_csv(d / "stadsdelen.csv", dtype=str)
    extra = pd.DataFrame([{"buurtcode": "BU99990104", "stadsdeel_id": "west", "stadsdeel_naam": "Stadsdeel West"}])
    pd.concat([m, extra]).to_csv(d / "stadsdelen.csv", index=False)
    with pytest.raises(geo.GeoDataError, match=r"stadsdelen\.csv, rows 4, 7.*BU99990104 is claimed by 2 rows "
                                                r"\(stadsdeel oost, west\)"):
        geo.load(d)


def test_kwb_of_another_gemeente(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    k = pd.read_csv(d / "kwb-2023.csv", sep=";", dtype=str)
    k["gwb_code_10"] = k["gwb_code_10"].str.replace("9999", "0363", regex=False)
    k["gm_naam"] = "Amsterdam"
    k.to_csv(d / "kwb-2023.csv", sep=";", index=False)
    with pytest.raises(geo.GeoDataError, match=r"kwb-2023\.csv: kwb table of another gemeente: it holds "
                                                r"GM0363 \(Amsterdam\).*expected rows of GM9999"):
        geo.load(d)


def test_other_bad_manifests(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    (d / "geografie.yaml").write_text(MANIFEST + "kleur: rood\n")
    with pytest.raises(geo.GeoDataError, match=r"unknown key\(s\) \['kleur'\]; expected keys: gemeente"):
        geo.load(d)
    (d / "geografie.yaml").write_text(MANIFEST.replace("GM9999", "GM0363"))
    with pytest.raises(geo.GeoDataError, match=r"buurten_2023\.gpkg.*no buurt of gemeente GM0363; the file holds "
                                                r"gemeente\(n\) GM9999"):
        geo.load(d)
    (d / "geografie.yaml").write_text(MANIFEST.replace("stadsdelen.csv", "indeling.csv"))
    with pytest.raises(geo.GeoDataError, match=r"indeling file 'indeling.csv' not found"):
        geo.load(d)


def test_water_areas_of_the_kaart_are_water_not_units(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)

    def add_water(g):
        g = g.to_crs("EPSG:28992")
        g["water"] = "NEE"
        row = g.iloc[[0]].copy()
        row["statcode"], row["statnaam"], row["jrstatcode"], row["water"] = \
            "BU99990199", "Rivier", "2024BU99990199", "JA"
        row["geometry"] = [_box(-300, 0, 0, 2000)]
        return pd.concat([g, row], ignore_index=True)
    _rewrite_buurten_2024(d, add=add_water)
    k = pd.read_excel(d / "kwb-2024.xlsx", dtype=str)
    k.loc[len(k)] = {"gwb_code": "BU99990199", "regio": "Rivier", "recs": "Buurt", "a_inw": "0", "gm_naam": "Teststad"}
    k.to_excel(d / "kwb-2024.xlsx", index=False)
    g = geo.load(d)
    assert "BU99990199" not in set(g.hierarchy()["buurt_code"])
    assert len(g.water()) == 1 and g.water()["naam"].tolist() == ["Rivier"]
    assert any("water area" in n for n in g._p.notes)
    assert g.population("buurt", 2024).set_index("buurt_code")["population"].to_dict() == POP_2024


def test_wijkraad_means_the_reporting_level_in_a_city_without_wijkraden(city):
    try:
        geo.use(city)
        assert city.default_level == "stadsdeel"
        assert geo.normalize("Zuid-West", "wijkraad") == "west"
        assert geo.units()["stadsdeel_id"].tolist() == ["haven", "oost", "west"]
        assert geo.neighbours("west") == ["oost"]
    finally:
        geo.use(None)


def test_kwb_with_wijk_rows_only_gives_residents_per_wijk(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    pd.DataFrame({"gwb_code_10": ["WK999901", "WK999902", "WK999903"], "regio": ["West", "Oost", "Eilanden"],
                  "gm_naam": "Teststad", "recs": "Wijk", "a_inw": ["2200", ".", "50"]}) \
        .to_csv(d / "kwb-2024.csv", sep=";", index=False)
    text = (d / "geografie.yaml").read_text().replace("  - bestand: kwb-2023.csv\n  - bestand: kwb-2024.xlsx\n",
                                                      "  - bestand: kwb-2024.csv\n")
    (d / "geografie.yaml").write_text(text)
    g = geo.load(d)
    p = g.population("wijk", 2024).set_index("wijk_code")["population"]
    assert p["WK999901"] == 2200 and pd.isna(p["WK999902"]) and p["WK999903"] == 50  # '.' stays missing
    assert int(g.population("gemeente", 2024)["population"].isna().sum()) == 1  # a missing part: missing sum
    with pytest.raises(geo.MissingGeoDataError, match="residents per wijk, which does not nest in a buurt"):
        g.population("buurt")


def test_numeric_city_ids_are_not_read_as_cbs_codes(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    m = pd.read_csv(d / "stadsdelen.csv", dtype=str)
    m["stadsdeel_id"] = m["stadsdeel_id"].map({"west": "1", "oost": "2", "haven": "3"})
    m.to_csv(d / "stadsdelen.csv", index=False)
    g = geo.load(d)
    assert g.normalize("1", "stadsdeel") == "1" and g.normalize(2, "stadsdeel") == "2"
    assert g.normalize("WK999901") == "WK999901" and g.normalize("01", "wijk") == "WK999901"
    assert g.normalize("Zuid-Oost", "stadsdeel") == "2"


def test_hierarchy_of_the_older_year(city):
    h = city.hierarchy(2023).set_index("buurt_code")
    assert sorted(h.index) == sorted(BUURTEN_2023)
    # Zuid (split) lies where most of its residents went (Zuid-Oost, 75%); the merged halves in Oost.
    assert h.loc["BU99990102", ["buurt", "stadsdeel_id"]].tolist() == ["Zuid", "oost"]
    assert h.loc[["BU99990201", "BU99990202"], "stadsdeel_id"].tolist() == ["oost", "oost"]


def test_a_border_through_water_is_no_border(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    # A canal over the whole border between Zuid-Oost (0104) and Oost (0203): x 990-1010, y 0-1000.
    geopandas.GeoDataFrame({"naam": ["kanaal"]}, geometry=[_box(990, -10, 1010, 1000)], crs="EPSG:28992") \
        .to_file(d / "water.geojson", driver="GeoJSON")
    (d / "geografie.yaml").write_text(MANIFEST + "water: [water.geojson]\n")
    g = geo.load(d)
    nb = g.adjacency("buurt").groupby("unit")["neighbour"].apply(sorted).to_dict()
    assert nb["BU99990104"] == ["BU99990101", "BU99990103"]
    assert nb["BU99990203"] == ["BU99990101"]  # their northern border stays (above the canal)


def test_cbs_geopackage_with_three_layers_and_year_in_the_file_name(tmp_path):
    # The layout of the CBS download wijkenbuurten_<jaar>_v1.gpkg: layers gemeenten, wijken, buurten,
    # CBS GeoPackage property names, no jrstatcode.
    path = tmp_path / "wijkenbuurten_2024_v1.gpkg"
    bu = dict(BUURTEN_2024)
    geopandas.GeoDataFrame({"gemeentecode": ["GM9999"], "gemeentenaam": ["Teststad"], "water": ["NEE"]},
                           geometry=[_box(0, 0, 2500, 2500)], crs="EPSG:28992").to_file(path, layer="gemeenten")
    geopandas.GeoDataFrame({"wijkcode": list(WIJKEN_2024), "wijknaam": [v[0] for v in WIJKEN_2024.values()],
                            "gemeentecode": "GM9999", "gemeentenaam": "Teststad", "water": "NEE"},
                           geometry=[_box(*v[1]) for v in WIJKEN_2024.values()], crs="EPSG:28992") \
        .to_file(path, layer="wijken")
    geopandas.GeoDataFrame({"buurtcode": list(bu), "buurtnaam": [v[0] for v in bu.values()],
                            "wijkcode": ["WK" + c[2:8] for c in bu], "gemeentecode": "GM9999", "water": "NEE"},
                           geometry=[_box(*v[1]) for v in bu.values()], crs="EPSG:28992") \
        .to_file(path, layer="buurten")
    (tmp_path / "geografie.yaml").write_text("gemeente: GM9999\nkaarten: [wijkenbuurten_2024_v1.gpkg]\n")
    g = geo.load(tmp_path)
    assert g.gemeente_naam == "Teststad" and g.current_year == 2024
    assert g.levels == ("buurt", "wijk", "gemeente")
    assert g.units("wijk").set_index("wijk_code")["n_buurten"].to_dict() == {"WK999901": 3, "WK999902": 1,
                                                                             "WK999903": 1}
    assert not g.polygons_approximate("buurt")


def test_wijk_names_from_kwb_when_no_wijk_kaart(city_dir, tmp_path):
    d = _copy(city_dir, tmp_path)
    (d / "geografie.yaml").write_text(MANIFEST.replace("  - bestand: wijken_2024.geojson\n", ""))
    g = geo.load(d)
    names = g.units("wijk").set_index("wijk_code")["wijk"].to_dict()
    assert names["WK999901"] == "West"  # the kwb-2024 Wijk row
    assert names["WK999902"] == "WK999902"  # no name anywhere: the code, not an invented name
