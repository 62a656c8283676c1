"""Inference at the level of the verdict: a studentised randomisation test over comparison wards.

A ward's verdict rests on the wards behind ITS estimate (its start cohort, or the ward alone). Cluster-
robust and wild-bootstrap intervals with 1-4 treated wards over-reject (the issue 10 placebo runs: 16.5%
for a 5% test on 12 treated wards in 3 cohorts), so the monitor compares the treated wards' change with
the same change in every other set of comparison wards of the same size:

- per ward ``i`` the log change ``d_i = log(rate after) - log(rate before)`` (0.5 added to both counts),
  with its noise ``v_i = phi_i (1/Y_before + 1/Y_after)``; ``phi_i`` is the ward's Pearson dispersion
  of its monthly counts around the city's monthly pattern before the start (at least 1);
- the statistic for a set ``S`` of treated wards against the rest ``R`` is the precision-weighted
  difference of mean changes divided by its standard error. Dividing by the ward's own noise is what
  keeps the test valid when the noisiest wards are the ones treated (selection on noise): an unweighted
  permutation test then over-rejects, a studentised one does not (Chung & Romano 2013);
- reference distribution: every (or 1,999 random) assignment(s) of ``k = |S|`` wards out of the treated
  and comparison wards together (Fisher randomisation; the interval by test inversion) when at least
  200 assignments exist; otherwise (e.g. one ward against 36) the placebo-in-space statistics of the
  comparison wards give the scale and the verdict uses a t reference (as
  :func:`wijklib.did.event_study_single`), because the rank test cannot reach a one-sided 2.5% level
  with fewer than 40 assignments. :attr:`RandomizationResult.min_p` states the smallest p-value the
  exact rank test could give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

#: Fewer assignments than this: the placebo-scale t reference instead of exact ranks.
MIN_EXACT_ASSIGNMENTS = 200
#: Monte Carlo assignments when there are more than this many.
MAX_ASSIGNMENTS = 1999
#: Seed of the Monte Carlo assignments when none is given; the monitor passes ``seeds.randomisation``
#: of ``config/monitor.yaml`` (the same number by default).
DEFAULT_SEED = 20261203


@dataclass(frozen=True)
class RandomizationResult:
    """Rate ratio of the treated wards' change against the comparison wards', with its interval."""

    estimate: float  # rate ratio
    conf_low: float
    conf_high: float
    p_value: float
    n_treated: int
    n_controls: int
    n_assignments: int
    reference: str  # "exact" (rank over assignments) or "t" (placebo scale)
    min_p: float  # smallest two-sided p-value the exact rank test could attain
    y_after: float

    def plain(self) -> str:
        """Plain-Dutch description for the report's running text: who is compared with whom."""
        who = "deze wijk alleen" if self.n_treated == 1 else f"{self.n_treated} wijken met dezelfde startdatum"
        return f"{who}, {self.n_controls} {'vergelijkingswijk' if self.n_controls == 1 else 'vergelijkingswijken'}"

    def describe(self) -> str:
        """Technical Dutch description for the method section."""
        if self.reference == "exact":
            ref = f"randomisatietoets over {self.n_assignments} toewijzingen"
        else:
            ref = (f"placebo-in-ruimte over {self.n_assignments} vergelijkingstoewijzingen met t-verdeling "
                   f"(kleinst haalbare p bij een rangtoets: {self.min_p:.3f})")
        return (f"{self.n_treated} behandelde tegen {self.n_controls} vergelijkingswijken, gestudentiseerd; {ref}")


def _changes(panel: pd.DataFrame, wards: list[str], col: str, before: tuple[pd.Timestamp, pd.Timestamp],
             after: tuple[pd.Timestamp, pd.Timestamp]) -> pd.DataFrame:
    per = pd.to_datetime(panel["period"])
    sub = panel.loc[panel["unit"].astype(str).isin(wards) & (per >= before[0]) & (per <= after[1])]
    y = pd.to_numeric(sub[col], errors="coerce")
    pop = pd.to_numeric(sub["population"], errors="coerce")
    d = pd.DataFrame({"unit": sub["unit"].astype(str).to_numpy(), "period": pd.to_datetime(sub["period"]).to_numpy(),
                      "y": y.to_numpy(float), "pop": pop.to_numpy(float)})
    # Months missing for any ward are left out for all (the police publication lag, a broken export):
    # every ward is then compared over the same months.
    good = d.assign(ok=np.isfinite(d["y"]) & np.isfinite(d["pop"]) & (d["pop"] > 0)).groupby("period")["ok"].all()
    d = d.loc[d["period"].map(good)]
    wide_y = d.pivot(index="period", columns="unit", values="y").reindex(columns=wards)
    wide_p = d.pivot(index="period", columns="unit", values="pop").reindex(columns=wards)
    if wide_y.isna().any().any():
        missing = [w for w in wards if wide_y[w].isna().all()]
        raise ValueError(f"{col}: no data for ward(s) {missing[:5]} in the comparison window")
    is_pre = (wide_y.index >= before[0]) & (wide_y.index < before[1])
    is_post = (wide_y.index >= after[0]) & (wide_y.index <= after[1])
    if is_pre.sum() < 2 or is_post.sum() < 1:
        raise ValueError(f"{col}: {int(is_pre.sum())} months before and {int(is_post.sum())} after with data for "
                         "every ward; expected at least 2 and 1")
    yb, ya = wide_y.loc[is_pre].sum(), wide_y.loc[is_post].sum()
    eb, ea = wide_p.loc[is_pre].sum(), wide_p.loc[is_post].sum()
    d_i = np.log((ya + 0.5) / ea) - np.log((yb + 0.5) / eb)
    # Dispersion around the city's monthly pattern before the start (ward level x city month shape).
    pre = wide_y.loc[is_pre]
    shape = pre.sum(axis=1) / pre.to_numpy().sum()
    fit = np.outer(shape.to_numpy(), pre.sum().to_numpy())
    fit = np.where(fit > 0, fit, np.nan)
    pearson = np.nansum((pre.to_numpy() - fit) ** 2 / fit, axis=0) / max(int(is_pre.sum()) - 1, 1)
    phi = np.maximum(pearson, 1.0)
    v = phi * (1 / (yb.to_numpy() + 0.5) + 1 / (ya.to_numpy() + 0.5))
    return pd.DataFrame({"d": d_i.to_numpy(float), "v": v, "y_after": ya.to_numpy(float)}, index=wards)


def _stats(assign: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(estimate, standard error) for each row of a boolean assignment matrix."""
    s_w = assign @ w
    r_w = (~assign) @ w
    est = (assign @ (w * d)) / s_w - ((~assign) @ (w * d)) / r_w
    return est, np.sqrt(1 / s_w + 1 / r_w)


def _assignments(n: int, k: int, rng: np.random.Generator, first: np.ndarray | None = None) -> np.ndarray:
    total = math.comb(n, k)
    if total <= MAX_ASSIGNMENTS + 1:
        rows = np.zeros((total, n), dtype=bool)
        for r, c in enumerate(combinations(range(n), k)):
            rows[r, list(c)] = True
        return rows
    rows = np.zeros((MAX_ASSIGNMENTS, n), dtype=bool)
    for r in range(MAX_ASSIGNMENTS):
        rows[r, rng.choice(n, size=k, replace=False)] = True
    return rows


def randomization_did(
    panel: pd.DataFrame,
    treated: list[str],
    controls: list[str],
    outcome: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    alpha: float = 0.05,
    before_start: pd.Timestamp | None = None,
    seed: int = DEFAULT_SEED,
) -> RandomizationResult:
    """Change of ``n_<outcome>`` in ``treated`` from before ``start`` to ``start..end`` against ``controls``.

    ``before_start`` is the first month of the "before" window (default: the panel's first month).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> per = pd.date_range("2020-01-01", periods=36, freq="MS")
    >>> rows = [(f"w{i:02d}", p, rng.poisson(50 * (0.5 if i < 3 and p >= per[24] else 1.0)))
    ...         for i in range(30) for p in per]
    >>> pnl = pd.DataFrame(rows, columns=["unit", "period", "n_x"]).assign(population=1000.0)
    >>> r = randomization_did(pnl, ["w00", "w01", "w02"], [f"w{i:02d}" for i in range(3, 30)], "x",
    ...                       per[24], per[-1])
    >>> r.reference, bool(r.conf_high < 0.7)
    ('exact', True)
    """
    treated = [str(t) for t in treated]
    controls = [str(c) for c in controls if str(c) not in set(treated)]
    if not treated or not controls:
        raise ValueError(f"randomization_did: {len(treated)} treated and {len(controls)} comparison wards; "
                         "expected at least one of each")
    b0 = pd.Timestamp(before_start) if before_start is not None else pd.to_datetime(panel["period"]).min()
    ch = _changes(panel, treated + controls, f"n_{outcome}", (b0, pd.Timestamp(start)),
                  (pd.Timestamp(start), pd.Timestamp(end)))
    d, w = ch["d"].to_numpy(float), 1 / ch["v"].to_numpy(float)
    k, n = len(treated), len(treated) + len(controls)
    obs = np.zeros(n, dtype=bool)
    obs[:k] = True
    est, se = _stats(obs[None, :], d, w)
    est, se = float(est[0]), float(se[0])
    rng = np.random.default_rng(seed)
    n_pool = math.comb(n, k)
    q = alpha / 2
    if n_pool >= MIN_EXACT_ASSIGNMENTS:
        A = _assignments(n, k, rng)
        # Fisher: under "effect delta" the treated changes minus delta are exchangeable with the others.
        def pvals(delta: float) -> tuple[float, float]:
            dd = d - delta * obs
            e, s = _stats(A, dd, w)
            z = e / s
            zo = (est - delta) / se
            m = z.size
            # Exact enumeration contains the observed assignment; Monte Carlo adds it (+1).
            extra = 0 if m == n_pool else 1
            lo = (extra + np.sum(z <= zo + 1e-12)) / (m + extra)
            hi = (extra + np.sum(z >= zo - 1e-12)) / (m + extra)
            return float(lo), float(hi)

        p_lo, p_hi = pvals(0.0)
        p = min(1.0, 2 * min(p_lo, p_hi))

        def bound(side: str) -> float:
            # p_hi(delta) rises with delta (the treated look less extreme); find where it crosses q.
            step = max(4 * se, 0.05)
            if side == "low":
                a, b = est - step, est
                while pvals(a)[1] > q and step < 50:
                    step *= 2
                    a = est - step
                f = lambda x: pvals(x)[1] > q  # noqa: E731 - inside the interval
            else:
                a, b = est, est + step
                while pvals(b)[0] > q and step < 50:
                    step *= 2
                    b = est + step
                f = lambda x: pvals(x)[0] > q  # noqa: E731
            lo_x, hi_x = (a, b) if side == "low" else (a, b)
            for _ in range(40):
                mid = (lo_x + hi_x) / 2
                inside = f(mid)
                if side == "low":
                    lo_x, hi_x = (lo_x, mid) if inside else (mid, hi_x)
                else:
                    lo_x, hi_x = (mid, hi_x) if inside else (lo_x, mid)
            return (lo_x + hi_x) / 2

        lo, hi = bound("low"), bound("high")
        n_assign, ref, df_ = int(A.shape[0]) + (0 if A.shape[0] == n_pool else 1), "exact", None
    else:
        # Placebo in space over the comparison wards only (the treated left out of every placebo).
        nc = len(controls)
        A = _assignments(nc, k, rng)
        e, s = _stats(A, d[k:], w[k:])
        z = e / s
        scale = float(np.sqrt(np.mean(z**2)))
        df_ = max(nc - k, 1)
        crit = float(stats.t.ppf(1 - q, df_)) * scale
        lo, hi = est - crit * se, est + crit * se
        p = float(2 * stats.t.sf(abs(est / se) / scale, df_)) if scale > 0 else math.nan
        n_assign, ref = int(A.shape[0]), "t"
    return RandomizationResult(
        estimate=math.exp(est), conf_low=math.exp(lo), conf_high=math.exp(hi), p_value=p, n_treated=k,
        n_controls=len(controls), n_assignments=n_assign, reference=ref, min_p=min(1.0, 2 / n_pool),
        y_after=float(ch["y_after"].iloc[:k].sum()),
    )


# --------------------------------------------------------------------------------------------
# selection on noise: are the treated wards noisier than the comparison wards before the start?
# --------------------------------------------------------------------------------------------
#: Months per block of the persistence part of :func:`noise_check`.
NOISE_BLOCK_MONTHS = 6


@dataclass(frozen=True)
class NoiseCheck:
    """Whether the treated wards were noisier before the start than the comparison wards, by rank.

    Two ward-level measures of the months before the start; a ward's noise score is the mean of its
    ranks on the two, and ``p_value`` is the one-sided randomisation p-value of the treated wards' mean
    score (are they this noisy by chance?). ``p_dispersion`` and ``p_persistence`` are the same test on
    each measure alone (for the description):

    - ``dispersion``: the ward's extra-Poisson variance on the log scale, ``(phi_i - 1) / mean count``
      (``phi_i`` its Pearson dispersion around the city's monthly pattern): month-to-month noise beyond
      counting noise, free of the ward's size;
    - ``persistence``: how much the ward's changes from one block of :data:`NOISE_BLOCK_MONTHS` months
      to the next (the city's change taken off) vary beyond what :func:`randomization_did` assumes for
      the ward (``v_i``): about 1 for noise that averages out, larger for swings that last.

    A small ``p_value`` means the treated wards are the noisy ones: :func:`randomization_did`'s
    assignments then mix quieter wards into its reference distribution and it over-rejects.
    """

    p_value: float
    p_dispersion: float
    p_persistence: float
    ratio_dispersion: float  # median of the treated wards / median of the comparison wards
    ratio_persistence: float
    n_treated: int
    n_controls: int
    n_assignments: int
    n_blocks: int
    min_p: float

    def describe(self) -> str:
        """Dutch description of the finding (for a verdict's reason)."""
        pers = self.p_persistence < self.p_dispersion
        ratio = self.ratio_persistence if pers else self.ratio_dispersion
        what = ("langdurige schommelingen vóór de start" if pers else "schommelingen van maand tot maand vóór de start")
        size = f"{ratio:.1f} keer zo groot".replace(".", ",") if math.isfinite(ratio) else "veel groter"
        p = "< 0,001" if self.p_value < 0.001 else f"= {self.p_value:.3f}".replace(".", ",")
        who = "de behandelde wijken hadden" if self.n_treated > 1 else "de wijk had"
        return (f"{who} sterkere {what} dan de vergelijkingswijken ({size}; rangtoets over "
                f"{self.n_assignments} toewijzingen, p {p})")


def _rank_p(score: np.ndarray, k: int, A: np.ndarray, exact: bool) -> float:
    ranks = stats.rankdata(score)
    obs = float(ranks[:k].mean())
    sims = (A @ ranks) / k
    extra = 0 if exact else 1
    return float((extra + np.sum(sims >= obs - 1e-9)) / (A.shape[0] + extra))


def _ratio(x: np.ndarray, k: int) -> float:
    a, b = float(np.median(x[:k])), float(np.median(x[k:]))
    return a / b if b > 0 else (math.inf if a > 0 else 1.0)


def noise_check(
    panel: pd.DataFrame,
    treated: list[str],
    controls: list[str],
    outcome: str,
    start: pd.Timestamp,
    *,
    before_start: pd.Timestamp | None = None,
    block: int = NOISE_BLOCK_MONTHS,
    seed: int = DEFAULT_SEED,
) -> NoiseCheck | None:
    """Variance-ratio rank tests of the months before ``start``: are the treated wards the noisy ones?

    Uses the months from ``before_start`` (default: the panel's first month) up to ``start`` with data
    for every ward (as :func:`randomization_did`). The treated wards' mean rank of each measure of
    :class:`NoiseCheck` is compared with every (or 1,999 random) set(s) of as many wards out of all
    wards. The scores use the months before the start only, so under random assignment ``p_value``
    falls below 0.05 in at most 5% of cohorts (an exact test; Monte Carlo with 1,999 sets). A single
    ward can only be flagged as the noisiest of at least 20 wards (``min_p``). Returns ``None`` with
    fewer than 3 blocks of months.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> per = pd.date_range("2020-01-01", periods=36, freq="MS")
    >>> rows = []
    >>> for i in range(30):
    ...     sd, e = (0.3 if i < 3 else 0.02), 0.0
    ...     for p in per:
    ...         e = 0.5 * e + rng.normal(0, sd)
    ...         rows.append((f"w{i:02d}", p, rng.poisson(60 * np.exp(e))))
    >>> pnl = pd.DataFrame(rows, columns=["unit", "period", "n_x"]).assign(population=1000.0)
    >>> chk = noise_check(pnl, ["w00", "w01", "w02"], [f"w{i:02d}" for i in range(3, 30)], "x", per[24])
    >>> bool(chk.p_value < 0.01), chk.n_blocks
    (True, 4)
    """
    treated = [str(t) for t in treated]
    controls = [str(c) for c in controls if str(c) not in set(treated)]
    if not treated or not controls:
        raise ValueError(f"noise_check: {len(treated)} treated and {len(controls)} comparison wards; "
                         "expected at least one of each")
    if int(block) < 1:
        raise ValueError(f"noise_check: block = {block}; expected a whole number of months >= 1")
    wards = treated + controls
    col = f"n_{outcome}"
    if col not in panel.columns:
        raise ValueError(f"noise_check: the panel has no column {col!r}")
    per = pd.to_datetime(panel["period"])
    b0 = pd.Timestamp(before_start) if before_start is not None else per.min()
    sub = panel.loc[panel["unit"].astype(str).isin(wards) & (per >= b0) & (per < pd.Timestamp(start))]
    d = pd.DataFrame({"unit": sub["unit"].astype(str).to_numpy(), "period": pd.to_datetime(sub["period"]).to_numpy(),
                      "y": pd.to_numeric(sub[col], errors="coerce").to_numpy(float),
                      "pop": pd.to_numeric(sub["population"], errors="coerce").to_numpy(float)})
    good = d.assign(ok=np.isfinite(d["y"]) & np.isfinite(d["pop"]) & (d["pop"] > 0)).groupby("period")["ok"].all()
    d = d.loc[d["period"].map(good)]
    wide_y = d.pivot(index="period", columns="unit", values="y").reindex(columns=wards).sort_index()
    wide_p = d.pivot(index="period", columns="unit", values="pop").reindex(columns=wards).sort_index()
    if wide_y.isna().any().any():
        return None
    b = int(block)
    n_blocks = len(wide_y) // b
    if n_blocks < 3:
        return None
    months = wide_y.to_numpy()
    # month-to-month: Pearson dispersion around the city's monthly pattern (as randomization_did)
    shape = months.sum(axis=1) / months.sum()
    fit = np.outer(shape, months.sum(axis=0))
    fit = np.where(fit > 0, fit, np.nan)
    phi = np.nansum((months - fit) ** 2 / fit, axis=0) / max(months.shape[0] - 1, 1)
    mean_count = np.maximum(months.mean(axis=0), 1e-9)
    dispersion = np.maximum(phi - 1.0, 0.0) / mean_count
    # persistence: block-to-block changes against the variance the randomisation test assumes
    # (blocks counted back from the start; the oldest months that do not fill a block are left out)
    y = months[-n_blocks * b:].reshape(n_blocks, b, len(wards)).sum(axis=1)
    e = wide_p.to_numpy()[-n_blocks * b:].reshape(n_blocks, b, len(wards)).sum(axis=1)
    c = np.diff(np.log((y + 0.5) / e), axis=0)
    v = np.maximum(phi, 1.0)[None, :] * (1 / (y[:-1] + 0.5) + 1 / (y[1:] + 0.5))
    w = 1 / v
    city = np.sum(w * c, axis=1, keepdims=True) / np.sum(w, axis=1, keepdims=True)
    persistence = np.mean((c - city) ** 2 / v, axis=0)
    k, n = len(treated), len(wards)
    A = _assignments(n, k, np.random.default_rng(seed))
    n_pool = math.comb(n, k)
    exact = A.shape[0] == n_pool
    p1, p2 = _rank_p(dispersion, k, A, exact), _rank_p(persistence, k, A, exact)
    score = (stats.rankdata(dispersion) + stats.rankdata(persistence)) / 2
    return NoiseCheck(p_value=_rank_p(score, k, A, exact), p_dispersion=p1, p_persistence=p2,
                      ratio_dispersion=_ratio(dispersion, k), ratio_persistence=_ratio(persistence, k),
                      n_treated=k, n_controls=len(controls), n_assignments=int(A.shape[0]) + (0 if exact else 1),
                      n_blocks=n_blocks, min_p=1 / n_pool)
