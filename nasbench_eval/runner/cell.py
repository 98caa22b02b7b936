"""Run one cell (algorithm x problem x seed) and turn its :class:`RunResult` into three tidy tables.

This function is what every backend executes (in-process, in a loky worker or a Ray task): it receives only
plain, picklable data (the normalised spec entries and the cell's ``SeedSequence``) and returns plain data, so the
result depends on nothing but its inputs. The tables are dicts of equal-length 1-D numpy arrays (column name ->
values; text and missing values in object arrays), which the result store writes as they are: a cell makes no pandas
objects (building three DataFrames cost more than a fast algorithm's whole run).
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .._io import jsonable

if TYPE_CHECKING:  # run_cell's DataFrames only: a cell makes numpy columns and a worker never imports pandas
    import pandas as pd

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


def run_cell(cell, seed_seq: np.random.SeedSequence, budget: dict) -> dict[str, pd.DataFrame]:
    """Run one cell; return ``{"evaluations", "runs", "chosen"}`` as DataFrames (deterministic except wall time)."""
    import pandas as pd

    return {k: pd.DataFrame(v, copy=False) for k, v in cell_tables(cell, seed_seq, budget).items()}


def cell_tables(cell, seed_seq: np.random.SeedSequence, budget: dict) -> dict[str, dict[str, np.ndarray]]:
    """Run one cell; return ``{"evaluations", "runs", "chosen"}`` as dicts of numpy columns (what the result store
    writes). Deterministic except wall time."""
    from ..evaluators.base import Evaluation
    from ..search import Budget, run
    from ..search.registry import resolve_algorithm

    problem = problem_for_cell(cell.problem, int(cell.seed))
    algo = resolve_algorithm(cell.algorithm).from_params(cell.algorithm["params"])
    params = json.dumps(jsonable(algo.get_params()), sort_keys=True, default=repr)  # resolved: defaults filled in
    res = run(algo, problem, Budget(budget.get("evaluations"), budget.get("cost")), seed_seq)
    tr = res.trajectory
    n = len(tr["eval"])
    metrics = list(problem.evaluator.metrics)
    ev = Evaluation({m: np.asarray(tr[m], dtype=float) for m in metrics}, np.asarray(tr["cost"], dtype=float))
    ids = {"cell": np.full(n, cell.cell, dtype=np.int64), "algorithm": _repeat(cell.algorithm["label"], n),
           "problem": _repeat(cell.problem["label"], n), "seed": np.full(n, cell.seed, dtype=np.int64)}
    cols = {**ids, "eval": tr["eval"].astype(np.int64), "batch": tr["batch"].astype(np.int64),
            "key": tr["key"].astype(np.int64), "cost": tr["cost"].astype(float),
            "cum_cost": np.asarray(tr["cum_cost"], dtype=float), "cached": tr["cached"].astype(bool),
            "fitness": problem.fitness(ev) if n else np.zeros(0),
            "feasible": problem.feasible(ev) if n else np.zeros(0, dtype=bool)}
    cols.update({m: tr[m] for m in metrics})
    cols.update({k: _column(v) for k, v in tr.items() if k.startswith("report_")})

    chosen = _chosen_columns(cell, problem, res.chosen, metrics)
    n_chosen = len(chosen["rank"])
    best = _best_chosen(chosen)
    feas_fit = cols["fitness"][cols["feasible"]] if n else np.zeros(0)
    row = {"cell": cell.cell, "algorithm": cell.algorithm["label"], "algorithm_name": cell.algorithm["name"],
           "params": params,
           "problem": cell.problem["label"], "problem_type": cell.problem["type"],
           "dataset": cell.problem["dataset"], "seed": cell.seed, "seed_index": cell.seed_index,
           "n_obj": problem.n_obj, "objectives": json.dumps(problem.describe()["objectives"]),
           "evaluations": int(res.evaluations), "total_cost": float(res.total_cost), "stopped_by": res.stopped_by,
           "n_chosen": n_chosen, "best_fitness": float(feas_fit.max()) if feas_fit.size else np.nan,
           "problem_info": json.dumps(jsonable(problem.describe()), sort_keys=True),
           "wall_seconds": float(res.wall_seconds)}
    row.update(getattr(cell, "sweep", None) or {})  # swept values: JSON column 'sweep' + one sweep_<param> column each
    if best is not None:
        row.update({"chosen_key": int(chosen["key"][best]), "chosen_arch": chosen["arch"][best],
                    "chosen_feasible": bool(chosen["feasible"][best])})
        row.update({f"chosen_{k}": chosen[k][best] for k in chosen if k in metrics or k.startswith("report_")})
    if hasattr(problem, "ground_truth"):  # hardware-aware: judged against the exhaustive truth
        from ..judge import run_indicators

        row.update(run_indicators(problem, chosen))
    return {"evaluations": cols, "runs": {k: _column([v]) for k, v in row.items()},
            "chosen": {k: _column(v) for k, v in chosen.items()}}


def _repeat(value: str, n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


def _column(v) -> np.ndarray:
    """A column as a 1-D numpy array: an array as it is; a list of Python values as numpy infers it when they are
    all numbers or all booleans (None in a list of numbers becomes NaN), else as objects (text, None for missing);
    the result store records each column's kind (:mod:`.parts`)."""
    if isinstance(v, np.ndarray):
        return v
    v = list(v)
    types = {type(x) for x in v if x is not None}
    if v and types and all(issubclass(t, (bool, np.bool_)) for t in types) and None not in v:
        return np.array(v, dtype=bool)
    if v and types and all(issubclass(t, (int, float, np.integer, np.floating)) and not issubclass(t, (bool, np.bool_))
                           for t in types):
        if None not in v and all(issubclass(t, (int, np.integer)) for t in types):
            return np.array(v, dtype=np.int64)
        return np.array([np.nan if x is None else x for x in v], dtype=float)
    out = np.empty(len(v), dtype=object)
    out[:] = v
    return out


def _chosen_columns(cell, problem, chosen: list[dict], metrics: list[str]) -> dict:
    """One row per chosen architecture, as columns: ids, key, arch, search metrics, report_* metrics, objectives
    (obj_j), fitness and feasibility."""
    from ..evaluators.base import Evaluation

    n = len(chosen)
    cols: dict = {"cell": np.full(n, cell.cell, dtype=np.int64), "algorithm": [cell.algorithm["label"]] * n,
                  "problem": [cell.problem["label"]] * n, "seed": np.full(n, cell.seed, dtype=np.int64),
                  "rank": np.arange(n, dtype=np.int64), "key": np.array([c["index"] for c in chosen], dtype=np.int64),
                  "arch": [c["arch"] for c in chosen]}
    if not n:
        return cols
    ms = [{k: (np.nan if v is None else v) for k, v in c["metrics"].items()} for c in chosen]
    for k in metrics:
        cols[k] = np.array([m.get(k, np.nan) for m in ms], dtype=float)
    report = list(dict.fromkeys(k for m in ms for k in m if k not in metrics))  # order of first appearance
    for k in report:
        cols[f"report_{k}"] = [m.get(k, np.nan) for m in ms]  # pandas infers the type (NaN = missing)
    ev = Evaluation({k: cols[k] for k in metrics}, np.zeros(n))
    F = problem.F(ev)
    for j in range(F.shape[1]):
        cols[f"obj_{j}"] = F[:, j]
    cols["fitness"] = problem.fitness(ev)
    cols["feasible"] = problem.feasible(ev)
    return cols


def _best_chosen(chosen: dict):
    """Row index of the best chosen architecture (feasible first, then fitness), or None when nothing was chosen."""
    if not len(chosen["rank"]):
        return None
    score = np.where(chosen["feasible"], chosen["fitness"], -np.inf)
    return int(np.argmax(score))
