"""Unit x period panels built from the canonical event tables of :mod:`wijklib.load`.

A panel is a **long** table with one row per ``unit`` x ``period`` (first day of the month for
``freq="M"``, the Monday of the ISO week for ``freq="W"``), at level ``buurt``, ``wijk``,
``wijkraad`` (default), ``gebied`` or ``gemeente``; units come from :func:`wijklib.geo.units`, so a
unit without any event is present with zeros.

Zeros versus missing
--------------------
A period *inside* a source's coverage without events is a true zero. A period *outside* the coverage,
or one listed as missing, has ``NaN`` in that source's columns and ``missing_<source> = True``; it is
never silently zero. Coverage per source comes from, in order: the ``coverage`` argument of
:func:`build`, ``df.attrs["coverage"]`` of the table (``{"start": "2018-01", "end": "2025-12",
"gaps"/"missing_weeks"/"missing_periods": [...]}``; :func:`wijklib.sources.load` sets it from the
run config's declared ``period`` and ``gaps``). Only when no period is declared is it inferred from
the data (fallback, ``attrs["coverage"][source]["declared"] = False``): the first to the last month
holding data, and for event sources (meldingen, handhaving, politie) a month without a single row
for any unit counts as not delivered (missing), not as a city-wide zero. Inside a *declared* period
a month without rows is a true zero. A period counts as covered only when *all* its days are covered.

Output columns of :func:`build`
--------------------------------
==========================  ==================================================================
``unit``, ``period``        unit key at the level (``buurt_code``/``wijk_code``/``wijkraad_id``/
                            ``gebied_code``/``gemeente_code``), period start (datetime64)
``t``                       1-based integer index of the period in the panel
``population``              residents (``geo.population``) in the period's year
``n_<categorie>``           reports (meldingen) received in the period, per category (float: NaN if
                            missing); ``n_meldingen`` = all categories
``rate_<categorie>``        ``n_<categorie>`` per 1,000 residents; ``rate_meldingen``
``n_afgehandeld``           reports received in the period that were closed with status afgehandeld
``doorlooptijd_mediaan``,   median / 90th percentile follow-up time in days (afgehandeld - ontvangen)
``doorlooptijd_p90``        of those reports, by month of *receipt*; NaN when none were closed.
                            Recent periods are right-censored: still-open reports are excluded.
``n_controles``,            controles, controles with a violation, other actions (waarschuwing,
``n_controles_overtreding``, bestuurlijke strafbeschikking, proces-verbaal)
``n_sancties``
``naleving``                share of controles without a violation (NaN when no controles)
``uren``                    enforcement hours (only at wijkraad level and above; weekly hours are
                            spread evenly over their 7 days, so a month gets its days' share)
``n_misdrijven``,           police-registered crimes, total and per CBS crime type (dots -> ``_``)
``n_misdrijf_<code>``,
``rate_misdrijven``
``treated``                 1 from the first treated period on, else 0 (levels buurt..wijkraad)
``first_treated``           first treated period (datetime64; NaT = never treated)
``gname``                   integer cohort for DiD in the units of ``t``: 0 = never treated, else the
                            ``t`` of the first treated period (1 when treated before the panel start)
``rel_time``                ``t - gname`` for treated units (event time; NaN for never treated)
``treated_share``           (gebied/gemeente only) population share of wijkraden treated
``missing_<source>``        True where that source has no data for the period
==========================  ==================================================================

Examples
--------
>>> import pandas as pd
>>> ev = pd.DataFrame({"ontvangen": pd.to_datetime(["2021-01-05", "2021-03-02"]),
...                    "categorie": ["afval", "jeugd"], "buurt_code": ["BU05991571"] * 2})
>>> c = meldingen_counts(ev, level="buurt", units=["BU05991571"],
...                      periods=pd.date_range("2021-01-01", "2021-03-01", freq="MS"))
>>> c[["period", "n_afval", "n_jeugd"]].to_string(index=False)
'    period  n_afval  n_jeugd\\n2021-01-01        1        0\\n2021-02-01        0        0\\n2021-03-01        0        1'
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from wijklib.config import DEMO_RAW_DIR

Level = Literal["buurt", "wijk", "wijkraad", "gebied", "gemeente"]
Freq = Literal["M", "W"]

LEVEL_KEYS: dict[str, str] = {
    "buurt": "buurt_code", "wijk": "wijk_code", "wijkraad": "wijkraad_id",
    "gebied": "gebied_code", "gemeente": "gemeente_code",
}
_LEVEL_ORDER = ("buurt", "wijk", "wijkraad", "gebied", "gemeente")
CATEGORIES: tuple[str, ...] = (
    "afval", "grofvuil", "zwerfvuil", "parkeren", "fietswrakken", "overlast", "jeugd", "verwaarlozing",
)
SOURCES: tuple[str, ...] = ("meldingen", "handhaving", "handhaving_uren", "politie", "interventie")
#: Sources whose absence of a row means zero events (the others are registers: absence = missing).
_EVENT_SOURCES = ("meldingen", "handhaving", "politie")
#: Inferred coverage (no declared period): a month with no row at all for any unit counts as not
#: delivered when the source averages at least this many rows per month.
_MIN_ROWS_PER_MONTH_FOR_GAPS = 20

#: Wijkakkoord indicator text (as written in the wijkakkoorden file) -> panel column.
INDICATOR_COLUMNS: dict[str, str] = {
    **{f"meldingen {c}": f"rate_{c}" for c in CATEGORIES},
    "doorlooptijd": "doorlooptijd_mediaan",
    "naleving": "naleving",
    "vernieling": "n_misdrijf_2_2_1",
}

# --------------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------------


def _check_level(level: str) -> str:
    if level not in LEVEL_KEYS:
        raise ValueError(f"level must be one of {list(LEVEL_KEYS)}, got {level!r}")
    return LEVEL_KEYS[level]


def _check_freq(freq: str) -> str:
    if freq not in ("M", "W"):
        raise ValueError(f"freq must be 'M' (month) or 'W' (ISO week starting Monday), got {freq!r}")
    return freq


def period_of(ts: pd.Series | pd.DatetimeIndex, freq: Freq = "M") -> pd.Series:
    """Start of the period holding each time stamp: first of the month or Monday of the week.

    Examples
    --------
    >>> period_of(pd.Series(pd.to_datetime(["2024-03-17 10:00"])), "W").iloc[0]
    Timestamp('2024-03-11 00:00:00')
    """
    _check_freq(freq)
    s = pd.Series(pd.to_datetime(ts))
    if freq == "M":
        return s.dt.to_period("M").dt.start_time.astype("datetime64[ns]")
    day = s.dt.normalize()
    return (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).astype("datetime64[ns]")


def period_range(start: Any, end: Any, freq: Freq = "M") -> pd.DatetimeIndex:
    """All period starts from the period holding ``start`` to the one holding ``end``.

    Examples
    --------
    >>> list(period_range("2021-01-15", "2021-03-01").strftime("%Y-%m"))
    ['2021-01', '2021-02', '2021-03']
    """
    first = period_of(pd.Series([pd.Timestamp(start)]), freq).iloc[0]
    last = period_of(pd.Series([pd.Timestamp(end)]), freq).iloc[0]
    return pd.date_range(first, last, freq="MS" if freq == "M" else "W-MON")


def _period_end(p: pd.DatetimeIndex, freq: Freq) -> pd.DatetimeIndex:
    """Last day of each period (inclusive)."""
    if freq == "M":
        return p + pd.offsets.MonthEnd(0)
    return p + pd.Timedelta(days=6)


def _finer(level: str, than: str) -> bool:
    """Is ``level`` below ``than`` in the hierarchy buurt < wijk < wijkraad < gebied < gemeente?"""
    return _LEVEL_ORDER.index(level) < _LEVEL_ORDER.index(than)


#: A city geography other than the package's (``wijklib.geo``) while a panel is built: see
#: :func:`using_geography`. Holds ``(hierarchy, population)``.
_GEOGRAPHY: contextvars.ContextVar[tuple[pd.DataFrame, pd.DataFrame | None] | None] = contextvars.ContextVar(
    "wijklib_panel_geography", default=None)


@contextlib.contextmanager
def using_geography(hierarchy: pd.DataFrame, population: pd.DataFrame | None = None):
    """Build panels on another city's geography instead of the package's ``wijklib.geo``.

    ``hierarchy`` has one row per buurt with ``buurt_code`` and the key columns of the levels used
    (``wijk_code``, ``wijkraad_id``, ...); ``population`` (``unit``, ``year``, ``population``) may be
    ``None``: then ``population`` and every ``rate_*`` column are NaN (unknown, never invented).

    Examples
    --------
    >>> h = pd.DataFrame({"buurt_code": ["BU05180101"], "wijkraad_id": ["51801"]})
    >>> pol = pd.DataFrame({"buurt_code": ["BU05180101"], "maand": pd.to_datetime(["2015-01-01"]),
    ...                     "misdrijf_code": ["104"], "misdrijf": ["W"], "aantal": [3]})
    >>> with using_geography(h):
    ...     p = build({"politie": pol})
    >>> p[["unit", "n_misdrijven", "population"]].values.tolist()
    [['51801', 3.0, nan]]
    """
    token = _GEOGRAPHY.set((hierarchy, population))
    try:
        yield
    finally:
        _GEOGRAPHY.reset(token)


def _hierarchy() -> pd.DataFrame:
    from wijklib import geo

    custom = _GEOGRAPHY.get()
    return custom[0] if custom is not None else geo.hierarchy()


def _units(level: Level) -> list[str]:
    from wijklib import geo

    key = LEVEL_KEYS[level]
    custom = _GEOGRAPHY.get()
    if custom is not None:
        if key not in custom[0].columns:
            raise ValueError(f"the geography in use has no level {level!r} (column {key!r} missing)")
        return sorted(custom[0][key].dropna().astype(str).unique().tolist())
    u = geo.units(level)
    col = key if key in u.columns else ("unit" if "unit" in u.columns else u.columns[0])
    return sorted(pd.Series(u[col]).astype(str).unique().tolist())


def _unit_of(values: pd.Series, from_key: str, level: Level, *, source: str) -> pd.Series:
    """Map buurt codes or wijkraad ids to units of ``level`` through the geo hierarchy."""
    key = LEVEL_KEYS[level]
    if from_key == key:
        return values.astype("str")
    hier = _hierarchy()
    if _finer(level, {v: k for k, v in LEVEL_KEYS.items()}[from_key]):
        raise ValueError(f"{source}: data keyed by {from_key!r} cannot be split to level {level!r}")
    mapping = hier.drop_duplicates(from_key).set_index(from_key)[key].astype(str)
    out = values.astype("str").map(mapping)
    bad = values.notna() & out.isna()
    if bad.any():
        unknown = sorted(values[bad].astype(str).unique().tolist())[:5]
        raise ValueError(f"{source}: column {from_key!r} holds codes unknown to wijklib.geo: {unknown} "
                         f"(expected codes of geo.hierarchy(); recode older geographies first)")
    return out.astype("str")


def report_buurt(df: pd.DataFrame) -> pd.Series:
    """Buurt code of each report; reports with only coordinates are placed with ``geo.locate``.

    Exports hold app reports with a map pin but no buurt code. ``geo.locate`` assigns the buurt
    whose (schematic) cell holds the point; points outside every cell stay missing.

    Examples
    --------
    >>> from wijklib import geo
    >>> x, y = geo.wgs84_to_rd(51.893, 4.483)  # Tarwewijk
    >>> df = pd.DataFrame({"buurt_code": [None, "BU05990110"], "x": [float(x), None], "y": [float(y), None]})
    >>> report_buurt(df).tolist()
    ['BU05991571', 'BU05990110']
    """
    code = df["buurt_code"].astype("str")
    if {"x", "y"} <= set(df.columns):
        need = code.isna() & df["x"].notna() & df["y"].notna()
        if need.any():
            from wijklib import geo

            code = code.copy()
            code[need] = geo.locate(df.loc[need, "x"].to_numpy(dtype=float),
                                    df.loc[need, "y"].to_numpy(dtype=float)).to_numpy(dtype=object)
    return code


def _require(df: pd.DataFrame, cols: Iterable[str], source: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{source} table lacks columns {missing}; found {list(df.columns)} "
                         f"(expected the canonical layout of docs/contracts.md)")


def _grid(units: Sequence[str], per: pd.DatetimeIndex) -> pd.MultiIndex:
    return pd.MultiIndex.from_product([list(units), per], names=["unit", "period"])


def _t_of(period: pd.Series, per: pd.DatetimeIndex) -> pd.Series:
    """Column ``t``: the 1-based index of each row's period in the panel periods ``per``."""
    return period.map({p: i + 1 for i, p in enumerate(per)}).astype("int64")


def _per_1000(n: pd.Series, population: pd.Series) -> pd.Series:
    """Rate per 1,000 residents; NaN where the population is 0 or unknown."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return n / population.where(population > 0) * 1000.0


def _resolve_grid(df_units: pd.Series, df_periods: pd.Series, units, per, level, freq):
    if units is None:
        units = _units(level)
    if per is None:
        if len(df_periods) == 0:
            raise ValueError("no periods given and the table is empty: pass periods=...")
        per = period_range(df_periods.min(), df_periods.max(), freq)
    return list(units), pd.DatetimeIndex(per)


# --------------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------------


def meldingen_counts(
    df: pd.DataFrame,
    level: Level = "wijkraad",
    freq: Freq = "M",
    *,
    units: Sequence[str] | None = None,
    periods: pd.DatetimeIndex | None = None,
    categories: Sequence[str] = CATEGORIES,
) -> pd.DataFrame:
    """Reports per unit x period x category, as a complete grid with explicit zeros.

    Parameters
    ----------
    df : DataFrame
        Canonical ``meldingen`` table (``ontvangen``, ``categorie``, ``buurt_code``).
    level, freq
        Unit level and period length.
    units, periods
        The grid; default all units of the level (``geo.units``) and every period from the first to
        the last report.
    categories
        Categories to count (each gets ``n_<categorie>``); ``n_meldingen`` counts all rows.

    Returns
    -------
    DataFrame
        ``unit, period, n_<categorie>..., n_meldingen`` (int64). Reports without a buurt code but
        with coordinates are placed by :func:`report_buurt` (``attrs["located_from_xy"]``); rows
        without either are not counted (``attrs["dropped_no_unit"]``).

    Examples
    --------
    >>> ev = pd.DataFrame({"ontvangen": pd.to_datetime(["2021-01-05"]), "categorie": ["afval"],
    ...                    "buurt_code": ["BU05991571"]})
    >>> meldingen_counts(ev, "buurt", units=["BU05991571"])["n_afval"].tolist()
    [1]
    """
    _check_freq(freq)
    _check_level(level)
    _require(df, ["ontvangen", "categorie", "buurt_code"], "meldingen")
    buurt = report_buurt(df)
    has_unit = buurt.notna()
    unit = _unit_of(buurt[has_unit], "buurt_code", level, source="meldingen")
    per = period_of(df.loc[has_unit, "ontvangen"], freq).set_axis(unit.index)
    units_, per_ = _resolve_grid(unit, per, units, periods, level, freq)
    cat = df.loc[has_unit, "categorie"].astype("str")
    keys = pd.DataFrame({"unit": unit, "period": per, "categorie": cat})
    wide = keys.groupby(["unit", "period", "categorie"]).size().unstack("categorie", fill_value=0)
    out = pd.DataFrame(index=_grid(units_, per_))
    total = keys.groupby(["unit", "period"]).size()
    for c in categories:
        col = wide[c] if c in wide.columns else pd.Series(dtype="int64")
        out[f"n_{c}"] = col.reindex(out.index, fill_value=0).astype("int64")
    out["n_meldingen"] = total.reindex(out.index, fill_value=0).astype("int64")
    out = out.reset_index()
    out.attrs["dropped_no_unit"] = int((~has_unit).sum())
    out.attrs["located_from_xy"] = int((df["buurt_code"].isna() & has_unit).sum())
    return out


def followup_times(
    df: pd.DataFrame,
    level: Level = "wijkraad",
    freq: Freq = "M",
    *,
    units: Sequence[str] | None = None,
    periods: pd.DatetimeIndex | None = None,
    categories: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Median and 90th-percentile follow-up time (days) of closed reports per unit x period.

    Only reports with status ``afgehandeld`` and a closing date count; the period is that of
    *receipt*. Periods without closed reports get NaN (undefined, not missing data).

    Parameters
    ----------
    df : DataFrame
        Canonical ``meldingen`` table.
    level, freq, units, periods
        As in :func:`meldingen_counts`.
    categories
        Restrict to these categories (default all).

    Returns
    -------
    DataFrame
        ``unit, period, n_afgehandeld, doorlooptijd_mediaan, doorlooptijd_p90``.

    Examples
    --------
    >>> ev = pd.DataFrame({"ontvangen": pd.to_datetime(["2021-01-05", "2021-01-06"]),
    ...     "afgehandeld": pd.to_datetime(["2021-01-07", "2021-01-16"]), "status": ["afgehandeld"] * 2,
    ...     "categorie": ["afval", "afval"], "buurt_code": ["BU05991571"] * 2})
    >>> followup_times(ev, "buurt", units=["BU05991571"])["doorlooptijd_mediaan"].tolist()
    [6.0]
    """
    _check_freq(freq)
    _require(df, ["ontvangen", "afgehandeld", "status", "buurt_code"], "meldingen")
    buurt = report_buurt(df)
    keep = (df["status"].astype("str") == "afgehandeld") & df["afgehandeld"].notna() & buurt.notna()
    if categories is not None:
        keep &= df["categorie"].isin(list(categories))
    sub = df.loc[keep]
    unit = _unit_of(buurt[keep], "buurt_code", level, source="meldingen")
    per = period_of(sub["ontvangen"], freq).set_axis(sub.index)
    if periods is None and len(df):
        # The grid spans all reports, closed or not, so that months with none closed show up.
        all_per = period_of(df["ontvangen"], freq)
        periods = period_range(all_per.min(), all_per.max(), freq)
    units_, per_ = _resolve_grid(unit, per, units, periods, level, freq)
    days = (sub["afgehandeld"] - sub["ontvangen"]).dt.total_seconds() / 86400.0
    g = pd.DataFrame({"unit": unit, "period": per, "days": days}).groupby(["unit", "period"])["days"]
    stats = pd.DataFrame({"n_afgehandeld": g.size(), "doorlooptijd_mediaan": g.median(),
                          "doorlooptijd_p90": g.quantile(0.9)})
    out = stats.reindex(_grid(units_, per_))
    out["n_afgehandeld"] = out["n_afgehandeld"].fillna(0).astype("int64")
    return out.reset_index()


def compliance(
    df: pd.DataFrame,
    level: Level = "wijkraad",
    freq: Freq = "M",
    *,
    units: Sequence[str] | None = None,
    periods: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Controles, violations and compliance (naleving) per unit x period from enforcement actions.

    ``naleving`` = controles without a violation / controles (NaN when there were no controles).

    Returns
    -------
    DataFrame
        ``unit, period, n_controles, n_controles_overtreding, n_sancties, naleving``.

    Examples
    --------
    >>> acts = pd.DataFrame({"datum": pd.to_datetime(["2021-01-05"] * 3), "buurt_code": ["BU05991571"] * 3,
    ...     "actie": ["controle", "controle", "waarschuwing"], "overtreding": [False, True, True]})
    >>> compliance(acts, "buurt", units=["BU05991571"])[["n_controles", "naleving"]].values.tolist()
    [[2.0, 0.5]]
    """
    _check_freq(freq)
    _require(df, ["datum", "buurt_code", "actie", "overtreding"], "handhaving")
    unit = _unit_of(df["buurt_code"], "buurt_code", level, source="handhaving")
    per = period_of(df["datum"], freq).set_axis(df.index)
    units_, per_ = _resolve_grid(unit, per, units, periods, level, freq)
    is_ctrl = df["actie"].astype("str") == "controle"
    viol = df["overtreding"].astype(bool)
    frame = pd.DataFrame({"unit": unit, "period": per, "c": is_ctrl.astype("int64"),
                          "cv": (is_ctrl & viol).astype("int64"), "s": (~is_ctrl).astype("int64")})
    sums = frame.groupby(["unit", "period"])[["c", "cv", "s"]].sum()
    out = sums.reindex(_grid(units_, per_), fill_value=0)
    out.columns = ["n_controles", "n_controles_overtreding", "n_sancties"]
    out = out.astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["naleving"] = np.where(out["n_controles"] > 0,
                                   1.0 - out["n_controles_overtreding"] / out["n_controles"].where(
                                       out["n_controles"] > 0), np.nan)
    return out.reset_index()


def enforcement_hours(
    df: pd.DataFrame,
    level: Level = "wijkraad",
    freq: Freq = "M",
    *,
    units: Sequence[str] | None = None,
    periods: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Enforcement hours per unit x period from the weekly hours register.

    The register has one row per wijkraad-week; a week absent from it is *missing*, not zero. For
    monthly panels each week's hours are spread evenly over its 7 days, and a month is missing when
    any of its days falls in a missing week. Only levels wijkraad and above are possible.

    Returns
    -------
    DataFrame
        ``unit, period, uren, missing_handhaving_uren``.

    Examples
    --------
    >>> h = pd.DataFrame({"wijkraad_id": ["tarwewijk"] * 2, "week": pd.to_datetime(["2024-01-01", "2024-01-08"]),
    ...                   "uren": [7.0, 14.0]})
    >>> enforcement_hours(h, "wijkraad", "W", units=["tarwewijk"])["uren"].tolist()
    [7.0, 14.0]
    """
    _check_freq(freq)
    _require(df, ["wijkraad_id", "week", "uren"], "handhaving_uren")
    if _finer(level, "wijkraad"):
        raise ValueError(f"handhaving_uren is kept per wijkraad; it cannot be split to level {level!r}")
    week = period_of(df["week"], "W").set_axis(df.index)
    if (week != pd.to_datetime(df["week"]).dt.normalize()).any():
        bad = df.loc[week != pd.to_datetime(df["week"]).dt.normalize(), "week"].iloc[0]
        raise ValueError(f"handhaving_uren: week {bad} is not a Monday (expected the Monday of each week)")
    wr = df["wijkraad_id"].astype("str")
    # Per wijkraad-week (the register's own grid); duplicate rows are summed.
    reg = pd.DataFrame({"wijkraad_id": wr, "week": week, "uren": df["uren"].astype(float)}).groupby(
        ["wijkraad_id", "week"])["uren"].sum()
    wr_all = list(units) if (level == "wijkraad" and units is not None) else _units("wijkraad")
    wk0, wk1 = reg.index.get_level_values("week").min(), reg.index.get_level_values("week").max()
    weeks = pd.date_range(wk0, wk1, freq="W-MON")
    full = reg.reindex(pd.MultiIndex.from_product([wr_all, weeks], names=["wijkraad_id", "week"]))
    if freq == "W":
        per_series = full.reset_index().rename(columns={"week": "period"})
        per_series["unit"] = _unit_of(per_series["wijkraad_id"], "wijkraad_id", level,
                                      source="handhaving_uren")
    else:
        # Spread each week over its 7 days, then sum per month.
        f = full.reset_index()
        rep = f.loc[f.index.repeat(7)].copy()
        rep["day"] = rep["week"] + pd.to_timedelta(np.tile(np.arange(7), len(f)), unit="D")
        rep["uren"] = rep["uren"] / 7.0
        rep["period"] = period_of(rep["day"], "M").to_numpy()
        rep["unit"] = _unit_of(rep["wijkraad_id"], "wijkraad_id", level, source="handhaving_uren")
        per_series = rep
    g = per_series.groupby(["unit", "period"])["uren"]
    # min_count: a sum over any missing week is missing.
    agg = pd.DataFrame({"uren": g.sum(min_count=1), "nmiss": g.size() - g.count()})
    agg.loc[agg["nmiss"] > 0, "uren"] = np.nan
    units_ = _units(level) if units is None else list(units)
    per_ = (pd.DatetimeIndex(periods) if periods is not None
            else period_range(wk0, wk1 + pd.Timedelta(days=6), freq))
    out = agg.reindex(_grid(units_, per_))
    out["missing_handhaving_uren"] = out["uren"].isna()
    return out[["uren", "missing_handhaving_uren"]].reset_index()


def politie(
    df: pd.DataFrame,
    level: Level = "wijkraad",
    freq: Freq = "M",
    *,
    units: Sequence[str] | None = None,
    periods: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Police-registered crimes per unit x month, total and per crime type.

    Police data are monthly; ``freq="W"`` is refused rather than invented. A crime type absent
    for a unit-month is zero; a suppressed count (``aantal`` NA, CBS ".") makes that cell and the
    total NaN, and the output then has a ``missing_politie`` column marking those unit-months.

    Returns
    -------
    DataFrame
        ``unit, period, n_misdrijven, n_misdrijf_<code>`` (``1.1.1`` -> ``n_misdrijf_1_1_1``; int64
        when nothing is suppressed, else float with NaN).

    Examples
    --------
    >>> pol = pd.DataFrame({"buurt_code": ["BU05991571"], "maand": pd.to_datetime(["2021-01-01"]),
    ...                     "misdrijf_code": ["2.2.1"], "misdrijf": ["Vernieling"], "aantal": [3]})
    >>> politie(pol, "buurt", units=["BU05991571"])["n_misdrijf_2_2_1"].tolist()
    [3]
    """
    if freq != "M":
        raise ValueError("politie: police counts are monthly; a weekly panel cannot be built from them")
    _require(df, ["buurt_code", "maand", "misdrijf_code", "aantal"], "politie")
    unit = _unit_of(df["buurt_code"], "buurt_code", level, source="politie")
    per = period_of(df["maand"], "M").set_axis(df.index)
    units_, per_ = _resolve_grid(unit, per, units, periods, level, freq)
    code = "n_misdrijf_" + df["misdrijf_code"].astype("str").str.strip().str.replace(".", "_", regex=False)
    n = pd.to_numeric(df["aantal"]).astype(float)
    frame = pd.DataFrame({"unit": unit, "period": per, "code": code, "n": n})
    g = frame.groupby(["unit", "period", "code"])["n"]
    # Absent rows are zeros; a suppressed value (CBS ".", NA) makes the cell unknown.
    cell = g.sum(min_count=1).where(g.count() == g.size())
    grid = _grid(units_, per_)
    out = cell.unstack("code").reindex(grid)
    present = g.size().unstack("code").reindex(grid)
    out = out.where(present.notna(), 0.0)
    out = out[sorted(out.columns)]
    unknown = out.isna().any(axis=1)
    out.insert(0, "n_misdrijven", out.sum(axis=1).where(~unknown))
    if not unknown.any():
        out = out.astype("int64")
    else:
        out["missing_politie"] = unknown.to_numpy()
    out.columns.name = None
    return out.reset_index()


def treatment(
    interventie: pd.DataFrame,
    units: Sequence[str] | None = None,
    periods: pd.DatetimeIndex | None = None,
    *,
    level: Level = "wijkraad",
    freq: Freq = "M",
) -> pd.DataFrame:
    """Treatment status per unit x period from the interventie table.

    Units below wijkraad (buurt, wijk) inherit their wijkraad's start. The start date is rounded
    down to its period: a unit is treated in the period in which enforcement started.

    Returns
    -------
    DataFrame
        ``unit, period, t, treated, first_treated, gname, rel_time`` (see the module docstring);
        for gebied/gemeente ``unit, period, t, treated_share`` (population share of treated wijkraden).

    Examples
    --------
    >>> iv = pd.DataFrame({"wijkraad_id": ["tarwewijk", "pernis"],
    ...                    "start": pd.to_datetime(["2021-02-15", None]), "uren_per_week": [40.0, 0.0]})
    >>> tr = treatment(iv, ["pernis", "tarwewijk"], pd.date_range("2021-01-01", "2021-03-01", freq="MS"))
    >>> tr.loc[tr.unit == "tarwewijk", ["treated", "gname"]].values.tolist()
    [[0, 2], [1, 2], [1, 2]]
    """
    _check_freq(freq)
    _require(interventie, ["wijkraad_id", "start"], "interventie")
    if periods is None:
        raise ValueError("treatment: pass the panel periods (e.g. panel.period_range('2017-01', '2025-12'))")
    per = pd.DatetimeIndex(periods)
    if units is None:
        units = _units(level)
    iv = interventie[["wijkraad_id", "start"]].copy()
    iv["wijkraad_id"] = iv["wijkraad_id"].astype("str")
    dup = iv["wijkraad_id"].duplicated()
    if dup.any():
        raise ValueError(f"interventie: wijkraad {iv.loc[dup, 'wijkraad_id'].iloc[0]!r} appears more than "
                         f"once (expected one row per wijkraad)")
    start_p = pd.Series(pd.NaT, index=iv.index, dtype="datetime64[ns]")
    has = iv["start"].notna()
    start_p[has] = period_of(iv.loc[has, "start"], freq).to_numpy()
    by_wr = pd.Series(start_p.to_numpy(), index=iv["wijkraad_id"])
    grid = pd.DataFrame(index=_grid(units, per)).reset_index()
    grid["t"] = _t_of(grid["period"], per)
    if _LEVEL_ORDER.index(level) <= _LEVEL_ORDER.index("wijkraad"):
        if level == "wijkraad":
            wr_of_unit = pd.Series(list(units), index=list(units))
        else:
            hier = _hierarchy()
            wr_of_unit = hier.drop_duplicates(LEVEL_KEYS[level]).set_index(LEVEL_KEYS[level])["wijkraad_id"]
        first = pd.Series(list(units), index=list(units)).map(wr_of_unit).map(by_wr)
        grid["first_treated"] = grid["unit"].map(first).astype("datetime64[ns]")
        ft = grid["first_treated"]
        grid["treated"] = (ft.notna() & (grid["period"] >= ft)).astype("int64")
        # gname in units of t: periods since panel start + 1; starts before the panel -> 1.
        steps = _period_steps(per[0], ft, freq)
        grid["gname"] = np.where(ft.notna(), np.maximum(steps + 1, 1), 0).astype("int64")
        grid["rel_time"] = np.where(ft.notna(), grid["t"] - grid["gname"], np.nan)
        return grid
    hier = _hierarchy()

    pop = population(sorted(hier["wijkraad_id"].unique()), per, "wijkraad").rename(
        columns={"unit": "wijkraad_id"})
    wr_unit = hier.drop_duplicates("wijkraad_id").set_index("wijkraad_id")[LEVEL_KEYS[level]].astype(str)
    rows = pd.DataFrame(index=_grid(sorted(wr_unit.index), per)).reset_index().rename(
        columns={"unit": "wijkraad_id"})
    rows = rows.merge(pop, on=["wijkraad_id", "period"], how="left")
    ft = rows["wijkraad_id"].map(by_wr)
    rows["tr"] = (ft.notna() & (rows["period"] >= ft)).astype(float)
    rows["unit"] = rows["wijkraad_id"].map(wr_unit)
    rows["w"] = rows["population"].astype(float)
    share = rows.assign(wt=rows["w"] * rows["tr"]).groupby(["unit", "period"])[["wt", "w"]].sum()
    share["treated_share"] = share["wt"] / share["w"].where(share["w"] > 0)
    grid = grid.merge(share["treated_share"].reset_index(), on=["unit", "period"], how="left")
    return grid


def _period_steps(origin: pd.Timestamp, ts: pd.Series, freq: Freq) -> np.ndarray:
    """Whole periods from ``origin`` to each time stamp (NaT -> 0)."""
    ts = pd.to_datetime(ts)
    if freq == "M":
        steps = (ts.dt.year - origin.year) * 12 + (ts.dt.month - origin.month)
    else:
        steps = (ts - origin).dt.days // 7
    return steps.fillna(0).astype("int64").to_numpy()


def population(units: Sequence[str], periods: pd.DatetimeIndex, level: Level = "wijkraad") -> pd.DataFrame:
    """Residents per unit x period (the population of the period's year, from ``geo.population``;
    years outside its table take the nearest year it has).

    Examples
    --------
    >>> p = population(["tarwewijk"], pd.date_range("2021-01-01", periods=2, freq="MS"))
    >>> list(p.columns)
    ['unit', 'period', 'population']
    """
    from wijklib import geo

    per = pd.DatetimeIndex(periods)
    custom = _GEOGRAPHY.get()
    if custom is not None:
        grid = pd.DataFrame(index=_grid(units, per)).reset_index()
        if custom[1] is None:
            grid["population"] = np.nan  # the geography has no population: unknown, not zero
            return grid
        pop = custom[1][["unit", "year", "population"]].astype({"unit": "str"})
        known = sorted(int(y) for y in pop["year"].unique())
        # As for the package geography: years outside the kwb tables take the nearest year they have.
        year = grid["period"].dt.year.map(lambda y: min(max(int(y), known[0]), known[-1]) if known else y)
        out = grid.assign(year=year).merge(pop, on=["unit", "year"], how="left")
        return out.drop(columns="year").astype({"population": float})
    years = sorted(set(per.year))
    known = list(getattr(geo, "POPULATION_YEARS", years))
    # Years outside the population table take the nearest known year (documented as such).
    clamp = {y: min(max(y, known[0]), known[-1]) for y in years}
    pop = geo.population(level=level, years=sorted(set(clamp.values())))
    pop = pop.rename(columns={LEVEL_KEYS[level]: "unit"})[["unit", "year", "population"]]
    pop["unit"] = pop["unit"].astype("str")
    grid = pd.DataFrame(index=_grid(units, per)).reset_index()
    grid["year"] = grid["period"].dt.year.map(clamp)
    out = grid.merge(pop, on=["unit", "year"], how="left").drop(columns="year")
    out["population"] = out["population"].astype(float)
    return out


# --------------------------------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------------------------------


def _coverage_spec(source: str, df: pd.DataFrame, coverage: Mapping[str, Any] | None) -> dict:
    spec = None
    if coverage and source in coverage:
        spec = dict(coverage[source])
    elif isinstance(df.attrs.get("coverage"), Mapping):
        spec = dict(df.attrs["coverage"])
    date_col = {"meldingen": "ontvangen", "handhaving": "datum", "politie": "maand",
                "handhaving_uren": "week"}[source]
    dates = pd.to_datetime(df[date_col]).dropna()
    if spec is None:
        spec = {}
    # Data-derived coverage runs over whole periods of the source's own grain (weeks for the hours
    # register, months otherwise): the last report of a month does not end the month's coverage.
    grain = "W" if source == "handhaving_uren" else "M"
    inferred = spec.get("start") is None or spec.get("end") is None
    if inferred and source in _EVENT_SOURCES and len(dates):
        # Fallback when no delivery period is declared: a month without a single row for ANY unit is
        # taken as not delivered (missing), never as a city-wide zero. A declared period overrides this.
        present = set(period_of(dates, "M").unique())
        span = period_range(dates.min(), dates.max(), "M")
        empty = [p.strftime("%Y-%m") for p in span if p not in present]
        # Only where a city-wide zero is implausible: at >= 20 rows a month on average, P(0) < 1e-8
        # under Poisson; a sparse toy table keeps its empty months as zeros.
        if empty and len(dates) / len(span) >= _MIN_ROWS_PER_MONTH_FOR_GAPS:
            spec["missing_periods"] = sorted(set(spec.get("missing_periods") or []) | set(empty))
            spec["inferred_missing"] = empty
    spec["declared"] = bool(spec.get("declared", not inferred)) and not inferred
    if spec.get("start") is None:
        spec["start"] = period_of(pd.Series([dates.min()]), grain).iloc[0] if len(dates) else None
    if spec.get("end") is None:
        spec["end"] = (_period_end(pd.DatetimeIndex([period_of(pd.Series([dates.max()]), grain).iloc[0]]),
                                   grain)[0] if len(dates) else None)
    return spec


def covered(spec: Mapping[str, Any], per: pd.DatetimeIndex, freq: Freq = "M") -> np.ndarray:
    """Boolean per period: is the whole period inside the source's coverage and not listed missing?

    ``spec`` holds ``start``/``end`` (a date or ``"YYYY-MM"``: a bare month covers the whole month)
    and optional ``missing_periods`` (period starts of the same ``freq`` or months),
    ``missing_weeks`` (Mondays: those 7 days are missing) and ``gaps`` (``[{"start", "end"}]``,
    inclusive dates, as :mod:`wijklib.sources` declares them): a period touching a gap is missing.

    Examples
    --------
    >>> per = pd.date_range("2021-01-01", "2021-04-01", freq="MS")
    >>> covered({"start": "2021-02", "end": "2021-03-15"}, per).tolist()
    [False, True, False, False]
    """
    per = pd.DatetimeIndex(per)
    p_end = _period_end(per, freq)
    ok = np.ones(len(per), dtype=bool)
    if spec.get("start") is not None:
        s = pd.Timestamp(spec["start"]).normalize()
        ok &= np.asarray(per >= s)
    if spec.get("end") is not None:
        e_raw = spec["end"]
        e = pd.Timestamp(e_raw)
        if isinstance(e_raw, str) and len(e_raw) == 7:  # "YYYY-MM": through the end of that month
            e = e + pd.offsets.MonthEnd(0)
        ok &= np.asarray(p_end.normalize() <= e.normalize())
    for w in spec.get("missing_weeks", []) or []:
        w0 = pd.Timestamp(w).normalize()
        w1 = w0 + pd.Timedelta(days=6)
        ok &= ~np.asarray((per <= w1) & (p_end >= w0))
    for g in spec.get("gaps", []) or []:
        g0 = pd.Timestamp(g["start"]).normalize()
        g1 = pd.Timestamp(g.get("end", g["start"])).normalize()
        ok &= ~np.asarray((per <= g1) & (p_end.normalize() >= g0))
    for m in spec.get("missing_periods", []) or []:
        m0 = pd.Timestamp(m).normalize()
        m1 = (m0 + pd.offsets.MonthEnd(0)) if (isinstance(m, str) and len(m) == 7) else m0
        if freq == "W" and not (isinstance(m, str) and len(m) == 7):
            m1 = m0 + pd.Timedelta(days=6)
        ok &= ~np.asarray((per <= m1) & (p_end >= m0))
    return ok


# --------------------------------------------------------------------------------------------------
# Platform migration (a reporting break, like the 2020 app switch, but per subject x area x date)
# --------------------------------------------------------------------------------------------------


def _area_buurten(areas: Mapping[str, Sequence[str]] | None, key: str) -> set[str] | None:
    """Buurt codes of a switch's areas (None = the whole city); names in any spelling geo accepts."""
    if areas is None:
        return None
    from wijklib import geo

    hier = _hierarchy()
    out: set[str] = set()
    for level, names in areas.items():
        col = LEVEL_KEYS[level]
        for name in names:
            try:
                code = geo.normalize(name, level=level)
            except ValueError as exc:
                if level != "buurt":
                    raise ValueError(f"{key}.areas.{level}: {name!r}: {exc}") from None
                try:  # a Wijkprofiel wijk of several CBS buurten, named as one area
                    code, col = geo.normalize(name, level="wijk"), "wijk_code"
                except ValueError:
                    raise ValueError(f"{key}.areas.{level}: {name!r}: {exc}") from None
            out |= set(hier.loc[hier[col].astype(str) == str(code), "buurt_code"].astype(str))
    return out


def platform_share(
    meldingen: pd.DataFrame,
    calendar: Any,
    level: Level = "wijkraad",
    freq: Freq = "M",
    *,
    units: Sequence[str] | None = None,
    periods: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Share of each outcome's reports that the calendar puts on a new platform, per unit x period.

    ``calendar`` is a :class:`wijklib.sources.PlatformCalendar`: from each switch's date on, the
    reports on its subjects (or whole ``categories``) in its areas are recorded by its system (the
    last switch that applies wins; a switch back to the default system undoes one). A unit's share
    for an outcome weighs its buurten by their reports of that outcome, and the outcome's subjects by
    their city-wide mix among the subjects the new system knows (the subjects the calendar names
    and those in rows whose ``systeem`` is not the default: the old system's own subject texts
    cannot be matched to the new taxonomy). The share depends only on the calendar, never on this
    month's counts: it is a known design variable (use it as a period effect, or keep the periods
    where it is 0 or 1 to restrict to one system).

    Returns
    -------
    DataFrame
        ``unit, period, platform_<categorie>..., platform_meldingen`` (0 = all on the default system,
        1 = all moved; NaN where the unit has no reports of that outcome at all).

    Examples
    --------
    >>> from wijklib.sources import PlatformCalendar, Switch
    >>> ev = pd.DataFrame({"ontvangen": pd.to_datetime(["2024-01-05", "2024-02-05", "2024-03-07"]),
    ...     "categorie": ["grofvuil"] * 3, "subcategorie": ["Grofvuil"] * 3, "buurt_code": ["BU05991571"] * 3})
    >>> cal = PlatformCalendar("meldingen", "MSB", (Switch("MOR", pd.Timestamp("2024-02-01"), ("Grofvuil",)),))
    >>> platform_share(ev, cal, "buurt", units=["BU05991571"])["platform_grofvuil"].tolist()
    [0.0, 1.0, 1.0]
    """
    _check_freq(freq)
    col = calendar.subject_column
    _require(meldingen, ["ontvangen", "categorie", "buurt_code"], "meldingen")
    buurt = report_buurt(meldingen)
    ok = buurt.notna()
    def norm(v: object) -> str:
        return " ".join(str(v).lower().split())

    subj_all = (meldingen[col] if col in meldingen.columns else pd.Series("", index=meldingen.index)).map(norm)
    cat_all = meldingen["categorie"].astype(str)
    # Subject universe: the subjects the calendar names and those recorded on a new system. Other
    # subject texts (the old system's own taxonomy) cannot be matched to a subject switch; within a
    # category the subject mix (pi) is taken over the universe only, city-wide.
    named = {norm(x) for sw in calendar.switches for x in (sw.subjects or ())}
    universe = set(named)
    if "systeem" in meldingen.columns:
        sys_ = meldingen["systeem"]
        universe |= set(subj_all[sys_.notna() & (sys_.astype(str) != calendar.default)].unique())
    in_u = subj_all.isin(list(universe))
    pi = (pd.DataFrame({"cat": cat_all[in_u], "subj": subj_all[in_u]}).groupby(["cat", "subj"]).size()
          .groupby(level="cat").transform(lambda v: v / v.sum()).rename("pi").reset_index())
    cats_with_u = set(pi["cat"])
    star = pd.DataFrame({"cat": sorted(set(cat_all) - cats_with_u), "subj": "*", "pi": 1.0})
    pi = pd.concat([pi, star], ignore_index=True)
    wb = (pd.DataFrame({"buurt": buurt[ok].astype(str), "cat": cat_all[ok]}).groupby(["buurt", "cat"]).size()
          .rename("wb").reset_index())
    w = wb.merge(pi, on="cat", how="inner")
    w["w"] = w["wb"] * w["pi"]
    if periods is None:
        p = period_of(meldingen["ontvangen"], freq)
        periods = period_range(p.min(), p.max(), freq)
    per = pd.DatetimeIndex(periods)
    p_end = _period_end(per, freq)
    # State per (buurt, category, subject) and period: 1 where a non-default system records it.
    state = np.zeros((len(w), len(per)))
    subj_key = w["subj"].to_numpy()
    order = sorted(range(len(calendar.switches)), key=lambda i: calendar.switches[i].start)
    for i in order:
        sw = calendar.switches[i]
        hit = np.ones(len(w), dtype=bool)
        if sw.subjects is not None:
            hit &= np.isin(subj_key, [norm(x) for x in sw.subjects])
        if sw.categories is not None:
            hit &= w["cat"].isin(list(sw.categories)).to_numpy()
        area = _area_buurten(sw.areas, sw.key or "switch")
        if area is not None:
            hit &= w["buurt"].isin(area).to_numpy()
        # A period is on the new system in the share of its days from the switch on.
        days = np.asarray((p_end - per).days, dtype=float) + 1
        frac = np.clip((np.asarray((p_end - sw.start).days, dtype=float) + 1) / days, 0.0, 1.0)
        value = float(sw.system != calendar.default)
        state[hit] = state[hit] * (1 - frac) + value * frac
    unit = _unit_of(w["buurt"], "buurt_code", level, source="meldingen")
    units_ = _units(level) if units is None else list(units)
    grid = pd.DataFrame(index=_grid(units_, per)).reset_index()
    out = grid.copy()
    ww = w["w"].to_numpy(dtype=float)
    for cat in CATEGORIES + ("meldingen",):
        sel = np.ones(len(w), dtype=bool) if cat == "meldingen" else (w["cat"] == cat).to_numpy()
        num = pd.DataFrame(state[sel] * ww[sel, None], columns=per).groupby(unit[sel].to_numpy()).sum()
        den = pd.Series(ww[sel]).groupby(unit[sel].to_numpy()).sum()
        share = num.div(den.where(den > 0), axis=0).stack().rename(f"platform_{cat}")
        share.index.names = ["unit", "period"]
        out = out.merge(share.reset_index(), on=["unit", "period"], how="left")
    return out


class Records(tuple):
    """Read-only records (a tuple of dicts) kept in ``DataFrame.attrs``, shared instead of deep-copied.

    pandas deep-copies ``attrs`` into every frame or column it derives (``df[col]``, ``copy``, ``take``):
    with the ~270 platform-break records of the demo panel (Timestamps in dicts) one column access took
    2.5 ms instead of 0.008 ms, about a second of every ward report. The records are never changed after
    the panel is built, so a copy may share them.

    Examples
    --------
    >>> import copy
    >>> r = Records([{"unit": "a"}])
    >>> copy.deepcopy(r) is r, list(r) == [{"unit": "a"}]
    (True, True)
    """

    __slots__ = ()

    def __deepcopy__(self, memo: dict) -> Records:
        return self


def platform_breaks(
    tables: Mapping[str, pd.DataFrame] | pd.DataFrame,
    level: Level = "wijkraad",
    *,
    calendar: Any = None,
    periods: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """One row per unit x outcome whose recording platform changes: where, when, how much.

    Parameters
    ----------
    tables
        ``Tables`` from :func:`wijklib.sources.load` (calendar in ``tables.platforms``), or a
        panel built by :func:`build` (its ``platform_*`` columns).

    Returns
    -------
    DataFrame
        ``source, unit, outcome`` (panel column, e.g. ``n_grofvuil``), ``period`` (first period with a
        share > 0), ``full`` (first period with share 1, NaT if never), ``share_end``.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": ["a"] * 3, "period": pd.date_range("2024-01-01", periods=3, freq="MS"),
    ...                   "platform_afval": [0.0, 0.5, 1.0]})
    >>> platform_breaks(p)[["unit", "outcome", "share_end"]].values.tolist()
    [['a', 'n_afval', 1.0]]
    """
    if isinstance(tables, pd.DataFrame) and "period" in tables.columns:
        pnl = tables
    else:
        cal = calendar or getattr(tables, "platforms", {}).get("meldingen")
        if cal is None:
            return pd.DataFrame(columns=["source", "unit", "outcome", "period", "full", "share_end"])
        pnl = platform_share(tables["meldingen"], cal, level, periods=periods)
    rows = []
    for c in [c for c in pnl.columns if c.startswith("platform_")]:
        sub = pnl[["unit", "period", c]].dropna()
        moved = sub[sub[c] > 0]
        if moved.empty:
            continue
        first = moved.groupby("unit")["period"].min()
        full = sub[sub[c] >= 1].groupby("unit")["period"].min()
        end = sub.sort_values("period").groupby("unit")[c].last()
        for u, p0 in first.items():
            rows.append({"source": "meldingen", "unit": u, "outcome": "n_" + c.removeprefix("platform_"),
                         "period": p0, "full": full.get(u, pd.NaT), "share_end": float(end[u])})
    return pd.DataFrame(rows, columns=["source", "unit", "outcome", "period", "full", "share_end"])


# --------------------------------------------------------------------------------------------------
# The panel
# --------------------------------------------------------------------------------------------------


def build(
    tables: Mapping[str, pd.DataFrame] | None = None,
    *,
    level: Level = "wijkraad",
    freq: Freq = "M",
    start: Any = None,
    end: Any = None,
    sources: Sequence[str] | None = None,
    coverage: Mapping[str, Mapping[str, Any]] | None = None,
    platforms: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Long unit x period panel of outcomes, exposure, treatment and missingness flags.

    Parameters
    ----------
    tables : dict of DataFrame, optional
        Canonical tables keyed by source name (as returned by :func:`load_demo`); default: the demo
        city in :data:`wijklib.config.DEMO_RAW_DIR`. Never modified.
    level : {"buurt", "wijk", "wijkraad", "gebied", "gemeente"}
        Unit level; events are summed up the ``geo`` hierarchy.
    freq : {"M", "W"}
        Month (period = first of month) or ISO week (period = Monday). Police data are monthly and
        are left out of weekly panels.
    start, end
        First and last period (dates or ``"YYYY-MM"``); default the union of the sources' coverage.
    sources
        Which of ``meldingen``, ``handhaving``, ``handhaving_uren``, ``politie``, ``interventie`` to
        include; default all present in ``tables``.
    coverage : dict, optional
        Per source ``{"start", "end", "missing_periods", "missing_weeks"}``; overrides
        ``df.attrs["coverage"]`` and the data-derived default.
    platforms : dict, optional
        Platform-migration calendars per source (:class:`wijklib.sources.PlatformCalendar`); default
        ``tables.platforms`` of :func:`wijklib.sources.load`. Adds ``platform_<categorie>`` (share of
        the outcome's reports the calendar puts on the new platform, see :func:`platform_share`) and
        lists the breaks per unit and outcome in ``attrs["breaks"]`` (:func:`platform_breaks`).

    Returns
    -------
    DataFrame
        One row per unit x period, sorted; columns as in the module docstring.

    Examples
    --------
    >>> ev = pd.DataFrame({"ontvangen": pd.to_datetime(["2021-01-05", "2021-03-02"]),
    ...     "afgehandeld": pd.to_datetime(["2021-01-06", None]), "status": ["afgehandeld", "open"],
    ...     "categorie": ["afval", "jeugd"], "buurt_code": ["BU05991571"] * 2})
    >>> p = build({"meldingen": ev}, level="buurt", start="2020-12", end="2021-03")
    >>> p.loc[p.unit == "BU05991571", ["n_afval", "missing_meldingen"]].values.tolist()
    [[nan, True], [1.0, False], [0.0, False], [0.0, False]]
    """
    _check_level(level)
    _check_freq(freq)
    if tables is None:
        tables = load_demo()
    from wijklib.monitor import privacy

    # The panel is a processed file: it is built from sanitized tables only (a code column holding free
    # text, e.g. a police "misdrijf" code with a name in it, would otherwise become a column name).
    tables = privacy.sanitize_tables(tables)
    wanted = list(sources) if sources is not None else [s for s in SOURCES if s in tables]
    unknown = [s for s in wanted if s not in SOURCES]
    if unknown:
        raise ValueError(f"unknown sources {unknown}; expected some of {list(SOURCES)}")
    absent = [s for s in wanted if s not in tables]
    if absent:
        raise ValueError(f"sources {absent} were asked for but are not in tables ({sorted(tables)})")
    if freq == "W" and "politie" in wanted:
        if sources is not None:
            raise ValueError("politie counts are monthly; drop 'politie' from sources for a weekly panel")
        wanted.remove("politie")
    if "handhaving_uren" in wanted and _finer(level, "wijkraad"):
        if sources is not None:
            raise ValueError(f"handhaving_uren is kept per wijkraad; it cannot be split to level {level!r}")
        wanted.remove("handhaving_uren")

    specs = {s: _coverage_spec(s, tables[s], coverage) for s in wanted if s != "interventie"}
    if start is None or end is None:
        # Default window: from the first to the last period that some source fully covers.
        first, last = [], []
        for spec in specs.values():
            if spec.get("start") is None or spec.get("end") is None:
                continue
            cand = period_range(spec["start"], spec["end"], freq)
            ok = covered(spec, cand, freq)
            if ok.any():
                first.append(cand[ok][0])
                last.append(cand[ok][-1])
        if not first:
            raise ValueError("no source covers any full period: pass start=... and end=...")
        start = min(first) if start is None else start
        end = max(last) if end is None else end
    per = period_range(start, end, freq)
    units = _units(level)
    out = population(units, per, level)

    def attach(part: pd.DataFrame, source: str, value_cols: list[str]) -> None:
        nonlocal out
        part = part.copy()
        ok = covered(specs[source], per, freq)
        miss = ~pd.Series(ok, index=per).reindex(part["period"]).to_numpy()
        if f"missing_{source}" in part.columns:  # a register marks its own missing unit-periods
            miss = miss | part[f"missing_{source}"].to_numpy(dtype=bool)
            part = part.drop(columns=f"missing_{source}")
        for c in value_cols:
            part[c] = part[c].astype(float)
            part.loc[miss, c] = np.nan
        part[f"missing_{source}"] = miss
        out = out.merge(part, on=["unit", "period"], how="left", validate="one_to_one")

    if "meldingen" in wanted:
        m = tables["meldingen"]
        cnt = meldingen_counts(m, level, freq, units=units, periods=per)
        fu = followup_times(m, level, freq, units=units, periods=per)
        part = cnt.merge(fu, on=["unit", "period"])
        for c in CATEGORIES + ("meldingen",):
            part[f"rate_{c}"] = np.nan  # filled after the population merge
        vals = [c for c in part.columns if c not in ("unit", "period")]
        attach(part, "meldingen", vals)
        for c in CATEGORIES + ("meldingen",):
            out[f"rate_{c}"] = _per_1000(out[f"n_{c}"], out["population"])
        cal = (platforms or getattr(tables, "platforms", {}) or {}).get("meldingen")
        if cal is not None:
            share = platform_share(m, cal, level, freq, units=units, periods=per)
            out = out.merge(share, on=["unit", "period"], how="left", validate="one_to_one")
    if "handhaving" in wanted:
        part = compliance(tables["handhaving"], level, freq, units=units, periods=per)
        attach(part, "handhaving", ["n_controles", "n_controles_overtreding", "n_sancties", "naleving"])
    if "handhaving_uren" in wanted:
        part = enforcement_hours(tables["handhaving_uren"], level, freq, units=units, periods=per)
        attach(part, "handhaving_uren", ["uren"])
    if "politie" in wanted:
        part = politie(tables["politie"], level, freq, units=units, periods=per)
        attach(part, "politie", [c for c in part.columns
                                 if c not in ("unit", "period") and not c.startswith("missing_")])
        out["rate_misdrijven"] = _per_1000(out["n_misdrijven"], out["population"])
    if "interventie" in wanted:
        tr = treatment(tables["interventie"], units, per, level=level, freq=freq)
        out = out.merge(tr, on=["unit", "period"], how="left", validate="one_to_one")
    else:
        out["t"] = _t_of(out["period"], per)
    front = ["unit", "period", "t", "population"]
    flags = sorted(c for c in out.columns if c.startswith("missing_"))
    rest = [c for c in out.columns if c not in front and c not in flags]
    out = out[front + rest + flags].sort_values(["unit", "period"], kind="stable").reset_index(drop=True)
    out["unit"] = out["unit"].astype("str")
    # Records, not a DataFrame: pandas compares attrs when it combines frames.
    breaks = Records(platform_breaks(out).to_dict("records") if any(c.startswith("platform_") for c in out.columns)
                     else [])
    out.attrs = {"level": level, "freq": freq, "sources": wanted, "breaks": breaks,
                 "coverage": {k: {kk: vv if isinstance(vv, (list, bool)) else str(vv) for kk, vv in v.items()}
                              for k, v in specs.items()}}
    return out


# --------------------------------------------------------------------------------------------------
# Demo convenience
# --------------------------------------------------------------------------------------------------


def load_demo(path: str | Path = DEMO_RAW_DIR) -> dict[str, pd.DataFrame]:
    """Load every source of the demo city: a thin case of :func:`wijklib.sources.load`.

    The demo folder holds ``sources.yaml`` (written by ``wijklib.demo``) listing its files, layouts,
    delivery periods and gaps (the missing weeks of the hours register, the publication lag of the
    police data) and the platform-migration calendar, exactly as a real city's run config would.

    Parameters
    ----------
    path : str or Path
        Folder with the raw demo files (``python -m wijklib.demo --out <path>``).

    Returns
    -------
    wijklib.sources.Tables
        Canonical tables keyed by source name (a dict), with the declared ``coverage``.

    Examples
    --------
    >>> import tempfile
    >>> from wijklib import demo
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = demo.generate(d, seed=2, scale=0.02)
    ...     tables = load_demo(d)
    >>> sorted(tables)[:3]
    ['focusgebieden', 'handhaving', 'handhaving_uren']
    """
    from wijklib import sources

    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"demo folder {folder} does not exist; run "
                                f"`python -m wijklib.demo --out {folder}` first")
    cfg_file = folder / "sources.yaml"
    if not cfg_file.is_file():
        raise FileNotFoundError(f"demo folder {folder} has no sources.yaml (written by wijklib.demo since the "
                                f"platform-export layouts); regenerate it: python -m wijklib.demo --out {folder}")
    return sources.load(cfg_file, data_root=folder)


def indicator_column(indicator: str) -> str:
    """Panel column for a wijkakkoord indicator text (e.g. ``"meldingen afval"`` -> ``rate_afval``).

    Examples
    --------
    >>> indicator_column("meldingen jeugd")
    'rate_jeugd'
    """
    key = " ".join(str(indicator).strip().lower().split())
    if key not in INDICATOR_COLUMNS:
        raise KeyError(f"indicator {indicator!r} has no panel column; known: {sorted(INDICATOR_COLUMNS)}")
    return INDICATOR_COLUMNS[key]
