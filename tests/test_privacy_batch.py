"""Canaries in every free-text field of every source file, through the whole batch: none in any output.

The monitor-level canary test (test_privacy.py) plants in the tables; this one writes the planted demo
city to raw files, runs ``wijklib check`` and the ward-report batch (HTML and PDF for two wards; the city
overview would need every ward evaluated and is left out to keep the test fast) and searches every file
the batch wrote (reports, notebooks, logs, manifest, the processed cache: evaluations JSON, panel, check
page) for every secret. The fields in ``NOT_FREE`` are left out: a raw export holds no free text there
(a taxonomy subject the writer maps to a category, internal ids).
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
import yaml

from tests.test_privacy import leaks, plant

WARDS = ["tarwewijk", "bloemhof"]
#: Fields a raw export cannot carry free text in: the MOR/MSB subject is a taxonomy entry (the writer and
#: the loaders map it to a category), ids are internal. Everything else gets a canary.
NOT_FREE = {("meldingen", "subcategorie"), ("meldingen", "melding_id"), ("handhaving", "actie_id"),
            ("signalen", "signaal_id")}


def _text(path: Path) -> str:
    if path.suffix == ".pdf":
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    raw = path.read_bytes()
    return raw.decode("utf-8", errors="replace") + raw.decode("latin-1")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_no_canary_in_any_file_the_batch_writes(tmp_path, monkeypatch):
    from wijklib.demo import simulate
    from wijklib.demo._write import write
    from wijklib.report import runner

    warnings.simplefilter("ignore")
    city = simulate(scale=0.02)
    city.tables.update({k: v.copy() for k, v in city.tables.items()})
    planted = plant(city.tables, WARDS, skip=NOT_FREE)
    data = tmp_path / "data"
    write(city, data)
    raw = yaml.safe_load(Path("config/demo.yaml").read_text(encoding="utf-8"))
    raw.update(data_dir=str(data), sources="sources.yaml")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    cache = tmp_path / "cache"
    monkeypatch.setenv("WIJKLIB_REPORT_CACHE", str(cache))
    out = tmp_path / "out"
    summary = runner.run(cfg, 2025, ",".join(WARDS), jobs=2, out=out, progress=False, overview=False)
    assert summary.exit_code == 0, summary.text()
    files = [p for p in [*out.rglob("*"), *cache.rglob("*")] if p.is_file()]
    assert any(p.suffix == ".pdf" for p in files) and any(p.name.endswith("_2025.json") for p in files)
    found = {str(p.relative_to(tmp_path)): leaks(_text(p), planted) for p in files}
    bad = {k: v for k, v in found.items() if v}
    assert bad == {}, {k: sorted({x.split(":")[0] for x in v}) for k, v in bad.items()}
    # The quotes are in the reports, scrubbed (the planted signal texts were publishable).
    html = "\n".join(_text(p) for p in out.rglob("wijkrapport_*.html"))
    assert "[verwijderd]" in html
