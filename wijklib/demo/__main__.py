"""CLI: ``python -m wijklib.demo --out data/raw/demo [--seed N] [--scale 0.1]``.

National demo: ``python -m wijklib.demo --national --scale 0.1 --out <folder>`` writes every gemeente
(``scale`` = share of the Netherlands) and ``python -m wijklib.demo --national-evaluate <folder>
[--year 2025] [--out-json <folder>]`` runs the monitor on it, one overview per gemeente.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from wijklib.config import DEMO_SEED


def main(argv: list[str] | None = None) -> int:
    """Generate the demo city (or the national demo); prints what was written. Returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m wijklib.demo",
        description="Generate the synthetic demo city (SYNTHETISCHE DEMODATA) into a folder.")
    parser.add_argument("--out", type=Path, help="output folder, e.g. data/raw/demo")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED})")
    parser.add_argument("--scale", type=float, default=None,
                        help="city: multiplies all event rates (default 1.0; 0.1 for a small city); "
                             "--national: share of the Netherlands (default 0.1; 1 = 342 gemeenten, 3,326 wijken)")
    parser.add_argument("--national", action="store_true",
                        help="write the national demo (all gemeenten with wijken and buurten) instead of the city")
    parser.add_argument("--national-evaluate", type=Path, metavar="FOLDER",
                        help="run the monitor on a national demo written with --national")
    parser.add_argument("--year", type=int, default=2025, help="monitor year for --national-evaluate")
    parser.add_argument("--out-json", type=Path, help="--national-evaluate: write one overview JSON per gemeente here")
    args = parser.parse_args(argv)
    if args.scale is not None and not args.scale > 0:
        parser.error(f"--scale must be positive, got {args.scale}")
    if args.national_evaluate is not None:
        return _evaluate(args)
    if args.out is None:
        parser.error("--out is required (or --national-evaluate FOLDER)")
    from wijklib import demo

    t0 = time.perf_counter()
    if args.national:
        scale = 0.1 if args.scale is None else args.scale
        nd = demo.simulate_national(scale=scale, seed=args.seed)
        demo.write_national(nd, args.out)
        t = nd.truth
        print(f"wijklib.demo: wrote the national demo to {args.out} (seed {args.seed}, scale {scale}: "
              f"{t['n_gemeenten']} gemeenten, {t['n_wijken']:,} wijken, {t['n_buurten']:,} buurten, "
              f"{len(t['start_month']):,} treated wijken) in {time.perf_counter() - t0:.1f} s")
        return 0
    scale = 1.0 if args.scale is None else args.scale
    city = demo.generate(args.out, seed=args.seed, scale=scale)
    n = len(city.tables["meldingen"])
    print(f"wijklib.demo: wrote the synthetic demo city to {args.out} "
          f"(seed {args.seed}, scale {scale}, {n:,} meldingen) in {time.perf_counter() - t0:.1f} s")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from wijklib import demo

    t0 = time.perf_counter()
    nd = demo.read_national(args.national_evaluate)
    res = demo.evaluate_national(nd, args.year, progress=True)
    wall = time.perf_counter() - t0
    n_w = sum(len(c.wards) for c in res.values())
    n_f = sum(len(c.failures) for c in res.values())
    if args.out_json is not None:
        args.out_json.mkdir(parents=True, exist_ok=True)
        for gm, c in res.items():
            (args.out_json / f"{gm}_{args.year}.json").write_text(
                json.dumps({"gemeente": gm, **c.headline(), "failures": c.failures}, ensure_ascii=False, indent=1),
                encoding="utf-8")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wijklib.demo: monitor {args.year} on {len(res)} gemeenten, {n_w:,} wijken evaluated, {n_f} failed, "
          f"{wall:.0f} s, peak RSS {rss:.0f} MiB")
    return 1 if n_f else 0


if __name__ == "__main__":
    sys.exit(main())
