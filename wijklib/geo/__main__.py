"""Command line: validate a geography folder and draw its map.

    python -m wijklib.geo check <folder> [--png kaart.png] [--level wijk]
    python -m wijklib.geo haaglanden --gemeente GM0518 --out <folder> [--zonder-buurten]

``check`` reads the folder exactly as the reports do (:func:`wijklib.geo.load`), prints what it
found (levels and units, years, residents, what is estimated or missing, neighbours, crosswalk) and,
with ``--png``, draws every unit numbered with its name. Exit status 0 = usable, 1 = not usable
(the message names the file, row/feature, value and what was expected).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _check(args: argparse.Namespace) -> int:
    from wijklib import geo

    try:
        g = geo.load(args.folder)
    except geo.GeoDataError as exc:
        print(f"NIET BRUIKBAAR: {exc}", file=sys.stderr)
        return 1
    print(f"{g.gemeente_code} {g.gemeente_naam}  (manifest {g.source})")
    print(f"geografiejaar {g.current_year}; jaren met codes {g.geography_years[0]}-{g.geography_years[-1]}")
    for lv in g.levels[:-1]:
        n = len(g.units(lv))
        poly = ("benaderde grenzen" if g.polygons_approximate(lv) else "echte grenzen") if g.has_polygons(lv) \
            else "geen grenzen (punten/codes)"
        line = f"  {lv:<12} {n:>4} eenheden  sleutel {g.key_columns[lv]:<14} {poly}"
        if g.has_polygons(lv):
            a = g.adjacency(lv)
            line += f"; {len(a) // 2} buurparen (tolerantie {a.attrs['tolerance_m']:g} m)"
        print(line)
    print(f"  rapportniveau: {g.default_level}")
    if g.population_years:
        p = g.units("gemeente")["population"].iloc[0]
        est = " (GESCHAT)" if "bevolking" in g.estimated else ""
        print(f"inwoners{est}: jaren {g.population_years[0]}-{g.population_years[-1]}; "
              f"{g.population_years[-1]}: {int(p):,}".replace(",", "."))
    if len(g.geography_years) > 1:
        cw = g.crosswalk(g.geography_years[0], changed_only=True)
        print(f"omzetting {g.geography_years[0]} -> {g.current_year}: {cw['old_code'].nunique()} gewijzigde codes "
              f"(methode: {cw.attrs['method']}{', illustratief' if cw.attrs.get('illustrative') else ''})")
    ctx = g.context()
    if len(ctx):
        print(f"context (geen eenheid, wel op de kaart): {', '.join(ctx['naam'])}")
    if g.estimated:
        print(f"geschat/benaderd volgens het manifest: {', '.join(g.estimated)}")
    for m in g.missing() + g._p.notes:
        print(f"ontbreekt/let op: {m}")
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        from wijklib.geo import maps

        level = args.level or g.default_level
        if not g.has_polygons(level):
            print(f"NIET GETEKEND: geen grenzen voor niveau {level!r}", file=sys.stderr)
            return 1
        fig, _ = maps.city_map(geography=g, level=level)
        fig.savefig(args.png, dpi=150)
        print(f"kaart: {args.png}")
    return 0


def _haaglanden(args: argparse.Namespace) -> int:
    from wijklib.geo import haaglanden

    path = haaglanden.write_folder(args.out, args.gemeente, buurten=not args.zonder_buurten)
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m wijklib.geo", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="validate a geography folder (geografie.yaml) and optionally draw its map")
    c.add_argument("folder", type=Path)
    c.add_argument("--png", type=Path, help="draw every unit, numbered, to this PNG")
    c.add_argument("--level", help="level to draw (default: the reporting level)")
    c.set_defaults(fn=_check)
    h = sub.add_parser("haaglanden", help="write a Haaglanden gemeente of thehague_crime/areas.txt as a folder")
    h.add_argument("--gemeente", default="GM0518")
    h.add_argument("--out", type=Path, required=True)
    h.add_argument("--zonder-buurten", action="store_true", help="only wijken (every wijk of areas.txt a unit)")
    h.set_defaults(fn=_haaglanden)
    args = p.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
