"""Shared pytest fixtures."""

from __future__ import annotations

import pytest

from wijklib.config import REFERENCE_DATA_DIR


@pytest.fixture(scope="session")
def reference_dir():
    """Folder with the published reference data sets; skips when it is absent (e.g. outside the team)."""
    if not REFERENCE_DATA_DIR.is_dir():
        pytest.skip(f"reference data folder {REFERENCE_DATA_DIR} is absent (../shared/reference-data)")
    return REFERENCE_DATA_DIR
