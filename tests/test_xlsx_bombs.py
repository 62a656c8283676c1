"""Hostile workbooks (issue 11): refused within seconds and bounded memory, measured in a subprocess.

Each bomb is built here in ``tmp_path`` (nothing large is committed): a 1.6 KB-like workbook whose
single cell sits at XFD1048576 (with and without its declared dimension), a zip bomb whose sheet is
~1 GB of XML in a few MB, the same with a lying declared size, and a gzip bomb named ``.csv``. The
loader runs in a fresh interpreter under an address-space limit (so a regression cannot take the
machine down) and reports its own time and peak RSS.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 10.0
LIMIT_MB = 500.0

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from wijklib import load
t1 = time.perf_counter()
out = {"import_s": t1 - t0}
try:
    getattr(load, sys.argv[1])(sys.argv[2], validate_units=False)
    out["error"] = None
except Exception as exc:  # the message and type are checked by the test
    out["error"] = f"{type(exc).__name__}: {exc}"
out["load_s"] = time.perf_counter() - t1
# Peak RSS of THIS process image: VmHWM (ru_maxrss would carry the forking pytest process's peak over
# execve on Linux, so a long test session would look like a bomb).
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]
out["maxrss_mb"] = (int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
print(json.dumps(out))
"""


def run_limited(loader: str, path: Path) -> dict:
    def limit():  # pragma: no cover - runs in the child
        import resource

        cap = 3 * 2**30  # address space: imports need ~1 GB virtual; a bomb that inflates hits this
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", CHILD, loader, str(path)], capture_output=True, text=True,
                       env=env, preexec_fn=limit, timeout=120)
    wall = time.perf_counter() - t0
    assert p.returncode == 0, p.stderr[-2000:]
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["wall_s"] = wall
    return res


def _zip(path: Path, members: list[tuple[str, bytes, int, int, int | None]]) -> None:
    """Write a zip by hand: (name, deflated bytes, crc, real size, declared size or None)."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, size, declared in members:
        usize = size if declared is None else declared
        n = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), usize, len(n), 0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), usize,
                               len(n), 0, 0, 0, 0, 0, offset) + n
    cd_offset = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_offset, 0)
    path.write_bytes(bytes(out))


def _deflate(data: bytes) -> tuple[bytes, int, int]:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), zlib.crc32(data), len(data)


def zip_bomb(path: Path, target_bytes: int = 2**30, *, lie: bool = False) -> Path:
    """A valid .xlsx whose sheet1.xml is ``target_bytes`` of XML, compressed by repeating one deflate block."""
    wb = Workbook()
    wb.active.append(["Wijkraad", "Week", "Inzet uren"])
    small = path.with_suffix(".seed.xlsx")
    wb.save(small)
    members = []
    with zipfile.ZipFile(small) as z:
        for name in z.namelist():
            if name != "xl/worksheets/sheet1.xml":
                members.append((name, *_deflate(z.read(name)), None))
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>')
    row = b'<row><c t="inlineStr"><is><t>tarwewijk</t></is></c><c><v>1</v></c><c><v>2</v></c></row>'
    chunk = row * (2**20 // len(row))
    tail = b"</sheetData></worksheet>"
    n = target_bytes // len(chunk)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head + chunk) + c.flush(zlib.Z_FULL_FLUSH)
    # After a full flush the compressor starts afresh, so every further copy of the chunk compresses
    # to the same bytes: ~1 GB of XML is written without compressing it.
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    last = c.compress(tail) + c.flush()
    crc = zlib.crc32(head + chunk)
    for _ in range(n - 1):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + n * len(chunk) + len(tail)
    data = first + block * (n - 1) + last
    members.append(("xl/worksheets/sheet1.xml", data, crc, size, 5_000 if lie else None))
    _zip(path, members)
    small.unlink()
    return path


def far_cell(path: Path, *, keep_dimension: bool = True) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["Wijkraad", "Week", "Inzet uren"])
    ws["XFD1048576"] = 1
    wb.save(path)
    if not keep_dimension:
        with zipfile.ZipFile(path) as z:
            items = {n: z.read(n) for n in z.namelist()}
        xml = items["xl/worksheets/sheet1.xml"].decode()
        start = xml.index("<dimension")
        items["xl/worksheets/sheet1.xml"] = (xml[:start] + xml[xml.index("/>", start) + 2:]).encode()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for n, d in items.items():
                z.writestr(n, d)
    return path


def gzip_bomb(path: Path, n_mb: int = 1024) -> Path:
    """A gzip file of a header and ``n_mb`` MB of '0' (same repeated-block construction as the zip bomb)."""
    head = b"Wijkraad;Week;Inzet uren\n"
    zeros = b"0" * 2**20
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head + zeros) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    last = c.flush()
    crc = zlib.crc32(head + zeros)
    for _ in range(n_mb - 1):
        crc = zlib.crc32(zeros, crc)
    size = len(head) + n_mb * len(zeros)
    header = b"\x1f\x8b\x08\x00" + b"\x00" * 4 + b"\x02\x03"
    path.write_bytes(header + first + block * (n_mb - 1) + last + struct.pack("<II", crc, size % 2**32))
    return path


BOMBS = {
    "far-cell-declared": (lambda t: far_cell(t / "uren.xlsx"), "declares the range A1:XFD1048576"),
    "far-cell-no-dimension": (lambda t: far_cell(t / "uren.xlsx", keep_dimension=False), "column XFD"),
    "zip-bomb-1GB": (lambda t: zip_bomb(t / "uren.xlsx"), "MB of XML"),
    "zip-bomb-lying-size": (lambda t: zip_bomb(t / "uren.xlsx", lie=True), "forged"),
    "gzip-bomb-named-csv": (lambda t: gzip_bomb(t / "uren.csv"), "gzip file expands beyond"),
}


@pytest.mark.parametrize("kind", list(BOMBS))
def test_bomb_is_refused_fast_with_bounded_memory(tmp_path, kind):
    make, phrase = BOMBS[kind]
    path = make(tmp_path)
    assert path.stat().st_size < 8 * 2**20, f"the bomb itself should be small ({path.stat().st_size} bytes)"
    res = run_limited("handhaving_uren", path)
    print(kind, {k: round(v, 2) if isinstance(v, float) else v for k, v in res.items() if k != "error"})
    assert res["error"] and res["error"].startswith("DataError"), res
    assert path.name in res["error"] and "refused" in res["error"] and phrase in res["error"], res["error"]
    assert res["load_s"] < LIMIT_S, res
    assert res["maxrss_mb"] < LIMIT_MB, res


def test_zip_bomb_builder_makes_a_real_workbook(tmp_path):
    # The bomb is honest: the same construction at 8 MB opens and decompresses to what it declares.
    p = zip_bomb(tmp_path / "small.xlsx", target_bytes=8 * 2**20)
    with zipfile.ZipFile(p) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        data = z.read("xl/worksheets/sheet1.xml")  # checks the CRC
    assert len(data) == info.file_size > 8 * 2**20 - 2**20 and info.file_size / info.compress_size > 100
    assert data.endswith(b"</sheetData></worksheet>")
    g = gzip_bomb(tmp_path / "g.csv", n_mb=8)
    with gzip.open(g) as fh:
        data = fh.read()  # checks CRC and size
    assert data.startswith(b"Wijkraad;Week") and len(data) > 8 * 2**20
