"""Diagnostics that the ward reports show next to every DiD estimate.

- :func:`pretrend_power` — Roth (2022): how big a linear pre-trend the pre-test would catch (50% / 80%
  power) and what bias such a trend would put in the post estimates (unconditionally and given that
  the pre-test passed).
- :func:`placebo_time`, :func:`placebo_space` — fake start dates before the real one and fake treated
  wards; tidy tables with the share significant.
- :func:`honest_rm_bounds` — Rambachan & Roth (2023) relative-magnitude bounds for the average post
  effect, with a simple, conservative confidence interval (see its docstring) and the breakdown M-bar.
- :func:`spillover_design` — drop neighbour wards from the controls, or mark them as a ring with its own
  exposure, so displacement and diffusion of benefits can be told apart (Butts 2021).
- :func:`regression_to_mean` — were treated wards picked just after an unusually bad spell?
- :func:`reporting_bias_flags`, :func:`reporting_breaks` — report-based outcomes and covariates for a
  reporting-channel change (MeldR replaced BuitenBeter on 1 January 2020).

Each returns plain data (DataFrames or frozen dataclasses with ``.tidy()``) and, where a report uses it,
a short Dutch sentence (``.sentence()``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from wijklib.results import Effect

__all__ = [
    "pretrend_power",
    "PretrendPower",
    "placebo_time",
    "placebo_space",
    "PlaceboResult",
    "honest_rm_bounds",
    "HonestBounds",
    "spillover_design",
    "regression_to_mean",
    "RTMResult",
    "reporting_bias_flags",
    "reporting_breaks",
]


def _fmt(x: float, nd: int = 2) -> str:
    """Dutch number formatting (decimal comma; :func:`wijklib.nl.number`)."""
    from wijklib import nl

    return nl.number(x, nd, missing="onbekend")


def _es_parts(es: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(betas, vcov, event_times) from an EventStudyResult or a tuple.

    Tuples: ``(betas, vcov, event_times)``, or ``(betas, vcov, pre_idx, post_idx)`` in which case the
    pre coefficients get event times -k-1..-2 (reference -1 omitted) and the post ones 0, 1, ...
    """
    if hasattr(es, "vcov") and hasattr(es, "table"):
        lab = list(es.vcov.index)
        et = np.array([int(x) for x in lab])
        b = es.table.set_index("event_time").loc[et, "estimate"].to_numpy(float)
        return b, es.vcov.to_numpy(float), et
    if hasattr(es, "detail") and getattr(es, "type", None) == "dynamic":
        # wijklib.did.att_gt(...).aggregate("dynamic"): per-event-time estimates; without a stored
        # covariance the SEs are treated as independent (stated in a warning)
        keep = es.detail["estimate"].notna() & es.detail["std_error"].notna() & (es.detail["std_error"] > 0)
        d = es.detail[keep]
        et = d["event_time"].to_numpy(int)
        V = getattr(es, "vcov", None)
        if isinstance(V, pd.DataFrame):
            V = V.loc[et, et].to_numpy(float) if set(et) <= set(V.index) else V.to_numpy(float)[np.ix_(keep.to_numpy(), keep.to_numpy())]
        elif V is not None:
            V = np.asarray(V, float)[np.ix_(keep.to_numpy(), keep.to_numpy())]
        if V is None:
            import warnings

            warnings.warn("aggregate result has no covariance matrix: event-time estimates treated as "
                          "independent", stacklevel=3)
            V = np.diag(d["std_error"].to_numpy(float) ** 2)
        return d["estimate"].to_numpy(float), np.asarray(V, float), et
    if isinstance(es, tuple) and len(es) == 3:
        b, V, et = es
        return np.asarray(b, float), np.asarray(V, float), np.asarray(et, int)
    if isinstance(es, tuple) and len(es) == 4:
        b, V, pre, post = es
        b, V = np.asarray(b, float), np.asarray(V, float)
        pre, post = np.asarray(pre, int), np.asarray(post, int)
        idx = np.concatenate([pre, post])
        et = np.concatenate([np.arange(-len(pre) - 1, -1), np.arange(len(post))])
        return b[idx], V[np.ix_(idx, idx)], et
    raise TypeError("expected an EventStudyResult or a tuple (betas, vcov, event_times) / (betas, vcov, pre_idx, post_idx)")


# ----------------------------------------------------------------------------------------------
# Roth (2022) pre-trend power
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PretrendPower:
    """Power of the pre-test against linear trends ``delta_e = slope * (e - ref)``.

    ``table``: one row per slope considered (``target_power`` rows and the user ``slope``), with the
    power, the implied bias of the average post estimate (``bias_post``) and that bias *given that
    the pre-test passed* (``bias_post_if_pass``, Roth's point: passing selects draws that hide the trend).
    """

    table: pd.DataFrame
    alpha: float
    ref: int
    pre_times: tuple[int, ...]
    post_times: tuple[int, ...]
    method: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def sentence(self, unit: str = "", period: str = "periode") -> str:
        """Dutch sentence; ``unit`` names what the event study measures (``"per 1.000 inwoners"``) and
        ``period`` its time step (``"maand"``), so the numbers carry their units."""
        t = self.table
        row = t[t["target_power"] == 0.8]
        if row.empty:
            row = t.iloc[[0]]
        r = row.iloc[0]
        u = f" {unit}" if unit else ""
        return (
            f"Een trend van {_fmt(abs(r['slope']), 3)}{u} per {period} vóór de start zou de toets op "
            f"parallelle trends maar in {_fmt(100 * r['power'], 0)}% van de gevallen opmerken; zo'n trend "
            f"zou het gemiddelde effect na de start met ongeveer {_fmt(abs(r['bias_post']), 2)}{u} vertekenen."
        )


def _pretest_power(shift: np.ndarray, corr_draws: np.ndarray, sd: np.ndarray, z: float) -> np.ndarray:
    """Share of draws in which some pre t-statistic exceeds z (with common random numbers)."""
    tstats = (shift / sd)[None, :] + corr_draws
    return (np.abs(tstats) > z).any(axis=1)


def pretrend_power(
    es: Any,
    *,
    slope: float | None = None,
    target_power: Sequence[float] = (0.5, 0.8),
    alpha: float = 0.05,
    ref: int = -1,
    draws: int = 20000,
    seed: int = 0,
) -> PretrendPower:
    """Roth (2022) power analysis of the event-study pre-test against a linear violation.

    The pre-test rejects when any pre-period coefficient is individually significant at ``alpha``
    (the usual visual/eyeball test). For a trend ``delta_e = slope * (e - ref)`` the power is computed
    by simulation from the estimated covariance (common random numbers, so it is smooth in the slope);
    the slope with the target power is found by root finding.

    Parameters
    ----------
    es
        :class:`~wijklib.did.twfe_es.EventStudyResult`, a dynamic ``att_gt(...).aggregate("dynamic")``
        result (SEs then treated as independent unless it carries ``vcov``; pre-period estimates must
        be relative to a common base period, i.e. ``base_period="universal"``), or
        ``(betas, vcov, event_times)``.
    slope
        Optional slope (outcome units per period) to evaluate as well.
    target_power
        Powers for which to report the slope (default 50% and 80%).
    alpha, ref, draws, seed
        Test level, reference event time, simulation draws and seed.

    Returns
    -------
    PretrendPower

    Examples
    --------
    >>> import numpy as np
    >>> et = np.array([-4, -3, -2, 0, 1, 2])
    >>> res = pretrend_power((np.zeros(6), np.eye(6) * 0.04, et))
    >>> r = res.tidy().set_index("target_power")
    >>> bool(abs(r.loc[0.5, "power"] - 0.5) < 0.01 and r.loc[0.8, "slope"] > r.loc[0.5, "slope"])
    True
    """
    b, V, et = _es_parts(es)
    pre = et < 0
    post = et >= 0
    if not pre.any():
        raise ValueError("no pre-period coefficients: pre-trend power needs at least one")
    if not post.any():
        raise ValueError("no post-period coefficients")
    sd_all = np.sqrt(np.diag(V))
    bad = ~np.isfinite(sd_all) | (sd_all <= 0)
    if bad.any():
        # A zero or undefined standard error (e.g. an all-zero series) leaves no test to have power.
        raise ValueError(f"standard errors at event times {et[bad].tolist()} are zero or not finite; "
                         "the pre-test has no defined power there")
    z = stats.norm.ppf(1 - alpha / 2)
    rng = np.random.default_rng(seed)
    # joint draws of (pre, post) estimation errors
    evals, evecs = np.linalg.eigh((V + V.T) / 2)
    L = evecs * np.sqrt(np.clip(evals, 0, None))
    eps = rng.standard_normal((draws, len(et))) @ L.T
    pre_corr = eps[:, pre] / sd_all[pre]
    post_err_mean = eps[:, post].mean(axis=1)
    trend_pre = et[pre] - ref
    trend_post = (et[post] - ref).astype(float)

    def power(s: float) -> float:
        return float(_pretest_power(s * trend_pre, pre_corr, sd_all[pre], z).mean())

    def row(s: float, target: float | None) -> dict[str, Any]:
        rej = _pretest_power(s * trend_pre, pre_corr, sd_all[pre], z)
        bias = float(s * trend_post.mean())
        passed = ~rej
        cond = float(bias + post_err_mean[passed].mean()) if passed.any() else math.nan
        return {"target_power": target, "slope": s, "power": float(rej.mean()), "bias_post": bias,
                "bias_post_if_pass": cond}

    rows = []
    base = power(0.0)
    scale = float(np.max(sd_all[pre]) / max(np.min(np.abs(trend_pre)), 1))
    for tp in target_power:
        if not base < tp < 1:
            raise ValueError(f"target_power {tp} must lie between the size {base:.3f} and 1")
        hi = scale
        while power(hi) < tp:
            hi *= 2
            if hi > 1e6 * scale:
                raise RuntimeError("could not bracket the slope with the target power")
        s = optimize.brentq(lambda x, tp=tp: power(x) - tp, 0.0, hi, xtol=1e-10 * hi)
        rows.append(row(float(s), float(tp)))
    if slope is not None:
        rows.append(row(float(slope), None))
    table = pd.DataFrame(rows)
    return PretrendPower(table, alpha, ref, tuple(int(x) for x in et[pre]), tuple(int(x) for x in et[post]),
                         {"method": "Roth (2022), linear violation, simulation", "draws": draws, "seed": seed,
                          "size_at_zero_slope": base})


# ----------------------------------------------------------------------------------------------
# placebo tests
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceboResult:
    """Placebo estimates: one row per fake start / fake ward, and the share significant."""

    table: pd.DataFrame
    kind: Literal["time", "space"]
    alpha: float
    real_estimate: float | None = None

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    @property
    def share_significant(self) -> float:
        s = self.table["significant"].dropna()
        return float(s.mean()) if len(s) else math.nan

    @property
    def rank_p_value(self) -> float:
        """Share of placebos at least as large (in absolute value) as the real estimate (space)."""
        if self.real_estimate is None:
            return math.nan
        e = self.table["estimate"].dropna().to_numpy()
        return float((1 + np.sum(np.abs(e) >= abs(self.real_estimate))) / (len(e) + 1))

    def sentence(self) -> str:
        n = int(self.table["estimate"].notna().sum())
        k = int(self.table["significant"].fillna(False).sum())
        wat = "nep-startdata vóór de echte start" if self.kind == "time" else "wijken zonder aanpak (nep-behandeld)"
        verwacht = _fmt(100 * self.alpha, 0)
        s = (f"Bij {n} placebotoetsen met {wat} was {k} keer een 'effect' significant "
             f"({_fmt(100 * self.share_significant, 0)}%; bij toeval verwacht: ongeveer {verwacht}%).")
        if self.kind == "space" and self.real_estimate is not None:
            s += f" Het echte effect is groter dan {_fmt(100 * (1 - self.rank_p_value), 0)}% van de placebo-effecten."
        return s


def _effect_of(obj: Any) -> Effect:
    """The headline of what a ``fit_fn`` returned: an Effect, or any result (they all have ``.effect``)."""
    e = obj if isinstance(obj, Effect) else getattr(obj, "effect", None)
    if not isinstance(e, Effect):
        raise TypeError(f"fit_fn must return an Effect or an estimator result (with .effect), got {type(obj).__name__}")
    return e


def treated_mask(g: pd.Series) -> pd.Series:
    """Rows of units with a treatment start: ``gname`` holds 0/NaN (numeric) or NaT (dates) for never treated.

    Examples
    --------
    >>> treated_mask(pd.Series([0, 5, float("nan")])).tolist()
    [False, True, False]
    """
    if pd.api.types.is_datetime64_any_dtype(g):
        return g.notna()
    return g.notna() & (g != 0)


def assign_placebo_start(base: pd.DataFrame, *, idname: str, gname: str, unit: Any, start: Any) -> pd.DataFrame:
    """A copy of ``base`` (never-treated rows) in which ``unit`` is treated from ``start`` and the others
    stay never treated (0, or NaT when ``gname`` holds dates).

    Examples
    --------
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2], "g": 0})
    >>> assign_placebo_start(d, idname="id", gname="g", unit=2, start=5)["g"].tolist()
    [0, 0, 5, 5]
    """
    is_date = pd.api.types.is_datetime64_any_dtype(base[gname])
    d = base.copy()
    d[gname] = np.where(d[idname] == unit, start, pd.NaT if is_date else 0)
    if is_date:
        d[gname] = pd.to_datetime(d[gname])
    return d


def _placebo_row(key: dict[str, Any], fit_fn: Callable[[pd.DataFrame], Any], data: pd.DataFrame) -> dict[str, Any]:
    try:
        e = _effect_of(fit_fn(data))
    except (ValueError, np.linalg.LinAlgError) as exc:
        return key | {"estimate": math.nan, "std_error": math.nan, "p_value": math.nan,
                      "conf_low": math.nan, "conf_high": math.nan, "significant": None, "error": str(exc)}
    return key | {"estimate": e.estimate, "std_error": e.std_error, "p_value": e.p_value,
                  "conf_low": e.conf_low, "conf_high": e.conf_high, "significant": e.significant, "error": None}


def placebo_time(
    fit_fn: Callable[[pd.DataFrame], Any],
    data: pd.DataFrame,
    fake_starts: Iterable[Any],
    *,
    tname: str,
    gname: str,
    alpha: float = 0.05,
) -> PlaceboResult:
    """Placebo in time: pretend the intervention started earlier.

    The data are cut to the periods before the earliest real start (so no real effect leaks in) and
    every treated unit gets the fake start; never-treated units stay never treated. ``fit_fn`` gets
    that frame and returns an :class:`~wijklib.results.Effect` or a result with ``.effect``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from wijklib.did import event_study
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame([(i, t, 12 if i < 15 else 0) for i in range(30) for t in range(18)], columns=["id", "t", "g"])
    >>> df["y"] = rng.normal(size=len(df))
    >>> fit = lambda d: event_study(d, yname="y", tname="t", idname="id", gname="g", window=(-3, 2))
    >>> res = placebo_time(fit, df, [6, 8], tname="t", gname="g")
    >>> list(res.tidy()["fake_start"])
    [6, 8]
    """
    g = data[gname]
    treated = treated_mask(g)
    if not treated.any():
        raise ValueError(f"no treated units in column {gname!r}")
    first_real = g[treated].min()
    rows = []
    is_dt = pd.api.types.is_datetime64_any_dtype(g)
    for fs in fake_starts:
        if is_dt:
            fs = pd.Timestamp(fs)
        if not fs < first_real:
            raise ValueError(f"fake start {fs!r} must lie before the earliest real start {first_real!r}")
        d = data.loc[data[tname] < first_real].copy()
        tr = treated_mask(d[gname])
        d[gname] = d[gname].where(~tr, fs)
        rows.append(_placebo_row({"fake_start": fs}, fit_fn, d))
    return PlaceboResult(pd.DataFrame(rows), "time", alpha)


def placebo_space(
    fit_fn: Callable[[pd.DataFrame], Any],
    data: pd.DataFrame,
    units: Iterable[Any],
    *,
    idname: str,
    gname: str,
    start: Any = None,
    real_estimate: float | None = None,
    alpha: float = 0.05,
) -> PlaceboResult:
    """Placebo in space: give the treatment to wards that did not get it.

    Real treated wards are removed; each ward in ``units`` (must be never treated) in turn gets the
    start ``start`` (default: the earliest real start). Pass ``real_estimate`` to get the rank of the
    real effect among the placebos (a permutation-style p-value, Abadie et al.).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from wijklib.did import twfe
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame([(i, t, 5 if i < 3 else 0) for i in range(20) for t in range(10)], columns=["id", "t", "g"])
    >>> df["y"] = rng.normal(size=len(df))
    >>> def fit(d):
    ...     d = d.assign(D=((d.g > 0) & (d.t >= d.g)).astype(int))
    ...     return twfe(d, yname="y", tname="t", idname="id", treat="D")
    >>> res = placebo_space(fit, df, [5, 6, 7], idname="id", gname="g")
    >>> len(res.tidy())
    3
    """
    g = data[gname]
    treated = treated_mask(g)
    if start is None:
        if not treated.any():
            raise ValueError(f"no treated units in column {gname!r} and no start= given")
        start = g[treated].min()
    base = data.loc[~treated]
    rows = []
    for u in units:
        if not (base[idname] == u).any():
            raise ValueError(f"placebo unit {u!r} is not a never-treated unit in column {idname!r}")
        d = assign_placebo_start(base, idname=idname, gname=gname, unit=u, start=start)
        rows.append(_placebo_row({"unit": u}, fit_fn, d))
    return PlaceboResult(pd.DataFrame(rows), "space", alpha, real_estimate)


# ----------------------------------------------------------------------------------------------
# Rambachan & Roth (2023) relative magnitudes
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HonestBounds:
    """Relative-magnitude bounds for the average post-period effect (one row per M-bar)."""

    table: pd.DataFrame
    estimate: float
    std_error: float
    max_pre_diff: float
    max_pre_diff_upper: float
    breakdown_mbar: float
    breakdown_mbar_identified: float
    alpha: float
    method: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def sentence(self) -> str:
        bd = self.breakdown_mbar
        if not np.isfinite(bd) or bd < 0.05:  # would print as "0,0 keer": say it plainly
            return ("Zelfs zonder afwijking van parallelle trends groter dan vóór de start is het effect niet "
                    "met zekerheid van nul te onderscheiden.")
        return (
            f"Het effect blijft aantoonbaar zolang de afwijking van parallelle trends na de start hooguit "
            f"{_fmt(bd, 1)} keer zo groot is als de grootste schommeling vóór de start (M = {_fmt(bd, 1)})."
        )


def honest_rm_bounds(
    betas: Any,
    vcov: np.ndarray | None = None,
    n_pre: int | None = None,
    *,
    Mbar: Sequence[float] = (0.5, 1.0, 1.5, 2.0),
    alpha: float = 0.05,
) -> HonestBounds:
    """Rambachan & Roth (2023) relative-magnitudes bounds for the average post-period effect.

    Restriction (Delta^RM(Mbar)): every post-period change in the trend violation is at most
    ``Mbar`` times the largest pre-period change, ``|d_{t+1} - d_t| <= Mbar * max_{s<0} |d_{s+1} - d_s|``,
    with ``d_{-1} = 0`` at the reference period. Then ``|d_e| <= (e+1) * Mbar * D`` for post event time e,
    so for ``theta = mean(beta_post - d_post)``:

    - identified set: ``theta_hat -/+ Mbar * D * mean(e+1)`` with ``D`` the max pre-period change
      computed from the estimates;
    - confidence interval (this implementation; **conservative**, not the paper's): a Bonferroni union
      of (i) a one-sided (1 - alpha/2) upper bound ``D_ub`` on the max pre-period change (max over the
      changes of ``|change| + z_{1-alpha/(4J)} * se``) and (ii) a (1 - alpha/2) interval for
      ``mean(beta_post)``: ``[theta_hat - z_{1-alpha/4} se - Mbar D_ub c, theta_hat + ... ]``. Coverage is
      at least 1 - alpha. Rambachan & Roth's conditional / hybrid (ARP) intervals are shorter; use the R
      package HonestDiD where the margin matters.
    - breakdown M-bar: largest Mbar whose robust CI excludes zero (and the same for the identified set).

    Parameters
    ----------
    betas
        Event-study coefficients ordered pre (``n_pre``, reference excluded, ending at e = -2) then post
        (e = 0, 1, ...); or an EventStudyResult (then ``vcov``/``n_pre`` are taken from it).
    vcov
        Their covariance.
    n_pre
        Number of pre-period coefficients.
    Mbar, alpha
        Relative magnitudes to report and 1 - confidence level.

    Examples
    --------
    >>> import numpy as np
    >>> b = np.array([0.05, -0.05, 0.0, 1.0, 1.2])  # e = -4, -3, -2 | 0, 1
    >>> hb = honest_rm_bounds(b, np.eye(5) * 0.01, 3)
    >>> bool(hb.breakdown_mbar > 0)
    True
    """
    if (hasattr(betas, "vcov") and hasattr(betas, "table")) or hasattr(betas, "detail"):
        b_all, V_all, et = _es_parts(betas)
        order = np.argsort(et)
        b_all, V_all, et = b_all[order], V_all[np.ix_(order, order)], et[order]
        n_pre = int((et < 0).sum())
    else:
        if vcov is None or n_pre is None:
            raise ValueError("pass vcov and n_pre with an array of betas")
        b_all, V_all = np.asarray(betas, float), np.asarray(vcov, float)
    k = len(b_all)
    if not 1 <= n_pre < k:
        raise ValueError(f"n_pre={n_pre} must leave at least one pre and one post coefficient (got {k} coefficients)")
    n_post = k - n_pre
    # pre-period deltas including the reference 0 at e = -1: changes between consecutive periods
    A = np.zeros((n_pre, k))  # rows: d_{s+1} - d_s for the pre periods
    for j in range(n_pre):
        if j < n_pre - 1:
            A[j, j + 1] = 1.0
            A[j, j] = -1.0
        else:  # last pre coefficient (e = -2) to the reference (0)
            A[j, j] = -1.0
    diffs = A @ b_all
    se_d = np.sqrt(np.clip(np.diag(A @ V_all @ A.T), 0, None))
    D = float(np.max(np.abs(diffs)))
    zJ = stats.norm.ppf(1 - alpha / (4 * n_pre))
    D_ub = float(np.max(np.abs(diffs) + zJ * se_d))
    a = np.zeros(k)
    a[n_pre:] = 1.0 / n_post
    theta = float(a @ b_all)
    se = float(math.sqrt(max(a @ V_all @ a, 0.0)))
    c = float(np.mean(np.arange(1, n_post + 1)))
    z2 = stats.norm.ppf(1 - alpha / 4)
    rows = []
    for M in Mbar:
        half_id = M * D * c
        half_ci = z2 * se + M * D_ub * c
        rows.append({"Mbar": float(M), "id_lower": theta - half_id, "id_upper": theta + half_id,
                     "ci_lower": theta - half_ci, "ci_upper": theta + half_ci,
                     "robust": bool(theta - half_ci > 0 or theta + half_ci < 0)})
    bd = (abs(theta) - z2 * se) / (D_ub * c) if D_ub > 0 else math.inf
    bd_id = abs(theta) / (D * c) if D > 0 else math.inf
    return HonestBounds(pd.DataFrame(rows), theta, se, D, D_ub, max(bd, 0.0), bd_id, alpha,
                        {"construction": "relative magnitudes, Bonferroni (conservative), not ARP hybrid",
                         "n_pre": n_pre, "n_post": n_post})


# ----------------------------------------------------------------------------------------------
# spillovers
# ----------------------------------------------------------------------------------------------


def _adjacency_pairs(adjacency: Any) -> pd.DataFrame:
    if isinstance(adjacency, pd.DataFrame):
        if not {"unit", "neighbour"} <= set(adjacency.columns):
            raise ValueError(f"adjacency needs columns unit, neighbour (as geo.adjacency); got {list(adjacency.columns)}")
        return adjacency[["unit", "neighbour"]]
    if isinstance(adjacency, dict):
        return pd.DataFrame([(u, n) for u, ns in adjacency.items() for n in ns], columns=["unit", "neighbour"])
    raise TypeError("adjacency must be a DataFrame[unit, neighbour] (wijklib.geo.adjacency) or a dict unit -> list")


def spillover_design(
    data: pd.DataFrame,
    treated_units: Iterable[Any],
    adjacency: Any,
    *,
    idname: str = "unit",
    mode: Literal["exclude", "ring"] = "exclude",
    tname: str | None = None,
    gname: str | None = None,
) -> pd.DataFrame:
    """Prepare data so that spillovers to neighbouring wards do not contaminate the controls.

    ``mode="exclude"``: drop untreated wards next to a treated ward (their outcome may be displaced
    crime or diffused benefits, so they are no clean control). ``mode="ring"``: keep them, with
    ``ring`` = 1 for those wards and, when ``tname`` and ``gname`` are given, ``ring_start`` (earliest
    start among adjacent treated wards) and ``ring_exposed`` (1 from that start on). Estimating the
    effect on the ring against the remaining controls (e.g. ``event_study(..., gname="ring_start")``
    on the untreated wards) tells displacement (ring worse) from diffusion of benefits (ring better),
    as in Butts (2021).

    Returns a new DataFrame (the input is not modified) with ``attrs["spillover"]`` describing it.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"unit": list("abcd"), "y": [1, 2, 3, 4]})
    >>> adj = {"a": ["b"], "b": ["a", "c"], "c": ["b"], "d": []}
    >>> list(spillover_design(df, ["a"], adj)["unit"])
    ['a', 'c', 'd']
    >>> list(spillover_design(df, ["a"], adj, mode="ring")["ring"])
    [0, 1, 0, 0]
    """
    if idname not in data.columns:
        raise KeyError(f"column {idname!r} (idname=) not in data; available: {list(data.columns)}")
    treated = set(treated_units)
    pairs = _adjacency_pairs(adjacency)
    ring_units = set(pairs.loc[pairs["unit"].isin(treated), "neighbour"]) | set(
        pairs.loc[pairs["neighbour"].isin(treated), "unit"])
    ring_units -= treated
    out = data.copy()
    is_ring = out[idname].isin(ring_units)
    if mode == "exclude":
        out = out.loc[~is_ring].copy()
    elif mode == "ring":
        out["ring"] = is_ring.astype(int).to_numpy()
        if tname is not None and gname is not None:
            starts = out.loc[out[idname].isin(treated)].groupby(idname)[gname].first()
            ring_start = {}
            for u in ring_units:
                nb = set(pairs.loc[pairs["unit"] == u, "neighbour"]) | set(pairs.loc[pairs["neighbour"] == u, "unit"])
                s = starts.reindex(sorted(nb & treated)).dropna()
                s = s[s != 0]
                if len(s):
                    ring_start[u] = s.min()
            rs = out[idname].map(ring_start)
            if pd.api.types.is_datetime64_any_dtype(out[gname]):
                rs = pd.to_datetime(rs)
            else:
                rs = rs.fillna(0)
            out["ring_start"] = rs
            out["ring_exposed"] = (out[idname].isin(ring_start.keys()) & (out[tname] >= rs)).astype(int)
    else:
        raise ValueError(f"mode must be 'exclude' or 'ring', got {mode!r}")
    out.attrs["spillover"] = {"mode": mode, "ring_units": sorted(map(str, ring_units)),
                              "n_ring_units": len(ring_units)}
    return out


# ----------------------------------------------------------------------------------------------
# regression to the mean
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RTMResult:
    """Regression-to-the-mean check: per treated ward, how unusual the last pre-period spell was."""

    table: pd.DataFrame
    flag: bool
    mean_z: float
    mean_excess: float
    threshold: float
    worse: str

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def sentence(self) -> str:
        if self.flag:
            return (
                f"Let op: vlak vóór de start was het in de aanpakwijken ongewoon {'hoog' if self.worse == 'higher' else 'laag'} "
                f"(gemiddeld {_fmt(self.mean_z, 1)} standaardafwijkingen boven de eigen trend, gecorrigeerd voor de "
                f"vergelijkingswijken). Een deel van de daling erna kan terugkeer naar het gemiddelde zijn."
            )
        return (
            "Er is geen aanwijzing dat de aanpakwijken zijn gekozen na een ongewoon slechte periode "
            f"(gemiddeld {_fmt(self.mean_z, 1)} standaardafwijkingen t.o.v. de eigen trend)."
        )


def regression_to_mean(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    window: int = 3,
    min_history: int = 6,
    worse: Literal["higher", "lower"] = "higher",
    threshold: float = 1.0,
) -> RTMResult:
    """Were treated wards selected right after an unusually bad spell (a regression-to-the-mean trap)?

    For each treated ward: fit a linear trend on its pre-start periods *before* the last ``window``
    periods, predict the last ``window`` periods, and express the gap (observed mean - predicted) in
    standard errors of that prediction. The same gap is computed for never-treated wards over the
    same calendar periods and subtracted (a city-wide bad spell is not selection). The check flags
    when the average adjusted z-score of the treated wards exceeds ``threshold`` in the "worse"
    direction (``worse="higher"`` for counts of reports or crimes).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame([(i, t, 12 if i < 5 else 0) for i in range(20) for t in range(20)], columns=["id", "t", "g"])
    >>> df["y"] = rng.normal(10, 1, len(df)) + np.where((df.g > 0) & df.t.between(9, 11), 4, 0)
    >>> regression_to_mean(df, yname="y", tname="t", idname="id", gname="g").flag
    True
    """
    for arg, c in {"yname": yname, "tname": tname, "idname": idname, "gname": gname}.items():
        if c not in data.columns:
            raise KeyError(f"column {c!r} ({arg}=) not in data; available: {list(data.columns)}")
    times = pd.Index(data[tname].dropna().unique()).sort_values()
    pos = {t: i for i, t in enumerate(times)}
    d = data[[idname, tname, gname, yname]].dropna(subset=[yname, tname]).copy()
    d["_tp"] = d[tname].map(pos)
    g = d[gname]
    never = g.isna() | (g == 0)
    sign = 1.0 if worse == "higher" else -1.0

    def gap(sub: pd.DataFrame, start_pos: int) -> tuple[float, float]:
        hist = sub[sub["_tp"] < start_pos - window]
        last = sub[(sub["_tp"] >= start_pos - window) & (sub["_tp"] < start_pos)]
        if len(hist) < min_history or len(last) == 0:
            return math.nan, math.nan
        x, y = hist["_tp"].to_numpy(float), hist[yname].to_numpy(float)
        X = np.column_stack([np.ones_like(x), x - x.mean()])
        coef, *_ = np.linalg.lstsq(X, y, rcond=None)
        resid = y - X @ coef
        s2 = float(resid @ resid / max(len(y) - 2, 1))
        xl = last["_tp"].to_numpy(float)
        Xl = np.column_stack([np.ones_like(xl), xl - x.mean()])
        pred = float((Xl @ coef).mean())
        xtx_inv = np.linalg.inv(X.T @ X)
        abar = Xl.mean(axis=0)
        var = s2 * (1 / len(last) + abar @ xtx_inv @ abar)
        return float(last[yname].mean() - pred), math.sqrt(var)

    rows = []
    ctrl_units = d.loc[never, idname].unique()
    cache: dict[int, float] = {}
    for u, sub in d[~never].groupby(idname, sort=True):
        st = sub[gname].iloc[0]
        sp_ = int(times.searchsorted(st))
        own, se = gap(sub, sp_)
        if sp_ not in cache:
            gaps = [gap(d[d[idname] == c], sp_)[0] for c in ctrl_units]
            gaps = [x for x in gaps if np.isfinite(x)]
            cache[sp_] = float(np.mean(gaps)) if gaps else 0.0
        excess = own - cache[sp_]
        z = sign * excess / se if se and np.isfinite(se) and se > 0 else math.nan
        rows.append({"unit": u, "start": st, "gap": own, "control_gap": cache[sp_], "excess": excess,
                     "se": se, "z": z})
    table = pd.DataFrame(rows)
    if table.empty or table["z"].notna().sum() == 0:
        raise ValueError(f"no treated unit has {min_history} periods of history before its last {window} pre-start periods")
    mean_z = float(table["z"].mean())
    return RTMResult(table, bool(mean_z > threshold), mean_z, float(table["excess"].mean()), threshold, worse)


# ----------------------------------------------------------------------------------------------
# reporting bias
# ----------------------------------------------------------------------------------------------

_REPORT_PREFIXES = ("n_", "rate_", "meldingen", "melding")


def reporting_bias_flags(outcome_names: Iterable[str]) -> pd.DataFrame:
    """Which outcomes count reports by the public (and so move with reporting behaviour)?

    Reports (meldingen via 14 010, MeldR, BuitenBeter) depend on willingness and ease of reporting:
    the MeldR app (1 January 2020) and visible enforcement can raise reports while the street gets
    cleaner (Rotterdam container reports 4,625 in 2015 vs 22,800 in 2017). Police-registered crime is
    also partly report-driven. Survey indices and handling times are not counts of reports.

    Examples
    --------
    >>> reporting_bias_flags(["n_afval", "doorlooptijd_mediaan"])["report_based"].tolist()
    [True, False]
    """
    rows = []
    for name in outcome_names:
        low = str(name).lower()
        report = low.startswith(_REPORT_PREFIXES) and "uren" not in low
        police = any(k in low for k in ("misdrijf", "politie", "aangifte", "crime"))
        if police:
            reden = "geregistreerde criminaliteit hangt deels af van aangiftebereidheid en politie-inzet"
        elif report:
            reden = ("telt meldingen van bewoners: meer meldingen kan ook betekenen dat melden makkelijker "
                     "werd (MeldR sinds 1-1-2020) of dat handhavers zichtbaarder zijn")
        else:
            reden = "geen telling van meldingen"
        rows.append({"outcome": name, "report_based": bool(report or police), "reden": reden})
    return pd.DataFrame(rows)


def reporting_breaks(
    data: pd.DataFrame,
    *,
    tname: str,
    breaks: Sequence[Any] = ("2020-01",),
    by: str | None = None,
) -> pd.DataFrame:
    """Step covariates for reporting-channel changes: ``break_<date>`` = 1 from that period on.

    With time fixed effects a city-wide step is absorbed already; pass ``by`` (a unit-level column,
    e.g. the app-adoption share of a ward) to get ``break_<date>_x_<by>``, a step whose size varies
    by ward and is *not* absorbed. Without time effects (ITS) the plain step is the right control.
    Returns a copy of ``data`` with the new columns added.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"maand": pd.to_datetime(["2019-12-01", "2020-01-01", "2020-02-01"])})
    >>> reporting_breaks(df, tname="maand")["break_2020_01"].tolist()
    [0, 1, 1]
    """
    if tname not in data.columns:
        raise KeyError(f"column {tname!r} (tname=) not in data")
    out = data.copy()
    t = out[tname]
    for b in breaks:
        if pd.api.types.is_datetime64_any_dtype(t):
            bt = pd.Timestamp(b)
            col = f"break_{bt:%Y_%m}"
        else:
            bt = b
            col = f"break_{b}"
        out[col] = (t >= bt).astype(int)
        if by is not None:
            if by not in out.columns:
                raise KeyError(f"column {by!r} (by=) not in data")
            out[f"{col}_x_{by}"] = out[col] * pd.to_numeric(out[by], errors="raise")
    return out
