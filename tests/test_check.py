"""wijklib check: per source files, rows, period, units, skipped rows, gaps; verdict and exit status."""

from __future__ import annotations

from wijklib import check, cli

PAYLOAD = "<script>alert(1)</script>"


def _files(tmp_path, bad_value="afval"):
    rows = "".join(f"M{i};0{1 + i % 8}-03-2021 10:00;;MeldR;{bad_value if i == 3 else 'afval'};;BU05991571;open\n"
                   for i in range(40))
    (tmp_path / "m.csv").write_text("Meldingnummer;Datum melding;Datum afhandeling;Kanaal;Hoofdcategorie;"
                                    "Subcategorie;Buurtcode;Status\n" + rows, encoding="utf-8")
    (tmp_path / "iv.csv").write_text("Wijkraad;Startdatum;Uren per week\ntarwewijk;01-03-2021;24,5\n")


def test_check_passes_prints_and_writes_html(tmp_path, capsys):
    _files(tmp_path)
    cfg = tmp_path / "run.yaml"
    cfg.write_text("sources:\n  meldingen:\n    files: m.csv\n    period: {start: 2021-02, end: 2021-03}\n"
                   "  interventie: {files: iv.csv}\n")
    rc = cli.main(["check", "--config", str(cfg), "--html", str(tmp_path / "c.html")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "files read: m.csv (40 rows)" in out and "units matched: by code 40" in out
    assert "months inside the declared period without any row (counted as true zeros): 2021-02" in out
    assert "Verdict: a batch can run" in out
    assert "Verdict: a batch can run" in (tmp_path / "c.html").read_text()


def test_unusable_source_blocks_with_exit_1_and_html_is_escaped(tmp_path, capsys):
    _files(tmp_path, bad_value=PAYLOAD)
    cfg = tmp_path / "run.yaml"
    cfg.write_text("sources:\n  meldingen: {files: m.csv, period: {start: 2021-03, end: 2021-03}}\n"
                   "  interventie: {files: nope.csv}\n")
    rc = cli.main(["check", "--config", str(cfg), "--html", str(tmp_path / "c.html")])
    out = capsys.readouterr().out
    assert rc == 1
    assert "[meldingen]" in out and "m.csv row 5, column 'Hoofdcategorie'" in out
    assert "[interventie]" in out and "nope.csv" in out and "a batch cannot run: meldingen, interventie" in out
    page = (tmp_path / "c.html").read_text()
    assert PAYLOAD not in page and "&lt;script&gt;" in page
    # Lenient: the bad row is skipped, listed with its reason, and the batch may run.
    cfg.write_text("sources:\n  meldingen: {files: m.csv, lenient: true, period: {start: 2021-03, end: 2021-03}}\n")
    res = check.check(cfg, html=tmp_path / "c2.html")
    assert res.ok and res.sources["meldingen"].rows == 39
    assert "rows skipped: 1 (1 x unknown categorie" in res.text()
    page = (tmp_path / "c2.html").read_text()
    assert PAYLOAD not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_bad_config_exits_1(tmp_path, capsys):
    cfg = tmp_path / "run.yaml"
    cfg.write_text("sources:\n  meldingen: {layout: nope, files: m.csv}\n")
    assert cli.main(["check", "--config", str(cfg), "--html", ""]) == 1
    assert "sources.meldingen.layout = 'nope': unknown layout" in capsys.readouterr().err
