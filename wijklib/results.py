"""Shared building blocks for estimator results: one effect, and the tidy-table contract.

Every estimator result in wijklib is immutable and exposes ``.tidy()`` with at least
:data:`TIDY_COLUMNS`; summaries, confidence intervals and plots are derived from that table.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]

Scale = Literal["difference", "ratio"]


@dataclass(frozen=True)
class Effect:
    """One estimated effect on its reporting scale.

    For ``scale="ratio"`` (log-link models) ``estimate``/``conf_low``/``conf_high`` are rate ratios
    (exp of the linear-scale values) and ``std_error`` is the SE of the log rate ratio.

    Examples
    --------
    >>> e = Effect.from_linear("niveau", 0.1, 0.05, scale="difference")
    >>> round(e.conf_low, 4)
    0.002
    """

    term: str
    estimate: float
    std_error: float
    conf_low: float
    conf_high: float
    p_value: float
    statistic: float = math.nan
    scale: Scale = "difference"
    alpha: float = 0.05
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_linear(
        cls,
        term: str,
        coef: float,
        se: float,
        *,
        scale: Scale = "difference",
        alpha: float = 0.05,
        df: float | None = None,
        p_value: float | None = None,
        crit: float | None = None,
        **extra: Any,
    ) -> Effect:
        """Build from a linear-scale coefficient and SE (normal or t with ``df``)."""
        from scipy import stats  # lazy: scipy.stats costs ~1 s at import in a fresh kernel

        # Unfrozen calls: freezing stats.t(df) builds a docstring each time (~1 ms, most of an event
        # study's per-term cost).
        args = () if df is None else (df,)
        dist = stats.norm if df is None else stats.t
        z = coef / se if se and se > 0 else math.nan
        if p_value is None:
            p_value = float(2 * dist.sf(abs(z), *args)) if np.isfinite(z) else math.nan
        q = crit if crit is not None else float(dist.ppf(1 - alpha / 2, *args))
        lo, hi = coef - q * se, coef + q * se
        if scale == "ratio":
            return cls(term, math.exp(coef), se, math.exp(lo), math.exp(hi), p_value, z, scale, alpha, extra)
        return cls(term, coef, se, lo, hi, p_value, z, scale, alpha, extra)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        extra = d.pop("extra")
        d.update(extra)
        return d

    @property
    def significant(self) -> bool:
        """True when the (1 - alpha) interval excludes the null (0, or 1 for ratios)."""
        null = 1.0 if self.scale == "ratio" else 0.0
        return bool(self.conf_low > null or self.conf_high < null)


def print_or_return(text: str, as_string: bool) -> str | None:
    """What a result's ``summary(as_string=...)`` does with its text: print it, or return it.

    Examples
    --------
    >>> print_or_return("effect 0.1", as_string=True)
    'effect 0.1'
    """
    if as_string:
        return text
    print(text)
    return None


def tidy_frame(effects: list[Effect]) -> pd.DataFrame:
    """Stack effects into a tidy DataFrame with :data:`TIDY_COLUMNS` first.

    Examples
    --------
    >>> tidy_frame([Effect.from_linear("niveau", 0.1, 0.05)]).columns[:3].tolist()
    ['term', 'estimate', 'std_error']
    """
    rows = [e.to_dict() for e in effects]
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=TIDY_COLUMNS)
    rest = [c for c in df.columns if c not in TIDY_COLUMNS]
    return df[TIDY_COLUMNS + rest]
