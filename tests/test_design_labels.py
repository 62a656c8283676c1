"""Every design the monitor can choose has a plain-Dutch label for the report's running text."""

from __future__ import annotations

import re

from wijklib.monitor.design import DESIGN_LABELS, PLAIN_LABELS

JARGON = ["difference", "event study", "poisson", "wooldridge", "bootstrap", "gestudentiseerd", "cohort",
          "placebo", "its", "synthetische", "rate ratio", "newey", "chaisemartin"]


def test_every_design_has_a_plain_label_without_jargon():
    assert set(DESIGN_LABELS) <= set(PLAIN_LABELS), set(DESIGN_LABELS) - set(PLAIN_LABELS)
    for design, label in PLAIN_LABELS.items():
        for term in JARGON:
            assert not re.search(r"\b" + re.escape(term) + r"\b", label.lower()), (design, term, label)
