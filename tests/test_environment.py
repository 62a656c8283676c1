"""pyproject.toml and environment.yml must list the same packages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = py["optional-dependencies"]
    wanted = {_name(r) for r in py["dependencies"]} | {_name(r) for r in extras["dev"] + extras["lab"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert wanted == listed, (
        f"only in pyproject.toml: {sorted(wanted - listed)}; only in environment.yml: {sorted(listed - wanted)}"
    )


def test_makefile_is_self_documenting():
    text = (ROOT / "Makefile").read_text()
    for target in ("help", "reports", "test"):
        assert re.search(rf"^{target}:.*## ", text, re.M), f"Makefile target {target!r} lacks a '## ' help text"
