"""Sensitivity of event-study conclusions to violations of parallel trends (Rambachan & Roth 2023).

Given event-study coefficients ``betahat`` (``n_pre`` pre-period coefficients, then ``n_post``
post-period ones; the reference period left out) and their covariance ``sigma``, the target is
``theta = l_vec' tau_post`` (default: the first post period). The bias ``delta`` (the post-period
violation of parallel trends) is restricted to a set:

- ``Delta^RM(Mbar)`` (relative magnitudes): no post-period change in the trend difference is larger
  than ``Mbar`` times the largest pre-period change. Confidence sets are the conditional-least-
  favourable hybrid ("C-LF") tests of Andrews, Roth & Pakes (2023), taken over the union of the sets
  where the largest pre-period change sits at each pre period and has either sign.
- ``Delta^SD(M)`` (smoothness): the slope of the trend difference changes by at most ``M`` per period.
  Confidence intervals are the optimal fixed-length intervals (FLCI) of Armstrong & Kolesar.

Semantics, defaults (grids, hybrid size ``kappa = alpha/10``, 1,000 least-favourable draws, seed 0)
and output follow the R package ``HonestDiD`` (functions ``createSensitivityResults_relativeMagnitudes``,
``createSensitivityResults``, ``constructOriginalCS``); the reference test reproduces its published
Medicaid example. The simulated least-favourable critical value uses R's own normal generator
(:func:`r_rnorm`: Mersenne-Twister + inversion, as ``set.seed(seed); rnorm(n)``) so the C-LF sets
are the ones R computes, not only equal in distribution.

Examples
--------
>>> import numpy as np
>>> b = np.array([0.0, 0.0, 0.0, 0.5, 0.5])
>>> S = np.diag([0.01, 0.01, 0.01, 0.01, 0.01])
>>> res = sensitivity_sd(b, S, n_pre=3, n_post=2, m=[0.0])
>>> bool(res.tidy()["lb"].iloc[0] > 0)
True
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from wijklib.results import print_or_return

__all__ = ["sensitivity_rm", "sensitivity_sd", "original_cs", "SensitivityResult", "r_rnorm",
           "honest_event_study"]


# ----------------------------------------------------------------------------------------------
# R-compatible normal draws
# ----------------------------------------------------------------------------------------------


def r_rnorm(n: int, seed: int = 0) -> np.ndarray:
    """``set.seed(seed); rnorm(n)`` exactly as R computes it (Mersenne-Twister, inversion).

    R scrambles the seed with a linear congruential generator before filling the Mersenne-Twister
    state, and builds each normal draw from two uniforms (``BIG = 2^27``) by inversion.

    Examples
    --------
    >>> np.round(r_rnorm(3, seed=1), 7).tolist()
    [-0.6264538, 0.1836433, -0.8356286]
    """
    mask = 0xFFFFFFFF
    s = int(seed) & mask
    for _ in range(50):
        s = (69069 * s + 1) & mask
    key = np.empty(625, dtype=np.uint64)
    for j in range(625):
        s = (69069 * s + 1) & mask
        key[j] = s
    bg = np.random.MT19937()
    bg.state = {"bit_generator": "MT19937", "state": {"key": key[1:].astype(np.uint32), "pos": 624}}
    u = bg.random_raw(2 * n).astype(np.float64) * 2.3283064365386963e-10
    i2_32m1 = 2.328306437080797e-10
    u = np.where(u <= 0.0, 0.5 * i2_32m1, np.where(u >= 1.0, 1.0 - 0.5 * i2_32m1, u))
    big = 134217728.0
    from scipy import special

    return special.ndtri((np.floor(big * u[0::2]) + u[1::2]) / big)


def _r_rmvnorm(n: int, sigma: np.ndarray, seed: int) -> np.ndarray:
    """``set.seed(seed); mvtnorm::rmvnorm(n, sigma = sigma)`` (eigen square root, draws by row)."""
    ev, vec = np.linalg.eigh(sigma)
    root = (vec * np.sqrt(np.maximum(ev, 0.0))) @ vec.T
    z = r_rnorm(n * sigma.shape[0], seed).reshape(n, sigma.shape[0])
    return z @ root


def _quantile7(x: np.ndarray, p: float) -> float:
    """R's default ``quantile(type = 7)`` (numpy's 'linear')."""
    return float(np.quantile(x[np.isfinite(x)], p))


# ----------------------------------------------------------------------------------------------
# the ARP moment-inequality test with nuisance parameters
# ----------------------------------------------------------------------------------------------


def _dual_vertices(W: np.ndarray) -> np.ndarray:
    """Vertices of {x >= 0 : W'x = e1}, the dual of min eta s.t. y - X nu <= sd * eta (W = [sd, X]).

    The primal optimum is max over these vertices of y'x and the maximising vertex is the dual
    solution (lambda), so the LP of every grid point, every least-favourable draw and every step of
    the truncation search is one matrix product. Basic solutions are enumerated over the
    (k + 1)-subsets of the moments; the set is bounded because every sd is positive.
    """
    import itertools

    m, k1 = W.shape
    e1 = np.r_[1.0, np.zeros(k1 - 1)]
    out = []
    for S in itertools.combinations(range(m), k1):
        WS = W[list(S)].T
        if abs(np.linalg.det(WS)) < 1e-13 * max(1.0, np.abs(WS).max()) ** k1:
            continue
        xs = np.linalg.solve(WS, e1)
        if (xs >= -1e-12).all():
            x = np.zeros(m)
            x[list(S)] = np.maximum(xs, 0.0)
            out.append(x)
    if not out:
        return np.zeros((0, m))
    V = np.unique(np.round(np.array(out), 14), axis=0)
    return V


def _lf_cv(V: np.ndarray, sigma: np.ndarray, kappa: float, sims: int, seed: int) -> float:
    """Least-favourable critical value: the (1 - kappa) quantile of eta under y ~ N(0, sigma)."""
    if len(V) == 0:
        return math.nan
    xi = _r_rmvnorm(sims, sigma, seed)
    return _quantile7((xi @ V.T).max(axis=1), 1 - kappa)


def _truncnorm_ppf(p: float, lo: float, hi: float) -> float:
    from scipy import stats

    return float(stats.truncnorm.ppf(p, lo, hi))


def _vlo_vup_dual(eta: float, s_T: np.ndarray, gamma: np.ndarray, sigma: np.ndarray,
                  V: np.ndarray) -> tuple[float, float]:
    """Truncation points of eta in the degenerate case, by HonestDiD's search on the dual LP
    (fixed-point steps, then bisection to 1e-6), with the LP solved over the dual vertices."""
    tol_c, tol_eq = 1e-6, 1e-6
    gsg = float(gamma @ sigma @ gamma)
    bvec = sigma @ gamma / gsg
    sigma_b = math.sqrt(gsg)
    Vs, Vb = V @ s_T, V @ bvec

    def check(c: float) -> tuple[bool, np.ndarray]:
        vals = Vs + Vb * c
        j = int(np.argmax(vals))
        return abs(c - float(vals[j])) <= tol_eq, V[j]

    def roundeps(x: float) -> float:
        return 0.0 if abs(x) < np.finfo(float).eps ** 0.75 else x

    if not check(eta)[0]:
        return eta, math.inf

    def side(start: float, upper: bool) -> float:
        ok0, x = check(start)
        if ok0:
            return math.inf if upper else -math.inf
        iters, dif = 1, 0.0
        mid = roundeps(float(x @ s_T)) / (1 - float(x @ bvec))
        while True:
            ok1, x = check(mid)
            if ok1:
                break
            iters += 1
            if iters >= 10:
                dif = tol_c + 1
                break
            mid = roundeps(float(x @ s_T)) / (1 - float(x @ bvec))
        lo, hi = (eta, mid) if upper else (mid, eta)
        while dif > tol_c and iters < 10000:
            iters += 1
            mid = (lo + hi) / 2
            good = check(mid)[0]
            if upper:
                lo, hi = (mid, hi) if good else (lo, mid)
            else:
                lo, hi = (lo, mid) if good else (mid, hi)
            dif = hi - lo
        return mid

    return side(min(-100.0, eta - 20 * sigma_b), upper=False), side(max(100.0, eta + 20 * sigma_b), upper=True)


def _arp_reject(y: np.ndarray, X: np.ndarray, sigma: np.ndarray, V: np.ndarray, alpha: float,
                kappa: float, lf_cv: float | None) -> bool:
    """Conditional (or conditional-LF hybrid when ``lf_cv`` is given) test of E[y - X nu] <= 0."""
    if len(V) == 0:
        return False  # eta unbounded below: nothing to reject (HonestDiD: the LP fails, no rejection)
    sd = np.sqrt(np.diag(sigma))
    vals = V @ y
    j = int(np.argmax(vals))
    eta, lam = float(vals[j]), V[j]
    if lf_cv is not None:
        if eta > lf_cv:
            return True
        size = (alpha - kappa) / (1 - kappa)
    else:
        size = alpha
    k = X.shape[1]
    B = lam > 1e-6
    degenerate = int(B.sum()) != k + 1
    XB = X[B]
    full_rank = min(XB.shape) > 0 and np.linalg.matrix_rank(XB) == min(XB.shape)
    cap = math.inf if lf_cv is None else lf_cv
    if degenerate or not full_rank:
        gsg = float(lam @ sigma @ lam)
        if abs(gsg) < np.finfo(float).eps:
            return eta > 0
        s_T = y - (sigma @ lam) * float(lam @ y) / gsg
        vlo, vup = _vlo_vup_dual(eta, s_T, lam, sigma, V)
        sb = math.sqrt(gsg)
    else:
        Bc = ~B
        M0inv = np.linalg.inv(np.column_stack([sd[B], XB]))
        m = len(y)
        S_B, S_Bc = np.eye(m)[B], np.eye(m)[Bc]
        Gamma_B = np.column_stack([sd[Bc], X[Bc]]) @ M0inv @ S_B - S_Bc
        v_B = M0inv[0] @ S_B
        s2 = float(v_B @ sigma @ v_B)
        sb = math.sqrt(s2)
        rho = Gamma_B @ sigma @ v_B / s2
        with np.errstate(divide="ignore", invalid="ignore"):
            mm = (-Gamma_B @ y) / rho + float(v_B @ y)
        vlo = float(mm[rho > 0].max()) if (rho > 0).any() else -math.inf
        vup = float(mm[rho < 0].min()) if (rho < 0).any() else math.inf
    maxstat, zlo, zup = eta / sb, vlo / sb, min(vup, cap) / sb
    if not (zlo <= maxstat <= zup):
        return False
    cval = max(0.0, _truncnorm_ppf(1 - size, zlo, zup))
    return maxstat > cval


def _gamma_matrix(l_vec: np.ndarray) -> np.ndarray:
    """Invertible matrix whose first row is ``l_vec`` (rows of [l, I] picked by row reduction)."""
    T = len(l_vec)
    B = np.column_stack([l_vec, np.eye(T)])
    rows, basis = [], np.zeros((0, T))
    for j in range(B.shape[1]):  # pivot columns of the reduced row echelon form of B
        cand = np.vstack([basis, B[:, j]])
        if np.linalg.matrix_rank(cand) > len(basis):
            basis = cand
            rows.append(j)
        if len(rows) == T:
            break
    return B[:, rows].T


def _rm_constraints(n_pre: int, n_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """Rows A with A delta <= 0 for Delta^RM_{s,+/-}(Mbar); columns: pre periods then post periods."""
    n = n_pre + n_post
    At = np.zeros((n, n + 1))  # first differences, with the reference period (t = 0) included
    for r in range(n):
        At[r, r], At[r, r + 1] = -1.0, 1.0
    v = np.zeros(n + 1)
    v[n_pre + s - 1], v[n_pre + s] = -1.0, 1.0  # the pre-period difference ending at s (<= 0)
    if not positive:
        v = -v
    ub = np.vstack([np.tile(v, (n_pre, 1)), np.tile(mbar * v, (n_post, 1))])
    A = np.vstack([At - ub, -At - ub])
    A = A[(A**2).sum(axis=1) > 1e-10]
    return np.delete(A, n_pre, axis=1)


def _rm_accept(betahat: np.ndarray, sigma: np.ndarray, n_pre: int, n_post: int, l_vec: np.ndarray,
               mbar: float, alpha: float, kappa: float, hybrid: bool, grid: np.ndarray, sims: int,
               seed: int, step: int = 8) -> np.ndarray:
    """Accepted grid points of the C-LF (or conditional) confidence set for Delta^RM(Mbar)."""
    Gi = np.linalg.inv(_gamma_matrix(l_vec))
    accept = np.zeros(len(grid), dtype=bool)
    for s in range(-(n_pre - 1), 1):
        for positive in (True, False):
            A = _rm_constraints(n_pre, n_post, mbar, s, positive)
            rows = np.flatnonzero(np.abs(A[:, n_pre:]).sum(axis=1) > 0)  # post-period moments only
            AG = A[:, n_pre:] @ Gi
            Y = (A @ betahat)[rows]
            a1, X = AG[rows, 0], AG[rows][:, 1:]
            sY = (A @ sigma @ A.T)[np.ix_(rows, rows)]
            V = _dual_vertices(np.column_stack([np.sqrt(np.diag(sY)), X]))
            cv = _lf_cv(V, sY, kappa, sims, seed) if hybrid else None
            accept |= _scan(lambda th, Y=Y, a1=a1, X=X, sY=sY, V=V, cv=cv:
                            not _arp_reject(Y - a1 * th, X, sY, V, alpha, kappa, cv), grid, step)
    return accept


def _scan(test: Any, grid: np.ndarray, step: int = 8) -> np.ndarray:
    """Accept/reject over the grid: every ``step``-th point, then every point between two coarse
    points that disagree. Between two coarse points that agree the result is carried over, which
    equals testing every point unless the set has a gap (or an island) narrower than ``step``
    grid points; ``step=1`` tests every point, as HonestDiD does.
    """
    n = len(grid)
    idx = np.unique(np.r_[np.arange(0, n, step), n - 1])
    coarse = np.array([bool(test(grid[i])) for i in idx])
    out = np.zeros(n, dtype=bool)
    for j, (a, b) in enumerate(zip(idx[:-1], idx[1:], strict=True)):
        out[a], out[b] = coarse[j], coarse[j + 1]
        if coarse[j] == coarse[j + 1]:
            out[a + 1:b] = coarse[j]
        else:
            for i in range(a + 1, b):
                out[i] = bool(test(grid[i]))
    return out


# ----------------------------------------------------------------------------------------------
# FLCI for Delta^SD(M)
# ----------------------------------------------------------------------------------------------


def _folded_normal_q(p: float, mu: float) -> float:
    from scipy import optimize, stats

    mu = abs(mu)
    return float(optimize.brentq(lambda c: stats.norm.cdf(c - mu) - stats.norm.cdf(-c - mu) - p,
                                 0.0, mu + 12.0, xtol=1e-14))


def _folded_normal_q_sim(p: float, mu: float, draws: np.ndarray) -> float:
    """HonestDiD's folded-normal quantile: ``quantile(abs(rnorm(1e6) + mu), p)`` with its seed."""
    return float(np.quantile(np.abs(draws + mu), p))


@functools.lru_cache(maxsize=4)
def _r_draws(n: int, seed: int) -> np.ndarray:
    return r_rnorm(n, seed)


def _flci(betahat: np.ndarray, sigma: np.ndarray, n_pre: int, n_post: int, l_vec: np.ndarray,
          m: float, alpha: float, critical: str = "simulated", seed: int = 0) -> tuple[float, float, np.ndarray]:
    """Optimal FLCI for l' tau under Delta^SD(m); returns (lb, ub, weights on betahat)."""
    from scipy import optimize

    if critical == "simulated":
        draws = _r_draws(10**6, seed)

        def folded_q(p: float, mu: float) -> float:
            return _folded_normal_q_sim(p, mu, draws)
    else:
        folded_q = _folded_normal_q

    K, T = n_pre, n_post
    Wm = np.eye(K) - np.eye(K, k=-1)  # pre-period weights from their cumulative form
    Spre, Spp, Spost = sigma[:K, :K], sigma[:K, K:], sigma[K:, K:]
    c_sum = float(np.arange(1, T + 1) @ l_vec)
    const = sum(abs(float(np.arange(1, s + 1) @ l_vec[T - s:])) for s in range(1, T + 1)) - c_sum

    def var(w: np.ndarray) -> float:
        lp = Wm @ w
        return float(lp @ Spre @ lp + 2 * lp @ Spp @ l_vec + l_vec @ Spost @ l_vec)

    # minimum-variance weights: min var(w) s.t. sum(w) = c_sum (quadratic with one equality)
    Q, q, one = Wm.T @ Spre @ Wm, Wm.T @ Spp @ l_vec, np.ones(K)
    kkt = np.block([[2 * Q, one[:, None]], [one[None, :], np.zeros((1, 1))]])
    w_min = np.linalg.solve(kkt, np.r_[-2 * q, c_sum])[:K]
    h_min = math.sqrt(var(w_min))
    h_0 = math.sqrt(var(np.r_[np.zeros(K - 1), c_sum]))  # the minimum-bias weights
    if m == 0 or h_0 <= h_min * (1 + 1e-12):
        w = w_min  # no bias to trade against: the minimum-variance estimator is optimal
        half = folded_q(1 - alpha, m * const / h_min) * h_min
    else:
        L = np.tril(np.ones((K, K)))

        def min_bias(h: float) -> tuple[float, np.ndarray]:
            # min sum(U) s.t. U >= |cumsum(w)|, sum(w) = c_sum, var(w) <= h^2; variables (U, w)
            cons = [{"type": "eq", "fun": lambda x: x[K:].sum() - c_sum},
                    {"type": "ineq", "fun": lambda x: x[:K] - L @ x[K:]},
                    {"type": "ineq", "fun": lambda x: x[:K] + L @ x[K:]},
                    {"type": "ineq", "fun": lambda x: (h**2 - var(x[K:])) / h_min**2}]
            x0 = np.r_[np.abs(L @ w_min) + 1e-9, w_min]
            r = optimize.minimize(lambda x: x[:K].sum(), x0, jac=lambda x: np.r_[np.ones(K), np.zeros(K)],
                                  constraints=cons, method="SLSQP", options={"ftol": 1e-15, "maxiter": 1000})
            return const + float(r.fun), r.x[K:]

        def half_length(h: float) -> float:
            return folded_q(1 - alpha, m * min_bias(h)[0] / h) * h

        opt = optimize.minimize_scalar(half_length, bounds=(h_min, h_0), method="bounded",
                                       options={"xatol": 1e-12 * max(h_0, 1e-300)})
        h = float(opt.x)
        _, w = min_bias(h)
        half = half_length(h)
    vec = np.r_[Wm @ w, l_vec]
    est = float(vec @ betahat)
    return est - half, est + half, vec


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SensitivityResult:
    """Robust confidence sets for one target over a grid of restriction sizes.

    ``table``: one row per ``M``/``Mbar`` with ``lb``, ``ub``, ``method`` and ``delta`` (as
    HonestDiD's ``createSensitivityResults*``); ``original``: the confidence interval under exact
    parallel trends (``constructOriginalCS``).
    """

    table: pd.DataFrame
    original: tuple[float, float]
    delta: str
    method: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def tidy(self) -> pd.DataFrame:
        out = self.table.copy()
        out["alpha"] = self.method.get("alpha", 0.05)
        out["scale"] = "difference"
        return out

    @property
    def breakdown(self) -> float:
        """Smallest ``M``/``Mbar`` on the grid at which the set contains 0 (``nan`` if none does).

        A value of 2 for ``Delta^RM`` reads: the effect stays significant unless post-period
        violations may be more than twice the largest pre-period one.
        """
        t = self.table
        hit = t[(t["lb"] <= 0) & (t["ub"] >= 0)]
        return float(hit[self._m].min()) if len(hit) else math.nan

    @property
    def _m(self) -> str:
        return "Mbar" if self.delta == "DeltaRM" else "M"

    def summary(self, *, as_string: bool = False) -> str | None:
        lines = [f"Sensitivity to parallel-trend violations ({self.delta}, {self.table['method'].iloc[0]})",
                 f"original {100 * (1 - self.method.get('alpha', 0.05)):.0f}% CI: "
                 f"[{self.original[0]:.4g}, {self.original[1]:.4g}]"]
        for r in self.table.itertuples():
            lines.append(f"  {self._m} = {getattr(r, self._m):<6g} [{r.lb:.4g}, {r.ub:.4g}]")
        lines.append(f"breakdown {self._m}: {self.breakdown:g}" if math.isfinite(self.breakdown)
                     else f"breakdown {self._m}: beyond the grid (0 excluded at every {self._m})")
        return print_or_return("\n".join(lines), as_string)

    def plot(self, *, ax: Any = None, title: str | None = None) -> Any:
        """Robust intervals against ``M``/``Mbar`` beside the original interval; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 3.8))
        t = self.table
        x = t[self._m].to_numpy(dtype=float)
        step = float(np.min(np.diff(x))) if len(x) > 1 else 1.0
        x0 = x.min() - step
        mid = (t["lb"] + t["ub"]) / 2
        ax.errorbar([x0], [(self.original[0] + self.original[1]) / 2],
                    yerr=[[(self.original[1] - self.original[0]) / 2]], fmt="o", color="0.3", capsize=3,
                    label="zonder schending (origineel)")
        ax.errorbar(x, mid, yerr=[mid - t["lb"], t["ub"] - mid], fmt="none", color="C0", capsize=3,
                    label="robuust interval")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlabel("Mbar (relatieve omvang)" if self._m == "Mbar" else "M (afwijking van de trend)")
        ax.set_ylabel("effect")
        ax.set_title(title or "Gevoeligheid voor schending van parallelle trends")
        ax.legend(loc="best", fontsize=8)
        return ax

    def __repr__(self) -> str:
        return f"<SensitivityResult {self.delta} rows={len(self.table)} breakdown={self.breakdown:g}>"


def _inputs(betahat: Any, sigma: Any, n_pre: int, n_post: int, l_vec: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    if n_pre < 1 or n_post < 1:
        raise ValueError(f"need at least one pre and one post period, got n_pre={n_pre}, n_post={n_post}")
    if len(b) != n_pre + n_post:
        raise ValueError(f"betahat has {len(b)} coefficients; n_pre + n_post = {n_pre + n_post}")
    if S.shape != (len(b), len(b)):
        raise ValueError(f"sigma must be {len(b)} x {len(b)}, got {S.shape}")
    if not (np.isfinite(b).all() and np.isfinite(S).all()):
        raise ValueError("betahat and sigma must be finite (no NaN: drop unidentified event times first)")
    if not np.allclose(S, S.T, atol=1e-12 * max(1.0, np.abs(S).max())):
        raise ValueError("sigma must be symmetric")
    if np.linalg.eigvalsh(S).min() < -1e-10 * max(1.0, np.abs(S).max()):
        raise ValueError("sigma must be positive semi-definite")
    lv = np.eye(n_post)[0] if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if len(lv) != n_post:
        raise ValueError(f"l_vec has {len(lv)} entries; expected n_post = {n_post}")
    return b, S, lv


def original_cs(betahat: Any, sigma: Any, *, n_pre: int, n_post: int, l_vec: Any = None,
                alpha: float = 0.05) -> tuple[float, float]:
    """Confidence interval for ``l' tau`` under exact parallel trends (normal critical value).

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = original_cs(np.array([0.0, 0.0, 0.5]), np.eye(3) * 0.01, n_pre=2, n_post=1)
    >>> bool(lo < 0.5 < hi)
    True
    """
    from scipy import stats

    b, S, lv = _inputs(betahat, sigma, n_pre, n_post, l_vec)
    se = math.sqrt(float(lv @ S[n_pre:, n_pre:] @ lv))
    est = float(lv @ b[n_pre:])
    z = float(stats.norm.ppf(1 - alpha / 2))
    return est - z * se, est + z * se


def sensitivity_rm(betahat: Any, sigma: Any, *, n_pre: int, n_post: int,
                   mbar: Sequence[float] | None = None, l_vec: Any = None, alpha: float = 0.05,
                   method: Literal["C-LF", "Conditional"] = "C-LF", grid_points: int = 1000,
                   grid: tuple[float, float] | None = None, seed: int = 0,
                   lf_sims: int = 1000) -> SensitivityResult:
    """Confidence sets under ``Delta^RM(Mbar)`` (HonestDiD ``createSensitivityResults_relativeMagnitudes``).

    Parameters
    ----------
    betahat, sigma : event-study coefficients (pre periods first, reference period left out) and their
        covariance.
    n_pre, n_post : numbers of pre and post coefficients.
    mbar : grid of ``Mbar`` (default: 10 values on [0, 2], as HonestDiD).
    l_vec : weights of the target over the post periods (default: the first post period).
    method : ``"C-LF"`` (conditional-least-favourable hybrid, size ``kappa = alpha/10`` first stage)
        or ``"Conditional"``.
    grid_points, grid : the theta grid tested (default 1,000 points on +-20 SE of the target, as
        HonestDiD); bounds are the smallest and largest accepted grid points.
    seed, lf_sims : draws of the least-favourable critical value (R-compatible normal draws).

    Examples
    --------
    >>> import numpy as np
    >>> b = np.array([0.0, 0.01, 0.0, 0.5, 0.5]); S = np.eye(5) * 0.01
    >>> res = sensitivity_rm(b, S, n_pre=3, n_post=2, mbar=[0.5])
    >>> bool(res.table['lb'].iloc[0] < 0.5 < res.table['ub'].iloc[0])
    True
    """
    b, S, lv = _inputs(betahat, sigma, n_pre, n_post, l_vec)
    if n_pre < 2:
        raise ValueError("Delta^RM needs at least two pre-period coefficients (one pre-period change "
                         "besides the reference period)")
    if method not in ("C-LF", "Conditional"):
        raise ValueError(f"method must be 'C-LF' or 'Conditional', got {method!r}")
    mbar = list(np.linspace(0, 2, 10)) if mbar is None else [float(x) for x in mbar]
    if any(x < 0 for x in mbar):
        raise ValueError(f"Mbar must be >= 0, got {mbar}")
    sd = math.sqrt(float(lv @ S[n_pre:, n_pre:] @ lv))
    lo, hi = grid if grid is not None else (-20 * sd, 20 * sd)
    theta = np.linspace(lo, hi, grid_points)
    rows = []
    for mb in mbar:
        acc = _rm_accept(b, S, n_pre, n_post, lv, mb, alpha, alpha / 10, method == "C-LF", theta,
                         lf_sims, seed)
        if acc.any():
            rows.append({"lb": float(theta[acc].min()), "ub": float(theta[acc].max()),
                         "open_at_grid_end": bool(acc[0] or acc[-1])})
        else:
            rows.append({"lb": math.nan, "ub": math.nan, "open_at_grid_end": False})
        rows[-1].update(method=method, Delta="DeltaRM", Mbar=mb)
    table = pd.DataFrame(rows)[["lb", "ub", "method", "Delta", "Mbar", "open_at_grid_end"]]
    meta = MappingProxyType({"estimator": "Rambachan & Roth (2023) relative magnitudes",
                             "inference": method, "alpha": alpha, "kappa": alpha / 10,
                             "grid_points": grid_points, "grid": (lo, hi), "seed": seed,
                             "lf_sims": lf_sims, "n_pre": n_pre, "n_post": n_post,
                             "l_vec": tuple(lv.tolist())})
    return SensitivityResult(table, original_cs(b, S, n_pre=n_pre, n_post=n_post, l_vec=lv, alpha=alpha),
                             "DeltaRM", meta)


def sensitivity_sd(betahat: Any, sigma: Any, *, n_pre: int, n_post: int,
                   m: Sequence[float] | None = None, l_vec: Any = None, alpha: float = 0.05,
                   critical: Literal["simulated", "exact"] = "simulated", seed: int = 0) -> SensitivityResult:
    """Optimal FLCIs under ``Delta^SD(M)`` (HonestDiD ``createSensitivityResults``, method FLCI).

    ``m`` defaults to 10 values from 0 to the SE of the first pre-period coefficient.
    ``critical="simulated"`` (default) takes the folded-normal quantile from 10^6 normal draws as
    HonestDiD does (R's own generator, ``seed``), so the bounds equal HonestDiD's; ``"exact"`` solves
    for the quantile instead (bounds move by about 0.2% of the SE).
    Examples
    --------
    >>> import numpy as np
    >>> b = np.array([0.0, 0.01, 0.0, 0.5, 0.5]); S = np.eye(5) * 0.01
    >>> bool(sensitivity_sd(b, S, n_pre=3, n_post=2, m=[0.0]).table['ub'].iloc[0] > 0.5)
    True
    """
    b, S, lv = _inputs(betahat, sigma, n_pre, n_post, l_vec)
    if m is None:
        m = list(np.linspace(0, math.sqrt(S[0, 0]), 10))
    m = [float(x) for x in m]
    if any(x < 0 for x in m):
        raise ValueError(f"M must be >= 0, got {m}")
    if critical not in ("simulated", "exact"):
        raise ValueError(f"critical must be 'simulated' or 'exact', got {critical!r}")
    rows = []
    for mm in m:
        lb, ub, _ = _flci(b, S, n_pre, n_post, lv, mm, alpha, critical, seed)
        rows.append({"lb": lb, "ub": ub, "method": "FLCI", "Delta": "DeltaSD", "M": mm})
    meta = MappingProxyType({"estimator": "Rambachan & Roth (2023) smoothness", "inference": "FLCI",
                             "critical": critical, "seed": seed, "alpha": alpha, "n_pre": n_pre, "n_post": n_post,
                             "l_vec": tuple(lv.tolist())})
    return SensitivityResult(pd.DataFrame(rows),
                             original_cs(b, S, n_pre=n_pre, n_post=n_post, l_vec=lv, alpha=alpha),
                             "DeltaSD", meta)


def honest_event_study(es: Any, *, restriction: Literal["RM", "SD"] = "RM",
                       grid: Sequence[float] | None = None, target: Literal["first", "average"] | Any = "first",
                       alpha: float = 0.05, **kw: Any) -> SensitivityResult:
    """Sensitivity analysis of a wijklib event-study result (``did.event_study`` / ``event_study_single``).

    Takes the pre-period and post-period coefficients and their covariance from ``es.table`` /
    ``es.vcov`` (the reference period left out); ``target="average"`` weighs the post periods equally.
    Examples
    --------
    >>> import numpy as np
    >>> b = np.array([0.0, 0.01, 0.0, 0.5, 0.5]); S = np.eye(5) * 0.01
    >>> callable(honest_event_study)
    True
    """
    t = es.table
    t = t[np.isfinite(t["std_error"]) & (t["std_error"] > 0)]
    ev = t["event_time"].astype(int).tolist()
    V = es.vcov.loc[[str(e) for e in ev], [str(e) for e in ev]].to_numpy(dtype=float)
    n_pre = sum(e < 0 for e in ev)
    n_post = len(ev) - n_pre
    if target == "first":
        lv = None
    elif target == "average":
        lv = np.full(n_post, 1 / n_post)
    else:
        lv = target
    b = t["estimate"].to_numpy(dtype=float)
    if restriction == "RM":
        return sensitivity_rm(b, V, n_pre=n_pre, n_post=n_post, mbar=grid, l_vec=lv, alpha=alpha, **kw)
    if restriction == "SD":
        return sensitivity_sd(b, V, n_pre=n_pre, n_post=n_post, m=grid, l_vec=lv, alpha=alpha)
    raise ValueError(f"restriction must be 'RM' or 'SD', got {restriction!r}")
