"""Shared work of a report batch, computed once and cached on disk for all ward notebooks.

One pipeline for every city: :func:`load_tables` reads the sources the run configuration delivers
(``gegevens``), :func:`load_geography` the city's geography (``geografie``; the package geography when
absent), :func:`build_panel` the unit x month panel on that geography, and :func:`prepare` evaluates every
unit with ``wijklib.monitor`` ONCE in the parent process, writing one JSON per unit
(``WardEvaluation.to_json``) plus the panel; every ward notebook only reads its JSON (:func:`load_ward`).
The cache key is a fingerprint of the source files, the configuration, the monitor configuration, the
year and the code, so a rerun on the same inputs reuses it and any change rebuilds it.

Every artefact also records what it was computed from (:func:`provenance`: ward, year, monitor
configuration, input fingerprint, code fingerprint, wijklib version) and is checked against the request
before use (:func:`check_provenance`): an evaluation of another ward, year or data version is never
rendered under the requested ward's name. Outside a batch a stale artefact is recomputed; inside a
batch (pinned cache) the ward fails with the reason.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wijklib.config import PROCESSED_DIR, PROJECT_ROOT
from wijklib.report.pdf import atomic_write, atomic_write_text
from wijklib.report.settings import ConfigError, ReportConfig

#: Sources a run configuration can deliver (one loader ``wijklib.load.<name>`` each).
SOURCES: tuple[str, ...] = (
    "meldingen", "handhaving", "handhaving_uren", "politie", "wijkprofiel", "focusgebieden", "wijkakkoorden",
    "netwerk_overleggen", "netwerk_samenwerking", "signalen", "interventie",
)

#: Default cache folder; the environment variable ``WIJKLIB_REPORT_CACHE`` overrides it (tests, CI).
CACHE_ROOT = PROCESSED_DIR / "report_cache"


def cache_root() -> Path:
    """The cache folder in use (``$WIJKLIB_REPORT_CACHE`` or :data:`CACHE_ROOT`)."""
    return Path(os.environ.get("WIJKLIB_REPORT_CACHE", CACHE_ROOT))


class EvaluationMissing(RuntimeError):
    """The monitor could not evaluate a ward (its data are broken); the message says why."""


def source_files(cfg: ReportConfig) -> dict[str, list[Path]]:
    """The files of every delivered source (globs expanded, sorted), per :class:`wijklib.sources.RunConfig`.

    Raises
    ------
    ConfigError
        When a pattern matches no file (names the config, the key, the pattern and the folder).

    Examples
    --------
    >>> from wijklib.report.settings import load_config
    >>> [p.name for p in source_files(load_config("config/thehague.yaml"))["politie"]]
    ['thehague_buurt_month_crime_2011_2017.csv.gz']
    """
    from wijklib import sources

    if cfg.sources is None:
        return {}
    try:
        return cfg.sources.files()
    except sources.ConfigError as exc:
        raise ConfigError(_in_config_keys(cfg, str(exc))) from exc


def load_tables(cfg: ReportConfig) -> Any:
    """Every delivered source of a run configuration, read by :func:`wijklib.sources.load`.

    The one place the batch reads data: each source's layout, column and value maps, declared period
    and gaps come from the configuration (``sources:``, or ``gegevens:`` in Dutch keys), and the declared
    coverage is in ``df.attrs["coverage"]`` so that :func:`wijklib.panel.build` marks months outside it
    missing, never zero. Sources the configuration does not list are absent from the result; the monitor
    states them as not delivered. Returns :class:`wijklib.sources.Tables` (a dict with ``.coverage``,
    ``.reports`` and ``.platforms``).

    Examples
    --------
    >>> from wijklib.report.settings import load_config
    >>> sorted(load_tables(load_config("config/demo.yaml")))[:3]  # doctest: +SKIP
    ['focusgebieden', 'handhaving', 'handhaving_uren']
    """
    from wijklib import sources

    if cfg.sources is None:
        return sources.Tables()
    try:
        return sources.load(cfg.sources)
    except sources.ConfigError as exc:
        raise ConfigError(_in_config_keys(cfg, str(exc))) from exc


def _in_config_keys(cfg: ReportConfig, message: str) -> str:
    from wijklib.report.settings import dutch_keys

    return dutch_keys(message) if cfg.gegevens else message


@dataclass(frozen=True, eq=False)
class Geography:
    """A city's report units: buurt -> unit hierarchy, unit names, outlines and (optional) population.

    ``hierarchy`` has one row per buurt: ``buurt_code``, ``wijk_code``, ``wijkraad_id`` (the report unit,
    whatever the city calls it) and ``wijkraad`` (its name). ``population`` is ``None`` when unknown.
    """

    name: str
    hierarchy: pd.DataFrame
    polygons: dict[str, Any] = field(default_factory=dict)
    population: pd.DataFrame | None = None
    schematic: bool = False
    #: True for the package geography (``wijklib.geo``); panels then use it directly.
    package: bool = False
    #: The :class:`wijklib.geo.Geography` behind it (maps, point placement, names).
    geo: Any = None

    def units(self) -> list[tuple[str, str]]:
        u = self.hierarchy.drop_duplicates("wijkraad_id").sort_values("wijkraad_id")
        return list(zip(u["wijkraad_id"].astype(str), u["wijkraad"].astype(str), strict=True))

    def resolve(self, text: str) -> tuple[str, str]:
        """A unit code or name (any case) -> ``(id, name)``; unknown values list the closest ones."""
        import difflib

        key = str(text).strip().lower()
        for code, name in self.units():
            if key in (code.lower(), name.lower()):
                return code, name
        names = [n for _, n in self.units()] + [c for c, _ in self.units()]
        close = difflib.get_close_matches(str(text), names, n=3, cutoff=0.5)
        raise ValueError(f"unknown unit {text!r} in the geography {self.name!r}; closest known: {close or names[:5]}")


def load_geography(cfg: ReportConfig, tables: dict[str, pd.DataFrame] | None = None) -> Geography:
    """The geography of a run, read by :func:`wijklib.geo.load`: ``geografie`` in the configuration (a
    folder of CBS/PDOK files with its ``geografie.yaml``, the manifest's content, or ``{haaglanden:
    GM0518}``), else the active package geography (the demo city). The one place the batch gets its
    geography; the report unit is the level named by ``eenheid``.
    """
    from wijklib import geo

    if cfg.geografie is None:
        h = geo.hierarchy()
        return Geography(name="wijklib.geo", hierarchy=h, polygons=geo.polygons("wijkraad"),
                         schematic=bool(getattr(geo, "POLYGONS_ARE_SCHEMATIC", False)), package=True,
                         geo=geo.active())
    return _from_geo(cfg, tables)


def geo_of(cfg: ReportConfig) -> Any:
    """The run's :class:`wijklib.geo.Geography` (its ``geografie:``, else the active one), cached per process."""
    from wijklib import geo

    if cfg.geografie is None:
        return geo.active()
    spec = {k: v for k, v in cfg.geografie.items() if k != "naam"}
    key = repr(sorted((k, str(v)) for k, v in spec.items()))
    if key not in _GEOS:
        try:
            _GEOS[key] = geo.load(spec, base_dir=PROJECT_ROOT)
        except (geo.GeoDataError, OSError, ValueError) as exc:
            raise ConfigError(f"{cfg.path}: geografie: {exc}") from exc
    return _GEOS[key]


_GEOS: dict[str, Any] = {}


def _from_geo(cfg: ReportConfig, tables: dict[str, pd.DataFrame] | None) -> Geography:
    """A ``geografie:`` section in :mod:`wijklib.geo`'s format (a CBS/PDOK folder, its manifest, or the
    manifest's content) as the batch's geography; the report unit is the level named by ``eenheid``.

    When the geography's finest level is the CBS wijk (polygons without buurten), the buurten are
    taken from the delivered sources' CBS buurt codes (``BU`` gggg ww bb lies in ``WK`` gggg ww)."""

    shown = (cfg.geografie or {}).get("naam")  # the name the reports use; the rest is wijklib.geo's
    g = geo_of(cfg)
    level = cfg.eenheid
    if level not in g.levels:
        raise ConfigError(f"{cfg.path}: eenheid: {level!r} is no level of the geography {g.source} "
                          f"(levels: {', '.join(g.levels)})")
    key, name = g.key_columns[level], g.name_columns[level]
    h = g.hierarchy().copy()
    if "buurt_code" not in h.columns:
        finest = g.levels[0]
        if g.cbs_levels.get("wijk") != finest:
            raise ConfigError(f"{cfg.path}: geografie: the finest level {finest!r} is neither a CBS buurt nor a "
                              "CBS wijk level, so the sources' buurt codes cannot be placed in it")
        tables = load_tables(cfg) if tables is None else tables
        codes = sorted({c for df in tables.values() if "buurt_code" in df.columns
                        for c in df["buurt_code"].dropna().astype(str)})
        wk = pd.DataFrame({"buurt_code": codes, g.key_columns[finest]: ["WK" + c[2:8] for c in codes]})
        h = wk.merge(h, on=g.key_columns[finest], how="inner")
        if h.empty:
            raise ConfigError(f"{cfg.path}: geografie: no buurt code of the delivered sources "
                              f"({sorted(tables)}) lies in a wijk of {g.gemeente_code}")
    h["wijkraad_id"] = h[key].astype(str)
    h["wijkraad"] = h[name].astype(str)
    if "wijk_code" not in h.columns:
        h["wijk_code"] = h["wijkraad_id"]
    pop = None
    if g.population_years:
        pop = g.population(level).rename(columns={key: "unit"})[["unit", "year", "population"]]
    polys = g.polygons(level) if g.has_polygons(level) else {}
    if polys:
        import shapely

        # Areas of the kaart that are no unit here (no buurt with data, port) are drawn as context.
        ctx = g.context(crs="EPSG:4326")
        for code, geom in zip(ctx["code"], ctx.geometry, strict=True):
            rings = [list(p.exterior.coords) for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
            if rings and str(code) not in polys:
                polys[str(code)] = rings
    return Geography(name=str(shown or g.gemeente_naam or cfg.naam), hierarchy=h, polygons=polys,
                     population=pop, schematic=bool(g.has_polygons(level) and g.polygons_approximate(level)), geo=g)


def activated(geography: Geography):
    """Make the run's :mod:`wijklib.geo` geography the active one while sources are read and placed."""
    from wijklib import geo

    return geo.using(None if geography.package else geography.geo)


def restrict_to_geography(tables: dict[str, pd.DataFrame], geography: Geography) -> dict[str, pd.DataFrame]:
    """Rows of buurt-keyed sources inside the geography's buurten (a police export covers a whole police
    unit, the report one gemeente). The rows left out are counted per source in
    ``df.attrs["outside_geography"]`` (and printed in the report's data log), never dropped unseen.
    The package geography keeps every table as is (its loaders already checked the codes)."""
    if geography.package:
        return tables
    inside = set(geography.hierarchy["buurt_code"].astype(str))
    out = copy.copy(tables)  # a Tables keeps its coverage, reports and platform calendar
    for name, df in tables.items():
        if "buurt_code" not in df.columns:
            out[name] = df
            continue
        keep = df["buurt_code"].astype(str).isin(inside)
        sub = df.loc[keep].copy()
        sub.attrs = dict(df.attrs)
        sub.attrs["outside_geography"] = int((~keep).sum())
        out[name] = sub
    return out


#: Geographies per configuration file (its mtime): a batch kernel resolves many units of one run.
_GEOGRAPHIES: dict[tuple[str, int], Geography] = {}


def geography(cfg: ReportConfig) -> Geography:
    """:func:`load_geography` of a run, read once per process and configuration file version."""
    key = (str(cfg.path), cfg.path.stat().st_mtime_ns if cfg.path.is_file() else 0)
    if key not in _GEOGRAPHIES:
        _GEOGRAPHIES[key] = load_geography(cfg)
    return _GEOGRAPHIES[key]


def geography_units(cfg: ReportConfig) -> list[tuple[str, str]]:
    """The report units ``(id, name)`` of a run's geography."""
    if cfg.geografie is None:  # the package geography: no need to read any source
        from wijklib import geo

        u = geo.units("wijkraad")
        return list(u[["wijkraad_id", "wijkraad"]].itertuples(index=False, name=None))
    return geography(cfg).units()


def resolve_unit(cfg: ReportConfig, text: str) -> tuple[str, str]:
    """A unit code or name of the run's geography -> ``(id, name)`` (ValueError listing close ones)."""
    if cfg.geografie is None:
        from wijklib import geo

        code = geo.normalize(text, level="wijkraad")
        u = geo.units("wijkraad").set_index("wijkraad_id")
        return code, str(u.loc[code, "wijkraad"])
    return geography(cfg).resolve(text)


def delivered(cfg: ReportConfig, year: int) -> list[str]:
    """The sources the batch read (written by :func:`prepare`)."""
    path = cache_dir(cfg, year) / "delivered.json"
    if not path.is_file():
        prepare(cfg, year)
    return json.loads(path.read_text(encoding="utf-8"))


def intake(cfg: ReportConfig, year: int) -> dict[str, Any]:
    """Rows read per source, rows outside the geography, whether the population is known (from :func:`prepare`)."""
    path = cache_dir(cfg, year) / "intake.json"
    if not path.is_file():
        prepare(cfg, year)
    return json.loads(path.read_text(encoding="utf-8"))


def build_panel(tables: dict[str, pd.DataFrame], geography: Geography) -> pd.DataFrame:
    """The unit x month panel of the delivered panel sources on the run's geography."""
    from wijklib import panel

    if geography.package:
        return panel.build(tables, level="wijkraad", freq="M")
    with panel.using_geography(geography.hierarchy, geography.population):
        out = panel.build(tables, level="wijkraad", freq="M")
    if geography.population is None:
        # No population: the monitor's models get a constant exposure of 1,000 per unit-month, so every
        # ratio it estimates (ITS step, Poisson DiD, year-on-year development) is the ratio of counts
        # (a constant offset is absorbed by the intercept / unit effects). Rates per 1,000 residents stay
        # NaN (unknown) and `population_known` tells the report to print counts, never per-1,000 rates.
        out["population"] = 1000.0
        out["population_known"] = False
    return out


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


def geography_files(cfg: ReportConfig) -> list[Path]:
    """The files a run's geography is read from (a changed boundary file gives new numbers too)."""
    spec = cfg.geografie or {}
    out: list[Path] = []
    if spec.get("map"):
        root = Path(spec["map"])
        folder = root if root.is_dir() else root.parent
        out += sorted(p for p in folder.rglob("*") if p.is_file())
    if spec.get("haaglanden"):
        from wijklib.geo import haaglanden

        out += [haaglanden.AREAS, haaglanden.CRIME]
    return [p for p in out if p.is_file()]


def input_fingerprint(cfg: ReportConfig) -> str:
    """Content hash of the run's data files (names and bytes; a copied or touched file keeps its hash).

    Examples
    --------
    >>> from wijklib.report.settings import load_config
    >>> len(input_fingerprint(load_config("config/demo.yaml")))
    16
    """
    h = hashlib.sha256()
    files = sorted({p for fs in source_files(cfg).values() for p in fs})
    files += geography_files(cfg)
    for p in files:
        h.update(f"{p.name}:{_file_sha(p)}\n".encode())
    return h.hexdigest()[:16]


def config_fingerprint(cfg: ReportConfig) -> str:
    """Hash of the run configuration and the monitor configuration (sources, options, thresholds)."""
    h = hashlib.sha256()
    h.update(cfg.path.read_bytes() if cfg.path.is_file() else b"")
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
    """Hash of everything a batch's numbers depend on (data files, monitor config, code, year).

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


def _run_name(cfg: ReportConfig) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", cfg.path.stem.lower()).strip("-") or "run"


def cache_dir(cfg: ReportConfig, year: int) -> Path:
    """Folder of the cached evaluations of one batch (``data/processed/report_cache/<config>_<year>_<key>``)."""
    pinned = os.environ.get(PINNED_ENV)
    if pinned and Path(pinned).name.startswith(f"{_run_name(cfg)}_{year}_"):
        return Path(pinned)
    return cache_root() / f"{_run_name(cfg)}_{year}_{fingerprint(cfg, year)}"


def data_years(panel_frame: pd.DataFrame) -> list[int]:
    """The calendar years a panel has periods in (what a report year can be)."""
    return sorted({int(y) for y in pd.to_datetime(panel_frame["period"]).dt.year.dropna().unique()})


def prepare(cfg: ReportConfig, year: int, wards: list[str] | None = None) -> Path:
    """Evaluate the city (or ``wards``) once and write the cache; returns the cache folder.

    Wards whose evaluation fails are recorded in ``failures.json`` with the monitor's message, so their
    report fails with that readable reason while the other wards go on. Every artefact records what it
    was computed from (:func:`provenance`); one that does not check out is evaluated again. With a
    declared placebo start (``opties: placebo_start``) every unit is evaluated as the only one starting
    then (:func:`wijklib.monitor.view.placebo_panel`), and ``placebo.json`` holds the share of
    'significant' placebo effects over all units (:func:`wijklib.monitor.view.placebo_summary`): that
    needs all units, so a placebo run always evaluates every unit.

    Raises
    ------
    ValueError
        When the data have no periods in ``year`` (names the years they cover), before any evaluation.
    """
    from wijklib import monitor
    from wijklib.monitor import view

    folder = cache_dir(cfg, year)
    done = folder / "done.json"
    have: set[str] = set()
    placebo = cfg.option("placebo_start")
    if placebo is not None:
        wards = None
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
        if placebo is not None and todo:
            todo = None  # the placebo summary needs every unit
    if cfg.data_dir is not None and not Path(cfg.data_dir).is_dir():
        raise FileNotFoundError(f"{cfg.data_dir}: data folder of {cfg.path.name} missing"
                                + ("; run `make demo-data` first" if cfg.demodata else ""))
    geography = load_geography(cfg)
    with activated(geography):  # reports with only a point or a name are placed in THIS city's buurten
        tables = restrict_to_geography(load_tables(cfg), geography)
        pnl = build_panel(tables, geography)
    years = data_years(pnl)
    if year not in years:
        span = f"{years[0]}–{years[-1]}" if years else "geen enkel jaar"
        raise ValueError(f"{cfg.path}: no data for {year}; the data cover {span} "
                         f"(years {', '.join(map(str, years))}); choose one of those with --year")
    city = None
    if placebo is not None:
        start = pd.Timestamp(str(placebo))
        evs: dict[str, Any] = {}
        fails: dict[str, str] = {}
        for w, _ in geography.units():
            ctx_w = monitor.Context(tables, view.placebo_panel(pnl, w, start), config=cfg.monitor_config,
                                    hierarchy=geography.hierarchy)
            try:
                evs[w] = monitor.evaluate_ward(w, year, context=ctx_w)
            except Exception as exc:  # noqa: BLE001 - recorded per ward like evaluate_city does
                fails[w] = f"{type(exc).__name__}: {exc}"
        summary = view.placebo_summary(evs, start)
        atomic_write_text(folder / "placebo.json", json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=True))
        city = monitor.CityEvaluation(year=int(year), wards=evs, failures=fails,
                                      config_fingerprint=ctx_w.config.fingerprint)
    elif todo != []:
        ctx = monitor.Context(tables, pnl, config=cfg.monitor_config, hierarchy=geography.hierarchy)
        city = monitor.evaluate_city(year, context=ctx, wards=todo)
    (folder / "evaluations").mkdir(parents=True, exist_ok=True)
    evaluated = city.wards if city is not None else {}
    city_failures = city.failures if city is not None else {}
    for w, ev in evaluated.items():
        doc = {**ev.to_dict(), PROVENANCE_KEY: provenance(cfg, year, w, code)}
        text = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        atomic_write_text(folder / "evaluations" / f"{w}_{year}.json", text)
    atomic_write(folder / "panel.pkl", lambda p: pnl.to_pickle(p))
    atomic_write_text(folder / "panel.json", json.dumps(provenance(cfg, year, "*", code), indent=1))
    names = dict(geography.units())
    failures_file = folder / "failures.json"
    failures = json.loads(failures_file.read_text(encoding="utf-8")) if failures_file.is_file() else {}
    failures.update(city_failures)
    for w in evaluated:
        failures.pop(w, None)
    atomic_write_text(failures_file, json.dumps(failures, ensure_ascii=False, indent=1, sort_keys=True))
    atomic_write_text(folder / "wards.json", json.dumps(names, ensure_ascii=False, indent=1))
    atomic_write_text(folder / "delivered.json", json.dumps(sorted(tables), ensure_ascii=False))
    intake = {"bronnen": {n: {"rijen": int(len(df)), "buiten_geografie": int(df.attrs.get("outside_geography", 0))}
                          for n, df in sorted(tables.items())},
              "geografie": geography.name, "inwoners_bekend": bool(geography.package or geography.population is not None)}
    atomic_write_text(folder / "intake.json", json.dumps(intake, ensure_ascii=False, indent=1))
    state = {"wards": sorted(have | set(evaluated) | set(city_failures)), "complete": complete, "code": code,
             "years": years}
    atomic_write_text(done, json.dumps(state))
    return folder


def load_placebo(cfg: ReportConfig, year: int) -> dict[str, Any] | None:
    """The placebo summary of a run with a declared placebo start (None otherwise)."""
    if cfg.option("placebo_start") is None:
        return None
    folder = prepare(cfg, year)
    return json.loads((folder / "placebo.json").read_text(encoding="utf-8"))


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
