"""Reading messy municipal exports: encodings, separators, headers, Dutch dates and decimal commas.

Everything here is source-agnostic; :mod:`wijklib.load` builds the per-source loaders on top of it.

* :func:`read_table` reads a ``.csv`` / ``.txt`` / ``.csv.gz`` / ``.xlsx`` file into a DataFrame of
  **strings** whose index is the row number a spreadsheet user sees (header = row 1). Encoding is
  detected (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252), the separator is sniffed
  from the header line (``;`` ``,`` tab ``|``) and title lines above the header are skipped.
* ``parse_*`` functions turn string Series into typed Series, vectorised, and return a mask of the
  values they could not read, so a loader can report *every* bad cell rather than the first.
* :class:`ProblemLog` collects bad cells (file, row, column, value, reason); :meth:`ProblemLog.raise_or_skip`
  raises :class:`DataError` or, when lenient, drops those rows and warns.

Examples
--------
>>> import pandas as pd
>>> from wijklib import io as wio
>>> dates, bad = wio.parse_dates(pd.Series(["05-03-2021 14:07", "2021-03-05", "31-02-2021"]))
>>> [str(d) for d in dates]
['2021-03-05 14:07:00', '2021-03-05 00:00:00', 'NaT']
>>> bad.tolist()
[False, False, True]
>>> wio.parse_decimal(pd.Series(["1.234,5", "92345,67", "12.5"]))[0].tolist()
[1234.5, 92345.67, 12.5]
"""

from __future__ import annotations

import csv
import datetime as dt
import glob
import gzip
import io as _io
import re
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wijklib.schemas import FALSE_VALUES, TRUE_VALUES, normalize_header, normalize_value

PathLike = str | Path
Paths = PathLike | Sequence[PathLike]

#: Date formats tried in this order (Dutch day-first first; ISO as written by Excel/other tools).
DATE_FORMATS: tuple[str, ...] = (
    "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d-%m-%Y %H:%M:%S",
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
    "%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y", "%d.%m.%Y %H:%M",
    "%d-%m-%y", "%d-%m-%y %H:%M", "%d/%m/%y",
)
DATE_EXPECTED = "a date dd-mm-jjjj (optionally HH:MM), dd-mm-jj or jjjj-mm-dd"
SEPARATORS: tuple[str, ...] = (";", ",", "\t", "|")
#: Number of problems spelled out in an error message before "... and N more".
MAX_SHOWN = 5
#: Dates before this are treated as typos (e.g. a two-digit year read as 19xx or 00xx).
EARLIEST_DATE = pd.Timestamp("1990-01-01")


class DataError(ValueError):
    """A data file does not have the expected form.

    The message names the file, the 1-based row as a spreadsheet shows it (header = row 1), the
    column, the value found and what was expected. ``problems`` holds every bad cell as a
    DataFrame (``file, row, column, value, reason``) when the error is about cells.

    Examples
    --------
    >>> err = DataError("x.csv: empty file")
    >>> isinstance(err, ValueError), err.problems.empty
    (True, True)
    """

    def __init__(self, message: str, problems: pd.DataFrame | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else pd.DataFrame(columns=PROBLEM_COLUMNS)


PROBLEM_COLUMNS = ["file", "row", "column", "value", "reason"]


# --------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------
def resolve_paths(paths: Paths) -> list[Path]:
    """One path, several paths or glob patterns -> sorted list of existing files.

    Raises :class:`DataError` when a path does not exist or a pattern matches nothing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for y in (2018, 2017):
    ...     _ = (d / f"meldingen_{y}.csv").write_text("a;b\\n1;2\\n")
    >>> [p.name for p in resolve_paths(str(d / "meldingen_*.csv"))]
    ['meldingen_2017.csv', 'meldingen_2018.csv']
    """
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not items:
        raise DataError("no input files given (expected a path, a list of paths or a glob pattern)")
    out: list[Path] = []
    for item in items:
        text = str(item)
        if any(ch in text for ch in "*?[") and not Path(text).exists():
            matches = sorted(glob.glob(text))
            if not matches:
                raise DataError(f"no files match the pattern '{text}'")
            out.extend(Path(m) for m in matches)
            continue
        p = Path(text)
        if not p.exists():
            raise DataError(f"file '{p}' does not exist")
        if p.is_dir():
            raise DataError(f"'{p}' is a folder; pass the files (or a pattern such as '{p}/*.csv')")
        out.append(p)
    return out


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------
def detect_encoding(data: bytes) -> str:
    """Encoding of an export: ``utf-16`` (BOM), ``utf-8-sig`` when the bytes are valid UTF-8, else ``cp1252``.

    Windows-1252 decodes almost any byte string, so it is the fall-back, never the first guess.

    Examples
    --------
    >>> detect_encoding("Coördinaat".encode("utf-8")), detect_encoding("Coördinaat".encode("cp1252"))
    ('utf-8-sig', 'cp1252')
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "cp1252"


def _decode(data: bytes, file: str) -> tuple[str, str]:
    """(encoding, text): UTF-16 with BOM, else UTF-8 (BOM stripped), else Windows-1252 — decoding once."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", data.decode("utf-16")
    try:
        return "utf-8-sig", data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return "cp1252", data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{file}: text is neither UTF-8 nor Windows-1252 (undecodable byte at position {exc.start}); "
            "save the export as CSV UTF-8"
        ) from exc


def _header_score(fields: Sequence[str], known: set[str]) -> int:
    return sum(1 for f in fields if normalize_header(f) in known)


def _split(line: str, sep: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=sep))
    except (csv.Error, StopIteration):
        return [line]


def sniff_layout(lines: Sequence[str], known_headers: Iterable[str] = ()) -> tuple[int, str]:
    """Find the header line and separator of a delimited text export.

    Looks at the first lines (title lines above the header are common in exports) and picks the
    (line, separator) whose fields match the most known headers; without known headers, the first
    non-empty line and the separator that splits it into the most fields.

    Returns
    -------
    (index of the header line, separator)

    Examples
    --------
    >>> sniff_layout(["Export meldingen 2021", "", "Kanaal;Status", "MeldR;open"], ["kanaal", "status"])
    (2, ';')
    >>> sniff_layout(["a,b,c;d", "1,2,3;4"])
    (0, ',')
    """
    known = {normalize_header(h) for h in known_headers}
    best: tuple[int, int, int, str] | None = None  # (score, n_fields, -line, sep)
    first_nonempty = None
    for i, line in enumerate(lines[:25]):
        if not line.strip():
            continue
        if first_nonempty is None:
            first_nonempty = i
        for sep in SEPARATORS:
            fields = _split(line, sep)
            score = _header_score(fields, known) if known else 0
            cand = (score, len(fields), -i, sep)
            if known and score == 0:
                continue
            if best is None or cand[:2] > best[:2]:
                best = cand
        if not known:
            break
    if best is None:
        # No line matched any known header: read the first line anyway, so that the missing-column
        # error can list what the file does hold.
        i = first_nonempty or 0
        line = lines[i] if lines else ""
        sep = max(SEPARATORS, key=lambda s: len(_split(line, s)))
        return i, sep
    return -best[2], best[3]


def _cell_to_str(value: object) -> str:
    """Excel cell -> the string a CSV export would have held (dates ISO, whole floats without '.0')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time(0) else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _xlsx_header_row(rows: Sequence[Sequence[str]], known: set[str]) -> tuple[int, int]:
    """(index of the row among the first 25 that matches most known headers, its score)."""
    best, best_score, first = None, 0, None
    for i, row in enumerate(rows[:25]):
        if not any(c.strip() for c in row):
            continue
        first = i if first is None else first
        score = _header_score(row, known)
        if score > best_score:
            best, best_score = i, score
    if best is None:
        return (first or 0), 0
    return best, best_score


def _read_xlsx(path: Path, known_headers: Iterable[str], sheet: str | int | None) -> pd.DataFrame:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path.name}: cannot be opened as an .xlsx workbook ({exc})") from exc
    try:
        if sheet is not None:
            try:
                sheets = [wb[sheet] if isinstance(sheet, str) else wb.worksheets[sheet]]
            except (KeyError, IndexError) as exc:
                raise DataError(f"{path.name}: no sheet {sheet!r}; sheets found: {wb.sheetnames}") from exc
        else:
            sheets = list(wb.worksheets)
        known = {normalize_header(h) for h in known_headers}
        chosen = None
        for ws in sheets:
            rows = [tuple(_cell_to_str(v) for v in r) for r in ws.iter_rows(min_row=1, values_only=True)]
            hdr, score = _xlsx_header_row(rows, known)
            if chosen is None or score > chosen[0]:
                chosen = (score, ws.title, rows, hdr)
            if known and score == len(known):
                break
    finally:
        wb.close()
    _, title, rows, hdr = chosen
    if not rows or not any(c.strip() for c in rows[hdr]):
        raise DataError(f"{path.name} (sheet '{title}'): empty sheet, no header row found")
    header = [c.strip() for c in rows[hdr]]
    # Trailing unnamed columns are formatting leftovers; keep named columns only.
    width = max((i + 1 for i, c in enumerate(header) if c), default=0)
    body = [list(r[:width]) + [""] * (width - len(r)) for r in rows[hdr + 1:]]
    df = pd.DataFrame(body, columns=header[:width], dtype=str)
    df.index = pd.RangeIndex(hdr + 2, hdr + 2 + len(df), name="row")
    df.attrs.update(file=path.name, path=str(path), format="xlsx", sheet=title, header_row=hdr + 1)
    return df


def _check_separator_consistency(df: pd.DataFrame, sep: str, file: str) -> None:
    """Header split by one separator, data rows by another: every row lands in the first column."""
    if df.shape[1] < 2 or df.empty:
        return
    head = df.head(50)
    first = head.iloc[:, 0].astype("str")
    rest_empty = (head.iloc[:, 1:] == "").all(axis=1)
    for other in SEPARATORS:
        if other == sep:
            continue
        packed = rest_empty & (first.str.count(re.escape(other)) >= df.shape[1] - 1)
        if packed.sum() >= max(1, 0.8 * len(head)):
            row = packed.idxmax()
            raise DataError(
                f"{file}: the header is separated by {sep!r} but the data rows by {other!r} "
                f"(row {row}, column '{df.columns[0]}': found '{_short(first[row], 60)}'); "
                "save the file again with one separator"
            )


def read_table(
    path: PathLike,
    *,
    known_headers: Iterable[str] = (),
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read one export into a DataFrame of strings indexed by spreadsheet row number.

    Parameters
    ----------
    path
        ``.csv``/``.txt``/``.tsv`` (optionally ``.gz``) or ``.xlsx``.
    known_headers
        Headers the file may hold; used to find the header line and the separator.
    sheet
        Worksheet name or position for ``.xlsx`` (default: the sheet whose header matches best).

    Returns
    -------
    DataFrame with every cell as ``str`` (empty cell = ``""``), index ``row`` = the row number as a
    spreadsheet shows it (header = row 1 unless title lines precede it), fully empty rows removed.
    ``attrs`` hold ``file``, ``format``, ``encoding``, ``sep``, ``header_row``.

    Raises
    ------
    DataError
        Empty file, no header, binary content or rows that do not split into the header's columns.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.csv"
    >>> _ = p.write_bytes("Wijk;Score\\nBloemhof één;91,5\\n".encode("cp1252"))
    >>> df = read_table(p, known_headers=["Wijk", "Score"])
    >>> df.attrs["encoding"], df.attrs["sep"], df.loc[2, "Score"]
    ('cp1252', ';', '91,5')
    """
    path = Path(path)
    known_headers = list(known_headers)
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path.name}: not a valid gzip file ({exc})") from exc
    if path.suffix.lower() in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        return _read_xlsx(path, known_headers, sheet)
    if path.suffix.lower() == ".xls":
        raise DataError(f"{path.name}: old .xls workbooks are not supported; save it as .xlsx or .csv")
    if not data.strip():
        raise DataError(f"{path.name}: empty file (0 data bytes); expected a header row and data rows")
    encoding, text = _decode(data, path.name)
    if "\x00" in text[:10000]:
        raise DataError(f"{path.name}: binary content, not a text export (NUL bytes found)")
    # Only the top of the file is needed to find the header and the separator.
    lines = text[:200_000].splitlines()[:25]
    hdr, sep = sniff_layout(lines, known_headers)
    try:
        df = pd.read_csv(
            _io.StringIO(text), sep=sep, dtype=object, keep_default_na=False, na_filter=False,
            skip_blank_lines=False, skiprows=hdr, header=None, engine="c", quotechar='"',
        )
        # The header is read as a data row on purpose: with header=0 pandas silently turns the first
        # column into an index when the first data row has one field too many (a stray separator),
        # shifting every value one column to the left. As a data row it fixes the field count instead.
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path.name}: empty file, no header row found") from exc
    except pd.errors.ParserError as exc:
        raise DataError(
            f"{path.name}: rows do not split into the header's columns with separator {sep!r} "
            f"({exc}; line numbers count from the header line {hdr + 1}). Is the separator mixed, "
            "or is a text field with that separator not quoted?"
        ) from exc
    if df.empty:
        raise DataError(f"{path.name}: empty file, no header row found")
    df.columns = [str(c).strip() for c in df.iloc[0]]
    df = df.iloc[1:]
    df.index = pd.RangeIndex(hdr + 2, hdr + 2 + len(df), name="row")
    _check_separator_consistency(df, sep, path.name)
    # Completely empty lines (often at the end of an export) are no data, so dropping them loses nothing.
    if len(df.columns) and len(df):
        # Check the first column everywhere and the other columns only where it is empty.
        maybe = (df.iloc[:, 0] == "").to_numpy()
        if maybe.any():
            blank = np.zeros(len(df), dtype=bool)
            blank[maybe] = (df.iloc[maybe] == "").all(axis=1).to_numpy()
            if blank.any():
                df = df.loc[~blank]
    df.attrs.update(file=path.name, path=str(path), format="csv", encoding=encoding, sep=sep, header_row=hdr + 1)
    return df


def match_headers(
    columns: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
    *,
    file: str,
    required: Iterable[str],
    extra_hint: str = "",
) -> dict[str, str]:
    """Map canonical column names to the raw headers of one file.

    Every canonical name is accepted as its own alias. Raises :class:`DataError` listing the columns
    found when a required column is missing, or when two raw columns claim one canonical column.

    Examples
    --------
    >>> match_headers(["Wijkraad", "Startdatum", "Uren per week"],
    ...               {"wijkraad_id": ["Wijkraad"], "start": ["Startdatum"], "uren_per_week": ["Uren per week"]},
    ...               file="x.csv", required=["wijkraad_id", "start"])
    {'wijkraad_id': 'Wijkraad', 'start': 'Startdatum', 'uren_per_week': 'Uren per week'}
    """
    by_key: dict[str, str] = {}
    for canonical, names in aliases.items():
        for name in [canonical, *names]:
            by_key.setdefault(normalize_header(name), canonical)
    found: dict[str, str] = {}
    for col in columns:
        canonical = by_key.get(normalize_header(col))
        if canonical is None:
            continue
        if canonical in found:
            raise DataError(
                f"{file}: columns '{found[canonical]}' and '{col}' both mean '{canonical}'; keep one of them"
            )
        found[canonical] = col
    missing = [c for c in required if c not in found]
    if missing:
        wanted = ", ".join(f"'{aliases[c][0]}' ({c})" if aliases.get(c) else f"'{c}'" for c in missing)
        listed = ", ".join(f"'{c}'" for c in columns) or "(none)"
        hint = ""
        if len(columns) == 1 and any(s in str(columns[0]) for s in SEPARATORS):
            hint = " The whole header landed in one column: the separator was not recognised."
        raise DataError(
            f"{file}: required column(s) missing: {wanted}. Columns found: {listed}.{hint}{extra_hint}"
        )
    return {c: found[c] for c in aliases if c in found}


# --------------------------------------------------------------------------------------------
# Vectorised parsers: (parsed values, mask of non-empty values that could not be read)
# --------------------------------------------------------------------------------------------
def map_unique(raw: pd.Series, fn) -> pd.Series | tuple[pd.Series, ...]:
    """Apply a vectorised ``fn`` to the distinct values of ``raw`` only and broadcast the result(s) back.

    Exports repeat values (dates, codes, counts): on 500k rows there are rarely more than a few
    thousand distinct ones, so parsing the distinct values is what keeps loaders fast.

    Examples
    --------
    >>> map_unique(pd.Series([" a", "b", " a"]), lambda s: s.str.strip()).tolist()
    ['a', 'b', 'a']
    """
    # Mostly distinct columns (ids, timestamps, coordinates) gain nothing from factorising; a sample
    # of the first values tells them apart cheaply.
    head = raw.iloc[:2000]
    if len(raw) > 4000 and head.nunique() > 0.5 * len(head):
        return fn(raw)
    codes, uniques = pd.factorize(raw, use_na_sentinel=False)
    if len(uniques) > 0.5 * len(raw):
        return fn(raw)
    u = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    res = fn(u)

    def back(r: pd.Series) -> pd.Series:
        return r.take(codes).set_axis(raw.index)

    if isinstance(res, tuple):
        return tuple(back(r) for r in res)
    return back(res)


# Whitespace that pads cells in exports (line breaks only occur inside quoted text, where they are
# content); substring search (C speed) beats a regex over a joined column.
_SPACES = (" ", "\t", "\u00a0")


def clean_text(raw: pd.Series) -> pd.Series:
    """Stripped cells as an object Series ('' for missing).

    Clean exports rarely pad values, so one search over the joined column (C speed) decides whether
    stripping is needed at all; columns with one distinct value per row (ids, timestamps, x/y) then
    cost next to nothing.

    Examples
    --------
    >>> clean_text(pd.Series([" a ", None])).tolist()
    ['a', '']
    """
    arr = raw.to_numpy(dtype=object, na_value="")
    try:
        joined = "\x1f".join(arr)
    except TypeError:  # non-string cells (e.g. numbers in a hand-made Series)
        joined = None
    if joined is not None and not (
        any(w + "\x1f" in joined or "\x1f" + w in joined for w in _SPACES)
        or joined[:1].isspace() or joined[-1:].isspace()
    ):
        return pd.Series(arr, index=raw.index, dtype=object)
    return pd.Series([v.strip() if isinstance(v, str) else str(v).strip() for v in arr], index=raw.index, dtype=object)


def parse_dates(
    raw: pd.Series, formats: Sequence[str] = DATE_FORMATS, *, stripped: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Parse Dutch and ISO dates (with or without time), vectorised: one format at a time.

    Returns ``(datetime64[ns] Series, bad)``; empty cells are NaT and not bad.

    Examples
    --------
    >>> d, bad = parse_dates(pd.Series(["01-02-17", "", "1-2-2017 9:05", "gisteren"]))
    >>> [str(x) for x in d], bad.tolist()
    (['2017-02-01 00:00:00', 'NaT', '2017-02-01 09:05:00', 'NaT'], [False, False, False, True])
    """
    if len(raw) > 64:
        return map_unique(raw, lambda u: _parse_dates(u, formats))
    return _parse_dates(raw, formats)


_DMY_LAYOUTS = {16: "dd-mm-yyyy HH:MM", 10: "dd-mm-yyyy"}


def _fast_dmy(values: np.ndarray) -> np.ndarray:
    """``dd-mm-jjjj[ HH:MM]`` (zero-padded, the export format) read by digit arithmetic on a fixed-width array.

    ``pd.to_datetime(format=...)`` costs ~5 µs a value; meldingen timestamps are nearly all
    distinct, so on 500k rows this fast path is what keeps a load within seconds. Values that do not
    fit the layout exactly come back NaT and go through the general format cascade.
    """
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
    for width in _DMY_LAYOUTS:
        idx = np.flatnonzero(lengths == width)
        if not len(idx):
            continue
        a = np.array(values[idx].tolist(), dtype=f"U{width}").view(np.int32).reshape(-1, width) - ord("0")
        digits = [0, 1, 3, 4, 6, 7, 8, 9] + ([11, 12, 14, 15] if width == 16 else [])
        # As unsigned, characters below '0' wrap to huge numbers: one comparison checks 0-9.
        ok = (a[:, digits].astype(np.uint32) <= 9).all(axis=1)
        ok &= (a[:, 2] == ord("-") - ord("0")) & (a[:, 5] == ord("-") - ord("0"))
        if width == 16:
            ok &= (a[:, 10] == ord(" ") - ord("0")) & (a[:, 13] == ord(":") - ord("0"))
        day = a[:, 0] * 10 + a[:, 1]
        month = a[:, 3] * 10 + a[:, 4]
        year = a[:, 6] * 1000 + a[:, 7] * 100 + a[:, 8] * 10 + a[:, 9]
        hour = a[:, 11] * 10 + a[:, 12] if width == 16 else np.zeros_like(day)
        minute = a[:, 14] * 10 + a[:, 15] if width == 16 else np.zeros_like(day)
        ok &= (month >= 1) & (month <= 12) & (day >= 1) & (hour < 24) & (minute < 60)
        ok &= day <= _days_in_month(year, month)
        sel = idx[ok]
        if not len(sel):
            continue
        months = (year[ok] - 1970) * 12 + (month[ok] - 1)
        stamp = months.astype("datetime64[M]").astype("datetime64[D]") + (day[ok] - 1).astype("timedelta64[D]")
        out[sel] = (
            stamp.astype("datetime64[ns]")
            + hour[ok].astype("timedelta64[h]")
            + minute[ok].astype("timedelta64[m]")
        )
    return out


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    m = np.clip(month, 1, 12)
    first = ((year - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    return ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)


def _parse_dates(raw: pd.Series, formats: Sequence[str]) -> tuple[pd.Series, pd.Series]:
    s = clean_text(raw)
    values = s.to_numpy(dtype=object)
    fast = _fast_dmy(values)
    out = pd.Series(fast, index=s.index, dtype="datetime64[ns]")
    todo = pd.Series((values != "") & np.isnat(fast), index=s.index)
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        if ok.any():
            out.loc[ok[ok].index] = parsed[ok].astype("datetime64[ns]")
            todo.loc[ok[ok].index] = False
    return out, todo


def parse_decimal(raw: pd.Series, *, stripped: bool = False) -> tuple[pd.Series, pd.Series]:
    """Numbers with a decimal comma or point, Dutch thousands dots allowed when a comma is present.

    ``"1.234,5"`` -> 1234.5; ``"92345,67"`` -> 92345.67; ``"12.5"`` -> 12.5 (a lone point is a
    decimal point, as Excel writes it). Spaces inside numbers are ignored. Empty cells -> NaN, not bad.

    Examples
    --------
    >>> parse_decimal(pd.Series(["3,5", "", "twee"]))[1].tolist()
    [False, False, True]
    """
    raw = raw if stripped else clean_text(raw)
    if len(raw) > 64:
        return map_unique(raw, _parse_decimal)
    return _parse_decimal(raw)


def _decimal_text(v: str) -> str | None:
    if not v:
        return None
    if " " in v or "\u00a0" in v:
        v = v.replace(" ", "").replace("\u00a0", "")
    if "," in v:
        v = v.replace(".", "").replace(",", ".")
    return v


def _parse_decimal(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    values = s.to_numpy(dtype=object)
    joined = "\x1f".join(values)
    if "." not in joined and " " not in joined and "\u00a0" not in joined:
        # Only decimal commas (the usual Dutch export): one replace over the whole column.
        parts = joined.replace(",", ".").split("\x1f") if len(values) else []
        text = pd.Series([p or None for p in parts], index=s.index, dtype=object)
    else:
        text = pd.Series([_decimal_text(v) for v in values], index=s.index, dtype=object)
    num = pd.to_numeric(text, errors="coerce").astype("float64")
    # 'inf'/'nan' are words to pandas, not numbers in an export.
    num = num.where(np.isfinite(num))
    bad = num.isna() & text.notna()
    return num, bad


def parse_int(raw: pd.Series, *, stripped: bool = False) -> tuple[pd.Series, pd.Series]:
    """Whole numbers (``"12"``, ``"12,0"``) -> nullable ``Int64``; fractions and text are bad.

    Examples
    --------
    >>> v, bad = parse_int(pd.Series(["12", "3,5", "", "7.0"]))
    >>> v.tolist(), bad.tolist()
    ([12, <NA>, <NA>, 7], [False, True, False, False])
    """
    num, bad = parse_decimal(raw, stripped=stripped)
    frac = num.notna() & (num != np.round(num))
    bad = bad | frac
    out = num.where(~bad).astype("Int64")
    return out, bad


def parse_bool(raw: pd.Series, *, stripped: bool = False) -> tuple[pd.Series, pd.Series]:
    """``ja``/``nee`` (also j/n, yes/no, true/false, 1/0, waar/onwaar) -> nullable boolean.

    Examples
    --------
    >>> v, bad = parse_bool(pd.Series(["Ja", "nee", "misschien", ""]))
    >>> v.tolist(), bad.tolist()
    ([True, False, <NA>, <NA>], [False, False, True, False])
    """
    raw = raw if stripped else clean_text(raw)
    if len(raw) > 64:
        return map_unique(raw, _parse_bool)
    return _parse_bool(raw)


def _parse_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    s = s.str.lower()
    table = {v: True for v in TRUE_VALUES} | {v: False for v in FALSE_VALUES}
    out = s.map(table).astype("boolean")
    bad = out.isna() & (s != "")
    return out, bad


def parse_category(
    raw: pd.Series, lookup: Mapping[str, str], *, stripped: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Map raw spellings to canonical values via a normalised lookup (see ``schemas.value_lookup``).

    Examples
    --------
    >>> from wijklib.schemas import value_lookup
    >>> parse_category(pd.Series(["Daling", "stijging", "gelijk"]), value_lookup("richting"))[0].tolist()
    ['omlaag', 'omhoog', nan]
    """
    raw = raw if stripped else clean_text(raw)
    if len(raw) > 64:
        return map_unique(raw, lambda u: _parse_category(u, lookup))
    return _parse_category(raw, lookup)


def _parse_category(s: pd.Series, lookup: Mapping[str, str]) -> tuple[pd.Series, pd.Series]:
    uniques = pd.unique(s)
    mapping = {u: lookup.get(normalize_value(u)) for u in uniques}
    out = s.map(mapping).astype("str")
    bad = out.isna() & (s != "")
    return out, bad


# --------------------------------------------------------------------------------------------
# Problems, skipping and the load report
# --------------------------------------------------------------------------------------------
def _short(value: object, width: int = 40) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


class ProblemLog:
    """Collects bad cells of one load; raises them together or skips their rows.

    Examples
    --------
    >>> log = ProblemLog()
    >>> raw = pd.Series(["3", "-1"], index=pd.Index([2, 3], name="row"))
    >>> log.add("x.csv", raw.astype(int) < 0, "Aantal", raw, "expected a count >= 0")
    >>> print(log.message(lenient_hint=False))
    x.csv: 1 bad value (rows as numbered in a spreadsheet, header = row 1):
      - x.csv row 3, column 'Aantal': found '-1'; expected a count >= 0
    """

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def add(
        self,
        file: str,
        mask: pd.Series,
        column: str,
        raw: pd.Series,
        reason: str | pd.Series,
    ) -> None:
        """Record the rows where ``mask`` is true (index = row numbers)."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        rows = mask.index[mask.to_numpy()]
        values = raw.reindex(rows)
        reasons = reason.reindex(rows).to_numpy() if isinstance(reason, pd.Series) else reason
        self._parts.append(
            pd.DataFrame(
                {"file": file, "row": np.asarray(rows, dtype="int64"), "column": column,
                 "value": values.astype("str").fillna("").to_numpy(), "reason": reasons}
            )
        )

    def add_frame(self, frame: pd.DataFrame) -> None:
        """Record ready-made problems (columns ``file, row, column, value, reason``)."""
        if len(frame):
            self._parts.append(frame[PROBLEM_COLUMNS])

    def __bool__(self) -> bool:
        return bool(self._parts)

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def frame(self) -> pd.DataFrame:
        """All problems, one row per bad cell, in file and row order."""
        if not self._parts:
            return pd.DataFrame(columns=PROBLEM_COLUMNS)
        return (
            pd.concat(self._parts, ignore_index=True)
            .sort_values(["file", "row"], kind="stable")
            .reset_index(drop=True)
        )

    def message(self, *, lenient_hint: bool = True) -> str:
        """Human-readable summary: the first few problems, then counts per kind."""
        pf = self.frame()
        files = pf["file"].unique()
        n = len(pf)
        head = f"{files[0]}" if len(files) == 1 else f"{len(files)} files"
        lines = [f"{head}: {n} bad value{'s' if n != 1 else ''} (rows as numbered in a spreadsheet, header = row 1):"]
        for r in pf.head(MAX_SHOWN).itertuples(index=False):
            lines.append(f"  - {r.file} row {r.row}, column '{r.column}': found '{_short(r.value)}'; {r.reason}")
        if n > MAX_SHOWN:
            kinds = pf.assign(kind=pf["column"] + ": " + pf["reason"].str.split(";").str[0].str.slice(0, 60))
            counts = kinds["kind"].value_counts()
            summary = "; ".join(f"{c} × {k}" for k, c in counts.head(6).items())
            lines.append(f"  ... and {n - MAX_SHOWN} more ({summary}).")
        if lenient_hint:
            lines.append(
                "Fix the file, or pass lenient=True to skip these rows (listed in df.attrs['skipped'])."
            )
        return "\n".join(lines)

    def raise_or_skip(self, df: pd.DataFrame, *, lenient: bool, key: Sequence[str] = ("__file", "__row")) -> pd.DataFrame:
        """Raise :class:`DataError`, or (lenient) drop the bad rows, warn, and return the rest.

        ``df`` must identify rows by the columns in ``key`` (file name, row number).
        """
        if not self:
            return df
        pf = self.frame()
        if not lenient:
            raise DataError(self.message(), problems=pf)
        bad = pd.MultiIndex.from_frame(pf[["file", "row"]].drop_duplicates())
        here = pd.MultiIndex.from_frame(df[list(key)])
        keep = ~here.isin(bad)
        n_rows = int((~keep).sum())
        why = "; ".join(f"{c} × {r}" for r, c in pf["reason"].str.split(";").str[0].value_counts().head(5).items())
        warnings.warn(
            f"skipped {n_rows} row{'s' if n_rows != 1 else ''} with {len(pf)} bad value(s) ({why}); "
            "see df.attrs['skipped']",
            UserWarning,
            stacklevel=3,
        )
        return df.loc[keep]


@dataclass(frozen=True)
class LoadReport:
    """What a loader read, from where, and what it left out.

    Examples
    --------
    >>> r = LoadReport(source="interventie", files=({"file": "x.csv", "rows": 3},), n_rows=3)
    >>> print(r.summary())
    interventie: 3 rows from 1 file (x.csv: 3 rows); 0 skipped
    """

    source: str
    files: tuple[dict, ...] = ()
    n_rows: int = 0
    n_skipped: int = 0
    excluded: dict = field(default_factory=dict)
    geography_year: int | None = None

    def summary(self) -> str:
        """One line of plain text for logs and the data log of a report."""
        per_file = ", ".join(f"{f['file']}: {f['rows']} rows" for f in self.files)
        text = (
            f"{self.source}: {self.n_rows} rows from {len(self.files)} file{'s' if len(self.files) != 1 else ''} "
            f"({per_file}); {self.n_skipped} skipped"
        )
        if self.excluded:
            text += "; excluded by design: " + ", ".join(f"{k} {v}" for k, v in self.excluded.items())
        if self.geography_year is not None:
            text += f"; geography {self.geography_year}"
        return text
