"""The monitor's effect designs on sparse ward panels: non-identified effects say why, no warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wijklib.monitor import design
from wijklib.monitor.settings import load_config

# These tests are about the city-wide Poisson DiD and the controlled ITS (design.did_inference: poisson,
# single_ward: its_controlled); the default randomisation designs sum counts over the whole window and
# have no monthly zero cells to leave out.
LEGACY = load_config({"design": {"did_inference": "poisson", "single_ward": "its_controlled", "min_treated_did": 10}})

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

MONTHS = pd.date_range("2019-01-01", "2025-12-01", freq="MS")


def ward_panel(starts: dict[str, pd.Timestamp | None], rate: float = 1.5, seed: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for w, st in starts.items():
        level = rate * np.exp(0.3 * rng.normal())
        for p in MONTHS:
            eff = 0.8 if st is not None and p >= st else 1.0
            rows.append((w, p, float(rng.poisson(level * eff)), 5000.0))
    return pd.DataFrame(rows, columns=["unit", "period", "n_x", "population"])


def starts_series(starts: dict[str, pd.Timestamp | None]) -> pd.Series:
    return pd.Series({w: (pd.NaT if s is None else s) for w, s in starts.items()})


def test_did_leaves_out_months_without_comparison_counts_and_says_so():
    start = pd.Timestamp("2022-01-01")
    starts = {f"t{i}": start for i in range(12)} | {f"c{i}": None for i in range(12)}
    panel = ward_panel(starts)
    zero = panel["unit"].str.startswith("c") & panel["period"].isin(pd.date_range("2023-03-01", periods=3, freq="MS"))
    panel.loc[zero, "n_x"] = 0.0
    eff = design.estimate_outcome(panel, "t0", "x", 2025, starts_series(starts), config=LEGACY)
    assert eff.design == "did"
    assert np.isfinite(eff.measure.conf_low) and np.isfinite(eff.measure.conf_high)
    assert any("3 maanden na de start niet meegenomen" in n for n in eff.notes)


def test_single_ward_without_counts_after_start_has_no_estimate_and_a_reason():
    starts = {"alone": pd.Timestamp("2023-01-01")} | {f"c{i}": None for i in range(8)}
    panel = ward_panel(starts, rate=0.2)
    panel.loc[(panel["unit"] == "alone") & (panel["period"] >= "2023-01-01"), "n_x"] = 0.0
    panel.loc[(panel["unit"] == "alone") & (panel["period"] == "2020-05-01"), "n_x"] = 2.0
    eff = design.estimate_outcome(panel, "alone", "x", 2025, starts_series(starts), config=LEGACY)
    assert eff.design == "geen" and eff.measure is None
    # before the fix the reason was "math range error" (an overflow in exp of a coefficient of -700)
    assert any("zero in every period from the start on" in n for n in eff.notes)


def test_sparse_cohort_does_not_use_monthly_did():
    # 12 wards start together but have ~0.1 reports a month: most (cohort, month) cells are zero and
    # the monthly Poisson DiD would leave them out (upward bias); a single-series design is used
    start = pd.Timestamp("2022-01-01")
    starts = {f"t{i}": start for i in range(12)} | {f"c{i}": None for i in range(12)}
    panel = ward_panel(starts, rate=0.01)
    panel.loc[panel["unit"].str.startswith("c"), "n_x"] = np.random.default_rng(1).poisson(
        3.0, int(panel["unit"].str.startswith("c").sum())).astype(float)
    share = design._cohort_zero_month_share(panel, [f"t{i}" for i in range(12)], "x", start)
    assert share > load_config().design["max_zero_month_share_did"]
    eff = design.estimate_outcome(panel, "t0", "x", 2025, starts_series(starts), config=LEGACY)
    assert eff.design != "did"
    assert any("difference-in-differences niet gebruikt" in n for n in eff.notes)
    # the threshold is design.max_zero_month_share_did of the monitor configuration, not a constant
    lax = load_config({**LEGACY.to_dict(), "design": {**LEGACY.design, "max_zero_month_share_did": 1.0}})
    eff = design.estimate_outcome(panel, "t0", "x", 2025, starts_series(starts), config=lax)
    assert not any("difference-in-differences niet gebruikt" in n for n in eff.notes)


def test_cohort_zero_month_share_counts_months_not_wards():
    start = pd.Timestamp("2025-01-01")
    starts = {"a": start, "b": start, "c": None}
    panel = ward_panel(starts, rate=3.0)
    post = panel["period"] >= start
    panel.loc[post & (panel["unit"] == "a") & (panel["period"].dt.month <= 6), "n_x"] = 0.0
    panel.loc[post & (panel["unit"] == "b") & (panel["period"].dt.month <= 3), "n_x"] = 0.0
    panel.loc[post & (panel["unit"] == "b") & (panel["period"].dt.month == 12), "n_x"] = np.nan
    panel.loc[post & (panel["unit"] == "a") & (panel["period"].dt.month == 12), "n_x"] = 2.0
    # months 1-3: both zero; 4-6: a zero, b not; December: a only (b missing)
    assert design._cohort_zero_month_share(panel, ["a", "b"], "x", start) == pytest.approx(3 / 12)
