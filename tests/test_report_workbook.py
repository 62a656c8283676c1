"""The batch workbook (tabellen_<jaar>.xlsx): the report's verdicts, Dutch headers, real numbers."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from wijklib.config import DEMO_RAW_DIR
from wijklib.report import workbook

pytestmark = pytest.mark.skipif(not (DEMO_RAW_DIR / "truth.json").is_file(),
                                reason=f"no demo data in {DEMO_RAW_DIR}; run `make demo-data` first")

WARDS = ["tarwewijk", "heijplaat"]


@pytest.fixture(scope="module")
def demo_evaluations():
    from wijklib.report import evaluations
    from wijklib.report.settings import load_config

    cfg = load_config("config/demo.yaml")
    evaluations.prepare(cfg, 2025, WARDS)
    return cfg, {w: evaluations.load_ward(cfg, 2025, w) for w in WARDS}


def test_workbook_holds_the_reports_verdicts_and_numbers(demo_evaluations, tmp_path):
    from wijklib.report.content import overall_verdict

    cfg, evs = demo_evaluations
    path = workbook.write_for_batch(cfg, 2025, tmp_path, WARDS)
    assert path.name == "tabellen_2025.xlsx"
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["Wijkraden", "Prioriteiten", "Toelichting"]
    city, prios = sheets["Wijkraden"], sheets["Prioriteiten"]
    assert list(city.columns) == [h for h, _ in workbook.CITY_COLUMNS.values()]
    for w, ev in evs.items():
        row = city[city["Code"] == w].iloc[0]
        assert row["Wijkraad"] == ev.wijkraad
        assert row["Totaaloordeel"] == overall_verdict(ev.headline()["verdicts"])
        mine = prios[prios["Code"] == w].reset_index(drop=True)
        pr = ev.to_frame("priorities").reset_index(drop=True)
        assert len(mine) == len(pr) == row["Prioriteiten"]
        assert list(mine["Oordeel"]) == list(pr["oordeel"])
        # numbers stay numbers (Excel shows them with the reader's decimal comma), equal to the evaluation
        got, want = mine["Geschat verschil"].to_numpy(float), pr["rel_verschil"].to_numpy(float)
        assert ((abs(got - want) < 1e-12) | (pd.isna(got) & pd.isna(want))).all()
    assert not prios["Methode"].isin(["did", "its", "its_controlled", "placebo"]).any()  # words, not codes


def test_a_ward_that_cannot_be_read_is_listed_not_dropped(demo_evaluations, tmp_path):
    cfg, _ = demo_evaluations
    path = workbook.write_for_batch(cfg, 2025, tmp_path, [*WARDS, "bestaat-niet"])
    city = pd.read_excel(path, sheet_name="Wijkraden")
    bad = city[city["Code"] == "bestaat-niet"].iloc[0]
    assert bad["Totaaloordeel"] == "niet geëvalueerd" and isinstance(bad["Reden niet geëvalueerd"], str)
    assert set(WARDS) <= set(city["Code"])


def test_percent_columns_are_formatted_as_percentages(demo_evaluations, tmp_path):
    import openpyxl

    cfg, _ = demo_evaluations
    path = workbook.write_for_batch(cfg, 2025, tmp_path, WARDS)
    assert zipfile.is_zipfile(path)
    ws = openpyxl.load_workbook(path)["Prioriteiten"]
    headers = [c.value for c in ws[1]]
    col = headers.index("Geschat verschil") + 1
    assert ws.cell(row=2, column=col).number_format == "0%"
    assert ws.freeze_panes == "A2"
