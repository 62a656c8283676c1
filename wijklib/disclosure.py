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
