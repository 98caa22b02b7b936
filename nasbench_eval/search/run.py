"""One search run: the ask/tell loop with a budget, a recorded trajectory and a reported answer.

Budget: ``evaluations`` counts evaluations charged by the evaluator (cache hits are free, as with CMANAS's AF
table); ``cost`` caps the summed evaluation cost (simulated or measured seconds); ``batches`` caps the ask/tell
rounds (a supernet search's generations). When the next batch would overrun the evaluation or cost budget it is
truncated, the algorithm is told the evaluated part, and the run ends. A run also ends when the algorithm says it
is finished, after ``max_requests`` proposals (guards against an algorithm that only re-asks cached architectures;
default 50 x the evaluation budget), or when a callback sets ``state.stop``.

History: the algorithm's :class:`~nasbench_eval.search.history.History` (what it was told, in order) is the one
record; the result's trajectory and the checkpoints are read from it.

Callbacks (:mod:`nasbench_eval.search.callbacks`) observe batches and stages, stop a run, and keep extra state
with its checkpoints. ``checkpoint=DIR`` saves the record every ``checkpoint_every`` batches and when the run ends;
a run started again with the same directory, algorithm, parameters, problem, budget and seed replays the record
through ask/tell without evaluating and goes on: its trajectory and answer equal an uninterrupted run's. A larger
budget continues a finished run (refused when the old budget cut its last batch). Evaluator
state other than the record (an in-memory cache, a supernet's weights) is restored by whoever owns it -- a
persistent cache file, or a callback's ``on_checkpoint`` / ``on_resume`` (the supernet driver's).
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from .._io import jsonable
from ..errors import ConfigError, InvalidArchError
from ..evaluators.base import Evaluation
from . import checkpoint as ckpt
from .algorithm import Algorithm
from .callbacks import Callback, RunState, dispatch


@dataclass(frozen=True)
class Budget:
    evaluations: int | None = None
    cost: float | None = None
    batches: int | None = None

    def __post_init__(self):
        if self.evaluations is None and self.cost is None and self.batches is None:
            raise ConfigError("a budget needs evaluations, cost and/or batches")
        for name in ("evaluations", "batches"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or int(v) != v or v < 1):
                raise ConfigError(f"budget {name} must be a positive integer, got {v!r}")
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
        return {"algorithm": self.algorithm, "params": jsonable(self.params), "problem": self.problem,
                "seed": jsonable(self.seed), "evaluations": self.evaluations,
                "total_cost": self.total_cost, "wall_seconds": round(self.wall_seconds, 4),
                "stopped_by": self.stopped_by, "result": jsonable(self.chosen), **jsonable(self.extra)}


def make_rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    raise ConfigError(f"seed must be an int, a SeedSequence or a numpy Generator, got {type(seed).__name__}")


def describe_archs(problem, archs: np.ndarray, history=None) -> list[dict]:
    """Arch string, key (NB201 index) and search + report metrics of the chosen architectures.

    Search metrics of an architecture the search evaluated are its last recorded values in ``history`` (a
    :class:`~nasbench_eval.search.history.History`); the others are evaluated now (one more evaluation on a live
    path). Report metrics (test accuracy, ...) are read here, after the search.
    """
    if len(archs) == 0:
        return []
    keys = np.atleast_1d(problem.space.key(archs))
    rows = [history.row_of(int(k)) if history is not None else None for k in keys]
    values = {m: np.full(len(archs), np.nan) for m in problem.evaluator.metrics}
    todo = [i for i, r in enumerate(rows) if r is None]
    if todo:
        ev = problem.evaluate(archs[todo])
        values = {m: np.full(len(archs), np.nan) for m in ev.values}
        for m, v in ev.values.items():
            values[m][todo] = v
    known = [i for i, r in enumerate(rows) if r is not None]
    if known:
        rec = history.values
        for m in values:
            if m in rec:
                values[m][known] = rec[m][[rows[i] for i in known]]
    rep = problem.report(archs)
    out = []
    for i, a in enumerate(archs):
        metrics = {k: v[i] for k, v in values.items()}
        metrics.update({k: v[i] for k, v in rep.items()})
        out.append({"arch": problem.space.to_string(a), "index": int(keys[i]),
                    "metrics": {k: (None if not np.isfinite(v) else float(v)) for k, v in metrics.items()}})
    return out


class _Progress(Callback):
    def __init__(self, total, desc):
        from tqdm.auto import tqdm

        self.bar, self.seen = tqdm(total=total, desc=desc, unit="eval", leave=False), 0

    def on_batch(self, state):
        self.bar.update(state.evaluations - self.seen)
        self.seen = state.evaluations

    def on_end(self, result):
        self.bar.close()


def run(algorithm: Algorithm, problem, budget: Budget | int, seed=0, *, max_requests: int | None = None,
        progress: bool = False, callbacks=(), checkpoint=None, checkpoint_every: int = 1) -> RunResult:
    """Run ``algorithm`` on ``problem`` until the budget is spent. Neither argument is mutated.

    callbacks: :class:`~nasbench_eval.search.callbacks.Callback` objects (``on_stage``, ``on_batch``,
    ``on_checkpoint``, ``on_resume``, ``on_end``). checkpoint: a directory; the run saves its record there every
    ``checkpoint_every`` batches and at its end, and resumes from it when it already holds one (module docstring).
    """
    if isinstance(budget, (int, np.integer)) and not isinstance(budget, bool):
        budget = Budget(evaluations=int(budget))
    if not isinstance(budget, Budget):
        raise ConfigError(f"budget must be a positive integer (evaluations) or a Budget; got {budget!r}")
    if isinstance(checkpoint_every, bool) or int(checkpoint_every) != checkpoint_every or checkpoint_every < 1:
        raise ConfigError(f"checkpoint_every must be a positive integer; got {checkpoint_every!r}")
    rng = make_rng(seed)
    algo = copy.deepcopy(algorithm)
    callbacks = list(callbacks)
    if progress:
        callbacks.append(_Progress(budget.evaluations, algo.name or type(algo).__name__))
    max_requests = max_requests or 50 * (budget.evaluations or 10_000)
    state = RunState(algo, problem, budget)
    head = ckpt.header(algo, problem, budget, rng.bit_generator.state) if checkpoint is not None else None
    t0 = time.perf_counter()
    with problem.search_guard():
        algo.setup(problem, rng, emit=dispatch(callbacks, state) if callbacks else None)
        stopped = None
        saved = ckpt.load(checkpoint, head) if checkpoint is not None else None
        if saved is not None:
            stopped = _replay(state, *saved)
            if saved[0]["budget"] != head["budget"]:  # continued under a larger budget (checkpoint.check_budget)
                stopped = "budget" if _spent(state) else None
            state.replaying = False
            for cb in callbacks:
                cb.on_resume(state, checkpoint)
        if stopped is None:
            stopped = _loop(state, max_requests, callbacks, checkpoint, head, int(checkpoint_every))
        if checkpoint is not None:
            _save(state, callbacks, checkpoint, head, stopped)
        chosen = np.asarray(algo.result())  # inside the guard: the answer is chosen without test metrics too
    result = RunResult(algorithm=algo.name or type(algo).__name__, params=algo.get_params(),
                       problem=problem.describe(), seed=seed if not isinstance(seed, np.random.Generator) else None,
                       trajectory=_trajectory(problem, algo.history),
                       chosen=describe_archs(problem, chosen, algo.history), evaluations=state.evaluations,
                       total_cost=state.cost, wall_seconds=time.perf_counter() - t0, stopped_by=stopped)
    for cb in callbacks:
        cb.on_end(result)
    return result


def _loop(state: RunState, max_requests: int, callbacks, checkpoint, head, every: int) -> str:
    """The ask/evaluate/tell loop; returns why it stopped."""
    algo, problem, budget = state.algorithm, state.problem, state.budget
    space, history = problem.space, algo.history
    arch_ndim = len(space.arch_shape)
    cap_evals, cap_cost, cap_batches = budget.evaluations, budget.cost, budget.batches
    while True:
        if algo.finished:
            return "algorithm"
        if state.requests >= max_requests:
            return "max_requests"
        archs = np.asarray(algo.ask())
        if archs.size == 0:
            return "algorithm"
        if archs.ndim == arch_ndim:
            archs = archs[None]
        if archs.dtype.kind not in "iu" or False in np.asarray(space.is_valid(archs)).tolist():
            raise InvalidArchError(f"{algo.name} proposed an invalid architecture batch {archs.dtype} {archs.shape}")
        ev = problem.evaluate(archs)
        n = take = len(archs)
        if cap_evals is not None:
            left = cap_evals - state.evaluations
            if n == 1:  # the common case of steady-state algorithms (REA): no array arithmetic
                take = 0 if (left < 1 and not ev.cached[0]) else 1
            else:
                over = np.cumsum(~ev.cached) > left
                if over.any():
                    take = int(np.argmax(over))
        if cap_cost is not None:
            over = np.cumsum(ev.cost) > cap_cost - state.cost + 1e-12
            if over.any():
                take = min(take, int(np.argmax(over)))
        truncated = take < n
        if truncated:
            archs, ev = archs[:take], ev.take(slice(0, take))
        state.requests += take
        state.cost += float(ev.cost[0]) if take == 1 else float(ev.cost.sum())
        if take:
            state.evaluations += take - (int(ev.cached[0]) if take == 1 else int(np.count_nonzero(ev.cached)))
            algo.tell(archs, ev)
            if len(history) != state.requests:
                raise RuntimeError(f"algorithm {algo.name!r} overrides tell() without calling Algorithm.tell: the run "
                                   "records its history there (implement _tell instead)")
        state.batches += 1
        state.archs, state.evaluation = archs, ev
        state.truncated = truncated
        end = truncated or (cap_evals is not None and state.evaluations >= cap_evals) or (
            cap_batches is not None and state.batches >= cap_batches)  # _spent, inlined: it runs per evaluation
        if take:
            for cb in callbacks:
                cb.on_batch(state)
        if end:
            return "budget"
        if state.stop:
            return "callback"
        if checkpoint is not None and state.batches % every == 0:
            _save(state, callbacks, checkpoint, head, None)


def _spent(state) -> bool:
    b = state.budget
    return (b.evaluations is not None and state.evaluations >= b.evaluations) or (
        b.batches is not None and state.batches >= b.batches)


def _save(state, callbacks, directory, head, stopped) -> None:
    for cb in callbacks:
        cb.on_checkpoint(state, directory)
    ckpt.save(directory, head, state.algorithm.history, asks=state.batches, stopped_by=stopped,
              truncated=state.truncated)


def _replay(state: RunState, meta: dict, arrays: dict) -> str | None:
    """Rebuild the algorithm's state by replaying the recorded batches through ask/tell (no evaluation). Returns
    the recorded reason the run stopped when it stopped right after its last batch (budget, callback), else None."""
    algo, space = state.algorithm, state.problem.space
    keys, batch, cost, cached = arrays["key"], arrays["batch"], arrays["cost"], arrays["cached"].astype(bool)
    values = {m: arrays[f"value:{m}"] for m in state.problem.evaluator.metrics}
    bounds = np.searchsorted(batch, np.arange(meta["asks"] + 1), "left")
    state.replaying = True
    for b in range(meta["asks"]):
        lo, hi = int(bounds[b]), int(bounds[b + 1])
        archs = np.asarray(algo.ask()) if not algo.finished else np.empty(0)
        if archs.ndim == len(space.arch_shape):
            archs = archs[None]
        got = np.atleast_1d(space.key(archs[: hi - lo])) if len(archs) and hi > lo else np.empty(0, np.int64)
        if len(archs) == 0 or len(got) != hi - lo or not np.array_equal(got, keys[lo:hi]):
            raise ConfigError(f"resume: the algorithm asked different archs than recorded in batch {b}; resume with "
                              "the same algorithm version, settings, problem and seed as the original run")
        if hi > lo:
            ev = Evaluation({m: v[lo:hi].copy() for m, v in values.items()}, cost[lo:hi].copy(), cached[lo:hi].copy())
            state.requests += hi - lo
            state.cost += float(ev.cost.sum())
            state.evaluations += hi - lo - int(np.count_nonzero(ev.cached))
            algo.tell(archs[: hi - lo], ev)
            state.archs, state.evaluation = archs[: hi - lo], ev
        state.batches += 1
    return meta["stopped_by"] if meta["stopped_by"] in ("budget", "callback") else None


def _trajectory(problem, history) -> dict[str, np.ndarray]:
    cached, cost = history.cached, history.cost
    traj = {"eval": np.cumsum(~cached, dtype=np.int64), "batch": history.batch, "key": history.keys,
            "cost": cost, "cached": cached}
    traj.update(history.values)
    traj["cum_cost"] = np.cumsum(cost)
    if len(history):  # reporting metrics are attached after the search, never read during it
        rep = problem.report(problem.space.from_key(history.keys)) if hasattr(problem.space, "from_key") else {}
        traj.update({f"report_{k}": v for k, v in rep.items()})
    return traj
