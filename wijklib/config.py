"""Paths and defaults in one place (RAP: configuration lives here or in a YAML run file)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: Root of the repository checkout (the folder holding ``pyproject.toml``).
PROJECT_ROOT = Path(os.environ.get("WIJKLIB_ROOT", PACKAGE_DIR.parent)).resolve()
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
DEMO_RAW_DIR = RAW_DIR / "demo"
PROCESSED_DIR = DATA_DIR / "processed"
REPORTS_DIR = PROJECT_ROOT / "reports"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
CONFIG_DIR = PROJECT_ROOT / "config"
#: Package data shipped inside wijklib (geography tables etc.).
PACKAGE_DATA_DIR = PACKAGE_DIR / "data"
#: Read-only reference data sets with published results (sibling of the repo).
SHARED_DIR = Path(os.environ.get("WIJKLIB_SHARED", PROJECT_ROOT.parent / "shared")).resolve()
REFERENCE_DATA_DIR = SHARED_DIR / "reference-data"

#: The geography (folder with geografie.yaml) wijklib.geo uses unless told otherwise; None = the
#: demo city's package data. Override with $WIJKLIB_GEOGRAPHY or a run config's ``geografie:``.
GEOGRAPHY_DIR = os.environ.get("WIJKLIB_GEOGRAPHY") or None

#: First and last month of the demo city.
DEMO_START = "2017-01"
DEMO_END = "2025-12"
DEMO_SEED = 20260122
