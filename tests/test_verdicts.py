"""Verdicts that hold when nothing happened (issue 10): randomisation inference, Holm, vocabulary, harness."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from wijklib.monitor import placebo as pl
from wijklib.monitor.randomization import randomization_did
from wijklib.monitor.verdict import (
    DEVELOPMENT_VERDICTS,
    GEEN_VERANDERING,
    ONGUNSTIG,
    OP_KOERS,
    VERBETERD,
    ZOALS_STAD,
    Measure,
    holm,
    judge,
    measure_p_value,
)

PER = pd.date_range("2020-01-01", periods=36, freq="MS")


def _panel(n: int = 30, effect: float = 1.0, k: int = 3, seed: int = 0, sd: np.ndarray | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        lvl = 40 * np.exp(rng.normal(0, 0.5))
        s = 0.1 if sd is None else sd[i]
        shock = rng.normal(0, s)  # ward-level shock after the start: the noise a permutation must judge
        for j, p in enumerate(PER):
            post = j >= 24
            mu = lvl * (effect if (i < k and post) else 1.0) * (math.exp(shock) if post else 1.0)
            rows.append((f"w{i:02d}", p, rng.poisson(mu)))
    return pd.DataFrame(rows, columns=["unit", "period", "n_x"]).assign(population=1000.0)


def test_randomization_interval_and_p_value_agree_and_detect_a_strong_effect():
    wards = [f"w{i:02d}" for i in range(30)]
    r = randomization_did(_panel(effect=0.6), wards[:3], wards[3:], "x", PER[24], PER[-1])
    assert r.reference == "exact" and r.n_assignments == math.comb(30, 3) or r.n_assignments == 2000
    assert r.conf_high < 0.85 and r.p_value < 0.05 and r.conf_low < r.estimate < r.conf_high
    null = randomization_did(_panel(effect=1.0, seed=4), wards[:3], wards[3:], "x", PER[24], PER[-1])
    # The interval excludes "no change" exactly when the p-value is below alpha (test inversion).
    assert (null.conf_low > 1 or null.conf_high < 1) == (null.p_value < 0.05)
    # One ward against 29: fewer than 200 assignments -> placebo scale with a t reference, min p stated.
    one = randomization_did(_panel(effect=0.5, k=1), wards[:1], wards[1:], "x", PER[24], PER[-1])
    assert one.reference == "t" and one.min_p == pytest.approx(2 / 30) and one.conf_high < 1


def test_randomization_rejects_bad_input_with_a_reason():
    wards = [f"w{i:02d}" for i in range(5)]
    with pytest.raises(ValueError, match="at least one of each"):
        randomization_did(_panel(n=5), wards, [], "x", PER[24], PER[-1])
    with pytest.raises(ValueError, match="months before"):
        randomization_did(_panel(n=5), wards[:1], wards[1:], "x", PER[0], PER[-1])


def test_holm_and_p_values_from_intervals():
    assert holm([0.01, 0.04]) == [0.02, 0.04]
    m = Measure(0.8, 0.7, 0.9142857, scale="ratio")
    assert 0.0 < measure_p_value(m) < 0.01
    assert measure_p_value(Measure(0.8, 0.6, 1.0, p_value=0.3)) == 0.3


def test_vocabulary_depends_on_what_was_measured():
    assert judge(Measure(0.8, 0.7, 0.9), "omlaag")[0] == OP_KOERS
    assert judge(Measure(0.8, 0.7, 0.9, kind="ontwikkeling"), "omlaag")[0] == VERBETERD
    dev = Measure(0.8, 0.7, 1.1, kind="ontwikkeling", reference="stad")
    assert judge(dev, "omlaag")[0] == ZOALS_STAD
    assert judge(Measure(1.2, 1.1, 1.3, kind="ontwikkeling", reference="stad"), "omlaag")[0] in DEVELOPMENT_VERDICTS


def test_harness_smoke_untreated_wards_never_get_effect_words():
    warnings.simplefilter("ignore")
    pnl = pl.simulate_city(n_wards=14, months=60, seed=2)
    ro = pl.RollOut(cohorts=(3, 1), starts=("2020-01", "2020-07"))
    rows = pl.run(pnl, ro, year=2021, outcomes=["a", "b", "c", "d"], n_draws=1, seed=3)
    untreated = rows.loc[rows["groep"] == "onbehandeld"]
    assert len(untreated) == 10 * 4 and not untreated["oordeel"].isin([OP_KOERS, ONGUNSTIG]).any()
    assert untreated["zin"].str.contains("geen effect van wijkgericht handhaven").all()
    treated = rows.loc[rows["groep"] == "behandeld"]
    assert set(treated["ontwerp"]) <= {"did", "placebo"} and len(treated) == 4 * 4
    summ = pl.summarise(rows)
    share = summ.loc[(summ["groep"] == "behandeld") & (summ["maat"] == "oordeel: geen aantoonbare verandering")]
    assert 0 <= share["aandeel"].iloc[0] <= 1 and share["n"].iloc[0] == 16


def test_rollout_and_plant_are_checked():
    with pytest.raises(ValueError, match="start months"):
        pl.RollOut(cohorts=(4, 4), starts=("2020-01",))
    pnl = pl.simulate_city(n_wards=6, months=24, seed=1)
    with pytest.raises(ValueError, match="only 6"):
        pl.assign(pnl, pl.RollOut((6,), ("2018-01",)), np.random.default_rng(0))
    p2, st = pl.assign(pnl, pl.RollOut((2,), ("2018-01",), selection="noise", select_on="a"),
                       np.random.default_rng(0))
    thinned = pl.plant(p2, st, 0.5, ["a"], np.random.default_rng(1))
    hit = thinned["unit"].isin(list(st)) & (thinned["period"] >= "2018-01-01")
    assert thinned.loc[hit, "n_a"].sum() < 0.7 * p2.loc[hit, "n_a"].sum()
    assert thinned.loc[~hit, "n_a"].equals(p2.loc[~hit, "n_a"])
    with pytest.raises(ValueError, match="ratio"):
        pl.plant(p2, st, 1.5, ["a"], np.random.default_rng(1))


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="known defect (issue 10): measured 63/200 = 31.5% rejection for a 5% test when "
                   "the 4 treated wards carry a post-start shock sd 0.35 against 0.05: the count-model studentisation "
                   "does not see that noise; an HC1 spread studentisation measured 21.5%, still invalid with k = 4")
def test_randomization_size_under_selection_on_noise():
    """The noisiest wards treated: the studentised test keeps its size (a 5% two-sided test)."""
    rng = np.random.default_rng(11)
    rej, n = 0, 200
    wards = [f"w{i:02d}" for i in range(30)]
    for d in range(n):
        sd = np.where(np.arange(30) < 4, 0.35, 0.05)  # the 4 treated wards are the noisy ones
        pnl = _panel(n=30, effect=1.0, k=4, seed=int(rng.integers(1e9)), sd=sd)
        r = randomization_did(pnl, wards[:4], wards[4:], "x", PER[24], PER[-1], seed=d)
        rej += r.p_value < 0.05
    assert rej / n <= 0.09, rej / n


@pytest.mark.slow
def test_monitor_null_rates_on_the_real_police_panel(reference_dir):
    """Small grid of the benchmark (benchmarks/bench_verdicts.py runs the full one)."""
    if not (reference_dir / "thehague_crime").is_dir():
        pytest.skip("thehague_crime reference data absent")
    warnings.simplefilter("ignore")
    pnl = pl.hague_panel(reference_dir / "thehague_crime")
    ro = pl.RollOut((4, 4, 4), ("2014-01", "2014-07", "2015-01"))
    rows = pl.run(pnl, ro, year=2016, outcomes=list(pl.HAGUE_PRIORITIES), n_draws=8, seed=5)
    t = rows.loc[rows["groep"] == "behandeld"]
    assert (t["oordeel"] == OP_KOERS).mean() <= 0.05 and (t["oordeel"] == ONGUNSTIG).mean() <= 0.05
    u = rows.loc[rows["groep"] == "onbehandeld"]
    assert not u["oordeel"].isin([OP_KOERS, ONGUNSTIG]).any()
    assert GEEN_VERANDERING in set(t["oordeel"])
