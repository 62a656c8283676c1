"""Level 1 — objective developments per ward and year (council letter, first level).

What this module computes from the panel and the event tables (the effect estimates themselves are in
:mod:`wijklib.monitor.design`):

- ``trends``: per outcome and year the ward's rate per 1,000 residents against the city and against the
  ``design.comparable_k`` wards whose rate in the reference year was nearest (reference year = the year
  before the start of ward-based enforcement, or the first year of data for wards without it). Yearly
  rate = events in the year / mean population of the months with data x 1,000 x 12 / months with data.
- ``enforcement``: what enforcement can show within its own powers, per year with uncertainty:
  compliance (share of ``controle`` actions without a violation, Wilson interval), violations per theme
  (share of actions with a violation, Wilson), and follow-up time of reports (median and 90th percentile
  days from ``ontvangen`` to ``afgehandeld``, percentile bootstrap over reports).
- ``quality``: data-quality flags rated Red/Amber/Green (report-based outcome, the 2020 reporting-channel
  change, boundary changes, missing months, small numbers, overlapping focus-area programmes).
- ``focus`` and ``veiligheidsindex``: focus areas that overlap the ward, and the objective part of the
  Veiligheidsindex per edition.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wijklib.monitor.settings import MonitorConfig, load_config
from wijklib.monitor.stats import bootstrap_quantile, newcombe_diff, wilson
from wijklib.monitor.verdict import Measure, count_noun, fmt_date

#: Report categories (14010/MeldR); outcomes with these names are report-based.
MELDING_CATEGORIES = (
    "afval", "grofvuil", "zwerfvuil", "parkeren", "fietswrakken", "overlast", "jeugd", "verwaarlozing", "meldingen",
)

#: Years of enforcement results shown per evaluation (the evaluation year and the ones before it).
ENFORCEMENT_YEARS = 5

TREND_COLUMNS = ["uitkomst", "jaar", "maanden", "aantal", "inwoners", "wijk", "stad", "vergelijkbaar",
                 "vergelijkbare_wijken"]
ENFORCEMENT_COLUMNS = ["indicator", "thema", "jaar", "n", "schatting", "conf_low", "conf_high", "methode"]
QUALITY_COLUMNS = ["code", "uitkomst", "rag", "toelichting"]


@dataclass(frozen=True, eq=False)  # holds DataFrames: compare via .to_dict()
class Level1:
    """Objective developments for one ward and year (see module docstring)."""

    year: int
    trends: pd.DataFrame
    effects: tuple  # of design.OutcomeEffect
    enforcement: pd.DataFrame
    enforcement_change: pd.DataFrame
    quality: pd.DataFrame
    focus: pd.DataFrame
    veiligheidsindex: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    def effect(self, outcome: str):
        """The :class:`~wijklib.monitor.design.OutcomeEffect` for an outcome (``KeyError`` if absent)."""
        for e in self.effects:
            if e.outcome == outcome:
                return e
        raise KeyError(f"no effect estimate for outcome {outcome!r}; have {[e.outcome for e in self.effects]}")

    def effects_frame(self) -> pd.DataFrame:
        rows = [e.to_row() for e in self.effects]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        from wijklib.monitor.serialize import frame_to_records

        return {
            "year": self.year,
            "trends": frame_to_records(self.trends),
            "effects": [e.to_dict() for e in self.effects],
            "enforcement": frame_to_records(self.enforcement),
            "enforcement_change": frame_to_records(self.enforcement_change),
            "quality": frame_to_records(self.quality),
            "focus": frame_to_records(self.focus),
            "veiligheidsindex": frame_to_records(self.veiligheidsindex),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Level1:
        from wijklib.monitor.design import OutcomeEffect
        from wijklib.monitor.serialize import records_to_frame

        return cls(
            year=int(d["year"]),
            trends=records_to_frame(d["trends"]),
            effects=tuple(OutcomeEffect.from_dict(e) for e in d["effects"]),
            enforcement=records_to_frame(d["enforcement"]),
            enforcement_change=records_to_frame(d["enforcement_change"]),
            quality=records_to_frame(d["quality"]),
            focus=records_to_frame(d["focus"]),
            veiligheidsindex=records_to_frame(d["veiligheidsindex"]),
            notes=tuple(d.get("notes", ())),
        )


# --------------------------------------------------------------------------------------------
# trends
# --------------------------------------------------------------------------------------------
def count_outcomes(panel: pd.DataFrame) -> list[str]:
    """Outcome names with a count column ``n_<name>`` in the panel (``["afval", ...]``)."""
    return [c[2:] for c in panel.columns if c.startswith("n_") and pd.api.types.is_numeric_dtype(panel[c])]


def yearly_counts(panel: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per unit and year: events, months with data and mean population (months without data left out).

    Examples
    --------
    >>> p = pd.DataFrame({"unit": "a", "period": pd.date_range("2024-01-01", periods=12, freq="MS"),
    ...                   "n_afval": 2.0, "population": 1000.0})
    >>> yearly_counts(p, "afval")[["aantal", "maanden", "inwoners"]].values.tolist()
    [[24.0, 12.0, 1000.0]]
    """
    col = f"n_{outcome}"
    d = pd.DataFrame(
        {
            "unit": panel["unit"].to_numpy(),
            "jaar": pd.to_datetime(panel["period"]).dt.year.to_numpy(),
            "y": pd.to_numeric(panel[col], errors="coerce").to_numpy(dtype=float),
            "pop": pd.to_numeric(panel["population"], errors="coerce").to_numpy(dtype=float),
        }
    )
    d = d.loc[np.isfinite(d["y"]) & np.isfinite(d["pop"]) & (d["pop"] > 0)]
    return (
        d.groupby(["unit", "jaar"], as_index=False)
        .agg(aantal=("y", "sum"), maanden=("y", "size"), inwoners=("pop", "mean"))
        .astype({"maanden": "float64"})
    )


def _pooled_rate(yc: pd.DataFrame) -> pd.Series:
    # Pooled over units: annualised events over summed population, per 1,000.
    g = yc.groupby("jaar")[["annual", "inwoners"]].sum()
    return g["annual"] / g["inwoners"] * 1000


def _annual_rate(aantal: pd.Series | float, inwoners: pd.Series | float, maanden: pd.Series | float):
    return aantal / inwoners * 1000 * 12 / maanden


def trend_table(
    panel: pd.DataFrame,
    ward: str,
    year: int,
    outcomes: list[str],
    *,
    start: pd.Timestamp | None = None,
    k: int = 5,
    yearly: Callable[[str], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Yearly rate per 1,000 residents: the ward, the city and the k comparable wards (up to ``year``).

    ``vergelijkbaar`` pools the comparable wards (their events over their population), so large and small
    wards weigh by size; ``vergelijkbare_wijken`` lists them. ``yearly`` is an optional (cached)
    :func:`yearly_counts` for an outcome.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": ["a"] * 12 + ["b"] * 12, "period": list(pd.date_range("2024-01-01", periods=12, freq="MS")) * 2,
    ...                   "n_afval": [1.0] * 12 + [3.0] * 12, "population": [1000.0] * 12 + [2000.0] * 12})
    >>> trend_table(p, "a", 2024, ["afval"])[["wijk", "stad", "vergelijkbaar"]].values.tolist()
    [[12.0, 16.0, 18.0]]
    """
    rows = []
    ref_year = (start.year - 1) if start is not None and not pd.isna(start) else None
    for outcome in outcomes:
        yc = yearly(outcome) if yearly is not None else yearly_counts(panel, outcome)
        yc = yc.loc[yc["jaar"] <= year].copy()
        if yc.empty or ward not in set(yc["unit"]):
            continue
        yc["rate"] = _annual_rate(yc["aantal"], yc["inwoners"], yc["maanden"])
        ry = ref_year if ref_year is not None and ref_year in set(yc["jaar"]) else int(yc["jaar"].min())
        ref = yc.loc[yc["jaar"] == ry].set_index("unit")["rate"]
        comparable: list[str] = []
        if ward in ref.index:
            dist = (ref.drop(ward) - ref[ward]).abs().sort_values(kind="stable")
            comparable = [str(u) for u in dist.index[:k]]
        yc["annual"] = yc["aantal"] * 12 / yc["maanden"]
        city = _pooled_rate(yc)
        comp = _pooled_rate(yc.loc[yc["unit"].isin(comparable)])
        for r in yc.loc[yc["unit"] == ward].itertuples():
            rows.append(
                {
                    "uitkomst": outcome,
                    "jaar": int(r.jaar),
                    "maanden": int(r.maanden),
                    "aantal": float(r.aantal),
                    "inwoners": float(r.inwoners),
                    "wijk": float(r.rate),
                    "stad": float(city.get(r.jaar, np.nan)),
                    "vergelijkbaar": float(comp.get(r.jaar, np.nan)) if len(comp) else np.nan,
                    "vergelijkbare_wijken": ", ".join(comparable),
                }
            )
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


# --------------------------------------------------------------------------------------------
# enforcement's own results
# --------------------------------------------------------------------------------------------
def _bool(s: pd.Series) -> pd.Series:
    return s.astype("boolean").fillna(False).astype(bool)


def enforcement_table(
    handhaving: pd.DataFrame | None,
    meldingen: pd.DataFrame | None,
    ward: str,
    year: int,
    *,
    years: list[int] | None = None,
    since: int | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Compliance, violations per theme and follow-up time per year, each with its interval.

    ``handhaving`` and ``meldingen`` must carry a ``wijkraad_id`` column (the monitor's context adds it
    from the buurt). Years default to the last :data:`ENFORCEMENT_YEARS` years up to ``year`` present in
    the data (the bootstrap over reports is the costly part of a ward's evaluation), extended back to
    ``since`` (the baseline year of :func:`enforcement_change`, so the yearly series starts where the
    reported change starts).

    Examples
    --------
    >>> hh = pd.DataFrame({"datum": pd.to_datetime(["2024-03-01"] * 10), "wijkraad_id": "a",
    ...                    "thema": "afval", "actie": "controle", "overtreding": [False] * 8 + [True] * 2})
    >>> t = enforcement_table(hh, None, "a", 2024)
    >>> r = t.loc[t.indicator == "naleving"].iloc[0]
    >>> int(r["n"]), float(r["schatting"])
    (10, 0.8)
    """
    rows: list[dict[str, Any]] = []
    if handhaving is not None and not handhaving.empty:
        hh = handhaving.loc[handhaving["wijkraad_id"] == ward]
        jaar = pd.to_datetime(hh["datum"]).dt.year
        ov = _bool(hh["overtreding"])
        ctrl = (hh["actie"] == "controle").to_numpy()
        ys = years or _table_years(jaar, year, since)
        for y in ys:
            in_y = (jaar == y).to_numpy()
            n = int((in_y & ctrl).sum())
            k = int((in_y & ctrl & ~ov.to_numpy()).sum())
            p, lo, hi = wilson(k, n, alpha)
            rows.append({"indicator": "naleving", "thema": "", "jaar": y, "n": n, "schatting": p,
                         "conf_low": lo, "conf_high": hi, "methode": "Wilson"})
            sub = hh.loc[in_y]
            for thema, g in sub.groupby("thema", sort=True):
                n_t = len(g)
                k_t = int(_bool(g["overtreding"]).sum())
                p, lo, hi = wilson(k_t, n_t, alpha)
                rows.append({"indicator": "overtredingen", "thema": str(thema), "jaar": y, "n": n_t,
                             "schatting": p, "conf_low": lo, "conf_high": hi, "methode": "Wilson"})
    if meldingen is not None and not meldingen.empty:
        m = meldingen.loc[meldingen["wijkraad_id"] == ward]
        days = (pd.to_datetime(m["afgehandeld"]) - pd.to_datetime(m["ontvangen"])).dt.total_seconds() / 86400
        jaar = pd.to_datetime(m["ontvangen"]).dt.year
        ys = years or _table_years(jaar, year, since)
        for y in ys:
            v = days.loc[(jaar == y) & days.notna()].to_numpy(dtype=float)
            for ind, q in (("doorlooptijd_mediaan", 0.5), ("doorlooptijd_p90", 0.9)):
                est, lo, hi, _ = bootstrap_quantile(v, q, alpha=alpha, seed=_seed(ward, y, q))
                rows.append({"indicator": ind, "thema": "", "jaar": y, "n": int(v.size), "schatting": est,
                             "conf_low": lo, "conf_high": hi, "methode": "bootstrap over meldingen"})
    out = pd.DataFrame(rows, columns=ENFORCEMENT_COLUMNS)
    return out.astype({"jaar": "int64", "n": "int64"}) if not out.empty else out


def _table_years(jaar: pd.Series, year: int, since: int | None) -> list[int]:
    first = year - ENFORCEMENT_YEARS + 1 if since is None else min(since, year - ENFORCEMENT_YEARS + 1)
    return sorted(int(y) for y in jaar.unique() if first <= y <= year)


def _seed(ward: str, year: int, q: float) -> int:
    # Deterministic per (ward, year, quantile) without Python's randomised str hash.
    return int.from_bytes(f"{ward}|{year}|{q}".encode(), "little") % (2**32)


def enforcement_change(
    handhaving: pd.DataFrame | None,
    meldingen: pd.DataFrame | None,
    ward: str,
    year: int,
    baseline_year: int,
    *,
    alpha: float = 0.05,
) -> dict[tuple[str, str], Measure]:
    """Change from ``baseline_year`` to ``year`` for enforcement's own indicators, as :class:`Measure`.

    Keys are ``(indicator, thema)``: ``("naleving", "")``, ``("overtredingen", <thema>)``,
    ``("doorlooptijd_mediaan", "")``, ``("doorlooptijd_p90", "")``. Shares use Newcombe's interval for a
    difference of proportions; follow-up times the bootstrap of the difference of the two years'
    quantiles (independent resamples). Baseline = the level in ``baseline_year``.
    """
    out: dict[tuple[str, str], Measure] = {}
    label = f"{baseline_year} → {year}"
    if handhaving is not None and not handhaving.empty:
        hh = handhaving.loc[handhaving["wijkraad_id"] == ward]
        jaar = pd.to_datetime(hh["datum"]).dt.year.to_numpy()
        ov = _bool(hh["overtreding"]).to_numpy()
        ctrl = (hh["actie"] == "controle").to_numpy()
        n1, n0 = int(((jaar == year) & ctrl).sum()), int(((jaar == baseline_year) & ctrl).sum())
        k1, k0 = int(((jaar == year) & ctrl & ~ov).sum()), int(((jaar == baseline_year) & ctrl & ~ov).sum())
        d, lo, hi = newcombe_diff(k1, n1, k0, n0, alpha)
        if np.isfinite(d):
            out[("naleving", "")] = Measure(d, lo, hi, scale="difference", baseline=k0 / n0,
                                            method=f"verschil in naleving {label}",
                                            kind="ontwikkeling", n=n1)
        themas = hh["thema"].astype(str).to_numpy()
        for thema in sorted(set(themas)):
            t = themas == thema
            n1, n0 = int(((jaar == year) & t).sum()), int(((jaar == baseline_year) & t).sum())
            k1, k0 = int(((jaar == year) & t & ov).sum()), int(((jaar == baseline_year) & t & ov).sum())
            d, lo, hi = newcombe_diff(k1, n1, k0, n0, alpha)
            if np.isfinite(d) and k0 > 0:
                out[("overtredingen", thema)] = Measure(
                    d, lo, hi, scale="difference", baseline=k0 / n0,
                    method=f"verschil in aandeel acties met overtreding ({thema}) {label}",
                    kind="ontwikkeling", n=n1,
                )
    if meldingen is not None and not meldingen.empty:
        m = meldingen.loc[meldingen["wijkraad_id"] == ward]
        days = ((pd.to_datetime(m["afgehandeld"]) - pd.to_datetime(m["ontvangen"])).dt.total_seconds() / 86400).to_numpy()
        jaar = pd.to_datetime(m["ontvangen"]).dt.year.to_numpy()
        ok = np.isfinite(days)
        v1, v0 = days[ok & (jaar == year)], days[ok & (jaar == baseline_year)]
        for ind, q in (("doorlooptijd_mediaan", 0.5), ("doorlooptijd_p90", 0.9)):
            e1, _, _, r1 = bootstrap_quantile(v1, q, alpha=alpha, seed=_seed(ward, year, q))
            e0, _, _, r0 = bootstrap_quantile(v0, q, alpha=alpha, seed=_seed(ward, baseline_year, q))
            if np.isfinite(e1) and np.isfinite(e0) and e0 > 0:
                diff = r1 - r0
                lo, hi = np.quantile(diff, [alpha / 2, 1 - alpha / 2])
                out[(ind, "")] = Measure(
                    e1 - e0, float(lo), float(hi), scale="difference", baseline=e0,
                    method=f"verschil in {'mediane' if q == 0.5 else '90e-percentiel'} doorlooptijd {label}, in dagen",
                    kind="ontwikkeling", n=int(v1.size),
                )
    return out


def change_frame(changes: dict[tuple[str, str], Measure]) -> pd.DataFrame:
    """Flatten :func:`enforcement_change` output for display/export."""
    rows = [{"indicator": k[0], "thema": k[1], **m.to_dict()} for k, m in changes.items()]
    cols = ["indicator", "thema", "estimate", "conf_low", "conf_high", "scale", "baseline", "method", "kind",
            "n", "p_value", "relative_estimate", "relative_low", "relative_high"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------
# data quality
# --------------------------------------------------------------------------------------------
def quality_flags(
    panel: pd.DataFrame,
    ward: str,
    year: int,
    outcomes: list[str],
    *,
    start: pd.Timestamp | None,
    config: MonitorConfig | None = None,
    focus: pd.DataFrame | None = None,
    boundary_changes: list[str] | None = None,
    yearly: Callable[[str], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Data-quality flags for the ward and year, each rated R(ood)/A(mber)/G(roen).

    Examples
    --------
    >>> p = pd.DataFrame({"unit": "a", "period": pd.date_range("2019-01-01", periods=24, freq="MS"),
    ...                   "n_afval": 1.0, "population": 1000.0})
    >>> sorted(quality_flags(p, "a", 2020, ["afval"], start=None)["code"])
    ['kanaalwissel', 'kleine_aantallen', 'meldgedrag']
    """
    cfg = load_config(config)
    q = cfg.quality
    rows: list[dict[str, str]] = []
    wp = panel.loc[panel["unit"] == ward]
    periods = pd.to_datetime(wp["period"])
    channel = pd.Timestamp(q["channel_change"])
    for outcome in outcomes:
        if outcome in MELDING_CATEGORIES:
            rows.append({"code": "meldgedrag", "uitkomst": outcome, "rag": "A",
                         "toelichting": "meldingen hangen af van meldbereidheid en zichtbaarheid van handhaving; "
                                        "een stijging kan ook meer melden betekenen"})
            if periods.min() < channel <= periods.max():
                rows.append({"code": "kanaalwissel", "uitkomst": outcome, "rag": "A",
                             "toelichting": f"meldkanaal veranderde op {fmt_date(q['channel_change'])} (MeldR); "
                                            "breuk in de reeks mogelijk"})
        yc = yearly(outcome) if yearly is not None else yearly_counts(wp, outcome)
        n_year = float(yc.loc[(yc["unit"] == ward) & (yc["jaar"] == year), "aantal"].sum())
        if n_year < q["small_numbers"]:
            rows.append({"code": "kleine_aantallen", "uitkomst": outcome, "rag": "R" if n_year < q["small_numbers"] / 2 else "A",
                         "toelichting": f"{int(n_year)} gebeurtenissen in {year} (drempel {q['small_numbers']})"})
    in_year = periods.dt.year == year
    for col in [c for c in wp.columns if c.startswith("missing_")]:
        miss = int(_bool(wp.loc[in_year, col]).sum())
        if miss > q["max_missing_months"]:
            rows.append({"code": "ontbrekende_maanden", "uitkomst": col.removeprefix("missing_"), "rag": "R" if miss >= 3 else "A",
                         "toelichting": f"{count_noun(miss, 'maand', 'maanden')} zonder gegevens van deze bron in {year}"})
    months_in_year = int(in_year.sum())
    if 0 < months_in_year < 12:
        rows.append({"code": "onvolledig_jaar", "uitkomst": "", "rag": "A",
                     "toelichting": f"de maandcijfers beslaan {count_noun(months_in_year, 'maand', 'maanden')} "
                                    f"van {year}"})
    for text in boundary_changes or []:
        rows.append({"code": "grenswijziging", "uitkomst": "", "rag": "A", "toelichting": text})
    if focus is not None and not focus.empty:
        rows.append({"code": "focusgebied", "uitkomst": "", "rag": "A",
                     "toelichting": "(hyper)focusgebied in deze wijkraad: effecten van andere programma's lopen mee "
                                    f"({', '.join(sorted(set(focus['wijk_code'].astype(str))))})"})
    if start is not None and not pd.isna(start):
        post = int((periods >= start).sum() - (periods.dt.year > year).sum())
        if post < cfg.verdict["min_post_periods"]:
            rows.append({"code": "korte_nameting", "uitkomst": "", "rag": "R",
                         "toelichting": f"{count_noun(max(post, 0), 'maand', 'maanden')} sinds de start (minimum "
                                        f"{cfg.verdict['min_post_periods']})"})
    return pd.DataFrame(rows, columns=QUALITY_COLUMNS)


def _vi_total(wijkprofiel: pd.DataFrame) -> pd.DataFrame:
    """Veiligheidsindex total per wijk and edition (``thema == "veiligheidsindex"``, else the mean of the
    themes' totals)."""
    wp = wijkprofiel.loc[(wijkprofiel["index"] == "veiligheid") & (wijkprofiel["deel"] == "totaal")]
    own = wp.loc[wp["thema"] == "veiligheidsindex"]
    src = own if len(own) else wp
    out = src.groupby(["wijk_code", "editie"], as_index=False)["waarde"].mean()
    return out.astype({"editie": "int64", "waarde": "float64"})


def focus_table(
    focusgebieden: pd.DataFrame | None,
    wijk_codes: list[str],
    year: int,
    wijkprofiel: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Focus areas among the ward's wijken active up to the end of ``year``, with their development.

    Development = the Veiligheidsindex (total) of the focus wijk in the last edition up to ``year`` against
    the last edition before the focus started (or the first edition on record when it started earlier),
    next to the city's change over the same editions (unweighted mean over wijken).

    Examples
    --------
    >>> f = pd.DataFrame({"wijk_code": ["A"], "niveau": ["focus"], "start": pd.to_datetime(["2019-01-01"]),
    ...                   "eind": pd.to_datetime([None])})
    >>> wp = pd.DataFrame({"editie": [2018, 2024, 2018, 2024], "wijk_code": ["A", "A", "B", "B"],
    ...                    "index": "veiligheid", "thema": "veiligheidsindex", "deel": "totaal",
    ...                    "indicator": "vi", "waarde": [80.0, 90.0, 100.0, 102.0]})
    >>> focus_table(f, ["A"], 2025, wp)[["vi_verschil", "stad_verschil"]].values.tolist()
    [[10.0, 6.0]]
    """
    cols = ["wijk_code", "niveau", "start", "eind", "editie_voor", "vi_voor", "editie_laatst", "vi_laatst",
            "vi_verschil", "stad_verschil", "verschil_tov_stad"]
    if focusgebieden is None or focusgebieden.empty:
        return pd.DataFrame(columns=cols)
    f = focusgebieden.loc[focusgebieden["wijk_code"].isin(wijk_codes)]
    f = f.loc[pd.to_datetime(f["start"]) <= pd.Timestamp(f"{year}-12-31")]
    vi = _vi_total(wijkprofiel) if wijkprofiel is not None and len(wijkprofiel) else None
    city = vi.groupby("editie")["waarde"].mean() if vi is not None else None
    rows = []
    for r in f.itertuples():
        row = {"wijk_code": str(r.wijk_code), "niveau": str(r.niveau),
               "start": pd.Timestamp(r.start).strftime("%Y-%m-%d"),
               "eind": None if pd.isna(r.eind) else pd.Timestamp(r.eind).strftime("%Y-%m-%d")}
        row.update(dict.fromkeys(cols[4:], math.nan))
        if vi is not None:
            own = vi.loc[(vi["wijk_code"] == r.wijk_code) & (vi["editie"] <= year)].set_index("editie")["waarde"]
            if len(own) >= 2:
                before = own.loc[own.index < pd.Timestamp(r.start).year]
                e0 = int(before.index.max()) if len(before) else int(own.index.min())
                e1 = int(own.index.max())
                if e1 > e0:
                    row.update(editie_voor=e0, vi_voor=float(own[e0]), editie_laatst=e1, vi_laatst=float(own[e1]),
                               vi_verschil=float(own[e1] - own[e0]), stad_verschil=float(city[e1] - city[e0]))
                    row["verschil_tov_stad"] = row["vi_verschil"] - row["stad_verschil"]
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(cols[:3], ignore_index=True)


def finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
