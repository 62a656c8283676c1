"""Validated loaders, one per data source: ``wijklib.load.<source>(path_or_paths, ...)``.

Every loader accepts one path, a list of paths or a glob pattern (files are concatenated), reads
messy exports through :mod:`wijklib.io` (sniffed separator, detected encoding, Dutch dates, decimal
commas, ``.xlsx``), checks every cell, and returns a plain DataFrame validated against its pandera
schema in :mod:`wijklib.schemas`. Bad input raises :class:`wijklib.io.DataError` naming file, row
(as a spreadsheet numbers it, header = row 1), column, value found and what was expected; with
``lenient=True`` the bad rows are skipped, listed in ``df.attrs["skipped"]`` and a warning says how
many. ``df.attrs`` also holds ``source``, ``files``, ``geography_year`` and ``report``
(:class:`wijklib.io.LoadReport`, ``.summary()`` gives one line of text).

Loaders: :func:`meldingen`, :func:`handhaving`, :func:`handhaving_uren`, :func:`politie`,
:func:`wijkprofiel` (and :func:`veiligheidsindex`), :func:`focusgebieden`, :func:`wijkakkoorden`,
:func:`netwerk_overleggen`, :func:`netwerk_samenwerking`, :func:`signalen`, :func:`interventie`.

Examples
--------
>>> from wijklib import load
>>> sorted(load.LOADERS)[:3]
['focusgebieden', 'handhaving', 'handhaving_uren']
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from wijklib.io import DataError, LoadReport
from wijklib.load._beleid import focusgebieden, interventie, wijkakkoorden
from wijklib.load._handhaving import handhaving, handhaving_uren
from wijklib.load._meldingen import meldingen
from wijklib.load._netwerk import netwerk_overleggen, netwerk_samenwerking, signalen
from wijklib.load._politie import politie
from wijklib.load._wijkprofiel import veiligheidsindex, wijkprofiel

#: source name -> loader (the names of ``schemas.SCHEMAS``).
LOADERS: dict[str, Callable[..., pd.DataFrame]] = {
    "meldingen": meldingen,
    "handhaving": handhaving,
    "handhaving_uren": handhaving_uren,
    "politie": politie,
    "wijkprofiel": wijkprofiel,
    "focusgebieden": focusgebieden,
    "wijkakkoorden": wijkakkoorden,
    "netwerk_overleggen": netwerk_overleggen,
    "netwerk_samenwerking": netwerk_samenwerking,
    "signalen": signalen,
    "interventie": interventie,
}


from wijklib.load._layouts import (  # noqa: E402
    LAYOUTS,
    Layout,
    _register_builtins,  # noqa: E402
    layouts_for,
    register,
    split_tables,
)

_register_builtins()
from wijklib.load import _mor, _msb, _signalen  # noqa: E402,F401  (register layouts mor, msb, signalen)


def report(df: pd.DataFrame) -> LoadReport:
    """The :class:`~wijklib.io.LoadReport` of a loaded table (what was read, skipped, excluded).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "interventie.csv"
    >>> _ = p.write_text("Wijkraad;Startdatum;Uren per week\\ntarwewijk;01-03-2021;24,5\\n")
    >>> print(report(interventie(p, validate_units=False)).summary())
    interventie: 1 rows from 1 file (interventie.csv: 1 rows); 0 skipped
    """
    rep = df.attrs.get("report")
    if rep is None:
        raise ValueError("this DataFrame was not made by a wijklib.load loader (no attrs['report'])")
    return rep


__all__ = [
    "DataError", "LAYOUTS", "LOADERS", "Layout", "LoadReport", "layouts_for", "register", "split_tables", "focusgebieden", "handhaving", "handhaving_uren", "interventie",
    "meldingen", "netwerk_overleggen", "netwerk_samenwerking", "politie", "report", "signalen",
    "veiligheidsindex", "wijkakkoorden", "wijkprofiel",
]
