"""JSON-safe conversion of DataFrames and scalars for the evaluation export (stable across runs).

JSON has no NaN, NaT or infinity and no column types, so a naive export is lossy: a NaN estimate comes
back as ``None`` (and ``Measure.relative()`` then fails on ``None / float``), a float column with a
missing value comes back as ``object``, dates come back as strings. This module makes the round trip
exact while keeping the JSON plain (missing values are ``null``):

* frames (:func:`frame_to_records` / :func:`records_to_frame`) carry their column dtypes, so a ``null``
  is restored as ``NaN``/``NaT``/``<NA>`` according to its column and dates become timestamps again;
  cells holding ``inf``/``-inf`` are listed under ``"nonfinite"``;
* nested dicts (:func:`to_jsonable` / :func:`from_jsonable`) list their keys whose value was a non-finite
  float under ``"_nonfinite"`` (``{"p_value": "nan"}``), so ``NaN`` and ``None`` stay distinct;
* :func:`fill_float_fields` turns ``null`` back into ``NaN`` for dataclass fields typed plain ``float``
  (``None`` is never a valid value there), which also reads files written before the markers existed.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import pandas_dtype

#: Key under which :func:`to_jsonable` lists a dict's non-finite float values.
NONFINITE_KEY = "_nonfinite"
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _timestamp_text(ts: pd.Timestamp) -> str:
    # Dates (the usual case: periods, start dates) stay "YYYY-MM-DD"; a time of day or a time zone
    # would be lost that way, so those are written in full ISO form.
    if ts.tzinfo is None and ts == ts.normalize():
        return ts.strftime("%Y-%m-%d")
    return ts.isoformat()


def clean_value(v: Any) -> Any:
    """A JSON-safe Python scalar: NaN/NA -> None, numpy -> Python, Timestamp -> ISO date string.

    Examples
    --------
    >>> clean_value(np.float64("nan")), clean_value(np.int64(3)), clean_value(pd.Timestamp("2024-05-01"))
    (None, 3, '2024-05-01')
    """
    if v is None:
        return None
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        ts = pd.Timestamp(v)
        return None if pd.isna(ts) else _timestamp_text(ts)
    if isinstance(v, pd.Period):
        return str(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(v, dict):
        return {str(k): clean_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean_value(x) for x in v]
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def _nonfinite_name(v: Any) -> str | None:
    if isinstance(v, (float, np.floating)) and not math.isfinite(float(v)):
        return "nan" if math.isnan(float(v)) else ("inf" if float(v) > 0 else "-inf")
    return None


def to_jsonable(obj: Any) -> Any:
    """:func:`clean_value` for a nested structure, recording which dict values were NaN/inf floats.

    A dict whose values include non-finite floats gets an extra key ``"_nonfinite"`` mapping those keys
    to ``"nan"``, ``"inf"`` or ``"-inf"``; the values themselves are written as ``null``.
    :func:`from_jsonable` is the inverse.

    Examples
    --------
    >>> to_jsonable({"estimate": float("nan"), "p_value": None, "n": np.int64(3)})
    {'estimate': None, 'p_value': None, 'n': 3, '_nonfinite': {'estimate': 'nan'}}
    """
    if isinstance(obj, dict):
        out = {str(k): to_jsonable(v) for k, v in obj.items()}
        marks = {str(k): name for k, v in obj.items() if (name := _nonfinite_name(v)) is not None}
        if marks:
            if NONFINITE_KEY in obj:
                raise ValueError(f"dict has its own key {NONFINITE_KEY!r}; it is reserved for the JSON export")
            out[NONFINITE_KEY] = marks
        return out
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(x) for x in obj]
    return clean_value(obj)


def from_jsonable(obj: Any) -> Any:
    """Inverse of :func:`to_jsonable`: put NaN/inf back where ``"_nonfinite"`` says (new objects).

    Examples
    --------
    >>> from_jsonable({"estimate": None, "p_value": None, "_nonfinite": {"estimate": "nan"}})
    {'estimate': nan, 'p_value': None}
    """
    if isinstance(obj, dict):
        out = {k: from_jsonable(v) for k, v in obj.items() if k != NONFINITE_KEY}
        for k, name in (obj.get(NONFINITE_KEY) or {}).items():
            if k not in out or out[k] is not None or name not in _NONFINITE:
                raise ValueError(
                    f"{NONFINITE_KEY}: key {k!r} = {name!r} with value {out.get(k, '<absent>')!r}; expected a "
                    f"null value and one of {sorted(_NONFINITE)}"
                )
            out[k] = _NONFINITE[name]
        return out
    if isinstance(obj, list):
        return [from_jsonable(x) for x in obj]
    return obj


def fill_float_fields(d: dict[str, Any] | None, cls: type) -> dict[str, Any] | None:
    """A copy of ``d`` with ``None`` -> NaN for the fields of dataclass ``cls`` typed plain ``float``.

    Fields typed ``float | None`` are left alone: there ``None`` is a valid value of its own.

    Examples
    --------
    >>> from wijklib.monitor.verdict import Measure
    >>> fill_float_fields({"estimate": None, "conf_low": 0.5, "p_value": None}, Measure)
    {'estimate': nan, 'conf_low': 0.5, 'p_value': None}
    """
    if d is None:
        return None
    hints = typing.get_type_hints(cls)
    plain = {f.name for f in dataclasses.fields(cls) if hints.get(f.name) is float}
    return {k: (math.nan if v is None and k in plain else v) for k, v in d.items()}


# --------------------------------------------------------------------------------------------
# frames
# --------------------------------------------------------------------------------------------
def frame_to_records(df: pd.DataFrame) -> dict[str, Any]:
    """``{"columns": [...], "dtypes": [...], "records": [[...], ...]}``: keeps column order, dtypes and
    empty frames' columns; ``"nonfinite"`` lists ``[row, column, "inf"|"-inf"]`` cells when there are any.

    Examples
    --------
    >>> frame_to_records(pd.DataFrame({"a": [1.5, float("nan")], "b": [1, 2]}))
    {'columns': ['a', 'b'], 'dtypes': ['float64', 'int64'], 'records': [[1.5, 1], [None, 2]]}
    """
    out: dict[str, Any] = {
        "columns": [str(c) for c in df.columns],
        "dtypes": [str(t) for t in df.dtypes],
        "records": [[clean_value(v) for v in row] for row in df.itertuples(index=False, name=None)],
    }
    # NaN in a float column is implied by the dtype; infinities are not, so they are listed.
    inf = [
        [i, j, name]
        for j in range(df.shape[1])
        if pd.api.types.is_float_dtype(df.dtypes.iloc[j])
        for i, v in enumerate(df.iloc[:, j])
        if (name := _nonfinite_name(v)) in ("inf", "-inf")
    ]
    if inf:
        out["nonfinite"] = inf
    return out


def _restore_column(values: list[Any], dtype: str, where: str) -> pd.Series:
    try:
        target = pandas_dtype(dtype)
    except TypeError as exc:
        raise ValueError(f"{where}: dtype {dtype!r} is not a pandas dtype") from exc
    s = pd.Series(values, dtype=object)
    if target == np.dtype(object):
        return s
    try:
        if isinstance(target, pd.DatetimeTZDtype) or (isinstance(target, np.dtype) and target.kind == "M"):
            return pd.to_datetime(s, utc=isinstance(target, pd.DatetimeTZDtype), format="ISO8601").astype(target)
        if isinstance(target, np.dtype) and target.kind == "f":
            return s.where(s.notna(), np.nan).astype(target)
        return s.astype(target)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: values {values[:3]!r}... do not convert to dtype {dtype!r}: {exc}") from exc


def records_to_frame(d: dict[str, Any]) -> pd.DataFrame:
    """Inverse of :func:`frame_to_records`: the same columns, dtypes and values (``null`` -> NaN/NaT/NA
    according to the column's dtype, ISO strings -> timestamps in datetime columns).

    Records written without ``"dtypes"`` (older files) get the dtypes pandas infers.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1.5, float("nan")], "t": pd.to_datetime(["2024-01-01", None])})
    >>> records_to_frame(frame_to_records(df)).equals(df)
    True
    """
    cols, recs = list(d["columns"]), list(d["records"])
    for i, r in enumerate(recs):
        if len(r) != len(cols):
            raise ValueError(f"records row {i}: {len(r)} values; expected {len(cols)} (columns {cols})")
    dtypes = d.get("dtypes")
    if dtypes is None:
        return pd.DataFrame(recs, columns=cols) if recs else pd.DataFrame(columns=cols)
    if len(dtypes) != len(cols):
        raise ValueError(f"records: {len(dtypes)} dtypes for {len(cols)} columns {cols}")
    values = [[r[j] for r in recs] for j in range(len(cols))]
    for i, j, name in d.get("nonfinite", ()):
        values[j][i] = _NONFINITE[name]
    if not cols:
        return pd.DataFrame(index=pd.RangeIndex(len(recs)))
    series = [_restore_column(v, t, f"column {c!r}") for v, t, c in zip(values, dtypes, cols, strict=True)]
    out = pd.concat(series, axis=1, ignore_index=True)
    out.columns = cols  # positional: duplicate column names survive too
    return out
