"""The real Haaglanden geographies (thehague_crime/areas.txt) through the same API as every city."""

from __future__ import annotations

import pytest

from wijklib.config import REFERENCE_DATA_DIR

pytest.importorskip("geopandas")
AREAS = REFERENCE_DATA_DIR / "thehague_crime" / "areas.txt"
pytestmark = pytest.mark.skipif(not AREAS.is_file(), reason=f"{AREAS} absent (../shared/reference-data)")


def test_the_hague_wijken_buurten_and_borders():
    from wijklib.geo import haaglanden

    g = haaglanden.geography("GM0518")
    assert (g.gemeente_code, g.gemeente_naam, g.levels) == ("GM0518", "'s-Gravenhage", ("buurt", "wijk", "gemeente"))
    # 37 wijken hold buurten of the crime file (93 buurten); 7 more are drawn as context.
    assert len(g.units("wijk")) == 37 and len(g.units("buurt")) == 93 and len(g.context()) == 7
    assert not g.polygons_approximate("wijk")
    nb = set(g.neighbours("Centrum", "wijk"))
    assert {"WK051827", "WK051829"} <= nb  # Stationsbuurt, Schildersbuurt
    assert "WK051807" not in nb  # Scheveningen is on the coast
    a = g.adjacency("wijk")
    assert set(map(tuple, a.to_numpy())) == {(b, c) for c, b in a.to_numpy()}
    # Each buurt point lies inside its own (real) wijk, so locate finds it back.
    p = g.points("buurt")
    assert g.locate(p["x"], p["y"]).tolist() == p["code"].tolist()
    assert g.normalize("schildersbuurt west") == "BU05182915"
    with pytest.raises(Exception, match="no kwb table delivered"):
        g.population("wijk")


def test_every_gemeente_in_areas_txt_loads():
    from wijklib.geo import haaglanden

    total = 0
    for gm in haaglanden.gemeenten():
        g = haaglanden.geography(gm, buurten=False)
        total += len(g.units("wijk"))
        g.adjacency("wijk")
    assert total == 236
