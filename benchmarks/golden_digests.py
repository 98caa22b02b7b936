"""Golden digests of tabular search runs: did a refactoring change any trajectory or answer?

Runs every registered algorithm on a fixed set of problems and seeds (budget 300) and prints one short sha256 per run
of (trajectory keys, evaluation counters, chosen indices), as JSON. Run it before and after a change (e.g. against a
worktree of the old commit with ``PYTHONPATH=/path/to/old/tree``) and compare::

    python benchmarks/golden_digests.py > before.json        # in the old tree
    python benchmarks/golden_digests.py --compare before.json # in the new tree: lists the runs that differ

The pinned snapshots (whole trajectories, fewer runs) are in tests/test_golden.py.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys

import numpy as np

PROBLEMS = {
    "nb201-cifar10": {"type": "nb201", "dataset": "cifar10"},
    "nb201-cifar100": {"type": "nb201", "dataset": "cifar100"},
    "nb201-tau0.5": {"type": "nb201", "dataset": "cifar10", "proxy_noise_tau": 0.5, "noise_seed": 0},
    "hw-fpga-bi": {"type": "hw", "dataset": "cifar10", "device": "fpga", "metric": "latency", "kind": "bi-objective"},
    "hw-pixel3-q0.3": {"type": "hw", "dataset": "cifar10", "device": "pixel3", "metric": "latency",
                       "kind": "constrained", "quantile": 0.3},
}


def build(entry):
    try:
        from nasbench_eval.problems.spec import ProblemSpec

        return ProblemSpec.from_mapping(entry).build()
    except ImportError:  # trees older than ProblemSpec
        from nasbench_eval.runner.cell import build_problem

        return build_problem(entry)


def digest(res) -> str:
    h = hashlib.sha256()
    for k in ("key", "eval", "batch"):
        h.update(np.asarray(res.trajectory[k], dtype=np.int64).tobytes())
    h.update(json.dumps([c["index"] for c in res.chosen]).encode())
    return h.hexdigest()[:16]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budget", type=int, default=300)
    ap.add_argument("--compare", help="a JSON file of an earlier run: print the runs whose digest differs")
    args = ap.parse_args(argv)
    from nasbench_eval.search import available, get_algorithm, run

    out = {}
    for name in available():
        cls = get_algorithm(name)
        for pname, entry in PROBLEMS.items():
            try:
                problem = build(entry)
                for s in range(args.seeds):
                    res = run(cls(), problem, args.budget, seed=s)
                    out[f"{name}|{pname}|{s}"] = digest(res)
            except Exception as exc:  # noqa: BLE001 - an algorithm x problem pair the algorithm refuses
                out[f"{name}|{pname}"] = f"refused: {type(exc).__name__}"
    if args.compare:
        old = json.load(open(args.compare))
        keys = sorted(set(old) | set(out))
        diff = [k for k in keys if old.get(k) != out.get(k)]
        print(json.dumps({"compared": len(keys), "differ": len(diff),
                          "runs": {k: [old.get(k), out.get(k)] for k in diff}}, indent=1))
        return 0
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
