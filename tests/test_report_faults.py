"""Batch fault tests: a killed worker, Ctrl-C during a 2-worker batch, resume, permissions.

Each test asserts the manifest, the files on disk (:func:`runner.check_outputs`: manifest == disk, no temp
files) and the exit status. A tiny notebook keeps them fast: a ward's CSV says how long its notebook
sleeps, and the notebook writes its worker's pid (the kernel's parent) to ``<ward>.started`` so a test can
signal the right process at the right moment.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from wijklib.report import runner
from wijklib.report.pdf import TMP_PREFIX

CELLS = [
    ('wijk: str = "a"\njaar: int = 2025\nconfig_path: str = "config.yaml"', ["parameters"]),
    ("import os, time\nfrom pathlib import Path\nimport pandas as pd\nfrom wijklib.report import content as rc\n"
     "from wijklib.report.settings import load_config\ncfg = load_config(config_path)\n"
     "df = pd.read_csv(cfg.data_dir / f'{wijk}.csv')\n"
     "started = Path(config_path).parent / 'started'; started.mkdir(exist_ok=True)\n"
     "(started / f'{wijk}.started').write_text(str(os.getppid()))\n"
     "if 'halfvol' in df.columns:  # what a worker killed while writing its PDF leaves behind\n"
     "    out = Path(config_path).parent / 'reports' / str(jaar)\n"
     "    (out / f'.wijklib-tmp-faults_{jaar}_{wijk}.pdf.x1y2z3.pdf').write_bytes(b'')\n"
     "time.sleep(float(df['slaap'].iloc[0]))\n"
     "rc.show_html(rc.cover_html(kicker='Test', title=f'Wijk {wijk}', subtitle=str(jaar), meta=[], demodata=True))\n"
     "rc.show_md(f'Wijk {wijk}: {int(df.slaap.iloc[0] * 10)} punten.')\n"
     "rc.record_headline({'wijk': wijk})", []),
]


def _setup(d: Path, sleeps: dict[str, float], extra: dict[str, str] | None = None) -> Path:
    data = d / "data"
    data.mkdir(parents=True, exist_ok=True)
    for w, s in sleeps.items():
        cols = "slaap" + ("," + (extra or {}).get(w, "") if (extra or {}).get(w) else "")
        vals = str(s) + (",1" if (extra or {}).get(w) else "")
        (data / f"{w}.csv").write_text(f"{cols}\n{vals}\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    for src, tags in CELLS:
        cell = nbformat.v4.new_code_cell(src)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, d / "faults.ipynb")
    cfg = {"naam": "Foutstad", "demodata": True, "bron": "vast", "eenheid": "wijk", "notebook": str(d / "faults.ipynb"),
           "data_dir": str(data), "eenheden": [{"code": w, "naam": f"Wijk {w.upper()}"} for w in sleeps]}
    (d / "config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return d / "config.yaml"


def _manifest(out: Path) -> dict[str, dict]:
    return {r["ward_id"]: r for r in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]}


def _wait_for(path: Path, timeout: float = 60) -> str:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if path.is_file() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} did not appear within {timeout} s")


def test_sigkill_of_a_worker_fails_only_its_ward(tmp_path):
    """The worker holding 'dood' is killed with SIGKILL while it runs (after leaving a 0-byte temp PDF):
    only that ward fails, with the signal as reason; the pool is rebuilt and the other wards finish."""
    cfg = _setup(tmp_path, {"a": 0.5, "dood": 30, "b": 0.5, "c": 0.5, "d": 0.5}, extra={"dood": "halfvol"})
    (tmp_path / "reports" / "2025").mkdir(parents=True)
    killed: list[int] = []

    def killer() -> None:
        pid = int(_wait_for(tmp_path / "started" / "dood.started"))
        time.sleep(0.3)
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    th = threading.Thread(target=killer, daemon=True)
    th.start()
    t0 = time.monotonic()
    summary = runner.run(cfg, 2025, "all", jobs=2, out=tmp_path / "reports", formats=["pdf", "html"], progress=False)
    th.join(timeout=5)
    assert killed, "the worker was never killed"
    assert time.monotonic() - t0 < 28, "the batch waited for the killed ward's sleep"
    out = tmp_path / "reports" / "2025"
    status = {r.ward_id: r.status for r in summary.results}
    assert status == {"a": "ok", "dood": "failed", "b": "ok", "c": "ok", "d": "ok"}, summary.text()
    assert summary.exit_code == 1
    dead = next(r for r in summary.results if r.ward_id == "dood")
    assert "SIGKILL" in dead.reason
    assert "SIGKILL" in (out / dead.log).read_text(encoding="utf-8")  # the log says why, it is not empty
    rows = _manifest(out)
    assert rows["dood"]["status"] == "failed" and "SIGKILL" in rows["dood"]["reason"]
    assert all(rows[w]["status"] == "ok" for w in "abcd")
    assert not list(out.rglob(f"{TMP_PREFIX}*")), "a temp file of the killed worker remained"
    assert not (out / "faults_2025_dood.pdf").exists()
    assert runner.check_outputs(out) == []


def _cli(cfg: Path, out: Path, *extra: str) -> subprocess.Popen:
    # HTML only: the PDF route is exercised by the SIGKILL test; this keeps the CLI runs short.
    env = {**os.environ, "PYTHONPATH": str(Path(runner.__file__).resolve().parents[2])}
    return subprocess.Popen([sys.executable, "-m", "wijklib.report", "--config", str(cfg), "--year", "2025",
                             "--wards", "all", "--jobs", "2", "--formats", "html", "--out", str(out),
                             "--no-progress", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_sigint_during_two_worker_batch_then_resume(tmp_path):
    """Ctrl-C while two wards run: both finish and are in the manifest, nothing else starts, exit 130,
    manifest == disk. A rerun (resume) keeps those two (reused) and builds the rest."""
    wards = {"a": 2, "b": 2, "c": 0, "d": 0, "e": 0}
    cfg = _setup(tmp_path, wards)
    proc = _cli(cfg, tmp_path / "reports")
    _wait_for(tmp_path / "started" / "a.started")
    _wait_for(tmp_path / "started" / "b.started")
    proc.send_signal(signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()  # never leave a hung batch behind (no-op when it exited)
    assert proc.returncode == 130, stderr
    out = tmp_path / "reports" / "2025"
    rows = _manifest(out)
    assert set(rows) == {"a", "b"}, rows.keys()
    assert all(r["status"] == "ok" for r in rows.values())
    assert sorted(p.name for p in out.glob("*.html")) == ["faults_2025_a.html", "faults_2025_b.html"]
    assert runner.check_outputs(out) == []
    assert not (tmp_path / "started" / "c.started").exists()  # nothing started after the interrupt

    for w in ("a", "b"):
        (tmp_path / "started" / f"{w}.started").unlink()
    again = runner.run(cfg, 2025, "all", jobs=2, out=tmp_path / "reports", formats=["html"], progress=False)
    assert again.exit_code == 0, again.text()
    reused = {r.ward_id for r in again.results if r.reused}
    assert reused == {"a", "b"}
    assert not (tmp_path / "started" / "a.started").exists()  # really not rerun
    assert "ongewijzigd overgenomen" in again.text()
    assert set(_manifest(out)) == set(wards)
    assert runner.check_outputs(out) == []


@pytest.mark.slow
def test_rerun_rebuilds_exactly_what_is_stale(tmp_path):
    """Changed data -> every report stale; a report edited on disk -> only that one; --force -> rebuilt."""
    wards = {"a": 0, "b": 0, "c": 0, "d": 0}
    cfg = _setup(tmp_path, wards)
    out = tmp_path / "reports" / "2025"
    first = runner.run(cfg, 2025, "all", jobs=2, out=tmp_path / "reports", formats=["html"], progress=False)
    assert first.exit_code == 0 and not any(r.reused for r in first.results)
    # Changed input data -> stale (the key covers the run's whole data folder).
    (tmp_path / "data" / "c.csv").write_text("slaap\n0.3\n", encoding="utf-8")
    third = runner.run(cfg, 2025, "all", jobs=2, out=tmp_path / "reports", formats=["html"], progress=False)
    assert not any(r.reused for r in third.results)
    # A report file changed on disk after the batch is not current either.
    fourth_before = (out / "faults_2025_d.html").read_text(encoding="utf-8")
    (out / "faults_2025_d.html").write_text(fourth_before + "<!-- edited -->", encoding="utf-8")
    fourth = runner.run(cfg, 2025, "all", jobs=2, out=tmp_path / "reports", formats=["html"], progress=False)
    assert {r.ward_id for r in fourth.results if not r.reused} == {"d"}
    forced = runner.run(cfg, 2025, "a,b", jobs=1, out=tmp_path / "reports", formats=["html"], progress=False,
                        force=True)
    assert {r.ward_id for r in forced.results if not r.reused} == {"a", "b"}
    assert runner.main(["--config", str(cfg), "--year", "2025", "--wards", "a", "--formats", "html",
                        "--out", str(tmp_path / "reports"), "--no-progress"]) == 0  # current: kept, exit 0
    assert runner.check_outputs(out) == []


def test_second_sigint_stops_running_wards_without_leftovers(tmp_path):
    cfg = _setup(tmp_path, {"a": 0.2, "lang1": 60, "lang2": 60})
    proc = _cli(cfg, tmp_path / "reports")
    _wait_for(tmp_path / "started" / "lang1.started")
    _wait_for(tmp_path / "started" / "lang2.started")
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    try:
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert time.monotonic() - t0 < 30
    assert proc.returncode == 130, stderr
    out = tmp_path / "reports" / "2025"
    rows = _manifest(out)
    for w in ("lang1", "lang2"):
        assert rows[w]["status"] == "failed" and "Ctrl-C" in rows[w]["reason"]
    assert runner.check_outputs(out) == []
    assert not list(out.glob("faults_2025_lang*"))


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_report_files_respect_the_umask(tmp_path, umask):
    cfg = _setup(tmp_path, {"a": 0})
    old = os.umask(umask)
    try:
        s = runner.run(cfg, 2025, "all", jobs=1, out=tmp_path / "reports", formats=["html"], progress=False)
    finally:
        os.umask(old)
    assert s.exit_code == 0, s.text()
    out = tmp_path / "reports" / "2025"
    for p in (out / "faults_2025_a.html", out / "manifest.json", out / "notebooks" / "faults_2025_a.ipynb"):
        assert p.stat().st_mode & 0o777 == 0o666 & ~umask, f"{p.name}: {oct(p.stat().st_mode)}"
