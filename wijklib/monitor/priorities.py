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
