"""Cached evaluations are checked before use; one bad ward never sinks the overview; a year without data
is refused up front.

A small synthetic city (``wijklib.demo`` at scale 0.05) is evaluated once for three wards; each test pins a
copy of that cache (as the batch pins its workers) and breaks it in one way. The ward notebook is the real
report's first two sections (cover and summary), the overview is the real ``stadsoverzicht`` notebook.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from wijklib import config as wlconfig
from wijklib.report import evaluations, runner
from wijklib.report.settings import load_config

WARDS = ["tarwewijk", "bloemhof", "kralingen"]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    from wijklib import demo

    d = tmp_path_factory.mktemp("stad")
    demo.generate(d / "data", scale=0.05)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('wijkraad: str = "tarwewijk"\njaar: int = 2025\nconfig_path: str = "x"'),
                nbformat.v4.new_code_cell("from wijklib.report import content as rc\n"
                                          "rapport = rc.wijkrapport(wijkraad, jaar, config_path)\n"
                                          "rapport.cover()\nrapport.summary()")]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, d / "wijk.ipynb")
    raw = yaml.safe_load((wlconfig.PROJECT_ROOT / "config" / "demo.yaml").read_text(encoding="utf-8"))
    raw.update(data_dir=str(d / "data"), notebook=str(d / "wijk.ipynb"),
               overzicht_notebook=str(wlconfig.PROJECT_ROOT / "notebooks" / "stadsoverzicht.ipynb"),
               monitor_config=str(wlconfig.PROJECT_ROOT / "config" / "monitor.yaml"))
    (d / "run.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("WIJKLIB_REPORT_CACHE", str(d / "cache"))
    cfg = load_config(d / "run.yaml")
    folder = evaluations.prepare(cfg, 2025, WARDS)
    yield d, cfg, folder
    mp.undo()


@pytest.fixture
def pinned(city, tmp_path, monkeypatch):
    """A private copy of the prepared cache, pinned like the batch pins its workers."""
    d, cfg, src = city
    dst = tmp_path / "cache" / src.name
    shutil.copytree(src, dst)
    state = json.loads((dst / "done.json").read_text(encoding="utf-8"))
    (dst / "done.json").write_text(json.dumps({**state, "complete": True}), encoding="utf-8")  # a 3-ward city
    monkeypatch.setenv(evaluations.PINNED_ENV, str(dst))
    return d, cfg, dst


def _doc(folder: Path, ward: str) -> dict:
    return json.loads((folder / "evaluations" / f"{ward}_2025.json").read_text(encoding="utf-8"))


def _put(folder: Path, ward: str, doc: dict) -> None:
    (folder / "evaluations" / f"{ward}_2025.json").write_text(json.dumps(doc), encoding="utf-8")


def test_artefacts_record_what_they_were_computed_from(city):
    _, cfg, folder = city
    prov = _doc(folder, "tarwewijk")[evaluations.PROVENANCE_KEY]
    assert prov["wijkraad_id"] == "tarwewijk" and prov["year"] == 2025
    assert prov["inputs"] == evaluations.input_fingerprint(cfg)
    assert prov["monitor_config"] == evaluations.config_fingerprint(cfg)
    assert prov["code"] and prov["wijklib_version"]
    assert evaluations.load_ward(cfg, 2025, "tarwewijk").wijkraad_id == "tarwewijk"


@pytest.mark.parametrize(("breakage", "message"), [
    ("other_ward", "wijkraad_id = 'bloemhof'"),
    ("other_year", "year = 2024"),
    ("other_data", "inputs = 'ffffffffffffffff'"),
    ("other_config", "monitor_config = '0000000000000000'"),
    ("no_record", "without a provenance record"),
])
def test_stale_artefact_is_never_used_inside_a_batch(pinned, breakage, message):
    _, cfg, folder = pinned
    doc = _doc(folder, "tarwewijk")
    if breakage == "other_ward":  # bloemhof's evaluation saved under tarwewijk's name
        doc = _doc(folder, "bloemhof")
    elif breakage == "other_year":
        doc = {**doc, "year": 2024, evaluations.PROVENANCE_KEY: {**doc[evaluations.PROVENANCE_KEY], "year": 2024}}
    elif breakage == "other_data":
        doc[evaluations.PROVENANCE_KEY]["inputs"] = "f" * 16
    elif breakage == "other_config":
        doc[evaluations.PROVENANCE_KEY]["monitor_config"] = "0" * 16
    else:
        doc.pop(evaluations.PROVENANCE_KEY)
    _put(folder, "tarwewijk", doc)
    with pytest.raises(evaluations.StaleEvaluation, match=message) as info:
        evaluations.load_ward(cfg, 2025, "tarwewijk")
    assert "tarwewijk_2025.json" in str(info.value)


def test_wrong_ward_artefact_fails_that_ward_in_the_batch(pinned, tmp_path):
    """The batch renders nothing under tarwewijk's name from bloemhof's evaluation: tarwewijk fails with the
    reason, the others are ok, exit 1, manifest == disk."""
    d, _, folder = pinned
    _put(folder, "tarwewijk", _doc(folder, "bloemhof"))
    s = runner.run(d / "run.yaml", 2025, ",".join(WARDS), jobs=2, formats=["html"], out=tmp_path / "out",
                   overview=False, progress=False)
    status = {r.ward_id: r.status for r in s.results}
    assert status == {"tarwewijk": "failed", "bloemhof": "ok", "kralingen": "ok"}, s.text()
    assert s.exit_code == 1
    reason = next(r.reason for r in s.results if r.ward_id == "tarwewijk")
    assert "StaleEvaluation" in reason and "bloemhof" in reason
    out = tmp_path / "out" / "2025"
    assert not (out / "wijk_2025_tarwewijk.html").exists()
    rows = {r["ward_id"]: r for r in json.loads((out / "manifest.json").read_text())["reports"]}
    assert rows["tarwewijk"]["status"] == "failed" and rows["tarwewijk"]["outputs"] == {}
    assert runner.check_outputs(out) == []


def test_one_bad_ward_does_not_sink_the_overview(pinned, tmp_path):
    """kralingen's evaluation is unreadable: its report fails, the overview is built from the other two and
    lists kralingen as not evaluated, with the reason."""
    d, cfg, folder = pinned
    (folder / "evaluations" / "kralingen_2025.json").write_text('{"schema_version": 1, "wijkr', encoding="utf-8")
    evs, failures = evaluations.load_city(cfg, 2025)
    assert set(evs) == {"tarwewijk", "bloemhof"}
    assert "kralingen_2025.json" in failures["kralingen"] and "not a valid evaluation JSON" in failures["kralingen"]
    s = runner.run(d / "run.yaml", 2025, ",".join(WARDS), jobs=2, formats=["html"], out=tmp_path / "out",
                   overview=True, progress=False)
    status = {(r.kind, r.ward_id): r.status for r in s.results}
    assert status == {("wijk", "tarwewijk"): "ok", ("wijk", "bloemhof"): "ok", ("wijk", "kralingen"): "failed",
                      ("stad", "stad"): "ok"}, s.text()
    assert s.exit_code == 1
    out = tmp_path / "out" / "2025"
    html = (out / "stadsoverzicht_2025_stad.html").read_text(encoding="utf-8")
    assert "niet geëvalueerd" in html and "not a valid evaluation JSON" in html
    # The city table shows each ward's first priority with the verdict its own report gives it.
    for w, ev in evs.items():
        first = ev.to_frame("priorities").iloc[0]
        assert f"oordeel: {first['oordeel']}" in html, (w, first["oordeel"])
    head = next(r.headline for r in s.results if r.kind == "stad")
    assert head["n_wijkraden"] == 2 and head["n_mislukt"] == 1
    assert runner.check_outputs(out) == []


def test_year_without_data_is_refused_up_front(city, tmp_path):
    d, _, _ = city
    t0 = time.monotonic()
    with pytest.raises(ValueError, match=r"no data for 2030; the data cover 2017–2025"):
        runner.run(d / "run.yaml", 2030, "tarwewijk", jobs=1, out=tmp_path / "out", progress=False)
    assert time.monotonic() - t0 < 30
    assert not (tmp_path / "out" / "2030").exists()  # nothing written, no manifest claiming anything
    assert runner.main(["--config", str(d / "run.yaml"), "--year", "2030", "--wards", "tarwewijk",
                        "--out", str(tmp_path / "out"), "--no-progress"]) == 2
