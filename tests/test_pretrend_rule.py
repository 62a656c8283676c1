"""The pre-trend rule: an effect verdict whose design fails its own check before the start is "onzeker"."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wijklib import monitor
from wijklib.monitor import design as dsg
from wijklib.monitor.evaluation import _pretrend_downgrade
from wijklib.monitor.settings import load_config
from wijklib.monitor.verdict import GEEN_VERANDERING, ONZEKER, OP_KOERS, Measure

PERIODS = pd.date_range("2019-01-01", periods=60, freq="MS")
START = PERIODS[36]
COHORT = ["w00", "w01", "w02", "w03"]


def _panel(seed: int, pre_drift: float) -> tuple[pd.DataFrame, pd.Series]:
    """20 wards x 60 months; the cohort's counts drift by ``pre_drift`` (relative) over the pre-period."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(20):
        ward = f"w{i:02d}"
        level = rng.uniform(30, 60)
        for t, p in enumerate(PERIODS):
            mu = level
            if ward in COHORT and p < START:
                mu *= 1 + pre_drift * t / 36
            elif ward in COHORT:
                mu *= 1 + pre_drift
            rows.append((ward, p, rng.poisson(mu), 10_000.0))
    panel = pd.DataFrame(rows, columns=["unit", "period", "n_x", "population"])
    starts = pd.Series({f"w{i:02d}": (START if f"w{i:02d}" in COHORT else pd.NaT) for i in range(20)})
    return panel, starts


def test_diverging_pre_trends_are_caught():
    panel, starts = _panel(1, pre_drift=0.6)
    p, when = dsg.pretrend_check(panel, "w00", "x", 2023, starts, "did")
    assert p < 0.05 and "vóór de start" in when


def test_parallel_pre_trends_fire_at_about_the_nominal_rate():
    fired = [dsg.pretrend_check(*_panel(seed, 0.0)[:1], "w00", "x", 2023, _panel(seed, 0.0)[1], "did")[0] < 0.10
             for seed in range(40)]
    assert 0.0 <= np.mean(fired) <= 0.25, np.mean(fired)


def test_only_designs_with_a_comparison_are_checked():
    panel, starts = _panel(1, pre_drift=0.6)
    assert dsg.pretrend_check(panel, "w00", "x", 2023, starts, "its") is None
    assert dsg.pretrend_check(panel, "w10", "x", 2023, starts, "did") is None  # never treated


def test_downgrade_turns_an_effect_on_either_side_into_onzeker_and_leaves_the_rest():
    panel, starts = _panel(1, pre_drift=0.6)
    cfg = load_config()

    class R:  # a priority row: only the attributes the rule reads
        thema, indicator, richting = "Schoon", "meldingen x", "omlaag"

    class Res:
        key = "x"

    m = Measure(0.8, 0.7, 0.9, kind="effect")
    item = (R, Res, m, "did", "waarom", OP_KOERS, "het hele interval ligt aan de gewenste kant")
    out = _pretrend_downgrade(item, panel, "w00", 2023, starts, cfg, 0.05)
    assert out[5] == ONZEKER and "al uiteen" in out[6]
    same = (R, Res, m, "did", "waarom", GEEN_VERANDERING, "het interval omvat geen verandering")
    assert _pretrend_downgrade(same, panel, "w00", 2023, starts, cfg, 0.05) == same
    off = load_config({"verdict": {"pretrend_alpha": 0.0}})
    assert _pretrend_downgrade(item, panel, "w00", 2023, starts, off, 0.05) == item
    development = (R, Res, Measure(0.8, 0.7, 0.9, kind="ontwikkeling"), "ontwikkeling", "w", OP_KOERS, "r")
    assert _pretrend_downgrade(development, panel, "w00", 2023, starts, cfg, 0.05) == development


def test_the_rule_is_printed_in_the_method_text():
    text = monitor.rules_text()
    assert "- onzeker:" in text and "0,10" in text
