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
    python benchmarks/bench_runner.py --grid240 --no-grid   # the runner ratio only (see below)
    python benchmarks/bench_runner.py --grid240 --no-grid --warm-workers  # the same, workers kept between runs
    python benchmarks/bench_runner.py --grid240 --no-grid --worker-kinds  # forked vs loky workers, interleaved
    python benchmarks/bench_runner.py --rmi-score --no-grid # `rmi score` from its cache, before / after
    python benchmarks/bench_runner.py --cell-overhead --no-grid  # ms per cell outside the algorithm

``--grid240``: 4 algorithms (random, rea, evnas, nsga2) x 3 datasets x 20 seeds at 500 evaluations, run as a
plain in-process loop over the cells (no result folder: the baseline) and with ``run --backend joblib --jobs 2``
(fresh result folder and fresh worker processes: provenance, worker start-up, chunk writes and the merge included),
``--repeats`` times interleaved; prints the medians, every repeat and the ratio (goal <= 0.7). ``--rmi-score``: the
same cached ``rmi score`` request in a fresh process, once the normal way (torch
imported, reference and data loaded, fingerprint computed) and once answered from the cache (no torch). Each
section prints the 1-minute load average before and after: on a shared machine other processes take cores, so
compare ratios measured in one run only.
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
    per_algo: dict[str, float] = {}
    for s in specs:
        out = root / f"{s.name}-{backend}"
        r = run_experiment(s, out, backend=backend, jobs=jobs, progress=False)
        merge_s += r["merge_seconds"]
        cells += r["cells"]
        runs = load_results(out).runs
        algo_s += float(runs["wall_seconds"].sum())
        for a, v in runs.groupby("algorithm")["wall_seconds"].sum().items():
            per_algo[a] = per_algo.get(a, 0.0) + float(v)
    wall = time.perf_counter() - t0
    t1 = time.perf_counter()
    for s in specs:
        stats_pass(load_results(root / f"{s.name}-{backend}"))
    stats_s = time.perf_counter() - t1
    return {"backend": backend, "jobs": jobs, "cells": cells, "wall": wall, "algo": algo_s, "merge": merge_s,
            "stats": stats_s, "per_algo": per_algo}


def machine_speed() -> float:
    """Microseconds per evaluation of the minimal REA loop (benchmarks/bench_overhead.py), best of 5: how fast this
    machine is at the moment (a shared machine's speed drifts by tens of percent between runs)."""
    import sys

    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_overhead import minimal_rea

    from nasbench_eval.tables.columns import dataset_view
    from nasbench_eval.tables.locate import get_store

    valid = np.asarray(get_store().column(dataset_view("cifar10").valid), dtype=float)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        minimal_rea(valid, 1000, 0)
        best = min(best, time.perf_counter() - t0)
    return best / 1000 * 1e6


def stats_pass(res) -> None:
    from nasbench_eval import stats

    v = stats.final_values(res.runs, "test_acc")
    stats.summarize(v)
    stats.compare_to_baseline(v, v["algorithm"].iloc[0])
    if v["algorithm"].nunique() >= 2:
        stats.friedman_nemenyi(v)
    stats.anytime(res.evaluations, "test_acc")


GRID240 = ("random", "rea", "evnas", "nsga2")


def grid240(root: Path, jobs: int, repeats: int = 3, warm: bool = False, worker_kinds: bool = False) -> None:
    """The in-process loop vs ``run --backend joblib --jobs JOBS`` on the 240-cell grid, side by side, ``repeats``
    times interleaved (each joblib run into a fresh folder, fresh worker processes); medians and their ratio.
    ``warm``: the workers of one warm-up run are kept for all runs (a second run in the same Python session).
    ``worker_kinds``: each repeat runs joblib twice, with forked workers and with loky workers (the fork switched
    off), and prints both, with the CPU seconds spent inside the algorithms (sum of the runs' ``wall_seconds``)."""
    import statistics

    from joblib.externals.loky import get_reusable_executor

    import nasbench_eval.runner.backends as backends
    from nasbench_eval.runner import load_results, parse_spec, run_experiment
    from nasbench_eval.runner.cell import cell_tables
    from nasbench_eval.runner.experiment import cell_seeds

    spec = parse_spec({"name": "grid240", "root_seed": 2024, "seeds": 20, "budget": {"evaluations": 500},
                       "algorithms": list(GRID240), "problems": [{"type": "nb201", "dataset": d}
                                                                  for d in ("cifar10", "cifar100", "ImageNet16-120")]})
    load0 = os.getloadavg()[0]
    seeds = cell_seeds(spec.root_seed, spec.n_cells)
    kinds = ("forked where safe", "loky") if worker_kinds else ("default",)
    safe = backends.fork_is_safe
    loops, pars, merges, algos = [], {k: [] for k in kinds}, {k: [] for k in kinds}, {k: [] for k in kinds}
    if warm:
        run_experiment(spec, root / "grid240-warm-up", backend="joblib", jobs=jobs, progress=False)
    try:
        for i in range(repeats):
            t0 = time.perf_counter()
            for c in spec.cells():
                cell_tables(c, seeds[c.cell], spec.budget)
            loops.append(time.perf_counter() - t0)
            for k in kinds:
                backends.fork_is_safe = (lambda work: False) if k == "loky" else safe
                if not warm:
                    get_reusable_executor().shutdown(wait=True)  # every joblib run starts its own worker processes
                out = root / f"grid240-joblib-{i}-{kinds.index(k)}"
                t0 = time.perf_counter()
                r = run_experiment(spec, out, backend="joblib", jobs=jobs, progress=False)
                pars[k].append(time.perf_counter() - t0)
                merges[k].append(r["merge_seconds"])
                algos[k].append(float(load_results(out).runs["wall_seconds"].sum()))
    finally:
        backends.fork_is_safe = safe
    loop = statistics.median(loops)
    print(f"\n240-cell grid ({spec.n_cells} cells: random, rea, evnas, nsga2 x 3 datasets x 20 seeds, 500 evaluations;"
          f" {repeats} interleaved repeats, medians; {'warm workers kept' if warm else 'fresh workers each run'};"
          f" load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after; {os.cpu_count()} CPUs visible)\n")
    print("| what | wall (s), median | each repeat (s) | ratio to the loop |\n|---|---|---|---|")
    print(f"| in-process loop over the cells (baseline) | {loop:.1f} | {', '.join(f'{x:.1f}' for x in loops)} | 1.00 |")
    for k in kinds:
        par = statistics.median(pars[k])
        what = f"`run --backend joblib --jobs {jobs}`" + ("" if k == "default" else f", {k} workers")
        print(f"| {what} (merge {statistics.median(merges[k]):.1f} s, {statistics.median(algos[k]):.2f} CPU-s in "
              f"the algorithms) | {par:.1f} | {', '.join(f'{x:.1f}' for x in pars[k])} | {par / loop:.2f} (goal <= "
              f"0.7; per repeat {', '.join(f'{p / l:.2f}' for p, l in zip(pars[k], loops))}) |")


def cell_overhead(root: Path, n: int = 300) -> None:
    """Per cell, outside the algorithm: building its tables (``cell_tables`` minus the run's own wall time) and
    writing them (chunks of 64 cells), on the first ``n`` HW cells of a 2-seed grid (warm: the problems are built
    before timing)."""
    from nasbench_eval.runner.cell import cell_tables
    from nasbench_eval.runner.experiment import cell_seeds
    from nasbench_eval.runner.store import ResultStore

    spec = grid_specs(2, 500, True, ("rminas", "optuna-tpe", "local-search", "reinforce"))[1]
    seeds = cell_seeds(spec.root_seed, spec.n_cells)
    cells = list(spec.cells())[:n]
    for c in cells[::11]:  # every problem and algorithm once, so that no build is timed
        cell_tables(c, seeds[c.cell], spec.budget)
    out, inside = [], 0.0
    t0 = time.perf_counter()
    for c in cells:
        tables = cell_tables(c, seeds[c.cell], spec.budget)
        inside += float(tables["runs"]["wall_seconds"][0])
        out.append((c.cell, tables))
    tables_ms = (time.perf_counter() - t0 - inside) / len(cells) * 1e3
    store = ResultStore(root / "cell-overhead")
    store.parts.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for i in range(0, len(out), 64):
        store.write_chunk(out[i:i + 64])
    write_ms = (time.perf_counter() - t0) / len(cells) * 1e3
    print(f"\nPer cell outside the algorithm ({len(cells)} HW cells, 500 evaluations; load average "
          f"{os.getloadavg()[0]:.1f}): tables {tables_ms:.2f} ms, chunk write {write_ms:.2f} ms, "
          f"total {tables_ms + write_ms:.2f} ms")


def rmi_score(root: Path) -> None:
    """A cached ``rmi score`` request in a fresh process: the normal path vs the cache-only answer."""
    import json
    import subprocess
    import sys

    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    ckpt, cache = root / "ref.pt", root / "rmi.jsonl"
    tiny = ["--C", "4", "--N", "1", "--device", "cpu", "--threads", "1"]

    def cli(*args) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nasbench_eval", *map(str, args)], check=True, capture_output=True)
        return time.perf_counter() - t0

    load0 = os.getloadavg()[0]
    cli("rmi", "train-reference", "--dataset", "digits", "--out", ckpt, "--arch", arch, "--epochs", "1", *tiny)
    score = ("rmi", "score", "--reference", ckpt, "--cache", cache, "--batch-size", "32", "--steps", "3", *tiny, arch)
    cli(*score)  # fills the cache (score + request records)
    lines = cache.read_text().splitlines()
    scores_only = "".join(x + "\n" for x in lines if "request" not in json.loads(x))
    normal, fast = [], []
    for _ in range(3):
        cache.write_text(scores_only)  # no request record: cached score, reached the normal way
        normal.append(cli(*score))
        fast.append(cli(*score))  # the request record written by the previous call: cache only
    print(f"\n`rmi score` of one cached arch (digits reference; median of 3 fresh processes; load average "
          f"{load0:.1f} before, {os.getloadavg()[0]:.1f} after)\n")
    print("| path | wall (s) |\n|---|---|")
    print(f"| normal (torch, reference and data loaded, fingerprint computed) | {sorted(normal)[1]:.2f} |")
    print(f"| answered from the cache (no torch) | {sorted(fast)[1]:.2f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--evals", type=int, default=500)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-hw", action="store_true")
    ap.add_argument("--exclude", action="append", default=[], help="leave an algorithm out (repeatable), e.g. "
                    "rminas")
    ap.add_argument("--skip-serial", action="store_true")
    ap.add_argument("--keep", help="keep the result folders here (default: a temporary folder)")
    ap.add_argument("--grid240", action="store_true", help="also: the 240-cell in-process loop vs joblib ratio")
    ap.add_argument("--repeats", type=int, default=3, help="--grid240: interleaved repeats (medians reported)")
    ap.add_argument("--warm-workers", action="store_true", help="--grid240: keep the workers of a warm-up run")
    ap.add_argument("--worker-kinds", action="store_true", help="--grid240: forked and loky workers side by side")
    ap.add_argument("--rmi-score", action="store_true", help="also: `rmi score` from its cache, before / after")
    ap.add_argument("--cell-overhead", action="store_true", help="also: ms per cell outside the algorithm (tables, "
                    "chunk writes)")
    ap.add_argument("--no-grid", action="store_true", help="skip the full grid")
    args = ap.parse_args(argv)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_runner_"))
    rows = []
    try:
        if args.grid240:
            grid240(root, args.jobs, args.repeats, args.warm_workers, args.worker_kinds)
        if args.rmi_score:
            rmi_score(root)
        if args.cell_overhead:
            cell_overhead(root)
        if args.no_grid:
            return 0
        specs = grid_specs(args.seeds, args.evals, not args.no_hw, tuple(args.exclude))
        load0 = os.getloadavg()[0]
        speed0 = machine_speed()
        for backend, jobs in ([] if args.skip_serial else [("serial", 1)]) + [("joblib", args.jobs)]:
            rows.append(run_grid(specs, backend, jobs, root))
        speed1 = machine_speed()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    grid = " + ".join(f"{s.name}: {len(s.algorithms)} algorithms x {len(s.problems)} problems x {len(s.seeds)} seeds"
                      for s in specs)
    print(f"\nGrid ({args.evals} evaluations per run; {os.cpu_count()} CPUs visible; load average {load0:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after): {grid}\n")
    print(f"Machine speed (the minimal REA loop of bench_overhead.py, 1,000 evaluations, best of 5): {speed0:.1f} us "
          f"per evaluation before the grid, {speed1:.1f} after (compare grid times only at similar speeds)\n")
    print("| backend | workers | cells | wall (s) | in algorithms (CPU s) | merge (s) | stats (s) | "
          "outside algorithms |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        total = r["wall"] * r["jobs"] + r["stats"]  # worker-seconds available + the stats pass
        outside = 1 - r["algo"] / total
        print(f"| {r['backend']} | {r['jobs']} | {r['cells']} | {r['wall']:.1f} | {r['algo']:.1f} | "
              f"{r['merge']:.1f} | {r['stats']:.1f} | {100 * outside:.0f}% |")
    for r in rows:
        parts = sorted(r["per_algo"].items(), key=lambda kv: -kv[1])
        print(f"\nCPU s inside the algorithms ({r['backend']}): " + ", ".join(
            f"{a} {v:.1f} ({100 * v / r['algo']:.0f}%)" for a, v in parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
