"""Maps in the reports (city overview choropleth, ward locator, ward with its neighbours).

Separate from :mod:`wijklib.report.content` so that the notebooks call them as cells of their own;
the drawing is :mod:`wijklib.geo.maps`. A run config's ``geografie:`` section (a folder, a manifest,
or ``{haaglanden: GM0518}``) selects the geography; without it the active one (the demo city) is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wijklib.report.content import show_md


def use_config_geography(config_path: str | Path):
    """The :mod:`wijklib.geo` geography of a run config (its ``geografie:``, else the active one), activated."""
    from wijklib import geo
    from wijklib.report import evaluations
    from wijklib.report.settings import load_config

    cfg = load_config(config_path)
    return geo.use(evaluations.geo_of(cfg)) if cfg.geografie is not None else geo.active()


def _show(fig: Any, alt: str | None = None) -> None:
    from wijklib import plots

    plots.show(fig, alt=alt)


def city_verdict_map(overzicht: Any) -> None:
    """The city overview's choropleth: every ward by its overall verdict, numbered, with key.

    ``overzicht`` is a :class:`wijklib.report.content.CityReport` (``table()`` has ``wijkraad_id``
    and ``oordeel``, ``jaar`` the year).
    """
    from wijklib.geo import maps

    g = use_config_geography(overzicht.cfg.path)
    t = overzicht.table()
    key = "wijkraad_id" if "wijkraad_id" in t.columns else t.columns[0]
    verdicts = {u: v for u, v in zip(t[key], t["oordeel"], strict=True) if v in maps.VERDICT_COLORS}
    fig, _ = maps.verdict_map(verdicts, geography=g, title=f"Totaaloordeel per {g.default_level}, {overzicht.jaar}")
    _show(fig)


def ward_locator(rapport: Any) -> None:
    """Small locator map: the ward highlighted in its gebied and the city."""
    from wijklib.geo import maps

    g = use_config_geography(rapport.cfg.path)
    fig, _ = maps.locator_map(rapport.code, geography=g)
    _show(fig)


def ward_neighbours(rapport: Any) -> None:
    """The ward and the wards that share a border with it (the spillover comparison)."""
    from wijklib.geo import maps

    g = use_config_geography(rapport.cfg.path)
    nbs = [g.name(c, g.default_level) for c in g.neighbours(rapport.code, g.default_level)]
    fig, _ = maps.neighbour_map(rapport.code, geography=g)
    show_md(f"**{rapport.naam} en haar buren.** " + (
        f"Wijken met een gemeenschappelijke grens: {', '.join(nbs)}. Uitstraling van handhaving (verplaatsing of "
        "juist verbetering) is het eerst in deze buurwijken te verwachten." if nbs else
        "Geen wijk deelt een grens met deze wijk."))
    _show(fig, alt=f"Kaart van {rapport.naam} en de wijken die er een grens mee delen"
                   + (f": {', '.join(nbs)}." if nbs else ": geen."))
