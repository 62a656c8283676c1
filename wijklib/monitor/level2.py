"""Level 2 — perceived safety (Wijkprofiel / Veiligheidsindex, subjective part) and signals from the ward.

Survey indicators are aggregated from Wijkprofiel wijken to the wijkraad: weighted by the number of
respondents when every wijk carries it, otherwise an unweighted mean (said in ``notes``). The survey margin
is only given where the data carry sample sizes; index scores (100 = city 2014) are not proportions, so
their margin needs a respondent-level spread, which the Wijkprofiel does not publish: for those the margin
is reported as unknown unless the indicator is a percentage (name contains '%', 'aandeel' or 'percentage'),
where the binomial margin applies.

Signals (``signalen``) are counted by theme and tone per year; a theme "rises" by the rule in
``config/monitor.yaml`` (level2). Free text is NEVER passed on, except scrubbed text of records marked
``publiceerbaar``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from wijklib.monitor.privacy import scrub
from wijklib.monitor.settings import MonitorConfig, load_config

_PCT = re.compile(r"%|aandeel|percentage|procent", re.I)


def is_percentage(indicator: str) -> bool:
    """True when a Wijkprofiel indicator is a share in percent (binomial margin applies)."""
    return bool(_PCT.search(str(indicator)))


def survey_margin(
    value: float, n: float | None, indicator: str, alpha: float = 0.05, index_sd: float | None = None
) -> float:
    """Half-width of the (1 - alpha) survey interval, or NaN when it cannot be known.

    Percentages: binomial margin. Index scores: ``z x index_sd / sqrt(n)`` when the respondent-level
    standard deviation ``index_sd`` is known (``level2.index_sd`` in ``config/monitor.yaml``), else NaN.

    Examples
    --------
    >>> round(survey_margin(30.0, 400, "% voelt zich onveilig"), 2)
    4.49
    >>> math.isnan(survey_margin(98.0, 400, "veiligheidsbeleving"))
    True
    >>> round(survey_margin(98.0, 400, "veiligheidsbeleving", index_sd=20.0), 2)
    1.96
    """
    if n is None or not np.isfinite(n) or n <= 0:
        return math.nan
    z = float(stats.norm.ppf(1 - alpha / 2))
    if is_percentage(indicator):
        p = min(max(float(value) / 100, 0.0), 1.0)
        return z * math.sqrt(p * (1 - p) / n) * 100
    if index_sd is not None:
        return z * float(index_sd) / math.sqrt(n)
    return math.nan


@dataclass(frozen=True, eq=False)  # holds DataFrames: compare via .to_dict()
class Level2:
    """Perceived safety and signals for one ward and year."""

    year: int
    survey: pd.DataFrame
    signals: pd.DataFrame
    rising: pd.DataFrame
    quotes: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        from wijklib.monitor.serialize import frame_to_records

        return {
            "year": self.year,
            "survey": frame_to_records(self.survey),
            "signals": frame_to_records(self.signals),
            "rising": frame_to_records(self.rising),
            "quotes": frame_to_records(self.quotes),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Level2:
        from wijklib.monitor.serialize import records_to_frame

        return cls(
            year=int(d["year"]),
            survey=records_to_frame(d["survey"]),
            signals=records_to_frame(d["signals"]),
            rising=records_to_frame(d["rising"]),
            quotes=records_to_frame(d["quotes"]),
            notes=tuple(d.get("notes", ())),
        )


def aggregate_wijkprofiel(
    wijkprofiel: pd.DataFrame, wijk_codes: list[str] | None
) -> tuple[pd.DataFrame, bool]:
    """Aggregate Wijkprofiel rows over a set of wijken (``None`` = the whole city).

    Returns one row per (editie, index, thema, deel, indicator) with ``waarde`` and ``n_respondenten``
    (sum; NA when any wijk lacks it), and whether respondent weights were used everywhere.

    Examples
    --------
    >>> wp = pd.DataFrame({"editie": 2022, "wijk_code": ["A", "B"], "index": "veiligheid", "thema": "t",
    ...                    "deel": "subjectief", "indicator": "i", "waarde": [90.0, 110.0],
    ...                    "n_respondenten": pd.array([100, 300], dtype="Int64")})
    >>> aggregate_wijkprofiel(wp, ["A", "B"])[0]["waarde"].item()
    105.0
    """
    keys = ["editie", "index", "thema", "deel", "indicator"]
    sel = wijkprofiel if wijk_codes is None else wijkprofiel.loc[wijkprofiel["wijk_code"].isin(wijk_codes)]
    sel = sel.loc[pd.to_numeric(sel["waarde"], errors="coerce").notna()]
    if sel.empty:
        return pd.DataFrame(columns=[*keys, "waarde", "n_respondenten", "wijken"]), True
    n = pd.to_numeric(sel["n_respondenten"], errors="coerce").astype("float64")
    d = pd.DataFrame({k: sel[k].to_numpy() for k in keys})
    d["waarde"] = pd.to_numeric(sel["waarde"]).to_numpy(dtype=float)
    d["n"] = n.to_numpy()
    d["wijk_code"] = sel["wijk_code"].to_numpy()

    d["nw"] = d["n"] * d["waarde"]
    g = d.groupby(keys, sort=True)
    a = g.agg(sum_nw=("nw", "sum"), sum_n=("n", "sum"), n_known=("n", "count"), size=("waarde", "size"),
              mean=("waarde", "mean"), wijken=("wijk_code", "nunique")).reset_index()
    weighted = (a["n_known"] == a["size"]) & (a["sum_n"] > 0)
    out = a[keys].copy()
    out["waarde"] = np.where(weighted, a["sum_nw"] / a["sum_n"].where(a["sum_n"] > 0), a["mean"])
    out["n_respondenten"] = np.where(weighted, a["sum_n"], np.nan)
    out["wijken"] = a["wijken"].astype("int64")
    out["gewogen"] = weighted.to_numpy()
    weighted_all = bool(out["gewogen"].all())
    return out.drop(columns="gewogen"), weighted_all


def survey_table(
    wijkprofiel: pd.DataFrame | None,
    wijk_codes: list[str],
    year: int,
    *,
    deel: str | None = "subjectief",
    index: str | None = "veiligheid",
    alpha: float = 0.05,
    city: pd.DataFrame | None = None,
    index_sd: float | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Ward vs city vs the ward's own earlier editions, per indicator and edition up to ``year``.

    ``deel``/``index`` select the part (``None`` = all); ``city`` is an optional precomputed
    ``aggregate_wijkprofiel(wijkprofiel, None)[0]`` (the same for every ward, so a batch computes it once).

    Columns: ``editie, index, thema, deel, indicator, waarde, stad, verschil_stad, n_respondenten, marge,
    vorige_editie, vorige_waarde, verschil_vorige, marge_verschil, verschil_vorige_stad,
    verschil_vorige_tov_stad`` (the ward's change minus the city's change). ``marge`` is NaN where the
    survey margin is unknown.
    """
    cols = ["editie", "index", "thema", "deel", "indicator", "waarde", "stad", "verschil_stad", "n_respondenten",
            "marge", "vorige_editie", "vorige_waarde", "verschil_vorige", "marge_verschil", "verschil_vorige_stad",
            "verschil_vorige_tov_stad"]
    notes: list[str] = []
    if wijkprofiel is None or wijkprofiel.empty:
        return pd.DataFrame(columns=cols), ["geen Wijkprofiel-gegevens"]
    sel = wijkprofiel["wijk_code"].isin(wijk_codes) & (pd.to_numeric(wijkprofiel["editie"]) <= year)
    if deel is not None:
        sel &= wijkprofiel["deel"] == deel
    if index is not None:
        sel &= wijkprofiel["index"] == index
    ward, w_ok = aggregate_wijkprofiel(wijkprofiel.loc[sel], None)
    if city is None:
        city, _ = aggregate_wijkprofiel(wijkprofiel, None)
    if ward.empty:
        return pd.DataFrame(columns=cols), [f"geen Wijkprofiel-gegevens ({deel or 'alle delen'}) voor de wijken van deze wijkraad"]
    if not w_ok:
        notes.append("aantal respondenten niet overal bekend: wijken ongewogen gemiddeld; enquêtemarge onbekend")
    keys = ["editie", "index", "thema", "deel", "indicator"]
    m = ward.merge(city[[*keys, "waarde"]].rename(columns={"waarde": "stad"}), on=keys, how="left")
    m = m.sort_values(["index", "thema", "deel", "indicator", "editie"], ignore_index=True)
    m["verschil_stad"] = m["waarde"] - m["stad"]
    m["marge"] = [survey_margin(v, n, i, alpha, index_sd)
                  for v, n, i in zip(m["waarde"], m["n_respondenten"], m["indicator"], strict=True)]
    g = m.groupby(["index", "thema", "deel", "indicator"], sort=False)
    m["vorige_editie"] = g["editie"].shift(1)
    m["vorige_waarde"] = g["waarde"].shift(1)
    prev_marge = g["marge"].shift(1)
    m["verschil_vorige"] = m["waarde"] - m["vorige_waarde"]
    # Independent samples in two editions: margins add in quadrature.
    m["marge_verschil"] = np.sqrt(m["marge"] ** 2 + prev_marge**2)
    # The city's change over the same editions: a ward that only follows the city trend is not "better".
    m["verschil_vorige_stad"] = m["stad"] - g["stad"].shift(1)
    m["verschil_vorige_tov_stad"] = m["verschil_vorige"] - m["verschil_vorige_stad"]
    if m["marge"].isna().any():
        notes.append(
            "enquêtemarge onbekend voor indexscores (de spreiding per respondent wordt niet gepubliceerd) "
            "of waar het aantal respondenten ontbreekt"
        )
    return m[cols], notes


def signal_counts(signalen: pd.DataFrame | None, wijkraad_id: str, year: int) -> pd.DataFrame:
    """Counts of coded signals by year, theme and tone (no text) up to ``year``.

    Examples
    --------
    >>> s = pd.DataFrame({"signaal_id": ["1", "2"], "datum": pd.to_datetime(["2024-02-01", "2024-03-01"]),
    ...                   "wijkraad_id": "a", "bron": "wijkraad", "thema": "afval", "toon": "negatief",
    ...                   "tekst": "x", "publiceerbaar": False})
    >>> signal_counts(s, "a", 2024)["aantal"].tolist()
    [2]
    """
    cols = ["jaar", "thema", "toon", "aantal"]
    if signalen is None or signalen.empty:
        return pd.DataFrame(columns=cols)
    s = signalen.loc[signalen["wijkraad_id"] == wijkraad_id]
    d = pd.DataFrame(
        {
            "jaar": pd.to_datetime(s["datum"]).dt.year.to_numpy(),
            "thema": [scrub(t) for t in s["thema"]],
            "toon": s["toon"].astype(str).to_numpy(),
        }
    )
    d = d.loc[d["jaar"] <= year]
    out = d.groupby(cols[:-1], as_index=False).size().rename(columns={"size": "aantal"})
    return out.astype({"jaar": "int64", "aantal": "int64"})[cols]


def rising_themes(counts: pd.DataFrame, year: int, *, config: MonitorConfig | None = None) -> pd.DataFrame:
    """Themes whose signal count in ``year`` is at least ``rising_ratio`` x the mean of earlier years.

    Earlier years are the years before ``year`` with any signal for the ward (a year without records is
    not a year with zero signals). Columns: ``thema, aantal, gemiddeld_eerder, jaren_eerder, ratio,
    negatief``.
    """
    cfg = load_config(config)
    ratio_min, n_min = cfg.level2["rising_ratio"], cfg.level2["rising_min_count"]
    cols = ["thema", "aantal", "gemiddeld_eerder", "jaren_eerder", "ratio", "negatief"]
    if counts.empty:
        return pd.DataFrame(columns=cols)
    per = counts.groupby(["jaar", "thema"])["aantal"].sum().unstack(fill_value=0)
    neg = counts.loc[counts["toon"] == "negatief"].groupby(["jaar", "thema"])["aantal"].sum()
    earlier = per.loc[per.index < year]
    if year not in per.index or earlier.empty:
        return pd.DataFrame(columns=cols)
    now = per.loc[year]
    mean_before = earlier.mean(axis=0)
    rows = []
    for thema, n in now.items():
        mb = float(mean_before.get(thema, 0.0))
        ratio = n / mb if mb > 0 else math.inf
        if n >= n_min and ratio >= ratio_min:
            rows.append(
                {"thema": thema, "aantal": int(n), "gemiddeld_eerder": mb, "jaren_eerder": int(len(earlier)),
                 "ratio": ratio, "negatief": int(neg.get((year, thema), 0))}
            )
    return pd.DataFrame(rows, columns=cols).sort_values("aantal", ascending=False, ignore_index=True)


def publishable_quotes(
    signalen: pd.DataFrame | None, wijkraad_id: str, year: int, *, config: MonitorConfig | None = None
) -> pd.DataFrame:
    """Scrubbed text of signals marked ``publiceerbaar`` in ``year`` (at most N per theme).

    Records not marked publishable never leave this function, whatever their text.
    """
    cfg = load_config(config)
    cols = ["datum", "bron", "thema", "toon", "tekst"]
    if signalen is None or signalen.empty or "tekst" not in signalen:
        return pd.DataFrame(columns=cols)
    s = signalen.loc[
        (signalen["wijkraad_id"] == wijkraad_id)
        & (pd.to_datetime(signalen["datum"]).dt.year == year)
        & (signalen["publiceerbaar"].astype("boolean").fillna(False).astype(bool))
    ]
    s = s.sort_values(["thema", "datum"])
    s = s.groupby("thema", sort=True).head(cfg.level2["max_quotes_per_theme"])
    return pd.DataFrame(
        {
            "datum": pd.to_datetime(s["datum"]).dt.strftime("%Y-%m-%d").to_numpy(),
            "bron": s["bron"].astype(str).to_numpy(),
            "thema": [scrub(t) for t in s["thema"]],
            "toon": s["toon"].astype(str).to_numpy(),
            "tekst": [scrub(t) for t in s["tekst"]],
        },
        columns=cols,
    ).reset_index(drop=True)


def compute_level2(
    wijkprofiel: pd.DataFrame | None,
    signalen: pd.DataFrame | None,
    wijkraad_id: str,
    wijk_codes: list[str],
    year: int,
    *,
    config: MonitorConfig | None = None,
    city_survey: pd.DataFrame | None = None,
) -> Level2:
    """Level 2 for one ward and year (survey indicators, signal counts, rising themes, scrubbed quotes).

    ``city_survey``: optional precomputed city aggregate (see :func:`survey_table`).
    """
    cfg = load_config(config)
    survey, notes = survey_table(wijkprofiel, wijk_codes, year, alpha=cfg.verdict["alpha"], city=city_survey,
                                 index_sd=cfg.level2["index_sd"])
    counts = signal_counts(signalen, wijkraad_id, year)
    if counts.empty:
        notes.append("geen gecodeerde signalen voor deze wijkraad")
    return Level2(
        year=int(year),
        survey=survey,
        signals=counts,
        rising=rising_themes(counts, year, config=cfg),
        quotes=publishable_quotes(signalen, wijkraad_id, year, config=cfg),
        notes=tuple(notes),
    )
