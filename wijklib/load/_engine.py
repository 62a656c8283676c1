"""Shared machinery of the loaders: per-file parsing context, ward-code adapter, validation."""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

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
        # Codes of another municipality than the active geography fit none of its years.
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
        period: object = None,
        decimal: str | Mapping[str, str] | None = None,
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
        #: The period the dates must lie in: declared by the caller (``period=``), else claimed by the
        #: file name (``meldingen_2025.csv``), else None (then only plausibility checks apply).
        self.period = wio.as_period(period)
        if self.period is not None:
            self.period_why = "the period declared for this source (period=...)"
        else:
            self.period = wio.period_from_name(Path(self.file).name)
            self.period_why = f"the period in the file name '{Path(self.file).name}'"
        self.period_text = None if self.period is None else (
            f"{self.period[0]:%d-%m-%Y} to {self.period[1] - pd.Timedelta(days=1):%d-%m-%Y} ({self.period_why})"
        )
        #: Declared number format: one decimal mark for the layout, or per canonical column.
        self.decimal = decimal
        #: Number format decided per column (raw header -> description with its evidence).
        self.number_formats: dict[str, str] = {}

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
        period: str | None = "within",
        tolerance_days: int = 0,
    ) -> pd.Series:
        """Dates of a canonical column, checked for form, plausibility and the file's period.

        ``period``: ``"within"`` (event dates: every date in the period of the file), ``"after"``
        (e.g. a closing date: not before the period starts; may lie after it) or None (designations
        and plans, only the plausible bounds). ``tolerance_days`` widens the period at its start
        (a week that starts on 29-12 belongs to the next year's first week).
        """
        s = self.raw(col)
        out, bad, two = wio.parse_dates_detail(s, stripped=True)
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
        flagged = bad.copy()
        if two.any():
            out, refused = self._two_digit_years(out, two, col)
            flagged |= refused
        early = (out < earliest) & ~flagged
        self.flag(early, col, f"date before {earliest:%d-%m-%Y} is implausible (typo in the year?)")
        flagged |= early
        if not_future:
            limit = (today or pd.Timestamp.now()).normalize() + pd.Timedelta(days=1)
            future = (out >= limit) & ~flagged
            self.flag(future, col, f"date in the future (after {limit - pd.Timedelta(days=1):%d-%m-%Y})")
            flagged |= future
        if period is not None:
            self.check_period(out.where(~flagged), col, how=period, tolerance_days=tolerance_days)
        return out

    def check_period(self, dates: pd.Series, col: str, *, how: str = "within", tolerance_days: int = 0) -> None:
        """Flag dates outside the file's period (declared or in its name); without one, isolated outliers."""
        if self.period is not None:
            lo, hi = self.period
            lo_t = lo - pd.Timedelta(days=tolerance_days)
            outside = dates < lo_t
            if how == "within":
                outside |= dates >= hi
            expected = f"expected a date from {lo_t:%d-%m-%Y}" + (
                f" to {hi - pd.Timedelta(days=1):%d-%m-%Y}" if how == "within" else " on")
            self.flag(outside.fillna(False), col,
                      f"date outside {self.period_why}; {expected} (pass period=... if the file covers more)")
            return
        if how != "within":
            return
        # No declared period: a date years away from all the others (1999 in a file of 2025) is a typo.
        years = dates.dt.year.dropna().astype(int)
        if len(years) < 3:
            return
        counts = years.value_counts().sort_index()
        ys = counts.index.to_numpy()
        breaks = np.flatnonzero(np.diff(ys) > 2)
        if not len(breaks):
            return
        groups = np.split(np.arange(len(ys)), breaks + 1)
        sizes = [int(counts.iloc[g].sum()) for g in groups]
        main = int(np.argmax(sizes))
        span = f"{ys[groups[main][0]]}-{ys[groups[main][-1]]}"
        for gi, g in enumerate(groups):
            if gi == main:
                continue
            gap = min(abs(int(ys[g[0]]) - int(ys[groups[main][-1]])), abs(int(ys[groups[main][0]]) - int(ys[g[-1]])))
            if sizes[gi] <= 0.02 * len(years) or (gap >= 10 and sizes[gi] < 0.1 * len(years)):
                mask = dates.dt.year.isin(ys[g].tolist())
                self.flag(mask, col, f"date {gap} years away from every other date in this column (they lie in "
                          f"{span}): a typo in the year? If it is right, pass period=... to the loader")

    def _two_digit_years(self, out: pd.Series, two: pd.Series, col: str) -> tuple[pd.Series, pd.Series]:
        """Place two-digit years in a century only with evidence (the period, or the column's 4-digit years)."""
        refused = pd.Series(False, index=out.index)
        if self.period is not None:
            lo, hi = self.period
            for century_shift in (0, -100, 100):
                cand = out[two] + pd.DateOffset(years=century_shift) if century_shift else out[two]
                fits = (cand >= lo - pd.Timedelta(days=7)) & (cand < hi)
                out.loc[fits[fits].index] = cand[fits]
                two = two & ~fits.reindex(two.index, fill_value=False)
            # Left over: no century puts them in the period; check_period names them.
            return out, refused
        four = out[~two].dropna()
        if len(four):
            lo, hi = four.min() - pd.DateOffset(years=1), four.max() + pd.DateOffset(years=1)
            fits = two & (out >= lo) & (out <= hi)
            bad = two & ~fits
            read_as = out.dt.year.astype("Int64").astype("str")
            self.flag(bad, col, "two-digit year read as " + read_as + f", outside the years of the other dates in "
                      f"this column ({four.min():%Y}-{four.max():%Y}); write the year in four digits (dd-mm-jjjj) "
                      "or pass period=... to the loader")
            return out, bad
        self.flag(two, col, "two-digit year: the century cannot be told without evidence; write the year in "
                  "four digits (dd-mm-jjjj) or pass period=... to the loader")
        return out, two.copy()

    def number(
        self,
        col: str,
        *,
        required: bool = True,
        integer: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
        what: str | None = None,
        raw: pd.Series | None = None,
    ) -> pd.Series:
        """Numbers of a canonical column; the column's decimal convention is decided from all its values
        (or declared for the layout, ``decimal=``), see :func:`wijklib.io.parse_number`."""
        s = self.raw(col) if raw is None else raw
        header = self.columns.get(col)
        typed_rows = self.raw_frame.attrs.get("typed_numbers", {}).get(header) if header else None
        typed = pd.Series(self.index.isin(list(typed_rows)), index=self.index) if typed_rows else None
        decimal = self.decimal.get(col) if isinstance(self.decimal, Mapping) else self.decimal
        res = wio.parse_number(s, integer=integer, decimal=decimal, typed=typed, stripped=True)
        if header:
            self.number_formats[header] = res.format
        kind = what or ("a whole number" if integer else "a number (decimal comma or point)")
        out, bad = res.values, res.bad
        self.flag(bad, col, res.reasons.where(res.reasons.notna(), f"expected {kind}"))
        if integer:
            frac = out.notna() & (out != np.round(out))
            self.flag(frac, col, f"expected {kind}; found a fraction")
            out = out.where(~(bad | frac)).astype("Int64")
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
    "wijk": (r"WK\d{6}|BU\d{8}", "a CBS wijk code WK + 6 digits (the demo keys its wijken by a BU code)"),
    "wijkraad": (r"[A-Za-z0-9]+([._-][A-Za-z0-9]+)*",
                 "a report unit id (one token: a slug such as 'tarwewijk' or a code such as 'WK051802')"),
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
    layouts: dict[str, tuple] | None = None,
    unit_column: str | None = None,
    schema_name: str | None = None,
    period: object = None,
    decimal: str | Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read, parse, check and validate every file of one source; see the public loaders.

    ``period`` (a year, ``"2024-2025"``, or ``(start, end)``) is the period the files cover; without
    it a period in a file's name (``meldingen_2025.csv``) is used. ``decimal`` declares the number
    format (``","`` or ``"."``, or per canonical column); a layout in ``layouts`` may declare its own
    as a fourth element ``{"decimal": ...}``.
    """
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
    for lay_aliases, *_ in layouts.values():
        all_known += [h for a in lay_aliases.values() for h in a] + list(lay_aliases)
    names = [p.name for p in files]
    clash = len(set(names)) < len(names)
    for path in files:
        # Files are named by their name in messages; only equal names in different folders need the path.
        raw = wio.read_table(path, known_headers=all_known, ragged="report", file=str(path) if clash else None,
                             compact=True, columns=all_known)
        found = raw.attrs.get("all_columns") or list(raw.columns)
        file = raw.attrs["file"]
        use_aliases, use_parse, use_required, use_decimal = aliases, parse, list(required), decimal
        for lay_aliases, lay_parse, lay_required, *lay_opts in layouts.values():
            try:
                wio.match_headers(found, lay_aliases, file=file, required=lay_required)
            except wio.DataError:
                continue
            use_aliases, use_parse, use_required = lay_aliases, lay_parse, lay_required
            if decimal is None and lay_opts:
                use_decimal = lay_opts[0].get("decimal")
            break
        cols = wio.match_headers(found, use_aliases, file=file, required=use_required)
        if raw.empty:
            raise wio.DataError(
                f"{file}: the file has a header (row {raw.attrs.get('header_row', 1)}) but no data rows"
            )
        headers.update({c: h for c, h in cols.items()})
        ctx = FileContext(raw, cols, log, geography_year=geography_year, validate_units=validate_units,
                          period=period, decimal=use_decimal)
        out = use_parse(ctx)
        if raw.attrs.get("ragged"):
            # Short and long rows are bad rows like any other: reported (or skipped when lenient) by row.
            # Their cells are shifted, so the cell-level problems they cause would only mislead.
            ragged = pd.DataFrame(raw.attrs["ragged"])
            log.discard(file, ragged["row"])
            log.add_frame(ragged)
        historic |= ctx.historic
        n_in = len(out)
        info = out.attrs.get("excluded", {})
        for k, v in info.items():
            excluded[k] = excluded.get(k, 0) + int(v)
        # In place: a copy of a million-row table is what the memory budget cannot afford.
        out[FILE] = file
        out[ROW] = out.index.to_numpy(dtype="int64")
        parts.append(out)
        reports.append(
            {"file": file, "rows": n_in, "format": raw.attrs.get("format"), "encoding": raw.attrs.get("encoding"),
             "encoding_reason": raw.attrs.get("encoding_reason"), "detected": raw.attrs.get("detected"),
             "sheet": raw.attrs.get("sheet"), "sep": raw.attrs.get("sep"), "columns": dict(cols),
             "number_formats": dict(ctx.number_formats), "period": ctx.period_text}
        )
        # The raw strings are no longer needed: free them before the next file and the validation.
        del raw, ctx, out
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
