"""The demo city's geography files (package data in ``wijklib/demo/geografie``).

The gebied outlines are REAL (CBS wijk- en buurtkaart 2024, the 21 CBS wijken of Rotterdam; see
``geografie/BRON.md``). No buurt polygons of Rotterdam were available, so the buurt outlines are
SCHEMATIC: the Voronoi cells of approximate buurt points (``ankerpunten.csv``), computed separately
inside each real gebied and clipped to it, so that every wijk and wijkraad is drawn inside its real
gebied. :func:`draw_buurt_cells` rebuilds ``buurten_2025.geojson`` from those two files
(``python -m wijklib.demo.geography``); a test checks that the shipped file is what it draws.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

GEOGRAPHY_DIR = Path(__file__).resolve().parent / "geografie"
BUURT_KAART = "buurten_2025.geojson"


def draw_buurt_cells(points: pd.DataFrame, outlines):
    """Schematic buurt cells inside real outlines.

    Parameters
    ----------
    points : DataFrame
        ``code, x, y, wk_code`` (RD New metres): one approximate point per buurt and the CBS wijk
        it lies in by its code.
    outlines : GeoSeries
        Real CBS wijk outlines (RD New) indexed by ``WK`` code.

    Returns
    -------
    GeoSeries
        One polygon per buurt code (RD New, 1 cm grid), partitioning each outline.
    """
    import geopandas as gpd
    import shapely

    cells = {}
    for wk, grp in points.groupby("wk_code"):
        outline = outlines[wk]
        if len(grp) == 1:
            cells[grp["code"].iloc[0]] = outline
            continue
        mp = shapely.multipoints(shapely.points(grp["x"].to_numpy(), grp["y"].to_numpy()))
        vor = shapely.get_parts(shapely.voronoi_polygons(mp, extend_to=outline, ordered=True))
        for code, cell in zip(grp["code"], vor, strict=True):
            cells[code] = shapely.intersection(cell, outline)
    out = gpd.GeoSeries(cells, crs="EPSG:28992").sort_index()
    return gpd.GeoSeries(shapely.set_precision(out.to_numpy(), 0.01), index=out.index, crs=out.crs)


def build_buurt_kaart(folder: Path = GEOGRAPHY_DIR):
    """The schematic buurt kaart as a GeoDataFrame in CBS download names (BU_CODE, BU_NAAM, ...)."""
    import geopandas as gpd

    from wijklib.geo._crs import wgs84_to_rd

    pts = pd.read_csv(folder / "ankerpunten.csv", dtype={"code": str})
    names = pd.read_csv(folder / "buurtnamen.csv", dtype=str).set_index("code")["naam"]
    x, y = wgs84_to_rd(pts["lat"].to_numpy(), pts["lon"].to_numpy())
    pts = pts.assign(x=x, y=y, wk_code="WK" + pts["code"].str[2:8])
    wijken = gpd.read_file(folder / "wijken_2024.geojson").to_crs("EPSG:28992").set_index("wk_code").geometry
    cells = draw_buurt_cells(pts, wijken)
    return gpd.GeoDataFrame({
        "BU_CODE": cells.index, "BU_NAAM": names.reindex(cells.index).to_numpy(),
        "WK_CODE": "WK" + cells.index.str[2:8], "GM_CODE": "GM" + cells.index.str[2:6],
        "GM_NAAM": "Rotterdam",
    }, geometry=cells.to_numpy(), crs="EPSG:28992")


def write_buurt_kaart(folder: Path = GEOGRAPHY_DIR) -> Path:
    """(Re)write ``buurten_2025.geojson`` from ``ankerpunten.csv`` and the real wijk outlines."""
    path = folder / BUURT_KAART
    build_buurt_kaart(folder).to_file(path, driver="GeoJSON", COORDINATE_PRECISION=2)
    return path
