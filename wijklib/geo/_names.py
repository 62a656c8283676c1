"""Name keys, slugs, error classes and text helpers shared by every geography (no geo stack needed)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


class UnknownUnitError(ValueError):
    """A code or name that is not a known unit (message lists the closest known ones)."""

    def __init__(self, message: str, *, value: Any = None, level: str | None = None,
                 suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.value = value
        self.level = level
        self.suggestions = list(suggestions)


class AmbiguousUnitError(UnknownUnitError):
    """A name that fits several units of the requested level; pass a more specific level or code."""


class GeoDataError(ValueError):
    """Geography files that cannot be used: the message names the file, row/feature, column, value
    found and what was expected."""


class MissingGeoDataError(GeoDataError, LookupError):
    """The geography lacks a kind of data (no kwb table, no polygons for a level, ...)."""


_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")


def name_key(text: str) -> str:
    """Comparison key for a unit name: ascii, lowercase, only letters and digits.

    Case, diacritics, hyphens and dashes, apostrophes and spaces do not count; "&" reads as "en".

    Examples
    --------
    >>> name_key("'s-Gravenland") == name_key("s gravenland")
    True
    >>> name_key("Kralingen\u2013Crooswijk")
    'kralingencrooswijk'
    """
    s = unicodedata.normalize("NFKD", str(text).translate(_DASHES))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower().replace("&", " en ")
    return re.sub(r"[^a-z0-9]", "", s)


def slugify(text: str) -> str:
    """Slug for a unit name: ascii lowercase words joined by hyphens.

    Examples
    --------
    >>> slugify("Het Lage Land, Prinsenland en 's Gravenland")
    'het-lage-land-prinsenland-en-s-gravenland'
    """
    s = unicodedata.normalize("NFKD", str(text).translate(_DASHES))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def as_text(value: Any) -> str | None:
    """Scalar -> text; integral floats lose their '.0' (codes read from Excel)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value).strip()


_CODE_RE = re.compile(r"(?:(GM|WK|BU)?)(\d+)")


def parse_code(value: str, gemeente_digits: str) -> tuple[str, str] | None:
    """Recognise a CBS code in any common spelling -> (kind, canonical code) or None.

    kind is "gemeente" (GM), "wijk" (WK) or "buurt" (BU). Spaces, dots and hyphens inside are
    ignored and leading zeros may be lost (Excel turns "0110" into 110). Short bare numbers are read
    inside the gemeente ``gemeente_digits`` (4 digits): 3-4 digits a buurt, 1-2 digits a wijk.
    """
    s = re.sub(r"[\s.\-_/]", "", value.upper())
    m = _CODE_RE.fullmatch(s)
    if not m:
        return None
    prefix, digits = m.groups()
    if prefix == "GM":
        return ("gemeente", "GM" + digits.zfill(4)) if len(digits) <= 4 else None
    if prefix == "WK":
        return ("wijk", "WK" + digits.zfill(6)) if 5 <= len(digits) <= 6 else None
    if prefix == "BU":
        return ("buurt", "BU" + digits.zfill(8)) if 7 <= len(digits) <= 8 else None
    n = len(digits)
    if n in (7, 8):
        return "buurt", "BU" + digits.zfill(8)
    if n in (5, 6):
        return "wijk", "WK" + digits.zfill(6)
    if n <= 4 and digits.lstrip("0") == gemeente_digits.lstrip("0"):
        return "gemeente", "GM" + gemeente_digits
    if n in (3, 4):
        return "buurt", "BU" + gemeente_digits + digits.zfill(4)
    if n in (1, 2):
        return "wijk", "WK" + gemeente_digits + digits.zfill(2)
    return None
