"""Read and check ``config/monitor.yaml``: the verdict rule's thresholds and the other monitor settings."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from wijklib.config import CONFIG_DIR

#: Default location of the monitor configuration.
DEFAULT_CONFIG_PATH = CONFIG_DIR / "monitor.yaml"

# Expected keys and their types: a misspelt key or a string where a number belongs fails loudly.
_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "verdict": {
        "alpha": float,
        "min_relative_change": float,
        "max_relative_width": float,
        "pretrend_alpha": float,
        "noise_alpha": float,
        "min_events": int,
        "min_pre_periods": int,
        "min_post_periods": int,
        "min_respondents": int,
        "multiplicity": str,
    },
    "herijk": {"years": int},
    "design": {
        "min_controls_did": int,
        "min_donors_synth": int,
        "min_cohort_did": int,
        "min_treated_did": int,
        "max_zero_month_share_did": float,
        "control_group": str,
        "did_inference": str,
        "single_ward": str,
        "comparable_k": int,
    },
    "seeds": {"did": int, "randomisation": int},
    "quality": {"small_numbers": int, "max_missing_months": int, "channel_change": str,
                "max_platform_shift": float},
    "level2": {"rising_ratio": float, "rising_min_count": int, "max_quotes_per_theme": int,
               "index_sd": (float, type(None))},
    "level3": {"core_partners": list, "weights": dict},
}


@dataclass(frozen=True)
class MonitorConfig:
    """Validated monitor settings (a read-only view on the YAML content).

    Examples
    --------
    >>> cfg = load_config()
    >>> cfg.verdict["alpha"]
    0.05
    """

    data: Mapping[str, Any]
    source: str

    def __getattr__(self, name: str) -> Any:
        # Sections as attributes (cfg.verdict["alpha"]); dataclass fields resolve before this.
        if name in _SCHEMA:
            return self.data[name]
        raise AttributeError(name)

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.data))

    @property
    def fingerprint(self) -> str:
        """Short hash of the settings, stored in every evaluation to tell which rules made it."""
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict) and k != "weights":
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _validate(data: Mapping[str, Any], source: str) -> None:
    for section, keys in _SCHEMA.items():
        if section not in data or not isinstance(data[section], Mapping):
            raise ValueError(f"{source}: section {section!r} is missing or not a mapping (expected keys {sorted(keys)})")
        for key, typ in keys.items():
            if key not in data[section]:
                raise ValueError(f"{source}: {section}.{key} is missing")
            value = data[section][key]
            ok_types = (int, float) if typ is float else ((int, float, type(None)) if typ == (float, type(None)) else typ)
            if isinstance(value, bool) or not isinstance(value, ok_types):
                raise ValueError(
                    f"{source}: {section}.{key} = {value!r}; expected "
                    f"{'a number or null' if isinstance(typ, tuple) else getattr(typ, '__name__', typ)}"
                )
        unknown = set(data[section]) - set(keys)
        if unknown:
            raise ValueError(f"{source}: unknown key(s) in {section}: {sorted(unknown)}; known: {sorted(keys)}")
    v = data["verdict"]
    if not 0 < v["alpha"] < 0.5:
        raise ValueError(f"{source}: verdict.alpha = {v['alpha']}; expected a number between 0 and 0.5")
    if v["min_relative_change"] < 0 or v["max_relative_width"] <= 0:
        raise ValueError(f"{source}: verdict.min_relative_change must be >= 0 and max_relative_width > 0")
    if not 0 <= v["pretrend_alpha"] < 1:
        raise ValueError(f"{source}: verdict.pretrend_alpha = {v['pretrend_alpha']}; expected 0 (off) up to 1")
    if not 0 <= v["noise_alpha"] < 1:
        raise ValueError(f"{source}: verdict.noise_alpha = {v['noise_alpha']}; expected 0 (off) up to 1")
    share = data["design"]["max_zero_month_share_did"]
    if not 0 <= share <= 1:
        raise ValueError(f"{source}: design.max_zero_month_share_did = {share}; expected a share from 0 to 1")
    for key, seed in data["seeds"].items():
        if seed < 0:
            raise ValueError(f"{source}: seeds.{key} = {seed}; expected a whole number >= 0")
    sd = data["level2"]["index_sd"]
    if sd is not None and sd <= 0:
        raise ValueError(f"{source}: level2.index_sd = {sd}; expected a positive number or null (unknown)")
    if data["herijk"]["years"] < 1:
        raise ValueError(f"{source}: herijk.years = {data['herijk']['years']}; expected >= 1")
    if data["design"]["control_group"] not in ("notyettreated", "nevertreated"):
        raise ValueError(
            f"{source}: design.control_group = {data['design']['control_group']!r}; "
            "expected 'notyettreated' or 'nevertreated'"
        )
    if data["design"]["single_ward"] not in ("placebo", "its_controlled", "synth"):
        raise ValueError(
            f"{source}: design.single_ward = {data['design']['single_ward']!r}; "
            "expected 'placebo', 'its_controlled' or 'synth'"
        )
    if data["design"]["did_inference"] not in ("randomisation", "poisson"):
        raise ValueError(
            f"{source}: design.did_inference = {data['design']['did_inference']!r}; "
            "expected 'randomisation' or 'poisson'"
        )
    if v["multiplicity"] not in ("holm", "none"):
        raise ValueError(f"{source}: verdict.multiplicity = {v['multiplicity']!r}; expected 'holm' or 'none'")
    w = data["level3"]["weights"]
    if set(w) != {"aanwezigheid", "breedte", "regelmaat"} or abs(sum(float(x) for x in w.values()) - 1) > 1e-9:
        raise ValueError(
            f"{source}: level3.weights = {dict(w)}; expected keys aanwezigheid, breedte, regelmaat summing to 1"
        )


def load_config(config: MonitorConfig | Mapping[str, Any] | str | Path | None = None) -> MonitorConfig:
    """Load the monitor settings.

    Parameters
    ----------
    config
        ``None`` reads ``config/monitor.yaml``; a path reads that YAML file; a mapping is merged on top of
        ``config/monitor.yaml`` (handy in tests: ``{"herijk": {"years": 3}}``); a :class:`MonitorConfig`
        is returned as is.

    Examples
    --------
    >>> load_config({"herijk": {"years": 3}}).herijk["years"]
    3
    """
    if isinstance(config, MonitorConfig):
        return config
    if isinstance(config, (str, Path)):
        path = Path(config)
        overrides: Mapping[str, Any] = {}
    else:
        path = DEFAULT_CONFIG_PATH
        overrides = config or {}
    if not path.is_file():
        raise FileNotFoundError(f"monitor configuration {path} not found (expected config/monitor.yaml)")
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a YAML mapping at the top level, found {type(data).__name__}")
    data.pop("schema_version", None)
    merged = _merge(data, overrides)
    source = str(path) + (" (+ overrides)" if overrides else "")
    _validate(merged, source)
    return MonitorConfig(merged, source)
