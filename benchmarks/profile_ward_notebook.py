"""cProfile of the ward notebook's code in an in-process IPython shell (warm: first ward not counted)."""
import cProfile, glob, os, pstats, sys, time
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
cache = os.environ.get("PROF_CACHE") or sorted(glob.glob("data/processed/report_cache/demo_2025_*"), key=os.path.getmtime)[-1]
os.environ["WIJKLIB_REPORT_CACHE_DIR"] = os.path.abspath(cache)
import nbformat
from IPython.core.interactiveshell import InteractiveShell
sh = InteractiveShell.instance()
sh.run_cell("%matplotlib inline")
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
        if r.error_in_exec: raise r.error_in_exec
    if i:
        prof.disable()
    print(w, f"wall {time.perf_counter()-t:.2f} cpu {time.process_time()-c:.2f}", file=sys.stderr)
prof.dump_stats("/tmp/w15/nb.prof")
st = pstats.Stats("/tmp/w15/nb.prof"); st.sort_stats("cumulative").print_stats(60)
