"""The national demo (issue 15): geography in the wl.geo conventions, known roll-out, the monitor on it.

Small scale only (seconds); the scale-1 run (3,326 wijken) is benchmarks/bench_national.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from wijklib import demo

pytest.importorskip("geopandas")


@pytest.fixture(scope="module")
def nd():
    return demo.simulate_national(scale=0.02, seed=7)


def test_structure_and_truth(nd):
    h = nd.hierarchy
    assert h["buurt_code"].is_unique and h["buurt_code"].str.fullmatch(r"BU\d{8}").all()
    assert (h["wijk_code"].str[2:] == h["buurt_code"].str[2:8]).all()
    assert (h["gemeente_code"].str[2:] == h["wijk_code"].str[2:6]).all()
    assert nd.truth["n_wijken"] == nd.panel["unit"].nunique() == h["wijk_code"].nunique()
    starts = nd.panel.groupby("unit")["first_treated"].first()
    treated = starts.dropna().dt.strftime("%Y-%m").to_dict()
    assert treated == nd.truth["start_month"]
    # every adopting gemeente keeps a comparison wijk; non-adopting ones have no treated wijk
    gm = nd.panel.groupby("unit")["gemeente_code"].first()
    for g in nd.gemeenten:
        s = starts[gm == g]
        assert s.isna().any()
        assert (g in nd.truth["adopting_gemeenten"]) == s.notna().any()
    with pytest.raises(ValueError, match="not in the national demo"):
        nd.gemeente("GM9999")
    with pytest.raises(ValueError, match="scale must be a positive"):
        demo.simulate_national(scale=0)


def test_counts_carry_the_true_effect():
    """Pooled before/after DiD of the rate on the counts recovers the true rate ratios (0.80 / 1.00)."""
    nd = demo.simulate_national(scale=0.1, seed=3)
    p = nd.panel
    start = p.groupby("unit")["first_treated"].transform("first")
    for o in ("overlast", "zwerfvuil"):
        tr = p.loc[start.notna()]
        post = tr["period"] >= tr["first_treated"]
        # each treated wijk against its own gemeente's never-treated wijken in the same months
        ctrl = p.loc[start.isna()].groupby(["gemeente_code", "period"])[[f"n_{o}", "population"]].sum()
        c = ctrl.reindex(list(zip(tr["gemeente_code"], tr["period"], strict=True))).to_numpy()
        rate_c = c[:, 0] / c[:, 1]
        expected = tr["population"].to_numpy() * rate_c  # the wijk's count at its gemeente's comparison rate
        obs = tr[f"n_{o}"].to_numpy()
        m = post.to_numpy()
        rr = (obs[m].sum() / expected[m].sum()) / (obs[~m].sum() / expected[~m].sum())
        assert rr == pytest.approx(nd.truth["true_rate_ratio"][o], abs=0.04)


def test_written_geography_loads_per_gemeente_and_monitor_runs(nd, tmp_path):
    from wijklib import geo

    demo.write_national(nd, tmp_path)
    back = demo.read_national(tmp_path)
    assert back.panel.shape == nd.panel.shape
    np.testing.assert_array_equal(back.panel["n_overlast"].to_numpy(), nd.panel["n_overlast"].to_numpy())
    g0 = nd.truth["adopting_gemeenten"][0]
    g = geo.load(tmp_path / "geografie" / g0)
    assert g.gemeente_code == g0
    assert sorted(g.units("wijk")["wijk_code"]) == sorted(nd.hierarchy.loc[nd.hierarchy["gemeente_code"] == g0,
                                                                            "wijk_code"].unique())
    small = min(nd.truth["adopting_gemeenten"], key=lambda c: nd.gemeente(c)[0]["unit"].nunique())
    res = demo.evaluate_national(back, 2025, gemeenten=[small], outcomes=["overlast"])
    city = res[small]
    assert city.failures == {}
    assert len(city.wards) == nd.gemeente(small)[0]["unit"].nunique()
    assert city.headline()["n_wards"] == len(city.wards)
