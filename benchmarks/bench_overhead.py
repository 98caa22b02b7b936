"""Framework overhead of the run loop: REA through ``run()`` vs the same REA as a minimal numpy loop on the table.

    python benchmarks/bench_overhead.py [--evals 1000] [--repeats 7] [--seed 0]

Both sides run in this process, interleaved, on the same NAS-Bench-201 cifar10 validation column, with the same
Generator draws (population 10, sample 3, the NB201 R_EA.py node-then-edge mutation), so they propose the same
architectures: the script checks that the two trajectories are identical before timing. The baseline does only
what the algorithm needs (a lookup, a deque); ``run()`` adds what a user gets: a copied algorithm, the budget,
validity checks, the leakage guard, the recorded trajectory (history), the answer with its test accuracy.
Reported: median wall seconds of each and their ratio (issue goal: <= 2x). No assertion on time.
"""
from __future__ import annotations

import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections import deque  # noqa: E402

import numpy as np  # noqa: E402


def minimal_rea(valid: np.ndarray, n_evals: int, seed: int, population: int = 10, sample: int = 3) -> list[int]:
    """REA in its plainest form: returns the evaluated NB201 indices in order."""
    from nasbench_eval.algorithms.rea import mutate_node_edge
    from nasbench_eval.spaces import nb201

    rng = np.random.default_rng(seed)
    first = nb201.random_ops(rng, population)
    keys = nb201.ops_to_index(first).tolist()
    pop = deque(zip(first, valid[keys].tolist()))
    traj = list(keys)
    while len(traj) < n_evals:
        picks = rng.integers(len(pop), size=sample)
        parent = max((pop[i] for i in picks), key=lambda m: m[1])  # first of equal best, as deb_best
        child = mutate_node_edge(parent[0], nb201.N_OPS, rng)
        k = int(nb201.ops_to_index(child))
        pop.append((child, float(valid[k])))
        pop.popleft()
        traj.append(k)
    return traj


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--evals", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from nasbench_eval import get_algorithm, nb201_problem, run
    from nasbench_eval.tables import get_store
    from nasbench_eval.tables.columns import dataset_view

    problem = nb201_problem("cifar10")
    valid = np.asarray(get_store().column(dataset_view("cifar10").valid), dtype=float)
    rea = get_algorithm("rea")()
    ours = run(rea, problem, args.evals, seed=args.seed).trajectory["key"].tolist()
    base = minimal_rea(valid, args.evals, args.seed)
    if ours != base:
        raise SystemExit("the two loops proposed different architectures: the comparison would not be fair")
    t_run, t_base = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        run(rea, problem, args.evals, seed=args.seed)
        t_run.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        minimal_rea(valid, args.evals, args.seed)
        t_base.append(time.perf_counter() - t0)
    a, b = statistics.median(t_run), statistics.median(t_base)
    print(f"REA, {args.evals} evaluations, cifar10, median of {args.repeats} (identical trajectories checked)")
    print(f"  run(rea)            {a * 1e3:8.1f} ms  ({a / args.evals * 1e6:6.1f} us/eval)")
    print(f"  minimal numpy loop  {b * 1e3:8.1f} ms  ({b / args.evals * 1e6:6.1f} us/eval)")
    print(f"  ratio               {a / b:8.2f} x   (goal <= 2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
