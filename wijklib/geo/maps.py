"""Maps of a :class:`~wijklib.geo.Geography` (matplotlib; vector SVG in the reports).

- :func:`verdict_map`: choropleth of the reporting units by verdict, every unit numbered with a key,
  context areas (port, water wijken) and the gemeente outline drawn, a note where borders are approximate;
- :func:`locator_map`: a small map with one unit highlighted inside its parent and the city;
- :func:`neighbour_map`: a unit with its neighbours (shared borders, as the spillover designs use);
- :func:`city_map`: every unit numbered, for ``python -m wijklib.geo check --png``.

All functions take ``geography=None`` (the active one) and return ``(fig, ax)``; they never call
``plt.show()``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from wijklib.geo._geography import Geography, _plural

#: Verdict colours (Okabe-Ito, colour-blind safe; the neutral verdict yellow so that it does not
#: meet green or vermillion on a red-green axis) and the hatch that marks missing data.
VERDICT_COLORS: dict[str, str] = {
    "op koers": "#009E73",
    "geen aantoonbare verandering": "#F0E442",
    "ongunstige ontwikkeling": "#D55E00",
    "onvoldoende gegevens": "#BBBBBB",  # darker than the context grey, so also without the hatch
}
VERDICT_HATCH: dict[str, str] = {"onvoldoende gegevens": "////"}
NO_VALUE_COLOR = "#FFFFFF"
CONTEXT_COLOR = "#ECECEC"
OUTLINE_COLOR = "#333333"
WATER_COLOR = "#A6CEE3"
A4_WIDTH_IN = 6.7  # text width of the A4 report template
#: A unit printed smaller than this (square root of its area, inches) gets its number in a zoom panel.
MIN_UNIT_IN = 0.35


def _no_idle_draws(fn: Callable) -> Callable:
    """Skip the canvas redraw geopandas asks for after every layer it plots (``draw_idle``).

    On a non-interactive canvas (Agg, the notebook's inline backend) ``draw_idle`` is a full render, and a
    map plots 4-6 layers: ~0.1-0.2 s of rendering per map that nobody sees, since a map is drawn once, when
    it is saved or displayed. Interactive canvases that override ``draw_idle`` (ipympl, Qt) are untouched.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        real = FigureCanvasBase.draw_idle
        FigureCanvasBase.draw_idle = lambda self, *a, **k: None
        try:
            return fn(*args, **kwargs)
        finally:
            FigureCanvasBase.draw_idle = real

    return wrapper


#: Finest detail a printed map keeps, in points (1/72 in; a 300 dpi pixel is 0.24 pt). Outlines are
#: simplified to this before they are drawn, and what lies outside a map's view is cut away: a ward's
#: two maps otherwise print the whole city at full survey detail (~35,000 path points, ~0.5 s of
#: WeasyPrint per report; benchmarks/results/report_cost.md).
PRINT_DETAIL_PT = 0.1


def _tolerance_m(fig, extent) -> float:
    """Simplification tolerance (metres) of a map showing ``extent`` in ``fig``: :data:`PRINT_DETAIL_PT`
    at the map's printed scale, rounded down to a power of two (maps of a similar scale share it).

    The scale used is a bound: an axes is never larger than its figure, and the reports never print a
    chart larger than its own size, so a point of the page covers at least this many metres.
    """
    w_pt, h_pt = (float(v) * 72 for v in fig.get_size_inches())
    x0, y0, x1, y1 = extent
    raw = PRINT_DETAIL_PT * max((x1 - x0) / w_pt, (y1 - y0) / h_pt)
    return float(2.0 ** np.floor(np.log2(raw))) if raw > 0 else 0.0


def _can_simplify() -> bool:
    import shapely

    return hasattr(shapely, "coverage_clean") and hasattr(shapely, "coverage_simplify")


def print_layers(g: Geography, level: str, tolerance_m: float) -> dict[str, Any]:
    """The geometries a map of ``level`` draws, simplified for print to ``tolerance_m`` (cached per geography).

    The units of ``level`` and the context areas (port, water wijken) are simplified together as one
    coverage: first :func:`shapely.coverage_clean` (delivered borders overlap by fractions of a square
    metre, so they are not an exact coverage; nodes within ``tolerance_m / 8`` snapped), then :func:`shapely.coverage_simplify` (Visvalingam-Whyatt,
    ``tolerance_m`` ~ the square root of the triangle areas removed), which keeps every shared border
    shared: no gaps or overlaps appear between neighbours. The gemeente outline (a line) and the water
    (drawn on top without an edge) are simplified on their own (Douglas-Peucker to half the tolerance,
    topology-preserving): the union of the coverage would also outline the hairline slits the delivered
    borders leave between some units and the context areas, which the real outline does not show.

    Returns a dict: ``units`` (array aligned with ``g.frame(level)``), ``context`` (aligned with
    ``g.context()``), ``outline`` (a line geometry, or None without polygons), ``water`` (aligned with
    ``g.water()``). With ``tolerance_m`` 0, or a shapely without coverage simplification (< 2.2), the
    geometries are returned as they are.

    Examples
    --------
    >>> from wijklib import geo
    >>> import shapely
    >>> g = geo.active()
    >>> lay = print_layers(g, "wijkraad", 16.0)
    >>> int(shapely.get_num_coordinates(lay["units"]).sum()) < int(
    ...     shapely.get_num_coordinates(g.frame("wijkraad").geometry.to_numpy()).sum()) // 3
    True
    """
    import shapely

    def build() -> dict[str, Any]:
        units = g.frame(level).geometry.to_numpy()
        ctx_frame = g.context()
        ctx = ctx_frame.geometry.to_numpy() if len(ctx_frame) else np.empty(0, dtype=object)
        water_frame = g.water()
        water = water_frame.geometry.to_numpy() if len(water_frame) else np.empty(0, dtype=object)
        try:
            outline = shapely.boundary(g.outline())
        except Exception:  # noqa: BLE001 - no polygons at all: nothing to outline
            outline = None
        if tolerance_m <= 0 or not _can_simplify():
            return {"units": units, "context": ctx, "outline": outline, "water": water}
        # Snapping nodes closer than tolerance/8 removes the hairline slivers of the delivered borders,
        # whose nodes coverage_simplify would otherwise keep (~35% more points, measured on the demo city).
        whole = np.concatenate([units, ctx])
        # Units without an outline (None) or empty ones are left as they are: GEOS would drop them and
        # shift the others out of line with their rows.
        have = ~(shapely.is_missing(whole) | shapely.is_empty(whole))
        try:
            cover = shapely.coverage_clean(whole[have], snapping_distance=tolerance_m / 8)
            done = shapely.coverage_simplify(cover, tolerance_m)
        except (shapely.errors.GEOSException, ValueError):  # GEOS cannot clean it: draw it as delivered
            return {"units": units, "context": ctx, "outline": outline, "water": water}
        if len(done) != int(have.sum()) or shapely.is_missing(done).any() or shapely.is_empty(done).any():
            return {"units": units, "context": ctx, "outline": outline, "water": water}
        simple = whole.copy()
        simple[have] = done
        if outline is not None:
            outline = shapely.simplify(outline, tolerance_m / 2, preserve_topology=True)
        water = shapely.simplify(water, tolerance_m / 2, preserve_topology=True) if len(water) else water
        return {"units": simple[:len(units)], "context": simple[len(units):], "outline": outline, "water": water}

    return g._memo(("print_layers", level, float(tolerance_m)), build)


def _view_box(extent, margin: float = 0.1) -> tuple[float, float, float, float]:
    """The view enlarged by ``margin`` of its larger side (plus 50 m): what is cut away at this box lies
    well outside the axes, farther than any line width drawn on a map reaches into it."""
    x0, y0, x1, y1 = extent
    m = margin * max(x1 - x0, y1 - y0) + 50.0
    return x0 - m, y0 - m, x1 + m, y1 + m


def _clipped(frame, geoms, box):
    """``frame`` with its geometry replaced by ``geoms`` cut to ``box`` (None: not cut); rows left empty are dropped."""
    import shapely

    if box is not None:
        geoms = shapely.clip_by_rect(geoms, *box)
    out = frame.set_geometry(np.asarray(geoms, dtype=object), crs=frame.crs) if len(frame) else frame
    if len(out) and box is not None:
        out = out[~shapely.is_empty(out.geometry.to_numpy())]
    return out


def _extent(geoms, pad: float) -> tuple[float, float, float, float]:
    """The limits :func:`_frame_extent` gives the axes for ``geoms``."""
    import shapely

    x0, y0, x1, y1 = shapely.total_bounds(np.asarray(list(geoms), dtype=object))
    dx, dy = (x1 - x0) * pad + 50, (y1 - y0) * pad + 50
    return float(x0 - dx), float(y0 - dy), float(x1 + dx), float(y1 + dy)


def _geo(geography: Geography | None) -> Geography:
    if geography is not None:
        return geography
    from wijklib import geo

    return geo.active()


def _approx_note(g: Geography, level: str) -> str:
    if not g.polygons_approximate(level):
        return ""
    real = [lv for lv in g.levels[:-1] if g.has_polygons(lv) and not g.polygons_approximate(lv)]
    inside = f" binnen de echte grenzen van de {_plural(real[-1])}" if real else ""
    return f"Grenzen van de {_plural(level)} zijn benaderd (schematisch{inside})."


def _draw_context(ax, g: Geography, layers: Mapping[str, Any], box=None) -> None:
    """Context areas and the gemeente outline from :func:`print_layers`, cut to ``box`` (None: whole)."""
    import shapely

    ctx = g.context()
    if len(ctx):
        ctx = _clipped(ctx, layers["context"], box)
        if len(ctx):
            ctx.plot(ax=ax, color=CONTEXT_COLOR, edgecolor="#FFFFFF", linewidth=0.3, zorder=1)
    outline = layers["outline"]
    if outline is None:
        return
    if box is not None:
        outline = shapely.clip_by_rect(outline, *box)
        if outline.is_empty:
            return
    from geopandas import GeoSeries

    GeoSeries([outline], crs="EPSG:28992").plot(ax=ax, color=OUTLINE_COLOR, linewidth=0.9, zorder=4)


def _draw_water(ax, g: Geography, layers: Mapping[str, Any], box=None) -> None:
    w = g.water()
    if len(w):
        w = _clipped(w, layers["water"], box)
        if len(w):
            w.plot(ax=ax, color=WATER_COLOR, edgecolor="none", zorder=3)


def _water_note(g: Geography) -> str:
    return "" if len(g.water()) else "Geen waterkaart geleverd: rivier en havens alleen als grens zichtbaar."


def _dense_core(geoms) -> tuple[float, float, float, float] | None:
    """Bounding box of the city's dense core when it is much smaller than the whole map.

    The core holds the small units (area at most the median) between the 10th and 90th percentile
    of their positions, so that a few small outlying units (a village, a harbour quarter) do not
    stretch it. It is only used when the typical unit would print smaller than
    :data:`MIN_UNIT_IN` on the full map (too small for a legible number) and the core covers under a
    fifth of the map.
    """
    import shapely

    areas = shapely.area(geoms)
    small = geoms[areas <= np.median(areas)]
    if len(geoms) < 12 or len(small) < 4:
        return None
    fx0, fy0, fx1, fy1 = shapely.total_bounds(geoms)
    scale = A4_WIDTH_IN / max(fx1 - fx0, (fy1 - fy0) * A4_WIDTH_IN / 5.2)  # inches per metre
    if np.sqrt(np.median(areas)) * scale >= MIN_UNIT_IN:
        return None
    pts = shapely.point_on_surface(small)
    px, py = shapely.get_x(pts), shapely.get_y(pts)
    qx, qy = np.quantile(px, [0.1, 0.9]), np.quantile(py, [0.1, 0.9])
    inside = (px >= qx[0]) & (px <= qx[1]) & (py >= qy[0]) & (py <= qy[1])
    x0, y0, x1, y1 = shapely.total_bounds(small[inside])
    pad = 0.04 * max(x1 - x0, y1 - y0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    if (x1 - x0) * (y1 - y0) > 0.2 * (fx1 - fx0) * (fy1 - fy0):
        return None
    return float(x0), float(y0), float(x1), float(y1)


def _frame_extent(ax, geoms, pad: float = 0.04) -> None:
    import shapely

    x0, y0, x1, y1 = shapely.total_bounds(np.asarray(list(geoms), dtype=object))
    dx, dy = (x1 - x0) * pad + 50, (y1 - y0) * pad + 50
    ax.set_xlim(x0 - dx, x1 + dx)
    ax.set_ylim(y0 - dy, y1 + dy)
    ax.set_aspect("equal")
    ax.set_axis_off()


def _scale_bar(ax) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    span = (x1 - x0) / 5
    km = max(0.5, float(np.round(span / 1000 * 2) / 2)) if span > 500 else 0.25
    length = km * 1000
    xs, ys = x0 + (x1 - x0) * 0.03, y0 + (y1 - y0) * 0.04
    ax.plot([xs, xs + length], [ys, ys], color="#333333", linewidth=2, solid_capstyle="butt", zorder=6)
    ax.text(xs + length / 2, ys + (y1 - y0) * 0.015, f"{km:g} km".replace(".", ","), ha="center", va="bottom",
            fontsize=6.5, color="#333333", zorder=6)


@_no_idle_draws
def verdict_map(verdicts: Mapping[str, str], *, geography: Geography | None = None, level: str | None = None,
                title: str | None = None, note: str | None = None, numbered: bool = True,
                colors: Mapping[str, str] | None = None, legend: bool = True, ax=None):
    """Choropleth of the units of ``level`` by verdict, each unit numbered, with a key and legend.

    Parameters
    ----------
    verdicts : mapping
        Unit code (or any spelling :meth:`Geography.normalize` reads) -> verdict. Units without a
        verdict are white ("geen oordeel"); verdicts outside :data:`VERDICT_COLORS` are an error.
    level : str, optional
        Default: the geography's reporting level.
    numbered : bool
        Number every unit (alphabetically by name) and print the key beside the map.

    Returns
    -------
    (Figure, Axes)

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = verdict_map({"tarwewijk": "op koers", "bloemhof": "onvoldoende gegevens"})
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    g = _geo(geography)
    level = level or g.default_level
    palette = dict(VERDICT_COLORS if colors is None else colors)
    codes = {}
    for unit, verdict in verdicts.items():
        if verdict is None or (isinstance(verdict, float) and np.isnan(verdict)):
            continue
        if verdict not in palette:
            raise ValueError(f"verdict_map: verdict {verdict!r} of {unit!r} unknown; expected one of "
                             f"{', '.join(palette)}")
        codes[g.normalize(unit, level)] = verdict
    gdf = g.frame(level)
    key, name_col = g.key_columns[level], g.name_columns[level]
    gdf["oordeel"] = gdf[key].map(codes)
    import shapely

    n_units = len(gdf)
    key_lines = int(np.ceil(n_units / 3)) if numbered else 0
    key_h = key_lines * 5.8 * 1.3 / 72 + 0.15  # inches of key text below the map (5.8 pt, spacing 1.3)
    geoms = gdf.geometry.to_numpy()
    full = shapely.total_bounds(geoms)
    core = _dense_core(geoms) if ax is None else None
    if ax is None:
        width = A4_WIDTH_IN
        # From the bottom: note, legend, key, map, title (inches). With a dense core (small units in
        # the middle of a large gemeente) the map is split: the whole gemeente left, the core right.
        box = core if core is not None else full
        share = 0.58 if core is not None else 1.0
        map_h = float(np.clip(width * share * (box[3] - box[1]) / max(box[2] - box[0], 1.0), 2.6, 5.2))
        height = 0.8 + (key_h if numbered else 0) + map_h + 0.3
        fig = plt.figure(figsize=(width, height))
        bottom = (0.8 + (key_h if numbered else 0)) / height
        if core is not None:
            ax = fig.add_axes((0.0, bottom, 0.40, map_h / height))
            zoom = fig.add_axes((0.42, bottom, 0.58, map_h / height))
        else:
            ax = fig.add_axes((0.0, bottom, 1.0, map_h / height))
            zoom = None
    else:
        zoom = None
    fig = ax.figure
    height = fig.get_figheight()
    rest = gdf[gdf["oordeel"].isna()]
    for axis, extent in ((ax, _extent(geoms, 0.01)), (zoom, core)):
        if axis is None:
            continue
        # The overview shows everything; the zoom panel only its core (cut, with a margin).
        box = _view_box(extent) if axis is zoom else None
        layers = print_layers(g, level, _tolerance_m(fig, extent))
        drawn = _clipped(gdf, layers["units"], box)
        _draw_context(axis, g, layers, box)
        for verdict, color in palette.items():
            sel = drawn[drawn["oordeel"] == verdict]
            if len(sel):
                sel.plot(ax=axis, color=color, edgecolor="#FFFFFF", linewidth=0.4, zorder=2,
                         hatch=VERDICT_HATCH.get(verdict))
        blank = drawn[drawn["oordeel"].isna()]
        if len(blank):
            blank.plot(ax=axis, color=NO_VALUE_COLOR, edgecolor="#999999", linewidth=0.4, zorder=2)
        _draw_water(axis, g, layers, box)
    _frame_extent(ax, geoms, pad=0.01)
    if zoom is not None:
        x0, y0, x1, y1 = core
        zoom.set_xlim(x0, x1)
        zoom.set_ylim(y0, y1)
        zoom.set_aspect("equal")
        zoom.set_axis_off()
        zoom.text(0.01, 0.99, "Uitsnede (kader links)", transform=zoom.transAxes, ha="left", va="top",
                  fontsize=6.5, color="#555555", zorder=9, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        from matplotlib.patches import Rectangle

        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="#333333", linewidth=0.8,
                               linestyle="--", zorder=7))
    if numbered:
        order = gdf.sort_values(name_col, key=lambda s: s.str.lower()).reset_index(drop=True)
        pts = shapely.point_on_surface(order.geometry.to_numpy())
        for i, (p, verdict) in enumerate(zip(pts, order["oordeel"], strict=True), start=1):
            dark = verdict in ("op koers", "ongunstige ontwikkeling")
            # Each unit is numbered once: in the core panel when it lies there, else on the overview.
            inside = core is not None and core[0] <= p.x <= core[2] and core[1] <= p.y <= core[3]
            (zoom if inside else ax).text(p.x, p.y, str(i), ha="center", va="center", fontsize=5.5, zorder=8,
                                          color="#FFFFFF" if dark else "#111111", fontweight="bold")
        lines = [f"{i:>2}  {n}" for i, n in enumerate(order[name_col], start=1)]
        ncol = 3 if n_units > 12 else 1
        per = int(np.ceil(len(lines) / ncol))
        top = (0.8 + key_h - 0.05) / height
        for c in range(ncol):
            fig.text(0.01 + c * 0.335, top, "\n".join(lines[c * per:(c + 1) * per]), ha="left", va="top",
                     fontsize=5.8, linespacing=1.3)
    _scale_bar(ax)
    if zoom is not None:
        _scale_bar(zoom)
    handles = [Patch(facecolor=c, edgecolor="#999999", hatch=VERDICT_HATCH.get(v), label=v)
               for v, c in palette.items()] if legend else []
    if len(rest) and legend:
        handles.append(Patch(facecolor=NO_VALUE_COLOR, edgecolor="#999999", label="geen oordeel"))
    if len(g.context()):
        handles.append(Patch(facecolor=CONTEXT_COLOR, edgecolor="#FFFFFF", label="geen eenheid (haven, water, geen gegevens)"))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 0.32 / height), ncols=3, fontsize=6.5,
               frameon=False, handlelength=1.6)
    if title:
        fig.text(0.01, 1 - 0.08 / height, title, ha="left", va="top", fontsize=9.5, fontweight="bold")
    text = " ".join(t for t in (note, _approx_note(g, level), _water_note(g)) if t)
    if text:
        fig.text(0.01, 0.04 / height, text, ha="left", va="bottom", fontsize=6.3, color="#555555", wrap=True)
    return fig, ax


@_no_idle_draws
def locator_map(unit: Any, *, geography: Geography | None = None, level: str | None = None,
                parent_level: str | None = None, ax=None, size: tuple[float, float] = (2.6, 2.0)):
    """Small map: the city grey, the unit's parent (e.g. its gebied) light, the unit dark.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = locator_map("tarwewijk"); plt.close(fig)
    """
    import matplotlib.pyplot as plt

    g = _geo(geography)
    level = level or g.default_level
    code = g.normalize(unit, level)
    if parent_level is None:
        parent_level = next((lv for lv in g.parents(level) if lv != "gemeente" and g.has_polygons(lv)), None)
    if ax is None:
        fig, ax = plt.subplots(figsize=size, layout="constrained")
    fig = ax.figure
    units = g.frame(level)
    key = g.key_columns[level]
    # The whole city at a few centimetres: drawn at the printed detail (print_layers), nothing to cut.
    layers = print_layers(g, level, _tolerance_m(fig, _extent(units.geometry, 0.02)))
    drawn = _clipped(units, layers["units"], None)
    _draw_context(ax, g, layers)
    drawn.plot(ax=ax, color="#F4F4F4", edgecolor="#BBBBBB", linewidth=0.3, zorder=2)
    if parent_level:
        import shapely
        from geopandas import GeoSeries

        pcode = g.normalize(code, parent_level)
        # The parent as the union of its simplified units, so that its border runs along theirs.
        inside = np.array([g.normalize(c, parent_level) == pcode for c in units[key]], dtype=bool)
        if inside.any():
            parent = GeoSeries([shapely.coverage_union_all(layers["units"][inside]) if _can_simplify()
                                else g.shapes(parent_level)[pcode]], crs=units.crs)
        else:
            parent = g.shapes(parent_level)[[pcode]]
        parent.plot(ax=ax, color="#BFD7EA", edgecolor="#4A7FA7", linewidth=0.6, zorder=3)
    sel = drawn[drawn[key] == code]
    sel.plot(ax=ax, color="#0B3C5D", edgecolor="#0B3C5D", linewidth=0.6, zorder=4)
    _frame_extent(ax, units.geometry, pad=0.02)
    label = g.name(code, level) + (f" in {g.name(pcode, parent_level)}" if parent_level else "")
    ax.set_title(label, fontsize=7, loc="left")
    if g.polygons_approximate(level):
        ax.text(0, -0.02, "Grenzen benaderd.", transform=ax.transAxes, fontsize=5.5, color="#555555", va="top")
    return fig, ax


@_no_idle_draws
def neighbour_map(unit: Any, *, geography: Geography | None = None, level: str | None = None, ax=None,
                  size: tuple[float, float] = (A4_WIDTH_IN * 0.6, 3.2)):
    """The unit (dark) and its neighbours by shared border (light, labelled), zoomed to them.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = neighbour_map("tarwewijk"); plt.close(fig)
    """
    import matplotlib.pyplot as plt
    import shapely

    g = _geo(geography)
    level = level or g.default_level
    code = g.normalize(unit, level)
    nbs = g.neighbours(code, level)
    units = g.frame(level)
    key, name_col = g.key_columns[level], g.name_columns[level]
    made = ax is None
    if ax is None:
        fig, ax = plt.subplots(figsize=size, layout="constrained")
    fig = ax.figure
    near = units[units[key].isin(nbs)]
    me = units[units[key] == code]
    focus = list(me.geometry) + list(near.geometry)
    # Zoomed in on the ward: the rest of the city is cut away beyond the view (with a margin), and what
    # is drawn is simplified to the printed detail. An axes of the caller's may be resized: nothing cut.
    extent = _extent(focus, 0.08)
    box = _view_box(extent) if made else None
    layers = print_layers(g, level, _tolerance_m(fig, extent))
    drawn = _clipped(units, layers["units"], box)
    _draw_context(ax, g, layers, box)
    drawn.plot(ax=ax, color="#F4F4F4", edgecolor="#BBBBBB", linewidth=0.3, zorder=2)
    near_drawn = drawn[drawn[key].isin(nbs)]
    if len(near_drawn):
        near_drawn.plot(ax=ax, color="#BFD7EA", edgecolor="#4A7FA7", linewidth=0.6, zorder=3)
    drawn[drawn[key] == code].plot(ax=ax, color="#0B3C5D", edgecolor="#0B3C5D", linewidth=0.6, zorder=4)
    _frame_extent(ax, focus, pad=0.08)
    for geom, nm, c in zip(units.geometry, units[name_col], units[key], strict=True):
        if c in nbs or c == code:
            p = shapely.point_on_surface(geom)
            ax.text(p.x, p.y, nm, ha="center", va="center", fontsize=5.8, zorder=6, wrap=True,
                    color="#FFFFFF" if c == code else "#111111")
    _scale_bar(ax)
    tol = g.adjacency(level).attrs.get("tolerance_m")
    text = (f"Buren: {_plural(level)} met een gemeenschappelijke grens (tolerantie {tol:g} m)."
            + (" " + _approx_note(g, level) if g.polygons_approximate(level) else ""))
    if not nbs:
        text = f"{g.name(code, level)} heeft geen buren met een gemeenschappelijke grens. " + text
    ax.text(0, -0.02, text, transform=ax.transAxes, fontsize=5.8, color="#555555", va="top", wrap=True)
    return fig, ax


@_no_idle_draws
def city_map(*, geography: Geography | None = None, level: str | None = None, title: str | None = None):
    """Every unit of ``level`` numbered with a key (the map ``python -m wijklib.geo check`` draws)."""
    g = _geo(geography)
    level = level or g.default_level
    title = title or f"{g.gemeente_naam} ({g.gemeente_code}): {len(g.units(level))} {_plural(level)}"
    return verdict_map({}, geography=g, level=level, title=title, legend=False)
