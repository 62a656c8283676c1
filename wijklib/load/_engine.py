"""Shared machinery of the loaders: per-file parsing context, ward-code adapter, validation."""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import pandera.errors as pae

from wijklib import io as wio
from wijklib.schemas import RAW_HEADERS, SCHEMAS, value_lookup

ROW = "__row"
FILE = "__file"


# --------------------------------------------------------------------------------------------
# Geography adapter (wijklib.geo is owned by another module; only its public API is used here)
# --------------------------------------------------------------------------------------------
def _geo():
    try:
        from wijklib import geo
    except ImportError as exc:  # pragma: no cover - only while the geo module is missing
        raise ImportError(
            "wijklib.geo is needed to check ward codes; pass validate_units=False to skip that check"
        ) from exc
    return geo


@functools.cache
def _historic_buurt_codes() -> dict[str, tuple[int, ...]]:
    """Every buurt code of every geography year geo knows -> the years it exists in."""
    geo = _geo()
    years: dict[str, list[int]] = {}
    for year in getattr(geo, "GEOGRAPHY_YEARS", ()):
        for code in geo.codes_in_year(year):
            years.setdefault(str(code), []).append(int(year))
    return {c: tuple(y) for c, y in years.items()}


def normalize_units(
    raw: pd.Series,
    level: str,
    *,
    file: str,
    column: str,
    year: int | None = None,
) -> tuple[pd.Series, pd.Series, list[str]]:
    """Canonical codes for raw ward codes/names, a reason per unknown value (NaN where fine), historic codes.

    Works on the distinct values only (a file has ~100 distinct buurten in 500k rows), so the cost is
    independent of the number of rows. Uses ``geo.normalize_series`` and, when it rejects a batch,
    ``geo.normalize`` value by value to find exactly which values are unknown (with geo's suggestion).

    Buurt codes of an older geography (e.g. ``BU05990453``, replaced in 2022) are kept as written —
    they are real codes, not typos — and returned in the third element so that the loader can say so;
    with ``year`` given, buurt codes must exist in that geography year.
    """
    geo = _geo()
    s = wio.clean_text(raw)
    uniq = pd.Series(pd.unique(s[s != ""]), dtype="str")
    mapping: dict[str, str] = {}
    reasons: dict[str, str] = {}
    historic: list[str] = []
    kwargs: dict = {"level": level}
    params = inspect.signature(geo.normalize_series).parameters
    if "source" in params:
        kwargs["source"] = file
    if "column" in params:
        kwargs["column"] = column
    try:
        codes = geo.normalize_series(uniq, **kwargs)
        mapping = dict(zip(uniq.tolist(), pd.Series(codes).astype("str").tolist(), strict=True))
    except ValueError:
        for value in uniq.tolist():
            try:
                mapping[value] = str(geo.normalize(value, level=level))
            except ValueError as exc:
                code = value.upper().replace(" ", "")
                if level == "buurt" and code in _historic_buurt_codes():
                    mapping[value] = code
                    historic.append(code)
                else:
                    reasons[value] = f"expected a known {level} code or name ({_first_line(exc)})"
    if year is not None and level == "buurt":
        known = _historic_buurt_codes()
        for value, code in list(mapping.items()):
            if year not in known.get(code, (year,)):
                span = known[code]
                reasons[value] = (
                    f"expected a buurt code of geography {year}; {code} exists in {span[0]}-{span[-1]}"
                )
                del mapping[value]
    codes = s.map(mapping).astype("str")
    why = s.map(reasons).astype("object")
    return codes, why, historic


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def detect_geography_year(codes: pd.Series) -> int | None:
    """``geo.detect_year`` when the geo module offers it, else None."""
    try:
        geo = _geo()
    except ImportError:  # pragma: no cover
        return None
    fn = getattr(geo, "detect_year", None)
    if fn is None:
        return None
    values = pd.Series(pd.unique(codes.dropna()), dtype="str")
    try:
        year = fn(values)
    except (ValueError, LookupError):
        # Codes from another municipality (e.g. the thehague reference set) fit no Rotterdam year.
        return None
    return None if year is None else int(year)


# --------------------------------------------------------------------------------------------
# Per-file context
# --------------------------------------------------------------------------------------------
class FileContext:
    """One raw file being parsed: typed accessors that record every bad cell in the problem log."""

    def __init__(
        self,
        raw: pd.DataFrame,
        columns: dict[str, str],
        log: wio.ProblemLog,
        *,
        geography_year: int | None = None,
        validate_units: bool = True,
    ) -> None:
        self.raw_frame = raw
        self.columns = columns
        self.log = log
        self.file: str = raw.attrs.get("file", "?")
        self.index = raw.index
        self.geography_year = geography_year
        self.validate_units = validate_units
        self._raw_cache: dict = {}
        #: Buurt codes of an older geography met in this file (kept as written).
        self.historic: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------
    def has(self, col: str) -> bool:
        return col in self.columns

    def header(self, col: str) -> str:
        """Raw header as written in the file (for messages)."""
        return self.columns.get(col, col)

    def raw(self, col: str) -> pd.Series:
        """The raw cells of a canonical column, stripped (``""`` when the column is absent); cached."""
        if col not in self._raw_cache:
            if col not in self.columns:
                s = pd.Series("", index=self.index, dtype=object)
            else:
                s = wio.clean_text(self.raw_frame[self.columns[col]])
            self._raw_cache[col] = s
        return self._raw_cache[col]

    def empty(self, col: str) -> pd.Series:
        """True where the cell of a canonical column is empty (cached)."""
        key = ("empty", col)
        if key not in self._raw_cache:
            self._raw_cache[key] = self.raw(col) == ""
        return self._raw_cache[key]

    def flag(self, mask: pd.Series, col: str, reason: str | pd.Series) -> None:
        self.log.add(self.file, mask, self.header(col), self.raw(col), reason)

    def _required(self, col: str, empty: pd.Series, what: str) -> None:
        self.flag(empty, col, f"expected {what}; the cell is empty")

    # -- typed accessors -------------------------------------------------------------------
    def text(self, col: str, *, required: bool = True) -> pd.Series:
        s = self.raw(col)
        empty = self.empty(col)
        if required:
            self._required(col, empty, "a value")
        return s.where(~empty).astype("str")

    def date(
        self,
        col: str,
        *,
        required: bool = True,
        not_future: bool = True,
        earliest: pd.Timestamp = wio.EARLIEST_DATE,
        today: pd.Timestamp | None = None,
    ) -> pd.Series:
        s = self.raw(col)
        out, bad = wio.parse_dates(s, stripped=True)
        if self.raw_frame.attrs.get("format") == "xlsx" and bad.any():
            # A date cell without date formatting reaches us as Excel's day number (e.g. 44200).
            serial = pd.to_numeric(s.where(bad), errors="coerce")
            is_serial = serial.between(20_000, 80_000) & (serial == serial.round(6))
            if is_serial.any():
                days = pd.to_timedelta(serial[is_serial], unit="D").dt.round("min")
                out.loc[is_serial] = (pd.Timestamp("1899-12-30") + days).astype("datetime64[ns]")
                bad = bad & ~is_serial
        self.flag(bad, col, f"expected {wio.DATE_EXPECTED}")
        if required:
            self._required(col, self.empty(col), "a date")
        early = out < earliest
        self.flag(early, col, f"date before {earliest:%d-%m-%Y} is implausible (typo in the year?)")
        if not_future:
            limit = (today or pd.Timestamp.now()).normalize() + pd.Timedelta(days=1)
            self.flag(out >= limit, col, f"date in the future (after {limit - pd.Timedelta(days=1):%d-%m-%Y})")
        return out

    def number(
        self,
        col: str,
        *,
        required: bool = True,
        integer: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
        what: str | None = None,
    ) -> pd.Series:
        s = self.raw(col)
        out, bad = (wio.parse_int if integer else wio.parse_decimal)(s, stripped=True)
        kind = what or ("a whole number" if integer else "a number (decimal comma or point)")
        self.flag(bad, col, f"expected {kind}")
        if required:
            self._required(col, self.empty(col), kind)
        if minimum is not None:
            low = out < minimum
            self.flag(low, col, f"expected {kind} >= {minimum:g}" + (" (negative count)" if minimum == 0 else ""))
        if maximum is not None:
            self.flag(out > maximum, col, f"expected {kind} <= {maximum:g}")
        return out

    def boolean(self, col: str, *, required: bool = True) -> pd.Series:
        s = self.raw(col)
        out, bad = wio.parse_bool(s, stripped=True)
        self.flag(bad, col, "expected ja or nee")
        if required:
            self._required(col, self.empty(col), "ja or nee")
        return out

    def category(self, col: str, vocabulary: str, *, required: bool = True) -> pd.Series:
        s = self.raw(col)
        lookup = value_lookup(vocabulary)
        out, bad = wio.parse_category(s, lookup, stripped=True)
        allowed = ", ".join(sorted(set(lookup.values())))
        self.flag(bad, col, f"unknown {vocabulary}; expected one of: {allowed}")
        if required:
            self._required(col, self.empty(col), f"one of: {allowed}")
        return out

    def unit(self, col: str, level: str, *, required: bool = True, where: pd.Series | None = None) -> pd.Series:
        """Ward codes/names -> canonical codes via ``wijklib.geo`` (only rows in ``where`` when given).

        With ``validate_units=False`` values are only checked against the code pattern of the level
        (names cannot be resolved without the geography).
        """
        s = self.raw(col)
        if required:
            self._required(col, self.empty(col), f"a {level} code or name")
        if where is not None:
            s = s.where(where, "")
        if self.validate_units is False:
            pattern, what = _UNIT_PATTERNS[level]
            bad = (s != "") & ~s.str.fullmatch(pattern).fillna(False).astype(bool)
            self.flag(bad, col, f"expected {what} (names need validate_units=True)")
            return s.where(s != "").astype("str")
        codes, why, historic = normalize_units(
            s, level, file=self.file, column=self.header(col), year=self.geography_year
        )
        self.flag(why.notna(), col, why)
        self.historic.update(historic)
        return codes.where(s != "")


_UNIT_PATTERNS = {
    "buurt": (r"BU\d{8}", "a CBS buurt code BU + 8 digits"),
    "wijk": (r"BU\d{8}", "a wijk code (BU code of its primary buurt)"),
    "wijkraad": (r"[a-z0-9]+(-[a-z0-9]+)*", "a wijkraad id (lowercase slug such as 'tarwewijk')"),
    "gebied": (r"WK\d{6}", "a CBS wijk code WK + 6 digits"),
}


# --------------------------------------------------------------------------------------------
# Running a loader over files
# --------------------------------------------------------------------------------------------
ParseFn = Callable[[FileContext], pd.DataFrame]


def duplicates(df: pd.DataFrame, key: Sequence[str], log: wio.ProblemLog, *, header: dict[str, str], what: str) -> None:
    """Record every row whose ``key`` occurs more than once (across files), naming the other rows."""
    sub = df.dropna(subset=list(key))
    dup = sub.duplicated(list(key), keep=False)
    if not dup.any():
        return
    d = sub.loc[dup, [*key, FILE, ROW]].copy()
    d["where"] = d[FILE] + " row " + d[ROW].astype("str")
    firsts = d.groupby(list(key), sort=False)["where"].transform(lambda w: ", ".join(w.head(4)))
    col = key[0] if len(key) == 1 else key[-1]
    value = d[key[0]].astype("str") if len(key) == 1 else d[list(key)].astype("str").agg(" | ".join, axis=1)
    log.add_frame(
        pd.DataFrame(
            {
                "file": d[FILE].to_numpy(), "row": d[ROW].to_numpy(), "column": header.get(col, col),
                "value": value.to_numpy(), "reason": ("duplicate " + what + "; occurs in " + firsts).to_numpy(),
            }
        )
    )


def run(
    source: str,
    paths: wio.Paths,
    parse: ParseFn,
    *,
    required: Iterable[str],
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    unique: Sequence[str] | None = None,
    unique_what: str = "id",
    aliases: dict[str, list[str]] | None = None,
    layouts: dict[str, tuple[dict[str, list[str]], ParseFn, list[str]]] | None = None,
    unit_column: str | None = None,
    schema_name: str | None = None,
) -> pd.DataFrame:
    """Read, parse, check and validate every file of one source; see the public loaders."""
    files = wio.resolve_paths(paths)
    log = wio.ProblemLog()
    aliases = aliases if aliases is not None else RAW_HEADERS[source]
    layouts = layouts or {}
    parts: list[pd.DataFrame] = []
    reports: list[dict] = []
    headers: dict[str, str] = {}
    excluded: dict[str, int] = {}
    historic: set[str] = set()
    all_known = [h for a in aliases.values() for h in a] + list(aliases)
    for lay_aliases, _, _ in layouts.values():
        all_known += [h for a in lay_aliases.values() for h in a] + list(lay_aliases)
    names = [p.name for p in files]
    # Files are named by their name in messages; only equal names in different folders need the path.
    clash = len(set(names)) < len(names)
    for path in files:
        raw = wio.read_table(path, known_headers=all_known)
        if clash:
            raw.attrs["file"] = str(path)
        file = raw.attrs["file"]
        use_aliases, use_parse, use_required = aliases, parse, list(required)
        for lay_aliases, lay_parse, lay_required in layouts.values():
            try:
                wio.match_headers(list(raw.columns), lay_aliases, file=file, required=lay_required)
            except wio.DataError:
                continue
            use_aliases, use_parse, use_required = lay_aliases, lay_parse, lay_required
            break
        cols = wio.match_headers(list(raw.columns), use_aliases, file=file, required=use_required)
        if raw.empty:
            raise wio.DataError(
                f"{file}: the file has a header (row {raw.attrs.get('header_row', 1)}) but no data rows"
            )
        headers.update({c: h for c, h in cols.items()})
        ctx = FileContext(raw, cols, log, geography_year=geography_year, validate_units=validate_units)
        out = use_parse(ctx)
        historic |= ctx.historic
        n_in = len(out)
        info = out.attrs.get("excluded", {})
        for k, v in info.items():
            excluded[k] = excluded.get(k, 0) + int(v)
        out = out.assign(**{FILE: file, ROW: out.index.to_numpy(dtype="int64")})
        parts.append(out)
        reports.append(
            {"file": file, "rows": n_in, "format": raw.attrs.get("format"), "encoding": raw.attrs.get("encoding"),
             "sep": raw.attrs.get("sep"), "columns": dict(cols)}
        )
    df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    if unique:
        duplicates(df, unique, log, header=headers, what=unique_what)
    df = log.raise_or_skip(df, lenient=lenient)
    skipped = log.frame().to_dict("records") if log else []
    schema = SCHEMAS[schema_name or source]
    df = _validate(_tighten(df, schema), schema, headers)
    year = geography_year
    if year is None and unit_column is not None and validate_units is not False and unit_column in df:
        year = detect_geography_year(df[unit_column])
    if historic and geography_year is None:
        shown = ", ".join(sorted(historic)[:5])
        warnings.warn(
            f"{source}: {len(historic)} buurt code(s) of an older CBS geography ({shown}) are kept as "
            f"written; geography year detected: {year}. Convert them with "
            f"geo.recode(df, 'buurt_code', from_year=...) before joining with the current geography.",
            UserWarning,
            stacklevel=3,
        )
    out = df.drop(columns=[FILE, ROW]).reset_index(drop=True)
    order = [c for c in schema.columns if c in out.columns]
    out = out[order + [c for c in out.columns if c not in order]]
    for r in reports:
        r["rows_loaded"] = int((df[FILE] == r["file"]).sum())
    out.attrs = {
        "source": source,
        "files": [r["file"] for r in reports],
        "skipped": skipped,
        "geography_year": year,
        "historic_buurt_codes": sorted(historic),
        "report": wio.LoadReport(
            source=source, files=tuple(reports), n_rows=len(out), n_skipped=len({(s["file"], s["row"]) for s in skipped}),
            excluded=excluded, geography_year=year,
        ),
    }
    return out


def _tighten(df: pd.DataFrame, schema) -> pd.DataFrame:
    """Nullable parse results -> the plain dtypes of the schema (bool, int64) once no value is missing.

    Parsers return nullable ``boolean``/``Int64`` so that a bad cell can be NA until its row is
    reported or skipped; after that a complete column can take the schema's plain dtype.
    """
    casts = {}
    for name, col in schema.columns.items():
        if name not in df.columns:
            continue
        want = str(col.dtype)
        if want in ("bool", "int64") and str(df[name].dtype) != want and df[name].notna().all():
            casts[name] = want
    return df.astype(casts) if casts else df


def _validate(df: pd.DataFrame, schema, headers: dict[str, str]) -> pd.DataFrame:
    """pandera check of the canonical table; failures become a DataError naming file and row."""
    try:
        return schema.validate(df, lazy=True)
    except pae.SchemaErrors as exc:
        fc = exc.failure_cases
        lines = []
        for r in fc.head(wio.MAX_SHOWN).itertuples(index=False):
            idx = getattr(r, "index", None)
            where = ""
            if idx is not None and not (isinstance(idx, float) and np.isnan(idx)) and idx in df.index:
                where = f"{df.at[idx, FILE]} row {df.at[idx, ROW]}, "
            col = getattr(r, "column", None)
            lines.append(
                f"  - {where}column '{headers.get(col, col)}' ({col}): found '{r.failure_case}'; failed check {r.check}"
            )
        more = f"\n  ... and {len(fc) - wio.MAX_SHOWN} more" if len(fc) > wio.MAX_SHOWN else ""
        raise wio.DataError(
            f"{schema.name}: the loaded table does not meet its schema ({len(fc)} failures):\n" + "\n".join(lines) + more
        ) from exc
