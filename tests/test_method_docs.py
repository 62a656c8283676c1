"""The method pages (docs/methods/*.md) run as written and print the numbers they show.

Every ```python block of a page runs, in order, in one namespace per page, from the repository root. The
```text block right after a python block is what that block prints: the test compares the captured output
with it line by line, so a page cannot keep numbers the code no longer gives. A python block without a
text block after it must print nothing.

The published data the pages use are committed under tests/reference/data (with their sources in
SOURCE.md); a page that reads a file from ../shared/reference-data is skipped, with the reason, when that
folder is absent. The demo panel is loaded once for all pages (``wl.panel.load_demo`` is memoised for the
test), so the pages' own code is what the test times.

Rewrite the text blocks after an intended change with ``python tests/test_method_docs.py --write``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs" / "methods").glob("*.md"))
SHARED = ROOT.parent / "shared" / "reference-data"
BLOCK = re.compile(r"^```python\n(?P<code>.*?)^```\n(?:\n```text\n(?P<out>.*?)^```\n)?", flags=re.S | re.M)


def blocks(path: Path) -> list[tuple[str, str | None, re.Match]]:
    return [(m["code"], m["out"], m) for m in BLOCK.finditer(path.read_text(encoding="utf-8"))]


def run_page(path: Path) -> list[str]:
    """Run a page's python blocks in order; the stdout of each block."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns: dict = {"__name__": "__method_doc__"}
    outs = []
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for code, _, _ in blocks(path):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(code, str(path), "exec"), ns)  # noqa: S102 - the documentation's own code
            outs.append(buf.getvalue())
    finally:
        os.chdir(cwd)
        plt.close("all")
    return outs


def _norm(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


@pytest.fixture(scope="module", autouse=True)
def _demo_once():
    import wijklib as wl

    orig = wl.panel.load_demo
    wl.panel.load_demo = functools.lru_cache(maxsize=None)(orig)
    yield
    wl.panel.load_demo = orig


def test_there_are_four_method_pages_linked_from_the_docs():
    names = {p.name for p in PAGES}
    assert {"honestdid.md", "dcdh.md", "bacon.md", "event-study-bins.md"} <= names
    quick = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in names:
        assert f"methods/{name}" in quick and f"docs/methods/{name}" in readme, name


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_page_prints_what_it_shows(path):
    text = path.read_text(encoding="utf-8")
    if "shared/reference-data" in text and not SHARED.is_dir():
        pytest.skip(f"{path.name} reads published data from {SHARED}, which is absent")
    bl = blocks(path)
    assert bl and any(out is not None for _, out, _ in bl), f"{path.name} shows no output"
    for i, ((_code, expected, _), got) in enumerate(zip(bl, run_page(path), strict=True), 1):
        if expected is None:
            assert got == "", f"{path.name} block {i} prints output the page does not show:\n{got}"
        else:
            assert _norm(got) == _norm(expected), (f"{path.name} block {i}: the page shows\n{expected}\n"
                                                   f"but the code prints\n{got}")


def _write(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    outs = run_page(path)
    pieces, last = [], 0
    for (code, _expected, m), got in zip(blocks(path), outs, strict=True):
        pieces.append(text[last:m.start()])
        block = f"```python\n{code}```\n"
        if got:
            block += f"\n```text\n{got.rstrip()}\n```\n"
        pieces.append(block)
        last = m.end()
    pieces.append(text[last:])
    path.write_text("".join(pieces), encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv:
        for p in PAGES if len(sys.argv) < 3 else [Path(a) for a in sys.argv[1:] if a != "--write"]:
            _write(p)
            print("wrote", p)
