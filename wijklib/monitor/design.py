"""Effect of ward-based enforcement on one outcome in one ward: choose the design the data support.

The choice, in order (thresholds in ``config/monitor.yaml``, section ``design``/``verdict``):

1. The ward has no ward-based enforcement by the end of the evaluation year: no effect can be estimated;
   the measure is the **development** (this year vs last year, exact Poisson rate ratio), marked as such.
2. Fewer than ``min_pre_periods`` months before or ``min_post_periods`` months after the start: no
   estimate ("geen").
2b. The ward's treatment **switched off or changed intensity** (:func:`treatment_path_change`, on
   ``treatment_level`` when the panel has it, else ``treated``): the designs below assume treatment
   stays on at one level once started, so **de Chaisemartin-D'Haultfœuille** (:func:`wijklib.did.dcdh`)
   on the city's monthly rates per 1,000 residents; the measure is the average total effect per unit
   of treatment over all wards whose treatment changed, and ``why`` says so.
3. **Staggered DiD** when the ward's roll-out cohort holds at least ``min_cohort_did`` wards, at least
   ``min_controls_did`` wards are untreated at its start and at least ``min_treated_did`` wards are
   treated in the city (fewer treated clusters give no valid interval): Wooldridge's (2023) extended TWFE Poisson on
   the monthly counts with log(population) offset, fitted ONCE per outcome and year for the whole city
   (:class:`wijklib.monitor.Context` caches it). The ward's effect is its **cohort's group aggregate**
   (rate ratio, cohort wards weighted equally over their post-start months): with a homogeneous roll-out
   that is the ward's effect; with heterogeneous wards in one cohort it is their average, as the design
   cannot separate wards that started on the same day against the same controls. Inference ``auto`` of
   :func:`wijklib.did.poisson` (wild cluster bootstrap with few treated or control wards); when that
   gives no interval the ward falls through to the single-ward design.
4. **Single ward** (cohort of one, or too few wards for a DiD): a controlled interrupted time series
   against the pooled wards untreated during the whole window (quasi-Poisson, population offset, step
   model: the level change is the average shift since the start; Newey-West intervals over time, which
   stay valid with one treated unit because they rely on the number of months, not of wards); or a
   synthetic control when ``single_ward: synth`` and its interval is available.
5. **Plain ITS** (no comparison ward at all): last resort, said so in ``why``.

When a design fails (an estimator raises), the next one is tried and the failure is recorded in
``notes``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wijklib.monitor.settings import MonitorConfig, load_config
from wijklib.monitor.stats import poisson_rate_ratio
from wijklib.monitor.verdict import Measure, count_noun, fmt_month

DESIGN_LABELS = {
    "did": "gespreide difference-in-differences (Poisson, Wooldridge 2023), effect van het startcohort",
    "its_controlled": "onderbroken tijdreeks met controlereeks (niet-behandelde wijken)",
    "synth": "synthetische controle",
    "dcdh": ("difference-in-differences voor inzet die stopt of van intensiteit verandert "
             "(de Chaisemartin-D'Haultfoeuille 2024), gemiddeld totaal effect per eenheid inzet"),
    "its": "onderbroken tijdreeks zonder controlegroep",
    "placebo": "voor/na-verschil tegen de wijken zonder wijkgericht handhaven, placebo-inferentie",
    "ontwikkeling": "ontwikkeling ten opzichte van vorig jaar (geen effectschatting)",
    "geen": "geen schatting mogelijk",
}
#: What a reader of a report is told, in plain Dutch (the technical names above are for the method
#: section and its glossary).
PLAIN_LABELS = {
    "did": "vergelijking met wijken zonder wijkgericht handhaven, vóór en na de start",
    "its_controlled": "vergelijking van de eigen reeks vóór en na de start, naast wijken zonder wijkgericht handhaven",
    "synth": "vergelijking met een gewogen mix van wijken zonder wijkgericht handhaven",
    "its": "vergelijking van de eigen reeks vóór en na de start (zonder vergelijkingswijken)",
    "placebo": "vergelijking met wijken zonder wijkgericht handhaven, vóór en na de start",
    "dcdh": ("vergelijking van de maanden waarin de inzet veranderde (gestart, gestopt, meer of minder uren) met "
             "wijken waar de inzet toen gelijk bleef"),
    "ontwikkeling": "ontwikkeling ten opzichte van vorig jaar (geen effectmeting)",
    "geen": "geen schatting mogelijk",
}


@dataclass(frozen=True)
class OutcomeEffect:
    """The estimate for one outcome in one ward, with the design and why it was chosen."""

    outcome: str
    design: str
    why: str
    measure: Measure | None
    start: str | None = None
    n_pre: int = 0
    n_post: int = 0
    n_controls: int = 0
    cohort_size: int = 0
    inference: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def design_label(self) -> str:
        """The design in plain Dutch, as the report's running text names it."""
        return PLAIN_LABELS.get(self.design, self.design)

    @property
    def technical_label(self) -> str:
        """The design's technical name, for the method section."""
        return DESIGN_LABELS.get(self.design, self.design)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["measure"] = self.measure.to_dict() if self.measure is not None else None
        d["notes"] = list(self.notes)
        d["design_label"] = self.design_label
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OutcomeEffect:
        keys = set(cls.__dataclass_fields__)
        kw = {k: v for k, v in d.items() if k in keys}
        kw["measure"] = Measure.from_dict(d.get("measure"))
        kw["notes"] = tuple(d.get("notes", ()))
        return cls(**kw)

    def to_row(self) -> dict[str, Any]:
        m = self.measure.to_dict() if self.measure is not None else {}
        return {
            "uitkomst": self.outcome,
            "ontwerp": self.design,
            "methode": self.design_label,
            "methode_technisch": self.technical_label,
            "start": self.start,
            "schatting": m.get("estimate", math.nan),
            "conf_low": m.get("conf_low", math.nan),
            "conf_high": m.get("conf_high", math.nan),
            "schaal": m.get("scale"),
            "rel_verschil": m.get("relative_estimate", math.nan),
            "p_value": m.get("p_value", math.nan),
            "maanden_voor": self.n_pre,
            "maanden_na": self.n_post,
            "vergelijkingswijken": self.n_controls,
            "cohortgrootte": self.cohort_size,
            "inferentie": self.inference,
            "waarom": self.why,
        }


# --------------------------------------------------------------------------------------------
# panel helpers
# --------------------------------------------------------------------------------------------
def year_end(year: int) -> pd.Timestamp:
    return pd.Timestamp(f"{year}-12-31")


def treatment_starts(panel: pd.DataFrame) -> pd.Series:
    """First treated period per unit (Timestamp; NaT = never), from ``first_treated`` (or ``gname``).

    Accepts datetime columns and the "0 = never" convention of R ``did``.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": ["a", "a", "b"], "first_treated": pd.to_datetime(["2021-03-01"] * 2 + [None])})
    >>> treatment_starts(p).isna().tolist()
    [False, True]
    """
    col = "first_treated" if "first_treated" in panel.columns else "gname"
    if col not in panel.columns:
        raise ValueError("panel: expected a column 'first_treated' (or 'gname') with each unit's start period")
    s = panel.groupby("unit", sort=True)[col].first()
    if pd.api.types.is_datetime64_any_dtype(s):
        return pd.to_datetime(s)
    if pd.api.types.is_numeric_dtype(s):
        # 0 = never treated (R did); otherwise not interpretable as a date here.
        if (s.fillna(0) == 0).all():
            return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
        raise ValueError(
            f"panel: column {col!r} is numeric ({s[s.fillna(0) != 0].iloc[0]!r}); expected dates of the first "
            "treated month (NaT or 0 = never treated)"
        )
    out = pd.to_datetime(s.where(~s.isin(["0", "", 0]), None), errors="coerce")
    return out


def upto(panel: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows up to the end of ``year``: an evaluation of year Y uses only what was known after Y."""
    return panel.loc[pd.to_datetime(panel["period"]) <= year_end(year)]


def ward_series(panel: pd.DataFrame, ward: str, outcome: str) -> pd.DataFrame:
    """One ward's monthly counts and population: columns ``period, y, population`` (sorted)."""
    sub = panel.loc[panel["unit"] == ward]
    return pd.DataFrame(
        {
            "period": pd.to_datetime(sub["period"]).to_numpy(),
            "y": pd.to_numeric(sub[f"n_{outcome}"], errors="coerce").to_numpy(dtype=float),
            "population": pd.to_numeric(sub["population"], errors="coerce").to_numpy(dtype=float),
        }
    ).sort_values("period", ignore_index=True)


def pooled_series(panel: pd.DataFrame, wards: list[str], outcome: str) -> pd.DataFrame:
    """Summed counts and population of several wards per period (months where any ward misses are dropped)."""
    sub = panel.loc[panel["unit"].isin(wards)]
    d = pd.DataFrame(
        {
            "period": pd.to_datetime(sub["period"]).to_numpy(),
            "y": pd.to_numeric(sub[f"n_{outcome}"], errors="coerce").to_numpy(dtype=float),
            "population": pd.to_numeric(sub["population"], errors="coerce").to_numpy(dtype=float),
        }
    )
    g = d.groupby("period", sort=True).agg(y=("y", lambda v: v.sum(min_count=len(v))), population=("population", "sum"),
                                          n=("y", "size"))
    g = g.loc[g["n"] == len(wards)].drop(columns="n")
    return g.reset_index()


def development(panel: pd.DataFrame, ward: str, outcome: str, year: int, alpha: float = 0.05) -> Measure | None:
    """This year vs last year as a rate ratio (events per resident-month) with its exact interval.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": "a", "period": pd.date_range("2023-01-01", periods=24, freq="MS"),
    ...                   "n_afval": [10.0] * 12 + [8.0] * 12, "population": 1000.0})
    >>> round(development(p, "a", "afval", 2024).estimate, 2)
    0.8
    """
    s = ward_series(panel, ward, outcome)
    s = s.loc[np.isfinite(s["y"]) & np.isfinite(s["population"])]
    yr = s["period"].dt.year
    cur, prev = s.loc[yr == year], s.loc[yr == year - 1]
    if cur.empty or prev.empty:
        return None
    rr, lo, hi = poisson_rate_ratio(cur["y"].sum(), cur["population"].sum(), prev["y"].sum(), prev["population"].sum(), alpha)
    if not np.isfinite(rr):
        return None
    return Measure(rr, lo, hi, scale="ratio", method=f"{year} ten opzichte van {year - 1}",
                   kind="ontwikkeling", n=int(cur["y"].sum()))


# --------------------------------------------------------------------------------------------
# city-wide DiD (fitted once per outcome and year)
# --------------------------------------------------------------------------------------------
def fit_city_did(
    panel_y: pd.DataFrame, outcome: str, starts: pd.Series, year: int, *, config: MonitorConfig | None = None,
    seed: int | None = None,
):
    """Wooldridge Poisson DiD for the whole city on ``n_<outcome>`` up to ``year``; returns the group aggregate.

    ``seed`` of the wild bootstrap: default ``seeds.did`` of the monitor configuration.

    Wards starting after the end of ``year`` count as untreated in this window. Returns
    ``(PoissonAggResult for type "group", PoissonDiDResult)``.
    """
    from wijklib import did

    cfg = load_config(config)
    seed = cfg.seeds["did"] if seed is None else seed
    end = year_end(year)
    g = starts.where(starts <= end)
    d = pd.DataFrame(
        {
            "unit": panel_y["unit"].to_numpy(),
            "period": pd.to_datetime(panel_y["period"]).to_numpy(),
            "y": pd.to_numeric(panel_y[f"n_{outcome}"], errors="coerce").to_numpy(dtype=float),
            "logpop": np.log(pd.to_numeric(panel_y["population"], errors="coerce").to_numpy(dtype=float)),
        }
    )
    d["g"] = d["unit"].map(g).to_numpy()
    d = d.loc[np.isfinite(d["y"]) & np.isfinite(d["logpop"])].reset_index(drop=True)
    cg = cfg.design["control_group"]
    # notyettreated already compares with all untreated periods; for nevertreated the average of
    # the pre-periods is far less noisy than the single month before the start.
    res = did.poisson(
        d, yname="y", tname="period", idname="unit", gname="g", control_group=cg,
        offset="logpop", inference="auto", alpha=cfg.verdict["alpha"], seed=seed,
        baseline="average" if cg == "nevertreated" else "last",
    )
    return res.aggregate("group"), res


def _cohort_zero_month_share(panel_y: pd.DataFrame, cohort: list[str], outcome: str, start: pd.Timestamp) -> float:
    """Share of the months from ``start`` on in which the cohort's wards together have zero counts.

    Months without data for every cohort ward are not counted; 0.0 when there is no such month.
    """
    sub = panel_y.loc[panel_y["unit"].isin(cohort) & (pd.to_datetime(panel_y["period"]) >= start)]
    y = pd.to_numeric(sub[f"n_{outcome}"], errors="coerce")
    tot = y.groupby(pd.to_datetime(sub["period"]).to_numpy()).sum(min_count=1).dropna()
    return float((tot == 0).mean()) if len(tot) else 0.0


def _not_identified_reason(res: Any, start: pd.Timestamp) -> str:
    """Why the city-wide Poisson DiD left a cohort out (its ``method`` notes), as a clause."""
    m = res.method
    if any(pd.Timestamp(c) == start for c in m.get("cohorts_without_pre_counts", []) or []):
        return ": its wards have zero counts in every month before the start (no baseline level, not identified)"
    n = _periods_left_out(res, start)
    if n:
        return (f": {n} month(s) from the start were left out because every comparison ward had zero counts "
                "there (no counterfactual)")
    return ""


def _periods_left_out(res: Any, start: pd.Timestamp) -> int:
    """Months from ``start`` on that the Poisson DiD left out because every untreated ward had zero counts."""
    m = res.method
    return sum(1 for p in m.get("periods_without_control_counts", []) or [] if pd.Timestamp(p) >= start)


def _group_effect(agg, start: pd.Timestamp):
    tab = agg.tidy()
    if "group" not in tab.columns:
        return None
    grp = pd.to_datetime(tab["group"], errors="coerce")
    hit = tab.loc[grp == start]
    return None if hit.empty else hit.iloc[0]


# --------------------------------------------------------------------------------------------
# the choice
# --------------------------------------------------------------------------------------------
def estimate_outcome(
    panel_y: pd.DataFrame,
    ward: str,
    outcome: str,
    year: int,
    starts: pd.Series,
    *,
    config: MonitorConfig | None = None,
    did_fit: Callable[[str], Any] | None = None,
) -> OutcomeEffect:
    """Estimate the effect on ``n_<outcome>`` in ``ward`` up to ``year`` with the design the data support.

    Parameters
    ----------
    panel_y
        Ward x month panel already cut at the end of ``year`` (:func:`upto`).
    starts
        First treated month per ward (:func:`treatment_starts`).
    did_fit
        Callable ``outcome -> (group aggregate, fit)`` for the city-wide DiD (cached by the
        :class:`~wijklib.monitor.Context`); default fits it here.

    Returns
    -------
    OutcomeEffect
    """
    cfg = load_config(config)
    v, dsg = cfg.verdict, cfg.design
    alpha = v["alpha"]
    end = year_end(year)
    start = starts.get(ward, pd.NaT)
    if pd.isna(start) or start > end:
        why = ("geen wijkgericht handhaven in deze wijk" if pd.isna(start)
               else f"wijkgericht handhaven start pas {fmt_month(start)}")
        others = sorted(str(u) for u in starts.index if str(u) != ward)
        if len(others) >= dsg["min_controls_did"]:
            try:
                m = development_vs_city(panel_y, ward, others, outcome, year, alpha, seed=cfg.seeds["randomisation"])
                return OutcomeEffect(outcome, "ontwikkeling", why + ": alleen de ontwikkeling is te beschrijven, "
                                     f"tegen die van de {len(others)} andere wijken", m,
                                     n_controls=len(others), inference="placebo-in-ruimte over de andere wijken")
            except ValueError:
                pass
        m = development(panel_y, ward, outcome, year, alpha)
        return OutcomeEffect(outcome, "ontwikkeling", why + ": alleen de ontwikkeling is te beschrijven", m)

    s = ward_series(panel_y, ward, outcome)
    ok = np.isfinite(s["y"]) & np.isfinite(s["population"]) & (s["population"] > 0)
    n_pre = int((ok & (s["period"] < start)).sum())
    n_post = int((ok & (s["period"] >= start)).sum())
    untreated_all = sorted(str(u) for u, st in starts.items() if u != ward and (pd.isna(st) or st > end))
    at_start = sorted(str(u) for u, st in starts.items() if u != ward and (pd.isna(st) or st > start))
    cohort = sorted(str(u) for u, st in starts.items() if not pd.isna(st) and st == start)
    n_treated = int(sum(1 for st in starts if not pd.isna(st) and st <= end))
    n_controls = len(at_start if dsg["control_group"] == "notyettreated" else untreated_all)
    base = dict(start=f"{start:%Y-%m}", n_pre=n_pre, n_post=n_post, n_controls=n_controls, cohort_size=len(cohort))
    if n_pre < v["min_pre_periods"] or n_post < v["min_post_periods"]:
        return OutcomeEffect(
            outcome, "geen",
            f"{n_pre} maanden vóór en {n_post} maanden na de start (minimaal {v['min_pre_periods']} en "
            f"{v['min_post_periods']})", None, **base,
        )
    pre_mean = float(s.loc[ok & (s["period"] < start), "y"].mean())
    notes: list[str] = []

    # 2b. the ward's treatment switched off or changed intensity: the designs below assume that
    # treatment, once on, stays on at one level; de Chaisemartin-D'Haultfoeuille does not
    change = treatment_path_change(panel_y, ward)
    if change is not None:
        try:
            m, info = _dcdh(panel_y, ward, outcome, start, alpha, dsg["min_controls_did"])
            why = (f"{change}: de andere opzetten veronderstellen dat de inzet na de start aan blijft op één "
                   f"niveau; daarom de Chaisemartin-D'Haultfoeuille over de {info['switchers']} wijken waar de "
                   f"inzet veranderde, tegen de wijken waar die (nog) niet veranderd was; "
                   f"{count_noun(info['controls'], 'wijk', 'wijken')} zonder verandering)")
            return OutcomeEffect(outcome, "dcdh", why, m, inference=info["inference"], notes=tuple(notes),
                                 **{**base, "n_controls": info["controls"], "cohort_size": info["switchers"]})
        except Exception as exc:  # noqa: BLE001 - any estimator failure moves on to the next design
            notes.append(f"{change}, maar de Chaisemartin-D'Haultfoeuille niet gelukt: {exc}")

    # 3a. staggered DiD, inference at the level of the cohort: randomisation over comparison wards
    if dsg["did_inference"] == "randomisation":
        if len(cohort) >= dsg["min_cohort_did"] and len(untreated_all) >= dsg["min_controls_did"]:
            try:
                m, ri = _randomization(panel_y, cohort, untreated_all, outcome, start, end, alpha, pre_mean,
                                       PLAIN_LABELS["did"], cfg.seeds["randomisation"])
                why = (f"startcohort {fmt_month(start)} telt {len(cohort)} wijken en er zijn {len(untreated_all)} "
                       "vergelijkingswijken zonder wijkgericht handhaven in de hele periode: gespreide "
                       "difference-in-differences; het effect is dat van het hele cohort"
                       + (" (" + ", ".join(cohort) + ")" if len(cohort) > 1 else ""))
                return OutcomeEffect(outcome, "did", why, m, inference=ri.describe(), notes=tuple(notes),
                                     **{**base, "n_controls": len(untreated_all)})
            except ValueError as exc:
                notes.append(f"difference-in-differences niet gelukt: {exc}")
        n_treated = len(cohort)  # the wards behind the estimate, not the city's treated wards
    # 3b. staggered DiD (Wooldridge Poisson, city-wide fit; min_treated_did counts the cohort's wards)
    zero_share = _cohort_zero_month_share(panel_y, cohort, outcome, start)
    sparse_cohort = zero_share > dsg["max_zero_month_share_did"]
    if dsg["did_inference"] == "poisson":
        n_treated = len(cohort)
    use_poisson = dsg["did_inference"] == "poisson"
    if (use_poisson and len(cohort) >= dsg["min_cohort_did"] and n_controls >= dsg["min_controls_did"]
            and n_treated >= dsg["min_treated_did"] and sparse_cohort):
        notes.append(
            f"difference-in-differences niet gebruikt: in {zero_share:.0%} van de maanden sinds de start had het "
            f"cohort samen nul meldingen (maximaal {dsg['max_zero_month_share_did']:.0%}); bij zoveel maanden zonder "
            "meldingen schat de Poisson-DiD per maand het effect te hoog (wijken zonder enige melding vallen weg)")
    elif (use_poisson and len(cohort) >= dsg["min_cohort_did"] and n_controls >= dsg["min_controls_did"]
            and n_treated >= dsg["min_treated_did"]):
        try:
            agg, res = did_fit(outcome) if did_fit is not None else fit_city_did(panel_y, outcome, starts, year, config=cfg)
            row = _group_effect(agg, start)
            if row is None:
                raise ValueError(f"cohort {start:%Y-%m} has no post-start estimate in the city-wide fit"
                                 + _not_identified_reason(res, start))
            if not (np.isfinite(row["conf_low"]) and np.isfinite(row["conf_high"])):
                raise ValueError("the city-wide fit gave no interval for this cohort")
            inference = str(res.method.get("inference", ""))
            why = (
                f"startcohort {fmt_month(start)} telt {len(cohort)} wijken en er zijn {n_controls} vergelijkingswijken "
                f"({'nog niet' if dsg['control_group'] == 'notyettreated' else 'nooit'} behandeld): genoeg voor "
                f"een gespreide difference-in-differences; het effect is dat van het hele cohort"
                + (" (" + ", ".join(cohort) + ")" if len(cohort) > 1 else "")
            )
            left_out = _periods_left_out(res, start)
            if left_out:
                notes.append(f"{count_noun(left_out, 'maand', 'maanden')} na de start niet meegenomen: alle vergelijkingswijken hadden "
                             "daar nul meldingen, dus geen vergelijking mogelijk")
            m = Measure(float(row["estimate"]), float(row["conf_low"]), float(row["conf_high"]), scale="ratio",
                        baseline=pre_mean, method=PLAIN_LABELS["did"], kind="effect",
                        p_value=float(row["p_value"]) if "p_value" in row else None,
                        n=int(s.loc[ok & (s["period"] >= start), "y"].sum()))
            return OutcomeEffect(outcome, "did", why, m, inference=f"{inference} (geclusterd per wijk)", notes=tuple(notes), **base)
        except Exception as exc:  # noqa: BLE001 - any estimator failure moves on to the next design
            notes.append(f"difference-in-differences niet gelukt: {exc}")

    if len(cohort) < dsg["min_cohort_did"]:
        reason_single = f"startcohort {fmt_month(start)} bestaat uit {count_noun(len(cohort), 'wijk', 'wijken')}"
    elif n_controls < dsg["min_controls_did"]:
        reason_single = f"maar {n_controls} vergelijkingswijken (minimaal {dsg['min_controls_did']} voor DiD)"
    elif use_poisson and n_treated < dsg["min_treated_did"]:
        reason_single = (f"maar {n_treated} wijken in het startcohort (minimaal "
                         f"{dsg['min_treated_did']} voor geldige intervallen bij de Poisson-DiD)")
    elif len(untreated_all) < dsg["min_controls_did"]:
        reason_single = (f"maar {len(untreated_all)} wijken zonder wijkgericht handhaven in de hele periode "
                         f"(minimaal {dsg['min_controls_did']} voor DiD)")
    elif use_poisson and sparse_cohort:
        reason_single = f"te weinig meldingen voor difference-in-differences per maand ({zero_share:.0%} maanden nul)"
    else:
        reason_single = "difference-in-differences gaf geen bruikbaar interval"
    controls = untreated_all
    # 4a. synthetic control when asked for
    if dsg["single_ward"] == "synth" and len(controls) >= dsg["min_donors_synth"]:
        try:
            out = _synth(panel_y, ward, outcome, start, controls, alpha, pre_mean)
            if out is not None:
                m, inference = out
                why = f"{reason_single}: synthetische controle met {len(controls)} donorwijken"
                return OutcomeEffect(outcome, "synth", why, m, inference=inference, notes=tuple(notes),
                                     **{**base, "n_controls": len(controls)})
            notes.append("synthetische controle gaf geen interval")
        except Exception as exc:  # noqa: BLE001
            notes.append(f"synthetische controle niet gelukt: {exc}")
    # 4b. the ward alone against the comparison wards, randomisation inference (placebo in space)
    if dsg["single_ward"] == "placebo" and len(controls) >= dsg["min_controls_did"]:
        try:
            m, ri = _randomization(panel_y, [ward], controls, outcome, start, end, alpha, pre_mean,
                                   PLAIN_LABELS["placebo"], cfg.seeds["randomisation"])
            why = (f"{reason_single}: de wijk alleen tegen de {len(controls)} wijken zonder wijkgericht "
                   "handhaven in de hele periode (voor/na-verschil, placebo-inferentie over die wijken)")
            return OutcomeEffect(outcome, "placebo", why, m, inference=ri.describe(), notes=tuple(notes),
                                 **{**base, "n_controls": len(controls)})
        except ValueError as exc:
            notes.append(f"placebo-opzet niet gelukt: {exc}")
    # 4c. controlled ITS
    if controls:
        try:
            m = _its(s, start, alpha, control=pooled_series(panel_y, controls, outcome), pre_mean=pre_mean)
            why = (f"{reason_single}: onderbroken tijdreeks tegen de {len(controls)} wijken zonder wijkgericht "
                   f"handhaven in de hele periode (samengevoegd)")
            return OutcomeEffect(outcome, "its_controlled", why, m,
                                 inference="Newey-West (HAC) over maanden, t-verdeling", notes=tuple(notes),
                                 **{**base, "n_controls": len(controls)})
        except Exception as exc:  # noqa: BLE001
            notes.append(f"onderbroken tijdreeks met controle niet gelukt: {exc}")
    # 5. plain ITS
    try:
        m = _its(s, start, alpha, control=None, pre_mean=pre_mean)
        why = (f"{reason_single}; geen bruikbare controlegroep: onderbroken tijdreeks zonder controle "
               "(laatste mogelijkheid: stadsbrede ontwikkelingen worden aan de aanpak toegeschreven)")
        return OutcomeEffect(outcome, "its", why, m, inference="Newey-West (HAC) over maanden, t-verdeling",
                             notes=tuple(notes), **{**base, "n_controls": 0})
    except Exception as exc:  # noqa: BLE001
        notes.append(f"onderbroken tijdreeks niet gelukt: {exc}")
    return OutcomeEffect(outcome, "geen", "geen van de opzetten gaf een schatting", None, notes=tuple(notes), **base)


def its_fit(s: pd.DataFrame, start: pd.Timestamp, alpha: float = 0.05, *,
            control: pd.DataFrame | None = None) -> Any:
    """The single-ward ITS of the monitor: quasi-Poisson step model, population offset, Newey-West.

    ``s`` and ``control`` are :func:`ward_series` / :func:`pooled_series` frames. The step model (no
    slope change) reports the average shift since the start; with a control series, shocks that hit the
    comparison wards too (e.g. the 2020 reporting-app switch) are not attributed to the ward. The
    standard errors are calibrated by placebo starts in the ward's own months before the start
    (``its.fit(calibrate=True)``): on the real police series of 's-Gravenhage this step model against
    the pooled other wijken rejects a true "no change" in 5.4% of the total-crime series and 4.8% of the
    single crime types (7.6% and 5.3% uncalibrated; ``benchmarks/results/its_placebo.md``).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"period": pd.date_range("2020-01-01", periods=36, freq="MS"),
    ...                   "y": [20.0] * 18 + [10.0] * 18, "population": 1000.0})
    >>> round(its_fit(s, pd.Timestamp("2021-07-01")).level_change.estimate, 2)
    0.5
    """
    from wijklib import its

    data = s.loc[np.isfinite(s["population"]) & (s["population"] > 0)]
    kw: dict[str, Any] = dict(yname="y", tname="period", start=start, family="quasipoisson", exposure="population",
                              slope_change=False, cov_type="hac", dropna=True, alpha=alpha, calibrate=True)
    if control is not None:
        kw["control"] = control.loc[control["population"] > 0]
    return its.fit(data, **kw)


def its_view(panel_y: pd.DataFrame, ward: str, outcome: str, year: int, starts: pd.Series,
             alpha: float = 0.05) -> Any:
    """The ward's ITS as the monitor fits it for a single ward: against the pooled wards untreated in
    the whole window when there are any (controlled ITS), else on its own. For charts and their text,
    so that they show the model behind the monitor's single-ward estimates."""
    end = year_end(year)
    start = starts.get(ward, pd.NaT)
    if pd.isna(start) or start > end:
        raise ValueError(f"{ward}: no ward-based enforcement by the end of {year}")
    controls = sorted(str(u) for u, st in starts.items() if u != ward and (pd.isna(st) or st > end))
    control = pooled_series(panel_y, controls, outcome) if controls else None
    return its_fit(ward_series(panel_y, ward, outcome), start, alpha, control=control)


def _its(s: pd.DataFrame, start: pd.Timestamp, alpha: float, *, control: pd.DataFrame | None, pre_mean: float) -> Measure:
    res = its_fit(s, start, alpha, control=control)
    data = s.loc[np.isfinite(s["population"]) & (s["population"] > 0)]
    e = res.level_change
    label = PLAIN_LABELS["its_controlled" if control is not None else "its"]
    return Measure(float(e.estimate), float(e.conf_low), float(e.conf_high), scale="ratio", baseline=pre_mean,
                   method=label + " (gemiddelde verschuiving sinds de start)", kind="effect",
                   p_value=float(e.p_value), n=int(data.loc[data["period"] >= start, "y"].sum()))


def _randomization(panel_y, treated, controls, outcome, start, end, alpha, pre_mean, label, seed):
    from wijklib.monitor.randomization import randomization_did

    ri = randomization_did(panel_y, treated, controls, outcome, start, end, alpha=alpha, seed=seed)
    m = Measure(ri.estimate, ri.conf_low, ri.conf_high, scale="ratio", baseline=pre_mean,
                method=f"{label} ({ri.plain()})", kind="effect", p_value=ri.p_value, n=int(ri.y_after))
    return m, ri


def development_vs_city(panel_y: pd.DataFrame, ward: str, others: list[str], outcome: str, year: int,
                        alpha: float = 0.05, *, seed: int | None = None) -> Measure:
    """This year vs last year in ``ward`` relative to the same change in ``others`` (the rest of the city):
    a ratio of rate ratios with placebo-in-space inference over the other wards. A development, never an
    effect: the measure has ``kind="ontwikkeling"`` and ``reference="stad"``. ``seed``: default
    ``seeds.randomisation`` of the monitor configuration."""
    from wijklib.monitor.randomization import randomization_did

    ri = randomization_did(panel_y, [ward], others, outcome, pd.Timestamp(f"{year}-01-01"), year_end(year),
                           alpha=alpha, before_start=pd.Timestamp(f"{year - 1}-01-01"), seed=_seed(seed))
    s = ward_series(panel_y, ward, outcome)
    n = float(s.loc[s["period"].dt.year == year, "y"].sum())
    return Measure(ri.estimate, ri.conf_low, ri.conf_high, scale="ratio",
                   method=f"{year} ten opzichte van {year - 1}, vergeleken met dezelfde verandering in de "
                   f"{ri.n_controls} andere wijken", kind="ontwikkeling", n=int(n), p_value=ri.p_value, reference="stad")


def _seed(seed: int | None) -> int:
    """The randomisation seed: ``seed``, or ``seeds.randomisation`` of the monitor configuration."""
    return load_config().seeds["randomisation"] if seed is None else int(seed)


def _randomization_sets(ward: str, year: int, starts: pd.Series,
                        design: str) -> tuple[pd.Timestamp, list[str], list[str]] | None:
    """``(start, treated, controls)`` behind a randomisation design's estimate, or None.

    ``"did"``: the ward's start cohort; ``"placebo"``: the ward alone; the controls are every ward
    without ward-based enforcement in the window. None for other designs or a ward not started by the
    end of ``year``.
    """
    if design not in ("did", "placebo"):
        return None
    end = year_end(year)
    start = starts.get(ward, pd.NaT)
    if pd.isna(start) or start > end:
        return None
    controls = sorted(str(u) for u, st in starts.items() if u != ward and (pd.isna(st) or st > end))
    treated = (sorted(str(u) for u, st in starts.items() if not pd.isna(st) and st == start)
               if design == "did" else [ward])
    return start, treated, controls


def pretrend_check(panel_y: pd.DataFrame, ward: str, outcome: str, year: int, starts: pd.Series,
                   design: str, alpha: float = 0.05, *, seed: int | None = None) -> tuple[float, str] | None:
    """The design's own check before the start: the same comparison on the pre-period alone.

    The months before the start are split in two halves; the change from the first half to the second
    in the wards behind the estimate (the start cohort for ``"did"``, the ward alone for ``"placebo"``)
    is compared with the same change in every ward without ward-based enforcement, with the same
    randomisation inference as the effect. A small p-value means the wards already drifted apart before
    the start. Returns ``(p_value, description)``, or ``None`` for designs without such a check or too
    few months (fewer than 12 before the start). ``seed``: default ``seeds.randomisation`` of the monitor
    configuration.
    """
    from wijklib.monitor.randomization import randomization_did

    sets = _randomization_sets(ward, year, starts, design)
    if sets is None:
        return None
    start, treated, controls = sets
    s = ward_series(panel_y, ward, outcome)
    ok = np.isfinite(s["y"]) & np.isfinite(s["population"]) & (s["population"] > 0)
    pre = sorted(pd.Timestamp(p) for p in s.loc[ok & (s["period"] < start), "period"])
    if len(pre) < 12 or not controls:
        return None
    mid = pre[len(pre) // 2]
    try:
        ri = randomization_did(panel_y, treated, controls, outcome, mid, pre[-1], alpha=alpha, before_start=pre[0],
                               seed=_seed(seed))
    except ValueError:
        return None
    return float(ri.p_value), (f"vóór de start ({fmt_month(pre[0])} tot {fmt_month(mid)} tegen {fmt_month(mid)} tot "
                               f"{fmt_month(pre[-1])})")


def noise_selection_check(panel_y: pd.DataFrame, ward: str, outcome: str, year: int, starts: pd.Series,
                          design: str, *, seed: int | None = None) -> Any:
    """Were the wards behind the estimate noisier before the start than the comparison wards?

    For the randomisation designs (``"did"``: the start cohort, ``"placebo"``: the ward alone) against
    every ward without ward-based enforcement in the window, the months before the start:
    :func:`wijklib.monitor.randomization.noise_check` (a
    :class:`~wijklib.monitor.randomization.NoiseCheck`), or ``None`` for other designs, no comparison
    wards or too few months. ``seed``: default ``seeds.randomisation`` of the monitor configuration.
    """
    from wijklib.monitor.randomization import noise_check

    sets = _randomization_sets(ward, year, starts, design)
    if sets is None:
        return None
    start, treated, controls = sets
    if not controls:
        return None
    try:
        return noise_check(panel_y, treated, controls, outcome, start, seed=_seed(seed))
    except ValueError:
        return None


def _synth(panel_y, ward, outcome, start, controls, alpha, pre_mean):
    from wijklib import synth  # noqa: PLC0415 - optional module

    rate = pd.DataFrame(
        {
            "unit": panel_y["unit"].to_numpy(),
            "period": pd.to_datetime(panel_y["period"]).to_numpy(),
            "rate": (pd.to_numeric(panel_y[f"n_{outcome}"], errors="coerce")
                     / pd.to_numeric(panel_y["population"], errors="coerce") * 1000).to_numpy(dtype=float),
        }
    )
    rate = rate.loc[rate["unit"].isin([ward, *controls])]
    # Months without data (e.g. the police publication lag) are left out for every ward alike.
    bad = rate.loc[~np.isfinite(rate["rate"]), "period"].unique()
    rate = rate.loc[~rate["period"].isin(bad)]
    res = synth.fit(rate, yname="rate", tname="period", idname="unit", treated=ward, start=start, alpha=alpha)
    e = res.effect
    if not (np.isfinite(e.conf_low) and np.isfinite(e.conf_high)):
        return None
    pre_rate = float(rate.loc[(rate["unit"] == ward) & (rate["period"] < start), "rate"].mean())
    m = Measure(float(e.estimate), float(e.conf_low), float(e.conf_high), scale="difference", baseline=pre_rate,
                method=PLAIN_LABELS["synth"], kind="effect", p_value=float(e.p_value))
    return m, "placebo-inferentie over donorwijken"


# --------------------------------------------------------------------------------------------
# treatment that switches off or changes intensity (de Chaisemartin-D'Haultfoeuille)
# --------------------------------------------------------------------------------------------
#: Optional panel column with the treatment's dose per month (e.g. 1 = focus, 2 = hyperfocus, or
#: planned enforcement hours); without it the 0/1 column ``treated`` is the treatment.
TREATMENT_LEVEL_COLUMN = "treatment_level"


def _treatment_column(panel_y: pd.DataFrame) -> str:
    return TREATMENT_LEVEL_COLUMN if TREATMENT_LEVEL_COLUMN in panel_y.columns else "treated"


def treatment_path_change(panel_y: pd.DataFrame, ward: str) -> str | None:
    """Why the ward's treatment is not 'on from the start, at one level', in Dutch; None when it is.

    The treatment is ``treatment_level`` when the panel has it, else ``treated``. A ward whose
    treatment returns to its level before the start switched off; one whose treatment takes
    another value after the first change changed intensity.

    Examples
    --------
    >>> p = pd.DataFrame({"unit": "a", "period": pd.date_range("2023-01-01", periods=5, freq="MS"),
    ...                   "treated": [0, 1, 1, 0, 0]})
    >>> treatment_path_change(p, "a")
    'de inzet in deze wijk stopte in apr. 2023'
    >>> treatment_path_change(p.assign(treated=[0, 1, 1, 1, 1]), "a") is None
    True
    """
    col = _treatment_column(panel_y)
    if col not in panel_y.columns:
        return None
    sub = panel_y.loc[panel_y["unit"] == ward, ["period", col]].copy()
    sub["period"] = pd.to_datetime(sub["period"])
    d = pd.to_numeric(sub.sort_values("period")[col], errors="coerce")
    per = sub.sort_values("period")["period"]
    ok = d.notna().to_numpy()
    d, per = d.to_numpy(float)[ok], per.to_numpy()[ok]
    if len(d) < 2:
        return None
    base = d[0]
    changed = np.flatnonzero(d != base)
    if not len(changed):
        return None
    after = d[changed[0]:]
    back = np.flatnonzero(after == base)
    if len(back):
        return f"de inzet in deze wijk stopte in {fmt_month(per[changed[0] + back[0]])}"
    other = np.flatnonzero(after != after[0])
    if len(other):
        return (f"de intensiteit van de inzet in deze wijk veranderde in "
                f"{fmt_month(per[changed[0] + other[0]])}")
    return None


def _dcdh(panel_y: pd.DataFrame, ward: str, outcome: str, start: pd.Timestamp, alpha: float,
          min_controls: int) -> tuple[Measure, dict[str, Any]]:
    """de Chaisemartin-D'Haultfoeuille on the city's monthly rates per 1,000 residents; the measure is
    the average total effect per unit of treatment over all wards whose treatment changed."""
    from wijklib import did  # noqa: PLC0415

    col = _treatment_column(panel_y)
    d = pd.DataFrame({
        "unit": panel_y["unit"].astype(str).to_numpy(),
        "period": pd.to_datetime(panel_y["period"]).to_numpy(),
        "rate": (pd.to_numeric(panel_y[f"n_{outcome}"], errors="coerce")
                 / pd.to_numeric(panel_y["population"], errors="coerce") * 1000).to_numpy(dtype=float),
        "d": pd.to_numeric(panel_y[col], errors="coerce").to_numpy(dtype=float),
    })
    d.loc[~np.isfinite(d["rate"]), "rate"] = np.nan
    first = d.groupby("unit")["d"].transform("first")
    never = d.assign(ch=d["d"] != first).groupby("unit")["ch"].any()
    n_controls = int((~never).sum())
    if n_controls < min_controls:
        raise ValueError(f"maar {n_controls} wijken waar de inzet nooit veranderde (minimaal {min_controls})")
    n_post = int(((d["unit"] == ward) & (d["period"] >= start) & d["rate"].notna()).sum())
    res = did.dcdh(d, outcome="rate", group="unit", time="period", treatment="d",
                   effects=max(1, min(12, n_post)), ci_level=100 * (1 - alpha))
    row = res.tidy().set_index("term").loc["Av_tot_effect"]
    if not (np.isfinite(row["conf_low"]) and np.isfinite(row["conf_high"])):
        raise ValueError("geen interval voor het gemiddelde totale effect")
    pre = d.loc[(d["unit"] == ward) & (d["period"] < start), "rate"].mean()
    m = Measure(float(row["estimate"]), float(row["conf_low"]), float(row["conf_high"]), scale="difference",
                baseline=float(pre), method=PLAIN_LABELS["dcdh"], kind="effect", p_value=float(row["p_value"]))
    info = {"switchers": int(never.sum()), "controls": n_controls,
            "inference": "analytische standaardfout, geclusterd per wijk (de Chaisemartin-D'Haultfoeuille)"}
    return m, info
