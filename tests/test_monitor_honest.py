"""The ward report's sensitivity sentence (Rambachan & Roth breakdown value), on demo wards of each kind.

The monitor (``monitor.view.honest_check``) averages the ward's monthly event study into quarters and runs
``wijklib.honest.sensitivity_rm`` on them; the report layer (``report.content.honest_sentence``) says it
in one sentence. Wards: one with a clear decrease, one without an effect to speak of, one that started
too soon after the data begin, one with no full quarter after its start, and a never-treated ward (no
event study, so no sentence).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import wijklib as wl
from wijklib.monitor import design, view
from wijklib.monitor.glossary import glossary
from wijklib.report.content import honest_sentence

YEAR = 2025


@pytest.fixture(scope="module")
def demo():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pnl = wl.panel.build(wl.panel.load_demo(), level="wijkraad", freq="M")
    p = design.upto(pnl, YEAR)
    return p, design.treatment_starts(p)


def _es(demo, ward, outcome="overlast", panel=None):
    p, starts = demo
    p = p if panel is None else panel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return view._event_study(p, ward, outcome, YEAR, pd.Timestamp(starts[ward]), design.treatment_starts(p),
                                 True, None, draws={})


def test_a_clear_decrease_gets_its_breakdown_value(demo):
    es = _es(demo, "lombardijen", "afval")  # 2020-07 cohort; the demo's true rate ratio for afval is 0.85
    h = view.honest_check(es)
    assert h.reason is None and (h.n_pre, h.n_post) == (3, 4)
    assert h.significant and h.direction == -1
    assert h.below in view.HONEST_GRID and h.breakdown in view.HONEST_GRID and h.below < h.breakdown
    t = h.result.table.set_index("Mbar")
    assert t.loc[h.below, "ub"] < 0 <= t.loc[h.breakdown, "ub"]  # excluded at `below`, contained at breakdown
    # the target is the average of the post quarters, each relative to the quarter before the start
    est = es.table.set_index(es.table["event_time"].astype(int))["estimate"].reindex(range(-3, 12)).fillna(0.0)
    ref = est.loc[-3:-1].mean()
    by_hand = np.mean([est.loc[a:a + 2].mean() - ref for a in (0, 3, 6, 9)])
    assert np.mean(h.result.original) == pytest.approx(by_hand, abs=1e-10)
    text = honest_sentence(h)
    assert text.startswith("Gevoeligheid voor trendverschillen (Rambachan & Roth 2023): de daling over de eerste "
                           "4 kwartalen na de start blijft aantoonbaar zolang")
    assert h.below > 0 and text.endswith(f"hooguit {wl.nl.auto(h.below)} keer zo sterk verandert als de grootste "
                                         f"verandering per kwartaal vóór de start; bij {wl.nl.auto(h.breakdown)} "
                                         f"keer niet meer (breekpunt {wl.nl.auto(h.breakdown)}).")
    assert any(k.startswith("breekpunt") for k, _ in glossary(text))  # the begrippenlijst explains it


def test_an_effect_that_needs_exact_parallel_trends_says_so(demo):
    # Bloemhof was chosen after a temporary rise in nuisance (truth.json selection_rule): the largest
    # pre-start change is large, so a small multiple of it already explains the decrease.
    h = view.honest_check(_es(demo, "bloemhof"))
    assert h.significant and h.below == 0.0 and h.breakdown > 0
    assert "is alleen aantoonbaar als de trends na de start precies gelijk blijven lopen" in honest_sentence(h)


def test_a_ward_without_a_clear_effect_gets_a_plain_statement(demo):
    h = view.honest_check(_es(demo, "tarwewijk"))
    assert h.reason is None and not h.significant and h.result is not None
    assert honest_sentence(h) == ("Gevoeligheid voor trendverschillen (Rambachan & Roth 2023): niet van toepassing: "
                                  "ook als de trends precies gelijk lopen, is het gemiddelde effect over de eerste 4 "
                                  "kwartalen na de start niet van nul te onderscheiden.")


def test_too_few_months_before_the_start_is_said_not_computed(demo):
    p, starts = demo
    short = p[p["period"] >= pd.Timestamp(starts["bloemhof"]) - pd.DateOffset(months=5)]
    h = view.honest_check(_es(demo, "bloemhof", panel=short))
    assert h.result is None and h.n_pre < 2
    assert honest_sentence(h) == ("Gevoeligheid voor trendverschillen (Rambachan & Roth 2023): voor deze wijk niet "
                                  "te berekenen, want er zijn minder dan twee volledige kwartalen vóór de start.")


def test_only_complete_post_quarters_count(demo):
    es = _es(demo, "bloemhof")
    t = es.table.copy()
    t.loc[t["event_time"].astype(int) >= 2, "std_error"] = np.nan  # only months 0 and 1 after the start
    assert view.honest_check(replace(es, table=t)).reason == "er is nog geen volledig kwartaal na de start"
    t = es.table.copy()
    t.loc[t["event_time"].astype(int) >= 4, "std_error"] = np.nan
    h = view.honest_check(replace(es, table=t))
    assert h.n_post == 1 and "het eerste kwartaal na de start" in honest_sentence(h)


@pytest.mark.parametrize("below, breakdown, expect", [
    (2.0, np.inf, "hooguit 2 keer zo sterk verandert als de grootste verandering per kwartaal vóór de start "
                  "(de grootste onderzochte waarde; breekpunt daarboven)."),
    (np.nan, 0.25, "is alleen aantoonbaar als de trends na de start precies gelijk blijven lopen; een trendverschil "
                   "van 0,25 keer de grootste verandering vóór de start kan haar al verklaren (breekpunt 0,25)."),
    (0.75, 1.0, "hooguit 0,75 keer zo sterk verandert als de grootste verandering per kwartaal vóór de start; bij "
                "1 keer niet meer (breekpunt 1)."),
])
def test_sentence_for_each_breakdown(below, breakdown, expect):
    h = view.HonestCheck(result=object(), n_pre=3, n_post=2, significant=True, direction=1,
                         breakdown=breakdown, below=below)
    text = honest_sentence(h)
    assert text.startswith("Gevoeligheid voor trendverschillen (Rambachan & Roth 2023): de stijging over de "
                           "eerste 2 kwartalen na de start ")
    assert text.endswith(expect)


def test_a_never_treated_ward_gets_no_event_study_and_no_sentence(demo):
    p, starts = demo
    never = next(u for u, s in starts.items() if pd.isna(s))
    ev = type("Ev", (), {"wijkraad_id": never, "year": YEAR, "priorities": []})()
    v = view.ward_view(ev, p)
    assert v.event_study is None and v.honest is None
