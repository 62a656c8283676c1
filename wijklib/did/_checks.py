"""Input checks and integer codes of the fixed-effects estimators (``twfe``, ``event_study``, ``poisson``,
the placebo event study): required columns, numeric columns, one row per unit and period, time and cohort
codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

# ----------------------------------------------------------------------------------------------
# input handling
# ----------------------------------------------------------------------------------------------


def _require_columns(data: pd.DataFrame, cols: dict[str, str | None]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    for arg, col in cols.items():
        if col is not None and col not in data.columns:
            raise KeyError(
                f"column {col!r} (argument {arg}=) not found in data; available columns: "
                f"{list(data.columns)}"
            )


def _numeric(data: pd.DataFrame, col: str, *, what: str) -> np.ndarray:
    """Column as float array; names the first offending row/value when not numeric."""
    s = data[col]
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=float)
    if not pd.api.types.is_numeric_dtype(s):
        conv = pd.to_numeric(s, errors="coerce")
        bad = conv.isna() & s.notna()
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(
                f"column {col!r} ({what}) must be numeric; row {pos} (index {s.index[pos]!r}) "
                f"holds {s.iloc[pos]!r}"
            )
        s = conv
    return s.to_numpy(dtype=float, na_value=np.nan)


def _check_unique(data: pd.DataFrame, idname: str, tname: str) -> None:
    """Raise when a (unit, period) pair occurs twice, naming the first duplicate row.

    Works on integer codes (a bincount) because pandas' ``duplicated`` on two object columns took
    over a second on 1.7 million rows.
    """
    u, _ = pd.factorize(data[idname])
    t, tu = pd.factorize(data[tname])
    key = u.astype(np.int64) * (len(tu) + 1) + t
    valid = (u >= 0) & (t >= 0)
    counts = np.bincount(key[valid]) if valid.any() else np.zeros(1, dtype=np.int64)
    if counts.max() > 1:
        kdup = int(np.flatnonzero(counts > 1)[0])
        pos = int(np.flatnonzero(valid & (key == kdup))[1])
        row = data.iloc[pos]
        raise ValueError(
            f"panel has duplicate ({idname}, {tname}) rows, e.g. row {pos} (index {data.index[pos]!r}): "
            f"{idname}={row[idname]!r}, {tname}={row[tname]!r}; expected one row per unit and period"
        )


def _check_constant_within(codes: np.ndarray, values: np.ndarray, n_groups: int, *, col: str,
                           idname: str, labels: np.ndarray) -> None:
    """Raise when ``values`` (integer codes) vary within a unit."""
    lo = np.full(n_groups, np.iinfo(np.int64).max)
    hi = np.full(n_groups, np.iinfo(np.int64).min)
    np.minimum.at(lo, codes, values)
    np.maximum.at(hi, codes, values)
    bad = np.flatnonzero(lo != hi)
    if len(bad):
        raise ValueError(
            f"cohort column {col!r} varies within unit {idname}={labels[bad[0]]!r}; expected one "
            "first-treated period per unit"
        )


def _time_codes(tvals: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer position of each period among the sorted distinct periods, and those periods."""
    codes, uniq = pd.factorize(tvals, sort=True)
    if (codes < 0).any():
        pos = int(np.flatnonzero(codes < 0)[0])
        raise ValueError(f"time column {tvals.name!r} has a missing value in row {pos}")
    return codes.astype(np.int64), np.asarray(uniq)


def _cohort_codes(gvals: pd.Series, times: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Map first-treatment periods to period positions.

    Returns positions (``-1`` = never treated within the panel, ``-2`` = treated before the first
    period, i.e. always treated) and counts of the special cases. 0, NaN and NaT mean never treated
    (R ``did`` / contracts convention).
    """
    g = gvals
    info = {"treated_after_panel": 0, "always_treated": 0}
    if pd.api.types.is_datetime64_any_dtype(g):
        never = g.isna().to_numpy()
        gv = g.to_numpy()
    else:
        num = pd.to_numeric(g, errors="coerce")
        bad = num.isna() & g.notna()
        if bad.any() and not pd.api.types.is_datetime64_any_dtype(pd.Series(times)):
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(
                f"cohort column {g.name!r} row {pos} holds {g.iloc[pos]!r}; expected the first "
                f"treated period (same type as the time column) or 0/NaN for never treated"
            )
        if pd.api.types.is_datetime64_any_dtype(pd.Series(times)):
            gd = pd.to_datetime(g.where(~(num == 0), pd.NaT), errors="coerce")
            never = gd.isna().to_numpy()
            gv = gd.to_numpy()
        else:
            never = (num.isna() | (num == 0)).to_numpy()
            gv = num.to_numpy(dtype=float, na_value=np.nan)
    out = np.full(len(g), -1, dtype=np.int64)
    treated = ~never
    if treated.any():
        tv = gv[treated]
        pos = np.searchsorted(times, tv, side="left")
        res = pos.copy()
        after = pos >= len(times)
        before = tv < times[0]
        res[after] = -1
        res[before] = -2
        info["treated_after_panel"] = int(after.sum())
        info["always_treated"] = int(before.sum())
        out[treated] = res
    return out, info
