"""Benchmark the built store against the naive path (pandas on the source CSVs).

Measures (each cold number is the median over fresh ``python -c`` processes):

- cold load: ``import nasbench_eval.tables`` + ``get_store()`` + the first lookup, timed inside a fresh process
  (interpreter start-up reported separately), and that process's peak RSS (``ru_maxrss``);
- warm load: ``load_store`` again in a process that has already imported everything; ``get_store`` cached;
- vectorised lookups per second: ``store.lookup(cols, idx)`` and direct column indexing ``store.column(c)[idx]``
  for 1e6 / 1e7 random indices x 1 / 3 columns (a "lookup" = one value for one arch and one column);
- naive path: ``pandas.read_csv`` of the merged source CSV (cold process, time + RSS), per-row ``df.loc`` lookups
  and vectorised ``df.iloc``.

Usage: ``python benchmarks/bench_store.py [--store DIR] [--source DIR] [--out FILE] [--repeats 5] [--quick]``
Targets (issue 2): load < 50 ms, peak RSS < 100 MB, >= 10 M lookups/s.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

COLS = ("cifar100/valid_acc_200ep/nb201-v1_1", "cifar10/fpga_latency_ms/hw-nas-bench",
        "cifar10/edgegpu_energy_mJ/hw-nas-bench")
CSV_COLS = ("c100_valid_acc", "hw_c10_fpga_latency", "hw_c10_edgegpu_energy")
MERGED = "combined/nb201_hwnas_merged.csv.gz"

# Peak RSS: VmHWM of the child's own address space. ``ru_maxrss`` is reported too, but on Linux it keeps the
# parent's high-water mark across fork + exec, so a child of this (numpy + pandas) process never reads below it.
_CHILD_PRELUDE = """import time, resource, json, sys
t0 = time.perf_counter()
def _hwm_mb():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def _rss():
    return dict(rss_mb=_hwm_mb(), ru_maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
_CHILD_STORE = _CHILD_PRELUDE + """
import numpy
tn = time.perf_counter()
from nasbench_eval.tables import get_store
t1 = time.perf_counter()
s = get_store({store!r}, auto_build=False)
t2 = time.perf_counter()
v = s.lookup([{col!r}], [6111])[0, 0]
t3 = time.perf_counter()
print(json.dumps({{"import_ms": (t1 - t0) * 1e3, "get_store_ms": (t2 - t1) * 1e3, "numpy_ms": (tn - t0) * 1e3,
                  "first_lookup_ms": (t3 - t2) * 1e3, "total_ms": (t3 - t0) * 1e3, **_rss(), "value": float(v),
                  "torch_imported": "torch" in sys.modules, "pandas_imported": "pandas" in sys.modules}}))
"""
_CHILD_NUMPY = _CHILD_PRELUDE + """
import numpy
t1 = time.perf_counter()
print(json.dumps({"total_ms": (t1 - t0) * 1e3, **_rss()}))
"""
_CHILD_EMPTY = _CHILD_PRELUDE + """
print(json.dumps({"total_ms": (time.perf_counter() - t0) * 1e3, **_rss()}))
"""
_CHILD_PANDAS = _CHILD_PRELUDE + """
import pandas as pd
t1 = time.perf_counter()
df = pd.read_csv({csv!r})
t2 = time.perf_counter()
v = df.loc[6111, {col!r}]
t3 = time.perf_counter()
print(json.dumps({{"import_ms": (t1 - t0) * 1e3, "get_store_ms": (t2 - t1) * 1e3,
                  "first_lookup_ms": (t3 - t2) * 1e3, "total_ms": (t3 - t0) * 1e3, **_rss(), "value": float(v)}}))
"""


def _cold(code: str, repeats: int) -> dict:
    """Median of each field over ``repeats`` fresh processes, plus the wall time of the whole process."""
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        wall = (time.perf_counter() - t) * 1e3
        r = json.loads(out.stdout.strip().splitlines()[-1])
        r["process_wall_ms"] = wall
        runs.append(r)
    return {k: (statistics.median(r[k] for r in runs) if isinstance(runs[0][k], float) else runs[0][k])
            for k in runs[0]}


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run(store_dir: Path, source: Path, repeats: int, sizes: list[int]) -> tuple[list[list[str]], dict]:
    import numpy as np
    import pandas as pd

    from nasbench_eval.tables.store import load_store
    from nasbench_eval.tables.locate import get_store

    rows: list[list[str]] = []
    raw: dict = {}
    empty = _cold(_CHILD_EMPTY, repeats)
    base = _cold(_CHILD_NUMPY, repeats)
    cold = _cold(_CHILD_STORE.format(store=str(store_dir), col=COLS[0]), repeats)
    csv = str(source / MERGED)
    naive = _cold(_CHILD_PANDAS.format(csv=csv, col=CSV_COLS[0]), max(1, repeats // 2))
    raw.update(interpreter=empty, numpy_only=base, store_cold=cold, pandas_cold=naive)
    assert abs(cold["value"] - naive["value"]) < 1e-9, "store and CSV disagree on the probe value"

    rows.append(["cold load: import + open + first lookup (in process)", f"{cold['total_ms']:.1f} ms",
                 f"{naive['total_ms']:.0f} ms", "< 50 ms"])
    rows.append(["  of which `import` (numpy + package; pandas for naive)", f"{cold['import_ms']:.1f} ms",
                 f"{naive['import_ms']:.0f} ms", ""])
    rows.append(["  of which `import numpy`", f"{cold['numpy_ms']:.1f} ms", "", ""])
    rows.append(["  => package import + open + first lookup, beyond numpy",
                 f"{cold['total_ms'] - cold['numpy_ms']:.1f} ms", "", "< 50 ms"])
    rows.append(["  of which open store / read CSV", f"{cold['get_store_ms']:.2f} ms",
                 f"{naive['get_store_ms']:.0f} ms", ""])
    rows.append(["  of which first lookup", f"{cold['first_lookup_ms']:.3f} ms",
                 f"{naive['first_lookup_ms']:.3f} ms", ""])
    rows.append(["whole `python -c` process, wall (bare interpreter: "
                 f"{empty['process_wall_ms']:.0f} ms, + numpy: {base['process_wall_ms']:.0f} ms)",
                 f"{cold['process_wall_ms']:.0f} ms", f"{naive['process_wall_ms']:.0f} ms", ""])
    rows.append([f"peak RSS (VmHWM) of that process (bare interpreter {empty['rss_mb']:.0f} MB, + numpy "
                 f"{base['rss_mb']:.0f} MB)", f"{cold['rss_mb']:.0f} MB", f"{naive['rss_mb']:.0f} MB", "< 100 MB"])

    t_warm = _best(lambda: load_store(store_dir), repeats * 4)
    s = get_store(store_dir, auto_build=False)
    t_cached = _best(lambda: get_store(store_dir, auto_build=False), 1000)
    rows.append(["warm `load_store` (package already imported)", f"{t_warm * 1e3:.2f} ms", "", ""])
    rows.append(["warm `get_store` (cached)", f"{t_cached * 1e6:.1f} µs", "", ""])

    df = pd.read_csv(csv)
    rng = np.random.default_rng(0)
    for n in sizes:
        idx = rng.integers(0, s.n_archs, size=n)
        for k in (1, 3):
            names, cnames = list(COLS[:k]), list(CSV_COLS[:k])
            t_lookup = _best(lambda: s.lookup(names, idx), repeats)
            cols = [np.asarray(s.column(c)) for c in names]
            t_direct = _best(lambda: [c[idx] for c in cols], repeats)
            pos = [df.columns.get_loc(c) for c in cnames]
            t_iloc = _best(lambda: df.iloc[idx, pos], max(1, repeats // 2))
            got = s.lookup(names, idx[:1000])
            want = df.iloc[idx[:1000], pos].to_numpy()
            assert np.allclose(got, want, equal_nan=True), "store and CSV disagree"
            vals = n * k
            rows.append([f"`store.lookup` {n:.0e} archs x {k} col", f"{vals / t_lookup / 1e6:.0f} M/s",
                         f"`df.iloc`: {vals / t_iloc / 1e6:.1f} M/s", ">= 10 M/s"])
            rows.append([f"direct `column(c)[idx]` {n:.0e} archs x {k} col", f"{vals / t_direct / 1e6:.0f} M/s",
                         "", ">= 10 M/s"])
            raw[f"lookup_{n}_{k}"] = {"lookup_s": t_lookup, "direct_s": t_direct, "iloc_s": t_iloc}
    n_loc = 20_000
    idx = rng.integers(0, len(df), size=n_loc)
    t0 = time.perf_counter()
    for i in idx:
        df.loc[i, CSV_COLS[0]]
    t_loc = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in idx:
        s.lookup([COLS[0]], [i])
    t_scalar = time.perf_counter() - t0
    rows.append([f"one-at-a-time lookups ({n_loc:,} calls)", f"{n_loc / t_scalar / 1e3:.0f} k/s",
                 f"`df.loc`: {n_loc / t_loc / 1e3:.0f} k/s", ""])
    raw["scalar"] = {"store_s": t_scalar, "loc_s": t_loc, "n": n_loc}
    raw["torch_imported_on_store_path"] = cold["torch_imported"]
    raw["pandas_imported_on_store_path"] = cold["pandas_imported"]
    return rows, raw


def markdown(rows: list[list[str]], header=("measure", "store (npy + json)", "naive (pandas, source CSV)",
                                             "target")) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    from nasbench_eval.tables.build import find_source
    from nasbench_eval.tables.store import default_store_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=None, help="built store (default: the default store folder)")
    ap.add_argument("--source", type=Path, default=None, help="source data folder (default: ../shared/data)")
    ap.add_argument("--out", type=Path, default=None, help="also write the markdown table (and a .json) here")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="1e6 indices only, 3 repeats")
    args = ap.parse_args(argv)
    store_dir = (args.store or default_store_dir()).resolve()
    source = (args.source or find_source()).resolve()
    if not (store_dir / "meta.json").exists():
        print(f"no store at {store_dir}; run `nasbench-eval data build` first", file=sys.stderr)
        return 2
    repeats = 3 if args.quick else args.repeats
    sizes = [1_000_000] if args.quick else [1_000_000, 10_000_000]
    rows, raw = run(store_dir, source, repeats, sizes)
    import platform

    import numpy as np

    head = (f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
            f"store {store_dir}; torch imported on the store path: {raw['torch_imported_on_store_path']}, "
            f"pandas: {raw['pandas_imported_on_store_path']}")
    table = markdown(rows)
    print(head + "\n\n" + table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(head + "\n\n" + table + "\n")
        args.out.with_suffix(".json").write_text(json.dumps(raw, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
