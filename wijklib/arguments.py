"""The argument vocabulary the estimators share, checked in one place (did, its, synth).

- ``alpha``: 1 - confidence level, everywhere. ``alp`` (R ``did``'s name) is accepted as an alias;
  giving both, or a value outside (0, 1), is an error.
- ``seed``: ``int | None``, default :data:`wijklib.results.DEFAULT_SEED` in every estimator, so two
  identical calls give the same p-values; ``None`` draws fresh entropy.
- ``offset`` is always on the log scale (a column added to the linear predictor, as in pyfixest,
  fixest and statsmodels); ``exposure`` is a positive quantity (population, person-months) whose log
  is the offset. An offset whose values cannot be logs of any exposure (above
  :data:`MAX_LOG_OFFSET`) is refused with a pointer to ``exposure=``: the trap of passing a
  population as an offset gives an error, never a silently wrong rate ratio.

Examples
--------
>>> resolve_alpha(0.1, None, "att_gt"), resolve_alpha(0.05, 0.1, "att_gt")
(0.1, 0.1)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

#: A log offset above this is an exposure of more than e^30 ~ 1e13 units (no population or
#: person-time of a ward or city comes near): such a column is an exposure passed as an offset.
MAX_LOG_OFFSET = 30.0


def resolve_alpha(alpha: float | None, alp: float | None, where: str, *, default: float = 0.05) -> float:
    """The significance level from ``alpha`` or its alias ``alp`` (R ``did``), checked.

    ``alpha`` at its default and ``alp`` given: ``alp`` wins (an R-style call). Both given and
    different: an error.

    Examples
    --------
    >>> resolve_alpha(0.05, 0.1, "att_gt")
    0.1
    >>> resolve_alpha(2, None, "twfe")
    Traceback (most recent call last):
    ...
    ValueError: twfe: alpha=2; expected a number between 0 and 1 (e.g. 0.05)
    """
    if alp is not None:
        if alpha is not None and not math.isclose(alpha, default) and not math.isclose(alpha, alp):
            raise ValueError(f"{where}: alpha={alpha!r} and alp={alp!r} disagree; give one of them (alp is "
                             "R did's name for alpha)")
        alpha = alp
    if alpha is None:
        alpha = default
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.floating) or not 0 < float(alpha) < 1:
        raise ValueError(f"{where}: alpha={alpha!r}; expected a number between 0 and 1 (e.g. 0.05)")
    return float(alpha)


def check_seed(seed: Any, where: str) -> int | None:
    """``seed`` as given when it is ``None`` or a non-negative whole number, else a clear error.

    Examples
    --------
    >>> check_seed(7, "att_gt"), check_seed(None, "att_gt")
    (7, None)
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise ValueError(f"{where}: seed={seed!r}; expected a non-negative whole number or None")
    return int(seed)


def require_columns(data: pd.DataFrame, columns: dict[str, str | None], where: str) -> None:
    """Every named argument's column is in ``data`` (``None`` = not used).

    Examples
    --------
    >>> require_columns(pd.DataFrame({"y": [1]}), {"yname": "y", "weightsname": None}, "twfe")
    >>> require_columns(pd.DataFrame({"y": [1]}), {"offset": "lp"}, "poisson")
    Traceback (most recent call last):
    ...
    KeyError: "poisson: offset='lp' is not a column of the data; columns present: ['y']"
    """
    missing = {arg: col for arg, col in columns.items() if col is not None and col not in data.columns}
    if missing:
        arg, col = next(iter(missing.items()))
        raise KeyError(f"{where}: {arg}={col!r} is not a column of the data; columns present: {list(data.columns)}")


def log_offset(data: pd.DataFrame, *, offset: str | None, exposure: str | None, where: str,
               rows: Any = None) -> np.ndarray | None:
    """The log-scale offset of ``data`` from ``offset=`` (already a log) or ``exposure=`` (logged here).

    Returns ``None`` when neither is given. Missing values stay missing (NaN: the estimator leaves
    those rows out or refuses them, as it does for a missing outcome). Refuses both arguments at once,
    a value that is not a number (naming the column and row), an exposure <= 0, and an offset above
    :data:`MAX_LOG_OFFSET` (an exposure passed as an offset). ``rows`` (a boolean mask) restricts the
    check to the rows used.

    Examples
    --------
    >>> d = pd.DataFrame({"pop": [1000.0, 2000.0]})
    >>> log_offset(d, offset=None, exposure="pop", where="f").round(3).tolist()
    [6.908, 7.601]
    >>> log_offset(d, offset="pop", exposure=None, where="f")
    Traceback (most recent call last):
    ...
    ValueError: f: offset='pop' holds values up to 2000 (row 1), which are not on the log scale (a log offset above 30 would be an exposure of 1e+13); offset= takes the log of the exposure (e.g. log(population)); pass exposure='pop' to have it logged
    """
    if offset is not None and exposure is not None:
        raise ValueError(f"{where}: give offset= (log scale) or exposure= (logged here), not both "
                         f"(offset={offset!r}, exposure={exposure!r})")
    col = offset if offset is not None else exposure
    if col is None:
        return None
    arg = "offset" if offset is not None else "exposure"
    require_columns(data, {arg: col}, where)
    raw = data[col]
    vals = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    use = np.ones(len(vals), bool) if rows is None else np.asarray(rows, bool)
    bad = use & (np.isinf(vals) | (np.isnan(vals) & raw.notna().to_numpy()))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{where}: {arg}={col!r} holds {raw.iloc[i]!r} at row {i}; expected a finite number")
    use = use & np.isfinite(vals)
    if exposure is not None:
        nonpos = use & (vals <= 0)
        if nonpos.any():
            i = int(np.flatnonzero(nonpos)[0])
            raise ValueError(f"{where}: exposure={col!r} holds {float(vals[i])!r} at row {i}; an exposure (population, "
                             "person-time) must be positive (it is logged)")
        with np.errstate(divide="ignore"):
            return np.log(vals)
    big = use & (vals > MAX_LOG_OFFSET)
    if big.any():
        i = int(np.flatnonzero(use)[np.argmax(vals[use])])
        raise ValueError(
            f"{where}: offset={col!r} holds values up to {vals[i]:g} (row {i}), which are not on the log scale "
            f"(a log offset above {MAX_LOG_OFFSET:g} would be an exposure of {math.exp(MAX_LOG_OFFSET):.0e}); "
            f"offset= takes the log of the exposure (e.g. log(population)); pass exposure={col!r} to have it logged"
        )
    return vals


def check_choice(value: Any, allowed: Sequence[Any], name: str, where: str) -> None:
    """``value`` is one of ``allowed``, else an error naming the argument and the options.

    Examples
    --------
    >>> check_choice("dr", ("dr", "reg", "ipw"), "est_method", "att_gt")
    """
    if value not in allowed:
        raise ValueError(f"{where}: {name}={value!r}; expected one of {tuple(allowed)}")
