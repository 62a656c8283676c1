"""Unit tests of wijklib.monitor on a small synthetic city (fast; no demo data needed)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from wijklib import monitor
from wijklib.monitor import design, level1, level2, level3, priorities
from wijklib.monitor.privacy import REDACTED, scrub
from wijklib.monitor.settings import load_config
from wijklib.monitor.stats import bootstrap_quantile, newcombe_diff, poisson_rate_ratio, wilson
from wijklib.monitor.verdict import (
    GEEN_VERANDERING,
    ONGUNSTIG,
    ONVOLDOENDE,
    OP_KOERS,
    VERBETERD,
    Measure,
    judge,
    rules_text,
)

# --------------------------------------------------------------------------------------------
# a small synthetic city: 16 wards, one wijk/buurt each, 2019-2024; 10 wards start together, one
# alone, five never (enough treated wards for valid DiD intervals: design.min_treated_did = 10)
# --------------------------------------------------------------------------------------------
WARDS = [f"w{i:02d}" for i in range(16)]
COHORT = pd.Timestamp("2021-01-01")  # w00..w09
SINGLE = pd.Timestamp("2022-04-01")  # w10
STARTS = {**{w: COHORT for w in WARDS[:10]}, WARDS[10]: SINGLE}
MONTHS = pd.date_range("2019-01-01", "2024-12-01", freq="MS")
PII = {
    "names": ["Piet Jansen", "meneer Jansen", "mevrouw de Vries", "dhr. K. Bakker"],
    "phones": ["06-12345678", "010-1234567", "+31 6 87654321"],
    "emails": ["piet.jansen@example.nl"],
    "addresses": ["Dorpsweg 12", "3072 AB 14", "Zwart Janstraat 45"],
}


def _hierarchy() -> pd.DataFrame:
    return pd.DataFrame({
        "buurt_code": [f"BU0599{i:04d}" for i in range(len(WARDS))],
        "wijk_code": [f"BU0599{i:04d}" for i in range(len(WARDS))],
        "wijkraad_id": WARDS,
        "wijkraad": [f"Wijk {i}" for i in range(len(WARDS))],
    })


def _panel(seed: int = 1, effect: float = 0.6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i, w in enumerate(WARDS):
        pop = 8000.0 + 700 * i
        lvl = rng.normal(0, 0.15)
        st = STARTS.get(w, pd.NaT)
        for t, m in enumerate(MONTHS):
            mu = pop / 1000 * 3.0 * math.exp(lvl + 0.02 * t / 12 + 0.1 * math.sin(2 * math.pi * m.month / 12))
            post = not pd.isna(st) and m >= st
            y_a = rng.poisson(rng.gamma(30, mu * (effect if post else 1.0) / 30))
            y_g = rng.poisson(rng.gamma(30, mu / 30))
            rows.append((w, m, float(y_a), float(y_g), pop, st))
    p = pd.DataFrame(rows, columns=["unit", "period", "n_afval", "n_grofvuil", "population", "first_treated"])
    p["first_treated"] = pd.to_datetime(p["first_treated"])
    p["rate_afval"] = p["n_afval"] / p["population"] * 1000
    p["treated"] = (p["first_treated"].notna() & (p["period"] >= p["first_treated"])).astype(int)
    p["missing_meldingen"] = False
    return p


def _tables(seed: int = 2) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    h = _hierarchy()
    hh, ml, wp, sg, ov, sw, ak = [], [], [], [], [], [], []
    for i, w in enumerate(WARDS):
        buurt = h.at[i, "buurt_code"]
        st = STARTS.get(w, pd.NaT)
        for y in range(2019, 2025):
            post = not pd.isna(st) and y >= st.year
            p_ok = 0.85 if post else 0.6
            for k in range(60):
                hh.append((f"A{i}{y}{k}", pd.Timestamp(f"{y}-{1 + k % 12:02d}-10"), buurt, "afval", "controle",
                           bool(rng.random() > p_ok)))
            for k in range(80):
                rec = pd.Timestamp(f"{y}-{1 + k % 12:02d}-05")
                days = rng.exponential(2.0 if post else 4.0)
                ml.append((f"M{i}{y}{k}", rec, rec + pd.Timedelta(days=days), "afval", buurt,
                           f"Container vol, bel {PII['phones'][k % 3]} of {PII['names'][k % 4]}"))
            ov.append((pd.Timestamp(f"{y}-03-01"), w, "wijkoverleg", bool(post or i % 2 == 0)))
            ov.append((pd.Timestamp(f"{y}-09-01"), w, "wijkoverleg", bool(post)))
            for q in (1, 4, 7, 10):
                for partner in ("politie", "jongerenwerk", "woningcorporatie", "school"):
                    if post or partner == "politie":
                        sw.append((w, partner, pd.Timestamp(f"{y}-{q:02d}-01"), "overleg", 1 + q % 3))
            for k in range(3 + (y - 2019) * (2 if i == 0 else 0)):
                publ = k % 2 == 0
                text = ("Bewoners zien minder afval. Gemeld door meneer Jansen, tel 06-12345678, piet.jansen@example.nl, "
                        "Dorpsweg 12, 3072 AB 14") if publ else "Piet Jansen (Zwart Janstraat 45) belt 010-1234567"
                sg.append((f"S{i}{y}{k}", pd.Timestamp(f"{y}-06-{1 + k % 28:02d}"), w, "wijkraad",
                           "afval" if k % 3 else "jeugd", "negatief" if k % 2 else "positief", text, publ))
        for ed in (2018, 2020, 2022, 2024):
            post = not pd.isna(st) and ed >= st.year
            wp.append((ed, h.at[i, "wijk_code"], "veiligheid", "overlast", "subjectief", "% ervaart overlast",
                       40.0 - (8 if post else 0) + rng.normal(0, 1), 400))
            wp.append((ed, h.at[i, "wijk_code"], "veiligheid", "overlast", "objectief", "overlast objectief",
                       100.0 + rng.normal(0, 3), pd.NA))
        for y in (2023, 2024):
            ak += [(y, w, "Afval op straat", "meldingen afval", "meldingen", "omlaag"),
                   (y, w, "Afval op straat", "meldingen grofvuil", "meldingen", "omlaag"),
                   (y, w, "Naleving", "naleving", "handhaving", "omhoog"),
                   (y, w, "Overlast", "% ervaart overlast", "wijkprofiel", "omlaag")]
    return {
        "handhaving": pd.DataFrame(hh, columns=["actie_id", "datum", "buurt_code", "thema", "actie", "overtreding"]),
        "meldingen": pd.DataFrame(ml, columns=["melding_id", "ontvangen", "afgehandeld", "categorie", "buurt_code",
                                               "omschrijving"]),
        "wijkprofiel": pd.DataFrame(wp, columns=["editie", "wijk_code", "index", "thema", "deel", "indicator", "waarde",
                                                 "n_respondenten"]).astype({"n_respondenten": "Int64"}),
        "signalen": pd.DataFrame(sg, columns=["signaal_id", "datum", "wijkraad_id", "bron", "thema", "toon", "tekst",
                                              "publiceerbaar"]),
        "netwerk_overleggen": pd.DataFrame(ov, columns=["datum", "wijkraad_id", "type", "handhaving_aanwezig"]),
        "netwerk_samenwerking": pd.DataFrame(sw, columns=["wijkraad_id", "partner", "periode", "vorm", "aantal"]),
        "wijkakkoorden": pd.DataFrame(ak, columns=["jaar", "wijkraad_id", "thema", "indicator", "bron", "richting"]),
        "focusgebieden": pd.DataFrame({"wijk_code": [h.at[0, "wijk_code"]], "niveau": ["focus"],
                                       "start": pd.to_datetime(["2012-01-01"]), "eind": pd.to_datetime([None])}),
    }


@pytest.fixture(scope="module")
def city():
    tables, panel = _tables(), _panel()
    snapshot = {k: v.copy(deep=True) for k, v in tables.items()}, panel.copy(deep=True)
    ctx = monitor.Context(tables, panel, hierarchy=_hierarchy())
    return ctx, tables, panel, snapshot


@pytest.fixture(scope="module")
def ev_w00(city):
    ctx = city[0]
    return monitor.evaluate_ward("w00", 2024, context=ctx)


# --------------------------------------------------------------------------------------------
# privacy
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, planted",
    [
        ("Bel meneer Jansen op 06-12345678", ["Jansen", "06-12345678"]),
        ("mail p.jansen@example.nl of bel +31 6 12345678", ["p.jansen@example.nl", "12345678"]),
        ("Overlast bij 3072 AB 14 en bij Zwart Janstraat 45", ["3072 AB", "Janstraat 45"]),
        ("mevrouw de Vries en dhr. K. Bakker en mw. El Amrani", ["Vries", "Bakker", "Amrani"]),
        ("Melder: fam. van den Berg, 010 - 123 45 67", ["Berg", "123 45 67"]),
    ],
)
def test_scrub_removes_planted_personal_data(text, planted):
    out = scrub(text)
    assert REDACTED in out
    for item in planted:
        assert item not in out, (item, out)


def test_scrub_keeps_ordinary_text_and_numbers():
    text = "In 2024 waren er 1.234 meldingen (12% meer) over afval in de Tarwewijk."
    assert scrub(text) == text
    assert scrub(None) == "" and scrub(float("nan")) == ""


# --------------------------------------------------------------------------------------------
# configuration and the verdict rule
# --------------------------------------------------------------------------------------------
def test_config_default_override_and_errors(tmp_path):
    cfg = load_config()
    assert cfg.verdict["alpha"] == 0.05 and cfg.herijk["years"] >= 1
    assert load_config({"herijk": {"years": 3}}).herijk["years"] == 3
    assert load_config({"herijk": {"years": 3}}).fingerprint != cfg.fingerprint
    with pytest.raises(ValueError, match="verdict.alpha"):
        load_config({"verdict": {"alpha": "0.05"}})
    with pytest.raises(ValueError, match="unknown key"):
        load_config({"verdict": {"alfa": 0.1}})
    with pytest.raises(ValueError, match="level3.weights"):
        load_config({"level3": {"weights": {"aanwezigheid": 1.0, "breedte": 0.5, "regelmaat": 0.0}}})
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ValueError, match=r"monitor.yaml.*design.max_zero_month_share_did = 1.5; expected a share"):
        load_config({"design": {"max_zero_month_share_did": 1.5}})
    with pytest.raises(ValueError, match=r"seeds.did = -1; expected a whole number >= 0"):
        load_config({"seeds": {"did": -1}})
    with pytest.raises(ValueError, match=r"seeds.randomisation = 1.5; expected int"):
        load_config({"seeds": {"randomisation": 1.5}})


def test_seeds_come_from_config():
    # the monitor's random draws use seeds.* of config/monitor.yaml: another seed, other Monte Carlo
    # assignments (40 wards, 20 treated: too many assignments to list them all)
    from wijklib.monitor import randomization as rnd

    assert load_config().seeds == {"did": 20260122, "randomisation": rnd.DEFAULT_SEED}
    rng = np.random.default_rng(5)
    per = pd.date_range("2021-01-01", periods=36, freq="MS")
    units = [f"w{i:02d}" for i in range(40)]
    panel = pd.DataFrame({"unit": np.repeat(units, 36), "period": np.tile(per, 40),
                          "n_x": rng.poisson(30, 40 * 36).astype(float), "population": 5000.0})
    starts = pd.Series({u: (pd.Timestamp("2022-07-01") if i < 20 else pd.NaT) for i, u in enumerate(units)})
    p0 = design.pretrend_check(panel, "w00", "x", 2023, starts, "did")[0]
    assert design.pretrend_check(panel, "w00", "x", 2023, starts, "did", seed=rnd.DEFAULT_SEED)[0] == p0
    assert design.pretrend_check(panel, "w00", "x", 2023, starts, "did", seed=1)[0] != p0


@pytest.mark.parametrize(
    "measure, richting, expected",
    [
        (Measure(0.8, 0.7, 0.9), "omlaag", OP_KOERS),
        (Measure(0.8, 0.7, 0.9), "omhoog", ONGUNSTIG),
        (Measure(0.8, 0.6, 1.05), "omlaag", GEEN_VERANDERING),
        (Measure(1.2, 1.1, 1.3), "omlaag", ONGUNSTIG),
        (Measure(0.5, 0.2, 1.4), "omlaag", ONVOLDOENDE),  # interval wider than 100%
        (Measure(0.05, 0.01, 0.09, scale="difference", baseline=0.6), "omhoog", OP_KOERS),
        (Measure(0.05, 0.01, 0.09, scale="difference", baseline=None), "omhoog", ONVOLDOENDE),
        (Measure(0.8, math.nan, math.nan), "omlaag", ONVOLDOENDE),
        (None, "omlaag", ONVOLDOENDE),
    ],
)
def test_verdict_rule_uses_the_interval(measure, richting, expected):
    assert judge(measure, richting)[0] == expected


def test_verdict_rule_thresholds_come_from_config():
    m = Measure(0.93, 0.90, 0.96)
    assert judge(m, "omlaag")[0] == OP_KOERS
    strict = load_config({"verdict": {"min_relative_change": 0.05}})
    assert judge(m, "omlaag", strict)[0] == GEEN_VERANDERING
    assert judge(m, "omlaag", insufficient=["te weinig"]) == (ONVOLDOENDE, "te weinig")
    with pytest.raises(ValueError, match="richting"):
        judge(m, "naar beneden")


def test_rules_text_prints_the_configured_thresholds():
    text = rules_text(load_config({"herijk": {"years": 3}, "verdict": {"min_events": 33}}))
    for word in ("op koers", "geen aantoonbare verandering", "ongunstige ontwikkeling", "onvoldoende gegevens",
                 "3 evaluatiejaren", "minder dan 33", "95%", "minstens 5 wijken", "Holm", "randomisatietoets"):
        assert word in text, word
    # The wild-bootstrap Poisson DiD states the cohort size it needs (issue 10: counted in the cohort).
    assert "cohort minstens 10 wijken" in rules_text(load_config({"design": {"did_inference": "poisson"}}))
    assert "{" not in text and "}" not in text  # no unformatted placeholders
    synth = rules_text(load_config({"design": {"single_ward": "synth", "min_donors_synth": 7}}))
    assert "synthetische controle (minstens 7 donorwijken)" in synth


# --------------------------------------------------------------------------------------------
# interval helpers against published / independent values
# --------------------------------------------------------------------------------------------
def test_intervals_match_reference_values():
    # Newcombe (1998) Stat Med 17:857 and 17:873 worked examples.
    assert [round(x, 4) for x in wilson(81, 263)[1:]] == [0.2553, 0.3662]
    assert [round(x, 4) for x in newcombe_diff(56, 70, 48, 80)[1:]] == [0.0524, 0.3339]
    # Exact conditional rate-ratio interval = transformed Clopper-Pearson interval.
    ci = binomtest(30, 75).proportion_ci(method="exact")
    rr = poisson_rate_ratio(30, 2.0, 45, 1.0)
    assert rr[0] == pytest.approx(30 / 2 / 45)
    assert rr[1] == pytest.approx(ci.low / (1 - ci.low) / 2)
    assert rr[2] == pytest.approx(ci.high / (1 - ci.high) / 2)
    v = np.random.default_rng(0).exponential(3, 400)
    a, b = bootstrap_quantile(v, 0.5), bootstrap_quantile(v, 0.5)
    assert a[:3] == b[:3] and a[1] < np.median(v) < a[2]


# --------------------------------------------------------------------------------------------
# design choice
# --------------------------------------------------------------------------------------------
def test_design_follows_the_data(city):
    ctx, _, panel, _ = city
    p24 = design.upto(panel, 2024)
    starts = design.treatment_starts(panel)
    cohort = design.estimate_outcome(p24, "w00", "afval", 2024, starts)
    # Comparison wards are the 5 untreated during the whole window (w10 starts in 2022-04, inside the
    # cohort's post period, so it cannot serve as a comparison for it): randomisation inference (issue 10).
    assert cohort.design == "did" and cohort.cohort_size == 10 and cohort.n_controls == 5
    assert cohort.measure.conf_high < 1 and cohort.measure.kind == "effect"
    assert "cohort" in cohort.why
    single = design.estimate_outcome(p24, "w10", "afval", 2024, starts)
    # The single ward's default design is its change against the untreated wards, placebo inference
    # (config design.single_ward: placebo, chosen by the placebo runs of issue 10).
    assert single.design == "placebo" and single.n_controls == 5 and "1 wijk" in single.why
    assert 0.4 < single.measure.estimate < 0.85
    untreated = design.estimate_outcome(p24, "w12", "afval", 2024, starts)
    assert untreated.design == "ontwikkeling" and untreated.measure.kind == "ontwikkeling"
    # Evaluated in 2021 the single ward is not yet treated; in mid-2022 its post period is too short.
    assert design.estimate_outcome(design.upto(panel, 2021), "w10", "afval", 2021, starts).design == "ontwikkeling"
    short = design.estimate_outcome(design.upto(panel, 2022), "w10", "afval", 2022, starts,
                                    config=load_config({"verdict": {"min_post_periods": 12}}))
    assert short.design == "geen" and short.measure is None
    # Without any untreated ward only the plain ITS is left (last resort, said so).
    alone = panel.loc[panel["unit"].isin(["w10"])]
    plain = design.estimate_outcome(alone, "w10", "afval", 2024, design.treatment_starts(alone))
    assert plain.design == "its" and "laatste mogelijkheid" in plain.why


def test_single_ward_synthetic_control_when_configured(city):
    _, _, panel, _ = city
    cfg = load_config({"design": {"single_ward": "synth"}})
    e = design.estimate_outcome(design.upto(panel, 2024), "w10", "afval", 2024, design.treatment_starts(panel),
                                config=cfg)
    assert e.design == "synth", e.notes
    m = e.measure
    assert m.scale == "difference" and m.baseline > 0 and m.conf_low <= m.estimate <= m.conf_high
    assert -0.7 < m.relative()[0] < -0.15  # true effect: rate x 0.6


def test_few_treated_wards_get_the_single_ward_design(city):
    _, _, panel, _ = city
    few = panel.loc[~panel["unit"].isin([f"w{i:02d}" for i in range(3, 10)])]  # 3 + 1 treated wards left
    starts = design.treatment_starts(few)
    # Randomisation inference is valid for the 3 wards behind the cohort estimate (issue 10): a DiD.
    e = design.estimate_outcome(design.upto(few, 2024), "w00", "afval", 2024, starts)
    assert e.design == "did" and e.cohort_size == 3 and "gestudentiseerd" in e.inference
    # The wild-bootstrap Poisson DiD counts the wards behind the estimate (the cohort's 3), not the city's 4.
    cfg = load_config({"design": {"did_inference": "poisson", "single_ward": "its_controlled"}})
    e = design.estimate_outcome(design.upto(few, 2024), "w00", "afval", 2024, starts, config=cfg)
    assert e.design == "its_controlled" and "3 wijken in het startcohort" in e.why


def test_development_matches_hand_computed_rate_ratio(city):
    _, _, panel, _ = city
    m = design.development(panel, "w12", "afval", 2024)
    s = panel.loc[panel["unit"] == "w12"]
    y = s["period"].dt.year
    by_hand = (s.loc[y == 2024, "n_afval"].sum() / s.loc[y == 2024, "population"].sum()) / (
        s.loc[y == 2023, "n_afval"].sum() / s.loc[y == 2023, "population"].sum())
    assert m.estimate == pytest.approx(by_hand)


# --------------------------------------------------------------------------------------------
# levels reproduced by hand
# --------------------------------------------------------------------------------------------
def test_level1_numbers_reproduced_by_hand(ev_w00, city):
    _, tables, panel, _ = city
    tr = ev_w00.to_frame("trends")
    row = tr.loc[(tr["uitkomst"] == "afval") & (tr["jaar"] == 2024)].iloc[0]
    s = panel.loc[panel["period"].dt.year == 2024]
    ward = s.loc[s["unit"] == "w00"]
    assert row["wijk"] == pytest.approx(ward["n_afval"].sum() / ward["population"].mean() * 1000)
    per_unit = s.groupby("unit").agg(n=("n_afval", "sum"), pop=("population", "mean"))
    assert row["stad"] == pytest.approx(per_unit["n"].sum() / per_unit["pop"].sum() * 1000)
    # Comparable wards: the k nearest in 2020 (the year before the start) rate.
    ref = panel.loc[panel["period"].dt.year == 2020].groupby("unit").agg(n=("n_afval", "sum"), pop=("population", "mean"))
    rate = ref["n"] / ref["pop"]
    nearest = (rate.drop("w00") - rate["w00"]).abs().sort_values(kind="stable").index[:5]
    assert row["vergelijkbare_wijken"] == ", ".join(nearest)
    assert row["vergelijkbaar"] == pytest.approx(per_unit.loc[nearest, "n"].sum() / per_unit.loc[nearest, "pop"].sum() * 1000)
    # Compliance in 2024 with its Wilson interval, straight from the actions table.
    hh = tables["handhaving"]
    c = hh.loc[(hh["buurt_code"] == "BU05990000") & (hh["datum"].dt.year == 2024) & (hh["actie"] == "controle")]
    k, n = int((~c["overtreding"]).sum()), len(c)
    en = ev_w00.to_frame("enforcement")
    nal = en.loc[(en["indicator"] == "naleving") & (en["jaar"] == 2024)].iloc[0]
    assert (nal["n"], nal["schatting"]) == (n, k / n)
    assert (nal["conf_low"], nal["conf_high"]) == pytest.approx(wilson(k, n)[1:])
    # The naleving priority compares 2024 with 2020, the year before the start.
    c0 = hh.loc[(hh["buurt_code"] == "BU05990000") & (hh["datum"].dt.year == 2020) & (hh["actie"] == "controle")]
    p = next(p for p in ev_w00.priorities if p.indicator == "naleving")
    assert p.measure.estimate == pytest.approx(k / n - (~c0["overtreding"]).mean())
    assert p.measure.baseline == pytest.approx((~c0["overtreding"]).mean())
    # Follow-up time: the median of the 2024 reports.
    ml = tables["meldingen"]
    m = ml.loc[(ml["buurt_code"] == "BU05990000") & (ml["ontvangen"].dt.year == 2024)]
    days = (m["afgehandeld"] - m["ontvangen"]).dt.total_seconds() / 86400
    med = en.loc[(en["indicator"] == "doorlooptijd_mediaan") & (en["jaar"] == 2024), "schatting"].item()
    assert med == pytest.approx(days.median())


def test_level2_numbers_reproduced_by_hand(ev_w00, city):
    _, tables, _, _ = city
    sv = ev_w00.to_frame("survey")
    r = sv.loc[(sv["indicator"] == "% ervaart overlast") & (sv["editie"] == 2024)].iloc[0]
    wp = tables["wijkprofiel"]
    w = wp.loc[(wp["wijk_code"] == "BU05990000") & (wp["indicator"] == "% ervaart overlast")].set_index("editie")
    assert r["waarde"] == pytest.approx(w.at[2024, "waarde"])
    assert r["verschil_vorige"] == pytest.approx(w.at[2024, "waarde"] - w.at[2022, "waarde"])
    city_2024 = wp.loc[(wp["indicator"] == "% ervaart overlast") & (wp["editie"] == 2024)]
    assert r["stad"] == pytest.approx(np.average(city_2024["waarde"], weights=city_2024["n_respondenten"].astype(float)))
    city_2022 = wp.loc[(wp["indicator"] == "% ervaart overlast") & (wp["editie"] == 2022)]
    city_change = r["stad"] - np.average(city_2022["waarde"], weights=city_2022["n_respondenten"].astype(float))
    assert r["verschil_vorige_stad"] == pytest.approx(city_change)
    assert r["verschil_vorige_tov_stad"] == pytest.approx(r["verschil_vorige"] - city_change)
    p = w.at[2024, "waarde"] / 100
    assert r["marge"] == pytest.approx(1.959964 * math.sqrt(p * (1 - p) / 400) * 100, rel=1e-5)
    # Index scores without a respondent-level spread: margin unknown, not invented.
    vi = ev_w00.to_frame("veiligheidsindex")
    assert vi["marge"].isna().all()
    # Signals: counts by theme and tone; w00 gets more signals every year, so its themes rise.
    sg = tables["signalen"]
    s24 = sg.loc[(sg["wijkraad_id"] == "w00") & (sg["datum"].dt.year == 2024)]
    counts = ev_w00.to_frame("signals")
    assert counts.loc[counts["jaar"] == 2024, "aantal"].sum() == len(s24)
    assert set(ev_w00.to_frame("rising")["thema"]) <= set(s24["thema"])
    assert len(ev_w00.to_frame("rising")) >= 1


def test_level3_score_reproduced_by_hand(ev_w00, city):
    _, tables, _, _ = city
    ov = tables["netwerk_overleggen"]
    o = ov.loc[(ov["wijkraad_id"] == "w00") & (ov["datum"].dt.year == 2024)]
    aanw = o["handhaving_aanwezig"].mean()
    sw = tables["netwerk_samenwerking"]
    s = sw.loc[(sw["wijkraad_id"] == "w00") & (sw["periode"].dt.year == 2024)]
    core = ["politie", "jongerenwerk", "woningcorporatie"]
    breedte = s.loc[s["partner"].isin(core), "partner"].nunique() / 3
    regelmaat = len(s.loc[s["partner"].isin(core), ["partner", "periode"]].drop_duplicates()) / (3 * 4)
    expected = 100 * (0.5 * aanw + 0.25 * breedte + 0.25 * regelmaat)
    assert ev_w00.level3.score == pytest.approx(expected)
    assert ev_w00.level3.components == pytest.approx({"aanwezigheid": aanw, "breedte": breedte, "regelmaat": regelmaat})
    # An untreated ward only works with the police: lower breadth.
    ev7 = level3.compute_level3(ov, sw, "w12", 2024)
    assert ev7.components["breedte"] == pytest.approx(1 / 3)


# --------------------------------------------------------------------------------------------
# the evaluation object
# --------------------------------------------------------------------------------------------
def test_ward_evaluation_priorities_and_headline(ev_w00):
    fr = ev_w00.to_frame()
    assert list(fr["indicator"]) == ["meldingen afval", "meldingen grofvuil", "naleving", "% ervaart overlast"]
    v = dict(zip(fr["indicator"], fr["oordeel"], strict=True))
    assert v["meldingen afval"] == OP_KOERS  # true effect 0.6 on afval
    assert v["meldingen grofvuil"] != OP_KOERS  # no true effect
    # compliance 0.60 -> 0.85: no comparison group, so a development word, not "op koers" (issue 10)
    assert v["naleving"] == VERBETERD
    # Survey: 2024 vs 2022, both editions after the start (true change 0, noise sd 1 vs margin ~4.7).
    assert v["% ervaart overlast"] == GEEN_VERANDERING
    h = ev_w00.headline()
    assert h["priorities"]["Afval op straat"]["meldingen afval"]["verdict"] == OP_KOERS
    assert sum(h["verdicts"].values()) == 4
    assert all(s.startswith("Prioriteit") for s in ev_w00.sentences())
    assert "-" in fr.loc[0, "toelichting"] and "%" in fr.loc[0, "toelichting"]


def test_json_round_trip_is_stable(ev_w00, tmp_path):
    p = ev_w00.to_json(tmp_path / "w00_2024.json")
    back = monitor.WardEvaluation.from_json(p)
    assert back.to_dict() == ev_w00.to_dict()
    assert back.to_json(tmp_path / "again.json").read_bytes() == p.read_bytes()
    d = json.loads(p.read_text(encoding="utf-8"))
    assert d["schema_version"] == monitor.SCHEMA_VERSION
    d["schema_version"] = 99
    (tmp_path / "bad.json").write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(ValueError, match="schema_version"):
        monitor.WardEvaluation.from_json(tmp_path / "bad.json")


def test_herijk_and_previous_year(city, tmp_path):
    ctx = city[0]
    ev = monitor.evaluate_ward("w12", 2024, context=ctx)  # untreated: no effect, development only
    themes = {t["thema"]: t for t in ev.themes}
    # Previous year computed (herijk.years = 2): history and comparison are filled in.
    assert ev.to_frame("comparison")["oordeel_vorig"].notna().all()
    for h in ev.herijk:
        assert themes[h["thema"]]["oordeel"] != OP_KOERS
        assert "2023:" in h["bewijs"] and "2024:" in h["bewijs"]
    assert {h["thema"] for h in ev.herijk} == {
        t for t, d in themes.items() if d["oordeel"] != OP_KOERS and d["geschiedenis"]
        and d["geschiedenis"][-1]["oordeel"] != OP_KOERS}
    # Reading last year's JSON gives the same evaluation as computing it.
    prev = monitor.evaluate_ward("w12", 2023, context=ctx, previous=False)
    path = prev.to_json(tmp_path / "w12_2023.json")
    ev2 = monitor.evaluate_ward("w12", 2024, context=ctx, previous=path)
    assert ev2.to_frame("comparison").equals(ev.to_frame("comparison"))
    with pytest.raises(ValueError, match="previous evaluation"):
        monitor.evaluate_ward("w13", 2024, context=ctx, previous=path)
    # With herijk.years = 1 every priority not on course is flagged at once.
    ctx1 = monitor.Context(ctx.tables, ctx.panel, hierarchy=_hierarchy(), config={"herijk": {"years": 1}})
    ev1 = monitor.evaluate_ward("w12", 2024, context=ctx1)
    assert {h["thema"] for h in ev1.herijk} == {t for t, d in themes.items() if d["oordeel"] != OP_KOERS}
    # Years without usable data are no evidence against a priority: the advice is to measure it first.
    from wijklib.monitor.evaluation import ADVIES_HERIJKEN, ADVIES_MEETBAAR, herijk_advice

    for h in ev1.herijk:
        unmeasured = themes[h["thema"]]["oordeel"] == ONVOLDOENDE
        assert h["advies"] == (ADVIES_MEETBAAR if unmeasured else ADVIES_HERIJKEN), h
    assert list(ev1.to_frame("herijk").columns) == ["thema", "jaren", "advies", "bewijs"]
    assert herijk_advice([ONVOLDOENDE, ONVOLDOENDE], 2) == ADVIES_MEETBAAR
    assert herijk_advice([ONVOLDOENDE, "geen aantoonbare verandering"], 2) == ADVIES_HERIJKEN
    assert herijk_advice([OP_KOERS, ONVOLDOENDE], 2) is None


def test_inputs_are_not_mutated(city, ev_w00):
    _, tables, panel, (snap_tables, snap_panel) = city
    pd.testing.assert_frame_equal(panel, snap_panel)
    for k, v in tables.items():
        pd.testing.assert_frame_equal(v, snap_tables[k])


def test_nothing_personal_leaves_the_monitor(city, ev_w00):
    outputs = [json.dumps(ev_w00.to_dict(), ensure_ascii=False)]
    outputs += [ev_w00.to_frame(part).to_csv() for part in (
        "priorities", "themes", "effects", "herijk", "trends", "enforcement", "enforcement_change", "quality", "focus",
        "veiligheidsindex", "survey", "signals", "rising", "quotes", "network", "partners", "comparison")]
    blob = "\n".join(outputs)
    for kind, items in PII.items():
        for item in items:
            assert item not in blob, (kind, item)
    for needle in ("Jansen", "12345678", "example.nl", "3072 AB", "Janstraat"):
        assert needle not in blob, needle
    quotes = ev_w00.to_frame("quotes")
    assert len(quotes) >= 1 and quotes["tekst"].str.contains(REDACTED, regex=False).all()
    assert "minder afval" in quotes["tekst"].iloc[0]  # the publishable part survives


def test_city_evaluation_collects_failures(city):
    ctx = city[0]
    c = monitor.evaluate_city(2024, context=ctx, wards=["w00", "w12", "nope"])
    assert set(c.wards) == {"w00", "w12"} and "nope" in c.failures
    assert c.headline()["n_wards"] == 2
    assert set(c.to_frame()["wijkraad_id"]) == {"w00", "w12"}
    # Randomisation inference needs no city-wide Poisson fit (it stays available: design.did_inference).
    assert ("did", "afval", 2024) not in ctx._cache


def test_priority_resolution_and_theme_rule():
    r = priorities.resolve_indicator("doorlooptijd", "meldingen", panel_outcomes=["afval"], wijkprofiel_indicators=[])
    assert (r.kind, r.key) == ("handhaving", "doorlooptijd_mediaan")
    r = priorities.resolve_indicator("overtredingen afval", "handhaving", panel_outcomes=[], wijkprofiel_indicators=[])
    assert (r.kind, r.key, r.thema) == ("handhaving", "overtredingen", "afval")
    r = priorities.resolve_indicator("iets onbekends", "elders", panel_outcomes=["afval"], wijkprofiel_indicators=[])
    assert r.kind == "onbekend" and "iets onbekends" in r.note
    assert priorities.combine_verdicts([ONVOLDOENDE, ONVOLDOENDE]) == ONVOLDOENDE
    assert priorities.combine_verdicts([ONVOLDOENDE, GEEN_VERANDERING]) == GEEN_VERANDERING
    bad = pd.DataFrame({"jaar": [2024], "wijkraad_id": ["a"], "thema": ["t"], "indicator": ["i"], "bron": ["b"],
                        "richting": ["naar beneden"]})
    with pytest.raises(ValueError, match="richting"):
        priorities.priorities_of(bad, "a", 2024)


def test_index_margin_only_with_a_known_respondent_spread():
    wp = pd.DataFrame({"editie": [2022, 2024] * 2, "wijk_code": ["A", "A", "B", "B"], "index": "veiligheid",
                       "thema": "veiligheidsbeleving", "deel": "subjectief", "indicator": "veiligheidsbeleving subjectief",
                       "waarde": [100.0, 106.0, 90.0, 91.0], "n_respondenten": pd.array([400, 400, 300, 300], dtype="Int64")})
    unknown, notes = level2.survey_table(wp, ["A"], 2024)
    assert unknown["marge"].isna().all() and any("onbekend" in n for n in notes)
    known, _ = level2.survey_table(wp, ["A"], 2024, index_sd=30.0)
    r = known.loc[known["editie"] == 2024].iloc[0]
    assert r["marge"] == pytest.approx(1.959964 * 30 / 20, rel=1e-5)
    assert r["marge_verschil"] == pytest.approx(math.sqrt(2) * 1.959964 * 30 / 20, rel=1e-5)
    m, insufficient, _ = monitor.evaluation._survey_measure(known, "veiligheidsbeleving subjectief", 0.05)
    assert not insufficient and judge(m, "omhoog")[0] == VERBETERD  # +6 points, margin +-4.2 (a development)


def test_quality_flags_and_level2_helpers():
    p = _panel()
    p.loc[(p["unit"] == "w00") & (p["period"] == "2024-05-01"), "missing_meldingen"] = True
    q = level1.quality_flags(p, "w00", 2024, ["afval"], start=COHORT)
    assert "ontbrekende_maanden" in set(q["code"]) and "meldgedrag" in set(q["code"])
    assert level2.survey_margin(50.0, None, "% veilig") != level2.survey_margin(50.0, None, "% veilig")  # NaN
    assert level2.is_percentage("aandeel bewoners dat zich veilig voelt")


def test_enforcement_table_starts_at_the_baseline_of_the_reported_change():
    """The yearly series in the report must start where the reported change starts (its baseline year),
    also when that lies before the default window of the last five years."""
    from wijklib.monitor.level1 import ENFORCEMENT_YEARS, enforcement_change, enforcement_table

    years = range(2015, 2026)
    hh = pd.DataFrame({
        "datum": pd.to_datetime([f"{y}-06-01" for y in years for _ in range(20)]),
        "wijkraad_id": "w", "thema": "afval", "actie": "controle",
        "overtreding": [i < 5 + (y - 2015) % 3 for y in years for i in range(20)],
    })
    default = enforcement_table(hh, None, "w", 2025)
    assert sorted(default["jaar"].unique()) == list(range(2025 - ENFORCEMENT_YEARS + 1, 2026))
    t = enforcement_table(hh, None, "w", 2025, since=2018)
    assert sorted(t["jaar"].unique()) == list(range(2018, 2026))
    change = enforcement_change(hh, None, "w", 2025, 2018)[("naleving", "")]
    nal = t[t["indicator"] == "naleving"].set_index("jaar")["schatting"]
    assert change.estimate == pytest.approx(nal[2025] - nal[2018])
    assert change.baseline == pytest.approx(nal[2018])
