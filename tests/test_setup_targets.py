"""What set-up gives a researcher: JupyterLab, the project's kernel that the notebooks name, `make lab`,
and a `make test-reference` that fails (not skips) without the reference data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _recipe(target: str) -> list[str]:
    m = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert m, f"Makefile has no target {target!r}"
    return [ln.strip() for ln in m.group(1).splitlines()]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_the_kernel_the_notebooks_name_exists_after_setup(nb):
    """`make venv` registers the kernel (ensure_kernel); it must be the one each notebook names and start
    this interpreter (the project's .venv), not some python3 of another environment."""
    from jupyter_client.kernelspec import KernelSpecManager

    name = json.loads(nb.read_text(encoding="utf-8"))["metadata"]["kernelspec"]["name"]
    from wijklib.report.runner import KERNEL_NAME

    assert name == KERNEL_NAME, f"{nb.name} names kernel {name!r}; the project's kernel is {KERNEL_NAME!r}"
    spec = KernelSpecManager().get_kernel_spec(name)  # NoSuchKernel when set-up did not register it
    assert Path(spec.argv[0]).resolve() == Path(sys.executable).resolve()


def test_setup_registers_the_kernel_and_installs_jupyterlab():
    venv = "\n".join(_recipe("$(STAMP)"))
    assert "ensure_kernel()" in venv
    extras = re.search(r'pip install --quiet -e "\.\[([^\]]+)\]"', venv)
    assert extras and "lab" in extras.group(1).split(",")
    import jupyterlab  # noqa: F401 - installed by the set-up (extra wijklib[lab])


def test_make_lab_starts_jupyterlab_on_the_notebooks_with_the_project_kernel():
    lab = " ".join(_recipe("lab"))
    assert "jupyter lab" in lab and "--notebook-dir=notebooks" in lab and "default_kernel_name=wijklib" in lab
    assert re.search(r"^lab:.*## ", MAKEFILE, re.M)


def _reference_run(shared: Path, require: bool) -> subprocess.CompletedProcess:
    cmd = " ".join(_recipe("test-reference"))
    assert "WIJKLIB_REQUIRE_REFERENCE=1" in cmd
    args = cmd.split("$(BIN)/python", 1)[1].split()
    # one small reference file is enough to see skip vs fail
    args = [a for a in args if a != "tests/reference"] + ["tests/reference/test_card_krueger.py"]
    env = {**os.environ, "WIJKLIB_SHARED": str(shared)}
    env.pop("WIJKLIB_REQUIRE_REFERENCE", None)
    if require:
        env["WIJKLIB_REQUIRE_REFERENCE"] = "1"
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_make_test_reference_fails_without_the_reference_data(tmp_path):
    missing = tmp_path / "no-shared"
    strict = _reference_run(missing, require=True)
    assert strict.returncode != 0, strict.stdout[-2000:]
    assert "reference data" in strict.stdout
    lenient = _reference_run(missing, require=False)  # make test: skipped with a reason
    assert lenient.returncode == 0 and "skipped" in lenient.stdout, lenient.stdout[-2000:]
