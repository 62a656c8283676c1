"""Loaders for enforcement actions (handhaving) and enforcement hours per week (handhaving_uren)."""

from __future__ import annotations

import pandas as pd

from wijklib import io as wio
from wijklib.load._engine import FileContext, run

_DAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]


def _parse_acties(ctx: FileContext) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "actie_id": ctx.text("actie_id"),
            "datum": ctx.date("datum"),
            "buurt_code": ctx.unit("buurt_code", "buurt"),
            "thema": ctx.text("thema"),
            "actie": ctx.category("actie", "actie"),
            "overtreding": ctx.boolean("overtreding"),
        },
        index=ctx.index,
    )


def handhaving(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Load enforcement actions (CSV ``,`` UTF-8 with BOM, or any layout :func:`wijklib.io.read_table` reads).

    Raw headers: ``Zaaknummer, Datum, Buurt`` (CBS code or name)``, Thema, Soort actie,
    Overtreding geconstateerd`` (ja/nee); see ``data/raw/handhaving/README.md``.

    Returns
    -------
    DataFrame (schema ``schemas.HANDHAVING``): ``actie_id`` str (unique), ``datum`` datetime64,
    ``buurt_code`` str, ``thema`` str, ``actie`` {controle, waarschuwing, bestuurlijke
    strafbeschikking, proces-verbaal}, ``overtreding`` bool.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "handhaving.csv"
    >>> _ = p.write_text("Zaaknummer,Datum,Buurt,Thema,Soort actie,Overtreding geconstateerd\\n"
    ...                  "Z1,04-01-2021,BU05991571,afval,Controle,nee\\n", encoding="utf-8-sig")
    >>> df = handhaving(p, validate_units=False)
    >>> df.loc[0, "actie"], bool(df.loc[0, "overtreding"])
    ('controle', False)
    """
    return run(
        "handhaving", paths, _parse_acties,
        required=["actie_id", "datum", "buurt_code", "thema", "actie", "overtreding"],
        lenient=lenient, geography_year=geography_year, validate_units=validate_units,
        period=period, decimal=decimal,
        unique=["actie_id"], unique_what="zaaknummer", unit_column="buurt_code",
    )


def _parse_uren(ctx: FileContext) -> pd.DataFrame:
    # The first week of a year may start on a Monday in late December.
    week = ctx.date("week", tolerance_days=6)
    not_monday = week.notna() & (week.dt.day_of_week != 0)
    day = week.dt.day_of_week.map(dict(enumerate(_DAYS))).astype("str")
    ctx.flag(not_monday, "week", "expected the date of the Monday of the week; this date is a " + day)
    return pd.DataFrame(
        {
            "wijkraad_id": ctx.unit("wijkraad_id", "wijkraad"),
            "week": week,
            "uren": ctx.number("uren", minimum=0, what="a number of hours"),
        },
        index=ctx.index,
    )


def handhaving_uren(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Load enforcement hours per wijkraad per week (.xlsx; CSV works too).

    Raw headers: ``Wijkraad, Week`` (date of the Monday)``, Inzet uren`` (number, or text with a
    decimal comma); see ``data/raw/handhaving_uren/README.md``.

    Returns
    -------
    DataFrame (schema ``schemas.HANDHAVING_UREN``): ``wijkraad_id`` str, ``week`` datetime64 (a
    Monday), ``uren`` float >= 0; one row per (wijkraad_id, week).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "uren.csv"
    >>> _ = p.write_text("Wijkraad;Week;Inzet uren\\ntarwewijk;04-01-2021;12,5\\n")
    >>> handhaving_uren(p, validate_units=False)["uren"].tolist()
    [12.5]
    """
    return run(
        "handhaving_uren", paths, _parse_uren,
        required=["wijkraad_id", "week", "uren"],
        lenient=lenient, geography_year=geography_year, validate_units=validate_units,
        period=period, decimal=decimal,
        unique=["wijkraad_id", "week"], unique_what="wijkraad and week", unit_column="wijkraad_id",
    )
