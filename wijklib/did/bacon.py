"""Goodman-Bacon (2021) decomposition of a two-way fixed-effects DiD into its 2x2 comparisons.

With staggered starts, the TWFE coefficient on a binary treatment is a weighted average of every 2x2
DiD between timing groups: treated vs never treated, earlier vs later treated (the later group as
control before it starts) and later vs earlier treated (the *earlier* group, already treated, as
control: a "forbidden" comparison that is biased when effects change over time). The weights follow
from group sizes and the variance of treatment in each subsample. With time-varying covariates the
decomposition (Goodman-Bacon 2021, section 5) adds a within-timing-group term with weight ``omega``
and gives one between-group estimate per dyad.

Semantics follow R ``bacondecomp::bacon`` (types, subsamples, weight formulas, the covariate case);
the reference tests match its published castle-doctrine and math-reform outputs.

Examples
--------
>>> import numpy as np, pandas as pd
>>> t = np.tile(np.arange(1, 11), 3); unit = np.repeat([1, 2, 3], 10)
>>> d = np.r_[np.zeros(10), (np.arange(1, 11) >= 4), (np.arange(1, 11) >= 8)].astype(float)
>>> df = pd.DataFrame({"unit": unit, "t": t, "d": d, "y": 0.5 * d + 0.1 * t})
>>> res = bacon(df, yname="y", dname="d", idname="unit", tname="t")
>>> round(res.twfe, 6), round(float((res.two_by_twos.weight * res.two_by_twos.estimate).sum()), 6)
(0.5, 0.5)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from wijklib.results import (
    Effect,
    Method,
    PreTest,
    ResultProtocol,
    no_pretest,
    print_or_return,
    protocol_tidy,
)

__all__ = ["bacon", "BaconResult", "BaconError"]

TREATED_VS_UNTREATED = "Treated vs Untreated"
EARLIER_VS_LATER = "Earlier vs Later Treated"
LATER_VS_EARLIER = "Later vs Earlier Treated"
LATER_VS_ALWAYS = "Later vs Always Treated"
BOTH_TREATED = "Both Treated"  # covariate case: one estimate per dyad of treated groups

#: Comparisons that use already-treated units as controls (biased under dynamic effects).
FORBIDDEN = (LATER_VS_EARLIER, LATER_VS_ALWAYS)

_DUTCH = {
    TREATED_VS_UNTREATED: "behandeld vs nooit behandeld",
    EARLIER_VS_LATER: "eerder vs later behandeld",
    LATER_VS_EARLIER: "later vs eerder behandeld (verboden vergelijking)",
    LATER_VS_ALWAYS: "later vs altijd behandeld (verboden vergelijking)",
    BOTH_TREATED: "twee behandelde groepen",
}


class BaconError(ValueError):
    """The panel cannot be decomposed (unbalanced, missing values, treatment not binary/absorbing)."""


@dataclass(frozen=True)
class BaconResult(ResultProtocol):
    """Result of :func:`bacon`.

    Attributes
    ----------
    two_by_twos : one row per 2x2 comparison: ``treated``, ``untreated`` (timing groups, in the panel's own
        period values, dates included; ``inf`` =
        never treated), ``type``, ``estimate``, ``weight`` (weights sum to 1 over the between part).
    twfe : the TWFE coefficient the decomposition reproduces (with the covariates, if any).
    omega : weight of the within-timing-group term (covariate case; ``nan`` without covariates).
    beta_within : the within-timing-group estimate (covariate case; ``nan`` without covariates).
    method : how the result was made (:class:`~wijklib.results.Method`: estimator, covariates, n
        units/periods, notes).

    A decomposition of a point estimate has no sampling inference: ``effect`` is the TWFE coefficient
    (term ``twfe``) without SE or interval, ``conf_int()`` is NaN, ``pretest()`` has nothing to test.
    """

    two_by_twos: pd.DataFrame
    twfe: float
    omega: float = math.nan
    beta_within: float = math.nan
    method: Method = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method.of(self.method, estimator="Goodman-Bacon decomposition",
                                                     inference="none", alpha=0.05))

    @property
    def effect(self) -> Effect:
        """The TWFE coefficient the decomposition reproduces (no SE: a decomposition has no inference)."""
        return Effect("twfe", self.twfe, math.nan, math.nan, math.nan, math.nan)

    def pretest(self) -> PreTest:
        return no_pretest("a decomposition has no pre-period test; fit event_study() or att_gt() for leads")

    @property
    def decomposed(self) -> float:
        """The TWFE coefficient rebuilt from the parts (equals :attr:`twfe` up to rounding)."""
        between = float((self.two_by_twos["weight"] * self.two_by_twos["estimate"]).sum())
        if math.isnan(self.omega):
            return between
        return self.omega * self.beta_within + (1 - self.omega) * between

    @property
    def forbidden_weight(self) -> float:
        """Share of the between-group weight on comparisons with already-treated controls.

        In the covariate case dyads of two treated groups are not split into earlier/later halves
        (as in ``bacondecomp``), so this counts only the always-treated comparisons there.
        """
        tt = self.two_by_twos
        return float(tt.loc[tt["type"].isin(FORBIDDEN), "weight"].sum())

    def tidy(self) -> pd.DataFrame:
        """One row per comparison type: ``term`` (type), ``estimate`` (weighted average of its 2x2
        estimates, ``avg_est`` in ``bacondecomp``), ``weight`` (total), ``n_comparisons``; plus a
        ``within`` row in the covariate case and the ``twfe`` row it all adds up to."""
        tt = self.two_by_twos
        rows = []
        for typ, g in tt.groupby("type", sort=True):
            w = float(g["weight"].sum())
            est = float((g["weight"] * g["estimate"]).sum() / w) if w > 0 else math.nan
            rows.append({"term": typ, "estimate": est, "weight": w, "n_comparisons": len(g)})
        if not math.isnan(self.omega):
            rows.append({"term": "within", "estimate": self.beta_within, "weight": self.omega,
                         "n_comparisons": np.nan})
        rows.append({"term": "twfe", "estimate": self.twfe, "weight": np.nan, "n_comparisons": len(tt)})
        return protocol_tidy(pd.DataFrame(rows), scale="difference", alpha=self.alpha)

    def summary(self, *, as_string: bool = False) -> str | None:
        """Print (or return) the table by type, as ``bacondecomp::bacon_summary`` prints it."""
        t = self.tidy()
        lines = ["Goodman-Bacon decomposition of the TWFE DiD coefficient",
                 f"{'type':<28}{'weight':>10}{'avg_est':>12}"]
        for r in t.itertuples():
            if r.term == "twfe":
                continue
            lines.append(f"{r.term:<28}{r.weight:>10.5f}{r.estimate:>12.5f}")
        lines.append(f"TWFE coefficient {self.twfe:.6f}; rebuilt from the parts {self.decomposed:.6f}")
        lines.append(f"weight on comparisons with already-treated controls: {self.forbidden_weight:.3f}")
        return print_or_return("\n".join(lines), as_string)

    def plot(self, *, ax: Any = None, title: str | None = None) -> Any:
        """Scatter of every 2x2 estimate against its weight, by type, with the TWFE line; returns Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4))
        markers = {TREATED_VS_UNTREATED: "o", EARLIER_VS_LATER: "^", LATER_VS_EARLIER: "x",
                   LATER_VS_ALWAYS: "s", BOTH_TREATED: "D"}
        for i, (typ, g) in enumerate(self.two_by_twos.groupby("type", sort=True)):
            ax.scatter(g["weight"], g["estimate"], marker=markers.get(typ, "o"), color=f"C{i}",
                       label=_DUTCH.get(typ, typ))
        ax.axhline(self.twfe, color="0.3", lw=0.9, ls="--", label="TWFE-schatting")
        ax.set_xlabel("gewicht")
        ax.set_ylabel("2x2-schatting")
        ax.set_title(title or "Goodman-Bacon-decompositie van de TWFE-schatting")
        ax.legend(loc="best", fontsize=8)
        return ax

    def __repr__(self) -> str:
        n = self.method.get("n_units")
        return (f"<BaconResult twfe={self.twfe:.4f} comparisons={len(self.two_by_twos)} "
                f"forbidden_weight={self.forbidden_weight:.3f} units={n}>")


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def _demean2(v: np.ndarray, uid: np.ndarray, tid: np.ndarray, nu: int, nt: int) -> np.ndarray:
    """Two-way within transformation; exact for a balanced panel (every unit in every period)."""
    um = np.bincount(uid, v, nu) / np.bincount(uid, None, nu)
    tm = np.bincount(tid, v, nt) / np.bincount(tid, None, nt)
    return v - um[uid] - tm[tid] + v.mean()


def _codes(s: pd.Series) -> tuple[np.ndarray, int]:
    c, u = pd.factorize(s, sort=True)
    return c.astype(np.intp), len(u)


def _fe_ols(y: np.ndarray, X: np.ndarray, uid: np.ndarray, tid: np.ndarray) -> np.ndarray:
    """Coefficients of ``y ~ X | unit + time`` on a balanced (sub)panel."""
    u, nu = _codes(pd.Series(uid))
    t, nt = _codes(pd.Series(tid))
    yd = _demean2(y, u, t, nu, nt)
    Xd = np.column_stack([_demean2(X[:, j], u, t, nu, nt) for j in range(X.shape[1])])
    return np.linalg.lstsq(Xd, yd, rcond=None)[0]


def _validate(data: pd.DataFrame, yname: str, dname: str, idname: str, tname: str,
              covariates: Sequence[str]) -> pd.DataFrame:
    cols = [yname, dname, idname, tname, *covariates]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise BaconError(f"bacon: column(s) {missing} not in the data (columns: {list(data.columns)})")
    df = data[cols].copy()
    for c in [yname, dname, *covariates]:
        bad = df[c].isna() | ~np.isfinite(pd.to_numeric(df[c], errors="coerce"))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise BaconError(f"bacon: column {c!r} has a missing or non-numeric value at row {i} "
                             f"({df[idname].iloc[i]!r}, {df[tname].iloc[i]!r}): {data[c].iloc[i]!r}; "
                             "the decomposition needs a complete balanced panel")
        df[c] = pd.to_numeric(df[c]).astype(float)
    if not df[dname].isin([0.0, 1.0]).all():
        v = df.loc[~df[dname].isin([0.0, 1.0]), dname].iloc[0]
        raise BaconError(f"bacon: treatment {dname!r} must be 0/1, found {v!r}")
    if df.duplicated([idname, tname]).any():
        r = df.loc[df.duplicated([idname, tname]), [idname, tname]].iloc[0].tolist()
        raise BaconError(f"bacon: unit/period {r} occurs more than once")
    nu, nt = df[idname].nunique(), df[tname].nunique()
    if len(df) != nu * nt:
        counts = df.groupby(idname)[tname].nunique()
        short = counts[counts < nt]
        raise BaconError(f"bacon: the panel is unbalanced ({len(df)} rows for {nu} units x {nt} periods; "
                         f"e.g. unit {short.index[0]!r} has {int(short.iloc[0])} periods); the "
                         "decomposition holds for balanced panels only")
    df = df.sort_values([idname, tname], kind="stable").reset_index(drop=True)
    # absorbing: once treated, stays treated
    dec = df.groupby(idname, sort=False)[dname].diff().fillna(0) < 0
    if dec.any():
        r = df.loc[dec, [idname, tname]].iloc[0].tolist()
        raise BaconError(f"bacon: treatment switches off for unit {r[0]!r} at {r[1]!r}; the "
                         "decomposition needs an absorbing (staggered) treatment")
    return df


def _type(treated: float, untreated: float, first: float) -> str:
    if untreated == math.inf:
        return TREATED_VS_UNTREATED
    if untreated == first:
        return LATER_VS_ALWAYS
    return LATER_VS_EARLIER if treated > untreated else EARLIER_VS_LATER


# ----------------------------------------------------------------------------------------------
# estimator
# ----------------------------------------------------------------------------------------------


def bacon(data: pd.DataFrame, *, yname: str, dname: str, idname: str, tname: str,
          covariates: Sequence[str] | None = None) -> BaconResult:
    """Goodman-Bacon decomposition of ``y ~ d | unit + time`` (plus ``covariates``, if given).

    Parameters
    ----------
    data : balanced panel, one row per unit and period, no missing values.
    yname, dname, idname, tname : outcome, binary absorbing treatment, unit and period columns.
    covariates : time-varying controls; gives the covariate decomposition (within term ``omega`` /
        ``beta_within`` and one between estimate per dyad, as ``bacondecomp`` does).

    Examples
    --------
    >>> rows = [(u, t, int(first is not None and t >= first), t + (2.0 if first is not None and t >= first else 0.0))
    ...         for u, first in (("a", 3), ("b", 5), ("c", None)) for t in range(1, 7)]
    >>> res = bacon(pd.DataFrame(rows, columns=["u", "t", "d", "y"]), yname="y", dname="d", idname="u", tname="t")
    >>> round(float(res.tidy().query("term != 'twfe'")["weight"].sum()), 6)
    1.0

    Returns
    -------
    BaconResult
    """
    covariates = list(covariates or [])
    df = _validate(data, yname, dname, idname, tname, covariates)
    # A date (or other non-numeric, ordered) period column: the decomposition only uses the order of the
    # periods and counts of periods, so it runs on period positions; the timing groups get their dates back.
    labels = None
    if not pd.api.types.is_numeric_dtype(df[tname]):
        labels = pd.Index(np.sort(df[tname].unique()))
        df[tname] = labels.get_indexer(df[tname])
    uid, nu = _codes(df[idname])
    tid, nt = _codes(df[tname])
    times = np.sort(df[tname].unique())
    tval = df[tname].to_numpy()
    y = df[yname].to_numpy()
    D = df[dname].to_numpy()
    first_t = float(times[0])
    start = df.loc[df[dname] == 1].groupby(idname)[tname].min()
    gtime = df[idname].map(start).astype(float).fillna(math.inf).to_numpy()
    groups = np.unique(gtime)
    if len(groups) < 2:
        raise BaconError("bacon: every unit has the same treatment timing; there is no 2x2 comparison")

    X = np.column_stack([D] + [df[c].to_numpy() for c in covariates])
    twfe = float(_fe_ols(y, X, uid, tid)[0])
    rows: list[dict[str, Any]] = []

    if not covariates:
        for k in groups:
            if k == math.inf or k == first_t:
                continue
            for u in groups:
                if u == k:
                    continue
                keep = np.isin(gtime, [k, u])
                if u != math.inf and k < u:
                    keep &= tval < u
                elif u != math.inf and k > u:
                    keep &= tval >= u
                yy, dd = y[keep], D[keep]
                su, nsu = _codes(pd.Series(uid[keep]))
                st, nst = _codes(pd.Series(tid[keep]))
                dt = _demean2(dd, su, st, nsu, nst)
                vd = float(np.mean(dt**2))
                if vd <= 1e-14:  # no variation in the window (e.g. both start in the last period)
                    continue
                est = float(np.dot(_demean2(yy, su, st, nsu, nst), dt) / np.dot(dt, dt))
                rows.append({"treated": k, "untreated": u, "type": _type(k, u, first_t),
                             "estimate": est, "weight": keep.sum() ** 2 * vd})
        omega = beta_w = math.nan
    else:
        # FWL: the part of D that the covariates and both fixed effects do not explain
        Xc = np.column_stack([df[c].to_numpy() for c in covariates])
        Dd = _demean2(D, uid, tid, nu, nt)
        Xd = np.column_stack([_demean2(Xc[:, j], uid, tid, nu, nt) for j in range(Xc.shape[1])])
        g = np.linalg.lstsq(Xd, Dd, rcond=None)[0]
        d = Dd - Xd @ g          # residual d_it (already two-way demeaned)
        p = D - d                # fitted treatment (covariates + fixed effects)
        key = pd.MultiIndex.from_arrays([gtime, tval])
        d_kt = pd.Series(d).groupby(key).transform("mean").to_numpy()
        d_k = pd.Series(d).groupby(gtime).transform("mean").to_numpy()
        d_i = pd.Series(d).groupby(uid).transform("mean").to_numpy()
        d_w = d - d_i - (d_kt - d_k)
        vd_all = float(np.var(d))
        omega = float(np.var(d_w) / vd_all)
        beta_w = float(np.cov(y, d_w, bias=True)[0, 1] / np.var(d_w))
        # group-by-period means of the covariates and of the fitted treatment
        gX = np.column_stack([pd.Series(Xc[:, j]).groupby(key).transform("mean").to_numpy()
                              for j in range(Xc.shape[1])])
        gp = pd.Series(p).groupby(key).transform("mean").to_numpy()
        for k in groups:
            if k == math.inf:
                continue
            for u in groups:
                if not u > k:
                    continue
                keep = np.isin(gtime, [k, u])
                su, nsu = _codes(pd.Series(uid[keep]))
                st, nst = _codes(pd.Series(tid[keep]))
                n = int(keep.sum())
                Dt = _demean2(D[keep], su, st, nsu, nst)
                VD = float(np.var(Dt))
                pgx = np.column_stack([_demean2(gX[keep, j], su, st, nsu, nst) for j in range(gX.shape[1])])
                Z = np.column_stack([np.ones(n), pgx])
                coef = np.linalg.lstsq(Z, Dt, rcond=None)[0]
                fit = Z @ coef
                sst = float(np.sum((Dt - Dt.mean()) ** 2))
                rsq = 1 - float(np.sum((Dt - fit) ** 2)) / sst if sst > 0 else 0.0
                ptil = _demean2(gp[keep], su, st, nsu, nst)
                dp = fit - ptil
                Vdp = float(np.var(dp))
                BD = float(_fe_ols(y[keep], np.column_stack([D[keep], gX[keep]]), uid[keep], tid[keep])[0])
                Bb = float(_fe_ols(y[keep], dp[:, None], uid[keep], tid[keep])[0]) if Vdp > 1e-14 else 0.0
                denom = (1 - rsq) * VD + Vdp
                if denom <= 1e-14:
                    continue
                rows.append({"treated": k, "untreated": u,
                             "type": (TREATED_VS_UNTREATED if u == math.inf else
                                      LATER_VS_ALWAYS if k == first_t else BOTH_TREATED),
                             "estimate": ((1 - rsq) * VD * BD + Vdp * Bb) / denom,
                             "weight": n**2 * denom})

    tt = pd.DataFrame(rows, columns=["treated", "untreated", "type", "estimate", "weight"])
    if tt.empty:
        raise BaconError("bacon: no 2x2 comparison has treatment variation")
    tt["weight"] = tt["weight"] / tt["weight"].sum()
    if labels is not None:  # positions back to the panel's own periods; never treated stays inf
        for c in ("treated", "untreated"):
            tt[c] = [math.inf if v == math.inf else labels[int(v)] for v in tt[c]]
    method = MappingProxyType({
        "estimator": "Goodman-Bacon decomposition (bacondecomp semantics)",
        "inference": "none (a decomposition of a point estimate)",
        "covariates": tuple(covariates),
        "n_units": nu, "n_periods": nt, "n_groups": int(np.sum(groups != math.inf)),
        "never_treated": bool(np.any(groups == math.inf)),
        "notes": ("covariate case: one between estimate per dyad plus the within term (omega)",)
                 if covariates else (),
    })
    return BaconResult(tt, twfe, omega, beta_w, method)
