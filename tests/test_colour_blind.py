"""Verdict colours stay apart for readers with a colour-vision deficiency, and every chip also says its verdict.

Dichromacy is simulated with the severity-1.0 matrices of Machado, Oliveira & Fernandes (2009), "A
physiologically-based model for simulation of color vision deficiency", IEEE TVCG 15(6):1291-1298, as
tabulated in colour-science's ``CVD_MATRICES_MACHADO2010`` (applied to linear sRGB). Distances are CIE76
Delta E in CIELAB (D65); 15 is well above the ~2.3 of a just-noticeable difference, so two verdicts never
look alike on a map, where the colour is the only cue.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from wijklib import plots
from wijklib.geo import maps
from wijklib.report import content

MACHADO_2009 = {
    "normaal": np.eye(3),
    "protanopie": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopie": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopie": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
MIN_DELTA_E = 15.0
CSS = Path(content.__file__).with_name("style.css")


def _linear(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    c = np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ np.clip(rgb, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: str) -> float:
    m = MACHADO_2009[vision]
    return float(np.linalg.norm(_lab(m @ _linear(a)) - _lab(m @ _linear(b))))


def _contrast_with_white(hex_colour: str) -> float:
    lum = float(np.array([0.2126, 0.7152, 0.0722]) @ _linear(hex_colour))
    return 1.05 / (lum + 0.05)


def chip_colours() -> dict[str, str]:
    """Chip class -> background colour, read from the report's style sheet."""
    out = {}
    for sel, colour in re.findall(r"((?:\.chip\.[\w-]+(?:,\s*)?)+)\s*\{\s*background:\s*(#[0-9a-fA-F]{3,6})", CSS.read_text()):
        for cls in re.findall(r"\.chip\.([\w-]+)", sel):
            out[cls] = colour
    return out


PALETTES = {"geo.maps": maps.VERDICT_COLORS, "kaart (schematisch)": content.VERDICT_MAP_COLORS,
            "plots": plots.VERDICT_COLORS}


@pytest.mark.parametrize("name", [*PALETTES, "chips"])
@pytest.mark.parametrize("vision", list(MACHADO_2009))
def test_verdict_colours_stay_apart(name, vision):
    pal = chip_colours() if name == "chips" else PALETTES[name]
    colours = sorted({c.upper() for c in pal.values()})
    assert len(colours) >= 3, pal
    for a, b in itertools.combinations(colours, 2):
        assert delta_e(a, b, vision) >= MIN_DELTA_E, (name, vision, a, b, round(delta_e(a, b, vision), 1))


def test_one_verdict_one_colour_in_every_map():
    for verdict, colour in maps.VERDICT_COLORS.items():
        assert content.VERDICT_MAP_COLORS[verdict].upper() == colour.upper(), verdict
    short = {"op koers": "gunstig", "geen aantoonbare verandering": "geen effect",
             "ongunstige ontwikkeling": "ongunstig", "onvoldoende gegevens": "onvoldoende gegevens"}
    for verdict, word in short.items():
        assert plots.VERDICT_COLORS[word].upper() == maps.VERDICT_COLORS[verdict].upper(), verdict


def test_every_chip_names_its_verdict_and_its_white_text_is_legible():
    chips = chip_colours()
    for verdict in maps.VERDICT_COLORS:
        html = content.verdict_chip(verdict)
        cls = re.search(r'class="chip ([\w-]+)"', html).group(1)
        assert f">{verdict}<" in html, html  # the colour is never the only cue
        assert cls in chips, (verdict, cls)
        # WCAG 2.1 AA for small text: contrast with the white chip text at least 4.5
        assert _contrast_with_white(chips[cls]) >= 4.5, (verdict, chips[cls])


def test_the_check_can_fail():
    assert delta_e("#D55E00", "#009E73", "deuteranopie") < delta_e("#D55E00", "#009E73", "normaal")
    assert delta_e("#777777", "#00795A", "deuteranopie") < MIN_DELTA_E  # the old chip pair
