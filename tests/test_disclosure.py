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


def _integer_range(values, hidden, threshold=5, *, rows=True, columns=True, lower=None):
    """Exact oracle (integer programme, scipy.optimize.milp): each small hidden cell's lowest and highest
    value given the shown cells, the published line totals and the reader's bounds."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    cells = [tuple(c) for c in np.argwhere(hidden)]
    if not cells:
        return {}
    a, b = [], []
    for axis, published in ((0, rows), (1, columns)):
        for k in range(values.shape[axis]) if published else ():
            line = [q for q, c in enumerate(cells) if c[axis] == k]
            if line:
                r = np.zeros(len(cells))
                r[line] = 1
                a.append(r)
                b.append(sum(values[cells[q]] for q in line))
    v = np.array([values[c] for c in cells])
    small = (v > 0) & (v < threshold)
    least = np.zeros(len(cells)) if lower is None else np.array([lower[c] for c in cells])
    bounds = Bounds(np.maximum(np.where(small, 1, threshold), least), np.where(small, threshold - 1, np.inf))
    cons = LinearConstraint(np.array(a), b, b)
    out = {}
    for q, c in enumerate(cells):
        if small[q]:
            e = np.zeros(len(cells))
            e[q] = 1
            lo = milp(e, constraints=cons, bounds=bounds, integrality=np.ones(len(cells))).fun
            hi = -milp(-e, constraints=cons, bounds=bounds, integrality=np.ones(len(cells))).fun
            out[c] = (round(lo), round(hi))
    return out


def test_row_and_column_totals_together_do_not_pin_a_small_count():
    """Joint (2-D) disclosure: hiding exactly the block 2, 1 / 4, 12 protects every cell within its own
    row and column, but the block's row sums and column sums together pin 2, 1 and 4."""
    import numpy as np

    from wijklib.disclosure import derivable_cells, suppression_mask

    t = pd.DataFrame([[2, 1, 9, 5], [4, 12, 12, 0], [5, 7, 6, 5]])
    block = pd.DataFrame(False, index=t.index, columns=t.columns)
    block.iloc[:2, :2] = True
    assert sorted(derivable_cells(t, block)) == [(0, 0), (0, 1), (1, 0)]
    hide = suppression_mask(t)
    assert derivable_cells(t, hide) == []
    assert all(lo < hi for lo, hi in _integer_range(t.to_numpy(), hide.to_numpy()).values())
    # Only one margin published: the line-wise audit is exact and the block is enough.
    assert derivable_cells(t, block, columns=False) == []
    assert np.array_equal(suppression_mask(t, columns=False).to_numpy(), block.to_numpy())


def test_no_small_count_is_derivable_from_both_margins_random_tables():
    """Against the exact integer oracle on random tables with row and column totals published: after
    suppression_mask every small count can take at least two values, unless every non-zero cell is already
    hidden (then no mask helps: derivable_cells names exactly the pinned cells and the caller must not
    publish the table or a total). derivable_cells agrees with the oracle on every table."""
    import numpy as np

    from wijklib.disclosure import derivable_cells, suppression_mask

    rng = np.random.default_rng(23)
    protected = unprotectable = 0
    for _ in range(250):
        t = pd.DataFrame(rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20], size=(rng.integers(2, 6), rng.integers(2, 5))))
        v = t.to_numpy()
        hide = suppression_mask(t)
        h = hide.to_numpy()
        assert h[(v > 0) & (v < 5)].all()
        if not h.any():
            continue
        oracle = sorted(c for c, (lo, hi) in _integer_range(v, h).items() if lo == hi)
        assert sorted(derivable_cells(t, hide)) == oracle, (t, h)
        if oracle:
            assert h[v > 0].all(), (t, h, oracle)  # only when nothing is left to hide
            unprotectable += 1
        else:
            protected += 1
    assert protected > 100 and unprotectable > 0


def test_rising_themes_do_not_print_a_mean_that_pins_hidden_cells():
    from wijklib.report.content import rising_text

    ri = pd.DataFrame({"thema": ["afval"], "aantal": [3], "gemiddeld_eerder": [8 / 3]})
    t = pd.DataFrame({"2022": [4], "2023": [4], "2024": [0], "2025": [3]}, index=["afval"])
    text = rising_text(ri, 2025, t, (t > 0) & (t < 5))
    assert "2,7" not in text and "<5 signalen in 2025" in text
    assert "2,7" not in rising_text(ri, 2025)  # no table shown: nothing known to be public


def test_signal_chart_and_table_together_give_no_small_count_away():
    """The ward report's signals: the chart's theme totals plus the table's shown cells never pin a small
    count (random sparse wards, against the integer oracle), and a withheld theme is named."""
    import numpy as np

    from wijklib.report.content import signal_publication

    rng = np.random.default_rng(5)
    withheld = 0
    for _ in range(120):
        themes = ["afval", "jeugd", "parkeren", "veiligheid"][: rng.integers(1, 5)]
        rows = [{"jaar": y, "thema": t, "toon": "negatief", "aantal": int(rng.choice([0, 1, 2, 3, 4, 4, 5, 6, 9]))}
                for t in themes for y in (2022, 2023, 2024, 2025)]
        s = pd.DataFrame(rows)
        d, note, w, hide = signal_publication(s)
        v, h = w.to_numpy(), hide.to_numpy()
        assert h[(v > 0) & (v < 5)].all()
        charted = [t in set(d["thema"]) for t in w.index]
        for lab, (lo, hi) in _integer_range(v, h, rows=True, columns=False).items():
            if charted[lab[0]]:
                assert lo < hi, (w, hide, lab)
        gone = [t for t in w.index if w.loc[t].sum() >= 5 and t not in set(d["thema"])]
        if gone:
            withheld += 1
            assert all(t in note for t in gone)
    assert withheld > 0


def test_partner_quarters_do_not_give_a_small_count_away():
    """A partner's active quarters are a lower bound for its count (one collaboration a quarter at least):
    '<5' beside 4 quarters is 4 (two demo reports printed that). With the year's total published too, no
    small count of the partners table has one possible value (integer oracle with those bounds)."""
    import numpy as np

    from wijklib.disclosure import suppression_mask
    from wijklib.report.content import partner_publication, table_html

    pa = pd.DataFrame({"partner": ["welzijn", "politie"], "vorm": ["casusoverleg", "schouw"], "aantal": [4, 9],
                       "kwartalen": [4, 3]})
    t, hide, note = partner_publication(pa)
    html = table_html(t, counts=["aantal"], hidden=hide)
    assert hide["kwartalen"].tolist() == [True, False] and "kwartalen" in note
    assert '<td class="num">x</td><td class="num">3</td>' in html  # politie: x, then its 3 quarters
    assert '<td class="num">&lt;5</td><td class="num">x</td>' in html  # welzijn: <5, quarters hidden
    assert "&lt;5" in html and ">x<" in html and ">9<" not in html  # 13 - 9 would give the 4
    with pytest.raises(ValueError, match="lower bound 4"):
        suppression_mask(pa[["aantal"]], rows=False, lower=pa[["kwartalen"]].rename(columns={"kwartalen": "aantal"}))
    rng = np.random.default_rng(9)
    checked = 0
    for _ in range(200):
        n = int(rng.integers(1, 6))
        aantal = rng.choice([1, 2, 3, 4, 4, 5, 6, 8, 12], size=n)
        kw = np.minimum(aantal, rng.integers(1, 5, size=n))
        pa = pd.DataFrame({"partner": [f"p{i}" for i in range(n)], "aantal": aantal, "kwartalen": kw})
        t, hide, note = partner_publication(pa)
        if "aantal" not in t:
            assert "niet getoond" in note
            continue
        shown_q = t["kwartalen"].where(~hide["kwartalen"], 0).to_numpy()
        ranges = _integer_range(aantal[:, None].astype(float), hide[["aantal"]].to_numpy(), rows=False,
                                columns=True, lower=shown_q[:, None])
        for lo, hi in ranges.values():
            checked += 1
            assert lo < hi, (pa, t, hide)
    assert checked > 100
