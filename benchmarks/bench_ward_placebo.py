"""Size of the monitor's single-ward inference on real counts: every ward, every start, every series (issue 10).

A ward that starts alone is judged by :func:`wijklib.monitor.randomization.randomization_did` with the ward
against all wards without an intervention (placebo in space, t reference, since one ward against 36 cannot
reach a one-sided 2.5% by ranks). ``bench_verdicts`` measures this through random draws, which on a
37-ward panel repeat the same wards; here every ward of the real police panel of 's-Gravenhage (no
intervention known) is the placebo ward once, at each of five start dates, for total crime and each of the
12 crime types. The share of intervals that exclude "no change" is the size of the test, per side.

Usage::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_ward_placebo        # about a minute
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from benchmarks._common import RESULTS, git_commit
from wijklib.monitor import placebo as pl
from wijklib.monitor.randomization import randomization_did

STARTS = ("2013-07", "2014-01", "2014-07", "2015-01", "2015-07")
END = "2016-12"  # the evaluation year's last month in bench_verdicts' hague scenarios


def measure(panel: pd.DataFrame, starts: tuple[str, ...] = STARTS, end: str = END) -> pd.DataFrame:
    """One row per (start, series, ward): does the 95% interval exclude 1, and on which side."""
    wards = sorted(panel["unit"].astype(str).unique())
    series = [c[2:] for c in panel.columns if c.startswith("n_")]
    rows = []
    for st in starts:
        s, e = pd.Timestamp(f"{st}-01"), pd.Timestamp(f"{end}-01")
        for o in series:
            for w in wards:
                r = randomization_did(panel, [w], [x for x in wards if x != w], o, s, e)
                rows.append({"start": st, "reeks": o, "wijk": w, "referentie": r.reference,
                             "omlaag": r.conf_high < 1, "omhoog": r.conf_low > 1})
    out = pd.DataFrame(rows)
    out["sluit_1_uit"] = out["omlaag"] | out["omhoog"]
    out["soort"] = np.where(out["reeks"] == "totaal", "totaal", "soorten")
    return out


def _cell(x: pd.Series) -> str:
    k, n = int(x.sum()), int(x.size)
    lo, hi = proportion_confint(k, n, method="wilson")
    return f"{100 * k / n:.1f}% ({100 * lo:.1f}–{100 * hi:.1f}%, n={n})"


def render(d: pd.DataFrame, seconds: float) -> str:
    out = [f"<!-- bench_ward_placebo; commit {git_commit()}; {platform.python_version()}; {seconds:.0f} s -->", "",
           "# Single-ward inference on real counts: every ward as the placebo ward", "",
           "Command: `PYTHONPATH=. .venv/bin/python -m benchmarks.bench_ward_placebo`", "",
           "Real police counts of 's-Gravenhage (37 wijken, 2011-2017, no intervention known). Each ward in turn "
           "is 'treated' alone at each start date and compared with the other 36 by the monitor's single-ward "
           f"design (`randomization_did`, studentised, placebo scale with a t reference); after-window up to {END}. "
           "Share of 95% intervals that exclude 'no change' (goal ≤ 7%), and per side (a 5% test gives 2.5% "
           "each; 'omlaag' is the side an 'omlaag' priority would call 'op koers'). Wilson intervals over "
           "ward-series; rows of one start share the city's months, so they are not independent.", "",
           "| reeks | start | sluit 1 uit | omlaag | omhoog |", "|---|---|---:|---:|---:|"]
    for (kind, st), g in d.groupby(["soort", "start"]):
        out.append(f"| {kind} | {st} | {_cell(g['sluit_1_uit'])} | {_cell(g['omlaag'])} | {_cell(g['omhoog'])} |")
    for kind, g in d.groupby("soort"):
        out.append(f"| **{kind}** | alle starts | {_cell(g['sluit_1_uit'])} | {_cell(g['omlaag'])} | "
                   f"{_cell(g['omhoog'])} |")
    out += ["", f"Reference distributions used: {', '.join(sorted(d['referentie'].unique()))}."]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    d = measure(pl.hague_panel())
    md = render(d, time.perf_counter() - t0)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ward_placebo.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
