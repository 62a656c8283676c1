"""Alternative texts of charts (plots.describe): generated from what a chart draws, in Dutch."""

from __future__ import annotations

import re

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from wijklib import plots  # noqa: E402


def test_date_axis_lines_are_described_with_dutch_months_and_numbers():
    fig, ax = plots.figure()
    t = pd.date_range("2012-01-01", periods=24, freq="MS")
    y = np.linspace(10.5, 20.4, 24)
    y[5] = 3.5
    ax.plot(t, y, label="Waargenomen")
    ax.axhline(0)  # a reference line is not a series
    ax.set_title("Meldingen per maand")
    text = plots.describe(fig)
    plt.close(fig)
    assert text.startswith("Grafiek Meldingen per maand.")
    assert "Waargenomen: van 10,5 (bij jan. 2012) tot 20,4 (bij dec. 2013)" in text
    assert "laagste 3,50" in text and "hoogste 20,4" in text
    assert "lijn" not in text  # the axhline is left out


def test_unlabelled_lines_are_named_by_their_role_colour_and_panels_are_counted():
    fig, axes = plt.subplots(1, 2)
    fig.suptitle("Per jaar")
    for ax, name in zip(axes, ["diefstal", "geweld"], strict=True):
        ax.plot([2019, 2020, 2021], [1.0, 2.0, 1500.0], color=plots.COLORS["wijk"])
        ax.plot([2019, 2020, 2021], [1.0, 1.0, 1.0], color=plots.COLORS["stad"])
        ax.set_title(name)
    text = plots.describe(fig)
    plt.close(fig)
    assert text.startswith("2 deelgrafieken: Per jaar.")
    assert "Grafiek diefstal. wijk: van 1 (bij 2019) tot 1.500 (bij 2021)" in text
    assert "stad: van 1 (bij 2019)" in text and "Grafiek geweld." in text


def test_bars_and_maps():
    fig, ax = plots.figure()
    ax.barh(["afval", "parkeren"], [19, 4], label="aantal")
    text = plots.describe(fig)
    plt.close(fig)
    assert "2 staven (aantal); de hoogste afval: 19." in text
    square = [(0, 0), (1, 0), (1, 1), (0, 1)]
    fig, ax = plots.choropleth({"a": square, "b": [(x + 1, y) for x, y in square]}, {"a": "hier", "b": "elders"},
                               colors={"hier": "#1f4e79", "elders": "#cccccc"}, title="Ligging")
    text = plots.describe(fig)
    plt.close(fig)
    assert text.startswith("Kaart Ligging.") and "2 gebieden" in text


def test_long_descriptions_are_cut_at_a_word():
    fig, ax = plots.figure()
    for i in range(40):
        ax.plot([0, 1, 2], [i, i + 1, i + 2], label=f"reeks nummer {i}")
    text = plots.describe(fig, max_chars=200)
    plt.close(fig)
    assert len(text) <= 200 and text.endswith("\u2026")


def test_chart_axes_use_the_dutch_decimal_comma():
    fig, ax = plots.figure()
    ax.plot([0, 1, 2], [0.0, 7.5, 17.5])
    svg = plots.svg_bytes(fig)
    plt.close(fig)
    labels = re.findall(r"<!-- (.*?) -->|<text[^>]*>([^<]*)</text>", svg)
    labels = {a or b for a, b in labels}
    assert "7,5" in labels and "12,5" in labels, labels
    assert not {"2.5", "7.5", "12.5"} & labels
