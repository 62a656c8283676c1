"""Wooldridge's (2023) extended two-way fixed effects Poisson (PPML) for staggered count outcomes.

Model (Wooldridge 2023, *Econometrics Journal* 26(3), "Simple approaches to nonlinear
difference-in-differences with panel data"): for unit i in adoption cohort g and period t,

    E[y_it] = exp(alpha_i + lambda_t + sum_{g,s} tau_gs * 1[G_i = g] * 1[t = s] + offset_it)

with unit effects ``alpha_i`` (for Poisson these give the same ``tau`` as cohort dummies) and one
``tau_gs`` per treated cohort and period:

- ``control_group="nevertreated"``: interactions for every period except the cohort's last pre-period
  ``g-1`` (the reference), so only never-treated units identify the time effects and the pre-period
  ``tau_gs`` (s < g) are placebo checks. With ``baseline="average"`` (default) all of a cohort's
  effects are then re-expressed against its average pre-period level (a linear map of the fitted
  ``tau``, covariance by the delta method) instead of the single month ``g-1``;
- ``control_group="notyettreated"``: interactions only for s >= g (Wooldridge's default), so
  not-yet-treated observations also act as controls; when every unit is eventually treated the
  periods from the last cohort's start on are dropped.

Headline scale: the **rate ratio** ``exp(tau_gs)`` = E[y|treated] / E[y0|treated] in that cell
(e.g. 0.85 = 15% fewer reports than without the intervention). Aggregations
(:meth:`PoissonDiDResult.aggregate`) weight cells by cohort size as R ``did`` does and are computed
on the ATT (level) scale: ``ATT = sum w (ybar - ybar0)`` with ``ybar0 = ybar * exp(-tau)``; the
aggregated rate ratio is ``sum w ybar / sum w ybar0``. Both are reported; the ratio is the headline.

Sparse panels: a post-period cell whose counts are all zero has ``tau = -inf`` (rate ratio 0). Its
counterfactual mean ``ybar0`` = mean of ``exp(alpha_i + lambda_t + offset)`` over its units does not
involve its own ``tau``, so it is still estimated and the cell enters the aggregations with
``ybar = 0`` (leaving it out keeps only months with counts and biases the ratio upwards). For a
cell with counts ``ybar * exp(-tau)`` equals that mean exactly (the cell dummy's first-order
condition), so dense panels give the same aggregates as before. The delta method runs over the
coordinates ``v = tau`` (cells with counts) and ``v = -log(ybar0)`` (zero cells), both linear in the
fitted parameters with the unit effects concentrated out.

The fit is IRLS with the unit effects concentrated out exactly at every step
(:func:`wijklib.did.fixed_effects.fe_wls`), time effects and interactions as sparse columns; no dense
unit dummies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from wijklib.arguments import check_seed, log_offset, resolve_alpha
from wijklib.did._blas import _single_blas_thread
from wijklib.did._checks import (
    _check_constant_within,
    _check_unique,
    _cohort_codes,
    _numeric,
    _require_columns,
    _time_codes,
)
from wijklib.did.fixed_effects import (
    TypedDesign,
    cluster_scores_typed,
    cr1_vcov,
    fe_wls,
    fe_wls_typed,
    typed_meat,
)
from wijklib.inference import iqr_se, multiplier_weights
from wijklib.results import (
    DEFAULT_SEED,
    Effect,
    Method,
    PreTest,
    ResultProtocol,
    no_pretest,
    protocol_tidy,
    tidy_frame,
)
from wijklib.results import term as _term

__all__ = ["poisson", "PoissonDiDResult", "PoissonAggResult", "fit_fepois"]

Inference = Literal["analytic", "wild", "randomization", "auto"]
AggType = Literal["simple", "dynamic", "group", "calendar"]


# ----------------------------------------------------------------------------------------------
# PPML with unit effects concentrated out
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PPMLFit:
    theta: np.ndarray
    bread: np.ndarray
    keep: np.ndarray
    mu: np.ndarray
    unit_effect: np.ndarray
    iterations: int
    deviance: float
    converged: bool


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2 * np.sum(t - (y - mu)))


def fit_fepois(
    Z: sp.spmatrix | TypedDesign,
    y: np.ndarray,
    unit: np.ndarray,
    n_units: int,
    offset: np.ndarray | None = None,
    *,
    tol: float = 1e-10,
    maxiter: int = 100,
) -> _PPMLFit:
    """Poisson pseudo-ML with unit fixed effects absorbed, by IRLS.

    Each iteration is a weighted least-squares fit (weights ``mu``) of the working response
    ``eta - offset + (y - mu)/mu`` with the unit effects concentrated out exactly. Convergence on
    the relative change in deviance (``tol``), with step halving if the deviance goes up.
    Units whose outcome is zero in every period must be removed beforehand (their effect is -inf).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> rng = np.random.default_rng(0)
    >>> unit = np.repeat(np.arange(50), 4); x = np.tile([0., 0, 1, 1], 50)
    >>> y = rng.poisson(np.exp(1 + 0.5 * x + rng.normal(size=50)[unit]))
    >>> keep = np.bincount(unit, weights=y)[unit] > 0
    >>> codes = np.unique(unit[keep], return_inverse=True)[1]
    >>> fit = fit_fepois(sp.csc_matrix(x[keep][:, None]), y[keep].astype(float), codes, codes.max() + 1)
    >>> bool(abs(fit.theta[0] - 0.5) < 0.15)
    True
    """
    off = np.zeros(len(y)) if offset is None else offset
    if isinstance(Z, TypedDesign):
        def solve(zr, w, need_bread):
            return fe_wls_typed(Z, zr, unit, n_units, w, need_bread=need_bread)
    else:
        def solve(zr, w, need_bread):
            return fe_wls(Z, zr, unit, n_units, w, need_bread=need_bread)
    # starting values as in glm(): mu = (y + mean(y)) / 2
    mu = (y + y.mean()) / 2
    eta = np.log(mu)
    # the starting mu is not a model fit (it can have a lower deviance than the MLE), so the
    # first step is never halved
    dev = math.inf
    converged = False
    fit = None
    it = 0
    while it < maxiter:
        it += 1
        zresp = eta - off + (y - mu) / mu
        fit = solve(zresp, mu, False)
        eta_new = zresp - fit.resid + off  # fitted linear predictor = Z theta + alpha + offset
        mu_new = np.exp(eta_new)
        dev_new = _deviance(y, mu_new)
        halvings = 0
        while (not np.isfinite(dev_new) or (np.isfinite(dev) and dev_new > dev * (1 + 1e-12) + 1e-12)) and halvings < 30:
            eta_new = (eta + eta_new) / 2
            mu_new = np.exp(eta_new)
            dev_new = _deviance(y, mu_new)
            halvings += 1
        crit = abs(dev_new - dev) / (0.1 + abs(dev_new))
        eta, mu, dev = eta_new, mu_new, dev_new
        if crit < tol:
            converged = True
            break
    # one final weighted solve at the converged mu gives theta, bread and unit effects consistently
    zresp = eta - off + (y - mu) / mu
    fit = solve(zresp, mu, True)
    return _PPMLFit(fit.theta, fit.bread, fit.keep, mu, fit.unit_effect, it, dev, converged)


# ----------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class PoissonAggResult(ResultProtocol):
    """Aggregated Poisson DiD effects (``PoissonDiDResult.aggregate``).

    ``tidy()`` rows: the headline ``overall`` first, then (dynamic / group / calendar) one row per
    event time / cohort / period; the aggregated rate ratio (``estimate``, ``conf_low``,
    ``conf_high`` on the ratio scale, ``std_error`` of the log ratio) plus ``att`` /
    ``att_std_error`` / ``att_conf_low`` / ``att_conf_high`` on the level scale (counts per
    unit-period), with ``event_time`` / ``group`` / ``time`` keys where relevant. ``effect`` (=
    ``overall``) is the headline; ``pretest()`` is the parent fit's.
    """

    type: str
    table: pd.DataFrame
    overall: Effect
    method: Method = field(default_factory=dict)
    _parent: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method.of(self.method, estimator="Poisson DiD", inference="analytic",
                                                     alpha=self.overall.alpha))

    @property
    def effect(self) -> Effect:
        """The headline aggregated rate ratio (``overall``)."""
        return self.overall

    def tidy(self) -> pd.DataFrame:
        t = self.table
        if self.type != "simple" or not len(t):
            t = pd.concat([tidy_frame([self.overall]), t], ignore_index=True) if len(t) else tidy_frame([self.overall])
        return protocol_tidy(t, scale="ratio", alpha=self.overall.alpha)

    def pretest(self) -> PreTest:
        if self._parent is None:
            return no_pretest("aggregation without its parent fit")
        return self._parent.pretest()

    def _interval_reference(self) -> tuple[str, float | None] | None:
        return ("normal", None) if self.method["inference"] == "analytic" else None

    def _headline(self) -> str:
        e = self.overall
        pct = (e.estimate - 1) * 100
        return (
            f"Poisson DiD ({self.type}): rate ratio {e.estimate:.3f} "
            f"[{e.conf_low:.3f}, {e.conf_high:.3f}] ({pct:+.1f}%), p = {e.p_value:.3g}; "
            f"ATT {e.extra.get('att', math.nan):.3f} per unit-period; inference {self.method.get('inference')}"
        )

    def _summary_lines(self) -> list[str]:
        cols = ["term", "estimate", "std_error", "p_value", "conf_low", "conf_high", "att", "att_std_error"]
        t = self.tidy()
        return [t[[c for c in cols if c in t.columns]].to_string(index=False, float_format=lambda x: f"{x:.4f}")]

    def _draw(self, ax: Any, *, title: str | None = None) -> None:
        """Rate ratios with confidence intervals on a log axis (1 = no effect)."""
        t = self.table
        key = {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(self.type)
        x = np.arange(len(t)) if key is None else t[key].to_numpy()
        xs = x if np.issubdtype(np.asarray(x).dtype, np.number) or np.issubdtype(np.asarray(x).dtype, np.datetime64) \
            else np.arange(len(x))
        est = t["estimate"].to_numpy(float)
        lo, hi = t["conf_low"].to_numpy(float), t["conf_high"].to_numpy(float)
        ax.errorbar(xs, est, yerr=[est - lo, hi - est], fmt="o", ms=3, capsize=2, color="C0")
        ax.axhline(1.0, color="0.4", lw=0.8)
        if self.type == "dynamic":
            ax.axvline(-0.5, color="0.4", lw=0.8, ls="--")
        if np.all(est[np.isfinite(est)] > 0):
            ax.set_yscale("log")
        ax.set_xlabel({"event_time": "periode t.o.v. start", "group": "startcohort", "time": "periode"}.get(key or "", ""))
        ax.set_ylabel("verhouding t.o.v. zonder aanpak")
        ax.set_title(title or f"Poisson DiD ({self.type})")

    def sentence(self) -> str:
        """Short Dutch sentence for a report."""
        e = self.overall
        pct = (1 - e.estimate) * 100
        richting = "minder" if e.estimate < 1 else "meer"
        sig = "statistisch significant" if e.significant else "niet statistisch significant"
        return (
            f"Na de start lag het aantal gemiddeld {abs(pct):.0f}% {richting} dan zonder de aanpak "
            f"verwacht (verhouding {e.estimate:.2f}, 95%-interval {e.conf_low:.2f}–{e.conf_high:.2f}); "
            f"dit is {sig}."
        )


@dataclass(frozen=True, repr=False)
class PoissonDiDResult(ResultProtocol):
    """Result of :func:`poisson`: per (cohort, period) rate ratios and their aggregations.

    ``cells`` has one row per treated cohort x period (``group``, ``time``, ``event_time``, ``tau``
    (log rate ratio; -inf for a zero cell), ``std_error``, ``ybar`` (observed = fitted mean of the
    cell), ``ybar0`` (counterfactual mean), ``n_units``, ``zero`` (the cell's counts are all zero)).
    Post-period cells whose counts are all zero are in ``zero_cells`` (same columns, ``tau = -inf``)
    and enter the aggregations; ``vcov`` is the covariance of ``cells["tau"]`` (rows aligned).
    ``effect`` is the ``aggregate("simple")`` headline rate ratio. ``tidy()`` terms are
    ``cell::<group>:<time>``.
    """

    cells: pd.DataFrame
    vcov: np.ndarray  # covariance of cells["tau"] (rows aligned)
    effect: Effect
    method: Method = field(default_factory=dict)
    _boot: np.ndarray | None = field(default=None, repr=False)  # draws of tau (B x n_cells)
    _null: tuple[pd.DataFrame, ...] | None = field(default=None, repr=False)  # permutation cell tables
    zero_cells: pd.DataFrame | None = None  # post-period cells with zero counts (rate ratio 0)
    _vall: np.ndarray | None = field(default=None, repr=False)  # covariance over cells + zero_cells

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method.of(self.method, estimator="Poisson DiD", inference="analytic",
                                                     alpha=self.effect.alpha))

    def _all(self) -> tuple[pd.DataFrame, np.ndarray]:
        """Cells with counts followed by the zero cells, and the covariance of their coordinates."""
        if self.zero_cells is None or not len(self.zero_cells):
            return self.cells, self.vcov
        allc = pd.concat([self.cells, self.zero_cells], ignore_index=True)
        return allc, (self._vall if self._vall is not None else np.full((len(allc), len(allc)), np.nan))

    def tidy(self) -> pd.DataFrame:
        """One row per (cohort, period): rate ratio with CI, plus level-scale ATT."""
        return protocol_tidy(self._cell_table(), scale="ratio", alpha=self.effect.alpha)

    def _interval_reference(self) -> tuple[str, float | None] | None:
        return ("normal", None) if self.method["inference"] == "analytic" else None

    def pretest(self) -> PreTest:
        """Joint Wald test that the pre-period log rate ratios are 0 (cluster-robust covariance).

        Only ``control_group="nevertreated"`` estimates pre-period cells (with
        ``baseline="average"`` they are deviations from the cohort's average pre-period level, so the
        degrees of freedom are the covariance's rank). With few treated units the cluster-robust
        covariance is too small, which ``test`` then says.
        """
        c = self.cells
        V = np.asarray(self.vcov, dtype=float)
        pre = (c["event_time"].to_numpy() < 0) & np.isfinite(c["tau"].to_numpy(float))
        if V.size:
            pre &= np.isfinite(np.diag(V)) & (np.abs(np.diag(V)) > 0)
        idx = np.flatnonzero(pre)
        if idx.size == 0:
            why = ("control_group='notyettreated' estimates no pre-period cells"
                   if self.method.get("control_group") == "notyettreated" else "no pre-period cells were estimated")
            return no_pretest(why)
        b = c["tau"].to_numpy(float)[idx]
        Vs = V[np.ix_(idx, idx)]
        stat = float(b @ np.linalg.pinv(Vs) @ b)
        df = int(np.linalg.matrix_rank(Vs))
        test = "Wald chi2 (cluster-robust), H0: all pre-period log rate ratios = 0"
        n_tr = self.method.get("n_treated_units")
        if n_tr is not None and n_tr < 10:
            test += f"; only {n_tr} treated units: cluster-robust SEs tend to be too small"
        terms = tuple(_term("cell", g, t) for g, t in zip(c["group"].to_numpy()[idx], c["time"].to_numpy()[idx],
                                                           strict=True))
        return PreTest(stat, df, float(stats.chi2.sf(stat, df)) if df > 0 else math.nan, terms, test=test)

    def _summary_lines(self) -> list[str]:
        m = self.method
        return [f"{len(self.cells)} cohort x period cells; baseline: {m.get('baseline')}",
                self.aggregate("simple").summary(as_string=True)]

    def _draw(self, ax: Any, *, title: str | None = None) -> None:
        """The dynamic aggregation (rate ratio per event time)."""
        self.aggregate("dynamic")._draw(ax, title=title)

    def _crit(self) -> float:
        return float(stats.norm.ppf(1 - self.method["alpha"] / 2))

    def _cell_table(self) -> pd.DataFrame:
        c, V = self._all()
        zero = c["zero"].to_numpy(bool) if "zero" in c else np.zeros(len(c), dtype=bool)
        sd_v = np.sqrt(np.abs(np.diag(V))) if V.size else np.full(len(c), np.nan)
        alpha = self.method["alpha"]
        z = self._crit()
        eff = []
        for i, r in enumerate(c.itertuples(index=False)):
            if zero[i]:
                # zero counts in the cell: the rate ratio is 0 and its log has no standard error;
                # the level-scale effect -ybar0 does (the counterfactual is estimated)
                att, se_att = -float(r.ybar0), float(r.ybar0 * sd_v[i])
                eff.append(Effect(
                    _term("cell", r.group, r.time), 0.0, math.nan, math.nan, math.nan, math.nan,
                    scale="ratio", alpha=alpha,
                    extra=dict(group=r.group, time=r.time, event_time=int(r.event_time), att=att,
                               att_std_error=se_att, att_conf_low=att - z * se_att,
                               att_conf_high=att + z * se_att,
                               note="zero counts in the cell: rate ratio 0 (log scale undefined); "
                                    "see att and att_std_error")))
                continue
            att = r.ybar * (1 - math.exp(-r.tau)) if np.isfinite(r.tau) else math.nan
            eff.append(Effect.from_linear(
                _term("cell", r.group, r.time), float(r.tau), float(r.std_error), scale="ratio",
                alpha=alpha, group=r.group, time=r.time, event_time=int(r.event_time),
                att=att, att_std_error=r.ybar * math.exp(-r.tau) * r.std_error,
            ))
        return tidy_frame(eff)

    def aggregate(self, type: AggType = "simple") -> PoissonAggResult:  # noqa: A002 - R did name
        """Aggregate cell effects like R ``did::aggte``: "simple", "dynamic", "group", "calendar".

        Weights are cohort sizes (number of units), on the ATT scale; see the module docstring.
        """
        if type not in ("simple", "dynamic", "group", "calendar"):
            raise ValueError(f"type must be simple, dynamic, group or calendar, got {type!r}")
        c, _ = self._all()
        ok = np.isfinite(c["tau"].to_numpy(float))
        if "zero" in c:
            # zero cells (rate ratio 0) stay in: leaving them out keeps only the months with counts
            ok = ok | (c["zero"].to_numpy(bool) & np.isfinite(c["ybar0"].to_numpy(float)))
        post = (c["event_time"].to_numpy() >= 0) & ok
        n = c["n_units"].to_numpy(float)
        ids: list[tuple[str, dict[str, Any], np.ndarray]] = []
        if type == "simple":
            ids.append(("overall", {}, np.where(post, n, 0.0)))
        elif type == "dynamic":
            for e in sorted(c.loc[ok, "event_time"].unique()):
                m = ok & (c["event_time"].to_numpy() == e)
                ids.append((_term("event_time", int(e)), {"event_time": int(e)}, np.where(m, n, 0.0)))
        elif type == "group":
            for g in sorted(c.loc[post, "group"].unique()):
                m = post & (c["group"].to_numpy() == g)
                ids.append((_term("group", g), {"group": g}, np.where(m, 1.0 / m.sum(), 0.0)))
        else:
            for t in sorted(c.loc[post, "time"].unique()):
                m = post & (c["time"].to_numpy() == t)
                ids.append((_term("time", t), {"time": t}, np.where(m, n, 0.0)))
        nulls: dict[str, np.ndarray] = {}
        if self.method["inference"] == "randomization" and self._null is not None:
            nulls = _null_by_term(self._null, self.method, type)
        rows = [self._agg_one(term, keys, w, nulls.get(term)) for term, keys, w in ids]
        # overall headline per R did: simple = itself; dynamic = average over e >= 0; group = cohort-size
        # weighted over groups; calendar = equal over periods
        if type == "simple":
            overall = replace(rows[0], term="overall")
        elif type == "dynamic":
            ws = [w for (_, k, w) in ids if k["event_time"] >= 0]
            overall = self._agg_combo(ws, equal=True, null=nulls.get("overall"))
        elif type == "group":
            ws = []
            for _, k, w in ids:
                g_n = n[c["group"].to_numpy() == k["group"]][0]
                ws.append(w * g_n)
            overall = self._agg_combo(ws, equal=False, null=nulls.get("overall"))
        else:
            overall = self._agg_combo([w for _, _, w in ids], equal=True, null=nulls.get("overall"))
        table = tidy_frame(rows)
        return PoissonAggResult(type, table, overall, self.method.replace(aggregation=type), self)

    # -- aggregation helpers ---------------------------------------------------------------------

    def _lin(self, w: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray]:
        """Log aggregated ratio and its gradient in tau, ATT and its gradient (ybar held fixed)."""
        c, _ = self._all()
        yb = c["ybar"].to_numpy(float)
        num = float(np.sum(w * yb))
        if "ybar0" in c:
            y0 = np.nan_to_num(c["ybar0"].to_numpy(float))
        else:
            y0 = yb * np.exp(-np.nan_to_num(c["tau"].to_numpy(float)))
        den = float(np.sum(w * y0))
        W = w.sum()
        log_rr = math.log(num / den) if num > 0 and den > 0 else -math.inf
        g_rr = w * y0 / den
        att = (num - den) / W
        g_att = w * y0 / W
        return log_rr, g_rr, att, g_att

    def _finish(self, term: str, keys: dict[str, Any], log_rr: float, g_rr: np.ndarray, att: float,
                g_att: np.ndarray, null: np.ndarray | None = None) -> Effect:
        allc, V = self._all()
        V = np.nan_to_num(V)
        alpha = self.method["alpha"]
        se = float(math.sqrt(max(g_rr @ V @ g_rr, 0.0)))
        se_att = float(math.sqrt(max(g_att @ V @ g_att, 0.0)))
        inf = self.method["inference"]
        z = self._crit()
        p = None
        if inf == "wild" and self._boot is not None:
            draws = self._boot - _coords(allc)  # centred draws of the coordinates
            d_rr = draws @ g_rr
            d_att = draws @ g_att
            se = float(iqr_se(d_rr)[0])
            se_att = float(iqr_se(d_att)[0])
            p = float(np.mean(np.abs(d_rr) >= abs(log_rr))) if se > 0 else math.nan
        elif inf == "randomization" and null is not None and len(null):
            p = float((1 + np.sum(np.abs(null) >= abs(log_rr) - 1e-12)) / (len(null) + 1))
        eff = Effect.from_linear(term, log_rr, se, scale="ratio", alpha=alpha, p_value=p, **keys)
        extra = dict(eff.extra, att=att, att_std_error=se_att, att_conf_low=att - z * se_att,
                     att_conf_high=att + z * se_att)
        if inf == "randomization":
            # randomization inference gives a p-value under the sharp null, not an interval
            eff = Effect(eff.term, eff.estimate, eff.std_error, math.nan, math.nan, eff.p_value,
                         eff.statistic, eff.scale, eff.alpha, extra)
        else:
            eff = Effect(eff.term, eff.estimate, eff.std_error, eff.conf_low, eff.conf_high, eff.p_value,
                         eff.statistic, eff.scale, eff.alpha, extra)
        return eff

    def _agg_one(self, term: str, keys: dict[str, Any], w: np.ndarray,
                 null: np.ndarray | None = None) -> Effect:
        if not (w > 0).any():
            # no identified cell to aggregate (e.g. every post-period cell was left out: see
            # method["not_identified"]): the effect is not estimable, not 0/0
            return Effect(term, math.nan, math.nan, math.nan, math.nan, math.nan, scale="ratio",
                          alpha=self.method["alpha"], extra=dict(keys, att=math.nan, att_std_error=math.nan))
        log_rr, g_rr, att, g_att = self._lin(w)
        if not np.isfinite(log_rr):
            # every aggregated cell has zero counts: the observed ratio is 0 but there is no
            # log-scale interval or test, so the rate ratio is reported as not estimable (NaN) and
            # only the level-scale difference is given
            extra = dict(keys, att=att, att_std_error=math.nan,
                         note="zero counts in every aggregated cell: observed rate ratio 0, no interval")
            return Effect(term, math.nan, math.nan, math.nan, math.nan, math.nan, scale="ratio",
                          alpha=self.method["alpha"], extra=extra)
        return self._finish(term, keys, log_rr, g_rr, att, g_att, null=null)

    def _agg_combo(self, ws: list[np.ndarray], *, equal: bool, null: np.ndarray | None = None) -> Effect:
        """Overall effect as a combination of sub-aggregates (R did's overall for dynamic/group/calendar)."""
        if not ws:
            return Effect("overall", math.nan, math.nan, math.nan, math.nan, math.nan, scale="ratio")
        w = np.zeros(len(self._all()[0]))
        for wi in ws:
            w += wi / wi.sum() if equal else wi
        return self._agg_one("overall", {}, w, null)


# ----------------------------------------------------------------------------------------------
# main entry
# ----------------------------------------------------------------------------------------------


def _prepare(data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str,
             offset: str | None) -> dict[str, Any]:
    _require_columns(data, {"yname": yname, "tname": tname, "idname": idname, "gname": gname,
                            "offset": offset})
    _check_unique(data, idname, tname)
    y = _numeric(data, yname, what="count outcome")
    ok = np.isfinite(y) & data[idname].notna().to_numpy() & data[tname].notna().to_numpy()
    if (y[ok] < 0).any():
        pos = int(np.flatnonzero(ok & (y < 0))[0])
        raise ValueError(f"column {yname!r} must be non-negative counts; row {pos} holds {y[pos]!r}")
    off = None
    if offset is not None:
        off = _numeric(data, offset, what="offset (log exposure)")
        ok &= np.isfinite(off)
    n_missing = int((~ok).sum())
    sub = data.loc[ok, list(dict.fromkeys([idname, tname, gname]))]
    tcode, times = _time_codes(sub[tname])
    gpos, ginfo = _cohort_codes(sub[gname], times)
    ucode, units = pd.factorize(sub[idname], sort=True)
    _check_constant_within(ucode, gpos, len(units), col=gname, idname=idname, labels=np.asarray(units))
    return dict(y=y[ok], off=None if off is None else off[ok], t=tcode, times=times, g=gpos,
                u=ucode.astype(np.int64), units=np.asarray(units), n_missing=n_missing, ginfo=ginfo)


def _compact(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Present values (sorted) and codes re-numbered 0..k-1, via bincount (no sort)."""
    present = np.bincount(codes, minlength=size) > 0
    newpos = np.cumsum(present) - 1
    return np.flatnonzero(present), newpos[codes].astype(np.int64)


def _design(y: np.ndarray, t: np.ndarray, g: np.ndarray, u: np.ndarray, off: np.ndarray | None,
            control_group: str) -> dict[str, Any]:
    """Drop uninformative rows and build the typed design (time dummies, then cohort x period cells).

    Integer keys and bincounts throughout: on 1.7 million rows pandas group-bys and MultiIndex
    look-ups took several seconds (measured), more than the fit itself.
    """
    keep = g != -2  # always treated: no untreated period
    notes: dict[str, Any] = {"always_treated_rows": int((~keep).sum())}
    never = g == -1
    T0 = int(t.max()) + 1
    n_u0 = int(u.max()) + 1
    if control_group == "nevertreated":
        if not never[keep].any():
            raise ValueError(
                "control_group='nevertreated' but no unit is never treated; use "
                "control_group='notyettreated' (then periods from the last cohort's start on are dropped)"
            )
    elif not never[keep].any():
        last = g[keep].max()
        keep &= t < last
        g = np.where(g == last, -1, g)
        notes["last_cohort_as_control"] = int(last)

    def cell_mask(k: np.ndarray) -> np.ndarray:
        treated = (g >= 0) & k
        return treated & ((t != g - 1) if control_group == "nevertreated" else (t >= g))

    key_all = np.where(g >= 0, g, 0).astype(np.int64) * T0 + t
    zero_rows = np.zeros(len(y), dtype=bool)  # rows of cells dropped for having zero counts
    dropped_zero_units = 0
    dropped_cells = 0
    dropped_periods: set[int] = set()
    dropped_cohorts: set[int] = set()
    # Iteratively drop rows whose parameters have no finite maximum-likelihood value (separation,
    # Correia, Guimaraes & Zylkin 2021); they carry no information on the other parameters, but left
    # in they drive the fit to mu ~ 0 and make the Hessian numerically singular, so the sandwich
    # covariance gets negative diagonals. In this saturated design the separating directions are:
    # - a unit with zero counts in every period (its unit effect -> -inf);
    # - a cohort x period cell with zero counts (its tau -> -inf);
    # - a period whose untreated ("control") rows are all zero or absent: the period effect is fitted
    #   from those rows only (the cell rows have their own tau), so lambda_t -> -inf while every
    #   tau_gt at t -> +inf: the cells of that period have no counterfactual and are not identified;
    #   more generally a set of such periods together with the cohorts whose untreated rows all
    #   fall in it (see _isolated_periods);
    # - a cohort whose untreated rows (its pre-periods) are all zero: the cohort's unit effects ->
    #   -inf and its taus -> +inf (no baseline level to compare with).
    for _ in range(50):
        changed = False
        ysum = np.bincount(u[keep], weights=y[keep], minlength=n_u0)
        ucount = np.bincount(u[keep], minlength=n_u0)
        bad_u = (ysum == 0) & (ucount > 0)
        if bad_u.any():
            dropped_zero_units += int(bad_u.sum())
            keep &= ~bad_u[u]
            changed = True
        cm = cell_mask(keep)
        csum = np.bincount(key_all[cm], weights=y[cm], minlength=T0 * T0)
        ccnt = np.bincount(key_all[cm], minlength=T0 * T0)
        zero = (ccnt > 0) & (csum == 0)
        if zero.any():
            dropped_cells += int(zero.sum())
            zero_rows |= cm & zero[key_all]
            keep &= ~(cm & zero[key_all])
            changed = True
        zt, zc = _isolated_periods(y, t, g, keep, cell_mask(keep), T0)
        if zt.any():
            dropped_periods.update(int(v) for v in np.flatnonzero(zt))
            dropped_cohorts.update(int(v) for v in np.flatnonzero(zc))
            keep &= ~zt[t] & ~np.append(zc, False)[np.where(g >= 0, g, T0)]
            changed = True
        ctrl = keep & ~cell_mask(keep)
        gk = np.where(g >= 0, g, T0)  # never treated -> T0 (not a cohort)
        gcnt = np.bincount(gk[keep], minlength=T0 + 1)[:T0]
        gsum = np.bincount(gk[ctrl], weights=y[ctrl], minlength=T0 + 1)[:T0]
        zg = (gcnt > 0) & (gsum == 0)
        if zg.any():
            dropped_cohorts.update(int(v) for v in np.flatnonzero(zg))
            keep &= ~np.append(zg, False)[gk]
            changed = True
        if not changed:
            break
    else:  # pragma: no cover - each pass removes rows, so this needs > 50 nested separations
        raise RuntimeError("separation check did not settle in 50 passes")
    # dropped periods and cohorts as period codes (the caller maps them to dates)
    notes.update(periods_without_control_counts=sorted(dropped_periods),
                 cohorts_without_pre_counts=sorted(dropped_cohorts))
    notes.update(dropped_all_zero_units=dropped_zero_units, dropped_all_zero_cells=dropped_cells)
    cellmask = cell_mask(keep)[keep]
    # Zero post-period cells stay in the aggregations (ratio 0): their counterfactual mean
    # exp(alpha_i + lambda_t + offset) does not involve the cell's own tau, so it is estimable as
    # long as the unit, the period and the cohort are still in the fit.
    gk_all = np.where(g >= 0, g, T0)
    cohort_ok = ~np.isin(gk_all, np.asarray(sorted(dropped_cohorts), dtype=np.int64))
    zr = zero_rows & (t >= g) & (g >= 0) & cohort_ok
    zr &= (np.bincount(u[keep], minlength=n_u0) > 0)[u] & (np.bincount(t[keep], minlength=T0) > 0)[t]
    zr &= ~keep
    z_u, z_t, z_key = u[zr], t[zr], key_all[zr]
    z_off = None if off is None else off[zr]
    y, t, g, u, key_all = y[keep], t[keep], g[keep], u[keep], key_all[keep]
    off = None if off is None else off[keep]
    tc, tt = _compact(t, T0)
    uc, uu = _compact(u, n_u0)
    u_new = np.cumsum(np.bincount(u, minlength=n_u0) > 0) - 1
    t_new = np.cumsum(np.bincount(t, minlength=T0) > 0) - 1
    zkeys, zidx = np.unique(z_key, return_inverse=True)
    zcell = pd.DataFrame({"g": zkeys // T0, "t": zkeys % T0,
                          "n_units": np.bincount(zidx, minlength=len(zkeys)).astype(np.int64)})
    zrows = dict(u=u_new[z_u].astype(np.int64), t=t_new[z_t].astype(np.int64), off=z_off,
                 cell=zidx.astype(np.int64))
    n, T = len(y), len(tc)
    ckeys, cidx = _compact(key_all[cellmask], T0 * T0)
    cell = pd.DataFrame({"g": ckeys // T0, "t": ckeys % T0})
    # typed design: a row's columns depend only on (cohort block, period)
    bvals, brow = np.unique(np.where(g >= 0, g, -1), return_inverse=True)
    unit_block = np.zeros(len(uc), dtype=np.int64)
    unit_block[uu] = brow
    nb = len(bvals)
    blk_of_g = {int(gv): b for b, gv in enumerate(bvals)}
    k_of_t = np.searchsorted(tc, cell["t"].to_numpy())
    b_of_cell = np.array([blk_of_g[int(gv)] for gv in cell["g"]], dtype=np.int64)
    bb = np.repeat(np.arange(nb), T - 1)
    kk = np.tile(np.arange(1, T), nb)
    fr = np.concatenate([bb * T + kk, b_of_cell * T + k_of_t])
    fc = np.concatenate([kk - 1, T - 1 + np.arange(len(cell))])
    p = T - 1 + len(cell)
    F = sp.csr_matrix((np.ones(len(fr)), (fr, fc)), shape=(nb * T, p))
    Z = TypedDesign(F, unit_block, tt, T)
    # cell summaries: mean outcome and number of units (one row per unit and period in a cell)
    cnt = np.bincount(cidx, minlength=len(cell))
    cell["ybar"] = np.bincount(cidx, weights=y[cellmask], minlength=len(cell)) / cnt
    cell["n_units"] = cnt
    return dict(Z=Z, y=y, u=uu, G=len(uc), units_kept=uc, t=t, g=g, off=off,
                cell=cell, n_time=T - 1, notes=notes, n=n, T=T, zcell=zcell, zrows=zrows)


def _isolated_periods(y: np.ndarray, t: np.ndarray, g: np.ndarray, keep: np.ndarray, cm: np.ndarray,
                      T0: int) -> tuple[np.ndarray, np.ndarray]:
    """Periods P and cohorts C whose effects have no finite estimate (separation), as masks.

    The period effects are fitted from the untreated rows only (a cell row has its own tau). Take
    P = the periods in which every never-treated row is zero (or absent) and C = the cohorts all of
    whose untreated rows fall in P, shrunk until every untreated row in P of a cohort outside C is
    zero too. Then ``lambda_P -> -inf``, ``alpha_C -> +inf`` (with the taus compensating) fits
    every row at least as well: the cells in P have no counterfactual and the cohorts in C no
    baseline comparable to the controls. With never-treated controls a cohort's only untreated row
    is its month g-1, so this drops the months in which every never-treated unit has zero counts and
    the cohorts whose reference month is one of them; with not-yet-treated controls it also covers
    e.g. an early cohort whose few pre-periods are all months in which every other control is zero.
    """
    ctrl = keep & ~cm
    gk = np.where(g >= 0, g, T0)  # never treated -> T0 (not a cohort)
    tcnt = np.bincount(t[keep], minlength=T0)
    never = ctrl & (g < 0)
    P = (tcnt > 0) & (np.bincount(t[never], weights=y[never], minlength=T0) == 0)
    present = np.bincount(gk[keep], minlength=T0 + 1)[:T0] > 0
    C = np.zeros(T0, dtype=bool)
    treated_ctrl = ctrl & (g >= 0)
    while P.any():
        outside = treated_ctrl & ~P[t]
        C = present & ~(np.bincount(gk[outside], minlength=T0 + 1)[:T0] > 0)
        other = treated_ctrl & ~np.append(C, False)[gk]
        P_new = P & (np.bincount(t[other], weights=y[other], minlength=T0) == 0)
        if np.array_equal(P_new, P):
            break
        P = P_new
    if not P.any():
        C[:] = False
    return P, C


def _fit_cells(d: dict[str, Any], tol: float) -> tuple[_PPMLFit, np.ndarray, np.ndarray]:
    fit = fit_fepois(d["Z"], d["y"], d["u"], d["G"], d["off"], tol=tol)
    sl = slice(d["n_time"], d["n_time"] + len(d["cell"]))
    return fit, fit.theta[sl], sl


def poisson(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    control_group: Literal["nevertreated", "notyettreated"] = "nevertreated",
    offset: str | None = None,
    inference: Inference = "analytic",
    alpha: float = 0.05,
    biters: int = 999,
    seed: int | None = DEFAULT_SEED,
    tol: float = 1e-10,
    baseline: Literal["last", "average"] = "average",
    exposure: str | None = None,
    alp: float | None = None,
) -> PoissonDiDResult:
    """Extended TWFE Poisson DiD (Wooldridge 2023) for counts, effects as rate ratios.

    Parameters
    ----------
    data
        Long panel (not modified), one row per unit and period; zero counts allowed, months may be
        missing. Units with zero counts in every period carry no information and are dropped.
    yname, tname, idname
        Count outcome, period and unit columns.
    gname
        First treated period per unit; 0/NaN/NaT = never treated.
    control_group
        ``"nevertreated"`` (default) or ``"notyettreated"``; see the module docstring and
        ``baseline``. ``"notyettreated"`` uses all untreated periods as baseline (demo city,
        overlast: 0.76 [0.71, 0.82], true 0.80).
    offset
        Column on the log scale added to the linear predictor (e.g. ``log(population)``), as in
        fixest/pyfixest; effects are then rate ratios of the rate per exposure. A column with values
        above 30 (an exposure, not its log) is refused (:func:`wijklib.arguments.log_offset`).
    exposure
        Instead of ``offset``: a positive column (population, person-months) whose log is the offset.
    inference
        ``"analytic"``: cluster-robust (CR1, by unit) delta method. ``"wild"``: score (multiplier)
        wild cluster bootstrap with Webb six-point weights; SEs from the interquartile range of the
        draws, as R ``did``. ``"randomization"``: permute adoption dates across units, refit
        ``biters`` times, two-sided p-value (no interval). ``"auto"``: the rule of ``att_gt``:
        randomization with fewer than 10 treated units, wild when a cohort has fewer than 5 units,
        else analytic (the choice is recorded in ``method["inference_note"]``).
    alpha
        1 - confidence level (``alp``: alias, R ``did``'s name).
    biters, seed
        Bootstrap / permutation draws and their seed (default :data:`wijklib.results.DEFAULT_SEED`, so
        a call repeats its p-values; ``None`` = fresh entropy).
    tol
        IRLS convergence tolerance on the relative deviance change.
    baseline
        Matters with ``control_group="nevertreated"`` only. ``"average"`` (default): effects relative to the
        cohort's average pre-period log level (each cohort's cell effects minus the mean of its
        pre-period effects, the reference period counted as 0): valid under the same parallel-trends
        assumption, less noisy with monthly data and less sensitive to one unusual month before the
        start. ``"last"``: Wooldridge's form, relative to period ``g-1`` only (on the demo city,
        overlast: 0.67 [0.55, 0.81] with "last", 0.79 [0.73, 0.84] with "average", true 0.80).
        Measured on sparse staggered panels (``benchmarks/bench_poisson_defaults.py``, results in
        ``benchmarks/results/poisson_defaults.md``; true ratio 0.80, 0.7 counts per ward-month):
        nevertreated + "average" 0.787 (power 22%), nevertreated + "last" 0.687 (5%), notyettreated
        0.793 (30%); with 2 per ward-month 0.794 / 0.742 / 0.795 (power 53% / 22% / 65%). Hence the
        default here, and ``control_group: notyettreated`` in the monitor's configuration.

    Returns
    -------
    PoissonDiDResult
        ``.tidy()`` per cohort x period, ``.aggregate(type)``; ``.effect`` = overall rate ratio.
        Post-period cells with zero counts stay in (``cells["zero"]``, rate ratio 0 with the
        level-scale effect ``-ybar0`` and its SE in ``tidy()``; their rows are not in the fit, counted in
        ``method["dropped_all_zero_cells"]``). Cells without a finite counterfactual (separation on sparse
        panels) are left out and listed in ``method``:
        ``periods_without_control_counts`` (every untreated unit zero: no counterfactual),
        ``cohorts_without_pre_counts`` (no baseline level), with a sentence in
        ``method["not_identified"]``; an aggregation with no identified cell is NaN.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame([(i, t, 6 if i < 30 else 0) for i in range(60) for t in range(10)],
    ...                   columns=["id", "t", "g"])
    >>> lam = np.exp(1.5 + 0.3 * rng.normal(size=60))[df.id] * np.where((df.g > 0) & (df.t >= 6), 0.7, 1.0)
    >>> df["y"] = rng.poisson(lam)
    >>> res = poisson(df, yname="y", tname="t", idname="id", gname="g", seed=1)
    >>> bool(0.6 < res.effect.estimate < 0.8)
    True
    """
    alp = resolve_alpha(alpha, alp, "poisson")
    seed = check_seed(seed, "poisson")
    # the offset's scale is checked on the data as given (a population passed as offset= is refused)
    off = log_offset(data, offset=offset, exposure=exposure, where="poisson")
    if off is not None:
        col = "__log_offset__"
        data = data.assign(**{col: off})
        label = offset if offset is not None else f"log({exposure})"
    else:
        col = label = None
    with _single_blas_thread():
        return _poisson(data, yname=yname, tname=tname, idname=idname, gname=gname,
                        control_group=control_group, offset=col, inference=inference, alp=alp,
                        biters=biters, seed=seed, tol=tol, baseline=baseline, offset_label=label)


def _poisson(data: pd.DataFrame, *, yname: str, tname: str, idname: str, gname: str,
             control_group: str, offset: str | None, inference: str, alp: float, biters: int,
             seed: int | None, tol: float, baseline: str = "last",
             offset_label: str | None = None) -> PoissonDiDResult:
    if baseline not in ("last", "average"):
        raise ValueError(f"baseline must be 'last' or 'average', got {baseline!r}")
    # with notyettreated there are no pre-period cells: the baseline is all untreated periods and
    # the option has no effect (the identity map below)
    if control_group not in ("nevertreated", "notyettreated"):
        raise ValueError(f"control_group must be 'nevertreated' or 'notyettreated', got {control_group!r}")
    if inference not in ("analytic", "wild", "randomization", "auto"):
        raise ValueError(f"inference must be analytic, wild, randomization or auto, got {inference!r}")
    pr = _prepare(data, yname, tname, idname, gname, offset)
    d = _design(pr["y"], pr["t"], pr["g"], pr["u"], pr["off"], control_group)
    if len(d["cell"]) == 0:
        raise ValueError(f"no treated cohort x period cells to estimate (column {gname!r})")
    fit, tau, sl = _fit_cells(d, tol)
    unit_g = np.full(d["G"], -1, dtype=np.int64)
    unit_g[d["u"]] = d["g"]
    n_treated = int((unit_g >= 0).sum())
    n_control = int((unit_g < 0).sum())
    inference_note = None
    if inference == "auto":
        # same thresholds as att_gt, so a report's DiD tables use one rule
        from wijklib.did.attgt import AUTO_MIN_COHORT, AUTO_MIN_TREATED

        cohort_sizes = np.bincount(unit_g[unit_g >= 0])
        cohort_sizes = cohort_sizes[cohort_sizes > 0]
        if n_treated < AUTO_MIN_TREATED:
            inference = "randomization"
            inference_note = (f"auto: only {n_treated} treated units (< {AUTO_MIN_TREATED}): randomization "
                              f"inference ({biters} permutations of adoption dates across units)")
        elif cohort_sizes.min() < AUTO_MIN_COHORT:
            inference = "wild"
            inference_note = (f"auto: smallest cohort has {int(cohort_sizes.min())} unit(s) (< {AUTO_MIN_COHORT}): "
                              f"wild score bootstrap with Webb weights ({biters} draws)")
        else:
            inference = "analytic"
            inference_note = "auto: cluster-robust (CR1) delta-method SEs"
    we = d["y"] - fit.mu
    ucl = d["u"]
    meat = typed_meat(d["Z"], we, d["u"], d["G"])
    V = cr1_vcov(fit.bread, fit.keep, None, n_obs=d["n"], k=len(fit.keep), nested=True, n_units=d["G"],
                 meat=meat, n_clusters=d["G"])
    times = pr["times"]
    cells, A, unident = _cell_frame(d, fit, tau, sl, baseline, times, need_grad=True)
    # covariance of the aggregation coordinates v (tau for cells with counts, minus the log
    # counterfactual level for zero cells): a linear map A of the fitted parameters
    Vc = A @ np.nan_to_num(V) @ A.T
    Vc = (Vc + Vc.T) / 2
    Vc[unident, :] = np.nan
    Vc[:, unident] = np.nan
    dvar = np.diag(Vc)
    if (dvar[np.isfinite(dvar)] < -1e-12 * max(1.0, float(np.nanmax(np.abs(dvar), initial=0.0)))).any():
        # the bread and meat are PSD and A V A' is too: this would be a bug
        raise FloatingPointError(f"negative variance for a cohort x period cell ({np.nanmin(dvar):.3g}); "
                                 "the Hessian is numerically singular")
    Vc[np.diag_indices_from(Vc)] = np.maximum(dvar, 0.0)
    cells["std_error"] = np.where(cells["zero"].to_numpy(), np.nan, np.sqrt(np.diag(Vc)))
    nd = int((~cells["zero"]).sum())  # _cell_frame puts the cells with counts first
    Vall = Vc
    zcells = cells.iloc[nd:].reset_index(drop=True)
    cells = cells.iloc[:nd].reset_index(drop=True)
    Vc = Vall[:nd, :nd]
    rng = np.random.default_rng(seed)
    boot = None
    null_fn = None
    if inference == "wild":
        sc = cluster_scores_typed(d["Z"], we, d["u"], d["G"], fit.mu, ucl, d["G"])
        # score bootstrap: theta* = theta + H^-1 sum_g v_g s_g (Kline & Santos 2012), Webb weights
        B = fit.bread[np.ix_(fit.keep, fit.keep)]
        v = multiplier_weights("webb", (biters, d["G"]), rng)
        adj = math.sqrt(d["G"] / (d["G"] - 1))
        dtheta = adj * (v @ sc[:, fit.keep]) @ B
        full = np.zeros((biters, len(fit.theta)))
        full[:, fit.keep] = dtheta
        boot = _coords(pd.concat([cells, zcells], ignore_index=True)) + full @ A.T
    method = dict(
        estimator="Wooldridge (2023) extended TWFE Poisson (PPML, unit FE)", control_group=control_group,
        baseline=baseline if control_group == "nevertreated" else "all untreated periods",
        inference=inference, inference_note=inference_note, alpha=alp, biters=biters if inference in ("wild", "randomization") else None,
        seed=seed, n_obs=d["n"], n_units=d["G"], n_periods=d["T"], n_treated_units=n_treated,
        n_control_units=n_control, offset=offset_label, iterations=fit.iterations, converged=fit.converged,
        deviance=fit.deviance, se_type="cluster (CR1) by unit", scale="rate ratio (headline) and ATT level",
        n_dropped_missing=pr["n_missing"], **_dated_notes(d["notes"], times),
    )
    method["zero_cells_included"] = len(zcells)
    res = PoissonDiDResult(cells, Vc, Effect("overall", math.nan, math.nan, math.nan, math.nan, math.nan,
                                             scale="ratio"), method, boot, None, zcells, Vall)
    if inference == "randomization":
        null_fn = _randomization_draws(pr, control_group, biters, rng, tol, baseline)
        method["n_permutations_fitted"] = len(null_fn)
        res = PoissonDiDResult(cells, Vc, res.effect, method, None, null_fn, zcells, Vall)
    overall = res.aggregate("simple").overall
    return PoissonDiDResult(cells, Vc, overall, method, boot, null_fn, zcells, Vall)


def _dated_notes(notes: dict[str, Any], times: np.ndarray) -> dict[str, Any]:
    """Design notes with period codes as dates, plus a sentence on the cells that are not identified."""
    out = dict(notes)
    per = [times[c] for c in notes.get("periods_without_control_counts", [])]
    coh = [times[c] for c in notes.get("cohorts_without_pre_counts", [])]
    out["periods_without_control_counts"] = per
    out["cohorts_without_pre_counts"] = coh
    why = []
    if per:
        why.append(f"{len(per)} period(s) in which every untreated unit has zero counts (no counterfactual: "
                   f"the effects in those periods are not identified and were left out): "
                   + ", ".join(str(p) for p in per))
    if coh:
        why.append(f"{len(coh)} cohort(s) with zero counts in every untreated period, or counts only in months "
                   "in which every comparison unit has zero (no baseline level comparable to the controls: their "
                   "effects are not identified and were left out): " + ", ".join(str(c) for c in coh))
    out["not_identified"] = "; ".join(why) if why else None
    return out


def _counterfactual_sums(d: dict[str, Any], fit: _PPMLFit, u: np.ndarray, t: np.ndarray,
                         off: np.ndarray | None, cell: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the sum of exp(alpha_i + lambda_t + offset) over its rows, and the row terms.

    ``u``/``t`` are compacted unit and period codes of the fit; the cell's own tau is not used.
    """
    lam = np.concatenate([[0.0], np.nan_to_num(fit.theta[: d["n_time"]])])
    eta0 = fit.unit_effect[u] + lam[t] + (0.0 if off is None else off)
    mu0 = np.exp(eta0)
    return np.bincount(cell, weights=mu0, minlength=k), mu0


def _zero_cell_gradient(d: dict[str, Any], fit: _PPMLFit, mu0: np.ndarray, s0: np.ndarray) -> np.ndarray:
    """Gradient in theta of log(sum mu0) per zero cell (k x p).

    With the unit effects concentrated out (Poisson first-order condition for alpha_i),
    ``d alpha_i / d theta = -sum_s mu_is z_is / sum_s mu_is``; lambda_t enters directly. The unit
    effect's own sampling noise has an identically zero cluster score (one cluster per unit), so the
    cluster-robust sandwich carries it only through theta, as for the cells with counts.
    """
    zr = d["zrows"]
    p = len(fit.theta)
    k = len(s0)
    need = np.zeros(d["G"], dtype=bool)
    need[zr["u"]] = True
    rows = np.flatnonzero(need[d["u"]])
    Zd = d["Z"]
    Zm = sp.csr_matrix(Zd.F[Zd.unit_block[d["u"][rows]] * Zd.T + Zd.t[rows]])
    U = sp.csr_matrix((fit.mu[rows], (d["u"][rows], np.arange(len(rows)))), shape=(d["G"], len(rows)))
    musum = np.bincount(d["u"][rows], weights=fit.mu[rows], minlength=d["G"])
    musum[musum == 0] = 1.0
    xbar = np.asarray((U @ Zm).todense()) / musum[:, None]  # G x p (zero for units not needed)
    pi = mu0 / s0[zr["cell"]]
    E = np.zeros((len(mu0), p))
    tpos = zr["t"]
    has = tpos >= 1
    E[np.flatnonzero(has), tpos[has] - 1] = 1.0
    E -= xbar[zr["u"]]
    P = sp.csr_matrix((pi, (zr["cell"], np.arange(len(mu0)))), shape=(k, len(mu0)))
    return np.asarray(P @ E)


def _cell_frame(d: dict[str, Any], fit: _PPMLFit, tau_raw: np.ndarray, sl: slice, baseline: str,
                times: np.ndarray, *, need_grad: bool) -> tuple[pd.DataFrame, np.ndarray | None, np.ndarray]:
    """Cell table (cells with counts first, then zero post-period cells) and the map A from theta to v.

    ``ybar0`` is the counterfactual mean of the cell (sum of mu0 over its rows / n). The
    aggregation coordinate is ``v = tau`` for a cell with counts (then ``ybar0 = ybar exp(-tau)``,
    which equals sum(mu0)/n exactly by the cell dummy's first-order condition) and
    ``v = -log(ybar0)`` for a zero cell; in both ``d ybar0 / d v = -ybar0``.
    """
    cell = d["cell"]
    cg, ct = cell["g"].to_numpy(), cell["t"].to_numpy()
    Lb = _baseline_matrix(cg, ct, baseline)
    # a cell whose column was dropped as collinear has no estimate (NaN); a re-based effect that
    # uses it is not identified either, so NaN must propagate (nan_to_num alone would report it as
    # a rate ratio of exactly 1 with standard error 0)
    unident = (np.abs(Lb) > 0) @ ~np.isfinite(tau_raw) > 0
    tau = Lb @ np.nan_to_num(tau_raw)
    tau[unident] = np.nan
    ybar = cell["ybar"].to_numpy(float)
    p = len(fit.theta)
    zc, zr = d["zcell"], d["zrows"]
    kz = len(zc)
    s0, mu0 = _counterfactual_sums(d, fit, zr["u"], zr["t"], zr["off"], zr["cell"], kz)
    zg, zt = zc["g"].to_numpy(), zc["t"].to_numpy()
    # with baseline "average" the cohort's effects are re-based on its mean pre-period tau, which
    # multiplies the counterfactual by exp(sum_pre tau / (n_pre + 1)) (see _baseline_matrix)
    shift = np.zeros((kz, len(cg)))
    if baseline == "average":
        for j, gv in enumerate(zg):
            pre = np.flatnonzero((cg == gv) & (ct < gv))
            if len(pre):
                shift[j, pre] = 1.0 / (len(pre) + 1)
    z_unident = (np.abs(shift) > 0) @ ~np.isfinite(tau_raw) > 0
    with np.errstate(divide="ignore"):
        log0 = np.log(s0 / zc["n_units"].to_numpy(float)) + shift @ np.nan_to_num(tau_raw)
    log0[z_unident] = np.nan
    A = None
    if need_grad:
        A = np.zeros((len(cg) + kz, p))
        A[: len(cg), sl] = Lb
        if kz:
            A[len(cg):] = -_zero_cell_gradient(d, fit, mu0, s0)
            A[len(cg):, sl] -= shift
    out = pd.DataFrame({
        "group": times[np.concatenate([cg, zg]).astype(np.int64)],
        "time": times[np.concatenate([ct, zt]).astype(np.int64)],
        "event_time": np.concatenate([ct - cg, zt - zg]).astype(np.int64),
        "tau": np.concatenate([tau, np.full(kz, -np.inf)]),
        "std_error": np.nan,
        "ybar": np.concatenate([ybar, np.zeros(kz)]),
        "ybar0": np.concatenate([ybar * np.exp(-tau), np.exp(log0)]),
        "n_units": np.concatenate([cell["n_units"].to_numpy(), zc["n_units"].to_numpy()]).astype(np.int64),
        "zero": np.concatenate([np.zeros(len(cg), dtype=bool), np.ones(kz, dtype=bool)]),
    })
    return out, A, np.concatenate([unident, z_unident])


def _coords(cells: pd.DataFrame) -> np.ndarray:
    """Aggregation coordinates v: tau for cells with counts, -log(ybar0) for zero cells."""
    tau = cells["tau"].to_numpy(float)
    if "zero" not in cells:
        return np.nan_to_num(tau)
    z = cells["zero"].to_numpy(bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(z, -np.log(cells["ybar0"].to_numpy(float)), tau)
    return np.nan_to_num(v, posinf=0.0, neginf=0.0)


def _baseline_matrix(cg: np.ndarray, ct: np.ndarray, baseline: str) -> np.ndarray:
    """Linear map from g-1-based cell effects to the chosen baseline (identity for "last")."""
    k = len(cg)
    L = np.eye(k)
    if baseline == "last":
        return L
    for g in np.unique(cg):
        idx = np.flatnonzero(cg == g)
        pre = idx[ct[idx] < g]
        if len(pre):
            L[np.ix_(idx, pre)] -= 1.0 / (len(pre) + 1)  # +1: the reference period g-1 (effect 0)
    return L


def _randomization_draws(pr: dict[str, Any], control_group: str, biters: int,
                         rng: np.random.Generator, tol: float, baseline: str = "last") -> tuple[pd.DataFrame, ...]:
    """Refit with adoption dates permuted across units (Fisher randomization under the sharp null
    of no effect); returns the cell tables of the draws that could be fitted."""
    u, g = pr["u"], pr["g"]
    unit_g = pd.Series(g).groupby(u).first()
    draws: list[pd.DataFrame] = []
    for _ in range(biters):
        perm = rng.permutation(unit_g.to_numpy())
        gp = perm[np.searchsorted(unit_g.index.to_numpy(), u)]
        try:
            d = _design(pr["y"], pr["t"], gp, u, pr["off"], control_group)
            if len(d["cell"]) == 0:
                continue
            fit, tau, sl = _fit_cells(d, tol)
        except (ValueError, np.linalg.LinAlgError):
            continue
        # the same cell table as the real fit (zero cells included), so the same aggregate is
        # recomputed per draw
        cells, _, _ = _cell_frame(d, fit, tau, sl, baseline, pr["times"], need_grad=False)
        draws.append(cells)
    return tuple(draws)


def _null_by_term(draws: tuple[pd.DataFrame, ...], method: dict[str, Any], agg: str) -> dict[str, np.ndarray]:
    """Null distribution of each aggregated log ratio: re-aggregate every permutation draw."""
    vals: dict[str, list[float]] = {}
    m = dict(method, inference="analytic")
    for cells in draws:
        r = PoissonDiDResult(cells, np.zeros((len(cells), len(cells))), Effect(
            "overall", math.nan, math.nan, math.nan, math.nan, math.nan, scale="ratio"), m)
        a = r.aggregate(agg)  # type: ignore[arg-type]
        one = {e.term: e.estimate for e in a.table.itertuples()}
        one["overall"] = a.overall.estimate  # for "simple" the single row is the overall itself
        for term, est in one.items():
            if est > 0 and np.isfinite(est):
                vals.setdefault(term, []).append(math.log(est))
    return {k: np.asarray(v) for k, v in vals.items()}
