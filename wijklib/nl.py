"""The one place where numbers, percentages, p-values, dates and counted nouns become Dutch text.

Every report text, table and chart goes through these functions (``wijklib.report.content``,
``wijklib.monitor.verdict``, ``wijklib.its``, ``wijklib.synth``, ``wijklib.plots``), so a Dutch reader
meets one style everywhere:

- a decimal comma and a thousands dot (``12.345,7``), a real minus sign (``−3``, U+2212);
- a sign only where it means something: ``+0%`` and ``−0%`` never appear, a value that rounds to zero
  prints as ``0``;
- p-values never as ``0,000``: below 0,001 they read ``< 0,001``;
- dates as ``1 januari 2020`` or ``jan. 2020``, never ``2020-01-01``;
- counted nouns in the right number (``1 maand``, ``3 maanden``), never ``maand(en)``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

MINUS = "\u2212"
#: Dutch month names, and their abbreviations as the Taalunie writes them (``mei`` and ``juni`` in full
#: are also accepted; the abbreviations keep tables narrow).
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
MONTHS_SHORT = ("jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")


def finite(x: Any) -> bool:
    """Is ``x`` a finite number (not None, NaN, inf or text)?

    Examples
    --------
    >>> finite(1.5), finite(None), finite(float("nan")), finite("3")
    (True, False, False, False)
    """
    if x is None or isinstance(x, (str, bytes, bool)):
        return False
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def number(x: Any, digits: int = 0, *, signed: bool = False, missing: str = "–") -> str:
    """A number the Dutch way: decimal comma, thousands dot, a real minus sign.

    ``signed`` puts a ``+`` before a positive value. A value that rounds to zero has no sign.

    Examples
    --------
    >>> number(12345.678, 1), number(-0.5, 2), number(None), number(0.004, 2, signed=True)
    ('12.345,7', '−0,50', '–', '0,00')
    >>> number(3, signed=True), number(-0.0), number(float("nan"), missing="onbekend")
    ('+3', '0', 'onbekend')
    """
    if not finite(x):
        return missing
    v = float(x)
    text = f"{abs(v):,.{digits}f}".replace(",", "X").replace(".", ",").replace("X", ".")
    if round(abs(v), digits) == 0:
        return text
    return (MINUS if v < 0 else "+" if signed else "") + text


def auto(x: Any, *, missing: str = "–") -> str:
    """A number with as many decimals as its size needs (whole numbers without; 2 below 10, 1 below 100).

    Examples
    --------
    >>> auto(3), auto(2.345), auto(23.45), auto(1234.5), auto(-0.5)
    ('3', '2,35', '23,4', '1.234', '−0,50')
    """
    if not finite(x):
        return missing
    v = float(x)
    digits = 0 if abs(v) >= 100 or v.is_integer() else (1 if abs(v) >= 10 else 2)
    return number(v, digits)


def pct(x: Any, digits: int = 0, *, signed: bool = False, missing: str = "–") -> str:
    """A fraction as a Dutch percentage (``0.123`` -> ``12%``; signed: ``+12%``).

    Examples
    --------
    >>> pct(0.123), pct(-0.05, signed=True), pct(0.031, 1), pct(0.001, signed=True), pct(None)
    ('12%', '−5%', '3,1%', '0%', '–')
    """
    if not finite(x):
        return missing
    return number(100 * float(x), digits, signed=signed) + "%"


def points(x: Any, digits: int = 1, *, signed: bool = True, missing: str = "–") -> str:
    """A difference of two percentages in percentage points (``procentpunt`` is singular in Dutch).

    Examples
    --------
    >>> points(0.043), points(-0.12, 0)
    ('+4,3 procentpunt', '−12 procentpunt')
    """
    if not finite(x):
        return missing
    return number(100 * float(x), digits, signed=signed) + " procentpunt"


def p_value(p: Any, digits: int = 3, *, missing: str = "onbekend") -> str:
    """A p-value for a Dutch reader: ``0,031``, or ``< 0,001`` below it, never ``0,000``.

    Examples
    --------
    >>> p_value(0.00002), p_value(0.0312), p_value(0.0004, 2)
    ('< 0,001', '0,031', '< 0,01')
    """
    if not finite(p):
        return missing
    floor = 10.0 ** -digits
    return f"< {number(floor, digits)}" if float(p) < floor else number(p, digits)


def p_text(p: Any, digits: int = 3) -> str:
    """``p = 0,034`` or ``p < 0,001`` (never ``p = 0,000``); ``p = –`` when unknown.

    Examples
    --------
    >>> p_text(0.0341), p_text(1e-9), p_text(float("nan"))
    ('p = 0,034', 'p < 0,001', 'p = –')
    """
    text = p_value(p, digits, missing="–")
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def date(d: Any) -> str:
    """A day in words: ``1 januari 2020``.

    Examples
    --------
    >>> date("2020-01-01")
    '1 januari 2020'
    """
    t = pd.Timestamp(d)
    return f"{t.day} {MONTHS[t.month - 1]} {t.year}"


def month(d: Any) -> str:
    """A month in words: ``januari 2015``.

    Examples
    --------
    >>> month("2015-01-01")
    'januari 2015'
    """
    t = pd.Timestamp(d)
    return f"{MONTHS[t.month - 1]} {t.year}"


def month_short(d: Any) -> str:
    """A month for tables and running text: ``jan. 2022`` (``mei 2019``), never ``2022-01``.

    Examples
    --------
    >>> month_short("2022-01-01"), month_short("2019-05")
    ('jan. 2022', 'mei 2019')
    """
    t = pd.Timestamp(d)
    return f"{MONTHS_SHORT[t.month - 1]} {t.year}"


def count_noun(n: int, singular: str, plural: str) -> str:
    """``n`` with the right form of the noun: ``1 maand``, ``3 maanden`` (never ``maand(en)``).

    Examples
    --------
    >>> count_noun(1, "maand", "maanden"), count_noun(4, "wijk", "wijken"), count_noun(1200, "melding", "meldingen")
    ('1 maand', '4 wijken', '1.200 meldingen')
    """
    return f"{number(n)} {singular if n == 1 else plural}"


def join(items: list[str]) -> str:
    """Items as a Dutch enumeration: ``a, b en c``.

    Examples
    --------
    >>> join(["a"]), join(["a", "b", "c"])
    ('a', 'a, b en c')
    """
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " en " + items[-1] if items else ""
