"""CLI: ``python -m wijklib.demo --out data/raw/demo [--seed N] [--scale 0.1]``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from wijklib.config import DEMO_SEED


def main(argv: list[str] | None = None) -> int:
    """Generate the demo city; prints what was written. Returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m wijklib.demo",
        description="Generate the synthetic demo city (SYNTHETISCHE DEMODATA) into a folder.")
    parser.add_argument("--out", required=True, type=Path, help="output folder, e.g. data/raw/demo")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help=f"random seed (default {DEMO_SEED})")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies all event rates (default 1.0; 0.1 for a small city)")
    args = parser.parse_args(argv)
    if not args.scale > 0:
        parser.error(f"--scale must be positive, got {args.scale}")
    from wijklib import demo

    t0 = time.perf_counter()
    city = demo.generate(args.out, seed=args.seed, scale=args.scale)
    n = len(city.tables["meldingen"])
    print(f"wijklib.demo: wrote the synthetic demo city to {args.out} "
          f"(seed {args.seed}, scale {args.scale}, {n:,} meldingen) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
