"""Real geographies of the Haaglanden gemeenten from ``thehague_crime/areas.txt`` (police wijk outlines).

``areas.txt`` (see its SOURCE.md) holds one line per wijk: ``code,name|lat,lon|lat,lon|...``; a
``^`` inside a vertex field starts another ring of the same wijk (holes and islands are read with
the even-odd rule). Codes are the CBS gemeente code (3 or 4 digits, leading zero dropped) plus a
2-digit wijk number: ``51802`` reads as ``WK051802``, ``178301`` as ``WK178301``. The crime file's
neighbourhood codes add buurten as points (``5180271`` -> ``BU05180271``).

:func:`write_folder` converts one gemeente into a geography folder in CBS/PDOK conventions
(``wijken.geojson`` with PDOK names, ``buurtpunten.csv``, ``geografie.yaml``), which
:func:`wijklib.geo.load` reads like any other city; :func:`geography` does both.

Examples
--------
>>> from wijklib.geo import haaglanden
>>> g = haaglanden.geography("GM0518", buurten=False)   # doctest: +SKIP
>>> len(g.units("wijk"))                                 # doctest: +SKIP
44
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from wijklib.config import REFERENCE_DATA_DIR
from wijklib.geo._geography import Geography
from wijklib.geo._names import GeoDataError

DATA_DIR = REFERENCE_DATA_DIR / "thehague_crime"
AREAS = DATA_DIR / "areas.txt"
CRIME = DATA_DIR / "thehague_buurt_month_crime_2011_2017.csv.gz"
#: The police site's wijk division is not dated in the source; the crime data end in 2017.
DEFAULT_YEAR = 2017
#: Gemeente names stated in SOURCE.md; others default to their code (pass ``naam=``).
KNOWN_NAMES = {"GM0518": "'s-Gravenhage"}


def _wijk_code(raw: str) -> str:
    if not raw.isdigit() or len(raw) not in (5, 6):
        raise GeoDataError(f"{AREAS}: wijk code {raw!r}; expected 5 or 6 digits (gemeente + 2-digit wijk)")
    return "WK" + raw.zfill(6)


def read_areas(path: Path | str = AREAS):
    """All wijk outlines of ``areas.txt`` (see :func:`_read_areas`); a fresh copy of a cached read."""
    return _read_areas(str(Path(path).resolve())).copy()


def area_lines(path: Path | str) -> list[tuple[int, str, str, list[list[tuple[float, float]]]]]:
    """The lines of an areas file (``code,name|lat,lon|lat,lon|...``, WGS84; ``^`` separates the rings of a
    multi-part wijk) as ``(line number, code, name, rings)``, each ring a list of (lon, lat) pairs.

    The one parser of the format, for the outlines here and for the police report's wijk list
    (:func:`wijklib.report.police.read_areas`). A vertex that is not ``lat,lon`` raises
    :class:`GeoDataError` naming the file and line.
    """
    path = Path(path)
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        head, _, rest = line.partition("|")
        code, _, name = head.partition(",")
        rings = []
        for ring in rest.split("^"):
            try:
                rings.append([(float(lon), float(lat)) for lat, lon in (p.split(",") for p in ring.split("|") if p)])
            except ValueError:
                raise GeoDataError(f"{path}, line {lineno}: vertex list {ring[:40]!r}...; expected "
                                   f"'lat,lon|lat,lon|...'") from None
        out.append((lineno, code.strip(), name.strip(), rings))
    return out


@functools.lru_cache(maxsize=4)
def _read_areas(path: Path | str):
    """All wijk outlines of ``areas.txt`` -> GeoDataFrame[wk_code, wk_naam, gm_code, repaired, geometry] (WGS84).

    Rings are combined with the even-odd rule; outlines that are not valid polygons (the vertices
    are rounded to 4-5 decimals, which makes some rings cross themselves) are repaired with
    ``shapely.make_valid`` and flagged in ``repaired``.
    """
    import geopandas as gpd
    import shapely

    path = Path(path)
    if not path.is_file():
        raise GeoDataError(f"{path}: not found (the Haaglanden reference data set, see its SOURCE.md)")
    recs = []
    for lineno, code, name, vertices in area_lines(path):
        rings = []
        for xy in vertices:
            if len(xy) < 3:
                raise GeoDataError(f"{path}, line {lineno} ({code}): a ring of {len(xy)} vertices; expected >= 3")
            rings.append(shapely.Polygon(np.array(xy)))
        raw_ok = all(r.is_valid for r in rings)
        geom = functools.reduce(shapely.symmetric_difference, [shapely.make_valid(r) for r in rings])
        geom = shapely.make_valid(geom)
        # make_valid may return a collection with stray lines: keep the polygonal part.
        polys = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(polys)
        wk = _wijk_code(code)
        recs.append({"wk_code": wk, "wk_naam": name, "gm_code": "GM" + wk[2:6],
                     "repaired": not raw_ok, "geometry": geom})
    df = gpd.GeoDataFrame(recs, geometry="geometry", crs="EPSG:4326")
    dup = df["wk_code"].duplicated()
    if dup.any():
        raise GeoDataError(f"{path}: wijk {df.loc[dup, 'wk_code'].iloc[0]} appears twice; expected one line per wijk")
    return df


def gemeenten(path: Path | str = AREAS) -> list[str]:
    """CBS gemeente codes present in ``areas.txt``."""
    return sorted(read_areas(path)["gm_code"].unique())


def read_buurt_points(path: Path | str = CRIME) -> pd.DataFrame:
    """Buurten of the crime file as points: code (BU...), naam, lat, lon, wk_code."""
    path = Path(path)
    df = pd.read_csv(path, dtype=str, usecols=["district_code", "neighbourhood_code", "neighbourhood_name",
                                                "latitude", "longitude"]).drop_duplicates()
    if df["neighbourhood_code"].duplicated().any():
        code = df.loc[df["neighbourhood_code"].duplicated(), "neighbourhood_code"].iloc[0]
        raise GeoDataError(f"{path}: neighbourhood {code} has several names or points; expected one")
    code = "BU" + df["neighbourhood_code"].str.zfill(8)
    return pd.DataFrame({"code": code.to_numpy(), "naam": df["neighbourhood_name"].str.strip().to_numpy(),
                         "lat": df["latitude"].astype(float).to_numpy(), "lon": df["longitude"].astype(float).to_numpy(),
                         "wk_code": ("WK" + df["district_code"].str.zfill(6)).to_numpy()}).sort_values("code")


def write_folder(folder: Path | str, gemeente: str = "GM0518", *, naam: str | None = None,
                 buurten: bool = True, year: int = DEFAULT_YEAR, areas: Path | str = AREAS,
                 crime: Path | str = CRIME) -> Path:
    """Write one gemeente of ``areas.txt`` as a geography folder; returns the manifest path.

    Parameters
    ----------
    folder : path
        Created if needed.
    gemeente : str
        CBS code, e.g. ``GM0518`` ('s-Gravenhage) or ``518``.
    buurten : bool, default True
        Add the crime file's buurten as points (finest level). Wijken without any buurt in the
        crime file are then no unit (drawn as context on maps); the manifest lists them. With
        ``False`` every wijk of ``areas.txt`` is a unit.
    year : int
        Geography year to declare (the source does not date its division).
    """
    from wijklib.geo._read import _gm

    gm = _gm(gemeente, "haaglanden.write_folder")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    wk = read_areas(areas)
    wk = wk[wk["gm_code"] == gm].reset_index(drop=True)
    if wk.empty:
        raise GeoDataError(f"{areas}: no wijk of gemeente {gm}; gemeenten in the file: {', '.join(gemeenten(areas))}")
    out = wk.rename(columns={"wk_code": "statcode", "wk_naam": "statnaam"})
    out["jrstatcode"] = f"{year}" + out["statcode"]
    out["gm_naam"] = naam or KNOWN_NAMES.get(gm, gm)
    out[["statcode", "statnaam", "jrstatcode", "gm_code", "gm_naam", "geometry"]].to_file(
        folder / "wijken.geojson", driver="GeoJSON")
    notes = [f"bron: {Path(areas).name} (politie, via nuel/thehague_crime_data); codes afgeleid uit het "
             f"codepatroon (SOURCE.md)"]
    repaired = wk.loc[wk["repaired"], "wk_code"].tolist()
    if repaired:
        notes.append(f"{len(repaired)} wijkgrenzen hersteld met shapely.make_valid (afgeronde hoekpunten "
                     f"snijden zichzelf): {', '.join(repaired)}")
    manifest = ["# 's-Gravenhage/Haaglanden geography written by wijklib.geo.haaglanden.write_folder",
                *(f"# {n}" for n in notes),
                f"gemeente: {gm}", f"naam: \"{naam or KNOWN_NAMES.get(gm, gm)}\"", f"jaar: {year}",
                "bron: \"politie-wijkgrenzen (areas.txt), buurten als punten uit het misdrijvenbestand\"",
                "kaarten:", "  - bestand: wijken.geojson"]
    if buurten:
        pts = read_buurt_points(crime)
        pts = pts[pts["code"].str[2:6] == gm[2:]]
        unknown = sorted(set(pts["wk_code"]) - set(wk["wk_code"]))
        if unknown:
            raise GeoDataError(f"{crime}: buurten in wijk(en) {unknown[:5]} that {areas} does not have")
        if len(pts):
            pts[["code", "naam", "lat", "lon"]].to_csv(folder / "buurtpunten.csv", index=False)
            manifest += ["punten:", "  - bestand: buurtpunten.csv", "    niveau: buurt"]
            without = sorted(set(wk["wk_code"]) - set(pts["wk_code"]))
            if without:
                manifest.insert(1 + len(notes), f"# wijken zonder buurt in het misdrijvenbestand (geen eenheid, "
                                                f"wel op de kaart): {', '.join(without)}")
    manifest.append("geschat: [wijkcodes_afgeleid]")
    path = folder / "geografie.yaml"
    path.write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return path


@functools.lru_cache(maxsize=32)
def _cached(gm: str, naam: str | None, buurten: bool, year: int, areas: str, crime: str) -> Geography:
    from wijklib.geo import load

    with tempfile.TemporaryDirectory(prefix="wijklib-haaglanden-") as tmp:
        g = load(write_folder(tmp, gm, naam=naam, buurten=buurten, year=year, areas=areas, crime=crime))
        # Everything is read into memory: the temporary folder may go.
        g.shapes(g.levels[-1]) if g.has_polygons(g.levels[-1]) else None
    return g


def geography(gemeente: str = "GM0518", *, naam: str | None = None, buurten: bool = True,
              year: int = DEFAULT_YEAR, areas: Path | str = AREAS, crime: Path | str = CRIME) -> Geography:
    """The real geography of one Haaglanden gemeente (wijk outlines, buurten as points), cached.

    Levels ``buurt`` (points from the crime file, when ``buurten``), ``wijk`` (real police wijk
    outlines) and ``gemeente``; adjacency from shared wijk borders; no residents (no kwb table).
    Call ``wl.geo.use(haaglanden.geography())`` to make it the active geography.
    """
    from wijklib.geo._read import _gm

    return _cached(_gm(gemeente, "haaglanden.geography"), naam, buurten, int(year), str(areas), str(crime))
