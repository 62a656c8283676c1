"""Interrupted time series (segmented regression) for one ward or for hundreds at once.

The model (Lopez Bernal, Cummins & Gasparrini 2017, Int J Epidemiol 46:348) for a series
``y_t`` observed at time index ``t`` (1 = first period), intervention from period ``t0``::

    g(E[y_t]) = offset_t + b0 + b1*t + b2*post_t + b3*(t - t0 + 1)*post_t
                + sum_k [c_k sin(2*pi*k*s_t/P) + d_k cos(2*pi*k*s_t/P)]

with ``post_t = 1{t >= t0}``, ``s_t`` the position in the seasonal cycle (the calendar month for
monthly dates) and ``g`` the log link (Poisson, quasi-Poisson, negative binomial) or the identity
(Gaussian). ``exp(b2)`` is reported as the *level change* and ``exp(b3)`` as the *slope change* per
period. The slope term counts the first intervention period as 1, exactly as
``I(time - 36):smokban`` in the tutorial's R code, so ``b2`` is the step between the pre-intervention
trend and the post-intervention line extrapolated back to the last pre-intervention period.

Estimation is iteratively reweighted least squares in numpy, batched over series
(:func:`fit_many` fits 700 ward series in well under a second; :func:`fit` is the same code with one
series, so the two agree to floating-point precision). The numbers are checked against R's ``glm``
and ``sandwich::NeweyWest`` in ``tests/reference/test_sicily.py``.

Inference
---------
``cov_type="nonrobust"``
    model-based covariance: inverse Fisher information times the dispersion (Pearson chi-square /
    (n - k) for quasi-Poisson, as R's ``summary.glm``; residual variance for Gaussian; 1 for Poisson;
    negative binomial with the ML ``alpha`` held fixed). Intervals use normal quantiles
    (as R's ``confint.default`` / ``Epi::ci.lin``).
``cov_type="hac"`` (default)
    Newey-West sandwich on the score contributions ``x_t * (y_t - mu_t) * mu'_t / V(mu_t)`` with
    Bartlett weights ``1 - j/(L+1)`` and no prewhitening; the dispersion cancels. Lags ``L`` default
    to ``floor(4 * (n/100)**(2/9))`` (Newey & West 1994 rule: 4 for 100-108 months, 3 for 36-99,
    2 for 13-35). Lags count *periods*, not rows: with missing months a lag-``j`` pair is two
    observations ``j`` periods apart.

    ``small_sample=False`` is the textbook estimator: identical to
    ``sandwich::NeweyWest(fit, lag=L, prewhite=FALSE)`` (whose ``adjust`` default is FALSE: no
    n/(n-k) factor) and to statsmodels ``cov_type="HAC"``, with normal quantiles.

    ``small_sample=True`` (default) exists because that estimator is far too optimistic in
    ward-length series: in our simulation (AR(1) overdispersed monthly counts with seasonality,
    ``tests/test_its.py::simulate``) its 95% intervals for the level change covered only 0.81-0.84
    at 60 months and 0.73-0.77 at 36, and *more* lags made it worse (the residual autocovariances
    of a fitted step are biased downwards). The default therefore (1) divides each score by
    ``1 - h_t`` (HC3-type leverage correction), (2) floors every standard error at the one from an
    AR(1) working-correlation sandwich (lag-1 autocorrelation of the Pearson residuals, corrected
    for its first-order bias ``(1 + 3 rho + k)/n``, Pearson dispersion), scaling the Newey-West
    matrix up where it is smaller, and (3) uses t(n - k) quantiles and p-values. Measured coverage
    of the level change (2000 replications each): 0.93-0.96 for latent AR(1) rho = 0 and 0.3 at
    36, 48, 60 and 108 months; with rho = 0.5 it is 0.89 (36 months), 0.90 (48), 0.91 (60) and
    0.92 (108) -- still below nominal for strongly autocorrelated short series. Bias of the log
    rate ratio was below 0.05 SE throughout.

Controlled ITS
--------------
With ``control=`` the treated and the comparison series are stacked into one model with
group-specific intercepts and trends, shared seasonality, common post-start level and slope terms
(shocks that hit both series) and the treated-by-post interactions that are reported as
``level_change`` and ``slope_change`` (a comparative ITS / DiD in segmented form). HAC then sums the
two series' scores per period before the Newey-West step (contemporaneous correlation between the
series is allowed); the small-sample AR(1) floor uses the autocorrelation within each series.
Alternative not implemented: modelling the log ratio of the two series directly.

:func:`fit_many` fits every series with a start against the pooled series without one
(``control="auto"``, the default), or each against all the others (``control="others"``, a placebo
study). Measured on the real police counts of 's-Gravenhage (``benchmarks/results/its_placebo.md``):
a single total-crime series rejects a true "no change" in 8-19% of the wijken depending on the start,
because the whole city's decline bends and every wijk shares the bend; against the pooled other wijken
that bend cancels.

Calibration
-----------
``calibrate=True`` checks the model on the series' own months before the start: the same model at
fake starts every half seasonal cycle inside the pre-period (each with at least one full cycle before
it; only pre-period data, so a real effect cannot leak in). The covariance is scaled by
``(sum t_j^2 + 2) / (J + 2)`` of their ``J`` level-change t-statistics (the model's own standard error
counts as two fake starts at t^2 = 1) and the reference distribution is t(J + 2). A series whose model
is too optimistic before the start gets wider intervals, one whose model is too cautious narrower ones.
It costs ``J`` extra fits per series (batched in :func:`fit_many`) and cannot see what happens only
after the start.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special  # t / normal quantiles; lighter to import than scipy.stats

from wijklib._its_core import (  # noqa: F401 - moved there; importable from here as before
    _ar1_cov,
    _collapsed,
    _covariance,
    _Fit,
    _fit_core,
    _fit_negbin,
    _inv,
    _irls,
    _is_log_link,
    _nb_loglik,
    _newey_west,
    _separating_direction,
    _separation_message,
    _solve,
    _working_weights,
    _xtwx,
    _zero_part,
)
from wijklib._its_result import (  # noqa: F401 - moved there; importable from here as before
    ITSResult,
    _describe,
    _describe_slope,
    _keynum,
    _nl_num,
    _pct_word,
    _ro,
    _signed,
)
from wijklib.arguments import log_offset
from wijklib.results import (
    TIDY_COLUMNS,
    Effect,
)

__all__ = ["ITSResult", "fit", "fit_many", "default_hac_lags"]

Family = Literal["poisson", "quasipoisson", "negbin", "gaussian"]
CovType = Literal["hac", "nonrobust"]

_FAMILIES = ("poisson", "quasipoisson", "negbin", "gaussian")
_COV_TYPES = ("hac", "nonrobust")
_EFFECT_TERMS = ("level_change", "slope_change")


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def default_hac_lags(n: int) -> int:
    """Newey-West (1994) lag rule ``floor(4 * (n/100)**(2/9))``, at least 1.

    Examples
    --------
    >>> default_hac_lags(108), default_hac_lags(59), default_hac_lags(24)
    (4, 3, 2)
    """
    return max(1, int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))))


@dataclass(frozen=True)
class _TimeAxis:
    """How ``tname`` values map to a period index and a seasonal position."""

    kind: Literal["int", "month", "week"]
    origin: Any  # first period (int, or Timestamp)

    def index(self, values: pd.Series | np.ndarray | Any) -> np.ndarray:
        """Period number relative to ``origin`` (origin -> 0)."""
        if self.kind == "int":
            return np.asarray(values, dtype=float) - float(self.origin)
        ts = pd.DatetimeIndex(pd.to_datetime(np.atleast_1d(values)))
        if self.kind == "month":
            return ((ts.year - self.origin.year) * 12 + (ts.month - self.origin.month)).to_numpy(float)
        return ((ts - self.origin).days.to_numpy() / 7.0).astype(float)


def _time_axis(values: pd.Series, tname: str, source: str) -> _TimeAxis:
    """Decide whether ``tname`` is an integer index, monthly dates or weekly dates."""
    if pd.api.types.is_datetime64_any_dtype(values):
        ts = pd.DatetimeIndex(values)
        if (ts.day == 1).all() and (ts.normalize() == ts).all():
            return _TimeAxis("month", ts.min())
        days = (ts - ts.min()).days.to_numpy()
        if (days % 7 == 0).all():
            return _TimeAxis("week", ts.min())
        bad = ts[(ts.day != 1)][0]
        raise ValueError(
            f"{source}: column {tname!r} holds dates that are neither first-of-month nor a fixed "
            f"weekday (e.g. {bad.date()}); expected monthly periods (day 1) or weekly periods"
        )
    if pd.api.types.is_integer_dtype(values) or (
        pd.api.types.is_float_dtype(values) and np.all(np.mod(values.dropna(), 1) == 0)
    ):
        return _TimeAxis("int", int(values.min()))
    raise ValueError(
        f"{source}: column {tname!r} has dtype {values.dtype}; expected integer periods or "
        "datetime64 (first of month / Monday of week)"
    )


def _start_index(axis: _TimeAxis, start: Any, tname: str) -> float:
    if axis.kind == "int":
        try:
            return float(start) - float(axis.origin)
        except (TypeError, ValueError):
            raise ValueError(f"start={start!r}: expected an integer value of {tname!r}") from None
    try:
        ts = pd.Timestamp(start)
    except (TypeError, ValueError):
        raise ValueError(f"start={start!r}: expected a date (e.g. '2020-03-01') like {tname!r}") from None
    if axis.kind == "month" and (ts.day != 1):
        ts = ts.to_period("M").to_timestamp()
    return float(axis.index([ts])[0])


def _season_values(
    df: pd.DataFrame, axis: _TimeAxis, tname: str, season: str | None, period: float
) -> tuple[np.ndarray, str]:
    """Position in the seasonal cycle and a note on where it came from."""
    if season is not None:
        if season not in df.columns:
            raise KeyError(f"season={season!r} is not a column of the data (columns: {list(df.columns)})")
        return df[season].to_numpy(float), f"column {season!r}"
    if axis.kind == "month":
        return pd.DatetimeIndex(df[tname]).month.to_numpy(float), f"calendar month of {tname!r}"
    if axis.kind == "week":
        if period < 50:
            raise ValueError(
                f"weekly {tname!r} with period={period}: pass period=52 (weeks per year) for a yearly cycle"
            )
        return (
            pd.DatetimeIndex(df[tname]).isocalendar().week.to_numpy(float),
            f"ISO week of {tname!r}",
        )
    if "month" in df.columns:
        return df["month"].to_numpy(float), "column 'month'"
    return axis.index(df[tname]) + 1.0, f"period index of {tname!r} (1 = first period)"


def _design(
    t: np.ndarray,
    s: np.ndarray,
    t0: np.ndarray | float,
    *,
    seasonality: int,
    period: float,
    slope_change: bool,
) -> tuple[np.ndarray, list[str]]:
    """ITS design over the last axis. ``t`` is the period index with 1 = first period."""
    t = np.asarray(t, float)
    post = (t >= t0).astype(float)
    cols = [np.ones_like(t), t, post]
    names = ["intercept", "time", "level_change"]
    if slope_change:
        cols.append((t - t0 + 1.0) * post)
        names.append("slope_change")
    for k in range(1, seasonality + 1):
        ang = 2.0 * np.pi * k * np.asarray(s, float) / period
        cols += [np.sin(ang), np.cos(ang)]
        names += [f"sin{k}", f"cos{k}"]
    return np.stack(cols, axis=-1), names


# --------------------------------------------------------------------------------------------
# data preparation
# --------------------------------------------------------------------------------------------
def _check_columns(df: pd.DataFrame, cols: Sequence[str], source: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"{source}: column(s) {missing} not found; columns present: {list(df.columns)}")


def _check_values(
    df: pd.DataFrame, col: str, tname: str, source: str, *, family: str, positive: bool = False
) -> None:
    v = pd.to_numeric(df[col], errors="coerce")
    bad_type = v.isna() & df[col].notna()
    if bad_type.any():
        i = int(np.flatnonzero(bad_type.to_numpy())[0])
        raise ValueError(
            f"{source}: column {col!r} at {tname}={df[tname].iloc[i]!r} holds {df[col].iloc[i]!r}; "
            "expected a number"
        )
    vals = v.to_numpy(float)
    if positive:
        bad = ~(vals > 0)
        what = "a positive number (population, used as log offset)"
    elif _is_log_link(family):
        bad = (vals < 0) | (np.mod(vals, 1) != 0)
        what = f"a non-negative whole count for family={family!r}"
    else:
        bad = ~np.isfinite(vals)
        what = "a finite number"
    bad &= ~np.isnan(vals)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{source}: column {col!r} at {tname}={df[tname].iloc[i]!r} holds {vals[i]!r}; expected {what}"
        )


def _prepare_series(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    offset: str | None,
    family: str,
    dropna: bool,
    source: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Copy, validate and sort one series; returns the frame and notes about dropped rows."""
    cols = [tname, yname] + ([offset] if offset else [])
    _check_columns(data, cols, source)
    df = data.copy()  # never touch the caller's frame
    notes: list[str] = []
    if df[tname].isna().any():
        i = int(np.flatnonzero(df[tname].isna().to_numpy())[0])
        raise ValueError(f"{source}: column {tname!r} is empty in row {i + 1} (0-based {i}); expected a period")
    dup = df[tname].duplicated(keep=False)
    if dup.any():
        raise ValueError(
            f"{source}: column {tname!r} has duplicate periods {sorted(df.loc[dup, tname].unique())[:5]!r}; "
            "expected one row per period (use fit_many(by=...) for several series)"
        )
    if family == "gaussian" and offset is not None:
        raise ValueError("offset= is only used with log-link families; for gaussian model a rate column instead")
    _check_values(df, yname, tname, source, family=family)
    if offset:
        _check_values(df, offset, tname, source, family=family, positive=True)
    y = pd.to_numeric(df[yname], errors="coerce")
    na = y.isna() | (pd.to_numeric(df[offset], errors="coerce").isna() if offset else False)
    if na.any():
        where = df.loc[na, tname].tolist()
        if not dropna:
            raise ValueError(
                f"{source}: {int(na.sum())} period(s) with a missing {yname!r}"
                f"{' or ' + repr(offset) if offset else ''} (e.g. {tname}={where[0]!r}); a missing month "
                "is not a zero. Drop those rows yourself or pass dropna=True (they are then left out "
                "and recorded in result.method['notes'])"
            )
        notes.append(f"{len(where)} period(s) with missing {yname!r} left out: {where[:10]!r}")
        df = df.loc[~na]
    df = df.sort_values(tname, kind="stable").reset_index(drop=True)
    return df, notes


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def _validate_options(family, cov_type, seasonality, period, hac_lags) -> None:
    if family not in _FAMILIES:
        raise ValueError(f"family={family!r}: expected one of {_FAMILIES}")
    if cov_type not in _COV_TYPES:
        raise ValueError(f"cov_type={cov_type!r}: expected one of {_COV_TYPES}")
    if not (isinstance(seasonality, (int, np.integer)) and seasonality >= 0):
        raise ValueError(f"seasonality={seasonality!r}: expected a whole number >= 0 (Fourier pairs)")
    if seasonality and not period > 0:
        raise ValueError(f"period={period!r}: expected a positive cycle length")
    if 2 * seasonality > period and seasonality:
        raise ValueError(f"seasonality={seasonality} pairs exceed what period={period} can identify")
    if hac_lags is not None and not (isinstance(hac_lags, (int, np.integer)) and hac_lags >= 0):
        raise ValueError(f"hac_lags={hac_lags!r}: expected a whole number >= 0 or None")


def _check_pre_post(n_pre: int, n_post: int, k_pre: int, slope_change: bool, start: Any, first: Any,
                    source: str) -> None:
    if n_pre == 0:
        raise ValueError(
            f"{source}: start={start!r} is at or before the first period ({first!r}); an interrupted "
            "time series needs observed periods before the intervention"
        )
    need = k_pre + 1
    if n_pre < need:
        raise ValueError(
            f"{source}: only {n_pre} observed period(s) before start={start!r}; need at least {need} "
            f"to estimate the pre-intervention intercept, trend and seasonal terms ({k_pre} "
            "parameters) with one degree of freedom to spare"
        )
    need_post = 2 if slope_change else 1
    if n_post < need_post:
        raise ValueError(
            f"{source}: only {n_post} observed period(s) from start={start!r} on; need at least "
            f"{need_post}{' for a slope change (or pass slope_change=False)' if slope_change else ''}"
        )


def _exposure_column(data: pd.DataFrame, control: Any, *, offset: str | None, exposure: str | None,
                     family: str, source: str) -> tuple[pd.DataFrame, Any, str | None]:
    """The exposure column the fit uses internally (it logs it), from ``exposure=`` or ``offset=``.

    ``offset=`` is on the log scale (as in statsmodels/pyfixest): checked by
    :func:`wijklib.arguments.log_offset` (a population passed as an offset is refused) and carried
    as the column ``exp(<offset>)`` of a copy of ``data`` (and of a control DataFrame).
    """
    if offset is None and exposure is None:
        return data, control, None
    if family == "gaussian":
        arg = "offset" if offset is not None else "exposure"
        raise ValueError(f"{source}: {arg}= is only used with log-link families; for gaussian model a rate "
                         "column instead")
    log_offset(data, offset=offset, exposure=exposure, where=source)
    if exposure is not None:
        if isinstance(control, pd.DataFrame) and exposure in control.columns:
            log_offset(control, offset=None, exposure=exposure, where=source + " control")
        return data, control, exposure
    col = f"exp({offset})"

    def with_exp(d: pd.DataFrame) -> pd.DataFrame:
        return d.assign(**{col: np.exp(pd.to_numeric(d[offset], errors="coerce").to_numpy(float))})

    if isinstance(control, pd.DataFrame) and offset in control.columns:
        log_offset(control, offset=offset, exposure=None, where=source + " control")
        control = with_exp(control)
    return with_exp(data), control, col


def fit(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    start: Any,
    family: Family = "quasipoisson",
    exposure: str | None = None,
    offset: str | None = None,
    seasonality: int = 2,
    period: float = 12,
    slope_change: bool = True,
    cov_type: CovType = "hac",
    hac_lags: int | None = None,
    control: str | pd.Series | pd.DataFrame | None = None,
    season: str | None = None,
    dropna: bool = False,
    small_sample: bool = True,
    alpha: float = 0.05,
    calibrate: bool = False,
) -> ITSResult:
    """Fit a segmented regression (interrupted time series) to one series.

    Parameters
    ----------
    data : DataFrame
        One row per period; not modified.
    yname, tname : str
        Outcome column and period column (integer index, or datetime64 first-of-month / weekly).
        Gaps in ``tname`` are kept as gaps: the period index comes from the values, not row order.
    start : scalar
        First intervention period (a value of ``tname``; a date string works for dates).
    family : {"quasipoisson", "poisson", "negbin", "gaussian"}
        Log link for the count families (effects are rate ratios), identity for gaussian.
    exposure : str, optional
        Column with a positive exposure (e.g. population) whose log enters as offset (log-link
        families only): effects are then rate ratios of the rate per resident.
    offset : str, optional
        Instead of ``exposure``: a column already on the log scale (e.g. ``log(population)``), added
        to the linear predictor as in statsmodels/pyfixest and :func:`wijklib.did.poisson`. Values
        above 30 (an exposure, not its log) are refused, naming ``exposure=``.
    seasonality, period : int, float
        Number of Fourier sine/cosine pairs and the cycle length. The seasonal position is the
        calendar month for monthly dates, the ISO week for weekly dates (use ``period=52``), the
        column ``season`` when given, else a column named ``month`` when the data have one, else
        the period index (1 = first period).
    slope_change : bool
        Include the post-start slope term (counted from 1 in the first intervention period).
    cov_type : {"hac", "nonrobust"}
        Newey-West (default) or model-based covariance; see the module docstring.
    hac_lags : int, optional
        Newey-West lags; default :func:`default_hac_lags` of the number of periods.
    control : str, Series or DataFrame, optional
        Comparison series for a controlled ITS: a column of ``data``, a Series indexed by the
        period, or a DataFrame with ``tname``, ``yname`` (and the ``exposure``/``offset`` column when
        used). The two series
        are stacked (see module docstring); the effects are the treated-by-post interactions.
    season : str, optional
        Column holding the seasonal position (e.g. month number 1-12).
    dropna : bool
        Leave out periods with a missing outcome (recorded in ``method['notes']``) instead of
        raising.
    small_sample : bool
        With HAC (default True): leverage-adjusted scores, an AR(1) floor under the standard errors
        and t(n - k) quantiles, see the module docstring. ``False`` gives plain Newey-West with
        normal quantiles (identical to ``sandwich::NeweyWest(prewhite=FALSE)``).
    alpha : float
        1 - confidence level of the intervals.
    calibrate : bool
        Placebo-in-time calibration on the series' own months before the start (see the module
        docstring, "Calibration"): the same model at fake starts inside the pre-period, the covariance
        scaled by their t-statistics, a t reference with their number of degrees of freedom.

    Returns
    -------
    ITSResult

    Raises
    ------
    ValueError
        Among others, for a log-link family when the counts do not identify the model: zero in
        every period before or from the start (in the treated or control series), or zeros the model
        fits exactly with an expected count of 0 (separation, e.g. counts only in the first post
        period with a slope change). The message says which.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> months = pd.date_range("2017-01-01", periods=108, freq="MS")
    >>> mu = 200 * np.exp(0.2 * np.sin(2 * np.pi * months.month / 12)) * np.where(months >= "2021-01-01", 0.85, 1)
    >>> df = pd.DataFrame({"maand": months, "meldingen": rng.poisson(mu)})
    >>> res = fit(df, yname="meldingen", tname="maand", start="2021-01-01")
    >>> 0.75 < res.level_change.estimate < 0.95
    True
    >>> res.method["family"], res.method["cov_type"], res.method["hac_lags"]
    ('quasipoisson', 'hac', 4)
    """
    _validate_options(family, cov_type, seasonality, period, hac_lags)
    source = f"its.fit(yname={yname!r})"
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    given_offset, given_exposure = offset, exposure
    data, control, offset = _exposure_column(data, control, offset=offset, exposure=exposure, family=family,
                                             source=source)
    df, notes = _prepare_series(data, yname=yname, tname=tname, offset=offset, family=family,
                                dropna=dropna, source=source)
    if df.empty:
        raise ValueError(f"{source}: no rows")
    axis = _time_axis(df[tname], tname, source)
    t_obs = axis.index(df[tname]) + 1.0  # 1 = first observed period
    t0 = _start_index(axis, start, tname) + 1.0
    s_obs, season_note = _season_values(df, axis, tname, season, period)
    if seasonality and np.isnan(s_obs).any():
        raise ValueError(f"{source}: seasonal position ({season_note}) has missing values")
    T = int(t_obs.max())
    pos = (t_obs - 1).astype(int)
    if not np.allclose(t_obs, np.round(t_obs)):
        raise ValueError(f"{source}: {tname!r} values are not on a regular period grid")
    n_pre = int(np.sum(t_obs < t0))
    n_post = int(np.sum(t_obs >= t0))
    k_pre = 2 + 2 * seasonality
    if t0 > T:
        raise ValueError(f"{source}: start={start!r} is after the last period ({df[tname].iloc[-1]!r})")
    _check_pre_post(n_pre, n_post, k_pre, slope_change, start, df[tname].iloc[0], source)
    y_obs = df[yname].to_numpy(float)
    if _is_log_link(family) and y_obs.sum() == 0:
        raise ValueError(f"{source}: {yname!r} is zero in every period; a rate ratio is not estimable")
    off_obs = np.log(df[offset].to_numpy(float)) if offset else np.zeros(len(df))

    X_obs, names = _design(t_obs, s_obs, t0, seasonality=seasonality, period=period,
                           slope_change=slope_change)
    controlled = control is not None
    groups = [(X_obs, y_obs, off_obs, pos)]
    if controlled:
        cdf = _control_frame(control, data, df, tname=tname, yname=yname, offset=offset, family=family,
                             dropna=dropna, notes=notes, source=source)
        scol = season if season is not None else ("month" if axis.kind == "int" and "month" in df.columns else None)
        if scol is not None and scol not in cdf.columns:
            # the control shares the treated series' calendar: take its seasonal position by period
            cdf = cdf.merge(df[[tname, scol]], on=tname, how="left")
            if seasonality and cdf[scol].isna().any():
                raise ValueError(f"{source}: control has periods the treated series lacks; pass a control "
                                 f"DataFrame with a {scol!r} column")
        tc = axis.index(cdf[tname]) + 1.0
        if (tc < 1).any() or (tc > T).any():
            raise ValueError(f"{source}: control periods fall outside the treated series' range")
        sc, _ = _season_values(cdf, axis, tname, season, period)
        Xc, _ = _design(tc, sc, t0, seasonality=seasonality, period=period, slope_change=slope_change)
        yc = cdf[yname].to_numpy(float)
        offc = np.log(cdf[offset].to_numpy(float)) if offset else np.zeros(len(cdf))
        # stacked design: [common terms | treated x (intercept, time, level, slope)]
        n_int = 4 if slope_change else 3
        inter_names = ["group", "group:time", "level_change", "slope_change"][:n_int]
        common_names = ["intercept", "time", "post", "post_slope"][:n_int] + names[n_int:]
        Xt_full = np.hstack([X_obs, X_obs[:, :n_int]])
        Xc_full = np.hstack([Xc, np.zeros((len(Xc), n_int))])
        names = common_names + inter_names
        groups = [(Xt_full, y_obs, off_obs, pos), (Xc_full, yc, offc, (tc - 1).astype(int))]
    k = len(names)
    G = len(groups)
    # arrays on the full period grid, one row block per stacked series; scores are summed per period
    X = np.zeros((1, G * T, k))
    y = np.zeros((1, G * T))
    off = np.zeros((1, G * T))
    mask = np.zeros((1, G * T), bool)
    for g, (Xg, yg, og, pg) in enumerate(groups):
        idx = g * T + pg
        X[0, idx] = Xg
        y[0, idx] = yg
        off[0, idx] = og
        mask[0, idx] = True
    rank = np.linalg.matrix_rank(X[0, mask[0]])
    if rank < k:
        raise ValueError(f"{source}: design matrix is rank deficient ({rank} < {k} columns: {names}); "
                         "reduce seasonality or check the periods")
    if _is_log_link(family):
        labels = ["treated series", "control series"] if controlled else ["series"]
        post = np.tile(np.arange(1, T + 1) >= t0, G)  # period positions of each stacked block
        for g, lab in enumerate(labels):
            blk = slice(g * T, (g + 1) * T)
            msg = _zero_part(y[0, blk], mask[0, blk], post[blk], lab, yname)
            if msg:
                raise ValueError(f"{source}: {msg}")
    f = _fit_core(X, y, off, mask, family)
    if _is_log_link(family) and _collapsed(f.mu[0], y[0], mask[0]):
        sep = _separating_direction(X[0, mask[0]], y[0, mask[0]])
        if sep is not None:
            raise ValueError(f"{source}: {_separation_message(int(sep.sum()), yname, names)}")
    if not f.converged[0]:
        warnings.warn(f"{source}: IRLS did not converge in {f.iterations} iterations", RuntimeWarning,
                      stacklevel=2)
    n_obs = int(f.n[0])
    lags = default_hac_lags(T) if hac_lags is None else int(hac_lags)
    V = _covariance(f, X, y, mask, cov_type, np.array([lags]), family, small_sample=small_sample,
                    n_groups=G)[0]
    dof = float(n_obs - k)
    use_t = cov_type == "hac" and small_sample
    calibration = None
    if calibrate:
        fakes = _placebo_in_time(
            data, t_obs, t0, axis, start, period, control=control,
            kw=dict(yname=yname, tname=tname, family=family, exposure=offset, seasonality=seasonality, period=period,
                    slope_change=slope_change, cov_type=cov_type, hac_lags=hac_lags, season=season, dropna=dropna,
                    small_sample=small_sample, alpha=alpha))
        c, dof = _calibration_scale(fakes, dof)
        V = V * c**2
        use_t = True
        calibration = {"placebo_starts": len(fakes), "scale": c, "df": dof, "prior": CALIBRATION_PRIOR}
    crit = float(special.stdtrit(dof, 1 - alpha / 2)) if use_t else float(special.ndtri(1 - alpha / 2))
    scale = "ratio" if _is_log_link(family) else "difference"
    beta = f.beta[0]
    se = np.sqrt(np.diag(V))

    def eff(term: str) -> Effect:
        i = names.index(term)
        return Effect.from_linear(term, float(beta[i]), float(se[i]), scale=scale, alpha=alpha,
                                  df=dof if use_t else None, crit=crit)

    # counterfactual design for the treated series: switch the intervention terms off
    X_t = X[0, :T][pos]
    X_cf = X_t.copy()
    for term in _EFFECT_TERMS:
        if term in names:
            X_cf[:, names.index(term)] = 0.0
    frame = pd.DataFrame({tname: df[tname].to_numpy(), "_y": y_obs, "_post": t_obs >= t0})
    disp = float(f.alpha[0]) if family == "negbin" else float(f.dispersion[0])
    method = {
        "estimator": "its",
        "family": family,
        "link": "log" if _is_log_link(family) else "identity",
        "cov_type": cov_type,
        "hac_lags": lags if cov_type == "hac" else None,
        "ci": f"t({dof:g})" if use_t else "normal",
        "calibration": calibration,
        "inference": _inference_label(cov_type, small_sample, family),
        "control_group": "comparison series (controlled ITS)" if controlled else None,
        "seed": None,
        "alpha": alpha,
        "n_units": G,
        "n_obs": n_obs,
        "n_periods": T,
        "n_pre": n_pre,
        "n_post": n_post,
        "start": start if axis.kind == "int" else pd.Timestamp(start),
        "time_axis": axis.kind,
        "tname": tname,
        "yname": yname,
        "offset": given_offset,
        "exposure": given_exposure,
        "seasonality": seasonality,
        "period": period,
        "season_source": season_note if seasonality else None,
        "slope_change": slope_change,
        "controlled": controlled,
        "converged": bool(f.converged[0]),
        "iterations": f.iterations,
        "notes": tuple(notes),
    }
    return ITSResult(
        level_change=eff("level_change"),
        slope_change=eff("slope_change") if slope_change else None,
        dispersion=disp,
        method=method,
        params=pd.Series(beta, index=names, name="estimate"),
        cov=pd.DataFrame(V, index=names, columns=names),
        _frame=frame,
        _X=_ro(X_t),
        _X_cf=_ro(X_cf),
        _offset=_ro(off_obs),
        _crit=crit,
        _df=dof if use_t else None,
    )


#: Weight of the model's own standard error in the placebo-in-time calibration, in placebo starts.
CALIBRATION_PRIOR = 2.0


def _calibration_scale(t_stats: Sequence[float], dof_model: float) -> tuple[float, float]:
    """(scale of the standard errors, degrees of freedom of the t reference) from placebo t-statistics.

    ``scale**2 = (sum t_j^2 + nu0) / (J + nu0)``: the mean square of the ``J`` placebo t-statistics,
    with the model's own standard error counted as ``nu0`` (:data:`CALIBRATION_PRIOR`) placebo starts
    at t^2 = 1, so that a short pre-period with one or two fake starts cannot shrink or blow up the
    interval by chance; the reference distribution is t(J + nu0). Without any fake start (a pre-period
    shorter than 1.5 seasonal cycles) nothing is calibrated: scale 1 and the model's ``dof_model``.
    """
    t = np.asarray([x for x in t_stats if np.isfinite(x)], float)
    if t.size == 0:
        return 1.0, float(dof_model)
    nu = CALIBRATION_PRIOR
    return float(math.sqrt((np.sum(t**2) + nu) / (t.size + nu))), float(t.size + nu)


def _shift(axis: _TimeAxis, start: Any, h: int) -> Any:
    """The period ``h`` periods before ``start`` (a value of the time column)."""
    if axis.kind == "int":
        return float(start) - h if not isinstance(start, (int, np.integer)) else int(start) - h
    ts = pd.Timestamp(start)
    if axis.kind == "month":
        return ts.to_period("M").to_timestamp() - pd.DateOffset(months=h)
    return ts - pd.Timedelta(days=7 * h)


def _before(obj: Any, tname: str, cut: Any, is_date: bool) -> Any:
    cut = pd.Timestamp(cut) if is_date else cut
    if isinstance(obj, pd.DataFrame):
        return obj.loc[obj[tname] < cut]
    if isinstance(obj, pd.Series):
        return obj.loc[obj.index < cut]
    return obj  # a column name or None: cut with the data


def _placebo_in_time(data: pd.DataFrame, t_obs: np.ndarray, t0: float, axis: _TimeAxis, start: Any, period: float,
                     *, control: Any, kw: dict[str, Any]) -> list[float]:
    """t-statistics of the level change at fake starts inside the months before ``start``.

    Only the periods before the real start are used (the real effect cannot leak in). Fake starts lie
    every half seasonal cycle back from the start (``round(period / 2)`` periods: 6 months), each with
    at least one full cycle (``round(period)`` observed periods) before it. Fake fits that fail are left
    out.
    """
    step = max(1, int(round(period / 2)))
    min_pre = max(int(round(period)), 2 + 2 * int(kw["seasonality"]) + 1)
    is_date = axis.kind != "int"
    cut = start
    pre = _before(data, kw["tname"], cut, is_date)
    ctrl = _before(control, kw["tname"], cut, is_date)
    out: list[float] = []
    h = step
    while np.sum(t_obs < t0 - h) >= min_pre:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                r = fit(pre, start=_shift(axis, start, h), control=ctrl, calibrate=False, **kw)
            out.append(float(r.level_change.statistic))
        except ValueError:
            pass
        h += step
    return out


def _control_frame(control, data, df, *, tname, yname, offset, family, dropna, notes, source):
    """Normalise the control argument to a DataFrame with tname, yname (and offset)."""
    if isinstance(control, str):
        if offset:
            raise ValueError(
                f"{source}: control={control!r} is a column, but an offset needs the control's own "
                f"population; pass a DataFrame with columns {tname!r}, {yname!r}, {offset!r}"
            )
        _check_columns(data, [control], source)
        cdf = pd.DataFrame({tname: data[tname].to_numpy(), yname: data[control].to_numpy()})
    elif isinstance(control, pd.Series):
        if offset:
            raise ValueError(f"{source}: an offset needs a control DataFrame with column {offset!r}")
        cdf = pd.DataFrame({tname: control.index.to_numpy(), yname: control.to_numpy()})
    elif isinstance(control, pd.DataFrame):
        cdf = control
    else:
        raise TypeError(f"control: expected a column name, Series or DataFrame, got {type(control).__name__}")
    cdf, cnotes = _prepare_series(cdf, yname=yname, tname=tname, offset=offset, family=family,
                                  dropna=dropna, source=source + " control")
    notes.extend("control: " + n for n in cnotes)
    return cdf


def fit_many(
    data: pd.DataFrame,
    *,
    by: str,
    yname: str,
    tname: str,
    start: Any,
    family: Family = "quasipoisson",
    exposure: str | None = None,
    offset: str | None = None,
    seasonality: int = 2,
    period: float = 12,
    slope_change: bool = True,
    cov_type: CovType = "hac",
    hac_lags: int | None = None,
    season: str | None = None,
    small_sample: bool = True,
    alpha: float = 0.05,
    errors: Literal["raise", "nan"] = "nan",
    control: Literal["auto", "others"] | Sequence[Any] | None = "auto",
    calibrate: bool = False,
) -> pd.DataFrame:
    """Fit :func:`fit` to every series in a long panel at once (vectorised IRLS).

    Gives the same numbers as calling :func:`fit` per series (tested), in a fraction of the time:
    all series share one batched IRLS over a (series x period x term) design array.

    Comparison series (controlled ITS) where they exist: a series without a start (``None``/``NaT``
    in the mapping or the start column) is a comparison series, and with ``control="auto"`` (the
    default) every series with a start is fitted against the pooled comparison series (their sum per
    period, offsets summed) by :func:`fit` with ``control=``; the comparison series get no rows.
    Why this is the default: on the real police counts of 's-Gravenhage (37 wijken, 12 crime types
    and their total, placebo starts 2013-07 to 2015-07) the single-series model rejects a true "no
    change" in 8.1-18.9% of the total-crime series (the city-wide decline is not a straight line on
    the log scale, and every wijk shares that curve), the controlled model in 3.8% of them and in 2.3%
    of the single crime types (``benchmarks/results/its_placebo.md``). A single series is only
    fitted alone when no comparison series exists.

    Parameters
    ----------
    by : str
        Column identifying the series (e.g. ``"unit"`` / ``"wijkraad_id"``).
    start : scalar, Mapping or str
        Common first intervention period, a mapping ``{unit: start}``, or the name of a column
        holding each series' start (constant within a series).
    errors : {"nan", "raise"}
        What to do with a series that cannot be fitted (too few pre-periods, all zero, missing
        outcome, no convergence): a row of NaN with the reason in ``note`` (default) or raise.
    control : {"auto", "others"}, sequence of series ids, or None
        ``"auto"``: the series without a start are the comparison pool (none: every series alone).
        ``"others"``: every series against the pooled sum of all the other series (a placebo study of
        one outcome in which no series is treated). A sequence: those series are the pool (a series is
        never part of its own comparison). ``None``: every series alone; a missing start is an error.
        Controlled fits run series by series through :func:`fit` (not batched: about 20 ms each).
    calibrate : bool
        Placebo-in-time calibration per series, as :func:`fit` (the fake-start fits are batched too);
        column ``placebo_starts`` says how many fake starts each series had.
    Other parameters as in :func:`fit` (``exposure`` is logged, ``offset`` is on the log scale;
    outcome NaN is an error per series).

    Returns
    -------
    DataFrame
        One row per series and term: ``by``, :data:`TIDY_COLUMNS`, ``scale``, ``dispersion``,
        ``n_obs``, ``hac_lags``, ``converged``, ``note``. Estimates on the reporting scale.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> panel = pd.DataFrame({"wijk": np.repeat(["a", "b"], 60), "t": np.tile(np.arange(1, 61), 2)})
    >>> panel["y"] = rng.poisson(50, len(panel))
    >>> out = fit_many(panel, by="wijk", yname="y", tname="t", start=31, seasonality=0)
    >>> sorted(out.loc[out.term == "level_change", "wijk"])
    ['a', 'b']
    """
    _validate_options(family, cov_type, seasonality, period, hac_lags)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    data, _, offset = _exposure_column(data, None, offset=offset, exposure=exposure, family=family,
                                       source="its.fit_many")
    start_col = start if isinstance(start, str) and start in data.columns else None
    cols = [by, tname, yname] + ([offset] if offset else []) + ([start_col] if start_col else [])
    cols += [season] if season else []
    if season is None and "month" in data.columns and not pd.api.types.is_datetime64_any_dtype(data[tname]):
        cols.append("month")
    _check_columns(data, cols, "its.fit_many")
    df = data.loc[:, list(dict.fromkeys(cols))].copy()
    source = "its.fit_many"
    if df[tname].isna().any():
        raise ValueError(f"{source}: column {tname!r} has missing periods")
    dup = df.duplicated([by, tname])
    if dup.any():
        r = df.loc[dup].iloc[0]
        raise ValueError(f"{source}: duplicate period {r[tname]!r} for {by}={r[by]!r}; expected one row per period")
    _check_values(df, yname, tname, source, family=family)
    if offset:
        _check_values(df, offset, tname, source, family=family, positive=True)
    axis = _time_axis(df[tname], tname, source)
    gidx = axis.index(df[tname]).astype(int)  # grid position, 0 = first period of the panel
    s_all, season_note = _season_values(df, axis, tname, season, period)
    units = pd.unique(df[by])
    G = len(units)
    T = int(gidx.max()) + 1
    g_of = pd.Index(units).get_indexer(df[by])
    first = np.full(G, np.iinfo(np.int64).max)
    np.minimum.at(first, g_of, gidx)
    # per-series start (grid position)
    if start_col is not None:
        n_start = df.groupby(by, sort=False)[start_col].nunique(dropna=False)
        if (n_start > 1).any():
            u = n_start.index[n_start > 1][0]
            raise ValueError(f"{source}: column {start_col!r} is not constant within {by}={u!r}")
        start_vals = df.groupby(by, sort=False)[start_col].first().reindex(units).tolist()
    elif isinstance(start, Mapping):
        missing = [u for u in units if u not in start]
        if missing:
            raise KeyError(f"{source}: start mapping has no entry for {by}={missing[0]!r}")
        start_vals = [start[u] for u in units]
    else:
        start_vals = [start] * G
    no_start = np.array([_no_start(sv) for sv in start_vals], bool)
    pool = _control_pool(control, units, no_start, by, source)
    if pool is not None:
        return _fit_many_controlled(
            df, by=by, units=units, start_vals=start_vals, no_start=no_start, pool=pool, yname=yname,
            tname=tname, offset=offset, season=season, errors=errors, control=control,
            fit_kw=dict(family=family, seasonality=seasonality, period=period, slope_change=slope_change,
                        cov_type=cov_type, hac_lags=hac_lags, small_sample=small_sample, alpha=alpha,
                        calibrate=calibrate))
    cache: dict[Any, float] = {}
    for sv in start_vals:  # few distinct starts: convert each once
        if sv not in cache:
            cache[sv] = _start_index(axis, sv, tname)
    start_pos = np.array([cache[sv] for sv in start_vals], float)

    y = np.zeros((G, T))
    off = np.zeros((G, T))
    mask = np.zeros((G, T), bool)
    seas = np.zeros((G, T))
    yv = pd.to_numeric(df[yname], errors="coerce").to_numpy(float)
    notes = [""] * G
    bad = np.zeros(G, bool)
    nan_rows = np.isnan(yv)
    if offset:
        nan_rows |= np.isnan(pd.to_numeric(df[offset], errors="coerce").to_numpy(float))
    y[g_of, gidx] = np.where(nan_rows, 0.0, yv)
    mask[g_of, gidx] = ~nan_rows
    seas[g_of, gidx] = s_all
    if offset:
        off[g_of, gidx] = np.log(np.where(nan_rows, 1.0, df[offset].to_numpy(float)))
    for g in np.flatnonzero(np.bincount(g_of[nan_rows], minlength=G)):
        notes[g] = f"missing {yname!r} in {int(np.sum(nan_rows & (g_of == g)))} period(s)"
        bad[g] = True
    # seasonal position on the grid must not depend on the series (calendar) for missing cells
    if season is None and axis.kind != "int":
        grid_dates = _grid_values(axis, T)
        seas = np.broadcast_to(_season_values(pd.DataFrame({tname: grid_dates}), axis, tname, None, period)[0],
                               (G, T)).copy()
    t = np.arange(T)[None, :] - first[:, None] + 1.0  # 1 = first observed period of the series
    t0 = start_pos - first + 1.0
    X, names = _design(t, seas, t0[:, None], seasonality=seasonality, period=period, slope_change=slope_change)
    k = len(names)
    k_pre = 2 + 2 * seasonality
    n_pre = np.sum(mask & (t < t0[:, None]), axis=1)
    n_post = np.sum(mask & (t >= t0[:, None]), axis=1)
    ysum = np.sum(np.where(mask, y, 0.0), axis=1)
    grid_vals = _grid_values(axis, T)
    ok_fast = (n_pre >= k_pre + 1) & (n_post >= (2 if slope_change else 1)) & (ysum > 0)
    for g in np.flatnonzero(~ok_fast):  # only the series that fail get a (slow) message
        if bad[g]:
            continue
        try:
            _check_pre_post(int(n_pre[g]), int(n_post[g]), k_pre, slope_change, start_vals[g],
                            grid_vals[first[g]], f"{source} {by}={units[g]!r}")
            if _is_log_link(family) and ysum[g] == 0:
                raise ValueError(f"{source} {by}={units[g]!r}: {yname!r} is zero in every period")
        except ValueError as exc:
            if errors == "raise":
                raise
            notes[g], bad[g] = str(exc), True
    if _is_log_link(family):
        post_grid = t >= t0[:, None]
        for g in np.flatnonzero(~bad):
            msg = _zero_part(y[g], mask[g], post_grid[g], "series", yname)
            if msg:
                notes[g], bad[g] = msg, True
    if errors == "raise" and bad.any():
        g = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{source} {by}={units[g]!r}: {notes[g]}")
    if T < k:
        raise ValueError(f"{source}: the panel spans {T} periods, fewer than the {k} model terms {names}")
    xtx = _xtwx(X, mask.astype(float))
    rank_ok = np.linalg.matrix_rank(xtx) == k
    for g in np.flatnonzero(~rank_ok & ~bad):
        notes[g], bad[g] = "design matrix is rank deficient", True
    # bad series are fitted on a harmless dummy (identity block) so the batch stays well posed
    mask_fit = mask.copy()
    mask_fit[bad] = True
    y_fit = np.where(bad[:, None], 1.0, y)
    X_fit = X.copy()
    X_fit[bad] = np.eye(T, k)  # any full-rank block
    f = _fit_core(X_fit, y_fit, np.where(bad[:, None], 0.0, off), mask_fit, family)
    if _is_log_link(family):
        # the same separation check as fit(): the LP only for series whose fitted means collapsed
        for g in np.flatnonzero(~bad):
            if _collapsed(f.mu[g], y[g], mask[g]):
                sep = _separating_direction(X[g, mask[g]], y[g, mask[g]])
                if sep is not None:
                    notes[g], bad[g] = _separation_message(int(sep.sum()), yname, names), True
                    if errors == "raise":
                        raise ValueError(f"{source} {by}={units[g]!r}: {notes[g]}")
    n_obs = mask.sum(axis=1)
    lags = np.array([default_hac_lags(int(tt)) for tt in (T - first)]) if hac_lags is None else np.full(G, hac_lags)
    with np.errstate(all="ignore"):
        V = _covariance(f, X_fit, y_fit, mask_fit, cov_type, lags, family, small_sample=small_sample)
    # series that could not be fitted carry a dummy fit: no variance; the others' sandwich
    # variances are non-negative (separated series are flagged above), so no clipping is needed
    se = np.sqrt(np.where(bad[:, None], np.nan, np.diagonal(V, axis1=1, axis2=2)))
    dof = (n_obs - k).astype(float)
    use_t = cov_type == "hac" and small_sample
    n_fake = np.zeros(G, int)
    if calibrate:
        z_fake = _placebo_in_time_many(
            df, by=by, units=units, start_pos=start_pos, mask=mask, axis=axis, T=T, period=period,
            kw=dict(yname=yname, tname=tname, family=family, exposure=offset, seasonality=seasonality, period=period,
                    slope_change=slope_change, cov_type=cov_type, hac_lags=hac_lags, season=season,
                    small_sample=small_sample, alpha=alpha))
        for g in range(G):
            c, dof[g] = _calibration_scale(z_fake[g], dof[g])
            se[g] *= c
            n_fake[g] = int(np.sum(np.isfinite(z_fake[g])))
        use_t = True
    if use_t:
        crit = special.stdtrit(np.where(dof > 0, dof, 1), 1 - alpha / 2)
    else:
        crit = np.full(G, special.ndtri(1 - alpha / 2))
    beta = f.beta
    with np.errstate(all="ignore"):
        z = beta / se
        p = 2 * (special.stdtr(np.where(dof > 0, dof, 1)[:, None], -np.abs(z)) if use_t else special.ndtr(-np.abs(z)))
    lo = beta - crit[:, None] * se
    hi = beta + crit[:, None] * se
    ratio = _is_log_link(family)
    est = np.exp(beta) if ratio else beta
    if ratio:
        lo, hi = np.exp(lo), np.exp(hi)
    nonconv = ~f.converged & ~bad
    for g in np.flatnonzero(nonconv):
        notes[g] = "IRLS did not converge"
    invalid = bad | nonconv
    disp = f.alpha if family == "negbin" else f.dispersion
    arrs = [est, se, z, p, lo, hi]
    arrs = [np.where(invalid[:, None], np.nan, a) for a in arrs]
    out = pd.DataFrame(
        {
            by: np.repeat(units, k),
            "term": np.tile(names, G),
            **{c: a.ravel() for c, a in zip(TIDY_COLUMNS[1:], arrs, strict=True)},
        }
    )
    out["scale"] = "ratio" if ratio else "difference"
    out["dispersion"] = np.repeat(np.where(invalid, np.nan, disp), k)
    out["n_obs"] = np.repeat(n_obs, k)
    out["hac_lags"] = np.repeat(lags if cov_type == "hac" else np.full(G, -1), k)
    out["converged"] = np.repeat(~invalid, k)
    out["note"] = np.repeat(np.array(notes, dtype=object), k)
    if calibrate:
        out["placebo_starts"] = np.repeat(n_fake, k)
    out.attrs["method"] = {
        "estimator": "its.fit_many", "family": family, "cov_type": cov_type, "calibrate": calibrate,
        "ci": ("t(placebo starts + 2)" if calibrate else "t(n-k)") if use_t else "normal",
        "inference": _inference_label(cov_type, small_sample, family),
        "seasonality": seasonality, "period": period,
        "season_source": season_note if seasonality else None, "slope_change": slope_change,
        "n_units": G, "n_periods": T, "controlled": False,
    }
    return out


def _placebo_in_time_many(df: pd.DataFrame, *, by: str, units: np.ndarray, start_pos: np.ndarray, mask: np.ndarray,
                          axis: _TimeAxis, T: int, period: float, kw: dict[str, Any]) -> list[list[float]]:
    """:func:`_placebo_in_time` for every series of fit_many at once (one batched fit per fake start)."""
    step = max(1, int(round(period / 2)))
    min_pre = max(int(round(period)), 2 + 2 * int(kw["seasonality"]) + 1)
    tname = kw["tname"]
    grid = _grid_values(axis, T)
    pos = axis.index(df[tname]).astype(int)
    g_of = pd.Index(units).get_indexer(df[by])
    pre = df.loc[pos < start_pos[g_of]]
    observed_before = np.cumsum(mask, axis=1)  # observed periods up to and including each position
    out: list[list[float]] = [[] for _ in units]
    h = step
    while True:
        fake = start_pos.astype(int) - h
        n_before = np.where(fake > 0, observed_before[np.arange(len(units)), np.clip(fake - 1, 0, T - 1)], 0)
        use = n_before >= min_pre
        if not use.any():
            break
        ids = units[use]
        sub = pre.loc[pre[by].isin(ids)]
        starts = {u: grid[f] for u, f in zip(ids, fake[use], strict=True)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = fit_many(sub, by=by, start=starts, errors="nan", control=None, calibrate=False, **kw)
        lc = res.loc[res["term"] == "level_change"].set_index(by)["statistic"]
        for g in np.flatnonzero(use):
            z = lc.get(units[g], np.nan)
            if np.isfinite(z):
                out[g].append(float(z))
        h += step
    return out


def _no_start(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or other container is not "missing"
        return False


def _control_pool(control: Any, units: np.ndarray, no_start: np.ndarray, by: str, source: str) -> list[Any] | None:
    """The comparison series of a controlled fit_many, or None for series fitted alone."""
    if control is None or (isinstance(control, str) and control == "auto"):
        if not no_start.any():
            return None
        if control is None:
            u = units[int(np.flatnonzero(no_start)[0])]
            raise ValueError(f"{source}: no start for {by}={u!r}; pass control='auto' to use the series "
                             "without a start as comparison series, or give every series a start")
        return [u for u, miss in zip(units, no_start, strict=True) if miss]
    if isinstance(control, str):
        if control != "others":
            raise ValueError(f"{source}: control={control!r}; expected 'auto', 'others', None or a list of "
                             f"{by} values")
        if no_start.any():
            u = units[int(np.flatnonzero(no_start)[0])]
            raise ValueError(f"{source}: control='others' needs a start for every series; {by}={u!r} has none")
        return list(units)
    ids = list(control)
    known = set(units.tolist())
    unknown = [c for c in ids if c not in known]
    if unknown:
        raise KeyError(f"{source}: control series {unknown[:5]!r} not found in column {by!r}")
    if not ids:
        raise ValueError(f"{source}: control is an empty list; expected at least one comparison series")
    return ids


def _controlled_names(seasonality: int, slope_change: bool) -> list[str]:
    n_int = 4 if slope_change else 3
    seas = [f"{f}{k}" for k in range(1, seasonality + 1) for f in ("sin", "cos")]
    return (["intercept", "time", "post", "post_slope"][:n_int] + seas
            + ["group", "group:time", "level_change", "slope_change"][:n_int])


def _fit_many_controlled(df: pd.DataFrame, *, by: str, units: np.ndarray, start_vals: list[Any],
                         no_start: np.ndarray, pool: list[Any], yname: str, tname: str, offset: str | None,
                         season: str | None, errors: str, control: Any, fit_kw: dict[str, Any]) -> pd.DataFrame:
    """fit_many with comparison series: every series with a start against the pooled others, by :func:`fit`."""
    source = "its.fit_many"
    y_wide = df.pivot(index=tname, columns=by, values=yname).apply(pd.to_numeric, errors="coerce")
    off_wide = df.pivot(index=tname, columns=by, values=offset).apply(pd.to_numeric, errors="coerce") if offset else None
    names = _controlled_names(int(fit_kw["seasonality"]), bool(fit_kw["slope_change"]))
    keep = [c for c in df.columns if c in (tname, yname, offset, season, "month") and c is not None]
    frames = []
    for u, sv, miss in zip(units, start_vals, no_start, strict=True):
        if miss:
            continue
        others = [c for c in pool if c != u]
        note, res = "", None
        if not others:
            note = "no comparison series (the only series of the pool is this one)"
        else:
            cy = y_wide[others]
            ok = cy.notna().all(axis=1)
            if off_wide is not None:
                ok &= off_wide[others].notna().all(axis=1)
            # a period is compared only when every comparison series has it (no partial sums)
            cdf = pd.DataFrame({tname: cy.index[ok], yname: cy.loc[ok].sum(axis=1).to_numpy()})
            if off_wide is not None:
                cdf[offset] = off_wide.loc[ok, others].sum(axis=1).to_numpy()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    res = fit(df.loc[df[by] == u, keep], yname=yname, tname=tname, start=sv, exposure=offset,
                              season=season, control=cdf, **fit_kw)
            except ValueError as exc:
                if errors == "raise":
                    raise ValueError(f"{source} {by}={u!r}: {exc}") from exc
                note = str(exc)
        if res is not None:
            t = res.tidy()
            t["dispersion"] = res.dispersion
            t["n_obs"] = res.method["n_obs"]
            t["hac_lags"] = res.method["hac_lags"] if res.method["hac_lags"] is not None else -1
            t["converged"] = res.method["converged"]
            t["note"] = "" if res.method["converged"] else "IRLS did not converge"
            t["scale"] = res.level_change.scale
            cal = res.method.get("calibration")
            t["placebo_starts"] = cal["placebo_starts"] if cal else 0
        else:
            t = pd.DataFrame({"term": names})
            for c in TIDY_COLUMNS[1:]:
                t[c] = np.nan
            t["dispersion"], t["n_obs"], t["hac_lags"], t["converged"], t["note"] = np.nan, 0, -1, False, note
            t["scale"] = "ratio" if _is_log_link(fit_kw["family"]) else "difference"
            t["placebo_starts"] = 0
        t.insert(0, by, u)
        frames.append(t)
    cols = [by, *TIDY_COLUMNS, "scale", "dispersion", "n_obs", "hac_lags", "converged", "note"]
    cols += ["placebo_starts"] if fit_kw["calibrate"] else []
    out = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    out["n_obs"] = out["n_obs"].astype("int64")
    out["hac_lags"] = out["hac_lags"].astype("int64")
    out["converged"] = out["converged"].astype(bool)
    small = fit_kw["small_sample"]
    use_t = fit_kw["cov_type"] == "hac" and small
    out.attrs["method"] = {
        "estimator": "its.fit_many", "family": fit_kw["family"], "cov_type": fit_kw["cov_type"],
        "calibrate": fit_kw["calibrate"],
        "ci": ("t(placebo starts + 2)" if fit_kw["calibrate"] else "t(n-k)") if use_t or fit_kw["calibrate"] else "normal",
        "inference": _inference_label(fit_kw["cov_type"], small, fit_kw["family"]),
        "seasonality": fit_kw["seasonality"], "period": fit_kw["period"], "slope_change": fit_kw["slope_change"],
        "controlled": True, "control": control if isinstance(control, str) else "list",
        "n_control_series": len(pool), "n_units": int((~no_start).sum()), "n_periods": int(y_wide.shape[0]),
    }
    return out


def _inference_label(cov_type: str, small_sample: bool, family: str) -> str:
    if cov_type == "nonrobust":
        disp = {"quasipoisson": "Pearson dispersion", "gaussian": "residual variance",
                "negbin": "NB2 alpha fixed at ML", "poisson": "dispersion 1"}[family]
        return f"model-based ({disp}), normal quantiles"
    if small_sample:
        return "Newey-West HAC, small-sample: HC3 leverage, AR(1) floor, t(n-k) quantiles"
    return "Newey-West HAC (Bartlett, no prewhitening), normal quantiles"


def _grid_values(axis: _TimeAxis, T: int) -> np.ndarray:
    if axis.kind == "int":
        return np.arange(T) + axis.origin
    if axis.kind == "month":
        return pd.date_range(axis.origin, periods=T, freq="MS").to_numpy()
    return pd.date_range(axis.origin, periods=T, freq="7D").to_numpy()
