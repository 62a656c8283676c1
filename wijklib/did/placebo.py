"""Event study for ONE treated ward, with placebo-in-space inference instead of clustered SEs.

Cluster-robust standard errors need many treated clusters; with one treated ward they are far too small
(on The Hague police data, 65-78% of 1-vs-36 placebo event studies were 'significant' at 5%, see
``benchmarks/results/reports.md``). The valid alternative for a single treated unit (Conley & Taber
2011; the placebo variance of Arkhangelsky et al. 2021, synthdid Algorithm 4): give each comparison
ward in turn the treated ward's start date (the treated ward left out), refit, and use the spread of
these placebo estimates as the sampling spread of the real one:

- per event time and for the average post-start effect: SE = standard deviation of the N placebo
  estimates; intervals and p-values from t(N-1); the average effect also gets the randomisation
  p-value (rank of its absolute value among the placebos, ``extra["p_randomization"]``);
- pre-trend check: the mean squared pre-start coefficient, ranked among the placebos' (no covariance
  matrix needed, so it stays valid with few wards);
- simultaneous band: the (1 - alpha) quantile over placebos of their largest |estimate / SE| over event
  times, never below the pointwise critical value;
- ``vcov``: the covariance of the placebo estimates (10% diagonal loading when there are fewer placebos
  than event times), for :func:`wijklib.diagnostics.pretrend_power` and ``honest_rm_bounds``.

Assumption (Ferman & Pinto 2019): the treated ward's estimate is as noisy as a comparison ward's. For
rates per 1,000 residents a much smaller or larger ward breaks it; the result says how many placebos it
rests on, and with fewer than ``min_placebos`` comparison wards no interval is given.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.linalg as sla
from scipy import stats

from wijklib.arguments import resolve_alpha
from wijklib.diagnostics import assign_placebo_start, treated_mask
from wijklib.did.twfe_es import EventStudyResult, event_study
from wijklib.results import DEFAULT_SEED, Effect, PreTest, no_pretest

#: Fewest comparison wards for placebo inference: with N placebos the smallest randomisation p-value is
#: 1 / (N + 1) and the t(N - 1) interval is very wide below this.
MIN_PLACEBOS = 5


def placebo_draws(
    data: pd.DataFrame, *, yname: str, tname: str, idname: str, gname: str, start: Any,
    window: tuple[int, int] | None = None, ref: int = -1, method: Literal["shared", "refit"] = "shared",
) -> pd.DataFrame:
    """Placebo event studies: every never-treated ward in turn gets ``start``; treated wards are left out.

    Returns one row per (placebo ward, event time) with ``estimate``, plus rows with
    ``event_time = "average_post"`` holding each placebo's average post-start effect. The draws depend
    only on the comparison wards and the start, so wards of one roll-out cohort can share them.

    ``method="shared"`` (default) computes all N placebos from ONE two-way fixed-effects projection of
    the comparison panel (Frisch-Waugh-Lovell, see :func:`_shared_draws`): O(N T^2 p) instead of N full
    event-study fits. ``method="refit"`` refits :func:`wijklib.did.event_study` per placebo (the
    reference the shared path is tested against to 1e-10; it is also used for a placebo the shared path
    cannot reproduce exactly, e.g. a disconnected unbalanced panel).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame([(i, t, 6 if i == 0 else 0) for i in range(8) for t in range(12)], columns=["id", "t", "g"])
    >>> df["y"] = rng.normal(size=len(df))
    >>> d = placebo_draws(df, yname="y", tname="t", idname="id", gname="g", start=6, window=(-3, 3))
    >>> sorted(d["placebo"].unique()) == list(range(1, 8))
    True
    >>> r = placebo_draws(df, yname="y", tname="t", idname="id", gname="g", start=6, window=(-3, 3), method="refit")
    >>> bool(np.allclose(d["estimate"], r["estimate"], rtol=0, atol=1e-10))
    True
    """
    if method not in ("shared", "refit"):
        raise ValueError(f"placebo_draws: method must be 'shared' or 'refit', got {method!r}")
    base = data.loc[~treated_mask(data[gname])]
    if pd.api.types.is_datetime64_any_dtype(data[gname]):
        start = pd.Timestamp(start)
    kw = dict(yname=yname, tname=tname, idname=idname, gname=gname, start=start, window=window, ref=ref)
    units = pd.unique(base[idname])
    shared = _SharedProjection.build(base, **kw) if method == "shared" else None
    rows: list[dict[str, Any]] = []
    n_unidentified = 0
    for u in units:
        got = shared.draw(u) if shared is not None else _REFIT
        if got is _REFIT:
            got = _refit_draw(base, u, **kw)
        elif got is not None and got[1]:
            n_unidentified += 1
        if got is not None:
            rows += got[0]
    if n_unidentified:
        warnings.warn(f"{n_unidentified} placebo ward(s) had event-time coefficient(s) not identified "
                      "(collinear with the fixed effects) and left out", stacklevel=2)
    return pd.DataFrame(rows, columns=["placebo", "event_time", "estimate"])


_REFIT = object()  # sentinel: this placebo needs the full refit


def _refit_draw(base: pd.DataFrame, u: Any, *, yname: str, tname: str, idname: str, gname: str, start: Any,
                window: tuple[int, int] | None, ref: int) -> tuple[list[dict[str, Any]], bool] | None:
    """One placebo by a full event-study fit (the reference path); None when it cannot be fitted."""
    d = assign_placebo_start(base, idname=idname, gname=gname, unit=u, start=start)
    try:
        es = event_study(d, yname=yname, tname=tname, idname=idname, gname=gname, window=window, ref=ref)
    except ValueError:  # a placebo ward without usable data: it cannot be a placebo
        return None
    t = es.table
    rows = [{"placebo": u, "event_time": int(e), "estimate": float(b)}
            for e, b in zip(t["event_time"], t["estimate"], strict=True)]
    rows.append({"placebo": u, "event_time": "average_post", "estimate": float(es.effect.estimate)})
    return rows, False


@dataclass
class _SharedProjection:
    """The two-way FE projection of the comparison panel, shared by all placebo fits.

    A placebo fit of ward u is ``y = alpha_i + lambda_t + sum_e beta_e D_e + eps`` where every ``D_e``
    is non-zero only on u's rows. With the unit effects absorbed and the time dummies partialled out
    (Frisch-Waugh-Lovell), ``beta = S^-1 Z_u' e0`` with

    - ``e0`` the residual of the no-treatment two-way FE fit (computed once),
    - ``S = Z~'Z~ - C' A_tt^-1 C``: ``Z~`` u's event-time indicators demeaned within u (n_u x p),
      ``C`` the same rows placed at their periods (T x p) and ``A_tt`` the time-dummy normal matrix
      after absorbing the unit effects, which does not depend on u (factorised once).

    ``S`` is the Schur complement of the full event-study normal matrix, so its Cholesky pivots are
    the reference fit's pivots for the event-time columns; the same 1e-9 rule drops the same collinear
    columns. Per placebo the cost is one T x p triangular solve.
    """

    y_e0: np.ndarray  # e0 per row of the usable panel
    tcode: np.ndarray
    rows_of: dict[Any, np.ndarray]
    chol: np.ndarray  # lower Cholesky factor of A_tt ((T-1) x (T-1))
    T: int
    s_pos: int
    window: tuple[int, int] | None
    ref: int

    @classmethod
    def build(cls, base: pd.DataFrame, *, yname: str, tname: str, idname: str, gname: str, start: Any,
              window: tuple[int, int] | None, ref: int) -> _SharedProjection | None:
        """The projection, or None when the shared path cannot reproduce the refits (then: refit)."""
        from wijklib.did import _checks as te

        try:
            # The same checks and codes as event_study; any failure -> the reference path decides.
            te._require_columns(base, {"yname": yname, "tname": tname, "idname": idname, "gname": gname})
            te._check_unique(base, idname, tname)
            if window is not None and not (int(window[0]) <= ref <= int(window[1]) and window[0] < window[1]):
                return None
            y_all = te._numeric(base, yname, what="outcome")
            ok = np.isfinite(y_all) & base[idname].notna().to_numpy() & base[tname].notna().to_numpy()
            sub = base.loc[ok, [idname, tname]]
            tcode, times = te._time_codes(sub[tname])
            is_date = pd.api.types.is_datetime64_any_dtype(base[gname])
            g2 = pd.Series(np.where(np.array([True, False]), start, pd.NaT if is_date else 0), name=gname)
            if is_date:
                g2 = pd.to_datetime(g2)
            s_pos = int(te._cohort_codes(g2, times)[0][0])
        except (ValueError, KeyError, TypeError):
            return None
        ucode, ulab = pd.factorize(sub[idname], sort=True)
        G, T = len(ulab), len(times)
        if s_pos < 0 or G < 2 or T < 2:  # start outside the panel, no controls: the refits decide
            return None
        y = y_all[ok]
        grid = np.zeros((G, T))
        grid[ucode, tcode] = 1.0
        n_g = grid.sum(axis=1)
        A = np.diag(grid.sum(axis=0)) - (grid / n_g[:, None]).T @ grid
        A_tt = A[1:, 1:]
        try:
            L = np.linalg.cholesky((A_tt + A_tt.T) / 2)
        except np.linalg.LinAlgError:
            return None
        if (np.diag(L) ** 2 <= 1e-9 * np.maximum(np.diag(A_tt), 1e-300)).any():
            return None  # time effects not all identified (disconnected panel): refit
        ydm = y - (np.bincount(ucode, weights=y, minlength=G) / n_g)[ucode]
        b_t = np.bincount(tcode, weights=ydm, minlength=T)[1:]
        lam = np.concatenate([[0.0], sla.cho_solve((L, True), b_t, check_finite=False)])
        lt = lam[tcode]
        e0 = ydm - (lt - (np.bincount(ucode, weights=lt, minlength=G) / n_g)[ucode])
        order = np.argsort(ucode, kind="stable")
        bounds = np.searchsorted(ucode[order], np.arange(G + 1))
        rows_of = {lab: order[bounds[i]:bounds[i + 1]] for i, lab in enumerate(ulab)}
        return cls(e0, tcode, rows_of, L, T, s_pos, None if window is None else (int(window[0]), int(window[1])),
                   int(ref))

    def draw(self, u: Any) -> Any:
        """(rows, had_unidentified) for placebo ward ``u``; None when it has no data; _REFIT if unsure."""
        rows = self.rows_of.get(u)
        if rows is None:
            return None  # no usable row: the refit raises 'no treated units', so no placebo
        t_u = self.tcode[rows]
        rel = t_u - self.s_pos
        rel_b = np.clip(rel, *self.window) if self.window is not None else rel
        ev = np.unique(rel_b)
        ev = ev[ev != self.ref]
        p = len(ev)
        if p == 0:
            return _REFIT
        n_u = len(rows)
        cell = np.searchsorted(ev, rel_b)
        act = rel_b != self.ref
        n_e = np.bincount(cell[act], minlength=p).astype(float)
        Zt = np.zeros((n_u, p))
        Zt[np.flatnonzero(act), cell[act]] = 1.0
        Zt -= n_e / n_u
        C = np.zeros((self.T, p))
        C[t_u] = Zt
        Wt = sla.solve_triangular(self.chol, C[1:], lower=True, check_finite=False)
        A_zz = np.diag(n_e) - np.outer(n_e, n_e) / n_u
        S = A_zz - Wt.T @ Wt
        S = (S + S.T) / 2
        b = np.bincount(cell[act], weights=self.y_e0[rows][act], minlength=p)
        dA = np.diag(A_zz)
        theta = np.full(p, np.nan)
        keep = _kept_columns(S, dA)
        if len(keep):
            c = sla.cho_factor(S[np.ix_(keep, keep)], lower=True, check_finite=False)
            theta[keep] = sla.cho_solve(c, b[keep], check_finite=False)
        fin = np.isfinite(theta)
        ev_t, est, n_t = ev[fin], theta[fin], n_e[fin]
        post = ev_t >= 0
        if post.any():
            a = np.zeros(len(ev_t))
            a[post] = n_t[post] / n_t[post].sum()
            avg = float(a @ est)
        else:
            avg = math.nan
        terms = sorted([(int(e), float(b_)) for e, b_ in zip(ev_t, est, strict=True)] + [(self.ref, 0.0)])
        out = [{"placebo": u, "event_time": e, "estimate": b_} for e, b_ in terms]
        out.append({"placebo": u, "event_time": "average_post", "estimate": avg})
        return out, bool((~fin).any())


def _kept_columns(S: np.ndarray, diag_full: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Columns of the Schur complement ``S`` the reference fit keeps (``fixed_effects._solve_normal``).

    The reference keeps all columns when every Cholesky pivot exceeds ``tol`` times the column's
    diagonal in the full normal matrix (``diag_full``), and otherwise drops greedily in order
    (``_independent_columns``): a column goes when its pivot given the kept ones is that small.
    """
    p = S.shape[0]
    try:
        L = np.linalg.cholesky(S)
        if not (np.diag(L) ** 2 <= tol * np.maximum(diag_full, 1e-300)).any():
            return np.arange(p)
    except np.linalg.LinAlgError:
        pass
    keep: list[int] = []
    Lk = np.zeros((p, p))
    for j in range(p):
        if diag_full[j] <= 0:
            continue
        if keep:
            k = np.asarray(keep)
            lj = sla.solve_triangular(Lk[: len(keep), : len(keep)], S[k, j], lower=True)
            r = S[j, j] - lj @ lj
        else:
            lj = np.empty(0)
            r = S[j, j]
        if r <= tol * diag_full[j]:
            continue
        m = len(keep)
        Lk[m, :m] = lj
        Lk[m, m] = math.sqrt(r)
        keep.append(j)
    return np.asarray(keep, dtype=np.int64)


def with_placebo_inference(es: EventStudyResult, draws: pd.DataFrame, *, min_placebos: int = MIN_PLACEBOS
                           ) -> EventStudyResult:
    """``es`` (one treated ward) with SEs, intervals, p-values and pre-test from placebo ``draws``.

    Raises
    ------
    ValueError
        When fewer than ``min_placebos`` comparison wards gave a placebo estimate.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from wijklib.did import event_study
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame([(i, t, 6 if i == 0 else 0) for i in range(10) for t in range(12)], columns=["id", "t", "g"])
    >>> df["y"] = rng.normal(size=len(df))
    >>> es = event_study(df, yname="y", tname="t", idname="id", gname="g", window=(-3, 3))
    >>> d = placebo_draws(df, yname="y", tname="t", idname="id", gname="g", start=6, window=(-3, 3))
    >>> r = with_placebo_inference(es, d)
    >>> r.method["inference"], r.method["n_placebos"]
    ('placebo', 9)
    """
    alpha = float(es.effect.alpha)
    avg = draws.loc[draws["event_time"].astype(str) == "average_post", "estimate"].to_numpy(float)
    avg = avg[np.isfinite(avg)]
    n = int(avg.size)
    if n < min_placebos:
        raise ValueError(f"placebo inference needs at least {min_placebos} comparison wards with an estimate; "
                         f"got {n}")
    per = draws.loc[draws["event_time"].astype(str) != "average_post"].astype({"event_time": int})
    wide = per.pivot_table(index="placebo", columns="event_time", values="estimate", aggfunc="first")

    t = es.table
    ref = int(es.method.get("ref", -1))
    rows = []
    for _, r in t.iterrows():
        e = int(r["event_time"])
        col = wide[e].to_numpy(float) if e in wide else np.array([])
        col = col[np.isfinite(col)]
        est = float(r["estimate"])
        if e == ref or col.size < 2 or not np.isfinite(est):
            se, lo, hi, stat, p = (0.0, est, est, math.nan, math.nan) if e == ref else (math.nan,) * 5
        else:
            se = float(np.std(col, ddof=1))
            q = float(stats.t.ppf(1 - alpha / 2, col.size - 1))
            lo, hi = est - q * se, est + q * se
            stat = est / se if se > 0 else math.nan
            p = float(2 * stats.t.sf(abs(stat), col.size - 1)) if se > 0 else math.nan
        rows.append({**r.to_dict(), "std_error": se, "conf_low": lo, "conf_high": hi, "statistic": stat,
                     "p_value": p})
    table = pd.DataFrame(rows)

    # Simultaneous band: how far the placebos stray at their worst event time, in SE units.
    ses = table.set_index("event_time")["std_error"]
    cols = [e for e in wide.columns if e != ref and np.isfinite(ses.get(e, np.nan)) and ses.get(e, 0) > 0]
    q_point = float(stats.t.ppf(1 - alpha / 2, n - 1))
    crit = q_point
    if cols:
        worst = np.nanmax(np.abs(wide[cols].to_numpy(float) / ses[cols].to_numpy(float)), axis=1)
        crit = max(q_point, float(np.quantile(worst[np.isfinite(worst)], 1 - alpha, method="higher")))
    table["conf_low_simul"] = table["estimate"] - crit * table["std_error"]
    table["conf_high_simul"] = table["estimate"] + crit * table["std_error"]

    e = es.effect
    se = float(np.std(avg, ddof=1))
    stat = e.estimate / se if se > 0 else math.nan
    p_rank = float((1 + np.sum(np.abs(avg) >= abs(e.estimate) - 1e-12)) / (n + 1))
    effect = Effect(e.term, e.estimate, se, e.estimate - q_point * se, e.estimate + q_point * se,
                    float(2 * stats.t.sf(abs(stat), n - 1)) if se > 0 else math.nan, stat, e.scale, alpha,
                    {**e.extra, "p_randomization": p_rank, "n_placebos": n})

    pre_terms = [c for c in wide.columns if c < 0 and c != ref]
    real_pre = table.set_index("event_time").loc[[c for c in pre_terms if c in set(table["event_time"])],
                                                  "estimate"].to_numpy(float)
    pre = no_pretest("no pre-period event times to rank")
    if real_pre.size:
        s_real = float(np.nanmean(real_pre**2))
        s_plac = np.nanmean(wide[pre_terms].to_numpy(float) ** 2, axis=1)
        s_plac = s_plac[np.isfinite(s_plac)]
        pre = PreTest(
            s_real, len(pre_terms), float((1 + np.sum(s_plac >= s_real - 1e-12)) / (s_plac.size + 1)),
            tuple(str(c) for c in pre_terms),
            test=f"randomisation: mean squared pre-start coefficient ranked among {s_plac.size} placebo wards",
        )
    # Covariance of the event-time estimates across placebos (for pre-trend power and honest bounds).
    # With fewer placebos than event times it is singular; a 10% diagonal loading keeps it invertible.
    labels = [lab for lab in es.vcov.index if int(lab) in wide.columns]
    mat = wide[[int(lab) for lab in labels]].to_numpy(float)
    mat = mat[np.isfinite(mat).all(axis=1)]
    vcov = es.vcov * np.nan
    if mat.shape[0] >= 2 and labels:
        S = np.atleast_2d(np.cov(mat, rowvar=False))
        if np.linalg.matrix_rank(S) < S.shape[0]:
            S = S + 0.1 * np.diag(np.diag(S))
        vcov.loc[labels, labels] = S
    method = {**es.method, "inference": "placebo", "se_type": f"placebo in space ({n} comparison wards)",
              "reference_distribution": f"t({n - 1}) from placebo SDs; simultaneous: placebo max-|t| quantile",
              "simultaneous_crit": crit, "n_placebos": n}
    return replace(es, table=table, vcov=vcov, effect=effect, method=method, placebo_pretest=pre)


def pretest(es: EventStudyResult) -> PreTest:
    """The pre-trend check that belongs to ``es`` (= ``es.pretest()``): the placebo ranking when it has
    placebo inference, else the cluster-robust Wald test. Kept for callers of the function.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from wijklib.did import event_study
    >>> df = pd.DataFrame([(i, t, 5 if i < 5 else 0) for i in range(20) for t in range(10)], columns=["id", "t", "g"])
    >>> df["y"] = np.random.default_rng(1).normal(size=len(df))
    >>> pretest(event_study(df, yname="y", tname="t", idname="id", gname="g")).test.startswith("Wald")
    True
    """
    return es.pretest()


def event_study_single(
    data: pd.DataFrame, *, yname: str, tname: str, idname: str, gname: str,
    window: tuple[int, int] | None = None, ref: int = -1, alpha: float = 0.05,
    min_placebos: int = MIN_PLACEBOS, seed: int | None = DEFAULT_SEED, alp: float | None = None,
) -> EventStudyResult:
    """Event study of the ONE treated ward in ``data`` against the never-treated wards, placebo inference.

    Same arguments as :func:`wijklib.did.event_study` (``alp`` is an alias of ``alpha``); ``data``
    must hold exactly one ward with a start. The result's ``pretest()`` is the placebo ranking of the
    pre-start coefficients (a cluster-robust Wald test is invalid with one treated ward).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame([(i, t, 6 if i == 0 else 0) for i in range(12) for t in range(12)], columns=["id", "t", "g"])
    >>> df["y"] = rng.normal(size=len(df)) + np.where((df.id == 0) & (df.t >= 6), 5.0, 0.0)
    >>> r = event_study_single(df, yname="y", tname="t", idname="id", gname="g", window=(-3, 3))
    >>> bool(r.effect.conf_low > 2), r.method["n_placebos"], r.pretest().test.startswith("randomisation")
    (True, 11, True)
    """
    alpha = resolve_alpha(alpha, alp, "event_study_single")
    treated = data.loc[treated_mask(data[gname]), idname].unique()
    if len(treated) != 1:
        raise ValueError(f"event_study_single needs exactly one treated ward in column {gname!r}; "
                         f"found {len(treated)}")
    start = data.loc[data[idname] == treated[0], gname].iloc[0]
    es = event_study(data, yname=yname, tname=tname, idname=idname, gname=gname, window=window, ref=ref,
                     alpha=alpha, seed=seed)
    draws = placebo_draws(data, yname=yname, tname=tname, idname=idname, gname=gname, start=start,
                          window=window, ref=ref)
    return with_placebo_inference(es, draws, min_placebos=min_placebos)
