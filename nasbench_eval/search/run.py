"""One search run: the ask/tell loop with a budget, a recorded trajectory and a reported answer.

Budget: ``evaluations`` counts evaluations charged by the evaluator (cache hits are free, as with CMANAS's AF
table); ``cost`` caps the summed evaluation cost (simulated or measured seconds). When the next batch would
overrun the budget it is truncated, the algorithm is told the evaluated part, and the run ends. A run also ends
when the algorithm says it is finished, or after ``max_requests`` proposals (guards against an algorithm that only
re-asks cached architectures; default 50 x the evaluation budget).
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, InvalidArchError
from .algorithm import Algorithm


@dataclass(frozen=True)
class Budget:
    evaluations: int | None = None
    cost: float | None = None

    def __post_init__(self):
        if self.evaluations is None and self.cost is None:
            raise ConfigError("a budget needs evaluations and/or cost")
        if self.evaluations is not None and (int(self.evaluations) != self.evaluations or self.evaluations < 1):
            raise ConfigError(f"budget evaluations must be a positive integer, got {self.evaluations!r}")
        if self.cost is not None and not self.cost > 0:
            raise ConfigError(f"budget cost must be > 0, got {self.cost!r}")


@dataclass
class RunResult:
    algorithm: str
    params: dict
    problem: dict
    seed: object
    trajectory: dict[str, np.ndarray]  # one entry per evaluation, in order
    chosen: list[dict]  # the answer: arch, key/index, search metrics, report metrics
    evaluations: int
    total_cost: float
    wall_seconds: float
    stopped_by: str
    extra: dict = field(default_factory=dict)

    def trajectory_frame(self):
        import pandas as pd

        return pd.DataFrame(self.trajectory)

    def to_json(self) -> dict:
        return {"algorithm": self.algorithm, "params": _jsonable(self.params), "problem": self.problem,
                "seed": _jsonable(self.seed), "evaluations": self.evaluations,
                "total_cost": self.total_cost, "wall_seconds": round(self.wall_seconds, 4),
                "stopped_by": self.stopped_by, "result": _jsonable(self.chosen), **_jsonable(self.extra)}


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if not np.isfinite(x) else float(x)
    return x


def make_rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    raise ConfigError(f"seed must be an int, a SeedSequence or a numpy Generator, got {type(seed).__name__}")


def describe_archs(problem, archs: np.ndarray) -> list[dict]:
    """Arch string, key (NB201 index) and search + report metrics of the chosen architectures."""
    if len(archs) == 0:
        return []
    ev = problem.evaluate(archs)
    rep = problem.report(archs)
    keys = np.atleast_1d(problem.space.key(archs))
    out = []
    for i, a in enumerate(archs):
        metrics = {k: v[i] for k, v in ev.values.items()}
        metrics.update({k: v[i] for k, v in rep.items()})
        out.append({"arch": problem.space.to_string(a), "index": int(keys[i]),
                    "metrics": {k: (None if not np.isfinite(v) else float(v)) for k, v in metrics.items()}})
    return out


def run(algorithm: Algorithm, problem, budget: Budget | int, seed=0, *, max_requests: int | None = None,
        progress: bool = False) -> RunResult:
    """Run ``algorithm`` on ``problem`` until the budget is spent. Neither argument is mutated."""
    if isinstance(budget, (int, np.integer)):
        budget = Budget(evaluations=int(budget))
    rng = make_rng(seed)
    algo = copy.deepcopy(algorithm)
    max_requests = max_requests or 50 * (budget.evaluations or 10_000)
    t0 = time.perf_counter()
    rows: dict[str, list] = {"eval": [], "batch": [], "key": [], "cost": [], "cached": []}
    metric_rows: dict[str, list] = {m: [] for m in problem.evaluator.metrics}
    n_eval, spent, requests, batch_no, stopped = 0, 0.0, 0, 0, "budget"
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=budget.evaluations, desc=algo.name or type(algo).__name__, unit="eval", leave=False)
    with problem.search_guard():
        algo.setup(problem, rng)
        while True:
            if algo.finished:
                stopped = "algorithm"
                break
            if requests >= max_requests:
                stopped = "max_requests"
                break
            archs = np.asarray(algo.ask())
            if archs.size == 0:
                stopped = "algorithm"
                break
            if archs.ndim == len(problem.space.arch_shape):
                archs = archs[None]
            if not np.issubdtype(archs.dtype, np.integer) or not np.all(problem.space.is_valid(archs)):
                raise InvalidArchError(f"{algo.name} proposed an invalid architecture batch {archs.dtype} {archs.shape}")
            ev = problem.evaluate(archs)
            charged = ~ev.cached
            take = len(archs)
            if budget.evaluations is not None:
                over = np.cumsum(charged) > budget.evaluations - n_eval
                if over.any():
                    take = int(np.argmax(over))
            if budget.cost is not None:
                over = np.cumsum(ev.cost) > budget.cost - spent + 1e-12
                if over.any():
                    take = min(take, int(np.argmax(over)))
            truncated = take < len(archs)
            archs, ev = archs[:take], ev.take(slice(0, take))
            requests += len(archs)
            keys = np.atleast_1d(problem.space.key(archs)) if take else np.empty(0, dtype=np.int64)
            for i in range(take):
                n_eval += int(charged[i])
                rows["eval"].append(n_eval)
                rows["batch"].append(batch_no)
                rows["key"].append(int(keys[i]))
                rows["cost"].append(float(ev.cost[i]))
                rows["cached"].append(bool(ev.cached[i]))
                for m in metric_rows:
                    metric_rows[m].append(float(ev.values[m][i]))
            spent += float(ev.cost.sum())
            if bar is not None:
                bar.update(int(charged[:take].sum()))
            if take:
                algo.tell(archs, ev)
            batch_no += 1
            if truncated or (budget.evaluations is not None and n_eval >= budget.evaluations):
                break
    if bar is not None:
        bar.close()
    chosen = np.asarray(algo.result())
    traj = {k: np.asarray(v) for k, v in rows.items()}
    traj.update({m: np.asarray(v, dtype=float) for m, v in metric_rows.items()})
    traj["cum_cost"] = np.cumsum(traj["cost"]) if len(traj["cost"]) else np.zeros(0)
    if len(traj["key"]):  # reporting metrics are attached after the search, never read during it
        rep = problem.report(problem.space.from_key(traj["key"])) if hasattr(problem.space, "from_key") else {}
        traj.update({f"report_{k}": v for k, v in rep.items()})
    return RunResult(algorithm=algo.name or type(algo).__name__, params=algo.get_params(),
                     problem=problem.describe(), seed=seed if not isinstance(seed, np.random.Generator) else None,
                     trajectory=traj, chosen=describe_archs(problem, chosen), evaluations=n_eval,
                     total_cost=spent, wall_seconds=time.perf_counter() - t0, stopped_by=stopped)
