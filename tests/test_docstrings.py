"""Every public function has a numpy-style docstring with an example, and every example runs.

"Public" = the names a researcher reaches from ``wijklib.<module>``: the public functions of the
top-level modules and whatever a subpackage exports in ``__all__``. Private helpers
(``_name`` or modules under a leading underscore) are exempt.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import matplotlib
import pytest

import wijklib

matplotlib.use("Agg")

ALL_MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(wijklib.__path__, "wijklib.")
    if "__main__" not in m.name
)
# Only what a user reaches as wl.<module>.<name>: top-level modules and package facades.
PUBLIC_MODULES = [
    name for name in ALL_MODULES
    if name.count(".") == 1 and not name.rsplit(".", 1)[1].startswith("_")
]


def _public_functions(modname: str):
    mod = importlib.import_module(modname)
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n, o in vars(mod).items()
                 if not n.startswith("_") and getattr(o, "__module__", None) == modname]
    for n in names:
        obj = getattr(mod, n)
        if inspect.isfunction(obj):
            yield f"{modname}.{n}", obj


@pytest.mark.parametrize("modname", ALL_MODULES)
def test_doctests_run(modname):
    mod = importlib.import_module(modname)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {modname} failed (see output above)"


def test_public_functions_have_examples():
    missing = [qual for m in PUBLIC_MODULES for qual, fn in _public_functions(m)
               if ">>>" not in (fn.__doc__ or "")]
    assert not missing, "public functions without a runnable example in their docstring: " + ", ".join(missing)
