"""Every data-derived string is escaped in every output format: HTML, Markdown, SVG chart labels, PDF, CSV.

Payloads (script, img/onerror, Markdown links and images, bare and auto links, mathtext, spreadsheet
formulas) are planted in the report building blocks and, end to end, in a ward name, a theme and a quote
of a one-ward batch. A payload must show as literal text and never become markup.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import nbformat
import pandas as pd
import pytest
import yaml

from wijklib.report import content as rc
from wijklib.report import runner

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[klik hier](https://evil.example/a)",
    "![beeld](https://evil.example/b.png)",
    "<https://evil.example/c>",
    "https://evil.example/d",
    '"><svg onload=alert(3)>',
    "$\\alpha$ en 5$",
]

def live_markup(html: str) -> list[str]:
    """Elements and attributes a payload could have turned into (parsed, so escaped text never counts)."""
    from html.parser import HTMLParser

    found: list[str] = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            found.extend(f"<{tag} {k}=...>" for k in attrs if k.lower().startswith("on"))
            if tag == "script" or (tag == "img" and attrs.get("src") == "x") or tag == "svg":
                found.append(f"<{tag}>")
            href = attrs.get("href") or attrs.get("src") or ""
            if "evil.example" in href:
                found.append(f"<{tag} -> {href}>")

    P().feed(html)
    return found


def _md_html(text: str) -> str:
    """What nbconvert makes of a show_md output (the same Markdown renderer as the batch)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    shown = []
    orig = rc._display
    rc._display = shown.append
    try:
        rc.show_md(text)
    finally:
        rc._display = orig
    return markdown2html_mistune(shown[0].data)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_building_blocks_escape_data(payload):
    df = pd.DataFrame({payload: [payload, "afval"], "aantal": [3, 12]})
    parts = [
        rc.table_html(df, counts=["aantal"], caption=payload, note=payload),
        rc.chip(payload), rc.chip("op koers", kind=payload),
        rc.cover_html(kicker=payload, title=payload, subtitle=payload, meta=[(payload, payload)], demodata=True,
                      placebo=payload, foot=payload),
        _md_html(f"**Wijk {payload}**: thema {payload}, reden: {payload}."),
        _md_html(rc.md_escape(payload)),
    ]
    for html in parts:
        assert live_markup(html) == [], html
    assert "alert(1)" not in payload or "&lt;script&gt;alert(1)" in parts[0]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_svg_chart_labels_escape_data(payload):
    import xml.etree.ElementTree as ET

    import matplotlib.pyplot as plt

    from wijklib import plots

    plots.setup()
    d = pd.DataFrame({"thema": [payload, "afval"], "aantal": [7, 12]})
    fig, ax = plots.bars(d, x="thema", y="aantal", title=payload, horizontal=True)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = buf.getvalue()
    root = ET.fromstring(svg.encode())  # well-formed: nothing broke out of a text node
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert not tags & {"script", "img", "a", "foreignObject"}
    assert not [k for el in root.iter() for k in el.attrib if k.lower().startswith("on")]
    texts = " ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))
    assert payload in texts  # printed as written (also "$...$": no mathtext)
    slim = runner.svg_data_uri(svg)  # the report's own route into HTML/PDF
    import base64

    slim_root = ET.fromstring(base64.b64decode(slim.split(",", 1)[1]))
    assert not {el.tag.rsplit("}", 1)[-1] for el in slim_root.iter()} & {"script", "img", "a", "foreignObject"}


def test_manifest_csv_cells_cannot_run_as_formulas(tmp_path):
    res = runner.JobResult(kind="wijk", ward_id="a", ward="=HYPERLINK(\"https://evil.example\",\"x\")",
                           status="ok", duration_s=1.0, headline={"thema": "+cmd|' /C calc'!A0", "n": -3})
    runner.write_manifest(tmp_path, 2025, [res])
    rows = list(__import__("csv").DictReader((tmp_path / "manifest.csv").open(encoding="utf-8-sig"), delimiter=";"))
    assert rows[0]["ward"].startswith("'=") and rows[0]["thema"].startswith("'+")
    assert rows[0]["n"] == "-3"
    assert json.loads((tmp_path / "manifest.json").read_text())["reports"][0]["ward"].startswith("=")  # JSON as is


NOTEBOOK = [
    ('wijk: str = "a"\njaar: int = 2025\nconfig_path: str = "x"', ["parameters"]),
    ("import pandas as pd\nfrom wijklib.report import content as rc\nfrom wijklib import plots\n"
     "from wijklib.report.settings import load_config\ncfg = load_config(config_path)\nrc.setup_notebook()\n"
     "naam = dict(cfg.eenheden)[wijk]\ndf = pd.read_csv(cfg.data_dir / f'{wijk}.csv')\n"
     "rc.show_html(rc.cover_html(kicker='Test', title=naam, subtitle=str(jaar), meta=[('Wijk', naam)], demodata=True))\n"
     "rc.show_md(f'Signalen in {naam}: ' + '; '.join(f'{t} ({n})' for t, n in zip(df.thema, df.aantal)))\n"
     "rc.show_table(df, counts=['aantal'], caption=f'Thema’s in {naam}')\n"
     "fig, ax = plots.bars(df, x='thema', y='aantal', title=f'Signalen {naam}', horizontal=True); plots.show(fig)\n"
     "rc.show_html('<ul>' + ''.join(f'<li>{rc.html.escape(q)}</li>' for q in df.citaat) + '</ul>')\n"
     "rc.record_headline({'wijk': naam})", []),
]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_payloads_in_ward_name_theme_and_quote_stay_text_end_to_end(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    themes = PAYLOADS[:6]
    pd.DataFrame({"thema": themes, "aantal": [12, 7, 5, 9, 3, 6],
                  "citaat": [f"Bewoner zegt {p}" for p in PAYLOADS[:6]]}).to_csv(data / "x.csv", index=False)
    nb = nbformat.v4.new_notebook()
    for src, tags in NOTEBOOK:
        cell = nbformat.v4.new_code_cell(src)
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, tmp_path / "esc.ipynb")
    name = "Wijk <script>alert(9)</script> [x](https://evil.example/n)"
    cfg = {"naam": "Escapestad", "demodata": True, "bron": "vast", "eenheid": "wijk", "notebook": str(tmp_path / "esc.ipynb"),
           "data_dir": str(data), "eenheden": [{"code": "x", "naam": name}]}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    s = runner.run(tmp_path / "c.yaml", 2025, "all", jobs=1, out=tmp_path / "out", progress=False)
    assert s.exit_code == 0, s.text()
    out = tmp_path / "out" / "2025"
    html = (out / "esc_2025_x.html").read_text(encoding="utf-8")
    assert live_markup(html) == []
    assert "&lt;script&gt;alert(9)&lt;/script&gt;" in html  # the ward name, as text (title, cover, text)
    text = subprocess.run(["pdftotext", str(out / "esc_2025_x.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    assert "<script>alert(9)</script>" in flat  # printed literally in the PDF
    assert "[klik hier](https://evil.example/a)" in flat
