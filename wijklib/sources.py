"""Sources as configuration: which files hold which source, in which layout, covering which period.

A run config (YAML, loaded with ``yaml.safe_load``) has a ``sources:`` mapping (or a path to a YAML
file holding one, relative to the config). Per source (the names of :data:`wijklib.load.LOADERS`)::

    data_root: ../exports                # optional; file patterns are relative to it (else to the config)
    sources:
      meldingen:
        layout: mor                      # one of wijklib.load.layouts_for("meldingen")
        files: mor/production-*.csv      # path, glob, list of them, or (multi-table layouts) per table
        columns: {ontvangen: Aanmaakdatum}            # canonical column: header in your file
        values: {categorie: {"Vuil op straat": zwerfvuil}}   # your value: canonical value
        period: {start: 2019-01, end: 2025-11}        # what was delivered; months outside = missing
        gaps: ["2021-03", {start: 2022-07-04, end: 2022-07-17, reason: storing}]
      politie: {layout: cbs_statline, files: politie/47018NED.csv, period: {start: 2019-01, end: 2025-10}}

A source may also list ``parts:`` (each with its own ``layout``/``files``/``columns``/``values``)
that are concatenated, e.g. the old and the new platform of the same reports. The optional
``platforms:`` section is the coverage calendar of a platform migration (see :func:`parse_platforms`).

:func:`load` returns :class:`Tables`: the same ``{source: DataFrame}`` mapping that
``panel.load_demo()`` returns, plus the declared ``coverage`` and a :class:`SourceReport` per
source. Every table carries its declared coverage in ``df.attrs["coverage"]``, which
:func:`wijklib.panel.build` uses instead of inferring it from the data. Errors name the config
file, the key and the value found.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from wijklib import io as wio

#: Per-source keys a config may hold.
SOURCE_KEYS = ("layout", "files", "columns", "values", "period", "gaps", "parts", "options", "lenient", "label")
PART_KEYS = ("layout", "files", "columns", "values", "options", "lenient", "label")


class ConfigError(ValueError):
    """A run config is wrong; the message names the config file, the key and the value found."""


# --------------------------------------------------------------------------------------------
# Typed config
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gap:
    """A declared delivery gap: every day from ``start`` to ``end`` (inclusive) is missing."""

    start: pd.Timestamp
    end: pd.Timestamp
    reason: str = ""


@dataclass(frozen=True)
class Part:
    """One group of files of a source in one layout."""

    layout: str
    files: tuple[str, ...] | Mapping[str, tuple[str, ...]]
    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    lenient: bool = False
    label: str = ""
    key: str = ""  # config key path, for messages (``sources.meldingen.parts[1]``)
    #: False when the config named no layout: the files' headers may then pick another layout of the source.
    layout_given: bool = True


@dataclass(frozen=True)
class SourceConfig:
    """One configured source: its parts, declared delivery period and gaps."""

    name: str
    parts: tuple[Part, ...]
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    gaps: tuple[Gap, ...] = ()

    @property
    def declared(self) -> bool:
        """Is the delivery period declared (else the panel infers it from the data)?"""
        return self.start is not None and self.end is not None

    def coverage(self) -> dict[str, Any]:
        """Coverage spec for :func:`wijklib.panel.build` (``start``, ``end``, ``gaps``, ``declared``)."""
        spec: dict[str, Any] = {"declared": self.declared}
        if self.start is not None:
            spec["start"] = self.start.strftime("%Y-%m-%d")
        if self.end is not None:
            spec["end"] = self.end.strftime("%Y-%m-%d")
        if self.gaps:
            spec["gaps"] = [{"start": g.start.strftime("%Y-%m-%d"), "end": g.end.strftime("%Y-%m-%d"),
                             "reason": g.reason} for g in self.gaps]
        return spec


@dataclass(frozen=True)
class RunConfig:
    """A parsed run config: where it came from, its data root, sources and platform calendar."""

    path: Path | None
    data_root: Path
    sources: Mapping[str, SourceConfig]
    platforms: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The config file name for messages (``<dict>`` when given as a mapping)."""
        return str(self.path) if self.path is not None else "<config>"

    def files(self) -> dict[str, list[Path]]:
        """The files of every configured source (patterns expanded; raises :class:`ConfigError` when a
        pattern matches nothing). What a run's numbers depend on, e.g. for a cache fingerprint."""
        out: dict[str, list[Path]] = {}
        for name, sc in self.sources.items():
            found: list[Path] = []
            for part in sc.parts:
                groups = part.files.items() if isinstance(part.files, Mapping) else [("", part.files)]
                for table, pats in groups:
                    key = f"{part.key}.files" + (f".{table}" if table else "")
                    found += [p for p in _resolve(pats, self.data_root, self.name, key) if p not in found]
            out[name] = found
        return out


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------
def _fail(cfg: str, key: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(f"{cfg}: {key} = {value!r}: {expected}")


def _suggest(value: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(value), list(options), n=3, cutoff=0.5)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def _date(value: Any, cfg: str, key: str, *, end: bool = False) -> pd.Timestamp:
    """A config date: ``2021-03`` (a month: its first day, or its last day for an end) or a full date."""
    if isinstance(value, _dt.datetime):
        return pd.Timestamp(value).normalize()
    if isinstance(value, _dt.date):
        return pd.Timestamp(value)
    text = str(value).strip()
    try:
        if len(text) == 7 and text[4] == "-":
            ts = pd.Timestamp(f"{text}-01")
            return ts + pd.offsets.MonthEnd(0) if end else ts
        if len(text) == 4 and text.isdigit():
            return pd.Timestamp(f"{text}-12-31") if end else pd.Timestamp(f"{text}-01-01")
        return pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d"))
    except (ValueError, TypeError):
        raise _fail(cfg, key, value, "expected a month jjjj-mm (e.g. 2021-03) or a date jjjj-mm-dd") from None


def _files(value: Any, cfg: str, key: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, (str, Path)) else value
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(i, (str, Path)) for i in items):
        raise _fail(cfg, key, value, "expected a path or glob pattern, or a list of them")
    return tuple(str(i) for i in items)


def _part(source: str, spec: Mapping[str, Any], cfg: str, key: str, default_layout: str | None) -> Part:
    from wijklib import load

    if not isinstance(spec, Mapping):
        raise _fail(cfg, key, spec, "expected a mapping with at least 'files' (and 'layout')")
    unknown = [k for k in spec if k not in PART_KEYS + ("period", "gaps", "parts")]
    if unknown:
        raise _fail(cfg, f"{key}.{unknown[0]}", spec[unknown[0]],
                    f"unknown key; expected some of {', '.join(PART_KEYS)}{_suggest(unknown[0], PART_KEYS)}")
    known = load.layouts_for(source)
    layout = spec.get("layout", default_layout)
    layout_given = layout is not None
    if layout is None:
        layout = "wijklib" if "wijklib" in known else sorted(known)[0]
    layout = str(layout)
    if layout not in known:
        raise _fail(cfg, f"{key}.layout", layout,
                    f"unknown layout for source '{source}'; expected one of {', '.join(sorted(known))}"
                    f"{_suggest(layout, sorted(known))}")
    lay = known[layout]
    if "files" not in spec:
        raise _fail(cfg, f"{key}.files", None, "missing; expected the path or glob of the export file(s)")
    raw_files = spec["files"]
    files: tuple[str, ...] | dict[str, tuple[str, ...]]
    if isinstance(raw_files, Mapping):
        if not lay.tables:
            raise _fail(cfg, f"{key}.files", dict(raw_files),
                        f"layout '{layout}' is one table: expected a path or glob, not a mapping")
        bad = [t for t in raw_files if t not in lay.tables]
        if bad:
            raise _fail(cfg, f"{key}.files.{bad[0]}", raw_files[bad[0]],
                        f"unknown table of layout '{layout}'; expected some of {', '.join(lay.tables)}"
                        f"{_suggest(bad[0], lay.tables)}")
        files = {t: _files(v, cfg, f"{key}.files.{t}") for t, v in raw_files.items()}
    else:
        files = _files(raw_files, cfg, f"{key}.files")
    columns = spec.get("columns") or {}
    if not isinstance(columns, Mapping):
        raise _fail(cfg, f"{key}.columns", columns, "expected a mapping {canonical column: header in your file}")
    for canonical, header in columns.items():
        if lay.columns and canonical not in lay.columns:
            raise _fail(cfg, f"{key}.columns.{canonical}", header,
                        f"'{canonical}' is not a column of layout '{layout}'; expected one of "
                        f"{', '.join(lay.columns)}{_suggest(str(canonical), lay.columns)}")
        if not isinstance(header, str) or not header.strip():
            raise _fail(cfg, f"{key}.columns.{canonical}", header, "expected the header text as written in the file")
    values = spec.get("values") or {}
    if not isinstance(values, Mapping):
        raise _fail(cfg, f"{key}.values", values, "expected a mapping {column: {your value: canonical value}}")
    from wijklib import schemas

    for col, mapping in values.items():
        if not isinstance(mapping, Mapping):
            raise _fail(cfg, f"{key}.values.{col}", mapping, "expected a mapping {your value: canonical value}")
        allowed = lay.value_columns or tuple(c for c in schemas.VOCABULARIES)
        if col not in allowed:
            raise _fail(cfg, f"{key}.values.{col}", dict(mapping),
                        f"layout '{layout}' has no value map for '{col}'; expected one of {', '.join(allowed)}")
        vocab = schemas.VOCABULARIES.get(col)
        for raw, canon in mapping.items():
            if vocab is not None and canon not in vocab:
                raise _fail(cfg, f"{key}.values.{col}.{raw}", canon,
                            f"expected one of {', '.join(map(str, vocab))}{_suggest(str(canon), [str(v) for v in vocab])}")
    options = spec.get("options") or {}
    if not isinstance(options, Mapping):
        raise _fail(cfg, f"{key}.options", options, "expected a mapping")
    for opt in options:
        if opt not in lay.options:
            raise _fail(cfg, f"{key}.options.{opt}", options[opt],
                        f"unknown option of layout '{layout}'; expected some of {', '.join(lay.options) or '(none)'}")
    lenient = spec.get("lenient", False)
    if not isinstance(lenient, bool):
        raise _fail(cfg, f"{key}.lenient", lenient, "expected true or false")
    return Part(layout=layout, files=files, columns=dict(columns),
                values={k: dict(v) for k, v in values.items()}, options=dict(options), lenient=lenient,
                label=str(spec.get("label", "")), key=key, layout_given=layout_given)


def _gaps(value: Any, cfg: str, key: str) -> tuple[Gap, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise _fail(cfg, key, value, "expected a list of months (2021-03) or {start, end, reason} ranges")
    out = []
    for i, g in enumerate(value):
        k = f"{key}[{i}]"
        if isinstance(g, Mapping):
            if "start" not in g:
                raise _fail(cfg, k, dict(g), "a gap range needs 'start' (and 'end')")
            s = _date(g["start"], cfg, f"{k}.start")
            e = _date(g.get("end", g["start"]), cfg, f"{k}.end", end=True)
            reason = str(g.get("reason", ""))
        else:
            s, e, reason = _date(g, cfg, k), _date(g, cfg, k, end=True), ""
        if e < s:
            raise _fail(cfg, k, g, f"the gap ends ({e:%Y-%m-%d}) before it starts ({s:%Y-%m-%d})")
        out.append(Gap(s, e, reason))
    return tuple(out)


def _source(name: str, spec: Any, cfg: str) -> SourceConfig:
    from wijklib import load

    key = f"sources.{name}"
    if name not in load.LOADERS:
        raise _fail(cfg, key, spec, f"unknown source '{name}'; expected some of {', '.join(load.LOADERS)}"
                    f"{_suggest(name, list(load.LOADERS))}")
    if isinstance(spec, (str, list)):
        spec = {"files": spec}
    if not isinstance(spec, Mapping):
        raise _fail(cfg, key, spec, "expected a mapping with 'files' (and 'layout', 'period', 'gaps', ...)")
    unknown = [k for k in spec if k not in SOURCE_KEYS]
    if unknown:
        raise _fail(cfg, f"{key}.{unknown[0]}", spec[unknown[0]],
                    f"unknown key; expected some of {', '.join(SOURCE_KEYS)}{_suggest(unknown[0], SOURCE_KEYS)}")
    if "parts" in spec:
        if not isinstance(spec["parts"], list) or not spec["parts"]:
            raise _fail(cfg, f"{key}.parts", spec["parts"], "expected a non-empty list of {layout, files, ...}")
        if "files" in spec:
            raise _fail(cfg, f"{key}.files", spec["files"], "give either 'files' or 'parts', not both")
        parts = tuple(_part(name, p, cfg, f"{key}.parts[{i}]", None) for i, p in enumerate(spec["parts"]))
    else:
        parts = (_part(name, spec, cfg, key, None),)
    period = spec.get("period")
    start = end = None
    if period is not None:
        if not isinstance(period, Mapping) or "start" not in period or "end" not in period:
            raise _fail(cfg, f"{key}.period", period, "expected {start: jjjj-mm, end: jjjj-mm}")
        start = _date(period["start"], cfg, f"{key}.period.start")
        end = _date(period["end"], cfg, f"{key}.period.end", end=True)
        if end < start:
            raise _fail(cfg, f"{key}.period", dict(period), "the period ends before it starts")
    gaps = _gaps(spec.get("gaps"), cfg, f"{key}.gaps")
    if gaps and start is None:
        raise _fail(cfg, f"{key}.gaps", spec.get("gaps"), "gaps need a declared period (add period: {start, end})")
    for g in gaps:
        if start is not None and (g.end < start or g.start > end):
            raise _fail(cfg, f"{key}.gaps", f"{g.start:%Y-%m-%d}..{g.end:%Y-%m-%d}",
                        f"the gap lies outside the declared period {start:%Y-%m-%d}..{end:%Y-%m-%d}")
    return SourceConfig(name=name, parts=parts, start=start, end=end, gaps=gaps)


def parse(config: str | Path | Mapping[str, Any], *, data_root: str | Path | None = None) -> RunConfig:
    """Read and check a run config (a YAML file or an already loaded mapping).

    Parameters
    ----------
    config
        Path of a YAML run config, or a mapping with the same keys.
    data_root
        Overrides the config's ``data_root`` (file patterns are relative to it).

    Raises
    ------
    ConfigError
        Naming the config file, the key and the value found, and what was expected.

    Examples
    --------
    >>> cfg = parse({"sources": {"interventie": {"files": "interventie.csv", "period": {"start": "2019-01", "end": "2025-12"}}}},
    ...             data_root="/data")
    >>> cfg.sources["interventie"].parts[0].layout, str(cfg.sources["interventie"].end.date())
    ('wijklib', '2025-12-31')
    """
    path: Path | None = None
    if isinstance(config, (str, Path)):
        path = Path(config)
        if not path.is_file():
            raise ConfigError(f"config file '{path}' does not exist")
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{path}: expected a YAML mapping at the top, found {type(raw).__name__}")
    elif isinstance(config, Mapping):
        raw = dict(config)
    else:
        raise TypeError(f"config must be a path or a mapping, got {type(config).__name__}")
    cfg = str(path) if path is not None else "<config>"
    base = path.parent if path is not None else Path.cwd()
    sources_raw = raw.get("sources")
    src_base = base
    if isinstance(sources_raw, str):
        # ``sources: other.yaml`` - the sources live in their own file (e.g. written with the data).
        spath = (base / sources_raw).resolve()
        if not spath.is_file():
            raise _fail(cfg, "sources", sources_raw, f"expected a mapping or the path of a sources file; {spath} does not exist")
        sub = parse(spath, data_root=data_root)
        return RunConfig(path=path, data_root=sub.data_root, sources=sub.sources, platforms=sub.platforms, raw=raw)
    if sources_raw is None:
        raise _fail(cfg, "sources", None, "missing; expected a mapping of source name -> {layout, files, period, ...}")
    if not isinstance(sources_raw, Mapping) or not sources_raw:
        raise _fail(cfg, "sources", sources_raw, "expected a non-empty mapping of source name -> {layout, files, ...}")
    if data_root is not None:
        root = Path(data_root)
    elif raw.get("data_root") is not None:
        root = Path(str(raw["data_root"]).replace("{REFERENCE_DATA_DIR}", str(_reference_dir())))
        root = root if root.is_absolute() else (src_base / root)
    else:
        root = src_base
    sources = {str(name): _source(str(name), spec, cfg) for name, spec in sources_raw.items()}
    platforms = parse_platforms(raw.get("platforms"), cfg, sources)
    return RunConfig(path=path, data_root=root.resolve(), sources=sources, platforms=platforms, raw=raw)


def _reference_dir() -> Path:
    from wijklib.config import REFERENCE_DATA_DIR

    return REFERENCE_DATA_DIR


# --------------------------------------------------------------------------------------------
# Platform migration calendar
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Switch:
    """From ``start`` on, reports on ``subjects`` in ``areas`` are recorded by ``system``."""

    system: str
    start: pd.Timestamp
    subjects: tuple[str, ...] | None = None  # None = every subject
    areas: Mapping[str, tuple[str, ...]] | None = None  # level -> unit names/codes; None = whole city
    key: str = ""
    categories: tuple[str, ...] | None = None  # wijklib categories (all their subjects); None = any


@dataclass(frozen=True)
class PlatformCalendar:
    """Which recording system holds a source's reports, by subject, area and date."""

    source: str
    default: str
    switches: tuple[Switch, ...]
    subject_column: str = "subcategorie"


def parse_platforms(raw: Any, cfg: str, sources: Mapping[str, SourceConfig]) -> dict[str, PlatformCalendar]:
    """``platforms:`` section -> one :class:`PlatformCalendar` per source.

    Shape (per source)::

        platforms:
          meldingen:
            default: MSB                  # system before any switch
            subject_column: subcategorie  # canonical column holding the subject (default)
            switches:
              - {system: MOR, from: 2023-09-13, subjects: [Grofvuil], areas: {gebied: [Delfshaven]}}
              - {system: MOR, from: 2024-05-16, subjects: [Parkeeroverlast voertuig]}   # whole city
              - {system: MOR, from: 2024-10-01, categories: [verwaarlozing]}      # all its subjects

    ``areas`` levels are those of :mod:`wijklib.geo` (``buurt``, ``wijk``, ``wijkraad``, ``gebied``);
    names or codes in any spelling ``geo.normalize`` accepts.

    Examples
    --------
    >>> cal = parse_platforms({"meldingen": {"default": "MSB", "switches": [
    ...     {"system": "MOR", "from": "2024-05-16", "subjects": ["Grofvuil"], "areas": {"gebied": ["Charlois"]}}]}},
    ...     "run.yaml", {"meldingen": None})
    >>> sw = cal["meldingen"].switches[0]
    >>> sw.system, str(sw.start.date()), sw.areas
    ('MOR', '2024-05-16', {'gebied': ('Charlois',)})
    """
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(cfg, "platforms", raw, "expected a mapping source -> {default, switches}")
    out: dict[str, PlatformCalendar] = {}
    for source, spec in raw.items():
        key = f"platforms.{source}"
        if source not in sources:
            raise _fail(cfg, key, spec, f"no such configured source; expected one of {', '.join(sources)}")
        if not isinstance(spec, Mapping) or "switches" not in spec:
            raise _fail(cfg, key, spec, "expected {default: <system>, switches: [...]}")
        default = str(spec.get("default", "oud"))
        switches = []
        if not isinstance(spec["switches"], list):
            raise _fail(cfg, f"{key}.switches", spec["switches"], "expected a list of {system, from, subjects, areas}")
        for i, sw in enumerate(spec["switches"]):
            k = f"{key}.switches[{i}]"
            if not isinstance(sw, Mapping) or "system" not in sw or "from" not in sw:
                raise _fail(cfg, k, sw, "expected {system: <name>, from: <date>, subjects: [...], areas: {level: [...]}}")
            subjects = sw.get("subjects")
            if subjects is not None:
                subjects = tuple(str(s) for s in ([subjects] if isinstance(subjects, str) else subjects))
            cats = sw.get("categories")
            if cats is not None:
                from wijklib.schemas import CATEGORIEEN

                cats = tuple(str(c) for c in ([cats] if isinstance(cats, str) else cats))
                bad = [c for c in cats if c not in CATEGORIEEN]
                if bad:
                    raise _fail(cfg, f"{k}.categories", bad[0], f"expected wijklib categories ({', '.join(CATEGORIEEN)})")
            areas = sw.get("areas")
            if areas is not None:
                if not isinstance(areas, Mapping):
                    raise _fail(cfg, f"{k}.areas", areas, "expected {level: [names or codes]}")
                bad = [lv for lv in areas if lv not in ("buurt", "wijk", "wijkraad", "gebied")]
                if bad:
                    raise _fail(cfg, f"{k}.areas.{bad[0]}", areas[bad[0]], "expected level buurt, wijk, wijkraad or gebied")
                areas = {lv: tuple(str(a) for a in ([v] if isinstance(v, str) else v)) for lv, v in areas.items()}
            switches.append(Switch(system=str(sw["system"]), start=_date(sw["from"], cfg, f"{k}.from"),
                                   subjects=subjects, areas=areas, key=k, categories=cats))
        out[str(source)] = PlatformCalendar(source=str(source), default=default, switches=tuple(switches),
                                            subject_column=str(spec.get("subject_column", "subcategorie")))
    return out


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------
@dataclass
class SourceReport:
    """What loading one source found (for ``wijklib check``)."""

    source: str
    layouts: list[str] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    rows: int = 0
    skipped: list[dict] = field(default_factory=list)
    excluded: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    data_start: str | None = None
    data_end: str | None = None
    coverage: dict[str, Any] = field(default_factory=dict)
    empty_months: list[str] = field(default_factory=list)
    outside_period: int = 0
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Tables(dict):
    """``{source: canonical DataFrame}`` as ``panel.load_demo()`` returns, plus what the config declared.

    Attributes
    ----------
    config : RunConfig
    coverage : dict
        Per source the declared coverage (``start``, ``end``, ``gaps``, ``declared``).
    reports : dict
        Per source a :class:`SourceReport`.
    platforms : dict
        Per source its :class:`PlatformCalendar` (platform migration), if configured.
    """

    def __init__(self, *args: Any, config: RunConfig | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config = config
        self.coverage: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, SourceReport] = {}
        self.platforms: dict[str, PlatformCalendar] = dict(config.platforms) if config else {}


_DATE_COLUMN = {"meldingen": "ontvangen", "handhaving": "datum", "politie": "maand", "handhaving_uren": "week",
                "netwerk_overleggen": "datum", "signalen": "datum", "netwerk_samenwerking": "periode"}


#: Delivery grain of a source when it is not monthly (the collaboration log is kept per quarter).
_GRAIN = {"netwerk_samenwerking": "Q"}


def _resolve(patterns: Sequence[str], root: Path, cfg: str, key: str) -> list[Path]:
    full = [p if Path(p).is_absolute() else str(root / p) for p in patterns]
    try:
        return wio.resolve_paths(full)
    except wio.DataError as exc:
        raise ConfigError(f"{cfg}: {key} = {list(patterns)!r}: {exc} (paths are relative to {root})") from exc


def _header_check(df: pd.DataFrame, part: Part, cfg: str) -> None:
    """A column map must name a header that the files really have (it must not silently fall back)."""
    if not part.columns:
        return
    rep = df.attrs.get("report")
    if rep is None:
        return
    from wijklib.schemas import normalize_header

    for f in rep.files:
        used = f.get("columns", {})
        for canonical, header in part.columns.items():
            got = used.get(canonical)
            if got is None or normalize_header(got) != normalize_header(header):
                raise ConfigError(
                    f"{cfg}: {part.key}.columns.{canonical} = {header!r}: file {f['file']} has no header "
                    f"{header!r}" + (f" (column '{canonical}' was read from {got!r})" if got else "")
                )


def _wrap_missing_header(exc: wio.DataError, part: Part, files: Sequence[Path], cfg: str) -> ConfigError | None:
    """Explain a missing required column in terms of the column map when the map caused it."""
    if not part.columns or "required column(s) missing" not in str(exc):
        return None
    for canonical, header in part.columns.items():
        if f"({canonical})" in str(exc):
            return ConfigError(f"{cfg}: {part.key}.columns.{canonical} = {header!r}: no such header in the file. {exc}")
    return None


def _read_part(source: str, part: Part, root: Path, cfg: str) -> pd.DataFrame:
    from wijklib import load

    lay = load.layouts_for(source)[part.layout]
    if isinstance(part.files, Mapping):
        files: Any = {t: _resolve(p, root, cfg, f"{part.key}.files.{t}") for t, p in part.files.items()}
    else:
        resolved = _resolve(part.files, root, cfg, f"{part.key}.files")
        files = load.split_tables(resolved, lay, cfg=cfg, key=f"{part.key}.files") if lay.tables else resolved
    if lay.tables:
        missing = [t for t in lay.required_tables if t not in files]
        if missing:
            raise ConfigError(f"{cfg}: {part.key}.files: layout '{part.layout}' needs the table(s) "
                              f"{', '.join(missing)}; found files for {', '.join(files) or '(none)'}")
    flat = [p for v in files.values() for p in v] if isinstance(files, Mapping) else files
    try:
        df = lay.read(files, columns=part.columns, values=part.values, options=part.options, lenient=part.lenient)
    except wio.DataError as exc:
        wrapped = _wrap_missing_header(exc, part, flat, cfg)
        if wrapped is not None:
            raise wrapped from exc
        raise wio.DataError(f"{cfg}: {part.key} (layout {part.layout}): {exc}", getattr(exc, "problems", None)) from exc
    if not lay.tables:  # multi-table readers check their column maps per table themselves
        _header_check(df, part, cfg)
    from wijklib.load._layouts import LAYOUT_SIGNATURE

    sig = LAYOUT_SIGNATURE.get((source, part.layout))
    rep = df.attrs.get("report")
    if sig and rep is not None and not part.layout_given:
        # No layout named: the headers decide between the source's layouts (one signature column each).
        heads = [set(f.get("columns", {})) for f in rep.files]
        fits = [lay_name for (src, lay_name), col in LAYOUT_SIGNATURE.items()
                if src == source and heads and all(col in h for h in heads)]
        if len(fits) == 1 and fits[0] != part.layout:
            import dataclasses

            return _read_part(source, dataclasses.replace(part, layout=fits[0], layout_given=True), root, cfg)
    if sig and rep is not None:
        for f in rep.files:
            if sig not in f.get("columns", {}):
                raise ConfigError(f"{cfg}: {part.key}.layout = {part.layout!r}: file {f['file']} is not in that "
                                  f"layout (its headers match another layout of {source}: "
                                  f"{', '.join(sorted(load.layouts_for(source)))})")
    df.attrs.setdefault("layout", part.layout)
    if source == "meldingen" and "units" not in df.attrs and "buurt_code" in df.columns:
        # Single-table layouts with CBS codes: coded rows, and rows with only a point (placed by the panel).
        from wijklib.panel import report_buurt

        coded = df["buurt_code"].notna()
        placed = report_buurt(df).notna()
        df.attrs["units"] = {"by code": int(coded.sum()), "by point": int((~coded & placed).sum()), "by name": 0,
                             "not": int((~placed).sum())}
    return df


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if len(parts) == 1:
        return parts[0]
    attrs = [p.attrs for p in parts]
    out = pd.concat(parts, ignore_index=True)
    out.attrs = {"source": attrs[0].get("source"), "files": [f for a in attrs for f in a.get("files", [])],
                 "skipped": [s for a in attrs for s in a.get("skipped", [])],
                 "geography_year": attrs[0].get("geography_year"), "parts": attrs,
                 "report": attrs[0].get("report"), "layout": "+".join(str(a.get("layout")) for a in attrs)}
    return out


def _report(source: str, sc: SourceConfig, df: pd.DataFrame) -> SourceReport:
    attrs_list = df.attrs.get("parts") or [df.attrs]
    rep = SourceReport(source=source, rows=len(df), coverage=sc.coverage(),
                       layouts=[p.layout for p in sc.parts])
    for a in attrs_list:
        lr = a.get("report")
        if lr is not None:
            rep.files.extend(dict(f) for f in lr.files)
            for k, v in lr.excluded.items():
                rep.excluded[k] = rep.excluded.get(k, 0) + int(v)
        rep.skipped.extend(a.get("skipped", []))
        for k, v in (a.get("units") or {}).items():
            rep.units[k] = rep.units.get(k, 0) + int(v)
        rep.notes.extend(a.get("notes", []))
    col = _DATE_COLUMN.get(source)
    if col is None:
        rep.notes.append("a register (no delivery period applies)")
    if col and col in df.columns and len(df):
        d = pd.to_datetime(df[col]).dropna()
        if len(d):
            rep.data_start, rep.data_end = f"{d.min():%Y-%m-%d}", f"{d.max():%Y-%m-%d}"
            grain = _GRAIN.get(source, "M")
            months = d.dt.to_period(grain)
            if sc.declared:
                span = pd.period_range(sc.start, sc.end, freq=grain)
                gap_months = set()
                for g in sc.gaps:
                    gap_months |= set(pd.period_range(g.start, g.end, freq=grain))
                present = set(months.unique())
                rep.empty_months = [str(m) for m in span if m not in present and m not in gap_months]
                outside = (d < sc.start) | (d > sc.end + pd.Timedelta(hours=23, minutes=59, seconds=59))
                rep.outside_period = int(outside.sum())
    return rep


def load(
    config: str | Path | Mapping[str, Any] | RunConfig,
    *,
    sources: Sequence[str] | None = None,
    data_root: str | Path | None = None,
    errors: str = "raise",
) -> Tables:
    """Load every configured source (or ``sources``) into canonical tables with their declared coverage.

    Parameters
    ----------
    config
        A YAML run config, a mapping, or a parsed :class:`RunConfig`.
    sources
        Load only these sources (default: every configured one).
    data_root
        Overrides the config's ``data_root``.
    errors
        ``"raise"`` (default) stops at the first unusable source; ``"collect"`` records the error in
        ``tables.reports[source].error`` and goes on (what ``wijklib check`` uses).

    Returns
    -------
    Tables
        ``{source: DataFrame}``; each DataFrame has ``attrs["coverage"]`` (declared period and gaps,
        ``declared=False`` when the config gives none: the panel then infers the coverage from the
        data), ``attrs["layout"]``; ``tables.coverage``, ``tables.reports``, ``tables.platforms``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "starts.csv").write_text("Wijk raad;Startdatum;Uren per week\\ntarwewijk;01-03-2021;24,5\\n")
    >>> _ = (d / "run.yaml").write_text(
    ...     "sources:\\n  interventie:\\n    files: starts.csv\\n    columns: {wijkraad_id: Wijk raad}\\n")
    >>> t = load(d / "run.yaml")
    >>> t["interventie"]["wijkraad_id"].tolist()
    ['tarwewijk']
    """
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', got {errors!r}")
    cfg = config if isinstance(config, RunConfig) else parse(config, data_root=data_root)
    if isinstance(config, RunConfig) and data_root is not None:
        cfg = RunConfig(path=cfg.path, data_root=Path(data_root).resolve(), sources=cfg.sources,
                        platforms=cfg.platforms, raw=cfg.raw)
    wanted = list(cfg.sources) if sources is None else list(sources)
    unknown = [s for s in wanted if s not in cfg.sources]
    if unknown:
        raise ConfigError(f"{cfg.name}: sources {unknown} were asked for but are not configured "
                          f"(configured: {', '.join(cfg.sources)})")
    out = Tables(config=cfg)
    for name in wanted:
        sc = cfg.sources[name]
        try:
            parts = [_read_part(name, p, cfg.data_root, cfg.name) for p in sc.parts]
        except (ConfigError, wio.DataError) as exc:
            if errors == "raise":
                raise
            out.reports[name] = SourceReport(source=name, layouts=[p.layout for p in sc.parts],
                                             coverage=sc.coverage(), error=str(exc))
            continue
        df = _concat(parts)
        if sc.declared:
            df.attrs["coverage"] = sc.coverage()
        else:
            df.attrs["coverage"] = {"declared": False}
        out[name] = df
        out.coverage[name] = sc.coverage()
        out.reports[name] = _report(name, sc, df)
        if not sc.declared and name in _DATE_COLUMN:
            warnings.warn(f"{cfg.name}: sources.{name} declares no period: the panel infers its coverage from "
                          "the data (months without any row are missing). Declare period: {start, end} "
                          "(and gaps) to state what was delivered.", UserWarning, stacklevel=2)
    return out
