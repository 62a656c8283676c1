"""Keep personal data out of everything the monitor hands on: ONE scrubber, declared fields, vocabularies.

Rule (``docs/contracts.md``, "Privacy"): free text reaches a report or a processed file only through
:func:`scrub`, and only from fields declared publishable in :data:`FIELDS`; categorical fields are checked
against their vocabulary (:data:`VOCABULARIES`) and an unknown value becomes ``"overig"``, never the value
itself. :func:`sanitize_tables` applies the declarations to the canonical tables once, where the monitor
receives them (``monitor.Context``), so every evaluation, JSON file, panel and report downstream sees only
sanitized values. ``wijklib.disclosure.scrub`` is this same function.

:func:`scrub` removes: e-mail addresses and URLs; IBANs; BSNs (9 digits passing the elfproef) and any other
long digit run; Dutch phone numbers in the usual forms (``06-12345678``, ``+31 6 1234 5678``,
``0031 10 1234567``, ``(010) 123 45 67``, ``0800-1234``); postcodes (with house number); street addresses
(``Kerkstraat 12a``, ``Groene Hilledijk 300``, ``Blaak 16``); Dutch licence plates (every sidecode, e.g.
``12-ABC-3``, ``XX-99-XX``, ``1-ABC-23``); dates of birth; and personal names in the usual phrasing
(``gemeld door ...``, ``meneer/mevrouw/mw./dhr. ...``, initials + surname such as ``J. de Vries``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

#: Replacement marker used in scrubbed text (Dutch: it ends up in reports).
REDACTED = "[verwijderd]"
#: What an unknown value of a categorical field is shown as.
OTHER = "overig"

_U = "A-ZÀ-ÖØ-Þ"  # upper-case letters incl. accented
_L = "a-zß-öø-ÿ"
_TUSSENVOEGSEL = r"(?:(?:[vV]an|[dD]e|[dD]er|[dD]en|[tT]er|[tT]en|[hH]et|[tT]e|[lL]a|[lL]e|[dD]u|[dD]a|[eE]l|[aA]l|[oO]p|[iI]n|'t|'s)\s+)*"
_NAME = rf"[{_U}][{_L}{_U}'’]*(?:-[{_U}][{_L}{_U}'’]*)?"
_NAMES = rf"{_TUSSENVOEGSEL}{_NAME}(?:\s+{_TUSSENVOEGSEL}{_NAME}){{0,2}}"
_INITIALS = rf"(?:[{_U}]\.\s?){{1,4}}"
_TITLE = (r"(?:meneer|mevrouw|mevr|mw|mvr|dhr|hr|de\s+heer|heer|mr|mrs|ms|mej|juffrouw|fam|familie|buurman|"
          r"buurvrouw|bewoner|bewoonster|melder|melding\s+van|wijkagent|agent|handhaver|boa)")
_CUE = (r"(?:gemeld|gebeld|gemaild|gestuurd|gesproken|ingediend|doorgegeven|getipt|ondertekend|genoemd)\s+"
        r"(?:door|met|van)|namens|volgens|aldus|contactpersoon|contact\s+met|naam|melder|afzender|bewoner")
_STREET_SUFFIX = (r"(?:straat|str|laan|weg|plein|kade|singel|dijk|hof|gracht|dreef|steeg|pad|boulevard|park|markt|"
                  r"baan|veld|haven|hoek|dam|wal|pier|plaats|erf|zijde|rijn|weide|ring|burg|poort|straatweg|"
                  r"hage|lei|oord|tuin|tuinen|akker|hof|dreef|pad|rede|berg|bos|kwartier|stoep|vliet|kanaal|lijn)")
# Capitalised words that often stand before a number in ordinary sentences (not street names).
_NOT_STREETS = (
    "Sinds|In|Op|Om|Tot|Van|Tussen|Voor|Na|Per|Rond|Al|Ruim|Bijna|Ongeveer|Circa|Minstens|Maximaal|Nog|Ook|"
    "Er|We|Wij|Ze|Zij|Ik|Hij|Het|De|Een|Dit|Dat|Deze|Die|Elke|Iedere|Afgelopen|Vorige|Volgende|Over|Binnen|"
    "Week|Weken|Jaar|Jaren|Maand|Maanden|Dag|Dagen|Uur|Pagina|Niveau|Editie|Fase|Stap|Groep|Klas|Lijn|Bus|"
    "Tram|Metro|Nummer|Nr|Punt|Punten|Score|Top|Totaal|Meer|Minder|Zo|Wel|Niet|Geen|Alle|Bij|Met|Zonder|"
    "Januari|Februari|Maart|April|Mei|Juni|Juli|Augustus|September|Oktober|November|December|"
    "Maandag|Dinsdag|Woensdag|Donderdag|Vrijdag|Zaterdag|Zondag|Kwartaal|Q"
)
_HOUSE_NO = r"\d{1,5}(?:\s?[a-zA-Z](?![\w]))?(?:\s?-\s?[a-zA-Z\d]{1,4}(?![\w])|\s?(?:bis|hs|huis|boven|beneden|zw|rd)\b)?"
_SEP = r"[\s.\-/()]*"
_PLATE_SIDECODES = [  # L = letter, D = digit, groups separated by '-'
    "LL-DD-DD", "DD-DD-LL", "DD-LL-DD", "LL-DD-LL", "LL-LL-DD", "DD-LL-LL", "DD-LLL-D", "D-LLL-DD",
    "LL-DDD-L", "L-DDD-LL", "LLL-DD-L", "L-DD-LLL", "D-LL-DDD", "DDD-LL-D",
]


def _plate_pattern() -> str:
    alts = []
    for code in _PLATE_SIDECODES:
        groups = [("[A-Z]" if g[0] == "L" else r"\d") + f"{{{len(g)}}}" for g in code.split("-")]
        alts.append(r"[-\s]?".join(groups))
    return r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])"


def _plate_lower_pattern() -> str:
    # Lower-case plates only with dashes ("12-abc-3"): without them too many ordinary tokens would match.
    alts = []
    for code in _PLATE_SIDECODES:
        alts.append("-".join(("[a-zA-Z]" if g[0] == "L" else r"\d") + f"{{{len(g)}}}" for g in code.split("-")))
    return r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])"


def elfproef(digits: str) -> bool:
    """True when a 9-digit string passes the BSN eleven test (weights 9..2 and -1).

    Examples
    --------
    >>> elfproef("111222333"), elfproef("123456789")
    (True, False)
    """
    d = [int(c) for c in digits if c.isdigit()]
    if len(d) != 9 or not any(d):
        return False
    total = sum(w * x for w, x in zip(range(9, 1, -1), d[:8], strict=True)) - d[8]
    return total % 11 == 0


# Order matters: e-mail and URLs first (they hold digits and dots), IBAN and BSN before the generic
# digit runs, postcode before street addresses, plates before names.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"[\w.+-]+\s?(?:@|\(at\)|\[at\])\s?[\w-]+(?:\.[\w-]+)+", re.I)),
    ("url", re.compile(r"\b(?:https?://|www\.)\S+", re.I)),
    ("iban", re.compile(r"\b[A-Z]{2}\d{2}[\s]?[A-Z]{4}(?:[\s]?\d{2,4}){2,5}\b", re.I)),
    ("bsn", re.compile(r"(?<![\w])\d(?:[\s.\-]?\d){8}(?![\w])")),  # kept only when the elfproef holds
    ("geboortedatum", re.compile(r"(?i:geb(?:oren|\.)?|geboortedatum)\s*(?:op\s*)?:?\s*\d{1,2}[-/.\s]\d{1,2}[-/.\s]\d{2,4}")),
    ("telefoon", re.compile(  # international: +31 / 0031, optional (0), then 9 digits
        r"(?<![\w+])(?:\+|00)\s?\d{2,3}" + _SEP + r"(?:\(0\)" + _SEP + r")?\d(?:" + _SEP + r"\d){7,10}(?![\w])")),
    ("telefoon", re.compile(  # national: 0 + area/mobile code + number, any separators; not a date
        r"(?<![\w])(?!\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?!\d))\(?0\d" + r"(?:" + _SEP + r"\d){6,9}(?![\w])")),
    ("telefoon", re.compile(r"(?<![\w])\d(?:[\s.\-/()]*\d){8,13}(?![\w])")),  # any other long digit run
    ("postcode", re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b(?:\s*,?\s*" + _HOUSE_NO + ")?")),
    ("postcode", re.compile(r"\b[1-9]\d{3}(?!sa|sd|ss)[a-z]{2}\b(?:\s*,?\s*" + _HOUSE_NO + ")?")),
    ("kenteken", re.compile(_plate_pattern())),
    ("kenteken", re.compile(_plate_lower_pattern())),
    ("adres", re.compile(  # any word ending in a street suffix + house number ("1e Middellandstraat 12b")
        rf"(?:(?:[{_U}][\w'’.-]*|\d+e|van|de|der|den|het|ter|ten|'s|'t)\s+){{0,3}}"
        rf"[\w'’.-]*{_STREET_SUFFIX}\.?\s+(?:nr\.?\s*)?" + _HOUSE_NO, re.I)),
    ("adres", re.compile(  # a capitalised name + house number ("Blaak 16", "Oude Binnenweg 113")
        rf"(?<![\w])(?!(?:{_NOT_STREETS})\b)[{_U}][{_L}'’-]{{2,}}(?:\s+(?:[{_U}][{_L}'’-]+|van|de|der|den|het))*"
        r"\s+(?!(?:19|20)\d\d(?!\d))" + _HOUSE_NO + r"(?![\d.,:%])")),
    ("naam", re.compile(  # after a title: "meneer Jansen", "mw. de Vries", "dhr. P. Bakker", "familie El Amrani"
        rf"(?i:\b{_TITLE}\b\.?)\s*:?\s+(?:{_INITIALS}\s*)?{_NAMES}")),
    ("naam", re.compile(  # after a cue: "gemeld door Piet Jansen", "namens J. de Vries"
        rf"(?i:\b(?:{_CUE})\b)\s*:?\s+(?:(?i:{_TITLE})\.?\s+)?(?:{_INITIALS}\s*)?{_NAMES}")),
    ("naam", re.compile(rf"(?<![\w.]){_INITIALS}\s*{_TUSSENVOEGSEL}{_NAME}")),  # "J. de Vries", "J.P. Jansen"
    ("huisnummer", re.compile(r"(?i:\b(?:nummer|nr|huisnummer|huisnr)\b\.?)\s*\d{1,5}(?:\s?[A-Za-z]\b)?")),
]


def _sub(kind: str, pattern: re.Pattern[str], text: str) -> str:
    if kind == "bsn":
        return pattern.sub(lambda m: REDACTED if elfproef(m.group(0)) else m.group(0), text)
    return pattern.sub(REDACTED, text)


def scrub(text: Any) -> str:
    """Remove personal data from free text (the project's ONE scrubber; see the module docstring).

    Parameters
    ----------
    text
        Any value; ``None``/NaN give an empty string, other values are converted with ``str``.

    Returns
    -------
    str
        The text with each personal item replaced by ``[verwijderd]``.

    Examples
    --------
    >>> scrub("Bel meneer Jansen op 06-12345678 of mail p.jansen@example.nl, Dorpsweg 12a")
    'Bel [verwijderd] op [verwijderd] of mail [verwijderd], [verwijderd]'
    >>> scrub("Overlast bij 3072 AB 14 gemeld door mw. de Vries")
    'Overlast bij [verwijderd] gemeld door [verwijderd]'
    >>> scrub("Auto 12-ABC-3 van J. de Vries, BSN 111222333")
    'Auto [verwijderd] van [verwijderd], BSN [verwijderd]'
    >>> scrub("Veel zwerfvuil sinds 2024, 3 keer per week")
    'Veel zwerfvuil sinds 2024, 3 keer per week'
    """
    if text is None:
        return ""
    try:
        if text != text:  # NaN / pd.NA comparisons
            return ""
    except (TypeError, ValueError):
        return ""
    out = str(text)
    for kind, pattern in _PATTERNS:
        out = _sub(kind, pattern, out)
    return out


# ------------------------------------------------------------------------------ field declarations
#: How each text field of each canonical table may be published:
#:
#: - ``"tekst"``: free text, publishable only where the row's ``publiceerbaar`` flag is set, then scrubbed;
#:   elsewhere removed (NA);
#: - ``"nooit"``: free text that is never published (removed before the monitor sees it);
#: - ``"categorie"``: checked against :data:`VOCABULARIES` (unknown -> ``"overig"``);
#: - ``"label"``: a published label (policy documents, survey and police open-data labels): scrubbed;
#: - ``"intern"``: identifiers used for processing only, never published (left as they are).
#:
#: Fields validated against a fixed set by the loaders' schemas (``kanaal``, ``categorie``, ``status``,
#: ``actie``, ``partner``, ``bron``, ``toon``, ...) need no entry: a value outside the set is a load error.
FIELDS: dict[str, dict[str, str]] = {
    "meldingen": {"omschrijving": "nooit", "subcategorie": "label", "melding_id": "intern"},
    "handhaving": {"thema": "categorie", "actie_id": "intern"},
    "politie": {"misdrijf": "label", "misdrijf_code": "label", "buurt": "label"},
    "wijkprofiel": {"thema": "label", "indicator": "label"},
    "wijkakkoorden": {"thema": "label", "indicator": "label", "bron": "label"},
    "netwerk_overleggen": {"type": "categorie"},
    "netwerk_samenwerking": {"vorm": "categorie"},
    "signalen": {"tekst": "tekst", "thema": "categorie", "signaal_id": "intern"},
}

#: Allowed values of the categorical fields (compared case- and space-insensitively). Extend with
#: :func:`register_vocabulary` for a city whose exports use other terms.
VOCABULARIES: dict[tuple[str, str], set[str]] = {
    ("signalen", "thema"): {
        "afval", "grofvuil", "zwerfvuil", "parkeren", "verkeer", "veiligheid", "jeugd", "overlast",
        "woonoverlast", "geluidsoverlast", "drugs", "zichtbaarheid handhaving", "bereikbaarheid handhaving",
        "communicatie", "groen", "onderhoud", "verlichting", "fietsen", "fietswrakken", "honden", "horeca",
        "ondermijning", "verwaarlozing", OTHER,
    },
    ("handhaving", "thema"): {
        "afval", "grofvuil", "zwerfvuil", "parkeren", "fietsen", "fietswrakken", "jeugd", "overlast",
        "woonoverlast", "horeca", "drugs", "alcohol", "honden", "verkeer", "evenementen", "bouw", "reclame",
        "verwaarlozing", "ondermijning", OTHER,
    },
    ("netwerk_samenwerking", "vorm"): {
        "integrale controle", "schouw", "wijkschouw", "casusoverleg", "voorlichting", "overleg",
        "gezamenlijke actie", "huisbezoek", "buurtpreventie", "training", "spreekuur", OTHER,
    },
    ("netwerk_overleggen", "type"): {
        "wijkraadvergadering", "netwerkoverleg jeugd", "veiligheidsoverleg", "wijkoverleg", "bewonersavond",
        "buurtoverleg", "casusoverleg", "gebiedsoverleg", "driehoeksoverleg", OTHER,
    },
}


def _norm(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value)).strip().casefold()


def register_vocabulary(source: str, column: str, values: Iterable[str]) -> None:
    """Add allowed values to the vocabulary of a categorical field (e.g. a city's own themes).

    Examples
    --------
    >>> register_vocabulary("signalen", "thema", ["marktoverlast"])
    >>> category("Marktoverlast", "signalen", "thema")
    'marktoverlast'
    """
    VOCABULARIES.setdefault((source, column), {OTHER}).update(_norm(v) for v in values)


def category(value: Any, source: str, column: str) -> Any:
    """A categorical value as published: its vocabulary form, or ``"overig"`` when unknown (never verbatim).

    Examples
    --------
    >>> category(" Afval ", "handhaving", "thema"), category("bel 0612345678", "handhaving", "thema")
    ('afval', 'overig')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return value
    vocab = VOCABULARIES.get((source, column), {OTHER})
    v = _norm(value)
    return v if v in vocab else OTHER


def sanitize_table(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Apply :data:`FIELDS` to one canonical table (a new frame; ``df`` is not modified).

    Works on the unique values of each column, so it costs milliseconds even for large exports.

    Examples
    --------
    >>> s = pd.DataFrame({"thema": ["afval", "Jan 06-12345678"], "tekst": ["mail a@b.nl", "x"],
    ...                   "publiceerbaar": [True, False]})
    >>> sanitize_table(s, "signalen").to_dict("list")
    {'thema': ['afval', 'overig'], 'tekst': ['mail [verwijderd]', nan], 'publiceerbaar': [True, False]}
    """
    rules = FIELDS.get(source, {})
    if not rules or df is None:
        return df
    out = df.copy()
    out.attrs = dict(df.attrs)
    for col, kind in rules.items():
        if col not in out.columns or kind == "intern":
            continue
        s = out[col]
        if kind == "nooit":
            out[col] = _like(pd.Series(None, index=s.index, dtype=object), s)
            continue
        uniq = pd.unique(s.dropna())
        if kind == "categorie":
            mapping = {u: category(u, source, col) for u in uniq}
        else:
            mapping = {u: scrub(u) for u in uniq}
        new = s.map(mapping).astype(object).where(s.notna(), None)
        if kind == "tekst":
            flag = out["publiceerbaar"] if "publiceerbaar" in out.columns else pd.Series(False, index=s.index)
            new = new.where(flag.astype("boolean").fillna(False).astype(bool), None)
        out[col] = _like(new, s)
    return out


def _like(new: pd.Series, old: pd.Series) -> pd.Series:
    """``new`` in the dtype of ``old`` where possible (string columns stay string columns)."""
    try:
        return new.astype(old.dtype)
    except (TypeError, ValueError):
        return new


def sanitize_tables(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """:func:`sanitize_table` for every table of a ``{source: frame}`` mapping (a new dict).

    Idempotent: sanitizing sanitized tables changes nothing. A :class:`wijklib.sources.Tables` stays one
    (its declared coverage, source reports and platform calendar are kept).
    """
    import copy

    out = copy.copy(tables) if isinstance(tables, dict) and type(tables) is not dict else dict(tables)
    for name, df in tables.items():
        out[name] = sanitize_table(df, name) if isinstance(df, pd.DataFrame) else df
    return out
