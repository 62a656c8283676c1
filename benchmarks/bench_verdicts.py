"""The monitor's verdicts under the null and with a planted effect (issue 10): placebo grid.

Runs :mod:`wijklib.monitor.placebo` on the real police panel of 's-Gravenhage (37 wijken, 2011-2017;
no intervention known) and on simulated cities with known truth, with four "omlaag" priorities per ward,
and writes

- ``benchmarks/results/verdicts.md`` (``--tag`` other than ``final``: ``verdicts_<tag>.md``), and
- ``wijklib/data/verdict_error_rates.json`` (only with ``--write-json``): the measured false-verdict rates
  and power the report's method section quotes.

Usage::

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_verdicts                  # full grid (minutes)
    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_verdicts --draws 5 --tag quick
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
import zlib
from pathlib import Path

import pandas as pd

from benchmarks._common import git_commit
from wijklib.monitor import placebo as pl

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
JSON_OUT = ROOT / "wijklib" / "data" / "verdict_error_rates.json"

HAGUE_STARTS = ("2014-01", "2014-07", "2015-01")
SIM_STARTS = ("2020-01", "2020-07", "2021-01")


def grid(draws: int, power_draws: int, single_draws: int | None = None) -> list[tuple[str, pl.Scenario]]:
    """(name, scenario) pairs of the full grid.

    A single-ward draw gives 4 verdicts against a cohort draw's 48, so the single-ward scenarios get their own
    number of draws (``single_draws``, default ``5 * draws``) to reach a comparable precision.
    """
    h, s = HAGUE_STARTS, SIM_STARTS
    one = single_draws or 5 * draws
    null = [
        ("hague: 3 cohorten van 4, willekeurig", pl.Scenario("hague", pl.RollOut((4, 4, 4), h), 2016, n_draws=draws)),
        ("hague: 1 wijk", pl.Scenario("hague", pl.RollOut((1,), h[2:]), 2016, n_draws=one)),
        ("hague: 3 cohorten van 4, slechtste scores", pl.Scenario(
            "hague", pl.RollOut((4, 4, 4), h, selection="worst", select_on="totaal"), 2016, n_draws=draws)),
        ("hague: 3 cohorten van 4, luidruchtigste wijken", pl.Scenario(
            "hague", pl.RollOut((4, 4, 4), h, selection="noise", select_on="misdrijf_104"), 2016, n_draws=draws)),
        ("hague: cohort van 10, willekeurig", pl.Scenario("hague", pl.RollOut((10,), h[2:]), 2016, n_draws=draws)),
        ("sim: 3 cohorten van 4, willekeurig", pl.Scenario("sim", pl.RollOut((4, 4, 4), s), 2022, n_draws=draws)),
        ("sim: 1 wijk", pl.Scenario("sim", pl.RollOut((1,), s[2:]), 2022, n_draws=one)),
        ("sim: 3 cohorten van 4, slechtste scores", pl.Scenario(
            "sim", pl.RollOut((4, 4, 4), s, selection="worst", select_on="a"), 2022, n_draws=draws)),
        ("sim: 3 cohorten van 4, luidruchtigste wijken", pl.Scenario(
            "sim", pl.RollOut((4, 4, 4), s, selection="noise", select_on="a"), 2022, n_draws=draws)),
    ]
    power = []
    for src, st, yr in (("hague", h[2], 2016), ("sim", s[2], 2022)):
        for k in (1, 4, 10):
            power.append((f"{src}: cohort van {k}, effect -20%", pl.Scenario(
                src, pl.RollOut((k,), (st,)), yr, effect=0.8, n_draws=power_draws, treated_only=True)))
    return null + power


def _panel(source: str, seed: int) -> tuple[pd.DataFrame, list[str]]:
    if source == "hague":
        return pl.hague_panel(), list(pl.HAGUE_PRIORITIES)
    return pl.simulate_city(37, start="2017-01", months=72, seed=seed), ["a", "b", "c", "d"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=50, help="placebo draws per null scenario")
    ap.add_argument("--power-draws", type=int, default=None, help="draws per power scenario (default --draws)")
    ap.add_argument("--single-draws", type=int, default=None,
                    help="draws per single-ward null scenario (default 5 x --draws)")
    ap.add_argument("--tag", default="final", help="result file suffix; 'final' writes verdicts.md")
    ap.add_argument("--only", default=None, help="run only scenarios whose name contains this text")
    ap.add_argument("--write-json", action="store_true", help="write wijklib/data/verdict_error_rates.json")
    ap.add_argument("--seed", type=int, default=20261203)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    rows, raw = [], []
    t_all = time.perf_counter()
    for name, sc in grid(args.draws, args.power_draws or args.draws, args.single_draws):
        if args.only and args.only not in name:
            continue
        # seeds from the scenario's name: adding a scenario to the grid does not change the others' draws
        key = zlib.crc32(name.encode()) % 1_000_000
        panel, outcomes = _panel(sc.source, args.seed + key)
        t0 = time.perf_counter()
        r = pl.run(panel, sc.rollout, year=sc.year, outcomes=outcomes, n_draws=sc.n_draws, seed=args.seed + key,
                   effect=sc.effect, treated_only=sc.treated_only)
        dt = time.perf_counter() - t0
        r["scenario"] = name
        raw.append(r)
        summ = pl.summarise(r)
        summ["scenario"], summ["effect"], summ["draws"], summ["seconds"] = name, sc.effect, sc.n_draws, dt
        rows.append(summ)
        print(f"{name}: {dt:.0f} s", file=sys.stderr, flush=True)
        # Written after every scenario, so an interrupted run keeps what it measured.
        RESULTS.mkdir(parents=True, exist_ok=True)
        partial = "verdicts" if args.tag == "final" else f"verdicts_{args.tag}"
        (RESULTS / f"{partial}.md").write_text(render(pd.concat(rows, ignore_index=True), args,
                                                      time.perf_counter() - t_all), encoding="utf-8")
    table = pd.concat(rows, ignore_index=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "verdicts" if args.tag == "final" else f"verdicts_{args.tag}"
    work = ROOT / "benchmarks" / "_work"  # raw verdict rows: scratch, not committed
    work.mkdir(parents=True, exist_ok=True)
    pd.concat(raw, ignore_index=True).drop(columns=["zin"]).to_csv(work / f"{stem}_rows.csv", index=False)
    md = render(table, args, time.perf_counter() - t_all)
    (RESULTS / f"{stem}.md").write_text(md, encoding="utf-8")
    if args.write_json:
        JSON_OUT.write_text(json.dumps(to_json(table, args), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                            encoding="utf-8")
    print(md)
    return 0



def render(table: pd.DataFrame, args: argparse.Namespace, seconds: float) -> str:
    def pct(x: float) -> str:
        return "" if pd.isna(x) else f"{100 * x:.1f}%"

    out = [f"<!-- bench_verdicts --tag {args.tag} --draws {args.draws}; commit {git_commit()}; "
           f"{platform.python_version()}; {seconds:.0f} s -->", "",
           "# The monitor's verdicts under the null and with a planted effect (issue 10)", "",
           f"Command: `PYTHONPATH=. .venv/bin/python -m benchmarks.bench_verdicts --draws {args.draws}"
           + (f" --power-draws {args.power_draws}" if args.power_draws else "")
           + (f" --single-draws {args.single_draws}" if args.single_draws else "")
           + (f" --only '{args.only}'" if args.only else "")
           + (f" --tag {args.tag}" if args.tag != "final" else " --write-json") + "`", "",
           "Four 'omlaag' priorities per ward (hague: total crime, burglary, vandalism, bicycle theft; sim: four "
           "outcomes), the full `evaluate_ward` with `config/monitor.yaml`. Goals: 'op koers' and 'ongunstige "
           "ontwikkeling' each at most 2.5% of the treated wards' verdicts (upper 95% bound at most 3.5%), at most "
           "5% of wards with a false 'op koers', no effect word for an untreated ward.", "",
           *summary(table), "",
           "Shares are per priority verdict with a Wilson interval over verdicts. The verdicts of one draw are "
           "not independent (the wards of a cohort share one estimate, a ward's four priorities share its "
           "noise), so these intervals are too narrow for the cohort scenarios; the number of draws is in the "
           "command. 'dekking' = the effect interval covers the true rate ratio (1 under the null, 0.8 with the "
           "planted effect). With a planted effect 'op koers' is the power and 'onzeker' mostly the pre-trend "
           "rule (`verdict.pretrend_alpha` 0.10) firing at its null rate.", "", "## All measures", ""]
    keep = ["oordeel: op koers", "oordeel: ongunstige ontwikkeling", "wijken met een 'op koers'",
            "wijken met een 'ongunstige ontwikkeling'", "dekking interval", "interval sluit 1 uit"]
    dev = [m for m in table["maat"].unique() if m.startswith("oordeel: ") and m[9:] not in
           ("op koers", "ongunstige ontwikkeling", "geen aantoonbare verandering", "onvoldoende gegevens")]
    out += ["| scenario | groep | maat | n | aandeel | 95%-interval |", "|---|---|---|---:|---:|---|"]
    for r in table.itertuples():
        if r.maat not in keep and r.maat not in dev and not r.maat.endswith("onvoldoende gegevens"):
            continue
        out.append(f"| {r.scenario} | {r.groep} | {r.maat} | {r.n} | {pct(r.aandeel)} | "
                   f"{pct(r.ci_low)} – {pct(r.ci_high)} |")
    return "\n".join(out) + "\n"


def summary(table: pd.DataFrame) -> list[str]:
    """One line per scenario: the measures the goals are about, as 'share (upper 95% bound)'."""
    def cell(g: pd.DataFrame, maat: str) -> str:
        r = g.loc[g["maat"] == maat]
        if r.empty or pd.isna(r["aandeel"].iloc[0]):
            return ""
        return f"{100 * r['aandeel'].iloc[0]:.1f}% (≤ {100 * r['ci_high'].iloc[0]:.1f}%)"

    lines = ["| scenario | n | op koers | ongunstig | onzeker | wijken met 'op koers' | dekking | "
             "onbehandeld: effectwoord |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for scen, g in table.groupby("scenario", sort=False):
        t, u = g.loc[g["groep"] == "behandeld"], g.loc[g["groep"] == "onbehandeld"]
        n = t.loc[t["maat"] == "oordeel: op koers", "n"]
        eff = ""
        if not u.empty:
            m = u.loc[u["maat"].isin(["oordeel: op koers", "oordeel: ongunstige ontwikkeling", "oordeel: onzeker"])]
            eff = f"{100 * m['aandeel'].sum():.1f}% (n={int(m['n'].iloc[0])})"
        lines.append(f"| {scen} | {int(n.iloc[0]) if len(n) else ''} | {cell(t, 'oordeel: op koers')} | "
                     f"{cell(t, 'oordeel: ongunstige ontwikkeling')} | {cell(t, 'oordeel: onzeker')} | "
                     f"{cell(t, chr(39).join(['wijken met een ', 'op koers', '']))} | {cell(t, 'dekking interval')} | {eff} |")
    return lines


def to_json(table: pd.DataFrame, args: argparse.Namespace) -> dict:
    recs = []
    for r in table.itertuples():
        recs.append({"scenario": r.scenario, "groep": r.groep, "maat": r.maat, "n": int(r.n),
                     "aandeel": None if pd.isna(r.aandeel) else round(float(r.aandeel), 4),
                     "ci_low": None if pd.isna(r.ci_low) else round(float(r.ci_low), 4),
                     "ci_high": None if pd.isna(r.ci_high) else round(float(r.ci_high), 4),
                     "effect": None if pd.isna(r.effect) else float(r.effect), "draws": int(r.draws)})
    power = f" --power-draws {args.power_draws}" if args.power_draws else ""
    power += f" --single-draws {args.single_draws}" if args.single_draws else ""
    return {"command": f"python -m benchmarks.bench_verdicts --draws {args.draws}{power} --write-json",
            "commit": git_commit(), "null_scenario": "hague: 3 cohorten van 4, willekeurig",
            "power_scenario": "hague: cohort van {k}, effect -20%", "rows": recs}


if __name__ == "__main__":
    raise SystemExit(main())
