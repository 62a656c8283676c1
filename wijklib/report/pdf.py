"""HTML -> A4 PDF with WeasyPrint, and atomic file writes shared by the report batch.

A report file either appears complete under its final name or not at all: every writer goes through a
temporary file in the same folder followed by :func:`os.replace` (atomic on POSIX), so a crash or
Ctrl-C never leaves a half-written PDF that a later step (or a reader) would take for a finished one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

#: Prefix of temporary files; :func:`remove_stale_temp_files` cleans these after an interrupted run.
TMP_PREFIX = ".wijklib-tmp-"

_FONT_CONFIG = None


def atomic_write(path: str | Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` and move the result to ``path`` atomically.

    Parameters
    ----------
    path
        Final file name (its folder is created if needed).
    writer
        Function writing the complete file to the temporary path it is given.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write(d / "a.txt", lambda p: p.write_text("klaar")).read_text()
    'klaar'
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    # The temp name carries the final name, so the batch can remove exactly the temp files of a worker
    # that was killed without touching those of the workers still writing.
    fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(final), suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        # mkstemp creates the file -rw-------; a report on a shared drive must be readable like any file
        # the user writes, so apply the umask as open() would.
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, final)
    except BaseException:  # also KeyboardInterrupt: never leave the temp file behind
        tmp.unlink(missing_ok=True)
        raise
    return final


def temp_prefix(final: str | Path) -> str:
    """Prefix of the temporary files :func:`atomic_write` uses for ``final`` (same folder).

    Examples
    --------
    >>> temp_prefix("reports/2025/wijkrapport_2025_a.pdf")
    '.wijklib-tmp-wijkrapport_2025_a.pdf.'
    """
    return f"{TMP_PREFIX}{Path(final).name}."


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux ``/proc``).

    Examples
    --------
    >>> 0 <= current_umask() <= 0o777
    True
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting and restoring (not thread-safe, hence last resort)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write text (UTF-8) atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> atomic_write_text(pathlib.Path(tempfile.mkdtemp()) / "x.txt", "één").read_text(encoding="utf-8")
    'één'
    """
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def remove_stale_temp_files(folder: str | Path) -> int:
    """Delete temporary files left by an interrupted run (e.g. killed with SIGKILL); return how many.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> remove_stale_temp_files(pathlib.Path(tempfile.mkdtemp()))
    0
    """
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    stale = list(folder.rglob(f"{TMP_PREFIX}*"))
    for f in stale:
        f.unlink(missing_ok=True)
    return len(stale)


PDF_VARIANT = "pdf/ua-1"
"""The PDF variant every report is written as (accessible, tagged)."""


def html_to_pdf(html: str, path: str | Path, *, base_url: str | Path | None = None) -> Path:
    """Render an HTML document (with its own ``@page`` CSS) to a PDF file, atomically.

    The page size, margins, running header and "Pagina X van Y" footer come from the stylesheet in the
    HTML (see ``wijklib/report/style.css``), so HTML and PDF are one document.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = html_to_pdf("<html lang='nl'><body><p>Één pagina</p></body></html>",
    ...                   pathlib.Path(tempfile.mkdtemp()) / "t.pdf")
    >>> out.read_bytes()[:5]
    b'%PDF-'
    """
    import weasyprint  # imported lazily: 0.8 s, only needed when a PDF is asked for
    from weasyprint.text.fonts import FontConfiguration

    global _FONT_CONFIG
    if _FONT_CONFIG is None:  # one font cache per process, reused for every ward
        _FONT_CONFIG = FontConfiguration()
    document = weasyprint.HTML(string=html, base_url=str(base_url) if base_url else None)
    # PDF/UA-1: a tagged PDF (structure tree, reading order, document language and title) that screen
    # readers can follow; measured at no extra render time on the demo reports.
    return atomic_write(path, lambda p: document.write_pdf(p, font_config=_FONT_CONFIG, pdf_variant=PDF_VARIANT))
