"""The monitor uses de Chaisemartin-D'Haultfoeuille where a ward's treatment switched off or changed intensity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wijklib.monitor import design


def city(switch_off: bool = True, level: bool = False, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    per = pd.date_range("2021-01-01", periods=36, freq="MS")
    rows = []
    for w in range(16):
        start = per[12 + (w % 4) * 3] if w < 8 else None
        for i, p in enumerate(per):
            on = start is not None and p >= start
            if switch_off and w < 4 and i >= 30:
                on = False
            lvl = (2.0 if (level and w < 4 and i >= 28) else 1.0) if on else 0.0
            mu = 20 * np.exp(0.01 * i) * (0.7 if on else 1.0)
            rows.append({"unit": f"w{w:02d}", "period": p, "n_afval": float(rng.poisson(mu)),
                         "population": 1000.0, "treated": int(on), "treatment_level": lvl,
                         "first_treated": start})
    df = pd.DataFrame(rows)
    df["first_treated"] = pd.to_datetime(df["first_treated"])
    return df


def test_switch_off_is_detected_and_used():
    p = city().drop(columns="treatment_level")
    assert design.treatment_path_change(p, "w00") == "de inzet in deze wijk stopte in jul. 2023"
    assert design.treatment_path_change(p, "w05") is None
    starts = design.treatment_starts(p)
    eff = design.estimate_outcome(p, "w00", "afval", 2023, starts)
    assert eff.design == "dcdh"
    assert "stopte in jul. 2023" in eff.why and "de Chaisemartin-D'Haultfoeuille" in eff.why
    assert eff.design_label == design.PLAIN_LABELS["dcdh"] and eff.technical_label == design.DESIGN_LABELS["dcdh"]
    # the effect is a fall in the rate per 1,000 (true: -30% of about 20-28 per 1,000)
    assert eff.measure.scale == "difference" and eff.measure.estimate < 0
    assert eff.measure.conf_low < eff.measure.estimate < eff.measure.conf_high
    # a ward whose treatment stays on keeps the existing designs
    assert design.estimate_outcome(p, "w05", "afval", 2023, starts).design != "dcdh"


def test_intensity_change_is_detected():
    p = city(switch_off=False, level=True)
    assert design.treatment_path_change(p, "w01") == "de intensiteit van de inzet in deze wijk veranderde in mei 2023"
    eff = design.estimate_outcome(p, "w01", "afval", 2023, design.treatment_starts(p))
    assert eff.design == "dcdh" and "intensiteit" in eff.why


def test_failure_falls_through_with_a_note():
    p = city().drop(columns="treatment_level")
    # too few wards whose treatment never changed: the next design is used and the note says why
    p = p[p["unit"].isin([f"w{w:02d}" for w in range(10)])]
    eff = design.estimate_outcome(p, "w00", "afval", 2023, design.treatment_starts(p))
    assert eff.design != "dcdh"
    assert any("de Chaisemartin-D'Haultfoeuille niet gelukt" in n for n in eff.notes)
