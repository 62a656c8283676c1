"""The Python code blocks of README.md and docs/quickstart.md run as written, and what they show works.

The README's example used to end in a pre-test with a singular covariance (p = NaN): every PreTest the
blocks leave behind must now have a p-value, and every result must be a protocol result.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

from wijklib.results import PreTest, ResultProtocol

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "docs" / "quickstart.md"]


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", path.read_text(encoding="utf-8"), flags=re.S | re.M)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_code_blocks_run(path, capsys):
    import matplotlib.pyplot as plt

    blocks = python_blocks(path)
    assert blocks, f"{path.name} has no ```python block"
    ns: dict = {"__name__": "__readme__"}
    for block in blocks:
        exec(compile(block, str(path), "exec"), ns)  # noqa: S102 - the documentation's own code
    plt.close("all")
    pretests = [v for v in ns.values() if isinstance(v, PreTest)]
    results = [v for v in ns.values() if isinstance(v, ResultProtocol)]
    if path.name == "README.md":
        assert pretests, "the README shows a pre-test"
    for pt in pretests:
        assert pt.available, f"{path.name}: pre-test without p-value ({pt.note})"
        assert 0 < pt.p_value <= 1
    for res in results:
        assert res.effect.estimate == res.effect.estimate  # not NaN
    assert capsys.readouterr().out  # summary() printed
