"""The batch on Dask (``--scheduler local``): a LocalCluster of 2 workers, same guarantees as the pool.

Each test checks the manifest, the files on disk (:func:`runner.check_outputs`: manifest == disk, no temp
files) and the exit status. The notebook is tiny (as in ``test_report_faults.py``): a ward's CSV says how
long it sleeps and, for the fault tests, whether it is the ward whose worker gets killed; the notebook writes
its worker's pid (the kernel's parent: the Dask worker process) to ``started/<ward>.<n>`` per start.

CI runs these: dask and distributed are in the dev extra (``pip install -e ".[dev]"``). Without them the
tests skip with the reason, except the one that checks the message a user gets.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from wijklib.report import runner
from wijklib.report.pdf import TMP_PREFIX

needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="dask.distributed is not installed (pip install 'wijklib[dask]'; the dev extra installs it for CI)")

CELLS = [
    ('wijk: str = "a"\njaar: int = 2025\nconfig_path: str = "config.yaml"', ["parameters"]),
    ("import os, time\nfrom pathlib import Path\nimport pandas as pd\nfrom wijklib.report import content as rc\n"
     "from wijklib.report.settings import load_config\ncfg = load_config(config_path)\n"
     "df = pd.read_csv(cfg.data_dir / f'{wijk}.csv')\n"
     "started = Path(config_path).parent / 'started'; started.mkdir(exist_ok=True)\n"
     "n = len(list(started.glob(f'{wijk}.*')))\n"
     "(started / f'{wijk}.{n}').write_text(str(os.getppid()))\n"
     "if 'fout' in df.columns:\n"
     "    raise ValueError(f'wijk {wijk}: kapotte invoer')\n"
     "if 'dood' in df.columns and (n == 0 or df['dood'].iloc[0] == 'altijd'):\n"
     "    time.sleep(60)  # the test kills this worker meanwhile\n"
     "time.sleep(float(df['slaap'].iloc[0]))\n"
     "rc.show_html(rc.cover_html(kicker='Test', title=f'Wijk {wijk}', subtitle=str(jaar), meta=[], demodata=True))\n"
     "rc.show_md(f'Wijk {wijk}: {int(df.slaap.iloc[0] * 10)} punten.')\n"
     "rc.record_headline({'wijk': wijk, 'pid': os.getppid(), 'cache': os.environ.get('WIJKLIB_REPORT_CACHE_DIR', '')})",
     []),
]


def _setup(d: Path, wards: dict[str, dict[str, object]]) -> Path:
    """A run config over tiny CSV 'wards': ``{"a": {"slaap": 0.2}, "x": {"slaap": 0, "fout": 1}}``."""
    data = d / "data"
    data.mkdir(parents=True, exist_ok=True)
    for w, cols in wards.items():
        (data / f"{w}.csv").write_text(",".join(cols) + "\n" + ",".join(map(str, cols.values())) + "\n")
    nb = nbformat.v4.new_notebook()
    for src, tags in CELLS:
        cell = nbformat.v4.new_code_cell(src)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, d / "dasktest.ipynb")
    cfg = {"naam": "Daskstad", "demodata": True, "eenheid": "wijk", "notebook": str(d / "dasktest.ipynb"),
           "data_dir": str(data), "eenheden": [{"code": w, "naam": f"Wijk {w.upper()}"} for w in wards]}
    (d / "config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return d / "config.yaml"


def _manifest(out: Path) -> dict[str, dict]:
    return {r["ward_id"]: r for r in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]}


def _killer(started: Path, ward: str, starts: int) -> tuple[threading.Thread, list[int]]:
    """Kill (SIGKILL) the worker of each of the first ``starts`` starts of ``ward``, as it sleeps."""
    killed: list[int] = []

    def run() -> None:
        for n in range(starts):
            path = started / f"{ward}.{n}"
            t0 = time.monotonic()
            while not (path.is_file() and path.read_text().strip()):
                if time.monotonic() - t0 > 90:
                    return
                time.sleep(0.05)
            time.sleep(0.3)
            pid = int(path.read_text())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th, killed


@needs_dask
def test_local_cluster_batch_and_a_failing_ward(tmp_path):
    """Two Dask workers build every ward (PDF + HTML) like the pool; a ward whose notebook raises fails
    alone with the cell's exception; manifest == disk; exit status 1."""
    cfg = _setup(tmp_path, {"a": {"slaap": 0.2}, "b": {"slaap": 0.2}, "kapot": {"slaap": 0, "fout": 1},
                            "c": {"slaap": 0.2}, "d": {"slaap": 0.2}})
    s = runner.run(cfg, 2025, "all", jobs=2, out=tmp_path / "reports", formats=["pdf", "html"], progress=False,
                   scheduler="local")
    status = {r.ward_id: r.status for r in s.results}
    assert status == {"a": "ok", "b": "ok", "kapot": "failed", "c": "ok", "d": "ok"}, s.text()
    assert s.exit_code == 1
    bad = next(r for r in s.results if r.ward_id == "kapot")
    assert bad.reason == "ValueError: wijk kapot: kapotte invoer"
    out = tmp_path / "reports" / "2025"
    assert "kapotte invoer" in (out / bad.log).read_text(encoding="utf-8")  # the worker's log came back
    for w in "abcd":
        assert (out / f"dasktest_2025_{w}.pdf").read_bytes()[:5] == b"%PDF-"
        assert f"Wijk {w}: 2 punten." in (out / f"dasktest_2025_{w}.html").read_text(encoding="utf-8")
    rows = _manifest(out)
    assert rows["kapot"]["status"] == "failed" and rows["a"]["headline"]["wijk"] == "a"
    assert not (out / "dasktest_2025_kapot.pdf").exists()
    assert runner.check_outputs(out) == []
    pids = {r.headline["pid"] for r in s.results if r.status == "ok"}
    assert len(pids) == 2, f"expected both workers to take wards, got pids {pids}"
    assert os.getpid() not in pids


@needs_dask
def test_killed_worker_ward_is_retried_once_elsewhere(tmp_path):
    """The worker running 'dood' is SIGKILLed: that ward starts once more on another worker and succeeds
    there; its log says so; the other wards are not affected."""
    cfg = _setup(tmp_path, {"a": {"slaap": 0.3}, "dood": {"slaap": 0, "dood": "eerst"}, "b": {"slaap": 0.3},
                            "c": {"slaap": 0.3}})
    th, killed = _killer(tmp_path / "started", "dood", 1)
    t0 = time.monotonic()
    s = runner.run(cfg, 2025, "all", jobs=2, out=tmp_path / "reports", formats=["html"], progress=False,
                   scheduler="local")
    th.join(timeout=5)
    assert killed, "the worker was never killed"
    assert time.monotonic() - t0 < 55, "the batch waited for the killed ward's sleep"
    assert {r.ward_id: r.status for r in s.results} == {"a": "ok", "dood": "ok", "b": "ok", "c": "ok"}, s.text()
    dood = next(r for r in s.results if r.ward_id == "dood")
    assert dood.headline["pid"] != killed[0], "the retry ran on the killed worker"
    out = tmp_path / "reports" / "2025"
    assert "viel weg" in (out / dood.log).read_text(encoding="utf-8")
    assert len(list((tmp_path / "started").glob("dood.*"))) == 2  # started exactly twice
    assert runner.check_outputs(out) == []


@needs_dask
def test_ward_that_loses_two_workers_fails_only_itself(tmp_path):
    """A ward whose worker dies on every start is tried twice (two workers lost), then fails with a reason
    naming both; it is not started a third time; the other wards finish; manifest == disk."""
    cfg = _setup(tmp_path, {"a": {"slaap": 0.3}, "dood": {"slaap": 0, "dood": "altijd"}, "b": {"slaap": 0.3}})
    th, killed = _killer(tmp_path / "started", "dood", 2)
    s = runner.run(cfg, 2025, "all", jobs=2, out=tmp_path / "reports", formats=["pdf", "html"], progress=False,
                   scheduler="local")
    th.join(timeout=5)
    assert len(killed) == 2
    status = {r.ward_id: r.status for r in s.results}
    assert status == {"a": "ok", "dood": "failed", "b": "ok"}, s.text()
    assert s.exit_code == 1
    dood = next(r for r in s.results if r.ward_id == "dood")
    assert dood.reason.startswith("WorkerLost:") and "twee keer" in dood.reason, dood.reason
    out = tmp_path / "reports" / "2025"
    assert "WorkerLost" in (out / dood.log).read_text(encoding="utf-8")
    assert len(list((tmp_path / "started").glob("dood.*"))) == 2
    assert not list(out.rglob(f"{TMP_PREFIX}*"))
    assert not (out / "dasktest_2025_dood.pdf").exists()
    assert runner.check_outputs(out) == []


@needs_dask
def test_workers_read_the_scattered_cache_not_the_parents_folder(tmp_path, monkeypatch):
    """With a prepared cache (the batch's evaluations), the kernels on the Dask workers are pointed at a
    copy that came through the engine (scattered once), with the same files, not at the parent's folder."""
    from wijklib.report import content

    cache = tmp_path / "cache" / "daskstad_2025_0123456789ab"
    (cache / "evaluations").mkdir(parents=True)
    (cache / "evaluations" / "a_2025.json").write_text('{"wijk": "a"}', encoding="utf-8")
    (cache / "done.json").write_text('{"wards": ["a"]}', encoding="utf-8")
    monkeypatch.setattr(content, "prepare", lambda *a, **k: {"WIJKLIB_REPORT_CACHE_DIR": str(cache)})
    cfg = _setup(tmp_path, {"a": {"slaap": 0}, "b": {"slaap": 0}})
    s = runner.run(cfg, 2025, "all", jobs=2, out=tmp_path / "reports", formats=["html"], progress=False,
                   scheduler="local")
    assert s.exit_code == 0, s.text()
    for r in s.results:
        seen = Path(r.headline["cache"])
        assert seen != cache and seen.name == cache.name
        assert (seen / "evaluations" / "a_2025.json").read_text(encoding="utf-8") == '{"wijk": "a"}'
        assert (seen / "done.json").is_file()


def test_scheduler_without_dask_says_how_to_install(tmp_path, monkeypatch, capsys):
    """--scheduler without dask installed: exit 2 and the install command, before any report."""
    cfg = _setup(tmp_path, {"a": {"slaap": 0}})
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    code = runner.main(["--config", str(cfg), "--year", "2025", "--scheduler", "local", "--no-progress",
                        "--out", str(tmp_path / "reports"), "--formats", "html"])
    assert code == 2
    assert "pip install 'wijklib[dask]'" in capsys.readouterr().err
    assert not list((tmp_path / "reports" / "2025").glob("*.html"))


@needs_dask
def test_bad_scheduler_address_is_a_clear_error(tmp_path, capsys):
    cfg = _setup(tmp_path, {"a": {"slaap": 0}})
    code = runner.main(["--config", str(cfg), "--year", "2025", "--scheduler", "localhost:1", "--no-progress",
                        "--out", str(tmp_path / "reports"), "--formats", "html"])
    assert code == 2
    assert "expected 'local' or a scheduler address" in capsys.readouterr().err
