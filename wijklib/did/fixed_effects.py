"""The fixed-effects weighted least squares engine shared by twfe, event_study and poisson: unit effects
absorbed exactly (within transformation), time effects and interactions as sparse columns, collinear
columns dropped, cluster scores and the CR1 covariance with the fixest/Stata small-sample factor (the
design choices are explained in :mod:`wijklib.did.twfe_es`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

# ----------------------------------------------------------------------------------------------
# the fixed-effects weighted least squares engine
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FEFit:
    """Weighted least squares with unit effects absorbed (internal building block).

    ``theta`` holds NaN for columns dropped as collinear; ``bread`` is the inverse of the
    within-transformed cross-product for the kept columns (``keep``), embedded in a p x p array
    with NaN elsewhere.
    """

    theta: np.ndarray
    bread: np.ndarray
    keep: np.ndarray
    resid: np.ndarray  # within residual e (weighted unit means are zero)
    unit_effect: np.ndarray  # alpha_g such that fitted = Z theta + alpha_unit
    n_obs: int
    n_units: int


def _unit_operator(unit: np.ndarray, n_units: int, w: np.ndarray) -> sp.csr_matrix:
    n = len(unit)
    return sp.csr_matrix((w, (unit, np.arange(n))), shape=(n_units, n))


def _independent_columns(A: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Keep columns in order, dropping any that is (numerically) a combination of earlier ones.

    Order matters: callers put the time dummies first so a collinear *treatment* column is the one
    reported as not identified, as fixest does.
    """
    p = A.shape[0]
    d = np.sqrt(np.clip(np.diag(A), 0, None))
    keep: list[int] = []
    L = np.zeros((p, p))
    for j in range(p):
        if d[j] <= 0:
            continue
        if keep:
            k = np.asarray(keep)
            lj = sla.solve_triangular(L[: len(keep), : len(keep)], A[k, j], lower=True)
            r = A[j, j] - lj @ lj
        else:
            lj = np.empty(0)
            r = A[j, j]
        if r <= tol * A[j, j]:
            continue
        m = len(keep)
        L[m, :m] = lj
        L[m, m] = math.sqrt(r)
        keep.append(j)
    return np.asarray(keep, dtype=np.int64)


def fe_wls(
    Z: sp.spmatrix,
    y: np.ndarray,
    unit: np.ndarray,
    n_units: int,
    w: np.ndarray | None = None,
    *,
    need_bread: bool = True,
) -> FEFit:
    """Solve ``y = Z theta + alpha_unit + e`` by weighted least squares with unit effects absorbed.

    Uses ``Z~'WZ~ = Z'WZ - S' diag(1/W_g) S`` with ``S`` the weighted unit sums of Z, so the
    within-transformed design is never materialised.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> unit = np.repeat([0, 1, 2], 2); x = np.array([0., 1, 0, 1, 0, 0])
    >>> y = 2 * x + np.array([1., 1, 5, 5, 3, 3])
    >>> fit = fe_wls(sp.csc_matrix(x[:, None]), y, unit, 3)
    >>> round(float(fit.theta[0]), 6)
    2.0
    """
    n, p = Z.shape
    wv = np.ones(n) if w is None else np.asarray(w, dtype=float)
    Z = sp.csc_matrix(Z)
    D = _unit_operator(unit, n_units, wv)
    Wg = np.asarray(D.sum(axis=1)).ravel()
    if (Wg <= 0).any():
        raise ValueError("a unit has zero total weight; drop it before fitting")
    S = sp.csr_matrix(D @ Z)
    sy = D @ y
    ZW = sp.csc_matrix(Z.multiply(wv[:, None]))
    A = (Z.T @ ZW).toarray() - (S.T @ sp.diags(1.0 / Wg) @ S).toarray()
    b = np.asarray(ZW.T @ y).ravel() - np.asarray(S.T @ (sy / Wg)).ravel()
    theta, bread, keep = _solve_normal(A, b, need_bread)
    zt = np.zeros(n) if p == 0 else np.asarray(Z[:, keep] @ theta[keep]).ravel()
    r = y - zt
    alpha = (D @ r) / Wg
    e = r - alpha[unit]
    return FEFit(theta, bread, keep, e, alpha, n, n_units)


def _solve_normal(A: np.ndarray, b: np.ndarray, need_bread: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve ``A theta = b`` for the symmetric PSD normal equations, dropping collinear columns."""
    p = A.shape[0]
    theta = np.full(p, np.nan)
    bread = np.full((p, p), np.nan)
    keep = np.arange(p)
    if p == 0:
        return theta, bread, keep
    A = (A + A.T) / 2
    try:
        c = sla.cho_factor(A, check_finite=False)
        dg = np.diag(c[0]) ** 2
        if (dg <= 1e-9 * np.maximum(np.diag(A), 1e-300)).any():
            raise sla.LinAlgError("near singular")
    except (sla.LinAlgError, ValueError):
        keep = _independent_columns(A)
        c = sla.cho_factor(A[np.ix_(keep, keep)], check_finite=False)
    theta[keep] = sla.cho_solve(c, b[keep], check_finite=False)
    if need_bread:
        bread[np.ix_(keep, keep)] = sla.cho_solve(c, np.eye(len(keep)), check_finite=False)
    return theta, bread, keep


@dataclass(frozen=True)
class TypedDesign:
    """Indicator design whose row pattern depends only on (block, period).

    Row i has type ``k_i = block(unit_i) * T + t_i`` and ``Z[i] = F[k_i]``. Blocks (e.g. adoption
    cohorts) are constant within a unit. This lets :func:`fe_wls_typed` form the within cross-product
    from per-block T x T matrices: cost O(n + G*T^2 + p^3), no n x p or G x p matrices.
    """

    F: sp.csr_matrix  # (n_blocks * T) x p
    unit_block: np.ndarray  # (G,) block of each unit
    t: np.ndarray  # (n,) period position 0..T-1
    T: int

    def types(self, unit: np.ndarray) -> np.ndarray:
        return self.unit_block[unit] * self.T + self.t

    def matrix(self, unit: np.ndarray) -> sp.csc_matrix:
        """The explicit sparse design (n x p), for callers that need it."""
        return sp.csc_matrix(self.F[self.types(unit)])


def fe_wls_typed(
    design: TypedDesign,
    y: np.ndarray,
    unit: np.ndarray,
    n_units: int,
    w: np.ndarray | None = None,
    *,
    need_bread: bool = True,
) -> FEFit:
    """Same solution as :func:`fe_wls` for a :class:`TypedDesign`, much faster on big panels.

    ``S'diag(1/W_g)S`` is block diagonal over blocks in type space: for block b it is
    ``Wb' diag(1/W_g) Wb`` with ``Wb`` the (units in b) x T grid of weights.
    """
    n = len(y)
    T = design.T
    wv = np.ones(n) if w is None else np.asarray(w, dtype=float)
    F = design.F
    K = F.shape[0]
    typ = design.types(unit)
    Wg = np.bincount(unit, weights=wv, minlength=n_units)
    if (Wg <= 0).any():
        raise ValueError("a unit has zero total weight; drop it before fitting")
    sy = np.bincount(unit, weights=wv * y, minlength=n_units)
    wtype = np.bincount(typ, weights=wv, minlength=K)
    # b = F'[E'Wy - (D'WE)'(sy/W)]
    rhs_type = np.bincount(typ, weights=wv * y, minlength=K) - np.bincount(
        typ, weights=wv * (sy / Wg)[unit], minlength=K)
    b = np.asarray(F.T @ rhs_type).ravel()
    # middle matrix, block by block
    grid = np.zeros((n_units, T))
    grid[unit, design.t] = wv
    Fc = sp.csr_matrix(F)
    A = np.asarray((Fc.T @ sp.diags(wtype) @ Fc).todense())
    ub = design.unit_block
    for blk in np.unique(ub):
        members = np.flatnonzero(ub == blk)
        Wb = grid[members]
        Mb = (Wb / Wg[members][:, None]).T @ Wb
        Fb = Fc[blk * T:(blk + 1) * T]
        if Fb.nnz == 0:
            continue
        FbT = Fb.T.tocsr()
        X = np.asarray(FbT @ Mb)  # p x T
        A -= np.asarray(FbT @ X.T).T
    theta, bread, keep = _solve_normal(A, b, need_bread)
    ft = np.asarray(Fc[:, keep] @ theta[keep]).ravel() if len(keep) else np.zeros(K)
    r = y - ft[typ]
    alpha = np.bincount(unit, weights=wv * r, minlength=n_units) / Wg
    e = r - alpha[unit]
    return FEFit(theta, bread, keep, e, alpha, n, n_units)


def cluster_scores_typed(
    design: TypedDesign, we: np.ndarray, unit: np.ndarray, n_units: int, w: np.ndarray,
    cluster: np.ndarray, n_clusters: int,
) -> np.ndarray:
    """:func:`cluster_scores` for a :class:`TypedDesign` (via the cluster x type sums)."""
    typ = design.types(unit)
    K = design.F.shape[0]
    CE = sp.csr_matrix((we, (cluster, typ)), shape=(n_clusters, K))
    s = np.asarray((CE @ design.F).todense())
    if not _nested(unit, cluster):
        return cluster_scores(design.matrix(unit), we, unit, n_units, w, cluster, n_clusters)
    return s


def cluster_scores(
    Z: sp.spmatrix,
    we: np.ndarray,
    unit: np.ndarray,
    n_units: int,
    w: np.ndarray,
    cluster: np.ndarray,
    n_clusters: int,
) -> np.ndarray:
    """Per-cluster scores ``sum_i w_i e_i z~_i`` (n_clusters x p), z~ = within-unit demeaned Z.

    ``we`` is the elementwise product of weights and residuals (for Poisson: ``y - mu``).
    When units are nested in clusters the demeaning term vanishes because the weighted residuals
    sum to zero within each unit; otherwise it is subtracted explicitly.
    """
    n = Z.shape[0]
    C = sp.csr_matrix((we, (cluster, np.arange(n))), shape=(n_clusters, n))
    s = C @ sp.csc_matrix(Z)
    s = s.toarray() if sp.issparse(s) else np.asarray(s)
    nested = _nested(unit, cluster)
    if not nested:
        D = _unit_operator(unit, n_units, w)
        Wg = np.asarray(D.sum(axis=1)).ravel()
        zbar = sp.diags(1.0 / Wg) @ (D @ sp.csc_matrix(Z))  # G x p unit means
        CU = sp.csr_matrix((we, (cluster, unit)), shape=(n_clusters, n_units))
        corr = CU @ zbar
        s = s - (corr.toarray() if sp.issparse(corr) else np.asarray(corr))
    return s


def _nested(unit: np.ndarray, cluster: np.ndarray) -> bool:
    """True when every unit lies in a single cluster."""
    if unit is cluster or np.array_equal(unit, cluster):
        return True
    n_u = int(unit.max()) + 1 if len(unit) else 0
    first = np.full(n_u, -1, dtype=np.int64)
    first[unit[::-1]] = cluster[::-1]  # some cluster of each unit
    return bool(np.all(first[unit] == cluster))


def typed_meat(design: TypedDesign, we: np.ndarray, unit: np.ndarray, n_units: int) -> np.ndarray:
    """``sum_g s_g s_g'`` for unit clusters without forming the G x p scores.

    A unit's score is ``F_b' e_g`` with ``e_g`` its T-vector of weighted residuals, so the meat is
    ``sum_b F_b' (E_b' E_b) F_b``: O(G*T^2) instead of O(G*p^2).
    """
    T = design.T
    grid = np.zeros((n_units, T))
    grid[unit, design.t] = we
    Fc = sp.csr_matrix(design.F)
    p = Fc.shape[1]
    meat = np.zeros((p, p))
    ub = design.unit_block
    for blk in np.unique(ub):
        Eb = grid[ub == blk]
        Fb = Fc[blk * T:(blk + 1) * T]
        if Fb.nnz == 0:
            continue
        FbT = Fb.T.tocsr()
        X = np.asarray(FbT @ (Eb.T @ Eb))
        meat += np.asarray(FbT @ X.T).T
    return meat


def cr1_vcov(
    bread: np.ndarray, keep: np.ndarray, scores: np.ndarray | None, *, n_obs: int, k: int, nested: bool,
    n_units: int, meat: np.ndarray | None = None, n_clusters: int | None = None,
) -> np.ndarray:
    """CR1 sandwich with fixest's small-sample factor ``G/(G-1) * (n-1)/(n-K)``.

    ``k`` counts the design's columns, which hold T-1 period dummies (the unit effects are absorbed).
    fixest's default ``fixef.K = "nested"`` drops a fixed effect nested in the clusters and counts
    every level of the others: with the unit FE nested, K = k + 1 (all T period levels); otherwise
    K = k + n_units (unit levels + T period levels - 1). Checked against fixest through HonestDiD's
    Medicaid example, whose C-LF bounds sit on a grid of +-20 SE (tests/reference/test_honest.py).

    Pass either per-cluster ``scores`` (G x p) or a precomputed full ``meat`` with ``n_clusters``.
    """
    p = bread.shape[0]
    B = bread[np.ix_(keep, keep)]
    if meat is None:
        assert scores is not None
        G = scores.shape[0]
        sk = scores[:, keep]
        mk = sk.T @ sk
    else:
        G = int(n_clusters if n_clusters is not None else n_units)
        mk = meat[np.ix_(keep, keep)]
    kk = k + (1 if nested else n_units)
    adj = (G / (G - 1) if G > 1 else math.nan) * ((n_obs - 1) / (n_obs - kk) if n_obs > kk else math.nan)
    V = np.full((p, p), np.nan)
    V[np.ix_(keep, keep)] = adj * (B @ mk @ B)
    return V
