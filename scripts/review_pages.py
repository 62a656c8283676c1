"""Contact sheets of report PDFs for a reader's review: every page of a PDF side by side in one PNG.

Usage: ``python scripts/review_pages.py OUT_DIR PDF [PDF ...] [--dpi 30] [--cols 5] [--first N --last M]``

Pages are rasterised with poppler's ``pdftoppm`` (installed by ``scripts/install-system-deps.sh``) and
quantised to a small palette so a sheet of a 12-page report stays a few hundred kB.
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from PIL import Image


def contact_sheet(pdf: Path, out: Path, *, dpi: int = 30, cols: int = 5, first: int | None = None,
                  last: int | None = None) -> Path:
    """Write one PNG holding the pages ``first``..``last`` (default: all) of ``pdf`` in a grid of ``cols``
    columns; return its path."""
    span = (["-f", str(first)] if first else []) + (["-l", str(last)] if last else [])
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(dpi), *span, "-png", str(pdf), f"{tmp}/p"], check=True)
        pages = [Image.open(p).convert("RGB") for p in sorted(Path(tmp).glob("p*.png"))]
    if not pages:
        raise ValueError(f"{pdf}: pdftoppm produced no pages")
    # Landscape and portrait pages mix in the overview: each cell is as large as the largest page.
    w, h = max(p.width for p in pages), max(p.height for p in pages)
    cols = min(cols, len(pages))
    rows = -(-len(pages) // cols)
    sheet = Image.new("RGB", (cols * (w + 8) - 8, rows * (h + 8) - 8), "#888888")
    for k, page in enumerate(pages):
        sheet.paste(page, ((k % cols) * (w + 8), (k // cols) * (h + 8)))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=96, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("pdfs", type=Path, nargs="+")
    ap.add_argument("--dpi", type=int, default=30)
    ap.add_argument("--cols", type=int, default=5)
    ap.add_argument("--first", type=int, help="first page (1-based); a close-up of a few pages")
    ap.add_argument("--last", type=int)
    args = ap.parse_args(argv)
    for pdf in args.pdfs:
        name = pdf.stem + (f"-p{args.first or 1}-{args.last}" if args.first or args.last else "")
        out = contact_sheet(pdf, args.out_dir / f"{name}.png", dpi=args.dpi, cols=args.cols, first=args.first,
                            last=args.last)
        print(f"{out}  ({out.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
