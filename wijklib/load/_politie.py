"""Loader for police-registered crime (CBS StatLine open-data layout and the thehague_crime layout)."""

from __future__ import annotations

import pandas as pd

from wijklib import io as wio
from wijklib.load._engine import FileContext, run
from wijklib.schemas import RAW_HEADERS, THEHAGUE_DELICTS

_BU = r"^BU\d{8}$"


def _cbs_period(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """CBS ``Perioden`` ('2021MM03') -> first of month; year/quarter totals are flagged as aggregates."""
    parts = raw.str.extract(r"^(\d{4})\s*(MM|KW|JJ)\s*(\d{2})$")
    monthly = parts[1] == "MM"
    month = pd.to_numeric(parts[2].where(monthly), errors="coerce")
    ok = monthly & month.between(1, 12)
    stamp = (parts[0].where(ok) + "-" + parts[2].where(ok) + "-01")
    maand = pd.to_datetime(stamp, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
    aggregate = parts[1].isin(["KW", "JJ"])
    bad = ~ok & ~aggregate
    return maand, aggregate, bad


def _parse_cbs(ctx: FileContext) -> pd.DataFrame:
    region = ctx.raw("buurt_code").str.replace(r"\s+", "", regex=True).str.upper()
    maand, period_total, bad_period = _cbs_period(ctx.raw("maand"))
    ctx.flag(bad_period, "maand", "expected a CBS period such as 2021MM03 (year, 'MM', month 01-12)")
    is_buurt = region.str.match(_BU)
    is_total = region.str.match(r"^(NL\d*|GM\d{4}|WK\d{6})$")
    ctx.flag(~is_buurt & ~is_total, "buurt_code", "expected a CBS region code BU######## (or WK/GM totals)")
    code = ctx.raw("misdrijf_code").str.strip()
    ctx.flag(code == "", "misdrijf_code", "expected a crime code such as 1.1.1; the cell is empty")
    crime_total = code.str.fullmatch(r"0(\.0)*")
    ctx.check_period(maand, "maand")
    raw_n = ctx.raw("aantal")
    # CBS writes '.' for "not available": that is missing, not zero.
    not_available = raw_n.isin([".", "x", "-"])
    aantal = ctx.number("aantal", required=False, integer=True, minimum=0, raw=raw_n.where(~not_available, ""),
                        what="a whole number of crimes (or '.' for not available)")
    ctx.flag((raw_n == "") & is_buurt, "aantal", "expected a whole number of crimes (or '.'); the cell is empty")
    # Region/period/crime totals would double count in a buurt x month panel: left out by design,
    # counted in df.attrs["report"].excluded (never silently).
    keep = is_buurt & ~period_total & ~crime_total
    buurt = region
    if ctx.validate_units is not False:
        codes = ctx.unit("buurt_code", "buurt", where=is_buurt)
        buurt = codes.where(is_buurt, region)
    out = pd.DataFrame(
        {
            "buurt_code": buurt,
            "maand": maand,
            "misdrijf_code": code,
            "misdrijf": ctx.text("misdrijf", required=False),
            "aantal": aantal.where(~not_available, pd.NA),
        },
        index=ctx.index,
    )
    dropped = ~keep
    # Problems in dropped total rows still count (they were reported above); keep the rows so that
    # lenient skipping and error messages see them, then drop only the clean totals.
    out = out.loc[keep | _has_problem(ctx, dropped)]
    out.attrs["excluded"] = {
        "rows with wijk/gemeente totals": int((~is_buurt & is_total).sum()),
        "rows with year/quarter totals": int((is_buurt & period_total).sum()),
        "rows with the all-crimes total (0.0.0)": int((is_buurt & ~period_total & crime_total).sum()),
    }
    out.attrs["excluded"] = {k: v for k, v in out.attrs["excluded"].items() if v}
    return out


def _has_problem(ctx: FileContext, rows: pd.Series) -> pd.Series:
    pf = ctx.log.frame()
    bad_rows = set(pf.loc[pf["file"] == ctx.file, "row"].tolist()) if len(pf) else set()
    return rows & pd.Series(ctx.index.isin(list(bad_rows)), index=ctx.index)


def _parse_thehague(ctx: FileContext) -> pd.DataFrame:
    # String work is done on distinct values (341 buurten, 84 months), then broadcast: 343k rows load in ~1 s.
    year, _ = wio.parse_int(ctx.raw("year"))
    ctx.flag(~wio.map_unique(ctx.raw("year"), lambda u: u.str.fullmatch(r"\d{4}")), "year", "expected a four-digit year")
    month, _ = wio.parse_int(ctx.raw("month"))
    ctx.flag(~month.between(1, 12).fillna(False), "month", "expected a month number 1-12")
    ym = pd.DataFrame({"year": year.astype("float64"), "month": month.where(month.between(1, 12)).astype("float64"), "day": 1.0})
    maand = pd.to_datetime(ym, errors="coerce").astype("datetime64[ns]")
    ctx.check_period(maand, "year")
    ok_nb, buurt_code, nb_prefix = wio.map_unique(
        ctx.raw("neighbourhood_code"),
        lambda u: (u.str.fullmatch(r"\d{7,8}").astype(bool), "BU" + u.str.zfill(8), u.str.zfill(8).str.slice(0, 6)),
    )
    ctx.flag(~ok_nb, "neighbourhood_code", "expected a 7-digit neighbourhood code (gemeente + wijk + buurt)")
    ok_d, gebied_code, d_prefix = wio.map_unique(
        ctx.raw("district_code"),
        lambda u: (u.str.fullmatch(r"\d{5,6}").astype(bool), "WK" + u.str.zfill(6), u.str.zfill(6)),
    )
    ctx.flag(~ok_d, "district_code", "expected a 5-digit district code (gemeente + wijk)")
    mismatch = ok_nb & ok_d & (nb_prefix != d_prefix)
    ctx.flag(mismatch, "neighbourhood_code", "neighbourhood code does not start with its district_code " + ctx.raw("district_code"))
    code = ctx.raw("delict_code")
    known = code.isin(list(THEHAGUE_DELICTS))
    ctx.flag(~known, "delict_code", f"unknown delict code; expected one of {', '.join(THEHAGUE_DELICTS)}")
    aantal = ctx.number("delicts", integer=True, minimum=0, what="a whole number of crimes")
    if ctx.validate_units is True:
        buurt_code = ctx.unit("neighbourhood_code", "buurt").where(ok_nb, buurt_code)
    return pd.DataFrame(
        {
            "buurt_code": buurt_code.where(ok_nb),
            "maand": maand,
            "misdrijf_code": code,
            "misdrijf": code.map(THEHAGUE_DELICTS).astype("str"),
            "aantal": aantal,
            "buurt": ctx.text("neighbourhood_name", required=False),
            "gebied_code": gebied_code.where(ok_d),
        },
        index=ctx.index,
    )


def politie(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool | None = None,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Load police-registered crime per buurt per month.

    Two layouts are recognised from the header, per file:

    * **CBS StatLine / police open data** (table 47018NED-like; CSV ``;`` UTF-8): ``ID, SoortMisdrijf``
      (e.g. ``1.1.1``)``, Omschrijving misdrijf, WijkenEnBuurten`` (BU/WK/GM code, padded with
      spaces)``, Perioden`` (``2021MM03``)``, GeregistreerdeMisdrijven_1`` (``.`` = not available ->
      ``<NA>``, not 0). Rows with wijk/gemeente totals, year/quarter totals or the all-crimes total
      ``0.0.0`` are left out (they would double count) and counted in
      ``df.attrs["report"].excluded``.
    * **thehague_crime** (Haaglanden police, 2011-2017; ``year, month, district_code, delict_code,
      neighbourhood_code, neighbourhood_name, delicts``): neighbourhood ``5180271`` ->
      ``BU05180271``, district ``51802`` -> ``gebied_code`` ``WK051802``; delict codes keep their
      number with a Dutch label in ``misdrijf``.

    Parameters
    ----------
    validate_units
        ``None`` (default): check buurt codes against ``wijklib.geo`` for the CBS layout, only their
        pattern (``BU`` + 8 digits) for thehague_crime (not Rotterdam). ``True``/``False`` force it.

    Returns
    -------
    DataFrame (schema ``schemas.POLITIE``): ``buurt_code`` str, ``maand`` datetime64 (first of month),
    ``misdrijf_code`` str, ``misdrijf`` str, ``aantal`` Int64 >= 0 (``<NA>`` = not available);
    thehague_crime adds ``buurt`` (name) and ``gebied_code`` (CBS wijk). Unique per
    (buurt_code, maand, misdrijf_code) — ready for a buurt x month panel.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "politie.csv"
    >>> _ = p.write_text("ID;SoortMisdrijf;Omschrijving misdrijf;WijkenEnBuurten;Perioden;GeregistreerdeMisdrijven_1\\n"
    ...                  "0;1.1.1;Diefstal/inbraak woning;BU05991571  ;2021MM03;4\\n"
    ...                  "1;1.1.1;Diefstal/inbraak woning;BU05991571  ;2021MM04;.\\n")
    >>> politie(p, validate_units=False)["aantal"].tolist()
    [4, <NA>]
    """
    lay = RAW_HEADERS["politie_thehague"]
    return run(
        "politie", paths, _parse_cbs,
        required=["misdrijf_code", "buurt_code", "maand", "aantal"],
        lenient=lenient, geography_year=geography_year, validate_units=validate_units,
        period=period, decimal=decimal,
        layouts={"thehague": (lay, _parse_thehague, list(lay))},
        unique=["buurt_code", "maand", "misdrijf_code"], unique_what="buurt, month and crime code",
        unit_column="buurt_code" if validate_units is not False else None,
    )
