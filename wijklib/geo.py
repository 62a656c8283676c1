"""Rotterdam ward geography: CBS buurten, Wijkprofiel wijken, wijkraden, gebieden.

Levels (finest first) and their key columns (see ``docs/contracts.md``):

=========  ===============  ============  =====================================
level      key column       example       name column
=========  ===============  ============  =====================================
buurt      ``buurt_code``   BU05991571    ``buurt``  (CBS buurt, finest unit)
wijk       ``wijk_code``    BU05991571    ``wijk``   (71 Wijkprofiel wijken)
wijkraad   ``wijkraad_id``  tarwewijk     ``wijkraad`` (39 wijkraden, report unit)
gebied     ``gebied_code``  WK059915      ``gebied`` (14 gebieden = CBS wijken)
gemeente   ``gemeente_code`` GM0599       ``gemeente``
=========  ===============  ============  =====================================

A buurt lies in one wijk; a wijk lies in one wijkraad and one gebied; a wijkraad lies in one gebied.
Counts can therefore be summed from any level to any coarser one (:func:`aggregate`).

The tables are package data (``wijklib/data/geo/*.csv``), read lazily on first use and cached;
every public function returns a fresh copy. Populations, centroids and the crosswalk are
approximations or illustrations -- see ``data/raw/geo/README.md`` before using them for real
numbers. Polygons are schematic (:data:`POLYGONS_ARE_SCHEMATIC`).

Examples
--------
>>> from wijklib import geo
>>> geo.normalize("oud charlois", level="wijkraad")
'oud-charlois-wielewaal'
>>> len(geo.units("wijk"))
71
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from wijklib.config import GEMEENTE_CODE, GEMEENTE_NAAM, PACKAGE_DATA_DIR

__all__ = [
    "GEO_DATA_DIR", "LEVELS", "KEY_COLUMNS", "NAME_COLUMNS", "GEOGRAPHY_YEARS", "POPULATION_YEARS",
    "CURRENT_YEAR", "POLYGONS_ARE_SCHEMATIC", "CENTROIDS_ARE_APPROXIMATE", "CROSSWALK_IS_ILLUSTRATIVE",
    "MAX_EDGE_KM", "UnknownUnitError", "AmbiguousUnitError", "GeoDataError",
    "hierarchy", "units", "name", "members", "normalize", "normalize_series", "population", "aggregate",
    "crosswalk", "recode", "detect_year", "codes_in_year", "adjacency", "neighbours",
    "centroids", "polygons", "to_geojson", "locate", "rd_to_wgs84", "wgs84_to_rd", "slugify", "name_key",
]

#: Folder holding the geography CSVs (package data).
GEO_DATA_DIR = PACKAGE_DATA_DIR / "geo"

Level = Literal["buurt", "wijk", "wijkraad", "gebied", "gemeente"]
#: Levels from finest to coarsest.
LEVELS: tuple[str, ...] = ("buurt", "wijk", "wijkraad", "gebied", "gemeente")
KEY_COLUMNS: dict[str, str] = {
    "buurt": "buurt_code", "wijk": "wijk_code", "wijkraad": "wijkraad_id",
    "gebied": "gebied_code", "gemeente": "gemeente_code",
}
NAME_COLUMNS: dict[str, str] = {lv: lv for lv in LEVELS}
# Coarser levels each level nests in (wijkraden nest in gebieden; checked when the tables load).
_PARENTS: dict[str, tuple[str, ...]] = {
    "buurt": ("wijk", "wijkraad", "gebied", "gemeente"),
    "wijk": ("wijkraad", "gebied", "gemeente"),
    "wijkraad": ("gebied", "gemeente"),
    "gebied": ("gemeente",),
    "gemeente": (),
}
#: Geography years the crosswalk covers (1 January of each year).
GEOGRAPHY_YEARS: tuple[int, ...] = tuple(range(2014, 2026))
#: Years with a population estimate.
POPULATION_YEARS: tuple[int, ...] = GEOGRAPHY_YEARS
#: The geography the unit tables describe; older codes reach it through :func:`crosswalk`.
CURRENT_YEAR: int = GEOGRAPHY_YEARS[-1]
#: Polygons are Voronoi cells around approximate centroids, not real outlines.
POLYGONS_ARE_SCHEMATIC = True
#: Centroids are approximate (general map knowledge, about +-300 m), not computed from CBS outlines.
CENTROIDS_ARE_APPROXIMATE = True
#: The shipped crosswalk is a small illustration of the mechanism, not real CBS changes.
CROSSWALK_IS_ILLUSTRATIVE = True
#: Longest Delaunay edge (km) kept as a neighbour link; longer ones cross harbours or open land.
MAX_EDGE_KM = 2.8
#: Radius (km) of the schematic cell around a centroid where no other centroid is closer.
CELL_RADIUS_KM = 1.0
#: Name resolution order when ``normalize(name)`` is called without a level.
_NAME_PRIORITY: tuple[str, ...] = ("wijk", "wijkraad", "gebied", "buurt", "gemeente")


class UnknownUnitError(ValueError):
    """A code or name that is not a known unit (message lists the closest known ones)."""

    def __init__(self, message: str, *, value: Any = None, level: str | None = None,
                 suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.value = value
        self.level = level
        self.suggestions = list(suggestions)


class AmbiguousUnitError(UnknownUnitError):
    """A name that fits several units of the requested level; pass a more specific level or code."""


class GeoDataError(RuntimeError):
    """The shipped geography tables are inconsistent (a packaging bug, not a user error)."""


# ---------------------------------------------------------------------------------------------
# Loading (lazy, cached)
# ---------------------------------------------------------------------------------------------

def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")


@functools.cache
def _read(name: str) -> pd.DataFrame:
    path = GEO_DATA_DIR / name
    # Codes and names must stay text ("0110" is not 110); numbers are converted per file below.
    df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, encoding="utf-8")
    df.attrs["source"] = str(path)
    return df


def _fail(file: str, row: int, column: str, value: Any, expected: str) -> None:
    raise GeoDataError(f"{GEO_DATA_DIR / file}, row {row}, column {column!r}: found {value!r}, "
                       f"expected {expected}")


def _file_row(df: pd.DataFrame, pos: int) -> int:
    # Data rows start after the comment lines and the header line.
    path = df.attrs["source"]
    with open(path, encoding="utf-8") as fh:
        n_comment = sum(1 for line in fh if line.startswith("#"))
    return n_comment + 2 + pos


@functools.cache
def _tables() -> dict[str, pd.DataFrame]:
    """Read and cross-check the unit tables; the returned frames are private (never hand out)."""
    geb = _read("gebieden.csv")
    wr = _read("wijkraden.csv")
    wk = _read("wijken.csv").copy()
    bu = _read("buurten.csv").copy()
    patterns = {
        ("gebieden.csv", "gebied_code"): (geb, r"WK0599\d{2}", "WK0599 + 2 digits"),
        ("wijken.csv", "wijk_code"): (wk, r"BU0599\d{4}", "BU0599 + 4 digits"),
        ("buurten.csv", "buurt_code"): (bu, r"BU0599\d{4}", "BU0599 + 4 digits"),
        ("wijkraden.csv", "wijkraad_id"): (wr, r"[a-z0-9]+(-[a-z0-9]+)*", "a lowercase slug"),
    }
    for (file, col), (df, pat, expected) in patterns.items():
        bad = ~df[col].str.fullmatch(pat)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            _fail(file, _file_row(df, pos), col, df[col].iloc[pos], expected)
        dup = df[col].duplicated()
        if dup.any():
            pos = int(np.flatnonzero(dup.to_numpy())[0])
            _fail(file, _file_row(df, pos), col, df[col].iloc[pos], "a unique code")
    for file, df, col, known, what in (
        ("wijken.csv", wk, "gebied_code", set(geb["gebied_code"]), "a gebied_code of gebieden.csv"),
        ("wijken.csv", wk, "wijkraad_id", set(wr["wijkraad_id"]), "a wijkraad_id of wijkraden.csv"),
        ("buurten.csv", bu, "wijk_code", set(wk["wijk_code"]), "a wijk_code of wijken.csv"),
    ):
        bad = ~df[col].isin(known)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            _fail(file, _file_row(df, pos), col, df[col].iloc[pos], what)
    for col, kind in (("lat", float), ("lon", float), ("bevolking_2022", int), ("groei", float)):
        try:
            bu[col] = bu[col].map(kind)
        except ValueError as exc:
            raise GeoDataError(f"{GEO_DATA_DIR / 'buurten.csv'}, column {col!r}: {exc}") from None
    wk["verify"] = wk["verify"].map({"0": False, "1": True})
    # The wijk code is the code of its primary buurt, and CBS codes nest: BU0599WWbb in WK0599WW.
    prim = ~wk["wijk_code"].isin(bu["buurt_code"])
    if prim.any():
        pos = int(np.flatnonzero(prim.to_numpy())[0])
        _fail("wijken.csv", _file_row(wk, pos), "wijk_code", wk["wijk_code"].iloc[pos],
              "the code of one of the wijk's buurten")
    gmap = dict(zip(wk["wijk_code"], wk["gebied_code"], strict=True))
    for pos, (code, wcode) in enumerate(zip(bu["buurt_code"], bu["wijk_code"], strict=True)):
        if "WK0599" + code[6:8] != gmap[wcode]:
            _fail("buurten.csv", _file_row(bu, pos), "buurt_code", code,
                  f"a code inside gebied {gmap[wcode]} of its wijk {wcode}")
    wr_geb = wk.groupby("wijkraad_id")["gebied_code"].nunique()
    if (wr_geb > 1).any():
        raise GeoDataError(f"{GEO_DATA_DIR / 'wijken.csv'}: wijkraad(en) spanning several gebieden: "
                           f"{', '.join(wr_geb[wr_geb > 1].index)}; expected each wijkraad inside one gebied")
    empty = set(wr["wijkraad_id"]) - set(wk["wijkraad_id"])
    if empty:
        raise GeoDataError(f"{GEO_DATA_DIR / 'wijkraden.csv'}: wijkraad(en) without wijk: {sorted(empty)}")
    return {"gebied": geb, "wijkraad": wr, "wijk": wk, "buurt": bu}


@functools.cache
def _hierarchy_current() -> pd.DataFrame:
    t = _tables()
    wk = t["wijk"][["wijk_code", "wijk", "wijkraad_id", "gebied_code"]]
    h = (t["buurt"][["buurt_code", "buurt", "wijk_code"]]
         .merge(wk, on="wijk_code", how="left", validate="many_to_one")
         .merge(t["wijkraad"], on="wijkraad_id", how="left", validate="many_to_one")
         .merge(t["gebied"], on="gebied_code", how="left", validate="many_to_one"))
    h["gemeente_code"] = GEMEENTE_CODE
    cols = ["buurt_code", "buurt", "wijk_code", "wijk", "wijkraad_id", "wijkraad",
            "gebied_code", "gebied", "gemeente_code"]
    return h[cols].sort_values("buurt_code", ignore_index=True)


def hierarchy(year: int | None = None) -> pd.DataFrame:
    """One row per CBS buurt with every coarser unit it belongs to.

    Parameters
    ----------
    year : int, optional
        Geography year (see :data:`GEOGRAPHY_YEARS`). Default: the current geography. For an
        older year the buurt codes valid in that year are listed; buurten that changed since are
        placed in the wijk of the current buurt holding most of their residents.

    Returns
    -------
    DataFrame
        ``buurt_code, buurt, wijk_code, wijk, wijkraad_id, wijkraad, gebied_code, gebied,
        gemeente_code`` (wijk codes and higher are always the current ones).

    Examples
    --------
    >>> h = hierarchy()
    >>> h.loc[h.buurt_code == "BU05991571", ["wijk", "wijkraad_id", "gebied"]].iloc[0].tolist()
    ['Tarwewijk', 'tarwewijk', 'Charlois']
    >>> "BU05990453" in set(hierarchy(2021).buurt_code)  # illustrative renumbered code
    True
    """
    h = _hierarchy_current()
    if year is None or year == CURRENT_YEAR:
        return h.copy()
    _check_year(year, GEOGRAPHY_YEARS, "geography year")
    valid = codes_in_year(year)
    cur = h[h["buurt_code"].isin(valid)]
    old = sorted(set(valid) - set(h["buurt_code"]))
    if not old:
        return cur.reset_index(drop=True)
    cw = crosswalk(year)
    cw = cw[cw["old_code"].isin(old)].sort_values(["old_code", "weight"], ascending=[True, False])
    main = cw.drop_duplicates("old_code")[["old_code", "new_code"]]
    names = _old_names()
    extra = h.set_index("buurt_code").loc[main["new_code"]].reset_index(drop=True)
    extra.insert(0, "buurt_code", main["old_code"].to_numpy())
    extra["buurt"] = [names.get(c, c) for c in main["old_code"]]
    out = pd.concat([cur, extra[h.columns]], ignore_index=True)
    return out.sort_values("buurt_code", ignore_index=True)


def _check_year(year: Any, allowed: Sequence[int], what: str) -> int:
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)) or int(year) not in allowed:
        raise ValueError(f"{what} {year!r} is not available; expected an int in "
                         f"{allowed[0]}..{allowed[-1]}")
    return int(year)


def _unit_table(level: str) -> pd.DataFrame:
    """Private per-level table: key, name, parent keys and names (no population)."""
    _check_level(level)
    h = _hierarchy_current()
    if level == "gemeente":
        return pd.DataFrame({"gemeente_code": [GEMEENTE_CODE], "gemeente": [GEMEENTE_NAAM]})
    cols: list[str] = []
    for lv in (level, *_PARENTS[level]):
        cols += [KEY_COLUMNS[lv]] if lv == "gemeente" else [KEY_COLUMNS[lv], NAME_COLUMNS[lv]]
    out = h[cols].drop_duplicates(KEY_COLUMNS[level]).sort_values(KEY_COLUMNS[level])
    return out.reset_index(drop=True)


def units(level: Level = "wijkraad", year: int | None = None) -> pd.DataFrame:
    """One row per unit of ``level``: code, name, parent codes and names, size, population.

    Parameters
    ----------
    level : {"buurt", "wijk", "wijkraad", "gebied", "gemeente"}
    year : int, optional
        Year of the ``population`` column (1 January, approximate). Default: latest
        (:data:`POPULATION_YEARS`). The unit list itself is always the current geography.

    Returns
    -------
    DataFrame
        Key column (e.g. ``wijkraad_id``), name column, the keys and names of coarser levels,
        ``n_wijken`` / ``n_buurten`` where meaningful, and ``population`` (int).

    Examples
    --------
    >>> u = units("wijkraad")
    >>> len(u), u.columns[:4].tolist()
    (39, ['wijkraad_id', 'wijkraad', 'gebied_code', 'gebied'])
    >>> int(units("gemeente", year=2022).population.iloc[0]) > 600_000
    True
    """
    out = _unit_table(level).copy()
    key = KEY_COLUMNS[level]
    h = _hierarchy_current()
    if level in ("wijkraad", "gebied", "gemeente"):
        out["n_wijken"] = out[key].map(h.groupby(key)["wijk_code"].nunique()).astype("int64")
    if level != "buurt":
        out["n_buurten"] = out[key].map(h.groupby(key)["buurt_code"].nunique()).astype("int64")
    year = POPULATION_YEARS[-1] if year is None else _check_year(year, POPULATION_YEARS, "population year")
    pop = population(level, years=[year]).set_index(key)["population"]
    out["population"] = out[key].map(pop).astype("int64")
    return out


def name(unit: Any, level: Level | None = None) -> str:
    """Display name of a unit given by code or any accepted spelling.

    Examples
    --------
    >>> name("tarwewijk"), name("BU05991702", "wijk"), name("WK059901")
    ('Tarwewijk', 'Hoek van Holland', 'Rotterdam Centrum')
    """
    code = normalize(unit, level)
    lv = level or _level_of_code(code)
    t = _unit_table(lv)
    return str(t.loc[t[KEY_COLUMNS[lv]] == code, NAME_COLUMNS[lv]].iloc[0])


def _level_of_code(code: str) -> str:
    if code.startswith("BU"):
        return "wijk" if code in _code_sets()["wijk"] else "buurt"
    if code.startswith("WK"):
        return "gebied"
    return "gemeente" if code == GEMEENTE_CODE else "wijkraad"


def members(unit: Any, level: Level = "wijkraad", member_level: Level = "wijk") -> list[str]:
    """Codes of the units of ``member_level`` inside ``unit`` (sorted).

    Examples
    --------
    >>> members("Kralingen")
    ['BU05990841', 'BU05990842', 'BU05990845', 'BU05990847']
    >>> members("Hoek van Holland", "wijk", "buurt")
    ['BU05991701', 'BU05991702', 'BU05991703']
    """
    _check_level(level)
    _check_level(member_level)
    if level != member_level and level not in _PARENTS[member_level]:
        raise ValueError(f"a {member_level} does not nest in a {level}; expected member_level finer "
                         f"than {level!r}")
    code = normalize(unit, level)
    h = _hierarchy_current()
    if level == "gemeente":
        return sorted(h[KEY_COLUMNS[member_level]].unique().tolist())
    sel = h.loc[h[KEY_COLUMNS[level]] == code, KEY_COLUMNS[member_level]]
    return sorted(sel.unique().tolist())


# ---------------------------------------------------------------------------------------------
# Names and codes
# ---------------------------------------------------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")


def name_key(text: str) -> str:
    """Comparison key for a unit name: ascii, lowercase, only letters and digits.

    Case, diacritics, hyphens and dashes, apostrophes and spaces do not count; "&" reads as "en".

    Examples
    --------
    >>> name_key("'s-Gravenland") == name_key("s gravenland")
    True
    >>> name_key("Kralingen\u2013Crooswijk")
    'kralingencrooswijk'
    """
    s = unicodedata.normalize("NFKD", str(text).translate(_DASHES))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower().replace("&", " en ")
    return re.sub(r"[^a-z0-9]", "", s)


def slugify(text: str) -> str:
    """Slug for a wijkraad name: ascii lowercase words joined by hyphens.

    Examples
    --------
    >>> slugify("Het Lage Land, Prinsenland en 's Gravenland")
    'het-lage-land-prinsenland-en-s-gravenland'
    """
    s = unicodedata.normalize("NFKD", str(text).translate(_DASHES))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


@functools.cache
def _name_index() -> dict[str, tuple[tuple[str, str, str], ...]]:
    """name key -> ((level, code, display name), ...)."""
    h = _hierarchy_current()
    entries: dict[str, dict[tuple[str, str], str]] = {}

    def add(level: str, code: str, name: str) -> None:
        entries.setdefault(name_key(name), {}).setdefault((level, code), name)

    for lv in ("buurt", "wijk", "wijkraad", "gebied"):
        sub = h[[KEY_COLUMNS[lv], NAME_COLUMNS[lv]]].drop_duplicates()
        for code, name in sub.itertuples(index=False):
            add(lv, code, name)
    for slug, name in _tables()["wijkraad"].itertuples(index=False):
        add("wijkraad", slug, name)
        add("wijkraad", slug, slug)
    add("gemeente", GEMEENTE_CODE, GEMEENTE_NAAM)
    al = _read("aliases.csv")
    for pos, (lv, code, alias) in enumerate(al[["level", "code", "alias"]].itertuples(index=False)):
        if lv not in LEVELS or code not in set(_unit_table(lv)[KEY_COLUMNS[lv]]):
            _fail("aliases.csv", _file_row(al, pos), "code", f"{lv}/{code}", "a known level and code")
        add(lv, code, alias)
    for key, found in entries.items():
        per_level: dict[str, set[str]] = {}
        for lv, code in found:
            per_level.setdefault(lv, set()).add(code)
        clash = {lv: c for lv, c in per_level.items() if len(c) > 1}
        if clash:
            raise GeoDataError(f"name key {key!r} names several units of one level: {clash}")
    return {k: tuple((lv, c, n) for (lv, c), n in v.items()) for k, v in entries.items()}


@functools.cache
def _code_sets() -> dict[str, frozenset[str]]:
    return {lv: frozenset(_unit_table(lv)[KEY_COLUMNS[lv]]) for lv in LEVELS}


_LEVEL_PREFIX = re.compile(
    r"\s*(wijkraad|gebied|deelgemeente|stadsdeel|wijk|buurt|gemeente)\b[\s:\-]*(.+)", re.IGNORECASE)
_PREFIX_LEVEL = {"wijkraad": "wijkraad", "gebied": "gebied", "deelgemeente": "gebied",
                 "stadsdeel": "gebied", "wijk": "wijk", "buurt": "buurt", "gemeente": "gemeente"}
_CODE_RE = re.compile(r"(?:(GM|WK|BU)?)(\d+)")


def _parse_code(value: str) -> tuple[str, str] | None:
    """Recognise a CBS-like code in any common spelling -> (kind, canonical code) or None.

    kind is "gemeente", "gebied" (WK) or "buurt" (BU). Spaces, dots and hyphens inside are ignored
    and leading zeros may be lost (Excel turns "0110" into 110).
    """
    s = re.sub(r"[\s.\-_/]", "", value.upper())
    m = _CODE_RE.fullmatch(s)
    if not m:
        return None
    prefix, digits = m.groups()
    if prefix == "GM":
        return ("gemeente", "GM" + digits.zfill(4)) if len(digits) <= 4 else None
    if prefix == "WK":
        return ("gebied", "WK" + digits.zfill(6)) if 5 <= len(digits) <= 6 else None
    if prefix == "BU":
        return ("buurt", "BU" + digits.zfill(8)) if 7 <= len(digits) <= 8 else None
    n = len(digits)
    if n in (7, 8):
        return "buurt", "BU" + digits.zfill(8)
    if n in (5, 6):
        return "gebied", "WK" + digits.zfill(6)
    if digits.lstrip("0") == "599" and n <= 4:
        return "gemeente", GEMEENTE_CODE
    if n in (3, 4):
        return "buurt", "BU0599" + digits.zfill(4)
    if n in (1, 2):
        return "gebied", "WK0599" + digits.zfill(2)
    return None


def _as_text(value: Any) -> str | None:
    """Scalar -> text; integral floats lose their '.0' (codes read from Excel)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value).strip()


def _convert(level: str, code: str, target: str) -> str:
    """Map a unit to the unit of ``target`` containing it (or its only member, going down)."""
    if level == target:
        return code
    h = _hierarchy_current()
    if target in _PARENTS[level]:
        row = h.loc[h[KEY_COLUMNS[level]] == code, KEY_COLUMNS[target]]
        return str(row.iloc[0])
    members = h.loc[h[KEY_COLUMNS[level]] == code, KEY_COLUMNS[target]].unique()
    if level in _PARENTS[target] and len(members) == 1:
        return str(members[0])
    if level in _PARENTS[target]:
        shown = ", ".join(sorted(map(str, members))[:6])
        raise AmbiguousUnitError(
            f"{level} {code} holds {len(members)} units of level {target!r} ({shown}); "
            f"a {target} cannot be derived from it", value=code, level=target)
    raise AmbiguousUnitError(
        f"{level} {code} does not nest in a single {target} (a {level} is not part of the "
        f"{target} hierarchy); pass a {target} code or name", value=code, level=target)


def _suggest(text: str, level: str | None, k: int = 3) -> list[str]:
    from rapidfuzz import fuzz, process  # lazy: only needed on the error path

    idx = _name_index()
    prio = {lv: i for i, lv in enumerate(_NAME_PRIORITY)}
    keys: list[str] = []
    labels: list[str] = []
    for key, found in idx.items():
        usable = [(lv, code, name) for lv, code, name in found
                  if level is None or lv == level or _can_convert(lv, code, level)]
        if not usable:
            continue
        # One label per name: the requested level if present, else the level a bare name means.
        lv, code, name = min(usable, key=lambda m: (m[0] != level, prio[m[0]]))
        keys.append(key)
        labels.append(f"{name} ({lv} {code})" if name != code else f"{code} ({lv})")
    # Plain edit-distance ratio: typos and spelling variants, not substrings, are the usual error.
    res = process.extract(name_key(text) or text, keys, scorer=fuzz.ratio, limit=k)
    return [labels[i] for _, _score, i in res]


def _can_convert(level: str, code: str, target: str) -> bool:
    try:
        _convert(level, code, target)
    except AmbiguousUnitError:
        return False
    return True


def _historic_hint(code: str) -> str:
    years = _code_years().get(code)
    if not years:
        return ""
    cw = _read("crosswalk.csv")
    rows = cw[cw["old_code"] == code]
    targets = ", ".join(rows["new_code"])
    first, last = min(years), max(years)
    return (f"; {code} is a buurt code of geography {first}-{last} (replaced by {targets}); "
            f"convert old data with geo.recode(df, column, from_year={last})")


@functools.lru_cache(maxsize=8192)
def _normalize_text(text: str, level: str | None) -> str:
    parsed = _parse_code(text)
    if parsed is not None:
        kind, code = parsed
        if kind == "gemeente" and code != GEMEENTE_CODE or (
                kind != "gemeente" and code[2:6] != GEMEENTE_CODE[2:]):
            raise UnknownUnitError(f"{text!r} reads as code {code}, which is not in gemeente "
                                   f"{GEMEENTE_CODE} ({GEMEENTE_NAAM})", value=text, level=level)
        if code not in _code_sets()[kind]:
            hint = _historic_hint(code)
            known = sorted(_code_sets()[kind])
            from rapidfuzz import process
            close = [c for c, _, _ in process.extract(code, known, limit=3)]
            read = "" if text == code else f" (read from {text!r})"
            raise UnknownUnitError(
                f"unknown {kind} code {code}{read}{hint}; closest known: "
                f"{', '.join(close)}", value=text, level=level, suggestions=close)
        return code if level is None else _convert(kind, code, level)
    if level is None and text in _code_sets()["wijkraad"]:
        return text  # a wijkraad_id stays itself, so normalize() is idempotent on canonical codes
    matches = _name_index().get(name_key(text), ())
    prefixed = _LEVEL_PREFIX.match(text)
    if not matches and prefixed and name_key(prefixed.group(2)) in _name_index():
        # "Wijkraad Tarwewijk", "gebied Charlois": the word names the level when none is asked.
        said = _PREFIX_LEVEL[prefixed.group(1).lower()]
        return _normalize_text(prefixed.group(2), level or said)
    if not matches:
        sugg = _suggest(text, level)
        what = f"{level} " if level else "unit "
        raise UnknownUnitError(f"unknown {what}name or code {text!r}; closest known: "
                               f"{'; '.join(sugg)}", value=text, level=level, suggestions=sugg)
    if level is None:
        for lv in _NAME_PRIORITY:
            for mlv, code, _ in matches:
                if mlv == lv:
                    return code
    exact = [code for mlv, code, _ in matches if mlv == level]
    if exact:
        return exact[0]
    results: set[str] = set()
    reasons: list[str] = []
    for mlv, code, _ in matches:
        try:
            results.add(_convert(mlv, code, level))
        except AmbiguousUnitError as exc:
            reasons.append(str(exc))
    if len(results) == 1:
        return results.pop()
    if not results:
        raise AmbiguousUnitError(f"{text!r} cannot be read as one {level}: {'; '.join(reasons)}",
                                 value=text, level=level)
    raise AmbiguousUnitError(f"{text!r} fits several units of level {level!r}: "
                             f"{', '.join(sorted(results))}", value=text, level=level,
                             suggestions=sorted(results))


def normalize(value: Any, level: Level | None = None) -> str:
    """Canonical code of a unit given as a code or a name in any common spelling.

    Accepted: ``WK059901``, ``0599 01``, ``59901`` (gebied); ``BU05991571``, ``05991571``,
    ``1571`` or the number 1571 (buurt); ``GM0599``; names of buurten, wijken, wijkraden and
    gebieden regardless of case, diacritics, hyphens, dashes, apostrophes and spaces; wijkraad
    slugs; a few aliases (``aliases.csv``).

    Parameters
    ----------
    value : str or int
    level : {"buurt", "wijk", "wijkraad", "gebied", "gemeente"}, optional
        Level of the code to return. A unit of a finer level returns the unit containing it
        (a wijk code with ``level="wijkraad"`` gives its wijkraad); a coarser unit is only accepted
        when it holds exactly one unit of ``level``. Without a level a code (or wijkraad_id) is
        returned as is and a name resolves in the order wijk, wijkraad, gebied, buurt, gemeente;
        a leading level word decides instead ("wijkraad Feijenoord", "gebied Delfshaven").

    Returns
    -------
    str
        ``BU0599xxxx`` (buurt, wijk), wijkraad slug, ``WK0599xx`` (gebied) or ``GM0599``.

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
    if level is not None:
        _check_level(level)
    text = _as_text(value)
    if not text:
        raise UnknownUnitError(f"empty unit code or name ({value!r})", value=value, level=level)
    return _normalize_text(text, level)


def normalize_series(series: pd.Series, level: Level, source: str | None = None,
                     column: str | None = None, *, first_row: int = 2) -> pd.Series:
    """Vectorised :func:`normalize`: each distinct value is resolved once.

    Missing values stay missing. Every value that fails is reported in one error naming the file
    (``source``), the column, the row numbers and the value.

    Parameters
    ----------
    series : Series
        Codes or names.
    level : {"buurt", "wijk", "wijkraad", "gebied", "gemeente"}
    source : str, optional
        File the values came from (for error messages).
    column : str, optional
        Column name in that file (default: ``series.name``).
    first_row : int, default 2
        Row number in the file of the series' first element (2 = first line after one header).

    Returns
    -------
    Series
        Canonical codes (string dtype), same index and name as ``series``.

    Examples
    --------
    >>> s = pd.Series(["Tarwewijk", "1571", "BU05991574", None], name="wijk")
    >>> normalize_series(s, "wijkraad").tolist()
    ['tarwewijk', 'tarwewijk', 'oud-charlois-wielewaal', nan]
    """
    _check_level(level)
    column = column if column is not None else series.name
    values = pd.Series(series.to_numpy(dtype=object), dtype=object)
    mapping: dict[Any, str] = {}
    failures: dict[Any, tuple[str, str]] = {}
    # Resolve each distinct raw value once; pandas' hash-based map spreads the results.
    for raw in pd.unique(values.to_numpy()):
        t = _as_text(raw)
        if not t:
            continue
        try:
            mapping[raw] = _normalize_text(t, level)
        except UnknownUnitError as exc:
            failures[raw] = (t, str(exc))
    if failures:
        lines = []
        for raw, (t, msg) in list(failures.items())[:10]:
            rows = (first_row + np.flatnonzero(values.isin([raw]).to_numpy())).tolist()
            shown = ", ".join(map(str, rows[:5])) + (f" (+{len(rows) - 5} more)" if len(rows) > 5 else "")
            lines.append(f"row {shown}: value {t!r}: {msg}")
        where = ", ".join(p for p in (f"file {source}" if source else "",
                                      f"column {column!r}" if column is not None else "") if p)
        more = f" (and {len(failures) - 10} more values)" if len(failures) > 10 else ""
        raise UnknownUnitError(f"{where or 'series'}: {len(failures)} value(s) are not a known "
                               f"{level}{more}:\n  " + "\n  ".join(lines),
                               value=[t for t, _ in failures.values()], level=level)
    out = values.map(mapping).to_numpy()
    return pd.Series(out, index=series.index, name=series.name, dtype="str")


# ---------------------------------------------------------------------------------------------
# Versioned codes: crosswalk, recode, detect_year
# ---------------------------------------------------------------------------------------------

@functools.cache
def _crosswalk_rows() -> pd.DataFrame:
    cw = _read("crosswalk.csv").copy()
    cw["year_from"] = cw["year_from"].astype(int)
    cw["weight"] = cw["weight"].astype(float)
    for pos, y in enumerate(cw["year_from"]):
        if y not in GEOGRAPHY_YEARS[:-1]:
            _fail("crosswalk.csv", _file_row(cw, pos), "year_from", y,
                  f"a year in {GEOGRAPHY_YEARS[0]}..{GEOGRAPHY_YEARS[-2]}")
    sums = cw.groupby(["year_from", "old_code"])["weight"].sum()
    bad = sums[(sums - 1.0).abs() > 1e-9]
    if len(bad):
        raise GeoDataError(f"{GEO_DATA_DIR / 'crosswalk.csv'}: weights of {bad.index[0]} sum to "
                           f"{bad.iloc[0]}, expected 1")
    return cw


@functools.cache
def _codes_by_year() -> dict[int, frozenset[str]]:
    cw = _crosswalk_rows()
    codes = set(_code_sets()["buurt"])
    out = {CURRENT_YEAR: frozenset(codes)}
    # Walk back in time: undo each year's changes (a code kept by a split stays valid).
    for y in reversed(GEOGRAPHY_YEARS[:-1]):
        rows = cw[cw["year_from"] == y]
        olds = set(rows["old_code"])
        missing = set(rows["new_code"]) - codes
        if missing:
            raise GeoDataError(f"{GEO_DATA_DIR / 'crosswalk.csv'}: year_from {y} maps to "
                               f"{sorted(missing)}, which are not valid in {y + 1}")
        codes = (codes - (set(rows["new_code"]) - olds)) | olds
        out[y] = frozenset(codes)
    return out


@functools.cache
def _code_years() -> dict[str, tuple[int, ...]]:
    years: dict[str, list[int]] = {}
    for y, codes in sorted(_codes_by_year().items()):
        for c in codes:
            years.setdefault(c, []).append(y)
    return {c: tuple(v) for c, v in years.items()}


@functools.cache
def _old_names() -> dict[str, str]:
    cw = _read("crosswalk.csv")
    return dict(zip(cw["old_code"], cw["old_name"], strict=True))


def codes_in_year(year: int) -> list[str]:
    """Buurt codes valid in a geography year (sorted).

    Examples
    --------
    >>> "BU05990326" in codes_in_year(2019), "BU05990326" in codes_in_year(2020)
    (True, False)
    """
    _check_year(year, GEOGRAPHY_YEARS, "geography year")
    return sorted(_codes_by_year()[int(year)])


def crosswalk(from_year: int, to_year: int | None = None, *, changed_only: bool = False) -> pd.DataFrame:
    """Weights that carry buurt codes of ``from_year`` to the geography of ``to_year``.

    Consecutive yearly changes are chained (a code split in 2019 and renumbered in 2021 ends at its
    2025 codes with multiplied weights). The shipped changes are **illustrative**
    (:data:`CROSSWALK_IS_ILLUSTRATIVE`), see ``data/raw/geo/README.md``.

    Parameters
    ----------
    from_year : int
        Geography year of the old codes.
    to_year : int, optional
        Target geography year (default :data:`CURRENT_YEAR`); not before ``from_year``.
    changed_only : bool, default False
        Drop codes that map onto themselves with weight 1.

    Returns
    -------
    DataFrame
        ``old_code, new_code, weight``; the weights of each old code sum to 1.

    Examples
    --------
    >>> crosswalk(2019, changed_only=True).values.tolist()
    [['BU05990326', 'BU05990327', 0.83], ['BU05990326', 'BU05990328', 0.17], ['BU05990453', 'BU05990455', 1.0]]
    """
    from_year = _check_year(from_year, GEOGRAPHY_YEARS, "from_year")
    to_year = CURRENT_YEAR if to_year is None else _check_year(to_year, GEOGRAPHY_YEARS, "to_year")
    if to_year < from_year:
        raise ValueError(f"to_year {to_year} is before from_year {from_year}; the crosswalk only "
                         f"maps old codes to newer geographies")
    cw = _crosswalk_rows()
    current = {c: {c: 1.0} for c in _codes_by_year()[from_year]}
    for y in range(from_year, to_year):
        rows = cw[cw["year_from"] == y]
        step: dict[str, dict[str, float]] = {}
        for old, new, w in rows[["old_code", "new_code", "weight"]].itertuples(index=False):
            step.setdefault(old, {})[new] = step.get(old, {}).get(new, 0.0) + w
        nxt: dict[str, dict[str, float]] = {}
        for origin, dests in current.items():
            acc: dict[str, float] = {}
            for mid, w in dests.items():
                for dst, w2 in step.get(mid, {mid: 1.0}).items():
                    acc[dst] = acc.get(dst, 0.0) + w * w2
            nxt[origin] = acc
        current = nxt
    recs = [(o, d, w) for o, dests in current.items() for d, w in dests.items()]
    out = pd.DataFrame(recs, columns=["old_code", "new_code", "weight"])
    out["old_code"] = out["old_code"].astype("str")
    out["new_code"] = out["new_code"].astype("str")
    if changed_only:
        out = out[(out["old_code"] != out["new_code"]) | (out["weight"] != 1.0)]
    out = out.sort_values(["old_code", "new_code"], ignore_index=True)
    out.attrs.update(from_year=from_year, to_year=to_year, illustrative=CROSSWALK_IS_ILLUSTRATIVE)
    return out


def recode(df: pd.DataFrame, column: str, from_year: int, value_cols: Sequence[str] | None = None,
           *, to_year: int | None = None) -> pd.DataFrame:
    """Carry a table keyed by buurt codes of ``from_year`` to the current geography.

    With ``value_cols`` a row whose buurt was split is repeated once per new buurt and its counts
    are multiplied by the crosswalk weight (totals are preserved). Without ``value_cols`` (event
    records such as single reports, which cannot be split) each row goes to the new buurt with the
    largest weight; ``out.attrs["recode_reassigned"]`` counts such rows.

    Parameters
    ----------
    df : DataFrame
        Not modified.
    column : str
        Column with buurt codes (any spelling :func:`normalize` reads as a code).
    from_year : int
        Geography year of the codes (see :func:`detect_year`).
    value_cols : sequence of str, optional
        Count columns to split by weight.
    to_year : int, optional
        Target geography year, default :data:`CURRENT_YEAR`.

    Returns
    -------
    DataFrame
        A new frame with ``column`` holding current codes (fresh RangeIndex).

    Examples
    --------
    >>> old = pd.DataFrame({"buurt_code": ["BU05990326", "BU05991571"], "n": [100.0, 7.0]})
    >>> recode(old, "buurt_code", 2019, value_cols=["n"]).values.tolist()
    [['BU05990327', 83.0], ['BU05990328', 17.0], ['BU05991571', 7.0]]
    """
    if column not in df.columns:
        raise KeyError(f"recode: column {column!r} not in the DataFrame (columns: {list(df.columns)})")
    value_cols = list(value_cols or [])
    for c in value_cols:
        if c not in df.columns:
            raise KeyError(f"recode: value column {c!r} not in the DataFrame")
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise TypeError(f"recode: value column {c!r} has dtype {df[c].dtype}; expected numbers")
    cw = crosswalk(from_year, to_year)
    valid = set(cw["old_code"])
    texts = [_as_text(v) for v in df[column].to_numpy(dtype=object)]
    codes: list[str | None] = []
    bad: dict[str, list[int]] = {}
    for pos, t in enumerate(texts):
        parsed = _parse_code(t) if t else None
        code = parsed[1] if parsed and parsed[0] == "buurt" else None
        if code is None or code not in valid:
            bad.setdefault(repr(t), []).append(pos)
        codes.append(code)
    if bad:
        items = [f"{v} at row position(s) {', '.join(map(str, p[:5]))}" for v, p in list(bad.items())[:10]]
        src = df.attrs.get("source")
        raise UnknownUnitError(
            f"{'file ' + str(src) + ', ' if src else ''}column {column!r}: value(s) not a buurt code "
            f"of geography {from_year}: " + "; ".join(items)
            + ". Check the geography year with geo.detect_year().", value=list(bad), level="buurt")
    out = df.reset_index(drop=True).copy()
    out[column] = pd.Series(codes, dtype="str")
    if value_cols:
        merged = out.merge(cw, left_on=column, right_on="old_code", how="left", sort=False)
        merged[column] = merged["new_code"]
        for c in value_cols:
            merged[c] = merged[c] * merged["weight"]
        res = merged[list(out.columns)].reset_index(drop=True)
        res.attrs = dict(df.attrs)
        return res
    best = cw.sort_values(["old_code", "weight"], ascending=[True, False]).drop_duplicates("old_code")
    best_map = dict(zip(best["old_code"], best["new_code"], strict=True))
    split = set(cw.loc[cw["weight"] < 1.0, "old_code"])
    out[column] = out[column].map(best_map).astype("str")
    out.attrs = dict(df.attrs)
    out.attrs["recode_reassigned"] = int(sum(c in split for c in codes))
    return out


def detect_year(codes: Iterable[Any]) -> int:
    """Latest geography year in which every given code exists.

    Buurt codes decide the year; gebied codes, wijkraad ids and names exist in every year.
    Use it in a loader to fill ``df.attrs["geography_year"]`` and decide whether to :func:`recode`.

    Raises
    ------
    UnknownUnitError
        Naming the codes that exist in no geography year, or, when each code exists in some
        year but no year holds them all, the year ranges of the conflicting codes.

    Examples
    --------
    >>> detect_year(["BU05991571", "WK059915"]), detect_year(["BU05990453", "1571"])
    (2025, 2021)
    """
    years_all = set(GEOGRAPHY_YEARS)
    per_code: dict[str, set[int]] = {}
    unknown: list[str] = []
    cy = _code_years()
    for v in dict.fromkeys(_as_text(v) for v in codes):
        if not v:
            continue
        parsed = _parse_code(v)
        if parsed and parsed[0] == "buurt":
            yrs = cy.get(parsed[1])
            if yrs is None:
                unknown.append(v)
            else:
                per_code[parsed[1]] = set(yrs)
            continue
        try:
            normalize(v)
        except UnknownUnitError:
            unknown.append(v)
    if unknown:
        raise UnknownUnitError(f"detect_year: {len(unknown)} code(s) exist in no geography year "
                               f"{GEOGRAPHY_YEARS[0]}-{GEOGRAPHY_YEARS[-1]}: "
                               f"{', '.join(map(repr, unknown[:20]))}", value=unknown)
    common = set(years_all)
    for yrs in per_code.values():
        common &= yrs
    if not common:
        spans = [f"{c} ({min(y)}-{max(y)})" for c, y in per_code.items() if y != years_all]
        raise UnknownUnitError("detect_year: the codes mix geography years; no year holds all of "
                               "them. Codes valid in only some years: " + ", ".join(spans[:20]),
                               value=list(per_code))
    return max(common)


# ---------------------------------------------------------------------------------------------
# Population
# ---------------------------------------------------------------------------------------------

@functools.cache
def _population_buurt() -> pd.DataFrame:
    bu = _tables()["buurt"]
    city = _read("stad_bevolking.csv")
    city_pop = dict(zip(city["year"].astype(int), city["population"].astype(int), strict=True))
    missing = set(POPULATION_YEARS) - set(city_pop)
    if missing:
        raise GeoDataError(f"{GEO_DATA_DIR / 'stad_bevolking.csv'}: years {sorted(missing)} missing")
    recs = []
    # The 2022 buurt estimates follow the city-wide trend, plus a buurt-specific growth for
    # new-build or ageing areas (column groei); see data/raw/geo/README.md.
    for code, p22, g in bu[["buurt_code", "bevolking_2022", "groei"]].itertuples(index=False):
        for y in POPULATION_YEARS:
            val = p22 * city_pop[y] / city_pop[2022] * (1.0 + g) ** (y - 2022)
            recs.append((code, y, int(round(val))))
    out = pd.DataFrame(recs, columns=["buurt_code", "year", "population"])
    out["buurt_code"] = out["buurt_code"].astype("str")
    return out


def population(level: Level = "wijkraad", years: int | Iterable[int] | None = None) -> pd.DataFrame:
    """Approximate residents per unit on 1 January of each year, 2014-2025.

    Buurt estimates (best knowledge, **not CBS figures**; see ``data/raw/geo/README.md``) summed up
    the hierarchy. Units are those of the current geography in every year.

    Parameters
    ----------
    level : {"buurt", "wijk", "wijkraad", "gebied", "gemeente"}
    years : int or iterable of int, optional
        Default: all :data:`POPULATION_YEARS`.

    Returns
    -------
    DataFrame
        ``<key column>, year, population`` (int64), sorted by unit and year.

    Examples
    --------
    >>> p = population("wijk", years=2022)
    >>> int(p.loc[p.wijk_code == "BU05991463", "population"].iloc[0])  # Ommoord
    27000
    """
    _check_level(level)
    if years is None:
        yrs = list(POPULATION_YEARS)
    elif isinstance(years, (int, np.integer)) and not isinstance(years, bool):
        yrs = [_check_year(years, POPULATION_YEARS, "population year")]
    else:
        yrs = [_check_year(y, POPULATION_YEARS, "population year") for y in years]
    pb = _population_buurt()
    pb = pb[pb["year"].isin(yrs)]
    if level == "buurt":
        out = pb.copy()
    else:
        out = aggregate(pb, "buurt", level, ["population"], by=["year"])
    out["population"] = out["population"].astype("int64")
    return out.sort_values([KEY_COLUMNS[level], "year"], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------------

def aggregate(df: pd.DataFrame, from_level: Level, to_level: Level, value_cols: Sequence[str],
              unit_col: str | None = None, *, by: Sequence[str] = ()) -> pd.DataFrame:
    """Sum counts from one level to a coarser one (buurt -> wijk -> wijkraad/gebied -> gemeente).

    Parameters
    ----------
    df : DataFrame
        Not modified.
    from_level, to_level : level names
        ``to_level`` must contain ``from_level`` (wijkraden nest in gebieden; gebied -> wijkraad
        is not possible).
    value_cols : sequence of str
        Numeric columns to sum. A group with any missing value gets a missing sum (a missing month
        of one buurt must not silently lower the wijk total).
    unit_col : str, optional
        Column with the units (codes or names); default the key column of ``from_level``.
    by : sequence of str
        Further grouping columns kept in the output (e.g. ``["maand"]``).

    Returns
    -------
    DataFrame
        ``<key column of to_level>, *by, *value_cols``, one row per group present in ``df``.

    Raises
    ------
    UnknownUnitError
        A unit in ``unit_col`` is unknown (message names the row and value).

    Examples
    --------
    >>> d = pd.DataFrame({"buurt_code": ["BU05991571", "BU05991574", "BU05991575"], "n": [3, 4, 5]})
    >>> aggregate(d, "buurt", "wijkraad", ["n"]).values.tolist()
    [['oud-charlois-wielewaal', 9], ['tarwewijk', 3]]
    """
    _check_level(from_level)
    _check_level(to_level)
    if to_level != from_level and to_level not in _PARENTS[from_level]:
        raise ValueError(f"cannot aggregate from {from_level!r} to {to_level!r}; a {from_level} "
                         f"nests in: {', '.join(_PARENTS[from_level]) or 'nothing'}")
    unit_col = unit_col or KEY_COLUMNS[from_level]
    value_cols = list(value_cols)
    by = list(by)
    for c in [unit_col, *value_cols, *by]:
        if c not in df.columns:
            raise KeyError(f"aggregate: column {c!r} not in the DataFrame (columns: {list(df.columns)})")
    for c in value_cols:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise TypeError(f"aggregate: value column {c!r} has dtype {df[c].dtype}; expected numbers")
    src = df.attrs.get("source")
    codes = normalize_series(df[unit_col], from_level, source=src, column=unit_col)
    if codes.isna().any():
        pos = int(np.flatnonzero(codes.isna().to_numpy())[0])
        raise UnknownUnitError(f"aggregate: column {unit_col!r} is missing at row position {pos}; "
                               f"every row needs a {from_level}", value=None, level=from_level)
    key_to = KEY_COLUMNS[to_level]
    if to_level == from_level:
        target = codes
    else:
        link = _unit_table(from_level).set_index(KEY_COLUMNS[from_level])[key_to] \
            if to_level != "gemeente" else None
        target = codes.map(link) if link is not None else pd.Series(GEMEENTE_CODE, index=codes.index)
    # Positional copies: a caller's index may hold duplicates, which label alignment would break.
    work = pd.DataFrame({key_to: target.astype("str").to_numpy()})
    for c in [*by, *value_cols]:
        work[c] = df[c].to_numpy()
    keys = [key_to, *by]
    g = work.groupby(keys, sort=True, dropna=False)
    sums = g[value_cols].sum()
    has_na = work[value_cols].isna().groupby([work[k] for k in keys], sort=True, dropna=False).any()
    sums = sums.mask(has_na.reindex(sums.index).fillna(False).astype(bool))
    out = sums.reset_index()
    out.attrs = dict(df.attrs)
    return out


# ---------------------------------------------------------------------------------------------
# Coordinates, neighbours and schematic polygons
# ---------------------------------------------------------------------------------------------

def rd_to_wgs84(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """RD New (EPSG:28992) metres -> WGS84 (lat, lon) degrees, approximation good to about 1 m.

    Uses the published polynomial approximation (Schreutelkamp & Strang van Hees).

    Examples
    --------
    >>> lat, lon = rd_to_wgs84(155000, 463000)  # Amersfoort, the RD origin
    >>> round(float(lat), 5), round(float(lon), 5)
    (52.15517, 5.38721)
    """
    dx = (np.asarray(x, dtype=float) - 155000.0) * 1e-5
    dy = (np.asarray(y, dtype=float) - 463000.0) * 1e-5
    som_n = (3235.65389 * dy - 32.58297 * dx**2 - 0.24750 * dy**2 - 0.84978 * dx**2 * dy
             - 0.06550 * dy**3 - 0.01709 * dx**2 * dy**2 - 0.00738 * dx + 0.00530 * dx**4
             - 0.00039 * dx**2 * dy**3 + 0.00033 * dx**4 * dy - 0.00012 * dx * dy)
    som_e = (5260.52916 * dx + 105.94684 * dx * dy + 2.45656 * dx * dy**2 - 0.81885 * dx**3
             + 0.05594 * dx * dy**3 - 0.05607 * dx**3 * dy + 0.01199 * dy - 0.00256 * dx**3 * dy**2
             + 0.00128 * dx * dy**4 + 0.00022 * dy**2 - 0.00022 * dx**2 + 0.00026 * dx**5)
    return 52.15517440 + som_n / 3600.0, 5.38720621 + som_e / 3600.0


def wgs84_to_rd(lat: Any, lon: Any) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 (lat, lon) degrees -> RD New (x, y) metres, approximation good to about 1 m.

    Examples
    --------
    >>> x, y = wgs84_to_rd(52.15517440, 5.38720621)
    >>> round(float(x)), round(float(y))
    (155000, 463000)
    """
    dp = 0.36 * (np.asarray(lat, dtype=float) - 52.15517440)
    dl = 0.36 * (np.asarray(lon, dtype=float) - 5.38720621)
    som_x = (190094.945 * dl - 11832.228 * dp * dl - 114.221 * dp**2 * dl - 32.391 * dl**3
             - 0.705 * dp - 2.340 * dp**3 * dl - 0.608 * dp * dl**3 - 0.008 * dl**2
             + 0.148 * dp**2 * dl**3)
    som_y = (309056.544 * dp + 3638.893 * dl**2 + 73.077 * dp**2 - 157.984 * dp * dl**2
             + 59.788 * dp**3 + 0.433 * dl - 6.439 * dp**2 * dl**2 - 0.032 * dp * dl
             + 0.092 * dl**4 - 0.054 * dp * dl**4)
    return 155000.0 + som_x, 463000.0 + som_y


# Local flat projection (km) around the city: accurate to well under 1% over 30 km, which is all
# that edge lengths and schematic cells need.
_LAT0, _LON0 = 51.92, 4.45
_KM_LAT = 111.2
_KM_LON = 111.32 * math.cos(math.radians(_LAT0))


def _to_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return np.column_stack([(np.asarray(lon) - _LON0) * _KM_LON, (np.asarray(lat) - _LAT0) * _KM_LAT])


def _from_km(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return xy[:, 1] / _KM_LAT + _LAT0, xy[:, 0] / _KM_LON + _LON0


def centroids(level: Level = "buurt", crs: Literal["wgs84", "rd"] = "wgs84") -> pd.DataFrame:
    """Approximate centroid of each unit (population-weighted mean of its buurt centroids).

    Parameters
    ----------
    level : level name
    crs : {"wgs84", "rd"}
        ``lat``/``lon`` degrees or RD New ``x``/``y`` metres.

    Returns
    -------
    DataFrame
        ``<key column>, lat, lon`` or ``<key column>, x, y``.

    Examples
    --------
    >>> c = centroids("wijk")
    >>> c.loc[c.wijk_code == "BU05991571", ["lat", "lon"]].round(3).values.tolist()
    [[51.893, 4.483]]
    """
    _check_level(level)
    bu = _tables()["buurt"][["buurt_code", "lat", "lon", "bevolking_2022"]]
    key = KEY_COLUMNS[level]
    if level == "buurt":
        out = bu[["buurt_code", "lat", "lon"]].copy()
    else:
        h = _hierarchy_current()[["buurt_code", key]]
        d = bu.merge(h, on="buurt_code")
        # Weight 1 as a floor so an empty park buurt still pulls a little.
        w = d["bevolking_2022"].clip(lower=1).astype(float)
        d = d.assign(wlat=d["lat"] * w, wlon=d["lon"] * w, w=w)
        s = d.groupby(key)[["wlat", "wlon", "w"]].sum()
        out = pd.DataFrame({key: s.index.astype("str"), "lat": (s["wlat"] / s["w"]).to_numpy(),
                            "lon": (s["wlon"] / s["w"]).to_numpy()})
    out = out.sort_values(key, ignore_index=True)
    if crs == "rd":
        x, y = wgs84_to_rd(out["lat"].to_numpy(), out["lon"].to_numpy())
        out = pd.DataFrame({key: out[key], "x": x, "y": y})
    elif crs != "wgs84":
        raise ValueError(f"crs {crs!r} not supported; expected 'wgs84' or 'rd'")
    return out


@functools.cache
def _buurt_edges() -> tuple[tuple[str, str], ...]:
    from scipy.spatial import Delaunay

    bu = _tables()["buurt"]
    pts = _to_km(bu["lat"].to_numpy(), bu["lon"].to_numpy())
    codes = bu["buurt_code"].tolist()
    land = bu["landmassa"].tolist()
    edges: set[tuple[str, str]] = set()
    for simplex in Delaunay(pts).simplices:
        for a, b in ((0, 1), (1, 2), (0, 2)):
            i, j = int(simplex[a]), int(simplex[b])
            # Long edges and edges between landmasses cross water or harbours: not neighbours.
            if land[i] != land[j] or np.hypot(*(pts[i] - pts[j])) > MAX_EDGE_KM:
                continue
            edges.add(tuple(sorted((codes[i], codes[j]))))  # type: ignore[arg-type]
    links = _read("links.csv")
    known = set(codes)
    cols = ["buurt_a", "buurt_b", "actie"]
    for pos, (a, b, action) in enumerate(links[cols].itertuples(index=False)):
        for col, v in (("buurt_a", a), ("buurt_b", b)):
            if v not in known:
                _fail("links.csv", _file_row(links, pos), col, v, "a buurt_code of buurten.csv")
        pair = tuple(sorted((a, b)))
        if action == "add":
            edges.add(pair)  # type: ignore[arg-type]
        elif action == "remove":
            if pair not in edges:
                _fail("links.csv", _file_row(links, pos), "actie", action,
                      "'remove' only for a pair the triangulation links")
            edges.discard(pair)  # type: ignore[arg-type]
        else:
            _fail("links.csv", _file_row(links, pos), "actie", action, "'add' or 'remove'")
    return tuple(sorted(edges))


def adjacency(level: Level = "wijkraad") -> pd.DataFrame:
    """Neighbouring units: both directions of every pair (symmetric), sorted.

    Built from a Delaunay triangulation of approximate buurt centroids, dropping edges longer than
    :data:`MAX_EDGE_KM` or between parts of the city separated by river or harbour (column
    ``landmassa``); ``links.csv`` adds bridge and tunnel links and removes a few links across
    harbour basins. Two units of a coarser
    level are neighbours when any of their buurten are. Hoek van Holland, Rozenburg, Pernis,
    Hoogvliet and Heijplaat therefore have no neighbours outside their own area.

    Returns
    -------
    DataFrame
        ``unit, neighbour`` (codes of ``level``).

    Examples
    --------
    >>> a = adjacency("wijkraad")
    >>> sorted(a.loc[a.unit == "tarwewijk", "neighbour"])[:3]
    ['afrikaanderwijk', 'bloemhof', 'carnisse-zuidplein-zuiderpark']
    """
    _check_level(level)
    h = _hierarchy_current()
    up = dict(zip(h["buurt_code"], h[KEY_COLUMNS[level]], strict=True))
    pairs = {(up[a], up[b]) for a, b in _buurt_edges()}
    pairs = {p for p in pairs if p[0] != p[1]}
    pairs |= {(b, a) for a, b in pairs}
    out = pd.DataFrame(sorted(pairs), columns=["unit", "neighbour"], dtype="str")
    return out


def neighbours(unit: Any, level: Level = "wijkraad") -> list[str]:
    """Codes of the units next to ``unit`` (any spelling :func:`normalize` reads).

    Examples
    --------
    >>> neighbours("Pendrecht", level="wijk")
    ['BU05991573', 'BU05991575', 'BU05991578']
    """
    code = normalize(unit, level)
    a = adjacency(level)
    return a.loc[a["unit"] == code, "neighbour"].tolist()


def _clip(poly: list[tuple[float, float]], a: np.ndarray, c: float) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: keep the part of a convex polygon where a . p <= c."""
    out: list[tuple[float, float]] = []
    n = len(poly)
    for k in range(n):
        p, q = np.asarray(poly[k]), np.asarray(poly[(k + 1) % n])
        fp, fq = float(a @ p) - c, float(a @ q) - c
        if fp <= 0:
            out.append((float(p[0]), float(p[1])))
        if fp * fq < 0:
            t = fp / (fp - fq)
            r = p + t * (q - p)
            out.append((float(r[0]), float(r[1])))
    return out


@functools.cache
def _buurt_cells() -> dict[str, tuple[tuple[float, float], ...]]:
    bu = _tables()["buurt"]
    pts = _to_km(bu["lat"].to_numpy(), bu["lon"].to_numpy())
    codes = bu["buurt_code"].tolist()
    angles = np.linspace(0.0, 2.0 * np.pi, 24, endpoint=False)
    circle = np.column_stack([np.cos(angles), np.sin(angles)]) * CELL_RADIUS_KM
    cells: dict[str, tuple[tuple[float, float], ...]] = {}
    for i, code in enumerate(codes):
        poly = [tuple(map(float, v)) for v in circle + pts[i]]
        for j in range(len(codes)):
            if i == j or np.hypot(*(pts[i] - pts[j])) > 2.0 * CELL_RADIUS_KM:
                continue
            # Voronoi bisector: the points closer to centroid i than to centroid j.
            a = pts[j] - pts[i]
            c = float(a @ (pts[i] + pts[j]) / 2.0)
            poly = _clip(poly, a, c)
        lat, lon = _from_km(np.asarray(poly))
        cells[code] = tuple(zip(lon.round(6).tolist(), lat.round(6).tolist(), strict=True))
    return cells


def polygons(level: Level = "wijkraad") -> dict[str, list[list[tuple[float, float]]]]:
    """SCHEMATIC outlines for maps: code -> list of rings of (lon, lat).

    Real outlines are not shipped (:data:`POLYGONS_ARE_SCHEMATIC` is True): each buurt is the
    Voronoi cell of its approximate centroid, cut off at :data:`CELL_RADIUS_KM` from it. A coarser
    unit is the list of its buurt cells (a multipolygon; cells of one unit touch, so drawing them
    with the same colour and no edge line shows one area). Label maps made with them
    "schematische kaart".

    Examples
    --------
    >>> p = polygons("wijkraad")
    >>> len(p), len(p["tarwewijk"]), len(p["kralingen"])
    (39, 1, 5)
    """
    _check_level(level)
    cells = _buurt_cells()
    h = _hierarchy_current()
    out: dict[str, list[list[tuple[float, float]]]] = {}
    for code, key in zip(h["buurt_code"], h[KEY_COLUMNS[level]], strict=True):
        out.setdefault(key, []).append(list(cells[code]))
    return dict(sorted(out.items()))


def to_geojson(level: Level = "wijkraad", year: int | None = None) -> dict[str, Any]:
    """The SCHEMATIC polygons as a GeoJSON FeatureCollection (WGS84), for GIS tools or web maps.

    Each feature is a MultiPolygon with properties: key, name, ``population`` (of ``year``,
    default latest) and ``schematisch: true``. Write it with ``json.dump``.

    Examples
    --------
    >>> fc = to_geojson("gebied")
    >>> len(fc["features"]), fc["features"][0]["properties"]["schematisch"]
    (14, True)
    """
    u = units(level, year=year)
    key = KEY_COLUMNS[level]
    poly = polygons(level)
    feats = []
    for row in u.itertuples(index=False):
        rec = row._asdict()
        rings = poly[rec[key]]
        # GeoJSON rings are closed: the first position repeats at the end.
        coords = [[[list(p) for p in ring] + [list(ring[0])]] for ring in rings]
        feats.append({
            "type": "Feature",
            "geometry": {"type": "MultiPolygon", "coordinates": coords},
            "properties": {key: rec[key], NAME_COLUMNS[level]: rec[NAME_COLUMNS[level]],
                           "population": int(rec["population"]), "schematisch": True},
        })
    return {"type": "FeatureCollection", "features": feats,
            "properties": {"schematisch": POLYGONS_ARE_SCHEMATIC,
                           "toelichting": "Schematische Voronoi-cellen rond benaderde buurtcentra; "
                                          "geen echte grenzen."}}


def locate(x: Any, y: Any, crs: Literal["rd", "wgs84"] = "rd", *,
           max_km: float = CELL_RADIUS_KM) -> pd.Series:
    """Buurt code for each point: the buurt whose (schematic) cell holds it.

    A point is assigned to the nearest approximate buurt centroid, within ``max_km``; points
    farther from every centroid (harbour, open land, outside the city) get a missing value. This
    is the schematic geography: near buurt borders the answer can be wrong; use real CBS outlines
    for production.

    Parameters
    ----------
    x, y : array-like
        RD New metres (``crs="rd"``) or ``lon``/``lat`` degrees (``crs="wgs84"``, x = lon).

    Examples
    --------
    >>> x, y = wgs84_to_rd(51.893, 4.483)  # Tarwewijk
    >>> locate([float(x), 0.0], [float(y), 0.0]).tolist()
    ['BU05991571', nan]
    """
    from scipy.spatial import cKDTree

    if crs == "rd":
        lat, lon = rd_to_wgs84(x, y)
    elif crs == "wgs84":
        lon, lat = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    else:
        raise ValueError(f"crs {crs!r} not supported; expected 'rd' or 'wgs84'")
    bu = _tables()["buurt"]
    tree = cKDTree(_to_km(bu["lat"].to_numpy(), bu["lon"].to_numpy()))
    pts = _to_km(np.atleast_1d(lat), np.atleast_1d(lon))
    ok = np.isfinite(pts).all(axis=1)
    dist = np.full(len(pts), np.inf)
    idx = np.zeros(len(pts), dtype=int)
    if ok.any():
        dist[ok], idx[ok] = tree.query(pts[ok])
    codes = bu["buurt_code"].to_numpy(dtype=object)[idx]
    vals = [c if d <= max_km else None for c, d in zip(codes, dist, strict=True)]
    return pd.Series(vals, dtype="str", name="buurt_code")
