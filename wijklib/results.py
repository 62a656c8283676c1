"""Shared building blocks for estimator results: one effect, and the tidy-table contract.

Every estimator result in wijklib is immutable and exposes ``.tidy()`` with at least
:data:`TIDY_COLUMNS`; summaries, confidence intervals and plots are derived from that table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

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


# ----------------------------------------------------------------------------------------------
# The result protocol every estimator result follows (docs/contracts.md, "Estimator results")
# ----------------------------------------------------------------------------------------------
#: Seed of every random draw (bootstrap, permutations, placebo orders, sup-t simulation) when the
#: caller gives none: two identical calls give the same p-value. ``seed=None`` asks for fresh
#: entropy (a different answer each call), as numpy's ``default_rng(None)``.
DEFAULT_SEED = 0

#: Columns every ``tidy()`` carries after :data:`TIDY_COLUMNS`: the reporting scale of the row
#: (``"difference"`` or ``"ratio"``) and the alpha of its interval.
PROTOCOL_COLUMNS = ["scale", "alpha"]

#: Keys every result's ``method`` record has, in this order (estimator-specific options follow).
METHOD_KEYS = ("estimator", "inference", "control_group", "seed", "alpha", "n_units", "n_periods", "notes")


def term_value(v: Any) -> str:
    """A value as it appears in a term: dates as ``YYYY-MM-DD``, whole numbers without ``.0``.

    Examples
    --------
    >>> term_value(pd.Timestamp("2021-03-01")), term_value(2004.0), term_value(-2)
    ('2021-03-01', '2004', '-2')
    """
    if isinstance(v, pd.Timestamp | np.datetime64):
        t = pd.Timestamp(v)
        return str(t.date()) if t == t.normalize() else t.isoformat()
    if isinstance(v, float | np.floating) and math.isfinite(v) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, np.integer):
        return str(int(v))
    return str(v)


def term(key: str, *values: Any) -> str:
    """A term of the one term grammar: ``<key>::<value>[:<value>...]``.

    Keys: ``event_time`` (periods since the start), ``group`` (cohort = first treated period),
    ``time`` (calendar period), ``cell`` (group-time cell, ``cell::<group>:<time>``); the headline
    of an aggregate is ``overall``; model coefficients keep their own names (``level_change``).

    Examples
    --------
    >>> term("cell", 2004, 2006), term("event_time", -1), term("group", pd.Timestamp("2020-01-01"))
    ('cell::2004:2006', 'event_time::-1', 'group::2020-01-01')
    """
    return f"{key}::" + ":".join(term_value(v) for v in values)


@dataclass(frozen=True)
class PreTest:
    """A test of the assumption behind a design before the start (e.g. parallel pre-trends).

    The one pre-test type of every result's ``.pretest()``. ``test`` says which test it is (a Wald
    test, a placebo ranking, ...); ``note`` says why there is no test when ``p_value`` is NaN.

    Examples
    --------
    >>> PreTest(3.2, 2, 0.2, ("-3", "-2"), test="Wald chi2").tidy()["n_terms"].item()
    2
    >>> PreTest(math.nan, 0, math.nan, note="no pre-period").available
    False
    """

    statistic: float
    df: int
    p_value: float
    terms: tuple[str, ...] = ()
    test: str = ""
    note: str = ""

    @property
    def available(self) -> bool:
        """True when the test was done (a finite p-value)."""
        return bool(np.isfinite(self.p_value))

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame([{"test": self.test, "statistic": self.statistic, "df": self.df,
                              "p_value": self.p_value, "n_terms": len(self.terms), "note": self.note}])

    def sentence(self) -> str:
        """Short Dutch sentence for a report."""
        if not self.available:
            return "Een toets op de periode vóór de start was niet mogelijk" + (
                f" ({self.note})." if self.note else ".")
        from wijklib.monitor.verdict import fmt_p

        verdict = (
            "geen aanwijzing dat de trends vóór de start verschilden"
            if self.p_value >= 0.05
            else "een aanwijzing dat de trends vóór de start al verschilden"
        )
        n = self.df
        return (
            f"De toets op de {n} {'periode' if n == 1 else 'perioden'} vóór de start (p = {fmt_p(self.p_value, 2)}) "
            f"geeft {verdict}; een niet-significante toets bewijst geen parallelle trends."
        )


def no_pretest(reason: str) -> PreTest:
    """The :class:`PreTest` of a design that has no pre-period test (``p_value`` NaN, ``note`` = why).

    Examples
    --------
    >>> no_pretest("a 2x2 has no leads").note
    'a 2x2 has no leads'
    """
    return PreTest(math.nan, 0, math.nan, (), "none", reason)


class Method(Mapping):
    """How a result was made: a frozen options record with the same keys for every estimator.

    :data:`METHOD_KEYS` come first (``estimator``, ``inference``, ``control_group``, ``seed``,
    ``alpha``, ``n_units``, ``n_periods``, ``notes``; ``None`` where an estimator has no such thing,
    e.g. the control group of an ITS without a comparison series); estimator-specific options follow.
    Read it as a mapping (``m["inference"]``, ``m.get("se_type")``, ``dict(m)``) or by attribute
    (``m.inference``). It cannot be changed; :meth:`replace` returns a new record.

    Examples
    --------
    >>> m = Method({"estimator": "its", "inference": "HAC", "alpha": 0.05, "family": "poisson"})
    >>> list(m)[:8] == list(METHOD_KEYS), m["family"], m.seed, m.notes
    (True, 'poisson', None, ())
    >>> m.replace(seed=3)["seed"], m["seed"]
    (3, None)
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None, /, **kw: Any) -> None:
        d = dict(data or {})
        d.update(kw)
        notes = d.get("notes")
        if notes is None:
            notes = ()
        elif isinstance(notes, str):
            notes = (notes,)
        d["notes"] = tuple(notes)
        ordered = {k: d.get(k) for k in METHOD_KEYS}
        ordered.update({k: v for k, v in d.items() if k not in ordered})
        if ordered["estimator"] is None or ordered["inference"] is None or ordered["alpha"] is None:
            missing = [k for k in ("estimator", "inference", "alpha") if ordered[k] is None]
            raise ValueError(f"Method: {missing} must be given (keys found: {sorted(d)})")
        object.__setattr__(self, "_data", MappingProxyType(ordered))

    @classmethod
    def of(cls, method: Mapping[str, Any] | None, **defaults: Any) -> Method:
        """``method`` as a :class:`Method`, with ``defaults`` for the keys it lacks (or holds as None)."""
        d = dict(method or {})
        for k, v in defaults.items():
            if d.get(k) is None:
                d[k] = v
        return cls(d)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, name: str) -> Any:
        try:
            return object.__getattribute__(self, "_data")[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a result's method record cannot be changed; use .replace(...)")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self):
        return (Method, (dict(self._data),))

    def replace(self, **changes: Any) -> Method:
        """A new record with ``changes`` applied."""
        return Method({**self._data, **changes})

    def to_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def __repr__(self) -> str:
        core = ", ".join(f"{k}={self._data[k]!r}" for k in METHOD_KEYS if k != "notes")
        return f"Method({core}, +{len(self) - len(METHOD_KEYS)} options)"


class EffectSummary(NamedTuple):
    """What ``effect_summary()`` returns: the numbers as a table and a plain-Dutch text from them.

    A named tuple, so ``table, text = res.effect_summary()`` keeps working.
    """

    table: pd.DataFrame
    text: str

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.text)}</p>" + self.table.to_html(index=False)


def protocol_tidy(df: pd.DataFrame, *, scale: Scale, alpha: float) -> pd.DataFrame:
    """``df`` with :data:`TIDY_COLUMNS` and :data:`PROTOCOL_COLUMNS` first, missing values of
    ``scale``/``alpha`` filled with the result's (e.g. a reference row built without them).

    Examples
    --------
    >>> t = protocol_tidy(pd.DataFrame({"term": ["overall"], "estimate": [1.0]}), scale="difference", alpha=0.1)
    >>> t.columns.tolist()[7:], t["alpha"].item()
    (['scale', 'alpha'], 0.1)
    """
    out = df.copy()
    for c in TIDY_COLUMNS:
        if c not in out.columns:
            out[c] = math.nan if c != "term" else ""
    out["scale"] = out["scale"].fillna(scale) if "scale" in out.columns else scale
    out["alpha"] = pd.to_numeric(out["alpha"], errors="coerce").fillna(alpha) if "alpha" in out.columns else alpha
    first = TIDY_COLUMNS + PROTOCOL_COLUMNS
    return out[first + [c for c in out.columns if c not in first]]


def _fmt_value(v: Any) -> str:
    if isinstance(v, pd.Timestamp):
        return str(v.date()) if v == v.normalize() else str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


class ResultProtocol:
    """The reading surface every estimator result offers; results are frozen dataclasses mixing it in.

    A subclass provides ``tidy()`` (the single source), ``effect`` (the headline :class:`Effect`),
    ``method`` (a :class:`Method`), ``_draw(ax, **kw)`` (the chart) and ``pretest()``; it may override
    ``_summary_lines()`` and ``_interval_reference()``. From these the protocol derives
    :meth:`conf_int`, :meth:`summary`, :meth:`plot`, :meth:`effect_summary`, ``__repr__`` and
    ``_repr_html_``.
    """

    #: Name shown in repr/summary (class name by default).
    _label: str = ""

    # -- to be provided ----------------------------------------------------------------------
    def tidy(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def pretest(self) -> PreTest:
        """The pre-period test that is valid for this design (see each result for which)."""
        return no_pretest(f"{type(self).__name__} has no pre-period test")

    def _interval_reference(self) -> tuple[str, float | None] | None:
        """How the pointwise intervals were formed: ``("normal", None)`` or ``("t", df)`` for
        estimate +/- q * SE (on the log scale for ratios), ``None`` for intervals that cannot be
        re-derived at another alpha from the SE (randomisation / placebo quantiles)."""
        return None

    def _draw(self, ax: Any, **kw: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- derived -----------------------------------------------------------------------------
    @property
    def alpha(self) -> float:
        return float(self.method["alpha"])

    def conf_int(self, alpha: float | None = None, simultaneous: bool = False) -> pd.DataFrame:
        """``conf_low``/``conf_high`` per row of :meth:`tidy`, indexed by ``term``.

        Parameters
        ----------
        alpha : float, optional
            1 - confidence level; default the result's own. Another alpha is re-derived from the
            SE for Wald-type intervals (estimate +/- q * SE, on the log scale for ratios); intervals
            from randomisation or placebo quantiles are fixed at fit time (refit with ``alpha=``).
        simultaneous : bool
            The simultaneous (sup-t) band instead of the pointwise interval, where the result has one.
        """
        t = self.tidy()
        name = type(self).__name__
        if simultaneous:
            if "conf_low_simul" not in t.columns:
                raise ValueError(f"{name}.conf_int(simultaneous=True): this result has no simultaneous band")
            if alpha is not None and not math.isclose(alpha, self.alpha):
                raise ValueError(f"{name}.conf_int(alpha={alpha}, simultaneous=True): the band was computed at "
                                 f"alpha={self.alpha}; refit with alpha={alpha}")
            out = t.set_index("term")[["conf_low_simul", "conf_high_simul"]]
            return out.set_axis(["conf_low", "conf_high"], axis=1)
        if alpha is None or math.isclose(alpha, self.alpha):
            return t.set_index("term")[["conf_low", "conf_high"]].copy()
        if not 0 < alpha < 1:
            raise ValueError(f"{name}.conf_int: alpha={alpha!r}; expected a number between 0 and 1")
        ref = self._interval_reference()
        if ref is None:
            raise ValueError(f"{name}.conf_int(alpha={alpha}): the intervals come from "
                             f"{self.method['inference']} and were computed at alpha={self.alpha}; refit "
                             f"with alpha={alpha}")
        from scipy import stats

        kind, df = ref
        q = float(stats.t.ppf(1 - alpha / 2, df)) if kind == "t" else float(stats.norm.ppf(1 - alpha / 2))
        est = t["estimate"].to_numpy(float)
        se = t["std_error"].to_numpy(float)
        ratio = (t["scale"] == "ratio").to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            lin = np.where(ratio, np.log(est), est)
            lo, hi = lin - q * se, lin + q * se
            lo, hi = np.where(ratio, np.exp(lo), lo), np.where(ratio, np.exp(hi), hi)
        return pd.DataFrame({"conf_low": lo, "conf_high": hi}, index=pd.Index(t["term"], name="term"))

    def _summary_lines(self) -> list[str]:
        t = self.tidy()
        cols = [c for c in TIDY_COLUMNS if c != "term"]
        body = t.set_index("term")[cols].to_string(float_format=lambda x: f"{x:.4f}")
        return [body]

    def _headline(self) -> str:
        e = self.effect
        pct = int(round(100 * (1 - e.alpha)))
        sc = " (ratio)" if e.scale == "ratio" else ""
        return (f"{e.term}{sc}: {e.estimate:.4g}, {pct}% CI [{e.conf_low:.4g}, {e.conf_high:.4g}], "
                f"p = {e.p_value:.3g}")

    def summary(self, *, as_string: bool = False) -> str | None:
        """Print the summary (the headline effect, the tidy table, how it was made); with
        ``as_string=True`` return the text instead."""
        m = self.method
        head = [f"{self._label or type(self).__name__}: {m['estimator']}",
                f"inference: {m['inference']}"
                + (f"; control group: {m['control_group']}" if m.get("control_group") else "")
                + f"; units: {m.get('n_units')}; periods: {m.get('n_periods')}"
                + (f"; seed: {m['seed']}" if m.get("seed") is not None else ""),
                self._headline()]
        notes = [f"note: {n}" for n in m["notes"]]
        return print_or_return("\n".join(head + self._summary_lines() + notes), as_string)

    def plot(self, *, ax: Any = None, **kw: Any) -> Any:
        """Draw the result's chart and return the matplotlib ``Axes`` (``ax.figure`` is the figure);
        never calls ``plt.show()``. Keyword options depend on the result (e.g. ``title``)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        self._draw(ax, **kw)
        return ax

    def effect_summary(self, **kw: Any) -> EffectSummary:
        """The headline effect as a table and a plain-Dutch sentence (:class:`EffectSummary`)."""
        from wijklib.monitor.verdict import fmt_num, fmt_p

        e = self.effect
        pct = int(round(100 * (1 - e.alpha)))
        table = pd.DataFrame({"effect": [e.term], "schaal": ["verhouding" if e.scale == "ratio" else "verschil"],
                              "schatting": [e.estimate], f"ondergrens {pct}%-BI": [e.conf_low],
                              f"bovengrens {pct}%-BI": [e.conf_high], "p-waarde": [e.p_value]})
        d = 2 if e.scale == "ratio" or abs(e.estimate) < 10 else 0
        what = "verhouding" if e.scale == "ratio" else "verschil"
        sig = ("statistisch significant" if e.significant else "statistisch niet te onderscheiden van geen effect")
        text = (f"Het geschatte effect ({what}) is {fmt_num(e.estimate, d)} ({pct}%-betrouwbaarheidsinterval "
                f"{fmt_num(e.conf_low, d)} tot {fmt_num(e.conf_high, d)}; p = {fmt_p(e.p_value)}); dat is {sig}.")
        return EffectSummary(table, text)

    def __repr__(self) -> str:
        e = self.effect
        m = self.method
        start = f"; start {_fmt_value(m['start'])}" if m.get("start") is not None else ""
        return (f"<{type(self).__name__} {m['estimator']}: {e.term} = {e.estimate:.4g} "
                f"[{e.conf_low:.4g}, {e.conf_high:.4g}], p = {e.p_value:.3g}; inference {m['inference']}; "
                f"units {m.get('n_units')}, periods {m.get('n_periods')}{start}>")

    def _repr_html_(self) -> str:
        import html

        e = self.effect
        m = self.method
        pct = int(round(100 * (1 - e.alpha)))
        rows = [("estimator", m["estimator"]), (f"{e.term}" + (" (ratio)" if e.scale == "ratio" else ""),
                                               _fmt_value(e.estimate)),
                (f"{pct}% interval", f"[{_fmt_value(e.conf_low)}, {_fmt_value(e.conf_high)}]"),
                ("p-value", _fmt_value(e.p_value)), ("inference", m["inference"])]
        for k in ("control_group", "start", "n_units", "n_periods", "seed"):
            if m.get(k) is not None:
                rows.append((k.replace("_", " "), _fmt_value(m[k])))
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                       f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>" for k, v in rows)
        notes = "".join(f"<li>{html.escape(str(n))}</li>" for n in m["notes"])
        return (f"<div><strong>{html.escape(type(self).__name__)}</strong><table>{body}</table>"
                + (f"<ul>{notes}</ul>" if notes else "") + "</div>")
