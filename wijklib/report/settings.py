"""Run configuration of a report batch: one YAML file per run (``config/demo.yaml``, ``config/thehague.yaml``).

``bron`` selects where the report units and shared data come from: ``demo`` (the wijkraden of the
synthetic city, evaluated by ``wijklib.monitor``), ``thehague_crime`` (the wijken of a gemeente in the
police reference data) or ``vast`` (a fixed list ``eenheden`` in the YAML itself, e.g. for a one-off
report series or tests).

The YAML says *what* to build (which notebook, which geography level, which data, whether the data are
synthetic); the command line says *for when and where* (year, wards, output folder). Paths in the YAML may
use ``{PROJECT_ROOT}`` and ``{REFERENCE_DATA_DIR}``; relative paths are taken from the repository root, so a
run gives the same result whatever the working directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from wijklib import config as wlconfig

Bron = Literal["demo", "thehague_crime", "vast"]
_BRONNEN = ("demo", "thehague_crime", "vast")
_KNOWN_KEYS = {
    "naam", "titel", "demodata", "bron", "data_dir", "notebook", "overzicht_notebook", "eenheid",
    "opties", "bronnen", "monitor_config", "jaar", "eenheden", "geografie",
}
_REQUIRED = {"naam", "demodata", "bron", "notebook", "eenheid"}


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
    bron: Bron
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
    >>> load_config("config/thehague.yaml").bron
    'thehague_crime'
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
    if raw["bron"] not in _BRONNEN:
        raise ConfigError(f"{file}: key 'bron' must be one of {list(_BRONNEN)}, found {raw['bron']!r}")
    eenheden = raw.get("eenheden") or []
    if raw["bron"] == "vast" and not eenheden:
        raise ConfigError(f"{file}: bron 'vast' needs a list 'eenheden' of {{code, naam}} mappings")
    if not isinstance(eenheden, list) or not all(isinstance(e, dict) and "code" in e for e in eenheden):
        raise ConfigError(f"{file}: key 'eenheden' must be a list of mappings with 'code' (and 'naam')")
    for key in ("opties",):
        if key in raw and not isinstance(raw[key], dict):
            raise ConfigError(f"{file}: key {key!r} must be a mapping, found {raw[key]!r}")
    bronnen = raw.get("bronnen") or []
    if not isinstance(bronnen, list) or not all(isinstance(b, dict) for b in bronnen):
        raise ConfigError(f"{file}: key 'bronnen' must be a list of mappings (naam, datum, ...)")

    def opt_path(key: str) -> Path | None:
        return resolve_path(raw[key]) if raw.get(key) else None

    return ReportConfig(
        path=file,
        naam=str(raw["naam"]),
        titel=str(raw.get("titel", "Wijkrapport")),
        demodata=raw["demodata"],
        bron=raw["bron"],
        notebook=resolve_path(raw["notebook"]),
        eenheid=str(raw["eenheid"]),
        data_dir=opt_path("data_dir"),
        overzicht_notebook=opt_path("overzicht_notebook"),
        monitor_config=opt_path("monitor_config"),
        jaar=int(raw["jaar"]) if raw.get("jaar") is not None else None,
        opties=dict(raw.get("opties") or {}),
        bronnen=[{str(k): str(v) for k, v in b.items()} for b in bronnen],
        eenheden=tuple((str(e["code"]), str(e.get("naam", e["code"]))) for e in eenheden),
    )
