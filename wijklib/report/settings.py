"""Run configuration of a report batch: one YAML file per run (``config/demo.yaml``, ``config/thehague.yaml``).

Every run is a configuration of sources: ``gegevens`` names, per source (``meldingen``, ``politie``,
``wijkprofiel``, ...), its files (a path or glob relative to ``data_dir``) and optionally the period it
covers (``dekking``: ``start``, ``end``, ``missing_periods``, ``missing_weeks``). Any subset of sources
may be delivered; the monitor states which are not. ``geografie`` names the city's geography (absent:
the package geography of ``wijklib.geo``). ``placebo_start`` (in ``opties``) declares a fictitious start
for data without a known intervention: every unit in turn is evaluated as if it started then.
A fixed list ``eenheden`` in the YAML itself (one-off report series, tests) replaces the geography's
units; such a run evaluates nothing in the parent.

The YAML says *what* to build (which notebook, which geography level, which data, whether the data are
synthetic); the command line says *for when and where* (year, wards, output folder). Paths in the YAML may
use ``{PROJECT_ROOT}`` and ``{REFERENCE_DATA_DIR}``; relative paths are taken from the repository root, so a
run gives the same result whatever the working directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from wijklib import config as wlconfig

_KNOWN_KEYS = {
    "naam", "titel", "demodata", "bron", "data_dir", "notebook", "overzicht_notebook", "eenheid",
    "opties", "bronnen", "monitor_config", "jaar", "eenheden", "gegevens", "geografie",
    "sources", "data_root", "platforms",
}
_REQUIRED = {"naam", "demodata", "notebook", "eenheid"}
#: Keys of one source under ``gegevens``.
_SOURCE_KEYS = {"bestanden", "dekking"}


class ConfigError(ValueError):
    """A run configuration file is missing, unreadable or holds a wrong key or value."""


@dataclass(frozen=True)
class ReportConfig:
    """A validated report run configuration.

    Examples
    --------
    >>> cfg = load_config("config/demo.yaml")
    >>> cfg.demodata, cfg.eenheid
    (True, 'wijkraad')
    """

    path: Path
    naam: str
    demodata: bool
    notebook: Path
    eenheid: str
    titel: str = "Wijkrapport"
    data_dir: Path | None = None
    overzicht_notebook: Path | None = None
    monitor_config: Path | None = None
    jaar: int | None = None
    opties: dict[str, Any] = field(default_factory=dict)
    bronnen: list[dict[str, str]] = field(default_factory=list)
    #: Fixed list of report units ``(code, naam)`` for ``bron: vast`` (units listed in the YAML itself).
    eenheden: tuple[tuple[str, str], ...] = ()
    #: Delivered sources: name -> ``{"bestanden": [glob, ...], "dekking": {...}}`` (paths as written).
    gegevens: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The city's geography (``None``: the package geography ``wijklib.geo``); paths resolved.
    geografie: dict[str, Any] | None = None
    #: The parsed sources (:class:`wijklib.sources.RunConfig`): from ``sources:`` (wijklib.sources'
    #: format, also read by ``wijklib check``) or translated from ``gegevens:``; None without sources.
    sources: Any = None

    def option(self, key: str, default: Any = None) -> Any:
        """One entry of the ``opties:`` mapping (run-specific settings such as a placebo start)."""
        return self.opties.get(key, default)


def resolve_path(value: str | Path) -> Path:
    """Expand ``{PROJECT_ROOT}``/``{REFERENCE_DATA_DIR}`` and anchor relative paths at the repo root.

    Examples
    --------
    >>> resolve_path("config/demo.yaml") == wlconfig.PROJECT_ROOT / "config" / "demo.yaml"
    True
    """
    text = str(value).format(
        PROJECT_ROOT=wlconfig.PROJECT_ROOT, REFERENCE_DATA_DIR=wlconfig.REFERENCE_DATA_DIR
    )
    path = Path(text).expanduser()
    return path if path.is_absolute() else (wlconfig.PROJECT_ROOT / path)


def load_config(path: str | Path) -> ReportConfig:
    """Read and check a run configuration YAML.

    Parameters
    ----------
    path
        YAML file; relative paths are resolved against the repository root.

    Returns
    -------
    ReportConfig

    Raises
    ------
    ConfigError
        Naming the file, the key and the value found when a key is unknown, missing or of the wrong type.

    Examples
    --------
    >>> sorted(load_config("config/thehague.yaml").gegevens)
    ['politie']
    """
    file = resolve_path(path)
    if not file.is_file():
        raise ConfigError(f"{file}: run configuration not found (expected a YAML file, e.g. config/demo.yaml)")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: expected a mapping at the top level, found {type(raw).__name__}")
    unknown = set(raw) - _KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{file}: unknown key(s) {sorted(unknown)}; expected some of {sorted(_KNOWN_KEYS)}")
    missing = _REQUIRED - set(raw)
    if missing:
        raise ConfigError(f"{file}: missing key(s) {sorted(missing)}")
    if not isinstance(raw["demodata"], bool):
        raise ConfigError(f"{file}: key 'demodata' must be true or false, found {raw['demodata']!r}")
    eenheden = raw.get("eenheden") or []
    # 'bron' used to pick a pipeline per city (demo, thehague_crime); sources are now configured.
    if "bron" in raw and raw["bron"] != "vast":
        raise ConfigError(f"{file}: key 'bron' ({raw['bron']!r}) no longer exists: list the delivered sources "
                          "under 'gegevens' (see config/demo.yaml) and the geography under 'geografie'")
    if raw.get("bron") == "vast" and not eenheden:
        raise ConfigError(f"{file}: bron 'vast' needs a list 'eenheden' of {{code, naam}} mappings")
    if not isinstance(eenheden, list) or not all(isinstance(e, dict) and "code" in e for e in eenheden):
        raise ConfigError(f"{file}: key 'eenheden' must be a list of mappings with 'code' (and 'naam')")
    for key in ("opties",):
        if key in raw and not isinstance(raw[key], dict):
            raise ConfigError(f"{file}: key {key!r} must be a mapping, found {raw[key]!r}")
    placebo = (raw.get("opties") or {}).get("placebo_start")
    if placebo is not None:
        import re

        try:
            ok = bool(re.fullmatch(r"\d{4}-\d{2}", str(placebo))) and 1 <= int(str(placebo)[5:]) <= 12
        except ValueError:
            ok = False
        if not ok:
            raise ConfigError(f"{file}: opties.placebo_start: expected a month 'YYYY-MM' (e.g. \"2015-01\"), "
                              f"found {placebo!r}")
    bronnen = raw.get("bronnen") or []
    if not isinstance(bronnen, list) or not all(isinstance(b, dict) for b in bronnen):
        raise ConfigError(f"{file}: key 'bronnen' must be a list of mappings (naam, datum, ...)")

    if raw.get("sources") is not None and raw.get("gegevens") is not None:
        raise ConfigError(f"{file}: give the sources either under 'sources' (wijklib.sources format) or under "
                          "'gegevens', not both")
    gegevens = _sources(file, raw.get("gegevens"))
    data_dir = resolve_path(raw["data_dir"]) if raw.get("data_dir") else None
    run_sources = _run_sources(file, raw, gegevens, data_dir)
    geografie = raw.get("geografie")
    if isinstance(geografie, str):
        geografie = {"map": geografie}
    if geografie is not None and not isinstance(geografie, dict):
        raise ConfigError(f"{file}: key 'geografie' must be a folder of CBS/PDOK files (with geografie.yaml) or a "
                          f"mapping (map: <folder>, or haaglanden: GM0518), found {geografie!r}")
    if geografie is not None:
        geografie = {k: (resolve_path(v) if k in ("map", "bestand") else v) for k, v in geografie.items()}
    if not eenheden and run_sources is None:
        raise ConfigError(f"{file}: no sources: list at least one under 'sources' (or 'gegevens'), "
                          "e.g. politie: {files: ...}")

    def opt_path(key: str) -> Path | None:
        return resolve_path(raw[key]) if raw.get(key) else None

    return ReportConfig(
        path=file,
        naam=str(raw["naam"]),
        titel=str(raw.get("titel", "Wijkrapport")),
        demodata=raw["demodata"],
        notebook=resolve_path(raw["notebook"]),
        eenheid=str(raw["eenheid"]),
        data_dir=opt_path("data_dir"),
        overzicht_notebook=opt_path("overzicht_notebook"),
        monitor_config=opt_path("monitor_config"),
        jaar=int(raw["jaar"]) if raw.get("jaar") is not None else None,
        opties=dict(raw.get("opties") or {}),
        bronnen=[{str(k): str(v) for k, v in b.items()} for b in bronnen],
        eenheden=tuple((str(e["code"]), str(e.get("naam", e["code"]))) for e in eenheden),
        gegevens=gegevens,
        geografie=geografie,
        sources=run_sources,
    )


def _run_sources(file: Path, raw: dict[str, Any], gegevens: dict[str, dict[str, Any]],
                 data_dir: Path | None) -> Any:
    """The run's sources as a :class:`wijklib.sources.RunConfig` (None when the run has none).

    ``sources:`` is read by :func:`wijklib.sources.parse` exactly as ``wijklib check`` reads it (file
    patterns relative to ``data_root``, else ``data_dir``, else the config's folder); ``gegevens:``
    (``bestanden``/``dekking``) is the same thing in Dutch keys and is translated to it.
    """
    import dataclasses

    from wijklib import sources

    if isinstance(raw.get("sources"), str):
        # A sources file of its own (``sources: sources.yaml``, as the demo writes it with its data): it
        # lies in ``data_dir`` (relative paths), and its own folder is where its file patterns start.
        text = str(raw["sources"])
        if "{" in text or Path(text).is_absolute() or data_dir is None:
            spath = resolve_path(text)
        else:
            spath = data_dir / text
        if not spath.is_file():
            raise ConfigError(f"{file}: sources = {text!r}: no sources file {spath} (relative paths are taken "
                              f"from data_dir{'' if data_dir else ', here the repository root'})")
        try:
            parsed = sources.parse(spath)
        except sources.ConfigError as exc:
            raise ConfigError(str(exc)) from exc
        return dataclasses.replace(parsed, path=file, raw=raw)
    if raw.get("sources") is not None:
        root = None if raw.get("data_root") is not None else (data_dir or file.parent)
        try:
            return sources.parse(file, data_root=root)
        except sources.ConfigError as exc:
            raise ConfigError(str(exc)) from exc
    if not gegevens:
        return None
    mapping: dict[str, Any] = {}
    for name, spec in gegevens.items():
        out: dict[str, Any] = {"files": [_anchor(f) for f in spec["bestanden"]]}
        dek = spec.get("dekking") or {}
        if dek.get("start") and dek.get("end"):
            out["period"] = {"start": dek["start"], "end": dek["end"]}
        gaps: list[Any] = list(dek.get("missing_periods") or [])
        for week in dek.get("missing_weeks") or []:
            monday = pd.Timestamp(week)
            gaps.append({"start": f"{monday:%Y-%m-%d}", "end": f"{monday + pd.Timedelta(days=6):%Y-%m-%d}",
                         "reason": "week niet geleverd"})
        if gaps:
            out["gaps"] = gaps
        mapping[name] = out
    try:
        parsed = sources.parse({"sources": mapping}, data_root=data_dir or file.parent)
    except sources.ConfigError as exc:
        raise ConfigError(dutch_keys(str(exc)).replace("<config>", str(file))) from exc
    return dataclasses.replace(parsed, path=file)


def dutch_keys(message: str) -> str:
    """A :mod:`wijklib.sources` message in the keys of a ``gegevens:`` config (what the user wrote)."""
    import re

    message = re.sub(r"\bsources\.(\w+)\.files\b", r"gegevens.\1.bestanden", message)
    message = re.sub(r"\bsources\.(\w+)\.(?:period|gaps)\b", r"gegevens.\1.dekking", message)
    return re.sub(r"\bsources\.(\w+)", r"gegevens.\1", message)


def _anchor(pattern: str) -> str:
    """A file pattern with ``{PROJECT_ROOT}``/``{REFERENCE_DATA_DIR}`` expanded (else as written)."""
    text = str(pattern)
    return str(resolve_path(text)) if "{" in text else text


def _sources(file: Path, raw: Any) -> dict[str, dict[str, Any]]:
    """Check the ``gegevens`` mapping: known source names, ``bestanden`` (str or list), ``dekking`` mapping."""
    from wijklib.report.evaluations import SOURCES

    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: key 'gegevens' must be a mapping source -> {{bestanden, dekking}}, found {raw!r}")
    out = {}
    for name, spec in raw.items():
        if name not in SOURCES:
            raise ConfigError(f"{file}: gegevens: unknown source {name!r}; expected some of {list(SOURCES)}")
        if isinstance(spec, (str, list)):
            spec = {"bestanden": spec}
        if not isinstance(spec, dict) or "bestanden" not in spec:
            raise ConfigError(f"{file}: gegevens.{name}: expected a mapping with 'bestanden' (path or glob), found {spec!r}")
        extra = set(spec) - _SOURCE_KEYS
        if extra:
            raise ConfigError(f"{file}: gegevens.{name}: unknown key(s) {sorted(extra)}; expected some of {sorted(_SOURCE_KEYS)}")
        files = spec["bestanden"]
        files = [files] if isinstance(files, str) else files
        if not isinstance(files, list) or not files or not all(isinstance(f, str) and f.strip() for f in files):
            raise ConfigError(f"{file}: gegevens.{name}.bestanden: expected a path/glob or a list of them, found {files!r}")
        dekking = spec.get("dekking")
        if dekking is not None and not isinstance(dekking, dict):
            raise ConfigError(f"{file}: gegevens.{name}.dekking: expected a mapping (start, end, missing_periods), "
                              f"found {dekking!r}")
        out[str(name)] = {"bestanden": list(files),
                          "dekking": {k: (str(v) if not isinstance(v, list) else [str(x) for x in v])
                                      for k, v in (dekking or {}).items()}}
    return out
