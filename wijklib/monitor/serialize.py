"""JSON-safe conversion of DataFrames and scalars for the evaluation export (stable across runs)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def clean_value(v: Any) -> Any:
    """A JSON-safe Python scalar: NaN/NA -> None, numpy -> Python, Timestamp -> ISO date string."""
    if v is None:
        return None
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        ts = pd.Timestamp(v)
        return None if pd.isna(ts) else ts.strftime("%Y-%m-%d")
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


def frame_to_records(df: pd.DataFrame) -> dict[str, Any]:
    """``{"columns": [...], "records": [[...], ...]}``: keeps column order and empty frames' columns."""
    return {
        "columns": [str(c) for c in df.columns],
        "records": [[clean_value(v) for v in row] for row in df.itertuples(index=False, name=None)],
    }


def records_to_frame(d: dict[str, Any]) -> pd.DataFrame:
    """Inverse of :func:`frame_to_records` (dates stay ISO strings; numbers become floats/ints)."""
    return pd.DataFrame(d["records"], columns=d["columns"]) if d["records"] else pd.DataFrame(columns=d["columns"])
