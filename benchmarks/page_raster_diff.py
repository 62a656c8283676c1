"""Raster diff of the pages of two report batches (same reports, e.g. before/after a rendering change).

Every page of each named report is rasterised at 300 dpi with ``pdftoppm`` in both folders and compared
pixel by pixel (max over the RGB channels). Prints a Markdown table row per report.

Usage::

    python -m benchmarks.page_raster_diff /tmp/out_before/2025 /tmp/out_after/2025 tarwewijk stadsoverzicht
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    from PIL import Image

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    before, after, names = Path(args[0]), Path(args[1]), args[2:]
    print("| report | pages | pages with any difference | pixels differing at all | pixels differing by > 64/255 "
          "| max difference |\n|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        for name in names:
            pngs = []
            for side, folder in (("a", before), ("b", after)):
                pdfs = sorted(folder.glob(f"*{name}*.pdf"))
                if len(pdfs) != 1:
                    raise SystemExit(f"{folder}: expected one PDF matching *{name}*.pdf, found {len(pdfs)}")
                out = Path(d) / f"{name}-{side}"
                out.mkdir()
                subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdfs[0]), str(out / "p")], check=True)
                pngs.append(sorted(out.glob("*.png")))
            if len(pngs[0]) != len(pngs[1]):
                print(f"| {name} | {len(pngs[0])} vs {len(pngs[1])} | page count differs | | | |")
                continue
            mx = n0 = n64 = tot = changed = 0
            for x, y in zip(*pngs, strict=True):
                a = np.asarray(Image.open(x).convert("RGB"), dtype=np.int16)
                b = np.asarray(Image.open(y).convert("RGB"), dtype=np.int16)
                if a.shape != b.shape:
                    changed += 1
                    continue
                diff = np.abs(a - b).max(axis=2)
                mx, n0, n64 = max(mx, int(diff.max())), n0 + int((diff > 0).sum()), n64 + int((diff > 64).sum())
                tot += diff.size
                changed += bool(diff.max())
            print(f"| {name} | {len(pngs[0])} | {changed} | {n0 / tot:.4%} | {n64 / tot:.4%} | {mx} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
