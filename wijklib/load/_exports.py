"""Shared machinery of the real platform export layouts (MOR, MSB, Signalen).

These exports are database dumps rather than spreadsheets: several tables joined by ids, ISO or
PostgreSQL timestamps, WGS84 or RD points and area *names* instead of CBS codes. This module reads
one table (through :func:`wijklib.io.read_table`), matches its headers (with the config's column
map), parses timestamps and coordinates with every bad cell logged by file and row, assigns buurt
codes by point (``wijklib.geo.locate``) with names as the fallback, and finishes the canonical
``meldingen`` table (pandera validation, ``attrs`` with the load report and the unit counts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from wijklib import io as wio
from wijklib.load._engine import FILE, ROW, _tighten, _validate
from wijklib.schemas import CATEGORIEEN, SCHEMAS, STATUSSEN, normalize_value, value_lookup

#: Netherlands in WGS84 (degrees); a point outside is a typo, a swapped lat/lon or a dummy point.
NL_LAT = (50.7, 53.7)
NL_LON = (3.2, 7.3)


class Table:
    """One table of an export (possibly several files): raw strings, matched headers, problem log."""

    def __init__(self, name: str, files: Sequence[Path], aliases: Mapping[str, Sequence[str]],
                 required: Sequence[str], log: wio.ProblemLog, columns: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.log = log
        aliases = {k: list(v) for k, v in aliases.items()}
        for canonical, header in (columns or {}).items():
            aliases[canonical] = [header]
        parts = []
        self.columns: dict[str, str] = {}
        self.reports: list[dict] = []
        known = [h for v in aliases.values() for h in v] + list(aliases)
        for f in files:
            raw = wio.read_table(f, known_headers=known)
            file = raw.attrs["file"]
            cols = wio.match_headers(list(raw.columns), aliases, file=file, required=required)
            for canonical, header in (columns or {}).items():
                if canonical in aliases and canonical not in cols:
                    raise wio.DataError(f"{file}: the column map names header {header!r} for '{name}.{canonical}', "
                                        f"but the file has no such header. Columns found: "
                                        f"{', '.join(repr(c) for c in raw.columns)}")
            if raw.empty:
                raise wio.DataError(f"{file}: the file has a header but no data rows")
            frame = pd.DataFrame({c: wio.clean_text(raw[h]) for c, h in cols.items()}, index=raw.index)
            frame[FILE] = file
            frame[ROW] = raw.index.to_numpy(dtype="int64")
            parts.append(frame)
            self.columns.update(cols)
            self.reports.append({"file": file, "rows": len(raw), "format": raw.attrs.get("format"),
                                 "encoding": raw.attrs.get("encoding"), "sep": raw.attrs.get("sep"),
                                 "columns": {f"{name}.{c}" if name else c: h for c, h in cols.items()},
                                 "table": name})
        self.df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def has(self, col: str) -> bool:
        return col in self.df.columns

    def raw(self, col: str) -> pd.Series:
        return self.df[col] if col in self.df.columns else pd.Series("", index=self.df.index, dtype=object)

    def flag(self, mask: pd.Series, col: str, reason: str | pd.Series) -> None:
        """Log the rows where ``mask`` holds, per file (rows are named as the file numbers them)."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        header = self.columns.get(col, col)
        for file, idx in self.df.loc[mask].groupby(FILE).groups.items():
            rows = self.df.loc[idx, ROW]
            raw = pd.Series(self.raw(col).loc[idx].to_numpy(), index=rows.to_numpy())
            why = reason.loc[idx].set_axis(rows.to_numpy()) if isinstance(reason, pd.Series) else reason
            self.log.add(str(file), pd.Series(True, index=rows.to_numpy()), header, raw, why)

    def timestamp(self, col: str, *, required: bool = True) -> pd.Series:
        """ISO / PostgreSQL timestamps (``2024-03-05 14:22:11.123456+01``, ``2024-03-05T14:22:11Z``) or Dutch
        dates -> local (Europe/Amsterdam) time without zone, as the panel's months are local months."""
        s = self.raw(col)
        out, bad = wio.map_unique(s, _parse_timestamps)
        self.flag(bad, col, "expected a timestamp jjjj-mm-dd hh:mm[:ss][+01] or dd-mm-jjjj hh:mm")
        if required:
            self.flag(s == "", col, "expected a timestamp; the cell is empty")
        self.flag(out < wio.EARLIEST_DATE, col, f"date before {wio.EARLIEST_DATE:%d-%m-%Y} is implausible")
        limit = pd.Timestamp.now().normalize() + pd.Timedelta(days=1)
        self.flag(out >= limit, col, "date in the future")
        return out

    def number(self, col: str) -> pd.Series:
        s = self.raw(col)
        out, bad = wio.parse_decimal(s)
        self.flag(bad, col, "expected a number (decimal point or comma)")
        return out.astype(float)


def _parse_timestamps(u: pd.Series) -> tuple[pd.Series, pd.Series]:
    u = u.astype(str)
    empty = u == ""
    iso = u.str.match(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$")
    out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    if iso.any():
        vals = u[iso]
        has_tz = vals.str.contains(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$", regex=True) & vals.str.contains(r"\d{2}:\d{2}")
        if has_tz.any():
            t = pd.to_datetime(vals[has_tz].str.replace(r"([+-]\d{2})$", r"\1:00", regex=True),
                               utc=True, errors="coerce", format="ISO8601")
            out.loc[t.index] = t.dt.tz_convert("Europe/Amsterdam").dt.tz_localize(None).astype("datetime64[ns]")
        if (~has_tz).any():
            t = pd.to_datetime(vals[~has_tz], errors="coerce", format="ISO8601")
            out.loc[t.index] = t.astype("datetime64[ns]")
    rest = ~iso & ~empty
    if rest.any():
        d, _ = wio.parse_dates(u[rest])
        out.loc[d.index] = d
    bad = out.isna() & ~empty
    return out, bad


# --------------------------------------------------------------------------------------------
# Units: by code, by point, by name
# --------------------------------------------------------------------------------------------
def assign_units(
    lat: pd.Series, lon: pd.Series, names: Sequence[pd.Series], *, codes: pd.Series | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Buurt code per row and how it was found: ``code``, ``punt`` (point in the geography), ``naam``
    (first of ``names`` that :func:`wijklib.geo.normalize` resolves to one buurt), or missing."""
    from wijklib import geo

    n = len(lat)
    code = pd.Series(np.nan, index=lat.index, dtype=object)
    how = pd.Series(np.nan, index=lat.index, dtype=object)
    if codes is not None:
        ok = codes.notna() & (codes.astype(str) != "")
        code[ok] = codes[ok]
        how[ok] = "code"
    has_pt = lat.notna() & lon.notna() & code.isna()
    if has_pt.any():
        # Distinct points only: exports repeat addresses.
        pts = pd.DataFrame({"lat": lat[has_pt].round(7), "lon": lon[has_pt].round(7)})
        uniq = pts.drop_duplicates()
        found = geo.locate(uniq["lon"].to_numpy(), uniq["lat"].to_numpy(), crs="wgs84")
        key = pd.Series(found.to_numpy(dtype=object), index=pd.MultiIndex.from_frame(uniq))
        got = pd.Series(key.reindex(pd.MultiIndex.from_frame(pts)).to_numpy(), index=pts.index)
        hit = got.notna() & (got.astype(str) != "nan")
        code[hit[hit].index] = got[hit]
        how[hit[hit].index] = "punt"
    for s in names:
        need = code.isna() & s.notna() & (s.astype(str) != "")
        if not need.any():
            continue
        mapping: dict[str, str] = {}
        for value in pd.unique(s[need].astype(str)):
            try:
                mapping[value] = str(geo.normalize(value, level="buurt"))
            except ValueError:
                continue
        got = s[need].astype(str).map(mapping)
        hit = got.notna()
        code[got[hit].index] = got[hit]
        how[got[hit].index] = "naam"
    assert len(code) == n
    return code, how


def unit_counts(how: pd.Series) -> dict[str, int]:
    """``{"by code", "by point", "by name", "not"}`` counts for ``wijklib check``."""
    return {"by code": int((how == "code").sum()), "by point": int((how == "punt").sum()),
            "by name": int((how == "naam").sum()), "not": int(how.isna().sum())}


# --------------------------------------------------------------------------------------------
# Categories and statuses
# --------------------------------------------------------------------------------------------
def map_values(raw: pd.Series, defaults: Mapping[str, str], user: Mapping[str, str] | None,
               fallback: str | None) -> tuple[pd.Series, pd.Series]:
    """Map raw values (compared after :func:`normalize_value`) through the user's value map first,
    then the layout's defaults; unmapped values get ``fallback`` (None = unmapped stays missing)."""
    table = {normalize_value(k): v for k, v in defaults.items()}
    table.update({normalize_value(k): v for k, v in (user or {}).items()})
    key = wio.map_unique(raw.astype(str), lambda u: u.map(normalize_value))
    out = key.map(table)
    unmapped = out.isna() & (raw.astype(str) != "")
    if fallback is not None:
        out = out.fillna(fallback)
    return out.astype(object), unmapped


def kanaal(raw: pd.Series, user: Mapping[str, str] | None, default: str | None) -> tuple[pd.Series, pd.Series]:
    """Channel from a free-text channel field: the kanaal vocabulary (+ value map); empty -> ``default``."""
    lookup = value_lookup("kanaal")
    lookup.update({normalize_value(k): v for k, v in (user or {}).items()})
    key = wio.map_unique(raw.astype(str), lambda u: u.map(normalize_value))
    out = key.map(lookup)
    empty = raw.astype(str) == ""
    if default is not None:
        out = out.where(~empty, default)
    bad = out.isna() & ~empty
    return out.astype(object), bad


def finish(
    source_frame: pd.DataFrame, log: wio.ProblemLog, *, lenient: bool, reports: list[dict], how: pd.Series,
    excluded: dict[str, int], notes: list[str], layout: str, headers: Mapping[str, str],
) -> pd.DataFrame:
    """Drop rows without a unit (counted), raise or skip logged problems, validate, set attrs."""
    df = source_frame
    df = log.raise_or_skip(df, lenient=lenient)
    skipped = log.frame().to_dict("records") if log else []
    how = how.reindex(df.index)
    units = unit_counts(how)
    no_unit = how.isna()
    if no_unit.any():
        excluded["rows without a buurt (no usable point, no known buurt name)"] = int(no_unit.sum())
    df = df.loc[~no_unit]
    schema = SCHEMAS["meldingen"]
    df = _validate(_tighten(df, schema), schema, dict(headers))
    for r in reports:
        r["rows_loaded"] = int((df[FILE] == r["file"]).sum()) if r.get("table") in ("", None, _main_table(reports)) else None
    out = df.drop(columns=[FILE, ROW]).reset_index(drop=True)
    order = [c for c in schema.columns if c in out.columns]
    out = out[order + [c for c in out.columns if c not in order]]
    excluded = {k: v for k, v in excluded.items() if v}
    out.attrs = {
        "source": "meldingen", "layout": layout, "files": [r["file"] for r in reports], "skipped": skipped,
        "geography_year": None, "historic_buurt_codes": [], "units": units, "notes": notes,
        "report": wio.LoadReport(source="meldingen", files=tuple(reports), n_rows=len(out),
                                 n_skipped=len({(s["file"], s["row"]) for s in skipped}), excluded=excluded),
    }
    return out


def _main_table(reports: list[dict]) -> str:
    return reports[0].get("table", "") if reports else ""


def overig_note(subject: pd.Series, categorie: pd.Series, layout: str) -> list[str]:
    """A note naming the most frequent subjects that fell into 'overig' (so the user can map them)."""
    sub = subject[categorie == "overig"]
    if sub.empty:
        return []
    top = sub.value_counts().head(8)
    listed = ", ".join(f"{k} ({v})" for k, v in top.items())
    return [f"{len(sub)} meldingen have a subject outside wijklib's categories and count as 'overig' "
            f"(in n_meldingen only): {listed}. Map a subject with values: {{categorie: {{<subject>: <categorie>}}}}."]


assert "overig" in CATEGORIEEN and "vervallen" in STATUSSEN
