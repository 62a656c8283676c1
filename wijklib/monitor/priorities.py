"""Wijkakkoord priorities: which measurement belongs to an indicator, and the verdict per priority.

An indicator of the wijkakkoord (``indicator``, ``bron``) is resolved to one of three kinds:

- ``panel``: a count outcome of the ward panel (``meldingen afval`` -> ``n_afval``, ``vernieling`` ->
  the police crime type whose name contains the word); measured by the effect estimate of
  :mod:`wijklib.monitor.design` (or the development in a ward without ward-based enforcement);
- ``handhaving``: enforcement's own results (``naleving``, ``doorlooptijd`` = median follow-up time,
  ``doorlooptijd p90``, ``overtredingen <thema>``); measured as the change from the year before the start
  of ward-based enforcement (or from last year) to the evaluation year;
- ``wijkprofiel``: a Wijkprofiel indicator; measured as the change since the previous edition with the
  survey margin (unknown margin -> "onvoldoende gegevens").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from wijklib.monitor.verdict import (
    FAVOURABLE,
    GEEN_VERANDERING,
    ONGUNSTIG,
    ONVOLDOENDE,
    OP_KOERS,
    UNFAVOURABLE,
    ZOALS_STAD,
    Measure,
)

_ENFORCEMENT = {
    "naleving": ("naleving", ""),
    "doorlooptijd": ("doorlooptijd_mediaan", ""),
    "doorlooptijd mediaan": ("doorlooptijd_mediaan", ""),
    "doorlooptijd_mediaan": ("doorlooptijd_mediaan", ""),
    "doorlooptijd p90": ("doorlooptijd_p90", ""),
    "doorlooptijd_p90": ("doorlooptijd_p90", ""),
    "snelle afhandeling": ("doorlooptijd_mediaan", ""),
}

INDICATOR_LABELS = {
    "naleving": "de naleving (aandeel controles zonder overtreding)",
    "doorlooptijd_mediaan": "de mediane doorlooptijd van meldingen",
    "doorlooptijd_p90": "de doorlooptijd van meldingen (90e percentiel)",
}


#: Enforcement indicators measured as a share (0-1): their changes are percentage points.
SHARE_INDICATORS = ("naleving", "overtredingen")
#: Enforcement indicators measured in days.
DAY_INDICATORS = ("doorlooptijd_mediaan", "doorlooptijd_p90")
_ENFORCEMENT_NAMES = {
    "naleving": "Naleving: aandeel controles zonder overtreding",
    "overtredingen": "Aandeel controles met een overtreding",
    "doorlooptijd_mediaan": "Doorlooptijd van meldingen (mediaan)",
    "doorlooptijd_p90": "Doorlooptijd van meldingen (90e percentiel)",
}


def indicator_name(kind: str, key: str, indicator: str, thema: str = "") -> str:
    """A wijkakkoord indicator in words, for a report: what is counted or measured (never a code).

    Examples
    --------
    >>> indicator_name("panel", "jeugd", "meldingen jeugd")
    'Meldingen jeugdoverlast'
    >>> indicator_name("handhaving", "doorlooptijd_mediaan", "doorlooptijd")
    'Doorlooptijd van meldingen (mediaan)'
    >>> indicator_name("wijkprofiel", "veiligheidsbeleving subjectief", "veiligheidsbeleving subjectief")
    'Veiligheidsbeleving subjectief'
    """
    from wijklib.labels import outcome

    if kind == "panel":
        return outcome(key)
    if kind == "handhaving" and key in _ENFORCEMENT_NAMES:
        name = _ENFORCEMENT_NAMES[key]
        return f"{name} ({thema})" if key == "overtredingen" and thema else name
    text = str(indicator).strip()
    return text[:1].upper() + text[1:]


def difference_unit(kind: str, key: str, indicator: str = "") -> tuple[str, float, int]:
    """How a change of this indicator on the difference scale is printed: ``(unit, factor, digits)``.

    A share (naleving) changes in percentage points (factor 100), a follow-up time in days, a Wijkprofiel
    percentage in percentage points and an index score in index points; a count outcome (a synthetic
    control's difference in rates) per 1,000 residents.

    Examples
    --------
    >>> difference_unit("handhaving", "naleving")
    (' procentpunt', 100.0, 0)
    >>> difference_unit("handhaving", "doorlooptijd_mediaan")
    (' dagen', 1.0, 2)
    >>> difference_unit("wijkprofiel", "veiligheidsbeleving subjectief")
    (' indexpunten', 1.0, 1)
    """
    from wijklib.monitor.level2 import is_percentage

    if kind == "handhaving":
        if key in SHARE_INDICATORS:
            return " procentpunt", 100.0, 0
        if key in DAY_INDICATORS:
            return " dagen", 1.0, 2
    if kind == "wijkprofiel":
        return (" procentpunt", 1.0, 1) if is_percentage(str(key or indicator)) else (" indexpunten", 1.0, 1)
    if kind == "panel":
        return " per 1.000 inwoners", 1.0, 2
    return "", 1.0, 2


def change_text(kind: str, key: str, indicator: str, scale: str | None, estimate: Any, low: Any = None,
                high: Any = None, *, interval: bool = True) -> str:
    """A priority's estimate as the report prints it: a ratio as a percentage change, a difference in its
    unit (:func:`difference_unit`), with the 95% interval when ``interval`` (the herijk evidence leaves it out).

    Examples
    --------
    >>> change_text("panel", "afval", "meldingen afval", "ratio", 0.84, 0.79, 0.90)
    '−16% (95%-interval −21% tot −10%)'
    >>> change_text("handhaving", "naleving", "naleving", "difference", 0.142, 0.032, 0.267)
    '+14 procentpunt (95%-interval +3 tot +27)'
    >>> change_text("handhaving", "doorlooptijd_mediaan", "doorlooptijd", "difference", -0.82, interval=False)
    '−0,82 dagen'
    >>> change_text("wijkprofiel", "veiligheidsbeleving subjectief", "veiligheidsbeleving subjectief",
    ...             "difference", -14.9, None, None)
    '−14,9 indexpunten (geen interval)'
    """
    from wijklib import nl

    if not nl.finite(estimate):
        return "niet te schatten"
    if scale == "ratio":
        def fmt(x: Any) -> str:
            return nl.pct(float(x) - 1, signed=True)
        unit = ""
    else:
        unit, factor, digits = difference_unit(kind, key, indicator)

        def fmt(x: Any) -> str:
            return nl.number(factor * float(x), digits, signed=True)
    point = fmt(estimate) + unit
    if not interval:
        return point
    if not (nl.finite(low) and nl.finite(high)):
        return f"{point} (geen interval)"
    return f"{point} (95%-interval {fmt(low)} tot {fmt(high)})"


def _key(text: Any) -> str:
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9%._ ]+", " ", s).split())


@dataclass(frozen=True)
class Resolved:
    """Where an indicator's numbers come from."""

    kind: str  # panel | handhaving | wijkprofiel | onbekend
    key: str  # panel outcome name, enforcement indicator, or Wijkprofiel indicator
    thema: str = ""  # enforcement theme for "overtredingen <thema>"
    note: str = ""


def resolve_indicator(
    indicator: str,
    bron: str,
    *,
    panel_outcomes: list[str],
    wijkprofiel_indicators: list[str],
    crime_names: dict[str, str] | None = None,
) -> Resolved:
    """Find the measurement for a wijkakkoord indicator.

    Examples
    --------
    >>> resolve_indicator("meldingen afval", "meldingen", panel_outcomes=["afval"], wijkprofiel_indicators=[])
    Resolved(kind='panel', key='afval', thema='', note='')
    >>> resolve_indicator("vernieling", "politie", panel_outcomes=["misdrijf_2_2_1"], wijkprofiel_indicators=[],
    ...                   crime_names={"2.2.1": "Vernieling cq. zaakbeschadiging"}).key
    'misdrijf_2_2_1'
    """
    ik, bk = _key(indicator), _key(bron)
    if ik in _ENFORCEMENT:
        k, t = _ENFORCEMENT[ik]
        return Resolved("handhaving", k, t)
    m = re.match(r"^overtredingen? (.+)$", ik)
    if m:
        return Resolved("handhaving", "overtredingen", m.group(1))
    wp = {_key(w): w for w in wijkprofiel_indicators}
    if bk == "wijkprofiel" or bk == "veiligheidsindex" or ik in wp:
        if ik in wp:
            return Resolved("wijkprofiel", wp[ik])
        return Resolved("onbekend", ik, note=f"indicator {indicator!r} niet gevonden in het Wijkprofiel")
    outs = {_key(o): o for o in panel_outcomes}
    for cand in (ik, ik.removeprefix("meldingen ").strip(), ik.replace(" ", "_"), f"{bk} {ik}"):
        if cand in outs:
            return Resolved("panel", outs[cand])
    if bk == "politie" or "misdrijf" in ik:
        for code, name in (crime_names or {}).items():
            if ik and ik in _key(name):
                col = "misdrijf_" + str(code).replace(".", "_")
                if col in panel_outcomes:
                    return Resolved("panel", col)
    return Resolved("onbekend", ik, note=f"geen meetreeks gevonden voor indicator {indicator!r} (bron {bron!r})")


@dataclass(frozen=True)
class PriorityVerdict:
    """Verdict for one indicator of one wijkakkoord priority."""

    thema: str
    indicator: str
    bron: str
    richting: str
    kind: str
    key: str
    measure: Measure | None
    design: str
    why: str
    verdict: str
    reason: str
    sentence: str
    history: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["measure"] = self.measure.to_dict() if self.measure is not None else None
        d["history"] = [dict(h) for h in self.history]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PriorityVerdict:
        kw = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        kw["measure"] = Measure.from_dict(d.get("measure"))
        kw["history"] = tuple(dict(h) for h in d.get("history", ()))
        return cls(**kw)


def combine_verdicts(verdicts: list[str]) -> str:
    """Theme-level verdict from its indicators' verdicts.

    Rule: "ongunstige ontwikkeling" when any indicator is unfavourable; "op koers" when at least one is
    on course and none unfavourable; "onvoldoende gegevens" when every indicator lacks data; otherwise
    "geen aantoonbare verandering".

    Examples
    --------
    >>> combine_verdicts(["op koers", "geen aantoonbare verandering"])
    'op koers'
    >>> combine_verdicts(["op koers", "ongunstige ontwikkeling"])
    'ongunstige ontwikkeling'
    """
    if not verdicts:
        return ONVOLDOENDE
    # Effect words first; a theme whose indicators are only developments keeps a development word.
    for group in ((ONGUNSTIG,), UNFAVOURABLE, (OP_KOERS,), FAVOURABLE):
        hit = [v for v in verdicts if v in group]
        if hit:
            return hit[0]
    if all(v == ONVOLDOENDE for v in verdicts):
        return ONVOLDOENDE
    return GEEN_VERANDERING if GEEN_VERANDERING in verdicts or ZOALS_STAD not in verdicts else ZOALS_STAD


def priorities_of(wijkakkoorden: pd.DataFrame | None, ward: str, year: int) -> pd.DataFrame:
    """The ward's wijkakkoord rows for ``year`` (thema, indicator, bron, richting), in file order."""
    cols = ["thema", "indicator", "bron", "richting"]
    if wijkakkoorden is None or wijkakkoorden.empty:
        return pd.DataFrame(columns=cols)
    w = wijkakkoorden.loc[(wijkakkoorden["wijkraad_id"] == ward) & (pd.to_numeric(wijkakkoorden["jaar"]) == year)]
    bad = w.loc[~w["richting"].isin(["omlaag", "omhoog"])]
    if not bad.empty:
        r = bad.iloc[0]
        raise ValueError(
            f"wijkakkoorden: ward {ward!r}, year {year}, indicator {r['indicator']!r}: richting = {r['richting']!r}; "
            "expected 'omlaag' or 'omhoog'"
        )
    return w[cols].drop_duplicates().reset_index(drop=True).astype(str)
