"""The one dictionary that turns column names into Dutch labels for every table and chart.

Reports never show a raw column name: table headers and chart axes go through :func:`label`. An
unknown column falls back to a readable form of its name (underscores to spaces,
first letter capitalised) so a new column never breaks a report; add it here to give it a proper label.
"""

from __future__ import annotations

#: Column name -> Dutch label. Keys are canonical names from docs/contracts.md and the result tables.
LABELS: dict[str, str] = {
    # geography and time
    "gemeente_code": "Gemeentecode", "gemeente": "Gemeente",
    "gebied_code": "Gebiedscode", "gebied": "Gebied",
    "wijk_code": "Wijkcode", "wijk": "Wijk",
    "buurt_code": "Buurtcode", "buurt": "Buurt",
    "wijkraad_id": "Wijkraad (code)", "wijkraad": "Wijkraad",
    "unit": "Gebied", "eenheid": "Gebied",
    "jaar": "Jaar", "year": "Jaar", "maand": "Maand", "week": "Week", "period": "Periode",
    "periode": "Periode", "datum": "Datum", "editie": "Editie", "kwartaal": "Kwartaal",
    "population": "Inwoners", "inwoners": "Inwoners",
    # event tables
    "categorie": "Categorie", "subcategorie": "Subcategorie", "kanaal": "Kanaal", "status": "Status",
    "thema": "Thema", "actie": "Actie", "overtreding": "Overtreding", "uren": "Handhavingsuren",
    "uren_per_week": "Uren per week", "misdrijf": "Misdrijf", "misdrijf_code": "Misdrijfcode",
    "aantal": "Aantal", "index": "Index", "deel": "Deel", "indicator": "Indicator", "waarde": "Waarde",
    "n_respondenten": "Respondenten", "niveau": "Niveau", "start": "Start", "eind": "Einde",
    "bron": "Bron", "richting": "Gewenste richting", "type": "Type", "partner": "Partner",
    "vorm": "Vorm", "toon": "Toon", "handhaving_aanwezig": "Handhaving aanwezig",
    "publiceerbaar": "Publiceerbaar",
    # panel outcomes
    "n_afval": "Meldingen afval", "n_grofvuil": "Meldingen grofvuil", "n_zwerfvuil": "Meldingen zwerfvuil",
    "n_parkeren": "Meldingen parkeren", "n_fietswrakken": "Meldingen fietswrakken",
    "n_overlast": "Meldingen overlast", "n_jeugd": "Meldingen jeugdoverlast",
    "n_verwaarlozing": "Meldingen verwaarlozing", "n_meldingen": "Meldingen (totaal)",
    "rate_meldingen": "Meldingen per 1.000 inwoners", "rate_misdrijven": "Misdrijven per 1.000 inwoners",
    "doorlooptijd_mediaan": "Doorlooptijd, mediaan (dagen)", "doorlooptijd_p90": "Doorlooptijd, 90e percentiel (dagen)",
    "naleving": "Naleving (aandeel controles zonder overtreding)",
    "treated": "Wijkgericht handhaven", "first_treated": "Start wijkgericht handhaven",
    # estimates (tidy contract)
    "term": "Term", "estimate": "Schatting", "std_error": "Standaardfout", "statistic": "Toetsgrootheid",
    "p_value": "p-waarde", "conf_low": "95%-interval, onder", "conf_high": "95%-interval, boven",
    "event_time": "Maanden t.o.v. start", "time": "Tijd", "group": "Cohort",
    "effect": "Geschat effect", "interval": "95%-interval", "methode": "Methode", "method": "Methode",
    "ontwerp": "Onderzoeksopzet", "oordeel": "Oordeel", "verdict": "Oordeel", "herijk": "Herijkadvies",
    "ontwikkeling": "Ontwikkeling", "prioriteit": "Prioriteit", "uitkomst": "Uitkomstmaat",
    "waargenomen": "Waargenomen", "observed": "Waargenomen", "contrafeitelijk": "Zonder inzet (geschat)",
    "counterfactual": "Zonder inzet (geschat)", "stad": "Stad", "city": "Stad",
    "voor": "Voor de start", "na": "Na de start", "verschil": "Verschil", "rel_verschil": "Verschil (%)",
    "significant": "Significant (5%)", "n_tests": "Aantal toetsen", "aandeel": "Aandeel",
    "rag": "Beoordeling", "beoordeling": "Beoordeling", "toelichting": "Toelichting", "item": "Onderdeel",
    # report batch (manifest)
    "ward_id": "Code", "ward": "Naam", "duration_s": "Duur (s)", "reason": "Reden", "kind": "Soort",
}

#: Dutch names of the police crime types (delict codes of hoeveiligismijnwijk.nl / Politie open data).
MISDRIJVEN: dict[str, str] = {
    "100": "Diefstal van brom-/snorfietsen",
    "101": "Fietsendiefstal",
    "102": "Straatroof",
    "104": "Woninginbraak",
    "105": "Diefstal uit/vanaf motorvoertuigen",
    "106": "Diefstal van motorvoertuigen",
    "107": "Winkeldiefstal",
    "108": "Zakkenrollerij",
    "109": "Bedreiging",
    "110": "Mishandeling",
    "111": "Vernieling",
    "117": "Overval",
}

#: CBS / police open-data crime classification ("SoortMisdrijf") -> Dutch name.
CBS_MISDRIJVEN: dict[str, str] = {
    "1.1.1": "Diefstal/inbraak woning", "1.1.2": "Diefstal/inbraak box/garage/schuur",
    "1.2.1": "Diefstal uit/vanaf motorvoertuigen", "1.2.2": "Diefstal van motorvoertuigen",
    "1.2.3": "Diefstal van brom-, snor-, fietsen", "1.2.4": "Zakkenrollerij",
    "1.2.5": "Diefstal af/uit/van overige voertuigen", "1.3.1": "Ongevallen (weg)", "1.4.1": "Zedenmisdrijf",
    "1.4.2": "Moord, doodslag", "1.4.3": "Openlijk geweld (persoon)", "1.4.4": "Bedreiging",
    "1.4.5": "Mishandeling", "1.4.6": "Straatroof", "1.4.7": "Overval", "1.5.2": "Diefstallen (water)",
    "1.6.1": "Brand/ontploffing", "1.6.2": "Overige vermogensdelicten", "1.6.3": "Mensenhandel",
    "2.1.1": "Drugs/drankoverlast", "2.2.1": "Vernieling cq. zaakbeschadiging",
    "2.4.1": "Burengerucht (relatieproblemen)", "2.4.2": "Huisvredebreuk",
    "2.5.1": "Diefstal/inbraak bedrijven en instellingen", "2.5.2": "Winkeldiefstal",
    "2.6.1": "Inrichting Wet Milieubeheer", "2.6.2": "Bodem", "2.6.3": "Water", "2.6.4": "Afval",
    "2.6.5": "Bouwstoffen", "2.6.7": "Mest", "2.6.8": "Transport gevaarlijke stoffen",
    "2.6.9": "Vuurwerk", "2.6.10": "Bestrijdingsmiddelen", "2.6.11": "Natuur en landschap",
    "2.6.12": "Ruimtelijke ordening", "2.6.13": "Dieren", "2.6.14": "Voedselveiligheid",
    "2.7.2": "Bijzondere wetten", "2.7.3": "Leefbaarheid (overig)", "3.1.1": "Drugshandel",
    "3.1.2": "Mensensmokkel", "3.1.3": "Wapenhandel", "3.2.1": "Kinderporno", "3.2.2": "Kinderprostitutie",
    "3.3.2": "Onder invloed (lucht)", "3.3.5": "Lucht (overig)", "3.4.2": "Onder invloed (water)",
    "3.5.2": "Onder invloed (weg)", "3.5.5": "Weg (overig)", "3.6.4": "Aantasting openbare orde",
    "3.7.1": "Discriminatie", "3.7.2": "Vreemdelingenzorg", "3.7.3": "Maatschappelijke integriteit (overig)",
    "3.7.4": "Cybercrime", "3.9.1": "Horizontale fraude", "3.9.2": "Verticale fraude", "3.9.3": "Fraude (overig)",
}

#: Dutch words for verdicts, RAG ratings and directions used in tables.
WAARDEN: dict[str, str] = {
    "omlaag": "omlaag", "omhoog": "omhoog",
    "red": "Rood", "amber": "Oranje", "green": "Groen", "R": "Rood", "A": "Oranje", "G": "Groen",
    "ok": "gereed", "failed": "mislukt",
}


def label(column: str) -> str:
    """Dutch label of a column name.

    Examples
    --------
    >>> label("doorlooptijd_mediaan")
    'Doorlooptijd, mediaan (dagen)'
    >>> label("n_fietswrakken")
    'Meldingen fietswrakken'
    >>> label("iets_nieuws")
    'Iets nieuws'
    """
    if column in LABELS:
        return LABELS[column]
    text = str(column)
    for prefix, dutch in (("n_", "Aantal "), ("rate_", "Per 1.000 inwoners: "), ("missing_", "Ontbreekt: ")):
        if text.startswith(prefix):
            return dutch + text[len(prefix):].replace("_", " ")
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def outcome(name: str) -> str:
    """Dutch label of a monitor outcome key (``afval``, ``meldingen``, ``misdrijf_1_1_1``, ...).

    Examples
    --------
    >>> outcome("afval"), outcome("misdrijf_1_4_5"), outcome("misdrijven"), outcome("misdrijf_104")
    ('Meldingen afval', 'Misdrijven: Mishandeling', 'Misdrijven (totaal)', 'Misdrijven: Woninginbraak')
    """
    key = str(name)
    if key == "misdrijven":
        return "Misdrijven (totaal)"
    if key.startswith("misdrijf_"):
        code = key[len("misdrijf_"):].replace("_", ".")
        # CBS crime classification (1.1.1) first, then the police delict codes (104) of other exports.
        return "Misdrijven: " + CBS_MISDRIJVEN.get(code, MISDRIJVEN.get(code, code))
    return label(key if key in LABELS else f"n_{key}")


def misdrijf(code: str | int) -> str:
    """Dutch name of a police delict code.

    Examples
    --------
    >>> misdrijf(104)
    'Woninginbraak'
    """
    key = str(code)
    if key not in MISDRIJVEN:
        raise KeyError(f"unknown delict code {code!r}; known codes: {sorted(MISDRIJVEN)}")
    return MISDRIJVEN[key]
