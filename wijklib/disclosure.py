"""Statistical disclosure control for published tables: small counts and personal data.

Rule of the reports: a count of 1 to 4 is shown as ``"<5"`` (0 stays 0: an empty cell reveals nobody);
free text is never published unless it is marked publishable, and then only after scrubbing names,
addresses, phone numbers and e-mail addresses. The scrubbing itself is :mod:`wijklib.monitor.privacy`
(one scrubber for the whole project; :func:`scrub` here is the same function).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

#: Counts strictly between 0 and this threshold are suppressed.
THRESHOLD = 5
#: What a suppressed count looks like in a table.
SUPPRESSED = "<5"
#: Columns that may hold free text or direct identifiers; never published as such.
PERSONAL_COLUMNS = frozenset({"omschrijving", "tekst", "naam", "adres", "telefoon", "email", "melder", "bsn"})

def format_count(value: float | int | None, threshold: int = THRESHOLD) -> str:
    """Format one count for publication: ``1..threshold-1`` become ``"<5"``; thousands get a dot.

    Examples
    --------
    >>> [format_count(v) for v in (0, 3, 5, 12345, None)]
    ['0', '<5', '5', '12.345', '–']
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "–"
    n = float(value)
    if 0 < n < threshold:
        return f"<{threshold}"
    return f"{n:,.0f}".replace(",", ".")


#: How a count hidden only to protect a small one (secondary suppression) looks in a table.
SECONDARY = "x"


def suppression_mask(
    table: pd.DataFrame, threshold: int = THRESHOLD, *, rows: bool = True, columns: bool = True,
) -> pd.DataFrame:
    """Cells of a count table that must not be shown, so that no small count can be derived.

    Primary: counts ``0 < n < threshold``. Secondary: a published total (the row sums when ``rows``,
    e.g. a chart of the themes' totals; the column sums when ``columns``, e.g. a year's total in the text)
    minus the shown cells of that line gives the sum of its hidden cells. A reader knows each ``<5`` cell
    lies in 1..threshold-1 and each ``x`` cell is at least ``threshold``; a hidden cell is exposed when that
    sum and those bounds leave it one value only (an exposed ``x`` gives away the small cell of its other
    line): a line with ONE hidden cell, but also two ``<5`` cells
    summing to 8 (both are 4), or a ``<5`` and an ``x`` summing to threshold + 1 (1 and 5). Then the line's
    smallest shown non-zero cell is hidden as well, until no hidden cell is exposed in any line (the
    complementary-suppression rule with its protection interval, audited line by line). A line whose only
    non-zero cells are small and still exposed has a derivable total: that total must not be published
    (the callers leave such themes out of charts).

    Returns a boolean frame like ``table``: True = hide (primary cells show ``<5``, the others ``x``).

    Examples
    --------
    >>> t = pd.DataFrame({"2024": [3, 10], "2025": [6, 12]}, index=["afval", "jeugd"])
    >>> suppression_mask(t).values.tolist()   # 3 is small; 6 would give it away from the row total 9
    [[True, True], [True, True]]
    >>> suppression_mask(t, columns=False).values.tolist()
    [[True, True], [False, False]]
    >>> t = pd.DataFrame({"2022": [5], "2023": [4], "2024": [4], "2025": [6]})  # 4 + 4 = 8: both exposed
    >>> suppression_mask(t, columns=False).values.tolist()
    [[True, True, True, False]]
    """
    vals = table.apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy(dtype=float)
    hide = (vals > 0) & (vals < threshold)
    changed = True
    while changed:
        changed = False
        lines = ([("r", i) for i in range(vals.shape[0])] if rows else []) + \
                ([("c", j) for j in range(vals.shape[1])] if columns else [])
        for kind, k in lines:
            h = hide[k, :] if kind == "r" else hide[:, k]
            v = vals[k, :] if kind == "r" else vals[:, k]
            if not _exposed(v, h, threshold):
                continue
            free = np.flatnonzero(~h & (v > 0))
            if free.size == 0:
                continue
            pick = free[np.argmin(v[free])]
            if kind == "r":
                hide[k, pick] = True
            else:
                hide[pick, k] = True
            changed = True
    return pd.DataFrame(hide, index=table.index, columns=table.columns)


def _exposed(values: np.ndarray, hidden: np.ndarray, threshold: int) -> bool:
    """Whether a line's published total pins one of its hidden cells to a single value.

    The hidden cells sum to ``S`` (total minus the shown cells); a small cell (``<5``) is known to lie in
    ``1..threshold-1``, another hidden cell (``x``) in ``threshold..S``. A cell is exposed when its lowest
    and highest possible values given the others' bounds coincide.
    """
    idx = np.flatnonzero(hidden)
    if idx.size == 0:
        return False
    v = values[idx]
    small = (v > 0) & (v < threshold)
    total = float(v.sum())
    lo = np.where(small, 1.0, float(threshold))
    hi = np.where(small, float(threshold - 1), total)
    # Every hidden cell counts, also an ``x``: its exact value, found from this line, would pin the small
    # cell of its other line.
    for i in range(idx.size):
        others_lo, others_hi = lo.sum() - lo[i], hi.sum() - hi[i]
        if max(lo[i], total - others_hi) >= min(hi[i], total - others_lo):
            return True
    return False


def suppress_small(
    df: pd.DataFrame, columns: Iterable[str] | None = None, threshold: int = THRESHOLD
) -> pd.DataFrame:
    """Return a copy of ``df`` in which the count columns show 1–4 as ``"<5"``.

    Parameters
    ----------
    df
        Table to publish (not modified).
    columns
        Count columns to protect; default: every integer column.
    threshold
        Counts ``0 < n < threshold`` are suppressed.

    Examples
    --------
    >>> suppress_small(pd.DataFrame({"wijk": ["A", "B"], "n": [3, 7]}))["n"].tolist()
    ['<5', '7']
    """
    out = df.copy()
    if columns is None:
        columns = [c for c in out.columns if pd.api.types.is_integer_dtype(out[c])]
    for col in columns:
        if col not in out.columns:
            raise KeyError(f"suppress_small: column {col!r} not in table; columns are {list(out.columns)}")
        out[col] = out[col].map(lambda v: format_count(v, threshold)).astype(object)
    return out


def scrub(text: str | None) -> str:
    """Remove personal data from text: the project's one scrubber, :func:`wijklib.monitor.privacy.scrub`.

    Examples
    --------
    >>> scrub("Bel mevr. Jansen op 06-12345678 of mail a.b@example.nl")
    'Bel [verwijderd] op [verwijderd] of mail [verwijderd]'
    """
    from wijklib.monitor.privacy import (
        scrub as _scrub,  # one rule set; no second copy that could drift
    )

    return _scrub(text)


def drop_personal(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` without columns that may hold personal data (free text, identifiers).

    Examples
    --------
    >>> drop_personal(pd.DataFrame({"thema": ["afval"], "omschrijving": ["x"]})).columns.tolist()
    ['thema']
    """
    return df.drop(columns=[c for c in df.columns if c.lower() in PERSONAL_COLUMNS])
