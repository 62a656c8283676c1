"""BLAS thread control: run the small normal equations of the fixed-effects engine on one BLAS thread."""

from __future__ import annotations

from typing import Any

# ----------------------------------------------------------------------------------------------
# BLAS threads
# ----------------------------------------------------------------------------------------------

_BLAS_SETTERS: list[tuple[Any, Any]] | None = None


def _blas_handles() -> list[tuple[Any, Any]]:
    """(get, set) thread-count functions of the OpenBLAS builds loaded in this process (Linux)."""
    global _BLAS_SETTERS
    if _BLAS_SETTERS is not None:
        return _BLAS_SETTERS
    import ctypes

    found: list[tuple[Any, Any]] = []
    try:
        with open("/proc/self/maps") as fh:
            libs = sorted({ln.split()[-1] for ln in fh if "openblas" in ln.lower() and ".so" in ln})
    except OSError:
        libs = []
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("64_", ""):
            for prefix in ("scipy_openblas", "openblas"):
                getn, setn = f"{prefix}_get_num_threads{suffix}", f"{prefix}_set_num_threads{suffix}"
                if hasattr(lib, getn) and hasattr(lib, setn):
                    found.append((getattr(lib, getn), getattr(lib, setn)))
                    break
    _BLAS_SETTERS = found
    return found


class _single_blas_thread:
    """Run BLAS single-threaded inside the block.

    Why: the normal equations here are small (p x p with p <= a few thousand) and the team
    machines are shared 2-core boxes; multi-threaded OpenBLAS then spins against other processes
    and a 500 x 500 Cholesky took 1 s instead of 20 ms (measured). threadpoolctl does the same
    but is not a dependency. A no-op where OpenBLAS is not found.
    """

    def __enter__(self) -> _single_blas_thread:
        self._old = []
        for get, set_ in _blas_handles():
            try:
                self._old.append((set_, int(get())))
                set_(1)
            except Exception:  # pragma: no cover - exotic BLAS builds
                continue
        return self

    def __exit__(self, *exc: object) -> None:
        for set_, n in self._old:
            set_(n)
