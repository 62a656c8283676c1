"""wijklib.io: reading messy exports (encodings, separators, headers, xlsx) and the vectorised parsers."""

from __future__ import annotations

import gzip
import warnings

import pandas as pd
import pytest
from openpyxl import Workbook

from wijklib import io as wio
from wijklib.schemas import RAW_HEADERS, SCHEMAS, normalize_header, raw_columns, value_lookup


# ------------------------------------------------------------------------------------------------
# read_table
# ------------------------------------------------------------------------------------------------
def test_cp1252_is_detected_and_decoded(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes("Wijk;Opmerking\nCarnisse;café één\n".encode("cp1252"))
    df = wio.read_table(p, known_headers=["Wijk", "Opmerking"])
    assert df.attrs["encoding"] == "cp1252"
    assert df.loc[2, "Opmerking"] == "café één"


def test_utf8_bom_is_stripped_from_first_header(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes("\ufeffJaar;Wijkraad\n2023;tarwewijk\n".encode())
    df = wio.read_table(p, known_headers=["Jaar", "Wijkraad"])
    assert list(df.columns) == ["Jaar", "Wijkraad"]
    assert df.attrs["encoding"] == "utf-8-sig"


def test_utf16_with_bom(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes("Jaar\tWijkraad\n2023\tcafé\n".encode("utf-16"))
    df = wio.read_table(p, known_headers=["Jaar", "Wijkraad"])
    assert df.attrs["sep"] == "\t"
    assert df.loc[2, "Wijkraad"] == "café"


@pytest.mark.parametrize("sep", [";", ",", "\t", "|"])
def test_separator_is_sniffed_from_known_headers(tmp_path, sep):
    p = tmp_path / "x.csv"
    # Decimal commas in the data must not fool the sniffer when the separator is ';'.
    p.write_text(sep.join(["Wijkraad", "Startdatum", "Uren per week"]) + "\n" + sep.join(["a", "01-01-2020", "3"]) + "\n")
    df = wio.read_table(p, known_headers=["Wijkraad", "Startdatum", "Uren per week"])
    assert df.attrs["sep"] == sep
    assert list(df.columns) == ["Wijkraad", "Startdatum", "Uren per week"]


def test_title_lines_above_header_are_skipped_and_rows_keep_file_numbering(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("Export Wijk aan Zet\nper 01-01-2024\n\nWijkraad;Uren per week\ntarwewijk;3,5\n\nbloemhof;4\n\n")
    df = wio.read_table(p, known_headers=["Wijkraad", "Uren per week"])
    assert df.attrs["header_row"] == 4
    # Row numbers as a spreadsheet shows them: header on row 4, data on 5 and 7 (blank row 6 dropped).
    assert df.index.tolist() == [5, 7]
    assert df["Wijkraad"].tolist() == ["tarwewijk", "bloemhof"]


def test_quoted_fields_with_separator_and_newline(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text('Nr;Samenvatting\nS1;"veel afval; ook\nop zondag"\nS2;rustig\n')
    df = wio.read_table(p, known_headers=["Nr", "Samenvatting"])
    assert df.loc[2, "Samenvatting"] == "veel afval; ook\nop zondag"
    assert df.index.tolist() == [2, 3]  # records, as a spreadsheet numbers them


def test_gzip_csv(tmp_path):
    p = tmp_path / "x.csv.gz"
    p.write_bytes(gzip.compress(b"year,month\n2011,1\n"))
    df = wio.read_table(p, known_headers=["year", "month"])
    assert df.loc[2, "month"] == "1"


def test_xlsx_header_below_title_and_cell_types(tmp_path):
    import datetime as dt

    wb = Workbook()
    ws = wb.active
    ws.append(["Inzet handhaving 2021"])
    ws.append(["Wijkraad", "Week", "Inzet uren"])
    ws.append(["Tarwewijk", dt.datetime(2021, 1, 4), 12.0])
    ws.append(["Bloemhof", dt.datetime(2021, 1, 4, 8, 30), "7,5"])
    note = wb.create_sheet("LEESMIJ")
    note.append(["synthetisch"])
    p = tmp_path / "uren.xlsx"
    wb.save(p)
    df = wio.read_table(p, known_headers=["Wijkraad", "Week", "Inzet uren"])
    assert df.attrs["format"] == "xlsx" and df.attrs["sheet"] == "Sheet"
    assert df.index.tolist() == [3, 4]
    assert df.loc[3].tolist() == ["Tarwewijk", "2021-01-04", "12"]
    assert df.loc[4, "Week"] == "2021-01-04 08:30:00"
    assert df.loc[4, "Inzet uren"] == "7,5"


def test_empty_file_is_an_error(tmp_path):
    p = tmp_path / "leeg.csv"
    p.write_bytes(b"")
    with pytest.raises(wio.DataError, match=r"leeg\.csv: empty file"):
        wio.read_table(p)


def test_binary_file_is_an_error(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"\x00\x01\x02garbage\x00" * 10)
    with pytest.raises(wio.DataError, match=r"x\.csv: binary content"):
        wio.read_table(p)


def test_ragged_rows_name_file_and_separator(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("Wijkraad;Startdatum;Uren per week\ntarwewijk;01-01-2020;3\nbloemhof;01-01-2020;3;4;5\n")
    with pytest.raises(wio.DataError, match=r"x\.csv: rows do not split.*';'") as exc:
        wio.read_table(p, known_headers=["Wijkraad", "Startdatum", "Uren per week"])
    assert "row 3" in str(exc.value) and "5 fields where the header (row 1) has 3" in str(exc.value)


def test_resolve_paths_glob_list_and_errors(tmp_path):
    for y in (2019, 2018):
        (tmp_path / f"m_{y}.csv").write_text("a\n1\n")
    assert [p.name for p in wio.resolve_paths(str(tmp_path / "m_*.csv"))] == ["m_2018.csv", "m_2019.csv"]
    assert len(wio.resolve_paths([tmp_path / "m_2018.csv", tmp_path / "m_2019.csv"])) == 2
    with pytest.raises(wio.DataError, match="no files match"):
        wio.resolve_paths(str(tmp_path / "x_*.csv"))
    with pytest.raises(wio.DataError, match="does not exist"):
        wio.resolve_paths(tmp_path / "nope.csv")
    with pytest.raises(wio.DataError, match="is a folder"):
        wio.resolve_paths(tmp_path)


def test_match_headers_lists_columns_found_when_required_missing():
    with pytest.raises(wio.DataError) as exc:
        wio.match_headers(["Wijkraad", "Uren"], RAW_HEADERS["interventie"], file="i.csv",
                          required=["wijkraad_id", "start"])
    msg = str(exc.value)
    assert "i.csv" in msg and "'Startdatum' (start)" in msg and "Columns found: 'Wijkraad', 'Uren'" in msg


def test_match_headers_one_column_header_hints_at_separator():
    with pytest.raises(wio.DataError, match="separator was not recognised"):
        wio.match_headers(["Wijkraad|Startdatum"], RAW_HEADERS["interventie"], file="i.csv",
                          required=["wijkraad_id"])


def test_match_headers_two_columns_for_one_meaning():
    with pytest.raises(wio.DataError, match="'Startdatum' and 'Start' both mean 'start'"):
        wio.match_headers(["Startdatum", "Start"], RAW_HEADERS["interventie"], file="i.csv", required=[])


# ------------------------------------------------------------------------------------------------
# parsers
# ------------------------------------------------------------------------------------------------
def test_parse_dates_formats_and_bad_values():
    raw = pd.Series(["05-03-2021 14:07", "5-3-2021", "2021-03-05", "05/03/2021", "05-03-21",
                     "2021-03-05 14:07:09", "", "31-02-2021", "maandag"])
    out, bad = wio.parse_dates(raw)
    assert out.dtype == "datetime64[ns]"
    assert out[0] == pd.Timestamp("2021-03-05 14:07")
    assert (out[1:5] == pd.Timestamp("2021-03-05")).all()
    assert out[5] == pd.Timestamp("2021-03-05 14:07:09")
    assert bad.tolist() == [False] * 7 + [True, True]
    assert pd.isna(out[6])


def test_parse_dates_large_input_uses_distinct_values_and_agrees():
    days = pd.date_range("2017-01-01", periods=400, freq="D")
    raw = pd.Series(days.strftime("%d-%m-%Y %H:%M").tolist() * 50)
    out, bad = wio.parse_dates(raw)
    assert not bad.any()
    assert (out.to_numpy() == pd.DatetimeIndex(list(days) * 50).to_numpy()).all()


def test_parse_decimal_dutch_and_point():
    out, bad = wio.parse_decimal(pd.Series(["1.234,5", "92345,67", "12,5", " 7 ", "", "-3,25", "1,2,3"]))
    assert out[:4].tolist() == [1234.5, 92345.67, 12.5, 7.0]
    assert pd.isna(out[4]) and out[5] == -3.25
    assert bad.tolist() == [False] * 6 + [True]
    # A decimal point is read as such in a column that uses decimal points ...
    out, bad = wio.parse_decimal(pd.Series(["12.5", "7", "0.25"]))
    assert out.tolist() == [12.5, 7.0, 0.25] and not bad.any()
    # ... but one column holds one format: '12.5' among Dutch decimal commas is refused, not guessed.
    out, bad = wio.parse_decimal(pd.Series(["1.234,5", "92345,67", "12.5"]))
    assert bad.tolist() == [False, False, True]


def test_parse_int_rejects_fractions():
    out, bad = wio.parse_int(pd.Series(["3", "3,0", "3,5", "x", ""]))
    assert out.dtype == "Int64"
    assert out[:2].tolist() == [3, 3]
    assert bad.tolist() == [False, False, True, True, False]


def test_parse_bool_spellings():
    out, bad = wio.parse_bool(pd.Series(["ja", "Nee", "J", "n", "TRUE", "0", "soms", ""]))
    assert out[:6].tolist() == [True, False, True, False, True, False]
    assert bad.tolist() == [False] * 6 + [True, False]


def test_parse_category_aliases():
    out, bad = wio.parse_category(pd.Series(["Parkeeroverlast", "GROFVUIL", "Afval/naastplaatsing", "honden"]),
                                  value_lookup("categorie"))
    assert out[:3].tolist() == ["parkeren", "grofvuil", "afval"]
    assert bad.tolist() == [False, False, False, True]


# ------------------------------------------------------------------------------------------------
# ProblemLog
# ------------------------------------------------------------------------------------------------
def _log_with(n: int) -> tuple[wio.ProblemLog, pd.DataFrame]:
    idx = pd.Index(range(2, 2 + n), name="row")
    raw = pd.Series([f"v{i}" for i in range(n)], index=idx)
    log = wio.ProblemLog()
    log.add("f.csv", pd.Series(True, index=idx), "Kolom", raw, "expected something")
    df = pd.DataFrame({"__file": "f.csv", "__row": list(idx) + [99]})
    return log, df


def test_problem_message_shows_first_few_and_count():
    log, _ = _log_with(12)
    msg = log.message()
    assert msg.startswith("f.csv: 12 bad values")
    assert "f.csv row 2, column 'Kolom': found 'v0'; expected something" in msg
    assert "... and 7 more" in msg and "12 × Kolom: expected something" in msg
    assert "lenient=True" in msg


def test_raise_or_skip():
    log, df = _log_with(3)
    with pytest.raises(wio.DataError) as exc:
        log.raise_or_skip(df, lenient=False)
    assert len(exc.value.problems) == 3
    with pytest.warns(UserWarning, match="skipped 3 rows"):
        kept = log.raise_or_skip(df, lenient=True)
    assert kept["__row"].tolist() == [99]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert wio.ProblemLog().raise_or_skip(df, lenient=False) is df


# ------------------------------------------------------------------------------------------------
# schemas
# ------------------------------------------------------------------------------------------------
def test_every_source_has_headers_and_schema():
    for source, schema in SCHEMAS.items():
        headers = RAW_HEADERS[source]
        assert set(schema.columns) - {"buurt", "gebied_code"} <= set(headers) | set(), source
        assert raw_columns(source) == [a[0] for a in headers.values()]
        keys = [normalize_header(a) for aliases in headers.values() for a in aliases]
        # One raw header must not mean two canonical columns within a source.
        dup = {k for k in keys if keys.count(k) > 1}
        assert not dup, (source, dup)


def test_only_the_columns_a_loader_uses_are_read_but_all_are_listed(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("Wijkraad;Intern kenmerk;Startdatum;Opmerking\ntarwewijk;K1;01-01-2020;vrij\n")
    df = wio.read_table(p, known_headers=["Wijkraad", "Startdatum"], columns=["wijkraad", "startdatum"])
    assert list(df.columns) == ["Wijkraad", "Startdatum"]
    assert df.attrs["all_columns"] == ["Wijkraad", "Intern kenmerk", "Startdatum", "Opmerking"]
    # With a ragged row every column is read, so that the message can show the whole row.
    p.write_text("Wijkraad;Intern kenmerk;Startdatum;Opmerking\ntarwewijk;K1;01-01-2020\n")
    with pytest.raises(wio.DataError, match=r"row 2.*3 field\(s\) where the header \(row 1\) has 4"):
        wio.read_table(p, columns=["wijkraad", "startdatum"])


def test_compact_columns_hold_the_same_strings(tmp_path):
    p = tmp_path / "x.csv"
    rows = [f"{'tarwewijk' if i % 2 else 'bloemhof'};{i}" for i in range(25_000)]
    p.write_text("Wijkraad;Nr\n" + "\n".join(rows) + "\n")
    a = wio.read_table(p)
    b = wio.read_table(p, compact=True)
    assert str(b["Wijkraad"].dtype) == "category" and b["Nr"].dtype == object
    assert b["Wijkraad"].astype(object).tolist() == a["Wijkraad"].tolist() and b.index.equals(a.index)


def test_decide_encoding_reads_every_chunk():
    # The stray byte sits far beyond the first chunk: the decision uses all of the file.
    chunks = ["Wijk;Opmerking\nCarnisse;één\n".encode()] + [b"a;b\n" * 1000] * 3 + [b"x;caf\xe9\n"]
    with pytest.raises(wio.DataError, match=r"mixed encodings.*row 2 holds UTF-8.*row 3003 holds byte 0xE9"):
        wio.decide_encoding(chunks, "x.csv")
    assert wio.decide_encoding([b"a;b\n", b"caf\xe9\n"]).encoding == "cp1252"
