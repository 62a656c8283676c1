"""Statistical disclosure control for published tables: small counts and personal data.

Rule of the reports: a count of 1 to 4 is shown as ``"<5"`` (0 stays 0: an empty cell reveals nobody);
free text is never published unless it is marked publishable, and then only after scrubbing names,
addresses, phone numbers and e-mail addresses. The scrubbing itself lives in
:mod:`wijklib.monitor.privacy` when that module is present; a compatible fallback is kept here so the
report layer never depends on the monitor for its own safety net.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

#: Counts strictly between 0 and this threshold are suppressed.
THRESHOLD = 5
#: What a suppressed count looks like in a table.
SUPPRESSED = "<5"
#: Columns that may hold free text or direct identifiers; never published as such.
PERSONAL_COLUMNS = frozenset({"omschrijving", "tekst", "naam", "adres", "telefoon", "email", "melder", "bsn"})

_FALLBACK_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(r"\b(?:https?://|www\.)\S+", re.I),
    re.compile(r"(?<![\w])(?:\+|00)?\d(?:[\s.\-/()]*\d){8,12}(?![\w])"),
    re.compile(r"\b\d{4}\s?[A-Za-z]{2}\b(?:\s*,?\s*\d{1,5}(?:\s?[A-Za-z]\b)?)?"),
    re.compile(r"\b[A-Z][\w'-]*(?:straat|laan|weg|plein|kade|singel|dijk|hof|gracht|dreef|steeg)\s+\d{1,5}[a-zA-Z]?\b"),
    re.compile(r"(?i:\b(?:meneer|mevrouw|mevr|mw|dhr|familie|fam)\b\.?)\s+(?:[A-Z]\.\s*)*[A-Z][\w'-]*"),
]


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
    """Remove personal data (e-mail, phone, postcode + number, street + number, titled names) from text.

    Uses :func:`wijklib.monitor.privacy.scrub` when available (one rule set for the whole project).

    Examples
    --------
    >>> scrub("Bel mevr. Jansen op 06-12345678 of mail a.b@example.nl")
    'Bel [verwijderd] op [verwijderd] of mail [verwijderd]'
    """
    if text is None:
        return ""
    try:
        from wijklib.monitor.privacy import scrub as monitor_scrub
    except ImportError:  # monitor absent or still being written: use the local rule set
        monitor_scrub = None
    if monitor_scrub is not None:
        return str(monitor_scrub(text))
    out = str(text)
    for pattern in _FALLBACK_PATTERNS:
        out = pattern.sub("[verwijderd]", out)
    return out


def drop_personal(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` without columns that may hold personal data (free text, identifiers).

    Examples
    --------
    >>> drop_personal(pd.DataFrame({"thema": ["afval"], "omschrijving": ["x"]})).columns.tolist()
    ['thema']
    """
    return df.drop(columns=[c for c in df.columns if c.lower() in PERSONAL_COLUMNS])
