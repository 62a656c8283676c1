"""Batch runner: one parameterised notebook per ward -> executed notebook, HTML and A4 PDF, plus a manifest.

Design (why it looks like this):

- papermill runs through its Python API in a small pool of worker processes
  (:class:`wijklib.report.backends.ProcessPool`, or a Dask cluster with ``--scheduler``); each
  worker keeps ONE Jupyter kernel alive and reuses it for the wards it gets. Starting a kernel
  and importing pandas/statsmodels/matplotlib costs ~2 s, more than most wards need to compute, so it is
  paid once per worker instead of once per ward. Every notebook starts with a hidden cell that clears the
  kernel's namespace, and a kernel that saw a failure is replaced, so wards cannot leak into each other.
- The parent knows which ward each worker holds: a worker that dies (SIGKILL, out of memory) fails only
  that ward, with the signal as reason, and is replaced; the other workers go on.
- HTML export (nbconvert, template ``wijkrapport``, no input, no prompts) and the PDF (WeasyPrint) run in
  the same worker process, right after execution.
- Every file is written atomically (temp file + ``os.replace``, normal permissions under the umask); the
  manifest is rewritten after every finished ward. A ward that does not finish leaves no output and no
  temp file, so after any interrupt the manifest and the disk agree (:func:`check_outputs`).
- Ctrl-C: no new wards start, running ones finish and are recorded; a second Ctrl-C stops those too.
- Each manifest row records what its report was computed from (:func:`job_key`) and the checksum of each
  file; a rerun keeps reports that are current (``--force`` rebuilds), so an interrupted batch resumes.
- A ward that fails is reported with a readable reason (the exception of the failing cell) and a log
  file; the others go on; the exit status is non-zero when any ward failed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import multiprocessing
import os
import re
import sys
import threading
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wijklib import config as wlconfig
from wijklib.report.pdf import (
    TMP_PREFIX,
    atomic_write_text,
    html_to_pdf,
    remove_stale_temp_files,
    temp_prefix,
)
from wijklib.report.settings import ReportConfig, load_config

#: Kernel the batch uses; installed into the running interpreter's prefix (the .venv) when missing.
KERNEL_NAME = "wijklib"
#: MIME type under which a notebook publishes its headline numbers for the manifest (invisible in HTML).
HEADLINE_MIME = "application/vnd.wijklib.headline+json"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STYLE_CSS = Path(__file__).resolve().parent / "style.css"
FORMATS = ("pdf", "html")

_RESET_SOURCE = (
    "# wijklib batch: start every ward in a clean namespace (the kernel is reused across wards)\n"
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import warnings as _w; _w.filterwarnings('ignore'); del _w\n"
    # Preload what every report imports (paid once per kernel, not per ward), then move everything
    # alive now (modules, caches; the previous ward's garbage was just collected by %reset) out of the
    # garbage collector's reach: each later collection, including %reset's, only walks the ward's own
    # objects (%reset's full collection alone took ~0.25 s per ward before).
    "import gc as _gc, wijklib.report.content, wijklib.report.evaluations, wijklib.plots\n"
    "_gc.freeze(); del _gc, wijklib"
)


@dataclass(frozen=True)
class Job:
    """One notebook to run: a ward report or the city overview."""

    kind: str  # "wijk" or "stad"
    unit_id: str
    unit_name: str
    notebook: str
    parameters: dict[str, Any]
    stem: str
    out_dir: str
    formats: tuple[str, ...]
    title: str
    demodata: bool


@dataclass
class JobResult:
    """Outcome of one job, as written to the manifest."""

    kind: str
    ward_id: str
    ward: str
    status: str
    duration_s: float
    reason: str = ""
    log: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    headline: dict[str, Any] = field(default_factory=dict)
    #: Fingerprint of what the report was computed from (see :func:`job_key`) and SHA-256 per output.
    input_key: str = ""
    checksums: dict[str, str] = field(default_factory=dict)
    #: True when a rerun kept this report because its outputs were current.
    reused: bool = False


@dataclass(frozen=True)
class RunSummary:
    """What a batch run did; ``exit_code`` is 0 only when every job succeeded."""

    year: int
    out_dir: Path
    results: tuple[JobResult, ...]
    wall_s: float

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if r.status != "ok"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def text(self) -> str:
        """Closing summary printed at the end of a run (Dutch, like the reports)."""
        ok = len(self.results) - len(self.failed)
        reused = sum(r.reused for r in self.results)
        lines = [f"{ok} van {len(self.results)} rapporten gereed in {self.wall_s:.1f} s -> {self.out_dir}"
                 + (f" ({reused} ongewijzigd overgenomen; --force maakt ze opnieuw)" if reused else "")]
        for r in self.failed:
            lines.append(f"  MISLUKT {r.ward} ({r.ward_id}): {r.reason}  [log: {r.log}]")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------- helpers
def slug(text: str) -> str:
    """File-name safe lowercase ascii slug.

    Examples
    --------
    >>> slug("'s-Gravenland / Prinsenland")
    's-gravenland-prinsenland'
    """
    norm = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", norm.lower()).strip("-") or "onbekend"


def output_stem(kind: str, year: int, unit_id: str) -> str:
    """File stem of a report, built from its parameters.

    Examples
    --------
    >>> output_stem("wijkrapport", 2025, "tarwewijk")
    'wijkrapport_2025_tarwewijk'
    """
    return f"{slug(kind).replace('-', '')}_{year}_{slug(unit_id)}"


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Make sure a kernelspec ``name`` exists that starts *this* interpreter (the .venv), install if not.

    The batch must not pick up a system-wide ``python3`` kernel from another environment.

    Examples
    --------
    >>> ensure_kernel()
    'wijklib'
    """
    from jupyter_client.kernelspec import KernelSpecManager

    ksm = KernelSpecManager()
    try:
        spec = ksm.get_kernel_spec(name)
        if Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return name
    except Exception:  # noqa: BLE001 - NoSuchKernel or a broken spec: (re)install below
        pass
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name="Python (wijklib)", prefix=sys.prefix)
    return name


def _parse_wards(wards: str | Sequence[str]) -> list[str] | None:
    if isinstance(wards, str):
        if wards.strip().lower() == "all":
            return None
        return [w.strip() for w in wards.split(",") if w.strip()]
    return [str(w) for w in wards]


def list_units(cfg: ReportConfig, year: int) -> list[tuple[str, str]]:
    """All report units of a run configuration as ``(id, name)`` pairs (e.g. the 39 wijkraden).

    Examples
    --------
    >>> from wijklib.report.settings import load_config
    >>> len(list_units(load_config("config/thehague.yaml"), 2017))  # doctest: +SKIP
    37
    """
    from wijklib.report import content

    return content.units(cfg, year)


def resolve_wards(cfg: ReportConfig, year: int, wards: str | Sequence[str]) -> list[tuple[str, str]]:
    """Turn ``all`` or a list of codes/names into ``(id, name)`` pairs; unknown names fail with options."""
    wanted = _parse_wards(wards)
    if wanted is None:
        return list_units(cfg, year)
    from wijklib.report import content

    return [content.resolve_unit(cfg, year, w) for w in wanted]


def build_jobs(
    cfg: ReportConfig, year: int, units: Iterable[tuple[str, str]], out_dir: Path,
    formats: Sequence[str], overview: bool,
) -> list[Job]:
    """The list of notebook runs of a batch (wards first, the city overview last)."""
    kind = cfg.notebook.stem
    jobs = []
    for unit_id, name in units:
        jobs.append(Job(
            kind="wijk", unit_id=unit_id, unit_name=name, notebook=str(cfg.notebook),
            parameters={"wijkraad" if cfg.eenheid == "wijkraad" else "wijk": unit_id, "jaar": year,
                        "config_path": str(cfg.path)},
            stem=output_stem(kind, year, unit_id), out_dir=str(out_dir), formats=tuple(formats),
            title=f"{cfg.titel} — {name} — {year}", demodata=cfg.demodata,
        ))
    if overview and cfg.overzicht_notebook is not None:
        jobs.append(Job(
            kind="stad", unit_id="stad", unit_name="Stadsoverzicht", notebook=str(cfg.overzicht_notebook),
            parameters={"jaar": year, "config_path": str(cfg.path)},
            stem=output_stem(cfg.overzicht_notebook.stem, year, "stad"), out_dir=str(out_dir),
            formats=tuple(formats), title=f"Stadsoverzicht — {cfg.naam} — {year}", demodata=cfg.demodata,
        ))
    return jobs


# ----------------------------------------------------------------------------------- worker process
class _WorkerState(threading.local):
    """Per-worker state: the reused kernel, the HTML exporter and the loaded notebooks.

    Thread-local: a process-pool worker has one thread, but a Dask worker may run several reports at once
    in its threads, and each of them needs its own kernel (the loaded notebooks are shared read-only).
    """

    notebooks: dict[str, Any] = {}

    def __init__(self) -> None:
        self.km: Any = None
        self.exporter: Any = None
        self.kernel_log: Any = None
        #: Environment the kernel was started with beyond the worker's own (``None``: inherited as is).
        self.kernel_env: dict[str, str] | None = None


_Worker = _WorkerState()


def svg_data_uri(svg: str) -> str:
    """An SVG document as a base64 ``data:`` URI (for ``<img src=...>``), slimmed for WeasyPrint.

    Examples
    --------
    >>> svg_data_uri("<svg/>")
    'data:image/svg+xml;base64,PHN2Zy8+'
    >>> import base64
    >>> base64.b64decode(svg_data_uri('<svg xmlns="http://www.w3.org/2000/svg"><g id="a"><path/></g></svg>')[26:])
    b'<svg xmlns="http://www.w3.org/2000/svg"><path /></svg>'
    """
    import base64

    from wijklib.report.svg import slim_svg

    text = slim_svg(svg if isinstance(svg, str) else "".join(svg))  # same drawing, ~2x fewer SVG nodes
    return "data:image/svg+xml;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


def _init_worker(log_dir: str) -> None:
    # Workers ignore Ctrl-C: the parent decides what to cancel; a half-executed ward never gets written.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # silences a debugpy warning
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    _Worker.kernel_log = open(Path(log_dir) / f"kernel-{os.getpid()}.log", "a", encoding="utf-8")  # noqa: SIM115
    multiprocessing.util.Finalize(None, _shutdown_kernel, exitpriority=10)


def _stop_kernel(km: Any) -> None:
    """Shut the kernel of kernel manager ``km`` down now (nothing when ``km`` is None or already gone)."""
    if km is not None:
        from jupyter_core.utils import run_sync

        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - the kernel may already be gone
            pass


def _shutdown_kernel() -> None:
    km, _Worker.km = _Worker.km, None
    _stop_kernel(km)


def _kernel(env: dict[str, str] | None = None) -> Any:
    """This worker's kernel, started on first use; ``env`` (the batch's shared-cache variables, set by a
    Dask worker that serves several batches) is added to the kernel's environment, and a kernel started
    with another ``env`` is replaced."""
    if _Worker.km is not None and env is not None and env != _Worker.kernel_env:
        _shutdown_kernel()
    if _Worker.km is None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = AsyncKernelManager(kernel_name=KERNEL_NAME)
        extra = {} if env is None else {"env": {**os.environ, **env}}
        # The kernel's own stderr (start-up chatter, not cell output) goes to a log, not the console.
        run_sync(km.start_kernel)(cwd=str(wlconfig.PROJECT_ROOT), stderr=_Worker.kernel_log,
                                  stdout=_Worker.kernel_log, **extra)
        _Worker.km, _Worker.kernel_env = km, env
    return _Worker.km


def _exporter() -> Any:
    if _Worker.exporter is None:
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor

        exp = HTMLExporter(template_name="wijkrapport", extra_template_basedirs=[str(TEMPLATE_DIR)])
        exp.exclude_input = True
        exp.exclude_input_prompt = True
        exp.exclude_output_prompt = True
        exp.anchor_link_text = ""
        exp.register_filter("svg_data_uri", svg_data_uri)
        tags = TagRemovePreprocessor(
            remove_cell_tags={"remove-cell", "wijklib-reset"},
            remove_input_tags={"remove-input", "hide-input"},
            remove_all_outputs_tags={"remove-output", "hide-output"},
            enabled=True,
        )
        exp.register_preprocessor(tags, enabled=True)
        _Worker.exporter = exp
    return _Worker.exporter


def _load_notebook(path: str) -> Any:
    import nbformat

    if path not in _Worker.notebooks:
        _Worker.notebooks[path] = nbformat.read(path, as_version=4)
    nb = nbformat.from_dict(json.loads(json.dumps(_Worker.notebooks[path])))  # deep copy
    reset = nbformat.v4.new_code_cell(_RESET_SOURCE, metadata={"tags": ["remove-cell", "wijklib-reset"]})
    nb.cells.insert(0, reset)
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python (wijklib)", "language": "python"}
    return nb


def _headline(nb: Any) -> dict[str, Any]:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if HEADLINE_MIME in data:
                value = data[HEADLINE_MIME]
                return json.loads(value) if isinstance(value, str) else dict(value)
    return {}


def _reason(exc: BaseException) -> str:
    """One readable line for the summary: the failing cell's exception, not the whole traceback."""
    ename = getattr(exc, "ename", None)
    if ename:  # papermill.PapermillExecutionError
        return f"{ename}: {getattr(exc, 'evalue', '')}".strip()
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"


def run_job(job: Job, env: dict[str, str] | None = None) -> JobResult:
    """Execute one notebook, write .ipynb/HTML/PDF atomically, return the manifest row (never raises).

    ``env``: variables for the kernel beyond the worker's environment (see :func:`_kernel`).
    """
    t0 = time.perf_counter()
    out_dir = Path(job.out_dir)
    log_dir = out_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{job.stem}.log"
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    pm_logger = logging.getLogger("papermill")
    pm_logger.addHandler(handler)
    pm_logger.setLevel(logging.INFO)
    pm_logger.propagate = False  # cell output belongs in the ward's log, not on the console
    result = JobResult(kind=job.kind, ward_id=job.unit_id, ward=job.unit_name, status="failed",
                       duration_s=0.0, log=str(log_path.relative_to(out_dir)))
    try:
        executed = _execute(job, pm_logger, env=env)
        executed.metadata["wijklib"] = {"title": job.title, "demodata": job.demodata,
                                        "version": _version(), "author": "wijklib"}
        import nbformat

        nb_dir = out_dir / "notebooks"
        atomic_write_text(nb_dir / f"{job.stem}.ipynb", nbformat.writes(executed))
        result.outputs["ipynb"] = f"notebooks/{job.stem}.ipynb"
        html, _ = _exporter().from_notebook_node(
            executed, resources={"wijklib_css": STYLE_CSS.read_text(encoding="utf-8"),
                                 "metadata": {"name": job.stem}})
        if "html" in job.formats:
            atomic_write_text(out_dir / f"{job.stem}.html", html)
            result.outputs["html"] = f"{job.stem}.html"
        if "pdf" in job.formats:
            html_to_pdf(html, out_dir / f"{job.stem}.pdf", base_url=out_dir)
            result.outputs["pdf"] = f"{job.stem}.pdf"
        result.headline = _headline(executed)
        result.status = "ok"
    except Exception as exc:  # noqa: BLE001 - isolate the failure to this ward
        result.reason = _reason(exc)
        pm_logger.exception("report %s failed: %s", job.stem, result.reason)
        _shutdown_kernel()  # a kernel that saw a failure is not trusted with the next ward
    finally:
        result.duration_s = round(time.perf_counter() - t0, 2)
        pm_logger.removeHandler(handler)
        handler.close()
    return result


def _execute(job: Job, logger: logging.Logger, attempts: int = 2, env: dict[str, str] | None = None) -> Any:
    """Run the ward's notebook on this worker's kernel; retry once on a fresh kernel when the KERNEL failed.

    A cell that raises (``PapermillExecutionError``) is the ward's own failure and is never retried. A
    kernel that dies or does not come up (port taken by a parallel start, killed by the OS, start-up
    timeout on a busy machine) says nothing about the ward, so a fresh kernel gets one more try.
    """
    import papermill as pm

    for attempt in range(1, attempts + 1):
        try:
            return pm.execute_notebook(
                _load_notebook(job.notebook), None, parameters=job.parameters, kernel_name=KERNEL_NAME,
                km=_kernel() if env is None else _kernel(env), progress_bar=False, log_output=True, cwd=str(wlconfig.PROJECT_ROOT),
            )
        except pm.PapermillExecutionError:
            raise
        except Exception as exc:  # noqa: BLE001 - kernel trouble: log, replace the kernel, try again
            _shutdown_kernel()
            if attempt == attempts:
                raise
            logger.warning("report %s: kernel failed (%s); retrying on a fresh kernel", job.stem, _reason(exc))
    raise AssertionError("unreachable")


def _version() -> str:
    from wijklib import __version__

    return __version__


# --------------------------------------------------------------------------------------------- manifest
def _flat(result: JobResult) -> dict[str, Any]:
    row = {k: v for k, v in asdict(result).items() if k not in ("outputs", "headline", "checksums")}
    row.update({f"bestand_{k}": v for k, v in result.outputs.items()})
    for key, value in result.headline.items():
        row[key] = value if isinstance(value, str | int | float | bool) or value is None else json.dumps(value)
    return row


def csv_cell(value: Any) -> Any:
    """A manifest cell safe to open in a spreadsheet: text starting with ``= + - @`` (or a tab/CR) would
    run as a formula there, so it gets a leading apostrophe; numbers stay numbers.

    Examples
    --------
    >>> print(csv_cell("=1+1"), csv_cell("-0,5"), csv_cell(-0.5), csv_cell("Tarwewijk"))
    '=1+1 '-0,5 -0.5 Tarwewijk
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_manifest(out_dir: Path, year: int, results: Sequence[JobResult]) -> None:
    """Write ``manifest.json`` and ``manifest.csv``; rows of wards not in this run are kept (merged)."""
    path = out_dir / "manifest.json"
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    if path.is_file():
        try:
            for row in json.loads(path.read_text(encoding="utf-8")).get("reports", []):
                rows[(row["kind"], row["ward_id"])] = row
        except (ValueError, KeyError):  # an unreadable manifest is replaced, not trusted
            rows = {}
    for r in results:
        rows[(r.kind, r.ward_id)] = asdict(r)
    ordered = sorted(rows.values(), key=lambda r: (r["kind"] != "wijk", r["ward_id"]))
    doc = {"year": year, "generated_by": f"wijklib {_version()}", "reports": ordered}
    atomic_write_text(path, json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False) + "\n")
    known = JobResult.__dataclass_fields__
    flat = [_flat(JobResult(**{k: v for k, v in r.items() if k in known})) for r in ordered]
    columns: list[str] = []
    for row in flat:
        columns += [c for c in row if c not in columns]
    buf = io.StringIO()
    # As Dutch Excel opens a CSV by double-click: ';' between fields, a BOM so it reads UTF-8, decimal commas.
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n", delimiter=";")
    writer.writeheader()
    writer.writerows([{k: _excel_nl(csv_cell(v)) for k, v in row.items()} for row in flat])
    atomic_write_text(out_dir / "manifest.csv", "\ufeff" + buf.getvalue())


def _excel_nl(value: Any) -> Any:
    """A float with a decimal comma (Dutch Excel reads ``12.5`` as a date or text); other values as they are."""
    return str(value).replace(".", ",") if isinstance(value, float) else value


# ------------------------------------------------------------------------------------- outputs on disk
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _job_files(job: Job) -> dict[str, Path]:
    """Every output a job may write (whatever the formats asked), keyed like ``JobResult.outputs``."""
    out = Path(job.out_dir)
    return {"ipynb": out / "notebooks" / f"{job.stem}.ipynb", "html": out / f"{job.stem}.html",
            "pdf": out / f"{job.stem}.pdf"}


def _discard_outputs(job: Job) -> None:
    """Remove what a job that did not finish left behind: its outputs and its temp files, nothing else.

    A ward whose (re)run failed must not keep a report on disk that the manifest calls failed, and the temp
    files of the other workers (still writing) must stay.
    """
    for path in _job_files(job).values():
        path.unlink(missing_ok=True)
        for tmp in path.parent.glob(f"{temp_prefix(path)}*"):
            tmp.unlink(missing_ok=True)


def code_fingerprint() -> str:
    """Hash of the wijklib source, report templates and stylesheet (a code change makes reports stale).

    Examples
    --------
    >>> len(code_fingerprint())
    16
    """
    base = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(base.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".tpl", ".j2", ".css", ".html", ".json", ".yaml", ".csv"):
            h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _data_fingerprint(folder: Path | None) -> str:
    """Content hash of the run's data folder (every file under it)."""
    h = hashlib.sha256()
    if folder is not None and Path(folder).is_dir():
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                h.update(str(path.relative_to(folder)).encode() + b"\0" + _sha256(path).encode())
    return h.hexdigest()[:16]


def job_key(job: Job, cfg: ReportConfig, data_fp: str, code_fp: str, env: dict[str, str]) -> str:
    """What a report is computed from: notebook, parameters, formats, run and monitor configuration,
    data (content hash), code and the shared cache of the batch. Equal key + intact files = current."""
    parts = {
        "notebook": _sha256(Path(job.notebook)), "parameters": job.parameters, "formats": sorted(job.formats),
        "title": job.title, "config": _sha256(cfg.path),
        "monitor_config": _sha256(cfg.monitor_config) if cfg.monitor_config and cfg.monitor_config.is_file() else "",
        "data": data_fp, "code": code_fp, "version": _version(),
        "shared": {k: Path(v).name for k, v in sorted(env.items())},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _previous_rows(out_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    path = out_dir / "manifest.json"
    if not path.is_file():
        return {}
    try:
        return {(r["kind"], r["ward_id"]): r for r in json.loads(path.read_text(encoding="utf-8"))["reports"]}
    except (ValueError, KeyError, TypeError):
        return {}


def _current(job: Job, key: str, row: dict[str, Any] | None) -> JobResult | None:
    """The previous result of ``job`` when its outputs are current (same key, files intact), else None."""
    if not row or row.get("status") != "ok" or row.get("input_key") != key:
        return None
    outputs, sums = row.get("outputs") or {}, row.get("checksums") or {}
    out = Path(job.out_dir)
    for fmt in ("ipynb", *job.formats):
        rel = outputs.get(fmt)
        if not rel or not (out / rel).is_file() or sums.get(fmt) != _sha256(out / rel):
            return None
    fields = {k: v for k, v in row.items() if k in JobResult.__dataclass_fields__}
    return JobResult(**{**fields, "reused": True})


def check_outputs(out_dir: str | Path) -> list[str]:
    """Compare the manifest with the files in ``out_dir``; returns the disagreements (empty = they agree).

    Checked: every ``ok`` row's outputs exist with the recorded checksum; every report file on disk
    (``*.pdf``, ``*.html``, ``notebooks/*.ipynb``) belongs to an ``ok`` row; no temporary files remain.

    Examples
    --------
    >>> import tempfile
    >>> check_outputs(tempfile.mkdtemp())
    []
    """
    out = Path(out_dir)
    problems = [f"temporary file left: {p.relative_to(out)}" for p in out.rglob(f"{TMP_PREFIX}*")]
    rows = _previous_rows(out).values()
    listed: set[str] = set()
    for r in rows:
        for fmt, rel in (r.get("outputs") or {}).items():
            listed.add(rel)
            if r.get("status") != "ok":
                problems.append(f"{r['ward_id']}: status {r.get('status')!r} but output {rel} listed")
            elif not (out / rel).is_file():
                problems.append(f"{r['ward_id']}: {rel} in the manifest but not on disk")
            elif (r.get("checksums") or {}).get(fmt) != _sha256(out / rel):
                problems.append(f"{r['ward_id']}: {rel} differs from the file the manifest records")
    on_disk = [*out.glob("*.pdf"), *out.glob("*.html"), *(out / "notebooks").glob("*.ipynb")]
    for p in on_disk:
        rel = str(p.relative_to(out))
        if rel not in listed and not p.name.startswith(TMP_PREFIX):
            problems.append(f"{rel} on disk but not in the manifest")
    return problems


class _Interrupts:
    """Ctrl-C handling of a batch: the first stops handing out wards (running ones finish and are
    recorded), the second stops the running wards too. The handler only sets a counter, so an interrupt
    can never land halfway through writing the manifest or receiving a result."""

    def __init__(self) -> None:
        self.count = 0
        self.previous: Any = None

    def __enter__(self) -> _Interrupts:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.count += 1
        msg = ("\nafbreken (Ctrl-C): er worden geen nieuwe rapporten gestart; lopende rapporten maken we af "
               "(nogmaals Ctrl-C breekt ook die af)" if self.count == 1 else
               "\nafbreken (Ctrl-C): lopende rapporten worden gestopt")
        print(msg, file=sys.stderr, flush=True)

    def __exit__(self, *exc: Any) -> None:
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


# ------------------------------------------------------------------------------------------------- run
def run(
    config_path: str | Path, year: int | None = None, wards: str | Sequence[str] = "all", *,
    jobs: int | None = None, formats: Sequence[str] = FORMATS, out: str | Path | None = None,
    overview: bool | None = None, progress: bool = True, force: bool = False, scheduler: str | None = None,
) -> RunSummary:
    """Build the reports of one run configuration.

    Parameters
    ----------
    config_path
        Run configuration YAML (``config/demo.yaml``, ``config/thehague.yaml``).
    year
        Report year (default: ``jaar`` in the configuration).
    wards
        ``"all"`` or a comma-separated string / list of ward codes or names.
    jobs
        Worker processes (default: number of cores); with ``scheduler="local"`` the LocalCluster's workers.
    scheduler
        Where the notebooks run (:mod:`wijklib.report.backends`): ``None`` (default) a local process pool
        without extra dependencies; ``"local"`` a Dask ``LocalCluster`` of ``jobs`` workers;
        ``"tcp://host:8786"`` an existing Dask cluster (every worker thread takes a ward). Needs
        ``pip install 'wijklib[dask]'``. The guarantees are the same on every backend.
    formats
        Any of ``"pdf"``, ``"html"`` (the executed notebook is always kept under ``notebooks/``).
    out
        Output root; files go to ``<out>/<year>/`` (default ``reports/``).
    overview
        Also build the city overview (default: only when ``wards == "all"``).
    progress
        Show a tqdm progress bar on stderr.
    force
        Rebuild every report; by default a report whose outputs are current (same notebook, parameters,
        configuration, data, code; files as recorded in the manifest) is kept, so an interrupted batch
        resumes where it stopped.

    Returns
    -------
    RunSummary
        ``exit_code`` is non-zero when any report failed; ``text()`` is the closing summary.

    Raises
    ------
    KeyboardInterrupt
        After Ctrl-C, once the manifest records exactly the reports on disk.

    Examples
    --------
    >>> s = run("config/demo.yaml", 2025, "tarwewijk", jobs=1, formats=["html"])  # doctest: +SKIP
    >>> s.exit_code  # doctest: +SKIP
    0
    """
    t0 = time.perf_counter()
    cfg = load_config(config_path)
    year = int(year if year is not None else (cfg.jaar or 0))
    if not year:
        raise ValueError(f"{cfg.path}: no year given (use --year or set 'jaar' in the configuration)")
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown format(s) {bad}; expected some of {list(FORMATS)}")
    out_root = Path(out) if out is not None else wlconfig.REPORTS_DIR
    if not out_root.is_absolute():
        out_root = wlconfig.PROJECT_ROOT / out_root
    out_dir = out_root / str(year)
    from wijklib.report import content

    units = resolve_wards(cfg, year, wards)
    if overview is None:
        overview = _parse_wards(wards) is None
    # Shared work (city-wide fits, placebo fits) once, in this process, before the workers start; it
    # also refuses a year the data do not cover, before anything is written.
    env = content.prepare(cfg, year, None if overview else [u for u, _ in units])
    (out_dir / "logs").mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(out_dir)
    ensure_kernel()
    job_list = build_jobs(cfg, year, units, out_dir, formats, overview)
    data_fp, code_fp = _data_fingerprint(cfg.data_dir), code_fingerprint()
    keys = {(j.kind, j.unit_id): job_key(j, cfg, data_fp, code_fp, env) for j in job_list}
    previous = _previous_rows(out_dir)
    results: list[JobResult] = []
    todo: list[Job] = []
    for job in job_list:
        kept = None if force else _current(job, keys[(job.kind, job.unit_id)], previous.get((job.kind, job.unit_id)))
        if kept is not None:
            results.append(kept)
        else:
            todo.append(job)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(job_list), initial=len(results), desc=f"rapporten {year}", unit="rapport",
                   file=sys.stderr)

    def record(job: Job, res: JobResult) -> None:
        res.input_key = keys[(job.kind, job.unit_id)]
        if res.status == "ok":
            res.checksums = {fmt: _sha256(Path(job.out_dir) / rel) for fmt, rel in res.outputs.items()}
        else:
            _discard_outputs(job)  # the manifest says failed: no report of this ward may stay on disk
            res.outputs, res.checksums = {}, {}
        results.append(res)
        if bar is not None:
            bar.set_postfix_str(f"{res.ward}: {'ok' if res.status == 'ok' else 'MISLUKT'}")
            bar.update(1)
        write_manifest(out_dir, year, results)

    def died(job: Job, reason: str) -> JobResult:
        log = Path(job.out_dir) / "logs" / f"{job.stem}.log"
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} ERROR {reason}\n")
        return JobResult(kind=job.kind, ward_id=job.unit_id, ward=job.unit_name, status="failed",
                         duration_s=0.0, reason=reason, log=str(log.relative_to(job.out_dir)))

    saved_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # inherited by the workers and their kernels; restored below
    interrupted = False
    pool = None
    try:
        with _Interrupts() as stop:
            if todo:
                from wijklib.report.backends import make_backend

                n = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
                pool = make_backend(scheduler, n, env, str(out_dir / "logs"))
            queue = list(todo)
            while pool is not None and ((queue and not stop.count) or pool.running()):
                if stop.count >= 2:
                    for job in pool.kill():
                        record(job, died(job, "KeyboardInterrupt: afgebroken met Ctrl-C terwijl dit rapport liep"))
                    break
                if stop.count:
                    pool.drain()
                while queue and not stop.count and pool.free():
                    pool.submit(queue.pop(0))
                for job, res, reason in pool.collect(timeout=0.25):
                    record(job, res if res is not None else died(job, reason))
            interrupted = stop.count > 0
    finally:
        if pool is not None:
            pool.close()
        remove_stale_temp_files(out_dir)  # every worker has stopped: nothing is being written any more
        write_manifest(out_dir, year, results)
        if bar is not None:
            bar.close()
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if interrupted:
        raise KeyboardInterrupt
    order = {(j.kind, j.unit_id): i for i, j in enumerate(job_list)}
    results.sort(key=lambda r: order[(r.kind, r.ward_id)])
    _write_workbook(cfg, year, out_dir, None if overview else [u for u, _ in units])
    return RunSummary(year=year, out_dir=out_dir, results=tuple(results), wall_s=time.perf_counter() - t0)


def _write_workbook(cfg: Any, year: int, out_dir: Path, units: list[str] | None) -> None:
    """The batch's tables as one workbook (``tabellen_<year>.xlsx``); a failure is logged, never fatal."""
    from wijklib.report import workbook

    try:
        workbook.write_for_batch(cfg, year, out_dir, units)
    except Exception as exc:  # noqa: BLE001 - the reports are the product; the workbook is an extra
        with open(out_dir / "logs" / "tabellen.log", "a", encoding="utf-8") as fh:
            fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} ERROR workbook: {type(exc).__name__}: {exc}\n")
        print(f"wijklib report: tabellen_{year}.xlsx niet geschreven: {type(exc).__name__}: {exc}", file=sys.stderr)


def build_parser() -> Any:
    """Argument parser shared by ``python -m wijklib.report`` and ``wijklib report``."""
    import argparse

    p = argparse.ArgumentParser(
        prog="wijklib report",
        description="Build ward evaluation reports (papermill -> HTML -> A4 PDF) and a manifest.",
    )
    p.add_argument("--config", default="config/demo.yaml", help="run configuration YAML (default: %(default)s)")
    p.add_argument("--year", type=int, default=None, help="report year (default: 'jaar' in the config)")
    p.add_argument("--wards", default="all", help="'all' or a comma-separated list of ward codes or names")
    p.add_argument("--jobs", type=int, default=None,
                   help="parallel workers (default: number of cores); with --scheduler local the Dask workers")
    p.add_argument("--scheduler", default=None,
                   help="run the notebooks on Dask: 'local' (a LocalCluster of --jobs workers) or the address of "
                        "an existing scheduler (tcp://host:8786); default: a local process pool. "
                        "Needs pip install 'wijklib[dask]'")
    p.add_argument("--formats", default="pdf,html", help="comma list of pdf,html (default: %(default)s)")
    p.add_argument("--out", default=None, help="output root (default: reports/); files go to <out>/<year>/")
    p.add_argument("--no-overview", action="store_true", help="skip the city overview")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--force", action="store_true",
                   help="rebuild every report, also those whose outputs are current for the same inputs and code")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (non-zero when any ward failed)."""
    args = build_parser().parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    try:
        summary = run(args.config, args.year, args.wards, jobs=args.jobs, formats=formats, out=args.out,
                      overview=False if args.no_overview else None, progress=not args.no_progress,
                      force=args.force, scheduler=args.scheduler)
    except KeyboardInterrupt:
        print("afgebroken (Ctrl-C); afgeronde rapporten staan in het manifest", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, ImportError) as exc:
        print(f"wijklib report: {exc}", file=sys.stderr)
        return 2
    print(summary.text())
    return summary.exit_code
