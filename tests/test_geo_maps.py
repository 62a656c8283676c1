"""Maps of any geography: every verdict in the legend, every unit numbered with a key, vector text."""

from __future__ import annotations

import io

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

pytest.importorskip("geopandas")
from wijklib import geo  # noqa: E402
from wijklib.geo import maps  # noqa: E402


def _texts(fig) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def test_verdict_map_demo_all_verdicts_key_and_notes():
    u = geo.units("wijkraad")
    verdicts = dict(zip(u["wijkraad_id"][:3], ["op koers", "ongunstige ontwikkeling", "onvoldoende gegevens"],
                        strict=True))
    fig, ax = maps.verdict_map(verdicts, title="Totaaloordeel")
    text = _texts(fig)
    for v in maps.VERDICT_COLORS:  # all four verdicts in the legend, also one that no unit has
        assert v in text
    assert "geen oordeel" in text  # units without a verdict are marked as such
    for i, name in enumerate(sorted(u["wijkraad"], key=str.lower), start=1):
        assert f"{i:>2}  {name}" in text
    assert "benaderd" in text and "Geen waterkaart" in text
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # as the report's SVG route: text stays text
        fig.savefig(buf, format="svg")
    plt.close(fig)
    assert "Afrikaanderwijk" in buf.getvalue() and "onvoldoende gegevens" in buf.getvalue()
    with pytest.raises(ValueError, match="verdict 'prima' of 'tarwewijk' unknown"):
        maps.verdict_map({"tarwewijk": "prima"})


def test_locator_and_neighbour_maps():
    fig, ax = maps.locator_map("Tarwewijk")
    assert ax.get_title(loc="left") == "Tarwewijk in Charlois"
    plt.close(fig)
    fig, ax = maps.neighbour_map("Tarwewijk")
    text = _texts(fig)
    for code in geo.neighbours("tarwewijk"):
        assert geo.name(code, "wijkraad") in text
    assert "tolerantie 2 m" in text
    plt.close(fig)


def test_the_hague_map_renders():
    from wijklib.config import REFERENCE_DATA_DIR
    from wijklib.geo import haaglanden

    if not (REFERENCE_DATA_DIR / "thehague_crime" / "areas.txt").is_file():
        pytest.skip("reference data absent")
    g = haaglanden.geography("GM0518", buurten=False)
    fig, _ = maps.city_map(geography=g, level="wijk")
    text = _texts(fig)
    assert "'s-Gravenhage (GM0518): 44 wijken" in text and "Schildersbuurt" in text
    assert "benaderd" not in text  # real police outlines
    plt.close(fig)


def test_check_command_validates_and_draws(tmp_path, capsys):
    from wijklib.geo.__main__ import main

    png = tmp_path / "kaart.png"
    assert main(["check", str(geo.DEMO_GEOGRAPHY_DIR), "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "GM0599 Rotterdam" in out and "wijkraad       39 eenheden" in out and "GESCHAT" in out
    assert png.stat().st_size > 10_000
    (tmp_path / "leeg").mkdir()
    assert main(["check", str(tmp_path / "leeg")]) == 1
    assert "no manifest" in capsys.readouterr().err


@pytest.mark.parametrize("level", ["wijkraad", "wijk"])
def test_every_unit_numbered_once_and_visible(level):
    fig, ax = maps.verdict_map({}, level=level)
    fig.canvas.draw()
    seen = []
    for a in fig.axes:
        (x0, x1), (y0, y1) = a.get_xlim(), a.get_ylim()
        for t in a.texts:
            if t.get_text().isdigit():
                x, y = t.get_position()
                assert x0 <= x <= x1 and y0 <= y <= y1, t.get_text()
                seen.append(int(t.get_text()))
    assert sorted(seen) == list(range(1, len(geo.units(level)) + 1))
    assert len(fig.axes) == 2  # small units in a large gemeente: overview + zoom on the core
    plt.close(fig)


def test_run_config_geografie_section(tmp_path):
    from wijklib.report.maps import use_config_geography

    cfg = tmp_path / "run.yaml"
    base = "naam: x\ndemodata: false\nnotebook: notebooks/wijkrapport.ipynb\ngegevens: {interventie: x.csv}\n"
    cfg.write_text(base + f"eenheid: wijkraad\ngeografie: {geo.DEMO_GEOGRAPHY_DIR}\n", encoding="utf-8")
    try:
        g = use_config_geography(cfg)
        assert g is geo.active() and g.gemeente_code == "GM0599"
        cfg.write_text(base + "eenheid: wijk\ngeografie: {haaglanden: GM0518, buurten: false}\n", encoding="utf-8")
        from wijklib.config import REFERENCE_DATA_DIR
        if (REFERENCE_DATA_DIR / "thehague_crime" / "areas.txt").is_file():
            assert use_config_geography(cfg).gemeente_code == "GM0518"
            assert geo.units()["wijk_code"].str.startswith("WK0518").all()
    finally:
        geo.use(None)
