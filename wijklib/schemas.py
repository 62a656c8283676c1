"""Canonical table schemas, raw header aliases and value vocabularies for every data source.

This module is the single place that says what a raw export looks like (``RAW_HEADERS``,
``RAW_FORMATS``) and what the validated table looks like (``SCHEMAS``, pandera). ``wijklib.load``
reads with it; ``wijklib.demo`` writes with it, so the two cannot drift apart.

``RAW_HEADERS[source]`` maps each canonical column to the raw headers that mean it. The **first**
alias is the header of the municipal export (and of the demo files); the canonical name itself is
always accepted too. Headers are compared after :func:`normalize_header` (case, accents, spaces and
punctuation ignored), so ``"X-coördinaat"``, ``"x coordinaat"`` and ``"X_COORDINAAT"`` are the same.

Examples
--------
>>> from wijklib import schemas
>>> schemas.RAW_HEADERS["meldingen"]["ontvangen"][0]
'Datum melding'
>>> schemas.raw_columns("interventie")
['Wijkraad', 'Startdatum', 'Uren per week']
>>> schemas.normalize_header(" X-Coördinaat ")
'x coordinaat'
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pandera.pandas as pa

# --------------------------------------------------------------------------------------------
# Vocabularies (canonical values) and the raw spellings that map onto them
# --------------------------------------------------------------------------------------------
KANALEN = ("14010", "MeldR", "BuitenBeter", "web")
CATEGORIEEN = (
    "afval", "grofvuil", "zwerfvuil", "parkeren", "fietswrakken", "overlast", "jeugd", "verwaarlozing",
    # Subjects of a real platform taxonomy that match none of the above (lighting, trees, sewers ...):
    # counted in n_meldingen, never forced into a category.
    "overig",
)
STATUSSEN = ("open", "afgehandeld", "doorgezet", "vervallen")
ACTIES = ("controle", "waarschuwing", "bestuurlijke strafbeschikking", "proces-verbaal")
INDICES = ("veiligheid", "sociaal", "fysiek")
DELEN = ("objectief", "subjectief", "totaal")
NIVEAUS = ("focus", "hyperfocus")
RICHTINGEN = ("omlaag", "omhoog")
PARTNERS = ("politie", "jongerenwerk", "woningcorporatie", "welzijn", "school", "ondernemers")
SIGNAAL_BRONNEN = ("wijkraad", "overleg", "Wijkhub-inloop")
TONEN = ("positief", "neutraal", "negatief")
WIJKPROFIEL_EDITIES = (2014, 2016, 2018, 2020, 2022, 2024)

#: Delict codes of the thehague_crime reference set (hoeveiligismijnwijk.nl), see its SOURCE.md.
THEHAGUE_DELICTS = {
    "100": "diefstal vanaf scooter",
    "101": "diefstal van fiets",
    "102": "straatroof",
    "104": "woninginbraak (poging en geslaagd)",
    "105": "diefstal uit/vanaf motorvoertuig",
    "106": "diefstal van motorvoertuig",
    "107": "winkeldiefstal",
    "108": "zakkenrollerij",
    "109": "bedreiging",
    "110": "mishandeling",
    "111": "vernieling",
    "117": "overval",
}

#: Raw spellings (compared after :func:`normalize_value`) -> canonical value, per vocabulary.
#: Every canonical value is accepted as itself; these are the extra spellings seen in exports.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "kanaal": {
        "14 010": "14010", "telefoon": "14010", "tel": "14010", "meldr": "MeldR", "meldr app": "MeldR",
        "buitenbeter": "BuitenBeter", "buiten beter": "BuitenBeter", "website": "web",
        "internet": "web", "online": "web", "webformulier": "web",
    },
    "categorie": {
        "afval naastplaatsing": "afval", "naastplaatsing": "afval", "afval container": "afval",
        "grof vuil": "grofvuil", "grof afval": "grofvuil", "zwerf vuil": "zwerfvuil",
        "zwerfafval": "zwerfvuil", "parkeeroverlast": "parkeren", "fout parkeren": "parkeren",
        "fietswrak": "fietswrakken", "overlast personen": "overlast",
        "overlast jeugd": "jeugd", "jongerenoverlast": "jeugd",
        "verwaarlozing openbare ruimte": "verwaarlozing",
    },
    "status": {
        "gesloten": "afgehandeld", "afgerond": "afgehandeld", "in behandeling": "open",
        "nieuw": "open", "doorgestuurd": "doorgezet", "vervallen geen actie": "vervallen",
        "geannuleerd": "vervallen",
    },
    "actie": {
        "bsb": "bestuurlijke strafbeschikking", "pv": "proces-verbaal",
        "proces verbaal": "proces-verbaal", "procesverbaal": "proces-verbaal",
        "schriftelijke waarschuwing": "waarschuwing", "mondelinge waarschuwing": "waarschuwing",
    },
    "index": {
        "vi": "veiligheid", "veiligheidsindex": "veiligheid", "si": "sociaal",
        "sociale index": "sociaal", "fi": "fysiek", "fysieke index": "fysiek",
    },
    "deel": {"objectieve": "objectief", "subjectieve": "subjectief", "index": "totaal", "totaalscore": "totaal"},
    "niveau": {"focuswijk": "focus", "focusgebied": "focus", "hyperfocuswijk": "hyperfocus"},
    "richting": {
        "daling": "omlaag", "dalen": "omlaag", "lager": "omlaag", "minder": "omlaag",
        "stijging": "omhoog", "stijgen": "omhoog", "hoger": "omhoog", "meer": "omhoog",
    },
    "partner": {
        "woningcorporaties": "woningcorporatie", "corporatie": "woningcorporatie", "scholen": "school",
        "onderwijs": "school", "ondernemer": "ondernemers", "winkeliers": "ondernemers",
        "welzijnswerk": "welzijn", "jongerenwerker": "jongerenwerk",
    },
    "bron": {"wijkhub": "Wijkhub-inloop", "wijkhub inloop": "Wijkhub-inloop", "inloop": "Wijkhub-inloop"},
    "toon": {"positieve": "positief", "neutrale": "neutraal", "negatieve": "negatief"},
}

VOCABULARIES: dict[str, tuple] = {
    "kanaal": KANALEN, "categorie": CATEGORIEEN, "status": STATUSSEN, "actie": ACTIES,
    "index": INDICES, "deel": DELEN, "niveau": NIVEAUS, "richting": RICHTINGEN,
    "partner": PARTNERS, "bron": SIGNAAL_BRONNEN, "toon": TONEN,
}

#: Spellings accepted for booleans (after :func:`normalize_value`).
TRUE_VALUES = ("ja", "j", "yes", "y", "true", "waar", "1", "x")
FALSE_VALUES = ("nee", "n", "no", "false", "onwaar", "0")

# --------------------------------------------------------------------------------------------
# Raw headers: canonical column -> [export header, other accepted spellings...]
# --------------------------------------------------------------------------------------------
RAW_HEADERS: dict[str, dict[str, list[str]]] = {
    "meldingen": {
        "melding_id": ["Meldingnummer", "Meldingsnummer", "Nummer melding", "Melding nr", "ID"],
        "ontvangen": ["Datum melding", "Datum ontvangst", "Ontvangen", "Datum/tijd melding"],
        "afgehandeld": ["Datum afhandeling", "Afgehandeld op", "Datum gereed", "Datum afgehandeld"],
        "kanaal": ["Kanaal", "Meldkanaal", "Bron"],
        "categorie": ["Hoofdcategorie", "Categorie"],
        "subcategorie": ["Subcategorie", "Sub categorie"],
        "buurt_code": ["Buurtcode", "Buurt", "CBS buurtcode"],
        "x": ["X-coördinaat", "X", "X coord", "RD X"],
        "y": ["Y-coördinaat", "Y", "Y coord", "RD Y"],
        "status": ["Status"],
        "omschrijving": ["Omschrijving", "Toelichting", "Tekst"],
    },
    "handhaving": {
        "actie_id": ["Zaaknummer", "Zaaknr", "Actienummer"],
        "datum": ["Datum", "Datum actie"],
        "buurt_code": ["Buurt", "Buurtcode"],
        "thema": ["Thema"],
        "actie": ["Soort actie", "Actie", "Afdoening"],
        "overtreding": ["Overtreding geconstateerd", "Overtreding"],
    },
    "handhaving_uren": {
        "wijkraad_id": ["Wijkraad", "Wijk"],
        "week": ["Week", "Week (maandag)", "Weekstart"],
        "uren": ["Inzet uren", "Uren", "Inzet"],
    },
    "politie": {
        "id": ["ID"],
        "misdrijf_code": ["SoortMisdrijf", "Soort misdrijf"],
        "misdrijf": ["Omschrijving misdrijf", "SoortMisdrijf_label", "Misdrijf"],
        "buurt_code": ["WijkenEnBuurten", "Wijken en buurten", "RegioS", "Codering_3"],
        "maand": ["Perioden", "Periode"],
        "aantal": ["GeregistreerdeMisdrijven_1", "Geregistreerde misdrijven", "GeregistreerdeMisdrijven"],
    },
    # The thehague_crime reference layout (English headers; see data/raw/politie/README.md).
    "politie_thehague": {
        "year": ["year"], "month": ["month"], "district_code": ["district_code"],
        "delict_code": ["delict_code"], "neighbourhood_code": ["neighbourhood_code"],
        "neighbourhood_name": ["neighbourhood_name"], "delicts": ["delicts"],
    },
    "wijkprofiel": {
        "editie": ["Editie", "Jaar"],
        "wijk_code": ["Wijk", "Wijkcode", "Wijknaam"],
        "index": ["Index"],
        "thema": ["Thema"],
        "deel": ["Deel"],
        "indicator": ["Indicator"],
        "waarde": ["Score", "Waarde", "Indexscore"],
        "n_respondenten": ["Aantal respondenten", "N respondenten", "Respondenten"],
    },
    "focusgebieden": {
        "wijk_code": ["Gebied", "Wijk"],
        "niveau": ["Niveau"],
        "start": ["Startdatum", "Start", "Begindatum"],
        "eind": ["Einddatum", "Eind"],
    },
    "wijkakkoorden": {
        "jaar": ["Jaar"],
        "wijkraad_id": ["Wijkraad"],
        "thema": ["Prioriteit", "Thema"],
        "indicator": ["Indicator"],
        "bron": ["Bron"],
        "richting": ["Gewenste richting", "Richting"],
    },
    "netwerk_overleggen": {
        "datum": ["Datum"],
        "wijkraad_id": ["Wijkraad"],
        "type": ["Soort overleg", "Overleg", "Type"],
        "handhaving_aanwezig": ["Handhaving aanwezig", "Handhaving"],
    },
    "netwerk_samenwerking": {
        "wijkraad_id": ["Wijkraad"],
        "partner": ["Partner"],
        "periode": ["Kwartaal", "Periode"],
        "vorm": ["Vorm", "Soort samenwerking"],
        "aantal": ["Aantal"],
    },
    "signalen": {
        "signaal_id": ["Nr", "Nummer", "Signaalnummer"],
        "datum": ["Datum"],
        "wijkraad_id": ["Wijkraad"],
        "bron": ["Bron"],
        "thema": ["Thema"],
        "toon": ["Toon"],
        "tekst": ["Samenvatting", "Signaal", "Tekst"],
        "publiceerbaar": ["Publiceerbaar", "Openbaar"],
    },
    "interventie": {
        "wijkraad_id": ["Wijkraad"],
        "start": ["Startdatum", "Start"],
        "uren_per_week": ["Uren per week", "Uren/week", "Inzet per week"],
    },
}

#: How the municipal exports (and therefore the demo files) are written: separator, encoding,
#: extension, and the date formats they use (strftime). Readers sniff all of this anyway.
RAW_FORMATS: dict[str, dict[str, str]] = {
    "meldingen": {"ext": ".csv", "sep": ";", "encoding": "cp1252", "date_format": "%d-%m-%Y %H:%M", "decimal": ","},
    "handhaving": {"ext": ".csv", "sep": ",", "encoding": "utf-8-sig", "date_format": "%d-%m-%Y"},
    "handhaving_uren": {"ext": ".xlsx", "date_format": "%d-%m-%Y", "decimal": ","},
    "politie": {"ext": ".csv", "sep": ";", "encoding": "utf-8", "period_format": "%YMM%m"},
    "wijkprofiel": {"ext": ".xlsx"},
    "focusgebieden": {"ext": ".csv", "sep": ";", "encoding": "utf-8", "date_format": "%d-%m-%Y"},
    "wijkakkoorden": {"ext": ".csv", "sep": ";", "encoding": "utf-8-sig"},
    "netwerk_overleggen": {"ext": ".csv", "sep": ",", "encoding": "cp1252", "date_format": "%d-%m-%Y"},
    "netwerk_samenwerking": {"ext": ".csv", "sep": ";", "encoding": "utf-8"},
    "signalen": {"ext": ".csv", "sep": ";", "encoding": "utf-8", "date_format": "%d-%m-%Y"},
    "interventie": {"ext": ".csv", "sep": ";", "encoding": "utf-8", "date_format": "%d-%m-%Y", "decimal": ","},
}


def raw_columns(source: str) -> list[str]:
    """Headers of the municipal export of ``source``, in file order (what ``wijklib.demo`` writes).

    Examples
    --------
    >>> raw_columns("signalen")[:3]
    ['Nr', 'Datum', 'Wijkraad']
    """
    return [aliases[0] for aliases in RAW_HEADERS[source].values()]


def normalize_header(text: object) -> str:
    """Header key for matching: lowercase ASCII words separated by single spaces.

    Examples
    --------
    >>> normalize_header("\\ufeffDatum_Melding ")
    'datum melding'
    """
    s = unicodedata.normalize("NFKD", str(text).replace("\ufeff", ""))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^0-9a-z]+", " ", s).strip()


def normalize_value(text: str) -> str:
    """Key for matching vocabulary values: like :func:`normalize_header` (``"Wijkhub-inloop"`` -> ``"wijkhub inloop"``).

    Examples
    --------
    >>> normalize_value("Parkeer-overlast ")
    'parkeer overlast'
    """
    return normalize_header(text)


def value_lookup(vocabulary: str) -> dict[str, str]:
    """Normalised raw spelling -> canonical value for one vocabulary (canonical values included).

    Examples
    --------
    >>> value_lookup("richting")["daling"]
    'omlaag'
    """
    table = {normalize_value(v): v for v in VOCABULARIES[vocabulary]}
    table.update({normalize_value(k): v for k, v in VALUE_ALIASES.get(vocabulary, {}).items()})
    return table


# --------------------------------------------------------------------------------------------
# pandera schemas of the canonical tables (the last line of defence; loaders check row by row first)
# --------------------------------------------------------------------------------------------
_DT = "datetime64[ns]"
_BUURT = r"^BU\d{8}$"
_WK = r"^WK\d{6}$"
#: A report unit's id: whatever the city's geography uses (the demo's slugs such as ``tarwewijk``, CBS
#: wijk codes such as ``WK051802``, a city's own numbers); one token, no spaces or punctuation runs.
_SLUG = r"^[A-Za-z0-9]+([._-][A-Za-z0-9]+)*$"


def _matches(pattern: str) -> pa.Check:
    """Regex check evaluated on distinct values only (codes repeat: 500k rows, ~100 distinct)."""
    rx = re.compile(pattern)

    def check(s):
        codes, uniques = pd.factorize(s, use_na_sentinel=False)
        ok = np.fromiter((isinstance(u, str) and rx.match(u) is not None for u in uniques), dtype=bool, count=len(uniques))
        return pd.Series(ok[codes], index=s.index)

    return pa.Check(check, name=f"str_matches('{pattern}')")


def _isin(values) -> pa.Check:
    return pa.Check.isin(list(values))


def _col(dtype, *checks, nullable: bool = False, required: bool = True, unique: bool = False) -> pa.Column:
    return pa.Column(dtype, list(checks), nullable=nullable, required=required, unique=unique)


MELDINGEN = pa.DataFrameSchema(
    {
        "melding_id": _col(str, unique=True),
        "ontvangen": _col(_DT),
        "afgehandeld": _col(_DT, nullable=True),
        "kanaal": _col(str, _isin(KANALEN)),
        "categorie": _col(str, _isin(CATEGORIEEN)),
        "subcategorie": _col(str, nullable=True),
        "buurt_code": _col(str, _matches(_BUURT), nullable=True),
        "x": _col(float, pa.Check.in_range(0, 300_000), nullable=True),
        "y": _col(float, pa.Check.in_range(289_000, 629_000), nullable=True),
        "status": _col(str, _isin(STATUSSEN)),
        "omschrijving": _col(str, nullable=True),
    },
    name="meldingen",
    checks=[pa.Check(lambda d: ~(d["afgehandeld"] < d["ontvangen"]), name="afgehandeld >= ontvangen")],
    description="Public reports (14 010 / MeldR / BuitenBeter / web); one row per melding.",
)

HANDHAVING = pa.DataFrameSchema(
    {
        "actie_id": _col(str, unique=True),
        "datum": _col(_DT),
        "buurt_code": _col(str, _matches(_BUURT)),
        "thema": _col(str),
        "actie": _col(str, _isin(ACTIES)),
        "overtreding": _col(bool),
    },
    name="handhaving",
    description="Enforcement actions; one row per action (zaak).",
)

HANDHAVING_UREN = pa.DataFrameSchema(
    {
        "wijkraad_id": _col(str, _matches(_SLUG)),
        "week": _col(_DT, pa.Check(lambda s: s.dt.day_of_week == 0, name="week starts on Monday")),
        "uren": _col(float, pa.Check.ge(0)),
    },
    name="handhaving_uren",
    unique=["wijkraad_id", "week"],
    description="Enforcement hours per wijkraad per week.",
)

POLITIE = pa.DataFrameSchema(
    {
        "buurt_code": _col(str, _matches(_BUURT)),
        "maand": _col(_DT, pa.Check(lambda s: s.dt.day == 1, name="first of month")),
        "misdrijf_code": _col(str),
        "misdrijf": _col(str, nullable=True),
        "aantal": _col("Int64", pa.Check.ge(0), nullable=True),
        "buurt": _col(str, nullable=True, required=False),
        "gebied_code": _col(str, _matches(_WK), nullable=True, required=False),
    },
    name="politie",
    unique=["buurt_code", "maand", "misdrijf_code"],
    description="Police-registered crimes per buurt per month per crime type ('.' in the export = <NA>).",
)

WIJKPROFIEL = pa.DataFrameSchema(
    {
        "editie": _col(int, _isin(WIJKPROFIEL_EDITIES)),
        "wijk_code": _col(str, _matches(_BUURT)),
        "index": _col(str, _isin(INDICES)),
        "thema": _col(str, nullable=True),
        "deel": _col(str, _isin(DELEN)),
        "indicator": _col(str),
        "waarde": _col(float, nullable=True),
        "n_respondenten": _col("Int64", pa.Check.ge(0), nullable=True),
    },
    name="wijkprofiel",
    unique=["editie", "wijk_code", "index", "thema", "deel", "indicator"],
    description="Wijkprofiel scores (index scale, 100 = city 2014) per edition, wijk and indicator.",
)

FOCUSGEBIEDEN = pa.DataFrameSchema(
    {
        "wijk_code": _col(str, _matches(_BUURT)),
        "niveau": _col(str, _isin(NIVEAUS)),
        "start": _col(_DT),
        "eind": _col(_DT, nullable=True),
    },
    name="focusgebieden",
    checks=[pa.Check(lambda d: ~(d["eind"] < d["start"]), name="eind >= start")],
    description="Focus / hyperfocus designations of wijken with start and (NaT = ongoing) end.",
)

WIJKAKKOORDEN = pa.DataFrameSchema(
    {
        "jaar": _col(int, pa.Check.in_range(2000, 2100)),
        "wijkraad_id": _col(str, _matches(_SLUG)),
        "thema": _col(str),
        "indicator": _col(str),
        "bron": _col(str),
        "richting": _col(str, _isin(RICHTINGEN)),
    },
    name="wijkakkoorden",
    description="Priorities of each wijkakkoord with the indicator and desired direction.",
)

NETWERK_OVERLEGGEN = pa.DataFrameSchema(
    {
        "datum": _col(_DT),
        "wijkraad_id": _col(str, _matches(_SLUG)),
        "type": _col(str),
        "handhaving_aanwezig": _col(bool),
    },
    name="netwerk_overleggen",
    description="Network meetings per wijkraad and whether enforcement attended.",
)

NETWERK_SAMENWERKING = pa.DataFrameSchema(
    {
        "wijkraad_id": _col(str, _matches(_SLUG)),
        "partner": _col(str, _isin(PARTNERS)),
        "periode": _col(_DT, pa.Check(lambda s: s.dt.is_quarter_start, name="first day of quarter")),
        "vorm": _col(str),
        "aantal": _col(int, pa.Check.ge(0)),
    },
    name="netwerk_samenwerking",
    description="Joint activities with partners per wijkraad per quarter.",
)

SIGNALEN = pa.DataFrameSchema(
    {
        "signaal_id": _col(str, unique=True),
        "datum": _col(_DT),
        "wijkraad_id": _col(str, _matches(_SLUG)),
        "bron": _col(str, _isin(SIGNAAL_BRONNEN)),
        "thema": _col(str),
        "toon": _col(str, _isin(TONEN)),
        "tekst": _col(str, nullable=True),
        "publiceerbaar": _col(bool),
    },
    name="signalen",
    description="Qualitative signals from wijkraden, meetings and Wijkhub walk-ins.",
)

INTERVENTIE = pa.DataFrameSchema(
    {
        "wijkraad_id": _col(str, _matches(_SLUG), unique=True),
        "start": _col(_DT, nullable=True),
        "uren_per_week": _col(float, pa.Check.ge(0), nullable=True),
    },
    name="interventie",
    description="Start of ward-based enforcement per wijkraad (NaT = never treated) and its intensity.",
)

#: source name -> pandera schema of its canonical table.
SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "meldingen": MELDINGEN,
    "handhaving": HANDHAVING,
    "handhaving_uren": HANDHAVING_UREN,
    "politie": POLITIE,
    "wijkprofiel": WIJKPROFIEL,
    "focusgebieden": FOCUSGEBIEDEN,
    "wijkakkoorden": WIJKAKKOORDEN,
    "netwerk_overleggen": NETWERK_OVERLEGGEN,
    "netwerk_samenwerking": NETWERK_SAMENWERKING,
    "signalen": SIGNALEN,
    "interventie": INTERVENTIE,
}

