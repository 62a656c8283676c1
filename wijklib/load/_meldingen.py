"""Loader for public reports (meldingen openbare ruimte: 14 010, MeldR, BuitenBeter, web)."""

from __future__ import annotations

import pandas as pd

from wijklib import io as wio
from wijklib.load._engine import FileContext, run

# RD New (EPSG:28992) bounding box of the Netherlands; a point outside is a typo or a swapped x/y.
RD_X = (0.0, 300_000.0)
RD_Y = (289_000.0, 629_000.0)


def _parse(ctx: FileContext) -> pd.DataFrame:
    if not (ctx.has("buurt_code") or (ctx.has("x") and ctx.has("y"))):
        raise wio.DataError(
            f"{ctx.file}: no location columns: expected 'Buurtcode' or both 'X-coördinaat' and "
            f"'Y-coördinaat'. Columns found: {', '.join(repr(c) for c in ctx.raw_frame.columns)}"
        )
    ontvangen = ctx.date("ontvangen")
    # A melding of December may be closed in January: closing dates only must not precede the period.
    afgehandeld = ctx.date("afgehandeld", required=False, period="after")
    ctx.flag(
        afgehandeld < ontvangen,
        "afgehandeld",
        "closed before it was received ('" + ctx.header("ontvangen") + "' = " + ctx.raw("ontvangen") + ")",
    )
    x = ctx.number("x", required=False)
    y = ctx.number("y", required=False)
    ctx.flag(~x.between(*RD_X) & x.notna(), "x", f"expected an RD New x between {RD_X[0]:,.0f} and {RD_X[1]:,.0f} m")
    ctx.flag(~y.between(*RD_Y) & y.notna(), "y", f"expected an RD New y between {RD_Y[0]:,.0f} and {RD_Y[1]:,.0f} m")
    x_raw, y_raw = ctx.raw("x"), ctx.raw("y")
    ctx.flag((x_raw == "") & (y_raw != ""), "x", "x is empty while y is filled in; expected both or neither")
    ctx.flag((y_raw == "") & (x_raw != ""), "y", "y is empty while x is filled in; expected both or neither")
    buurt_raw = ctx.raw("buurt_code")
    no_location = (buurt_raw == "") & (x_raw == "") & (y_raw == "")
    ctx.flag(no_location, "buurt_code", "no location: expected a buurt code, or x and y coordinates")
    if ctx.has("status"):
        status = ctx.category("status", "status")
    else:
        # Some exports leave the status out; a closing date is then the only evidence.
        status = pd.Series("open", index=ctx.index, dtype="str").where(afgehandeld.isna(), "afgehandeld")
    return pd.DataFrame(
        {
            "melding_id": ctx.text("melding_id"),
            "ontvangen": ontvangen,
            "afgehandeld": afgehandeld,
            "kanaal": ctx.category("kanaal", "kanaal"),
            "categorie": ctx.category("categorie", "categorie"),
            "subcategorie": ctx.text("subcategorie", required=False),
            "buurt_code": ctx.unit("buurt_code", "buurt", required=False),
            "x": x,
            "y": y,
            "status": status,
            "omschrijving": ctx.text("omschrijving", required=False),
        },
        index=ctx.index,
    )


def meldingen(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Load public reports (meldingen) from one or more exports (CSV ``;`` cp1252, or .xlsx).

    Parameters
    ----------
    paths
        A file, a list of files or a glob pattern (``"data/raw/demo/meldingen_*.csv"``); files are
        concatenated. Raw headers: see ``schemas.RAW_HEADERS["meldingen"]`` and ``data/raw/meldingen/README.md``.
    lenient
        Skip bad rows instead of raising; they are listed in ``df.attrs["skipped"]`` and a warning
        says how many.
    geography_year
        CBS geography year of the buurt codes (default: detected by ``wijklib.geo``).
    validate_units
        Check buurt codes/names against ``wijklib.geo`` (else they are passed through).

    Returns
    -------
    DataFrame (schema ``schemas.MELDINGEN``), one row per melding:
    ``melding_id`` str (unique), ``ontvangen`` datetime64, ``afgehandeld`` datetime64 (NaT = open),
    ``kanaal`` {14010, MeldR, BuitenBeter, web}, ``categorie`` {afval, grofvuil, zwerfvuil, parkeren,
    fietswrakken, overlast, jeugd, verwaarlozing}, ``subcategorie`` str, ``buurt_code`` str (may be
    missing when x/y are given), ``x``/``y`` float (RD New), ``status`` {open, afgehandeld, doorgezet,
    vervallen} (derived from ``afgehandeld`` when the export has no status column), ``omschrijving``
    str (free text; may hold personal data — never report it).

    Raises
    ------
    wijklib.io.DataError
        Naming file, row, column, value and what was expected: unparseable or future dates, closed
        before received, unknown channel/category/status/buurt, duplicate numbers, coordinates outside
        the Netherlands, no location, missing columns, empty file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "meldingen_2021.csv"
    >>> _ = p.write_bytes(
    ...     "Meldingnummer;Datum melding;Datum afhandeling;Kanaal;Hoofdcategorie;Subcategorie;"
    ...     "Buurtcode;X-coördinaat;Y-coördinaat;Status;Omschrijving\\n"
    ...     "M1;05-03-2021 14:07;08-03-2021 09:00;MeldR;Grofvuil;matras;BU05991571;92345,6;433210,1;"
    ...     "afgehandeld;matras naast container\\n".encode("cp1252"))
    >>> df = meldingen(p, validate_units=False)
    >>> df.loc[0, "melding_id"], df.loc[0, "categorie"], float(df.loc[0, "x"])
    ('M1', 'grofvuil', 92345.6)
    """
    return run(
        "meldingen", paths, _parse,
        required=["melding_id", "ontvangen", "kanaal", "categorie"],
        lenient=lenient, geography_year=geography_year, validate_units=validate_units,
        period=period, decimal=decimal,
        unique=["melding_id"], unique_what="melding number", unit_column="buurt_code",
    )
