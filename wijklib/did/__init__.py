"""Difference-in-differences for ward panels.

- :func:`att_gt` — Callaway & Sant'Anna group-time ATTs (R ``did`` semantics), with ``.aggregate()``
  and ``.pretest()`` on the result (module :mod:`wijklib.did.attgt`).
- :func:`twfe`, :func:`event_study` — two-way fixed effects / 2x2 and event study with clustered SEs
  (module :mod:`wijklib.did.twfe_es`).
- :func:`event_study_single` — event study of ONE treated ward with placebo-in-space inference
  (clustered SEs are invalid with one treated cluster; module :mod:`wijklib.did.placebo`).
- :func:`poisson` — Wooldridge's extended TWFE Poisson (PPML) for counts, effects as rate ratios
  (module :mod:`wijklib.did.ppml`).
- :func:`bacon` — Goodman-Bacon decomposition of a TWFE DiD into its 2x2 comparisons, with covariates
  as in R ``bacondecomp`` (module :mod:`wijklib.did.bacon`).
- :func:`dcdh` — de Chaisemartin & D'Haultfoeuille event-study DiD for treatments that switch off
  or change intensity (R/Stata ``did_multiplegt_dyn``; module :mod:`wijklib.did.dcdh`).

Submodules are imported on first use so ``import wijklib.did`` stays cheap.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_EXPORTS = {
    "att_gt": "attgt",
    "ATTgtResult": "attgt",
    "AggResult": "attgt",
    "twfe": "twfe_es",
    "event_study": "twfe_es",
    "poisson": "ppml",
    "event_study_single": "placebo",
    "bacon": "bacon",
    "BaconResult": "bacon",
    "dcdh": "dcdh",
    "DCDHResult": "dcdh",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'wijklib.did' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_EXPORTS))


class _DidPackage(types.ModuleType):
    """``wl.did.bacon`` and ``wl.did.dcdh`` are functions in submodules of the same name. Importing such a
    submodule (``from wijklib.did.dcdh import DCDHError`` included) binds the MODULE to the package
    attribute; bind the function instead. The modules stay importable through ``sys.modules``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _EXPORTS and _EXPORTS[name] == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _DidPackage
