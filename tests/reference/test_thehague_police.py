"""wijklib.load.politie on the real thehague_crime file (Haaglanden police, 2011-2017).

Reference numbers come from ../shared/reference-data/thehague_crime/SOURCE.md (counted there from the
repository nuel/thehague_crime_data, converted from its JSON files): the shape of the table, the yearly
totals and the totals per delict code. All are exact counts, so the tolerance is zero.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest

from wijklib import load

pytestmark = pytest.mark.reference

FILE = "thehague_crime/thehague_buurt_month_crime_2011_2017.csv.gz"

# SOURCE.md, "Yearly totals".
YEAR_TOTALS = {2011: 42_791, 2012: 39_405, 2013: 37_350, 2014: 35_533, 2015: 33_950, 2016: 30_987, 2017: 25_147}
# SOURCE.md, "Delict codes ... Totals 2011-2017".
DELICT_TOTALS = {
    "100": 7_571, "101": 41_663, "102": 3_559, "104": 30_586, "105": 38_331, "106": 6_669,
    "107": 19_538, "108": 14_784, "109": 16_559, "110": 22_765, "111": 43_138, "117": 0,
}


@pytest.fixture(scope="module")
def politie(reference_dir):
    path = reference_dir / FILE
    if not path.is_file():
        pytest.skip(f"{path} is absent (thehague_crime reference set not installed)")
    t0 = time.process_time()
    df = load.politie(path)
    df.attrs["cpu_seconds"] = time.process_time() - t0
    return df


def test_shape_units_and_months(politie):
    assert len(politie) == 343_728
    assert politie["buurt_code"].nunique() == 341
    assert politie["maand"].nunique() == 84
    assert politie["maand"].min() == pd.Timestamp("2011-01-01")
    assert politie["maand"].max() == pd.Timestamp("2017-12-01")
    assert politie["gebied_code"].nunique() == 102
    # Balanced: exactly one row per buurt x month x delict (341 x 84 x 12).
    assert not politie.duplicated(["buurt_code", "maand", "misdrijf_code"]).any()
    assert politie.groupby("buurt_code").size().eq(84 * 12).all()


def test_yearly_totals(politie):
    got = politie.groupby(politie["maand"].dt.year)["aantal"].sum().astype(int).to_dict()
    assert got == YEAR_TOTALS


def test_delict_totals(politie):
    got = politie.groupby("misdrijf_code")["aantal"].sum().astype(int).to_dict()
    assert got == DELICT_TOTALS


def test_code_mapping(politie):
    # neighbourhood_code 5180271 -> BU05180271, district 51802 -> WK051802 (CBS notation).
    row = politie.loc[politie["buurt_code"] == "BU05180271"].iloc[0]
    assert row["gebied_code"] == "WK051802"
    codes = pd.Series(politie["buurt_code"].unique())
    assert codes.str.fullmatch(r"BU\d{8}").all()
    assert set(codes.str.slice(2, 6)) == {"0518", "0553", "0503", "0484", "0513", "0603", "0637", "0629"}


def test_panel_ready_columns_and_fast(politie):
    assert list(politie.columns[:5]) == ["buurt_code", "maand", "misdrijf_code", "misdrijf", "aantal"]
    assert politie["aantal"].dtype == "Int64" and politie["aantal"].notna().all()
    assert politie.attrs["skipped"] == []
    assert politie.attrs["cpu_seconds"] < 10, f"load took {politie.attrs['cpu_seconds']:.1f} s CPU"
