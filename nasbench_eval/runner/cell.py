"""Run one cell (algorithm x problem x seed) and turn its :class:`RunResult` into three tidy tables.

This function is what every backend executes (in-process, in a loky worker or a Ray task): it receives only
plain, picklable data (the normalised spec entries and the cell's ``SeedSequence``) and returns plain data, so the
result depends on nothing but its inputs.
"""
from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd

from ..errors import ConfigError

WALL_COLUMNS = ("wall_seconds",)  # the only non-deterministic columns (excluded from bit-identity checks)
BASE_EVAL_COLUMNS = ("cell", "algorithm", "problem", "seed", "eval", "batch", "key", "cost", "cum_cost", "cached",
                     "fitness", "feasible")


@lru_cache(maxsize=256)
def _build_cached(key: str):
    from ..problems.spec import ProblemSpec

    return ProblemSpec.from_mapping(json.loads(key)).build()


def build_problem(entry: dict):
    """The problem of a normalised spec entry (built once per process; problems are not mutated by runs)."""
    return _build_cached(json.dumps({k: v for k, v in entry.items() if k != "label"}, sort_keys=True))


def problem_for_cell(entry: dict, seed: int):
    """The problem one cell searches. A type with a ``seed`` key (the live ``supernet`` / ``rmi`` types) keeps state
    while searched, so it is built fresh for every cell with ``seed`` = the cell's seed unless the entry sets one;
    other types are built once per process (a proxy-noise entry without ``noise_seed`` gets the cell's seed)."""
    from ..problems.spec import PROBLEM_TYPES, ProblemSpec

    if entry.get("proxy_noise_tau") is not None and entry.get("noise_seed") is None:
        entry = {**entry, "noise_seed": seed}  # one frozen noise field per seed, like one supernet per run
    if entry.get("type") not in PROBLEM_TYPES:
        ProblemSpec.from_mapping(entry)  # registers a live type in a fresh worker process (or names the known ones)
    if "seed" not in PROBLEM_TYPES[entry["type"]].keys:
        return build_problem(entry)
    spec = ProblemSpec.from_mapping(entry)
    return spec.replace(seed=seed).build() if spec.get("seed") is None else spec.build()


def _jsonable(x):
    from ..search.run import _jsonable as j

    return j(x)


def run_cell(cell, seed_seq: np.random.SeedSequence, budget: dict) -> dict[str, pd.DataFrame]:
    """Run one cell; return ``{"evaluations", "runs", "chosen"}`` DataFrames (deterministic except wall time)."""
    from ..evaluators.base import Evaluation
    from ..search import Budget, run
    from ..search.registry import resolve_algorithm

    problem = problem_for_cell(cell.problem, int(cell.seed))
    algo = resolve_algorithm(cell.algorithm).from_params(cell.algorithm["params"])
    params = json.dumps(_jsonable(algo.get_params()), sort_keys=True, default=repr)  # resolved: defaults filled in
    res = run(algo, problem, Budget(budget.get("evaluations"), budget.get("cost")), seed_seq)
    tr = res.trajectory
    n = len(tr["eval"])
    metrics = list(problem.evaluator.metrics)
    ev = Evaluation({m: np.asarray(tr[m], dtype=float) for m in metrics}, np.asarray(tr["cost"], dtype=float))
    ids = {"cell": np.full(n, cell.cell, dtype=np.int64), "algorithm": [cell.algorithm["label"]] * n,
           "problem": [cell.problem["label"]] * n, "seed": np.full(n, cell.seed, dtype=np.int64)}
    cols = {**ids, "eval": tr["eval"].astype(np.int64), "batch": tr["batch"].astype(np.int64),
            "key": tr["key"].astype(np.int64), "cost": tr["cost"].astype(float), "cum_cost": tr["cum_cost"],
            "cached": tr["cached"].astype(bool),
            "fitness": problem.fitness(ev) if n else np.zeros(0),
            "feasible": problem.feasible(ev) if n else np.zeros(0, dtype=bool)}
    cols.update({m: tr[m] for m in metrics})
    cols.update({k: v for k, v in tr.items() if k.startswith("report_")})
    evals = pd.DataFrame(cols)

    chosen = _chosen_frame(cell, problem, res.chosen, metrics)
    best = _best_chosen(chosen)
    feas_fit = cols["fitness"][cols["feasible"]] if n else np.zeros(0)
    row = {"cell": cell.cell, "algorithm": cell.algorithm["label"], "algorithm_name": cell.algorithm["name"],
           "params": params,
           "problem": cell.problem["label"], "problem_type": cell.problem["type"],
           "dataset": cell.problem["dataset"], "seed": cell.seed, "seed_index": cell.seed_index,
           "n_obj": problem.n_obj, "objectives": json.dumps(problem.describe()["objectives"]),
           "evaluations": int(res.evaluations), "total_cost": float(res.total_cost), "stopped_by": res.stopped_by,
           "n_chosen": len(chosen), "best_fitness": float(feas_fit.max()) if feas_fit.size else np.nan,
           "problem_info": json.dumps(_jsonable(problem.describe()), sort_keys=True),
           "wall_seconds": float(res.wall_seconds)}
    row.update(getattr(cell, "sweep", None) or {})  # swept values: JSON column 'sweep' + one sweep_<param> column each
    if best is not None:
        row.update({"chosen_key": int(best["key"]), "chosen_arch": best["arch"], "chosen_feasible": best["feasible"]})
        row.update({f"chosen_{k}": best[k] for k in chosen.columns if k in metrics or k.startswith("report_")})
    if hasattr(problem, "ground_truth"):  # hardware-aware: judged against the exhaustive truth
        from ..judge import run_indicators

        row.update(run_indicators(problem, chosen))
    runs = pd.DataFrame([row])
    return {"evaluations": evals, "runs": runs, "chosen": chosen}


def _chosen_frame(cell, problem, chosen: list[dict], metrics: list[str]) -> pd.DataFrame:
    from ..evaluators.base import Evaluation

    rows = []
    for rank, c in enumerate(chosen):
        m = {k: (np.nan if v is None else v) for k, v in c["metrics"].items()}
        rows.append({"cell": cell.cell, "algorithm": cell.algorithm["label"], "problem": cell.problem["label"],
                     "seed": cell.seed, "rank": rank, "key": c["index"], "arch": c["arch"],
                     **{k: m.get(k, np.nan) for k in metrics},
                     **{f"report_{k}": v for k, v in m.items() if k not in metrics}})
    df = pd.DataFrame(rows, columns=None if rows else ["cell", "algorithm", "problem", "seed", "rank", "key",
                                                        "arch"])
    if rows:
        ev = Evaluation({k: df[k].to_numpy(float) for k in metrics}, np.zeros(len(df)))
        F = problem.F(ev)
        for j in range(F.shape[1]):
            df[f"obj_{j}"] = F[:, j]
        df["fitness"] = problem.fitness(ev)
        df["feasible"] = problem.feasible(ev)
    return df


def _best_chosen(chosen: pd.DataFrame):
    if chosen.empty:
        return None
    score = np.where(chosen["feasible"], chosen["fitness"], -np.inf)
    return chosen.iloc[int(np.argmax(score))]
