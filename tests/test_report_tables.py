"""The report's table builder: two-level headers, fixed column widths, landscape tables, design blocks."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from wijklib.report.content import design_blocks_html, table_html


def _frame() -> pd.DataFrame:
    df = pd.DataFrame({("wijk", ""): ["A", "B"], ("aantal", "op koers"): [1, 0], ("aantal", "onzeker"): [0, 2],
                       ("score", ""): [71.0, 80.0]})
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    return df


def test_two_level_columns_get_a_spanning_header_and_single_columns_span_both_rows():
    out = table_html(_frame())
    head = re.search(r"<thead>(.*)</thead>", out).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", head)
    assert len(rows) == 2
    assert re.findall(r"<th[^>]*>([^<]*)</th>", rows[0]) == ["Wijk", "Aantal", "Score"]
    assert 'colspan="2"' in rows[0] and rows[0].count('rowspan="2"') == 2
    assert re.findall(r"<th[^>]*>([^<]*)</th>", rows[1]) == ["Op koers", "Onzeker"]
    # the body keeps one cell per column, numbers formatted as in one-level tables
    body = re.findall(r"<tr>(.*?)</tr>", out.split("<tbody>")[1])
    assert [re.findall(r"<td[^>]*>([^<]*)</td>", r) for r in body] == [["A", "1", "0", "71,0"], ["B", "0", "2", "80,0"]]


def test_three_level_columns_are_refused():
    df = pd.DataFrame([[1]], columns=pd.MultiIndex.from_tuples([("a", "b", "c")]))
    with pytest.raises(ValueError, match="3 levels"):
        table_html(df)


def test_widths_give_a_fixed_layout_with_percentages_that_sum_to_100():
    out = table_html(_frame(), widths=[2, 1, 1, 4], css_class="x")
    widths = [float(w) for w in re.findall(r'<col style="width: ([\d.]+)%"/>', out)]
    assert widths == [25.0, 12.5, 12.5, 50.0]
    assert '<table class="x fixed">' in out
    with pytest.raises(ValueError, match="must be 4 positive numbers"):
        table_html(_frame(), widths=[1, 1, 1])
    with pytest.raises(ValueError, match="must be 4 positive numbers"):
        table_html(_frame(), widths=[1, 1, 0, 1])


def test_landscape_tables_are_wrapped_for_the_landscape_page_rule():
    from pathlib import Path

    import wijklib.report.content as r

    out = table_html(pd.DataFrame({"a": [1]}), landscape=True)
    assert out.startswith('<div class="landscape"><table>') and out.endswith("</div>")
    css = (Path(r.__file__).parent / "style.css").read_text(encoding="utf-8")
    assert "@page landscape { size: A4 landscape;" in css and ".landscape" in css
    assert "<div" not in table_html(pd.DataFrame({"a": [1]}))


def test_design_blocks_one_per_design_with_every_field():
    d = pd.DataFrame({"uitkomsten": ["Meldingen afval, Meldingen grofvuil", "Misdrijven (totaal)"],
                      "methode_technisch": ["gespreide DiD", "ITS"], "inferentie": ["bootstrap", "HAC"],
                      "vergelijkingswijken": [14, None], "waarom": ["<b>omdat</b>", "geen vergelijking"]})
    out = design_blocks_html(d)
    assert out.count('<table class="opzet">') == 2
    assert "Gekozen onderzoeksopzet 1 van 2" in out and "Gekozen onderzoeksopzet 2 van 2" in out
    assert "<th>Vergelijkingswijken</th><td>14</td>" in out and "<th>Vergelijkingswijken</th><td>–</td>" in out
    assert "&lt;b&gt;omdat&lt;/b&gt;" in out  # data-derived text is escaped
    assert "Gekozen onderzoeksopzet en waarom" in design_blocks_html(d.iloc[:1])
