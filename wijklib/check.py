"""``wijklib check``: data intake before analysis.

Loads every source of a run config and states, per source: the files read, rows, the period the
data cover against the declared delivery period, units matched (by code / by point / by name / not),
rows skipped or left out with their reasons, coverage gaps, reporting breaks (platform migrations),
notes from the reader; then the verdict whether a batch can run. The same as text (console) and as
an HTML page in which every data-derived string is escaped.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "iv.csv").write_text("Wijkraad;Startdatum;Uren per week\\ntarwewijk;01-03-2021;24,5\\n")
>>> _ = (d / "run.yaml").write_text("sources:\\n  interventie: {files: iv.csv}\\n")
>>> res = check(d / "run.yaml", html=None)
>>> res.ok, res.sources["interventie"].rows
(True, 1)
"""

from __future__ import annotations

import argparse
import html as _html
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wijklib import sources as _sources

#: A source whose rows could not be placed in a unit beyond this share blocks the batch.
MAX_UNPLACED_SHARE = 0.2


@dataclass
class CheckResult:
    """Outcome of :func:`check`: per source its :class:`~wijklib.sources.SourceReport`, problems, verdict."""

    config: str
    sources: dict[str, _sources.SourceReport]
    blockers: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    breaks: pd.DataFrame | None = None
    html_path: Path | None = None

    @property
    def ok(self) -> bool:
        """Can a batch run (no source is unusable)?"""
        return not any(self.blockers.values())

    def text(self) -> str:
        """The summary as plain text (what the CLI prints)."""
        lines = [f"wijklib check: {self.config}", ""]
        for name, rep in self.sources.items():
            lines += [f"[{name}] layout {', '.join(rep.layouts)}"]
            for line in _source_lines(rep, self.breaks):
                lines.append(f"  {line}")
            for b in self.blockers.get(name, []):
                lines.append(f"  BLOCKING: {b}")
            for w in self.warnings.get(name, []):
                lines.append(f"  warning: {w}")
            lines.append("")
        lines.append(_verdict(self))
        return "\n".join(lines)

    def html(self) -> str:
        """The summary as a standalone HTML page (every data-derived string escaped)."""
        e = _html.escape
        parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
                 f"<title>wijklib check: {e(self.config)}</title>",
                 "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
                 ".blocking{color:#a00;font-weight:bold}.warning{color:#a60}.ok{color:#070}"
                 "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style>",
                 f"</head><body><h1>wijklib check</h1><p>Config: <code>{e(self.config)}</code></p>"]
        verdict = _verdict(self)
        parts.append(f"<p class='{'ok' if self.ok else 'blocking'}'>{e(verdict)}</p>")
        for name, rep in self.sources.items():
            parts.append(f"<h2>{e(name)} <small>(layout {e(', '.join(rep.layouts))})</small></h2><ul>")
            for line in _source_lines(rep, self.breaks):
                parts.append(f"<li>{e(line)}</li>")
            for b in self.blockers.get(name, []):
                parts.append(f"<li class='blocking'>BLOCKING: {e(b)}</li>")
            for w in self.warnings.get(name, []):
                parts.append(f"<li class='warning'>warning: {e(w)}</li>")
            parts.append("</ul>")
            if rep.skipped:
                parts.append("<table><tr><th>file</th><th>row</th><th>column</th><th>value</th><th>reason</th></tr>")
                for s in rep.skipped[:50]:
                    parts.append("<tr>" + "".join(f"<td>{e(str(s.get(k, '')))}</td>"
                                                  for k in ("file", "row", "column", "value", "reason")) + "</tr>")
                parts.append("</table>")
        parts.append("</body></html>")
        return "\n".join(parts)


def _verdict(res: CheckResult) -> str:
    if res.ok:
        n_warn = sum(len(v) for v in res.warnings.values())
        return ("Verdict: a batch can run" + (f" ({n_warn} warning(s) above)." if n_warn else "."))
    bad = [k for k, v in res.blockers.items() if v]
    return f"Verdict: a batch cannot run: {', '.join(bad)} unusable (see BLOCKING above)."


def _source_lines(rep: _sources.SourceReport, breaks: pd.DataFrame | None) -> list[str]:
    if rep.error:
        return [f"could not be loaded: {rep.error}"]
    out = []
    files = ", ".join(f"{f['file']} ({f['rows']} rows)" for f in rep.files)
    out.append(f"files read: {files or '(none)'}")
    out.append(f"rows loaded: {rep.rows}")
    cov = rep.coverage
    if cov.get("declared"):
        declared = f"declared delivery {cov['start']} to {cov['end']}"
    elif "a register (no delivery period applies)" in rep.notes:
        declared = "a register (no delivery period applies)"
    else:
        declared = "no declared delivery period (the panel infers coverage from the data)"
    if rep.data_start:
        out.append(f"period covered by the data: {rep.data_start} to {rep.data_end}; {declared}")
    else:
        out.append(declared)
    if rep.units:
        u = rep.units
        out.append(f"units matched: by code {u.get('by code', 0)}, by point {u.get('by point', 0)}, "
                   f"by name {u.get('by name', 0)}, not {u.get('not', 0)}")
    if rep.skipped:
        reasons = pd.Series([str(s.get("reason", "")).split(";")[0] for s in rep.skipped]).value_counts()
        rows = len({(s.get("file"), s.get("row")) for s in rep.skipped})
        out.append(f"rows skipped: {rows} (" + "; ".join(f"{c} x {r}" for r, c in reasons.head(5).items()) + ")")
    else:
        out.append("rows skipped: 0")
    for k, v in rep.excluded.items():
        out.append(f"left out by design: {v} {k}")
    for g in cov.get("gaps", []) or []:
        out.append(f"declared gap: {g['start']} to {g['end']}" + (f" ({g['reason']})" if g.get("reason") else ""))
    if rep.empty_months:
        out.append(f"months inside the declared period without any row (counted as true zeros): "
                   f"{', '.join(rep.empty_months[:12])}" + (" ..." if len(rep.empty_months) > 12 else ""))
    if rep.outside_period:
        out.append(f"rows dated outside the declared period (not used in the panel): {rep.outside_period}")
    if breaks is not None and len(breaks) and rep.source in set(breaks["source"]):
        b = breaks[breaks["source"] == rep.source]
        out.append(f"reporting breaks (platform migration): {len(b)} ward x outcome breaks in "
                   f"{b['unit'].nunique()} wards, {b['period'].min():%Y-%m} to {b['period'].max():%Y-%m}")
    for n in rep.notes:
        if n != "a register (no delivery period applies)":
            out.append(f"note: {n}")
    return out


def _assess(rep: _sources.SourceReport) -> tuple[list[str], list[str]]:
    block, warn = [], []
    if rep.error:
        block.append("the source could not be loaded (fix the file or the config, see above)")
        return block, warn
    if rep.rows == 0:
        block.append("no rows loaded")
    if rep.units:
        total = sum(rep.units.values())
        if total and rep.units.get("not", 0) / total > MAX_UNPLACED_SHARE:
            block.append(f"{rep.units['not']} of {total} rows could not be placed in a buurt "
                         f"(more than {MAX_UNPLACED_SHARE:.0%}); check the coordinates or add a value map for the area names")
    if not rep.coverage.get("declared") and rep.data_start and "a register (no delivery period applies)" not in rep.notes:
        warn.append("declare period: {start, end} (and gaps) so that an undelivered month is missing, not zero")
    if rep.empty_months:
        warn.append(f"{len(rep.empty_months)} month(s) inside the declared period have no rows: "
                    "declare them as gaps if they were not delivered")
    if rep.outside_period:
        warn.append(f"{rep.outside_period} rows lie outside the declared period")
    if rep.skipped:
        warn.append(f"{len({(s.get('file'), s.get('row')) for s in rep.skipped})} rows skipped (lenient)")
    return block, warn


def check(
    config: str | Path | Mapping[str, Any],
    *,
    html: str | Path | None = "default",
    sources: Sequence[str] | None = None,
    data_root: str | Path | None = None,
    geography: Any = None,
) -> CheckResult:
    """Load every configured source and judge whether a batch can run.

    Parameters
    ----------
    config
        Run config (YAML path or mapping); see :mod:`wijklib.sources`.
    html
        Where to write the HTML page: a path, ``"default"`` (``reports/check/<config name>.html``),
        or None for none.
    sources, data_root
        As in :func:`wijklib.sources.load`.
    geography
        The city whose buurten reports are placed in (a :class:`wijklib.geo.Geography` or anything
        :func:`wijklib.geo.load` reads); default the config's ``geografie:``, else the active one.

    Returns
    -------
    CheckResult
        ``.ok`` (the verdict), ``.text()``, ``.html()``, ``.sources`` (per source report),
        ``.blockers``/``.warnings`` per source, ``.breaks`` (platform-migration breaks per ward).

    Examples
    --------
    >>> res = check({"sources": {"interventie": {"files": "/nonexistent/iv.csv"}}}, html=None)
    >>> res.ok, "does not exist" in res.sources["interventie"].error
    (False, True)
    """
    from wijklib import geo

    name = str(config) if isinstance(config, (str, Path)) else "<config>"
    try:
        if isinstance(config, _sources.RunConfig):
            cfg, name = config, config.name
        elif isinstance(config, (str, Path)) and _is_report_config(Path(config)):
            # A report run config: its sources and its city's geography, as the batch reads them.
            from wijklib.report import evaluations
            from wijklib.report.settings import load_config

            rc = load_config(config)
            cfg = rc.sources
            if cfg is None:
                raise _sources.ConfigError(f"{config}: no sources configured")
            if geography is None and rc.geografie is not None:
                geography = evaluations.geo_of(rc)
        else:
            cfg = _sources.parse(config, data_root=data_root)
            raw_geo = cfg.raw.get("geografie") if geography is None else None
            if raw_geo is not None:
                base = cfg.path.parent if cfg.path is not None else Path.cwd()
                geography = geo.load({"map": raw_geo} if isinstance(raw_geo, str) else raw_geo, base_dir=base)
    except (_sources.ConfigError, ValueError) as exc:
        res = CheckResult(config=name, sources={}, blockers={"config": [str(exc)]})
        _write_html(res, html, config)
        return res
    with warnings.catch_warnings(), geo.using(geography):
        warnings.simplefilter("ignore", UserWarning)  # the report states the same, per source
        tables = _sources.load(cfg, sources=sources, errors="collect")
    res = CheckResult(config=name, sources=dict(tables.reports))
    for src, rep in tables.reports.items():
        b, w = _assess(rep)
        res.blockers[src], res.warnings[src] = b, w
    if tables.platforms:
        from wijklib import panel

        try:
            with geo.using(geography):
                res.breaks = panel.platform_breaks(tables)
        except (ValueError, KeyError) as exc:
            for src in tables.platforms:
                res.blockers.setdefault(src, []).append(f"platform calendar: {exc}")
    _write_html(res, html, config)
    return res


def _is_report_config(path: Path) -> bool:
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(raw, Mapping) and ("gegevens" in raw or {"notebook", "eenheid"} <= set(raw))


def _write_html(res: CheckResult, html: str | Path | None, config: Any) -> None:
    if html is None:
        return
    if html == "default":
        from wijklib.config import REPORTS_DIR

        stem = Path(str(config)).stem if isinstance(config, (str, Path)) else "config"
        html = REPORTS_DIR / "check" / f"{stem}.html"
    path = Path(html)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(res.html(), encoding="utf-8")
    res.html_path = path


def main(argv: Sequence[str] | None = None) -> int:
    """``wijklib check --config <yaml> [--html PATH] [--sources a,b]``; exit status 0 (batch can run) or 1.

    Examples
    --------
    >>> main(["--config", "/nonexistent.yaml", "--html", ""])
    1
    """
    ap = argparse.ArgumentParser(prog="wijklib check", description="Check every configured source before a batch.")
    ap.add_argument("--config", required=True, help="run config (YAML) with a sources: section")
    ap.add_argument("--html", default="default", help="HTML page to write (default reports/check/<config>.html; '' = none)")
    ap.add_argument("--sources", default=None, help="comma-separated subset of the configured sources")
    ap.add_argument("--data-root", default=None, help="override the config's data_root")
    args = ap.parse_args(list(argv) if argv is not None else None)
    res = check(args.config, html=args.html or None,
                sources=args.sources.split(",") if args.sources else None, data_root=args.data_root)
    if not res.sources and res.blockers.get("config"):
        print(f"wijklib check: {res.blockers['config'][0]}", file=sys.stderr)
        return 1
    print(res.text())
    if res.html_path is not None:
        print(f"HTML: {res.html_path}")
    return 0 if res.ok else 1
