"""Synthetic control for one treated ward, with in-space placebo inference.

Two estimators on a balanced long panel (``idname`` x ``tname``):

``estimator="synth"`` (Abadie, Diamond & Hainmueller 2010)
    Donor weights ``w >= 0``, ``sum(w) = 1`` minimising the squared distance between the treated
    ward's pre-period outcomes and the weighted donors' (plus, with ``covariates``, the pre-period
    means of those columns, each standardised by its SD across wards; V = identity, no nested
    V search). The effect is the average post-period gap ``y1_t - Y0_t w``.
``estimator="sdid"`` (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021, synthetic DiD)
    Unit weights with an intercept and ridge penalty ``zeta^2 * T_pre * ||w||^2``,
    ``zeta = T_post^(1/4) * sd(first differences of donor pre-period outcomes)`` (one treated unit),
    and time weights ``lambda`` (with intercept, penalty ``(1e-6 sd)^2 * N_donors``) matching the
    donors' post-period means; the effect is the weighted double difference. Same objective as
    R ``synthdid``; solved exactly (non-negative least squares) instead of by Frank-Wolfe.

Both weight problems are solved with :func:`scipy.optimize.nnls` on an augmented system: the
sum-to-one constraint enters as one row with a large weight, and the weights are renormalised
(the constraint residual before renormalising is below 1e-9).

Inference (``placebo=True``): every donor in turn plays the treated ward, with the other donors
(never the real treated ward) as its donor pool. Then

- ``p_value`` = share of all wards (treated + placebos) whose post/pre RMSPE ratio is at least the
  treated ward's (Abadie et al. 2010); the smallest attainable value is ``1/(J+1)``;
- ``std_error`` = SD of the placebo average effects (the "placebo" variance of Arkhangelsky et al.
  2021, Algorithm 4);
- ``conf_low``/``conf_high`` invert the placebo distribution: ``[tau - q(1-a/2), tau - q(a/2)]``
  with ``q`` the empirical quantiles of the placebo effects (a placebo effect estimates pure
  estimation noise, so ``tau - noise`` covers the truth when the treated ward's noise is
  exchangeable with the donors'). With fewer than 39 donors the 95% interval runs to the extreme
  placebos; the result's ``method['n_placebos']`` says how many there were.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from wijklib.arguments import resolve_alpha
from wijklib.results import (
    Effect,
    EffectSummary,
    Method,
    PreTest,
    ResultProtocol,
    no_pretest,
    protocol_tidy,
    term,
    term_value,
    tidy_frame,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["SynthResult", "fit", "simplex_ls"]

Estimator = Literal["synth", "sdid"]


# --------------------------------------------------------------------------------------------
# weights
# --------------------------------------------------------------------------------------------
def simplex_ls(A: np.ndarray, b: np.ndarray, *, ridge: float = 0.0) -> np.ndarray:
    """Solve ``min ||A w - b||^2 + ridge * ||w||^2`` subject to ``w >= 0`` and ``sum(w) = 1``.

    Non-negative least squares on the system augmented with the ridge rows and a heavily weighted
    sum-to-one row; the result is renormalised.

    Examples
    --------
    >>> A = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> w = simplex_ls(A, np.array([0.3, 0.7]))
    >>> np.round(w, 6).tolist()
    [0.3, 0.7]
    """
    A = np.asarray(A, float)
    b = np.asarray(b, float)
    n, J = A.shape
    scale = max(1.0, float(np.abs(A).max()), float(np.abs(b).max()))
    big = 1e4 * scale * math.sqrt(n + 1)
    rows = [A]
    rhs = [b]
    if ridge > 0:
        rows.append(math.sqrt(ridge) * np.eye(J))
        rhs.append(np.zeros(J))
    rows.append(np.full((1, J), big))
    rhs.append(np.array([big]))
    w, _ = nnls(np.vstack(rows), np.concatenate(rhs), maxiter=50 * J + 100)
    s = w.sum()
    if not s > 0:
        return np.full(J, 1.0 / J)
    return w / s


def _synth_weights(y1_pre: np.ndarray, Y0_pre: np.ndarray, extra1: np.ndarray | None,
                   extra0: np.ndarray | None) -> np.ndarray:
    A = Y0_pre
    b = y1_pre
    if extra1 is not None:
        A = np.vstack([A, extra0])
        b = np.concatenate([b, extra1])
    return simplex_ls(A, b)


def _sdid_weights(Y0: np.ndarray, y1: np.ndarray, n_pre: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit and time weights of synthetic DiD for one treated series (rows = periods)."""
    T = Y0.shape[0]
    n_post = T - n_pre
    J = Y0.shape[1]
    pre0 = Y0[:n_pre]
    sigma = float(np.std(np.diff(pre0, axis=0), ddof=1)) if n_pre > 2 else float(np.std(pre0))
    zeta = (1.0 * n_post) ** 0.25 * sigma
    # unit weights with intercept: centre over pre-periods (the intercept absorbs level)
    A = pre0 - pre0.mean(axis=0, keepdims=True)
    b = y1[:n_pre] - y1[:n_pre].mean()
    omega = simplex_ls(A, b, ridge=zeta**2 * n_pre)
    # time weights with intercept: centre over donors
    post_mean = Y0[n_pre:].mean(axis=0)  # (J,)
    At = (pre0 - pre0.mean(axis=1, keepdims=True)).T  # (J, n_pre)
    bt = post_mean - post_mean.mean()
    lam = simplex_ls(At, bt, ridge=(1e-6 * sigma) ** 2 * J)
    return omega, lam


def _estimate(Y: np.ndarray, treated: int, donors: np.ndarray, n_pre: int, method: str,
              X: np.ndarray | None) -> dict[str, Any]:
    """Weights, synthetic path, gap and effect for one (possibly placebo) treated column."""
    y1 = Y[:, treated]
    Y0 = Y[:, donors]
    if method == "synth":
        extra1 = X[treated] if X is not None else None
        extra0 = X[donors].T if X is not None else None
        w = _synth_weights(y1[:n_pre], Y0[:n_pre], extra1, extra0)
        lam = None
        synthetic = Y0 @ w
    else:
        w, lam = _sdid_weights(Y0, y1, n_pre)
        base = Y0 @ w
        # align the synthetic path on the lambda-weighted pre-period difference (the intercept)
        shift = float(lam @ (y1[:n_pre] - base[:n_pre]))
        synthetic = base + shift
    gap = y1 - synthetic
    pre, post = gap[:n_pre], gap[n_pre:]
    rmspe_pre = float(np.sqrt(np.mean(pre**2)))
    rmspe_post = float(np.sqrt(np.mean(post**2)))
    return {
        "weights": w, "time_weights": lam, "synthetic": synthetic, "gap": gap,
        "effect": float(post.mean()), "rmspe_pre": rmspe_pre, "rmspe_post": rmspe_post,
        "ratio": rmspe_post / rmspe_pre if rmspe_pre > 0 else math.inf,
    }


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class SynthResult(ResultProtocol):
    """Synthetic-control estimate for one treated ward. Immutable.

    Attributes
    ----------
    effect : Effect
        Average post-period gap (difference scale, term ``overall``), with placebo SE, interval and
        p-value.
    weights : Series
        Donor weights (non-negative, summing to 1), indexed by donor id, largest first.
    time_weights : Series or None
        Pre-period weights (``estimator="sdid"`` only).
    rmspe_pre, rmspe_post : float
        Root mean squared prediction error (gap) before and after the start.
    placebos : DataFrame
        One row per placebo ward: ``unit, rmspe_pre, rmspe_post, ratio, effect``.
    method : Method
        estimator, inference, treated, start, n_donors, n_pre, n_post, n_placebos, notes.

    Examples
    --------
    >>> res = fit(_example_panel(), yname="y", tname="t", idname="wijk", treated="w0", start=21)
    >>> res.gap().columns.tolist()
    ['t', 'observed', 'synthetic', 'gap']
    >>> res.tidy(per_period=True)["term"].tolist()[:2]
    ['overall', 'time::21']
    """

    effect: Effect
    weights: pd.Series
    time_weights: pd.Series | None
    rmspe_pre: float
    rmspe_post: float
    placebos: pd.DataFrame
    method: dict[str, Any]
    _gap: pd.DataFrame = field(repr=False)
    _placebo_gaps: pd.DataFrame = field(repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method.of(self.method, estimator="synth", inference="placebo",
                                                     alpha=self.effect.alpha))

    def pretest(self) -> PreTest:
        """How unusual the treated ward's pre-period fit is among the placebos: the share of wards
        (treated + placebos) whose pre-period RMSPE is at least the treated ward's, as a rank test of
        "the synthetic control fits the treated ward as well as it fits a donor". A small p-value
        means the treated ward is fitted worse than almost every donor (its pre-trend is unmatched)."""
        pl = self.placebos["rmspe_pre"].to_numpy(float)
        pl = pl[np.isfinite(pl)]
        if pl.size == 0:
            return no_pretest("no placebos (placebo=False)")
        # large RMSPE = poor fit: the p-value of "fitted as well as a donor" is the share at least as bad
        p = float((1 + np.sum(pl >= self.rmspe_pre - 1e-12)) / (pl.size + 1))
        return PreTest(self.rmspe_pre, self.method["n_pre"], p, (),
                       test=f"randomisation: pre-period RMSPE ranked among {pl.size} placebo wards")

    def tidy(self, *, per_period: bool = False) -> pd.DataFrame:
        """The average effect (term ``overall``); with ``per_period=True`` also one row per
        post-period (term ``time::<period>``, ``time`` column) with placebo-quantile intervals."""
        rows = [self.effect]
        if per_period:
            g = self._gap[self._gap["post"]]
            pg = self._placebo_gaps
            a = self.effect.alpha
            for _, r in g.iterrows():
                t = r[self.method["tname"]]
                if len(pg):
                    pv = pg[t].to_numpy(float)
                    lo = float(r["gap"] - np.quantile(pv, 1 - a / 2))
                    hi = float(r["gap"] - np.quantile(pv, a / 2))
                    se = float(np.std(pv, ddof=1)) if len(pv) > 1 else math.nan
                    p = float((1 + np.sum(np.abs(pv) >= abs(r["gap"]))) / (len(pv) + 1))
                else:
                    lo = hi = se = p = math.nan
                rows.append(Effect(term("time", t), float(r["gap"]), se, lo, hi, p,
                                   float(r["gap"]) / se if se and se > 0 else math.nan,
                                   "difference", a, {"time": t}))
        out = tidy_frame(rows)
        if "time" not in out.columns:
            out["time"] = pd.NA
        return protocol_tidy(out, scale="difference", alpha=self.effect.alpha)

    def gap(self) -> pd.DataFrame:
        """Per period: observed, synthetic and their difference (gap)."""
        return self._gap.drop(columns="post").copy()

    def _draw(
        self,
        ax: Axes,
        *,
        kind: Literal["paths", "gap"] = "paths",
        ylabel: str | None = None,
        title: str | None = None,
    ) -> None:
        """``kind="paths"``: treated vs synthetic; ``"gap"``: gap with the placebo gaps in grey."""
        tname = self.method["tname"]
        g = self._gap
        if kind == "paths":
            ax.plot(g[tname], g["observed"], "-", color="C0", label=f"{self.method['treated']}")
            ax.plot(g[tname], g["synthetic"], "--", color="C1", label="synthetische vergelijking")
            ax.set_ylabel(ylabel or self.method["yname"])
        elif kind == "gap":
            for _, row in self._placebo_gaps.iterrows():
                ax.plot(g[tname], row.to_numpy(float), color="0.8", linewidth=0.7)
            ax.plot(g[tname], g["gap"], "-", color="C0", linewidth=2, label="verschil (behandelde wijk)")
            ax.axhline(0, color="0.3", linewidth=0.8)
            ax.set_ylabel(ylabel or "verschil met synthetische vergelijking")
        else:
            raise ValueError(f"kind={kind!r}: expected 'paths' or 'gap'")
        ax.axvline(self.method["start"], color="0.2", linestyle=":", linewidth=1)
        if title:
            ax.set_title(title)
        ax.legend(frameon=False, fontsize="small")

    def _summary_lines(self) -> list[str]:
        m = self.method
        w = self.weights[self.weights > 0.001]
        return [f"treated {m['treated']}, start {term_value(m['start'])}; {m['n_donors']} donors, {m['n_placebos']} placebos; "
                f"RMSPE before {self.rmspe_pre:.4g}, after {self.rmspe_post:.4g}",
                "weights: " + ", ".join(f"{k}: {v:.3f}" for k, v in w.items())]

    def effect_summary(
        self,
        *,
        outcome: str = "het aantal meldingen",
        intervention: str = "wijkgericht handhaven",
        unit: str = "maand",
        ward: str | None = None,
    ) -> EffectSummary:
        """Table and plain-Dutch text generated from the numbers.

        Examples
        --------
        >>> panel = _example_panel()
        >>> res = fit(panel, yname="y", tname="t", idname="wijk", treated="w0", start=21)
        >>> table, text = res.effect_summary()
        >>> text.startswith("Na de start van wijkgericht handhaven lag het aantal meldingen in w0")
        True
        """
        e = self.effect
        m = self.method
        ward = ward or str(m["treated"])
        pct = int(round(100 * (1 - e.alpha)))
        table = pd.DataFrame({
            "effect": ["gemiddeld verschil per " + unit + " na de start"],
            "schatting": [e.estimate], f"ondergrens {pct}%-BI": [e.conf_low],
            f"bovengrens {pct}%-BI": [e.conf_high], "p-waarde (placebo)": [e.p_value],
            "RMSPE voor start": [self.rmspe_pre], "aantal donorwijken": [m["n_donors"]],
        })
        d = 1 if abs(e.estimate) < 10 else 0
        word = "hoger" if e.estimate > 0 else "lager"
        text = (
            f"Na de start van {intervention} lag {outcome} in {ward} gemiddeld "
            f"{_nl(abs(e.estimate), d)} per {unit} {word} dan in de synthetische vergelijkingswijk "
            f"(een gewogen combinatie van {int((self.weights > 0.001).sum())} andere wijken)."
        )
        if m["n_placebos"] > 0:
            n_pl = m["n_placebos"]
            ci = f"{pct}%-placebo-interval: {_signed(e.conf_low, d)} tot {_signed(e.conf_high, d)}"
            ptxt = f"p = {_nl(e.p_value, 2)} op basis van {n_pl} placebowijken"
            k = int(round(e.p_value * (n_pl + 1))) - 1  # placebos at least as extreme
            rank_sig = e.p_value <= e.alpha
            if rank_sig and e.significant:
                text += f" Dat verschil is groter dan bij vrijwel alle placebowijken ({ci}; {ptxt})."
            elif not rank_sig and not e.significant:
                text += (f" Dat verschil is niet te onderscheiden van wat we bij wijken zonder "
                         f"{intervention} ook zien ({ci}; {ptxt}).")
            elif e.significant and k == 0:
                text += (f" Het placebo-interval bevat geen nul ({ci}) en {ward} wijkt sterker af dan alle "
                         f"{n_pl} placebowijken, maar met zo weinig placebowijken kan de p-waarde niet "
                         f"kleiner worden dan {_nl(1 / (n_pl + 1), 2)}; lees dit als een aanwijzing, "
                         "niet als een vaststaand effect.")
            elif e.significant:
                text += (f" Het bewijs is niet eenduidig: het placebo-interval ({ci}) bevat geen nul, "
                         f"maar {k} van de {n_pl} placebowijken wijken naar verhouding even sterk of "
                         f"sterker af ({ptxt}); lees dit als een aanwijzing, niet als een vaststaand effect.")
            else:
                text += (f" Het bewijs is niet eenduidig: in de rangtoets wijkt {ward} sterker af dan "
                         f"vrijwel alle placebowijken ({ptxt}), maar het placebo-interval ({ci}) bevat "
                         "ook 'geen verschil'; lees dit als een aanwijzing, niet als een vaststaand effect.")
        else:
            text += " Er is geen onzekerheidsmarge berekend (placebo=False)."
        mean_pre = float(np.mean(np.abs(self._gap.loc[~self._gap["post"], "observed"])))
        rel = self.rmspe_pre / mean_pre if mean_pre > 0 else math.nan
        quality = "goed" if rel < 0.05 else "redelijk" if rel < 0.15 else "matig"
        text += (f" De synthetische vergelijking volgt {ward} vóór de start {quality} "
                 f"(gemiddelde afwijking {_nl(100 * rel, 0)}% van het niveau).")
        return EffectSummary(table, text)


def _nl(x: float, digits: int) -> str:
    from wijklib import nl

    return nl.number(x, digits)


def _signed(x: float, digits: int) -> str:
    from wijklib import nl

    return nl.number(x, digits, signed=True)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def fit(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str,
    treated: Any,
    start: Any,
    covariates: list[str] | None = None,
    estimator: Estimator = "synth",
    placebo: bool = True,
    alpha: float = 0.05,
    method: Estimator | None = None,
) -> SynthResult:
    """Synthetic control (or synthetic DiD) estimate for one treated ward.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per ward and period; not modified.
    yname, tname, idname : str
        Outcome, period and ward-id columns.
    treated : scalar
        Id of the treated ward; every other ward with a complete outcome is a donor.
    start : scalar
        First treated period (a value of ``tname``; date strings work for date columns).
    covariates : list of str, optional
        Columns whose pre-period means are matched as well (``estimator="synth"`` only).
    estimator : {"synth", "sdid"}
        Classic synthetic control or synthetic difference-in-differences (``result.method`` records
        how the result was made; ``method=`` is the old name of this argument, still accepted).
    placebo : bool
        Run in-space placebos for the p-value and interval (see the module docstring).
    alpha : float
        1 - confidence level.

    Returns
    -------
    SynthResult

    Examples
    --------
    >>> panel = _example_panel()
    >>> res = fit(panel, yname="y", tname="t", idname="wijk", treated="w0", start=21)
    >>> abs(res.weights.sum() - 1) < 1e-9 and bool((res.weights >= 0).all())
    True
    >>> -8 < res.effect.estimate < -2  # true effect -5
    True
    """
    if method is not None:
        if estimator != "synth" and method != estimator:
            raise ValueError(f"synth.fit: estimator={estimator!r} and method={method!r} disagree; method= is the "
                             "old name of estimator=")
        warnings.warn("synth.fit(method=...) is now estimator=...; method= will be removed", DeprecationWarning,
                      stacklevel=2)
        estimator = method
    method = estimator
    if method not in ("synth", "sdid"):
        raise ValueError(f"estimator={method!r}: expected 'synth' or 'sdid'")
    alpha = resolve_alpha(alpha, None, "synth.fit")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    covariates = list(covariates or [])
    if covariates and method == "sdid":
        raise ValueError("covariates= is supported with estimator='synth' only")
    src = "synth.fit"
    missing = [c for c in [yname, tname, idname, *covariates] if c not in data.columns]
    if missing:
        raise KeyError(f"{src}: column(s) {missing} not found; columns present: {list(data.columns)}")
    df = data.loc[:, list(dict.fromkeys([idname, tname, yname, *covariates]))].copy()
    dup = df.duplicated([idname, tname])
    if dup.any():
        r = df.loc[dup].iloc[0]
        raise ValueError(f"{src}: duplicate period {r[tname]!r} for {idname}={r[idname]!r}")
    if treated not in set(df[idname]):
        raise ValueError(f"{src}: treated={treated!r} not found in column {idname!r}")
    y = pd.to_numeric(df[yname], errors="coerce")
    bad = y.isna() & df[yname].notna()
    if bad.any():
        r = df.loc[bad].iloc[0]
        raise ValueError(f"{src}: column {yname!r} holds {r[yname]!r} for {idname}={r[idname]!r}, "
                         f"{tname}={r[tname]!r}; expected a number")
    df[yname] = y
    wide = df.pivot(index=tname, columns=idname, values=yname).sort_index()
    periods = wide.index
    if pd.api.types.is_datetime64_any_dtype(periods):
        start_v = pd.Timestamp(start)
    else:
        start_v = start
    post_mask = np.asarray(periods >= start_v)
    n_pre = int((~post_mask).sum())
    n_post = int(post_mask.sum())
    if n_pre == 0:
        raise ValueError(f"{src}: start={start!r} is at or before the first period ({periods[0]!r}); "
                         "the synthetic control needs pre-intervention periods")
    if n_post == 0:
        raise ValueError(f"{src}: start={start!r} is after the last period ({periods[-1]!r})")
    if n_pre < 3:
        raise ValueError(f"{src}: only {n_pre} pre-intervention period(s); need at least 3 to fit weights")
    notes: list[str] = []
    if wide[treated].isna().any():
        t = wide.index[wide[treated].isna()][0]
        raise ValueError(f"{src}: treated ward {treated!r} has no {yname!r} for {tname}={t!r}; "
                         "the synthetic control needs the complete series")
    incomplete = [c for c in wide.columns if c != treated and wide[c].isna().any()]
    if incomplete:
        notes.append(f"{len(incomplete)} donor(s) left out for missing periods: {incomplete[:10]!r}")
        wide = wide.drop(columns=incomplete)
    donors_ids = [c for c in wide.columns if c != treated]
    if len(donors_ids) < 2:
        raise ValueError(f"{src}: only {len(donors_ids)} complete donor ward(s); need at least 2")
    ids = [treated] + donors_ids
    Y = wide[ids].to_numpy(float)
    X = None
    if covariates:
        pre_periods = set(periods[~post_mask])
        cov = (df[df[tname].isin(pre_periods)].groupby(idname)[covariates].mean().reindex(ids))
        if cov.isna().any().any():
            u = cov.index[cov.isna().any(axis=1)][0]
            raise ValueError(f"{src}: covariates {covariates} missing in the pre-period for {idname}={u!r}")
        sd = cov.std(ddof=1).replace(0, 1.0)
        # on the outcome's scale: a standardised covariate counts like a pre-period of typical size
        X = (cov / sd).to_numpy(float) * float(np.std(Y[:n_pre]))
    donors = np.arange(1, len(ids))
    main = _estimate(Y, 0, donors, n_pre, method, X)
    plc_rows = []
    plc_gaps = []
    if placebo:
        for j in donors:
            others = donors[donors != j]
            r = _estimate(Y, j, others, n_pre, method, X)
            plc_rows.append({"unit": ids[j], "rmspe_pre": r["rmspe_pre"], "rmspe_post": r["rmspe_post"],
                             "ratio": r["ratio"], "effect": r["effect"]})
            plc_gaps.append(r["gap"])
    placebos = pd.DataFrame(plc_rows, columns=["unit", "rmspe_pre", "rmspe_post", "ratio", "effect"])
    tau = main["effect"]
    if len(placebos) >= 2:
        pe = placebos["effect"].to_numpy(float)
        se = float(np.std(pe, ddof=1))
        p = float((1 + np.sum(placebos["ratio"].to_numpy(float) >= main["ratio"])) / (len(pe) + 1))
        lo = tau - float(np.quantile(pe, 1 - alpha / 2))
        hi = tau - float(np.quantile(pe, alpha / 2))
    else:
        se = p = lo = hi = math.nan
    effect = Effect("overall", tau, se, lo, hi, p, tau / se if se and se > 0 else math.nan,
                    "difference", alpha, {})
    gap = pd.DataFrame({tname: periods, "observed": Y[:, 0], "synthetic": main["synthetic"],
                        "gap": main["gap"], "post": post_mask})
    weights = pd.Series(main["weights"], index=pd.Index(donors_ids, name=idname),
                        name="weight").sort_values(ascending=False)
    tw = None
    if main["time_weights"] is not None:
        tw = pd.Series(main["time_weights"], index=pd.Index(periods[:n_pre], name=tname), name="weight")
    pg = pd.DataFrame(np.array(plc_gaps).reshape(len(plc_gaps), len(periods)), columns=periods,
                      index=pd.Index(placebos["unit"], name=idname))
    meta = {
        "estimator": method, "yname": yname, "tname": tname, "idname": idname, "treated": treated,
        "start": start_v, "n_donors": len(donors_ids), "n_pre": n_pre, "n_post": n_post,
        "n_units": len(ids), "n_periods": len(periods), "covariates": tuple(covariates),
        "n_placebos": len(placebos), "control_group": f"donor pool ({len(donors_ids)} wards)", "seed": None,
        "alpha": alpha,
        "inference": ("in-space placebos: p = RMSPE-ratio rank, SE = SD of placebo effects, "
                      "interval = placebo quantiles") if placebo else "none",
        "notes": tuple(notes),
    }
    return SynthResult(effect, weights, tw, main["rmspe_pre"], main["rmspe_post"], placebos, meta, gap, pg)


def _example_panel(n_units: int = 16, n_periods: int = 36, effect: float = -5.0, seed: int = 0) -> pd.DataFrame:
    """Small factor-model panel for the docstring examples (unit ``w0`` treated from t = 21)."""
    rng = np.random.default_rng(seed)
    f = np.cumsum(rng.normal(0, 1, (n_periods, 2)), axis=0)
    load = rng.uniform(0.5, 1.5, (n_units, 2))
    y = 50 + f @ load.T + rng.normal(0, 0.5, (n_periods, n_units))
    y[20:, 0] += effect
    t = np.arange(1, n_periods + 1)
    return pd.DataFrame({"wijk": np.repeat([f"w{i}" for i in range(n_units)], n_periods),
                         "t": np.tile(t, n_units), "y": y.T.ravel()})
