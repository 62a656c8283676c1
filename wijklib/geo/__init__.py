"""Geography as data: a gemeente's units, names, residents, polygons and code versions.

A city's geography is a folder of CBS/PDOK files with a small manifest (``geografie.yaml``), read
by :func:`load` into a :class:`Geography` (shapely 2 / pyproj / geopandas with pyogrio, imported
only when geometry is needed). The module-level functions below work on the *active* geography:
the demo city unless :func:`use` (or a run config's ``geografie:`` section) switched it.

Levels (finest first) and key columns come from the geography; the demo city has

=========  ===============  ============  =====================================
level      key column       example       name column
=========  ===============  ============  =====================================
buurt      ``buurt_code``   BU05991571    ``buurt``  (CBS buurt, finest unit)
wijk       ``wijk_code``    BU05991571    ``wijk``   (71 Wijkprofiel wijken)
wijkraad   ``wijkraad_id``  tarwewijk     ``wijkraad`` (39 wijkraden, report unit)
gebied     ``gebied_code``  WK059915      ``gebied`` (14 gebieden = CBS wijken)
gemeente   ``gemeente_code`` GM0599       ``gemeente``
=========  ===============  ============  =====================================

Examples
--------
>>> from wijklib import geo
>>> geo.normalize("oud charlois", level="wijkraad")
'oud-charlois-wielewaal'
>>> len(geo.units("wijk"))
71
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from wijklib.geo._crs import rd_to_wgs84, wgs84_to_rd
from wijklib.geo._geography import (
    ADJACENCY_MIN_BORDER_M,
    ADJACENCY_TOLERANCE_M,
    CROSSWALK_MIN_SHARE,
    Geography,
)
from wijklib.geo._names import (
    AmbiguousUnitError,
    GeoDataError,
    MissingGeoDataError,
    UnknownUnitError,
    name_key,
    slugify,
)

for _cls in (UnknownUnitError, AmbiguousUnitError, GeoDataError, MissingGeoDataError):
    _cls.__module__ = __name__  # shown as wijklib.geo.UnknownUnitError in tracebacks

__all__ = [
    "Geography", "load", "use", "active", "DEMO_GEOGRAPHY_DIR",
    "ADJACENCY_TOLERANCE_M", "ADJACENCY_MIN_BORDER_M", "CROSSWALK_MIN_SHARE",
    "UnknownUnitError", "AmbiguousUnitError", "GeoDataError", "MissingGeoDataError",
    "using", "hierarchy", "units", "name", "members", "normalize", "normalize_series", "population", "aggregate",
    "crosswalk", "recode", "detect_year", "codes_in_year", "adjacency", "neighbours",
    "centroids", "polygons", "to_geojson", "locate", "rd_to_wgs84", "wgs84_to_rd", "slugify", "name_key",
]

#: The demo city's geography folder (package data of :mod:`wijklib.demo`).
DEMO_GEOGRAPHY_DIR = Path(__file__).resolve().parent.parent / "demo" / "geografie"

_ACTIVE: Geography | None = None


def load(source: str | Path | Mapping[str, Any], *, base_dir: str | Path | None = None) -> Geography:
    """Read a geography from a folder (or its ``geografie.yaml``) or a config section.

    Parameters
    ----------
    source : path or mapping
        A folder holding ``geografie.yaml``, the manifest file itself, a config section
        ``{"map": <folder>}``, or the manifest's content as a mapping (files relative to ``base_dir``).
    base_dir : path, optional
        Folder that relative paths in a mapping are read from.

    Returns
    -------
    Geography

    Raises
    ------
    GeoDataError
        A file that cannot be used; the message names the file, the feature or row, the column,
        the value and what was expected.

    Examples
    --------
    >>> g = load(DEMO_GEOGRAPHY_DIR)
    >>> g.gemeente_code, len(g.units("wijkraad"))
    ('GM0599', 39)
    """
    from wijklib.geo._read import load as _load

    return _load(source, base_dir=base_dir)


def use(geography: Geography | str | Path | Mapping[str, Any] | None, *,
        base_dir: str | Path | None = None) -> Geography:
    """Make ``geography`` the active one for the module-level functions; ``None`` = the demo city.

    Accepts a :class:`Geography`, anything :func:`load` reads, or a run config's ``geografie:``
    section. Returns the now active geography.

    Examples
    --------
    >>> g = use(None)
    >>> g is active()
    True
    """
    global _ACTIVE
    if geography is None:
        geography = _default_source()
    if not isinstance(geography, Geography):
        geography = load(geography, base_dir=base_dir)
    _ACTIVE = geography
    return geography


@contextlib.contextmanager
def using(geography: Geography | str | Path | Mapping[str, Any] | None, *, base_dir: str | Path | None = None):
    """Make ``geography`` the active one inside a ``with`` block (the previous one comes back after).

    Loaders that place reports by point or name (MOR, Signalen, MSB) and the panel use the active
    geography; a run on another city reads its sources inside ``with geo.using(city):``.
    ``None`` keeps the active geography.

    Examples
    --------
    >>> with using(DEMO_GEOGRAPHY_DIR) as g:
    ...     g.gemeente_code
    'GM0599'
    """
    global _ACTIVE
    before = _ACTIVE
    try:
        yield use(geography, base_dir=base_dir) if geography is not None else active()
    finally:
        _ACTIVE = before


def _default_source() -> Path:
    env = os.environ.get("WIJKLIB_GEOGRAPHY")
    return Path(env) if env else DEMO_GEOGRAPHY_DIR


def active() -> Geography:
    """The active geography (read on first use: ``$WIJKLIB_GEOGRAPHY`` or the demo city).

    Examples
    --------
    >>> active().gemeente_code
    'GM0599'
    """
    global _ACTIVE
    if _ACTIVE is None:
        _ACTIVE = load(_default_source())
    return _ACTIVE


def __getattr__(name: str) -> Any:
    # Constants that describe the active geography (kept for existing callers).
    g = active
    values = {
        "LEVELS": lambda: g().levels,
        "KEY_COLUMNS": lambda: g().key_columns,
        "NAME_COLUMNS": lambda: g().name_columns,
        "GEOGRAPHY_YEARS": lambda: g().geography_years,
        "POPULATION_YEARS": lambda: g().population_years,
        "CURRENT_YEAR": lambda: g().current_year,
        "GEMEENTE_CODE": lambda: g().gemeente_code,
        "GEMEENTE_NAAM": lambda: g().gemeente_naam,
        "POLYGONS_ARE_SCHEMATIC": lambda: any(g().polygons_approximate(lv) for lv in g().levels[:-1]),
        "CROSSWALK_IS_ILLUSTRATIVE": lambda: bool(g()._p.crosswalk_illustrative),
    }
    if name in values:
        return values[name]()
    raise AttributeError(f"module 'wijklib.geo' has no attribute {name!r}")


# ---------------------------------------------------------------------------------------------
# Module-level API: the active geography
# ---------------------------------------------------------------------------------------------

def hierarchy(year: int | None = None) -> pd.DataFrame:
    """One row per unit of the finest level with every coarser unit it belongs to.

    Examples
    --------
    >>> h = hierarchy()
    >>> h.loc[h.buurt_code == "BU05991571", ["wijk", "wijkraad_id", "gebied"]].iloc[0].tolist()
    ['Tarwewijk', 'tarwewijk', 'Charlois']
    >>> "BU05990453" in set(hierarchy(2021).buurt_code)  # illustrative renumbered code
    True
    """
    return active().hierarchy(year)


def units(level: str | None = "wijkraad", year: int | None = None) -> pd.DataFrame:
    """One row per unit of ``level``: code, name, coarser codes and names, member counts, population.

    Examples
    --------
    >>> u = units("wijkraad")
    >>> len(u), u.columns[:4].tolist()
    (39, ['wijkraad_id', 'wijkraad', 'gebied_code', 'gebied'])
    """
    return active().units(_level(level), year)


def _level(level: str | None) -> str | None:
    # Existing callers say "wijkraad" for the reporting unit: in a city without wijkraden it means
    # that city's reporting level (manifest 'rapportniveau', else its finest own level or CBS wijk).
    if level == "wijkraad" and "wijkraad" not in active().levels:
        return active().default_level
    return level


def name(unit: Any, level: str | None = None) -> str:
    """Display name of a unit given by code or any accepted spelling.

    Examples
    --------
    >>> name("tarwewijk"), name("BU05991702", "wijk"), name("WK059901")
    ('Tarwewijk', 'Hoek van Holland', 'Rotterdam Centrum')
    """
    return active().name(unit, level)


def members(unit: Any, level: str | None = "wijkraad", member_level: str | None = "wijk") -> list[str]:
    """Codes of the units of ``member_level`` inside ``unit`` (sorted).

    Examples
    --------
    >>> members("Kralingen")
    ['BU05990841', 'BU05990842', 'BU05990845', 'BU05990847']
    """
    g = active()
    if member_level not in g.levels:
        member_level = None
    return g.members(unit, _level(level), member_level)


def normalize(value: Any, level: str | None = None) -> str:
    """Canonical code of a unit given as a code or a name in any common spelling.

    Accepted: CBS codes in any spelling (``WK059901``, ``0599 01``, ``59901``; ``BU05991571``,
    ``05991571``, ``1571`` or the number 1571; ``GM0599``), names of every level regardless of case,
    diacritics, hyphens, dashes, apostrophes and spaces, a city unit's own id (slug), aliases.

    Parameters
    ----------
    value : str or int
    level : str, optional
        Level of the code to return. A unit of a finer level returns the unit containing it; a
        coarser unit is only accepted when it holds exactly one unit of ``level``. Without a level
        a code is returned as is and a name resolves in the geography's name order; a leading level
        word decides instead ("wijkraad Feijenoord", "gebied Delfshaven").

    Raises
    ------
    UnknownUnitError
        Unknown code or name; the message lists the three closest known units.
    AmbiguousUnitError
        The unit cannot be mapped to one unit of ``level`` (subclass of UnknownUnitError).

    Examples
    --------
    >>> normalize("0599 15"), normalize(1571), normalize("Oud Charlois", level="wijk")
    ('WK059915', 'BU05991571', 'BU05991574')
    >>> normalize("BU05991571", level="wijkraad"), normalize("s gravenland", level="gebied")
    ('tarwewijk', 'WK059914')
    >>> normalize("Tarwewyk")
    Traceback (most recent call last):
    ...
    wijklib.geo.UnknownUnitError: unknown unit name or code 'Tarwewyk'; closest known: Tarwewijk (wijk BU05991571); ...
    """
    return active().normalize(value, _level(level))


def normalize_series(series: pd.Series, level: str, source: str | None = None,
                     column: str | None = None, *, first_row: int = 2) -> pd.Series:
    """Vectorised :func:`normalize`: each distinct value is resolved once.

    Missing values stay missing. Every value that fails is reported in one error naming the file
    (``source``), the column, the row numbers and the value.

    Examples
    --------
    >>> s = pd.Series(["Tarwewijk", "1571", "BU05991574", None], name="wijk")
    >>> normalize_series(s, "wijkraad").tolist()
    ['tarwewijk', 'tarwewijk', 'oud-charlois-wielewaal', nan]
    """
    return active().normalize_series(series, _level(level), source, column, first_row=first_row)


def population(level: str | None = "wijkraad", years: int | Iterable[int] | None = None) -> pd.DataFrame:
    """Residents per unit on 1 January of each kwb year (``<key column>, year, population``).

    Raises :class:`MissingGeoDataError` when the geography has no kwb table.

    Examples
    --------
    >>> p = population("wijk", years=2022)
    >>> int(p.loc[p.wijk_code == "BU05991463", "population"].iloc[0])  # Ommoord (estimated)
    27000
    """
    return active().population(_level(level), years)


def aggregate(df: pd.DataFrame, from_level: str, to_level: str, value_cols: Sequence[str],
              unit_col: str | None = None, *, by: Sequence[str] = ()) -> pd.DataFrame:
    """Sum counts from one level to a coarser one; a group with a missing value gets a missing sum.

    Examples
    --------
    >>> d = pd.DataFrame({"buurt_code": ["BU05991571", "BU05991574", "BU05991575"], "n": [3, 4, 5]})
    >>> aggregate(d, "buurt", "wijkraad", ["n"]).values.tolist()
    [['oud-charlois-wielewaal', 9], ['tarwewijk', 3]]
    """
    return active().aggregate(df, _level(from_level), _level(to_level), value_cols, unit_col, by=by)


def crosswalk(from_year: int, to_year: int | None = None, *, changed_only: bool = False) -> pd.DataFrame:
    """Weights (``old_code, new_code, weight``) carrying finest codes of ``from_year`` to ``to_year``.

    Derived from polygon overlap of two kaarten (see :meth:`Geography.crosswalk`), or read from a
    declared crosswalk file (the demo city's is illustrative: ``attrs["illustrative"]``).

    Examples
    --------
    >>> crosswalk(2019, changed_only=True).values.tolist()
    [['BU05990326', 'BU05990327', 0.83], ['BU05990326', 'BU05990328', 0.17], ['BU05990453', 'BU05990455', 1.0]]
    """
    return active().crosswalk(from_year, to_year, changed_only=changed_only)


def recode(df: pd.DataFrame, column: str, from_year: int, value_cols: Sequence[str] | None = None,
           *, to_year: int | None = None) -> pd.DataFrame:
    """Carry a table keyed by finest codes of ``from_year`` to the current geography.

    With ``value_cols`` a row of a split unit is repeated per new unit with its counts multiplied by
    the weight (totals kept); without, each row goes to the new unit with the largest weight
    (``attrs["recode_reassigned"]`` counts them). ``attrs["recode"]`` records the crosswalk used.

    Examples
    --------
    >>> old = pd.DataFrame({"buurt_code": ["BU05990326", "BU05991571"], "n": [100.0, 7.0]})
    >>> recode(old, "buurt_code", 2019, value_cols=["n"]).values.tolist()
    [['BU05990327', 83.0], ['BU05990328', 17.0], ['BU05991571', 7.0]]
    """
    return active().recode(df, column, from_year, value_cols, to_year=to_year)


def detect_year(codes: Iterable[Any]) -> int:
    """Latest geography year in which every given code exists.

    Examples
    --------
    >>> detect_year(["BU05991571", "WK059915"]), detect_year(["BU05990453", "1571"])
    (2025, 2021)
    """
    return active().detect_year(codes)


def codes_in_year(year: int) -> list[str]:
    """Finest-level codes valid in a geography year (sorted).

    Examples
    --------
    >>> "BU05990326" in codes_in_year(2019), "BU05990326" in codes_in_year(2020)
    (True, False)
    """
    return active().codes_in_year(year)


def adjacency(level: str | None = "wijkraad") -> pd.DataFrame:
    """Neighbouring units from shared borders of their polygons (``unit, neighbour``, symmetric).

    Tolerance and shortest border: :data:`ADJACENCY_TOLERANCE_M`, :data:`ADJACENCY_MIN_BORDER_M`
    (or the manifest's ``aangrenzend``); see :meth:`Geography.adjacency`.

    Examples
    --------
    >>> a = adjacency("gebied")
    >>> sorted(a.loc[a.unit == "WK059915", "neighbour"])  # Charlois
    ['WK059903', 'WK059910', 'WK059912']
    """
    return active().adjacency(_level(level))


def neighbours(unit: Any, level: str | None = "wijkraad") -> list[str]:
    """Codes of the units sharing a border with ``unit`` (any spelling :func:`normalize` reads).

    Examples
    --------
    >>> neighbours("Hoek van Holland")  # the border runs mid-river in the Nieuwe Waterweg
    ['rozenburg']
    """
    return active().neighbours(unit, _level(level))


def centroids(level: str | None = "buurt", crs: str = "wgs84") -> pd.DataFrame:
    """A point inside each unit: ``<key>, lat, lon`` (or ``x, y`` RD New with ``crs="rd"``).

    The point lies on the unit's polygon (shapely ``point_on_surface``), so :func:`locate` finds
    the unit back; levels without polygons use their declared points.

    Examples
    --------
    >>> c = centroids("wijk", crs="rd")
    >>> locate(c["x"], c["y"]).map(lambda b: normalize(b, "wijk")).tolist() == c["wijk_code"].tolist()
    True
    """
    return active().centroids(level, crs)


def polygons(level: str | None = "wijkraad") -> dict[str, list[list[tuple[float, float]]]]:
    """Outlines for maps: code -> list of (lon, lat) exterior rings, one per polygon part.

    Whether they are real or drawn: :meth:`Geography.polygons_approximate`.

    Examples
    --------
    >>> p = polygons("gebied")
    >>> len(p), active().polygons_approximate("gebied"), active().polygons_approximate("wijkraad")
    (14, False, True)
    """
    return active().polygons(_level(level))


def to_geojson(level: str | None = "wijkraad", year: int | None = None) -> dict[str, Any]:
    """The units of ``level`` as a GeoJSON FeatureCollection (WGS84): MultiPolygons with key, name,
    ``population`` (of ``year``, default latest) and ``benaderd``.

    Examples
    --------
    >>> fc = to_geojson("gebied")
    >>> len(fc["features"]), fc["features"][0]["geometry"]["type"], fc["properties"]["benaderd"]
    (14, 'MultiPolygon', False)
    """
    return active().to_geojson(_level(level), year)


def locate(x: Any, y: Any, crs: str = "rd", *, max_km: float = 1.0) -> pd.Series:
    """Finest-level code for each point by point-in-polygon; outside every unit: missing.

    Examples
    --------
    >>> locate([4.4812], [51.8925], crs="wgs84").tolist()  # a point in Tarwewijk
    ['BU05991571']
    """
    return active().locate(x, y, crs, max_km=max_km)
