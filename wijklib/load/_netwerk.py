"""Loaders for the network of partners: meetings, joint activities and qualitative signals."""

from __future__ import annotations

import pandas as pd

from wijklib import io as wio
from wijklib.load._engine import FileContext, run


def _parse_overleg(ctx: FileContext) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "datum": ctx.date("datum"),
            "wijkraad_id": ctx.unit("wijkraad_id", "wijkraad"),
            "type": ctx.text("type"),
            "handhaving_aanwezig": ctx.boolean("handhaving_aanwezig"),
        },
        index=ctx.index,
    )


def netwerk_overleggen(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Load network meetings (CSV ``,`` Windows-1252).

    Raw headers: ``Datum, Wijkraad, Soort overleg, Handhaving aanwezig`` (ja/nee); see
    ``data/raw/netwerk_overleggen/README.md``.

    Returns
    -------
    DataFrame (schema ``schemas.NETWERK_OVERLEGGEN``): ``datum`` datetime64, ``wijkraad_id``,
    ``type`` str, ``handhaving_aanwezig`` bool.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "overleggen.csv"
    >>> _ = p.write_bytes("Datum,Wijkraad,Soort overleg,Handhaving aanwezig\\n"
    ...                   "12-05-2022,tarwewijk,Wijkoverleg café,ja\\n".encode("cp1252"))
    >>> netwerk_overleggen(p, validate_units=False)["type"].tolist()
    ['Wijkoverleg café']
    """
    return run(
        "netwerk_overleggen", paths, _parse_overleg,
        required=["datum", "wijkraad_id", "type", "handhaving_aanwezig"],
        lenient=lenient, geography_year=geography_year, validate_units=validate_units,
        period=period, decimal=decimal,
        unit_column="wijkraad_id",
    )


def _quarter(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'2023-K2' (also '2023K2', '2023 Q2', 'K2 2023', '2023KW02') -> first day of the quarter."""
    s = raw.str.upper().str.replace(r"\s+", "", regex=True)
    a = s.str.extract(r"^(\d{4})[-/]?(?:K|Q|KW)0?([1-4])$")
    b = s.str.extract(r"^(?:K|Q|KW)0?([1-4])[-/]?(\d{4})$")
    year = a[0].fillna(b[1])
    q = a[1].fillna(b[0])
    month = (pd.to_numeric(q, errors="coerce") * 3 - 2).astype("Int64").astype("str").str.zfill(2)
    stamp = year + "-" + month + "-01"
    out = pd.to_datetime(stamp.where(year.notna() & q.notna()), format="%Y-%m-%d", errors="coerce")
    out = out.astype("datetime64[ns]")
    bad = out.isna() & (s != "")
    return out, bad


def _parse_samenwerking(ctx: FileContext) -> pd.DataFrame:
    periode, bad = _quarter(ctx.raw("periode"))
    ctx.flag(bad, "periode", "expected a quarter such as 2023-K2")
    ctx.flag(ctx.raw("periode") == "", "periode", "expected a quarter such as 2023-K2; the cell is empty")
    limit = pd.Timestamp.now().normalize()
    ctx.flag(periode > limit, "periode", "quarter in the future")
    ctx.check_period(periode.where(~(periode > limit)), "periode")
    return pd.DataFrame(
        {
            "wijkraad_id": ctx.unit("wijkraad_id", "wijkraad"),
            "partner": ctx.category("partner", "partner"),
            "periode": periode,
            "vorm": ctx.text("vorm"),
            "aantal": ctx.number("aantal", integer=True, minimum=0, what="a count"),
        },
        index=ctx.index,
    )



def netwerk_samenwerking(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Load joint activities with partners per quarter (CSV ``;``).

    Raw headers: ``Wijkraad, Partner, Kwartaal`` (``2023-K2``)``, Vorm, Aantal``; see
    ``data/raw/netwerk_samenwerking/README.md``.

    Returns
    -------
    DataFrame (schema ``schemas.NETWERK_SAMENWERKING``): ``wijkraad_id``, ``partner`` {politie,
    jongerenwerk, woningcorporatie, welzijn, school, ondernemers}, ``periode`` datetime64 (first day
    of the quarter), ``vorm`` str, ``aantal`` int >= 0.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "samenwerking.csv"
    >>> _ = p.write_text("Wijkraad;Partner;Kwartaal;Vorm;Aantal\\ntarwewijk;Politie;2023-K2;gezamenlijke schouw;3\\n")
    >>> str(netwerk_samenwerking(p, validate_units=False).loc[0, "periode"].date())
    '2023-04-01'
    """
    return run(
        "netwerk_samenwerking", paths, _parse_samenwerking,
        required=["wijkraad_id", "partner", "periode", "vorm", "aantal"],
        lenient=lenient, geography_year=geography_year, validate_units=validate_units,
        period=period, decimal=decimal,
        unique=["wijkraad_id", "partner", "periode", "vorm"], unique_what="row (wijkraad, partner, quarter, form)",
        unit_column="wijkraad_id",
    )


def _parse_signalen(ctx: FileContext) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "signaal_id": ctx.text("signaal_id"),
            "datum": ctx.date("datum"),
            "wijkraad_id": ctx.unit("wijkraad_id", "wijkraad"),
            "bron": ctx.category("bron", "bron"),
            "thema": ctx.text("thema"),
            "toon": ctx.category("toon", "toon"),
            "tekst": ctx.text("tekst", required=False),
            "publiceerbaar": ctx.boolean("publiceerbaar"),
        },
        index=ctx.index,
    )


def signalen(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Load qualitative signals (CSV ``;`` UTF-8).

    Raw headers: ``Nr, Datum, Wijkraad, Bron`` (wijkraad/overleg/Wijkhub-inloop)``, Thema, Toon``
    (positief/neutraal/negatief)``, Samenvatting, Publiceerbaar`` (ja/nee); see
    ``data/raw/signalen/README.md``.

    Returns
    -------
    DataFrame (schema ``schemas.SIGNALEN``): ``signaal_id`` (unique), ``datum``, ``wijkraad_id``,
    ``bron``, ``thema``, ``toon``, ``tekst`` (only quote it in a report when ``publiceerbaar``),
    ``publiceerbaar`` bool.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "signalen.csv"
    >>> _ = p.write_text("Nr;Datum;Wijkraad;Bron;Thema;Toon;Samenvatting;Publiceerbaar\\n"
    ...                  "S1;03-02-2023;tarwewijk;Wijkhub-inloop;afval;negatief;Veel afval bij de school;nee\\n")
    >>> df = signalen(p, validate_units=False)
    >>> df.loc[0, "bron"], bool(df.loc[0, "publiceerbaar"])
    ('Wijkhub-inloop', False)
    """
    return run(
        "signalen", paths, _parse_signalen,
        required=["signaal_id", "datum", "wijkraad_id", "bron", "thema", "toon", "publiceerbaar"],
        lenient=lenient, geography_year=geography_year, validate_units=validate_units,
        period=period, decimal=decimal,
        unique=["signaal_id"], unique_what="signal number", unit_column="wijkraad_id",
    )
