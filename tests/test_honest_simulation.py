"""HonestDiD sensitivity sets against simulations with known truth (issue 14: coverage 0.93-0.97).

The event-study coefficients are drawn as ``tau + delta + e`` with ``e ~ N(0, Sigma)`` and a violation
``delta`` that lies in the restriction set, so the set's confidence interval for the first post-period
effect must cover ``tau_1`` in about 95% of draws:

- smoothness, ``Delta^SD(0)``: a linear pre-trend continued after the start (second differences 0); the
  FLCI at ``M = 0`` is then an exact 95% interval;
- smoothness, ``Delta^SD(M)``: a violation whose second differences all equal ``M`` (the curvature
  the set allows at most), so coverage is at least nominal;
- relative magnitudes, ``Delta^RM(0)``: no violation after the start; the hybrid (C-LF) set is
  slightly conservative by construction (a first stage at ``kappa = alpha / 10``).
"""

from __future__ import annotations

import numpy as np
import pytest

from wijklib import honest

N_PRE, N_POST = 4, 3
T = N_PRE + N_POST
_I = np.arange(T)
SIGMA = 0.01 * (0.5 ** np.abs(_I[:, None] - _I[None, :])) + 0.002
TAU = np.r_[np.zeros(N_PRE), 0.05, 0.06, 0.07]
REL = np.r_[np.arange(-N_PRE, 0), np.arange(1, N_POST + 1)]  # event times, reference period 0 left out


def _coverage(delta: np.ndarray, reps: int, fit, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    hits, widths = 0, []
    for _ in range(reps):
        b = TAU + delta + rng.multivariate_normal(np.zeros(T), SIGMA)
        t = fit(b).table
        lb, ub = float(t["lb"].iloc[0]), float(t["ub"].iloc[0])
        hits += lb <= TAU[N_PRE] <= ub
        widths.append(ub - lb)
    return hits / reps, float(np.mean(widths))


@pytest.mark.slow
def test_flci_covers_the_truth_under_a_linear_trend_at_the_nominal_rate():
    cov, _ = _coverage(0.01 * REL, 600,
                       lambda b: honest.sensitivity_sd(b, SIGMA, n_pre=N_PRE, n_post=N_POST, m=[0.0]), seed=1)
    assert 0.93 <= cov <= 0.97, cov


@pytest.mark.slow
def test_flci_covers_the_truth_at_the_largest_curvature_the_set_allows():
    m = 0.01
    delta = 0.5 * m * REL.astype(float) ** 2  # second differences m over -4..-1, 1..3 and across 0
    cov, _ = _coverage(delta, 400,
                       lambda b: honest.sensitivity_sd(b, SIGMA, n_pre=N_PRE, n_post=N_POST, m=[m]), seed=2)
    assert cov >= 0.93, cov


@pytest.mark.slow
def test_relative_magnitudes_hybrid_set_covers_the_truth():
    cov, _ = _coverage(np.zeros(T), 300,
                       lambda b: honest.sensitivity_rm(b, SIGMA, n_pre=N_PRE, n_post=N_POST, mbar=[0.0],
                                                       grid_points=400), seed=3)
    assert 0.93 <= cov <= 0.985, cov
