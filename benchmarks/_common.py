"""What the whole-process benchmarks (``bench_did``, ``bench_event_study_poisson``) share.

Paths of the scratch folder, the result folder and the two interpreters; the runner that times a
script under ``/usr/bin/time -v``; and the staggered-adoption design both synthetic panels use.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "_work"
RESULTS = ROOT / "benchmarks" / "results"
PEERS_PY = WORK / "peers" / "bin" / "python"
OUR_PY = ROOT / ".venv" / "bin" / "python"


def git_commit() -> str:
    """The short hash of the checked-out commit, recorded in every result file ("unknown" outside git)."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except Exception:  # noqa: BLE001 - not a git checkout
        return "unknown"


def wilson_pct(k: float, n: int, alpha: float = 0.05) -> str:
    """A share as a result-table cell: ``k`` of ``n`` in percent with its Wilson interval, "5.0% (2.1–11.2%)".

    ``k`` is rounded to a whole count (a sum of a boolean column may arrive as a float).
    """
    from wijklib.monitor.stats import wilson

    est, lo, hi = wilson(int(round(k)), int(n), alpha)
    return f"{100 * est:.1f}% ({100 * lo:.1f}–{100 * hi:.1f}%)"


#: A whole-process run longer than this (seconds) is stopped and recorded as stopped (env BENCH_TIMEOUT).
TIMEOUT_S = float(os.environ.get("BENCH_TIMEOUT", "900"))


def time_process(cmd: list[str], env: dict | None = None, timeout: float | None = None) -> tuple[float, float, float]:
    """Run ``cmd`` under /usr/bin/time -v; return (wall seconds, max RSS MiB, user+system CPU seconds).

    A run longer than ``timeout`` seconds (default ``TIMEOUT_S``) is stopped with its whole process group
    and raises ``TimeoutError("stopped after N s ...")``, which the benchmarks record in their tables.
    """
    import signal

    timeout = TIMEOUT_S if timeout is None else timeout
    t0 = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-v", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise TimeoutError(f"stopped after {time.perf_counter() - t0:.0f} s (limit {timeout:.0f} s)") from None
    wall = time.perf_counter() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    rss = int(m.group(1)) / 1024 if m else float("nan")
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", stderr))
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return wall, rss, cpu


def run_script(source: str, script: Path, py: Path, csv: Path, out: Path) -> dict:
    """Write ``source`` to ``script`` and time ``py script csv out`` as a whole process.

    BLAS is limited to one thread for every tool (the machine has 2 shared cores); ``PYTHONPATH``
    points at the repository so that the runner can import wijklib.
    """
    script.write_text(source)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    wall, rss, cpu = time_process([str(py), str(script), str(csv), str(out)], env=env)
    return {"wall_s": wall, "cpu_s": cpu, "max_rss_mib": rss, "out": str(out)}


def panel_csv(size: str, name: str, make_panel: Callable[[int, int], pd.DataFrame]) -> Path:
    """The ``"<units>x<periods>"`` panel as ``WORK/name``: generated on first use, then reused."""
    n_units, n_periods = (int(x) for x in size.split("x"))
    csv = WORK / name
    if not csv.exists():
        make_panel(n_units, n_periods).to_csv(csv, index=False)
    return csv


def staggered_cohorts(rng: np.random.Generator, n_units: int, n_periods: int) -> np.ndarray:
    """First treated period per unit: 0 (never treated) for 40%, else a cohort starting at 13, 25, ..."""
    starts = np.arange(13, n_periods - 5, 12)
    return np.where(rng.random(n_units) < 0.4, 0, rng.choice(starts, size=n_units))


def long_panel(g: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Long table ``id, t, g, y`` (1-based ids and periods) from cohorts ``g`` and a units x periods ``y``."""
    n_units, n_periods = y.shape
    return pd.DataFrame({
        "id": np.repeat(np.arange(1, n_units + 1), n_periods),
        "t": np.tile(np.arange(1, n_periods + 1), n_units),
        "g": np.repeat(g, n_periods),
        "y": y.ravel(),
    })
