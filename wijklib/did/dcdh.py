"""de Chaisemartin & D'Haultfœuille event-study DiD for treatments that switch off or change intensity.

:func:`dcdh` computes the estimators of de Chaisemartin & D'Haultfœuille (2024, *REStat*,
"Difference-in-differences estimators of intertemporal treatment effects"), as the R/Stata command
``did_multiplegt_dyn`` does without controls: for every group whose treatment first changes at
``F_g`` (up: switcher-in, down: switcher-out), the ``F_g - 1`` to ``F_g - 1 + l`` outcome change is
compared with that of groups with the same baseline (period-one) treatment whose treatment has not
changed yet; ``Effect_l`` averages these over switchers (switchers-out with the sign flipped), and
``Placebo_l`` does the same for the ``F_g - 1 - l`` to ``F_g - 1`` change. ``normalized=True``
divides each effect by the average cumulated dose change of its switchers, so a non-binary
treatment (enforcement hours, a focus area's intensity) gives an effect per unit of treatment.

Standard errors are the package's analytic ones: the influence function of each group, with the
cohort-mean centring and small-cohort degrees-of-freedom factors of the package's default
("conservative") variance, summed within clusters (default: the group). The numbers match the
published output of the package's favara_imbs example (``tests/reference/test_dcdh_published.py``).

Not implemented (the function refuses them rather than silently ignoring them): controls, linear
trends, ``trends_nonparam``, weights, ``less_conservative_se``, bootstrap, ``same_switchers_pl``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..results import (
    Effect,
    Method,
    PreTest,
    ResultProtocol,
    no_pretest,
    print_or_return,
    protocol_tidy,
    tidy_frame,
)

__all__ = ["dcdh", "DCDHResult", "DCDHError"]

Switchers = Literal["", "in", "out"]


class DCDHError(ValueError):
    """The panel or the options cannot be used for the dCDH estimator."""


# ----------------------------------------------------------------------------------------------
# result
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DCDHResult(ResultProtocol):
    """Result of :func:`dcdh`.

    ``tidy()`` is the single source: one row per ``Effect_l``, ``Placebo_l`` and
    ``Av_tot_effect`` (average total effect per unit of treatment), with :data:`TIDY_COLUMNS` plus
    ``kind`` (effect/placebo/average), ``horizon`` (l, negative for placebos, 0 for the average),
    ``n`` (cells used, the package's ``N``) and ``switchers`` (the package's ``Switchers``).
    ``method`` records the options and the panel size. Terms keep the package's names; ``effect``
    is ``Av_tot_effect`` (``Effect_1`` when there is no average); ``pretest()`` is the package's
    joint test that all placebos are 0.
    """

    table: pd.DataFrame
    method: Method = field(default_factory=dict)

    def __post_init__(self) -> None:
        m = self.method
        object.__setattr__(self, "method", Method.of(
            m, estimator="de Chaisemartin-D'Haultfoeuille", inference="analytic",
            alpha=1 - float(m.get("ci_level", 95.0)) / 100, control_group="groups whose treatment has not changed yet",
            seed=None, n_units=m.get("n_groups")))

    @property
    def effect(self) -> Effect:
        """The headline: the average total effect (``Av_tot_effect``), else ``Effect_1``."""
        t = self.table.set_index("term")
        key = "Av_tot_effect" if "Av_tot_effect" in t.index else ("Effect_1" if "Effect_1" in t.index else None)
        if key is None:
            return Effect("Av_tot_effect", math.nan, math.nan, math.nan, math.nan, math.nan, alpha=self.alpha)
        r = t.loc[key]
        return Effect(key, float(r["estimate"]), float(r["std_error"]), float(r["conf_low"]), float(r["conf_high"]),
                      float(r["p_value"]), float(r["statistic"]), alpha=self.alpha)

    def tidy(self) -> pd.DataFrame:
        """One row per estimate (a copy)."""
        return protocol_tidy(self.table, scale="difference", alpha=self.alpha)

    def _interval_reference(self) -> tuple[str, float | None] | None:
        return ("normal", None)

    def pretest(self) -> PreTest:
        m = self.method
        p = m.get("p_joint_placebo", math.nan)
        n = len(self.placebos)
        if p is None or not np.isfinite(p):
            return no_pretest("fewer than two placebos (placebo= sets how many)" if n < 2
                              else "singular covariance of the placebos")
        return PreTest(float(m.get("stat_joint_placebo", math.nan)), n, float(p), tuple(self.placebos["term"]),
                       test="Wald chi2 (influence-function covariance), H0: all placebos = 0 (did_multiplegt_dyn)")

    @property
    def effects(self) -> pd.DataFrame:
        t = self.table
        return t[t["kind"] == "effect"].reset_index(drop=True)

    @property
    def placebos(self) -> pd.DataFrame:
        t = self.table
        return t[t["kind"] == "placebo"].reset_index(drop=True)

    def summary(self, *, as_string: bool = False) -> str | None:
        """The table as ``did_multiplegt_dyn`` prints it (Estimate, SE, LB CI, UB CI, N, Switchers)."""
        m = self.method
        lines = [f"de Chaisemartin-D'Haultfoeuille event-study DiD ({'normalized' if m.get('normalized') else 'non-normalized'}"
                 f"; switchers: {m.get('switchers') or 'in and out'}; SE clustered by {m.get('cluster')})",
                 f"{'':<14}{'Estimate':>12}{'SE':>12}{'LB CI':>12}{'UB CI':>12}{'N':>8}{'Switchers':>10}"]
        for r in self.table.itertuples():
            lines.append(f"{r.term:<14}{r.estimate:>12.5f}{r.std_error:>12.5f}{r.conf_low:>12.5f}"
                         f"{r.conf_high:>12.5f}{r.n:>8.0f}{r.switchers:>10.0f}")
        if "p_joint_placebo" in m and not math.isnan(m["p_joint_placebo"]):
            lines.append(f"joint test that all placebos are 0: p = {m['p_joint_placebo']:.4f}")
        return print_or_return("\n".join(lines), as_string)

    def plot(self, *, ax: Any = None, title: str | None = None) -> Any:
        """Event-study plot: placebos (l < 0), reference 0 at l = 0, effects (l > 0); returns Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4))
        t = self.table[self.table["kind"] != "average"].sort_values("horizon")
        x = np.concatenate([t["horizon"].to_numpy(float), [0.0]])
        y = np.concatenate([t["estimate"].to_numpy(float), [0.0]])
        lo = np.concatenate([t["conf_low"].to_numpy(float), [0.0]])
        hi = np.concatenate([t["conf_high"].to_numpy(float), [0.0]])
        o = np.argsort(x)
        ax.errorbar(x[o], y[o], yerr=[y[o] - lo[o], hi[o] - y[o]], fmt="o-", color="C0", capsize=3)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.axvline(0, color="0.6", lw=0.8, ls=":")
        ax.set_xlabel("perioden sinds de eerste verandering van de inzet")
        ax.set_ylabel("effect per eenheid inzet" if self.method.get("normalized") else "effect")
        ax.set_title(title or "Effect na een verandering van de inzet (de Chaisemartin-D'Haultfoeuille)")
        return ax

    def __repr__(self) -> str:
        e = self.effects
        head = f"Effect_1={e['estimate'].iloc[0]:.4f}" if len(e) else "no effects"
        return f"<DCDHResult {head} effects={len(e)} placebos={len(self.placebos)} groups={self.method.get('n_groups')}>"


# ----------------------------------------------------------------------------------------------
# helpers on (group x period) arrays; NaN is R's NA
# ----------------------------------------------------------------------------------------------


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """Value k periods earlier (k > 0) along axis 1; NaN where it falls off the panel."""
    out = np.full_like(a, np.nan)
    if k > 0:
        out[:, k:] = a[:, :-k]
    elif k < 0:
        out[:, :k] = a[:, -k:]
    else:
        out[:] = a
    return out


def _by_sum(v: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Sum of v (NaN skipped) over cells sharing the same key (per column key array of ints), broadcast."""
    flat_k = key.ravel()
    vals = np.where(np.isnan(v), 0.0, v).ravel()
    uk, inv = np.unique(flat_k, return_inverse=True)
    s = np.bincount(inv, weights=vals, minlength=len(uk))
    return s[inv].reshape(v.shape)


def _cell_key(dsq_code: np.ndarray, nt: int) -> np.ndarray:
    """Integer key for (baseline treatment, period) cells."""
    g = dsq_code[:, None] * nt + np.arange(nt)[None, :]
    return g


def _nunique_by(key: np.ndarray, mask: np.ndarray, cl: np.ndarray) -> np.ndarray:
    """Number of distinct clusters among masked cells per key, broadcast to masked cells (NaN elsewhere)."""
    out = np.full(key.shape, np.nan)
    if not mask.any():
        return out
    k = key[mask]
    c = cl[mask]
    pairs = pd.DataFrame({"k": k, "c": c})
    n = pairs.drop_duplicates().groupby("k").size()
    out[mask] = n.reindex(k).to_numpy(float)
    return out


def _cohort_stats(key: np.ndarray, mask: np.ndarray, dy: np.ndarray, cl: np.ndarray | None):
    """Mean of dy and dof count (cells, or distinct clusters) among masked cells per key; NaN off-mask."""
    mean = np.full(key.shape, np.nan)
    dof = np.full(key.shape, np.nan)
    if mask.any():
        k = key[mask]
        uk, inv = np.unique(k, return_inverse=True)
        cnt = np.bincount(inv, minlength=len(uk)).astype(float)
        tot = np.bincount(inv, weights=dy[mask], minlength=len(uk))
        mean[mask] = (tot / cnt)[inv]
        if cl is None:
            dof[mask] = cnt[inv]
        else:
            dof = _nunique_by(key, mask, cl)
    return mean, dof


def _e_hat_dof(t_idx, Fg, i, mean_ns, mean_s, mean_nss, dof_ns, dof_s, dof_nss):
    """The package's E_hat_gt (cohort mean subtracted) and DOF_gt (sqrt(n/(n-1))) for horizon i."""
    pre = t_idx < Fg
    at = (Fg - 1 + i) == t_idx
    ge2 = lambda x: np.nan_to_num(x, nan=0.0) >= 2  # noqa: E731 - NA compares FALSE in data.table
    eq1 = lambda x: np.nan_to_num(x, nan=0.0) == 1  # noqa: E731
    e = np.full(t_idx.shape, np.nan)
    e[pre | at] = 0.0
    m = pre & (np.isnan(dof_ns) | ge2(dof_ns))
    e[m] = mean_ns[m]
    e[np.isnan(mean_ns)] = np.nan
    m = at & (np.isnan(dof_s) | ge2(dof_s))
    e[m] = mean_s[m]
    m = ge2(dof_nss) & ((at & eq1(dof_s)) | (pre & eq1(dof_ns)))
    e[m] = mean_nss[m]
    e[np.isnan(mean_nss)] = np.nan

    d = np.full(t_idx.shape, np.nan)
    d[pre | at] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        m = at & (np.nan_to_num(dof_s) > 1)
        d[m] = np.sqrt(dof_s[m] / (dof_s[m] - 1))
        m = pre & (np.nan_to_num(dof_ns) > 1)
        d[m] = np.sqrt(dof_ns[m] / (dof_ns[m] - 1))
        m = ge2(dof_nss) & ((at & eq1(dof_s)) | (pre & eq1(dof_ns)))
        d[m] = np.sqrt(dof_nss[m] / (dof_nss[m] - 1))
    d[np.isnan(dof_s) & np.isnan(dof_ns) & np.isnan(dof_nss)] = np.nan
    return e, d


# ----------------------------------------------------------------------------------------------
# data preparation (did_multiplegt_main.R, no controls/weights)
# ----------------------------------------------------------------------------------------------


def _validate(data: pd.DataFrame, outcome: str, group: str, time: str, treatment: str,
              cluster: str | None) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise DCDHError(f"dcdh: data must be a pandas DataFrame, got {type(data).__name__}")
    cols = [outcome, group, time, treatment] + ([cluster] if cluster else [])
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DCDHError(f"dcdh: column(s) {missing} not in the data (columns: {list(data.columns)})")
    df = data[list(dict.fromkeys(cols))].copy()
    for c in (outcome, treatment):
        num = pd.to_numeric(df[c], errors="coerce")
        bad = num.isna() & df[c].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DCDHError(f"dcdh: column {c!r} must be numeric; row {i} ({df[group].iloc[i]!r}, "
                            f"{df[time].iloc[i]!r}) holds {data[c].iloc[i]!r}")
        if np.isinf(num).any():
            i = int(np.flatnonzero(np.isinf(num.to_numpy()))[0])
            raise DCDHError(f"dcdh: column {c!r} has an infinite value at row {i}")
        df[c] = num.astype(float)
    if df[group].isna().any() or df[time].isna().any():
        raise DCDHError(f"dcdh: columns {group!r} and {time!r} must not be missing")
    if df.duplicated([group, time]).any():
        r = df.loc[df.duplicated([group, time]), [group, time]].iloc[0].tolist()
        raise DCDHError(f"dcdh: group/period {r} occurs more than once; aggregate to one row per "
                        "group and period first (individual-level data are not supported)")
    if cluster:
        nest = df.groupby(group)[cluster].nunique(dropna=True)
        if (nest > 1).any():
            raise DCDHError(f"dcdh: group {nest[nest > 1].index[0]!r} lies in more than one "
                            f"{cluster!r}; the group must be nested within the cluster")
    return df


def dcdh(
    data: pd.DataFrame,
    *,
    outcome: str,
    group: str,
    time: str,
    treatment: str,
    effects: int = 1,
    placebo: int = 0,
    normalized: bool = False,
    switchers: Switchers = "",
    cluster: str | None = None,
    same_switchers: bool = False,
    only_never_switchers: bool = False,
    dont_drop_larger_lower: bool = False,
    ci_level: float = 95.0,
) -> DCDHResult:
    """de Chaisemartin & D'Haultfœuille (2024) event-study DiD (``did_multiplegt_dyn`` without controls).

    Parameters
    ----------
    data : one row per group and period; ``treatment`` may be binary or take several values and
        may go up and down (a ward entering and leaving a programme, enforcement hours per month).
    outcome, group, time, treatment : column names (argument names as in the R package).
    effects : number of event-study effects ``Effect_1..Effect_l`` (l periods after the first change).
    placebo : number of placebos (pre-switch comparisons; at most ``effects``).
    normalized : divide ``Effect_l`` by the switchers' average cumulated treatment change from
        ``F_g`` to ``F_g - 1 + l`` (an effect per unit of treatment, weighted over current and lagged doses).
    switchers : ``""`` both, ``"in"`` only groups whose treatment rises, ``"out"`` only those where it falls.
    cluster : column for clustered SEs (groups must be nested in it); default: the group.
    same_switchers : use only switchers for which all ``effects`` effects can be estimated.
    only_never_switchers : controls are groups whose treatment never changes (not the not-yet-switched).
    dont_drop_larger_lower : keep groups whose treatment goes both above and below its baseline
        (by default their cells are dropped from the period the second direction appears, as in the package).
    ci_level : confidence level in percent (normal intervals, as in the package).

    Returns
    -------
    DCDHResult with ``tidy()`` rows ``Effect_l``, ``Av_tot_effect``, ``Placebo_l``.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(g, t, float(g == "a" and t >= 3), float(t + (2.0 if g == "a" and t >= 3 else 0)) + (g == "c"))
    ...         for g in "abc" for t in range(1, 6)]
    >>> df = pd.DataFrame(rows, columns=["wijk", "maand", "inzet", "y"])
    >>> res = dcdh(df, outcome="y", group="wijk", time="maand", treatment="inzet", effects=2)
    >>> float(res.tidy().set_index("term").loc["Effect_1", "estimate"])
    2.0
    """
    if switchers not in ("", "in", "out"):
        raise DCDHError(f"dcdh: switchers must be '', 'in' or 'out', got {switchers!r}")
    for name, v, lo in (("effects", effects, 1), ("placebo", placebo, 0)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
            raise DCDHError(f"dcdh: {name} must be an integer >= {lo}, got {v!r}")
    if not 0 < ci_level < 100:
        raise DCDHError(f"dcdh: ci_level is a percentage in (0, 100), got {ci_level!r}")
    if cluster == group:
        cluster = None
    df = _validate(data, outcome, group, time, treatment, cluster)

    # groups whose outcome or treatment is never observed are dropped (as the package does)
    ok = df.groupby(group)[outcome].transform(lambda s: s.notna().any()) & \
        df.groupby(group)[treatment].transform(lambda s: s.notna().any())
    df = df[ok]
    if df.empty:
        raise DCDHError("dcdh: no group has both an observed outcome and an observed treatment")

    times = np.sort(df[time].unique())
    gcodes, gnames = pd.factorize(df[group], sort=False)
    tcodes = np.searchsorted(times, df[time].to_numpy())
    G0, T0 = len(gnames), len(times)
    present = np.zeros((G0, T0), bool)
    present[gcodes, tcodes] = True
    Y = np.full((G0, T0), np.nan)
    D = np.full((G0, T0), np.nan)
    Y[gcodes, tcodes] = df[outcome].to_numpy(float)
    D[gcodes, tcodes] = df[treatment].to_numpy(float)
    CL = None
    if cluster:
        cl_codes, _ = pd.factorize(df[cluster])
        cl_codes = np.where(df[cluster].isna().to_numpy(), -1, cl_codes)
        cl_g = pd.Series(cl_codes).where(pd.Series(cl_codes) >= 0).groupby(gcodes).min()
        CL = cl_g.reindex(range(G0)).to_numpy(float)
    tnum = np.arange(1, T0 + 1, dtype=float)  # time_XX

    dnon = present & ~np.isnan(D)
    tt = np.broadcast_to(tnum, (G0, T0))
    min_d = np.where(dnon, tt, np.inf).min(1)
    max_d = np.where(dnon, tt, -np.inf).max(1)
    d_sq = D[np.arange(G0), (min_d - 1).astype(int)]

    # Design restriction: drop cells from the period a group has been both above and below baseline
    diff = D - d_sq[:, None]
    if not dont_drop_larger_lower:
        inc = np.cumsum(np.where(dnon, diff > 0, False), axis=1) > 0
        dec = np.cumsum(np.where(dnon, diff < 0, False), axis=1) > 0
        drop = inc & dec & present
        present &= ~drop
        Y[drop] = np.nan
        D[drop] = np.nan
        dnon = present & ~np.isnan(D)
    change = np.where(dnon, np.abs(np.nan_to_num(diff)) > 0, False)
    # ever_change propagates over the group's present rows (the package shifts over rows)
    ever = np.zeros((G0, T0), bool)
    prev = np.zeros(G0, bool)
    for t in range(T0):
        cur = np.where(present[:, t], change[:, t] | prev, False)
        ever[:, t] = cur
        prev = np.where(present[:, t], cur, prev)
    first = ever & ~np.concatenate([np.zeros((G0, 1), bool), ever[:, :-1]], axis=1)
    # the package: temp_F_g = time where ever==1 and the previous ROW's ever==0 (max over rows)
    Fg = np.where(first.any(1), np.where(first, tt, 0).max(1), 0.0)

    # keep baseline values with variation in F_g (Design Restriction 1)
    dsq_codes, dsq_vals = pd.factorize(pd.Series(d_sq))
    keep_g = np.zeros(G0, bool)
    for c in range(len(dsq_vals)):
        m = dsq_codes == c
        rows_f = np.repeat(Fg[m], present[m].sum(1))
        keep_g[m] = len(rows_f) > 1 and np.std(rows_f) > 0
    if not keep_g.any():
        raise DCDHError("dcdh: no treatment effect can be estimated: for every baseline treatment value, "
                        "all groups with that value change treatment at the same date (or only one group "
                        "has it), so there is no not-yet-switched control group")
    sel = np.flatnonzero(keep_g)
    Y, D, present, ever, Fg, d_sq, min_d, max_d = (Y[sel], D[sel], present[sel], ever[sel], Fg[sel],
                                                  d_sq[sel], min_d[sel], max_d[sel])
    dsq_codes = pd.factorize(pd.Series(d_sq))[0]
    gnames = gnames[sel]
    if CL is not None:
        CL = CL[sel]
    G = len(sel)

    # periods with no not-yet-changed group of the same baseline are dropped for that baseline
    key0 = _cell_key(dsq_codes, T0)
    ctrl = _by_sum(np.where(present, (~ever).astype(float), 0.0), key0) > 0
    present &= ctrl
    Y[~present] = np.nan
    D[~present] = np.nan
    keep_t = present.any(0)
    t_min, T_max = tnum[keep_t].min(), tnum[keep_t].max()
    # the balanced panel has the remaining periods as columns (row shifts of the package)
    cols = np.flatnonzero(keep_t)
    Y, D, present, tnum2 = Y[:, cols], D[:, cols], present[:, cols], tnum[cols]
    T = len(cols)
    tt = np.broadcast_to(tnum2, (G, T))
    Fg = np.where(Fg == 0, T_max + 1, Fg)

    # missing treatments (the package's liberal conventions)
    sw = Fg < T_max + 1
    dnon = present & ~np.isnan(D)
    ldbf = np.where(dnon & (tt < Fg[:, None]), tt, -np.inf).max(1)
    Y[tt < min_d[:, None]] = np.nan
    fill = sw[:, None] & present & np.isnan(D) & (tt < ldbf[:, None]) & (tt > min_d[:, None])
    D[fill] = np.broadcast_to(d_sq[:, None], D.shape)[fill]
    lost = sw & (ldbf < Fg - 1)
    Y[lost[:, None] & present & (tt > ldbf[:, None])] = np.nan
    trunc = np.where(lost, ldbf + 1, np.nan)
    Fg = np.where(lost, T_max + 1, Fg)
    sw = Fg < T_max + 1
    at_f = tt == Fg[:, None]
    d_Fg = np.array([np.nanmean(D[g, at_f[g]]) if at_f[g].any() and not np.all(np.isnan(D[g, at_f[g]]))
                     else np.nan for g in range(G)])
    fill = sw[:, None] & present & np.isnan(D) & (tt > Fg[:, None]) & (ldbf[:, None] == Fg[:, None] - 1)
    D[fill] = np.broadcast_to(d_Fg[:, None], D.shape)[fill]
    fill = (~sw)[:, None] & present & np.isnan(D) & (tt > min_d[:, None]) & (tt < max_d[:, None])
    D[fill] = np.broadcast_to(d_sq[:, None], D.shape)[fill]
    Y[(~sw)[:, None] & (tt > max_d[:, None])] = np.nan
    trunc = np.where(~sw, max_d + 1, trunc)

    N_gt = np.where(np.isnan(Y) | np.isnan(D), 0.0, 1.0)
    Fg_tr = np.where(np.isnan(trunc), Fg, np.minimum(Fg, trunc))
    T_g = np.zeros(G)
    for c in np.unique(dsq_codes):
        m = dsq_codes == c
        T_g[m] = Fg_tr[m].max() - 1

    # S_g: average post-switch treatment above (1) or below (0) baseline
    post = (tt >= Fg[:, None]) & (tt <= T_g[:, None]) & ~np.isnan(D)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg_post = np.where(post, D, 0.0).sum(1) / post.sum(1)
    nofirst = (avg_post == d_sq) & (Fg != T_g + 1)
    S_g = np.where(sw, np.where(np.isnan(avg_post), np.nan, (avg_post > d_sq).astype(float)), np.nan)
    gkeep = ~nofirst
    at_f = tt == Fg[:, None]
    d_fg = np.where(at_f.any(1), np.nansum(np.where(at_f, D, 0.0), 1), np.nan)
    d_fg = np.where(np.isnan(d_fg) & ~sw, d_sq, d_fg)
    L_g = T_g - Fg + 1
    L_pl = np.where(Fg >= 3, np.where(L_g > Fg - 2, Fg - 2, L_g), np.nan)

    # groups without a first stage leave the sample (G is not recounted, as in the package)
    idx = np.flatnonzero(gkeep)
    Y, D, N_gt, Fg, T_g, S_g, d_sq, d_fg, L_g, L_pl, dsq_codes = (
        Y[idx], D[idx], N_gt[idx], Fg[idx], T_g[idx], S_g[idx], d_sq[idx], d_fg[idx], L_g[idx],
        L_pl[idx], dsq_codes[idx])
    gnames = gnames[idx]
    if CL is not None:
        CL = CL[idx]
    tt = np.broadcast_to(tnum2, Y.shape)

    def _mx(v, m):
        v = v[m & ~np.isnan(v)]
        return float(v.max()) if len(v) else math.nan

    L_u, L_a = _mx(L_g, S_g == 1), _mx(L_g, S_g == 0)
    Lp_u, Lp_a = _mx(L_pl, S_g == 1), _mx(L_pl, S_g == 0)
    cand = {"": [L_u, L_a], "in": [L_u], "out": [L_a]}[switchers]
    cand = [c for c in cand if not math.isnan(c)]
    if not cand or max(cand) < 1:
        raise DCDHError("dcdh: no switcher" + (f" of type {switchers!r}" if switchers else "")
                        + " has a control group with the same baseline treatment when its treatment changes")
    l_XX = int(min(effects, max(cand)))
    pc = {"": [Lp_u, Lp_a], "in": [Lp_u], "out": [Lp_a]}[switchers]
    pc = [c for c in pc if not math.isnan(c)]
    l_pl = int(min(placebo, max(pc) if pc else 0, effects)) if placebo else 0
    l_pl = max(l_pl, 0)

    ctx = dict(Y=Y, D=D, N_gt=N_gt, Fg=Fg, T_g=T_g, S_g=S_g, d_sq=d_sq, d_fg=d_fg, L_g=L_g,
               dsq_codes=dsq_codes, CL=CL, tt=tt, G=G, T_max=T_max, t_min=t_min,
               only_never=only_never_switchers, same_switchers=same_switchers)
    runs = {}
    for inc, Lmax, Lpmax, tag in ((1, L_u, Lp_u, "in"), (0, L_a, Lp_a, "out")):
        if switchers and switchers != tag:
            continue
        if math.isnan(Lmax) or Lmax < 1:
            continue
        la = int(min(Lmax, l_XX))
        lpa = int(min(l_pl, Lpmax)) if (l_pl and not math.isnan(Lpmax)) else 0
        runs[inc] = _core(ctx, inc, la, lpa, l_XX, normalized)

    table, extra = _combine(runs, l_XX, l_pl, G, normalized, switchers, CL, ci_level)
    method = MappingProxyType({
        "estimator": "de Chaisemartin-D'Haultfoeuille (did_multiplegt_dyn)",
        "normalized": normalized, "switchers": switchers, "same_switchers": same_switchers,
        "only_never_switchers": only_never_switchers,
        "cluster": cluster or group, "inference": "analytic influence-function SE (conservative, package default)",
        "ci_level": ci_level, "n_groups": G, "n_periods": T, "effects_requested": effects,
        "placebo_requested": placebo, **extra,
    })
    return DCDHResult(table, method)


# ----------------------------------------------------------------------------------------------
# core (did_multiplegt_dyn_core.R, one direction of switch)
# ----------------------------------------------------------------------------------------------


def _core(c: dict, inc: int, l_u_a: int, l_pl_a: int, effects: int, normalized: bool) -> dict:
    Y, N_gt, Fg, T_g, S_g, tt, G = c["Y"], c["N_gt"], c["Fg"], c["T_g"], c["S_g"], c["tt"], c["G"]
    D, d_sq, L_g, CL, T_max = c["D"], c["d_sq"], c["L_g"], c["CL"], c["T_max"]
    key = _cell_key(c["dsq_codes"], Y.shape[1])
    Fc, Tc = Fg[:, None], T_g[:, None]
    is_inc = (S_g == inc)[:, None]
    cl_cells = None if CL is None else np.broadcast_to(CL[:, None], Y.shape)
    # switchers' cohort key for the variance: (baseline, F_g, D at F_g)
    sk = pd.factorize(pd.Series(list(zip(d_sq, Fg, c["d_fg"], strict=True))))[0]
    skey = np.broadcast_to(sk[:, None], Y.shape)

    still = np.ones(len(Fg), bool)
    if c["same_switchers"]:
        check = np.zeros(len(Fg))
        for q in range(1, effects + 1):
            dq = Y - _shift(Y, q)
            nl = np.where(~np.isnan(dq) & (Fc > tt), 1.0, np.nan)
            if c["only_never"]:
                nl = np.where((Fc > tt) & (Fc < T_max + 1) & ~np.isnan(dq), 0.0, nl)
            ncl = _by_sum(nl * N_gt, key)
            at = tt == (Fc - 1 + q)
            has = at.any(1)
            ncl_m = np.where(has, np.where(at, ncl, 0).sum(1), np.nan)
            dq_ok = ~np.isnan(np.where(at, dq, np.nan)).all(1)
            check += (np.nan_to_num(ncl_m) > 0) & dq_ok
        still = (Fg - 1 + effects <= T_g) & (check == effects)

    out: dict[str, Any] = {"U": {}, "Uvar": {}, "N": {}, "count": {}, "delta": {}, "delta_g": {},
                           "U_pl": {}, "Uvar_pl": {}, "N_pl": {}, "count_pl": {}, "delta_pl": {}}
    store_never = {}
    store_dist = {}
    def influence(i: int, dy: np.ndarray, dist: np.ndarray, never: np.ndarray, n_ctrl: np.ndarray):
        """Switchers' weight ``N_i`` of the ``i``-th difference ``dy`` (an effect or a placebo) and its
        pieces: influence ``U``, cell ``count``, variance influence ``Uvar`` and, normalised, ``delta``."""
        N_t = np.nansum(dist * N_gt, axis=0)  # per period, all baselines
        N_i = float(N_t.sum())
        if N_i == 0:
            return N_i, None
        N_t_g = _by_sum(dist * N_gt, key)
        win = (tt >= i + 1) & (tt <= Tc)
        dummy = (i <= T_g - 1)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            coef = dummy * (G / N_i) * win * N_gt * (dist - (N_t_g / n_ctrl) * never)
        term = coef * dy
        cnt = (~np.isnan(term) & (term != 0)) | ((term == 0) & (dy == 0) &
                                                 ((np.nan_to_num(dist, nan=0) != 0) |
                                                  ((N_t_g != 0) & (np.nan_to_num(never, nan=0) != 0))))
        parts = {"U": np.nansum(term, axis=1), "count": np.where(cnt, N_gt, 0.0)}
        # variance: cohort-mean centring and dof factors
        dof_ns = (N_gt != 0) & ~np.isnan(dy) & (np.nan_to_num(never) == 1) & (N_t[None, :] > 0)
        dof_s = (N_gt != 0) & (np.nan_to_num(dist) == 1)
        mean_ns, dn_ns = _cohort_stats(key, dof_ns, dy, cl_cells)
        mean_s, dn_s = _cohort_stats(skey, dof_s, dy, cl_cells)
        mean_nss, dn_nss = _cohort_stats(key, dof_ns | dof_s, dy, cl_cells)
        e_hat, dof = _e_hat_dof(tt, Fc, i, mean_ns, mean_s, mean_nss, dn_ns, dn_s, dn_nss)
        with np.errstate(invalid="ignore"):
            parts["Uvar"] = np.nansum(coef * dof * (dy - e_hat), axis=1)
        if normalized:
            rng = (tt >= Fc) & (tt <= Fc - 1 + i) & is_inc
            s_treat = np.nansum(np.where(rng, D - d_sq[:, None], np.nan), axis=1)
            sgn = np.where(S_g == 1, 1.0, -1.0)
            m = np.nan_to_num(dist) == 1
            parts["delta"] = float(np.sum(np.where(m, (N_gt / N_i) * (sgn * s_treat)[:, None], 0.0)))
        return N_i, parts

    for i in range(1, l_u_a + 1):
        dy = Y - _shift(Y, i)
        never = np.where(np.isnan(dy), np.nan, (Fc > tt).astype(float))
        if c["only_never"]:
            never = np.where((Fc > tt) & (Fc < T_max + 1), 0.0, never)
            never[np.isnan(dy)] = np.nan
        n_ctrl = _by_sum(never * N_gt, key)
        base = (tt == Fc - 1 + i) & (i <= L_g[:, None]) & is_inc & (n_ctrl > 0)
        if c["same_switchers"]:
            base &= still[:, None]
        dist = np.where(np.isnan(dy), np.nan, base.astype(float))
        store_never[i], store_dist[i] = never, dist
        N_i, parts = influence(i, dy, dist, never, n_ctrl)
        out["N"][i] = N_i
        if parts is None:
            continue
        for k, v in parts.items():
            out[k][i] = v
        # per-period dose for the average total effect
        m = np.nan_to_num(dist) == 1
        dd = np.where(S_g == 1, 1.0, -1.0)[:, None] * (D - d_sq[:, None])
        out["delta_g"][i] = float(np.sum(np.where(m, (N_gt / N_i) * dd, 0.0)))

    for i in range(1, l_pl_a + 1):
        if i not in store_dist:
            continue
        dyp = _shift(Y, 2 * i) - _shift(Y, i)
        never = store_never[i] * (~np.isnan(dyp))
        n_ctrl = _by_sum(never * N_gt, key)
        dist0 = store_dist[i]
        dist = np.where(np.isnan(dist0), np.nan, dist0 * (~np.isnan(dyp)) * (n_ctrl > 0))
        N_i, parts = influence(i, dyp, dist, never, n_ctrl)
        out["N_pl"][i] = N_i
        if parts is None:
            continue
        for k, v in parts.items():
            out[k + "_pl"][i] = v

    # average total effect pieces
    Ns = {i: out["N"][i] for i in out["U"]}
    sumN = float(sum(Ns.values()))
    num = np.zeros(len(Fg))
    numv = np.zeros(len(Fg))
    den = 0.0
    for i in out["U"]:
        w = Ns[i] / sumN
        num += w * out["U"][i]
        numv += w * out["Uvar"][i]
        den += w * out["delta_g"][i]
    out["sumN"] = sumN
    out["U_avg"] = num / den if den else np.full(len(Fg), np.nan)
    out["Uvar_avg"] = numv / den if den else np.full(len(Fg), np.nan)
    out["den_avg"] = den
    return out


def _var(u: np.ndarray, G: int, CL: np.ndarray | None) -> float:
    if CL is None:
        return float(np.sum(u ** 2) / G ** 2)
    s = pd.Series(u).groupby(CL).sum()
    return float(np.sum(s.to_numpy() ** 2) / G ** 2)


def _combine(runs: dict, l_XX: int, l_pl: int, G: int, normalized: bool, switchers: str,
             CL: np.ndarray | None, ci_level: float) -> tuple[pd.DataFrame, dict]:
    from scipy import stats

    alpha = 1 - ci_level / 100
    ng = next(iter(runs.values()))["U_avg"].shape[0] if runs else 0
    zeros = np.zeros(ng)
    effects: list[Effect] = []

    def one(kind: str, i: int) -> Effect | None:
        U, Uv, Nk, ck, dk = (("U", "Uvar", "N", "count", "delta") if kind == "effect"
                             else ("U_pl", "Uvar_pl", "N_pl", "count_pl", "delta_pl"))
        n1 = runs[1][Nk].get(i, 0.0) if 1 in runs else 0.0
        n0 = runs[0][Nk].get(i, 0.0) if 0 in runs else 0.0
        if n1 + n0 == 0:
            return None
        w1, w0 = n1 / (n1 + n0), n0 / (n1 + n0)
        up = runs[1][U].get(i, zeros) if 1 in runs else zeros
        um = -runs[0][U].get(i, zeros) if 0 in runs else zeros
        vp = runs[1][Uv].get(i, zeros) if 1 in runs else zeros
        vm = -runs[0][Uv].get(i, zeros) if 0 in runs else zeros
        est = float(np.sum(w1 * up + w0 * um) / G)
        se = math.sqrt(_var(w1 * vp + w0 * vm, G, CL))
        if normalized:
            dlt = w1 * (runs[1][dk].get(i, 0.0) if 1 in runs else 0.0) + \
                w0 * (runs[0][dk].get(i, 0.0) if 0 in runs else 0.0)
            est, se = est / dlt, se / dlt
        cp = runs[1][ck].get(i) if 1 in runs else None
        cm = runs[0][ck].get(i) if 0 in runs else None
        cnt = np.maximum(cp if cp is not None else 0.0, cm if cm is not None else 0.0)
        term = f"Effect_{i}" if kind == "effect" else f"Placebo_{i}"
        e = Effect.from_linear(term, est, se, alpha=alpha, kind=kind, horizon=i if kind == "effect" else -i,
                               n=float(cnt.sum()), switchers=n1 + n0)
        return e, w1 * vp + w0 * vm, cnt

    extra: dict[str, Any] = {}
    u_eff = []
    counts = []
    for i in range(1, l_XX + 1):
        r = one("effect", i)
        if r is None:
            continue
        effects.append(r[0])
        u_eff.append(r[1])
        counts.append(r[2])
    # average total effect
    if effects:
        dp = runs[1]["den_avg"] if 1 in runs else 0.0
        dm = runs[0]["den_avg"] if 0 in runs else 0.0
        s1 = runs[1]["sumN"] if 1 in runs else 0.0
        s0 = runs[0]["sumN"] if 0 in runs else 0.0
        if switchers == "in":
            wp = 1.0
        elif switchers == "out":
            wp = 0.0
        else:
            wp = dp * s1 / (dp * s1 + dm * s0)
        ua = (wp * runs[1]["U_avg"] if 1 in runs else zeros) + ((1 - wp) * -runs[0]["U_avg"] if 0 in runs else zeros)
        va = (wp * runs[1]["Uvar_avg"] if 1 in runs else zeros) + ((1 - wp) * -runs[0]["Uvar_avg"] if 0 in runs else zeros)
        est = float(np.nansum(ua) / G)
        se = math.sqrt(_var(va, G, CL))
        cnt = np.max(np.stack(counts), axis=0)
        effects.append(Effect.from_linear("Av_tot_effect", est, se, alpha=alpha, kind="average", horizon=0,
                                          n=float(cnt.sum()), switchers=float(sum(e.extra["switchers"] for e in effects))))
    u_pl = []
    for i in range(1, l_pl + 1):
        r = one("placebo", i)
        if r is None:
            continue
        effects.append(r[0])
        u_pl.append((r[0], r[1]))
    # joint test that all placebos are zero (package: chi2 with the covariance of the U's)
    if len(u_pl) >= 2:
        b = np.array([e.estimate for e, _ in u_pl])
        V = _cov([u for _, u in u_pl], G, CL, [e.std_error for e, _ in u_pl],
                 [math.sqrt(_var(u, G, CL)) for _, u in u_pl])
        try:
            stat = float(b @ np.linalg.solve(V, b))
            extra["stat_joint_placebo"] = stat
            extra["p_joint_placebo"] = float(stats.chi2.sf(stat, len(b)))
        except np.linalg.LinAlgError:
            extra["p_joint_placebo"] = math.nan
    table = tidy_frame(effects)
    table["scale"] = "difference"
    return table, extra


def _cov(us: list[np.ndarray], G: int, CL: np.ndarray | None, se: list[float], raw: list[float]) -> np.ndarray:
    """Covariance of estimates from their influence functions (rescaled to the reported SEs)."""
    k = len(us)
    V = np.zeros((k, k))
    for a in range(k):
        for b in range(k):
            if CL is None:
                cab = float(np.sum(us[a] * us[b]) / G ** 2)
            else:
                sa = pd.Series(us[a]).groupby(CL).sum().to_numpy()
                sb = pd.Series(us[b]).groupby(CL).sum().to_numpy()
                cab = float(np.sum(sa * sb) / G ** 2)
            V[a, b] = cab * (se[a] / raw[a]) * (se[b] / raw[b]) if raw[a] > 0 and raw[b] > 0 else cab
    return V
