"""The verdict rule for a wijkakkoord priority, its Dutch description and plain-Dutch sentences.

A verdict looks at an estimate AND its interval, never at the point estimate alone. Every measure is put
on a relative scale (rate ratio - 1, or difference / baseline) so that one set of thresholds in
``config/monitor.yaml`` serves counts, rates, shares and survey scores.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from wijklib import nl
from wijklib.monitor.settings import MonitorConfig, load_config

OP_KOERS = "op koers"
GEEN_VERANDERING = "geen aantoonbare verandering"
ONGUNSTIG = "ongunstige ontwikkeling"
ONVOLDOENDE = "onvoldoende gegevens"
#: An effect on either side whose design failed its own check before the start (the ward and its
#: comparison wards already drifted apart): the estimate cannot be read as an effect.
ONZEKER = "onzeker"
#: Effect verdicts (a causal design since the start of ward-based enforcement), in report order.
VERDICTS = (OP_KOERS, GEEN_VERANDERING, ONGUNSTIG, ONZEKER, ONVOLDOENDE)

# A development is never described with the effect words (issue 10: "trend is not effect"). A ward
# without ward-based enforcement is compared with the rest of the city; enforcement's own results and
# survey scores, which have no comparison group, say only that they improved or worsened.
GUNSTIGER_DAN_STAD = "gunstiger dan de rest van de stad"
ZOALS_STAD = "geen aantoonbaar verschil met de rest van de stad"
ONGUNSTIGER_DAN_STAD = "ongunstiger dan de rest van de stad"
VERBETERD = "verbeterd (ontwikkeling, geen effectmeting)"
VERSLECHTERD = "verslechterd (ontwikkeling, geen effectmeting)"
#: Development verdicts (no causal claim).
DEVELOPMENT_VERDICTS = (GUNSTIGER_DAN_STAD, ZOALS_STAD, ONGUNSTIGER_DAN_STAD, VERBETERD, VERSLECHTERD)
#: Every verdict word the monitor can give.
ALL_VERDICTS = (*VERDICTS, *DEVELOPMENT_VERDICTS)
#: The desired-side words (herijk: a priority that shows none of them in ``herijk.years`` years).
FAVOURABLE = (OP_KOERS, GUNSTIGER_DAN_STAD, VERBETERD)
#: The undesired-side words.
UNFAVOURABLE = (ONGUNSTIG, ONGUNSTIGER_DAN_STAD, VERSLECHTERD)
#: "Nothing shown" words.
NEUTRAL = (GEEN_VERANDERING, ZOALS_STAD)


def vocabulary(measure: Measure | None) -> tuple[str, str, str]:
    """(favourable, neutral, unfavourable) words for a measure: effect words only for an effect.

    Examples
    --------
    >>> vocabulary(Measure(0.9, 0.8, 1.0, kind="ontwikkeling", reference="stad"))[0]
    'gunstiger dan de rest van de stad'
    """
    if measure is None or measure.kind == "effect":
        return OP_KOERS, GEEN_VERANDERING, ONGUNSTIG
    if measure.reference == "stad":
        return GUNSTIGER_DAN_STAD, ZOALS_STAD, ONGUNSTIGER_DAN_STAD
    return VERBETERD, GEEN_VERANDERING, VERSLECHTERD

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
    #: What a development is compared with: ``"stad"`` (the ward's change against the other wards'), or
    #: ``None`` (the ward's own change only).
    reference: str | None = None

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
        of = " van het uitgangsniveau" if measure.scale == "difference" else ""
        return ONVOLDOENDE, (
            f"interval te breed ({fmt_pct(lo)} tot {fmt_pct(hi)}{of}; breedte groter dan "
            f"{fmt_pct(v['max_relative_width'], signed=False)})"
        )
    m = v["min_relative_change"]
    desired_down = richting == "omlaag"
    good, neutral, bad = vocabulary(measure)
    if (desired_down and hi < -m) or (not desired_down and lo > m):
        return good, "het hele interval ligt aan de gewenste kant"
    if (desired_down and lo > m) or (not desired_down and hi < -m):
        return bad, "het hele interval ligt aan de ongewenste kant"
    return neutral, "het interval omvat geen verandering (of een te kleine)"


def measure_p_value(measure: Measure | None) -> float:
    """Two-sided p-value of "no change" for a measure: its own when it has one, else from its interval
    (normal approximation on the log scale for a ratio, on the measured scale for a difference)."""
    from scipy import stats

    if measure is None:
        return math.nan
    if _finite(measure.p_value):
        return float(measure.p_value)
    if not _finite(measure.estimate, measure.conf_low, measure.conf_high):
        return math.nan
    z = stats.norm.ppf(0.975)
    if measure.scale == "ratio":
        if min(measure.estimate, measure.conf_low, measure.conf_high) <= 0:
            return math.nan
        est, lo, hi = math.log(measure.estimate), math.log(measure.conf_low), math.log(measure.conf_high)
    else:
        est, lo, hi = measure.estimate, measure.conf_low, measure.conf_high
    se = (hi - lo) / (2 * z)
    if not se > 0:
        return math.nan
    return float(2 * stats.norm.sf(abs(est) / se))


def holm(p_values: list[float]) -> list[float]:
    """Holm (1979) step-down adjusted p-values (NaN stays NaN and does not count as a test).

    Examples
    --------
    >>> [round(x, 3) for x in holm([0.01, 0.04, 0.03, float("nan")])]
    [0.03, 0.06, 0.06, nan]
    """
    idx = [i for i, p in enumerate(p_values) if _finite(p)]
    m = len(idx)
    out = [math.nan] * len(p_values)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda j: p_values[j])):
        running = max(running, min(1.0, (m - rank) * float(p_values[i])))
        out[i] = running
    return out


def fmt_pct(x: float, *, signed: bool = True, digits: int = 0) -> str:
    """A fraction as a signed Dutch percentage (:func:`wijklib.nl.pct`; ``onbekend`` when missing).

    Examples
    --------
    >>> fmt_pct(-0.183), fmt_pct(0.05, digits=1), fmt_pct(0.5, signed=False), fmt_pct(0.001)
    ('−18%', '+5,0%', '50%', '0%')
    """
    return nl.pct(x, digits, signed=signed, missing="onbekend")


def fmt_num(x: float, digits: int = 1) -> str:
    """A Dutch number (:func:`wijklib.nl.number`; ``onbekend`` when missing). ``fmt_num(2.345) == '2,3'``."""
    return nl.number(x, digits, missing="onbekend")


#: A month for a Dutch reader: ``jan. 2022`` (``mei 2022``), never ``2022-01`` (:func:`wijklib.nl.month_short`).
fmt_month = nl.month_short
#: A day for a Dutch reader: ``1 januari 2020``, never ``2020-01-01`` (:func:`wijklib.nl.date`).
fmt_date = nl.date
#: ``n`` with the right form of the noun: ``1 maand``, ``3 maanden`` (:func:`wijklib.nl.count_noun`).
count_noun = nl.count_noun


def fmt_p(p: float, digits: int = 3) -> str:
    """A p-value for a Dutch reader: ``< 0,001`` below it, never ``0,000`` (:func:`wijklib.nl.p_value`).

    Examples
    --------
    >>> fmt_p(0.00002), fmt_p(0.0312)
    ('< 0,001', '0,031')
    """
    return nl.p_value(p, digits)


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
            f"- onzeker: het interval ligt aan één kant, maar een van twee controles over de tijd vóór de start "
            f"slaat aan (p < {fmt_num(v['pretrend_alpha'], 2)}): dezelfde vergelijking over de maanden "
            "vóór de start (tweede helft van de voorperiode tegen de eerste) geeft al een verschil, of de wijk "
            "week in de twaalf maanden vóór de start meer af dan (bijna) elke vergelijkingswijk die voor de "
            "controle dezelfde startdatum kreeg (placebotoets). De wijk en haar vergelijkingswijken liepen dan "
            "al uiteen, dus het verschil na de start hoeft geen effect te zijn;"
            if v["pretrend_alpha"] > 0 else
            "- onzeker: komt niet voor (de controles vóór de start staan uit);",
            f"- ook onzeker: de behandelde wijken schommelden vóór de start sterker dan de vergelijkingswijken "
            f"(rangtoets, p < {fmt_num(v['noise_alpha'], 2)}), zodat de vergelijking niet eerlijk is;"
            if v["noise_alpha"] > 0 else "- (de toets op sterker schommelende wijken staat uit);",
            "- onvoldoende gegevens: geen schatting, of het interval is breder dan "
            f"{fmt_pct(v['max_relative_width'], signed=False)}, of minder dan {v['min_events']} "
            f"gebeurtenissen in de wijk in de periode waarop de schatting rust (sinds de start bij een effect, "
            f"het evaluatiejaar bij een ontwikkeling), of minder dan {v['min_pre_periods']} maanden vóór of "
            f"{v['min_post_periods']} maanden na de start van wijkgericht handhaven, of (enquête) minder dan "
            f"{v['min_respondents']} respondenten of een onbekende steekproefomvang.",
            "",
            "Welke schatting: in een wijk met wijkgericht handhaven het effect sinds de start, met de opzet die "
            + (
                "de gegevens dragen: een verschil-in-verschillen van het startcohort (de verandering van vóór naar "
                f"na de start, afgezet tegen die in de minstens {d['min_controls_did']} wijken zonder wijkgericht "
                f"handhaven in de hele periode), als het cohort minstens {d['min_cohort_did']} wijken telt. Het "
                "interval en de p-waarde komen uit een randomisatietoets: de verandering van het cohort wordt "
                "vergeleken met die van elke andere groep van evenveel wijken (gestudentiseerd, zodat wijken met "
                "veel toevallige schommeling niet zwaarder tellen). Zo is de onzekerheid geldig voor het aantal "
                "wijken waarop de schatting rust, ook als dat er maar een paar zijn. "
                if d["did_inference"] == "randomisation" else
                "de gegevens dragen: gespreide difference-in-differences (Poisson, Wooldridge 2023) op de "
                f"maandcijfers van alle wijken, als er minstens {d['min_controls_did']} vergelijkingswijken zijn, en "
                f"het startcohort minstens {max(d['min_cohort_did'], d['min_treated_did'])} wijken telt "
                "(minder wijken achter de schatting geven geen geldig interval). "
            )
            + "Voor een wijk die alleen start: "
            + (
                "de verandering van de wijk tegen die van de wijken zonder wijkgericht handhaven, met als "
                "onzekerheid de spreiding van dezelfde verandering over die wijken (placebo-in-ruimte, "
                "t-verdeling; met minder dan 40 vergelijkingswijken kan een rangtoets alleen de 2,5% niet halen, "
                "de methoderegel van elke schatting noemt de kleinst haalbare p-waarde)"
                if d["single_ward"] == "placebo" else
                "een onderbroken tijdreeks tegen de samengevoegde wijken zonder wijkgericht handhaven "
                "(Newey-West-intervallen over de maanden)"
                if d["single_ward"] == "its_controlled"
                else f"een synthetische controle (minstens {d['min_donors_synth']} donorwijken), of anders een "
                "onderbroken tijdreeks tegen de wijken zonder wijkgericht handhaven"
            )
            + "; een onderbroken tijdreeks zonder controlegroep als laatste mogelijkheid. In een wijk zonder "
            "wijkgericht handhaven is er geen effect te meten: de ontwikkeling (dit jaar tegenover vorig jaar) "
            "wordt afgezet tegen die in de rest van de stad en beschreven als 'gunstiger dan', 'ongunstiger dan' "
            "of 'geen aantoonbaar verschil met de rest van de stad', nooit met de effectwoorden 'op koers' of "
            "'ongunstige ontwikkeling'. "
            "Resultaten van handhaving zelf (naleving, overtredingen, doorlooptijd van meldingen): dit jaar "
            "tegenover het jaar vóór de start (of vorig jaar), met Wilson-/Newcombe-intervallen of een bootstrap "
            "over meldingen. Enquête-indicatoren: verschil met de vorige editie van het Wijkprofiel, met de "
            "enquêtemarge "
            + ("(bekend voor percentages; voor indexscores onbekend zolang de spreiding per respondent niet "
               "bekend is)." if cfg.level2["index_sd"] is None else
               f"(indexscores: spreiding per respondent {fmt_num(cfg.level2['index_sd'], 1)} indexpunten).")
            + " Deze hebben geen vergelijkingsgroep: hun oordeel zegt 'verbeterd' of 'verslechterd' "
            "(ontwikkeling, geen effectmeting), niet 'op koers'.",
            "",
            (
                "Meer prioriteiten per wijk: met vier prioriteiten is de kans dat er toevallig minstens één "
                "'op koers' uitkomt bijna vier keer zo groot. Daarom staat een oordeel aan de gewenste of "
                "ongewenste kant alleen als het na de Holm-correctie over de beoordeelde prioriteiten van de "
                f"wijk nog significant is (kans op minstens één onterecht oordeel per wijk hoogstens "
                f"{fmt_pct(v['alpha'], signed=False)}); anders luidt het 'geen aantoonbare verandering', met de "
                "reden."
                if v["multiplicity"] == "holm" else
                "Meer prioriteiten per wijk worden elk afzonderlijk beoordeeld (geen correctie voor het aantal)."
            ),
            error_rates_text(),
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
            f"veranderde op {fmt_date(q['channel_change'])} (MeldR); minder dan {q['small_numbers']} gebeurtenissen per "
            f"wijk en jaar heet 'kleine aantallen'; ontbrekende maanden en grenswijzigingen worden gemeld.",
        ]
    )


#: Measured false-verdict rates and power, written by ``benchmarks/bench_verdicts.py --write-json``.
ERROR_RATES_FILE = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "verdict_error_rates.json"


def error_rates() -> dict[str, Any] | None:
    """The measured verdict error rates (``wijklib/data/verdict_error_rates.json``), or None if absent."""
    import json

    if not ERROR_RATES_FILE.is_file():
        return None
    try:
        return json.loads(ERROR_RATES_FILE.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{ERROR_RATES_FILE}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc


def error_rates_text() -> str:
    """Dutch sentence quoting the measured false-verdict rate and power (empty when not measured)."""
    er = error_rates()
    if not er:
        return ""
    rows = er.get("rows", [])

    def pick(scen: str, groep: str, maat: str) -> dict[str, Any] | None:
        return next((r for r in rows if r["scenario"] == scen and r["groep"] == groep and r["maat"] == maat), None)

    null_name = er.get("null_scenario", "hague: 3 cohorten van 4, willekeurig")
    null = pick(null_name, "behandeld", "oordeel: op koers")
    ward = pick(null_name, "behandeld", "wijken met een 'op koers'")
    parts = []
    if null:
        parts.append(
            f"Gemeten op echte politiecijfers zonder ingreep (denkbeeldige startdata): 'op koers' in "
            f"{fmt_pct(null['aandeel'], signed=False, digits=1)} van de oordelen (95%-interval tot "
            f"{fmt_pct(null['ci_high'], signed=False, digits=1)})"
            + (f", in {fmt_pct(ward['aandeel'], signed=False, digits=1)} van de wijken minstens één" if ward else "")
            + ".")
    power = []
    for k in (1, 4, 10):
        r = pick(er.get("power_scenario", "hague: cohort van {k}, effect -20%").format(k=k), "behandeld",
                 "oordeel: op koers")
        if r:
            who = "één wijk alleen" if k == 1 else f"een startcohort van {count_noun(k, 'wijk', 'wijken')}"
            power.append(f"{fmt_pct(r['aandeel'], signed=False, digits=0)} bij {who}")
    if power:
        # One sentence: the reader compares the cohort sizes, so they stand side by side.
        parts.append(f"Een werkelijke daling van 20% leidt per prioriteit tot 'op koers' in {nl.join(power)}; "
                     "een kleiner effect wordt nog vaker gemist.")
    return " ".join(parts)


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
    >>> "−20%" in s and "op koers" in s
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
    elif measure.reference == "stad":
        what = "De ontwikkeling tegenover vorig jaar, afgezet tegen die in de rest van de stad, is"
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
    how = f", gemeten als {measure.method}" if measure.method else ""
    tail = "" if measure.kind == "effect" else " Dit beschrijft een ontwikkeling, geen effect van wijkgericht handhaven."
    return f"{doel} {what} {num}{how}. Oordeel: {verdict}, want {reason}.{tail}"
