"""The begrippenlijst (glossary) of the report's method section: every technical term, explained once.

The running text of a report speaks plain Dutch (:data:`wijklib.monitor.design.PLAIN_LABELS`); the
method section names the methods by their technical names (:data:`wijklib.monitor.design.DESIGN_LABELS`,
the inference column, :func:`wijklib.monitor.rules_text`). Each such name is explained here, in words a
council member can follow, so a reader who meets one in the method section can look it up.

:func:`glossary` gives the entries a text needs (the terms that occur in it), :data:`GLOSSARY` all of
them. ``tests/test_glossary.py`` checks that every technical name the monitor prints has an entry.
"""

from __future__ import annotations

import re

#: Term -> (other spellings that count as the term, plain-Dutch explanation). Alphabetical by term.
GLOSSARY: dict[str, tuple[tuple[str, ...], str]] = {
    "betrouwbaarheidsinterval (95%-interval)": (
        ("95%-interval", "betrouwbaarheidsinterval", "interval"),
        "de marge rond een schatting: de waarden die met de gegevens te rijmen zijn. Een breed interval "
        "betekent weinig zekerheid; ligt het hele interval aan één kant van 'geen verandering', dan is de "
        "verandering aantoonbaar."),
    "bootstrap": (
        ("bootstrap",),
        "een manier om de onzekerheid te bepalen door de berekening vele keren te herhalen op steekproeven "
        "uit de eigen gegevens (bijvoorbeeld uit de meldingen van een jaar)."),
    "breekpunt (gevoeligheid voor trendverschillen)": (
        ("breekpunt",),
        "hoe groot een trendverschil tussen de wijk en haar vergelijkingswijken na de start mag zijn, "
        "gemeten als een veelvoud van de grootste verandering per kwartaal vóór de start, voordat het effect "
        "niet meer aantoonbaar is. Een breekpunt van 1 betekent: pas een trendverschil dat na de start even "
        "sterk verandert als ervoor, kan het effect verklaren. Hoe groter, hoe steviger de conclusie."),
    "de Chaisemartin-D'Haultfoeuille": (
        ("Chaisemartin",),
        "een verschil-in-verschillen voor inzet die stopt of van intensiteit verandert: de maanden waarin de "
        "inzet veranderde worden vergeleken met wijken waar die toen gelijk bleef."),
    "event study": (
        ("event study", "event-study"),
        "het verschil tussen de wijk en haar vergelijkingswijken maand voor maand rond de start. Vóór de start "
        "hoort het rond nul te liggen; erna toont het hoe een effect zich ontwikkelt."),
    "geclusterde standaardfouten": (
        ("geclusterd", "standaardfout"),
        "de gebruikelijke foutmarge als waarnemingen per wijk samenhangen; met weinig wijken te smal, "
        "daarom gebruikt de monitor placebo- en randomisatietoetsen."),
    "gestudentiseerd": (
        ("gestudentiseerd", "studentised"),
        "elke wijk telt naar haar eigen schommeling: een verandering wordt gedeeld door hoe sterk die wijk "
        "toevallig schommelt, zodat grillige wijken de toets niet bepalen."),
    "Holm-correctie": (
        ("Holm",),
        "een correctie voor het aantal prioriteiten per wijk: met meer toetsen is de kans op een toevallig "
        "'resultaat' groter, dus elke toets moet strenger zijn."),
    "Newey-West": (
        ("Newey",),
        "een foutmarge voor een tijdreeks waarin opeenvolgende maanden op elkaar lijken (HAC: "
        "heteroscedasticity and autocorrelation consistent)."),
    "onderbroken tijdreeks": (
        ("onderbroken tijdreeks", "ITS"),
        "de maandcijfers van de wijk zelf vóór en na de start: de trend van vóór de start wordt doorgetrokken "
        "en vergeleken met wat er daarna gebeurde. Met een controlereeks worden veranderingen die ook de wijken "
        "zonder wijkgericht handhaven troffen eruit gehaald."),
    "onderscheidend vermogen": (
        ("onderscheidend vermogen", "power"),
        "de kans dat een toets een echt verschil ook opmerkt. Met één wijk en een jaar gegevens is die kans "
        "vaak klein."),
    "p-waarde": (
        ("p-waarde", "p = ", "p < "),
        "de kans op een verschil van deze grootte (of groter) als er in werkelijkheid geen verschil is. Een "
        "kleine p-waarde (onder 0,05) maakt toeval als verklaring onwaarschijnlijk; '< 0,001' betekent kleiner "
        "dan één op duizend."),
    "parallelle trends": (
        ("parallelle trends", "gelijke trends"),
        "de aanname achter elke vergelijking met andere wijken: zonder wijkgericht handhaven had de wijk zich "
        "net zo ontwikkeld als haar vergelijkingswijken. Vóór de start is dat te controleren."),
    "placebotoets": (
        ("placebo",),
        "een controle met een verzonnen ingreep: een vergelijkingswijk krijgt op papier dezelfde startdatum. "
        "Omdat daar niets veranderde, toont de spreiding van zulke placebo-effecten hoe groot toevallige "
        "verschillen zijn (placebo-in-ruimte). Wijkt de echte wijk meer af dan vrijwel alle placebowijken, dan "
        "is toeval onwaarschijnlijk."),
    "Poisson-model": (
        ("Poisson",),
        "een rekenmodel voor aantallen (meldingen, misdrijven per maand), dat veranderingen als percentages "
        "uitdrukt; quasi-Poisson laat meer spreiding toe dan het zuivere model."),
    "procentpunt": (
        ("procentpunt",),
        "het verschil tussen twee percentages: van 20% naar 25% is 5 procentpunt (en 25% meer)."),
    "randomisatietoets": (
        ("randomisatie",),
        "de verandering in de wijken met wijkgericht handhaven wordt vergeleken met die in elke andere groep "
        "van evenveel wijken, alsof de start willekeurig was toegewezen. De p-waarde is het aandeel groepen met "
        "een minstens zo grote verandering."),
    "Rambachan & Roth": (
        ("Rambachan",),
        "een gevoeligheidsanalyse: hoe groot mag een trendverschil na de start zijn (M keer het grootste "
        "verschil vóór de start) voordat het effect niet meer aantoonbaar is."),
    "rate ratio": (
        ("rate ratio",),
        "de verhouding van twee tempo's, bijvoorbeeld meldingen per 1.000 inwoners met en zonder wijkgericht "
        "handhaven. 0,84 betekent 16% lager; de rapporten tonen het als percentage."),
    "regressie naar het gemiddelde": (
        ("regressie naar het gemiddelde",),
        "een wijk die gekozen wordt na een slechte periode, verbetert vaak vanzelf. Een vergelijking van "
        "alleen vóór en na de start ziet dat ten onrechte als effect."),
    "Rood/Oranje/Groen": (
        ("Rood/Oranje/Groen", "Status gegevens"),
        "de kwaliteit van een bron of uitkomst in het gegevenslogboek: groen zonder bijzonderheden, oranje "
        "met een kanttekening (bijvoorbeeld weinig gebeurtenissen of een breuk in de reeks), rood te weinig "
        "om op te bouwen."),
    "startcohort": (
        ("cohort",),
        "de wijken die in dezelfde maand met wijkgericht handhaven begonnen; hun gezamenlijke effect wordt "
        "samen geschat, omdat één wijk alleen te weinig gegevens heeft."),
    "synthetische controle": (
        ("synthetische controle", "synthetische vergelijkingswijk"),
        "een gewogen mix van wijken zonder wijkgericht handhaven die vóór de start zo goed mogelijk op de wijk "
        "leek; na de start is het verschil met die mix het geschatte effect."),
    "verschil-in-verschillen (difference-in-differences)": (
        ("difference-in-differences", "verschil-in-verschillen", "Wooldridge"),
        "de verandering van vóór naar na de start in de wijk, min dezelfde verandering in de "
        "vergelijkingswijken. 'Gespreid' (Wooldridge 2023) betekent dat wijken op verschillende data "
        "begonnen en elk startcohort met de wijken die toen (nog) niet begonnen waren wordt vergeleken."),
    "vergelijkingswijken": (
        ("vergelijkingswijk",),
        "wijken zonder wijkgericht handhaven in de periode van de schatting; hun ontwikkeling laat zien wat er "
        "zonder de aanpak waarschijnlijk was gebeurd."),
    "Wilson- en Newcombe-interval": (
        ("Wilson", "Newcombe"),
        "betrouwbaarheidsintervallen voor een aandeel (Wilson) en voor het verschil tussen twee aandelen "
        "(Newcombe), zoals de naleving in twee jaren."),
}


def _pattern(spelling: str) -> re.Pattern[str]:
    flags = 0 if spelling.isupper() else re.IGNORECASE
    return re.compile(r"(?<![\w-])" + re.escape(spelling.strip()), flags)


def glossary(text: str | None = None) -> list[tuple[str, str]]:
    """The glossary entries ``(term, explanation)`` whose term occurs in ``text`` (all without text).

    Examples
    --------
    >>> [t for t, _ in glossary("gespreide difference-in-differences, gestudentiseerd")]
    ['gestudentiseerd', 'verschil-in-verschillen (difference-in-differences)']
    >>> len(glossary()) == len(GLOSSARY)
    True
    """
    if text is None:
        return [(term, expl) for term, (_, expl) in GLOSSARY.items()]
    return [(term, expl) for term, (spellings, expl) in GLOSSARY.items()
            if any(_pattern(s).search(text) for s in spellings)]


def glossary_markdown(text: str | None = None) -> str:
    """The glossary as a Markdown list, headed "Begrippenlijst" (empty when no term occurs).

    Examples
    --------
    >>> glossary_markdown("een placebotoets").splitlines()[0]
    '**Begrippenlijst.** De technische namen in deze methodeparagraaf, kort uitgelegd.'
    """
    entries = glossary(text)
    if not entries:
        return ""
    return ("**Begrippenlijst.** De technische namen in deze methodeparagraaf, kort uitgelegd.\n\n"
            + "\n".join(f"- **{term}**: {expl}" for term, expl in entries))
