"""Loaders for policy inputs: focus areas, wijkakkoord priorities and the intervention schedule."""

from __future__ import annotations

import pandas as pd

from wijklib import io as wio
from wijklib.load._engine import FileContext, run


def _parse_focus(ctx: FileContext) -> pd.DataFrame:
    # Designations run over years: only plausible bounds, not the file's period.
    start = ctx.date("start", period=None)
    eind = ctx.date("eind", required=False, not_future=False, period=None)
    ctx.flag(eind < start, "eind", "end date before the start date ('" + ctx.header("start") + "' = " + ctx.raw("start") + ")")
    return pd.DataFrame(
        {"wijk_code": ctx.unit("wijk_code", "wijk"), "niveau": ctx.category("niveau", "niveau"), "start": start, "eind": eind},
        index=ctx.index,
    )


def focusgebieden(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Load focus-area designations (CSV ``;`` UTF-8).

    Raw headers: ``Gebied`` (wijk name or code)``, Niveau`` (focus/hyperfocus)``, Startdatum,
    Einddatum`` (empty = ongoing); see ``data/raw/focusgebieden/README.md``.

    Returns
    -------
    DataFrame (schema ``schemas.FOCUSGEBIEDEN``): ``wijk_code``, ``niveau`` {focus, hyperfocus},
    ``start`` datetime64, ``eind`` datetime64 (NaT = ongoing; may lie in the future).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "focus.csv"
    >>> _ = p.write_text("Gebied;Niveau;Startdatum;Einddatum\\nBU05991571;Hyperfocus;01-01-2019;\\n")
    >>> focusgebieden(p, validate_units=False)["eind"].isna().tolist()
    [True]
    """
    return run(
        "focusgebieden", paths, _parse_focus,
        required=["wijk_code", "niveau", "start"],
        lenient=lenient, geography_year=geography_year, validate_units=validate_units,
        period=period, decimal=decimal,
        unique=["wijk_code", "niveau", "start"], unique_what="designation (wijk, level, start)",
        unit_column="wijk_code",
    )


def _parse_akkoord(ctx: FileContext) -> pd.DataFrame:
    jaar = ctx.number("jaar", integer=True, minimum=2000, maximum=2100, what="a year")
    return pd.DataFrame(
        {
            "jaar": jaar,
            "wijkraad_id": ctx.unit("wijkraad_id", "wijkraad"),
            "thema": ctx.text("thema"),
            "indicator": ctx.text("indicator"),
            "bron": ctx.text("bron"),
            "richting": ctx.category("richting", "richting"),
        },
        index=ctx.index,
    )



def wijkakkoorden(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Load wijkakkoord priorities (CSV ``;`` UTF-8 with BOM).

    Raw headers: ``Jaar, Wijkraad, Prioriteit, Indicator, Bron, Gewenste richting``
    (daling/stijging); see ``data/raw/wijkakkoorden/README.md``.

    Returns
    -------
    DataFrame (schema ``schemas.WIJKAKKOORDEN``): ``jaar`` int, ``wijkraad_id``, ``thema`` str (the
    priority), ``indicator`` str, ``bron`` str (which source measures it), ``richting``
    {omlaag, omhoog} (daling -> omlaag, stijging -> omhoog).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "akkoord.csv"
    >>> _ = p.write_text("Jaar;Wijkraad;Prioriteit;Indicator;Bron;Gewenste richting\\n"
    ...                  "2023;tarwewijk;schoon;n_afval;meldingen;daling\\n", encoding="utf-8-sig")
    >>> wijkakkoorden(p, validate_units=False)["richting"].tolist()
    ['omlaag']
    """
    return run(
        "wijkakkoorden", paths, _parse_akkoord,
        required=["jaar", "wijkraad_id", "thema", "indicator", "bron", "richting"],
        lenient=lenient, geography_year=geography_year, validate_units=validate_units,
        period=period, decimal=decimal,
        unique=["jaar", "wijkraad_id", "thema", "indicator"], unique_what="priority (year, wijkraad, theme, indicator)",
        unit_column="wijkraad_id",
    )


def _parse_interventie(ctx: FileContext) -> pd.DataFrame:
    # A start in the future is a planned start, not an error.
    start = ctx.date("start", required=False, not_future=False, period=None)
    uren = ctx.number("uren_per_week", required=False, minimum=0, what="a number of hours per week")
    ctx.flag(
        start.notna() & (ctx.raw("uren_per_week") == ""), "uren_per_week",
        "expected the hours per week of a treated wijkraad; the cell is empty",
    )
    return pd.DataFrame(
        {"wijkraad_id": ctx.unit("wijkraad_id", "wijkraad"), "start": start, "uren_per_week": uren},
        index=ctx.index,
    )


def interventie(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Load the intervention schedule: when ward-based enforcement started per wijkraad (CSV ``;``).

    Raw headers: ``Wijkraad, Startdatum`` (empty = never treated)``, Uren per week`` (decimal
    comma); see ``data/raw/interventie/README.md``.

    Returns
    -------
    DataFrame (schema ``schemas.INTERVENTIE``): ``wijkraad_id`` (unique), ``start`` datetime64 (NaT =
    never treated), ``uren_per_week`` float (NaN allowed only for never-treated wijkraden).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "interventie.csv"
    >>> _ = p.write_text("Wijkraad;Startdatum;Uren per week\\ntarwewijk;01-03-2021;24,5\\nbloemhof;;\\n")
    >>> interventie(p, validate_units=False)["start"].isna().tolist()
    [False, True]
    """
    return run(
        "interventie", paths, _parse_interventie,
        required=["wijkraad_id", "start", "uren_per_week"],
        lenient=lenient, geography_year=geography_year, validate_units=validate_units,
        period=period, decimal=decimal,
        unique=["wijkraad_id"], unique_what="wijkraad", unit_column="wijkraad_id",
    )
