"""Shared work of a demo-city report batch, computed once and cached on disk for all ward notebooks.

``wijklib.monitor`` evaluates a ward in seconds once the city-wide fits exist, but building those fits
(and loading the raw files) takes minutes. A batch therefore evaluates the whole city ONCE in the parent
process (:func:`prepare`), writes one JSON per ward (``WardEvaluation.to_json``) plus the ward x month
panel, and every ward notebook only reads its JSON (:func:`load_ward`). The cache key is a fingerprint of
the raw data files (content), the monitor configuration, the code and the year, so a rerun on the same
inputs reuses it and gives the same numbers, and any change to the inputs rebuilds it.

Every artefact also records what it was computed from (:func:`provenance`: ward, year, monitor
configuration, input fingerprint, code fingerprint, wijklib version) and is checked against the request
before use (:func:`check_provenance`): an evaluation of another ward, year or data version is never
rendered under the requested ward's name. Outside a batch a stale artefact is recomputed; inside a
batch (pinned cache) the ward fails with the reason.
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


def _file_sha(path: Path) -> str:
    st = path.stat()
    return _file_sha_cached(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _file_sha_cached(path: str, size: int, mtime_ns: int) -> str:
    # Keyed by size and mtime as well: a file rewritten in place gets hashed again, an unchanged one is
    # hashed once per process (each ward notebook checks its artefact against the data it came from).
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_fingerprint(cfg: ReportConfig) -> str:
    """Content hash of the run's data files (names and bytes; a copied or touched file keeps its hash).

    Examples
    --------
    >>> from wijklib.report.settings import load_config
    >>> len(input_fingerprint(load_config("config/demo.yaml")))
    16
    """
    h = hashlib.sha256()
    folder = Path(cfg.data_dir) if cfg.data_dir else None
    files = sorted(p for p in folder.rglob("*") if p.is_file()) if folder is not None and folder.is_dir() else []
    for p in files:
        h.update(f"{p.relative_to(folder)}:{_file_sha(p)}\n".encode())
    return h.hexdigest()[:16]


def config_fingerprint(cfg: ReportConfig) -> str:
    """Hash of the monitor configuration the evaluations use (thresholds change verdicts)."""
    h = hashlib.sha256()
    if cfg.monitor_config is not None and cfg.monitor_config.is_file():
        h.update(cfg.monitor_config.read_bytes())
    return h.hexdigest()[:16]


def code_fingerprint() -> str:
    """Hash of the code the evaluations come from (monitor, panel, estimators, loaders)."""
    h = hashlib.sha256()
    base = Path(__file__).resolve().parents[1]
    for mod in ("monitor", "panel", "did", "its", "load", "geo", "schemas", "io", "diagnostics"):
        for p in sorted((base / mod).rglob("*.py")) if (base / mod).is_dir() else [base / f"{mod}.py"]:
            if p.is_file():
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


def fingerprint(cfg: ReportConfig, year: int) -> str:
    """Hash of everything a demo batch's numbers depend on (data files, monitor config, code, year).

    Examples
    --------
    >>> from wijklib.report.settings import load_config
    >>> len(fingerprint(load_config("config/demo.yaml"), 2025))
    12
    """
    parts = f"year={year};data={input_fingerprint(cfg)};config={config_fingerprint(cfg)};code={code_fingerprint()}"
    return hashlib.sha1(parts.encode()).hexdigest()[:12]


class StaleEvaluation(EvaluationMissing):
    """A cached evaluation does not belong to the ward, year, configuration, data or code asked for."""


#: Key under which a cached evaluation JSON records what it was computed from.
PROVENANCE_KEY = "_provenance"
#: Provenance fields that must match before an artefact is used (``run_config`` is informative only:
#: two run files may share data and monitor configuration).
CHECKED_KEYS = ("wijkraad_id", "year", "monitor_config", "inputs", "code", "wijklib_version")


def provenance(cfg: ReportConfig, year: int, ward: str, code: str | None = None) -> dict[str, Any]:
    """What the cached evaluation of ``ward`` in ``year`` must have been computed from."""
    from wijklib import __version__

    return {"wijkraad_id": ward, "year": int(year), "run_config": str(cfg.path),
            "monitor_config": config_fingerprint(cfg), "inputs": input_fingerprint(cfg),
            "code": code or code_fingerprint(), "wijklib_version": __version__}


def check_provenance(path: Path, doc: dict[str, Any], expected: dict[str, Any]) -> None:
    """Raise :class:`StaleEvaluation` unless the evaluation in ``doc`` is the one ``expected`` describes.

    Both the recorded provenance and the evaluation's own ward and year are checked, so a file copied
    under another ward's name, a file from another year or data version, or one without a record is
    refused (named: file, field, found, expected).
    """
    got = doc.get(PROVENANCE_KEY)
    if not isinstance(got, dict):
        raise StaleEvaluation(f"{path}: cached evaluation without a provenance record (written by an older "
                              f"wijklib or by hand); expected one for {expected['wijkraad_id']} {expected['year']}")
    own = {"wijkraad_id": doc.get("wijkraad_id"), "year": doc.get("year")}
    for key in CHECKED_KEYS:
        want = expected[key]
        for where, found in (("provenance", got.get(key)), ("evaluation", own.get(key, want))):
            if found != want:
                raise StaleEvaluation(
                    f"{path}: cached evaluation belongs to {key} = {found!r} ({where}), expected {want!r}; "
                    f"it is not used (the batch recomputes it)")


def _pinned_code(folder: Path) -> str | None:
    done = folder / "done.json"
    if done.is_file():
        try:
            return json.loads(done.read_text(encoding="utf-8")).get("code")
        except ValueError:
            return None
    return None


#: Set by the batch runner for its workers: the cache folder the parent prepared. A batch must read
#: the evaluations it prepared even if the code fingerprint changes while it runs.
PINNED_ENV = "WIJKLIB_REPORT_CACHE_DIR"


def cache_dir(cfg: ReportConfig, year: int) -> Path:
    """Folder of the cached evaluations of one batch (``data/processed/report_cache/demo_<year>_<key>``)."""
    pinned = os.environ.get(PINNED_ENV)
    if pinned and Path(pinned).name.startswith(f"demo_{year}_"):
        return Path(pinned)
    return cache_root() / f"demo_{year}_{fingerprint(cfg, year)}"


def data_years(panel_frame: pd.DataFrame) -> list[int]:
    """The calendar years a panel has periods in (what a report year can be)."""
    return sorted({int(y) for y in pd.to_datetime(panel_frame["period"]).dt.year.dropna().unique()})


def prepare(cfg: ReportConfig, year: int, wards: list[str] | None = None) -> Path:
    """Evaluate the city (or ``wards``) once and write the cache; returns the cache folder.

    Wards whose evaluation fails are recorded in ``failures.json`` with the monitor's message, so their
    report fails with that readable reason while the other wards go on. Every artefact records what it
    was computed from (:func:`provenance`); one that does not check out is evaluated again.

    Raises
    ------
    ValueError
        When the data have no periods in ``year`` (names the years they cover), before any evaluation.
    """
    from wijklib import monitor, panel

    folder = cache_dir(cfg, year)
    done = folder / "done.json"
    have: set[str] = set()
    complete = wards is None
    todo = None if wards is None else sorted(set(wards))
    code = _pinned_code(folder) or code_fingerprint()
    if done.is_file() and _is_pinned(folder):
        # Inside a batch: the parent prepared (and checked) this folder; the workers only read it, and
        # an artefact that does not check out fails its own ward with the reason (see load_ward).
        return folder
    if done.is_file():
        state = json.loads(done.read_text(encoding="utf-8"))
        failed = json.loads((folder / "failures.json").read_text(encoding="utf-8")) \
            if (folder / "failures.json").is_file() else {}
        # An artefact is trusted only when it checks out against what it must come from; the others
        # (copied, edited, from another ward, year or data version) are evaluated again.
        have = {w for w in state["wards"] if w in failed or _valid(folder, cfg, year, w, code)}
        panel_ok = _panel_valid(folder, cfg, year, code)
        complete = complete or bool(state.get("complete"))
        if wards is None and state.get("complete"):
            todo = sorted(set(state["wards"]) - have)
        elif wards is not None:
            todo = sorted(set(wards) - have)
        if todo is not None and not todo and panel_ok:
            return folder
    if cfg.data_dir is None or not Path(cfg.data_dir).is_dir():
        raise FileNotFoundError(f"{cfg.data_dir}: demo data folder missing; run `make demo-data` first")
    tables = panel.load_demo(cfg.data_dir)
    ctx = monitor.Context(tables, config=cfg.monitor_config)
    years = data_years(ctx.panel)
    if year not in years:
        span = f"{years[0]}–{years[-1]}" if years else "geen enkel jaar"
        raise ValueError(f"{cfg.data_dir}: no data for {year}; the data cover {span} "
                         f"(years {', '.join(map(str, years))}); choose one of those with --year")
    city = monitor.evaluate_city(year, context=ctx, wards=todo) if todo != [] else None
    (folder / "evaluations").mkdir(parents=True, exist_ok=True)
    evaluated = city.wards if city is not None else {}
    city_failures = city.failures if city is not None else {}
    for w, ev in evaluated.items():
        doc = {**ev.to_dict(), PROVENANCE_KEY: provenance(cfg, year, w, code)}
        text = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        atomic_write_text(folder / "evaluations" / f"{w}_{year}.json", text)
    atomic_write(folder / "panel.pkl", lambda p: ctx.panel.to_pickle(p))
    atomic_write_text(folder / "panel.json", json.dumps(provenance(cfg, year, "*", code), indent=1))
    names = {w: ctx.ward_name(w) for w in ctx.wards()}
    failures_file = folder / "failures.json"
    failures = json.loads(failures_file.read_text(encoding="utf-8")) if failures_file.is_file() else {}
    failures.update(city_failures)
    for w in evaluated:
        failures.pop(w, None)
    atomic_write_text(failures_file, json.dumps(failures, ensure_ascii=False, indent=1, sort_keys=True))
    atomic_write_text(folder / "wards.json", json.dumps(names, ensure_ascii=False, indent=1))
    state = {"wards": sorted(have | set(evaluated) | set(city_failures)), "complete": complete, "code": code,
             "years": years}
    atomic_write_text(done, json.dumps(state))
    return folder


def _is_pinned(folder: Path) -> bool:
    pinned = os.environ.get(PINNED_ENV)
    return bool(pinned) and Path(pinned) == folder


def _panel_valid(folder: Path, cfg: ReportConfig, year: int, code: str) -> bool:
    try:
        got = json.loads((folder / "panel.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    want = provenance(cfg, year, "*", code)
    return all(got.get(k) == want[k] for k in CHECKED_KEYS) and (folder / "panel.pkl").is_file()


def _valid(folder: Path, cfg: ReportConfig, year: int, ward: str, code: str) -> bool:
    path = folder / "evaluations" / f"{ward}_{year}.json"
    try:
        check_provenance(path, json.loads(path.read_text(encoding="utf-8")), provenance(cfg, year, ward, code))
    except (OSError, ValueError, StaleEvaluation):
        return False
    return True


def read_checked(cfg: ReportConfig, year: int, ward: str, path: Path) -> Any:
    """Read a cached evaluation after checking it belongs to ``ward``, ``year`` and the current inputs.

    Raises
    ------
    StaleEvaluation
        When the file records another ward, year, configuration, data version or code (or nothing).
    ValueError
        When the file is not a valid evaluation JSON (names the file and the line).
    """
    from wijklib import monitor

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a valid evaluation JSON file (line {exc.lineno}: {exc.msg})") from exc
    check_provenance(path, doc, provenance(cfg, year, ward, _pinned_code(path.parent.parent)))
    return monitor.WardEvaluation.from_dict(doc)


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
    try:
        return read_checked(cfg, year, ward, path)
    except StaleEvaluation:
        if os.environ.get(PINNED_ENV):  # inside a batch: the parent checked the cache; never render this
            raise
        prepare(cfg, year, wards=[ward])  # interactive use: evaluate the ward again, then check again
        return read_checked(cfg, year, ward, path)


def load_panel(cfg: ReportConfig, year: int) -> pd.DataFrame:
    """The ward x month panel of the batch (for the charts that need monthly series)."""
    folder = cache_dir(cfg, year)
    path = folder / "panel.pkl"
    code = _pinned_code(folder) or code_fingerprint()
    if not _panel_valid(folder, cfg, year, code):
        if os.environ.get(PINNED_ENV):
            raise StaleEvaluation(f"{folder / 'panel.json'}: the cached panel does not belong to {year} and the "
                                  f"current data/configuration/code; it is not used")
        prepare(cfg, year)
    st = path.stat()
    # The batch reuses one kernel for many wards: read the panel once per kernel, hand out copies.
    return _read_panel(str(path), st.st_mtime_ns, st.st_size).copy()


@functools.lru_cache(maxsize=2)
def _read_panel(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    with open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301 - our own cache file, written by prepare()


def ward_names(cfg: ReportConfig, year: int) -> dict[str, str]:
    """Ward id -> name of the prepared cache (empty when the cache holds no name list)."""
    path = cache_dir(cfg, year) / "wards.json"
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def load_city(cfg: ReportConfig, year: int) -> tuple[dict[str, Any], dict[str, str]]:
    """All cached ward evaluations of a year and the failures (for the city overview).

    One bad artefact never sinks the overview: an unreadable or stale evaluation is listed in the
    failures with its reason, and the overview is built from the others.
    """
    folder = prepare(cfg, year)
    failures = json.loads((folder / "failures.json").read_text(encoding="utf-8"))
    state = json.loads((folder / "done.json").read_text(encoding="utf-8"))
    evs = {}
    for ward in state["wards"]:
        if ward in failures:
            continue
        path = folder / "evaluations" / f"{ward}_{year}.json"
        try:
            evs[ward] = read_checked(cfg, year, ward, path)
        except (OSError, ValueError, KeyError, TypeError, EvaluationMissing) as exc:
            failures[ward] = f"{type(exc).__name__}: {exc}"
    return evs, failures
