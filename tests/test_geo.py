"""Tests for wijklib.geo: hierarchy, normalisation, versioned codes, population, neighbours, maps."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from wijklib import geo

# --- hierarchy -------------------------------------------------------------------------------


def test_counts_per_level():
    assert len(geo.units("gebied")) == 14
    assert len(geo.units("wijk")) == 71
    assert len(geo.units("wijkraad")) == 39
    assert len(geo.units("gemeente")) == 1
    h = geo.hierarchy()
    assert h["buurt_code"].is_unique
    assert h.columns.tolist() == ["buurt_code", "buurt", "wijk_code", "wijk", "wijkraad_id",
                                  "wijkraad", "gebied_code", "gebied", "gemeente_code"]
    assert h.notna().all().all()


def test_every_wijk_in_exactly_one_wijkraad_and_gebied():
    h = geo.hierarchy()
    per_wijk = h.groupby("wijk_code")[["wijkraad_id", "gebied_code"]].nunique()
    assert (per_wijk == 1).all().all()
    assert set(per_wijk.index) == set(geo.units("wijk")["wijk_code"])
    # Each wijkraad covers 1-4 wijken and lies in one gebied, so counts sum from wijkraad to gebied.
    wr = geo.units("wijkraad")
    assert wr["n_wijken"].between(1, 4).all()
    assert h.groupby("wijkraad_id")["gebied_code"].nunique().max() == 1


def test_wijk_code_is_a_member_buurt_and_codes_nest():
    h = geo.hierarchy()
    assert set(h["wijk_code"]) <= set(h["buurt_code"])
    for col, pat in [("buurt_code", r"BU0599\d{4}"), ("wijk_code", r"BU0599\d{4}"),
                     ("gebied_code", r"WK0599\d{2}"), ("wijkraad_id", r"[a-z0-9]+(-[a-z0-9]+)*")]:
        assert h[col].str.fullmatch(pat).all(), col
    assert (h["buurt_code"].str[6:8] == h["gebied_code"].str[6:8]).all()
    assert (h["gemeente_code"] == "GM0599").all()


def test_examples_from_the_issue():
    h = geo.hierarchy().set_index("buurt_code")
    assert h.loc["BU05991593", "gebied_code"] == "WK059915"  # Heijplaat belongs to Charlois
    assert h.loc["BU05991593", "gebied"] == "Charlois"
    assert geo.normalize("Hoek van Holland", "gebied") == "WK059917"
    assert geo.normalize("Rozenburg", "gebied") == "WK059927"
    overschie = set(h.loc[h["wijkraad_id"] == "overschie", "wijk"])
    assert {"Kleinpolder", "Noord-Kethel", "Zestienhoven", "Overschie"} == overschie


def test_wijkraad_ids_are_slugs_of_their_names():
    wr = geo.units("wijkraad")
    assert (wr["wijkraad_id"] == wr["wijkraad"].map(geo.slugify)).all()


def test_units_returns_copies():
    u = geo.units("wijk")
    u.loc[0, "wijk"] = "XXX"
    h = geo.hierarchy()
    h.loc[0, "buurt"] = "XXX"
    assert "XXX" not in set(geo.units("wijk")["wijk"])
    assert "XXX" not in set(geo.hierarchy()["buurt"])


def test_units_population_year():
    u22 = geo.units("wijkraad", year=2022).set_index("wijkraad_id")["population"]
    u14 = geo.units("wijkraad", year=2014).set_index("wijkraad_id")["population"]
    assert u22.sum() > u14.sum()
    with pytest.raises(ValueError, match="2013"):
        geo.units("wijk", year=2013)
    with pytest.raises(ValueError, match="unknown level"):
        geo.units("stadsdeel")


def test_import_is_cheap():
    # Importing reads no geography and loads no geo stack (shapely/pyproj/geopandas are lazy).
    code = ("import sys, wijklib, wijklib.geo as g; "
            "print(g._ACTIVE is None, any(m in sys.modules for m in ('geopandas', 'shapely', 'pyproj', 'pyogrio')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


# --- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize("value,level,expected", [
    ("WK059901", None, "WK059901"),
    ("0599 01", None, "WK059901"),
    ("59901", None, "WK059901"),
    ("wk0599 15", None, "WK059915"),
    ("BU05991571", None, "BU05991571"),
    ("05991571", None, "BU05991571"),
    ("1571", None, "BU05991571"),
    (1571, None, "BU05991571"),
    (1571.0, None, "BU05991571"),
    (110, None, "BU05990110"),  # Excel dropped the leading zero of 0110
    ("GM0599", None, "GM0599"),
    ("oud-charlois", "wijk", "BU05991574"),
    ("Oud Charlois", "wijk", "BU05991574"),
    ("OUD  CHARLOIS", "wijk", "BU05991574"),
    ("'s-Gravenland", "wijk", "BU05991444"),
    ("s gravenland", "wijk", "BU05991444"),
    ("Kralingen\u2013Crooswijk", None, "WK059908"),
    ("kralingen crooswijk", "gebied", "WK059908"),
    ("IJsselmonde", None, "WK059912"),
    ("ijsselmonde", "gebied", "WK059912"),
    ("\u0133sselmonde", "gebied", "WK059912"),  # the Dutch ij ligature
    ("Tarwewijk", None, "BU05991571"),
    ("Tarwewijk", "wijkraad", "tarwewijk"),
    ("BU05991571", "wijkraad", "tarwewijk"),
    ("BU05991574", "wijkraad", "oud-charlois-wielewaal"),
    ("Oud Charlois-Wielewaal", None, "oud-charlois-wielewaal"),
    ("oud-charlois-wielewaal", "wijkraad", "oud-charlois-wielewaal"),
    ("Het Lage Land, Prinsenland en 's-Gravenland", None, "het-lage-land-prinsenland-en-s-gravenland"),
    ("Groot IJsselmonde & Oud IJsselmonde", None, "groot-ijsselmonde-en-oud-ijsselmonde"),
    ("Witte Dorp", "wijk", "BU05990327"),  # buurt -> its wijk
    ("1701", "wijk", "BU05991702"),
    ("Pernis", "wijk", "BU05991391"),  # wijkraad with one wijk can go down
    ("pernis", "buurt", "BU05991391"),
    ("Feijenoord", "wijkraad", "feijenoord"),
    ("Feijenoord", "gebied", "WK059910"),
    ("Centrum", None, "WK059901"),
    ("Rotterdam", None, "GM0599"),
    ("BU05991571", "gemeente", "GM0599"),
    ("tarwewijk", "gebied", "WK059915"),
])
def test_normalize_variants(value, level, expected):
    assert geo.normalize(value, level) == expected


def test_normalize_refuses_going_down_to_several_units():
    with pytest.raises(geo.AmbiguousUnitError, match="holds 4 units"):
        geo.normalize("kralingen", "wijk")
    with pytest.raises(geo.AmbiguousUnitError):
        geo.normalize("Hoek van Holland", "buurt")
    with pytest.raises(ValueError):  # AmbiguousUnitError is a ValueError too
        geo.normalize("WK059915", "wijk")


@pytest.mark.parametrize("typo,expected", [
    ("Tarwewyk", "Tarwewijk"), ("Bloemhoff", "Bloemhof"), ("ommord", "Ommoord"),
    ("Kralingen Crooswyk", "Kralingen-Crooswijk"), ("Afrikaandewijk", "Afrikaanderwijk"),
])
def test_unknown_name_suggests_the_right_one(typo, expected):
    with pytest.raises(geo.UnknownUnitError) as err:
        geo.normalize(typo)
    assert isinstance(err.value, ValueError)
    assert err.value.suggestions[0].startswith(expected + " (")
    assert len(err.value.suggestions) == 3
    assert expected in str(err.value)


def test_unknown_codes():
    with pytest.raises(geo.UnknownUnitError, match="BU05991599; closest known"):
        geo.normalize("BU05991599")
    with pytest.raises(geo.UnknownUnitError, match="not in gemeente GM0599"):
        geo.normalize("BU03631234")
    # A historic code names its geography years and how to convert it.
    with pytest.raises(geo.UnknownUnitError, match=r"2014-2021.*recode"):
        geo.normalize("BU05990453")
    for empty in ("", None, float("nan")):
        with pytest.raises(geo.UnknownUnitError, match="empty"):
            geo.normalize(empty)


def test_normalize_series_vectorised_and_errors():
    s = pd.Series(["Tarwewijk", "1571", None, "BU05991574", "Tarwewijk"], name="wijk",
                  index=[10, 11, 12, 13, 14])
    out = geo.normalize_series(s, "wijkraad")
    assert out.index.tolist() == s.index.tolist() and out.name == "wijk"
    assert out.tolist()[:2] == ["tarwewijk", "tarwewijk"] and pd.isna(out.iloc[2])
    assert out.iloc[3] == "oud-charlois-wielewaal"
    assert s.tolist()[0] == "Tarwewijk"  # input untouched
    bad = pd.Series(["Tarwewijk", "Tarwewyk", "Bloemhof", "Tarwewyk", "Nergenshuizen"])
    with pytest.raises(geo.UnknownUnitError) as err:
        geo.normalize_series(bad, "wijk", source="meldingen_2023.csv", column="Wijk")
    msg = str(err.value)
    assert "file meldingen_2023.csv" in msg and "column 'Wijk'" in msg
    assert "row 3, 5: value 'Tarwewyk'" in msg  # 1-based file rows incl. the header line
    assert "row 6: value 'Nergenshuizen'" in msg
    assert "Tarwewijk (wijk BU05991571)" in msg


def test_normalize_series_speed():
    # 200k rows with few distinct values: only the distinct values are resolved.
    s = pd.Series(np.tile(geo.units("wijk")["wijk"].to_numpy(), 3000))
    out = geo.normalize_series(s, "wijkraad")
    assert out.notna().all() and out.nunique() == 39


# --- aggregation -----------------------------------------------------------------------------


def test_aggregate_preserves_totals_and_nan():
    h = geo.hierarchy()
    rng = np.random.default_rng(1)
    months = pd.date_range("2023-01-01", periods=3, freq="MS")
    df = pd.DataFrame({"buurt_code": np.repeat(h["buurt_code"].to_numpy(), 3),
                       "maand": np.tile(months, len(h)),
                       "n": rng.poisson(5, len(h) * 3)})
    before = df.copy()
    for to in ("wijk", "wijkraad", "gebied", "gemeente"):
        out = geo.aggregate(df, "buurt", to, ["n"], by=["maand"])
        assert out["n"].sum() == df["n"].sum()
        assert len(out) == len(geo.units(to)) * 3
    pd.testing.assert_frame_equal(df, before)
    wr = geo.aggregate(geo.aggregate(df, "buurt", "wijk", ["n"]), "wijk", "wijkraad", ["n"])
    direct = geo.aggregate(df, "buurt", "wijkraad", ["n"])
    pd.testing.assert_frame_equal(wr, direct)
    df2 = df.assign(n=df["n"].astype(float))
    df2.loc[0, "n"] = np.nan
    out = geo.aggregate(df2, "buurt", "wijk", ["n"], by=["maand"])
    missing = out[out["n"].isna()]
    assert len(missing) == 1 and missing["wijk_code"].iloc[0] == geo.normalize(df2.loc[0, "buurt_code"], "wijk")


def test_aggregate_names_and_duplicate_index():
    df = pd.DataFrame({"wijk": ["Oud Charlois", "Wielewaal", "tarwewijk"], "n": [1, 2, 4]},
                      index=[0, 0, 0])
    out = geo.aggregate(df, "wijk", "wijkraad", ["n"], unit_col="wijk")
    assert out.values.tolist() == [["oud-charlois-wielewaal", 3], ["tarwewijk", 4]]
    assert geo.aggregate(df, "wijk", "gemeente", ["n"], unit_col="wijk").values.tolist() == [["GM0599", 7]]


def test_aggregate_errors():
    df = pd.DataFrame({"buurt_code": ["BU05991571", "BU05999999"], "n": [1, 2]})
    with pytest.raises(geo.UnknownUnitError, match=r"row 3: value 'BU05999999'"):
        geo.aggregate(df, "buurt", "wijk", ["n"])
    with pytest.raises(ValueError, match="cannot aggregate from 'gebied' to 'wijkraad'"):
        geo.aggregate(pd.DataFrame({"gebied_code": ["WK059915"], "n": [1]}), "gebied", "wijkraad", ["n"])
    with pytest.raises(KeyError, match="'m'"):
        geo.aggregate(df, "buurt", "wijk", ["m"])


# --- versioned geography ---------------------------------------------------------------------


def test_crosswalk_weights_and_chain():
    for y in geo.GEOGRAPHY_YEARS:
        cw = geo.crosswalk(y)
        assert set(cw["old_code"]) == set(geo.codes_in_year(y))
        assert set(cw["new_code"]) <= set(geo.codes_in_year(geo.CURRENT_YEAR))
        np.testing.assert_allclose(cw.groupby("old_code")["weight"].sum(), 1.0)
    assert geo.crosswalk(2020).query("old_code != new_code").values.tolist() == [
        ["BU05990453", "BU05990455", 1.0]]
    assert geo.crosswalk(2022, changed_only=True).empty
    assert len(geo.crosswalk(2014, 2019, changed_only=True)) == 0
    with pytest.raises(ValueError, match="before"):
        geo.crosswalk(2020, 2018)


def test_recode_preserves_totals_and_does_not_mutate():
    codes = geo.codes_in_year(2018)
    df = pd.DataFrame({"bu": codes, "n": np.arange(len(codes), dtype=float) + 1, "x": "a"})
    before = df.copy()
    out = geo.recode(df, "bu", 2018, value_cols=["n"])
    pd.testing.assert_frame_equal(df, before)
    assert out["n"].sum() == pytest.approx(df["n"].sum())
    assert set(out["bu"]) == set(geo.codes_in_year(2025))
    assert "BU05990326" not in set(out["bu"])
    # Without value columns rows are not split: they go to the largest piece.
    ev = geo.recode(df, "bu", 2018)
    assert len(ev) == len(df) and ev.attrs["recode_reassigned"] == 1
    assert ev.loc[df["bu"] == "BU05990326", "bu"].item() == "BU05990327"
    with pytest.raises(geo.UnknownUnitError, match="BU05990327"):
        geo.recode(pd.DataFrame({"bu": ["BU05990327"]}), "bu", 2018)  # did not exist yet


def test_hierarchy_of_an_old_year():
    h19 = geo.hierarchy(2019)
    assert set(h19["buurt_code"]) == set(geo.codes_in_year(2019))
    row = h19.set_index("buurt_code").loc["BU05990326"]
    assert row["wijk_code"] == "BU05990327" and row["wijkraad_id"] == "mathenesse"


def test_detect_year():
    assert geo.detect_year(geo.codes_in_year(2025)) == 2025
    assert geo.detect_year(["BU05990453", "BU05990326"]) == 2019
    assert geo.detect_year(["BU05990453", "BU05990328"]) == 2021
    assert geo.detect_year(["1571", "Tarwewijk", "WK059915", None]) == 2025
    with pytest.raises(geo.UnknownUnitError, match="'BU05990000'"):
        geo.detect_year(["BU05991571", "BU05990000"])
    with pytest.raises(geo.UnknownUnitError, match="mix geography years"):
        geo.detect_year(["BU05990326", "BU05990455"])


# --- population ------------------------------------------------------------------------------


def test_population_plausible_and_consistent():
    p = geo.population("gemeente")
    tot = p.set_index("year")["population"]
    assert 550_000 < tot[2020] < 700_000
    assert list(tot.index) == list(geo.POPULATION_YEARS)
    for lv in ("buurt", "wijk", "wijkraad", "gebied"):
        pl = geo.population(lv)
        assert (pl.groupby("year")["population"].sum() == tot).all(), lv
        assert (pl["population"] > 0).all()
    w = geo.population("wijk", 2022).set_index("wijk_code")["population"]
    assert w.max() < 32_000 and w.idxmax() == geo.normalize("Ommoord", "wijk")
    assert 1_000 < w[geo.normalize("Heijplaat", "wijk")] < 2_500
    b = geo.population("buurt", [2022]).set_index("buurt_code")["population"]
    assert b[geo.normalize("Schieveen", "buurt")] < 500
    with pytest.raises(ValueError, match="2030"):
        geo.population("wijk", 2030)


# --- neighbours and maps ---------------------------------------------------------------------


def _components(adj: pd.DataFrame, nodes: set[str]) -> list[set[str]]:
    nb: dict[str, set[str]] = {n: set() for n in nodes}
    for a, b in adj.itertuples(index=False):
        if a in nodes and b in nodes:
            nb[a].add(b)
    comps, seen = [], set()
    for n in sorted(nodes):
        if n in seen:
            continue
        stack, comp = [n], set()
        while stack:
            x = stack.pop()
            if x not in comp:
                comp.add(x)
                stack.extend(nb[x] - comp)
        seen |= comp
        comps.append(comp)
    return comps


OUTLYING_GEBIEDEN = {"WK059913", "WK059916", "WK059917", "WK059927"}  # Pernis, Hoogvliet, HvH, Rozenburg


@pytest.mark.parametrize("level", ["buurt", "wijk", "wijkraad", "gebied"])
def test_adjacency_symmetric_and_mainland_connected(level):
    a = geo.adjacency(level)
    pairs = set(a.itertuples(index=False, name=None))
    assert pairs == {(b, c) for c, b in pairs}
    assert not any(u == n for u, n in pairs)
    key = geo.KEY_COLUMNS[level]
    h = geo.hierarchy()
    main = h[~h["gebied_code"].isin(OUTLYING_GEBIEDEN) & (h["buurt_code"] != "BU05991593")]
    nodes = set(main[key])
    comps = _components(a, nodes)
    assert len(comps) == 1, [sorted(c)[:3] for c in comps]


def test_adjacency_from_real_gebied_borders():
    # Gebieden are the real CBS wijken 2024: neighbours share a border (rivers included, where
    # CBS borders run mid-stream); port wijken that are no unit separate Pernis and Hoogvliet.
    a = geo.adjacency("gebied")
    nb = a.groupby("unit")["neighbour"].apply(sorted).to_dict()
    assert nb["WK059915"] == ["WK059903", "WK059910", "WK059912"]  # Charlois
    assert nb["WK059917"] == ["WK059927"]  # Hoek van Holland - Rozenburg, across the Nieuwe Waterweg
    assert "WK059913" not in nb and "WK059916" not in nb  # Pernis, Hoogvliet: port areas around
    assert a.attrs["tolerance_m"] == geo.ADJACENCY_TOLERANCE_M
    assert geo.neighbours("Hoogvliet-Noord", "wijk") == ["BU05991699"]
    assert "tarwewijk" in geo.neighbours("Carnisse-Zuidplein-Zuiderpark")
    # Wijkraden lie inside their gebied, so a wijkraad's neighbours lie in its own or a neighbouring gebied.
    u = geo.units("wijkraad").set_index("wijkraad_id")["gebied_code"]
    for unit, other in geo.adjacency("wijkraad").itertuples(index=False):
        assert u[unit] == u[other] or u[other] in nb[u[unit]], (unit, other)


def test_polygons_real_gebieden_schematic_buurten():
    import shapely

    g = geo.active()
    assert not g.polygons_approximate("gebied") and g.polygons_approximate("buurt")
    assert g.polygons_approximate("wijkraad") and geo.POLYGONS_ARE_SCHEMATIC
    for level in ("buurt", "wijk", "wijkraad", "gebied"):
        p = geo.polygons(level)
        assert set(p) == set(geo.units(level)[geo.KEY_COLUMNS[level]])
        for rings in p.values():
            for ring in rings:
                lon, lat = np.asarray(ring).T
                assert len(ring) >= 3
                assert (3.9 < lon).all() and (lon < 4.8).all() and (51.7 < lat).all() and (lat < 52.1).all()
    # Every schematic buurt cell lies inside its real gebied, and the cells cover the gebied.
    gebied = g.shapes("gebied")
    wijkraad = g.shapes("wijkraad")
    h = geo.hierarchy().set_index("buurt_code")
    for code, cell in g.shapes("buurt").items():
        outline = gebied[h.loc[code, "gebied_code"]]
        # m2: the cells are snapped to a 1 cm grid, which moves a long border by fractions of a m2
        assert shapely.area(shapely.difference(cell, outline)) < 1e-5 * cell.area, code
    for code, outline in gebied.items():
        cover = shapely.union_all(list(wijkraad[geo.members(code, "gebied", "wijkraad")]))
        assert abs(cover.area - outline.area) < 1e-4 * outline.area, code
    # The gebied outlines are the CBS file's, unchanged.
    import geopandas as gpd
    real = gpd.read_file(geo.DEMO_GEOGRAPHY_DIR / "wijken_2024.geojson").to_crs(28992).set_index("wk_code")
    assert abs(real.loc["WK059915"].geometry.area - gebied["WK059915"].area) < 1.0


def test_shipped_buurt_kaart_is_what_the_builder_draws():
    import geopandas as gpd
    import shapely

    from wijklib.demo._geography import BUURT_KAART, build_buurt_kaart

    shipped = gpd.read_file(geo.DEMO_GEOGRAPHY_DIR / BUURT_KAART).set_index("BU_CODE")
    drawn = build_buurt_kaart().set_index("BU_CODE")
    assert shipped.index.tolist() == drawn.index.tolist()
    diff = shapely.area(shapely.symmetric_difference(shipped.geometry.to_numpy(), drawn.geometry.to_numpy()))
    assert diff.max() < 1.0  # m2: coordinates are written to the cm


def test_rd_round_trip_and_locate():
    c = geo.centroids("buurt")
    x, y = geo.wgs84_to_rd(c["lat"], c["lon"])
    lat, lon = geo.rd_to_wgs84(x, y)
    assert np.abs(lat - c["lat"]).max() < 1e-7 and np.abs(lon - c["lon"]).max() < 1e-7
    # Rotterdam lies around RD x 60-100 km, y 428-450 km (pyproj EPSG:28992).
    assert ((x > 60_000) & (x < 100_000)).all() and ((y > 428_000) & (y < 450_000)).all()
    assert geo.locate(x, y).tolist() == c["buurt_code"].tolist()
    assert geo.locate(c["lon"], c["lat"], crs="wgs84").tolist() == c["buurt_code"].tolist()
    # Outside the gemeente (Amersfoort) and missing coordinates: missing, not a guess.
    assert geo.locate([155000.0, np.nan], [463000.0, 0.0]).isna().all()
    # A point in a port wijk (no unit of the demo) is outside every unit.
    port = geo.active().context().set_index("code").geometry["WK059921"].representative_point()
    assert geo.locate([port.x], [port.y]).isna().all()
    cr = geo.centroids("wijk", crs="rd")
    assert cr.columns.tolist() == ["wijk_code", "x", "y"] and len(cr) == 71


# --- docstring examples run ------------------------------------------------------------------


def test_docstring_examples():
    res = doctest.testmod(geo, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
                          | doctest.IGNORE_EXCEPTION_DETAIL)
    assert res.failed == 0 and res.attempted > 20


def test_readme_lists_every_wijkraad():
    from wijklib.config import RAW_DIR

    readme = RAW_DIR / "geo" / "README.md"
    if not readme.is_file():
        pytest.skip(f"{readme} absent")
    text = readme.read_text(encoding="utf-8")
    for slug in geo.units("wijkraad")["wijkraad_id"]:
        assert re.search(rf"`{re.escape(slug)}`", text), slug


def test_normalize_is_idempotent_on_canonical_codes():
    for level in ("buurt", "wijk", "wijkraad", "gebied", "gemeente"):
        for code in geo.units(level)[geo.KEY_COLUMNS[level]]:
            assert geo.normalize(code) == code
            assert geo.normalize(code, level) == code


def test_level_words_and_helpers():
    assert geo.normalize("Wijkraad Feijenoord") == "feijenoord"
    assert geo.normalize("gebied Delfshaven") == "WK059903"
    assert geo.normalize("Delfshaven") == "BU05990320"  # bare name: the wijk
    assert geo.normalize("deelgemeente Charlois", "gebied") == "WK059915"
    assert geo.name("kralingen") == "Kralingen"
    assert geo.name("1571", "wijkraad") == "Tarwewijk"
    assert geo.members("Kralingen") == ["BU05990841", "BU05990842", "BU05990845", "BU05990847"]
    assert len(geo.members("GM0599", "gemeente", "wijk")) == 71
    assert geo.members("Zestienhoven", "wijk", "buurt") == ["BU05990454", "BU05990455"]
    with pytest.raises(ValueError, match="does not nest"):
        geo.members("tarwewijk", "wijkraad", "gebied")


def test_geojson_closed_rings():
    import json

    fc = geo.to_geojson("wijkraad", year=2022)
    assert len(fc["features"]) == 39
    pops = {f["properties"]["wijkraad_id"]: f["properties"]["population"] for f in fc["features"]}
    assert pops == geo.units("wijkraad", 2022).set_index("wijkraad_id")["population"].to_dict()
    for f in fc["features"]:
        for poly in f["geometry"]["coordinates"]:
            assert poly[0][0] == poly[0][-1]
    json.dumps(fc)  # serialisable as is


def test_ambiguous_name_message():
    with pytest.raises(geo.AmbiguousUnitError, match="cannot be read as one buurt"):
        geo.normalize("Hoogvliet", "buurt")
