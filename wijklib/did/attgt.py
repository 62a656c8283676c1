"""Callaway & Sant'Anna (2021) group-time average treatment effects for staggered adoption.

Semantics follow the R package ``did`` (``att_gt`` / ``aggte``, version 2.x): argument names, the
base-period and control-group rules, the panel DR / outcome-regression / IPW 2x2 estimators of
Sant'Anna & Zhao (2020), influence-function standard errors, the multiplier bootstrap with IQR-based
SEs and sup-t simultaneous bands, the four aggregations with group-size weights (including the
influence-function term for estimated weights) and the Wald pre-test.

Additions for ward-level work with few treated wards: ``inference="wild"`` (null-imposed wild cluster
bootstrap, Webb weights) and ``inference="randomization"`` (permutation of treatment timing across
wards, cohort sizes kept); ``inference="auto"`` picks one of them when treated wards are few, and says
so in ``result.inference_note``.

Differences from R ``did`` (documented on purpose):

- Unbalanced panels: each ATT(g,t) uses the units observed in both of its periods (``did`` switches to
  its repeated-cross-section estimator with ``allow_unbalanced_panel=TRUE``). No unit is dropped.
- Bootstrap aggregations reuse the parent's multiplier draws (same seed) instead of fresh draws.
- The overall "group" aggregation's weight-estimation term uses each group's own indicator (``did``
  passes the ATT(g,t) group vector there, which indexes the wrong groups); point estimates agree.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from wijklib import inference as inf
from wijklib.arguments import check_seed, resolve_alpha
from wijklib.did import _engine as eng
from wijklib.did._prep import Prepared, _fmt_t, prepare
from wijklib.results import (
    DEFAULT_SEED,
    TIDY_COLUMNS,
    Effect,
    Method,
    PreTest,
    ResultProtocol,
    no_pretest,
    print_or_return,
    protocol_tidy,
    term,
    term_value,
    tidy_frame,
)

ControlGroup = Literal["nevertreated", "notyettreated"]
BasePeriod = Literal["varying", "universal"]
EstMethod = Literal["dr", "reg", "ipw"]
Inference = Literal["auto", "analytic", "multiplier", "wild", "randomization"]
AggType = Literal["simple", "dynamic", "group", "calendar"]

# The estimator's own rule for ``inference="auto"`` (also used by ``did.poisson``): a property of the
# inference methods (cluster-robust and multiplier intervals need enough treated clusters, MacKinnon &
# Webb 2017), so it stays with the estimator for every caller. The monitor's policy on which wards a
# DiD may rest on is ``design.min_treated_did`` / ``design.min_cohort_did`` in config/monitor.yaml.
#: ``inference="auto"`` switches to randomization inference below this many treated units ...
AUTO_MIN_TREATED = 10
#: ... and to the wild cluster bootstrap (Webb weights) when a cohort is smaller than this.
AUTO_MIN_COHORT = 5
#: Randomization inference with covariates re-fits every 2x2 design per permutation; the number of
#: permutations is reduced so that at most this many fits are done. (Without covariates, also on an
#: unbalanced panel, the permutations are one pass over per-cohort sums: ``_engine.permuted_mean_att``.)
MAX_DENSE_REFITS = 40_000


# ----------------------------------------------------------------------------------------------
# Internal state shared by a result and its aggregations
# ----------------------------------------------------------------------------------------------
@dataclass
class _State:
    prep: Prepared
    spec: eng.GTSpec
    ifrep: Any  # CohortIF or DenseIF
    att: np.ndarray
    se_analytic: np.ndarray
    e: np.ndarray  # event time per ATT(g,t) (t - g on the period scale)
    pg: np.ndarray  # (H-1,) group shares
    mode: str
    alp: float
    boot_d: np.ndarray | None = None  # (B, k) estimate-scale draws
    boot_s: np.ndarray | None = None  # (B, H) draws of the weight terms (multiplier only)
    perm_att: np.ndarray | None = None
    perm_slope: np.ndarray | None = None
    perm_pg: np.ndarray | None = None
    obs_slope: np.ndarray | None = None


def _infer(est, se_an, mode, alp, draws=None, perm=None, perm_slope=None, obs_slope=None, crit_cols=None):
    """SE, p-value, pointwise and simultaneous intervals for a vector of estimates.

    ``crit_cols`` (slice or index) selects the estimates that share the simultaneous band (all by
    default); the band columns ``lo_s``/``hi_s`` use that critical value for every estimate.
    """
    est = np.asarray(est, dtype=float)
    z = inf.normal_quantile(1 - alp / 2)
    cc = slice(None) if crit_cols is None else crit_cols
    if mode in ("analytic", "multiplier"):
        se_b = inf.iqr_se(draws) if draws is not None else np.full(est.shape, np.nan)
        se = se_an if mode == "analytic" else se_b
        with np.errstate(invalid="ignore", divide="ignore"):
            crit = inf.sup_t_critical(draws[:, cc], se_b[cc], alp) if draws is not None else math.nan
            p = inf.normal_two_sided_p(est / se)
        lo, hi = est - z * se, est + z * se
    elif mode == "wild":
        p, hw, se = inf.wild_bootstrap_pvalues(est, draws, alp)
        crit = inf.sup_t_critical(draws[:, cc], se[cc], alp)
        lo, hi = est - hw, est + hw
    else:  # randomization
        r = inf.randomization_test(est, perm, perm_slopes=perm_slope, obs_slope=obs_slope, alp=alp)
        se, p, lo, hi = r.se, r.p_value, r.conf_low, r.conf_high
        # a permutation whose 2x2s could not be fitted (e.g. no covariate overlap between the permuted
        # groups: the propensity logit separates) is NaN; it carries no draw, so it is left out of
        # the band rather than passed on as an all-NaN row
        fin = np.isfinite(perm)
        cnt = fin.sum(axis=0)
        mean = np.where(cnt > 0, np.where(fin, perm, 0.0).sum(axis=0) / np.maximum(cnt, 1), np.nan)
        sub = (perm - mean)[:, cc]
        se_c = np.asarray(se, dtype=float)[cc]
        ok = np.isfinite(se_c) & (se_c > 0)
        rows = np.isfinite(sub[:, ok]).any(axis=1)
        crit = inf.sup_t_critical(sub[rows], se_c, alp)
    se = np.where(np.isfinite(se) & (se > 0), se, np.nan)
    if not np.isfinite(crit):
        crit = z
    return {
        "se": se, "p": np.where(np.isfinite(se), p, np.nan), "lo": lo, "hi": hi,
        "lo_s": est - crit * se, "hi_s": est + crit * se, "crit": float(crit),
    }


def _wif(hidx: np.ndarray, pgk: np.ndarray, attk: np.ndarray, H: int) -> np.ndarray:
    """Per-cohort weight-estimation term of R did's ``wif(...) %*% att`` (constant part cancels)."""
    P = pgk.sum()
    if not np.isfinite(P) or P <= 0:
        return np.zeros(H)
    term1 = np.bincount(hidx, weights=attk, minlength=H) / P
    cnt = np.bincount(hidx, minlength=H).astype(float)
    return term1 - cnt * float((attk * pgk).sum()) / P**2


def _agg_design(kind, spec, e, pg, att, H, tfirst, tlast, min_e, max_e, balance_e):
    """Weights (A: k x m+1) and weight-IF terms (C: H x m+1) of an aggregation; last column = overall."""
    k = spec.k
    pgk = pg[spec.hg]
    labels: list[float] = []
    cols_A: list[np.ndarray] = []
    cols_C: list[np.ndarray] = []

    def add(which: np.ndarray, weights: np.ndarray, with_wif: bool, label: float) -> None:
        a = np.zeros(k)
        wsum = weights.sum()
        a[which] = weights / wsum
        cols_A.append(a)
        cols_C.append(
            _wif(spec.hg[which], pgk[which], att[which], H) if with_wif else np.zeros(H)
        )
        labels.append(label)

    if kind == "simple":
        keep = np.flatnonzero(spec.post & (e <= max_e))
        if keep.size == 0:
            raise ValueError("aggregate('simple'): no post-treatment ATT(g,t) within max_e")
        a = np.zeros(k)
        a[keep] = pgk[keep] / pgk[keep].sum()
        return [], a[:, None], _wif(spec.hg[keep], pgk[keep], att[keep], H)[:, None]
    if kind == "dynamic":
        incl = np.ones(k, dtype=bool)
        eseq = np.unique(e)
        if balance_e is not None:
            incl = (tlast - spec.g) >= balance_e
            eseq = np.unique(e[incl])
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - tlast + tfirst)]
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        for ev in eseq:
            which = np.flatnonzero((e == ev) & incl)
            add(which, pgk[which], True, float(ev))
        A = np.column_stack(cols_A) if cols_A else np.zeros((k, 0))
        C = np.column_stack(cols_C) if cols_C else np.zeros((H, 0))
        epos = np.asarray(labels) >= 0
        if not epos.any():
            raise ValueError("aggregate('dynamic'): no event time >= 0 left (check min_e/max_e/balance_e)")
        A0 = A[:, epos].mean(axis=1)
        C0 = C[:, epos].mean(axis=1)
        return labels, np.column_stack([A, A0]), np.column_stack([C, C0])
    if kind == "group":
        groups = []
        for h in np.unique(spec.hg):
            which = np.flatnonzero((spec.hg == h) & spec.post & (e <= max_e))
            if which.size:
                add(which, np.ones(which.size), False, float(h))
                groups.append(h)
        if not groups:
            raise ValueError("aggregate('group'): no post-treatment ATT(g,t)")
        A = np.column_stack(cols_A)
        C = np.column_stack(cols_C)
        groups = np.asarray(groups)
        pgg = pg[groups]
        att_g = att @ A
        A0 = A @ (pgg / pgg.sum())
        C0 = _wif(groups, pgg, att_g, H)
        return labels, np.column_stack([A, A0]), np.column_stack([C, C0])
    if kind == "calendar":
        minG = spec.g.min()
        tl = np.unique(spec.t[spec.t >= minG])
        for t1 in tl:
            which = np.flatnonzero((spec.t == t1) & (spec.g <= t1))
            if which.size:
                add(which, pgk[which], True, float(t1))
        if not cols_A:
            raise ValueError("aggregate('calendar'): no post-treatment ATT(g,t)")
        A = np.column_stack(cols_A)
        C = np.column_stack(cols_C)
        return labels, np.column_stack([A, A.mean(axis=1)]), np.column_stack([C, C.mean(axis=1)])
    raise ValueError(f"aggregate: type={kind!r}; expected 'simple', 'dynamic', 'group' or 'calendar'")


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------
def _wald(est: np.ndarray, V: np.ndarray, terms: tuple[str, ...], test: str) -> Any:
    """Joint Wald chi2 test that ``est`` = 0 with covariance ``V``; NaN (with the reason) when singular."""
    from scipy.special import chdtrc

    if np.linalg.cond(V, 1) * np.finfo(float).eps >= 1:
        return PreTest(math.nan, int(len(est)), math.nan, terms, test,
                       f"singular covariance matrix of the {len(est)} pre-period estimates")
    W = float(est @ np.linalg.solve(V, est))
    return PreTest(W, int(len(est)), float(chdtrc(len(est), W)), terms, test)


@dataclass(frozen=True, repr=False)
class AggResult(ResultProtocol):
    """An aggregation of ATT(g,t) (R ``did::aggte``).

    ``estimate``/``std_error``/``conf_low``/``conf_high``/``p_value`` refer to the overall effect
    (``effect``, term ``overall``); ``detail`` holds the per-event-time / group / period estimates
    (``conf_low_simul`` / ``conf_high_simul`` are the simultaneous bands, as printed by ``did``),
    terms ``event_time::e`` / ``group::g`` / ``time::t`` in :meth:`tidy`.
    """

    type: str
    estimate: float
    std_error: float
    conf_low: float
    conf_high: float
    p_value: float
    crit_val: float
    detail: pd.DataFrame = field(repr=False)
    inference: str = "multiplier"
    alp: float = 0.05
    method: dict = field(default_factory=dict, repr=False)
    #: Covariance of the per-event-time / group / period estimates (rows/columns as ``detail``):
    #: influence-function based for analytic and multiplier inference (as R did's pre-test uses),
    #: the covariance of the draws / permutations for wild and randomization inference.
    vcov: pd.DataFrame | None = field(default=None, repr=False)
    _parent: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method.of(self.method, estimator="Callaway & Sant'Anna (2021)",
                                                     inference=self.inference, alpha=self.alp))

    @property
    def effect(self) -> Any:
        """The overall aggregated effect as an :class:`~wijklib.results.Effect` (term ``overall``)."""
        z = self.estimate / self.std_error if self.std_error and np.isfinite(self.std_error) else math.nan
        return Effect("overall", self.estimate, self.std_error, self.conf_low, self.conf_high, self.p_value, z,
                      alpha=self.alp, extra={"type": self.type})

    def _interval_reference(self) -> tuple[str, float | None] | None:
        return ("normal", None) if self.inference in ("analytic", "multiplier") else None

    def pretest(self) -> Any:
        """Pre-trend test. ``dynamic``: joint Wald test that the pre-period event-time estimates are 0,
        with their covariance from the result's inference (influence function for analytic /
        multiplier, the draws or permutations for wild / randomization); far fewer terms than the
        ATT(g,t) test, so it stays defined on long monthly panels. Other types: the parent's
        :meth:`ATTgtResult.pretest` (R did's)."""
        if self.type != "dynamic":
            return self._parent.pretest() if self._parent is not None else no_pretest("aggregation without its parent fit")
        d = self.detail
        if self.vcov is None or d.empty:
            return no_pretest("no event-time estimates")
        e = d["event_time"].to_numpy(float)
        keep = (e < 0) & np.isfinite(d["std_error"].to_numpy(float)) & (d["std_error"].to_numpy(float) > 0)
        if not keep.any():
            return no_pretest("no pre-period event times were estimated")
        vals = d.loc[keep, "event_time"].tolist()
        V = self.vcov.loc[vals, vals].to_numpy(float)
        src = "influence function" if self.inference in ("analytic", "multiplier") else f"{self.inference} draws"
        return _wald(d.loc[keep, "estimate"].to_numpy(float), V, tuple(term("event_time", v) for v in vals),
                     f"Wald chi2 ({src} covariance), H0: all pre-period event-time effects = 0")

    def tidy(self) -> pd.DataFrame:
        """Overall row first, then one row per event time / group / period."""

        key = {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(self.type)
        effects = [
            Effect(
                "overall", self.estimate, self.std_error, self.conf_low, self.conf_high, self.p_value,
                self.estimate / self.std_error if self.std_error and np.isfinite(self.std_error) else math.nan,
                alpha=self.alp, extra={"type": self.type, "conf_low_simul": math.nan, "conf_high_simul": math.nan},
            )
        ]
        for r in self.detail.itertuples(index=False):
            d = r._asdict()
            effects.append(
                Effect(
                    term(key, d[key]), d["estimate"], d["std_error"], d["conf_low"], d["conf_high"], d["p_value"],
                    d["estimate"] / d["std_error"] if np.isfinite(d["std_error"]) and d["std_error"] > 0 else math.nan,
                    alpha=self.alp,
                    extra={"type": self.type, key: d[key], "conf_low_simul": d["conf_low_simul"],
                           "conf_high_simul": d["conf_high_simul"]},
                )
            )
        return protocol_tidy(tidy_frame(effects), scale="difference", alpha=self.alp)

    def summary(self, *, as_string: bool = False) -> str | None:
        """Print the summary (estimates, SEs, intervals and how inference was done); ``as_string=True``
        returns it."""
        lines = [
            f"Aggregated ATT ({self.type}), inference: {self.inference}",
            f"  overall: {self.estimate:.4f} (SE {self.std_error:.4f}), "
            f"{100 * (1 - self.alp):.0f}% CI [{self.conf_low:.4f}, {self.conf_high:.4f}], p = {self.p_value:.4g}",
        ]
        if len(self.detail):
            lines.append(self.detail.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
        return print_or_return("\n".join(lines), as_string)

    def _draw(self, ax: Any, *, title: str | None = None) -> None:
        """Event-study style plot with simultaneous bands."""
        key = {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(self.type)
        if key is None or self.detail.empty:
            ax.errorbar([0], [self.estimate], yerr=[[self.estimate - self.conf_low], [self.conf_high - self.estimate]], fmt="o")
            ax.set_xticks([0], ["overall"])
        else:
            d = self.detail
            x = d[key].to_numpy()
            xs = np.arange(len(x)) if not np.issubdtype(np.asarray(x).dtype, np.number) else x.astype(float)
            est = d["estimate"].to_numpy(float)
            lo = d["conf_low_simul"].to_numpy(float)
            hi = d["conf_high_simul"].to_numpy(float)
            pre = xs < 0 if self.type == "dynamic" else np.zeros(len(xs), bool)
            for mask, color, lab in ((pre, "tab:grey", "vóór de start"), (~pre, "tab:blue", "na de start")):
                if mask.any():
                    ax.errorbar(xs[mask], est[mask], yerr=[est[mask] - lo[mask], hi[mask] - est[mask]],
                                fmt="o", color=color, capsize=2, label=lab)
            if not np.issubdtype(np.asarray(x).dtype, np.number):
                ax.set_xticks(xs, [term_value(v) for v in x], rotation=45)
            if self.type == "dynamic":
                ax.axvline(-0.5, color="black", lw=0.8, ls=":")
                ax.legend(frameon=False)
            ax.set_xlabel({"event_time": "periode t.o.v. start", "group": "startcohort", "time": "periode"}[key])
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel("effect (ATT)")
        ax.set_title(title or f"{self.type}: {self.estimate:.3g} [{self.conf_low:.3g}, {self.conf_high:.3g}]")


@dataclass(frozen=True, repr=False)
class ATTgtResult(ResultProtocol):
    """Group-time ATTs with their inference; aggregate with :meth:`aggregate`.

    Metadata: ``control_group``, ``base_period``, ``est_method``, ``inference`` (used),
    ``inference_requested``, ``inference_note``, ``seed``, ``biters``, ``alp`` (= ``alpha``),
    ``n_units``, ``n_periods``, ``cohorts`` (first-treated period -> number of units), ``notes``
    (warnings issued), all in ``method``. ``tidy()`` terms are ``cell::<group>:<time>``; ``effect`` is
    the ``aggregate("simple")`` overall ATT.
    """

    table: pd.DataFrame = field(repr=False)
    control_group: str
    base_period: str
    est_method: str
    inference: str
    inference_requested: str
    inference_note: str
    seed: int | None
    biters: int
    alp: float
    anticipation: float
    xformla: str | None
    n_units: int
    n_periods: int
    cohorts: dict
    crit_val: float
    notes: tuple = ()
    #: With randomization inference: one-sided p-value of "the treated units were noisier before
    #: treatment than the others" (:func:`noise_selection_p`); None for the other inference modes.
    noise_check_p: float | None = None
    _state: _State | None = field(default=None, repr=False, compare=False)

    @property
    def method(self) -> Any:
        """How the result was made (:class:`~wijklib.results.Method`: estimator, inference, control
        group, seed, alpha, sizes, notes, and base period, estimation method, ...)."""
        return Method(
            estimator="Callaway & Sant'Anna (2021)", inference=self.inference, control_group=self.control_group,
            seed=self.seed, alpha=self.alp, n_units=self.n_units, n_periods=self.n_periods, notes=self.notes,
            base_period=self.base_period, est_method=self.est_method, inference_requested=self.inference_requested,
            inference_note=self.inference_note, biters=self.biters, anticipation=self.anticipation,
            xformla=self.xformla, cohorts=dict(self.cohorts),
        )

    @cached_property
    def effect(self) -> Any:
        """The headline: the overall ATT of ``aggregate("simple")`` (an :class:`~wijklib.results.Effect`)."""
        return self.aggregate("simple").effect

    def tidy(self) -> pd.DataFrame:
        """One row per ATT(g,t): the tidy columns, ``scale``/``alpha``, the simultaneous band, group, time,
        event_time, post."""
        return protocol_tidy(self.table, scale="difference", alpha=self.alp)

    def _interval_reference(self) -> tuple[str, float | None] | None:
        return ("normal", None) if self.inference in ("analytic", "multiplier") else None

    def pretest(self) -> PreTest:
        """Joint Wald test that all pre-treatment ATT(g,t) are zero (analytic covariance, as R did).

        With more pre-period ATT(g,t) than the units can identify (long monthly panels) the covariance
        is singular and the p-value NaN, as in R did; the ``note`` then points to
        ``aggregate("dynamic", min_e=...).pretest()``, which tests the pre-period event-time effects.

        Examples
        --------
        >>> from wijklib.did._sim import staggered_panel
        >>> df, _ = staggered_panel(2, n_units=80, n_periods=6, cohorts=(4,), effect=1.0)
        >>> pt = att_gt(df, yname="y", tname="month", idname="ward", gname="first_treated",
        ...             inference="analytic").pretest()
        >>> pt.df, bool(0 < pt.p_value < 1)
        (2, True)
        """
        st = self._state
        sp = st.spec
        pre = np.flatnonzero(~sp.post & ~sp.ref & np.isfinite(st.se_analytic) & np.isfinite(st.att))
        if pre.size == 0:
            return no_pretest("no pre-treatment periods to test")
        n = st.prep.n
        V = st.ifrep.gram(pre) / n**2
        terms = tuple(self.table["term"].to_numpy()[pre])
        pt = _wald(st.att[pre], V, terms, "Wald chi2 (influence-function covariance), H0: all pre-treatment "
                   "ATT(g,t) = 0 (R did)")
        if not pt.available:
            pt = replace(pt, note=f"singular covariance matrix of the {pre.size} pre-period ATT(g,t) ({self.n_units} "
                         "units); test the pre-period event times instead: aggregate('dynamic', min_e=-12).pretest()")
        return pt

    def aggregate(
        self, type: AggType = "simple", min_e: float | None = None, max_e: float | None = None,
        balance_e: float | None = None,
    ) -> AggResult:
        """Aggregate the ATT(g,t) exactly as R ``did::aggte`` (group-size weights, with the weight IF term).

        Parameters
        ----------
        type : {"simple", "dynamic", "group", "calendar"}
        min_e, max_e : float, optional
            Event-time window (``dynamic``; ``max_e`` also limits ``simple`` and ``group``).
        balance_e : float, optional
            Only cohorts observed for at least ``balance_e`` periods after treatment (``dynamic``).

        Returns
        -------
        AggResult
            Inference as in the parent (the same bootstrap draws / permutations).

        Examples
        --------
        >>> from wijklib.did._sim import staggered_panel
        >>> df, _ = staggered_panel(1, n_units=80, n_periods=8, cohorts=(4, 6), effect=2.0)
        >>> res = att_gt(df, yname="y", tname="month", idname="ward", gname="first_treated", seed=1)
        >>> es = res.aggregate("dynamic", min_e=-2, max_e=2)
        >>> list(es.detail["event_time"])
        [-2, -1, 0, 1, 2]
        >>> bool(es.conf_low < 2.0 < es.conf_high)
        True
        """
        st = self._state
        sp, prep = st.spec, st.prep
        lo_e = -np.inf if min_e is None else float(min_e)
        hi_e = np.inf if max_e is None else float(max_e)
        labels, A, C = _agg_design(type, sp, st.e, st.pg, st.att, prep.H, prep.tnum[0], prep.tnum[-1], lo_e, hi_e, balance_e)
        est = st.att @ A
        ss = st.ifrep.sumsq(A, C)
        se_an = eng.se_from_sumsq(ss, prep.n)
        kw: dict[str, Any] = {}
        if st.mode in ("analytic", "multiplier"):
            kw["draws"] = st.boot_d @ A + st.boot_s @ C
        elif st.mode == "wild":
            kw["draws"] = st.boot_d @ A
        else:
            if np.allclose(st.perm_pg, st.pg[None, :], rtol=1e-12, atol=0):
                # Unweighted (or weights that move with the units but leave the shares unchanged):
                # the aggregation weights are the same under every permutation.
                pe = st.perm_att @ A
                psl = st.perm_slope @ A
            else:
                P = st.perm_att.shape[0]
                pe = np.empty((P, A.shape[1]))
                psl = np.empty((P, A.shape[1]))
                for p in range(P):
                    _, Ap, _ = _agg_design(type, sp, st.e, st.perm_pg[p], st.perm_att[p], prep.H, prep.tnum[0], prep.tnum[-1], lo_e, hi_e, balance_e)
                    if Ap.shape != A.shape:  # a group/period without rows under this permutation
                        pe[p] = psl[p] = np.nan
                        continue
                    pe[p] = st.perm_att[p] @ Ap
                    psl[p] = st.perm_slope[p] @ Ap
            kw.update(perm=pe, perm_slope=psl, obs_slope=st.obs_slope @ A)
        # Simultaneous band over the sub-estimates only (not the overall column).
        m = A.shape[1] - 1 if type != "simple" else 0
        r = _infer(est, se_an, st.mode, st.alp, crit_cols=slice(0, m) if m > 0 else None, **kw)
        sub = {key: (val[:m] if isinstance(val, np.ndarray) else val) for key, val in r.items()}
        key = {"dynamic": "event_time", "group": "group", "calendar": "time"}.get(type)
        if m > 0:
            if type == "group":
                vals = [prep.cohort_labels[int(h)] for h in labels]
            elif type == "calendar":
                vals = [self._tlabel(t) for t in labels]
            else:
                vals = [int(v) if float(v).is_integer() else v for v in labels]
            detail = pd.DataFrame({
                key: vals, "estimate": est[:m], "std_error": sub["se"], "p_value": sub["p"],
                "conf_low": sub["lo"], "conf_high": sub["hi"], "conf_low_simul": sub["lo_s"],
                "conf_high_simul": sub["hi_s"],
            })
            crit = sub["crit"]
            if st.mode in ("analytic", "multiplier"):
                V = st.ifrep.gram(A[:, :m], C[:, :m]) / prep.n**2
            elif st.mode == "wild":
                V = np.cov(kw["draws"][:, :m], rowvar=False)
            else:
                V = np.cov(kw["perm"][:, :m], rowvar=False)
            V = np.atleast_2d(V)
            bad = ~np.isfinite(sub["se"])
            V[bad, :] = np.nan
            V[:, bad] = np.nan
            vcov = pd.DataFrame(V, index=pd.Index(vals, name=key), columns=pd.Index(vals, name=key))
        else:
            detail = pd.DataFrame(columns=["estimate", "std_error", "p_value", "conf_low", "conf_high", "conf_low_simul", "conf_high_simul"])
            crit = r["crit"]
            vcov = None
        j = A.shape[1] - 1
        return AggResult(
            type=type, estimate=float(est[j]), std_error=float(r["se"][j]), conf_low=float(r["lo"][j]),
            conf_high=float(r["hi"][j]), p_value=float(r["p"][j]), crit_val=float(crit), detail=detail,
            inference=self.inference, alp=self.alp,
            method=self.method.replace(type=type, min_e=min_e, max_e=max_e, balance_e=balance_e),
            vcov=vcov, _parent=self,
        )

    def _tlabel(self, tnum: float):
        prep = self._state.prep
        i = int(np.searchsorted(prep.tnum, tnum))
        v = prep.tvals[i]
        return pd.Timestamp(v) if prep.is_datetime else (int(v) if float(v).is_integer() else float(v))

    def summary(self, *, as_string: bool = False) -> str | None:
        """Print a summary like R did's ``summary(att_gt(...))``; ``as_string=True`` returns it."""
        t = self.table
        body = t[["group", "time", "estimate", "std_error", "conf_low_simul", "conf_high_simul"]].to_string(
            index=False, float_format=lambda x: f"{x:.4f}"
        )
        pt = self.pretest()
        lines = [
            "Group-time average treatment effects (Callaway & Sant'Anna)",
            f"control group: {self.control_group}; base period: {self.base_period}; "
            f"estimation: {self.est_method}; anticipation: {self.anticipation}",
            f"units: {self.n_units}; periods: {self.n_periods}; cohorts: "
            + ", ".join(f"{k}: {v}" for k, v in self.cohorts.items()),
            body,
            f"{100 * (1 - self.alp):.0f}% simultaneous bands (critical value {self.crit_val:.3f})",
            f"P-value for pre-test of parallel trends assumption: {pt.p_value:.5f}" if np.isfinite(pt.p_value)
            else f"Pre-test of parallel trends: not available ({pt.note})",
            f"Inference: {self.inference_note}",
        ]
        return print_or_return("\n".join(lines), as_string)

    def _draw(self, ax: Any) -> None:
        """ATT(g,t) by period, one colour per cohort, simultaneous bands (dates on a date axis)."""
        t = self.table
        groups = list(dict.fromkeys(t["group"]))
        width = 0.6 / max(len(groups), 1)
        dated = self._state.prep.is_datetime
        if dated:
            import matplotlib.dates as mdates

            allx = mdates.date2num(pd.to_datetime(t["time"]).to_numpy())
            steps = np.diff(np.unique(allx))
            step = float(np.median(steps)) if steps.size else 1.0
        else:
            step = 1.0
        for i, g in enumerate(groups):
            d = t[t["group"] == g]
            x = mdates.date2num(pd.to_datetime(d["time"]).to_numpy()) if dated else d["time"].to_numpy(float)
            x = x + (i - (len(groups) - 1) / 2) * width * step
            est = d["estimate"].to_numpy(float)
            yerr = [est - d["conf_low_simul"].to_numpy(float), d["conf_high_simul"].to_numpy(float) - est]
            color = f"C{i % 10}"
            ax.errorbar(x, est, yerr=yerr, fmt="o", ms=4, capsize=1.5, color=color, label=f"start {g}")
            pre = ~d["post"].to_numpy(bool)
            # open markers before treatment (placebo periods), filled after
            ax.plot(x[pre], est[pre], "o", ms=4, mfc="white", mec=color, ls="none", zorder=3)
        ax.axhline(0, color="black", lw=0.8)
        if dated:
            ax.xaxis_date()
        else:
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("periode (open: vóór de start)")
        ax.set_ylabel("ATT(g,t)")
        ax.legend(frameon=False, fontsize="small")


# ----------------------------------------------------------------------------------------------
# The estimator
# ----------------------------------------------------------------------------------------------
def att_gt(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    control_group: ControlGroup = "nevertreated",
    base_period: BasePeriod = "varying",
    est_method: EstMethod = "dr",
    xformla: str | None = None,
    weightsname: str | None = None,
    anticipation: float = 0,
    inference: Inference = "auto",
    biters: int = 999,
    alpha: float = 0.05,
    seed: int | None = DEFAULT_SEED,
    alp: float | None = None,
    covariates: list[str] | None = None,
) -> ATTgtResult:
    """Callaway & Sant'Anna group-time average treatment effects, ATT(g,t) (R ``did::att_gt``).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period. Never modified.
    yname, tname, idname, gname : str
        Outcome, period (numbers or datetimes), unit id, and first treated period
        (0, NaN or NaT = never treated; for datetime periods it must be one of the periods).
    control_group : {"nevertreated", "notyettreated"}
    base_period : {"varying", "universal"}
    est_method : {"dr", "reg", "ipw"}
        2x2 estimator with covariates (identical without covariates).
    xformla : str, optional
        Covariates as a one-sided formula of column names, e.g. ``"~ lpop"`` (R did's form). Each 2x2
        uses the covariate values of its earlier period (as R did's panel estimators).
    covariates : list of str, optional
        The same as a list of column names (the form of ``twfe``, ``event_study``, ``bacon`` and
        ``synth.fit``); give this or ``xformla``.
    weightsname : str, optional
        Sampling weights, constant within unit.
    anticipation : float
        Number of periods of anticipation.
    inference : {"auto", "analytic", "multiplier", "wild", "randomization"}
        ``analytic``: influence-function SEs clustered by unit. ``multiplier``: R did's multiplier
        bootstrap (Rademacher weights as BMisc, IQR SEs, sup-t bands). ``wild``: wild cluster
        bootstrap with Webb weights under the null of no effect (two-way FE residuals;
        unrestricted with covariates or an unbalanced panel). ``randomization``: permutations of treatment timing across units keeping the
        cohort sizes; CIs by test inversion under a constant additive effect. ``auto``: multiplier, but
        randomization with fewer than 10 treated units and wild when a cohort has fewer than 5 units;
        the choice and reason are in ``result.inference_note``.
    biters : int
        Bootstrap draws / permutations.
    alpha : float
        Significance level (1 - confidence level of intervals and bands).
    seed : int or None
        Seed of all random draws (aggregations reuse the same draws). Default
        :data:`wijklib.results.DEFAULT_SEED`, so a repeated call gives the same p-values; ``None``
        draws fresh entropy.
    alp : float, optional
        R ``did``'s name for ``alpha`` (accepted as an alias).

    Returns
    -------
    ATTgtResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> units = np.repeat(np.arange(60), 6); years = np.tile(np.arange(2001, 2007), 60)
    >>> g = np.repeat(np.r_[np.zeros(30), np.full(15, 2004), np.full(15, 2005)], 6)
    >>> y = rng.normal(size=units.size) + 1.0 * ((g > 0) & (years >= g))
    >>> df = pd.DataFrame({"id": units, "year": years, "g": g, "y": y})
    >>> res = att_gt(df, yname="y", tname="year", idname="id", gname="g", seed=1)
    >>> res.inference
    'multiplier'
    >>> bool(abs(res.aggregate("simple").estimate - 1.0) < 0.5)
    True
    """
    for name, val, allowed in (
        ("control_group", control_group, ("nevertreated", "notyettreated")),
        ("base_period", base_period, ("varying", "universal")),
        ("est_method", est_method, ("dr", "reg", "ipw")),
        ("inference", inference, ("auto", "analytic", "multiplier", "wild", "randomization")),
    ):
        if val not in allowed:
            raise ValueError(f"att_gt: {name}={val!r}; expected one of {allowed}")
    alp = resolve_alpha(alpha, alp, "att_gt")
    if covariates is not None:
        if xformla is not None:
            raise ValueError(f"att_gt: give covariates={covariates!r} or xformla={xformla!r}, not both")
        if isinstance(covariates, str):
            raise TypeError(f"att_gt: covariates={covariates!r}; expected a list of column names")
        xformla = "~ " + " + ".join(covariates) if len(covariates) else None
    seed = check_seed(seed, "att_gt")
    if int(biters) < 1:
        raise ValueError(f"att_gt: biters={biters!r}; expected a positive integer")
    biters = int(biters)
    if anticipation < 0:
        raise ValueError(f"att_gt: anticipation={anticipation!r}; expected >= 0")

    prep = prepare(
        data, yname=yname, tname=tname, idname=idname, gname=gname, control_group=control_group,
        anticipation=anticipation, xformla=xformla, weightsname=weightsname,
    )
    spec, spec_notes = eng.build_spec(prep, control_group, base_period, anticipation)
    notes = list(prep.notes) + spec_notes
    n, H = prep.n, prep.H
    fast = prep.balanced and prep.X is None
    if fast:
        ifrep = eng.CohortIF(prep, spec)
        att = ifrep.att
    else:
        att, psi, est_notes = eng.dense_att(prep, spec, est_method)
        notes += est_notes
        ok = np.isfinite(att)
        if not ok.all():
            spec = spec.subset(ok)
            att, psi = att[ok], psi[:, ok]
        ifrep = eng.DenseIF(prep, spec, att, psi)
    se_an = eng.se_from_sumsq(ifrep.sumsq(None), n)
    se_an = np.where(spec.ref, np.nan, se_an)

    # --- which inference ------------------------------------------------------------------------
    sizes = np.bincount(prep.coh, minlength=H)[: H - 1]
    n_treated = int(sizes.sum())
    mode = inference
    if inference == "auto":
        if n_treated < AUTO_MIN_TREATED:
            mode = "randomization"
            note = (
                f"auto: only {n_treated} treated units (< {AUTO_MIN_TREATED}); cluster-robust and multiplier-"
                f"bootstrap SEs over-reject with so few treated units, so p-values and intervals come from "
                f"randomization inference ({biters} random permutations of treatment timing across units, "
                "cohort sizes kept; intervals by test inversion under a constant effect)."
            )
        elif sizes.min() < AUTO_MIN_COHORT:
            mode = "wild"
            note = (
                f"auto: the smallest cohort has {int(sizes.min())} unit(s) (< {AUTO_MIN_COHORT}); inference by "
                f"wild cluster bootstrap with Webb weights ({biters} draws"
                + (", null of no effect imposed)." if fast else ", unrestricted: covariates/unbalanced panel).")
            )
        else:
            mode = "multiplier"
            note = f"auto: multiplier bootstrap (Rademacher weights as R did via BMisc, {biters} draws, clustered by unit)."
    else:
        note = {
            "analytic": "analytic influence-function SEs clustered by unit (simultaneous bands from the multiplier bootstrap).",
            "multiplier": f"multiplier bootstrap (Rademacher weights as R did via BMisc, {biters} draws, clustered by unit).",
            "wild": f"wild cluster bootstrap with Webb weights ({biters} draws, "
            + ("null of no effect imposed via unit and period fixed effects)." if fast else "unrestricted: covariates/unbalanced panel)."),
            "randomization": f"randomization inference ({biters} random permutations of treatment timing across units, cohort sizes kept; intervals by test inversion under a constant effect).",
        }[inference]
        if n_treated < AUTO_MIN_TREATED and inference in ("analytic", "multiplier"):
            note += f" Warning: only {n_treated} treated units; these SEs tend to be too small (consider inference='randomization')."

    e = spec.t - spec.g
    pg = np.bincount(prep.coh, weights=prep.w, minlength=H)[: H - 1] / n
    st = _State(prep=prep, spec=spec, ifrep=ifrep, att=att, se_analytic=se_an, e=e, pg=pg, mode=mode, alp=alp)
    noise_p: float | None = None
    if mode in ("analytic", "multiplier"):
        d, s = ifrep.boot(biters, "rademacher", seed)
        st.boot_d, st.boot_s = d / n, s / n
        r = _infer(att, se_an, mode, alp, draws=st.boot_d)
    elif mode == "wild":
        resid = eng.twoway_residuals(prep) if fast else None
        d, _ = ifrep.boot(biters, "webb", seed, resid=resid)
        st.boot_d = d / n
        r = _infer(att, se_an, mode, alp, draws=st.boot_d)
    else:
        n_perm = biters
        # Without covariates the permutations are one pass over per-cohort sums (eng.permuted_mean_att);
        # only covariate designs re-fit their 2x2s per permutation, so only they are capped.
        n_designs = 0 if fast or prep.X is None else len(eng.design_groups(prep, spec))
        if 2 * n_designs * biters > MAX_DENSE_REFITS:
            # Every permutation re-fits every 2x2 design twice (outcome and treatment indicator).
            n_perm = max(99, MAX_DENSE_REFITS // (2 * n_designs))
            if n_perm < biters:
                note += (
                    f" With covariates each permutation re-fits {n_designs} 2x2 "
                    f"designs, so {n_perm} permutations were used instead of {biters} (p-values in steps "
                    f"of 1/{n_perm + 1})."
                )
        st.perm_att, st.perm_slope, st.perm_pg, st.obs_slope = _permutations(prep, spec, est_method, n_perm, seed, fast)
        n_failed = int((~np.isfinite(st.perm_att[:, ~spec.ref])).all(axis=1).sum())
        if n_failed:
            note += (f" {n_failed} of {n_perm} permutations gave no estimate (the 2x2 fits failed, e.g. no "
                     "covariate overlap between the permuted groups) and are left out of the randomization "
                     "distribution.")
        r = _infer(att, se_an, mode, alp, perm=st.perm_att, perm_slope=st.perm_slope, obs_slope=st.obs_slope)
        noise_p = noise_selection_p(prep, anticipation=anticipation, seed=seed)
        if noise_p is not None and noise_p < NOISE_ALPHA:
            msg = (f"the treated units were noisier before treatment than the other units (rank test of their "
                   f"period-to-period changes before the first cohort starts, p = {noise_p:.3g}): randomization "
                   "inference over-rejects when treatment goes to the noisiest units (selection on noise); "
                   "its p-values and intervals are then too optimistic")
            note += f" Warning: {msg}."
            warnings.warn(f"att_gt: {msg}", RuntimeWarning, stacklevel=2)
    for key in ("se", "p", "lo", "hi", "lo_s", "hi_s"):
        r[key] = np.where(spec.ref, np.nan, r[key])

    glab = np.array(prep.cohort_labels, dtype=object)[spec.hg]
    tlab = prep.tvals[spec.ti]
    tlab = [pd.Timestamp(v) for v in tlab] if prep.is_datetime else [
        int(v) if float(v).is_integer() else float(v) for v in tlab]
    # Built column-wise (not via Effect objects): thousands of rows on monthly panels.
    terms = [f"cell::{_lab(a)}:{_lab(b)}" for a, b in zip(glab, tlab, strict=True)]
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = att / r["se"]
    table = pd.DataFrame({
        "term": terms, "estimate": att, "std_error": r["se"], "statistic": stat, "p_value": r["p"],
        "conf_low": r["lo"], "conf_high": r["hi"], "conf_low_simul": r["lo_s"], "conf_high_simul": r["hi_s"],
        "group": glab, "time": tlab, "event_time": [_num(x) for x in e], "post": spec.post.astype(bool),
        "base_period": [_lab(_tval(prep, i)) for i in spec.bi],
    })
    assert list(table.columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS
    return ATTgtResult(
        table=table, control_group=control_group, base_period=base_period, est_method=est_method,
        inference=mode, inference_requested=inference, inference_note=note, seed=seed, biters=biters,
        alp=alp, anticipation=anticipation, xformla=xformla, n_units=n, n_periods=len(prep.tvals),
        cohorts={_lab(c): int(s) for c, s in zip(prep.cohort_labels, sizes, strict=True)},
        crit_val=float(r["crit"]), notes=tuple(notes), _state=st,
        noise_check_p=noise_p,
    )


#: :func:`noise_selection_p` below this: att_gt warns that randomization inference is not valid (a
#: warning of the estimator; the monitor's verdict rule uses ``verdict.noise_alpha`` of its configuration).
NOISE_ALPHA = 0.05


def noise_selection_p(prep: Prepared, *, anticipation: float = 0.0, seed: int | None = 0,
                      n_sets: int = 1999) -> float | None:
    """Were the treated units noisier than the others before any of them was treated?

    Randomization inference permutes treatment timing across units, which is fair only if the
    treated units are not the noisy ones. Score per unit: the mean square of its period-to-period
    changes (each period's mean change over all units taken off) in the periods before the first cohort
    starts (less ``anticipation``), where every unit is untreated; the treated units' mean rank is
    compared with ``n_sets`` random sets of as many units (one-sided; exact under random assignment
    because the scores use no treated period). ``None`` with fewer than 3 such periods observed for
    every unit, or without never- or not-yet-treated units.

    Examples
    --------
    >>> from wijklib.did._prep import prepare
    >>> from wijklib.did._sim import staggered_panel
    >>> df, _ = staggered_panel(3, n_units=40, n_periods=24, n_treated=9, cohorts=(9, 13, 17), effect=0.0,
    ...                         hetero=True, select_noise=4)
    >>> prep = prepare(df, yname="y", tname="month", idname="ward", gname="first_treated",
    ...                control_group="nevertreated", anticipation=0, xformla=None, weightsname=None)
    >>> p = noise_selection_p(prep)
    >>> 0 < p <= 1
    True
    """
    treated = prep.coh < prep.H - 1
    k, n = int(treated.sum()), prep.n
    if k == 0 or k == n or len(prep.cohorts) == 0:
        return None
    first = float(np.min(prep.cohorts)) - float(anticipation)
    cols = np.flatnonzero(prep.tnum < first)
    Y = prep.Y[:, cols]
    Y = Y[:, np.isfinite(Y).all(axis=0)]
    if Y.shape[1] < 3:
        return None
    d = np.diff(Y, axis=1)
    d = d - d.mean(axis=0, keepdims=True)
    score = np.mean(d * d, axis=1)
    ranks = pd.Series(score).rank().to_numpy()
    obs = float(ranks[treated].mean())
    rng = np.random.default_rng(seed)
    sims = np.array([ranks[rng.choice(n, size=k, replace=False)].mean() for _ in range(int(n_sets))])
    return float((1 + np.sum(sims >= obs - 1e-9)) / (n_sets + 1))


def _tval(prep: Prepared, i: int):
    v = prep.tvals[i]
    return pd.Timestamp(v) if prep.is_datetime else v


def _lab(v) -> str:
    if isinstance(v, pd.Timestamp):
        return str(v.date())
    return _fmt_t(v, False) if isinstance(v, int | float | np.number) else str(v)


def _num(x: float):
    return int(x) if float(x).is_integer() else float(x)


def _permutations(prep: Prepared, spec: eng.GTSpec, est_method: str, P: int, seed, fast: bool):
    """ATT(g,t) under random re-assignments of cohorts to units (cohort sizes kept).

    Also returns the estimator applied to the observed treatment indicator (for test inversion) and the
    group shares of each permutation (weights move with the units).
    """
    rng = np.random.default_rng(seed)
    n, H = prep.n, prep.H
    D_obs = eng.treated_indicator(prep)
    perms = inf.permutation_labels(prep.coh, P, rng)
    att_p = np.empty((P, spec.k))
    slope_p = np.empty((P, spec.k))
    pg_p = np.empty((P, H - 1))
    if fast:
        SD, W = eng.cohort_sums(D_obs, prep.w, prep.coh, H)
        obs_slope = eng.fast_att(SD, W, spec)[0]
        YD = np.concatenate([prep.Y, D_obs], axis=1)
        T = prep.Y.shape[1]
        for p in range(P):
            onehot = np.zeros((H, n))
            onehot[perms[p], np.arange(n)] = prep.w
            S = onehot @ YD
            Wp = onehot.sum(axis=1)
            att_p[p] = eng.fast_att(S[:, :T], Wp, spec)[0]
            slope_p[p] = eng.fast_att(S[:, T:], Wp, spec)[0]
            pg_p[p] = Wp[: H - 1] / n
    elif prep.X is None:  # unbalanced, no covariates: every 2x2 is a difference of weighted means
        obs_slope = eng.permuted_mean_att(prep, spec, prep.coh[None, :], Y=D_obs)[0]
        att_p = eng.permuted_mean_att(prep, spec, perms)
        slope_p = eng.permuted_mean_att(prep, spec, perms, Y=D_obs)
        for p in range(P):
            pg_p[p] = np.bincount(perms[p], weights=prep.w, minlength=H)[: H - 1] / n
    else:
        obs_slope = eng.dense_att(prep, spec, est_method, Y=D_obs, want_if=False)[0]
        for p in range(P):
            att_p[p] = eng.dense_att(prep, spec, est_method, coh=perms[p], want_if=False)[0]
            slope_p[p] = eng.dense_att(prep, spec, est_method, Y=D_obs, coh=perms[p], want_if=False)[0]
            pg_p[p] = np.bincount(perms[p], weights=prep.w, minlength=H)[: H - 1] / n
    return att_p, slope_p, pg_p, obs_slope


__all__ = ["att_gt", "ATTgtResult", "AggResult", "PreTest", "TIDY_COLUMNS"]
