"""The SVG slimming of report charts draws the same picture with fewer nodes (wijklib.report.svg)."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from wijklib import plots  # noqa: E402
from wijklib.report.svg import slim_svg  # noqa: E402


def _chart_svg() -> str:
    plots.setup()
    d = pd.DataFrame({"periode": pd.date_range("2020-01", periods=24, freq="MS"),
                      "waargenomen": range(24), "contrafeitelijk": [12.0] * 24,
                      "conf_low": [10.0] * 24, "conf_high": [14.0] * 24})
    fig, _ = plots.observed_vs_counterfactual(d, start="2021-01-01", title="Meldingen per 1.000 inwoners")
    try:
        return plots.svg_bytes(fig)
    finally:
        plt.close(fig)


def test_slim_removes_wrappers_and_inline_styles() -> None:
    svg = _chart_svg()
    slim = slim_svg(svg)
    assert slim.count("<") < 0.7 * svg.count("<")  # matplotlib's id-only <g> wrappers are gone
    assert "style=" not in slim and "<metadata" not in slim
    # every id that is referenced still exists (clip paths, marker definitions)
    for ref in set(re.findall(r"(?:url\(#|href=\"#)([^)\"]+)", slim)):
        assert f'id="{ref}"' in slim, ref
    # the '*' rule of the stylesheet is folded in; an element's own style wins over it
    assert 'stroke-linecap="square"' in slim and 'stroke-linejoin="round"' in slim


def test_slim_keeps_documents_it_does_not_understand() -> None:
    other = ('<svg xmlns="http://www.w3.org/2000/svg"><defs><style>path{fill:red}</style></defs>'
             '<path d="M0 0"/></svg>')
    assert slim_svg(other) == other
    assert slim_svg("not xml <") == "not xml <"
    # a property without a presentation attribute keeps its element's style attribute
    odd = '<svg xmlns="http://www.w3.org/2000/svg"><text style="font: 8px sans-serif">a</text></svg>'
    assert 'style="font: 8px sans-serif"' in slim_svg(odd)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) not installed")
def test_slim_svg_prints_the_same_pixels(tmp_path: Path) -> None:
    from wijklib.report.pdf import html_to_pdf

    svg = _chart_svg()
    pixels = []
    for name, doc in (("orig", svg), ("slim", slim_svg(svg))):
        uri = "data:image/svg+xml;base64," + base64.b64encode(doc.encode()).decode()
        pdf = html_to_pdf(f"<html><body><img src='{uri}'/></body></html>", tmp_path / f"{name}.pdf")
        subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf), str(tmp_path / name)], check=True)
        pixels.append((tmp_path / f"{name}-1.png").read_bytes())
    assert pixels[0] == pixels[1]
