"""Shared inference helpers built on influence functions / cluster scores.

These functions know nothing about any particular estimator. They take

- an influence-function (IF) matrix ``inf_func`` of shape ``(n_clusters, k)``, one row per cluster
  (ward) holding that cluster's summed contribution to each of ``k`` estimates, scaled as in R ``did``:
  ``estimate - truth ~ inf_func.mean(axis=0)`` so that the analytic SE is
  ``sqrt((inf_func**2).sum(0)) / n``; or
- bootstrap / permutation draws that an estimator produced itself.

Functions
---------
- :func:`multiplier_weights` — Mammen, Rademacher or Webb (6-point) weights per cluster.
- :func:`multiplier_bootstrap` — R ``did``'s ``mboot``: draws of ``sqrt(n) * mean(v * IF)``, IQR-based
  SEs and the sup-t critical value for simultaneous (uniform) bands.
- :func:`iqr_se`, :func:`sup_t_critical` — the two summary steps of ``mboot`` on any draws.
- :func:`wild_bootstrap_pvalues` — symmetric p-values and intervals from null-imposed wild draws.
- :func:`permutation_labels` — random re-assignments of treatment labels that keep the cohort sizes.
- :func:`randomization_test` — permutation p-values and confidence intervals by test inversion under a
  constant additive effect (exact when the estimator is linear in the outcome).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np

WeightKind = Literal["mammen", "rademacher", "webb"]

#: Webb (2014) six-point distribution: +-sqrt(1/2), +-1, +-sqrt(3/2), each with probability 1/6.
WEBB_POINTS = np.array(
    [-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)]
)
# scipy.stats is avoided on purpose: importing it costs ~0.8 s of CPU per process.
_IQR_NORMAL = NormalDist().inv_cdf(0.75) - NormalDist().inv_cdf(0.25)
_TINY = math.sqrt(np.finfo(float).eps) * 10  # did's threshold for "zero" SEs


def multiplier_weights(
    kind: WeightKind, size: tuple[int, ...] | int, rng: np.random.Generator
) -> np.ndarray:
    """Draw mean-zero, unit-variance multiplier weights.

    Parameters
    ----------
    kind : {"mammen", "rademacher", "webb"}
        Mammen's two-point weights, Rademacher (+-1; what R ``did`` uses through
        ``BMisc::multiplier_bootstrap``) or Webb's six-point weights (better with few clusters: more distinct bootstrap values).
    size : int or tuple
        Output shape, e.g. ``(biters, n_clusters)``.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray of float64

    Examples
    --------
    >>> v = multiplier_weights("webb", (2000, 50), np.random.default_rng(1))
    >>> bool(abs(v.mean()) < 0.05 and abs(v.var() - 1) < 0.05)
    True
    """
    if kind in ("mammen", "rademacher"):
        low, high, thr = two_point(kind)
        return np.where(uniform_uint32(rng, size) < thr, low, high)
    if kind == "webb":
        return WEBB_POINTS[rng.integers(0, 6, size=size, dtype=np.int8)]
    raise ValueError(f"multiplier weights: kind={kind!r}; expected 'mammen', 'rademacher' or 'webb'")


def two_point(kind: str) -> tuple[float, float, np.uint32]:
    """Two-point weights as ``(low, high, threshold)``: ``low`` when a uniform uint32 < threshold.

    Exposed so that estimators can exploit the two-point structure (``v = high + (low - high) * mask``)
    and still draw exactly the weights of :func:`multiplier_weights` for the same generator state.

    Examples
    --------
    >>> low, high, thr = two_point("rademacher")
    >>> low, high, int(thr) == 2**31
    (-1.0, 1.0, True)
    """
    if kind == "mammen":
        low = 0.5 * (1 - math.sqrt(5))
        high = 0.5 * (1 + math.sqrt(5))
        pk = 0.5 * (1 + math.sqrt(5)) / math.sqrt(5)
        return low, high, np.uint32(round(pk * 2**32))
    if kind == "rademacher":
        return -1.0, 1.0, np.uint32(2**31)
    raise ValueError(f"two_point: kind={kind!r}; expected 'mammen' or 'rademacher'")


def uniform_uint32(rng: np.random.Generator, size) -> np.ndarray:
    """Uniform 32-bit integers straight from the bit generator (much cheaper than doubles).

    Examples
    --------
    >>> u = uniform_uint32(np.random.default_rng(0), (3, 5))
    >>> u.shape, u.dtype
    ((3, 5), dtype('uint32'))
    """
    shape = (size,) if isinstance(size, int) else tuple(size)
    count = int(np.prod(shape))
    raw = rng.bit_generator.random_raw((count + 1) // 2).view(np.uint32)[:count]
    return raw.reshape(shape)


def iqr_se(draws: np.ndarray) -> np.ndarray:
    """Robust bootstrap SE per column as in R ``did``: ``(q75 - q25) / (qnorm(.75) - qnorm(.25))``.

    Quantiles use R's ``type = 1`` (inverse of the empirical CDF). Columns whose spread is (numerically)
    zero get NaN, as ``did`` does.

    Examples
    --------
    >>> d = np.random.default_rng(0).normal(size=(4000, 1)) * 2.0
    >>> bool(abs(iqr_se(d)[0] - 2.0) < 0.1)
    True
    """
    draws = np.asarray(draws, dtype=float)
    if draws.ndim == 1:
        draws = draws[:, None]
    q75 = _quantile_type1(draws, 0.75)
    q25 = _quantile_type1(draws, 0.25)
    se = (q75 - q25) / _IQR_NORMAL
    se[~(se > _TINY)] = np.nan
    return se


def _quantile_type1(x: np.ndarray, p: float) -> np.ndarray:
    """Column quantiles with R's type 1 definition (NaN ignored), vectorised over columns."""
    xs = np.sort(x, axis=0)  # NaN sort last
    cnt = np.isfinite(x).sum(axis=0)
    idx = np.maximum(np.ceil(cnt * p).astype(np.int64) - 1, 0)
    out = np.take_along_axis(xs, np.minimum(idx, max(x.shape[0] - 1, 0))[None, :], axis=0)[0]
    return np.where(cnt > 0, out, np.nan)


def sup_t_critical(draws: np.ndarray, se_scaled: np.ndarray, alp: float = 0.05) -> float:
    """Critical value for a simultaneous (1 - alp) band: the (1 - alp) quantile of max_j |draw_j / se_j|.

    ``draws`` and ``se_scaled`` must be on the same scale (``did`` uses sqrt(n)-scaled draws and
    sqrt(n)-scaled SEs). Columns with NaN SE are ignored. Returns NaN when no column is usable.

    Examples
    --------
    >>> d = np.random.default_rng(0).normal(size=(5000, 1))
    >>> bool(1.85 < sup_t_critical(d, np.ones(1)) < 2.05)
    True
    """
    se_scaled = np.asarray(se_scaled, dtype=float)
    ok = np.isfinite(se_scaled) & (se_scaled > 0)
    if not ok.any():
        return math.nan
    bt = np.nanmax(np.abs(draws[:, ok] / se_scaled[ok]), axis=1)
    bt = bt[np.isfinite(bt)]
    if bt.size == 0:
        return math.nan
    return float(_quantile_type1(bt[:, None], 1 - alp)[0])


@dataclass(frozen=True)
class BootstrapResult:
    """Multiplier-bootstrap output.

    ``draws`` are ``sqrt(n) * mean(v * IF)`` (shape ``(biters, k)``), ``se`` the IQR-based standard
    errors on the estimate's scale, ``crit_val`` the sup-t critical value for a uniform band and ``V``
    the bootstrap covariance of the sqrt(n)-scaled draws.
    """

    draws: np.ndarray
    se: np.ndarray
    crit_val: float
    V: np.ndarray
    n: int
    weights: str
    seed: int | None


def multiplier_bootstrap(
    inf_func: np.ndarray,
    *,
    biters: int = 999,
    alp: float = 0.05,
    weights: WeightKind = "rademacher",
    seed: int | None = None,
    chunk: int = 256,
) -> BootstrapResult:
    """Multiplier bootstrap of an influence-function matrix (R ``did::mboot`` semantics).

    Each draw multiplies every cluster's IF row by one weight ``v``; the draws are
    ``sqrt(n) * mean(v * IF)``. The weight matrix is generated in chunks of ``chunk`` draws so that
    memory stays ``O(chunk * n)``.

    Parameters
    ----------
    inf_func : array (n, k) or (n,)
        Influence function per cluster (rows) and estimate (columns), ``did`` scaling.
    biters : int
        Number of bootstrap draws.
    alp : float
        Significance level of the simultaneous band.
    weights : {"mammen", "rademacher", "webb"}
    seed : int, optional

    Returns
    -------
    BootstrapResult

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> psi = rng.normal(size=(400, 2))
    >>> res = multiplier_bootstrap(psi, biters=999, seed=1)
    >>> analytic = np.sqrt((psi**2).sum(0)) / 400
    >>> bool(np.all(np.abs(res.se / analytic - 1) < 0.15))
    True
    """
    psi = np.asarray(inf_func, dtype=float)
    if psi.ndim == 1:
        psi = psi[:, None]
    n = psi.shape[0]
    rng = np.random.default_rng(seed)
    out = np.empty((biters, psi.shape[1]))
    for start in range(0, biters, chunk):
        stop = min(start + chunk, biters)
        v = multiplier_weights(weights, (stop - start, n), rng)
        out[start:stop] = v @ psi
    out /= math.sqrt(n)
    return summarize_draws(out, n=n, alp=alp, weights=weights, seed=seed)


def summarize_draws(
    draws: np.ndarray, *, n: int, alp: float = 0.05, weights: str = "rademacher", seed: int | None = None
) -> BootstrapResult:
    """IQR SEs, sup-t critical value and covariance of sqrt(n)-scaled bootstrap draws (``mboot``).

    Examples
    --------
    >>> d = np.random.default_rng(0).normal(size=(2000, 2)) * [1.0, 3.0]
    >>> res = summarize_draws(d, n=100)
    >>> bool(np.allclose(res.se * 10, [1.0, 3.0], rtol=0.1))  # estimate scale: sd / sqrt(n)
    True
    """
    draws = np.asarray(draws, dtype=float)
    if draws.ndim == 1:
        draws = draws[:, None]
    sd = iqr_se(draws)
    crit = sup_t_critical(draws, sd, alp)
    V = np.cov(draws, rowvar=False) if draws.shape[0] > 1 else np.full((draws.shape[1],) * 2, np.nan)
    return BootstrapResult(draws, sd / math.sqrt(n), crit, np.atleast_2d(V), n, weights, seed)


def wild_bootstrap_pvalues(
    estimate: np.ndarray, null_draws: np.ndarray, alp: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric p-values and intervals from draws of the estimator under the null.

    ``null_draws`` (shape ``(B, k)``) are draws of the *estimate* (same scale as ``estimate``) generated
    with the null imposed (restricted residuals) or, as a fallback, centred unrestricted draws.

    Returns ``(p_value, half_width, se)``: ``p = (1 + #{|draw| >= |estimate|}) / (B + 1)``, the interval
    ``estimate +- half_width`` with ``half_width`` the ``1 - alp`` quantile of ``|draw|`` (the acceptance
    region of the symmetric test, shifted to the estimate), and ``se`` the IQR-based spread of the draws.

    Examples
    --------
    >>> d = np.random.default_rng(0).normal(size=(999, 1))
    >>> p, hw, se = wild_bootstrap_pvalues(np.array([3.0]), d)
    >>> bool(p[0] < 0.01 and 1.8 < hw[0] < 2.2)
    True
    """
    est = np.atleast_1d(np.asarray(estimate, dtype=float))
    d = np.asarray(null_draws, dtype=float)
    if d.ndim == 1:
        d = d[:, None]
    absd = np.abs(d)
    exceed = (absd >= np.abs(est)[None, :] - 1e-12 * np.maximum(1.0, np.abs(est))[None, :]).sum(0)
    p = (1 + exceed) / (d.shape[0] + 1)
    p = np.where(np.isfinite(est), p, np.nan)
    hw = _quantile_type1(absd, 1 - alp)
    return p, hw, iqr_se(d)


def permutation_labels(
    labels: np.ndarray, n_perm: int, rng: np.random.Generator
) -> np.ndarray:
    """Random permutations of a label vector (e.g. first-treated period per ward).

    Every permutation keeps the multiset of labels, so cohort sizes are preserved.

    Examples
    --------
    >>> lab = np.array([0, 0, 0, 5, 5, 7])
    >>> p = permutation_labels(lab, 10, np.random.default_rng(0))
    >>> p.shape, bool((np.sort(p, axis=1) == np.sort(lab)).all())
    ((10, 6), True)
    """
    labels = np.asarray(labels)
    return np.stack([rng.permutation(labels) for _ in range(n_perm)]) if n_perm else labels[None, :0]


@dataclass(frozen=True)
class RandomizationResult:
    """Permutation p-values, randomization SEs and test-inversion intervals per estimate."""

    p_value: np.ndarray
    se: np.ndarray
    conf_low: np.ndarray
    conf_high: np.ndarray
    n_perm: int


def randomization_test(
    estimate: np.ndarray,
    perm_estimates: np.ndarray,
    *,
    perm_slopes: np.ndarray | None = None,
    obs_slope: np.ndarray | None = None,
    alp: float = 0.05,
) -> RandomizationResult:
    """Randomization-inference p-values, and confidence sets by inverting the permutation test.

    Parameters
    ----------
    estimate : array (k,)
        Estimates with the observed assignment.
    perm_estimates : array (P, k)
        The same estimator recomputed under ``P`` re-assignments (e.g. :func:`permutation_labels`).
    perm_slopes, obs_slope : arrays (P, k) and (k,), optional
        For confidence sets under a constant additive effect ``tau``: the estimator is assumed linear in
        the outcome, so with outcome ``Y - tau * D_obs`` the statistics become
        ``estimate - tau * obs_slope`` and ``perm_estimates - tau * perm_slopes``, where the slopes are the
        estimator applied to the observed treatment indicator ``D_obs`` (``obs_slope`` is 1 for an ATT).
        The set of ``tau`` not rejected at level ``alp`` is found exactly (each permutation's comparison
        changes only at the roots of a quadratic in ``tau``); its hull is returned (infinite when
        unbounded). Without slopes, and for rows whose observed slope is 0 (placebo periods), the
        interval is ``estimate +- q_{1-alp}(|perm_estimates|)``.
    alp : float

    Returns
    -------
    RandomizationResult
        ``p = (1 + #{|perm| >= |obs|}) / (P + 1)``; ``se`` is the standard deviation of the
        permutation distribution (the randomization SE).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> perm = rng.normal(size=(999, 1))
    >>> r = randomization_test(np.array([0.1]), perm)
    >>> bool(r.p_value[0] > 0.5)
    True
    """
    est = np.atleast_1d(np.asarray(estimate, dtype=float))
    pe = np.asarray(perm_estimates, dtype=float)
    if pe.ndim == 1:
        pe = pe[:, None]
    P, k = pe.shape
    p, hw, _ = wild_bootstrap_pvalues(est, pe, alp)
    se = np.nanstd(pe, axis=0, ddof=1) if P > 1 else np.full(k, np.nan)
    lo = est - hw
    hi = est + hw
    if perm_slopes is not None and obs_slope is not None and P > 0:
        ps = np.asarray(perm_slopes, dtype=float).reshape(P, k)
        osl = np.atleast_1d(np.asarray(obs_slope, dtype=float))
        for j in range(k):
            if not np.isfinite(est[j]) or abs(osl[j]) < 1e-12 or not np.all(np.isfinite(pe[:, j])):
                continue  # placebo rows (observed slope 0) keep the shifted interval
            lo[j], hi[j] = _invert(est[j], osl[j], pe[:, j], ps[:, j], alp)
    return RandomizationResult(p, se, lo, hi, P)


def _invert(e: float, s: float, a: np.ndarray, b: np.ndarray, alp: float) -> tuple[float, float]:
    """Hull of {tau : permutation p-value of |e - tau s| among |a_p - tau b_p| > alp}.

    Permutation p "counts" where ``|a_p - tau b_p| >= |e - tau s|``, i.e. where the quadratic
    ``q2 tau^2 + q1 tau + q0 >= 0``; a sweep over the roots gives the count on every interval.
    """
    P = a.size
    q2 = b**2 - s**2
    q1 = -2 * (a * b - e * s)
    q0 = a**2 - e**2
    quad = np.abs(q2) > 1e-12 * np.maximum(1.0, s**2)
    disc = q1**2 - 4 * q2 * q0
    two = quad & (disc > 0)
    sq = np.sqrt(np.where(two, disc, 0.0))
    den = 2 * np.where(two, q2, 1.0)
    r_a = (-q1 - sq) / den
    r_b = (-q1 + sq) / den
    r1, r2 = np.minimum(r_a, r_b), np.maximum(r_a, r_b)
    lin = ~quad & (np.abs(q1) > 1e-300)
    r_lin = -q0 / np.where(lin, q1, 1.0)
    # count at tau -> -inf
    base = np.where(quad, q2 > 0, np.where(lin, q1 < 0, q0 >= 0))
    pos = two & (q2 > 0)  # counts outside [r1, r2]: -1 at r1, +1 at r2
    neg = two & (q2 < 0)  # counts inside: +1 at r1, -1 at r2
    ev_t = np.concatenate([r1[pos], r2[pos], r1[neg], r2[neg], r_lin[lin]])
    ev_d = np.concatenate([
        -np.ones(pos.sum()), np.ones(pos.sum()), np.ones(neg.sum()), -np.ones(neg.sum()),
        np.where(q1[lin] > 0, 1.0, -1.0),
    ])
    order = np.argsort(ev_t, kind="stable")
    ev_t, ev_d = ev_t[order], ev_d[order]
    # counts on the intervals (-inf, t0), (t0, t1), ..., (t_last, inf)
    counts = base.sum() + np.concatenate([[0.0], np.cumsum(ev_d)])
    pv = (1 + counts) / (P + 1)
    acc = np.flatnonzero(pv > alp)
    if acc.size == 0:
        return float(e / s), float(e / s)
    edges = np.concatenate([[-math.inf], ev_t, [math.inf]])
    return float(edges[acc.min()]), float(edges[acc.max() + 1])


def normal_two_sided_p(z: np.ndarray) -> np.ndarray:
    """Two-sided normal p-values ``2 * (1 - Phi(|z|))`` (NaN stays NaN), without importing scipy.stats.

    Examples
    --------
    >>> [round(float(p), 4) for p in normal_two_sided_p(np.array([1.959964, 0.0]))]
    [0.05, 1.0]
    """
    z = np.asarray(z, dtype=float)
    out = np.full(z.shape, np.nan)
    ok = np.isfinite(z)
    out[ok] = [math.erfc(abs(x) / math.sqrt(2)) for x in z[ok]]
    return out


def normal_quantile(p: float) -> float:
    """Standard normal quantile (stdlib, no scipy import).

    Examples
    --------
    >>> round(normal_quantile(0.975), 4)
    1.96
    """
    return NormalDist().inv_cdf(p)
