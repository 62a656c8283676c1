"""Simulated staggered ward panels with a known effect (for tests and the benchmark note; private)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def staggered_panel(
    seed: int,
    *,
    n_units: int = 200,
    n_periods: int = 12,
    cohorts: tuple[int, ...] = (5, 7, 9),
    share_never: float = 0.4,
    effect: float = 1.0,
    rho: float = 0.5,
    hetero: bool = False,
    n_treated: int | None = None,
    select_noise: float = 0.0,
) -> tuple[pd.DataFrame, float]:
    """Panel with unit and period effects, AR(1) noise and a constant effect ``effect`` after treatment.

    With ``n_treated`` exactly that many units are treated (spread over ``cohorts``); otherwise each unit
    is never treated with probability ``share_never``. ``hetero=True`` gives every unit its own noise
    scale (lognormal, sd ratio up to ~5), the setting in which few treated wards break clustered SEs.
    ``select_noise`` > 0 (with ``n_treated``): noisier units are treated more often, with probability
    proportional to ``scale ** select_noise`` (selection on noise; the default draws are unchanged).
    Returns the panel and the true ATT of every post-treatment (g, t) cell.
    """
    rng = np.random.default_rng(seed)
    if n_treated is None:
        g = np.where(rng.random(n_units) < share_never, 0, rng.choice(cohorts, size=n_units))
    elif select_noise:
        # the noise scales are drawn first, then treatment leans towards the noisy units
        pre_scale = np.exp(rng.normal(scale=0.6, size=n_units)) if hetero else np.ones(n_units)
        g = np.zeros(n_units, dtype=int)
        pr = pre_scale**select_noise
        idx = rng.choice(n_units, size=n_treated, replace=False, p=pr / pr.sum())
        g[idx] = np.resize(np.asarray(cohorts), n_treated)
    else:
        g = np.zeros(n_units, dtype=int)
        idx = rng.choice(n_units, size=n_treated, replace=False)
        g[idx] = np.resize(np.asarray(cohorts), n_treated)
    if select_noise and n_treated is not None:
        scale = pre_scale
    else:
        scale = np.exp(rng.normal(scale=0.6, size=n_units)) if hetero else np.ones(n_units)
    eps = np.empty((n_units, n_periods))
    eps[:, 0] = rng.normal(size=n_units) / np.sqrt(1 - rho**2)
    for t in range(1, n_periods):
        eps[:, t] = rho * eps[:, t - 1] + rng.normal(size=n_units)
    t_idx = np.arange(1, n_periods + 1)
    y = (
        rng.normal(size=n_units)[:, None]
        + 0.2 * t_idx[None, :]
        + scale[:, None] * eps
        + effect * ((g[:, None] > 0) & (t_idx[None, :] >= g[:, None]))
    )
    df = pd.DataFrame({
        "ward": np.repeat(np.arange(n_units), n_periods),
        "month": np.tile(t_idx, n_units),
        "first_treated": np.repeat(g, n_periods),
        "y": y.ravel(),
    })
    return df, effect


def rejection_rates(
    n_reps: int, *, inference: str, seed0: int = 1000, biters: int = 199, **panel_kw
) -> dict:
    """Share of replications in which the 'simple' aggregate's 95% test rejects (true effect in kwargs)."""
    import warnings

    from wijklib.did.attgt import att_gt

    rej = 0
    cover = 0
    used = set()
    for r in range(n_reps):
        df, truth = staggered_panel(seed0 + r, **panel_kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = att_gt(df, yname="y", tname="month", idname="ward", gname="first_treated",
                         inference=inference, biters=biters, seed=r)
            a = res.aggregate("simple")
        used.add(res.inference)
        rej += a.p_value < 0.05
        cover += a.conf_low <= truth <= a.conf_high
    return {"reject": rej / n_reps, "cover": cover / n_reps, "n_reps": n_reps, "inference": sorted(used)}
