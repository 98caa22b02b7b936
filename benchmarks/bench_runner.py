"""Benchmark the experiment runner on the whole tabular grid and print a Markdown table.

Grid: every registered algorithm x {cifar10, cifar100, ImageNet16-120} x 30 seeds at 500 evaluations, plus (when
``nasbench_eval.problems.hw`` exists) the constrained HW problems on the four complete devices (raspi4, pixel3,
eyeriss, fpga; latency, cifar10) x 9 quantile thresholds (0.1..0.9) for every algorithm that can run them.

Measured: wall time with the serial backend and with joblib (loky, ``--jobs`` workers, default 2), the time spent
in the algorithms' search loops (sum of ``runs.wall_seconds``: ask/tell + tabular evaluation), and the time outside
them: per-cell overhead (problem lookup, tables, part files), the merge into Parquet, and the statistics
(summaries, Wilcoxon + Holm, Friedman + Nemenyi, anytime curves) over the whole store.

    python benchmarks/bench_runner.py                 # full grid, serial + joblib
    python benchmarks/bench_runner.py --skip-serial   # joblib only
    python benchmarks/bench_runner.py --seeds 5 --evals 100 --no-hw   # a quick look
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

DEVICES = ("raspi4", "pixel3", "eyeriss", "fpga")
QUANTILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def runs_on(name: str, problem) -> bool:
    """Whether algorithm ``name`` (default parameters) sets up on ``problem`` (e.g. HW-only algorithms do not run
    on a plain accuracy problem)."""
    import numpy as np

    from nasbench_eval.errors import NasbenchEvalError
    from nasbench_eval.search import get_algorithm

    try:
        get_algorithm(name)().setup(problem, np.random.default_rng(0))
        return True
    except (NasbenchEvalError, ValueError):
        return False


def grid_specs(seeds: int, evals: int, hw: bool, exclude=()) -> list:
    from nasbench_eval.runner import parse_spec
    from nasbench_eval.runner.cell import build_problem
    from nasbench_eval.search import available

    nb = build_problem({"type": "nb201", "dataset": "cifar10", "fitness": "valid"})
    algos = [a for a in available() if a not in exclude and runs_on(a, nb)]
    base = {"root_seed": 2024, "seeds": seeds, "budget": {"evaluations": evals}}
    specs = [parse_spec({**base, "name": "tabular", "algorithms": algos,
                         "problems": [{"type": "nb201", "dataset": d}
                                      for d in ("cifar10", "cifar100", "ImageNet16-120")]})]
    if hw:
        try:
            import nasbench_eval.problems.hw  # noqa: F401
        except ImportError:
            return specs
        hwp = build_problem({"type": "hw", "dataset": "cifar10", "device": "fpga", "metric": "latency",
                             "kind": "constrained", "quantile": 0.5, "threshold": None})
        so = [a for a in available() if a not in exclude and runs_on(a, hwp)]
        specs.append(parse_spec({**base, "name": "hw", "algorithms": so,
                                 "problems": [{"type": "hw", "dataset": "cifar10", "device": d, "metric": "latency",
                                               "quantile": q} for d in DEVICES for q in QUANTILES]}))
    return specs


def run_grid(specs, backend: str, jobs: int, root: Path) -> dict:
    from nasbench_eval.runner import load_results, run_experiment

    t0 = time.perf_counter()
    algo_s = merge_s = 0.0
    cells = 0
    for s in specs:
        out = root / f"{s.name}-{backend}"
        r = run_experiment(s, out, backend=backend, jobs=jobs, progress=False)
        merge_s += r["merge_seconds"]
        cells += r["cells"]
        algo_s += float(load_results(out).runs["wall_seconds"].sum())
    wall = time.perf_counter() - t0
    t1 = time.perf_counter()
    for s in specs:
        stats_pass(load_results(root / f"{s.name}-{backend}"))
    stats_s = time.perf_counter() - t1
    return {"backend": backend, "jobs": jobs, "cells": cells, "wall": wall, "algo": algo_s, "merge": merge_s,
            "stats": stats_s}


def stats_pass(res) -> None:
    from nasbench_eval import stats

    v = stats.final_values(res.runs, "test_acc")
    stats.summarize(v)
    stats.compare_to_baseline(v, v["algorithm"].iloc[0])
    if v["algorithm"].nunique() >= 2:
        stats.friedman_nemenyi(v)
    stats.anytime(res.evaluations, "test_acc")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--evals", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-hw", action="store_true")
    ap.add_argument("--exclude", action="append", default=[], help="leave an algorithm out (repeatable), e.g. "
                    "rminas (about 10-20 s per 500-evaluation run: it alone exceeds the 5-minute target)")
    ap.add_argument("--skip-serial", action="store_true")
    ap.add_argument("--keep", help="keep the result folders here (default: a temporary folder)")
    args = ap.parse_args(argv)
    specs = grid_specs(args.seeds, args.evals, not args.no_hw, tuple(args.exclude))
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_runner_"))
    rows = []
    try:
        for backend, jobs in ([] if args.skip_serial else [("serial", 1)]) + [("joblib", args.jobs)]:
            rows.append(run_grid(specs, backend, jobs, root))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    grid = " + ".join(f"{s.name}: {len(s.algorithms)} algorithms x {len(s.problems)} problems x {len(s.seeds)} seeds"
                      for s in specs)
    print(f"\nGrid ({args.evals} evaluations per run; {os.cpu_count()} CPUs visible): {grid}\n")
    print("| backend | workers | cells | wall (s) | in algorithms (CPU s) | merge (s) | stats (s) | "
          "outside algorithms |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        total = r["wall"] * r["jobs"] + r["stats"]  # worker-seconds available + the stats pass
        outside = 1 - r["algo"] / total
        print(f"| {r['backend']} | {r['jobs']} | {r['cells']} | {r['wall']:.1f} | {r['algo']:.1f} | "
              f"{r['merge']:.1f} | {r['stats']:.1f} | {100 * outside:.0f}% |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
