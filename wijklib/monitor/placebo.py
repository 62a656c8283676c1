"""Placebo harness for the monitor itself: how often does it give a verdict when nothing happened?

The estimators have their own simulation checks; the council reads the monitor's *verdicts*. This module
takes a ward x month panel without any intervention (the real police counts of 's-Gravenhage, or a
simulated city with known truth), assigns placebo roll-outs (a single ward, staggered cohorts of
realistic sizes, selection on bad scores or on noise), optionally plants a known effect on the treated
wards' counts, and runs the full :func:`wijklib.monitor.evaluate_ward` with the monitor configuration and
a wijkakkoord of several "omlaag" priorities per ward. :func:`summarise` reports, per group of wards
(treated / untreated), the share of each verdict with a 95% (Wilson) interval and the share of wards with
at least one "op koers" (the ward-level false rate under the null, the power with a planted effect).

Examples
--------
>>> import warnings; warnings.simplefilter("ignore")
>>> pnl = simulate_city(n_wards=12, seed=1)
>>> ro = RollOut(cohorts=(3,), starts=("2021-01",))
>>> res = run(pnl, ro, year=2022, outcomes=["a", "b"], n_draws=1, seed=2)
>>> sorted(res["groep"].unique())
['behandeld', 'onbehandeld']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from wijklib.monitor.settings import MonitorConfig, load_config
from wijklib.monitor.stats import wilson
from wijklib.monitor.verdict import ALL_VERDICTS

#: Crime types (police codes in the thehague_crime file) used as the default four "omlaag" priorities:
#: total crime, burglary, vandalism, bicycle theft (the types the issue's baseline used, totals included).
HAGUE_PRIORITIES = ("totaal", "misdrijf_104", "misdrijf_111", "misdrijf_101")

Selection = Literal["random", "worst", "noise"]


# --------------------------------------------------------------------------------------------
# panels without an intervention
# --------------------------------------------------------------------------------------------
def hague_panel(data_dir: str | Path | None = None, gemeente: str = "518") -> pd.DataFrame:
    """The real police panel of one gemeente (default 's-Gravenhage) in the monitor's panel layout.

    Columns ``unit`` (5-digit wijk code), ``period`` (month), ``population``, ``first_treated`` (all NaT:
    no intervention is known in these data), ``n_totaal`` and ``n_misdrijf_<code>`` per crime type. The
    file has no population; a constant 1,000 per wijk is used, so rate ratios are count ratios (the
    monitor's designs compare changes, which a constant population leaves unchanged). The month the source
    had not published (December 2017) is left out, not filled with zeros.
    """
    from wijklib.config import REFERENCE_DATA_DIR
    from wijklib.report import police

    folder = Path(data_dir) if data_dir is not None else REFERENCE_DATA_DIR / "thehague_crime"
    df = police.crime(folder, gemeente)
    wide = df.pivot_table(index=["wijk_code", "maand"], columns="misdrijf_code", values="aantal",
                          aggfunc="sum", fill_value=0)
    wide.columns = [f"n_misdrijf_{c}" for c in wide.columns]
    wide["n_totaal"] = wide.sum(axis=1)
    wide = wide.reset_index().rename(columns={"wijk_code": "unit", "maand": "period"})
    wide["population"] = 1000.0
    wide["first_treated"] = pd.NaT
    wide["first_treated"] = pd.to_datetime(wide["first_treated"])
    return wide.sort_values(["unit", "period"], ignore_index=True)


def simulate_city(
    n_wards: int = 30,
    *,
    start: str = "2017-01",
    months: int = 72,
    outcomes: Sequence[str] = ("a", "b", "c", "d"),
    mean_range: tuple[float, float] = (3.0, 120.0),
    dispersion_range: tuple[float, float] = (0.02, 0.3),
    ar: float = 0.5,
    trend: float = -0.06,
    seed: int = 0,
) -> pd.DataFrame:
    """A city with known truth (no intervention): monthly negative-binomial counts per ward and outcome.

    Each ward has its own level (log-uniform in ``mean_range`` events per month), its own extra noise
    (an AR(1) log-scale shock with a ward-specific variance drawn from ``dispersion_range``, so some
    wards are far noisier than others) and shares a city-wide trend (``trend`` per year on the log scale)
    and seasonality. Columns as :func:`hague_panel`: ``unit, period, population, first_treated,
    n_<outcome>``.

    Examples
    --------
    >>> p = simulate_city(n_wards=5, months=24, seed=3)
    >>> p.shape[0], sorted(c for c in p.columns if c.startswith("n_"))
    (120, ['n_a', 'n_b', 'n_c', 'n_d'])
    """
    rng = np.random.default_rng(seed)
    per = pd.date_range(start, periods=months, freq="MS")
    t = np.arange(months)
    season = 0.15 * np.sin(2 * np.pi * per.month.to_numpy() / 12)
    city = trend * t / 12 + season
    rows: dict[str, Any] = {
        "unit": np.repeat([f"w{i:02d}" for i in range(n_wards)], months),
        "period": np.tile(per, n_wards),
    }
    pop = rng.uniform(3000, 30000, n_wards)
    rows["population"] = np.repeat(pop, months)
    for o in outcomes:
        lvl = np.exp(rng.uniform(np.log(mean_range[0]), np.log(mean_range[1]), n_wards))
        var = rng.uniform(*dispersion_range, n_wards)
        ys = []
        for i in range(n_wards):
            e = np.zeros(months)
            sd = math.sqrt(var[i] * (1 - ar**2))
            e[0] = rng.normal(0, math.sqrt(var[i]))
            for k in range(1, months):
                e[k] = ar * e[k - 1] + rng.normal(0, sd)
            mu = lvl[i] * np.exp(city + e - var[i] / 2)
            ys.append(rng.poisson(mu))
        rows[f"n_{o}"] = np.concatenate(ys).astype(float)
    out = pd.DataFrame(rows)
    out["first_treated"] = pd.to_datetime(pd.Series(pd.NaT, index=out.index))
    return out


def noisy_wards_panel(
    n_wards: int = 30,
    *,
    noisy: Sequence[int] | int = 4,
    sd_noisy: float = 0.3,
    sd_quiet: float = 0.03,
    ar: float = 0.6,
    months: int = 36,
    start: str = "2020-01",
    mean: float = 60.0,
    level_sd: float = 0.5,
    seed: int = 0,
) -> pd.DataFrame:
    """A city in which some wards are far noisier than the rest (selection-on-noise checks).

    Ward ``i`` has monthly counts Poisson(level_i * exp(e_it)), with ``e`` an AR(1) process (``ar``)
    of stationary sd ``sd_noisy`` for the noisy wards (the first ``noisy`` wards, or the listed indices)
    and ``sd_quiet`` for the others; levels log-normal around ``mean`` (sd ``level_sd``). No intervention.
    Columns ``unit`` (``w00``...), ``period``, ``population`` (1,000), ``first_treated`` (NaT), ``n_x``.

    Examples
    --------
    >>> p = noisy_wards_panel(n_wards=5, noisy=1, months=12, seed=1)
    >>> p.shape, sorted(p["unit"].unique())[:2]
    ((60, 5), ['w00', 'w01'])
    """
    rng = np.random.default_rng(seed)
    per = pd.date_range(start, periods=months, freq="MS")
    idx = set(range(int(noisy))) if isinstance(noisy, (int, np.integer)) else {int(i) for i in noisy}
    sd = np.array([sd_noisy if i in idx else sd_quiet for i in range(n_wards)])
    lvl = mean * np.exp(rng.normal(0, level_sd, n_wards))
    e = np.zeros((n_wards, months))
    e[:, 0] = rng.normal(0, sd)
    for t in range(1, months):
        e[:, t] = ar * e[:, t - 1] + rng.normal(0, sd * math.sqrt(1 - ar**2))
    y = rng.poisson(lvl[:, None] * np.exp(e - sd[:, None] ** 2 / 2))
    out = pd.DataFrame({"unit": np.repeat([f"w{i:02d}" for i in range(n_wards)], months),
                        "period": np.tile(per, n_wards), "population": 1000.0, "n_x": y.ravel().astype(float)})
    out["first_treated"] = pd.to_datetime(pd.Series(pd.NaT, index=out.index))
    return out


# --------------------------------------------------------------------------------------------
# placebo roll-outs and planted effects
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RollOut:
    """A placebo roll-out: cohort sizes with their start months and how wards are selected.

    ``selection``: ``random`` (every ward equally likely), ``worst`` (wards with the largest rise of
    ``select_on`` in the year before the first start, as a council picks wards with bad scores: regression
    to the mean), ``noise`` (probability rising with the ward's month-to-month noise of ``select_on``).

    Examples
    --------
    >>> RollOut(cohorts=(4, 4, 4), starts=("2014-01", "2014-07", "2015-01")).n_treated
    12
    """

    cohorts: tuple[int, ...]
    starts: tuple[str, ...]
    selection: Selection = "random"
    select_on: str | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if len(self.cohorts) != len(self.starts):
            raise ValueError(f"RollOut: {len(self.cohorts)} cohort sizes but {len(self.starts)} start months")
        if self.selection not in ("random", "worst", "noise"):
            raise ValueError(f"RollOut.selection = {self.selection!r}; expected 'random', 'worst' or 'noise'")
        if any(int(c) < 1 for c in self.cohorts):
            raise ValueError(f"RollOut.cohorts = {self.cohorts}; every cohort needs at least one ward")

    @property
    def n_treated(self) -> int:
        return int(sum(self.cohorts))

    @property
    def name(self) -> str:
        return self.label or f"{'+'.join(map(str, self.cohorts))} ({self.selection})"


def _ward_scores(panel: pd.DataFrame, outcome: str, before: pd.Timestamp, kind: Selection) -> pd.Series:
    col = f"n_{outcome}"
    if col not in panel.columns:
        raise ValueError(f"RollOut.select_on = {outcome!r}: the panel has no column {col!r}")
    p = panel.loc[pd.to_datetime(panel["period"]) < before, ["unit", "period", col]]
    if kind == "worst":
        last = p.loc[pd.to_datetime(p["period"]) >= before - pd.DateOffset(years=1)]
        prev = p.loc[(pd.to_datetime(p["period"]) < before - pd.DateOffset(years=1))
                     & (pd.to_datetime(p["period"]) >= before - pd.DateOffset(years=2))]
        a = last.groupby("unit")[col].sum() + 0.5
        b = prev.groupby("unit")[col].sum() + 0.5
        return np.log(a / b).reindex(panel["unit"].unique()).fillna(0.0)
    # noise: coefficient of variation of the log monthly counts around the ward's own level
    lg = np.log(p[col].astype(float) + 0.5)
    return lg.groupby(p["unit"]).std().reindex(panel["unit"].unique()).fillna(0.0)


def assign(panel: pd.DataFrame, rollout: RollOut, rng: np.random.Generator,
           outcomes: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict[str, pd.Timestamp]]:
    """A copy of ``panel`` with ``first_treated`` set by one draw of the roll-out; returns (panel, starts)."""
    units = np.array(sorted(panel["unit"].astype(str).unique()))
    n = rollout.n_treated
    if n >= len(units):
        raise ValueError(f"RollOut {rollout.name}: {n} treated wards but the panel has only {len(units)}")
    starts = [pd.Timestamp(s) for s in rollout.starts]
    if rollout.selection == "random":
        chosen = rng.choice(units, size=n, replace=False)
    else:
        on = rollout.select_on or (outcomes[0] if outcomes else None)
        if on is None:
            raise ValueError("RollOut.select_on is needed for selection 'worst' or 'noise'")
        score = _ward_scores(panel, on, min(starts), rollout.selection).reindex(units).to_numpy(float)
        if rollout.selection == "worst":
            # The worst scores are picked, with a little randomness so that draws differ.
            z = (score - score.mean()) / (score.std() or 1.0)
            w = np.exp(2.0 * z)
        else:
            r = pd.Series(score).rank().to_numpy()
            w = r**2  # the noisiest ward is (n_wards)^2 / 1 times as likely as the quietest
        chosen = rng.choice(units, size=n, replace=False, p=w / w.sum())
    rng.shuffle(chosen)
    mapping: dict[str, pd.Timestamp] = {}
    pos = 0
    for size, st in zip(rollout.cohorts, starts, strict=True):
        for u in chosen[pos:pos + size]:
            mapping[str(u)] = st
        pos += size
    out = panel.copy()
    out["first_treated"] = pd.to_datetime(out["unit"].astype(str).map(mapping))
    return out, mapping


def plant(panel: pd.DataFrame, starts: dict[str, pd.Timestamp], ratio: float, outcomes: Sequence[str],
          rng: np.random.Generator) -> pd.DataFrame:
    """Multiply the treated wards' counts from their start on by ``ratio`` (binomial thinning: the result
    stays a count with the same kind of noise). ``ratio`` must lie in (0, 1]."""
    if not 0 < ratio <= 1:
        raise ValueError(f"plant: ratio = {ratio}; expected a number in (0, 1] (a reduction)")
    out = panel.copy()
    per = pd.to_datetime(out["period"])
    st = out["unit"].astype(str).map(starts)
    hit = st.notna() & (per >= st)
    for o in outcomes:
        col = f"n_{o}"
        y = out.loc[hit, col].to_numpy(float, copy=True)
        ok = np.isfinite(y)
        y[ok] = rng.binomial(y[ok].astype(np.int64), ratio)
        out.loc[hit, col] = y
    return out


def wijkakkoord(wards: Sequence[str], year: int, outcomes: Sequence[str], *, richting: str = "omlaag",
                bron: str = "politie") -> pd.DataFrame:
    """A wijkakkoord table with one priority (theme) per outcome for every ward."""
    return pd.DataFrame([
        {"wijkraad_id": w, "jaar": int(year), "thema": f"prioriteit {o}", "indicator": o, "bron": bron,
         "richting": richting}
        for w in wards for o in outcomes
    ])


def _hierarchy(wards: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({"buurt_code": list(wards), "wijk_code": list(wards), "wijkraad_id": list(wards),
                         "wijkraad": list(wards)})


# --------------------------------------------------------------------------------------------
# running the monitor
# --------------------------------------------------------------------------------------------
def evaluate_draw(panel: pd.DataFrame, year: int, outcomes: Sequence[str], *,
                  config: MonitorConfig | dict[str, Any] | None = None,
                  wards: Sequence[str] | None = None) -> pd.DataFrame:
    """Run :func:`wijklib.monitor.evaluate_ward` for every ward (or ``wards``) of one panel; one row per
    priority verdict with the ward's start, its design and the measure's kind."""
    from wijklib.monitor.evaluation import Context, evaluate_ward

    all_wards = sorted(panel["unit"].astype(str).unique())
    # The panel's outcomes are counts of the police source: it is delivered (an empty table marks it).
    tables = {"wijkakkoorden": wijkakkoord(all_wards, year, outcomes),
              "politie": pd.DataFrame(columns=["buurt_code", "maand", "misdrijf_code", "misdrijf", "aantal"])}
    ctx = Context(tables, panel, config=config, hierarchy=_hierarchy(all_wards), outcomes=list(outcomes))
    rows = []
    for w in wards or all_wards:
        ev = evaluate_ward(w, year, context=ctx, previous=False)
        for p in ev.priorities:
            e = ev.level1.effect(p.key) if p.kind == "panel" else None
            rows.append({
                "wijk": w, "uitkomst": p.key, "oordeel": p.verdict, "ontwerp": p.design,
                "soort": p.measure.kind if p.measure is not None else None,
                "cohortgrootte": e.cohort_size if e is not None else 0,
                "p_value": p.measure.p_value if p.measure is not None else math.nan,
                "schatting": p.measure.estimate if p.measure is not None else math.nan,
                "conf_low": p.measure.conf_low if p.measure is not None else math.nan,
                "conf_high": p.measure.conf_high if p.measure is not None else math.nan,
                "schaal": p.measure.scale if p.measure is not None else None,
                "zin": p.sentence,
            })
    return pd.DataFrame(rows)


def run(
    panel: pd.DataFrame,
    rollout: RollOut,
    *,
    year: int,
    outcomes: Sequence[str],
    n_draws: int = 10,
    seed: int = 0,
    effect: float | None = None,
    config: MonitorConfig | dict[str, Any] | None = None,
    treated_only: bool = False,
) -> pd.DataFrame:
    """``n_draws`` placebo roll-outs on ``panel``; the verdict rows of every draw (column ``draw``).

    ``effect`` plants a rate ratio (e.g. 0.8 = -20%) on the treated wards' counts from their start.
    ``treated_only`` evaluates only the treated wards (faster for power runs). Column ``groep`` is
    ``behandeld`` for wards treated by the end of ``year`` and ``onbehandeld`` otherwise.
    """
    cfg = load_config(config)
    rng = np.random.default_rng(seed)
    frames = []
    for d in range(n_draws):
        pnl, starts = assign(panel, rollout, rng, outcomes)
        if effect is not None:
            pnl = plant(pnl, starts, effect, outcomes, rng)
        end = pd.Timestamp(f"{year}-12-31")
        treated = sorted(w for w, s in starts.items() if s <= end)
        fr = evaluate_draw(pnl, year, outcomes, config=cfg, wards=treated if treated_only else None)
        fr["draw"] = d
        fr["waarheid"] = np.where(fr["wijk"].isin(treated), effect if effect is not None else 1.0, math.nan)
        fr["groep"] = np.where(fr["wijk"].isin(treated), "behandeld", "onbehandeld")
        fr["start"] = fr["wijk"].map(lambda w, st=starts: f"{st[w]:%Y-%m}" if w in st else None)
        frames.append(fr)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["rollout"] = rollout.name
    return out


def _share(k: int, n: int, alpha: float = 0.05) -> dict[str, float]:
    if n == 0:
        return {"aandeel": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    est, lo, hi = wilson(k, n, alpha)
    return {"aandeel": est, "ci_low": lo, "ci_high": hi}


def summarise(rows: pd.DataFrame, *, by: Sequence[str] = ("groep",)) -> pd.DataFrame:
    """Per group: the share of each verdict (95% Wilson interval), the number of verdicts, and the share
    of wards (per draw) with at least one "op koers" and with at least one "ongunstige ontwikkeling"."""
    out = []
    for key, g in rows.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        base = dict(zip(by, key, strict=True))
        n = len(g)
        for v in ALL_VERDICTS:
            out.append({**base, "maat": f"oordeel: {v}", "n": n, **_share(int((g["oordeel"] == v).sum()), n)})
        # The estimators behind the verdicts: interval coverage of the true rate ratio and rejection of
        # "no change" at 5% before the Holm step (effect measures on the ratio scale only).
        eff = g.loc[(g["soort"] == "effect") & (g["schaal"] == "ratio") & g["waarheid"].notna()
                    & np.isfinite(g["conf_low"].astype(float)) & np.isfinite(g["conf_high"].astype(float))]
        if len(eff):
            cov = (eff["conf_low"] <= eff["waarheid"]) & (eff["waarheid"] <= eff["conf_high"])
            out.append({**base, "maat": "dekking interval", "n": len(eff), **_share(int(cov.sum()), len(eff))})
            rej = (eff["conf_low"] > 1) | (eff["conf_high"] < 1)
            out.append({**base, "maat": "interval sluit 1 uit", "n": len(eff), **_share(int(rej.sum()), len(eff))})
        per_ward = g.groupby(["draw", "wijk"])["oordeel"]
        for v, name in (("op koers", "wijken met een 'op koers'"),
                        ("ongunstige ontwikkeling", "wijken met een 'ongunstige ontwikkeling'")):
            anyv = per_ward.apply(lambda s, v=v: bool((s == v).any()))
            out.append({**base, "maat": name, "n": int(anyv.size), **_share(int(anyv.sum()), int(anyv.size))})
    return pd.DataFrame(out, columns=[*by, "maat", "n", "aandeel", "ci_low", "ci_high"])


@dataclass(frozen=True)
class Scenario:
    """One line of the benchmark grid: a panel source, a roll-out, a year and an optional planted effect."""

    source: str  # "hague" or "sim"
    rollout: RollOut
    year: int
    effect: float | None = None
    n_draws: int = 10
    treated_only: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def with_draws(self, n: int) -> Scenario:
        return replace(self, n_draws=n)
