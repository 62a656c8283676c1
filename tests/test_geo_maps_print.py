"""Maps drawn at the printed detail: simplified outlines keep the coverage, cut maps look the same."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

pytest.importorskip("geopandas")
shapely = pytest.importorskip("shapely")
from wijklib import geo  # noqa: E402
from wijklib.geo import maps  # noqa: E402

needs_coverage = pytest.mark.skipif(not maps._can_simplify(), reason="shapely < 2.2: no coverage_clean")


@needs_coverage
@pytest.mark.parametrize("tol", [1.0, 8.0, 32.0])
def test_shared_borders_stay_shared(tol):
    g = geo.active()
    level = g.default_level
    lay = maps.print_layers(g, level, tol)
    simple = np.concatenate([lay["units"], lay["context"]])
    assert shapely.coverage_is_valid(simple)  # no overlaps, shared edges identical vertex by vertex
    assert shapely.is_valid(simple).all() and not shapely.is_empty(simple).any()
    codes = list(g.frame(level)[g.key_columns[level]])
    units = lay["units"]
    pairs = 0
    for i, code in enumerate(codes):
        for nb in g.neighbours(code, level):
            j = codes.index(nb)
            if j < i:
                continue
            shared = shapely.intersection(shapely.boundary(units[i]), shapely.boundary(units[j]))
            assert shapely.length(shared) > 0, (code, nb)  # neighbours still share a border line
            pairs += 1
    assert pairs > len(codes) // 2
    # Nothing is lost or gained: the simplified areas add up to the original ones within a sliver.
    orig = g.frame(level).geometry.to_numpy()
    np.testing.assert_allclose(shapely.area(units), shapely.area(orig), rtol=0.05)


@needs_coverage
@pytest.mark.parametrize("tol", [0.5, 2.0, 16.0, 64.0])
def test_each_unit_outline_stays_within_twice_the_tolerance(tol):
    g = geo.active()
    orig = g.frame(g.default_level).geometry.to_numpy()
    lay = maps.print_layers(g, g.default_level, tol)
    hd = np.array([shapely.hausdorff_distance(a, b) for a, b in zip(orig, lay["units"], strict=True)])
    assert hd.max() <= 2 * tol, hd.max()  # measured at most 1.81x on the demo city
    assert shapely.hausdorff_distance(shapely.boundary(g.outline()), lay["outline"]) <= tol
    assert shapely.get_num_coordinates(lay["units"]).sum() < shapely.get_num_coordinates(orig).sum()


def test_tolerance_is_at_most_the_print_detail_at_the_printed_scale():
    g = geo.active()
    fig, ax = maps.neighbour_map("tarwewijk", geography=g)
    fig.canvas.draw()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bb = ax.get_window_extent()
    pts_per_px = 72 / fig.dpi
    m_per_pt = max((x1 - x0) / (bb.width * pts_per_px), (y1 - y0) / (bb.height * pts_per_px))
    tol = maps._tolerance_m(fig, (x0, y0, x1, y1))
    plt.close(fig)
    assert 0 < tol <= maps.PRINT_DETAIL_PT * m_per_pt
    assert tol > maps.PRINT_DETAIL_PT * m_per_pt / 8  # and not so small that nothing is simplified


def test_without_coverage_simplification_the_geometry_is_untouched(monkeypatch):
    g = geo.active()
    monkeypatch.setattr(maps, "_can_simplify", lambda: False)
    lay = maps.print_layers(g, "gebied", 123.0)  # a key no other test caches
    orig = g.frame("gebied").geometry.to_numpy()
    assert all(a.equals_exact(b, 0) for a, b in zip(orig, lay["units"], strict=True))
    g._cache.pop(("print_layers", "gebied", 123.0), None)


def _pixels(fig) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150)
    plt.close(fig)
    buf.seek(0)
    return plt.imread(buf)


@pytest.mark.parametrize("unit", ["tarwewijk", "hoek-van-holland"])
def test_cutting_the_neighbour_map_keeps_everything_visible(monkeypatch, unit):
    """Cut to the view plus a margin or not cut at all: the same picture."""
    g = geo.active()
    try:
        g.normalize(unit, g.default_level)
    except (KeyError, ValueError):
        pytest.skip(f"{unit} is not a unit of the demo city")
    cut = _pixels(maps.neighbour_map(unit, geography=g)[0])
    monkeypatch.setattr(maps, "_view_box", lambda extent, margin=0.1: (-1e9, -1e9, 1e9, 1e9))
    whole = _pixels(maps.neighbour_map(unit, geography=g)[0])
    assert cut.shape == whole.shape
    assert np.abs(cut - whole).max() < 1e-6


def test_cutting_the_zoom_panel_keeps_everything_visible(monkeypatch):
    g = geo.active()
    verdicts = {u: "op koers" for u in list(g.units(g.default_level)[g.key_columns[g.default_level]])[::2]}
    cut = _pixels(maps.verdict_map(verdicts, geography=g)[0])
    monkeypatch.setattr(maps, "_view_box", lambda extent, margin=0.1: (-1e9, -1e9, 1e9, 1e9))
    whole = _pixels(maps.verdict_map(verdicts, geography=g)[0])
    assert np.abs(cut - whole).max() < 1e-6


def test_neighbour_map_prints_far_fewer_points_than_the_city_has():
    g = geo.active()
    fig, _ = maps.neighbour_map("tarwewijk", geography=g)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    import re

    n = sum(len(re.findall(r"-?\d+(?:\.\d+)?", d)) // 2 for d in re.findall(r'\sd="([^"]*)"', buf.getvalue()))
    ctx = g.context().geometry.to_numpy()
    city = int(shapely.get_num_coordinates(np.concatenate([g.frame(g.default_level).geometry.to_numpy(), ctx])).sum()
               + shapely.get_num_coordinates(g.outline()))  # what the map drew before: ~22,500 points
    assert n < city / 4, (n, city)


@needs_coverage
def test_geometry_geos_cannot_clean_is_drawn_as_delivered(monkeypatch):
    g = geo.active()

    def fail(*a, **k):
        raise shapely.errors.GEOSException("TopologyException: side location conflict")

    monkeypatch.setattr(shapely, "coverage_clean", fail)
    lay = maps.print_layers(g, "wijk", 77.0)
    orig = g.frame("wijk").geometry.to_numpy()
    assert all(a.equals_exact(b, 0) for a, b in zip(orig, lay["units"], strict=True))
    g._cache.pop(("print_layers", "wijk", 77.0), None)


@needs_coverage
def test_units_without_an_outline_keep_their_rows(monkeypatch):
    """A unit with no polygon (None) must not shift the simplified outlines of the others."""
    g = geo.active()
    frame = g.frame("wijkraad")
    geoms = frame.geometry.to_numpy().copy()
    geoms[3] = None
    monkeypatch.setattr(type(g), "frame", lambda self, level=None, crs=None: frame.set_geometry(geoms, crs=frame.crs))
    lay = maps.print_layers(g, "wijkraad", 9.0)
    g._cache.pop(("print_layers", "wijkraad", 9.0), None)
    assert lay["units"][3] is None
    orig = [x for i, x in enumerate(geoms) if i != 3]
    out = [x for i, x in enumerate(lay["units"]) if i != 3]
    for a, b in zip(orig, out, strict=True):  # each row still holds its own unit
        assert shapely.hausdorff_distance(a, b) <= 2 * 9.0
        assert shapely.area(shapely.intersection(a, b)) > 0.9 * shapely.area(a)
