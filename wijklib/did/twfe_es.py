"""Two-way fixed effects: 2x2 DiD, static TWFE and event studies (dynamic TWFE and Sun & Abraham).

Design choices (why):

- Unit fixed effects are *absorbed exactly* (within transformation) and time effects enter as
  explicit dummies. Wards x months panels have few periods (T <= a few hundred) but possibly many units,
  so the normal equations are formed with sparse products and per-unit sums: memory is
  O(n + G*T + p^2), never an n x p dense dummy matrix. The same engine (:func:`fe_wls`) is reused by
  the Poisson estimator (:mod:`wijklib.did.ppml`) inside its IRLS loop.
- Cluster-robust standard errors are CR1 with the fixest/Stata small-sample factor
  ``G/(G-1) * (N-1)/(N-K)``, where K counts the slope coefficients and the time dummies; the unit
  fixed effects are not counted when units are nested in the clusters (fixest ``fixef.K="nested"``).
- Dynamic TWFE is biased with staggered adoption and heterogeneous effects (already-treated units act
  as controls). ``event_study`` therefore defaults to Sun & Abraham's (2021) interaction-weighted
  estimator: cohort x relative-time interactions against never-treated (or last-treated) units, then
  averaged per event time with cohort shares as weights.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from wijklib.arguments import check_seed, resolve_alpha
from wijklib.did._blas import (  # noqa: F401 - moved there; importable from here as before
    _blas_handles,
    _single_blas_thread,
)
from wijklib.did._checks import (  # noqa: F401 - moved there; importable from here as before
    _check_constant_within,
    _check_unique,
    _cohort_codes,
    _numeric,
    _require_columns,
    _time_codes,
)
from wijklib.did.fixed_effects import (  # noqa: F401 - moved there; importable from here as before
    FEFit,
    TypedDesign,
    _independent_columns,
    _nested,
    _solve_normal,
    _unit_operator,
    cluster_scores,
    cluster_scores_typed,
    cr1_vcov,
    fe_wls,
    fe_wls_typed,
    typed_meat,
)
from wijklib.did.twfe_results import (  # noqa: F401 - moved there; importable from here as before
    EventStudyResult,
    PretestResult,
    TWFEResult,
)
from wijklib.results import (
    DEFAULT_SEED,
    TIDY_COLUMNS,
    Effect,
    tidy_frame,
)

__all__ = [
    "twfe",
    "event_study",
    "TWFEResult",
    "EventStudyResult",
    "PretestResult",
    "fe_wls",
    "FEFit",
]


# ----------------------------------------------------------------------------------------------
# twfe / 2x2
# ----------------------------------------------------------------------------------------------


def _welch_2x2(y: np.ndarray, treat: np.ndarray, post: np.ndarray, unit: np.ndarray) -> tuple[float, float]:
    """DiD of group means with the SE of independent group changes (Card & Krueger Table 3).

    Per group the change in means has influence values aggregated per unit (a unit seen in both
    waves contributes its own change), variance ``n/(n-1) * sum psi^2``; the DiD SE adds the two
    groups' variances. On a balanced panel this is the Welch SE of the difference in mean changes.
    """
    est = 0.0
    var = 0.0
    for gval, sign in ((1.0, 1.0), (0.0, -1.0)):
        m = treat == gval
        ch = 0.0
        psi = pd.Series(0.0, index=pd.unique(unit[m]))
        for pval, s2 in ((1.0, 1.0), (0.0, -1.0)):
            mm = m & (post == pval)
            if not mm.any():
                raise ValueError("2x2 DiD needs observations in all four treat x post cells")
            mean = y[mm].mean()
            ch += s2 * mean
            contrib = pd.Series(s2 * (y[mm] - mean) / mm.sum(), index=unit[mm]).groupby(level=0).sum()
            psi = psi.add(contrib, fill_value=0.0)
        nu = len(psi)
        var += nu / (nu - 1) * float((psi.to_numpy() ** 2).sum())
        est += sign * ch
    return est, math.sqrt(var)


def twfe(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str,
    treat: str,
    post: str | None = None,
    cluster: str | None = None,
    weightsname: str | None = None,
    covariates: list[str] | None = None,
    alpha: float = 0.05,
    fe: Literal["unit", "group"] = "unit",
    se_type: Literal["cluster", "hc1", "groupmeans"] = "cluster",
    alp: float | None = None,
) -> TWFEResult:
    """2x2 difference-in-differences or static two-way fixed effects with clustered SEs.

    Parameters
    ----------
    data
        Long panel, one row per unit and period (not modified).
    yname, tname, idname
        Outcome, period and unit columns.
    treat
        Without ``post``: the 0/1 treatment-status column ``D_it`` (static TWFE). With ``post``: the
        0/1 group indicator (ever treated); the regressor is ``treat x post``.
    post
        0/1 column marking the after period for a 2x2 design.
    cluster
        Cluster column (default: ``idname``). p-values and intervals use a t(G-1) reference
        distribution (G clusters), as fixest and Stata do; ``hc1`` uses t(N-K).
    weightsname
        Optional non-negative observation weights.
    covariates
        Extra time-varying numeric regressors.
    alpha
        1 - confidence level (``alp``: alias, R ``did``'s name).
    fe
        ``"unit"`` (default): unit and time fixed effects. ``"group"``: pooled regression
        ``y ~ treat + time + treat:post`` (no unit effects), the difference of all available group
        means, as in Card & Krueger Table 3 row 3 (needs ``post``).
    se_type
        ``"cluster"`` (CR1 by ``cluster``), ``"hc1"`` (heteroskedasticity-robust, no clustering), or
        ``"groupmeans"`` (2x2 only, unweighted, no covariates: SE of the difference of two independent
        groups' mean changes; reproduces Card & Krueger's published SEs: on their balanced sample
        2.75 (1.3423) = the Welch SE = HC2 of the first-difference regression ``dy ~ treat``; CR1 by
        store gives 1.3368 and pooled-OLS clustered 1.3386).

    Returns
    -------
    TWFEResult

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "t": [0, 1] * 4,
    ...                    "g": [1, 1, 1, 1, 0, 0, 0, 0], "y": [1., 4, 2, 4, 1, 2, 2, 2]})
    >>> res = twfe(df, yname="y", tname="t", idname="id", treat="g", post="t")
    >>> round(res.effect.estimate, 3)
    2.0
    """
    alp = resolve_alpha(alpha, alp, "twfe")
    with _single_blas_thread():
        return _twfe(data, yname=yname, tname=tname, idname=idname, treat=treat, post=post,
                     cluster=cluster, weightsname=weightsname, covariates=covariates, alp=alp,
                     fe=fe, se_type=se_type)


def _twfe(data: pd.DataFrame, *, yname: str, tname: str, idname: str, treat: str, post: str | None,
          cluster: str | None, weightsname: str | None, covariates: list[str] | None, alp: float,
          fe: str, se_type: str) -> TWFEResult:
    _require_columns(data, {"yname": yname, "tname": tname, "idname": idname, "treat": treat,
                            "post": post, "cluster": cluster, "weightsname": weightsname})
    covariates = list(covariates or [])
    _require_columns(data, {f"covariates[{i}]": c for i, c in enumerate(covariates)})
    if fe == "group" and post is None:
        raise ValueError("fe='group' is the pooled 2x2 regression and needs post=")
    if fe not in ("unit", "group"):
        raise ValueError(f"fe must be 'unit' or 'group', got {fe!r}")
    if se_type not in ("cluster", "hc1", "groupmeans"):
        raise ValueError(f"se_type must be 'cluster', 'hc1' or 'groupmeans', got {se_type!r}")
    cluster = cluster or idname
    _check_unique(data, idname, tname)

    y_all = _numeric(data, yname, what="outcome")
    d_all = _numeric(data, treat, what="treatment")
    p_all = _numeric(data, post, what="post indicator") if post is not None else None
    w_all = _numeric(data, weightsname, what="weights") if weightsname else None
    X_all = [(_numeric(data, c, what="covariate")) for c in covariates]
    ok = np.isfinite(y_all) & np.isfinite(d_all)
    if p_all is not None:
        ok &= np.isfinite(p_all)
    if w_all is not None:
        ok &= np.isfinite(w_all)
        if (w_all[ok] < 0).any():
            raise ValueError(f"weights column {weightsname!r} has negative values")
    for x in X_all:
        ok &= np.isfinite(x)
    ok &= data[idname].notna().to_numpy() & data[tname].notna().to_numpy()
    for col, arr in ((treat, d_all), (post, p_all)):
        if arr is not None and not np.isin(arr[ok], (0.0, 1.0)).all():
            bad = np.flatnonzero(ok & ~np.isin(arr, (0.0, 1.0)))[0]
            raise ValueError(f"column {col!r} must be 0/1; row {bad} holds {arr[bad]!r}")
    n_dropped = int((~ok).sum())
    sub = data.loc[ok, list(dict.fromkeys([idname, tname, cluster]))]
    y = y_all[ok]
    d = d_all[ok]
    pst = p_all[ok] if p_all is not None else None
    w = w_all[ok] if w_all is not None else None
    unit_codes, _ = pd.factorize(sub[idname], sort=True)
    time_codes, times = _time_codes(sub[tname])
    clus_codes, clus_uniq = pd.factorize(sub[cluster], sort=True)
    G, T, n = int(unit_codes.max()) + 1, len(times), len(y)

    reg = d * pst if pst is not None else d
    term = f"{treat}:{post}" if post is not None else treat

    if se_type == "groupmeans":
        if post is None or w is not None or covariates:
            raise ValueError("se_type='groupmeans' is for the unweighted 2x2 design without covariates (needs post=)")
        if fe == "unit":
            # with unit FE only units seen in both waves identify the effect: use that balanced subset
            seen = pd.Series(pst).groupby(unit_codes).nunique().to_numpy()
            both = seen[unit_codes] == 2
            est, se = _welch_2x2(y[both], d[both], pst[both], unit_codes[both])
            n_used = int(both.sum())
        else:
            est, se = _welch_2x2(y, d, pst, unit_codes)
            n_used = n
        eff = Effect.from_linear(term, est, se, alpha=alp)
        method = dict(estimator="2x2 DiD (difference of group mean changes)", se_type="groupmeans",
                      inference="analytic", control_group="untreated group", seed=None,
                      fe=fe, n_obs=n_used, n_units=G, n_periods=T, n_clusters=G, cluster=idname,
                      n_dropped_missing=n_dropped)
        coefs = pd.DataFrame([{"term": term, "estimate": est, "std_error": se}])
        return TWFEResult(eff, coefs, pd.DataFrame([[se**2]], index=[term], columns=[term]), method)

    # design: time dummies first (kept preferentially), then the regressor(s) of interest
    cols: list[sp.spmatrix] = []
    names: list[str] = []
    rows = np.arange(n)
    if T > 1:
        m = time_codes > 0
        cols.append(sp.csc_matrix((np.ones(m.sum()), (rows[m], time_codes[m] - 1)), shape=(n, T - 1)))
        names += [f"time::{t}" for t in times[1:]]
    if fe == "group":
        cols.append(sp.csc_matrix(d[:, None]))
        names.append(treat)
    dense = np.column_stack([reg] + [x[ok] for x in X_all])
    cols.append(sp.csc_matrix(dense))
    names += [term] + covariates
    Z = sp.hstack(cols, format="csc")
    if fe == "group":
        unit_for_fit = np.zeros(n, dtype=np.int64)  # single intercept "unit"
        n_fe_units = 1
    else:
        unit_for_fit = unit_codes
        n_fe_units = G
    wv = np.ones(n) if w is None else w
    fit = fe_wls(Z, y, unit_for_fit, n_fe_units, wv)
    j = names.index(term)
    if not np.isfinite(fit.theta[j]):
        raise ValueError(f"the effect {term!r} is not identified (collinear with the fixed effects)")
    k = len(fit.keep)
    we = wv * fit.resid
    if se_type == "hc1":
        sc = cluster_scores(Z, we, unit_for_fit, n_fe_units, wv, np.arange(n), n)
        kk = k + (G if fe == "unit" else 1)
        B = fit.bread[np.ix_(fit.keep, fit.keep)]
        V = np.full_like(fit.bread, np.nan)
        V[np.ix_(fit.keep, fit.keep)] = n / (n - kk) * (B @ (sc[:, fit.keep].T @ sc[:, fit.keep]) @ B)
        n_cl = n
        dof = n - kk
    else:
        sc = cluster_scores(Z, we, unit_for_fit, n_fe_units, wv, clus_codes, len(clus_uniq))
        nested = fe == "unit" and _nested(unit_codes, clus_codes)
        # pooled (group FE) model: its intercept is the one extra parameter cr1_vcov adds when nested
        V = cr1_vcov(fit.bread, fit.keep, sc, n_obs=n, k=k, nested=nested or fe == "group", n_units=G)
        n_cl = len(clus_uniq)
        dof = n_cl - 1  # t(G-1) reference distribution for clustered SEs, as fixest/Stata
    se = float(math.sqrt(V[j, j]))
    eff = Effect.from_linear(term, float(fit.theta[j]), se, alpha=alp, df=dof)
    show = [i for i, nm in enumerate(names) if not nm.startswith("time::")]
    coefs = pd.DataFrame({"term": [names[i] for i in show], "estimate": fit.theta[show],
                          "std_error": np.sqrt(np.diag(V)[show])})
    vc = pd.DataFrame(V[np.ix_(show, show)], index=coefs["term"], columns=coefs["term"])
    method = dict(
        estimator="2x2 DiD" if post is not None else "TWFE", fe=fe, se_type=se_type,
        inference="analytic", control_group="untreated units and periods", seed=None,
        small_sample="G/(G-1)*(N-1)/(N-K)" if se_type == "cluster" else "N/(N-K)",
        df=dof, reference_distribution=f"t({dof})",
        cluster=cluster if se_type == "cluster" else None, n_obs=n, n_units=G, n_periods=T,
        n_clusters=n_cl, n_dropped_missing=n_dropped, weights=weightsname, covariates=covariates,
    )
    return TWFEResult(eff, coefs, vc, method)


# ----------------------------------------------------------------------------------------------
# event study
# ----------------------------------------------------------------------------------------------


def _simultaneous_crit(V: np.ndarray, alpha: float, seed: int, draws: int = 5000) -> float:
    """Sup-t critical value for a (1 - alpha) simultaneous band (Montiel Olea & Plagborg-Moller)."""
    sd = np.sqrt(np.diag(V))
    if len(sd) == 0 or not np.all(np.isfinite(sd)) or (sd <= 0).any():
        return math.nan
    R = V / np.outer(sd, sd)
    evals, evecs = np.linalg.eigh(R)
    L = evecs * np.sqrt(np.clip(evals, 0, None))
    rng = np.random.default_rng(seed)
    zs = rng.standard_normal((draws, len(sd))) @ L.T
    return float(np.quantile(np.abs(zs).max(axis=1), 1 - alpha))


def event_study(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    ref: int = -1,
    window: tuple[int, int] | None = None,
    cluster: str | None = None,
    estimator: Literal["sunab", "twfe"] = "sunab",
    weightsname: str | None = None,
    covariates: list[str] | None = None,
    alpha: float = 0.05,
    seed: int | None = DEFAULT_SEED,
    bins: Sequence[tuple[float, float]] | Mapping[int, tuple[float, float]] | None = None,
    always_treated: Literal["drop", "own"] | int = "drop",
    alp: float | None = None,
) -> EventStudyResult:
    """Event study with unit and time fixed effects and cluster-robust SEs.

    Parameters
    ----------
    data
        Long panel (not modified); may be unbalanced (missing months).
    yname, tname, idname
        Outcome, period and unit columns. Periods are the sorted distinct values of ``tname``
        (integers or dates); event time counts positions in that list.
    gname
        First treated period per row (constant within unit); 0, NaN or NaT = never treated.
        Units first treated before the first period (always treated) are dropped; units first
        treated after the last period count as never treated within the panel.
    ref
        Reference (omitted) event time, default -1.
    window
        ``(lo, hi)`` event-time window; event times outside are *binned* into the endpoints
        (``lo`` collects all earlier leads, ``hi`` all later lags). Default: all event times.
    cluster
        Cluster column (default ``idname``). Pointwise intervals use t(G-1); the simultaneous
        (sup-t) band uses a normal approximation, never narrower than the pointwise band.
    estimator
        ``"sunab"`` (default): Sun & Abraham (2021) interaction-weighted estimator, robust to
        heterogeneous effects across adoption cohorts; controls are never-treated units, or the
        last-treated cohort (observations from its start on are dropped) when all units are
        treated. ``"twfe"``: dynamic TWFE with relative-time dummies (biased under staggered
        adoption with heterogeneous effects; for comparison).
    weightsname, covariates
        Observation weights and extra regressors.
    alpha
        1 - confidence level of pointwise and simultaneous (sup-t) bands (``alp``: alias).
    seed
        Seed of the draws for the simultaneous critical value (default
        :data:`wijklib.results.DEFAULT_SEED`; ``None`` = fresh entropy).
    bins
        Custom bins of event time instead of one coefficient per event time: a list of inclusive
        ``(lo, hi)`` intervals (``-inf``/``inf`` for open ends), e.g. two-year bins with end points
        ``[(-inf, -1), (0, 1), (2, 3), ..., (20, inf)]``. Every event time in the data must fall in
        exactly one bin. A bin is labelled by its lower edge (by its upper edge when open below), or
        give a mapping ``{label: (lo, hi)}`` to name them; ``ref`` picks the reference bin (the bin
        that contains event time ``ref``). Exclusive with ``window``.
    always_treated
        Units first treated before the first period: ``"drop"`` (default; they have no pre-period),
        ``"own"`` (kept as their own bin: a bin that never changes within a unit is absorbed by the
        unit effects, so it has no coefficient, and the units inform only the period effects) or the
        label of a bin to merge them into (as Stevenson & Wolfers (2006) pool pre-sample reformers with
        ``20+`` years; identified from the units that reach that bin inside the panel). Keeping them
        needs ``bins`` and ``estimator="twfe"`` (Sun & Abraham compare cohorts with never-treated
        units only).

    Returns
    -------
    EventStudyResult
        ``.tidy()`` one row per event time (or bin); ``.pretest()``; ``.plot()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame([(i, t, 5 if i < 10 else (7 if i < 20 else 0)) for i in range(30) for t in range(10)],
    ...                   columns=["id", "t", "g"])
    >>> df["y"] = rng.normal(size=len(df)) + np.where((df.g > 0) & (df.t >= df.g), 2.0, 0.0)
    >>> es = event_study(df, yname="y", tname="t", idname="id", gname="g")
    >>> bool(abs(es.effect.estimate - 2) < 0.5)
    True
    """
    alp = resolve_alpha(alpha, alp, "event_study")
    seed = check_seed(seed, "event_study")
    with _single_blas_thread():
        return _event_study(data, yname=yname, tname=tname, idname=idname, gname=gname, ref=ref,
                            window=window, cluster=cluster, estimator=estimator,
                            weightsname=weightsname, covariates=covariates, alp=alp, seed=seed,
                            bins=bins, always_treated=always_treated)


def _bin_table(bins: Sequence[tuple[float, float]] | Mapping[int, tuple[float, float]],
               ref: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Validate custom event-time bins; returns (lo, hi, label) arrays and the reference label."""
    given = None
    if isinstance(bins, Mapping):
        given = np.array([int(k) for k in bins], dtype=np.int64)
        if len(set(given.tolist())) != len(given):
            raise ValueError(f"bins: labels must be distinct, got {list(bins)!r}")
        bins = list(bins.values())
    lo = np.array([float(b[0]) for b in bins])
    hi = np.array([float(b[1]) for b in bins])
    if len(bins) < 2:
        raise ValueError(f"bins: need at least two bins (one reference, one estimated), got {list(bins)!r}")
    if np.any(lo > hi) or np.any(np.isnan(lo)) or np.any(np.isnan(hi)):
        raise ValueError(f"bins: every bin must be an interval (lo, hi) with lo <= hi, got {list(bins)!r}")
    order = np.argsort(lo)
    lo, hi = lo[order], hi[order]
    given = given[order] if given is not None else None
    if np.any(lo[1:] <= hi[:-1]):
        i = int(np.flatnonzero(lo[1:] <= hi[:-1])[0])
        raise ValueError(f"bins: ({lo[i]:g}, {hi[i]:g}) and ({lo[i + 1]:g}, {hi[i + 1]:g}) overlap")
    for v in np.r_[lo, hi]:
        if np.isfinite(v) and v != int(v):
            raise ValueError(f"bins: edges must be whole event times (or +-inf), got {v!r}")
    label = given if given is not None else np.where(np.isfinite(lo), lo, hi).astype(np.int64)
    hit = np.flatnonzero((lo <= ref) & (ref <= hi))
    if len(hit) != 1:
        raise ValueError(f"bins: the reference event time {ref} lies in no bin {list(bins)!r}")
    return lo, hi, label, int(label[hit[0]])


def _apply_bins(rel: np.ndarray, active: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                label: np.ndarray) -> np.ndarray:
    """Bin label of each event time (rows not ``active`` get 0); raises for uncovered event times."""
    pos = np.searchsorted(lo, rel, side="right") - 1
    posc = np.clip(pos, 0, len(lo) - 1)
    ok = (pos >= 0) & (rel <= hi[posc])
    bad = active & ~ok
    if bad.any():
        miss = np.unique(rel[bad])
        raise ValueError(f"bins: event time(s) {miss[:10].tolist()} fall in no bin; add bins for them "
                         "(open end points (-inf, k) / (k, inf) collect the distant ones)")
    return np.where(active, label[posc], 0)


def _event_study(data: pd.DataFrame, *, yname: str, tname: str, idname: str, gname: str, ref: int,
                 window: tuple[int, int] | None, cluster: str | None, estimator: str,
                 weightsname: str | None, covariates: list[str] | None, alp: float,
                 seed: int | None, bins: Sequence[tuple[float, float]] | None = None,
                 always_treated: str | int = "drop") -> EventStudyResult:
    _require_columns(data, {"yname": yname, "tname": tname, "idname": idname, "gname": gname,
                            "cluster": cluster, "weightsname": weightsname})
    if estimator not in ("sunab", "twfe"):
        raise ValueError(f"estimator must be 'sunab' or 'twfe', got {estimator!r}")
    covariates = list(covariates or [])
    _require_columns(data, {f"covariates[{i}]": c for i, c in enumerate(covariates)})
    cluster = cluster or idname
    _check_unique(data, idname, tname)
    if window is not None:
        lo, hi = int(window[0]), int(window[1])
        if not lo <= ref <= hi or lo >= hi:
            raise ValueError(f"window {window!r} must satisfy lo <= ref ({ref}) <= hi and lo < hi")
    if bins is not None and window is not None:
        raise ValueError("give either window= (end-point binning) or bins= (custom bins), not both")
    keep_always = always_treated != "drop"
    if keep_always and bins is None:
        raise ValueError(f"always_treated={always_treated!r} needs bins=: without bins an always-treated "
                         "unit has no event time to be estimated at")
    if bins is not None:
        b_lo, b_hi, b_label, ref = _bin_table(bins, ref)
        if keep_always and estimator != "twfe":
            raise ValueError(f"always_treated={always_treated!r} needs estimator='twfe': the Sun & "
                             "Abraham estimator compares cohorts with never-treated units only, and an "
                             "always-treated cohort's cells are collinear with its unit effects")
        if always_treated == "own":
            always_label = int(b_label.max()) + 1
        elif keep_always:
            if not isinstance(always_treated, int | np.integer) or int(always_treated) not in set(b_label.tolist()):
                raise ValueError(f"always_treated must be 'drop', 'own' or one of the bin labels "
                                 f"{b_label.tolist()}, got {always_treated!r}")
            always_label = int(always_treated)
            if always_label == ref:
                raise ValueError("always_treated: the reference bin cannot hold the always-treated units")

    y_all = _numeric(data, yname, what="outcome")
    ok = np.isfinite(y_all) & data[idname].notna().to_numpy() & data[tname].notna().to_numpy()
    w_all = _numeric(data, weightsname, what="weights") if weightsname else None
    if w_all is not None:
        ok &= np.isfinite(w_all)
    X_all = [_numeric(data, c, what="covariate") for c in covariates]
    for x in X_all:
        ok &= np.isfinite(x)
    n_missing = int((~ok).sum())
    sub = data.loc[ok, list(dict.fromkeys([idname, tname, gname, cluster]))]
    time_codes, times = _time_codes(sub[tname])
    gpos, ginfo = _cohort_codes(sub[gname], times)
    uc0, ul0 = pd.factorize(sub[idname])
    _check_constant_within(uc0, gpos, len(ul0), col=gname, idname=idname, labels=np.asarray(ul0))
    keep_rows = gpos != -2 if not keep_always else np.ones(len(gpos), bool)  # no pre-period
    y = y_all[ok]
    w = w_all[ok] if w_all is not None else np.ones(len(y))
    Xc = [x[ok] for x in X_all]
    never_exists = bool((gpos == -1).any())
    control_group = "nevertreated"
    last_cohort = None
    if not never_exists:
        if estimator == "sunab":
            last_cohort = int(gpos[keep_rows].max())
            # last-treated cohort becomes the control: use only periods before it starts
            keep_rows &= time_codes < last_cohort
            control_group = "lasttreated"
        else:
            control_group = "notyettreated (all units eventually treated)"
    sub = sub.loc[keep_rows]
    y, w = y[keep_rows], w[keep_rows]
    Xc = [x[keep_rows] for x in Xc]
    time_codes, gpos = time_codes[keep_rows], gpos[keep_rows]
    if last_cohort is not None:
        gpos = np.where(gpos == last_cohort, -1, gpos)
    # re-index periods after dropping rows
    present = np.bincount(time_codes, minlength=len(times)) > 0
    newpos = np.cumsum(present) - 1
    tc = np.flatnonzero(present)
    times = times[tc]
    gmap = np.searchsorted(tc, np.where(gpos >= 0, gpos, 0))
    gpos = np.where(gpos >= 0, gmap, gpos)  # -1 never, -2 always treated (kept only with bins)
    time_codes = newpos[time_codes].astype(np.int64)
    unit_codes, units = pd.factorize(sub[idname], sort=True)
    clus_codes, clus_uniq = pd.factorize(sub[cluster], sort=True)
    n, T, G = len(y), len(times), len(units)
    treated = (gpos >= 0) | (gpos == -2)
    if not (gpos >= 0).any():
        raise ValueError(f"no treated units: column {gname!r} marks every unit as never treated")

    def binned(gv: np.ndarray, rel_t: np.ndarray) -> np.ndarray:
        # event time -> estimated event time / bin label (always-treated rows: their own label)
        if bins is not None:
            out = _apply_bins(rel_t, gv >= 0, b_lo, b_hi, b_label)
            return np.where(gv == -2, always_label, out) if keep_always else out
        return np.clip(rel_t, lo, hi) if window is not None else rel_t

    rel = np.where(gpos >= 0, time_codes - gpos, 0)
    rel_b = binned(gpos, rel)
    if always_treated == "own":
        treated = gpos >= 0  # their own bin is absorbed by the unit effects: no column
    ev_all = np.unique(rel_b[treated])
    ev = ev_all[ev_all != ref]
    if estimator == "twfe" and not never_exists and window is None and bins is None:
        # without never-treated units a full set of leads/lags is collinear with unit+time effects
        # (a linear trend in event time): also omit the most distant lead
        ev = ev[ev != ev.min()] if ev.min() < 0 else ev
    names: list[str] = [f"time::{i}" for i in range(1, T)]
    n_time = len(names)
    # treatment column of each (cohort, event time) pair; -1 = none (reference / outside)
    if estimator == "twfe":
        cell_key = pd.DataFrame({"e": ev})
        names += [f"rel::{e}" for e in ev]

        def treat_col(gv: np.ndarray, ev_b: np.ndarray) -> np.ndarray:
            pos = np.searchsorted(ev, ev_b)
            pos_c = np.clip(pos, 0, max(len(ev) - 1, 0))
            hit = (gv != -1) & (len(ev) > 0) & (ev[pos_c] == ev_b) if len(ev) else np.zeros(len(gv), bool)
            return np.where(hit, pos_c, -1)
    else:
        cell = pd.DataFrame({"g": gpos[treated], "e": rel_b[treated]}).drop_duplicates()
        cell = cell[cell["e"] != ref].sort_values(["g", "e"]).reset_index(drop=True)
        cell_key = cell
        names += [f"cell::{g}:{e}" for g, e in zip(cell["g"], cell["e"], strict=True)]
        code = pd.Series(np.arange(len(cell)), index=pd.MultiIndex.from_frame(cell))

        def treat_col(gv: np.ndarray, ev_b: np.ndarray) -> np.ndarray:
            idx = code.reindex(pd.MultiIndex.from_arrays([gv, ev_b])).to_numpy()
            return np.where((gv != -1) & np.isfinite(idx), np.nan_to_num(idx, nan=-1), -1).astype(np.int64)

    n_treat_cols = len(names) - n_time
    if not Xc:
        # typed design: the row pattern depends only on (cohort, period) -> fast path
        bvals, brow = np.unique(gpos, return_inverse=True)
        unit_block = np.zeros(G, dtype=np.int64)
        unit_block[unit_codes] = brow
        nb = len(bvals)
        bb = np.repeat(np.arange(nb), T)
        tt = np.tile(np.arange(T), nb)
        gv = bvals[bb]
        rel_t = tt - gv
        ev_b = binned(gv, np.where(gv >= 0, rel_t, 0))
        tcol = treat_col(gv, ev_b)
        fr = np.concatenate([np.flatnonzero(tt > 0), np.flatnonzero(tcol >= 0)])
        fc = np.concatenate([tt[tt > 0] - 1, n_time + tcol[tcol >= 0]])
        F = sp.csr_matrix((np.ones(len(fr)), (fr, fc)), shape=(nb * T, n_time + n_treat_cols))
        design = TypedDesign(F, unit_block, time_codes, T)
        fit = fe_wls_typed(design, y, unit_codes, G, w)
        if np.array_equal(unit_codes, clus_codes):
            sc = None
            meat = typed_meat(design, w * fit.resid, unit_codes, G)
        else:
            sc = cluster_scores_typed(design, w * fit.resid, unit_codes, G, w, clus_codes, len(clus_uniq))
    else:
        rows = np.arange(n)
        cols: list[sp.spmatrix] = []
        m = time_codes > 0
        cols.append(sp.csc_matrix((np.ones(m.sum()), (rows[m], time_codes[m] - 1)), shape=(n, T - 1)))
        tcol = treat_col(gpos, rel_b)
        m = tcol >= 0
        cols.append(sp.csc_matrix((np.ones(m.sum()), (rows[m], tcol[m])), shape=(n, n_treat_cols)))
        cols.append(sp.csc_matrix(np.column_stack(Xc)))
        names += covariates
        Z = sp.hstack(cols, format="csc")
        fit = fe_wls(Z, y, unit_codes, G, w)
        sc = cluster_scores(Z, w * fit.resid, unit_codes, G, w, clus_codes, len(clus_uniq))
    nested = _nested(unit_codes, clus_codes)
    if sc is None:
        V = cr1_vcov(fit.bread, fit.keep, None, n_obs=n, k=len(fit.keep), nested=True, n_units=G,
                     meat=meat, n_clusters=len(clus_uniq))
    else:
        V = cr1_vcov(fit.bread, fit.keep, sc, n_obs=n, k=len(fit.keep), nested=nested, n_units=G)
    n_cells = len(cell_key)
    sl = slice(n_time, n_time + n_cells)
    b_cell = fit.theta[sl]
    V_cell = V[sl, sl]
    # observation counts (weighted) per event time and cell, for weights and the average effect
    cnt = pd.DataFrame({"g": gpos, "e": rel_b, "w": w})[treated].groupby(["g", "e"])["w"].sum()
    if estimator == "twfe":
        ev_est = b_cell
        ev_V = V_cell
        ev_times = ev
        n_e = cnt.groupby(level="e").sum().reindex(ev_times).to_numpy()
        cells_df = None
    else:
        cell = cell_key.copy()
        cell["n"] = cnt.reindex(pd.MultiIndex.from_frame(cell[["g", "e"]])).to_numpy()
        cell["estimate"] = b_cell
        cell["std_error"] = np.sqrt(np.diag(V_cell))
        okc = np.isfinite(b_cell)
        ev_times = np.unique(cell.loc[okc, "e"])
        Wm = np.zeros((len(ev_times), n_cells))
        for r, e in enumerate(ev_times):
            mm = (cell["e"].to_numpy() == e) & okc
            Wm[r, mm] = cell["n"].to_numpy()[mm] / cell["n"].to_numpy()[mm].sum()
        bz = np.where(okc, b_cell, 0.0)
        Vz = np.where(np.outer(okc, okc), V_cell, 0.0)
        ev_est = Wm @ bz
        ev_V = Wm @ Vz @ Wm.T
        n_e = np.array([cell.loc[(cell["e"] == e) & okc, "n"].sum() for e in ev_times])
        gcodes = cell["g"].to_numpy()
        cells_df = cell.assign(g=np.where(gcodes >= 0, times[np.clip(gcodes, 0, None)], None))
        cells_df = cells_df.rename(columns={"g": "cohort", "e": "event_time"})
    se = np.sqrt(np.diag(ev_V))
    fin = np.isfinite(ev_est)
    # sup-t from a normal approximation, never below the pointwise t(G-1) critical value
    crit = max(_simultaneous_crit(ev_V[np.ix_(fin, fin)], alp, seed),
               float(stats.t.ppf(1 - alp / 2, len(clus_uniq) - 1)))
    effects = [
        Effect.from_linear(f"event_time::{int(e)}", float(b), float(s), alpha=alp, df=len(clus_uniq) - 1,
                           event_time=int(e))
        for e, b, s in zip(ev_times, ev_est, se, strict=True)
    ]
    table = tidy_frame(effects)
    table["n_obs"] = n_e
    table["conf_low_simul"] = table["estimate"] - crit * table["std_error"]
    table["conf_high_simul"] = table["estimate"] + crit * table["std_error"]
    # reference row (normalised to zero) so plots and tables show the anchor
    refrow = {c: np.nan for c in table.columns} | {"term": f"event_time::{ref}", "estimate": 0.0,
                                                   "std_error": 0.0, "event_time": ref}
    table = pd.concat([table, pd.DataFrame([refrow])], ignore_index=True)
    table = table.sort_values("event_time").reset_index(drop=True)
    table["event_time"] = table["event_time"].astype(int)
    lab = [str(int(e)) for e in ev_times]
    vc = pd.DataFrame(ev_V, index=lab, columns=lab)
    # average post effect, observation-weighted over event times >= 0
    post = (ev_times >= 0) & fin
    if post.any():
        a = np.zeros(len(ev_times))
        a[post] = n_e[post] / n_e[post].sum()
        b_avg = float(a[fin] @ ev_est[fin])
        se_avg = float(math.sqrt(a[fin] @ ev_V[np.ix_(fin, fin)] @ a[fin]))
        eff = Effect.from_linear("overall", b_avg, se_avg, alpha=alp, df=len(clus_uniq) - 1)
    else:
        eff = Effect("overall", math.nan, math.nan, math.nan, math.nan, math.nan, alpha=alp)
    if not np.all(np.isfinite(fit.theta[sl])):
        warnings.warn(
            f"{int((~np.isfinite(fit.theta[sl])).sum())} event-time coefficient(s) not identified "
            "(collinear with the fixed effects) and left out", stacklevel=2,
        )
    method = dict(
        estimator="Sun & Abraham (2021)" if estimator == "sunab" else "dynamic TWFE",
        ref=ref, window=window, binned=window is not None or bins is not None,
        bins=None if bins is None else [(float(a), float(b)) for a, b in zip(b_lo, b_hi, strict=True)],
        always_treated=always_treated,
        always_treated_bin=always_label if keep_always else None, control_group=control_group,
        cluster=cluster, se_type="cluster (CR1)", inference="analytic",
        reference_distribution=f"t({len(clus_uniq) - 1}) pointwise; sup-t normal simultaneous", n_obs=n, n_units=G, n_periods=T,
        n_clusters=len(clus_uniq), n_treated_units=int(pd.Series(unit_codes[treated]).nunique()),
        n_dropped_missing=n_missing,
        dropped_always_treated_rows=0 if keep_always else ginfo["always_treated"],
        treated_after_panel_rows=ginfo["treated_after_panel"], simultaneous_crit=crit, seed=seed,
        alpha=alp, weights=weightsname, covariates=covariates,
    )
    return EventStudyResult(table, vc, eff, method, cells_df)


# keep TIDY_COLUMNS importable from here for callers that build tables alongside
_ = TIDY_COLUMNS
