"""Shared chart styling for the reports: readable on A4, Dutch labels, vector (SVG) output.

Every chart in a report is drawn by a function here (or by an estimator's ``plot()`` after
:func:`setup`), so fonts, sizes and colours are the same throughout a PDF. Sizes are in inches for a
16 cm wide text block; fonts are 8.5–10 pt at that size, so they print at their real size.
Functions take plain tables and return ``(fig, ax)``; they never call ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.layout_engine
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.patches import Patch, Polygon

from wijklib import nl
from wijklib.labels import label

#: Width of the text block of an A4 page with 2.2 cm margins, in inches.
TEXT_WIDTH = 6.3
SIZES = {"wide": (TEXT_WIDTH, 2.7), "half": (TEXT_WIDTH / 2 - 0.1, 2.4), "tall": (TEXT_WIDTH, 4.2),
         "map": (TEXT_WIDTH, 5.0)}
#: Colours: the ward (dark blue), the city / reference (grey), the counterfactual (orange), bands.
COLORS = {"wijk": "#1f4e79", "stad": "#8c8c8c", "contrafeitelijk": "#d9822b", "band": "#9ecae1",
          "nul": "#444444", "start": "#b22222"}
#: Verdict -> colour for the short verdict words, colour-blind safe (Okabe-Ito): the same colours as the
#: monitor's verdicts in :data:`wijklib.geo.maps.VERDICT_COLORS` (kept equal by tests/test_colour_blind.py).
VERDICT_COLORS = {"effect": "#009E73", "gunstig": "#009E73", "geen effect": "#F0E442",
                  "ongunstig": "#D55E00", "onzeker": "#BBBBBB", "onvoldoende gegevens": "#BBBBBB"}

_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.4,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    # Text stays text in the SVG: sharp at any zoom, searchable in the PDF, and small files.
    "svg.fonttype": "none",
    # Chart labels carry data (ward names, themes): "$" must print as "$", never start mathtext.
    "text.parse_math": False,
    "axes.formatter.use_locale": False,
}


def setup() -> None:
    """Apply the report style and make notebooks emit SVG figures (vector charts in HTML and PDF).

    Safe to call more than once (the report kernel is reused for several wards).

    Examples
    --------
    >>> setup()
    >>> plt.rcParams["svg.fonttype"]
    'none'
    """
    plt.rcdefaults()
    plt.rcParams.update(_RC)
    try:  # only inside an IPython kernel
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("svg")
    except Exception:  # noqa: BLE001 - outside IPython there is nothing to configure
        pass


def figure(size: str = "wide") -> tuple[plt.Figure, plt.Axes]:
    """A new figure of a standard report size (``wide``, ``half``, ``tall``, ``map``).

    Examples
    --------
    >>> fig, ax = figure("half"); plt.close(fig)
    """
    if size not in SIZES:
        raise ValueError(f"figure size {size!r} unknown; expected one of {sorted(SIZES)}")
    return plt.subplots(figsize=SIZES[size], layout="constrained")


def _nl_number(x: float, pos: int | None = None) -> str:
    """Tick formatter with Dutch decimal comma and thousands dot."""
    return nl.number(x, 0 if abs(x - round(x)) < 1e-9 else 1)


def wrap(text: str, width: int = 70) -> str:
    """Wrap a chart title so it never runs past the figure (SVG text is not clipped by the layout).

    Examples
    --------
    >>> print(wrap("Naleving (aandeel controles zonder overtreding)", 25))
    Naleving (aandeel
    controles zonder
    overtreding)
    """
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) if text else text


class DutchFormatter(matplotlib.ticker.Formatter):
    """Tick labels with a decimal comma and a thousands dot, with as many decimals as the ticks need.

    All ticks of an axis get the same number of decimals: the fewest (at most 3) that show every tick
    exactly, so 0.55 / 0.60 / 0.65 do not all print as "0,6" (a fixed single decimal did that).

    Examples
    --------
    >>> DutchFormatter().format_ticks([0.55, 0.6, 0.65])
    ['0,55', '0,60', '0,65']
    >>> DutchFormatter().format_ticks([0, 2500, 5000])
    ['0', '2.500', '5.000']
    """

    def __init__(self) -> None:
        self.decimals: int | None = None

    def format_ticks(self, values: Any) -> list[str]:
        vals = [float(v) for v in values]
        self.decimals = next((d for d in range(4) if all(abs(round(v, d) - v) < 1e-9 * max(1.0, abs(v))
                                                         for v in vals)), 3)
        try:
            return [self(v) for v in vals]
        finally:
            self.decimals = None

    def __call__(self, x: float, pos: int | None = None) -> str:
        if self.decimals is None:
            return _nl_number(x)
        return nl.number(x, self.decimals)


def dutch_numbers(ax: plt.Axes, axis: str = "y") -> None:
    """Dutch tick labels (decimal comma, thousands dot) on an axis holding quantities, not years.

    Examples
    --------
    >>> fig, ax = figure(); dutch_numbers(ax); plt.close(fig)
    """
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(DutchFormatter())


def years_axis(ax: plt.Axes) -> None:
    """Whole years on the x axis, without a thousands separator.

    Examples
    --------
    >>> fig, ax = figure(); years_axis(ax); plt.close(fig)
    """
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=5))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, pos=None: f"{x:.0f}"))


def title_chars(ax: plt.Axes, share: float = 0.85) -> int:
    """How many characters of the axes' bold title fit on one line of ``share`` of the figure's width.

    A bold DejaVu Sans character is about 0.6 em wide on average; a left-aligned title starts at the
    axes' left edge, so only part of the figure width is available. (A fixed 80 let titles with long
    words run past the figure edge, where the SVG cuts them off.)

    Examples
    --------
    >>> fig, ax = figure(); n = title_chars(ax); plt.close(fig)
    >>> 40 <= n <= 75
    True
    """
    return max(20, int(ax.figure.get_figwidth() * 72 * share / (0.6 * ax.title.get_fontsize())))


def _finish(ax: plt.Axes, ylabel: str | None, title: str | None, width: int | None = None) -> None:
    dutch_numbers(ax)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(wrap(title, width or title_chars(ax)), loc="left")


class DutchScalarFormatter(matplotlib.ticker.ScalarFormatter):
    """Matplotlib's default tick labels with a Dutch decimal comma (``2,5``, never ``2.5``).

    Examples
    --------
    >>> f = DutchScalarFormatter(); f.create_dummy_axis(); f.set_locs([0.0, 2.5, 5.0]); f(2.5)
    '2,5'
    """

    def __call__(self, x: float, pos: int | None = None) -> str:
        return super().__call__(x, pos).replace(".", ",")

    def get_offset(self) -> str:
        return super().get_offset().replace(".", ",")


def dutch_ticks(fig: plt.Figure) -> None:
    """Give every numeric axis of ``fig`` Dutch decimal commas (dates, logs and custom labels are kept).

    Examples
    --------
    >>> fig, ax = figure(); _ = ax.plot([0, 1], [0.0, 2.5]); dutch_ticks(fig)
    >>> type(ax.yaxis.get_major_formatter()).__name__
    'DutchScalarFormatter'
    >>> plt.close(fig)
    """
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            fmt = axis.get_major_formatter()
            if type(fmt) is matplotlib.ticker.ScalarFormatter:
                axis.set_major_formatter(DutchScalarFormatter())


def svg_bytes(fig: plt.Figure) -> str:
    """The figure as an SVG document, deterministic (no date, fixed element ids).

    A figure with constrained layout already fits its artists into its own size, so it is saved without
    ``bbox_inches="tight"``: "tight" adds a ``get_tightbbox`` pass over every artist only to trim the
    figure (~10% of a ward's kernel time, see benchmarks/results/reports.md). Figures without a layout
    engine keep "tight" so nothing outside the axes is cut off, and so do figures with a fixed-aspect
    axes (a map), whose empty bands "tight" trims.

    Examples
    --------
    >>> fig, ax = figure("half"); ax.plot([1, 2], [3, 4])  # doctest: +ELLIPSIS
    [...]
    >>> s = svg_bytes(fig); plt.close(fig)
    >>> s.startswith("<?xml") and "<dc:date>" not in s
    True
    """
    import io

    constrained = isinstance(fig.get_layout_engine(), matplotlib.layout_engine.ConstrainedLayoutEngine)
    # An axes with a fixed aspect (maps) leaves empty bands in its figure that only "tight" trims.
    fills = constrained and all(ax.get_aspect() == "auto" for ax in fig.axes)
    buf = io.StringIO()
    # savefig reads bbox_inches=None as "use rcParams['savefig.bbox']", so the choice goes through rc.
    rc = {"svg.hashsalt": "wijklib", "savefig.bbox": "standard" if fills else "tight"}
    dutch_ticks(fig)  # every report chart goes through here: one place for the decimal comma
    with matplotlib.rc_context(rc):  # hashsalt: stable element ids between runs
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _nl(x: float) -> str:
    """A number the way a Dutch reader writes it, with as many decimals as its size needs."""
    return nl.auto(x)


def _x_text(ax: plt.Axes, x: Any) -> str:
    """An x value as text: a Dutch month for date axes, a number otherwise."""
    import matplotlib.dates as mdates

    if isinstance(x, (np.datetime64, pd.Timestamp)) or hasattr(x, "month"):
        t = pd.Timestamp(x)
    elif isinstance(ax.xaxis.get_major_locator(), mdates.DateLocator) or isinstance(
            ax.xaxis.get_major_formatter(), (mdates.DateFormatter, mdates.AutoDateFormatter,
                                             mdates.ConciseDateFormatter)):
        t = pd.Timestamp(mdates.num2date(float(x))).tz_localize(None)
    elif float(x).is_integer():
        return str(int(x)).replace("-", "\u2212")  # years and period indices, never "2.017"
    else:
        return _nl(float(x))
    return nl.month_short(t)


def describe(fig: plt.Figure, max_chars: int = 700) -> str:
    """Alternative text for a chart, generated from what it draws (for screen readers and tagged PDFs).

    Per panel: its title, its axes, and per labelled line the first and last value with the lowest and
    highest; bars by count and the highest; maps as a map with their number of areas. Dutch numbers and
    months, so the text reads like the report.

    Examples
    --------
    >>> fig, ax = figure()
    >>> _ = ax.plot([1, 2, 3], [4.0, 2.5, 3.0], label="Meldingen")
    >>> _ = ax.set_title("Meldingen per maand"); _ = ax.set_ylabel("aantal")
    >>> describe(fig)
    'Grafiek Meldingen per maand. Verticale as: aantal. Meldingen: van 4 (bij 1) tot 3 (bij 3), laagste 2,50, hoogste 4.'
    >>> plt.close(fig)
    """
    from matplotlib.collections import PatchCollection, PolyCollection
    from matplotlib.container import BarContainer

    def _title(ax: plt.Axes) -> str:
        return " ".join(" ".join(ax.get_title(loc=loc).split()) for loc in ("left", "center", "right")).strip()

    def _legend_names(*legends: Any) -> list[str]:
        return [t.get_text() for lg in legends if lg is not None for t in lg.get_texts() if t.get_text()]

    suptitle = " ".join(fig._suptitle.get_text().split()) if fig._suptitle is not None else ""
    roles = {matplotlib.colors.to_hex(c): name for name, c in COLORS.items()}
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    panels = []
    for ax in axes:
        title = _title(ax) or (suptitle if len(axes) == 1 else "")
        areas = sum(1 for a in ax.patches if isinstance(a, Polygon)) + sum(
            len(c.get_paths()) for c in ax.collections if isinstance(c, (PatchCollection, PolyCollection)))
        is_map = ax.get_aspect() != "auto" and areas > 0
        bits = [f"{'Kaart' if is_map else 'Grafiek'}{' ' + title if title else ''}."]
        if is_map:
            bits.append(f"{areas} gebieden.")
            names = _legend_names(ax.get_legend(), *fig.legends)
            if names:
                bits.append("Legenda: " + "; ".join(names) + ".")
            panels.append(" ".join(bits))
            continue
        if ax.get_xlabel():
            bits.append(f"Horizontale as: {ax.get_xlabel()}.")
        if ax.get_ylabel():
            bits.append(f"Verticale as: {ax.get_ylabel()}.")
        def _is_series(ln: Any) -> bool:  # not a reference line (axhline/axvline: two points, one constant)
            x, y = np.asarray(ln.get_xdata()), np.asarray(ln.get_ydata(), dtype=float)
            return np.isfinite(y).sum() >= 2 and not (len(y) == 2 and (y[0] == y[1] or np.all(x == x[0])))

        series = [ln for ln in ax.get_lines() if _is_series(ln)]
        labelled = [ln for ln in series if not ln.get_label().startswith("_")]
        # Unlabelled lines are named by their role colour (wijk, stad, ...) where they have one.
        named = [(ln.get_label(), ln) for ln in labelled] if labelled else [
            (roles.get(matplotlib.colors.to_hex(ln.get_color()), f"lijn {i + 1}" if len(series) > 1 else "lijn"), ln)
            for i, ln in enumerate(series)]
        seen = set()
        for name, ln in named:
            x, y = np.asarray(ln.get_xdata()), np.asarray(ln.get_ydata(), dtype=float)
            ok = np.isfinite(y)
            x, y = x[ok], y[ok]
            key = (name, tuple(np.round(y, 9)))
            if key in seen:  # an errorbar's caps and its line draw the same values
                continue
            seen.add(key)
            bits.append(f"{name}: van {_nl(y[0])} (bij {_x_text(ax, x[0])}) tot {_nl(y[-1])} "
                        f"(bij {_x_text(ax, x[-1])}), laagste {_nl(y.min())}, hoogste {_nl(y.max())}.")
        for bars in (c for c in ax.containers if isinstance(c, BarContainer)):
            heights = [b.get_width() if bars.orientation == "horizontal" else b.get_height() for b in bars]
            if not heights:
                continue
            ticks = ax.get_yticklabels() if bars.orientation == "horizontal" else ax.get_xticklabels()
            names = [t.get_text() for t in ticks]
            i = int(np.nanargmax(heights))
            top = f" {names[i]}" if len(names) == len(heights) and names[i] else ""
            bits.append(f"{len(heights)} staven{' (' + bars.get_label() + ')' if not bars.get_label().startswith('_') else ''}"
                        f"; de hoogste{top}: {_nl(heights[i])}.")
        panels.append(" ".join(bits))
    if len(axes) > 1:
        panels.insert(0, f"{len(axes)} deelgrafieken{': ' + suptitle if suptitle else ''}.")
    text = " ".join(panels) or "Grafiek."
    return text if len(text) <= max_chars else text[: max_chars - 1].rsplit(" ", 1)[0] + "\u2026"


def show(fig: plt.Figure, alt: str | None = None) -> None:
    """Display a figure once in a notebook (as SVG) and free it (the kernel is reused across wards).

    Inside a kernel the SVG comes from :func:`svg_bytes` (one draw), with ``alt`` (default:
    :func:`describe` of the figure) as the output's alternative text, which the report template puts
    on the chart's ``<img>``; elsewhere the figure's repr is shown, as ``display(fig)`` would.

    Examples
    --------
    >>> fig, ax = figure(); show(fig)  # doctest: +ELLIPSIS
    <Figure size ...>
    """
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            text = alt if alt is not None else describe(fig)
            display({"image/svg+xml": svg_bytes(fig), "text/plain": repr(fig)}, raw=True,
                    metadata={"image/svg+xml": {"alt": text}})
        else:
            display(fig)
    finally:
        plt.close(fig)


def series_vs_reference(
    df: pd.DataFrame, *, x: str, y: str, reference: str | None = None, start: object = None,
    title: str | None = None, ylabel: str | None = None, ax: plt.Axes | None = None,
    names: tuple[str, str] = ("Wijk", "Stad"),
) -> tuple[plt.Figure, plt.Axes]:
    """Line chart of a ward's series against a reference series (e.g. the city), with the start marked.

    Examples
    --------
    >>> d = pd.DataFrame({"maand": pd.date_range("2020-01", periods=6, freq="MS"),
    ...                   "w": [1, 2, 3, 2, 1, 2], "s": [2, 2, 2, 2, 2, 2]})
    >>> fig, ax = series_vs_reference(d, x="maand", y="w", reference="s"); plt.close(fig)
    """
    fig, ax = (ax.figure, ax) if ax is not None else figure("wide")
    ax.plot(df[x], df[y], color=COLORS["wijk"], label=names[0])
    if reference is not None:
        ax.plot(df[x], df[reference], color=COLORS["stad"], label=names[1], linestyle="--")
    if start is not None:
        ax.axvline(pd.Timestamp(start), color=COLORS["start"], linewidth=1, linestyle=":")
        ax.annotate("start", (pd.Timestamp(start), 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -10), textcoords="offset points", color=COLORS["start"], fontsize=7.5)
    ax.legend(loc="upper left", ncols=2)
    _finish(ax, ylabel or label(y), title)
    return fig, ax


def observed_vs_counterfactual(
    df: pd.DataFrame, *, x: str = "periode", observed: str = "waargenomen",
    counterfactual: str = "contrafeitelijk", low: str | None = "conf_low", high: str | None = "conf_high",
    start: object = None, title: str | None = None, ylabel: str | None = None, ax: plt.Axes | None = None,
) -> tuple[plt.Figure, plt.Axes]:
    """ITS chart: observed series, the counterfactual (trend without intervention) and its band.

    Examples
    --------
    >>> d = pd.DataFrame({"periode": pd.date_range("2020-01", periods=4, freq="MS"),
    ...                   "waargenomen": [3, 4, 2, 1], "contrafeitelijk": [3, 4, 4, 4],
    ...                   "conf_low": [3, 4, 3, 3], "conf_high": [3, 4, 5, 5]})
    >>> fig, ax = observed_vs_counterfactual(d, start="2020-03-01"); plt.close(fig)
    """
    fig, ax = (ax.figure, ax) if ax is not None else figure("wide")
    if low and high and low in df and high in df:
        ax.fill_between(df[x], df[low], df[high], color=COLORS["band"], alpha=0.5, linewidth=0,
                        label="95%-interval zonder inzet")
    ax.plot(df[x], df[counterfactual], color=COLORS["contrafeitelijk"], linestyle="--",
            label="Zonder inzet (geschat)")
    ax.plot(df[x], df[observed], color=COLORS["wijk"], marker="o", markersize=2, label="Waargenomen")
    if start is not None:
        ax.axvline(pd.Timestamp(start), color=COLORS["start"], linewidth=1, linestyle=":")
    # A long post period makes the counterfactual band fan out (trend uncertainty grows with the
    # horizon); letting it set the y-axis flattens the observed series into the bottom of the chart.
    # Cap the axis at 1.5x the highest observed/expected value and say so when the band is cut.
    lines = pd.concat([pd.to_numeric(df[observed], errors="coerce"),
                       pd.to_numeric(df[counterfactual], errors="coerce")])
    top = 1.5 * float(lines.max()) if lines.notna().any() else float("nan")
    band_top = pd.to_numeric(df[high], errors="coerce").max() if high and high in df else float("nan")
    if np.isfinite(top) and top > 0 and np.isfinite(band_top) and band_top > top:
        ax.set_ylim(bottom=min(0.0, float(lines.min())), top=top)
        ax.annotate("interval loopt boven de grafiek door", xy=(0.99, 0.03), xycoords="axes fraction",
                    ha="right", va="bottom", fontsize="x-small", color="0.35")
    ax.legend(loc="upper left", ncols=3)
    _finish(ax, ylabel, title)
    return fig, ax


def event_study(
    tidy: pd.DataFrame, *, x: str = "event_time", title: str | None = None, ylabel: str | None = None,
    ax: plt.Axes | None = None, xlabel: str | None = None,
) -> tuple[plt.Figure, plt.Axes]:
    """Event-study chart: estimates per period relative to the start with 95% bands; zero line.

    Examples
    --------
    >>> t = pd.DataFrame({"event_time": [-2, -1, 0, 1], "estimate": [0.1, 0, -0.5, -0.7],
    ...                   "conf_low": [-0.3, 0, -0.9, -1.2], "conf_high": [0.5, 0, -0.1, -0.2]})
    >>> fig, ax = event_study(t); plt.close(fig)
    """
    fig, ax = (ax.figure, ax) if ax is not None else figure("wide")
    d = tidy.sort_values(x)
    pre = d[x] < 0
    ax.fill_between(d[x], d["conf_low"], d["conf_high"], color=COLORS["band"], alpha=0.5, linewidth=0,
                    label="95%-band")
    ax.plot(d[x][pre], d["estimate"][pre], "o-", color=COLORS["stad"], markersize=3, label="Vóór de start")
    ax.plot(d[x][~pre], d["estimate"][~pre], "o-", color=COLORS["wijk"], markersize=3, label="Na de start")
    ax.axhline(0, color=COLORS["nul"], linewidth=0.8)
    ax.axvline(-0.5, color=COLORS["start"], linewidth=1, linestyle=":")
    ax.set_xlabel(xlabel or label(x))
    ax.legend(loc="lower left", ncols=3)
    _finish(ax, ylabel or "Effect", title)
    return fig, ax


def bars(
    df: pd.DataFrame, *, x: str, y: str, hue: str | None = None, title: str | None = None,
    ylabel: str | None = None, horizontal: bool = False, ax: plt.Axes | None = None,
    size: str = "wide",
) -> tuple[plt.Figure, plt.Axes]:
    """Bar chart (grouped when ``hue`` is given) with Dutch labels.

    Examples
    --------
    >>> d = pd.DataFrame({"thema": ["afval", "jeugd"], "aantal": [12, 7]})
    >>> fig, ax = bars(d, x="thema", y="aantal"); plt.close(fig)
    """
    fig, ax = (ax.figure, ax) if ax is not None else figure(size)
    wide = df.pivot_table(index=x, columns=hue, values=y, aggfunc="sum", sort=False) if hue else df.set_index(x)[[y]]
    palette = [COLORS["wijk"], COLORS["contrafeitelijk"], COLORS["stad"], "#009E73", "#CC79A7", "#56B4E9"]
    wide.plot(kind="barh" if horizontal else "bar", ax=ax, color=palette[: wide.shape[1]], width=0.75,
              legend=bool(hue))
    if horizontal:
        ax.invert_yaxis()
        ax.set_ylabel("")
        ax.set_xlabel(ylabel or label(y))
        ax.grid(axis="y", visible=False)
    else:
        ax.set_xlabel("")
        ax.tick_params(axis="x", rotation=0)
        _finish(ax, ylabel or label(y), None)
    vals = wide.to_numpy(dtype=float)
    if np.isfinite(vals).any() and np.allclose(vals[np.isfinite(vals)] % 1, 0):
        # Counts: whole-number ticks (no "2,5 signalen").
        from matplotlib.ticker import MaxNLocator

        (ax.xaxis if horizontal else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
    if title:
        ax.set_title(title, loc="left")
    if hue:
        ax.legend(title=label(hue), ncols=min(4, wide.shape[1]))
    return fig, ax


def choropleth(
    polygons: Mapping[str, Sequence[tuple[float, float]]], categories: Mapping[str, str], *,
    colors: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None,
    title: str | None = None, note: str | None = None, ax: plt.Axes | None = None,
) -> tuple[plt.Figure, plt.Axes]:
    """Map of units coloured by a category (e.g. verdict), with a legend; units without value grey.

    Examples
    --------
    >>> polys = {"a": [(0, 0), (1, 0), (1, 1)], "b": [[(1, 0), (2, 0), (2, 1)], [(2, 0), (3, 0), (3, 1)]]}
    >>> fig, ax = choropleth(polys, {"a": "effect"}); plt.close(fig)
    """
    colors = dict(VERDICT_COLORS if colors is None else colors)
    fig, ax = (ax.figure, ax) if ax is not None else figure("map")
    used: dict[str, str] = {}
    for code, shape in polygons.items():
        # One ring [(x, y), ...] or a multipolygon [[(x, y), ...], ...] (geo.polygons gives the latter).
        rings = [shape] if len(shape) and np.ndim(shape[0]) == 1 else list(shape)
        cat = categories.get(code)
        color = colors.get(cat, "#eeeeee") if cat is not None else "#eeeeee"
        if cat is not None:
            used[cat] = color
        for ring in rings:
            # Cells of one unit share the fill and get a fill-coloured edge, so they read as one area.
            ax.add_patch(Polygon(np.asarray(ring, dtype=float), closed=True, facecolor=color,
                                 edgecolor=color, linewidth=0.3))
        outline = np.concatenate([np.asarray(r, dtype=float) for r in rings])
        if labels and code in labels:
            xy = outline.mean(axis=0)
            ax.text(xy[0], xy[1], labels[code], ha="center", va="center", fontsize=5, color="#222222")
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.axis("off")
    if used:
        ax.legend(handles=[Patch(facecolor=c, label=k) for k, c in used.items()], loc="upper left",
                  ncols=min(3, len(used)), bbox_to_anchor=(0, 0))
    if title:
        ax.set_title(title, loc="left")
    if note:
        ax.text(0, -0.12, note, transform=ax.transAxes, ha="left", va="top", fontsize=7, color="#555555")
    return fig, ax
