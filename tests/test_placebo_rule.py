"""The placebo half of the pre-trend rule: a ward that deviated before the start more than (nearly) every
comparison ward given the same start gets "onzeker" instead of "op koers"/"ongunstige ontwikkeling".

The check is the one the ward report prints under its event-study chart
(:func:`wijklib.monitor.view.placebo_pretrend_check`), so the verdict and the report read one number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wijklib import monitor
from wijklib.monitor.evaluation import _placebo_downgrade
from wijklib.monitor.settings import load_config
from wijklib.monitor.verdict import GEEN_VERANDERING, ONGUNSTIG, ONZEKER, OP_KOERS, Measure
from wijklib.monitor.view import placebo_pretrend_check

PERIODS = pd.date_range("2019-01-01", periods=60, freq="MS")
START = PERIODS[36]
N_WARDS = 15  # one treated ward, 14 comparison wards (as in the demo): the smallest placebo p is 1/15


def _panel(seed: int, pre_slope: float) -> pd.DataFrame:
    """15 wards x 60 months of counts; ward w00 starts at month 36 and its rate climbs by ``pre_slope``
    (per 1,000 residents per month) over the 12 months before the start, then stays there."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(N_WARDS):
        ward = f"w{i:02d}"
        level = rng.uniform(4, 6)  # per 1,000 residents per month
        for t, p in enumerate(PERIODS):
            rate = level
            if ward == "w00" and t >= 24:
                rate += pre_slope * min(t - 24, 12)
            rows.append((ward, p, rng.poisson(rate * 10.0), 10_000.0,
                         START if ward == "w00" else pd.NaT))
    return pd.DataFrame(rows, columns=["unit", "period", "n_x", "population", "first_treated"])


class _Ctx:
    """The two things the rule asks of a monitor Context: a memo and the panel up to a year."""

    def __init__(self, panel: pd.DataFrame):
        self.panel, self._cache = panel, {}

    def _memo(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def panel_upto(self, year: int) -> pd.DataFrame:
        return self.panel.loc[self.panel["period"] <= f"{year}-12-31"]


class R:  # a priority row: only the attributes the rule reads
    thema, indicator, richting = "Schoon", "meldingen x", "omlaag"


class Res:
    kind, key = "panel", "x"


def test_a_ward_drifting_away_before_the_start_fails_its_placebo_check():
    p, n_placebos, months = placebo_pretrend_check(_panel(1, pre_slope=1.0), "w00", "x", 2023)
    assert n_placebos == N_WARDS - 1 and months == 11
    assert p == pytest.approx(1 / N_WARDS)  # more extreme than every placebo ward


def test_parallel_wards_fail_the_placebo_check_at_about_its_nominal_rate():
    """Without a pre-trend the ward is the most extreme of 15 in about 1 in 15 panels (p = 1/15 < 0,10)."""
    ps = [placebo_pretrend_check(_panel(seed, 0.0), "w00", "x", 2023)[0] for seed in range(30)]
    fired = np.mean([p < 0.10 for p in ps])
    assert fired <= 0.25, fired  # 1/15 expected; 30 panels: 0.25 is above its 99% binomial bound (5/30)
    assert min(ps) >= 1 / N_WARDS - 1e-9 and max(ps) > 0.3  # a rank p-value, spread over its range


def test_no_check_for_a_ward_that_has_not_started_or_an_unknown_outcome():
    panel = _panel(1, pre_slope=1.0)
    assert placebo_pretrend_check(panel, "w03", "x", 2023) is None  # never treated
    assert placebo_pretrend_check(panel, "w00", "x", 2021) is None  # starts after the evaluation year
    assert placebo_pretrend_check(panel, "w00", "y", 2023) is None  # no such outcome


def test_downgrade_turns_an_effect_on_either_side_into_onzeker_with_its_reason():
    ctx, cfg = _Ctx(_panel(1, pre_slope=1.0)), load_config()
    m = Measure(0.8, 0.7, 0.9, kind="effect")
    for verdict in (OP_KOERS, ONGUNSTIG):
        item = (R, Res, m, "did", "waarom", verdict, "het hele interval ligt aan één kant")
        out = _placebo_downgrade(item, ctx, "w00", 2023, cfg)
        assert out[5] == ONZEKER, out
        assert "alle 14 vergelijkingswijken" in out[6] and "11 maanden" in out[6] and "al uiteen" in out[6]
        assert "p = 0,067" in out[6] and "drempel 0,10" in out[6]
        assert out[:5] == item[:5]


def test_downgrade_leaves_other_verdicts_developments_and_a_switched_off_rule_alone():
    ctx, cfg = _Ctx(_panel(1, pre_slope=1.0)), load_config()
    m = Measure(0.8, 0.7, 0.9, kind="effect")
    same = (R, Res, m, "did", "waarom", GEEN_VERANDERING, "het interval omvat geen verandering")
    assert _placebo_downgrade(same, ctx, "w00", 2023, cfg) == same
    development = (R, Res, Measure(0.8, 0.7, 0.9, kind="ontwikkeling"), "ontwikkeling", "w", OP_KOERS, "r")
    assert _placebo_downgrade(development, ctx, "w00", 2023, cfg) == development
    item = (R, Res, m, "did", "waarom", OP_KOERS, "r")
    assert _placebo_downgrade(item, ctx, "w00", 2023, load_config({"verdict": {"pretrend_alpha": 0.0}})) == item
    # A parallel ward keeps its verdict.
    calm = _Ctx(_panel(2, pre_slope=0.0))
    p = placebo_pretrend_check(calm.panel, "w00", "x", 2023)[0]
    assert (_placebo_downgrade(item, calm, "w00", 2023, cfg)[5] == OP_KOERS) == (p >= 0.10)


def test_the_rule_is_printed_in_the_method_text():
    text = monitor.rules_text()
    line = next(x for x in text.splitlines() if x.startswith("- onzeker:"))
    assert "placebotoets" in line and "0,10" in line and "twaalf maanden" in line
    off = monitor.rules_text(load_config({"verdict": {"pretrend_alpha": 0.0}}))
    assert "controles vóór de start staan uit" in off
