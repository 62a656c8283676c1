"""Group-time ATT estimation and its influence functions (private engine of :mod:`attgt`).

Two representations of the stacked influence function (IF) matrix ``psi`` (units x ATT(g,t)), both
with R ``did`` scaling (analytic SE = ``sqrt(sum(psi**2)) / n``):

- :class:`CohortIF` (balanced panel, no covariates): every column is
  ``psi_i = w_i * (Y_i . L[h(i)] + c[h(i)])`` with ``h(i)`` the unit's cohort, so sums of squares,
  covariances and bootstrap draws reduce to per-cohort Gram matrices and per-cohort sums of the
  weighted outcome matrix. Nothing of size units x ATT(g,t) is ever formed: this is what makes the
  estimator fast on 14,500 wards x 120 months.
- :class:`DenseIF` (covariates or unbalanced panel): the explicit matrix.

A *functional* of the ATT(g,t) is given by ``(A, C)``: weights ``A`` (k x m) over the ATT(g,t) and a
per-cohort term ``C`` (H x m) that adds ``w_i * C[h(i)]`` to the IF (R ``did``'s "wif", the effect of
estimating the group shares used as aggregation weights).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from wijklib.did._prep import Prepared
from wijklib.inference import multiplier_weights, two_point, uniform_uint32


# ----------------------------------------------------------------------------------------------
# Which ATT(g,t) and with which base period / controls
# ----------------------------------------------------------------------------------------------
@dataclass
class GTSpec:
    hg: np.ndarray  # (k,) treated cohort index
    g: np.ndarray  # (k,) first-treated period (tnum scale)
    ti: np.ndarray  # (k,) index of period t
    bi: np.ndarray  # (k,) index of base period
    t: np.ndarray  # (k,) tnum of t
    post: np.ndarray  # (k,) bool, g <= t
    ref: np.ndarray  # (k,) bool, universal-base reference row (ATT = 0 by construction)
    ctrl: np.ndarray  # (k, H) bool, cohorts in the control group

    @property
    def k(self) -> int:
        return len(self.g)

    def subset(self, keep: np.ndarray) -> GTSpec:
        return GTSpec(*(getattr(self, f)[keep] for f in ("hg", "g", "ti", "bi", "t", "post", "ref", "ctrl")))


def build_spec(prep: Prepared, control_group: str, base_period: str, anticipation: float) -> tuple[GTSpec, list[str]]:
    """List the ATT(g,t) exactly as R ``did::compute.att_gt`` loops over them."""
    tnum = prep.tnum
    T = len(tnum)
    H = prep.H
    notes: list[str] = []
    rows = []
    for hg, g in enumerate(prep.cohorts):
        pre_idx = np.flatnonzero(tnum + anticipation < g)
        if pre_idx.size == 0:
            msg = f"No pre-treatment period for the cohort first treated at {prep.cohort_labels[hg]}; it is dropped."
            warnings.warn(msg, UserWarning, stacklevel=3)
            notes.append(msg)
            continue
        pret = int(pre_idx[-1])
        trange = range(1, T) if base_period == "varying" else range(T)
        for ti in trange:
            t = tnum[ti]
            post = g <= t
            if base_period == "varying":
                bi = pret if post else ti - 1
            else:
                bi = pret
            ref = base_period == "universal" and bi == ti
            ctrl = np.zeros(H, dtype=bool)
            ctrl[H - 1] = True
            if control_group == "notyettreated":
                cut = tnum[max(ti, bi)] + anticipation
                ctrl[: H - 1] = (prep.cohorts > cut) & (np.arange(H - 1) != hg)
            rows.append((hg, g, ti, bi, t, post, ref, ctrl))
    if not rows:
        raise ValueError("att_gt: no ATT(g,t) can be estimated (no cohort has a pre-treatment period)")
    hg, g, ti, bi, t, post, ref, ctrl = zip(*rows, strict=True)
    spec = GTSpec(
        np.array(hg), np.array(g, dtype=float), np.array(ti), np.array(bi), np.array(t, dtype=float),
        np.array(post), np.array(ref), np.vstack(ctrl),
    )
    return spec, notes


# ----------------------------------------------------------------------------------------------
# Fast path: balanced panel without covariates
# ----------------------------------------------------------------------------------------------
def cohort_sums(Y: np.ndarray, w: np.ndarray, coh: np.ndarray, H: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted outcome sums per cohort (H x T) and weight sums (H,)."""
    SY = np.zeros((H, Y.shape[1]))
    _grouped_sum(SY, Y * w[:, None], coh)
    W = np.bincount(coh, weights=w, minlength=H)
    return SY, W


def _grouped_sum(out: np.ndarray, M: np.ndarray, coh: np.ndarray) -> None:
    if np.all(np.diff(coh) >= 0):  # sorted: contiguous blocks, sum each
        bounds = np.searchsorted(coh, np.arange(out.shape[0] + 1))
        for h in range(out.shape[0]):
            if bounds[h + 1] > bounds[h]:
                out[h] = M[bounds[h] : bounds[h + 1]].sum(axis=0)
    else:
        np.add.at(out, coh, M)


def fast_att(SY: np.ndarray, W: np.ndarray, spec: GTSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ATT(g,t) = difference of mean outcome changes, from per-cohort sums.

    Returns ``att, mu_treated, mu_control, W_control`` (each length k).
    """
    D = SY[:, spec.ti] - SY[:, spec.bi]  # (H, k) summed changes per cohort
    Wt = W[spec.hg]
    with np.errstate(invalid="ignore", divide="ignore"):
        mu_t = D[spec.hg, np.arange(spec.k)] / Wt
        Wc = spec.ctrl.astype(float) @ W
        mu_c = (D.T * spec.ctrl).sum(axis=1) / Wc
    att = np.where(spec.ref, 0.0, mu_t - mu_c)
    return att, mu_t, mu_c, Wc


class CohortIF:
    """Stacked IF of the ATT(g,t) for a balanced panel without covariates (see module docstring)."""

    def __init__(self, prep: Prepared, spec: GTSpec):
        self.prep = prep
        self.spec = spec
        n, H, k = prep.n, prep.H, spec.k
        self.n, self.H, self.k = n, H, k
        Y, w, coh = prep.Y, prep.w, prep.coh
        self.blocks = prep.blocks()
        SY, W = cohort_sums(Y, w, coh, H)
        self.att, mu_t, mu_c, Wc = fast_att(SY, W, spec)
        # alpha[k, h]: weight of cohort h's change in column k; cvec[k, h]: constant (centering) term.
        alpha = np.zeros((k, H))
        cvec = np.zeros((k, H))
        live = ~spec.ref
        kk = np.arange(k)
        alpha[kk[live], spec.hg[live]] = n / W[spec.hg[live]]
        cvec[kk[live], spec.hg[live]] = -n * mu_t[live] / W[spec.hg[live]]
        ctrl = spec.ctrl & live[:, None]
        alpha = np.where(ctrl, -(n / Wc)[:, None], alpha)
        cvec = np.where(ctrl, (n * mu_c / Wc)[:, None], cvec)
        self.alpha, self.cvec = alpha, cvec
        # Centre Y within cohort (weighted) so that the Gram identities below do not cancel badly.
        self.m = SY / np.where(W > 0, W, 1.0)[:, None]  # (H, T)
        Yc = Y - self.m[coh]
        self.Yc = Yc
        T = Y.shape[1]
        self.G2 = np.zeros((H, T, T))
        self.Y2 = np.zeros((H, T))
        self.W2 = np.zeros(H)
        for h, sl in enumerate(self.blocks):
            if sl.stop > sl.start:
                Z = Yc[sl] * w[sl, None]
                self.G2[h] = Z.T @ Z
                self.Y2[h] = (Z * w[sl, None]).sum(axis=0)
                self.W2[h] = float((w[sl] ** 2).sum())
        # The constant term after centring: c~ = c + m_h . L  (L = alpha * (e_t - e_b)).
        self.ctil = cvec + alpha * (self.m[:, spec.ti] - self.m[:, spec.bi]).T

    # -- functionals ----------------------------------------------------------------------------
    def _B(self) -> np.ndarray:
        """(k, H*T): column k's coefficient on each cohort's outcome in each period."""
        if getattr(self, "_Bcache", None) is None:
            k, H = self.k, self.H
            T = self.Yc.shape[1]
            E = np.zeros((k, T))
            np.add.at(E, (np.arange(k), self.spec.ti), 1.0)
            np.add.at(E, (np.arange(k), self.spec.bi), -1.0)
            self._Bcache = (self.alpha[:, :, None] * E[:, None, :]).reshape(k, H * T)
        return self._Bcache

    def _parts(self, A: np.ndarray | None, C: np.ndarray | None):
        """Coefficients ``L`` (m, H, T) and constants ``c`` (m, H) of the functionals.

        ``A`` is a (k x m) weight matrix, an integer index array (select columns) or None (all).
        """
        H, T = self.H, self.Yc.shape[1]
        B = self._B()
        if A is None:
            L, c = B, self.ctil
        elif np.asarray(A).ndim == 1 and np.issubdtype(np.asarray(A).dtype, np.integer):
            L, c = B[A], self.ctil[A]
        else:
            L, c = A.T @ B, A.T @ self.ctil
        if C is not None:
            c = c + C.T
        return L.reshape(-1, H, T), c

    def sumsq(self, A: np.ndarray, C: np.ndarray | None = None) -> np.ndarray:
        """Sum over units of the squared IF of each functional."""
        L, c = self._parts(A, C)
        out = np.zeros(L.shape[0])
        for h in range(self.H):
            Lh = L[:, h, :]
            out += np.einsum("mt,mt->m", Lh @ self.G2[h], Lh) + 2 * c[:, h] * (Lh @ self.Y2[h]) + c[:, h] ** 2 * self.W2[h]
        return out

    def gram(self, A: np.ndarray, C: np.ndarray | None = None) -> np.ndarray:
        """Cross-products of the IFs of the functionals (m x m)."""
        L, c = self._parts(A, C)
        out = np.zeros((L.shape[0], L.shape[0]))
        for h in range(self.H):
            Lh = L[:, h, :]
            ly = Lh @ self.Y2[h]
            out += Lh @ self.G2[h] @ Lh.T + np.outer(c[:, h], ly) + np.outer(ly, c[:, h]) + np.outer(c[:, h], c[:, h]) * self.W2[h]
        return out

    def column(self, A: np.ndarray, C: np.ndarray | None = None) -> np.ndarray:
        """Explicit IF vectors of the functionals (n x m) — for tests and small problems."""
        L, c = self._parts(A, C)
        out = np.empty((self.n, L.shape[0]))
        w = self.prep.w
        for h, sl in enumerate(self.blocks):
            out[sl] = w[sl, None] * (self.Yc[sl] @ L[:, h, :].T + c[None, :, h])
        return out

    # -- bootstrap --------------------------------------------------------------------------------
    def boot(self, biters: int, kind: str, seed, chunk: int = 128, resid: np.ndarray | None = None):
        """Multiplier draws of all ATT(g,t) IFs: returns ``(draws (B, k), s (B, H))``.

        ``draws = v @ psi`` and ``s[:, h] = sum_{i in h} v_i w_i`` (both unscaled). With ``resid``
        (restricted residuals, n x T) the draws are ``sum_i v_i w_i alpha_{k,h(i)} (e_it - e_ib)``: the
        estimator applied to ``v * resid`` (null-imposed wild bootstrap), without centring terms.
        """
        rng = np.random.default_rng(seed)
        n, H, k = self.n, self.H, self.k
        w = self.prep.w
        src = self.Yc if resid is None else resid
        Zw = src * w[:, None]
        spec = self.spec
        twopt = kind in ("mammen", "rademacher")
        if twopt:
            # v = high + (low - high) * mask: one float32 GEMM on a 0/1 mask plus exact column sums.
            # float32 rounding (~1e-7 relative) is far below the bootstrap's Monte-Carlo noise.
            low, high, thr = two_point(kind)
            Z32 = Zw.astype(np.float32)
            w32 = w.astype(np.float32)
            colsum = [Zw[sl].sum(axis=0) for sl in self.blocks]
            wsum = [float(w[sl].sum()) for sl in self.blocks]
        draws = np.empty((biters, k))
        s = np.empty((biters, H))
        for start in range(0, biters, chunk):
            stop = min(start + chunk, biters)
            b = stop - start
            if twopt:
                mask = (uniform_uint32(rng, (b, n)) < thr).astype(np.float32)
            else:
                v = multiplier_weights(kind, (b, n), rng)
            out = np.zeros((b, k))
            for h, sl in enumerate(self.blocks):
                if sl.stop == sl.start:
                    s[start:stop, h] = 0.0
                    continue
                if twopt:
                    mh = mask[:, sl]
                    S = high * colsum[h][None, :] + (low - high) * (mh @ Z32[sl]).astype(np.float64)
                    sh = high * wsum[h] + (low - high) * (mh @ w32[sl]).astype(np.float64)
                else:
                    vh = v[:, sl]
                    S = vh @ Zw[sl]  # (b, T)
                    sh = vh @ w[sl]
                s[start:stop, h] = sh
                a = self.alpha[:, h]
                nz = a != 0
                if not nz.any():
                    continue
                contrib = (S[:, spec.ti[nz]] - S[:, spec.bi[nz]]) * a[nz]
                if resid is None:
                    contrib += sh[:, None] * self.ctil[nz, h]
                out[:, nz] += contrib
            draws[start:stop] = out
        return draws, s


# ----------------------------------------------------------------------------------------------
# General path: covariates (DRDID panel estimators) and/or unbalanced panel
# ----------------------------------------------------------------------------------------------
def _logit(X: np.ndarray, D: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logit by IRLS (R glm binomial with prior weights). Returns fitted p and vcov."""
    from scipy.special import expit

    beta = np.zeros(X.shape[1])
    mu = (w * D + 0.5) / (w + 1)
    eta = np.log(mu / (1 - mu))
    for _ in range(100):
        p = expit(eta)
        vw = w * p * (1 - p)
        z = eta + (D - p) / np.maximum(p * (1 - p), 1e-300)
        XtW = X.T * vw
        beta_new = np.linalg.solve(XtW @ X, XtW @ z)
        eta = X @ beta_new
        if np.max(np.abs(beta_new - beta)) < 1e-12 * (1 + np.max(np.abs(beta))):
            beta = beta_new
            break
        beta = beta_new
    p = expit(X @ beta)
    vcov = np.linalg.inv((X.T * (w * p * (1 - p))) @ X)
    return p, vcov


def _wols(DY: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Outcome regressions of each column of DY on X among controls (weighted); fitted values."""
    c = D == 0
    Xc = X[c] * w[c, None]
    coef = np.linalg.lstsq(Xc.T @ X[c], Xc.T @ DY[c], rcond=None)[0]
    return X @ coef


def drdid_panel(dy, D, X, w, method: str):
    """Sant'Anna & Zhao (2020) panel DiD estimators as in R ``DRDID`` (``drdid_panel``,
    ``reg_did_panel``, ``std_ipw_did_panel``).

    ``dy`` is a vector of outcome changes, or a matrix with one column per 2x2 that shares the same
    sample, treatment and covariates (the propensity score and the regression design are fitted once).
    Returns the ATT(s) and the IF on the subsample (vector, or n1 x m matrix).
    """
    one = np.ndim(dy) == 1
    DY = np.asarray(dy, dtype=float).reshape(len(D), -1)
    n = len(D)
    w = w / w.mean()
    w_ols = w * (1 - D)
    if method == "reg":
        OD = _wols(DY, D, X, w)
        w_treat = w * D
        eta_t = (w_treat[:, None] * DY).mean(0) / w_treat.mean()
        eta_c = (w_treat[:, None] * OD).mean(0) / w_treat.mean()
        XpX_inv = np.linalg.inv((w_ols[:, None] * X).T @ X / n)
        M1 = (w_treat[:, None] * X).mean(axis=0)
        # lin_ols @ M1 for every column: residual * (w_ols * X XpX^-1 M1)
        h = w_ols * (X @ (XpX_inv @ M1))
        inf_treat = w_treat[:, None] * (DY - eta_t) / w_treat.mean()
        inf_control = (w_treat[:, None] * (OD - eta_c) + (DY - OD) * h[:, None]) / w_treat.mean()
        att, inf = eta_t - eta_c, inf_treat - inf_control
        return (float(att[0]), inf[:, 0]) if one else (att, inf)
    ps, vcov = _logit(X, D, w)
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.where(D == 0, ps < 0.995, ps < 1.01)
    w_treat = trim * w * D
    w_cont = trim * w * ps * (1 - D) / (1 - ps)
    lin_ps = ((w * (D - ps))[:, None] * X) @ (vcov * n)  # (n, p)
    if method == "ipw":
        eta_t = (w_treat[:, None] * DY).mean(0) / w_treat.mean()
        eta_c = (w_cont[:, None] * DY).mean(0) / w_cont.mean()
        inf_treat = w_treat[:, None] * (DY - eta_t) / w_treat.mean()
        M2 = (w_cont[:, None] * X).T @ (DY - eta_c) / n  # (p, m)
        inf_control = (w_cont[:, None] * (DY - eta_c) + lin_ps @ M2) / w_cont.mean()
        att, inf = eta_t - eta_c, inf_treat - inf_control
        return (float(att[0]), inf[:, 0]) if one else (att, inf)
    # doubly robust (did default)
    R = DY - _wols(DY, D, X, w)
    eta_t = (w_treat[:, None] * R).mean(0) / w_treat.mean()
    eta_c = (w_cont[:, None] * R).mean(0) / w_cont.mean()
    XpX_inv = np.linalg.inv((w_ols[:, None] * X).T @ X / n)
    h_t = w_ols * (X @ (XpX_inv @ (w_treat[:, None] * X).mean(axis=0)))
    h_c = w_ols * (X @ (XpX_inv @ (w_cont[:, None] * X).mean(axis=0)))
    inf_treat = (w_treat[:, None] * (R - eta_t) - R * h_t[:, None]) / w_treat.mean()
    M2 = (w_cont[:, None] * X).T @ (R - eta_c) / n  # (p, m)
    inf_control = (w_cont[:, None] * (R - eta_c) + lin_ps @ M2 - R * h_c[:, None]) / w_cont.mean()
    att, inf = eta_t - eta_c, inf_treat - inf_control
    return (float(att[0]), inf[:, 0]) if one else (att, inf)


def design_groups(prep: Prepared, spec: GTSpec, obs: np.ndarray | None = None) -> dict[tuple, list[int]]:
    """Group the non-reference 2x2s that share sample, treated cohort, control set and covariates."""
    obs = np.isfinite(prep.Y) if obs is None else obs
    x_const = prep.X is None or bool(np.all(prep.X == prep.X[:, :1, :]))
    groups: dict[tuple, list[int]] = {}
    for j in range(spec.k):
        if spec.ref[j]:
            continue
        ti, bi = int(spec.ti[j]), int(spec.bi[j])
        both = obs[:, ti] & obs[:, bi]
        key = (
            int(spec.hg[j]), spec.ctrl[j].tobytes(), None if x_const else min(ti, bi),
            None if both.all() else both.tobytes(),
        )
        groups.setdefault(key, []).append(j)
    return groups


def dense_att(
    prep: Prepared, spec: GTSpec, est_method: str, Y: np.ndarray | None = None,
    coh: np.ndarray | None = None, want_if: bool = True,
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """ATT(g,t) by 2x2 estimators (covariates / unbalanced panels). Returns ``att, psi (n x k), notes``.

    2x2s with the same sample (units observed in both periods), treated cohort, control set and
    covariate values share one propensity-score / regression design and are estimated together.
    """
    Y = prep.Y if Y is None else Y
    coh = prep.coh if coh is None else coh
    n, k = prep.n, spec.k
    w = prep.w
    att = np.where(spec.ref, 0.0, np.nan)
    psi = np.zeros((n, k)) if want_if else None
    notes: list[str] = []
    obs = np.isfinite(prep.Y)  # the sample follows the observed data, also when Y is a stand-in (RI slopes)
    groups = design_groups(prep, spec, obs)
    for cols in groups.values():
        j0 = cols[0]
        ti0, bi0 = int(spec.ti[j0]), int(spec.bi[j0])
        treated = coh == spec.hg[j0]
        control = spec.ctrl[j0][coh]
        sub = (treated | control) & obs[:, ti0] & obs[:, bi0]
        idx = np.flatnonzero(sub)
        D = treated[idx].astype(float)
        if D.sum() == 0 or (1 - D).sum() == 0:
            for j in cols:
                notes.append(f"ATT(g={spec.g[j]}, t={spec.t[j]}): no treated or no control unit observed; left missing")
            continue
        cols_a = np.asarray(cols)
        DY = Y[np.ix_(idx, spec.ti[cols_a])] - Y[np.ix_(idx, spec.bi[cols_a])]
        if prep.X is not None:
            X = np.column_stack([np.ones(len(idx)), prep.X[idx, min(ti0, bi0), :]])
        else:
            X = np.ones((len(idx), 1))
        try:
            a, inf = drdid_panel(DY, D, X, w[idx], est_method)
        except np.linalg.LinAlgError as exc:
            for j in cols:
                notes.append(f"ATT(g={spec.g[j]}, t={spec.t[j]}): estimation failed ({exc}); left missing")
            continue
        att[cols_a] = a
        if want_if:
            psi[np.ix_(idx, cols_a)] = (n / len(idx)) * inf
    return att, psi, notes


def permuted_mean_att(prep: Prepared, spec: GTSpec, perms: np.ndarray, Y: np.ndarray | None = None) -> np.ndarray:
    """ATT(g,t) without covariates under many re-assignments of cohorts, in one pass (``P x k``).

    Without covariates every 2x2 estimator (dr, reg, ipw) is the weighted mean change of the treated cohort
    minus that of its control cohorts, over the units observed in both periods. The changes and weights
    do not depend on the assignment, so each permutation only regroups per-cohort sums of them:
    ``H x n`` by ``n x k`` instead of re-fitting every 2x2 design (:func:`dense_att` with ``coh=``), with
    the same numbers. The sample follows the observed outcome (``prep.Y``) also when ``Y`` is a stand-in.
    """
    Y = prep.Y if Y is None else Y
    P, n = perms.shape
    out = np.tile(np.where(spec.ref, 0.0, np.nan), (P, 1))
    cols = np.flatnonzero(~spec.ref)
    if cols.size == 0 or P == 0:
        return out
    obs = np.isfinite(prep.Y)
    ti, bi = spec.ti[cols], spec.bi[cols]
    both = obs[:, ti] & obs[:, bi]
    with np.errstate(invalid="ignore"):
        dy = np.where(both, Y[:, ti] - Y[:, bi], 0.0)
    wb = prep.w[:, None] * both  # weight of a unit in a 2x2 (0 when not observed in both periods)
    WY = np.concatenate([wb * dy, wb], axis=1)
    m = cols.size
    hg = spec.hg[cols]
    ctrl = spec.ctrl[cols].astype(float)  # m x H
    rows = np.arange(m)
    onehot = np.zeros((prep.H, n))
    units = np.arange(n)
    for p in range(P):
        onehot[:] = 0.0
        onehot[perms[p], units] = 1.0
        S = onehot @ WY  # per-cohort sums of weighted changes (first m) and weights (last m)
        s_y, s_w = S[:, :m], S[:, m:]
        t_y, t_w = s_y[hg, rows], s_w[hg, rows]
        c_y, c_w = np.einsum("mh,hm->m", ctrl, s_y), np.einsum("mh,hm->m", ctrl, s_w)
        # no treated or no control unit observed in a 2x2: left missing, as dense_att does
        cnt = onehot @ both
        ok = (cnt[hg, rows] > 0) & (np.einsum("mh,hm->m", ctrl, cnt) > 0) & (t_w > 0) & (c_w > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[p, cols] = np.where(ok, t_y / t_w - c_y / c_w, np.nan)
    return out


class DenseIF:
    """Explicit stacked IF matrix (n x k) with the same interface as :class:`CohortIF`."""

    def __init__(self, prep: Prepared, spec: GTSpec, att: np.ndarray, psi: np.ndarray):
        self.prep, self.spec, self.att, self.psi = prep, spec, att, psi
        self.n, self.H, self.k = prep.n, prep.H, spec.k
        self.blocks = prep.blocks()

    def column(self, A: np.ndarray | None, C: np.ndarray | None = None) -> np.ndarray:
        if A is None:
            out = self.psi
        elif np.asarray(A).ndim == 1 and np.issubdtype(np.asarray(A).dtype, np.integer):
            out = self.psi[:, A]
        else:
            out = self.psi @ A
        if C is not None:
            out = out + self.prep.w[:, None] * C[self.prep.coh]
        return out

    def sumsq(self, A, C=None) -> np.ndarray:
        col = self.column(A, C)
        return np.einsum("nm,nm->m", col, col)

    def gram(self, A, C=None) -> np.ndarray:
        col = self.column(A, C)
        return col.T @ col

    def boot(self, biters: int, kind: str, seed, chunk: int = 128, resid=None):
        rng = np.random.default_rng(seed)
        n = self.n
        w = self.prep.w
        draws = np.empty((biters, self.k))
        s = np.empty((biters, self.H))
        for start in range(0, biters, chunk):
            stop = min(start + chunk, biters)
            v = multiplier_weights(kind, (stop - start, n), rng)
            draws[start:stop] = v @ self.psi
            for h, sl in enumerate(self.blocks):
                s[start:stop, h] = v[:, sl] @ w[sl] if sl.stop > sl.start else 0.0
        return draws, s


def twoway_residuals(prep: Prepared) -> np.ndarray:
    """Residuals of unit + period fixed effects (the model under H0: no effect anywhere).

    Balanced panel: unit means, then weighted period means of what is left.
    """
    Y = prep.Y
    a = Y.mean(axis=1, keepdims=True)
    R = Y - a
    lam = (prep.w[:, None] * R).sum(axis=0) / prep.w.sum()
    return R - lam[None, :]


def treated_indicator(prep: Prepared, coh: np.ndarray | None = None) -> np.ndarray:
    """D_it = 1 when unit i's cohort is treated in period t (t >= g)."""
    coh = prep.coh if coh is None else coh
    g = np.r_[prep.cohorts, np.inf][coh]
    return (prep.tnum[None, :] >= g[:, None]).astype(float)


def se_from_sumsq(ss: np.ndarray, n: int) -> np.ndarray:
    se = np.sqrt(np.maximum(ss, 0.0)) / n
    se[se <= math.sqrt(np.finfo(float).eps) * 10] = np.nan
    return se
