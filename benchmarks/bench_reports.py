"""Benchmark: the ward-report batch against its floor, and the placebo share on real police data.

Floor (what any papermill + PDF batch costs at least): papermill on an EMPTY notebook (fresh kernel,
through the Python API) plus WeasyPrint on a one-page document, per ward, times wards / cores.
Measured: ``wijklib.report.run`` for every wijkraad of the demo city (PDF + HTML, ``--jobs`` = cores),
split into the shared preparation (the monitor evaluating the city once; cached on disk between runs)
and the rendering of the notebooks. Target from the brief: rendering within 1.5x the floor.

The result file also gets a per-stage CPU profile of a few wards (``--profile-wards``) and the notes in
``NOTES`` (what was changed to make the batch faster, measured).

Placebo (``--placebo``): on The Hague police data (2011–2017, no known intervention) the share of
wijk x crime-type ITS level changes that are 'significant' at 5% at a fictitious start, for several
start dates and inference variants, and the share for the one-wijk-against-the-rest DiD.

Usage::

    .venv/bin/python -m benchmarks.bench_reports                # batch timing -> results/reports.md
    .venv/bin/python -m benchmarks.bench_reports --placebo      # also the placebo study
    .venv/bin/python -m benchmarks.bench_reports --wards tarwewijk,bloemhof --no-write
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))

#: Hand-written analysis printed under the measured tables (numbers measured on 2026-11-29, see each line).
NOTES = """\
## What was changed to speed the batch up, and what is left (measured 2026-11-29)

Profile of one ward before the changes (commit 948a24a; cProfile of the notebook's code in an in-process
IPython shell and of `html_to_pdf` on the ward's HTML; CPU seconds per ward from `/proc` of the kernel
and the worker for tarwewijk, bloemhof, carnisse, three runs): kernel + papermill 2.5-2.8 s, nbconvert
0.1 s, WeasyPrint 2.2-2.3 s. Inside the kernel ~75% of the time (profiled) was matplotlib's
`print_figure` of the 7 SVG charts; inside WeasyPrint the same HTML without its 7 charts took
1.1-1.4 s instead of 2.2-2.7 s (so ~1.2 s was drawing the charts' SVG: 3,475 SVG nodes, each with a
`style="..."` attribute that WeasyPrint parses with a CSS tokenizer) and ~1.1 s was text layout of
10-12 pages (line breaking with `hyphens: auto`, auto table layout).

Changes (all output-preserving; `tests/test_report_svg.py` checks the slimmed chart prints the same
pixels):

1. `wijklib.plots.show` saves each constrained-layout figure itself, without `bbox_inches="tight"` (maps
   with a fixed aspect keep it, it trims their empty bands)
   (the tight box cost an extra `get_tightbbox` pass over every artist; constrained layout already
   fits the artists into the figure). The SVG is also deterministic now (no date, `svg.hashsalt`).
   Charts are 453.6 pt wide instead of ~462 pt (the tight box added 0.1 in padding), so they now fit
   the 16.6 cm text block at their real size instead of being scaled down by ~2%.
2. `wijklib.report.svg.slim_svg` (applied when the HTML embeds a chart): unwraps matplotlib's id-only
   `<g>` groups and turns `style` into presentation attributes (3,475 -> ~1,540 nodes for Tarwewijk);
   WeasyPrint's chart drawing went from ~2.8 s to ~1.5 s under cProfile.
3. The reused kernel preloads the report modules and `gc.freeze()`s them after `%reset`, so the full
   collection `%reset` does on every ward (0.16-0.26 s) only walks the ward's own objects.

Measured on the whole batch (`--wards all --jobs 2`, warm report cache, both runs ~12:10-12:15 UTC,
load average ~2): before 122.2 s rendering (floor measured 14.0 s: 8.7x), after 87.0 s (floor 19.5 s:
4.5x); the floor itself moves by +-30% between runs, the rendering time is the better comparison
(-29%).

Both cores are busy: a worker alternates between its kernel (executing) and itself (HTML, PDF), so two
workers keep two processes running; 40 reports x ~4.5 CPU s / 2 cores ~ 90 s is what the batch takes.
The parent only collects results and rewrites the manifest.

Why the 1.5x target is not met: the floor is a kernel start plus a one-page PDF (~0.7-0.9 s per report);
a ward report is 10-12 A4 pages with 7-9 vector charts. What remains per ward (CPU): matplotlib ~1.4 s
(constrained layout of grids of 3-6 small panels: text extents of every tick label; the pre-draw that
matplotlib always does for a layout engine), WeasyPrint text layout ~1.0 s and chart drawing ~0.8 s
(228 SVG text elements ~0.4 s, 833 paths incl. 497 `<use>` markers/ticks ~0.4 s), report code ~0.3 s.
Reaching 1.5x would need ~1.4 s per report in total, i.e. cutting charts or pages (content), or raster
charts (PNG makes WeasyPrint's chart cost ~0 but the charts stop being vector): not done.
Tried and not worth it: font/`FontConfiguration` (already one per worker; fonts are not in the
profile's top), preparsing the stylesheet (~10 ms), more workers than cores (cores are already busy).

## Second session (2026-11-29, afternoon): what moved and why

- Runs in the afternoon of 2026-11-29 rendered the batch in 98.9 s, 103.4 s and 107.9 s (5.2-6.4x the
  floor), against 86.9 s (4.5x) in the morning. Part of that is the machine: the WeasyPrint stage, whose
  code did not change, took 2.49 CPU s per ward against 1.81 s in the morning. Part is new work (next point).
- New work per ward: the report's event study now uses placebo inference (`wijklib.did.event_study_single`;
  clustered SEs with one treated ward are invalid, see the placebo table below). That is 14 extra small
  fits, about 0.5-0.8 CPU s the first time a kernel meets a cohort; the other wards of that cohort reuse them.
  Correct intervals were judged worth this.
- Where the floor target stands: `results/pdf_engines.md` (`python -m benchmarks.bench_pdf_engines`) shows
  that WeasyPrint needs about 1.1 CPU s for a ward's text and tables alone, with no charts and no hyphenation
  change. The floor leaves about 1.4 CPU s per report for everything. Typst (peer venv) sets the same words,
  tables and charts in 0.12-0.15 s. With WeasyPrint, 1.5x is out of reach unless the PDF gets much shorter.
  Typst would bring a ward to about 2.5-3x the floor. Reaching 1.5x would also need the notebook's code and
  charts, now about 1.5-2.0 CPU s, to drop to about 0.8 s.
- Tried and dropped: running constrained layout once and saving with the layout frozen (no gain: 4.2-4.9 s
  against 4.2-4.5 s for the 21 charts of three wards), PNG charts (matplotlib Agg was slower than SVG: 5.0-6.6 s vs 3.7-4.5 s for the same 21
  charts),
  `svg.fonttype = path` (for Bloemhof's 7 charts: matplotlib 1.4-1.6 s and WeasyPrint 1.6-2.0 s, against 1.1 s
  and 0.6 s with `none`).
"""


def floor_per_ward(repeats: int = 3) -> tuple[float, float]:
    """Median seconds of (papermill on an empty notebook, converting it: nbconvert HTML + WeasyPrint PDF)."""
    import nbformat
    import papermill as pm

    from wijklib.report import runner
    from wijklib.report.pdf import html_to_pdf

    kernel = runner.ensure_kernel()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("pass")]
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    page = "<html lang='nl'><body><h1>Wijk</h1><p>Eén pagina tekst.</p></body></html>"
    html_to_pdf(page, Path(tempfile.mkdtemp()) / "warm.pdf")  # import + font set-up not counted per ward
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic")
    t_pm, t_pdf = [], []
    with tempfile.TemporaryDirectory() as d:
        for _ in range(repeats):
            t = time.perf_counter()
            done = pm.execute_notebook(nb, None, kernel_name=kernel, progress_bar=False)
            t_pm.append(time.perf_counter() - t)
            t = time.perf_counter()  # converting: notebook -> HTML -> one-page PDF
            body, _ = exporter.from_notebook_node(done)
            html_to_pdf(page.replace("</body>", body + "</body>"), Path(d) / "p.pdf")
            t_pdf.append(time.perf_counter() - t)
    return statistics.median(t_pm), statistics.median(t_pdf)


def batch(wards: str, jobs: int, out: str | None = None) -> dict[str, float]:
    """Time the shared preparation and the rendering of the demo batch separately."""
    from wijklib.report import content, runner
    from wijklib.report.settings import load_config

    cfg = load_config("config/demo.yaml")
    t = time.perf_counter()
    units = runner.resolve_wards(cfg, 2025, wards)
    content.prepare(cfg, 2025, None if wards == "all" else [u for u, _ in units])
    t_prep = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        s = runner.run("config/demo.yaml", 2025, wards, jobs=jobs, out=out or tmp, progress=False)
    if s.exit_code:
        print(s.text(), file=sys.stderr)
    durations = [r.duration_s for r in s.results]
    return {"prepare_s": t_prep, "render_s": s.wall_s, "n_reports": len(s.results),
            "n_failed": len(s.failed), "median_report_s": statistics.median(durations)}


def _kernel_cpu_s() -> float:
    """CPU seconds (user + system) the worker's kernel process has used so far (Linux /proc)."""
    from wijklib.report import runner

    try:
        pid = runner._Worker.km.provisioner.pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, ValueError):
        return float("nan")


def _stage_profile_in_worker(cfg_path: str, wards: list[str], out: str) -> dict[str, float]:
    """Runs inside a batch worker: CPU seconds per stage of ``run_job``, averaged over ``wards``.

    The first ward only warms the kernel up (start, imports) and is not counted, as in the batch.
    """
    import papermill as pm

    from wijklib.report import content, runner
    from wijklib.report.settings import load_config

    cfg = load_config(cfg_path)
    units = [content.resolve_unit(cfg, 2025, w) for w in wards]
    jobs = runner.build_jobs(cfg, 2025, units, Path(out), ("pdf", "html"), False)
    cpu: dict[str, float] = {"kernel": 0.0, "papermill": 0.0, "html": 0.0, "pdf": 0.0}
    real_execute, real_pdf = pm.execute_notebook, runner.html_to_pdf

    def execute(*a, **k):  # noqa: ANN002, ANN003, ANN202 - a pass-through timer
        t, kt = time.process_time(), _kernel_cpu_s()
        try:
            return real_execute(*a, **k)
        finally:
            cpu["papermill"] += time.process_time() - t
            cpu["kernel"] += _kernel_cpu_s() - kt

    def to_pdf(*a, **k):  # noqa: ANN002, ANN003, ANN202
        t = time.process_time()
        try:
            return real_pdf(*a, **k)
        finally:
            cpu["pdf"] += time.process_time() - t

    pm.execute_notebook, runner.html_to_pdf = execute, to_pdf
    exporter = runner._exporter()
    real_export = exporter.from_notebook_node

    def export(*a, **k):  # noqa: ANN002, ANN003, ANN202
        t = time.process_time()
        try:
            return real_export(*a, **k)
        finally:
            cpu["html"] += time.process_time() - t

    exporter.from_notebook_node = export
    try:
        runner.run_job(jobs[0])  # warm-up
        for key in cpu:
            cpu[key] = 0.0
        t = time.perf_counter()
        for job in jobs[1:]:
            r = runner.run_job(job)
            if r.status != "ok":
                raise RuntimeError(f"{job.unit_id}: {r.reason}")
        wall = (time.perf_counter() - t) / (len(jobs) - 1)
    finally:
        pm.execute_notebook, runner.html_to_pdf = real_execute, real_pdf
        exporter.from_notebook_node = real_export
        runner._shutdown_kernel()
    return {**{k: v / (len(jobs) - 1) for k, v in cpu.items()}, "wall": wall}


def stage_profile(wards: list[str]) -> dict[str, float]:
    """CPU seconds per ward of each stage (kernel + worker for 'execute'), one worker, warm kernel.

    ``wards[0]`` warms the kernel up; the others are averaged. Uses the warm monitor cache.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from wijklib.report import content, runner
    from wijklib.report.settings import load_config

    cfg = load_config("config/demo.yaml")
    env = content.prepare(cfg, 2025, [content.resolve_unit(cfg, 2025, w)[0] for w in wards])
    runner.ensure_kernel()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "logs").mkdir()
            ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
            with ProcessPoolExecutor(1, mp_context=ctx, initializer=runner._init_worker,
                                     initargs=(str(Path(tmp) / "logs"),)) as pool:
                return pool.submit(_stage_profile_in_worker, "config/demo.yaml", wards, tmp).result()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def placebo_study() -> list[tuple[str, str, int, int, float]]:
    """Rows (variant, start, n_tests, n_significant, share) on The Hague police data."""
    import numpy as np
    import pandas as pd

    from wijklib import its
    from wijklib.config import REFERENCE_DATA_DIR
    from wijklib.report import police

    d = REFERENCE_DATA_DIR / "thehague_crime"
    df = police.crime(d, "518")
    city = df.groupby(["misdrijf_code", "maand"], as_index=False)["aantal"].sum().rename(columns={"aantal": "stad"})
    x = df.merge(city, on=["misdrijf_code", "maand"])
    x["rest"] = x["stad"] - x["aantal"]
    x = x[x["rest"] > 0].assign(serie=lambda z: z["wijk_code"] + "|" + z["misdrijf_code"])
    rows = []
    variants = {
        "ITS quasi-Poisson, Newey-West + t (report default)": {},
        "ITS quasi-Poisson, model-based SE": {"cov_type": "nonrobust"},
        "ITS quasi-Poisson, offset = rest of the city, Newey-West": {"offset": "rest", "seasonality": 0},
        "ITS quasi-Poisson, offset = rest of the city, model-based SE": {"offset": "rest", "seasonality": 0,
                                                                        "cov_type": "nonrobust"},
    }
    for start in ("2013-01", "2015-01", "2016-01"):
        for name, kw in variants.items():
            try:
                r = its.fit_many(x, by="serie", yname="aantal", tname="maand", start=pd.Timestamp(start),
                                 family="quasipoisson", **{"seasonality": 2, **kw})
            except Exception as exc:  # noqa: BLE001 - recorded in the table, not hidden
                rows.append((name, start, 0, 0, float("nan"), f"{type(exc).__name__}: {exc}"))
                continue
            p = r.loc[r["term"] == "level_change", "p_value"].dropna().to_numpy()
            rows.append((name, start, int(p.size), int((p < 0.05).sum()), float((p < 0.05).mean()), ""))
        dt = police.did_placebo_tests(d, "518", start)
        p = dt["p_value"].dropna().to_numpy()
        rows.append(("DiD event study, 1 wijk vs 36, CR1 clustered by wijk", start, int(p.size),
                     int((p < 0.05).sum()), float((p < 0.05).mean()), ""))
        pp = dt["p_perm"].to_numpy()
        rows.append(("DiD event study, randomisation inference over wijken", start, int(pp.size),
                     int((pp < 0.05).sum()), float(np.mean(pp < 0.05)), ""))
        ps = police.did_placebo_se_tests(d, "518", start)["p_value"].dropna().to_numpy()
        rows.append(("DiD event study, placebo SEs over wijken (did.event_study_single, as in the ward reports)",
                     start, int(ps.size), int((ps < 0.05).sum()), float(np.mean(ps < 0.05)), ""))
    return rows


PLACEBO_HEADING = "# Placebo share on real police data"


def kept_placebo_section(path: Path) -> list[str]:
    """The placebo section of an earlier result file (a run without ``--placebo`` keeps it), or none.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "r.md"
    >>> _ = p.write_text("# Report batch\\nx\\n\\n# Placebo share on real police data (X)\\n\\n| a |\\n")
    >>> kept_placebo_section(p)[1:3]
    ['# Placebo share on real police data (X)', '']
    """
    if not path.is_file():
        return []
    old = path.read_text(encoding="utf-8")
    start = old.find(PLACEBO_HEADING)
    if start < 0:
        return []
    section = old[start:].rstrip().splitlines()
    note = "(Kept from the last run with `--placebo`; this run did not repeat the placebo study.)"
    return ["", section[0], "", note] + [ln for ln in section[1:] if ln != note]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wards", default="all")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--placebo", action="store_true")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--out", default=None, help="keep the reports here (default: a temporary folder)")
    ap.add_argument("--profile-wards", default="tarwewijk,bloemhof,carnisse,charlois-zuidrand",
                    help="wards of the per-stage CPU profile (the first only warms up); '' to skip")
    args = ap.parse_args(argv)

    pm_s, pdf_s = floor_per_ward()
    b = batch(args.wards, args.jobs, args.out)
    prof_wards = [w for w in args.profile_wards.split(",") if w.strip()]
    prof = stage_profile(prof_wards) if len(prof_wards) > 1 else None
    n = b["n_reports"]
    floor = (pm_s + pdf_s) * n / args.jobs
    load = os.getloadavg()
    lines = [
        "# Report batch: wall time against the floor",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (shared machine: times are noisy).",
        f"Command: `python -m benchmarks.bench_reports --wards {args.wards} --jobs {args.jobs}`.",
        "",
        "| quantity | seconds |",
        "|---|---|",
        f"| papermill, empty notebook, fresh kernel (median of 3) | {pm_s:.2f} |",
        f"| converting it to a one-page document: nbconvert HTML + WeasyPrint PDF (median of 3) | {pdf_s:.2f} |",
        f"| **floor** = ({pm_s:.2f} + {pdf_s:.2f}) x {n} reports / {args.jobs} cores | **{floor:.1f}** |",
        f"| shared preparation: monitor evaluates the city once (cached on disk; 0 when warm) | {b['prepare_s']:.1f} |",
        f"| **rendering** {n} reports (ward reports + city overview), PDF + HTML, {args.jobs} workers | **{b['render_s']:.1f}** |",
        f"| median per report (one worker) | {b['median_report_s']:.1f} |",
        f"| rendering / floor | {b['render_s'] / floor:.2f} |",
        "",
        f"Failed reports: {b['n_failed']}.",
        "",
        f"Target (rendering within 1.5x the floor): {'met' if b['render_s'] <= 1.5 * floor else 'NOT met'} "
        f"({b['render_s'] / floor:.1f}x).",
    ]
    if prof is not None:
        total = prof["kernel"] + prof["papermill"] + prof["html"] + prof["pdf"]
        lines += [
            "",
            f"Where a ward's time goes (CPU seconds per ward, one worker with a warm kernel, mean of "
            f"{', '.join(prof_wards[1:])}; `--profile-wards`):",
            "",
            "| stage | CPU s |",
            "|---|---|",
            f"| kernel: the notebook's code (report text, tables, fits, 7-9 matplotlib SVG charts) | "
            f"{prof['kernel']:.2f} |",
            f"| worker: papermill / nbclient around it (messages, outputs, writing the .ipynb not included) | "
            f"{prof['papermill']:.2f} |",
            f"| nbconvert HTML (incl. slimming the SVGs) | {prof['html']:.2f} |",
            f"| WeasyPrint A4 PDF (10-12 pages, the charts as vector SVG) | {prof['pdf']:.2f} |",
            f"| total CPU / wall time of one ward | {total:.2f} / {prof['wall']:.2f} |",
            "",
            f"The floor pays {pm_s + pdf_s:.2f} s per report (a kernel start and a trivial page). A real ward "
            f"needs ~{total:.1f} CPU s, so even with both cores fully busy and no overhead {n} reports take "
            f"at least ~{n * total / args.jobs:.0f} s = {n * total / args.jobs / floor:.1f}x the floor.",
        ]
    lines += [
        "",
        "The shared preparation (the monitor evaluating all 39 wards, ~1-10 min depending on load) is cached",
        "on disk per input fingerprint and is not part of 'rendering'.",
    ]
    lines += ["", NOTES.rstrip()]
    if args.placebo:
        rows = placebo_study()
        lines += ["", f"{PLACEBO_HEADING} (The Hague, 2011–2017)", "",
                  "No intervention is known; every 'significant' level change at a fictitious start is a false "
                  "alarm. With correctly sized tests the share is about 5%.", "",
                  "| method | placebo start | tests | significant at 5% | share |", "|---|---|---|---|---|"]
        for name, start, n_t, k, share, note in rows:
            lines.append(f"| {name} | {start} | {n_t} | {k} | {share:.1%} |" if not note else
                         f"| {name} | {start} | – | – | failed: {note[:80]} |")
        lines += ["", "Tests: wijk x crime type series (37 wijken x 11 types, minus series that are zero "
                  "throughout); 117 (overval) is zero in the source and December 2017 (unpublished, zero "
                  "everywhere) is left out. 'DiD ... CR1': one treated wijk against the 36 others, event study "
                  "(Sun-Abraham) on log(1 + monthly crimes), SEs clustered by wijk; 'randomisation inference': "
                  "the same estimates, p = share of wijken with an |effect| at least as large; 'placebo SEs': "
                  "`did.event_study_single`, the ward reports' method, SE = spread of the placebo effects of the "
                  "other 36 wijken, t(35) (`police.did_placebo_se_tests`). "
                  "`wijklib.report.police.placebo_share()` computes the first kind of row; the ward reports print "
                  "the monitor's own placebo statement (`wijklib.monitor.view.placebo_summary`)."]
    elif not args.no_write:
        lines += kept_placebo_section(RESULTS / "reports.md")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "reports.md").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
