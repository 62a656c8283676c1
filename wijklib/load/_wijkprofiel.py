"""Loader for the Wijkprofiel (veiligheid, sociaal, fysiek index scores per wijk per edition)."""

from __future__ import annotations

import pandas as pd

from wijklib import io as wio
from wijklib.load._engine import FileContext, run
from wijklib.schemas import WIJKPROFIEL_EDITIES


def _parse(ctx: FileContext) -> pd.DataFrame:
    editie = ctx.number("editie", integer=True, what="an edition year")
    ctx.flag(
        editie.notna() & ~editie.isin(list(WIJKPROFIEL_EDITIES)), "editie",
        f"expected a Wijkprofiel edition ({', '.join(map(str, WIJKPROFIEL_EDITIES))}; biennial, even years)",
    )
    return pd.DataFrame(
        {
            "editie": editie,
            "wijk_code": ctx.unit("wijk_code", "wijk"),
            "index": ctx.category("index", "index"),
            # Index-level rows (the index itself) have no theme.
            "thema": ctx.text("thema", required=False),
            "deel": ctx.category("deel", "deel"),
            "indicator": ctx.text("indicator"),
            "waarde": ctx.number("waarde", what="an index score (decimal comma or point)"),
            "n_respondenten": ctx.number(
                "n_respondenten", required=False, integer=True, minimum=0, what="a number of respondents"
            ),
        },
        index=ctx.index,
    )



def wijkprofiel(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """Load Wijkprofiel scores (.xlsx; CSV works too).

    Raw headers: ``Editie, Wijk`` (name or code of one of the 71 Wijkprofiel wijken)``, Index``
    (veiligheid/sociaal/fysiek or VI/SI/FI)``, Thema, Deel`` (objectief/subjectief/totaal)``,
    Indicator, Score, Aantal respondenten`` (may be empty); see ``data/raw/wijkprofiel/README.md``.

    Returns
    -------
    DataFrame (schema ``schemas.WIJKPROFIEL``): ``editie`` int (2014..2024, even), ``wijk_code``
    (BU code of the wijk's primary buurt), ``index``, ``thema`` (empty for index-level rows),
    ``deel``, ``indicator``, ``waarde`` float (100 = city 2014), ``n_respondenten`` Int64 (nullable).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "wijkprofiel.csv"
    >>> _ = p.write_text("Editie;Wijk;Index;Thema;Deel;Indicator;Score;Aantal respondenten\\n"
    ...                  "2022;BU05991571;VI;diefstal;objectief;diefstal;93,4;\\n")
    >>> row = wijkprofiel(p, validate_units=False).iloc[0]
    >>> row["index"], float(row["waarde"])
    ('veiligheid', 93.4)
    """
    return run(
        "wijkprofiel", paths, _parse,
        required=["editie", "wijk_code", "index", "deel", "indicator", "waarde"],
        lenient=lenient, geography_year=geography_year, validate_units=validate_units,
        period=period, decimal=decimal,
        unique=["editie", "wijk_code", "index", "thema", "deel", "indicator"],
        unique_what="score (edition, wijk, index, theme, part, indicator)",
        unit_column="wijk_code",
    )


def veiligheidsindex(
    paths: wio.Paths,
    *,
    lenient: bool = False,
    geography_year: int | None = None,
    validate_units: bool = True,
    period: object = None,
    decimal: str | None = None,
) -> pd.DataFrame:
    """The veiligheid (safety) index rows of the Wijkprofiel: :func:`wijkprofiel` with ``index == "veiligheid"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "wijkprofiel.csv"
    >>> _ = p.write_text("Editie;Wijk;Index;Thema;Deel;Indicator;Score\\n"
    ...                  "2022;BU05991571;VI;diefstal;objectief;diefstal;93,4\\n"
    ...                  "2022;BU05991571;SI;zelfredzaamheid;subjectief;zelfredzaamheid;88\\n")
    >>> len(veiligheidsindex(p, validate_units=False))
    1
    """
    df = wijkprofiel(paths, lenient=lenient, geography_year=geography_year, validate_units=validate_units,
                     period=period, decimal=decimal)
    out = df.loc[df["index"] == "veiligheid"].reset_index(drop=True)
    out.attrs = dict(df.attrs)
    return out
