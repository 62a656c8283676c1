"""Shared pytest fixtures, and the reference-data rule of ``make test-reference``."""

from __future__ import annotations

import os

import pytest

from wijklib.config import REFERENCE_DATA_DIR

#: Set by ``make test-reference``: a reference check that cannot find its data FAILS instead of skipping,
#: so whoever checks the README's claims is never shown a green run that checked nothing.
REQUIRE_REFERENCE = os.environ.get("WIJKLIB_REQUIRE_REFERENCE", "") not in ("", "0")


def _reference_test(item: pytest.Item) -> bool:
    return item.get_closest_marker("reference") is not None or "reference" in item.path.parent.parts[-1:]


@pytest.fixture(scope="session")
def reference_dir():
    """Folder with the published reference data sets; skips when it is absent (e.g. outside the team),
    fails instead under ``make test-reference`` (``WIJKLIB_REQUIRE_REFERENCE=1``)."""
    if not REFERENCE_DATA_DIR.is_dir():
        msg = f"reference data folder {REFERENCE_DATA_DIR} is absent (../shared/reference-data)"
        if REQUIRE_REFERENCE:
            pytest.fail(msg + "; make test-reference needs it", pytrace=False)
        pytest.skip(msg)
    return REFERENCE_DATA_DIR


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    rep = outcome.get_result()
    if REQUIRE_REFERENCE and rep.skipped and _reference_test(item) and rep.when in ("setup", "call"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        if "absent" in reason or "reference" in reason:
            rep.outcome = "failed"
            rep.longrepr = f"reference data missing (make test-reference does not skip): {reason}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_REFERENCE and exitstatus == 0 and session.testscollected == 0:
        session.exitstatus = 1
