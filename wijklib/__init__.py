"""wijklib — make the effect of ward-based enforcement (wijkgericht handhaven) visible, ward by ward.

Submodules are imported lazily so that ``import wijklib as wl`` stays fast in a notebook kernel:

- ``wl.geo``     ward geography (gebieden, wijken, wijkraden, buurten), code normalisation
- ``wl.load``    validated loaders for every data source
- ``wl.sources`` run configs: which files hold which source, layouts, declared coverage
- ``wl.check``   data intake check of a run config (``wijklib check``)
- ``wl.panel``   unit x month/week panels built from event tables
- ``wl.demo``    deterministic synthetic demo city
- ``wl.its``     interrupted time series
- ``wl.did``     difference-in-differences (Callaway-Sant'Anna, TWFE, event study, Poisson)
- ``wl.synth``   synthetic control for a single treated ward
- ``wl.diagnostics`` pre-trend power, placebo, sensitivity, regression to the mean
- ``wl.monitor`` the three monitoring levels and the wijkakkoord verdicts
- ``wl.report``  papermill batch runner and PDF route
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = {
    "config", "geo", "io", "load", "panel", "demo", "its", "did", "inference", "synth",
    "diagnostics", "monitor", "report", "labels", "plots", "disclosure", "results", "schemas",
    "sources", "check",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'wijklib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES))
