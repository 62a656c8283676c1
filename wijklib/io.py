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
>>> wio.parse_decimal(pd.Series(["1.234,5", "92345,67", "12,5"]))[0].tolist()
[1234.5, 92345.67, 12.5]
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import glob
import gzip
import itertools
import re
import warnings
import zipfile
import zlib
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
# Reading: what a file is, its encoding (with evidence), its layout
# --------------------------------------------------------------------------------------------
#: Hostile-file guards. An xlsx is a zip of XML: its declared sizes are checked before anything is
#: decompressed (zipfile never inflates a member past its declared size), then the sheet's declared
#: dimension, then rows and cells while reading. A real export beyond these limits belongs in a CSV.
MAX_XLSX_UNCOMPRESSED = 200 * 2**20
MAX_XLSX_RATIO = 100
MAX_XLSX_COLUMNS = 1_000
MAX_XLSX_CELLS = 10_000_000
MAX_XLSX_ROWS = 1_048_576
#: A gzip export is decompressed in streaming passes; these bound what it may expand to.
MAX_GZIP_UNCOMPRESSED = 4 * 2**30
MAX_GZIP_RATIO = 200
_CHUNK = 16 * 2**20

# Magic numbers of the files that turn up under a .csv/.xlsx/.xls name.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", "a PDF document", "export the table itself as CSV UTF-8 or .xlsx, not a printout"),
    (b"BZh", "a bzip2-compressed file", "unpack it and pass the CSV inside"),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "unpack it and pass the CSV inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it and pass the CSV or .xlsx inside"),
    (b"Rar!\x1a\x07", "a RAR archive", "unpack it and pass the CSV or .xlsx inside"),
    (b"\x89PNG", "a PNG image", "export the table as CSV UTF-8 or .xlsx"),
    (b"\xff\xd8\xff", "a JPEG image", "export the table as CSV UTF-8 or .xlsx"),
)


def _what_is(head: bytes, path: Path, zip_names: Sequence[str] | None = None) -> tuple[str, str | None]:
    """(kind, error message or None) of a file from its first bytes: ``xlsx``, ``gzip``, ``text``, ...

    The extension is only a hint: a ``.csv`` that is really a workbook or a gzip file is read as what it
    is; a file that is none of the readable kinds is refused saying what it is and what to do.
    """
    name = path.name
    if not head:
        return "empty", f"{name}: empty file (0 bytes); expected a header row and data rows"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        names = list(zip_names or ())
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx", None
        if "mimetype" in names and b"opendocument.spreadsheet" in head[:200]:
            return "ods", (f"{name}: is an OpenDocument spreadsheet (.ods), not .xlsx or CSV; "
                           "open it in LibreOffice and save it as .xlsx or as CSV UTF-8")
        if any(n.startswith("word/") for n in names):
            return "docx", f"{name}: is a Word document (.docx), not a table export; export the table as CSV UTF-8 or .xlsx"
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return "zip", (f"{name}: is a zip archive holding {len(names)} file(s) ({shown or 'none'}), not a "
                       "CSV or .xlsx; unpack it and pass the export inside")
    if head.startswith(b"\x1f\x8b"):
        return "gzip", None
    if head.startswith(_OLE2):
        if "EncryptedPackage".encode("utf-16-le") in head or b"EncryptedPackage" in head:
            return "encrypted", (f"{name}: is a password-protected (encrypted) Excel workbook; remove the "
                                 "password in Excel (File > Info > Protect workbook) and save it again as .xlsx")
        return "xls", (f"{name}: is an old Excel 97-2003 workbook (.xls, binary); open it in Excel or "
                       "LibreOffice and save it as .xlsx or as CSV UTF-8")
    for magic, what, todo in _MAGIC:
        if head.startswith(magic):
            return "binary", f"{name}: is {what}, not a CSV or .xlsx export; {todo}"
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n").lower()
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = head[2:].decode("utf-16-le" if head[:2] == b"\xff\xfe" else "utf-16-be", "ignore").lstrip().lower().encode()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<body", b"<meta")) or (
        text.startswith(b"<?xml") and b"<html" in text[:2000]
    ):
        return "html", (f"{name}: is an HTML page (a web export or a 'save as web page' with a "
                        f"{path.suffix or 'table'} name), not a spreadsheet; open it in Excel and save it as .xlsx "
                        "or as CSV UTF-8, or export the table again as CSV")
    if text.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in text[:4000]:
        return "xml2003", (f"{name}: is an Excel 2003 XML spreadsheet, not .xlsx; open it in Excel and "
                           "save it as .xlsx or as CSV UTF-8")
    if text.startswith(b"{\\rtf"):
        return "binary", f"{name}: is an RTF document, not a table export; export the table as CSV UTF-8 or .xlsx"
    return "text", None


@dataclass(frozen=True)
class EncodingEvidence:
    """The encoding chosen for a text file and why (kept in ``attrs['encoding_reason']``)."""

    encoding: str
    reason: str




def decide_encoding(chunks: Iterable[bytes], file: str = "file") -> EncodingEvidence:
    """Encoding of a text export from *all* of its bytes, with the evidence.

    * a BOM decides (UTF-8 or UTF-16);
    * valid UTF-8 throughout -> UTF-8;
    * bytes >= 0x80 none of which forms a UTF-8 sequence -> Windows-1252 (which reads latin-1 text too);
    * valid UTF-8 multi-byte characters *and* bytes invalid as UTF-8 -> :class:`DataError` naming the
      first bad row: decoding such a file either way turns part of it into mojibake.

    Examples
    --------
    >>> decide_encoding(["Coördinaat;x\\n".encode("utf-8")]).encoding
    'utf-8'
    >>> decide_encoding(["Coördinaat;x\\n".encode("cp1252")]).encoding
    'cp1252'
    """
    it = iter(chunks)
    first = next(it, b"")
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        return EncodingEvidence("utf-16", "UTF-16 byte order mark at the start of the file")
    if len(first) >= 4 and first[1:2] == b"\x00" and first[3:4] == b"\x00" and first[0:1] != b"\x00":
        return EncodingEvidence("utf-16-le", "UTF-16 (little-endian) without byte order mark: every second byte is 0")
    if len(first) >= 4 and first[0:1] == b"\x00" and first[2:3] == b"\x00" and first[1:2] != b"\x00":
        return EncodingEvidence("utf-16-be", "UTF-16 (big-endian) without byte order mark: every other byte is 0")
    bom = first.startswith(b"\xef\xbb\xbf")
    if bom:
        first = first[3:]  # the mark itself is no evidence about the text
    dec = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    n_multi = n_bad = 0
    first_bad: tuple[int, str] | None = None   # (row, byte shown)
    first_good: tuple[int, str] | None = None  # (row, character)
    not1252: tuple[int, int] | None = None
    lines_before = 0
    for chunk in itertools.chain([first], it):
        if chunk.isascii() and not dec.getstate()[0]:
            lines_before += chunk.count(b"\n")
            continue
        text = dec.decode(chunk)
        if not text.isascii():
            # Undecodable bytes come back as lone surrogates U+DC80..U+DCFF (surrogateescape).
            bad = _SURROGATES.findall(text)
            if bad:
                n_bad += len(bad)
                if first_bad is None:
                    m = _SURROGATES.search(text)
                    first_bad = (lines_before + text.count("\n", 0, m.start()) + 1, f"0x{ord(m.group()) - 0xDC00:02X}")
                m = _C1_BYTES.search(text) if not1252 is None else None
                if m:
                    not1252 = (lines_before + text.count("\n", 0, m.start()) + 1, ord(m.group()) - 0xDC00)
            good = _GOOD_NON_ASCII.findall(text)
            if good:
                n_multi += len(good)
                if first_good is None:
                    m = _GOOD_NON_ASCII.search(text)
                    first_good = (lines_before + text.count("\n", 0, m.start()) + 1, m.group())
        lines_before += chunk.count(b"\n")
    if dec.decode(b"", final=True):
        n_bad += 1
        first_bad = first_bad or (lines_before + 1, "an incomplete UTF-8 sequence at the end of the file")
    if n_bad == 0:
        if n_multi == 0:
            return EncodingEvidence("utf-8-sig" if bom else "utf-8", "ASCII only (every byte below 0x80)")
        return EncodingEvidence(
            "utf-8-sig" if bom else "utf-8",
            f"valid UTF-8 throughout ({n_multi} multi-byte character(s), first '{first_good[1]}' in row "
            f"{first_good[0]}){'; UTF-8 byte order mark' if bom else ''}",
        )
    if bom or n_multi:
        why = "it starts with a UTF-8 byte order mark" if bom else (
            f"row {first_good[0]} holds UTF-8 ('{first_good[1]}', {n_multi} such character(s))")
        raise DataError(
            f"{file}: mixed encodings: {why}, but row {first_bad[0]} holds byte {first_bad[1]}, which is "
            f"not valid UTF-8 ({n_bad} such byte(s)); decoding the file either way would garble part of "
            "its text. Fix that row (e.g. retype the character) or save the whole export again as CSV UTF-8"
        )
    # Only single bytes >= 0x80 and none forms UTF-8: an 8-bit code page. Latin-1 text is a subset of
    # Windows-1252 except for the C1 control bytes, which are no text in either.
    if not1252 is not None:
        raise DataError(
            f"{file}: row {not1252[0]} holds byte 0x{not1252[1]:02X}, which is neither UTF-8 nor a character "
            "in Windows-1252; save the export again as CSV UTF-8"
        )
    return EncodingEvidence(
        "cp1252",
        f"not UTF-8: {n_bad} byte(s) >= 0x80 and none forms a UTF-8 sequence (first {first_bad[1]} in row "
        f"{first_bad[0]}); read as Windows-1252",
    )


_SURROGATES = re.compile("[\udc80-\udcff]")
_C1_BYTES = re.compile("[\udc81\udc8d\udc8f\udc90\udc9d]")
_GOOD_NON_ASCII = re.compile("[\x80-\udc7f\udd00-\U0010ffff]")


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


def _field_counts(
    chunks: Iterable[bytes], sep: bytes, skip_lines: int, *, cr_only: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Fields per record and whether the record is blank, from the raw bytes (quotes respected).

    ``skip_lines`` physical lines (title lines above the header) are passed over; record 0 is the header.
    A separator or line break between double quotes is content (RFC 4180; a doubled quote keeps the
    parity), so the parity of the running quote count tells which ones split fields. Works on bytes
    of UTF-8 and Windows-1252 alike (separators, quotes and line breaks are ASCII in both).
    """
    counts: list[np.ndarray] = []
    blanks: list[np.ndarray] = []
    parity = 0          # quotes seen so far, mod 2
    seps_open = 0       # separators of the record still open at the end of the previous chunk
    nonblank_open = False
    skipped = 0
    sep_b, nl, quote, cr = sep[0], 10, 34, 13
    for chunk in chunks:
        if not chunk:
            continue
        a = np.frombuffer(chunk, dtype=np.uint8)
        start = 0
        if skipped < skip_lines:
            # Title lines are short and unquoted: skip them by line breaks.
            brk = b"\r" if cr_only else b"\n"
            while skipped < skip_lines and start < len(chunk):
                j = chunk.find(brk, start)
                if j < 0:
                    start = len(chunk)
                    break
                start = j + 1
                skipped += 1
            if skipped < skip_lines:
                continue
            a = a[start:]
        if not len(a):
            continue
        if cr_only:
            a = np.where(a == cr, np.uint8(nl), a)
        nl_pos = np.flatnonzero(a == nl)
        sep_pos = np.flatnonzero(a == sep_b)
        q_pos = np.flatnonzero(a == quote)
        if parity or len(q_pos):
            # A byte is inside quotes when an odd number of quotes precedes it (this chunk and before).
            nl_pos = nl_pos[(np.searchsorted(q_pos, nl_pos) + parity) % 2 == 0]
            sep_pos = sep_pos[(np.searchsorted(q_pos, sep_pos) + parity) % 2 == 0]
            parity = (parity + len(q_pos)) % 2
        bounds = np.concatenate([[-1], nl_pos])
        n_sep = np.diff(np.searchsorted(sep_pos, bounds + 1))
        # A blank line is empty or holds only the '\r' of a CRLF.
        length = np.diff(bounds) - 1
        n_content = length.copy()
        ends_cr = length >= 1
        ends_cr[ends_cr] = a[nl_pos[ends_cr] - 1] == cr
        n_content[ends_cr] -= 1
        if len(nl_pos):
            n_sep = n_sep.copy()
            n_sep[0] += seps_open
            first_nonblank = n_content[0] > 0 or nonblank_open
            counts.append(n_sep + 1)
            nb = n_content > 0
            nb[0] = first_nonblank
            blanks.append(~nb)
            seps_open = int(len(sep_pos) - np.searchsorted(sep_pos, nl_pos[-1]))
            nonblank_open = bool(len(a) - nl_pos[-1] - 1 > 0 and (a[nl_pos[-1] + 1:] != cr).any())
        else:
            seps_open += len(sep_pos)
            nonblank_open = nonblank_open or bool(((a != cr) & (a != nl)).any())
    if seps_open or nonblank_open:
        counts.append(np.array([seps_open + 1]))
        blanks.append(np.array([not nonblank_open]))
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    return np.concatenate(counts), np.concatenate(blanks)


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


def _col_letter(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _check_xlsx_zip(zf: zipfile.ZipFile, file: str) -> None:
    """Refuse a workbook whose zip would expand beyond the limits, before anything is decompressed."""
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if total > MAX_XLSX_UNCOMPRESSED:
        big = max(infos, key=lambda i: i.file_size)
        raise DataError(
            f"{file}: refused: the workbook expands to {total / 2**20:,.0f} MB of XML (largest part "
            f"'{big.filename}': {big.file_size / 2**20:,.0f} MB from {big.compress_size / 2**20:,.1f} MB); the limit "
            f"is {MAX_XLSX_UNCOMPRESSED / 2**20:,.0f} MB. A real export that large belongs in a CSV: save it "
            "as CSV UTF-8 (or check where the file came from: this is how a zip bomb looks)"
        )
    for i in infos:
        if i.file_size > 2**20 and i.file_size > MAX_XLSX_RATIO * max(i.compress_size, 1):
            raise DataError(
                f"{file}: refused: part '{i.filename}' expands {i.file_size / max(i.compress_size, 1):,.0f}-fold "
                f"({i.compress_size / 2**10:,.0f} KB to {i.file_size / 2**20:,.0f} MB); real sheets compress "
                f"at most ~{MAX_XLSX_RATIO}-fold. Save the data again as CSV UTF-8 (or check where the file came "
                "from: this is how a zip bomb looks)"
            )


_DIM = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\"")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _check_dimension(ws, file: str) -> None:
    """Refuse a sheet whose declared dimension is beyond the limits (openpyxl would pad every row to it)."""
    try:
        max_row, max_col = ws.max_row, ws.max_column
    except (ValueError, TypeError):  # no or unreadable <dimension>: the row guards still apply
        return
    if not max_row or not max_col:
        return
    if max_col > MAX_XLSX_COLUMNS or max_row > MAX_XLSX_ROWS or max_row * max_col > MAX_XLSX_CELLS:
        ref = f"A1:{_col_letter(max_col)}{max_row}"
        raise DataError(
            f"{file} (sheet '{ws.title}'): refused: the sheet declares the range {ref} "
            f"({max_row:,} rows x {max_col:,} columns = {max_row * max_col:,} cells); the limits are "
            f"{MAX_XLSX_COLUMNS:,} columns and {MAX_XLSX_CELLS:,} cells. Usually a stray cell far below or to "
            f"the right of the table (e.g. {_col_letter(max_col)}{max_row}): delete the empty rows and columns "
            "after the data and save again, or save the sheet as CSV UTF-8"
        )


def _formulas_without_value(zf: zipfile.ZipFile, member: str) -> list[str]:
    """References of cells holding a formula but no cached value (the workbook was never recalculated)."""
    from xml.etree.ElementTree import iterparse

    with zf.open(member) as fh:
        found = False
        tail = b""
        while True:
            block = fh.read(_CHUNK)
            if not block:
                break
            if _FORMULA.search(tail + block):
                found = True
                break
            tail = block[-16:]
    if not found:
        return []
    cells: list[str] = []
    with zf.open(member) as fh:
        cell_ref, cell_type, has_f, has_v = None, None, False, False
        for event, el in iterparse(fh, events=("start", "end")):
            tag = el.tag.rsplit("}", 1)[-1]
            if event == "start":
                if tag == "c":
                    cell_ref, cell_type, has_f, has_v = el.get("r"), el.get("t"), False, False
                continue
            if tag == "f":
                has_f = True
            elif tag == "v":
                # Tools that write formulas without computing them leave <v/> empty; an empty text result
                # of a computed formula is typed t="str".
                has_v = bool(el.text) or cell_type == "str"
            elif tag == "is":
                has_v = True
            elif tag == "c":
                if has_f and not has_v:
                    cells.append(cell_ref or "?")
                el.clear()
            elif tag == "row":
                el.clear()
    return cells


def _open_workbook(path: Path, file: str):
    """Guarded read-only openpyxl workbook (any file name: content, not extension, made it an xlsx)."""
    import openpyxl

    fh = open(path, "rb")
    try:
        with zipfile.ZipFile(fh) as zf:
            _check_xlsx_zip(zf, file)
        fh.seek(0)
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except DataError:
        fh.close()
        raise
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError) as exc:
        fh.close()
        raise DataError(f"{file}: refused: cannot be opened as an .xlsx workbook (damaged, incomplete or forged "
                        f"file: {exc}); open it in Excel or LibreOffice and save it again") from exc
    return wb, fh


def _read_xlsx(path: Path, known_headers: Iterable[str], sheet: str | int | None, file: str | None = None) -> pd.DataFrame:
    file = file or path.name
    try:
        return _read_xlsx_guarded(path, known_headers, sheet, file)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError) as exc:
        # A part that does not inflate to its declared size (or CRC) is damaged or forged.
        raise DataError(
            f"{file}: refused: the workbook is damaged or forged ({type(exc).__name__}: {exc}); a part of it "
            "expands to something other than it declares. Open it in Excel or LibreOffice and save it again"
        ) from exc


def _read_xlsx_guarded(path: Path, known_headers: Iterable[str], sheet: str | int | None, file: str) -> pd.DataFrame:
    wb, fh = _open_workbook(path, file)
    try:
        if sheet is not None:
            try:
                sheets = [wb[sheet] if isinstance(sheet, str) else wb.worksheets[sheet]]
            except (KeyError, IndexError) as exc:
                raise DataError(f"{file}: no sheet {sheet!r}; sheets found: {wb.sheetnames}") from exc
        else:
            sheets = list(wb.worksheets)
        known = {normalize_header(h) for h in known_headers}
        chosen = None
        # The header is among the first rows: pick the sheet from those, read only that sheet fully.
        for ws in sheets:
            if not hasattr(ws, "iter_rows"):  # chart sheets
                continue
            _check_dimension(ws, file)
            ws.reset_dimensions()  # the declared size may lie: read what is there, with our own guards
            top = [tuple(_cell_to_str(v) for v in r) for r in itertools.islice(ws.iter_rows(values_only=True), 25)]
            hdr, score = _xlsx_header_row(top, known)
            if chosen is None or score > chosen[0]:
                chosen = (score, ws, hdr)
            if known and score == len(known):
                break
        if chosen is None:
            raise DataError(f"{file}: the workbook has no worksheet with cells")
        _, ws, hdr = chosen
        title = ws.title
        rows: list[tuple] = []
        typed: dict[int, list[int]] = {}
        cells = 0
        for i, r in enumerate(ws.iter_rows(values_only=True)):
            if i >= MAX_XLSX_ROWS:
                raise DataError(f"{file} (sheet '{title}'): refused: more than {MAX_XLSX_ROWS:,} rows")
            if len(r) > MAX_XLSX_COLUMNS and any(v is not None for v in r[MAX_XLSX_COLUMNS:]):
                col = MAX_XLSX_COLUMNS + next(j for j, v in enumerate(r[MAX_XLSX_COLUMNS:]) if v is not None) + 1
                raise DataError(
                    f"{file} (sheet '{title}'): refused: row {i + 1} has a cell in column {_col_letter(col)}, "
                    f"beyond the limit of {MAX_XLSX_COLUMNS:,} columns; delete the stray cells and save again"
                )
            cells += len(r)
            if cells > MAX_XLSX_CELLS:
                raise DataError(f"{file} (sheet '{title}'): refused: more than {MAX_XLSX_CELLS:,} cells; save it as CSV UTF-8")
            for j, v in enumerate(r):
                # Fractional numbers typed in Excel are unambiguous; the number parser must not weigh
                # their Python spelling ('1.234') as a text format.
                if isinstance(v, float) and not v.is_integer():
                    typed.setdefault(j, []).append(i + 1)
            rows.append(tuple(_cell_to_str(v) for v in r))
        member = getattr(ws, "_worksheet_path", None)
        fh.seek(0)
        uncached: list[str] = []
        if member:
            with zipfile.ZipFile(fh) as zf:
                uncached = _formulas_without_value(zf, member.lstrip("/"))
    finally:
        wb.close()
        fh.close()
    if uncached:
        shown = ", ".join(uncached[:8]) + (f" and {len(uncached) - 8} more" if len(uncached) > 8 else "")
        raise DataError(
            f"{file} (sheet '{title}'): {len(uncached)} cell(s) hold a formula without a calculated value "
            f"(cell {shown}); the workbook was saved without recalculating (e.g. generated by a script). "
            "Open it in Excel or LibreOffice, let it recalculate, and save it again (or paste the values)"
        )
    if not rows or hdr >= len(rows) or not any(c.strip() for c in rows[hdr]):
        raise DataError(f"{file} (sheet '{title}'): empty sheet, no header row found")
    header = [c.strip() for c in rows[hdr]]
    # Trailing unnamed columns are formatting leftovers when empty; a value there is reported below.
    width = max((i + 1 for i, c in enumerate(header) if c), default=0)
    body = rows[hdr + 1:]
    stray: list[dict] = []
    for k, r in enumerate(body):
        for j in range(width, len(r)):
            if r[j].strip():
                stray.append({"file": file, "row": hdr + 2 + k, "column": _col_letter(j + 1),
                              "value": r[j], "reason": f"a value in column {_col_letter(j + 1)}, which has no header "
                              f"(the header row {hdr + 1} ends at column {_col_letter(width)})"})
    body = [list(r[:width]) + [""] * (width - len(r)) for r in body]
    df = pd.DataFrame(body, columns=header[:width], dtype=object)
    df.index = pd.RangeIndex(hdr + 2, hdr + 2 + len(df), name="row")
    for j, name in enumerate(header[:width]):
        if not name:
            vals = df.iloc[:, j]
            for rr in vals.index[vals.str.strip() != ""][:50]:
                stray.append({"file": file, "row": int(rr), "column": _col_letter(j + 1), "value": vals[rr],
                              "reason": f"a value in column {_col_letter(j + 1)}, which has no header"})
    df.attrs.update(
        file=file, path=str(path), format="xlsx", sheet=title, header_row=hdr + 1,
        typed_numbers={header[j]: tuple(x for x in rows_ if x > hdr + 1) for j, rows_ in typed.items() if j < width},
        ragged=stray,
    )
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        df.attrs["detected"] = f"an .xlsx workbook named {path.suffix or '(no extension)'}"
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


def _gzip_chunks(path: Path, file: str):
    """Decompressed chunks of a gzip file, refusing a bomb (size or ratio) while streaming."""
    packed = max(path.stat().st_size, 1)
    total = 0
    try:
        with gzip.open(path, "rb") as fh:
            while True:
                block = fh.read(_CHUNK)
                if not block:
                    return
                total += len(block)
                if total > MAX_GZIP_UNCOMPRESSED or (total > 64 * 2**20 and total > MAX_GZIP_RATIO * packed):
                    raise DataError(
                        f"{file}: refused: the gzip file expands beyond {total / 2**20:,.0f} MB from "
                        f"{packed / 2**20:,.1f} MB (more than {MAX_GZIP_RATIO}-fold); not a plausible export "
                        "(check where the file came from), or unpack it yourself and pass the CSV"
                    )
                yield block
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{file}: not a valid gzip file ({exc}); unpack it (or download it again)") from exc


def _file_chunks(path: Path):
    with open(path, "rb") as fh:
        while True:
            block = fh.read(_CHUNK)
            if not block:
                return
            yield block


def read_table(
    path: PathLike,
    *,
    known_headers: Iterable[str] = (),
    sheet: str | int | None = None,
    ragged: str = "error",
    file: str | None = None,
    compact: bool = False,
    columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Read one export into a DataFrame of strings indexed by spreadsheet row number.

    Parameters
    ----------
    path
        A CSV/text export (optionally gzip-compressed) or an ``.xlsx`` workbook. What the file *is*
        decides how it is read, not its name: a workbook named ``.csv`` is read as a workbook, a CSV
        named ``.xlsx`` as text; HTML pages, old ``.xls``, zip archives, PDFs and empty files are
        refused saying what they are and what to do.
    known_headers
        Headers the file may hold; used to find the header line and the separator.
    sheet
        Worksheet name or position for ``.xlsx`` (default: the sheet whose header matches best).
    ragged
        Rows with fewer or more fields than the header (a separator missing or too many): ``"error"``
        (default) raises :class:`DataError` naming them; ``"report"`` leaves them in
        ``attrs['ragged']`` (problems ``file, row, column, value, reason``) for the caller to report.
    file
        Name of the file in messages (default: the file name).
    columns
        Headers the caller uses (compared after :func:`~wijklib.schemas.normalize_header`): only these
        columns (and unnamed ones) are read, which bounds memory on wide exports. ``attrs['all_columns']``
        lists every header of the file.
    compact
        Hold columns with few distinct values (channel, category, buurt, status) as pandas
        ``Categorical`` of the same strings: each distinct string is stored once, which is what keeps
        a 1,000,000-row export within its memory budget (``benchmarks/results/loaders.md``).

    Returns
    -------
    DataFrame with every cell as ``str`` (empty cell = ``""``), index ``row`` = the row number as a
    spreadsheet shows it (header = row 1 unless title lines precede it), fully empty rows removed.
    ``attrs`` hold ``file``, ``format``, ``encoding`` and ``encoding_reason`` (the evidence),
    ``sep``, ``header_row``, ``ragged``, and ``detected`` when the content differs from the name.

    Raises
    ------
    DataError
        Empty file, not a table, mixed encodings, hostile workbooks, formulas without values, or
        (with ``ragged="error"``) rows that do not split into the header's columns.

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
    file = file or path.name
    known_headers = list(known_headers)
    with open(path, "rb") as fh:
        head = fh.read(65536)
    zip_names = None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(path) as zf:
                zip_names = zf.namelist()
        except zipfile.BadZipFile as exc:
            raise DataError(f"{file}: starts like a zip/.xlsx file but is damaged ({exc}); save it again") from exc
    kind, problem = _what_is(head, path, zip_names)
    if problem:
        raise DataError(problem)
    if kind == "xlsx":
        df = _read_xlsx(path, known_headers, sheet, file)
        _raise_ragged(df, ragged)
        return df
    detected = None
    if kind == "gzip":
        chunks = lambda: _gzip_chunks(path, file)  # noqa: E731
        inner = next(chunks(), b"")
        ikind, iproblem = _what_is(inner[:65536], Path(path.stem))
        if ikind != "text" or iproblem:
            raise DataError(f"{file}: a gzip file holding {iproblem.split(': ', 1)[-1] if iproblem else ikind}; "
                            "unpack it and pass the CSV or .xlsx inside")
        head = inner[:262144]
        if not path.name.lower().endswith(".gz"):
            detected = f"gzip-compressed text named {path.suffix or '(no extension)'}"
    else:
        chunks = lambda: _file_chunks(path)  # noqa: E731
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            detected = f"a text (CSV) file named {path.suffix}"
        with open(path, "rb") as fh:
            head = fh.read(262144)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise DataError(f"{file}: empty file (only blank lines or spaces); expected a header row and data rows")
    evidence = decide_encoding(chunks(), file)
    encoding = evidence.encoding
    top = head.decode(encoding, errors="replace")
    if "\x00" in top[:10000]:
        raise DataError(f"{file}: binary content, not a text export (NUL bytes found)")
    # Only the top of the file is needed to find the header and the separator. pandas counts lines by
    # '\n' (and a lone '\r'), so split the same way rather than with str.splitlines.
    lines = re.split(r"\r\n|\n|\r", top)[:25]
    hdr, sep = sniff_layout(lines, known_headers)
    utf16 = encoding.startswith("utf-16")
    source = chunks() if not utf16 else [b"".join(chunks()).decode(encoding).encode("utf-8")]
    counts, blank = _field_counts(source, sep.encode(), hdr)
    all_columns: list[str] | None = None
    options = dict(
        sep=sep, keep_default_na=False, na_filter=False, skip_blank_lines=False, skiprows=hdr, header=None,
        engine="c", quotechar='"', encoding=encoding, encoding_errors="strict", on_bad_lines="skip",
        # The widest record decides the columns, so nothing is cut off; the counts say which rows are ragged.
        names=range(int(counts.max())) if len(counts) else None,
    )
    width = int(counts[0]) if len(counts) else 0
    if columns is not None and len(counts) and not ((counts[1:] != width) & ~blank[1:]).any():
        # Read only the columns the caller can use (plus unnamed ones, whose values must be reported);
        # skipped when rows are ragged, so that their messages can show every field.
        wanted = {normalize_header(c) for c in columns}
        fields = _split(lines[hdr], sep) if hdr < len(lines) else []
        if len(fields) == width:
            keep = [j for j, f in enumerate(fields) if not f.strip() or normalize_header(f) in wanted]
            if 0 < len(keep) < width:
                options["usecols"] = keep
                all_columns = [f.strip() for f in fields]
    dtype: dict | type = object
    if compact and len(counts) > 20_000:
        # Columns that repeat a few values (decided on the first 20,000 rows) are parsed straight into
        # categories, so that a million cells share a handful of strings.
        sample = pd.read_csv(path if kind == "text" else gzip.open(path, "rb"), dtype=object, nrows=20_000, **options)
        dtype = {j: ("category" if sample[j].nunique() <= 2_000 else object) for j in sample.columns}
    try:
        df = pd.read_csv(path if kind == "text" else gzip.open(path, "rb"), dtype=dtype, **options)
        # The header is read as a data row on purpose: with header=0 pandas silently turns the first
        # column into an index when the first data row has one field too many (a stray separator).
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{file}: empty file, no header row found") from exc
    except pd.errors.ParserError as exc:
        raise DataError(
            f"{file}: rows do not split into the header's columns with separator {sep!r} ({exc}); is a text "
            "field with that separator not quoted?"
        ) from exc
    except UnicodeDecodeError as exc:  # pragma: no cover - decide_encoding read every byte already
        raise DataError(f"{file}: cannot be decoded as {encoding} ({exc})") from exc
    if df.empty:
        raise DataError(f"{file}: empty file, no header row found")
    if len(df) != len(counts):
        raise DataError(  # pragma: no cover - the two readers must agree on the records
            f"{file}: the file's records could not be counted reliably ({len(df)} vs {len(counts)}); "
            "is a quote (\") unbalanced? Save the export again as CSV UTF-8"
        )
    # Column labels are the fields' positions in the file (all of them, or those kept by usecols).
    positions = [int(j) for j in df.columns]
    header = {j: str(v).strip() for j, v in zip(positions, df.iloc[0], strict=True)}
    named = max((j + 1 for j in positions if j < width and header[j]), default=0)
    df = df.iloc[1:]
    df.index = pd.RangeIndex(hdr + 2, hdr + 2 + len(df), name="row")
    body_counts, body_blank = counts[1:], blank[1:]
    stray = _ragged_rows(df, body_counts, body_blank, width, [header.get(j, "") for j in range(width)],
                         file, hdr + 1, sep)
    in_header = [j for j in positions if j < width]
    # Empty columns without a header (a trailing separator on every line) are dropped; a value in one is not.
    for j in in_header:
        if not header[j]:
            vals = df[j]
            filled = vals != ""
            for rr in vals.index[filled.to_numpy()][:50]:
                stray.append({"file": file, "row": int(rr), "column": f"column {j + 1}", "value": vals[rr],
                              "reason": f"a value in column {j + 1}, which has no header (header row {hdr + 1})"})
    kept = [j for j in in_header if header[j] or j < named]
    df = df[kept]
    df.columns = [header[j] for j in kept]
    _check_separator_consistency(df, sep, file)
    # Completely empty lines (often at the end of an export) are no data, so dropping them loses nothing.
    if body_blank.any():
        df = df.loc[~body_blank]
    if len(df.columns) and len(df):
        maybe = (df.iloc[:, 0] == "").to_numpy()
        if maybe.any():
            blank_rows = np.zeros(len(df), dtype=bool)
            blank_rows[maybe] = (df.iloc[maybe] == "").all(axis=1).to_numpy()
            if blank_rows.any():
                df = df.loc[~blank_rows]
    df.attrs.update(file=file, path=str(path), format="csv", encoding=encoding, encoding_reason=evidence.reason,
                    sep=sep, header_row=hdr + 1, ragged=stray, all_columns=all_columns or list(df.columns))
    if detected:
        df.attrs["detected"] = detected
    _raise_ragged(df, ragged)
    return df


def _ragged_rows(df: pd.DataFrame, counts: np.ndarray, blank: np.ndarray, width: int, header: list[str],
                 file: str, header_row: int, sep: str) -> list[dict]:
    """Problems for records with fewer or more fields than the header (blank lines are no records)."""
    bad = np.flatnonzero((counts != width) & ~blank)
    out: list[dict] = []
    for k in bad[:1000]:
        row = int(df.index[k])
        n = int(counts[k])
        fields = [df.iat[k, c] for c, j in enumerate(df.columns) if int(j) < n]
        shown = _short(sep.join(str(f) for f in fields), 60)
        if n < width:
            missing = ", ".join(f"'{h}'" for h in header[n:width][:3])
            reason = (f"does not split into the header's columns with separator {sep!r}: "
                      f"{n} field(s) where the header (row {header_row}) has {width}: a separator is missing "
                      f"or the row was cut off ({missing} would be empty); expected {width} fields")
            column = header[n] if n < len(header) else f"column {n + 1}"
        else:
            extra = [v for v in fields[width:] if str(v).strip()]
            reason = (f"does not split into the header's columns with separator {sep!r}: "
                      f"{n} fields where the header (row {header_row}) has {width}: a separator too many (an "
                      f"unquoted separator in a text or a decimal comma in a comma-separated file?); extra "
                      f"value(s) {', '.join(repr(_short(v, 20)) for v in extra[:3]) or '(empty)'}; expected {width} fields")
            column = f"column {width + 1}"
        out.append({"file": file, "row": row, "column": column, "value": shown, "reason": reason})
    return out


def _raise_ragged(df: pd.DataFrame, ragged: str) -> None:
    stray = df.attrs.get("ragged") or []
    if ragged == "report" or not stray:
        return
    log = ProblemLog()
    log.add_frame(pd.DataFrame(stray))
    how = f" with separator {df.attrs['sep']!r}" if df.attrs.get("sep") else ""
    raise DataError(
        f"{df.attrs.get('file')}: rows do not split into the header's columns{how}:\n"
        + log.message(lenient_hint=False).split("\n", 1)[1],
        problems=log.frame(),
    )


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

    Returns ``(datetime64[ns] Series, bad)``; empty cells are NaT and not bad. Two-digit years are
    read the Python way (00-68 -> 20xx); loaders accept them only with evidence, see
    :func:`parse_dates_detail`.

    Examples
    --------
    >>> d, bad = parse_dates(pd.Series(["01-02-17", "", "1-2-2017 9:05", "gisteren"]))
    >>> [str(x) for x in d], bad.tolist()
    (['2017-02-01 00:00:00', 'NaT', '2017-02-01 09:05:00', 'NaT'], [False, False, False, True])
    """
    out, bad, _ = parse_dates_detail(raw, formats, stripped=stripped)
    return out, bad


def parse_dates_detail(
    raw: pd.Series, formats: Sequence[str] = DATE_FORMATS, *, stripped: bool = False
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """:func:`parse_dates` plus a mask of the values read with a two-digit year (``15-06-00``).

    Examples
    --------
    >>> parse_dates_detail(pd.Series(["15-06-00", "15-06-2000"]))[2].tolist()
    [True, False]
    """
    if len(raw) > 64:
        return map_unique(raw, lambda u: _parse_dates(u, formats))
    return _parse_dates(raw, formats)


def period_from_name(name: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The period a file name claims: one year (``meldingen_2025.csv``) or a range (``..._2011_2017``).

    Returns ``(start, end)`` with ``end`` exclusive, or None when the name holds no year or years
    that do not form one period.

    Examples
    --------
    >>> period_from_name("meldingen_2025.csv")
    (Timestamp('2025-01-01 00:00:00'), Timestamp('2026-01-01 00:00:00'))
    >>> period_from_name("thehague_crime_2011_2017.csv.gz")[1].year
    2018
    >>> period_from_name("export_v2.csv") is None
    True
    """
    years = sorted({int(y) for y in re.findall(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)", name)})
    if not years or len(years) > 2:
        return None
    return pd.Timestamp(years[0], 1, 1), pd.Timestamp(years[-1] + 1, 1, 1)


def as_period(period: object) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """A declared period -> ``(start, end exclusive)``: a year (2025 or "2025"), "2024-2025",
    a ``(start, end)`` pair of dates (end inclusive), or a pandas Period.

    Examples
    --------
    >>> as_period(2025)[1]
    Timestamp('2026-01-01 00:00:00')
    >>> as_period(("2025-03-01", "2025-06-30"))[1]
    Timestamp('2025-07-01 00:00:00')
    """
    if period is None:
        return None
    if isinstance(period, pd.Period):
        return period.start_time.normalize(), (period.end_time + pd.Timedelta(1)).normalize()
    if isinstance(period, (int, np.integer)):
        return pd.Timestamp(int(period), 1, 1), pd.Timestamp(int(period) + 1, 1, 1)
    if isinstance(period, str):
        m = re.fullmatch(r"\s*(\d{4})\s*(?:[-/]|t/m|tot)?\s*(\d{4})?\s*", period)
        if m:
            a, b = int(m.group(1)), int(m.group(2) or m.group(1))
            return pd.Timestamp(min(a, b), 1, 1), pd.Timestamp(max(a, b) + 1, 1, 1)
        raise ValueError(f"period {period!r}: expected a year ('2025'), a range ('2024-2025') or (start, end) dates")
    if isinstance(period, (tuple, list)) and len(period) == 2:
        start, end = pd.Timestamp(period[0]), pd.Timestamp(period[1])
        return start.normalize(), end.normalize() + pd.Timedelta(days=1)
    raise ValueError(f"period {period!r}: expected a year ('2025'), a range ('2024-2025') or (start, end) dates")


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
        all_idx = np.flatnonzero(lengths == width)
        # In blocks: the fixed-width character array takes 4 bytes a character, ~200 MB transient for a
        # million timestamps at once; blocks keep it to a few MB.
        for start in range(0, len(all_idx), _DMY_BLOCK):
            _fast_dmy_block(values, all_idx[start:start + _DMY_BLOCK], width, out)
    return out


_DMY_BLOCK = 65_536


def _fast_dmy_block(values: np.ndarray, idx: np.ndarray, width: int, out: np.ndarray) -> None:
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
        return
    months = (year[ok] - 1970) * 12 + (month[ok] - 1)
    stamp = months.astype("datetime64[M]").astype("datetime64[D]") + (day[ok] - 1).astype("timedelta64[D]")
    out[sel] = (
        stamp.astype("datetime64[ns]")
        + hour[ok].astype("timedelta64[h]")
        + minute[ok].astype("timedelta64[m]")
    )


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    m = np.clip(month, 1, 12)
    first = ((year - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    return ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)


def _parse_dates(raw: pd.Series, formats: Sequence[str]) -> tuple[pd.Series, pd.Series, pd.Series]:
    s = clean_text(raw)
    values = s.to_numpy(dtype=object)
    fast = _fast_dmy(values)
    out = pd.Series(fast, index=s.index, dtype="datetime64[ns]")
    todo = pd.Series((values != "") & np.isnat(fast), index=s.index)
    two = pd.Series(False, index=s.index)
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(s[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        if ok.any():
            out.loc[ok[ok].index] = parsed[ok].astype("datetime64[ns]")
            todo.loc[ok[ok].index] = False
            if "%y" in fmt:
                two.loc[ok[ok].index] = True
    return out, todo, two


# Number spellings, classified per value; the column's convention is decided from all of them.
_NUM_CLASSES: tuple[tuple[str, str], ...] = (
    ("int", r"[-+]?\d+"),
    ("dot1", r"[-+]?\d{1,3}\.\d{3}"),             # 1.234: thousands dot or decimal point?
    ("dotN", r"[-+]?\d{1,3}(?:\.\d{3}){2,}"),     # 1.234.567: thousands dots (Dutch)
    ("comma1", r"[-+]?\d{1,3},\d{3}"),            # 1,234: decimal comma or thousands comma?
    ("commaN", r"[-+]?\d{1,3}(?:,\d{3}){2,}"),    # 1,234,567: thousands commas (English)
    ("nl", r"[-+]?(?:\d{1,3}(?:\.\d{3})+|\d*),\d+"),  # 12,5 / 1.234,5: decimal comma
    ("en", r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d*)\.\d+"),  # 12.5 / 1,234.5: decimal point
)
_NL_EVIDENCE = ("dotN", "nl")
_EN_EVIDENCE = ("commaN", "en")
_CONVENTION_NAME = {",": "decimal comma (thousands dot)", ".": "decimal point (thousands comma)"}
_NOT_NUMERIC_CHAR = re.compile(r"[^0-9.,+\-\x1f]")
_AMBIGUOUS_DOT = re.compile(r"(?:^|\x1f)[-+]?\d{1,3}(?:\.\d{3})+(?=\x1f|$)")
_AMBIGUOUS_COMMA = re.compile(r"(?:^|\x1f)[-+]?\d{1,3}(?:,\d{3})+(?=\x1f|$)")


@dataclass(frozen=True)
class NumberParse:
    """Result of :func:`parse_number`: values, bad mask, a reason per bad value, the column's format."""

    values: pd.Series
    bad: pd.Series
    reasons: pd.Series
    format: str


def _classify_numbers(s: pd.Series) -> pd.Series:
    kind = pd.Series("bad", index=s.index, dtype=object)
    kind[s == ""] = "empty"
    todo = s != ""
    for name, pattern in _NUM_CLASSES:
        if not todo.any():
            break
        hit = s[todo].str.fullmatch(pattern).fillna(False).astype(bool)
        idx = hit.index[hit.to_numpy()]
        kind[idx] = name
        todo[idx] = False
    return kind


def _row_of(s: pd.Series, mask: pd.Series) -> tuple[object, str]:
    """(row label, value) of the first cell where ``mask`` holds."""
    i = int(np.argmax(mask.to_numpy()))
    return s.index[i], s.iloc[i]


def parse_number(
    raw: pd.Series,
    *,
    integer: bool = False,
    decimal: str | None = None,
    typed: pd.Series | None = None,
    stripped: bool = False,
) -> NumberParse:
    """Numbers of one column, with the column's decimal convention decided from *all* its values.

    A value such as ``1.234`` is a Dutch thousands separator (1234) or a decimal point (1.234)
    depending on the file. The column decides: a decimal comma anywhere (``12,5``, ``1.234,5``) or
    two thousands dots (``1.234.567``) make it Dutch, a decimal point with other than three digits
    (``12.5``) or ``1,234.5`` make it English. In a column of whole numbers (``integer=True``) a
    reading that would be a fraction is excluded (``1.234`` counts can only be 1234). A value whose
    reading is still open (a lone ``1.234`` among whole numbers) is refused as ambiguous, never
    guessed; so is a value that contradicts the column's convention (``1.5`` among ``12,5``).

    Parameters
    ----------
    decimal
        The convention the source layout declares: ``","`` (decimal comma, thousands dot) or ``"."``
        (decimal point, thousands comma); ``None`` = decide from the values.
    typed
        Boolean mask of cells that were typed numbers in a workbook (written as Python floats):
        parsed as such and not taken as evidence about the text format.

    Examples
    --------
    >>> r = parse_number(pd.Series(["12,5", "1.234", ""]))
    >>> r.values.tolist()[:2], r.format
    ([12.5, 1234.0], "decimal comma (thousands dot); evidence: row 0 '12,5'")
    >>> parse_number(pd.Series(["3", "1.234"])).reasons[1].split(":")[0]
    'ambiguous number'
    """
    if decimal not in (None, ",", "."):
        raise ValueError(f"decimal must be ',', '.' or None, not {decimal!r}")
    s = raw if stripped else clean_text(raw)
    s = s.astype(object)
    typed_vals = None
    if typed is not None and typed.any():
        typed = typed.reindex(s.index, fill_value=False).astype(bool)
        typed_vals = pd.to_numeric(s.where(typed), errors="coerce")
        s = s.where(~typed, "")
    joined = "\x1f".join(s.to_numpy(dtype=object))
    if " " in joined or "\u00a0" in joined:
        # Spaces (also non-breaking) group thousands in some exports: '1 234,5'.
        s = s.str.replace(r"[ \u00a0]", "", regex=True)
        joined = "\x1f".join(s.to_numpy(dtype=object))
    out = _fast_numbers(s, joined, decimal)
    if out is None:
        out = _slow_numbers(s, integer, decimal)
    num, bad, reasons, fmt = out
    if typed_vals is not None:
        num = num.where(typed_vals.isna(), typed_vals)
    num = num.where(np.isfinite(num))
    return NumberParse(num, bad, reasons, fmt)


def _fast_numbers(s: pd.Series, joined: str, decimal: str | None):
    """The usual columns (only decimal commas, only decimal points, only whole numbers) in C speed."""
    has_dot, has_comma = "." in joined, "," in joined
    if has_dot and has_comma:
        return None
    if has_comma and (decimal == "." or _AMBIGUOUS_COMMA.search(joined)):
        return None
    if has_dot and (decimal == "," or _AMBIGUOUS_DOT.search(joined)):
        return None
    if has_comma:
        dotted = joined.replace(",", ".")
        fast = _floats_of_joined(dotted, len(s))
        if fast is not None:
            text = None
        else:
            parts = dotted.split("\x1f") if len(s) else []
            text = pd.Series([p or None for p in parts], index=s.index, dtype=object)
        j = joined.index(",")
        k = joined.count("\x1f", 0, j)
        fmt = _CONVENTION_NAME[","] + f"; evidence: row {s.index[k]} '{s.iloc[k]}'"
    else:
        fast = _floats_of_joined(joined, len(s))
        text = None if fast is not None else s.where(s != "", None)
        if has_dot:
            k = joined.count("\x1f", 0, joined.index("."))
            fmt = _CONVENTION_NAME["."] + f"; evidence: row {s.index[k]} '{s.iloc[k]}'"
        else:
            fmt = "whole numbers only" if decimal is None else _CONVENTION_NAME[decimal] + " (declared)"
    if fast is not None:
        num = pd.Series(fast, index=s.index)
        return num, pd.Series(False, index=s.index), pd.Series(np.nan, index=s.index, dtype=object), fmt
    # Only digits, a sign and the decimal point may reach to_numeric ('inf', '1e5', '0x1' are no exports);
    # one search over the joined column decides whether any value needs a closer look.
    if _NOT_NUMERIC_CHAR.search(joined):
        ok_text = text.str.fullmatch(r"[-+]?(?:\d+\.?\d*|\.\d+)").fillna(True).astype(bool)
        text = text.where(ok_text, "x")
    num = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = num.isna() & text.notna()
    return num, bad, pd.Series(np.nan, index=s.index, dtype=object), fmt


_EMPTY_FIELD = re.compile(r"(?:^|(?<=\x1f))(?=\x1f|$)")


def _floats_of_joined(joined: str, n: int) -> np.ndarray | None:
    """Floats of a joined column whose every value is a plain number or empty, without a Python
    string per value (what keeps a million coordinates within the memory budget); else None.

    Only digits, signs, points and separators may occur; numpy's reader stops at the first value it
    cannot read ('1.2.3', '-'), so a count short of ``n`` sends the column to the per-value path.
    """
    if n == 0 or _NOT_NUMERIC_CHAR.search(joined) or "," in joined:
        return None
    text = _EMPTY_FIELD.sub("nan", joined).replace("\x1f", " ")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            out = np.fromstring(text, dtype=np.float64, sep=" ")
    except ValueError:
        return None
    return out if len(out) == n else None


def _slow_numbers(s: pd.Series, integer: bool, decimal: str | None):
    if len(s) > 64:
        codes, uniques = pd.factorize(s, use_na_sentinel=False)
        u = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
        kind_u = _classify_numbers(u)
        kind = kind_u.take(codes).set_axis(s.index)
    else:
        kind = _classify_numbers(s)
    k = kind.to_numpy(dtype=object)
    text = s.to_numpy(dtype=object)
    if integer:
        # A fractional reading is no count: 1.234 / 1,234 in a count column can only be thousands.
        frac1 = np.array([t[-3:] != "000" for t in text], dtype=bool) if len(text) else np.zeros(0, bool)
        dot_int = (k == "dot1") & frac1
        comma_int = (k == "comma1") & frac1
    else:
        dot_int = comma_int = np.zeros(len(k), dtype=bool)
    nl_ev = np.isin(k, _NL_EVIDENCE) | dot_int
    en_ev = np.isin(k, _EN_EVIDENCE) | comma_int
    reasons = pd.Series(np.nan, index=s.index, dtype=object)
    convention = decimal
    if convention is None:
        if nl_ev.any() and en_ev.any():
            convention = "," if nl_ev.sum() >= en_ev.sum() else "."
        elif nl_ev.any():
            convention = ","
        elif en_ev.any():
            convention = "."
    if convention is None:
        fmt = "whole numbers only"
    else:
        ev = nl_ev if convention == "," else en_ev
        if decimal is not None:
            fmt = _CONVENTION_NAME[convention] + " (declared by the source layout)"
        else:
            row, val = _row_of(s, pd.Series(ev, index=s.index))
            fmt = _CONVENTION_NAME[convention] + f"; evidence: row {row} '{val}'"
    num = np.full(len(k), np.nan)
    ints = k == "int"
    if ints.any():
        num[ints] = pd.to_numeric(pd.Series(text[ints]), errors="coerce").to_numpy(dtype="float64")
    if convention == ",":
        ok = np.isin(k, ["dot1", "dotN", "nl", "comma1"])
        vals = [t.replace(".", "").replace(",", ".") for t in text[ok]]
        wrong = np.isin(k, ["commaN", "en"])
    elif convention == ".":
        ok = np.isin(k, ["comma1", "commaN", "en", "dot1"])
        vals = [t.replace(",", "") for t in text[ok]]
        wrong = np.isin(k, ["dotN", "nl"])
    else:
        ok = np.zeros(len(k), dtype=bool)
        vals = []
        wrong = np.zeros(len(k), dtype=bool)
    if ok.any():
        num[ok] = pd.to_numeric(pd.Series(vals, dtype=object), errors="coerce").to_numpy(dtype="float64")
    if wrong.any():
        declared = "the source layout declares" if decimal is not None else "this column uses"
        where = fmt.split("; evidence: ")[-1] if decimal is None else ""
        reasons[wrong] = (
            f"mixed number formats: {declared} a {_CONVENTION_NAME[convention]}"
            + (f" (e.g. {where})" if where else "")
            + f", this value is written with a {'decimal point' if convention == ',' else 'decimal comma'}; "
            "expected one format per column: correct the value (or declare the layout's format)"
        )
    if convention is None:
        amb = np.isin(k, ["dot1", "comma1"])
        if amb.any():
            sub = pd.Series(text[amb], index=s.index[amb])
            sep_ch = sub.str.contains(".", regex=False)
            as_thousands = sub.str.replace(r"[.,]", "", regex=True)
            as_decimal = sub.str.replace(",", ".", regex=False)
            reasons[amb] = (
                "ambiguous number: '" + sub + "' is " + as_thousands + " with a thousands "
                + sep_ch.map({True: "dot", False: "comma"}) + " or " + as_decimal + " with a decimal "
                + sep_ch.map({True: "point", False: "comma"})
                + ", and no other value in this column says which; write it without a thousands separator, "
                "or declare the column's number format (decimal=',' or '.') for this source layout"
            )
    bad = pd.Series(np.isnan(num) & (k != "empty"), index=s.index)
    return pd.Series(num, index=s.index), bad, reasons, fmt


def parse_decimal(
    raw: pd.Series, *, stripped: bool = False, decimal: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Numbers with a decimal comma or point; the column's convention decided from all its values.

    ``"1.234,5"`` -> 1234.5; ``"92345,67"`` -> 92345.67; ``"12.5"`` alone -> 12.5. A column that mixes
    conventions, or a value whose reading is open (``"1.234"`` among whole numbers), is bad; see
    :func:`parse_number` for the reasons. Spaces inside numbers are ignored. Empty cells -> NaN, not bad.

    Examples
    --------
    >>> parse_decimal(pd.Series(["3,5", "", "twee", "1.234,5"]))
    (0       3.5
    1       NaN
    2       NaN
    3    1234.5
    dtype: float64, 0    False
    1    False
    2     True
    3    False
    dtype: bool)
    """
    r = parse_number(raw, stripped=stripped, decimal=decimal)
    return r.values, r.bad


def parse_int(raw: pd.Series, *, stripped: bool = False, decimal: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Whole numbers (``"12"``, ``"12,0"``, ``"1.234"`` as thousands) -> nullable ``Int64``; fractions and text are bad.

    Examples
    --------
    >>> v, bad = parse_int(pd.Series(["12", "3,5", "", "7,0"]))
    >>> v.tolist(), bad.tolist()
    ([12, <NA>, <NA>, 7], [False, True, False, False])
    """
    r = parse_number(raw, stripped=stripped, decimal=decimal, integer=True)
    num, bad = r.values, r.bad
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

    def discard(self, file: str, rows: Iterable[int]) -> None:
        """Forget the problems recorded for ``rows`` of ``file`` (their cause is reported instead)."""
        drop = set(int(r) for r in rows)
        self._parts = [p[~((p["file"] == file) & p["row"].isin(drop))] for p in self._parts]
        self._parts = [p for p in self._parts if len(p)]

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
