"""Read a city's geography from CBS/PDOK files described by a small manifest (``geografie.yaml``).

Files (see ``docs/contracts.md``, "Geography", and the README section "Een andere stad"):

- CBS wijk- en buurtkaart, GeoJSON or GeoPackage, buurt and/or wijk level, one or more years, with
  the PDOK names (``statcode``, ``statnaam``, ``jrstatcode``, ``gm_code``/``gmCode``, ``wk_code``,
  ``wk_naam``), the CBS download names (``BU_CODE``, ``BU_NAAM``, ``WK_CODE``, ``WK_NAAM``,
  ``GM_CODE``, ``GM_NAAM``) or the CBS GeoPackage names (``buurtcode``, ``buurtnaam``, ``wijkcode``,
  ``wijknaam``, ``gemeentecode``, ``gemeentenaam``); national files are filtered to the gemeente;
- Kerncijfers wijken en buurten (kwb-YYYY, csv or xlsx): ``gwb_code_10``/``gwb_code``, ``regio``,
  ``gm_naam``, ``recs``, ``a_inw``;
- a mapping table: CBS buurt (or wijk) -> the city's own units, with names;
- optional points (buurten without polygons), a declared crosswalk, aliases.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wijklib.geo._crs import RD
from wijklib.geo._geography import Geography, _Parts
from wijklib.geo._names import GeoDataError, as_text

MANIFEST_NAMES = ("geografie.yaml", "geografie.yml", "geography.yaml")
MANIFEST_KEYS = {
    "gemeente": "CBS gemeente code, e.g. GM0363",
    "naam": "gemeente name",
    "jaar": "geography year of the units (default: the latest kaart year)",
    "niveaus": "names of the CBS levels in this city, e.g. {wijk: gebied}",
    "kaarten": "CBS wijk- en buurtkaart files (GeoJSON/GeoPackage)",
    "kerncijfers": "kwb-YYYY csv/xlsx files (residents per unit)",
    "indeling": "mapping table CBS buurt/wijk -> city units",
    "punten": "points for units without polygons",
    "omzetting": "a declared crosswalk between geography years",
    "aliassen": "extra spellings (level, code, alias)",
    "geschat": "list of what is estimated or approximate",
    "aangrenzend": "adjacency settings {tolerantie_m, min_grens_m}",
    "synoniemen": "level words, e.g. {stadsdeel: gebied}",
    "naamvolgorde": "levels a bare name is looked up in, in order",
    "rapportniveau": "the reporting level (default: the finest city level)",
    "bron": "free text on where the files come from",
    "water": "polygon files of water surfaces (drawn on maps)",
}

# Property names per meaning (compared case-insensitively), PDOK / CBS download / CBS GeoPackage.
_PROPS = {
    "statcode": ("statcode",),
    "statnaam": ("statnaam",),
    "bu_code": ("bu_code", "buurtcode", "buurt_code"),
    "bu_naam": ("bu_naam", "buurtnaam", "buurt_naam"),
    "wk_code": ("wk_code", "wijkcode", "wijk_code"),
    "wk_naam": ("wk_naam", "wijknaam", "wijk_naam"),
    "gm_code": ("gm_code", "gmcode", "gemeentecode", "gemeente_code"),
    "gm_naam": ("gm_naam", "gmnaam", "gemeentenaam", "gemeente_naam"),
    "jrstatcode": ("jrstatcode",),
    "jaar": ("jaar", "jaarstatcode"),
    "water": ("water",),
}
_EXPECTED_KAART = ("statcode + statnaam (PDOK), BU_CODE/BU_NAAM or WK_CODE/WK_NAAM (CBS download), "
                   "buurtcode/buurtnaam or wijkcode/wijknaam (CBS GeoPackage)")
_PATTERN = {"buurt": re.compile(r"BU\d{8}"), "wijk": re.compile(r"WK\d{6}"), "gemeente": re.compile(r"GM\d{4}")}


def _gm(value: Any, where: str) -> str:
    t = as_text(value)
    m = re.fullmatch(r"(?:GM)?(\d{1,4})", (t or "").upper().replace(" ", ""))
    if not m:
        raise GeoDataError(f"{where}: gemeente {value!r} is not a CBS gemeente code; expected e.g. GM0599 or 599")
    return "GM" + m.group(1).zfill(4)


def _col(df: pd.DataFrame, meaning: str) -> str | None:
    low = {str(c).lower(): c for c in df.columns}
    for cand in _PROPS[meaning]:
        if cand in low:
            return low[cand]
    return None


def _files(base: Path, spec: Any, key: str, manifest: str) -> list[tuple[Path, dict[str, Any]]]:
    """Manifest entry (str, dict or list of them, globs allowed) -> [(path, options)]."""
    items = spec if isinstance(spec, list) else [spec]
    out = []
    for item in items:
        opts = dict(item) if isinstance(item, Mapping) else {"bestand": item}
        if "bestand" not in opts:
            raise GeoDataError(f"{manifest}: an entry of {key!r} lacks 'bestand' (found keys {sorted(opts)})")
        pattern = str(base / str(opts["bestand"]))
        paths = sorted(glob.glob(pattern)) if any(ch in pattern for ch in "*?[") else [pattern]
        if not paths or not all(Path(p).is_file() for p in paths):
            raise GeoDataError(f"{manifest}: {key} file {opts['bestand']!r} not found in {base}")
        out += [(Path(p), opts) for p in paths]
    return out


# ---------------------------------------------------------------------------------------------
# Kaarten
# ---------------------------------------------------------------------------------------------

def _read_layers(path: Path, opts: Mapping[str, Any]):
    import geopandas as gpd
    import pyogrio

    layer = opts.get("laag")
    if layer is not None:
        return [(str(layer), gpd.read_file(path, layer=layer))]
    layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    return [(lyr, gpd.read_file(path, layer=lyr)) for lyr in layers]


def read_kaart(path: Path, opts: Mapping[str, Any], gemeente: str) -> list[dict[str, Any]]:
    """One CBS kaart file -> list of layers {kind, year, frame(code, naam, wk_code, gm_code, geometry RD)}."""
    import shapely

    out = []
    layers = _read_layers(path, opts)
    for layer, gdf in layers:
        where = f"{path}" + (f" (layer {layer!r})" if len(layers) > 1 else "")
        cols = {m: _col(gdf, m) for m in _PROPS}
        if cols["statcode"]:
            codes = gdf[cols["statcode"]].astype(str).str.strip().str.upper()
            kinds = {"BU": "buurt", "WK": "wijk", "GM": "gemeente"}
            prefixes = set(codes.str[:2])
            if not prefixes <= set(kinds) or len(prefixes) != 1:
                raise GeoDataError(f"{where}: column {cols['statcode']!r} holds codes with prefixes "
                                   f"{sorted(prefixes)}; expected one kaart level per file/layer (BU, WK or GM)")
            kind = kinds[prefixes.pop()]
            name_col = cols["statnaam"]
        elif cols["bu_code"]:
            kind, codes, name_col = "buurt", gdf[cols["bu_code"]].astype(str).str.strip().str.upper(), cols["bu_naam"]
        elif cols["wk_code"]:
            kind, codes, name_col = "wijk", gdf[cols["wk_code"]].astype(str).str.strip().str.upper(), cols["wk_naam"]
        elif cols["gm_code"]:
            continue  # a gemeente layer (CBS GeoPackage 'gemeenten'): the outline follows from the units
        else:
            if len(layers) > 1 and opts.get("laag") is None:
                continue  # other layers of a GeoPackage (e.g. metadata tables)
            props = [c for c in gdf.columns if c != "geometry"]
            raise GeoDataError(f"{where}: unknown property names {props}; expected {_EXPECTED_KAART}")
        if kind == "gemeente":
            continue
        bad = ~codes.str.fullmatch(_PATTERN[kind].pattern)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise GeoDataError(f"{where}, feature {i + 1}: code {codes.iloc[i]!r} is not a CBS {kind} code; "
                               f"expected {'BU + 8 digits' if kind == 'buurt' else 'WK + 6 digits'}")
        gm_codes = (gdf[cols["gm_code"]].map(lambda v, w=where: _gm(v, w)) if cols["gm_code"]
                    else "GM" + codes.str[2:6])
        mine = (gm_codes == gemeente).to_numpy() & (codes.str[2:6] == gemeente[2:]).to_numpy()
        if not mine.any():
            found = pd.Series(gm_codes).value_counts().index[:5].tolist()
            raise GeoDataError(f"{where}: no {kind} of gemeente {gemeente}; the file holds gemeente(n) "
                               f"{', '.join(map(str, found))}. Expected a kaart with units of {gemeente}")
        gdf = gdf[mine].reset_index(drop=True)
        codes = codes[mine].reset_index(drop=True)
        # Year: the manifest, else jrstatcode ("2024WK059901"), else a jaar property.
        year = opts.get("jaar")
        if year is None and cols["jrstatcode"]:
            yrs = set(gdf[cols["jrstatcode"]].astype(str).str[:4])
            if len(yrs) != 1 or not next(iter(yrs)).isdigit():
                raise GeoDataError(f"{where}: column {cols['jrstatcode']!r} holds years {sorted(yrs)[:5]}; "
                                   f"expected one year per kaart")
            year = int(yrs.pop())
        if year is None and cols["jaar"]:
            yrs = set(gdf[cols["jaar"]].astype(str).str[:4])
            year = int(yrs.pop()) if len(yrs) == 1 and next(iter(yrs)).isdigit() else None
        if year is None:
            # CBS names its downloads by year (wijkenbuurten_2024_v1.gpkg, buurt_2023.shp).
            found = set(re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", path.stem))
            year = int(found.pop()) if len(found) == 1 else None
        if year is None:
            raise GeoDataError(f"{where}: no year found (no jrstatcode or jaar property, no single year in the "
                               f"file name); add 'jaar: YYYY' "
                               f"to this kaart's entry in the manifest")
        dup = codes.duplicated()
        if dup.any():
            i = int(np.flatnonzero(dup.to_numpy())[0])
            raise GeoDataError(f"{where}, feature {i + 1}: code {codes.iloc[i]} appears twice; expected one "
                               f"feature per unit")
        if opts.get("crs"):
            gdf = gdf.set_crs(opts["crs"], allow_override=True)
        if gdf.crs is None:
            raise GeoDataError(f"{where}: no coordinate reference system; add 'crs: EPSG:28992' (RD New) or "
                               f"'crs: EPSG:4326' (WGS84) to this kaart's entry in the manifest")
        if gdf.crs.is_geographic and (np.abs(gdf.total_bounds) > 360).any():
            raise GeoDataError(f"{where}: coordinates up to {gdf.total_bounds.max():.0f} are declared as "
                               f"degrees ({gdf.crs}); they look like RD New metres: add 'crs: EPSG:28992'")
        geoms = gdf.geometry.to_numpy()
        for i, g in enumerate(geoms):
            if g is None or g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon"):
                raise GeoDataError(f"{where}, feature {i + 1} ({codes.iloc[i]}): geometry "
                                   f"{None if g is None else g.geom_type!r}; expected a (Multi)Polygon")
            if not g.is_valid:
                raise GeoDataError(f"{where}, feature {i + 1} ({codes.iloc[i]}): invalid polygon: "
                                   f"{shapely.is_valid_reason(g)}; expected a valid, not self-intersecting "
                                   f"outline (repair it in a GIS, e.g. QGIS 'Fix geometries')")
        gdf = gdf.to_crs(RD)
        names = gdf[name_col].astype(str).str.strip() if name_col else codes
        wk = (gdf[cols["wk_code"]].astype(str).str.strip().str.upper() if kind == "buurt" and cols["wk_code"]
              else ("WK" + codes.str[2:8] if kind == "buurt" else codes))
        import geopandas as gpd

        # CBS marks units that are (mostly) water with water = "JA": drawn as water, not a unit.
        is_water = (gdf[cols["water"]].astype(str).str.strip().str.upper() == "JA").to_numpy() \
            if cols["water"] else np.zeros(len(gdf), dtype=bool)
        frame = gpd.GeoDataFrame({"code": codes.to_numpy(), "naam": names.to_numpy(), "wk_code": wk.to_numpy(),
                                  "water": is_water,
                                  "gm_naam": (gdf[cols["gm_naam"]].astype(str).to_numpy() if cols["gm_naam"]
                                              else None)},
                                 geometry=gdf.geometry.to_numpy(), crs=RD)
        out.append({"kind": kind, "year": int(year), "frame": frame, "file": where,
                    "approx": bool(opts.get("benaderd", False))})
    if not out:
        raise GeoDataError(f"{path}: no buurt or wijk layer found; expected {_EXPECTED_KAART}")
    return out


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------

def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xls"):
        df = pd.read_excel(path, dtype=str)
        df.attrs["header_row"] = 1
        return df
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines:
        raise GeoDataError(f"{path}: empty file")
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    import io

    df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, comment="#",
                     skipinitialspace=True)
    df.columns = [str(c).strip() for c in df.columns]
    n_comment = 0
    for ln in text.splitlines():
        if ln.startswith("#"):
            n_comment += 1
        elif ln.strip():
            break
    df.attrs["header_row"] = n_comment + 1
    return df


def _lower_cols(df: pd.DataFrame) -> dict[str, str]:
    return {str(c).strip().lower(): c for c in df.columns}


def read_kwb(path: Path, opts: Mapping[str, Any], gemeente: str) -> tuple[int, pd.DataFrame]:
    """A Kerncijfers wijken en buurten table -> (year, DataFrame[code, kind, naam, population Int64])."""
    df = _read_table(path)
    low = _lower_cols(df)
    code_col = low.get("gwb_code_10") or low.get("gwb_code")
    if code_col is None or "a_inw" not in low:
        raise GeoDataError(f"{path}: columns {list(df.columns)[:12]}; expected the kwb columns gwb_code_10 "
                           f"(or gwb_code) and a_inw (plus regio, gm_naam, recs)")
    year = opts.get("jaar")
    if year is None:
        m = re.search(r"kwb[-_ ]?(\d{4})", path.name, re.IGNORECASE)
        year = int(m.group(1)) if m else None
    if year is None and "jaar" in low:
        vals = set(df[low["jaar"]].str.strip())
        year = int(vals.pop()) if len(vals) == 1 and next(iter(vals)).isdigit() else None
    if year is None:
        raise GeoDataError(f"{path}: no year (file not named kwb-YYYY and no 'jaar' column); add 'jaar: YYYY' "
                           f"to its entry under 'kerncijfers' in the manifest")
    codes = df[code_col].astype(str).str.strip().str.upper()
    gm_of = np.where(codes.str.startswith("GM"), codes, "GM" + codes.str[2:6])
    mine = gm_of == gemeente
    if not mine.any():
        names = df[low["gm_naam"]].astype(str).str.strip() if "gm_naam" in low else pd.Series([""] * len(df))
        found = pd.Series([f"{c} ({n})" if n else c for c, n in zip(gm_of, names, strict=True)]).value_counts()
        raise GeoDataError(f"{path}: kwb table of another gemeente: it holds {', '.join(found.index[:5])}; "
                           f"expected rows of {gemeente}")
    hdr = int(df.attrs.get("header_row", 1))
    out_codes, kinds, pops, names = [], [], [], []
    ncol = low.get("regio")
    for pos in np.flatnonzero(mine):
        code = codes.iloc[pos]
        kind = {"BU": "buurt", "WK": "wijk", "GM": "gemeente"}.get(code[:2])
        if kind is None or not _PATTERN[kind].fullmatch(code):
            raise GeoDataError(f"{path}, row {hdr + 1 + pos}, column {code_col!r}: found {code!r}, expected a "
                               f"CBS code (GM + 4, WK + 6 or BU + 8 digits)")
        raw = str(df[low["a_inw"]].iloc[pos]).strip().replace(" ", "")
        if raw in ("", ".", "-", "x", "nan"):
            val: Any = pd.NA  # CBS marks secret or unknown figures with '.'; missing, not zero
        elif re.fullmatch(r"\d+(\.0+)?", raw):
            val = int(float(raw))
        else:
            raise GeoDataError(f"{path}, row {hdr + 1 + pos}, column {low['a_inw']!r}: found {raw!r}, expected a "
                               f"whole number of residents (or '.' for unknown)")
        out_codes.append(code)
        kinds.append(kind)
        pops.append(val)
        names.append(str(df[ncol].iloc[pos]).strip() if ncol else code)
    out = pd.DataFrame({"code": out_codes, "kind": kinds, "naam": names,
                        "population": pd.array(pops, dtype="Int64")})
    dup = out["code"].duplicated()
    if dup.any():
        raise GeoDataError(f"{path}: code {out.loc[dup, 'code'].iloc[0]} appears twice; expected one row per unit")
    return int(year), out


def read_mapping(path: Path, spec: Mapping[str, Any], manifest: str) -> tuple[pd.DataFrame, str, list[dict]]:
    """Mapping table -> (frame with 'cbs' + city level key/name columns, CBS kind, level specs)."""
    df = _read_table(path)
    hdr = int(df.attrs.get("header_row", 1))
    levels = spec.get("niveaus")
    if not levels:
        raise GeoDataError(f"{manifest}: 'indeling' needs 'niveaus': the city's own levels, finest first, "
                           f"each {{niveau: <name>, code: <column>, naam: <column>}}")
    low = _lower_cols(df)
    cbs_col = spec.get("cbs")
    if cbs_col is None:
        for cand in ("buurt_code", "buurtcode", "bu_code", "statcode", "cbs_code", "wijkcode", "wk_code"):
            if cand in low:
                cbs_col = low[cand]
                break
    elif cbs_col not in df.columns:
        raise GeoDataError(f"{path}: column {cbs_col!r} (indeling.cbs in {manifest}) not found; columns: "
                           f"{list(df.columns)}")
    if cbs_col is None:
        raise GeoDataError(f"{path}: no column with the CBS buurt or wijk code; columns {list(df.columns)}; "
                           f"expected one of buurt_code, buurtcode, BU_CODE, statcode (or set indeling.cbs)")
    specs = []
    for lv in levels:
        if not isinstance(lv, Mapping) or "niveau" not in lv or "code" not in lv:
            raise GeoDataError(f"{manifest}: indeling.niveaus entry {lv!r}; expected {{niveau, code, naam}}")
        for key in ("code", "naam"):
            if key in lv and lv[key] not in df.columns:
                raise GeoDataError(f"{path}: column {lv[key]!r} of level {lv['niveau']!r} not found; columns: "
                                   f"{list(df.columns)}")
        specs.append(dict(lv))
    codes = df[cbs_col].astype(str).str.strip().str.upper()
    kinds = set(codes.str[:2])
    if kinds - {"BU", "WK"} or len(kinds) != 1:
        bad = codes[~codes.str[:2].isin(["BU", "WK"])]
        shown = bad.iloc[0] if len(bad) else sorted(kinds)
        raise GeoDataError(f"{path}, column {cbs_col!r}: found {shown!r}; expected CBS buurt codes (BU + 8 digits) "
                           f"or wijk codes (WK + 6 digits), one kind per table")
    kind = "buurt" if kinds == {"BU"} else "wijk"
    for pos, code in enumerate(codes):
        if not _PATTERN[kind].fullmatch(code):
            raise GeoDataError(f"{path}, row {hdr + 1 + pos}, column {cbs_col!r}: found {code!r}, expected a CBS "
                               f"{kind} code")
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        code = dup.iloc[0]
        rows = [hdr + 1 + int(i) for i in np.flatnonzero((codes == code).to_numpy())]
        first = specs[0]
        claim = [str(df[first["code"]].iloc[r - hdr - 1]) for r in rows]
        raise GeoDataError(f"{path}, rows {', '.join(map(str, rows))}, column {cbs_col!r}: {kind} {code} is "
                           f"claimed by {len(rows)} rows ({first['niveau']} {', '.join(claim)}); expected each "
                           f"{kind} in exactly one unit")
    out = pd.DataFrame({"cbs": codes.to_numpy()})
    for lv in specs:
        c = df[lv["code"]].astype(str).str.strip()
        empty = c == ""
        if empty.any():
            pos = int(np.flatnonzero(empty.to_numpy())[0])
            raise GeoDataError(f"{path}, row {hdr + 1 + pos}, column {lv['code']!r}: empty; expected the code of "
                               f"the {lv['niveau']} holding {codes.iloc[pos]}")
        n = df[lv["naam"]].astype(str).str.strip() if lv.get("naam") else c
        names_per_code = n.groupby(c).nunique()
        if (names_per_code > 1).any():
            code = names_per_code[names_per_code > 1].index[0]
            raise GeoDataError(f"{path}, column {lv.get('naam')!r}: {lv['niveau']} {code} has several names "
                               f"{sorted(set(n[c == code]))}; expected one name per code")
        out[lv["niveau"] + "\0code"] = c.to_numpy()
        out[lv["niveau"] + "\0naam"] = n.to_numpy()
    out.attrs["rows"] = {code: hdr + 1 + i for i, code in enumerate(codes)}
    return out, kind, specs


def read_points(path: Path, manifest: str) -> pd.DataFrame:
    """Points file: code, naam (optional), lat/lon (WGS84) or x/y (RD New) -> code, naam, x, y."""
    from wijklib.geo._crs import wgs84_to_rd

    df = _read_table(path)
    low = _lower_cols(df)
    hdr = int(df.attrs.get("header_row", 1))
    code_col = low.get("code") or low.get("statcode") or low.get("buurt_code") or low.get("buurtcode")
    if code_col is None or not ({"lat", "lon"} <= set(low) or {"x", "y"} <= set(low)):
        raise GeoDataError(f"{path}: columns {list(df.columns)}; expected code (or statcode), optional naam, and "
                           f"lat + lon (WGS84) or x + y (RD New)")
    cols = ("lat", "lon") if {"lat", "lon"} <= set(low) else ("x", "y")
    vals = {}
    for c in cols:
        v = pd.to_numeric(df[low[c]].str.replace(",", ".", regex=False), errors="coerce")
        if v.isna().any():
            pos = int(np.flatnonzero(v.isna().to_numpy())[0])
            raise GeoDataError(f"{path}, row {hdr + 1 + pos}, column {low[c]!r}: found "
                               f"{df[low[c]].iloc[pos]!r}, expected a number")
        vals[c] = v.to_numpy(dtype=float)
    if cols == ("lat", "lon"):
        x, y = wgs84_to_rd(vals["lat"], vals["lon"])
    else:
        x, y = vals["x"], vals["y"]
    codes = df[code_col].astype(str).str.strip().str.upper()
    names = df[low["naam"]].astype(str).str.strip() if "naam" in low else codes
    return pd.DataFrame({"code": codes.to_numpy(), "naam": names.to_numpy(), "x": np.asarray(x, dtype=float),
                         "y": np.asarray(y, dtype=float)})


# ---------------------------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------------------------

def find_manifest(folder: Path) -> Path | None:
    for name in MANIFEST_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def load(source: str | Path | Mapping[str, Any], *, base_dir: str | Path | None = None) -> Geography:
    """Read a geography (see :func:`wijklib.geo.load`)."""
    import yaml

    if isinstance(source, Mapping):
        spec = dict(source)
        if "haaglanden" in spec:
            # {haaglanden: GM0518, buurten: true}: a gemeente of the police wijk file (wijklib.geo.haaglanden).
            from wijklib.geo import haaglanden

            return haaglanden.geography(str(spec["haaglanden"]), buurten=bool(spec.get("buurten", True)))
        if set(spec) <= {"map", "pad", "folder", "path"}:
            # A config section pointing at a folder: {map: path/to/folder}.
            target = Path(next(iter(spec.values())))
            if base_dir is not None and not target.is_absolute():
                target = Path(base_dir) / target
            return load(target)
        base = Path(base_dir or ".")
        manifest = f"config section 'geografie' (relative to {base})"
    else:
        p = Path(source)
        if p.is_dir():
            m = find_manifest(p)
            if m is None:
                raise GeoDataError(f"{p}: no manifest ({' or '.join(MANIFEST_NAMES)}); write one naming the kaart, "
                                   f"kwb and mapping files (see the README, 'Een andere stad')")
            p = m
        if not p.is_file():
            raise GeoDataError(f"{p}: geography folder or manifest not found")
        spec = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        if not isinstance(spec, Mapping):
            raise GeoDataError(f"{p}: expected a YAML mapping (keys {', '.join(MANIFEST_KEYS)})")
        base = p.parent
        manifest = str(p)
    unknown = sorted(set(spec) - set(MANIFEST_KEYS))
    if unknown:
        raise GeoDataError(f"{manifest}: unknown key(s) {unknown}; expected keys: "
                           + "; ".join(f"{k} ({v})" for k, v in MANIFEST_KEYS.items()))
    if "gemeente" not in spec:
        raise GeoDataError(f"{manifest}: 'gemeente' missing; expected the CBS gemeente code, e.g. GM0599")
    return _assemble(spec, base, manifest)


def _assemble(spec: Mapping[str, Any], base: Path, manifest: str) -> Geography:  # noqa: C901
    import geopandas as gpd

    gm = _gm(spec["gemeente"], manifest)
    cbs_names = {"buurt": "buurt", "wijk": "wijk"}
    cbs_names.update({str(k): str(v) for k, v in (spec.get("niveaus") or {}).items()})
    if set(cbs_names) - {"buurt", "wijk"}:
        raise GeoDataError(f"{manifest}: niveaus {sorted(set(cbs_names) - {'buurt', 'wijk'})}; expected only the "
                           f"CBS levels buurt and wijk, e.g. niveaus: {{wijk: gebied}}")
    notes: list[str] = []
    # --- kaarten
    layers = []
    for path, opts in _files(base, spec.get("kaarten") or [], "kaarten", manifest):
        layers += read_kaart(path, opts, gm)
    by_kind: dict[str, dict[int, dict[str, Any]]] = {}
    water_parts = []
    water_codes: set[str] = set()
    for lay in layers:
        f = lay["frame"]
        if f["water"].any():
            water_parts.append(f.loc[f["water"], ["naam", "geometry"]])
            water_codes |= set(f.loc[f["water"], "code"])
            lay["frame"] = f.loc[~f["water"]].reset_index(drop=True)
        if lay["year"] in by_kind.setdefault(lay["kind"], {}):
            raise GeoDataError(f"{manifest}: two {lay['kind']} kaarten of {lay['year']} "
                               f"({by_kind[lay['kind']][lay['year']]['file']} and {lay['file']}); expected one")
        by_kind[lay["kind"]][lay["year"]] = lay
    # --- points
    points: dict[str, pd.DataFrame] = {}
    points_approx: dict[str, bool] = {}
    for path, opts in _files(base, spec.get("punten") or [], "punten", manifest):
        kind = str(opts.get("niveau", "buurt"))
        if kind not in ("buurt", "wijk"):
            raise GeoDataError(f"{manifest}: punten niveau {kind!r}; expected buurt or wijk")
        pts = read_points(path, manifest)
        bad = ~pts["code"].str.fullmatch(_PATTERN[kind].pattern) | (pts["code"].str[2:6] != gm[2:])
        if bad.any():
            raise GeoDataError(f"{path}: code {pts.loc[bad, 'code'].iloc[0]!r}; expected CBS {kind} codes of {gm}")
        points[kind] = pts
        points_approx[kind] = bool(opts.get("benaderd", False))
    finest_kind = "buurt" if ("buurt" in by_kind or "buurt" in points) else "wijk"
    if finest_kind not in by_kind and finest_kind not in points:
        raise GeoDataError(f"{manifest}: no kaart (and no points) of buurten or wijken of {gm}; expected at "
                           f"least one CBS wijk- en buurtkaart file under 'kaarten'")
    kaart_years = sorted(by_kind.get(finest_kind, {}))
    year = spec.get("jaar")
    if year is None:
        year = kaart_years[-1] if kaart_years else max((y for k in by_kind.values() for y in k), default=None)
    if year is None:
        raise GeoDataError(f"{manifest}: no geography year; add 'jaar: YYYY'")
    year = int(year)
    if kaart_years and kaart_years[-1] > year:
        raise GeoDataError(f"{manifest}: a {finest_kind} kaart of {kaart_years[-1]} is newer than 'jaar: {year}'; "
                           f"expected jaar to be the newest kaart year")

    def current(kind: str) -> dict[str, Any] | None:
        yrs = [y for y in by_kind.get(kind, {}) if y <= year]
        return by_kind[kind][max(yrs)] if yrs else None

    # --- finest units
    cur_fine = current(finest_kind)
    if cur_fine is not None:
        fine = pd.DataFrame(cur_fine["frame"].drop(columns="geometry"))
        if cur_fine["year"] != year and kaart_years:
            raise GeoDataError(f"{manifest}: no {finest_kind} kaart of the geography year {year}")
    else:
        p = points[finest_kind]
        fine = pd.DataFrame({"code": p["code"], "naam": p["naam"],
                             "wk_code": "WK" + p["code"].str[2:8] if finest_kind == "buurt" else p["code"]})
        dup = fine["code"].duplicated()
        if dup.any():
            raise GeoDataError(f"{manifest}: point code {fine.loc[dup, 'code'].iloc[0]} appears twice")
    fine = fine.sort_values("code", ignore_index=True)
    if finest_kind in points and cur_fine is not None:
        extra = sorted(set(points[finest_kind]["code"]) - set(fine["code"]))
        if extra:
            raise GeoDataError(f"{manifest}: punten codes {extra[:5]} are not in the {finest_kind} kaart of {year}")
    fk = cbs_names[finest_kind]
    h = pd.DataFrame({f"{fk}_code": fine["code"].to_numpy(), fk: fine["naam"].to_numpy()})
    levels = [fk]
    key_columns = {fk: f"{fk}_code"}
    cbs_levels = {finest_kind: fk}
    wijk_kaart = current("wijk")
    if finest_kind == "buurt":
        wk = cbs_names["wijk"]
        h[f"{wk}_code"] = fine["wk_code"].to_numpy()
        wnames: dict[str, str] = {}
        if wijk_kaart is not None:
            wnames = dict(zip(wijk_kaart["frame"]["code"], wijk_kaart["frame"]["naam"], strict=True))
            missing = sorted(set(h[f"{wk}_code"]) - set(wnames))
            if missing:
                raise GeoDataError(f"{wijk_kaart['file']}: wijk(en) {missing[:5]} of the buurten are not in this "
                                   f"kaart; expected the wijken of every buurt")
        elif "wijk" in points:
            wnames = dict(zip(points["wijk"]["code"], points["wijk"]["naam"], strict=True))
        if not set(h[f"{wk}_code"]) <= set(wnames):
            notes.append("wijk names not in the kaarten: taken from the kwb tables where they have them, "
                         "else the code is shown as the name")
        h[wk] = [wnames.get(c, c) for c in h[f"{wk}_code"]]
        levels.append(wk)
        key_columns[wk] = f"{wk}_code"
        cbs_levels["wijk"] = wk
    # --- mapping table (the city's own units)
    mapping_spec = spec.get("indeling")
    city_levels: list[str] = []
    if mapping_spec:
        if not isinstance(mapping_spec, Mapping):
            mapping_spec = {"bestand": mapping_spec}
        ((mpath, _),) = _files(base, mapping_spec["bestand"], "indeling", manifest)
        mp, mkind, specs = read_mapping(mpath, mapping_spec, manifest)
        join_key = key_columns[cbs_names[mkind]] if mkind in cbs_levels else None
        if join_key is None:
            raise GeoDataError(f"{mpath}: the table maps CBS {mkind}en, but this geography has no {mkind} level")
        known = set(h[join_key])
        rows = mp.attrs["rows"]
        for code in mp["cbs"]:
            if code not in known:
                from rapidfuzz import process

                close = [c for c, _, _ in process.extract(code, sorted(known), limit=3)]
                raise GeoDataError(f"{mpath}, row {rows[code]}: {mkind} {code} does not exist in the {mkind} kaart "
                                   f"of {year} of {gm}; closest: {', '.join(close)}")
        absent = sorted(known - set(mp["cbs"]))
        if absent:
            raise GeoDataError(f"{mpath}: {len(absent)} {mkind}(en) of the kaart have no row: "
                               f"{', '.join(absent[:8])}; expected every {mkind} of {gm} in the table (a unit "
                               f"outside the city's own division gets its own code, e.g. 'haven')")
        for lv in specs:
            name = str(lv["niveau"])
            if name in levels or name == "gemeente":
                raise GeoDataError(f"{manifest}: city level {name!r} has the name of another level; rename it or "
                                   f"rename the CBS level with niveaus: {{wijk: ...}}")
            kc = str(lv["code"])
            if kc in h.columns:
                kc = f"{name}_code"
            link = mp.set_index("cbs")
            h[kc] = h[join_key].map(link[name + "\0code"])
            h[name] = h[join_key].map(link[name + "\0naam"])
            levels.append(name)
            key_columns[name] = kc
            city_levels.append(name)
    h["gemeente_code"] = gm
    gm_naam = spec.get("naam")
    if not gm_naam:
        for lay in layers:
            vals = lay["frame"]["gm_naam"].dropna().unique() if "gm_naam" in lay["frame"] else []
            if len(vals):
                gm_naam = str(vals[0])
                break
    gm_naam = str(gm_naam or gm)
    # Levels ordered by unit count (finest first); ties keep the declared order.
    counts = {lv: h[key_columns[lv]].nunique() for lv in levels}
    levels = sorted(levels, key=lambda lv: (-counts[lv], levels.index(lv)))
    levels.append("gemeente")
    key_columns["gemeente"] = "gemeente_code"
    name_columns = {lv: lv for lv in levels}
    cols = []
    for lv in levels[:-1]:
        cols += [key_columns[lv], lv]
    h = h[[*cols, "gemeente_code"]].sort_values(key_columns[levels[0]], ignore_index=True)
    # --- shapes
    shapes: dict[str, Any] = {}
    shapes_approx: dict[str, bool] = {}
    context = None
    if cur_fine is not None:
        s = cur_fine["frame"].set_index("code").geometry
        shapes[fk] = gpd.GeoSeries(s, crs=RD).sort_index()
        shapes_approx[fk] = cur_fine["approx"]
    if finest_kind == "buurt" and wijk_kaart is not None:
        wk = cbs_names["wijk"]
        f = wijk_kaart["frame"]
        used = f["code"].isin(h[key_columns[wk]])
        shapes[wk] = gpd.GeoSeries(f.loc[used].set_index("code").geometry, crs=RD).sort_index()
        shapes_approx[wk] = wijk_kaart["approx"]
        if (~used).any():
            context = gpd.GeoDataFrame(f.loc[~used, ["code", "naam"]].reset_index(drop=True),
                                       geometry=f.loc[~used].geometry.to_numpy(), crs=RD)
    # --- water
    for path, _opts in _files(base, spec.get("water") or [], "water", manifest):
        w = gpd.read_file(path)
        if w.crs is None:
            raise GeoDataError(f"{path}: no coordinate reference system; expected RD New or WGS84 declared in the file")
        w = w.to_crs(RD)
        w = w[w.geom_type.isin(["Polygon", "MultiPolygon"])]
        water_parts.append(gpd.GeoDataFrame({"naam": [path.stem] * len(w)}, geometry=w.geometry.to_numpy(), crs=RD))
    water = (gpd.GeoDataFrame(pd.concat(water_parts, ignore_index=True), geometry="geometry", crs=RD)
             if water_parts else None)
    # --- declared crosswalk
    typed = None
    illustrative = False
    old_names: dict[str, str] = {}
    years: tuple[int, ...]
    om = spec.get("omzetting")
    if om:
        om = om if isinstance(om, Mapping) else {"bestand": om}
        ((opath, _),) = _files(base, om["bestand"], "omzetting", manifest)
        typed = _read_typed_crosswalk(opath)
        old_names = dict(zip(typed["old_code"], typed["old_name"], strict=True)) if "old_name" in typed else {}
        illustrative = bool(om.get("illustratief", False))
        first = int((om.get("jaren") or [int(typed["year_from"].min()) if len(typed) else year])[0])
        years = tuple(range(first, year + 1))
        bad = typed[~typed["year_from"].isin(years[:-1])]
        if len(bad):
            raise GeoDataError(f"{opath}: year_from {int(bad['year_from'].iloc[0])}; expected a year in "
                               f"{years[0]}..{years[-2]}")
    else:
        years = tuple(range(kaart_years[0], year + 1)) if kaart_years else (year,)
    kaarten = {y: gpd.GeoSeries(lay["frame"].set_index("code").geometry, crs=RD)
               for y, lay in by_kind.get(finest_kind, {}).items() if y <= year}
    # Names of codes that only older kaarten hold (for hierarchy(year) and messages).
    for y, lay in sorted(by_kind.get(finest_kind, {}).items()):
        if y < year:
            for code, nm in zip(lay["frame"]["code"], lay["frame"]["naam"], strict=True):
                old_names.setdefault(code, nm)
    # --- aliases
    aliases: list[tuple[str, str, str]] = []
    if spec.get("aliassen"):
        ((apath, _),) = _files(base, spec["aliassen"], "aliassen", manifest)
        al = _read_table(apath)
        for pos, row in enumerate(al.itertuples(index=False)):
            lv, code, alias = (str(v).strip() for v in row[:3])
            if lv not in levels or code not in set(h[key_columns[lv]] if lv != "gemeente" else [gm]):
                raise GeoDataError(f"{apath}, row {al.attrs['header_row'] + 1 + pos}: {lv}/{code}; expected a "
                                   f"known level ({', '.join(levels)}) and a code of that level")
            aliases.append((lv, code, alias))
    cbs_level_names = set(cbs_levels.values())
    prio = spec.get("naamvolgorde") or (
        [lv for lv in levels[:-1] if lv not in cbs_level_names]
        + [cbs_levels[k] for k in ("wijk", "buurt") if k in cbs_levels] + ["gemeente"])
    words = {str(k).lower(): str(v) for k, v in (spec.get("synoniemen") or {}).items()}
    adj = spec.get("aangrenzend") or {}
    default_level = spec.get("rapportniveau")
    if default_level is not None and default_level not in levels:
        raise GeoDataError(f"{manifest}: rapportniveau {default_level!r}; expected one of {', '.join(levels)}")
    parts = _Parts(
        gemeente_code=gm, gemeente_naam=gm_naam, hierarchy=h, levels=tuple(levels), key_columns=key_columns,
        name_columns=name_columns, cbs_levels=cbs_levels, shapes=shapes, shapes_approx=shapes_approx,
        context=context, water=water,
        points={cbs_names[k]: v for k, v in points.items() if cbs_names[k] in levels},
        points_approx={cbs_names[k]: v for k, v in points_approx.items()},
        years=years, current_year=year, typed_crosswalk=typed, crosswalk_illustrative=illustrative,
        kaarten=kaarten, old_names=old_names, aliases=aliases, name_priority=tuple(prio), level_words=words,
        estimated=tuple(str(e) for e in (spec.get("geschat") or [])), notes=notes, source=manifest,
        adjacency_tolerance_m=float(adj.get("tolerantie_m", 2.0)),
        adjacency_min_border_m=float(adj.get("min_grens_m", 10.0)), default_level=default_level,
    )
    g = Geography(parts)
    g._water_codes = water_codes  # kwb rows of water areas are not residents of a unit
    # --- kwb (after the Geography exists: older years are recoded with its crosswalk)
    kwb_files = _files(base, spec.get("kerncijfers") or [], "kerncijfers", manifest)
    if kwb_files:
        _attach_population(g, parts, kwb_files, spec, finest_kind, manifest)
    return g


def _read_typed_crosswalk(path: Path) -> pd.DataFrame:
    cw = _read_table(path)
    need = {"year_from", "old_code", "new_code", "weight"}
    if not need <= set(cw.columns):
        raise GeoDataError(f"{path}: columns {list(cw.columns)}; expected year_from, old_code, new_code, weight "
                           f"(old_name optional)")
    hdr = cw.attrs["header_row"]
    for c, kind in (("year_from", int), ("weight", float)):
        try:
            cw[c] = cw[c].map(kind)
        except ValueError:
            bad = next(i for i, v in enumerate(cw[c]) if not re.fullmatch(r"[\d.]+", str(v)))
            raise GeoDataError(f"{path}, row {hdr + 1 + bad}, column {c!r}: found {cw[c].iloc[bad]!r}, "
                               f"expected a number") from None
    sums = cw.groupby(["year_from", "old_code"])["weight"].sum()
    bad = sums[(sums - 1.0).abs() > 1e-9]
    if len(bad):
        raise GeoDataError(f"{path}: weights of {bad.index[0]} sum to {bad.iloc[0]}, expected 1")
    return cw


def _attach_population(g: Geography, parts: _Parts, kwb_files, spec, finest_kind: str, manifest: str) -> None:
    per_year: dict[int, pd.DataFrame] = {}
    for path, opts in kwb_files:
        y, df = read_kwb(path, opts, parts.gemeente_code)
        if y in per_year:
            raise GeoDataError(f"{path}: a second kwb table of {y}; expected one per year")
        df.attrs["file"] = str(path)
        per_year[y] = df
    # Wijk names the kaarten did not give (buurt kaart only) come from the kwb rows (regio).
    wk = parts.cbs_levels.get("wijk")
    if wk and finest_kind == "buurt":
        h = parts.hierarchy
        unnamed = h[wk] == h[parts.key_columns[wk]]
        if unnamed.any():
            names = {c: n for df in per_year.values() for c, n, k in zip(df["code"], df["naam"], df["kind"],
                                                                         strict=True) if k == "wijk" and n}
            h.loc[unnamed, wk] = h.loc[unnamed, parts.key_columns[wk]].map(names).fillna(h.loc[unnamed, wk])
    # Residents per finest unit; a kwb delivery without buurt rows gives them per CBS wijk instead.
    if finest_kind == "buurt" and not any((df["kind"] == "buurt").any() for df in per_year.values()):
        finest_kind = "wijk"
        parts.notes.append("the kwb tables have no buurt rows: residents are known per wijk, not per buurt")
    fine_level = parts.cbs_levels[finest_kind]
    fine_codes = set(parts.hierarchy[parts.key_columns[fine_level]])
    frames = []
    pop_level = fine_level
    # First every year's residents per kaart unit (the crosswalk weights by them), then recode.
    for y, df in per_year.items():
        if y in parts.kaarten:
            rows = df[df["kind"] == finest_kind]
            parts.kaart_populations[y] = rows.set_index("code")["population"].astype("Float64")
    g._cache.clear()
    water = getattr(g, "_water_codes", set())
    for y, df in sorted(per_year.items()):
        rows = df[df["kind"] == finest_kind]
        wet = rows["code"].isin(water)
        if wet.any():
            n_res = int(rows.loc[wet, "population"].fillna(0).sum())
            parts.notes.append(f"{Path(df.attrs['file']).name}: {int(wet.sum())} water area(s) of the kaart "
                               f"(water = JA) left out, with {n_res} residents in total")
            rows = rows[~wet]
        codes = set(rows["code"])
        if codes - fine_codes and y in g.geography_years and y != g.current_year \
                and fine_level == g.levels[0]:
            # A kwb table of an older year uses that year's codes: carry it to the current units.
            rec = g.recode(rows[["code", "population"]].assign(population=rows["population"].astype(float)),
                           "code", y, value_cols=["population"])
            rows = rec.groupby("code", as_index=False)["population"].sum(min_count=1)
            rows["population"] = rows["population"].round().astype("Int64")
        unknown = sorted(set(rows["code"]) - fine_codes)
        if unknown:
            hint = (f"; add the {finest_kind} kaart of {y} under 'kaarten' so that its codes can be carried over"
                    if y not in g.geography_years else "")
            raise GeoDataError(f"{df.attrs['file']}: {finest_kind} code(s) {unknown[:5]} are not units of the "
                               f"geography {g.current_year}; expected the codes of the kaart{hint}")
        lacking = sorted(fine_codes - set(rows["code"]))
        if lacking:
            raise GeoDataError(f"{df.attrs['file']}: no residents for {len(lacking)} {finest_kind}(en) "
                               f"({', '.join(lacking[:5])}); expected a row per unit of the kaart")
        frames.append(pd.DataFrame({"code": rows["code"].to_numpy(), "year": y,
                                    "population": pd.array(rows["population"], dtype="Int64")}))
    pop = pd.concat(frames, ignore_index=True)
    if not pop["population"].isna().any():
        pop["population"] = pop["population"].astype("int64")
    parts.population = pop
    parts.pop_level = pop_level
    parts.pop_estimated = "bevolking" in parts.estimated
    g._cache.clear()
