"""The report notebooks as committed: no outputs, a documented parameters cell, no logic of their own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
EXPECTED = {"wijkrapport.ipynb", "stadsoverzicht.ipynb"}


def test_one_ward_report_notebook_for_every_city():
    # The police-only report is the ward report with only `politie` delivered: no notebook of its own.
    assert {p.name for p in NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_outputs_in_git(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: run nbstripout"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_is_annotated_and_commented(path):
    nb = nbformat.read(path, as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, f"{path.name}: exactly one cell tagged 'parameters'"
    src = params[0].source
    tree = ast.parse(src)
    assert tree.body and all(isinstance(n, ast.AnnAssign) and isinstance(n.value, ast.Constant) for n in tree.body)
    for line in src.splitlines():
        assert re.match(r"^\w+: \w+ = .+  # \S", line), f"{path.name}: {line!r} lacks type or trailing comment"
    assert "config_path" in src


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_only_calls_the_library(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for forbidden in ("groupby", ".merge(", "pd.", "read_csv", "import pandas", "open("):
        assert forbidden not in code, f"{path.name}: data wrangling ({forbidden!r}) belongs in wijklib"
    headings = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    assert any("In het kort" in h for h in headings)
