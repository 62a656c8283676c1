"""The begrippenlijst: every technical name the monitor prints in a method section is explained once."""

from __future__ import annotations

import re

from wijklib import monitor
from wijklib.monitor.design import DESIGN_LABELS, PLAIN_LABELS
from wijklib.monitor.glossary import GLOSSARY, glossary, glossary_markdown
from wijklib.monitor.settings import load_config

#: Technical names that may appear in the method section (the e2e test bans them from the running text).
TECHNICAL = ["difference-in-differences", "event study", "rate ratio", "bootstrap", "gestudentiseerd",
             "Poisson", "Wooldridge", "Newey", "Newcombe", "cohort", "placebo", "randomisatietoets", "Holm",
             "onderbroken tijdreeks", "synthetische controle", "Chaisemartin", "Rambachan", "parallelle trends",
             "p-waarde", "betrouwbaarheidsinterval"]


def _method_texts() -> str:
    cfg_variants = [load_config(), load_config({"design": {"did_inference": "poisson"}}),
                    load_config({"design": {"single_ward": "its_controlled"}})]
    texts = [monitor.rules_text(c) for c in cfg_variants]
    return "\n".join([*texts, *DESIGN_LABELS.values()])


def test_every_technical_name_the_monitor_prints_has_an_entry():
    text = _method_texts()
    found = {t for t, _ in glossary(text)}
    for name in TECHNICAL:
        if re.search(re.escape(name), text, re.IGNORECASE):
            hits = [t for t, (spellings, _) in GLOSSARY.items()
                    if any(name.lower() in s.lower() or s.lower() in name.lower() for s in spellings)]
            assert hits, f"{name!r} is printed by the monitor but has no glossary entry"
            assert set(hits) & found, f"{name!r}: entry {hits} not picked up from the text"


def test_only_the_terms_a_text_uses_are_listed_and_each_once():
    entries = glossary("De randomisatietoets is gestudentiseerd.")
    assert [t for t, _ in entries] == ["gestudentiseerd", "randomisatietoets"]
    md = glossary_markdown(_method_texts())
    terms = re.findall(r"^- \*\*(.+?)\*\*:", md, re.MULTILINE)
    assert len(terms) == len(set(terms)) and len(terms) >= 10
    assert glossary_markdown("een zin zonder vakterm") == ""


def test_explanations_are_plain_dutch_sentences():
    for term, (spellings, expl) in GLOSSARY.items():
        assert spellings and len(expl) > 60, term
        assert not re.search(r"\b(the|and|which|is computed)\b", expl.replace("heteroscedasticity and autocorrelation", "")), term


def test_plain_labels_need_no_glossary():
    """What the running text says about a design is understandable without the glossary."""
    for key, text in PLAIN_LABELS.items():
        assert not glossary(text) or {t for t, _ in glossary(text)} <= {"vergelijkingswijken"}, (key, glossary(text))
