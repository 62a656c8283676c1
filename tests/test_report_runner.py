"""Batch runner mechanics on a tiny notebook: parallel papermill, HTML + PDF, manifest, failure isolation.

The notebook reads one small CSV per ward; the ward "kapot" has a broken file, so its report must fail
alone with a readable reason while the other wards finish, and the run must exit non-zero.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

from wijklib.report import runner
from wijklib.report.pdf import TMP_PREFIX

NOTEBOOK_CELLS = [
    ("code", 'wijk: str = "a"  # code van de wijk\njaar: int = 2025  # jaar\n'
             'config_path: str = "config.yaml"  # runconfiguratie', ["parameters"]),
    ("code", "import pandas as pd\nfrom wijklib.report import content as rc\nfrom wijklib import plots\n"
             "from wijklib.report.settings import load_config\n"
             "cfg = load_config(config_path)\nrc.setup_notebook()\n"
             "df = pd.read_csv(cfg.data_dir / f'{wijk}.csv')\n"
             "if 'aantal' not in df.columns:\n"
             "    raise ValueError(f'{wijk}.csv: kolom aantal ontbreekt; gevonden {list(df.columns)}')\n"
             "rc.show_html(rc.cover_html(kicker='Test', title=f'Wijk {wijk.upper()}', subtitle=str(jaar), "
             "meta=[('Jaar', str(jaar))], demodata=cfg.demodata))", []),
    ("markdown", "## In het kort", []),
    ("code", "import warnings; warnings.warn('mag niet in het rapport')\n"
             "rc.show_md(f'Totaal voor wijk {wijk}: {rc.nl_number(df.aantal.sum())} meldingen.')\n"
             "rc.show_table(df, counts=['aantal'])\n"
             "fig, ax = plots.bars(df, x='thema', y='aantal'); plots.show(fig)\n"
             "rc.record_headline({'totaal': int(df.aantal.sum()), 'wijk': wijk})", []),
]


def _notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    for kind, src, tags in NOTEBOOK_CELLS:
        cell = nbformat.v4.new_code_cell(src) if kind == "code" else nbformat.v4.new_markdown_cell(src)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    data = d / "data"
    data.mkdir()
    (data / "a.csv").write_text("thema,aantal\nafval,12\njeugd,3\n", encoding="utf-8")
    (data / "b.csv").write_text("thema,aantal\nafval,7\nparkeren,25\n", encoding="utf-8")
    (data / "kapot.csv").write_text("thema;hoeveel\nafval;1\n", encoding="utf-8")  # wrong layout
    _notebook(d / "test.ipynb")
    cfg = {"naam": "Teststad", "demodata": True, "bron": "vast", "eenheid": "wijk", "notebook": str(d / "test.ipynb"),
           "data_dir": str(data), "eenheden": [{"code": "a", "naam": "Wijk A"}, {"code": "b", "naam": "Wijk B"},
                                               {"code": "kapot", "naam": "Kapotte wijk"}]}
    (d / "config.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    summary = runner.run(d / "config.yaml", 2025, "all", jobs=2, out=d / "reports", progress=False)
    return d, summary


def test_failure_is_isolated_and_exit_code_nonzero(batch):
    d, summary = batch
    status = {r.ward_id: r.status for r in summary.results}
    assert status == {"a": "ok", "b": "ok", "kapot": "failed"}, summary.text()
    assert summary.exit_code == 1
    failed = summary.failed[0]
    assert "kapot.csv: kolom aantal ontbreekt" in failed.reason  # the cell's own message, one line
    assert "Traceback" not in failed.reason
    assert (d / "reports" / "2025" / failed.log).is_file()
    assert "MISLUKT Kapotte wijk" in summary.text()
    assert not (d / "reports" / "2025" / "test_2025_kapot.pdf").exists()


def test_outputs_named_from_parameters_and_atomic(batch):
    d, _ = batch
    out = d / "reports" / "2025"
    for w in ("a", "b"):
        assert (out / f"test_2025_{w}.pdf").read_bytes()[:5] == b"%PDF-"
        assert (out / f"test_2025_{w}.html").is_file()
        assert (out / "notebooks" / f"test_2025_{w}.ipynb").is_file()
    assert not list(out.rglob(f"{TMP_PREFIX}*"))


def test_manifest_has_status_duration_and_headline(batch):
    d, _ = batch
    out = d / "reports" / "2025"
    rows = {r["ward_id"]: r for r in json.loads((out / "manifest.json").read_text())["reports"]}
    assert rows["a"]["headline"] == {"totaal": 15, "wijk": "a"}
    assert rows["b"]["headline"]["totaal"] == 32
    assert rows["kapot"]["status"] == "failed" and rows["kapot"]["headline"] == {}
    assert all(r["duration_s"] > 0 for r in rows.values())
    csv = (out / "manifest.csv").read_text(encoding="utf-8")
    assert csv.startswith("\ufeff")  # Dutch Excel: BOM, ';', decimal commas
    assert csv.splitlines()[0].lstrip("\ufeff").startswith("kind;ward_id;ward;status;duration_s")
    assert len(csv.splitlines()) == 4
    assert "," in csv.splitlines()[1].split(";")[4]  # duration_s with a decimal comma


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_pdf_text_no_code_no_warnings_small_counts(batch):
    d, _ = batch
    text = subprocess.run(["pdftotext", str(d / "reports" / "2025" / "test_2025_a.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Wijk A" in text and "In het kort" in text
    assert "Totaal voor wijk a: 15 meldingen." in text
    assert "<5" in text  # jeugd = 3 is suppressed
    assert "SYNTHETISCHE DEMODATA" in text
    assert "Pagina 2 van 2" in text
    assert "import pandas" not in text and "rc.show_md" not in text  # no code
    assert "mag niet in het rapport" not in text  # warnings silenced / stderr removed
    assert "In [" not in text and "Out[" not in text  # no prompts


def test_rerun_is_idempotent(batch):
    d, first = batch
    again = runner.run(d / "config.yaml", 2025, "a,b", jobs=1, out=d / "reports", progress=False)
    assert again.exit_code == 0
    h1 = {r.ward_id: r.headline for r in first.results if r.status == "ok"}
    assert {r.ward_id: r.headline for r in again.results} == h1
    rows = json.loads((d / "reports" / "2025" / "manifest.json").read_text())["reports"]
    assert sorted(r["ward_id"] for r in rows) == ["a", "b", "kapot"]  # merged, not replaced


def test_unknown_ward_is_a_clear_error(batch):
    d, _ = batch
    with pytest.raises(ValueError, match="unknown unit 'zzz'"):
        runner.run(d / "config.yaml", 2025, "zzz", jobs=1, out=d / "reports", progress=False)


def test_cli_exit_status(batch, capsys):
    d, _ = batch
    from wijklib import cli

    code = cli.main(["report", "--config", str(d / "config.yaml"), "--year", "2025", "--wards", "kapot",
                     "--jobs", "1", "--out", str(d / "cli"), "--formats", "html", "--no-progress"])
    assert code == 1
    assert "0 van 1 rapporten gereed" in capsys.readouterr().out
    assert runner.main(["--config", str(d / "config.yaml"), "--formats", "docx"]) == 2


def test_kernel_is_this_interpreter():
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    name = runner.ensure_kernel()
    spec = KernelSpecManager().get_kernel_spec(name)
    assert Path(spec.argv[0]).resolve() == Path(sys.executable).resolve()


def test_slug_and_stem():
    assert runner.output_stem("wijkrapport", 2025, "Tarwewijk") == "wijkrapport_2025_tarwewijk"
    assert runner.slug("Hillegersberg-Schiebroek / Noord") == "hillegersberg-schiebroek-noord"


def test_kernel_failure_is_retried_once_but_a_cell_error_is_not(monkeypatch, tmp_path):
    """A kernel that dies at start (e.g. a port taken by a parallel start) gets one fresh retry; a failing
    cell is the ward's own error and is not retried."""
    import logging

    import papermill as pm

    nb = tmp_path / "t.ipynb"
    _notebook(nb)
    job = runner.Job(kind="wijk", unit_id="a", unit_name="A", notebook=str(nb), parameters={}, stem="t_a",
                     out_dir=str(tmp_path), formats=("pdf",), title="t", demodata=True)
    calls: list[str] = []
    monkeypatch.setattr(runner, "_kernel", lambda env=None: None)
    monkeypatch.setattr(runner, "_shutdown_kernel", lambda: calls.append("shutdown"))

    def dies_once(*args, **kwargs):
        calls.append("run")
        if calls.count("run") == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return "executed"

    monkeypatch.setattr(pm, "execute_notebook", dies_once)
    assert runner._execute(job, logging.getLogger("test")) == "executed"
    assert calls == ["run", "shutdown", "run"]

    calls.clear()

    def always_dies(*args, **kwargs):
        calls.append("run")
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(pm, "execute_notebook", always_dies)
    with pytest.raises(RuntimeError, match="Kernel died"):
        runner._execute(job, logging.getLogger("test"))
    assert calls == ["run", "shutdown", "run", "shutdown"]

    calls.clear()

    def cell_error(*args, **kwargs):
        calls.append("run")
        raise pm.PapermillExecutionError(1, 1, "x = 1", "ValueError", "kolom ontbreekt", [])

    monkeypatch.setattr(pm, "execute_notebook", cell_error)
    with pytest.raises(pm.PapermillExecutionError):
        runner._execute(job, logging.getLogger("test"))
    assert calls == ["run"]
