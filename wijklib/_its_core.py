"""Batched IRLS core of :mod:`wijklib.its`: GLM fits (Poisson, quasi-Poisson, negative binomial,
Gaussian) of many series at once on (G, T, k) arrays where masked cells carry weight 0, the Newey-West
and AR(1) covariances, and the detection of separation and collapsed fits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _is_log_link(family: str) -> bool:
    return family != "gaussian"


# --------------------------------------------------------------------------------------------
# batched IRLS core: arrays are (G, T, k) / (G, T); masked cells carry weight 0
# --------------------------------------------------------------------------------------------
@dataclass
class _Fit:
    beta: np.ndarray  # (G, k)
    mu: np.ndarray  # (G, T)
    eta: np.ndarray  # (G, T)
    bread: np.ndarray  # (G, k, k) Fisher information X'WX (unscaled)
    score: np.ndarray  # (G, T, k) score contributions
    dispersion: np.ndarray  # (G,)
    alpha: np.ndarray  # (G,) negbin alpha (nan otherwise)
    n: np.ndarray  # (G,) observations
    converged: np.ndarray  # (G,)
    iterations: int


def _xtwx(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Batched X' diag(w) X (matmul is several times faster than the equivalent einsum)."""
    return np.swapaxes(X * w[..., None], 1, 2) @ X


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(A, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        # one series' information matrix is numerically singular (its fitted means ran to 0 in a
        # near-empty segment): solve the others exactly, that one by least squares, and let the
        # separation check after the fit name it instead of failing the whole batch
        out = np.empty_like(b)
        for g in range(A.shape[0]):
            try:
                out[g] = np.linalg.solve(A[g], b[g])
            except np.linalg.LinAlgError:
                out[g] = np.linalg.lstsq(A[g], b[g], rcond=None)[0]
        return out


def _inv(A: np.ndarray) -> np.ndarray:
    """Batched inverse; a singular block gets its pseudo-inverse (see :func:`_solve`)."""
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        return np.stack([np.linalg.pinv(a) for a in A])


def _irls(
    X: np.ndarray,
    y: np.ndarray,
    off: np.ndarray,
    mask: np.ndarray,
    family: str,
    alpha: np.ndarray | None = None,
    *,
    tol: float = 1e-11,
    maxiter: int = 100,
    beta0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Batched IRLS for log-link (Poisson / NB2 with fixed alpha) or Gaussian identity models."""
    G, T, k = X.shape
    m = mask.astype(float)
    if family == "gaussian":
        A = _xtwx(X, m)
        beta = _solve(A, np.einsum("gtk,gt->gk", X, m * (y - off)))
        return beta, np.ones(G, bool), A, (X @ beta[..., None])[..., 0] + off, 1
    a = np.zeros(G) if alpha is None else np.asarray(alpha, float)
    if beta0 is None:
        # R's glm start (mustart = y + 0.1), then one weighted LS step gives the first beta
        mu = np.where(mask, y + 0.1, 1.0)
        eta = np.log(mu)
    else:
        beta = beta0
        eta = np.clip((X @ beta[..., None])[..., 0] + off, -50, 50)
        mu = np.exp(eta)
    dev_old = np.full(G, np.inf)
    converged = np.zeros(G, bool)
    beta = np.zeros((G, k)) if beta0 is None else beta0
    it = 0
    while it < maxiter:
        it += 1
        w = m * mu / (1.0 + a[:, None] * mu)
        z = eta - off + (y - mu) / mu
        A = _xtwx(X, w)
        beta_new = _solve(A, np.einsum("gtk,gt->gk", X, w * z))
        beta = np.where(converged[:, None], beta, beta_new)
        eta = np.clip((X @ beta[..., None])[..., 0] + off, -50, 50)
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
        dev = 2.0 * np.sum(m * (ylogy - (y - mu)), axis=1)
        newly = np.abs(dev - dev_old) <= tol * (np.abs(dev) + 0.1)
        converged |= newly
        dev_old = dev
        if converged.all():
            break
    w = m * mu / (1.0 + a[:, None] * mu)
    A = _xtwx(X, w)
    return beta, converged, A, mu, it


def _nb_loglik(y: np.ndarray, mu: np.ndarray, alpha: np.ndarray, mask: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln

    a = alpha[:, None]
    r = 1.0 / a
    ll = (
        gammaln(y + r) - gammaln(r) - gammaln(y + 1.0)
        + r * np.log(r / (r + mu)) + y * np.log(mu / (r + mu))
    )
    return np.sum(np.where(mask, ll, 0.0), axis=1)


def _fit_negbin(X, y, off, mask) -> tuple[np.ndarray, ...]:
    """NB2 by profile likelihood: golden-section search on log(alpha), IRLS for beta inside."""
    G = X.shape[0]
    lo = np.full(G, np.log(1e-8))
    hi = np.full(G, np.log(1e2))
    gr = (np.sqrt(5.0) - 1.0) / 2.0
    beta_p, *_ = _irls(X, y, off, mask, "poisson")

    def prof(la):
        b, _, _, mu, _ = _irls(X, y, off, mask, "negbin", np.exp(la), beta0=beta_p)
        return _nb_loglik(y, mu, np.exp(la), mask)

    c = hi - gr * (hi - lo)
    d = lo + gr * (hi - lo)
    fc, fd = prof(c), prof(d)
    for _ in range(80):  # bracket shrinks by 0.618 per step: 80 steps -> width ~1e-16
        left = fc > fd  # maximum lies in [lo, d]
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        new_c = hi - gr * (hi - lo)
        new_d = lo + gr * (hi - lo)
        # reuse one evaluation per series
        c_keep = np.where(left, new_c, d)
        d_keep = np.where(left, c, new_d)
        f_eval = prof(np.where(left, new_c, new_d))
        fc, fd = np.where(left, f_eval, fd), np.where(left, fc, f_eval)
        c, d = c_keep, d_keep
        if np.all(hi - lo < 1e-9):
            break
    alpha = np.exp((lo + hi) / 2.0)
    beta, conv, A, mu, it = _irls(X, y, off, mask, "negbin", alpha, beta0=beta_p)
    return beta, conv, A, mu, it, alpha


def _fit_core(X, y, off, mask, family: str) -> _Fit:
    m = mask.astype(float)
    n = mask.sum(axis=1).astype(float)
    k = X.shape[2]
    alpha = np.full(X.shape[0], np.nan)
    if family == "negbin":
        beta, conv, A, mu, it, alpha = _fit_negbin(X, y, off, mask)
    else:
        fam = "gaussian" if family == "gaussian" else "poisson"
        beta, conv, A, mu, it = _irls(X, y, off, mask, fam)
    eta = (X @ beta[..., None])[..., 0] + off
    resid = np.where(mask, y - mu, 0.0)
    if family == "gaussian":
        score = X * resid[..., None]
        disp = np.sum(resid**2, axis=1) / (n - k)
    elif family == "negbin":
        score = X * (resid / (1.0 + alpha[:, None] * mu))[..., None]
        disp = np.ones_like(n)
    else:
        score = X * resid[..., None]
        pearson = np.sum(m * resid**2 / mu, axis=1)
        disp = pearson / (n - k) if family == "quasipoisson" else np.ones_like(n)
    return _Fit(beta, mu, eta, A, score, disp, alpha, n, conv, it)


def _newey_west(score: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Bartlett-weighted long-run covariance of scores over the period axis, per series."""
    meat = np.swapaxes(score, 1, 2) @ score
    for j in range(1, int(np.max(lags)) + 1):
        w = np.clip(1.0 - j / (lags + 1.0), 0.0, None)
        if not np.any(w > 0):
            break
        gam = np.swapaxes(score[:, j:], 1, 2) @ score[:, :-j]
        meat = meat + w[:, None, None] * (gam + np.swapaxes(gam, 1, 2))
    return meat


def _separating_direction(X: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Rows a log-link count model fits exactly with mu -> 0 (separation), or None.

    The Poisson (and negative binomial) maximum-likelihood estimate is finite iff there is no
    direction ``z`` with ``X z = 0`` on the rows with y > 0 and ``X z <= 0`` on the zero rows, not
    all equal (Santos Silva & Tenreyro 2010). Such a ``z`` is found by a small linear program
    (columns scaled to max |x| = 1, ``z`` in the unit box); the zero rows with ``X z < 0`` are the
    separated ones. Without this check IRLS "converges" with a coefficient at minus several hundred,
    the Hessian is singular to working precision and the sandwich covariance can have negative
    diagonals.
    """
    from scipy.optimize import linprog

    scale = np.max(np.abs(X), axis=0)
    Xs = X / np.where(scale > 0, scale, 1.0)
    pos, zero = y > 0, y == 0
    if not zero.any():
        return None
    Xz = Xs[zero]
    res = linprog(Xz.sum(axis=0), A_ub=Xz, b_ub=np.zeros(int(zero.sum())),
                  A_eq=Xs[pos] if pos.any() else None, b_eq=np.zeros(int(pos.sum())) if pos.any() else None,
                  bounds=[(-1.0, 1.0)] * X.shape[1], method="highs")
    if res.status != 0 or res.fun > -1e-6:
        return None
    sep = np.zeros(len(y), bool)
    sep[np.flatnonzero(zero)] = Xz @ res.x < -1e-6
    return sep if sep.any() else None


def _zero_part(y: np.ndarray, mask: np.ndarray, post: np.ndarray, label: str, yname: str) -> str | None:
    """Message when a log-link series is zero in every period before or from the start (else None).

    Then the level change has its maximum-likelihood estimate at 0 or infinity: IRLS would stop at a
    coefficient of minus several hundred with a singular Hessian (negative sandwich variances).
    """
    for part, sel in (("from the start on", post), ("before the start", ~post)):
        if (mask & sel).any() and y[mask & sel].sum() == 0:
            return (f"{yname!r} is zero in every period {part} in the {label}; the rate ratio is not "
                    "estimable (its maximum-likelihood estimate is 0 or infinite)")
    return None


def _collapsed(mu: np.ndarray, y: np.ndarray, mask: np.ndarray) -> bool:
    """True when some zero-count period has a fitted mean ~0 (a cheap pre-screen for separation).

    A separated row's fitted mean falls by a factor ~e per IRLS step until the deviance stops
    changing; 1e-4 of the series mean is far below any fitted mean of an identified model with the
    usual designs, and :func:`_separating_direction` confirms.
    """
    zero = mask & (y == 0)
    if not zero.any():
        return False
    return bool(np.min(mu[zero]) < 1e-4 * max(float(np.mean(y[mask])), 1e-300))


def _separation_message(n_sep: int, yname: str, names: list[str]) -> str:
    return (f"too few non-zero counts in {yname!r}: the model fits {n_sep} zero period(s) exactly with an "
            f"expected count of 0 (separation), so some of the coefficients {names} have no finite estimate "
            "and no valid standard error; the rate ratio is not estimable")


def _covariance(
    f: _Fit,
    X: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    cov_type: str,
    lags: np.ndarray,
    family: str,
    *,
    small_sample: bool,
    n_groups: int = 1,
) -> np.ndarray:
    """Covariance of beta, per series. ``n_groups`` > 1: stacked series of equal length (controlled ITS)."""
    binv = _inv(f.bread)
    if cov_type == "nonrobust":
        return binv * f.dispersion[:, None, None]
    G, N, k = X.shape
    T = N // n_groups
    score = f.score
    if small_sample:
        # HC3-type leverage correction: fitted residuals are shrunk by (1 - h), most for the
        # high-leverage periods right after the start (MacKinnon & White 1985)
        w = _working_weights(f, family, mask)
        A = X * np.sqrt(w)[..., None]
        h = np.sum((A @ binv) * A, axis=-1)
        score = score / np.clip(1.0 - h, 1e-3, None)[..., None]
    if n_groups > 1:  # sum the stacked series' scores per period: allows cross-series correlation
        score = score.reshape(G, n_groups, T, k).sum(axis=1)
    V = binv @ _newey_west(score, lags) @ binv
    if small_sample:
        # floor: never below the AR(1) quasi-likelihood SE (parametric long-run variance);
        # truncated Newey-West is biased downwards in short series (simulation in tests/test_its.py)
        Var1 = _ar1_cov(f, X, y, mask, family, binv, n_groups)
        ratio = np.diagonal(Var1, axis1=1, axis2=2) / np.diagonal(V, axis1=1, axis2=2)
        d = np.sqrt(np.maximum(1.0, np.nan_to_num(ratio, nan=1.0)))
        V = V * d[:, :, None] * d[:, None, :]
    return V


def _working_weights(f: _Fit, family: str, mask: np.ndarray) -> np.ndarray:
    m = mask.astype(float)
    if family == "gaussian":
        return m
    a = np.nan_to_num(f.alpha, nan=0.0)[:, None]
    return m * f.mu / (1.0 + a * f.mu)


def _ar1_cov(f: _Fit, X, y, mask, family, binv, n_groups) -> np.ndarray:
    """Sandwich with an AR(1) working correlation of the Pearson residuals (rho bias-corrected)."""
    G, N, k = X.shape
    T = N // n_groups
    w = _working_weights(f, family, mask)
    if family == "gaussian":
        r = np.where(mask, y - f.mu, 0.0)
    else:
        r = np.where(mask, (y - f.mu) / np.sqrt(f.mu / w.clip(1e-300) * f.mu), 0.0)  # (y-mu)/sqrt(V(mu))
    rr = r.reshape(G, n_groups, T)
    mm = mask.reshape(G, n_groups, T)
    # Autocorrelation and dispersion per stacked series: a controlled ITS stacks a ward (tens of counts a
    # month) on a pooled comparison series (thousands), whose Pearson residuals carry the city's shocks
    # and are far larger; one pooled dispersion would inflate the ward's part of the variance several
    # times (measured: controlled intervals covering 1.000 with hardly any power, benchmarks/results/
    # its_placebo.md). With one series (n_groups = 1) this is the single-series formula.
    num = np.sum(rr[..., 1:] * rr[..., :-1] * (mm[..., 1:] & mm[..., :-1]), axis=2)
    n = mm.sum(axis=2).astype(float)
    den = np.sum(rr * rr, axis=2)
    rho = num / np.where(den > 0, den, 1.0)
    k_g = k / n_groups  # fitted terms per stacked series (the shared ones split between them)
    # first-order bias of the lag-1 autocorrelation of regression residuals: (1 + 3 rho) / n for the
    # mean (Marriott & Pope 1954) plus about k / n for the other fitted terms
    rho = np.clip(rho + (1.0 + 3.0 * rho + k_g) / n, -0.9, 0.95)
    disp = den / np.maximum(n - k_g, 1.0)
    A = X * np.sqrt(w)[..., None]
    # R @ A for R_ts = rho^|t-s| (within each stacked series) by a forward and a backward
    # recursion: O(T k) per series instead of building the T x T matrix
    Ag = A.reshape(G, n_groups, T, k)
    fwd = np.empty_like(Ag)
    bwd = np.empty_like(Ag)
    rr_ = rho[:, :, None]
    fwd[:, :, 0] = Ag[:, :, 0]
    bwd[:, :, -1] = Ag[:, :, -1]
    for t in range(1, T):
        fwd[:, :, t] = Ag[:, :, t] + rr_ * fwd[:, :, t - 1]
        bwd[:, :, T - 1 - t] = Ag[:, :, T - 1 - t] + rr_ * bwd[:, :, T - t]
    RA = ((fwd + bwd - Ag) * disp[:, :, None, None]).reshape(G, N, k)
    mid = np.swapaxes(A, 1, 2) @ RA
    return binv @ mid @ binv
