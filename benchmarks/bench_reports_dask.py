"""The report batch on the local process pool next to a Dask LocalCluster, in one run, plus a cost model.

Command: ``PYTHONPATH=. .venv/bin/python -m benchmarks.bench_reports_dask [--wards all|N] [--repeat R]
[--tasks 2000] [--payload-kb 250]``. Writes ``benchmarks/results/reports_dask.md``.

1. Scaling: the same wards (default: the whole demo batch, ``wards="all"``, which includes the city
   overview) are rebuilt (``force=True``) into a fresh folder on the process pool with 1 and 2 workers and
   on a Dask LocalCluster with 1 and 2 workers, after one warm-up run that fills the evaluation cache.
   Wall time and CPU time, median of R runs. CPU is measured two ways: (a) ``psutil`` samples every
   process below this one (pool workers, Dask nannies and workers, papermill kernels) every 0.05 s and
   sums each process's last user+system time, plus this process's own; (b) ``getrusage`` of this process
   and of its waited-for children. (b) misses work in processes that are not waited for (Dask workers
   live in a nanny); (a) misses at most the last 0.05 s of each short-lived process.
2. Dask overhead measured directly on a fresh 2-worker LocalCluster (configured as the runner's):
   start-up, ``--tasks`` no-op tasks and tasks returning a ``--payload-kb`` payload (the size of a PDF),
   both as one ``client.map`` (scheduler throughput) and with at most one task per worker in flight (as the
   runner submits), and the broadcast ``scatter`` of the batch's evaluation cache (what the runner sends).
3. A model for ``--model-reports`` reports on ``--model-workers`` workers from these numbers.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path

import psutil  # a dependency of distributed (the dask extra)

from wijklib.report import backends, runner

RESULTS = Path(__file__).parent / "results" / "reports_dask.md"
CONFIG = "config/demo.yaml"


class CpuMeter:
    """CPU seconds of this process and all its descendants while the ``with`` block runs (see docstring)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.seen: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()

    def _sample(self) -> None:
        try:
            kids = psutil.Process().children(recursive=True)
        except psutil.Error:
            return
        for p in kids:
            try:
                with p.oneshot():
                    t = p.cpu_times()
                    key = (p.pid, p.create_time())
                self.seen[key] = max(self.seen.get(key, 0.0), t.user + t.system)
            except psutil.Error:
                pass

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self.r0 = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
        self.t0 = time.perf_counter()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sample()
        self._stop.set()
        self.thread.join()
        self.wall = time.perf_counter() - self.t0
        s1, c1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        s0, c0 = self.r0
        self.self_cpu = (s1.ru_utime - s0.ru_utime) + (s1.ru_stime - s0.ru_stime)
        self.rusage_cpu = self.self_cpu + (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
        self.tree_cpu = self.self_cpu + sum(self.seen.values())


#: What the runner's Dask backend did in the last run: start-up (cluster + client + scatter) and scatter.
_DASK_LOG: dict[str, float] = {}


def _instrument_dask() -> None:
    init, close, of = backends.DaskBackend.__init__, backends.DaskBackend.close, backends.CacheBundle.of.__func__

    def timed_init(self, *a, **k):  # noqa: ANN001, ANN002, ANN003
        t0 = time.perf_counter()
        init(self, *a, **k)
        _DASK_LOG["startup_s"] = time.perf_counter() - t0

    def timed_close(self):  # noqa: ANN001
        try:  # the workers' own CPU and their kernels' (waited-for children), before they go away
            _DASK_LOG["worker_cpu_s"] = sum(self.client.run(_worker_cpu).values())
        except Exception:  # noqa: BLE001 - a measurement, never a reason to fail the batch
            _DASK_LOG["worker_cpu_s"] = float("nan")
        t0 = time.perf_counter()
        close(self)
        _DASK_LOG["close_s"] = time.perf_counter() - t0

    def remembered_of(cls, folder):  # noqa: ANN001
        _DASK_LOG["bundle_folder"] = str(folder)
        return of(cls, folder)

    backends.DaskBackend.__init__ = timed_init
    backends.DaskBackend.close = timed_close
    backends.CacheBundle.of = classmethod(remembered_of)


def _worker_cpu() -> float:
    r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def _run(wards: str, jobs: int, scheduler: str | None) -> dict:
    out = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    _DASK_LOG.pop("startup_s", None)
    _DASK_LOG.pop("worker_cpu_s", None)
    with CpuMeter() as m:
        s = runner.run(CONFIG, 2025, wards, jobs=jobs, out=out, progress=False, force=True, formats=["pdf"],
                       scheduler=scheduler)
    if s.exit_code != 0:
        raise RuntimeError(s.text())
    return {"wall": m.wall, "tree_cpu": m.tree_cpu, "rusage_cpu": m.rusage_cpu, "reports": len(s.results),
            "startup": _DASK_LOG.get("startup_s"),
            "worker_cpu": (m.self_cpu + _DASK_LOG["worker_cpu_s"]) if "worker_cpu_s" in _DASK_LOG else None}


def _noop(i: int) -> int:
    return i


def _payload(i: int, size: int) -> bytes:
    return os.urandom(size)


def _in_flight(client, fn, n: int, width: int, *args) -> float:  # noqa: ANN001
    """Seconds for n tasks with at most ``width`` in flight (one per worker thread, as the runner submits)."""
    from distributed import as_completed

    t0 = time.perf_counter()
    ac = as_completed([client.submit(fn, i, *args, pure=False) for i in range(min(width, n))])
    sent = min(width, n)
    for fut in ac:
        fut.result()
        if sent < n:
            ac.add(client.submit(fn, sent, *args, pure=False))
            sent += 1
    return time.perf_counter() - t0


def overhead(n_tasks: int, payload: int, bundle_folder: str | None) -> dict:
    import logging

    import dask
    import distributed

    out: dict = {}
    t0 = time.perf_counter()
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    client.wait_for_workers(2)
    out["startup_s"] = time.perf_counter() - t0
    try:
        client.gather(client.map(_noop, range(50), pure=False))  # warm: functions pickled, connections open
        t0 = time.perf_counter()
        client.gather(client.map(_noop, range(n_tasks), pure=False))
        out["noop_map_s"] = (time.perf_counter() - t0) / n_tasks
        t0 = time.perf_counter()
        client.gather(client.map(_payload, range(n_tasks), [payload] * n_tasks, pure=False))
        out["payload_map_s"] = (time.perf_counter() - t0) / n_tasks
        k = max(200, n_tasks // 4)
        out["noop_flight_s"] = _in_flight(client, _noop, k, 2) / k
        out["payload_flight_s"] = _in_flight(client, _payload, k, 2, payload) / k
        out["flight_tasks"] = k
        if bundle_folder and Path(bundle_folder).is_dir():
            t0 = time.perf_counter()
            bundle = backends.CacheBundle.of(bundle_folder)
            out["bundle_read_s"] = time.perf_counter() - t0
            out["bundle_mb"] = sum(len(b) for b in bundle.files.values()) / 1e6
            out["bundle_files"] = len(bundle.files)
            t0 = time.perf_counter()
            fut = client.scatter(bundle, broadcast=True, hash=False)
            client.wait_for_workers(2)
            out["scatter_s"] = time.perf_counter() - t0
            del fut
    finally:
        client.close()
        cluster.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wards", default="all", help="'all' (the whole demo batch) or a number of wards")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--payload-kb", type=int, default=250)
    ap.add_argument("--model-reports", type=int, default=3300)
    ap.add_argument("--model-workers", type=int, default=50)
    ap.add_argument("--pair", action="store_true",
                    help="only pool 2 vs Dask 2, alternating run by run (load drift hits both), to reports_dask_pair.md")
    a = ap.parse_args()
    if a.pair:
        return pair(a)
    load0, started = os.getloadavg(), time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    if a.wards == "all":
        wards = "all"
    else:
        from wijklib.report import evaluations
        from wijklib.report.settings import load_config

        wards = ",".join(code for code, _ in evaluations.geography_units(load_config(CONFIG))[: int(a.wards)])
    _instrument_dask()
    _run(wards, 2, None)  # warm-up: evaluation cache and kernel spec
    setups = [("process pool, 1 worker", 1, None), ("process pool, 2 workers", 2, None),
              ("Dask LocalCluster, 1 worker", 1, "local"), ("Dask LocalCluster, 2 workers", 2, "local")]
    rows = []
    for name, jobs, sched in setups:
        runs = []
        for _ in range(a.repeat):
            runs.append(_run(wards, jobs, sched))
            print(name, runs[-1], flush=True)
        rows.append((name, jobs, sched, runs))
    ov = overhead(a.tasks, a.payload_kb * 1000, _DASK_LOG.get("bundle_folder"))
    print(ov, flush=True)
    load1 = os.getloadavg()

    med = lambda runs, k: statistics.median(r[k] for r in runs)  # noqa: E731
    n_rep = rows[0][3][0]["reports"]
    pool2 = med(rows[1][3], "wall")
    lines = [
        "# Report batch: process pool vs Dask LocalCluster, and a model for 3,300 reports",
        "",
        f"Command: `PYTHONPATH=. .venv/bin/python -m benchmarks.bench_reports_dask --wards {a.wards} "
        f"--repeat {a.repeat} --tasks {a.tasks} --payload-kb {a.payload_kb}` ({platform.node()}, "
        f"{os.cpu_count()} cores shared with other jobs, {platform.python_version()}, started {started} UTC, "
        f"finished {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; load average (1/5/15 min) "
        f"{' / '.join(f'{x:.2f}' for x in load0)} at the start, {' / '.join(f'{x:.2f}' for x in load1)} at the end).",
        "",
        f"## Scaling: the demo batch ({n_rep} reports per run: `wards={a.wards}`, PDF)",
        "",
        "Evaluation cache warm (one warm-up run first), every run rebuilds all reports (`force=True`) into a "
        f"fresh folder; median of {a.repeat} runs in one process. A LocalCluster is started and stopped inside "
        "every Dask run (start-up included in the wall time). CPU (tree) = this process plus every descendant "
        "process sampled with psutil every 0.05 s; CPU (getrusage) = this process plus its waited-for children, "
        "which does not see the Dask workers' kernels; CPU (workers) = this process plus every Dask worker's "
        "own and waited-for children's CPU (its kernels), read with `client.run` just before the cluster closes.",
        "",
        "| backend | wall (s, median) | runs (s) | vs pool 2 | CPU tree (s) | CPU getrusage (s) | CPU workers (s) | CPU per report (s, tree) | Dask start-up (s) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, _jobs, sched, runs in rows:
        wall, cpu = med(runs, "wall"), med(runs, "tree_cpu")
        st = f"{med(runs, 'startup'):.1f}" if sched else ""
        wc = f"{med(runs, 'worker_cpu'):.1f}" if sched else ""
        lines.append(f"| {name} | {wall:.1f} | {', '.join(format(r['wall'], '.1f') for r in runs)} | {wall / pool2:.2f}x | "
                     f"{cpu:.1f} | {med(runs, 'rusage_cpu'):.1f} | {wc} | {cpu / n_rep:.2f} | {st} |")
    d1, d2 = med(rows[2][3], "wall"), med(rows[3][3], "wall")
    p1 = med(rows[0][3], "wall")
    lines += [
        "",
        f"Speed-up from 1 to 2 workers: process pool {p1 / pool2:.2f}x, Dask {d1 / d2:.2f}x. "
        f"Dask with 2 workers / process pool with 2 workers: {d2 / pool2:.2f}x (goal: within 1.2x).",
        "",
        "## Dask overhead, measured directly",
        "",
        f"A fresh LocalCluster of 2 single-threaded worker processes, configured as the runner's. Start-up "
        f"(cluster + client + both workers up): {ov['startup_s']:.2f} s.",
        "",
        "| what | seconds per task |",
        "|---|---:|",
        f"| {a.tasks} no-op tasks, one `client.map` (scheduler throughput) | {ov['noop_map_s'] * 1e3:.2f} ms |",
        f"| {a.tasks} tasks returning {a.payload_kb} kB, one `client.map` + gather | {ov['payload_map_s'] * 1e3:.2f} ms |",
        f"| {ov['flight_tasks']} no-op tasks, at most 1 per worker in flight (as the runner submits) | {ov['noop_flight_s'] * 1e3:.2f} ms |",
        f"| {ov['flight_tasks']} tasks returning {a.payload_kb} kB, at most 1 per worker in flight | {ov['payload_flight_s'] * 1e3:.2f} ms |",
    ]
    if "scatter_s" in ov:
        lines += [
            "",
            f"What the runner sends: the batch's prepared evaluation cache as one `CacheBundle` "
            f"({ov['bundle_files']} files, {ov['bundle_mb']:.1f} MB), read in {ov['bundle_read_s']:.2f} s and "
            f"scattered to both workers (`broadcast=True`) in {ov['scatter_s']:.2f} s; each task then carries "
            "only the job description, and returns its outputs (the PDF and the executed notebook) as bytes.",
        ]
    # the model
    n, w = a.model_reports, a.model_workers
    cpu_rep = max(med(rows[3][3], "tree_cpu"), med(rows[3][3], "worker_cpu")) / n_rep
    per_task = max(ov["payload_map_s"], ov["payload_flight_s"] / 2)
    startup = med(rows[3][3], "startup")
    scatter = ov.get("scatter_s", 0.0) * w / 2
    t_work, t_sched = cpu_rep * n / w, per_task * n
    total = t_work + t_sched + startup + scatter
    check = cpu_rep * n_rep / 2 + per_task * n_rep + startup + ov.get("scatter_s", 0.0)
    lines += [
        "",
        f"## Model: {n:,} reports on {w} workers",
        "",
        "T = CPU per report x reports / workers + scheduler cost per task x reports + start-up + scatter, "
        "every term from this run:",
        "",
        f"- CPU per report: {cpu_rep:.2f} s (the larger of CPU tree and CPU workers of the 2-worker Dask batch / {n_rep} "
        "reports, which includes the parent's and the workers' own share) -> "
        f"{cpu_rep:.2f} x {n:,} / {w} = {t_work:.0f} s",
        f"- scheduler cost per task: {per_task * 1e3:.2f} ms (the larger of the {a.payload_kb} kB map time per task "
        "and half the in-flight round trip, i.e. per worker), counted as if it were serial on the scheduler -> "
        f"{per_task * 1e3:.2f} ms x {n:,} = {t_sched:.1f} s",
        f"- start-up: {startup:.1f} s (the 2-worker LocalCluster inside the runner, median; a running cluster "
        "costs only the client connection)",
        f"- scatter: {ov.get('scatter_s', 0.0):.2f} s to 2 workers, scaled linearly to {w} workers "
        f"(the scheduler sending the bundle once per worker) -> {scatter:.1f} s",
        f"- **T = {t_work:.0f} + {t_sched:.1f} + {startup:.1f} + {scatter:.1f} = {total:.0f} s "
        f"({total / 60:.1f} min)**, of which the reports' own CPU is {100 * t_work / total:.0f}%.",
        "",
        f"Check of the model on this machine: the same formula for {n_rep} reports on 2 workers predicts "
        f"{check:.0f} s; measured {d2:.0f} s (the difference is what the model leaves out: two workers sharing "
        "2 cores with the parent process and other jobs, and the tail where one worker idles).",
        "",
        "Assumptions: workers as fast as this machine's cores (one core and one single-threaded worker per "
        "report at a time), every report about as costly as a demo ward report (a real city's wards may have "
        "more buurten and longer series), the scheduler's per-task cost constant up to "
        f"{w} workers (measured with 2), results (PDF + notebook) shipped back to the client through the "
        "scheduler connection as here (no shared storage needed; with shared storage the payload term shrinks "
        "to the no-op one), the evaluation cache prepared once beforehand on the client (not in T: for "
        "3,300 wijken the monitor evaluation itself takes minutes, see `national.md`), and no straggler tail "
        f"(the last wave of {w} reports finishes together).",
    ]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def pair(a: argparse.Namespace) -> None:
    """Process pool (2 workers) and Dask LocalCluster (2 workers) alternating, with the load at every run."""
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    _instrument_dask()
    _run(a.wards, 2, None)  # warm-up
    runs: dict[str, list[dict]] = {"process pool, 2 workers": [], "Dask LocalCluster, 2 workers": []}
    for _ in range(a.repeat):
        for name, sched in (("process pool, 2 workers", None), ("Dask LocalCluster, 2 workers", "local")):
            load = os.getloadavg()[0]
            runs[name].append(_run(a.wards, 2, sched) | {"load": load})
            print(name, runs[name][-1], flush=True)
    lines = [
        "# Report batch: process pool vs Dask LocalCluster, 2 workers each, alternating",
        "",
        f"Command: `PYTHONPATH=. .venv/bin/python -m benchmarks.bench_reports_dask --pair --wards {a.wards} "
        f"--repeat {a.repeat}` ({platform.node()}, {os.cpu_count()} cores shared with other jobs, started {started} "
        f"UTC, finished {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC). The two backends alternate run by "
        "run so that a change in the machine's load hits both; CPU = psutil tree (see reports_dask.md).",
        "",
        "| backend | run | 1-min load average at its start | wall (s) | CPU tree (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, rs in runs.items():
        for i, r in enumerate(rs, 1):
            lines.append(f"| {name} | {i} | {r['load']:.2f} | {r['wall']:.1f} | {r['tree_cpu']:.1f} |")
    p2 = statistics.median(r["wall"] for r in runs["process pool, 2 workers"])
    d2 = statistics.median(r["wall"] for r in runs["Dask LocalCluster, 2 workers"])
    lines += ["", f"Median wall: process pool {p2:.1f} s, Dask {d2:.1f} s, Dask / pool {d2 / p2:.2f}x (goal: within 1.2x)."]
    (RESULTS.parent / "reports_dask_pair.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
