"""Statistical disclosure control for published tables: small counts and personal data.

Rule of the reports: a count of 1 to 4 is shown as ``"<5"`` (0 stays 0: an empty cell reveals nobody);
free text is never published unless it is marked publishable, and then only after scrubbing names,
addresses, phone numbers and e-mail addresses. The scrubbing itself is :mod:`wijklib.monitor.privacy`
(one scrubber for the whole project; :func:`scrub` here is the same function).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

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
    table: pd.DataFrame, threshold: int = THRESHOLD, *, rows: bool | Collection = True,
    columns: bool | Collection = True, lower: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cells of a count table that must not be shown, so that no small count can be derived.

    ``rows`` / ``columns``: which line totals are published (True: all, False: none, or a collection of
    the labels whose total is published, e.g. the themes a chart shows). ``lower``: what else the
    publication tells a reader about a cell's least value (e.g. the number of active quarters beside a
    count: at least one per quarter); a bound that alone pins a small count (``>= threshold - 1``) is a
    ``ValueError``: the caller must not publish it.

    Primary: counts ``0 < n < threshold``. Secondary: a published total (the row sums when ``rows``,
    e.g. a chart of the themes' totals; the column sums when ``columns``, e.g. a year's total in the text)
    minus the shown cells of that line gives the sum of its hidden cells. A reader knows each ``<5`` cell
    lies in 1..threshold-1 and each ``x`` cell is at least ``threshold``; a hidden cell is exposed when that
    sum and those bounds leave it one value only (an exposed ``x`` gives away the small cell of its other
    line): a line with ONE hidden cell, but also two ``<5`` cells
    summing to 8 (both are 4), or a ``<5`` and an ``x`` summing to threshold + 1 (1 and 5). Then the line's
    smallest shown non-zero cell is hidden as well, until no hidden cell is exposed in any line (the
    complementary-suppression rule with its protection interval, audited line by line). With row AND
    column totals published, the lines together can pin a cell each line alone leaves free; an exact joint
    audit (:func:`_protect_jointly`) then hides more, until no small cell has one possible value. Where
    nothing is left to hide (a published line whose non-zero cells are all small and exposed, or zeros
    that leave no freedom) the table or that total must not be published: :func:`derivable_cells` says
    which cells a mask still gives away, and the callers check it.

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
    vals = _as_counts(table)
    hide = (vals > 0) & (vals < threshold)
    pr, pc = _published(rows, table.index), _published(columns, table.columns)
    low = _lower_bounds(table, lower)
    pinned_alone = hide & (low >= threshold - 1)
    if pinned_alone.any():
        i, j = np.argwhere(pinned_alone)[0]
        raise ValueError(f"suppression_mask: cell ({table.index[i]!r}, {table.columns[j]!r}) = {vals[i, j]:g} is "
                         f"small, but its published lower bound {low[i, j]:g} already gives it away; expected a "
                         f"bound below {threshold - 1} (hide the bound)")
    while True:
        _suppress_linewise(vals, hide, threshold, rows=pr, columns=pc, lower=low)
        if not (pr.any() and pc.any()) or not _protect_jointly(vals, hide, threshold, pr, pc, low):
            break
    return pd.DataFrame(hide, index=table.index, columns=table.columns)


def _as_counts(frame: pd.DataFrame) -> np.ndarray:
    """A table's cells as floats, anything non-numeric or missing as 0."""
    return frame.apply(pd.to_numeric, errors="coerce").fillna(0).to_numpy(dtype=float)


def _published(spec: bool | Collection, labels: pd.Index) -> np.ndarray:
    """Which lines have a published total: all (True), none (False) or those whose label is in ``spec``."""
    if isinstance(spec, bool | np.bool_):
        return np.full(len(labels), bool(spec))
    wanted = set(spec)
    return np.array([lab in wanted for lab in labels], dtype=bool)


def _lower_bounds(table: pd.DataFrame, lower: pd.DataFrame | None) -> np.ndarray:
    """The reader's known least value of every cell of ``table`` (0 where nothing is published)."""
    if lower is None:
        return np.zeros(table.shape)
    return _as_counts(lower.reindex(index=table.index, columns=table.columns))


def _suppress_linewise(vals: np.ndarray, hide: np.ndarray, threshold: int, *, rows: np.ndarray,
                       columns: np.ndarray, lower: np.ndarray) -> None:
    """Hide complements (in place) until no published line total pins a hidden cell of its line."""
    changed = True
    while changed:
        changed = False
        lines = [("r", i) for i in np.flatnonzero(rows)] + [("c", j) for j in np.flatnonzero(columns)]
        for kind, k in lines:
            h = hide[k, :] if kind == "r" else hide[:, k]
            v = vals[k, :] if kind == "r" else vals[:, k]
            if not _exposed(v, h, threshold, lower[k, :] if kind == "r" else lower[:, k]):
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


def _protect_jointly(vals: np.ndarray, hide: np.ndarray, threshold: int, rows: np.ndarray,
                     columns: np.ndarray, lower: np.ndarray) -> bool:
    """Hide one more cell (in place) if row AND column totals together pin a small hidden cell.

    Line by line every hidden cell may look free, while the two sets of totals together leave a small
    cell one value: hiding exactly the 2x2 block 2, 1 / 4, 12 of a table protects each cell within its
    line, but the block's row and column sums (known from the totals minus the shown cells) with the
    reader's bounds (``<5`` in 1..4, ``x`` at least 5) pin 2, 1 and 4. The exact audit is a linear programme
    per hidden cell (its lowest and highest value given all published totals and the bounds); its
    constraint matrix, rows and columns of a table, is totally unimodular, so the LP's extremes are the
    integer ones. For the first pinned small cell, the smallest shown non-zero cell that frees it is
    hidden, preferring its own row and column (else the smallest cell there, or anywhere, so that the next
    round can free it); returns whether a cell was hidden.
    """
    pinned = _jointly_pinned(vals, hide, threshold, rows=rows, columns=columns, lower=lower)
    if not pinned:
        return False
    i, j = pinned[0]
    free = ~hide & (vals > 0)
    near = [(vals[i, c], i, c) for c in np.flatnonzero(free[i, :])] + \
           [(vals[r, j], r, j) for r in np.flatnonzero(free[:, j])]
    far = sorted((vals[r, c], r, c) for r, c in np.argwhere(free) if r != i and c != j)
    for _, r, c in sorted(near) + far:
        trial = hide.copy()
        trial[r, c] = True
        if (i, j) not in _jointly_pinned(vals, trial, threshold, only=[(i, j)], rows=rows, columns=columns,
                                         lower=lower):
            hide[r, c] = True
            return True
    pool = sorted(near) or far
    if not pool:
        return False  # nothing left to hide: see derivable_cells
    hide[pool[0][1], pool[0][2]] = True
    return True


def derivable_cells(
    table: pd.DataFrame, hidden: pd.DataFrame, threshold: int = THRESHOLD, *, rows: bool | Collection = True,
    columns: bool | Collection = True, lower: pd.DataFrame | None = None,
) -> list[tuple]:
    """Small counts a reader can still work out exactly from a table published with ``hidden`` cells.

    The reader sees the shown cells, knows each ``<5`` lies in 1..threshold-1 and each ``x`` is at least
    ``threshold``, and has the published totals (rows and/or columns). Returns the ``(index, column)``
    labels of the small hidden cells those facts fix to one value: empty for a mask of
    :func:`suppression_mask`, except where no mask can help (a published total whose non-zero cells are
    all small, or zeros that leave no freedom); then the table, or that total, must not be published.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [3, 0], "b": [0, 7]})  # the first row's total is 3 itself
    >>> derivable_cells(t, suppression_mask(t))
    [(0, 'a')]
    """
    vals = _as_counts(table)
    mask = hidden.to_numpy(dtype=bool)
    return [(table.index[i], table.columns[j])
            for i, j in _jointly_pinned(vals, mask, threshold, rows=_published(rows, table.index),
                                        columns=_published(columns, table.columns),
                                        lower=_lower_bounds(table, lower))]


def _jointly_pinned(
    vals: np.ndarray, hide: np.ndarray, threshold: int, only: list[tuple[int, int]] | None = None, *,
    rows: np.ndarray, columns: np.ndarray, lower: np.ndarray,
) -> list[tuple[int, int]]:
    """Small hidden cells that the published totals (minus the shown cells) fix to one value."""
    from scipy.optimize import linprog

    cells = [tuple(c) for c in np.argwhere(hide)]
    if not cells:
        return []
    pos = {c: k for k, c in enumerate(cells)}
    eq, rhs = [], []
    for axis, published in ((0, rows), (1, columns)):
        for k in np.flatnonzero(published):
            line = [pos[c] for c in cells if c[axis] == k]
            if line:
                row = np.zeros(len(cells))
                row[line] = 1.0
                eq.append(row)
                rhs.append(sum(vals[cells[q]] for q in line))
    v = np.array([vals[c] for c in cells])
    small = (v > 0) & (v < threshold)
    least = [lower[c] for c in cells]
    bounds = [(max(1.0, m), threshold - 1.0) if s else (max(float(threshold), m), None) for s, m in zip(small, least, strict=True)]
    a, b = (np.array(eq), np.array(rhs)) if eq else (None, None)
    out = []
    for k, c in enumerate(cells):
        if not small[k] or (only is not None and c not in only):
            continue
        obj = np.zeros(len(cells))
        obj[k] = 1.0
        lo = linprog(obj, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        hi = linprog(-obj, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        # The true table is feasible, so both solve; a pinned cell has max - min < 1.
        if lo.status == 0 and hi.status == 0 and (-hi.fun) - lo.fun < 0.5:
            out.append((int(c[0]), int(c[1])))
    return out


def _exposed(values: np.ndarray, hidden: np.ndarray, threshold: int, lower: np.ndarray) -> bool:
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
    lo = np.maximum(np.where(small, 1.0, float(threshold)), lower[idx])
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
