"""wijklib.did.att_gt against the published R ``did`` results on ``mpdta``.

Every expected number below is copied from ``shared/reference-data/mpdta/SOURCE.md``, which records
where it was printed:

- A = R package ``did`` 2.5.1 ``README.md`` (``att_gt(yname="lemp", tname="year", idname="countyreal",
  gname="first.treat", xformla=~1, data=mpdta, est_method="reg")``, bootstrap, no seed shown);
- B = ``did`` ``docs/reference/att_gt.md`` (same call with default ``est_method="dr"``,
  ``set.seed(09152024)``), and for covariates ``xformla=~lpop`` (``out``: never-treated, ``out3``:
  not-yet-treated control group);
- C = ``did`` ``docs/reference/aggte.md`` (``aggte(out, type=...)`` on B's ``out``);
- D = the reference-data curator's plain difference-in-means check (SOURCE.md "Check done here"),
  6 decimals, used where the published print has too few digits (simple = -0.04).

Tolerances: point estimates to 4 decimals (abs 6e-5, the print rounds to 1e-4); the pre-test p to the
5 printed decimals; bootstrap SEs within 15% relative (Monte-Carlo noise of 999 draws on both sides).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from wijklib.did import att_gt

pytestmark = pytest.mark.reference

GT = [(2004, 2004), (2004, 2005), (2004, 2006), (2004, 2007), (2006, 2004), (2006, 2005),
      (2006, 2006), (2006, 2007), (2007, 2004), (2007, 2005), (2007, 2006), (2007, 2007)]
# Source A/B table (identical point estimates in both)
ATT_NOCOV = [-0.0105, -0.0704, -0.1373, -0.1008, 0.0065, -0.0028, -0.0046, -0.0412, 0.0305, -0.0027,
             -0.0311, -0.0261]
SE_B = [0.0258, 0.0341, 0.0384, 0.0354, 0.0235, 0.0192, 0.0184, 0.0207, 0.0161, 0.0157, 0.0184, 0.0176]
# Source B, xformla = ~lpop, dr
ATT_COV_NEVER = [-0.0145, -0.0764, -0.1404, -0.1069, -0.0005, -0.0062, 0.0010, -0.0413, 0.0267, -0.0046,
                 -0.0284, -0.0288]
SE_COV_NEVER = [0.0222, 0.0303, 0.0382, 0.0358, 0.0231, 0.0188, 0.0204, 0.0210, 0.0140, 0.0170, 0.0187,
                0.0161]
ATT_COV_NYT = [-0.0212, -0.0816, -0.1382, -0.1069, -0.0075, -0.0046, 0.0087, -0.0413, 0.0269, -0.0042,
               -0.0284, -0.0288]
SE_COV_NYT = [0.0217, 0.0324, 0.0368, 0.0344, 0.0233, 0.0184, 0.0182, 0.0205, 0.0136, 0.0153, 0.0191,
              0.0167]
TOL4 = 6e-5


@pytest.fixture(scope="module")
def mpdta(reference_dir):
    path = reference_dir / "mpdta" / "mpdta.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return pd.read_csv(path)


def _fit(df, **kw):
    kw.setdefault("inference", "multiplier")
    kw.setdefault("seed", 20240915)
    return att_gt(df, yname="lemp", tname="year", idname="countyreal", gname="first.treat", **kw)


@pytest.fixture(scope="module")
def res(mpdta):
    return _fit(mpdta)


def _by_gt(r):
    t = r.tidy().set_index(["group", "time"])
    return t.loc[GT]


def test_att_gt_no_covariates(res):
    t = _by_gt(res)
    np.testing.assert_allclose(t["estimate"].to_numpy(), ATT_NOCOV, atol=TOL4)
    assert res.cohorts == {"2004": 20, "2006": 40, "2007": 131}
    assert res.n_units == 500 and res.n_periods == 5


@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
def test_est_methods_agree_without_covariates(mpdta, method):
    """Source B: point estimates are identical for reg/dr without covariates (and ipw by algebra)."""
    t = _by_gt(_fit(mpdta, est_method=method, inference="analytic"))
    np.testing.assert_allclose(t["estimate"].to_numpy(), ATT_NOCOV, atol=TOL4)


def test_bootstrap_se_near_published(res):
    t = _by_gt(res)
    rel = t["std_error"].to_numpy() / np.asarray(SE_B) - 1
    assert np.all(np.abs(rel) < 0.15), rel


def test_pretest(res):
    pt = res.pretest()
    assert pt.df == 5
    assert round(pt.p_value, 5) == pytest.approx(0.16812, abs=1e-5)  # A and B


def test_aggregate_simple(res):
    a = res.aggregate("simple")
    assert a.estimate == pytest.approx(-0.039951, abs=1e-6)  # D (C prints -0.04)
    assert a.std_error == pytest.approx(0.0119, rel=0.15)  # C
    assert a.conf_low == pytest.approx(-0.0633, abs=0.006)  # C: [-0.0633, -0.0166]
    assert a.conf_high == pytest.approx(-0.0166, abs=0.006)


def test_aggregate_dynamic(res):
    a = res.aggregate("dynamic")
    assert a.estimate == pytest.approx(-0.0772, abs=TOL4)  # C, A
    assert a.std_error == pytest.approx(0.0208, rel=0.15)  # C
    d = a.detail.set_index("event_time")
    exp = {-3: (0.0305, 0.0154), -2: (-0.0006, 0.0129), -1: (-0.0245, 0.0145), 0: (-0.0199, 0.0119),
           1: (-0.0510, 0.0160), 2: (-0.1373, 0.0393), 3: (-0.1008, 0.0356)}  # C
    assert sorted(d.index) == sorted(exp)
    for e, (est, se) in exp.items():
        assert d.loc[e, "estimate"] == pytest.approx(est, abs=TOL4)
        assert d.loc[e, "std_error"] == pytest.approx(se, rel=0.15)


def test_aggregate_group(res):
    a = res.aggregate("group")
    assert a.estimate == pytest.approx(-0.031018, abs=1e-6)  # D; C prints -0.031
    assert a.std_error == pytest.approx(0.0126, rel=0.15)  # C
    d = a.detail.set_index("group")
    for g, (est, se) in {2004: (-0.0797, 0.0300), 2006: (-0.0229, 0.0163), 2007: (-0.0261, 0.0167)}.items():
        assert d.loc[g, "estimate"] == pytest.approx(est, abs=TOL4)  # C
        assert d.loc[g, "std_error"] == pytest.approx(se, rel=0.15)


def test_aggregate_calendar(res):
    a = res.aggregate("calendar")
    assert a.estimate == pytest.approx(-0.0417, abs=TOL4)  # C; D -0.041700
    assert a.std_error == pytest.approx(0.0175, rel=0.15)  # C
    d = a.detail.set_index("time")
    exp = {2004: (-0.0105, 0.0242), 2005: (-0.0704, 0.0319), 2006: (-0.0488, 0.0206), 2007: (-0.0371, 0.0133)}
    for t, (est, se) in exp.items():
        assert d.loc[t, "estimate"] == pytest.approx(est, abs=TOL4)
        assert d.loc[t, "std_error"] == pytest.approx(se, rel=0.15)


def test_same_draws_give_same_results(mpdta, res):
    again = _fit(mpdta)
    pd.testing.assert_frame_equal(res.tidy(), again.tidy())
    assert res.aggregate("dynamic").std_error == again.aggregate("dynamic").std_error


def test_covariates_dr_never_treated(mpdta):
    r = _fit(mpdta, xformla="~ lpop", est_method="dr")
    t = _by_gt(r)
    np.testing.assert_allclose(t["estimate"].to_numpy(), ATT_COV_NEVER, atol=TOL4)
    rel = t["std_error"].to_numpy() / np.asarray(SE_COV_NEVER) - 1
    assert np.all(np.abs(rel) < 0.15), rel
    assert round(r.pretest().p_value, 5) == pytest.approx(0.23267, abs=1e-5)  # B


def test_covariates_dr_not_yet_treated(mpdta):
    r = _fit(mpdta, xformla="~ lpop", est_method="dr", control_group="notyettreated")
    t = _by_gt(r)
    np.testing.assert_allclose(t["estimate"].to_numpy(), ATT_COV_NYT, atol=TOL4)
    rel = t["std_error"].to_numpy() / np.asarray(SE_COV_NYT) - 1
    assert np.all(np.abs(rel) < 0.15), rel
    assert round(r.pretest().p_value, 5) == pytest.approx(0.23326, abs=1e-5)  # B (out3)


@pytest.mark.parametrize("method", ["reg", "ipw"])
def test_covariates_other_methods_close_to_dr(mpdta, method):
    """No published reg/ipw numbers with covariates: they must be close to (not equal to) DR's."""
    t = _by_gt(_fit(mpdta, xformla="~ lpop", est_method=method, inference="analytic"))
    diff = np.abs(t["estimate"].to_numpy() - np.asarray(ATT_COV_NEVER))
    assert diff.max() < 0.003
    assert diff.max() > 1e-5


def test_unbalanced_subset_keeps_units(mpdta):
    """Dropping some county-years: no unit is dropped and the estimates stay close to the full data."""
    df = mpdta.drop(index=mpdta.index[::97])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = _fit(df, inference="analytic")
    assert any("Unbalanced panel" in str(x.message) for x in w)
    assert r.n_units == 500
    t = _by_gt(r)
    assert np.max(np.abs(t["estimate"].to_numpy() - ATT_NOCOV)) < 0.02
