"""Where a ward PDF's WeasyPrint time goes: the same HTML whole, without its maps, without any chart.

Usage::

    python -m benchmarks.pdf_split reports/.../wijkrapport_<ward>.html [--repeats 3]

Prints CPU seconds (median of ``--repeats`` in one warm process) of ``wijklib.report.pdf.html_to_pdf``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from wijklib.report.pdf import html_to_pdf

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    html = Path(args.html).read_text(encoding="utf-8")
    imgs = list(re.finditer(r'<img alt="([^"]*)" src="data:image/svg\+xml[^"]*"\s*/?>', html))
    maps = [m for m in imgs if m.group(1).startswith("Kaart")]

    def without(ms):
        out = html
        for m in ms:
            out = out.replace(m.group(0), "")
        return out

    variants = {"whole report": html, f"without its {len(maps)} maps": without(maps),
                f"without all {len(imgs)} charts (text and tables only)": without(imgs)}
    with tempfile.TemporaryDirectory() as d:
        html_to_pdf("<html><body><p>warm</p></body></html>", Path(d) / "w.pdf")
        print("| WeasyPrint input | CPU s |\n|---|---|")
        for name, text in variants.items():
            ts = []
            for _ in range(args.repeats):
                t = time.process_time()
                html_to_pdf(text, Path(d) / "x.pdf")
                ts.append(time.process_time() - t)
            print(f"| {name} | {statistics.median(ts):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
