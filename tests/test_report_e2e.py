"""End-to-end: the demo batch for six wards of every kind, checked against wijklib computed directly.

About a minute on 2 cores (the monitor evaluates the city once); part of `make test`, which generates
the demo data first. Batch mechanics are also tested on a tiny notebook in test_report_runner.py and on
real police data (The Hague, politie only, the same ward-report notebook) in test_report_police.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from wijklib.config import DEMO_RAW_DIR

# Treated early (bloemhof 2019), in the middle (tarwewijk 2022) and late (katendrecht-wilhelminapier 2023), never
# treated (kralingen), never treated with sparse data whose intervals are too wide (hillesluis), not started in the
# report year (heijplaat).
WARDS = ["tarwewijk", "bloemhof", "katendrecht-wilhelminapier", "kralingen", "hillesluis", "heijplaat"]
#: Technical terms a council member should not meet before the method section (which explains them).
BANNED = ["difference-in-differences", "event study", "rate ratio", "wild", "bootstrap", "gestudentiseerd",
          "RAG", "Poisson", "Wooldridge", "Newey", "Newcombe", "quasi", "cohort", "HAC", "placebo-in-ruimte"]
HEADINGS = ["In het kort", "Niveau 1", "Objectieve ontwikkelingen", "Niveau 2", "Veiligheidsbeleving en signalen",
            "Niveau 3", "Verankering in het wijknetwerk", "Wijkakkoord en herijking", "Methode en kanttekeningen",
            "Bronnen"]

pytestmark = [
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed"),
    pytest.mark.skipif(not (DEMO_RAW_DIR / "truth.json").is_file(),
                       reason=f"no demo data in {DEMO_RAW_DIR}; run `make demo-data` first"),
]


def _squash(s: str) -> str:
    """Drop whitespace and hyphens: pdftotext loses a hyphen at a line end and breaks lines anywhere."""
    return re.sub(r"[\s\-\u00ad\u2010]", "", s)


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    from wijklib.report import runner

    out = tmp_path_factory.mktemp("reports")
    summary = runner.run("config/demo.yaml", 2025, ",".join(WARDS), jobs=2, out=out, progress=False)
    return out / "2025", summary


def test_three_wards_pdf_matches_monitor(batch):
    from wijklib import monitor, panel
    from wijklib.report.content import priority_effect_text

    out, summary = batch
    assert summary.exit_code == 0, summary.text()
    # Computed directly, without the report cache: a fresh context on the raw demo files.
    ctx = monitor.Context(panel.load_demo(DEMO_RAW_DIR), config="config/monitor.yaml")
    for w in WARDS:
        ev = monitor.evaluate_ward(w, 2025, context=ctx)
        text = _pdf_text(out / f"wijkrapport_2025_{w}.pdf")
        flat = " ".join(text.split())
        assert ev.wijkraad in flat
        assert "SYNTHETISCHE DEMODATA" in flat
        for h in HEADINGS:
            assert h in flat, f"{w}: heading {h!r} missing"
        assert "import " not in text and "rapport." not in text  # no code in the PDF
        squashed = _squash(text)
        pr = ev.to_frame("priorities")
        assert len(pr) > 0
        for r in pr.itertuples():
            expected = priority_effect_text(r)
            assert _squash(expected) in squashed, f"{w}: {r.indicator}: {expected} not in the PDF"
        row = next(x for x in json.loads((out / "manifest.json").read_text())["reports"] if x["ward_id"] == w)
        assert row["headline"]["verdicts"] == ev.headline()["verdicts"]


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="pdfinfo (poppler-utils) not installed")
def test_pdfs_are_tagged_for_screen_readers(batch):
    """Every PDF of the batch is a tagged PDF (PDF/UA-1) with the document's title."""
    out, summary = batch
    pdfs = sorted(out.glob("*.pdf"))
    assert {f"wijkrapport_2025_{w}.pdf" for w in WARDS} <= {p.name for p in pdfs}, [p.name for p in pdfs]
    assert (out / "tabellen_2025.xlsx").is_file(), "the batch writes its workbook next to the manifest"
    for pdf in pdfs:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
        assert fields["Tagged"].strip() == "yes", f"{pdf.name}: {info}"
        assert fields.get("Title", "").strip(), f"{pdf.name} has no document title: {info}"


def test_charts_carry_alternative_texts_of_what_they_show(batch):
    """Every chart image in the HTML reports says what it shows, not just "grafiek"."""
    import html as html_lib

    out, _ = batch
    for w in WARDS:
        page = (out / f"wijkrapport_2025_{w}.html").read_text(encoding="utf-8")
        alts = [html_lib.unescape(a) for a in re.findall(r'<img alt="([^"]*)"', page)]
        assert len(alts) >= 4, f"{w}: {len(alts)} charts"
        for a in alts:
            assert len(a) > 25 and a.lower() != "grafiek", f"{w}: alt text {a!r}"
            assert re.search(r"\d", a) or a.startswith("Kaart"), f"{w}: alt text without a figure: {a!r}"


def _running_text(text: str) -> str:
    """The report up to its method section (the heading on a line of its own, not the running header)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "Methode en kanttekeningen":
            return "\n".join(lines[:i])
    raise AssertionError("no method section found")


def test_plain_dutch_in_the_running_text(batch):
    """No jargon before the method section; nowhere an ISO date, a ward slug, a raw area code, a
    "0,000" p-value, "(en)", a decimal point or a repository path."""
    from wijklib.report import evaluations
    from wijklib.report.settings import load_config

    out, _ = batch
    cfg = load_config("config/demo.yaml")
    slugs = {code for code, name in evaluations.geography_units(cfg) if "-" in code and code != name}
    assert slugs, "the demo has hyphenated ward codes to look for"
    for w in WARDS:
        text = _pdf_text(out / f"wijkrapport_2025_{w}.pdf")
        flat = " ".join(_running_text(text).split())
        for term in BANNED:
            flags = 0 if term.isupper() else re.IGNORECASE
            hit = re.search(r"(?<![\w-])" + re.escape(term) + r"(?!\w)", flat, flags)
            assert hit is None, f"{w}: {term!r} in the running text: …{flat[max(0, hit.start() - 80):hit.end() + 40]}…"
        whole = " ".join(text.split())
        assert not re.search(r"\b(?:19|20)\d{2}-\d{2}\b", whole), f"{w}: ISO date {re.findall(r'(?:19|20)[0-9-]{5,8}', whole)}"
        assert not re.search(r"\b(?:BU|WK|GM)\d{4,8}\b", whole), f"{w}: raw area code in the report"
        assert not re.search(r"p\s*[=<]\s*0,000", whole), f"{w}: a p-value printed as 0,000"
        assert "(en)" not in whole, f"{w}: '(en)' instead of a counted noun"
        assert not re.search(r"(?<![\d.])\d+\.\d{1,2}(?![\d.])", whole), (
            f"{w}: a decimal point: {re.findall(r'(?<![0-9.])[0-9]+[.][0-9]{1,2}(?![0-9.])', whole)[:5]}")
        assert not re.search(r"benchmarks/|\.md\b|\.py\b", whole), f"{w}: a repository path in the report"
        for slug in slugs:
            assert not re.search(r"(?<![\w-])" + re.escape(slug) + r"(?![\w-])", whole), f"{w}: ward slug {slug!r}"
        # Dutch numbers: a real minus sign before a number (not a hyphen), no signed zero, no "(s)"-plurals.
        assert not re.search(r"(?<![\w\d.,)-])-\d+(?:,\d+)?%", whole), (
            f"{w}: a hyphen as minus sign: {re.findall(r'.{30}(?<![0-9])-[0-9]+%', whole)[:3]}")
        assert not re.search(r"[+\u2212]0%", whole), f"{w}: a signed zero percentage"
        assert not re.search(r"\w\((?:s|en|n)\)", whole), f"{w}: a '(en)'-plural"
        assert "Aantal politie" not in whole, f"{w}: a data-log row named by its column, not in words"


def _method_section(text: str) -> str:
    """The report from its method section to the sources."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Methode en kanttekeningen")
    end = next((i for i in range(start, len(lines)) if lines[i].strip() == "Bronnen"), len(lines))
    return "\n".join(lines[start:end])


def test_method_section_explains_its_technical_terms_in_a_glossary(batch):
    """The technical names stay in the method section; its begrippenlijst explains each one it uses."""
    from wijklib.monitor.glossary import GLOSSARY

    out, _ = batch
    for w in WARDS:
        method = " ".join(_method_section(_pdf_text(out / f"wijkrapport_2025_{w}.pdf")).split())
        assert "Begrippenlijst" in method, f"{w}: no glossary in the method section"
        glossary = method[method.index("Begrippenlijst"):]
        body = method[:method.index("Begrippenlijst")]
        for term in BANNED:
            if re.search(r"(?<![\w-])" + re.escape(term) + r"(?!\w)", body, 0 if term.isupper() else re.IGNORECASE):
                entry = next((t for t, (spellings, _) in GLOSSARY.items()
                              if any(sp.lower() in term.lower() or term.lower() in sp.lower() for sp in spellings)),
                             None)
                assert entry is not None, f"{w}: {term!r} used in the method section, not in the glossary"
                assert _squash(entry.split(" (")[0]) in _squash(glossary), f"{w}: {entry!r} not explained"


def test_city_table_shows_the_verdicts_of_the_ward_reports(batch, monkeypatch):
    """For every ward of the batch: the city overview's first-priority verdict and verdict counts are the
    ones the ward's own PDF prints (and the monitor computes from the raw files)."""
    from wijklib import monitor, panel
    from wijklib.report import content, evaluations
    from wijklib.report.content import CityReport, verdict_summary
    from wijklib.report.settings import load_config

    out, _ = batch
    # The overview of the batch's cache (its wards), without evaluating the whole city again.
    monkeypatch.setenv(evaluations.PINNED_ENV,
                       content.prepare(load_config("config/demo.yaml"), 2025, WARDS)[evaluations.PINNED_ENV])
    table = CityReport(2025, "config/demo.yaml").table().set_index("wijkraad_id")
    assert set(WARDS) <= set(table.index), table.index
    ctx = monitor.Context(panel.load_demo(DEMO_RAW_DIR), config="config/monitor.yaml")
    for w in WARDS:
        ev = monitor.evaluate_ward(w, 2025, context=ctx)
        row = table.loc[w]
        first = ev.priorities[0] if ev.priorities else None
        assert row["prioriteit_oordeel"] == (first.verdict if first else ""), w
        assert row["oordelen"] == verdict_summary(ev.headline()["verdicts"]), w
        ward_pdf = _squash(_pdf_text(out / f"wijkrapport_2025_{w}.pdf"))
        if row["oordelen"]:
            assert _squash("Samengevat: " + row["oordelen"]) in ward_pdf, (w, row["oordelen"])
        assert row["wijkraad"] == ev.wijkraad


def test_not_started_ward_gets_no_effect_table_but_a_statement_and_its_development(batch):
    out, _ = batch
    flat = " ".join(_pdf_text(out / "wijkrapport_2025_heijplaat.pdf").split())
    assert "Nog geen effect te meten" in flat
    assert "Geschat effect sinds de start, per uitkomst" not in flat
    assert "vergeleken met de rest van de stad" in flat
    # No interval wider than the data support (the verdict rule's max_relative_width): such rows say so.
    running = " ".join(_running_text(_pdf_text(out / "wijkrapport_2025_heijplaat.pdf")).split())
    table = running[running.index("vergeleken met de rest van de stad"):]
    assert not re.search(r"\+\d{1,3}(?:\.\d{3})+%|\+[2-9]\d\d%", table.split("Dit beschrijft")[0]), table[:600]
    assert "te weinig gebeurtenissen" in table


def test_a_failed_placebo_check_makes_the_verdict_onzeker_in_the_report(batch):
    """Tarwewijk deviated before the start more than all 14 placebo wards on its first priority: the
    monitor says "onzeker" with the reason, and the chart's text says the same rule did it."""
    out, _ = batch
    flat = " ".join(_pdf_text(out / "wijkrapport_2025_tarwewijk.pdf").split())
    squashed = _squash(flat)
    assert _squash("meer af dan alle 14 vergelijkingswijken die voor de controle dezelfde startdatum kregen") in squashed
    assert _squash("Volgens de beslisregel wordt een oordeel 'op koers' of 'ongunstige ontwikkeling' voor "
                   "meldingen afval daarom 'onzeker'") in squashed


def test_one_headline_estimate_per_outcome_and_the_other_design_as_a_check(batch):
    """A treated ward's effect table holds only effect designs; a second design is introduced as a check
    of the headline estimate, with one sentence on whether it agrees."""
    out, _ = batch
    squashed = _squash(_pdf_text(out / "wijkrapport_2025_tarwewijk.pdf"))
    assert _squash("Geschat effect sinds de start, per uitkomst") in squashed
    assert _squash("De hoofdschatting is") in squashed
    assert _squash("Die controle wijst") in squashed
    assert squashed.count(_squash("Geschat effect sinds de start, per uitkomst")) == 1


def test_network_figures_are_defined_where_they_appear(batch):
    out, _ = batch
    squashed = _squash(_pdf_text(out / "wijkrapport_2025_tarwewijk.pdf"))
    for text in ("Kernpartners actief (van 3)", "Netwerkscore = 100 ×", "Samenwerkingen (alle partners)",
                 "Regelmaat: aandeel van de kwartalen"):
        assert _squash(text) in squashed, text


def test_broken_ward_input_fails_alone(batch, tmp_path, monkeypatch):
    """Corrupt one ward's evaluation (its input to the report): it fails with a reason, the others finish."""
    from pathlib import Path

    from wijklib.report import content, evaluations, runner
    from wijklib.report.settings import load_config

    cfg = load_config("config/demo.yaml")
    src = Path(content.prepare(cfg, 2025, WARDS)[evaluations.PINNED_ENV])  # cached by the batch above
    dst = tmp_path / "cache" / src.name
    shutil.copytree(src, dst)
    # Pin the batch to the copy (as the runner pins its workers), so it does not re-evaluate the city.
    monkeypatch.setenv(evaluations.PINNED_ENV, str(dst))
    (dst / "evaluations" / "bloemhof_2025.json").write_text('{"schema_version": 1, "wijkraad_id": ', encoding="utf-8")
    summary = runner.run("config/demo.yaml", 2025, ",".join(WARDS), jobs=2, out=tmp_path / "out", progress=False)
    status = {r.ward_id: r.status for r in summary.results}
    assert status == {**{w: "ok" for w in WARDS}, "bloemhof": "failed"}
    assert summary.exit_code == 1
    reason = summary.failed[0].reason
    assert "bloemhof_2025.json" in reason and "not a valid evaluation JSON" in reason
    assert (tmp_path / "out" / "2025" / "wijkrapport_2025_tarwewijk.pdf").is_file()
    assert not (tmp_path / "out" / "2025" / "wijkrapport_2025_bloemhof.pdf").exists()


def _page_fill(pdf, dpi: int = 20) -> list[float]:
    """Per page, how far down the body (between running header and footer) the lowest ink reaches (0-1)."""
    import tempfile
    from pathlib import Path

    import numpy as np
    from PIL import Image

    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), f"{d}/p"], check=True)
        fills = []
        for f in sorted(Path(d).glob("p-*.pgm")):
            a = np.asarray(Image.open(f), dtype=float)
            body = a[int(0.08 * a.shape[0]): int(0.92 * a.shape[0])]
            rows = np.flatnonzero((body < 200).any(axis=1))
            fills.append(0.0 if rows.size == 0 else (rows[-1] + 1) / body.shape[0])
    return fills


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) not installed")
def test_no_nearly_empty_pages(batch):
    """No page but the cover and the last ends in its top third (a forced section break after a section
    that ran a few lines over left such pages: the tail of the quote list, the last rows of a table)."""
    out, _ = batch
    pdfs = sorted(out.glob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        fills = _page_fill(pdf)
        for page, fill in enumerate(fills[1:-1], start=2):
            assert fill >= 0.35, f"{pdf.name}: page {page} of {len(fills)} is filled to {fill:.0%} only"


def test_city_table_prints_on_landscape_pages_and_the_rest_on_portrait(batch, tmp_path):
    """The overview's ten-column table is too wide for portrait A4: its pages are landscape, the cover,
    the summary and the method section after it are portrait again; the ward reports stay portrait."""
    out, _ = batch

    def sizes(pdf) -> list[tuple[float, float]]:
        n = re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                         check=True).stdout).group(1)
        info = subprocess.run(["pdfinfo", "-f", "1", "-l", n, str(pdf)], capture_output=True, text=True,
                              check=True).stdout
        return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]

    def page_text(pdf, n: int) -> str:
        return subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout

    from wijklib.report import content, runner
    from wijklib.report.settings import load_config

    # The overview of the batch's wards (its evaluation cache), without evaluating the whole city again.
    cfg = load_config("config/demo.yaml")
    site = tmp_path / "stad"
    job = runner.build_jobs(cfg, 2025, [], site, ["pdf"], True)[-1]
    assert job.kind == "stad"
    try:
        result = runner.run_job(job, env=content.prepare(cfg, 2025, WARDS))
    finally:
        runner._shutdown_kernel()  # no kernel of this process may outlive the test (the fault tests signal children)
    assert result.status == "ok", result.reason
    overview = site / f"{job.stem}.pdf"
    pages = sizes(overview)
    landscape = [i + 1 for i, (w, h) in enumerate(pages) if w > h]
    assert landscape, pages
    assert landscape == list(range(landscape[0], landscape[-1] + 1))  # one run of pages
    assert "Alle wijkraden" in page_text(overview, landscape[0])
    assert pages[0][0] < pages[0][1]  # the cover
    method = next(i + 1 for i in range(len(pages)) if "Methode en kanttekeningen" in page_text(overview, i + 1))
    assert method == landscape[-1] + 1 and pages[method - 1][0] < pages[method - 1][1]
    for pdf in out.glob("wijkrapport_*.pdf"):
        assert all(w < h for w, h in sizes(pdf)), pdf.name
