"""de Chaisemartin & D'Haultfoeuille (did_multiplegt_dyn) against the package's published output.

Source of every number below: the README of the package's Python port, repository
anzonyquispe/py_did_multiplegt_dyn (commit 6d98ceb, 2025-11-24), section "Example", which runs the
example of the R/Stata help (``did_multiplegt_dyn(favara_imbs, "Dl_vloans_b", "county", "year",
"inter_bra", effects = 8, placebo = 3, cluster = "state_n", normalized = TRUE,
same_switchers = TRUE, effects_equal = TRUE)``) and prints the table copied here (columns
Estimate, SE, N, Switchers; the port's own README says it ports the Stata command). The data are
the port's ``data/favara_imbs_did_multiplegt_dyn.csv`` (Favara & Imbs 2015, AER; the same data as
``favara_imbs.RData`` of the R package DIDmultiplegtDYN), committed as data/favara_imbs.csv.
Tolerance: half a unit of the last printed digit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import wijklib as wl

DATA = Path(__file__).parent / "data"

# term: (Estimate, SE, N, Switchers) as printed (6 significant digits)
PUBLISHED = {
    "Effect_1": (0.0240393, 0.0184241, 3368, 773),
    "Effect_2": (0.0116702, 0.0106714, 2604, 773),
    "Effect_3": (0.0143443, 0.00828821, 2031, 773),
    "Effect_4": (0.0115211, 0.00819515, 1541, 773),
    "Effect_5": (0.0161627, 0.00684205, 1412, 773),
    "Effect_6": (0.0133861, 0.00625129, 1293, 773),
    "Effect_7": (0.00981002, 0.00495722, 1248, 773),
    "Effect_8": (0.0100838, 0.00430933, 1248, 773),
    "Av_tot_effect": (0.055063, 0.0268082, 9861, 6184),  # printed as Average_Total_Effect
    "Placebo_1": (0.0303785, 0.0264052, 2335, 764),
    "Placebo_2": (-0.0217763, 0.0253522, 957, 497),
    "Placebo_3": (-0.0137113, 0.0263437, 511, 358),
}
# printed lower/upper CI bounds of two rows (95% normal intervals)
PUBLISHED_CI = {"Effect_1": (-0.0120712, 0.0601498), "Placebo_3": (-0.065344, 0.0379214)}


def _half_ulp(x: float) -> float:
    """Half a unit in the 6th significant digit of a printed number."""
    if x == 0:
        return 5e-7
    return 0.5 * 10 ** (np.floor(np.log10(abs(x))) - 5)


@pytest.fixture(scope="module")
def favara():
    return pd.read_csv(DATA / "favara_imbs.csv")


@pytest.fixture(scope="module")
def published_fit(favara):
    return wl.did.dcdh(favara, outcome="Dl_vloans_b", group="county", time="year", treatment="inter_bra",
                       effects=8, placebo=3, cluster="state_n", normalized=True, same_switchers=True)


def test_favara_published_table(published_fit):
    t = published_fit.tidy().set_index("term")
    assert list(t.index) == list(PUBLISHED)
    for term, (est, se, n, nsw) in PUBLISHED.items():
        r = t.loc[term]
        assert abs(r["estimate"] - est) <= _half_ulp(est), (term, r["estimate"], est)
        assert abs(r["std_error"] - se) <= _half_ulp(se), (term, r["std_error"], se)
        assert r["n"] == n and r["switchers"] == nsw, (term, r["n"], r["switchers"])
    for term, (lo, hi) in PUBLISHED_CI.items():
        assert abs(t.loc[term, "conf_low"] - lo) <= _half_ulp(lo)
        assert abs(t.loc[term, "conf_high"] - hi) <= _half_ulp(hi)


def test_favara_result_protocol(published_fit):
    import matplotlib

    matplotlib.use("Agg")
    t = published_fit.tidy()
    assert {"term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"} <= set(t.columns)
    ci = published_fit.conf_int()
    assert np.allclose(ci["conf_low"].to_numpy(), t["conf_low"].to_numpy())
    text = published_fit.summary(as_string=True)
    assert "Effect_8" in text and "Placebo_3" in text
    ax = published_fit.plot()
    assert ax.figure is not None
    assert published_fit.method["cluster"] == "state_n"
    # the tidy table is a copy: editing it does not change the result
    t.loc[0, "estimate"] = 99.0
    assert published_fit.tidy().loc[0, "estimate"] != 99.0


def test_does_not_mutate_input(favara):
    before = favara.copy()
    wl.did.dcdh(favara, outcome="Dl_vloans_b", group="county", time="year", treatment="inter_bra",
                effects=2, placebo=1)
    pd.testing.assert_frame_equal(favara, before)
