"""cProfile of the ward notebook's code in one warm in-process IPython shell (the first ward warms up).

Usage::

    PROF_CACHE=data/processed/report_cache/demo_2025_<key> \\
        python benchmarks/profile_ward_notebook.py tarwewijk,bloemhof,carnisse,charlois-zuidrand

Prints CPU seconds per ward (under the profiler) on stderr and the cumulative profile on stdout;
numbers of the last run are in ``benchmarks/results/report_cost.md``.
"""

import cProfile
import glob
import os
import pstats
import sys
import tempfile
import time

import nbformat
from IPython.core.interactiveshell import InteractiveShell

os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
cache = os.environ.get("PROF_CACHE") or sorted(glob.glob("data/processed/report_cache/demo_2025_*"),
                                               key=os.path.getmtime)[-1]
os.environ["WIJKLIB_REPORT_CACHE_DIR"] = os.path.abspath(cache)
sh = InteractiveShell.instance()
nb = nbformat.read("notebooks/wijkrapport.ipynb", 4)
cells = [c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
wards = sys.argv[1].split(",")
prof = cProfile.Profile()
for i, w in enumerate(wards):
    sh.run_cell("get_ipython().run_line_magic('reset', '-f')")
    sh.run_cell(f"wijkraad={w!r}; wijk=''; jaar=2025; config_path='config/demo.yaml'")
    t, c = time.perf_counter(), time.process_time()
    if i:
        prof.enable()
    for src in cells:
        r = sh.run_cell(src)
        if r.error_in_exec:
            raise r.error_in_exec
    if i:
        prof.disable()
    print(w, f"wall {time.perf_counter() - t:.2f} cpu {time.process_time() - c:.2f}", file=sys.stderr)
out = os.path.join(tempfile.gettempdir(), "wijklib-ward-notebook.prof")
prof.dump_stats(out)
pstats.Stats(out).sort_stats("cumulative").print_stats(60)
