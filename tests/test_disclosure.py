"""Disclosure control: small counts as "<5", personal data never published."""

from __future__ import annotations

import pandas as pd
import pytest

from wijklib import disclosure


@pytest.mark.parametrize(("value", "shown"), [(0, "0"), (1, "<5"), (4, "<5"), (4.0, "<5"), (5, "5"),
                                              (1234, "1.234"), (None, "–"), (float("nan"), "–")])
def test_format_count(value, shown):
    assert disclosure.format_count(value) == shown


def test_suppress_small_only_counts_and_does_not_mutate():
    df = pd.DataFrame({"thema": ["afval", "jeugd", "parkeren"], "aantal": [3, 0, 12], "rate": [0.5, 1.5, 2.5]})
    before = df.copy()
    out = disclosure.suppress_small(df)
    assert out["aantal"].tolist() == ["<5", "0", "12"]
    assert out["rate"].tolist() == [0.5, 1.5, 2.5]  # floats are not counts
    pd.testing.assert_frame_equal(df, before)


def test_suppress_small_unknown_column_is_named():
    with pytest.raises(KeyError, match="column 'n' not in table"):
        disclosure.suppress_small(pd.DataFrame({"a": [1]}), columns=["n"])


@pytest.mark.parametrize("text", [
    "Bel mevr. Jansen op 06-12345678",
    "mail naar piet.de.vries@example.nl",
    "afval bij Dorpsweg 12a al weken",
    "postcode 3072 AB 14 overlast",
])
def test_scrub_removes_personal_data(text):
    out = disclosure.scrub(text)
    assert "[verwijderd]" in out
    for secret in ("Jansen", "12345678", "example.nl", "Dorpsweg 12", "3072 AB"):
        assert secret not in out


def test_scrub_keeps_plain_text():
    assert disclosure.scrub("Veel zwerfvuil rond het winkelcentrum") == "Veel zwerfvuil rond het winkelcentrum"


def test_drop_personal_columns():
    df = pd.DataFrame({"thema": ["a"], "tekst": ["x"], "Omschrijving": ["y"], "aantal": [1]})
    assert disclosure.drop_personal(df).columns.tolist() == ["thema", "aantal"]


def test_report_tables_apply_the_rule():
    from wijklib.report.content import table_html

    html = table_html(pd.DataFrame({"wijk": ["A", "B"], "aantal": [2, 40]}), counts=["aantal"])
    assert "&lt;5" in html and ">40<" in html and ">2<" not in html


def test_no_small_count_can_be_derived_from_published_totals():
    """Secondary disclosure: with the row and column totals published (chart, text), no line of the
    table holds exactly one hidden cell next to shown non-zero cells, and every small count is hidden."""
    import numpy as np

    from wijklib.disclosure import suppression_mask

    rng = np.random.default_rng(4)
    for _ in range(300):
        t = pd.DataFrame(rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 14, 30], size=(rng.integers(1, 7), rng.integers(1, 5))))
        hide = suppression_mask(t).to_numpy()
        v = t.to_numpy()
        assert hide[(v > 0) & (v < 5)].all()
        for lines_h, lines_v in ((hide, v), (hide.T, v.T)):
            for h, x in zip(lines_h, lines_v, strict=True):
                if h.sum() == 1:
                    # the only way a single hidden cell is allowed: nothing else in the line to subtract
                    assert not ((~h) & (x > 0)).any(), (t, hide)


def test_signal_table_hides_the_complement_of_a_lone_small_count():
    from wijklib.disclosure import suppression_mask
    from wijklib.report.content import table_html

    w = pd.DataFrame({"thema": ["afval", "jeugd"], "2024": [3, 10], "2025": [6, 12]})
    hide = suppression_mask(w.set_index("thema")).reset_index(drop=True)
    out = table_html(w, counts=["2024", "2025"], hidden=hide)
    assert "&lt;5" in out and ">x<" in out and ">6<" not in out


def _possible_values(hidden_values, threshold=5):
    """Brute force: the values each hidden cell of a line can take, given their sum and what a reader
    knows (``<5`` is 1..4, ``x`` is at least 5)."""
    import itertools

    total = sum(hidden_values)
    ranges = [range(1, threshold) if 0 < v < threshold else range(threshold, total + 1) for v in hidden_values]
    seen = [set() for _ in hidden_values]
    for combo in itertools.product(*ranges):
        if sum(combo) == total:
            for s, c in zip(seen, combo, strict=True):
                s.add(c)
    return seen


def test_no_hidden_cell_is_pinned_by_its_line_total_and_the_reader_s_bounds():
    """Interval disclosure: two '<5' cells summing to 8 are both 4, a '<5' and an 'x' summing to 6 are 1 and 5.
    Checked by brute force on random tables with row and column totals published: every hidden cell of a
    line that still has a shown non-zero cell can take at least two values."""
    import numpy as np

    from wijklib.disclosure import suppression_mask

    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(400):
        t = pd.DataFrame(rng.choice([0, 1, 3, 4, 4, 5, 6, 7, 12], size=(rng.integers(1, 5), rng.integers(2, 5))))
        hide = suppression_mask(t).to_numpy()
        v = t.to_numpy()
        assert hide[(v > 0) & (v < 5)].all()
        for lines_h, lines_v in ((hide, v), (hide.T, v.T)):
            for h, x in zip(lines_h, lines_v, strict=True):
                if not h.any() or not ((~h) & (x > 0)).any():
                    continue  # nothing hidden, or nothing left to hide (the callers do not publish that total)
                for cell, vals in zip(x[h], _possible_values(list(x[h])), strict=True):
                    checked += 1
                    assert len(vals) >= 2, (t, hide, cell, vals)
    assert checked > 300


def test_the_two_exposures_of_the_docstring_are_protected():
    from wijklib.disclosure import suppression_mask

    four_four = pd.DataFrame({"2022": [5], "2023": [4], "2024": [4], "2025": [6]})
    assert suppression_mask(four_four, columns=False).to_numpy().tolist() == [[True, True, True, False]]
    one_five = pd.DataFrame({"a": [1], "b": [5], "c": [9]})  # '<5' and x summing to 6 would be 1 and 5
    assert suppression_mask(one_five, columns=False).to_numpy().tolist() == [[True, True, True]]
    fine = pd.DataFrame({"a": [2], "b": [3], "c": [9]})  # 2 + 3 = 5: (1, 4), (2, 3), ... several ways
    assert suppression_mask(fine, columns=False).to_numpy().tolist() == [[True, True, False]]
