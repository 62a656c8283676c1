"""Run the peer py-did-multiplegt-dyn (its own venv) on the benchmark configurations; print JSON.

Invoked by ``benchmarks/bench_dcdh.py`` as a separate process:
``benchmarks/_work/venv_dcdh/bin/python benchmarks/_dcdh_peer.py CONFIG_JSON``.
"""

import contextlib
import io
import json
import sys
import time
import warnings

import pandas as pd
import polars as pl

# The port calls pl.count() without arguments, which the polars the pip resolver installs (1.x)
# no longer accepts; pl.len() is its documented replacement. Shim it so unclustered runs work.
_count = pl.count
pl.count = lambda *a, **k: pl.len() if not a and not k else _count(*a, **k)

from did_multiplegt_dyn import DidMultiplegtDyn  # noqa: E402

warnings.filterwarnings("ignore")
cfg = json.loads(sys.argv[1])
df = pl.read_csv(cfg.pop("csv"), ignore_errors=True, null_values=["", "NA"])
t0 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    m = DidMultiplegtDyn(df=df, **cfg)
    m.fit()
secs = time.perf_counter() - t0
dyn = m.result["did_multiplegt_dyn"]
rows = []
for block in ("Effects", "ATE", "Placebos"):
    obj = dyn.get(block)
    if obj is None:
        continue
    obj = obj if isinstance(obj, pd.DataFrame) else pd.DataFrame(obj)
    for name, r in obj.iterrows():
        rows.append({"term": str(name).strip(), **{str(k): (float(v) if v is not None else None)
                                                    for k, v in r.items()}})
print(json.dumps({"seconds": secs, "rows": rows}))
