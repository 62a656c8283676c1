"""One evaluation per ward and year (:class:`WardEvaluation`), the city batch, and the shared context.

:class:`Context` holds the tables, the panel and everything that is the same for all wards (the
city-wide DiD fits per outcome and year, yearly counts, events mapped to wards), so that
:func:`evaluate_city` evaluates 39 wards while fitting each city-wide model once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wijklib.monitor import design as dsg
from wijklib.monitor import privacy
from wijklib.monitor.level1 import (
    Level1,
    change_frame,
    count_outcomes,
    enforcement_change,
    enforcement_table,
    focus_table,
    quality_flags,
    trend_table,
    yearly_counts,
)
from wijklib.monitor.level2 import Level2, aggregate_wijkprofiel, compute_level2, survey_table
from wijklib.monitor.level3 import Level3, compute_level3
from wijklib.monitor.priorities import (
    INDICATOR_LABELS,
    PriorityVerdict,
    Resolved,
    change_text,
    combine_verdicts,
    indicator_name,
    priorities_of,
    resolve_indicator,
)
from wijklib.monitor.serialize import clean_value
from wijklib.monitor.settings import MonitorConfig, load_config
from wijklib.monitor.verdict import (
    ALL_VERDICTS,
    FAVOURABLE,
    ONGUNSTIG,
    ONVOLDOENDE,
    ONZEKER,
    OP_KOERS,
    Measure,
    count_noun,
    fmt_month,
    fmt_num,
    fmt_p,
    holm,
    judge,
    measure_p_value,
    priority_sentence,
    vocabulary,
)
from wijklib.monitor.view import delivered_sources, missing_source_reason

#: Years of verdict history kept per priority indicator.
_HISTORY_YEARS = 10

#: Herijk advice kinds: re-set the priority, or (every year in the window without usable data) first make
#: it measurable.
ADVIES_HERIJKEN = "herijken"
ADVIES_MEETBAAR = "eerst meetbaar maken"


def _p_eq(p: float) -> str:
    """``= 0,031`` or ``< 0,001`` (the p-value after "p")."""
    text = fmt_p(p)
    return text if text.startswith("<") else f"= {text}"


def platform_break_reason(panel: pd.DataFrame, ward: str, outcome: str, first: pd.Timestamp,
                          last: pd.Timestamp, max_shift: float = 0.1, *, relative: bool = True) -> str | None:
    """Why a count outcome's verdict cannot rest on these months: a platform migration inside them.

    Uses the panel's ``platform_<outcome>`` share (reports on a non-default system, from the sources'
    platform calendar). The share in the first 12 months of ``first``..``last`` is compared with the
    last 12. For a measure against other wards (``relative``: DiD, "vs rest of the city") the ward's
    shift minus the other units' mean shift must stay within ``max_shift`` (a city-wide migration
    cancels); for a measure of the ward alone its own shift. None when there is no calendar or no break.

    Examples
    --------
    >>> per = pd.date_range("2022-01-01", "2024-12-01", freq="MS")
    >>> p = pd.DataFrame({"unit": ["a"] * 36 + ["b"] * 36, "period": list(per) * 2,
    ...                   "platform_afval": [0.0] * 30 + [1.0] * 6 + [0.0] * 36})
    >>> platform_break_reason(p, "a", "afval", per[0], per[-1])[:35]
    'registratiebreuk: in deze wijk ging'
    >>> platform_break_reason(p, "b", "afval", per[0], per[-1], relative=False) is None
    True
    """
    col = f"platform_{outcome.removeprefix('n_').removeprefix('rate_')}"
    if col not in panel.columns:
        return None
    p = panel.loc[(panel["period"] >= first) & (panel["period"] <= last), ["unit", "period", col]]
    if p.empty:
        return None
    months = sorted(p["period"].unique())
    head, tail = set(months[:12]), set(months[-12:])
    own = p["unit"].astype(str) == str(ward)

    def shift(rows: pd.DataFrame) -> float:
        a = rows.loc[rows["period"].isin(head), col].mean()
        b = rows.loc[rows["period"].isin(tail), col].mean()
        return float(b - a) if pd.notna(a) and pd.notna(b) else 0.0

    mine, others = shift(p[own]), shift(p[~own])
    if relative:
        # Against other wards: a migration that moves every ward alike cancels; the difference counts.
        if abs(mine - others) <= max_shift:
            return None
        where = (f"in deze wijk ging {abs(mine):.0%} en in de vergelijkingswijken gemiddeld {abs(others):.0%}")
    else:
        if abs(mine) <= max_shift:
            return None
        where = f"in deze wijk ging {abs(mine):.0%}"
    return (f"registratiebreuk: {where} van deze meldingen naar een ander meldsysteem "
            f"({fmt_month(months[0])} tot {fmt_month(months[-1])}); een verandering in de "
            "aantallen kan uit de nieuwe registratie komen, niet uit de straat")


def herijk_advice(verdicts: list[str], years: int) -> str | None:
    """Herijk advice for a theme from its verdicts of consecutive years (oldest first, this year last).

    None when it was "op koers" in any of the last ``years`` years (or there are fewer years). Years
    without any usable measurement are no evidence against the priority itself, so when every one of
    them was "onvoldoende gegevens" the advice is to make it measurable first.

    Examples
    --------
    >>> herijk_advice(["geen aantoonbare verandering", "ongunstige ontwikkeling"], 2)
    'herijken'
    >>> herijk_advice(["onvoldoende gegevens", "onvoldoende gegevens"], 2)
    'eerst meetbaar maken'
    >>> herijk_advice(["op koers", "geen aantoonbare verandering"], 2) is None
    True
    >>> herijk_advice(["geen aantoonbare verandering"], 2) is None
    True
    """
    last = verdicts[-years:]
    # Any desired-side word counts: "op koers" for an effect, its development counterparts otherwise.
    if len(verdicts) < years or any(v in FAVOURABLE for v in last):
        return None
    return ADVIES_MEETBAAR if all(v == ONVOLDOENDE for v in last) else ADVIES_HERIJKEN

#: Version of the JSON layout written by :meth:`WardEvaluation.to_json`; bump on incompatible changes.
SCHEMA_VERSION = 1

# Count columns that describe enforcement activity or bookkeeping, not outcomes to judge.
_NOT_OUTCOMES = {"afgehandeld", "controles", "controles_overtreding", "sancties"}
# Enforcement actions: shown as a development (level 1 trends), never judged as an effect.
_ACTIONS = ("controles", "controles_overtreding", "sancties")


# --------------------------------------------------------------------------------------------
# shared context
# --------------------------------------------------------------------------------------------
class Context:
    """Tables, panel and city-wide fits shared by the evaluations of all wards.

    Parameters
    ----------
    tables
        Canonical tables keyed by source (``wijklib.panel.load_demo()`` when both ``tables`` and ``panel``
        are ``None``). Never modified.
    panel
        Ward x month panel (``wijklib.panel.build(tables, level="wijkraad", freq="M")`` when ``None``).
    config
        Monitor settings (``config/monitor.yaml``; a dict overrides keys).
    hierarchy
        Buurt -> wijk -> wijkraad table (``wijklib.geo.hierarchy()`` when ``None``).
    outcomes
        Count outcomes (``n_<outcome>`` columns) to estimate at level 1; default all. Fewer outcomes =
        fewer city-wide fits (tests, quick looks).

    Examples
    --------
    >>> ctx = Context(tables={}, panel=pd.DataFrame({"unit": ["a"], "period": [pd.Timestamp("2024-01-01")],
    ...                                               "population": [1000.0], "first_treated": [pd.NaT]}),
    ...               hierarchy=pd.DataFrame(columns=["buurt_code", "wijk_code", "wijkraad_id", "wijkraad"]))
    >>> ctx.wards()
    ['a']
    """

    def __init__(
        self,
        tables: Mapping[str, pd.DataFrame] | None = None,
        panel: pd.DataFrame | None = None,
        *,
        config: MonitorConfig | Mapping[str, Any] | str | Path | None = None,
        hierarchy: pd.DataFrame | None = None,
        outcomes: list[str] | None = None,
    ) -> None:
        from wijklib import panel as panel_mod

        if tables is None and panel is None:
            tables = panel_mod.load_demo()
        # Free text and categorical fields pass the privacy rules once, here, so nothing downstream (panel,
        # evaluations, their JSON, the reports) ever holds an unscrubbed or unknown value.
        self.tables: dict[str, pd.DataFrame] = privacy.sanitize_tables(tables if tables is not None else {})
        if panel is None:
            panel = panel_mod.build(self.tables, level="wijkraad", freq="M")
        for col in ("unit", "period", "population"):
            if col not in panel.columns:
                raise ValueError(f"panel: column {col!r} is missing; expected the wijklib.panel layout")
        self.panel = panel
        self.config = load_config(config)
        self._hierarchy = hierarchy
        self.starts = dsg.treatment_starts(panel)
        if outcomes is not None:
            missing = [o for o in outcomes if f"n_{o}" not in panel.columns]
            if missing:
                raise ValueError(f"outcomes {missing} have no column n_<outcome> in the panel")
        self._outcomes = outcomes
        self._cache: dict[Any, Any] = {}

    # -- geography -------------------------------------------------------------------------
    @property
    def hierarchy(self) -> pd.DataFrame:
        if self._hierarchy is None:
            from wijklib import geo

            self._hierarchy = geo.hierarchy()
        return self._hierarchy

    def wards(self) -> list[str]:
        return sorted(str(u) for u in self.panel["unit"].unique())

    def ward_name(self, ward: str) -> str:
        h = self.hierarchy
        hit = h.loc[h["wijkraad_id"] == ward, "wijkraad"] if "wijkraad" in h else pd.Series(dtype=str)
        return str(hit.iloc[0]) if len(hit) else ward

    def wijken(self, ward: str) -> list[str]:
        h = self.hierarchy
        return sorted(set(h.loc[h["wijkraad_id"] == ward, "wijk_code"].astype(str)))

    def check_ward(self, ward: str) -> str:
        if ward in set(self.panel["unit"]):
            return ward
        try:
            from wijklib import geo

            norm = geo.normalize(ward, level="wijkraad")
        except Exception as exc:  # noqa: BLE001 - re-raised with the panel's ward list
            raise ValueError(f"unknown wijkraad {ward!r}: {exc}") from exc
        if norm not in set(self.panel["unit"]):
            raise ValueError(f"wijkraad {ward!r} ({norm}) is not in the panel; wards: {self.wards()[:5]}...")
        return norm

    # -- cached pieces -----------------------------------------------------------------------
    def _memo(self, key: Any, fn):
        if key not in self._cache:
            try:
                self._cache[key] = (True, fn())
            except Exception as exc:  # noqa: BLE001 - stored and re-raised for every ward that asks
                self._cache[key] = (False, exc)
        ok, val = self._cache[key]
        if not ok:
            raise val
        return val

    def panel_upto(self, year: int) -> pd.DataFrame:
        return self._memo(("upto", year), lambda: dsg.upto(self.panel, year))

    def outcomes(self) -> list[str]:
        """Count outcomes shown at level 1 (report categories, police crime types, totals), or the
        ``outcomes`` given to the context. Priorities always get their own outcome estimated."""
        if self._outcomes is not None:
            return list(self._outcomes)
        return [o for o in count_outcomes(self.panel) if o not in _NOT_OUTCOMES]

    def yearly(self, outcome: str) -> pd.DataFrame:
        """Yearly events, months and mean population per ward for an outcome (cached)."""
        return self._memo(("yearly", outcome), lambda: yearly_counts(self.panel, outcome))

    def did(self, outcome: str, year: int):
        """City-wide staggered DiD for an outcome and year: ``(group aggregate, fit)``, fitted once."""
        return self._memo(
            ("did", outcome, year),
            lambda: dsg.fit_city_did(self.panel_upto(year), outcome, self.starts, year, config=self.config),
        )

    def events(self, source: str) -> pd.DataFrame | None:
        """An event table with a ``wijkraad_id`` column added from its buurt (a new frame)."""

        def make():
            df = self.tables.get(source)
            if df is None:
                return None
            if "wijkraad_id" in df.columns:
                return df
            mapping = self.hierarchy.drop_duplicates("buurt_code").set_index("buurt_code")["wijkraad_id"]
            return df.assign(wijkraad_id=df["buurt_code"].map(mapping))

        return self._memo(("events", source), make)

    def city_survey(self) -> pd.DataFrame | None:
        """City-wide Wijkprofiel aggregate per edition and indicator (the same for every ward)."""
        wp = self.tables.get("wijkprofiel")
        if wp is None or wp.empty:
            return None
        return self._memo("city_survey", lambda: aggregate_wijkprofiel(wp, None)[0])

    def crime_names(self) -> dict[str, str]:
        pol = self.tables.get("politie")
        if pol is None or pol.empty:
            return {}
        return self._memo(
            "crime_names",
            lambda: pol.drop_duplicates("misdrijf_code").set_index("misdrijf_code")["misdrijf"].astype(str).to_dict(),
        )

    def boundary_changes(self, ward: str, year: int) -> list[str]:
        """Texts on buurt code changes that touch the ward between the panel's first year and ``year``."""
        try:
            from wijklib import geo

            first = int(pd.to_datetime(self.panel["period"]).dt.year.min())
            cw = self._memo(("crosswalk", first, year), lambda: geo.crosswalk(first, year))
        except Exception:  # noqa: BLE001 - no versioned geography: nothing to flag
            return []
        buurten = set(self.hierarchy.loc[self.hierarchy["wijkraad_id"] == ward, "buurt_code"].astype(str))
        ch = cw.loc[(cw["old_code"] != cw["new_code"]) & cw["new_code"].isin(buurten)]
        return [
            f"buurtcode {r.old_code} (geografie {first}) valt voor {float(r.weight):.0%} in {r.new_code} "
            f"(geografie {year}); cijfers van vóór de wijziging rusten op de omzettingstabel"
            for r in ch.itertuples()
        ]


# --------------------------------------------------------------------------------------------
# result objects
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)  # holds DataFrames: compare via .to_dict()
class WardEvaluation:
    """Everything the monitor says about one ward in one year, as plain data.

    ``to_frame()``/``to_dict()`` for notebooks and reports, ``to_json()``/``from_json()`` for the city
    overview and next year's evaluation (layout versioned by ``schema_version``).
    """

    wijkraad_id: str
    wijkraad: str
    year: int
    level1: Level1
    level2: Level2
    level3: Level3
    priorities: tuple[PriorityVerdict, ...]
    themes: tuple[dict[str, Any], ...]
    herijk: tuple[dict[str, Any], ...]
    comparison: pd.DataFrame
    config: dict[str, Any]
    config_fingerprint: str
    schema_version: int = SCHEMA_VERSION
    notes: tuple[str, ...] = field(default_factory=tuple)

    # -- views -------------------------------------------------------------------------------
    def to_frame(self, part: str = "priorities") -> pd.DataFrame:
        """A table for notebooks: ``priorities`` (default), ``themes``, ``effects``, ``trends``,
        ``enforcement``, ``quality``, ``survey``, ``signals``, ``network`` or ``herijk``.

        Examples
        --------
        >>> ev = evaluate_ward("tarwewijk", 2025)  # doctest: +SKIP
        >>> ev.to_frame()[["thema", "indicator", "oordeel"]]  # doctest: +SKIP
        """
        if part == "priorities":
            rows = []
            for p in self.priorities:
                m = p.measure.to_dict() if p.measure is not None else {}
                rows.append({
                    "wijkraad_id": self.wijkraad_id, "jaar": self.year, "thema": p.thema, "indicator": p.indicator,
                    "bron": p.bron, "richting": p.richting, "ontwerp": p.design,
                    "schatting": m.get("estimate", math.nan), "conf_low": m.get("conf_low", math.nan),
                    "conf_high": m.get("conf_high", math.nan), "schaal": m.get("scale"),
                    "rel_verschil": m.get("relative_estimate", math.nan),
                    "rel_low": m.get("relative_low", math.nan), "rel_high": m.get("relative_high", math.nan),
                    "oordeel": p.verdict, "reden": p.reason, "toelichting": p.sentence,
                    "soort": p.kind, "sleutel": p.key,
                    "indicator_naam": indicator_name(p.kind, p.key, p.indicator),
                })
            cols = ["wijkraad_id", "jaar", "thema", "indicator", "bron", "richting", "ontwerp", "schatting",
                    "conf_low", "conf_high", "schaal", "rel_verschil", "rel_low", "rel_high", "oordeel", "reden",
                    "toelichting", "soort", "sleutel", "indicator_naam"]
            return pd.DataFrame(rows, columns=cols)
        if part == "themes":
            return pd.DataFrame([{k: v for k, v in t.items() if k != "indicators"} for t in self.themes],
                                columns=["thema", "oordeel", "herijk", "indicatoren"])
        if part == "effects":
            return self.level1.effects_frame()
        if part == "herijk":
            return pd.DataFrame(list(self.herijk), columns=["thema", "jaren", "advies", "bewijs"])
        tables = {
            "trends": self.level1.trends, "enforcement": self.level1.enforcement,
            "enforcement_change": self.level1.enforcement_change, "quality": self.level1.quality,
            "focus": self.level1.focus, "veiligheidsindex": self.level1.veiligheidsindex,
            "survey": self.level2.survey, "signals": self.level2.signals, "rising": self.level2.rising,
            "quotes": self.level2.quotes, "network": self.level3.by_year, "partners": self.level3.partners,
            "comparison": self.comparison,
        }
        if part not in tables:
            raise ValueError(f"part = {part!r}; expected one of priorities, themes, effects, herijk, {', '.join(tables)}")
        return tables[part].copy()

    def headline(self) -> dict[str, Any]:
        """Small dict of key numbers (report manifest, end-to-end test): verdict counts, per priority the
        estimate, interval and verdict, the network score and the herijk list."""
        counts = {v: 0 for v in ALL_VERDICTS}
        prio: dict[str, Any] = {}
        for p in self.priorities:
            counts[p.verdict] += 1
            m = p.measure
            prio.setdefault(p.thema, {})[p.indicator] = {
                "estimate": clean_value(m.estimate) if m else None,
                "conf_low": clean_value(m.conf_low) if m else None,
                "conf_high": clean_value(m.conf_high) if m else None,
                "scale": m.scale if m else None,
                "design": p.design,
                "verdict": p.verdict,
            }
        return {
            "wijkraad_id": self.wijkraad_id,
            "year": self.year,
            "verdicts": counts,
            "themes": {t["thema"]: t["oordeel"] for t in self.themes},
            "priorities": prio,
            "network_score": clean_value(self.level3.score),
            "herijk": [h["thema"] for h in self.herijk],
        }

    def sentences(self) -> list[str]:
        """Plain-Dutch sentences, one per priority indicator (generated from the numbers)."""
        return [p.sentence for p in self.priorities]

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (missing values are ``null``; see :mod:`wijklib.monitor.serialize` for how NaN,
        infinities and column dtypes are kept so that :meth:`from_dict` restores the evaluation exactly)."""
        from wijklib.monitor.serialize import frame_to_records, to_jsonable

        return to_jsonable({
            "schema_version": self.schema_version,
            "wijkraad_id": self.wijkraad_id,
            "wijkraad": self.wijkraad,
            "year": self.year,
            "config_fingerprint": self.config_fingerprint,
            "config": self.config,
            "level1": self.level1.to_dict(),
            "level2": self.level2.to_dict(),
            "level3": self.level3.to_dict(),
            "priorities": [p.to_dict() for p in self.priorities],
            "themes": [dict(t) for t in self.themes],
            "herijk": [dict(h) for h in self.herijk],
            "comparison": frame_to_records(self.comparison),
            "notes": list(self.notes),
        })

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> WardEvaluation:
        """Inverse of :meth:`to_dict` (``d`` is not modified)."""
        from wijklib.monitor.serialize import from_jsonable, records_to_frame

        version = d.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"evaluation of {d.get('wijkraad_id')!r} {d.get('year')}: schema_version = {version!r}; "
                f"expected {SCHEMA_VERSION} (written by another wijklib version)"
            )
        d = _restore_measures(from_jsonable(dict(d)))
        return cls(
            wijkraad_id=d["wijkraad_id"], wijkraad=d["wijkraad"], year=int(d["year"]),
            level1=Level1.from_dict(d["level1"]), level2=Level2.from_dict(d["level2"]),
            level3=Level3.from_dict(d["level3"]),
            priorities=tuple(PriorityVerdict.from_dict(p) for p in d["priorities"]),
            themes=tuple(dict(t) for t in d["themes"]), herijk=tuple(dict(h) for h in d["herijk"]),
            comparison=records_to_frame(d["comparison"]), config=dict(d["config"]),
            config_fingerprint=d["config_fingerprint"], schema_version=int(version),
            notes=tuple(d.get("notes", ())),
        )

    def to_json(self, path: str | Path) -> Path:
        """Write the evaluation as JSON (UTF-8, sorted keys: the same evaluation gives the same bytes)."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return p

    @classmethod
    def from_json(cls, path: str | Path) -> WardEvaluation:
        """Read an evaluation written by :meth:`to_json`; ``to_dict()`` and every ``to_frame(part)`` of the
        result equal the original's (NaN estimates, dtypes, dates and column order included).

        Examples
        --------
        >>> import tempfile, warnings; warnings.simplefilter("ignore")
        >>> from wijklib.demo import simulate
        >>> ctx = Context(simulate(scale=0.02).tables, outcomes=["afval"])
        >>> ev = evaluate_ward("Pernis", 2025, context=ctx, previous=False)
        >>> back = WardEvaluation.from_json(ev.to_json(Path(tempfile.mkdtemp()) / "pernis_2025.json"))
        >>> back.to_frame("effects").dtypes.equals(ev.to_frame("effects").dtypes)
        True
        """
        p = Path(path)
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{p}: not a valid evaluation JSON file (line {exc.lineno}: {exc.msg})") from exc
        return cls.from_dict(d)


def _restore_measures(d: dict[str, Any]) -> dict[str, Any]:
    """``null`` -> NaN for the plain-float fields (estimate, interval) of every measure in an evaluation
    dict: files written before the ``_nonfinite`` markers stored a NaN estimate as bare ``null``, and
    ``Measure`` needs a float there (``relative()`` divides it)."""
    from wijklib.monitor.serialize import fill_float_fields

    def fix(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**x, "measure": fill_float_fields(x.get("measure"), Measure)} for x in items]

    level1 = dict(d["level1"])
    level1["effects"] = fix(level1["effects"])
    return {**d, "level1": level1, "priorities": fix(d["priorities"])}


@dataclass(frozen=True, eq=False)  # holds DataFrames: compare via .to_dict()
class CityEvaluation:
    """All wards of one year; ``failures`` lists wards whose evaluation raised (with the message)."""

    year: int
    wards: dict[str, WardEvaluation]
    failures: dict[str, str]
    config_fingerprint: str

    def to_frame(self, part: str = "priorities") -> pd.DataFrame:
        frames = [ev.to_frame(part).assign(wijkraad_id=w) for w, ev in sorted(self.wards.items())]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def headline(self) -> dict[str, Any]:
        counts = {v: 0 for v in ALL_VERDICTS}
        for ev in self.wards.values():
            for p in ev.priorities:
                counts[p.verdict] += 1
        return {
            "year": self.year, "n_wards": len(self.wards), "n_failed": len(self.failures), "verdicts": counts,
            "herijk": {w: [h["thema"] for h in ev.herijk] for w, ev in sorted(self.wards.items()) if ev.herijk},
        }

    def to_json(self, folder: str | Path) -> list[Path]:
        """One ``<wijkraad_id>_<year>.json`` per ward in ``folder`` (what next year's run reads back)."""
        return [ev.to_json(Path(folder) / f"{w}_{self.year}.json") for w, ev in sorted(self.wards.items())]


# --------------------------------------------------------------------------------------------
# the evaluation
# --------------------------------------------------------------------------------------------
def _baseline_year(start: pd.Timestamp | None, year: int, first_data_year: int | None) -> int:
    """Year before the start of ward-based enforcement when it is on record, else last year."""
    if start is not None and not pd.isna(start) and start.year - 1 < year:
        b = start.year - 1
        if first_data_year is None or b >= first_data_year:
            return b
    return year - 1


def _survey_measure(survey: pd.DataFrame, indicator: str, alpha: float) -> tuple[Measure | None, list[str], str]:
    rows = survey.loc[survey["indicator"] == indicator].sort_values("editie")
    if rows.empty:
        return None, ["geen Wijkprofiel-waarden voor deze wijken"], ""
    r = rows.iloc[-1]
    why = f"Wijkprofiel {int(r['editie'])} t.o.v. {int(r['vorige_editie'])}" if pd.notna(r["vorige_editie"]) else ""
    if pd.isna(r["vorige_waarde"]):
        return None, ["geen eerdere editie om mee te vergelijken"], why
    d = float(r["verschil_vorige"])
    margin = float(r["marge_verschil"]) if pd.notna(r["marge_verschil"]) else math.nan
    if not np.isfinite(margin):
        m = Measure(d, math.nan, math.nan, scale="difference", baseline=float(r["vorige_waarde"]),
                    method=f"{why}, verschil in indexpunten", kind="ontwikkeling")
        return m, ["enquêtemarge onbekend (aantal respondenten of spreiding per respondent niet beschikbaar)"], why
    m = Measure(d, d - margin, d + margin, scale="difference", baseline=float(r["vorige_waarde"]),
                method=f"{why}, verschil met enquêtemarge", kind="ontwikkeling",
                n=int(r["n_respondenten"]) if pd.notna(r["n_respondenten"]) else None)
    return m, [], why


def _label(res_kind: str, key: str, indicator: str) -> str:
    if res_kind == "handhaving":
        return INDICATOR_LABELS.get(key, indicator)
    if res_kind == "panel":
        return f"het aantal {indicator}" if not indicator.lower().startswith("het ") else indicator
    return indicator


def _evidence(v: PriorityVerdict) -> str:
    """A priority's part of the herijk evidence: its name in words, verdict and estimate as the report
    prints them (``Meldingen parkeren onzeker (−16%)``; a share in percentage points, a time in days)."""
    name = indicator_name(v.kind, v.key, v.indicator)
    m = v.measure
    if m is None or not np.isfinite(m.estimate):
        return f"{name} {v.verdict}"
    return f"{name} {v.verdict} ({change_text(v.kind, v.key, v.indicator, m.scale, m.estimate, interval=False)})"


def _load_previous(previous: Any) -> WardEvaluation | None:
    if previous is None or previous is False:
        return None
    if isinstance(previous, WardEvaluation):
        return previous
    return WardEvaluation.from_json(previous)


def evaluate_ward(
    wijkraad: str,
    year: int,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    panel: pd.DataFrame | None = None,
    config: MonitorConfig | Mapping[str, Any] | str | Path | None = None,
    context: Context | None = None,
    previous: WardEvaluation | str | Path | bool | None = True,
) -> WardEvaluation:
    """Evaluate one ward (wijkraad) for one year: three levels, verdict per priority, herijk advice.

    Parameters
    ----------
    wijkraad
        Ward id (slug) or any spelling :func:`wijklib.geo.normalize` accepts.
    year
        Evaluation year; only data up to 31 December of that year are used.
    tables, panel, config
        As for :class:`Context` (ignored when ``context`` is given).
    context
        A shared :class:`Context` (batch runs: fits are made once).
    previous
        Last year's evaluation for the year-over-year comparison and herijk history: a
        :class:`WardEvaluation`, a path to its JSON, ``True`` (default: compute it, recursively for as many
        years as ``herijk.years`` needs) or ``False``/``None`` (no comparison).

    Returns
    -------
    WardEvaluation

    Examples
    --------
    >>> import warnings; warnings.simplefilter("ignore")
    >>> from wijklib.demo import simulate
    >>> ctx = Context(simulate(scale=0.02).tables, outcomes=["afval"])
    >>> ev = evaluate_ward("Tarwewijk", 2025, context=ctx, previous=False)
    >>> list(ev.to_frame().columns[:3])
    ['wijkraad_id', 'jaar', 'thema']
    """
    ctx = context if context is not None else Context(tables, panel, config=config)
    return _evaluate(ctx, ctx.check_ward(wijkraad), int(year), previous, depth=ctx.config.herijk["years"] - 1)


def _pretrend_downgrade(item: tuple[Any, ...], panel_y: pd.DataFrame, ward: str, year: int, starts: pd.Series,
                        cfg: Any, alpha: float) -> tuple[Any, ...]:
    """An effect verdict on either side becomes "onzeker" when its design fails its check before the start.

    The rule of ``verdict.pretrend_alpha`` (printed by :func:`wijklib.monitor.rules_text`): the same
    comparison over the months before the start (:func:`wijklib.monitor.design.pretrend_check`) with a
    p-value below the threshold means the wards drifted apart already, so the difference since the start
    cannot be read as an effect of ward-based enforcement.
    """
    r, res, measure, design, why, verdict, reason = item
    threshold = float(cfg.verdict["pretrend_alpha"])
    if threshold <= 0 or measure is None or measure.kind != "effect" or verdict not in (OP_KOERS, ONGUNSTIG):
        return item
    check = dsg.pretrend_check(panel_y, ward, res.key, year, starts, design, alpha, seed=cfg.seeds["randomisation"])
    if check is None or not check[0] < threshold:
        return item
    p, when = check
    reason = (f"{reason}, maar {when} liepen de wijk en de vergelijkingswijken al uiteen (p {_p_eq(p)}, "
              f"drempel {fmt_num(threshold, 2)}); het verschil na de start hoeft geen effect te zijn")
    return (r, res, measure, design, why, ONZEKER, reason)


def _noise_downgrade(item: tuple[Any, ...], panel_y: pd.DataFrame, ward: str, year: int, starts: pd.Series,
                     cfg: Any) -> tuple[Any, ...]:
    """An effect verdict on either side becomes "onzeker" when the treated wards were the noisy ones.

    The rule of ``verdict.noise_alpha``: :func:`wijklib.monitor.design.noise_selection_check` with a
    p-value below the threshold means the cohort (or ward) was noisier before the start than the
    comparison wards, so the randomisation comparison behind the verdict over-rejects (issue 10:
    ``benchmarks/results/noise_selection.md``).
    """
    r, res, measure, design, why, verdict, reason = item
    threshold = float(cfg.verdict["noise_alpha"])
    if threshold <= 0 or measure is None or measure.kind != "effect" or verdict not in (OP_KOERS, ONGUNSTIG):
        return item
    check = dsg.noise_selection_check(panel_y, ward, res.key, year, starts, design, seed=cfg.seeds["randomisation"])
    if check is None or not check.p_value < threshold:
        return item
    reason = (f"{reason}, maar {check.describe()}; de vergelijking is dan niet eerlijk en het verschil na de start "
              "hoeft geen effect te zijn")
    return (r, res, measure, design, why, ONZEKER, reason)


def _placebo_downgrade(item: tuple[Any, ...], ctx: Context, ward: str, year: int, cfg: Any) -> tuple[Any, ...]:
    """An effect verdict on either side becomes "onzeker" when the ward fails its own placebo check.

    The second half of the rule of ``verdict.pretrend_alpha`` (printed by :func:`wijklib.monitor.rules_text`):
    the ward's event study against the wards without ward-based enforcement, with every comparison ward
    in turn given the same start (:func:`wijklib.monitor.view.placebo_pretrend_check`). When the ward
    deviated more over the months before the start than the placebo wards (p below the threshold), the
    difference since the start cannot be read as an effect of ward-based enforcement, whatever the design
    behind the estimate (a start cohort's estimate included: it is the cohort's, the check is this ward's).
    The ward report prints the same check under its event-study chart.
    """
    from wijklib.monitor.view import placebo_pretrend_check

    r, res, measure, design, why, verdict, reason = item
    threshold = float(cfg.verdict["pretrend_alpha"])
    if (threshold <= 0 or measure is None or measure.kind != "effect" or verdict not in (OP_KOERS, ONGUNSTIG)
            or res.kind != "panel"):
        return item
    draws = ctx._memo(("placebo_draws",), dict)
    check = ctx._memo(("placebo_pretrend", ward, res.key, year),
                      lambda: placebo_pretrend_check(ctx.panel_upto(year), ward, res.key, year, draws=draws))
    if check is None or not check[0] < threshold:
        return item
    p, n_placebos, months = check
    reason = (f"{reason}, maar in de {count_noun(months, 'maand', 'maanden')} vóór de start week de wijk meer af "
              f"dan {'alle' if p <= 1 / (n_placebos + 1) + 1e-9 else 'bijna alle'} "
              f"{count_noun(n_placebos, 'vergelijkingswijk', 'vergelijkingswijken')} die voor de controle "
              f"dezelfde startdatum kregen (placebotoets, p {_p_eq(p)}, drempel {fmt_num(threshold, 2)}): de wijk "
              "en de vergelijkingswijken liepen toen al uiteen, dus het verschil na de start hoeft geen effect te zijn")
    return (r, res, measure, design, why, ONZEKER, reason)


def _evaluate(ctx: Context, ward: str, year: int, previous: Any, depth: int) -> WardEvaluation:
    """One ward's evaluation in named steps: level 1, levels 2 and 3, the previous evaluation, a verdict per
    priority, the corrections over the ward's priorities, themes with herijk advice, the comparison with
    last year."""
    key = ("eval", ward, year, depth if previous is True else id(previous))
    if key in ctx._cache:
        return ctx._cache[key][1]
    cfg = ctx.config
    alpha = cfg.verdict["alpha"]
    panel_y = ctx.panel_upto(year)
    if panel_y.empty or not (pd.to_datetime(panel_y["period"]).dt.year == year).any():
        raise ValueError(f"panel has no periods in {year} (evaluation year of {ward!r})")
    start = ctx.starts.get(ward, pd.NaT)
    start = None if pd.isna(start) else pd.Timestamp(start)
    wijken = ctx.wijken(ward)
    notes: list[str] = []

    level1, changes, base_year = _level1(ctx, ward, year, panel_y, start, wijken)
    level2 = compute_level2(ctx.tables.get("wijkprofiel"), ctx.tables.get("signalen"), ward, wijken, year, config=cfg,
                            city_survey=ctx.city_survey())
    level3 = compute_level3(ctx.tables.get("netwerk_overleggen"), ctx.tables.get("netwerk_samenwerking"), ward, year,
                            config=cfg)
    prev = _previous(ctx, ward, year, previous, depth, notes)

    # ---- priorities ------------------------------------------------------------------------------
    scorer = _PriorityScorer(ctx, ward, year, panel_y, start, wijken, level1.effects, changes, base_year)
    pending = [scorer.score(r) for r in priorities_of(ctx.tables.get("wijkakkoorden"), ward, year).itertuples()]
    pending = _holm_correction(pending, cfg)
    pending = [_pretrend_downgrade(x, panel_y, ward, year, ctx.starts, cfg, alpha) for x in pending]
    pending = [_noise_downgrade(x, panel_y, ward, year, ctx.starts, cfg) for x in pending]
    pending = [_placebo_downgrade(x, ctx, ward, year, cfg) for x in pending]
    prev_hist = _priority_history(prev)
    verdicts: list[PriorityVerdict] = []
    for r, res, measure, design, why, verdict, reason in pending:
        sentence = priority_sentence(
            r.thema, _label(res.kind, res.key, r.indicator), r.richting, measure, verdict, reason,
            start=f"{start:%Y-%m}" if start is not None and measure is not None and measure.kind == "effect" else None,
            alpha=alpha,
        )
        verdicts.append(PriorityVerdict(
            thema=r.thema, indicator=r.indicator, bron=r.bron, richting=r.richting, kind=res.kind, key=res.key,
            measure=measure, design=design, why=why, verdict=verdict, reason=reason, sentence=sentence,
            history=tuple(prev_hist.get((r.thema, r.indicator), ())),
        ))

    themes, herijk = _themes_and_herijk(verdicts, prev, year, cfg.herijk["years"])
    comparison = _comparison(verdicts, prev)
    if prev is None:
        notes.append("geen vorige evaluatie: geen vergelijking met vorig jaar")
    if not verdicts:
        notes.append(f"geen wijkakkoord-prioriteiten voor {year}")
    if any(v.verdict == ONVOLDOENDE for v in verdicts):
        notes.append("niet elke prioriteit is te beoordelen: zie de reden per indicator")

    ev = WardEvaluation(
        wijkraad_id=ward, wijkraad=ctx.ward_name(ward), year=year, level1=level1, level2=level2, level3=level3,
        priorities=tuple(verdicts), themes=tuple(themes), herijk=tuple(herijk), comparison=comparison,
        config=cfg.to_dict(), config_fingerprint=cfg.fingerprint, notes=tuple(notes),
    )
    ctx._cache[key] = (True, ev)
    return ev


def _level1(ctx: Context, ward: str, year: int, panel_y: pd.DataFrame, start: pd.Timestamp | None,
            wijken: Any) -> tuple[Level1, dict[Any, Measure], int]:
    """Level 1 of the evaluation (effects per outcome, trends, enforcement results, quality flags, focus
    areas, safety index), with the enforcement changes and the baseline year the priorities use."""
    cfg = ctx.config
    alpha = cfg.verdict["alpha"]
    outcomes = ctx.outcomes()
    effects = tuple(
        dsg.estimate_outcome(panel_y, ward, o, year, ctx.starts, config=cfg,
                             did_fit=lambda o_, y_=year: ctx.did(o_, y_))
        for o in outcomes
    )
    hh, ml = ctx.events("handhaving"), ctx.events("meldingen")
    first_hh = int(pd.to_datetime(hh["datum"]).dt.year.min()) if hh is not None and len(hh) else None
    base_year = _baseline_year(start, year, first_hh)
    changes = enforcement_change(hh, ml, ward, year, base_year, alpha=alpha)
    focus = focus_table(ctx.tables.get("focusgebieden"), wijken, year, ctx.tables.get("wijkprofiel"))
    vi, vi_notes = survey_table(ctx.tables.get("wijkprofiel"), wijken, year, deel="objectief", alpha=alpha,
                                city=ctx.city_survey(), index_sd=cfg.level2["index_sd"])
    level1 = Level1(
        year=year,
        trends=trend_table(panel_y, ward, year, outcomes + [a for a in _ACTIONS if f"n_{a}" in panel_y.columns],
                           start=start, k=cfg.design["comparable_k"], yearly=ctx.yearly),
        effects=effects,
        enforcement=enforcement_table(hh, ml, ward, year, since=base_year, alpha=alpha),
        enforcement_change=change_frame(changes),
        quality=quality_flags(panel_y, ward, year, outcomes, start=start, config=cfg, focus=focus, yearly=ctx.yearly,
                              boundary_changes=ctx.boundary_changes(ward, year)),
        focus=focus,
        veiligheidsindex=vi,
        notes=tuple([f"handhavingsresultaten: {year} t.o.v. {base_year}", *vi_notes]),
    )
    return level1, changes, base_year


def _previous(ctx: Context, ward: str, year: int, previous: Any, depth: int, notes: list[str]) -> WardEvaluation | None:
    """Last year's evaluation: computed (``previous=True``, ``depth`` years back at most) or read."""
    prev: WardEvaluation | None = None
    if previous is True:
        if depth > 0:
            try:
                prev = _evaluate(ctx, ward, year - 1, True, depth - 1)
            except ValueError as exc:
                notes.append(f"geen evaluatie van {year - 1}: {exc}")
    else:
        prev = _load_previous(previous)
        if prev is not None and (prev.wijkraad_id != ward or prev.year != year - 1):
            raise ValueError(
                f"previous evaluation is for {prev.wijkraad_id!r} {prev.year}; expected {ward!r} {year - 1}"
            )
    return prev


def _priority_history(prev: WardEvaluation | None) -> dict[tuple[str, str], tuple[dict[str, Any], ...]]:
    """Per (thema, indicator) the earlier years' verdicts and estimates, last year's appended."""
    prev_hist = {}
    if prev is not None:
        for p in prev.priorities:
            # Keep the last few years only: enough for herijk and the report, bounded JSON size.
            prev_hist[(p.thema, p.indicator)] = (*p.history[-(_HISTORY_YEARS - 1):], {
                "jaar": prev.year, "oordeel": p.verdict,
                "schatting": clean_value(p.measure.estimate) if p.measure else None,
                "conf_low": clean_value(p.measure.conf_low) if p.measure else None,
                "conf_high": clean_value(p.measure.conf_high) if p.measure else None,
            })
    return prev_hist


class _PriorityScorer:
    """Measure and first verdict of each wijkakkoord priority of one ward and year:
    ``score(row) -> (row, resolved, measure, design, why, verdict, reason)``."""

    def __init__(self, ctx: Context, ward: str, year: int, panel_y: pd.DataFrame, start: pd.Timestamp | None,
                 wijken: Any, effects: tuple[Any, ...], changes: dict[Any, Measure], base_year: int) -> None:
        self.ctx, self.ward, self.year, self.panel_y, self.start, self.wijken = ctx, ward, year, panel_y, start, wijken
        self.changes, self.base_year = changes, base_year
        wp = ctx.tables.get("wijkprofiel")
        self.wp = wp
        self.wp_inds = sorted(set(wp["indicator"].astype(str))) if wp is not None and len(wp) else []
        self.panel_outcomes = count_outcomes(ctx.panel)
        self.eff_by = {e.outcome: e for e in effects}
        self.survey_any: pd.DataFrame | None = None  # every part of the Wijkprofiel, computed when a priority needs it

    def score(self, r: Any) -> tuple[Any, ...]:
        ctx, cfg, ward, year, start = self.ctx, self.ctx.config, self.ward, self.year, self.start
        panel_y, base_year, alpha = self.panel_y, self.base_year, self.ctx.config.verdict["alpha"]
        res = resolve_indicator(r.indicator, r.bron, panel_outcomes=self.panel_outcomes,
                                wijkprofiel_indicators=self.wp_inds, crime_names=ctx.crime_names())
        absent = missing_source_reason(r.bron, delivered_sources(ctx.tables, ctx.panel))  # not delivered: say so
        if absent is not None:
            res = Resolved("onbekend", res.key, note=absent)
        insufficient: list[str] = []
        measure: Measure | None = None
        design, why = "geen", res.note
        if res.kind == "panel":
            eff = self.eff_by.get(res.key)
            if eff is None:
                eff = dsg.estimate_outcome(panel_y, ward, res.key, year, ctx.starts, config=cfg,
                                           did_fit=lambda o_, y_=year: ctx.did(o_, y_))
            measure, design, why = eff.measure, eff.design, eff.why
            s_ = dsg.ward_series(panel_y, ward, res.key)
            if measure is not None and measure.kind == "effect" and start is not None:
                n_ev, span = float(s_.loc[s_["period"] >= start, "y"].sum()), f"sinds de start ({fmt_month(start)})"
            else:
                n_ev, span = float(s_.loc[s_["period"].dt.year == year, "y"].sum()), f"in {year}"
            if n_ev < cfg.verdict["min_events"]:
                insufficient.append(f"{int(n_ev)} gebeurtenissen {span} (minimaal {cfg.verdict['min_events']})")
            if measure is not None:
                lo = (start - pd.DateOffset(months=12)) if measure.kind == "effect" and start is not None \
                    else pd.Timestamp(f"{base_year}-01-01")
                brk = platform_break_reason(panel_y, ward, res.key, lo, pd.Timestamp(f"{year}-12-01"),
                                            float(cfg.quality["max_platform_shift"]),
                                            relative=measure.kind == "effect" or bool(getattr(measure, "reference", None)))
                if brk is not None:
                    insufficient.append(brk)
        elif res.kind == "handhaving":
            measure = self.changes.get((res.key, res.thema))
            design = "ontwikkeling"
            why = f"{year} t.o.v. {base_year} ({'het jaar vóór de start' if start is not None and base_year == start.year - 1 else 'vorig jaar'})"
            if measure is not None and (measure.n or 0) < cfg.verdict["min_events"]:
                insufficient.append(f"{measure.n} waarnemingen in {year} (minimaal {cfg.verdict['min_events']})")
            if measure is None:
                insufficient.append(f"geen gegevens over {res.key} in {base_year} en {year}")
        elif res.kind == "wijkprofiel":
            if self.survey_any is None:
                self.survey_any, _ = survey_table(self.wp, self.wijken, year, deel=None, index=None, alpha=alpha,
                                                  city=ctx.city_survey(), index_sd=cfg.level2["index_sd"])
            measure, insufficient, why = _survey_measure(self.survey_any, res.key, alpha)
            design = "ontwikkeling"
            if measure is not None and measure.n is not None and measure.n < cfg.verdict["min_respondents"]:
                insufficient.append(f"{measure.n} respondenten (minimaal {cfg.verdict['min_respondents']})")
        else:
            insufficient.append(res.note)
        verdict, reason = judge(measure, r.richting, cfg, insufficient=insufficient)
        return (r, res, measure, design, why, verdict, reason)


def _holm_correction(pending: list[tuple[Any, ...]], cfg: MonitorConfig) -> list[tuple[Any, ...]]:
    """Multiplicity within the ward (``verdict.multiplicity: holm``): a verdict on either side stands only
    when its Holm-adjusted p-value over the ward's judged priorities is below alpha."""
    pending = list(pending)
    alpha = cfg.verdict["alpha"]
    judged = [i for i, x in enumerate(pending) if x[5] != ONVOLDOENDE]
    if cfg.verdict["multiplicity"] == "holm" and len(judged) > 1:
        raw = [measure_p_value(pending[i][2]) for i in judged]
        adj = holm(raw)
        for i, p_raw, p_adj in zip(judged, raw, adj, strict=True):
            r, res, measure, design, why, verdict, reason = pending[i]
            good, neutral, bad = vocabulary(measure)
            if verdict in (good, bad) and not (p_adj < alpha):
                reason = (f"{reason}, maar na correctie voor {len(judged)} beoordeelde prioriteiten van deze wijk "
                          f"(Holm) is dat niet aantoonbaar (p {_p_eq(p_raw)}, gecorrigeerd "
                          f"{fmt_p(p_adj)})")
                pending[i] = (r, res, measure, design, why, neutral, reason)
    return pending


def _themes_and_herijk(verdicts: list[PriorityVerdict], prev: WardEvaluation | None, year: int,
                       n_years: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The verdict per theme with its history, and herijk advice for themes without a desired development
    in ``n_years`` consecutive evaluation years."""
    themes, herijk = [], []
    prev_themes = {t["thema"]: t for t in prev.themes} if prev is not None else {}
    for thema in dict.fromkeys(v.thema for v in verdicts):
        vs = [v for v in verdicts if v.thema == thema]
        oordeel = combine_verdicts([v.verdict for v in vs])
        hist = list(prev_themes.get(thema, {}).get("geschiedenis", []))
        if thema in prev_themes:
            hist = [*hist, {"jaar": prev.year, "oordeel": prev_themes[thema]["oordeel"]}]
        hist = hist[-(n_years - 1):] if n_years > 1 else []
        window = [*hist, {"jaar": year, "oordeel": oordeel}]
        consecutive = [h["jaar"] for h in window] == list(range(year - len(window) + 1, year + 1))
        advice = herijk_advice([h["oordeel"] for h in window], n_years) if consecutive else None
        themes.append({"thema": thema, "oordeel": oordeel, "herijk": advice is not None, "indicatoren": len(vs),
                       "geschiedenis": hist, "indicators": [v.indicator for v in vs]})
        if advice is not None:
            evidence = "; ".join(
                [f"{h['jaar']}: {h['oordeel']}" for h in window[:-1]]
                + [f"{year}: " + ", ".join(_evidence(v) for v in vs)]
            )
            herijk.append({"thema": thema, "jaren": n_years, "bewijs": evidence, "advies": advice})
    return themes, herijk


def _comparison(verdicts: list[PriorityVerdict], prev: WardEvaluation | None) -> pd.DataFrame:
    """Year-over-year comparison: last year's and this year's verdict and estimate per priority."""
    comp_rows = []
    prev_by = {(p.thema, p.indicator): p for p in prev.priorities} if prev is not None else {}
    for v in verdicts:
        p = prev_by.get((v.thema, v.indicator))
        comp_rows.append({
            "thema": v.thema, "indicator": v.indicator,
            "oordeel_vorig": p.verdict if p else None, "oordeel": v.verdict,
            "schatting_vorig": (p.measure.estimate if p and p.measure else math.nan),
            "schatting": v.measure.estimate if v.measure else math.nan,
            "veranderd": bool(p is not None and p.verdict != v.verdict),
        })
    return pd.DataFrame(comp_rows, columns=["thema", "indicator", "oordeel_vorig", "oordeel", "schatting_vorig",
                                            "schatting", "veranderd"])


def evaluate_city(
    year: int,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    panel: pd.DataFrame | None = None,
    config: MonitorConfig | Mapping[str, Any] | str | Path | None = None,
    context: Context | None = None,
    wards: list[str] | None = None,
    previous_dir: str | Path | None = None,
) -> CityEvaluation:
    """Evaluate every ward (or ``wards``) for ``year``, sharing the city-wide fits.

    ``previous_dir`` holds last year's ``<wijkraad_id>_<year-1>.json`` files (from
    :meth:`CityEvaluation.to_json`); wards without one get last year computed. A ward that fails is
    listed in ``failures`` with its error; the others are still evaluated.

    Examples
    --------
    A small synthetic city, one outcome, two wards (a full run: ``evaluate_city(2025)`` on the demo data):

    >>> import warnings; warnings.simplefilter("ignore")
    >>> from wijklib.demo import simulate
    >>> ctx = Context(simulate(scale=0.02).tables, outcomes=["afval"])
    >>> city = evaluate_city(2025, context=ctx, wards=["tarwewijk", "pernis"])
    >>> city.headline()["n_wards"], city.headline()["n_failed"]
    (2, 0)

    ``city.to_json(folder)`` writes one JSON per ward; next year's run reads them with ``previous_dir``.
    """
    ctx = context if context is not None else Context(tables, panel, config=config)
    out: dict[str, WardEvaluation] = {}
    failures: dict[str, str] = {}
    for w in wards or ctx.wards():
        prev: Any = True
        if previous_dir is not None:
            f = Path(previous_dir) / f"{w}_{year - 1}.json"
            if f.is_file():
                prev = f
        try:
            out[w] = evaluate_ward(w, year, context=ctx, previous=prev)
        except Exception as exc:  # noqa: BLE001 - collect and go on with the other wards
            failures[w] = f"{type(exc).__name__}: {exc}"
    return CityEvaluation(year=int(year), wards=out, failures=failures, config_fingerprint=ctx.config.fingerprint)
