"""Search benchmark: wall time per run and search quality of every registered algorithm on NAS-Bench-201.

    python benchmarks/bench_search.py --out benchmarks/results/bench_search.md
    python benchmarks/bench_search.py --algorithms evnas cmanas --seeds 5 --out /tmp/b.md

1. Timing: wall seconds of one ``run(algo, nb201_problem("cifar10"), 1000 evaluations)``, median of
   ``--timing-repeats`` seeds (after one warm-up run), BLAS limited to one thread (set before numpy is imported).
2. Quality: over ``--seeds`` seeds (0..N-1) and a budget of ``--budget`` evaluations (default 500) per dataset,
   mean +- std (ddof=1) of the 200-epoch TEST accuracy of each run's answer (chosen from validation accuracy only),
   next to the exhaustive optimum of the same table (test accuracy of the best-by-validation architecture, and the
   table's max test accuracy) and the published numbers (the NB201 results table of the NB201 paper, Dong & Yang,
   ICLR 2020, and those of the EvNAS, CMANAS, pEvoNAS and NEvoNAS papers).

Protocol differences with the published numbers: our fitness is NB201's 200-epoch validation accuracy and the
budget counts evaluations; the NB201 paper's baselines (REA, RS, REINFORCE, BOHB) used 12-epoch validation
accuracy of a random seed under a simulated 12,000 s time budget (500 runs); the four Sinha & Chen methods were
published with weight-sharing supernets (except CMANAS-h12: 12-epoch tabular fitness, 25 generations), and NEvoNAS
selected its answer from the final front by test accuracy, which we never do.

Algorithms that need a hardware-aware problem (``battery_problem = "hw"``) or cannot run on the accuracy problem are
listed as skipped. Extra configurations: ``name[key=value,key=value]`` (values parsed as Python literals), e.g.
``cmanas[generations=None]``.
"""
from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import ast  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
DEFAULT_EXTRA = ("cmanas[generations=None]",)

# Published NB201 test accuracy (mean, std) per dataset, with the protocol they were obtained under: REA / RS /
# REINFORCE / BOHB from the NB201 paper's results table (Dong & Yang, ICLR 2020), the others from each paper's NB201
# table (EvNAS arXiv 2012.12540, CMANAS arXiv 2107.07266, pEvoNAS arXiv 2203.01559, NEvoNAS arXiv 2204.00188).
PAPER = {
    "rea": ((93.92, 0.30), (71.84, 0.99), (45.54, 1.03), "NB201 paper, 12-ep fitness, 12,000 s budget"),
    "random": ((93.70, 0.36), (71.04, 1.07), (44.57, 1.25), "NB201 paper, 12-ep fitness, 12,000 s budget"),
    "reinforce": ((93.85, 0.37), (71.71, 1.09), (45.24, 1.18), "NB201 paper, 12-ep fitness, 12,000 s budget"),
    "bohb": ((93.61, 0.52), (70.85, 1.28), (44.42, 1.49), "NB201 paper, 12-ep fitness, 12,000 s budget"),
    "evnas": ((92.18, 1.11), (66.74, 3.08), (39.00, 0.44), "EvNAS, weight-sharing supernet"),
    "cmanas": ((94.00, 0.39), (72.11, 1.10), (45.70, 0.79), "CMANAS-h12-Ep25, 12-ep tabular fitness"),
    "cmanas-ws": ((92.05, 0.26), (67.81, 0.15), (39.77, 0.57), "CMANAS, weight-sharing supernet"),
    "pevonas": ((93.63, 0.42), (69.05, 1.99), (39.98, 3.76), "pEvoNAS, weight-sharing supernet"),
    "nevonas": ((93.50, 0.30), (71.51, 0.52), (45.30, 0.82), "NEvoNAS, supernet, answer picked by TEST acc"),
    "nevonas-novelty": ((90.75, 0.69), (65.68, 6.82), (36.90, 5.96), "NEvoNAS ablation, supernet, TEST-picked"),
    "nevonas-accuracy": ((90.64, 1.62), (62.14, 9.63), (39.05, 5.75), "NEvoNAS ablation, supernet, TEST-picked"),
}
PAPER_OPTIMUM = (94.37, 73.51, 47.31)


def parse_config(spec: str) -> tuple[str, dict]:
    m = re.fullmatch(r"([\w\-]+)(?:\[(.*)\])?", spec.strip())
    if not m:
        raise SystemExit(f"bad algorithm spec {spec!r}; use name or name[key=value,...]")
    params = {}
    if m.group(2):
        for item in m.group(2).split(","):
            k, v = item.split("=", 1)
            params[k.strip()] = ast.literal_eval(v.strip())
    return m.group(1), params


def label(name: str, params: dict) -> str:
    return name + ("[" + ",".join(f"{k}={v!r}" for k, v in params.items()) + "]" if params else "")


def runnable(name: str, params: dict, problem) -> str | None:
    """None if the algorithm runs on the accuracy problem, else why not."""
    from nasbench_eval import get_algorithm, run
    from nasbench_eval.errors import NasbenchEvalError

    cls = get_algorithm(name)
    if getattr(cls, "battery_problem", None) == "hw":
        return "hardware-aware: needs a problem with a hardware cost"
    try:
        run(cls.from_params(params), problem, 20, seed=0)
    except NasbenchEvalError as exc:
        return str(exc).split(";")[0]
    return None


def time_algorithms(configs, problem, budget: int, repeats: int) -> list[dict]:
    from nasbench_eval import get_algorithm, run

    rows = []
    for name, params in configs:
        cls = get_algorithm(name)
        run(cls.from_params(params), problem, budget, seed=10_000)  # warm-up (imports, caches)
        walls, evals, stops = [], [], []
        for s in range(repeats):
            t0 = time.perf_counter()
            res = run(cls.from_params(params), problem, budget, seed=s)
            walls.append(time.perf_counter() - t0)
            evals.append(res.evaluations)
            stops.append(res.stopped_by)
        rows.append({"algorithm": label(name, params), "median_s": float(np.median(walls)),
                     "min_s": float(np.min(walls)), "evaluations": float(np.mean(evals)),
                     "stopped_by": max(set(stops), key=stops.count)})
        print(f"  timing {rows[-1]['algorithm']:<28} {rows[-1]['median_s']:.3f} s", file=sys.stderr)
    return rows


def quality(configs, budget: int, seeds: int, datasets) -> dict:
    from nasbench_eval import get_algorithm, run
    from nasbench_eval.problems import nb201_problem

    out: dict = {}
    for ds in datasets:
        problem = nb201_problem(ds)
        for name, params in configs:
            cls = get_algorithm(name)
            test, valid, evals = [], [], []
            t0 = time.perf_counter()
            for s in range(seeds):
                res = run(cls.from_params(params), problem, budget, seed=s)
                m = res.chosen[0]["metrics"]
                test.append(np.nan if m.get("test_acc") is None else m["test_acc"])
                valid.append(np.nan if m.get("valid_acc") is None else m["valid_acc"])
                evals.append(res.evaluations)
            out[(label(name, params), ds)] = {"test": np.array(test), "valid": np.array(valid),
                                              "evals": float(np.mean(evals))}
            print(f"  quality {ds:<15} {label(name, params):<28} {np.nanmean(test):.2f} "
                  f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return out


def optimum(datasets) -> dict:
    from nasbench_eval.tables import get_store
    from nasbench_eval.tables.columns import dataset_view

    store = get_store()
    out = {}
    for ds in datasets:
        view = dataset_view(ds)
        vals = store.lookup([view.valid, view.test], np.arange(15625))
        v, t = vals[:, 0], vals[:, 1]
        best = int(np.nanargmax(v))
        out[ds] = {"test_of_best_valid": float(t[best]), "valid_best": float(v[best]), "max_test": float(np.nanmax(t))}
    return out


def fmt(a: np.ndarray) -> str:
    a = a[np.isfinite(a)]
    if len(a) == 0:
        return "n/a"
    return f"{a.mean():.2f} ± {a.std(ddof=1) if len(a) > 1 else 0.0:.2f}"


def markdown(timing, qual, opt, skipped, args) -> str:
    ds = args.datasets
    lines = [f"### Wall time per run, {args.timing_budget} evaluations (NB201 cifar10)", "",
             f"Median of {args.timing_repeats} seeds after a warm-up; one BLAS thread; {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}. `evals` = evaluations actually used "
             "(an algorithm may stop itself first).", "",
             "| algorithm | median s | min s | evals | stopped by |", "|---|---:|---:|---:|---|"]
    for r in timing:
        lines.append(f"| {r['algorithm']} | {r['median_s']:.3f} | {r['min_s']:.3f} | {r['evaluations']:.0f} | "
                     f"{r['stopped_by']} |")
    lines += ["", f"### Search quality: NB201 200-epoch test accuracy of the answer, {args.seeds} seeds, "
              f"budget {args.budget} evaluations", "",
              "Ours: mean ± std (ddof 1) over seeds 0..{}; answer chosen by 200-epoch validation accuracy only; "
              "`evals` = mean evaluations used. Paper: published NB201 numbers (each paper's NB201 table) under their own "
              "protocols (see notes).".format(args.seeds - 1), "",
              "| algorithm | " + " | ".join(f"{d} test (ours) | {d} evals | {d} paper" for d in ds) + " |",
              "|---|" + "---:|---:|---:|" * len(ds)]
    names = list(dict.fromkeys(k[0] for k in qual))
    for n in names:
        base = n.split("[")[0]
        cells = []
        for i, d in enumerate(ds):
            q = qual[(n, d)]
            p = PAPER.get(base) if "[" not in n else None
            di = DATASETS.index(d)
            cells += [fmt(q["test"]), f"{q['evals']:.0f}", f"{p[di][0]:.2f} ± {p[di][1]:.2f}" if p else ""]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    for base in ("reinforce", "bohb", "cmanas-ws"):
        p = PAPER[base]
        cells = []
        for d in ds:
            di = DATASETS.index(d)
            cells += ["", "", f"{p[di][0]:.2f} ± {p[di][1]:.2f}"]
        lines.append(f"| {base} (paper only) | " + " | ".join(cells) + " |")
    cells = []
    for d in ds:
        o = opt[d]
        cells += [f"**{o['test_of_best_valid']:.2f}** (max {o['max_test']:.2f})", "15625",
                  f"{PAPER_OPTIMUM[DATASETS.index(d)]:.2f}"]
    lines.append("| exhaustive optimum: test acc of the best-by-valid arch | " + " | ".join(cells) + " |")
    lines += ["", "Paper-number protocols: " + "; ".join(f"{k}: {v[3]}" for k, v in PAPER.items()) + ".",
              "Our protocol: fitness = NB201 200-epoch validation accuracy (cifar10: the `cifar10-valid` x-valid "
              "split; cifar100 / ImageNet16-120: x-valid), budget = number of evaluations, AF-table hits free. The "
              "NB201 paper's baselines used the 12-epoch validation accuracy of a random seed and a simulated "
              "12,000 s training-time budget, so they search with a noisier fitness; Sinha & Chen's methods used "
              "weight-sharing supernets (CMANAS-h12: 12-epoch tabular fitness)."]
    if args.exclude:
        lines += ["", "Excluded on the command line: " + ", ".join(args.exclude) + "."]
    if skipped:
        lines += ["", "Skipped: " + "; ".join(f"{n} ({why})" for n, why in skipped.items()) + "."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--algorithms", nargs="*", default=None,
                    help="names or name[key=value,...] (default: every registered algorithm + "
                         + ", ".join(DEFAULT_EXTRA) + ")")
    ap.add_argument("--exclude", nargs="*", default=[], help="registered names to leave out (e.g. slow live ones)")
    ap.add_argument("--datasets", nargs="*", default=list(DATASETS), choices=DATASETS)
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--budget", type=int, default=500)
    ap.add_argument("--timing-budget", type=int, default=1000)
    ap.add_argument("--timing-repeats", type=int, default=5)
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--out", default=None, help="write the markdown tables here too")
    args = ap.parse_args(argv)

    from nasbench_eval.problems import nb201_problem
    from nasbench_eval.search import available

    specs = args.algorithms if args.algorithms else available() + list(DEFAULT_EXTRA)
    specs = [s for s in specs if parse_config(s)[0] not in set(args.exclude)]
    configs, skipped = [], {}
    c10 = nb201_problem("cifar10")
    for spec in specs:
        name, params = parse_config(spec)
        why = runnable(name, params, c10)
        if why is None:
            configs.append((name, params))
        else:
            skipped[label(name, params)] = why
    timing = time_algorithms(configs, c10, args.timing_budget, args.timing_repeats)
    qual = {} if args.skip_quality else quality(configs, args.budget, args.seeds, args.datasets)
    text = markdown(timing, qual, optimum(args.datasets), skipped, args) if qual else \
        markdown(timing, {}, optimum(args.datasets), skipped, args)
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
