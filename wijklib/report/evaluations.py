"""Shared work of a demo-city report batch, computed once and cached on disk for all ward notebooks.

``wijklib.monitor`` evaluates a ward in seconds once the city-wide fits exist, but building those fits
(and loading the raw files) takes minutes. A batch therefore evaluates the whole city ONCE in the parent
process (:func:`prepare`), writes one JSON per ward (``WardEvaluation.to_json``) plus the ward x month
panel, and every ward notebook only reads its JSON (:func:`load_ward`). The cache key is a fingerprint of
the raw data files, the monitor configuration and the year, so a rerun on the same inputs reuses it and
gives the same numbers, and any change to the inputs rebuilds it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

import pandas as pd

from wijklib.config import PROCESSED_DIR
from wijklib.report.pdf import atomic_write, atomic_write_text
from wijklib.report.settings import ReportConfig

#: Default cache folder; the environment variable ``WIJKLIB_REPORT_CACHE`` overrides it (tests, CI).
CACHE_ROOT = PROCESSED_DIR / "report_cache"


def cache_root() -> Path:
    """The cache folder in use (``$WIJKLIB_REPORT_CACHE`` or :data:`CACHE_ROOT`)."""
    return Path(os.environ.get("WIJKLIB_REPORT_CACHE", CACHE_ROOT))


class EvaluationMissing(RuntimeError):
    """The monitor could not evaluate a ward (its data are broken); the message says why."""


def fingerprint(cfg: ReportConfig, year: int) -> str:
    """Hash of everything a demo batch's numbers depend on (data files, monitor config, year).

    Examples
    --------
    >>> from wijklib.report.settings import load_config
    >>> len(fingerprint(load_config("config/demo.yaml"), 2025))
    12
    """
    h = hashlib.sha1(f"year={year}".encode())
    files = sorted(p for p in Path(cfg.data_dir).glob("*") if p.is_file()) if cfg.data_dir else []
    for p in files:
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    if cfg.monitor_config is not None and cfg.monitor_config.is_file():
        h.update(cfg.monitor_config.read_bytes())
    for mod in ("monitor", "panel", "did", "its", "load"):  # code changes give new numbers too
        base = Path(__file__).resolve().parents[1]
        for p in sorted((base / mod).rglob("*.py")) if (base / mod).is_dir() else [base / f"{mod}.py"]:
            if p.is_file():
                h.update(p.read_bytes())
    return h.hexdigest()[:12]


#: Set by the batch runner for its workers: the cache folder the parent prepared. A batch must read
#: the evaluations it prepared even if the code fingerprint changes while it runs.
PINNED_ENV = "WIJKLIB_REPORT_CACHE_DIR"


def cache_dir(cfg: ReportConfig, year: int) -> Path:
    """Folder of the cached evaluations of one batch (``data/processed/report_cache/demo_<year>_<key>``)."""
    pinned = os.environ.get(PINNED_ENV)
    if pinned and Path(pinned).name.startswith(f"demo_{year}_"):
        return Path(pinned)
    return cache_root() / f"demo_{year}_{fingerprint(cfg, year)}"


def prepare(cfg: ReportConfig, year: int, wards: list[str] | None = None) -> Path:
    """Evaluate the city (or ``wards``) once and write the cache; returns the cache folder.

    Wards whose evaluation fails are recorded in ``failures.json`` with the monitor's message, so their
    report fails with that readable reason while the other wards go on.
    """
    from wijklib import monitor, panel

    folder = cache_dir(cfg, year)
    done = folder / "done.json"
    have: set[str] = set()
    if done.is_file():
        state = json.loads(done.read_text(encoding="utf-8"))
        have = set(state["wards"])
        if (wards is None and state.get("complete")) or (wards is not None and set(wards) <= have):
            return folder
    if cfg.data_dir is None or not Path(cfg.data_dir).is_dir():
        raise FileNotFoundError(f"{cfg.data_dir}: demo data folder missing; run `make demo-data` first")
    tables = panel.load_demo(cfg.data_dir)
    ctx = monitor.Context(tables, config=cfg.monitor_config)
    city = monitor.evaluate_city(year, context=ctx, wards=wards)
    (folder / "evaluations").mkdir(parents=True, exist_ok=True)
    for w, ev in city.wards.items():
        text = json.dumps(ev.to_dict(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        atomic_write_text(folder / "evaluations" / f"{w}_{year}.json", text)
    atomic_write(folder / "panel.pkl", lambda p: ctx.panel.to_pickle(p))
    names = {w: ctx.ward_name(w) for w in ctx.wards()}
    failures_file = folder / "failures.json"
    failures = json.loads(failures_file.read_text(encoding="utf-8")) if failures_file.is_file() else {}
    failures.update(city.failures)
    for w in city.wards:
        failures.pop(w, None)
    atomic_write_text(failures_file, json.dumps(failures, ensure_ascii=False, indent=1, sort_keys=True))
    atomic_write_text(folder / "wards.json", json.dumps(names, ensure_ascii=False, indent=1))
    state = {"wards": sorted(have | set(city.wards) | set(city.failures)), "complete": wards is None}
    atomic_write_text(done, json.dumps(state))
    return folder


def read_evaluation(path: Path) -> Any:
    """Read one cached ``WardEvaluation`` JSON (errors name the file and the line).

    ``WardEvaluation.from_json`` restores NaN estimates, dtypes and dates itself, so the cached evaluation
    equals the one the batch computed.

    Examples
    --------
    >>> import tempfile, warnings; warnings.simplefilter("ignore")
    >>> from wijklib import monitor
    >>> from wijklib.demo import simulate
    >>> ctx = monitor.Context(simulate(scale=0.02).tables, outcomes=["afval"])
    >>> ev = monitor.evaluate_ward("Pernis", 2025, context=ctx, previous=False)
    >>> back = read_evaluation(ev.to_json(Path(tempfile.mkdtemp()) / "pernis_2025.json"))
    >>> back.to_frame().equals(ev.to_frame())
    True
    """
    from wijklib import monitor

    return monitor.WardEvaluation.from_json(path)


def load_ward(cfg: ReportConfig, year: int, ward: str) -> Any:
    """The cached :class:`wijklib.monitor.WardEvaluation` of a ward (prepared on demand when absent).

    Raises
    ------
    EvaluationMissing
        When the monitor could not evaluate the ward (message from ``failures.json``).
    ValueError
        When the ward's JSON is unreadable (names the file and the line).
    """
    folder = cache_dir(cfg, year)
    path = folder / "evaluations" / f"{ward}_{year}.json"
    if not path.is_file():
        failures = folder / "failures.json"
        if failures.is_file():
            reason = json.loads(failures.read_text(encoding="utf-8")).get(ward)
            if reason:
                raise EvaluationMissing(f"wijkraad {ward!r}: de monitor kon deze wijk niet evalueren: {reason}")
        prepare(cfg, year, wards=[ward])  # interactive use without a batch: evaluate just this ward
    if not path.is_file():
        raise EvaluationMissing(f"wijkraad {ward!r}: no evaluation written to {path}")
    return read_evaluation(path)


def load_panel(cfg: ReportConfig, year: int) -> pd.DataFrame:
    """The ward x month panel of the batch (for the charts that need monthly series)."""
    folder = cache_dir(cfg, year)
    path = folder / "panel.pkl"
    if not path.is_file():
        prepare(cfg, year)
    st = path.stat()
    # The batch reuses one kernel for many wards: read the panel once per kernel, hand out copies.
    return _read_panel(str(path), st.st_mtime_ns, st.st_size).copy()


@functools.lru_cache(maxsize=2)
def _read_panel(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    with open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301 - our own cache file, written by prepare()


def load_city(cfg: ReportConfig, year: int) -> tuple[dict[str, Any], dict[str, str]]:
    """All cached ward evaluations of a year and the failures (for the city overview)."""
    folder = prepare(cfg, year)
    evs = {}
    for p in sorted((folder / "evaluations").glob(f"*_{year}.json")):
        ev = read_evaluation(p)
        evs[ev.wijkraad_id] = ev
    failures = json.loads((folder / "failures.json").read_text(encoding="utf-8"))
    return evs, failures
