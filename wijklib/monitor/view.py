"""What a ward report shows besides the verdicts, computed by the monitor (the report only lays it out).

- :func:`ward_view` fits the ward's own event study (placebo-in-space inference, pre-trend test, power
  and relative-magnitude bounds) and its single-ward ITS on the outcome of the first priority measured in
  the panel: :class:`WardView`. :func:`honest_check` adds Rambachan & Roth's breakdown value
  (``wijklib.honest``, on quarterly averages of the event study) where the ward has enough quarters.
- Sources not delivered: :func:`not_delivered` says per monitoring level, in plain Dutch, which source was
  not delivered, and :func:`missing_source_reason` gives a wijkakkoord priority whose source is absent the
  reason for "onvoldoende gegevens".
- Placebo runs (data without a known intervention, a declared fictitious start): :func:`placebo_panel`
  makes one unit the only one starting then; :func:`placebo_summary` measures how often the monitor's
  estimates come out 'significant' over all units (about 5% when the tests are sized right).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: Dutch names of the sources, as a report states them.
SOURCE_NAMES: dict[str, str] = {
    "meldingen": "meldingen openbare ruimte", "handhaving": "handhavingsacties",
    "handhaving_uren": "handhavingsuren", "politie": "politiecijfers (geregistreerde misdrijven)",
    "wijkprofiel": "Wijkprofiel (enquête)", "focusgebieden": "(hyper)focusgebieden",
    "wijkakkoorden": "wijkakkoorden (prioriteiten)", "netwerk_overleggen": "netwerkoverleggen",
    "netwerk_samenwerking": "samenwerking met partners", "signalen": "signalen uit de wijk",
    "interventie": "start van wijkgericht handhaven per wijk",
}
#: Sources each monitoring level rests on (level 1 shows what any of them gives).
LEVEL_SOURCES: dict[str, tuple[str, ...]] = {
    "level1": ("meldingen", "handhaving", "handhaving_uren", "politie", "focusgebieden", "interventie"),
    "level2": ("wijkprofiel", "signalen"),
    "level3": ("netwerk_overleggen", "netwerk_samenwerking"),
    "akkoord": ("wijkakkoorden",),
}
#: The ``bron`` of a wijkakkoord indicator -> the sources that measure it.
PRIORITY_SOURCES: dict[str, tuple[str, ...]] = {
    "meldingen": ("meldingen",), "handhaving": ("handhaving",), "politie": ("politie",),
    "wijkprofiel": ("wijkprofiel",), "veiligheidsindex": ("wijkprofiel",),
}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " en " + items[-1]


def not_delivered(delivered: Iterable[str]) -> dict[str, str]:
    """Per monitoring level whose sources are (partly) absent, a Dutch sentence naming them.

    A level with none of its sources delivered says so and that it is left out; a level missing only
    some sources names those.

    Examples
    --------
    >>> t = not_delivered(["politie"])
    >>> t["level2"]
    'Niet geleverd: Wijkprofiel (enquête) en signalen uit de wijk. Dit niveau kan daarom niet worden beschreven.'
    >>> "level1" in t, t["level1"].startswith("Niet geleverd: meldingen openbare ruimte")
    (True, True)
    """
    have = set(delivered)
    out = {}
    for level, sources in LEVEL_SOURCES.items():
        absent = [s for s in sources if s not in have]
        if not absent:
            continue
        text = "Niet geleverd: " + _and([SOURCE_NAMES[s] for s in absent]) + "."
        if len(absent) == len(sources):
            text += " Dit niveau kan daarom niet worden beschreven."
        elif level == "level1":
            text += " Dit niveau toont alleen wat de geleverde bronnen geven."
        out[level] = text
    return out


#: Panel columns that show a panel source was delivered even when its table is not passed.
_PANEL_MARKERS = {"meldingen": "n_meldingen", "handhaving": "n_controles", "handhaving_uren": "uren",
                  "politie": "n_misdrijven"}


def delivered_sources(tables: Mapping[str, Any], panel: pd.DataFrame | None = None) -> set[str]:
    """Sources present as tables, plus panel sources whose columns are in ``panel``.

    Examples
    --------
    >>> sorted(delivered_sources({"wijkakkoorden": None}, pd.DataFrame(columns=["unit", "n_misdrijven"])))
    ['politie', 'wijkakkoorden']
    """
    out = set(tables)
    if panel is not None:
        out |= {s for s, col in _PANEL_MARKERS.items() if col in panel.columns}
    return out


def missing_source_reason(bron: str, delivered: Iterable[str]) -> str | None:
    """Reason for "onvoldoende gegevens" when the source of a wijkakkoord indicator was not delivered.

    Examples
    --------
    >>> missing_source_reason("wijkprofiel", ["meldingen", "politie"])
    'bron Wijkprofiel (enquête) is niet geleverd'
    >>> missing_source_reason("meldingen", ["meldingen"]) is None
    True
    """
    need = PRIORITY_SOURCES.get(" ".join(str(bron).strip().lower().split()))
    have = set(delivered)
    if need is None:
        return None
    absent = [s for s in need if s not in have]
    return None if not absent else "bron " + _and([SOURCE_NAMES[s] for s in absent]) + " is niet geleverd"


# ------------------------------------------------------------------------------------- placebo runs
def placebo_panel(panel: pd.DataFrame, ward: str, start: Any) -> pd.DataFrame:
    """The panel with ``ward`` as the only unit starting at ``start`` (a fictitious start; others never).

    Replaces ``treated``, ``first_treated``, ``gname`` and ``rel_time`` (a new frame).

    Examples
    --------
    >>> p = pd.DataFrame({"unit": ["a", "a", "b", "b"], "t": [1, 2, 1, 2],
    ...                   "period": pd.to_datetime(["2015-01-01", "2015-02-01"] * 2)})
    >>> placebo_panel(p, "a", "2015-02")[["unit", "treated", "gname"]].values.tolist()
    [['a', 0, 2], ['a', 1, 2], ['b', 0, 0], ['b', 0, 0]]
    """
    out = panel.copy()
    t0 = pd.Timestamp(str(start))
    period = pd.to_datetime(out["period"])
    me = out["unit"].astype(str) == str(ward)
    if not (me & (period == t0)).any():
        raise ValueError(f"placebo start {t0:%Y-%m} is not a period of unit {ward!r} in the panel "
                         f"({period.min():%Y-%m} to {period.max():%Y-%m})")
    out["first_treated"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]").where(~me, t0)
    out["treated"] = (me & (period >= t0)).astype("int64")
    t_start = int(out.loc[me & (period == t0), "t"].iloc[0])
    out["gname"] = np.where(me, t_start, 0).astype("int64")
    out["rel_time"] = np.where(me, out["t"] - t_start, np.nan)
    return out


def significant_share(p_values: Iterable[float], alpha: float = 0.05) -> dict[str, float]:
    """Share of p-values below ``alpha`` with a Wilson 95% interval (is it compatible with ``alpha``?).

    Examples
    --------
    >>> significant_share([0.01] + [0.5] * 19)["aandeel"]
    0.05
    """
    from scipy import stats

    p = np.asarray([x for x in p_values if x is not None and math.isfinite(float(x))], dtype=float)
    n, k = int(p.size), int((p < alpha).sum())
    share = k / n if n else float("nan")
    if n:
        z = float(stats.norm.ppf(0.975))
        centre = (share + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    else:
        lo = hi = float("nan")
    return {"n_tests": n, "n_significant": k, "aandeel": round(share, 4), "ci_low": round(lo, 4),
            "ci_high": round(hi, 4)}


def placebo_summary(evaluations: Mapping[str, Any], start: Any, alpha: float = 0.05) -> dict[str, Any]:
    """How often the monitor's effect estimates are 'significant' at a fictitious start, over all units.

    ``evaluations``: unit -> :class:`~wijklib.monitor.WardEvaluation` of a placebo run (each unit the only
    one starting at ``start``). Counts the effect estimates (kind ``effect``) with a p-value, over all
    units and outcomes: the total (``misdrijven``/``meldingen``) and the separate types.
    """
    rows = []
    for w, ev in evaluations.items():
        eff = ev.to_frame("effects")
        if eff.empty or "p_value" not in eff:
            continue
        eff = eff[pd.to_numeric(eff["p_value"], errors="coerce").notna()]
        rows += [{"unit": w, "uitkomst": u, "p_value": float(p)} for u, p in zip(eff["uitkomst"], eff["p_value"],
                                                                                    strict=True)]
    d = pd.DataFrame(rows, columns=["unit", "uitkomst", "p_value"])
    totals = d["uitkomst"].isin(["misdrijven", "meldingen"])
    per_unit = d[totals].drop_duplicates("unit")
    return {
        "start": f"{pd.Timestamp(str(start)):%Y-%m}", "alpha": alpha, "n_units": len(evaluations),
        "alle_uitkomsten": significant_share(d["p_value"], alpha),
        "soorten": significant_share(d.loc[~totals, "p_value"], alpha),
        "totaal": significant_share(per_unit["p_value"], alpha),
        "significant_units": sorted(per_unit.loc[per_unit["p_value"] < alpha, "unit"].astype(str)),
    }


def placebo_statement(summary: Mapping[str, Any], ward: str | None = None) -> str:
    """The Dutch placebo statement of a report (from :func:`placebo_summary`).

    Examples
    --------
    >>> s = {"start": "2015-01", "alpha": 0.05, "n_units": 37, "significant_units": ["a"],
    ...      "alle_uitkomsten": {"n_tests": 400, "n_significant": 24, "aandeel": 0.06, "ci_low": 0.04, "ci_high": 0.09},
    ...      "totaal": {"n_tests": 37, "n_significant": 1, "aandeel": 0.027, "ci_low": 0.005, "ci_high": 0.14}}
    >>> placebo_statement(s, "a")[:60]
    'In deze gegevens is geen echte interventie bekend. Elke wijk'
    """
    start = pd.Timestamp(summary["start"])
    maanden = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
               "oktober", "november", "december"]
    a, t = summary["alle_uitkomsten"], summary["totaal"]

    def pct(x: float) -> str:
        return "–" if x is None or not math.isfinite(float(x)) else f"{100 * float(x):.1f}%".replace(".", ",")

    text = (f"In deze gegevens is geen echte interventie bekend. Elke wijk is op haar beurt geëvalueerd alsof "
            f"wijkgericht handhaven er in {maanden[start.month - 1]} {start.year} begon (een verzonnen start), "
            f"met de andere {summary['n_units'] - 1} wijken als vergelijking: elk 'effect' is dus een vals alarm "
            "of toeval. ")
    if t["n_tests"]:
        text += (f"Over alle {summary['n_units']} wijken is het geschatte effect op het totaal in "
                 f"{t['n_significant']} van de {t['n_tests']} wijken 'significant' op 5%-niveau ({pct(t['aandeel'])}); ")
    if a["n_tests"]:
        text += (f"over alle {a['n_tests']} combinaties van wijk en uitkomst {pct(a['aandeel'])} (95%-interval "
                 f"{pct(a['ci_low'])} tot {pct(a['ci_high'])}). Bij juist afgestelde toetsen is dat ongeveer 5%"
                 + ("; het hele interval ligt erboven, dus lees een enkel significant resultaat voorzichtig."
                    if a["ci_low"] > summary.get("alpha", 0.05) else "."))
    if ward is not None and ward in set(summary.get("significant_units", [])):
        text += " Deze wijk hoort bij de wijken met een 'significant' placebo-effect op het totaal: een vals alarm."
    return text


# ------------------------------------------------------------------------------------- the ward view
@dataclass(frozen=True, eq=False)
class WardView:
    """The ward's own estimates that a report shows next to the verdicts (all ``None`` when not fitted).

    ``scale`` says what the event study measures: ``"per 1.000 inwoners"`` (population known) or
    ``"log(1 + aantal)"`` (no population: wards differ in size, so a common additive trend in counts is
    not plausible). ``notes`` hold why a piece could not be fitted (Dutch, for the report).
    """

    ward: str
    year: int
    outcome: str | None
    start: pd.Timestamp | None
    event_study: Any = None
    pretest: Any = None
    power: Any = None
    bounds: Any = None
    honest: Any = None
    its: Any = None
    its_error: str | None = None
    event_study_error: str | None = None
    scale: str = "per 1.000 inwoners"
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def power_text(self) -> str:
        if self.power is None:
            return self.notes.get("power", "")
        unit = "per 1.000 inwoners" if self.scale == "per 1.000 inwoners" else "op de log-schaal"
        return self.power.sentence(unit=unit, period="maand")

    @property
    def bounds_text(self) -> str:
        return self.bounds.sentence() if self.bounds is not None else self.notes.get("bounds", "")


#: Placebo event studies per (key, year, outcome, start): they depend only on the comparison wards and the
#: start, so the wards of one cohort share them within a process (a batch kernel serves many wards).
_PLACEBO_DRAWS: dict[tuple[Any, ...], pd.DataFrame] = {}


def main_outcome(evaluation: Any, panel: pd.DataFrame) -> str | None:
    """Panel outcome of the first priority measured in the panel; without any wijkakkoord priority the
    total of the first delivered event source (``misdrijven``, ``meldingen``), so a police-only report
    still shows its ward's own estimates."""
    for p in evaluation.priorities:
        if p.kind == "panel" and f"n_{p.key}" in panel.columns:
            return p.key
    if not evaluation.priorities:
        for o in ("misdrijven", "meldingen"):
            if f"n_{o}" in panel.columns:
                return o
    return None


def ward_view(evaluation: Any, panel: pd.DataFrame, *, cache_key: Any = None, alpha: float = 0.05) -> WardView:
    """Fit what the ward report shows besides the verdicts, for the ward and year of ``evaluation``.

    Parameters
    ----------
    evaluation
        The ward's :class:`~wijklib.monitor.WardEvaluation` (for its priorities, ward and year).
    panel
        The unit x month panel the evaluation was computed on.
    cache_key
        Identifies the batch (e.g. its cache folder) for sharing placebo draws between wards of a cohort.
    """
    from wijklib import diagnostics
    from wijklib.did import placebo
    from wijklib.monitor import design

    ward, year = evaluation.wijkraad_id, int(evaluation.year)
    starts_all = design.treatment_starts(panel)
    st = starts_all.get(ward, pd.NaT)
    start = None if pd.isna(st) else pd.Timestamp(st)
    o = main_outcome(evaluation, panel)
    kw_view: dict[str, Any] = dict(ward=ward, year=year, outcome=o, start=start)
    if o is None or start is None:
        return WardView(**kw_view)
    p = design.upto(panel, year)
    starts = design.treatment_starts(p)
    # A geography without population gives the models a constant exposure (`population_known` False):
    # then the event study runs on log(1 + count), never on invented rates per 1,000 residents.
    known_pop = _known_population(p)
    its_res, its_err = None, None
    try:  # the monitor's single-ward model: step change, against the untreated wards when there are any
        its_res = design.its_view(p, ward, o, year, starts, alpha)
    except ValueError as exc:
        its_err = str(exc)
    es, es_err = None, None
    try:
        es = _event_study(p, ward, o, year, start, starts, known_pop, cache_key)
    except ValueError as exc:
        es_err = str(exc)
    pre = power = bounds = None
    notes: dict[str, str] = {}
    if es is not None:
        pre = placebo.pretest(es)
        for name, fn in (("power", diagnostics.pretrend_power), ("bounds", diagnostics.honest_rm_bounds)):
            try:  # numbers from wijklib.diagnostics on this ward's event study
                val = fn(es)
            except (ValueError, np.linalg.LinAlgError) as exc:
                notes[name] = f"({fn.__name__}: niet te berekenen: {exc})"
                val = None
            if name == "power":
                power = val
            else:
                bounds = val
    honest = honest_check(es, alpha=alpha) if es is not None else None
    return WardView(**kw_view, event_study=es, pretest=pre, power=power, bounds=bounds, honest=honest, its=its_res,
                    its_error=its_err, event_study_error=es_err,
                    scale="per 1.000 inwoners" if known_pop else "log(1 + aantal)", notes=notes)


#: Quarters of event time (months) for the sensitivity analysis: the reference quarter holds month -1.
HONEST_REF_QUARTER = (-3, -1)
HONEST_PRE_QUARTERS = ((-6, -4), (-9, -7), (-12, -10))   # nearest to the start first
HONEST_POST_QUARTERS = ((0, 2), (3, 5), (6, 8), (9, 11))
#: Relative magnitudes M-bar tried; the breakdown value is read off this grid.
HONEST_GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


@dataclass(frozen=True)
class HonestCheck:
    """Rambachan & Roth (2023) sensitivity of a ward's average post-start effect, by quarter.

    ``result`` is the :class:`wijklib.honest.SensitivityResult` (relative magnitudes, C-LF) for the
    average of the post quarters, or ``None`` with ``reason`` (Dutch, for the report) when it cannot be
    computed honestly. ``breakdown`` is the smallest M-bar of :data:`HONEST_GRID` whose robust interval
    contains zero (``inf`` when none does); ``below`` the grid value before it (the largest tried at which
    the effect still stands). ``significant`` says whether the interval under exact parallel trends
    excludes zero; ``direction`` is ``-1``/``+1`` for a decrease/increase.
    """

    result: Any = None
    reason: str | None = None
    n_pre: int = 0
    n_post: int = 0
    significant: bool = False
    direction: int = 0
    breakdown: float = math.nan
    below: float = math.nan


def honest_check(es: Any, *, alpha: float = 0.05, grid: Iterable[float] = HONEST_GRID) -> HonestCheck:
    """Sensitivity of the ward's event study to parallel-trend violations, as a council can read it.

    The monthly event study has eleven pre-start coefficients, too many for the relative-magnitudes test
    (its cost grows steeply with them; see docs/methods/honestdid.md). The months are therefore averaged
    into quarters, relative to the quarter before the start (months -3..-1): a linear map ``A`` of the
    coefficients, with covariance ``A V A'`` from the event study's own (placebo) covariance ``V``. The
    restriction then reads: after the start, the trend difference changes from one quarter to the next by
    at most M-bar times the largest such change between the pre-start quarters. The target is the average
    of the post quarters. Computed only with at least two complete pre-start quarters and one complete
    post-start quarter (every month estimated, with a finite standard error).
    """
    from wijklib import honest

    t = es.table.set_index(es.table["event_time"].astype(int))
    ok = t["std_error"].notna() & np.isfinite(t["std_error"].astype(float))
    ok &= (t["std_error"] > 0) | (t.index == -1)

    def complete(q: tuple[int, int]) -> bool:
        return all(e in ok.index and ok[e] for e in range(q[0], q[1] + 1) if e != -1) and (
            q != HONEST_REF_QUARTER or -1 in t.index)

    if not complete(HONEST_REF_QUARTER):
        return HonestCheck(reason="het kwartaal vóór de start is niet volledig geschat")
    pre: list[tuple[int, int]] = []
    for q in HONEST_PRE_QUARTERS:
        if not complete(q):
            break
        pre.append(q)
    post: list[tuple[int, int]] = []
    for q in HONEST_POST_QUARTERS:
        if not complete(q):
            break
        post.append(q)
    if len(pre) < 2:
        return HonestCheck(reason="er zijn minder dan twee volledige kwartalen vóór de start", n_pre=len(pre))
    if not post:
        return HonestCheck(reason="er is nog geen volledig kwartaal na de start", n_pre=len(pre))
    pre = pre[::-1]  # chronological: the earliest quarter first
    months = [e for q in (*pre, HONEST_REF_QUARTER, *post) for e in range(q[0], q[1] + 1)]
    lab = {e: str(e) for e in months}
    b = np.array([0.0 if e == -1 else float(t.loc[e, "estimate"]) for e in months])
    V = np.zeros((len(months), len(months)))
    have = [i for i, e in enumerate(months) if e != -1]
    vl = [lab[months[i]] for i in have]
    if not set(vl) <= set(es.vcov.index):
        return HonestCheck(reason="de onzekerheid per maand ontbreekt", n_pre=len(pre), n_post=len(post))
    V[np.ix_(have, have)] = es.vcov.loc[vl, vl].to_numpy(dtype=float)
    if not np.isfinite(V).all():
        return HonestCheck(reason="de onzekerheid per maand ontbreekt", n_pre=len(pre), n_post=len(post))
    ref_cols = [i for i, e in enumerate(months) if HONEST_REF_QUARTER[0] <= e <= HONEST_REF_QUARTER[1]]
    A = []
    for q in (*pre, *post):
        row = np.zeros(len(months))
        row[[i for i, e in enumerate(months) if q[0] <= e <= q[1]]] += 1 / 3
        row[ref_cols] -= 1 / len(ref_cols)
        A.append(row)
    A = np.array(A)
    beta, sigma = A @ b, A @ V @ A.T
    grid = sorted(float(m) for m in grid)
    sigma = (sigma + sigma.T) / 2
    l_vec = np.full(len(post), 1 / len(post))
    try:
        # Not significant under exact parallel trends: no breakdown value to look for, and the sentence
        # says so; one Mbar instead of the grid saves most of the ARP cost (about 1 s per ward report).
        o_lo, o_hi = honest.original_cs(beta, sigma, n_pre=len(pre), n_post=len(post), l_vec=l_vec, alpha=alpha)
        if not (o_lo > 0 or o_hi < 0):
            grid = grid[:1]
        res = honest.sensitivity_rm(beta, sigma, n_pre=len(pre), n_post=len(post), mbar=grid,
                                    l_vec=l_vec, alpha=alpha)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return HonestCheck(reason=f"de berekening lukte niet ({exc})", n_pre=len(pre), n_post=len(post))
    lo, hi = res.original
    significant = bool(lo > 0 or hi < 0)
    bd = res.breakdown
    bd = math.inf if not math.isfinite(bd) else bd
    below = max((m for m in grid if m < bd), default=math.nan)
    return HonestCheck(result=res, n_pre=len(pre), n_post=len(post), significant=significant,
                       direction=int(np.sign(lo + hi)), breakdown=bd, below=below)


def _known_population(p: pd.DataFrame) -> bool:
    """Does the panel carry residents (rates per 1,000), or only a constant exposure (log counts)?"""
    return bool(pd.to_numeric(p["population"], errors="coerce").notna().any()) and not (
        "population_known" in p.columns and not p["population_known"].astype(bool).any())


def placebo_pretrend_check(panel_y: pd.DataFrame, ward: str, outcome: str, year: int, *,
                           draws: dict[tuple[Any, ...], pd.DataFrame] | None = None) -> tuple[float, int, int] | None:
    """The ward's own placebo check before the start: the pre-trend test of its event study.

    The ward's months around the start (12 before, 12 after) are compared with the wards without
    ward-based enforcement (an event study); each comparison ward in turn gets the same start (a
    placebo), and the ward's deviation over the months before the start is ranked among the placebos'
    (:func:`wijklib.did.placebo.pretest`). It is the check the ward report prints under its event-study
    chart, so the verdict rule (:func:`wijklib.monitor.evaluation._placebo_downgrade`) and the report
    read the same number.

    ``panel_y`` is the panel up to the evaluation year (:func:`wijklib.monitor.design.upto`); ``draws``
    a store for the placebo fits (they depend only on the comparison wards and the start, so the wards of
    one cohort share them). Returns ``(p_value, n_placebos, n_months_before)``, or ``None`` when the ward
    has not started by the end of ``year``, or has too few comparison wards or months for the check.
    """
    from wijklib.did import placebo
    from wijklib.monitor import design

    starts = design.treatment_starts(panel_y)
    st = starts.get(ward, pd.NaT)
    if pd.isna(st) or pd.Timestamp(st) > design.year_end(year) or f"n_{outcome}" not in panel_y.columns:
        return None
    try:
        es = _event_study(panel_y, ward, outcome, year, pd.Timestamp(st), starts, _known_population(panel_y),
                          None, draws=draws if draws is not None else {})
    except ValueError:
        return None
    if es is None:
        return None
    pre = placebo.pretest(es)
    if pre is None or not math.isfinite(float(pre.p_value)):
        return None
    return float(pre.p_value), int(es.method.get("n_placebos") or 0), int(pre.df)


def _event_study(p: pd.DataFrame, ward: str, o: str, year: int, start: pd.Timestamp, starts: pd.Series,
                 known_pop: bool, cache_key: Any, *, draws: dict[tuple[Any, ...], pd.DataFrame] | None = None) -> Any:
    from wijklib import did
    from wijklib.did import placebo
    from wijklib.monitor import design

    keep = [u for u, s in starts.items() if u == ward or pd.isna(s) or s > design.year_end(year)]
    d = p.loc[p["unit"].isin(keep), ["unit", "period", f"n_{o}", "population"]].copy()
    n = pd.to_numeric(d[f"n_{o}"], errors="coerce")
    d["rate"] = 1000 * n / d["population"] if known_pop else np.log1p(n.astype(float))
    d["g"] = pd.Series(pd.NaT, index=d.index, dtype="datetime64[ns]")
    d.loc[d["unit"] == ward, "g"] = start
    d = d.dropna(subset=["rate"])
    if d["unit"].nunique() < 3:
        return None
    # One treated ward: clustered SEs would be far too small, so the intervals come from placebo
    # event studies of the comparison wards (wijklib.did.placebo).
    kw = dict(yname="rate", tname="period", idname="unit", gname="g", window=(-12, 12))
    # The draws depend on the comparison wards (not on the treated one): the key names them.
    key = (str(cache_key), year, o, pd.Timestamp(start), known_pop, tuple(sorted(u for u in keep if u != ward)))
    store = _PLACEBO_DRAWS if draws is None else draws
    if key not in store:
        store[key] = placebo.placebo_draws(d, start=start, **kw)
    return placebo.with_placebo_inference(did.event_study(d, **kw), store[key])
