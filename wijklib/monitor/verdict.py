"""The verdict rule for a wijkakkoord priority, its Dutch description and plain-Dutch sentences.

A verdict looks at an estimate AND its interval, never at the point estimate alone. Every measure is put
on a relative scale (rate ratio - 1, or difference / baseline) so that one set of thresholds in
``config/monitor.yaml`` serves counts, rates, shares and survey scores.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from wijklib.monitor.settings import MonitorConfig, load_config

OP_KOERS = "op koers"
GEEN_VERANDERING = "geen aantoonbare verandering"
ONGUNSTIG = "ongunstige ontwikkeling"
ONVOLDOENDE = "onvoldoende gegevens"
#: All verdicts, in report order.
VERDICTS = (OP_KOERS, GEEN_VERANDERING, ONGUNSTIG, ONVOLDOENDE)

Richting = Literal["omlaag", "omhoog"]


def _finite(*xs: Any) -> bool:
    try:
        return all(x is not None and math.isfinite(float(x)) for x in xs)
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Measure:
    """An estimate with its interval, on a ratio scale (null 1) or a difference scale (null 0).

    ``baseline`` is the reference level of a difference (e.g. the ward's pre-period mean rate); it turns
    the difference into a relative change. ``kind`` says what was measured: ``"effect"`` (causal design
    since the start of ward-based enforcement) or ``"ontwikkeling"`` (change over time, no causal claim).

    Examples
    --------
    >>> m = Measure(0.8, 0.7, 0.9, scale="ratio", method="ITS")
    >>> [round(x, 2) for x in m.relative()]
    [-0.2, -0.3, -0.1]
    """

    estimate: float
    conf_low: float
    conf_high: float
    scale: Literal["ratio", "difference"] = "ratio"
    baseline: float | None = None
    method: str = ""
    kind: Literal["effect", "ontwikkeling"] = "effect"
    n: int | None = None
    p_value: float | None = None

    @property
    def null(self) -> float:
        return 1.0 if self.scale == "ratio" else 0.0

    def relative(self) -> tuple[float, float, float]:
        """(estimate, low, high) as relative change; NaN when a difference has no usable baseline."""
        if self.scale == "ratio":
            return self.estimate - 1, self.conf_low - 1, self.conf_high - 1
        b = self.baseline
        if not _finite(b) or b == 0:
            return math.nan, math.nan, math.nan
        b = abs(float(b))
        return self.estimate / b, self.conf_low / b, self.conf_high / b

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        rel = self.relative()
        d.update(relative_estimate=rel[0], relative_low=rel[1], relative_high=rel[2])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Measure | None:
        if not d:
            return None
        keys = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in keys})


def judge(
    measure: Measure | None,
    richting: Richting,
    config: MonitorConfig | None = None,
    *,
    insufficient: list[str] | tuple[str, ...] = (),
) -> tuple[str, str]:
    """Apply the verdict rule of ``config/monitor.yaml`` to one measure.

    Parameters
    ----------
    measure
        The estimate with its interval (``None`` when nothing could be estimated).
    richting
        Desired direction from the wijkakkoord: ``"omlaag"`` or ``"omhoog"``.
    config
        Monitor settings; default ``config/monitor.yaml``.
    insufficient
        Reasons, found by the caller, why the data cannot carry a verdict (too few events, too few months
        before the start, ...). Any reason gives "onvoldoende gegevens".

    Returns
    -------
    (verdict, reason)
        One of :data:`VERDICTS` and a short Dutch reason.

    Examples
    --------
    >>> judge(Measure(0.8, 0.7, 0.9), "omlaag")[0]
    'op koers'
    >>> judge(Measure(0.8, 0.6, 1.05), "omlaag")[0]
    'geen aantoonbare verandering'
    >>> judge(Measure(1.2, 1.1, 1.3), "omlaag")[0]
    'ongunstige ontwikkeling'
    """
    cfg = load_config(config)
    v = cfg.verdict
    if richting not in ("omlaag", "omhoog"):
        raise ValueError(f"richting = {richting!r}; expected 'omlaag' or 'omhoog'")
    if insufficient:
        return ONVOLDOENDE, "; ".join(insufficient)
    if measure is None or not _finite(measure.estimate, measure.conf_low, measure.conf_high):
        return ONVOLDOENDE, "geen schatting met betrouwbaarheidsinterval beschikbaar"
    _, lo, hi = measure.relative()
    if not _finite(lo, hi):
        return ONVOLDOENDE, "geen referentieniveau om de verandering relatief uit te drukken"
    if hi - lo > v["max_relative_width"]:
        return ONVOLDOENDE, (
            f"interval te breed ({fmt_pct(lo)} tot {fmt_pct(hi)}; breedte groter dan "
            f"{fmt_pct(v['max_relative_width'], signed=False)})"
        )
    m = v["min_relative_change"]
    desired_down = richting == "omlaag"
    if (desired_down and hi < -m) or (not desired_down and lo > m):
        return OP_KOERS, "het hele interval ligt aan de gewenste kant"
    if (desired_down and lo > m) or (not desired_down and hi < -m):
        return ONGUNSTIG, "het hele interval ligt aan de ongewenste kant"
    return GEEN_VERANDERING, "het interval omvat geen verandering (of een te kleine)"


def fmt_pct(x: float, *, signed: bool = True, digits: int = 0) -> str:
    """Format a fraction as a Dutch percentage (decimal comma).

    Examples
    --------
    >>> fmt_pct(-0.183), fmt_pct(0.05, digits=1), fmt_pct(0.5, signed=False)
    ('-18%', '+5,0%', '50%')
    """
    if not _finite(x):
        return "onbekend"
    val = round(100 * float(x), digits)
    if val == 0:
        val = 0.0  # no "-0%"
    s = f"{val:+.{digits}f}" if signed else f"{val:.{digits}f}"
    return s.replace(".", ",") + "%"


def fmt_num(x: float, digits: int = 1) -> str:
    """Format a number the Dutch way (decimal comma). ``fmt_num(2.345) == '2,3'``."""
    if not _finite(x):
        return "onbekend"
    return f"{float(x):,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def rules_text(config: MonitorConfig | None = None) -> str:
    """The verdict rule and its thresholds as Dutch text for the method section of a report.

    Examples
    --------
    >>> "op koers" in rules_text()
    True
    """
    cfg = load_config(config)
    v, h, d, q = cfg.verdict, cfg.herijk, cfg.design, cfg.quality
    conf = fmt_num(100 * (1 - v["alpha"]), 0)
    m = v["min_relative_change"]
    marge = (
        "voorbij geen verandering"
        if m == 0
        else f"voorbij een verandering van {fmt_pct(m, signed=False)} in de gewenste richting"
    )
    return "\n".join(
        [
            "Beoordelingsregel per prioriteit uit het wijkakkoord",
            "",
            f"Voor elke indicator wordt een schatting met een {conf}%-betrouwbaarheidsinterval berekend en "
            "uitgedrukt als relatieve verandering (rate ratio min 1, of verschil gedeeld door het "
            "uitgangsniveau). Het oordeel kijkt naar het hele interval, niet alleen naar de puntschatting:",
            f"- op koers: het hele interval ligt aan de gewenste kant ({marge});",
            "- ongunstige ontwikkeling: het hele interval ligt aan de ongewenste kant;",
            "- geen aantoonbare verandering: het interval omvat 'geen verandering';",
            "- onvoldoende gegevens: geen schatting, of het interval is breder dan "
            f"{fmt_pct(v['max_relative_width'], signed=False)}, of minder dan {v['min_events']} "
            f"gebeurtenissen in de wijk in de periode waarop de schatting rust (sinds de start bij een effect, "
            f"het evaluatiejaar bij een ontwikkeling), of minder dan {v['min_pre_periods']} maanden vóór of "
            f"{v['min_post_periods']} maanden na de start van wijkgericht handhaven, of (enquête) minder dan "
            f"{v['min_respondents']} respondenten of een onbekende steekproefomvang.",
            "",
            "Welke schatting: in een wijk met wijkgericht handhaven het effect sinds de start, met de opzet die "
            "de gegevens dragen: gespreide difference-in-differences (Poisson, Wooldridge 2023) op de maandcijfers "
            f"van alle wijken, als er minstens {d['min_controls_did']} vergelijkingswijken zijn "
            f"({'nog niet' if d['control_group'] == 'notyettreated' else 'nooit'} behandeld), het startcohort "
            f"minstens {d['min_cohort_did']} wijken telt en minstens {d['min_treated_did']} wijken in de stad met "
            "wijkgericht handhaven werken (het effect is dat van het startcohort; minder behandelde wijken geven "
            "geen geldig interval); anders, voor een wijk die alleen staat, "
            + (
                "een onderbroken tijdreeks tegen de samengevoegde wijken zonder wijkgericht handhaven "
                "(Newey-West-intervallen over de maanden)"
                if d["single_ward"] == "its_controlled"
                else f"een synthetische controle (minstens {d['min_donors_synth']} donorwijken), of anders een "
                "onderbroken tijdreeks tegen de wijken zonder wijkgericht handhaven"
            )
            + "; een onderbroken tijdreeks zonder controlegroep als laatste mogelijkheid. In een wijk zonder "
            "wijkgericht handhaven de ontwikkeling: dit jaar tegenover vorig jaar (geen effectschatting). "
            "Resultaten van handhaving zelf (naleving, overtredingen, doorlooptijd van meldingen): dit jaar "
            "tegenover het jaar vóór de start (of vorig jaar), met Wilson-/Newcombe-intervallen of een bootstrap "
            "over meldingen. Enquête-indicatoren: verschil met de vorige editie van het Wijkprofiel, met de "
            "enquêtemarge "
            + ("(bekend voor percentages; voor indexscores onbekend zolang de spreiding per respondent niet "
               "bekend is)." if cfg.level2["index_sd"] is None else
               f"(indexscores: spreiding per respondent {fmt_num(cfg.level2['index_sd'], 1)} indexpunten)."),
            "",
            "Een thema met meer indicatoren is 'ongunstige ontwikkeling' als één indicator dat is, 'op koers' als "
            "minstens één indicator op koers is en geen enkele ongunstig, 'onvoldoende gegevens' als geen enkele "
            "indicator te beoordelen is, en anders 'geen aantoonbare verandering'.",
            "",
            f"Herijkadvies: een prioriteit die {h['years']} evaluatiejaren op rij (dit jaar meegeteld) niet "
            "'op koers' is, wordt ter herijking voorgelegd, met het bewijs per jaar. Was er in al die jaren "
            "'onvoldoende gegevens', dan luidt het advies 'eerst meetbaar maken': zonder meting is er geen "
            "bewijs tegen de prioriteit zelf.",
            "",
            f"Kwaliteitsvlaggen: meldingen zijn afhankelijk van meldgedrag (meldbereidheid); het meldkanaal "
            f"veranderde op {q['channel_change']} (MeldR); minder dan {q['small_numbers']} gebeurtenissen per "
            f"wijk en jaar heet 'kleine aantallen'; ontbrekende maanden en grenswijzigingen worden gemeld.",
        ]
    )


DIRECTION_WORD = {"omlaag": "daling", "omhoog": "stijging"}


def priority_sentence(
    thema: str,
    indicator_label: str,
    richting: str,
    measure: Measure | None,
    verdict: str,
    reason: str,
    *,
    start: str | None = None,
    alpha: float = 0.05,
) -> str:
    """One plain-Dutch paragraph for a priority, generated from the numbers (never typed by hand).

    Examples
    --------
    >>> s = priority_sentence("Schoon", "meldingen afval", "omlaag", Measure(0.8, 0.7, 0.9, method="ITS"),
    ...                       "op koers", "het hele interval ligt aan de gewenste kant", start="2021-03")
    >>> "-20%" in s and "op koers" in s
    True
    """
    conf = fmt_num(100 * (1 - alpha), 0)
    doel = f"Prioriteit '{thema}': gewenst is een {DIRECTION_WORD.get(richting, richting)} van {indicator_label}."
    if measure is None or not _finite(measure.estimate):
        return f"{doel} Er is geen betrouwbare schatting te maken. Oordeel: {verdict} ({reason})."
    rel, lo, hi = measure.relative()
    if measure.kind == "effect":
        since = f" sinds de start van wijkgericht handhaven ({start})" if start else ""
        what = f"Het geschatte effect{since} is"
    else:
        what = "De ontwikkeling is"
    if _finite(rel):
        num = fmt_pct(rel)
    elif measure.scale == "difference":
        num = fmt_num(measure.estimate, 1)
    else:
        num = fmt_num(measure.estimate, 2) + " (verhouding)"
    if _finite(rel, lo, hi):
        num += f" ({conf}%-interval {fmt_pct(lo)} tot {fmt_pct(hi)})"
    elif _finite(measure.conf_low, measure.conf_high):
        num += f" ({conf}%-interval {fmt_num(measure.conf_low, 2)} tot {fmt_num(measure.conf_high, 2)})"
    else:
        num += " (interval onbekend)"
    how = f", gemeten met {measure.method}" if measure.method else ""
    return f"{doel} {what} {num}{how}. Oordeel: {verdict}, want {reason}."
