"""Hostile and malformed inputs, table-driven (issue 11): every case either raises a DataError whose
message names the file, the row (as a spreadsheet numbers it, header = row 1), the column and the value
(or, for whole-file problems, what the file is and what to do), or it loads *correctly* (values checked).
None may load silently wrong.

Classes: short/long rows, encodings, number formats, xlsx formulas without values, implausible dates,
content detection. The xlsx bombs are in ``test_xlsx_bombs.py`` (they run in a memory-limited subprocess).
"""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from wijklib import load
from wijklib.io import DataError
from wijklib.schemas import raw_columns

# ------------------------------------------------------------------------------------------------
# writers: raw lines, so that rows can be short, long or mis-encoded on purpose
# ------------------------------------------------------------------------------------------------
SEPS = {"meldingen": ";", "handhaving": ",", "handhaving_uren": ";", "politie": ";", "wijkprofiel": ";",
        "focusgebieden": ";", "wijkakkoorden": ";", "netwerk_overleggen": ",", "netwerk_samenwerking": ";",
        "signalen": ";", "interventie": ";"}

GOOD = {
    "meldingen": ["M-1;05-03-2021 14:07;08-03-2021 09:00;MeldR;Grofvuil;matras;BU05991571;92345,6;433210,1;afgehandeld;matras bij café",
                  "M-2;06-03-2021 08:15;;14010;parkeren;fout;BU05991574;91000,25;434000,75;open;één wiel op stoep",
                  "M-3;07-03-2021 22:40;10-03-2021 11:00;web;zwerfvuil;;BU05991571;;;doorgezet;"],
    "handhaving": ["Z1,04-01-2021,BU05991571,afval,controle,nee",
                   "Z2,05-01-2021,BU05991574,afval,waarschuwing,ja",
                   "Z3,06-01-2021,BU05991571,parkeren,proces-verbaal,ja"],
    "handhaving_uren": ["tarwewijk;04-01-2021;12,5", "bloemhof;04-01-2021;8", "tarwewijk;11-01-2021;10,25"],
    "politie": ["0;1.1.1;Diefstal/inbraak woning;BU05991571;2021MM03;4",
                "1;1.1.1;Diefstal/inbraak woning;BU05991571;2021MM04;2",
                "2;1.1.1;Diefstal/inbraak woning;BU05991574;2021MM03;7"],
    "wijkprofiel": ["2022;BU05991571;VI;diefstal;objectief;diefstal;93,4;120",
                    "2022;BU05991574;VI;diefstal;objectief;diefstal;101,5;98",
                    "2022;BU05991571;SI;zelfredzaamheid;subjectief;zelfredzaamheid;88;120"],
    "focusgebieden": ["BU05991571;Hyperfocus;01-01-2019;", "BU05991574;focus;01-06-2020;31-12-2022",
                      "BU05991081;focus;01-01-2021;"],
    "wijkakkoorden": ["2023;tarwewijk;schoon;n_afval;meldingen;daling",
                      "2023;bloemhof;veilig;n_misdrijven;politie;daling",
                      "2024;tarwewijk;schoon;n_afval;meldingen;daling"],
    "netwerk_overleggen": ["12-05-2022,tarwewijk,Wijkoverleg café,ja", "19-05-2022,bloemhof,netwerk,nee",
                           "26-05-2022,tarwewijk,schouw,ja"],
    "netwerk_samenwerking": ["tarwewijk;politie;2023-K2;schouw;3", "bloemhof;school;2023-K2;les;5",
                             "tarwewijk;politie;2023-K3;schouw;4"],
    "signalen": ["S1;03-02-2023;tarwewijk;Wijkhub-inloop;afval;negatief;Veel afval bij de school;nee",
                 "S2;10-02-2023;bloemhof;overleg;veilig;positief;Rustiger op het plein;ja",
                 "S3;17-02-2023;tarwewijk;wijkraad;afval;neutraal;Containers vol;ja"],
    "interventie": ["tarwewijk;01-03-2021;24,5", "bloemhof;;", "afrikaanderwijk;01-01-2023;42,0"],
}


def lines_file(tmp: Path, source: str, rows: list[str], *, name: str | None = None, encoding: str = "utf-8",
               header: list[str] | None = None, raw: bytes | None = None) -> Path:
    sep = SEPS[source]
    path = tmp / (name or f"{source}.csv")
    if raw is None:
        text = "\r\n".join([sep.join(header or raw_columns(source)), *rows]) + "\r\n"
        raw = text.encode(encoding)
    path.write_bytes(raw)
    return path


def xlsx_file(tmp: Path, source: str, rows: list[list], *, name: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(raw_columns(source))
    for r in rows:
        ws.append(r)
    path = tmp / (name or f"{source}.xlsx")
    wb.save(path)
    return path


def with_cached_values(path: Path, values: dict[str, str]) -> Path:
    """Give formula cells a cached value, as Excel does when it saves (openpyxl never writes one)."""
    with zipfile.ZipFile(path) as zin:
        items = {n: zin.read(n) for n in zin.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = items[sheet].decode()
    for ref, v in values.items():
        start = xml.index(f'<c r="{ref}"')
        end = xml.index("</c>", start)
        cell = xml[start:end].replace("<v />", "").replace("<v/>", "")
        xml = xml[:start] + cell + f"<v>{v}</v>" + xml[end:]
    items[sheet] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for n, data in items.items():
            zout.writestr(n, data)
    return path


# ------------------------------------------------------------------------------------------------
# the table
# ------------------------------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    cls: str
    source: str
    make: Callable[[Path], Path | list[Path]]
    #: substrings the error must contain (file, row, column, value, expectation); None = must load
    error: list[str] | None = None
    #: for loads: a check of the loaded table (must be correct, not merely load)
    check: Callable[[pd.DataFrame], None] | None = None
    kwargs: dict = field(default_factory=dict)


def _rows(source: str, i: int, new: str) -> list[str]:
    rows = list(GOOD[source])
    rows[i] = new
    return rows


def _eq(col: str, expected: list) -> Callable[[pd.DataFrame], None]:
    def check(df: pd.DataFrame) -> None:
        got = df[col].tolist()
        assert got == expected, f"{col}: {got} != {expected}"
    return check


def _ts(*s: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(x) for x in s]


CASES: list[Case] = []


def case(*args, **kwargs) -> None:
    CASES.append(Case(*args, **kwargs))


# --- 1. short and long rows: named by row, in every loader ---------------------------------------
case("short-interventie", "ragged", "interventie",
     lambda t: lines_file(t, "interventie", _rows("interventie", 0, "tarwewijk;01-03-2021")),
     ["interventie.csv row 2", "2 field(s) where the header (row 1) has 3", "'Uren per week'"])
case("short-interventie-start-missing", "ragged", "interventie",
     lambda t: lines_file(t, "interventie", _rows("interventie", 2, "afrikaanderwijk")),
     ["interventie.csv row 4", "1 field(s) where the header (row 1) has 3", "'Startdatum'"])
case("long-meldingen-unquoted-separator", "ragged", "meldingen",
     lambda t: lines_file(t, "meldingen", _rows("meldingen", 1, GOOD["meldingen"][1] + "; en een fiets"),
                          encoding="cp1252"),
     ["meldingen.csv row 3", "12 fields where the header (row 1) has 11", "' en een fiets'"])
case("long-handhaving-decimal-comma", "ragged", "handhaving",
     lambda t: lines_file(t, "handhaving", _rows("handhaving", 2, "Z3,06-01-2021,BU05991571,parkeren,proces-verbaal,ja,2,5")),
     ["handhaving.csv row 4", "8 fields where the header (row 1) has 6", "'2', '5'"])
case("short-signalen", "ragged", "signalen",
     lambda t: lines_file(t, "signalen", _rows("signalen", 1, "S2;10-02-2023;bloemhof;overleg")),
     ["signalen.csv row 3", "4 field(s) where the header (row 1) has 8", "'Thema'"])
case("short-politie", "ragged", "politie",
     lambda t: lines_file(t, "politie", _rows("politie", 2, "2;1.1.1;Diefstal/inbraak woning;BU05991574;2021MM03")),
     ["politie.csv row 4", "5 field(s) where the header (row 1) has 6", "'GeregistreerdeMisdrijven_1'"])
case("long-samenwerking", "ragged", "netwerk_samenwerking",
     lambda t: lines_file(t, "netwerk_samenwerking", _rows("netwerk_samenwerking", 0, "tarwewijk;politie;2023-K2;schouw;3;1")),
     ["netwerk_samenwerking.csv row 2", "6 fields where the header (row 1) has 5", "'1'"])
case("short-overleggen-after-quoted-newline", "ragged", "netwerk_overleggen",
     lambda t: lines_file(t, "netwerk_overleggen", ['12-05-2022,tarwewijk,"Wijkoverleg\nmet buren",ja',
                                                    "19-05-2022,bloemhof,netwerk"]),
     # The quoted line break is content: the short row is spreadsheet row 3, not line 4.
     ["netwerk_overleggen.csv row 3", "3 field(s) where the header (row 1) has 4"])
case("xlsx-value-beyond-header", "ragged", "handhaving_uren",
     lambda t: xlsx_file(t, "handhaving_uren", [["tarwewijk", "04-01-2021", "12,5"],
                                                ["bloemhof", "04-01-2021", 8, "3,5"]]),
     ["handhaving_uren.xlsx row 3", "column 'D'", "found '3,5'", "which has no header"])
case("short-focus-title-lines", "ragged", "focusgebieden",
     lambda t: lines_file(t, "focusgebieden", ["BU05991571;Hyperfocus;01-01-2019;", "BU05991574;focus"],
                          raw=("Focusgebieden export\r\n\r\n" + ";".join(raw_columns("focusgebieden"))
                               + "\r\nBU05991571;Hyperfocus;01-01-2019;\r\nBU05991574;focus\r\n").encode()),
     ["focusgebieden.csv row 5", "2 field(s) where the header (row 3) has 4"])
case("short-wijkakkoorden-lenient-skips-and-lists", "ragged", "wijkakkoorden",
     lambda t: lines_file(t, "wijkakkoorden", _rows("wijkakkoorden", 1, "2023;bloemhof;veilig")),
     None, check=lambda df: (_eq("wijkraad_id", ["tarwewijk", "tarwewijk"])(df),
                             _skipped_rows(df, [3])), kwargs={"lenient": True})


def _skipped_rows(df: pd.DataFrame, rows: list[int]) -> None:
    assert sorted({s["row"] for s in df.attrs["skipped"]}) == rows, df.attrs["skipped"]


# --- 2. encodings: decided per file, with evidence ------------------------------------------------
def _utf8_with_stray_byte(t: Path) -> Path:
    rows = [r for r in GOOD["signalen"]]
    rows[0] = rows[0].replace("Veel afval", "Veel afval bij café")
    text = ("\r\n".join([";".join(raw_columns("signalen")), *rows]) + "\r\n").encode("utf-8")
    # One stray Windows-1252 'ë' (0xEB) in row 4 of an otherwise UTF-8 file.
    text = text.replace(b"Containers vol", b"Containers vol, Ko\xebn")
    return lines_file(t, "signalen", [], raw=text)


case("utf8-with-one-stray-byte", "encoding", "signalen", _utf8_with_stray_byte,
     ["signalen.csv", "mixed encodings", "row 2 holds UTF-8 ('é'", "row 4 holds byte 0xEB"])
case("bom-utf8-with-cp1252-byte", "encoding", "netwerk_overleggen",
     lambda t: lines_file(t, "netwerk_overleggen", [], raw=b"\xef\xbb\xbf" + ("\r\n".join(
         [",".join(raw_columns("netwerk_overleggen")), *GOOD["netwerk_overleggen"]])).encode("cp1252")),
     ["netwerk_overleggen.csv", "mixed encodings", "UTF-8 byte order mark", "row 2 holds byte 0xE9"])
case("utf8-truncated-multibyte", "encoding", "meldingen",
     lambda t: lines_file(t, "meldingen", [], raw=("\r\n".join([";".join(raw_columns("meldingen")),
                                                                  *GOOD["meldingen"]]) + "\r\n").encode("utf-8")[:-6]
                          + b"\xc3"),
     ["meldingen.csv", "mixed encodings"])
case("cp1252-genuine-loads-with-reason", "encoding", "netwerk_overleggen",
     lambda t: lines_file(t, "netwerk_overleggen", GOOD["netwerk_overleggen"], encoding="cp1252"),
     None, check=lambda df: (_eq("type", ["Wijkoverleg café", "netwerk", "schouw"])(df),
                             _reason(df, "cp1252", "none forms a UTF-8 sequence")))
case("latin1-genuine-loads", "encoding", "signalen",
     lambda t: lines_file(t, "signalen", _rows("signalen", 1, "S2;10-02-2023;bloemhof;overleg;veilig;positief;Rustiger, geen ruzie meer à l'école;ja"),
                          encoding="latin-1"),
     None, check=lambda df: (_eq("tekst", ["Veel afval bij de school", "Rustiger, geen ruzie meer à l'école",
                                           "Containers vol"])(df), _reason(df, "cp1252", "Windows-1252")))
case("utf8-loads-with-reason", "encoding", "meldingen",
     lambda t: lines_file(t, "meldingen", GOOD["meldingen"], encoding="utf-8"),
     None, check=lambda df: (_eq("omschrijving", ["matras bij café", "één wiel op stoep", "nan"])(df.fillna({"omschrijving": "nan"})),
                             _reason(df, "utf-8", "valid UTF-8 throughout")))
case("utf16-without-bom-loads", "encoding", "interventie",
     lambda t: lines_file(t, "interventie", GOOD["interventie"], encoding="utf-16-le"),
     None, check=lambda df: (_close(df["uren_per_week"].tolist(), [24.5, float("nan"), 42.0]),
                             _eq("wijkraad_id", ["tarwewijk", "bloemhof", "afrikaanderwijk"])(df),
                             _reason(df, "utf-16-le", "every second byte is 0")))
case("cp1252-undefined-byte", "encoding", "wijkakkoorden",
     lambda t: lines_file(t, "wijkakkoorden", [], raw=("\r\n".join([";".join(raw_columns("wijkakkoorden")),
                                                                      *GOOD["wijkakkoorden"]])).encode()
                          .replace(b"bloemhof;veilig", b"bloemhof;veil\x81g")),
     ["wijkakkoorden.csv", "row 3", "0x81", "neither UTF-8 nor a character in Windows-1252"])


def _reason(df: pd.DataFrame, encoding: str, why: str) -> None:
    f = df.attrs["report"].files[0]
    assert f["encoding"] == encoding, f
    assert why in f["encoding_reason"], f["encoding_reason"]


# --- 3. Dutch number formats: decided per column (or declared per layout) --------------------------
case("count-1.000-alone-is-ambiguous", "numbers", "netwerk_samenwerking",
     lambda t: lines_file(t, "netwerk_samenwerking", _rows("netwerk_samenwerking", 1, "bloemhof;school;2023-K2;les;1.000")),
     ["netwerk_samenwerking.csv row 3", "column 'Aantal'", "found '1.000'", "ambiguous number", "decimal="])
case("count-1.234-is-thousands", "numbers", "netwerk_samenwerking",
     lambda t: lines_file(t, "netwerk_samenwerking", _rows("netwerk_samenwerking", 1, "bloemhof;school;2023-K2;les;1.234")),
     None, check=_eq("aantal", [3, 1234, 4]))
case("count-1.000-with-thousands-evidence", "numbers", "netwerk_samenwerking",
     lambda t: lines_file(t, "netwerk_samenwerking", ["tarwewijk;politie;2023-K2;schouw;1.000",
                                                      "bloemhof;school;2023-K2;les;2.500",
                                                      "tarwewijk;politie;2023-K3;schouw;4"]),
     None, check=_eq("aantal", [1000, 2500, 4]))
case("hours-1.234-in-dutch-column", "numbers", "handhaving_uren",
     lambda t: lines_file(t, "handhaving_uren", _rows("handhaving_uren", 1, "bloemhof;04-01-2021;1.234")),
     None, check=_eq("uren", [12.5, 1234.0, 10.25]))
case("hours-lone-1.234-is-ambiguous", "numbers", "handhaving_uren",
     lambda t: lines_file(t, "handhaving_uren", ["tarwewijk;04-01-2021;12", "bloemhof;04-01-2021;1.234",
                                                 "tarwewijk;11-01-2021;10"]),
     ["handhaving_uren.csv row 3", "column 'Inzet uren'", "found '1.234'", "1234 with a thousands dot or 1.234"])
case("hours-declared-decimal-point", "numbers", "handhaving_uren",
     lambda t: lines_file(t, "handhaving_uren", ["tarwewijk;04-01-2021;12", "bloemhof;04-01-2021;1.234",
                                                 "tarwewijk;11-01-2021;10"]),
     None, check=_eq("uren", [12.0, 1.234, 10.0]), kwargs={"decimal": "."})
case("rd-x-97.483-in-metres", "numbers", "meldingen",
     lambda t: lines_file(t, "meldingen", _rows("meldingen", 1, GOOD["meldingen"][1].replace("91000,25", "97.483")),
                          encoding="cp1252"),
     None, check=lambda df: _close(df["x"].tolist()[:2], [92345.6, 97483.0]))
case("decimal-point-among-decimal-commas", "numbers", "wijkprofiel",
     lambda t: lines_file(t, "wijkprofiel", _rows("wijkprofiel", 2, "2022;BU05991571;SI;zelfredzaamheid;subjectief;zelfredzaamheid;88.5;120")),
     ["wijkprofiel.csv row 4", "column 'Score'", "found '88.5'", "mixed number formats", "row 2 '93,4'"])
case("english-column-loads", "numbers", "wijkprofiel",
     lambda t: lines_file(t, "wijkprofiel", ["2022;BU05991571;VI;diefstal;objectief;diefstal;93.4;120",
                                             "2022;BU05991574;VI;diefstal;objectief;diefstal;101.5;98",
                                             "2022;BU05991571;SI;zelfredzaamheid;subjectief;zelfredzaamheid;88;120"]),
     None, check=_eq("waarde", [93.4, 101.5, 88.0]))
case("politie-count-1.000-ambiguous", "numbers", "politie",
     lambda t: lines_file(t, "politie", _rows("politie", 0, "0;1.1.1;Diefstal/inbraak woning;BU05991571;2021MM03;1.000")),
     ["politie.csv row 2", "column 'GeregistreerdeMisdrijven_1'", "found '1.000'", "ambiguous"])
case("count-two-thousands-dots", "numbers", "netwerk_samenwerking",
     lambda t: lines_file(t, "netwerk_samenwerking", _rows("netwerk_samenwerking", 2, "tarwewijk;politie;2023-K3;schouw;1.234.567")),
     None, check=_eq("aantal", [3, 5, 1234567]))
case("hours-mixed-thousands-comma", "numbers", "interventie",
     lambda t: lines_file(t, "interventie", ["tarwewijk;01-03-2021;24.5", "bloemhof;;", "afrikaanderwijk;01-01-2023;1,250.5"]),
     None, check=lambda df: _close(df["uren_per_week"].tolist(), [24.5, float("nan"), 1250.5]))
case("xlsx-typed-floats-with-dutch-text", "numbers", "handhaving_uren",
     lambda t: xlsx_file(t, "handhaving_uren", [["tarwewijk", "04-01-2021", "12,5"], ["bloemhof", "04-01-2021", 1.234],
                                                ["tarwewijk", "11-01-2021", "1.500"]]),
     # 1.234 typed as a number in Excel is 1.234; the text '1.500' in a Dutch column is 1500.
     None, check=lambda df: _close(df["uren"].tolist(), [12.5, 1.234, 1500.0]))


def _close(got: list[float], expected: list[float]) -> None:
    assert len(got) == len(expected) and all(
        (pd.isna(g) and pd.isna(e)) or abs(g - e) < 1e-9 for g, e in zip(got, expected, strict=True)), got


# --- 4. xlsx: formulas without a cached value -----------------------------------------------------
case("formula-no-cache-wijkprofiel", "formula", "wijkprofiel",
     lambda t: xlsx_file(t, "wijkprofiel", [[2022, "BU05991571", "VI", "diefstal", "objectief", "diefstal", 93.4, 120],
                                            [2022, "BU05991574", "VI", "diefstal", "objectief", "diefstal", "=G2*1.1", 98]]),
     ["wijkprofiel.xlsx", "sheet 'Data'", "cell G3", "recalculate"])
case("formula-no-cache-uren", "formula", "handhaving_uren",
     lambda t: xlsx_file(t, "handhaving_uren", [["tarwewijk", "04-01-2021", 12], ["bloemhof", "04-01-2021", "=C2/2"],
                                                ["tarwewijk", "11-01-2021", "=SUM(C2:C3)"]]),
     ["handhaving_uren.xlsx", "sheet 'Data'", "cell C3, C4", "Excel or LibreOffice"])
case("formula-no-cache-meldingen-id", "formula", "meldingen",
     lambda t: xlsx_file(t, "meldingen", [["M-1", "05-03-2021 14:07", "", "MeldR", "grofvuil", "", "BU05991571", "", "", "open", ""],
                                          ['="M-"&2', "06-03-2021 08:15", "", "web", "afval", "", "BU05991571", "", "", "open", ""]],
                         name="meldingen_2021.xlsx"),
     ["meldingen_2021.xlsx", "cell A3", "formula without a calculated value"])
case("formula-with-cached-value-loads", "formula", "handhaving_uren",
     lambda t: with_cached_values(xlsx_file(t, "handhaving_uren", [["tarwewijk", "04-01-2021", 12],
                                                                   ["bloemhof", "04-01-2021", "=C2/2"]]), {"C3": "6"}),
     None, check=_eq("uren", [12.0, 6.0]))


# --- 5. implausible dates: against the period of the file (name or period=) and plausibility ------
case("1999-in-a-2025-export", "dates", "meldingen",
     lambda t: lines_file(t, "meldingen", [r.replace("2021", "2025") for r in GOOD["meldingen"][:2]]
                          + [GOOD["meldingen"][2].replace("07-03-2021", "07-03-1999").replace("10-03-2021", "10-03-2025")],
                          name="meldingen_2025.csv", encoding="cp1252"),
     ["meldingen_2025.csv row 4", "column 'Datum melding'", "found '07-03-1999 22:40'",
      "period in the file name", "01-01-2025 to 31-12-2025"])
case("two-digit-year-without-evidence", "dates", "netwerk_overleggen",
     lambda t: lines_file(t, "netwerk_overleggen", ["15-06-00,tarwewijk,overleg,ja", "16-06-00,bloemhof,overleg,nee",
                                                    "17-06-00,tarwewijk,schouw,ja"]),
     ["netwerk_overleggen.csv row 2", "column 'Datum'", "found '15-06-00'", "two-digit year", "four digits"])
case("two-digit-year-resolved-by-file-period", "dates", "signalen",
     lambda t: lines_file(t, "signalen", [r.replace("-2023", "-23") for r in GOOD["signalen"]], name="signalen_2023.csv"),
     None, check=_eq("datum", _ts("2023-02-03", "2023-02-10", "2023-02-17")))
case("two-digit-year-outside-four-digit-evidence", "dates", "handhaving",
     lambda t: lines_file(t, "handhaving", _rows("handhaving", 1, "Z2,15-06-00,BU05991574,afval,waarschuwing,ja")),
     ["handhaving.csv row 3", "column 'Datum'", "found '15-06-00'", "two-digit year read as 2000", "2021-2021"])
case("declared-period-refuses", "dates", "handhaving",
     lambda t: lines_file(t, "handhaving", GOOD["handhaving"]),
     ["handhaving.csv row 2", "column 'Datum'", "found '04-01-2021'", "period declared", "01-01-2022 to 31-12-2022"],
     kwargs={"period": 2022})
case("isolated-old-date-without-period", "dates", "handhaving",
     lambda t: lines_file(t, "handhaving", [f"Z{i},{(i % 27) + 1:02d}-0{(i % 9) + 1}-2025,BU05991571,afval,controle,nee"
                                            for i in range(60)] + ["Z99,02-01-1999,BU05991571,afval,controle,nee"]),
     ["handhaving.csv row 62", "found '02-01-1999'", "26 years away from every other date", "2025-2025"])
case("politie-period-outside-file-name", "dates", "politie",
     lambda t: lines_file(t, "politie", _rows("politie", 2, "2;1.1.1;Diefstal/inbraak woning;BU05991574;2019MM03;7"),
                          name="politie_2021.csv"),
     ["politie_2021.csv row 4", "column 'Perioden'", "found '2019MM03'", "01-01-2021 to 31-12-2021"])
case("week-of-29-12-in-next-year-file-loads", "dates", "handhaving_uren",
     lambda t: lines_file(t, "handhaving_uren", ["tarwewijk;29-12-2025;12,5", "bloemhof;05-01-2026;8"],
                          name="uren_2026.csv"),
     None, check=_eq("week", _ts("2025-12-29", "2026-01-05")))
case("closing-date-after-period-loads", "dates", "meldingen",
     lambda t: lines_file(t, "meldingen", [GOOD["meldingen"][0].replace("05-03-2021", "30-12-2021").replace("08-03-2021", "04-01-2022")],
                          name="meldingen_2021.csv", encoding="cp1252"),
     None, check=_eq("afgehandeld", _ts("2022-01-04 09:00")))
case("quarter-outside-declared-period", "dates", "netwerk_samenwerking",
     lambda t: lines_file(t, "netwerk_samenwerking", GOOD["netwerk_samenwerking"]),
     ["netwerk_samenwerking.csv row 2", "column 'Kwartaal'", "found '2023-K2'", "01-07-2023 to 30-09-2023"],
     kwargs={"period": ("2023-07-01", "2023-09-30")})


# --- 6. content detection: what the file really is --------------------------------------------------
def _xlsx_named_csv(t: Path) -> Path:
    p = xlsx_file(t, "interventie", [["tarwewijk", "01-03-2021", 24.5], ["bloemhof", None, None]])
    return p.rename(t / "interventie.csv")


def _gzip_named_csv(t: Path) -> Path:
    p = lines_file(t, "wijkakkoorden", GOOD["wijkakkoorden"])
    p.write_bytes(gzip.compress(p.read_bytes()))
    return p


def _csv_named_xlsx(t: Path) -> Path:
    return lines_file(t, "handhaving_uren", GOOD["handhaving_uren"], name="uren.xlsx")


def _zip_named_csv(t: Path) -> Path:
    p = t / "signalen.csv"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("signalen_export.csv", "Nr;Datum\n")
    return p


case("xlsx-named-csv-loads", "content", "interventie", _xlsx_named_csv,
     None, check=lambda df: (_eq("wijkraad_id", ["tarwewijk", "bloemhof"])(df), _detected(df, "workbook named .csv")))
case("gzip-named-csv-loads", "content", "wijkakkoorden", _gzip_named_csv,
     None, check=lambda df: (_eq("jaar", [2023, 2023, 2024])(df), _detected(df, "gzip-compressed")))
case("csv-named-xlsx-loads", "content", "handhaving_uren", _csv_named_xlsx,
     None, check=lambda df: (_eq("uren", [12.5, 8.0, 10.25])(df), _detected(df, "text (CSV) file named .xlsx")))
case("html-saved-as-xls", "content", "meldingen",
     lambda t: lines_file(t, "meldingen", [], name="meldingen.xls",
                          raw=b"<html><head><meta charset='utf-8'></head><body><table><tr><td>Meldingnummer</td></tr></table></body></html>"),
     ["meldingen.xls", "HTML page", "save it as .xlsx"])
case("empty-file", "content", "focusgebieden",
     lambda t: lines_file(t, "focusgebieden", [], raw=b""),
     ["focusgebieden.csv", "empty file (0 bytes)"])
case("blank-lines-only", "content", "signalen",
     lambda t: lines_file(t, "signalen", [], raw=b"\r\n  \r\n\r\n"),
     ["signalen.csv", "empty file"])
case("zip-archive-named-csv", "content", "signalen", _zip_named_csv,
     ["signalen.csv", "zip archive", "signalen_export.csv", "unpack it"])
case("old-xls-binary", "content", "wijkprofiel",
     lambda t: lines_file(t, "wijkprofiel", [], name="wijkprofiel.xls", raw=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
     ["wijkprofiel.xls", "Excel 97-2003", "save it as .xlsx"])
case("pdf-named-csv", "content", "politie",
     lambda t: lines_file(t, "politie", [], raw=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
     ["politie.csv", "PDF document"])
case("header-only", "content", "interventie",
     lambda t: lines_file(t, "interventie", []),
     ["interventie.csv", "header (row 1) but no data rows"])

case("xml-spreadsheet-2003-as-xls", "content", "handhaving_uren",
     lambda t: lines_file(t, "handhaving_uren", [], name="uren.xls", raw=b'<?xml version="1.0"?>\n<Workbook '
                          b'xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet/></Workbook>'),
     ["uren.xls", "Excel 2003 XML spreadsheet", "save it as .xlsx"])
case("encrypted-xlsx", "content", "wijkprofiel",
     lambda t: lines_file(t, "wijkprofiel", [], name="wijkprofiel.xlsx",
                          raw=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "EncryptedPackage".encode("utf-16-le")),
     ["wijkprofiel.xlsx", "password-protected", "remove the password"])
case("ods-named-xlsx", "content", "wijkprofiel",
     lambda t: _ods(t / "wijkprofiel.xlsx"),
     ["wijkprofiel.xlsx", "OpenDocument spreadsheet", "save it as .xlsx"])
# more variants across sources
case("formula-no-cache-in-date-column", "formula", "handhaving",
     lambda t: xlsx_file(t, "handhaving", [["Z1", "04-01-2021", "BU05991571", "afval", "controle", "nee"],
                                           ["Z2", "=B2+1", "BU05991571", "afval", "controle", "nee"]]),
     ["handhaving.xlsx", "cell B3", "recalculate"])
case("utf8-bom-loads", "encoding", "wijkakkoorden",
     lambda t: lines_file(t, "wijkakkoorden", GOOD["wijkakkoorden"], encoding="utf-8-sig"),
     None, check=lambda df: (_eq("jaar", [2023, 2023, 2024])(df), _reason(df, "utf-8-sig", "ASCII only")))
case("single-cp1252-byte-in-ascii-file", "encoding", "signalen",
     # One 'ë' and nothing else beyond ASCII: Windows-1252 is the only reading, and it is recorded.
     lambda t: lines_file(t, "signalen", _rows("signalen", 2, "S3;17-02-2023;tarwewijk;wijkraad;afval;neutraal;Containers vol bij Koën;ja"),
                          encoding="cp1252"),
     None, check=lambda df: (_eq("tekst", ["Veel afval bij de school", "Rustiger op het plein", "Containers vol bij Koën"])(df),
                             _reason(df, "cp1252", "1 byte(s) >= 0x80 and none forms a UTF-8 sequence (first 0xEB in row 4)")))
case("date-before-1990", "dates", "focusgebieden",
     lambda t: lines_file(t, "focusgebieden", _rows("focusgebieden", 1, "BU05991574;focus;01-06-1985;")),
     ["focusgebieden.csv row 3", "column 'Startdatum'", "found '01-06-1985'", "implausible"])
case("two-digit-year-interventie", "dates", "interventie",
     lambda t: lines_file(t, "interventie", ["tarwewijk;01-03-21;24,5", "bloemhof;;", "afrikaanderwijk;01-01-23;42,0"]),
     ["interventie.csv row 2", "column 'Startdatum'", "found '01-03-21'", "two-digit year"])
case("rd-y-433.210-in-dutch-column", "numbers", "meldingen",
     lambda t: lines_file(t, "meldingen", _rows("meldingen", 0, GOOD["meldingen"][0].replace("433210,1", "433.210")),
                          encoding="cp1252"),
     None, check=lambda df: _close(df["y"].tolist()[:2], [433210.0, 434000.75]))
case("xlsx-value-in-unnamed-middle-column", "ragged", "wijkakkoorden",
     lambda t: _unnamed_middle(t),
     ["wijkakkoorden.xlsx row 3", "column 'C'", "found 'extra'", "which has no header"])


def _ods(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    return path


def _unnamed_middle(t: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["Jaar", "Wijkraad", None, "Prioriteit", "Indicator", "Bron", "Gewenste richting"])
    ws.append([2023, "tarwewijk", None, "schoon", "n_afval", "meldingen", "daling"])
    ws.append([2023, "bloemhof", "extra", "veilig", "n_misdrijven", "politie", "daling"])
    p = t / "wijkakkoorden.xlsx"
    wb.save(p)
    return p


def _detected(df: pd.DataFrame, what: str) -> None:
    f = df.attrs["report"].files[0]
    assert what in (f.get("detected") or ""), f


# ------------------------------------------------------------------------------------------------
def test_the_table_covers_every_class_and_enough_cases():
    per_class = pd.Series([c.cls for c in CASES]).value_counts()
    assert len(CASES) >= 60, len(CASES)
    assert set(per_class.index) == {"ragged", "encoding", "numbers", "formula", "dates", "content"}
    assert (per_class >= 3).all(), per_class.to_dict()
    assert len({c.id for c in CASES}) == len(CASES)
    assert len({c.source for c in CASES}) == 11


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input(tmp_path, c: Case):
    paths = c.make(tmp_path)
    loader = load.LOADERS[c.source]
    kwargs = {"validate_units": False, **c.kwargs}
    if c.error is not None:
        with pytest.raises(DataError) as exc:
            loader(paths, **kwargs)
        msg = str(exc.value)
        missing = [s for s in c.error if s not in msg]
        assert not missing, f"message lacks {missing}:\n{msg}"
    else:
        if c.kwargs.get("lenient"):
            with pytest.warns(UserWarning, match="skipped"):
                df = loader(paths, **kwargs)
        else:
            df = loader(paths, **kwargs)
        c.check(df)
