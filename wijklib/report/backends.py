"""Where a batch's notebooks run: the local process pool (the default, no extra dependency) or Dask.

The runner (:func:`wijklib.report.runner.run`) talks to a backend through six operations -- ``free()``
(how many jobs can start now), ``submit(job)``, ``running()``, ``collect(timeout)`` (finished jobs as
``(job, result, "")`` or ``(job, None, reason)`` when the job was lost with its worker), ``drain()``
(first Ctrl-C), ``kill()`` (second Ctrl-C) and ``close()`` -- so both backends keep the same guarantees:

- one ward's failure never sinks the others (a notebook error is a failed row, never an exception);
- a worker that dies fails only the ward it held (process pool: with the signal, the worker is replaced);
  on Dask the ward is started once more on another worker and fails only if that one is lost too;
- outputs appear atomically and only for wards the manifest records: on Dask the worker renders into a
  private staging folder and ships the files back through the engine, and the parent writes them
  (:func:`wijklib.report.pdf.atomic_write`) just before it records the ward, so a worker that is cancelled
  or lost can never leave a file next to the manifest;
- inputs come through the engine: the batch's prepared cache (the monitor's evaluations, the panel, the
  unit names; :func:`wijklib.report.evaluations.prepare`) is scattered once to every worker
  (:class:`CacheBundle`), so no worker reads the city's exports or needs the parent's disk for data.

A remote cluster's workers need wijklib (with its report extras) installed and the run configuration and
notebooks at the same paths as the parent (a shared checkout or the same image); data and outputs travel
through Dask.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wijklib.report.pdf import atomic_write, atomic_write_text
from wijklib.report.runner import (
    Job,
    JobResult,
    _init_worker,
    _shutdown_kernel,
    _stop_kernel,
    run_job,
)

#: What ``--scheduler`` says when Dask is not installed.
DASK_HINT = "the Dask backend needs dask and distributed: pip install 'wijklib[dask]'"
#: The environment variable of the pinned cache (``wijklib.report.evaluations.PINNED_ENV``).
_PINNED = "WIJKLIB_REPORT_CACHE_DIR"


# ------------------------------------------------------------------------------------- process pool
def _worker_main(conn: Any, log_dir: str) -> None:
    """Worker process: take jobs from ``conn`` until ``None``; send one JobResult back per job."""
    _init_worker(log_dir)
    try:
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):  # the parent is gone
                break
            if job is None:
                break
            conn.send(run_job(job))
    finally:
        _shutdown_kernel()


@dataclass
class _Slot:
    process: Any
    conn: Any
    job: Job | None = None
    started: float = 0.0


class ProcessPool:
    """A fixed number of worker processes, each running one job at a time.

    Unlike :class:`concurrent.futures.ProcessPoolExecutor` (which marks the whole pool broken and fails
    every pending job when one worker dies), the parent knows which job each worker holds: a worker that
    dies fails only its own job, with the signal that killed it, and is replaced.
    """

    def __init__(self, n: int, log_dir: str) -> None:
        # 'fork' is fine here (workers start before any kernel exists in the parent) and saves ~1 s per
        # worker; 'spawn' elsewhere.
        self.ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        self.log_dir = log_dir
        self.slots = [self._spawn() for _ in range(n)]

    def _spawn(self) -> _Slot:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker_main, args=(child, self.log_dir), daemon=True)
        proc.start()
        child.close()
        return _Slot(proc, parent)

    def idle(self) -> list[_Slot]:
        return [s for s in self.slots if s.job is None]

    def busy(self) -> list[_Slot]:
        return [s for s in self.slots if s.job is not None]

    def free(self) -> int:
        """How many more jobs can start now."""
        return len(self.idle())

    def running(self) -> int:
        return len(self.busy())

    def submit(self, job: Job) -> None:
        slot = self.idle()[0]
        slot.job, slot.started = job, time.perf_counter()
        slot.conn.send(job)

    def drain(self) -> None:
        """First Ctrl-C: nothing to do here (the runner stops submitting; running jobs finish)."""

    def collect(self, timeout: float) -> list[tuple[Job, JobResult | None, str]]:
        """Finished jobs as ``(job, result, "")``, or ``(job, None, reason)`` when the worker died."""
        from multiprocessing.connection import wait as mp_wait

        busy = self.busy()
        if not busy:
            return []
        ready = set(mp_wait([s.conn for s in busy] + [s.process.sentinel for s in busy], timeout=timeout))
        done = []
        for i, slot in enumerate(self.slots):
            if slot.job is None or (slot.conn not in ready and slot.process.sentinel not in ready):
                continue
            job, result = slot.job, None
            try:
                if slot.conn.poll():
                    result = slot.conn.recv()
            except (EOFError, OSError):
                result = None
            if result is not None:
                slot.job = None
                done.append((job, result, ""))
                continue
            slot.process.join(timeout=5)
            done.append((job, None, _death_reason(slot.process.exitcode)))
            slot.conn.close()
            self.slots[i] = self._spawn()  # the pool is rebuilt; the other workers go on untouched
        return done

    def kill(self) -> list[Job]:
        """Kill every worker now (second Ctrl-C); returns the jobs they held."""
        held = [s.job for s in self.slots if s.job is not None]
        for s in self.slots:
            if s.process.is_alive():
                s.process.kill()
        for s in self.slots:
            s.process.join(timeout=5)
            s.job = None
        return held

    def close(self) -> None:
        for s in self.slots:
            try:
                s.conn.send(None)
            except (OSError, ValueError):
                pass
        for s in self.slots:
            s.process.join(timeout=30)
            if s.process.is_alive():
                s.process.kill()
                s.process.join(timeout=5)
            s.conn.close()


def _death_reason(exitcode: int | None) -> str:
    import signal

    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"WorkerKilled: het werkproces van dit rapport is gestopt door {name}; het rapport is niet gemaakt"
    return f"WorkerDied: het werkproces van dit rapport stopte onverwacht (exitcode {exitcode}); het rapport is niet gemaakt"


# ---------------------------------------------------------------------------------------------- Dask
def import_distributed() -> Any:
    """``dask.distributed``, or an ImportError that says how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(f"{DASK_HINT} ({exc})") from exc
    return distributed


@dataclass(frozen=True)
class CacheBundle:
    """A batch's prepared cache folder as bytes: scattered once to every worker, written out there once.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "demo_2025_abc"
    >>> (d / "evaluations").mkdir(parents=True); _ = (d / "evaluations" / "a_2025.json").write_text("{}")
    >>> b = CacheBundle.of(d)
    >>> sorted(b.files), b.name
    (['evaluations/a_2025.json'], 'demo_2025_abc')
    >>> (b.materialize() / "evaluations" / "a_2025.json").read_text()
    '{}'
    """

    name: str
    digest: str
    files: dict[str, bytes] = field(repr=False)

    @classmethod
    def of(cls, folder: str | Path) -> CacheBundle:
        folder = Path(folder)
        files, h = {}, hashlib.sha256()
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith(".wijklib-tmp-"):
                rel = path.relative_to(folder).as_posix()
                files[rel] = path.read_bytes()
                h.update(rel.encode() + b"\0" + hashlib.sha256(files[rel]).digest())
        return cls(name=folder.name, digest=h.hexdigest()[:16], files=files)

    def materialize(self) -> Path:
        """The folder on this machine holding these files (written once per process and digest).

        The folder keeps the cache's own name (``<config>_<year>_<key>``), which the report code checks.
        """
        with _MATERIALIZE_LOCK:
            done = _MATERIALIZED.get(self.digest)
            if done is not None and done.is_dir():
                return done
            root = Path(tempfile.gettempdir()) / f"wijklib-cache-{os.getuid()}" / self.digest
            final = root / self.name
            if not final.is_dir():
                staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=_mkdir(root)))
                for rel, data in self.files.items():
                    p = staging / rel
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.write_bytes(data)
                try:
                    os.replace(staging, final)  # another worker on this machine may have been first
                except OSError:
                    shutil.rmtree(staging, ignore_errors=True)
            _MATERIALIZED[self.digest] = final
            return final


_MATERIALIZED: dict[str, Path] = {}
_MATERIALIZE_LOCK = threading.Lock()


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


@dataclass
class Shipped:
    """What a Dask worker sends back for one job: its manifest row and the files, by relative path."""

    result: JobResult
    files: dict[str, bytes]
    log: str
    worker: str


def run_on_worker(job: Job, env: dict[str, str], bundle: CacheBundle | None, attempts_key: list[str]) -> Shipped:
    """The Dask task of one job: render it into a private staging folder and return the files.

    ``attempts_key`` names the scheduler-side record of this ward's starts (``Client.set_metadata``): a
    ward that already started on two workers that were both lost is not started a third time, whatever
    the cluster's ``distributed.scheduler.allowed-failures`` (the scheduler may reschedule by itself).
    """
    from distributed import get_client, get_worker

    worker = get_worker().address
    client = get_client()
    starts = list(client.get_metadata(attempts_key, []))
    client.set_metadata(attempts_key, [*starts, worker])
    if len(starts) >= 2:
        reason = lost_reason(starts)
        return Shipped(JobResult(kind=job.kind, ward_id=job.unit_id, ward=job.unit_name, status="failed",
                                 duration_s=0.0, reason=reason, log=f"logs/{job.stem}.log"), {}, reason, worker)
    env = dict(env)
    if bundle is not None:
        env[_PINNED] = str(bundle.materialize())
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    _dask_worker_init()
    staging = Path(tempfile.mkdtemp(prefix="wijklib-job-"))
    try:
        res = run_job(replace(job, out_dir=str(staging)), env=env)
        files = {rel: (staging / rel).read_bytes() for rel in res.outputs.values()} if res.status == "ok" else {}
        log_path = staging / res.log
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
        return Shipped(res, files, log, worker)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def lost_reason(workers: list[str]) -> str:
    """The manifest reason of a ward whose workers were lost (Dutch, like the other reasons)."""
    where = " en ".join(workers) if workers else "onbekend"
    tries = "twee keer " if len(workers) >= 2 else ""
    return (f"WorkerLost: de Dask-worker van dit rapport viel {tries}weg terwijl het liep ({where}); "
            "het rapport is niet gemaakt")


_DASK_INIT = threading.Lock()
_DASK_READY: list[str] = []


def _dask_worker_init() -> None:
    """Once per Dask worker process: kernel log folder, and shut the kernels down when the worker stops."""
    from wijklib.report import runner

    if runner._Worker.kernel_log is None:
        log_dir = _mkdir(Path(tempfile.gettempdir()) / f"wijklib-kernels-{os.getuid()}")
        runner._Worker.kernel_log = open(log_dir / f"kernel-{os.getpid()}-{threading.get_ident()}.log", "a",  # noqa: SIM115
                                         encoding="utf-8")
        _KERNEL_THREADS.append(runner._Worker)
    with _DASK_INIT:
        if not _DASK_READY:
            import atexit

            atexit.register(_shutdown_all)
            _DASK_READY.append("ok")


_KERNEL_THREADS: list[Any] = []


def _shutdown_all() -> None:
    for state in _KERNEL_THREADS:
        km, state.km = state.km, None
        _stop_kernel(km)


def _ignore_sigint_plugin() -> Any:
    """Worker plugin: a Dask worker process ignores Ctrl-C (the parent decides what to cancel, as with the
    process pool). ``setup`` runs in the worker's main thread, also for a worker a nanny restarted."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class IgnoreSigint(WorkerPlugin):
        name = "wijklib-ignore-sigint"

        def setup(self, worker: Any) -> None:
            import signal

            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)

    return IgnoreSigint()


class DaskBackend:
    """Jobs on a Dask cluster: ``"local"`` starts a :class:`distributed.LocalCluster` of ``n_workers``
    single-threaded worker processes; ``"tcp://host:8786"`` uses an existing scheduler.

    At most as many jobs are in flight as the cluster has worker threads, so after a Ctrl-C no queued ward
    starts. A job whose worker is lost (``KilledWorker``) is submitted once more, away from the lost worker;
    the record of where a ward started lives on the scheduler (see :func:`run_on_worker`).
    """

    def __init__(self, scheduler: str, n_workers: int, env: dict[str, str], *, connect_timeout: float = 20) -> None:
        distributed = import_distributed()
        import dask

        self.cluster = None
        if scheduler == "local":
            # allowed-failures 0: the first lost worker comes back to us as KilledWorker, and we decide
            # about the one retry (the default, 3, would silently run a ward that kills workers 4 times).
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                self.cluster = distributed.LocalCluster(
                    n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",  # never fight over :8787
                    silence_logs=logging.ERROR)
            self.client = distributed.Client(self.cluster)
        else:
            if not scheduler.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
                raise ValueError(f"--scheduler {scheduler!r}: expected 'local' or a scheduler address such as "
                                 "tcp://host:8786")
            try:
                self.client = distributed.Client(scheduler, timeout=connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise ValueError(f"--scheduler {scheduler}: no Dask scheduler answers there ({exc})") from exc
        self.scheduler = scheduler
        self.client.register_plugin(_ignore_sigint_plugin(), name="wijklib-ignore-sigint")
        self.batch = uuid.uuid4().hex[:12]
        pinned = env.get(_PINNED)
        self.env = {k: v for k, v in env.items() if k != _PINNED}
        self.bundle = None
        if pinned:
            # hash=False: a new key per batch, so a long-lived cluster never mixes two batches' caches
            self.bundle = self.client.scatter(CacheBundle.of(pinned), broadcast=True, hash=False)
        self.flight: dict[Any, Job] = {}
        self.retried: dict[str, str] = {}
        self.draining = False
        self._threads = (0.0, 0)

    # -- what the runner calls ---------------------------------------------------------------------
    def threads(self) -> int:
        t, n = self._threads
        if time.monotonic() - t > 1.0:
            n = sum(self.client.nthreads().values())
            self._threads = (time.monotonic(), n)
        return n

    def free(self) -> int:
        return max(0, self.threads() - len(self.flight))

    def running(self) -> int:
        return len(self.flight)

    def submit(self, job: Job, avoid: str | None = None) -> None:
        workers = None
        if avoid is not None:
            others = [w for w in self.client.scheduler_info(n_workers=-1)["workers"] if w != avoid]
            workers = others or None
        fut = self.client.submit(run_on_worker, job, self.env, self.bundle, self._attempts_key(job),
                                 key=f"wijklib-{job.stem}-{uuid.uuid4().hex[:8]}", pure=False,
                                 workers=workers, allow_other_workers=bool(workers))
        self.flight[fut] = job

    def collect(self, timeout: float) -> list[tuple[Job, JobResult | None, str]]:
        from distributed import wait

        if not self.flight:
            return []
        try:
            done, _ = wait(list(self.flight), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        out = []
        for fut in done:
            job = self.flight.pop(fut)
            if fut.status == "finished":
                try:
                    out.append((job, self._land(job, fut.result()), ""))
                except Exception as exc:  # noqa: BLE001 - a result that cannot be read/written fails its ward
                    out.append((job, None, f"{type(exc).__name__}: {exc}"))
            else:
                reason = self._lost(job, fut)
                if reason is not None:
                    out.append((job, None, reason))
            fut.release()
        return out

    def drain(self) -> None:
        self.draining = True

    def kill(self) -> list[Job]:
        """Second Ctrl-C: cancel every running job; none of them can write a file any more (the files
        only land through :meth:`collect`)."""
        held = list(self.flight.values())
        if self.flight:
            self.client.cancel(list(self.flight), force=True)
        self.flight.clear()
        return held

    def close(self) -> None:
        try:
            if self.flight:
                self.client.cancel(list(self.flight), force=True)
            self.client.set_metadata(["wijklib", self.batch], {})
        except Exception:  # noqa: BLE001 - the scheduler may be gone already
            pass
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    # -- internals ---------------------------------------------------------------------------------
    def _attempts_key(self, job: Job) -> list[str]:
        return ["wijklib", self.batch, f"{job.kind}:{job.unit_id}"]

    def _lost(self, job: Job, fut: Any) -> str | None:
        """Reason to fail ``job`` whose future did not finish, or None when it was submitted again."""
        from distributed import KilledWorker

        try:
            exc = fut.exception()
        except BaseException as e:  # noqa: BLE001 - cancelled futures raise here
            exc = e
        if not isinstance(exc, KilledWorker):
            return f"{type(exc).__name__}: {exc}"
        starts = list(self.client.get_metadata(self._attempts_key(job), []))
        last = getattr(getattr(exc, "last_worker", None), "address", None) or (starts[-1] if starts else None)
        if len(starts) < 2 and not self.draining:
            # Never started (lost while queued) or started once: one more try, away from the lost worker.
            self.retried[f"{job.kind}:{job.unit_id}"] = last or "?"
            self.submit(job, avoid=last)
            return None
        return lost_reason(starts or ([last] if last else []))

    def _land(self, job: Job, shipped: Shipped) -> JobResult:
        """Write what the worker rendered into the batch's folder (atomically), return the manifest row."""
        res = shipped.result
        out = Path(job.out_dir)
        note = ""
        lost = self.retried.get(f"{job.kind}:{job.unit_id}")
        if lost is not None:
            note = (f"{time.strftime('%Y-%m-%d %H:%M:%S')} WARNING de Dask-worker {lost} viel weg terwijl dit "
                    f"rapport liep; opnieuw gestart op {shipped.worker}\n")
        atomic_write_text(out / res.log, note + shipped.log)
        written: list[Path] = []
        try:
            for rel, data in shipped.files.items():
                written.append(atomic_write(out / rel, lambda p, data=data: p.write_bytes(data)))
        except BaseException:
            for p in written:
                p.unlink(missing_ok=True)
            raise
        return res


def make_backend(scheduler: str | None, n: int, env: dict[str, str], log_dir: str) -> Any:
    """The backend of ``--scheduler`` (None: the local process pool)."""
    if scheduler in (None, "", "pool", "processes"):
        return ProcessPool(n, log_dir)
    return DaskBackend(scheduler, n, env)
