"""Simulation of the synthetic demo city (in memory; :mod:`wijklib.demo._write` writes the raw files).

Design: every outcome is drawn as counts per unit x month x category from a log-linear intensity
(population exposure, category base rate, ward effects, seasonality, trend, COVID shock, reporting-app
switch, transient AR(1) ward shocks and the true treatment effect) with gamma-Poisson (negative
binomial) overdispersion, and only then expanded into individual events with ``np.repeat``. That keeps
the whole city vectorised (a few seconds) and lets the generator return the true counts next to the
events, so round-trip tests can check that loaders and panels preserve them exactly.

Each component draws from its own stream ``default_rng([seed, k])`` so that changing one component
does not shift the random numbers of the others.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wijklib.config import DEMO_END, DEMO_SEED, DEMO_START

# --------------------------------------------------------------------------------------------------
# Fixed design of the demo city (the "truth"); documented in truth.json and the README.
# --------------------------------------------------------------------------------------------------

CATEGORIES: tuple[str, ...] = (
    "afval", "grofvuil", "zwerfvuil", "parkeren", "fietswrakken", "overlast", "jeugd", "verwaarlozing",
)

#: Reports per 1,000 residents per month before the app switch, at ward effect 0.
_BASE_RATE = {
    "afval": 0.95, "grofvuil": 0.50, "zwerfvuil": 0.40, "parkeren": 0.40, "fietswrakken": 0.16,
    "overlast": 0.36, "jeugd": 0.18, "verwaarlozing": 0.27,
}
#: How strongly the persistent ward nuisance level loads on each category.
_NUISANCE_LOADING = {
    "afval": 1.0, "grofvuil": 0.7, "zwerfvuil": 0.8, "parkeren": 0.3, "fietswrakken": 0.3,
    "overlast": 1.0, "jeugd": 1.0, "verwaarlozing": 0.6,
}
#: Loading of the transient AR(1) ward shock (the regression-to-the-mean trap).
_SHOCK_LOADING = {
    "afval": 0.8, "grofvuil": 0.5, "zwerfvuil": 0.6, "parkeren": 0.3, "fietswrakken": 0.2,
    "overlast": 1.0, "jeugd": 1.0, "verwaarlozing": 0.4,
}
#: Log-linear trend per year (secular, city-wide).
_TREND = {
    "afval": 0.03, "grofvuil": 0.02, "zwerfvuil": 0.01, "parkeren": 0.04, "fietswrakken": -0.03,
    "overlast": 0.02, "jeugd": 0.01, "verwaarlozing": 0.0,
}
#: Monthly seasonal multipliers (Jan..Dec), normalised to mean 1 below.
_SEASON = {
    "afval": [0.85, 0.85, 0.9, 0.95, 1.05, 1.15, 1.25, 1.2, 1.05, 0.95, 0.9, 0.9],
    "grofvuil": [1.45, 0.9, 0.9, 0.95, 0.95, 1.0, 1.2, 1.2, 1.0, 0.85, 0.8, 0.8],
    "zwerfvuil": [0.8, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.25, 1.05, 0.9, 0.85, 0.85],
    "parkeren": [1.0] * 12,
    "fietswrakken": [0.8, 0.8, 1.1, 1.3, 1.2, 1.0, 0.9, 0.9, 1.1, 1.1, 0.9, 0.8],
    "overlast": [0.85, 0.8, 0.9, 1.0, 1.1, 1.2, 1.25, 1.2, 1.0, 0.9, 0.85, 0.95],
    "jeugd": [1.2, 0.75, 0.8, 0.95, 1.05, 1.15, 1.2, 1.1, 0.9, 0.9, 0.9, 1.1],
    "verwaarlozing": [1.1, 1.1, 1.0, 0.95, 0.95, 0.95, 0.95, 0.95, 1.0, 1.0, 1.0, 1.05],
}
#: COVID-19 period (2020-03 .. 2021-05): more nuisance at home, less parking pressure.
_COVID = {"overlast": 1.25, "jeugd": 1.30, "parkeren": 0.80, "grofvuil": 1.15}
COVID_START, COVID_END = "2020-03", "2021-05"

#: Reporting-app switch BuitenBeter -> MeldR on 1 Jan 2020: more reports, not more nuisance.
APP_SWITCH = "2020-01-01"
APP_EFFECT = {
    "afval": 1.30, "grofvuil": 1.30, "zwerfvuil": 1.30, "parkeren": 1.20, "fietswrakken": 1.25,
    "overlast": 1.15, "jeugd": 1.15, "verwaarlozing": 1.25,
}
#: Staggered platform migration MSB -> MOR (modelled on Rotterdam's 2023-2025 roll-out,
#: the git history of ``api/app/config.py`` in https://github.com/forza-mor-rotterdam/msb-api-service, which
#: routes MeldR reports per subject and area to MOR): (from, wijklib categories, gebieden; None = city).
#: From its switch on, a report of that category in that area is recorded by MOR, which merges
#: duplicate reports (30 m / 10 days), so fewer meldingen are counted with NO change on the street.
PLATFORM_DEFAULT, PLATFORM_NEW = "MSB", "MOR"
_NOORD = ("Rotterdam Centrum", "Delfshaven", "Noord", "Hillegersberg-Schiebroek", "Overschie",
          "Kralingen-Crooswijk", "Prins Alexander")
_ZUID = ("Feijenoord", "IJsselmonde", "Charlois", "Hoogvliet", "Pernis", "Rozenburg", "Hoek van Holland")
PLATFORM_SWITCHES: tuple[tuple[str, tuple[str, ...], tuple[str, ...] | None], ...] = (
    ("2023-09-13", ("grofvuil",), ("Delfshaven", "Rotterdam Centrum")),
    ("2023-12-05", ("grofvuil",), _NOORD),
    ("2024-03-12", ("afval", "zwerfvuil"), _NOORD + ("Feijenoord", "IJsselmonde", "Charlois")),
    ("2024-04-03", ("parkeren", "fietswrakken"), _ZUID),
    ("2024-04-17", ("afval", "zwerfvuil", "grofvuil"), None),
    ("2024-05-16", ("parkeren", "fietswrakken"), None),
    ("2024-10-01", ("verwaarlozing",), None),
)
#: Share of reports MOR keeps as separate meldingen (the rest are merged into an open one).
PLATFORM_RATE_RATIO = 0.90
#: Categories that never move (not in the MOR taxonomy; kept in the 14010 nuisance register).
REGISTER_CATEGORIES = ("overlast", "jeugd")

#: True multiplicative effect of ward-based enforcement on report counts (from the start month on).
TREATMENT_EFFECT_MELDINGEN = {
    "afval": 0.85, "grofvuil": 1.0, "zwerfvuil": 1.0, "parkeren": 0.90, "fietswrakken": 1.0,
    "overlast": 0.80, "jeugd": 0.80, "verwaarlozing": 1.0,
}
#: Multiplicative effect on the follow-up time (afgehandeld - ontvangen) of reports.
TREATMENT_EFFECT_FOLLOWUP = 0.75
#: Additive effect on the share of controles without a violation.
TREATMENT_EFFECT_COMPLIANCE = 0.10
#: Median follow-up time in days per category (untreated, before ward effects).
_FOLLOWUP_MEDIAN_DAYS = {
    "afval": 2.0, "grofvuil": 4.0, "zwerfvuil": 3.0, "parkeren": 1.0, "fietswrakken": 21.0,
    "overlast": 2.0, "jeugd": 2.0, "verwaarlozing": 12.0,
}

#: Roll-out cohorts: start month -> number of wijkraden starting then (one cohort of size one).
COHORTS: tuple[tuple[str, int], ...] = (
    ("2019-01", 5), ("2020-07", 6), ("2021-04", 1), ("2022-01", 7), ("2023-01", 6),
)

#: Police crime types (CBS StatLine SoortMisdrijf code, description, rate per 1,000 per month).
CRIME_TYPES: tuple[tuple[str, str, float], ...] = (
    ("1.1.1", "Diefstal/inbraak woning", 0.30),
    ("1.2.1", "Diefstal uit/vanaf motorvoertuigen", 0.40),
    ("1.2.3", "Diefstal van brom-, snor-, fietsen", 0.55),
    ("1.2.4", "Zakkenrollerij", 0.14),
    ("1.4.4", "Bedreiging", 0.18),
    ("1.4.5", "Mishandeling", 0.32),
    ("1.4.6", "Straatroof", 0.05),
    ("2.1.1", "Drugs/drankoverlast", 0.14),
    ("2.2.1", "Vernieling cq. zaakbeschadiging", 0.50),
    ("2.5.2", "Winkeldiefstal", 0.30),
)
TREATMENT_EFFECT_POLITIE = {"2.2.1": 0.90, "2.1.1": 0.90}
_CRIME_COVID = {"1.1.1": 0.75, "1.2.4": 0.50, "2.5.2": 0.80, "1.2.1": 0.85}
#: Police data are published with a lag: the last demo month is not yet in the file.
POLITIE_LAST_MONTH = "2025-11"

#: Enforcement registration (actions and hours) starts in 2018; one known gap in the hours system.
HANDHAVING_START = "2018-01-01"
UREN_GAP = ("2021-03-01", "2021-03-22")  # Mondays of the missing weeks (system migration)
#: Controles per hour of enforcement.
_CONTROLES_PER_HOUR = 0.15

WIJKPROFIEL_EDITIONS = (2014, 2016, 2018, 2020, 2022, 2024)
VI_THEMES = ("veiligheidsbeleving", "diefstal", "geweld", "inbraak", "vandalisme", "overlast")
#: A published survey share next to the index scores (the Wijkprofiel shows such percentages; the city's
#: "sometimes feels unsafe in own neighbourhood" was 28% in 2014 and 34% in 2024). Unlike an index score it
#: carries a known survey margin (binomial, from the respondent count).
UNSAFE_INDICATOR = "% voelt zich weleens onveilig in de eigen buurt"
#: Percentage points per index point of the subjective veiligheidsbeleving score (higher score, fewer unsafe).
_UNSAFE_PER_POINT = 0.6

#: Index points added to subjective scores when the edition's fieldwork (1 April) follows the start.
TREATMENT_EFFECT_WIJKPROFIEL = {("veiligheidsbeleving", "subjectief"): 4.0,
                                ("overlast", "subjectief"): 3.0, ("vandalisme", "objectief"): 2.0}

#: Data export moment: reports still running at this time are "open" (no afhandeling date).
EXPORT_MOMENT = "2026-01-05 07:00"

#: Wijken (Wijkprofiel names) known as focus/hotspot areas; their wards get a higher nuisance level.
_HOTSPOT_WIJKEN = {
    "Tarwewijk", "Carnisse", "Hillesluis", "Bloemhof", "Afrikaanderwijk", "Feijenoord",
    "Oud-Charlois", "Tussendijken", "Spangen", "Lombardijen", "Oude Westen", "Oude Noorden",
    "Pendrecht", "Stadsdriehoek", "Delfshaven", "Bospolder", "Hoogvliet-Noord",
}
NPRZ_FOCUS = ("Feijenoord", "Afrikaanderwijk", "Bloemhof", "Hillesluis", "Oud-Charlois", "Carnisse",
              "Tarwewijk")
HYPERFOCUS = ("Carnisse", "Hillesluis", "Tussendijken", "Lombardijen", "Tarwewijk")

#: Fake personal data planted in free text (tests elsewhere check that reports never show it).
FAKE_NAMES = ("J. de Vries", "Fatima el Amrani", "Piet Jansen", "mevrouw Bakker", "Kees van Dijk",
              "Noor Yilmaz")
FAKE_PHONES = ("06-12345678", "06-98765432", "010-1234567", "06-11223344")
FAKE_ADDRESSES = ("Dorpsweg 12", "Pleinweg 201b", "Zwart Janstraat 45", "Beijerlandselaan 88")

_SUBCATEGORIES = {
    "afval": (("naastplaatsing", 0.55), ("container vol", 0.25), ("container kapot", 0.12),
              ("bedrijfsafval", 0.08)),
    "grofvuil": (("grofvuil op straat", 0.7), ("grofvuil niet opgehaald", 0.3)),
    "zwerfvuil": (("zwerfvuil straat", 0.6), ("zwerfvuil groen", 0.25), ("hondenpoep", 0.15)),
    "parkeren": (("foutparkeren", 0.6), ("parkeren op stoep", 0.25), ("aanhanger of camper", 0.15)),
    "fietswrakken": (("fietswrak", 0.8), ("fiets in de weg", 0.2)),
    "overlast": (("geluidsoverlast", 0.4), ("overlast personen", 0.35), ("drugsoverlast", 0.15),
                 ("horeca", 0.10)),
    "jeugd": (("jeugdoverlast", 0.8), ("hangplek", 0.2)),
    "verwaarlozing": (("kapot straatmeubilair", 0.35), ("losliggende tegels", 0.35),
                      ("graffiti", 0.2), ("straatverlichting", 0.1)),
}
_TEXTS = {
    "naastplaatsing": ("Vuilniszakken naast de container", "Afval naast container gezet",
                       "Zakken en dozen naast ondergrondse container"),
    "container vol": ("Container zit vol", "Ondergrondse container vol, klep gaat niet open"),
    "container kapot": ("Klep van container kapot", "Container defect"),
    "bedrijfsafval": ("Bedrijfsafval op de stoep", "Dozen van winkel bij container"),
    "grofvuil op straat": ("Bank en matras op straat", "Grofvuil bij de hoek gedumpt",
                           "Kast en stoelen op de stoep"),
    "grofvuil niet opgehaald": ("Grofvuilafspraak niet opgehaald", "Grofvuil staat er nog"),
    "zwerfvuil straat": ("Veel zwerfvuil op straat", "Blikjes en papier in de goot"),
    "zwerfvuil groen": ("Afval in het plantsoen", "Zwerfvuil in de struiken"),
    "hondenpoep": ("Veel hondenpoep op de stoep", "Hondenpoep bij speeltuin"),
    "foutparkeren": ("Auto geparkeerd op invalidenplaats", "Auto staat voor uitrit"),
    "parkeren op stoep": ("Auto op de stoep, geen doorgang", "Busje parkeert op trottoir"),
    "aanhanger of camper": ("Aanhanger staat al weken", "Camper langdurig geparkeerd"),
    "fietswrak": ("Fietswrak aan het hek", "Fiets zonder wielen bij station"),
    "fiets in de weg": ("Fietsen blokkeren de stoep", "Fietsen voor de deur"),
    "geluidsoverlast": ("Harde muziek in de nacht", "Geluidsoverlast buren"),
    "overlast personen": ("Overlast van personen bij portiek", "Dronken mensen op bankje"),
    "drugsoverlast": ("Dealen bij de speeltuin", "Lachgas op straat"),
    "horeca": ("Terras te lang open", "Overlast bij snackbar"),
    "jeugdoverlast": ("Jongeren maken lawaai bij het plein", "Groep jongeren op scooters",
                      "Vuurwerk door jongeren"),
    "hangplek": ("Hangplek bij de flat", "Jongeren hangen in portiek"),
    "kapot straatmeubilair": ("Bankje kapot", "Paaltje omver gereden"),
    "losliggende tegels": ("Losse stoeptegels", "Gat in de stoep"),
    "graffiti": ("Graffiti op de muur", "Bekladding op bushokje"),
    "straatverlichting": ("Lantaarnpaal doet het niet", "Straatlicht knippert"),
}
#: Channel mix before / from the app switch, for public-space and for person-nuisance categories.
_CHANNELS_PRE = ("14010", "BuitenBeter", "web")
_CHANNELS_POST = ("14010", "MeldR", "web")
_MIX = {
    "space": (np.array([0.36, 0.46, 0.18]), np.array([0.27, 0.60, 0.13])),
    "person": (np.array([0.60, 0.25, 0.15]), np.array([0.52, 0.36, 0.12])),
}
_PERSON_CATS = {"overlast", "jeugd", "parkeren"}
_HOUR_WEIGHTS = np.array([1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2.5, 4, 5, 5, 5, 5, 5, 5, 5, 4.5, 4.5, 4,
                          3.5, 3, 2.5, 2, 1.5])

HANDHAVING_THEMES = (("afval", 0.40), ("parkeren", 0.25), ("overlast", 0.15), ("jeugd", 0.10),
                     ("fietsen", 0.10))
_FOLLOWUP_ACTIONS = (("waarschuwing", 0.6), ("bestuurlijke strafbeschikking", 0.3),
                     ("proces-verbaal", 0.1))

PARTNERS = ("politie", "jongerenwerk", "woningcorporatie", "welzijn", "school", "ondernemers")
_PARTNER_FORM = {"politie": "integrale controle", "jongerenwerk": "casusoverleg",
                 "woningcorporatie": "schouw", "welzijn": "casusoverleg", "school": "voorlichting",
                 "ondernemers": "overleg"}
_PARTNER_RATE = {"politie": 2.0, "jongerenwerk": 1.2, "woningcorporatie": 1.0, "welzijn": 0.8,
                 "school": 0.4, "ondernemers": 0.5}
NETWORK_START = "2022-04-01"  # wijkraden were elected on 16 March 2022
_MEETING_TYPES = (("wijkraadvergadering", 0.9), ("wijkoverleg", 0.35), ("veiligheidsoverleg", 0.6),
                  ("netwerkoverleg jeugd", 0.3))

SIGNAL_THEMES = ("afval", "jeugd", "veiligheid", "parkeren", "zichtbaarheid handhaving")
SIGNAL_SOURCES = (("wijkraad", 0.4), ("overleg", 0.35), ("Wijkhub-inloop", 0.25))
_SIGNAL_TEXT = {
    ("afval", "positief"): "Bewoners zien minder afval naast de containers sinds de extra controles.",
    ("afval", "neutraal"): "Vraag over ophaaldagen grofvuil en de regels voor naastplaatsing.",
    ("afval", "negatief"): "Structureel afval naast de containers, bewoners voelen zich niet gehoord.",
    ("jeugd", "positief"): "Contact tussen handhavers en jongeren bij het plein verloopt goed.",
    ("jeugd", "neutraal"): "Jongerenwerk en handhaving stemmen de avondrondes af.",
    ("jeugd", "negatief"): "Overlast van jongeren op scooters in de avond neemt toe.",
    ("veiligheid", "positief"): "Bewoners voelen zich veiliger op straat door herkenbare handhavers.",
    ("veiligheid", "neutraal"): "Bewoners vragen naar de resultaten van de schouw.",
    ("veiligheid", "negatief"): "Onveilig gevoel rond het winkelcentrum na sluitingstijd.",
    ("parkeren", "positief"): "Minder foutparkeerders bij de school na de controles.",
    ("parkeren", "neutraal"): "Vraag over parkeervergunningen en handhaving in het weekend.",
    ("parkeren", "negatief"): "Auto's op de stoep blokkeren rolstoelen en kinderwagens.",
    ("zichtbaarheid handhaving", "positief"): "Handhavers zijn vaker te zien en goed aanspreekbaar.",
    ("zichtbaarheid handhaving", "neutraal"): "Wijkhub-inloop: vragen over wie waarvoor belt.",
    ("zichtbaarheid handhaving", "negatief"): "Bewoners zien zelden een handhaver in de wijk.",
}

#: Wijkakkoord priorities: label -> list of (indicator, bron, gewenste richting).
AKKOORD_PRIORITIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Afval op straat": (("meldingen afval", "meldingen", "daling"),
                        ("meldingen grofvuil", "meldingen", "daling")),
    "Jeugdoverlast": (("meldingen jeugd", "meldingen", "daling"),
                      ("meldingen overlast", "meldingen", "daling")),
    "Veiligheidsgevoel": (("veiligheidsbeleving subjectief", "wijkprofiel", "stijging"),
                          (UNSAFE_INDICATOR, "wijkprofiel", "daling")),
    "Naleving": (("naleving", "handhaving", "stijging"),),
    "Snelle afhandeling": (("doorlooptijd", "meldingen", "daling"),),
    "Parkeeroverlast": (("meldingen parkeren", "meldingen", "daling"),),
    "Vernielingen": (("vernieling", "politie", "daling"),),
}


# --------------------------------------------------------------------------------------------------
# Result container
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCity:
    """The simulated demo city in memory.

    Attributes
    ----------
    tables : dict[str, DataFrame]
        Event tables in the canonical layout of ``docs/contracts.md`` (``meldingen``, ``handhaving``,
        ``handhaving_uren``, ``politie``, ``wijkprofiel``, ``focusgebieden``, ``wijkakkoorden``,
        ``netwerk_overleggen``, ``netwerk_samenwerking``, ``signalen``, ``interventie``) — exactly
        what the loaders should return after reading the raw files back (geography in the 2024 codes).
    truth : dict
        True effects and design (also written as ``truth.json``).
    meldingen_counts : DataFrame
        True report counts ``buurt_code, period (first of month), categorie, n`` (every cell, zeros
        included), the counts the events were expanded from. About 3% of app reports have no buurt
        code in ``tables["meldingen"]`` (only coordinates, as in real exports);
        ``meta["meldingen_true_buurt"]`` holds the true buurt of every row.
    geography : DataFrame
        The ``geo.hierarchy()`` rows used (one per buurt).
    population : DataFrame
        ``buurt_code, year, population`` used as exposure.
    """

    tables: dict[str, pd.DataFrame]
    truth: dict[str, Any]
    meldingen_counts: pd.DataFrame
    geography: pd.DataFrame
    population: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def _rng(seed: int, component: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), component])


def _gamma_poisson(rng: np.random.Generator, lam: np.ndarray, shape: float) -> np.ndarray:
    """Negative-binomial counts as Poisson(lam * Gamma(shape, 1/shape)) (mean lam, var lam + lam^2/k)."""
    g = rng.gamma(shape, 1.0 / shape, size=lam.shape)
    return rng.poisson(lam * g).astype(np.int64)


def _choice(rng: np.random.Generator, options: tuple[tuple[str, float], ...], size: int) -> np.ndarray:
    labels = np.array([o[0] for o in options], dtype=object)
    p = np.array([o[1] for o in options], dtype=float)
    return labels[rng.choice(len(labels), size=size, p=p / p.sum())]


def _geography() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Buurt hierarchy and buurt populations 2014..2025 from :mod:`wijklib.geo`."""
    geo = demo_geography()
    hier = geo.hierarchy().copy()
    need = ["buurt_code", "buurt", "wijk_code", "wijk", "wijkraad_id", "wijkraad", "gebied_code"]
    missing = [c for c in need if c not in hier.columns]
    if missing:
        raise RuntimeError(f"wijklib.geo.hierarchy() lacks columns {missing}; the demo city needs {need}")
    hier = hier.sort_values("buurt_code").reset_index(drop=True)
    years = list(range(2014, 2026))
    pop = geo.population(level="buurt", years=years)
    pop = pop.rename(columns={"unit": "buurt_code"})[["buurt_code", "year", "population"]]
    wide = (pop.pivot_table(index="buurt_code", columns="year", values="population", aggfunc="sum")
            .reindex(index=hier["buurt_code"], columns=years))
    # Years the geography has no figure for are carried from the nearest known year.
    wide = wide.ffill(axis=1).bfill(axis=1).fillna(0.0)
    long = (wide.reset_index().melt(id_vars="buurt_code", var_name="year", value_name="population"))
    long["year"] = long["year"].astype(int)
    long["population"] = long["population"].round().astype(int)
    return hier, long


def _months() -> pd.DatetimeIndex:
    return pd.date_range(f"{DEMO_START}-01", f"{DEMO_END}-01", freq="MS")


# --------------------------------------------------------------------------------------------------
# The simulation
# --------------------------------------------------------------------------------------------------


def simulate(seed: int = DEMO_SEED, scale: float = 1.0) -> DemoCity:
    """Simulate the whole demo city in memory (no files written).

    Parameters
    ----------
    seed : int
        Seed of every random stream; the same seed gives the same city.
    scale : float
        Multiplies every event rate (reports, controles, crimes, signals); ``0.1`` gives a city with a
        tenth of the events for fast tests. Structure (wards, cohorts, effects) does not change.

    Returns
    -------
    DemoCity

    Examples
    --------
    >>> city = simulate(seed=1, scale=0.02)
    >>> sorted(city.tables)[:3]
    ['focusgebieden', 'handhaving', 'handhaving_uren']
    >>> int(city.meldingen_counts["n"].sum()) == len(city.tables["meldingen"])
    True
    """
    if not (scale > 0 and np.isfinite(scale)):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    seed = int(seed)
    hier, pop_long = _geography()
    months = _months()
    T, B, C = len(months), len(hier), len(CATEGORIES)

    wr_ids = np.array(sorted(hier["wijkraad_id"].unique()), dtype=object)
    W = len(wr_ids)
    b_w = pd.Index(wr_ids).get_indexer(hier["wijkraad_id"])  # buurt -> wijkraad index
    wr_names = hier.drop_duplicates("wijkraad_id").set_index("wijkraad_id")["wijkraad"].reindex(wr_ids)

    pop_wide = pop_long.pivot(index="buurt_code", columns="year", values="population").reindex(
        hier["buurt_code"])
    pop_bt = pop_wide[months.year].to_numpy(dtype=float)  # B x T
    exposure = np.maximum(pop_bt, 300.0) / 1000.0  # harbours/parks still attract passers-by reports

    # ---- ward latent structure -------------------------------------------------------------------
    rng = _rng(seed, 1)
    hot = hier.groupby("wijkraad_id")["wijk"].agg(lambda s: any(x in _HOTSPOT_WIJKEN for x in s))
    u_w = rng.normal(0.0, 0.25, W) + 0.45 * hot.reindex(wr_ids).to_numpy(dtype=float)
    u_w = u_w - u_w.mean()
    v_wc = rng.normal(0.0, 0.18, (W, C))
    e_b = rng.normal(0.0, 0.12, B)
    e_bc = rng.normal(0.0, 0.08, (B, C))
    # Transient AR(1) shocks per wijkraad (stationary sd 0.12, monthly persistence 0.8).
    rho, sd = 0.8, 0.12
    eps = rng.normal(0.0, sd * np.sqrt(1 - rho**2), (W, T))
    s_wt = np.empty((W, T))
    s_wt[:, 0] = rng.normal(0.0, sd, W)
    for t in range(1, T):
        s_wt[:, t] = rho * s_wt[:, t - 1] + eps[:, t]

    # ---- staggered roll-out with selection on (persistent + transient) nuisance --------------------
    rng = _rng(seed, 2)
    start = np.full(W, -1, dtype=int)  # month index of first treated month, -1 = never
    month_idx = {m.strftime("%Y-%m"): i for i, m in enumerate(months)}
    selection_log = []
    for label, k in COHORTS:
        t0 = month_idx[label]
        eligible = np.flatnonzero(start < 0)
        recent = s_wt[eligible, max(0, t0 - 6):t0].mean(axis=1)
        score = u_w[eligible] + 2.5 * recent + rng.gumbel(0.0, 0.10, len(eligible))
        chosen = eligible[np.argsort(-score, kind="stable")[:k]]
        start[chosen] = t0
        selection_log.append({
            "cohort": label, "wijkraden": sorted(wr_ids[chosen].tolist()),
            "mean_transient_shock_6m_before_selected": round(float(s_wt[chosen, max(0, t0 - 6):t0].mean()), 4),
            "mean_transient_shock_6m_before_others": round(float(recent.mean()), 4),
        })
    D_wt = (start[:, None] >= 0) & (np.arange(T)[None, :] >= start[:, None])
    D_bt = D_wt[b_w]
    uren_pw = np.where(start >= 0, np.round(rng.uniform(40, 100, W) / 2) * 2, 0.0)

    # ---- meldingen counts ---------------------------------------------------------------------------
    rng = _rng(seed, 3)
    yrs = (np.arange(T) / 12.0)
    moy = months.month.to_numpy() - 1
    app_on = months >= pd.Timestamp(APP_SWITCH)
    covid_on = (months >= pd.Timestamp(f"{COVID_START}-01")) & (months <= pd.Timestamp(f"{COVID_END}-01"))
    loglam = np.empty((B, T, C))
    for c, cat in enumerate(CATEGORIES):
        season = np.asarray(_SEASON[cat], dtype=float)
        season = season / season.mean()
        time_part = (_TREND[cat] * yrs + np.log(season[moy])
                     + np.where(app_on, np.log(APP_EFFECT[cat]), 0.0)
                     + np.where(covid_on, np.log(_COVID.get(cat, 1.0)), 0.0))
        ward_part = _NUISANCE_LOADING[cat] * u_w[b_w] + v_wc[b_w, c] + e_b + e_bc[:, c]
        loglam[:, :, c] = (np.log(exposure * _BASE_RATE[cat] * scale) + time_part[None, :]
                           + ward_part[:, None] + _SHOCK_LOADING[cat] * s_wt[b_w]
                           + np.where(D_bt, np.log(TREATMENT_EFFECT_MELDINGEN[cat]), 0.0))
    counts = _gamma_poisson(rng, np.exp(loglam), shape=6.0)  # B x T x C

    meldingen, true_buurt = _expand_meldingen(_rng(seed, 4), counts, hier, months, D_bt, b_w, W)
    _points_in_own_buurt(_rng(seed, 12), meldingen, true_buurt, hier)
    meldingen, true_buurt, counts, platform = _platform_migration(_rng(seed, 11), meldingen, true_buurt,
                                                                  counts, hier, months)

    counts_df = pd.DataFrame({
        "buurt_code": np.repeat(hier["buurt_code"].to_numpy(dtype=object), T * C),
        "period": np.tile(np.repeat(months.to_numpy(), C), B),
        "categorie": np.tile(np.array(CATEGORIES, dtype=object), B * T),
        "n": counts.reshape(-1),
    })
    counts_df["buurt_code"] = counts_df["buurt_code"].astype("str")
    counts_df["categorie"] = counts_df["categorie"].astype("str")

    # ---- enforcement: hours, actions ---------------------------------------------------------------
    uren, handhaving, hours_wm = _enforcement(_rng(seed, 5), hier, pop_bt, months, start, uren_pw,
                                              u_w, wr_ids, b_w, scale)
    # ---- police ----------------------------------------------------------------------------------------
    politie = _politie(_rng(seed, 6), hier, exposure, months, u_w, b_w, D_bt, s_wt, scale)
    # ---- wijkprofiel ---------------------------------------------------------------------------------
    wijkprofiel = _wijkprofiel(_rng(seed, 7), hier, pop_long, u_w, b_w, start, months)
    # ---- network, signals, agreements, focus areas ----------------------------------------------------
    overleggen, samenwerking = _network(_rng(seed, 8), wr_ids, start, months, scale)
    signalen = _signalen(_rng(seed, 9), wr_ids, start, months, scale)
    akkoorden = _wijkakkoorden(_rng(seed, 10), wr_ids, u_w)
    focus = _focusgebieden(hier)

    interventie = pd.DataFrame({
        "wijkraad_id": pd.array(wr_ids, dtype="str"),
        "start": pd.to_datetime([months[s] if s >= 0 else pd.NaT for s in start]),
        "uren_per_week": uren_pw.astype(float),
    })

    truth = _truth(seed, scale, wr_ids, wr_names, start, months, uren_pw, selection_log, counts)
    truth["platform_migration"] = platform
    tables = {
        "meldingen": meldingen, "handhaving": handhaving, "handhaving_uren": uren,
        "politie": politie, "wijkprofiel": wijkprofiel, "focusgebieden": focus,
        "wijkakkoorden": akkoorden, "netwerk_overleggen": overleggen,
        "netwerk_samenwerking": samenwerking, "signalen": signalen, "interventie": interventie,
    }
    for name, df in tables.items():
        # One time resolution everywhere (pandas 3 infers microseconds for some constructors).
        for col in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                df[col] = df[col].astype("datetime64[ns]")
        tables[name] = df
    meta = {"wijkraad_names": wr_names.to_dict(), "hours_per_month": hours_wm,
            "meldingen_true_buurt": true_buurt}
    return DemoCity(tables=tables, truth=truth, meldingen_counts=counts_df, geography=hier,
                    population=pop_long, meta=meta)


def _expand_meldingen(rng, counts, hier, months, D_bt, b_w, W) -> pd.DataFrame:
    B, T, C = counts.shape
    flat = counts.reshape(-1)
    cell = np.repeat(np.arange(flat.size), flat)
    n = cell.size
    b = cell // (T * C)
    t = (cell // C) % T
    c = cell % C
    cats = np.array(CATEGORIES, dtype=object)

    # Time stamp: a day in the month, an hour from a daytime-heavy profile, a minute.
    days_in_month = months.days_in_month.to_numpy()
    day = np.floor(rng.random(n) * days_in_month[t]).astype(np.int64)
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    minute = rng.integers(0, 60, n)
    month_ns = months.to_numpy().astype("datetime64[m]")
    ontvangen = (month_ns[t] + (day * 1440 + hour * 60 + minute).astype("timedelta64[m]"))

    # Channel: depends on app period and on the kind of category.
    post = months[t] >= pd.Timestamp(APP_SWITCH)
    person = np.isin(cats[c], list(_PERSON_CATS))
    u = rng.random(n)
    kanaal = np.empty(n, dtype=object)
    for is_post in (False, True):
        labels = np.array(_CHANNELS_POST if is_post else _CHANNELS_PRE, dtype=object)
        for kind, is_person in (("space", False), ("person", True)):
            m = (post == is_post) & (person == is_person)
            p = _MIX[kind][1 if is_post else 0]
            kanaal[m] = labels[np.searchsorted(np.cumsum(p), u[m], side="right").clip(0, 2)]

    # Subcategory and text.
    sub = np.empty(n, dtype=object)
    text = np.empty(n, dtype=object)
    u1, u2 = rng.random(n), rng.random(n)
    for ci, cat in enumerate(CATEGORIES):
        m = c == ci
        labels = np.array([s for s, _ in _SUBCATEGORIES[cat]], dtype=object)
        p = np.array([w for _, w in _SUBCATEGORIES[cat]])
        si = np.searchsorted(np.cumsum(p / p.sum()), u1[m], side="right").clip(0, len(labels) - 1)
        sub[m] = labels[si]
    for s, options in _TEXTS.items():
        m = sub == s
        opts = np.array(options, dtype=object)
        text[m] = opts[np.floor(u2[m] * len(opts)).astype(int).clip(0, len(opts) - 1)]
    # About 3% of texts carry (fake) personal data of the reporter.
    pii = rng.random(n) < 0.03
    k = int(pii.sum())
    names = np.array(FAKE_NAMES, dtype=object)[rng.integers(0, len(FAKE_NAMES), k)]
    phones = np.array(FAKE_PHONES, dtype=object)[rng.integers(0, len(FAKE_PHONES), k)]
    form = rng.random(k) < 0.5
    extra = np.where(form, ". Melder: " + names + ", tel. " + phones, ". Bel mij terug op " + phones)
    text[pii] = text[pii] + extra

    # Coordinates around a per-buurt anchor; phone reports often lack a location.
    ax, ay = _anchors(hier)
    x = np.round(ax[b] + rng.normal(0, 220, n), 2)
    y = np.round(ay[b] + rng.normal(0, 220, n), 2)
    no_xy = (kanaal == "14010") & (rng.random(n) < 0.5)
    x[no_xy] = np.nan
    y[no_xy] = np.nan
    # About 3% of app reports carry only the map pin, no buurt code. Their point is redrawn until
    # it is nearest to its own buurt's anchor (within 1 km), as it always was, so that the random
    # stream and every other demo number stay as they were; a point that the geography's real
    # point-in-polygon test (geo.locate) still puts elsewhere, near a schematic border, is then
    # moved to a point inside its buurt, so the true counts survive the round trip.
    codes = hier["buurt_code"].to_numpy(dtype=object)
    only_xy = np.isin(kanaal, ["MeldR", "BuitenBeter"]) & (rng.random(n) < 0.03)
    todo = np.flatnonzero(only_xy)
    nearest = _nearest_anchor(ax, ay, codes)
    for attempt in range(6):
        if todo.size == 0:
            break
        found = nearest(x[todo], y[todo])
        todo = todo[found != codes[b[todo]]]
        sd = 220.0 * 0.5 ** (attempt + 1)
        x[todo] = np.round(ax[b[todo]] + rng.normal(0, sd, todo.size), 2)
        y[todo] = np.round(ay[b[todo]] + rng.normal(0, sd, todo.size), 2)
    if todo.size:
        found = nearest(x[todo], y[todo])
        todo = todo[found != codes[b[todo]]]
        x[todo], y[todo] = np.round(ax[b[todo]], 2), np.round(ay[b[todo]], 2)
    geo = demo_geography()
    sel = np.flatnonzero(only_xy)
    wrong = sel[geo.locate(x[sel], y[sel]).to_numpy(dtype=object) != codes[b[sel]]]
    if wrong.size:
        inside = geo.centroids("buurt", crs="rd").set_index("buurt_code").reindex(codes)
        x[wrong] = np.round(inside["x"].to_numpy()[b[wrong]], 2)
        y[wrong] = np.round(inside["y"].to_numpy()[b[wrong]], 2)
    buurt = codes[b].copy()
    buurt[only_xy] = None

    # Follow-up: lognormal duration, ward factor, treatment shortens it.
    ward_f = np.exp(rng.normal(0, 0.2, W))[b_w][b]
    med = np.array([_FOLLOWUP_MEDIAN_DAYS[x_] for x_ in CATEGORIES])[c]
    med = med * ward_f * np.where(D_bt[b, t], TREATMENT_EFFECT_FOLLOWUP, 1.0)
    dur_days = med * np.exp(0.8 * rng.normal(size=n))
    ustat = rng.random(n)
    status = np.where(ustat < 0.04, "vervallen", np.where(ustat < 0.11, "doorgezet", "afgehandeld")).astype(object)
    dur_days = np.where(status == "afgehandeld", dur_days, dur_days * 0.3)
    afgehandeld = ontvangen + np.round(dur_days * 1440).astype("timedelta64[m]")
    export = np.datetime64(pd.Timestamp(EXPORT_MOMENT).to_datetime64(), "m")
    still_open = (afgehandeld > export) | (rng.random(n) < 0.004)
    status[still_open] = "open"
    afgehandeld = afgehandeld.astype("datetime64[ns]")
    afgehandeld[still_open] = np.datetime64("NaT")

    df = pd.DataFrame({
        "ontvangen": ontvangen.astype("datetime64[ns]"), "afgehandeld": afgehandeld,
        "kanaal": kanaal, "categorie": cats[c], "subcategorie": sub,
        "buurt_code": buurt, "x": x, "y": y,
        "status": status, "omschrijving": text, "_true_buurt": codes[b],
    })
    df = df.sort_values(["ontvangen", "_true_buurt", "categorie"], kind="stable").reset_index(drop=True)
    true_buurt = df.pop("_true_buurt").astype("str")
    year = df["ontvangen"].dt.year
    seq = df.groupby(year).cumcount() + 1
    df.insert(0, "melding_id", year.astype(str) + seq.astype(str).str.zfill(6))
    for col in ("kanaal", "categorie", "subcategorie", "buurt_code", "status", "omschrijving"):
        df[col] = df[col].astype("str")
    return df, true_buurt


def platform_system(categorie: pd.Series, gebied: pd.Series, ontvangen: pd.Series) -> np.ndarray:
    """Recording system of each report under :data:`PLATFORM_SWITCHES` (the last switch that applies)."""
    system = np.where(np.isin(categorie, REGISTER_CATEGORIES), "14010-register", PLATFORM_DEFAULT).astype(object)
    for when, cats, areas in sorted(PLATFORM_SWITCHES, key=lambda sw: sw[0]):
        hit = np.isin(categorie, cats) & (ontvangen >= pd.Timestamp(when)).to_numpy()
        if areas is not None:
            hit &= np.isin(gebied, areas)
        system[hit] = PLATFORM_NEW
    return system


def _points_in_own_buurt(rng, df: pd.DataFrame, true_buurt: pd.Series, hier: pd.DataFrame) -> None:
    """Re-draw (in place, own random stream) the points that the geography places in another buurt.

    Platform exports carry no CBS code: a report's buurt comes from its point. So that the true
    counts survive that round trip, every demo point lies in its own buurt's cell.
    """
    from wijklib.geo import rd_to_wgs84

    geo = demo_geography()
    has = df["x"].notna().to_numpy()
    todo = np.flatnonzero(has)
    ax, ay = _anchors(hier)
    pos = pd.Index(hier["buurt_code"]).get_indexer(true_buurt.to_numpy())
    x, y = df["x"].to_numpy(dtype=float).copy(), df["y"].to_numpy(dtype=float).copy()
    truth = true_buurt.to_numpy(dtype=object)
    def wrong(idx: np.ndarray) -> np.ndarray:
        # Both as RD (the MSB export) and as WGS84 rounded to 7 decimals (the MOR export).
        rd = geo.locate(x[idx], y[idx]).to_numpy(dtype=object)
        lat, lon = rd_to_wgs84(x[idx], y[idx])
        ll = geo.locate(np.round(lon, 7), np.round(lat, 7), crs="wgs84").to_numpy(dtype=object)
        return idx[(rd != truth[idx]) | (ll != truth[idx])]

    for attempt in range(8):
        if todo.size == 0:
            break
        todo = wrong(todo)
        sd = 220.0 * 0.5 ** (attempt + 1)
        x[todo] = np.round(ax[pos[todo]] + rng.normal(0, sd, todo.size), 2)
        y[todo] = np.round(ay[pos[todo]] + rng.normal(0, sd, todo.size), 2)
    if todo.size:
        todo = wrong(todo)
        x[todo], y[todo] = np.round(ax[pos[todo]], 2), np.round(ay[pos[todo]], 2)
    if todo.size:
        # A buurt whose declared (approximate) point the geography places in another unit cannot be
        # reached by a point at all: these reports keep no pin, so the export places them by number/name.
        todo = wrong(todo)
        x[todo], y[todo] = np.nan, np.nan
    df["x"], df["y"] = x, y


def _platform_migration(rng, df, true_buurt, counts, hier, months):
    """Record each report by its system; MOR merges a share 1 - PLATFORM_RATE_RATIO of its reports."""
    gebied = true_buurt.map(hier.set_index("buurt_code")["gebied"]).to_numpy(dtype=object)
    system = platform_system(df["categorie"].to_numpy(dtype=object), gebied, df["ontvangen"])
    merged = (system == PLATFORM_NEW) & (rng.random(len(df)) > PLATFORM_RATE_RATIO)
    b = pd.Index(hier["buurt_code"]).get_indexer(true_buurt.to_numpy())
    t = pd.Index(months).get_indexer(df["ontvangen"].dt.to_period("M").dt.start_time)
    c = pd.Index(CATEGORIES).get_indexer(df["categorie"])
    counts = counts.copy()
    np.subtract.at(counts, (b[merged], t[merged], c[merged]), 1)
    keep = ~merged
    out = df.loc[keep].assign(systeem=system[keep]).reset_index(drop=True)
    out["systeem"] = out["systeem"].astype("str")
    info = {
        "default": PLATFORM_DEFAULT, "new": PLATFORM_NEW,
        "switches": [{"from": w, "categories": list(cs), "gebieden": list(a) if a else "heel Rotterdam"}
                     for w, cs, a in PLATFORM_SWITCHES],
        "rate_ratio": PLATFORM_RATE_RATIO, "merged_reports": int(merged.sum()),
        "note": "reporting break only: MOR merges duplicate reports, so counts drop where and when a "
                "category moved platform; no effect on the street (treated and untreated wards alike)",
    }
    return out, true_buurt[keep].reset_index(drop=True), counts, info


def demo_geography():
    """The demo city's :class:`wijklib.geo.Geography` (the package's demo files, whatever is active)."""
    from wijklib import geo

    act = geo.active()
    if Path(act.source).parent == geo.DEMO_GEOGRAPHY_DIR:
        return act
    return _load_demo_geography()


@functools.cache
def _load_demo_geography():
    from wijklib import geo

    return geo.load(geo.DEMO_GEOGRAPHY_DIR)


def _anchors(hier: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """RD New anchor point per buurt: the declared approximate buurt point of the geography."""
    c = demo_geography().points("buurt").set_index("code").reindex(hier["buurt_code"])
    if c[["x", "y"]].isna().any().any():
        lacking = c.index[c["x"].isna()].tolist()[:5]
        raise RuntimeError(f"the geography's buurt points lack buurten {lacking} of geo.hierarchy()")
    return c["x"].to_numpy(dtype=float), c["y"].to_numpy(dtype=float)


def _nearest_anchor(ax: np.ndarray, ay: np.ndarray, codes: np.ndarray, max_m: float = 1000.0):
    """Function (x, y) -> code of the nearest anchor within ``max_m`` metres (else None)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([ax, ay]))

    def nearest(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        pts = np.column_stack([x, y])
        ok = np.isfinite(pts).all(axis=1)
        out = np.full(len(pts), None, dtype=object)
        if ok.any():
            d, i = tree.query(pts[ok])
            out[ok] = np.where(d <= max_m, codes[i], None)
        return out
    return nearest


def _enforcement(rng, hier, pop_bt, months, start, uren_pw, u_w, wr_ids, b_w, scale):
    W = len(wr_ids)
    mondays = pd.date_range(HANDHAVING_START, f"{DEMO_END}-31", freq="W-MON")
    base_h = rng.uniform(6, 14, W) * np.exp(0.3 * u_w)
    m_of_week = pd.Index(months).get_indexer(mondays.to_period("M").to_timestamp())
    treated_wk = (start[:, None] >= 0) & (m_of_week[None, :] >= start[:, None])
    mean_h = np.where(treated_wk, uren_pw[:, None], base_h[:, None])
    hours = np.round(mean_h * rng.gamma(20.0, 1 / 20.0, mean_h.shape) * 2) / 2  # half hours
    gap = (mondays >= pd.Timestamp(UREN_GAP[0])) & (mondays <= pd.Timestamp(UREN_GAP[1]))
    keep_w = ~gap
    uren = pd.DataFrame({
        "wijkraad_id": np.repeat(wr_ids, keep_w.sum()),
        "week": np.tile(mondays[keep_w].to_numpy(), W),
        "uren": hours[:, keep_w].reshape(-1),
    })
    uren["wijkraad_id"] = uren["wijkraad_id"].astype("str")
    uren = uren.sort_values(["week", "wijkraad_id"], kind="stable").reset_index(drop=True)

    # Hours per wijkraad-month (all weeks, also those missing from the hours file: the work happened).
    T = len(months)
    hours_wm = np.zeros((W, T))
    valid = m_of_week >= 0
    for j in np.flatnonzero(valid):
        hours_wm[:, m_of_week[j]] += hours[:, j]

    # Controles per buurt-month, shared out by population within the wijkraad.
    pop_share = pop_bt / np.maximum(
        np.array([pop_bt[b_w == w].sum(axis=0) for w in range(W)])[b_w], 1.0)
    lam = hours_wm[b_w] * _CONTROLES_PER_HOUR * pop_share * scale
    n_ctrl = rng.poisson(lam)  # B x T
    n_ctrl[:, months < pd.Timestamp(HANDHAVING_START)] = 0
    cell = np.repeat(np.arange(n_ctrl.size), n_ctrl.reshape(-1))
    b, t = cell // T, cell % T
    n = cell.size
    treated = (start[b_w[b]] >= 0) & (t >= start[b_w[b]])
    base_p = np.clip(0.70 - 0.06 * u_w / 0.25 + rng.normal(0, 0.03, W), 0.5, 0.85)
    p = np.clip(base_p[b_w[b]] + TREATMENT_EFFECT_COMPLIANCE * treated, 0.05, 0.97)
    violation = rng.random(n) >= p
    datum = months.to_numpy()[t] + (np.floor(rng.random(n) * months.days_in_month.to_numpy()[t])
                                    ).astype("timedelta64[D]")
    thema = _choice(rng, HANDHAVING_THEMES, n)
    ctrl = pd.DataFrame({"datum": datum, "b": b, "thema": thema, "actie": "controle",
                         "overtreding": violation})
    v = np.flatnonzero(violation)
    # Follow-up actions come 0-3 days later, within the same month (the register is monthly closed).
    month_last = (months + pd.offsets.MonthEnd(0)).to_numpy()[t[v]]
    follow = pd.DataFrame({
        "datum": np.minimum(datum[v] + rng.integers(0, 4, v.size).astype("timedelta64[D]"), month_last),
        "b": b[v], "thema": thema[v], "actie": _choice(rng, _FOLLOWUP_ACTIONS, v.size),
        "overtreding": True,
    })
    act = pd.concat([ctrl, follow], ignore_index=True)
    act = act.sort_values(["datum", "b", "actie"], kind="stable").reset_index(drop=True)
    act["buurt_code"] = hier["buurt_code"].to_numpy(dtype=object)[act["b"].to_numpy()]
    year = act["datum"].dt.year
    seq = act.groupby(year).cumcount() + 1
    act.insert(0, "actie_id", "HH-" + year.astype(str) + "-" + seq.astype(str).str.zfill(6))
    act = act[["actie_id", "datum", "buurt_code", "thema", "actie", "overtreding"]]
    for col in ("buurt_code", "thema", "actie"):
        act[col] = act[col].astype("str")
    act["overtreding"] = act["overtreding"].astype(bool)
    return uren, act, hours_wm


def _politie(rng, hier, exposure, months, u_w, b_w, D_bt, s_wt, scale):
    B, T = exposure.shape
    K = len(CRIME_TYPES)
    covid_on = (months >= pd.Timestamp(f"{COVID_START}-01")) & (months <= pd.Timestamp(f"{COVID_END}-01"))
    moy = months.month.to_numpy() - 1
    winter = np.cos(2 * np.pi * (moy - 0) / 12)  # +1 in January
    yrs = np.arange(T) / 12.0
    v_bk = rng.normal(0, 0.2, (B, K))
    lam = np.empty((B, T, K))
    for k, (code, _, rate) in enumerate(CRIME_TYPES):
        seas = 0.12 * winter if code in ("1.1.1", "1.2.4") else -0.06 * winter
        trend = -0.03 if code.startswith("1.") else 0.0
        tp = seas + trend * yrs + np.where(covid_on, np.log(_CRIME_COVID.get(code, 1.0)), 0.0)
        eff = np.log(TREATMENT_EFFECT_POLITIE.get(code, 1.0))
        lam[:, :, k] = np.exp(np.log(exposure * rate * scale) + tp[None, :]
                              + (0.8 * u_w[b_w] + v_bk[:, k])[:, None]
                              + 0.3 * s_wt[b_w] + np.where(D_bt, eff, 0.0))
    counts = _gamma_poisson(rng, lam, shape=10.0)
    last = months <= pd.Timestamp(f"{POLITIE_LAST_MONTH}-01")
    counts = counts[:, last, :]
    Tl = int(last.sum())
    df = pd.DataFrame({
        "buurt_code": np.repeat(hier["buurt_code"].to_numpy(dtype=object), Tl * K),
        "maand": np.tile(np.repeat(months[last].to_numpy(), K), B),
        "misdrijf_code": np.tile(np.array([c[0] for c in CRIME_TYPES], dtype=object), B * Tl),
        "misdrijf": np.tile(np.array([c[1] for c in CRIME_TYPES], dtype=object), B * Tl),
        "aantal": counts.reshape(-1).astype(np.int64),
    })
    for col in ("buurt_code", "misdrijf_code", "misdrijf"):
        df[col] = df[col].astype("str")
    # The order of the CBS file: crime type, area, period.
    return df.sort_values(["misdrijf_code", "buurt_code", "maand"], kind="stable", ignore_index=True)


def _wijkprofiel(rng, hier, pop_long, u_w, b_w, start, months):
    first_buurt = hier.drop_duplicates("wijk_code")
    wi_w = first_buurt.index.to_numpy()  # position of each wijk's first buurt (wards are per wijk)
    wijken = first_buurt.reset_index(drop=True)
    uw = u_w[b_w[wi_w]]
    start_w = start[b_w[wi_w]]
    pop_w = (pop_long.merge(hier[["buurt_code", "wijk_code"]], on="buurt_code")
             .groupby(["wijk_code", "year"])["population"].sum())
    n_wijk, E = len(wijken), len(WIJKPROFIEL_EDITIONS)
    parts = {t: (("subjectief",) if t == "veiligheidsbeleving" else ("objectief", "subjectief"))
             for t in VI_THEMES}
    # City trend per edition: objective scores improve slowly; subjective rise then drop in 2024.
    trend_obj = np.array([0, 2, 4, 6, 8, 9], dtype=float)
    trend_subj = np.array([0, 2, 4, 6, 8, 1], dtype=float)
    rows = []
    n_resp = np.zeros((n_wijk, E), dtype=int)
    for e, ed in enumerate(WIJKPROFIEL_EDITIONS):
        p = np.array([pop_w.get((c, min(max(ed, 2014), 2025)), 0) for c in wijken["wijk_code"]], float)
        n_resp[:, e] = np.where(p < 1500, np.maximum((p * 0.1).round(), 0),
                                np.clip(250 + p / 60 + rng.normal(0, 40, n_wijk), 150, 600).round())
    fieldwork = [pd.Timestamp(f"{ed}-04-01") for ed in WIJKPROFIEL_EDITIONS]
    treated = np.array([[s >= 0 and months[s] <= fw for fw in fieldwork] for s in start_w])  # I x E
    scores: dict[tuple[str, str], np.ndarray] = {}
    for th in VI_THEMES:
        for deel in parts[th]:
            ward = -9.0 * uw / 0.25 + rng.normal(0, 6, n_wijk)
            noise_sd = np.where(deel == "subjectief", 60 / np.sqrt(np.maximum(n_resp, 1)), 3.0)
            tr = trend_subj if deel == "subjectief" else trend_obj
            noise = rng.normal(0, 1, (n_wijk, E)) * noise_sd
            s = ward[:, None] + noise
            # Calibrate: population-weighted 2014 city mean = 100 (the index definition).
            w2014 = np.array([pop_w.get((c, 2014), 0) for c in wijken["wijk_code"]], float)
            s = s - np.average(s[:, 0], weights=np.maximum(w2014, 1)) + 100 + tr[None, :]
            s = s + treated * TREATMENT_EFFECT_WIJKPROFIEL.get((th, deel), 0.0)
            if (th, deel) == ("veiligheidsbeleving", "subjectief"):
                true_subj = s - noise  # the ward's level without survey noise (drives the share below)
            scores[(th, deel)] = np.clip(s, 20, 200)
    unsafe_rng = _rng(rng.integers(2**31), 0)  # own stream: the index scores above stay as they were
    for i in range(n_wijk):
        for e, ed in enumerate(WIJKPROFIEL_EDITIONS):
            obj_all, subj_all = [], []
            base = {"editie": ed, "wijk_code": wijken.at[i, "wijk_code"], "index": "veiligheid"}
            for th in VI_THEMES:
                vals = {d: round(float(scores[(th, d)][i, e]), 1) for d in parts[th]}
                vals["totaal"] = round(float(np.mean(list(vals.values()))), 1)
                for d, val in vals.items():
                    rows.append({**base, "thema": th, "deel": d, "indicator": f"{th} {d}",
                                 "waarde": val,
                                 "n_respondenten": n_resp[i, e] if d == "subjectief" else pd.NA})
                    if d == "objectief":
                        obj_all.append(val)
                    elif d == "subjectief":
                        subj_all.append(val)
            # The share feeling unsafe follows the ward's true subjective score (before its survey noise,
            # which the binomial draw replaces) around the city level of 28% in 2014.
            p_unsafe = np.clip((28.0 - _UNSAFE_PER_POINT * (true_subj[i, e] - 100.0)) / 100, 0.02, 0.95)
            n_ie = int(n_resp[i, e])
            if n_ie > 0:
                rows.append({**base, "thema": "veiligheidsbeleving", "deel": "subjectief", "indicator": UNSAFE_INDICATOR,
                             "waarde": round(100 * float(unsafe_rng.binomial(n_ie, p_unsafe)) / n_ie, 1),
                             "n_respondenten": n_ie})
            o, s_ = round(float(np.mean(obj_all)), 1), round(float(np.mean(subj_all)), 1)
            for d, val in (("objectief", o), ("subjectief", s_), ("totaal", round((o + s_) / 2, 1))):
                rows.append({**base, "thema": "veiligheidsindex", "deel": d,
                             "indicator": f"veiligheidsindex {d}", "waarde": val,
                             "n_respondenten": n_resp[i, e] if d == "subjectief" else pd.NA})
    df = pd.DataFrame(rows)
    df["editie"] = df["editie"].astype(int)
    df["waarde"] = df["waarde"].astype(float)
    df["n_respondenten"] = df["n_respondenten"].astype("Int64")
    for col in ("wijk_code", "index", "thema", "deel", "indicator"):
        df[col] = df[col].astype("str")
    return df


def _network(rng, wr_ids, start, months, scale):
    W = len(wr_ids)
    net_months = months[months >= pd.Timestamp(NETWORK_START)]
    t_idx = pd.Index(months).get_indexer(net_months)
    rows = []
    for w in range(W):
        for ti, m in zip(t_idx, net_months, strict=True):
            treated = start[w] >= 0 and ti >= start[w]
            for kind, rate in _MEETING_TYPES:
                r = rate * (0.3 if (kind == "wijkraadvergadering" and m.month in (7, 8)) else 1.0)
                for _ in range(rng.poisson(r)):
                    day = int(rng.integers(1, m.days_in_month + 1))
                    present = rng.random() < (0.78 if treated else 0.35)
                    rows.append((m.replace(day=day), wr_ids[w], kind, present))
    ov = pd.DataFrame(rows, columns=["datum", "wijkraad_id", "type", "handhaving_aanwezig"])
    ov = ov.sort_values(["datum", "wijkraad_id", "type"], kind="stable").reset_index(drop=True)
    ov["datum"] = pd.to_datetime(ov["datum"])
    ov["handhaving_aanwezig"] = ov["handhaving_aanwezig"].astype(bool)
    for col in ("wijkraad_id", "type"):
        ov[col] = ov[col].astype("str")

    quarters = pd.date_range(NETWORK_START, f"{DEMO_END}-01", freq="QS")
    q_idx = pd.Index(months).get_indexer(quarters)
    rows = []
    for w in range(W):
        for qi, q in zip(q_idx, quarters, strict=True):
            treated = start[w] >= 0 and qi >= start[w]
            for partner in PARTNERS:
                n = int(rng.poisson(_PARTNER_RATE[partner] * (1.8 if treated else 1.0)))
                if n > 0:  # the log records collaborations that happened; zero rows are absent
                    rows.append((wr_ids[w], partner, q, _PARTNER_FORM[partner], n))
    sw = pd.DataFrame(rows, columns=["wijkraad_id", "partner", "periode", "vorm", "aantal"])
    sw["periode"] = pd.to_datetime(sw["periode"])
    sw["aantal"] = sw["aantal"].astype(np.int64)
    for col in ("wijkraad_id", "partner", "vorm"):
        sw[col] = sw[col].astype("str")
    return ov, sw


def _signalen(rng, wr_ids, start, months, scale):
    W = len(wr_ids)
    net_months = months[months >= pd.Timestamp(NETWORK_START)]
    t_idx = pd.Index(months).get_indexer(net_months)
    n_wt = rng.poisson(1.3 * max(scale, 0.2), (W, len(net_months)))
    cell = np.repeat(np.arange(n_wt.size), n_wt.reshape(-1))
    w, j = cell // len(net_months), cell % len(net_months)
    n = cell.size
    treated = (start[w] >= 0) & (t_idx[j] >= start[w])
    u = rng.random(n)
    p_pos = np.where(treated, 0.40, 0.25)
    p_neg = np.where(treated, 0.25, 0.40)
    toon = np.where(u < p_pos, "positief", np.where(u < 1 - p_neg, "neutraal", "negatief")).astype(object)
    thema = np.array(SIGNAL_THEMES, dtype=object)[rng.integers(0, len(SIGNAL_THEMES), n)]
    bron = _choice(rng, SIGNAL_SOURCES, n)
    datum = net_months.to_numpy()[j] + np.floor(
        rng.random(n) * net_months.days_in_month.to_numpy()[j]).astype("timedelta64[D]")
    tekst = np.array([_SIGNAL_TEXT[(a, b)] for a, b in zip(thema, toon, strict=True)], dtype=object)
    publ = rng.random(n) >= 0.15
    k = int((~publ).sum())
    names = np.array(FAKE_NAMES, dtype=object)[rng.integers(0, len(FAKE_NAMES), k)]
    addr = np.array(FAKE_ADDRESSES, dtype=object)[rng.integers(0, len(FAKE_ADDRESSES), k)]
    tekst[~publ] = tekst[~publ] + " Gemeld door " + names + " (" + addr + ")."
    df = pd.DataFrame({"datum": datum, "wijkraad_id": wr_ids[w], "bron": bron, "thema": thema,
                       "toon": toon, "tekst": tekst, "publiceerbaar": publ})
    df = df.sort_values(["datum", "wijkraad_id"], kind="stable").reset_index(drop=True)
    df.insert(0, "signaal_id", "S" + pd.Series(np.arange(1, len(df) + 1)).astype(str).str.zfill(5))
    for col in ("signaal_id", "wijkraad_id", "bron", "thema", "toon", "tekst"):
        df[col] = df[col].astype("str")
    df["publiceerbaar"] = df["publiceerbaar"].astype(bool)
    return df


def _wijkakkoorden(rng, wr_ids, u_w):
    labels = list(AKKOORD_PRIORITIES)
    # Wards with more nuisance lean towards nuisance priorities.
    rows = []
    for w, wid in enumerate(wr_ids):
        weights = np.array([1.5 + u_w[w], 1.0 + 2 * u_w[w], 1.2, 0.8, 0.8, 0.7, 0.5])
        weights = np.clip(weights, 0.1, None)
        current: list[str] = []
        for jaar in (2022, 2023, 2024, 2025):
            if not current or rng.random() < 0.3:
                k = int(rng.integers(2, 5))
                idx = rng.choice(len(labels), size=k, replace=False, p=weights / weights.sum())
                current = [labels[i] for i in sorted(idx)]
            for prio in current:
                for ind, bron, richting in AKKOORD_PRIORITIES[prio]:
                    rows.append((jaar, wid, prio, ind, bron,
                                 "omlaag" if richting == "daling" else "omhoog"))
    df = pd.DataFrame(rows, columns=["jaar", "wijkraad_id", "thema", "indicator", "bron", "richting"])
    df["jaar"] = df["jaar"].astype(int)
    for col in ("wijkraad_id", "thema", "indicator", "bron", "richting"):
        df[col] = df[col].astype("str")
    return df


def _focusgebieden(hier):
    name_to_code = hier.drop_duplicates("wijk").set_index("wijk")["wijk_code"]
    rows = [(name_to_code[n], "focus", pd.Timestamp("2012-01-01"), pd.NaT)
            for n in NPRZ_FOCUS if n in name_to_code]
    rows += [(name_to_code[n], "hyperfocus", pd.Timestamp("2024-01-01"), pd.NaT)
             for n in HYPERFOCUS if n in name_to_code]
    df = pd.DataFrame(rows, columns=["wijk_code", "niveau", "start", "eind"])
    df["start"] = pd.to_datetime(df["start"])
    df["eind"] = pd.to_datetime(df["eind"])
    for col in ("wijk_code", "niveau"):
        df[col] = df[col].astype("str")
    return df


def _truth(seed, scale, wr_ids, wr_names, start, months, uren_pw, selection_log, counts):
    treated = {wr_ids[w]: months[start[w]].strftime("%Y-%m") for w in np.argsort(start)
               if start[w] >= 0}
    never = sorted(wr_ids[start < 0].tolist())
    app_pre = counts[:, (months >= "2019-01-01") & (months < APP_SWITCH), :].sum()
    app_post = counts[:, (months >= APP_SWITCH) & (months < "2021-01-01"), :].sum()
    return {
        "synthetic": True,
        "note": "SYNTHETISCHE DEMODATA - invented numbers on real Rotterdam ward names and codes; "
                "not real municipal data.",
        "generator": "wijklib.demo",
        "seed": seed,
        "scale": scale,
        "period": {"start": DEMO_START, "end": DEMO_END},
        "treatment": {
            "start_month": treated,
            "never_treated": never,
            "uren_per_week": {wr_ids[w]: float(uren_pw[w]) for w in range(len(wr_ids)) if start[w] >= 0},
            "cohorts": [{"start": c, "size": k} for c, k in COHORTS],
            "effect_timing": "constant multiplicative effect from the start month on (no ramp-up)",
            "effect_heterogeneity": "none: the same effects in every treated wijkraad and cohort",
        },
        "selection_rule": (
            "Cohorts are filled in date order. For each cohort the not-yet-treated wijkraden are "
            "ranked by persistent nuisance level + 2.5 x mean transient AR(1) shock over the 6 months "
            "before the start + Gumbel(0, 0.10) noise; the top k start. The transient shock "
            "(monthly persistence 0.8, stationary sd 0.12 on the log scale) then reverts: a naive "
            "before/after comparison overstates the effect (regression to the mean)."),
        "selection": selection_log,
        "effects": {
            "meldingen_rate_ratio": TREATMENT_EFFECT_MELDINGEN,
            "politie_rate_ratio": {c: TREATMENT_EFFECT_POLITIE.get(c, 1.0) for c, _, _ in CRIME_TYPES},
            "followup_time_ratio": TREATMENT_EFFECT_FOLLOWUP,
            "compliance_share_difference": TREATMENT_EFFECT_COMPLIANCE,
            "wijkprofiel_points": {f"{t} {d}": v for (t, d), v in TREATMENT_EFFECT_WIJKPROFIEL.items()},
            "wijkprofiel_percentage_points": {UNSAFE_INDICATOR: -_UNSAFE_PER_POINT * TREATMENT_EFFECT_WIJKPROFIEL[
                ("veiligheidsbeleving", "subjectief")]},
        },
        "reporting_app": {
            "switch_date": APP_SWITCH, "from": "BuitenBeter", "to": "MeldR",
            "rate_ratio": APP_EFFECT,
            "note": "more reports without more nuisance; applies to treated and untreated alike",
            "observed_ratio_2020_vs_2019": round(float(app_post / max(app_pre, 1)), 4),
        },
        "covid": {"start": COVID_START, "end": COVID_END, "meldingen_rate_ratio": _COVID,
                  "politie_rate_ratio": _CRIME_COVID},
        "coverage": {
            "meldingen": {"start": DEMO_START, "end": DEMO_END},
            "handhaving": {"start": HANDHAVING_START[:7], "end": DEMO_END},
            "handhaving_uren": {"start": HANDHAVING_START[:7], "end": DEMO_END,
                                "missing_weeks": [d.strftime("%Y-%m-%d") for d in pd.date_range(
                                    UREN_GAP[0], UREN_GAP[1], freq="W-MON")]},
            "politie": {"start": DEMO_START, "end": POLITIE_LAST_MONTH},
            "netwerk": {"start": NETWORK_START[:7], "end": DEMO_END},
            "signalen": {"start": NETWORK_START[:7], "end": DEMO_END},
        },
        "overdispersion": {"meldingen_gamma_shape": 6.0, "politie_gamma_shape": 10.0},
        "export_moment": EXPORT_MOMENT,
        "pii_markers": {"names": list(FAKE_NAMES), "phones": list(FAKE_PHONES),
                        "addresses": list(FAKE_ADDRESSES)},
        "totals": {"meldingen": int(counts.sum())},
    }
