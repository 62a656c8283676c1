"""Small interval helpers used by the monitor (Wilson, Newcombe, exact Poisson ratio, bootstrap)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

#: Bootstrap replicates and seed for event-level intervals (fixed: the same data give the same report).
BOOTSTRAP_REPS = 999
BOOTSTRAP_SEED = 20260122


def wilson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """Share ``k/n`` with its Wilson score interval; NaNs when ``n == 0``.

    Examples
    --------
    Newcombe (1998, Stat Med 17:857) example 81/263: 0.2553 to 0.3662.

    >>> [round(x, 4) for x in wilson(81, 263)]
    [0.308, 0.2553, 0.3662]
    """
    if n <= 0:
        return math.nan, math.nan, math.nan
    z = stats.norm.ppf(1 - alpha / 2)
    p = k / n
    den = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    return float(p), float(max(0.0, centre - half)), float(min(1.0, centre + half))


def newcombe_diff(k1: int, n1: int, k0: int, n0: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """Difference of shares ``k1/n1 - k0/n0`` with Newcombe's hybrid score interval (method 10).

    Examples
    --------
    Newcombe (1998, Stat Med 17:873) example 56/70 - 48/80: 0.0524 to 0.3339.

    >>> [round(x, 4) for x in newcombe_diff(56, 70, 48, 80)]
    [0.2, 0.0524, 0.3339]
    """
    p1, l1, u1 = wilson(k1, n1, alpha)
    p0, l0, u0 = wilson(k0, n0, alpha)
    if not (np.isfinite(p1) and np.isfinite(p0)):
        return math.nan, math.nan, math.nan
    d = p1 - p0
    return d, d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def poisson_rate_ratio(k1: float, e1: float, k0: float, e0: float, alpha: float = 0.05) -> tuple[float, float, float]:
    """Rate ratio ``(k1/e1) / (k0/e0)`` with the exact conditional (Clopper-Pearson) interval.

    Conditional on ``k1 + k0``, ``k1`` is binomial with ``p = r e1 / (r e1 + e0)``; inverting the exact
    binomial interval for ``p`` gives the interval for the ratio ``r``.

    Examples
    --------
    >>> [round(x, 3) for x in poisson_rate_ratio(80, 1.0, 100, 1.0)]
    [0.8, 0.589, 1.084]
    """
    k1, k0 = int(round(k1)), int(round(k0))
    if e1 <= 0 or e0 <= 0 or k0 + k1 == 0 or k0 == 0:
        return math.nan, math.nan, math.nan
    n = k1 + k0
    lo_p = stats.beta.ppf(alpha / 2, k1, n - k1 + 1) if k1 > 0 else 0.0
    hi_p = stats.beta.ppf(1 - alpha / 2, k1 + 1, n - k1) if k1 < n else 1.0
    scale = e0 / e1
    lo = lo_p / (1 - lo_p) * scale
    hi = hi_p / (1 - hi_p) * scale if hi_p < 1 else math.inf
    return float((k1 / e1) / (k0 / e0)), float(lo), float(hi)


def bootstrap_quantile(
    values: np.ndarray, q: float, *, alpha: float = 0.05, reps: int = BOOTSTRAP_REPS, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float, float, np.ndarray]:
    """Quantile ``q`` of ``values`` with a percentile bootstrap interval (resampling events).

    Returns ``(estimate, low, high, replicates)``; the replicates let a caller bootstrap differences.

    Examples
    --------
    >>> est, lo, hi, _ = bootstrap_quantile(np.arange(1, 101, dtype=float), 0.5)
    >>> est, lo < est < hi
    (50.5, True)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan, np.full(reps, np.nan)
    rng = np.random.default_rng(seed)
    # Resample in blocks to bound memory for large years (reps x n can be tens of millions).
    reps_out = np.empty(reps)
    block = max(1, int(2_000_000 // v.size))
    for s in range(0, reps, block):
        e = min(reps, s + block)
        idx = rng.integers(0, v.size, size=(e - s, v.size))
        reps_out[s:e] = np.quantile(v[idx], q, axis=1)
    lo, hi = np.quantile(reps_out, [alpha / 2, 1 - alpha / 2])
    return float(np.quantile(v, q)), float(lo), float(hi), reps_out
