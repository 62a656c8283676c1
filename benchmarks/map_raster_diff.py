"""Raster diff of the report maps drawn by two code trees (issue 15: maps cut and simplified for print).

For each ward: its locator map and neighbour map, and the city's verdict map, as the reports print
them (``plots.svg_bytes`` -> the runner's slimmed SVG data URI -> WeasyPrint PDF), rendered by each
tree in its own process, rasterised at 300 dpi with ``pdftoppm`` and compared pixel by pixel.

Usage::

    python -m benchmarks.map_raster_diff --before /tmp/base --after . --wards tarwewijk,bloemhof,feijenoord
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import os, sys, time
sys.path.insert(0, os.getcwd())
import matplotlib; matplotlib.use("Agg")
from wijklib import geo, plots
from wijklib.geo import maps
from wijklib.report import runner
from wijklib.report.pdf import html_to_pdf
plots.setup()
out = sys.argv[2]
g = geo.active()
figs = {"stad": lambda: maps.verdict_map({u: "op koers" for u in list(g.units(g.default_level)[g.key_columns[g.default_level]])[::3]}, geography=g)}
for w in sys.argv[1].split(","):
    figs[w + "-locator"] = lambda w=w: maps.locator_map(w, geography=g)
    figs[w + "-buren"] = lambda w=w: maps.neighbour_map(w, geography=g)
import matplotlib.pyplot as plt
for name, make in figs.items():
    fig, _ = make()
    svg = plots.svg_bytes(fig); plt.close(fig)
    html = f"<html><body><img src='{runner.svg_data_uri(svg)}'/></body></html>"
    t = time.process_time()
    html_to_pdf(html, os.path.join(out, name + ".pdf"))
    print(name, f"{time.process_time() - t:.3f}", len(svg))
"""


def render(tree: Path, wards: str, out: Path) -> dict[str, tuple[float, int]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    p = subprocess.run([sys.executable, "-c", _CHILD, wards, str(out)], cwd=tree, env=env, capture_output=True,
                       text=True, check=False)
    if p.returncode:
        raise RuntimeError(p.stderr[-3000:])
    res = {}
    for ln in p.stdout.splitlines():
        name, cpu, size = ln.split()
        res[name] = (float(cpu), int(size))
    return res


def raster(pdf: Path) -> np.ndarray:  # noqa: F821
    import numpy as np
    from PIL import Image

    stem = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(pdf), str(stem)], check=True)
    return np.asarray(Image.open(str(stem) + ".png").convert("RGB"), dtype=np.int16)


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--wards", default="tarwewijk,bloemhof,feijenoord")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        a, b = Path(d) / "a", Path(d) / "b"
        a.mkdir(), b.mkdir()
        ra = render(Path(args.before).resolve(), args.wards, a)
        rb = render(Path(args.after).resolve(), args.wards, b)
        print("| map | SVG kB before / after | WeasyPrint CPU s before / after | pixels differing (>0 / >64 of 255) "
              "| max difference (0-255) |")
        print("|---|---|---|---|---|")
        for name in ra:
            x, y = raster(a / f"{name}.pdf"), raster(b / f"{name}.pdf")
            if x.shape != y.shape:
                print(f"| {name} | size differs {x.shape} vs {y.shape} | | | |")
                continue
            diff = np.abs(x - y).max(axis=2)
            print(f"| {name} | {ra[name][1] / 1024:.0f} / {rb[name][1] / 1024:.0f} | {ra[name][0]:.3f} / "
                  f"{rb[name][0]:.3f} | {(diff > 0).mean():.4%} / {(diff > 64).mean():.4%} of {diff.size} "
                  f"| {int(diff.max())} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
