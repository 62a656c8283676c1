"""Keep personal data out of everything the monitor hands on.

Free text (``signalen.tekst``, ``meldingen.omschrijving``) may hold names, addresses, phone numbers and
e-mail addresses of residents. The monitor never passes free text on, except the text of a signal that
is explicitly marked ``publiceerbaar``; that text is still scrubbed with :func:`scrub`, because a
"publishable" flag set by hand is not a guarantee. Coded fields (themes) are scrubbed too, as a second
line of defence against a free-text value typed into a coded column.
"""

from __future__ import annotations

import re
from typing import Any

#: Replacement marker used in scrubbed text (Dutch: it ends up in reports).
REDACTED = "[verwijderd]"

_TUSSENVOEGSEL = r"(?:(?:van|de|der|den|ter|ten|het|te|la|le|du|da|el|al|op|in|'t)\s+)*"
_NAME = r"[A-ZÀ-Ý][\w'’.-]*"

# Order matters: e-mail before phone (digits inside addresses), postcode before bare numbers.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("url", re.compile(r"\b(?:https?://|www\.)\S+", re.I)),
    # Dutch and international phone numbers: +31/0031/0 followed by 8-10 more digits, any separators.
    ("telefoon", re.compile(r"(?<![\w])(?:\+|00)?\d(?:[\s.\-/()]*\d){8,12}(?![\w])")),
    # Postcode (1234 AB) with an optional house number and addition.
    ("postcode", re.compile(r"\b\d{4}\s?[A-Za-z]{2}\b(?:\s*,?\s*\d{1,5}(?:\s?[A-Za-z]\b)?)?")),
    # Street name + house number ("Dorpsweg 12a", "Maasboulevard 3").
    (
        "adres",
        re.compile(
            r"\b(?:[A-Z][\w'-]*\s+)*[A-Z][\w'-]*(?:straat|laan|weg|plein|kade|singel|dijk|hof|gracht|dreef|steeg|pad|"
            r"boulevard|park|markt|baan|veld|haven|hoek|dam|wal|pier|plaats|erf|zijde|rijn|weide)"
            r"\s+\d{1,5}(?:\s?[A-Za-z]\b)?"
        ),
    ),
    # Names after a title: "meneer Jansen", "mevr. de Vries", "dhr. P. Bakker", "familie El Amrani".
    (
        "naam",
        re.compile(
            r"(?i:\b(?:meneer|mevrouw|mevr|mw|mevr|dhr|hr|heer|mr|mrs|fam|familie|buurman|buurvrouw)\b\.?)"
            r"\s+(?:[A-Z]\.\s*)*" + _TUSSENVOEGSEL + _NAME + r"(?:[\s-]+" + _NAME + r")?"
        ),
    ),
    # A bare house number following a common Rotterdam street word in lower case ("nummer 12").
    ("huisnummer", re.compile(r"(?i:\b(?:nummer|nr|huisnummer)\b\.?)\s*\d{1,5}(?:\s?[A-Za-z]\b)?")),
]


def scrub(text: Any) -> str:
    """Remove phone numbers, e-mail, postcode + house number, addresses and titled names from text.

    Parameters
    ----------
    text
        Any value; ``None``/NaN give an empty string, other values are converted with ``str``.

    Returns
    -------
    str
        The text with each personal item replaced by ``[verwijderd]``.

    Examples
    --------
    >>> scrub("Bel meneer Jansen op 06-12345678 of mail p.jansen@example.nl, Dorpsweg 12a")
    'Bel [verwijderd] op [verwijderd] of mail [verwijderd], [verwijderd]'
    >>> scrub("Overlast bij 3072 AB 14 gemeld door mw. de Vries")
    'Overlast bij [verwijderd] gemeld door [verwijderd]'
    """
    if text is None:
        return ""
    try:
        if text != text:  # NaN / pd.NA comparisons
            return ""
    except (TypeError, ValueError):
        return ""
    out = str(text)
    for _, pattern in _PATTERNS:
        out = pattern.sub(REDACTED, out)
    return out


def find_personal_data(text: str) -> list[tuple[str, str]]:
    """List the (kind, match) pairs :func:`scrub` would remove (for data-quality logs, no values kept).

    Examples
    --------
    >>> [k for k, _ in find_personal_data("tel 010-1234567")]
    ['telefoon']
    """
    found: list[tuple[str, str]] = []
    for kind, pattern in _PATTERNS:
        found.extend((kind, m.group(0)) for m in pattern.finditer(str(text)))
    return found
